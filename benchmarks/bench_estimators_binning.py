"""Speed of ``Binning`` against a plain NumPy version of the original IDNNs procedure.

Baseline (run in the same process on the same arrays): the information-plane computation of
Shwartz-Ziv & Tishby's code (``ravidziv/IDNNs``, ``calc_information_sampling``), rewritten
plainly here: digitise with ``np.digitize`` on ``np.linspace(-1, 1, 30)`` (float32 edges) and
map each value to its bin's edge value; p(t) from ``np.unique`` of the rows (viewed as bytes);
H(T|X) as a loop over the distinct inputs x (p(x) · H of the patterns of the rows with input
x) and H(T|Y) as a loop over the labels; I(X;T) = H(T) - H(T|X), I(T;Y) = H(T) - H(T|Y).
The distinct inputs and labels (``unique_inverse_x``, p(x), ...) are computed once outside the
timed region, as the original does once per run.

Ours: ``Binning(unit="bits").plane(t, labels)`` for one snapshot (validation included), and
``Binning(unit="bits").plane_many(acts, labels)`` per layer for the full information plane.

(3) The generic discrete path: ``Binning().estimate(t, np.arange(N))`` (I(X;T) as the MI
with one label per row, N = 4096, the 10-unit tanh layer of (1)) against the per-input
original procedure (``original_plane``, timed whole: its loop over the 4096 inputs dominates;
its I(X;T) is compared), against ``plane(t, labels)`` on the same array, and against the
previous generic path (kept here as ``previous_generic``: joint codes, then a ``bincount``
over the product code K_T · N, which is what made it slow), plus
``infoplane.discrete.mutual_information(codes, np.arange(N))``. Ratios are of CPU time
(``time.process_time``, medians), with the load average printed beside them.

Test data (synthetic, stated): the 4096 binary patterns of 12 bits (binary order, as the
paper's ``var_u.mat``), centred to ±1; labels 1 when at least 7 bits are set, 0 when at most
4, a seeded coin flip in between (about balanced, like the paper's). (1) uses the tanh layers of a
12-10-7-5-4-3 net with random Gaussian weights W/√fan_in (gain 2). (2) records the 7 layers of
a 12→12-10-7-5-4-3-2 net (tanh, softmax output) whose
weights are scaled by a gain growing from 0.5 to 4 over 964 "epochs" (plus a small random
drift), so the layers go from nearly linear to saturated, as in training. Activations are
float32 in memory (964 × 4096 × 43 values, 0.68 GB), generated before timing.

Run: ``.venv/bin/python benchmarks/bench_estimators_binning.py`` (about a minute on 2 cores;
``--generic`` runs case (3) only, in seconds).
No assertions; the machine is shared and noisy, which is why each ratio compares runs made in
the same process.
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np

from infoplane.discrete import joint_codes, mutual_information
from infoplane.estimators.binning import Binning

N_BITS = 12
WIDTHS = (12, 10, 7, 5, 4, 3, 2)          # the 7 recorded layers (12-bit inputs)
N_EPOCHS = 964
N_BINS = 30


# ----------------------------------------------------------------------------------- data
def make_inputs(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """All 12-bit patterns (binary order) as ±1 floats, and popcount-threshold labels."""
    codes = np.arange(2**N_BITS)
    bits = (codes[:, None] >> np.arange(N_BITS - 1, -1, -1)) & 1
    ones = bits.sum(axis=1)
    coin = np.random.default_rng(seed).integers(0, 2, size=codes.size)
    labels = np.where(ones >= 7, 1, np.where(ones <= 4, 0, coin))
    return (2.0 * bits - 1.0).astype(np.float32), labels.astype(np.int64)


def forward(x: np.ndarray, weights: list[np.ndarray], biases: list[np.ndarray],
            gain: float) -> list[np.ndarray]:
    """Activations (float32) of every layer: tanh, softmax at the output."""
    out = []
    h = x
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        z = h @ (gain * w) + b
        if i == len(weights) - 1:
            e = np.exp(z - z.max(axis=1, keepdims=True))
            h = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
        else:
            h = np.tanh(z).astype(np.float32)
        out.append(h)
    return out


def random_net(widths: tuple[int, ...] = WIDTHS,
               seed: int = 1) -> tuple[list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    fan = (N_BITS, *widths[:-1])
    ws = [(rng.standard_normal((a, b)) / np.sqrt(a)).astype(np.float32)
          for a, b in zip(fan, widths, strict=True)]
    bs = [(0.1 * rng.standard_normal(b)).astype(np.float32) for b in widths]
    return ws, bs


def training_like_run(x: np.ndarray, seed: int = 2) -> list[np.ndarray]:
    """Per layer an (epochs, 4096, width) float32 array; weights grow and drift."""
    rng = np.random.default_rng(seed)
    ws, bs = random_net()
    acts = [np.empty((N_EPOCHS, x.shape[0], w), dtype=np.float32) for w in WIDTHS]
    gains = np.linspace(0.5, 4.0, N_EPOCHS)
    for e in range(N_EPOCHS):
        ws = [w + (0.01 * rng.standard_normal(w.shape)).astype(np.float32) for w in ws]
        for layer, h in enumerate(forward(x, ws, bs, float(gains[e]))):
            acts[layer][e] = h
    return acts


# ------------------------------------------------------------------------------- baseline
def _row_entropy_bits(rows: np.ndarray) -> float:
    """Plug-in entropy (bits) of the distinct rows of a 2-D array, as IDNNs computes it."""
    b = np.ascontiguousarray(rows).view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1])))
    _, counts = np.unique(b, return_counts=True)
    p = counts / float(counts.sum())
    return float(-np.sum(p * np.log2(p)))


def original_plane(t: np.ndarray, bins: np.ndarray, inv_x: np.ndarray, p_x: np.ndarray,
                   inv_y: np.ndarray, p_y: np.ndarray) -> tuple[float, float]:
    """I(X;T), I(T;Y) in bits by the loop over inputs of the original code."""
    digitized = bins[np.digitize(t.reshape(-1), bins) - 1].reshape(len(t), -1)
    h_t = _row_entropy_bits(digitized)
    h_t_x = sum(p_x[i] * _row_entropy_bits(digitized[inv_x == i]) for i in range(p_x.size))
    h_t_y = sum(p_y[i] * _row_entropy_bits(digitized[inv_y == i]) for i in range(p_y.size))
    return h_t - h_t_x, h_t - h_t_y


def groups(x: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, ...]:
    """unique_inverse and probabilities of the distinct inputs and labels (once per run)."""
    xb = np.ascontiguousarray(x).view(np.dtype((np.void, x.dtype.itemsize * x.shape[1])))
    _, inv_x, cnt_x = np.unique(xb.ravel(), return_inverse=True, return_counts=True)
    _, inv_y, cnt_y = np.unique(labels, return_inverse=True, return_counts=True)
    return (inv_x.ravel(), cnt_x / cnt_x.sum(), inv_y.ravel(), cnt_y / cnt_y.sum())


def previous_generic(t: np.ndarray, labels: np.ndarray) -> float:
    """I(X;Y) in nats as the previous ``Binning.estimate`` computed it: joint codes of the
    binned rows, then plug-in entropies by ``bincount`` of cx, cy and cx * (max cy + 1) + cy
    (a table of K_T · K_Y entries: 16.7 M for one label per row at N = 4096)."""
    edges = np.linspace(-1, 1, N_BINS).astype(np.float32)
    cx = joint_codes(np.digitize(t, edges))
    _, cy = np.unique(labels, return_inverse=True)
    n = cx.size

    def h(c: np.ndarray) -> float:
        counts = np.bincount(c)
        counts = counts[counts > 0]
        return float(np.log(n) - np.dot(counts, np.log(counts)) / n)

    return h(cx) + h(cy) - h(cx * (int(cy.max()) + 1) + cy)


# ------------------------------------------------------------------------------- timing
def median_time(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def median_cpu(fn, repeat: int, inner: int = 1) -> float:  # type: ignore[no-untyped-def]
    """Median CPU seconds (time.process_time) per call, over ``repeat`` loops of ``inner``."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        for _ in range(inner):
            fn()
        times.append((time.process_time() - t0) / inner)
    return float(np.median(times))


def generic_path(x: np.ndarray, labels: np.ndarray, inv_x: np.ndarray, p_x: np.ndarray,
                 inv_y: np.ndarray, p_y: np.ndarray) -> None:
    """(3): estimate(t, arange(N)) against the per-input loop, plane() and the old path."""
    n = x.shape[0]
    ws, bs = random_net((10, 7, 5, 4, 3, 1))
    t = forward(x, ws, bs, gain=2.0)[0]                   # the 10-unit tanh layer of (1)
    t64 = t.astype(np.float64)
    bins = np.linspace(-1, 1, N_BINS).astype(np.float32)
    ident = np.arange(n)
    est = Binning(n_bins=N_BINS)
    codes = est.digitize(t)
    load = os.getloadavg()
    print(f"(3) generic discrete path: estimate(t, np.arange(N)), N = {n}, the 10-unit tanh "
          f"layer of (1); CPU time (process_time), load average {load[0]:.2f} "
          f"{load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    values = {
        "estimate(t, arange(N))": est.estimate(t, ident),
        "estimate(t64, arange(N))": est.estimate(t64, ident),
        "discrete.mutual_information": mutual_information(codes, ident),
        "plane(t, labels)[0]": est.plane(t, labels)[0],
        "previous generic path": previous_generic(t, ident),
        "original per-input loop": original_plane(t, bins, inv_x, p_x, inv_y, p_y)[0]
        * np.log(2.0),
    }
    times = {
        "estimate(t, arange(N))": median_cpu(lambda: est.estimate(t, ident), 15, 20),
        "estimate(t64, arange(N))": median_cpu(lambda: est.estimate(t64, ident), 15, 20),
        "discrete.mutual_information": median_cpu(lambda: mutual_information(codes, ident),
                                                  15, 20),
        "plane(t, labels)[0]": median_cpu(lambda: est.plane(t, labels), 15, 20),
        "previous generic path": median_cpu(lambda: previous_generic(t, ident), 7, 3),
        "original per-input loop": median_cpu(
            lambda: original_plane(t, bins, inv_x, p_x, inv_y, p_y), 3),
    }
    ours = times["estimate(t, arange(N))"]
    print(f"{'':>30} {'CPU ms':>9} {'/ estimate':>11}  {'value (nats)':>18}")
    for name, sec in times.items():
        print(f"{name:>30} {sec * 1e3:9.3f} {sec / ours:10.1f}x  {values[name]:18.12f}")
    spread = max(values.values()) - min(values.values())
    print(f"    all six values agree to {spread:.1e} nats (I(X;T) = H(T) = "
          f"{values['estimate(t, arange(N))'] / np.log(2.0):.6f} bits)")


def main() -> None:
    warnings.simplefilter("ignore")   # saturation warnings are expected on this data
    x, labels = make_inputs()
    inv_x, p_x, inv_y, p_y = groups(x, labels)
    if "--generic" in sys.argv[1:]:
        generic_path(x, labels, inv_x, p_x, inv_y, p_y)
        return
    bins = np.linspace(-1, 1, N_BINS).astype(np.float32)
    est = Binning(n_bins=N_BINS, unit="bits")

    print("(1) one (layer, epoch), N = 4096: the 4096 12-bit inputs through a random "
          "12-10-7-5-4-3 tanh net")
    print(f"{'layer':>7} {'baseline ms':>12} {'ours ms':>9} {'ratio':>8}  "
          f"{'I(X;T) ours/base (bits)':>26}  {'I(T;Y) ours/base':>20}")
    ws, bs = random_net((10, 7, 5, 4, 3, 1))
    layers = forward(x, ws, bs, gain=2.0)[:-1]   # the five tanh layers
    for li, t in enumerate(layers, start=1):
        base = original_plane(t, bins, inv_x, p_x, inv_y, p_y)
        ours = est.plane(t, labels)
        tb = median_time(lambda t=t: original_plane(t, bins, inv_x, p_x, inv_y, p_y), 5)
        to = median_time(lambda t=t: est.plane(t, labels), 300)
        print(f"{f'{li} ({t.shape[1]})':>7} {tb * 1e3:12.1f} {to * 1e3:9.3f} {tb / to:7.0f}x  "
              f"{ours[0]:12.6f}/{base[0]:<12.6f}  {ours[1]:9.6f}/{base[1]:<9.6f}")

    print(f"\n(2) full information plane: {N_EPOCHS} epochs x {len(WIDTHS)} layers "
          f"{WIDTHS}, N = 4096, float32")
    t0 = time.perf_counter()
    acts = training_like_run(x)
    print(f"    (activations generated in {time.perf_counter() - t0:.1f} s, "
          f"{sum(a.nbytes for a in acts) / 1e9:.2f} GB)")
    t0 = time.perf_counter()
    plane = [est.plane_many(a, labels) for a in acts]
    ours_s = time.perf_counter() - t0
    # Baseline: too slow for 6748 snapshots; time a sample of epochs per layer, extrapolate.
    sample = np.linspace(0, N_EPOCHS - 1, 4).astype(int)
    t0 = time.perf_counter()
    worst = 0.0
    for li, a in enumerate(acts):
        for e in sample:
            b = original_plane(a[e], bins, inv_x, p_x, inv_y, p_y)
            worst = max(worst, abs(b[0] - plane[li][0][e]), abs(b[1] - plane[li][1][e]))
    base_s = (time.perf_counter() - t0) / sample.size * N_EPOCHS
    print(f"    ours: {ours_s:.2f} s for {N_EPOCHS * len(WIDTHS)} snapshots "
          f"({ours_s / (N_EPOCHS * len(WIDTHS)) * 1e3:.3f} ms each)")
    print(f"    baseline (extrapolated from {sample.size} epochs per layer): {base_s:.0f} s  "
          f"-> ratio {base_s / ours_s:.0f}x;  max |ours - baseline| on the sample: "
          f"{worst:.1e} bits")
    first, last = plane[-1][0][0], plane[-1][0][-1]
    print(f"    output layer I(X;T): epoch 0 {first:.2f} bits -> epoch {N_EPOCHS - 1} "
          f"{last:.2f} bits;  layer 1 I(X;T) at epoch 0: {plane[0][0][0]:.2f} bits")
    del acts, plane
    print()
    generic_path(x, labels, inv_x, p_x, inv_y, p_y)


if __name__ == "__main__":
    main()
