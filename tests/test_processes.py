"""Processes: no worker outlives a killed run, and one run at a time per output directory.

Killing the parent of loky workers (``kill -9`` included, which runs no cleanup) must leave no
process behind: each worker's watchdog (:func:`infoplane._executors._orphan_watchdog`) ends it
once its parent is gone, and loky's resource trackers then exit by themselves. ``experiment``
and ``benchmark`` lock ``--out`` as ``reproduce`` does.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infoplane.cli import main

PROC = Path("/proc")
needs_proc = pytest.mark.skipif(not (PROC / "self" / "stat").is_file(),
                                reason="reads the process table from /proc (Linux)")


def _ppid_state(pid: int) -> tuple[int, str] | None:
    """(parent pid, state letter) of ``pid``, or None when it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), fields[0]


def _alive(pid: int) -> bool:
    st = _ppid_state(pid)
    return st is not None and st[1] != "Z"


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for d in PROC.iterdir():
        if d.name.isdigit() and (st := _ppid_state(int(d.name))) is not None:
            children.setdefault(st[0], []).append(int(d.name))
    out: set[int] = set()
    todo = [root]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


SCRIPT = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from infoplane._executors import stream

    def work(marker):  # a slow unit that says when it runs
        Path(marker).write_text(str(os.getpid()))
        time.sleep(120)
        return marker

    markers = [str(Path(sys.argv[1]) / f"unit{i}") for i in range(2)]
    for r in stream(work, markers, backend="loky", jobs=2, scheduler=None,
                    lost=lambda *a: None, noun="unit"):
        print(r, flush=True)
""")


@pytest.fixture
def reap() -> Iterator[set[int]]:
    """Pids to SIGKILL at the end whatever happens (a failing test leaves nothing behind)."""
    pids: set[int] = set()
    yield pids
    for pid in pids:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


@needs_proc
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_killing_the_parent_leaves_no_process_behind(tmp_path: Path, sig: signal.Signals,
                                                     reap: set[int]) -> None:
    script = tmp_path / "slow.py"
    script.write_text(SCRIPT)
    parent = subprocess.Popen([sys.executable, str(script), str(tmp_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    reap.add(parent.pid)
    markers = [tmp_path / "unit0", tmp_path / "unit1"]
    deadline = time.monotonic() + 120
    while not all(m.is_file() for m in markers):  # both units run in workers
        assert parent.poll() is None and time.monotonic() < deadline, "workers never started"
        time.sleep(0.1)
    kids = _descendants(parent.pid)
    reap.update(kids)
    workers = {int(m.read_text()) for m in markers}
    assert workers <= kids and len(kids) >= 3  # two workers and loky's resource tracker(s)
    parent.send_signal(sig)
    parent.wait(timeout=30)
    deadline = time.monotonic() + 5.0
    while any(_alive(p) for p in kids) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = sorted(p for p in kids if _alive(p))
    assert left == [], f"still running {5.0} s after {sig.name} of the parent: {left}"


# ------------------------------------------------------------------------------- locks
def _hold(path: Path) -> object:
    fh = path.open("a")
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fh


def test_second_experiment_into_a_locked_out_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from infoplane.papers.interpretation.experiments import LOCK_NAME, run_experiment

    out = tmp_path / "exp"
    out.mkdir()
    fh = _hold(out / LOCK_NAME)  # as a running `infoplane experiment` does
    try:
        code = main(["--quiet", "experiment", "tishby", "--quick", "--seeds", "1",
                     "--epochs", "2", "--out", str(out)])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1
        assert err[0].startswith(f"infoplane: error: `--out` {str(out)!r} is locked")
        assert ".experiment.lock" in err[0] and "`infoplane experiment` run is using it" in err[0]
        with pytest.raises(ValueError, match=r"`out` .*\.experiment\.lock.*another "
                                             r"`infoplane experiment` run is using it"):
            run_experiment("tishby", out=out, seeds=1, epochs=2, quick=True, progress=False)
        assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]  # nothing touched
    finally:
        fh.close()  # type: ignore[attr-defined]


@pytest.mark.e2e
def test_experiment_lock_is_released_after_a_run(tmp_path: Path) -> None:
    from infoplane.papers.interpretation.experiments import LOCK_NAME, run_experiment

    out = tmp_path / "exp"
    res = run_experiment("tishby", out=out, seeds=1, epochs=2, quick=True, progress=False)
    assert res.summary_path.is_file()
    _hold(out / LOCK_NAME).close()  # type: ignore[attr-defined]


def test_second_benchmark_into_a_locked_out_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from infoplane.benchmark import LOCK_NAME

    out = tmp_path / "bench"
    out.mkdir()
    fh = _hold(out / LOCK_NAME)
    try:
        code = main(["--quiet", "benchmark", "--estimator", "binning", "--tasks",
                     "additive-uniform-0.1", "--n", "100", "--seeds", "1", "--out", str(out)])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1
        assert err[0].startswith(f"infoplane: error: `--out` {str(out)!r} is locked")
        assert "`infoplane benchmark` run is using it" in err[0]
        assert not (out / "results").exists()
    finally:
        fh.close()  # type: ignore[attr-defined]
