"""Numeric MMI (an L-BFGS optimiser that knows nothing of water-filling) against the closed forms.

Covers: nn.Linear vs Theorems 1-2; circular convolutions vs :func:`circular_conv_mmi`; chains
with one norm budget on all layers (derivation in ``numeric_mmi``'s docstring and below); two
branches on the same input with one budget each; argument errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar
from torch import nn

from infoplane.capacity.numeric import (
    NumericResult,
    circulant_covariance,
    circular_conv_mmi,
    module_matrix,
    numeric_mmi,
    numeric_mmi_matrices,
    optimal_circular_kernel,
    power_spectrum,
)
from infoplane.capacity.waterfill import breakpoints, mmi, water_filling
from infoplane.capacity.weights import linear_mi

RTOL = 1e-6


def random_covariance(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A random SPD covariance with a spread spectrum, and its eigenvalues."""
    lam = np.exp(rng.uniform(-1.5, 1.5, n))
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    cov = (q * lam) @ q.T
    return 0.5 * (cov + cov.T), lam


def random_budget(rng: np.random.Generator, lam: np.ndarray, width: int, s2: float,
                  kind: int) -> float:
    """kind 0: below ρ_2 (one component); 1: between two breakpoints; 2: above the last."""
    rho = breakpoints(lam, width, s2)
    m = rho.size
    if kind == 0 or m == 1:
        top = rho[1] if m > 1 else 1.0
        return float(top * rng.uniform(0.2, 0.9))
    if kind == 1:
        k = int(rng.integers(1, m))  # F in (ρ_k, ρ_{k+1}) (1-based k; ρ_{m+1} = ∞)
        hi = rho[k] if k < m else 2.0 * rho[-1] + 1.0
        return float(rho[k - 1] + rng.uniform(0.2, 0.8) * (hi - rho[k - 1]))
    return float(1.5 * rho[-1] + rng.uniform(0.5, 3.0))


def rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-300)


# ---------------------------------------------------------------------------------------------
# (a) nn.Linear: numeric == closed form
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", range(24))
def test_linear_matches_closed_form(case: int) -> None:
    rng = np.random.default_rng(1000 + case)
    n0 = int(rng.integers(3, 13))
    n1 = int(rng.integers(1, n0 + 3))
    s2 = float(rng.uniform(0.3, 2.0))
    cov, lam = random_covariance(rng, n0)
    budget = random_budget(rng, lam, n1, s2, kind=case % 3)
    res = numeric_mmi(nn.Linear(n0, n1), cov, budget=budget, noise_var=s2, restarts=3,
                      seed=case)
    exact = mmi(lam, n1, budget=budget, noise_var=s2)
    assert rel(res.value, exact) <= RTOL
    assert res.value <= exact * (1 + 1e-9)  # never above the supremum
    # The result is self-consistent: feasible (on the sphere) and A is the reported optimum.
    assert res.matrix.shape == (n1, n0)
    np.testing.assert_allclose((res.params["weight"] ** 2).sum(), budget, rtol=1e-10)
    np.testing.assert_allclose(res.params["weight"], res.matrix, atol=1e-12)
    assert rel(linear_mi(res.matrix, cov, s2), res.value) <= 1e-9
    assert res.converged
    assert res.values.shape == (3,) and res.n_restarts == 3
    assert res.value == pytest.approx(res.values.max(), rel=1e-15)


def test_linear_diagonal_covariance_and_singular_covariance() -> None:
    # 1-D covariance = diagonal; a singular covariance (rank 2 of 4) caps the MI.
    res = numeric_mmi(nn.Linear(3, 2), [4.0, 2.0, 1.0], budget=3.0, restarts=2)
    assert rel(res.value, mmi([4.0, 2.0, 1.0], 2, budget=3.0)) <= RTOL
    rng = np.random.default_rng(5)
    q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    cov = (q * [3.0, 1.0, 0.0, 0.0]) @ q.T
    res = numeric_mmi(nn.Linear(4, 4), 0.5 * (cov + cov.T), budget=5.0, restarts=2)
    assert rel(res.value, mmi([3.0, 1.0, 0.0, 0.0], 4, budget=5.0)) <= RTOL


# ---------------------------------------------------------------------------------------------
# (b) no feasible weights beat the closed form
# ---------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n0=st.integers(1, 8), n1=st.integers(1, 10),
       frac=st.floats(0.0, 1.0), log_f=st.floats(-3.0, 3.0), s2=st.floats(0.1, 5.0))
def test_random_feasible_weights_below_closed_form(seed: int, n0: int, n1: int, frac: float,
                                                   log_f: float, s2: float) -> None:
    rng = np.random.default_rng(seed)
    cov, lam = random_covariance(rng, n0)
    budget = 10.0**log_f
    w = rng.standard_normal((n1, n0))
    w *= math.sqrt(frac * budget / (w**2).sum())  # ‖W‖² = frac·F <= F
    assert linear_mi(w, cov, s2) <= mmi(lam, n1, budget=budget, noise_var=s2) * (1 + 1e-10) \
        + 1e-12


def test_optimal_weights_not_beaten_by_numeric_restarts() -> None:
    # Every restart (not just the best) ends at or below the supremum.
    rng = np.random.default_rng(7)
    cov, lam = random_covariance(rng, 6)
    res = numeric_mmi(nn.Linear(6, 3), cov, budget=2.0, restarts=4, seed=3, max_iter=5)
    assert np.all(res.values <= mmi(lam, 3, budget=2.0) * (1 + 1e-12))


# ---------------------------------------------------------------------------------------------
# (c) circular convolutions vs the closed form
# ---------------------------------------------------------------------------------------------


def random_stationary(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """A random circularly symmetric autocovariance with a strictly positive spectrum."""
    p = np.exp(rng.uniform(-1.5, 1.5, shape))
    axes = tuple(range(len(shape)))
    p = 0.5 * (p + np.roll(np.flip(p, axes), 1, axes))  # p_j = p_{-j}: a real signal
    return np.fft.ifftn(p).real


@pytest.mark.parametrize("shape", [(5,), (6,), (3, 4)])
def test_power_spectrum_is_the_circulant_spectrum(shape: tuple[int, ...]) -> None:
    r = random_stationary(np.random.default_rng(11), shape)
    p = power_spectrum(r)
    cov = circulant_covariance(r)
    assert p.shape == shape and cov.shape == (p.size, p.size)
    np.testing.assert_allclose(cov, cov.T)
    np.testing.assert_allclose(np.sort(np.linalg.eigvalsh(cov)), np.sort(p.ravel()),
                               atol=1e-12)


@pytest.mark.parametrize(("n", "padding"), [(7, 3), (6, "same")])
def test_full_length_circular_conv1d_matches_closed_form(n: int, padding: int | str) -> None:
    rng = np.random.default_rng(20 + n)
    r = random_stationary(rng, (n,))
    p, cov = power_spectrum(r), circulant_covariance(r)
    conv = nn.Conv1d(1, 1, n, padding=padding, padding_mode="circular")
    for budget in (0.05, 0.7, 6.0):  # one active frequency pair ... all active
        exact = circular_conv_mmi(p, budget=budget)
        res = numeric_mmi(conv, cov, budget=budget, input_shape=(1, n), restarts=3)
        assert res.matrix.shape == (n, n)
        assert rel(res.value, exact) <= RTOL
        assert res.value <= exact * (1 + 1e-9)
    # Achievability without the optimiser: the water-filled real kernel attains it.
    conv64 = nn.Conv1d(1, 1, n, padding=padding, padding_mode="circular").double()
    with torch.no_grad():
        conv64.weight.copy_(torch.as_tensor(optimal_circular_kernel(p, budget=0.7)))
    a = module_matrix(conv64, input_shape=(1, n))
    assert rel(linear_mi(a, cov), circular_conv_mmi(p, budget=0.7)) <= 1e-10


def test_short_kernel_is_below_closed_form() -> None:
    rng = np.random.default_rng(31)
    n = 8
    r = random_stationary(rng, (n,))
    p, cov = power_spectrum(r), circulant_covariance(r)
    conv = nn.Conv1d(1, 1, 3, padding=1, padding_mode="circular")
    for budget in (0.3, 3.0):
        bound = circular_conv_mmi(p, budget=budget)
        res = numeric_mmi(conv, cov, budget=budget, input_shape=(1, n), restarts=3)
        assert res.value <= bound * (1 + 1e-9)
        assert res.value < bound * (1 - 1e-4)  # 3 taps cannot shape all 8 frequencies


def test_full_size_circular_conv2d_matches_closed_form() -> None:
    rng = np.random.default_rng(41)
    r = random_stationary(rng, (4, 4))
    p, cov = power_spectrum(r), circulant_covariance(r)
    conv = nn.Conv2d(1, 1, 4, padding="same", padding_mode="circular")
    for budget in (0.1, 2.0):
        exact = circular_conv_mmi(p, budget=budget)
        res = numeric_mmi(conv, cov, budget=budget, input_shape=(1, 4, 4), restarts=3)
        assert rel(res.value, exact) <= RTOL


def test_multichannel_strided_conv_is_consistent() -> None:
    # No closed form: check the result against its own matrix and the fully connected bound
    # with the same Frobenius norm of A.
    rng = np.random.default_rng(51)
    cov, lam = random_covariance(rng, 2 * 6)
    conv = nn.Conv1d(2, 3, 3, stride=2, padding=1, padding_mode="circular")
    res = numeric_mmi(conv, cov, budget=1.5, input_shape=(2, 6), restarts=3)
    assert res.matrix.shape == (3 * 3, 12)
    assert rel(linear_mi(res.matrix, cov), res.value) <= 1e-9
    frob = float((res.matrix**2).sum())
    assert res.value <= mmi(lam, res.matrix.shape[0], budget=frob) * (1 + 1e-9)


def test_circular_conv_mmi_curve_and_bits() -> None:
    p = power_spectrum([2.0, 0.5, 0.0, 0.5])
    curve = circular_conv_mmi(p, budget=[0.0, 1.0, 2.0])
    assert curve[0] == 0.0 and np.all(np.diff(curve) > 0)
    bits = circular_conv_mmi(p, budget=1.0, unit="bits")
    assert bits == pytest.approx(curve[1] / math.log(2), rel=1e-12)
    assert curve[1] == pytest.approx(mmi(p, 4, budget=4.0), rel=1e-12)


# ---------------------------------------------------------------------------------------------
# (d) chains with one sphere on all weights
# ---------------------------------------------------------------------------------------------
#
# With Σ_k ‖W_k‖²_F <= F (K layers), ‖W_K⋯W_1‖_F <= Π_k ‖W_k‖_F <= (F/K)^{K/2}
# (sub-multiplicativity, then AM-GM), so the chain is bounded by the one-layer closed form at
# budget (F/K)^K, attained by a balanced rank-one chain when (F/K)^K <= ρ_2 and strictly above
# the truth otherwise (equality ‖W2 W1‖_F = ‖W2‖_F ‖W1‖_F forces rank one). For K = 2 the exact
# value reduces to max ½ Σ_i log(1 + s_i² λ_i/σ²) over Σ_i s_i <= F/2 (nuclear norm =
# min ½(‖W1‖² + ‖W2‖²) over factorisations; singular directions aligned with Σ's), which for
# Ñ = 2 is a 1-D problem solved independently here.


def chain2_exact(lam: np.ndarray, budget: float, s2: float) -> float:
    """max_{t in [0, B]} ½ log(1 + t² λ1/σ²) + ½ log(1 + (B - t)² λ2/σ²), B = F/2."""
    b = budget / 2.0

    def neg(t: float) -> float:
        return -0.5 * (math.log1p(t * t * lam[0] / s2) + math.log1p((b - t) ** 2 * lam[1] / s2))

    grid = np.linspace(0.0, b, 4001)
    vals = np.array([neg(t) for t in grid])
    i = int(np.argmin(vals))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    best = minimize_scalar(neg, bounds=(lo, hi), method="bounded",
                           options={"xatol": 1e-13 * max(b, 1.0)})
    return -min(float(best.fun), float(vals[i]))


@pytest.mark.parametrize("case", range(4))
def test_two_layer_chain_one_sphere(case: int) -> None:
    rng = np.random.default_rng(60 + case)
    n0, a, b = 5, 2, 4  # Ñ = 2
    cov, lam = random_covariance(rng, n0)
    lam = np.sort(lam)[::-1]
    s2 = 1.0
    rho2 = breakpoints(lam, 2, s2)[1]
    # Budgets: (F/2)² below ρ_2 (bound exact), and well above (bound strict).
    budget = 2.0 * math.sqrt(rho2) * (0.6 if case % 2 == 0 else 3.0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(n0, a), nn.Identity(), nn.Linear(a, b))
    res = numeric_mmi(model, cov, budget=budget, restarts=4, seed=case)
    assert set(res.params) == {"1.weight", "3.weight"}
    total = sum(float((w**2).sum()) for w in res.params.values())
    assert total == pytest.approx(budget, rel=1e-10)
    exact = chain2_exact(lam, budget, s2)
    bound = mmi(lam, [a, b], budget=(budget / 2) ** 2, noise_var=s2)
    assert rel(res.value, exact) <= RTOL
    assert res.value <= bound * (1 + 1e-9)
    if (budget / 2) ** 2 <= rho2:
        assert rel(res.value, bound) <= RTOL
    else:
        assert res.value < bound * (1 - 1e-3)


def test_chain_can_exceed_theorem5_at_the_same_budget() -> None:
    # One sphere on the factors is not Theorem 5's constraint on the product: for F > 4 a
    # rank-one chain has ‖W2 W1‖² = (F/2)² > F.
    lam = np.array([10.0, 0.2])
    rho2 = breakpoints(lam, 2)[1]  # 2/0.2 - (0.1 + 5) = 4.9
    budget = 4.4  # (F/2)² = 4.84 <= ρ_2
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    res = numeric_mmi(model, lam, budget=budget, restarts=3)
    assert (budget / 2) ** 2 <= rho2
    assert rel(res.value, mmi(lam, 2, budget=(budget / 2) ** 2)) <= RTOL
    assert res.value > mmi(lam, 2, budget=budget) + 1e-3


def test_three_layer_chain_rank_one_regime() -> None:
    rng = np.random.default_rng(70)
    cov, lam = random_covariance(rng, 4)
    rho2 = breakpoints(lam, 2)[1]
    budget = 3.0 * (0.5 * rho2) ** (1 / 3)  # (F/3)³ = ρ_2/2
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 3), nn.Linear(3, 2))
    res = numeric_mmi(model, cov, budget=budget, restarts=4)
    assert rel(res.value, mmi(lam, 2, budget=(budget / 3) ** 3)) <= RTOL


# ---------------------------------------------------------------------------------------------
# Separate spheres: two branches reading the same input
# ---------------------------------------------------------------------------------------------
#
# Z = [W1; W2] X + η with ‖W1‖² <= F1, ‖W2‖² <= F2. The stacked map has ‖A‖² <= F1 + F2, so
# the value is <= mmi(λ, N1 + N2, F1 + F2), and <= mmi(λ, N1, F1) + mmi(λ, N2, F2) (noises
# independent given X). The first bound is attained iff the optimal AᵀA (water-filling
# eigenvalues λ̃ at width N1 + N2, budget F1 + F2) can be split by a rotation of A's rows into
# blocks of norms F1 and F2: iff F1 <= (sum of the N1 largest λ̃) and F2 <= (sum of the N2
# largest λ̃) (the block norm ranges continuously over [Σ smallest, Σ largest]).


def branches(n0: int, n1: int, n2: int, cov: np.ndarray, f1: float, f2: float,
             restarts: int = 3) -> NumericResult:
    return numeric_mmi_matrices({"w1": (n1, n0), "w2": (n2, n0)},
                                lambda t: torch.cat([t["w1"], t["w2"]]), cov,
                                budget={"w1": f1, "w2": f2}, restarts=restarts)


def test_two_branches_feasible_split_equals_one_wide_layer() -> None:
    rng = np.random.default_rng(80)
    cov, lam = random_covariance(rng, 6)
    n1, n2, f1, f2 = 2, 3, 1.5, 2.5
    alloc = np.sort(water_filling(lam, n1 + n2, f1 + f2).allocation)[::-1]
    assert f1 <= alloc[:n1].sum() and f2 <= alloc[:n2].sum()  # the split is feasible
    res = branches(6, n1, n2, cov, f1, f2)
    assert rel(res.value, mmi(lam, n1 + n2, budget=f1 + f2)) <= RTOL
    assert (res.params["w1"] ** 2).sum() == pytest.approx(f1, rel=1e-10)
    assert (res.params["w2"] ** 2).sum() == pytest.approx(f2, rel=1e-10)


def test_two_branches_infeasible_split_is_strictly_below() -> None:
    lam = np.array([1.0, 0.9, 0.8, 0.7])
    n1, n2, f1, f2 = 1, 3, 10.0, 0.1  # one row cannot hold 10 of the 10.1 spread over 4
    alloc = np.sort(water_filling(lam, n1 + n2, f1 + f2).allocation)[::-1]
    assert f1 > alloc[:n1].sum()
    res = branches(4, n1, n2, np.diag(lam), f1, f2)
    wide = mmi(lam, n1 + n2, budget=f1 + f2)
    split = mmi(lam, n1, budget=f1) + mmi(lam, n2, budget=f2)
    assert res.value <= min(wide, split) * (1 + 1e-9)
    assert res.value < wide * (1 - 1e-3)
    assert res.value >= max(mmi(lam, n1, budget=f1), mmi(lam, n2, budget=f2)) * (1 - 1e-9)


def test_sequence_budget_per_layer() -> None:
    # ‖W1‖² <= F1, ‖W2‖² <= F2: ‖W2 W1‖² <= F1 F2, exact in the rank-one regime.
    lam = np.array([3.0, 1.0, 0.5])
    model = nn.Sequential(nn.Linear(3, 2, bias=False), nn.Linear(2, 2))
    res = numeric_mmi(model, lam, budget=[0.3, 0.5], restarts=2)
    assert F1F2_rank_one(lam, 0.3 * 0.5)
    assert rel(res.value, mmi(lam, 2, budget=0.15)) <= RTOL


def F1F2_rank_one(lam: np.ndarray, f: float) -> bool:
    return f <= breakpoints(lam, 2)[1]


# ---------------------------------------------------------------------------------------------
# Edge cases, determinism, errors (e)
# ---------------------------------------------------------------------------------------------


def test_zero_budget_determinism_and_module_untouched() -> None:
    lin = nn.Linear(3, 2)
    before = {k: v.clone() for k, v in lin.state_dict().items()}
    zero = numeric_mmi(lin, [1.0, 2.0, 3.0], budget=0.0, restarts=2)
    assert zero.value == 0.0 and np.all(zero.matrix == 0) and zero.values.shape == (2,)
    r1 = numeric_mmi(lin, [1.0, 2.0, 3.0], budget=1.0, restarts=2, seed=4)
    r2 = numeric_mmi(lin, [1.0, 2.0, 3.0], budget=1.0, restarts=2, seed=4)
    np.testing.assert_array_equal(r1.values, r2.values)
    np.testing.assert_array_equal(r1.matrix, r2.matrix)
    for k, v in lin.state_dict().items():
        assert torch.equal(v, before[k])
    # One zero budget among separate spheres holds that tensor at zero.
    res = branches(3, 1, 1, np.diag([3.0, 2.0, 1.0]), 1.0, 0.0, restarts=1)
    assert np.all(res.params["w2"] == 0)
    assert rel(res.value, mmi([3.0, 2.0, 1.0], 1, budget=1.0)) <= RTOL


def test_module_matrix_of_linear_and_conv() -> None:
    lin = nn.Linear(3, 2)
    np.testing.assert_allclose(module_matrix(lin), lin.weight.detach().double().numpy())
    conv = nn.Conv1d(1, 1, 3, padding=1, padding_mode="circular")
    x = torch.randn(1, 1, 5, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        y = (conv(x) - conv.bias).reshape(-1).double().numpy()
    np.testing.assert_allclose(module_matrix(conv, (1, 5)) @ x.reshape(-1).double().numpy(),
                               y, rtol=1e-5, atol=1e-6)


def test_errors() -> None:
    lin = nn.Linear(3, 2)
    conv = nn.Conv1d(1, 1, 3, padding=1, padding_mode="circular")
    cov3 = np.eye(3)
    with pytest.raises(ValueError, match=r"`input_shape` must be given.*Conv1d"):
        numeric_mmi(conv, np.eye(5), budget=1.0)
    with pytest.raises(ValueError, match=r"`input_shape` must fit the module"):
        numeric_mmi(conv, np.eye(6), budget=1.0, input_shape=(2, 3))
    with pytest.raises(ValueError, match=r"`covariance` must be a 5 × 5 .*N0 = 5"):
        numeric_mmi(conv, np.eye(4), budget=1.0, input_shape=(1, 5))
    with pytest.raises(ValueError, match=r"`covariance` must be a square"):
        numeric_mmi(lin, np.ones((3, 2)), budget=1.0)
    with pytest.raises(ValueError, match=r"`covariance` must be a symmetric"):
        numeric_mmi(lin, np.triu(np.ones((3, 3))), budget=1.0)
    with pytest.raises(ValueError, match=r"`covariance` must be positive semi-definite"):
        numeric_mmi(lin, np.diag([1.0, -1.0, 1.0]), budget=1.0)
    with pytest.raises(ValueError, match=r"`covariance` must be finite"):
        numeric_mmi(lin, [1.0, np.nan, 1.0], budget=1.0)
    with pytest.raises(ValueError, match=r"`budget` must be >= 0"):
        numeric_mmi(lin, cov3, budget=-1.0)
    with pytest.raises(ValueError, match=r"`budget` must be a finite"):
        numeric_mmi(lin, cov3, budget=math.inf)
    with pytest.raises(ValueError, match=r"`budget` must be a float or a sequence of 1"):
        numeric_mmi(lin, cov3, budget=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"`budget` must be a float or a mapping"):
        numeric_mmi(lin, cov3, budget={"bias": 1.0})
    with pytest.raises(ValueError, match=r"`noise_var` must be > 0"):
        numeric_mmi(lin, cov3, budget=1.0, noise_var=0.0)
    with pytest.raises(ValueError, match=r"`restarts` must be an integer >= 1"):
        numeric_mmi(lin, cov3, budget=1.0, restarts=0)
    with pytest.raises(TypeError, match=r"nn\.Linear, nn\.Conv1d, nn\.Conv2d.*got ReLU"):
        numeric_mmi(nn.Sequential(nn.Linear(3, 3), nn.ReLU()), cov3, budget=1.0)
    with pytest.raises(TypeError, match=r"`module` must be a torch.nn.Module"):
        numeric_mmi(np.eye(3), cov3, budget=1.0)
    with pytest.raises(ValueError, match=r"at least one weight"):
        numeric_mmi(nn.Sequential(nn.Identity()), cov3, budget=1.0, input_shape=(3,))
    with pytest.raises(ValueError, match=r"`build` must return a 2-D tensor with N0 = 3"):
        numeric_mmi_matrices({"w": (2, 4)}, lambda t: t["w"], cov3, budget=1.0)
    with pytest.raises(ValueError, match=r"`autocov` must be circularly symmetric"):
        power_spectrum([1.0, 0.5, 0.1, 0.2])
    with pytest.raises(ValueError, match=r"`autocov` must be a valid autocovariance"):
        power_spectrum([1.0, 2.0, 2.0])  # spectrum [5, -1, -1]
    with pytest.raises(ValueError, match=r"`power_spectrum` must be non-negative"):
        circular_conv_mmi([1.0, -1.0, 1.0], budget=1.0)
    with pytest.raises(ValueError, match=r"`budget` must be >= 0"):
        circular_conv_mmi([1.0, 1.0], budget=-0.5)
