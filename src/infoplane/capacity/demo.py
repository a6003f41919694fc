"""Numbers behind Figure 1 of the MMI paper (used by ``infoplane capacity demo``).

Data only: the spectra and the MMI values. The figure is drawn outside the ``capacity``
package (the CLI command calls the figures module), so nothing here needs a graphics library.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from infoplane._typing import FloatArray
from infoplane.capacity.waterfill import (
    breakpoint_continuity,
    breakpoints,
    mmi,
    mmi_approx,
    water_filling,
)

TABLE_BUDGETS = (0.1, 1.0, 10.0, 100.0, 1000.0)


def figure1_spectra(n0: int = 100) -> dict[str, FloatArray]:
    """The two spectra of Figure 1, by name.

    ``"exponential"``: λ_i = e^{-0.1(i-1)}; ``"harmonic"``: λ_i = 1/i, for i = 1..N0.

    Examples
    --------
    >>> spectra = figure1_spectra(3)
    >>> [round(float(v), 4) for v in spectra["harmonic"]]
    [1.0, 0.5, 0.3333]
    """
    i = np.arange(1, n0 + 1, dtype=np.float64)
    return {"exponential": np.exp(-0.1 * (i - 1)), "harmonic": 1.0 / i}


def figure1_numbers(n0: int = 100, n1: int = 50, noise_var: float = 1.0) -> dict[str, Any]:
    """MMI values, breakpoints, continuity check and the large-Ñ approximation for Figure 1."""
    out: dict[str, Any] = {"n0": n0, "n1": n1, "noise_var": noise_var, "unit": "nats",
                           "table_budgets": list(TABLE_BUDGETS), "spectra": {}}
    for name, lam in figure1_spectra(n0).items():
        rho = breakpoints(lam, n1, noise_var)
        grid = np.geomspace(max(rho[1] / 10, 1e-3), rho[-1] * 10, 200)
        cont = breakpoint_continuity(lam, n1, noise_var)
        out["spectra"][name] = {
            "breakpoints": rho.tolist(),
            "rho_max": float(rho[-1]),
            "budgets": grid.tolist(),
            "mmi": mmi(lam, n1, budget=grid, noise_var=noise_var).tolist(),
            "table_mmi": mmi(lam, n1, budget=np.array(TABLE_BUDGETS),
                             noise_var=noise_var).tolist(),
            "n_active": [water_filling(lam, n1, f, noise_var).n_active for f in TABLE_BUDGETS],
            "max_value_jump": cont.max_value_jump,
            "max_slope_jump_relative": cont.max_slope_jump,
            "min_curvature_jump_relative": cont.min_curvature_jump,
            "mmi_approx": mmi_approx(lam, n1),
            "mmi_at_rho_max": float(mmi(lam, n1, budget=rho[-1], noise_var=noise_var)),
        }
    return out
