"""The ``infoplane`` command line.

User errors (bad arguments, unreadable files) print one line on stderr and exit with code 2;
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import contextlib
import importlib
import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import numpy as np
from click.core import ParameterSource

from infoplane import __version__
from infoplane._io import load_array, load_arrays, to_json, write_json

USER_ERRORS = (ValueError, TypeError, OSError, ImportError, FloatingPointError)


class _State:
    def __init__(self, quiet: bool, debug: bool) -> None:
        self.quiet = quiet
        self.debug = debug


def _echo(ctx: click.Context, text: str) -> None:
    state: _State = ctx.find_root().obj
    if not state.quiet:
        click.echo(text)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="infoplane")
@click.option("--quiet", "-q", is_flag=True, help="Print only results (no tables or progress).")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, debug: bool) -> None:
    """Information theory of neural networks: capacity, estimators, the information plane."""
    ctx.obj = _State(quiet, debug)


# --------------------------------------------------------------------------------- capacity


def _parse_floats(name: str, text: str) -> np.ndarray:
    try:
        vals = np.array([float(t) for t in text.split(",") if t.strip()], dtype=np.float64)
    except ValueError as exc:
        raise ValueError(f"`{name}` must be comma-separated numbers, got {text!r}.") from exc
    if vals.size == 0:
        raise ValueError(f"`{name}` must hold at least one number, got {text!r}.")
    return vals


def _parse_widths(text: str) -> tuple[int, ...]:
    try:
        ws = tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError as exc:
        raise ValueError(f"`--widths` must be comma-separated integers, got {text!r}.") from exc
    if any(w < 1 for w in ws):
        raise ValueError(f"`--widths` must be layer widths >= 1, got {text!r}.")
    return ws


def _capacity_flags(flags: dict[str, str]) -> Any:
    """Decorator: library errors of a capacity command name the option the user typed."""
    def wrap(fn: Any) -> Any:
        import functools

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with _option_names(flags):
                return fn(*args, **kwargs)
        return run
    return wrap


def _load_model(spec: str) -> Any:
    """Import ``module:attr``; call it if it is a class or factory."""
    if ":" not in spec:
        raise ValueError(f"`--model` must look like 'package.module:attr', got {spec!r}.")
    mod_name, attr = spec.split(":", 1)
    sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(mod_name)
    except ModuleNotFoundError as exc:
        raise ImportError(f"`--model` must name an importable module, got {spec!r} ({exc}; "
                          "the current directory is searched too).") from exc
    except Exception as exc:  # the user's module failed while importing
        raise ValueError(f"`--model` must name a module that imports cleanly, got {spec!r} "
                         f"(importing {mod_name!r} raised {type(exc).__name__}: {exc}).") from exc
    finally:
        sys.path.pop(0)
    try:
        obj = getattr(module, attr)
    except AttributeError as exc:
        raise ValueError(f"`--model` names {attr!r}, which {mod_name!r} does not define.") from exc
    import torch

    if not isinstance(obj, torch.nn.Module) and callable(obj):
        obj = obj()
    if not isinstance(obj, torch.nn.Module):
        raise TypeError(f"`--model` must name a torch.nn.Module or a factory of one, got {obj!r}.")
    return obj


def _spectrum_from_options(data: str, key: str | None, kind: str, shrinkage: str,
                           top: int | None) -> np.ndarray:
    from infoplane.spectrum import spectrum

    arr = load_array(data, key, option="--data", key_option="--key")
    shrink: Any = shrinkage
    with contextlib.suppress(ValueError):
        shrink = float(shrinkage)
    if arr.ndim == 1 or (arr.ndim == 2 and 1 in arr.shape and kind == "eigenvalues"):
        return np.sort(arr.ravel())[::-1]
    if kind == "eigenvalues":
        raise ValueError(f"`--kind eigenvalues` needs a 1-D array, got shape {arr.shape}.")
    return spectrum(arr, shrinkage=shrink, top=top, kind=kind)  # type: ignore[arg-type]


def _data_options(fn: Any) -> Any:
    opts = [
        click.option("--data", "data", required=True, type=click.Path(dir_okay=False),
                     help="Data matrix (samples x features), covariance, or eigenvalues: "
                          ".npy, .npz or .csv."),
        click.option("--key", default=None, help="Array name inside an .npz file."),
        click.option("--kind", type=click.Choice(["auto", "data", "covariance", "eigenvalues"]),
                     default="auto", show_default=True, help="How to read --data."),
        click.option("--shrinkage", default="auto", show_default=True,
                     help="auto, none, ledoit_wolf, or a number in [0, 1]."),
        click.option("--top", type=int, default=None,
                     help="Compute only the TOP largest eigenvalues (huge inputs)."),
        click.option("--noise-var", type=float, default=1.0, show_default=True,
                     help="Noise variance σ² on the representation."),
        click.option("--unit", type=click.Choice(["nats", "bits"]), default="nats",
                     show_default=True,
                     help="Unit of the printed information: nats (natural log) or bits (log2)."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


@cli.group("capacity", invoke_without_command=True)
@click.option("--data", "data", type=click.Path(dir_okay=False), default=None,
              help="Data matrix (samples x features), covariance, or eigenvalues.")
@click.option("--key", default=None, help="Array name inside an .npz file.")
@click.option("--kind", type=click.Choice(["auto", "data", "covariance", "eigenvalues"]),
              default="auto", show_default=True)
@click.option("--shrinkage", default="auto", show_default=True)
@click.option("--top", type=int, default=None)
@click.option("--model", default=None, help="A torch model as 'module:attr' (class, factory or "
              "instance); its layer widths replace --widths.")
@click.option("--widths", default=None, help="Layer widths, e.g. 64,10.")
@click.option("--budget", default=None, help="Budget F (Tr(WᵀW) <= F); comma-separated for "
              "several.")
@click.option("--noise-var", type=float, default=1.0, show_default=True)
@click.option("--unit", type=click.Choice(["nats", "bits"]), default="nats", show_default=True,
              help="Unit of the printed information: nats (natural log) or bits (log2).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
@_capacity_flags({"budget": "--budget", "noise_var": "--noise-var", "eigenvalues": "--data",
                  "widths": "--widths"})
def capacity_cmd(ctx: click.Context, data: str | None, key: str | None, kind: str,
                 shrinkage: str, top: int | None, model: str | None, widths: str | None,
                 budget: str | None, noise_var: float, unit: str, as_json: bool) -> None:
    """MMI of an architecture on your data (closed form, Theorems 1-5).

    \b
    infoplane capacity --data x.npy --widths 64,10 --budget 5
    infoplane capacity --data x.npy --model mypkg.nets:Net --budget 5 --json
    infoplane capacity curve --data x.npy --widths 64,10 -o mmi.png
    infoplane capacity plan --data x.npy --widths 64,10 --target 3
    infoplane capacity figure1 -o figure1.png
    infoplane capacity demo --out out/capacity
    """
    if ctx.invoked_subcommand is not None:
        return
    if data is None or budget is None or (widths is None and model is None):
        raise ValueError("`infoplane capacity` needs --data, --budget and --widths (or --model); "
                         "see `infoplane capacity --help`.")
    from infoplane import capacity

    eig = _spectrum_from_options(data, key, kind, shrinkage, top)
    budgets = _parse_floats("--budget", budget)
    if model is not None:
        if budgets.size != 1:
            raise ValueError("`--budget` must be a single number with --model, "
                             f"got {budget!r}.")
        report = capacity.of_model(_load_model(model), eig, budget=float(budgets[0]),
                                   noise_var=noise_var)
        click.echo(to_json(report.to_dict()) if as_json else str(report))
        return
    ws = _parse_widths(widths or "")
    values = capacity.mmi(eig, ws, budget=budgets, noise_var=noise_var, unit=unit)  # type: ignore[call-overload]
    rho = capacity.breakpoints(eig, ws, noise_var)
    actives = [capacity.water_filling(eig, ws, float(f), noise_var).n_active for f in budgets]
    result = {
        "n0": int(eig.size), "widths": list(ws), "n_tilde": int(min(eig.size, *ws)),
        "noise_var": noise_var, "unit": unit, "budgets": budgets.tolist(),
        "mmi": np.atleast_1d(values).tolist(), "n_active": actives,
        "breakpoints": rho.tolist(),
    }
    if as_json:
        click.echo(to_json(result))
        return
    click.echo(f"N0 = {eig.size}, widths = {list(ws)}, bottleneck Ñ = {result['n_tilde']}, "
               f"σ² = {noise_var:g}")
    click.echo(f"{'budget F':>12}  {'MMI (' + unit + ')':>14}  {'active':>6}")
    for f, v, a in zip(budgets, np.atleast_1d(values), actives, strict=True):
        click.echo(f"{f:12.6g}  {v:14.6f}  {a:6d}")


@capacity_cmd.command("curve")
@_data_options
@click.option("--widths", required=True, help="Layer widths, e.g. 64,10.")
@click.option("--budgets", default=None, help="Comma-separated budgets (default: log grid).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Figure file (.png, .pdf, .svg).")
@click.pass_context
@_capacity_flags({"budget": "--budgets", "budgets": "--budgets", "noise_var": "--noise-var",
                  "eigenvalues": "--data", "widths": "--widths"})
def capacity_curve(ctx: click.Context, data: str, key: str | None, kind: str, shrinkage: str,
                   top: int | None, noise_var: float, unit: str, widths: str,
                   budgets: str | None, output: str) -> None:
    """Plot MMI(F) with its breakpoints."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from infoplane.plotting import mmi_curve

    eig = _spectrum_from_options(data, key, kind, shrinkage, top)
    ws = _parse_widths(widths)
    grid = None if budgets is None else _parse_floats("--budgets", budgets)
    ax = mmi_curve(eig, ws, budgets=grid, noise_var=noise_var, unit=unit,  # type: ignore[arg-type]
                   title=f"MMI(F), N0={eig.size}, widths={list(ws)}")
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    fig = ax.get_figure(root=True)
    assert fig is not None
    fig.savefig(output, dpi=150)
    plt.close(fig)
    _echo(ctx, f"wrote {output}")


@capacity_cmd.command("plan")
@_data_options
@click.option("--target", type=float, required=True, help="Target MMI (in --unit).")
@click.option("--widths", default=None, help="Widths: find the smallest budget reaching target.")
@click.option("--budget", type=float, default=None,
              help="Budget: find the smallest width reaching target.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.pass_context
@_capacity_flags({"budget": "--budget", "target": "--target", "noise_var": "--noise-var",
                  "eigenvalues": "--data", "widths": "--widths"})
def capacity_plan(ctx: click.Context, data: str, key: str | None, kind: str, shrinkage: str,
                  top: int | None, noise_var: float, unit: str, target: float,
                  widths: str | None, budget: float | None, as_json: bool) -> None:
    """Inverse design: the smallest budget (given --widths) or width (given --budget)."""
    from infoplane import capacity

    if (widths is None) == (budget is None):
        raise ValueError("`infoplane capacity plan` needs exactly one of --widths (to find the "
                         "budget) or --budget (to find the width).")
    eig = _spectrum_from_options(data, key, kind, shrinkage, top)
    out: dict[str, Any] = {"target": target, "unit": unit, "noise_var": noise_var}
    if widths is not None:
        ws = _parse_widths(widths)
        out.update(widths=list(ws), min_budget=capacity.min_budget(
            eig, ws, target, noise_var, unit=unit))  # type: ignore[arg-type]
        line = f"smallest budget F reaching {target:g} {unit} with widths {list(ws)}: " \
               f"{out['min_budget']:.6g}"
    else:
        assert budget is not None
        out.update(budget=budget, min_width=capacity.min_width(
            eig, target, budget, noise_var, unit=unit))  # type: ignore[arg-type]
        line = f"smallest width reaching {target:g} {unit} at budget {budget:g}: " \
               f"{out['min_width']}"
    click.echo(to_json(out) if as_json else line)


@capacity_cmd.command("figure1")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The figure file to write (.png, .pdf or .svg).")
@click.option("--unit", type=click.Choice(["nats", "bits"]), default="nats", show_default=True,
              help="Unit of the printed information: nats (natural log) or bits (log2).")
@click.pass_context
def capacity_figure1(ctx: click.Context, output: str, unit: str) -> None:
    """Reproduce Figure 1 of the MMI paper (N0 = 100, N1 = 50, σ² = 1)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from infoplane.plotting import figure1

    fig = figure1(unit=unit)  # type: ignore[arg-type]
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=150)
    plt.close(fig)
    _echo(ctx, f"wrote {output}")


@capacity_cmd.command("demo")
@click.option("--out", "out_dir", default="out/capacity", show_default=True,
              type=click.Path(file_okay=False),
              help="Directory for figure1.png and figure1.json (created).")
@click.pass_context
def capacity_demo(ctx: click.Context, out_dir: str) -> None:
    """Figure 1 (PNG), its numbers (JSON) and a short table on stdout."""
    import matplotlib

    from infoplane.capacity.demo import figure1_numbers

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from infoplane.plotting import figure1

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig = figure1()
    fig.savefig(out / "figure1.png", dpi=150)
    plt.close(fig)
    numbers = figure1_numbers()
    write_json(out / "figure1.json", numbers)
    click.echo("MMI paper, Figure 1 (N0 = 100, N1 = 50, σ² = 1), MMI in nats")
    budgets = numbers["table_budgets"]
    click.echo(f"{'spectrum':<12} " + " ".join(f"F={f:<8g}" for f in budgets)
               + f" {'ρ_Ñ':>10} {'max |jump|':>11}")
    for name, row in numbers["spectra"].items():
        vals = " ".join(f"{v:<10.4f}" for v in row["table_mmi"])
        click.echo(f"{name:<12} {vals} {row['rho_max']:10.4g} {row['max_value_jump']:11.1e}")
    click.echo("MMI(F) is continuous and C¹ at every breakpoint (max |jump| is round-off); "
               "only its curvature jumps.")
    click.echo(f"wrote {out / 'figure1.png'} and {out / 'figure1.json'}")


# -------------------------------------------------------------------------------- estimate

_ESTIMATORS = {
    "auto": "Auto", "binning": "Binning", "kde": "KDE", "ksg": "KSG", "mixed": "MixedKSG",
    "gaussian": "Gaussian", "mine": "MINE", "infonce": "InfoNCE", "nwj": "NWJ", "smile": "SMILE",
    "latent": "LatentMI",
}


def _option_value(text: str) -> Any:
    """Parse an estimator option value: int, float, comma tuple, bool or string."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    if "," in text:
        return tuple(_option_value(t) for t in text.split(","))
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def _make_estimator(name: str, options: tuple[str, ...], unit: str, seed: int) -> Any:
    import dataclasses

    from infoplane import estimators

    cls = getattr(estimators, _ESTIMATORS[name])
    fields = {f.name for f in dataclasses.fields(cls) if f.init}
    kwargs: dict[str, Any] = {"unit": unit, "seed": seed}
    for item in options:
        if "=" not in item:
            raise ValueError(f"`--option` must look like NAME=VALUE, got {item!r}.")
        key, value = item.split("=", 1)
        key = key.strip().replace("-", "_")
        if key not in fields:
            raise ValueError(f"`--option {key}` does not apply to {cls.__name__}; its options "
                             f"are {', '.join(sorted(fields))}.")
        kwargs[key] = _option_value(value)
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as exc:  # name the -O option the user typed
        m = re.match(r"`(\w+)`", str(exc))
        if m and m.group(1) in kwargs and m.group(1) not in ("unit", "seed"):
            raise type(exc)(f"`-O {m.group(1)}`" + str(exc)[m.end():]) from exc
        raise


@cli.command("estimate")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--x", "x_key", required=True, help="Array name of X (or of the layer T with "
              "--plane) in FILE.")
@click.option("--y", "y_key", required=True, help="Array name of Y (the labels with --plane).")
@click.option("--z", "z_key", default=None, help="Array name of Z: estimate the conditional "
              "I(X;Y|Z) (KSG, Gaussian, Binning, auto).")
@click.option("--estimator", "name", type=click.Choice(sorted(_ESTIMATORS)), default="auto",
              show_default=True, help="Estimator; 'auto' picks one from the data and says which.")
@click.option("--option", "-O", "options", multiple=True, metavar="NAME=VALUE",
              help="An estimator option, e.g. -O k=5 or -O bounds=-1,1 (repeatable).")
@click.option("--plane", is_flag=True, help="Treat X as a layer T and Y as labels: print "
              "I(X;T) and I(T;Y) of the information plane.")
@click.option("--ci", "ci_level", type=float, default=None, metavar="LEVEL",
              help="Also print a confidence interval at this level, e.g. --ci 0.95.")
@click.option("--n-resamples", type=int, default=None,
              help="Resamples of the interval (default: the estimator's own).")
@click.option("--test", "run_test", is_flag=True,
              help="Also print the p-value of a permutation test of independence.")
@click.option("--n-permutations", type=int, default=199, show_default=True,
              help="Permutations of --test.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the estimator and of resampling.")
@click.option("--unit", type=click.Choice(["nats", "bits"]), default="nats", show_default=True,
              help="Unit of the printed values.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def estimate_cmd(ctx: click.Context, file: str, x_key: str, y_key: str, z_key: str | None,
                 name: str, options: tuple[str, ...], plane: bool, ci_level: float | None,
                 n_resamples: int | None, run_test: bool, n_permutations: int, seed: int,
                 unit: str, as_json: bool) -> None:
    """Estimate I(X;Y) (or I(X;Y|Z)) from arrays of an .npz file.

    \b
    infoplane estimate data.npz --x x --y y                  # auto-chosen estimator
    infoplane estimate data.npz --x x --y y --ci 0.95 --test
    infoplane estimate data.npz --x x --y y --z z --estimator ksg -O k=5 --json
    infoplane estimate data.npz --x t --y labels --estimator binning --plane --unit bits
    """
    for flag, param, needs, given in (("--n-resamples", "n_resamples", "--ci", ci_level),
                                      ("--n-permutations", "n_permutations", "--test",
                                       run_test or None)):
        if ctx.get_parameter_source(param) is ParameterSource.COMMANDLINE and given is None:
            raise ValueError(f"`{flag}` needs {needs}: it sets how {needs} is computed.")
    if plane and (z_key is not None or ci_level is not None or run_test):
        raise ValueError("`--plane` cannot be combined with --z, --ci or --test.")
    if z_key is not None and (ci_level is not None or run_test):
        raise ValueError("`--z` cannot be combined with --ci or --test (intervals and tests "
                         "are for I(X;Y)).")
    if ci_level is not None and not 0.0 < ci_level < 1.0:
        raise ValueError(f"`--ci` must be a level in (0, 1), e.g. 0.95, got {ci_level!r}.")
    wanted = {"--x": x_key, "--y": y_key, **({"--z": z_key} if z_key else {})}
    loaded = load_arrays(file, wanted, option="FILE")  # checks every header before reading
    x, y, z = loaded["--x"], loaded["--y"], loaded.get("--z")
    arrays = {"x": f"--x {x_key}", "t": f"--x {x_key}", "y": f"--y {y_key}",
              "labels": f"--y {y_key}", "z": f"--z {z_key}"}
    typed = {k.split("=", 1)[0].strip().replace("-", "_") for k in options if "=" in k}
    with _option_names({**_ESTIMATE_FLAGS, **arrays, **{k: f"-O {k}" for k in typed}}):
        _estimate_and_print(name, options, unit, seed, x, y, z, plane, ci_level, n_resamples,
                            run_test, n_permutations, as_json)


#: The library argument behind each `estimate` option (for error messages).
_ESTIMATE_FLAGS = {"level": "--ci", "n_resamples": "--n-resamples",
                   "n_permutations": "--n-permutations", "seed": "--seed"}


@contextlib.contextmanager
def _option_names(flags: dict[str, str]) -> Iterator[None]:
    """Re-raise a ValueError/TypeError whose message starts with a library argument name
    (```n_resamples` must ...``) under the command-line option the user typed."""
    try:
        yield
    except (ValueError, TypeError) as exc:
        text = str(exc)
        m = re.match(r"`(\w+)`", text)
        if m and m.group(1) in flags:
            raise type(exc)(f"`{flags[m.group(1)]}`" + text[m.end():]) from exc
        raise


def _estimate_and_print(name: str, options: tuple[str, ...], unit: str, seed: int,
                        x: np.ndarray, y: np.ndarray, z: np.ndarray | None, plane: bool,
                        ci_level: float | None, n_resamples: int | None, run_test: bool,
                        n_permutations: int, as_json: bool) -> None:
    est = _make_estimator(name, options, unit, seed)
    result: dict[str, Any] = {"estimator": repr(est), "unit": unit, "n": len(x)}
    lines: list[str] = []
    if name == "auto" and plane:
        raise ValueError("`--plane` needs an estimator with an information-plane pair: pass "
                         "--estimator binning, kde, ksg or mixed (auto has none).")
    if name == "auto":
        chosen = est.choose(x, y) if z is None else est.choose_conditional(x, y, z)
        result["chosen"] = repr(chosen)
        lines.append(f"auto chose {chosen!r}")
    if plane:
        try:
            ixt, ity = est.plane(x, y)
        except NotImplementedError as exc:
            raise ValueError(f"`--estimator {name}` has no information-plane pair for "
                             f"--plane ({exc})") from None
        result.update(i_xt=ixt, i_ty=ity)
        lines.append(f"I(X;T) = {ixt:.6f} {unit}   I(T;Y) = {ity:.6f} {unit}   ({est!r})")
    elif z is not None:
        value = est.estimate_conditional(x, y, z)
        result.update(cmi=value)
        lines.append(f"I(X;Y|Z) = {value:.6f} {unit}   ({est!r})")
    else:
        value = est.estimate(x, y)
        result.update(mi=value)
        lines.append(f"I(X;Y) = {value:.6f} {unit}   ({est!r})")
        if ci_level is not None:
            iv = est.confidence_interval(x, y, level=ci_level, n_resamples=n_resamples,
                                         seed=seed)
            result["ci"] = {"low": iv.low, "high": iv.high, "level": iv.level,
                            "method": iv.method, "n_resamples": iv.n_resamples}
            lines.append(f"{100 * iv.level:g} % interval [{iv.low:.6f}, {iv.high:.6f}] {unit}"
                         f"   ({iv.method}, {iv.n_resamples} resamples)")
        if run_test:
            tr = est.independence_test(x, y, n_permutations=n_permutations, seed=seed)
            result["test"] = {"p_value": tr.p_value, "n_permutations": tr.n_permutations}
            lines.append(f"independence test: p = {tr.p_value:.4g}"
                         f"   ({tr.n_permutations} permutations)")
    click.echo(to_json(result) if as_json else "\n".join(lines))


# ------------------------------------------------------------------------------- benchmark

#: Estimators scored by `infoplane benchmark` without --estimator: every built-in except the
#: neural bounds (MINE, InfoNCE), which take minutes per estimate at n = 5000.
_BENCHMARK_DEFAULT = ("auto", "binning", "kde", "ksg", "mixed", "gaussian")


class _BenchmarkCommand(click.Command):
    """Records which ``-O``/``--option`` belongs to which ``--estimator`` (the one before it).

    Click gathers repeated options into separate tuples and loses their interleaving, so the
    raw arguments are scanned first; click then parses (and validates) them as usual.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value = {o for p in self.params if isinstance(p, click.Option) and not p.is_flag
                       for o in p.opts}
        groups: list[tuple[str, list[str]]] = []
        i = 0
        while i < len(args):
            tok = args[i]
            if tok == "--":
                break
            name, eq, value = tok.partition("=")
            if name == "--estimator" or (tok.startswith("--estimator") and eq):
                if not eq:
                    i += 1
                    value = args[i] if i < len(args) else ""
                groups.append((value, []))
            elif name == "--option" or tok == "-O" or (tok.startswith("-O") and len(tok) > 2):
                if tok == "-O" or (name == "--option" and not eq):
                    i += 1
                    value = args[i] if i < len(args) else ""
                elif tok.startswith("-O"):
                    value = tok[2:]
                if not groups:
                    raise ValueError(f"`-O {value}` must follow the `--estimator NAME` it "
                                     "applies to, e.g. --estimator ksg -O k=5.")
                groups[-1][1].append(value)
            elif tok in takes_value:
                i += 1
            i += 1
        ctx.meta["benchmark_estimators"] = groups
        return super().parse_args(ctx, args)


#: The run() argument behind each benchmark option (for error messages).
_BENCHMARK_FLAGS = {"n": "--n", "seeds": "--seeds", "tasks": "--tasks", "jobs": "--jobs",
                    "backend": "--backend", "scheduler": "--scheduler",
                    "abs_tol": "--abs-tol", "rel_tol": "--rel-tol", "out": "--out"}


def _benchmark_estimators(groups: list[tuple[str, list[str]]]) -> dict[str, Any]:
    chosen = groups or [(name, []) for name in _BENCHMARK_DEFAULT]
    out: dict[str, Any] = {}
    for name, opts in chosen:
        label = f"{name}({', '.join(opts)})" if opts else name
        if label in out:
            raise ValueError(f"`--estimator` must not repeat an estimator with the same "
                             f"options, got {label!r} twice.")
        try:
            out[label] = _make_estimator(name, tuple(opts), "nats", 0)
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"{exc} (in --estimator {label})") from exc
    return out


@cli.command("benchmark", cls=_BenchmarkCommand)
@click.option("--estimator", "names", multiple=True, type=click.Choice(sorted(_ESTIMATORS)),
              help="An estimator to score (repeatable; default: "
                   f"{', '.join(_BENCHMARK_DEFAULT)}). The -O options after it are its own.")
@click.option("--option", "-O", "options", multiple=True, metavar="NAME=VALUE",
              help="An option of the preceding --estimator, e.g. --estimator ksg -O k=5 "
                   "--estimator binning -O mode=quantile -O n_bins=10 (repeatable).")
@click.option("--tasks", "task_specs", multiple=True, default=("bmi",), show_default=True,
              help="Tasks: names, fnmatch patterns ('normal-*') or suites ('bmi', 'lowdim', "
                   "'highdim', 'all'; or 'suite:NAME'); comma-separated or repeated.")
@click.option("--n", "sizes", default="5000", show_default=True,
              help="Samples per estimate; comma-separated for several sizes.")
@click.option("--seeds", type=int, default=3, show_default=True,
              help="Seeds 0..SEEDS-1: each draws its own sample (and seeds the estimator).")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Directory for the per-estimate results (a re-run resumes), results.csv, "
                   "summary.json, summary.md and benchmark.png. Default: write nothing.")
@click.option("--jobs", type=int, default=1, show_default=True,
              help="Estimates at the same time; 1 runs them in this process, -1 = one per "
                   "CPU core.")
@click.option("--backend", type=click.Choice(["loky", "dask", "ray"]), default="loky",
              show_default=True, help="Local processes (loky), a Dask or a Ray cluster.")
@click.option("--scheduler", default=None, help="Dask scheduler or Ray cluster address "
              "(default: start a local one).")
@click.option("--abs-tol", type=float, default=0.1, show_default=True,
              help="Tolerance floor in nats: within when |mean error| <= max(ABS_TOL, "
                   "REL_TOL x truth).")
@click.option("--rel-tol", type=float, default=0.1, show_default=True,
              help="Relative tolerance (fraction of the true MI).")
@click.option("--no-standardize", is_flag=True,
              help="Do not z-score the continuous columns before estimating.")
@click.option("--list", "list_only", is_flag=True,
              help="List the selected tasks (dimensions, data kinds, true MI) and exit.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def benchmark_cmd(ctx: click.Context, names: tuple[str, ...], options: tuple[str, ...],
                  task_specs: tuple[str, ...], sizes: str, seeds: int, out_dir: str | None,
                  jobs: int, backend: str, scheduler: str | None, abs_tol: float,
                  rel_tol: float, no_standardize: bool, list_only: bool,
                  as_json: bool) -> None:
    """Score estimators on tasks with known mutual information.

    Prints, per estimator, the tasks within tolerance and the mean absolute error (nats).

    \b
    infoplane benchmark --estimator ksg --estimator gaussian --tasks bmi --out out/bench
    infoplane benchmark --estimator ksg -O k=5 --estimator ksg -O k=10 --tasks 'normal-*'
    infoplane benchmark --tasks normal-dense-1x1-0.75,student-dof1-1x1 --n 200 --seeds 2
    """
    from infoplane import benchmark

    state: _State = ctx.find_root().obj
    specs = [s.strip() for spec in task_specs for s in spec.split(",") if s.strip()]
    if not specs:
        raise ValueError(f"`--tasks` must name at least one task, got {task_specs!r}.")
    try:
        n = [int(t) for t in sizes.split(",") if t.strip()]
    except ValueError:
        raise ValueError(f"`--n` must be comma-separated integers, got {sizes!r}.") from None
    if not n:
        raise ValueError(f"`--n` must hold at least one sample size, got {sizes!r}.")
    with _option_names(_BENCHMARK_FLAGS):  # name the option the user typed
        selected = benchmark.resolve_tasks(specs)
        if list_only:
            for t in selected:
                kinds = "/".join("discrete" if d else "continuous"
                                 for d in (t.x_discrete, t.y_discrete))
                click.echo(f"{t.name:<40} {t.dim_x:>3} x {t.dim_y:<3} {kinds:<22} "
                           f"I = {t.mutual_information():.4f} nats")
            return
        groups = ctx.meta.get("benchmark_estimators", [])
        result = benchmark.run(_benchmark_estimators(groups), selected, n=n, seeds=seeds,
                               out=out_dir, standardize=not no_standardize, abs_tol=abs_tol,
                               rel_tol=rel_tol, jobs=jobs, backend=backend,  # type: ignore[arg-type]
                               scheduler=scheduler, progress=not state.quiet)
    if as_json:
        click.echo(to_json(result.to_dict()))
    else:
        click.echo(result.to_markdown().rstrip("\n"))
    if out_dir is not None:
        _echo(ctx, f"wrote {Path(out_dir) / 'summary.md'}, summary.json, results.csv, "
                   "benchmark.png")


# ----------------------------------------------------------------------------------- plane

@cli.command("plane")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--estimator", "name", type=click.Choice(sorted(set(_ESTIMATORS) - {"auto"})),
              default="binning", show_default=True,
              help="The estimator of I(X;T) and I(T;Y) at every recorded step.")
@click.option("--option", "-O", "options", multiple=True, metavar="NAME=VALUE",
              help="An estimator option, e.g. -O n_bins=30 -O mode=adaptive (repeatable).")
@click.option("--layers", default=None, help="Comma-separated layer names (default: all).")
@click.option("--unit", type=click.Choice(["nats", "bits"]), default="bits", show_default=True,
              help="Unit of the printed information: nats (natural log) or bits (log2).")
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
              help="Figure of the plane (.png/.pdf/.svg).")
@click.option("--animate", default=None, type=click.Path(dir_okay=False),
              help="Animation of the plane over steps (.gif, or .mp4 with ffmpeg).")
@click.option("--save", default=None, type=click.Path(dir_okay=False),
              help="Save the plane (.npz + .json) for later.")
@click.option("--json", "as_json", is_flag=True, help="Print the plane as JSON.")
@click.pass_context
def plane_cmd(ctx: click.Context, run_dir: str, name: str, options: tuple[str, ...],
              layers: str | None, unit: str, output: str | None, animate: str | None,
              save: str | None, as_json: bool) -> None:
    """Information plane of a run recorded by infoplane.Recorder.

    \b
    infoplane plane runs/tanh-seed0 -o plane.png --animate plane.gif
    infoplane plane runs/relu-seed0 -O mode=adaptive -o plane.png
    """
    from infoplane.plane import InfoPlane

    state: _State = ctx.find_root().obj
    est = _make_estimator(name, options, unit, 0)
    names = None if layers is None else [t.strip() for t in layers.split(",") if t.strip()]
    with _option_names({"path": "RUN_DIR", "run": "RUN_DIR", "layers": "--layers"}):
        plane = InfoPlane.compute(run_dir, est, layers=names, progress=not state.quiet)
    if save is not None:
        _echo(ctx, f"wrote {plane.save(save)}")
    if output is not None or animate is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from infoplane.plotting import animate_plane, info_plane

        if output is not None:
            ax = info_plane(plane, title=f"Information plane ({est!r})")
            fig = ax.get_figure(root=True)
            assert fig is not None
            Path(output).parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(output, dpi=150, bbox_inches="tight")
            plt.close(fig)
            _echo(ctx, f"wrote {output}")
        if animate is not None:
            _echo(ctx, f"wrote {animate_plane(plane, animate, progress=not state.quiet)}")
    if as_json:
        click.echo(to_json({"steps": plane.steps, "layers": list(plane.layers),
                            "i_xt": plane.ixt, "i_ty": plane.ity, "unit": plane.unit,
                            "estimator": plane.estimator}))
    elif output is None and animate is None and save is None:
        click.echo(plane.to_frame().to_string(index=False))


# ------------------------------------------------------------------------------ experiment

@cli.command("experiment")
@click.argument("name", type=click.Choice(["tishby", "saxe-relu", "saxe-gaussian"]))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Output directory (runs, planes, figures, summary.json).")
@click.option("--seeds", type=int, default=5, show_default=True,
              help="Independent networks, trained together as one batched model.")
@click.option("--epochs", type=int, default=None,
              help="Training epochs (default: 8000, or 1000 with --quick).")
@click.option("--quick", is_flag=True, help="A small, fast version of the experiment.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of network 0 (network k uses seed + k), the split and the data.")
@click.pass_context
def experiment_cmd(ctx: click.Context, name: str, out_dir: str, seeds: int,
                   epochs: int | None, quick: bool, seed: int) -> None:
    """The information-plane experiments: Shwartz-Ziv & Tishby (tanh) and Saxe et al.

    \b
    tishby         tanh 12-10-7-5-4-3-2 on the 12-bit task: fitting, then compression
    saxe-relu      ReLU hidden layers, range-aware estimators (and the fixed-bin artefact)
    saxe-gaussian  Gaussian inputs with random labels
    """
    from infoplane.papers.interpretation.experiments import run_experiment

    state: _State = ctx.find_root().obj
    flags = {"out": "--out", "seeds": "--seeds", "epochs": "--epochs", "seed": "--seed"}
    with _option_names(flags):  # e.g. a locked --out
        res = run_experiment(name, out=out_dir, seeds=seeds,  # type: ignore[arg-type]
                             epochs=epochs, quick=quick, seed=seed, progress=not state.quiet)
    click.echo(f"{name}: trained {len(res.trained_seeds)} seed(s), resumed "
               f"{len(res.resumed_seeds)}; training {res.training_seconds:.1f} s, "
               f"MI {sum(res.mi_seconds.values()):.1f} s")
    for key, layers in res.compression.items():
        cells = "  ".join(f"{layer} {m:+.3f}±{sd:.3f}" for layer, (m, sd) in layers.items())
        click.echo(f"  compression [{key}] (final − max I(X;T), bits): {cells}")
    click.echo(f"wrote {res.summary_path}")


# --------------------------------------------------------------------------------- analyze

ANALYSES = ("dynamics", "margin", "bounds", "residual", "separability")


@cli.command("analyze")
@click.argument("name", type=click.Choice(ANALYSES))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Output directory (the analysis run under _analysis/, one folder per claim).")
@click.option("--quick/--full", default=True, show_default=True,
              help="Small sizes (minutes) or the paper's sizes.")
@click.option("--seed", type=int, default=0, show_default=True, help="The analysis seed.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the claims' results (verdicts, checks, numbers) as JSON.")
def analyze_cmd(name: str, out_dir: str, quick: bool, seed: int, as_json: bool) -> None:
    """The interpretation paper's analyses: run one, and judge the claims it measures.

    \b
    dynamics      Claim 2.1: I(Y;Ỹ) along SGD/Langevin, recursions, escape times
    margin        Claim 2.2 (bottleneck as hard-margin SVM), Figure 4 (GD then SGD)
    bounds        Appendices A-C: the I(X;Ỹ) bound, the I(Y;Ỹ) bound, binned MI
    residual      Appendix E / Figure 5, Table 1: block ratios, Lipschitz, invertibility
    separability  Figure 7: PCA + linear SVM / 1-NN on last-layer features

    One seed; `infoplane reproduce` runs several and combines them.
    """
    from infoplane.reproduce.registry import ClaimContext, load_builtin

    module = f"infoplane.papers.interpretation.{name}"
    claims = [c for c in load_builtin().values() if c.func.partition(":")[0] == module]
    root = Path(out_dir)
    results = []
    for c in claims:
        (root / c.id).mkdir(parents=True, exist_ok=True)
        results.append(c.load_func()(ClaimContext(out_dir=root / c.id, quick=quick, seeds=1,
                                                  seed=seed)))
    if as_json:
        click.echo(to_json([r.to_dict() for r in results]))
        return
    for r in results:
        click.echo(f"[{r.verdict}] {r.claim_id}: {r.key_number}")
        for chk in r.checks:
            click.echo(f"    {chk.role:<14} [{chk.verdict}] {chk.name}: {chk.why}")
    click.echo(f"wrote {root}")


# ------------------------------------------------------------------------------- reproduce

@cli.command("reproduce")
@click.argument("claims", nargs=-1)
@click.option("--quick/--full", default=True, show_default=True,
              help="Small sizes (minutes) or the papers' sizes.")
@click.option("--seeds", type=int, default=None, help="Seeds per claim (default: 3 quick, "
              "20 full).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="The first seed; claims use seed, seed+1, ... (--seeds of them).")
@click.option("--out", "out_dir", default="out", show_default=True,
              type=click.Path(file_okay=False),
              help="Report directory: index.html, summary.json/md, claims/ (resumed if present).")
@click.option("--jobs", type=int, default=-1, show_default=True,
              help="Claims run at the same time; -1 = one per CPU core.")
@click.option("--backend", type=click.Choice(["loky", "dask", "ray"]), default="loky",
              show_default=True, help="Where claims run: local worker processes (loky), a "
              "Dask cluster or a Ray cluster.")
@click.option("--scheduler", default=None, help="Dask scheduler or Ray cluster address.")
@click.option("--list", "list_only", is_flag=True, help="List the claims and exit.")
@click.pass_context
def reproduce_cmd(ctx: click.Context, claims: tuple[str, ...], quick: bool, seeds: int | None,
                  seed: int, out_dir: str, jobs: int, backend: str, scheduler: str | None,
                  list_only: bool) -> None:
    """Re-derive the papers' claims and write a report (index.html, summary.json/md).

    \b
    infoplane reproduce --quick --out out/
    infoplane reproduce mmi-theorem1 mmi-discontinuity --out out/
    infoplane reproduce --full --jobs 2 --backend dask --out out-full/
    """
    from infoplane.reproduce import ClaimResult, run_claims
    from infoplane.reproduce.report import write_report

    state: _State = ctx.find_root().obj
    from infoplane.reproduce.registry import load_builtin

    registry = load_builtin()
    if list_only:
        for cid, claim in registry.items():
            click.echo(f"{cid:<28} {claim.paper:<15} {claim.section}")
        return
    if not registry:
        raise ValueError("no claims are registered; the claim modules are missing.")
    from infoplane.reproduce.runner import DEFAULT_SEEDS, load_result, result_settings

    ids = list(claims) if claims else None
    printed: set[str] = set()

    def say(r: ClaimResult) -> None:  # each claim's verdict line as soon as it is done
        click.echo(f"[{r.verdict}] {r.claim_id}: {r.key_number}")
        sys.stdout.flush()
        printed.add(r.claim_id)

    results = run_claims(ids, out=out_dir, quick=quick, seeds=seeds, seed=seed, jobs=jobs,
                         backend=backend, scheduler=scheduler,  # type: ignore[arg-type]
                         progress=not state.quiet, on_result=say)
    n_seeds = DEFAULT_SEEDS[quick] if seeds is None else seeds
    # the report covers every claim saved in out_dir with these settings, not only this run's
    done = {r.claim_id: r for r in results}
    key = result_settings(quick, n_seeds, seed)
    for cid in registry:
        if cid not in done and (saved := load_result(out_dir, cid, key)) is not None:
            done[cid] = saved
    everything = [done[c] for c in registry if c in done]
    settings = {"quick": quick, "seeds": n_seeds, "seed": seed,
                "jobs": "one per core" if jobs == -1 else jobs, "backend": backend}
    paths = write_report(everything, registry, Path(out_dir), settings=settings)
    counts: dict[str, int] = {}
    for r in everything:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    for r in results:  # the claims loaded from an earlier run
        if r.claim_id not in printed:
            click.echo(f"[{r.verdict}] {r.claim_id}: {r.key_number} (saved earlier)")
    click.echo(", ".join(f"{v}: {n}" for v, n in counts.items()))
    click.echo(f"report ({len(everything)} claims): "
               f"{paths.get('html', Path(out_dir) / 'index.html')}")


def _warning_line(message: Warning | str, category: type[Warning], filename: str,
                  lineno: int, file: Any = None, line: str | None = None) -> None:
    """Show a warning as one ``warning: ...`` line (no file, line or category)."""
    click.echo(f"warning: {message}", err=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning user errors into one-line messages (exit code 2).

    Warnings (e.g. an estimator's "few samples for k-NN") print as one ``warning: ...`` line
    each; ``--debug`` keeps Python's usual format and full tracebacks.
    """
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    with warnings.catch_warnings():
        if not debug:
            warnings.showwarning = _warning_line
        return _main(argv, debug)


def _main(argv: list[str] | None, debug: bool) -> int:
    try:
        cli.main(args=argv, prog_name="infoplane", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except USER_ERRORS as exc:
        if debug:
            raise
        if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] == "torch":
            from infoplane._requires import TORCH_HINT

            click.echo(f"infoplane: error: this command needs PyTorch, which is not installed: "
                       f"{TORCH_HINT}.", err=True)
            return 2
        click.echo(f"infoplane: error: {exc}", err=True)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
