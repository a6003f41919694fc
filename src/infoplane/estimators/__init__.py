"""Mutual-information estimators: one protocol, validated against ground truth.

Each estimator is a small frozen dataclass with ``estimate(x, y) -> float`` (nats unless
``unit="bits"``), ``plane(t, labels) -> (I(X;T), I(T;Y))`` where it is defined, and batched
``estimate_many`` / ``plane_many`` entry points that share work across snapshots.

| estimator | question it answers |
| --- | --- |
| :func:`auto` | the default: picks one of the below from the data (``choose`` says which) |
| :class:`Binning` | the information plane of Shwartz-Ziv & Tishby (discretised layers) |
| :class:`KDE` | Kolchinsky–Tracey bounds on a noisy layer, as Saxe et al. use them |
| :class:`KSG` | I(X;Y) of continuous variables in any dimensions (k-NN) |
| :class:`MixedKSG` | continuous X with discrete Y (Ross 2014) or mixtures (Gao et al. 2017) |
| :class:`Gaussian` | the joint-Gaussian fit (exact for Gaussians) |
| :class:`MINE`, :class:`NWJ`, :class:`SMILE`, :class:`InfoNCE` | neural lower bounds (torch) |
| :class:`LatentMI` | KSG on learned low-dimensional embeddings, held out (torch) |
| :class:`NormalScores`, :class:`Unmixed` | per-side normal scores (and ICA), then any estimator |

Modules are imported on first use, so ``import infoplane.estimators`` stays light.
"""

from __future__ import annotations

from infoplane._lazy import lazy_getattr
from infoplane.estimators.base import Estimator, Interval, TestResult

_LAZY = {
    "Auto": "infoplane.estimators.default",
    "NormalScores": "infoplane.estimators.default",
    "auto": "infoplane.estimators.default",
    "Binning": "infoplane.estimators.binning",
    "BinningResult": "infoplane.estimators.binning",
    "KDE": "infoplane.estimators.kde",
    "KDEResult": "infoplane.estimators.kde",
    "KSG": "infoplane.estimators.ksg",
    "MixedKSG": "infoplane.estimators.ksg",
    "Gaussian": "infoplane.estimators.gaussian",
    "MINE": "infoplane.estimators.neural",
    "InfoNCE": "infoplane.estimators.neural",
    "NWJ": "infoplane.estimators.neural",
    "SMILE": "infoplane.estimators.neural",
    "NeuralReport": "infoplane.estimators.neural",
    "LatentMI": "infoplane.estimators.latent",
    "LatentFit": "infoplane.estimators.latent",
    "Unmixed": "infoplane.estimators.default",
}


__getattr__ = lazy_getattr("infoplane.estimators", _LAZY)


__all__ = ["KDE", "KSG", "MINE", "NWJ", "SMILE", "Auto", "Binning", "BinningResult", "Estimator",
           "Gaussian", "InfoNCE", "Interval", "KDEResult", "LatentFit", "LatentMI",
           "MixedKSG", "NeuralReport", "NormalScores", "TestResult", "Unmixed", "auto"]
