"""Tests of infoplane.papers.interpretation.experiments: tiny runs of each experiment, resume,
the statistic."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import infoplane.papers.interpretation.experiments as ex
from infoplane.papers.interpretation.experiments import (
    ExperimentResult,
    compression_statistic,
    run_experiment,
)
from infoplane.plane import InfoPlane

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
LAYERS = ["act1", "act2", "act3", "act4", "act5", "softmax"]

pytestmark = pytest.mark.e2e  # every test here trains and records a real experiment


def _tiny(name: str, out: Path, **kw: Any) -> ExperimentResult:
    return run_experiment(name, out=out, seeds=2, epochs=12, quick=True,  # type: ignore[arg-type]
                          progress=False, **kw)


def _all_finite(obj: Any) -> bool:
    if isinstance(obj, dict):
        return all(_all_finite(v) for v in obj.values())
    if isinstance(obj, list):
        return all(_all_finite(v) for v in obj)
    if isinstance(obj, float):
        return math.isfinite(obj)
    return obj is not None


@pytest.fixture(scope="module")
def relu_run(tmp_path_factory: pytest.TempPathFactory) -> ExperimentResult:
    return _tiny("saxe-relu", tmp_path_factory.mktemp("relu"))


@pytest.mark.parametrize("name,keys", [
    ("tishby", ["binning"]),
    ("saxe-gaussian", ["binning"]),
])
def test_tanh_experiments_write_outputs(tmp_path: Path, name: str, keys: list[str]) -> None:
    r = _tiny(name, tmp_path)
    _check_result(r, name, keys)


def test_saxe_relu_writes_outputs_and_artefact_figure(relu_run: ExperimentResult) -> None:
    keys = ["binning_adaptive", "kde", "binning_fixed_artefact"]
    _check_result(relu_run, "saxe-relu", keys)
    artefact = [p for p in relu_run.figures if "artefact" in p.name]
    assert len(artefact) == 2
    summary = json.loads(relu_run.summary_path.read_text())
    assert summary["estimators"]["kde"]["n_steps"] <= ex._QUICK_KDE_STEPS


def _check_result(r: ExperimentResult, name: str, keys: list[str]) -> None:
    assert r.name == name
    assert r.summary_path.is_file()
    assert all((d / "meta.json").is_file() for d in r.run_dirs)
    assert len(r.run_dirs) == 2
    assert sorted(r.planes) == sorted(keys)
    for path in r.planes.values():
        plane = InfoPlane.load(path)
        assert plane.n_runs == 2
        assert list(plane.layers) == LAYERS
    assert len(r.figures) == 2 * len(keys)
    for fig in r.figures:
        data = fig.read_bytes()
        assert data[:8] == PNG_MAGIC
        assert len(data) > 10_000
    summary = json.loads(r.summary_path.read_text())
    for k in ("version", "experiment", "settings", "statistic", "estimators",
              "train_accuracy_final", "test_accuracy_final", "timings", "trained_seeds",
              "resumed_seeds", "files"):
        assert k in summary
    assert summary["experiment"] == name
    assert sorted(summary["estimators"]) == sorted(keys)
    for est in summary["estimators"].values():
        assert sorted(est["layers"]) == sorted(LAYERS)
        for layer in est["layers"].values():
            assert set(layer) == {"compression", "ixt_final", "ixt_max", "ity_final", "at_ceiling"}
            assert layer["compression"]["mean"] <= 1e-12
            assert len(layer["compression"]["per_seed"]) == 2
    assert set(summary["timings"]) == {"training_s", "mi_s", "mi_total_s"}
    assert summary["settings"]["epochs"] == 12
    assert summary["settings"]["n_recorded_steps"] == len(ex._schedule(12, 12))
    assert _all_finite(summary)
    assert 0.0 <= summary["train_accuracy_final"]["mean"] <= 1.0
    assert r.trained_seeds == (0, 1) and r.resumed_seeds == ()
    d = r.to_dict()
    json.dumps(d)
    assert d["summary_path"] == str(r.summary_path)


def _count_train_batched(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Wrap ``experiments.fit`` (the batched training) from now on; one entry per call."""
    calls: list[int] = []
    real = ex.fit

    def counting(*a: Any, **k: Any) -> Any:
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(ex, "fit", counting)
    return calls


def test_resume_skips_training(relu_run: ExperimentResult,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_train_batched(monkeypatch)
    again = _tiny("saxe-relu", relu_run.out)
    assert calls == []
    assert again.trained_seeds == () and again.resumed_seeds == (0, 1)
    assert again.training_seconds == 0.0
    assert again.train_accuracy == relu_run.train_accuracy
    assert again.compression == relu_run.compression


def test_resume_retrains_partial_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _tiny("tishby", tmp_path)
    # damage seed 1: drop its last step's commit record (a crash mid-run)
    steps = sorted((first.run_dirs[1] / "steps").iterdir())
    for f in steps[-1].iterdir():
        f.unlink()
    steps[-1].rmdir()
    calls = _count_train_batched(monkeypatch)
    again = _tiny("tishby", tmp_path)
    assert calls == [1]
    assert again.trained_seeds == (1,) and again.resumed_seeds == (0,)
    # copy 1 is deterministic: the retrained run reproduces the first
    assert again.train_accuracy == first.train_accuracy
    for layer, (m, _) in again.compression["binning"].items():
        assert m == pytest.approx(first.compression["binning"][layer][0], abs=1e-9)


def test_changed_settings_are_not_resumed(tmp_path: Path) -> None:
    _tiny("tishby", tmp_path)
    r = run_experiment("tishby", out=tmp_path, seeds=2, epochs=12, quick=True, seed=3,
                       progress=False)
    assert r.trained_seeds == (0, 1)


def test_compression_statistic_hand_computed() -> None:
    steps = np.array([0, 1, 5, 10])
    ixt = np.array([
        [[1.0, 2.0], [3.0, 2.5], [2.0, 2.6], [1.5, 2.6]],   # seed 0: -1.5, 0.0
        [[0.5, 1.0], [2.0, 3.0], [2.5, 2.0], [2.0, 1.0]],   # seed 1: -0.5, -2.0
    ])
    plane = InfoPlane(steps, ("a", "b"), ixt, np.zeros_like(ixt))
    mean, std, per_run = compression_statistic(plane)
    np.testing.assert_allclose(per_run, [[-1.5, 0.0], [-0.5, -2.0]])
    np.testing.assert_allclose(mean, [-1.0, -1.0])
    np.testing.assert_allclose(std, [np.std([-1.5, -0.5], ddof=1), np.std([0.0, -2.0], ddof=1)])
    single = InfoPlane(steps, ("a", "b"), ixt[0], np.zeros_like(ixt[0]))
    m1, s1, _ = compression_statistic(single)
    np.testing.assert_allclose(m1, [-1.5, 0.0])
    np.testing.assert_allclose(s1, [0.0, 0.0])


def test_compression_statistic_rejects_non_plane() -> None:
    with pytest.raises(TypeError, match="`plane` must be an InfoPlane"):
        compression_statistic(np.zeros((3, 2)))  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"name": "tishbi"}, ValueError, "`name` must be one of"),
    ({"seeds": 0}, ValueError, "`seeds`"),
    ({"epochs": 0}, ValueError, "`epochs`"),
    ({"seed": -1}, ValueError, "`seed`"),
    ({"quick": "yes"}, TypeError, "`quick` must be a bool"),
    ({"progress": 1}, TypeError, "`progress` must be a bool"),
    ({"out": ""}, ValueError, "`out` must be a non-empty path"),
])
def test_bad_arguments(tmp_path: Path, kwargs: dict[str, Any], exc: type[Exception],
                       match: str) -> None:
    args: dict[str, Any] = {"name": "tishby", "out": tmp_path / "x", "seeds": 1, "epochs": 2,
                            "quick": True, "progress": False}
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        run_experiment(**args)


def test_out_must_not_be_a_file(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match="`out` must be a directory"):
        run_experiment("tishby", out=f, seeds=1, epochs=2, progress=False)
