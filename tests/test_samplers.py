"""infoplane.samplers: each task's MI against an independent computation, its samples, its errors.

Truths are checked by a different route than the code takes: Gaussian closed forms against
``slogdet`` of the covariance and Monte Carlo of E[log p(x,y)/(p(x)p(y))] with SciPy's densities
(within 4 standard errors), Student-t the same way with ``scipy.stats.multivariate_t``, the
quadrature constants against a trapezoid rule on a fine grid written here, the discrete tables
against hand-computed bits, and the bijections by mapping the base samples with expressions
written here (the MI invariance itself is analytic).
"""

from __future__ import annotations

import dataclasses
import doctest
import itertools
import math
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy import integrate, special, stats

from infoplane import samplers
from infoplane.samplers import (
    DISCRETE_TABLES,
    SUITES,
    AdditiveUniform,
    BimodalChannel,
    DiscreteTable,
    GaussianUniformNoise,
    LabelledMixture,
    LowRank,
    MultivariateNormal,
    StudentT,
    SwissRoll,
    Task,
    Transformed,
    ZeroInflated,
    _base,
    gaussian_mi,
)
from infoplane.samplers.mixtures import CACHED_MI
from infoplane.samplers.transforms import BIMODAL_MEANS, BIMODAL_STD, SPIRAL_SPEED
from infoplane.samplers.uniform import UNIFORM_NOISE_MI

ALL = samplers.tasks()
MC_N = 100_000


def mc_mi(task: Task, seed: int, law: Callable[[np.ndarray], Any]) -> tuple[float, float]:
    """Monte Carlo E[log p(x,y) / (p(x) p(y))] over ``MC_N`` samples of ``task`` and its
    standard error; ``law(scale)`` is the SciPy distribution with that scale/covariance
    block (the x, y marginals are its sub-blocks)."""
    x, y = task.sample(MC_N, seed=seed)
    s = law_matrix(task)
    dx = task.dim_x
    logratio = (law(s).logpdf(np.hstack([x, y])) - np.atleast_1d(law(s[:dx, :dx]).logpdf(x))
                - np.atleast_1d(law(s[dx:, dx:]).logpdf(y)))
    return float(logratio.mean()), float(logratio.std(ddof=1) / math.sqrt(logratio.size))


def law_matrix(task: Task) -> np.ndarray:
    """The covariance (Gaussian) or scale matrix (Student-t) of a task."""
    return task.covariance() if isinstance(task, MultivariateNormal) else \
        task.scale_matrix()  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- registry

def test_registry_size_names_and_lookup() -> None:
    names = [t.name for t in ALL]
    assert len(names) >= 30
    assert names == sorted(names)
    assert len(set(names)) == len(names)
    for t in ALL:
        assert t.name == t.name.lower() and " " not in t.name
        assert samplers.get(t.name) is t
        assert isinstance(t, Task)


def test_suites() -> None:
    assert {"bmi", "highdim", "lowdim", "all"} <= set(SUITES)
    assert SUITES["all"] == tuple(t.name for t in ALL)
    bmi = samplers.suite("bmi")
    assert len(bmi) == 20 == len(set(SUITES["bmi"]))
    assert all(t.dim_x <= 25 and t.dim_y <= 25 for t in bmi)
    assert max(t.dim_x for t in bmi) == 25
    # the BMI families are all represented
    for prefix in ("normal-dense", "normal-sparse", "student-", "halfcube-", "asinh-",
                   "normcdf-", "wiggly-", "spiral-", "additive-uniform-", "bimodal-",
                   "swissroll-"):
        assert any(n.startswith(prefix) for n in SUITES["bmi"]), prefix
    hd = samplers.suite("highdim")
    assert len(hd) >= 6
    assert all(50 <= max(t.dim_x, t.dim_y) <= 200 for t in hd)
    assert all(t.dim_x <= 3 and t.dim_y <= 3 and not (t.x_discrete or t.y_discrete)
               for t in samplers.suite("lowdim"))
    assert all(t.x_discrete or t.y_discrete for t in samplers.suite("discrete"))
    assert len(samplers.suite("discrete")) >= 8
    for name in ("normal-dense-1x1-0.75", "normal-dense-3x3-0.5", "student-dof1-1x1"):
        assert name in SUITES["lowdim"]
    for suite in SUITES.values():
        assert set(suite) <= set(SUITES["all"])


def test_tasks_pattern_and_errors() -> None:
    names = [t.name for t in samplers.tasks("student-dof[12]-*")]
    assert names == ["student-dof1-1x1", "student-dof2-2x2"]
    assert all(t.name.startswith("lowrank-") for t in samplers.tasks("lowrank-*"))
    with pytest.raises(ValueError, match=r"`pattern` must match .* got 'nomatch-\*'"):
        samplers.tasks("nomatch-*")
    with pytest.raises(KeyError, match=r"got 'normal-dense-3x3-0\.6'.*'normal-dense-3x3-0\.5'"):
        samplers.get("normal-dense-3x3-0.6")
    with pytest.raises(ValueError, match="`name` must be one of 'bmi'"):
        samplers.suite("bmii")
    with pytest.raises(TypeError, match="`pattern` must be a str"):
        samplers.tasks(3)


def test_doctests() -> None:
    import infoplane.samplers.discrete as m_discrete
    import infoplane.samplers.gaussian as m_gaussian
    import infoplane.samplers.highdim as m_highdim
    import infoplane.samplers.mixtures as m_mixtures
    import infoplane.samplers.registry as m_registry
    import infoplane.samplers.student as m_student
    import infoplane.samplers.transforms as m_transforms
    import infoplane.samplers.uniform as m_uniform

    for mod in (samplers, m_discrete, m_gaussian, m_highdim, m_mixtures, m_registry, m_student,
                m_transforms, m_uniform):
        res = doctest.testmod(mod)
        assert res.attempted > 0 and res.failed == 0, mod.__name__


def test_import_is_light_and_torch_free() -> None:
    code = ("import sys, infoplane.samplers as s; s.tasks(); "
            "bad = [m for m in ('torch', 'jax', 'scipy.integrate', 'scipy.stats') "
            "if m in sys.modules]; print(bad); assert not bad, bad")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


# ------------------------------------------------------------------- samples: contract

@pytest.mark.parametrize("task", ALL, ids=lambda t: t.name)
def test_shapes_dtypes_determinism(task: Task) -> None:
    x, y = task.sample(7, seed=3)
    for arr, dim, disc in ((x, task.dim_x, task.x_discrete), (y, task.dim_y, task.y_discrete)):
        if disc:
            assert arr.dtype == np.int64 and arr.shape == (7,)
        else:
            assert arr.dtype == np.float64 and arr.shape == (7, dim)
            assert np.all(np.isfinite(arr))
    x2, y2 = task.sample(7, seed=3)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    x3, y3 = task.sample(7, seed=4)
    assert not (np.array_equal(x, x3) and np.array_equal(y, y3))
    mi = task.mutual_information()
    assert isinstance(mi, float) and math.isfinite(mi) and mi >= 0.0


def test_tasks_are_frozen_and_hashable() -> None:
    t = samplers.get("normal-dense-3x3-0.5")
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.corr = 0.1
    assert MultivariateNormal(dim_x=3, dim_y=3, corr=0.5) == t
    assert len({hash(u) for u in ALL}) == len(ALL)


def test_sample_size_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    t = samplers.get("normal-dense-3x3-0.5")
    with pytest.raises(ValueError, match=r"`n` must be an integer >= 1, got 0\."):
        t.sample(0)
    with pytest.raises(ValueError, match=r"`n` must be an integer >= 1, got -5\."):
        t.sample(-5)
    with pytest.raises(TypeError, match=r"`n` must be an integer, got 2\.5\."):
        t.sample(2.5)
    with pytest.raises(ValueError, match=r"`seed` must be an integer >= 0"):
        t.sample(3, seed=-1)

    # absurd sizes are refused before anything is drawn
    class Exploding(MultivariateNormal):
        def _sample(self, n: int, rng: np.random.Generator):  # type: ignore[no-untyped-def]
            raise AssertionError("allocated")

    big = Exploding(dim_x=25, dim_y=25, corr=0.5)
    with pytest.raises(ValueError, match=r"`n` must be at most \d+ for 50 float64 columns"):
        big.sample(10**10)   # 4 TB
    monkeypatch.setattr(_base, "MAX_SAMPLE_BYTES", 50 * 8 * 1000)
    with pytest.raises(ValueError, match=r"`n` must be at most 1000 .*got 1001\."):
        big.sample(1001)
    with pytest.raises(AssertionError, match="allocated"):
        big.sample(1000)


def test_constructor_errors() -> None:
    with pytest.raises(ValueError, match=r"`corr` must be in \[0, 1\), got 1\.0\."):
        MultivariateNormal(dim_x=2, dim_y=2, corr=1.0)
    with pytest.raises(ValueError, match=r"`corr` must be in \(-1, 1\)"):
        MultivariateNormal(dim_x=2, dim_y=2, corr=-1.0, structure="sparse")
    with pytest.raises(ValueError, match=r"`n_interacting` must be <= min\(dim_x, dim_y\) = 2"):
        MultivariateNormal(dim_x=2, dim_y=3, corr=0.5, structure="sparse", n_interacting=3)
    with pytest.raises(ValueError, match="`structure` must be one of 'dense', 'sparse'"):
        MultivariateNormal(structure="full")
    with pytest.raises(ValueError, match=r"`dim_x` must be an integer >= 1, got 0\."):
        MultivariateNormal(dim_x=0)
    with pytest.raises(ValueError, match=r"`dof` must be > 0, got 0"):
        StudentT(dof=0)
    with pytest.raises(ValueError, match=r"`epsilon` must be > 0"):
        AdditiveUniform(epsilon=0.0)
    base = MultivariateNormal(dim_x=1, dim_y=3, corr=0.5)
    with pytest.raises(ValueError, match=r"`x_map` must be a coordinate-wise map .* spiral"):
        Transformed(base=base, x_map="spiral")
    with pytest.raises(ValueError, match=r"`y_map` must be one of 'halfcube'"):
        Transformed(base=base, y_map="tan")
    with pytest.raises(ValueError, match=r"`y_map` must be None for a discrete side"):
        Transformed(base=LabelledMixture(), x_map="asinh", y_map="asinh")
    with pytest.raises(ValueError, match=r"`x_map` must be a map name"):
        Transformed(base=base)
    with pytest.raises(TypeError, match="`base` must be a Task"):
        Transformed(base=3, x_map="asinh")
    with pytest.raises(ValueError, match=r"`k` must be <= min\(dim_x, dim_y\) = 5"):
        LowRank(dim_x=5, dim_y=50, k=6, corr=(0.5,) * 6)
    with pytest.raises(ValueError, match=r"`corr` must be a sequence of k = 2"):
        LowRank(dim_x=50, dim_y=50, k=2, corr=(0.5,))
    with pytest.raises(ValueError, match=r"`table` must be non-negative"):
        DiscreteTable(table=((1, -1), (0, 1)), label="bad")
    with pytest.raises(ValueError, match=r"`label` must be a non-empty lowercase name"):
        DiscreteTable(table=((1, 0), (0, 1)), label="Bad Name")
    with pytest.raises(ValueError, match=r"`priors` must be 2 non-negative numbers summing"):
        LabelledMixture(means=(0.0, 1.0), priors=(0.5, 0.6))
    with pytest.raises(ValueError, match=r"`atom_prob` must be 2 probabilities in \[0, 1\)"):
        ZeroInflated(means=(0.0, 1.0), atom_prob=(0.5, 1.0))
    with pytest.raises(ValueError, match=r"`cov` must be positive definite"):
        gaussian_mi([[1.0, 1.0], [1.0, 1.0]], 1)


# --------------------------------------------------------------------- Gaussian truths

GAUSSIANS = [t for t in ALL if isinstance(t, MultivariateNormal)]


@pytest.mark.parametrize("task", GAUSSIANS, ids=lambda t: t.name)
def test_gaussian_closed_form_matches_slogdet(task: MultivariateNormal) -> None:
    assert task.mutual_information() == pytest.approx(
        gaussian_mi(task.covariance(), task.dim_x), rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("name", ["normal-dense-3x3-0.5", "normal-dense-3x1-0.5",
                                  "normal-sparse-5x5-k2-0.8", "normal-dense-1x1-0.9"])
def test_gaussian_monte_carlo(name: str) -> None:
    task = samplers.get(name)
    assert isinstance(task, MultivariateNormal)
    mean, se = mc_mi(task, 11, lambda c: stats.multivariate_normal(cov=c))
    assert abs(mean - task.mutual_information()) < 4 * se
    # the sample's covariance is the claimed one
    x, y = task.sample(MC_N, seed=11)
    emp = np.cov(np.hstack([x, y]), rowvar=False)
    assert np.max(np.abs(emp - task.covariance())) < 6 / math.sqrt(MC_N)


def test_gaussian_pair_is_the_sparse_task() -> None:
    x, y, mi = samplers.gaussian_pair(50, 3, 0.6, seed=2)
    rng = np.random.default_rng(2)
    x_ref = rng.standard_normal((50, 3))
    y_ref = 0.6 * x_ref + 0.8 * rng.standard_normal((50, 3))
    np.testing.assert_allclose(x, x_ref, rtol=0, atol=0)
    np.testing.assert_allclose(y, y_ref, rtol=1e-15, atol=1e-15)
    assert mi == pytest.approx(-1.5 * math.log(1 - 0.36), rel=1e-14)


# ------------------------------------------------------------------- Student-t truths

@pytest.mark.parametrize("name", ["student-dof1-1x1", "student-dof2-2x2",
                                  "student-dof3-3x3-0.5", "student-dof5-5x5"])
def test_student_t_monte_carlo(name: str) -> None:
    task = samplers.get(name)
    assert isinstance(task, StudentT)
    mean, se = mc_mi(task, 12, lambda s: stats.multivariate_t(shape=s, df=task.dof))
    assert abs(mean - task.mutual_information()) < 4 * se
    assert se < 0.01   # the check has teeth


def test_student_t_correction_limits() -> None:
    # c(ν) > 0 and decreases to 0 as ν → ∞ (the t tends to the Gaussian)
    cs = [samplers.student_t_correction(nu, 2, 3) for nu in (1, 2, 5, 30, 1e4)]
    assert all(a > b > 0 for a, b in itertools.pairwise(cs))
    assert cs[-1] < 1e-6
    # uncorrelated is not independent: |X| and |Y| are positively correlated (shared W)
    x, y = samplers.get("student-dof5-5x5").sample(20_000, seed=1)
    r = np.corrcoef(np.abs(x[:, 0]), np.abs(y[:, 0]))[0, 1]
    assert r > 0.05
    assert abs(np.corrcoef(x[:, 0], y[:, 0])[0, 1]) < 4 / math.sqrt(20_000)


# -------------------------------------------------------------------- uniform noise

@pytest.mark.parametrize("eps", [0.1, 0.3, 0.5, 0.75, 2.0])
def test_additive_uniform_closed_form_by_quadrature(eps: float) -> None:
    def p(y: float) -> float:   # |[y − ε, y + ε] ∩ [0, 1]| / 2ε
        return max(0.0, min(1.0, y + eps) - max(0.0, y - eps)) / (2 * eps)

    pts = sorted({-eps, eps, 1 - eps, 1 + eps})
    h, _ = integrate.quad(lambda y: -special.xlogy(p(y), p(y)), -eps, 1 + eps, points=pts,
                          epsabs=1e-13, limit=200)
    assert AdditiveUniform(epsilon=eps).mutual_information() == pytest.approx(
        h - math.log(2 * eps), abs=1e-10)


def test_additive_uniform_samples() -> None:
    task = samplers.get("additive-uniform-0.75")
    x, y = task.sample(5000, seed=2)
    assert stats.kstest(x[:, 0], "uniform").pvalue > 1e-3
    assert stats.kstest(y[:, 0] - x[:, 0], "uniform", args=(-0.75, 1.5)).pvalue > 1e-3


def _grid_entropy(logp: object, lo: float, hi: float, step: float) -> float:
    g = np.arange(lo, hi + step, step)
    lp = logp(g)  # type: ignore[operator]
    return float(-np.trapezoid(np.exp(lp) * lp, g))


@pytest.mark.parametrize("b", sorted(UNIFORM_NOISE_MI))
def test_gaussian_uniform_noise_cache_recomputed(b: float) -> None:
    task = GaussianUniformNoise(half_width=b)
    assert task.mutual_information() == UNIFORM_NOISE_MI[b]
    assert task.mutual_information_by_quadrature() == pytest.approx(UNIFORM_NOISE_MI[b],
                                                                    abs=1e-11)
    def logp(y: np.ndarray) -> np.ndarray:   # p is symmetric: use the accurate lower tail
        u = -np.abs(y)
        return np.log((special.ndtr(u + b) - special.ndtr(u - b)) / (2 * b))

    h = _grid_entropy(logp, -b - 12, b + 12, 1e-3)
    assert UNIFORM_NOISE_MI[b] == pytest.approx(h - math.log(2 * b), abs=1e-8)
    assert UNIFORM_NOISE_MI[b] > 0.5 * math.log1p(3 / b**2)   # above the Gaussian fit


# ---------------------------------------------------------------------------- mixtures

def _grid_label_mi(means: tuple[float, ...], std: float, priors: np.ndarray,
                   atoms: np.ndarray) -> float:
    """E_Y[D(P_X|Y || P_X)] for X|Y=y: atom at 0 w.p. a_y, else N(m_y, std²), on a grid."""
    g = np.arange(min(means) - 14 * std, max(means) + 14 * std, std / 400)
    f = np.stack([(1 - a) * stats.norm.pdf(g, m, std) for m, a in zip(means, atoms,
                                                                        strict=True)])
    mix = priors @ f
    with np.errstate(divide="ignore", invalid="ignore"):
        integrand = np.where(f > 0, f * np.log(f / mix), 0.0)
    cont = float(priors @ np.trapezoid(integrand, g, axis=1))
    big_a = float(priors @ atoms)
    atom = sum(p * a * math.log(a / big_a) for p, a in zip(priors, atoms, strict=True) if a > 0)
    return cont + atom


QUAD_TASKS = [t for t in ALL if t.name in CACHED_MI]


def test_every_quadrature_task_is_cached() -> None:
    assert {t.name for t in QUAD_TASKS} == set(CACHED_MI)
    assert {t.half_width for t in ALL if isinstance(t, GaussianUniformNoise)} == \
        set(UNIFORM_NOISE_MI)


@pytest.mark.parametrize("task", QUAD_TASKS, ids=lambda t: t.name)
def test_quadrature_cache_recomputed(task: Task) -> None:
    cached = CACHED_MI[task.name]
    assert task.mutual_information() == cached
    assert task.mutual_information_by_quadrature() == pytest.approx(
        cached, abs=1e-11)
    if isinstance(task, LabelledMixture):
        k = len(task.means)
        pri = np.full(k, 1 / k) if task.priors is None else np.asarray(task.priors)
        ref = _grid_label_mi(task.means, task.std, pri, np.zeros(k))
    elif isinstance(task, ZeroInflated):
        k = len(task.means)
        ref = _grid_label_mi(task.means, task.std, np.full(k, 1 / k), np.asarray(task.atom_prob))
    else:
        assert isinstance(task, BimodalChannel)
        v = task.std**2 + task.noise_std**2
        m = task.mean

        def logp(y: np.ndarray) -> np.ndarray:
            return np.logaddexp(stats.norm.logpdf(y, -m, math.sqrt(v)),
                                stats.norm.logpdf(y, m, math.sqrt(v))) - math.log(2)

        ref = _grid_entropy(logp, -m - 14 * math.sqrt(v), m + 14 * math.sqrt(v), 1e-3) \
            - 0.5 * math.log(2 * math.pi * math.e * task.noise_std**2)
    assert cached == pytest.approx(ref, abs=1e-8)


def test_mixture_samples_follow_the_model() -> None:
    n = 40_000
    task = samplers.get("mixture-labels-0_2-p0.8_0.2")
    x, y = task.sample(n, seed=5)
    assert np.mean(y == 1) == pytest.approx(0.2, abs=4 * math.sqrt(0.16 / n))
    for k, m in enumerate((0.0, 2.0)):
        assert np.mean(x[y == k, 0]) == pytest.approx(m, abs=4 / math.sqrt(np.sum(y == k)))
    zi = samplers.get("zeroinflated-labels-0_2-a0.5_0.1")
    x, y = zi.sample(n, seed=6)
    for k, a in enumerate((0.5, 0.1)):
        frac = np.mean(x[y == k, 0] == 0.0)
        assert frac == pytest.approx(a, abs=4 * math.sqrt(a * (1 - a) / np.sum(y == k)))
    bc = samplers.get("bimodal-channel-m1.5-s0.5-n0.5")
    x, y = bc.sample(n, seed=7)
    assert np.var(y - x) == pytest.approx(0.25, rel=0.05)
    assert np.var(x) == pytest.approx(1.5**2 + 0.25, rel=0.05)


def test_legacy_mixture_samplers_are_one_dimensional() -> None:
    x, lab = samplers.sample_gaussian_mixture(20, [0.0, 3.0], seed=1)
    assert x.shape == (20,) and lab.dtype == np.int64
    x2, lab2 = LabelledMixture(means=(0.0, 3.0)).sample(20, seed=1)
    assert np.array_equal(x, x2[:, 0]) and np.array_equal(lab, lab2)


def test_mixture_entropy_of_one_component() -> None:
    assert samplers.gaussian_mixture_entropy([[0.0]], 2.0) == pytest.approx(
        0.5 * math.log(2 * math.pi * math.e * 2.0), abs=1e-10)
    assert samplers.gaussian_mixture_entropy([[0.0, 0.0]], 0.5) == pytest.approx(
        math.log(2 * math.pi * math.e * 0.5), abs=1e-8)
    # far-apart equal components: H = ½ log 2πeσ² + log 2
    assert samplers.gaussian_mixture_entropy([[0.0], [100.0]], 1.0) == pytest.approx(
        0.5 * math.log(2 * math.pi * math.e) + math.log(2), abs=1e-10)


# ---------------------------------------------------------------------------- discrete

@pytest.mark.parametrize(("table", "bits"), DISCRETE_TABLES)
def test_discrete_tables_hand_values(table: list[list[int]], bits: float) -> None:
    task = DiscreteTable(table=tuple(tuple(r) for r in table), label="t")
    assert task.mutual_information() == pytest.approx(bits * math.log(2), abs=1e-12)


def test_discrete_table_tasks() -> None:
    bsc = samplers.get("table-bsc-0.1")
    h = -(0.1 * math.log(0.1) + 0.9 * math.log(0.9))
    assert bsc.mutual_information() == pytest.approx(math.log(2) - h, abs=1e-13)
    assert samplers.get("table-identity-4").mutual_information() == pytest.approx(math.log(4))
    n = 50_000
    task = samplers.get("table-skewed-2x2")   # P = [[1/2, 1/4], [0, 1/4]]
    x, y = task.sample(n, seed=8)
    assert x.dtype == y.dtype == np.int64 and x.shape == (n,)
    freq = np.zeros((2, 2))
    np.add.at(freq, (x, y), 1.0 / n)
    p = np.array([[0.5, 0.25], [0.0, 0.25]])
    assert np.all(np.abs(freq - p) <= 4 * np.sqrt(p * (1 - p) / n) + 1e-12)


def test_independent_variants_have_zero_mi() -> None:
    for name in ("normal-dense-1x1-0", "normal-dense-3x3-0", "lowrank-100x100-k0",
                 "mixture-labels-0_0", "table-independent-2x2"):
        mi = samplers.get(name).mutual_information()
        assert mi == pytest.approx(0.0, abs=1e-14)
        assert math.copysign(1.0, mi) == 1.0   # not -0.0 in tables
    x, y = samplers.get("normal-dense-3x3-0").sample(20_000, seed=9)
    cross = np.corrcoef(x.T, y.T)[:3, 3:]
    assert np.max(np.abs(cross)) < 4 / math.sqrt(20_000)


# -------------------------------------------------------------------------- bijections

REF_MAPS = {
    "halfcube": lambda v: np.sign(v) * np.abs(v) ** 1.5,
    "cube": lambda v: v * v * v,
    "asinh": lambda v: np.log(v + np.sqrt(v * v + 1.0)),
    "normcdf": lambda v: 0.5 * special.erfc(-v / math.sqrt(2.0)),
    "wiggly": lambda v: v + 0.4 * np.sin(v) + 0.1 * np.sin(3 * v),
    "sine": lambda v: v + 0.5 * np.sin(v),
}

TRANSFORMED = [t for t in ALL if isinstance(t, Transformed)]


def _ref_spiral(v: np.ndarray, speed: float) -> np.ndarray:
    theta = speed * (v**2).sum(axis=1)
    out = v.copy()
    for i in range(0, v.shape[1] - 1, 2):
        z = (v[:, i] + 1j * v[:, i + 1]) * np.exp(1j * theta)
        out[:, i], out[:, i + 1] = z.real, z.imag
    return out


def _ref_bimodal(v: np.ndarray) -> np.ndarray:
    """Φ⁻¹-free reference: solve F(t) = Φ(v) with brentq, one value at a time."""
    def cdf(t: float) -> float:
        return float(np.mean([stats.norm.cdf(t, m, BIMODAL_STD) for m in BIMODAL_MEANS]))

    def sf(t: float) -> float:
        return float(np.mean([stats.norm.sf(t, m, BIMODAL_STD) for m in BIMODAL_MEANS]))

    from scipy import optimize
    out = np.empty_like(v)
    for idx, u in np.ndenumerate(v):
        if u <= 0:
            out[idx] = optimize.brentq(lambda t, u=u: cdf(t) - stats.norm.cdf(u), -30, 30,
                                       xtol=1e-14)
        else:
            out[idx] = optimize.brentq(lambda t, u=u: sf(t) - stats.norm.sf(u), -30, 30,
                                       xtol=1e-14)
    return out


@pytest.mark.parametrize("task", TRANSFORMED, ids=lambda t: t.name)
def test_transformed_samples_are_the_base_samples_mapped(task: Transformed) -> None:
    n = 20 if "bimodal" in task.name else 300
    x, y = task.sample(n, seed=13)
    bx, by = task.base.sample(n, seed=13)
    for out, base, fmap, side in ((x, bx, task.x_map, "x"), (y, by, task.y_map, "y")):
        if fmap is None:
            ref = base
        elif fmap == "spiral":
            ref = _ref_spiral(base, SPIRAL_SPEED)
        elif fmap == "bimodal":
            ref = _ref_bimodal(base)
        else:
            ref = REF_MAPS[fmap](base)
        if task.rotate and ref.shape[1] > 1:
            q = task.rotation(side)
            np.testing.assert_allclose(q @ q.T, np.eye(len(q)), atol=1e-12)
            assert np.max(np.abs(q)) < 0.99   # a real mixing, not a signed permutation
            ref = ref @ q.T
        np.testing.assert_allclose(out, ref, rtol=1e-9, atol=1e-9)
    assert task.mutual_information() == task.base.mutual_information()


@pytest.mark.parametrize("fmap", ["halfcube", "cube", "asinh", "normcdf", "wiggly", "sine",
                                  "bimodal"])
def test_coordinate_maps_are_strictly_increasing(fmap: str) -> None:
    g = np.linspace(-6.0, 6.0, 4001)[:, None]
    out = samplers.apply_map(fmap, g)[:, 0]
    assert np.all(np.diff(out) > 0)


def test_bimodal_map_gives_the_bimodal_distribution() -> None:
    x, _ = samplers.get("bimodal-normal-dense-1x1-0.75").sample(4000, seed=14)

    def cdf(t: np.ndarray) -> np.ndarray:
        return np.mean([stats.norm.cdf(t, m, BIMODAL_STD) for m in BIMODAL_MEANS], axis=0)

    assert stats.kstest(x[:, 0], cdf).pvalue > 1e-3


def test_spiral_is_a_norm_preserving_bijection() -> None:
    v = np.random.default_rng(15).standard_normal((500, 5))
    w = samplers.spiral(v)
    np.testing.assert_allclose(np.linalg.norm(w, axis=1), np.linalg.norm(v, axis=1),
                               rtol=1e-13)
    back = _ref_spiral(w, -SPIRAL_SPEED)   # rotate back by the same angle
    np.testing.assert_allclose(back, v, atol=1e-12)
    assert np.max(np.abs(w - v)) > 1.0


def test_swiss_roll_embedding_is_injective() -> None:
    task = samplers.get("swissroll-0.9")
    assert isinstance(task, SwissRoll)
    x, y = task.sample(20_000, seed=16)
    r = np.linalg.norm(y, axis=1)
    t = 4.5 * np.pi * r                       # invert the radius, then the angle agrees
    np.testing.assert_allclose(np.stack([r * np.cos(t), r * np.sin(t)], 1), y, atol=1e-9)
    y0 = stats.norm.ppf((t / (1.5 * np.pi) - 1) / 2)
    rho = np.corrcoef(x[:, 0], y0)[0, 1]
    assert rho == pytest.approx(0.9, abs=4 * (1 - 0.81) / math.sqrt(20_000))
    assert task.mutual_information() == pytest.approx(-0.5 * math.log(1 - 0.81), rel=1e-14)


# ------------------------------------------------------------------------ high-dimensional

@pytest.mark.parametrize("name", ["lowrank-50x50-k2", "lowrank-100x50-k3", "lowrank-200x200-k5",
                                  "lowrank-50x200-k3", "lowrank-50x50-k4", "lowrank-200x200-k1",
                                  "lowrank-2x2-k2", "lowrank-20x20-k2"])
def test_lowrank_mi_is_the_full_gaussian_mi(name: str) -> None:
    task = samplers.get(name)
    assert isinstance(task, LowRank)
    qx, qy = task.embedding("x"), task.embedding("y")
    np.testing.assert_allclose(qx.T @ qx, np.eye(task.dim_x), atol=1e-12)
    c = np.zeros((task.dim_x, task.dim_y))
    c[np.arange(task.k), np.arange(task.k)] = task.latent_corr
    cross = qx @ c @ qy.T
    cov = np.block([[np.eye(task.dim_x), cross], [cross.T, np.eye(task.dim_y)]])
    assert task.mutual_information() == pytest.approx(gaussian_mi(cov, task.dim_x), rel=1e-10)
    if task.dim_x <= 100:
        n = 20_000
        x, y = task.sample(n, seed=17)
        assert np.max(np.abs(x.T @ y / n - cross)) < 5 / math.sqrt(n)
        assert np.max(np.abs(x.T @ x / n - np.eye(task.dim_x))) < 6 / math.sqrt(n)
        # information is spread over coordinates, not in the first k columns
        if task.dim_x >= 50:
            assert np.max(np.abs(cross)) < 0.5


def test_highdim_and_dimension_suites() -> None:
    hd = samplers.suite("highdim")
    assert 20 <= len(hd) <= 24
    assert all(isinstance(t, LowRank) or (isinstance(t, Transformed)
                                          and isinstance(t.base, LowRank)) for t in hd)
    dims = {t.dim_x for t in hd} | {t.dim_y for t in hd}
    assert {50, 100, 200} <= dims
    assert any(t.dim_x != t.dim_y for t in hd)
    rotated = [t for t in hd if isinstance(t, Transformed) and t.rotate]
    assert len(rotated) >= 8
    assert any(t.x_map is None or t.y_map is None for t in rotated)      # one side mapped
    assert any(t.x_map != t.y_map and None not in (t.x_map, t.y_map) for t in rotated)
    assert {t.k for t in hd if isinstance(t, LowRank)} >= {0, 1, 2, 3, 4, 5}
    # the dimension suite: one MI, sides 2 … 200, plain and rotated cube, in order of d
    dim = samplers.suite("dimension")
    order = SUITES["dimension"]
    assert [samplers.get(n).dim_x for n in order[::2]] == [2, 5, 10, 20, 50, 100, 200]
    truths = {round(t.mutual_information(), 12) for t in dim}
    assert truths == {round(-0.5 * (math.log(1 - 0.81) + math.log(1 - 0.64)), 12)}
    assert sum(isinstance(t, Transformed) and t.rotate and t.x_map == "cube" for t in dim) == 7
    # tasks only in the dimension suite stay out of the lowdim suite
    assert "lowrank-2x2-k2" not in SUITES["lowdim"]
    assert "cube-rot-lowrank-2x2-k2" not in SUITES["lowdim"]


@pytest.mark.parametrize("name", ["cube-rot-lowrank-50x50-k2", "cube-id-rot-lowrank-100x100-k3",
                                  "cube-sine-rot-lowrank-100x50-k3"])
def test_rotated_bijection_truth_by_inversion(name: str) -> None:
    # the truth of a rotated bijection is the base's because the map can be undone: invert
    # the rotation and the coordinate map and the LowRank latent pairs come back, with their
    # correlations ρ_i (so the base MI −½ Σ log(1 − ρ_i²) is the MI of these samples)
    task = samplers.get(name)
    assert isinstance(task, Transformed) and isinstance(task.base, LowRank)
    base = task.base
    x, y = task.sample(20_000, seed=21)
    latents = []
    for v, fmap, side in ((x, task.x_map, "x"), (y, task.y_map, "y")):
        v = v @ task.rotation(side)                        # undo the rotation (orthogonal)
        if fmap == "sine":                                  # x + ½ sin x: Newton iterations
            w = v.copy()
            for _ in range(50):
                w -= (w + 0.5 * np.sin(w) - v) / (1 + 0.5 * np.cos(w))
            v = w
        elif fmap == "cube":
            v = np.cbrt(v)
        latents.append((v @ base.embedding(side))[:, :base.k])
    rho = [np.corrcoef(latents[0][:, i], latents[1][:, i])[0, 1] for i in range(base.k)]
    np.testing.assert_allclose(rho, base.latent_corr, atol=4 / math.sqrt(20_000))
    assert task.mutual_information() == pytest.approx(
        -0.5 * sum(math.log(1 - r * r) for r in base.latent_corr), rel=1e-12)


def test_lowrank_names_and_defaults() -> None:
    t = LowRank(dim_x=60, dim_y=70, k=2, corr=(0.3, -0.2), seed=4)
    assert t.name == "lowrank-60x70-k2-c0.3_m0.2-e4"
    assert t.mutual_information() == pytest.approx(
        -0.5 * (math.log(1 - 0.09) + math.log(1 - 0.04)), rel=1e-14)
    assert LowRank(dim_x=50, dim_y=50, k=2).latent_corr == (0.9, 0.8)


# ------------------------------------------------------------ the public helpers' input

def test_truth_functions_validate_their_arguments() -> None:
    with pytest.raises(ValueError, match=r"^`means` must be non-empty"):
        samplers.gaussian_mixture_mi([])
    with pytest.raises(ValueError, match=r"^`std` must be > 0, got -1"):
        samplers.gaussian_mixture_mi([0.0, 1.0], std=-1.0)
    with pytest.raises(ValueError, match=r"^`priors` must be 2 non-negative numbers summing"):
        samplers.gaussian_mixture_mi([0.0, 1.0], priors=[0.9, 0.9])
    with pytest.raises(ValueError, match=r"^`atom_prob` must be 2 probabilities in \[0, 1\)"):
        samplers.zero_inflated_mi([0.0, 2.0], [0.5, 1.0])
    with pytest.raises(ValueError, match=r"^`noise_std` must be > 0, got 0"):
        samplers.bimodal_channel_mi(1.5, 0.5, 0.0)
    with pytest.raises(ValueError, match=r"^`dim_x` must be an integer >= 1, got 0"):
        samplers.student_t_correction(2.0, 0, 1)
    with pytest.raises(ValueError, match=r"^`var` must be > 0"):
        samplers.gaussian_mixture_entropy([[0.0]], 0.0)
    with pytest.raises(ValueError, match=r"^`centres` must be finite"):
        samplers.gaussian_mixture_entropy([[0.0], [np.nan]], 1.0)
    # a grid that would not fit is refused before it is built (1e12 points here)
    with pytest.raises(ValueError, match=r"^`centres` must be within a grid of 5e\+07"):
        samplers.gaussian_mixture_entropy([[0.0, 0.0], [1e5, 1e5]], 1.0)
    # the one quadrature for both label mixtures: a zero-inflated mixture without atoms is
    # the plain one, and the registered values are unchanged
    assert samplers.zero_inflated_mi([0.0, 2.0], [0.0, 0.0]) == pytest.approx(
        samplers.gaussian_mixture_mi([0.0, 2.0]), abs=1e-13)


def test_maps_validate_their_arguments() -> None:
    v = np.random.default_rng(18).standard_normal((10, 2))
    with pytest.raises(ValueError, match=r"^`name` must be one of 'halfcube'.*got 'tan'"):
        samplers.apply_map("tan", v)
    with pytest.raises(ValueError, match=r"^`v` must be a 2-D array"):
        samplers.apply_map("asinh", v[:, 0])
    with pytest.raises(ValueError, match=r"^`v` must be finite"):
        samplers.spiral(np.array([[np.inf, 0.0]]))
    with pytest.raises(TypeError, match=r"^`speed` must be a real number"):
        samplers.spiral(v, speed="fast")  # type: ignore[arg-type]
    np.testing.assert_allclose(samplers.apply_map("asinh", v.tolist()), np.arcsinh(v),
                               rtol=1e-15)


def test_rotations_too_wide_are_refused_before_allocating() -> None:
    with pytest.raises(ValueError, match=r"^`dim_x` must be <= 4096 for a random orthogonal "
                                         r"embedding .*got 100000\."):
        LowRank(dim_x=100_000, dim_y=50, k=2)
    wide = MultivariateNormal(dim_x=5000, dim_y=1, corr=0.1)
    with pytest.raises(ValueError, match=r"^`base.dim_x` must be <= 4096"):
        Transformed(base=wide, x_map="asinh", rotate=True)
    assert Transformed(base=wide, x_map="asinh").dim_x == 5000    # no rotation: allowed
