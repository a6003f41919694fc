"""Benchmark: vectorised double-well escape simulation vs a per-chain Python loop.

10^4 chains × 10^4 steps of ``w <- w - a F'(w) - b ξ`` (a barrier high enough that no chain
escapes, so every step costs the full vector), against the per-chain loop of
``_escape_times_loop`` on a subset of chains, extrapolated linearly to 10^4 chains.

Run: ``.venv/bin/python benchmarks/bench_dynamics.py``
"""

from __future__ import annotations

import time

from infoplane.analysis import dynamics as dyn


def main() -> None:
    n_chains, n_steps, subset = 10_000, 10_000, 10
    well = dyn.double_well(8.0)  # ΔF / T_eff = 8 / 0.01 = 800: nobody escapes
    a, b = 0.01, (2 * 0.01 * 0.01) ** 0.5
    t0 = time.perf_counter()
    res = dyn.escape_times(well, a, b, n_chains, n_steps, seed=0)
    t_vec = time.perf_counter() - t0
    t0 = time.perf_counter()
    dyn._escape_times_loop(well, a, b, subset, n_steps, seed=0)
    t_loop = (time.perf_counter() - t0) * n_chains / subset
    print(f"vectorised: {n_chains} chains x {n_steps} steps in {t_vec:.2f} s "
          f"(censored {res.censored})")
    print(f"per-chain loop: {subset} chains measured, extrapolated to {n_chains}: {t_loop:.1f} s")
    print(f"speed-up: {t_loop / t_vec:.0f}x")


if __name__ == "__main__":
    main()
