"""Covariance spectra from data: exact eigenvalues, shrinkage, and the top k for huge dimensions.

The closed forms of :mod:`infoplane.capacity` need the eigenvalues λ_1 >= λ_2 >= ... of the
input covariance Σ_x, and the MMI uses only the Ñ = min(N0, N1, ..., NK) largest of them
(MMI paper, Section 4 and Appendix A). :func:`spectrum` computes them from samples or from a
covariance matrix; ``top=k`` computes only the k largest, which is what makes inputs with
10^5 features affordable.

How the data path works
-----------------------
The covariance is the maximum-likelihood one, S = X_cᵀX_c / n with X_c the centred data (as
:class:`sklearn.covariance.EmpiricalCovariance`). It is never formed as a d×d matrix when
d > n: the nonzero eigenvalues of S are those of the n×n Gram matrix X_cX_cᵀ / n, so
everything runs on the smaller side p = min(n, d) and the rest of the spectrum is zero. The
centred copy of X is never made either: the data are centred slab by slab into one reusable
buffer of about 32 MiB.

Four routes compute the top k; a cost model (flop counts with constants measured on the
2-core x86 development machine) picks the cheapest, and every iterative route hands over to
the next when it cannot certify its answer within a cost cap:

``data_krylov``
    Randomized block Krylov (block Lanczos with full reorthogonalisation) on the data in
    float64, one pass X_cᵀ(X_c Q) per block and nothing of size p×p. Chosen when k is small
    next to p (e.g. the top 32 of 4096 features: 8 blocks of 48 vectors).
``matrix_krylov``
    The p×p matrix M in float64 (symmetric rank-k updates, slab by slab), then the same block
    Krylov on M, whose products now cost 2p² per vector instead of 4np.
``matrix_evr32``
    M in float64, its top k + max(16, k/4) eigenvectors in float32 (LAPACK ``ssyevr``, about
    half the time of the float64 solver), then float64 block Krylov on M started from them
    until the residuals certify the eigenvalues (one or two blocks for slowly decaying or flat
    spectra; more when the spectrum spans many decades, where float32 eigenvectors are poor).
``dense``
    M in float64 and LAPACK (``syevd`` for all eigenvalues, ``syevr`` for the top k): used for
    p <= 384, for k >= p/2, and as the final fallback. Exact to round-off.

Certification. An iterative route returns eigenvalues only when the float64 residuals
r_i = M v_i − θ_i v_i of its Ritz pairs give an error estimate min(‖r_i‖, ‖r_i‖²/(θ_i − ν))
below 1e-10 θ_i + 1e-15 θ_1, where ν = θ_b + ‖r_b‖ estimates where the spectrum left outside
the b Ritz vectors begins. This is the standard quadratic residual bound of Rayleigh–Ritz with
an *estimated* gap, not a proof (a Krylov method can in principle miss a direction its random
start does not see), hence the factor 100 of margin on the promised 1e-8; in the tests and the
benchmark the estimate is conservative. ``benchmarks/bench_spectrum.py`` measures the error
against a full ``numpy.linalg.eigh`` of ``numpy.cov``.

Speed, honestly. With n = 20,000 samples of d = 4,096 features the baseline
``numpy.linalg.eigh(numpy.cov(X, rowvar=False, bias=True))`` takes about 11 s on 2 cores.
Forming any d×d second-moment matrix costs n·d² = 3.4e11 flops (3.5 s in float64, 2 s in
float32), and a Krylov method on the data needs about 2,000 products for the top 256
eigenvalues of a 1/i spectrum (7 s), so the top 256 cost 6-10 s here (1.1-1.8x), not the
5x hoped for; the top 32 cost about 3 s (3x). The large gains are in memory and for d >> n
(10^5 features: the Gram route, about a second for n = 1,000).
"""

from __future__ import annotations

import logging
import math
import numbers
from collections.abc import Callable, Iterator
from typing import Any, Literal, TypeAlias

import numpy as np

from infoplane._typing import ArrayLike, FloatArray
from infoplane._validation import as_int, fail

Shrinkage: TypeAlias = Literal["auto", "none", "ledoit_wolf"] | float
Kind: TypeAlias = Literal["auto", "data", "covariance"]

__all__ = ["AUTO_LEDOIT_WOLF_RATIO", "RTOL", "Kind", "Shrinkage", "spectrum"]

#: ``shrinkage="auto"`` uses Ledoit–Wolf when ``n_samples < AUTO_LEDOIT_WOLF_RATIO * n_features``.
AUTO_LEDOIT_WOLF_RATIO = 5
#: Relative accuracy promised for every returned eigenvalue >= 1e-7 λ_1 (smaller ones to about
#: 1e-15 λ_1 absolute, the round-off of any float64 eigensolver on the covariance).
RTOL = 1e-8
#: Relative size under which a negative eigenvalue of a covariance is round-off.
PSD_RTOL = 1e-10

_LOG = logging.getLogger(__name__)
_NAME = "data_or_covariance"
_CERT_RTOL = 1e-10         # iterative routes certify 100x tighter than RTOL
_CERT_ATOL = 1e-15         # ... plus this times λ_1 for eigenvalues near zero
_SLAB_BYTES = 1 << 25      # centred slabs of ~32 MiB
_SEED = 0                  # fixed start of the randomized Krylov route (deterministic output)
_SMALL_P = 384             # p at or below this: always dense (milliseconds)
_REFINE_BLOCKS = 6         # float64 Krylov blocks on M after the float32 eigenvectors
# Cost model, in float64 flops at one nominal rate (only ratios matter), measured on the
# 2-core development machine: dsyrk ~1.0 per multiply-add; ssyevr with vectors ~2.5 p^3;
# a centred float64 pass over the data ~1.2 per flop plus ~250 per element for the centring;
# a dense eigh of an m x m Rayleigh-Ritz matrix ~10 m^3.
_C_SYRK64 = 1.0
_C_EIG32 = 2.5
_C_PASS = 1.2
_C_CENTRE = 250.0
_C_EIGH = 10.0
_KRYLOV_BLOCKS = 8         # expected Krylov depth (blocks of k + o) for a decaying spectrum


# --------------------------------------------------------------------------- public function


def spectrum(data_or_covariance: ArrayLike, *, shrinkage: Shrinkage = "auto",
             top: int | None = None, kind: Kind = "auto") -> FloatArray:
    """Eigenvalues of a covariance, from samples or from the matrix, largest first.

    Parameters
    ----------
    data_or_covariance : array_like, shape (n_samples, n_features) or (d, d)
        Samples in rows and features in columns, or a symmetric positive semi-definite
        covariance matrix. A 1-D array is rejected: reshape one feature to ``(-1, 1)``, and
        pass a spectrum you already have straight to the capacity functions.
    shrinkage : {"auto", "none", "ledoit_wolf"} or float in [0, 1], default "auto"
        Shrink the covariance towards a multiple of the identity,
        ``(1 - α) S + α (tr S / d) I``, whose eigenvalues are ``(1 - α) λ_i + α tr S / d``
        (so shrinking never changes which eigenvalues are the top k). ``"none"``: α = 0.
        ``"ledoit_wolf"``: the Ledoit–Wolf α, equal to
        :func:`sklearn.covariance.ledoit_wolf_shrinkage` (computed here without sklearn and
        without a d×d matrix; it needs ‖S‖_F², so it always forms the min(n, d)² matrix).
        A float: that α. ``"auto"``: Ledoit–Wolf when ``n_samples < 5 * n_features`` (the
        regime where the sample eigenvalues are visibly spread by noise), none otherwise. For a
        covariance matrix ``"auto"`` means none, and ``"ledoit_wolf"`` is an error (it needs
        the samples).
    top : int, optional
        Return only the ``top`` largest eigenvalues (1 <= top <= d); the MMI needs only the Ñ
        largest. Only those are computed (block Krylov or a LAPACK subset, see the module
        notes), and no matrix larger than min(n, d)² is ever formed, so d = 10^5 features
        with a few thousand samples fit in memory. Default: all d eigenvalues.
    kind : {"auto", "data", "covariance"}, default "auto"
        How to read the input. ``"auto"`` reads a square, symmetric matrix (to 1e-8 relative)
        with a non-negative diagonal as a covariance and anything else 2-D as data. A data
        matrix can be square and symmetric by accident (n_samples == n_features): pass
        ``kind="data"`` to force the data reading, or ``kind="covariance"`` to insist on a
        covariance (then a non-symmetric or indefinite matrix is an error).

    Returns
    -------
    ndarray of float64, shape (top,) or (d,)
        Non-negative eigenvalues, largest first, in the units of the data squared. From data
        with n_samples <= n_features the trailing ``d - n_samples + 1`` eigenvalues are zero
        (before shrinkage). Every value is within ``RTOL = 1e-8`` relative (about 1e-15 λ_1
        absolute for eigenvalues below 1e-7 λ_1) of the eigenvalues of the (shrunk)
        covariance; the iterative ``top`` routes certify this with float64 residuals and
        fall back to the dense LAPACK solver when they cannot within a cost cap (a slower
        run, not a less exact one).

    Raises
    ------
    ValueError
        For 1-D input, NaN or inf, fewer than 2 samples, no features, a covariance that is
        not symmetric or not positive semi-definite, ``top`` outside [1, d], or a bad
        ``shrinkage``/``kind``.
    TypeError
        For non-numeric input or a non-integer ``top``.

    Notes
    -----
    The data are centred (the mean is estimated), so n samples give at most n - 1 nonzero
    eigenvalues. Deterministic: the randomized route uses a fixed internal seed, and its
    output is certified to the tolerance above regardless of the seed.

    References
    ----------
    O. Ledoit and M. Wolf, "A well-conditioned estimator for large-dimensional covariance
    matrices", J. Multivariate Anal. 88 (2004). C. Musco and C. Musco, "Randomized block
    Krylov methods for stronger and faster approximate singular value decomposition",
    NeurIPS 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from infoplane.spectrum import spectrum
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((1000, 3)) * [3.0, 2.0, 1.0]
    >>> spectrum(x, shrinkage="none").round(1)
    array([8.8, 3.7, 1. ])
    >>> spectrum(np.diag([4.0, 1.0, 9.0]), top=2)
    array([9., 4.])
    """
    if kind not in ("auto", "data", "covariance"):
        raise fail("kind", "one of 'auto', 'data', 'covariance'", kind)
    shrink = _check_shrinkage(shrinkage)
    arr = _as_matrix(data_or_covariance)
    detected = kind == "auto"
    read_as = ("covariance" if _looks_like_covariance(arr) else "data") if detected else kind
    d = arr.shape[1]
    k = d
    if top is not None:
        k = as_int("top", top)
        if k > d:
            raise fail("top", f"an integer in [1, {d}] (the number of features)", top)
    if read_as == "covariance":
        return _covariance_spectrum(arr, shrink, k, detected)
    return _data_spectrum(arr, shrink, k)


# --------------------------------------------------------------------------- validation


def _check_shrinkage(value: Any) -> str | float:
    if isinstance(value, str):
        if value not in ("auto", "none", "ledoit_wolf"):
            raise fail("shrinkage", "'auto', 'none', 'ledoit_wolf' or a float in [0, 1]", value)
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError("`shrinkage` must be 'auto', 'none', 'ledoit_wolf' or a float in "
                        f"[0, 1], got {value!r}.")
    alpha = float(value)
    if not 0.0 <= alpha <= 1.0:
        raise fail("shrinkage", "'auto', 'none', 'ledoit_wolf' or a float in [0, 1]", value)
    return alpha


def _as_matrix(value: Any) -> FloatArray:
    if np.iscomplexobj(value):
        raise TypeError(f"`{_NAME}` must be a real 2-D array, got a complex array.")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`{_NAME}` must be a real 2-D array, got {value!r:.80}.") from exc
    if arr.ndim == 1:
        raise fail(_NAME, "a 2-D array (samples x features) or a covariance matrix", arr,
                   "For a single feature pass `x.reshape(-1, 1)`; if these numbers are "
                   "already eigenvalues, pass them straight to the capacity functions "
                   "(e.g. `capacity.mmi(eigenvalues, ...)`).")
    if arr.ndim != 2:
        raise fail(_NAME, "a 2-D array (samples x features) or a covariance matrix", arr,
                   f"(it has shape {arr.shape}).")
    if arr.shape[1] == 0:
        raise fail(_NAME, "an array with at least one feature (column)", arr,
                   f"(it has shape {arr.shape}).")
    if arr.shape[0] == 0:
        raise fail(_NAME, "an array with at least 2 samples (rows)", arr,
                   f"(it has shape {arr.shape}).")
    if not math.isfinite(float(arr.sum())):     # one cheap pass; NaN/inf always propagate
        if not np.isfinite(arr).all():
            raise fail(_NAME, "finite (no NaN or inf)", arr)
        raise fail(_NAME, "small enough to sum in float64", arr, "Rescale the data.")
    return arr


def _is_symmetric(arr: FloatArray) -> bool:
    scale = float(np.abs(arr).max())
    return bool(np.allclose(arr, arr.T, rtol=1e-8, atol=1e-12 * scale))


def _looks_like_covariance(arr: FloatArray) -> bool:
    return (arr.shape[0] == arr.shape[1] and bool(np.all(np.diagonal(arr) >= 0))
            and _is_symmetric(arr))


def _shrink(lam: FloatArray, alpha: float, trace: float, d: int) -> FloatArray:
    if alpha == 0.0:
        return lam
    return (1.0 - alpha) * lam + alpha * (trace / d)


# --------------------------------------------------------------------------- covariance input


def _covariance_spectrum(arr: FloatArray, shrink: str | float, k: int,
                         detected: bool) -> FloatArray:
    hint = "If the rows are samples, pass kind='data'." if detected else ""
    if arr.shape[0] != arr.shape[1]:
        raise fail(_NAME, "a square covariance matrix", arr,
                   f"(it has shape {arr.shape}); for samples pass kind='data'.")
    if not _is_symmetric(arr):
        raise fail(_NAME, "a symmetric covariance matrix", arr,
                   "For samples pass kind='data'.")
    if shrink == "ledoit_wolf":
        raise fail("shrinkage", "'none', 'auto' or a float in [0, 1] for a covariance matrix",
                   shrink, "Ledoit-Wolf needs the samples: pass the data matrix (kind='data').")
    alpha = shrink if isinstance(shrink, float) else 0.0
    d = arr.shape[0]
    sym = 0.5 * (arr + arr.T)
    if k == d or d <= _SMALL_P:
        full = np.linalg.eigvalsh(sym)[::-1]
        lam: FloatArray = np.array(full[:k], dtype=np.float64)
        lam_min = float(full[-1])
    else:
        from scipy.linalg import eigh

        lam = np.array(eigh(sym, eigvals_only=True, subset_by_index=[d - k, d - 1],
                            driver="evr", check_finite=False)[::-1], dtype=np.float64)
        lam_min = _smallest_if_indefinite(sym, float(lam[0]))
    tol = PSD_RTOL * max(float(lam[0]), 0.0)
    if lam_min < -tol or (lam[0] <= 0.0 and lam_min < 0.0):
        raise fail(_NAME, "positive semi-definite (it is read as a covariance matrix)",
                   lam_min, f"(its smallest eigenvalue). {hint}".rstrip())
    np.maximum(lam, 0.0, out=lam)
    return _shrink(lam, alpha, float(np.trace(arr)), d)


def _smallest_if_indefinite(sym: FloatArray, lam_max: float) -> float:
    """0.0 when `sym` + tol·I has a Cholesky factor, else its smallest eigenvalue."""
    from scipy.linalg import LinAlgError, cholesky, eigh

    tol = PSD_RTOL * max(lam_max, 0.0) + np.finfo(np.float64).tiny
    shifted = sym + tol * np.eye(sym.shape[0])
    try:
        cholesky(shifted, lower=True, overwrite_a=True, check_finite=False)
    except LinAlgError:
        d = sym.shape[0]
        return float(eigh(sym, eigvals_only=True, subset_by_index=[0, 0], driver="evr",
                          check_finite=False)[0]) if d > 0 else 0.0
    return 0.0


# --------------------------------------------------------------------------- data input


def _data_spectrum(x: FloatArray, shrink: str | float, k: int) -> FloatArray:
    n, d = x.shape
    if n < 2:
        raise fail(_NAME, "data with at least 2 samples (rows) to estimate a covariance", x,
                   f"(it has shape {x.shape}). One sample has no covariance; for one feature "
                   "use `x.reshape(-1, 1)`.")
    mode = shrink
    if mode == "auto":
        mode = "ledoit_wolf" if n < AUTO_LEDOIT_WOLF_RATIO * d else "none"
    data = _Centred(x, x.mean(axis=0))
    want = min(k, data.p)
    alpha = 0.0
    trace = 0.0
    if mode == "ledoit_wolf":
        lam, frob2 = _top_eigenvalues(data, want, frobenius=True)
        trace, row4 = data.moments()
        alpha = _ledoit_wolf_alpha(n, d, trace, row4, frob2)
    else:
        lam = _top_eigenvalues(data, want)[0]
        if isinstance(mode, float) and mode > 0.0:
            alpha = mode
            trace = data.moments()[0]
    np.maximum(lam, 0.0, out=lam)
    if k > lam.size:                                   # rank <= n - 1 < d: the rest is zero
        lam = np.concatenate([lam, np.zeros(k - lam.size)])
    return np.ascontiguousarray(_shrink(lam, alpha, trace, d), dtype=np.float64)


def _ledoit_wolf_alpha(n: int, d: int, trace: float, row4: float, frob2: float) -> float:
    """The Ledoit–Wolf coefficient exactly as :func:`sklearn.covariance.ledoit_wolf_shrinkage`.

    ``trace`` = tr S, ``row4`` = Σ_s ‖x_s - x̄‖⁴, ``frob2`` = ‖S‖_F² (S the MLE covariance).
    """
    if d == 1:
        return 0.0
    mu = trace / d
    beta = (row4 / n - frob2) / (d * n)
    delta = (frob2 - 2.0 * mu * trace + d * mu * mu) / d
    beta = min(beta, delta)
    if beta <= 0.0 or delta <= 0.0:
        return 0.0
    return float(beta / delta)


class _Centred:
    """The centred data X - x̄ seen through its smaller side p = min(n, d), never copied.

    ``slabs`` yields centred blocks B (s × p) with Σ BᵀB = n·M, where M = S = X_cᵀX_c/n
    (d×d) when d <= n and M = X_cX_cᵀ/n (n×n, same nonzero eigenvalues) when d > n.
    """

    def __init__(self, x: FloatArray, mean: FloatArray) -> None:
        self.x = x
        self.mean = mean
        self.n, self.d = x.shape
        self.by_rows = self.d <= self.n
        self.p = min(self.n, self.d)
        self.q = max(self.n, self.d)
        self._buffers: dict[str, np.ndarray] = {}    # one slab buffer per dtype, reused

    def slabs(self, dtype: type[np.floating[Any]]) -> Iterator[np.ndarray]:
        itemsize = np.dtype(dtype).itemsize
        step = max(1, min(self.q, _SLAB_BYTES // (itemsize * self.p)))
        key = np.dtype(dtype).name
        if key not in self._buffers:           # fresh memory is slow to touch: allocate once
            self._buffers[key] = np.empty(step * self.p, dtype=dtype)
        flat = self._buffers[key]
        if self.by_rows:
            for i in range(0, self.n, step):
                m = min(step, self.n - i)
                out = flat[: m * self.d].reshape(m, self.d)
                np.subtract(self.x[i:i + m], self.mean, out=out, casting="same_kind")
                yield out
        else:
            for j in range(0, self.d, step):
                m = min(step, self.d - j)
                out = flat[: self.n * m].reshape(self.n, m)
                np.subtract(self.x[:, j:j + m], self.mean[j:j + m], out=out,
                            casting="same_kind")
                yield out.T

    def small_matrix(self, dtype: type[np.floating[Any]]) -> np.ndarray:
        """M in `dtype`, upper triangle only (the strict lower triangle is zero)."""
        from scipy.linalg import blas

        syrk = blas.dsyrk if dtype is np.float64 else blas.ssyrk
        c = np.zeros((self.p, self.p), dtype=dtype, order="F")
        scale = 1.0 / self.n
        for b in self.slabs(dtype):
            if b.T.flags.f_contiguous:
                c = syrk(scale, b.T, beta=1.0, c=c, trans=0, lower=0, overwrite_c=1)
            else:
                c = syrk(scale, b, beta=1.0, c=c, trans=1, lower=0, overwrite_c=1)
        return c

    def apply(self, v: FloatArray) -> FloatArray:
        """M @ v in float64 (v: p × b)."""
        out = np.zeros_like(v)
        for b in self.slabs(np.float64):
            out += b.T @ (b @ v)
        out /= self.n
        return out

    def moments(self) -> tuple[float, float]:
        """(tr S, Σ_s ‖x_s - x̄‖⁴) in float64."""
        trace = 0.0
        row4 = 0.0
        step = max(1, min(self.n, _SLAB_BYTES // (8 * self.d)))
        buf = np.empty(step * self.d)
        for i in range(0, self.n, step):
            m = min(step, self.n - i)
            out = buf[: m * self.d].reshape(m, self.d)
            np.subtract(self.x[i:i + m], self.mean, out=out)
            sq = np.einsum("ij,ij->i", out, out)
            trace += float(sq.sum())
            row4 += float(sq @ sq)
        return trace / self.n, row4


# --------------------------------------------------------------------------- routes

Operator: TypeAlias = Callable[[FloatArray], FloatArray]


def _block(want: int, p: int, over: int) -> int:
    """Ritz vectors kept: the wanted ones plus an oversampling margin."""
    return min(p, want + max(16, want // over))


def _costs(p: int, q: int, want: int) -> dict[str, float]:
    """Estimated cost of each route, in nominal float64 flops (see the `_C_*` constants)."""
    b = _block(want, p, 8)
    m = _KRYLOV_BLOCKS * b
    krylov_overhead = 4.0 * p * m * m + _C_EIGH * m ** 3
    data_pass = _C_PASS * 4.0 * p * q * b + _C_CENTRE * p * q
    matrix = _C_SYRK64 * p * p * q
    be = _block(want, p, 4)
    return {
        "data_krylov": _KRYLOV_BLOCKS * data_pass + krylov_overhead,
        "data_pass_per_vector": data_pass / b,
        "matrix": matrix,
        "matrix_krylov": matrix + 2.0 * p * p * m + krylov_overhead,
        "matrix_evr": matrix + _C_EIG32 * p ** 3 + 8.0 * 2.0 * p * p * be,
    }


def _top_eigenvalues(data: _Centred, want: int, *,
                     frobenius: bool = False) -> tuple[FloatArray, float]:
    """The `want` largest eigenvalues of M, descending, by the cheapest certified route.

    Also returns ‖M‖_F² when `frobenius` (this forces a route that forms M).
    """
    p, q = data.p, data.q
    small = p <= _SMALL_P or want >= p // 2
    costs = _costs(p, q, want)
    best_matrix = min(costs["matrix_krylov"], costs["matrix_evr"])
    if not small and not frobenius and costs["data_krylov"] < best_matrix:
        # Spend at most what the matrix routes would cost on the data-side Krylov attempt.
        m_cap = int(best_matrix / costs["data_pass_per_vector"])
        lam = _krylov(data.apply, p, want, m_cap, block_cost=costs["data_pass_per_vector"])
        if lam is not None:
            _LOG.debug("route=data_krylov")
            return lam, 0.0
        _LOG.debug("data_krylov not certified within %d vectors; forming the matrix", m_cap)
    m64 = data.small_matrix(np.float64)
    frob2 = 0.0
    if frobenius:
        upper = float(np.einsum("ij,ij->", m64, m64))     # the strict lower triangle is zero
        diag = np.diagonal(m64)
        frob2 = 2.0 * upper - float(diag @ diag)
    if not small:
        op = _symmetric_operator(m64)
        if costs["matrix_krylov"] < costs["matrix_evr"]:
            lam = _krylov(op, p, want, p // 3, block_cost=2.0 * p * p)
            if lam is not None:
                _LOG.debug("route=matrix_krylov")
                return lam, frob2
            _LOG.debug("matrix_krylov not certified within %d vectors", p // 3)
        lam = _float32_then_refine(m64, op, want)
        if lam is not None:
            _LOG.debug("route=matrix_evr32")
            return lam, frob2
        _LOG.debug("float32 eigenvectors not refined in %d blocks", _REFINE_BLOCKS)
    _LOG.debug("route=dense")
    return _eigenvalues(m64, want), frob2


def _eigenvalues(m64: np.ndarray, want: int) -> FloatArray:
    """Top `want` eigenvalues of a symmetric matrix given by its upper triangle (LAPACK)."""
    p = m64.shape[0]
    if want >= p:
        return np.linalg.eigvalsh(m64, UPLO="U")[::-1].copy()
    from scipy.linalg import eigh

    lam = eigh(m64, lower=False, eigvals_only=True, subset_by_index=[p - want, p - 1],
               driver="evr", overwrite_a=True, check_finite=False)
    return np.ascontiguousarray(lam[::-1])


def _symmetric_operator(m64: np.ndarray) -> Operator:
    """v -> M v for M given by its upper triangle (BLAS dsymm)."""
    from scipy.linalg.blas import dsymm

    def op(v: FloatArray) -> FloatArray:
        return np.asarray(dsymm(1.0, m64, v, side=0, lower=0))

    return op


def _float32_then_refine(m64: np.ndarray, op: Operator, want: int) -> FloatArray | None:
    """Top eigenvectors of M in float32 (ssyevr), then certified float64 Rayleigh–Ritz."""
    from scipy.linalg import eigh

    p = m64.shape[0]
    b = _block(want, p, 4)
    m32 = m64.astype(np.float32, order="F")
    _, vecs = eigh(m32, lower=False, subset_by_index=[p - b, p - 1], driver="evr",
                   overwrite_a=True, check_finite=False)
    del m32
    v, _ = np.linalg.qr(vecs[:, ::-1].astype(np.float64))
    if b >= p:                                  # the whole space: Rayleigh-Ritz is exact
        theta = np.linalg.eigvalsh(v.T @ op(v))[::-1]
        return np.ascontiguousarray(theta[:want])
    return _krylov(op, p, want, min(p, (_REFINE_BLOCKS + 1) * b), block_cost=2.0 * p * p,
                   start=v)


def _certified(theta: FloatArray, rnorm: FloatArray, want: int, exact: bool) -> bool:
    """Residual-based error estimate of the top `want` Ritz values below tolerance."""
    if exact:
        return True
    top = max(float(theta[0]), 0.0)
    nu = float(theta[-1] + rnorm[-1])       # upper estimate of the spectrum left outside
    gap = theta[:want] - nu
    r = rnorm[:want]
    with np.errstate(divide="ignore", invalid="ignore"):
        quad = np.where(gap > 0, r * r / np.where(gap > 0, gap, 1.0), np.inf)
    est = np.minimum(quad, r)
    tol = _CERT_RTOL * np.abs(theta[:want]) + _CERT_ATOL * top
    return bool(np.all(est <= tol))


def _orth_against(basis: FloatArray, w: FloatArray, rng: np.random.Generator) -> FloatArray:
    """Orthonormal columns spanning w minus its part in span(basis) (random where w is in it)."""
    for _ in range(2):
        w = w - basis @ (basis.T @ w)
    scale = np.linalg.norm(w, axis=0)
    ref = max(float(scale.max()), 1e-300)
    bad = scale <= 1e-10 * ref
    if bad.any():
        w[:, bad] = rng.standard_normal((w.shape[0], int(bad.sum())))
        for _ in range(2):
            w = w - basis @ (basis.T @ w)
    q, _ = np.linalg.qr(w)
    return q


def _krylov(op: Operator, p: int, want: int, m_cap: int, *, block_cost: float,
            start: FloatArray | None = None) -> FloatArray | None:
    """Block Krylov (block Lanczos, full reorthogonalisation) in float64, certified.

    `op` applies M (p × p, symmetric PSD) to a block; `block_cost` is its cost per vector,
    used to decide how often to do the Rayleigh–Ritz check. `start` is a first block with
    orthonormal columns (default: random, `k + max(16, k/8)` columns). Returns the certified
    top `want` eigenvalues, or None when the Krylov space would exceed `m_cap` vectors first.
    """
    rng = np.random.default_rng(_SEED)
    m_cap = min(m_cap, p)
    if start is None:
        b = _block(want, p, 8)
        if m_cap < 3 * b:
            return None
        start, _ = np.linalg.qr(rng.standard_normal((p, b)))
        next_check = 2 * b
    else:
        b = start.shape[1]
        if m_cap < b:
            return None
        next_check = b                  # a good start: check it before extending it
    # Column-major, so that only the blocks in use are ever touched (page faults are slow).
    basis = np.empty((p, m_cap), order="F")
    images = np.empty((p, m_cap), order="F")
    h = np.empty((m_cap, m_cap), order="F")
    basis[:, :b] = start
    m = b
    while True:
        lo = m - b
        images[:, lo:m] = op(basis[:, lo:m])
        h[:m, lo:m] = basis[:, :m].T @ images[:, lo:m]
        h[lo:m, :lo] = h[:lo, lo:m].T
        full = m >= p
        last = full or m + b > m_cap
        if m >= next_check or last:
            # Check every block while the check is cheap next to a block, then every 40%.
            cheap = _C_EIGH * m ** 3 <= 0.25 * block_cost * b
            next_check = m + b if cheap else max(m + b, int(1.4 * m))
            theta, s = np.linalg.eigh(0.5 * (h[:m, :m] + h[:m, :m].T))
            theta = theta[::-1][:b]
            s = s[:, ::-1][:, :b]
            resid = images[:, :m] @ s - (basis[:, :m] @ s) * theta
            rnorm = np.linalg.norm(resid, axis=0)
            if _certified(theta, rnorm, want, full):
                _LOG.debug("krylov certified with %d vectors", m)
                return theta[:want].copy()
            if last:
                return None
        basis[:, m:m + b] = _orth_against(basis[:, :m], images[:, lo:m], rng)
        m += b
