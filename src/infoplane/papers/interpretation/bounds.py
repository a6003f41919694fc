"""Appendices A–C of the interpretation paper and Saxe et al.'s point 3: run, judges, claims.

The measurement tools (the exact chains (30)–(33) and (36)–(39), the Gaussian mixture and its
exact binned informations) live in :mod:`infoplane.analysis.bounds`; this module trains the
classifier whose checkpoints they are applied to, draws the figures, and turns the measured
numbers into :class:`~infoplane.reproduce.checks.Check` records.

Criteria (one statistic and one threshold decide both outcomes)
---------------------------------------------------------------
* An inequality ``lhs <= rhs`` measured on checkpoints *holds* iff it holds at every
  checkpoint within round-off (``lhs <= rhs + ROUND_OFF * max(1, |rhs|)``) and *does not
  hold* iff it is violated beyond round-off at some checkpoint. The numbers are exact
  (probabilities of the classifier, no sampling), so there is no indeterminate band.
* An equality the paper writes as "=" that is not an identity is checked the same way on
  ``|lhs - rhs|``; the size of the discrepancy is reported.
* Convergence of the binned I(X_Δ;Y) (44)–(45): the largest error against the quadrature
  truth over the three smallest Δ is compared with :data:`CONVERGENCE_TOL`.
* Divergence of a binned I(X;g(X)) (42)–(43): the least-squares slope of the binned value
  against ``-log Δ`` over the five smallest Δ is compared with :data:`SLOPE_THRESHOLD` by
  :func:`~infoplane.reproduce.checks.band` (an unbounded ``-log Δ`` growth has slope 1, a
  convergent sequence slope → 0).
* A constructed counterexample (the 2×2 table of
  :func:`~infoplane.analysis.bounds.two_by_two_counterexample`) is reported with role
  ``"counterexample"`` and never decides what the trained checkpoints show.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from infoplane._io import write_json
from infoplane._typing import FloatArray
from infoplane._validation import as_int
from infoplane.analysis.bounds import (
    GaussianMixture,
    appendix_a,
    appendix_b,
    binned_map_entropy,
    binned_mixture,
    mixture_cdf,
    step_map_inverse,
    tanh_map_inverse,
    two_by_two_counterexample,
)
from infoplane.papers.interpretation._common import (
    analysis_runs,
    merge_seeds,
)
from infoplane.reproduce.checks import Check, Verdict, band_verdict
from infoplane.reproduce.registry import ClaimContext, ClaimResult, claim

__all__ = [
    "CONVERGENCE_TOL",
    "ROUND_OFF",
    "SLOPE_THRESHOLD",
    "STEP_MAP",
    "TANH_MAP",
    "appendix_a_block",
    "appendix_b_block",
    "appendix_c_block",
    "claim_appendix_a",
    "claim_appendix_b",
    "claim_appendix_c",
    "claim_saxe_continuous_mi",
    "divergence_slope",
    "judge_appendix_a",
    "judge_appendix_b",
    "judge_appendix_c",
    "judge_saxe_continuous_mi",
    "run",
    "saxe_block",
    "step_map_series",
]

#: Relative round-off allowed when comparing two exactly computed numbers.
ROUND_OFF = 1e-9
#: Largest |binned I(X_Δ;Y) - I(X;Y)| (nats) over the three smallest Δ for "converges".
CONVERGENCE_TOL = 1e-3
#: Slope of a binned I(X;g(X)) against -log Δ separating "diverges" (above) from "bounded".
SLOPE_THRESHOLD = 0.5
#: How many of the smallest Δ the slope and the convergence error use.
N_SLOPE, N_CONV = 5, 3
#: The continuous deterministic "network" of Saxe et al.'s point 3: T = tanh(a X + b).
TANH_MAP: tuple[float, float] = (2.0, 0.3)
#: A map with finitely many values (the control that must not diverge): thresholds, values.
STEP_MAP: tuple[tuple[float, ...], tuple[float, ...]] = ((-1.0, 0.0, 1.0),
                                                         (-1.0, -0.3, 0.3, 1.0))


# ------------------------------------------------------------------------------ blocks
def appendix_a_block(epochs: Sequence[int], probs: Sequence[npt.ArrayLike], *,
                     train_accuracy: Sequence[float] | None = None,
                     counterexample_eps: Sequence[float] = (0.25, 1e-3)) -> dict[str, Any]:
    """The ``"appendix_a"`` entry of :func:`run`'s result from checkpoint probability tables.

    Parameters
    ----------
    epochs : sequence of int
        One per table.
    probs : sequence of array_like, shape (N, C)
        p(ỹ|x) of the N equiprobable inputs at each checkpoint.
    train_accuracy : sequence of float or None
        Reported only.
    counterexample_eps : sequence of float
        ``eps`` values of the 2×2 counterexample tables stored beside the checkpoints.

    Returns
    -------
    dict
        ``epochs``, ``train_accuracy``, ``checkpoints`` (each
        :class:`~infoplane.analysis.bounds.AppendixA` as a dict) and ``counterexamples``
        (``{"eps=<eps>": dict}``).
    """
    if len(epochs) != len(probs):
        raise ValueError(f"`epochs` and `probs` must have the same length, got {len(epochs)} "
                         f"and {len(probs)}.")
    return {"epochs": [int(e) for e in epochs],
            "train_accuracy": None if train_accuracy is None else list(train_accuracy),
            "checkpoints": [asdict(appendix_a(p)) for p in probs],
            "counterexamples": {f"eps={e:g}": asdict(two_by_two_counterexample(e))
                                for e in counterexample_eps}}


def appendix_b_block(epochs: Sequence[int], probs: Sequence[npt.ArrayLike],
                     labels: npt.ArrayLike) -> dict[str, Any]:
    """The ``"appendix_b"`` entry of :func:`run`'s result (labels shared by all checkpoints).

    Returns
    -------
    dict
        ``epochs`` and ``checkpoints`` (each :class:`~infoplane.analysis.bounds.AppendixB`
        as a dict).
    """
    if len(epochs) != len(probs):
        raise ValueError(f"`epochs` and `probs` must have the same length, got {len(epochs)} "
                         f"and {len(probs)}.")
    return {"epochs": [int(e) for e in epochs],
            "checkpoints": [asdict(appendix_b(p, labels)) for p in probs]}


def _plug_in(deltas: FloatArray, a: FloatArray, b: npt.ArrayLike) -> list[float]:
    """Plug-in binned I(A;B) from samples at each bin width (:class:`Binning`)."""
    from infoplane.estimators import Binning

    return [float(Binning(mode="width", bin_width=float(d)).estimate(a, b)) for d in deltas]


def appendix_c_block(gm: GaussianMixture, deltas: npt.ArrayLike, *, n_samples: int = 2000,
                     seed: int = 0) -> dict[str, Any]:
    """The ``"appendix_c"`` entry of :func:`run`'s result: the Δ sweep on the mixture `gm`.

    Returns
    -------
    dict
        ``mi_true`` and ``h_x`` (quadrature), ``deltas``, the exact binned ``mi_binned_exact``
        (I(X_Δ;Y), Eq. 44) and ``h_binned_exact`` (H(X_Δ) = binned I(X;X), Eq. 42), and the
        plug-in ``mi_binned_sampled`` / ``h_binned_sampled`` from `n_samples` draws.
    """
    d = np.asarray(deltas, dtype=np.float64)
    exact = [binned_mixture(gm, float(v)) for v in d]
    xs, ys = gm.sample(as_int("n_samples", n_samples), seed=seed)
    return {"mixture": asdict(gm), "mi_true": gm.mi_true(), "h_x": gm.h_x(),
            "deltas": d.tolist(), "mi_binned_exact": [m for m, _ in exact],
            "h_binned_exact": [h for _, h in exact],
            "mi_binned_sampled": _plug_in(d, xs, ys), "h_binned_sampled": _plug_in(d, xs, xs),
            "n_samples": int(n_samples)}


def step_map_series(gm: GaussianMixture, deltas: npt.ArrayLike,
                    step: tuple[Sequence[float], Sequence[float]] = STEP_MAP) -> list[float]:
    """Exact binned I(X; g(X)_Δ) for the step map ``step = (thresholds, values)``."""
    thresholds, values = step
    inverse = step_map_inverse(thresholds, values)
    return [binned_map_entropy(gm, float(v), inverse, (min(values), max(values)))
            for v in np.asarray(deltas, dtype=np.float64)]


def saxe_block(gm: GaussianMixture, deltas: npt.ArrayLike, *, tanh_map: tuple[float, float]
               = TANH_MAP, n_samples: int = 2000, seed: int = 0) -> dict[str, Any]:
    """The ``"saxe"`` entry of :func:`run`'s result: binned I(X;T), T = tanh(aX + b).

    Returns
    -------
    dict
        ``a``, ``b``, ``deltas``, the exact ``i_binned_exact`` (:func:`binned_map_entropy`),
        the plug-in ``i_binned_sampled``, and ``control_step`` (the :data:`STEP_MAP` series
        and its H(g(X))).
    """
    d = np.asarray(deltas, dtype=np.float64)
    a, b = tanh_map
    inverse = tanh_map_inverse(a, b)
    xs, _ = gm.sample(as_int("n_samples", n_samples), seed=seed)
    thresholds, values = STEP_MAP
    p = np.diff(np.concatenate([[0.0], mixture_cdf(gm, thresholds), [1.0]]))
    p = p[p > 0]
    return {"map": "tanh(a x + b)", "a": float(a), "b": float(b), "deltas": d.tolist(),
            "i_binned_exact": [binned_map_entropy(gm, float(v), inverse, (-1.0, 1.0))
                               for v in d],
            "i_binned_sampled": _plug_in(d, xs, np.tanh(a * xs + b)),
            "n_samples": int(n_samples),
            "control_step": {"thresholds": list(thresholds), "values": list(values),
                             "i_binned_exact": step_map_series(gm, d),
                             "h_g": float(-np.sum(p * np.log(p)))}}


def divergence_slope(deltas: Sequence[float], values: Sequence[float],
                     n: int = N_SLOPE) -> float:
    """Least-squares slope of `values` against ``-log Δ`` over the `n` smallest Δ.

    Examples
    --------
    >>> d = [1.0, 0.1, 0.01, 0.001]
    >>> round(divergence_slope(d, [2 - math.log(x) for x in d], 3), 12)
    1.0
    """
    d = np.asarray(deltas, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if d.shape != v.shape or d.ndim != 1 or d.size < 2:
        raise ValueError(f"`deltas` and `values` must be 1-D of the same length >= 2, got "
                         f"shapes {d.shape} and {v.shape}.")
    order = np.argsort(d)[: max(2, min(n, d.size))]
    return float(np.polyfit(-np.log(d[order]), v[order], 1)[0])


# ------------------------------------------------------------------------------ helpers
def _tol(rhs: float) -> float:
    return ROUND_OFF * max(1.0, abs(rhs))


def _inequality(name: str, role: Any, epochs: Sequence[int], lhs: Sequence[float],
                rhs: Sequence[float], text: str, *, equality: bool = False) -> Check:
    """``lhs <= rhs`` (or ``lhs == rhs``) at every checkpoint within round-off."""
    lhs_a = np.asarray(lhs, dtype=np.float64)
    rhs_a = np.asarray(rhs, dtype=np.float64)
    tol = np.array([_tol(float(r)) for r in rhs_a])
    excess = np.abs(lhs_a - rhs_a) if equality else lhs_a - rhs_a
    ok = excess <= tol
    worst = int(np.argmax(excess - tol))
    verdict: Verdict = "holds" if bool(ok.all()) else "does not hold"
    rel = "|lhs - rhs|" if equality else "lhs - rhs"
    criterion = (f"{text}: holds iff {rel} <= {ROUND_OFF:g}·max(1, |rhs|) at every "
                 f"checkpoint; does not hold iff it exceeds that at some checkpoint")
    why = (f"{'equal' if equality else 'held'} at {int(ok.sum())}/{ok.size} checkpoints; "
           f"closest to failing (or worst) at epoch {epochs[worst]}: lhs "
           f"{lhs_a[worst]:.4g} vs rhs {rhs_a[worst]:.4g}")
    numbers = {"epochs": list(epochs), "lhs": lhs_a, "rhs": rhs_a,
               "held": int(ok.sum()), "of": int(ok.size), "worst_epoch": epochs[worst],
               ("max_abs_difference" if equality else "max_excess"): float(excess.max())}
    return Check(name, verdict, numbers, criterion, why, role)


# ------------------------------------------------------------------------------ judges
def judge_appendix_a(result: Mapping[str, Any]) -> list[Check]:
    """Checks of Appendix A, I(X;Ỹ) <= 2(Var p(ỹ) + Var p(ỹ|x)) (Eqs. 30–33).

    Criterion of every check but the counterexample: the inequality (or, for the "=" of
    (33), the equality) holds at every checkpoint of ``result["appendix_a"]`` within
    round-off (:data:`ROUND_OFF`), and does not hold when it fails beyond round-off at some
    checkpoint.

    * measurement ``"(33) end to end"``: I(X;Ỹ) <= 2(Var p(Ỹ) + Var p(Ỹ|X)) — decides.
    * background ``"(31)-(32)"``: I(X;Ỹ) = E[(f - 1)²/(2c²)] — an identity whenever E f = 1
      (``taylor`` is E[f - 1 - log f]); shown, not evidence.
    * supporting ``"(33) line 1"``: I <= ½E[(f - 1)² + (1 - 1/f)²] (the remainder bound).
    * counterexample ``"(33) '=' of lines 1-2"``: ½E[(f - 1)² + (1 - 1/f)²] = Var f + Var(1/f)
      is not an identity (with E f = 1 the left side is ½(Var f + Var(1/f) + χ²²)): every
      checkpoint with I > 0 refutes it; the discrepancy is measured.
    * supporting ``"(33) line 2"``: I <= Var f + Var(1/f) (lines 2 and 3 are the same number).
    * supporting ``"(33) last line"``: Var f + Var(1/f) <= 2(Var p(Ỹ) + Var p(Ỹ|X)).
    * counterexample ``"2x2 table eps=<e>"``, one per stored table: "refuted by
      counterexample" when I(X;Ỹ) > 2(Var p(Ỹ) + Var p(Ỹ|X)) beyond round-off, else "holds".

    Parameters
    ----------
    result : dict
        :func:`run`'s result (only ``"appendix_a"`` is read; see :func:`appendix_a_block`).

    Returns
    -------
    list of Check
    """
    a = result["appendix_a"]
    ep = [int(e) for e in a["epochs"]]
    cps = a["checkpoints"]

    def col(key: str) -> list[float]:
        return [float(c[key]) for c in cps]

    mi, rhs_final = col("mi"), col("rhs_final")
    checks = [
        _inequality("(33) end to end", "measurement", ep, mi, rhs_final,
                    "I(X;Ỹ) <= 2(Var p(Ỹ) + Var p(Ỹ|X)) at the trained checkpoints"),
        _inequality("(31)-(32)", "background", ep, mi, col("taylor"),
                    "I(X;Ỹ) = E[(f-1)^2/(2c^2)], c between f and 1 (uses E f = 1)",
                    equality=True),
        _inequality("(33) line 1", "supporting", ep, mi, col("rhs_half"),
                    "I(X;Ỹ) <= 1/2 E[(f-1)^2 + (1-1/f)^2]"),
        _inequality("(33) '=' of lines 1-2", "supporting", ep, col("rhs_half"), col("rhs_var"),
                    "1/2 E[(f-1)^2 + (1-1/f)^2] = Var f + Var(1/f)", equality=True),
        _inequality("(33) line 2", "supporting", ep, mi, col("rhs_var"),
                    "I(X;Ỹ) <= Var f + Var(1/f) = Var(p(ỹ)/p(ỹ|x)) + Var(p(ỹ|x)/p(ỹ))"),
        _inequality("(33) last line", "supporting", ep, col("rhs_var"), rhs_final,
                    "Var f + Var(1/f) <= 2(Var p(Ỹ) + Var p(Ỹ|X))"),
    ]
    eq = checks[3]
    chi2 = col("chi2")
    checks[3] = Check(eq.name, "holds" if eq.verdict == "holds" else "refuted by counterexample",
                      dict(eq.numbers) | {
        "ratio_line2_to_line1": [v / h if h > 0 else None
                                 for v, h in zip(col("rhs_var"), col("rhs_half"),
                                                 strict=True)],
        "chi2": chi2}, eq.criterion,
        eq.why + f"; with E f = 1 the left side is 1/2(Var f + Var(1/f) + chi2^2), chi2 up to "
        f"{max(chi2):.3g} (the trained checkpoints are the counterexamples)", "counterexample")
    for key, ce in a.get("counterexamples", {}).items():
        bad = float(ce["mi"]) > float(ce["rhs_final"]) + _tol(float(ce["rhs_final"]))
        checks.append(Check(
            f"2x2 table {key}", "refuted by counterexample" if bad else "holds",
            {k: ce[k] for k in ("mi", "rhs_var", "rhs_final", "var_f", "var_py_given_x")},
            "a constructed table p(ỹ=0|x0) = 1-eps, p(ỹ=0|x1) = eps refutes (33) when "
            "I(X;Ỹ) > 2(Var p(Ỹ) + Var p(Ỹ|X)) beyond round-off",
            f"I = {float(ce['mi']):.4g} vs 2(Var p(ỹ)+Var p(ỹ|x)) = "
            f"{float(ce['rhs_final']):.4g}; Var f + Var(1/f) = {float(ce['rhs_var']):.4g} "
            "(ratios blow up as p(ỹ|x) -> 0, variances of probabilities stay <= 1/4)",
            "counterexample"))
    return checks


def judge_appendix_b(result: Mapping[str, Any]) -> list[Check]:
    """Checks of Appendix B, the lower bound (39) on I(Y;Ỹ) (Eqs. 34–39), per sample (÷ n).

    The constant A is read as the one that makes the first line of (39) equal the empirical
    (36) (the sum in (37) is n·p(y_i, ỹ_i)): ``A/n = -mean log p(y_i)p(ỹ_i) - log n``
    (``a_cons``). The bound is then ``a_cons + mean log f(y_i|x_i) + mean log p(y_i|x_i)``
    (``line4``; p(y|x) is 0/1) and is compared with the exact I(Y;Ỹ), Ỹ | x ~ softmax.

    * measurement ``"(39) as stated (literal A)"``: the paper's constant, ``A/n = -mean log
      p(y_i)p(ỹ_i)`` (its uniformity assumption, no ``-log n``): holds iff I(Y;Ỹ) >= bound -
      round-off at every checkpoint; does not hold iff the bound exceeds I beyond round-off at
      some checkpoint. It decides: it is the claim as written, and it can go either way (a
      classifier confidently wrong on its samples satisfies it).
    * background ``"(39) consistent A"``: the same inequality with our corrected constant. It
      holds by construction at the sizes used (the bound is at most 2 log C - log n < 0 <=
      I(Y;Ỹ) for n = 4096), so it is shown, not evidence.
    * background ``"(39) informative"``: whether that corrected bound is above the trivial
      I >= 0 at the last checkpoint (it is vacuous).
    * supporting ``"(39) steps 1->2, 3->4"``: mean log Σ_j p(y_i|x_j) f(ỹ_i|x_j) >=
      mean log f(ỹ_i|x_i) >= mean log f(y_i|x_i) at every checkpoint within round-off.

    Parameters
    ----------
    result : dict
        :func:`run`'s result (only ``"appendix_b"`` is read; see :func:`appendix_b_block`).

    Returns
    -------
    list of Check
    """
    b = result["appendix_b"]
    ep = [int(e) for e in b["epochs"]]
    cps = b["checkpoints"]
    mi = [float(c["mi_soft"]) for c in cps]
    bound = [float(c["a_cons"]) + float(c["line4"]) for c in cps]
    lit = [float(c["a_lit"]) + float(c["line4"]) for c in cps]
    meas = _inequality("(39) consistent A", "background", ep, bound, mi,
                       "A/n + mean log f(y_i|x_i) + mean log p(y_i|x_i) <= I(Y;Ỹ) with "
                       "A/n = -mean log p(y_i)p(ỹ_i) - log n")
    meas = Check(meas.name, meas.verdict, dict(meas.numbers) | {
        "mi_hard": [float(c["mi_hard"]) for c in cps],
        "gap": [m - v for m, v in zip(mi, bound, strict=True)],
        "log_n": math.log(int(cps[0]["n"]))}, meas.criterion,
        meas.why + f"; I - bound in [{min(m - v for m, v in zip(mi, bound, strict=True)):.3f},"
        f" {max(m - v for m, v in zip(mi, bound, strict=True)):.3f}] nats", meas.role)
    last = bound[-1]
    informative: Verdict = "holds" if last > ROUND_OFF else "does not hold"
    info = Check(
        "(39) informative", informative,
        {"bound_last": last, "mi_last": mi[-1], "epoch": ep[-1], "bound": bound},
        "holds iff the consistent-A bound at the last checkpoint is > 0 (above the trivial "
        "I(Y;Ỹ) >= 0); does not hold (vacuous) iff it is <= 0",
        f"bound {last:.3f} nats vs I(Y;Ỹ) = {mi[-1]:.3f} at epoch {ep[-1]}: "
        + ("informative" if informative == "holds" else
           "vacuous (it drops about log n per sample when j != i terms are discarded)"),
        "background")
    literal = _inequality("(39) as stated (literal A)", "measurement", ep, lit, mi,
                          "A/n + mean log f(y_i|x_i) + mean log p(y_i|x_i) <= I(Y;Ỹ) with "
                          "the literal A/n = -mean log p(y_i)p(ỹ_i)")
    lines = [float(c["line1"]) for c in cps]
    l2 = [float(c["line2"]) for c in cps]
    l4 = [float(c["line4"]) for c in cps]
    s12 = _inequality("(39) step 1->2", "supporting", ep, l2, lines,
                      "mean log f(ỹ_i|x_i) <= mean log sum_j p(y_i|x_j) f(ỹ_i|x_j)")
    s34 = _inequality("(39) step 3->4", "supporting", ep, l4, l2,
                      "mean log f(y_i|x_i) <= mean log f(ỹ_i|x_i), ỹ_i the argmax (38)")
    return [meas, info, literal, s12, s34]


def _convergence_check(name: str, deltas: Sequence[float], values: Sequence[float],
                       truth: float, role: Any = "measurement") -> Check:
    d = np.asarray(deltas, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    order = np.argsort(d)[:N_CONV]
    err = np.abs(v[order] - truth)
    worst = float(err.max())
    verdict: Verdict = "holds" if worst <= CONVERGENCE_TOL else "does not hold"
    return Check(
        name, verdict,
        {"deltas": d[order], "binned": v[order], "truth": truth, "max_error": worst,
         "error_largest_delta": float(abs(v[int(np.argmax(d))] - truth))},
        f"holds iff max |binned - I(X;Y)| over the {N_CONV} smallest Δ <= "
        f"{CONVERGENCE_TOL:g} nats (I(X;Y) by quadrature); does not hold iff it is larger",
        f"error {float(abs(v[int(np.argmax(d))] - truth)):.3g} nats at Δ = {d.max():.3g} -> "
        f"max {worst:.2e} over Δ <= {d[order].max():.3g}",
        role)


def _divergence_check(name: str, deltas: Sequence[float], values: Sequence[float],
                      text: str, *, asymptote: float | None = None,
                      control: Sequence[float] | None = None) -> Check:
    slope = divergence_slope(deltas, values)
    verdict = band_verdict(slope, 0.0, SLOPE_THRESHOLD, holds="above")
    d = np.asarray(deltas, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    i = int(np.argmin(d))
    numbers: dict[str, Any] = {"slope": slope, "threshold": SLOPE_THRESHOLD,
                               "deltas": d, "binned": v, "smallest_delta": float(d[i]),
                               "binned_at_smallest": float(v[i])}
    why = (f"{text}: slope {slope:.3f} against -log Δ over the {N_SLOPE} smallest Δ; binned "
           f"value {float(v[int(np.argmax(d))]):.3f} -> {float(v[i]):.3f} nats")
    if asymptote is not None:
        gap = float(abs(v[i] - (asymptote - math.log(d[i]))))
        numbers["abs_diff_from_h_minus_log_delta"] = gap
        why += f"; |binned - (h - log Δ)| = {gap:.2e} at Δ = {d[i]:.3g}"
    if control is not None:
        c_slope = divergence_slope(deltas, control)
        numbers["control_step_map_slope"] = c_slope
        why += f"; a 4-valued step map gives slope {c_slope:.3f} (control)"
    return Check(name, verdict, numbers,
                 f"diverges iff the least-squares slope of the binned value against -log Δ "
                 f"over the {N_SLOPE} smallest Δ is > {SLOPE_THRESHOLD} (unbounded growth "
                 f"like -log Δ has slope 1); bounded iff < {SLOPE_THRESHOLD}",
                 why, "measurement")


def judge_appendix_c(result: Mapping[str, Any]) -> list[Check]:
    """Checks of Appendix C (Eqs. 40–45) on a two-component Gaussian mixture, exact bins.

    * measurement ``"(44)-(45) discrete Y converges"``: the binned I(X_Δ;Y) is within
      :data:`CONVERGENCE_TOL` nats of the quadrature I(X;Y) at each of the three smallest Δ
      (holds) or not (does not hold).
    * measurement ``"(42)-(43) Y = X diverges"``: the binned I(X;g(X)) = H(X_Δ) for the
      injective g = identity has slope against -log Δ above :data:`SLOPE_THRESHOLD` (holds:
      diverges like h(X) - log Δ) or below (does not hold: bounded).

    Parameters
    ----------
    result : dict
        :func:`run`'s result (only ``"appendix_c"`` is read).

    Returns
    -------
    list of Check
    """
    c = result["appendix_c"]
    return [
        _convergence_check("(44)-(45) discrete Y converges", c["deltas"],
                           c["mi_binned_exact"], float(c["mi_true"])),
        _divergence_check("(42)-(43) Y = X diverges", c["deltas"], c["h_binned_exact"],
                          "binned I(X;X) = H(X_Δ)", asymptote=float(c["h_x"])),
    ]


def judge_saxe_continuous_mi(result: Mapping[str, Any]) -> list[Check]:
    """Saxe et al.'s point 3: the binned I(X;T) of a continuous deterministic map diverges.

    T = tanh(a X + b) (a one-neuron tanh layer, :data:`TANH_MAP`) of the Appendix C mixture
    X, binned with width Δ on T's axis; with exact bin probabilities I(X;T_Δ) = H(T_Δ).

    * measurement ``"tanh neuron diverges"``: slope of the binned I(X;T) against -log Δ over
      the five smallest Δ above :data:`SLOPE_THRESHOLD` (holds: no finite limit) or below
      (does not hold: the binned value settles). The same statistic for a 4-valued step map
      (:data:`STEP_MAP`, which must stay bounded) is reported as a control.

    Parameters
    ----------
    result : dict
        :func:`run`'s result (only ``"saxe"`` is read).

    Returns
    -------
    list of Check
    """
    s = result["saxe"]
    control = s.get("control_step", {}).get("i_binned_exact")
    return [_divergence_check("tanh neuron diverges", s["deltas"], s["i_binned_exact"],
                              f"binned I(X; tanh({s['a']:g} X + {s['b']:g}))",
                              control=control)]


# ------------------------------------------------------------------------------ run
def _softmax_np(logits: Any) -> FloatArray:
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float64)


def _checkpoints(quick: bool, seed: int) -> tuple[list[int], list[FloatArray],
                                                   npt.NDArray[np.int64], list[float]]:
    """Train the 12-bit tanh network; its softmax on all 4096 inputs at the checkpoints."""
    import torch

    from infoplane.datasets import twelve_bit
    from infoplane.models import mlp
    from infoplane.training import TrainConfig, fit

    ds = twelve_bit()
    x = ds.x.astype(np.float64)
    epochs = 200 if quick else 1000
    ckpt = sorted({0, 1, 3, 10, 30, 100, epochs // 2, epochs})
    net = mlp((12, 10, 7, 5, 4, 3, 2), activation="tanh", seed=seed, dtype=torch.float64)
    xt = torch.as_tensor(x)
    probs: list[FloatArray] = []

    def snap(epoch: int, model: torch.nn.Module) -> None:
        if epoch in ckpt:
            with torch.no_grad():
                probs.append(_softmax_np(model(xt).numpy()))

    snap(0, net)
    cfg = TrainConfig(epochs=epochs, optimizer="adam", lr=0.01, batch_size=256, seed=seed,
                      eval_every=None)
    fit(net, (x, ds.y), config=cfg, callback=snap, progress=False, num_threads=1)
    acc = [float(np.mean(np.argmax(p, axis=1) == ds.y)) for p in probs]
    return ckpt, probs, np.asarray(ds.y, dtype=np.int64), acc


def _figures(outdir: Path, result: Mapping[str, Any]) -> dict[str, str]:
    from matplotlib.figure import Figure

    a, b, c, s = (result[k] for k in ("appendix_a", "appendix_b", "appendix_c", "saxe"))
    names = {"appendix_a": "bounds_appendix_a.png", "appendix_b": "bounds_appendix_b.png",
             "appendix_c": "bounds_appendix_c.png", "saxe": "bounds_saxe_tanh.png"}
    ep = np.maximum(np.asarray(a["epochs"], dtype=float), 0.5)

    fig = Figure(figsize=(6.5, 4.5), constrained_layout=True)
    ax = fig.subplots()
    for key, lab in [("mi", "I(X;Ỹ) exact"), ("rhs_half", "½E[(f−1)²+(1−1/f)²]"),
                     ("rhs_var", "Var(f)+Var(1/f)"), ("rhs_final", "2(Var p(ỹ)+Var p(ỹ|x))")]:
        ax.plot(ep, [max(float(r[key]), 1e-12) for r in a["checkpoints"]], "o-", label=lab)
    ax.set(xscale="symlog", yscale="log", xlabel="epoch (0 plotted at 0.5)",
           ylabel="nats", title="Appendix A: I(X;Ỹ) and the right-hand sides of Eq. (33)")
    ax.legend(fontsize=8)
    fig.savefig(outdir / names["appendix_a"], dpi=110)

    cps = b["checkpoints"]
    fig = Figure(figsize=(6.5, 4.5), constrained_layout=True)
    ax = fig.subplots()
    ax.plot(ep, [r["mi_soft"] for r in cps], "o-", label="I(Y;Ỹ) exact, softmax Ỹ")
    ax.plot(ep, [r["mi_hard"] for r in cps], "s-", label="I(Y;Ỹ) exact, argmax Ỹ (38)")
    ax.plot(ep, [r["line36"] for r in cps], "--", label="(36)/n")
    ax.plot(ep, [r["a_cons"] + r["line2"] for r in cps], ":", label="(39) line 2, consistent A")
    ax.plot(ep, [r["a_cons"] + r["line4"] for r in cps], "-.", label="(39) line 4, consistent A")
    ax.plot(ep, [r["a_lit"] + r["line4"] for r in cps], "x-", label="(39) line 4, literal A")
    ax.set(xscale="symlog", xlabel="epoch", ylabel="nats per sample",
           title="Appendix B: the chain (36)–(39) against the exact I(Y;Ỹ)")
    ax.legend(fontsize=7)
    fig.savefig(outdir / names["appendix_b"], dpi=110)

    deltas = np.asarray(c["deltas"])
    n_s = c["n_samples"]
    fig = Figure(figsize=(11, 4.2), constrained_layout=True)
    axes = fig.subplots(1, 2)
    axes[0].plot(deltas, c["mi_binned_exact"], "o-", label="binned, exact probabilities")
    axes[0].plot(deltas, c["mi_binned_sampled"], "s--", label=f"binned, {n_s} samples")
    axes[0].axhline(c["mi_true"], color="k", lw=1, label="quadrature truth")
    axes[0].set(xscale="log", xlabel="bin width Δ", ylabel="I(X_Δ; Y) [nats]",
                title="Eq. (44)–(45): discrete Y converges")
    axes[0].legend(fontsize=8)
    axes[1].plot(deltas, c["h_binned_exact"], "o-", label="H(X_Δ), exact probabilities")
    axes[1].plot(deltas, c["h_binned_sampled"], "s--", label=f"{n_s} samples (saturates)")
    axes[1].plot(deltas, c["h_x"] - np.log(deltas), "k:", label="h(X) − log Δ")
    axes[1].set(xscale="log", xlabel="bin width Δ", ylabel="I(X; X) binned [nats]",
                title="Eq. (42): Y = X diverges like −log Δ")
    axes[1].legend(fontsize=8)
    fig.suptitle("Appendix C: binning a Gaussian mixture")
    fig.savefig(outdir / names["appendix_c"], dpi=110)

    sd = np.asarray(s["deltas"])
    fig = Figure(figsize=(6.5, 4.5), constrained_layout=True)
    ax = fig.subplots()
    ax.plot(sd, s["i_binned_exact"], "o-", label=f"T = tanh({s['a']:g}X + {s['b']:g}), exact")
    ax.plot(sd, s["i_binned_sampled"], "s--", label=f"same, {s['n_samples']} samples")
    ax.plot(sd, s["control_step"]["i_binned_exact"], "^-",
            label="4-valued step map (control), exact")
    ax.axhline(s["control_step"]["h_g"], color="k", lw=0.8, ls=":", label="H(step(X))")
    ax.set(xscale="log", xlabel="bin width Δ of T", ylabel="binned I(X; T) [nats]",
           title="Saxe et al. point 3: binned I(X;T) of a deterministic map")
    ax.legend(fontsize=8)
    fig.savefig(outdir / names["saxe"], dpi=110)
    return names


def run(out: str | os.PathLike[str], *, quick: bool = True, seed: int = 0) -> dict[str, Any]:
    """Measure Appendices A–C and Saxe et al.'s point 3; write four figures and ``bounds.json``.

    Appendix A/B: a 12-10-7-5-4-3-2 tanh network (float64) is trained with
    :func:`infoplane.training.fit` on the 12-bit task (Adam, lr 0.01, batch 256) and its
    softmax on all 4096 inputs is taken at epochs 0, 1, 3, 10, 30, 100, E/2, E. Appendix C
    and Saxe: exact bin probabilities of a Gaussian mixture under the identity, a tanh neuron
    and a step map, and plug-in estimates from samples (:class:`~infoplane.estimators.Binning`).

    Parameters
    ----------
    out : path
        Output directory (created).
    quick : bool, default True
        E = 200 epochs, 15 bin widths down to 1e-3 and 2000 samples; ``False``: E = 1000,
        22 widths down to 1e-4 and 20000 samples.
    seed : int, default 0
        Initialisation, mini-batch order and sampling seed.

    Returns
    -------
    dict
        ``appendix_a`` (:func:`appendix_a_block`), ``appendix_b`` (:func:`appendix_b_block`),
        ``appendix_c`` (the Δ sweep), ``saxe`` (the tanh neuron and step-map control),
        ``figures`` (file names) and ``units``; also written to ``bounds.json``.
    """
    s = as_int("seed", seed, min_value=0)
    outdir = Path(out)
    outdir.mkdir(parents=True, exist_ok=True)
    ckpt, probs, y, acc = _checkpoints(bool(quick), s)

    gm = GaussianMixture()
    deltas = np.logspace(0.5, -3 if quick else -4, 15 if quick else 22)
    n_s = 2000 if quick else 20000
    result: dict[str, Any] = {
        "appendix_a": appendix_a_block(ckpt, probs, train_accuracy=acc),
        "appendix_b": appendix_b_block(ckpt, probs, y),
        "appendix_c": appendix_c_block(gm, deltas, n_samples=n_s, seed=s),
        "saxe": saxe_block(gm, deltas, n_samples=n_s, seed=s),
        "units": "nats",
    }
    result["figures"] = _figures(outdir, result)
    write_json(outdir / "bounds.json", result)
    return result


# ------------------------------------------------------------------------------ claims
def _runs(ctx: ClaimContext, start: int) -> dict[int, tuple[dict[str, Any], Path]]:
    """The bounds run on each seed; `start` rotates the order so claims share the work."""
    return analysis_runs("bounds", run, ctx, start)


def _figure(runs: Mapping[int, tuple[dict[str, Any], Path]], key: str) -> tuple[str, ...]:
    res, d = runs[min(runs)]
    name = res.get("figures", {}).get(key)
    return (str((d / name).resolve()),) if name else ()


def _tally(checks: Sequence[Check]) -> str:
    meas = [c for c in checks if c.role == "measurement"]
    held = sum(c.verdict == "holds" for c in meas)
    return f"{held}/{len(meas)} measurement check(s) hold"


def _per_seed(checks: Sequence[Check], name: str, key: str) -> list[Any]:
    c = next(c for c in checks if c.name == name)
    nums = c.numbers
    if "per_seed" in nums:
        return [v.get(key) for v in nums["per_seed"].values()]
    return [nums.get(key)]


@claim("interp-saxe-continuous-mi", paper="interpretation",
       section="Section 1.2 (Saxe et al., point 3), Appendix C",
       statement="For continuous deterministic networks I(X;T) is infinite; binned estimates "
                 "diverge.",
       measures="Exact binned I(X;T) of a tanh neuron T = tanh(2X + 0.3) on a Gaussian "
                "mixture: its slope against -log D (a 4-valued step map as the control).",
       quick_seconds=30.0)
def claim_saxe_continuous_mi(ctx: ClaimContext) -> ClaimResult:
    """Saxe et al.'s point 3; see :func:`judge_saxe_continuous_mi`.

    Parameters
    ----------
    ctx : ClaimContext

    Returns
    -------
    ClaimResult
        The verdict combined from the checks' verdicts (only measurement checks decide).
    """
    runs = _runs(ctx, 3)
    checks = merge_seeds({s: judge_saxe_continuous_mi(r) for s, (r, _) in runs.items()})
    slope = _per_seed(checks, checks[0].name, "slope")
    key = f"slope of binned I(X;T) vs -log D: {min(slope):.2f} (threshold {SLOPE_THRESHOLD})"
    return ClaimResult.from_checks(ctx.claim_id, checks, key_number=key,
                                   numbers={"seeds": list(runs)},
                                   figures=_figure(runs, "saxe"))


@claim("interp-appendix-a", paper="interpretation", section="Appendix A",
       statement="I(X;Ỹ) <= 2(Var p(y) + Var p(y|x)).",
       measures="The exact I(X;Ỹ) and each side of (31)-(33) at the checkpoints of a trained "
                "12-bit tanh network; a 2x2 counterexample reported apart.",
       quick_seconds=30.0)
def claim_appendix_a(ctx: ClaimContext) -> ClaimResult:
    """Appendix A (Eqs. 30–33): the end-to-end bound at trained checkpoints decides.

    See :func:`judge_appendix_a` for the checks and criteria; the 2x2 counterexample is
    reported apart and does not enter the verdict.

    Parameters
    ----------
    ctx : ClaimContext

    Returns
    -------
    ClaimResult
        The verdict combined from the checks' verdicts (only measurement checks decide).
    """
    runs = _runs(ctx, 0)
    checks = merge_seeds({s: judge_appendix_a(r) for s, (r, _) in runs.items()})
    end = next(c for c in checks if c.name == "(33) end to end")
    held = _per_seed(checks, end.name, "held")
    of = _per_seed(checks, end.name, "of")
    key = (f"end-to-end bound held at {sum(held)}/{sum(of)} checkpoints "
           f"({len(runs)} seed(s)): {end.verdict}")
    return ClaimResult.from_checks(ctx.claim_id, checks, key_number=key,
                                   numbers={"seeds": list(runs)},
                                   figures=_figure(runs, "appendix_a"))


@claim("interp-appendix-b", paper="interpretation", section="Appendix B",
       statement="I(Y;Ỹ) >= A + Σ log f(y_i|x_i) + Σ log p(y_i|x_i).",
       measures="(39) per sample with the paper's constant A (uniform p(y)p(ỹ), no -log n) "
                "against the exact I(Y;Ỹ) at trained checkpoints; the constant that makes (39) "
                "consistent (-log n) and its vacuity shown as background.",
       quick_seconds=30.0)
def claim_appendix_b(ctx: ClaimContext) -> ClaimResult:
    """Appendix B (Eqs. 34–39); see :func:`judge_appendix_b`.

    Parameters
    ----------
    ctx : ClaimContext

    Returns
    -------
    ClaimResult
        The verdict combined from the checks' verdicts (only measurement checks decide).
    """
    runs = _runs(ctx, 1)
    checks = merge_seeds({s: judge_appendix_b(r) for s, (r, _) in runs.items()})
    stated = next(c for c in checks if c.role == "measurement")
    held = _per_seed(checks, stated.name, "held")
    of = _per_seed(checks, stated.name, "of")
    cons = "(39) consistent A"
    held_c = _per_seed(checks, cons, "held")
    last = [v for v in _per_seed(checks, "(39) informative", "bound_last") if v is not None]
    key = (f"as stated: held at {sum(held)}/{sum(of)} checkpoints; with the consistent "
           f"constant: {sum(held_c)}/{sum(of)}, final bound {max(last):.2f} nats "
           f"({'vacuous' if max(last) <= 0 else 'informative'})")
    return ClaimResult.from_checks(ctx.claim_id, checks, key_number=key,
                                   numbers={"seeds": list(runs)},
                                   figures=_figure(runs, "appendix_b"))


@claim("interp-appendix-c", paper="interpretation", section="Appendix C",
       statement="Binned I(X_D;Y) -> I(X;Y) for discrete Y, binned I(X;g(X)) diverges as "
                 "D -> 0.",
       measures="Exact bin probabilities of a Gaussian mixture: the error of I(X_D;Y) at "
                "small D, and the slope of H(X_D) against -log D.",
       quick_seconds=30.0)
def claim_appendix_c(ctx: ClaimContext) -> ClaimResult:
    """Appendix C (Eqs. 40–45); see :func:`judge_appendix_c`.

    The paper's "precise if we take Δ → ∞" below (42) is a typo for Δ → 0.

    Parameters
    ----------
    ctx : ClaimContext

    Returns
    -------
    ClaimResult
        The verdict combined from the checks' verdicts (only measurement checks decide).
    """
    runs = _runs(ctx, 2)
    checks = merge_seeds({s: judge_appendix_c(r) for s, (r, _) in runs.items()})
    err = _per_seed(checks, checks[0].name, "max_error")
    slope = _per_seed(checks, checks[1].name, "slope")
    key = (f"{_tally(checks)}: error {max(err):.1e} nats at small D; "
           f"H(X_D) slope {min(slope):.2f}")
    return ClaimResult.from_checks(
        ctx.claim_id, checks, key_number=key, numbers={"seeds": list(runs)},
        why="The paper's 'precise if we take D -> infinity' below (42) should read D -> 0.",
        figures=_figure(runs, "appendix_c"))
