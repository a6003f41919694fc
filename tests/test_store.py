"""RunStore: layout, commit protocol, crash safety (SIGKILL), resume, errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from infoplane import schedules
from infoplane.store import RunStore

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _acts(step: int, shape: tuple[int, ...]) -> np.ndarray:
    return (np.arange(np.prod(shape), dtype=np.float32).reshape(shape) % 97) + step


def test_create_append_load(tmp_path: Path) -> None:
    sched = schedules.every(2, n_epochs=10)
    st = RunStore.create(tmp_path / "run", layers={"a": (5, 3), "b.0": (5, 2, 2)},
                         schedule=sched, meta={"seed": 7, "model": {"class": "Net"}})
    assert st.last_step is None and len(st) == 0
    for s in (0, 2, 4):
        st.append(s, {"a": _acts(s, (5, 3)), "b.0": _acts(s, (5, 2, 2))},
                  extras={"weight_norm": {"a": np.float32(2.0)}, "snr": float("inf")})
    assert (tmp_path / "run" / "steps" / "00000002" / "a.npy").is_file()
    assert (tmp_path / "run" / "steps" / "00000002" / "COMPLETE.json").is_file()
    re = RunStore.open(tmp_path / "run")
    assert re.completed_steps().tolist() == [0, 2, 4] and re.last_step == 4
    np.testing.assert_array_equal(re.load(2, "a"), _acts(2, (5, 3)))
    steps, arr = re.load_layer("b.0")
    assert steps.tolist() == [0, 2, 4] and arr.shape == (3, 5, 2, 2) and arr.dtype == np.float32
    np.testing.assert_array_equal(arr[1], _acts(2, (5, 2, 2)))
    assert re.extras(4) == {"weight_norm": {"a": 2.0}, "snr": None}
    meta = re.meta
    assert meta["layers"] == {"a": [5, 3], "b.0": [5, 2, 2]}
    assert meta["seed"] == 7 and meta["model"] == {"class": "Net"}
    assert set(meta["versions"]) == {"python", "numpy", "torch", "infoplane"}
    assert re.schedule == sched
    mm = re.load(0, "a", mmap=True)
    assert isinstance(mm, np.memmap)


def test_duplicate_step_rejected(tmp_path: Path) -> None:
    st = RunStore.create(tmp_path / "r", layers={"a": (2, 1)})
    st.append(3, {"a": np.zeros((2, 1))})
    with pytest.raises(ValueError, match="`step` must be a step not yet in the run"):
        st.append(3, {"a": np.zeros((2, 1))})
    with pytest.raises(ValueError, match="`step` must be a step not yet in the run"):
        RunStore.open(tmp_path / "r").append(3, {"a": np.zeros((2, 1))})


def test_append_validation(tmp_path: Path) -> None:
    st = RunStore.create(tmp_path / "r", layers={"a": (2, 1)}, dtype="float16")
    with pytest.raises(ValueError, match="missing \\['a'\\]"):
        st.append(0, {"b": np.zeros((2, 1))})
    with pytest.raises(ValueError, match="of shape \\(2, 1\\)"):
        st.append(0, {"a": np.zeros((3, 1))})
    with pytest.raises(ValueError, match="finite in float16 at step 0"):
        st.append(0, {"a": np.full((2, 1), 1e6)})  # overflows float16
    st.append(0, {"a": np.full((2, 1), 0.1)})
    assert st.load(0, "a").dtype == np.float16
    assert len(st) == 1


def test_float16_storage(tmp_path: Path) -> None:
    st = RunStore.create(tmp_path / "r", layers={"a": (4, 3)}, dtype="float16")
    x = np.linspace(-1, 1, 12).reshape(4, 3)
    st.append(0, {"a": x})
    got = RunStore.open(tmp_path / "r").load(0, "a")
    assert got.dtype == np.float16
    np.testing.assert_allclose(got, x, atol=1e-3)


def test_create_refuses_existing(tmp_path: Path) -> None:
    RunStore.create(tmp_path / "r", layers={"a": (1, 1)})
    with pytest.raises(ValueError, match="already holds a run"):
        RunStore.create(tmp_path / "r", layers={"a": (1, 1)})
    st = RunStore.create(tmp_path / "r", layers={"b": (1, 1)}, overwrite=True)
    assert list(st.layers) == ["b"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "precious.txt").write_text("x")
    with pytest.raises(ValueError, match="refusing to touch"):
        RunStore.create(other, layers={"a": (1, 1)}, overwrite=True)
    assert (other / "precious.txt").exists()
    with pytest.raises(ValueError, match="reserved"):
        RunStore.create(tmp_path / "m", layers={"a": (1, 1)}, meta={"layers": 1})
    with pytest.raises(ValueError, match="`layers` must be keyed"):
        RunStore.create(tmp_path / "m", layers={"../x": (1, 1)})
    with pytest.raises(FileNotFoundError, match="run directory"):
        RunStore.open(tmp_path / "nothing")


def test_unwritable_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a directory")
    with pytest.raises(ValueError, match=r"`path` must be a writable directory.*file\.txt"):
        RunStore.create(blocker / "run", layers={"a": (1, 1)})

    def deny(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", deny)
    with pytest.raises(PermissionError, match=r"`path` must be a writable directory.*locked"):
        RunStore.create(tmp_path / "locked", layers={"a": (1, 1)})


def test_open_cleans_partial_steps(tmp_path: Path) -> None:
    st = RunStore.create(tmp_path / "r", layers={"a": (2, 2)})
    st.append(0, {"a": np.ones((2, 2))})
    partial = tmp_path / "r" / "steps" / "00000001"
    partial.mkdir()
    np.save(partial / "a.npy", np.ones((2, 2)))  # layer written, no commit record
    stray = tmp_path / "r" / "steps" / "00000000" / ".a.npy.abc.tmp"
    stray.write_bytes(b"junk")
    re = RunStore.open(tmp_path / "r")
    assert re.completed_steps().tolist() == [0]
    assert not partial.exists() and not stray.exists()
    re.append(1, {"a": np.zeros((2, 2))})
    assert re.completed_steps().tolist() == [0, 1]


WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from infoplane.store import RunStore
    path = sys.argv[1]
    shape = (3000, 64)
    st = RunStore.open(path) if RunStore.exists(path) else RunStore.create(
        path, layers={"l1": shape, "l2": shape, "l3": shape})
    step = 0 if st.last_step is None else st.last_step + 1
    base = (np.arange(np.prod(shape), dtype=np.float32).reshape(shape) % 97)
    while True:
        st.append(step, {k: base + step + i for i, k in enumerate(("l1", "l2", "l3"))})
        step += 1
    """
)


def _n_complete(run: Path) -> int:
    steps = run / "steps"
    return len(list(steps.glob("*/COMPLETE.json"))) if steps.is_dir() else 0


def test_sigkill_mid_run_loses_at_most_the_step_in_flight(tmp_path: Path) -> None:
    run = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    base = np.arange(3000 * 64, dtype=np.float32).reshape(3000, 64) % 97
    killed_at: list[int] = []
    for round_, target in enumerate((4, 9)):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(run)], env=env)
        try:
            deadline = time.monotonic() + 60
            while _n_complete(run) < target and time.monotonic() < deadline:
                assert proc.poll() is None, "writer exited early"
                time.sleep(0.005)
            time.sleep(0.003 * (round_ + 1))  # land inside a later step's write
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        killed_at.append(_n_complete(run))
        st = RunStore.open(run)
        done = st.completed_steps().tolist()
        assert done == list(range(len(done)))  # contiguous, no gaps, no duplicates
        assert len(done) >= target
        for s in done:  # every committed step loads intact
            for i, k in enumerate(("l1", "l2", "l3")):
                np.testing.assert_array_equal(st.load(s, k), base + s + i)
        # no partial step directory survives re-opening
        dirs = sorted(p.name for p in (run / "steps").iterdir())
        assert dirs == [f"{s:08d}" for s in done]
    # continue after the last step, no duplicates
    st = RunStore.open(run)
    last = st.last_step
    assert last is not None
    st.append(last + 1, {k: base for k in ("l1", "l2", "l3")})
    with pytest.raises(ValueError, match="not yet in the run"):
        st.append(last, {k: base for k in ("l1", "l2", "l3")})
    assert RunStore.open(run).completed_steps().tolist() == list(range(last + 2))
    assert json.loads((run / "meta.json").read_text())["format"] == "infoplane-run"
