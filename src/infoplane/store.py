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
        """
        p = Path(path)
        meta_path = p / "meta.json"
        if not meta_path.is_file():
            raise FileNotFoundError(
                f"`path` must be an infoplane run directory (with meta.json), got {str(p)!r}."
            )
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != FORMAT:
            raise fail("path", f"a run directory of format {FORMAT!r}", str(p))
        store = cls(p, meta)
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
        if not steps_dir.is_dir():
            return
        for d in steps_dir.iterdir():
            if _STEP_RE.match(d.name) and (d / _COMMIT).is_file():
                self._completed.add(int(d.name))

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
        """Sorted int64 array of committed steps."""
        return np.asarray(sorted(self._completed), dtype=np.int64)

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
        if d.exists():  # a partial leftover from a crashed writer: start afresh
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
        return np.load(self._step_dir(step) / f"{layer}.npy", allow_pickle=False,
                       mmap_mode="r" if mmap else None)

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
        if step not in self._completed:
            raise fail("step", "a completed step of the run", step)
        rec = json.loads((self._step_dir(step) / _COMMIT).read_text())
        return dict(rec.get("extras") or {})

    def load_probes(self) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any] | None]:
        """The stored probe inputs and labels (labels ``None`` if not stored)."""
        px = self.path / "probe_x.npy"
        if not px.is_file():
            raise FileNotFoundError(f"`path` must hold probe_x.npy, got {str(self.path)!r}.")
        x = np.load(px, allow_pickle=False)
        py = self.path / "probe_y.npy"
        y = np.load(py, allow_pickle=False) if py.is_file() else None
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
        return np.load(py, allow_pickle=False) if py.is_file() else None


def _saver(arr: np.ndarray[Any, Any]) -> Callable[[IO[bytes]], None]:
    def write(fh: IO[bytes]) -> None:
        np.save(fh, arr, allow_pickle=False)

    return write

