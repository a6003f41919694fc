"""The one progress helper: a tqdm bar on a terminal, plain lines otherwise.

Long runs (``reproduce``, ``experiment``, ``benchmark``, plane animations) report progress
through :class:`Progress`. On a terminal it draws a tqdm bar. When stderr is not a terminal
(CI logs, ``make demo`` piped to a file) a bar would stay silent until the end, so it prints
one plain line — done/total, elapsed, estimated remaining — every :data:`PLAIN_INTERVAL`
seconds from a daemon thread, and one closing line.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import IO, Any, TypeVar

__all__ = ["PLAIN_INTERVAL", "Progress", "clock", "iterate"]

T = TypeVar("T")

#: Seconds between the plain progress lines printed when stderr is not a terminal.
PLAIN_INTERVAL = 10.0


def clock(seconds: float) -> str:
    """``H:MM:SS`` of a number of seconds.

    Examples
    --------
    >>> clock(3725.4)
    '1:02:05'
    """
    s = round(max(seconds, 0.0))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class Progress:
    """Progress over ``total`` units of work.

    Parameters
    ----------
    total : int
        Units of work (0: nothing is shown).
    desc : str
        What is being done, e.g. ``"claims"`` (the line's prefix).
    unit : str
        The unit's name, plural, e.g. ``"claims"``.
    enabled : bool
        False shows nothing (``--quiet``).
    stream : file or None
        Where to write (default: ``sys.stderr``).
    interval : float or None
        Seconds between plain lines (default :data:`PLAIN_INTERVAL`, read at construction).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with Progress(2, desc="demo", unit="items", stream=out) as p:
    ...     p.update("first")
    ...     p.update("second")
    >>> out.getvalue().startswith("demo: 2/2 items in 0:00:0")
    True
    """

    def __init__(self, total: int, *, desc: str, unit: str, enabled: bool = True,
                 stream: IO[str] | None = None, interval: float | None = None) -> None:
        self.total, self.done, self.desc, self.unit = int(total), 0, desc, unit
        self.start = time.perf_counter()
        self.stream: IO[str] = sys.stderr if stream is None else stream
        self.interval = PLAIN_INTERVAL if interval is None else float(interval)
        self.bar: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if not enabled or self.total <= 0:
            return
        isatty = getattr(self.stream, "isatty", None)
        if callable(isatty) and isatty():
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.total, desc=desc, unit=unit.rstrip("s") or unit,
                            file=self.stream)
        else:
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()

    def line(self) -> str:
        """The plain progress line: done/total, elapsed and estimated remaining time."""
        elapsed = time.perf_counter() - self.start
        eta = (clock(elapsed / self.done * (self.total - self.done)) if self.done else "?")
        return (f"{self.desc}: {self.done}/{self.total} {self.unit}, {clock(elapsed)} elapsed, "
                f"ETA {eta}")

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            print(self.line(), file=self.stream, flush=True)

    def update(self, postfix: str = "") -> None:
        """One more unit done; `postfix` labels it on the bar."""
        self.done += 1
        if self.bar is not None:
            if postfix:
                self.bar.set_postfix_str(postfix, refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        """Close the bar, or stop the plain lines and print a closing one."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
            elapsed = time.perf_counter() - self.start
            print(f"{self.desc}: {self.done}/{self.total} {self.unit} in {clock(elapsed)}",
                  file=self.stream, flush=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def iterate(items: Iterable[T], *, total: int, desc: str, unit: str, enabled: bool = True,
            stream: IO[str] | None = None) -> Iterator[T]:
    """Yield `items` while showing :class:`Progress` over them (closed at the end).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> list(iterate(range(3), total=3, desc="sum", unit="terms", stream=out))
    [0, 1, 2]
    >>> out.getvalue().startswith("sum: 3/3 terms in ")
    True
    """
    with Progress(total, desc=desc, unit=unit, enabled=enabled, stream=stream) as bar:
        for item in items:
            yield item
            bar.update()
