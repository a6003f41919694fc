"""Error vs dimension, per estimator: the README figure ``docs/images/error_vs_dimension.png``.

Runs :func:`infoplane.benchmark.run` on the ``dimension`` suite (``lowrank-{d}x{d}-k2`` and
``cube-rot-lowrank-{d}x{d}-k2`` for d = 2 … 200 per side, I = 1.3412 nats throughout) at
n = 5000 with every continuous estimator at its defaults, and draws
:func:`infoplane.plotting.error_vs_dimension_figure`. Results are stored per estimate under
``--out`` (default ``out/dimension``), so an interrupted run resumes.

Run: ``OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/error_vs_dimension.py
[--seeds 1] [--out DIR] [--figure PATH]`` (about 20 minutes of CPU with one seed).
"""

from __future__ import annotations

import argparse

from infoplane import benchmark, plotting
from infoplane.estimators import (
    KSG,
    MINE,
    NWJ,
    SMILE,
    Gaussian,
    InfoNCE,
    LatentMI,
    NormalScores,
    auto,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--out", default="out/dimension")
    parser.add_argument("--figure", default="docs/images/error_vs_dimension.png")
    args = parser.parse_args()
    estimators = {
        "auto": auto(),
        "ksg": KSG(),
        "gaussian": Gaussian(),
        "gaussian-copula (bias-corrected)": NormalScores(base=Gaussian(bias_correction=True)),
        "latentmi": LatentMI(),
        "mine": MINE(), "nwj": NWJ(), "smile": SMILE(), "infonce": InfoNCE(),
    }
    res = benchmark.run(estimators, "suite:dimension", n=5000, seeds=args.seeds, out=args.out,
                        rel_tol=0.15, jobs=1)
    print(res.to_markdown())
    fig = plotting.error_vs_dimension_figure(res.frame)
    fig.savefig(args.figure, dpi=130)
    print(f"wrote {args.figure}")


if __name__ == "__main__":
    main()
