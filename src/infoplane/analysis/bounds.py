"""Numerical checks of the interpretation paper's Appendices A, B and C (Eqs. 30–45).

Appendix A — the bound on I(X;Ỹ) (Eqs. 30–33)
    X is uniform over ``N`` discrete inputs, Ỹ | x follows the classifier's softmax ``P[x, :]``
    exactly (no sampling), so p(x, ỹ) = P[x, ỹ] / N and p(ỹ) = mean_x P[x, ỹ]. With
    f(x, ỹ) = p(x) p(ỹ) / p(x, ỹ) = p(ỹ) / p(ỹ|x), every expectation below is under p(x, ỹ):

    * ``mi``            I(X;Ỹ) = E[-log f]                                         (30)
    * ``taylor``        E[(f - 1)^2 / (2 c^2)] with the Lagrange point c of (31); since
                        E f = 1 this equals E[f - 1 - log f] = I exactly              (32)
    * ``rhs_half``      ½ E[(f - 1)^2 + (1 - 1/f)^2]   (first line of 33: the remainder bound)
    * ``rhs_var``       Var(f) + Var(1/f)              (second and third lines of 33)
    * ``rhs_final``     2 (Var p(Ỹ) + Var p(Ỹ|X))      (last line of 33)

    ``Var p(Ỹ)`` and ``Var p(Ỹ|X)`` are the variances, under p(x, ỹ), of the random variables
    p(Ỹ) and p(Ỹ|X) (probabilities evaluated at the random pair (X, Ỹ)) — the only reading in
    which the paper's expression is a number. The paper's "=" between the first and second
    lines is not an identity: ½E[(1 - 1/f)^2] = ½Var(1/f) + ½(E[1/f] - 1)^2 and E[1/f] - 1 is
    the χ² divergence of p(x, ỹ) from p(x)p(ỹ). The last "≤" compares variances of *ratios* of
    probabilities (unbounded as p(ỹ|x) → 0) with variances of probabilities (≤ 1/4), and fails;
    :func:`two_by_two_counterexample` gives a 2×2 case where even I(X;Ỹ) > ``rhs_final``.

Appendix B — the "empirical lower bound" (39) on I(Y;Ỹ) (Eqs. 34–39)
    With all ``n = N`` inputs as the sample, labels y_i = y(x_i) (so p(y|x) is 0/1) and
    ỹ_i = argmax_c f(c|x_i) (38), the sum in (37) is Σ_j p(y_i|x_j) f(ỹ_i|x_j) = n p(y_i, ỹ_i),
    i.e. **n times** the joint probability: (37) = (36) + n log n. The constant that makes the
    first line of (39) an *estimate* of n·I (not a bound) is therefore
    ``A = -Σ_i log(p(y_i) p(ỹ_i)) - n log n``; the paper's uniformity assumption replaces
    p(y) p(ỹ) by 1/C². We report every line per sample (divided by n) with both the literal
    constant ``A_lit = -Σ_i log(p(y_i)p(ỹ_i))`` (no n log n) and the consistent one. The second
    line (keep only j = i) is a valid inequality but drops ≈ log n per sample, the third is an
    equality, the fourth is valid because ỹ_i is the argmax. The exact I(Y;Ỹ) is given for
    Ỹ | x ~ softmax ("soft") and Ỹ = argmax ("hard").

Appendix C — binning a continuous X (Eqs. 40–45)
    For a two-component Gaussian mixture (Y the component, X | Y ~ N(μ_y, σ_y²)), the true
    I(X;Y) = h(X) - Σ_y π_y ½ log(2πe σ_y²) with h(X) by quadrature. Exact bin probabilities
    from the normal CDF (no sampling) give the binned I(X_Δ;Y) (44), which converges to the
    truth (45) as Δ → 0, while H(X_Δ) = I(X_Δ; g(X)_Δ) for an injective g (42) grows like
    h(X) - log Δ. (The paper's "precise if we take Δ → ∞" below (42) is a typo for Δ → 0.)

Maps of X (Saxe et al.'s point 3)
    For a nondecreasing map T = g(X) — a tanh neuron (:func:`tanh_map_inverse`) or a map with
    finitely many values (:func:`step_map_inverse`) — :func:`binned_map_entropy` gives the
    exact binned I(X; T_Δ) = H(T_Δ) from the mixture's CDF at the generalised inverse of g.

All quantities are in nats. These are measurement tools only: the trained checkpoints, the
figures and the claims' checks live in :mod:`infoplane.papers.interpretation.bounds`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import integrate, stats

from infoplane._typing import FloatArray
from infoplane._validation import fail, finite_array, positive

__all__ = [
    "AppendixA", "AppendixB", "GaussianMixture", "appendix_a", "appendix_b",
    "binned_map_entropy", "binned_mixture", "interval_masses", "mixture_cdf",
    "step_map_inverse", "tanh_map_inverse", "two_by_two_counterexample",
]

def _probabilities(name: str, probs: npt.ArrayLike) -> FloatArray:
    p = finite_array(name, probs, ndim=2)
    if p.shape[1] < 2:
        raise fail(name, "an (N, C) array with C >= 2 classes", p, f"(shape {p.shape})")
    if np.any(p < 0) or not np.allclose(p.sum(axis=1), 1.0, atol=1e-6):
        raise fail(name, "rows of non-negative probabilities summing to 1", p)
    return p / p.sum(axis=1, keepdims=True)


# ------------------------------------------------------------------------------ Appendix A
@dataclass(frozen=True)
class AppendixA:
    """I(X;Ỹ) and the right-hand sides of Eq. (33) for one classifier (nats).

    Attributes
    ----------
    mi : float
        Exact I(X;Ỹ) (30).
    taylor : float
        E[(f - 1)^2 / (2c^2)] of (32), computed as E[f - 1 - log f] (equals ``mi``).
    c_in_range : float
        Fraction (by probability) of pairs whose Lagrange point c lies between f and 1.
    rhs_half, rhs_var, rhs_final : float
        ½E[(f-1)^2 + (1-1/f)^2], Var(f) + Var(1/f), 2(Var p(Ỹ) + Var p(Ỹ|X)).
    var_f, var_inv_f, var_py, var_py_given_x : float
        The four variances, under p(x, ỹ).
    chi2 : float
        E[1/f] - 1, the χ² divergence; it separates ``2 rhs_half`` from ``rhs_var``.
    """

    mi: float
    taylor: float
    c_in_range: float
    rhs_half: float
    rhs_var: float
    rhs_final: float
    var_f: float
    var_inv_f: float
    var_py: float
    var_py_given_x: float
    chi2: float


def appendix_a(probs: npt.ArrayLike) -> AppendixA:
    """Exact I(X;Ỹ) and the chain (31)–(33) for X uniform over the rows of `probs`.

    Parameters
    ----------
    probs : array_like, shape (N, C)
        p(ỹ|x) for each of the N equiprobable inputs (a softmax output); rows sum to 1.
        Zero entries carry zero weight under p(x, ỹ) and are skipped.

    Returns
    -------
    AppendixA

    Raises
    ------
    ValueError
        For a non 2-D array, fewer than 2 classes, NaN/inf, or rows that are not distributions.

    Examples
    --------
    >>> r = appendix_a([[0.75, 0.25], [0.25, 0.75]])
    >>> round(r.rhs_var, 6), round(r.rhs_final, 6), r.mi > r.rhs_final
    (0.520833, 0.09375, True)
    """
    p = _probabilities("probs", probs)
    n = p.shape[0]
    joint = p / n
    py = p.mean(axis=0)
    m = joint > 0
    w = joint[m]
    cond = p[m]
    marg = np.broadcast_to(py, p.shape)[m]
    f = marg / cond
    inv = 1.0 / f
    mi = float(np.sum(w * np.log(cond / marg)))
    rem = f - 1.0 - np.log(f)
    taylor = float(np.sum(w * rem))
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.abs(f - 1.0) / np.sqrt(2.0 * rem)
    lo, hi = np.minimum(f, 1.0), np.maximum(f, 1.0)
    ok = (np.abs(f - 1.0) < 1e-6) | ((c >= lo - 1e-9) & (c <= hi + 1e-9))
    ef, einv = float(np.sum(w * f)), float(np.sum(w * inv))
    var_f = float(np.sum(w * (f - ef) ** 2))
    var_inv = float(np.sum(w * (inv - einv) ** 2))
    rhs_half = 0.5 * float(np.sum(w * ((f - 1.0) ** 2 + (1.0 - inv) ** 2)))
    var_py = float(np.sum(w * (marg - np.sum(w * marg)) ** 2))
    var_pyx = float(np.sum(w * (cond - np.sum(w * cond)) ** 2))
    return AppendixA(mi=max(mi, 0.0), taylor=taylor, c_in_range=float(np.sum(w[ok])),
                     rhs_half=rhs_half, rhs_var=var_f + var_inv,
                     rhs_final=2.0 * (var_py + var_pyx), var_f=var_f, var_inv_f=var_inv,
                     var_py=var_py, var_py_given_x=var_pyx, chi2=einv - 1.0)


def two_by_two_counterexample(eps: float = 0.25) -> AppendixA:
    """Two equiprobable inputs with p(ỹ=0|x_0) = 1 - eps, p(ỹ=0|x_1) = eps.

    p(ỹ) = ½ is constant, so Var p(Ỹ) = 0 and Var p(Ỹ|X) stays below 1/4, while
    Var(f) ≈ 1/(4 eps) grows without bound as eps → 0. At eps = 1/4,
    Var(f) + Var(1/f) = 25/48 > 2 Var p(Ỹ|X) = 3/32, and even I(X;Ỹ) ≈ 0.1308 > 3/32.

    Parameters
    ----------
    eps : float, default 0.25
        In (0, 0.5).

    Returns
    -------
    AppendixA

    Examples
    --------
    >>> r = two_by_two_counterexample(1e-3)
    >>> r.rhs_var > 100 and r.rhs_final < 0.01
    True
    """
    e = positive("eps", eps)
    if e >= 0.5:
        raise fail("eps", "in (0, 0.5)", eps)
    return appendix_a([[1.0 - e, e], [e, 1.0 - e]])


# ------------------------------------------------------------------------------ Appendix B
@dataclass(frozen=True)
class AppendixB:
    """Exact I(Y;Ỹ) and the per-sample lines of (36)–(39) (nats).

    Attributes
    ----------
    mi_soft, mi_hard : float
        Exact I(Y;Ỹ) with Ỹ | x ~ softmax, and with Ỹ = argmax (38).
    line36 : float
        (1/n) Σ_i log(p(y_i, ỹ_i)/(p(y_i)p(ỹ_i))) with the soft joint at the argmax ỹ_i.
    line37 : float
        (1/n) × (37) without a constant: ``line36 + log n`` (the j-sum is n p(y, ỹ)).
    a_lit, a_cons, a_unif : float
        (1/n) × the constants: -Σ log(p(y_i)p(ỹ_i)); that minus n log n; 2 log C - log n.
    line1, line2, line4 : float
        (1/n) Σ_i of log Σ_j p(y_i|x_j)f(ỹ_i|x_j), of log(p(y_i|x_i) f(ỹ_i|x_i)) (= line 3),
        and of log f(y_i|x_i) + log p(y_i|x_i), without the constant (add ``a_*``).
    cross_entropy : float
        -line4 (mean cross-entropy of the labels).
    n : int
    """

    mi_soft: float
    mi_hard: float
    line36: float
    line37: float
    a_lit: float
    a_cons: float
    a_unif: float
    line1: float
    line2: float
    line4: float
    cross_entropy: float
    n: int


def appendix_b(probs: npt.ArrayLike, labels: npt.ArrayLike) -> AppendixB:
    """The chain (36)–(39) over all n inputs (each once), against the exact I(Y;Ỹ).

    Parameters
    ----------
    probs : array_like, shape (n, C)
        Softmax outputs f(·|x_i).
    labels : array_like of int, shape (n,)
        y_i in [0, C); p(y|x) is the 0/1 indicator of the label (deterministic labels).

    Returns
    -------
    AppendixB

    Examples
    --------
    >>> r = appendix_b([[0.9, 0.1], [0.2, 0.8]], [0, 1])
    >>> round(r.mi_hard, 6) == round(math.log(2), 6), round(r.line37 - r.line36, 6)
    (True, 0.693147)
    """
    p = _probabilities("probs", probs)
    n, k = p.shape
    y = np.asarray(labels)
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise fail("labels", f"integers of shape ({n},)", y)
    if y.min() < 0 or y.max() >= k:
        raise fail("labels", f"integers in [0, {k})", y)
    onehot = np.eye(k)[y]
    hard = np.argmax(p, axis=1)
    soft_joint = onehot.T @ p / n              # p(y, ỹ), Ỹ|x ~ softmax
    hard_joint = onehot.T @ np.eye(k)[hard] / n
    py, pt = soft_joint.sum(axis=1), soft_joint.sum(axis=0)

    def mi(t: FloatArray) -> float:
        a, b = t.sum(axis=1, keepdims=True), t.sum(axis=0, keepdims=True)
        m = t > 0
        return max(float(np.sum(t[m] * np.log(t[m] / (a @ b)[m]))), 0.0)

    pj = soft_joint[y, hard]
    line36 = float(np.mean(np.log(pj / (py[y] * pt[hard]))))
    jsum = onehot[:, y].T                      # [i, j] = p(y_i | x_j)
    line1_terms = np.sum(jsum * p[:, hard].T, axis=1)    # Σ_j p(y_i|x_j) f(ỹ_i|x_j)
    a_lit = float(np.mean(-np.log(py[y] * pt[hard])))
    fi = p[np.arange(n), hard]
    fy = p[np.arange(n), y]
    with np.errstate(divide="ignore"):
        line4 = float(np.mean(np.log(fy)))
    return AppendixB(mi_soft=mi(soft_joint), mi_hard=mi(hard_joint), line36=line36,
                     line37=line36 + math.log(n), a_lit=a_lit, a_cons=a_lit - math.log(n),
                     a_unif=2.0 * math.log(k) - math.log(n),
                     line1=float(np.mean(np.log(line1_terms))),
                     line2=float(np.mean(np.log(fi))), line4=line4, cross_entropy=-line4,
                     n=n)


# ------------------------------------------------------------------------------ Appendix C
@dataclass(frozen=True)
class GaussianMixture:
    """Y ~ Categorical(weights), X | Y=k ~ N(means[k], sds[k]^2).

    Examples
    --------
    >>> gm = GaussianMixture()
    >>> round(gm.mi_true(), 4) > 0
    True
    """

    weights: tuple[float, ...] = (0.4, 0.6)
    means: tuple[float, ...] = (-1.0, 1.0)
    sds: tuple[float, ...] = (0.7, 1.0)

    def pdf(self, x: FloatArray) -> FloatArray:
        """Mixture density at `x`."""
        return np.asarray(sum(w * stats.norm.pdf(x, m, s)
                              for w, m, s in zip(self.weights, self.means, self.sds,
                                                 strict=True)), dtype=np.float64)

    def _range(self) -> tuple[float, float]:
        lo = min(m - 12 * s for m, s in zip(self.means, self.sds, strict=True))
        hi = max(m + 12 * s for m, s in zip(self.means, self.sds, strict=True))
        return lo, hi

    def h_x(self) -> float:
        """Differential entropy h(X) (nats) by adaptive quadrature."""
        lo, hi = self._range()

        def integrand(x: float) -> float:
            v = float(self.pdf(np.array([x]))[0])
            return -v * math.log(v) if v > 0 else 0.0
        val, _ = integrate.quad(integrand, lo, hi, limit=400, points=list(self.means))
        return float(val)

    def mi_true(self) -> float:
        """I(X;Y) = h(X) - Σ_k w_k ½ log(2πe σ_k²) (nats)."""
        h_cond = sum(w * 0.5 * math.log(2 * math.pi * math.e * s * s)
                     for w, s in zip(self.weights, self.sds, strict=True))
        return self.h_x() - h_cond

    def sample(self, n: int, seed: int = 0) -> tuple[FloatArray, npt.NDArray[np.int64]]:
        """`n` draws (x, y) from a seeded generator."""
        rng = np.random.default_rng(seed)
        y = rng.choice(len(self.weights), size=n, p=np.asarray(self.weights))
        x = rng.normal(np.asarray(self.means)[y], np.asarray(self.sds)[y])
        return x, y.astype(np.int64)


def binned_mixture(gm: GaussianMixture, delta: float) -> tuple[float, float]:
    """Exact binned I(X_Δ;Y) (44) and H(X_Δ) (42) from the mixture's CDF, mesh anchored at 0.

    Parameters
    ----------
    gm : GaussianMixture
    delta : float
        Bin width Δ > 0.

    Returns
    -------
    (float, float)
        I(X_Δ; Y) and H(X_Δ) = I(X; g(X)) binned, in nats.

    Examples
    --------
    >>> gm = GaussianMixture()
    >>> mi, h = binned_mixture(gm, 0.01)
    >>> abs(mi - gm.mi_true()) < 1e-3, abs(h - (gm.h_x() - math.log(0.01))) < 1e-3
    (True, True)
    """
    d = positive("delta", delta)
    lo, hi = gm._range()
    edges = np.arange(math.floor(lo / d), math.ceil(hi / d) + 1) * d
    if edges.size > 5_000_001:
        raise fail("delta", f"at least {(hi - lo) / 5e6:.3g} (too many bins)", delta)
    table = interval_masses(gm, edges)
    px = table.sum(axis=1)
    pyk = table.sum(axis=0)
    m_ = table > 0
    mi = float(np.sum(table[m_] * np.log(table[m_] / (px[:, None] * pyk[None, :])[m_])))
    hx = float(-np.sum(px[px > 0] * np.log(px[px > 0])))
    return mi, hx


# ------------------------------------------------------------------------------ maps of X
def mixture_cdf(gm: GaussianMixture, x: npt.ArrayLike) -> FloatArray:
    """P(X <= x) of the mixture `gm` (elementwise).

    Examples
    --------
    >>> gm = GaussianMixture(weights=(0.5, 0.5), means=(-1.0, 1.0), sds=(1.0, 1.0))
    >>> float(mixture_cdf(gm, 0.0))
    0.5
    """
    xa = np.asarray(x, dtype=np.float64)
    return np.asarray(sum(w * stats.norm.cdf(xa, m, s) for w, m, s in zip(
        gm.weights, gm.means, gm.sds, strict=True)), dtype=np.float64)


def interval_masses(gm: GaussianMixture, edges: npt.ArrayLike) -> FloatArray:
    """P(e_k <= X < e_{k+1}, Y = y) for nondecreasing `edges` (may be ±inf), shape (K-1, C).

    Differences of the CDF below each component's mean and of the survival function above
    it, so that tail bins keep their relative precision.

    Examples
    --------
    >>> interval_masses(GaussianMixture(), [-np.inf, 0.0, np.inf]).sum().round(12)
    np.float64(1.0)
    """
    e = np.asarray(edges, dtype=np.float64)
    if e.ndim != 1 or e.size < 2 or np.any(np.isnan(e)) or np.any(e[1:] < e[:-1]):
        raise fail("edges", "a nondecreasing 1-D array of at least 2 values (±inf allowed)",
                   e)
    cols = []
    for w, m, s in zip(gm.weights, gm.means, gm.sds, strict=True):
        c, sf = stats.norm.cdf(e, m, s), stats.norm.sf(e, m, s)
        mass = np.where(e[1:] <= m, c[1:] - c[:-1],
                        np.where(e[:-1] >= m, sf[:-1] - sf[1:], 1.0 - c[:-1] - sf[1:]))
        cols.append(w * mass)
    return np.asarray(np.clip(np.stack(cols, axis=1), 0.0, None), dtype=np.float64)


def binned_map_entropy(gm: GaussianMixture, delta: float,
                       inverse: Callable[[FloatArray], FloatArray],
                       t_range: tuple[float, float]) -> float:
    """Exact binned I(X; T_Δ) = H(T_Δ) for T = g(X), g nondecreasing, bins of width Δ on T.

    ``T_Δ = floor(g(X)/Δ)`` is a function of X, so I(X; T_Δ) = H(T_Δ). With the generalised
    inverse ``g⁻(t) = inf{x : g(x) >= t}``, P(T_Δ = k) = P(g⁻(kΔ) <= X < g⁻((k+1)Δ)).

    Parameters
    ----------
    gm : GaussianMixture
        The distribution of X.
    delta : float
        Bin width Δ > 0 on T's axis (mesh anchored at 0).
    inverse : callable
        ``g⁻`` on an array of T values (nondecreasing; ``-inf`` below the range of g,
        ``+inf`` above it).
    t_range : (float, float)
        An interval containing the range of g.

    Returns
    -------
    float
        H(T_Δ) in nats.

    Examples
    --------
    >>> gm = GaussianMixture()
    >>> ident = binned_map_entropy(gm, 0.01, lambda t: t, gm._range())
    >>> abs(ident - binned_mixture(gm, 0.01)[1]) < 1e-9
    True
    """
    d = positive("delta", delta)
    lo, hi = (float(v) for v in t_range)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
        raise fail("t_range", "a finite interval (lo, hi) with lo <= hi", t_range)
    n_bins = math.floor(hi / d) - math.floor(lo / d) + 1
    if n_bins > 5_000_000:
        raise fail("delta", f"at least {(hi - lo) / 5e6:.3g} (too many bins)", delta)
    t_edges = np.arange(math.floor(lo / d), math.floor(hi / d) + 2, dtype=np.float64) * d
    x_edges = np.asarray(inverse(t_edges), dtype=np.float64)
    p = interval_masses(gm, x_edges).sum(axis=1)
    p = p[p > 0]
    return float(-np.sum(p * np.log(p)))


def tanh_map_inverse(a: float, b: float) -> Callable[[FloatArray], FloatArray]:
    """``g⁻`` of g(x) = tanh(a x + b), a > 0: (artanh(t) - b)/a, ∓inf outside (-1, 1)."""
    aa = positive("a", a)

    def inverse(t: FloatArray) -> FloatArray:
        t = np.asarray(t, dtype=np.float64)
        out = np.where(t <= -1.0, -np.inf, np.inf)
        inside = (t > -1.0) & (t < 1.0)
        out[inside] = (np.arctanh(t[inside]) - b) / aa
        return out
    return inverse


def step_map_inverse(thresholds: Sequence[float], values: Sequence[float]
                     ) -> Callable[[FloatArray], FloatArray]:
    """``g⁻`` of the step map g(x) = values[j] for thresholds[j-1] <= x < thresholds[j].

    Parameters
    ----------
    thresholds : sequence of float
        Strictly increasing, ``m - 1`` of them.
    values : sequence of float
        Strictly increasing, ``m`` of them (so g is nondecreasing with m values).
    """
    th = np.asarray(thresholds, dtype=np.float64)
    va = np.asarray(values, dtype=np.float64)
    if va.ndim != 1 or th.shape != (va.size - 1,) or np.any(np.diff(th) <= 0) \
            or np.any(np.diff(va) <= 0):
        raise fail("thresholds", f"strictly increasing, one fewer than `values` "
                   f"({va.size}), with `values` strictly increasing", list(th))
    bounds = np.concatenate([[-np.inf], th, [np.inf]])

    def inverse(t: FloatArray) -> FloatArray:
        t = np.asarray(t, dtype=np.float64)
        # g(x) >= t  iff  x >= thresholds[j-1], j the first value index with values[j] >= t
        j = np.searchsorted(va, t, side="left")
        return np.asarray(bounds[j], dtype=np.float64)
    return inverse
