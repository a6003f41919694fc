"""Atomic writes and safe loads of user files (one-line errors naming the option and file)."""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import tokenize
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.lib import format as npformat

from infoplane._typing import FloatArray
from infoplane._validation import available_bytes, fail


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


# --------------------------------------------------------------------------------------------
# loading the user's arrays
# --------------------------------------------------------------------------------------------

_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"
_CSV_SUFFIXES = (".csv", ".txt")


def available_memory() -> int | None:
    """Bytes of memory available for new allocations, or None where it cannot be told.

    :func:`infoplane._validation.available_bytes`; every array a user file declares is checked
    against it before any of its data is read.
    """
    return available_bytes()


def _bad(option: str, constraint: str, p: Path, hint: str = "") -> ValueError:
    """``"`option` must be <constraint>, got '<file>' (<hint>)."``, the path never shortened."""
    return ValueError(f"`{option}` must be {constraint}, got {str(p)!r}"
                      f"{' ' + hint if hint else ''}.")


def _size(n: int) -> str:
    """Human-readable byte count: ``"800 B"``, ``"7.3 TiB"``."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class _Header:
    """Shape, dtype and data offset of one ``.npy`` array (file or ``.npz`` member)."""

    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    offset: int
    where: str  # "" for a .npy file, "array 'x': " for an .npz member (message prefix)

    @property
    def count(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.count * self.dtype.itemsize


def _open(option: str, p: Path) -> IO[bytes]:
    """Open a user file for reading, naming ``option`` when it does not exist or is unreadable."""
    if not p.exists():
        raise FileNotFoundError(f"`{option}` must be an existing file, got {str(p)!r}.")
    if p.is_dir():
        raise IsADirectoryError(f"`{option}` must be a file, got {str(p)!r} (a directory).")
    try:
        fh = open(p, "rb")  # noqa: SIM115 - closed by the caller
    except PermissionError:
        raise PermissionError(f"`{option}` must be a readable file, got {str(p)!r} "
                              "(permission denied).") from None
    except OSError as exc:
        raise OSError(f"`{option}` must be a readable file, got {str(p)!r} "
                      f"({exc.strerror or exc}).") from None
    return fh


def _read_header(fh: IO[bytes], option: str, p: Path, where: str) -> _Header:
    """Parse the ``.npy`` header at the position of ``fh`` without reading any data."""
    start = fh.read(len(_NPY_MAGIC))
    if start != _NPY_MAGIC:
        if where == "" and start.startswith(_ZIP_MAGIC):
            raise _bad(option, "a .npy file", p, "(it is a zip archive, i.e. an .npz "
                       "file of several arrays: give it the .npz suffix)")
        raise _bad(option, "a .npy file written by numpy.save", p,
                   f"({where}it does not start with the .npy magic string: corrupt, "
                   "truncated, or another format)")
    version = fh.read(2)
    readers = {b"\x01\x00": npformat.read_array_header_1_0,
               b"\x02\x00": npformat.read_array_header_2_0}
    if version not in readers:
        shown = ".".join(str(b) for b in version) or "missing"
        raise _bad(option, "a .npy file of format version 1.0 or 2.0", p,
                   f"({where}version {shown})")
    try:
        shape, _fortran, dtype = readers[version](fh)
    except (ValueError, SyntaxError, EOFError, UnicodeError, tokenize.TokenError) as exc:
        raise _bad(option, "a .npy file with a valid header", p,
                   f"({where}the header cannot be parsed: {exc})") from None
    if any(d < 0 for d in shape):
        raise _bad(option, "a .npy file with a valid header", p,
                   f"({where}negative shape {shape})")
    return _Header(tuple(int(d) for d in shape), np.dtype(dtype), fh.tell(), where)


def _check_dtype(option: str, p: Path, h: _Header, named: tuple[str, str] | None = None,
                 *, complex_ok: bool = False) -> None:
    """Numbers only: never objects (pickles), strings or records; complex is a TypeError.

    ``named = (option, key)`` reports the array under the option that named it (``--x``).
    """
    dt = h.dtype
    if dt.hasobject:
        reason = "it holds Python objects, dtype object; pickled data is never loaded"
        if named:
            raise ValueError(f"`{named[0]}` must name an array of numbers, got {named[1]!r} "
                             f"(in {str(p)!r}: {reason}).")
        raise _bad(option, "an array of numbers", p, f"({h.where}{reason})")
    if dt.kind == "c" and not complex_ok:
        raise TypeError(f"`{option}` must hold real numbers, got {str(p)!r} ({h.where}dtype "
                        f"{dt}; store the real and imaginary parts as separate columns).")
    if dt.names is not None or dt.kind not in ("biufc" if complex_ok else "biuf"):
        if named:
            raise TypeError(f"`{named[0]}` must name an array of numbers (bool, integer or "
                            f"float), got {named[1]!r} (in {str(p)!r}: dtype {dt}).")
        raise TypeError(f"`{option}` must hold numbers (bool, integer or float), got "
                        f"{str(p)!r} ({h.where}dtype {dt}).")


def _check_complete(option: str, p: Path, h: _Header, total: int) -> None:
    """The header's shape x dtype must fit in the ``total`` bytes of the file or member."""
    have = max(total - h.offset, 0)
    if h.nbytes > have:
        raise _bad(option, "a complete .npy array", p,
                   f"({h.where}its header declares shape {h.shape} of {h.dtype}, "
                   f"{_size(h.nbytes)} of data, but only {_size(have)} follow: truncated or "
                   "corrupt)")


def _check_memory(option: str, p: Path, what: str, need: int) -> None:
    """Refuse to load ``need`` bytes beyond :func:`available_memory`, before reading."""
    avail = available_memory()
    if avail is not None and need > avail:
        raise _bad(option, f"small enough to fit in the memory available ({_size(avail)})",
                   p, f"({what} needs {_size(need)} to load)")


def _check_shape(option: str, p: Path, h: _Header, ndims: tuple[int, ...] | None,
                 empty_ok: bool = False) -> None:
    if h.count == 0 and not empty_ok:
        raise _bad(option, "a non-empty array", p, f"({h.where}shape {h.shape})")
    if ndims is not None and len(h.shape) not in ndims:
        wanted = " or ".join(f"{d}-D" for d in ndims)
        raise _bad(option, f"a {wanted} array", p, f"({h.where}shape {h.shape})")


def _read_failed(option: str, p: Path, where: str, exc: BaseException) -> ValueError:
    return _bad(option, "an intact, readable file", p,
                f"({where}{type(exc).__name__}: {exc}: corrupt or truncated)")


def _first_bad(arr: np.ndarray) -> str | None:
    bad = ~np.isfinite(arr)
    if not bad.any():
        return None
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"{arr[idx]} at index {list(idx)}"


def _read_npy(option: str, p: Path, ndims: tuple[int, ...] | None) -> np.ndarray:
    with _open(option, p) as fh:
        total = os.fstat(fh.fileno()).st_size
        if total == 0:
            raise _bad(option, "a non-empty .npy file", p, "(the file is empty: 0 bytes)")
        h = _read_header(fh, option, p, "")
        _check_dtype(option, p, h)
        _check_complete(option, p, h, total)
        _check_shape(option, p, h, ndims)
        copy = 0 if h.dtype == np.float64 else 8 * h.count  # the float64 copy
        _check_memory(option, p, f"its array of shape {h.shape} of {h.dtype}", h.nbytes + copy)
        fh.seek(0)
        try:
            return np.asarray(npformat.read_array(fh, allow_pickle=False))
        except (ValueError, OSError, EOFError) as exc:
            raise _read_failed(option, p, "", exc) from None


def _npz_members(option: str, p: Path, fh: IO[bytes]) -> tuple[zipfile.ZipFile, dict[str, str]]:
    """The open archive and its array names (member names without ``.npy``)."""
    if os.fstat(fh.fileno()).st_size == 0:
        raise _bad(option, "a non-empty .npz file", p, "(the file is empty: 0 bytes)")
    try:
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        fh.seek(0)
        if fh.read(len(_NPY_MAGIC)) == _NPY_MAGIC:
            raise _bad(option, "an .npz archive (numpy.savez)", p,
                       "(it is a .npy file, which holds a single array; numpy.savez writes "
                       "several named arrays into an .npz)") from None
        raise _bad(option, "an .npz archive (numpy.savez)", p,
                   f"(it is not a readable zip archive: {exc}; truncated, or another "
                   "format)") from None
    names = {n.removesuffix(".npy"): n for n in zf.namelist() if n.endswith(".npy")}
    if not names:
        zf.close()
        raise _bad(option, "an .npz archive of arrays (numpy.savez)", p,
                   f"(it holds no .npy arrays, only {zf.namelist()[:5]})")
    return zf, names


def _member_header(option: str, p: Path, zf: zipfile.ZipFile, key: str, member: str,
                   ndims: tuple[int, ...] | None, named: tuple[str, str] | None = None
                   ) -> _Header:
    """Check one member's header; with ``named``, leave complex and empty arrays to the
    caller (the estimators refuse them under the option's name)."""
    where = f"array {key!r}: "
    try:
        with zf.open(member) as fh:
            h = _read_header(fh, option, p, where)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        raise _read_failed(option, p, where, exc) from None
    _check_dtype(option, p, h, named, complex_ok=named is not None)
    _check_complete(option, p, h, zf.getinfo(member).file_size)
    _check_shape(option, p, h, ndims, empty_ok=named is not None)
    return h


def _read_member(option: str, p: Path, zf: zipfile.ZipFile, key: str,
                 member: str) -> np.ndarray:
    where = f"array {key!r}: "
    try:
        with zf.open(member) as fh:
            return np.asarray(npformat.read_array(fh, allow_pickle=False))
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError) as exc:
        raise _read_failed(option, p, where, exc) from None


def _has_text(fh: IO[bytes]) -> bool:
    """Whether the file holds anything but whitespace (read until the first such byte)."""
    while chunk := fh.read(1 << 16):
        if chunk.strip():
            fh.seek(0)
            return True
    fh.seek(0)
    return False


def _csv_reason(exc: ValueError) -> str:
    """``np.loadtxt``'s complaint with 1-based line numbers and without its API advice."""
    text = str(exc)
    m = re.fullmatch(r"could not convert string (.*) to float64 at row (\d+), column (\d+)\.?",
                     text)
    if m:
        value, row, col = m.group(1), int(m.group(2)) + 1, int(m.group(3))
        hint = ("; the file is not comma-separated" if ";" in value or "\\t" in value
                else "; a header row?" if row == 1 else "")
        return f"data row {row}, column {col}: {value} is not a number{hint}"
    m = re.match(r"the number of columns changed from (\d+) to (\d+) at row (\d+)", text)
    if m:
        return (f"data row {m.group(3)} has {m.group(2)} column(s), the rows before it "
                f"{m.group(1)}: ragged rows")
    return text.split("; use `usecols`")[0].rstrip(".")


def _read_csv(option: str, p: Path, suffix: str) -> np.ndarray:
    what = "a CSV file of numbers (comma-separated, no header row)" if suffix == ".csv" else \
        "a text file of numbers (whitespace-separated, no header row)"
    with _open(option, p) as fh:
        if not _has_text(fh):
            raise _bad(option, f"a non-empty {suffix} file", p,
                       "(it holds no numbers: empty or blank)")
        try:
            return np.loadtxt(fh, delimiter="," if suffix == ".csv" else None, ndmin=2,
                              encoding="utf-8")
        except UnicodeDecodeError:
            raise _bad(option, what, p, "(it is not UTF-8 text: a binary file?)") from None
        except ValueError as exc:
            raise _bad(option, what, p, f"({_csv_reason(exc)})") from None
        except MemoryError:
            raise _bad(option, "a text file whose numbers fit in the memory available",
                       p, f"(the file is {_size(os.fstat(fh.fileno()).st_size)})") from None


def load_array(path: str | os.PathLike[str], key: str | None = None, *, option: str = "path",
               key_option: str = "key", ndims: tuple[int, ...] | None = (1, 2),
               finite: bool = True) -> FloatArray:
    """Load a float array from ``.npy``, ``.npz`` (``key`` or its only array) or ``.csv``.

    Every failure is one ``ValueError``/``TypeError``/``OSError`` line naming ``option`` (the
    argument or command-line option the user gave), the file and what was expected. A
    ``.npy``/``.npz`` header's shape and dtype are checked against the file's length and
    against :func:`available_memory` before any data is read; nothing is ever unpickled.

    Parameters
    ----------
    path : path
        ``.npy``, ``.npz``, ``.csv`` (comma-separated) or ``.txt`` (whitespace-separated).
    key : str, optional
        Array name inside an ``.npz``; may be omitted when the archive holds one array. Only
        allowed with an ``.npz``.
    option, key_option : str, default "path", "key"
        Names of ``path`` and ``key`` in error messages (e.g. ``"--data"``, ``"--key"``).
    ndims : tuple of int or None, default (1, 2)
        Accepted numbers of dimensions (None: any).
    finite : bool, default True
        Refuse NaN and inf (naming the first one's index).

    Returns
    -------
    ndarray of float64
        Non-empty.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        Missing, a directory, or unreadable.
    ValueError
        Empty, truncated, corrupt or of another format; object arrays; a missing or unneeded
        ``key``; more than the available memory; an empty array, wrong dimensions, NaN/inf.
    TypeError
        Complex, string or structured arrays.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".npy", ".npz", *_CSV_SUFFIXES):
        raise _bad(option, "a .npy, .npz or .csv file", p)
    if key is not None and suffix != ".npz":
        raise ValueError(f"`{key_option}` must be given only with an .npz archive (a file of "
                         f"named arrays), got {key!r} ({str(p)!r} is a {suffix} file, which "
                         "holds one array).")
    if suffix == ".npy":
        arr = _read_npy(option, p, ndims)
    elif suffix == ".npz":
        with _open(option, p) as fh:
            zf, names = _npz_members(option, p, fh)
            with zf:
                keys = list(names)
                if key is None and len(keys) != 1:
                    raise fail(key_option, f"one of {keys} (the arrays of {str(p)!r}, which "
                               "holds several)", key)
                key = keys[0] if key is None else key
                if key not in names:
                    raise fail(key_option, f"one of {keys} (the arrays of {str(p)!r})", key)
                h = _member_header(option, p, zf, key, names[key], ndims)
                _check_memory(option, p, f"array {key!r} of shape {h.shape} of {h.dtype}",
                              h.nbytes + (0 if h.dtype == np.float64 else 8 * h.count))
                arr = _read_member(option, p, zf, key, names[key])
    else:
        arr = _read_csv(option, p, suffix)
        if arr.size == 0:
            raise _bad(option, "a non-empty array", p, f"(shape {arr.shape})")
    out = np.asarray(arr, dtype=np.float64)
    if finite and (bad := _first_bad(out)) is not None:
        if suffix in _CSV_SUFFIXES:
            r, c = (int(i) + 1 for i in np.argwhere(~np.isfinite(out))[0])
            bad = f"{out[r - 1, c - 1]} at data row {r}, column {c}"
        where = f"array {key!r}: " if suffix == ".npz" else ""
        raise _bad(option, "free of NaN and inf", p, f"({where}{bad})")
    return out


def load_arrays(path: str | os.PathLike[str], keys: Mapping[str, str], *,
                option: str = "path") -> dict[str, np.ndarray]:
    """Load named arrays from one ``.npz`` archive, checking all headers before reading any.

    Parameters
    ----------
    path : path
        An ``.npz`` archive (``numpy.savez``).
    keys : mapping of str to str
        Option (as the user typed it, e.g. ``"--x"``) to array name.
    option : str, default "path"
        Name of ``path`` in error messages (e.g. ``"FILE"``).

    Returns
    -------
    dict of str to ndarray
        Option to array, in its stored numeric dtype. Complex and empty arrays are returned
        as they are, for the caller to refuse under the option's name.

    Raises
    ------
    ValueError, TypeError, OSError
        As :func:`load_array`; an unknown name is reported under its option.
    """
    p = Path(path)
    with _open(option, p) as fh:
        zf, names = _npz_members(option, p, fh)
        with zf:
            headers = {}
            for opt, key in keys.items():
                if key not in names:
                    raise ValueError(f"`{opt}` must name an array in {str(p)!r}: one of "
                                     f"{list(names)}, got {key!r}.")
                headers[opt] = _member_header(option, p, zf, key, names[key], None, (opt, key))
            need = sum(h.nbytes for h in headers.values())
            shapes = ", ".join(f"{k!r} {h.shape} of {h.dtype}"
                               for k, h in zip(keys.values(), headers.values(), strict=True))
            _check_memory(option, p, f"arrays {shapes}", need)
            return {opt: _read_member(option, p, zf, key, names[key])
                    for opt, key in keys.items()}
