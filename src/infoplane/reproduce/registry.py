"""The claim registry: what each paper claims, and the function that tests it.

A :class:`Claim` names a statement from one of the two papers (the MMI paper, ``"mmi"``, or the
interpretation paper, ``"interpretation"``) and points, by an import path ``"module:function"``,
at a module-level function ``func(ctx: ClaimContext) -> ClaimResult`` that measures it. Import
paths (rather than function objects) keep claims picklable across processes and cluster workers.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast, get_args

import numpy as np

from infoplane._validation import as_float, choice, fail
from infoplane.reproduce.checks import VERDICTS, Check, Verdict, _jsonable, combine

__all__ = [
    "BUILTIN_MODULES",
    "REGISTRY",
    "VERDICTS",
    "Check",
    "Claim",
    "ClaimContext",
    "ClaimResult",
    "Paper",
    "Verdict",
    "claim",
    "get",
    "load_builtin",
    "register",
    "register_missing",
    "spread",
]

Paper = Literal["mmi", "interpretation"]
PAPERS: tuple[str, ...] = get_args(Paper)

_SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_FUNC = re.compile(r"^[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")


@dataclass(frozen=True)
class ClaimContext:
    """What a claim function is given.

    Parameters
    ----------
    out_dir : Path
        The claim's own working directory (``<out>/claims/<id>/``), already created; write
        figures here.
    quick : bool
        Quick mode (minutes for the whole report) instead of the full-size measurement.
    seeds : int
        How many independent seeds to average over (>= 1).
    seed : int
        The first seed; use ``seed, seed + 1, ..., seed + seeds - 1`` (see :attr:`seed_list`).
    claim_id : str
        The id of the claim being measured: set by the :func:`claim` decorator, so a claim
        function writes ``ClaimResult.from_checks(ctx.claim_id, ...)`` and its id appears once.
    """

    out_dir: Path
    quick: bool
    seeds: int
    seed: int
    claim_id: str = ""

    @property
    def seed_list(self) -> list[int]:
        """The seeds to use: ``[seed, seed + 1, ..., seed + seeds - 1]``."""
        return list(range(self.seed, self.seed + self.seeds))


def spread(values: Iterable[float]) -> dict[str, float | int]:
    """Mean, standard deviation (ddof=0) and count of per-seed values, for ``numbers``.

    Parameters
    ----------
    values : iterable of float
        One number per seed (non-empty, finite).

    Returns
    -------
    dict
        ``{"mean": float, "std": float, "n": int}``.

    Examples
    --------
    >>> spread([1.0, 2.0, 3.0])["mean"]
    2.0
    """
    arr = np.asarray(list(values), dtype=np.float64)
    if arr.size == 0:
        raise fail("values", "non-empty", list(arr))
    if not np.all(np.isfinite(arr)):
        raise fail("values", "finite (no NaN or inf)", arr)
    return {"mean": float(arr.mean()), "std": float(arr.std()), "n": int(arr.size)}


@dataclass(frozen=True)
class ClaimResult:
    """The outcome of testing one claim.

    Parameters
    ----------
    claim_id : str
        The :attr:`Claim.id` this result belongs to.
    verdict : Verdict
        The verdict: :func:`~infoplane.reproduce.checks.combine` of `checks` (enforced when
        `checks` is non-empty); ``"error"`` is set by the runner when the claim function raised.
    why : str
        One or two sentences justifying the verdict (for ``"error"``: the exception's message).
    numbers : dict
        Key numbers, JSON-able; a number spread over seeds is ``{"mean", "std", "n"}``
        (see :func:`spread`). NumPy values are converted and NaN/inf become ``None``.
    key_number : str
        A short string for the summary table, e.g. ``"gap 0.3 ± 0.1 nats"``.
    figures : sequence of str
        Figure paths relative to the report root ``out`` (the runner rewrites absolute paths
        inside ``out`` to relative ones).
    seconds : float
        Wall-clock seconds the claim took (set by the runner).
    checks : sequence of Check
        The typed checks the verdict is combined from (see :meth:`from_checks`).

    Examples
    --------
    >>> r = ClaimResult("demo", "holds", "1 + 1 == 2.", {"sum": 2}, "2")
    >>> ClaimResult.from_dict(r.to_dict()) == r
    True
    """

    claim_id: str
    verdict: Verdict
    why: str
    numbers: dict[str, Any] = field(default_factory=dict)
    key_number: str = ""
    figures: tuple[str, ...] = ()
    seconds: float = 0.0
    checks: tuple[Check, ...] = ()

    def __post_init__(self) -> None:
        checks = tuple(Check.from_dict(c) if isinstance(c, Mapping) else c for c in self.checks)
        for c in checks:
            if not isinstance(c, Check):
                raise TypeError(f"`checks` must hold Check records, got {type(c).__name__}.")
        object.__setattr__(self, "checks", checks)
        if checks and self.verdict != "error" and self.verdict != combine(checks):
            raise ValueError(f"claim {self.claim_id!r}: `verdict` {self.verdict!r} is not the "
                             f"combination of its checks ({combine(checks)!r}); build the "
                             "result with ClaimResult.from_checks.")
        if not isinstance(self.claim_id, str) or not self.claim_id:
            raise fail("claim_id", "a non-empty string", self.claim_id)
        choice("verdict", self.verdict, VERDICTS)
        if not isinstance(self.why, str):
            raise TypeError(f"`why` must be a string, got {type(self.why).__name__}.")
        if not isinstance(self.key_number, str):
            raise TypeError(f"`key_number` must be a string, got {self.key_number!r}.")
        if not isinstance(self.numbers, Mapping):
            raise TypeError(f"`numbers` must be a dict, got {type(self.numbers).__name__}.")
        object.__setattr__(self, "numbers", _jsonable(self.numbers, "numbers"))
        figs = self.figures
        if isinstance(figs, str | Path) or not isinstance(figs, Sequence):
            raise TypeError(f"`figures` must be a list of paths, got {figs!r}.")
        object.__setattr__(self, "figures", tuple(str(f) for f in figs))
        object.__setattr__(self, "seconds", as_float("seconds", self.seconds, min_value=0.0))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (inverse of :meth:`from_dict`)."""
        return {
            "claim_id": self.claim_id,
            "verdict": self.verdict,
            "why": self.why,
            "numbers": self.numbers,
            "key_number": self.key_number,
            "figures": list(self.figures),
            "seconds": self.seconds,
            "checks": [c.to_dict() for c in self.checks],
        }

    @classmethod
    def from_checks(cls, claim_id: str, checks: Sequence[Check], *, why: str = "",
                    numbers: Mapping[str, Any] | None = None, key_number: str = "",
                    figures: Sequence[str] = ()) -> ClaimResult:
        """A result whose verdict is :func:`~infoplane.reproduce.checks.combine` of `checks`.

        Parameters
        ----------
        claim_id : str
        checks : sequence of Check
            Non-empty.
        why : str
            Prefix of the justification; the decisive checks' ``why`` follow it.
        numbers, key_number, figures
            As in the class.

        Returns
        -------
        ClaimResult
        """
        checks = tuple(checks)
        if not checks:
            raise ValueError(f"claim {claim_id!r}: `checks` must be non-empty.")
        verdict = combine(checks)
        decisive = [c for c in checks if c.role == "measurement"]
        lines = [f"{c.name}: {c.verdict} — {c.why}" for c in decisive]
        text = " ".join(p for p in [why.strip(), "; ".join(lines)] if p)
        return cls(claim_id, verdict, text, dict(numbers or {}), key_number, tuple(figures),
                   checks=checks)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClaimResult:
        """Rebuild a result from :meth:`to_dict` output (unknown keys are rejected)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"`data` must be a dict, got {type(data).__name__}.")
        allowed = {"claim_id", "verdict", "why", "numbers", "key_number", "figures", "seconds",
                   "checks"}
        extra = set(data) - allowed
        if extra:
            raise fail("data", f"a dict with keys from {sorted(allowed)}", sorted(extra))
        missing = {"claim_id", "verdict", "why"} - set(data)
        if missing:
            raise fail("data", "a dict with 'claim_id', 'verdict' and 'why'", sorted(missing))
        return cls(**dict(data))


@dataclass(frozen=True)
class Claim:
    """One claim of one paper, and how to test it.

    Parameters
    ----------
    id : str
        A slug (lower-case letters, digits, ``-`` or ``_``), unique in the registry.
    paper : {"mmi", "interpretation"}
        Which paper states it.
    section : str
        Where in the paper (e.g. ``"Theorem 1"``, ``"Sec. 4.2, Fig. 3"``).
    statement : str
        A brief quote of the claim.
    measures : str
        What we measure to test it.
    func : str
        Import path ``"package.module:function"`` of a module-level callable
        ``(ctx: ClaimContext) -> ClaimResult``.
    quick_seconds : float
        Estimated seconds in quick mode (for scheduling and the report), >= 0.
    analytic : str
        Empty for a claim whose checks a forced-wrong input can turn; otherwise the argument
        why no such input exists (the report labels the claim "analytic").

    Examples
    --------
    >>> c = Claim("demo", "mmi", "Eq. 1", "…", "…", "math:sqrt", 0.1)
    >>> c.load_func()(4.0)
    2.0
    """

    id: str
    paper: Paper
    section: str
    statement: str
    measures: str
    func: str
    quick_seconds: float = 1.0
    analytic: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _SLUG.match(self.id):
            raise fail("id", "a slug of lower-case letters, digits, '-' or '_'", self.id)
        choice("paper", self.paper, PAPERS)
        for name in ("section", "statement", "measures", "analytic"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"`{name}` must be a string, got {getattr(self, name)!r}.")
        if not isinstance(self.func, str) or not _FUNC.match(self.func):
            raise fail("func", "an import path 'module:function'", self.func,
                       "(a string, so the claim pickles across processes)")
        object.__setattr__(self, "quick_seconds",
                           as_float("quick_seconds", self.quick_seconds, min_value=0.0))

    def load_func(self) -> Callable[[ClaimContext], ClaimResult]:
        """Import and return the claim function named by :attr:`func`.

        Raises
        ------
        ImportError
            When the module cannot be imported or has no such attribute.
        """
        module_name, _, qualname = self.func.partition(":")
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            try:
                obj = getattr(obj, part)
            except AttributeError as exc:
                raise ImportError(f"claim {self.id!r}: cannot find {qualname!r} in module "
                                  f"{module_name!r} (func={self.func!r}).") from exc
        if not callable(obj):
            raise TypeError(f"claim {self.id!r}: {self.func!r} is not callable.")
        return cast(Callable[[ClaimContext], ClaimResult], obj)


REGISTRY: dict[str, Claim] = {}
"""Every known claim by id, in registration order."""

#: Modules defining the built-in claims of both papers (in report order); each declares its
#: claims with :func:`claim` on import.
BUILTIN_MODULES: tuple[str, ...] = (
    "infoplane.papers.mmi.claims",
    "infoplane.papers.interpretation.plane",
    "infoplane.papers.interpretation.bounds",
    "infoplane.papers.interpretation.dynamics",
    "infoplane.papers.interpretation.margin",
    "infoplane.papers.interpretation.residual",
    "infoplane.papers.interpretation.separability",
)
#: Every claim declared with :func:`claim`, by id (what :func:`load_builtin` registers).
_DECLARED: dict[str, Claim] = {}

ClaimFunc = Callable[[ClaimContext], "ClaimResult"]


def claim(id: str, *, paper: Paper, section: str, statement: str, measures: str,
          quick_seconds: float = 1.0, analytic: str = "") -> Callable[[ClaimFunc], ClaimFunc]:
    """Declare and register the claim that the decorated module-level function measures.

    The id is written once, beside the function; the function's import path becomes
    :attr:`Claim.func`. The decorated function receives its context with
    :attr:`ClaimContext.claim_id` set to the id.

    Parameters
    ----------
    id, paper, section, statement, measures, quick_seconds, analytic
        As in :class:`Claim`.

    Returns
    -------
    callable
        A decorator returning the function unchanged.

    Examples
    --------
    >>> @claim("doc-demo", paper="mmi", section="Eq. 0", statement="s", measures="m")
    ... def demo(ctx): ...
    >>> REGISTRY["doc-demo"].func.endswith(":demo")
    True
    >>> _ = REGISTRY.pop("doc-demo"), _DECLARED.pop("doc-demo")
    """
    def decorate(fn: ClaimFunc) -> ClaimFunc:
        @functools.wraps(fn)
        def measured(ctx: ClaimContext, *args: Any, **kwargs: Any) -> ClaimResult:
            if not isinstance(ctx, ClaimContext):
                raise TypeError(f"claim {id!r}: `ctx` must be a ClaimContext, got "
                                f"{type(ctx).__name__}.")
            return fn(dataclasses.replace(ctx, claim_id=id), *args, **kwargs)

        c = Claim(id=id, paper=paper, section=section, statement=statement, measures=measures,
                  func=f"{fn.__module__}:{fn.__qualname__}", quick_seconds=quick_seconds,
                  analytic=analytic)
        if id in _DECLARED and _DECLARED[id].func != c.func:
            raise fail("id", "declared once", id, f"(already declared by {_DECLARED[id].func!r})")
        _DECLARED[id] = c
        if id not in REGISTRY:
            register(c)
        return cast(ClaimFunc, measured)

    return decorate


def load_builtin() -> dict[str, Claim]:
    """Import :data:`BUILTIN_MODULES` and register their declared claims that are missing.

    Idempotent: a registry emptied by a test is filled again.

    Returns
    -------
    dict
        :data:`REGISTRY`.
    """
    for name in BUILTIN_MODULES:
        importlib.import_module(name)
    register_missing(c for c in _DECLARED.values() if c.func.partition(":")[0]
                     in BUILTIN_MODULES)
    return REGISTRY


def register(claim: Claim) -> Claim:
    """Add `claim` to :data:`REGISTRY` and return it.

    Raises
    ------
    ValueError
        If a claim with the same id is already registered.
    """
    if not isinstance(claim, Claim):
        raise TypeError(f"`claim` must be a Claim, got {type(claim).__name__}.")
    if claim.id in REGISTRY:
        raise fail("claim.id", "unique in the registry", claim.id,
                   f"(already registered for {REGISTRY[claim.id].func!r})")
    REGISTRY[claim.id] = claim
    return claim


def register_missing(claims: Iterable[Claim]) -> None:
    """Register each of `claims` whose id is not in :data:`REGISTRY` yet (idempotent).

    Claim modules call this on import and from their ``register_all()``.

    Parameters
    ----------
    claims : iterable of Claim
    """
    for claim in claims:
        if claim.id not in REGISTRY:
            register(claim)


def get(ids: str | Iterable[str] | None = None) -> list[Claim]:
    """Look claims up by id (all registered claims when `ids` is None).

    The built-in claims (:func:`load_builtin`) are always available.

    Parameters
    ----------
    ids : str or iterable of str or None
        Claim ids; duplicates are dropped, order is kept.

    Returns
    -------
    list of Claim

    Raises
    ------
    ValueError
        For an unknown id; the message lists the valid ids.
    """
    load_builtin()
    if ids is None:
        return list(REGISTRY.values())
    wanted = [ids] if isinstance(ids, str) else list(ids)
    unknown = [i for i in wanted if i not in REGISTRY]
    if unknown:
        valid = ", ".join(REGISTRY) if REGISTRY else "none: the registry is empty"
        raise fail("claim_ids", "registered claim ids", unknown[0] if len(unknown) == 1
                   else unknown, f"Valid ids: {valid}.")
    return [REGISTRY[i] for i in dict.fromkeys(wanted)]
