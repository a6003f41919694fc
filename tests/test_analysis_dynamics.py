"""Tests for infoplane.analysis.dynamics (Claim 2.1 of the interpretation paper)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infoplane.analysis import dynamics as dyn
from infoplane.analysis.dynamics import (
    PowerSchedule,
    double_well,
    escape_times,
    kramers_time,
    logistic_problem,
    mean_square_exact,
    paper_bound,
    simulate,
)

LMC = PowerSchedule()


def test_exact_recursion_matches_monte_carlo_2d() -> None:
    lam = np.array([0.7, 1.6])
    w0 = np.array([2.0, -1.0])
    T = 300
    exact = mean_square_exact(lam, w0, LMC, T)
    sim = simulate(lambda w: w * lam, w0, LMC, T, 4000, seed=3, record_every=30)
    mc, se = sim.mean_square(np.zeros(2))
    z = np.abs(mc[1:] - exact[sim.steps.astype(int)[1:] - 1]) / se[1:]
    assert z.max() < 4.0
    assert mc[0] == pytest.approx(exact[0])


def test_constant_step_geometric_series_1d() -> None:
    a, b, lam, x0, T = 0.1, 0.3, 2.0, 1.5, 60
    out = mean_square_exact([lam], [x0], PowerSchedule(a, b, 0.0, 0.0), T)
    q = (1 - a * lam) ** 2
    k = np.arange(T)
    closed = q**k * x0**2 + b**2 * (1 - q**k) / (1 - q)
    np.testing.assert_allclose(out, closed, rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(0.05, 3.0), min_size=1, max_size=4),
    st.floats(0.1, 2.0), st.floats(0.0, 1.5), st.floats(0.0, 1.0), st.floats(0.0, 1.0),
)
def test_recursion_bound_with_dimension_dominates_exact(
        eigs: list[float], a0: float, b0: float, alpha: float, beta: float) -> None:
    lam = np.array(eigs)
    sched = PowerSchedule(a0, b0, alpha, beta)
    w0 = np.linspace(-1.0, 1.0, lam.size) + 0.3
    exact = mean_square_exact(lam, w0, sched, 80)
    bound = paper_bound(lam.min(), lam.max(), float(w0 @ w0), sched, 80, dim=lam.size)
    assert np.all(bound >= exact * (1 - 1e-10) - 1e-12)


def test_bound_as_written_misses_dimension() -> None:
    """Documented property: '+ b_t^2' in (9) is not an upper bound when d > 1."""
    lam = np.ones(4)
    exact = mean_square_exact(lam, np.zeros(4), LMC, 2000)
    as_written = paper_bound(1.0, 1.0, 0.0, LMC, 2000, dim=1)
    assert exact[-1] > 3.5 * as_written[-1]


def test_unrolled_form_fails_when_early_factors_exceed_one() -> None:
    """Documented property: with M^2 > 2m and a_t = 1/t the unrolled (10) does not bound E."""
    lam = np.array([1.0, 10.0])
    exact = mean_square_exact(lam, np.zeros(2), LMC, 200)
    unrolled = paper_bound(1.0, 10.0, 0.0, LMC, 200, dim=2, form="unrolled")
    assert np.max(exact / np.maximum(unrolled, 1e-300)) > 10.0


def test_lmc_schedule_does_not_converge_and_eq12_is_loose() -> None:
    lam = np.array([1.0, 2.0, 4.0])
    T = 20000
    exact = mean_square_exact(lam, [3.0, 3.0, 3.0], LMC, T)
    limit = float(np.sum(1 / (2 * lam)))
    assert exact[-1] == pytest.approx(limit, rel=0.01)  # does not go to 0
    bound = paper_bound(1.0, 4.0, 27.0, LMC, T, dim=3)
    assert bound[-1] == pytest.approx(3 / 2.0, rel=0.05)  # -> d / (2m), not log t
    eq12 = paper_bound(1.0, 4.0, 27.0, LMC, T, dim=3, form="eq12")
    assert eq12[-1] / exact[-1] > 10.0  # vacuous: grows like log t
    conv = mean_square_exact(lam, [3.0, 3.0, 3.0], PowerSchedule(1.0, 1.0, 1.0, 1.0), T)
    assert conv[-1] < 1e-3


def test_vectorised_equals_loop_same_stream() -> None:
    lam = np.array([0.5, 2.0, 1.0])
    w0 = np.array([1.0, -2.0, 0.5])
    sched = PowerSchedule(0.5, 0.4, 1.0, 0.5)
    vec = simulate(lambda w: w * lam, w0, sched, 40, 5, seed=11).w[-1]
    loop = dyn._simulate_loop(lambda w: w * lam, w0, sched, 40, 5, seed=11)
    np.testing.assert_allclose(vec, loop, rtol=1e-12, atol=1e-14)
    well = double_well(0.5)
    r = escape_times(well, 0.05, 0.3, 6, 3000, seed=2)
    np.testing.assert_array_equal(r.times, dyn._escape_times_loop(well, 0.05, 0.3, 6, 3000, 2))


def test_logistic_simulation_runs() -> None:
    g, w_star, hl = logistic_problem(100, 2, seed=1)
    assert np.all(hl > 0)
    sim = simulate(g, w_star, PowerSchedule(1.0, 0.1), 50, 200, seed=0, record_every=10)
    mc, _ = sim.mean_square(w_star)
    assert mc[0] == 0.0 and np.all(np.isfinite(mc))
    _, w_sep, _ = logistic_problem(100, 2, separable=True, seed=1)
    assert np.linalg.norm(w_sep) > np.linalg.norm(w_star)


def test_escape_times_monotone_in_barrier_and_noise() -> None:
    a = 0.05
    low, high = double_well(0.5), double_well(1.0)
    b = math.sqrt(2 * a * 0.25)
    t_low = escape_times(low, a, b, 400, 50000, seed=0).mean
    t_high = escape_times(high, a, b, 400, 50000, seed=0).mean
    t_noisy = escape_times(high, a, 1.3 * b, 400, 50000, seed=0).mean
    assert t_high > t_low
    assert t_noisy < t_high


def test_kramers_agreement_within_measured_factor() -> None:
    """Measured: ratio 1.09-1.28 at a = 0.05, ΔF/T_eff in [2, 4]; we allow a factor 1.5."""
    a = 0.05
    well = double_well(1.0)
    b = math.sqrt(2 * a * well.barrier / 3.0)
    kr = kramers_time(well, a, b)
    r = escape_times(well, a, b, 1000, int(20 * kr), seed=5)
    assert r.censored == 0
    assert 1 / 1.5 < r.mean / kr < 1.5


def test_tilted_well_critical_points() -> None:
    w = double_well(1.0, 0.3)
    assert w.left < w.saddle < w.right
    g = w.grad(np.array([w.left, w.saddle, w.right]))
    np.testing.assert_allclose(g, 0.0, atol=1e-9)
    assert w.barrier > 1.0  # c > 0 deepens the left well
    assert w.f(np.array(w.right)) > w.f(np.array(w.left))
    with pytest.raises(ValueError, match="`tilt` must be small enough"):
        double_well(1.0, 5.0)


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="`h_eigs` must be"):
        mean_square_exact([1.0, -1.0], [1.0, 1.0], LMC, 10)
    with pytest.raises(ValueError, match="`w0` must be of length 2"):
        mean_square_exact([1.0, 2.0], [1.0], LMC, 10)
    with pytest.raises(ValueError, match="`T` must be an integer >= 1"):
        mean_square_exact([1.0], [1.0], LMC, 0)
    with pytest.raises(ValueError, match="`M` must be >= m"):
        paper_bound(2.0, 1.0, 0.0, LMC, 10)
    with pytest.raises(ValueError, match="`form` must be one of"):
        paper_bound(1.0, 1.0, 0.0, LMC, 10, form="bogus")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`a0` must be > 0"):
        PowerSchedule(a0=0.0)
    with pytest.raises(ValueError, match="`n_chains` must be an integer >= 1"):
        simulate(lambda w: w, [1.0], LMC, 5, 0)
    with pytest.raises(ValueError, match="`w0` must be a non-empty finite"):
        simulate(lambda w: w, [np.nan], LMC, 5, 2)
    with pytest.raises(ValueError, match="`height` must be > 0"):
        double_well(-1.0)
    with pytest.raises(ValueError, match="`b` must be > 0"):
        escape_times(double_well(), 0.1, 0.0, 10, 10)
    with pytest.raises(TypeError, match="`schedule` must be a PowerSchedule"):
        mean_square_exact([1.0], [1.0], "lmc", 5)  # type: ignore[arg-type]


def test_run_quick_writes_outputs(tmp_path: object) -> None:
    import pathlib

    out = pathlib.Path(str(tmp_path))
    res = dyn.run(out, quick=True, seed=0)
    for name in ("dynamics_quadratic.png", "dynamics_escape.png", "dynamics.json"):
        assert (out / name).is_file()
    on_disk = json.loads((out / "dynamics.json").read_text())
    assert on_disk["verdicts"] == res["verdicts"]
    holds = {v["claim"]: v["holds"] for v in res["verdicts"]}
    assert all(h in ("holds", "holds with caveats", "does not hold") for h in holds.values())
    assert holds["E||w_t - w*||^2 -> 0 'linearly fast' under a_t = 1/t, b_t = 1/sqrt(t)"] == (
        "does not hold")
