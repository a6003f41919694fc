"""error_vs_dimension_figure: one line per estimator per family, the plotted values are the
mean errors over seeds."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from infoplane.benchmark import COLUMNS
from infoplane.plotting import error_vs_dimension_figure


def _frame() -> pd.DataFrame:
    rows = []
    rng = np.random.default_rng(0)
    for fam in ("lowrank-{d}x{d}-k2", "cube-rot-lowrank-{d}x{d}-k2"):
        for d in (2, 10, 50):
            for est in ("auto", "ksg", "latentmi"):
                for seed in (0, 1):
                    truth = 1.3412
                    status = "error" if (est == "latentmi" and d == 2) else "ok"
                    err = rng.normal(-0.01 * d, 0.05) if status == "ok" else np.nan
                    rows.append({"task": fam.format(d=d), "estimator": est, "n": 5000,
                                 "seed": seed, "estimate": truth + err, "truth": truth,
                                 "error": err, "seconds": 1.0, "wall_seconds": 1.0,
                                 "status": status, "message": ""})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def test_one_line_per_estimator_with_the_mean_errors() -> None:
    frame = _frame()
    fig = error_vs_dimension_figure(frame)
    try:
        axes = [ax for ax in fig.axes if ax.get_title()]
        assert len(axes) == 2                       # two families
        for ax in axes:
            fam = ax.get_title().split(" (")[0]
            lines = {c.get_label(): c.lines[0] for c in ax.containers}
            assert set(lines) == {"auto", "ksg", "latentmi"}
            for est, ln in lines.items():
                sub = frame[(frame["estimator"] == est) & (frame["status"] == "ok")
                            & frame["task"].isin([fam.format(d=d) for d in (2, 10, 50)])]
                want = sub.groupby(sub["task"].str.extract(r"-(\d+)x")[0].astype(int))[
                    "error"].mean().sort_index()
                np.testing.assert_allclose(ln.get_xdata(), want.index.to_numpy(float))
                np.testing.assert_allclose(ln.get_ydata(), want.to_numpy(), rtol=1e-12)
            # the failed latentmi rows (d = 2) are left out: its line starts at d = 10
            assert list(lines["latentmi"].get_xdata()) == [10.0, 50.0]
    finally:
        plt.close(fig)


def test_accepts_a_benchmark_result_and_a_real_run() -> None:
    from infoplane import benchmark
    from infoplane.estimators import Gaussian

    res = benchmark.run(Gaussian(bias_correction=True), ["lowrank-2x2-k2", "lowrank-5x5-k2"],
                        n=300, seeds=1, progress=False)
    fig = error_vs_dimension_figure(res)
    try:
        (ax,) = [a for a in fig.axes if a.get_title()]
        (line,) = [c.lines[0] for c in ax.containers]
        assert list(line.get_xdata()) == [2.0, 5.0]
        np.testing.assert_allclose(line.get_ydata(), res.frame.sort_values("task",
                                   key=lambda s: s.str.len())["error"].to_numpy(), rtol=1e-12)
    finally:
        plt.close(fig)


def test_bad_frames() -> None:
    with pytest.raises(ValueError, match=r"^`frame` must have the benchmark columns"):
        error_vs_dimension_figure(pd.DataFrame({"task": ["a"]}))
    frame = _frame()
    frame["status"] = "error"
    with pytest.raises(ValueError, match=r"^`frame` must hold ok estimates"):
        error_vs_dimension_figure(frame)
    with pytest.raises(TypeError, match=r"^`frame` must be a benchmark frame"):
        error_vs_dimension_figure([1, 2])
