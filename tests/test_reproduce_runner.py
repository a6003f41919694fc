"""Tests for the claim registry and the reproduce runner (resume, errors, backends)."""

from __future__ import annotations

import fcntl
import importlib.util
import json
import math
import os
import sys
import time
from pathlib import Path

import pytest

from infoplane.reproduce import registry
from infoplane.reproduce.checks import Check
from infoplane.reproduce.registry import (
    Claim,
    ClaimContext,
    ClaimResult,
    get,
    register,
    spread,
)
from infoplane.reproduce.runner import load_result, result_path, run_claims


def _count(ctx: ClaimContext, name: str) -> None:
    """Append one line to a per-claim call counter (claims may run in other processes)."""
    with (ctx.out_dir.parent.parent / f"calls-{name}.txt").open("a") as fh:
        fh.write("x\n")


def _calls(out: Path, name: str) -> int:
    path = out / f"calls-{name}.txt"
    return len(path.read_text().splitlines()) if path.exists() else 0


# --- demo claims (module level, referenced by import path, so they pickle) -------------------


def claim_pythagoras(ctx: ClaimContext) -> ClaimResult:
    """Demo claim: sqrt(3² + 4²) == 5, checked once per seed; writes a 'figure' file."""
    _count(ctx, "pythagoras")
    values = [math.hypot(3.0, 4.0) + 0.0 * s for s in ctx.seed_list]
    fig = ctx.out_dir / "fig.txt"
    fig.write_text("not really a figure\n")
    ok = all(v == 5.0 for v in values)
    return ClaimResult.from_checks(
        "ignored", [_check(ok, "hypot(3, 4) == 5")], why="hypot(3, 4) is 5.",
        numbers={"hypot": spread(values), "seeds": ctx.seeds, "quick": ctx.quick},
        key_number="5", figures=[str(fig)])


def _check(ok: bool, name: str) -> Check:
    return Check(name, "holds" if ok else "does not hold", {}, name, "measured")


def claim_raises(ctx: ClaimContext) -> ClaimResult:
    """Demo claim that always fails."""
    _count(ctx, "raises")
    raise RuntimeError("deliberate failure\nsecond line")


def claim_slow(ctx: ClaimContext) -> ClaimResult:
    """Demo claim taking ~0.3 s: the sum 1..10 is 55."""
    _count(ctx, "slow")
    time.sleep(0.3)
    total = sum(range(1, 11))
    return ClaimResult.from_checks(ctx.out_dir.name, [_check(total == 55, "sum 1..10 == 55")],
                                   why="Gauss's sum.", numbers={"sum": total, "seed": ctx.seed},
                                   key_number=str(total))


def claim_exits(ctx: ClaimContext) -> ClaimResult:
    """Demo claim that calls ``sys.exit(3)`` (SystemExit must not stop the run)."""
    _count(ctx, "exits")
    sys.exit(3)


def claim_dies(ctx: ClaimContext) -> ClaimResult:
    """Demo claim that kills its process like a segfault or the OOM killer would."""
    _count(ctx, "dies")
    os._exit(1)


def claim_waits_for_pythagoras(ctx: ClaimContext) -> ClaimResult:
    """Demo claim that holds only once the main process has saved pythagoras's result.

    With results saved in completion order this happens at once; with ordered results (a
    claim saved only after the claims before it) it cannot, and the claim gives up after 60 s.
    """
    saved = result_path(ctx.out_dir.parent.parent, "pythagoras")
    deadline = time.monotonic() + 60.0
    while not saved.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return ClaimResult.from_checks(ctx.out_dir.name, [_check(saved.exists(), "saved first")],
                                   why="pythagoras was saved while this claim was running.")


def _claim(cid: str, func: str) -> Claim:
    return Claim(cid, "mmi", "test", "a demo statement", "a demo measurement",
                 f"{__name__}:{func}", quick_seconds=0.1)


def claim_threads(ctx: ClaimContext) -> ClaimResult:
    """Demo claim reporting the worker's thread limits."""
    import os

    import torch

    return ClaimResult.from_checks(ctx.out_dir.name, [_check(True, "threads")], why="threads.",
                                   numbers={"omp": os.environ.get("OMP_NUM_THREADS"),
                                            "torch": torch.get_num_threads(),
                                            "pid": os.getpid()})


def claim_without_checks(ctx: ClaimContext) -> ClaimResult:
    """Demo claim whose verdict is written by hand: the runner must refuse it."""
    return ClaimResult(ctx.out_dir.name, "holds", "trust me.")


OK = _claim("pythagoras", "claim_pythagoras")
BAD = _claim("raises", "claim_raises")
SLOW = _claim("slow", "claim_slow")
ALL = [OK, BAD, SLOW]
EXITS = _claim("exits", "claim_exits")
DIES = _claim("dies", "claim_dies")
WAITS = _claim("waits", "claim_waits_for_pythagoras")
THREADS = _claim("threads", "claim_threads")


def _strip(results: list[ClaimResult]) -> list[dict[str, object]]:
    out = []
    for r in results:
        d = r.to_dict()
        d.pop("seconds")
        out.append(d)
    return out


# --- registry -----------------------------------------------------------------------------


def test_result_roundtrip_and_validation() -> None:
    r = ClaimResult("x", "holds with caveats", "why.", {"a": {"mean": 1.0, "std": 0.0, "n": 1},
                                                          "nan": float("nan")}, "k", ["f.png"])
    assert r.numbers["nan"] is None
    assert ClaimResult.from_dict(json.loads(json.dumps(r.to_dict()))) == r
    with pytest.raises(ValueError, match="`verdict` must be one of"):
        ClaimResult("x", "maybe", "why.")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`numbers"):
        ClaimResult("x", "holds", "why.", {"a": object()})
    with pytest.raises(ValueError, match="`data` must be"):
        ClaimResult.from_dict({"claim_id": "x", "verdict": "holds", "why": "", "bogus": 1})


def test_claim_validation() -> None:
    with pytest.raises(ValueError, match="`id` must be a slug"):
        _claim("Bad Id", "claim_slow")
    with pytest.raises(ValueError, match="`func` must be an import path"):
        Claim("a", "mmi", "", "", "", "not a path")
    with pytest.raises(ValueError, match="`paper` must be one of"):
        Claim("a", "other", "", "", "", "math:sqrt")  # type: ignore[arg-type]
    with pytest.raises(ImportError, match="cannot find"):
        Claim("a", "mmi", "", "", "", "math:nope").load_func()


def test_register_and_get(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "REGISTRY", {})
    register(OK)
    register(SLOW)
    with pytest.raises(ValueError, match="unique in the registry"):
        register(OK)
    everything = get(None)  # the built-in claims are always loaded
    assert [c for c in everything if c.id in ("pythagoras", "slow")] == [OK, SLOW]
    assert "mmi-theorem1" in {c.id for c in everything}
    assert get(["slow", "pythagoras", "slow"]) == [SLOW, OK]
    assert get("slow") == [SLOW]
    with pytest.raises(ValueError, match=r"registered claim ids, got 'nope'.*pythagoras, slow"):
        get(["nope"])
    with pytest.raises(ValueError, match="registered claim ids"):
        run_claims(["nope"], out="unused", progress=False)


def test_spread() -> None:
    assert spread([1.0, 3.0]) == {"mean": 2.0, "std": 1.0, "n": 2}
    with pytest.raises(ValueError, match="non-empty"):
        spread([])


# --- runner -------------------------------------------------------------------------------


def test_run_save_error_and_resume(tmp_path: Path) -> None:
    results = run_claims(ALL, out=tmp_path, seeds=2, progress=False)
    assert [r.claim_id for r in results] == ["pythagoras", "raises", "slow"]
    ok, bad, slow = results
    assert ok.verdict == "holds" and slow.verdict == "holds"
    assert ok.numbers["hypot"] == {"mean": 5.0, "std": 0.0, "n": 2}
    assert ok.figures == ("claims/pythagoras/fig.txt",)
    assert (tmp_path / ok.figures[0]).is_file()
    assert slow.numbers == {"sum": 55, "seed": 0} and slow.seconds >= 0.3
    assert bad.verdict == "error"
    assert bad.why == "RuntimeError: deliberate failure"
    log = (tmp_path / "logs" / "raises.log").read_text()
    assert "Traceback" in log and "claim_raises" in log and "deliberate failure" in log
    assert not (tmp_path / "logs" / "pythagoras.log").exists()
    for r in results:
        assert load_result(tmp_path, r.claim_id) == r
        saved = json.loads(result_path(tmp_path, r.claim_id).read_text())
        assert saved["settings"] == {"quick": True, "seeds": 2, "seed": 0, "schema": 2}

    # Resume: finished claims are loaded, the errored one is retried.
    again = run_claims(ALL, out=tmp_path, seeds=2, progress=False)
    assert again[0] == results[0] and again[2] == results[2]
    assert again[1].verdict == "error"
    assert (_calls(tmp_path, "pythagoras"), _calls(tmp_path, "raises"),
            _calls(tmp_path, "slow")) == (1, 2, 1)

    # Changed settings: everything reruns.
    changed = run_claims([OK, SLOW], out=tmp_path, seeds=2, seed=3, progress=False)
    assert _calls(tmp_path, "pythagoras") == 2 and _calls(tmp_path, "slow") == 2
    assert changed[1].numbers["seed"] == 3
    run_claims([OK], out=tmp_path, quick=False, seeds=2, seed=3, progress=False)
    assert _calls(tmp_path, "pythagoras") == 3
    assert load_result(tmp_path, "pythagoras", {"quick": True, "seeds": 2, "seed": 3}) is None


def test_default_seeds_and_corrupt_file(tmp_path: Path) -> None:
    (r,) = run_claims([OK], out=tmp_path, progress=False)
    assert r.numbers["seeds"] == 3
    (r,) = run_claims([OK], out=tmp_path, quick=False, progress=False)
    assert r.numbers["seeds"] == 20 and r.numbers["quick"] is False
    result_path(tmp_path, "pythagoras").write_text("{not json")
    run_claims([OK], out=tmp_path, quick=False, progress=False)
    assert _calls(tmp_path, "pythagoras") == 3


def test_bad_options(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="`backend` must be one of"):
        run_claims([OK], out=tmp_path, backend="mpi", progress=False)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`seeds` must be"):
        run_claims([OK], out=tmp_path, seeds=0, progress=False)
    for jobs in (0, -2):
        with pytest.raises(ValueError, match=r"`jobs` must be an integer >= 1, or -1 for one "
                                             r"per CPU core, got -?\d"):
            run_claims([OK], out=tmp_path, jobs=jobs, progress=False)
    with pytest.raises(TypeError, match="`jobs` must be an integer"):
        run_claims([OK], out=tmp_path, jobs=True, progress=False)
    with pytest.raises(ValueError, match=r"`scheduler` .* needs backend 'dask' or 'ray'"):
        run_claims([OK], out=tmp_path, scheduler="tcp://127.0.0.1:8786", progress=False)
    assert not (tmp_path / "claims").exists()


def test_all_cores(tmp_path: Path) -> None:
    """``jobs=-1`` (one worker per CPU core) runs and saves everything."""
    results = run_claims([OK, SLOW], out=tmp_path, jobs=-1, progress=False)
    assert [r.verdict for r in results] == ["holds", "holds"]
    assert all(result_path(tmp_path, r.claim_id).is_file() for r in results)


def test_sys_exit_is_an_error(tmp_path: Path) -> None:
    """A claim calling ``sys.exit`` is reported as an error; the other claims still run."""
    ok, exits, slow = run_claims([OK, EXITS, SLOW], out=tmp_path, progress=False)
    assert ok.verdict == "holds" and slow.verdict == "holds"
    assert exits.verdict == "error" and exits.why == "SystemExit: 3"
    log = (tmp_path / "logs" / "exits.log").read_text()
    assert "SystemExit" in log and "claim_exits" in log
    assert load_result(tmp_path, "exits") == exits


@pytest.mark.parametrize("jobs", [1, 2])
def test_dying_worker_is_an_error(tmp_path: Path, jobs: int) -> None:
    """A claim that kills its worker process (os._exit) gets an error result, without killing
    this process (also at jobs=1) and while the other claims run and are saved."""
    results = run_claims([OK, DIES, BAD, SLOW], out=tmp_path, jobs=jobs, progress=False)
    ok, dies, bad, slow = results
    assert ok.verdict == "holds" and slow.verdict == "holds"
    assert bad.verdict == "error" and bad.why == "RuntimeError: deliberate failure"
    assert dies.verdict == "error"
    assert dies.why.startswith("the worker process died while running this claim "
                               "(TerminatedWorkerError")
    assert "out of memory or a crash in native code?" in dies.why
    log = (tmp_path / "logs" / "dies.log").read_text()
    assert "TerminatedWorkerError" in log
    assert not (tmp_path / "logs" / "pythagoras.log").exists()
    for r in results:
        assert load_result(tmp_path, r.claim_id) == r
    assert _calls(tmp_path, "dies") >= 1

    # Resume: the finished claims are loaded, only the failed ones run again. (A claim that
    # was running in the pool when the worker died was killed with it and re-run once.)
    before = (_calls(tmp_path, "pythagoras"), _calls(tmp_path, "slow"))
    assert all(1 <= n <= 2 for n in before)
    again = run_claims([OK, DIES, BAD, SLOW], out=tmp_path, jobs=jobs, progress=False)
    assert again[0] == ok and again[3] == slow and again[1].verdict == "error"
    assert (_calls(tmp_path, "pythagoras"), _calls(tmp_path, "slow")) == before


def test_results_saved_as_they_finish(tmp_path: Path) -> None:
    """The first claim can only finish after the second one's result has been saved."""
    waits, ok = run_claims([WAITS, OK], out=tmp_path, jobs=2, progress=False)
    assert waits.verdict == "holds" and ok.verdict == "holds"


def test_lock_guards_out(tmp_path: Path) -> None:
    """A second run into an `out` in use is refused; the lock is released afterwards."""
    tmp_path.mkdir(exist_ok=True)
    with (tmp_path / ".reproduce.lock").open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(ValueError, match=r"`out` .*\.reproduce\.lock.*another "
                                             r"`infoplane reproduce` run is using it"):
            run_claims([OK], out=tmp_path, progress=False)
        assert not result_path(tmp_path, "pythagoras").exists()
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    (r,) = run_claims([OK], out=tmp_path, progress=False)
    assert r.verdict == "holds"
    with (tmp_path / ".reproduce.lock").open("a") as fh:  # released after the run
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_parallel_loky_matches_sequential(tmp_path: Path) -> None:
    one = run_claims(ALL, out=tmp_path / "one", progress=False)
    two = run_claims(ALL, out=tmp_path / "two", jobs=2, progress=False)
    assert _strip(one) == _strip(two)
    assert (tmp_path / "two" / "logs" / "raises.log").is_file()


@pytest.mark.skipif(importlib.util.find_spec("dask") is None
                    or importlib.util.find_spec("distributed") is None,
                    reason="dask.distributed is not installed (pip install 'infoplane[dask]')")
def test_dask_matches_local(tmp_path: Path) -> None:
    local = run_claims([OK, SLOW], out=tmp_path / "local", progress=False)
    dask = run_claims([OK, SLOW], out=tmp_path / "dask", jobs=2, backend="dask", progress=False)
    assert _strip(local) == _strip(dask)


@pytest.mark.skipif(importlib.util.find_spec("dask") is None
                    or importlib.util.find_spec("distributed") is None,
                    reason="dask.distributed is not installed (pip install 'infoplane[dask]')")
def test_dask_saves_results_as_they_finish(tmp_path: Path) -> None:
    """Dask results stream unordered: the first claim waits for the second one's JSON."""
    waits, ok, exits = run_claims([WAITS, OK, EXITS], out=tmp_path, jobs=2, backend="dask",
                                  progress=False)
    assert waits.verdict == "holds" and ok.verdict == "holds"
    assert exits.verdict == "error" and exits.why == "SystemExit: 3"


#: Two real registry claims that take well under a second each in quick mode.
REAL = ["mmi-lemma1", "mmi-discontinuity"]


@pytest.mark.skipif(importlib.util.find_spec("dask") is None
                    or importlib.util.find_spec("distributed") is None,
                    reason="dask.distributed is not installed (pip install 'infoplane[dask]')")
@pytest.mark.e2e
def test_dask_real_claims_match_local(tmp_path: Path) -> None:
    """Two claims of the registry on a LocalCluster equal the local backend's results."""
    claims = get(REAL)
    local = run_claims(claims, out=tmp_path / "local", seeds=2, progress=False)
    dask = run_claims(claims, out=tmp_path / "dask", seeds=2, jobs=2, backend="dask",
                      progress=False)
    assert [r.verdict for r in local] == [r.verdict for r in dask]
    assert all(r.verdict != "error" for r in dask)
    assert _strip(local) == _strip(dask)


@pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                    reason="ray is not installed (pip install 'infoplane[ray]')")
def test_ray_matches_local(tmp_path: Path) -> None:
    """Ray workers import claims by path: the registry's claims (test modules are not on
    a fresh Ray worker's path), results streamed, saved and equal to the local backend's."""
    claims = get(REAL)
    local = run_claims(claims, out=tmp_path / "local", seeds=2, progress=False)
    ray = run_claims(claims, out=tmp_path / "ray", seeds=2, jobs=2, backend="ray",
                     progress=False)
    assert all(r.verdict != "error" for r in ray)
    assert _strip(local) == _strip(ray)
    assert all(result_path(tmp_path / "ray", c).is_file() for c in REAL)


@pytest.mark.skipif(importlib.util.find_spec("dask") is not None,
                    reason="dask is installed")
def test_dask_missing_message(tmp_path: Path) -> None:
    with pytest.raises(ImportError, match=r"infoplane\[dask\]"):
        run_claims([OK], out=tmp_path, backend="dask", progress=False)


@pytest.mark.skipif(importlib.util.find_spec("ray") is not None, reason="ray is installed")
def test_ray_missing_message(tmp_path: Path) -> None:
    with pytest.raises(ImportError, match=r"infoplane\[ray\]"):
        run_claims([OK], out=tmp_path, backend="ray", progress=False)


@pytest.mark.parametrize(("jobs", "n_claims"), [(1, 1), (2, 1), (2, 2)])
def test_workers_limit_threads(tmp_path: Path, jobs: int, n_claims: int) -> None:
    """Claims run in worker processes whose thread pools share the cores (no oversubscription)."""
    import os

    claims = [THREADS, _claim("threads-2", "claim_threads")][:n_claims]
    results = run_claims(claims, out=tmp_path, jobs=jobs, progress=False)
    workers = min(jobs, n_claims)
    want = os.environ.get("OMP_NUM_THREADS", str(max((os.cpu_count() or 1) // workers, 1)))
    for r in results:
        assert r.verdict == "holds", r.why
        assert r.numbers["omp"] == want and r.numbers["torch"] == int(want)
        assert r.numbers["pid"] != os.getpid()


def test_a_result_without_checks_is_an_error_and_old_results_rerun(tmp_path: Path) -> None:
    nochecks = _claim("nochecks", "claim_without_checks")
    (res,) = run_claims([nochecks], out=tmp_path, progress=False)
    assert res.verdict == "error" and "without checks" in res.why
    # a result saved before typed checks (no schema in its settings) is not reused
    run_claims([OK], out=tmp_path, seeds=2, progress=False)
    path = result_path(tmp_path, "pythagoras")
    old = json.loads(path.read_text())
    old["settings"].pop("schema")
    path.write_text(json.dumps(old))
    assert load_result(tmp_path, "pythagoras", {"quick": True, "seeds": 2, "seed": 0,
                                                "schema": 2}) is None
    run_claims([OK], out=tmp_path, seeds=2, progress=False)
    assert _calls(tmp_path, "pythagoras") == 2
