"""Tests for infoplane.papers.interpretation.dynamics: Claim 2.1's run, judges and claim."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from infoplane.analysis.dynamics import fit_growth
from infoplane.papers.interpretation import dynamics as pd
from infoplane.papers.interpretation._common import analysis_dir
from infoplane.reproduce.checks import combine
from infoplane.reproduce.registry import ClaimContext

MEAS = ("first maximum in polynomial time", pd.T2_CHECK)
DETERMINISTIC = ("(9) as written (+ b_t²) bounds E‖w_t − w*‖²",
                 "(9) with + d b_t² bounds E‖w_t − w*‖²",
                 "unrolled (10)/(12): E <= Π(...)E₁ + Σ b_s²",
                 "'linearly fast' convergence under a_t = 1/t, b_t = 1/√t")


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], ClaimContext]:
    """One quick run, written where the claim's cache for seed 0 expects it."""
    root = tmp_path_factory.mktemp("report")
    ctx = ClaimContext(out_dir=root / "claims" / "interp-claim-2-1", quick=True, seeds=1,
                       seed=0)
    ctx.out_dir.mkdir(parents=True)
    res = pd.run(analysis_dir("dynamics", ctx, 0), quick=True, seed=0)
    return res, ctx


def _by_name(checks: list[Any]) -> dict[str, Any]:
    return {c.name: c for c in checks}


@pytest.mark.e2e
def test_run_writes_measurements_and_figures(quick: tuple[dict[str, Any], ClaimContext]) -> None:
    res, ctx = quick
    d = analysis_dir("dynamics", ctx, 0)
    for name in res["figures"].values():
        assert (d / name).stat().st_size > 10_000
    on_disk = json.loads((d / "dynamics.json").read_text())
    assert on_disk["information"]["second"]["median_t2"] == res["information"]["second"][
        "median_t2"]
    assert "verdicts" not in res
    info = res["information"]
    assert info["basins"]["info_second"] > info["basins"]["info_first"]
    assert info["first"]["predicted_exponent"] == pytest.approx(1.0)
    # medians are increasing in beta for both times
    assert np.all(np.diff(info["first"]["median_t1"]) > 0)
    assert np.all(np.diff(info["second"]["median_t2"]) > 0)


def test_judge_on_real_quick_measurement(quick: tuple[dict[str, Any], ClaimContext]) -> None:
    res, _ = quick
    checks = pd.judge(res)
    by = _by_name(checks)
    assert [c.name for c in checks if c.role == "measurement"] == list(MEAS)
    assert by[MEAS[0]].verdict == "holds" and by[MEAS[0]].numbers["delta_aic"] < -pd.AIC_MARGIN
    assert by[MEAS[1]].verdict == "holds" and by[MEAS[1]].numbers["delta_aic"] > pd.AIC_MARGIN
    assert by[MEAS[1]].numbers["higher"] == "holds"
    for name in DETERMINISTIC:
        assert by[name].role == "supporting"
        assert "fixed by construction" in by[name].why
    assert by[DETERMINISTIC[0]].verdict == "does not hold"
    assert by[DETERMINISTIC[1]].verdict == "holds"
    assert by[DETERMINISTIC[2]].verdict == "does not hold"
    assert by[DETERMINISTIC[3]].verdict == "does not hold"
    assert by["Arrhenius rate vs barrier"].verdict == "holds"
    # the headline holds; the proof's steps that fail make it "with caveats"
    assert combine(checks) == "holds with caveats"
    assert combine([c for c in checks if c.role == "measurement"]) == "holds"


def _refit(sec: dict[str, Any], key: str, times: np.ndarray) -> None:
    sec[f"median_{key}"] = times.tolist()
    fit = fit_growth(sec["beta"], times, sec[f"se_log_{key}"])
    sec["fit"] = pd._fit_dict(fit)


def test_forced_polynomial_t2_flips_the_claim(quick: tuple[dict[str, Any], ClaimContext]
                                              ) -> None:
    res, _ = quick
    real = combine(pd.judge(res))
    bad = copy.deepcopy(res)
    sec = bad["information"]["second"]
    beta = np.asarray(sec["beta"])
    _refit(sec, "t2", 50.0 * beta**3)  # t2 growing polynomially in 1/T
    checks = pd.judge(bad)
    assert _by_name(checks)[MEAS[1]].verdict == "does not hold"
    assert _by_name(checks)[MEAS[1]].numbers["growth"] == "does not hold"
    assert combine(checks) == "does not hold" != real


def test_forced_not_higher_flips_the_claim(quick: tuple[dict[str, Any], ClaimContext]) -> None:
    res, _ = quick
    bad = copy.deepcopy(res)
    pl = bad["information"]["plateau"]
    pl["diff_mean"] = [-abs(v) for v in pl["diff_mean"]]  # the later plateau is lower
    checks = pd.judge(bad)
    assert _by_name(checks)[MEAS[1]].numbers["higher"] == "does not hold"
    assert combine(checks) == "does not hold"
    # a difference within noise is indeterminate, not "holds"
    unsure = copy.deepcopy(res)
    unsure["information"]["plateau"]["diff_se"] = [10 * abs(v) for v in pl["diff_mean"]]
    checks = pd.judge(unsure)
    assert _by_name(checks)[MEAS[1]].verdict == "indeterminate"
    assert combine(checks) == "indeterminate"


def test_forced_exponential_t1_flips_the_claim(quick: tuple[dict[str, Any], ClaimContext]
                                               ) -> None:
    res, _ = quick
    bad = copy.deepcopy(res)
    sec = bad["information"]["first"]
    beta = np.asarray(sec["beta"])
    _refit(sec, "t1", 5.0 * np.exp(0.3 * beta))  # t1 exponential in 1/T
    checks = pd.judge(bad)
    assert _by_name(checks)[MEAS[0]].verdict == "does not hold"
    assert combine(checks) == "does not hold"


def test_claim_uses_the_cached_run(quick: tuple[dict[str, Any], ClaimContext]) -> None:
    res, ctx = quick
    out = pd.claim_2_1(ctx)
    assert out.claim_id == "interp-claim-2-1"
    assert out.verdict == "holds with caveats"
    assert "t1 ∝ T^-" in out.key_number and "t2 ∝ e^(" in out.key_number
    assert all(Path(f).is_file() for f in out.figures) and len(out.figures) == 3
    assert {c.name for c in out.checks} >= set(MEAS)
    assert out.numbers["seeds"] == [0] and out.numbers["t2_rate"]["n"] == 1
    assert out.numbers["t2_rate"]["mean"] == pytest.approx(
        res["information"]["second"]["fit"]["exp_rate"])
    # the claim judged the cached run (not a fresh one): same numbers as judging it here
    first = _by_name(list(out.checks))[MEAS[0]]
    assert first.numbers["delta_aic"] == _by_name(pd.judge(res))[MEAS[0]].numbers["delta_aic"]
