"""The one progress helper, and ``reproduce`` talking while it works."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from infoplane import _progress
from infoplane._progress import Progress, clock


def test_plain_lines_when_not_a_terminal() -> None:
    out = io.StringIO()  # not a tty
    with Progress(3, desc="work", unit="items", stream=out, interval=0.02) as p:
        p.update()
        time.sleep(0.1)
        p.update()
        p.update()
    lines = out.getvalue().splitlines()
    assert any(line.startswith("work: 1/3 items, 0:00:00 elapsed, ETA ") for line in lines)
    assert lines[-1].startswith("work: 3/3 items in 0:00:0")


def test_disabled_or_empty_prints_nothing() -> None:
    out = io.StringIO()
    with Progress(3, desc="x", unit="y", stream=out, enabled=False, interval=0.01) as p:
        p.update()
        time.sleep(0.05)
    with Progress(0, desc="x", unit="y", stream=out, interval=0.01):
        time.sleep(0.05)
    assert out.getvalue() == ""


def test_clock() -> None:
    assert clock(0) == "0:00:00" and clock(59.6) == "0:01:00" and clock(-3) == "0:00:00"


def test_reproduce_reports_each_claim_as_it_finishes(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capfd: pytest.CaptureFixture[str]) -> None:
    from infoplane.reproduce.runner import run_claims

    monkeypatch.setattr(_progress, "PLAIN_INTERVAL", 0.05)
    seen: list[str] = []
    results = run_claims(["mmi-theorem3", "mmi-lemma1"], out=tmp_path, seeds=1, jobs=1,
                         on_result=lambda r: seen.append(r.claim_id))
    assert sorted(seen) == ["mmi-lemma1", "mmi-theorem3"]
    assert [r.claim_id for r in results] == ["mmi-theorem3", "mmi-lemma1"]
    err = capfd.readouterr().err
    assert "reproduce: 2/2 claims in " in err  # stderr is not a terminal under pytest
    again: list[str] = []
    run_claims(["mmi-theorem3"], out=tmp_path, seeds=1, on_result=lambda r: again.append(
        r.claim_id))
    assert again == []  # loaded, not re-run, so not reported as finished


def test_experiment_training_and_animation_talk_without_a_terminal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    from infoplane.papers.interpretation.experiments import run_experiment
    from infoplane.plane import InfoPlane
    from infoplane.plotting import animate_plane

    monkeypatch.setattr(_progress, "PLAIN_INTERVAL", 0.05)
    res = run_experiment("tishby", out=tmp_path / "e", seeds=1, epochs=40, quick=True)
    err = capfd.readouterr().err
    assert "train x1: 40/40 epochs in " in err           # the training loop
    assert "binning plane: 1/1 seeds in " in err         # the plane of each seed
    plane = InfoPlane.load(res.planes["binning"])
    animate_plane(plane, tmp_path / "p.gif", max_frames=5, progress=True)
    assert "animation: 5/5 frames in " in capfd.readouterr().err
