"""Held-out versus training-row evaluation of the neural bounds (MINE, NWJ, SMILE, InfoNCE).

For each estimator at its defaults (``eval_fraction=0.3``: the bound on held-out rows, early
stopping on them) and with ``eval_fraction=0`` (the pre-issue-11 behaviour: trained and
evaluated on all rows, no stopping), three seeds each:

* independent X, Y in 100 dimensions, n = 2000 (truth 0);
* Gaussian pairs ``samplers.gaussian_pair`` at d = 1, ρ = 0.9 and d = 5, ρ = 0.5, n = 2000.

It prints the estimates, their mean error, the stopping step and the CPU seconds per
estimate. No assertions (the tests guard the behaviour at smaller sizes).

Run: ``nice -n 10 .venv/bin/python benchmarks/neural_heldout.py [--quick]`` (about 10 minutes
of CPU; ``--quick``: one seed, the held-out default only).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from infoplane.estimators.neural import MINE, NWJ, SMILE, InfoNCE
from infoplane.samplers import gaussian_pair


def main() -> None:
    quick = "--quick" in sys.argv
    seeds = (0,) if quick else (0, 1, 2)
    fractions = (0.3,) if quick else (0.3, 0.0)
    print("case                 frac  estimator  truth   estimates            mean err  "
          "best steps        CPU s/est", flush=True)
    for label, d, rho in (("independent 100-D", 100, 0.0), ("gaussian d=1 rho=0.9", 1, 0.9),
                          ("gaussian d=5 rho=0.5", 5, 0.5)):
        for frac in fractions:
            for cls in (MINE, NWJ, SMILE, InfoNCE):
                vals, steps = [], []
                truth = 0.0
                t0 = time.process_time()
                for seed in seeds:
                    if rho == 0.0:
                        rng = np.random.default_rng(100 + seed)
                        x, y = rng.standard_normal((2000, d)), rng.standard_normal((2000, d))
                    else:
                        x, y, truth = gaussian_pair(2000, d, rho, seed=200 + seed)
                    rep = cls(seed=seed, eval_fraction=frac).fit_report(x, y)
                    vals.append(rep.value)
                    steps.append(rep.best_step)
                cpu = (time.process_time() - t0) / len(seeds)
                est = " ".join(f"{v:6.3f}" for v in vals)
                print(f"{label:<20} {frac:4.1f}  {cls.__name__:<9} {truth:6.3f}  {est:<20} "
                      f"{np.mean(vals) - truth:+8.3f}  {steps!s:<16} {cpu:6.1f}",
                      flush=True)


if __name__ == "__main__":
    main()
