"""Conditional mutual information I(X;Y|Z): KSG (Frenzel & Pompe 2007) and the Gaussian fit.

References and tolerances.

* KSG-CMI is checked exactly (1e-9) against a brute-force O(N²) transcription of Frenzel &
  Pompe's formula written here (no trees, no sorting), on the same preprocessed arrays: with
  ``jitter=0`` on tie-free data and on heavily tied integer data (tie handling), and with the
  default jitter reproduced from its documented recipe (standardised columns plus
  ``jitter · N(0, 1)`` from ``default_rng([seed, stream])``, streams 0, 1, 2 for x, y, z).
* Statistical truths are exact Gaussian CMIs from the population covariance (slogdet of the
  four blocks, written here independently of the Cholesky/Schur code under test).
  Gaussian fit: the delta method gives sd ≈ |ρ_{xy·z}| / √n for scalar x, y (ρ the partial
  correlation; 0.0067 measured for the collider at n = 5000 over 300 seeds against 0.0071),
  and under X ⊥ Y | Z, 2n·Î → χ²(d_x d_y). KSG (k = 3) in a 3-D joint at n = 5000: bias
  below 0.005 nats and sd 0.009–0.013 nats, measured over 30 seeds per case (chain 0.0088,
  collider 0.0118, general 0.0110; ``benchmarks/cmi_errors.py`` prints the 10-seed table).
  The KSG checks average 4 independent samples (sd of the mean ≤ 0.0065) and allow
  4 × 0.0065 + 0.005 ≈ 0.03 nats.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.special import digamma
from sklearn.covariance import LedoitWolf

from infoplane.estimators import KDE, KSG, Gaussian, MixedKSG

# Population covariances of [x, y, z] (one column each).
#: X ~ N(0,1), Z = X + N(0,1), Y = Z + N(0,1): I(X;Y|Z) = 0, I(X;Y) = −½ log(2/3).
CHAIN = np.array([[1.0, 1.0, 1.0], [1.0, 3.0, 2.0], [1.0, 2.0, 2.0]])
#: X, Y ~ N(0,1) independent, Z = X + Y + N(0,1): I(X;Y) = 0, ρ_{xy·z} = −1/2.
COLLIDER = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 3.0]])
CHAIN_MI = -0.5 * math.log(2.0 / 3.0)
COLLIDER_CMI = -0.5 * math.log(0.75)


def random_correlation(p: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).standard_normal((p, p))
    c = a @ a.T + 0.5 * np.eye(p)
    s = np.sqrt(np.diag(c))
    return np.asarray(c / np.outer(s, s))


GENERAL = random_correlation(3, 3)


def cmi_from_cov(cov: np.ndarray, dx: int, dy: int) -> float:
    """½ log(det Σ_xz det Σ_yz / (det Σ_z det Σ_xyz)) by slogdet (the textbook formula)."""
    p = cov.shape[0]
    ix, iy, iz = np.arange(dx), np.arange(dx, dx + dy), np.arange(dx + dy, p)

    def ld(idx: np.ndarray) -> float:
        return float(np.linalg.slogdet(cov[np.ix_(idx, idx)])[1])

    return 0.5 * (ld(np.r_[ix, iz]) + ld(np.r_[iy, iz]) - ld(iz) - ld(np.arange(p)))


def partial_correlation(cov: np.ndarray) -> float:
    """ρ_{xy·z} of a 3×3 covariance from its precision matrix: −P_xy / √(P_xx P_yy)."""
    prec = np.linalg.inv(cov)
    return float(-prec[0, 1] / math.sqrt(prec[0, 0] * prec[1, 1]))


def sample(cov: np.ndarray, n: int, seed: int, dx: int = 1,
           dy: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    w = np.random.default_rng(seed).standard_normal((n, cov.shape[0])) @ np.linalg.cholesky(cov).T
    return w[:, :dx], w[:, dx:dx + dy], w[:, dx + dy:]


# ------------------------------------------------------------ brute-force Frenzel–Pompe

def _maxnorm(a: np.ndarray) -> np.ndarray:
    """Pairwise max-norm distances, a row to itself at +inf."""
    d = np.abs(a[:, None, :] - a[None, :, :]).max(axis=-1)
    np.fill_diagonal(d, np.inf)
    return d


def frenzel_pompe_brute_force(x: np.ndarray, y: np.ndarray, z: np.ndarray, k: int) -> float:
    """Frenzel & Pompe (2007), literally: ε_i = k-th smallest joint max-norm distance,
    n_·(i) = #{j ≠ i : subspace distance < ε_i}, I = ψ(k) − ⟨ψ(n_xz+1) + ψ(n_yz+1) − ψ(n_z+1)⟩.
    On the arrays as given (no scaling, no jitter)."""
    dx, dy, dz = _maxnorm(x), _maxnorm(y), _maxnorm(z)
    eps = np.sort(np.maximum(np.maximum(dx, dy), dz), axis=1)[:, k - 1][:, None]
    n_xz = (np.maximum(dx, dz) < eps).sum(axis=1)
    n_yz = (np.maximum(dy, dz) < eps).sum(axis=1)
    n_z = (dz < eps).sum(axis=1)
    return float(digamma(k) - np.mean(digamma(n_xz + 1) + digamma(n_yz + 1)
                                      - digamma(n_z + 1)))


def preprocess(a: np.ndarray, jitter: float, seed: int, stream: int) -> np.ndarray:
    """KSG's documented preprocessing: centred, unit-variance columns plus jitter · N(0, 1)."""
    out = (a - a.mean(axis=0)) / a.std(axis=0)
    if jitter > 0:
        out = out + jitter * np.random.default_rng([seed, stream]).standard_normal(a.shape)
    return out


def reference(x: np.ndarray, y: np.ndarray, z: np.ndarray, k: int, *, jitter: float = 0.0,
              seed: int = 0) -> float:
    """The brute force on x, y, z preprocessed as KSG documents it (streams 0, 1, 2)."""
    return frenzel_pompe_brute_force(preprocess(x, jitter, seed, 0),
                                     preprocess(y, jitter, seed, 1),
                                     preprocess(z, jitter, seed, 2), k)


def correlated(n: int, dims: tuple[int, int, int], seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    p = sum(dims)
    w = rng.standard_normal((n, p)) @ rng.standard_normal((p, p))
    return np.split(w, np.cumsum(dims)[:-1], axis=1)


# (n, (d_x, d_y, d_z), k): every path is hit — sorted 1-D z, the compiled count kernel from
# 2 dimensions, the k-d tree joint k-NN up to 7 joint dimensions and the kernel above
# (joint 8, 15 and 30 dimensions).
BRUTE_CASES = [
    (200, (1, 1, 1), 3),
    (150, (2, 1, 1), 1),
    (150, (1, 2, 3), 5),
    (120, (3, 3, 2), 2),
    (100, (1, 1, 5), 4),
    (150, (5, 5, 5), 3),
    (310, (10, 10, 10), 2),
]


@pytest.mark.parametrize(("n", "dims", "k"), BRUTE_CASES)
def test_ksg_cmi_equals_brute_force_without_jitter(n: int, dims: tuple[int, int, int],
                                                    k: int) -> None:
    x, y, z = correlated(n, dims, seed=n + k)
    ref = reference(x, y, z, k)
    assert KSG(k=k, jitter=0.0).estimate_conditional(x, y, z) == pytest.approx(ref, abs=1e-9)


@pytest.mark.parametrize(("n", "dims", "k"), BRUTE_CASES[:3] + BRUTE_CASES[5:])
def test_ksg_cmi_equals_brute_force_on_tied_data(n: int, dims: tuple[int, int, int],
                                                 k: int) -> None:
    # Integer data with many exact ties (zero radii included): the counts must follow the
    # strict inequality literally, as the brute force does.
    rng = np.random.default_rng(k)
    x, y, z = (rng.integers(0, 3, (n, d)).astype(float) for d in dims)
    y[:, 0] += x[:, 0]
    ref = reference(x, y, z, k)
    assert ref != pytest.approx(0.0, abs=1e-3)   # a case where the counts matter
    assert KSG(k=k, jitter=0.0).estimate_conditional(x, y, z) == pytest.approx(ref, abs=1e-9)


@pytest.mark.parametrize("seed", [0, 7])
def test_ksg_cmi_equals_brute_force_with_default_jitter(seed: int) -> None:
    # On tied data the jitter decides every count, so this pins the preprocessing recipe.
    rng = np.random.default_rng(seed)
    x, y, z = (rng.integers(0, 4, (150, d)).astype(float) for d in (1, 2, 1))
    est = KSG(k=3, seed=seed)
    ref = reference(x, y, z, 3, jitter=est.jitter, seed=seed)
    assert est.estimate_conditional(x, y, z) == pytest.approx(ref, abs=1e-9)


# ------------------------------------------------------------------ Gaussian: closed form

def exact_sample(cov: np.ndarray, n: int, seed: int) -> np.ndarray:
    """A sample whose (biased) sample covariance is exactly ``cov`` (up to round-off)."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((n, cov.shape[0]))
    w -= w.mean(axis=0)
    w = w @ np.linalg.inv(np.linalg.cholesky(w.T @ w / n)).T
    return w @ np.linalg.cholesky(cov).T + 3.0


@pytest.mark.parametrize(("dx", "dy", "dz"), [(1, 1, 1), (2, 1, 3), (1, 3, 2), (2, 2, 2)])
def test_gaussian_cmi_exact_on_a_sample_with_the_prescribed_covariance(dx: int, dy: int,
                                                                       dz: int) -> None:
    p = dx + dy + dz
    scales = np.linspace(0.5, 4.0, p)
    cov = random_correlation(p, seed=p + dx) * np.outer(scales, scales)  # unequal scales
    w = exact_sample(cov, 400, seed=dz)
    x, y, z = w[:, :dx], w[:, dx:dx + dy], w[:, dx + dy:]
    truth = cmi_from_cov(cov, dx, dy)
    assert Gaussian().estimate_conditional(x, y, z) == pytest.approx(truth, abs=1e-10)
    # chain rule I(X;Y|Z) = I(X;(Y,Z)) − I(X;Z), by the (separately tested) Gaussian MI
    chain_rule = Gaussian().estimate(x, np.c_[y, z]) - Gaussian().estimate(x, z)
    assert Gaussian().estimate_conditional(x, y, z) == pytest.approx(chain_rule, abs=1e-10)


def test_gaussian_cmi_scalar_is_the_partial_correlation_formula() -> None:
    cov = GENERAL
    w = exact_sample(cov, 300, seed=1)
    rho = partial_correlation(cov)
    est = Gaussian().estimate_conditional(w[:, 0], w[:, 1], w[:, 2])
    assert est == pytest.approx(-0.5 * math.log1p(-rho**2), abs=1e-10)


def test_truth_helpers_agree() -> None:
    # The population truths used below, by two formulas.
    assert cmi_from_cov(CHAIN, 1, 1) == pytest.approx(0.0, abs=1e-14)
    assert partial_correlation(COLLIDER) == pytest.approx(-0.5, abs=1e-14)
    assert cmi_from_cov(COLLIDER, 1, 1) == pytest.approx(COLLIDER_CMI, abs=1e-14)
    rho = partial_correlation(GENERAL)
    assert cmi_from_cov(GENERAL, 1, 1) == pytest.approx(-0.5 * math.log1p(-rho**2), abs=1e-14)


# -------------------------------------------------------- Gaussian: sampling statistics

N = 5000


def test_gaussian_chain_is_conditionally_independent() -> None:
    x, y, z = sample(CHAIN, N, seed=0)
    # under X ⊥ Y | Z, 2n Î ~ χ²(1): below 10.83 / (2n) with probability 0.999
    assert 0.0 <= Gaussian().estimate_conditional(x, y, z) < 10.83 / (2 * N)
    assert Gaussian().estimate(x, y) == pytest.approx(CHAIN_MI, abs=4 * 0.42 / math.sqrt(N))


def test_gaussian_collider_creates_conditional_dependence() -> None:
    x, y, z = sample(COLLIDER, N, seed=1)
    assert Gaussian().estimate(x, y) < 10.83 / (2 * N)
    assert Gaussian().estimate_conditional(x, y, z) == pytest.approx(
        COLLIDER_CMI, abs=4 * 0.5 / math.sqrt(N))


def test_gaussian_general_covariance() -> None:
    x, y, z = sample(GENERAL, N, seed=2)
    rho = partial_correlation(GENERAL)
    assert Gaussian().estimate_conditional(x, y, z) == pytest.approx(
        cmi_from_cov(GENERAL, 1, 1), abs=4 * abs(rho) / math.sqrt(N) + 1 / (2 * N))


def test_gaussian_multivariate_general_covariance() -> None:
    # d_x = 2, d_y = 3, d_z = 2; sd ≈ √(Σ ρ_k²)/√n over the partial canonical correlations.
    cov = random_correlation(7, seed=11)
    x, y, z = sample(cov, N, seed=3, dx=2, dy=3)
    truth = cmi_from_cov(cov, 2, 3)
    s = cov[np.ix_([0, 1, 2, 3, 4], [0, 1, 2, 3, 4])] - cov[:5, 5:] @ np.linalg.solve(
        cov[5:, 5:], cov[5:, :5])                          # Σ_{xy|z}
    sx, sy, sxy = s[:2, :2], s[2:, 2:], s[:2, 2:]
    rho2 = np.linalg.eigvals(np.linalg.solve(sx, sxy) @ np.linalg.solve(sy, sxy.T)).real
    assert -0.5 * np.sum(np.log1p(-rho2)) == pytest.approx(truth, abs=1e-12)
    sd = math.sqrt(float(np.sum(rho2)) / N)
    assert Gaussian().estimate_conditional(x, y, z) == pytest.approx(truth,
                                                                     abs=4 * sd + 6 / (2 * N))


def test_gaussian_conditional_independence_bias_is_wilks() -> None:
    # X = A Z + noise, Y = B Z + noise: dependent, but X ⊥ Y | Z. 2n Î → χ²(d_x d_y); with
    # Bartlett's correction E Î ≈ d_x d_y / (2 (n − d_z − (d_x + d_y + 3) / 2)).
    rng = np.random.default_rng(4)
    n, dx, dy, dz = 400, 2, 2, 3
    a, b = rng.standard_normal((2, dz, 2))
    vals = []
    for _ in range(200):
        z = rng.standard_normal((n, dz))
        x = z @ a + rng.standard_normal((n, dx))
        y = z @ b + rng.standard_normal((n, dy))
        vals.append(Gaussian().estimate_conditional(x, y, z))
    expected = dx * dy / (2 * (n - dz - (dx + dy + 3) / 2))
    sd_mean = math.sqrt(2 * dx * dy) / (2 * n) / math.sqrt(200)
    assert np.mean(vals) == pytest.approx(expected, abs=4 * sd_mean)
    assert Gaussian().estimate(x, y) > 0.2  # they are dependent without Z


def test_gaussian_shrinkage_is_applied_to_the_joint_sample() -> None:
    x, y, z = sample(GENERAL, 60, seed=5)
    w = np.c_[x, y, z]
    ws = (w - w.mean(axis=0)) / w.std(axis=0)
    r = ws.T @ ws / len(ws)
    for alpha in (0.3, 1.0):
        shrunk = (1 - alpha) * r + alpha * np.eye(3)
        assert Gaussian(shrinkage=alpha).estimate_conditional(x, y, z) == pytest.approx(
            cmi_from_cov(shrunk, 1, 1), abs=1e-12)
    lw = LedoitWolf(assume_centered=True).fit(ws).covariance_
    assert Gaussian(shrinkage="ledoit_wolf").estimate_conditional(x, y, z) == pytest.approx(
        cmi_from_cov(lw, 1, 1), abs=1e-10)
    # shrinkage makes a constant z legal: it then carries no information
    const = np.full(60, 2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        val = Gaussian(shrinkage=0.5).estimate_conditional(x, y, const)
    r2 = 0.5 * r[:2, :2] + 0.5 * (2 / 3) * np.eye(2)    # μ = tr/p = 2/3 with the zeroed column
    assert val == pytest.approx(-0.5 * math.log1p(-(r2[0, 1] ** 2) / (r2[0, 0] * r2[1, 1])),
                                abs=1e-12)


# --------------------------------------------------------------- KSG against the truths

def ksg_mean(cov: np.ndarray, seeds: range, dx: int = 1, dy: int = 1) -> float:
    return float(np.mean([KSG(k=3).estimate_conditional(*sample(cov, N, s, dx, dy))
                          for s in seeds]))


def test_ksg_chain_is_conditionally_independent() -> None:
    assert ksg_mean(CHAIN, range(10, 14)) == pytest.approx(0.0, abs=0.03)
    x, y, _ = sample(CHAIN, N, seed=10)
    assert KSG().estimate(x, y) == pytest.approx(CHAIN_MI, abs=0.05)  # 4 sd of KSG here


def test_ksg_collider_creates_conditional_dependence() -> None:
    assert ksg_mean(COLLIDER, range(20, 24)) == pytest.approx(COLLIDER_CMI, abs=0.03)


def test_ksg_general_covariance() -> None:
    assert ksg_mean(GENERAL, range(30, 34)) == pytest.approx(cmi_from_cov(GENERAL, 1, 1),
                                                            abs=0.03)


def test_ksg_underestimates_in_higher_dimensions() -> None:
    # d_x = d_y = d_z = 2 (6-D joint, CMI 0.55): at n = 2000 the error is −0.066 ± 0.0195
    # nats (24 seeds), the usual k-NN underestimate of strong dependence in higher dimension
    # (cf. KSG's docstring). The mean of 4 seeds (sd 0.0098) must lie within 4 sd of that,
    # a band that excludes 0, so an unbiased (or overestimating) estimate fails.
    cov = random_correlation(6, seed=6)
    truth = cmi_from_cov(cov, 2, 2)
    err = np.mean([KSG(k=3).estimate_conditional(*sample(cov, 2000, s, dx=2, dy=2)) - truth
                   for s in range(100, 104)])
    assert -0.066 - 4 * 0.0098 < err < -0.066 + 4 * 0.0098 < 0.0


# --------------------------------------------------------------------------- properties

@pytest.mark.parametrize("est", [Gaussian(), KSG(k=3)], ids=["Gaussian", "KSG"])
def test_independent_z_leaves_the_mi(est: Gaussian | KSG) -> None:
    # Z ⊥ (X, Y): I(X;Y|Z) = I(X;Y) = −½ log(1 − 0.36). KSG: +0.004 ± 0.013 (1-D z, 30 seeds).
    rng = np.random.default_rng(6)
    x = rng.standard_normal(N)
    y = 0.6 * x + 0.8 * rng.standard_normal(N)
    z = rng.standard_normal(N)
    truth = -0.5 * math.log(0.64)
    tol = 4 * 0.6 / math.sqrt(N) if isinstance(est, Gaussian) else 4 * 0.013 + 0.005
    assert est.estimate_conditional(x, y, z) == pytest.approx(truth, abs=tol)
    if isinstance(est, Gaussian):  # same sample: differ only by the d_z/(2n)-size noise
        assert est.estimate_conditional(x, y, z) == pytest.approx(est.estimate(x, y),
                                                                  abs=4 / N)


def test_symmetry_in_x_and_y() -> None:
    x, y, z = correlated(500, (2, 1, 2), seed=8)
    # without jitter the KSG counts are those of the mirrored subspaces: exactly equal
    ksg = KSG(jitter=0.0)
    assert ksg.estimate_conditional(x, y, z) == ksg.estimate_conditional(y, x, z)
    # with jitter, x and y draw different noise: equal up to the jitter's effect on counts
    assert KSG().estimate_conditional(x, y, z) == pytest.approx(
        KSG().estimate_conditional(y, x, z), abs=1e-9)
    g = Gaussian()
    assert g.estimate_conditional(x, y, z) == pytest.approx(g.estimate_conditional(y, x, z),
                                                            abs=1e-12)


@pytest.mark.parametrize("est", [Gaussian(), KSG()], ids=["Gaussian", "KSG"])
def test_invariant_to_column_scales_and_row_order(est: Gaussian | KSG) -> None:
    x, y, z = correlated(400, (1, 2, 2), seed=9)
    ref = est.estimate_conditional(x, y, z)
    scaled = est.estimate_conditional(1e3 * x, y - 5.0, z * np.array([1e-3, 7.0]))
    assert scaled == pytest.approx(ref, abs=1e-9)
    if isinstance(est, Gaussian):  # (KSG's jitter is drawn per row, so only Gaussian)
        perm = np.random.default_rng(0).permutation(400)
        assert est.estimate_conditional(x[perm], y[perm], z[perm]) == pytest.approx(ref,
                                                                                    abs=1e-12)


@pytest.mark.parametrize("cls", [Gaussian, KSG])
def test_units(cls: type[Gaussian] | type[KSG]) -> None:
    x, y, z = sample(COLLIDER, 600, seed=12)
    nats = cls().estimate_conditional(x, y, z)
    assert nats > 0.05
    assert cls(unit="bits").estimate_conditional(x, y, z) == pytest.approx(nats / math.log(2),
                                                                           rel=1e-12)


def test_seed_determinism() -> None:
    rng = np.random.default_rng(13)
    x, y, z = (rng.integers(0, 3, 300).astype(float) for _ in range(3))  # ties: jitter matters
    a = KSG(seed=3).estimate_conditional(x, y, z)
    assert KSG(seed=3).estimate_conditional(x, y, z) == a
    assert KSG(seed=4).estimate_conditional(x, y, z) != a
    # the jitter of x and y is drawn as in estimate(x, y): the same numbers for a given seed
    assert KSG(seed=3).estimate_conditional(x, y, z) == KSG(seed=3).estimate_conditional(
        x.tolist(), y.tolist(), z.tolist())


def test_n_jobs_does_not_change_the_estimate() -> None:
    x, y, z = correlated(3000, (3, 1, 2), seed=14)   # xz is 5-D: blocked brute-force counts
    assert KSG(n_jobs=1).estimate_conditional(x, y, z) == \
        KSG(n_jobs=2).estimate_conditional(x, y, z)


def test_k_is_respected() -> None:
    x, y, z = correlated(150, (1, 1, 1), seed=15)
    vals = {k: KSG(k=k, jitter=0.0).estimate_conditional(x, y, z) for k in (1, 6)}
    for k, v in vals.items():
        assert v == pytest.approx(reference(x, y, z, k), abs=1e-9)
    assert vals[1] != pytest.approx(vals[6], abs=1e-6)


# ------------------------------------------------------------------------------- errors

@pytest.mark.parametrize("est", [Gaussian(), KSG()], ids=["Gaussian", "KSG"])
def test_z_errors(est: Gaussian | KSG) -> None:
    x, y, z = sample(COLLIDER, 100, seed=16)
    with pytest.raises(ValueError, match=r"^`z` must have the same number of samples as `x` "
                                         r"\(100\), got 99\.$"):
        est.estimate_conditional(x, y, z[:99])
    bad = z.copy()
    bad[3, 0] = np.nan
    with pytest.raises(ValueError, match=r"^`z` must be finite \(no NaN or inf\)"):
        est.estimate_conditional(x, y, bad)
    with pytest.raises(ValueError, match=r"`y` must have the same number of samples"):
        est.estimate_conditional(x, y[:50], z)
    with pytest.raises(TypeError, match=r"`z` must be an array of real numbers"):
        est.estimate_conditional(x, y, np.array(["a"] * 100))


@pytest.mark.parametrize("est", [KDE(), MixedKSG()], ids=["KDE", "MixedKSG"])
def test_estimators_without_a_conditional_form_raise_type_error(est: KDE | MixedKSG) -> None:
    assert not est.has_conditional
    x = np.random.default_rng(0).standard_normal((50, 1))
    with pytest.raises(TypeError, match=rf"^{type(est).__name__} does not estimate conditional "
                                        r"mutual information; use KSG, Gaussian or Binning"):
        est.estimate_conditional(x, np.arange(50) % 2, x)


def test_ksg_errors_and_warnings() -> None:
    x, y, z = sample(COLLIDER, 100, seed=17)
    with pytest.raises(ValueError, match=r"^`algorithm` must be 1 for estimate_conditional .*"
                                         r"Frenzel & Pompe.*got 2\."):
        KSG(algorithm=2).estimate_conditional(x, y, z)
    with pytest.raises(ValueError, match=r"`k` must be smaller than the number of samples "
                                         r"\(3\)"):
        KSG(k=3).estimate_conditional(x[:3], y[:3], z[:3])
    with pytest.warns(UserWarning, match=r"KSG with N=30 samples, k=3 and 3 dimensions"):
        KSG(k=3).estimate_conditional(x[:30], y[:30], z[:30])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        KSG(k=3).estimate_conditional(x, y, z)


def test_gaussian_errors() -> None:
    x, y, z = sample(COLLIDER, 100, seed=18)
    with pytest.raises(ValueError, match=r"^`z` must have no constant columns .*\[1\].*"
                                         r"shrinkage='ledoit_wolf'"):
        Gaussian().estimate_conditional(x, y, np.c_[z, np.ones(100)])
    with pytest.raises(ValueError, match=r"^`z` must not be a linear function of the other "
                                         r"columns of \[x, y, z\].*column 1 of `z`"):
        Gaussian().estimate_conditional(x, y, np.c_[z, 2 * z])
    with pytest.raises(ValueError, match=r"^`y` must not be a linear function .*column 0 of "
                                         r"`y`.*\[z, x, y\]"):
        Gaussian().estimate_conditional(x, x + z, z)
    with pytest.raises(ValueError, match=r"more samples than joint dimensions \(n > d_x \+ d_y "
                                         r"\+ d_z = 4\).*got n = 4"):
        Gaussian().estimate_conditional(x[:4], y[:4], np.c_[z, x][:4])
    with pytest.warns(UserWarning, match=r"Only 4 samples for 4 joint dimensions.*CMI"):
        Gaussian(shrinkage="ledoit_wolf").estimate_conditional(x[:4], y[:4], np.c_[z, x][:4])
    assert np.isfinite(Gaussian(shrinkage="ledoit_wolf").estimate_conditional(x, y, np.c_[z, z]))
