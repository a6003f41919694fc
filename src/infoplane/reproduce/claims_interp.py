"""Claims of the interpretation paper, each measured with the library.

Every claim function takes a :class:`~infoplane.reproduce.registry.ClaimContext`, calls one
experiment (:func:`infoplane.experiments.run_experiment`) or one analysis module
(:mod:`infoplane.analysis`) and derives its verdict from what that call measured (criteria are
module constants and helpers below). Analyses shared by several claims are run once per
``(analysis, ctx.out_dir.parent, quick, seed)`` under ``ctx.out_dir.parent / "_analysis" /
<key>``; the analysis's own ``<name>.json`` is the cache. The claims register themselves on import.

Analysis-backed claims are measured on several seeds (:func:`analysis_seeds`: ``ctx.seeds``
capped by :data:`ANALYSIS_SEEDS`, because one full residual analysis trains a ResNet-32 for
about ten minutes). Each analysis verdict is combined over seeds with :func:`combine_seeds`
and the claim's verdict is the worst of the combined ones; the per-seed tallies are the spread
shown in the report.
"""

from __future__ import annotations

import fcntl
import importlib
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

from infoplane._io import write_json
from infoplane.reproduce.registry import (
    Claim,
    ClaimContext,
    ClaimResult,
    Verdict,
    register_missing,
    spread,
)

__all__ = [
    "ANALYSES",
    "ANALYSIS_SEEDS",
    "CLAIM_IDS",
    "FITTING_GAIN",
    "analysis_result",
    "analysis_seeds",
    "claim_appendix_a",
    "claim_appendix_b",
    "claim_appendix_c",
    "claim_appendix_e_figure5",
    "claim_claim_2_1",
    "claim_claim_2_2",
    "claim_figure_4",
    "claim_figure_7",
    "claim_fitting_compression",
    "claim_saxe_continuous_mi",
    "claim_saxe_gaussian",
    "claim_saxe_relu",
    "claim_table_1",
    "combine_seeds",
    "fitting_overlap",
    "register_all",
    "worst_verdict",
]

#: A claim function: context in, result out.
ClaimFunc = Callable[[ClaimContext], ClaimResult]
#: Analysis modules under :mod:`infoplane.analysis` that claims may use.
ANALYSES: tuple[str, ...] = ("dynamics", "margin", "bounds", "residual", "separability")
#: Compression (bits) a layer must exceed in magnitude to count as compressing.
COMPRESSION_MIN_BITS = 0.1
#: Magnitude (bits) below which a compression statistic counts as "no compression".
NO_COMPRESSION_BITS = 0.25
#: Training-accuracy gain after the I(X;T) peak that counts as "still fitting".
FITTING_GAIN = 0.05
#: How many of the deepest hidden layers the compression claims look at.
DEEP_LAYERS = 2
#: Most seeds each analysis runs on, ``(quick, full)``; the claim uses ``min(ctx.seeds, cap)``.
ANALYSIS_SEEDS: dict[str, tuple[int, int]] = {
    "dynamics": (3, 5), "margin": (3, 5), "bounds": (3, 5), "separability": (3, 5),
    "residual": (2, 2)}
#: Verdict order, worst first.
_ORDER: tuple[str, ...] = ("does not hold", "holds with caveats", "holds")


# ------------------------------------------------------------------------------- helpers


def worst_verdict(verdicts: Sequence[str]) -> Verdict:
    """The worst of analysis verdicts: "does not hold" < "holds with caveats" < "holds".

    Parameters
    ----------
    verdicts : sequence of str
        Non-empty; each one of the three ordered verdicts.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        For an empty sequence or an unknown verdict.

    Examples
    --------
    >>> worst_verdict(["holds", "holds with caveats"])
    'holds with caveats'
    """
    if not verdicts:
        raise ValueError("`verdicts` must be non-empty.")
    for v in verdicts:
        if v not in _ORDER:
            raise ValueError(f"unknown verdict {v!r}; expected one of {list(_ORDER)}.")
    return cast(Verdict, min(verdicts, key=_ORDER.index))


def combine_seeds(verdicts: Sequence[str]) -> Verdict:
    """One verdict from the same analysis verdict measured on several seeds.

    All seeds agree: that verdict. They disagree: "holds with caveats" when at least half of
    the seeds give "holds" or "holds with caveats", otherwise "does not hold".

    Parameters
    ----------
    verdicts : sequence of str
        Non-empty; each one of the three ordered verdicts.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        For an empty sequence or an unknown verdict.

    Examples
    --------
    >>> combine_seeds(["holds", "holds", "does not hold"])
    'holds with caveats'
    >>> combine_seeds(["does not hold", "does not hold", "holds"])
    'does not hold'
    """
    worst = worst_verdict(verdicts)  # validates
    if len(set(verdicts)) == 1:
        return worst
    positive = sum(v != "does not hold" for v in verdicts)
    return "holds with caveats" if 2 * positive >= len(verdicts) else "does not hold"


def analysis_seeds(name: str, ctx: ClaimContext) -> list[int]:
    """The seeds an analysis-backed claim uses: ``ctx.seed, ctx.seed + 1, ...``.

    Parameters
    ----------
    name : str
        One of :data:`ANALYSES`.
    ctx : ClaimContext

    Returns
    -------
    list of int
        ``min(ctx.seeds, ANALYSIS_SEEDS[name][quick ? 0 : 1])`` consecutive seeds.
    """
    if name not in ANALYSES:
        raise ValueError(f"`name` must be one of {list(ANALYSES)}, got {name!r}.")
    cap = ANALYSIS_SEEDS[name][0 if ctx.quick else 1]
    return [ctx.seed + i for i in range(max(1, min(ctx.seeds, cap)))]


def _analysis_dir(name: str, ctx: ClaimContext, seed: int) -> Path:
    mode = "quick" if ctx.quick else "full"
    return Path(ctx.out_dir).parent / "_analysis" / f"{name}-{mode}-seed{seed}"


def analysis_result(name: str, ctx: ClaimContext,
                    seed: int | None = None) -> tuple[dict[str, Any], Path]:
    """Run ``infoplane.analysis.<name>.run`` once per context key and cache its result.

    Parameters
    ----------
    name : str
        One of :data:`ANALYSES`.
    ctx : ClaimContext
        Supplies ``quick`` and the cache root ``ctx.out_dir.parent / "_analysis"``.
    seed : int or None
        The analysis seed; None means ``ctx.seed``.

    Returns
    -------
    result : dict
        The analysis's returned dict (from the cache when present).
    directory : Path
        Where the analysis wrote its files and figures.
    """
    if name not in ANALYSES:
        raise ValueError(f"`name` must be one of {list(ANALYSES)}, got {name!r}.")
    seed = ctx.seed if seed is None else seed
    d = _analysis_dir(name, ctx, seed)
    d.mkdir(parents=True, exist_ok=True)
    cache = d / f"{name}.json"  # every analysis writes its result there, atomically, last
    with open(d / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not cache.is_file():
                module = importlib.import_module(f"infoplane.analysis.{name}")
                res = module.run(d, quick=ctx.quick, seed=seed)
                if not cache.is_file():  # a stand-in analysis that writes nothing
                    write_json(cache, res)
            return cast(dict[str, Any], json.loads(cache.read_text())), d
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _from_analysis(ctx: ClaimContext, claim_id: str, name: str,
                   keys: Sequence[str], start: int = 0) -> ClaimResult:
    """One ClaimResult from the analysis verdicts whose ``claim`` contains any of `keys`.

    The analysis runs on :func:`analysis_seeds` (in an order rotated by `start`, so that two
    claims sharing an expensive analysis compute different seeds in parallel). Each selected
    verdict is combined over seeds (:func:`combine_seeds`) and the claim's verdict is the worst
    of those (:func:`worst_verdict`). ``numbers["verdicts"]`` holds each entry with its
    per-seed tally; ``figures`` are the PNGs of the first seed.
    """
    seeds = analysis_seeds(name, ctx)
    k = start % len(seeds)
    runs = {s: analysis_result(name, ctx, s) for s in seeds[k:] + seeds[:k]}
    per_seed: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for s in seeds:
        for v in runs[s][0].get("verdicts", []):
            if any(key in str(v.get("claim", "")) for key in keys):
                per_seed.setdefault(str(v["claim"]), []).append((s, v))
    figures = tuple(str(p) for p in sorted(runs[seeds[0]][1].rglob("*.png")))
    if not per_seed:  # a renamed analysis verdict must surface, not pass as a verdict
        raise RuntimeError(f"analysis {name!r} reported no verdict matching {list(keys)}; "
                           "the claim and the analysis disagree on the verdict names.")
    entries: list[dict[str, Any]] = []
    for claim, items in per_seed.items():
        holds = [str(v["holds"]) for _, v in items]
        combined = combine_seeds(holds)
        worst_seed, worst_v = next((s, v) for s, v in items if v["holds"] == worst_verdict(holds))
        entries.append({"claim": claim, "holds": combined,
                        "per_seed": {h: holds.count(h) for h in _ORDER if h in holds},
                        "seeds": [s for s, _ in items],
                        "worst_seed": worst_seed, "why": str(worst_v.get("why", ""))})
    verdict = worst_verdict([e["holds"] for e in entries])
    n_ok = sum(e["holds"] == "holds" for e in entries)
    bad = next(e for e in entries if e["holds"] == verdict)
    tally = ", ".join(f"{h} {n}" for h, n in bad["per_seed"].items())
    why = (f"Worst of {len(entries)} {name} verdict(s) over {len(seeds)} seed(s) "
           f"({n_ok} hold): {bad['claim']!r} — per seed: {tally}; seed {bad['worst_seed']}: "
           f"{bad['why']}")
    numbers = {"analysis": name, "seeds": seeds, "verdicts": entries}
    key = f"{n_ok}/{len(entries)} hold, {len(seeds)} seed(s)"
    return ClaimResult(claim_id, verdict, why, numbers, key, figures)


def _experiment(name: str, ctx: ClaimContext, epochs: int | None = None) -> Any:
    from infoplane import experiments

    return experiments.run_experiment(cast(Any, name), out=Path(ctx.out_dir) / name,
                                      seeds=ctx.seeds, quick=ctx.quick, seed=ctx.seed,
                                      epochs=epochs, progress=False)


def _hidden(stats: dict[str, Any]) -> list[str]:
    """Hidden layer names (``act*``) in depth order, falling back to all but the last."""
    layers = list(stats)
    hidden = [la for la in layers if la.startswith("act")]
    if not hidden:
        hidden = layers[:-1] if len(layers) > 1 else layers
    return sorted(hidden, key=lambda s: (len(s), s))


def _se(std: float, n: int) -> float:
    return float(std) / math.sqrt(max(n, 1))


def _compresses(mean: float, std: float, n: int) -> bool:
    """Significant compression: mean < -2 se and mean < -:data:`COMPRESSION_MIN_BITS`."""
    return mean < -2 * _se(std, n) and mean < -COMPRESSION_MIN_BITS


def _layer_numbers(stats: dict[str, Any]) -> dict[str, dict[str, float]]:
    return {la: {"mean": float(m), "std": float(s)} for la, (m, s) in stats.items()}


def _pngs(result: Any, prefer: str = "") -> tuple[str, ...]:
    figs = [str(f) for f in result.figures if str(f).endswith(".png")]
    chosen = [f for f in figs if prefer and prefer in Path(f).name]
    return tuple(chosen or figs)


def _deep_compression(ctx: ClaimContext, claim_id: str, result: Any, estimator: str,
                      what: str) -> ClaimResult:
    """Verdict on significant compression of the deepest hidden layers for `estimator`."""
    stats = result.compression[estimator]
    deep = _hidden(stats)[-DEEP_LAYERS:]
    flags = {la: _compresses(stats[la][0], stats[la][1], ctx.seeds) for la in deep}
    n_ok = sum(flags.values())
    verdict: Verdict = ("holds" if n_ok == len(deep) else
                        "holds with caveats" if n_ok else "does not hold")
    desc = ", ".join(f"{la} {stats[la][0]:+.3f} ± {stats[la][1]:.3f}" for la in deep)
    why = (f"{what}: compression (final − max I(X;T), bits, {estimator}) of the deepest hidden "
           f"layers over {ctx.seeds} seed(s): {desc}; {n_ok}/{len(deep)} significantly "
           f"negative (criterion: mean < −2·std/√n and < −{COMPRESSION_MIN_BITS} bits).")
    numbers = {"estimator": estimator, "deep_layers": deep, "compressing": flags,
               "compression": {e: _layer_numbers(s) for e, s in result.compression.items()},
               "train_accuracy": list(result.train_accuracy), "seeds": ctx.seeds,
               "summary": str(result.summary_path)}
    key = f"{deep[-1]} {stats[deep[-1]][0]:+.2f} bits"
    return ClaimResult(claim_id, verdict, why, numbers, key, _pngs(result, "plane"))


# ------------------------------------------------------------------------------- claims


def claim_fitting_compression(ctx: ClaimContext) -> ClaimResult:
    """Section 1.2: tanh networks show fitting then compression in the information plane.

    Parameters
    ----------
    ctx : ClaimContext

    Returns
    -------
    ClaimResult
        "holds" when every one of the :data:`DEEP_LAYERS` deepest hidden layers compresses
        significantly (fixed binning), "holds with caveats" when some do.
    """
    res = _experiment("tishby", ctx, epochs=300 if ctx.quick else None)
    return _deep_compression(ctx, "interp-fitting-compression", res, "binning",
                             "tanh, 12-bit task")


def claim_saxe_relu(ctx: ClaimContext) -> ClaimResult:
    """Saxe point 1: ReLU networks do not compress (range-aware KDE estimate).

    Parameters
    ----------
    ctx : ClaimContext

    Returns
    -------
    ClaimResult
        "holds" when every hidden layer's KDE compression satisfies
        ``|mean| < max(NO_COMPRESSION_BITS, 2 se)``; the fixed-bin artefact is reported too.
    """
    res = _experiment("saxe-relu", ctx)
    kde = res.compression["kde"]
    hidden = _hidden(kde)
    near0 = {la: abs(kde[la][0]) < max(NO_COMPRESSION_BITS, 2 * _se(kde[la][1], ctx.seeds))
             for la in hidden}
    n_ok = sum(near0.values())
    verdict: Verdict = ("holds" if n_ok == len(hidden) else
                        "holds with caveats" if len(hidden) > 1 and n_ok >= len(hidden) - 1
                        else "does not hold")
    art = res.compression.get("binning_fixed_artefact", {})
    worst = min(hidden, key=lambda la: kde[la][0])
    why = (f"KDE compression of ReLU hidden layers: {n_ok}/{len(hidden)} near 0 (criterion "
           f"|mean| < max({NO_COMPRESSION_BITS}, 2 se) bits); most negative {worst} "
           f"{kde[worst][0]:+.3f} ± {kde[worst][1]:.3f}. Fixed [-1, 1] binning (artefact): "
           + ", ".join(f"{la} {m:+.3f}" for la, (m, _) in art.items()) + ".")
    numbers = {"near_zero": near0,
               "compression": {e: _layer_numbers(s) for e, s in res.compression.items()},
               "artefact_fixed_binning": _layer_numbers(art),
               "train_accuracy": list(res.train_accuracy), "seeds": ctx.seeds}
    return ClaimResult("interp-saxe-relu", verdict, why, numbers,
                       f"KDE worst {kde[worst][0]:+.2f} bits", _pngs(res, "plane"))


def claim_saxe_gaussian(ctx: ClaimContext) -> ClaimResult:
    """Saxe point 2: compression occurs without generalisation (random labels, tanh).

    Parameters
    ----------
    ctx : ClaimContext

    Returns
    -------
    ClaimResult
        "holds" when the deepest hidden layers compress significantly although the labels are
        independent of the inputs (nothing to generalise).
    """
    res = _experiment("saxe-gaussian", ctx)
    out = _deep_compression(ctx, "interp-saxe-gaussian", res, "binning",
                            "tanh, Gaussian inputs with random labels")
    deep = str(out.numbers["deep_layers"][-1])
    overlap = fitting_overlap(res, "binning", deep)
    n_overlap = sum(g > FITTING_GAIN for g in overlap["gain_after_peak"])
    alongside = 2 * n_overlap > len(overlap["gain_after_peak"])
    verdict: Verdict = out.verdict
    if verdict == "holds" and not alongside:
        verdict = "holds with caveats"
    why = (out.why + f" Alongside fitting: in {n_overlap}/{len(overlap['gain_after_peak'])} "
           f"seeds the training accuracy still rose by > {FITTING_GAIN} after {deep}'s I(X;T) "
           f"peak (mean gain {overlap['gain'].get('mean', 0.0):.3f}; criterion: a majority)."
           + (" The inputs are isotropic and the labels random, so there is no margin: the "
              "paper's explanation that compression needs a margin (Section 1.3.2, point 2) "
              "does not account for this." if verdict != "does not hold" else ""))
    numbers = dict(out.numbers) | {"fitting_overlap": overlap}
    return ClaimResult(out.claim_id, verdict, why, numbers, out.key_number, out.figures)


def fitting_overlap(result: Any, estimator: str, layer: str) -> dict[str, Any]:
    """How much training accuracy each seed gains after `layer`'s I(X;T) peak.

    Parameters
    ----------
    result : ExperimentResult
        From :func:`infoplane.experiments.run_experiment` (its saved planes and run stores).
    estimator : str
        Key of ``result.planes``.
    layer : str
        Layer name in the plane.

    Returns
    -------
    dict
        ``peak_step`` and ``gain_after_peak`` (final minus at-peak training accuracy) per seed,
        and their ``gain`` spread. A positive gain means compression began while the network
        was still fitting.
    """
    from infoplane.plane import InfoPlane
    from infoplane.store import RunStore

    plane = InfoPlane.load(result.planes[estimator])
    ixt = np.asarray(plane.ixt, dtype=np.float64)
    ixt = ixt[None] if ixt.ndim == 2 else ixt
    steps = np.asarray(plane.steps)
    li = plane.layers.index(layer)
    peaks: list[int] = []
    gains: list[float] = []
    for r, run_dir in enumerate(result.run_dirs):
        store = RunStore.open(run_dir)
        peak = int(steps[int(np.argmax(ixt[r, :, li]))])
        acc_peak = float(store.extras(peak)["train_accuracy"])
        acc_end = float(store.extras(int(steps.max()))["train_accuracy"])
        peaks.append(peak)
        gains.append(acc_end - acc_peak)
    return {"layer": layer, "peak_step": peaks, "gain_after_peak": gains,
            "gain": spread(gains) if gains else {}}


def _analysis_claim(name: str, claim_id: str, analysis: str, keys: Sequence[str],
                    doc: str, start: int = 0) -> ClaimFunc:
    """A module-level claim function that maps `analysis`'s verdicts matching `keys`.

    See :func:`_from_analysis`; `start` rotates the seed order for analyses shared by claims.
    """
    def claim(ctx: ClaimContext) -> ClaimResult:
        return _from_analysis(ctx, claim_id, analysis, keys, start)

    claim.__name__ = claim.__qualname__ = name
    claim.__doc__ = doc
    return claim


claim_saxe_continuous_mi = _analysis_claim(
    "claim_saxe_continuous_mi", "interp-saxe-continuous-mi", "bounds", ["C (42)-(43)"],
    "Saxe point 3 / Appendix C: binned I(X; g(X)) of a continuous map diverges as D -> 0.",
    start=3)
claim_claim_2_1 = _analysis_claim(
    "claim_claim_2_1", "interp-claim-2-1", "dynamics",
    ["Recursion (9)-(10)", "Unrolled (10)", "linearly fast", "Escape time"],
    "Claim 2.1: SGD dynamics (recursions (9)-(12), convergence rate, Kramers escape).")
claim_claim_2_2 = _analysis_claim(
    "claim_claim_2_2", "interp-claim-2-2", "margin",
    ["converges in direction", "decays slowly", "(14)", "(16)-(18)", "(17)", "(19)", "(23)"],
    "Claim 2.2: logistic GD/SGD converge to the max-margin direction; bounds (14)-(23).")
claim_figure_4 = _analysis_claim(
    "claim_figure_4", "interp-figure-4", "margin", ["Figure 4"],
    "Figure 4: switching GD to SGD makes the loss jump and the margin grow.", start=1)
claim_appendix_a = _analysis_claim(
    "claim_appendix_a", "interp-appendix-a", "bounds", ["A (3"],
    "Appendix A: I(X; Ỹ) <= 2(Var p(y) + Var p(y|x)), steps (31)-(33).")
claim_appendix_b = _analysis_claim(
    "claim_appendix_b", "interp-appendix-b", "bounds", ["B (39)"],
    "Appendix B: the lower bound (39) on I(Y; Ỹ).", start=1)
claim_appendix_c = _analysis_claim(
    "claim_appendix_c", "interp-appendix-c", "bounds", ["C (4"],
    "Appendix C: binned MI converges for discrete Y and diverges for Y = g(X).", start=2)
claim_appendix_e_figure5 = _analysis_claim(
    "claim_appendix_e_figure5", "interp-appendix-e-figure-5", "residual",
    ["Figure 5", "Appendix E", "Section 1.3.3"],
    "Appendix E / Figure 5: residual blocks with ‖L(x)‖/‖x‖ < 1 and invertibility.")
claim_table_1 = _analysis_claim(
    "claim_table_1", "interp-table-1", "residual", ["Section 3.1"],
    "Table 1: residual-block variants (ReLU placement) and invertibility.", start=1)
claim_figure_7 = _analysis_claim(
    "claim_figure_7", "interp-figure-7", "separability",
    ["principal components", "linearly separable", "nearest-neighbour"],
    "Figure 7: last-layer features are low-dimensional and near linearly separable.")


# ------------------------------------------------------------------------------- registry

_CLAIMS: tuple[tuple[str, str, str, str, str, float], ...] = (
    ("interp-fitting-compression", "Section 1.2",
     "Training of tanh networks shows a fitting phase followed by a compression phase.",
     "run_experiment('tishby'): compression statistic of the deepest hidden layers (binning).",
     "claim_fitting_compression", 120.0),
    ("interp-saxe-relu", "Section 1.2 (Saxe et al., point 1)",
     "The compression phase is not explicit if the network uses ReLU activation function "
     "instead throughout the network.",
     "run_experiment('saxe-relu'): KDE compression near 0; fixed-bin artefact reported.",
     "claim_saxe_relu", 180.0),
    ("interp-saxe-gaussian", "Section 1.2 (Saxe et al., point 2)",
     "The compression phase is happening alongside with the fitting phase if the input data "
     "is Gaussian-like and the labels are assigned randomly.",
     "run_experiment('saxe-gaussian'): compression of the deepest layers with random labels, "
     "and whether training accuracy still rises after the I(X;T) peak.",
     "claim_saxe_gaussian", 120.0),
    ("interp-saxe-continuous-mi", "Section 1.2 (Saxe et al., point 3), Appendix C",
     "For continuous deterministic networks I(X;T) is infinite; binned estimates diverge.",
     "analysis.bounds: binned I(X;g(X)) = H(X_D) vs h(X) - log D.",
     "claim_saxe_continuous_mi", 30.0),
    ("interp-claim-2-1", "Claim 2.1",
     "Under SGD/Langevin dynamics (a_t = 1/t, b_t = 1/√t) I(Y;Ỹ) reaches a local maximum in "
     "polynomial time and a higher one in exponential time; the proof has w_t converge "
     "'linearly fast' via (9)-(12).",
     "analysis.dynamics: exact vs bound recursions (9)-(12), the convergence rate, and "
     "escape times vs Kramers (the exponential-time regime).",
     "claim_claim_2_1", 10.0),
    ("interp-claim-2-2", "Claim 2.2",
     "Logistic GD/SGD converge to the max-margin direction, bounding I(X;Ỹ) via (14)-(23).",
     "analysis.margin: angle to the SVM, rate, bound chain (14)-(23).",
     "claim_claim_2_2", 30.0),
    ("interp-figure-4", "Figure 4",
     "Switching GD to SGD makes the loss jump and the last-layer margin grow.",
     "analysis.margin: GD -> SGD switch.", "claim_figure_4", 30.0),
    ("interp-appendix-a", "Appendix A",
     "I(X;Ỹ) <= 2(Var p(y) + Var p(y|x)).",
     "analysis.bounds: each step (31)-(33) on trained checkpoints.", "claim_appendix_a", 30.0),
    ("interp-appendix-b", "Appendix B",
     "I(Y;Ỹ) >= A + Σ log f(y_i|x_i) + Σ log p(y_i|x_i).",
     "analysis.bounds: (39) on trained checkpoints.", "claim_appendix_b", 30.0),
    ("interp-appendix-c", "Appendix C",
     "Binned I(X_D;Y) -> I(X;Y) for discrete Y, binned I(X;g(X)) diverges as D -> 0.",
     "analysis.bounds: Δ sweep on a Gaussian mixture.", "claim_appendix_c", 30.0),
    ("interp-appendix-e-figure-5", "Appendix E, Figure 5",
     "‖L(x)‖/‖x‖ < 1 in trained residual blocks, making x + L(x) invertible.",
     "analysis.residual: ratios, local Lipschitz constants, fixed-point inversion.",
     "claim_appendix_e_figure5", 60.0),
    ("interp-table-1", "Table 1, Section 3.1",
     "ReLU placement in residual blocks decides invertibility and the operator norm of L.",
     "analysis.residual: post-addition clamping (a, b), ratio/Lipschitz (c vs e), branch-input "
     "clamping and invertibility (d vs e).",
     "claim_table_1", 60.0),
    ("interp-figure-7", "Figure 7",
     "Last-layer features live in few principal components and are nearly linearly "
     "separable.", "analysis.separability: PCA components, linear SVM and k-NN accuracies.",
     "claim_figure_7", 60.0),
)

CLAIM_IDS: tuple[str, ...] = tuple(c[0] for c in _CLAIMS)
"""Ids of the interpretation-paper claims defined here."""


def register_all() -> None:
    """Register every claim of this module that is not yet in the registry (idempotent)."""
    register_missing(
        Claim(id=cid, paper="interpretation", section=section, statement=statement,
              measures=measures, func=f"infoplane.reproduce.claims_interp:{func}",
              quick_seconds=secs)
        for cid, section, statement, measures, func, secs in _CLAIMS)

register_all()
