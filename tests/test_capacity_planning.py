"""Planning: inverse design (min_budget, min_width) and the quality-loss bound (Eq. 1)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from infoplane import capacity

lam_fig1 = np.exp(-0.1 * np.arange(100))


@pytest.mark.parametrize("target", [1e-4, 0.3, 2.0, 7.5, 40.0, 120.0])
def test_min_budget_inverts_the_curve(target: float) -> None:
    f = capacity.min_budget(lam_fig1, 50, target)
    assert capacity.mmi(lam_fig1, 50, budget=f) == pytest.approx(target, rel=1e-10)
    # Against a root finder that only evaluates the forward map.
    root = optimize.brentq(lambda x: capacity.mmi(lam_fig1, 50, budget=x) - target, 0, 1e9,
                           xtol=1e-14, rtol=1e-13)
    assert f == pytest.approx(root, rel=1e-8)


def test_min_budget_in_bits_and_zero() -> None:
    f = capacity.min_budget([2.0, 1.0], 2, 1.0, unit="bits")
    assert capacity.mmi([2.0, 1.0], 2, budget=f, unit="bits") == pytest.approx(1.0)
    assert capacity.min_budget([2.0, 1.0], 2, 0.0) == 0.0


@settings(max_examples=40, deadline=None)
@given(lam=st.lists(st.floats(1e-2, 1e2), min_size=1, max_size=10).map(np.array),
       f=st.floats(0.0, 1e3), frac=st.floats(0.0, 1.0))
def test_min_width_is_the_smallest_sufficient_width(lam: np.ndarray, f: float,
                                                    frac: float) -> None:
    sup = capacity.mmi(lam, lam.size, budget=f)
    target = frac * sup
    w = capacity.min_width(lam, target, f)
    assert capacity.mmi(lam, w, budget=f) >= target * (1 - 1e-10) - 1e-14
    if w > 1:
        assert capacity.mmi(lam, w - 1, budget=f) < target


def test_min_width_out_of_reach_names_the_supremum() -> None:
    with pytest.raises(ValueError, match=r"supremum over widths at budget 5, 1\.53"):
        capacity.min_width(lam_fig1, 100.0, budget=5.0)
    with pytest.raises(ValueError, match="`target` must be >= 0"):
        capacity.min_budget(lam_fig1, 5, -1.0)


def test_quality_loss_bound_formula() -> None:
    d, i = 0.05, 4.0
    h2 = -d * np.log(d) - (1 - d) * np.log(1 - d)
    assert capacity.quality_loss_bound(d, i) == pytest.approx(2 * d * i + 2 * h2)
    assert capacity.quality_loss_bound(d, i / np.log(2), unit="bits") == pytest.approx(
        (2 * d * i + 2 * h2) / np.log(2))
    assert capacity.quality_loss_bound(0.0, 10.0) == 0.0
    # grows with the architecture term, as Section 2 argues
    assert capacity.quality_loss_bound(d, 8.0) > capacity.quality_loss_bound(d, 4.0)
    with pytest.raises(ValueError, match=r"`delta_tv` must be a total-variation distance"):
        capacity.quality_loss_bound(1.5, 1.0)


def test_delta_tv_bound_rate() -> None:
    b1 = capacity.delta_tv_bound(10, 1000, 2)
    assert b1 == pytest.approx(np.sqrt(10 * 2 * np.log(2) / 2000))
    assert capacity.delta_tv_bound(10, 4000, 2) == pytest.approx(b1 / 2)  # O(1/sqrt(m))
    with pytest.raises(ValueError, match="`n_samples` must be an integer >= 1"):
        capacity.delta_tv_bound(2, 0)
