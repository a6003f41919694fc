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
each block comes out of one GEMM (the Gram trick ‖a − b‖² = ‖a‖² + ‖b‖² − 2a·b on centred rows,
folded into an augmented product), only the blocks on and above the diagonal are computed (the
matrix is symmetric), one ``exp`` serves both bounds (exp(−D/2σ²) = exp(−D/8σ²)⁴), and the
class-conditional sums come from the same block because rows are sorted by label first (a class
is a contiguous range of rows). No max-shift is needed: every row contains its own term
exp(0) = 1 (the diagonal is set exactly), so each sum lies in [1, N]; sums are clipped to that
range, which absorbs the few-ulp excess of tiny negative Gram distances. Exponents are floored
at −170 (float32: −87) only in blocks where the norm bound (‖z_i‖ + ‖z_j‖)² says a distance can
reach the floor, so that the fourth power never turns subnormal.

The blocks run on torch by default (MKL GEMM and a SIMD ``exp``: about 2× the CPU throughput of
NumPy's scalar float64 ``exp`` and OpenBLAS's GEMM on these thin K = d + 2 products, measured in
``benchmarks/bench_estimators_kde.py``); ``backend="numpy"`` runs the same blocks in NumPy.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt

from infoplane._requires import torch_available
from infoplane._typing import FloatArray, IntArray, Unit
from infoplane._validation import as_int, choice, fail, positive, unit_factor
from infoplane.discrete import entropy_from_counts
from infoplane.estimators.base import Estimator, as_labels, as_samples

__all__ = ["KDE", "KDEResult"]

Bound = Literal["upper", "lower", "both"]
DType = Literal["float64", "float32"]
Backend = Literal["torch", "numpy"]
_BOUNDS: tuple[str, ...] = ("upper", "lower", "both")
_DTYPES: tuple[str, ...] = ("float64", "float32")
_BACKENDS: tuple[str, ...] = ("torch", "numpy")
#: Largest accepted ``chunk_size``: one block buffer is 8·chunk_size² bytes per thread
#: (512 MiB at this limit), checked before anything is allocated.
MAX_CHUNK_SIZE = 8192
#: Most worker threads accepted (each holds one block buffer and a (4, N) accumulator).
MAX_THREADS = 64

#: Exponents of the Bhattacharyya kernel are floored here before ``exp``: its fourth power (the
#: KL kernel) then stays a normal float (e^-680 > 2.2e-308), and the floor changes a sum that
#: is at least 1 by at most N·e^-170 (invisible in float64).
_EXP_FLOOR = -170.0
#: float32: exp(-87) is still a normal float32 (its fourth power may underflow to 0 or a
#: subnormal, an error below 1e-37 per term).
_EXP_FLOOR_32 = -87.0


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
        Rows per block of the distance matrix, at most 8192. Memory is one block buffer of
        8·chunk_size² bytes per thread (2 MiB at 512; half in float32) plus O(N·d) and a
        (4, N) float64 accumulator per thread: N = 70,000 rows peak at about 35 MiB besides
        the input (measured, README).
    n_threads : int, default 2
        Threads working on separate blocks, at most 64 (torch and NumPy release the GIL in
        GEMM, ``exp`` and sums). Whenever there is more than one block, the library's own
        threads are held to one meanwhile (torch: ``torch.set_num_threads(1)``, restored
        afterwards, which is process-wide while the call runs; NumPy: ``threadpoolctl`` on
        BLAS): its threads would only contend on these thin products.
        Results are deterministic for a given (n_threads, chunk_size) and agree across them to
        about 1e-15 relative.
    dtype : {"float64", "float32"}, default "float64"
        Precision of the distance blocks and their exponentials; row sums are accumulated in
        float64 either way. float32 is about 1.6× faster than float64 with torch and 3× with
        NumPy (half the memory traffic; NumPy has a SIMD ``exp`` only for float32), at an
        error that grows with how far rows lie from their mean in units of the noise: with
        u = 2⁻²⁴ and Q = max_i ‖t_i − t̄‖² / (8σ²), each exponent of the float32 Gram trick is
        off by at most about 4(d + 4)·u·Q, hence each of the four values by at most
        2·(16(d + 4)·u·Q + (log₂ chunk_size + 8)·u) nats (the KL kernel quadruples exponents;
        I(T;Y) is a difference of two log-sums). Measured errors are far below that worst case:
        at most 0.25·u·Q over 22 layer/σ² settings; 1e-11–4e-7 nats on the tanh and ReLU
        layers tried (N = 4096, d = 10, σ² from 0.001 to 1, Q up to 2.5e4); 2.4e-5–2.7e-5 nats
        for two tight clusters far apart (Q ≈ 1e4–1e5), where the Gram trick cancels four or
        five of float32's seven digits. Prefer float64 (the default) when u·Q is not small
        against the precision you need.
    backend : {"torch", "numpy"}, default "torch"
        Array library for the blocks. Both give the same float64 values to ~1e-15 relative;
        torch (a dependency of infoplane) is about 2× faster in float64, and is imported on
        the first call (a few seconds and ~200 MiB of resident memory, once per process, and
        nothing extra when the network under study already runs in torch). "numpy" avoids
        importing torch. Without PyTorch installed (it is the ``torch`` extra) "torch" runs
        the NumPy blocks: the values are the same, only slower.
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
    * Cost: O(N² d) flops and N²/2 exponentials, shared by both bounds and all classes. At
      N = 4096, d = 10 this is about 2× faster in CPU time than infoplane's previous NumPy
      kernel and 15–30× faster than full-matrix ``cdist`` + ``logsumexp`` (README table).

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
    dtype: DType = "float64"
    backend: Backend = "torch"

    y_discrete: ClassVar[bool] = True

    def _check_dimension(self, name: str, arr: FloatArray) -> None:
        """No d >= n refusal: the bounds need only pairwise distances, well defined in any
        dimension, and ``estimate`` must agree with ``plane`` (a 1000-unit layer probed with
        500 inputs is an ordinary information plane)."""

    def _check(self) -> None:
        positive("noise_var", self.noise_var)
        choice("bound", self.bound, _BOUNDS)
        if as_int("chunk_size", self.chunk_size) > MAX_CHUNK_SIZE:
            raise fail("chunk_size", f"an integer <= {MAX_CHUNK_SIZE}", self.chunk_size,
                       f"(a block buffer takes 8·chunk_size² bytes per thread; "
                       f"{MAX_CHUNK_SIZE} is already 512 MiB)")
        if as_int("n_threads", self.n_threads) > MAX_THREADS:
            raise fail("n_threads", f"an integer <= {MAX_THREADS}", self.n_threads)
        choice("dtype", self.dtype, _DTYPES)
        choice("backend", self.backend, _BACKENDS)

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

    def bounds_many(self, snapshots: Sequence[npt.ArrayLike] | npt.NDArray[np.generic],
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

    def plane_many(self, snapshots: Sequence[npt.ArrayLike] | npt.NDArray[np.generic],
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
    def _many(self, snapshots: Sequence[npt.ArrayLike] | npt.NDArray[np.generic],
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
                                    chunk_size=self.chunk_size, n_threads=self.n_threads,
                                    dtype=self.dtype, backend=self.backend)
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
                         chunk_size: int = 512, n_threads: int = 2,
                         dtype: DType = "float64", backend: Backend = "torch") -> FloatArray:
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
    dtype : {"float64", "float32"}
        Precision of the distance blocks and their exponentials (sums accumulate in float64).
    backend : {"torch", "numpy"}
        Array library for the blocks (see :class:`KDE`).

    Returns
    -------
    ndarray, shape (4, N), float64
        Rows: Σ_j e^{-D_ij/8σ²}, the same over j in i's class, Σ_j e^{-D_ij/2σ²}, the same over
        j in i's class (D_ij = ‖t_i − t_j‖²). Every entry is in [1, N] (clipped there: rounding
        can leave a sum a few ulps outside).

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
    if backend == "torch" and not torch_available():  # torch is the optional extra
        backend = "numpy"
    np_dtype = np.float32 if dtype == "float32" else np.float64
    left = np.empty((n, d + 2), dtype=np_dtype)
    left[:, :d] = 2.0 * z
    left[:, d] = -sq
    left[:, d + 1] = -1.0
    right = np.empty((n, d + 2), dtype=np_dtype)
    right[:, :d] = z
    right[:, d] = 1.0
    right[:, d + 1] = sq
    floor = _EXP_FLOOR if dtype == "float64" else _EXP_FLOOR_32

    b = max(1, min(chunk_size, n))
    blocks = [(s, min(s + b, n)) for s in range(0, n, b)]
    # ‖z_i − z_j‖ ≤ ‖z_i‖ + ‖z_j‖: a block whose bound stays above the floor needs no clamp.
    norms = np.sqrt(sq)
    class_edges = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1], True])
    # Tiles on and above the diagonal. A diagonal block is computed whole (both triangles), so
    # large ones are split in half — two smaller diagonal tiles and one off-diagonal tile —
    # which skips a quarter of their (wasted) lower triangle: ~5% fewer exp at N = 4096.
    pairs: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for bi, rows in enumerate(blocks):
        s0, e0 = rows
        if e0 - s0 >= 256:
            h = (s0 + e0) // 2
            pairs += [((s0, h), (s0, h)), ((s0, h), (h, e0)), ((h, e0), (h, e0))]
        else:
            pairs.append((rows, rows))
        pairs += [(rows, cols) for cols in blocks[bi + 1:]]
    reach = {r: float(norms[r[0]:r[1]].max()) for pair in pairs for r in pair}
    workers = max(1, min(n_threads, len(pairs)))
    acc = np.zeros((workers, 4, n))

    xp: Any
    left_x: Any
    right_x: Any
    if backend == "torch":
        import torch
        xp = torch
        left_x, right_x = torch.from_numpy(left), torch.from_numpy(right)
        accs: list[Any] = [torch.from_numpy(a) for a in acc]

        def new_buffer() -> Any:  # NumPy-owned memory, so tracemalloc sees it too
            return torch.from_numpy(np.empty(b * b, dtype=np_dtype))
    else:
        xp = np
        left_x, right_x, accs = left, right, list(acc)

        def new_buffer() -> Any:
            return np.empty(b * b, dtype=np_dtype)

    def work(w: int) -> None:
        out = accs[w]
        buf = new_buffer()
        for rows, cols in pairs[w::workers]:
            i0, i1 = rows
            j0, j1 = cols
            m, k = i1 - i0, j1 - j0
            e = buf[:m * k].reshape(m, k)
            xp.matmul(left_x[i0:i1], right_x[j0:j1].T, out=e)
            if (reach[rows] + reach[cols]) ** 2 > -floor:
                xp.clip(e, floor, None, out=e)
            if i0 == j0:
                e.reshape(-1)[::k + 1] = 0.0  # the diagonal: exactly exp(0) = 1
            xp.exp(e, out=e)
            rects = _same_class_rects(class_edges, (i0, i1), (j0, j1))
            _accumulate(e, out[0], out[1], (i0, i1), (j0, j1), rects)
            xp.multiply(e, e, out=e)
            xp.multiply(e, e, out=e)  # KL kernel = Bhattacharyya kernel ** 4
            _accumulate(e, out[2], out[3], (i0, i1), (j0, j1), rects)

    with _one_thread_each(backend, workers > 1 or len(pairs) > 1):
        if workers == 1:
            work(0)
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(work, range(workers)))
    total: FloatArray = acc.sum(axis=0)
    np.clip(total[0], 1.0, n, out=total[0])
    np.clip(total[2], 1.0, n, out=total[2])
    np.clip(total[1], 1.0, total[0], out=total[1])
    np.clip(total[3], 1.0, total[2], out=total[3])
    return total


def _same_class_rects(class_edges: IntArray, rows: tuple[int, int],
                      cols: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """Sub-rectangles (r0, r1, c0, c1), relative to the block, where row and column share a
    class. Rows are sorted by class, so each class is one range ``class_edges[c]:[c+1]``."""
    i0, i1 = rows
    j0, j1 = cols
    lo = int(np.searchsorted(class_edges, max(i0, j0), side="right")) - 1
    hi = int(np.searchsorted(class_edges, min(i1, j1) - 1, side="right")) - 1
    if i1 <= j0:  # off-diagonal block: only the last class of the rows can reach the columns
        lo = int(np.searchsorted(class_edges, i1 - 1, side="right")) - 1
        hi = lo
    out = []
    for c in range(lo, hi + 1):
        a, z = int(class_edges[c]), int(class_edges[c + 1])
        r0, r1 = max(a, i0), min(z, i1)
        c0, c1 = max(a, j0), min(z, j1)
        if r0 < r1 and c0 < c1:
            out.append((r0 - i0, r1 - i0, c0 - j0, c1 - j0))
    return out


def _accumulate(e: Any, acc_all: Any, acc_cls: Any, rows: tuple[int, int],
                cols: tuple[int, int], rects: list[tuple[int, int, int, int]]) -> None:
    """Add one block's row sums (and, above the diagonal, column sums: the matrix is
    symmetric) to the totals, and the same-class sub-rectangles' sums to the class totals."""
    i0, i1 = rows
    j0, j1 = cols
    m, k = i1 - i0, j1 - j0
    diagonal = i0 == j0
    rs = e.sum(axis=1)
    acc_all[i0:i1] += rs
    cs = None if diagonal else e.sum(axis=0)
    if cs is not None:
        acc_all[j0:j1] += cs
    for r0, r1, c0, c1 in rects:
        if (r0, r1, c0, c1) == (0, m, 0, k):
            acc_cls[i0:i1] += rs
            if cs is not None:
                acc_cls[j0:j1] += cs
            continue
        sub = e[r0:r1, c0:c1]
        acc_cls[i0 + r0:i0 + r1] += sub.sum(axis=1)
        if not diagonal:
            acc_cls[j0 + c0:j0 + c1] += sub.sum(axis=0)


@contextmanager
def _one_thread_each(backend: Backend, active: bool) -> Iterator[None]:
    """Hold the array library to one thread while our own threads share the blocks (its
    threads would only contend on these thin products); the previous setting is restored."""
    if not active:
        yield
        return
    if backend == "torch":
        import torch
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
