"""Pairwise-distance (KDE) bounds on the information plane of a noisy layer.

Saxe et al. (2018) measure a layer T = h(X) through a noisy copy T + Z, Z ~ N(0, σ² I): with X
uniform over the N probe inputs (each row of ``t`` is its own input, as in the information-plane
convention of the interpretation paper, Section 1.2), T + Z is a mixture of N Gaussians of
covariance σ² I centred at the rows h_1..h_N. Its entropy has no closed form, but Kolchinsky &
Tracey (2017) bound it with pairwise distances between the components,

    Ĥ_D = H(component) − (1/N) Σ_i log (1/N) Σ_j exp(−D(p_i ‖ p_j)),

an **upper** bound with the Kullback–Leibler divergence D = ‖h_i − h_j‖² / (2σ²) and a **lower**
bound with the Bhattacharyya distance D = ‖h_i − h_j‖² / (8σ²). With H(T + Z | X) = H(component)
= (d/2) log(2πeσ²) exactly,

    I(X; T+Z) = Ĥ(T+Z) − H(T+Z | X)   — a strict bracket: lower ≤ I(X; T+Z) ≤ upper,
    I(T+Z; Y) = Ĥ(T+Z) − Σ_y p(y) Ĥ(T+Z | Y=y)   — a *difference* of bounds, not a bracket.

The interpretation paper (Section 3.4) relies on Saxe et al.'s information planes, which report
the upper bound; ``KDE()`` does the same by default.

Implementation. Every quantity above is a row-wise log-sum-exp of one matrix of squared
distances, so the matrix is never materialised: it is tiled into blocks of ``chunk_size`` rows,
each block comes out of one BLAS product (the Gram trick ‖a − b‖² = ‖a‖² + ‖b‖² − 2a·b, folded
into an augmented product, float64, tiny negative distances clamped to 0), only the blocks on and
above the diagonal are computed (the matrix is symmetric), one ``exp`` serves both bounds
(exp(−D/2σ²) = exp(−D/8σ²)⁴), and the class-conditional sums come from the same block because
rows are sorted by label first (a class is a contiguous range of rows). No max-shift is needed:
every row contains its own term exp(0) = 1, so each sum lies in [1, N].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt

from infoplane._typing import FloatArray, IntArray, Unit
from infoplane._validation import as_int, choice, positive, unit_factor
from infoplane.discrete import entropy_from_counts
from infoplane.estimators.base import Estimator, as_labels, as_samples

__all__ = ["KDE", "KDEResult"]

Bound = Literal["upper", "lower", "both"]
_BOUNDS: tuple[str, ...] = ("upper", "lower", "both")

#: Exponents of the Bhattacharyya kernel are floored here before ``exp``: its fourth power (the
#: KL kernel) then stays a normal float (e^-680 > 2.2e-308), and the floor changes a sum that
#: is at least 1 by at most N·e^-170 (invisible in float64).
_EXP_FLOOR = -170.0


@dataclass(frozen=True)
class KDEResult:
    """Both pairwise-distance bounds for one layer snapshot.

    Attributes
    ----------
    ixt_upper, ixt_lower : float
        Upper (KL distances) and lower (Bhattacharyya distances) bounds on I(X; T+Z) with
        X uniform over the N rows: ``ixt_lower <= I(X; T+Z) <= ixt_upper`` always holds, and
        both lie in [0, log N].
    ity_upper, ity_lower : float
        I(T+Z; Y) = Ĥ(T+Z) − Σ_y p(y) Ĥ(T+Z | Y=y) evaluated with the upper, resp. lower,
        entropy estimator. **Not bounds**: each is a difference of two bounds of the same kind,
        so the true value may lie outside [ity_lower, ity_upper] and either may be the larger.
        Both lie in [−log N, H(Y)]; a negative value is the estimator's bias and is not clamped.
    unit : {"nats", "bits"}
        Unit of the four values.

    Examples
    --------
    >>> r = KDEResult(ixt_upper=2.0, ixt_lower=1.0, ity_upper=0.5, ity_lower=0.4)
    >>> r.pair("upper"), r.pair("both")
    ((2.0, 0.5), (1.5, 0.45))
    """

    ixt_upper: float
    ixt_lower: float
    ity_upper: float
    ity_lower: float
    unit: Unit = "nats"

    def pair(self, bound: Bound = "upper") -> tuple[float, float]:
        """(I(X;T), I(T;Y)) for one choice of ``bound`` ("both": the midpoint of the two).

        Examples
        --------
        >>> KDEResult(ixt_upper=2.0, ixt_lower=1.0, ity_upper=0.5, ity_lower=0.4).pair("lower")
        (1.0, 0.4)
        """
        choice("bound", bound, _BOUNDS)
        if bound == "upper":
            return self.ixt_upper, self.ity_upper
        if bound == "lower":
            return self.ixt_lower, self.ity_lower
        return (0.5 * (self.ixt_upper + self.ixt_lower),
                0.5 * (self.ity_upper + self.ity_lower))


@dataclass(frozen=True, kw_only=True)
class KDE(Estimator):
    """Kolchinsky–Tracey pairwise-distance bounds on the information plane (Saxe et al. 2018).

    The layer is observed through additive noise, T + Z with Z ~ N(0, σ² I) (``noise_var`` is
    σ²), and X is uniform over the N rows of ``t``. ``bounds(t, labels)`` returns all four
    numbers of :class:`KDEResult`; the protocol methods return the one selected by ``bound``.

    Parameters
    ----------
    noise_var : float, default 0.1
        σ² of the added Gaussian noise, in squared activation units (Saxe et al. use 0.1 for
        tanh layers). The estimates depend strongly on it: I(X; T+Z) → log N as σ² → 0 for
        distinct rows, and → 0 as σ² → ∞.
    bound : {"upper", "lower", "both"}, default "upper"
        What ``plane``, ``plane_many``, ``estimate`` and ``estimate_many`` return: the KL
        ("upper") or Bhattacharyya ("lower") estimator, or with "both" the midpoint of the two —
        for I(X; T+Z) the point in the bracket whose worst-case error is smallest (half the
        gap); for I(T+Z; Y) just the average of the two differences. ``bounds`` always returns
        both.
    chunk_size : int, default 512
        Rows per block of the distance matrix. Memory is about 16·chunk_size² bytes per thread
        (4 MiB at 512) plus O(N·d); N = 70,000 rows need well under 100 MB.
    n_threads : int, default 2
        Threads working on separate blocks (NumPy releases the GIL in BLAS, ``exp`` and sums).
        Whenever there is more than one block, BLAS itself is held to one thread meanwhile
        (``threadpoolctl``, a scikit-learn dependency): its threads would only contend on
        these thin products.
        Results are deterministic for a given (n_threads, chunk_size) and agree across them to
        about 1e-15 relative.
    unit : {"nats", "bits"}
    seed : int
        Unused (the estimator is deterministic); kept for the common protocol.

    Notes
    -----
    * ``plane(t, labels)`` → (I(X; T+Z), I(T+Z; Y)) with the selected ``bound``.
    * ``estimate(x, y)`` has no separate X: it is the I(T;Y) part with T = ``x`` (plus the
      noise) and ``y`` discrete labels, i.e. I(x + Z; y) by the same pairwise formula
      (``y_discrete = True``). ``estimate(t, np.arange(N))`` is therefore I(X; T+Z).
    * I(T+Z; Y) computed this way equals H(Y) + (1/N) Σ_i log(S_i^{y_i} / S_i), with
      S_i = Σ_j exp(−D_ij) and S_i^{y} the same sum over the rows of class y: it is at most
      H(Y) (plug-in label entropy), equals it when the classes are far apart relative to σ, and
      can be slightly negative when classes interleave.
    * Cost: O(N² d) flops and N²/2 exponentials, shared by both bounds and all classes.

    References
    ----------
    A. Kolchinsky and B. D. Tracey, "Estimating mixture entropy with pairwise distances",
    Entropy 19(7):361, 2017. A. M. Saxe et al., "On the information bottleneck theory of deep
    learning", ICLR 2018.

    Examples
    --------
    Two pairs of identical rows far apart (relative to σ): X has 4 equally likely values but
    T + Z only resolves 2 clusters, which are the two classes.

    >>> import numpy as np
    >>> t = np.array([[0.0, 0.0], [0.0, 0.0], [10.0, 0.0], [10.0, 0.0]])
    >>> r = KDE(noise_var=0.1).bounds(t, [0, 0, 1, 1])
    >>> print(f"{r.ixt_upper:.4f} {r.ixt_lower:.4f} {r.ity_upper:.4f}")
    0.6931 0.6931 0.6931
    >>> KDE(noise_var=0.1, unit="bits").plane(t, [0, 0, 1, 1])
    (1.0, 1.0)
    """

    noise_var: float = 0.1
    bound: Bound = "upper"
    chunk_size: int = 512
    n_threads: int = 2

    y_discrete: ClassVar[bool] = True

    def _check(self) -> None:
        positive("noise_var", self.noise_var)
        choice("bound", self.bound, _BOUNDS)
        as_int("chunk_size", self.chunk_size)
        as_int("n_threads", self.n_threads)

    # ------------------------------------------------------------------ public interface
    def bounds(self, t: npt.ArrayLike, labels: npt.ArrayLike) -> KDEResult:
        """Upper and lower pairwise estimates of I(X; T+Z) and I(T+Z; Y) in one pass.

        Parameters
        ----------
        t : array_like, shape (N,) or (N, d)
            Activations of one layer on the N probe inputs (a 1-D array is one unit).
        labels : array_like, shape (N,)
            Class of each row (integers, booleans or strings). Pass a constant array if only
            I(X; T+Z) is wanted (the I(T;Y) fields are then 0).

        Returns
        -------
        KDEResult
            Values in ``self.unit``.

        Examples
        --------
        >>> import numpy as np

        Identical rows: T + Z carries no information about X or Y.

        >>> r = KDE(noise_var=1.0).bounds(np.zeros((5, 3)), [0, 1, 0, 1, 0])
        >>> print(f"{r.ixt_upper:.3f} {r.ixt_lower:.3f} {r.ity_upper:.3f} {r.ity_lower:.3f}")
        0.000 0.000 0.000 0.000
        """
        ts = as_samples("t", t)
        plan = _LabelPlan.of(as_labels("labels", labels, n=ts.shape[0]))
        return self._result(self._bounds_nats(ts, plan))

    def bounds_many(self, snapshots: Sequence[npt.ArrayLike] | npt.NDArray[Any],
                    labels: npt.ArrayLike) -> list[KDEResult]:
        """:meth:`bounds` for many snapshots of one layer (labels validated and sorted once).

        Examples
        --------
        >>> import numpy as np
        >>> rs = KDE().bounds_many([np.zeros((4, 2)), 100 * np.eye(4)], [0, 0, 1, 1])
        >>> [round(r.ixt_upper, 4) for r in rs]
        [0.0, 1.3863]
        """
        plan, arrays = self._many(snapshots, labels)
        return [self._result(self._bounds_nats(ts, plan)) for ts in arrays]

    def plane_many(self, snapshots: Sequence[npt.ArrayLike] | npt.NDArray[Any],
                   labels: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """(I(X;T_s), I(T_s;Y)) for many snapshots, ``bound`` selected, labels prepared once.

        Examples
        --------
        >>> import numpy as np
        >>> ixt, ity = KDE().plane_many([np.zeros((4, 2)), 100 * np.eye(4)], [0, 0, 1, 1])
        >>> ixt.round(4).tolist(), ity.round(4).tolist()
        ([0.0, 1.3863], [0.0, 0.6931])
        """
        plan, arrays = self._many(snapshots, labels)
        pairs = [self._select(self._bounds_nats(ts, plan)) for ts in arrays]
        f = unit_factor(self.unit)
        arr = np.array(pairs, dtype=np.float64).reshape(-1, 2) / f
        return arr[:, 0], arr[:, 1]

    # ------------------------------------------------------------------------- internals
    def _many(self, snapshots: Sequence[npt.ArrayLike] | npt.NDArray[Any],
              labels: npt.ArrayLike) -> tuple[_LabelPlan, list[FloatArray]]:
        arrays = [as_samples(f"snapshots[{i}]", s) for i, s in enumerate(snapshots)]
        n = arrays[0].shape[0] if arrays else None
        plan = _LabelPlan.of(as_labels("labels", labels, n=n))
        for i, a in enumerate(arrays):
            if a.shape[0] != plan.n:
                raise ValueError(f"`snapshots[{i}]` must have one row per label ({plan.n}), "
                                 f"got {a.shape[0]}.")
        return plan, arrays

    def _result(self, nats: tuple[float, float, float, float]) -> KDEResult:
        f = unit_factor(self.unit)
        return KDEResult(ixt_upper=nats[0] / f, ixt_lower=nats[1] / f,
                         ity_upper=nats[2] / f, ity_lower=nats[3] / f, unit=self.unit)

    def _select(self, nats: tuple[float, float, float, float]) -> tuple[float, float]:
        return KDEResult(*nats).pair(self.bound)

    def _bounds_nats(self, t: FloatArray, plan: _LabelPlan) -> tuple[float, float, float, float]:
        sums = pairwise_kernel_sums(t[plan.order], plan.sorted_codes, noise_var=self.noise_var,
                                    chunk_size=self.chunk_size, n_threads=self.n_threads)
        return bounds_from_sums(sums, plan.entropy)

    def _estimate_nats(self, x: FloatArray, y: Any) -> float:
        return self._select(self._bounds_nats(x, _LabelPlan.of(y)))[1]

    def _plane_nats(self, t: FloatArray, labels: IntArray) -> tuple[float, float]:
        return self._select(self._bounds_nats(t, _LabelPlan.of(labels)))


@dataclass(frozen=True)
class _LabelPlan:
    """Rows sorted by label (stable), the sorted codes and the plug-in label entropy H(Y)."""

    order: IntArray
    sorted_codes: IntArray
    entropy: float

    @property
    def n(self) -> int:
        return int(self.order.size)

    @classmethod
    def of(cls, codes: IntArray) -> _LabelPlan:
        order = np.argsort(codes, kind="stable").astype(np.int64)
        return cls(order=order, sorted_codes=codes[order],
                   entropy=entropy_from_counts(np.bincount(codes)))


def bounds_from_sums(sums: FloatArray, label_entropy: float) -> tuple[float, float, float, float]:
    """(ixt_upper, ixt_lower, ity_upper, ity_lower) in nats from the kernel sums.

    ``sums`` is the (4, N) output of :func:`pairwise_kernel_sums`. With S_i = Σ_j k(h_i, h_j)
    and S_i^y the same sum restricted to row i's class: I(X;T) = log N − mean_i log S_i and
    I(T;Y) = H(Y) + mean_i log(S_i^y / S_i).

    Examples
    --------
    >>> import numpy as np
    >>> bounds_from_sums(np.ones((4, 3)), 0.0)
    (1.0986122886681098, 1.0986122886681098, 0.0, 0.0)
    """
    n = sums.shape[1]
    log_n = math.log(n)
    low_all, low_cls, up_all, up_cls = sums
    ixt_up = log_n - float(np.mean(np.log(up_all)))
    ixt_low = log_n - float(np.mean(np.log(low_all)))
    ity_up = label_entropy + float(np.mean(np.log(up_cls / up_all)))
    ity_low = label_entropy + float(np.mean(np.log(low_cls / low_all)))
    return ixt_up, ixt_low, ity_up, ity_low


def pairwise_kernel_sums(t: FloatArray, sorted_codes: IntArray, *, noise_var: float,
                         chunk_size: int = 512, n_threads: int = 2) -> FloatArray:
    """Row sums of the Bhattacharyya and KL kernels, over all rows and within each row's class.

    Parameters
    ----------
    t : ndarray, shape (N, d), float64
        Rows sorted so that ``sorted_codes`` is non-decreasing.
    sorted_codes : ndarray, shape (N,), int64
        Non-decreasing class codes.
    noise_var : float
        σ².
    chunk_size, n_threads : int
        Block size and number of worker threads.

    Returns
    -------
    ndarray, shape (4, N)
        Rows: Σ_j e^{-D_ij/8σ²}, the same over j in i's class, Σ_j e^{-D_ij/2σ²}, the same over
        j in i's class (D_ij = ‖t_i − t_j‖²). Every entry is in [1, N].

    Examples
    --------
    >>> import numpy as np
    >>> s = pairwise_kernel_sums(np.array([[0.0], [0.0], [100.0]]), np.array([0, 1, 1]),
    ...                          noise_var=1.0)
    >>> s.tolist()
    [[2.0, 2.0, 1.0], [1.0, 1.0, 1.0], [2.0, 2.0, 1.0], [1.0, 1.0, 1.0]]
    """
    n, d = t.shape
    z = t - t.mean(axis=0)
    z *= 1.0 / math.sqrt(8.0 * noise_var)
    sq = np.einsum("ij,ij->i", z, z)
    # left_i · right_j = 2 z_i·z_j − |z_i|² − |z_j|² = −‖t_i − t_j‖² / (8σ²)
    left = np.empty((n, d + 2))
    left[:, :d] = 2.0 * z
    left[:, d] = -sq
    left[:, d + 1] = -1.0
    right = np.empty((n, d + 2))
    right[:, :d] = z
    right[:, d] = 1.0
    right[:, d + 1] = sq

    b = max(1, min(chunk_size, n))
    starts = list(range(0, n, b))
    blocks = [(s, min(s + b, n)) for s in starts]
    # Per block: start of each class segment (relative) and the segment of each row.
    seg_starts: list[IntArray] = []
    seg_of_row: list[IntArray] = []
    for s, e in blocks:
        c = sorted_codes[s:e]
        first = np.flatnonzero(np.r_[True, c[1:] != c[:-1]]).astype(np.int64)
        seg_starts.append(first)
        seg_of_row.append(np.cumsum(np.r_[True, c[1:] != c[:-1]]).astype(np.int64) - 1)
    pairs = [(i, j) for i in range(len(blocks)) for j in range(i, len(blocks))]
    workers = max(1, min(n_threads, len(pairs)))

    def work(my_pairs: list[tuple[int, int]]) -> FloatArray:
        acc = np.zeros((4, n))
        buf_l = np.empty(b * b)
        buf_u = np.empty(b * b)
        for bi, bj in my_pairs:
            i0, i1 = blocks[bi]
            j0, j1 = blocks[bj]
            m, k = i1 - i0, j1 - j0
            e_low = np.matmul(left[i0:i1], right[j0:j1].T, out=buf_l[:m * k].reshape(m, k))
            np.clip(e_low, _EXP_FLOOR, 0.0, out=e_low)
            if bi == bj:
                np.fill_diagonal(e_low, 0.0)
            np.exp(e_low, out=e_low)
            e_up = np.multiply(e_low, e_low, out=buf_u[:m * k].reshape(m, k))
            np.multiply(e_up, e_up, out=e_up)
            for row, e in ((0, e_low), (2, e_up)):
                if bi == bj:
                    _diagonal_block(e, seg_starts[bi], seg_of_row[bi], acc[row, i0:i1],
                                    acc[row + 1, i0:i1])
                else:
                    _off_diagonal_block(e, sorted_codes, (i0, i1), (j0, j1), acc[row],
                                        acc[row + 1])
        return acc

    if len(pairs) == 1:
        return work(pairs)
    # Parallelism is over blocks: BLAS threads on these thin products would only contend.
    with _single_threaded_blas():
        if workers == 1:
            return work(pairs)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(work, [pairs[w::workers] for w in range(workers)]))
    total = parts[0]
    for p in parts[1:]:
        total += p
    return total


def _diagonal_block(e: FloatArray, seg_starts: IntArray, seg_of_row: IntArray,
                    acc_all: FloatArray, acc_cls: FloatArray) -> None:
    """A block on the diagonal (symmetric): row sums, and per-class row sums by segment."""
    if seg_starts.size == 1:
        rs = e.sum(axis=1)
        acc_all += rs
        acc_cls += rs
        return
    per_seg = np.add.reduceat(e, seg_starts, axis=1)
    acc_all += per_seg.sum(axis=1)
    acc_cls += per_seg[np.arange(e.shape[0]), seg_of_row]


def _off_diagonal_block(e: FloatArray, codes: IntArray, rows: tuple[int, int],
                        cols: tuple[int, int], acc_all: FloatArray,
                        acc_cls: FloatArray) -> None:
    """A block above the diagonal: it adds to its rows (row sums) and to its columns (column
    sums). Rows are sorted by class, so the two ranges share at most one class: the last class
    of the rows, which is the first class of the columns."""
    i0, i1 = rows
    j0, j1 = cols
    rs = e.sum(axis=1)
    cs = e.sum(axis=0)
    acc_all[i0:i1] += rs
    acc_all[j0:j1] += cs
    shared = codes[i1 - 1]
    if codes[j0] != shared:
        return
    a = int(np.searchsorted(codes[i0:i1], shared, side="left"))
    c = int(np.searchsorted(codes[j0:j1], shared, side="right"))
    if a == 0 and c == j1 - j0:  # the whole block is one class
        acc_cls[i0:i1] += rs
        acc_cls[j0:j1] += cs
        return
    sub = e[a:, :c]
    acc_cls[i0 + a:i1] += sub.sum(axis=1)
    acc_cls[j0:j0 + c] += sub.sum(axis=0)


def _single_threaded_blas() -> Any:
    """Hold BLAS to one thread while our own threads share the blocks (no oversubscription)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
