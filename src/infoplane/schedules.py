"""Step schedules: which training steps (epochs) the recorder snapshots.

Three rules from the literature plus an explicit list:

* :func:`log2` -- the log-spaced epochs of Shwartz-Ziv & Tishby's original IDNNs code
  (``np.unique(np.logspace(log2(1), log2(n_epochs), n, dtype=int, base=2)) - 1``), 274 of 8000
  epochs for ``n = 400``;
* :func:`piecewise` -- Saxe et al.'s (2018, ``ibsgd``) rule: every epoch below 20, every 5th
  below 100, every 20th below 2000, then every 100th; 211 of 10000 epochs;
* :func:`every` -- every ``k``-th step, bounded or not;
* :func:`explicit` -- any sorted set of steps.

A :class:`Schedule` answers ``step in schedule`` with one hash lookup (or one modulo for an
unbounded :func:`every`), which is what keeps :meth:`infoplane.recorder.Recorder.record` cheap on
steps that are not recorded.

References
----------
Shwartz-Ziv, R. & Tishby, N. (2017). Opening the black box of deep neural networks via
information. arXiv:1703.00810.
Saxe, A. M. et al. (2018). On the information bottleneck theory of deep learning. ICLR.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sized
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from infoplane._typing import IntArray
from infoplane._validation import as_int, check_memory, fail

ScheduleKind = Literal["log2", "piecewise", "every", "explicit"]
_KINDS: tuple[str, ...] = ("log2", "piecewise", "every", "explicit")

__all__ = ["Schedule", "every", "explicit", "log2", "piecewise"]

#: Bytes one listed step costs (a Python int in the tuple and in the lookup set, its int64
#: copy): the size a schedule's length is checked against before its steps are built.
_BYTES_PER_STEP = 128


def _check_length(name: str, value: int, n_steps: int) -> None:
    """Refuse a schedule of `n_steps` listed steps too long for memory, naming `name`."""
    check_memory(name, value, float(n_steps) * _BYTES_PER_STEP, f"a schedule of {n_steps} steps",
                 "Record fewer steps (a coarser schedule, or every(k) without n_epochs).")


@dataclass(frozen=True)
class Schedule:
    """A set of steps to record.

    Build one with :func:`log2`, :func:`piecewise`, :func:`every` or :func:`explicit` rather than
    directly.

    Parameters
    ----------
    kind : {"log2", "piecewise", "every", "explicit"}
        The rule that produced the steps.
    step_list : tuple of int
        The sorted, unique steps (empty for an unbounded :func:`every`).
    n_epochs : int or None
        Number of epochs the schedule covers (steps are in ``[0, n_epochs)``); ``None`` only
        for an unbounded :func:`every`.
    period : int or None
        ``k`` of :func:`every`.
    n : int or None
        ``n`` of :func:`log2`.

    Examples
    --------
    >>> s = every(3, n_epochs=10)
    >>> s.steps.tolist(), 6 in s, 7 in s, len(s)
    ([0, 3, 6, 9], True, False, 4)
    >>> Schedule.from_dict(s.to_dict()) == s
    True
    """

    kind: ScheduleKind
    step_list: tuple[int, ...]
    n_epochs: int | None = None
    period: int | None = None
    n: int | None = None
    _lookup: frozenset[int] = field(default=frozenset(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_lookup", frozenset(self.step_list))

    @property
    def bounded(self) -> bool:
        """Whether the schedule has a finite list of steps."""
        return not (self.kind == "every" and self.n_epochs is None)

    @property
    def steps(self) -> IntArray:
        """The sorted steps as an int64 array (raises for an unbounded :func:`every`)."""
        if not self.bounded:
            raise ValueError(
                "`schedule` must be bounded to list its steps, got every(k) with n_epochs=None. "
                "Pass n_epochs=..."
            )
        return np.asarray(self.step_list, dtype=np.int64)

    def __contains__(self, step: object) -> bool:
        if self.period is not None and self.n_epochs is None:
            return bool(
                isinstance(step, int | np.integer) and step >= 0 and step % self.period == 0
            )
        return step in self._lookup

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[int]:
        return iter(self.steps.tolist())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly description; :meth:`from_dict` inverts it.

        Examples
        --------
        >>> log2(100, 5).to_dict()
        {'kind': 'log2', 'n_epochs': 100, 'n': 5}
        """
        if self.kind == "log2":
            return {"kind": "log2", "n_epochs": self.n_epochs, "n": self.n}
        if self.kind == "piecewise":
            return {"kind": "piecewise", "n_epochs": self.n_epochs}
        if self.kind == "every":
            return {"kind": "every", "k": self.period, "n_epochs": self.n_epochs}
        return {"kind": "explicit", "steps": list(self.step_list)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schedule:
        """Rebuild a schedule from :meth:`to_dict` output.

        Examples
        --------
        >>> Schedule.from_dict({"kind": "piecewise", "n_epochs": 10000}) == piecewise()
        True
        """
        kind = data.get("kind") if isinstance(data, Mapping) else None
        if kind == "log2":
            return log2(data["n_epochs"], data["n"])
        if kind == "piecewise":
            return piecewise(data["n_epochs"])
        if kind == "every":
            return every(data["k"], n_epochs=data.get("n_epochs"))
        if kind == "explicit":
            return explicit(data["steps"])
        raise fail("data['kind']", f"one of {', '.join(map(repr, _KINDS))}", kind)


def log2(n_epochs: int, n: int) -> Schedule:
    """Log-spaced epochs exactly as in Shwartz-Ziv & Tishby's IDNNs code.

    The original computes
    ``np.unique(np.logspace(np.log2(1), np.log2(n_epochs), n, dtype=int, base=2)) - 1``:
    ``n`` points log-spaced in base 2 between 1 and ``n_epochs``, truncated to integers
    (so early epochs collide and are de-duplicated), shifted to 0-based epochs.

    Parameters
    ----------
    n_epochs : int
        Number of training epochs (>= 1).
    n : int
        Number of log-spaced points before de-duplication (>= 1).

    Returns
    -------
    Schedule
        Steps in ``[0, n_epochs)``; always contains 0 and ``n_epochs - 1`` when ``n >= 2``.

    Examples
    --------
    >>> s = log2(8000, 400)
    >>> len(s), s.steps[:3].tolist(), s.steps[-1].item()
    (274, [0, 1, 2], 7999)
    """
    n_epochs = as_int("n_epochs", n_epochs)
    n = as_int("n", n)
    check_memory("n", n, 24.0 * n, f"{n} log-spaced points (float64 and int temporaries)")
    _check_length("n", n, min(n, n_epochs))
    pts = np.logspace(np.log2(1), np.log2(n_epochs), n, dtype=int, base=2)
    steps = np.unique(pts) - 1
    return Schedule("log2", tuple(int(s) for s in steps), n_epochs=n_epochs, n=n)


def _saxe_rule(e: int) -> bool:
    if e < 20:
        return True
    if e < 100:
        return e % 5 == 0
    if e < 2000:
        return e % 20 == 0
    return e % 100 == 0


def piecewise(n_epochs: int = 10000) -> Schedule:
    """Saxe et al.'s (2018) recording epochs.

    Epoch ``e`` is recorded if ``e < 20``, or ``e < 100`` and ``e % 5 == 0``, or ``e < 2000`` and
    ``e % 20 == 0``, or ``e % 100 == 0``. For 10000 epochs this is 211 epochs (20 + 16 + 95 + 80),
    the count of the ``ibsgd`` code, so the rule needs no adjustment.

    Parameters
    ----------
    n_epochs : int, default 10000
        Number of training epochs (>= 1).

    Returns
    -------
    Schedule

    Examples
    --------
    >>> s = piecewise(10000)
    >>> len(s), s.steps[18:24].tolist()
    (211, [18, 19, 20, 25, 30, 35])
    """
    n_epochs = as_int("n_epochs", n_epochs)
    rules = ((0, 20, 1), (20, 100, 5), (100, 2000, 20), (2000, n_epochs, 100))
    clipped = [range(a, min(b, n_epochs), k) for a, b, k in rules]
    _check_length("n_epochs", n_epochs, sum(len(r) for r in clipped))
    steps = tuple(e for r in clipped for e in r)  # the rule _saxe_rule, range by range
    return Schedule("piecewise", steps, n_epochs=n_epochs)


def every(k: int, n_epochs: int | None = None) -> Schedule:
    """Every ``k``-th step starting at 0, optionally bounded by ``n_epochs``.

    Parameters
    ----------
    k : int
        Period (>= 1).
    n_epochs : int or None, default None
        If given, steps are ``0, k, 2k, ... < n_epochs``; if ``None`` the schedule is unbounded
        (membership by ``step % k == 0``; :attr:`Schedule.steps` is then unavailable).

    Returns
    -------
    Schedule

    Examples
    --------
    >>> 1_000_000 in every(10), 5 in every(10)
    (True, False)
    >>> every(4, n_epochs=10).steps.tolist()
    [0, 4, 8]
    """
    k = as_int("k", k)
    if n_epochs is None:
        return Schedule("every", (), n_epochs=None, period=k)
    n_epochs = as_int("n_epochs", n_epochs)
    _check_length("n_epochs", n_epochs, len(range(0, n_epochs, k)))
    return Schedule("every", tuple(range(0, n_epochs, k)), n_epochs=n_epochs, period=k)


def explicit(steps: Iterable[int]) -> Schedule:
    """A schedule from an explicit collection of non-negative steps (sorted, de-duplicated).

    Parameters
    ----------
    steps : iterable of int
        Steps to record (each >= 0).

    Returns
    -------
    Schedule

    Examples
    --------
    >>> explicit([5, 1, 5]).steps.tolist()
    [1, 5]
    """
    if isinstance(steps, Sized):
        _check_length("steps", len(steps), len(steps))
    items = sorted({as_int(f"steps[{i}]", s, min_value=0) for i, s in enumerate(steps)})
    if not items:
        raise fail("steps", "a non-empty collection of steps", list(items))
    return Schedule("explicit", tuple(items), n_epochs=items[-1] + 1)
