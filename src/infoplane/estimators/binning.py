"""Binning (plug-in) mutual information: the estimator of Shwartz-Ziv & Tishby's information plane.

A layer's activations T (N probe inputs × d units) are discretised unit by unit; a row's
*pattern* is the tuple of its d codes, and entropies are plug-in (maximum-likelihood) entropies
of the patterns' empirical distribution.

Binning rules (``mode``)
------------------------
``"edges"`` (default) — the convention of Shwartz-Ziv & Tishby (2017) and their code
    (``ravidziv/IDNNs``: ``bins = np.linspace(-1, 1, num_of_bins)``, ``np.digitize``):
    ``n_bins`` is the number of **edges** ``E = float32(np.linspace(lo, hi, n_bins))``
    (the original casts its edges to float32; we do too, whatever the activations' dtype, so
    float32 and float64 inputs give the same codes), and a value's code is
    ``np.digitize(v, E)`` = #{k : E[k] <= v}, i.e.

    ============================  ==================================================
    code                          values
    ============================  ==================================================
    0                             v < lo (below the range)
    k = 1 .. n_bins - 1           E[k-1] <= v < E[k] (bins of width (hi-lo)/(n_bins-1))
    n_bins                        v >= hi (the point hi, e.g. a saturated tanh at 1.0)
    ============================  ==================================================

    With the defaults (30 edges on [-1, 1]) that is 29 bins of width 2/29 plus the point 1.0
    (the papers say "30 bins over -1 and 1"; the code makes 30 edges).
    *Difference from the original:* IDNNs indexes ``bins[digitize(v) - 1]``, which sends
    v < lo to ``bins[-1]`` = hi, so values below the range share the code of v >= hi; we keep
    them apart (identical results whenever all values are >= lo, e.g. tanh, sigmoid, softmax).
``"width"`` — fixed bin width, as Saxe et al. (2018): ``code = floor(v / bin_width)``
    (computed in float64), unbounded, anchored at 0.
``"adaptive"`` — the ``"edges"`` rule on the snapshot's own range, for unbounded activations
    (ReLU): ``np.digitize(v, np.linspace(t.min(), t.max(), n_bins))`` in float64, with one
    range per layer snapshot (over all its units and rows). The maximum gets the top code.
``"quantile"`` — equal-frequency bins per unit: unit j of a snapshot uses the edges
    ``np.quantile(t[:, j], np.linspace(0, 1, n_bins))`` (NumPy's default linear
    interpolation) and ``np.digitize`` as above; tied values never split, so a unit with many
    ties (ReLU zeros) has fewer, unequal bins.

Integer, boolean (and, in :meth:`Binning.estimate`, string) inputs are taken as codes already
and are not binned.

Information plane
-----------------
``plane(t, labels)`` follows :mod:`infoplane.estimators.base`: X is uniform over the N rows,
each row its own input. For discrete X whose inputs are all distinct and T = h(X)
deterministic, H(T | X) = 0, hence

    I(X;T) = H(T)        and        I(T;Y) = H(T) - H(T|Y) = H(T) + H(Y) - H(T,Y),

which is what the original procedure computes with a loop over the inputs (the
interpretation paper, Section 1.2: P(T|x) for each x, then P(T, Y) = Σ_x P(x, Y) P(T|x);
H(T|X=x) = 0 for every distinct x). We use the identity directly: one sort of the packed
patterns per snapshot gives H(T) and H(T,Y). If your probe set repeats inputs, pass each
distinct input once (or use :meth:`Binning.estimate` with the inputs' codes as ``x``).

Ceiling and saturation: I(X;T) = H(T) <= log N, with equality exactly when every row has its
own pattern (``n_patterns == N``). An estimate at the ceiling is **saturated**: the binning is
too fine to merge any inputs, so the value reflects the bin resolution and N, not the layer.
(Appendix C of the interpretation paper: the binned I(X; g(X)) of a continuous X depends on
the mesh Δ and has no finite limit as Δ → 0; only a discrete variable such as Y, or a fixed
mesh, gives a meaningful number.) :meth:`Binning.plane_details` and
:meth:`Binning.plane_many_details` report the ceiling, the saturation flag, the number of
distinct patterns, the bin occupancy and out-of-range values; ``plane`` warns about them.

Bias: plug-in entropies are biased low by about (K - 1)/(2N) nats for K occupied patterns
(Miller 1955; Paninski 2003), and by much more when N is not large against the number of
possible patterns. ``correction=`` applies one of the estimators of :mod:`infoplane.discrete`
("miller_madow", "grassberger", "chao_shen", "nsb"; formulas and references there) to every
entropy: I(X;T) = H_c(T) and I(T;Y) = H_c(T) + H_c(Y) - H_c(T,Y). For Miller–Madow that is
I(X;T) = H(T) + (K_T - 1)/(2N) (which may exceed log N) and
I(T;Y) += (K_T + K_Y - K_TY - 1)/(2N). Corrected values may exceed log N or be negative:
nothing is clamped. NSB uses K = the number of observed patterns of each entropy (the number
of possible patterns of a layer, (n_bins + 1)^d, is rarely the support that matters);
``miller_madow=True`` is an alias of ``correction="miller_madow"``.

Discrete and conditional MI: :meth:`Binning.estimate` and :meth:`Binning.estimate_conditional`
read integer (boolean, string) inputs as codes and bin real ones, then compute
H(X) + H(Y) - H(X,Y), or H(X,Z) + H(Y,Z) - H(X,Y,Z) - H(Z), with the same correction; each
costs one sort of packed int64 keys (O(N log N)), however many classes y has.

Speed: :meth:`Binning.plane_many` digitises a stacked (S, N, d) array chunk by chunk with
arithmetic (exactly corrected at the edges), packs each row into one int64 key (mixed radix;
exact re-ranking when a layer is too wide for 62 bits), appends the label in the low bits,
and sorts each snapshot's keys once: H(T,Y) and H(T) come from the run lengths of the sorted
keys (with and without the label bits), vectorised across snapshots.

References
----------
Shwartz-Ziv, R., Tishby, N. (2017). Opening the black box of deep neural networks via
information. arXiv:1703.00810.
Saxe, A. M., et al. (2018). On the information bottleneck theory of deep learning. ICLR.
Paninski, L. (2003). Estimation of entropy and mutual information. Neural Computation 15.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt

from infoplane._typing import FloatArray, IntArray, Unit
from infoplane._validation import as_float, as_int, check_memory, choice, fail, unit_factor
from infoplane.discrete import (
    Correction,
    _check_correction,
    _cmi_nats,
    _entropy_nats,
    _grassberger_table,
    joint_codes,
)
from infoplane.estimators.base import Estimator, as_labels, as_samples, warn

__all__ = ["Binning", "BinningResult", "BinningResults", "Mode"]

Mode = Literal["edges", "width", "adaptive", "quantile"]
_MODES: tuple[str, ...] = ("edges", "width", "adaptive", "quantile")

#: Values, and rows, per chunk of the batched path (temporaries of a few MB at most).
_CHUNK_VALUES = 1 << 18
_CHUNK_ROWS = 1 << 14
#: A layer is "mostly empty" below this fraction of occupied bins.
_MIN_OCCUPANCY = 0.5
#: Largest max(|lo|, |hi|) / bin width for which float32 edges are resolved exactly.
_MAX_EDGE_RATIO = 1e5
#: Bytes planned per edge (float32 and float64 edges, the lookup table, one temporary).
_BYTES_PER_EDGE = 32.0
#: Bits available for a packed key (the label is appended in the low bits).
_KEY_BITS = 62

BoolArray = npt.NDArray[np.bool_]


# ----------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class BinningResult:
    """The information-plane pair of one layer snapshot, with the binning's diagnostics.

    Attributes
    ----------
    ixt, ity : float
        I(X;T) = H(T) and I(T;Y), in ``unit``.
    ceiling : float
        log N in ``unit``: the largest possible I(X;T) (every row its own pattern).
    h_y : float
        H(Y) in ``unit``, the largest possible I(T;Y).
    n_patterns : int
        Distinct binned patterns K_T among the N rows.
    n_samples : int
        N.
    saturated : bool
        ``n_patterns == N`` (and N > 1): I(X;T) is at the ceiling and says nothing about the
        layer beyond "the bins separate every input".
    occupancy : float
        Fraction of the ``n_bins - 1`` bins between the outer edges holding at least one
        value of the snapshot (any unit); NaN for ``mode="width"`` and integer codes.
    out_of_bounds : bool
        Some value lies outside ``bounds`` (``mode="edges"`` only).
    unit : {"nats", "bits"}

    Examples
    --------
    >>> r = Binning(unit="bits").plane_details([[0.1], [0.5]], [0, 1])
    >>> r.ixt, r.ity, r.ceiling, r.saturated
    (1.0, 1.0, 1.0, True)
    """

    ixt: float
    ity: float
    ceiling: float
    h_y: float
    n_patterns: int
    n_samples: int
    saturated: bool
    occupancy: float
    out_of_bounds: bool
    unit: Unit


@dataclass(frozen=True)
class BinningResults:
    """Information-plane pairs of S snapshots (one layer over many epochs, say).

    Attributes
    ----------
    ixt, ity : ndarray, shape (S,)
        I(X;T_s) and I(T_s;Y) in ``unit``.
    n_patterns : ndarray of int, shape (S,)
    saturated : ndarray of bool, shape (S,)
    occupancy : ndarray, shape (S,)
    out_of_bounds : ndarray of bool, shape (S,)
    ceiling, h_y : float
        log N and H(Y) in ``unit`` (shared by all snapshots).
    n_samples : int
    unit : {"nats", "bits"}

    See :class:`BinningResult` for the meaning of each field; ``results[s]`` is snapshot s.

    Examples
    --------
    >>> res = Binning().plane_many_details([[[0.1], [0.5]], [[0.1], [0.1]]], [0, 1])
    >>> res.saturated.tolist(), len(res), res[1].ixt
    ([True, False], 2, 0.0)
    """

    ixt: FloatArray
    ity: FloatArray
    n_patterns: IntArray
    saturated: BoolArray
    occupancy: FloatArray
    out_of_bounds: BoolArray
    ceiling: float
    h_y: float
    n_samples: int
    unit: Unit

    def __len__(self) -> int:
        return int(self.ixt.shape[0])

    def __getitem__(self, s: int) -> BinningResult:
        return BinningResult(
            ixt=float(self.ixt[s]), ity=float(self.ity[s]), ceiling=self.ceiling,
            h_y=self.h_y, n_patterns=int(self.n_patterns[s]), n_samples=self.n_samples,
            saturated=bool(self.saturated[s]), occupancy=float(self.occupancy[s]),
            out_of_bounds=bool(self.out_of_bounds[s]), unit=self.unit)


@dataclass(frozen=True)
class _Labels:
    """Validated labels: dense codes 0..K-1, their counts, plug-in entropy (nats), bit width."""

    codes: IntArray
    counts: IntArray
    k: int
    h: float
    bits: int


@dataclass(frozen=True)
class _Stats:
    """Per-snapshot sufficient statistics: entropies (nats, with the estimator's correction)."""

    h_t: FloatArray
    h_ty: FloatArray
    k_t: IntArray
    k_ty: IntArray
    occupancy: FloatArray
    out_of_bounds: BoolArray


# --------------------------------------------------------------------------------- estimator
@dataclass(frozen=True, kw_only=True)
class Binning(Estimator):
    """Plug-in mutual information of binned activations (Shwartz-Ziv & Tishby 2017).

    See the module docstring for the exact binning rules, the identity I(X;T) = H(T) used by
    the information plane, the ceiling log N, and the bias.

    Parameters
    ----------
    n_bins : int, default 30
        Number of **edges** (the original's ``num_of_bins``): ``n_bins - 1`` bins between them.
        Modes "edges", "adaptive", "quantile".
    bounds : (float, float), default (-1.0, 1.0)
        (lo, hi) of the edges in mode "edges" (the range of tanh).
    mode : {"edges", "width", "adaptive", "quantile"}, default "edges"
    bin_width : float, optional
        Bin width of mode "width" (required there, rejected elsewhere).
    miller_madow : bool, default False
        Alias of ``correction="miller_madow"`` (kept for compatibility; both spellings make
        equal estimators).
    correction : {"plugin", "miller_madow", "grassberger", "chao_shen", "nsb"}, default "plugin"
        Entropy estimator applied to every entropy (see :mod:`infoplane.discrete`).
    unit : {"nats", "bits"}, default "nats"
    seed : int, default 0
        Unused (the estimator is deterministic); kept for the common protocol.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(-0.875, 0.875, 8)[:, None]          # 8 inputs, one unit
    >>> ixt, ity = Binning(unit="bits").plane(t, [0, 0, 0, 0, 1, 1, 1, 1])
    >>> round(ixt, 12), round(ity, 12)                       # 8 patterns: log2(8) bits
    (3.0, 1.0)
    >>> ixt, ity = Binning(n_bins=3, unit="bits").plane(t, [0, 0, 0, 0, 1, 1, 1, 1])
    >>> round(ixt, 12), round(ity, 12)                       # edges -1, 0, 1: two patterns
    (1.0, 1.0)
    """

    n_bins: int = 30
    bounds: tuple[float, float] = (-1.0, 1.0)
    mode: Mode = "edges"
    bin_width: float | None = None
    miller_madow: bool = False
    correction: Correction = "plugin"

    has_conditional: ClassVar[bool] = True

    # --------------------------------------------------------------------------- options
    def _check(self) -> None:
        choice("mode", self.mode, _MODES)
        as_int("n_bins", self.n_bins, min_value=2)
        object.__setattr__(self, "n_bins", int(self.n_bins))
        # before any edge is built: the float32/float64 edges, their lookup table, temporaries
        check_memory("n_bins", self.n_bins, _BYTES_PER_EDGE * self.n_bins,
                     f"{self.n_bins} bin edges", "Use fewer bins (n_bins - 1 bins between "
                     "n_bins edges; a sample of N rows fills at most N of them).")
        if not isinstance(self.miller_madow, bool | np.bool_):
            raise TypeError(f"`miller_madow` must be True or False, got {self.miller_madow!r}.")
        corr = _check_correction(self.correction)
        if self.miller_madow:
            if corr not in ("plugin", "miller_madow"):
                raise fail("miller_madow", f"False when correction={corr!r} (it is an alias of "
                           "correction='miller_madow')", True)
            corr = "miller_madow"
        object.__setattr__(self, "correction", corr)
        object.__setattr__(self, "miller_madow", corr == "miller_madow")
        b = self.bounds
        if isinstance(b, str) or not isinstance(b, Sequence | np.ndarray) or len(b) != 2:
            raise fail("bounds", "a pair (lo, hi)", b)
        lo, hi = as_float("bounds[0]", b[0]), as_float("bounds[1]", b[1])
        if not lo < hi:
            raise fail("bounds", "(lo, hi) with lo < hi", b)
        object.__setattr__(self, "bounds", (lo, hi))
        if self.mode == "width":
            if self.bin_width is None:
                raise fail("bin_width", "a positive number when mode='width'", None,
                           "For example Binning(mode='width', bin_width=0.07).")
            w = as_float("bin_width", self.bin_width, min_value=0.0, strict_min=True)
            object.__setattr__(self, "bin_width", w)
        elif self.bin_width is not None:
            raise fail("bin_width", f"None when mode={self.mode!r} (it is used by mode='width')",
                       self.bin_width)
        if self.mode == "edges":
            e = self._edges32()
            step = (hi - lo) / (self.n_bins - 1)
            if np.any(np.diff(e) <= 0) or max(abs(lo), abs(hi)) / step > _MAX_EDGE_RATIO:
                raise fail("bounds", "wide enough for float32 edges "
                           f"(max(|lo|, |hi|) / bin width <= {_MAX_EDGE_RATIO:g})", b,
                           f"(with n_bins={self.n_bins}). Use fewer bins or mode='width'.")

    def _edges32(self) -> npt.NDArray[np.float32]:
        return _edges32(*self.bounds, self.n_bins)

    @property
    def bin_edges(self) -> FloatArray | None:
        """The edges of mode "edges" (float32 values, returned as float64); else None.

        Examples
        --------
        >>> e = Binning().bin_edges
        >>> e.size, float(e[0]), float(e[-1]), round(float(e[1] - e[0]) * 29, 5)  # width 2/29
        (30, -1.0, 1.0, 2.0)
        """
        if self.mode != "edges":
            return None
        return self._edges32().astype(np.float64)

    def ceiling(self, n_samples: int) -> float:
        """log N in ``unit``: the largest I(X;T) that N distinct inputs allow.

        Examples
        --------
        >>> Binning(unit="bits").ceiling(4096)
        12.0
        """
        n = as_int("n_samples", n_samples, min_value=1)
        return math.log(n) / unit_factor(self.unit)

    # ------------------------------------------------------------------------ digitising
    def digitize(self, t: npt.ArrayLike) -> IntArray:
        """The codes of each value of ``t`` under this estimator's rule (always binned).

        Parameters
        ----------
        t : array_like, shape (N,) or (N, d)
            Real values; for modes "adaptive" and "quantile" the whole array is one snapshot.

        Returns
        -------
        ndarray of int64, shape (N, d)
            Codes as tabulated in the module docstring.

        Examples
        --------
        >>> Binning(n_bins=3).digitize([-2.0, -1.0, -0.5, 0.0, 0.99, 1.0]).ravel().tolist()
        [0, 1, 1, 2, 2, 3]
        """
        v = self._snapshot("t", t, codes=False)
        return np.array(self._codes(v)[0][0], dtype=np.int64)

    def _codes(self, v: npt.NDArray[np.floating[Any]]) -> tuple[IntArray, BoolArray]:
        """int64 codes of a float chunk (S, N, d) and its out-of-bounds flags (S,).

        The codes of modes "edges" and "adaptive" live in a per-thread scratch buffer: use
        them before the next call.
        """
        s = v.shape[0]
        n = self.n_bins
        oob = np.zeros(s, dtype=bool)
        if self.mode == "width":
            w = float(self.bin_width)  # type: ignore[arg-type]
            q = np.floor(np.asarray(v, dtype=np.float64) / w)
            if q.size and float(np.max(np.abs(q))) >= 2.0**62:
                raise fail("bin_width", "large enough for int64 codes (|v| / bin_width < 2^62)",
                           w)
            return q.astype(np.int64), oob
        if self.mode == "edges":
            e32 = self._edges32()
            lo, hi = self.bounds
            work = np.float32 if v.dtype == np.float32 else np.float64
            table = _edge_table(lo, hi, n, np.dtype(work).char)
            step = (hi - lo) / (n - 1)
            codes = _uniform_codes(v, table, work(1.0 / step), work(0.5 - lo / step), n)
            oob = (v.min(axis=(1, 2)) < e32[0]) | (v.max(axis=(1, 2)) > e32[-1])
        elif self.mode == "adaptive":
            x = np.asarray(v, dtype=np.float64)
            vmin, vmax = x.min(axis=(1, 2)), x.max(axis=(1, 2))
            edges = np.linspace(vmin, vmax, n, axis=1)                      # (S, n)
            table = np.concatenate([edges, np.full((s, 1), np.inf)], axis=1)  # (S, n + 1)
            step = (vmax - vmin) / (n - 1)
            flat = step > 0
            scale = np.where(flat, 1.0 / np.where(flat, step, 1.0), 0.0)
            shift = np.where(flat, 0.5 - vmin * scale, float(n))
            codes = _uniform_codes(x, table, scale[:, None, None], shift[:, None, None], n)
            # Far from 0 relative to the bin width, float64 rounding could exceed half a bin:
            # such snapshots are digitised by binary search instead (exact, slower).
            far = flat & (np.maximum(np.abs(vmin), np.abs(vmax)) > 1e9 * step)
            for i in np.flatnonzero(far):
                codes[i] = np.searchsorted(edges[i], x[i], side="right")
        else:  # quantile
            qs = np.quantile(v, np.linspace(0.0, 1.0, n), axis=1)           # (n, S, d)
            codes = np.zeros(v.shape, dtype=np.int64)
            for k in range(n):
                codes += v >= qs[k][:, None, :]
        return codes, oob

    # --------------------------------------------------------------------- public API
    def plane(self, t: npt.ArrayLike, labels: npt.ArrayLike) -> tuple[float, float]:
        """(I(X;T), I(T;Y)) of one layer snapshot, X uniform over the N rows.

        Parameters
        ----------
        t : array_like, shape (N,) or (N, d)
            The layer's activations on the N distinct probe inputs (integer dtype: codes).
        labels : array_like, shape (N,)

        Returns
        -------
        (float, float)
            I(X;T) = H(T) and I(T;Y), in ``unit``. Warns when the estimate is saturated
            (at the ceiling log N), when most bins are empty, or when values fall outside
            ``bounds``.

        Examples
        --------
        >>> ixt, ity = Binning(unit="bits").plane([[0.0, 0.5], [0.0, 0.5], [0.9, 0.5]], [0, 0, 1])
        >>> round(ixt, 6), round(ity, 6)                          # H(1/3) bits, twice
        (0.918296, 0.918296)
        """
        v = self._snapshot("t", t)
        lab = self._labels(labels, v.shape[1], "t")
        res = self._results(v, lab, validated=True)
        self._warn(res)
        return float(res.ixt[0]), float(res.ity[0])

    def plane_details(self, t: npt.ArrayLike, labels: npt.ArrayLike) -> BinningResult:
        """Like :meth:`plane`, with the ceiling, saturation and bin diagnostics.

        Examples
        --------
        >>> r = Binning(unit="bits").plane_details([[0.0], [0.0], [0.9], [0.9]], [0, 0, 1, 1])
        >>> r.ixt, r.ity, r.ceiling, r.n_patterns, r.saturated
        (1.0, 1.0, 2.0, 2, False)
        """
        v = self._snapshot("t", t)
        lab = self._labels(labels, v.shape[1], "t")
        res = self._results(v, lab, validated=True)
        self._warn(res)
        return res[0]

    def plane_many(self, snapshots: Sequence[npt.ArrayLike] | npt.ArrayLike,
                   labels: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """(I(X;T_s), I(T_s;Y)) for S snapshots of one layer sharing the labels.

        Parameters
        ----------
        snapshots : sequence of array_like (N, d), or ndarray (S, N, d)
            float32 arrays are binned without a float64 copy.
        labels : array_like, shape (N,)

        Returns
        -------
        ixt, ity : ndarray, shape (S,)
            Identical to a loop of :meth:`plane`, computed in batches. One warning sums up
            saturated snapshots, mostly empty bins and out-of-bounds values.

        Examples
        --------
        >>> ixt, ity = Binning(unit="bits").plane_many([[[0.1], [0.5]], [[0.1], [0.1]]], [0, 1])
        >>> ixt.tolist(), ity.tolist()
        ([1.0, 0.0], [1.0, 0.0])
        """
        v, validated = self._stack(snapshots)
        lab = self._labels(labels, v.shape[1], "snapshots")
        res = self._results(v, lab, validated=validated)
        self._warn(res)
        return res.ixt, res.ity

    def plane_many_details(self, snapshots: Sequence[npt.ArrayLike] | npt.ArrayLike,
                           labels: npt.ArrayLike) -> BinningResults:
        """Like :meth:`plane_many`, with per-snapshot diagnostics (:class:`BinningResults`).

        Examples
        --------
        >>> import numpy as np
        >>> s = np.zeros((3, 4, 2), dtype=np.float32)
        >>> s[0] = [[-0.5, 0.1], [-0.2, 0.3], [0.4, 0.5], [0.6, 0.7]]
        >>> res = Binning(n_bins=3, unit="bits").plane_many_details(s, [0, 0, 1, 1])
        >>> res.ixt.tolist(), res.n_patterns.tolist(), res.ceiling
        ([1.0, 0.0, 0.0], [2, 1, 1], 2.0)
        """
        v, validated = self._stack(snapshots)
        lab = self._labels(labels, v.shape[1], "snapshots")
        res = self._results(v, lab, validated=validated)
        self._warn(res)
        return res

    def estimate(self, x: npt.ArrayLike, y: npt.ArrayLike) -> float:
        """I(X;Y) of two variables, each discrete codes or binned real values.

        Parameters
        ----------
        x, y : array_like, shape (n,) or (n, d)
            Integer, boolean or string arrays are codes (rows of a 2-D array are joint
            symbols); float arrays are binned with this estimator's rule, each variable on
            its own (its own range in mode "adaptive", per column in mode "quantile").

        Returns
        -------
        float
            I(X;Y) = H(X) + H(Y) - H(X,Y) of the binned patterns in ``unit``, each entropy by
            ``correction`` (plug-in by default; never clamped).

        Notes
        -----
        One sort of packed int64 keys (x's pattern in the high bits, y's code in the low
        bits), as :meth:`plane`: O(N log N) however many classes y has, so
        ``estimate(t, np.arange(N))`` (I(X;T) with one input per row) costs about as much as
        ``plane(t, labels)``.

        Examples
        --------
        >>> round(Binning(unit="bits").estimate([-0.9, -0.9, 0.2, 0.9], [0, 0, 1, 1]), 12)
        1.0
        """
        return self._mi_nats(x, y) / unit_factor(self.unit)

    def estimate_conditional(self, x: npt.ArrayLike, y: npt.ArrayLike,
                             z: npt.ArrayLike) -> float:
        """I(X;Y|Z) = H(X,Z) + H(Y,Z) - H(X,Y,Z) - H(Z) of codes or binned values.

        Parameters
        ----------
        x, y, z : array_like, shape (n,) or (n, d)
            As in :meth:`estimate`: integer, boolean or string arrays are codes, float
            arrays are binned with this estimator's rule, each variable on its own.

        Returns
        -------
        float
            In ``unit``, each entropy by ``correction`` (NSB: K = the observed symbols of
            each joint). The plug-in value is >= 0 up to round-off; nothing is clamped.

        Examples
        --------
        >>> x, y = [0, 0, 1, 1], [0, 1, 0, 1]
        >>> Binning(unit="bits").estimate_conditional(x, y, [0, 1, 1, 0])   # Z = X xor Y
        1.0
        """
        return super().estimate_conditional(x, y, z)

    # ------------------------------------------------------------------------ internals
    def _mi_nats(self, x: Any, y: Any) -> float:
        """I(X;Y) in nats by the packed-key path of :meth:`plane` (validates x and y)."""
        v = self._x_snapshot(x)
        lab = self._y_labels(y, v.shape[1])
        st = self._stats(v, lab, validated=True, diagnostics=False)
        return float(st.h_t[0] + self._h_labels(lab) - st.h_ty[0])

    def _x_snapshot(self, x: Any) -> npt.NDArray[Any]:
        """x as a (1, N, d) snapshot: codes (integer, boolean; strings via their ranks) or
        real values to bin."""
        arr = np.asarray(x)
        if arr.dtype.kind in "US":
            return as_labels("x", arr)[None, :, None]
        return self._snapshot("x", arr)

    def _y_labels(self, y: Any, n: int) -> _Labels:
        """y as labels: integer, boolean or string codes, or binned real values."""
        arr = np.asarray(y)
        if arr.ndim >= 1 and arr.shape[0] != n:
            raise ValueError(f"`y` must have the same number of samples as `x` ({n}), "
                             f"got {arr.shape[0]}.")
        if arr.ndim == 1 and arr.dtype.kind in "iu":
            return self._labels(arr, n, "x")
        return self._labels(self._variable_codes("y", arr, n), n, "x")

    def _h_labels(self, lab: _Labels) -> float:
        """H(Y) in nats with the estimator's correction."""
        if self.correction == "plugin":
            return lab.h
        return _entropy_nats(lab.counts, self.correction)

    def _prepare(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[Any, Any]:
        """x and y as dense codes (integer input as codes, real input binned), as
        :meth:`estimate` reads them; resampling these rows resamples the binned data."""
        cx = self._variable_codes("x", x, None)
        return cx, self._variable_codes("y", y, cx.size)

    def _prepare_z(self, z: npt.ArrayLike, n: int) -> IntArray:
        """z as dense codes: integer input as codes, real input binned like x."""
        return self._variable_codes("z", z, n)

    def _estimate_nats(self, x: Any, y: Any) -> float:
        return self._mi_nats(x, y)

    def _conditional_nats(self, x: Any, y: Any, z: Any) -> float:
        cx = self._variable_codes("x", x, None)
        cy = self._variable_codes("y", y, cx.size)
        cz = self._variable_codes("z", z, cx.size)
        return _cmi_nats(cx, cy, cz, self.correction)

    def _variable_codes(self, name: str, value: Any, n: int | None) -> IntArray:
        """Dense codes 0..K-1 of one variable: integer, boolean, string input as codes,
        real input binned by this estimator's rule."""
        arr = np.asarray(value)
        if arr.dtype.kind in "biuUS":
            return as_labels(name, arr, n=n)
        v = self._snapshot(name, arr, codes=False, n=n)
        return joint_codes(self._codes(v)[0][0], name)

    @staticmethod
    def _snapshot(name: str, t: Any, *, codes: bool = True,
                  n: int | None = None) -> npt.NDArray[Any]:
        """One snapshot as a (1, N, d) array: int64 codes (integer input, when ``codes``),
        float32 (kept as given) or float64; validated."""
        arr = np.asarray(t)
        if arr.ndim in (1, 2) and arr.size and (n is None or arr.shape[0] == n):
            if codes and arr.dtype.kind in "biu":
                return np.asarray(arr.reshape(arr.shape[0], -1), dtype=np.int64)[None]
            if arr.dtype == np.float32:
                if not np.all(np.isfinite(arr)):
                    raise fail(name, "finite (no NaN or inf)", arr)
                return arr.reshape(arr.shape[0], -1)[None]
        return as_samples(name, arr, n=n)[None]

    def _stack(self, snapshots: Any) -> tuple[npt.NDArray[Any], bool]:
        """Snapshots as an (S, N, d) array (float32, float64 or int64 codes), and whether
        they were checked for NaN/inf already (a 3-D array is checked chunk by chunk later)."""
        if isinstance(snapshots, np.ndarray) and snapshots.ndim == 3:
            arr = snapshots
        else:
            items = list(snapshots)
            if not items:
                raise fail("snapshots", "a non-empty sequence of (N, d) arrays", snapshots)
            parts = [self._snapshot(f"snapshots[{i}]", s)[0] for i, s in enumerate(items)]
            shapes = {p.shape for p in parts}
            if len(shapes) > 1:
                raise ValueError("`snapshots` must all have the same shape (N, d), got "
                                 f"{sorted(shapes)}.")
            kinds = {p.dtype for p in parts}
            dtype = kinds.pop() if len(kinds) == 1 else np.float64
            return np.stack([np.asarray(p, dtype=dtype) for p in parts]), True
        if arr.size == 0:
            raise fail("snapshots", "non-empty", arr, f"(it has shape {arr.shape})")
        if arr.dtype.kind in "biu":
            return np.asarray(arr, dtype=np.int64), True
        if arr.dtype.kind != "f":
            raise TypeError(f"`snapshots` must be an array of real numbers, got dtype "
                            f"{arr.dtype}.")
        if arr.dtype not in (np.float32, np.float64):
            arr = arr.astype(np.float64)
        return arr, False

    @staticmethod
    def _labels(labels: Any, n: int, against: str) -> _Labels:
        arr = np.asarray(labels)
        if arr.ndim >= 1 and arr.shape[0] != n:
            raise ValueError(f"`labels` must have one label per row of `{against}` ({n}), "
                             f"got {arr.shape[0]}.")
        if (arr.ndim == 1 and arr.dtype.kind in "iu" and arr.size
                and int(arr.min()) >= 0 and int(arr.max()) < 4 * n + 64):
            counts = np.bincount(arr)            # fast path for small non-negative ints
            present = counts > 0
            if present.all():
                codes = np.asarray(arr, dtype=np.int64)
            else:
                codes = (np.cumsum(present) - 1)[arr].astype(np.int64)
                counts = counts[present]
        else:
            codes = as_labels("labels", arr)
            counts = np.bincount(codes)
        k = int(counts.size)
        h = float(math.log(n) - np.dot(counts, np.log(counts)) / n)
        return _Labels(codes=codes, counts=np.asarray(counts, dtype=np.int64), k=k, h=h,
                       bits=(k - 1).bit_length())

    def _stats(self, v: npt.NDArray[Any], lab: _Labels, *, validated: bool,
               diagnostics: bool = True) -> _Stats:
        s_all, n, d = v.shape
        out = _Stats(h_t=np.empty(s_all), h_ty=np.empty(s_all),
                     k_t=np.empty(s_all, dtype=np.int64), k_ty=np.empty(s_all, dtype=np.int64),
                     occupancy=np.full(s_all, np.nan), out_of_bounds=np.zeros(s_all, bool))
        is_codes = v.dtype.kind in "iu"
        binned = not is_codes and self.mode != "width"
        corr = self.correction
        chunk = max(1, min(_CHUNK_VALUES // max(1, n * d), _CHUNK_ROWS // n))
        y = lab.codes
        # One label per row (I(X;T) as estimate(t, arange(N))): every (pattern, label) pair is
        # distinct, so H(T,Y) is the entropy of N singletons and the label bits are not needed.
        distinct = lab.k == n
        bits = 0 if distinct else lab.bits
        if distinct:
            h_singletons = _entropy_nats(np.ones(n, dtype=np.int64), corr)
        nb = self.n_bins
        for a in range(0, s_all, chunk):
            b = min(s_all, a + chunk)
            block = v[a:b]
            if is_codes:
                codes: IntArray = block
            else:
                if not validated:
                    finite = np.isfinite(block, out=_scratch("mask", block.shape, np.bool_))
                    if not finite.all():
                        bad = a + int(np.argmin(finite.all(axis=(1, 2))))
                        raise fail(f"snapshots[{bad}]", "finite (no NaN or inf)", v[bad])
                codes, out.out_of_bounds[a:b] = self._codes(block)
            keys = _row_keys(codes, nb + 1 if binned else None, _KEY_BITS - bits)
            if binned and diagnostics:  # occupancy of the bins 1..n_bins-1 (codes are free)
                if b - a > 1:
                    codes += (np.arange(b - a, dtype=np.int64) * (nb + 1))[:, None, None]
                counts = np.bincount(codes.ravel(), minlength=(b - a) * (nb + 1))
                out.occupancy[a:b] = np.mean(counts.reshape(b - a, nb + 1)[:, 1:nb] > 0, axis=1)
            if bits:
                keys <<= bits
                keys |= y
            keys.sort(axis=1)
            if distinct:
                out.h_t[a:b], out.k_t[a:b] = _sorted_entropy(keys, corr)
                out.h_ty[a:b], out.k_ty[a:b] = h_singletons, n
                continue
            out.h_ty[a:b], out.k_ty[a:b] = _sorted_entropy(keys, corr)
            if bits:
                keys >>= bits
                out.h_t[a:b], out.k_t[a:b] = _sorted_entropy(keys, corr)
            else:
                out.h_t[a:b], out.k_t[a:b] = out.h_ty[a:b], out.k_ty[a:b]
        return out

    def _results(self, v: npt.NDArray[Any], lab: _Labels, *,
                 validated: bool) -> BinningResults:
        st = self._stats(v, lab, validated=validated)
        n = v.shape[1]
        ixt = st.h_t.copy()
        ity = st.h_t + self._h_labels(lab) - st.h_ty
        f = unit_factor(self.unit)
        return BinningResults(
            ixt=ixt / f, ity=ity / f, n_patterns=st.k_t, saturated=(st.k_t == n) & (n > 1),
            occupancy=st.occupancy, out_of_bounds=st.out_of_bounds,
            ceiling=math.log(n) / f, h_y=lab.h / f, n_samples=n, unit=self.unit)

    def _warn(self, res: BinningResults) -> None:
        """Warnings about a result, attributed to the user's line by ``warn``."""
        s = len(res)
        of = "" if s == 1 else f" in {{}} of {s} snapshots"
        n_sat = int(np.sum(res.saturated))
        if n_sat:
            warn(f"I(X;T) is at its ceiling log N = {res.ceiling:.4g} {res.unit}"
                 f"{of.format(n_sat)}: every one of the N = {res.n_samples} inputs has its "
                 "own binned pattern (saturated), so the estimate reflects the bin resolution, "
                 "not the layer. Use fewer bins (smaller n_bins, larger bin_width) or more "
                 "inputs to see compression.")
        with np.errstate(invalid="ignore"):
            # Only with enough rows to fill every bin: a handful of values is no signal.
            empty = (res.occupancy < _MIN_OCCUPANCY) & (res.n_samples >= self.n_bins - 1)
        n_empty = int(np.sum(empty))
        if n_empty:
            worst = float(np.min(res.occupancy))
            where = f"[{self.bounds[0]:g}, {self.bounds[1]:g}]" if self.mode == "edges" \
                else "the range"
            warn(f"Most bins are empty{of.format(n_empty)}: the values occupy as few as "
                 f"{worst:.0%} of the {self.n_bins - 1} bins of {where}; check that the binning "
                 "matches the activations' range (mode='adaptive' for unbounded activations "
                 "such as ReLU).")
        n_oob = int(np.sum(res.out_of_bounds))
        if n_oob:
            warn(f"Values fall outside bounds={self.bounds}{of.format(n_oob)}; they share one "
                 "overflow code per side, which coarsens the estimate. Widen `bounds` or use "
                 "mode='adaptive' for unbounded activations.")


# ------------------------------------------------------------------------------- kernels
class _Scratch(threading.local):
    """Per-thread work arrays reused between calls.

    Fresh memory costs a page fault per 4 KiB on first touch, which on some machines costs more
    than the arithmetic done here; reusing a few buffers (each at most ``_SCRATCH_MAX`` bytes)
    keeps the hot path free of them.
    """

    def __init__(self) -> None:
        self.buffers: dict[str, npt.NDArray[np.uint8]] = {}


_SCRATCH = _Scratch()
_SCRATCH_MAX = 1 << 23


def _scratch(name: str, shape: tuple[int, ...], dtype: Any) -> npt.NDArray[Any]:
    """An uninitialised (shape, dtype) array backed by the thread's buffer ``name``."""
    dt = np.dtype(dtype)
    size = math.prod(shape) * dt.itemsize
    if size > _SCRATCH_MAX:
        return np.empty(shape, dtype=dt)
    buf = _SCRATCH.buffers.get(name)
    if buf is None or buf.size < size:
        buf = np.empty(max(size, 1 << 16), dtype=np.uint8)
        _SCRATCH.buffers[name] = buf
    out: npt.NDArray[Any] = buf[:size].view(dt).reshape(shape)
    return out


@functools.lru_cache(maxsize=32)
def _edges32(lo: float, hi: float, n: int) -> npt.NDArray[np.float32]:
    """float32(np.linspace(lo, hi, n)), read-only."""
    e = np.linspace(lo, hi, n).astype(np.float32)
    e.flags.writeable = False
    return e


@functools.lru_cache(maxsize=32)
def _edge_table(lo: float, hi: float, n: int, dtype: str) -> npt.NDArray[Any]:
    """The float32 edges followed by +inf, in ``dtype``, read-only."""
    t = np.append(_edges32(lo, hi, n), np.float32(np.inf)).astype(dtype)
    t.flags.writeable = False
    return t


@functools.lru_cache(maxsize=16)
def _clogc(n: int) -> FloatArray:
    """c log c for c = 0..n (0 log 0 = 0), read-only."""
    c = np.arange(n + 1, dtype=np.float64)
    c[1:] *= np.log(c[1:])
    c.flags.writeable = False
    return c


def _uniform_codes(v: npt.NDArray[Any], table: npt.NDArray[Any], scale: Any, shift: Any,
                   n: int) -> IntArray:
    """np.digitize(v, edges) for nearly uniform edges, exactly, without a binary search.

    ``table`` holds the edges followed by +inf, per snapshot when 2-D (S, n + 1). The float
    guess floor((v - lo)/step + 1/2) is the true code or one less (the arithmetic and the
    edges' rounding are far below half a bin); one comparison with the guessed edge fixes it.
    Returns int64 codes in a scratch buffer.
    """
    a = np.multiply(v, scale, out=_scratch("work", v.shape, v.dtype))
    a += shift
    np.clip(a, 0, n, out=a)
    codes = _scratch("codes", v.shape, np.int64)
    np.copyto(codes, a, casting="unsafe")          # truncation = floor, as a >= 0
    upper = _scratch("work", v.shape, table.dtype)  # a is no longer needed
    if table.ndim == 2:
        offsets = (np.arange(table.shape[0], dtype=np.int64) * (n + 1))[:, None, None]
        codes += offsets
        np.take(table.ravel(), codes, out=upper, mode="wrap")
        codes -= offsets
    else:
        np.take(table, codes, out=upper, mode="wrap")
    codes += np.greater_equal(v, upper, out=_scratch("mask", v.shape, np.bool_))
    return codes


def _row_keys(codes: npt.NDArray[Any], radix: int | None, bits: int) -> IntArray:
    """int64 keys (S, N): equal within a snapshot iff the rows of codes (S, N, d) are equal.

    Columns are packed by mixed radix (``radix`` values per column, or each column's span in
    the chunk) while the key stays below 2**bits; a wider layer is packed group by group,
    re-ranking the partial keys within each snapshot (ranks < N) in between. A column whose
    span exceeds N (unbounded codes) is replaced by its ranks first.
    """
    s, n, d = codes.shape
    if radix is None:
        lo = codes.min(axis=(0, 1)).astype(np.int64)
        spans = codes.max(axis=(0, 1)).astype(np.int64) - lo + 1
        shifted: npt.NDArray[Any] = codes.astype(np.int64) - lo
        for wide in np.flatnonzero(spans > n):
            shifted[:, :, wide] = _rerank(np.ascontiguousarray(shifted[:, :, wide]))
            spans[wide] = n
    else:
        spans = np.full(d, radix, dtype=np.int64)
        shifted = codes
    limit = 1 << bits
    keys: IntArray | None = None
    key_span = 1
    j = 0
    while j < d:
        width, k = key_span, j
        while k < d and width * int(spans[k]) <= limit:
            width *= int(spans[k])
            k += 1
        if k == j:
            if keys is None or key_span <= n:
                raise ValueError(f"`t` has too many distinct codes per unit to pack ({n} rows, "
                                 f"{int(spans[j])} codes in one unit).")
            keys, key_span = _rerank(keys), n
            continue
        weights = np.ones(k - j, dtype=np.int64)
        for i in range(k - j - 2, -1, -1):
            weights[i] = weights[i + 1] * int(spans[j + i + 1])
        if keys is None:
            keys = np.matmul(shifted[:, :, j:k], weights, out=_scratch("keys", (s, n), np.int64))
        else:
            keys = keys * (width // key_span) + np.matmul(shifted[:, :, j:k], weights,
                                                          dtype=np.int64)
        key_span, j = width, k
    assert keys is not None
    return keys


def _rerank(keys: IntArray) -> IntArray:
    """Dense ranks 0..K-1 of each row's keys (S, N), row by row."""
    order = np.argsort(keys, axis=1, kind="stable")
    srt = np.take_along_axis(keys, order, axis=1)
    new = np.empty(srt.shape, dtype=np.int64)
    new[:, 0] = 0
    np.cumsum(srt[:, 1:] != srt[:, :-1], axis=1, out=new[:, 1:])
    ranks = np.empty_like(new)
    np.put_along_axis(ranks, order, new, axis=1)
    return ranks


def _sorted_entropy(keys: IntArray, correction: Correction = "plugin"
                    ) -> tuple[FloatArray, IntArray]:
    """Entropy (nats, by ``correction``) and number of distinct values of each row of
    sorted keys (S, N).

    Plug-in: H = log N - (1/N) Σ_runs c log c over the runs of equal keys (c their lengths);
    Miller–Madow adds (K - 1)/(2N); Grassberger uses the weights c G(c) in place of c log c;
    Chao–Shen and NSB take each row's run lengths as its counts.
    """
    s, n = keys.shape
    m = s * n
    flat = keys.reshape(m)
    new = _scratch("runs", (m,), np.bool_)
    new[0] = True
    np.not_equal(flat[1:], flat[:-1], out=new[1:])
    new[::n] = True                                  # every row starts a run
    k = np.count_nonzero(new.reshape(s, n), axis=1).astype(np.int64)
    starts = np.flatnonzero(new)
    lengths = np.empty_like(starts)
    np.subtract(starts[1:], starts[:-1], out=lengths[:-1])
    lengths[-1] = m - starts[-1]
    first = np.cumsum(k) - k
    if correction in ("plugin", "miller_madow", "grassberger"):
        table = _grassberger_table(n) if correction == "grassberger" else _clogc(n)
        weights = table.take(lengths)
        total = np.add.reduceat(weights, first) if s > 1 else np.array([weights.sum()])
        h = math.log(n) - total / n
        if correction == "miller_madow":
            h = h + (k - 1) / (2.0 * n)
        return h, k
    h = np.array([_entropy_nats(lengths[f:f + c], correction)
                  for f, c in zip(first.tolist(), k.tolist(), strict=True)])
    return h, k
