"""Entropy, conditional entropy, mutual and conditional mutual information of discrete data.

Two kinds of input:

* **samples** — integer (or boolean/string) codes, shape (n,) or (n, d); a 2-D array is read
  row-wise, each row one joint symbol (a layer's binned pattern, say);
* **count tables** — non-negative counts (or, for the plug-in value only, probabilities) of a
  joint distribution.

All functions return nats unless ``unit="bits"``.

Bias corrections (``correction=``)
----------------------------------
The plug-in (maximum-likelihood) entropy of n samples is exact for the empirical distribution
(e.g. a uniform distribution over N distinct inputs) but, as an estimate of the entropy of the
distribution the samples were drawn from, it is biased low: by about (K - 1)/(2n) nats for K
occupied symbols when n ≫ K (Miller 1955; Paninski 2003), and by much more when n ≲ K
(undersampled). The estimators below use the same counts n_i (N = Σ n_i, K_obs symbols seen):

``"plugin"`` (default)
    H = log N - (1/N) Σ n_i log n_i.
``"miller_madow"``
    H_plugin + (K_obs - 1)/(2N) (Miller 1955).
``"grassberger"``
    H_G = log N - (1/N) Σ n_i G(n_i) with G(n) = ψ(n) + ½ (-1)^n [ψ((n+1)/2) - ψ(n/2)]
    (Grassberger 2003, the estimator built on G_n, equivalently
    G(n) = ψ(n) + (-1)^n ∫_0^1 x^(n-1)/(1+x) dx); ψ is the digamma function.
``"chao_shen"``
    Coverage-adjusted Horvitz–Thompson estimator (Chao & Shen 2003): with f_1 singletons the
    sample coverage is C = 1 - f_1/N (f_1 = N is replaced by N - 1 so that C > 0),
    p̂_i = C n_i / N and H = -Σ p̂_i log p̂_i / (1 - (1 - p̂_i)^N).
``"nsb"``
    Nemenman–Shafee–Bialek (2002): the posterior mean of H under a mixture of symmetric
    Dirichlet(β) priors on K symbols, with the mixing density dξ/dβ,
    ξ(β) = ψ(Kβ + 1) - ψ(β + 1) (the prior mean of H at β), which makes the prior on H
    nearly flat. For each β the posterior mean of H is the Wolpert–Wolf (1995) formula
    E[H | n, β] = ψ(N + Kβ + 1) - Σ_{i=1}^{K} (n_i + β)/(N + Kβ) ψ(n_i + β + 1),
    and it is averaged over β with weight dξ/dβ · p(n | β),
    p(n | β) = Γ(Kβ)/Γ(N + Kβ) Π_i Γ(n_i + β)/Γ(β), by composite Gauss–Legendre quadrature
    in log β (panels refined until the integrals change by < 1e-10). **The result depends
    on K**, the number of possible symbols: pass ``support`` where it is known (the number
    of bins of a histogram, 2^d for d bits). By default K is the number of symbols seen (for
    :func:`entropy`) or the length of the count vector, zeros included (for
    :func:`entropy_from_counts`); with K = K_obs the prior ignores unseen symbols and NSB is
    then biased low in the undersampled regime like the others.

Conditional entropy, mutual information and conditional mutual information apply the chosen
correction to every joint entropy: I(A;B) = H(A) + H(B) - H(A,B),
I(A;B|Z) = H(A,Z) + H(B,Z) - H(A,B,Z) - H(Z) (NSB with K = the observed symbols of each
joint). Corrected values are never clamped: a negative corrected MI is the estimator's
variance and bias, not an error. All of them cost one sort (or one ``bincount``) of packed
int64 joint codes: O(N log N), whatever the number of classes.

References
----------
Miller, G. (1955). Note on the bias of information estimates. Information Theory in
Psychology II-B, 95–100.
Wolpert, D. H., Wolf, D. R. (1995). Estimating functions of probability distributions from a
finite set of samples. Phys. Rev. E 52, 6841.
Nemenman, I., Shafee, F., Bialek, W. (2002). Entropy and inference, revisited. NIPS 14.
Chao, A., Shen, T.-J. (2003). Nonparametric estimation of Shannon's index of diversity when
there are unseen species in sample. Environ. Ecol. Stat. 10, 429–443.
Grassberger, P. (2003). Entropy estimates from insufficient samplings. arXiv:physics/0307138.
Paninski, L. (2003). Estimation of entropy and mutual information. Neural Computation 15.
"""

from __future__ import annotations

import functools
import math
from typing import Literal, TypeAlias, cast

import numpy as np
import numpy.typing as npt
from scipy import special

from infoplane._typing import FloatArray, IntArray, Unit
from infoplane._validation import as_int, choice, fail, finite_array, unit_factor

__all__ = [
    "CORRECTIONS",
    "Correction",
    "conditional_entropy",
    "conditional_mutual_information",
    "entropy",
    "entropy_from_counts",
    "joint_codes",
    "miller_madow",
    "mutual_information",
    "mutual_information_from_table",
]

Correction: TypeAlias = Literal["plugin", "miller_madow", "grassberger", "chao_shen", "nsb"]
#: The accepted values of ``correction``.
CORRECTIONS: tuple[str, ...] = ("plugin", "miller_madow", "grassberger", "chao_shen", "nsb")

#: Key span up to which counts are taken with ``bincount`` (else one sort).
_DENSE_SLACK = 64


def _check_correction(correction: object) -> Correction:
    """Validate a ``correction`` name."""
    return cast(Correction, choice("correction", correction, CORRECTIONS))


# ---------------------------------------------------------------------------- joint codes
def joint_codes(values: npt.ArrayLike, name: str = "values") -> IntArray:
    """Integer codes 0..K-1 of the rows of ``values`` (the joint symbol of each sample).

    Rows of small non-negative integers are packed into one int64 by mixed radix when they
    fit in 62 bits (a sort of int64 instead of a row-wise unique); otherwise rows are viewed
    as opaque bytes.

    Examples
    --------
    >>> joint_codes([[0, 1], [1, 0], [0, 1]]).tolist()
    [0, 1, 0]
    """
    arr = np.asarray(values)
    if arr.ndim == 0 or arr.size == 0:
        raise fail(name, "a non-empty array of codes", arr)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise fail(name, "a 1-D or 2-D array of codes", arr, f"(shape {arr.shape})")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise fail(name, "integer codes (finite, integral values)", arr)
        arr = arr.astype(np.int64)
    if arr.dtype.kind in "biu":
        packed = _pack_rows(arr.astype(np.int64, copy=False))
        if packed is not None:
            return _dense(packed)
    contiguous = np.ascontiguousarray(arr)
    void = contiguous.view(np.dtype((np.void, contiguous.dtype.itemsize * arr.shape[1])))
    _, codes = np.unique(void.ravel(), return_inverse=True)
    return np.asarray(codes, dtype=np.int64).reshape(-1)


def _pack_rows(arr: IntArray) -> IntArray | None:
    """Mixed-radix int64 key of each row, or None when it would not fit in 62 bits."""
    if arr.shape[1] == 1:
        return arr[:, 0]
    lo = arr.min(axis=0)
    span = arr.max(axis=0) - lo + 1
    if np.sum(np.log2(span.astype(np.float64))) > 62:
        return None
    key = np.zeros(arr.shape[0], dtype=np.int64)
    for j in range(arr.shape[1]):
        key *= span[j]
        key += arr[:, j] - lo[j]
    return key


def _dense(keys: IntArray) -> IntArray:
    """Dense codes 0..K-1 of int64 keys, in the keys' order (``bincount`` or one sort)."""
    lo, hi = int(keys.min()), int(keys.max())
    n = keys.size
    if hi - lo <= 4 * n + _DENSE_SLACK:
        shifted = keys - lo if lo else keys
        present = np.bincount(shifted, minlength=hi - lo + 1) > 0
        return np.asarray((np.cumsum(present) - 1)[shifted], dtype=np.int64)
    _, codes = np.unique(keys, return_inverse=True)
    return np.asarray(codes, dtype=np.int64).reshape(-1)


def _key_counts(keys: IntArray, span: int) -> IntArray:
    """Counts of the distinct values of non-negative int64 keys < ``span`` (any order).

    ``bincount`` when the span is small, else one sort and the run lengths: O(N log N) and
    O(N) memory, whatever the number of classes.
    """
    n = keys.size
    if span <= 4 * n + _DENSE_SLACK:
        c = np.bincount(keys, minlength=1)
        return c[c > 0]
    s = np.sort(keys)
    starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
    return np.diff(np.append(starts, n))


def _combine(ca: IntArray, ka: int, cb: IntArray, kb: int) -> tuple[IntArray, int]:
    """Dense codes of the pairs (a, b) of dense codes (a < ka, b < kb), and their number."""
    key = ca * kb + cb
    codes = _dense(key)
    return codes, int(codes.max()) + 1


# ------------------------------------------------------------------------------ kernels
def _entropy_nats(counts: IntArray, correction: Correction, support: int | None = None
                  ) -> float:
    """Entropy in nats of positive integer ``counts`` (the occupied symbols) by
    ``correction``; ``support`` is K for NSB (default: the number of counts)."""
    n = int(counts.sum())
    k_obs = int(counts.size)
    if correction == "plugin":
        return float(math.log(n) - np.dot(counts, np.log(counts)) / n)
    if correction == "miller_madow":
        h = float(math.log(n) - np.dot(counts, np.log(counts)) / n)
        return h + (k_obs - 1) / (2.0 * n)
    if correction == "grassberger":
        vals, mult = np.unique(counts, return_counts=True)
        return float(math.log(n) - np.dot(mult * vals, _grassberger_g(vals)) / n)
    if correction == "chao_shen":
        return _chao_shen(counts, n)
    return _nsb(counts, k_obs if support is None else support)


def _grassberger_g(n: npt.ArrayLike) -> FloatArray:
    """G(n) = ψ(n) + ½ (-1)^n [ψ((n+1)/2) - ψ(n/2)] of Grassberger (2003), for n ≥ 1.

    ``log N - (1/N) Σ n_i G(n_i)`` is his entropy estimator; G(1) = -γ - log 2.
    """
    v = np.atleast_1d(np.asarray(n, dtype=np.float64))
    sign = np.where(np.mod(v, 2.0) == 0.0, 1.0, -1.0)
    return np.asarray(special.digamma(v)
                      + 0.5 * sign * (special.digamma((v + 1.0) / 2.0)
                                      - special.digamma(v / 2.0)), dtype=np.float64)


@functools.lru_cache(maxsize=16)
def _grassberger_table(n: int) -> FloatArray:
    """c G(c) for c = 0..n (0 at c = 0), read-only: the per-run weights of H_G."""
    c = np.arange(n + 1, dtype=np.float64)
    out = np.zeros(n + 1)
    if n >= 1:
        out[1:] = c[1:] * _grassberger_g(c[1:])
    out.flags.writeable = False
    return out


def _chao_shen(counts: IntArray, n: int) -> float:
    """Chao & Shen (2003): coverage-adjusted Horvitz–Thompson entropy (nats)."""
    f1 = int(np.count_nonzero(counts == 1))
    if f1 == n:
        f1 = n - 1                       # all singletons: keep the coverage positive
    coverage = 1.0 - f1 / n
    pa = coverage * counts / n
    with np.errstate(divide="ignore"):
        # 1 - (1 - p)^N without cancellation; p = 1 gives log1p(-1) = -inf and a weight 1
        inclusion = -np.expm1(n * np.log1p(-pa))
    return float(-np.sum(pa * np.log(pa) / inclusion))


def _log_rising(a: FloatArray, v: FloatArray) -> FloatArray:
    """log Γ(a + v) - log Γ(a) for a > 0, v ≥ 0 (Stirling differences for large a)."""
    a, v = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(v, dtype=np.float64))
    out = np.empty(a.shape)
    big = a >= 1e3
    small = ~big
    out[small] = special.gammaln(a[small] + v[small]) - special.gammaln(a[small])
    ab, vb = a[big], v[big]
    s = ab + vb
    # (s - 1/2) log s - s - (a - 1/2) log a + a + Σ B_2k/(2k(2k-1)) (s^(1-2k) - a^(1-2k))
    out[big] = ((ab - 0.5) * np.log1p(vb / ab) + vb * np.log(s) - vb
                + (1.0 / s - 1.0 / ab) / 12.0 - (s**-3 - ab**-3) / 360.0
                + (s**-5 - ab**-5) / 1260.0)
    return out


def _trigamma_tail(z: FloatArray) -> FloatArray:
    """ψ1(z) - 1/z for z ≥ 1e3 (asymptotic series, relative error < 1e-25)."""
    iz = 1.0 / z
    iz2 = iz * iz
    return np.asarray(iz2 * (0.5 + iz * (1.0 / 6.0 - iz2 * (1.0 / 30.0 - iz2 * (
        1.0 / 42.0 - iz2 / 30.0)))), dtype=np.float64)


def _nsb_prior(beta: npt.ArrayLike, k: int) -> FloatArray:
    """dξ/dβ = K ψ1(Kβ + 1) - ψ1(β + 1): the NSB mixing density (unnormalised).

    ξ(β) = ψ(Kβ + 1) - ψ(β + 1) is the prior mean of H under a symmetric Dirichlet(β) on K
    symbols (Nemenman, Shafee & Bialek 2002); for β ≥ 1e3 the difference is formed
    algebraically, (K - 1)/((Kβ + 1)(β + 1)) plus asymptotic tails, so it keeps its relative
    precision where both trigammas are ≈ 1/β.
    """
    b = np.atleast_1d(np.asarray(beta, dtype=np.float64))
    out = np.empty(b.shape)
    big = b + 1.0 >= 1e3
    bs = b[~big]
    out[~big] = k * special.polygamma(1, k * bs + 1.0) - special.polygamma(1, bs + 1.0)
    bb = b[big]
    out[big] = ((k - 1.0) / ((k * bb + 1.0) * (bb + 1.0))
                + k * _trigamma_tail(k * bb + 1.0) - _trigamma_tail(bb + 1.0))
    return out


def _nsb_posterior_mean(beta: npt.ArrayLike, counts: npt.ArrayLike, k: int) -> FloatArray:
    """E[H | n, β] under a symmetric Dirichlet(β) prior on K symbols (Wolpert & Wolf 1995).

    ψ(N + Kβ + 1) - Σ_{i=1}^{K} (n_i + β)/(N + Kβ) ψ(n_i + β + 1), in nats; ``counts`` are
    the observed (positive) counts, the other K - K_obs symbols have n_i = 0.
    """
    b = np.atleast_1d(np.asarray(beta, dtype=np.float64))[:, None]
    c = np.asarray(counts, dtype=np.float64).ravel()
    vals, mult = np.unique(c, return_counts=True)
    n = float(c.sum())
    empty = k - c.size
    s = (mult * (vals + b) * special.digamma(vals + b + 1.0)).sum(axis=1)
    s = s + empty * b[:, 0] * special.digamma(b[:, 0] + 1.0)
    kb = k * b[:, 0]
    return np.asarray(special.digamma(n + kb + 1.0) - s / (n + kb), dtype=np.float64)


def _nsb(counts: IntArray, k: int) -> float:
    """NSB entropy (nats): ∫ dξ/dβ p(n|β) E[H|n,β] dβ / ∫ dξ/dβ p(n|β) dβ, in x = log β.

    The integrand is located on a grid in x, refined around its maximum, and both integrals
    are taken by composite 20-point Gauss–Legendre quadrature over the window where the
    weight is within e^-45 of its maximum, with panels no wider than the peak's width,
    doubling the panels until both integrals agree to 1e-10 (relative; the log-weight
    itself carries round-off of ~1e-12 from sums of log-gammas of size N log N).
    """
    if k == 1:
        return 0.0
    c = np.asarray(counts, dtype=np.float64)
    vals, mult = np.unique(c, return_counts=True)
    n = float(c.sum())

    def log_weight(x: FloatArray) -> FloatArray:
        """log[β dξ/dβ p(n|β)] (β = e^x: the Jacobian of x = log β)."""
        b = np.exp(x)
        ll = (-_log_rising(k * b, np.full_like(b, n))
              + (mult * _log_rising(b[:, None], vals[None, :])).sum(axis=1))
        with np.errstate(divide="ignore", invalid="ignore"):
            out = ll + np.log(_nsb_prior(b, k)) + x
        return np.asarray(np.where(np.isfinite(out), out, -np.inf), dtype=np.float64)

    # Beyond the grid the weight falls like e^(x - x_lo) below it and like e^(x_hi - x)
    # above it (p(n|β) tends to a constant, dξ/dβ to (K-1)/(2Kβ²)): e^-35 ≈ 6e-16.
    x_lo = -math.log(k) - math.log(n + 1.0) - 35.0
    x_hi = math.log(n + 1.0) + 35.0
    step = 0.1
    grid = np.linspace(x_lo, x_hi, math.ceil((x_hi - x_lo) / step) + 1)
    lw = log_weight(grid)
    i = int(np.argmax(lw))
    a, b = float(grid[max(i - 1, 0)]), float(grid[min(i + 1, grid.size - 1)])
    fine = np.linspace(a, b, 401)
    lw_fine = log_weight(fine)
    j = int(np.argmax(lw_fine))
    x_star, top = float(fine[j]), float(lw_fine[j])
    inside = np.flatnonzero(lw >= top - 45.0)
    lo = min(a, float(grid[max(int(inside.min()) - 1, 0)])) if inside.size else a
    hi = max(b, float(grid[min(int(inside.max()) + 1, grid.size - 1)])) if inside.size else b
    h = 1e-3
    f3 = log_weight(np.array([x_star - h, x_star, x_star + h]))
    curvature = -(f3[0] - 2.0 * f3[1] + f3[2]) / (h * h)
    width = 1.0 / math.sqrt(curvature) if curvature > 0 and math.isfinite(curvature) \
        else (hi - lo) / 16.0
    panels = int(min(max(16, math.ceil((hi - lo) / width)), 1024))
    nodes, weights = np.polynomial.legendre.leggauss(20)

    def integrals(m: int) -> tuple[float, float]:
        edges = np.linspace(lo, hi, m + 1)
        half = 0.5 * np.diff(edges)
        mid = 0.5 * (edges[1:] + edges[:-1])
        x = (mid[:, None] + half[:, None] * nodes[None, :]).ravel()
        w = (half[:, None] * weights[None, :]).ravel() * np.exp(log_weight(x) - top)
        return float(w.sum()), float(w @ _nsb_posterior_mean(np.exp(x), c, k))

    z, num = integrals(panels)
    while panels < 1 << 12:
        panels *= 2
        z2, num2 = integrals(panels)
        done = abs(z2 - z) <= 1e-10 * abs(z2) and abs(num2 - num) <= 1e-10 * abs(num2)
        z, num = z2, num2
        if done:
            break
    return float(num / z)


# ------------------------------------------------------------------------ public entropy
def entropy_from_counts(counts: npt.ArrayLike, *, unit: Unit = "nats",
                        correction: Correction = "plugin", support: int | None = None
                        ) -> float:
    """H of the distribution given by non-negative counts (any shape; normalised inside).

    Parameters
    ----------
    counts : array_like
        Counts of each symbol (zeros allowed). Probabilities are accepted for the plug-in
        value; every correction needs integer counts (it depends on the sample size N).
    unit : {"nats", "bits"}
    correction : {"plugin", "miller_madow", "grassberger", "chao_shen", "nsb"}
        See the module docstring (formulas and references).
    support : int, optional
        K, the number of possible symbols, used by ``"nsb"`` only (the others depend on the
        observed counts alone). Default: the number of entries of ``counts``, zeros included.
        Must be at least the number of nonzero counts.

    Returns
    -------
    float
        The entropy estimate in ``unit``.

    Examples
    --------
    >>> entropy_from_counts([1, 1, 1, 1], unit="bits")
    2.0
    >>> round(entropy_from_counts([1, 1, 1, 1], correction="miller_madow"), 6)  # + 3/8
    1.761294
    """
    corr = _check_correction(correction)
    factor = unit_factor(unit)
    c = finite_array("counts", counts).ravel()
    if np.any(c < 0):
        raise fail("counts", "non-negative", float(c.min()))
    total = c.sum()
    if total <= 0:
        raise fail("counts", "not all zero", c)
    k = _support(support, int(np.count_nonzero(c)), c.size)
    if corr == "plugin":
        p = (c / total)[c > 0]
        return float(-np.sum(p * np.log(p))) / factor
    if not np.all(c == np.round(c)):
        raise fail("counts", f"integer counts for correction={corr!r} (it depends on the "
                   "sample size)", c)
    if total > 2.0**53:
        raise fail("counts", "a total below 2^53 (exact in float64)", float(total))
    return _entropy_nats(c[c > 0].astype(np.int64), corr, k) / factor


def _support(support: int | None, k_obs: int, default: int) -> int:
    """The validated support size K (>= the number of observed symbols)."""
    if support is None:
        return default
    k = as_int("support", support, min_value=1)
    if k < k_obs:
        raise fail("support", f">= the number of observed symbols ({k_obs})", support)
    return k


def entropy(values: npt.ArrayLike, *, unit: Unit = "nats", correction: Correction = "plugin",
            support: int | None = None) -> float:
    """Entropy H(A) of samples of a discrete variable (rows are joint symbols).

    Parameters
    ----------
    values : array_like, shape (n,) or (n, d)
        Integer, boolean, string or integral float codes.
    unit : {"nats", "bits"}
    correction : {"plugin", "miller_madow", "grassberger", "chao_shen", "nsb"}
        Plug-in (default) or a bias-corrected estimator (module docstring).
    support : int, optional
        K for ``"nsb"``: the number of possible symbols (default: the number observed).

    Examples
    --------
    >>> round(entropy([0, 0, 1, 1]), 6)
    0.693147
    >>> round(entropy([0, 1, 2, 3], correction="grassberger"), 6)  # log 4 + γ + log 2
    2.656657
    """
    corr = _check_correction(correction)
    factor = unit_factor(unit)
    counts = _code_counts(joint_codes(values))
    k = _support(support, counts.size, counts.size)
    return _entropy_nats(counts, corr, k) / factor


def _code_counts(codes: IntArray) -> IntArray:
    """Counts of the occupied codes of dense codes 0..K-1."""
    c = np.bincount(codes)
    return c[c > 0]


def _paired(*named: tuple[str, npt.ArrayLike]) -> list[IntArray]:
    """Dense codes of each variable, checked to have the same number of samples."""
    codes = [joint_codes(v, name) for name, v in named]
    sizes = [c.size for c in codes]
    if len(set(sizes)) > 1:
        quoted = [f"`{name}`" for name, _ in named]
        names = ", ".join(quoted[:-1]) + " and " + quoted[-1]
        got = ", ".join(str(s) for s in sizes[:-1]) + f" and {sizes[-1]}"
        raise ValueError(f"{names} must have the same number of samples, got {got}.")
    return codes


def conditional_entropy(a: npt.ArrayLike, given: npt.ArrayLike, *, unit: Unit = "nats",
                        correction: Correction = "plugin") -> float:
    """H(A | B) = H(A, B) - H(B) from paired samples (each entropy by ``correction``).

    Examples
    --------
    >>> conditional_entropy([0, 1, 0, 1], given=[0, 1, 0, 1])
    0.0
    """
    corr = _check_correction(correction)
    factor = unit_factor(unit)
    ca, cb = _paired(("a", a), ("b", given))
    ka, kb = int(ca.max()) + 1, int(cb.max()) + 1
    h_ab = _entropy_nats(_key_counts(ca * kb + cb, ka * kb), corr)
    return (h_ab - _entropy_nats(_code_counts(cb), corr)) / factor


def _mi_nats(ca: IntArray, cb: IntArray, correction: Correction) -> float:
    """I(A;B) in nats of dense codes: H(A) + H(B) - H(A,B), each by ``correction``."""
    ka, kb = int(ca.max()) + 1, int(cb.max()) + 1
    return (_entropy_nats(_code_counts(ca), correction)
            + _entropy_nats(_code_counts(cb), correction)
            - _entropy_nats(_key_counts(ca * kb + cb, ka * kb), correction))


def _cmi_nats(ca: IntArray, cb: IntArray, cz: IntArray, correction: Correction) -> float:
    """I(A;B|Z) in nats of dense codes: H(A,Z) + H(B,Z) - H(A,B,Z) - H(Z)."""
    ka, kb, kz = (int(c.max()) + 1 for c in (ca, cb, cz))
    az, kaz = _combine(ca, ka, cz, kz)
    return (_entropy_nats(_code_counts(az), correction)
            + _entropy_nats(_key_counts(cb * kz + cz, kb * kz), correction)
            - _entropy_nats(_key_counts(az * kb + cb, kaz * kb), correction)
            - _entropy_nats(_code_counts(cz), correction))


def mutual_information(a: npt.ArrayLike, b: npt.ArrayLike, *, unit: Unit = "nats",
                       correction: Correction = "plugin") -> float:
    """I(A; B) = H(A) + H(B) - H(A, B) from paired samples (each entropy by ``correction``).

    The plug-in value is >= 0 (round-off below 0 is removed); corrected values are returned
    as computed and may be negative. O(N log N): one joint code, one sort.

    Examples
    --------
    >>> round(mutual_information([0, 1, 2, 3], [0, 0, 1, 1], unit="bits"), 12)
    1.0
    """
    corr = _check_correction(correction)
    factor = unit_factor(unit)
    ca, cb = _paired(("a", a), ("b", b))
    mi = _mi_nats(ca, cb, corr)
    if corr == "plugin":
        # The plug-in MI of an empirical distribution is >= 0; max() only removes round-off.
        mi = max(mi, 0.0)
    return mi / factor


def conditional_mutual_information(a: npt.ArrayLike, b: npt.ArrayLike, given: npt.ArrayLike,
                                   *, unit: Unit = "nats",
                                   correction: Correction = "plugin") -> float:
    """I(A; B | Z) = H(A,Z) + H(B,Z) - H(A,B,Z) - H(Z) from paired samples.

    Parameters
    ----------
    a, b, given : array_like, shape (n,) or (n, d)
        Discrete codes (rows are joint symbols); ``given`` is Z.
    unit : {"nats", "bits"}
    correction : {"plugin", "miller_madow", "grassberger", "chao_shen", "nsb"}
        Applied to each of the four joint entropies (NSB with K = the observed symbols of
        each joint).

    Returns
    -------
    float
        The plug-in value is >= 0 (round-off removed); corrected values may be negative.

    Examples
    --------
    >>> x, y = [0, 0, 1, 1], [0, 1, 0, 1]
    >>> z = [0, 1, 1, 0]                              # Z = X xor Y
    >>> mutual_information(x, y), conditional_mutual_information(x, y, z, unit="bits")
    (0.0, 1.0)
    """
    corr = _check_correction(correction)
    factor = unit_factor(unit)
    ca, cb, cz = _paired(("a", a), ("b", b), ("given", given))
    cmi = _cmi_nats(ca, cb, cz, corr)
    if corr == "plugin":
        cmi = max(cmi, 0.0)
    return cmi / factor


def mutual_information_from_table(table: npt.ArrayLike, *, unit: Unit = "nats") -> float:
    """I(A; B) of a 2-D joint count (or probability) table.

    Examples
    --------
    >>> mutual_information_from_table([[1, 0], [0, 1]], unit="bits")
    1.0
    """
    t = finite_array("table", table, ndim=2)
    if np.any(t < 0):
        raise fail("table", "non-negative counts", float(t.min()))
    if t.sum() <= 0:
        raise fail("table", "not all zero", t)
    p = t / t.sum()
    pa = p.sum(axis=1, keepdims=True)
    pb = p.sum(axis=0, keepdims=True)
    mask = p > 0
    mi = float(np.sum(p[mask] * np.log(p[mask] / (pa @ pb)[mask])))
    return max(mi, 0.0) / unit_factor(unit)


def miller_madow(values: npt.ArrayLike, *, unit: Unit = "nats") -> float:
    """Miller–Madow corrected entropy: plug-in H + (K - 1)/(2n), K the observed symbols.

    The same as ``entropy(values, correction="miller_madow")``.

    Examples
    --------
    >>> round(miller_madow([0, 1]), 6)  # log 2 + 1/4
    0.943147
    """
    return entropy(values, unit=unit, correction="miller_madow")
