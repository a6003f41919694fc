"""Run independent units of work on local processes, Dask or Ray, streaming results.

Shared by :mod:`infoplane.reproduce.runner` (one unit = one claim) and
:mod:`infoplane.benchmark` (one unit = one estimator × task × seed). :func:`stream` yields each
unit's result as soon as it finishes, in whatever order, so the caller can save it atomically
at once and a killed run loses only the units in flight; :func:`lock` keeps two runs out of one
output directory.

Backends
--------
``"loky"``
    joblib's loky process executor (``jobs`` workers, ``-1`` = one per core), with
    ``concurrent.futures.as_completed``. When a worker dies (out of memory, a crash in native
    code, :func:`os._exit`) loky fails every unfinished future without saying which unit was
    guilty; those units are re-run one at a time in fresh single-worker executors, so only the
    guilty one is reported lost. ``in_process=True`` runs the units in the calling process
    instead, one after the other (no pickling; a crash is then the caller's crash). Each worker
    runs a watchdog thread (:func:`_orphan_watchdog`) that ends it within a fraction of a
    second once the process that started it is gone, however that process ended (``kill -9``
    included), so no worker, and then no loky resource tracker, outlives the run.
``"dask"``
    ``joblib.Parallel(return_as="generator_unordered")`` on a Dask ``LocalCluster`` (or the
    cluster at ``scheduler``).
``"ray"``
    Ray tasks submitted with ``ray.remote`` and collected with ``ray.wait``, at most ``jobs``
    in flight: Ray's joblib backend refuses generator returns.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Literal, TypeVar

import joblib

from infoplane._validation import as_int, choice

__all__ = ["BACKENDS", "THREAD_VARS", "Backend", "check_execution", "describe_lost", "lock",
           "stream", "thread_env"]

Backend = Literal["loky", "dask", "ray"]
BACKENDS: tuple[str, ...] = ("loky", "dask", "ray")

T = TypeVar("T")
R = TypeVar("R")

#: ``lost(item, exc, what, seconds) -> result``: the result of a unit whose task failed outside
#: the unit's own code (its worker died, it could not be pickled, the Ray task failed).
Lost = Callable[[T, BaseException, str, float], R]

#: Thread-pool variables set in loky workers (as joblib's own loky backend does).
THREAD_VARS: tuple[str, ...] = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                                "NUMBA_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def check_execution(jobs: int, backend: str, scheduler: str | None) -> int:
    """Validate ``jobs`` (>= 1 or -1), ``backend`` and ``scheduler``; return ``jobs``.

    Raises
    ------
    ValueError, TypeError
        With the project's message template, naming the argument.
    """
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
    return n_jobs


def _why(exc: BaseException) -> str:
    """``"<ExceptionType>: <first line of the message>"`` (just the type for no message)."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def describe_lost(exc: BaseException, what: str, noun: str) -> str:
    """One line saying why a unit (a ``noun``: "claim", "estimate") has no result.

    A dead worker process (``BrokenProcessPool``) is named as such, with loky's exit codes;
    anything else is ``"<what> (<ExceptionType>: <message>)"``.
    """
    if isinstance(exc, BrokenProcessPool):
        codes = re.search(r"exit codes? of the workers? (?:are|is) (\{.*?\})", str(exc))
        detail = f"{type(exc).__name__}: exit codes {codes.group(1)}" if codes else _why(exc)
        return (f"the worker process died while running this {noun} ({detail}): "
                "out of memory or a crash in native code?")
    return f"{what} ({_why(exc)})"


def thread_env(workers: int) -> dict[str, str]:
    """Per-worker thread limits: ``cpu_count // workers`` unless the caller set the variable.

    Without them each worker's PyTorch/BLAS would start one thread per core and ``workers``
    processes would oversubscribe the machine.
    """
    default = str(max((os.cpu_count() or 1) // max(workers, 1), 1))
    return {var: os.environ.get(var, default) for var in THREAD_VARS}


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


#: Seconds between two looks of a worker's watchdog at its parent process.
WATCHDOG_PERIOD = 0.2


def _orphan_watchdog(parent: int, period: float = WATCHDOG_PERIOD) -> None:
    """Start a daemon thread that ends this worker process once ``parent`` is gone.

    The loky worker initializer. A worker whose parent is killed (``SIGKILL``, ``SIGTERM``,
    an out-of-memory kill) is re-parented, so :func:`os.getppid` stops being ``parent``; the
    thread then ends the worker at once with :func:`os._exit` (no cleanup can hang). Polling
    rather than Linux's ``PR_SET_PDEATHSIG``: that signal fires when the *thread* that forked
    the worker ends, and loky forks from whichever thread submits (or from its manager thread),
    so a reused executor could lose healthy workers; polling is also portable.

    Parameters
    ----------
    parent : int
        The pid of the process that created the executor.
    period : float
        Seconds between two looks.
    """
    if os.getppid() != parent:  # the parent died before the worker got here
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(period)
        os._exit(1)

    threading.Thread(target=watch, name="infoplane-orphan-watchdog", daemon=True).start()


def _executor(workers: int, *, reuse: bool | str = "auto") -> Any:
    """loky's reusable executor with ``workers`` workers, each watching its parent."""
    from joblib.externals.loky import get_reusable_executor

    return get_reusable_executor(max_workers=workers, reuse=reuse, env=thread_env(workers),
                                 initializer=_orphan_watchdog, initargs=(os.getpid(),))


def _call(func: Callable[[T], R], item: T) -> R:
    """``func(item)``: the one function Ray needs to wrap (it refuses ``functools.partial``)."""
    return func(item)


def _ray_stream(func: Callable[[T], R], items: Sequence[T], jobs: int, scheduler: str | None,
                lost: Lost[T, R], noun: str) -> Iterator[R]:
    """Run units as Ray tasks and yield each result as soon as it finishes."""
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
        remote = ray.remote(num_cpus=1)(_call)
        queue = list(items)
        limit = len(queue) if jobs <= 0 else jobs
        pending: list[Any] = []
        item_of: dict[Any, T] = {}
        while queue or pending:
            while queue and len(pending) < limit:
                item = queue.pop(0)
                ref = remote.remote(func, item)
                item_of[ref] = item
                pending.append(ref)
            done, pending = ray.wait(pending, num_returns=1)
            item = item_of.pop(done[0])
            try:
                yield ray.get(done[0])
            except Exception as exc:  # the task could not run or its worker died
                yield lost(item, exc, "the Ray task failed", 0.0)
    finally:
        if started:
            ray.shutdown()


def _loky_stream(func: Callable[[T], R], items: Sequence[T], jobs: int, lost: Lost[T, R],
                 noun: str) -> Iterator[R]:
    """Run units in loky worker processes and yield each result as soon as it finishes.

    When a worker dies, loky fails every unfinished future of the pool
    (``TerminatedWorkerError``) without saying which unit killed it; those units are then
    re-run one at a time, each in a fresh single-worker executor: the guilty unit dies again
    and gets its ``lost`` result, the innocent ones complete.
    """
    from joblib.externals.loky.process_executor import ShutdownExecutorError

    broken = (BrokenProcessPool, ShutdownExecutorError)
    what = f"the {noun} could not be run in a worker process"
    workers = max(1, min(len(items), (os.cpu_count() or 1) if jobs <= 0 else jobs))
    executor = current = _executor(workers)
    futures: dict[Future[R], int] = {}
    suspects: list[int] = []
    finished = False
    try:
        for i, item in enumerate(items):
            try:
                futures[executor.submit(func, item)] = i
            except broken:  # the pool broke while submitting: retry this unit alone
                suspects.append(i)
        for future in as_completed(futures):
            i = futures[future]
            try:
                yield future.result()
            except broken:
                suspects.append(i)
            except Exception as exc:  # e.g. the unit or its result cannot be pickled
                yield lost(items[i], exc, what, 0.0)
        for i in sorted(suspects):
            single = current = _executor(1, reuse=False)
            start = time.perf_counter()
            try:
                yield single.submit(func, items[i]).result()
            except Exception as exc:
                yield lost(items[i], exc, what, time.perf_counter() - start)
        finished = True
    finally:
        if not finished:  # interrupted (Ctrl-C, or the consumer stopped): stop the workers
            for future in futures:
                future.cancel()
            current.shutdown(wait=False, kill_workers=True)


def stream(func: Callable[[T], R], items: Sequence[T], *, backend: str, jobs: int,
           scheduler: str | None, lost: Lost[T, R], noun: str = "task",
           in_process: bool = False) -> Iterator[R]:
    """Yield ``func(item)`` for every item as the chosen backend finishes them (unordered).

    Parameters
    ----------
    func : callable
        A module-level function (or a ``functools.partial`` of one) for the process backends:
        it is pickled to the workers. It should turn its own exceptions into results.
    items : sequence
        The units of work (picklable for the process backends).
    backend : {"loky", "dask", "ray"}
    jobs : int
        Workers (``-1`` = one per CPU core).
    scheduler : str or None
        Dask scheduler / Ray cluster address; None starts a local cluster.
    lost : callable
        ``lost(item, exc, what, seconds)`` builds the result of a unit whose task failed
        outside ``func`` (see :func:`describe_lost`).
    noun : str
        What a unit is called in those messages ("claim", "estimate").
    in_process : bool
        With ``"loky"``: run the units here, in order, one at a time.
    """
    if backend == "ray":
        yield from _ray_stream(func, items, jobs, scheduler, lost, noun)
        return
    if backend == "loky":
        if in_process:
            for item in items:
                yield func(item)
            return
        yield from _loky_stream(func, items, jobs, lost, noun)
        return
    with _dask(jobs, scheduler):
        parallel = joblib.Parallel(n_jobs=jobs, return_as="generator_unordered")
        yield from parallel(joblib.delayed(func)(item) for item in items)


@contextlib.contextmanager
def lock(root: Path, name: str, command: str) -> Iterator[None]:
    """Hold an exclusive, non-blocking ``flock`` on ``<root>/<name>`` (POSIX only).

    Parameters
    ----------
    root : Path
        The output directory (created if missing).
    name : str
        The lock file's name, e.g. ``".reproduce.lock"``.
    command : str
        The command named in the refusal, e.g. ``"infoplane reproduce"``.

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
    path = root / name
    with path.open("a") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ValueError(f"`out` {str(root)!r} is locked ({path}): another "
                             f"`{command}` run is using it; wait for it to finish "
                             "or choose another output directory.") from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
