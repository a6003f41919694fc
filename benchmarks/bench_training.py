"""Speed of training 20 seeds of the Tishby network: one batched model against 20 sequential ones.

Setting (the Tishby experiment): 12-10-7-5-4-3-2 tanh network, float32, Adam (lr 1e-3), batch
512 on 3277 training samples (80 % of the 4096 12-bit inputs; 7 mini-batches per epoch).
Batched: ``train_batched(BatchedMLP(20), ...)``; sequential: ``train(mlp(seed=s), ...)`` for
s = 0..19. Both evaluate loss/accuracy only after their last epoch (``eval_every=None``), so the
comparison is of the training loops alone; the cost of one evaluation (full train-set pass of all
20 copies) is measured separately and added for the 274 recorded epochs in the projection.

The data are random bits labelled by a majority of three of them (timing does not depend on
the labels).
Timings alternate batched / sequential runs; min and median over the repeats are printed. Run:
``.venv/bin/python benchmarks/bench_training.py`` (about a minute). No assertions.
"""

from __future__ import annotations

import statistics
import time

import torch

from infoplane.models import BatchedMLP, mlp
from infoplane.training import TrainConfig, train, train_batched

SEEDS, N_TRAIN, BATCH, EPOCHS_TARGET, RECORDED = 20, 3277, 512, 8000, 274
EPOCHS_BATCHED, EPOCHS_SEQ, REPEATS = 40, 4, 5


def data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 2, (N_TRAIN, 12), generator=g).float()
    y = ((x[:, 0] + x[:, 3] + x[:, 7]) >= 2).long()
    return x, y


def batched(x: torch.Tensor, y: torch.Tensor, epochs: int, eval_every: int | None,
            threads: int) -> float:
    cfg = TrainConfig(epochs=epochs, lr=1e-3, batch_size=BATCH, eval_every=eval_every)
    net = BatchedMLP(SEEDS, seed=0)
    t0 = time.perf_counter()
    train_batched(net, (x, y), None, cfg, progress=False, num_threads=threads)
    return (time.perf_counter() - t0) / epochs * 1e3


def sequential(x: torch.Tensor, y: torch.Tensor, epochs: int, threads: int) -> float:
    t0 = time.perf_counter()
    for s in range(SEEDS):
        cfg = TrainConfig(epochs=epochs, lr=1e-3, batch_size=BATCH, eval_every=None, seed=s)
        train(mlp(seed=s), (x, y), None, cfg, progress=False, num_threads=threads)
    return (time.perf_counter() - t0) / epochs * 1e3


def stats(xs: list[float]) -> str:
    return f"min {min(xs):7.2f}  median {statistics.median(xs):7.2f}"


def main() -> None:
    x, y = data()
    print(f"{SEEDS} seeds, 12-10-7-5-4-3-2 tanh, float32, Adam, batch {BATCH}, "
          f"{N_TRAIN} samples; torch {torch.__version__}")
    for threads in (1, 2):
        batched(x, y, 3, None, threads)  # warm-up
        sequential(x, y, 1, threads)
        t_b, t_s, t_e = [], [], []
        for _ in range(REPEATS):
            t_b.append(batched(x, y, EPOCHS_BATCHED, None, threads))
            t_s.append(sequential(x, y, EPOCHS_SEQ, threads))
            # the same with an evaluation after every epoch: the difference is one evaluation
            t_e.append(batched(x, y, EPOCHS_BATCHED // 4, 1, threads) - t_b[-1])
        b, s, ev = min(t_b), min(t_s), max(statistics.median(t_e), 0.0)
        print(f"\n{threads} thread(s), ms/epoch for all {SEEDS} seeds "
              f"({REPEATS} alternating repeats)")
        print(f"  batched     {stats(t_b)}")
        print(f"  sequential  {stats(t_s)}")
        print(f"  speed-up batched / sequential: {s / b:.1f}x (min), "
              f"{statistics.median(t_s) / statistics.median(t_b):.1f}x (median)")
        print(f"  one evaluation (train set, all seeds): ~{ev:.1f} ms (median)")
        proj = (EPOCHS_TARGET * b + RECORDED * ev) / 1e3
        proj_seq = (EPOCHS_TARGET * s + RECORDED * ev) / 1e3  # same evaluation cost assumed
        print(f"  projected {EPOCHS_TARGET} epochs + {RECORDED} evaluations: batched "
              f"{proj:.0f} s ({proj / 60:.1f} min), sequential {proj_seq:.0f} s "
              f"({proj_seq / 60:.1f} min)")


if __name__ == "__main__":
    main()
