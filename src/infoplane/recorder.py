"""Record layer activations of a PyTorch model on fixed probe inputs, on a step schedule.

:class:`Recorder` is a context manager over a model. On a scheduled step it puts the model in
eval mode, runs the probe inputs through it in chunks under :func:`torch.inference_mode`, captures
the chosen layers' outputs with forward hooks (:func:`infoplane._torch.capture`), restores every
module's previous training flag,
checks the activations are finite, and appends the step to a :class:`~infoplane.store.RunStore`.

Design notes
------------
* Hooks exist only *inside* :meth:`Recorder.record` on a scheduled step and are removed when
  its forward passes end, also when they raise; off-schedule steps cost one set lookup.
* Resume: opening an existing run directory continues it; :meth:`Recorder.record` of a step the
  run already holds is skipped (returns ``False``), so re-running a training script after a crash
  neither duplicates nor loses steps (the step in flight at the crash is recorded again).
* Divergence: NaN or inf in any recorded layer (after the cast to the storage dtype, so float16
  overflow counts) raises :class:`FloatingPointError` naming the layer and step; nothing of that
  step is written and all earlier steps stay on disk.
* Memory: inputs are consumed chunk by chunk (an ``np.memmap`` probe set larger than memory
  works); one step's activations, ``N x sum(features)`` in the storage dtype, are held in memory.
"""

from __future__ import annotations

import os
import tempfile
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

try:
    import torch
    from torch import nn
except ImportError as _exc:  # PyTorch is the optional `torch` extra
    from infoplane._requires import missing_torch

    raise missing_torch(__name__) from _exc

from infoplane._torch import capture
from infoplane._validation import as_int, choice, fail
from infoplane.schedules import Schedule, every
from infoplane.store import RunStore, StoreDType

LayerSpec = (
    list[str] | tuple[str, ...] | str | type[nn.Module] | tuple[type[nn.Module], ...]
    | Callable[[str, nn.Module], bool]
)

__all__ = ["Recorder", "select_layers"]


def select_layers(model: nn.Module, layers: Any) -> dict[str, nn.Module]:
    """Resolve a layer specification to ``{name: module}`` in the model's module order.

    Parameters
    ----------
    model : nn.Module
    layers : list of str, str, module type, tuple of types, or callable
        Module names (as in ``model.named_modules()``), a module class (or tuple of classes),
        or a predicate ``(name, module) -> bool``. The root module (name ``""``) is never chosen
        by type or predicate.

    Returns
    -------
    dict of str to nn.Module

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    >>> list(select_layers(net, nn.Linear))
    ['0', '2']
    >>> list(select_layers(net, lambda name, m: name == "1"))
    ['1']
    """
    named = dict(model.named_modules())
    if isinstance(layers, str):
        layers = [layers]
    if isinstance(layers, type) and issubclass(layers, nn.Module):
        layers = (layers,)
    if isinstance(layers, tuple) and layers and all(
        isinstance(t, type) and issubclass(t, nn.Module) for t in layers
    ):
        chosen = {n: m for n, m in named.items() if n and isinstance(m, layers)}
        what = f"modules of type {[t.__name__ for t in layers]}"
    elif isinstance(layers, list | tuple):
        if not layers:
            raise fail("layers", "a non-empty list of module names", layers)
        unknown = [n for n in layers if n not in named or n == ""]
        if unknown:
            avail = [n for n in named if n]
            raise fail("layers", f"names of modules of the model (available: {avail})", unknown)
        if len(set(layers)) != len(layers):
            raise fail("layers", "free of duplicates", list(layers))
        chosen = {n: named[n] for n in layers}
        what = "names"
    elif callable(layers):
        chosen = {n: m for n, m in named.items() if n and layers(n, m)}
        what = "modules matching the predicate"
    else:
        raise TypeError(
            "`layers` must be a list of module names, a module type or a predicate, "
            f"got {layers!r}."
        )
    if not chosen:
        avail = [f"{n} ({type(m).__name__})" for n, m in named.items() if n]
        raise fail("layers", f"selecting at least one module (no {what}; available: {avail})",
                   layers)
    return chosen


def _weight(module: nn.Module) -> torch.Tensor | None:
    w = getattr(module, "weight", None)
    return w if isinstance(w, torch.Tensor) else None


class Recorder:
    """Context manager that records chosen layers' activations on scheduled steps.

    Parameters
    ----------
    model : nn.Module
        The model being trained.
    layers : list of str, module type, tuple of types, or callable
        Which modules to record (see :func:`select_layers`); unknown names raise a
        ``ValueError`` listing the available ones. A module returning a tuple is recorded by
        its first element.
    inputs : array-like or Tensor, shape (N, ...)
        Fixed probe inputs, fed in chunks of ``chunk_size`` (an ``np.memmap`` is fine).
    labels : array-like, shape (N,), optional
        Probe labels, stored once with the run (``probe_y.npy``).
    store : str, PathLike, RunStore or None
        Run directory: created if new, resumed if it already holds a run; ``None`` makes a fresh
        temporary directory (``rec.store.path``; not deleted).
    schedule : Schedule, optional
        Steps to record. Default: the schedule stored in a resumed run, else every step.
    chunk_size : int, default 4096
        Probe inputs per forward pass.
    dtype : {"float32", "float16"}, default "float32"
        Storage dtype (for a new run; a resumed run keeps its own).
    grad_stats : bool, default False
        Accumulate per-layer gradient statistics through :meth:`observe_gradients`.
    weight_norms : bool, default False
        Store the Frobenius norm of each layer's ``weight`` with every step.
    seed : int, default 0
        Recorded in the metadata (the recorder itself draws no random numbers).
    meta : mapping, optional
        Extra metadata for a new run.

    Examples
    --------
    >>> import tempfile
    >>> import torch
    >>> from torch import nn
    >>> from infoplane.schedules import every
    >>> net = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2))
    >>> x = torch.randn(10, 2)
    >>> run = tempfile.mkdtemp() + "/run"
    >>> with Recorder(net, layers=["1", "2"], inputs=x, store=run,
    ...               schedule=every(2, n_epochs=5)) as rec:
    ...     for epoch in range(5):
    ...         _ = rec.record(epoch)          # training would happen before this
    >>> rec.completed.tolist()
    [0, 2, 4]
    >>> rec.store.load(2, "1").shape
    (10, 3)
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        layers: Any,
        inputs: Any,
        labels: npt.ArrayLike | None = None,
        store: str | os.PathLike[str] | RunStore | None = None,
        schedule: Schedule | None = None,
        chunk_size: int = 4096,
        dtype: StoreDType = "float32",
        grad_stats: bool = False,
        weight_norms: bool = False,
        seed: int = 0,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"`model` must be a torch.nn.Module, got {type(model).__name__}.")
        self.model = model
        self.layers = select_layers(model, layers)
        try:
            n = len(inputs)
        except TypeError as exc:
            raise TypeError(f"`inputs` must be an array of probe inputs, got {inputs!r}.") from exc
        if n < 1:
            raise fail("inputs", "a non-empty array of probe inputs", inputs)
        self.inputs = inputs
        self.n_probe = int(n)
        self.labels = None if labels is None else np.asarray(labels)
        if self.labels is not None and len(self.labels) != self.n_probe:
            raise fail("labels", f"of length {self.n_probe} (one per input)", self.labels)
        if schedule is not None and not isinstance(schedule, Schedule):
            raise TypeError(f"`schedule` must be a Schedule or None, got {schedule!r}.")
        self.chunk_size = as_int("chunk_size", chunk_size)
        self.dtype: StoreDType = choice("dtype", dtype, ("float32", "float16"))  # type: ignore[assignment]
        self.grad_stats = bool(grad_stats)
        self.weight_norms = bool(weight_norms)
        self.seed = as_int("seed", seed, min_value=0)
        self.user_meta = dict(meta or {})
        self._store_arg = store
        self._schedule_arg = schedule
        self.schedule: Schedule = schedule if schedule is not None else every(1)
        self._store: RunStore | None = None
        self._grad_step: int | None = None
        self._grad_acc: dict[str, list[Any]] = {}

    # ------------------------------------------------------------------ lifecycle
    @property
    def store(self) -> RunStore:
        """The run store (available inside the ``with`` block and after it)."""
        if self._store is None:
            raise RuntimeError("The recorder is not open: use `with Recorder(...) as rec:`.")
        return self._store

    @property
    def completed(self) -> npt.NDArray[np.int64]:
        """Sorted steps already in the run (including those from earlier sessions)."""
        return self.store.completed_steps()

    def __enter__(self) -> Recorder:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> None:
        """Create or resume the run directory (called by ``__enter__``)."""
        arg = self._store_arg
        if isinstance(arg, RunStore):
            store = arg
        elif arg is not None and RunStore.exists(arg):
            store = RunStore.open(arg)
        else:
            path = Path(tempfile.mkdtemp(prefix="infoplane-run-")) if arg is None else Path(arg)
            shapes = self._probe_shapes()
            schedule = self._schedule_arg if self._schedule_arg is not None else every(1)
            meta = {"seed": self.seed, "model": _model_summary(self.model),
                    "n_probe": self.n_probe, "chunk_size": self.chunk_size, **self.user_meta}
            store = RunStore.create(path, layers=shapes, schedule=schedule, meta=meta,
                                    dtype=self.dtype)
            store.save_probes(self._inputs_numpy(), self.labels)
        if set(store.layers) != set(self.layers):
            raise fail("layers", f"the layers of the existing run {sorted(store.layers)}",
                       sorted(self.layers), f"(run at {str(store.path)!r})")
        n_stored = next(iter(store.layers.values()))[0]
        if n_stored != self.n_probe:
            raise fail("inputs", f"{n_stored} probe inputs like the existing run", self.n_probe,
                       f"(run at {str(store.path)!r})")
        if self._schedule_arg is None and store.schedule is not None:
            self.schedule = store.schedule
        self._store = store

    def close(self) -> None:
        """End the recording session (called by ``__exit__``, also after an error).

        No hook outlives a :meth:`record` call, so there is nothing to release; the run on
        disk stays readable and can be resumed.
        """

    # ------------------------------------------------------------------ forward passes
    def _inputs_numpy(self) -> np.ndarray[Any, Any]:
        if isinstance(self.inputs, torch.Tensor):
            return self.inputs.detach().cpu().numpy()
        return np.asarray(self.inputs)

    def _chunk(self, start: int, stop: int, device: torch.device) -> torch.Tensor:
        part = self.inputs[start:stop]
        t = part if isinstance(part, torch.Tensor) else torch.as_tensor(np.asarray(part))
        if t.is_floating_point():
            t = t.to(dtype=self._param_dtype())
        return t.to(device)

    def _param_dtype(self) -> torch.dtype:
        p = next(self.model.parameters(), None)
        return p.dtype if p is not None and p.is_floating_point() else torch.float32

    def _device(self) -> torch.device:
        p = next(self.model.parameters(), None)
        return p.device if p is not None else torch.device("cpu")

    def _run(self, n: int, sink: Callable[[str, int, torch.Tensor], None]) -> None:
        """Forward the first ``n`` probe inputs in chunks (eval, inference mode), restoring modes.

        Each hooked layer's output of each chunk goes to ``sink(name, offset, tensor)`` as it
        is produced (see :func:`infoplane._torch.capture`).
        """
        device = self._device()
        offset = 0

        def forward(name: str, out: torch.Tensor) -> None:
            sink(name, offset, out)

        with capture(self.model, self.layers, on_output=forward), torch.inference_mode():
            for start in range(0, n, self.chunk_size):
                offset = start
                self.model(self._chunk(start, min(start + self.chunk_size, n), device))

    def _probe_shapes(self) -> dict[str, tuple[int, ...]]:
        feats: dict[str, tuple[int, ...]] = {}

        def sink(name: str, offset: int, out: torch.Tensor) -> None:
            feats[name] = tuple(out.shape[1:])

        self._run(min(2, self.n_probe), sink)
        return {name: (self.n_probe, *feats[name]) for name in self.layers}

    # ------------------------------------------------------------------ recording
    def record(self, step: int) -> bool:
        """Record ``step`` if it is on the schedule and not yet in the run.

        Parameters
        ----------
        step : int
            Training step (epoch) index, >= 0.

        Returns
        -------
        bool
            ``True`` if the step was written; ``False`` if off-schedule or already recorded.

        Raises
        ------
        FloatingPointError
            If a layer's activations contain NaN or inf (the message names layer and step);
            earlier steps remain on disk.
        """
        if step not in self.schedule:
            return False
        store = self.store
        if step in store:
            return False
        step = as_int("step", step, min_value=0)
        bufs = {name: np.empty(shape, dtype=store.dtype) for name, shape in store.layers.items()}

        def sink(name: str, offset: int, out: torch.Tensor) -> None:
            arr = out.detach().to("cpu").numpy()
            with np.errstate(over="ignore", invalid="ignore"):  # checked after the pass
                bufs[name][offset:offset + arr.shape[0]] = arr

        self._run(self.n_probe, sink)
        for name, arr in bufs.items():
            if not np.isfinite(arr).all():
                kind = "NaN" if np.isnan(arr).any() else "inf"
                extra = " (or overflow of float16 storage)" if store.dtype == np.float16 else ""
                raise FloatingPointError(
                    f"Activations of layer {name!r} at step {step} contain {kind}{extra}: the "
                    f"run has diverged. Recording stopped; the {len(store)} steps recorded so "
                    f"far are kept in {str(store.path)!r}."
                )
        # bufs are in the storage dtype and were checked just above
        store.append(step, bufs, extras=self._extras(step), check_finite=False)
        return True

    def _extras(self, step: int) -> dict[str, Any]:
        extras: dict[str, Any] = {}
        if self.weight_norms:
            norms = {}
            for name, module in self.layers.items():
                w = _weight(module)
                if w is not None:
                    norms[name] = float(torch.linalg.vector_norm(w.detach().double()))
            extras["weight_norm"] = norms
        if self.grad_stats:
            stats: dict[str, dict[str, float | int]] = {}
            if self._grad_step == step:
                for name, (count, s1, s2) in self._grad_acc.items():
                    mean = s1 / count
                    std = np.sqrt(np.maximum(s2 / count - mean * mean, 0.0))
                    m, sd = float(np.linalg.norm(mean)), float(np.linalg.norm(std))
                    stats[name] = {"mean": m, "std": sd,
                                   "snr": m / sd if sd > 0 else float("inf"),
                                   "n_batches": int(count)}
            extras["grad"] = stats
            self._grad_step, self._grad_acc = None, {}
        return extras

    def observe_gradients(self, step: int) -> None:
        """Accumulate this batch's gradient of each layer's ``weight`` (call after ``backward``).

        For the batches of a scheduled step, the recorder keeps the running sum and sum of
        squares of each layer's weight gradient; :meth:`record` of that step stores, per layer,
        ``mean`` = ‖E[g]‖, ``std`` = ‖sqrt(Var[g])‖ (element-wise std over batches) and
        ``snr`` = mean/std (Shwartz-Ziv & Tishby 2017, fig. 2) under ``extras["grad"]``.
        Layers without a ``weight`` (e.g. activation modules) are omitted. A no-op when
        ``grad_stats`` is off or ``step`` is off the schedule.
        """
        if not self.grad_stats or step not in self.schedule:
            return
        if self._grad_step != step:
            self._grad_step, self._grad_acc = step, {}
        for name, module in self.layers.items():
            w = _weight(module)
            if w is None or w.grad is None:
                continue
            g = w.grad.detach().to("cpu", torch.float64).numpy().ravel()
            acc = self._grad_acc.get(name)
            if acc is None:
                self._grad_acc[name] = [1, g.copy(), g * g]
            else:
                acc[0] += 1
                acc[1] += g
                acc[2] += g * g


def _model_summary(model: nn.Module) -> dict[str, Any]:
    return {
        "class": type(model).__name__,
        "n_parameters": int(sum(p.numel() for p in model.parameters())),
        "repr": repr(model)[:4000],
    }
