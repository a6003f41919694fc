"""Damaged run directories: the commit record and the layer files are validated on open.

A committed step whose ``COMPLETE.json`` does not parse or disagrees with the run, or whose layer
file is truncated, padded, of another shape or not a ``.npy``, is *damaged*: reported by step and
file, not complete (a resume records it again) and skipped by the information plane with one
warning. A ``meta.json`` that is not a valid run record is a one-line error naming the file.
"""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from infoplane.cli import main
from infoplane.estimators import Binning
from infoplane.plane import InfoPlane
from infoplane.store import RunStore

N = 40
LAYERS = {"h": (N, 3), "g": (N, 2)}


def make_run(path: Path, steps: int = 4) -> Path:
    rng = np.random.default_rng(0)
    st = RunStore.create(path, layers=LAYERS, meta={"seed": 0})
    st.save_probes(rng.normal(size=(N, 4)), rng.integers(0, 2, size=N))
    for s in range(steps):
        st.append(s, {k: rng.uniform(-1, 1, size=v) for k, v in LAYERS.items()},
                  extras={"loss": float(s)})
    return path


def step_dir(run: Path, step: int) -> Path:
    return run / "steps" / f"{step:08d}"


def commit(run: Path, step: int) -> Path:
    return step_dir(run, step) / "COMPLETE.json"


def _truncate(f: Path, n: int) -> None:
    f.write_bytes(f.read_bytes()[:n])


def _record(step: int, layers: dict[str, list[int]]) -> str:
    return json.dumps({"step": step, "layers": layers, "extras": {}})


# (damage, damaged step, file named in the report, words of the reason)
DAMAGE: dict[str, tuple[Callable[[Path], None], int, str, str]] = {
    "garbage commit": (lambda r: commit(r, 2).write_bytes(b"\x00garbage{"), 2,
                       "steps/00000002/COMPLETE.json", "not a valid commit record"),
    "empty commit": (lambda r: commit(r, 2).write_bytes(b""), 2,
                     "steps/00000002/COMPLETE.json", "not a valid commit record"),
    "commit not an object": (lambda r: commit(r, 2).write_text("[2]"), 2,
                             "steps/00000002/COMPLETE.json", "not a JSON object"),
    "commit of another step": (
        lambda r: commit(r, 2).write_text(_record(7, {"h": [N, 3], "g": [N, 2]})), 2,
        "steps/00000002/COMPLETE.json", "names step 7"),
    "commit missing a layer": (
        lambda r: commit(r, 2).write_text(_record(2, {"h": [N, 3]})), 2,
        "steps/00000002/COMPLETE.json", "lists layers ['h']"),
    "commit with another shape": (
        lambda r: commit(r, 2).write_text(_record(2, {"h": [N, 4], "g": [N, 2]})), 2,
        "steps/00000002/COMPLETE.json", "lists layers"),
    "truncated layer file": (lambda r: _truncate(step_dir(r, 1) / "h.npy", 200), 1,
                             "steps/00000001/h.npy", "truncated: 200 bytes, 608 expected"),
    "truncated header": (lambda r: _truncate(step_dir(r, 1) / "h.npy", 20), 1,
                         "steps/00000001/h.npy", "not a .npy file"),
    "empty layer file": (lambda r: (step_dir(r, 1) / "h.npy").write_bytes(b""), 1,
                         "steps/00000001/h.npy", "not a .npy file"),
    "missing layer file": (lambda r: (step_dir(r, 1) / "g.npy").unlink(), 1,
                           "steps/00000001/g.npy", "missing"),
    "layer file of another shape": (
        lambda r: np.save(step_dir(r, 1) / "h.npy", np.zeros((N, 5), np.float32)), 1,
        "steps/00000001/h.npy", "has shape (40, 5), the run declares (40, 3)"),
    "layer file of another dtype": (
        lambda r: np.save(step_dir(r, 1) / "h.npy", np.zeros((N, 3), np.float64)), 1,
        "steps/00000001/h.npy", "has dtype float64"),
    "random bytes as layer file": (
        lambda r: (step_dir(r, 3) / "g.npy").write_bytes(b"not numpy " * 50), 3,
        "steps/00000003/g.npy", "not a .npy file"),
    "trailing bytes": (
        lambda r: (step_dir(r, 3) / "g.npy").write_bytes(
            (step_dir(r, 3) / "g.npy").read_bytes() + b"\0" * 16), 3,
        "steps/00000003/g.npy", "trailing data"),
}


@pytest.fixture
def pristine(tmp_path: Path) -> Path:
    return make_run(tmp_path / "pristine")


def damaged_copy(pristine: Path, tmp_path: Path, case: str) -> Path:
    run = tmp_path / "damaged"
    shutil.copytree(pristine, run)
    DAMAGE[case][0](run)
    return run


@pytest.mark.parametrize("case", list(DAMAGE))
def test_damaged_step_is_reported_and_not_complete(pristine: Path, tmp_path: Path,
                                                   case: str) -> None:
    _, step, file, why = DAMAGE[case]
    run = damaged_copy(pristine, tmp_path, case)
    st = RunStore.open(run)
    assert st.completed_steps().tolist() == [s for s in range(4) if s != step]
    assert step not in st and list(st.damaged) == [step]
    assert st.damaged[step].startswith(file) and why in st.damaged[step]
    line = st.describe_damaged()
    assert "\n" not in line and f"step {step}: {file}" in line
    with pytest.raises(ValueError, match=rf"`step` .*got {step}\. \(it is damaged: "):
        st.load(step, "h")
    with pytest.raises(ValueError, match=rf"`step` .*got {step}\. \(it is damaged: "):
        st.extras(step)
    assert (step_dir(run, step) / "COMPLETE.json").exists() or "commit" not in case  # untouched


@pytest.mark.parametrize("case", ["garbage commit", "truncated layer file", "trailing bytes"])
def test_plane_skips_a_damaged_step_with_one_warning(pristine: Path, tmp_path: Path,
                                                     case: str) -> None:
    _, step, file, _ = DAMAGE[case]
    run = damaged_copy(pristine, tmp_path, case)
    est = Binning(n_bins=5, bounds=(-1.0, 1.0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plane = InfoPlane.compute(run, est)
    ours = [w for w in caught if "damaged" in str(w.message)]
    assert len(ours) == 1
    assert f"step {step}: {file}" in str(ours[0].message) and "\n" not in str(ours[0].message)
    kept = [s for s in range(4) if s != step]
    assert plane.steps.tolist() == kept
    ref = InfoPlane.compute(pristine, est, steps=kept)  # the intact steps' values are unchanged
    np.testing.assert_array_equal(plane.ixt, ref.ixt)
    np.testing.assert_array_equal(plane.ity, ref.ity)
    with pytest.raises(ValueError, match=rf"`steps` .*got \[{step}\]\. \(step {step} is "
                                         rf"damaged: {file}"):
        InfoPlane.compute(run, est, steps=[0, step])


def test_append_records_a_damaged_step_again(pristine: Path, tmp_path: Path) -> None:
    run = damaged_copy(pristine, tmp_path, "truncated layer file")
    st = RunStore.open(run)
    new = {"h": np.full((N, 3), 0.5), "g": np.full((N, 2), -0.25)}
    st.append(1, new, extras={"loss": 1.0})
    assert 1 in st and not st.damaged
    again = RunStore.open(run)
    assert again.completed_steps().tolist() == [0, 1, 2, 3] and not again.damaged
    np.testing.assert_array_equal(again.load(1, "h"), np.full((N, 3), 0.5, np.float32))
    assert again.extras(1) == {"loss": 1.0}
    with pytest.raises(ValueError, match="`step` must be a step not yet in the run"):
        again.append(1, new)  # intact now: never duplicated


def test_recorder_resume_records_a_damaged_step_again(tmp_path: Path) -> None:
    from conftest import record_growing_run

    run = tmp_path / "run"
    record_growing_run(run, steps=6, every_k=2, factor=1.0)
    st = RunStore.open(run)
    layer = next(iter(st.layers))
    good = st.load(2, layer).copy()
    _truncate(step_dir(run, 2) / f"{layer}.npy", 100)
    assert 2 not in RunStore.open(run)
    record_growing_run(run, steps=6, every_k=2, factor=1.0)  # resumes the same run
    st = RunStore.open(run)
    assert not st.damaged and 2 in st
    np.testing.assert_array_equal(st.load(2, layer), good)


META: dict[str, tuple[Callable[[dict], object], str]] = {
    "not utf-8": (lambda m: b"\x89PNG\r\n", "not UTF-8 text"),
    "empty": (lambda m: b"", "empty"),
    "not json": (lambda m: b"{layers: 1", "not valid JSON: Expecting property name"),
    "a list": (lambda m: [1, 2], "a JSON object expected, got a list"),
    "no layers": (lambda m: {k: v for k, v in m.items() if k != "layers"}, "'layers' must be"),
    "bad shape": (lambda m: {**m, "layers": {"h": "big", "g": [N, 2]}},
                  "'layers'['h'] must be a list of integers >= 0, got 'big'"),
    "bad layer name": (lambda m: {**m, "layers": {"../x": [N, 2]}}, "invalid layer name"),
    "bad dtype": (lambda m: {**m, "dtype": "object"}, "'dtype' must be one of"),
    "bad schedule": (lambda m: {**m, "schedule": {"kind": "nope"}},
                     "'schedule' is not a valid schedule: `data['kind']`"),
    "future version": (lambda m: {**m, "format_version": 99}, "newer than this infoplane"),
}


def _write_meta(run: Path, case: str) -> None:
    meta = json.loads((run / "meta.json").read_text())
    new = META[case][0](meta)
    (run / "meta.json").write_bytes(new if isinstance(new, bytes) else json.dumps(new).encode())


@pytest.mark.parametrize("case", list(META))
def test_garbage_meta_is_one_line_naming_the_file(pristine: Path, case: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _write_meta(pristine, case)
    with pytest.raises(ValueError) as info:
        RunStore.open(pristine)
    msg = str(info.value)
    assert "\n" not in msg and str(pristine / "meta.json") in msg and META[case][1] in msg
    code = main(["plane", str(pristine), "--json"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith("infoplane: error: `RUN_DIR` must be an infoplane run directory")
    assert str(pristine / "meta.json") in err[0] and META[case][1] in err[0]


def test_cli_plane_skips_a_damaged_step(pristine: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    run = damaged_copy(pristine, tmp_path, "truncated layer file")
    code = main(["--quiet", "plane", str(run), "--json", "-O", "bounds=-1,1"])
    out, err = capsys.readouterr()
    assert code == 0
    assert json.loads(out)["steps"] == [0, 2, 3]
    lines = [ln for ln in err.splitlines() if "damaged" in ln]
    assert len(lines) == 1 and "step 1: steps/00000001/h.npy truncated" in lines[0]


def test_cli_plane_of_a_run_with_every_step_damaged(pristine: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    for s in range(4):
        (step_dir(pristine, s) / "g.npy").write_bytes(b"")
    code = main(["--quiet", "plane", str(pristine), "--json"])
    err = [ln for ln in capsys.readouterr().err.splitlines() if "error" in ln]
    assert code == 2 and len(err) == 1
    assert "`RUN_DIR` must hold at least one recorded step" in err[0]
    assert "4 damaged step(s)" in err[0] and "step 0: steps/00000000/g.npy" in err[0]


def test_truncated_probe_labels_name_the_file(pristine: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    _truncate(pristine / "probe_y.npy", 140)
    with pytest.raises(ValueError, match=r"\(probe_y\.npy cannot be read: "):
        RunStore.open(pristine).load_labels()
    code = main(["plane", str(pristine), "--json"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "probe_y.npy cannot be read" in err[0]


@pytest.mark.e2e
def test_experiment_resume_records_a_truncated_seed_again(tmp_path: Path) -> None:
    from infoplane.papers.interpretation.experiments import run_experiment

    out = tmp_path / "exp"
    first = run_experiment("tishby", out=out, seeds=2, epochs=4, quick=True, progress=False)
    f = out / "runs" / "seed1" / "steps" / "00000004" / "act2.npy"  # the last epoch
    original = f.read_bytes()
    _truncate(f, len(original) // 2)
    with pytest.warns(UserWarning, match=r"recording .*seed1 again: 1 damaged step\(s\) .*"
                                         r"step 4: steps/00000004/act2\.npy truncated"):
        second = run_experiment("tishby", out=out, seeds=2, epochs=4, quick=True,
                                progress=False)
    assert second.trained_seeds == (1,) and second.resumed_seeds == (0,)
    assert f.read_bytes() == original  # recorded again, identically (seeded)
    assert second.compression == first.compression
