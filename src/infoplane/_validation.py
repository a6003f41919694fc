"""Argument checks with one error-message template.

Every public function validates its arguments once, here, and raises a built-in exception whose
message follows ``"`name` must be <constraint>, got <value!r>."`` (see DESIGN.md, section 4).
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from infoplane._typing import FloatArray, Unit

_LN2 = math.log(2.0)


def _short(value: Any) -> str:
    """`repr` of `value`, shortened for arrays so error messages stay one line."""
    if isinstance(value, np.ndarray):
        if value.size <= 6:
            return repr(value.tolist())
        return f"array(shape={value.shape}, dtype={value.dtype})"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def fail(name: str, constraint: str, value: Any, hint: str = "") -> ValueError:
    """Build the standard ValueError for argument `name`."""
    msg = f"`{name}` must be {constraint}, got {_short(value)}."
    if hint:
        msg += f" {hint}"
    return ValueError(msg)


def as_float(name: str, value: Any, *, min_value: float | None = None,
             strict_min: bool = False) -> float:
    """A finite real scalar, optionally bounded below."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real | np.floating | np.integer):
        raise TypeError(f"`{name}` must be a real number, got {_short(value)}.")
    out = float(value)
    if not math.isfinite(out):
        raise fail(name, "a finite number", value)
    if min_value is not None:
        if strict_min and out <= min_value:
            raise fail(name, f"> {min_value:g}", value)
        if not strict_min and out < min_value:
            raise fail(name, f">= {min_value:g}", value)
    return out


def positive(name: str, value: Any) -> float:
    """A finite scalar > 0 (e.g. `noise_var`)."""
    return as_float(name, value, min_value=0.0, strict_min=True)


def as_int(name: str, value: Any, *, min_value: int = 1) -> int:
    """An integer >= `min_value` (bools and non-integral floats are rejected)."""
    if isinstance(value, bool):
        raise TypeError(f"`{name}` must be an integer, got {_short(value)}.")
    integral = isinstance(value, numbers.Integral | np.integer)
    if integral or (isinstance(value, float | np.floating) and float(value).is_integer()):
        out = int(value)
    else:
        raise TypeError(f"`{name}` must be an integer, got {_short(value)}.")
    if out < min_value:
        raise fail(name, f"an integer >= {min_value}", value)
    return out


def as_widths(name: str, value: Any) -> tuple[int, ...]:
    """One width or a sequence of layer widths, each >= 1."""
    if isinstance(value, numbers.Integral | np.integer) and not isinstance(value, bool):
        return (as_int(name, value),)
    if isinstance(value, Sequence | np.ndarray) and not isinstance(value, str):
        items = list(np.asarray(value).ravel()) if isinstance(value, np.ndarray) else list(value)
        if not items:
            raise fail(name, "a non-empty sequence of widths", value)
        return tuple(as_int(f"{name}[{i}]", v) for i, v in enumerate(items))
    raise TypeError(f"`{name}` must be an int or a sequence of ints, got {_short(value)}.")


def finite_array(name: str, value: Any, *, ndim: int | tuple[int, ...] | None = None,
                 allow_empty: bool = False, allow_bool: bool = True) -> FloatArray:
    """A float64 array with no NaN/inf, optionally of a given number of dimensions.

    Complex input is a TypeError (never silently reduced to its real part), and so is a
    boolean array when ``allow_bool`` is False (where numbers are expected).
    """
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`{name}` must be a real array, got {_short(value)}.") from exc
    if raw.dtype.kind == "c":
        raise TypeError(f"`{name}` must be a real array, got a complex array (dtype "
                        f"{raw.dtype}); pass its real part or its modulus explicitly.")
    if raw.dtype.kind == "b" and not allow_bool:
        raise TypeError(f"`{name}` must be real numbers, got booleans {_short(value)}.")
    try:
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`{name}` must be a real array, got {_short(value)}.") from exc
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise fail(name, f"a {want} array", arr, f"(it has shape {arr.shape})")
    if arr.size == 0 and not allow_empty:
        raise fail(name, "non-empty", arr)
    if not np.all(np.isfinite(arr)):
        raise fail(name, "finite (no NaN or inf)", arr)
    return arr


def budget_array(name: str, value: Any) -> tuple[FloatArray, bool]:
    """Budgets F >= 0 as a float array, and whether the input was a scalar."""
    arr = finite_array(name, value, allow_empty=False, allow_bool=False)
    if np.any(arr < 0):
        bad = float(arr[arr < 0].ravel()[0])
        raise fail(name, ">= 0 (it is F in Tr(WᵀW) <= F)", bad)
    return arr, arr.ndim == 0


#: Largest allocation a size option may plan (8 GiB, or less if less memory is available).
MEMORY_LIMIT = 8 * 1024**3


def available_bytes() -> int | None:
    """Memory available for new allocations, or None where it cannot be told.

    Linux ``MemAvailable`` (``/proc/meminfo``), else ``sysconf`` free physical pages. The one
    reading of free memory: size checks of options, samplers and user files all use it.
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def memory_limit() -> int:
    """:data:`MEMORY_LIMIT`, lowered to the memory available where that is known."""
    avail = available_bytes()
    return MEMORY_LIMIT if avail is None else min(MEMORY_LIMIT, avail)


def check_memory(name: str, value: Any, need_bytes: float, what: str, hint: str = "") -> None:
    """Refuse a size whose planned allocation exceeds :func:`memory_limit`, naming `name`.

    Called before anything is allocated; ``what`` says what the bytes are for.
    """
    limit = memory_limit()
    if need_bytes > limit:
        raise fail(name, f"small enough to fit in memory ({what} needs about "
                   f"{need_bytes / 1024**3:.3g} GiB, limit {limit / 1024**3:.3g} GiB)", value,
                   hint)


def unit_factor(unit: Any) -> float:
    """Divisor turning nats into `unit` (1 for nats, ln 2 for bits)."""
    if unit == "nats":
        return 1.0
    if unit == "bits":
        return _LN2
    raise fail("unit", "'nats' or 'bits'", unit)


def check_unit(unit: Any) -> Unit:
    """Validate a unit name."""
    unit_factor(unit)
    return cast(Unit, unit)


def choice(name: str, value: Any, options: Sequence[str]) -> str:
    """One of a fixed set of strings."""
    if value not in options:
        opts = ", ".join(repr(o) for o in options)
        raise fail(name, f"one of {opts}", value)
    return str(value)
