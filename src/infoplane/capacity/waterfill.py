"""Closed-form maximum mutual information of fully connected layers (MMI paper, Sections 4-7).

Notation follows the paper: ``eigenvalues`` are λ_i of the input covariance Σ_x (any order;
sorted inside), ``width`` is N1 (or the widths N1..NK of a chain), ``budget`` is F in the
Frobenius constraint Tr(WᵀW) <= F, ``noise_var`` is σ² of the Gaussian noise on the
representation Z = WX + b + η. All values are in nats unless ``unit="bits"``.

The optimum is water-filling over the Ñ = min(N0, N1, ..., NK) largest eigenvalues
(Appendix A, Eq. 13-15): the eigenvalues of WᵀW are λ̃_i = max(0, μ - σ²/λ_i) with
Σ λ̃_i = F. With n active components,

    μ = (F + σ² Σ_{i<=n} 1/λ_i) / n,     MMI = ½ Σ_{i<=n} log(μ λ_i / σ²),

which is Eq. (2) (n = Ñ) and Eq. (4) (n = Ñ - K). The number of active components is the
number of breakpoints ρ_k <= F (Lemma 1, Eq. 3).

Continuity (checked, contrary to the paper). Section 4.1 says MMI(F) is *discontinuous* at the
ρ_k. It is not: at F = ρ_k the water level is μ = σ²/λ_k on both sides, the entering
component contributes ½ log(μ λ_k/σ²) = 0, and dMMI/dF = 1/(2μ) is the same on both sides.
MMI(F) is continuous, concave, strictly increasing and continuously differentiable; only the
second derivative, -1/(2 n μ²), jumps (from n = k-1 to n = k active components).
:func:`breakpoint_continuity` measures all three on both sides of every breakpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, overload

import numpy as np
import numpy.typing as npt

from infoplane._typing import FloatArray, Unit
from infoplane._validation import (
    as_int,
    as_widths,
    budget_array,
    choice,
    fail,
    positive,
    unit_factor,
)
from infoplane.capacity._input import BudgetArray, Widths, sorted_spectrum

#: Activations whose MMI equals the linear one: ReLU-like (Theorem 3, the bias pushes the
#: pre-activations into the linear region) and bijective (Theorem 4, noise on the
#: pre-activation). Theorem 5 extends both to chains.
#: Activations with a closed-form MMI (the linear one; Theorems 3-4); case-insensitive at run
#: time.
Activation: TypeAlias = Literal["linear", "identity", "relu", "leaky_relu", "elu", "selu",
                                "softplus", "tanh", "sigmoid", "bijective"]

CLOSED_FORM_ACTIVATIONS: tuple[Activation, ...] = (
    "linear", "identity", "relu", "leaky_relu", "elu", "selu", "softplus",
    "tanh", "sigmoid", "bijective",
)


@dataclass(frozen=True)
class _Prefix:
    """Prefix sums over the usable (positive, top-Ñ) eigenvalues."""

    lam: FloatArray        # λ_1 >= ... >= λ_m > 0, m <= Ñ
    inv_cum: FloatArray    # σ² Σ_{i<=k} 1/λ_i, k = 1..m
    log_cum: FloatArray    # Σ_{i<=k} log(λ_i/σ²)
    rho: FloatArray        # breakpoints ρ_1..ρ_m
    base: FloatArray       # ½ Σ_{i<=k} log(λ_i · mean_{j<=k} 1/λ_j) >= 0: MMI(ρ_k⁺ → F=0 form)
    noise_var: float


def _usable(lam: FloatArray, n_tilde_cap: int | None) -> FloatArray:
    """The positive eigenvalues among the top Ñ of a sorted (descending) spectrum."""
    if n_tilde_cap is not None:
        lam = lam[:n_tilde_cap]
    lam = lam[lam > 0]  # zero-variance directions can never carry information
    if lam.size == 0:
        raise fail("eigenvalues", "not all zero (the input has no variance)", 0.0)
    return lam


def _prefix(eigenvalues: Any, n_tilde_cap: int | None, noise_var: float) -> _Prefix:
    return _prefix_sorted(sorted_spectrum(eigenvalues), n_tilde_cap, noise_var)


def _prefix_sorted(lam: FloatArray, n_tilde_cap: int | None, noise_var: float) -> _Prefix:
    """:func:`_prefix` of an already validated, descending spectrum (no second sort)."""
    lam = _usable(lam, n_tilde_cap)
    inv_cum = noise_var * np.cumsum(1.0 / lam)
    log_cum = np.cumsum(np.log(lam / noise_var))
    k = np.arange(1, lam.size + 1, dtype=np.float64)
    rho = noise_var * k / lam - inv_cum
    # ρ is non-decreasing in exact arithmetic (Lemma 1); remove round-off dips for searchsorted.
    rho = np.maximum.accumulate(np.maximum(rho, 0.0))
    rho[0] = 0.0
    # ½ Σ log(μ0 λ_i/σ²) with μ0 = σ² mean(1/λ): >= 0 by AM-GM, exactly 0 for k = 1. Computing
    # it apart from the budget term keeps full relative precision for tiny budgets.
    base = np.maximum(0.5 * (k * np.log(inv_cum / (noise_var * k)) + np.cumsum(np.log(lam))),
                      0.0)
    base[0] = 0.0
    return _Prefix(lam, inv_cum, log_cum, rho, base, noise_var)


def _n_tilde(widths: Any) -> int:
    """Ñ without N0: the smallest width (the spectrum is cut to it by :func:`_usable`)."""
    return min(as_widths("widths", widths))


def _active(p: _Prefix, budget: Any, side: Literal["right", "left"] = "right") -> Any:
    """Number of active components n(F) = #{k : ρ_k <= F} (>= 1 for ``side="right"``).

    ``side="left"`` counts ρ_k < F instead (the limit from below at a breakpoint; 0 at F = 0).
    """
    return np.searchsorted(p.rho, budget, side=side)


def _level(p: _Prefix, n: Any, budget: Any) -> Any:
    """Water level μ = (F + σ² Σ_{i<=n} 1/λ_i) / n with n active components."""
    return (budget + p.inv_cum[n - 1]) / n


def _mmi_at(p: _Prefix, n: Any, budget: Any) -> Any:
    """MMI with n active components at budget F (n may be an array, e.g. capped by a width)."""
    idx = n - 1
    # ½ Σ_{i<=n} log(μ λ_i/σ²) = ½ (n log μ + Σ log(λ_i/σ²)), with μ = μ0 (1 + F/(n μ0)),
    # μ0 = σ² Σ_{i<=n} 1/λ_i / n, written with log1p for accuracy near F = 0.
    mu0 = p.inv_cum[idx] / n
    return p.base[idx] + 0.5 * n * np.log1p(budget / (n * mu0))


def _mmi_from_prefix(p: _Prefix, budget: FloatArray) -> FloatArray:
    return np.asarray(_mmi_at(p, _active(p, budget), budget), dtype=np.float64)


def breakpoints(eigenvalues: npt.ArrayLike, width: Widths,
                noise_var: float = 1.0) -> FloatArray:
    """Breakpoints ρ_1 <= ... <= ρ_Ñ of MMI(F) (Lemma 1, Eq. 3).

    ρ_k = σ² (k/λ_k - Σ_{i<=k} 1/λ_i) is the budget at which the k-th principal component
    starts receiving weight. For F in [ρ_k, ρ_{k+1}) exactly k components are active.

    Parameters
    ----------
    eigenvalues : array_like, shape (N0,) or (N0, N0)
        Covariance spectrum of X (or the covariance matrix).
    width : int or sequence of int
        N1, or the widths of a chain (Ñ = min(N0, widths), Theorem 5).
    noise_var : float, default 1.0
        σ² > 0.

    Returns
    -------
    ndarray, shape (m,)
        ρ_1 = 0 <= ρ_2 <= ... <= ρ_m with m = min(Ñ, number of positive eigenvalues).

    Examples
    --------
    >>> breakpoints([4.0, 2.0, 1.0], width=3)
    array([0.  , 0.25, 1.25])
    """
    s2 = positive("noise_var", noise_var)
    return _prefix(eigenvalues, _n_tilde(width), s2).rho.copy()


@dataclass(frozen=True)
class WaterFilling:
    """Optimal eigenvalues of WᵀW for one budget (Appendix A, Eq. 15).

    Attributes
    ----------
    level : float
        Water level μ*(F).
    allocation : ndarray, shape (Ñ,)
        λ̃_i = max(0, μ* - σ²/λ_i), aligned with the Ñ largest eigenvalues (descending); sums to F.
    n_active : int
        Number of components with λ̃_i > 0 (the ``Ñ - K`` of Theorem 2).
    eigenvalues : ndarray, shape (Ñ,)
        The Ñ largest eigenvalues used.
    mmi : float
        The MMI in nats at this budget.
    """

    level: float
    allocation: FloatArray
    n_active: int
    eigenvalues: FloatArray
    mmi: float


def water_filling(eigenvalues: npt.ArrayLike, width: Widths, budget: float,
                  noise_var: float = 1.0) -> WaterFilling:
    """Water-filling solution of the MMI problem (Appendix A, Eq. 13-16; Appendix C).

    Parameters
    ----------
    eigenvalues : array_like, shape (N0,) or (N0, N0)
        Covariance spectrum of X, or the covariance matrix.
    width : int or sequence of int
        N1, or the widths of a chain.
    budget : float
        F >= 0 in Tr(WᵀW) <= F.
    noise_var : float, default 1.0
        σ² > 0.

    Returns
    -------
    WaterFilling

    Examples
    --------
    >>> wf = water_filling([4.0, 2.0, 1.0], width=2, budget=1.0)
    >>> round(wf.level, 6), wf.n_active, wf.allocation.round(6).tolist()
    (0.875, 2, [0.625, 0.375])
    """
    s2 = positive("noise_var", noise_var)
    f_arr, scalar = budget_array("budget", budget)
    if not scalar:
        raise fail("budget", "a scalar for water_filling (use `mmi` for curves)", f_arr)
    n_cap = _n_tilde(width)
    lam_top = sorted_spectrum(eigenvalues)[:n_cap]
    return _solve(_prefix_sorted(lam_top, None, s2), lam_top, float(f_arr))


def _solve(p: _Prefix, lam_top: FloatArray, f: float) -> WaterFilling:
    """The water-filling of budget ``f`` over ``lam_top`` (sorted, top Ñ), ``p`` its prefix."""
    n = int(_active(p, f))
    mu = _level(p, n, f)
    # The first n eigenvalues are positive (p.lam holds the positive ones, largest first).
    alloc = np.zeros(lam_top.size)
    alloc[:n] = np.maximum(0.0, mu - p.noise_var / lam_top[:n])
    # Restore Σ λ̃ = F exactly (round-off in μ).
    if f > 0:
        alloc[:n] *= f / alloc[:n].sum()
    # Count, not n: at F = ρ_n exactly the entering component gets λ̃_n = 0.
    n_active = int(np.count_nonzero(alloc)) if f > 0 else 0
    return WaterFilling(level=float(mu), allocation=alloc, n_active=n_active,
                        eigenvalues=lam_top, mmi=float(_mmi_at(p, n, f)))


@overload
def mmi(eigenvalues: npt.ArrayLike, widths: Widths, *, budget: float, noise_var: float = ...,
        activation: Activation = ..., unit: Unit = ...) -> float: ...
@overload
def mmi(eigenvalues: npt.ArrayLike, widths: Widths, *, budget: BudgetArray,
        noise_var: float = ..., activation: Activation = ...,
        unit: Unit = ...) -> FloatArray: ...
@overload
def mmi(eigenvalues: npt.ArrayLike, widths: Widths, *, budget: npt.ArrayLike,
        noise_var: float = ..., activation: Activation = ...,
        unit: Unit = ...) -> float | FloatArray: ...
def mmi(eigenvalues: npt.ArrayLike, widths: Widths, *, budget: npt.ArrayLike,
        noise_var: float = 1.0, activation: Activation = "linear",
        unit: Unit = "nats") -> float | FloatArray:
    """Maximum mutual information sup I(X;Z) of a fully connected network (Theorems 1-5).

    Parameters
    ----------
    eigenvalues : array_like, shape (N0,) or (N0, N0)
        Covariance spectrum of the Gaussian input X (or its covariance matrix).
    widths : int or sequence of int
        Hidden width N1, or widths N1..NK of a K-layer chain; Ñ = min(N0, N1, ..., NK)
        (Theorem 5; the budget then constrains the end-to-end map W_K⋯W_1 and the noise sits
        on the last layer).
    budget : float or array_like
        F >= 0 in Tr(WᵀW) <= F. An array gives the whole curve MMI(F) in one vectorised pass
        (sorting and prefix sums once, ``searchsorted`` for the active count).
    noise_var : float, default 1.0
        σ² > 0 of the noise on Z.
    activation : str, default "linear"
        One of :data:`CLOSED_FORM_ACTIVATIONS`. ReLU-like activations (Theorem 3) and bijective
        ones (Theorem 4) have the same MMI as the linear layer; other activations raise.
    unit : {"nats", "bits"}

    Returns
    -------
    float or ndarray
        MMI(F) (Eq. 2 for F >= ρ_Ñ, Eq. 4 in between breakpoints), shaped like ``budget``.
        Continuous, concave and C¹ in F (see the module docstring: the paper's
        "discontinuity" claim does not hold).

    Examples
    --------
    >>> round(mmi([4.0, 2.0, 1.0], widths=2, budget=1.0), 6)
    0.906189
    >>> mmi([1.0, 1.0], widths=[5, 1], budget=[0.0, 3.0], unit="bits").round(3).tolist()
    [0.0, 1.0]
    """
    s2 = positive("noise_var", noise_var)
    act = str(activation).lower()
    if act not in CLOSED_FORM_ACTIVATIONS:
        opts = ", ".join(CLOSED_FORM_ACTIVATIONS)
        raise fail("activation", f"one of {opts}", activation,
                   "Other activations (GELU, SiLU, softmax, ...) have no closed-form MMI.")
    factor = unit_factor(unit)
    f_arr, scalar = budget_array("budget", budget)
    p = _prefix(eigenvalues, _n_tilde(widths), s2)
    out = _mmi_from_prefix(p, f_arr) / factor
    return float(out) if scalar else out


@overload
def mmi_derivative(eigenvalues: npt.ArrayLike, widths: Widths, *, budget: float,
                   noise_var: float = ..., order: Literal[1, 2] = ...,
                   side: Literal["right", "left"] = ...) -> float: ...
@overload
def mmi_derivative(eigenvalues: npt.ArrayLike, widths: Widths, *, budget: BudgetArray,
                   noise_var: float = ..., order: Literal[1, 2] = ...,
                   side: Literal["right", "left"] = ...) -> FloatArray: ...
@overload
def mmi_derivative(eigenvalues: npt.ArrayLike, widths: Widths, *, budget: npt.ArrayLike,
                   noise_var: float = ..., order: Literal[1, 2] = ...,
                   side: Literal["right", "left"] = ...) -> float | FloatArray: ...
def mmi_derivative(eigenvalues: npt.ArrayLike, widths: Widths, *, budget: npt.ArrayLike,
                   noise_var: float = 1.0, order: Literal[1, 2] = 1,
                   side: Literal["right", "left"] = "right") -> float | FloatArray:
    """First or second derivative of MMI(F) in nats per unit budget.

    dMMI/dF = 1/(2μ) and d²MMI/dF² = -1/(2 n μ²) with n active components. ``side="left"``
    takes the limit from below at a breakpoint (n counts ρ_k < F instead of ρ_k <= F).

    Examples
    --------
    >>> mmi_derivative([1.0], 1, budget=1.0)
    0.25
    """
    s2 = positive("noise_var", noise_var)
    order = as_int("order", order)  # type: ignore[assignment]
    if order not in (1, 2):
        raise fail("order", "1 or 2", order)
    side = choice("side", side, ("right", "left"))  # type: ignore[assignment]
    f_arr, scalar = budget_array("budget", budget)
    p = _prefix(eigenvalues, _n_tilde(widths), s2)
    n = np.maximum(_active(p, f_arr, side), 1)
    mu = _level(p, n, f_arr)
    out = 1.0 / (2.0 * mu) if order == 1 else -1.0 / (2.0 * n * mu**2)
    return float(out) if scalar else np.asarray(out, dtype=np.float64)


@dataclass(frozen=True)
class BreakpointContinuity:
    """Left and right limits of MMI, MMI' and MMI'' at each breakpoint ρ_k, k >= 2."""

    rho: FloatArray
    value_left: FloatArray
    value_right: FloatArray
    slope_left: FloatArray
    slope_right: FloatArray
    curvature_left: FloatArray
    curvature_right: FloatArray

    @property
    def max_value_jump(self) -> float:
        """Largest |MMI(ρ_k⁺) - MMI(ρ_k⁻)| (0 up to round-off: MMI is continuous)."""
        return float(np.max(np.abs(self.value_right - self.value_left), initial=0.0))

    @property
    def max_slope_jump(self) -> float:
        """Largest relative jump of the first derivative (0 up to round-off: MMI is C¹)."""
        rel = np.abs(self.slope_right - self.slope_left) / np.abs(self.slope_left)
        return float(np.max(rel, initial=0.0))

    @property
    def min_curvature_jump(self) -> float:
        """Smallest relative jump of the second derivative (> 0: MMI is not C²)."""
        rel = np.abs(self.curvature_right - self.curvature_left) / np.abs(self.curvature_left)
        return float(np.min(rel, initial=np.inf))


def breakpoint_continuity(eigenvalues: npt.ArrayLike, width: Widths,
                          noise_var: float = 1.0) -> BreakpointContinuity:
    """Check the paper's "MMI(F) is discontinuous at ρ_k" remark (Section 4.1).

    Evaluates the closed form with n = k-1 active components (the left limit) and n = k (the
    right limit) exactly at each distinct breakpoint ρ_k, k >= 2, together with the first and
    second derivatives. Result: values and slopes agree to round-off; curvature jumps.

    Examples
    --------
    >>> c = breakpoint_continuity([1.0, 0.5, 0.25], width=3)
    >>> c.max_value_jump < 1e-12, c.max_slope_jump < 1e-12, c.min_curvature_jump > 0.1
    (True, True, True)
    """
    s2 = positive("noise_var", noise_var)
    p = _prefix(eigenvalues, _n_tilde(width), s2)
    k = np.arange(2, p.lam.size + 1)
    keep = p.rho[k - 1] > p.rho[k - 2]  # distinct breakpoints only
    k = k[keep]
    rho = p.rho[k - 1]

    def side(n: np.ndarray) -> tuple[FloatArray, FloatArray, FloatArray]:
        mu = _level(p, n, rho)
        val = 0.5 * (n * np.log(mu) + p.log_cum[n - 1])
        return val, 1.0 / (2.0 * mu), -1.0 / (2.0 * n * mu**2)

    vl, sl, cl = side(k - 1)
    vr, sr, cr = side(k)
    return BreakpointContinuity(rho, vl, vr, sl, sr, cl, cr)


def mmi_approx(eigenvalues: npt.ArrayLike, widths: Widths) -> float:
    """The paper's large-Ñ approximation MMI ≈ ½ Σ_{i<=Ñ} log(λ_i · mean_j(1/λ_j)) (after Thm 1).

    Measured, not trusted (see :func:`mmi_approx_error`): the approximation is Eq. (2) with
    F = 0, so it ignores the budget and σ² and is scale-invariant in λ. In the regime where
    Eq. (2) holds (F >= ρ_Ñ) it *underestimates* by exactly
    (Ñ/2) log(1 + F/(σ² Ñ h̄)), h̄ = mean 1/λ_i, which is at least
    (Ñ/2) log(max_i(1/λ_i)/h̄) (reached at F = ρ_Ñ) and zero only for a flat spectrum at F = 0.
    Below ρ_Ñ it *overestimates* for small F (at F = 0 the truth is 0 and the approximation is
    ≥ 0 by AM-GM). A larger Ñ does not make it more accurate: at fixed F and h̄ the absolute
    error grows with Ñ towards F/(2σ²h̄).

    Examples
    --------
    >>> mmi_approx([1.0, 1.0, 1.0], 3)
    0.0
    """
    lam = sorted_spectrum(eigenvalues)  # validated before the widths, as it always was
    lam = _usable(lam, _n_tilde(widths))
    hbar = float(np.mean(1.0 / lam))
    return float(max(0.5 * np.sum(np.log(lam * hbar)), 0.0))


@overload
def mmi_approx_error(eigenvalues: npt.ArrayLike, widths: Widths, *, budget: float,
                     noise_var: float = ...) -> float: ...
@overload
def mmi_approx_error(eigenvalues: npt.ArrayLike, widths: Widths, *, budget: BudgetArray,
                     noise_var: float = ...) -> FloatArray: ...
@overload
def mmi_approx_error(eigenvalues: npt.ArrayLike, widths: Widths, *, budget: npt.ArrayLike,
                     noise_var: float = ...) -> float | FloatArray: ...
def mmi_approx_error(eigenvalues: npt.ArrayLike, widths: Widths, *, budget: npt.ArrayLike,
                     noise_var: float = 1.0) -> float | FloatArray:
    """Signed error ``mmi_approx - mmi`` in nats (negative: the approximation underestimates).

    Examples
    --------
    >>> round(mmi_approx_error([1.0, 1.0], 2, budget=2.0), 6)  # -(2/2) log(1 + 2/2)
    -0.693147
    """
    exact = mmi(eigenvalues, widths, budget=budget, noise_var=noise_var)
    return mmi_approx(eigenvalues, widths) - exact
