"""Series and parallel composition of MMI values (MMI paper, Section 3), with what is true.

The paper's rules are "series = min" and "parallel = sum". Both are checked here rather than
trusted:

* **Series.** For a Markov chain X → Z₁ → ... → Z_K the data-processing inequality gives
  I(X; Z_K) <= min_k I(X; Z_k), so "series = min" is an *upper bound* in general. It holds
  with *equality* in the setting of Theorem 5 — noise only on the last layer and the budget on
  the end-to-end map W_K⋯W_1: the product can be any matrix of rank <= min_k N_k, so
  MMI(chain) = MMI(eig, min_k N_k, F) = min_k MMI(eig, N_k, F) (MMI is increasing in the
  width). With Gaussian noise after *every* layer the noise accumulates
  (Cov = σ²(I + W_K W_Kᵀ + W_K W_{K-1} W_{K-1}ᵀ W_Kᵀ + ...) ⪰ σ² I), the chain carries
  strictly less in general, and only a bound is returned.
* **Parallel.** Branches Z_a = W_a X_a + η_a, Z_b = W_b X_b + η_b fed by *independent* inputs
  X_a ⊥ X_b with their own budgets carry exactly the sum: I(X; Z_a, Z_b) = I(X_a; Z_a) +
  I(X_b; Z_b). Branches reading the *same* X can carry less: with independent noises,
  I(X; Z_a, Z_b) <= I(X; Z_a) + I(X; Z_b) (sub-additivity) and also <= MMI of one layer of
  width N_a + N_b and budget F_a + F_b (the stacked matrix [W_a; W_b]). For two branches the
  second bound is *attained* iff the optimal stacked allocation s (the water-filling
  eigenvalues of W Wᵀ, padded with zeros to N_a + N_b) can be rotated so that the first N_a
  rows carry exactly F_a: by the Schur–Horn theorem and Ky Fan's inequalities this is
  possible iff (sum of the N_a smallest s_i) <= F_a <= (sum of the N_a largest s_i).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, overload

import numpy as np
import numpy.typing as npt

from infoplane._typing import FloatArray
from infoplane._validation import as_widths, budget_array, choice, fail, positive
from infoplane.capacity._input import Widths, sorted_spectrum
from infoplane.capacity.waterfill import mmi, water_filling


@overload
def series(*values: float) -> float: ...
@overload
def series(*values: npt.ArrayLike) -> float | FloatArray: ...
def series(*values: npt.ArrayLike) -> float | FloatArray:
    """MMI of channels in series per Section 3: the smallest value (elementwise for arrays).

    In general an upper bound (data processing); see :func:`chain` for when it is exact.

    Examples
    --------
    >>> series(3.0, 1.5, 2.0)
    1.5
    """
    if not values:
        raise ValueError("`values` must be at least one MMI value, got none.")
    out = np.minimum.reduce([np.asarray(v, dtype=np.float64) for v in values])
    return float(out) if out.ndim == 0 else out


@overload
def parallel(*values: float) -> float: ...
@overload
def parallel(*values: npt.ArrayLike) -> float | FloatArray: ...
def parallel(*values: npt.ArrayLike) -> float | FloatArray:
    """MMI of channels in parallel per Section 3: the sum (elementwise for arrays).

    Exact for branches fed by independent inputs; an upper bound when they share the input
    (see :func:`concat`).

    Examples
    --------
    >>> parallel(1.0, 2.5)
    3.5
    """
    if not values:
        raise ValueError("`values` must be at least one MMI value, got none.")
    out = np.add.reduce([np.asarray(v, dtype=np.float64) for v in values])
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class CapacityBound:
    """A capacity value that says whether it is exact or only an upper bound.

    Attributes
    ----------
    value : float
        Nats.
    exact : bool
        True when ``value`` is the supremum itself, False when it is an upper bound.
    reason : str
        Why (which theorem or inequality).
    """

    value: float
    exact: bool
    reason: str

    @property
    def kind(self) -> str:
        """``"exact"`` or ``"upper bound"``."""
        return "exact" if self.exact else "upper bound"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dictionary."""
        return {"value_nats": self.value, "value_bits": self.value / np.log(2.0),
                "kind": self.kind, "reason": self.reason}


def chain(eigenvalues: npt.ArrayLike, widths: Widths, *, budget: npt.ArrayLike,
          noise_var: float = 1.0,
          noise: Literal["output", "every"] = "output") -> CapacityBound:
    """Capacity of fully connected layers in series.

    Parameters
    ----------
    eigenvalues : array_like
        Covariance spectrum of X.
    widths : sequence of int
        N_1..N_K.
    budget : float or sequence of float
        ``noise="output"``: F on the end-to-end map (Theorem 5). ``noise="every"``: one budget
        per layer, ‖W_k‖²_F <= F_k (a scalar is used for every layer).
    noise_var : float
    noise : {"output", "every"}
        Where the Gaussian noise σ² enters: after the last layer only (Theorem 5, exact), or
        after every layer (upper bound min_k MMI(eig, min_{j<=k} N_j, Π_{j<=k} F_j), from the
        data-processing inequality, ‖AB‖_F <= ‖A‖_F ‖B‖_F and the fact that extra Gaussian
        noise can only lower the information).

    Examples
    --------
    >>> chain([1.0, 0.5, 0.25], [3, 1], budget=2.0).exact
    True
    """
    ws = as_widths("widths", widths)
    s2 = positive("noise_var", noise_var)
    noise = choice("noise", noise, ("output", "every"))  # type: ignore[assignment]
    if noise == "output":
        f_arr, scalar = budget_array("budget", budget)
        if not scalar:
            raise fail("budget", "a scalar for noise='output' (it bounds W_K⋯W_1)", f_arr)
        value = mmi(eigenvalues, ws, budget=float(f_arr), noise_var=s2)
        return CapacityBound(value, True, "Theorem 5: noise on the last layer and the budget on "
                             f"the product; bottleneck width {min(ws)} = series (min) of the "
                             "single-layer MMIs.")
    f_arr, scalar = budget_array("budget", budget)
    budgets = np.full(len(ws), float(f_arr)) if scalar else f_arr.ravel()
    if budgets.size != len(ws):
        raise fail("budget", f"a scalar or one budget per layer ({len(ws)})", f_arr)
    prefix_w = np.minimum.accumulate(np.asarray(ws))
    prefix_f = np.cumprod(budgets)
    vals = [mmi(eigenvalues, int(w), budget=float(f), noise_var=s2)
            for w, f in zip(prefix_w, prefix_f, strict=True)]
    return CapacityBound(float(min(vals)), False,
                         "noise after every layer: data processing gives an upper bound "
                         "(min over prefixes); the noise accumulates, so the chain carries "
                         "less in general.")


@dataclass(frozen=True)
class Branch:
    """One branch of a parallel block: the spectrum it reads, its widths and its budget."""

    eigenvalues: npt.ArrayLike
    widths: Widths
    budget: float


def concat(branches: Sequence[Branch], *, inputs: Literal["independent", "shared"],
           noise_var: float = 1.0) -> CapacityBound:
    """Capacity of branches whose outputs are concatenated (two towers, say).

    Parameters
    ----------
    branches : sequence of Branch
        Each with its own input spectrum, widths and budget.
    inputs : {"independent", "shared"}
        ``"independent"``: each branch reads its own part of X, independent of the others →
        exact sum. ``"shared"``: every branch reads the same X (same spectrum required) →
        min(sum of parts, MMI(eig, Σ Ñ_b, Σ F_b)); exact for two branches when the Ky Fan
        condition of the module docstring holds.
    noise_var : float

    Examples
    --------
    >>> a = Branch([1.0], 1, 1.0)
    >>> concat([a, a], inputs="shared").value < concat([a, a], inputs="independent").value
    True
    """
    s2 = positive("noise_var", noise_var)
    inputs = choice("inputs", inputs, ("independent", "shared"))  # type: ignore[assignment]
    if len(branches) < 1 or not all(isinstance(b, Branch) for b in branches):
        raise TypeError(f"`branches` must be a non-empty sequence of Branch, got {branches!r}.")
    parts = [mmi(b.eigenvalues, b.widths, budget=b.budget, noise_var=s2) for b in branches]
    total = float(sum(parts))
    if inputs == "independent":
        return CapacityBound(total, True, "independent inputs with separate budgets: "
                             "I(X; Z_a, Z_b) = I(X_a; Z_a) + I(X_b; Z_b), parallel adds.")
    lam = sorted_spectrum(branches[0].eigenvalues)
    for i, b in enumerate(branches[1:], start=1):
        other = sorted_spectrum(b.eigenvalues)
        if other.shape != lam.shape or not np.allclose(other, lam, rtol=1e-12, atol=0):
            raise fail(f"branches[{i}].eigenvalues", "the same spectrum as branches[0] for "
                       "inputs='shared'", other)
    ranks = [min(as_widths("widths", b.widths)) for b in branches]
    f_tot = float(sum(b.budget for b in branches))
    joint = mmi(lam, sum(ranks), budget=f_tot, noise_var=s2)
    if len(branches) == 2 and joint <= total:
        wf = water_filling(lam, sum(ranks), f_tot, s2)
        s = np.zeros(sum(ranks))
        s[: wf.allocation.size] = wf.allocation
        s = np.sort(s)
        na = ranks[0]
        lo, hi = float(s[:na].sum()), float(s[-na:].sum())
        fa = float(branches[0].budget)
        tol = 1e-12 * max(1.0, f_tot)
        if lo - tol <= fa <= hi + tol:
            return CapacityBound(joint, True, "shared input: the stacked layer's MMI is attained "
                                 "(Schur–Horn/Ky Fan condition holds); less than the sum "
                                 f"{total:.6g} of the parts.")
    value = min(total, joint)
    return CapacityBound(value, False, "shared input: upper bound min(sum of parts, stacked "
                         "layer MMI); parallel does not simply add when branches read the "
                         "same X.")
