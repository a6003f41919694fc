"""Judges and claims of Appendices A–C and Saxe et al.'s point 3 (papers.interpretation.bounds).

Each claim gets a test of its judge on realistic measured numbers (asserting the real verdict)
and a forced-wrong input that changes the combined verdict, both asserted exactly.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from infoplane import discrete
from infoplane.analysis import bounds as tools
from infoplane.papers.interpretation import bounds as pb
from infoplane.reproduce.checks import Check, combine


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _checkpoint_tables() -> tuple[list[int], list[np.ndarray], np.ndarray]:
    """A classifier on 64 inputs sharpening over "training": logits scaled by 0.01 ... 8."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 64)
    base = np.where(np.eye(2)[y] > 0, 1.0, -1.0) + 0.3 * rng.normal(size=(64, 2))
    scales = [0.01, 0.3, 2.0, 8.0]
    return list(range(len(scales))), [_softmax(s * base) for s in scales], y


def _by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def _bound_by_hand(p: np.ndarray) -> tuple[float, float]:
    """I(X;Ỹ) and 2(Var p(Ỹ) + Var p(Ỹ|X)) computed independently of the tool."""
    n = p.shape[0]
    joint = p / n
    mi = discrete.mutual_information_from_table(joint)
    py = np.broadcast_to(p.mean(axis=0), p.shape)
    var = [float(np.sum(joint * v ** 2) - np.sum(joint * v) ** 2) for v in (py, p)]
    return mi, 2.0 * sum(var)


# ------------------------------------------------------------------------------ Appendix A
def test_appendix_a_judge_on_sharpening_classifier() -> None:
    ep, probs, _ = _checkpoint_tables()
    checks = _by_name(pb.judge_appendix_a({"appendix_a": pb.appendix_a_block(ep, probs)}))
    by_hand = [_bound_by_hand(p) for p in probs]
    held = sum(mi <= rhs for mi, rhs in by_hand)
    assert 0 < held < len(probs)                      # holds early, fails once sharp
    end = checks["(33) end to end"]
    assert end.role == "measurement" and end.verdict == "does not hold"
    assert end.numbers["held"] == held
    assert checks["(31)-(32)"].verdict == "holds"        # softmax: no zeros, E f = 1
    assert checks["(31)-(32)"].role == "background"      # an identity once E f = 1
    assert checks["(33) line 1"].verdict == "holds"
    eq = checks["(33) '=' of lines 1-2"]
    assert (eq.role, eq.verdict) == ("counterexample", "refuted by counterexample")
    assert checks["(33) last line"].verdict == "does not hold"
    for key in ("2x2 table eps=0.25", "2x2 table eps=0.001"):
        assert checks[key].role == "counterexample"
        assert checks[key].verdict == "refuted by counterexample"
    assert combine(list(checks.values())) == "does not hold"


def test_appendix_a_checkpoints_where_the_bound_holds() -> None:
    """Forced input: rows all equal (X, Ỹ independent) — every line of (33) holds."""
    table = np.tile([0.3, 0.7], (4, 1))
    mi, rhs = _bound_by_hand(table)
    assert mi == pytest.approx(0.0, abs=1e-15) and rhs > 0
    block = pb.appendix_a_block([0, 1], [table, table])
    checks = pb.judge_appendix_a({"appendix_a": block})
    assert {c.name: c.verdict for c in checks if c.role != "counterexample"} == dict.fromkeys(
        ["(33) end to end", "(31)-(32)", "(33) line 1", "(33) line 2", "(33) last line"],
        "holds")
    assert _by_name(checks)["(33) '=' of lines 1-2"].verdict == "holds"  # χ² = 0 here
    assert combine(checks) == "holds"
    # the counterexample is reported apart: it does not change the verdict
    assert _by_name(checks)["2x2 table eps=0.25"].verdict == "refuted by counterexample"


def test_appendix_a_near_uniform_checkpoint_holds_with_caveats() -> None:
    """Only the early, near-uniform checkpoint: the bound holds, but its last step does not
    (a caveat); the '=' of (33) is refuted there too, reported apart, not decisive."""
    ep, probs, _ = _checkpoint_tables()
    mi, rhs = _bound_by_hand(probs[0])
    assert mi <= rhs
    checks = pb.judge_appendix_a({"appendix_a": pb.appendix_a_block(ep[:1], probs[:1])})
    c = _by_name(checks)
    assert c["(33) end to end"].verdict == "holds"
    assert c["(33) '=' of lines 1-2"].verdict == "refuted by counterexample"
    assert c["(33) last line"].verdict == "does not hold"
    assert combine(checks) == "holds with caveats"


def test_appendix_a_counterexample_table_as_checkpoint() -> None:
    """Forced input: the 2x2 table as a 'trained checkpoint' makes the measurement fail."""
    table = np.array([[0.75, 0.25], [0.25, 0.75]])
    mi, rhs = _bound_by_hand(table)
    assert mi == pytest.approx(0.75 * math.log(1.5) + 0.25 * math.log(0.5))
    assert rhs == pytest.approx(3 / 32) and mi > rhs
    checks = pb.judge_appendix_a({"appendix_a": pb.appendix_a_block([0], [table])})
    assert _by_name(checks)["(33) end to end"].verdict == "does not hold"
    assert combine(checks) == "does not hold"


def test_appendix_a_hard_classifier_breaks_31_32() -> None:
    """p(ỹ|x) with zeros: E f = 1/2 != 1, so (32) and even the remainder bound fail."""
    checks = _by_name(pb.judge_appendix_a(
        {"appendix_a": pb.appendix_a_block([0], [np.eye(2)])}))
    assert checks["(31)-(32)"].verdict == "does not hold"
    # I = log 2 > 1/2 E[(f-1)^2 + (1-1/f)^2] = 1/2 (1/4 + 1) = 5/8
    assert checks["(33) line 1"].numbers["rhs"] == [pytest.approx(0.625)]
    assert checks["(33) line 1"].verdict == "does not hold"


def test_appendix_a_counterexample_that_holds_is_reported_as_holds() -> None:
    block = pb.appendix_a_block([0], [np.tile([0.3, 0.7], (4, 1))], counterexample_eps=())
    block["counterexamples"] = {"independent": asdict(tools.appendix_a(np.tile([0.5, 0.5],
                                                                              (2, 1))))}
    ce = _by_name(pb.judge_appendix_a({"appendix_a": block}))["2x2 table independent"]
    assert ce.role == "counterexample" and ce.verdict == "holds"


# ------------------------------------------------------------------------------ Appendix B
def test_appendix_b_judge_on_sharpening_classifier() -> None:
    ep, probs, y = _checkpoint_tables()
    checks = _by_name(pb.judge_appendix_b({"appendix_b": pb.appendix_b_block(ep, probs, y)}))
    n = 64
    for k, p in enumerate(probs):   # the consistent-A bound, by hand, is far below I
        soft = np.eye(2)[y].T @ p / n
        py, pt = soft.sum(axis=1), soft.sum(axis=0)
        hard = p.argmax(axis=1)
        bound = (-np.mean(np.log(py[y] * pt[hard])) - math.log(n)
                 + np.mean(np.log(p[np.arange(n), y])))
        assert bound < 0 <= discrete.mutual_information_from_table(soft)
        assert checks["(39) consistent A"].numbers["lhs"][k] == pytest.approx(bound)
    assert checks["(39) consistent A"].verdict == "holds"
    assert checks["(39) consistent A"].role == "background"          # holds by construction
    assert checks["(39) informative"].verdict == "does not hold"      # vacuous
    stated = checks["(39) as stated (literal A)"]
    assert (stated.role, stated.verdict) == ("measurement", "does not hold")
    assert checks["(39) step 1->2"].verdict == "holds"
    assert checks["(39) step 3->4"].verdict == "holds"
    assert combine(list(checks.values())) == "does not hold"


def test_appendix_b_confidently_wrong_classifier_satisfies_the_stated_bound() -> None:
    """Forced input: a classifier confidently wrong on its samples makes (39) as stated hold."""
    n = 64
    y = np.arange(n) % 2
    p = np.full((n, 2), 0.999)
    p[np.arange(n), y] = 0.001
    checks = _by_name(pb.judge_appendix_b({"appendix_b": pb.appendix_b_block([0], [p], y)}))
    assert checks["(39) as stated (literal A)"].verdict == "holds"
    assert combine(list(checks.values())) == "holds"


def test_appendix_b_two_inputs_bound_exceeds_mi() -> None:
    """Forced input: one input per class. (36) is an estimate, not a bound: it exceeds I."""
    probs = np.array([[0.9, 0.1], [0.2, 0.8]])
    soft = np.array([[0.45, 0.05], [0.1, 0.4]])
    mi = discrete.mutual_information_from_table(soft)
    # j-sum has one term, argmax = label, so the bound is (36)/n
    line36 = 0.5 * (math.log(0.45 / (0.5 * 0.55)) + math.log(0.4 / (0.5 * 0.45)))
    assert line36 > mi
    checks = _by_name(pb.judge_appendix_b(
        {"appendix_b": pb.appendix_b_block([0], [probs], [0, 1])}))
    assert checks["(39) consistent A"].numbers["lhs"] == [pytest.approx(line36)]
    assert checks["(39) consistent A"].verdict == "does not hold"
    assert checks["(39) informative"].verdict == "holds"
    assert checks["(39) as stated (literal A)"].verdict == "does not hold"
    assert combine(list(checks.values())) == "does not hold"


# ------------------------------------------------------------------------------ Appendix C
@pytest.fixture(scope="module")
def sweep() -> dict[str, Any]:
    gm = tools.GaussianMixture()
    deltas = np.logspace(0.5, -3, 12)
    return {"appendix_c": pb.appendix_c_block(gm, deltas, n_samples=500),
            "saxe": pb.saxe_block(gm, deltas, n_samples=500),
            "step": pb.step_map_series(gm, deltas)}


def test_appendix_c_judge(sweep: dict[str, Any]) -> None:
    checks = pb.judge_appendix_c(sweep)
    assert [c.verdict for c in checks] == ["holds", "holds"]
    c = sweep["appendix_c"]
    assert checks[1].numbers["slope"] == pytest.approx(1.0, abs=1e-3)   # h(X) - log Δ
    assert c["h_binned_exact"][-1] == pytest.approx(c["h_x"] - math.log(1e-3), abs=1e-6)
    assert combine(checks) == "holds"


def test_appendix_c_finitely_valued_map_does_not_diverge(sweep: dict[str, Any]) -> None:
    """Forced input: g with four values — binned I(X; g(X)) settles at H(g(X))."""
    step = sweep["step"]
    h_g = sweep["saxe"]["control_step"]["h_g"]
    assert step[-1] == pytest.approx(h_g, abs=1e-12)
    forced = {"appendix_c": dict(sweep["appendix_c"], h_binned_exact=step)}
    checks = pb.judge_appendix_c(forced)
    assert [c.verdict for c in checks] == ["holds", "does not hold"]
    assert combine(checks) == "does not hold"


def test_appendix_c_continuous_y_does_not_converge(sweep: dict[str, Any]) -> None:
    """Forced input: Y = X (continuous) in place of the discrete Y: no convergence."""
    c = sweep["appendix_c"]
    forced = {"appendix_c": dict(c, mi_binned_exact=c["h_binned_exact"])}
    checks = pb.judge_appendix_c(forced)
    assert checks[0].verdict == "does not hold"
    assert combine(checks) == "does not hold"


# ------------------------------------------------------------------------------ Saxe
def test_saxe_tanh_neuron_diverges(sweep: dict[str, Any]) -> None:
    checks = pb.judge_saxe_continuous_mi(sweep)
    assert len(checks) == 1 and checks[0].verdict == "holds"
    assert checks[0].numbers["slope"] > 0.8
    assert checks[0].numbers["control_step_map_slope"] == pytest.approx(0.0, abs=1e-9)
    assert combine(checks) == "holds"


def test_saxe_quantised_neuron_does_not_diverge(sweep: dict[str, Any]) -> None:
    """Forced input: a 4-level quantised neuron in place of tanh."""
    forced = {"saxe": dict(sweep["saxe"], i_binned_exact=sweep["step"])}
    checks = pb.judge_saxe_continuous_mi(forced)
    assert checks[0].verdict == "does not hold"
    assert combine(checks) == "does not hold"


def test_divergence_slope() -> None:
    d = [1.0, 0.1, 0.01, 0.001]
    assert pb.divergence_slope(d, [3.0 - 2 * math.log(v) for v in d]) == pytest.approx(2.0)
    assert pb.divergence_slope(d, [1.0] * 4) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="same length"):
        pb.divergence_slope(d, [1.0])


# ------------------------------------------------------------------------------ run
@pytest.mark.e2e
def test_run_writes_outputs_and_judges_it(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    ep, probs, y = _checkpoint_tables()

    def fake(quick: bool, seed: int) -> tuple[Any, ...]:
        return ep, probs, y, [0.5] * len(ep)

    monkeypatch.setattr(pb, "_checkpoints", fake)
    res = pb.run(tmp_path, quick=True)
    for name in ("bounds_appendix_a.png", "bounds_appendix_b.png", "bounds_appendix_c.png",
                 "bounds_saxe_tanh.png", "bounds.json"):
        assert (tmp_path / name).exists()
    data = json.loads((tmp_path / "bounds.json").read_text())
    assert data["figures"]["saxe"] == "bounds_saxe_tanh.png"
    assert combine(pb.judge_appendix_a(data)) == "does not hold"
    assert combine(pb.judge_appendix_b(data)) == "does not hold"
    assert combine(pb.judge_appendix_c(data)) == "holds"
    assert combine(pb.judge_saxe_continuous_mi(res)) == "holds"


@pytest.mark.e2e
def test_claims_end_to_end_quick(tmp_path: Path) -> None:
    from infoplane.reproduce.registry import ClaimContext

    out = tmp_path / "claims" / "x"
    out.mkdir(parents=True)
    ctx = ClaimContext(out_dir=out, quick=True, seeds=1, seed=0)
    verdicts = {f.__name__: f(ctx).verdict for f in (
        pb.claim_appendix_a, pb.claim_appendix_b, pb.claim_appendix_c,
        pb.claim_saxe_continuous_mi)}
    assert verdicts == {"claim_appendix_a": "does not hold",
                        "claim_appendix_b": "does not hold",
                        "claim_appendix_c": "holds", "claim_saxe_continuous_mi": "holds"}
