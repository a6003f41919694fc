"""Section 3.5 / Figure 7 of the interpretation paper: separability of last-layer features.

The paper (citing Jacobsen et al., 2018, i-RevNet, Fig. 7) projects the last-layer features of
a trained network onto a few principal components and scores a linear SVM (and a nearest
neighbour classifier) on them: "The good performance of SVM shows the intrinsic dimensionality
of the feature data in the last layer is low, which supports our separability assumptions."

:func:`run` trains an MLP on half of a data set with :func:`infoplane.training.fit` and scores
the other half (never seen by the network) with
:func:`~infoplane.analysis.separability.separability_curve`, on its penultimate features and
on its raw inputs. :func:`judge_figure_7` turns the curves into checks with symmetric
criteria (:func:`~infoplane.reproduce.checks.band` on fold means ± standard errors).
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.model_selection import train_test_split

from infoplane._io import write_json
from infoplane._typing import FloatArray
from infoplane._validation import as_int
from infoplane.analysis.separability import (
    SeparabilityCurve,
    default_ks,
    last_layer_features,
    separability_curve,
)
from infoplane.papers.interpretation._common import (
    analysis_runs,
    analysis_seeds,
    merge_seeds,
)
from infoplane.reproduce.checks import Check, Role, Verdict, band_verdict
from infoplane.reproduce.registry import ClaimContext, ClaimResult, claim

__all__ = [
    "FEW_FRACTION",
    "MNIST_ENV",
    "SEPARABLE_ACCURACY",
    "claim_figure_7",
    "judge_figure_7",
    "measure_block",
    "mnist_dir",
    "run",
]

#: Environment variable naming a directory with the MNIST test-set IDX files (optional).
MNIST_ENV = "INFOPLANE_MNIST_DIR"
#: "Few components suffice": the SVM on k = n_classes components keeps this fraction of the
#: full-feature SVM accuracy.
FEW_FRACTION = 0.95
#: "Nearly linearly separable": held-out linear-SVM accuracy on all features above this.
SEPARABLE_ACCURACY = 0.95
#: Largest number of components on the grid.
MAX_K = 64


def mnist_dir() -> Path | None:
    """The MNIST directory named by ``$INFOPLANE_MNIST_DIR``, or None when it is unset.

    Returns
    -------
    Path or None

    Raises
    ------
    ValueError
        When the variable is set but does not name a directory.
    """
    value = os.environ.get(MNIST_ENV, "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        raise ValueError(f"${MNIST_ENV} must name a directory with the MNIST IDX files, "
                         f"got {value!r} (not a directory).")
    return path


# --------------------------------------------------------------------------- measurement
def _summary(curve: SeparabilityCurve) -> dict[str, Any]:
    return {**curve.to_dict(),
            "k95_svm": curve.smallest_k(0.95), "k99_svm": curve.smallest_k(0.99),
            "k95_knn": curve.smallest_k(0.95, of="knn")}


def measure_block(name: str, features: npt.ArrayLike, raw: npt.ArrayLike,
                  labels: npt.ArrayLike, *, cv: int = 5, seed: int = 0,
                  **info: Any) -> dict[str, Any]:
    """Separability curves of `features` and of `raw` (same samples) for :func:`judge_figure_7`.

    Parameters
    ----------
    name : str
        Data set name (prefixes the checks).
    features : array_like, shape (n, d)
        Last-layer features of samples the network never saw.
    raw : array_like, shape (n, d_raw)
        The same samples' raw inputs (the reference).
    labels : array_like, shape (n,)
    cv : int, default 5
        Stratified folds.
    seed : int, default 0
    **info
        Further JSON-able entries (e.g. network accuracies), stored as given.

    Returns
    -------
    dict
        ``dataset``, ``n_classes``, ``n_scored``, ``features`` and ``raw`` (each the curve's
        fields plus ``k95_svm``, ``k99_svm``, ``k95_knn``), and `info`.
    """
    f = np.asarray(features, dtype=np.float64)
    r = np.asarray(raw, dtype=np.float64)
    y = np.asarray(labels)
    n_cls = int(np.unique(y).size)

    def grid(d: int) -> list[int]:
        return sorted(set(default_ks(min(d, MAX_K))) | {min(n_cls, d)})

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        feat = separability_curve(f, y, grid(f.shape[1]), cv=cv, seed=seed)
        rawc = separability_curve(r, y, grid(r.shape[1]), cv=cv, seed=seed)
    return {"dataset": name, "n_classes": n_cls, "n_scored": int(y.shape[0]),
            "features": _summary(feat), "raw": _summary(rawc), **info}


def _train_features(x: npt.NDArray[Any], y: npt.NDArray[Any], widths: tuple[int, ...],
                    epochs: int, seed: int
                    ) -> tuple[FloatArray, FloatArray, npt.NDArray[Any], float, float]:
    """Train an MLP on half the data; return held-out raw inputs, features, labels, accuracies."""
    from infoplane.models import mlp
    from infoplane.training import TrainConfig, fit

    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.5, stratify=y, random_state=seed)
    net = mlp(widths, activation="relu", init="default", seed=seed)
    # only the final accuracies are used: evaluate once, after the last epoch
    cfg = TrainConfig(epochs=epochs, optimizer="adam", lr=1e-3, batch_size=64, seed=seed,
                      eval_every=None)
    hist = fit(net, (x_tr, y_tr), (x_te, y_te), cfg, progress=False, num_threads=1)
    assert hist.test_accuracy is not None
    feats = last_layer_features(net, x_te)
    return (np.asarray(x_te, dtype=np.float64), feats, y_te,
            float(hist.train_accuracy[-1]), float(hist.test_accuracy[-1]))


def _dataset_block(name: str, x: npt.NDArray[Any], y: npt.NDArray[Any],
                   widths: tuple[int, ...], epochs: int, seed: int, cv: int) -> dict[str, Any]:
    x_raw, feats, y_te, tr_acc, te_acc = _train_features(x, y, widths, epochs, seed)
    return measure_block(name, feats, x_raw, y_te, cv=cv, seed=seed, widths=list(widths),
                         epochs=epochs, n_train_network=int(x.shape[0] - y_te.shape[0]),
                         network_train_accuracy=tr_acc, network_test_accuracy=te_acc)


# --------------------------------------------------------------------------- judge
def _at(curve: Mapping[str, Any], key: str, k: int) -> tuple[float, float]:
    ks = list(curve["ks"])
    i = ks.index(k)
    return float(curve[f"{key}_mean"][i]), float(curve[f"{key}_std"][i])


def _few_k(block: Mapping[str, Any]) -> int:
    """k = n_classes, or the largest k on the grid below it."""
    ks = [int(k) for k in block["features"]["ks"]]
    c = int(block["n_classes"])
    return max([k for k in ks if k <= c] or [ks[0]])


def _se(std: float, cv: int) -> float:
    """Standard error of a mean over `cv` folds from the fold std (ddof=0)."""
    return std / math.sqrt(max(cv - 1, 1))


def _side(mean: float, se: float, threshold: float) -> Verdict:
    return band_verdict(mean, se, threshold, holds="above")


def judge_figure_7(result: Mapping[str, Any]) -> list[Check]:
    """Checks of Figure 7 / Section 3.5 for each data set of ``result["datasets"]``.

    Per data set (``k`` = the number of classes C, fold standard errors ``se = std/√(cv-1)``,
    the paired difference's se taken as if the folds were independent, which is
    conservative; every verdict by ``band(statistic, se, threshold)`` with z = 2: above
    "holds", below "does not hold", inside "indeterminate"):

    * measurement ``"[<name>] few principal components"``: statistic ``acc_SVM(k = C) -
      FEW_FRACTION·acc_SVM(all features)``, threshold 0 — the first C principal components
      keep 95 % of the linear-SVM accuracy (low intrinsic dimension).
    * measurement ``"[<name>] nearly linearly separable"``: the held-out linear-SVM accuracy
      on all features, threshold :data:`SEPARABLE_ACCURACY`.
    * supporting ``"[<name>] 1-NN on few components"``: ``acc_1NN(k = C) -
      FEW_FRACTION·acc_SVM(all features)``, threshold 0.

    The raw inputs' curve is reported beside each check for reference.

    Parameters
    ----------
    result : dict
        :func:`run`'s result (``datasets``: blocks from :func:`measure_block`).

    Returns
    -------
    list of Check
    """
    checks: list[Check] = []
    for block in result["datasets"]:
        name = block["dataset"]
        f, r = block["features"], block["raw"]
        cv = int(f["cv"])
        k = _few_k(block)
        full, full_sd = float(f["svm_full_mean"]), float(f["svm_full_std"])
        ref = {"raw_svm_full_mean": r["svm_full_mean"], "raw_k95_svm": r["k95_svm"],
               "raw_k99_svm": r["k99_svm"], "n_features": f["n_features"], "cv": cv}
        rows: tuple[tuple[str, str, Role], ...] = (
            ("svm", "few principal components", "measurement"),
            ("knn", "1-NN on few components", "supporting"))
        pair: list[Check] = []
        for key, label, role in rows:
            acc, sd = _at(f, key, k)
            stat = acc - FEW_FRACTION * full
            se = math.sqrt(_se(sd, cv) ** 2 + (FEW_FRACTION * _se(full_sd, cv)) ** 2)
            clf = "linear SVM" if key == "svm" else "1-NN"
            pair.append(Check(
                f"[{name}] {label}", _side(stat, se, 0.0),
                {"k": k, "accuracy_at_k": acc, "svm_full": full, "statistic": stat, "se": se,
                 f"k95_{key}": f[f"k95_{key}"]} | ref,
                f"band(acc_{clf}(k = C = {k}) - {FEW_FRACTION}·acc_SVM(all), se, 0) with "
                f"z = 2: holds above, does not hold below, indeterminate inside",
                f"{name}: {clf} on {k} of {f['n_features']} components {acc:.3f} vs "
                f"{FEW_FRACTION}·{full:.3f} = {FEW_FRACTION * full:.3f} (difference "
                f"{stat:+.3f} ± {2 * se:.3f}); raw inputs reach 95 % at k = {r['k95_svm']}",
                role))
        se = _se(full_sd, cv)
        separable = Check(
            f"[{name}] nearly linearly separable", _side(full, se, SEPARABLE_ACCURACY),
            {"svm_full": full, "se": se, "threshold": SEPARABLE_ACCURACY} | ref,
            f"band(held-out linear-SVM accuracy on all features, se, {SEPARABLE_ACCURACY}) "
            "with z = 2: holds above, does not hold below, indeterminate inside",
            f"{name}: linear SVM on all {f['n_features']} features {full:.3f} ± {2 * se:.3f} "
            f"(raw inputs {float(r['svm_full_mean']):.3f})", "measurement")
        checks += [pair[0], separable, pair[1]]
    return checks


# --------------------------------------------------------------------------- figure
def _plot(blocks: Sequence[Mapping[str, Any]], path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.0 * len(blocks), 4.5), constrained_layout=True)
    axes = fig.subplots(1, len(blocks), squeeze=False)[0]
    for ax, block in zip(axes, blocks, strict=True):
        feat, raw = block["features"], block["raw"]
        for curve, label, color in ((feat, "last-layer features", "C0"),
                                    (raw, "raw inputs", "C1")):
            ax.errorbar(curve["ks"], curve["svm_mean"], yerr=curve["svm_std"], color=color,
                        marker="o", capsize=3, label=f"linear SVM, {label}")
            ax.errorbar(curve["ks"], curve["knn_mean"], yerr=curve["knn_std"], color=color,
                        marker="s", ls="--", capsize=3, label=f"1-NN, {label}")
            ax.axhline(curve["svm_full_mean"], color=color, lw=0.8, ls=":")
        ax.set_xscale("log", base=2)
        ticks = sorted(set(feat["ks"]) | set(raw["ks"]))
        ax.set_xticks(ticks, [str(t) for t in ticks], fontsize=8)
        ax.minorticks_off()
        ax.set_xlabel("number of principal components k (log scale)")
        ax.set_ylabel(f"{feat['cv']}-fold CV accuracy (fraction)")
        ax.set_title(f"{block['dataset']}: accuracy vs k ({block['n_scored']} samples "
                     "unseen by the network)", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle("Separability of last-layer features (Section 3.5 / Fig. 7)")
    fig.savefig(path, dpi=120)


# --------------------------------------------------------------------------- run
def run(out: str | os.PathLike[str], *, quick: bool = True, seed: int = 0) -> dict[str, Any]:
    """Section 3.5 / Figure 7 experiment: features vs raw inputs, accuracy against ``k``.

    An MLP 64-128-64-10 (ReLU, Adam) is trained on a stratified half of scikit-learn's digits;
    the other half (never seen by the network) is scored by :func:`measure_block`: on its 64-D
    penultimate features and on its 64 raw pixels, ``k`` on
    :func:`~infoplane.analysis.separability.default_ks` plus ``k = 10``. With ``quick=False``
    and ``$INFOPLANE_MNIST_DIR`` naming a directory with the MNIST test set (IDX files, raw or
    gzip) a 784-256-64-10 network on MNIST is added; the result's ``"mnist"`` entry says
    whether it was used and why not.

    Parameters
    ----------
    out : path
        Directory for ``separability.png`` and ``separability.json`` (created if missing).
    quick : bool, default True
        30 training epochs and 3 folds instead of 100 epochs and 5 folds; no MNIST.
    seed : int, default 0
        Seeds the split, the network, training and the folds.

    Returns
    -------
    dict
        ``quick``, ``seed``, ``figure``, ``mnist`` and ``datasets`` (one
        :func:`measure_block` dict per data set, with the network's accuracies).
    """
    from infoplane.datasets import digits, mnist

    s = as_int("seed", seed, min_value=0)
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    epochs, cv = (30, 3) if quick else (100, 5)
    mdir = None if quick else mnist_dir()  # fail early on a bad $INFOPLANE_MNIST_DIR
    ds = digits()
    blocks = [_dataset_block("digits", ds.x, ds.y, (64, 128, 64, 10), epochs, s, cv)]
    if quick:
        mnist_note = "not used (quick mode)"
    elif mdir is None:
        mnist_note = f"not used (set ${MNIST_ENV} to a directory with the MNIST IDX files)"
    else:
        mn = mnist(mdir, kind="t10k")
        blocks.append(_dataset_block("mnist_t10k", mn.x, mn.y, (784, 256, 64, 10), 30, s, cv))
        mnist_note = f"used: $INFOPLANE_MNIST_DIR ({Path(mdir).name})"
    fig_path = out_dir / "separability.png"
    _plot(blocks, fig_path)
    result: dict[str, Any] = {"quick": bool(quick), "seed": s, "figure": fig_path.name,
                              "mnist": mnist_note, "datasets": blocks}
    write_json(out_dir / "separability.json", result)
    return result


# --------------------------------------------------------------------------- claim
@claim("interp-figure-7", paper="interpretation", section="Figure 7",
       statement="Last-layer features live in few principal components and are nearly "
                 "linearly separable.",
       measures="Held-out linear-SVM and 1-NN accuracy on the first k principal components "
                "of a trained MLP's last-layer features (digits; MNIST when available).",
       quick_seconds=60.0)
def claim_figure_7(ctx: ClaimContext) -> ClaimResult:
    """Figure 7 / Section 3.5; see :func:`judge_figure_7` for the checks and criteria.

    Parameters
    ----------
    ctx : ClaimContext

    Returns
    -------
    ClaimResult
        The verdict combined from the checks' verdicts (only measurement checks decide).
    """
    seeds = analysis_seeds("separability", ctx)
    runs = analysis_runs("separability", run, ctx)
    checks = merge_seeds({s: judge_figure_7(r) for s, (r, _) in runs.items()})
    meas = [c for c in checks if c.role == "measurement"]
    held = sum(c.verdict == "holds" for c in meas)
    res0, d0 = runs[seeds[0]]
    block = res0["datasets"][0]
    key = (f"{held}/{len(meas)} measurement checks hold; seed {seeds[0]}: SVM "
           f"{block['features']['svm_full_mean']:.3f} on all features, k95 = "
           f"{block['features']['k95_svm']}")
    return ClaimResult.from_checks(
        ctx.claim_id, checks, key_number=key,
        numbers={"seeds": seeds, "mnist": res0.get("mnist", "")},
        figures=(str((d0 / res0["figure"]).resolve()),))
