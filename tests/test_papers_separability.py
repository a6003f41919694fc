"""Judge and claim of Figure 7 / Section 3.5 (papers.interpretation.separability).

The judge is tested on the numbers of a real quick run (hand-copied) and on synthetic
feature sets built so that the outcome is known: well-separated low-dimensional clusters
(holds), pure noise and shuffled labels (not separable), and class signal hidden in the
low-variance directions (needs many principal components).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from infoplane.papers.interpretation import separability as ps
from infoplane.reproduce.checks import Check, combine

N_CLASSES = 4
DIM = 16


def _by_name(checks: list[Check]) -> dict[str, str]:
    return {c.name: c.verdict for c in checks}


def _clusters(seed: int, n_per: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Four classes, separated along 2 high-variance directions of a 16-D feature space."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(N_CLASSES), n_per)
    centres = np.array([[6.0, 0.0], [-6.0, 0.0], [0.0, 6.0], [0.0, -6.0]])
    x = 0.5 * rng.normal(size=(y.size, DIM))
    x[:, :2] += centres[y]
    return x, y


def _block(features: np.ndarray, labels: np.ndarray, raw: np.ndarray | None = None
           ) -> dict[str, Any]:
    return ps.measure_block("toy", features, features if raw is None else raw, labels, cv=3,
                            seed=0)


# numbers of `run(quick=True, seed=0)` (digits, 30 epochs, 3 folds), hand-copied
_KS = [1, 2, 3, 4, 6, 8, 10, 12, 16, 24, 32, 48, 64]


def _quick_digits_block() -> dict[str, Any]:
    feat = {"ks": _KS, "cv": 3, "n_features": 64, "svm_full_mean": 0.954,
            "svm_full_std": 0.017, "svm_mean": [0.3, 0.5, 0.7, 0.8, 0.9, 0.93, 0.950, 0.952,
                                                 0.953, 0.954, 0.954, 0.954, 0.954],
            "svm_std": [0.02] * 6 + [0.015] + [0.017] * 6,
            "knn_mean": [0.3, 0.5, 0.7, 0.85, 0.92, 0.95, 0.962, 0.963, 0.963, 0.962, 0.962,
                         0.962, 0.962],
            "knn_std": [0.02] * 6 + [0.012] + [0.015] * 6,
            "k95_svm": 6, "k99_svm": 12, "k95_knn": 6}
    raw = dict(feat, svm_full_mean=0.945, svm_full_std=0.012, k95_svm=10, k99_svm=16)
    return {"dataset": "digits", "n_classes": 10, "n_scored": 899, "features": feat,
            "raw": raw}


def test_judge_on_quick_digits_numbers() -> None:
    checks = ps.judge_figure_7({"datasets": [_quick_digits_block()]})
    assert [(c.name, c.role) for c in checks] == [
        ("[digits] few principal components", "measurement"),
        ("[digits] nearly linearly separable", "measurement"),
        ("[digits] 1-NN on few components", "supporting")]
    # 0.950 - 0.95·0.954 = +0.044, 2·se = 2·sqrt((.015² + (.95·.017)²)/2) = 0.031: above 0
    # 0.954 ± 2·0.017/√2 = ± 0.024 straddles 0.95: indeterminate
    assert _by_name(checks) == {"[digits] few principal components": "holds",
                                "[digits] nearly linearly separable": "indeterminate",
                                "[digits] 1-NN on few components": "holds"}
    assert combine(checks) == "indeterminate"  # one decisive part undecided


def test_judge_on_well_separated_clusters() -> None:
    x, y = _clusters(0)
    checks = ps.judge_figure_7({"datasets": [_block(x, y)]})
    assert set(_by_name(checks).values()) == {"holds"}
    assert combine(checks) == "holds"


def test_noise_features_are_not_separable() -> None:
    """Forced input: features that are pure noise."""
    _, y = _clusters(0)
    noise = np.random.default_rng(1).normal(size=(y.size, DIM))
    checks = ps.judge_figure_7({"datasets": [_block(noise, y)]})
    assert _by_name(checks)["[toy] nearly linearly separable"] == "does not hold"
    assert combine(checks) == "does not hold"


def test_shuffled_labels_are_not_separable() -> None:
    """Forced input: the cluster features with their labels shuffled."""
    x, y = _clusters(0)
    y_shuffled = np.random.default_rng(2).permutation(y)
    checks = ps.judge_figure_7({"datasets": [_block(x, y_shuffled)]})
    assert _by_name(checks)["[toy] nearly linearly separable"] == "does not hold"
    assert combine(checks) == "does not hold"


def test_signal_in_low_variance_directions_needs_many_components() -> None:
    """Forced input: the class signal lives in the 4 lowest-variance of 16 directions."""
    x, y = _clusters(3)
    rng = np.random.default_rng(4)
    hidden = np.empty_like(x)
    hidden[:, :12] = 20.0 * rng.normal(size=(y.size, 12))        # large, label-free
    hidden[:, 12:14] = x[:, :2]                                    # the separating signal
    hidden[:, 14:] = 0.5 * rng.normal(size=(y.size, 2))
    checks = ps.judge_figure_7({"datasets": [_block(hidden, y)]})
    verdicts = _by_name(checks)
    assert verdicts["[toy] few principal components"] == "does not hold"
    assert verdicts["[toy] nearly linearly separable"] == "holds"
    assert combine(checks) == "does not hold"


def test_measure_block_grid_contains_n_classes() -> None:
    x, y = _clusters(5)
    block = _block(x, y)
    assert N_CLASSES in block["features"]["ks"]
    assert block["n_classes"] == N_CLASSES and block["n_scored"] == y.size


def test_mnist_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ps.MNIST_ENV, raising=False)
    assert ps.mnist_dir() is None
    monkeypatch.setenv(ps.MNIST_ENV, str(tmp_path))
    assert ps.mnist_dir() == tmp_path
    monkeypatch.setenv(ps.MNIST_ENV, str(tmp_path / "missing"))
    with pytest.raises(ValueError, match=r"INFOPLANE_MNIST_DIR.*not a directory"):
        ps.mnist_dir()
    with pytest.raises(ValueError, match="INFOPLANE_MNIST_DIR"):   # before any training
        ps.run(tmp_path / "out", quick=False)


@pytest.mark.e2e
def test_run_with_a_fake_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`run` end to end with the training replaced by well-separated features."""
    def fake(x: np.ndarray, y: np.ndarray, widths: tuple[int, ...], epochs: int,
             seed: int) -> tuple[Any, ...]:
        feats, labels = _clusters(seed, n_per=40)
        return feats, feats, labels, 1.0, 1.0

    monkeypatch.setattr(ps, "_train_features", fake)
    res = ps.run(tmp_path, quick=True, seed=0)
    assert (tmp_path / "separability.png").exists()
    data = json.loads((tmp_path / "separability.json").read_text())
    assert data["datasets"][0]["network_test_accuracy"] == 1.0
    assert combine(ps.judge_figure_7(res)) == "holds"


@pytest.mark.e2e
def test_claim_end_to_end_quick(tmp_path: Path) -> None:
    from infoplane.reproduce.registry import ClaimContext

    out = tmp_path / "claims" / "interp-figure-7"
    out.mkdir(parents=True)
    res = ps.claim_figure_7(ClaimContext(out_dir=out, quick=True, seeds=1, seed=0))
    assert res.verdict == "indeterminate"
    assert [c.verdict for c in res.checks] == ["holds", "indeterminate", "holds"]
