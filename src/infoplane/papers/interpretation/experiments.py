"""The information-plane experiments of Shwartz-Ziv & Tishby (2017) and Saxe et al. (2018).

:func:`run_experiment` trains ``S`` seeds of a small network at once
(:class:`~infoplane.models.BatchedMLP` + :func:`~infoplane.training.fit`), records
every layer on the probe inputs at scheduled epochs into one :class:`~infoplane.store.RunStore`
per seed, computes the information plane per seed with one or more estimators, aggregates over
seeds, and writes figures and a ``summary.json`` with a *measured* compression statistic.

Experiments (the interpretation paper, Sections 1.2 and 3.4)
-----------------------------------------------------------
``"tishby"``
    tanh 12-10-7-5-4-3-2 on the 12-bit task (80 % training split, stratified, seeded), Adam
    (lr 1e-3 — the original used SGD with lr 4e-4 for ~10⁴ epochs; Adam reaches the fitting and
    then the saturation-driven "compression" of the deeper tanh layers within the epoch budget
    here, which is what the experiment is meant to show), mini-batches of 512, the ``log2``
    schedule of the original (8000 epochs, 400 log-spaced points → 274 distinct epochs; we also
    record the final epoch, so 275 snapshots), binning with 30 edges on [-1, 1] over all 4096
    inputs.
``"saxe-relu"``
    The same with ReLU hidden layers. The plane is computed with range-aware estimators —
    ``Binning(mode="adaptive")`` and the KDE upper bound (``noise_var`` 0.1, on a subsample of
    the recorded epochs) — and, as a deliberate **artefact**, with the fixed [-1, 1] binning,
    which lumps every ReLU value above 1 into one bin (its figure says so in the title).
``"saxe-gaussian"``
    Gaussian inputs (d = 12, 4096 samples) with labels independent of the inputs
    (:func:`~infoplane.datasets.gaussian_random_labels`), tanh network, fixed binning.

Recorded layers are the hidden activations ``act1 .. act5`` and the ``softmax`` of the output
logits (the training loss takes logits; the softmax keeps the output layer in [0, 1] as in the
original, whose last layer was a softmax).

Compression statistic
---------------------
For each seed and layer, ``final I(X;T) − max over recorded epochs of I(X;T)`` (≤ 0 by
construction; 0 = no compression, more negative = more compression), reported as mean and
standard deviation over seeds (:func:`compression_statistic`). It is measured from the planes,
never asserted.

Outputs under ``out``
---------------------
``runs/seed{s}/``      one RunStore per seed (activations; ``extras`` hold train/test accuracy)
``planes/{key}.npz``   aggregated :class:`~infoplane.plane.InfoPlane` per estimator (+ .json)
``{key}_plane.png``    the information plane (mean over seeds)
``{key}_ixt.png``      I(X;T) per layer against the epoch (mean ± std over seeds)
``summary.json``       settings, statistics, timings (see :class:`ExperimentResult`)

Resume
------
A seed whose ``runs/seed{s}`` already holds every scheduled epoch and was made with the same
settings is not retrained. If any seed is missing or partial, *all* seeds are trained again in
one batched run (copy ``s`` is deterministic, so complete seeds would be reproduced exactly),
but only the incomplete seeds' stores are rewritten — partial runs restart from scratch rather
than from their last epoch (no optimiser checkpoint is stored), which keeps the logic simple.
The information planes are always recomputed. A seed whose run has a damaged scheduled step
(a truncated or corrupt file, :attr:`~infoplane.store.RunStore.damaged`) counts as partial,
with one warning naming the step and the file.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np

try:
    import torch
except ImportError as _exc:  # PyTorch is the optional `torch` extra
    from infoplane._requires import missing_torch

    raise missing_torch(__name__) from _exc

from infoplane._executors import lock
from infoplane._io import jsonable, write_json
from infoplane._progress import iterate
from infoplane._typing import FloatArray
from infoplane._validation import as_int, fail
from infoplane.datasets import Dataset, gaussian_random_labels, twelve_bit
from infoplane.estimators import KDE, Binning
from infoplane.models import TISHBY_WIDTHS, BatchedMLP
from infoplane.plane import InfoPlane
from infoplane.schedules import Schedule, explicit, log2
from infoplane.store import RunStore
from infoplane.training import TrainConfig, fit

__all__ = ["EXPERIMENTS", "ExperimentResult", "compression_statistic", "run_experiment"]

ExperimentName = Literal["tishby", "saxe-relu", "saxe-gaussian"]
#: The experiments :func:`run_experiment` knows.
EXPERIMENTS: tuple[str, ...] = get_args(ExperimentName)

_FULL_EPOCHS = 8000
_QUICK_EPOCHS = 1000
_FULL_POINTS = 400
_QUICK_POINTS = 100
_FULL_KDE_STEPS = 24
_QUICK_KDE_STEPS = 8
_SUMMARY_VERSION = 1
LOCK_NAME = ".experiment.lock"
"""The lock file in `out` held by a running :func:`run_experiment`."""


# ----------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class _Settings:
    name: str
    activation: str
    dataset: str
    epochs: int
    n_points: int
    seeds: int
    seed: int
    optimizer: str = "adam"
    lr: float = 1e-3
    batch_size: int = 512
    test_fraction: float = 0.2
    estimators: tuple[str, ...] = ("binning",)
    kde_steps: int = _FULL_KDE_STEPS
    quick: bool = False

    def run_key(self) -> dict[str, Any]:
        """Settings that determine a seed's recorded run (for resume checks)."""
        d = asdict(self)
        for k in ("seeds", "estimators", "kde_steps", "quick"):
            d.pop(k)
        return d


def _settings(name: str, *, seeds: int, epochs: int | None, quick: bool,
              seed: int) -> _Settings:
    n_epochs = epochs if epochs is not None else (_QUICK_EPOCHS if quick else _FULL_EPOCHS)
    points = min(_QUICK_POINTS if quick else _FULL_POINTS, n_epochs)
    kde_steps = _QUICK_KDE_STEPS if quick else _FULL_KDE_STEPS
    common: dict[str, Any] = {"epochs": n_epochs, "n_points": points, "seeds": seeds,
                              "seed": seed, "kde_steps": kde_steps, "quick": quick}
    if name == "tishby":
        return _Settings(name, "tanh", "twelve_bit", **common)
    if name == "saxe-relu":
        return _Settings(name, "relu", "twelve_bit",
                         estimators=("binning_adaptive", "kde", "binning_fixed_artefact"),
                         **common)
    return _Settings(name, "tanh", "gaussian_random_labels", **common)


def _estimator(key: str) -> Binning | KDE:
    if key == "binning" or key == "binning_fixed_artefact":
        return Binning(n_bins=30, bounds=(-1.0, 1.0), unit="bits")
    if key == "binning_adaptive":
        return Binning(n_bins=30, mode="adaptive", unit="bits")
    return KDE(noise_var=0.1, bound="upper", unit="bits")


_TITLES = {
    "binning": "fixed binning (30 edges on [-1, 1])",
    "binning_adaptive": "adaptive binning (30 edges on each snapshot's range)",
    "kde": "KDE upper bound (noise variance 0.1)",
    "binning_fixed_artefact": "ARTEFACT: fixed [-1, 1] binning of unbounded ReLU layers",
}


def _schedule(epochs: int, n_points: int) -> Schedule:
    """``log2`` epochs (read as numbers of finished epochs, 0 = before training) + the last."""
    return explicit([*log2(epochs, n_points).step_list, epochs])


def _data(s: _Settings) -> tuple[Dataset, Dataset, Dataset]:
    full = twelve_bit() if s.dataset == "twelve_bit" else gaussian_random_labels(
        4096, 12, seed=s.seed)
    tr, te = full.split(s.test_fraction, seed=s.seed)
    return full, tr, te


# ----------------------------------------------------------------------------- result
@dataclass(frozen=True)
class ExperimentResult:
    """What :func:`run_experiment` wrote and measured.

    Attributes
    ----------
    name : str
        Experiment name.
    out : Path
        Output directory.
    summary_path : Path
        ``out/summary.json``.
    run_dirs : tuple of Path
        ``out/runs/seed{s}`` for ``s = 0 .. seeds-1``.
    planes : dict of str to Path
        Saved aggregated :class:`~infoplane.plane.InfoPlane` (``.npz``) per estimator key.
    figures : tuple of Path
        PNG files.
    compression : dict
        ``{estimator: {layer: (mean, std)}}`` of :func:`compression_statistic`, in bits.
    train_accuracy : tuple of float
        Final training accuracy per seed.
    trained_seeds, resumed_seeds : tuple of int
        Seeds trained in this call and seeds whose complete runs were reused.
    training_seconds : float
        Wall time of training and recording (0 when every seed was resumed).
    mi_seconds : dict of str to float
        Wall time of the information-plane estimation per estimator.
    settings : dict
        The experiment's settings.
    """

    name: str
    out: Path
    summary_path: Path
    run_dirs: tuple[Path, ...]
    planes: dict[str, Path]
    figures: tuple[Path, ...]
    compression: dict[str, dict[str, tuple[float, float]]]
    train_accuracy: tuple[float, ...]
    trained_seeds: tuple[int, ...]
    resumed_seeds: tuple[int, ...]
    training_seconds: float
    mi_seconds: dict[str, float]
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dictionary (paths as strings, tuples as lists).

        Returns
        -------
        dict
        """
        return {
            "name": self.name, "out": str(self.out), "summary_path": str(self.summary_path),
            "run_dirs": [str(p) for p in self.run_dirs],
            "planes": {k: str(v) for k, v in self.planes.items()},
            "figures": [str(p) for p in self.figures],
            "compression": {e: {la: list(v) for la, v in d.items()}
                            for e, d in self.compression.items()},
            "train_accuracy": list(self.train_accuracy),
            "trained_seeds": list(self.trained_seeds),
            "resumed_seeds": list(self.resumed_seeds),
            "training_seconds": self.training_seconds, "mi_seconds": dict(self.mi_seconds),
            "settings": dict(self.settings),
        }


# ----------------------------------------------------------------------------- statistic
def compression_statistic(plane: InfoPlane) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-layer compression: final I(X;T) minus its maximum over the recorded steps.

    Parameters
    ----------
    plane : InfoPlane
        ``ixt`` of shape (S, L) (one run) or (R, S, L) (R seeds), steps in increasing order.

    Returns
    -------
    mean, std : ndarray, shape (L,)
        Mean and standard deviation (``ddof=1``; 0 for a single run) over runs, in
        ``plane.unit``. Always ≤ 0; more negative means more compression.
    per_run : ndarray, shape (R, L)
        The statistic of each run.

    Examples
    --------
    >>> import numpy as np
    >>> p = InfoPlane(np.arange(3), ("h",), np.array([[1.0], [3.0], [2.5]]),
    ...               np.zeros((3, 1)))
    >>> [a.tolist() for a in compression_statistic(p)]
    [[-0.5], [0.0], [[-0.5]]]
    """
    if not isinstance(plane, InfoPlane):
        raise TypeError(f"`plane` must be an InfoPlane, got {type(plane).__name__}.")
    ixt = np.asarray(plane.ixt, dtype=np.float64)
    if ixt.ndim == 2:
        ixt = ixt[None]
    order = np.argsort(np.asarray(plane.steps), kind="stable")
    ixt = ixt[:, order, :]
    per_run = ixt[:, -1, :] - ixt.max(axis=1)
    std = per_run.std(axis=0, ddof=1) if per_run.shape[0] > 1 else np.zeros(per_run.shape[1])
    return per_run.mean(axis=0), std, per_run


# ----------------------------------------------------------------------------- internals
def _complete(path: Path, sched: Schedule, key: Mapping[str, Any]) -> bool:
    """Whether the seed run at ``path`` holds every scheduled step, intact, with these settings.

    A run that cannot be read, or whose scheduled steps are damaged (a truncated or corrupt
    file: :attr:`RunStore.damaged`), is not complete and is recorded again; one warning line
    says which step and file (the settings differing is an ordinary re-run, not warned about).
    """
    if not RunStore.exists(path):
        return False
    try:
        store = RunStore.open(path)
    except (OSError, ValueError) as exc:
        warnings.warn(f"{path} cannot be resumed, recording it again: {exc}", UserWarning,
                      stacklevel=3)
        return False
    if store.meta.get("experiment") != dict(key):
        return False
    wanted = set(sched.step_list)
    if wanted.intersection(store.damaged):
        warnings.warn(f"recording {path} again: {store.describe_damaged()}", UserWarning,
                      stacklevel=3)
        return False
    done = set(int(s) for s in store.completed_steps())
    if not (path / "probe_y.npy").is_file():
        return False
    try:
        store.load_probes()
    except ValueError as exc:
        warnings.warn(f"recording {path} again: {exc}", UserWarning, stacklevel=3)
        return False
    return done.issuperset(wanted)


def _layer_arrays(model: BatchedMLP, x: torch.Tensor) -> dict[str, np.ndarray]:
    with torch.no_grad():
        acts = model.forward_layers(x)
    out = {k: v.numpy() for k, v in acts.items() if k.startswith("act")}
    out["softmax"] = torch.softmax(acts[model.output_name], dim=-1).numpy()
    return out


def _accuracy(model: BatchedMLP, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        pred = model(x).argmax(dim=-1)
    return (pred == y).double().mean(dim=1).numpy()


def _train(s: _Settings, sched: Schedule, todo: list[int], run_dirs: list[Path],
           data: tuple[Dataset, Dataset, Dataset], progress: bool) -> None:
    full, tr, te = data
    model = BatchedMLP(s.seeds, TISHBY_WIDTHS, activation=s.activation,  # type: ignore[arg-type]
                       seed=s.seed)
    x_probe = torch.from_numpy(full.x)
    x_tr, y_tr = torch.from_numpy(tr.x), torch.from_numpy(tr.y)
    x_te, y_te = torch.from_numpy(te.x), torch.from_numpy(te.y)
    names = [*(f"act{i}" for i in range(1, len(TISHBY_WIDTHS) - 1)), "softmax"]
    shapes = {n: (full.n_samples, w) for n, w in zip(names, TISHBY_WIDTHS[1:], strict=True)}
    stores = {}
    for k in todo:
        st = RunStore.create(run_dirs[k], layers=shapes, schedule=sched, overwrite=True,
                             meta={"seed": s.seed + k, "experiment": s.run_key()})
        st.save_probes(full.x, full.y)
        stores[k] = st

    def record(epoch: int, net: BatchedMLP) -> None:
        if epoch not in sched:
            return
        was = net.training
        net.eval()
        arrays = _layer_arrays(net, x_probe)
        acc_tr, acc_te = _accuracy(net, x_tr, y_tr), _accuracy(net, x_te, y_te)
        net.train(was)
        for k, st in stores.items():
            st.append(epoch, {n: a[k] for n, a in arrays.items()},
                      extras={"train_accuracy": float(acc_tr[k]),
                              "test_accuracy": float(acc_te[k])})

    record(0, model)
    cfg = TrainConfig(epochs=s.epochs, optimizer=s.optimizer,  # type: ignore[arg-type]
                      lr=s.lr, batch_size=s.batch_size, seed=s.seed,
                      eval_every=None)  # accuracy is measured at the recorded epochs
    fit(model, (tr.x, tr.y), config=cfg, callback=record, progress=progress, num_threads=1)


def _plane(store: RunStore, key: str, steps: np.ndarray | None) -> InfoPlane:
    with warnings.catch_warnings():
        # Range warnings are expected here: the softmax layer fills few of the 29 bins, and
        # the artefact plane bins unbounded ReLU values on [-1, 1] on purpose.
        warnings.filterwarnings("ignore", message=".*Most bins are empty", category=UserWarning)
        # Saturation (I(X;T) at log N) is reported in summary.json as ``at_ceiling``.
        warnings.filterwarnings("ignore", message=".*at its ceiling", category=UserWarning)
        if key == "binning_fixed_artefact":
            warnings.filterwarnings("ignore", message=".*outside bounds", category=UserWarning)
        return InfoPlane.compute(store, _estimator(key), steps=steps)


def _subsample(steps: Iterable[int], k: int) -> np.ndarray:
    arr = np.asarray(sorted(steps), dtype=np.int64)
    if arr.size <= k:
        return arr
    idx = np.unique(np.round(np.linspace(0, arr.size - 1, k)).astype(int))
    return arr[idx]


def _figures(plane: InfoPlane, key: str, s: _Settings, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from infoplane import plotting

    head = f"{s.name}: {_TITLES[key]} ({plane.n_runs} seeds)"
    paths = []
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    plotting.info_plane(plane, ax=ax, title=head)
    p = out / f"{key}_plane.png"
    fig.savefig(p, dpi=110, bbox_inches="tight")
    plt.close(fig)
    paths.append(p)
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    plotting.mi_vs_step(plane, which="ixt", ax=ax, title=f"I(X;T) vs epoch — {head}")
    p = out / f"{key}_ixt.png"
    fig.savefig(p, dpi=110, bbox_inches="tight")
    plt.close(fig)
    paths.append(p)
    return paths


def _ms(a: np.ndarray) -> dict[str, Any]:
    a = np.asarray(a, dtype=np.float64)
    return {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if a.size > 1 else 0.0,
            "per_seed": [float(v) for v in a]}


# ----------------------------------------------------------------------------- public
def run_experiment(name: ExperimentName, *, out: str | Path, seeds: int = 5,
                   epochs: int | None = None, quick: bool = False, seed: int = 0,
                   progress: bool = True) -> ExperimentResult:
    """Train, record, estimate and plot one information-plane experiment.

    Parameters
    ----------
    name : {"tishby", "saxe-relu", "saxe-gaussian"}
        Which experiment (see the module docstring).
    out : str or Path
        Output directory (created); re-running on the same directory resumes.
    seeds : int, default 5
        Number of seeds ``S`` trained at once; copy ``s`` uses seed ``seed + s``.
    epochs : int or None
        Training epochs; default 8000 (1000 with ``quick``).
    quick : bool, default False
        Smaller run: 1000 epochs (unless ``epochs`` is given), 100 log-spaced points instead
        of 400, KDE on 8 recorded epochs instead of 24.
    seed : int, default 0
        Seed of copy 0, of the train/test split and of the Gaussian data.
    progress : bool, default True
        Progress on stderr: tqdm bars on a terminal, otherwise a plain line every 10 s.

    Returns
    -------
    ExperimentResult

    Raises
    ------
    ValueError
        For an unknown ``name``, ``seeds`` < 1, ``epochs`` < 1 or ``seed`` < 0, or when another
        run holds the lock on ``out`` (``out/.experiment.lock``, ``fcntl.flock``, POSIX): two
        runs into one directory would overwrite each other's stores.
    TypeError
        For a non-bool ``quick`` or ``progress``.

    Notes
    -----
    Snapshots are taken before training (epoch 0) and after the epochs of
    ``log2(epochs, n_points)`` read as numbers of finished epochs, plus the last epoch. Accuracy
    (train and test) is stored with each snapshot, so a resumed run still reports it.

    Examples
    --------
    >>> import tempfile
    >>> r = run_experiment("tishby", out=tempfile.mkdtemp(), seeds=1, epochs=3,
    ...                    quick=True, progress=False)
    >>> r.summary_path.name, sorted(r.compression)
    ('summary.json', ['binning'])
    """
    if name not in EXPERIMENTS:
        raise ValueError(f"`name` must be one of {list(EXPERIMENTS)}, got {name!r}.")
    n_seeds = as_int("seeds", seeds, min_value=1)
    if epochs is not None:
        epochs = as_int("epochs", epochs, min_value=1)
    seed = as_int("seed", seed, min_value=0)
    for flag, value in (("quick", quick), ("progress", progress)):
        if not isinstance(value, bool):
            raise TypeError(f"`{flag}` must be a bool, got {value!r}.")
    if not isinstance(out, str | Path) or str(out) == "":
        raise fail("out", "a non-empty path (str or Path)", out)
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise fail("out", "a directory (or a path to create)", str(root), "(it is a file)")
    root.mkdir(parents=True, exist_ok=True)
    with lock(root, LOCK_NAME, "infoplane experiment"):
        return _run_locked(name, root, n_seeds, epochs, quick, seed, progress)


def _run_locked(name: str, root: Path, n_seeds: int, epochs: int | None, quick: bool,
                seed: int, progress: bool) -> ExperimentResult:
    """The body of :func:`run_experiment` (validated arguments), holding the lock on ``root``."""
    (root / "planes").mkdir(exist_ok=True)

    s = _settings(name, seeds=n_seeds, epochs=epochs, quick=quick, seed=seed)
    sched = _schedule(s.epochs, s.n_points)
    data = _data(s)
    run_dirs = [root / "runs" / f"seed{k}" for k in range(n_seeds)]
    key = s.run_key()
    todo = [k for k in range(n_seeds) if not _complete(run_dirs[k], sched, key)]
    resumed = [k for k in range(n_seeds) if k not in todo]

    t0 = time.perf_counter()
    if todo:
        _train(s, sched, todo, run_dirs, data, progress)
    train_s = time.perf_counter() - t0 if todo else 0.0

    stores = [RunStore.open(d) for d in run_dirs]
    final = [st.extras(s.epochs) for st in stores]
    acc_tr = np.array([e["train_accuracy"] for e in final])
    acc_te = np.array([e["test_accuracy"] for e in final])

    planes: dict[str, Path] = {}
    figures: list[Path] = []
    mi_s: dict[str, float] = {}
    compression: dict[str, dict[str, tuple[float, float]]] = {}
    stats: dict[str, Any] = {}
    for est_key in s.estimators:
        t1 = time.perf_counter()
        steps = _subsample(sched.step_list, s.kde_steps) if est_key == "kde" else None
        per_seed = [_plane(st, est_key, steps) for st in iterate(
            stores, total=len(stores), desc=f"{est_key} plane", unit="seeds",
            enabled=progress)]
        agg = InfoPlane.aggregate(per_seed)
        mi_s[est_key] = time.perf_counter() - t1
        planes[est_key] = agg.save(root / "planes" / f"{est_key}.npz")
        figures += _figures(agg, est_key, s, root)
        mean, std, per_run = compression_statistic(agg)
        ixt = np.asarray(agg.ixt)
        ceiling = math.log2(data[0].n_samples)  # log N in bits (agg.unit is "bits")
        ity = np.asarray(agg.ity)
        compression[est_key] = {la: (float(mean[j]), float(std[j]))
                                for j, la in enumerate(agg.layers)}
        stats[est_key] = {
            "estimator": agg.estimator,
            "unit": agg.unit,
            "n_steps": len(agg.steps),
            "layers": {la: {"compression": _ms(per_run[:, j]),
                            "ixt_final": _ms(ixt[:, -1, j]),
                            "ixt_max": _ms(ixt[:, :, j].max(axis=1)),
                            "ity_final": _ms(ity[:, -1, j]),
                            "at_ceiling": float(np.mean(ixt[:, :, j] >= ceiling - 1e-9))}
                       for j, la in enumerate(agg.layers)},
        }

    settings: dict[str, Any] = {**asdict(s), "widths": list(TISHBY_WIDTHS),
                                "n_recorded_steps": len(sched),
                                "recorded_layers": list(stores[0].layers),
                                "probe_inputs": int(data[0].n_samples),
                                "train_samples": int(data[1].n_samples)}
    summary = {
        "version": _SUMMARY_VERSION,
        "experiment": name,
        "settings": settings,
        "statistic": "compression = final I(X;T) - max over recorded epochs of I(X;T) "
                     "(<= 0; more negative = more compression), per seed; mean and std "
                     "(ddof=1) over seeds. at_ceiling = fraction of (seed, epoch) snapshots "
                     "with I(X;T) = log2 N (saturated: no merging of inputs, uninformative)",
        "estimators": stats,
        "train_accuracy_final": _ms(acc_tr),
        "test_accuracy_final": _ms(acc_te),
        "timings": {"training_s": train_s, "mi_s": mi_s,
                    "mi_total_s": float(sum(mi_s.values()))},
        "trained_seeds": todo,
        "resumed_seeds": resumed,
        "files": {"planes": {k: str(v) for k, v in planes.items()},
                  "figures": [str(p) for p in figures],
                  "runs": [str(p) for p in run_dirs]},
    }
    summary_path = write_json(root / "summary.json", jsonable(summary))
    return ExperimentResult(
        name=name, out=root, summary_path=summary_path, run_dirs=tuple(run_dirs),
        planes=planes, figures=tuple(figures), compression=compression,
        train_accuracy=tuple(float(a) for a in acc_tr), trained_seeds=tuple(todo),
        resumed_seeds=tuple(resumed), training_seconds=train_s, mi_seconds=mi_s,
        settings=settings)

