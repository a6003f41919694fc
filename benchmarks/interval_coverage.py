"""Empirical coverage of the estimators' 95 % confidence intervals on the samplers.

For every configuration (task, estimator, interval method, n) the script draws R independent
datasets (``task.sample(n, seed=r)``, r = 0..R−1, so every estimator sees the same datasets),
builds ``estimator.confidence_interval(x, y, level=0.95, seed=r)`` with the estimator's
default method (or the one named in the row), and counts how often the interval holds the
task's exact I(X;Y). It also records the CPU time (``time.process_time``, this process, one
thread: KSG ``n_jobs=1``) of one estimate and of one interval, whose ratio is the cost of an
interval as a multiple of one estimate.

Configurations (n = 1000 and 5000 unless noted; R = 100):

* Gaussian and KSG (default intervals) on four low-dimensional tasks: Gaussian 1×1
  (``normal-dense-1x1-0.75``), Gaussian 3×3 (``normal-dense-3x3-0.5``), Student-t
  (``student-dof2-2x2``) and a transformed task (``halfcube-normal-dense-1x1-0.75``, the
  1×1 Gaussian through x ↦ x·|x|^{1/2} on both sides: same I). Gaussian is exact only on the
  Gaussian tasks; its rows elsewhere show an estimand ≠ I.
* KSG on a second Student-t task (``student-dof1-1x1``), default and split.
* ``NormalScores(KSG)`` (the Gaussian-copula wrapper ``auto()`` uses) on the two Student-t
  tasks, where KSG's own bias breaks coverage.
* KSG on a 10×10 Gaussian (``normal-sparse-10x10-k10-0.3``, n = 1000), where its bias
  (≈ −0.26 nats, KSG docstring) breaks coverage.
* KSG with ``method="split"`` (10 folds) on the same tasks, and with the naive bootstrap on
  the 1×1 Gaussian (n = 1000), to show what the default is chosen against.
* Gaussian ``"bootstrap"`` (basic) against ``"percentile"`` on the 3×3 Gaussian at n = 200,
  where the +d_x·d_y/(2n) bias of the Gaussian fit is a third of its standard deviation.
* MixedKSG (Ross) on a discrete–continuous task (``mixture-labels-0_2``) and Binning (the
  discrete plug-in) on two discrete tables (``table-bsc-0.1``, ``table-skewed-2x2``).
* KDE (``noise_var=0.5``) on a quantised layer: x ∈ {0, 1, 2} with binary labels
  (:data:`KDE_TABLE`), against its own population functional (:func:`kde_population`; the
  KDE bound is not I(X;Y), so the task's MI is not its estimand); default subsampling, and
  the bootstrap (B = 200, n = 1000 only) for comparison.
* ``--neural`` adds MINE and InfoNCE (default intervals) on the 1×1 Gaussian at n = 1000 with
  20 replicates (each interval trains 11 critics).

Results go to ``--out`` (default ``out/coverage``), one JSON file per (task, estimator, n,
block of ``--block`` replicates), written atomically; a re-run skips the blocks already on
disk (resume), so the study can be stopped at any time. The table (task, estimator, method, n,
coverage with its 95 % Clopper–Pearson range, mean width, mean error, error sd, |bias|/sd,
cost multiple, replicates) is printed as text and written as ``coverage.md`` in ``--out``.

Run (about 60–90 minutes of one core for the full study)::

    nice -n 10 .venv/bin/python benchmarks/interval_coverage.py --out out/coverage
    .venv/bin/python benchmarks/interval_coverage.py --out out/coverage --report   # table only
    .venv/bin/python benchmarks/interval_coverage.py --quick --out /tmp/cov        # smoke test
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from infoplane._io import atomic_write, write_json
from infoplane.estimators import (
    KDE,
    KSG,
    Binning,
    Estimator,
    Gaussian,
    MixedKSG,
    NormalScores,
)
from infoplane.samplers import DiscreteTable, MultivariateNormal, Task, get

#: Version of the block files; blocks of another version are recomputed.
VERSION = 1
LEVEL = 0.95


@dataclass(frozen=True)
class Config:
    """One row of the study (before the choice of n)."""

    task: Task
    label: str                       # estimator label in the table
    make: Callable[[], Estimator]
    method: str | None = None        # None: the estimator's default
    n_resamples: int | None = None   # None: the default for that method
    sizes: tuple[int, ...] = (1000, 5000)
    replicates: int | None = None    # None: --replicates
    #: The estimand when it is not the task's I(X;Y) (KDE: its own population functional).
    reference: Callable[[Estimator], float] | None = None

    def truth(self, est: Estimator) -> float:
        return self.task.mutual_information() if self.reference is None else self.reference(est)

    def key(self, n: int) -> str:
        method = self.method or "default"
        return f"{self.task.name}/{self.label}-{method}/n{n}"


def _lowdim() -> list[Task]:
    return [get("normal-dense-1x1-0.75"), get("normal-dense-3x3-0.5"), get("student-dof2-2x2"),
            get("halfcube-normal-dense-1x1-0.75")]


#: A 3 × 2 table for KDE: x ∈ {0, 1, 2} (a quantised layer), y binary labels.
KDE_TABLE = DiscreteTable(table=((0.30, 0.05), (0.10, 0.15), (0.05, 0.35)), label="kde-3x2")


def kde_population(est: Estimator) -> float:
    """KDE's estimand on :data:`KDE_TABLE`: its plug-in functional at the population law.

    The KDE estimate is F(P̂) for the functional F(P) = H(Y) + E_P log(E_P'[k 1{y'=y}] /
    E_P'[k]) (fixed σ²), so on a dataset whose cell counts are exactly proportional to the
    table (1000 rows: every probability is a multiple of 0.05) it returns F(P) itself.
    """
    p = np.asarray(KDE_TABLE.table)
    counts = np.rint(p / p.sum() * 1000).astype(int)
    x = np.repeat(np.arange(p.shape[0]), counts.sum(axis=1)).astype(float)
    y = np.concatenate([np.repeat(np.arange(p.shape[1]), row) for row in counts])
    return est.estimate(x, y)


def configs(neural: bool) -> list[Config]:
    """The study, cheapest rows first (partial results come early)."""
    tasks = _lowdim()
    g1, g3 = tasks[0], tasks[1]
    ten = MultivariateNormal(dim_x=10, dim_y=10, corr=0.3, structure="sparse")
    ksg = lambda: KSG(n_jobs=1)  # noqa: E731 - a factory per row
    out: list[Config] = []
    out += [Config(t, "Gaussian", Gaussian) for t in tasks]
    out += [Config(g3, "Gaussian", Gaussian, sizes=(200,)),
            Config(g3, "Gaussian", Gaussian, method="percentile", sizes=(200,))]
    out += [Config(get(name), "Binning", Binning)
            for name in ("table-bsc-0.1", "table-skewed-2x2")]
    out += [Config(get("mixture-labels-0_2"), "MixedKSG", lambda: MixedKSG(n_jobs=1))]
    out += [Config(KDE_TABLE, "KDE", lambda: KDE(noise_var=0.5, n_threads=1),
                   reference=kde_population)]
    out += [Config(t, "KSG", ksg, method="split") for t in [*tasks, ten]]
    out += [Config(g1, "KSG", ksg, method="bootstrap", n_resamples=100, sizes=(1000,))]
    out += [Config(t, "KSG", ksg) for t in (tasks[0], tasks[3])]
    out += [Config(ten, "KSG", ksg, sizes=(1000,))]
    out += [Config(t, "KSG", ksg) for t in (tasks[2], tasks[1])]
    out += [Config(KDE_TABLE, "KDE", lambda: KDE(noise_var=0.5, n_threads=1),
                   method="bootstrap", n_resamples=200, sizes=(1000,),
                   reference=kde_population)]
    cauchy = get("student-dof1-1x1")    # a second Student-t task: 1×1, one degree of freedom
    out += [Config(cauchy, "KSG", ksg, method="split"), Config(cauchy, "KSG", ksg)]
    # the Gaussian-copula wrapper (what auto() uses) on the tasks where KSG's bias broke
    # coverage: it removes the heavy tails of the marginals
    copula = lambda: NormalScores(base=KSG(n_jobs=1))  # noqa: E731
    out += [Config(cauchy, "NormalScores(KSG)", copula),
            Config(tasks[2], "NormalScores(KSG)", copula, sizes=(1000,))]
    if neural:
        from infoplane.estimators import MINE, InfoNCE

        out += [Config(g1, "MINE", MINE, sizes=(1000,), replicates=20),
                Config(g1, "InfoNCE", InfoNCE, sizes=(1000,), replicates=20)]
    return out


# ==================================================================================== running

def _block_path(out: Path, cfg: Config, n: int, block: int) -> Path:
    return out / cfg.key(n) / f"block{block:03d}.json"


def _load(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == VERSION else None


def _replicate(cfg: Config, est: Estimator, n: int, r: int) -> dict[str, object]:
    x, y = cfg.task.sample(n, seed=r)
    t0 = time.process_time()
    value = est.estimate(x, y)
    t1 = time.process_time()
    ci = est.confidence_interval(x, y, level=LEVEL, method=cfg.method,
                                 n_resamples=cfg.n_resamples, seed=r)
    t2 = time.process_time()
    return {"seed": r, "estimate": value, "value": ci.value, "low": ci.low, "high": ci.high,
            "method": ci.method, "n_resamples": ci.n_resamples,
            "estimate_cpu_s": t1 - t0, "interval_cpu_s": t2 - t1}


def run(cfgs: list[Config], out: Path, replicates: int, block: int) -> None:
    """Compute every missing block (resume: blocks on disk are skipped)."""
    todo = [(cfg, n) for cfg in cfgs for n in cfg.sizes]
    for i, (cfg, n) in enumerate(todo, 1):
        reps = cfg.replicates or replicates
        est = cfg.make()
        truth = cfg.truth(est)
        t_start = time.perf_counter()
        done = 0
        for b, start in enumerate(range(0, reps, block)):
            path = _block_path(out, cfg, n, b)
            seeds = list(range(start, min(start + block, reps)))
            old = _load(path)
            if old is not None and old.get("seeds") == seeds:
                continue
            rows = [_replicate(cfg, est, n, r) for r in seeds]
            write_json(path, {"version": VERSION, "task": cfg.task.name, "truth": truth,
                              "estimator": repr(est), "label": cfg.label,
                              "method": cfg.method or "default", "n": n, "level": LEVEL,
                              "seeds": seeds, "replicates": rows})
            done += len(seeds)
        took = time.perf_counter() - t_start
        print(f"[{i}/{len(todo)}] {cfg.key(n)}: {done} new replicates in {took:.0f} s",
              flush=True)


# ==================================================================================== report

@dataclass(frozen=True)
class Row:
    task: str
    estimator: str
    method: str
    n: int
    coverage: float
    cover_lo: float
    cover_hi: float
    width: float
    error: float
    error_sd: float
    cost: float
    seconds: float
    replicates: int


def _rows_of(out: Path, cfg: Config, n: int, replicates: int, block: int) -> Iterator[dict]:
    reps = cfg.replicates or replicates
    for b, _ in enumerate(range(0, reps, block)):
        data = _load(_block_path(out, cfg, n, b))
        if data is not None:
            yield from data["replicates"]  # type: ignore[misc]


def summarise(cfgs: list[Config], out: Path, replicates: int, block: int) -> list[Row]:
    rows: list[Row] = []
    for cfg in cfgs:
        truth = cfg.truth(cfg.make())
        for n in cfg.sizes:
            reps = list(_rows_of(out, cfg, n, replicates, block))
            if not reps:
                continue
            low = np.array([r["low"] for r in reps])
            high = np.array([r["high"] for r in reps])
            value = np.array([r["value"] for r in reps])
            covered = int(np.sum((low <= truth) & (truth <= high)))
            ci = stats.binomtest(covered, len(reps)).proportion_ci(0.95, method="exact")
            cost = (float(np.mean([r["interval_cpu_s"] for r in reps]))
                    / max(float(np.mean([r["estimate_cpu_s"] for r in reps])), 1e-9))
            methods = sorted({str(r["method"]) for r in reps})
            n_res = sorted({int(r["n_resamples"]) for r in reps})
            rows.append(Row(task=cfg.task.name, estimator=cfg.label,
                            method=f"{'/'.join(methods)} ({'/'.join(map(str, n_res))})", n=n,
                            coverage=covered / len(reps), cover_lo=ci.low, cover_hi=ci.high,
                            width=float(np.mean(high - low)),
                            error=float(np.mean(value - truth)),
                            error_sd=float(np.std(value, ddof=1)) if len(reps) > 1 else math.nan,
                            cost=cost,
                            seconds=float(np.mean([r["interval_cpu_s"] for r in reps])),
                            replicates=len(reps)))
    return rows


_HEAD = ("task", "estimator", "method (B)", "n", "coverage", "95% range", "mean width",
         "mean error", "error sd", "|bias|/sd", "cost ×", "CPU s", "reps")


def _cells(r: Row) -> tuple[str, ...]:
    ratio = abs(r.error) / r.error_sd if r.error_sd > 0 else math.nan
    return (r.task, r.estimator, r.method, str(r.n), f"{r.coverage:.2f}",
            f"{r.cover_lo:.2f}–{r.cover_hi:.2f}", f"{r.width:.3f}", f"{r.error:+.3f}",
            f"{r.error_sd:.3f}", f"{ratio:.1f}", f"{r.cost:.0f}", f"{r.seconds:.2g}",
            str(r.replicates))


def text_table(rows: list[Row]) -> str:
    cells = [_HEAD, *(_cells(r) for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(_HEAD))]
    return "\n".join("  ".join(c[i].ljust(widths[i]) for i in range(len(c))) for c in cells)


def markdown_table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(_HEAD) + " |", "|" + "---|" * len(_HEAD)]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=Path("out/coverage"))
    p.add_argument("--replicates", type=int, default=100)
    p.add_argument("--block", type=int, default=10, help="replicates per result file")
    p.add_argument("--only", default=None, help="substring of the row keys to run")
    p.add_argument("--neural", action="store_true", help="add MINE and InfoNCE rows")
    p.add_argument("--report", action="store_true", help="only print the table")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: n = 300, 6 replicates per row, blocks of 3")
    args = p.parse_args(argv)
    cfgs = configs(args.neural)
    if args.quick:
        cfgs = [Config(c.task, c.label, c.make, c.method, c.n_resamples, sizes=(300,),
                       replicates=6) for c in cfgs]
        args.block = 3
    unique: dict[tuple[str, ...], Config] = {}
    for c in cfgs:                                  # --quick maps rows onto one n
        unique.setdefault(tuple(c.key(n) for n in c.sizes), c)
    cfgs = list(unique.values())
    if args.only:
        cfgs = [c for c in cfgs if any(args.only in c.key(n) for n in c.sizes)]
    warnings.simplefilter("once")
    if not args.report:
        run(cfgs, args.out, args.replicates, args.block)
    rows = summarise(cfgs, args.out, args.replicates, args.block)
    print(text_table(rows))
    md = markdown_table(rows)
    data = (md + "\n").encode()
    atomic_write(args.out / "coverage.md", lambda fh: fh.write(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
