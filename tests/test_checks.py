"""Typed checks, the one combination rule, the symmetric band, and claim registration."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from infoplane.papers.interpretation._common import merge_seeds
from infoplane.reproduce import registry
from infoplane.reproduce.checks import Check, band, combine, seed_verdict
from infoplane.reproduce.registry import ClaimResult, claim

H, D, U = "holds", "does not hold", "indeterminate"


def _c(verdict: str, role: str = "measurement", name: str = "c") -> Check:
    return Check(name, verdict, role=role)  # type: ignore[arg-type]


@pytest.mark.parametrize(("checks", "expected"), [
    ([], "not testable here"),
    ([_c("not testable here")], "not testable here"),
    ([_c(H), _c(H)], H),
    ([_c(H), _c(D)], D),
    ([_c(H), _c(H), _c(H), _c(D)], D),      # one failing measurement decides
    ([_c(H), _c(U)], U),                    # one undecided part leaves the claim undecided
    ([_c(U), _c(U)], U),
    ([_c(U), _c(D)], D),
    ([_c(H), _c(D, "supporting")], "holds with caveats"),
    ([_c(H), _c(U, "supporting")], "holds with caveats"),
    ([_c(D), _c(H, "supporting")], D),
    ([_c(H), _c("refuted by counterexample", "counterexample")], H),
    ([_c(D), _c(H, "background")], D),
    ([_c("refuted by counterexample", "counterexample")], "not testable here"),
])
def test_combine_rule(checks: list[Check], expected: str) -> None:
    assert combine(checks) == expected


def test_check_validation_and_round_trip() -> None:
    c = Check("gap", H, {"x": float("nan"), "v": [1, 2]}, "gap < 1", "gap 0.1")
    assert c.numbers["x"] is None  # non-finite becomes null, JSON-able
    assert Check.from_dict(json.loads(json.dumps(c.to_dict()))) == c
    with pytest.raises(ValueError, match="`verdict`"):
        Check("x", "holds with caveats")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="counterexample"):
        Check("x", "refuted by counterexample")
    with pytest.raises(ValueError, match="counterexample"):
        Check("x", D, role="counterexample")
    with pytest.raises(ValueError, match="`role`"):
        Check("x", H, role="other")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="keys"):
        Check.from_dict({"name": "x", "verdict": H, "extra": 1})


def test_band_is_symmetric_and_noise_widens_the_indeterminate_zone() -> None:
    for mean in (-0.5, -0.15, -0.1, -0.05, 0.0, 0.3):
        for se in (0.0, 0.01, 0.1):
            side = band(mean, se, -0.1)
            mirror = band(-0.2 - mean, se, -0.1)  # reflected about the threshold
            assert {side, mirror} in ({"above", "below"}, {"indeterminate"})
    assert band(-0.3, 0.05, -0.1) == "below"
    assert band(-0.3, 0.2, -0.1) == "indeterminate"  # noisier: not easier to pass
    with pytest.raises(ValueError, match="`se`"):
        band(0.0, -1.0, 0.0)
    with pytest.raises(ValueError, match="`mean`"):
        band(math.nan, 0.0, 0.0)


def test_seed_verdict() -> None:
    assert seed_verdict([H, H, H]) == H
    assert seed_verdict([H, D]) == U
    assert seed_verdict([H, "not testable here"]) == H
    assert seed_verdict(["not testable here"] * 2) == "not testable here"
    with pytest.raises(ValueError):
        seed_verdict([])


def test_claim_result_verdict_must_be_the_combination() -> None:
    checks = [_c(H, name="a"), _c(D, name="b")]
    r = ClaimResult.from_checks("x", checks, why="two checks")
    assert r.verdict == D and "b: does not hold" in r.why
    with pytest.raises(ValueError, match="combination"):
        ClaimResult("x", H, "", checks=tuple(checks))
    again = ClaimResult.from_dict(json.loads(json.dumps(r.to_dict())))
    assert again == r and again.checks == tuple(checks)
    assert ClaimResult("x", "error", "boom", checks=tuple(checks)).verdict == "error"


def test_merge_seeds() -> None:
    merged = merge_seeds({0: [_c(H, name="a"), _c(D, name="b")],
                          1: [_c(H, name="a"), _c(H, name="b")]})
    assert [m.verdict for m in merged] == [H, U]
    assert merged[1].numbers["verdicts"] == {"0": D, "1": H}
    refuted = merge_seeds({0: [_c("holds", "counterexample")],
                           1: [_c("refuted by counterexample", "counterexample")]})
    assert refuted[0].verdict == "refuted by counterexample"
    with pytest.raises(ValueError, match="same checks"):
        merge_seeds({0: [_c(H, name="a")], 1: [_c(H, name="z")]})


def test_decorator_registers_once_beside_the_function(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "REGISTRY", {})
    monkeypatch.setattr(registry, "_DECLARED", {})

    def demo(ctx: registry.ClaimContext) -> ClaimResult:
        return ClaimResult.from_checks(ctx.claim_id, [_c(H)])

    demo.__qualname__ = "demo"  # as if defined at module level
    wrapped = claim("test-demo", paper="mmi", section="Eq. 0", statement="s",
                    measures="m")(demo)
    assert wrapped.__wrapped__ is demo  # type: ignore[attr-defined]
    assert registry.REGISTRY["test-demo"].func == f"{__name__}:demo"
    assert registry.REGISTRY["test-demo"].load_func() is _module_demo
    ctx = registry.ClaimContext(out_dir=Path("."), quick=True, seeds=1, seed=0)
    assert wrapped(ctx).claim_id == "test-demo"  # the id, written once, reaches the result
    with pytest.raises(TypeError, match="ClaimContext"):
        wrapped("not a context")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="declared once"):
        claim("test-demo", paper="mmi", section="", statement="", measures="")(other_demo)


def demo(ctx: registry.ClaimContext) -> ClaimResult:
    """A module-level claim function for the decorator test."""
    return ClaimResult.from_checks(ctx.claim_id or "test-demo", [_c(H)])


_module_demo = demo


def other_demo(ctx: registry.ClaimContext) -> ClaimResult:  # pragma: no cover - never run
    """A second function that must not take the id of :func:`demo`."""
    raise AssertionError


def test_load_builtin_refills_an_emptied_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    full = dict(registry.load_builtin())
    monkeypatch.setattr(registry, "REGISTRY", {})
    again = registry.load_builtin()
    assert list(again) == list(full)
    assert all(c.func.startswith("infoplane.papers.") for c in again.values())
