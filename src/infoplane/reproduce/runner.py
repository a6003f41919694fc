"""Run claims as independent tasks, locally or on a cluster, with resume.

Each claim runs in a worker process of joblib's loky executor (``"loky"``, also when
``jobs == 1``), through :class:`joblib.Parallel` on a ``"dask"`` cluster, or as a Ray task
(``"ray"``: Ray's joblib backend cannot stream results, so Ray tasks are submitted and
awaited directly). The main process saves each finished result atomically to
``<out>/claims/<id>.json`` as soon as it arrives, whatever the order; a re-run with the same
settings (``quick``, ``seeds``, ``seed``) loads it instead of running the claim again. A claim
that raises (or calls :func:`sys.exit`) becomes a :class:`ClaimResult` with verdict
``"error"`` and its traceback goes to ``<out>/logs/<id>.log``; the other claims are
unaffected. With the loky backend, a worker process that dies (out of memory, a crash in
native code, :func:`os._exit`) also becomes an ``"error"`` result for the claim it was
running. An exclusive lock on ``<out>/.reproduce.lock`` keeps two runs out of one directory.
"""

from __future__ import annotations

import contextlib
import functools
import json
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from infoplane._executors import Backend, _why, check_execution, describe_lost, lock, stream
from infoplane._io import atomic_write, write_json
from infoplane._progress import Progress
from infoplane._validation import as_int
from infoplane.reproduce.registry import Claim, ClaimContext, ClaimResult, get

__all__ = ["DEFAULT_SEEDS", "RESULT_SCHEMA", "Backend", "load_result", "result_path",
           "result_settings", "run_claims"]

DEFAULT_SEEDS: dict[bool, int] = {True: 3, False: 20}
"""Seeds used when ``seeds=None``: 3 in quick mode, 20 in full mode (the papers' sizes)."""
LOCK_NAME = ".reproduce.lock"
"""The lock file in `out` held by a running :func:`run_claims`."""


#: Version of the saved result format and of what the claims measure; results saved under
#: another version are run again (2: typed checks, issue 12).
RESULT_SCHEMA = 2


def result_settings(quick: bool, seeds: int, seed: int) -> dict[str, Any]:
    """The settings a saved result must match to be reused (with :data:`RESULT_SCHEMA`)."""
    return {"quick": quick, "seeds": seeds, "seed": seed, "schema": RESULT_SCHEMA}


def result_path(out: str | Path, claim_id: str) -> Path:
    """Where the result of `claim_id` is saved: ``<out>/claims/<claim_id>.json``."""
    return Path(out) / "claims" / f"{claim_id}.json"


def _log_path(out: Path, claim_id: str) -> Path:
    return out / "logs" / f"{claim_id}.log"


def load_result(out: str | Path, claim_id: str,
                settings: dict[str, Any] | None = None) -> ClaimResult | None:
    """Load a saved result, or None when missing, unreadable or run with other settings.

    Parameters
    ----------
    out : str or Path
        The report directory given to :func:`run_claims`.
    claim_id : str
        The claim's id.
    settings : dict or None
        When given, the saved ``{"quick", "seeds", "seed"}`` must equal it.

    Returns
    -------
    ClaimResult or None
    """
    path = result_path(out, claim_id)
    try:
        data = json.loads(path.read_text())
        if settings is not None and data.get("settings") != settings:
            return None
        result = ClaimResult.from_dict(data["result"])
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    return result if result.claim_id == claim_id else None


def _relative_figures(figures: Sequence[str], out: Path) -> tuple[str, ...]:
    rel = []
    for f in figures:
        p = Path(f)
        if p.is_absolute():
            with contextlib.suppress(ValueError):
                p = p.resolve().relative_to(out)
        rel.append(p.as_posix())
    return tuple(rel)


def _execute(claim: Claim, out: str, quick: bool, seeds: int,
             seed: int) -> tuple[ClaimResult, str | None]:
    """Run one claim (in a worker); never raises an ``Exception`` or ``SystemExit``.

    A claim calling :func:`sys.exit` becomes an ``"error"`` result like one that raises;
    ``KeyboardInterrupt`` propagates.

    Returns
    -------
    tuple of (ClaimResult, str or None)
        The result and, for a failure, the traceback text (written by the main process).
    """
    root = Path(out)
    start = time.perf_counter()
    try:
        work = root / "claims" / claim.id
        work.mkdir(parents=True, exist_ok=True)
        func = claim.load_func()
        result = func(ClaimContext(out_dir=work, quick=quick, seeds=seeds, seed=seed))
        if not isinstance(result, ClaimResult):
            raise TypeError(f"claim {claim.id!r}: {claim.func} must return a ClaimResult, "
                            f"got {type(result).__name__}.")
        if not result.checks:
            raise TypeError(f"claim {claim.id!r}: {claim.func} returned a result without "
                            "checks; build it with ClaimResult.from_checks so its verdict "
                            "comes from checks that could have failed.")
        result = replace(result, claim_id=claim.id,
                         figures=_relative_figures(result.figures, root),
                         seconds=time.perf_counter() - start)
        return result, None
    except (Exception, SystemExit) as exc:
        return (ClaimResult(claim.id, "error", _why(exc), seconds=time.perf_counter() - start),
                traceback.format_exc())


def _lost(claim: Claim, exc: BaseException, what: str,
          seconds: float = 0.0) -> tuple[ClaimResult, str]:
    """The ``"error"`` result (and log text) of a claim whose task failed outside the claim."""
    why = describe_lost(exc, what, "claim")
    log = (f"{why}\n\n"
           + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    return ClaimResult(claim.id, "error", why, seconds=seconds), log


def _stream(backend: str, todo: Sequence[Claim], args: tuple[str, bool, int, int], jobs: int,
            scheduler: str | None) -> Iterator[tuple[ClaimResult, str | None]]:
    """Yield ``(result, traceback)`` per claim as the chosen backend finishes them (unordered).

    Claims always run in worker processes with ``"loky"`` (also for ``jobs == 1``), so a
    claim that kills its process cannot kill the caller (see :mod:`infoplane._executors`).
    """
    return stream(functools.partial(_run_claim, args=args), todo, backend=backend, jobs=jobs,
                  scheduler=scheduler, lost=_lost, noun="claim")


def _run_claim(claim: Claim, args: tuple[str, bool, int, int]) -> tuple[ClaimResult, str | None]:
    return _execute(claim, *args)


def _lock(root: Path) -> contextlib.AbstractContextManager[None]:
    """Hold an exclusive, non-blocking lock on ``<root>/.reproduce.lock`` (POSIX only).

    Raises
    ------
    ValueError
        When another process (or another open lock in this one) holds it.
    """
    return lock(root, LOCK_NAME, "infoplane reproduce")


def run_claims(claim_ids: Sequence[str | Claim] | str | None = None, *, out: str | Path,
               quick: bool = True, seeds: int | None = None, seed: int = 0, jobs: int = 1,
               backend: Backend = "loky", scheduler: str | None = None,
               progress: bool = True,
               on_result: Callable[[ClaimResult], None] | None = None) -> list[ClaimResult]:
    """Test claims, each as an independent task, saving and resuming results.

    Parameters
    ----------
    claim_ids : sequence of (str or Claim), str, or None
        Registered claim ids (or :class:`Claim` objects, e.g. ones not in the registry);
        None runs every registered claim.
    out : str or Path
        Report directory. Results go to ``out/claims/<id>.json``, each claim's working
        directory (figures) is ``out/claims/<id>/``, tracebacks go to ``out/logs/<id>.log``.
    quick : bool
        Quick mode (default) or full-size measurements.
    seeds : int or None
        Seeds per claim (>= 1); None means :data:`DEFAULT_SEEDS` ``[quick]`` (3 quick, 20 full).
    seed : int
        First seed (>= 0).
    jobs : int
        Parallel tasks (>= 1, or -1 for one per CPU core); for ``"dask"`` also the number of
        LocalCluster workers started when `scheduler` is None. With ``"loky"`` claims run in
        worker processes even for ``jobs=1``.
    backend : {"loky", "dask", "ray"}
        Local worker processes (loky), a Dask cluster or a Ray cluster.
    scheduler : str or None
        Cluster address (Dask scheduler ``"tcp://host:8786"`` or Ray ``"auto"``/``"ray://…"``),
        only with backend ``"dask"`` or ``"ray"``. None starts a local Dask cluster on
        127.0.0.1 / a local Ray instance.
    progress : bool
        Show progress on stderr: a tqdm bar on a terminal, otherwise a plain line (done/total,
        elapsed, estimated remaining) every 10 s (:class:`infoplane._progress.Progress`).
    on_result : callable or None
        Called with each result as soon as it is saved (in completion order; loaded results
        are not passed), e.g. to print its verdict line at once.

    Returns
    -------
    list of ClaimResult
        One per requested claim, in the requested order (loaded ones included).

    Raises
    ------
    ValueError
        For an unknown claim id or a bad option, or when another run holds the lock on `out`.
    ImportError
        When the Dask or Ray backend is requested but not installed.

    Notes
    -----
    A claim counts as finished, and is skipped on a re-run, when its JSON exists with the same
    ``quick``/``seeds``/``seed``; results with verdict ``"error"`` are always re-run. With a
    remote cluster the claim's figures are written on the worker's file system, so `out`
    should be on storage shared with the workers.

    A claim that raises or calls :func:`sys.exit` gets verdict ``"error"``; so does, with
    ``"loky"`` (and Ray), a claim whose worker process dies: after a worker death the claims
    that were lost with the pool are re-run one at a time, each in a fresh worker, so only the
    guilty claim is reported (it runs twice). With ``"dask"``, a worker that keeps dying is
    retried by Dask and is not turned into an ``"error"`` result (the run stops with Dask's
    ``KilledWorker``); the claims finished before stay saved.

    While it runs, ``run_claims`` holds an exclusive lock on ``<out>/.reproduce.lock``
    (``fcntl.flock``, POSIX): a second run into the same `out` raises ``ValueError``.

    Examples
    --------
    >>> import tempfile
    >>> from infoplane.reproduce import Claim
    >>> c = Claim("sqrt", "mmi", "-", "-", "-", "math:sqrt")   # returns no ClaimResult
    >>> [r.verdict for r in run_claims([c], out=tempfile.mkdtemp(), progress=False)]
    ['error']
    """
    quick = bool(quick)
    n_seeds = DEFAULT_SEEDS[quick] if seeds is None else as_int("seeds", seeds, min_value=1)
    seed = as_int("seed", seed, min_value=0)
    n_jobs = check_execution(jobs, backend, scheduler)
    if isinstance(claim_ids, str | Claim):
        claim_ids = [claim_ids]
    if claim_ids is None:
        claims = get(None)
    else:
        names = [c for c in claim_ids if not isinstance(c, Claim)]
        found = {c.id: c for c in get(names)} if names else {}
        claims = list({(c.id if isinstance(c, Claim) else c):
                       (c if isinstance(c, Claim) else found[c]) for c in claim_ids}.values())
    root = Path(out).resolve()
    settings: dict[str, Any] = result_settings(quick, n_seeds, seed)
    with _lock(root):
        results: dict[str, ClaimResult] = {}
        todo: list[Claim] = []
        for claim in claims:
            done = load_result(root, claim.id, settings)
            if done is not None and done.verdict != "error":
                results[claim.id] = done
            else:
                todo.append(claim)

        if todo:
            args = (str(root), quick, n_seeds, seed)
            with Progress(len(todo), desc="reproduce", unit="claims",
                          enabled=bool(progress)) as bar:
                for result, tb in _stream(backend, todo, args, n_jobs, scheduler):
                    _save(root, result, tb, settings)
                    results[result.claim_id] = result
                    if on_result is not None:
                        on_result(result)
                    bar.update(f"{result.claim_id}: {result.verdict}")
    return [results[c.id] for c in claims]


def _save(root: Path, result: ClaimResult, tb: str | None, settings: dict[str, Any]) -> None:
    """Write the result JSON (and the traceback log, or drop a stale one) atomically."""
    log = _log_path(root, result.claim_id)
    if tb is not None:
        data = tb.encode()
        atomic_write(log, lambda fh: fh.write(data))
    else:
        log.unlink(missing_ok=True)
    write_json(result_path(root, result.claim_id),
               {"settings": settings, "result": result.to_dict()})
