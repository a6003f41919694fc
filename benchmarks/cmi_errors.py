"""Errors of the conditional-MI estimators (``estimate_conditional``) against exact Gaussian CMI.

Cases (jointly Gaussian (X, Y, Z), truth I(X;Y|Z) from the population covariance Σ by
½ log(det Σ_xz det Σ_yz / (det Σ_z det Σ_xyz)), computed here with ``numpy.linalg.slogdet``):

* ``chain``     X → Z → Y: X ~ N(0, 1), Z = X + N(0, 1), Y = Z + N(0, 1). I(X;Y|Z) = 0,
  while I(X;Y) = −½ log(2/3) ≈ 0.203 nats.
* ``collider``  X → Z ← Y: X, Y ~ N(0, 1) independent, Z = X + Y + N(0, 1).
  I(X;Y) = 0, I(X;Y|Z) = −½ log(1 − ρ²) with partial correlation ρ = −1/2: ≈ 0.144 nats.
* ``general``   d_x = d_y = d_z = 1 (a 3-D joint), the correlation matrix of A Aᵀ + I/2 with A
  a fixed 3×3 standard-normal matrix (seed 3).
* ``general6``  the same construction with d_x = d_y = d_z = 2 (6-D joint, seed 6), to show
  how the k-NN bias grows with dimension.

For each case, n ∈ {1000, 5000} and seeds 0..9 (the sample's seed; KSG's jitter seed is 0):
mean ± sd over seeds of (estimate − truth), in nats, for ``Gaussian()`` and ``KSG(k=3)``.

Run: ``.venv/bin/python benchmarks/cmi_errors.py [--seeds 10]`` (about 20 s on 2 cores).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from infoplane.estimators import KSG, Gaussian


def cmi_from_cov(cov: np.ndarray, dx: int, dy: int) -> float:
    """Exact Gaussian I(X;Y|Z) in nats for Σ of [x, y, z] (x: dx columns, y: dy, z: rest)."""
    p = cov.shape[0]
    ix, iy, iz = np.arange(dx), np.arange(dx, dx + dy), np.arange(dx + dy, p)

    def ld(idx: np.ndarray) -> float:
        return float(np.linalg.slogdet(cov[np.ix_(idx, idx)])[1]) if idx.size else 0.0

    return 0.5 * (ld(np.r_[ix, iz]) + ld(np.r_[iy, iz]) - ld(iz) - ld(np.arange(p)))


def random_correlation(p: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).standard_normal((p, p))
    c = a @ a.T + 0.5 * np.eye(p)
    s = np.sqrt(np.diag(c))
    return np.asarray(c / np.outer(s, s))


#: name -> (Σ of [x, y, z], d_x, d_y)
CASES: dict[str, tuple[np.ndarray, int, int]] = {
    "chain": (np.array([[1.0, 1.0, 1.0], [1.0, 3.0, 2.0], [1.0, 2.0, 2.0]]), 1, 1),
    "collider": (np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 3.0]]), 1, 1),
    "general": (random_correlation(3, 3), 1, 1),
    "general6": (random_correlation(6, 6), 2, 2),
}


def sample(cov: np.ndarray, dx: int, dy: int, n: int,
           seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    w = np.random.default_rng(seed).standard_normal((n, cov.shape[0])) @ np.linalg.cholesky(cov).T
    return w[:, :dx], w[:, dx:dx + dy], w[:, dx + dy:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    estimators = {"Gaussian": Gaussian(), "KSG(k=3)": KSG(k=3)}
    print("| case | truth (nats) | n | " + " | ".join(estimators) + " |")
    print("|---|---|---|" + "---|" * len(estimators))
    start = time.perf_counter()
    for name, (cov, dx, dy) in CASES.items():
        truth = cmi_from_cov(cov, dx, dy)
        for n in (1000, 5000):
            cells = []
            for est in estimators.values():
                err = np.array([est.estimate_conditional(*sample(cov, dx, dy, n, s)) - truth
                                for s in range(args.seeds)])
                cells.append(f"{err.mean():+.4f} ± {err.std(ddof=1):.4f}")
            print(f"| {name} | {truth:.4f} | {n} | " + " | ".join(cells) + " |")
    print(f"\n{args.seeds} seeds; mean ± sd of (estimate − truth); "
          f"{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
