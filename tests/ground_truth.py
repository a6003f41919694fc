"""Independent reference computations for the tests (kept in one place).

Nothing here uses infoplane's water-filling code: these are the truths it is checked against.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import integrate, optimize, special, stats


def gaussian_channel_mi(w: np.ndarray, cov: np.ndarray, noise_var: float) -> float:
    """½ log det(I + W Σ Wᵀ/σ²) by slogdet (the textbook formula)."""
    m = np.eye(w.shape[0]) + w @ cov @ w.T / noise_var
    sign, logdet = np.linalg.slogdet(m)
    assert sign > 0
    return 0.5 * logdet


def mmi_by_weight_search(cov: np.ndarray, width: int, budget: float, noise_var: float,
                         *, restarts: int = 4, seed: int = 0) -> float:
    """sup over ‖W‖²_F = F of the Gaussian-channel MI, by L-BFGS on the sphere (SciPy).

    Knows nothing of water-filling: it maximises the log-determinant over raw weights.
    """
    n0 = cov.shape[0]
    rng = np.random.default_rng(seed)

    def neg(u: np.ndarray) -> tuple[float, np.ndarray]:
        norm = np.linalg.norm(u)
        w = np.sqrt(budget) * u.reshape(width, n0) / norm
        m = np.eye(width) + w @ cov @ w.T / noise_var
        minv = np.linalg.inv(m)
        val = 0.5 * np.linalg.slogdet(m)[1]
        gw = minv @ w @ cov / noise_var  # d val / dW
        g = gw.ravel()
        # chain rule through w = sqrt(F) u/|u|
        gu = np.sqrt(budget) * (g - (g @ u) * u / norm**2) / norm
        return -val, -gu

    best = -np.inf
    for _ in range(restarts):
        u0 = rng.standard_normal(width * n0)
        res = optimize.minimize(neg, u0, jac=True, method="L-BFGS-B",
                                options={"maxiter": 5000, "gtol": 1e-12, "ftol": 1e-15})
        best = max(best, -res.fun)
    return float(best)


def waterfill_by_convex_solver(lam: np.ndarray, width: int, budget: float,
                               noise_var: float) -> float:
    """Eq. (15) solved as a generic convex program over the allocation (SLSQP)."""
    lam = np.sort(lam)[::-1][:width]
    base = noise_var / lam

    def neg(a: np.ndarray) -> float:
        return -0.5 * float(np.sum(np.log((a + base) / base)))

    x0 = np.full(lam.size, budget / lam.size)
    cons = [{"type": "eq", "fun": lambda a: np.sum(a) - budget}]
    res = optimize.minimize(neg, x0, method="SLSQP", bounds=[(0, None)] * lam.size,
                            constraints=cons, options={"ftol": 1e-14, "maxiter": 1000})
    return float(-res.fun)


# ----------------------------------------------------------------- 1-D ReLU channel (Theorem 3)

def relu_channel(var_s: float, bias: float, noise_var: float) -> tuple[float, float, float]:
    """For S ~ N(bias, var_s), Z = S + η, Z_relu = relu(S) + η, η ~ N(0, σ²):

    returns (I(S; Z), I(S; Z_relu), TV(p_Z, p_Zrelu)), all by quadrature.
    I(X; ·) = I(S; ·) when S = wᵀX + b is a sufficient statistic (one unit).
    """
    s = np.sqrt(var_s)
    sig = np.sqrt(noise_var)
    t2 = var_s + noise_var

    def p_lin(z: np.ndarray) -> np.ndarray:
        return stats.norm.pdf(z, bias, np.sqrt(t2))

    def p_relu(z: np.ndarray) -> np.ndarray:
        mass0 = stats.norm.cdf(-bias / s)
        # ∫_0^∞ N(u; bias, v) N(z-u; 0, σ²) du = N(z; bias, v+σ²) · Φ(m/τ), with the posterior
        # mean m = (bias σ² + z v)/(v+σ²) and std τ = sqrt(v σ²/(v+σ²)).
        m = (bias * noise_var + z * var_s) / t2
        tau = np.sqrt(var_s * noise_var / t2)
        return mass0 * stats.norm.pdf(z, 0.0, sig) + p_lin(z) * special.ndtr(m / tau)

    lo = min(-8 * sig, bias - 10 * np.sqrt(t2))
    hi = bias + 10 * np.sqrt(t2)
    h_noise = 0.5 * np.log(2 * np.pi * np.e * noise_var)

    def entropy(p: object) -> float:
        f = lambda z: -special.xlogy(p(z), p(z))  # type: ignore[operator]  # noqa: E731
        val, _ = integrate.quad(f, lo, hi, limit=500, epsabs=1e-13, epsrel=1e-12,
                                points=[0.0, bias])
        return float(val)

    i_lin = 0.5 * np.log1p(var_s / noise_var)
    i_relu = entropy(p_relu) - h_noise
    tv, _ = integrate.quad(lambda z: 0.5 * abs(p_lin(z) - p_relu(z)), lo, hi, limit=500,
                           points=[0.0, bias], epsabs=1e-14)
    return float(i_lin), float(i_relu), float(tv)


def bijective_channel_mi(var_s: float, noise_var: float, phi: str = "tanh") -> float:
    """I(X; φ(A)) for A = S + η, S ~ N(0, var_s), η ~ N(0, σ²), computed in φ-space.

    H(φ(A)) and H(φ(A) | S) are integrated over the *transformed* variable z = φ(a) with the
    change-of-variables density, so the identity of Theorem 4 is not assumed.
    """
    if phi == "tanh":
        inv, dinv = np.arctanh, (lambda z: 1.0 / (1.0 - z**2))
        lo, hi = -1.0, 1.0
    elif phi == "sigmoid":
        inv, dinv = special.logit, (lambda z: 1.0 / (z * (1.0 - z)))
        lo, hi = 0.0, 1.0
    else:
        raise ValueError(phi)

    def h_of(mean: float, var: float) -> float:
        def f(z: float) -> float:
            p = stats.norm.pdf(inv(z), mean, np.sqrt(var)) * dinv(z)
            return float(-special.xlogy(p, p))

        with warnings.catch_warnings():  # the tails near ±1 trip QUADPACK's round-off check
            warnings.simplefilter("ignore", integrate.IntegrationWarning)
            val, _ = integrate.quad(f, lo, hi, limit=800, epsabs=1e-11, epsrel=1e-10)
        return float(val)

    h_z = h_of(0.0, var_s + noise_var)
    # H(Z | S) = E_S[H(φ(s + η))]: Gauss–Hermite over S.
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    h_cond = sum(w * h_of(np.sqrt(var_s) * x, noise_var)
                 for x, w in zip(nodes, weights, strict=True))
    h_cond /= np.sqrt(2 * np.pi)
    return h_z - float(h_cond)


# ------------------------------------------------- composition: blocks on their own spheres

def maximise_on_spheres(shapes: list[tuple[int, int]], budgets: list[float], build: object,
                        *, restarts: int = 4, seed: int = 0) -> float:
    """max of ``build(mats)`` over matrices with ‖M_j‖²_F = budgets[j] (L-BFGS, FD gradient)."""
    sizes = [a * b for a, b in shapes]
    rng = np.random.default_rng(seed)

    def unpack(u: np.ndarray) -> list[np.ndarray]:
        mats, start = [], 0
        for (a, b), n, f in zip(shapes, sizes, budgets, strict=False):
            v = u[start:start + n]
            mats.append(np.sqrt(f) * v.reshape(a, b) / np.linalg.norm(v))
            start += n
        return mats

    best = -np.inf
    for _ in range(restarts):
        res = optimize.minimize(lambda u: -build(unpack(u)),  # type: ignore[operator]
                                rng.standard_normal(sum(sizes)), method="L-BFGS-B",
                                options={"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-11})
        best = max(best, -res.fun)
    return float(best)


def stacked_mi(cov: np.ndarray, noise_var: float):  # type: ignore[no-untyped-def]
    """MI of branches [W_a; W_b; ...] all reading X, independent noise: a stacked layer."""
    def f(mats: list[np.ndarray]) -> float:
        return gaussian_channel_mi(np.vstack(mats), cov, noise_var)
    return f


def noisy_chain_mi(cov: np.ndarray, noise_var: float):  # type: ignore[no-untyped-def]
    """I(X; Z_2) for Z_1 = W_1 X + η_1, Z_2 = W_2 Z_1 + η_2 (noise after every layer)."""
    def f(mats: list[np.ndarray]) -> float:
        w1, w2 = mats
        a = w2 @ w1
        noise = noise_var * (np.eye(w2.shape[0]) + w2 @ w2.T)
        num = np.linalg.slogdet(noise + a @ cov @ a.T)[1]
        return 0.5 * float(num - np.linalg.slogdet(noise)[1])
    return f


# ======================================================================= estimator truths
# The distributions with known MI live in infoplane.samplers (one truth for the tests and the
# benchmark); they are re-exported here under their old names. What stays in this file are
# independent implementations (brute-force KSG/Ross/Gao, capacity references), not truths.

from infoplane.samplers import (  # noqa: E402, F401  (re-exported for older imports)
    DISCRETE_TABLES,
    gaussian_mixture_entropy,
    gaussian_mixture_mi,
    gaussian_pair,
    sample_gaussian_mixture,
    sample_zero_inflated,
    uniform_noise_channel_mi,
    zero_inflated_mi,
)

# ============================================ k-NN estimators (KSG, Ross, Gao): references
# Appended for tests/test_estimators_ksg.py. Brute-force O(N²) versions of the papers' formulas
# (no trees, no sorting tricks) and a mixed discrete–continuous truth by quadrature.

def _maxnorm(a: np.ndarray) -> np.ndarray:
    """All pairwise max-norm distances, the diagonal (a row to itself) set to +inf."""
    d = np.abs(a[:, None, :] - a[None, :, :]).max(axis=-1)
    np.fill_diagonal(d, np.inf)
    return d


def ksg_brute_force(x: np.ndarray, y: np.ndarray, k: int, algorithm: int) -> float:
    """Kraskov et al. (2004) Eq. 8 (algorithm 1) or Eq. 9 (algorithm 2), literally, in nats.

    Works on the arrays as given (no scaling, no jitter). Algorithm 2 needs no ties at the
    k-th neighbour (its neighbour set is then ambiguous).
    """
    x, y = x.reshape(len(x), -1), y.reshape(len(y), -1)
    n = len(x)
    dx, dy = _maxnorm(x), _maxnorm(y)
    d = np.maximum(dx, dy)
    if algorithm == 1:
        eps = np.sort(d, axis=1)[:, k - 1]
        nx = (dx < eps[:, None]).sum(axis=1)
        ny = (dy < eps[:, None]).sum(axis=1)
        return float(special.digamma(k) + special.digamma(n)
                     - np.mean(special.digamma(nx + 1) + special.digamma(ny + 1)))
    nbr = np.argsort(d, axis=1, kind="stable")[:, :k]
    rows = np.arange(n)[:, None]
    ex = dx[rows, nbr].max(axis=1)
    ey = dy[rows, nbr].max(axis=1)
    nx = (dx <= ex[:, None]).sum(axis=1)
    ny = (dy <= ey[:, None]).sum(axis=1)
    return float(special.digamma(k) - 1.0 / k + special.digamma(n)
                 - np.mean(special.digamma(nx) + special.digamma(ny)))


def ross_brute_force(x: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Ross (2014): ψ(N) − ⟨ψ(N_y)⟩ + ⟨ψ(k_i)⟩ − ⟨ψ(m_i)⟩, literally, in nats.

    k is reduced to (class size − 1) for small classes and singleton classes are dropped,
    as scikit-learn's ``mutual_info_classif`` does. k_i counts the same-class samples in the
    closed ball of radius d_i (= k without ties), m_i all samples in it.
    """
    x = x.reshape(len(x), -1)
    keep = np.array([np.sum(labels == v) > 1 for v in labels])
    x, labels = x[keep], labels[keep]
    n = len(x)
    d = _maxnorm(x)
    radius = np.empty(n)
    ks = np.empty(n)
    n_y = np.empty(n)
    for i in range(n):
        same = np.flatnonzero((labels == labels[i]) & (np.arange(n) != i))
        radius[i] = np.sort(d[i, same])[min(k, same.size) - 1]
        ks[i] = np.sum(d[i, same] <= radius[i])
        n_y[i] = same.size + 1
    m = (d <= radius[:, None]).sum(axis=1)
    return float(special.digamma(n) - np.mean(special.digamma(n_y))
                 + np.mean(special.digamma(ks)) - np.mean(special.digamma(m)))


def gao_brute_force(x: np.ndarray, y: np.ndarray, k: int) -> float:
    """Gao et al. (2017) mixed KSG in the digamma form used by infoplane, literally (nats).

    ρ_i = k-th joint max-norm distance; k̃_i = k, or the number of exact joint ties if ρ_i = 0;
    n_x = #{j ≠ i: ‖x_j − x_i‖ < ρ_i} (= #{... = 0} if ρ_i = 0);
    I = ⟨ψ(k̃) + ψ(N) − ψ(n_x + 1) − ψ(n_y + 1)⟩.
    """
    x, y = x.reshape(len(x), -1), y.reshape(len(y), -1)
    n = len(x)
    dx, dy = _maxnorm(x), _maxnorm(y)
    d = np.maximum(dx, dy)
    rho = np.sort(d, axis=1)[:, k - 1]
    kt = np.where(rho > 0, k, (d == 0).sum(axis=1))
    nx = np.where(rho > 0, (dx < rho[:, None]).sum(axis=1), (dx == 0).sum(axis=1))
    ny = np.where(rho > 0, (dy < rho[:, None]).sum(axis=1), (dy == 0).sum(axis=1))
    return float(np.mean(special.digamma(kt) + special.digamma(n)
                         - special.digamma(nx + 1) - special.digamma(ny + 1)))


def plugin_mi(a: np.ndarray, b: np.ndarray) -> float:
    """Plug-in MI (nats) of two discrete samples from their contingency table."""
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    table = np.zeros((ia.max() + 1, ib.max() + 1))
    np.add.at(table, (ia.ravel(), ib.ravel()), 1.0)
    p = table / table.sum()
    outer = p.sum(axis=1, keepdims=True) * p.sum(axis=0, keepdims=True)
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] / outer[nz])))
