"""Score mutual-information estimators on tasks whose mutual information is known.

``run(estimators, tasks=..., n=..., seeds=...)`` draws ``n`` samples of every task for every
seed (:mod:`infoplane.samplers`; the same sample for every estimator, so the comparison is
paired), asks every estimator for I(X;Y) in nats and returns a :class:`BenchmarkResult`: a
tidy frame with one row per (task, estimator, n, seed) and a per-estimator table.

Criterion (after the BMI benchmark, Czyż et al., "Beyond normal: on the evaluation of mutual
information estimators", NeurIPS 2023): a task is *within tolerance* for an estimator when every
seed produced an estimate and

    |mean over seeds of (estimate − truth)| ≤ max(abs_tol, rel_tol · truth)

(defaults 0.1 nats and 10 %). The table counts those tasks among the applicable ones and gives
the mean absolute error over all (task, seed) estimates.

Applicability (decided before anything runs, never from an exception)
-----------------------------------------------------------------------
Each side of a task is *continuous* (float columns) or *discrete* (integer labels). Each
estimator declares the kinds it is defined for (:data:`DATA_KINDS`, or a ``data_kinds``
attribute of its class, or else its ``y_discrete`` class variable): KSG and the Gaussian fit
need two continuous sides, KDE and ``MixedKSG(method="ross")`` a continuous x and discrete y;
Binning, ``Auto``, ``MixedKSG(method="gao")`` and the neural bounds take either kind (labels
enter the networks as a real column, and the variational bounds hold for any distribution).
Mutual information is symmetric, so a task whose discrete side is x is given to an estimator
that needs it as y with the sides swapped. Otherwise the row is ``"not applicable"`` with the
reason: the benchmark never feeds labels to a continuous-only estimator as if they were real
numbers. A user callable is applied to every task as the task gives its data; it declares a
task not applicable by raising :class:`NotImplementedError`. Any other exception is an
``"error"`` row with the exception's message, and the run continues.

Storage and resume (with ``out``)
---------------------------------
Each finished estimate is written atomically to
``out/results/<estimator>/<task>/n<n>-seed<seed>-<hash>.json`` as soon as it arrives; the hash is
of the full key (the estimator's complete ``repr`` with seed and unit normalised, the task's
``repr``, n, the seed, standardisation), so a re-run with the same settings loads it instead of
estimating again, and a changed option never reuses a stale number. Rows with status
``"error"`` are recomputed on a re-run; an unreadable file is recomputed with a warning.
``out/results.csv``, ``out/summary.json``, ``out/summary.md`` and ``out/benchmark.png`` are
(re)written at the end. An exclusive lock on ``out/.benchmark.lock`` keeps two runs out of one
directory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import functools
import hashlib
import json
import math
import numbers
import re
import threading
import time
import traceback
import types
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from infoplane import _progress
from infoplane._executors import Backend, _why, check_execution, describe_lost, lock, stream
from infoplane._io import atomic_write, jsonable, to_json, write_json
from infoplane._progress import Progress
from infoplane._validation import as_float, as_int, fail
from infoplane.estimators.base import Estimator, standardised, warn
from infoplane.samplers._base import Task, check_sample_size

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["COLUMNS", "DATA_KINDS", "LOCK_NAME", "STATUSES", "BenchmarkResult",
           "EstimatorLike", "applicability", "resolve_tasks", "run"]

#: An estimator to score: an :class:`~infoplane.estimators.base.Estimator`, or any
#: ``f(x, y) -> float`` returning nats.
EstimatorLike: TypeAlias = Estimator | Callable[[npt.NDArray[Any], npt.NDArray[Any]], float]
EstimatorsArg: TypeAlias = (EstimatorLike | Sequence[EstimatorLike]
                            | Mapping[str, EstimatorLike])
TasksArg: TypeAlias = Task | str | Sequence[Task | str]
Status = Literal["ok", "not applicable", "error"]

#: Columns of :attr:`BenchmarkResult.frame`, in order.
COLUMNS: tuple[str, ...] = ("task", "estimator", "n", "seed", "estimate", "truth", "error",
                            "seconds", "wall_seconds", "status", "message")
STATUSES: tuple[str, ...] = ("ok", "not applicable", "error")
LOCK_NAME = ".benchmark.lock"
"""The lock file in `out` held by a running :func:`run`."""
_FORMAT = 1  # version of the per-estimate JSON files
MAX_N = 100_000_000
MAX_SEEDS = 10_000
#: Seconds between the plain progress lines printed when stderr is not a terminal.
PLAIN_INTERVAL = _progress.PLAIN_INTERVAL

# ----------------------------------------------------------------------------- data kinds
_C, _D = "continuous", "discrete"
_CONT = frozenset({_C})
_DISC = frozenset({_D})
_ANY = frozenset({_C, _D})
Kinds: TypeAlias = tuple[frozenset[str], frozenset[str]]

#: Kinds of data (x, y) each built-in estimator is defined for, by class name. A value may be a
#: function of the estimator (``MixedKSG`` depends on its ``method``).
DATA_KINDS: dict[str, Kinds | Callable[[Estimator], Kinds]] = {
    "Binning": (_ANY, _ANY),
    "KDE": (_CONT, _DISC),
    "KSG": (_CONT, _CONT),
    "Gaussian": (_CONT, _CONT),
    "MixedKSG": lambda est: (_CONT, _DISC) if getattr(est, "method", None) == "ross"
    else (_ANY, _ANY),
    "MINE": (_ANY, _ANY),
    "InfoNCE": (_ANY, _ANY),
    "NWJ": (_ANY, _ANY),
    "SMILE": (_ANY, _ANY),
    "Auto": (_ANY, _ANY),
    "NormalScores": (_CONT, _CONT),
}


def _kinds(est: Estimator) -> Kinds:
    """The (x, y) kinds an estimator accepts: class hook, then the table, then ``y_discrete``."""
    spec: Any = getattr(type(est), "data_kinds", None)
    if spec is None:
        spec = DATA_KINDS.get(type(est).__name__)
    if spec is None:
        return (_CONT, _DISC) if type(est).y_discrete else (_CONT, _CONT)
    if callable(spec):
        spec = spec(est)
    kx, ky = spec
    return frozenset(kx), frozenset(ky)


def _plan(est: EstimatorLike, task: Task) -> tuple[str | None, bool]:
    """(why not applicable or None, whether to swap x and y)."""
    if not isinstance(est, Estimator):
        return None, False
    ax, ay = _kinds(est)
    kx = _D if task.x_discrete else _C
    ky = _D if task.y_discrete else _C
    if kx in ax and ky in ay:
        return None, False
    if ky in ax and kx in ay:  # I(X;Y) = I(Y;X)
        return None, True

    def words(kinds: frozenset[str]) -> str:
        return " or ".join(sorted(kinds))

    return (f"{type(est).__name__} needs {words(ax)} x and {words(ay)} y; "
            f"the task has {kx} x and {ky} y"), False


def applicability(estimator: EstimatorLike, task: Task) -> str | None:
    """Why `estimator` is not applicable to `task`, or None when it is.

    Decided from the data kinds alone (see the module docstring); a user callable is always
    applicable here (it may raise ``NotImplementedError`` when called).

    Examples
    --------
    >>> from infoplane.estimators import KSG, KDE
    >>> from infoplane.samplers import get
    >>> applicability(KSG(), get("normal-dense-1x1-0.75")) is None
    True
    >>> applicability(KDE(), get("normal-dense-1x1-0.75"))
    'KDE needs continuous x and discrete y; the task has continuous x and continuous y'
    """
    return _plan(estimator, task)[0]


# ----------------------------------------------------------------------------- estimators
@dataclass(frozen=True)
class _Entry:
    """One estimator to score: its table name, its key text and the object itself."""

    name: str
    spec: str
    func: EstimatorLike


def _estimator_name(est: Estimator) -> str:
    """``ksg``, ``ksg(k=5)``: the lower-cased class name and the options that differ from
    their defaults (``unit`` and ``seed`` are set by the benchmark)."""
    parts = []
    for f in dataclasses.fields(est):
        if not f.init or not f.repr or f.name in ("unit", "seed"):
            continue
        value = getattr(est, f.name)
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = dataclasses.MISSING
        try:
            same = bool(value == default)
        except (TypeError, ValueError):  # e.g. arrays
            same = False
        if not same:
            parts.append(f"{f.name}={value!r}")
    base = type(est).__name__.lower()
    return f"{base}({', '.join(parts)})" if parts else base


def _callable_spec(func: Callable[..., Any]) -> str:
    """A stable key text for a user callable (no memory addresses)."""
    if dataclasses.is_dataclass(func):
        return f"callable:{type(func).__module__}.{func!r}"
    if isinstance(func, functools.partial):
        args = ", ".join([repr(a) for a in func.args]
                         + [f"{k}={v!r}" for k, v in func.keywords.items()])
        return f"partial:{_callable_spec(func.func)}({args})"
    target = func if isinstance(func, types.FunctionType | types.BuiltinFunctionType
                                | types.MethodType) else type(func)
    module = getattr(target, "__module__", "?")
    qual = getattr(target, "__qualname__", type(func).__name__)
    return f"callable:{module}.{qual}"


def _entry(name: str | None, est: Any) -> _Entry:
    if isinstance(est, Estimator):
        norm = dataclasses.replace(est, seed=0, unit="nats")
        return _Entry(name or _estimator_name(est), f"estimator:{norm!r}", est)
    if isinstance(est, type) or not callable(est):
        raise TypeError("`estimators` must hold Estimator instances or callables f(x, y) -> "
                        f"float, got {est!r}.")
    if name is None:
        name = getattr(est, "__name__", None) or type(est).__name__
    return _Entry(str(name), _callable_spec(est), est)


def _entries(estimators: Any) -> list[_Entry]:
    if isinstance(estimators, Mapping):
        items: list[tuple[str | None, Any]] = []
        for key, est in estimators.items():
            if not isinstance(key, str) or not key.strip():
                raise fail("estimators", "a mapping with non-empty str names", key)
            items.append((key, est))
    elif isinstance(estimators, Estimator) or callable(estimators):
        items = [(None, estimators)]
    elif isinstance(estimators, Sequence) and not isinstance(estimators, str):
        items = [(None, est) for est in estimators]
    else:
        raise TypeError("`estimators` must be an Estimator, a callable f(x, y) -> float, a "
                        f"sequence of those or a mapping name -> estimator, got {estimators!r}.")
    if not items:
        raise fail("estimators", "non-empty", estimators)
    out = [_entry(name, est) for name, est in items]
    seen: set[str] = set()
    for e in out:
        if e.name in seen:
            raise ValueError(f"`estimators` must have unique names, got {e.name!r} twice. "
                             "Pass a mapping {name: estimator} to name them.")
        seen.add(e.name)
    return out


# ---------------------------------------------------------------------------------- tasks
_GLOB = re.compile(r"[*?\[]")


def _resolve_one(spec: str) -> list[Task]:
    from infoplane import samplers

    text = spec.strip()
    if text.startswith("suite:"):
        name = text[len("suite:"):]
        if name not in samplers.SUITES:
            opts = ", ".join(repr(f"suite:{k}") for k in samplers.SUITES)
            raise fail("tasks", f"a known suite ({opts})", spec)
        return samplers.suite(name)
    if text.startswith("task:"):
        text = text[len("task:"):]
    elif text in samplers.SUITES:
        return samplers.suite(text)
    if _GLOB.search(text):
        matched = [t for t in samplers.tasks() if fnmatch.fnmatchcase(t.name, text)]
        if not matched:
            raise fail("tasks", "a pattern matching at least one task name", spec,
                       "See infoplane.samplers.SUITES['all'] for the names.")
        return matched
    try:
        return [samplers.get(text)]
    except KeyError as exc:
        hint = str(exc.args[0]).split(f"got {text!r}.", 1)[-1].strip()
        suites = ", ".join(samplers.SUITES)
        raise fail("tasks", f"a task name, a pattern or a suite ({suites})", spec,
                   hint) from None


def resolve_tasks(tasks: TasksArg) -> list[Task]:
    """Tasks from Task objects, names, ``fnmatch`` patterns and suite names.

    A string is, in this order: ``"suite:NAME"`` (a suite of :data:`infoplane.samplers.SUITES`);
    ``"task:NAME"`` (one task, even if a suite has that name); a bare suite name (``"bmi"``);
    a pattern when it holds ``*``, ``?`` or ``[`` (``"normal-*"``); else one task name. Task
    names and suite names do not collide in the registry. Duplicates are dropped (first kept).

    Raises
    ------
    ValueError
        For an unknown name or suite, a pattern matching nothing, an empty selection, or two
        different tasks with the same name.

    Examples
    --------
    >>> [t.name for t in resolve_tasks(["student-dof[12]-*", "normal-dense-1x1-0.75"])]
    ['student-dof1-1x1', 'student-dof2-2x2', 'normal-dense-1x1-0.75']
    >>> len(resolve_tasks("suite:bmi"))
    20
    """
    items: Sequence[Task | str] = [tasks] if isinstance(tasks, Task | str) else tasks
    if isinstance(items, Mapping) or not isinstance(items, Sequence):
        raise TypeError("`tasks` must be a Task, a name/pattern/suite string or a sequence of "
                        f"those, got {tasks!r}.")
    found: dict[str, Task] = {}
    for item in items:
        if isinstance(item, Task):
            group = [item]
        elif isinstance(item, str):
            group = _resolve_one(item)
        else:
            raise TypeError(f"`tasks` must hold Task objects or strings, got {item!r}.")
        for task in group:
            other = found.setdefault(task.name, task)
            if other != task:
                raise ValueError(f"`tasks` must have unique names, got two different tasks "
                                 f"named {task.name!r}.")
    if not found:
        raise fail("tasks", "a non-empty selection", tasks)
    return list(found.values())


# ---------------------------------------------------------------------------------- units
@dataclass(frozen=True)
class _Unit:
    """One estimate to compute: (estimator, task, n, seed), shipped to a worker."""

    estimator: _Entry
    task: Task
    n: int
    seed: int
    standardize: bool
    swap: bool

    def key(self) -> dict[str, Any]:
        return {"format": _FORMAT, "estimator": self.estimator.name,
                "estimator_spec": self.estimator.spec, "task": self.task.name,
                "task_spec": repr(self.task), "n": self.n, "seed": self.seed,
                "standardize": self.standardize, "swap": self.swap}

    def ident(self) -> tuple[str, str, int, int]:
        return (self.estimator.name, self.task.name, self.n, self.seed)


@dataclass(frozen=True)
class _Outcome:
    """What a worker sends back for one unit."""

    ident: tuple[str, str, int, int]
    estimate: float
    status: Status
    message: str
    seconds: float
    wall_seconds: float
    traceback: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"estimate": self.estimate if math.isfinite(self.estimate) else None,
                "status": self.status, "message": self.message, "seconds": self.seconds,
                "wall_seconds": self.wall_seconds, "traceback": self.traceback}


#: The last sample drawn in this process: consecutive units of one (task, n, seed) share it.
_SAMPLE_CACHE: dict[tuple[str, int, int, bool], tuple[npt.NDArray[Any], npt.NDArray[Any]]] = {}
_CACHE_LOCK = threading.Lock()


def _prepared(task: Task, n: int, seed: int, standardize: bool) -> tuple[npt.NDArray[Any],
                                                                         npt.NDArray[Any]]:
    """The task's sample (continuous sides z-scored when `standardize`), cached once."""
    key = (repr(task), n, seed, standardize)
    with _CACHE_LOCK:
        hit = _SAMPLE_CACHE.get(key)
    if hit is not None:
        return hit
    x, y = task.sample(n, seed=seed)
    if standardize:
        if not task.x_discrete:
            x = standardised(np.asarray(x, dtype=np.float64).reshape(n, -1))
        if not task.y_discrete:
            y = standardised(np.asarray(y, dtype=np.float64).reshape(n, -1))
    for arr in (x, y):
        arr.setflags(write=False)
    with _CACHE_LOCK:
        _SAMPLE_CACHE.clear()
        _SAMPLE_CACHE[key] = (x, y)
    return x, y


def _as_estimate(value: Any) -> float:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"the estimator must return a real number, got {value!r}.")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"the estimator returned {out!r}.")
    return out


def _execute(unit: _Unit) -> _Outcome:
    """Compute one estimate (in a worker); never raises an ``Exception`` or ``SystemExit``."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    status: Status = "ok"
    message = ""
    tb: str | None = None
    estimate = math.nan
    try:
        x, y = _prepared(unit.task, unit.n, unit.seed, unit.standardize)
        if unit.swap:
            x, y = y, x
        est = unit.estimator.func
        if isinstance(est, Estimator):
            est = dataclasses.replace(est, seed=unit.seed, unit="nats").estimate
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cpu0, wall0 = time.process_time(), time.perf_counter()
            value = est(x.copy(), y.copy())
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        estimate = _as_estimate(value)
        notes = dict.fromkeys(str(w.message).splitlines()[0] for w in caught if str(w.message))
        message = "; ".join(f"warning: {m}" for m in notes)
    except NotImplementedError as exc:
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        status, message = "not applicable", _why(exc)
    except (Exception, SystemExit) as exc:
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        status, message, tb = "error", _why(exc), traceback.format_exc()
        estimate = math.nan
    return _Outcome(unit.ident(), estimate, status, message, cpu, wall, tb)


def _lost(unit: _Unit, exc: BaseException, what: str, seconds: float) -> _Outcome:
    why = describe_lost(exc, what, "estimate")
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return _Outcome(unit.ident(), math.nan, "error", why, math.nan, seconds, tb)


# --------------------------------------------------------------------------------- store
def _slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
    return (s or "x")[:60]


def _result_path(root: Path, unit: _Unit) -> Path:
    key = unit.key()
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return (root / "results" / _slug(unit.estimator.name) / _slug(unit.task.name)
            / f"n{unit.n}-seed{unit.seed}-{digest}.json")


def _load(path: Path, unit: _Unit) -> _Outcome | None:
    """A saved outcome, None when absent; a warning (and None) when unreadable or foreign."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
        if data["key"] != jsonable(unit.key()):
            raise ValueError("its key does not match")
        res = data["result"]
        status = res["status"]
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        est = math.nan if res["estimate"] is None else float(res["estimate"])
        if status == "ok" and not math.isfinite(est):
            raise ValueError("an ok result without an estimate")
        return _Outcome(unit.ident(), est, status, str(res["message"]),
                        _float(res["seconds"]), _float(res["wall_seconds"]),
                        res.get("traceback"))
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        warn(f"benchmark: the result file {path} is unreadable ({_why(exc)}); "
             "recomputing that estimate.")
        return None


def _float(v: Any) -> float:
    return math.nan if v is None else float(v)


def _save(path: Path, unit: _Unit, outcome: _Outcome) -> None:
    write_json(path, jsonable({"key": unit.key(), "result": outcome.to_dict()}))


# ------------------------------------------------------------------------------- progress
# --------------------------------------------------------------------------------- result
@dataclass(frozen=True)
class BenchmarkResult:
    """The scores of a benchmark run.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per (task, estimator, n, seed), columns :data:`COLUMNS`: ``estimate``, ``truth``
        and ``error = estimate − truth`` in nats (NaN unless ``status == "ok"``); ``seconds``
        the CPU time of the worker process during the estimate (all its threads,
        ``time.process_time``), ``wall_seconds`` its wall-clock time; ``status`` one of
        :data:`STATUSES`; ``message`` the reason (not applicable), the exception (error) or
        the estimator's warnings (ok).
    abs_tol, rel_tol : float
        The tolerance max(abs_tol, rel_tol · truth) on |mean error over seeds|.
    settings : dict
        n, seeds, standardize and the execution settings.
    """

    frame: pd.DataFrame
    abs_tol: float = 0.1
    rel_tol: float = 0.1
    settings: Mapping[str, Any] = field(default_factory=dict)

    def tolerance(self, truth: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """max(abs_tol, rel_tol · truth) for each truth (nats)."""
        t = np.asarray(truth, dtype=np.float64)
        return np.maximum(self.abs_tol, self.rel_tol * t)

    def per_task(self) -> pd.DataFrame:
        """One row per (estimator, n, task): spread over seeds and the tolerance verdict.

        Columns: estimator, n, task, truth, applicable (bool), n_ok and n_errors (seeds),
        mean and std (over the seeds that produced an estimate; std with ddof=1, NaN for one),
        mean_error, tolerance, within (bool: every seed ok and |mean_error| <= tolerance).
        """
        f = self.frame
        ok = f["status"] == "ok"
        parts = f.assign(_est=f["estimate"].where(ok), _ok=ok, _err=f["status"] == "error",
                         _app=f["status"] != "not applicable")
        per = parts.groupby(["estimator", "n", "task"], sort=False).agg(
            truth=("truth", "first"), applicable=("_app", "any"), n_ok=("_ok", "sum"),
            n_errors=("_err", "sum"), mean=("_est", "mean"), std=("_est", "std"))
        per = per.reset_index()
        per["mean_error"] = per["mean"] - per["truth"]
        per["tolerance"] = self.tolerance(per["truth"].to_numpy(dtype=np.float64))
        per["within"] = (per["applicable"] & (per["n_errors"] == 0) & (per["n_ok"] > 0)
                         & (per["mean_error"].abs() <= per["tolerance"]))
        per = per.astype({"n": np.int64, "n_ok": np.int64, "n_errors": np.int64,
                          "applicable": bool, "within": bool})
        return per[["estimator", "n", "task", "truth", "applicable", "n_ok", "n_errors", "mean",
                    "std", "mean_error", "tolerance", "within"]]

    def table(self) -> pd.DataFrame:
        """One row per (estimator, n).

        Columns: ``within`` (tasks within tolerance), ``applicable`` (tasks the estimator is
        defined for), ``tasks`` (all), ``failed`` (tasks with at least one error), ``mae``
        (mean |error| over every ok (task, seed) estimate, nats), ``median_seconds`` (median
        CPU seconds per estimate).
        """
        per = self.per_task().assign(_failed=lambda d: d["n_errors"] > 0)
        tab = per.groupby(["estimator", "n"], sort=False).agg(
            within=("within", "sum"), applicable=("applicable", "sum"), tasks=("task", "size"),
            failed=("_failed", "sum"))
        f = self.frame
        ok = f["status"] == "ok"
        speed = f.assign(_abs=f["error"].abs().where(ok), _sec=f["seconds"].where(ok)).groupby(
            ["estimator", "n"], sort=False).agg(mae=("_abs", "mean"),
                                               median_seconds=("_sec", "median"))
        tab = tab.join(speed).reset_index()
        return tab.astype({"n": np.int64, "within": np.int64, "applicable": np.int64,
                           "tasks": np.int64, "failed": np.int64, "mae": np.float64,
                           "median_seconds": np.float64})

    def criterion(self) -> str:
        """The tolerance rule in words."""
        return (f"|mean error over seeds| <= max({self.abs_tol:g} nats, "
                f"{100 * self.rel_tol:g} % of the truth), every seed estimated")

    def to_markdown(self) -> str:
        """The table as GitHub Markdown, with the criterion underneath."""
        tab = self.table()
        lines = ["| estimator | n | within tolerance | MAE (nats) | median CPU s | failed |",
                 "| --- | ---: | ---: | ---: | ---: | ---: |"]
        r: dict[Any, Any]
        for r in tab.to_dict(orient="records"):
            name = str(r["estimator"]).replace("|", "\\|")
            na = r["tasks"] - r["applicable"]
            within = f"{r['within']} / {r['applicable']}" + (f" ({na} n/a)" if na else "")
            mae = "–" if math.isnan(r["mae"]) else f"{r['mae']:.3f}"
            sec = "–" if math.isnan(r["median_seconds"]) else f"{r['median_seconds']:.3g}"
            lines.append(f"| {name} | {r['n']} | {within} | {mae} | {sec} | {r['failed']} |")
        seeds = self.frame["seed"].nunique()
        lines.append("")
        lines.append(f"Within tolerance: {self.criterion()} ({seeds} seed(s)); "
                     "n/a = tasks whose data kind the estimator is not defined for.")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """Settings, tolerance, the table and the per-task rows (JSON-ready)."""
        return jsonable({
            "settings": dict(self.settings),
            "tolerance": {"abs_tol": self.abs_tol, "rel_tol": self.rel_tol,
                          "rule": self.criterion()},
            "table": self.table().to_dict(orient="records"),
            "tasks": self.per_task().to_dict(orient="records"),
        })

    def figure(self, *, title: str | None = None) -> Figure:
        """:func:`infoplane.plotting.benchmark_figure` of this result."""
        from infoplane.plotting import benchmark_figure

        return benchmark_figure(self, title=title)

    def save(self, out: str | Path) -> dict[str, Path]:
        """Write ``results.csv``, ``summary.json``, ``summary.md`` and ``benchmark.png``
        atomically into `out` (unchanged files are left alone); return their paths."""
        root = Path(out)
        csv = self.frame.to_csv(index=False).encode()
        summary = (to_json(self.to_dict()) + "\n").encode()
        md = self.to_markdown().encode()
        paths = {"csv": root / "results.csv", "json": root / "summary.json",
                 "md": root / "summary.md", "png": root / "benchmark.png"}
        if _same(paths["csv"], csv) and _same(paths["json"], summary) \
                and _same(paths["md"], md) and paths["png"].is_file():
            return paths  # a re-run that changed nothing: skip redrawing the figure
        atomic_write(paths["csv"], lambda fh: fh.write(csv))
        atomic_write(paths["json"], lambda fh: fh.write(summary))
        atomic_write(paths["md"], lambda fh: fh.write(md))
        import matplotlib

        matplotlib.use("Agg")  # no display needed; idempotent when already selected
        import matplotlib.pyplot as plt

        fig = self.figure()
        try:
            atomic_write(paths["png"], lambda fh: fig.savefig(fh, format="png", dpi=130))
        finally:
            plt.close(fig)
        return paths


def _same(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:
        return False


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    df = pd.DataFrame(rows, columns=list(COLUMNS))
    types_ = {"task": object, "estimator": object, "n": np.int64, "seed": np.int64,
              "estimate": np.float64, "truth": np.float64, "error": np.float64,
              "seconds": np.float64, "wall_seconds": np.float64, "status": object,
              "message": object}
    return df.astype(types_)


# ------------------------------------------------------------------------------------ run
def _sizes(n: Any) -> tuple[int, ...]:
    values = list(n) if isinstance(n, Sequence | np.ndarray) and not isinstance(n, str) \
        else [n]
    if not values:
        raise fail("n", "a sample size or a non-empty sequence of them", n)
    out = []
    for v in values:
        size = as_int("n", v, min_value=2)
        if size > MAX_N:
            raise fail("n", f"<= {MAX_N} (samples per estimate)", v)
        out.append(size)
    return tuple(dict.fromkeys(out))


def _seeds(seeds: Any) -> tuple[int, ...]:
    if isinstance(seeds, Sequence | np.ndarray) and not isinstance(seeds, str):
        values = [as_int("seeds", s, min_value=0) for s in seeds]
        if not values:
            raise fail("seeds", "a count >= 1 or a non-empty sequence of seeds", seeds)
        if len(set(values)) != len(values):
            raise fail("seeds", "distinct", seeds)
    else:
        count = as_int("seeds", seeds, min_value=1)
        values = list(range(count))
    if len(values) > MAX_SEEDS:
        raise fail("seeds", f"at most {MAX_SEEDS} seeds", seeds)
    return tuple(values)


def run(estimators: EstimatorsArg, tasks: TasksArg = "suite:bmi", *,
        n: int | Sequence[int] = 5000, seeds: int | Sequence[int] = 3,
        out: str | Path | None = None, standardize: bool = True, abs_tol: float = 0.1,
        rel_tol: float = 0.1, jobs: int = 1, backend: Backend = "loky",
        scheduler: str | None = None, progress: bool = True) -> BenchmarkResult:
    """Score estimators on tasks with known mutual information.

    Parameters
    ----------
    estimators : Estimator, callable, sequence of those, or mapping name -> estimator
        :class:`~infoplane.estimators.base.Estimator` instances (named ``ksg``, ``ksg(k=5)``:
        the lower-cased class and its non-default options) or any ``f(x, y) -> float`` in
        nats (named by its mapping key, else its ``__name__``). For each seed the estimator's
        own ``seed`` is set to that seed and its ``unit`` to nats, so the spread over seeds
        includes the estimator's randomness (initialisation, jitter).
    tasks : Task, str or sequence of those, default "suite:bmi"
        Task objects, names, patterns or suites (see :func:`resolve_tasks`).
    n : int or sequence of int, default 5000
        Samples per estimate (each size is its own block of the table).
    seeds : int or sequence of int, default 3
        A count (seeds 0, 1, ..., seeds − 1) or the seeds themselves. Seed s draws the task's
        sample with ``task.sample(n, seed=s)``.
    out : str, Path or None
        Directory for the per-estimate results (resumable) and the summary files; None keeps
        everything in memory and writes nothing.
    standardize : bool, default True
        z-score every continuous column (mean 0, standard deviation 1) before estimating;
        mutual information is invariant to it, many estimators are not. Labels are untouched.
    abs_tol, rel_tol : float, default 0.1, 0.1
        The tolerance max(abs_tol, rel_tol · truth) on |mean error over seeds| (nats).
    jobs : int, default 1
        Estimates computed at the same time; -1 = one per CPU core. With ``"loky"`` and
        ``jobs=1`` they run **in this process**, one after the other (a user callable need not
        be picklable); otherwise in worker processes (estimators and tasks are pickled: a user
        callable must then be a module-level function or a picklable object).
    backend : {"loky", "dask", "ray"}
        Local processes, a Dask cluster or a Ray cluster, as for ``infoplane reproduce``.
    scheduler : str or None
        Dask scheduler / Ray address (backends "dask"/"ray"); None starts a local cluster.
    progress : bool
        A tqdm bar when stderr is a terminal; otherwise a plain line (done/total, elapsed,
        ETA) every 10 s and one at the end.

    Returns
    -------
    BenchmarkResult

    Raises
    ------
    ValueError, TypeError
        For a bad argument (named in the message), or when another run holds ``out``'s lock.

    Notes
    -----
    Sampling happens in the worker, once per (task, n, seed) and process (units are ordered so
    that consecutive estimates share the sample). ``seconds`` excludes sampling.

    Examples
    --------
    >>> from infoplane.estimators import Gaussian
    >>> res = run(Gaussian(), "normal-dense-1x1-0.75", n=2000, seeds=2, progress=False)
    >>> res.table()[["estimator", "within", "applicable"]].to_dict("records")
    [{'estimator': 'gaussian', 'within': 1, 'applicable': 1}]
    """
    entries = _entries(estimators)
    task_list = resolve_tasks(tasks)
    sizes = _sizes(n)
    seed_list = _seeds(seeds)
    abs_tol = as_float("abs_tol", abs_tol, min_value=0.0)
    rel_tol = as_float("rel_tol", rel_tol, min_value=0.0)
    standardize = _flag("standardize", standardize)
    n_jobs = check_execution(jobs, backend, scheduler)
    _check_sizes(task_list, max(sizes))
    truths = {t.name: _truth(t) for t in task_list}
    settings = {"n": list(sizes), "seeds": list(seed_list), "standardize": standardize,
                "jobs": n_jobs, "backend": backend, "tasks": [t.name for t in task_list],
                "estimators": {e.name: e.spec for e in entries}}

    plans = {(e.name, t.name): _plan(e.func, t) for e in entries for t in task_list}
    units = [_Unit(e, t, size, s, standardize, plans[e.name, t.name][1])
             for t in task_list for size in sizes for s in seed_list for e in entries
             if plans[e.name, t.name][0] is None]
    outcomes: dict[tuple[str, str, int, int], _Outcome] = {}
    root = None if out is None else _out_dir(out)
    guard = (lock(root, LOCK_NAME, "infoplane benchmark") if root is not None
             else contextlib.nullcontext())
    with guard:
        todo: list[_Unit] = []
        for unit in units:
            if root is not None:
                done = _load(_result_path(root, unit), unit)
                if done is not None and done.status != "error":
                    outcomes[unit.ident()] = done
                    continue
            todo.append(unit)
        unit_of = {u.ident(): u for u in todo}
        bar = Progress(len(todo), desc="benchmark", unit="estimates", enabled=bool(progress),
                       interval=PLAIN_INTERVAL)
        try:
            for outcome in stream(_execute, todo, backend=backend, jobs=n_jobs,
                                  scheduler=scheduler, lost=_lost, noun="estimate",
                                  in_process=(backend == "loky" and n_jobs == 1)):
                if root is not None:
                    unit = unit_of[outcome.ident]
                    _save(_result_path(root, unit), unit, outcome)
                outcomes[outcome.ident] = outcome
                bar.update(f"{outcome.ident[0]} on {outcome.ident[1]}: {outcome.status}")
        finally:
            bar.close()
        result = BenchmarkResult(_rows(entries, task_list, sizes, seed_list, plans, truths,
                                       outcomes), abs_tol, rel_tol, settings)
        if root is not None:
            result.save(root)
    return result


def _rows(entries: list[_Entry], task_list: list[Task], sizes: tuple[int, ...],
          seed_list: tuple[int, ...], plans: Mapping[tuple[str, str], tuple[str | None, bool]],
          truths: Mapping[str, float],
          outcomes: Mapping[tuple[str, str, int, int], _Outcome]) -> pd.DataFrame:
    rows = []
    for e in entries:
        for t in task_list:
            why, _ = plans[e.name, t.name]
            truth = truths[t.name]
            for size in sizes:
                for s in seed_list:
                    if why is not None:
                        rows.append(_row(t.name, e.name, size, s, math.nan, truth, math.nan,
                                         math.nan, "not applicable", why))
                        continue
                    o = outcomes[(e.name, t.name, size, s)]
                    rows.append(_row(t.name, e.name, size, s, o.estimate, truth, o.seconds,
                                     o.wall_seconds, o.status, o.message))
    return _frame(rows)


def _row(task: str, est: str, n: int, seed: int, estimate: float, truth: float,
         seconds: float, wall: float, status: str, message: str) -> dict[str, Any]:
    ok = status == "ok"
    return {"task": task, "estimator": est, "n": n, "seed": seed,
            "estimate": estimate if ok else math.nan, "truth": truth,
            "error": estimate - truth if ok else math.nan, "seconds": seconds,
            "wall_seconds": wall, "status": status, "message": message}


def _check_sizes(task_list: Sequence[Task], n: int) -> None:
    """Refuse, before anything runs, an ``n`` whose sample would not fit in memory."""
    for task in task_list:
        try:
            check_sample_size(n, task.dim_x + task.dim_y)
        except ValueError as exc:
            raise ValueError(f"{exc} (task {task.name!r})") from None


def _out_dir(out: str | Path) -> Path:
    """``out`` as an absolute directory, created if missing; a one-line error otherwise."""
    if not isinstance(out, str | Path):
        raise TypeError(f"`out` must be a directory path or None, got {out!r}.")
    root = Path(out).resolve()
    if root.exists() and not root.is_dir():
        raise fail("out", "a directory", str(out), "(it is a file)")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"`out` must be a directory that can be created, got {str(out)!r} "
                         f"({exc.strerror or exc}).") from None
    return root


def _truth(task: Task) -> float:
    value = task.mutual_information()
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not math.isfinite(float(value)):
        raise ValueError(f"`tasks` must have finite mutual information; {task.name!r} "
                         f"returned {value!r}.")
    return float(value)


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"`{name}` must be True or False, got {value!r}.")
    return bool(value)
