"""Closed-form MMI (Theorems 1-5, Lemma 1) against independent truths and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import random_spd
from ground_truth import (
    bijective_channel_mi,
    gaussian_channel_mi,
    mmi_by_weight_search,
    relu_channel,
    waterfill_by_convex_solver,
)
from infoplane import capacity

spectra = st.lists(st.floats(1e-3, 1e3), min_size=1, max_size=12).map(np.array)
budgets = st.floats(0.0, 1e4)


# ------------------------------------------------------------------ analytic special cases

def test_white_spectrum_closed_form() -> None:
    # λ_i = λ for all i: all breakpoints are 0 and MMI = (Ñ/2) log(1 + F λ/(σ² Ñ)).
    lam, n1, f, s2 = 2.0, 3, 7.0, 0.5
    got = capacity.mmi(np.full(5, lam), n1, budget=f, noise_var=s2)
    assert got == pytest.approx(n1 / 2 * np.log1p(f * lam / (s2 * n1)), rel=1e-14)
    assert np.all(capacity.breakpoints(np.full(5, lam), n1, s2) == 0.0)


def test_breakpoints_match_lemma1_definition() -> None:
    lam = np.array([5.0, 3.0, 2.0, 0.7, 0.1])
    s2 = 1.7
    rho = capacity.breakpoints(lam[::-1], 4, s2)  # order of input must not matter
    expected = [s2 * (k / lam[k - 1] - np.sum(1 / lam[:k])) for k in range(1, 5)]
    np.testing.assert_allclose(rho, expected, rtol=1e-13, atol=1e-15)
    assert rho[0] == 0.0 and np.all(np.diff(rho) >= 0)  # Eq. (3)


def test_theorem1_equation2_above_last_breakpoint() -> None:
    lam = np.array([4.0, 2.5, 1.0, 0.5])
    n1, s2 = 3, 0.8
    rho = capacity.breakpoints(lam, n1, s2)
    for f in (rho[-1], rho[-1] * 1.5 + 0.1, 100.0):
        eq2 = n1 / 2 * np.log((f + s2 * np.sum(1 / lam[:n1])) / (s2 * n1)) \
            + 0.5 * np.sum(np.log(lam[:n1]))
        assert capacity.mmi(lam, n1, budget=f, noise_var=s2) == pytest.approx(eq2, rel=1e-13)


def test_theorem2_equation4_between_breakpoints() -> None:
    lam = np.array([4.0, 2.5, 1.0, 0.5])
    s2 = 0.8
    rho = capacity.breakpoints(lam, 4, s2)
    for k in (1, 2, 3):  # F in [ρ_k, ρ_{k+1}): k active
        f = 0.5 * (rho[k - 1] + rho[k])
        eq4 = k / 2 * np.log((f + s2 * np.sum(1 / lam[:k])) / (s2 * k)) \
            + 0.5 * np.sum(np.log(lam[:k]))
        assert capacity.mmi(lam, 4, budget=f, noise_var=s2) == pytest.approx(eq4, rel=1e-13)
        assert capacity.water_filling(lam, 4, f, s2).n_active == k


def test_units_and_zero_budget() -> None:
    lam = [3.0, 1.0]
    nats = capacity.mmi(lam, 2, budget=4.0)
    assert capacity.mmi(lam, 2, budget=4.0, unit="bits") == pytest.approx(nats / np.log(2))
    assert capacity.mmi(lam, 2, budget=0.0) == 0.0


def test_covariance_matrix_equals_its_spectrum(rng: np.random.Generator) -> None:
    cov = random_spd(rng, 6)
    lam = np.linalg.eigvalsh(cov)
    f = np.array([0.1, 1.0, 10.0])
    np.testing.assert_allclose(capacity.mmi(cov, 4, budget=f), capacity.mmi(lam, 4, budget=f),
                               rtol=1e-12)


def test_zero_eigenvalues_carry_nothing() -> None:
    # A singular covariance: the zero directions never become active.
    a = capacity.mmi([2.0, 1.0, 0.0, 0.0], 4, budget=50.0)
    b = capacity.mmi([2.0, 1.0], 2, budget=50.0)
    assert a == pytest.approx(b, rel=1e-14)


# --------------------------------------------------------------- against independent solvers

@pytest.mark.parametrize("case", range(20))
def test_closed_form_matches_weight_search(case: int) -> None:
    rng = np.random.default_rng(1000 + case)
    n0 = int(rng.integers(2, 7))
    n1 = int(rng.integers(1, n0 + 2))
    cov = random_spd(rng, n0, cond=20.0)
    s2 = float(rng.uniform(0.3, 2.0))
    rho = capacity.breakpoints(cov, n1, s2)
    # Budgets below, between and above the breakpoints.
    f = float(rng.choice([0.3, 0.7, 1.5, 4.0])) * max(rho[-1], 0.5)
    want = mmi_by_weight_search(cov, n1, f, s2, restarts=3, seed=case)
    got = capacity.mmi(cov, n1, budget=f, noise_var=s2)
    assert got == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_closed_form_matches_convex_solver(seed: int) -> None:
    rng = np.random.default_rng(seed)
    lam = np.exp(rng.uniform(-3, 2, size=8))
    for f in (0.01, 0.5, 3.0, 30.0):
        want = waterfill_by_convex_solver(lam, 6, f, 1.3)
        assert capacity.mmi(lam, 6, budget=f, noise_var=1.3) == pytest.approx(want, rel=1e-6)


# ------------------------------------------------------------------------- optimal weights

@pytest.mark.parametrize("n1", [1, 3, 6, 9])
def test_optimal_weights_attain_the_mmi(rng: np.random.Generator, n1: int) -> None:
    cov = random_spd(rng, 6)
    for f in (0.05, 1.0, 20.0):
        w = capacity.optimal_weights(cov, n1, f, noise_var=0.7)
        assert w.shape == (n1, 6)
        assert np.trace(w.T @ w) == pytest.approx(f, rel=1e-12)
        got = capacity.linear_mi(w, cov, noise_var=0.7)
        assert got == pytest.approx(capacity.mmi(cov, n1, budget=f, noise_var=0.7),
                                    rel=1e-10, abs=1e-12)
        assert got == pytest.approx(gaussian_channel_mi(w, cov, 0.7), rel=1e-10, abs=1e-12)


def test_linear_mi_both_sides_agree(rng: np.random.Generator) -> None:
    cov = random_spd(rng, 4)
    w = rng.standard_normal((7, 4))  # more rows than columns: the N0 x N0 route
    assert capacity.linear_mi(w, cov) == pytest.approx(gaussian_channel_mi(w, cov, 1.0),
                                                       rel=1e-12)


# ---------------------------------------------------------------------------- properties

@settings(max_examples=60, deadline=None)
@given(lam=spectra, n1=st.integers(1, 14), f=budgets, seed=st.integers(0, 2**31 - 1))
def test_random_feasible_weights_stay_below(lam: np.ndarray, n1: int, f: float,
                                            seed: int) -> None:
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((n1, lam.size))
    w *= np.sqrt(f * rng.uniform(0, 1)) / max(np.linalg.norm(w), 1e-300)
    bound = capacity.mmi(lam, n1, budget=f)
    assert capacity.linear_mi(w, lam) <= bound * (1 + 1e-9) + 1e-12


@settings(max_examples=60, deadline=None)
@given(lam=spectra, n1=st.integers(1, 14), f=st.lists(budgets, min_size=2, max_size=20))
def test_monotone_and_concave_in_budget(lam: np.ndarray, n1: int, f: list[float]) -> None:
    fs = np.sort(np.array(f))
    v = capacity.mmi(lam, n1, budget=fs)
    assert np.all(np.diff(v) >= -1e-12 * np.maximum(1.0, np.abs(v[1:])))
    slopes = capacity.mmi_derivative(lam, n1, budget=fs)
    assert np.all(np.diff(slopes) <= 1e-12)  # concave: the slope never increases


@settings(max_examples=60, deadline=None)
@given(lam=spectra, f=budgets)
def test_monotone_in_width_and_bottleneck(lam: np.ndarray, f: float) -> None:
    vals = [capacity.mmi(lam, w, budget=f) for w in range(1, lam.size + 3)]
    assert np.all(np.diff(vals) >= -1e-12)
    # Theorem 5: a chain has the MMI of its narrowest layer.
    assert capacity.mmi(lam, [lam.size + 2, 2, 5], budget=f) == pytest.approx(
        capacity.mmi(lam, 2, budget=f), rel=1e-14, abs=1e-300)


@pytest.mark.parametrize("act", ["relu", "tanh", "sigmoid", "leaky_relu", "selu", "bijective"])
def test_closed_form_activations_share_the_linear_value(act: str) -> None:
    lam = [3.0, 1.0, 0.2]
    assert capacity.mmi(lam, 2, budget=2.0, activation=act) == capacity.mmi(lam, 2, budget=2.0)


# --------------------------------------------------- Theorem 3 (ReLU) and Theorem 4 (bijective)

def test_theorem3_relu_approaches_the_mmi_as_the_bias_grows(rng: np.random.Generator) -> None:
    cov = random_spd(rng, 4)
    f, s2 = 3.0, 1.0
    w = capacity.optimal_weights(cov, 1, f, s2)  # one unit: S = wᵀX + b is all Z sees
    var_s = float((w @ cov @ w.T)[0, 0])
    target = capacity.mmi(cov, 1, budget=f, noise_var=s2)
    rows = [relu_channel(var_s, b * np.sqrt(var_s), s2) for b in (-1.0, 0.0, 1.0, 2.0, 4.0, 7.0)]
    i_lin = np.array([r[0] for r in rows])
    i_relu = np.array([r[1] for r in rows])
    tv = np.array([r[2] for r in rows])
    np.testing.assert_allclose(i_lin, target, rtol=1e-12)
    assert np.all(i_relu <= i_lin + 1e-9)  # Lemma 2 / Eq. (42)
    assert np.all(np.diff(tv) < 0) and tv[-1] < 1e-9  # TV(Z, Z_relu) -> 0
    assert np.all(np.diff(i_relu) > 0)
    assert abs(i_relu[-1] - target) < 1e-7  # I(X; Z_relu) -> MMI
    assert i_relu[0] < 0.9 * target  # with the ReLU active the loss is real


@pytest.mark.parametrize("phi", ["tanh", "sigmoid"])
def test_theorem4_bijective_activation_keeps_the_information(phi: str) -> None:
    var_s, s2 = 0.8, 0.3
    got = bijective_channel_mi(var_s, s2, phi)
    assert got == pytest.approx(0.5 * np.log1p(var_s / s2), rel=1e-6)
    # ...and so the MMI is the linear one (the optimal S has var_s = F λ_1 for one unit).
    lam, f = np.array([0.4, 0.1]), 2.0
    assert capacity.mmi(lam, 1, budget=f, noise_var=s2, activation=phi) == pytest.approx(
        0.5 * np.log1p(f * lam[0] / s2), rel=1e-14)


# ------------------------------------------- the paper's "discontinuity" remark, checked

@pytest.mark.parametrize("name", ["exponential", "harmonic"])
def test_mmi_is_continuous_and_c1_at_breakpoints(name: str) -> None:
    from infoplane.capacity.demo import figure1_spectra

    lam = figure1_spectra(100)[name]
    c = capacity.breakpoint_continuity(lam, 50)
    assert c.rho.size == 49
    assert c.max_value_jump < 1e-10
    assert c.max_slope_jump < 1e-10
    assert c.min_curvature_jump > 0.01  # only the second derivative jumps: C¹, not C²
    # Independent of the left/right closed forms: finite differences straddling ρ_k.
    rho = c.rho[10]
    eps = 1e-7 * rho
    lo, mid, hi = capacity.mmi(lam, 50, budget=np.array([rho - eps, rho, rho + eps]))
    assert abs(hi - mid) < 1e-6 and abs(mid - lo) < 1e-6
    left = capacity.mmi_derivative(lam, 50, budget=rho, side="left")
    right = capacity.mmi_derivative(lam, 50, budget=rho, side="right")
    assert left == pytest.approx(right, rel=1e-12)
    assert (hi - lo) / (2 * eps) == pytest.approx(right, rel=1e-5)


# ------------------------------------------------------------ the large-Ñ approximation

def test_mmi_approx_error_formula_above_last_breakpoint() -> None:
    rng = np.random.default_rng(7)
    lam = np.exp(rng.uniform(-2, 1, size=30))
    for n, s2 in ((5, 1.0), (20, 0.5), (30, 2.0)):
        rho = capacity.breakpoints(lam, n, s2)
        hbar = np.mean(1 / np.sort(lam)[::-1][:n])
        for f in (rho[-1], 3 * rho[-1] + 1):
            err = capacity.mmi_approx_error(lam, n, budget=f, noise_var=s2)
            assert err == pytest.approx(-(n / 2) * np.log1p(f / (s2 * n * hbar)), rel=1e-10)
            assert err < 0  # it underestimates where Eq. (2) applies
        # smallest error in that regime, at F = ρ_Ñ: (Ñ/2) log(max(1/λ)/mean(1/λ))
        lam_n = np.sort(lam)[::-1][:n]
        smallest = n / 2 * np.log((1 / lam_n[-1]) / hbar)
        assert -capacity.mmi_approx_error(lam, n, budget=rho[-1], noise_var=s2) == \
            pytest.approx(smallest, rel=1e-10)


def test_mmi_approx_overestimates_small_budgets_and_does_not_improve_with_width() -> None:
    lam = 1.0 / np.arange(1, 201)
    assert capacity.mmi_approx_error(lam, 50, budget=1e-3) > 0  # truth ≈ 0, approx > 0
    # White spectrum, fixed F: |error| grows with Ñ towards F/(2σ²h̄) = F/2.
    errs = [-capacity.mmi_approx_error(np.ones(400), n, budget=5.0) for n in (1, 10, 100, 400)]
    assert np.all(np.diff(errs) > 0) and errs[-1] < 2.5 and errs[-1] > 2.45


# ------------------------------------------------------------------------------ bad input

@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"eigenvalues": [1.0, np.nan]}, ValueError, "`eigenvalues` must be finite"),
        ({"eigenvalues": [1.0, -0.5]}, ValueError, "`eigenvalues` must be non-negative"),
        ({"eigenvalues": [[1.0, 2.0], [0.0, 1.0]]}, ValueError, "symmetric"),
        ({"eigenvalues": [[1.0, 2.0, 3.0]]}, ValueError, "square covariance"),
        ({"eigenvalues": []}, ValueError, "`eigenvalues` must be non-empty"),
        ({"eigenvalues": [0.0, 0.0]}, ValueError, "no variance"),
        ({"budget": -1.0}, ValueError, r"`budget` must be >= 0"),
        ({"budget": [1.0, np.inf]}, ValueError, "`budget` must be finite"),
        ({"widths": 0}, ValueError, r"`widths` must be an integer >= 1"),
        ({"widths": [3, 0]}, ValueError, r"`widths\[1\]` must be an integer >= 1"),
        ({"widths": 2.5}, TypeError, "`widths` must be an int"),
        ({"widths": []}, ValueError, "non-empty sequence"),
        ({"noise_var": 0.0}, ValueError, r"`noise_var` must be > 0"),
        ({"noise_var": -1.0}, ValueError, r"`noise_var` must be > 0"),
        ({"unit": "dits"}, ValueError, "`unit` must be 'nats' or 'bits'"),
        ({"activation": "gelu"}, ValueError, "no closed-form MMI"),
    ],
)
def test_bad_input_is_rejected_clearly(kwargs: dict, exc: type, match: str) -> None:
    args = {"eigenvalues": [2.0, 1.0], "widths": 2, "budget": 1.0, "noise_var": 1.0}
    args.update(kwargs)
    eig = args.pop("eigenvalues")
    widths = args.pop("widths")
    with pytest.raises(exc, match=match):
        capacity.mmi(eig, widths, **args)


def test_weights_shape_mismatch_is_rejected() -> None:
    with pytest.raises(ValueError, match="`weights` must have N0 = 3 columns"):
        capacity.linear_mi(np.ones((2, 2)), np.eye(3))
    with pytest.raises(ValueError, match="`budget` must be a scalar"):
        capacity.water_filling([1.0], 1, [1.0, 2.0])
