"""Speed and memory of ``KDE.bounds`` (both bounds, I(X;T) and I(T;Y)).

Three implementations run interleaved in one process on the same arrays, timed in CPU time
(``time.process_time``, all threads) and wall time:

* **straightforward** — the pairwise formula as a research script writes it (Saxe et al.'s
  ``kde.py`` pattern): full N × N squared distances from ``scipy.spatial.distance.cdist``,
  ``scipy.special.logsumexp`` per row, separately for each bound and each label group.
* **previous** — infoplane's KDE before issue 11, frozen below (``previous_bounds``): NumPy,
  row blocks of 512, upper triangle only, one ``exp`` for both bounds, two threads, OpenBLAS
  held to one thread.
* **ours** — ``KDE(noise_var=0.1)`` today: the same block algorithm with torch (MKL GEMM and
  SIMD ``exp``) as the default backend, shown with 2 and 1 threads, with ``backend="numpy"``
  and with ``dtype="float32"``.

Test data (stated, synthetic, shaped like a small tanh network's layer as in Saxe et al.):
X ~ N(0, I_12), T = tanh(X W), W a 12 × 10 Gaussian matrix scaled by 1.5/√12, labels the sign
of a random projection of X (2 classes) or the argmax of 10 (10 classes). N = 4,096, d = 10,
σ² = 0.1. Then N = 70,000 (the MNIST training-set size) in a fresh subprocess, where peak
memory is taken two ways: tracemalloc (NumPy and Python allocations, including the block
buffers) and the growth of ``ru_maxrss`` across the call (everything the process touched;
torch is imported and warmed up before the baseline is taken, and its import cost is printed
separately).

Run: ``.venv/bin/python benchmarks/bench_estimators_kde.py`` (about 1–2 minutes on 2 shared
cores; ``--big-all`` also measures N = 70,000 with the numpy backend and with float32, a few
minutes more). No assertions: timings on a shared machine are noisy, hence interleaving, CPU
time, and medians and minima both printed with the load average.
"""

from __future__ import annotations

import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.spatial.distance import cdist
from scipy.special import logsumexp

from infoplane.estimators.kde import KDE

NOISE_VAR = 0.1
REPEATS = 7
BASELINE_REPEATS = 2
N_BIG = 70_000


def make_layer(n: int, n_classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """T = tanh(X W) for X ~ N(0, I_12); labels from random projections of X."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 12))
    w = rng.standard_normal((12, 10)) * 1.5 / np.sqrt(12)
    t = np.tanh(x @ w)
    proj = x @ rng.standard_normal((12, max(n_classes, 1)))
    labels = (proj[:, 0] > 0).astype(np.int64) if n_classes == 2 else proj.argmax(axis=1)
    return t, labels


def straightforward(t: np.ndarray, labels: np.ndarray, noise_var: float) -> np.ndarray:
    """[ixt_upper, ixt_lower, ity_upper, ity_lower] with full matrices, nothing shared."""
    d = t.shape[1]
    h_cond_x = 0.5 * d * np.log(2 * np.pi * np.e * noise_var)

    def entropy(x: np.ndarray, var: float) -> float:
        # Kolchinsky–Tracey with the KL distance for component variance `var`
        dists = cdist(x, x, "sqeuclidean")
        lprobs = logsumexp(-dists / (2 * var), axis=1) - np.log(len(x)) \
            - 0.5 * d * np.log(2 * np.pi * var)
        return 0.5 * d - float(np.mean(lprobs))

    def entropy_upper(x: np.ndarray) -> float:
        return entropy(x, noise_var)

    def entropy_lower(x: np.ndarray) -> float:  # Bhattacharyya = KL at 4σ², shifted
        return entropy(x, 4 * noise_var) + 0.5 * d * np.log(0.25)

    out = []
    for h_fn in (entropy_upper, entropy_lower):
        h = h_fn(t)
        h_given_y = 0.0
        for c in np.unique(labels):
            idx = labels == c
            h_given_y += float(np.mean(idx)) * h_fn(t[idx])
        out.append((h - h_cond_x, h - h_given_y))
    return np.array([out[0][0], out[1][0], out[0][1], out[1][1]])


# ---------------------------------------------------------------------------------------
# The previous implementation (infoplane before issue 11), frozen as the reference.

def previous_bounds(t: np.ndarray, labels: np.ndarray, noise_var: float,
                    chunk_size: int = 512, n_threads: int = 2) -> np.ndarray:
    """[ixt_upper, ixt_lower, ity_upper, ity_lower] by the previous NumPy block kernel."""
    order = np.argsort(labels, kind="stable")
    codes = labels[order]
    p = np.bincount(codes) / codes.size
    p = p[p > 0]
    h_y = float(-np.sum(p * np.log(p)))
    sums = _previous_kernel_sums(t[order], codes, noise_var, chunk_size, n_threads)
    n = t.shape[0]
    low_all, low_cls, up_all, up_cls = sums
    return np.array([math.log(n) - float(np.mean(np.log(up_all))),
                     math.log(n) - float(np.mean(np.log(low_all))),
                     h_y + float(np.mean(np.log(up_cls / up_all))),
                     h_y + float(np.mean(np.log(low_cls / low_all)))])


def _previous_kernel_sums(t: np.ndarray, sorted_codes: np.ndarray, noise_var: float,
                          chunk_size: int, n_threads: int) -> np.ndarray:
    from threadpoolctl import threadpool_limits

    n, d = t.shape
    z = t - t.mean(axis=0)
    z *= 1.0 / math.sqrt(8.0 * noise_var)
    sq = np.einsum("ij,ij->i", z, z)
    left = np.empty((n, d + 2))
    left[:, :d] = 2.0 * z
    left[:, d] = -sq
    left[:, d + 1] = -1.0
    right = np.empty((n, d + 2))
    right[:, :d] = z
    right[:, d] = 1.0
    right[:, d + 1] = sq
    b = max(1, min(chunk_size, n))
    blocks = [(s, min(s + b, n)) for s in range(0, n, b)]
    seg_starts, seg_of_row = [], []
    for s, e in blocks:
        c = sorted_codes[s:e]
        change = np.r_[True, c[1:] != c[:-1]]
        seg_starts.append(np.flatnonzero(change))
        seg_of_row.append(np.cumsum(change) - 1)
    pairs = [(i, j) for i in range(len(blocks)) for j in range(i, len(blocks))]
    workers = max(1, min(n_threads, len(pairs)))

    def diagonal(e: np.ndarray, starts: np.ndarray, rows: np.ndarray, acc_all: np.ndarray,
                 acc_cls: np.ndarray) -> None:
        if starts.size == 1:
            rs = e.sum(axis=1)
            acc_all += rs
            acc_cls += rs
            return
        per_seg = np.add.reduceat(e, starts, axis=1)
        acc_all += per_seg.sum(axis=1)
        acc_cls += per_seg[np.arange(e.shape[0]), rows]

    def off_diagonal(e: np.ndarray, i0: int, i1: int, j0: int, j1: int, acc_all: np.ndarray,
                     acc_cls: np.ndarray) -> None:
        rs = e.sum(axis=1)
        cs = e.sum(axis=0)
        acc_all[i0:i1] += rs
        acc_all[j0:j1] += cs
        shared = sorted_codes[i1 - 1]
        if sorted_codes[j0] != shared:
            return
        a = int(np.searchsorted(sorted_codes[i0:i1], shared, side="left"))
        c = int(np.searchsorted(sorted_codes[j0:j1], shared, side="right"))
        if a == 0 and c == j1 - j0:
            acc_cls[i0:i1] += rs
            acc_cls[j0:j1] += cs
            return
        sub = e[a:, :c]
        acc_cls[i0 + a:i1] += sub.sum(axis=1)
        acc_cls[j0:j0 + c] += sub.sum(axis=0)

    def work(my_pairs: list[tuple[int, int]]) -> np.ndarray:
        acc = np.zeros((4, n))
        buf_l = np.empty(b * b)
        buf_u = np.empty(b * b)
        for bi, bj in my_pairs:
            i0, i1 = blocks[bi]
            j0, j1 = blocks[bj]
            m, k = i1 - i0, j1 - j0
            e_low = np.matmul(left[i0:i1], right[j0:j1].T, out=buf_l[:m * k].reshape(m, k))
            np.clip(e_low, -170.0, 0.0, out=e_low)
            if bi == bj:
                np.fill_diagonal(e_low, 0.0)
            np.exp(e_low, out=e_low)
            e_up = np.multiply(e_low, e_low, out=buf_u[:m * k].reshape(m, k))
            np.multiply(e_up, e_up, out=e_up)
            for row, e in ((0, e_low), (2, e_up)):
                if bi == bj:
                    diagonal(e, seg_starts[bi], seg_of_row[bi], acc[row, i0:i1],
                             acc[row + 1, i0:i1])
                else:
                    off_diagonal(e, i0, i1, j0, j1, acc[row], acc[row + 1])
        return acc

    if len(pairs) == 1:
        return work(pairs)
    with threadpool_limits(limits=1, user_api="blas"):
        if workers == 1:
            return work(pairs)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(work, [pairs[w::workers] for w in range(workers)]))
    return np.sum(parts, axis=0)


# ---------------------------------------------------------------------------------------

def ours(est: KDE, t: np.ndarray, labels: np.ndarray) -> np.ndarray:
    r = est.bounds(t, labels)
    return np.array([r.ixt_upper, r.ixt_lower, r.ity_upper, r.ity_lower])


def timed(fn: Callable[[], np.ndarray]) -> tuple[np.ndarray, float, float]:
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - c0, time.perf_counter() - w0


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def speed_table() -> None:
    print(f"N = 4096, d = 10, noise_var = {NOISE_VAR}; {REPEATS} interleaved repeats "
          f"({BASELINE_REPEATS} for the straightforward code); {load()}")
    variants = {
        "ours (torch, 2 thr)": KDE(noise_var=NOISE_VAR),
        "ours (torch, 1 thr)": KDE(noise_var=NOISE_VAR, n_threads=1),
        "ours (numpy, 2 thr)": KDE(noise_var=NOISE_VAR, backend="numpy"),
        "ours float32 (torch)": KDE(noise_var=NOISE_VAR, dtype="float32"),
        "ours float32 (numpy)": KDE(noise_var=NOISE_VAR, dtype="float32", backend="numpy"),
    }
    for n_classes in (2, 10):
        t, labels = make_layer(4096, n_classes)
        ref = straightforward(t, labels, NOISE_VAR)
        prev = previous_bounds(t, labels, NOISE_VAR)
        fns: dict[str, Callable[[], np.ndarray]] = {
            "straightforward": lambda t=t, y=labels: straightforward(t, y, NOISE_VAR),
            "previous (numpy, 2 thr)": lambda t=t, y=labels: previous_bounds(t, y, NOISE_VAR),
        }
        for name, est in variants.items():
            fns[name] = lambda e=est, t=t, y=labels: ours(e, t, y)
        for name, fn in fns.items():
            if name != "straightforward":
                fn()  # warm-up (imports, thread pools)
        cpu: dict[str, list[float]] = {k: [] for k in fns}
        wall: dict[str, list[float]] = {k: [] for k in fns}
        rel: dict[str, float] = {k: 0.0 for k in fns}
        for rep in range(REPEATS):
            for name, fn in fns.items():
                if name == "straightforward" and rep >= BASELINE_REPEATS:
                    continue
                got, c, w = timed(fn)
                cpu[name].append(c)
                wall[name].append(w)
                rel[name] = max(rel[name], float(np.max(np.abs(got - prev) / np.abs(prev))))
        print(f"\n{n_classes} classes — values (nats): ixt_upper {ref[0]:.4f}  ixt_lower "
              f"{ref[1]:.4f}  ity_upper {ref[2]:.4f}  ity_lower {ref[3]:.4f}; "
              f"previous vs straightforward max rel diff "
              f"{float(np.max(np.abs(prev - ref) / np.abs(ref))):.1e}")
        print(f"{'':24} {'CPU ms med/min':>16} {'wall ms med/min':>16} "
              f"{'prev/this CPU':>13} {'prev/this wall':>14} {'straightf./this':>15} "
              f"{'max rel diff':>12}")
        med = {k: statistics.median(v) for k, v in cpu.items()}
        wmed = {k: statistics.median(v) for k, v in wall.items()}
        prev_name = "previous (numpy, 2 thr)"
        for name in fns:
            print(f"{name:24} {1e3 * med[name]:>8.1f} /{1e3 * min(cpu[name]):>6.1f} "
                  f"{1e3 * wmed[name]:>8.1f} /{1e3 * min(wall[name]):>6.1f} "
                  f"{med[prev_name] / med[name]:>12.2f}x {wmed[prev_name] / wmed[name]:>13.2f}x "
                  f"{wmed['straightforward'] / wmed[name]:>14.1f}x {rel[name]:>12.1e}")
    print(f"\n(ratios: CPU = median CPU time over median CPU time; wall likewise; "
          f"'max rel diff' is against the previous implementation; {load()})")


def float32_table() -> None:
    print("\nfloat32 vs float64 (torch backend), N = 4096, d = 10, max |difference| over the "
          "four values, nats; Q = max_i ||t_i - mean||^2 / (8 noise_var), u = 2^-24")
    print(f"{'classes':>7} {'noise_var':>9} {'Q':>8} {'ixt_up err':>10} {'ixt_low err':>11} "
          f"{'ity_up err':>10} {'ity_low err':>11} {'max/(u*Q)':>9}")
    u = 2.0 ** -24
    for n_classes in (2, 10):
        t, labels = make_layer(4096, n_classes)
        for nv in (0.01, 0.1, 1.0):
            a = ours(KDE(noise_var=nv), t, labels)
            b = ours(KDE(noise_var=nv, dtype="float32"), t, labels)
            z = (t - t.mean(axis=0)) / math.sqrt(8 * nv)
            q = float(np.max(np.sum(z * z, axis=1)))
            err = np.abs(b - a)
            print(f"{n_classes:>7} {nv:>9} {q:>8.1f} {err[0]:>10.1e} {err[1]:>11.1e} "
                  f"{err[2]:>10.1e} {err[3]:>11.1e} {err.max() / (u * q):>9.3f}")


def _status_kib(field: str) -> int:
    """A ``VmHWM``/``VmRSS`` line of /proc/self/status, in KiB (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:  # pragma: no cover - not Linux
        pass
    return 0


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0: write 5 to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:  # pragma: no cover - not Linux, or not permitted
        return False


def big_child(backend: str, dtype: str) -> None:
    """Run in a fresh process: one N = 70,000 call, time and peak memory as JSON.

    Three peak measures of the call: tracemalloc's peak; the growth of ``ru_maxrss`` (a
    process's ru_maxrss starts at its parent's RSS at spawn, so the parent spawns this
    before it grows); and VmHWM after resetting it to the current RSS just before the call.
    """
    r0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t_import = 0.0
    if backend == "torch":
        w0 = time.perf_counter()
        import torch  # noqa: F401 - its import is measured apart from the computation
        t_import = time.perf_counter() - w0
    r1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t, labels = make_layer(N_BIG, 10, seed=1)
    est = KDE(noise_var=NOISE_VAR, backend=backend, dtype=dtype)  # type: ignore[arg-type]
    ours(est, t[:2000], labels[:2000])  # warm-up: thread pools, BLAS/MKL buffers
    r2 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    reset = _reset_peak_rss()
    rss_before = _status_kib("VmRSS")
    tracemalloc.start()
    got, c, w = timed(lambda: ours(est, t, labels))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    hwm = _status_kib("VmHWM")
    r3 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"values": got.tolist(), "cpu_s": c, "wall_s": w,
                      "tracemalloc_peak_mib": peak / 2**20,
                      "rss_delta_mib": (r3 - r2) / 1024, "rss_total_mib": r3 / 1024,
                      "hwm_delta_mib": (hwm - rss_before) / 1024 if reset else float("nan"),
                      "torch_import_rss_mib": (r1 - r0) / 1024, "torch_import_s": t_import,
                      "input_mib": t.nbytes / 2**20}))


def big_table(configs: list[tuple[str, str]]) -> None:
    print(f"\nN = {N_BIG}, d = 10, 10 classes, 2 threads, each in a fresh subprocess; {load()}")
    for backend, dtype in configs:
        out = subprocess.run([sys.executable, __file__, "--child", backend, dtype],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        v = r["values"]
        print(f"{backend:>5} {dtype}: {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU; "
              f"peak memory of the call: tracemalloc {r['tracemalloc_peak_mib']:.1f} MiB, "
              f"ru_maxrss growth {r['rss_delta_mib']:.1f} MiB, VmHWM growth "
              f"{r['hwm_delta_mib']:.1f} MiB (process peak "
              f"{r['rss_total_mib']:.0f} MiB; input {r['input_mib']:.1f} MiB)")
        if backend == "torch":
            print(f"      (importing torch, before the call: +{r['torch_import_rss_mib']:.0f} "
                  f"MiB ru_maxrss, {r['torch_import_s']:.1f} s)")
        print(f"      ixt_upper {v[0]:.4f}, ixt_lower {v[1]:.4f}, ity_upper {v[2]:.4f}, "
              f"ity_lower {v[3]:.4f} nats; log N = {math.log(N_BIG):.4f}")
    print(f"A full N x N float64 matrix would be {N_BIG**2 * 8 / 2**30:.1f} GiB.\n")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        big_child(sys.argv[2], sys.argv[3])
        return
    configs = [("torch", "float64")]
    if "--big-all" in sys.argv:
        configs += [("numpy", "float64"), ("torch", "float32")]
    big_table(configs)  # first, while this process is small (see big_child)
    speed_table()
    float32_table()


if __name__ == "__main__":
    main()
