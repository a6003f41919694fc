"""The default estimator: its choice is visible, follows the documented rules, and is right."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from infoplane import estimators as est
from infoplane.estimators.default import is_discrete, normal_scores


def gaussian(n: int, d: int, rho: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray, float]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, d))
    return x, y, -0.5 * d * np.log1p(-rho**2)


def test_is_discrete() -> None:
    rng = np.random.default_rng(0)
    assert is_discrete(rng.integers(0, 3, 100))
    assert is_discrete(rng.integers(0, 3, 100).astype(float))      # integral floats
    assert is_discrete(np.array(["a", "b"] * 50))
    assert is_discrete(rng.random(100) > 0.5)
    assert not is_discrete(rng.standard_normal(100))
    assert not is_discrete(rng.integers(0, 1000, 2000))             # too many values
    assert not is_discrete(rng.integers(0, 30, 100))                # < 5 samples per value
    assert not is_discrete(np.array([0.5, 1.0] * 50))


def test_normal_scores_are_the_textbook_transform() -> None:
    rng = np.random.default_rng(1)
    z = rng.standard_normal((50, 2)) ** 3
    expected = np.column_stack([
        stats.norm.ppf((stats.rankdata(z[:, j]) - 0.5) / 50) for j in range(2)])
    np.testing.assert_allclose(normal_scores(z), expected, rtol=0, atol=1e-12)


def test_choices_follow_the_rules() -> None:
    rng = np.random.default_rng(2)
    xc = rng.standard_normal((500, 2))
    labels = rng.integers(0, 3, 500)
    a = est.auto()
    assert type(a.choose(labels, labels)).__name__ == "Binning"
    assert type(a.choose(xc, labels)).__name__ == "MixedKSG"
    assert type(a.choose(labels, xc)).__name__ == "MixedKSG"
    # two continuous sides: the larger of the two candidates, whichever it is
    yc = xc[:, :1] ** 3 + 0.5 * rng.standard_normal((500, 1))
    low = a.choose(xc, yc)
    assert isinstance(low, est.NormalScores)
    candidates = {name: est.NormalScores(base=base).estimate(xc, yc) for name, base in
                  (("KSG", est.KSG()), ("Gaussian", est.Gaussian(bias_correction=True)))}
    assert type(low.base).__name__ == max(candidates, key=candidates.__getitem__)
    assert a.estimate(xc, yc) == max(candidates.values())
    # above max_knn_dim: the larger of the Gaussian-copula estimate on the columns and on
    # each side's independent components (no KSG)
    wide = rng.standard_normal((500, 20))
    wy = wide + rng.standard_normal((500, 20))
    high = est.auto(max_knn_dim=10).choose(wide, wy)
    from infoplane.estimators.default import Unmixed

    cands = {"copula": est.NormalScores(base=est.Gaussian(bias_correction=True)).estimate(
        wide, wy), "unmixed": Unmixed().estimate(wide, wy)}
    assert isinstance(high, Unmixed if cands["unmixed"] > cands["copula"] else est.NormalScores)
    assert est.auto(max_knn_dim=10).estimate(wide, wy) == max(cands.values())
    assert isinstance(high, Unmixed) or type(high.base).__name__ == "Gaussian"


def test_estimate_is_the_chosen_estimators_value() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal(800)
    y = np.exp(np.sin(3 * x) + 0.3 * rng.standard_normal(800))   # not linear in normal scores
    a = est.auto(k=4, seed=5)
    scores = np.column_stack([stats.norm.ppf((stats.rankdata(v) - 0.5) / 800) for v in (x, y)])
    reference = est.KSG(k=4, seed=5).estimate(scores[:, :1], scores[:, 1:])
    assert type(a.choose(x, y).base).__name__ == "KSG"  # type: ignore[attr-defined]
    assert a.estimate(x, y) == pytest.approx(reference, rel=1e-12)
    labels = (x > 0).astype(int)
    assert a.estimate(labels, y) == pytest.approx(est.MixedKSG(k=4).estimate(y, labels),
                                                  rel=1e-12)


def test_invariant_under_increasing_maps_of_each_column() -> None:
    x, y, _ = gaussian(1000, 2, 0.6, seed=4)
    a = est.auto()
    warped = np.column_stack([np.exp(x[:, 0]), x[:, 1] ** 3])
    assert a.estimate(warped, np.arcsinh(y)) == pytest.approx(a.estimate(x, y), rel=1e-12)
    # KSG itself is not invariant: the test above could fail for a non-rank method
    k = est.KSG()
    assert abs(k.estimate(warped, np.arcsinh(y)) - k.estimate(x, y)) > 1e-3


@pytest.mark.parametrize(("d", "rho"), [(1, 0.5), (3, 0.6), (15, 0.4)])
def test_accurate_on_gaussians(d: int, rho: float) -> None:
    x, y, truth = gaussian(5000, d, rho, seed=d)
    value = est.auto().estimate(x, y)
    assert abs(value - truth) <= max(0.05, 0.05 * truth)


def test_units_and_options_are_passed_on() -> None:
    x, y, _ = gaussian(500, 1, 0.5)
    assert est.auto(unit="bits").estimate(x, y) == pytest.approx(
        est.auto().estimate(x, y) / np.log(2), rel=1e-12)
    assert est.auto(k=7).choose(x, y).base.k == 7  # type: ignore[attr-defined]


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"k": 0}, "`k` must be an integer >= 1"),
    ({"max_classes": 1}, "`max_classes` must be an integer >= 2"),
    ({"max_knn_dim": "a"}, "`max_knn_dim` must be an integer"),
])
def test_bad_options(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        est.auto(**kwargs)


# ------------------------------------------------------- the bias-corrected Gaussian candidate

@pytest.mark.parametrize(("n", "d", "rho"), [(25, 2, 0.5), (40, 3, 0.0)])
def test_gaussian_bias_correction_is_exact_for_gaussians(n: int, d: int, rho: float) -> None:
    """Over 2000 small Gaussian samples the corrected mean is within 4 s.e. of the truth,
    while the plain plug-in is far above it (so the test can tell them apart)."""
    plain, fixed = est.Gaussian(), est.Gaussian(bias_correction=True)
    vals_plain, vals_fixed = [], []
    truth = -0.5 * d * np.log1p(-rho**2)
    for seed in range(2000):
        x, y, _ = gaussian(n, d, rho, seed=seed)
        vals_plain.append(plain.estimate(x, y))
        vals_fixed.append(fixed.estimate(x, y))
    se = np.std(vals_fixed) / np.sqrt(len(vals_fixed))
    assert abs(np.mean(vals_fixed) - truth) < 4 * se
    assert np.mean(vals_plain) - truth > 20 * se


def test_gaussian_cmi_bias_correction() -> None:
    rng = np.random.default_rng(0)
    vals = []
    for _ in range(3000):
        z = rng.standard_normal((30, 1))
        x = z + rng.standard_normal((30, 1))
        y = z + rng.standard_normal((30, 1))       # X ⊥ Y | Z: I(X;Y|Z) = 0
        vals.append(est.Gaussian(bias_correction=True).estimate_conditional(x, y, z))
    assert abs(np.mean(vals)) < 4 * np.std(vals) / np.sqrt(len(vals))


def test_bias_correction_errors() -> None:
    with pytest.raises(ValueError, match="`bias_correction` must be False when `shrinkage`"):
        est.Gaussian(bias_correction=True, shrinkage=0.1)
    with pytest.raises(TypeError, match="`bias_correction` must be True or False"):
        est.Gaussian(bias_correction=1)  # type: ignore[arg-type]


def test_gaussian_bias_is_the_exact_null_expectation() -> None:
    """For ρ = 0 and scalar x, y, Î_G = −½ log(1 − r²) with r the sample correlation, whose
    null density is (1 − r²)^((n−4)/2) / B(½, (n−2)/2) (Fisher 1915): its expectation by
    quadrature is the bias, independently of the Wishart formula. n = 3 (= d_x + d_y + 1,
    the smallest legal size) gives log 2 in closed form."""
    from scipy import integrate, special

    from infoplane.estimators.gaussian import gaussian_cmi_bias, gaussian_mi_bias

    assert gaussian_mi_bias(3, 1, 1) == pytest.approx(np.log(2), abs=1e-14)
    for n in (3, 4, 7, 40):
        a = (n - 4) / 2
        norm = special.beta(0.5, (n - 2) / 2)
        want, _ = integrate.quad(lambda r, a=a: -0.5 * np.log1p(-r * r) * (1 - r * r) ** a,
                                 -1, 1, epsabs=1e-13, limit=200)
        assert gaussian_mi_bias(n, 1, 1) == pytest.approx(want / norm, abs=1e-9), n
    # conditioning on d_z extra columns costs d_z samples: the partial correlation of n
    # samples given d_z has the null law of a plain correlation of n − d_z samples
    assert gaussian_cmi_bias(10, 1, 1, 3) == pytest.approx(gaussian_mi_bias(7, 1, 1),
                                                           abs=1e-12)
    with pytest.raises(ValueError, match=r"`n` must be > d_x \+ d_y = 2 .*got 2\."):
        gaussian_mi_bias(2, 1, 1)
    with pytest.raises(ValueError, match=r"`n` must be > d_x \+ d_y \+ d_z = 4 .*got 4\."):
        gaussian_cmi_bias(4, 1, 1, 2)
    # the estimator accepts every n the plain estimate accepts (n = d_x + d_y + 1 here)
    x, y, _ = gaussian(3, 1, 0.5)
    assert np.isfinite(est.Gaussian(bias_correction=True).estimate(x, y))


# ------------------------------------------------------------- bad and awkward input

def test_auto_bad_input_gives_one_line_errors() -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal(50)
    with pytest.raises(ValueError, match=r"^`x` must have at least k \+ 1 = 4 samples for "
                                         r"auto\(\) \(k = 3 neighbours\), got 3\."):
        est.auto().estimate(x[:3], x[:3])
    with pytest.raises(ValueError, match=r"^`y` must have at least k \+ 1 = 6 samples"):
        est.auto(k=5).estimate(np.zeros(5, int), x[:5])      # labels first: y is continuous
    bad = x.copy()
    bad[4] = np.nan
    with pytest.raises(ValueError, match=r"^`x` must be finite"):
        est.auto().estimate(bad, x)
    with pytest.raises(TypeError, match=r"^`x` must be an array of real numbers, got dtype "
                                        r"complex128"):
        est.auto().estimate(x + 1j, x)
    with pytest.raises(ValueError, match=r"^`y` must have the same number of samples"):
        est.auto().estimate(x, x[:40])
    with pytest.raises(TypeError, match="unexpected keyword argument 'foo'"):
        est.auto(foo=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match=r"`n_jobs` must be a positive integer or -1"):
        est.auto(n_jobs=0)
    with pytest.raises(TypeError, match=r"`base` must be an Estimator"):
        est.NormalScores(base=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"`base` must be an estimator for two continuous"):
        est.NormalScores(base=est.MixedKSG())


def test_auto_on_degenerate_data() -> None:
    x, y, _ = gaussian(400, 1, 0.6, seed=8)
    a = est.auto()
    # one class: no information, exactly (up to round-off)
    assert abs(a.estimate(x, np.zeros(400, int))) < 1e-12
    assert a.estimate(np.zeros(400, int), np.zeros(400, int)) == 0.0
    # a constant or a duplicated column makes the copula covariance singular: KSG alone is
    # used; a constant column adds nothing to the max-norm distances, so KSG on the
    # informative column is the value (up to the 1e-10 jitter, which is drawn for two columns
    # instead of one and can move a neighbour count: ~1e-4 nats per count at n = 400)
    ksg = est.NormalScores(base=est.KSG())
    for extra in (np.full((400, 1), 2.5), x):
        wide = np.column_stack([x, extra])
        chosen = a.choose(wide, y)
        assert isinstance(chosen, est.NormalScores) and isinstance(chosen.base, est.KSG)
    assert a.estimate(np.column_stack([x, np.full(400, 2.5)]), y) == pytest.approx(
        ksg.estimate(x, y), abs=1e-3)


def test_auto_conditional() -> None:
    from infoplane.discrete import conditional_mutual_information

    rng = np.random.default_rng(9)
    # all discrete: the plug-in CMI of the codes (XOR: 0 bits of MI, 1 bit given Z)
    xd, yd = rng.integers(0, 2, 400), rng.integers(0, 2, 400)
    zd = xd ^ yd
    a = est.auto(unit="bits")
    assert type(a.choose_conditional(xd, yd, zd)).__name__ == "Binning"
    want = conditional_mutual_information(xd, yd, zd, unit="bits")
    assert want == pytest.approx(1.0, abs=0.02)   # (the sample's margins are not exactly ½)
    assert a.estimate_conditional(xd, yd, zd.astype(float)) == pytest.approx(want, abs=1e-12)
    # all continuous: Frenzel–Pompe KSG on normal scores computed here
    n = 2000
    z = rng.standard_normal(n)
    x, y = np.exp(z + rng.standard_normal(n)), (z + rng.standard_normal(n)) ** 3
    scores = [stats.norm.ppf((stats.rankdata(v) - 0.5) / n) for v in (x, y, z)]
    ref = est.KSG(seed=4).estimate_conditional(*scores)
    got = est.auto(seed=4).estimate_conditional(x, y, z)
    assert got == pytest.approx(ref, rel=1e-12)
    # X ⊥ Y | Z (KSG-CMI sd ≈ 0.015 here), while I(X;Y) = ½ log(4/3) ≈ 0.144
    assert abs(got) < 0.06 and est.auto().estimate(x, y) > 0.1
    with pytest.raises(TypeError, match=r"^auto\(\) estimates I\(X;Y\|Z\) when x, y and z are "
                                        r"all discrete .* got discrete y with continuous x "
                                        r"and z"):
        est.auto().estimate_conditional(x, (x > 1).astype(int), z)


def _rotated(fmap: str, d: int, k: int, n: int) -> tuple[np.ndarray, np.ndarray, float]:
    from infoplane.samplers.highdim import LowRank
    from infoplane.samplers.transforms import Transformed

    t = Transformed(base=LowRank(dim_x=d, dim_y=d, k=k, seed=3), x_map=fmap, y_map=fmap,
                    rotate=True, rotation_seed=3)
    x, y = t.sample(n, seed=0)
    return x, y, t.mutual_information()


def test_high_dimensional_rotated_bijection() -> None:
    # a half-cube behind a random rotation, 40 + 40 dims: ranking columns cannot undo it and
    # the Gaussian copula reads 0.26 nats low; unmixing each side first recovers the truth
    from infoplane.estimators.default import Unmixed

    x, y, truth = _rotated("halfcube", 40, 2, 3000)
    a = est.auto()
    assert isinstance(a.choose(x, y), Unmixed)
    tol = max(0.1, 0.15 * truth)
    assert abs(a.estimate(x, y) - truth) <= tol
    copula = est.NormalScores(base=est.Gaussian(bias_correction=True)).estimate(x, y)
    assert abs(copula - truth) > tol
    # independent sides (k = 0, same construction): both candidates stay near 0
    x0, y0, zero = _rotated("cube", 40, 0, 3000)
    assert zero == 0.0 and abs(a.estimate(x0, y0)) < 0.03


def test_independent_components_recover_mixed_sources() -> None:
    from infoplane.estimators.default import independent_components

    rng = np.random.default_rng(11)
    s = rng.uniform(-1, 1, (4000, 6))
    q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    out = independent_components(s @ q.T, seed=0)
    c = np.abs(np.corrcoef(out.T, s.T)[:6, 6:])
    # each component is one source up to sign and scale: a permutation pattern
    assert np.all(c.max(axis=1) > 0.99) and sorted(c.argmax(axis=1)) == list(range(6))
    # too few rows for an invertible unmixing: one-line error naming the side
    from infoplane.estimators.default import Unmixed

    with pytest.raises(ValueError, match=r"^`x` must be more than 2 × its dimension"):
        Unmixed().estimate(s[:10, :6], s[:10, :2])


def test_doctests() -> None:
    import doctest

    from infoplane.estimators import default

    result = doctest.testmod(default)
    assert result.failed == 0 and result.attempted >= 5


def test_high_dimensional_dead_unit_is_dropped_not_sent_to_ksg() -> None:
    # One constant column (a dead ReLU unit) carries no information: above max_knn_dim the
    # estimate must equal the one without that column, not fall back to KSG (which reads
    # ~0 there).
    from infoplane.estimators import auto as make_auto

    rng = np.random.default_rng(0)
    n, d = 600, 35
    x = rng.standard_normal((n, d))
    y = x @ (0.3 * rng.standard_normal((d, d))) + rng.standard_normal((n, d))
    dead = x.copy()
    dead[:, 5] = 0.0
    est = make_auto()
    without = est.estimate(np.delete(dead, 5, axis=1), y)
    assert est.estimate(dead, y) == without
    assert without > 5.0                      # strongly dependent: not KSG's collapse
