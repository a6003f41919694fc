"""Independent reference computations for the tests (kept in one place).

Nothing here uses infoplane's water-filling code: these are the truths it is checked against.
"""

from __future__ import annotations

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

        val, _ = integrate.quad(f, lo, hi, limit=800, epsabs=1e-11, epsrel=1e-10)
        return float(val)

    h_z = h_of(0.0, var_s + noise_var)
    # H(Z | S) = E_S[H(φ(s + η))]: Gauss–Hermite over S.
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    h_cond = sum(w * h_of(np.sqrt(var_s) * x, noise_var) for x, w in zip(nodes, weights, strict=False))
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
