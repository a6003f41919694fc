"""Measurement tools for Claim 2.1 of the interpretation paper: noisy SGD / Langevin dynamics.

The paper studies ``w_{t+1} = w_t - a_t ∇F(w_t) - b_t B`` (Eqs. 3 and 6, ``B ~ N(0, I_d)``)
with ``a_t = 1/t``, ``b_t = 1/sqrt(t)`` and ``F(w) = -Σ_i log f(y_i | x_i; w)``, and claims that
``I(Y; Ỹ)`` (``Ỹ | x ~ f(· | x; w_t)``) "reaches local maximum in time with polynomial order,
and hits higher local maximum in time with exponential order". This module holds the
measurement tools, with no verdicts and no figures (those live in
:mod:`infoplane.papers.interpretation.dynamics`):

* **The proof's recursions.** :func:`mean_square_exact` (the exact ``E||w_t - w*||^2`` on a
  quadratic, the identity behind Eq. 9 with ``+ d b_t^2``), :func:`paper_bound` (Eqs. 9, 10 and
  12 as written), :func:`simulate` (vectorised chains of Eq. 3), :func:`logistic_problem`.
* **Kramers escapes.** :func:`double_well`, :func:`kramers_time`, :func:`escape_times` (first
  passages between the two wells of ``h (w^2 - 1)^2 + c w``) and the multi-exit
  :func:`kramers_escape_time`.
* **The claim's own quantity, measured exactly.** :class:`RBFClassifier` is a one-parameter
  classifier (one von Mises radial unit with learnable centre ``w`` on points of a circle)
  whose cross-entropy ``F`` has two basins with different ``I(Y; Ỹ)``;
  :func:`label_information` computes ``I(Y; Ỹ)`` exactly from the predictive table
  (``p(y, ỹ) = (1/n) Σ_i 1[y_i = y] f(ỹ | x_i; w)``); :func:`find_basins` locates its minima,
  saddles, curvatures and barriers; :func:`first_passages` runs many chains of Eq. 3 with
  ``a_t = a0 / t^α``, ``b_t = sqrt(2 T a_t)`` (so ``b_t^2 / (2 a_t) = T`` at every step; the
  paper's LMC schedule is ``α = 1``, ``a0 = 1``, ``T = 1/2``) and records, per chain, the first
  step ``t1`` at which it reaches the poorer basin's minimiser (the first plateau / local
  maximum of ``I(Y; Ỹ)``) and the first step ``t2`` at which it reaches the better basin's
  minimiser (the higher maximum), with the time-averaged ``I(Y; Ỹ)`` on each plateau;
  :func:`fit_growth` fits both ``t ∝ β^k`` (polynomial in the inverse temperature ``β = 1/T``)
  and ``t ∝ e^{E β}`` (exponential, Arrhenius/Kramers) and compares them by AIC;
  :func:`info_trajectory` records the ensemble's ``I(Y; Ỹ)`` against time.

Facts the exact computations establish (numbers in the paper layer's ``dynamics.json``):

* Eq. (9) drops the dimension: ``E||b_t B||^2 = d b_t^2``; with ``+ b_t^2`` the recursion is not
  an upper bound for ``d > 1``; with ``+ d b_t^2`` it is.
* The unrolling in (10) needs every later factor ``1 - 2 a_r m + a_r^2 M^2 <= 1``; with
  ``a_t = 1/t`` and ``M^2 > 2m`` the early factors exceed 1 and the exact value can exceed the
  unrolled (10)/(12) by orders of magnitude.
* The product in (11) is ``Θ(t^{-2m})``, not ``O(1/t)``, and with ``α = 1, β = 1/2`` each
  eigen-direction settles at ``b0^2 / (2 a0 λ)``: ``E||w_t - w*||^2`` does not go to 0.
* With ``b_t^2 / (2 a_t) = T`` the chain is an Euler–Maruyama discretisation of Langevin
  dynamics at temperature ``T`` on the clock ``s = Σ a_t``; for ``a_t = a0 / t`` that clock is
  ``a0 log t``, so relaxation to a minimiser (``|w_t - w*| ∝ t^{-a0 λ}``) takes a number of steps
  polynomial in ``1/T`` (``t1 ∝ T^{-1/(2 a0 λ)}``), while an escape that takes Kramers time
  ``τ ∝ e^{ΔF/T}`` on the clock ``s`` takes ``exp(τ / a0)`` LMC steps — doubly exponential, far
  beyond simulation; escapes are therefore measured with constant steps (``α = 0``), where
  the number of steps is ``τ / a``.

All simulations are vectorised over chains and draw their noise from
``np.random.default_rng(seed)``, one block per step.

References
----------
Bottou, L. (1998). Online learning and stochastic approximations.
Kramers, H. A. (1940). Brownian motion in a field of force. Physica 7, 284–304.
Hänggi, P., Talkner, P. & Borkovec, M. (1990). Reaction-rate theory: fifty years after
Kramers. Rev. Mod. Phys. 62, 251–341 (the multi-exit rate is the sum of the exits' rates).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from infoplane._typing import ArrayLike, FloatArray, IntArray
from infoplane._validation import as_float, as_int, choice, fail, positive

__all__ = [
    "Basins",
    "EscapeResult",
    "GrowthFit",
    "PassageResult",
    "PowerSchedule",
    "RBFClassifier",
    "SimulationResult",
    "Trajectory",
    "double_well",
    "escape_times",
    "find_basins",
    "first_passages",
    "fit_growth",
    "info_trajectory",
    "kramers_escape_time",
    "kramers_time",
    "label_information",
    "logistic_problem",
    "mean_square_exact",
    "median_log_time",
    "paper_bound",
    "rbf_problem",
    "simulate",
]

GradFn = Callable[[FloatArray], FloatArray]
BoundForm = Literal["recursion", "unrolled", "eq12"]


@dataclass(frozen=True)
class PowerSchedule:
    """Step and noise schedule ``a_t = a0 / t^alpha``, ``b_t = b0 / t^beta`` (``t = 1, 2, ...``).

    The paper's LMC setting is the default ``a0 = b0 = 1, alpha = 1, beta = 1/2``; a constant
    schedule is ``alpha = beta = 0``.

    Examples
    --------
    >>> s = PowerSchedule()
    >>> s.a(np.array([1.0, 4.0])).tolist(), s.b(np.array([4.0])).tolist()
    ([1.0, 0.25], [0.5])
    """

    a0: float = 1.0
    b0: float = 1.0
    alpha: float = 1.0
    beta: float = 0.5

    def __post_init__(self) -> None:
        positive("a0", self.a0)
        as_float("b0", self.b0, min_value=0.0)
        as_float("alpha", self.alpha, min_value=0.0)
        as_float("beta", self.beta, min_value=0.0)

    def a(self, t: FloatArray) -> FloatArray:
        """Step sizes ``a_t`` for an array of times ``t >= 1``."""
        return np.asarray(self.a0 / np.asarray(t, dtype=float) ** self.alpha, dtype=float)

    def b(self, t: FloatArray) -> FloatArray:
        """Noise scales ``b_t`` for an array of times ``t >= 1``."""
        return np.asarray(self.b0 / np.asarray(t, dtype=float) ** self.beta, dtype=float)


def _eigs(h_eigs: ArrayLike) -> FloatArray:
    lam = np.asarray(h_eigs, dtype=float).ravel()
    if lam.size == 0 or not np.all(np.isfinite(lam)) or np.any(lam <= 0):
        raise fail("h_eigs", "a non-empty array of finite positive eigenvalues", lam)
    return lam


def _vec(name: str, value: ArrayLike, dim: int | None = None) -> FloatArray:
    v = np.asarray(value, dtype=float)
    if v.ndim != 1 or v.size == 0 or not np.all(np.isfinite(v)):
        raise fail(name, "a non-empty finite 1-D array", v)
    if dim is not None and v.size != dim:
        raise fail(name, f"of length {dim}", v)
    return v


def mean_square_exact(h_eigs: ArrayLike, w0: ArrayLike, schedule: PowerSchedule,
                      T: int) -> FloatArray:
    """Exact ``E||w_t - w*||^2`` of noisy GD on ``F(w) = ½ wᵀ H w`` (no Monte Carlo).

    In the eigenbasis of ``H`` each coordinate obeys ``x_{t+1} = (1 - a_t λ) x_t - b_t ξ``, so
    ``E x_{t+1}^2 = (1 - a_t λ)^2 E x_t^2 + b_t^2`` exactly; summed over the ``d`` directions
    this is the identity behind Eq. (9) with ``+ d b_t^2``.

    Parameters
    ----------
    h_eigs : array_like, shape (d,)
        Eigenvalues ``λ_i > 0`` of ``H``.
    w0 : array_like, shape (d,)
        ``w_1 - w*`` expressed in the eigenbasis of ``H`` (deterministic start).
    schedule : PowerSchedule
        ``a_t``, ``b_t``.
    T : int
        Number of iterates returned.

    Returns
    -------
    ndarray, shape (T,)
        ``out[k] = E||w_{k+1} - w*||^2``, so ``out[0] = ||w0||^2``.

    Examples
    --------
    >>> out = mean_square_exact([1.0], [1.0], PowerSchedule(0.5, 0.0, 0.0, 0.0), 3)
    >>> out.tolist()
    [1.0, 0.25, 0.0625]
    """
    lam = _eigs(h_eigs)
    x0 = _vec("w0", w0, lam.size)
    if not isinstance(schedule, PowerSchedule):
        raise TypeError(f"`schedule` must be a PowerSchedule, got {schedule!r}.")
    T = as_int("T", T)
    t = np.arange(1, T, dtype=float)
    a, b2 = schedule.a(t), schedule.b(t) ** 2
    out = np.empty(T)
    v = x0**2
    out[0] = v.sum()
    for k in range(T - 1):  # O(T d) deterministic recursion, exact in exact arithmetic
        v = (1.0 - a[k] * lam) ** 2 * v + b2[k]
        out[k + 1] = v.sum()
    return out


def paper_bound(m: float, M: float, e0: float, schedule: PowerSchedule, T: int, *,
                dim: int = 1, form: BoundForm = "recursion") -> FloatArray:
    """The paper's upper bounds on ``E||w_t - w*||^2`` (Eqs. 9, 10, 12).

    Parameters
    ----------
    m, M : float
        Strong-convexity and smoothness constants, ``0 < m <= M``.
    e0 : float
        ``E||w_1 - w*||^2 >= 0``.
    schedule : PowerSchedule
        ``a_t``, ``b_t``.
    T : int
        Number of iterates returned (``out[0] = e0``).
    dim : int
        Multiplier of the noise term: ``dim = d`` is the correct ``E||b_t B||^2 = d b_t^2``;
        ``dim = 1`` is the paper as written.
    form : {"recursion", "unrolled", "eq12"}
        ``"recursion"``: iterate (9), ``e_{t+1} = (1 - 2 a_t m + a_t^2 M^2) e_t + dim b_t^2``
        (valid for any ``dim >= d``). ``"unrolled"``: the last line of (10),
        ``Π_{s<t}(...) e0 + dim Σ_{s<t} b_s^2`` (valid only if later factors are ``<= 1``).
        ``"eq12"``: (12) with unit constants, ``e0 / t + dim (1 + log t)``.

    Returns
    -------
    ndarray, shape (T,)

    Examples
    --------
    >>> paper_bound(1.0, 1.0, 1.0, PowerSchedule(), 3).round(3).tolist()
    [1.0, 1.0, 0.75]
    """
    m = positive("m", m)
    M = positive("M", M)
    if m > M:
        raise fail("M", f">= m = {m:g}", M)
    e0 = as_float("e0", e0, min_value=0.0)
    T = as_int("T", T)
    dim = as_int("dim", dim)
    choice("form", form, ("recursion", "unrolled", "eq12"))
    t = np.arange(1, T, dtype=float)
    a, b2 = schedule.a(t), schedule.b(t) ** 2
    fac = 1.0 - 2.0 * a * m + a**2 * M**2
    out = np.empty(T)
    out[0] = e0
    if form == "recursion":
        e = e0
        for k in range(T - 1):
            e = fac[k] * e + dim * b2[k]
            out[k + 1] = e
    elif form == "unrolled":
        out[1:] = np.cumprod(fac) * e0 + dim * np.cumsum(b2)
    else:
        tt = np.arange(2, T + 1, dtype=float)
        out[1:] = e0 / tt + dim * (1.0 + np.log(tt))
    return out


@dataclass(frozen=True)
class SimulationResult:
    """Recorded iterates of :func:`simulate`.

    Attributes
    ----------
    steps : ndarray, shape (n_rec,)
        Times ``t`` (``1`` is the start ``w_1 = w0``).
    w : ndarray, shape (n_rec, n_chains, dim)
        Iterates at those times.
    """

    steps: FloatArray
    w: FloatArray

    def mean_square(self, w_star: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Monte-Carlo ``E||w_t - w*||^2`` and its standard error, each of shape (n_rec,).

        Examples
        --------
        >>> r = SimulationResult(np.array([1.0]), np.ones((1, 2, 1)))
        >>> r.mean_square([0.0])[0].tolist()
        [1.0]
        """
        sq = ((self.w - np.asarray(w_star, dtype=float)) ** 2).sum(axis=2)
        n = sq.shape[1]
        return sq.mean(axis=1), sq.std(axis=1, ddof=1) / math.sqrt(n) if n > 1 else 0 * sq[:, 0]


def _check_sim(w0: ArrayLike, T: int, n_chains: int, record_every: int
               ) -> tuple[FloatArray, int, int, int]:
    x0 = _vec("w0", w0)
    return x0, as_int("T", T), as_int("n_chains", n_chains), as_int("record_every", record_every)


def simulate(grad_fn: GradFn, w0: ArrayLike, schedule: PowerSchedule, T: int, n_chains: int,
             seed: int = 0, record_every: int = 1) -> SimulationResult:
    """Run ``w_{t+1} = w_t - a_t ∇F(w_t) - b_t B`` (Eq. 3) for many chains at once.

    Parameters
    ----------
    grad_fn : callable
        Maps an array of shape ``(n_chains, dim)`` to the gradients, same shape.
    w0 : array_like, shape (dim,)
        Common start ``w_1``.
    schedule : PowerSchedule
        ``a_t``, ``b_t``.
    T : int
        Number of iterates (``T - 1`` updates).
    n_chains : int
        Independent chains.
    seed : int
        Seed of ``np.random.default_rng``; step ``t`` draws one ``(n_chains, dim)`` block.
    record_every : int
        Record ``t = 1, 1 + k, 1 + 2k, ...`` (and always ``t = T``).

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> r = simulate(lambda w: w, [1.0], PowerSchedule(0.5, 0.0, 0.0, 0.0), 3, 2)
    >>> r.w[:, 0, 0].tolist()
    [1.0, 0.5, 0.25]
    """
    x0, T, n_chains, record_every = _check_sim(w0, T, n_chains, record_every)
    rng = np.random.default_rng(seed)
    rec = sorted(set(range(1, T + 1, record_every)) | {T})
    w = np.tile(x0, (n_chains, 1))
    out = np.empty((len(rec), n_chains, x0.size))
    j = 0
    for t in range(1, T + 1):
        if t == rec[j]:
            out[j] = w
            j += 1
        if t == T:
            break
        a = float(schedule.a(np.array(t)))
        b = float(schedule.b(np.array(t)))
        noise = rng.standard_normal((n_chains, x0.size))
        w = w - a * grad_fn(w) - b * noise
    return SimulationResult(np.asarray(rec, dtype=float), out)


def _simulate_loop(grad_fn: GradFn, w0: ArrayLike, schedule: PowerSchedule, T: int,
                   n_chains: int, seed: int = 0) -> FloatArray:
    """Per-chain Python-loop reference for :func:`simulate` (same random stream); final iterates."""
    x0 = _vec("w0", w0)
    rng = np.random.default_rng(seed)
    ws = [x0.copy() for _ in range(n_chains)]
    for t in range(1, T):
        a = float(schedule.a(np.array(t)))
        b = float(schedule.b(np.array(t)))
        noise = rng.standard_normal((n_chains, x0.size))
        for c in range(n_chains):
            ws[c] = ws[c] - a * grad_fn(ws[c][None, :])[0] - b * noise[c]
    return np.array(ws)


def logistic_problem(n: int = 200, dim: int = 2, *, separable: bool = False, seed: int = 0
                     ) -> tuple[GradFn, FloatArray, FloatArray]:
    """A small logistic regression ``F(w) = Σ_i log(1 + exp(-y_i x_iᵀ w)) / n``.

    Parameters
    ----------
    n, dim : int
        Samples and features.
    separable : bool
        If True the labels are ``sign(x_1)`` (no finite minimiser; ``w*`` returned is the last
        Newton iterate, with a norm that grows without bound). Otherwise labels are noisy.
    seed : int
        Seed of the data.

    Returns
    -------
    grad_fn : callable
        Vectorised gradient, ``(n_chains, dim) -> (n_chains, dim)``.
    w_star : ndarray, shape (dim,)
        Minimiser (Newton's method).
    hess_eigs : ndarray, shape (dim,)
        Eigenvalues of the Hessian at ``w*`` (the local ``m`` and ``M``).

    Examples
    --------
    >>> g, w_star, lam = logistic_problem(100, 2)
    >>> bool(np.abs(g(w_star[None, :])).max() < 1e-8)
    True
    """
    n = as_int("n", n, min_value=2)
    dim = as_int("dim", dim)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    if separable:
        y = np.sign(x[:, 0] + 1e-12)
    else:
        y = np.where(rng.random(n) < 1.0 / (1.0 + np.exp(-2.0 * x[:, 0])), 1.0, -1.0)
    yx = y[:, None] * x

    def grad_fn(w: FloatArray) -> FloatArray:
        z = np.clip(w @ yx.T, -500.0, 500.0)  # (n_chains, n)
        s = 1.0 / (1.0 + np.exp(z))
        return np.asarray(-(s @ yx) / n, dtype=float)

    def hess(w: FloatArray) -> FloatArray:
        p = 1.0 / (1.0 + np.exp(-np.clip(yx @ w, -500.0, 500.0)))
        return np.asarray((x.T * (p * (1 - p))) @ x / n, dtype=float)

    w = np.zeros(dim)
    for _ in range(50 if not separable else 30):
        g = grad_fn(w[None, :])[0]
        w = w - np.linalg.solve(hess(w) + 1e-12 * np.eye(dim), g)
    return grad_fn, w, np.sort(np.linalg.eigvalsh(hess(w)))


@dataclass(frozen=True)
class DoubleWell:
    """``F(w) = h (w^2 - 1)^2 + c w`` in 1-D with its critical points.

    Attributes
    ----------
    height, tilt : float
        ``h`` and ``c``.
    left, saddle, right : float
        Left minimum, barrier top, right minimum.
    """

    height: float
    tilt: float
    left: float
    saddle: float
    right: float

    def f(self, w: FloatArray) -> FloatArray:
        """Potential."""
        return np.asarray(self.height * (w**2 - 1) ** 2 + self.tilt * w, dtype=float)

    def grad(self, w: FloatArray) -> FloatArray:
        """``F'(w)``."""
        return np.asarray(4 * self.height * w * (w**2 - 1) + self.tilt, dtype=float)

    def curv(self, w: float) -> float:
        """``F''(w)``."""
        return float(self.height * (12 * w**2 - 4))

    @property
    def barrier(self) -> float:
        """``ΔF = F(saddle) - F(left)``."""
        return float(self.f(np.array(self.saddle)) - self.f(np.array(self.left)))


def double_well(height: float = 1.0, tilt: float = 0.0) -> DoubleWell:
    """Build the double well ``h (w^2 - 1)^2 + c w`` and locate its critical points.

    Examples
    --------
    >>> dw = double_well(2.0)
    >>> (dw.left, dw.saddle, dw.right, dw.barrier)
    (-1.0, 0.0, 1.0, 2.0)
    """
    h = positive("height", height)
    c = as_float("tilt", tilt)
    roots = np.roots([4 * h, 0.0, -4 * h, c])
    real = np.sort(roots[np.abs(roots.imag) < 1e-9].real)
    if real.size != 3:
        raise fail("tilt", f"small enough to keep two wells (|c| < {8 * h / 3**1.5:.4g})", tilt)
    left, sad, right = (round(float(r), 12) + 0.0 for r in real)
    return DoubleWell(h, c, left, sad, right)


def kramers_time(well: DoubleWell, a: float, b: float) -> float:
    """Kramers' mean escape time from the left well, in steps of size ``a``.

    ``τ = 2π / sqrt(F''(min) |F''(saddle)|) · exp(ΔF / T_eff) / a`` with ``T_eff = b^2 / (2a)``.

    Examples
    --------
    >>> round(kramers_time(double_well(), 0.01, math.sqrt(0.02 * 0.25)), 1)
    6064.3
    """
    a = positive("a", a)
    b = positive("b", b)
    t_eff = b * b / (2 * a)
    pref = 2 * math.pi / math.sqrt(well.curv(well.left) * abs(well.curv(well.saddle)))
    return pref * math.exp(well.barrier / t_eff) / a


@dataclass(frozen=True)
class EscapeResult:
    """First-passage times (in steps) from the left minimum to the right minimum.

    ``times`` holds ``max_steps`` for chains that had not escaped (``censored`` of them).
    """

    times: FloatArray
    censored: int

    @property
    def mean(self) -> float:
        """Mean escape time (a lower bound if any chain was censored)."""
        return float(self.times.mean())


def escape_times(well: DoubleWell, a: float, b: float, n_chains: int, max_steps: int,
                 seed: int = 0) -> EscapeResult:
    """Steps until each chain started at the left minimum first reaches the right minimum.

    Constant ``a``, ``b``; step ``t`` draws one standard normal per chain (escaped chains' draws
    are discarded) so the stream does not depend on which chains are still running.

    Examples
    --------
    >>> r = escape_times(double_well(0.5), 0.05, 0.3, 50, 5000)
    >>> r.censored, bool(r.mean > 10)
    (0, True)
    """
    a = positive("a", a)
    b = positive("b", b)
    n_chains = as_int("n_chains", n_chains)
    max_steps = as_int("max_steps", max_steps)
    rng = np.random.default_rng(seed)
    times = np.full(n_chains, float(max_steps))
    idx = np.arange(n_chains)
    x = np.full(n_chains, well.left)
    h4, c, target = 4 * well.height, well.tilt, well.right
    for t in range(1, max_steps + 1):
        noise = rng.standard_normal(n_chains)
        x = x - a * (h4 * x * (x * x - 1.0) + c) - b * noise[idx]
        done = x >= target
        if done.any():
            times[idx[done]] = t
            keep = ~done
            idx, x = idx[keep], x[keep]
            if idx.size == 0:
                break
    return EscapeResult(times, int(idx.size))


def _escape_times_loop(well: DoubleWell, a: float, b: float, n_chains: int, max_steps: int,
                       seed: int = 0) -> FloatArray:
    """Per-chain loop reference for :func:`escape_times` with the same random stream."""
    rng = np.random.default_rng(seed)
    noise_all = [rng.standard_normal(n_chains) for _ in range(max_steps)]
    times = np.full(n_chains, float(max_steps))
    for ch in range(n_chains):
        x = well.left
        for t in range(1, max_steps + 1):
            x = x - a * (4 * well.height * x * (x * x - 1.0) + well.tilt) - b * noise_all[t - 1][ch]
            if x >= well.right:
                times[ch] = t
                break
    return times


def kramers_escape_time(curv_min: float, curv_saddles: ArrayLike, barriers: ArrayLike,
                        temperature: float) -> float:
    """Kramers' mean escape time from a minimum with several exits, in units of ``s = Σ a_t``.

    ``τ = 1 / Σ_k (sqrt(F''(min) |F''(saddle_k)|) / 2π) · exp(-ΔF_k / T)`` — the rates of the
    exits add (Kramers 1940; Hänggi et al. 1990). With one exit and constant steps ``a`` this is
    :func:`kramers_time` times ``a``.

    Parameters
    ----------
    curv_min : float
        ``F''`` at the minimum, > 0.
    curv_saddles : array_like, shape (k,)
        ``F''`` at each exit's barrier top, < 0.
    barriers : array_like, shape (k,)
        ``ΔF_k = F(saddle_k) - F(min) > 0``.
    temperature : float
        ``T = b_t^2 / (2 a_t) > 0``.

    Returns
    -------
    float
        ``τ`` (``inf`` when it overflows).

    Examples
    --------
    >>> round(kramers_escape_time(8.0, [-4.0], [1.0], 0.25) / 0.01, 1)
    6064.3
    """
    lam = positive("curv_min", curv_min)
    sad = np.asarray(curv_saddles, dtype=float).ravel()
    dF = np.asarray(barriers, dtype=float).ravel()
    if sad.size == 0 or not np.all(np.isfinite(sad)) or np.any(sad >= 0):
        raise fail("curv_saddles", "a non-empty array of finite negative curvatures", sad)
    if dF.shape != sad.shape or not np.all(np.isfinite(dF)) or np.any(dF <= 0):
        raise fail("barriers", f"{sad.size} finite positive barrier height(s)", dF)
    T = positive("temperature", temperature)
    log_rate = np.log(np.sqrt(lam * np.abs(sad)) / (2 * math.pi)) - dF / T
    top = float(log_rate.max())
    total = top + math.log(float(np.exp(log_rate - top).sum()))
    return math.exp(-total) if -total < 700 else math.inf


# ------------------------------------------------------------------------ exact I(Y; Ỹ)


def label_information(y: ArrayLike, probs: ArrayLike) -> FloatArray:
    """Exact ``I(Y; Ỹ)`` (nats) of labels and a predictive table on a finite data set.

    ``p(y, ỹ) = (1/n) Σ_i 1[y_i = y] f(ỹ | x_i)`` — the joint law of a data point's label and
    a prediction sampled from the model (the ``p(y_i, ỹ_i | x_j)`` of Eq. 20 averaged over the
    data), and ``I(Y; Ỹ) = Σ p(y, ỹ) log(p(y, ỹ) / (p(y) p(ỹ)))`` with ``0 log 0 = 0``.

    Parameters
    ----------
    y : array_like of int, shape (n,)
        Labels in ``0, ..., K - 1``.
    probs : array_like, shape (..., n, K)
        ``f(ỹ = k | x_i)``; each row non-negative and summing to 1 (within ``1e-9``). Leading
        axes (e.g. chains) are kept.

    Returns
    -------
    ndarray, shape (...)
        ``I(Y; Ỹ)`` in nats, between 0 and ``H(Y)``.

    Examples
    --------
    >>> y = np.array([0, 0, 1, 1])
    >>> float(label_information(y, np.eye(2)[y])) == math.log(2)  # Ỹ = Y
    True
    >>> float(label_information(y, np.full((4, 2), 0.5)))  # Ỹ independent of Y
    0.0
    """
    lab = np.asarray(y)
    if lab.ndim != 1 or lab.size == 0 or not np.issubdtype(lab.dtype, np.integer):
        raise fail("y", "a non-empty 1-D array of integer labels", lab)
    p = np.asarray(probs, dtype=float)
    if p.ndim < 2 or p.shape[-2] != lab.size:
        raise fail("probs", f"an array of shape (..., {lab.size}, K)", p)
    K = p.shape[-1]
    if lab.min() < 0 or lab.max() >= K:
        raise fail("y", f"labels in 0..{K - 1} (K = probs.shape[-1])", lab)
    if (not np.all(np.isfinite(p)) or np.any(p < 0)
            or not np.allclose(p.sum(axis=-1), 1.0, rtol=0.0, atol=1e-9)):
        raise fail("probs", "a table of probabilities whose rows sum to 1", p)
    onehot = (lab[:, None] == np.arange(K)[None, :]).astype(float)
    joint = np.einsum("...ik,iy->...yk", p, onehot) / lab.size
    py = onehot.mean(axis=0)
    pt = joint.sum(axis=-2)
    den = py[:, None] * pt[..., None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(joint > 0, joint * np.log(joint / np.where(den > 0, den, 1.0)), 0.0)
    return np.asarray(np.maximum(terms.sum(axis=(-2, -1)), 0.0), dtype=float)


def _binary_info(j1: FloatArray, py: FloatArray) -> FloatArray:
    """``I(Y; Ỹ)`` from ``j1[..., c] = p(y = c, ỹ = 1)`` and the label marginal ``py``."""
    joint = np.stack([py - j1, j1], axis=-1)  # (..., C, 2)
    q1 = j1.sum(axis=-1)
    pt = np.stack([1.0 - q1, q1], axis=-1)  # (..., 2)
    den = py[:, None] * pt[..., None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(joint > 0, joint * np.log(joint / np.where(den > 0, den, 1.0)), 0.0)
    return np.asarray(np.maximum(terms.sum(axis=(-2, -1)), 0.0), dtype=float)


# ---------------------------------------------------------------- a two-basin classifier


@dataclass(frozen=True, eq=False)
class RBFClassifier:
    """A one-parameter classifier with a two-basin cross-entropy: one von Mises radial unit.

    Inputs are angles ``x_i`` (points on the unit circle), labels ``y_i ∈ {0, 1}``; the model
    predicts ``f(ỹ = 1 | x; w) = σ(A exp(κ (cos(x - w) - 1)) - c)``: class 1 inside a bump of
    width ``~ 1/sqrt(κ)`` centred at the learnable angle ``w``, class 0 elsewhere. The loss is
    the paper's ``F(w) = -Σ_i log f(y_i | x_i; w)`` (Eq. 6). Because each point's loss is
    bounded in ``w``, a bump over each cluster of class-1 points is a local minimum: with two
    clusters of different sizes ``F`` has two basins whose ``I(Y; Ỹ)`` differ.

    Parameters
    ----------
    x : array_like, shape (n,)
        Angles (radians).
    y : array_like of int, shape (n,)
        Labels in {0, 1}, both present.
    amplitude, offset, concentration : float
        ``A > 0``, ``c`` and ``κ > 0``.

    Examples
    --------
    >>> clf = rbf_problem()
    >>> clf.predictive(np.array([0.0, 1.0])).shape
    (2, 12)
    """

    x: FloatArray
    y: IntArray
    amplitude: float = 4.0
    offset: float = 2.0
    concentration: float = 5.0
    _cx: FloatArray = field(init=False, repr=False, compare=False)
    _sx: FloatArray = field(init=False, repr=False, compare=False)
    _onehot: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        x = np.asarray(self.x, dtype=float)
        if x.ndim != 1 or x.size < 2 or not np.all(np.isfinite(x)):
            raise fail("x", "a finite 1-D array of at least 2 angles", x)
        y = np.asarray(self.y)
        if y.shape != x.shape or not np.all(np.isin(y, (0, 1))):
            raise fail("y", f"an array of {x.size} labels in {{0, 1}}", y)
        if y.min() == y.max():
            raise fail("y", "labels with both classes present", y)
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y.astype(np.int64))
        object.__setattr__(self, "amplitude", positive("amplitude", self.amplitude))
        object.__setattr__(self, "offset", as_float("offset", self.offset))
        object.__setattr__(self, "concentration", positive("concentration", self.concentration))
        object.__setattr__(self, "_cx", np.cos(x))
        object.__setattr__(self, "_sx", np.sin(x))
        object.__setattr__(self, "_onehot", np.stack([1.0 - y, y.astype(float)], axis=1))

    @property
    def n(self) -> int:
        """Number of data points."""
        return int(self.x.size)

    def _parts(self, w: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """``z``, ``φ``, ``cos(x - w)``, ``sin(x - w)``, each of shape ``w.shape + (n,)``."""
        ww = np.asarray(w, dtype=float)[..., None]
        cw, sw = np.cos(ww), np.sin(ww)
        cos_d = self._cx * cw + self._sx * sw
        sin_d = self._sx * cw - self._cx * sw
        phi = np.exp(self.concentration * (cos_d - 1.0))
        return self.amplitude * phi - self.offset, phi, cos_d, sin_d

    def predictive(self, w: ArrayLike) -> FloatArray:
        """``f(ỹ = 1 | x_i; w)``, shape ``w.shape + (n,)``."""
        z = self._parts(w)[0]
        return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=float)

    def loss(self, w: ArrayLike) -> FloatArray:
        """``F(w) = -Σ_i log f(y_i | x_i; w)`` (Eq. 6), shape ``w.shape``."""
        z = self._parts(w)[0]
        return np.asarray((np.logaddexp(0.0, z) - self.y * z).sum(axis=-1), dtype=float)

    def grad(self, w: ArrayLike) -> FloatArray:
        """``F'(w) = Σ_i (σ(z_i) - y_i) ∂z_i/∂w`` with ``∂z_i/∂w = A κ φ_i sin(x_i - w)``."""
        z, phi, _, sin_d = self._parts(w)
        s = 1.0 / (1.0 + np.exp(-z))
        dz = self.amplitude * self.concentration * phi * sin_d
        return np.asarray(((s - self.y) * dz).sum(axis=-1), dtype=float)

    def curvature(self, w: ArrayLike) -> FloatArray:
        """``F''(w) = Σ_i σ(1 - σ)(∂z_i/∂w)^2 + (σ - y_i) ∂²z_i/∂w²`` (exact)."""
        z, phi, cos_d, sin_d = self._parts(w)
        s = 1.0 / (1.0 + np.exp(-z))
        ak = self.amplitude * self.concentration
        dz = ak * phi * sin_d
        d2z = ak * phi * (self.concentration * sin_d**2 - cos_d)
        return np.asarray((s * (1 - s) * dz**2 + (s - self.y) * d2z).sum(axis=-1), dtype=float)

    def information(self, w: ArrayLike) -> FloatArray:
        """Exact ``I(Y; Ỹ)`` (nats) of the model at ``w``, shape ``w.shape``."""
        p1 = self.predictive(w)
        return label_information(self.y, np.stack([1.0 - p1, p1], axis=-1))

    def grad_info(self, w: FloatArray) -> tuple[FloatArray, FloatArray]:
        """``F'(w)`` and ``I(Y; Ỹ)`` at once (one sigmoid), for 1-D ``w`` (the chains)."""
        z, phi, _, sin_d = self._parts(w)
        s = 1.0 / (1.0 + np.exp(-z))
        g = ((s - self.y) * (self.amplitude * self.concentration * phi * sin_d)).sum(axis=-1)
        j1 = (s @ self._onehot) / self.n
        return np.asarray(g, dtype=float), _binary_info(j1, self._onehot.mean(axis=0))


def rbf_problem() -> RBFClassifier:
    """The two-basin instance used for Claim 2.1.

    Twelve points at angles ``2πk/12``; class 1 at ``k = 3, 4`` (a 2-point cluster, the poorer
    basin, centre 105°) and ``k = 9, 10, 11`` (a 3-point cluster, the better basin, centre
    300°); ``A = 4``, ``c = 2``, ``κ = 5``. Its basins (see :func:`find_basins`): minima at
    ``1.832`` (``F = 8.08``, ``I = 0.033`` nats) and ``-1.047`` (``F = 6.71``, ``I = 0.057``),
    barriers ``6.01`` and ``6.54`` from the poorer one.

    Examples
    --------
    >>> rbf_problem().n
    12
    """
    y = np.array([0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1])
    return RBFClassifier(2 * np.pi * np.arange(12) / 12, y, 4.0, 2.0, 5.0)


@dataclass(frozen=True)
class Basins:
    """The two minima of an :class:`RBFClassifier`'s ``F`` and the two saddles between them.

    Angles are unwrapped around the poorer minimiser ``first``:
    ``saddle_low < first < saddle_high < second < saddle_low + 2π``; the better minimiser is
    also reached at ``second - 2π`` (across ``saddle_low``).

    Attributes
    ----------
    first, second : float
        Minimisers of the poorer (higher ``F``) and the better basin.
    saddle_low, saddle_high : float
        Maximisers of ``F`` on either side of ``first``.
    loss_first, loss_second, curv_first, curv_second : float
        ``F`` and ``F''`` at the minimisers.
    curv_saddles, barriers : tuple of float
        ``F''`` at (``saddle_low``, ``saddle_high``) and ``F(saddle) - F(first)``.
    info_first, info_second : float
        ``I(Y; Ỹ)`` at the minimisers (nats).
    start : float
        The least-informative point between ``first`` and ``saddle_high`` (``I ≈ 0``): the
        default start of the chains.
    """

    first: float
    second: float
    saddle_low: float
    saddle_high: float
    loss_first: float
    loss_second: float
    curv_first: float
    curv_second: float
    curv_saddles: tuple[float, float]
    barriers: tuple[float, float]
    info_first: float
    info_second: float
    start: float

    def kramers(self, temperature: float) -> float:
        """:func:`kramers_escape_time` out of the first basin at `temperature` (units of ``s``)."""
        return kramers_escape_time(self.curv_first, self.curv_saddles, self.barriers,
                                   temperature)


def find_basins(problem: RBFClassifier, n_grid: int = 4096) -> Basins:
    """Locate the critical points of ``F`` on the circle (grid bracketing + Brent's method).

    Parameters
    ----------
    problem : RBFClassifier
    n_grid : int
        Grid points on ``[-π, π)`` used to bracket the zeros of ``F'``.

    Returns
    -------
    Basins

    Raises
    ------
    ValueError
        Unless ``F`` has exactly two minima and two maxima.

    Examples
    --------
    >>> b = find_basins(rbf_problem())
    >>> round(b.first, 3), round(b.second - 2 * np.pi, 3), b.info_second > b.info_first
    (1.832, -1.047, True)
    """
    from scipy.optimize import brentq, minimize_scalar

    if not isinstance(problem, RBFClassifier):
        raise TypeError(f"`problem` must be an RBFClassifier, got {problem!r}.")
    n_grid = as_int("n_grid", n_grid, min_value=16)
    step = 2 * np.pi / n_grid
    g = -np.pi + step * np.arange(n_grid)
    d = problem.grad(g)
    pos = d > 0
    idx = np.where(pos != np.roll(pos, -1))[0]

    def fprime(v: float) -> float:
        return float(problem.grad(np.array(v)))

    roots = [float(brentq(fprime, g[i], g[i] + step, xtol=1e-13)) for i in idx]
    curv = [float(problem.curvature(np.array(r))) for r in roots]
    minima = [r for r, c in zip(roots, curv, strict=True) if c > 0]
    maxima = [r for r, c in zip(roots, curv, strict=True) if c < 0]
    if len(minima) != 2 or len(maxima) != 2:
        raise fail("problem", "a loss with exactly two minima and two maxima on the circle",
                   f"{len(minima)} minima and {len(maxima)} maxima")
    lossv = [float(problem.loss(np.array(r))) for r in minima]
    first = minima[int(np.argmax(lossv))]
    other = minima[int(np.argmin(lossv))]
    two_pi = 2 * np.pi
    deltas = sorted((m - first) % two_pi for m in maxima)
    s_high, s_low = first + deltas[0], first + deltas[1] - two_pi
    second = first + (other - first) % two_pi
    if not s_high < second < s_low + two_pi:
        raise fail("problem", "a loss whose saddles separate its two minima", maxima)
    res = minimize_scalar(lambda v: float(problem.information(np.array(v))),
                          bounds=(first, s_high), method="bounded",
                          options={"xatol": 1e-10})
    csad = (float(problem.curvature(np.array(s_low))), float(problem.curvature(np.array(s_high))))
    fl = float(problem.loss(np.array(first)))
    bar = (float(problem.loss(np.array(s_low))) - fl, float(problem.loss(np.array(s_high))) - fl)
    return Basins(first=first, second=second, saddle_low=s_low, saddle_high=s_high,
                  loss_first=fl, loss_second=float(problem.loss(np.array(second))),
                  curv_first=float(problem.curvature(np.array(first))),
                  curv_second=float(problem.curvature(np.array(second))),
                  curv_saddles=csad, barriers=bar,
                  info_first=float(problem.information(np.array(first))),
                  info_second=float(problem.information(np.array(second))),
                  start=float(res.x))


# --------------------------------------------------------------------- first passages


@dataclass(frozen=True)
class PassageResult:
    """Per-chain first-passage times and plateau values of :func:`first_passages`.

    Attributes
    ----------
    temperatures : ndarray, shape (n_T,)
    t1 : ndarray, shape (n_T, n_chains)
        First step at which the chain reaches the first basin's minimiser (crosses
        ``basins.first`` while inside the first basin); ``inf`` if it did not before it left
        that basin or the run stopped.
    t2 : ndarray, shape (n_T, n_chains)
        First step at which it reaches the better minimiser (``w >= second`` or
        ``w <= second - 2π``); ``inf`` if not reached (always ``inf`` for ``until="first"``).
    info_first : ndarray, shape (n_T, n_chains)
        Time average of ``I(Y; Ỹ)`` over the steps from ``t1`` until the chain first leaves the
        first basin (or the run stops): the first plateau. NaN where ``t1`` is ``inf``.
    info_second : ndarray, shape (n_T, n_chains)
        Time average of ``I(Y; Ỹ)`` over ``window`` steps from ``t2``: the higher plateau.
        NaN where ``t2`` is ``inf``.
    a0, alpha : float
        The schedule ``a_t = a0 / t^alpha``, ``b_t = sqrt(2 T a_t)``.
    steps : int
        Iterations run (the last step any chain was still running).
    """

    temperatures: FloatArray
    t1: FloatArray
    t2: FloatArray
    info_first: FloatArray
    info_second: FloatArray
    a0: float
    alpha: float
    steps: int

    def median_t1(self) -> tuple[FloatArray, FloatArray]:
        """:func:`median_log_time` of ``t1`` per temperature."""
        return median_log_time(self.t1)

    def median_t2(self) -> tuple[FloatArray, FloatArray]:
        """:func:`median_log_time` of ``t2`` per temperature."""
        return median_log_time(self.t2)


def first_passages(problem: RBFClassifier, basins: Basins, temperatures: ArrayLike, *,
                   a0: float, alpha: float, n_chains: int, max_steps: int, seed: int = 0,
                   until: Literal["first", "second"] = "second", window: int = 200,
                   w0: float | None = None) -> PassageResult:
    """Run Eq. (3) ``w_{t+1} = w_t - a_t F'(w_t) - b_t ξ_t`` for many chains at several ``T``.

    The schedule is ``a_t = a0 / t^α`` and ``b_t = sqrt(2 T a_t)``, so that
    ``b_t^2 / (2 a_t) = T`` at every step: ``α = 1`` is the paper's LMC schedule
    (``a0 = 1``, ``T = 1/2`` is ``a_t = 1/t``, ``b_t = 1/sqrt(t)``), ``α = 0`` constant steps
    (Euler–Maruyama Langevin at temperature ``T``). All ``n_T × n_chains`` chains run in one
    array; step ``t`` draws one standard normal per chain of the full array (a finished
    chain's draw is discarded, so the stream does not depend on which chains are running).

    Parameters
    ----------
    problem : RBFClassifier
    basins : Basins
        From :func:`find_basins` on `problem`.
    temperatures : array_like, shape (n_T,)
        ``T > 0``.
    a0 : float
        Step scale, > 0.
    alpha : float
        Step decay exponent, >= 0.
    n_chains : int
        Chains per temperature.
    max_steps : int
        Last step simulated.
    seed : int
        Seed of ``np.random.default_rng``.
    until : {"first", "second"}
        Stop each chain at ``t1`` (or when it leaves the first basin without reaching its
        minimiser), or after ``t2 + window`` steps.
    window : int
        Steps averaged for the second plateau.
    w0 : float or None
        Common start, strictly between the saddles; None uses ``basins.start``.

    Returns
    -------
    PassageResult

    Examples
    --------
    >>> p = rbf_problem(); b = find_basins(p)
    >>> r = first_passages(p, b, [2.0], a0=0.01, alpha=0.0, n_chains=20, max_steps=20000)
    >>> bool(np.median(r.t1) < np.median(r.t2)), bool(np.all(np.isfinite(r.t2)))
    (True, True)
    """
    if not isinstance(problem, RBFClassifier):
        raise TypeError(f"`problem` must be an RBFClassifier, got {problem!r}.")
    if not isinstance(basins, Basins):
        raise TypeError(f"`basins` must be a Basins record, got {basins!r}.")
    temps = np.asarray(temperatures, dtype=float).ravel()
    if temps.size == 0 or not np.all(np.isfinite(temps)) or np.any(temps <= 0):
        raise fail("temperatures", "a non-empty array of finite positive temperatures", temps)
    a0 = positive("a0", a0)
    alpha = as_float("alpha", alpha, min_value=0.0)
    n_chains = as_int("n_chains", n_chains)
    max_steps = as_int("max_steps", max_steps)
    seed = as_int("seed", seed, min_value=0)
    choice("until", until, ("first", "second"))
    window = as_int("window", window)
    start = basins.start if w0 is None else as_float("w0", w0)
    if not basins.saddle_low < start < basins.saddle_high:
        raise fail("w0", f"strictly between the saddles {basins.saddle_low:.4g} and "
                         f"{basins.saddle_high:.4g}", start)
    m = temps.size * n_chains
    rng = np.random.default_rng(seed)
    scale = np.sqrt(2.0 * np.repeat(temps, n_chains))
    t1 = np.full(m, np.inf)
    t2 = np.full(m, np.inf)
    sums = np.zeros((2, m))
    counts = np.zeros((2, m))
    left = np.zeros(m, dtype=bool)
    idx = np.arange(m)
    w = np.full(m, start)
    side = 1.0 if start >= basins.first else -1.0
    lo, hi, first = basins.saddle_low, basins.saddle_high, basins.first
    tgt_hi, tgt_lo = basins.second, basins.second - 2 * np.pi
    t = 1
    for t in range(1, max_steps + 1):
        g, info = problem.grad_info(w)
        # accumulate the plateau values of the current iterate w_t
        in1 = (t1[idx] <= t) & ~left[idx]
        sums[0, idx[in1]] += info[in1]
        counts[0, idx[in1]] += 1
        in2 = t2[idx] <= t
        sums[1, idx[in2]] += info[in2]
        counts[1, idx[in2]] += 1
        a = a0 / t**alpha
        noise = rng.standard_normal(m)[idx]
        w = w - a * g - math.sqrt(a) * scale[idx] * noise
        # passages of w_{t+1}
        inside = (w > lo) & (w < hi)
        new1 = np.isinf(t1[idx]) & inside & ((w - first) * side <= 0)
        t1[idx[new1]] = t + 1
        out1 = ~inside & np.isfinite(t1[idx])
        left[idx[out1]] = True
        if until == "first":
            done = np.isfinite(t1[idx]) | ~inside
        else:
            hit = np.isinf(t2[idx]) & ((w >= tgt_hi) | (w <= tgt_lo))
            t2[idx[hit]] = t + 1
            done = counts[1, idx] >= window
        if done.any():
            keep = ~done
            idx, w = idx[keep], w[keep]
            if idx.size == 0:
                break
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = np.where(counts > 0, sums / np.where(counts > 0, counts, 1.0), np.nan)
    shape = (temps.size, n_chains)
    return PassageResult(temps, t1.reshape(shape), t2.reshape(shape), avg[0].reshape(shape),
                         avg[1].reshape(shape), a0, alpha, int(t))


def median_log_time(times: ArrayLike, z: float = 1.0) -> tuple[FloatArray, FloatArray]:
    """Median first-passage time and the standard error of its logarithm, censoring allowed.

    Distribution-free: the ranks ``n/2 ∓ z sqrt(n)/2`` bound a ``±z`` standard-error interval
    for the median (binomial order statistics), so ``se(log median) ≈ (log t_hi - log t_lo) /
    (2 z)``. Times that are ``inf`` (chains that had not arrived) are censored; the median is
    finite as long as fewer than half are.

    Parameters
    ----------
    times : array_like, shape (..., n)
        Positive times; ``inf`` for censored chains.
    z : float
        Interval half-width in standard errors.

    Returns
    -------
    median : ndarray, shape (...)
        ``inf`` when at least half the chains are censored.
    se_log : ndarray, shape (...)
        NaN when the upper rank is censored.

    Examples
    --------
    >>> med, se = median_log_time(np.arange(1.0, 102.0))
    >>> float(med), round(float(se), 3)
    (51.0, 0.118)
    """
    t = np.sort(np.asarray(times, dtype=float), axis=-1)
    if t.ndim == 0 or t.shape[-1] == 0 or np.any(np.isnan(t)) or np.any(t <= 0):
        raise fail("times", "a non-empty array of positive times (inf for censored)", t)
    z = positive("z", z)
    n = t.shape[-1]
    med = 0.5 * (t[..., (n - 1) // 2] + t[..., n // 2])
    half = z * math.sqrt(n) / 2
    lo = int(np.clip(math.floor((n - 1) / 2 - half), 0, n - 1))
    hi = int(np.clip(math.ceil((n - 1) / 2 + half), 0, n - 1))
    with np.errstate(invalid="ignore"):
        se = (np.log(t[..., hi]) - np.log(t[..., lo])) / (2 * z)
    se = np.where(np.isfinite(se), se, np.nan)
    return np.asarray(med, dtype=float), np.asarray(se, dtype=float)


# ------------------------------------------------------------------------- growth fits


@dataclass(frozen=True)
class GrowthFit:
    """Polynomial against exponential growth of a time in the inverse temperature ``β = 1/T``.

    Two weighted least-squares lines of ``log t`` with weights ``1 / se^2``: polynomial
    ``log t = c_p + k log β`` (``t ∝ β^k``) and exponential ``log t = c_e + E β``
    (``t ∝ e^{E/T}``, Arrhenius/Kramers, ``E`` an energy). Both have two parameters, so
    ``ΔAIC = AIC_poly - AIC_exp = χ²_poly - χ²_exp``; positive favours the exponential model.

    Attributes
    ----------
    beta, log_t, se : ndarray
        The data fitted.
    poly_exponent, poly_intercept, poly_chi2, poly_r2 : float
    exp_rate, exp_intercept, exp_chi2, exp_r2 : float
    """

    beta: FloatArray
    log_t: FloatArray
    se: FloatArray
    poly_exponent: float
    poly_intercept: float
    poly_chi2: float
    poly_r2: float
    exp_rate: float
    exp_intercept: float
    exp_chi2: float
    exp_r2: float

    @property
    def delta_aic(self) -> float:
        """``AIC_poly - AIC_exp``: > 0 favours exponential growth, < 0 polynomial."""
        return self.poly_chi2 - self.exp_chi2

    @property
    def dof(self) -> int:
        """Degrees of freedom of each fit (points minus 2)."""
        return int(self.beta.size - 2)


def _wls(x: FloatArray, y: FloatArray, w: FloatArray) -> tuple[float, float, float, float]:
    """Weighted line ``y = c + k x``: slope, intercept, χ², weighted R²."""
    sw = np.sqrt(w)
    design = np.stack([np.ones_like(x), x], axis=1) * sw[:, None]
    coef = np.linalg.lstsq(design, y * sw, rcond=None)[0]
    r = y - (coef[0] + coef[1] * x)
    chi2 = float(np.sum(w * r**2))
    ybar = float(np.sum(w * y) / np.sum(w))
    tss = float(np.sum(w * (y - ybar) ** 2))
    return float(coef[1]), float(coef[0]), chi2, 1.0 - chi2 / tss if tss > 0 else math.nan


def fit_growth(beta: ArrayLike, times: ArrayLike, se_log: ArrayLike) -> GrowthFit:
    """Fit ``t ∝ β^k`` and ``t ∝ e^{E β}`` to times measured at inverse temperatures ``β``.

    Parameters
    ----------
    beta : array_like, shape (k,)
        Inverse temperatures ``1/T > 0``, at least 3 distinct.
    times : array_like, shape (k,)
        Positive finite times (e.g. median first passages).
    se_log : array_like, shape (k,)
        Standard errors of ``log times``, > 0 (floored at ``1e-6``).

    Returns
    -------
    GrowthFit

    Examples
    --------
    >>> b = np.array([1.0, 2.0, 4.0, 8.0])
    >>> f = fit_growth(b, 3 * b**1.5, np.full(4, 0.01))
    >>> round(f.poly_exponent, 6), f.delta_aic < 0
    (1.5, True)
    >>> g = fit_growth(b, np.exp(2 * b), np.full(4, 0.01))
    >>> round(g.exp_rate, 6), g.delta_aic > 0
    (2.0, True)
    """
    b = np.asarray(beta, dtype=float).ravel()
    t = np.asarray(times, dtype=float).ravel()
    s = np.asarray(se_log, dtype=float).ravel()
    if b.size < 3 or np.unique(b).size < 3 or not np.all(np.isfinite(b)) or np.any(b <= 0):
        raise fail("beta", "at least 3 distinct finite positive inverse temperatures", b)
    if t.shape != b.shape or not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise fail("times", f"{b.size} finite positive times", t)
    if s.shape != b.shape or not np.all(np.isfinite(s)) or np.any(s < 0):
        raise fail("se_log", f"{b.size} finite non-negative standard errors", s)
    y = np.log(t)
    w = 1.0 / np.maximum(s, 1e-6) ** 2
    kp, cp, chip, r2p = _wls(np.log(b), y, w)
    ke, ce, chie, r2e = _wls(b, y, w)
    return GrowthFit(b, y, s, kp, cp, chip, r2p, ke, ce, chie, r2e)


# -------------------------------------------------------------------------- trajectory


@dataclass(frozen=True)
class Trajectory:
    """Ensemble ``I(Y; Ỹ)`` against the step, from :func:`info_trajectory`.

    Attributes
    ----------
    steps : ndarray, shape (k,)
    mean, lower, upper : ndarray, shape (k,)
        Mean and 10 % / 90 % quantiles of ``I(Y; Ỹ)`` over the chains (nats).
    frac_second : ndarray, shape (k,)
        Fraction of chains that have reached the better minimiser by then.
    """

    steps: FloatArray
    mean: FloatArray
    lower: FloatArray
    upper: FloatArray
    frac_second: FloatArray


def info_trajectory(problem: RBFClassifier, basins: Basins, temperature: float, *, a0: float,
                    alpha: float, n_chains: int, n_steps: int, seed: int = 0,
                    n_record: int = 60, w0: float | None = None) -> Trajectory:
    """Record ``I(Y; Ỹ)`` of many chains of Eq. (3) at log-spaced steps.

    Same schedule and noise stream convention as :func:`first_passages`.

    Examples
    --------
    >>> p = rbf_problem(); b = find_basins(p)
    >>> tr = info_trajectory(p, b, 1.0, a0=0.01, alpha=0.0, n_chains=50, n_steps=200)
    >>> bool(tr.mean[-1] > tr.mean[0])
    True
    """
    T = positive("temperature", temperature)
    a0 = positive("a0", a0)
    alpha = as_float("alpha", alpha, min_value=0.0)
    n_chains = as_int("n_chains", n_chains)
    n_steps = as_int("n_steps", n_steps)
    n_record = as_int("n_record", n_record, min_value=2)
    start = basins.start if w0 is None else as_float("w0", w0)
    rec = np.unique(np.round(np.geomspace(1, n_steps, n_record)).astype(int))
    rng = np.random.default_rng(seed)
    w = np.full(n_chains, start)
    reached = np.zeros(n_chains, dtype=bool)
    out = np.empty((4, rec.size))
    j = 0
    tgt_hi, tgt_lo = basins.second, basins.second - 2 * np.pi
    for t in range(1, n_steps + 1):
        g, info = problem.grad_info(w)
        reached |= (w >= tgt_hi) | (w <= tgt_lo)
        if t == rec[j]:
            out[:, j] = (info.mean(), np.quantile(info, 0.1), np.quantile(info, 0.9),
                         reached.mean())
            j += 1
            if j == rec.size:
                break
        a = a0 / t**alpha
        w = w - a * g - math.sqrt(2 * T * a) * rng.standard_normal(n_chains)
    return Trajectory(rec.astype(float), out[0], out[1], out[2], out[3])
