"""Information-plane benchmarks: ratios against baselines run in the same process.

1. Recorder overhead on steps that are *not* recorded, against the same training loop without a
   recorder. Target: <= 3 %.
2. Recorded steps: cost of one recorded step (4096 probe inputs, all layers) for scale.

Run: ``.venv/bin/python benchmarks/bench_plane.py`` (part of ``make bench``).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from infoplane.datasets import twelve_bit
from infoplane.models import mlp
from infoplane.recorder import Recorder
from infoplane.schedules import log2


def train_epoch(model: torch.nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor,
                y: torch.Tensor, batches: list[torch.Tensor]) -> None:
    for idx in batches:
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        opt.step()


def main() -> None:
    torch.set_num_threads(1)
    data = twelve_bit()
    x = torch.as_tensor(data.x)
    y = torch.as_tensor(data.y)
    gen = torch.Generator().manual_seed(0)
    batches = list(torch.randperm(len(x), generator=gen).split(512))
    epochs, repeats = 40, 9
    with tempfile.TemporaryDirectory() as tmp:
        plain, recorded = [], []
        for r in range(repeats):
            for use in (False, True) if r % 2 == 0 else (True, False):
                model = mlp(seed=r)
                opt = torch.optim.Adam(model.parameters(), lr=1e-3)
                if use:
                    # A schedule whose steps all lie beyond this loop: every call is off-schedule.
                    sched = log2(10**6, 10)
                    rec = Recorder(model, layers=torch.nn.Tanh, inputs=x, labels=y.numpy(),
                                   store=Path(tmp) / f"run{r}", schedule=sched)
                    with rec:
                        t0 = time.perf_counter()
                        for e in range(epochs):
                            train_epoch(model, opt, x, y, batches)
                            rec.record(10**7 + e)
                        recorded.append(time.perf_counter() - t0)
                else:
                    t0 = time.perf_counter()
                    for _ in range(epochs):
                        train_epoch(model, opt, x, y, batches)
                    plain.append(time.perf_counter() - t0)
        base, ours = np.median(plain), np.median(recorded)
        overhead = 100 * (ours / base - 1)
        overhead_min = 100 * (min(recorded) / min(plain) - 1)
        print(f"recorder overhead on non-recorded steps: {1e3 * base / epochs:.3f} ms/epoch "
              f"without, {1e3 * ours / epochs:.3f} ms/epoch with -> {overhead:+.2f} % "
              f"(median of {repeats}; min-based {overhead_min:+.2f} %)")
        model = mlp(seed=0)
        with Recorder(model, layers=torch.nn.Tanh, inputs=x, labels=y.numpy(),
                      store=Path(tmp) / "rec", schedule=log2(100, 100)) as rec:
            times = []
            for e in range(20):
                t0 = time.perf_counter()
                rec.record(e)
                times.append(time.perf_counter() - t0)
        print(f"one recorded step (4096 probes, 6 layers, written to disk): "
              f"{1e3 * np.median(times):.2f} ms median")


if __name__ == "__main__":
    main()
