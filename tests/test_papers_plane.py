"""Information-plane claims: the phase statistics and their judges, on curves with known
phases (forced-wrong inputs included) and one real quick experiment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from infoplane.papers.interpretation import plane
from infoplane.reproduce.checks import combine
from infoplane.reproduce.registry import ClaimContext

STEPS = np.arange(0, 101, 5)
LAYERS = ["act1", "act2", "softmax"]


def _curves(kind: str, runs: int = 4, noise: float = 0.02, seed: int = 0
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """I(X;T), I(T;Y) (runs, steps, layers) and accuracy (runs, steps) with a known shape.

    ``tishby``: I(X;T) rises to 6 bits by step 20, then falls to 4; I(T;Y) rises to 0.9 by step
    20 and stays; accuracy keeps rising. ``no_compression``: I(X;T) rises and stays.
    ``losing``: I(X;T) falls but I(T;Y) falls too. ``flat``: nothing changes.
    """
    rng = np.random.default_rng(seed)
    t = STEPS / STEPS[-1]
    rise = np.minimum(t / 0.2, 1.0)
    if kind == "tishby":
        ixt = 2 + 4 * rise - 2 * np.clip((t - 0.2) / 0.8, 0, 1)
        ity = 0.1 + 0.8 * rise
    elif kind == "no_compression":
        ixt, ity = 2 + 4 * rise, 0.1 + 0.8 * rise
    elif kind == "losing":
        ixt = 2 + 4 * rise - 2 * np.clip((t - 0.2) / 0.8, 0, 1)
        ity = 0.1 + 0.8 * rise - 0.6 * np.clip((t - 0.2) / 0.8, 0, 1)
    elif kind == "flat":
        ixt, ity = np.full_like(t, 3.0), np.full_like(t, 0.5)
    else:
        raise ValueError(kind)
    shape = (runs, t.size, len(LAYERS))
    ixt_all = np.broadcast_to(ixt[None, :, None], shape) + noise * rng.standard_normal(shape)
    ity_all = np.broadcast_to(ity[None, :, None], shape) + noise * rng.standard_normal(shape)
    acc = np.broadcast_to((0.5 + 0.5 * t)[None], shape[:2]).copy()
    return ixt_all, ity_all, acc


def _stats(kind: str, **kw: float) -> dict[str, dict[str, object]]:
    ixt, ity, acc = _curves(kind, **kw)  # type: ignore[arg-type]
    return plane.phase_statistics(ixt, ity, STEPS, LAYERS, acc, ceiling=12.0)


def test_phase_statistics_measure_known_phases() -> None:
    st = _stats("tishby", noise=0.0)["act1"]
    assert st["fitting"]["mean"] == pytest.approx(0.8)
    assert st["compression"]["mean"] == pytest.approx(-2.0)
    assert st["kept"]["mean"] == pytest.approx(0.0, abs=1e-12)
    assert st["boundary_step"] == [20, 20, 20, 20]
    assert st["acc_gain"]["mean"] == pytest.approx(0.4)


def test_compression_statistic_is_not_negative_by_construction() -> None:
    # pure noise around a constant: leave-one-out keeps the statistic centred, so some runs
    # come out positive (final - own maximum would be <= 0 in every run)
    st = _stats("flat", runs=8, noise=0.3)["act1"]["compression"]
    assert max(st["per_run"]) > 0 > min(st["per_run"])
    assert abs(st["mean"]) < 3 * st["se"] + 1e-12


@pytest.mark.parametrize(("kind", "expected"), [
    ("tishby", "holds"),
    ("no_compression", "does not hold"),   # a network that does not compress
    ("losing", "does not hold"),           # compression that loses I(T;Y)
    ("flat", "does not hold"),             # no fitting phase either
])
def test_fitting_compression_verdict_follows_the_curves(kind: str, expected: str) -> None:
    checks = plane.judge_fitting_compression(_stats(kind))
    assert combine(checks) == expected
    assert {c.name.split(":")[0] for c in checks} == {"act1", "act2"}  # hidden layers only


def test_noisy_curves_are_indeterminate_not_support() -> None:
    checks = plane.judge_fitting_compression(_stats("tishby", noise=3.0, runs=3))
    comp = [c for c in checks if c.name.endswith(": compression")]
    assert all(c.verdict == "indeterminate" for c in comp)
    assert combine(checks) != "holds"


def test_saxe_relu_uses_the_same_statistic_mirrored() -> None:
    # the same curves decide both claims, with the same threshold, in opposite directions
    assert combine(plane.judge_saxe_relu(_stats("no_compression"))) == "holds"
    assert combine(plane.judge_saxe_relu(_stats("tishby"))) == "does not hold"
    noisy = plane.judge_saxe_relu(_stats("tishby", noise=3.0, runs=3))
    assert all(c.verdict == "indeterminate" for c in noisy)


def test_saxe_gaussian_needs_compression_and_fitting() -> None:
    assert combine(plane.judge_saxe_gaussian(_stats("tishby"))) == "holds"
    assert combine(plane.judge_saxe_gaussian(_stats("no_compression"))) == "does not hold"
    ixt, ity, acc = _curves("tishby")
    acc[:] = 0.5  # accuracy no longer rising after the I(X;T) maximum
    stats = plane.phase_statistics(ixt, ity, STEPS, LAYERS, acc, ceiling=12.0)
    assert combine(plane.judge_saxe_gaussian(stats)) == "does not hold"


def test_one_run_is_indeterminate_and_saturated_layers_are_not_testable() -> None:
    ixt, ity, acc = _curves("tishby", runs=1)
    one = plane.phase_statistics(ixt, ity, STEPS, LAYERS, acc, ceiling=12.0)
    assert combine(plane.judge_fitting_compression(one)) == "indeterminate"
    ixt, ity, acc = _curves("tishby")
    sat = plane.phase_statistics(ixt, ity, STEPS, LAYERS, acc, ceiling=2.0)
    assert all(s["saturated"] for s in sat.values())
    assert combine(plane.judge_fitting_compression(sat)) == "not testable here"


def test_phase_statistics_reject_bad_shapes() -> None:
    ixt, ity, acc = _curves("tishby")
    with pytest.raises(ValueError, match="same shape"):
        plane.phase_statistics(ixt, ity[:, :-1], STEPS, LAYERS)
    with pytest.raises(ValueError, match="increasing"):
        plane.phase_statistics(ixt, ity, STEPS[::-1], LAYERS)
    with pytest.raises(ValueError, match="`accuracy`"):
        plane.phase_statistics(ixt, ity, STEPS, LAYERS, acc[:, :-1])


@pytest.mark.e2e
def test_claims_on_a_real_quick_experiment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    from infoplane.papers.interpretation import experiments

    real = experiments.run_experiment

    def short(name: str, **kw: object) -> experiments.ExperimentResult:
        kw["epochs"] = 20
        return real(name, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(experiments, "run_experiment", short)
    out = tmp_path / "claims" / "interp-saxe-gaussian"
    out.mkdir(parents=True)
    res = plane.claim_saxe_gaussian(ClaimContext(out_dir=out, quick=True, seeds=2, seed=0))
    assert res.verdict == combine(res.checks)
    assert set(res.numbers["per_layer_verdict"]) == {"act1", "act2", "act3", "act4", "act5"}
    assert res.figures and all(Path(f).is_file() for f in res.figures)
    stats = res.numbers["phase_statistics"]["act5"]
    assert len(stats["compression"]["per_run"]) == 2


def test_kept_is_not_testable_when_the_maximum_is_the_last_step() -> None:
    t = STEPS / STEPS[-1]
    ixt = np.broadcast_to((2 + 4 * t)[None, :, None], (3, t.size, len(LAYERS))).copy()
    ity = np.broadcast_to((0.1 + 0.8 * t)[None, :, None], ixt.shape).copy()
    checks = plane.judge_fitting_compression(plane.phase_statistics(ixt, ity, STEPS, LAYERS,
                                                                    ceiling=12.0))
    kept = [c for c in checks if c.name.endswith("I(T;Y) kept")]
    assert kept and all(c.verdict == "not testable here" for c in kept)
    assert combine(checks) == "does not hold"  # no compression decides, not the empty "kept"
