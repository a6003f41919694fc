"""Tests for infoplane.analysis.separability (Section 3.5 / Figure 7)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC
from torch import nn

from infoplane.analysis.separability import (
    SeparabilityCurve,
    default_ks,
    last_layer_features,
    separability_curve,
)
from infoplane.models import mlp


def _planar(n_per_class: int = 80, n_classes: int = 6, d: int = 20, seed: int = 0
            ) -> tuple[np.ndarray, np.ndarray]:
    """Classes at the vertices of a regular polygon inside a random 2-D subspace of R^d."""
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.normal(size=(d, 2)))  # orthonormal (d, 2)
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = 4.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    y = np.repeat(np.arange(n_classes), n_per_class)
    x = (centres[y] + 0.4 * rng.normal(size=(y.size, 2))) @ basis.T
    x += 0.4 * rng.normal(size=(y.size, d))  # isotropic noise in all 20 dimensions
    return x, y


@pytest.fixture(scope="module")
def planar_curve() -> SeparabilityCurve:
    x, y = _planar()
    return separability_curve(x, y, [1, 2, 3, 5, 20], cv=4, seed=0)


def test_signal_in_2d_subspace_saturates_at_k2(planar_curve: SeparabilityCurve) -> None:
    c = planar_curve
    assert c.ks.tolist() == [1, 2, 3, 5, 20]
    assert c.n_samples == 480 and c.n_features == 20 and c.cv == 4
    assert c.svm_mean[1] >= 0.97  # k = 2 already separable
    assert c.svm_mean[0] < c.svm_mean[1] - 0.2  # one component is not enough
    assert np.all(c.svm_mean[1:] >= c.svm_full_mean - 0.02)  # saturated from k = 2 on
    assert c.smallest_k(0.99) == 2
    assert c.knn_mean[1] >= 0.95 and c.knn_mean[0] < c.knn_mean[1]
    assert np.all((c.svm_std >= 0) & (c.knn_std >= 0))


def test_pca_is_fitted_inside_each_fold() -> None:
    x, y = _planar(n_per_class=30, n_classes=4)
    k, seed = 1, 3
    curve = separability_curve(x, y, [k], cv=3, seed=seed)
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)
    in_fold, leaky = [], []
    pca_all = PCA(n_components=k, random_state=seed).fit(x)  # sees the test folds: leakage
    for tr, te in folds.split(x, y):
        for pca, store in ((PCA(n_components=k, random_state=seed).fit(x[tr]), in_fold),
                           (pca_all, leaky)):
            svm = LinearSVC(C=1.0, dual="auto", max_iter=20000, random_state=seed)
            svm.fit(pca.transform(x[tr]), y[tr])
            store.append(svm.score(pca.transform(x[te]), y[te]))
    assert curve.svm_mean[0] == pytest.approx(np.mean(in_fold), abs=1e-12)
    assert curve.svm_std[0] == pytest.approx(np.std(in_fold), abs=1e-12)
    # the leaky variant fits a different projection per fold, so the numbers differ
    assert not np.allclose(in_fold, leaky)


def test_deterministic_and_clipping() -> None:
    x, y = _planar(n_per_class=10, n_classes=3, d=8)
    with pytest.warns(UserWarning, match="clipped"):
        c = separability_curve(x, y, [1, 4, 100, 200], cv=2)
    assert c.ks.tolist() == [1, 4, 8]
    c2 = separability_curve(x, y, [1, 4, 8], cv=2)
    np.testing.assert_array_equal(c.svm_mean, c2.svm_mean)
    np.testing.assert_array_equal(c.knn_mean, c2.knn_mean)
    # fold training size (15) smaller than d bounds k
    x_wide = np.random.default_rng(0).normal(size=(30, 50))
    with pytest.warns(UserWarning, match="clipped to 15"):
        cw = separability_curve(x_wide, y, [40], cv=2)
    assert cw.ks.tolist() == [15]


def test_separability_errors() -> None:
    x, y = _planar(n_per_class=10, n_classes=3, d=5)
    with pytest.raises(ValueError, match=r"`ks\[1\]` must be an integer >= 1"):
        separability_curve(x, y, [2, 0])
    with pytest.raises(ValueError, match="`ks` must be a non-empty"):
        separability_curve(x, y, [])
    with pytest.raises(TypeError, match="`ks` must be a sequence"):
        separability_curve(x, y, "12")
    with pytest.raises(ValueError, match="`cv` must be an integer >= 2"):
        separability_curve(x, y, [1], cv=1)
    with pytest.raises(ValueError, match="at least `cv`=11 samples in every class"):
        separability_curve(x, y, [1], cv=11)
    with pytest.raises(ValueError, match="`labels` must be of at least two classes"):
        separability_curve(x, np.zeros(30), [1])
    with pytest.raises(ValueError, match="`labels` must be a 1-D array of length 30"):
        separability_curve(x, y[:-1], [1])
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="`features` must be finite"):
        separability_curve(bad, y, [1])
    with pytest.raises(ValueError, match="`svm_c` must be > 0"):
        separability_curve(x, y, [1], svm_c=0.0)
    curve = separability_curve(x, y, [1], cv=2)
    with pytest.raises(ValueError, match="`fraction` must be in"):
        curve.smallest_k(1.5)
    with pytest.raises(ValueError, match="`of` must be one of"):
        curve.smallest_k(0.9, of="tree")


def test_default_ks() -> None:
    assert default_ks(1) == [1]
    assert default_ks(64) == [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]
    assert default_ks(10) == [1, 2, 3, 4, 6, 8, 10]


def test_last_layer_features_equal_manual_forward() -> None:
    net = mlp((6, 9, 5, 3), activation="relu", seed=1, dtype=torch.float64)
    net.train()
    x = np.random.default_rng(0).normal(size=(11, 6))
    feats = last_layer_features(net, x, batch_size=4)  # several batches
    with torch.no_grad():
        xt = torch.as_tensor(x)
        manual = net.act2(net.fc2(net.act1(net.fc1(xt)))).numpy()
    assert feats.shape == (11, 5) and feats.dtype == np.float64
    np.testing.assert_allclose(feats, manual, rtol=0, atol=1e-12)
    assert net.training  # mode restored
    assert not net.fc3._forward_hooks  # hook removed
    hidden1 = last_layer_features(net, torch.as_tensor(x), layer="act1")
    np.testing.assert_allclose(hidden1, torch.relu(net.fc1(xt)).detach().numpy(), atol=1e-12)


def test_last_layer_features_eval_mode_and_errors() -> None:
    net = nn.Sequential(nn.Linear(4, 7), nn.Dropout(0.9), nn.Linear(7, 2))
    net.train()
    x = np.ones((3, 4), dtype=np.float32)
    a = last_layer_features(net, x)
    with torch.no_grad():
        expected = net[0](torch.as_tensor(x)).numpy()
    np.testing.assert_allclose(a, expected, atol=1e-6)  # dropout off: eval mode
    assert net.training
    with pytest.raises(ValueError, match="`layer` must be a module name"):
        last_layer_features(net, x, layer="nope")
    with pytest.raises(ValueError, match=r"`model` must be a model with at least one nn\.Linear"):
        last_layer_features(nn.Sequential(nn.ReLU()), x)
    with pytest.raises(ValueError, match="`x` must be finite"):
        last_layer_features(net, np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match="`x` must be a non-empty"):
        last_layer_features(net, np.zeros((0, 4)))
    with pytest.raises(TypeError, match=r"`model` must be a torch\.nn\.Module"):
        last_layer_features("net", x)  # type: ignore[arg-type]
    # hook removed even when the forward raises
    with pytest.raises(RuntimeError):
        last_layer_features(net, np.zeros((2, 3)))
    assert not net[2]._forward_hooks and net.training
