"""Gaussian-fit MI: exact for Gaussians, what it bounds otherwise, shrinkage, errors."""

from __future__ import annotations

import doctest
import itertools
import math
import warnings

import numpy as np
import pytest
from sklearn.covariance import LedoitWolf, ShrunkCovariance

from infoplane.estimators import gaussian as gaussian_module
from infoplane.estimators.gaussian import Gaussian
from infoplane.samplers import gaussian_mixture_mi, gaussian_pair, uniform_noise_channel_mi


def mi_from_cov(cov: np.ndarray, dx: int) -> float:
    """½ (log det Σ_x + log det Σ_y − log det Σ) by slogdet (the textbook formula)."""
    ld = lambda m: np.linalg.slogdet(m)[1]  # noqa: E731
    return 0.5 * float(ld(cov[:dx, :dx]) + ld(cov[dx:, dx:]) - ld(cov))


def standardise(z: np.ndarray) -> np.ndarray:
    z = z - z.mean(axis=0)
    return z / z.std(axis=0)


# ---------------------------------------------------------------- exact for Gaussians

@pytest.mark.parametrize("d", [1, 2, 3, 5, 10])
@pytest.mark.parametrize("rho", [0.3, 0.9])
def test_gaussian_pairs_within_sampling_error(d: int, rho: float) -> None:
    n = 20_000
    x, y, truth = gaussian_pair(n, d, rho, seed=d)
    # Per coordinate, −½ log(1 − r²) has asymptotic sd ρ/√n (delta method); the d² − d
    # spurious cross-correlations add a bias ≈ (d² − d)/(2n) (Wilks). 5 sd + bias.
    tol = 5 * math.sqrt(d) * rho / math.sqrt(n) + d * d / (2 * n)
    assert Gaussian().estimate(x, y) == pytest.approx(truth, abs=tol)


def test_exact_on_a_sample_with_the_prescribed_covariance() -> None:
    rng = np.random.default_rng(0)
    p, dx, n = 7, 3, 500
    a = rng.standard_normal((p, p))
    cov = a @ a.T + 0.1 * np.eye(p)
    z = rng.standard_normal((n, p))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(z.T @ z / n)).T  # sample covariance exactly I
    z = z @ np.linalg.cholesky(cov).T + 5.0                    # ... and now exactly cov
    est = Gaussian().estimate(z[:, :dx], z[:, dx:])
    assert est == pytest.approx(mi_from_cov(cov, dx), abs=1e-10)


def test_independent_gaussians_bias_matches_wilks() -> None:
    # 2n Î → χ²(d_x d_y) under independence: mean d_x d_y / (2n).
    rng = np.random.default_rng(1)
    n, dx, dy = 400, 2, 3
    vals = [Gaussian().estimate(rng.standard_normal((n, dx)), rng.standard_normal((n, dy)))
            for _ in range(200)]
    # sd of the mean of 200 values of χ²(6)/(2n): sqrt(12)/(2n)/sqrt(200)
    assert np.mean(vals) == pytest.approx(dx * dy / (2 * n), abs=4 * math.sqrt(12) / (2 * n)
                                          / math.sqrt(200) + 1e-3)
    assert min(vals) >= 0.0


def test_symmetric_and_order_invariant() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((300, 4))
    y = x[:, :2] @ rng.standard_normal((2, 3)) + rng.standard_normal((300, 3))
    est = Gaussian()
    a = est.estimate(x, y)
    assert est.estimate(y, x) == pytest.approx(a, abs=1e-12)
    perm = rng.permutation(300)
    assert est.estimate(x[perm], y[perm]) == pytest.approx(a, abs=1e-12)
    x2 = x[:, :3]  # same number of columns on both sides
    assert est.estimate(y, x2) == pytest.approx(est.estimate(x2, y), abs=1e-12)


def test_invariant_to_invertible_affine_maps() -> None:
    rng = np.random.default_rng(3)
    x, y, _ = gaussian_pair(500, 3, 0.5, seed=3)
    a = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    ref = Gaussian().estimate(x, y)
    assert Gaussian().estimate(x @ a + 7.0, 1e-3 * y - 2.0) == pytest.approx(ref, abs=1e-10)
    # With shrinkage (on standardised columns), per-feature units still do not matter.
    scale = np.array([1e-4, 1.0, 1e4])
    for s in ("ledoit_wolf", 0.2):
        est = Gaussian(shrinkage=s)
        assert est.estimate(x * scale, y) == pytest.approx(est.estimate(x, y), abs=1e-10)


def test_units() -> None:
    x, y, _ = gaussian_pair(200, 2, 0.7)
    assert Gaussian(unit="bits").estimate(x, y) == \
        pytest.approx(Gaussian().estimate(x, y) / math.log(2), rel=1e-14)


# --------------------------------------------------------------------------- shrinkage

def test_ledoit_wolf_matches_scikit_learn() -> None:
    x, y, _ = gaussian_pair(60, 8, 0.6, seed=4)
    z = standardise(np.hstack([x, y]))
    ref = mi_from_cov(LedoitWolf().fit(z).covariance_, 8)
    assert Gaussian(shrinkage="ledoit_wolf").estimate(x, y) == pytest.approx(ref, abs=1e-10)


@pytest.mark.parametrize("alpha", [0.0, 0.1, 0.5, 1.0])
def test_fixed_shrinkage_matches_scikit_learn(alpha: float) -> None:
    x, y, _ = gaussian_pair(100, 3, 0.8, seed=5)
    z = standardise(np.hstack([x, y]))
    ref = mi_from_cov(ShrunkCovariance(shrinkage=alpha).fit(z).covariance_, 3)
    assert Gaussian(shrinkage=alpha).estimate(x, y) == pytest.approx(ref, abs=1e-10)


def test_shrinkage_pulls_towards_zero_and_allows_few_samples() -> None:
    x, y, _ = gaussian_pair(2000, 4, 0.6, seed=6)
    vals = [Gaussian(shrinkage=a).estimate(x, y) for a in (0.0, 0.2, 0.6, 1.0)]
    assert all(a > b for a, b in itertools.pairwise(vals))
    assert vals[-1] == pytest.approx(0.0, abs=1e-12)
    with pytest.warns(UserWarning, match="Only 6 samples for 8 joint dimensions") as rec:
        v = Gaussian(shrinkage="ledoit_wolf").estimate(x[:6], y[:6])
    assert rec[0].filename == __file__
    assert np.isfinite(v) and v >= 0.0


def test_constant_column_is_legal_with_shrinkage() -> None:
    x, y, _ = gaussian_pair(300, 2, 0.6, seed=7)
    xc = np.c_[x, np.full(300, 4.2)]
    v = Gaussian(shrinkage="ledoit_wolf").estimate(xc, y)
    assert np.isfinite(v) and v > 0.1
    assert Gaussian(shrinkage=0.3).estimate(np.full((50, 2), 1.0), np.ones(50)) == 0.0


# ------------------------------------------------- what it bounds, and what it does not

def test_not_an_upper_bound_uncorrelated_but_dependent() -> None:
    # Y uniform on {0, 1, 2}, X | Y ~ N(m_Y, 1) with m = (0, 3, 0): Cov(X, Y) = 0 exactly, so
    # the Gaussian fit sees nothing, while I(X;Y) ≈ 0.48 nats (quadrature).
    truth = gaussian_mixture_mi([0.0, 3.0, 0.0])
    rng = np.random.default_rng(8)
    n = 20_000
    y = rng.integers(0, 3, n)
    x = np.array([0.0, 3.0, 0.0])[y] + rng.standard_normal(n)
    est = Gaussian().estimate(x, y.astype(float))
    assert truth > 0.45
    assert est < 10 / (2 * n)  # 2n Î ~ χ²(1) when the correlation is 0: far below 10
    assert est < truth


def test_not_a_lower_bound_rare_joint_shift() -> None:
    # With probability ε both coordinates are shifted by M, otherwise X, Y independent N(0,1):
    # I(X;Y) ≤ H(shift) = h_b(ε), but the correlation ε(1−ε)M²/(1+ε(1−ε)M²) ≈ 0.95.
    eps, m, n = 0.05, 20.0, 20_000
    rng = np.random.default_rng(9)
    shift = m * (rng.random(n) < eps)
    x = shift + rng.standard_normal(n)
    y = shift + rng.standard_normal(n)
    h_b = -(eps * math.log(eps) + (1 - eps) * math.log(1 - eps))
    rho = eps * (1 - eps) * m**2 / (1 + eps * (1 - eps) * m**2)
    est = Gaussian().estimate(x, y)
    assert est == pytest.approx(-0.5 * math.log(1 - rho**2), abs=0.05)
    assert est > 4 * h_b


@pytest.mark.parametrize("b", [0.5, 1.0, 2.0])
def test_lower_bound_when_one_side_is_gaussian(b: float) -> None:
    # X ~ N(0,1), Y = X + U with U uniform on [−b, b]: I_G = ½ log(1 + 3/b²) ≤ I(X;Y).
    i_gauss = 0.5 * math.log1p(3 / b**2)
    truth = uniform_noise_channel_mi(b)
    assert i_gauss < truth
    rng = np.random.default_rng(10)
    n = 20_000
    x = rng.standard_normal(n)
    y = x + rng.uniform(-b, b, n)
    est = Gaussian().estimate(x, y)
    rho = math.sqrt(1 / (1 + b**2 / 3))
    assert est == pytest.approx(i_gauss, abs=5 * rho / math.sqrt(n) + 1 / n)
    assert est < truth


def test_upper_bound_for_shared_covariance_class_conditionals() -> None:
    # T | Y ~ N(μ_Y, 1), two balanced classes: I_G(T; 1{Y=1}) = ½ log(Var T) ≥ I(T;Y), and
    # with far-apart means it exceeds H(Y) = log 2.
    rng = np.random.default_rng(11)
    n = 20_000
    for gap in (2.0, 10.0):
        truth = gaussian_mixture_mi([0.0, gap])
        y = rng.integers(0, 2, n)
        t = gap * y + rng.standard_normal(n)
        i_gauss = 0.5 * math.log1p(gap**2 / 4)
        est = Gaussian().estimate(t, y.astype(float))
        assert truth <= i_gauss
        assert est == pytest.approx(i_gauss, abs=0.03)
    assert est > math.log(2)


# ------------------------------------------------------------------------------- errors

def test_constant_column_error_suggests_shrinkage() -> None:
    x, y, _ = gaussian_pair(100, 3, 0.5)
    x = x.copy()
    x[:, 1] = 2.0
    with pytest.raises(ValueError, match=r"`x` must have no constant columns .*\[1\].*"
                                         r"shrinkage='ledoit_wolf'"):
        Gaussian().estimate(x, y)
    with pytest.raises(ValueError, match=r"`y` must have no constant columns .*\[0\]"):
        Gaussian().estimate(y, np.ones(100))
    with pytest.raises(ValueError, match=r"`x` must have no constant columns"):
        Gaussian(shrinkage=0.0).estimate(x, y)


def test_linear_dependence_error() -> None:
    x, y, _ = gaussian_pair(100, 2, 0.5)
    with pytest.raises(ValueError, match=r"`y` must not be a linear function .* infinite"):
        Gaussian().estimate(x, 2.0 * x[:, 0] - x[:, 1])
    with pytest.raises(ValueError, match=r"column 2 of `x`.*\[x, y\]"):
        Gaussian().estimate(np.c_[x, x[:, 0] + x[:, 1]], y)
    # Shrinkage makes it finite.
    assert np.isfinite(Gaussian(shrinkage="ledoit_wolf").estimate(x, 2.0 * x[:, 0] - x[:, 1]))


def test_too_few_samples() -> None:
    x, y, _ = gaussian_pair(6, 3, 0.5)
    with pytest.raises(ValueError, match=r"more samples than joint dimensions \(n > d_x \+ "
                                         r"d_y = 6\).*got n = 6"):
        Gaussian().estimate(x, y)
    with pytest.raises(ValueError, match=r"at least 2 samples"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Gaussian(shrinkage="ledoit_wolf").estimate(x[:1], y[:1])


@pytest.mark.parametrize("bad", ["oas", -0.1, 1.5, float("nan")])
def test_bad_shrinkage(bad: object) -> None:
    with pytest.raises(ValueError, match=r"`shrinkage` must be"):
        Gaussian(shrinkage=bad)  # type: ignore[arg-type]


def test_input_errors() -> None:
    with pytest.raises(ValueError, match=r"`y` must have the same number of samples"):
        Gaussian().estimate(np.zeros((5, 1)), np.zeros(4))
    with pytest.raises(ValueError, match=r"`x` must be finite"):
        Gaussian().estimate(np.array([0.0, np.inf, 1.0]), np.zeros(3))


def test_plane_is_not_defined() -> None:
    assert not Gaussian.y_discrete
    with pytest.raises(NotImplementedError, match=r"information-plane pair.*KDE"):
        Gaussian().plane(np.random.default_rng(0).standard_normal((20, 2)), np.arange(20) % 2)


def test_doctests() -> None:
    result = doctest.testmod(gaussian_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
