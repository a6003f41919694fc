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
import json
import os
import re
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import joblib
from tqdm.auto import tqdm

from infoplane._io import atomic_write, write_json
from infoplane._validation import as_int, choice
from infoplane.reproduce.registry import Claim, ClaimContext, ClaimResult, get

__all__ = ["DEFAULT_SEEDS", "Backend", "load_result", "result_path", "run_claims"]

Backend = Literal["loky", "dask", "ray"]
BACKENDS: tuple[str, ...] = ("loky", "dask", "ray")
DEFAULT_SEEDS: dict[bool, int] = {True: 3, False: 20}
"""Seeds used when ``seeds=None``: 3 in quick mode, 20 in full mode (the papers' sizes)."""
LOCK_NAME = ".reproduce.lock"
"""The lock file in `out` held by a running :func:`run_claims`."""


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


def _why(exc: BaseException) -> str:
    """``"<ExceptionType>: <first line of the message>"`` (just the type for no message)."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")


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
        result = replace(result, claim_id=claim.id,
                         figures=_relative_figures(result.figures, root),
                         seconds=time.perf_counter() - start)
        return result, None
    except (Exception, SystemExit) as exc:
        return (ClaimResult(claim.id, "error", _why(exc), seconds=time.perf_counter() - start),
                traceback.format_exc())


@contextlib.contextmanager
def _dask(jobs: int, scheduler: str | None) -> Iterator[None]:
    """Activate joblib's Dask backend (starting a LocalCluster or connecting to `scheduler`)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise ImportError("backend='dask' needs Dask distributed: "
                          "pip install 'infoplane[dask]'.") from exc
    with contextlib.ExitStack() as stack:
        if scheduler is None:
            cluster = stack.enter_context(LocalCluster(
                n_workers=jobs if jobs > 0 else (os.cpu_count() or 1), processes=True,
                threads_per_worker=1, dashboard_address=None, host="127.0.0.1"))
            stack.enter_context(Client(cluster))
        else:
            stack.enter_context(Client(scheduler))
        with joblib.parallel_config(backend="dask"):
            yield


def _ray_stream(todo: Sequence[Claim], args: tuple[str, bool, int, int], jobs: int,
                scheduler: str | None) -> Iterator[tuple[ClaimResult, str | None]]:
    """Run claims as Ray tasks and yield each result as soon as it finishes.

    Ray's joblib backend cannot stream results (``return_as="generator"`` is refused), and the
    runner must save each claim when it finishes, so Ray gets its own loop: at most `jobs`
    tasks in flight (all when ``jobs == -1``), ``ray.wait`` for the next one to finish.
    """
    try:
        import ray
    except ImportError as exc:
        raise ImportError("backend='ray' needs Ray: pip install 'infoplane[ray]'.") from exc
    started = not ray.is_initialized()
    if started:
        if scheduler is not None:
            ray.init(address=scheduler, log_to_driver=False)
        else:
            ray.init(num_cpus=jobs if jobs > 0 else None, include_dashboard=False,
                     log_to_driver=False)
    try:
        remote = ray.remote(num_cpus=1)(_execute)
        queue = list(todo)
        limit = len(queue) if jobs <= 0 else jobs
        pending: list[Any] = []
        claim_of: dict[Any, Claim] = {}
        while queue or pending:
            while queue and len(pending) < limit:
                claim = queue.pop(0)
                ref = remote.remote(claim, *args)
                claim_of[ref] = claim
                pending.append(ref)
            done, pending = ray.wait(pending, num_returns=1)
            claim = claim_of.pop(done[0])
            try:
                yield ray.get(done[0])
            except Exception as exc:  # the task could not run or its worker died
                yield _lost(claim, exc, "the Ray task failed")
    finally:
        if started:
            ray.shutdown()


def _lost(claim: Claim, exc: BaseException, what: str,
          seconds: float = 0.0) -> tuple[ClaimResult, str]:
    """The ``"error"`` result (and log text) of a claim whose task failed outside the claim."""
    if isinstance(exc, BrokenProcessPool):
        codes = re.search(r"exit codes? of the workers? (?:are|is) (\{.*?\})", str(exc))
        detail = f"{type(exc).__name__}: exit codes {codes.group(1)}" if codes else _why(exc)
        why = (f"the worker process died while running this claim ({detail}): "
               "out of memory or a crash in native code?")
    else:
        why = f"{what} ({_why(exc)})"
    log = (f"{why}\n\n"
           + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    return ClaimResult(claim.id, "error", why, seconds=seconds), log


#: Thread-pool variables set in loky workers (as joblib's own loky backend does).
THREAD_VARS: tuple[str, ...] = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                                "NUMBA_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def _thread_env(workers: int) -> dict[str, str]:
    """Per-worker thread limits: ``cpu_count // workers`` unless the caller set the variable.

    Without them each worker's PyTorch/BLAS would start one thread per core and ``workers``
    processes would oversubscribe the machine.
    """
    default = str(max((os.cpu_count() or 1) // max(workers, 1), 1))
    return {var: os.environ.get(var, default) for var in THREAD_VARS}


def _loky_stream(todo: Sequence[Claim], args: tuple[str, bool, int, int],
                 jobs: int) -> Iterator[tuple[ClaimResult, str | None]]:
    """Run claims in loky worker processes and yield each result as soon as it finishes.

    Claims always run in worker processes (also for ``jobs == 1``), so a claim that kills its
    process cannot kill the caller. When a worker dies, loky fails every unfinished future
    of the pool (``TerminatedWorkerError``) without saying which claim killed it; those claims
    are then re-run one at a time, each in a fresh single-worker executor: the guilty claim
    dies again and gets an ``"error"`` result, the innocent ones complete.
    """
    from joblib.externals.loky import get_reusable_executor
    from joblib.externals.loky.process_executor import ShutdownExecutorError

    lost = (BrokenProcessPool, ShutdownExecutorError)
    workers = max(1, min(len(todo), (os.cpu_count() or 1) if jobs <= 0 else jobs))
    env = _thread_env(workers)
    executor = current = get_reusable_executor(max_workers=workers, env=env)
    futures: dict[Future[tuple[ClaimResult, str | None]], Claim] = {}
    suspects: list[Claim] = []
    finished = False
    try:
        for claim in todo:
            try:
                futures[executor.submit(_execute, claim, *args)] = claim
            except lost:  # the pool broke while submitting: retry this claim alone
                suspects.append(claim)
        for future in as_completed(futures):
            claim = futures[future]
            try:
                yield future.result()
            except lost:
                suspects.append(claim)
            except Exception as exc:  # e.g. the claim or its result cannot be pickled
                yield _lost(claim, exc, "the claim could not be run in a worker process")
        for claim in sorted(suspects, key=todo.index):
            single = current = get_reusable_executor(max_workers=1, reuse=False,
                                                     env=_thread_env(1))
            start = time.perf_counter()
            try:
                yield single.submit(_execute, claim, *args).result()
            except Exception as exc:
                yield _lost(claim, exc, "the claim could not be run in a worker process",
                            time.perf_counter() - start)
        finished = True
    finally:
        if not finished:  # interrupted (Ctrl-C, or the consumer stopped): stop the workers
            for future in futures:
                future.cancel()
            current.shutdown(wait=False, kill_workers=True)


def _stream(backend: str, todo: Sequence[Claim], args: tuple[str, bool, int, int], jobs: int,
            scheduler: str | None) -> Iterator[tuple[ClaimResult, str | None]]:
    """Yield ``(result, traceback)`` per claim as the chosen backend finishes them (unordered)."""
    if backend == "ray":
        yield from _ray_stream(todo, args, jobs, scheduler)
        return
    if backend == "loky":
        yield from _loky_stream(todo, args, jobs)
        return
    with _dask(jobs, scheduler):
        parallel = joblib.Parallel(n_jobs=jobs, return_as="generator_unordered")
        yield from parallel(joblib.delayed(_execute)(c, *args) for c in todo)


@contextlib.contextmanager
def _lock(root: Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking lock on ``<root>/.reproduce.lock`` (POSIX only).

    Raises
    ------
    ValueError
        When another process (or another open lock in this one) holds it.
    """
    if sys.platform == "win32":  # no flock: no guard
        yield
        return
    import fcntl

    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_NAME
    with path.open("a") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ValueError(f"`out` {str(root)!r} is locked ({path}): another "
                             "`infoplane reproduce` run is using it; wait for it to finish "
                             "or choose another `out`.") from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def run_claims(claim_ids: Sequence[str | Claim] | str | None = None, *, out: str | Path,
               quick: bool = True, seeds: int | None = None, seed: int = 0, jobs: int = 1,
               backend: Backend = "loky", scheduler: str | None = None,
               progress: bool = True) -> list[ClaimResult]:
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
        Show a tqdm bar over claims (only when stderr is a terminal).

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
    n_jobs = as_int("jobs", jobs, min_value=-sys.maxsize - 1)  # type check only
    if n_jobs < 1 and n_jobs != -1:
        raise ValueError(f"`jobs` must be an integer >= 1, or -1 for one per CPU core, "
                         f"got {jobs!r}.")
    choice("backend", backend, BACKENDS)
    if scheduler is not None and not isinstance(scheduler, str):
        raise TypeError(f"`scheduler` must be an address string or None, got {scheduler!r}.")
    if scheduler is not None and backend == "loky":
        raise ValueError(f"`scheduler` ({scheduler!r}) needs backend 'dask' or 'ray'; "
                         "backend 'loky' runs local processes only.")
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
    settings: dict[str, Any] = {"quick": quick, "seeds": n_seeds, "seed": seed}
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
            show = bool(progress) and sys.stderr.isatty()
            args = (str(root), quick, n_seeds, seed)
            with tqdm(total=len(todo), desc="claims", unit="claim", disable=not show) as bar:
                for result, tb in _stream(backend, todo, args, n_jobs, scheduler):
                    _save(root, result, tb, settings)
                    results[result.claim_id] = result
                    bar.set_postfix_str(f"{result.claim_id}: {result.verdict}")
                    bar.update(1)
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
