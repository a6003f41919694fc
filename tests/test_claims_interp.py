"""Tests of the interpretation-paper claims: mapping logic with fakes, one real run."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from infoplane.reproduce import claims_interp
from infoplane.reproduce.registry import REGISTRY, VERDICTS, ClaimContext


def _ctx(tmp_path: Path, cid: str, seeds: int = 3) -> ClaimContext:
    out = tmp_path / "claims" / cid
    out.mkdir(parents=True)
    return ClaimContext(out_dir=out, quick=True, seeds=seeds, seed=0)


def test_registered() -> None:
    claims_interp.register_all()
    claims_interp.register_all()
    for cid in claims_interp.CLAIM_IDS:
        assert cid.startswith("interp-")
        assert REGISTRY[cid].paper == "interpretation"
        assert callable(REGISTRY[cid].load_func())


def test_worst_verdict() -> None:
    w = claims_interp.worst_verdict
    assert w(["holds", "holds"]) == "holds"
    assert w(["holds", "holds with caveats"]) == "holds with caveats"
    assert w(["holds with caveats", "does not hold", "holds"]) == "does not hold"
    with pytest.raises(ValueError):
        w([])
    with pytest.raises(ValueError):
        w(["maybe"])


def _fake_bounds(calls: list[Path]) -> Any:
    def run(out: Path, *, quick: bool, seed: int) -> dict[str, Any]:
        calls.append(Path(out))
        (Path(out) / "fig.png").write_bytes(b"png")
        return {"verdicts": [
            {"claim": "A (33) first", "holds": "holds", "why": "a1"},
            {"claim": "A (33) second", "holds": "holds with caveats", "why": "a2"},
            {"claim": "B (39): lower", "holds": "does not hold", "why": "b"},
            {"claim": "C (42)-(43): diverges", "holds": "holds", "why": "c"},
        ]}
    return run


def test_analysis_mapping_and_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from infoplane.analysis import bounds

    calls: list[Path] = []
    monkeypatch.setattr(bounds, "run", _fake_bounds(calls))
    a = claims_interp.claim_appendix_a(_ctx(tmp_path, "interp-appendix-a"))
    b = claims_interp.claim_appendix_b(_ctx(tmp_path, "interp-appendix-b"))
    c = claims_interp.claim_saxe_continuous_mi(_ctx(tmp_path, "interp-saxe-continuous-mi"))
    # one run per seed (3 quick seeds), cached on disk for the other claims
    assert sorted(c.name for c in calls) == [f"bounds-quick-seed{i}" for i in range(3)]
    assert a.verdict == "holds with caveats"
    assert [v["claim"] for v in a.numbers["verdicts"]] == ["A (33) first", "A (33) second"]
    assert a.numbers["seeds"] == [0, 1, 2]
    assert a.numbers["verdicts"][1]["per_seed"] == {"holds with caveats": 3}
    assert "a2" in a.why
    assert b.verdict == "does not hold" and len(b.numbers["verdicts"]) == 1
    assert c.verdict == "holds"
    for r in (a, b, c):
        assert r.figures and all(f.endswith("fig.png") and Path(f).is_file()
                                 for f in r.figures)
    assert (tmp_path / "claims" / "_analysis").is_dir()


def test_combine_seeds() -> None:
    c = claims_interp.combine_seeds
    assert c(["holds"] * 4) == "holds"
    assert c(["does not hold"] * 2) == "does not hold"
    assert c(["holds", "holds", "holds with caveats"]) == "holds with caveats"
    assert c(["holds", "does not hold"]) == "holds with caveats"
    assert c(["holds", "does not hold", "does not hold"]) == "does not hold"
    with pytest.raises(ValueError):
        c([])
    with pytest.raises(ValueError):
        c(["holds", "perhaps"])


def test_analysis_seeds_cap() -> None:
    ctx = ClaimContext(out_dir=Path("x"), quick=False, seeds=20, seed=7)
    assert claims_interp.analysis_seeds("residual", ctx) == [7, 8]
    assert claims_interp.analysis_seeds("dynamics", ctx) == list(range(7, 12))
    one = ClaimContext(out_dir=Path("x"), quick=True, seeds=1, seed=0)
    assert claims_interp.analysis_seeds("margin", one) == [0]
    with pytest.raises(ValueError, match="`name`"):
        claims_interp.analysis_seeds("nope", one)


def test_verdict_spread_over_seeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeds disagree: the entry is combined by majority, the tally and worst seed reported."""
    from infoplane.analysis import margin

    def run(out: Path, *, quick: bool, seed: int) -> dict[str, Any]:
        (Path(out) / f"fig{seed}.png").write_bytes(b"png")
        return {"verdicts": [
            {"claim": "Figure 4: switch", "holds": "does not hold" if seed == 1 else "holds",
             "why": f"seed{seed}"},
            {"claim": "(14) bound", "holds": "does not hold", "why": "w"}]}

    monkeypatch.setattr(margin, "run", run)
    r = claims_interp.claim_figure_4(_ctx(tmp_path, "interp-figure-4"))
    assert r.verdict == "holds with caveats"
    entry = r.numbers["verdicts"][0]
    assert entry["per_seed"] == {"does not hold": 1, "holds": 2}
    assert entry["worst_seed"] == 1 and "seed1" in r.why and "3 seed(s)" in r.key_number
    assert [Path(f).name for f in r.figures] == ["fig0.png"]
    r2 = claims_interp.claim_claim_2_2(_ctx(tmp_path, "interp-claim-2-2"))
    assert r2.verdict == "does not hold"  # (14) fails on every seed


def test_no_matching_entry_is_an_error(tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from infoplane.analysis import separability

    monkeypatch.setattr(separability, "run",
                        lambda out, *, quick, seed: {"verdicts": [
                            {"claim": "unrelated", "holds": "holds", "why": ""}]})
    with pytest.raises(RuntimeError, match="no verdict matching"):
        claims_interp.claim_figure_7(_ctx(tmp_path, "interp-figure-7"))


def _fake_experiment(compression: dict[str, dict[str, tuple[float, float]]],
                     tmp_path: Path) -> Any:
    fig = tmp_path / "binning_plane.png"
    fig.write_bytes(b"png")

    def run_experiment(name: str, **kw: Any) -> Any:
        return SimpleNamespace(compression=compression, figures=(fig, tmp_path / "x_ixt.png"),
                               summary_path=tmp_path / "summary.json",
                               train_accuracy=(1.0, 0.9, 1.0))
    return run_experiment


@pytest.mark.parametrize(("act4", "act5", "expected"), [
    ((-0.5, 0.1), (-0.8, 0.2), "holds"),
    ((-0.05, 0.01), (-0.8, 0.2), "holds with caveats"),
    ((-0.5, 3.0), (0.0, 0.0), "does not hold"),
])
def test_fitting_compression(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             act4: tuple[float, float], act5: tuple[float, float],
                             expected: str) -> None:
    from infoplane import experiments

    comp = {"binning": {"act1": (0.0, 0.0), "act4": act4, "act5": act5,
                        "softmax": (-2.0, 0.1)}}
    monkeypatch.setattr(experiments, "run_experiment", _fake_experiment(comp, tmp_path))
    r = claims_interp.claim_fitting_compression(_ctx(tmp_path, "interp-fitting-compression"))
    assert r.verdict == expected
    assert r.numbers["deep_layers"] == ["act4", "act5"]
    assert r.figures == (str(tmp_path / "binning_plane.png"),)
    gains = [0.2, 0.1, 0.0]
    monkeypatch.setattr(claims_interp, "fitting_overlap",
                        lambda res, est, layer: {"gain_after_peak": gains,
                                                 "gain": {"mean": 0.1, "std": 0.1, "n": 3}})
    g = claims_interp.claim_saxe_gaussian(_ctx(tmp_path, "interp-saxe-gaussian"))
    assert g.verdict == expected and "2/3 seeds" in g.why
    gains[:] = [0.0, 0.01, 0.2]  # compression but not alongside fitting: at most caveats
    g2 = claims_interp.claim_saxe_gaussian(_ctx(tmp_path, "interp-saxe-gaussian-2"))
    assert g2.verdict == ("holds with caveats" if expected == "holds" else expected)


def test_fitting_overlap_on_a_real_run(tmp_path: Path) -> None:
    from infoplane.experiments import run_experiment
    from infoplane.plane import InfoPlane

    res = run_experiment("saxe-gaussian", out=tmp_path, seeds=2, epochs=12, quick=True,
                         progress=False)
    layer = sorted(res.compression["binning"])[0]
    ov = claims_interp.fitting_overlap(res, "binning", layer)
    frame = InfoPlane.load(res.planes["binning"]).to_frame()
    assert len(ov["gain_after_peak"]) == 2 and ov["gain"]["n"] == 2
    for r, peak in enumerate(ov["peak_step"]):
        rows = frame[(frame["layer"] == layer) & (frame["run"] == r)]
        assert peak == int(rows.loc[rows["i_xt"].idxmax(), "step"])
        assert -1.0 <= ov["gain_after_peak"][r] <= 1.0


def test_saxe_relu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from infoplane import experiments

    comp = {"kde": {"act1": (-0.1, 0.05), "act2": (-0.2, 0.1), "softmax": (-1.0, 0.0)},
            "binning_fixed_artefact": {"act1": (-1.5, 0.2), "act2": (-2.0, 0.3)},
            "binning_adaptive": {"act1": (0.0, 0.0), "act2": (0.0, 0.0)}}
    monkeypatch.setattr(experiments, "run_experiment", _fake_experiment(comp, tmp_path))
    r = claims_interp.claim_saxe_relu(_ctx(tmp_path, "interp-saxe-relu"))
    assert r.verdict == "holds"
    assert r.numbers["artefact_fixed_binning"]["act2"]["mean"] == -2.0
    comp["kde"]["act1"] = (-1.0, 0.01)
    comp["kde"]["act2"] = (-1.0, 0.01)
    r2 = claims_interp.claim_saxe_relu(_ctx(tmp_path, "interp-saxe-relu-2"))
    assert r2.verdict == "does not hold"


def test_claim_2_1_end_to_end(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path, "interp-claim-2-1", seeds=1)
    r = claims_interp.claim_claim_2_1(ctx)
    assert r.verdict in VERDICTS and r.verdict != "not testable here"
    assert len(r.numbers["verdicts"]) == 4
    expected = claims_interp.worst_verdict([v["holds"] for v in r.numbers["verdicts"]])
    assert r.verdict == expected
