"""Atomic writes and safe loads."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np

from infoplane._typing import FloatArray
from infoplane._validation import fail


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], object]) -> Path:
    """Write a file through ``write(fh)`` into a temporary sibling, then ``os.replace`` it.

    A crash mid-write leaves the previous file (or none), never a truncated one.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serialisable")


def jsonable(obj: Any) -> Any:
    """Recursively turn NumPy scalars/arrays into JSON types; non-finite floats become None."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def to_json(obj: Any) -> str:
    """JSON text with NumPy scalars/arrays converted."""
    return json.dumps(obj, indent=2, default=_json_default, allow_nan=False)


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Atomically write ``obj`` as JSON."""
    data = (to_json(obj) + "\n").encode()
    return atomic_write(path, lambda fh: fh.write(data))


def load_array(path: str | os.PathLike[str], key: str | None = None) -> FloatArray:
    """Load a 2-D float array from ``.npy``, ``.npz`` (``key`` or its only array) or ``.csv``.

    Never unpickles (``allow_pickle=False``).
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"`path` must be an existing file, got {str(p)!r}.")
    suffix = p.suffix.lower()
    if suffix == ".npy":
        arr = np.load(p, allow_pickle=False)
    elif suffix == ".npz":
        with np.load(p, allow_pickle=False) as npz:
            keys = list(npz.keys())
            if key is None:
                if len(keys) != 1:
                    raise fail("key", f"one of {keys} (the file holds several arrays)", key)
                key = keys[0]
            if key not in keys:
                raise fail("key", f"one of {keys}", key)
            arr = npz[key]
    elif suffix in (".csv", ".txt"):
        arr = np.loadtxt(p, delimiter="," if suffix == ".csv" else None, ndmin=2)
    else:
        raise fail("path", "a .npy, .npz or .csv file", str(p))
    try:
        return np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise fail("path", "a file of real numbers", str(p)) from exc
