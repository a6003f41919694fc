"""Planning with the MMI (MMI paper, Section 2): inverse design and the quality-loss bound."""

from __future__ import annotations

import math
import sys

import numpy as np
import numpy.typing as npt

from infoplane._typing import Unit
from infoplane._validation import as_float, as_int, fail, positive, unit_factor
from infoplane.capacity._input import Widths
from infoplane.capacity.waterfill import _active, _mmi_at, _n_tilde, _prefix, mmi

#: log of the largest float64: a budget e^x with x beyond it cannot be represented.
_LOG_MAX_FLOAT = math.log(sys.float_info.max)


def _binary_entropy(p: float) -> float:
    """h₂(p) in nats."""
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return -p * math.log(p) - (1.0 - p) * math.log1p(-p)


def quality_loss_bound(delta_tv: float, mi_xz: float, *, unit: Unit = "nats") -> float:
    """Right-hand side of Eq. (1): 2 δ̄_tv I(X;Z) + 2 h₂(δ̄_tv).

    Bounds the quality loss |I(Y; Ẑ(S)) - I(Y; Z*)| of a representation learnt from a sample
    (Foggo et al., 2019). ``mi_xz`` and the result are in ``unit`` (h₂ in the same unit).

    Examples
    --------
    >>> round(quality_loss_bound(0.01, 3.0), 6)
    0.172003
    """
    factor = unit_factor(unit)
    d = as_float("delta_tv", delta_tv, min_value=0.0)
    if d > 1.0:
        raise fail("delta_tv", "a total-variation distance in [0, 1]", delta_tv)
    i = as_float("mi_xz", mi_xz, min_value=0.0)
    return 2.0 * d * i + 2.0 * _binary_entropy(d) / factor


def delta_tv_bound(n_classes: int, n_samples: int, m_prime: int = 1) -> float:
    """The data term of Eq. (1): sqrt(|Y| m' log 2 / (2 m)) (Section 2).

    The paper states this rate as O(·); we use the constant 1, which is what Hoeffding-type
    arguments over |Y|·m' events give. Values >= 1 make Eq. (1) vacuous (a TV distance is at
    most 1); they are returned as computed, not clamped.

    Examples
    --------
    >>> round(delta_tv_bound(10, 60000, 2), 6)
    0.010749
    """
    y = as_int("n_classes", n_classes, min_value=1)
    m = as_int("n_samples", n_samples, min_value=1)
    mp = as_int("m_prime", m_prime, min_value=1)
    return math.sqrt(y * mp * math.log(2.0) / (2.0 * m))


def min_budget(eigenvalues: npt.ArrayLike, widths: Widths, target: float, noise_var: float = 1.0, *,
               unit: Unit = "nats") -> float:
    """Smallest F with MMI(F) >= target: exact inversion of Eq. (4) within its segment.

    MMI(F) is continuous and strictly increasing from 0 to ∞, so every target >= 0 is reached
    in exact arithmetic; a target whose budget exceeds the largest float (MMI grows only like
    (Ñ/2) log F) raises a ValueError that says so.
    With n active components, MMI = ½ (n log μ + Σ_{i<=n} log(λ_i/σ²)) gives
    μ = exp((2·target − Σ log(λ_i/σ²))/n) and F = n μ − σ² Σ_{i<=n} 1/λ_i.

    Examples
    --------
    >>> f = min_budget([4.0, 2.0, 1.0], 2, 0.906189)
    >>> round(f, 5)
    1.0
    """
    s2 = positive("noise_var", noise_var)
    t = as_float("target", target, min_value=0.0) * unit_factor(unit)
    p = _prefix(eigenvalues, _n_tilde(widths), s2)
    if t == 0.0:
        return 0.0
    # Through `mmi`, not `_mmi_from_prefix`: its budget check turns a non-finite ρ (overflow for
    # subnormal λ or huge σ²) into a ValueError; kept so that behaviour is unchanged.
    at_rho = mmi(p.lam, p.lam.size, budget=p.rho, noise_var=s2)
    n = int(np.searchsorted(at_rho, t, side="right"))  # segment with n active components
    n = max(n, 1)
    log_mu = (2.0 * t - float(p.log_cum[n - 1])) / n
    log_f = log_mu + math.log(n)  # F <= n μ, and F ~ n μ once μ dwarfs σ² Σ 1/λ_i
    f = n * math.exp(log_mu) - float(p.inv_cum[n - 1]) if log_f < _LOG_MAX_FLOAT else math.inf
    if not math.isfinite(f):
        raise fail("target", "reachable with a finite budget (F below the largest float, "
                   f"{sys.float_info.max:.3g})", target,
                   f"MMI = {target:g} {unit} with bottleneck Ñ = {p.lam.size} needs "
                   f"F ≈ e^{log_f:.4g} ({n} active components); MMI grows only like "
                   "(Ñ/2) log F. Lower the target or widen the bottleneck.")
    return float(max(f, 0.0))


def min_width(eigenvalues: npt.ArrayLike, target: float, budget: float,
              noise_var: float = 1.0, *, unit: Unit = "nats") -> int:
    """Smallest width N1 with MMI(width=N1, F=budget) >= target.

    Breakpoints do not depend on the width, so at a fixed budget MMI(N1) uses
    n = min(N1, n*(F)) active components; it grows with N1 up to n*(F) and is flat after.
    A target above that supremum raises a ValueError that names it.

    Examples
    --------
    >>> min_width([4.0, 2.0, 1.0], 0.5, budget=1.0)
    1
    """
    s2 = positive("noise_var", noise_var)
    factor = unit_factor(unit)
    t = as_float("target", target, min_value=0.0) * factor
    f = as_float("budget", budget, min_value=0.0)
    lam = np.asarray(eigenvalues)
    p = _prefix(lam, None, s2)
    widths = np.arange(1, p.lam.size + 1)
    n_star = int(_active(p, f))
    values = _mmi_at(p, np.minimum(widths, n_star), f)
    sup = float(values[-1])
    if t > sup * (1 + 1e-12):
        raise fail("target", f"<= the supremum over widths at budget {f:g}, "
                   f"{sup / factor:.6g} {unit}", target,
                   "Raise the budget (see min_budget) or lower the target.")
    return int(widths[np.argmax(values >= t * (1 - 1e-12))])
