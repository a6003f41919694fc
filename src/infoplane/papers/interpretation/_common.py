"""What the interpretation paper's analysis-backed claims share: cached runs and seed merging.

Each analysis (dynamics, margin, bounds, residual, separability) has a ``run(out, *, quick,
seed) -> dict`` that measures and writes figures, and pure judge functions that turn its result
into :class:`~infoplane.reproduce.checks.Check` records. Claims sharing an analysis run it once
per ``(analysis, report directory, quick, seed)``: :func:`analysis_result` caches the returned
dict as ``<out>/_analysis/<name>-<mode>-seed<seed>/<name>.json``.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from infoplane._io import write_json
from infoplane.reproduce.checks import Check, Verdict, seed_verdict
from infoplane.reproduce.registry import ClaimContext

__all__ = ["ANALYSES", "ANALYSIS_SEEDS", "analysis_result", "analysis_runs", "analysis_seeds",
           "merge_seeds"]

#: Analyses that claims may use.
ANALYSES: tuple[str, ...] = ("dynamics", "margin", "bounds", "residual", "separability")
#: Most seeds each analysis runs on, ``(quick, full)``; the claim uses ``min(ctx.seeds, cap)``
#: (one full residual analysis trains a ResNet-32 for about ten minutes).
ANALYSIS_SEEDS: dict[str, tuple[int, int]] = {
    "dynamics": (3, 5), "margin": (3, 5), "bounds": (3, 5), "separability": (3, 5),
    "residual": (2, 2)}

RunFunc = Callable[..., dict[str, Any]]
#: Version of what the analysis runs measure; a cache written under another one is recomputed.
CACHE_VERSION = 2


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
        ``min(ctx.seeds, ANALYSIS_SEEDS[name][0 if quick else 1])`` consecutive seeds.
    """
    if name not in ANALYSES:
        raise ValueError(f"`name` must be one of {list(ANALYSES)}, got {name!r}.")
    cap = ANALYSIS_SEEDS[name][0 if ctx.quick else 1]
    return [ctx.seed + i for i in range(max(1, min(ctx.seeds, cap)))]


def analysis_dir(name: str, ctx: ClaimContext, seed: int) -> Path:
    """``<report>/_analysis/<name>-<quick|full>-seed<seed>``: where one analysis run lives."""
    mode = "quick" if ctx.quick else "full"
    return Path(ctx.out_dir).parent / "_analysis" / f"{name}-{mode}-seed{seed}"


def analysis_result(name: str, run: RunFunc, ctx: ClaimContext,
                    seed: int | None = None) -> tuple[dict[str, Any], Path]:
    """Run ``run(directory, quick=ctx.quick, seed=seed)`` once per key and cache its result.

    Parameters
    ----------
    name : str
        One of :data:`ANALYSES` (names the cache directory).
    run : callable
        The analysis run; it returns a JSON-able dict (and may write ``<name>.json`` itself).
    ctx : ClaimContext
        Supplies ``quick`` and the cache root ``ctx.out_dir.parent / "_analysis"``.
    seed : int or None
        The analysis seed; None means ``ctx.seed``.

    Returns
    -------
    result : dict
        The run's dict (from the cache when present).
    directory : Path
        Where the run wrote its files and figures.
    """
    if name not in ANALYSES:
        raise ValueError(f"`name` must be one of {list(ANALYSES)}, got {name!r}.")
    seed = ctx.seed if seed is None else seed
    d = analysis_dir(name, ctx, seed)
    d.mkdir(parents=True, exist_ok=True)
    cache = d / f"{name}.json"
    stamp = d / ".version"
    with open(d / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            current = stamp.is_file() and stamp.read_text().strip() == str(CACHE_VERSION)
            if not (cache.is_file() and current):
                res = run(d, quick=ctx.quick, seed=seed)
                write_json(cache, res)
                write_json(stamp, CACHE_VERSION)
            return cast(dict[str, Any], json.loads(cache.read_text())), d
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def analysis_runs(name: str, run: RunFunc, ctx: ClaimContext,
                  start: int = 0) -> dict[int, tuple[dict[str, Any], Path]]:
    """:func:`analysis_result` on every seed of :func:`analysis_seeds`, in seed order.

    The seeds are computed starting from index `start` (rotated): claims that share one
    analysis pass different starts, so in parallel workers they compute different seeds
    instead of waiting on each other's lock.

    Returns
    -------
    dict
        seed -> (result, directory).
    """
    seeds = analysis_seeds(name, ctx)
    k = start % len(seeds)
    got = {s: analysis_result(name, run, ctx, s) for s in seeds[k:] + seeds[:k]}
    return {s: got[s] for s in seeds}


def merge_seeds(per_seed: Mapping[int, Sequence[Check]]) -> list[Check]:
    """Merge the same checks measured on several seeds into one check each.

    A check keeps its name, role and criterion; its verdict is
    :func:`~infoplane.reproduce.checks.seed_verdict` of the per-seed verdicts (unanimous, or
    "indeterminate"; seeds where it is not testable left out). A counterexample check is
    "refuted by counterexample" when any seed refutes. ``numbers`` becomes
    ``{"per_seed": {seed: numbers}, "verdicts": {seed: verdict}}``.

    Parameters
    ----------
    per_seed : mapping of int to sequence of Check
        The checks of each seed, with the same names on every seed.

    Returns
    -------
    list of Check
        In the order of the first seed's checks.

    Raises
    ------
    ValueError
        When the seeds disagree on the check names.

    Examples
    --------
    >>> a = {0: [Check("x", "holds", {"v": 1})], 1: [Check("x", "does not hold", {"v": -1})]}
    >>> merge_seeds(a)[0].verdict
    'indeterminate'
    """
    if not per_seed:
        raise ValueError("`per_seed` must be non-empty.")
    seeds = list(per_seed)
    names = [c.name for c in per_seed[seeds[0]]]
    for s in seeds[1:]:
        if [c.name for c in per_seed[s]] != names:
            raise ValueError(f"seed {s} has checks {[c.name for c in per_seed[s]]}, seed "
                             f"{seeds[0]} has {names}: every seed must give the same checks.")
    if len(seeds) == 1:
        return list(per_seed[seeds[0]])
    merged: list[Check] = []
    for i, first in enumerate(per_seed[seeds[0]]):
        items = {s: per_seed[s][i] for s in seeds}
        verdicts = {s: c.verdict for s, c in items.items()}
        verdict: Verdict
        if first.role == "counterexample":  # refuted on any seed: a counterexample exists
            verdict = ("refuted by counterexample" if "refuted by counterexample"
                       in verdicts.values() else "holds")
        else:
            verdict = seed_verdict(verdicts.values())
        tally = ", ".join(f"seed {s}: {v}" for s, v in verdicts.items())
        if len(set(verdicts.values())) == 1:
            why = f"all {len(seeds)} seeds agree; seed {seeds[0]}: {first.why}"
        else:
            why = f"seeds disagree ({tally}); seed {seeds[0]}: {first.why}"
        merged.append(Check(first.name, verdict,
                            {"per_seed": {str(s): c.numbers for s, c in items.items()},
                             "verdicts": {str(s): v for s, v in verdicts.items()}},
                            first.criterion, why, first.role))
    return merged
