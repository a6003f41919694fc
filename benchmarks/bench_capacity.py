"""Capacity benchmarks: ratios against baselines run in the same process (no assertions).

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_capacity.py``.

1. Closed-form MMI vs the numeric optimiser (L-BFGS on the sphere, knows nothing of
   water-filling) at N0 = 100, N1 = 50. Target: >= 1000x faster, <= 1e-6 relative difference.
2. MMI curve of a 10^5-eigenvalue spectrum at 10^4 budgets, vectorised vs a per-budget loop.
   Target: >= 50x and < 0.1 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from infoplane import capacity


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_closed_vs_numeric() -> None:
    import torch

    rng = np.random.default_rng(0)
    n0, n1, s2 = 100, 50, 1.0
    q, _ = np.linalg.qr(rng.standard_normal((n0, n0)))
    lam = np.exp(-0.1 * np.arange(n0))  # Figure 1's exponential spectrum, rotated
    cov = (q * lam) @ q.T
    for budget in (10.0, 1000.0):
        closed = capacity.mmi(cov, n1, budget=budget, noise_var=s2)
        t_closed = best_of(lambda b=budget: capacity.mmi(cov, n1, budget=b, noise_var=s2), 20)
        layer = torch.nn.Linear(n0, n1, bias=False)
        t0 = time.perf_counter()
        res = capacity.numeric_mmi(layer, cov, budget=budget, noise_var=s2, seed=0)  # defaults
        t_num = time.perf_counter() - t0
        rel = abs(res.value - closed) / closed
        print(f"  F={budget:<7g} closed {closed:.10f} nats in {t_closed * 1e3:.3f} ms | numeric "
              f"{res.value:.10f} in {t_num:.2f} s | speed-up {t_num / t_closed:,.0f}x | "
              f"rel. diff {rel:.1e}")


def bench_curve() -> None:
    n, m, width = 100_000, 10_000, 50_000
    lam = 1.0 / np.arange(1, n + 1) ** 1.2
    budgets = np.geomspace(1e-3, 1e7, m)
    t_vec = best_of(lambda: capacity.mmi(lam, width, budget=budgets))
    # Baseline: the same closed form called once per budget (sorting and prefix sums each time).
    few = budgets[:: m // 200]
    t0 = time.perf_counter()
    loop_vals = [capacity.mmi(lam, width, budget=float(f)) for f in few]
    t_loop = (time.perf_counter() - t0) * (m / few.size)
    vec = capacity.mmi(lam, width, budget=few)
    err = float(np.max(np.abs(vec - np.array(loop_vals)) / np.maximum(vec, 1e-300)))
    print(f"  vectorised {t_vec * 1e3:.1f} ms for {m} budgets; per-budget calls ~{t_loop:.1f} s "
          f"(extrapolated from {few.size}); speed-up {t_loop / t_vec:,.0f}x; max rel. diff "
          f"{err:.1e}")
    # A stronger baseline: sort and prefix sums once, then a Python loop over the budgets.
    t_pre = best_of(lambda: _prefix_loop(lam, width, budgets), 1)
    print(f"  per-budget loop over precomputed prefix sums {t_pre * 1e3:.0f} ms; speed-up "
          f"{t_pre / t_vec:,.1f}x")


def _prefix_loop(lam: np.ndarray, width: int, budgets: np.ndarray) -> list[float]:
    lam = np.sort(lam)[::-1][:width]
    inv = np.cumsum(1.0 / lam)
    logs = np.cumsum(np.log(lam))
    k = np.arange(1, lam.size + 1)
    rho = k / lam - inv
    out = []
    for f in budgets:
        n = int(np.searchsorted(rho, f, side="right"))
        out.append(0.5 * (n * np.log((f + inv[n - 1]) / n) + logs[n - 1]))
    return out


def main() -> None:
    print("closed form vs numeric optimiser (N0=100, N1=50, σ²=1):")
    bench_closed_vs_numeric()
    print("MMI curve, 1e5 eigenvalues x 1e4 budgets:")
    bench_curve()


if __name__ == "__main__":
    main()
