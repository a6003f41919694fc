"""k-nearest-neighbour estimators of mutual information: KSG and its mixed variants.

* :class:`KSG` — Kraskov, Stögbauer & Grassberger (2004), algorithms 1 and 2, for continuous
  X and Y of any dimensions (max-norm); ``estimate_conditional(x, y, z)`` is the conditional
  form of algorithm 1 by Frenzel & Pompe (2007).
* :class:`MixedKSG` — continuous X with discrete labels Y (Ross 2014, ``method="ross"``), or
  general discrete–continuous mixtures (Gao, Kannan, Oh & Viswanath 2017, ``method="gao"``).

Every neighbour count is exact: the k-th neighbour distance and the marginal counts are
computed with the same floating-point distance ``max_d |a_d - b_d|``, and the strict ("<")
or non-strict ("<=") inequality of each paper is applied to those floats (a strict count
against a radius r is a non-strict count against the largest float below r). The compiled
kernels of :mod:`infoplane.estimators._knn` (numba) do the work: joint k-NN distances by a
k-d tree with exact bounding boxes up to 7 joint dimensions and by the projection-window
kernel above (candidate windows along the most selective sorted column, vectorised
coordinate filters); marginal counts by exponential and binary searches on the sorted
values in one dimension, by the k-d tree in two and three (nodes wholly inside the max-norm
ball are added by their sizes) and by the projection kernel from four. All of it runs on
``n_jobs`` threads. Ties at the k-th joint neighbour (which only algorithm 2's neighbour
*set* sees) go to the smaller row index, as a stable sort of the distances does.

Preprocessing. Every column is divided by its standard deviation (constant columns are left
as they are), which makes the estimates invariant to rescaling a feature — the true MI is, the
max-norm k-NN estimators are not. :class:`KSG` also centres the columns and adds tie-breaking
jitter (below); :class:`MixedKSG` does neither, because for it exact ties carry meaning.

I(X;T) in the information plane. ``plane(t, labels)`` takes X uniform over the N rows (see
:mod:`infoplane.estimators.base`). For a deterministic layer T = h(X), I(X;T) = H(T) exactly,
the plug-in entropy of the distinct rows of T (Eq. 40, Appendix C of the interpretation
paper); it equals
log N as soon as all rows differ, which is the case for almost any continuous layer. The k-NN
estimators return that exact value (and warn when it saturates at log N) rather than a k-NN
estimate of an infinite differential quantity; use :class:`~infoplane.estimators.Binning` or
KDE for a finite-resolution I(X;T). I(T;Y) is Ross's k-NN estimate with the labels as a
categorical variable, for every estimator here: Gao's estimator with a discrete metric on the
labels (0 if equal, ∞ otherwise) reduces to it, and its closed-ball tie counting (see
``MixedKSG``) handles quantised or saturated layers.

References
----------
A. Kraskov, H. Stögbauer and P. Grassberger, "Estimating mutual information",
Phys. Rev. E 69, 066138 (2004).
S. Frenzel and B. Pompe, "Partial mutual information for coupling analysis of multivariate
time series", Phys. Rev. Lett. 99, 204101 (2007).
B. C. Ross, "Mutual information between discrete and continuous data sets", PLoS ONE 9(2),
e87357 (2014).
W. Gao, S. Kannan, S. Oh and P. Viswanath, "Estimating mutual information for
discrete-continuous mixtures", NeurIPS (2017).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
from scipy.special import digamma

from infoplane._typing import FloatArray, IntArray
from infoplane._validation import as_float, as_int, choice, fail, unit_factor
from infoplane.estimators.base import (
    Estimator,
    as_labels,
    as_samples,
    row_entropy,
    standardised,
    warn,
)

__all__ = ["KSG", "MixedKSG"]

#: Joint dimension up to which the k-NN query uses the compiled k-d tree
#: (:func:`infoplane.estimators._knn.tree_knn`), the projection-window kernel above. The tree
#: beats cKDTree slightly (N = 2·10^4, 2 threads: 4-D 0.091 s against 0.103, 6-D 0.286
#: against 0.294, 8-D 0.67 against 0.83; 2-D, N = 10^4: 15 against 21 ms); the projection
#: kernel wins from 8-D (0.51 s there).
_TREE_DIM = 7
#: Marginal dimension up to which radius counts use the compiled k-d tree with node counts
#: (:class:`infoplane.estimators._knn.Tree`); the projection kernel above. Measured at
#: N = 2·10^4 (one thread, KSG radii of a 2d-dimensional Gaussian pair): 2-D 0.08 s against
#: 0.15 s, 3-D 0.26 against 0.30, but 4-D 0.57 against 0.42 and 5-D 1.09 against 0.55.
_TREE_COUNT_DIM = 3


# ==================================================================================== kernels

def _kernels() -> ModuleType:
    """The compiled kernels (:mod:`infoplane.estimators._knn`), imported on first use so that
    importing infoplane does not load numba."""
    from infoplane.estimators import _knn
    return _knn


def _jittered(z: FloatArray, jitter: float, rng: np.random.Generator) -> FloatArray:
    """Standardised columns plus N(0, jitter²) noise: jitter × the column's std in raw units."""
    out = standardised(z, center=True)
    if jitter > 0.0:
        out += jitter * rng.standard_normal(out.shape)
    return out


def _below(r: FloatArray) -> FloatArray:
    """The largest floats below r: for float distances, ``d < r`` iff ``d <= _below(r)``."""
    return np.nextafter(r, -np.inf)


def _count_sorted(s: FloatArray, r: FloatArray, workers: int = 1) -> IntArray:
    """#{j : fl(|s_j - s_i|) <= r_i} for sorted ``s`` (0 where r_i < 0), self included.

    The distance is the rounded float ``abs(s_j - s_i)``, exactly as a tree computes it; it is
    monotone in s_j on either side of s_i, so the qualifying s_j form one contiguous run,
    whose ends the compiled kernel finds by exponential and binary search on that very test
    (:func:`infoplane.estimators._knn.count_sorted`).
    """
    return np.asarray(_kernels().count_sorted(s, r, workers), dtype=np.int64)


class _Marginal:
    """Exact neighbour counts around each row of one marginal sample (max-norm).

    One dimension: searches on the sorted values. Two and three: the compiled k-d tree with
    node counts; four and more: the projection-window kernel (both in
    :mod:`infoplane.estimators._knn`, exact float distances, ``workers`` threads). Built
    once per variable and shared across snapshots by the batched entry points.
    """

    __slots__ = ("_order", "_prepared", "_sorted", "_tree", "n", "workers", "z")

    def __init__(self, z: FloatArray, workers: int) -> None:
        self.z = z
        self.n = z.shape[0]
        self.workers = workers
        self._order: IntArray | None = None
        self._sorted: FloatArray | None = None
        self._prepared: Any = None
        self._tree: Any = None
        if z.shape[1] == 1:
            self._order = np.argsort(z[:, 0])       # any order of equal values will do
            self._sorted = z[self._order, 0]

    def _sample(self) -> Any:
        if self._prepared is None:
            self._prepared = _kernels().Sorted(self.z)
        return self._prepared

    def _kd(self) -> Any:
        if self._tree is None:
            self._tree = _kernels().Tree(self.z)
        return self._tree

    def count(self, radius: FloatArray) -> IntArray:
        """#{j != i : ||z_j - z_i|| <= radius_i} (0 where radius_i < 0).

        For a strict count pass ``_below(radius)``.
        """
        if self._sorted is not None:
            assert self._order is not None
            total = np.empty(self.n, dtype=np.int64)
            total[self._order] = _count_sorted(self._sorted, radius[self._order],
                                                self.workers)
            return np.asarray(total - (radius >= 0.0), dtype=np.int64)
        if self.z.shape[1] <= _TREE_COUNT_DIM:
            return np.asarray(_kernels().tree_count(self._kd(), radius, self.workers),
                              dtype=np.int64)
        return np.asarray(_kernels().count(self._sample(), radius, self.workers),
                          dtype=np.int64)

    def kth_distance(self, k: int) -> FloatArray:
        """Distance from each row to its k-th nearest other row (max-norm)."""
        if self._sorted is not None:
            assert self._order is not None
            return _kth_distance_sorted(self._sorted, self._order, k)
        if self.z.shape[1] <= _TREE_DIM:
            eps: FloatArray = _kernels().tree_knn(self._kd(), k, self.workers,
                                                  need_index=False)[0]
            return eps
        eps = _kernels().knn(self._sample(), k, self.workers, need_index=False)[0]
        return eps


def _knn(z: FloatArray, k: int, workers: int, *,
         need_index: bool) -> tuple[FloatArray, IntArray | None]:
    """Distance to the k-th nearest other row (max-norm) and, optionally, the k neighbours
    (ties at the k-th distance go to the smaller row index, as a stable sort of the
    distances). Up to :data:`_TREE_DIM` dimensions the compiled k-d tree answers, above the
    projection-window kernel.
    """
    kern = _kernels()
    if z.shape[1] > _TREE_DIM:
        result: tuple[FloatArray, IntArray | None] = kern.knn(
            kern.Sorted(z), k, workers, need_index=need_index)
    else:
        result = kern.tree_knn(kern.Tree(z), k, workers, need_index=need_index)
    return result


def _kth_distance_sorted(s: FloatArray, order: IntArray, k: int) -> FloatArray:
    """Distance from each value to its k-th nearest other value (1-D), from the sorted
    values ``s`` and their ``order`` (``s = v[order]``)."""
    n = s.size
    pad = np.concatenate([np.full(k, -np.inf), s, np.full(k, np.inf)])
    pos = np.arange(n) + k
    offsets = np.concatenate([np.arange(-k, 0), np.arange(1, k + 1)])
    dist = np.abs(pad[pos[:, None] + offsets[None, :]] - s[:, None])
    kth = np.partition(dist, k - 1, axis=1)[:, k - 1]
    out = np.empty(n)
    out[order] = kth
    return out


def _duplicates(z: FloatArray) -> IntArray:
    """For each row, how many *other* rows are exactly equal to it."""
    _, inverse, counts = np.unique(z + 0.0, axis=0, return_inverse=True, return_counts=True)
    return np.asarray(counts[inverse.reshape(-1)] - 1, dtype=np.int64)


def _psi(values: npt.ArrayLike) -> FloatArray:
    return np.asarray(digamma(np.asarray(values, dtype=np.float64)), dtype=np.float64)


def _ksg_nats(zx: FloatArray, ymarg: _Marginal, k: int, algorithm: int,
              workers: int) -> float:
    """KSG estimate (Kraskov et al. 2004, Eq. 8 or 9) from prepared arrays."""
    zy = ymarg.z
    n = zx.shape[0]
    joint = np.ascontiguousarray(np.hstack([zx, zy]))
    eps, nbr = _knn(joint, k, workers, need_index=algorithm == 2)
    xmarg = _Marginal(zx, workers)
    if algorithm == 1:
        # eps_i = distance to the k-th joint neighbour; n_x = #{j != i: ||x_j - x_i|| < eps_i}
        r = _below(eps)
        nx = xmarg.count(r)
        ny = ymarg.count(r)
        val = _psi(k) + _psi(n) - np.mean(_psi(nx + 1)) - np.mean(_psi(ny + 1))
    else:
        # eps_x(i) = x-extent of the k joint neighbours; n_x = #{j != i: ||x_j - x_i|| <= eps_x}
        assert nbr is not None
        ex = np.abs(zx[nbr] - zx[:, None, :]).max(axis=(1, 2))
        ey = np.abs(zy[nbr] - zy[:, None, :]).max(axis=(1, 2))
        nx = xmarg.count(ex)
        ny = ymarg.count(ey)
        val = _psi(k) - 1.0 / k + _psi(n) - np.mean(_psi(nx)) - np.mean(_psi(ny))
    return float(val)


def _ksg_cmi_nats(zx: FloatArray, zy: FloatArray, zz: FloatArray, k: int,
                  workers: int) -> float:
    """Frenzel & Pompe (2007) conditional KSG estimate of I(X;Y|Z) from prepared arrays.

    ε_i is the max-norm distance from (x_i, y_i, z_i) to its k-th nearest neighbour; n_xz, n_yz
    and n_z count the other rows strictly inside ε_i in the (x, z), (y, z) and z subspaces.
    """
    joint = np.ascontiguousarray(np.hstack([zx, zy, zz]))
    eps, _ = _knn(joint, k, workers, need_index=False)
    r = _below(eps)
    n_xz = _Marginal(np.ascontiguousarray(np.hstack([zx, zz])), workers).count(r)
    n_yz = _Marginal(np.ascontiguousarray(np.hstack([zy, zz])), workers).count(r)
    n_z = _Marginal(zz, workers).count(r)
    return float(_psi(k) - np.mean(_psi(n_xz + 1) + _psi(n_yz + 1) - _psi(n_z + 1)))


class _Classes:
    """Label codes grouped by class, shared by every snapshot of a batched call."""

    __slots__ = ("codes", "dropped", "groups", "kept", "n_kept", "size", "small")

    def __init__(self, codes: IntArray, k: int) -> None:
        counts = np.bincount(codes)
        size = counts[codes]
        self.kept = size > 1                      # singleton classes carry no neighbours
        self.codes = codes[self.kept]
        self.size = size[self.kept]
        self.n_kept = int(self.kept.sum())
        self.dropped = int(codes.size - self.n_kept)
        self.small = int(np.sum((counts > 1) & (counts <= k)))
        order = np.argsort(self.codes, kind="stable")
        bounds = np.cumsum(np.bincount(self.codes))[:-1]
        self.groups = [g for g in np.split(order, bounds) if g.size > 0]

    def notes(self, k: int) -> list[str]:
        out = []
        if self.small:
            out.append(f"{self.small} class(es) have at most k={k} samples; their k is "
                       "reduced to (class size - 1), which increases the estimator's bias.")
        if self.dropped:
            out.append(f"{self.dropped} sample(s) are alone in their class and are left out "
                       "of the k-NN estimate (as scikit-learn does).")
        return out


def _ross_nats(zx: FloatArray, classes: _Classes, k: int, workers: int) -> float:
    """Ross (2014): I = ψ(N) - <ψ(N_y)> + <ψ(k_i)> - <ψ(m_i)>, counted in closed balls.

    d_i is the distance from x_i to its k-th nearest sample *of the same class* (k reduced to
    class size - 1 for small classes); k_i and m_i count the other samples of the same class,
    and of all classes, with ||x_j - x_i|| <= d_i. Without ties k_i = k and this is Ross's
    estimator exactly. With ties (quantised or saturated layers) the two counts stay on the
    same ball: at d_i = 0 this is the zero-radius rule of Gao et al. (2017), k_i = number of
    exact same-class ties, and ties *at* the radius do not inflate m_i against a fixed k.
    """
    x = zx[classes.kept] if classes.dropped else zx
    n = x.shape[0]
    radius = np.empty(n)
    k_i = np.empty(n, dtype=np.int64)
    for g in classes.groups:
        marginal = _Marginal(x[g], workers)
        radius[g] = marginal.kth_distance(min(k, g.size - 1))
        k_i[g] = marginal.count(radius[g])
    m = _Marginal(x, workers).count(radius)
    return float(_psi(classes.n_kept) - np.mean(_psi(classes.size)) + np.mean(_psi(k_i))
                 - np.mean(_psi(m)))


def _gao_radius(rho: FloatArray) -> FloatArray:
    """Counting radius of the Gao estimator: "< rho" where rho > 0, exact ties where rho = 0."""
    return np.where(rho > 0.0, _below(rho), 0.0)


def _gao_nats(zx: FloatArray, ymarg: _Marginal, k: int, workers: int) -> float:
    """Gao et al. (2017), mixed KSG, for real-valued x and y (digamma form, see MixedKSG)."""
    zy = ymarg.z
    n = zx.shape[0]
    joint = np.ascontiguousarray(np.hstack([zx, zy]))
    rho, _ = _knn(joint, k, workers, need_index=False)
    k_t = np.full(n, k, dtype=np.int64)
    zero = rho == 0.0
    if np.any(zero):
        k_t[zero] = _duplicates(joint)[zero]
    r = _gao_radius(rho)
    nx = _Marginal(zx, workers).count(r)
    ny = ymarg.count(r)
    return float(np.mean(_psi(k_t)) + _psi(n) - np.mean(_psi(nx + 1)) - np.mean(_psi(ny + 1)))


def _saturation_note(n: int) -> str:
    return (f"I(X;T) = log N = {math.log(n):.4g} nats: every row of T is distinct, so T "
            "identifies the input (X uniform over the rows). This is the exact value for a "
            "deterministic layer, not an estimate, and shows no compression; use Binning or "
            "KDE for a finite-resolution I(X;T).")


def _check_n(n: int, k: int) -> None:
    if n <= k:
        raise fail("k", f"smaller than the number of samples ({n})", k,
                   "Use a smaller k or more samples.")


def _few_samples_note(name: str, n: int, k: int, dim: int) -> str | None:
    need = max(10 * (k + 1), 10 * dim)
    if n < need:
        return (f"{name} with N={n} samples, k={k} and {dim} dimensions in all: the k-NN "
                f"balls are far from local and the estimate is strongly biased "
                f"(use N >= {need}).")
    return None


def _check_common(k: Any, n_jobs: Any) -> None:
    as_int("k", k, min_value=1)
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int | np.integer):
        raise TypeError(f"`n_jobs` must be an integer, got {n_jobs!r}.")
    if not (n_jobs >= 1 or n_jobs == -1):
        raise fail("n_jobs", "a positive integer or -1 (all cores)", n_jobs)


# ================================================================================ estimators

class _KNNPlane(Estimator):
    """The information-plane methods shared by :class:`KSG` and :class:`MixedKSG`."""

    k: int  # dataclass fields of each subclass
    n_jobs: int

    def _plane_nats(self, t: FloatArray, labels: IntArray) -> tuple[float, float]:
        """(H(T), k-NN estimate of I(T;Y)) — see the module docstring."""
        h, ity, notes = _plane(self, t, labels, self.n_jobs)
        for note in notes:
            warn(note)
        return h, ity

    def plane_many(self, snapshots: Sequence[npt.ArrayLike] | npt.NDArray[np.generic],
                   labels: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """(I(X;T_s), I(T_s;Y)) for many snapshots, the label grouping shared.

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> labels = rng.integers(0, 2, 500)
        >>> t = labels[:, None] + rng.standard_normal((500, 2))
        >>> ixt, ity = KSG().plane_many([np.round(t), np.round(t, 1)], labels)
        >>> ixt.round(2).tolist(), ity.round(2).tolist()           # coarser T, less of both
        ([3.05, 6.02], [0.23, 0.27])
        """
        return _plane_many(self, snapshots, labels, self.n_jobs)


@dataclass(frozen=True, kw_only=True)
class KSG(_KNNPlane):
    r"""Kraskov–Stögbauer–Grassberger k-NN estimator of I(X;Y) for continuous X and Y.

    Algorithm 1 (Kraskov et al. 2004, Eq. 8), with ε_i the max-norm distance from
    z_i = (x_i, y_i) to its k-th nearest neighbour and n_x(i) = #{j ≠ i : ‖x_j − x_i‖ < ε_i}::

        I = ψ(k) + ψ(N) − ⟨ψ(n_x + 1) + ψ(n_y + 1)⟩

    Algorithm 2 (Eq. 9), with ε_x(i), ε_y(i) the x- and y-extents of the k joint neighbours and
    n_x(i) = #{j ≠ i : ‖x_j − x_i‖ ≤ ε_x(i)}::

        I = ψ(k) − 1/k + ψ(N) − ⟨ψ(n_x) + ψ(n_y)⟩

    Norms are max-norms over the columns of each variable, so X and Y may have any dimensions.

    Parameters
    ----------
    k : int, default 3
        Number of neighbours. Larger k: less variance, more bias; small k (2–4) is usual.
    algorithm : {1, 2}, default 1
        Algorithm 1 has slightly smaller statistical errors, algorithm 2 slightly smaller
        systematic ones (Kraskov et al.); in the table below they differ by < 0.12 nats.
    jitter : float, default 1e-10
        Standard deviation of the tie-breaking noise, in units of each column's standard
        deviation (columns are centred and scaled to unit variance first; the noise is drawn
        from ``seed``). The estimator assumes no ties; repeated values (discrete or clipped
        data) otherwise distort the counts. scikit-learn adds 1e-10 noise too. ``0`` disables
        it (then ties are counted exactly as the inequalities say).
    n_jobs : int, default 2
        Threads of the k-NN queries and counts (threads of the compiled kernels); 1 runs on
        the calling thread only; -1 uses all cores.
    unit : {"nats", "bits"}
    seed : int
        Seed of the jitter. X, Y (and Z of ``estimate_conditional``) draw from independent
        streams (``default_rng([seed, 0])``, ``[seed, 1]``, ``[seed, 2]``), so
        ``estimate_many(xs, y)`` equals ``[estimate(x, y) for x in xs]`` exactly.

    Notes
    -----
    Bias. For independent X and Y the errors of the two marginal terms cancel (Kraskov et al.,
    Section III), so the estimate fluctuates around 0 with either sign — negative values are
    returned as they are, never clamped. For strong dependence KSG *underestimates*: the bias
    grows with I and the dimension (reliable estimates need N growing roughly like exp(I);
    Gao, Oh & Viswanath 2015). Measured on d-dimensional Gaussian pairs (coordinate-wise
    correlation ρ, true I in brackets), N = 2000, k = 3, algorithm 1, 30 seeds, in nats
    (mean error ± standard deviation; algorithm 2 is within 0.12 of these)::

        d    ρ = 0.3                 ρ = 0.6                 ρ = 0.9
        1    -0.003 ± 0.017 (0.05)   +0.001 ± 0.017 (0.22)   +0.008 ± 0.022 (0.83)
        2    +0.001 ± 0.020 (0.09)   +0.005 ± 0.027 (0.45)   -0.003 ± 0.031 (1.66)
        3    -0.006 ± 0.016 (0.14)   -0.037 ± 0.027 (0.67)   -0.22  ± 0.04  (2.49)
        5    -0.053 ± 0.029 (0.24)   -0.28  ± 0.04  (1.12)   -1.28  ± 0.04  (4.15)
        10   -0.26  ± 0.02  (0.47)   -1.25  ± 0.03  (2.23)   -5.18  ± 0.03  (8.30)

    With ρ = 0 the mean is within ±0.006 and the standard deviation 0.013–0.023 for every d.
    Rankings survive the bias (estimates grow with ρ at fixed d), which is what an
    information-plane trajectory needs; absolute values in high dimension do not.

    Small samples. A warning is issued when N < max(10 (k + 1), 10 (d_x + d_y)): the k-NN
    balls are then far from local. N ≤ k is an error.

    Cost. One joint k-NN query and one count per marginal (see the module docstring),
    measured against an NPEET-style cKDTree implementation run in the same process
    (``benchmarks/bench_estimators_ksg.py``, which prints the ratios, CPU and wall, and the
    growth exponents in N). The first call in a fresh environment compiles the kernel
    (about 10–20 s of CPU, once: the result is cached on disk); later processes load it in
    about a second.

    ``plane(t, labels)`` returns (H(T), I_Ross(T;Y)) with the labels categorical, no jitter
    (ties in T are counted exactly, see ``MixedKSG``): see the module docstring.

    Conditional MI. ``estimate_conditional(x, y, z)`` is Frenzel & Pompe (2007), the
    conditional form of algorithm 1: with ε_i the max-norm distance from (x_i, y_i, z_i) to
    its k-th nearest neighbour and n_xz(i), n_yz(i), n_z(i) the numbers of other rows strictly
    inside ε_i in the (x, z), (y, z) and z subspaces::

        I(X;Y|Z) = ψ(k) − ⟨ψ(n_xz + 1) + ψ(n_yz + 1) − ψ(n_z + 1)⟩

    Same preprocessing (z standardised and jittered from its own stream), same exact counts,
    ``k`` and ``n_jobs``; one joint k-NN query and three marginal counts. Only
    ``algorithm=1`` has a conditional form here (``algorithm=2`` raises ValueError). Measured
    errors on jointly Gaussian triples (k = 3, 10 seeds, nats, ``benchmarks/cmi_errors.py``):
    in a 3-D joint (chain, collider, random covariance; true CMI 0–0.14) the bias is below
    0.01 and the standard deviation 0.01–0.015 at N = 5000 (0.013–0.035 at N = 1000); with
    d_x = d_y = d_z = 2 and CMI 0.55 it underestimates by 0.04 at N = 5000 (0.085 at 1000).
    As for the MI, values are never clamped: a conditionally independent pair gives
    estimates of either sign around 0.

    Examples
    --------
    >>> import numpy as np
    >>> from infoplane.estimators.ksg import KSG
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(2000)
    >>> y = x + rng.standard_normal(2000)          # I = ½ log 2 ≈ 0.347 nats
    >>> round(KSG(k=3).estimate(x, y), 2)
    0.34

    X and Y share the cause Z and are independent given it (I(X;Y) = ½ log(4/3) ≈ 0.144,
    I(X;Y|Z) = 0; the small negative value is the estimator's noise, not clamped):

    >>> z = rng.standard_normal(2000)
    >>> x, y = z + rng.standard_normal(2000), z + rng.standard_normal(2000)
    >>> round(KSG(k=3).estimate(x, y), 2), round(KSG(k=3).estimate_conditional(x, y, z), 3)
    (0.15, -0.003)
    """

    k: int = 3
    algorithm: Literal[1, 2] = 1
    jitter: float = 1e-10
    n_jobs: int = 2

    has_conditional: ClassVar[bool] = True

    def _check(self) -> None:
        _check_common(self.k, self.n_jobs)
        if isinstance(self.algorithm, bool) or self.algorithm not in (1, 2):
            raise fail("algorithm", "1 or 2 (Kraskov et al. 2004, Eqs. 8 and 9)",
                       self.algorithm)
        as_float("jitter", self.jitter, min_value=0.0)

    def _conditional_nats(self, x: FloatArray, y: Any, z: Any) -> float:
        if self.algorithm != 1:
            raise fail("algorithm", "1 for estimate_conditional (Frenzel & Pompe 2007 is the "
                       "conditional form of algorithm 1)", self.algorithm,
                       "Use KSG(algorithm=1).")
        n = x.shape[0]
        _check_n(n, self.k)
        note = _few_samples_note("KSG", n, self.k, x.shape[1] + y.shape[1] + z.shape[1])
        if note:
            warn(note)
        return _ksg_cmi_nats(self._side(x, 0), self._side(y, 1), self._side(z, 2), self.k,
                             self.n_jobs)

    # ------------------------------------------------------------------------- internals
    def _side(self, z: FloatArray, stream: int) -> FloatArray:
        rng = np.random.default_rng([self.seed, stream])
        return _jittered(z, float(self.jitter), rng)

    def _estimate_nats(self, x: FloatArray, y: Any) -> float:
        n = x.shape[0]
        _check_n(n, self.k)
        note = _few_samples_note("KSG", n, self.k, x.shape[1] + y.shape[1])
        if note:
            warn(note)
        w = self.n_jobs
        ymarg = _Marginal(self._side(y, 1), w)
        return _ksg_nats(self._side(x, 0), ymarg, self.k, self.algorithm, w)

    def estimate_many(self, xs: Iterable[npt.ArrayLike], y: npt.ArrayLike) -> FloatArray:
        """I(X_s; Y) for many X_s sharing y; the prepared y and its counter are built once.

        Parameters
        ----------
        xs : iterable of array_like, each of shape (n,) or (n, d_x)
        y : array_like, shape (n,) or (n, d_y)

        Returns
        -------
        ndarray, shape (len(xs),)
            Estimates in ``self.unit``, equal to ``[self.estimate(x, y) for x in xs]``.

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> y = rng.standard_normal(1000)
        >>> xs = [y + s * rng.standard_normal(1000) for s in (0.5, 1.0, 2.0)]
        >>> est = KSG().estimate_many(xs, y)
        >>> bool(est[0] > est[1] > est[2])
        True
        """
        ys = as_samples("y", y)
        n = ys.shape[0]
        _check_n(n, self.k)
        w = self.n_jobs
        ymarg = _Marginal(self._side(ys, 1), w)
        out: list[float] = []
        notes: set[str] = set()
        for x in xs:
            xa = as_samples("x", x, n=n)
            note = _few_samples_note("KSG", n, self.k, xa.shape[1] + ys.shape[1])
            if note:
                notes.add(note)
            out.append(_ksg_nats(self._side(xa, 0), ymarg, self.k, self.algorithm, w))
        for note in sorted(notes):
            warn(note)
        return np.asarray(out, dtype=np.float64) / unit_factor(self.unit)


@dataclass(frozen=True, kw_only=True)
class MixedKSG(_KNNPlane):
    r"""k-NN estimators of I(X;Y) when Y (or both) is discrete or mixed.

    ``method="ross"`` (Ross 2014): continuous X, discrete labels Y. With d_i the distance from
    x_i to its k-th nearest neighbour *of the same class*, N_y(i) the size of that class and
    m_i = #{j ≠ i : ‖x_j − x_i‖ ≤ d_i} over all classes::

        I = ψ(N) − ⟨ψ(N_y)⟩ + ψ(k) − ⟨ψ(m)⟩

    ``method="gao"`` (Gao, Kannan, Oh & Viswanath 2017): X and Y arbitrary real arrays whose
    distributions may mix atoms and densities. With ρ_i the joint max-norm distance to the
    k-th neighbour, k̃_i = k if ρ_i > 0, else the number of exact joint ties (their rule), and
    n_x(i) = #{j ≠ i : ‖x_j − x_i‖ < ρ_i} (= #{j ≠ i : x_j = x_i} when ρ_i = 0)::

        I = ⟨ψ(k̃) + ψ(N) − ψ(n_x + 1) − ψ(n_y + 1)⟩

    This is the paper's estimator in digamma form: the paper writes log N − log(n_x + 1) −
    log(n_y + 1) with "≤ ρ_i" counts, which has the same limit but a finite-sample bias of
    about +1/n per marginal (−0.36 nats on the two-Gaussian mixture of the example below).
    With the digamma form and strict counts, continuous data give exactly KSG algorithm 1,
    continuous x with categorical y exactly Ross, and purely discrete data the plug-in MI up
    to ψ(n_xy − 1) in place of log n_xy (≈ −1.5 / n_xy per sample of a cell).

    Parameters
    ----------
    k : int, default 3
    method : {"ross", "gao"}, default "ross"
        ``"ross"`` needs discrete labels y (integers, booleans, strings; 2-D rows are joint
        labels). ``"gao"`` takes a real-valued y of any dimension (a metric: labels 0, 1, 2
        are points on a line, as far apart as their spacing over their std says; use
        ``"ross"`` for categorical labels).
    n_jobs : int, default 2
        Threads of the k-NN queries and counts; 1 runs on the calling thread only; -1 uses
        all cores.
    unit : {"nats", "bits"}
    seed : int
        Unused (both methods are deterministic); kept for the common protocol.

    Notes
    -----
    No jitter: exact ties carry meaning here. Columns are divided by their standard deviation
    (not centred, which could create ties), so estimates do not depend on feature scales.

    ``"ross"``: a class with at most k samples has its k reduced to (size − 1) and samples
    alone in their class are left out, both as scikit-learn's ``mutual_info_classif`` does,
    with a warning. Counts are taken in the same closed ball: k_i = #{same-class j ≠ i :
    ‖x_j − x_i‖ ≤ d_i}, which is k unless there are ties; so without ties this is exactly
    Ross's (and scikit-learn's) estimator, at d_i = 0 it is Gao's zero-radius rule, and ties
    *at* the radius (quantised or saturated layers) do not bias m_i against a fixed k.
    ``"gao"`` with ties at a positive radius (atoms closer than the k-NN scale) keeps k̃ = k,
    as in the paper.

    Like KSG, both estimates fluctuate around 0 with either sign for independent variables
    and are returned unclamped; strong dependence is underestimated. At N = 2000 the standard
    deviation on one-dimensional Gaussian mixtures is ≈ 0.015 nats and the bias below 0.005;
    on an atom-plus-density mixture ``"gao"`` is unbiased and ``"ross"`` ≈ −0.014 nats
    (``tests/test_estimators_ksg.py``).

    ``plane(t, labels)`` returns (H(T), I(T;Y)) with the labels categorical, by Ross's
    estimator for both methods (Gao's with a discrete metric on the labels reduces to it). See
    the module docstring for why I(X;T) is H(T).

    Examples
    --------
    >>> import numpy as np
    >>> from infoplane.estimators.ksg import MixedKSG
    >>> rng = np.random.default_rng(0)
    >>> labels = rng.integers(0, 2, 4000)
    >>> x = 2.0 * labels + rng.standard_normal(4000)  # I ≈ 0.337 nats (quadrature)
    >>> round(MixedKSG(k=3).estimate(x, labels), 2)
    0.36
    >>> round(MixedKSG(method="gao").estimate(x, labels), 2)   # labels as points on a line
    0.36
    """

    k: int = 3
    method: Literal["ross", "gao"] = "ross"
    n_jobs: int = 2

    y_discrete: ClassVar[bool] = True

    def _check(self) -> None:
        _check_common(self.k, self.n_jobs)
        choice("method", self.method, ("ross", "gao"))

    def _prepare(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, Any]:
        xs = as_samples("x", x)
        self._check_dimension("x", xs)
        if self.method == "ross":
            return xs, as_labels("y", y, n=xs.shape[0])
        ys = as_samples("y", y, n=xs.shape[0])
        self._check_dimension("y", ys)
        return xs, ys

    def _estimate_nats(self, x: FloatArray, y: Any) -> float:
        n = x.shape[0]
        _check_n(n, self.k)
        w = self.n_jobs
        zx = standardised(x, center=False)
        if self.method == "ross":
            classes = _Classes(y, self.k)
            _check_classes(classes)
            for note in classes.notes(self.k):
                warn(note)
            return _ross_nats(zx, classes, self.k, w)
        few = _few_samples_note("MixedKSG", n, self.k, x.shape[1] + y.shape[1])
        if few:
            warn(few)
        return _gao_nats(zx, _Marginal(standardised(y, center=False), w), self.k, w)

    def estimate_many(self, xs: Iterable[npt.ArrayLike], y: npt.ArrayLike) -> FloatArray:
        """I(X_s; Y) for many X_s sharing y (label groups, or y's counter, built once).

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> labels = rng.integers(0, 3, 1000)
        >>> xs = [labels + s * rng.standard_normal(1000) for s in (0.2, 1.0)]
        >>> est = MixedKSG().estimate_many(xs, labels)
        >>> bool(est[0] > est[1])
        True
        """
        w = self.n_jobs
        notes: list[str] = []
        classes: _Classes | None = None
        ymarg: _Marginal | None = None
        if self.method == "ross":
            codes = as_labels("y", y)
            n = codes.size
            classes = _Classes(codes, self.k)
            _check_n(n, self.k)
            _check_classes(classes)
            notes = classes.notes(self.k)
        else:
            ys = as_samples("y", y)
            n = ys.shape[0]
            _check_n(n, self.k)
            ymarg = _Marginal(standardised(ys, center=False), w)
        out: list[float] = []
        for x in xs:
            zx = standardised(as_samples("x", x, n=n), center=False)
            if classes is not None:
                out.append(_ross_nats(zx, classes, self.k, w))
            else:
                assert ymarg is not None
                note = _few_samples_note("MixedKSG", n, self.k, zx.shape[1] + ymarg.z.shape[1])
                if note and note not in notes:
                    notes.append(note)
                out.append(_gao_nats(zx, ymarg, self.k, w))
        for note in notes:
            warn(note)
        return np.asarray(out, dtype=np.float64) / unit_factor(self.unit)


# ============================================================================ plane helpers

def _check_classes(classes: _Classes) -> None:
    if classes.n_kept < 2:
        raise ValueError("`y` must have at least one class with two or more samples, got "
                         "only singleton classes. Discrete k-NN estimates need neighbours "
                         "of the same class; for real-valued y use MixedKSG(method='gao') "
                         "or KSG.")


def _plane(est: _KNNPlane, t: FloatArray, labels: IntArray,
           workers: int) -> tuple[float, float, list[str]]:
    """(H(T), I(T;Y), warnings) for one validated snapshot."""
    _check_n(t.shape[0], est.k)
    classes = _Classes(labels, est.k)
    _check_classes(classes)
    notes = classes.notes(est.k)
    h, saturated = row_entropy(t)
    if saturated:
        notes.append(_saturation_note(t.shape[0]))
    ity = _ross_nats(standardised(t, center=False), classes, est.k, workers)
    return h, ity, notes


def _plane_many(est: _KNNPlane, snapshots: Sequence[npt.ArrayLike] | npt.NDArray[np.generic],
                labels: npt.ArrayLike,
                workers: int) -> tuple[FloatArray, FloatArray]:
    codes = as_labels("labels", labels)
    n = codes.size
    _check_n(n, est.k)
    classes = _Classes(codes, est.k)
    _check_classes(classes)
    notes = classes.notes(est.k)
    ixt: list[float] = []
    ity: list[float] = []
    for t in snapshots:
        ta = as_samples("t", t, n=n)
        h, saturated = row_entropy(ta)
        if saturated and _saturation_note(n) not in notes:
            notes.append(_saturation_note(n))
        ixt.append(h)
        ity.append(_ross_nats(standardised(ta, center=False), classes, est.k, workers))
    for note in notes:
        warn(note)
    f = unit_factor(est.unit)
    return np.asarray(ixt) / f, np.asarray(ity) / f
