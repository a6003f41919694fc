"""Figures. Every function draws on (and returns) a matplotlib Axes; none calls ``plt.show()``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from infoplane._typing import Unit
from infoplane._validation import unit_factor

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=(5.5, 4.0))
    return new


def mmi_curve(eigenvalues: Any, widths: Any, *, budgets: Any = None, noise_var: float = 1.0,
              unit: Unit = "nats", label: str | None = None, mark_breakpoints: bool = True,
              ax: Axes | None = None, title: str | None = None) -> Axes:
    """Plot MMI(F) against the budget F on a log-x axis, with the breakpoints ρ_k marked.

    Parameters
    ----------
    eigenvalues, widths, noise_var
        As in :func:`infoplane.capacity.mmi`.
    budgets : array_like, optional
        Budgets to evaluate; default 400 log-spaced points spanning the breakpoints.
    unit : {"nats", "bits"}
    label, title : str, optional
    mark_breakpoints : bool, default True
        Dots at MMI(ρ_k), k >= 2 (MMI is continuous and C¹ there; only its curvature jumps).
    ax : Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    from infoplane.capacity import breakpoints, mmi

    ax = _axes(ax)
    rho = breakpoints(eigenvalues, widths, noise_var)
    if budgets is None:
        positive_rho = rho[rho > 0]
        lo = positive_rho.min() / 10 if positive_rho.size else 1e-2
        hi = max(rho.max() * 10, 10 * lo, 1.0)
        budgets = np.geomspace(lo, hi, 400)
    budgets = np.asarray(budgets, dtype=np.float64)
    values = mmi(eigenvalues, widths, budget=budgets, noise_var=noise_var, unit=unit)
    (line,) = ax.plot(budgets, values, label=label, lw=1.8)
    if mark_breakpoints:
        r = rho[1:][rho[1:] > 0]
        ax.plot(r, mmi(eigenvalues, widths, budget=r, noise_var=noise_var, unit=unit), "o",
                ms=2.5, color=line.get_color(), alpha=0.7,
                label=None if label is None else f"breakpoints ρ_k ({label})")
    ax.set_xscale("log")
    ax.set_xlabel("Frobenius budget F = Tr(WᵀW)")
    ax.set_ylabel(f"MMI ({unit})")
    ax.set_title(title or "Maximum mutual information vs budget")
    ax.grid(True, which="both", alpha=0.3)
    if label is not None:
        ax.legend(fontsize=8)
    return ax


def figure1(*, n0: int = 100, n1: int = 50, noise_var: float = 1.0, unit: Unit = "nats",
            budgets: Sequence[float] | None = None) -> Any:
    """Reproduce Figure 1 of the MMI paper: MMI(F), N0 = 100, N1 = 50, σ² = 1.

    Left panel λ_i = e^{-0.1(i-1)}; right panel λ_i = 1/i (indices from 1). Returns the
    matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    unit_factor(unit)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    names = {"exponential": "λ_i = exp(-0.1(i-1))", "harmonic": "λ_i = 1/i"}
    for ax, (key, lam) in zip(axes, figure1_spectra(n0).items(), strict=True):
        name = names[key]
        mmi_curve(lam, n1, budgets=budgets, noise_var=noise_var, unit=unit, ax=ax,
                  label="MMI(F)",
                  title=f"{name}  (N0={n0}, N1={n1}, σ²={noise_var:g})")
    fig.suptitle("MMI paper, Figure 1: MMI(F) of one fully connected layer")
    return fig


def figure1_spectra(n0: int = 100) -> dict[str, np.ndarray]:
    """The two spectra of Figure 1, by name."""
    i = np.arange(1, n0 + 1, dtype=np.float64)
    return {"exponential": np.exp(-0.1 * (i - 1)), "harmonic": 1.0 / i}
