"""Type aliases shared across infoplane."""

from __future__ import annotations

from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

ArrayLike: TypeAlias = npt.ArrayLike
FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
Unit: TypeAlias = Literal["nats", "bits"]

__all__ = ["ArrayLike", "FloatArray", "IntArray", "Unit"]
