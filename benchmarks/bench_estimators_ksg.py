"""Speed of ``KSG`` / ``MixedKSG`` against baselines run in the same process, same data.

Cases (Gaussian pairs from ``tests/ground_truth.gaussian_pair``: X, Y in R^d, coordinate-wise
correlation ρ = 0.6, k = 3):

* 1-D / 1-D, N = 10^4 and 10^5: ``sklearn.feature_selection.mutual_info_regression(x, y,
  n_neighbors=3)`` (algorithm 1; it scales, jitters, fits NearestNeighbors(chebyshev) on the
  joint sample and two KDTree(chebyshev).query_radius counts) against ``KSG(k=3)``.
* Continuous x, labels (a three-class Gaussian mixture), N = 10^4 and 10^5:
  ``mutual_info_classif`` against ``MixedKSG(k=3)`` (Ross's estimator).
* 10-D / 10-D, N = 10^4 (and N = 3·10^4 unless ``--quick``): scikit-learn cannot do
  multi-dimensional y, so the baseline is the straightforward cKDTree implementation of
  algorithm 1 (default tree, one thread, ``query`` then ``query_ball_point`` with the radius
  moved one float down for the strict count) on the same standardised data.

Every timing is the best of R runs, baseline and ours alternating, so load from other jobs
on this shared machine hits both alike; the ratio is baseline / ours. The estimates are
printed beside the timings: they agree to rounding (same neighbour counts). No assertions.

Run: ``.venv/bin/python benchmarks/bench_estimators_ksg.py [--quick]`` (about 4 minutes; 1 with
``--quick``, which skips N = 3·10^4 in 10-D).
"""

from __future__ import annotations

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


def best_of(fns: list[Callable[[], float]], repeats: int) -> list[tuple[float, float]]:
    """(best seconds, value) of each function, the functions run alternately."""
    times = [np.inf] * len(fns)
    values = [np.nan] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            values[i] = fn()
            times[i] = min(times[i], time.perf_counter() - t0)
    return list(zip(times, values, strict=True))


def straightforward_ksg(x: np.ndarray, y: np.ndarray, k: int = 3) -> float:
    """KSG algorithm 1 the obvious way: default cKDTrees, one thread, per-call queries."""
    n = len(x)
    xy = np.hstack([x, y])
    eps = cKDTree(xy).query(xy, k=k + 1, p=np.inf)[0][:, k]
    r = np.nextafter(eps, 0)
    nx = cKDTree(x).query_ball_point(x, r, p=np.inf, return_length=True) - 1
    ny = cKDTree(y).query_ball_point(y, r, p=np.inf, return_length=True) - 1
    return float(digamma(k) + digamma(n) - np.mean(digamma(nx + 1)) - np.mean(digamma(ny + 1)))


def standardised(a: np.ndarray) -> np.ndarray:
    return (a - a.mean(axis=0)) / a.std(axis=0)


def line(label: str, base: tuple[float, float], ours: list[tuple[str, tuple[float, float]]],
         ) -> None:
    tb, vb = base
    parts = [f"{label:<34} baseline {tb * 1e3:9.1f} ms (I={vb:.6f})"]
    for name, (t, v) in ours:
        parts.append(f"{name} {t * 1e3:8.1f} ms  x{tb / t:5.2f}  |dI|={abs(v - vb):.1e}")
    print("  |  ".join(parts), flush=True)


def main() -> None:
    quick = "--quick" in sys.argv
    print("KSG / MixedKSG benchmark (k=3, rho=0.6); times are best-of-R, ratio = baseline/ours")

    print("\n1-D / 1-D vs sklearn mutual_info_regression")
    for n, reps in ((10_000, 9), (100_000, 3)):
        x, y, mi = gaussian_pair(n, 1, 0.6, seed=0)
        yv = y.ravel()
        res = best_of([
            lambda x=x, yv=yv: float(mutual_info_regression(x, yv, n_neighbors=3,
                                                            random_state=0)[0]),
            lambda x=x, y=y: KSG(k=3).estimate(x, y),
            lambda x=x, y=y: KSG(k=3, n_jobs=1).estimate(x, y),
        ], reps)
        line(f"N={n:>7} (true I={mi:.4f})", res[0],
             [("KSG n_jobs=2", res[1]), ("KSG n_jobs=1", res[2])])

    print("\nx 1-D, 3 classes vs sklearn mutual_info_classif (Ross)")
    for n, reps in ((10_000, 9), (100_000, 3)):
        xc, lab = sample_gaussian_mixture(n, [0.0, 1.0, 2.0], seed=0)
        res = best_of([
            lambda xc=xc, lab=lab: float(mutual_info_classif(xc[:, None], lab, n_neighbors=3,
                                                             random_state=0)[0]),
            lambda xc=xc, lab=lab: MixedKSG(k=3).estimate(xc, lab),
        ], reps)
        line(f"N={n:>7}", res[0], [("MixedKSG", res[1])])

    print("\n10-D / 10-D vs straightforward cKDTree KSG (sklearn cannot do multi-D y)")
    sizes = ((10_000, 3),) if quick else ((10_000, 3), (30_000, 1))
    for n, reps in sizes:
        x, y, mi = gaussian_pair(n, 10, 0.6, seed=0)
        zx, zy = standardised(x), standardised(y)
        res = best_of([
            lambda zx=zx, zy=zy: straightforward_ksg(zx, zy),
            lambda x=x, y=y: KSG(k=3).estimate(x, y),
            lambda x=x, y=y: KSG(k=3, n_jobs=1).estimate(x, y),
        ], reps)
        line(f"N={n:>7} (true I={mi:.3f})", res[0],
             [("KSG n_jobs=2", res[1]), ("KSG n_jobs=1", res[2])])
    print("  (N = 10^5 in 10-D/10-D is not run: k-d trees in 20 dimensions are close to"
          " brute force, O(N^2); expect minutes for ours and several times that for the"
          " baseline.)")


if __name__ == "__main__":
    main()
