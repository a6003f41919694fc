"""Typed checks: what a claim's verdict is made of.

A claim's function returns a :class:`~infoplane.reproduce.registry.ClaimResult` whose verdict is
combined, by the one rule of :func:`combine`, from a list of :class:`Check` records. Each check
is one comparison of a measured statistic with a stated criterion, and carries its own verdict.

Roles
-----
``"measurement"``
    Decides the claim: a statistic measured on trained models or sampled data, compared with a
    criterion that could have come out either way.
``"supporting"``
    A step of the paper's argument (e.g. an intermediate inequality). It cannot make a claim
    hold, but one that does not hold turns "holds" into "holds with caveats".
``"counterexample"``
    A constructed input that refutes a stated inequality as a mathematical statement; its
    verdict is ``"refuted by counterexample"`` or ``"holds"`` (no counterexample found). It is
    reported apart and never decides what the trained models show.
``"background"``
    A cited result shown for context (e.g. Soudry et al.'s max-margin convergence under
    Claim 2.2); reported, never decisive.

Symmetric criteria
------------------
:func:`band` turns a mean ± standard error into one of three verdicts with the same statistic
and the same threshold on both sides: "above" when the whole ±z·se interval lies above the
threshold, "below" when it lies wholly below, "indeterminate" when it straddles it. A noisier run
therefore widens the indeterminate band; it never makes either side easier to reach.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

__all__ = [
    "CHECK_VERDICTS",
    "ROLES",
    "VERDICTS",
    "Check",
    "Role",
    "Verdict",
    "band",
    "band_verdict",
    "combine",
    "seed_verdict",
]

Verdict = Literal["holds", "holds with caveats", "does not hold", "indeterminate",
                  "refuted by counterexample", "not testable here", "error"]
"""The one verdict type of claims and checks."""
VERDICTS: tuple[str, ...] = get_args(Verdict)
#: Verdicts a single check may carry.
CHECK_VERDICTS: tuple[str, ...] = ("holds", "does not hold", "indeterminate",
                                   "refuted by counterexample", "not testable here")
Role = Literal["measurement", "supporting", "counterexample", "background"]
ROLES: tuple[str, ...] = get_args(Role)


def _jsonable(obj: Any, name: str) -> Any:
    """A JSON-able copy of `obj`: NumPy scalars/arrays to Python, non-finite floats to None."""
    import numpy as np

    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v, f"{name}[{k!r}]") for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist(), name)
    if isinstance(obj, list | tuple):
        return [_jsonable(v, f"{name}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    raise TypeError(f"`{name}` must be JSON-able (numbers, strings, lists, dicts), "
                    f"got {type(obj).__name__}.")


@dataclass(frozen=True)
class Check:
    """One measured comparison behind a claim's verdict.

    Parameters
    ----------
    name : str
        Short, unique within the claim (e.g. ``"act5: compression"``).
    verdict : {"holds", "does not hold", "indeterminate", "refuted by counterexample", \
"not testable here"}
        This check's own verdict.
    numbers : dict
        The measured numbers (JSON-able; NumPy values are converted, NaN/inf become None).
    criterion : str
        The rule that turned `numbers` into `verdict`, stated so a reader can re-apply it.
    why : str
        One sentence: what was measured and how it compares with the criterion.
    role : {"measurement", "supporting", "counterexample", "background"}
        How the check enters :func:`combine` (see the module docstring).

    Examples
    --------
    >>> c = Check("gap", "holds", {"gap": 0.01}, "|gap| < 0.05", "gap 0.01 < 0.05")
    >>> Check.from_dict(c.to_dict()) == c
    True
    """

    name: str
    verdict: Verdict
    numbers: dict[str, Any] = field(default_factory=dict)
    criterion: str = ""
    why: str = ""
    role: Role = "measurement"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"`name` must be a non-empty string, got {self.name!r}.")
        if self.verdict not in CHECK_VERDICTS:
            raise ValueError(f"`verdict` must be one of {list(CHECK_VERDICTS)}, "
                             f"got {self.verdict!r}.")
        if self.role not in ROLES:
            raise ValueError(f"`role` must be one of {list(ROLES)}, got {self.role!r}.")
        refuted = self.verdict == "refuted by counterexample"
        if refuted and self.role != "counterexample":
            raise ValueError(f"check {self.name!r}: verdict 'refuted by counterexample' needs "
                             f"role 'counterexample', got role {self.role!r}.")
        if self.role == "counterexample" and self.verdict not in ("holds", "refuted by "
                                                                  "counterexample"):
            raise ValueError(f"check {self.name!r}: a counterexample check is 'refuted by "
                             f"counterexample' or 'holds', got {self.verdict!r}.")
        for attr in ("criterion", "why"):
            if not isinstance(getattr(self, attr), str):
                raise TypeError(f"`{attr}` must be a string, got {getattr(self, attr)!r}.")
        if not isinstance(self.numbers, Mapping):
            raise TypeError(f"`numbers` must be a dict, got {type(self.numbers).__name__}.")
        object.__setattr__(self, "numbers", _jsonable(self.numbers, "numbers"))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (inverse of :meth:`from_dict`)."""
        return {"name": self.name, "verdict": self.verdict, "role": self.role,
                "criterion": self.criterion, "why": self.why, "numbers": self.numbers}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Check:
        """Rebuild a check from :meth:`to_dict` output (unknown keys are rejected)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"`data` must be a dict, got {type(data).__name__}.")
        allowed = {"name", "verdict", "role", "criterion", "why", "numbers"}
        extra = set(data) - allowed
        if extra:
            raise ValueError(f"`data` must have keys from {sorted(allowed)}, "
                             f"got {sorted(extra)!r}.")
        return cls(**dict(data))


def combine(checks: Sequence[Check]) -> Verdict:
    """The claim's verdict from its checks: the one documented rule.

    Only ``"measurement"`` checks decide (checks "not testable here" are left out):

    1. none left: ``"not testable here"``;
    2. any does not hold: ``"does not hold"``;
    3. any indeterminate (the rest holding): ``"indeterminate"`` — a claim is the conjunction of
       its decisive checks, and one undecided part leaves the whole undecided;
    4. all hold: ``"holds"`` — or ``"holds with caveats"`` when a ``"supporting"`` check does
       not hold (or is indeterminate).

    "Holds with caveats" therefore means: every decisive measurement holds, but a step of the
    paper's argument does not.

    Counterexample and background checks never enter the verdict (they are reported apart).

    Parameters
    ----------
    checks : sequence of Check

    Returns
    -------
    str
        One of ``"holds"``, ``"holds with caveats"``, ``"does not hold"``, ``"indeterminate"``,
        ``"not testable here"``.

    Examples
    --------
    >>> ok, bad = Check("a", "holds"), Check("b", "does not hold")
    >>> unsure = Check("c", "indeterminate")
    >>> combine([ok, ok]), combine([ok, bad]), combine([ok, unsure]), combine([unsure])
    ('holds', 'does not hold', 'indeterminate', 'indeterminate')
    >>> combine([ok, Check("s", "does not hold", role="supporting")])
    'holds with caveats'
    >>> combine([ok, Check("x", "refuted by counterexample", role="counterexample")])
    'holds'
    """
    for c in checks:
        if not isinstance(c, Check):
            raise TypeError(f"`checks` must hold Check records, got {type(c).__name__}.")
    decisive = [c.verdict for c in checks
                if c.role == "measurement" and c.verdict != "not testable here"]
    if not decisive:
        return "not testable here"
    if "does not hold" in decisive:
        return "does not hold"
    if "indeterminate" in decisive:
        return "indeterminate"
    weak = any(c.role == "supporting" and c.verdict in ("does not hold", "indeterminate")
               for c in checks)
    return "holds with caveats" if weak else "holds"


def band(mean: float, se: float, threshold: float, *, z: float = 2.0
         ) -> Literal["above", "below", "indeterminate"]:
    """Where ``mean ± z·se`` lies relative to `threshold`: one symmetric rule.

    Parameters
    ----------
    mean : float
        The statistic (e.g. a mean over seeds).
    se : float
        Its standard error (>= 0; 0 for a deterministic number).
    threshold : float
        The value separating the two outcomes.
    z : float
        Width of the interval in standard errors (default 2, about 95 %).

    Returns
    -------
    {"above", "below", "indeterminate"}
        "above" when ``mean - z·se > threshold``, "below" when ``mean + z·se < threshold``,
        otherwise "indeterminate".

    Examples
    --------
    >>> band(-0.5, 0.1, -0.1), band(0.0, 0.01, -0.1), band(-0.12, 0.05, -0.1)
    ('below', 'above', 'indeterminate')
    """
    for name, v in (("mean", mean), ("se", se), ("threshold", threshold), ("z", z)):
        if not isinstance(v, int | float) or not math.isfinite(float(v)):
            raise ValueError(f"`{name}` must be a finite number, got {v!r}.")
    if se < 0 or z < 0:
        raise ValueError(f"`se` and `z` must be >= 0, got se={se!r}, z={z!r}.")
    if mean - z * se > threshold:
        return "above"
    if mean + z * se < threshold:
        return "below"
    return "indeterminate"


def band_verdict(mean: float, se: float, threshold: float, *,
                 holds: Literal["above", "below"], z: float = 2.0) -> Verdict:
    """:func:`band` read as a check verdict: the `holds` side holds, the other does not.

    Examples
    --------
    >>> band_verdict(-0.5, 0.1, -0.1, holds="below"), band_verdict(-0.5, 0.1, -0.1, holds="above")
    ('holds', 'does not hold')
    >>> band_verdict(-0.12, 0.05, -0.1, holds="below")
    'indeterminate'
    """
    side = band(mean, se, threshold, z=z)
    if side == "indeterminate":
        return "indeterminate"
    return "holds" if side == holds else "does not hold"


def seed_verdict(verdicts: Iterable[str]) -> Verdict:
    """One check verdict from the same check on several seeds: unanimous, or indeterminate.

    Seeds on which the check is "not testable here" are left out (all of them: not testable).

    Parameters
    ----------
    verdicts : iterable of str
        Non-empty; each "holds", "does not hold" or "indeterminate".

    Returns
    -------
    str
        The common verdict when every seed agrees, otherwise ``"indeterminate"``.

    Examples
    --------
    >>> seed_verdict(["holds", "holds"]), seed_verdict(["holds", "does not hold"])
    ('holds', 'indeterminate')
    """
    vs = list(verdicts)
    if not vs:
        raise ValueError("`verdicts` must be non-empty.")
    for v in vs:
        if v not in ("holds", "does not hold", "indeterminate", "not testable here"):
            raise ValueError(f"each verdict must be 'holds', 'does not hold', 'indeterminate' "
                             f"or 'not testable here', got {v!r}.")
    testable = [v for v in vs if v != "not testable here"]
    if not testable:
        return "not testable here"
    vs = testable
    first = vs[0]
    return first if all(v == first for v in vs) else "indeterminate"  # type: ignore[return-value]
