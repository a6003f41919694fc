"""One conformance suite over every estimator: errors, determinism, order, symmetry, units."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from infoplane import estimators as est

# name -> (factory, whether y must be discrete labels, symmetric in (x, y), exact under
# reordering of the samples)
FAST_NEURAL = {"steps": 60, "batch_size": 64, "hidden": 16}
CASES: dict[str, tuple[Callable[..., Any], bool, bool, bool]] = {
    "binning": (lambda **kw: est.Binning(n_bins=8, bounds=(-3.0, 3.0), **kw), False, True, True),
    "binning-adaptive": (lambda **kw: est.Binning(mode="adaptive", n_bins=8, **kw), False, True,
                         True),
    "kde": (lambda **kw: est.KDE(noise_var=0.5, **kw), True, False, False),
    "ksg1": (lambda **kw: est.KSG(k=3, **kw), False, True, False),
    "ksg2": (lambda **kw: est.KSG(k=3, algorithm=2, **kw), False, True, False),
    "mixed-ross": (lambda **kw: est.MixedKSG(k=3, **kw), True, False, False),
    "gaussian": (lambda **kw: est.Gaussian(**kw), False, True, False),
    "mine": (lambda **kw: est.MINE(**FAST_NEURAL, **kw), False, False, False),
    "infonce": (lambda **kw: est.InfoNCE(**FAST_NEURAL, **kw), False, False, False),
    "nwj": (lambda **kw: est.NWJ(**FAST_NEURAL, **kw), False, False, False),
    "smile": (lambda **kw: est.SMILE(**FAST_NEURAL, **kw), False, False, False),
}
NAMES = list(CASES)


def data(name: str, n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2))
    if CASES[name][1]:
        y = (x[:, 0] + 0.5 * rng.standard_normal(n) > 0).astype(int)
    else:
        y = 0.8 * x + 0.6 * rng.standard_normal((n, 2))
    return x, y


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_under_a_seed(name: str) -> None:
    x, y = data(name)
    make = CASES[name][0]
    assert make(seed=3).estimate(x, y) == make(seed=3).estimate(x, y)


@pytest.mark.parametrize("name", NAMES)
def test_units(name: str) -> None:
    x, y = data(name)
    make = CASES[name][0]
    nats = make().estimate(x, y)
    assert make(unit="bits").estimate(x, y) == pytest.approx(nats / np.log(2), rel=1e-12)
    assert np.isfinite(nats) and nats > 0  # these pairs are strongly dependent


@pytest.mark.parametrize("name", NAMES)
def test_invariant_to_sample_order(name: str) -> None:
    x, y = data(name)
    make, _, _, exact = CASES[name]
    perm = np.random.default_rng(1).permutation(len(x))
    a, b = make().estimate(x, y), make().estimate(x[perm], y[perm])
    if exact:
        assert a == pytest.approx(b, rel=1e-12)
    elif name in ("mine", "infonce", "nwj", "smile"):
        assert b == pytest.approx(a, abs=0.25)  # different mini-batches: Monte-Carlo noise
    else:
        assert b == pytest.approx(a, rel=1e-6, abs=1e-9)  # tie-breaking jitter only


@pytest.mark.parametrize("name", [n for n in NAMES if CASES[n][2]])
def test_symmetric(name: str) -> None:
    x, y = data(name)
    make = CASES[name][0]
    assert make().estimate(x, y) == pytest.approx(make().estimate(y, x), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("mutate", "exc", "match"),
    [
        (lambda x, y: (np.where(np.arange(x.size).reshape(x.shape) == 0, np.nan, x), y),
         ValueError, "`x` must be finite"),
        (lambda x, y: (np.where(np.arange(x.size).reshape(x.shape) == 0, np.inf, x), y),
         ValueError, "`x` must be finite"),
        (lambda x, y: (x[:-1], y), ValueError, "same number of samples"),
        (lambda x, y: (np.empty((len(x), 0)), y), ValueError, "at least one feature"),
        (lambda x, y: (np.empty((0, 2)), y[:0]), ValueError, "non-empty"),
        (lambda x, y: (np.array(["a"] * len(x)), y), TypeError, "real numbers"),
    ],
)
def test_bad_input_gets_a_clear_error(name: str, mutate: Any, exc: type, match: str) -> None:
    if name.startswith("binning") and match == "real numbers":
        pytest.skip("Binning reads string arrays as discrete codes (documented)")
    x, y = data(name, n=60)
    xb, yb = mutate(x, y)
    with pytest.raises(exc, match=match):
        CASES[name][0]().estimate(xb, yb)


@pytest.mark.parametrize("name", [n for n in NAMES if CASES[n][1]])
def test_non_integer_labels_are_rejected(name: str) -> None:
    x, _ = data(name, n=60)
    with pytest.raises(ValueError, match="integer labels"):
        CASES[name][0]().estimate(x, np.linspace(0, 1, 60))


@pytest.mark.parametrize("name", NAMES)
def test_bad_options(name: str) -> None:
    make = CASES[name][0]
    with pytest.raises(ValueError, match="`unit` must be"):
        make(unit="dits")
    with pytest.raises((ValueError, TypeError), match="`seed`"):
        make(seed=-1)


@pytest.mark.parametrize("name", ["ksg1", "ksg2", "mixed-ross"])
def test_too_few_samples_for_k(name: str) -> None:
    x, y = data(name, n=3)
    with pytest.raises(ValueError, match="`k`"):
        CASES[name][0]().estimate(x, y)


@pytest.mark.parametrize("name", [n for n in NAMES
                                  if not n.startswith(("binning", "gaussian", "kde"))])
def test_more_dimensions_than_samples_is_refused(name: str) -> None:
    # d >= n: one line naming the argument, the sizes and what to do (Binning reads rows
    # as codes, the Gaussian estimator has its own, stricter n > d_x + d_y rule, and KDE's
    # pairwise bounds are defined in any dimension: see the next test).
    rng = np.random.default_rng(0)
    make, labels = CASES[name][0], CASES[name][1]
    wide = rng.standard_normal((12, 12))
    narrow = rng.standard_normal((12, 2))
    y = (narrow[:, 0] > 0).astype(int) if labels else narrow
    with pytest.raises(ValueError, match=r"`x` has 12 features but only 12 samples.*PCA"):
        make().estimate(wide, y)
    if not labels:
        with pytest.raises(ValueError, match=r"`y` has 12 features but only 12 samples"):
            make().estimate(narrow, wide)


def test_kde_estimate_agrees_with_plane_when_wider_than_long() -> None:
    # A 200-unit layer probed with 100 inputs: estimate (I(T;Y)) must not refuse what plane
    # computes.
    rng = np.random.default_rng(0)
    t = rng.standard_normal((100, 200))
    labels = np.arange(100) % 2
    est = CASES["kde"][0]()
    assert est.estimate(t, labels) == pytest.approx(est.plane(t, labels)[1], rel=1e-12)
