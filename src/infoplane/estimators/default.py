"""The default estimator: :func:`auto` picks a method from the data.

``auto().estimate(x, y)`` looks at the two sides (discrete labels or continuous, dimensions,
sample size) and delegates to one of the library's estimators; ``auto().choose(x, y)`` returns
that estimator, so the choice is visible and reproducible. The rules, and the benchmark table
that justifies them, are in :class:`Auto`'s docstring and in ``docs/DECISIONS.md``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from infoplane._typing import FloatArray, Unit
from infoplane._validation import as_int, fail
from infoplane.estimators.base import (
    Estimator,
    Interval,
    TestResult,
    as_labels,
    as_samples,
)

__all__ = ["Auto", "NormalScores", "Unmixed", "auto", "independent_components", "is_discrete",
           "normal_scores"]


def normal_scores(z: FloatArray) -> FloatArray:
    """Each column replaced by its normal scores Φ⁻¹((rank − ½)/n) (ties: average ranks).

    A strictly increasing map of each coordinate leaves I(X;Y) unchanged (Cover & Thomas,
    Eq. 8.71 for the invariance of MI under invertible maps), and the empirical version of
    this map sends every continuous marginal to (approximately) a standard normal — the
    "Gaussian copula" transform (e.g. Ince et al. 2017, Hum. Brain Mapp. 38:1541, Section 2.3).
    """
    n = z.shape[0]
    ranks = stats.rankdata(z, method="average", axis=0)
    out: FloatArray = np.asarray(special.ndtri((ranks - 0.5) / n), dtype=np.float64)
    return out


def is_discrete(value: npt.ArrayLike, *, max_classes: int = 64) -> bool:
    """Whether a side looks like class labels rather than a continuous variable.

    Discrete means: boolean or string values (always), or integer values (floats only when
    every value is integral) in at most two dimensions (a 2-D array is read as one joint label
    per row) with at most ``max_classes`` distinct rows and on average at least 5 samples per
    distinct row.
    """
    arr = np.asarray(value)
    if arr.dtype.kind in "US":
        return True
    if arr.dtype.kind == "b":
        return True
    if arr.dtype.kind not in "iuf" or arr.size == 0 or arr.ndim > 2:
        return False
    if arr.dtype.kind == "f" and not (np.all(np.isfinite(arr))
                                      and np.all(arr == np.round(arr))):
        return False
    rows = arr.reshape(arr.shape[0], -1)
    n_distinct = np.unique(rows, axis=0).shape[0]
    return bool(n_distinct <= max_classes and 5 * n_distinct <= rows.shape[0])


@dataclass(frozen=True, kw_only=True)
class NormalScores(Estimator):
    """Any estimator applied after the normal-score (Gaussian-copula) transform of each column.

    Mutual information is invariant under strictly increasing maps of each coordinate, so
    the wrapped estimator sees data with standard-normal marginals and the same MI. This
    removes the heavy tails and curvature of the marginals (half-cube, asinh, normal-CDF and
    similar distortions) that bias k-NN and Gaussian estimators; it cannot undo a
    transformation that mixes coordinates (a rotation after a bijection, a spiral).

    Parameters
    ----------
    base : Estimator
        The estimator applied to the transformed data (continuous x and y).
    """

    base: Estimator = field(default_factory=lambda: _ksg())

    def _check(self) -> None:
        if not isinstance(self.base, Estimator):
            raise TypeError(f"`base` must be an Estimator, got {self.base!r}.")
        if type(self.base).y_discrete:
            raise fail("base", "an estimator for two continuous sides (normal scores of "
                       "labels are not labels)", self.base)

    def _estimate_nats(self, x: FloatArray, y: Any) -> float:
        return _nats(self.base, normal_scores(x), normal_scores(y))

    @property
    def has_conditional(self) -> bool:  # type: ignore[override]
        return self.base.has_conditional

    def _conditional_nats(self, x: FloatArray, y: Any, z: Any) -> float:
        return self.base._conditional_nats(normal_scores(x), normal_scores(y), normal_scores(z))


def independent_components(z: FloatArray, *, max_iter: int = 100, seed: int = 0) -> FloatArray:
    """z mapped by an invertible linear unmixing W (FastICA, Hyvärinen 1999) to components
    that are as independent and non-Gaussian as FastICA finds.

    W = R · C^{-½} (whitening by the sample covariance C, then the orthogonal FastICA
    rotation R with the log-cosh contrast, symmetric decorrelation; Hyvärinen, IEEE Trans.
    Neural Netw. 10:626, 1999, Eq. 13 and Sec. 3.3). W is fitted on z alone and is
    invertible whatever FastICA converges to, so I(Wx; Vy) = I(x; y) (Cover & Thomas, Eq. 8.71)
    and, because W uses one side only, independence of the two sides is preserved. When
    FastICA does not converge in ``max_iter`` iterations its last rotation is used (still an
    invertible map). Needs n > d (an invertible covariance).
    """
    import warnings

    from sklearn.decomposition import FastICA
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    ica = FastICA(whiten="unit-variance", max_iter=max_iter, tol=1e-3, random_state=seed)
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        # one BLAS thread: the small products of FastICA are slower with more on a busy
        # machine (measured: 2 s on one thread, minutes with contended threads)
        warnings.simplefilter("ignore", ConvergenceWarning)
        out: FloatArray = np.asarray(ica.fit_transform(z), dtype=np.float64)
    return out


@dataclass(frozen=True, kw_only=True)
class Unmixed(Estimator):
    """An estimator applied after each side's independent components and their normal scores.

    A coordinate-wise bijection followed by a rotation (T = R f(Z)) is undone in two steps
    when the coordinates of Z are independent: :func:`independent_components` recovers f(Z)
    up to order, sign and scale (ICA), and :func:`normal_scores` undoes f. Both steps are
    invertible, so the wrapped estimator sees data with the same MI; on data without such
    structure the unmixing is just another invertible linear map. Each side's unmixing is
    fitted on that side alone (the pairing of rows is never used), so under independence the
    estimate keeps the wrapped estimator's null behaviour.

    Parameters
    ----------
    base : Estimator
        Applied to the transformed data (two continuous sides).
    max_iter : int, default 100
        FastICA iterations per side.
    """

    base: Estimator = field(default_factory=lambda: _gauss_bc())
    max_iter: int = 100

    def _check(self) -> None:
        if not isinstance(self.base, Estimator):
            raise TypeError(f"`base` must be an Estimator, got {self.base!r}.")
        if type(self.base).y_discrete:
            raise fail("base", "an estimator for two continuous sides", self.base)
        as_int("max_iter", self.max_iter, min_value=1)

    def _estimate_nats(self, x: FloatArray, y: Any) -> float:
        n = x.shape[0]
        for name, side in (("x", x), ("y", y)):
            if n <= 2 * side.shape[1]:
                raise fail(name, f"more than 2 × its dimension ({2 * side.shape[1]}) rows for "
                           "the unmixing (an invertible covariance)", f"{n} rows",
                           "Pass more samples or use NormalScores.")
        ux = normal_scores(independent_components(x, max_iter=self.max_iter, seed=self.seed))
        uy = normal_scores(independent_components(y, max_iter=self.max_iter, seed=self.seed))
        return _nats(self.base, ux, uy)


def _gauss_bc() -> Estimator:
    from infoplane.estimators.gaussian import Gaussian

    return Gaussian(bias_correction=True)


def _ksg(**kwargs: Any) -> Estimator:
    from infoplane.estimators.ksg import KSG

    return KSG(**kwargs)


def _nats(est: Estimator, x: Any, y: Any) -> float:
    """The estimator's value in nats on already-validated arrays."""
    return float(est._estimate_nats(x, y))


@dataclass(frozen=True, kw_only=True)
class Auto(Estimator):
    """The default estimator: picks a method from the data (see :meth:`choose`).

    Parameters
    ----------
    k : int, default 3
        Neighbours of the k-NN estimators it may choose.
    max_classes : int, default 64
        An integer side (or floats that are all integral) with at most this many distinct
        values and ≥ 5 samples per value on average counts as discrete labels; boolean and
        string sides always do (:func:`is_discrete`).
    max_knn_dim : int, default 64
        Largest joint dimension d_x + d_y for which the k-NN candidate is computed on
        continuous data; above it KSG reads far below the truth (it read 0.05 nats for a true
        1.68 on ``cube-id-rot-lowrank-100x100-k3``) and the high-dimensional rule applies.
    n_jobs : int, default 2
        Threads of the k-NN queries.
    unit, seed
        As every estimator; passed on to the chosen one.

    Notes
    -----
    Rules (``choose``), justified by the benchmark table in ``docs/DECISIONS.md``:

    * both sides discrete → plug-in MI of the labels (:class:`Binning` on integer codes);
    * one side discrete, the other continuous → :class:`MixedKSG` (Ross 2014), labels second;
    * both continuous → both sides to normal scores (:class:`NormalScores`, MI unchanged),
      then the **larger** of two estimates that err low: KSG (k-NN; underestimates when the
      dependence is strong or the dimension high — Kraskov et al. 2004, Gao et al. 2015) and the
      Gaussian-copula estimate with its exact finite-sample bias removed
      (:class:`Gaussian` with ``bias_correction=True``; a lower bound on I in population when
      a marginal is Gaussian — see :mod:`infoplane.estimators.gaussian` — and it misses any
      dependence that is not linear in normal scores). Each is low where the other is
      accurate on the benchmark suites, so the larger is the better one there; the price is
      a small upward bias under independence (the larger of two zero-mean estimates).
      ``choose`` returns the winner, so the value is always one estimator's. When the
      Gaussian-copula fit is singular (a constant or duplicated column, n ≤ d_x + d_y) only
      KSG is used, above ``max_knn_dim`` too. The lower-bound property holds for a
      one-dimensional side (its normal scores are Gaussian); for vector sides the transform
      makes each coordinate, not the vector, Gaussian.
    * both continuous and d_x + d_y > ``max_knn_dim`` (the high-dimensional rule) → the
      **larger** of the bias-corrected Gaussian-copula estimate and the same estimate after
      each side's independent components (:class:`Unmixed`: FastICA on each side alone, then
      normal scores). Both see the data through invertible maps, so both estimate the same
      I(X;Y); the unmixing undoes a coordinate-wise bijection followed by a rotation (which
      ranking the columns cannot) when the coordinates before the rotation are independent,
      and is a harmless invertible linear map otherwise. Unmixing needs n > 2·max(d_x, d_y);
      with fewer rows only the Gaussian-copula candidate is used. On the 23 ``highdim`` tasks
      (n = 5000) this is within max(0.1 nats, 15 %) on 17 (the copula alone: 16; KSG
      collapses to ≈ 0 there, and learned embeddings,
      :class:`~infoplane.estimators.latent.LatentMI`, lose information to the train/test
      split); the table is in ``docs/DECISIONS.md``. It reads low when the dependence is
      neither linear in normal scores nor in independent components: a rotated cube at 100
      dimensions (about 1.2 of 1.68 nats), a rotated normal CDF at 100–200 dimensions, where
      FastICA does not separate the uniform coordinates (1.40 of 1.68).

    Conditional MI (``estimate_conditional``, ``choose_conditional``): x, y and z all
    discrete → plug-in I(X;Y|Z) of the codes (:class:`Binning`); all continuous → KSG's
    conditional form (Frenzel & Pompe 2007) on normal scores of every column (I(X;Y|Z) is
    invariant under increasing maps of each coordinate of X, Y and Z); a mix of kinds → a
    ``TypeError``.

    Every side needs at least k + 1 samples (the k-NN candidates); a side that is not
    discrete is validated as real samples (finite, 1-D or 2-D).
    """

    k: int = 3
    max_classes: int = 64
    max_knn_dim: int = 64
    n_jobs: int = 2

    has_conditional: ClassVar[bool] = True

    def _check(self) -> None:
        from infoplane.estimators.ksg import _check_common

        _check_common(self.k, self.n_jobs)
        as_int("max_classes", self.max_classes, min_value=2)
        as_int("max_knn_dim", self.max_knn_dim, min_value=2)

    # ------------------------------------------------------------------ public interface
    def choose(self, x: npt.ArrayLike, y: npt.ArrayLike) -> Estimator:
        """The estimator :meth:`estimate` uses on these data (for two continuous sides this
        evaluates both candidates and returns the one with the larger estimate: KSG or the
        Gaussian copula, or above ``max_knn_dim`` the Gaussian copula on the columns or on
        the independent components, :class:`Unmixed`)."""
        return self._pick(x, y)[0]

    def estimate(self, x: npt.ArrayLike, y: npt.ArrayLike) -> float:
        """I(X; Y) by the estimator :meth:`choose` picks (in ``self.unit``)."""
        est, value = self._pick(x, y)
        if value is not None:
            return value
        x, y = self._ordered(x, y)
        return est.estimate(x, y)

    def confidence_interval(self, x: npt.ArrayLike, y: npt.ArrayLike, *, level: float = 0.95,
                            n_resamples: int | None = None, method: str | None = None,
                            seed: int = 0) -> Interval:
        """The chosen estimator's interval (its own method; the choice itself is made once,
        on all the data, and not resampled)."""
        est = self.choose(x, y)
        x, y = self._ordered(x, y)
        return est.confidence_interval(x, y, level=level, n_resamples=n_resamples,
                                       method=method, seed=seed)

    def independence_test(self, x: npt.ArrayLike, y: npt.ArrayLike, *,
                          n_permutations: int = 199, seed: int = 0) -> TestResult:
        """The chosen estimator's permutation test."""
        est = self.choose(x, y)
        x, y = self._ordered(x, y)
        return est.independence_test(x, y, n_permutations=n_permutations, seed=seed)

    # ------------------------------------------------------------------------- internals
    def choose_conditional(self, x: npt.ArrayLike, y: npt.ArrayLike,
                           z: npt.ArrayLike) -> Estimator:
        """The estimator :meth:`estimate_conditional` uses on these data (see Notes)."""
        from infoplane.estimators.binning import Binning
        from infoplane.estimators.ksg import KSG

        kinds = {name: is_discrete(v, max_classes=self.max_classes)
                 for name, v in (("x", x), ("y", y), ("z", z))}
        n: int | None = None
        for name, v in (("x", x), ("y", y), ("z", z)):  # names the bad side, rows first
            n = (as_labels if kinds[name] else as_samples)(name, v, n=n).shape[0]
        if all(kinds.values()):
            return Binning(unit=self.unit, seed=self.seed)
        if not any(kinds.values()):
            self._check_size("x", x)
            return NormalScores(base=KSG(k=self.k, n_jobs=self.n_jobs, seed=self.seed),
                                unit=self.unit, seed=self.seed)
        disc = [name for name, d in kinds.items() if d]
        cont = [name for name, d in kinds.items() if not d]
        raise TypeError(
            f"auto() estimates I(X;Y|Z) when x, y and z are all discrete labels or all "
            f"continuous, got discrete {' and '.join(disc)} with continuous "
            f"{' and '.join(cont)}. Encode every side the same way, or choose an estimator "
            "(Binning bins real values; KSG and Gaussian need real values).")

    def estimate_conditional(self, x: npt.ArrayLike, y: npt.ArrayLike,
                             z: npt.ArrayLike) -> float:
        """I(X; Y | Z) by the estimator :meth:`choose_conditional` picks (in ``self.unit``)."""
        est = self.choose_conditional(x, y, z)
        if isinstance(est, NormalScores):
            return est.estimate_conditional(x, y, z)
        return est.estimate_conditional(as_labels("x", x), as_labels("y", y),
                                        as_labels("z", z))

    # ------------------------------------------------------------------------- internals
    def _check_size(self, name: str, value: npt.ArrayLike) -> None:
        """At least k + 1 rows in the continuous side ``name`` (the k-NN candidates)."""
        n = as_samples(name, value).shape[0]
        if n <= self.k:
            raise ValueError(f"`{name}` must have at least k + 1 = {self.k + 1} samples for "
                             f"auto() (k = {self.k} neighbours), got {n}. Pass more samples "
                             "or a smaller k.")

    def _pick(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[Estimator, float | None]:
        """The chosen estimator and, when choosing needed it, its estimate (in ``unit``)."""
        from infoplane.estimators.gaussian import Gaussian
        from infoplane.estimators.ksg import KSG, MixedKSG

        common: dict[str, Any] = {"unit": self.unit, "seed": self.seed}
        dx = is_discrete(x, max_classes=self.max_classes)
        dy = is_discrete(y, max_classes=self.max_classes)
        if dx and dy:
            from infoplane.estimators.binning import Binning

            return Binning(**common), None
        self._check_size("y", y) if dx else self._check_size("x", x)
        if dx or dy:
            return MixedKSG(k=self.k, n_jobs=self.n_jobs, **common), None
        xs = as_samples("x", x)
        ys = as_samples("y", y, n=xs.shape[0])
        gauss = NormalScores(base=Gaussian(bias_correction=True), **common)
        knn = NormalScores(base=KSG(k=self.k, n_jobs=self.n_jobs, seed=self.seed), **common)
        high = xs.shape[1] + ys.shape[1] > self.max_knn_dim
        if high:
            # Constant columns (dead units) carry no information: dropping them leaves I(X;Y)
            # unchanged and keeps the copula covariance non-singular (KSG reads ~0 up here).
            xs, ys = xs[:, np.ptp(xs, axis=0) > 0], ys[:, np.ptp(ys, axis=0) > 0]
            if xs.shape[1] == 0 or ys.shape[1] == 0:
                return gauss, 0.0
        g: float | None
        try:
            g = gauss.estimate(xs, ys)
        except ValueError:  # singular copula covariance: duplicated columns, small n
            if not high:
                return knn, knn.estimate(xs, ys)
            g = None
        if high:
            candidates: list[tuple[float, Estimator]] = [] if g is None else [(g, gauss)]
            if xs.shape[0] > 2 * max(xs.shape[1], ys.shape[1]):
                unmixed = Unmixed(base=Gaussian(bias_correction=True), **common)
                # singular after unmixing (degenerate components): the copula alone
                with contextlib.suppress(ValueError):
                    candidates.append((unmixed.estimate(xs, ys), unmixed))
            if not candidates:
                return knn, knn.estimate(xs, ys)
            value_h, best_h = max(candidates, key=lambda t: t[0])  # first (copula) on ties
            return best_h, value_h
        values = [(knn.estimate(xs, ys), 0, knn), (g, 1, gauss)]
        value, _, best = max(values, key=lambda t: (t[0], -t[1]))
        return best, value

    def _ordered(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[npt.ArrayLike,
                                                                     npt.ArrayLike]:
        """Discrete sides as integer codes; the labels second when only one side is discrete
        (MixedKSG wants them there; MI is symmetric)."""
        dx = is_discrete(x, max_classes=self.max_classes)
        dy = is_discrete(y, max_classes=self.max_classes)
        if dx:
            x = as_labels("x", x)
        if dy:
            y = as_labels("y", y)
        if dx and not dy:
            return y, x
        return x, y

    def _estimate_nats(self, x: FloatArray, y: Any) -> float:  # pragma: no cover - unused
        raise NotImplementedError


def auto(*, k: int = 3, max_classes: int = 64, max_knn_dim: int = 64, n_jobs: int = 2,
         unit: Unit = "nats", seed: int = 0) -> Auto:
    """The default estimator (:class:`Auto`) with the given options (see :class:`Auto`).

    Examples
    --------
    >>> import numpy as np
    >>> from infoplane.estimators import auto
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(2000)
    >>> y = x + rng.standard_normal(2000)          # I = ½ log 2 ≈ 0.347 nats
    >>> est = auto()
    >>> est.choose(x, y).base                      # the larger of KSG and Gaussian-copula
    KSG(unit='nats', seed=0, k=3, algorithm=1, jitter=1e-10, n_jobs=2)
    >>> round(est.estimate(x, y), 2)
    0.35
    """
    return Auto(k=k, max_classes=max_classes, max_knn_dim=max_knn_dim, n_jobs=n_jobs,
                unit=unit, seed=seed)

