"""The information plane: I(X;T) and I(T;Y) per recorded step and layer.

:class:`InfoPlane` is a plain result object: ``steps`` (S,), ``layers`` (L,), ``ixt`` and ``ity``
of shape (S, L) in ``unit``, optionally with a leading seed axis (R, S, L) when several runs are
aggregated. :meth:`InfoPlane.compute` reads a run directory written by :class:`infoplane.Recorder`
and evaluates one estimator's batched ``plane_many`` per layer over all recorded steps.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from infoplane._io import atomic_write, write_json
from infoplane._progress import iterate
from infoplane._typing import FloatArray, Unit
from infoplane._validation import check_unit, fail, unit_factor

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

    from infoplane.estimators.base import Estimator


@dataclass(frozen=True)
class InfoPlane:
    """Information-plane coordinates of one run (or of several, stacked on a seed axis).

    Attributes
    ----------
    steps : ndarray of int, shape (S,)
        Recorded steps (epochs).
    layers : tuple of str
        Layer names, input side first.
    ixt, ity : ndarray, shape (S, L) or (R, S, L)
        I(X;T) and I(T;Y) in ``unit``; R runs (seeds) when aggregated.
    unit : {"nats", "bits"}
    estimator : str
        ``repr`` of the estimator used.
    meta : dict
        Free-form JSON-able metadata (run directories, seeds, ...).
    """

    steps: np.ndarray
    layers: tuple[str, ...]
    ixt: FloatArray
    ity: FloatArray
    unit: Unit = "bits"
    estimator: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_unit(self.unit)
        s, n_layers = len(self.steps), len(self.layers)
        for name in ("ixt", "ity"):
            arr = np.asarray(getattr(self, name))
            if arr.shape[-2:] != (s, n_layers) or arr.ndim not in (2, 3):
                raise fail(name, f"of shape (S, L) = ({s}, {n_layers}) or (R, S, L)", arr,
                           f"(it has shape {arr.shape})")

    # ------------------------------------------------------------------ construction
    @classmethod
    def compute(cls, run: Any, estimator: Estimator, *, layers: Sequence[str] | None = None,
                unit: Unit | None = None, progress: bool = False,
                steps: npt.ArrayLike | None = None) -> InfoPlane:
        """Evaluate ``estimator.plane_many`` on every recorded step of a run directory.

        Parameters
        ----------
        run : str, Path or RunStore
            A directory written by :class:`infoplane.Recorder`.
        estimator : Estimator
            Any estimator with an information-plane pair (Binning, KDE, KSG, ...).
        layers : sequence of str, optional
            Default: every recorded layer.
        unit : {"nats", "bits"}, optional
            Defaults to the estimator's unit.
        progress : bool
            Progress over layers: a tqdm bar on a terminal, a plain line every 10 s otherwise.
        steps : array of int, optional
            Evaluate only these completed steps (in the given order). Default: every
            completed step.

        Warns
        -----
        UserWarning
            Once, naming them, when the run has damaged steps (:attr:`RunStore.damaged`):
            they are skipped like uncommitted steps. Asking for one in ``steps`` is a
            ``ValueError`` naming the step and the file.
        """
        from infoplane.store import RunStore

        store = run if isinstance(run, RunStore) else RunStore.open(run)
        names = tuple(layers) if layers is not None else tuple(store.layers)
        unknown = [n for n in names if n not in store.layers]
        if unknown:
            raise fail("layers", f"recorded layers of the run ({', '.join(store.layers)})",
                       unknown)
        labels = store.load_labels()
        if labels is None:
            raise ValueError(f"`run` must have been recorded with labels, got none in "
                             f"{store.path}.")
        damaged = store.damaged
        if steps is None:
            steps = store.completed_steps()
            if damaged and steps.size:  # skipped like an uncommitted step, said once
                warnings.warn(f"skipping {store.describe_damaged()}; they are not counted as "
                              "recorded (record them again to include them)", UserWarning,
                              stacklevel=2)
        else:
            steps = np.asarray(steps, dtype=np.int64)
            bad = [int(s) for s in steps.ravel() if int(s) in damaged]
            if bad:
                raise fail("steps", "completed, intact steps of the run", bad,
                           f"(step {bad[0]} is damaged: {damaged[bad[0]]})")
        steps = np.asarray(steps, dtype=np.int64)
        if steps.size == 0:
            extra = f" ({store.describe_damaged()})" if damaged else ""
            raise ValueError(f"`run` must hold at least one recorded step, got none in "
                             f"{store.path}{extra}.")
        ixt = np.empty((steps.size, len(names)))
        ity = np.empty((steps.size, len(names)))
        for j, name in enumerate(iterate(names, total=len(names), desc="plane", unit="layers",
                                         enabled=progress)):
            _, acts = store.load_layer(name, steps)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                a, b = estimator.plane_many(acts.reshape(acts.shape[0], acts.shape[1], -1),
                                            labels)
            for w in caught:  # re-issued at the caller's line, naming the layer
                warnings.warn(f"layer {name!r}: {w.message}", w.category, stacklevel=2)
            ixt[:, j], ity[:, j] = a, b
        out_unit: Unit = unit if unit is not None else estimator.unit
        scale = unit_factor(estimator.unit) / unit_factor(out_unit)
        return cls(steps=steps, layers=names, ixt=ixt * scale, ity=ity * scale, unit=out_unit,
                   estimator=repr(estimator), meta={"run": str(store.path)})

    @classmethod
    def aggregate(cls, planes: Sequence[InfoPlane]) -> InfoPlane:
        """Stack runs (e.g. seeds) with the same steps and layers on a leading axis."""
        if not planes:
            raise ValueError("`planes` must hold at least one InfoPlane, got none.")
        first = planes[0]
        for i, p in enumerate(planes[1:], start=1):
            if p.layers != first.layers or not np.array_equal(p.steps, first.steps):
                raise fail(f"planes[{i}]", "recorded at the same steps and layers as planes[0]",
                           p.layers)
        conv = [p.converted(first.unit) for p in planes]
        ixt = np.concatenate([_with_run_axis(p.ixt) for p in conv], axis=0)
        ity = np.concatenate([_with_run_axis(p.ity) for p in conv], axis=0)
        return cls(steps=first.steps, layers=first.layers, ixt=ixt, ity=ity, unit=first.unit,
                   estimator=first.estimator, meta={"runs": [p.meta for p in planes]})

    # --------------------------------------------------------------------- views
    @property
    def n_runs(self) -> int:
        """Number of stacked runs (1 for a single run)."""
        return 1 if np.ndim(self.ixt) == 2 else int(np.shape(self.ixt)[0])

    def converted(self, unit: Unit) -> InfoPlane:
        """The same plane in another unit."""
        scale = unit_factor(self.unit) / unit_factor(unit)
        return InfoPlane(self.steps, self.layers, np.asarray(self.ixt) * scale,
                         np.asarray(self.ity) * scale, unit, self.estimator, dict(self.meta))

    def mean(self) -> tuple[FloatArray, FloatArray]:
        """Mean over runs of (I(X;T), I(T;Y)), shape (S, L)."""
        if self.n_runs == 1 and np.ndim(self.ixt) == 2:
            return np.asarray(self.ixt), np.asarray(self.ity)
        return np.mean(self.ixt, axis=0), np.mean(self.ity, axis=0)

    def std(self) -> tuple[FloatArray, FloatArray]:
        """Standard deviation over runs (zeros for a single run), shape (S, L)."""
        if np.ndim(self.ixt) == 2:
            return np.zeros_like(self.ixt), np.zeros_like(self.ity)
        ddof = 1 if self.n_runs > 1 else 0
        return np.std(self.ixt, axis=0, ddof=ddof), np.std(self.ity, axis=0, ddof=ddof)

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per (run,) step and layer."""
        import pandas as pd

        ixt = np.asarray(self.ixt)
        ity = np.asarray(self.ity)
        if ixt.ndim == 2:
            ixt, ity = ixt[None], ity[None]
        r, _, n_layers = ixt.shape
        run, step, layer = np.meshgrid(np.arange(r), np.asarray(self.steps),
                                       np.arange(n_layers), indexing="ij")
        return pd.DataFrame({
            "run": run.ravel(), "step": step.ravel(),
            "layer": np.asarray(self.layers, dtype=object)[layer.ravel()],
            "layer_index": layer.ravel(), "i_xt": ixt.ravel(), "i_ty": ity.ravel(),
            "unit": self.unit,
        })

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write ``path`` (.npz arrays) and ``path`` with suffix .json (metadata); no pickle."""
        p = Path(path).with_suffix(".npz")

        def write(fh: Any) -> None:
            np.savez(fh, steps=np.asarray(self.steps), ixt=np.asarray(self.ixt),
                     ity=np.asarray(self.ity))

        atomic_write(p, write)
        write_json(p.with_suffix(".json"), {"layers": list(self.layers), "unit": self.unit,
                                            "estimator": self.estimator, "meta": self.meta})
        return p

    @classmethod
    def load(cls, path: str | Path) -> InfoPlane:
        """Read what :meth:`save` wrote."""
        p = Path(path).with_suffix(".npz")
        if not p.is_file() or not p.with_suffix(".json").is_file():
            raise FileNotFoundError(f"`path` must name a saved InfoPlane (.npz + .json), got "
                                    f"{str(path)!r}.")
        with np.load(p, allow_pickle=False) as z:
            steps, ixt, ity = z["steps"], z["ixt"], z["ity"]
        info = json.loads(p.with_suffix(".json").read_text())
        return cls(steps=steps, layers=tuple(info["layers"]), ixt=ixt, ity=ity,
                   unit=info["unit"], estimator=info.get("estimator", ""),
                   meta=info.get("meta", {}))


def _with_run_axis(a: Any) -> FloatArray:
    arr = np.asarray(a, dtype=np.float64)
    return arr[None] if arr.ndim == 2 else arr
