"""Shared fixtures and the location of the optional reference data."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

#: ../shared/data beside the checkout: reference data users don't have (tests skip without it).
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def random_spd(rng: np.random.Generator, n: int, *, cond: float = 50.0) -> np.ndarray:
    """A random symmetric positive definite matrix with eigenvalues in [1/cond, 1]·scale."""
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = np.exp(rng.uniform(-np.log(cond), 0.0, size=n)) * rng.uniform(0.5, 5.0)
    return (q * lam) @ q.T
