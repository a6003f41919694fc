"""Speed of ``KDE.bounds`` (both bounds, I(X;T) and I(T;Y)) against a direct NumPy evaluation.

Baseline, run in the same process on the same arrays: the pairwise formula as a typical research
script writes it (Saxe et al.'s ``kde.py`` pattern) — full N × N squared distances from
``scipy.spatial.distance.cdist``, ``scipy.special.logsumexp`` over each row, evaluated
separately for each bound (KL and Bhattacharyya scaling) and for each label group (its own
distance matrix), then I(X;T) = Ĥ − H(T|X) and I(T;Y) = Ĥ − Σ_y p(y) Ĥ_y. Ours:
``KDE(noise_var=0.1).bounds(t, labels)`` — row blocks, upper-triangle only, one ``exp`` for
both bounds, class sums from the same blocks, 2 threads (also shown with 1 thread).

Test data (stated, synthetic but shaped like a small tanh network's layer, as in Saxe et al.):
inputs X ~ N(0, I_12), T = tanh(X W) with W a 12 × 10 Gaussian matrix scaled by 1/√12·1.5
(activations spread over (−1, 1), some near saturation), labels from the sign of a random
projection of X (2 classes, Saxe et al.'s task) or the argmax of 10 random projections
(10 classes). N = 4,096, d = 10, σ² = 0.1. Then one run at N = 70,000 (the MNIST training set
size) to show the blocked computation fits in memory; the baseline would need two 70,000²
float64 matrices (39 GB each) and is not run.

Run: ``.venv/bin/python benchmarks/bench_estimators_kde.py`` (about a minute on 2 cores). No
assertions; timings on a shared machine are noisy, which is why the baseline and ours
alternate, and why medians and minima are both printed.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc

import numpy as np
from scipy.spatial.distance import cdist
from scipy.special import logsumexp

from infoplane.estimators.kde import KDE

NOISE_VAR = 0.1
REPEATS = 7


def make_layer(n: int, n_classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """T = tanh(X W) for X ~ N(0, I_12); labels from random projections of X."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 12))
    w = rng.standard_normal((12, 10)) * 1.5 / np.sqrt(12)
    t = np.tanh(x @ w)
    proj = x @ rng.standard_normal((12, max(n_classes, 1)))
    labels = (proj[:, 0] > 0).astype(np.int64) if n_classes == 2 else proj.argmax(axis=1)
    return t, labels


def baseline(t: np.ndarray, labels: np.ndarray, noise_var: float) -> np.ndarray:
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


def ours(est: KDE, t: np.ndarray, labels: np.ndarray) -> np.ndarray:
    r = est.bounds(t, labels)
    return np.array([r.ixt_upper, r.ixt_lower, r.ity_upper, r.ity_lower])


def timed(fn, *args):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def main() -> None:
    est2 = KDE(noise_var=NOISE_VAR)
    est1 = KDE(noise_var=NOISE_VAR, n_threads=1)
    print(f"N = 4096, d = 10, noise_var = {NOISE_VAR}; {REPEATS} alternating repeats, ms")
    print(f"{'classes':>7} {'baseline med/min':>17} {'ours(2 thr) med/min':>20} "
          f"{'ours(1 thr) med/min':>20} {'ratio med':>9} {'ratio min':>9} {'max |diff|':>10}")
    for n_classes in (2, 10):
        t, labels = make_layer(4096, n_classes)
        ref = baseline(t, labels, NOISE_VAR)
        ours(est2, t, labels)  # warm-up (thread pool, BLAS)
        tb, t2, t1 = [], [], []
        diff = 0.0
        for _ in range(REPEATS):
            _, dt = timed(baseline, t, labels, NOISE_VAR)
            tb.append(dt)
            got, dt = timed(ours, est2, t, labels)
            t2.append(dt)
            diff = max(diff, float(np.max(np.abs(got - ref))))
            _, dt = timed(ours, est1, t, labels)
            t1.append(dt)
        mb, m2, m1 = (statistics.median(v) for v in (tb, t2, t1))
        print(f"{n_classes:>7} {1e3 * mb:>9.0f} /{1e3 * min(tb):>6.0f} "
              f"{1e3 * m2:>12.1f} /{1e3 * min(t2):>6.1f} {1e3 * m1:>12.1f} /{1e3 * min(t1):>6.1f} "
              f"{mb / m2:>8.1f}x {min(tb) / min(t2):>8.1f}x {diff:>10.1e}")
        print(f"{'':>7} values (nats): ixt_upper {ref[0]:.4f}  ixt_lower {ref[1]:.4f}  "
              f"ity_upper {ref[2]:.4f}  ity_lower {ref[3]:.4f}")

    n_big = 70_000
    t, labels = make_layer(n_big, 10, seed=1)
    got, dt = timed(ours, est2, t, labels)
    print(f"\nN = {n_big}, d = 10, 10 classes, 2 threads: {dt:.1f} s "
          f"(ixt_upper {got[0]:.4f}, ixt_lower {got[1]:.4f}, ity_upper {got[2]:.4f}, "
          f"ity_lower {got[3]:.4f} nats; log N = {np.log(n_big):.4f})")
    tracemalloc.start()
    small_t, small_labels = t[:20_000], labels[:20_000]
    ours(est2, small_t, small_labels)
    _, peak_small = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    ours(est2, t, labels)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak memory allocated inside bounds(): {peak / 2**20:.1f} MiB at N = {n_big} "
          f"({peak_small / 2**20:.1f} MiB at N = 20000; the input itself is "
          f"{t.nbytes / 2**20:.1f} MiB). A full N x N float64 matrix would be "
          f"{n_big**2 * 8 / 2**30:.1f} GiB.")


if __name__ == "__main__":
    main()
