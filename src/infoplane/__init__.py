"""infoplane: information theory of neural networks.

Capacity (how much an architecture *can* carry, :mod:`infoplane.capacity`), estimators (how much
a representation *does* carry), the information-plane recorder, the papers' analyses, and
``infoplane reproduce``.
"""

from __future__ import annotations

from infoplane import capacity

__version__ = "0.1.0"

__all__ = ["__version__", "capacity"]
