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


def record_growing_run(path: Path, *, steps: int, every_k: int, factor: float) -> tuple:
    """Record a tiny 4-3-2 tanh net on the 16 4-bit patterns whose weights are multiplied by
    ``factor`` before each step (so activations saturate over steps). Returns (model, x, y)."""
    import torch

    from infoplane.recorder import Recorder
    from infoplane.schedules import every

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2),
                                torch.nn.Tanh())
    x = torch.tensor(((np.arange(16)[:, None] >> np.arange(3, -1, -1)) & 1), dtype=torch.float32)
    y = (x.sum(1) > 1).long().numpy()
    with Recorder(model, layers=["1", "3"], inputs=x, labels=y, store=path,
                  schedule=every(every_k, n_epochs=steps)) as rec:
        for step in range(steps):
            with torch.no_grad():
                for p in model.parameters():
                    p.mul_(factor)
            rec.record(step)
    return model, x, y
