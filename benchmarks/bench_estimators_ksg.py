"""Speed of ``KSG``, ``MixedKSG`` and the KSG conditional MI against references in-process.

Every case runs the reference and infoplane (default settings: ``n_jobs=2``) alternately on
the same data, R times; each side's best CPU time (``time.process_time``, all threads) and
best wall time are kept and the ratios reference / ours printed for both. The machine load
(``os.getloadavg``) is printed before each case: on a shared machine wall times of both
sides suffer, CPU times less so. Estimates are printed beside the timings (same neighbour
counts: they agree to ~1e-6, the effect of infoplane's 1e-10 tie-breaking jitter).

References (Gaussian pairs from ``tests/ground_truth.gaussian_pair``, coordinate-wise
correlation 0.6, k = 3):

* ``npeet`` — NPEET's ``mi()`` (Ver Steeg's non-parametric entropy estimation toolbox) in
  its cKDTree form, vectorised: ``cKDTree`` on the joint sample, ``query(k + 1, p=inf)``,
  then per marginal ``cKDTree(...).query_ball_point(r', p=inf, return_length=True)`` with
  ``r' = nextafter(r, 0)`` (NPEET subtracts 1e-15, which is the same strict count except at
  exact ties), one thread as NPEET runs. Differences from NPEET: no 1e-10 noise added
  (NPEET's ``add_noise``) and the data are standardised first, as infoplane does, so that
  both see the same distances; NPEET's newer releases switch to scikit-learn's
  ``KDTree``/``BallTree``, which are slower than cKDTree.
* ``sklearn`` — ``mutual_info_regression`` / ``mutual_info_classif`` (1-D only).
* ``ckdtree`` — the same estimator written the straightforward cKDTree way (MixedKSG's
  ``"gao"`` and ``"ross"``, and the Frenzel–Pompe CMI).

Then the growth of infoplane's time with N: the slope of log(time) against log(N), for
d_x = d_y = d in {1, 5, 10, 20}, and the 20-D/20-D case at N = 3·10^4 (target <= 10 s).

Run: ``.venv/bin/python benchmarks/bench_estimators_ksg.py [--quick]`` (about 4 minutes on
the 2-core machine; ``--quick`` about 1: smaller N for the slowest references and scaling).
No assertions: this prints.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma
from sklearn.feature_selection import mutual_info_classif, mutual_info_regression

from infoplane.estimators.ksg import KSG, MixedKSG

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from ground_truth import gaussian_pair, sample_gaussian_mixture

K = 3
Timing = tuple[float, float, float]          # (best cpu s, best wall s, value)


def timed(fns: list[Callable[[], float]], repeats: int) -> list[Timing]:
    """Best CPU and wall seconds and the value of each function, run alternately."""
    cpu = [np.inf] * len(fns)
    wall = [np.inf] * len(fns)
    val = [np.nan] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            c0, w0 = time.process_time(), time.perf_counter()
            val[i] = fn()
            cpu[i] = min(cpu[i], time.process_time() - c0)
            wall[i] = min(wall[i], time.perf_counter() - w0)
    return list(zip(cpu, wall, val, strict=True))


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def report(label: str, ref_name: str, ref: Timing, ours: Timing) -> None:
    cr, wr, vr = ref
    co, wo, vo = ours
    print(f"  {label:<28} {ref_name} cpu {cr:7.3f}s wall {wr:7.3f}s | infoplane cpu "
          f"{co:7.3f}s wall {wo:7.3f}s | ratio cpu x{cr / co:6.1f} wall x{wr / wo:6.1f} | "
          f"I={vo:.4f} |dI|={abs(vo - vr):.1e} | {load()}", flush=True)


def standardised(a: np.ndarray) -> np.ndarray:
    a = a.reshape(len(a), -1)
    return (a - a.mean(axis=0)) / a.std(axis=0)


# ================================================================================ references

def npeet_mi(x: np.ndarray, y: np.ndarray, k: int = K) -> float:
    """NPEET's ``mi()`` with cKDTree (nats), on the arrays as given, one thread."""
    n = len(x)
    joint = np.hstack([x, y])
    eps = cKDTree(joint).query(joint, k=k + 1, p=np.inf)[0][:, k]
    r = np.nextafter(eps, 0)

    def avgdigamma(z: np.ndarray) -> float:
        counts = cKDTree(z).query_ball_point(z, r, p=np.inf, return_length=True)
        return float(np.mean(digamma(counts)))         # counts include the point itself

    return float(digamma(k) + digamma(n) - avgdigamma(x) - avgdigamma(y))


def ckdtree_cmi(x: np.ndarray, y: np.ndarray, z: np.ndarray, k: int = K) -> float:
    """Frenzel & Pompe (2007) the straightforward cKDTree way (nats), one thread."""
    joint = np.hstack([x, y, z])
    r = np.nextafter(cKDTree(joint).query(joint, k=k + 1, p=np.inf)[0][:, k], 0)

    def avg(a: np.ndarray) -> float:
        return float(np.mean(digamma(cKDTree(a).query_ball_point(a, r, p=np.inf,
                                                                   return_length=True))))

    return float(digamma(k) - avg(np.hstack([x, z])) - avg(np.hstack([y, z])) + avg(z))


def ckdtree_gao(x: np.ndarray, y: np.ndarray, k: int = K) -> float:
    """Gao et al. (2017) in digamma form, the straightforward cKDTree way (nats)."""
    n = len(x)
    joint = np.hstack([x, y])
    tree = cKDTree(joint)
    rho = tree.query(joint, k=k + 1, p=np.inf)[0][:, k]
    kt = np.where(rho > 0, k, tree.query_ball_point(joint, 0.0, p=np.inf,
                                                    return_length=True) - 1)
    r = np.where(rho > 0, np.nextafter(rho, 0), 0.0)
    nx = cKDTree(x).query_ball_point(x, r, p=np.inf, return_length=True) - 1
    ny = cKDTree(y).query_ball_point(y, r, p=np.inf, return_length=True) - 1
    return float(np.mean(digamma(kt) + digamma(n) - digamma(nx + 1) - digamma(ny + 1)))


def ckdtree_ross(x: np.ndarray, labels: np.ndarray, k: int = K) -> float:
    """Ross (2014) the straightforward cKDTree way (as scikit-learn's, with cKDTree)."""
    n = len(x)
    radius = np.empty(n)
    size = np.empty(n)
    for c in np.unique(labels):
        g = labels == c
        radius[g] = cKDTree(x[g]).query(x[g], k=k + 1, p=np.inf)[0][:, k]
        size[g] = g.sum()
    m = cKDTree(x).query_ball_point(x, radius, p=np.inf, return_length=True) - 1
    return float(digamma(n) - np.mean(digamma(size)) + digamma(k) - np.mean(digamma(m)))


# ====================================================================================== cases

def pair(n: int, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x, y, _ = gaussian_pair(n, d, 0.6, seed=0)
    return x, y, standardised(x), standardised(y)


def main() -> None:
    quick = "--quick" in sys.argv
    t_start = time.perf_counter()
    print(f"KSG family benchmark (k={K}); infoplane defaults (n_jobs=2); ratio = reference / "
          f"infoplane; {os.cpu_count()} cores; {load()}")
    # compile (or load from the on-disk cache) the kernels outside the timings
    c0, w0 = time.process_time(), time.perf_counter()
    x, y, _, _ = pair(500, 5)
    KSG().estimate(x, y)
    print(f"  first call (kernel compile or cache load): cpu {time.process_time() - c0:.2f}s "
          f"wall {time.perf_counter() - w0:.2f}s")

    print("\nKSG 1-D / 1-D vs scikit-learn mutual_info_regression")
    for n, reps in ((10_000, 7), (100_000, 2 if quick else 3)):
        x, y, _, _ = pair(n, 1)
        yv = y.ravel()
        ref, ours = timed([
            lambda x=x, yv=yv: float(mutual_info_regression(x, yv, n_neighbors=K,
                                                            random_state=0)[0]),
            lambda x=x, y=y: KSG(k=K).estimate(x, y)], reps)
        report(f"N={n}", "sklearn", ref, ours)

    print("\nKSG d-D / d-D vs NPEET-style (cKDTree, one thread)")
    cases = [(5, 10_000 if quick else 30_000, 1), (10, 5_000 if quick else 10_000, 1)]
    for d, n, reps in cases:
        x, y, zx, zy = pair(n, d)
        ref, ours = timed([lambda zx=zx, zy=zy: npeet_mi(zx, zy),
                           lambda x=x, y=y: KSG(k=K).estimate(x, y)], reps)
        report(f"{d}x{d} N={n}", "npeet", ref, ours)

    print("\nMixedKSG vs scikit-learn (Ross, 1-D) and straightforward cKDTree versions")
    xc, lab = sample_gaussian_mixture(100_000, [0.0, 1.0, 2.0], seed=0)
    ref, ours = timed([
        lambda: float(mutual_info_classif(xc[:, None], lab, n_neighbors=K, random_state=0)[0]),
        lambda: MixedKSG(k=K).estimate(xc, lab)], 2)
    report("ross 1-D N=100000", "sklearn", ref, ours)
    n = 5_000 if quick else 10_000
    lab = np.random.default_rng(1).integers(0, 3, n)
    t = lab[:, None] + np.random.default_rng(2).standard_normal((n, 10))
    ref, ours = timed([lambda: ckdtree_ross(t / t.std(0), lab),
                       lambda: MixedKSG(k=K).estimate(t, lab)], 1)
    report(f"ross 10-D N={n}", "ckdtree", ref, ours)
    x, y, _, _ = pair(n, 5)
    sx, sy = x / x.std(0), y / y.std(0)
    ref, ours = timed([lambda: ckdtree_gao(sx, sy),
                       lambda: MixedKSG(k=K, method="gao").estimate(x, y)], 1)
    report(f"gao 5x5 N={n}", "ckdtree", ref, ours)

    print("\nKSG conditional MI (Frenzel-Pompe) vs straightforward cKDTree")
    for d, n in ((3, 10_000), (5, 5_000 if quick else 10_000)):
        w = np.random.default_rng(3).standard_normal((n, 3 * d))
        w[:, :d] += w[:, 2 * d:]
        w[:, d:2 * d] += w[:, 2 * d:]
        xs, ys, zs = w[:, :d], w[:, d:2 * d], w[:, 2 * d:]
        ref, ours = timed([
            lambda xs=xs, ys=ys, zs=zs: ckdtree_cmi(standardised(xs), standardised(ys),
                                                    standardised(zs)),
            lambda xs=xs, ys=ys, zs=zs: KSG(k=K).estimate_conditional(xs, ys, zs)], 1)
        report(f"cmi {d}x{d}|{d} N={n}", "ckdtree", ref, ours)

    print("\nKSG 20-D / 20-D, N = 30000 (target: <= 10 s wall on 2 cores)")
    n20 = 10_000 if quick else 30_000
    x, y, _, _ = pair(n20, 20)
    (c20, w20, v20), = timed([lambda: KSG(k=K).estimate(x, y)], 1)
    print(f"  20x20 N={n20}: cpu {c20:.2f}s wall {w20:.2f}s I={v20:.4f} | {load()}")

    print("\nGrowth with N: slope of log(time) on log(N) (CPU time; 2 would be O(N^2))")
    grids = {1: (10_000, 30_000, 100_000), 5: (5_000, 10_000, 20_000),
             10: (2_500, 5_000, 10_000), 20: (2_500, 5_000, 10_000)}
    if quick:
        grids = {d: g[:2] for d, g in grids.items()}
    for d, grid in grids.items():
        cpu, wall = [], []
        for n in grid:
            x, y, _, _ = pair(n, d)
            (c, w, _v), = timed([lambda x=x, y=y: KSG(k=K).estimate(x, y)], 2 if d < 10 else 1)
            cpu.append(c)
            wall.append(w)
        slope_c = np.polyfit(np.log(grid), np.log(cpu), 1)[0]
        slope_w = np.polyfit(np.log(grid), np.log(wall), 1)[0]
        cells = "  ".join(f"N={n}: {c:.3f}s" for n, c in zip(grid, cpu, strict=True))
        print(f"  d={d:<3} exponent cpu {slope_c:4.2f} wall {slope_w:4.2f} | {cells} | {load()}",
              flush=True)
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
