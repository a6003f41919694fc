"""Figures. Every function draws on (and returns) a matplotlib Axes; none calls ``plt.show()``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from infoplane._typing import Unit
from infoplane._validation import unit_factor
from infoplane.capacity.demo import figure1_spectra  # data; re-exported for old callers

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=(5.5, 4.0))
    return new


def mmi_curve(eigenvalues: Any, widths: Any, *, budgets: Any = None, noise_var: float = 1.0,
              unit: Unit = "nats", label: str | None = None, mark_breakpoints: bool = True,
              ax: Axes | None = None, title: str | None = None) -> Axes:
    """Plot MMI(F) against the budget F on a log-x axis, with the breakpoints ρ_k marked.

    Parameters
    ----------
    eigenvalues, widths, noise_var
        As in :func:`infoplane.capacity.mmi`.
    budgets : array_like, optional
        Budgets to evaluate; default 400 log-spaced points spanning the breakpoints.
    unit : {"nats", "bits"}
    label, title : str, optional
    mark_breakpoints : bool, default True
        Dots at MMI(ρ_k), k >= 2 (MMI is continuous and C¹ there; only its curvature jumps).
    ax : Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    from infoplane.capacity import breakpoints, mmi

    ax = _axes(ax)
    rho = breakpoints(eigenvalues, widths, noise_var)
    if budgets is None:
        positive_rho = rho[rho > 0]
        lo = positive_rho.min() / 10 if positive_rho.size else 1e-2
        hi = max(rho.max() * 10, 10 * lo, 1.0)
        budgets = np.geomspace(lo, hi, 400)
    budgets = np.asarray(budgets, dtype=np.float64)
    values = mmi(eigenvalues, widths, budget=budgets, noise_var=noise_var, unit=unit)
    (line,) = ax.plot(budgets, values, label=label, lw=1.8)
    if mark_breakpoints:
        r = rho[1:][rho[1:] > 0]
        ax.plot(r, mmi(eigenvalues, widths, budget=r, noise_var=noise_var, unit=unit), "o",
                ms=2.5, color=line.get_color(), alpha=0.7,
                label=None if label is None else f"breakpoints ρ_k ({label})")
    ax.set_xscale("log")
    ax.set_xlabel("Frobenius budget F = Tr(WᵀW)")
    ax.set_ylabel(f"MMI ({unit})")
    ax.set_title(title or "Maximum mutual information vs budget")
    ax.grid(True, which="both", alpha=0.3)
    if label is not None:
        ax.legend(fontsize=8)
    return ax


def figure1(*, n0: int = 100, n1: int = 50, noise_var: float = 1.0, unit: Unit = "nats",
            budgets: Sequence[float] | None = None) -> Any:
    """Reproduce Figure 1 of the MMI paper: MMI(F), N0 = 100, N1 = 50, σ² = 1.

    Left panel λ_i = e^{-0.1(i-1)}; right panel λ_i = 1/i (indices from 1). Returns the
    matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    unit_factor(unit)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    names = {"exponential": "λ_i = exp(-0.1(i-1))", "harmonic": "λ_i = 1/i"}
    for ax, (key, lam) in zip(axes, figure1_spectra(n0).items(), strict=True):
        name = names[key]
        mmi_curve(lam, n1, budgets=budgets, noise_var=noise_var, unit=unit, ax=ax,
                  label="MMI(F)",
                  title=f"{name}  (N0={n0}, N1={n1}, σ²={noise_var:g})")
    fig.suptitle("MMI paper, Figure 1: MMI(F) of one fully connected layer")
    return fig


# ------------------------------------------------------------------------ information plane

def info_plane(plane: Any, *, ax: Axes | None = None, title: str | None = None,
               cmap: str = "viridis", connect: bool = True, colorbar: bool = True,
               max_lines: int = 60) -> Axes:
    """The classic information plane: a point per layer and recorded step, coloured by step.

    Thin grey lines join the layers of one step (at most ``max_lines`` evenly spaced steps);
    the colour bar maps colour to the step (epoch). With several runs the mean is drawn.

    Parameters
    ----------
    plane : InfoPlane
    ax : Axes, optional
    title : str, optional
    cmap : str
    connect : bool
        Draw the per-step lines across layers.
    colorbar : bool
    max_lines : int

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib as mpl

    ax = _axes(ax)
    ixt, ity = plane.mean()
    steps = np.asarray(plane.steps)
    norm = mpl.colors.LogNorm(vmin=max(steps.min(), 1), vmax=max(steps.max(), 2)) \
        if steps.max() > 10 * max(steps.min(), 1) else mpl.colors.Normalize(steps.min(),
                                                                             steps.max())
    colour = mpl.colormaps[cmap](norm(np.maximum(steps, 1)))
    if connect:
        every = max(1, len(steps) // max_lines)
        for i in range(0, len(steps), every):
            ax.plot(ixt[i], ity[i], "-", color=colour[i], lw=0.4, alpha=0.5)
    markers = "os^Dv<>ph*"
    for j, name in enumerate(plane.layers):
        ax.scatter(ixt[:, j], ity[:, j], c=colour, s=14, marker=markers[j % len(markers)],
                   edgecolors="none", label=name, zorder=3)
    if colorbar:
        sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
        fig = ax.get_figure()
        assert fig is not None
        fig.colorbar(sm, ax=ax, label="step (epoch)")
    ax.set_xlabel(f"I(X;T) ({plane.unit})")
    ax.set_ylabel(f"I(T;Y) ({plane.unit})")
    ax.set_title(title or "Information plane")
    ax.legend(fontsize=7, markerscale=1.2, loc="lower right")
    ax.grid(True, alpha=0.3)
    return ax


def mi_vs_step(plane: Any, *, which: str = "ixt", ax: Axes | None = None,
               title: str | None = None) -> Axes:
    """I(X;T) (``which="ixt"``) or I(T;Y) (``"ity"``) of each layer against the step, with the
    spread over runs shaded when several runs are stacked."""
    ax = _axes(ax)
    mean_x, mean_y = plane.mean()
    std_x, std_y = plane.std()
    mean, std = (mean_x, std_x) if which == "ixt" else (mean_y, std_y)
    steps = np.asarray(plane.steps)
    for j, name in enumerate(plane.layers):
        (line,) = ax.plot(np.maximum(steps, 1), mean[:, j], label=name, lw=1.4)
        if plane.n_runs > 1:
            ax.fill_between(np.maximum(steps, 1), mean[:, j] - std[:, j], mean[:, j] + std[:, j],
                            color=line.get_color(), alpha=0.2, lw=0)
    ax.set_xscale("log")
    ax.set_xlabel("step (epoch)")
    label = "I(X;T)" if which == "ixt" else "I(T;Y)"
    ax.set_ylabel(f"{label} ({plane.unit})")
    ax.set_title(title or f"{label} per layer")
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    return ax


def gradient_snr(steps: Any, mean_norm: Any, std_norm: Any, *, layers: Sequence[str],
                 ax: Axes | None = None, title: str | None = None) -> Axes:
    """Norms of the mean and of the standard deviation of per-batch gradients (log-log)."""
    ax = _axes(ax)
    steps = np.maximum(np.asarray(steps), 1)
    mean_norm, std_norm = np.asarray(mean_norm), np.asarray(std_norm)
    for j, name in enumerate(layers):
        (line,) = ax.plot(steps, mean_norm[:, j], lw=1.3, label=f"{name} mean")
        ax.plot(steps, std_norm[:, j], "--", lw=1.0, color=line.get_color(),
                label=f"{name} std")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step (epoch)")
    ax.set_ylabel("gradient norm")
    ax.set_title(title or "Gradient signal and noise per layer")
    ax.legend(fontsize=6, ncol=2)
    ax.grid(True, which="both", alpha=0.3)
    return ax


def animate_plane(plane: Any, path: str | Any, *, fps: int = 12, max_frames: int = 120,
                  progress: bool = False) -> Any:
    """Write an animation of the information plane over steps: GIF (Pillow) or MP4 (ffmpeg).

    With ``progress`` the frames written are reported (:class:`infoplane._progress.Progress`:
    a bar on a terminal, a plain line every 10 s otherwise). Returns the output path.
    """
    import shutil
    from pathlib import Path

    import matplotlib.pyplot as plt
    from matplotlib import animation

    from infoplane._progress import Progress

    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise ValueError(f"`path` must end in .gif or .mp4, got {str(path)!r}.")
    if suffix == ".mp4" and shutil.which("ffmpeg") is None:
        raise ValueError("`path` asks for MP4 but ffmpeg is not installed; use a .gif path.")
    ixt, ity = plane.mean()
    steps = np.asarray(plane.steps)
    frames = np.unique(np.linspace(0, len(steps) - 1, min(max_frames, len(steps))).astype(int))
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    pad_x = 0.05 * (np.ptp(ixt) or 1.0)
    pad_y = 0.05 * (np.ptp(ity) or 1.0)
    ax.set_xlim(ixt.min() - pad_x, ixt.max() + pad_x)
    ax.set_ylim(ity.min() - pad_y, ity.max() + pad_y)
    ax.set_xlabel(f"I(X;T) ({plane.unit})")
    ax.set_ylabel(f"I(T;Y) ({plane.unit})")
    ax.grid(True, alpha=0.3)
    (line,) = ax.plot([], [], "-o", color="tab:blue", ms=5)
    trail = ax.scatter([], [], s=6, c="tab:gray", alpha=0.4)
    title = ax.set_title("")

    def update(k: int) -> Any:
        i = frames[k]
        line.set_data(ixt[i], ity[i])
        trail.set_offsets(np.column_stack([ixt[: i + 1].ravel(), ity[: i + 1].ravel()]))
        title.set_text(f"Information plane, step {int(steps[i])}")
        return line, trail, title

    anim = animation.FuncAnimation(fig, update, frames=len(frames), blit=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    writer: Any = animation.PillowWriter(fps=fps) if suffix == ".gif" else \
        animation.FFMpegWriter(fps=fps)
    with Progress(len(frames), desc="animation", unit="frames", enabled=progress) as bar:
        anim.save(str(out), writer=writer, progress_callback=lambda i, n: bar.update())
    plt.close(fig)
    return out


def layer_trajectories(plane: Any, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Each layer's path through the information plane over the recorded steps.

    A line per layer (mean over runs) from the first to the last step, with its start (circle)
    and end (square) marked.
    """
    ax = _axes(ax)
    ixt, ity = plane.mean()
    for j, name in enumerate(plane.layers):
        (line,) = ax.plot(ixt[:, j], ity[:, j], "-", lw=1.2, label=name)
        ax.plot(ixt[0, j], ity[0, j], "o", color=line.get_color(), ms=5)
        ax.plot(ixt[-1, j], ity[-1, j], "s", color=line.get_color(), ms=5)
    ax.set_xlabel(f"I(X;T) ({plane.unit})")
    ax.set_ylabel(f"I(T;Y) ({plane.unit})")
    ax.set_title(title or "Layer trajectories (o start, □ end)")
    ax.legend(fontsize=7)
    ax.grid(True, alpha=0.3)
    return ax


def gradient_snr_from_run(run: Any, *, ax: Axes | None = None,
                          title: str | None = None) -> Axes:
    """Gradient mean/std norms per layer from a run recorded with ``grad_stats=True``."""
    from infoplane.store import RunStore

    store = run if isinstance(run, RunStore) else RunStore.open(run)
    steps, rows = [], []
    for step in store.completed_steps():
        grad = store.extras(int(step)).get("grad") or {}
        if grad:
            steps.append(int(step))
            rows.append(grad)
    if not rows:
        raise ValueError(f"`run` must have been recorded with grad_stats=True and "
                         f"observe_gradients(), got no gradient statistics in {store.path}.")
    layers = [name for name in rows[0] if all(name in r for r in rows)]
    mean = np.array([[r[name]["mean"] for name in layers] for r in rows])
    std = np.array([[r[name]["std"] for name in layers] for r in rows])
    return gradient_snr(steps, mean, std, layers=layers, ax=ax, title=title)


# ------------------------------------------------------------------------------- benchmark

def benchmark_figure(result: Any, *, title: str | None = None) -> Any:
    """Estimates against the truth per task, and the error per task, of a benchmark run.

    Left: the mean estimate over seeds against the true I(X;Y), one marker per estimator (and
    sample size), error bars ± one standard deviation over seeds, the line y = x and the
    tolerance band y = x ± max(abs_tol, rel_tol · x). Right: the mean error per task (tasks
    sorted by their truth) with the same error bars and each task's tolerance as a grey band,
    on a symmetric-log axis (linear within ±0.1 nats) so that both small and saturated errors
    stay readable. Tasks an estimator is not applicable to, or where every seed failed, are
    not drawn.

    Parameters
    ----------
    result : infoplane.benchmark.BenchmarkResult
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    per = result.per_task()
    per = per[per["n_ok"] > 0]
    order = (result.frame.drop_duplicates("task").sort_values(["truth", "task"])["task"]
             .tolist())
    n_tasks = max(len(order), 1)
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(12.5, max(4.8, 0.3 * n_tasks + 1.8)), constrained_layout=True,
        gridspec_kw={"width_ratios": [1.0, 1.15]})
    truths = result.frame.drop_duplicates("task").set_index("task")["truth"]
    lo = float(min(truths.min(), 0.0))
    hi = float(truths.max()) if len(truths) else 1.0
    grid = np.linspace(lo, hi, 200)
    tol = result.tolerance(grid)
    left.fill_between(grid, grid - tol, grid + tol, color="0.85", label="tolerance", zorder=0)
    left.plot(grid, grid, color="0.35", lw=1.0, label="y = x", zorder=1)
    groups = list(per.groupby(["estimator", "n"], sort=False))
    several_n = per["n"].nunique() > 1
    markers = "os^Dv<>ph*XP"
    rank = {t: i for i, t in enumerate(order)}
    spread = 0.6 / max(len(groups), 1)
    # estimates far outside the truths' range (a saturated estimator) would flatten the panel:
    # the y-axis spans the truths, and points beyond it are drawn open on its edge
    span = max(hi - lo, 0.5)
    y_lo, y_hi = lo - 0.35 * span, hi + 0.6 * span
    clipped = 0
    widest = 0.3
    for j, ((est, size), g) in enumerate(groups):
        label = f"{est} (n={size})" if several_n else str(est)
        std = np.nan_to_num(g["std"].to_numpy(dtype=np.float64))
        mean = g["mean"].to_numpy(dtype=np.float64)
        err = g["mean_error"].to_numpy(dtype=np.float64)
        inside = (mean >= y_lo) & (mean <= y_hi)
        marker = markers[j % len(markers)]
        truth = g["truth"].to_numpy(dtype=np.float64)
        bars = left.errorbar(truth[inside], mean[inside], yerr=std[inside], fmt=marker, ms=5,
                             capsize=2, lw=0.8, label=label, alpha=0.85, zorder=3)
        colour = bars[0].get_color()
        if not inside.all():
            clipped += int((~inside).sum())
            left.scatter(truth[~inside], np.clip(mean[~inside], y_lo, y_hi), marker=marker,
                         s=30, facecolors="none", edgecolors=colour, zorder=3, clip_on=False)
        pos = np.array([rank[t] for t in g["task"]]) + (j - (len(groups) - 1) / 2) * spread
        right.errorbar(err, pos, xerr=std, fmt=marker, ms=5, capsize=2, lw=0.8,
                       color=colour, alpha=0.85, zorder=3)
        if err.size:
            widest = max(widest, float(np.max(np.abs(err) + std)))
    left.set_ylim(y_lo, y_hi)
    if clipped:
        left.text(0.98, 0.02, f"{clipped} mean(s) beyond the axis, drawn open on its edge",
                  transform=left.transAxes, ha="right", va="bottom", fontsize=7)
    for t, i in rank.items():
        band = float(result.tolerance(truths[t]))
        right.fill_betweenx([i - 0.45, i + 0.45], -band, band, color="0.85", lw=0, zorder=0)
        widest = max(widest, band)
    right.axvline(0.0, color="0.35", lw=1.0, zorder=1)
    right.set_xscale("symlog", linthresh=0.1)
    right.set_xlim(-3.0 * widest, 3.0 * widest)
    right.set_yticks(range(len(order)), [f"{t} ({truths[t]:.2f})" for t in order], fontsize=7)
    right.set_ylim(-0.6, len(order) - 0.4)
    right.set_xlabel("mean error, estimate − truth (nats, symlog)")
    right.set_ylabel("task (true MI, nats)")
    right.set_title("Error per task (grey: tolerance)")
    right.grid(True, axis="x", alpha=0.3)
    left.set_xlabel("true I(X;Y) (nats)")
    left.set_ylabel("estimate (nats, mean ± std over seeds)")
    left.set_title("Estimate vs truth")
    left.grid(True, alpha=0.3)
    left.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=3,
                frameon=False)
    seeds = result.frame["seed"].nunique()
    sizes = ", ".join(str(s) for s in sorted(result.frame["n"].unique()))
    fig.suptitle(title or f"Mutual-information benchmark: {len(order)} tasks, n = {sizes}, "
                 f"{seeds} seed(s)")
    return fig


_DIMS_IN_NAME = r"-(\d+)x(\d+)(?=-|$)"


def _task_dims(name: str) -> tuple[int, int] | None:
    """(d_x, d_y) of a task: the registry's, else the ``-{dx}x{dy}`` in its name, else None."""
    import re

    from infoplane import samplers

    try:
        task = samplers.get(name)
    except KeyError:
        m = re.search(_DIMS_IN_NAME, name)
        return (int(m.group(1)), int(m.group(2))) if m else None
    return task.dim_x, task.dim_y


def error_vs_dimension_figure(frame: Any, *, title: str | None = None, abs_tol: float = 0.1,
                              rel_tol: float = 0.15) -> Any:
    """Error against dimension, one line per estimator, one panel per task family.

    The tasks of a benchmark frame are grouped into families by their name with the
    dimensions taken out (``lowrank-50x50-k2`` and ``lowrank-200x200-k2`` are the family
    ``lowrank-{d}x{d}-k2``; the ``dimension`` suite has two: plain and rotated cube, both at
    I = 1.3412 nats for every d). Each panel draws, per estimator, the mean error
    (estimate − truth, nats) over seeds against the dimension d = max(d_x, d_y) per side on a
    log axis, with ± one standard deviation over seeds, the zero line and the tolerance
    band ± max(abs_tol, rel_tol · truth) in grey (the criterion of the BMI benchmark, Czyż et
    al. 2023, with the 15 % of issue 11). Rows whose status is not ``"ok"`` (an estimator not
    defined at that size, an error) are left out, so a line may start late.

    Parameters
    ----------
    frame : pandas.DataFrame or infoplane.benchmark.BenchmarkResult
        A benchmark frame (columns ``task``, ``estimator``, ``seed``, ``estimate``, ``truth``,
        ``error``, ``status``; :data:`infoplane.benchmark.COLUMNS`), e.g. of
        ``benchmark.run(..., tasks="suite:dimension")``, or the result itself.
    title : str, optional
    abs_tol, rel_tol : float
        The tolerance band.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        A frame without those columns, or with no ok row of a task whose dimensions are known.
    """
    import re

    import matplotlib.pyplot as plt
    import pandas as pd

    f = getattr(frame, "frame", frame)
    if not isinstance(f, pd.DataFrame):
        raise TypeError(f"`frame` must be a benchmark frame (pandas.DataFrame) or a "
                        f"BenchmarkResult, got {type(frame).__name__}.")
    need = {"task", "estimator", "seed", "error", "truth", "status"}
    missing = sorted(need - set(f.columns))
    if missing:
        raise ValueError(f"`frame` must have the benchmark columns {sorted(need)}, got one "
                         f"without {missing}.")
    ok = f[f["status"] == "ok"]
    dims = {t: _task_dims(str(t)) for t in ok["task"].unique()}
    ok = ok[ok["task"].map(lambda t: dims[t] is not None)]
    if ok.empty:
        raise ValueError("`frame` must hold ok estimates of tasks with known dimensions "
                         "(registered names or names with '-{dx}x{dy}'), got none.")
    ok = ok.assign(
        d=ok["task"].map(lambda t: max(dims[t] or (0, 0))),
        family=ok["task"].map(lambda t: re.sub(_DIMS_IN_NAME, "-{d}x{d}", str(t), count=1)))
    per = ok.groupby(["family", "estimator", "d"], sort=True).agg(
        mean=("error", "mean"), std=("error", "std"), truth=("truth", "first")).reset_index()
    families = sorted(per["family"].unique())
    estimators = list(dict.fromkeys(f["estimator"]))   # first-seen order, stable colours
    fig, axes = plt.subplots(1, len(families), figsize=(5.2 * len(families), 4.2),
                             squeeze=False, sharey=True, constrained_layout=True)
    markers = "os^Dv<>ph*XP"
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, fam in zip(axes[0], families, strict=True):
        g = per[per["family"] == fam]
        ds = np.sort(g["d"].unique()).astype(np.float64)
        truth = float(g["truth"].iloc[0])
        band = max(abs_tol, rel_tol * truth)
        ax.axhspan(-band, band, color="0.88", lw=0, zorder=0, label="tolerance")
        ax.axhline(0.0, color="0.35", lw=1.0, zorder=1)
        for j, name in enumerate(estimators):
            e = g[g["estimator"] == name].sort_values("d")
            if e.empty:
                continue
            ax.errorbar(e["d"].to_numpy(dtype=np.float64), e["mean"].to_numpy(dtype=np.float64),
                        yerr=np.nan_to_num(e["std"].to_numpy(dtype=np.float64)),
                        marker=markers[j % len(markers)], ms=5, capsize=2, lw=1.2,
                        color=colours[j % len(colours)], label=str(name), alpha=0.9, zorder=3)
        ax.set_xscale("log")
        if ds.size:
            ax.set_xticks(ds, [f"{int(d)}" for d in ds])
            ax.minorticks_off()
        ax.set_xlabel("dimension per side d")
        ax.set_title(f"{fam} (I = {truth:.3f} nats)", fontsize=9)
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("mean error, estimate − truth (nats)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    for ax in axes[0][1:]:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 6),
               fontsize=8, frameon=False)
    seeds = f["seed"].nunique()
    sizes = ", ".join(str(s) for s in sorted(f["n"].unique())) if "n" in f.columns else "?"
    fig.suptitle(title or f"Error vs dimension: n = {sizes}, {seeds} seed(s), grey band: "
                 f"max({abs_tol:g} nats, {100 * rel_tol:g} %)")
    return fig
