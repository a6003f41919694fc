"""On-disk run directory: one snapshot of every recorded layer per step, crash-safe and appendable.

Layout
------
::

    run/
      meta.json                 layer names and per-step shapes, dtype, schedule, seed, model
                                summary, package versions (written once, atomically)
      probe_x.npy  probe_y.npy  the fixed probe inputs and labels (stored once)
      steps/
        00000000/
          fc1.npy  fc2.npy      activations of each layer on the probe inputs, shape (N, *feat)
          COMPLETE.json         commit record: step, layer shapes, extras (gradient stats, ...)
        00000001/ ...

Why per-step ``.npy`` files and not zarr
----------------------------------------
Plain ``.npy`` needs no extra dependency, is read by ``np.load(..., mmap_mode="r")`` without
unpickling, and makes a step the unit of atomicity: a step is a directory that either has its
commit record or does not. Zarr would give chunked single arrays per layer, but appending to them
rewrites shared metadata (``.zarray`` shape) on every step, which is exactly the file a crash can
leave inconsistent; per-step files keep every earlier step immutable once written.

Commit protocol
---------------
:meth:`RunStore.append` writes each layer to ``steps/{step:08d}/{layer}.npy`` through a
temporary file, ``fsync`` and ``os.replace`` (:func:`infoplane._io.atomic_write`), and only then
writes ``COMPLETE.json`` the same way, followed by an ``fsync`` of the step directory. The
existence of ``COMPLETE.json`` is the commit point: a step counts only once it exists, and it is
only written after every layer file is durable. A process killed at any moment therefore loses at
most the step in flight. A per-step commit file (rather than one append-only JSONL manifest) was
chosen because it can never be torn: a JSONL line can be half-written by a kill and would need
repair logic, whereas ``os.replace`` of a whole small file is atomic on POSIX and Windows.
:meth:`RunStore.open` deletes step directories without a commit record and stray temporary
files, so a crashed run resumes cleanly. One writer per run directory is assumed.

Validation on open
------------------
Opening a run checks ``meta.json`` (valid JSON of the format above; otherwise a one-line
``ValueError`` naming the file) and every committed step: its ``COMPLETE.json`` must parse, name
the step of its directory and exactly the run's layers with their shapes, and each layer file
must be a ``.npy`` of that shape and the run's dtype whose size is its header plus the data.
A step that fails (damaged after it was written: a truncated copy, a disk error, an edit) is
*damaged*: it is left on disk untouched, is not counted as complete
(:meth:`RunStore.completed_steps`, ``step in store``), :attr:`RunStore.damaged` says which file
is wrong and how, and :meth:`RunStore.append` records it again (a resumed
:class:`infoplane.Recorder` does so by itself).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import numpy.typing as npt

from infoplane._io import atomic_write, jsonable, write_json
from infoplane._validation import as_int, choice, fail
from infoplane.schedules import Schedule

StoreDType = Literal["float32", "float16"]

FORMAT = "infoplane-run"
FORMAT_VERSION = 1
_COMMIT = "COMPLETE.json"
_STEP_RE = re.compile(r"^\d{8}$")
_LAYER_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_RESERVED = frozenset({"format", "format_version", "layers", "dtype", "schedule", "versions"})
_DTYPES = ("float32", "float16")

__all__ = ["FORMAT", "RunStore", "package_versions"]


def package_versions() -> dict[str, str | None]:
    """Versions of python, numpy, torch and infoplane (``None`` when not installed).

    Torch's version is read from the installed metadata, so this does not import torch.

    Examples
    --------
    >>> sorted(package_versions())
    ['infoplane', 'numpy', 'python', 'torch']
    """
    out: dict[str, str | None] = {"python": platform.python_version(), "numpy": np.__version__}
    for name in ("torch", "infoplane"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    if out["infoplane"] is None:
        from infoplane import __version__

        out["infoplane"] = __version__
    return out


def _check_layer_name(name: Any) -> str:
    if not isinstance(name, str) or not _LAYER_RE.match(name) or name + ".json" == _COMMIT:
        raise fail(
            "layers", "keyed by names of letters, digits, '_', '.', '-' (not starting with '.')",
            name,
        )
    return name


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _writable_dir(path: Path) -> None:
    """Create ``path`` (and parents) and check it is writable, with an error naming it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except PermissionError as exc:
        raise PermissionError(
            f"`path` must be a writable directory, got {str(path)!r} ({exc.strerror or exc})."
        ) from exc
    except OSError as exc:
        raise fail(
            "path", "a writable directory", str(path), f"({type(exc).__name__}: {exc})"
        ) from exc


def _meta_error(p: Path, what: str) -> ValueError:
    """The one-line error for an unreadable ``meta.json`` of the run at ``p``."""
    return ValueError(f"`path` must be an infoplane run directory with a valid meta.json, "
                      f"got {str(p)!r} ({p / 'meta.json'}: {what}).")


def _read_meta(p: Path) -> dict[str, Any]:
    """Parse and check ``p/meta.json``; one-line ``ValueError`` naming the file otherwise."""
    meta_path = p / "meta.json"
    try:
        text = meta_path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise _meta_error(p, "not UTF-8 text (JSON expected)") from None
    except OSError as exc:
        raise _meta_error(p, f"unreadable: {exc.strerror or exc}") from None
    if not text.strip():
        raise _meta_error(p, "empty (JSON expected)")
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _meta_error(p, f"not valid JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise _meta_error(p, f"a JSON object expected, got a {type(meta).__name__}")
    if meta.get("format") != FORMAT:
        raise fail("path", f"a run directory of format {FORMAT!r}", str(p),
                   f"({meta_path} has format {meta.get('format')!r})")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _meta_error(p, f"'format_version' must be an integer >= 1, got {version!r}")
    if version > FORMAT_VERSION:
        raise _meta_error(p, f"format version {version} is newer than this infoplane reads "
                             f"({FORMAT_VERSION}): upgrade infoplane")
    layers = meta.get("layers")
    if not isinstance(layers, dict) or not layers:
        raise _meta_error(p, f"'layers' must be a non-empty object of layer name to shape, "
                             f"got {layers!r}"[:300])
    for name, shape in layers.items():
        if (not isinstance(name, str) or not _LAYER_RE.match(name)
                or name + ".json" == _COMMIT):
            raise _meta_error(p, f"'layers' has an invalid layer name {name!r}")
        if (not isinstance(shape, list) or not shape
                or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                           for d in shape)):
            raise _meta_error(p, f"'layers'[{name!r}] must be a list of integers >= 0, "
                                 f"got {shape!r}"[:300])
    if meta.get("dtype") not in _DTYPES:
        raise _meta_error(p, f"'dtype' must be one of {list(_DTYPES)}, "
                             f"got {meta.get('dtype')!r}")
    raw = meta.get("schedule")
    if raw is not None:
        try:
            Schedule.from_dict(raw)
        except (KeyError, TypeError, ValueError) as exc:
            why = str(exc).strip().rstrip(".")
            raise _meta_error(p, f"'schedule' is not a valid schedule: {why}") from None
    return meta


def _npy_problem(f: Path, shape: tuple[int, ...], dtype: np.dtype[Any]) -> str | None:
    """Why the layer file ``f`` is not a ``.npy`` of ``shape`` and ``dtype`` (None if it is)."""
    try:
        size = f.stat().st_size
        with f.open("rb") as fh:
            try:
                version = np.lib.format.read_magic(fh)
                if version == (1, 0):
                    got_shape, _, got_dtype = np.lib.format.read_array_header_1_0(fh)
                else:
                    got_shape, _, got_dtype = np.lib.format.read_array_header_2_0(fh)
            except (ValueError, EOFError, SyntaxError) as exc:
                first = str(exc).strip().splitlines()
                return f"not a .npy file ({first[0] if first else type(exc).__name__})"
            offset = fh.tell()
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if got_dtype.hasobject:
        return "holds Python objects, not numbers"
    if tuple(got_shape) != shape:
        return f"has shape {tuple(got_shape)}, the run declares {shape}"
    if got_dtype != dtype:
        return f"has dtype {got_dtype}, the run stores {dtype}"
    need = offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if size < need:
        return f"truncated: {size} bytes, {need} expected"
    if size > need:
        return f"{size} bytes, {need} expected (trailing data)"
    return None


class RunStore:
    """A run directory of per-step layer activations (see the module docstring for the layout).

    Create with :meth:`create`, re-open with :meth:`open`; do not call the constructor directly.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from infoplane.store import RunStore
    >>> d = tempfile.mkdtemp()
    >>> st = RunStore.create(d + "/run", layers={"h": (4, 2)}, meta={"seed": 0})
    >>> st.append(0, {"h": np.ones((4, 2))})
    >>> st.append(3, {"h": np.zeros((4, 2))}, extras={"weight_norm": {"h": 1.5}})
    >>> RunStore.open(d + "/run").completed_steps().tolist()
    [0, 3]
    >>> steps, acts = st.load_layer("h")
    >>> acts.shape, acts.dtype, st.extras(3)["weight_norm"]["h"]
    ((2, 4, 2), dtype('float32'), 1.5)
    """

    def __init__(self, path: Path, meta: dict[str, Any]) -> None:
        self.path = path
        self._meta = meta
        self._layers: dict[str, tuple[int, ...]] = {
            k: tuple(int(d) for d in v) for k, v in meta["layers"].items()
        }
        self._dtype = np.dtype(meta["dtype"])
        self._completed: set[int] = set()
        self._damaged: dict[int, str] = {}
        self._scan()

    # ------------------------------------------------------------------ construction
    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        layers: Mapping[str, tuple[int, ...] | list[int]],
        schedule: Schedule | None = None,
        meta: Mapping[str, Any] | None = None,
        dtype: StoreDType = "float32",
        overwrite: bool = False,
    ) -> RunStore:
        """Create a new, empty run directory.

        Parameters
        ----------
        path : str or PathLike
            Directory to create (parents are created). It must not already hold a run unless
            ``overwrite=True``, and must be empty if it is not a run directory.
        layers : mapping of str to tuple of int
            Layer names and the shape of one step's array for each, ``(N, *features)``.
        schedule : Schedule, optional
            Stored in the metadata (``schedule.to_dict()``).
        meta : mapping, optional
            Extra JSON-serialisable metadata (seed, model summary, ...), merged at the top level
            of :attr:`meta`; may not use the reserved keys ``format``, ``format_version``,
            ``layers``, ``dtype``, ``schedule``, ``versions``.
        dtype : {"float32", "float16"}, default "float32"
            Storage dtype of activations.
        overwrite : bool, default False
            Delete an existing run directory at ``path`` first (only one holding ``meta.json``).

        Returns
        -------
        RunStore

        Raises
        ------
        PermissionError
            If ``path`` cannot be created or written.
        ValueError
            If ``path`` holds a run (and not ``overwrite``) or unrelated files, or is under a file.
        """
        p = Path(path)
        dtype = choice("dtype", dtype, ("float32", "float16"))  # type: ignore[assignment]
        if not isinstance(layers, Mapping) or not layers:
            raise fail("layers", "a non-empty mapping of layer name to shape", layers)
        shapes: dict[str, list[int]] = {}
        for name, shape in layers.items():
            _check_layer_name(name)
            if isinstance(shape, int | np.integer):
                shape = (int(shape),)
            dims = [as_int(f"layers[{name!r}]", d, min_value=0) for d in shape]
            if not dims:
                raise fail(f"layers[{name!r}]", "a shape with at least one dimension", shape)
            shapes[name] = dims
        user = dict(meta or {})
        clash = sorted(_RESERVED.intersection(user))
        if clash:
            raise fail("meta", f"free of the reserved keys {sorted(_RESERVED)}", clash)
        if schedule is not None and not isinstance(schedule, Schedule):
            raise TypeError(f"`schedule` must be a Schedule or None, got {schedule!r}.")

        if p.exists() and not p.is_dir():
            raise fail("path", "a directory (or a path to create)", str(p), "(it is a file)")
        if p.is_dir() and any(p.iterdir()):
            if not (p / "meta.json").is_file():
                raise fail(
                    "path", "a new or empty directory or an infoplane run", str(p),
                    "(it holds other files; refusing to touch them)",
                )
            if not overwrite:
                raise fail(
                    "path", "a new directory", str(p),
                    "(it already holds a run: use RunStore.open to resume it, or overwrite=True)",
                )
            shutil.rmtree(p)
        _writable_dir(p)
        record: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "layers": shapes,
            "dtype": dtype,
            "schedule": None if schedule is None else schedule.to_dict(),
            "versions": package_versions(),
            **user,
        }
        try:
            (p / "steps").mkdir(exist_ok=True)
            write_json(p / "meta.json", record)
        except PermissionError as exc:
            raise PermissionError(
                f"`path` must be a writable directory, got {str(p)!r} ({exc})."
            ) from exc
        return cls(p, json.loads((p / "meta.json").read_text()))

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> RunStore:
        """Open an existing run, deleting partial steps left by a crash.

        Parameters
        ----------
        path : str or PathLike
            A directory made by :meth:`create`.

        Returns
        -------
        RunStore
            Ready to :meth:`append` after its last complete step.

        Raises
        ------
        FileNotFoundError
            If ``path`` holds no ``meta.json``.
        ValueError
            If ``meta.json`` is not a valid run record (the message names the file and what is
            wrong). Damaged steps do not raise: see :attr:`damaged`.
        """
        p = Path(path)
        meta_path = p / "meta.json"
        if not meta_path.is_file():
            raise FileNotFoundError(
                f"`path` must be an infoplane run directory (with meta.json), got {str(p)!r}."
            )
        store = cls(p, _read_meta(p))
        store._cleanup()
        return store

    @classmethod
    def exists(cls, path: str | os.PathLike[str]) -> bool:
        """Whether ``path`` holds a run directory (a ``meta.json``).

        Examples
        --------
        >>> RunStore.exists("/nonexistent/run")
        False
        """
        return (Path(path) / "meta.json").is_file()

    # ------------------------------------------------------------------ internals
    def _step_dir(self, step: int) -> Path:
        return self.path / "steps" / f"{step:08d}"

    def _scan(self) -> None:
        steps_dir = self.path / "steps"
        self._completed = set()
        self._damaged = {}
        if not steps_dir.is_dir():
            return
        for d in steps_dir.iterdir():
            if _STEP_RE.match(d.name) and (d / _COMMIT).is_file():
                problem = self._check_step(int(d.name), d)
                if problem is None:
                    self._completed.add(int(d.name))
                else:
                    self._damaged[int(d.name)] = problem

    def _check_step(self, step: int, d: Path) -> str | None:
        """Why the committed step ``step`` (directory ``d``) is damaged, or None if intact."""
        rel = f"steps/{d.name}"
        try:
            rec = json.loads((d / _COMMIT).read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            return f"{rel}/{_COMMIT} is not a valid commit record ({type(exc).__name__})"
        if not isinstance(rec, dict):
            return f"{rel}/{_COMMIT} is not a JSON object"
        if rec.get("step") != step:
            return f"{rel}/{_COMMIT} names step {rec.get('step')!r}"
        layers = rec.get("layers")
        want = {k: list(v) for k, v in self._layers.items()}
        if not isinstance(layers, dict) or layers != want:
            got = sorted(layers) if isinstance(layers, dict) else layers
            return (f"{rel}/{_COMMIT} lists layers {got!r}"[:200]
                    + f", the run has {want}")
        if not isinstance(rec.get("extras", {}), dict):
            return f"{rel}/{_COMMIT} has extras that are not a JSON object"
        for name, shape in self._layers.items():
            problem = _npy_problem(d / f"{name}.npy", shape, self._dtype)
            if problem is not None:
                return f"{rel}/{name}.npy {problem}"
        return None

    def _cleanup(self) -> None:
        """Remove partial step directories and temporary files left by a crash."""
        steps_dir = self.path / "steps"
        if not steps_dir.is_dir():
            return
        for d in steps_dir.iterdir():
            if d.is_dir() and _STEP_RE.match(d.name):
                if not (d / _COMMIT).is_file():
                    shutil.rmtree(d, ignore_errors=True)
                else:
                    for tmp in d.glob(".*.tmp"):
                        tmp.unlink(missing_ok=True)
        for tmp in self.path.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)

    # ------------------------------------------------------------------ properties
    @property
    def meta(self) -> dict[str, Any]:
        """The run's metadata (a copy): layers, dtype, schedule, versions and user entries."""
        return json.loads(json.dumps(self._meta))

    @property
    def layers(self) -> dict[str, tuple[int, ...]]:
        """Layer names and per-step array shapes ``(N, *features)``."""
        return dict(self._layers)

    @property
    def dtype(self) -> np.dtype[Any]:
        """Storage dtype of activations."""
        return self._dtype

    @property
    def schedule(self) -> Schedule | None:
        """The schedule stored in the metadata, if any."""
        raw = self._meta.get("schedule")
        return None if raw is None else Schedule.from_dict(raw)

    @property
    def last_step(self) -> int | None:
        """The largest completed step, or ``None`` for an empty run."""
        return max(self._completed) if self._completed else None

    def completed_steps(self) -> npt.NDArray[np.int64]:
        """Sorted int64 array of committed, intact steps (damaged ones excluded)."""
        return np.asarray(sorted(self._completed), dtype=np.int64)

    @property
    def damaged(self) -> dict[int, str]:
        """Committed steps that failed validation on open: step -> which file and why.

        They are not complete (not in :meth:`completed_steps`); :meth:`append` records them
        again.
        """
        return dict(sorted(self._damaged.items()))

    def describe_damaged(self, limit: int = 3) -> str:
        """One line naming the damaged steps (the first ``limit`` with their reasons).

        Returns
        -------
        str
            Empty when no step is damaged.
        """
        items = sorted(self._damaged.items())
        if not items:
            return ""
        shown = "; ".join(f"step {s}: {why}" for s, why in items[:limit])
        more = f"; and {len(items) - limit} more" if len(items) > limit else ""
        return f"{len(items)} damaged step(s) in {str(self.path)!r}: {shown}{more}"

    def __contains__(self, step: object) -> bool:
        return step in self._completed

    def __len__(self) -> int:
        return len(self._completed)

    def __repr__(self) -> str:
        return f"RunStore({str(self.path)!r}, layers={list(self._layers)}, steps={len(self)})"

    # ------------------------------------------------------------------ writing
    def append(
        self,
        step: int,
        arrays: Mapping[str, npt.ArrayLike],
        extras: Mapping[str, Any] | None = None,
        *,
        check_finite: bool = True,
    ) -> None:
        """Write one step atomically (layer files first, the commit record last).

        Parameters
        ----------
        step : int
            Step index (>= 0) not already in the run.
        arrays : mapping of str to array
            One array per layer of the run, each of the layer's declared shape; cast to the
            storage dtype. Must be finite after the cast.
        extras : mapping, optional
            JSON-serialisable per-step data (gradient statistics, weight norms) kept in the
            commit record; non-finite floats are stored as ``null``.
        check_finite : bool, default True
            Check that the cast arrays are finite. Pass ``False`` only when the caller has
            already checked the arrays in the storage dtype (as :class:`infoplane.Recorder`
            does).

        Raises
        ------
        ValueError
            If the step exists, a layer is missing/unknown, a shape differs, or values are not
            finite (e.g. overflow to inf in float16).
        """
        step = as_int("step", step, min_value=0)
        if step in self._completed:
            raise fail("step", "a step not yet in the run", step,
                       f"(steps are never duplicated; last step is {self.last_step})")
        missing = sorted(set(self._layers) - set(arrays))
        extra = sorted(set(arrays) - set(self._layers))
        if missing or extra:
            raise fail("arrays", f"keyed by exactly the run's layers {list(self._layers)}",
                       sorted(arrays), f"(missing {missing}, unknown {extra})")
        cast: dict[str, np.ndarray[Any, Any]] = {}
        for name in self._layers:
            with np.errstate(over="ignore", invalid="ignore"):  # checked just below
                arr = np.ascontiguousarray(np.asarray(arrays[name]), dtype=self._dtype)
            if arr.shape != self._layers[name]:
                raise fail(f"arrays[{name!r}]", f"of shape {self._layers[name]}", arr,
                           f"(it has shape {arr.shape})")
            if check_finite and not np.isfinite(arr).all():
                raise fail(f"arrays[{name!r}]", f"finite in {self._dtype} at step {step}", arr)
            cast[name] = arr
        record = {"step": step, "layers": {k: list(v.shape) for k, v in cast.items()},
                  "extras": jsonable(dict(extras or {}))}
        d = self._step_dir(step)
        if d.exists():  # a partial leftover from a crashed writer, or a damaged step: afresh
            shutil.rmtree(d)
        try:
            d.mkdir(parents=True)
            for name, arr in cast.items():
                atomic_write(d / f"{name}.npy", _saver(arr))
            write_json(d / _COMMIT, record)
            _fsync_dir(d)
        except PermissionError as exc:
            raise PermissionError(
                f"`path` must be a writable directory, got {str(self.path)!r} ({exc})."
            ) from exc
        self._completed.add(step)
        self._damaged.pop(step, None)

    def save_probes(self, x: npt.ArrayLike, y: npt.ArrayLike | None = None) -> None:
        """Store the probe inputs (``probe_x.npy``) and labels (``probe_y.npy``), atomically.

        Parameters
        ----------
        x : array, shape (N, ...)
            Probe inputs (any numeric dtype; stored as given).
        y : array, shape (N, ...), optional
            Probe labels.
        """
        xa = np.asarray(x)
        if xa.dtype == object:
            raise fail("x", "a numeric array", xa)
        atomic_write(self.path / "probe_x.npy", _saver(xa))
        if y is not None:
            ya = np.asarray(y)
            if ya.dtype == object:
                raise fail("y", "a numeric array", ya)
            if len(ya) != len(xa):
                raise fail("y", f"of length {len(xa)} (one label per probe input)", ya)
            atomic_write(self.path / "probe_y.npy", _saver(ya))

    # ------------------------------------------------------------------ reading
    def _require(self, step: int, layer: str) -> None:
        if layer not in self._layers:
            raise fail("layer", f"one of {list(self._layers)}", layer)
        if step in self._damaged:
            raise fail("step", "a completed, intact step of the run", step,
                       f"(it is damaged: {self._damaged[step]}; record it again)")
        if step not in self._completed:
            raise fail("step", "a completed step of the run", step,
                       f"(last step is {self.last_step})")

    def load(self, step: int, layer: str, *, mmap: bool = False) -> np.ndarray[Any, Any]:
        """Activations of ``layer`` at ``step``, shape ``(N, *features)``.

        Parameters
        ----------
        step : int
        layer : str
        mmap : bool, default False
            Memory-map the file read-only instead of reading it.
        """
        self._require(step, layer)
        f = self._step_dir(step) / f"{layer}.npy"
        try:
            arr = np.load(f, allow_pickle=False, mmap_mode="r" if mmap else None)
        except (OSError, ValueError, EOFError) as exc:
            raise _read_error(f, step, exc) from None
        if arr.shape != self._layers[layer]:  # changed on disk after the run was opened
            raise _read_error(f, step, ValueError(f"shape {arr.shape}, the run declares "
                                                  f"{self._layers[layer]}"))
        return arr

    def load_layer(
        self, layer: str, steps: npt.ArrayLike | None = None
    ) -> tuple[npt.NDArray[np.int64], np.ndarray[Any, Any]]:
        """All (or the given) steps of one layer, stacked.

        Each step's file is memory-mapped and copied once into the output, so peak memory is
        the output itself, shape ``(S, N, *features)``, in the storage dtype.

        Returns
        -------
        steps : ndarray of int64, shape (S,)
        activations : ndarray, shape (S, N, *features)
        """
        if layer not in self._layers:
            raise fail("layer", f"one of {list(self._layers)}", layer)
        sel = self.completed_steps() if steps is None else np.asarray(steps, dtype=np.int64)
        out = np.empty((len(sel), *self._layers[layer]), dtype=self._dtype)
        for i, s in enumerate(sel.tolist()):
            out[i] = self.load(s, layer, mmap=True)
        return sel, out

    def extras(self, step: int) -> dict[str, Any]:
        """The per-step extras stored with ``step`` (empty dict if none)."""
        step = as_int("step", step, min_value=0)
        if step in self._damaged:
            raise fail("step", "a completed, intact step of the run", step,
                       f"(it is damaged: {self._damaged[step]}; record it again)")
        if step not in self._completed:
            raise fail("step", "a completed step of the run", step)
        f = self._step_dir(step) / _COMMIT
        try:
            rec = json.loads(f.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise _read_error(f, step, exc) from None
        return dict(rec.get("extras") or {})

    def load_probes(self) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any] | None]:
        """The stored probe inputs and labels (labels ``None`` if not stored)."""
        px = self.path / "probe_x.npy"
        if not px.is_file():
            raise FileNotFoundError(f"`path` must hold probe_x.npy, got {str(self.path)!r}.")
        x = _load_probe(px)
        py = self.path / "probe_y.npy"
        y = _load_probe(py) if py.is_file() else None
        return x, y

    def load_labels(self) -> np.ndarray[Any, Any] | None:
        """The stored probe labels (``None`` if not stored), without reading the inputs.

        Raises
        ------
        FileNotFoundError
            If the run holds no probes (``probe_x.npy``), as :meth:`load_probes`.
        """
        if not (self.path / "probe_x.npy").is_file():
            raise FileNotFoundError(f"`path` must hold probe_x.npy, got {str(self.path)!r}.")
        py = self.path / "probe_y.npy"
        return _load_probe(py) if py.is_file() else None


def _read_error(f: Path, step: int | None, exc: BaseException) -> ValueError:
    """One line naming the run file ``f`` (and ``step``) that could not be read."""
    first = str(exc).strip().splitlines()
    why = first[0] if first else type(exc).__name__
    where = f" of step {step}" if step is not None else ""
    return ValueError(f"`path` must be a readable infoplane run, got {str(f.parent)!r} "
                      f"({f.name}{where} cannot be read: {why}).")


def _load_probe(f: Path) -> np.ndarray[Any, Any]:
    try:
        return np.load(f, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise _read_error(f, None, exc) from None


def _saver(arr: np.ndarray[Any, Any]) -> Callable[[IO[bytes]], None]:
    def write(fh: IO[bytes]) -> None:
        np.save(fh, arr, allow_pickle=False)

    return write

