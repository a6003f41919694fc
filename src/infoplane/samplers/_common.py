"""Small helpers shared by the sampler families (validation, names, fixed rotations)."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from infoplane._validation import as_float, as_int, fail
from infoplane.samplers._base import Task

FloatArray = npt.NDArray[np.float64]

#: Largest side that gets a Haar-random orthogonal matrix (``LowRank``, ``rotate=True``):
#: 4096² float64 is 128 MiB and its QR takes seconds; beyond that the matrix alone would not fit.
MAX_ROTATION_DIM = 4096


class OneByOne(Task):
    """Mixin for tasks with one column on each side (``dim_x = dim_y = 1``)."""

    @property
    def dim_x(self) -> int:
        """1."""
        return 1

    @property
    def dim_y(self) -> int:
        """1."""
        return 1


class LabelsY(OneByOne):
    """Mixin for one real column x and int64 labels y."""

    @property
    def y_discrete(self) -> bool:
        """True: y is int64 labels."""
        return True


def check_rotation_dim(name: str, dim: int) -> None:
    """Refuse a side too wide for a dense orthogonal matrix (before anything is allocated)."""
    if dim > MAX_ROTATION_DIM:
        raise fail(name, f"<= {MAX_ROTATION_DIM} for a random orthogonal embedding "
                   f"({dim}² float64 would be {dim * dim * 8 / 1024**3:.1f} GiB)", dim)


def fmt(value: float) -> str:
    """A parameter as it appears in a task name (``0.5`` -> ``"0.5"``, ``2.0`` -> ``"2"``)."""
    return f"{value:g}"


def check_dims(dim_x: object, dim_y: object) -> tuple[int, int]:
    """Both dimensions as integers >= 1."""
    return as_int("dim_x", dim_x), as_int("dim_y", dim_y)


def check_corr(name: str, value: object, *, low: float = -1.0) -> float:
    """A correlation strictly inside (low, 1) (``low`` itself allowed when it is 0)."""
    out = as_float(name, value)
    if not (out < 1.0 and (out > low or (low == 0.0 and out == 0.0))):
        lo = "[0" if low == 0.0 else f"({low:g}"
        raise fail(name, f"in {lo}, 1)", value)
    return out


@lru_cache(maxsize=64)
def _orthogonal_cached(dim: int, seed: int) -> bytes:
    rng = np.random.default_rng(np.random.SeedSequence([dim, seed, 0x5EED]))
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    q = q * np.sign(np.diag(r))[None, :]   # Haar-distributed (Mezzadri 2007)
    return np.ascontiguousarray(q, dtype=np.float64).tobytes()


def orthogonal(dim: int, seed: int) -> FloatArray:
    """A fixed Haar-random ``dim × dim`` orthogonal matrix determined by ``(dim, seed)``.

    QR of a standard Gaussian matrix with the signs of R's diagonal moved into Q
    (F. Mezzadri, "How to generate random matrices from the classical compact groups",
    Notices AMS 54, 2007). Computed on first use and cached, so importing is cheap.
    """
    raw = _orthogonal_cached(int(dim), int(seed))
    out = np.frombuffer(raw, dtype=np.float64).reshape(dim, dim).copy()
    return out


def log1m(x: float) -> float:
    """log(1 - x), accurate for small x."""
    return math.log1p(-x)
