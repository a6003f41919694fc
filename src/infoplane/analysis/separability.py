"""Linear separability of last-layer features against the number of principal components.

Section 3.5 / Figure 7 of the interpretation paper (citing Jacobsen et al., 2018, i-RevNet):
the last-layer features of a trained network are projected onto their first ``k`` principal
components and a linear SVM and a 1-nearest-neighbour classifier are scored on the projection.
High SVM accuracy at small ``k`` says the features have a low intrinsic dimension and are
(nearly) linearly separable, which is the separability assumption of the paper.

Everything is scored by stratified k-fold cross-validation of a scikit-learn
:class:`~sklearn.pipeline.Pipeline`, so the PCA is fitted on the training part
of each fold only: the held-out fold never influences the projection (no leakage).

Public API
----------
:func:`separability_curve`, :class:`SeparabilityCurve`, :func:`default_ks`,
:func:`last_layer_features`. These are measurement tools only: the trained network, the
figure and the claim's checks live in :mod:`infoplane.papers.interpretation.separability`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

try:
    import torch
    from torch import nn
except ImportError as _exc:  # PyTorch is the optional `torch` extra
    from infoplane._requires import missing_torch

    raise missing_torch(__name__) from _exc
from sklearn.decomposition import PCA
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from infoplane._torch import capture
from infoplane._typing import FloatArray, IntArray
from infoplane._validation import as_int, choice, fail, finite_array, positive

__all__ = [
    "SeparabilityCurve",
    "default_ks",
    "last_layer_features",
    "separability_curve",
]


@dataclass(frozen=True)
class SeparabilityCurve:
    """Cross-validated accuracy against the number ``k`` of principal components kept.

    Attributes
    ----------
    ks : ndarray of int, shape (K,)
        Numbers of components actually used (after clipping), strictly increasing.
    svm_mean, svm_std : ndarray, shape (K,)
        Mean and standard deviation over folds of the linear-SVM accuracy (fraction in [0, 1]).
    knn_mean, knn_std : ndarray, shape (K,)
        The same for the 1-nearest-neighbour classifier (Euclidean, on the PCA scores).
    svm_full_mean, svm_full_std : float
        Linear-SVM accuracy on all features (no PCA): the reference for :meth:`smallest_k`.
    n_samples, n_features : int
        Shape of the scored data.
    cv : int
        Number of folds.
    """

    ks: IntArray
    svm_mean: FloatArray
    svm_std: FloatArray
    knn_mean: FloatArray
    knn_std: FloatArray
    svm_full_mean: float
    svm_full_std: float
    n_samples: int
    n_features: int
    cv: int

    def smallest_k(self, fraction: float = 0.95, *, of: str = "svm") -> int | None:
        """Smallest ``k`` whose mean accuracy reaches ``fraction`` × the full-feature SVM accuracy.

        Parameters
        ----------
        fraction : float in (0, 1]
            Target as a fraction of :attr:`svm_full_mean`.
        of : {"svm", "knn"}
            Which curve to search.

        Returns
        -------
        int or None
            ``None`` when no ``k`` on the grid reaches the target.

        Examples
        --------
        >>> c = SeparabilityCurve(np.array([1, 2]), np.array([.5, .9]), np.zeros(2),
        ...                       np.array([.4, .8]), np.zeros(2), .9, 0., 10, 2, 2)
        >>> c.smallest_k(0.99), c.smallest_k(0.4, of="knn")
        (2, 1)
        """
        frac = positive("fraction", fraction)
        if frac > 1.0:
            raise fail("fraction", "in (0, 1]", fraction)
        choice("of", of, ("svm", "knn"))
        curve = self.svm_mean if of == "svm" else self.knn_mean
        hit = np.flatnonzero(curve >= frac * self.svm_full_mean - 1e-12)
        return int(self.ks[hit[0]]) if hit.size else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary of every field (arrays as lists)."""
        return {
            "ks": self.ks.tolist(),
            "svm_mean": self.svm_mean.tolist(),
            "svm_std": self.svm_std.tolist(),
            "knn_mean": self.knn_mean.tolist(),
            "knn_std": self.knn_std.tolist(),
            "svm_full_mean": self.svm_full_mean,
            "svm_full_std": self.svm_full_std,
            "n_samples": self.n_samples,
            "n_features": self.n_features,
            "cv": self.cv,
        }


def default_ks(max_k: int) -> list[int]:
    """A log-ish grid 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, ... up to and including ``max_k``.

    Examples
    --------
    >>> default_ks(20)
    [1, 2, 3, 4, 6, 8, 12, 16, 20]
    """
    m = as_int("max_k", max_k)
    grid = [1]
    p = 2
    while p < m:
        grid.extend(v for v in (p, p + p // 2) if v < m)
        p *= 2
    grid.append(m)
    return sorted(set(grid))


def _svm_pipeline(k: int | None, svm_c: float, seed: int) -> Pipeline:
    """PCA(k) → LinearSVC (one-vs-rest, squared hinge); no PCA for ``k=None``.

    No per-feature scaling on purpose: standardising the PCA scores would blow up the
    low-variance trailing components (on raw digits: 0.88 instead of 0.94 at k = 64), and
    standardising before the PCA would change the principal axes being studied.
    """
    steps: list[tuple[str, Any]] = []
    if k is not None:
        steps.append(("pca", PCA(n_components=k, random_state=seed)))
    steps.append(("svm", LinearSVC(C=svm_c, dual="auto", max_iter=20000, random_state=seed)))
    return Pipeline(steps)


def _knn_pipeline(k: int, seed: int) -> Pipeline:
    """PCA(k) → 1-nearest-neighbour (Euclidean on the PCA scores, no rescaling)."""
    return Pipeline([("pca", PCA(n_components=k, random_state=seed)),
                     ("knn", KNeighborsClassifier(n_neighbors=1))])


def _check_ks(ks: Any, k_max: int) -> IntArray:
    if isinstance(ks, int | np.integer) and not isinstance(ks, bool):
        ks = [ks]
    if not isinstance(ks, Sequence | np.ndarray) or isinstance(ks, str):
        raise TypeError(f"`ks` must be a sequence of integers >= 1, got {ks!r}.")
    items = [as_int(f"ks[{i}]", v, min_value=1) for i, v in enumerate(list(ks))]
    if not items:
        raise fail("ks", "a non-empty sequence of integers >= 1", ks)
    clipped = sorted({min(v, k_max) for v in items})
    if max(items) > k_max:
        warnings.warn(f"`ks` above {k_max} (= min(n_features, smallest fold training size)) "
                      f"were clipped to {k_max}.", stacklevel=3)
    return np.asarray(clipped, dtype=np.int64)


def separability_curve(features: Any, labels: Any, ks: Any, *, cv: int = 5, seed: int = 0,
                       svm_c: float = 1.0, n_jobs: int | None = 1) -> SeparabilityCurve:
    """Cross-validated linear-SVM and 1-NN accuracy on the first ``k`` principal components.

    For each ``k`` two scikit-learn pipelines are scored with :func:`cross_val_score` over
    ``StratifiedKFold(cv, shuffle=True, random_state=seed)``:
    ``PCA(k) → LinearSVC(C=svm_c)`` and ``PCA(k) → KNeighborsClassifier(1)`` (no rescaling, so
    at ``k = d`` the SVM sees a rotation of the data and matches :attr:`svm_full_mean`).
    The PCA is a pipeline step, so it is refitted on the training part of every fold and never
    sees the held-out fold (no leakage). The same folds serve every ``k`` and both classifiers.

    Parameters
    ----------
    features : array of shape (n, d)
        Feature vectors (e.g. from :func:`last_layer_features`, or raw inputs).
    labels : array of shape (n,)
        Class labels; every class needs at least ``cv`` samples.
    ks : int or sequence of int
        Numbers of components, each >= 1. Values above ``min(d, smallest fold training size)``
        are clipped to it (with a warning); duplicates after clipping are dropped.
    cv : int, default 5
        Number of stratified folds (>= 2).
    seed : int, default 0
        Seeds the fold shuffle, PCA's randomised solver and LinearSVC.
    svm_c : float, default 1.0
        Inverse regularisation strength of the SVM.
    n_jobs : int or None, default 1
        Passed to :func:`cross_val_score` (folds in parallel).

    Returns
    -------
    SeparabilityCurve

    Raises
    ------
    ValueError
        Non-finite or mis-shaped input, fewer than two classes, a class with fewer than ``cv``
        samples, ``k < 1``, ``cv < 2``, ``svm_c <= 0``.

    References
    ----------
    Jacobsen, Smeulders & Oyallon (2018), i-RevNet, Fig. 7 as reproduced in Section 3.5 of the
    interpretation paper.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 50)
    >>> x = rng.normal(size=(100, 5)); x[:, 0] += 6 * y
    >>> c = separability_curve(x, y, [1, 2, 5])
    >>> c.ks.tolist(), bool(c.svm_mean[0] > 0.95)
    ([1, 2, 5], True)
    """
    x = finite_array("features", features, ndim=2)
    y_raw = np.asarray(labels)
    if y_raw.ndim != 1 or y_raw.shape[0] != x.shape[0]:
        raise fail("labels", f"a 1-D array of length {x.shape[0]} (one label per row)", y_raw,
                   f"(it has shape {y_raw.shape})")
    n_folds = as_int("cv", cv, min_value=2)
    s = as_int("seed", seed, min_value=0)
    c = positive("svm_c", svm_c)
    classes, counts = np.unique(y_raw, return_counts=True)
    if classes.size < 2:
        raise fail("labels", "of at least two classes", classes)
    if counts.min() < n_folds:
        raise fail("labels", f"at least `cv`={n_folds} samples in every class",
                   dict(zip(classes.tolist(), counts.tolist(), strict=True)),
                   "Lower `cv` or add data.")
    n, d = x.shape
    folds = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=s)
    min_train = min(len(tr) for tr, _ in folds.split(x, y_raw))
    k_arr = _check_ks(ks, min(d, min_train))

    def score(pipe: Pipeline) -> FloatArray:
        out = cross_val_score(pipe, x, y_raw, cv=folds, n_jobs=n_jobs)
        return np.asarray(out, dtype=np.float64)

    svm = [score(_svm_pipeline(int(k), c, s)) for k in k_arr]
    knn = [score(_knn_pipeline(int(k), s)) for k in k_arr]
    full = score(_svm_pipeline(None, c, s))
    return SeparabilityCurve(
        ks=k_arr,
        svm_mean=np.array([v.mean() for v in svm]), svm_std=np.array([v.std() for v in svm]),
        knn_mean=np.array([v.mean() for v in knn]), knn_std=np.array([v.std() for v in knn]),
        svm_full_mean=float(full.mean()), svm_full_std=float(full.std()),
        n_samples=int(n), n_features=int(d), cv=n_folds)


def last_layer_features(model: nn.Module, x: Any, layer: str | None = None, *,
                        batch_size: int = 4096) -> FloatArray:
    """Activations of a torch model at one layer, in eval mode and without gradients.

    Parameters
    ----------
    model : torch.nn.Module
        Any model; its training mode is restored and the hook removed afterwards, even on error.
    x : array or tensor of shape (n, ...)
        Inputs, cast to the dtype of the model's first parameter.
    layer : str or None
        ``None`` (default): the *input* of the last :class:`~torch.nn.Linear` module in
        ``model.modules()`` order, i.e. the penultimate (last-layer feature) representation.
        A name from ``model.named_modules()``: the *output* of that module
        (e.g. ``"act2"`` of :func:`infoplane.models.mlp`).
    batch_size : int, default 4096
        Rows per forward pass.

    Returns
    -------
    ndarray of shape (n, m), float64
        One row per input, flattened.

    Raises
    ------
    ValueError
        Unknown ``layer``, a model with no Linear layer when ``layer`` is None, or bad input.

    Examples
    --------
    >>> from infoplane.models import mlp
    >>> net = mlp((4, 8, 6, 3), activation="relu")
    >>> last_layer_features(net, np.zeros((5, 4))).shape
    (5, 6)
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module, got {type(model).__name__}.")
    bs = as_int("batch_size", batch_size)
    modules = dict(model.named_modules())
    capture_input = layer is None
    if layer is None:
        linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
        if not linears:
            raise fail("model", "a model with at least one nn.Linear when `layer` is None",
                       type(model).__name__, "Name the layer explicitly.")
        target = linears[-1]
    else:
        if layer not in modules or layer == "":
            names = [k for k in modules if k][:12]
            raise fail("layer", f"a module name of the model (one of {names})", layer)
        target = modules[layer]
    params = list(model.parameters())
    dtype = params[0].dtype if params else torch.float32
    xt = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x).to(dtype)
    if xt.ndim < 1 or xt.shape[0] == 0:
        raise fail("x", "a non-empty batch of inputs", tuple(xt.shape))
    if not bool(torch.isfinite(xt).all()):
        raise fail("x", "finite (no NaN or inf)", tuple(xt.shape))
    key = "input of the last nn.Linear" if layer is None else layer
    with capture(model, {key: target}, inputs=capture_input) as seen:
        for start in range(0, xt.shape[0], bs):
            model(xt[start:start + bs])
    caught = [v.reshape(v.shape[0], -1) for v in seen[key]]
    return torch.cat(caught).to(torch.float64).numpy()
