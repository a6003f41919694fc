"""Tests for infoplane.analysis.dynamics: the measurement tools behind Claim 2.1.

The run, its figures and the verdicts are tested in tests/test_papers_dynamics.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infoplane.analysis import dynamics as dyn
from infoplane.analysis.dynamics import (
    PowerSchedule,
    RBFClassifier,
    double_well,
    escape_times,
    find_basins,
    first_passages,
    fit_growth,
    info_trajectory,
    kramers_escape_time,
    kramers_time,
    label_information,
    logistic_problem,
    mean_square_exact,
    median_log_time,
    paper_bound,
    rbf_problem,
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


# ------------------------------------------------------------------ exact I(Y; Ỹ)


def _info_loops(y: np.ndarray, probs: np.ndarray) -> float:
    """Independent reference: build p(y, ỹ) with explicit loops, then Σ p log p/(p p)."""
    n, k = probs.shape
    joint = np.zeros((k, k))
    for i in range(n):
        for t in range(k):
            joint[y[i], t] += probs[i, t] / n
    out = 0.0
    for a in range(k):
        for b in range(k):
            if joint[a, b] > 0:
                out += joint[a, b] * math.log(joint[a, b] / (joint[a].sum() * joint[:, b].sum()))
    return out


def test_label_information_analytic_cases() -> None:
    y = np.array([0, 0, 0, 1, 2, 2])
    py = np.bincount(y) / y.size
    h_y = float(-(py * np.log(py)).sum())
    assert float(label_information(y, np.eye(3)[y])) == pytest.approx(h_y, abs=1e-14)
    # a relabelled perfect predictor carries the same information (I is label-permutation free)
    assert float(label_information(y, np.eye(3)[(y + 1) % 3])) == pytest.approx(h_y, abs=1e-14)
    rows = np.tile([0.2, 0.5, 0.3], (6, 1))
    assert float(label_information(y, rows)) == pytest.approx(0.0, abs=1e-15)
    # binary symmetric channel on balanced labels: I = log 2 - h(alpha)
    yb = np.array([0, 1] * 5)
    for alpha in (0.5, 0.7, 0.95):
        p = np.where(yb[:, None] == np.arange(2)[None, :], alpha, 1 - alpha)
        h = -(alpha * math.log(alpha) + (1 - alpha) * math.log(1 - alpha))
        assert float(label_information(yb, p)) == pytest.approx(math.log(2) - h, abs=1e-13)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 4), st.integers(3, 12))
def test_label_information_matches_loops(seed: int, k: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    probs = rng.dirichlet(np.ones(k), size=n)
    val = float(label_information(y, probs))
    assert val == pytest.approx(_info_loops(y, probs), abs=1e-12)
    assert -1e-15 <= val <= float(label_information(y, np.eye(k)[y])) + 1e-12
    batch = label_information(y, np.stack([probs, np.eye(k)[y]]))
    assert batch.shape == (2,) and batch[0] == pytest.approx(val, abs=1e-14)


def test_label_information_bad_inputs() -> None:
    with pytest.raises(ValueError, match="`probs` must be a table of probabilities"):
        label_information(np.array([0, 1]), np.array([[0.5, 0.6], [0.5, 0.5]]))
    with pytest.raises(ValueError, match=r"`y` must be labels in 0\.\.1"):
        label_information(np.array([0, 2]), np.full((2, 2), 0.5))
    with pytest.raises(ValueError, match="`probs` must be an array of shape"):
        label_information(np.array([0, 1, 1]), np.full((2, 2), 0.5))


# ------------------------------------------------------------- the two-basin classifier


PROBLEM = rbf_problem()
BASINS = find_basins(PROBLEM)


def test_rbf_derivatives_match_finite_differences() -> None:
    w = np.linspace(-3.0, 3.0, 13)
    h = 1e-6
    fd = (PROBLEM.loss(w + h) - PROBLEM.loss(w - h)) / (2 * h)
    np.testing.assert_allclose(PROBLEM.grad(w), fd, rtol=1e-6, atol=1e-6)
    fd2 = (PROBLEM.grad(w + h) - PROBLEM.grad(w - h)) / (2 * h)
    np.testing.assert_allclose(PROBLEM.curvature(w), fd2, rtol=1e-5, atol=1e-5)
    g, info = PROBLEM.grad_info(w)
    np.testing.assert_allclose(g, PROBLEM.grad(w), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(info, PROBLEM.information(w), rtol=1e-10, atol=1e-14)
    # F(w) = -Σ log f(y_i | x_i; w) from the predictive table directly
    p1 = PROBLEM.predictive(w)
    direct = -np.sum(np.where(PROBLEM.y == 1, np.log(p1), np.log1p(-p1)), axis=-1)
    np.testing.assert_allclose(PROBLEM.loss(w), direct, rtol=1e-12)


def test_find_basins_critical_points() -> None:
    b = BASINS
    pts = np.array([b.first, b.second, b.saddle_low, b.saddle_high])
    np.testing.assert_allclose(PROBLEM.grad(pts), 0.0, atol=1e-9)
    assert b.curv_first > 0 and b.curv_second > 0 and max(b.curv_saddles) < 0
    assert b.saddle_low < b.first < b.start < b.saddle_high < b.second < b.saddle_low + 2 * np.pi
    assert b.loss_second < b.loss_first and b.info_second > b.info_first
    assert b.barriers[0] == pytest.approx(float(PROBLEM.loss(np.array(b.saddle_low)))
                                          - b.loss_first, rel=1e-12)
    # the start is the least-informative point between the first minimum and its saddle
    grid = np.linspace(b.first, b.saddle_high, 2001)
    assert float(PROBLEM.information(np.array(b.start))) <= PROBLEM.information(grid).min() + 1e-9
    # periodic: the second minimiser is also found at second - 2π
    assert float(PROBLEM.loss(np.array(b.second - 2 * np.pi))) == pytest.approx(b.loss_second)


def test_find_basins_rejects_single_basin() -> None:
    x = 2 * np.pi * np.arange(12) / 12
    one = RBFClassifier(x, np.array([0] * 9 + [1] * 3))
    with pytest.raises(ValueError, match="`problem` must be a loss with exactly two minima"):
        find_basins(one)
    with pytest.raises(ValueError, match="`y` must be labels with both classes"):
        RBFClassifier(x, np.zeros(12, dtype=int))


def test_kramers_escape_time_limits() -> None:
    well = double_well(1.0)
    a, b = 0.02, math.sqrt(2 * 0.02 * 0.3)
    single = kramers_escape_time(well.curv(well.left), [well.curv(well.saddle)],
                                 [well.barrier], b * b / (2 * a))
    assert single / a == pytest.approx(kramers_time(well, a, b), rel=1e-12)
    # two identical exits halve the time; a much higher second exit does not matter
    two = kramers_escape_time(8.0, [-4.0, -4.0], [1.0, 1.0], 0.2)
    assert two == pytest.approx(kramers_escape_time(8.0, [-4.0], [1.0], 0.2) / 2, rel=1e-12)
    far = kramers_escape_time(8.0, [-4.0, -4.0], [1.0, 30.0], 0.2)
    assert far == pytest.approx(kramers_escape_time(8.0, [-4.0], [1.0], 0.2), rel=1e-12)
    assert kramers_escape_time(8.0, [-4.0], [1.0], 1e-4) == math.inf
    with pytest.raises(ValueError, match="`curv_saddles` must be"):
        kramers_escape_time(8.0, [4.0], [1.0], 0.2)


def _passages_loop(temps: list[float], a0: float, alpha: float, n_chains: int,
                   max_steps: int, seed: int, w0: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-chain reference for first_passages (same stream: one full block per step)."""
    b = BASINS
    m = len(temps) * n_chains
    rng = np.random.default_rng(seed)
    noise = np.array([rng.standard_normal(m) for _ in range(max_steps)])
    t1, t2 = np.full(m, np.inf), np.full(m, np.inf)
    for c in range(m):
        T = temps[c // n_chains]
        w = w0
        for t in range(1, max_steps + 1):
            a = a0 / t**alpha
            w = w - a * float(PROBLEM.grad(np.array(w))) - math.sqrt(2 * T * a) * noise[t - 1, c]
            if (math.isinf(t1[c]) and b.saddle_low < w < b.saddle_high
                    and (w - b.first) * np.sign(w0 - b.first) <= 0):
                t1[c] = t + 1
            if w >= b.second or w <= b.second - 2 * np.pi:
                t2[c] = t + 1
                break
    return t1.reshape(len(temps), n_chains), t2.reshape(len(temps), n_chains)


def test_first_passages_vectorised_equals_loop() -> None:
    temps = [2.0, 3.0]
    res = first_passages(PROBLEM, BASINS, temps, a0=0.02, alpha=0.0, n_chains=4,
                         max_steps=600, seed=3, window=1)
    t1, t2 = _passages_loop(temps, 0.02, 0.0, 4, 600, 3, BASINS.start)
    np.testing.assert_array_equal(res.t2, t2)
    np.testing.assert_array_equal(res.t1, t1)
    assert res.temperatures.tolist() == temps


def test_first_passage_escape_matches_kramers() -> None:
    """Constant steps, ΔF/T = 3.5: median t2 vs ln 2 · τ_Kramers / a (measured 1.0-1.2)."""
    a = 0.2 / BASINS.curv_first
    T = min(BASINS.barriers) / 3.5
    kr = BASINS.kramers(T) / a
    res = first_passages(PROBLEM, BASINS, [T], a0=a, alpha=0.0, n_chains=400,
                         max_steps=int(6 * kr), seed=7, window=50)
    med, _ = res.median_t2()
    assert 0.8 < float(med[0]) / (math.log(2) * kr) < 1.6
    assert np.all(res.t1[np.isfinite(res.t1)] < res.t2[np.isfinite(res.t1)])
    # the second plateau is more informative than the first, chain by chain on average
    both = np.isfinite(res.info_first) & np.isfinite(res.info_second)
    assert np.mean(res.info_second[both] - res.info_first[both]) > 0
    assert np.all(res.info_first[both] <= BASINS.info_first + 0.03)


def test_lmc_first_passage_grows_polynomially() -> None:
    """Under a_t = a0/t, t1 grows with 1/T roughly like (1/T)^(1/(2 a0 m)) (here 1)."""
    a0 = 1.0 / (2.0 * BASINS.curv_first)
    temps = min(BASINS.barriers) / np.array([16.0, 64.0])
    res = first_passages(PROBLEM, BASINS, temps, a0=a0, alpha=1.0, n_chains=600,
                         max_steps=1200, seed=1, until="first")
    med, _ = res.median_t1()
    k = math.log(med[1] / med[0]) / math.log(4.0)
    assert 0.6 < k < 1.3
    assert np.all(np.isinf(res.t2))


def test_first_passages_bad_inputs() -> None:
    with pytest.raises(ValueError, match="`w0` must be strictly between the saddles"):
        first_passages(PROBLEM, BASINS, [1.0], a0=0.01, alpha=0.0, n_chains=2, max_steps=5,
                       w0=BASINS.second)
    with pytest.raises(ValueError, match="`temperatures` must be"):
        first_passages(PROBLEM, BASINS, [0.0], a0=0.01, alpha=0.0, n_chains=2, max_steps=5)
    with pytest.raises(ValueError, match="`until` must be one of"):
        first_passages(PROBLEM, BASINS, [1.0], a0=0.01, alpha=0.0, n_chains=2, max_steps=5,
                       until="third")  # type: ignore[arg-type]


# ------------------------------------------------------------------ medians and fits


def test_median_log_time_exponential_se() -> None:
    """For Exp(τ) samples se(log median) = 1 / (ln 2 · sqrt(n)) asymptotically."""
    rng = np.random.default_rng(0)
    n = 4000
    meds, ses = median_log_time(rng.exponential(100.0, size=(200, n)))
    assert np.median(meds) == pytest.approx(100.0 * math.log(2), rel=0.01)
    assert np.mean(ses) == pytest.approx(1 / (math.log(2) * math.sqrt(n)), rel=0.1)
    assert np.std(np.log(meds)) == pytest.approx(np.mean(ses), rel=0.2)  # calibrated


def test_median_log_time_censoring() -> None:
    t = np.array([1.0, 2.0, 3.0, 4.0, 5.0, np.inf, np.inf])
    med, _ = median_log_time(t)
    assert float(med) == 4.0  # the 4th of 7: censored chains are the largest
    med2, se2 = median_log_time(np.array([1.0, np.inf, np.inf]))
    assert float(med2) == math.inf and math.isnan(float(se2))
    with pytest.raises(ValueError, match="`times` must be"):
        median_log_time(np.array([0.0, 1.0]))


def test_fit_growth_recovers_models() -> None:
    beta = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    se = np.full(5, 0.05)
    poly = fit_growth(beta, 7.0 * beta**0.8, se)
    assert poly.poly_exponent == pytest.approx(0.8, abs=1e-10)
    assert poly.poly_chi2 == pytest.approx(0.0, abs=1e-12) and poly.poly_r2 == pytest.approx(1)
    assert poly.delta_aic < -4 and poly.dof == 3
    beta2 = np.array([0.3, 0.4, 0.5, 0.6, 0.7])
    ex = fit_growth(beta2, 3.0 * np.exp(6.0 * beta2), se)
    assert ex.exp_rate == pytest.approx(6.0, abs=1e-10)
    assert math.exp(ex.exp_intercept) == pytest.approx(3.0, rel=1e-10)
    assert ex.delta_aic > 4
    # chi-squared uses the standard errors: doubling them quarters both chi-squared values
    ex2 = fit_growth(beta2, 3.0 * np.exp(6.0 * beta2), 2 * se)
    assert ex2.poly_chi2 == pytest.approx(ex.poly_chi2 / 4, rel=1e-10)
    with pytest.raises(ValueError, match="`beta` must be at least 3 distinct"):
        fit_growth([1.0, 1.0, 2.0], [1.0, 2.0, 3.0], [0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match="`times` must be 3 finite positive"):
        fit_growth([1.0, 2.0, 3.0], [1.0, np.inf, 3.0], [0.1, 0.1, 0.1])


def test_info_trajectory_rises_then_reaches_second_basin() -> None:
    a = 0.2 / BASINS.curv_first
    T = min(BASINS.barriers) / 2.0
    tr = info_trajectory(PROBLEM, BASINS, T, a0=a, alpha=0.0, n_chains=200, n_steps=3000,
                         seed=0)
    assert tr.mean[0] == pytest.approx(float(PROBLEM.information(np.array(BASINS.start))))
    assert np.all(np.diff(tr.frac_second) >= 0)
    assert tr.frac_second[-1] > 0.9 and tr.mean[-1] > tr.mean[len(tr.mean) // 3]
    assert np.all(tr.lower <= tr.mean + 1e-12) and np.all(tr.mean <= tr.upper + 1e-12)
