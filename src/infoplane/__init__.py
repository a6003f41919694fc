"""infoplane: information theory of neural networks.

Capacity (how much an architecture *can* carry, :mod:`infoplane.capacity`), estimators (how much
a representation *does* carry, :mod:`infoplane.estimators`), the information-plane recorder
(:class:`Recorder`, :class:`InfoPlane`), built-in data, models and training.

Torch-based parts are imported on first use, so ``import infoplane`` stays light.
"""

from __future__ import annotations

from infoplane import capacity
from infoplane._lazy import lazy_getattr

__version__ = "0.1.0"

_LAZY = {
    "Recorder": "infoplane.recorder",
    "RunStore": "infoplane.store",
    "InfoPlane": "infoplane.plane",
}

__getattr__ = lazy_getattr("infoplane", _LAZY)

__all__ = ["InfoPlane", "Recorder", "RunStore", "__version__", "capacity"]
