"""Claim 2.2 (the IB problem as a hard-margin SVM) and Figure 4 (GD → SGD) of the paper ``001``.

**Claim 2.2** (Section 2.2): for linearly separable data and the model
``p(ỹ = 1 | x, w) = σ(wᵀx)``, the IB problem "Minimize ``I(X;Ỹ) − α I(Y;Ỹ)`` (13)" can be
formulated as a hard-margin SVM problem. The proof bounds (13) from above, through (14)-(22), by
(23) ``A' + B‖w‖² − α Σ_i log(|σ(wᵀx_i) − ½| + ½)``, "a Lagrangian form of an optimal margin
classifier".

What decides (role ``"measurement"``) is the statement itself, measured exactly for the
empirical distribution (``X`` uniform over the ``n`` points, ``Y = y(X)``): (13) has no minimiser
(for ``α > 1`` its infimum ``(1 − α) H(Y)`` is approached as ``‖w‖ → ∞`` along *every*
separating direction), so "formulated as a hard-margin SVM" is read as the regularisation path:
the direction minimising (13) on the sphere ``‖w‖ = r`` tends, as ``r`` grows, to the hard-margin
SVM direction (up to sign: (13) is even in ``w``). It is measured on 2-D and 5-D separable data
(:func:`ib_path`), without any start at the SVM direction.

Each step of the proof is a ``"supporting"`` check measured along a GD trajectory of the model:
(14), (16), (17), (18), (19), the last step of (22), and whether the minimiser of (23) has the
SVM direction. A constructed data set on which (23) — which never sees the labels — picks a
direction orthogonal to the SVM is a ``"counterexample"`` check. Soudry et al. (2018), cited in
Section 3.2 (GD on the logistic loss converges in direction to the hard-margin SVM, slowly), is
shown as ``"background"``: measured and reported, never decisive.

**Figure 4** (Section 3.2, Sagun et al. 2017): after GD the switch to SGD makes the training loss
jump, and "in the end SGD generalizes better because the linear separator in the last layer
separates the feature data by a larger margin". Measured in small (tanh MLP, digits 3 vs 8,
:func:`gd_then_sgd`) against a control branch that keeps GD: the loss jump at the switch and the
last-layer margin of SGD minus that of the GD control, each with one symmetric criterion.

References
----------
Soudry, Hoffer, Nacson, Gunasekar, Srebro (2018), "The implicit bias of gradient descent on
separable data", JMLR 19. Rosset, Zhu, Hastie (2004), "Margin maximizing loss functions", NIPS.
Sagun, Evci, Güney, Dauphin, Bottou (2017), "Empirical analysis of the Hessian of
over-parametrized neural networks".
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import log_expit

from infoplane._io import write_json
from infoplane._typing import FloatArray, IntArray
from infoplane._validation import as_int, fail, positive
from infoplane.analysis import margin as mg
from infoplane.papers.interpretation._common import (
    analysis_runs,
    merge_seeds,
)
from infoplane.reproduce.checks import Check, _jsonable, band_verdict
from infoplane.reproduce.registry import ClaimContext, ClaimResult, claim

__all__ = [
    "ALPHA",
    "ANGLE_TOL",
    "BOUND_TOL",
    "JUMP_FACTOR",
    "R_GAMMA",
    "SwitchResult",
    "claim_claim_2_2",
    "claim_figure_4",
    "counterexample_23",
    "gd_then_sgd",
    "ib_path",
    "judge_claim_2_2",
    "judge_figure_4",
    "measure",
    "run",
]

#: ``α`` of (13) and (23); any ``α > 1`` makes (13) a non-trivial trade-off (for ``α <= 1``,
#: ``(1 − α) I(Y;Ỹ) + I(X;Ỹ|Y) >= 0`` is minimised by ``w = 0``).
ALPHA = 2.0
#: The radii of the regularisation path, as ``r·γ`` (``γ`` the SVM margin): at ``r·γ = 16`` the
#: closest point is predicted wrongly with probability ``σ(−16) ≈ 1e-7``.
R_GAMMA: tuple[float, ...] = (2.0, 4.0, 8.0, 16.0)
#: Angle (radians, ≈ 2.9°) between two lines below which they count as the same direction.
ANGLE_TOL = 0.05
#: Slack (nats) within which an inequality of the proof counts as satisfied (float rounding).
BOUND_TOL = 1e-12
#: Factor by which the loss must exceed the GD control's just after the switch to "jump".
JUMP_FACTOR = 2.0
_LOG2 = math.log(2.0)


# --------------------------------------------------------------------------- measurements
def _unit(v: Any) -> FloatArray:
    a = np.asarray(v, dtype=np.float64)
    return np.asarray(a / np.linalg.norm(a), dtype=np.float64)


def ib_path(x: Any, y: Any, *, alpha: float = ALPHA, r_gamma: Sequence[float] = R_GAMMA,
            seed: int = 0, starts: int = 6) -> dict[str, Any]:
    """The directions minimising (13) and (23) on spheres ``‖w‖ = r``, and the SVM direction.

    For each ``r = r_gamma[k] / γ`` (``γ`` the hard-margin SVM margin) the exact (13), as
    :func:`~infoplane.analysis.margin.ib_excess` on a log scale, and (23)
    (:func:`~infoplane.analysis.margin.objective23`; on the sphere only its term
    ``−α Σ log σ(|wᵀx_i|)`` varies, also taken on a log scale) are minimised over unit
    directions with :func:`~infoplane.analysis.margin.minimise_on_sphere` (a full scan for
    ``d == 2``; random starts, then the previous radius's minimiser, for ``d > 2``; never the
    SVM direction).

    Parameters
    ----------
    x : array, shape (n, d)
        Linearly separable through the origin by `y`.
    y : array, shape (n,)
        Labels in ``{-1, +1}``.
    alpha : float
        ``α`` of (13) and (23) (> 1).
    r_gamma : sequence of float
        Radii times ``γ``, increasing.
    seed, starts
        Random starts for ``d > 2`` (at the first radius).

    Returns
    -------
    dict
        ``d``, ``n``, ``alpha``, ``r_gamma``, ``gamma``, ``w_svm``, and per radius ``w_ib``,
        ``spread_ib``, ``w23``, ``spread_23`` (lists), with the line angles ``angle_ib`` and
        ``angle_23`` to the SVM direction (radians).

    Examples
    --------
    >>> x = np.array([[1.0, 0.5], [1.0, -0.5], [-1.0, 0.5], [-1.0, -0.5], [2.0, 1.5]])
    >>> p = ib_path(x, np.sign(x[:, 0]), r_gamma=(4.0, 8.0))
    >>> bool(p["angle_ib"][-1] < 0.05)
    True
    """
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    if positive("alpha", alpha) <= 1.0:
        raise fail("alpha", "> 1 (for alpha <= 1 the minimiser of (13) is w = 0)", alpha)
    rg = [positive("r_gamma", r) for r in r_gamma]
    w_svm, gamma = mg.hard_margin_svm(xa, ya)
    d = xa.shape[1]

    def ib(w: FloatArray) -> FloatArray:
        return np.asarray(np.log(np.maximum(mg.ib_excess(w, xa, ya, alpha=alpha), 1e-300)))

    def obj23(w: FloatArray) -> FloatArray:  # B‖w‖² is constant on the sphere
        return np.asarray(np.log(-alpha * np.sum(log_expit(np.abs(w @ xa.T)), axis=1)))

    out: dict[str, Any] = {"d": d, "n": len(xa), "alpha": alpha, "r_gamma": rg,
                           "gamma": gamma, "w_svm": w_svm.tolist(), "w_ib": [],
                           "spread_ib": [], "w23": [], "spread_23": [], "angle_ib": [],
                           "angle_23": []}
    prev: dict[str, FloatArray | None] = {"ib": None, "23": None}
    for k, r in enumerate(rg):
        for key, fun in (("ib", ib), ("23", obj23)):
            res = mg.minimise_on_sphere(fun, d, r / gamma, seed=seed,
                                        starts=starts if k == 0 else 1, init=prev[key])
            prev[key] = res.w_unit
            wkey, skey = ("w_ib", "spread_ib") if key == "ib" else ("w23", "spread_23")
            out[wkey].append(res.w_unit.tolist())
            out[skey].append(res.spread)
            out["angle_" + key].append(mg.line_angle(res.w_unit, w_svm))
    return out


def counterexample_23(*, alpha: float = ALPHA, r_gamma: float = 8.0) -> dict[str, Any]:
    """Separable data on which the minimiser of (23) is orthogonal to the hard-margin SVM.

    Four points ``(±1, ±3)`` labelled by the sign of the first coordinate: the SVM direction
    is ``e₁`` with margin 1, but ``|wᵀx_i|`` is largest along ``e₂`` (3 for every point), and
    (23) depends on the data only through ``|wᵀx_i|`` (``|σ(z) − ½| + ½ = σ(|z|)``), so it
    prefers ``e₂``, which misclassifies half the points. (13), which sees the labels, is
    minimised along ``e₁``.

    Returns
    -------
    dict
        ``x``, ``y``, ``w_svm``, ``w23``, ``w_ib``, the line angles ``angle_23`` and
        ``angle_ib`` to the SVM direction, and ``margin_23`` (normalised margin of ``w23``).

    Examples
    --------
    >>> c = counterexample_23()
    >>> round(c["angle_23"], 6), round(c["angle_ib"], 6)
    (1.570796, 0.0)
    """
    x = np.array([[1.0, 3.0], [1.0, -3.0], [-1.0, 3.0], [-1.0, -3.0]])
    y = np.sign(x[:, 0])
    p = ib_path(x, y, alpha=alpha, r_gamma=(r_gamma,))
    w23 = np.asarray(p["w23"][0])
    return {"x": x.tolist(), "y": y.tolist(), "w_svm": p["w_svm"], "w23": p["w23"][0],
            "w_ib": p["w_ib"][0], "angle_23": p["angle_23"][0], "angle_ib": p["angle_ib"][0],
            "margin_23": mg.normalised_margin(w23, x, y), "r_gamma": r_gamma}


def _chain(tr: mg.Trace) -> dict[str, Any]:
    """The bound terms of the proof along a recorded trajectory, as lists."""
    keep = ("mi", "var_py", "var_pyx", "second_moment", "rhs14", "rhs16", "rhs18", "rhs19",
            "objective23", "taylor17_violations", "taylor17_sq_violations", "cs_ratio",
            "log_f_labels", "log_f_confident")
    return {"steps": tr.steps.tolist(), **{k: np.asarray(tr.terms[k]).tolist() for k in keep}}


def _trace(tr: mg.Trace) -> dict[str, Any]:
    return {"steps": tr.steps.tolist(), "angle": tr.angle.tolist(), "w_norm": tr.w_norm.tolist(),
            "margin": tr.margin.tolist(), "loss": tr.loss.tolist(), "svm_margin": tr.svm_margin,
            "summary": tr.summary()}


# --------------------------------------------------------------------------- GD -> SGD
@dataclass(frozen=True)
class SwitchResult:
    """The Figure-4 experiment: a GD phase, then SGD, with a GD-only control branch.

    Arrays have shape ``(R,)`` over ``steps`` (``0..2T``); ``switch`` is ``T``. ``margin`` is
    the normalised margin of the last-layer features ``min_i y_i (wᵀh_i + b)/‖w‖`` of the
    switched run; ``*_control`` are the same for the branch that keeps full-batch GD.
    """

    steps: IntArray
    switch: int
    loss: FloatArray
    margin: FloatArray
    loss_control: FloatArray
    margin_control: FloatArray

    def to_dict(self) -> dict[str, Any]:
        """JSON-able lists (what :func:`judge_figure_4` reads)."""
        return {"steps": self.steps.tolist(), "switch": self.switch, "loss": self.loss.tolist(),
                "margin": self.margin.tolist(), "loss_control": self.loss_control.tolist(),
                "margin_control": self.margin_control.tolist()}


def _digits_pair(n: int, seed: int) -> tuple[FloatArray, FloatArray]:
    from infoplane.datasets import digits

    ds = digits()
    keep = np.isin(ds.y, (3, 8))
    xa = ds.x[keep].astype(np.float64)
    ya = np.where(ds.y[keep] == 3, 1.0, -1.0)
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(xa))[:n]
    return xa[idx], ya[idx]


def gd_then_sgd(x: Any | None = None, y: Any | None = None, *, hidden: tuple[int, ...] = (32, 16),
                steps: int = 500, lr: float = 0.5, batch_size: int = 8, seed: int = 0,
                record_every: int = 10, n: int = 300) -> SwitchResult:
    """Figure 4 (Section 3.2) in small: full-batch GD for ``steps`` updates, then SGD.

    A tanh MLP ``d → hidden → 1`` (:func:`infoplane.models.mlp`) is trained on the logistic
    loss ``mean softplus(−y f(x))``; after ``steps`` GD updates one branch switches to SGD
    with ``batch_size`` and the same ``lr``, the control branch keeps GD, both for ``steps``
    more updates. The last-layer margin is ``min_i y_i (wᵀh_i + b)/‖w‖`` with ``h`` the last
    hidden representation (its normalisation ignores the scale of ``h``).

    All three runs (GD, SGD branch, GD control) are :func:`infoplane.training.fit` with plain
    SGD steps ``p ← p − lr·∇`` (no momentum): the network's output ``f`` is fed to
    cross-entropy as the logits ``(0, f)`` with label ``(y + 1) / 2``, which is exactly
    ``softplus(−y f)``; an SGD step takes the first ``batch_size`` samples of a fresh
    permutation (``TrainConfig.batches_per_epoch=1``).

    Parameters
    ----------
    x, y : arrays or None
        Data (labels ±1); default: ``n`` digits "3" (+1) vs "8" (−1) from scikit-learn.
    hidden : tuple of int
        Hidden widths.
    steps : int
        ``T``: updates per phase.
    lr, batch_size, seed, record_every, n
        Step size, SGD batch, seed (init and batches), record stride, default data size.

    Returns
    -------
    SwitchResult

    Examples
    --------
    >>> r = gd_then_sgd(steps=20, record_every=5, n=60, hidden=(8,))
    >>> r.switch, bool(np.all(np.isfinite(r.loss)))
    (20, True)
    """
    import torch

    from infoplane.models import mlp
    from infoplane.training import TrainConfig, fit

    steps = as_int("steps", steps)
    lr = positive("lr", lr)
    batch_size = as_int("batch_size", batch_size)
    record_every = as_int("record_every", record_every)
    seed = as_int("seed", seed, min_value=0)
    if x is None or y is None:
        xa, ya = _digits_pair(as_int("n", n, min_value=4), seed)
    else:
        xa, ya = mg._check_xy(x, y)
    if batch_size > len(xa):
        raise fail("batch_size", f"<= the number of samples {len(xa)}", batch_size)
    widths = (xa.shape[1], *(as_int("hidden", h) for h in hidden), 1)
    xt = torch.as_tensor(xa, dtype=torch.float64)
    yt = torch.as_tensor(ya, dtype=torch.float64)
    net = mlp(widths, activation="tanh", seed=seed, dtype=torch.float64)

    class TwoLogits(torch.nn.Module):
        """``f -> (0, f)``: cross-entropy on these logits with label ``(y + 1) / 2`` is the
        logistic loss ``softplus(-y f)``, so :func:`~infoplane.training.fit` trains it."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            f = self.inner(x)
            return torch.cat([torch.zeros_like(f), f], dim=1)

    data = (xt, torch.as_tensor(ya > 0, dtype=torch.int64))
    # plain GD / SGD steps p <- p - lr * grad; one optimiser step per "epoch" in both phases
    gd = TrainConfig(epochs=steps, optimizer="sgd", lr=lr, batch_size=None, eval_every=None)
    sgd = replace(gd, batch_size=batch_size, batches_per_epoch=1, seed=seed)

    def measure(model: torch.nn.Sequential) -> tuple[float, float]:
        ls = list(model.children())
        hd = ls[-1]
        assert isinstance(hd, torch.nn.Linear)
        with torch.no_grad():
            h = torch.nn.Sequential(*ls[:-1])(xt)
            f = (h @ hd.weight.T).squeeze(1) + hd.bias
            loss = torch.nn.functional.softplus(-yt * f).mean()
            m = (yt * f).min() / hd.weight.norm()
        return float(loss), float(m)

    rec_steps: list[int] = []
    loss_s: list[float] = []
    marg_s: list[float] = []
    loss_c: list[float] = []
    marg_c: list[float] = []

    def log(t: int, a: tuple[float, float], b: tuple[float, float]) -> None:
        rec_steps.append(t)
        loss_s.append(a[0])
        marg_s.append(a[1])
        loss_c.append(b[0])
        marg_c.append(b[1])

    def log_gd(t: int, _model: torch.nn.Module) -> None:
        if t % record_every == 0 or t == steps:
            m = measure(net)
            log(t, m, m)

    def after_switch(t: int) -> bool:
        return t % record_every == 0 or t == 2 * steps or t == steps + 1

    at_sgd: dict[int, tuple[float, float]] = {}

    def log_sgd(e: int, _model: torch.nn.Module) -> None:
        if after_switch(steps + e):
            at_sgd[steps + e] = measure(net)

    def log_control(e: int, _model: torch.nn.Module) -> None:
        if after_switch(steps + e):
            log(steps + e, at_sgd[steps + e], measure(control))

    m0 = measure(net)
    log(0, m0, m0)
    # tiny matrices: thread start-up dominates on shared cores, hence one thread
    fit(TwoLogits(net), data, config=gd, callback=log_gd, progress=False, num_threads=1)
    control = copy.deepcopy(net)
    # the SGD branch draws each batch from its own generator seeded `seed`; the GD control
    # branch is deterministic, so it runs after it and is logged at the same steps
    fit(TwoLogits(net), data, config=sgd, callback=log_sgd, progress=False, num_threads=1)
    fit(TwoLogits(control), data, config=gd, callback=log_control, progress=False,
        num_threads=1)
    return SwitchResult(steps=np.array(rec_steps, dtype=np.int64), switch=steps,
                        loss=np.array(loss_s), margin=np.array(marg_s),
                        loss_control=np.array(loss_c), margin_control=np.array(marg_c))


# --------------------------------------------------------------------------- run
def run(out: str | Path, *, quick: bool = True, seed: int = 0) -> dict[str, Any]:
    """Measure Claim 2.2 and Figure 4 on one seed; write figures and ``margin.json``.

    Parameters
    ----------
    out : path
        Output directory (created).
    quick : bool
        Small settings (seconds); ``False`` trains 10x longer.
    seed : int
        Seed of the data, the SGD sampler and the MLP.

    Returns
    -------
    dict
        ``ib`` (:func:`ib_path` on 2-D and 5-D data), ``counterexample23``
        (:func:`counterexample_23`), ``chain`` (the proof's bound terms along GD), ``gd`` and
        ``sgd`` (logistic-regression trajectories, Soudry et al.), ``svm`` (QP vs
        scikit-learn), ``switch`` (:class:`SwitchResult` as lists), ``figures`` (file names
        per claim). JSON-able; the judges read only this.
    """
    seed = as_int("seed", seed, min_value=0)
    out_p = Path(out)
    out_p.mkdir(parents=True, exist_ok=True)
    res = measure(seed=seed, steps=20_000 if quick else 200_000,
                  switch={"steps": 300 if quick else 2500, "record_every": 10 if quick else 25})
    res["settings"]["quick"] = quick
    res["figures"] = _figures(out_p, res)
    write_json(out_p / "margin.json", res)
    return res


def measure(*, seed: int = 0, n: int = 200, steps: int = 20_000,
            switch: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every measurement of :func:`run` without figures (sizes exposed for tests).

    Parameters
    ----------
    seed : int
        Seed of the data, the SGD samplers and the MLP.
    n : int
        Points of each separable data set (2-D and 5-D).
    steps : int
        GD and SGD steps of logistic regression.
    switch : dict or None
        Keyword arguments of :func:`gd_then_sgd` (besides `seed`).

    Returns
    -------
    dict
        As :func:`run`, without ``figures``; NaN values are ``None``.
    """
    seed = as_int("seed", seed, min_value=0)
    x, y = mg.separable_data(n, 2, gap=0.2, seed=seed)
    # Stretch one axis so the first GD step (along mean y·x) is not already the SVM direction.
    x = x * np.array([1.0, 4.0])
    x5, y5 = mg.separable_data(n, 5, gap=0.2, seed=seed)
    x5 = x5 * np.linspace(1.0, 4.0, 5)
    svm = mg.svm_crosscheck(x, y)
    solved = mg.hard_margin_svm(x, y)  # solved once, shared by GD and SGD
    gd = mg.train_logistic(x, y, method="gd", lr=1.0, steps=steps, seed=seed, svm=solved,
                           alpha=ALPHA)
    sgd = mg.train_logistic(x, y, method="sgd", lr=1.0, steps=steps, batch_size=1, seed=seed,
                            svm=solved, alpha=ALPHA)
    sw = gd_then_sgd(seed=seed, **dict(switch or {}))
    res: dict[str, Any] = {
        "settings": {"seed": seed, "n": n, "steps": steps, "alpha": ALPHA,
                     "switch": dict(switch or {})},
        "ib": {"2d": ib_path(x, y, seed=seed), "5d": ib_path(x5, y5, seed=seed)},
        "counterexample23": counterexample_23(),
        "chain": _chain(gd),
        "svm": svm,
        "gd": _trace(gd),
        "sgd": _trace(sgd),
        "switch": sw.to_dict(),
    }
    return dict(_jsonable(res, "result"))  # NaN (e.g. the margin of w = 0) becomes None


# --------------------------------------------------------------------------- judges
def _arr(seq: Any) -> FloatArray:
    return np.asarray([np.nan if v is None else v for v in seq], dtype=np.float64)


def _direction_check(name: str, path: Mapping[str, Any], key: str, role: Any,
                     what: str) -> Check:
    """Line angle to the SVM at the largest radius vs :data:`ANGLE_TOL` ± 2 numerical spreads."""
    w_svm = np.asarray(path["w_svm"], dtype=np.float64)
    ws = [np.asarray(w, dtype=np.float64) for w in path["w_ib" if key == "ib" else "w23"]]
    angles = [mg.line_angle(w, w_svm) for w in ws]
    spread = float(path["spread_ib" if key == "ib" else "spread_23"][-1])
    rg = list(path["r_gamma"])
    verdict = band_verdict(angles[-1], spread / 2.0, ANGLE_TOL, holds="below")
    why = (f"{what}: line angle to the hard-margin SVM direction "
           + ", ".join(f"{a:.3g}" for a in angles) + " rad at r·γ = "
           + ", ".join(f"{r:g}" for r in rg) + f" (d = {path['d']}, n = {path['n']}, "
           f"α = {path['alpha']:g}); {angles[-1]:.3g} rad vs {ANGLE_TOL} at r·γ = {rg[-1]:g}")
    return Check(name, verdict, {"angle": angles, "r_gamma": rg, "spread": spread,
                                 "d": path["d"]},
                 f"line angle at the largest r·γ ± spread below {ANGLE_TOL} rad: holds; "
                 f"above: does not hold; straddling: indeterminate", why, role)


def _max_excess(name: str, lhs: FloatArray, rhs: FloatArray, role: Any, text: str,
                numbers: Mapping[str, Any] | None = None, extra: str = "") -> Check:
    """``max_t (lhs − rhs)`` vs :data:`BOUND_TOL`: below holds, above does not hold."""
    gap = lhs - rhs
    worst = int(np.nanargmax(gap))
    stat = float(gap[worst])
    n_viol = int(np.sum(gap > BOUND_TOL))
    verdict = band_verdict(stat, 0.0, BOUND_TOL, holds="below")
    why = (f"{text}: max over {len(gap)} recorded GD steps of LHS − RHS = {stat:.3g} "
           f"({n_viol} step(s) violate it){extra}")
    return Check(name, verdict,
                 {"max_excess": stat, "violations": n_viol, "records": len(gap),
                  "worst_record": worst, **dict(numbers or {})},
                 f"max_t (LHS − RHS) < {BOUND_TOL:g}: holds; > {BOUND_TOL:g}: does not hold",
                 why, role)


def _soudry_direction(name: str, tr: Mapping[str, Any]) -> Check:
    ang = _arr(tr["angle"])
    steps = np.asarray(tr["steps"], dtype=np.float64)
    last = float(np.median(ang[-max(1, len(ang) // 10):]))
    verdict = band_verdict(last, 0.0, ANGLE_TOL, holds="below")
    early = ang[(steps > 0) & (steps <= max(1.0, steps[-1] // 100))]
    first = float(np.nanmax(early)) if early.size else float("nan")
    why = (f"angle to the SVM direction {first:.3g} rad (max over the first 1 % of steps) -> "
           f"{last:.3g} rad (median of the last 10 % of records, step {int(steps[-1])}); "
           f"normalised margin {_arr(tr['margin'])[-1]:.4g} vs SVM {tr['svm_margin']:.4g}")
    return Check(name, verdict,
                 {"angle_early": first, "angle_end": last, "steps": int(steps[-1])},
                 f"median angle of the last 10 % of records below {ANGLE_TOL} rad: holds; "
                 "above: does not hold", why, "background")


def _soudry_rate(tr: Mapping[str, Any]) -> Check:
    steps = np.asarray(tr["steps"], dtype=np.float64)
    ang = _arr(tr["angle"])
    late = (steps >= max(10.0, math.sqrt(steps[-1]))) & (ang > 0)
    name = "Soudry et al.: GD angle decays like 1/log t"
    crit = "|slope + 1| ± 2 se below 0.5: holds; above: does not hold"
    if late.sum() < 4:
        return Check(name, "not testable here", {"late_records": int(late.sum())}, crit,
                     "fewer than 4 late records to fit", "background")
    xs = np.log(np.log(steps[late]))
    coef, cov = np.polyfit(xs, np.log(ang[late]), 1, cov=True)
    slope, se = float(coef[0]), float(math.sqrt(max(cov[0, 0], 0.0)))
    verdict = band_verdict(abs(slope + 1.0), se, 0.5, holds="below")
    wn = np.polyfit(np.log(steps[late]), _arr(tr["w_norm"])[late], 1)[0]
    why = (f"slope of log angle vs log log t over steps {int(steps[late][0])}-"
           f"{int(steps[-1])} = {slope:.3g} ± {se:.2g} (−1 for 1/log t, an asymptotic rate); "
           f"‖w_t‖ grows by {wn:.3g} per unit of log t (1/γ = {1 / tr['svm_margin']:.3g})")
    return Check(name, verdict,
                 {"slope": slope, "se": se, "w_norm_per_log_t": float(wn),
                  "inv_svm_margin": 1 / tr["svm_margin"]}, crit, why, "background")


def judge_claim_2_2(result: Mapping[str, Any]) -> list[Check]:
    """The checks of Claim 2.2 from one :func:`run` result.

    Measurement (decides): for 2-D and 5-D separable data, the line angle between the
    minimiser of the exact (13) on ``‖w‖ = r`` and the hard-margin SVM direction at the
    largest ``r·γ`` of :data:`R_GAMMA`; "holds" when ``angle + spread < ANGLE_TOL``, "does not
    hold" when ``angle − spread > ANGLE_TOL``, otherwise "indeterminate" (``spread``: the
    optimiser's numerical uncertainty, used as ``2·se``).

    Supporting (proof steps, each measured along the GD trajectory; "holds" when
    ``max_t (LHS − RHS) < BOUND_TOL``, "does not hold" when it exceeds it):
    (14) ``I(X;Ỹ) <= 2(Var p(ỹ) + Var p(ỹ|x))``; (16) ``Var p(ỹ|x) <= 1/4 + 3E(σ − ½)²``;
    (17) ``σ(z) <= ½ + z/4`` at every point (LHS − RHS = number of points violating it);
    (18) ``3E(σ − ½)² <= (3/16) E‖x‖² ‖w‖²``; (19) ``I(X;Ỹ) <= A + B‖w‖²``; the last step of
    (22) ``Σ log f(y_i|x_i) >= Σ log(|σ − ½| + ½)``; and the minimiser of (23) against the SVM
    direction with the measurement's criterion.

    Counterexample: :func:`counterexample_23`: "refuted by counterexample" when the (23)
    minimiser's line angle to the SVM exceeds :data:`ANGLE_TOL`.

    Background (Soudry et al., never decisive): GD's and SGD's final angle to the SVM below
    :data:`ANGLE_TOL`; the fitted exponent of ``angle ~ (log t)^s`` with ``|s + 1| < 0.5``.

    Parameters
    ----------
    result : dict
        From :func:`run` (or a modified copy).

    Returns
    -------
    list of Check
    """
    checks: list[Check] = []
    for dim, path in result["ib"].items():
        checks.append(_direction_check(
            f"(13) minimiser → SVM direction ({dim})", path, "ib", "measurement",
            "minimiser of the exact IB objective (13) on ‖w‖ = r"))
    c = result["chain"]
    g = {k: _arr(v) for k, v in c.items()}
    zeros = np.zeros_like(g["mi"])
    checks.append(_max_excess(
        "(14) I(X;Ỹ) <= 2(Var p(ỹ) + Var p(ỹ|x))", g["mi"], g["rhs14"], "supporting",
        "(14) from Appendix A", {"mi_end": float(g["mi"][-1]), "rhs_end": float(g["rhs14"][-1])},
        f"; at the end I = {g['mi'][-1]:.4g} nats vs RHS {g['rhs14'][-1]:.3g} (σ(wᵀx) saturates: "
        "both variances → 0 while I → H(Ỹ))"))
    second16 = g["rhs16"] / 2.0 - g["var_py"]
    ident = float(np.nanmax(np.abs(g["second_moment"] - second16)))
    checks.append(_max_excess(
        "(16) Var p(ỹ|x) <= 1/4 + 3 E(σ(wᵀx) − 1/2)²", g["var_pyx"], second16, "supporting",
        "(16)", {"identity_error": ident},
        f"; the identity E[p(Ỹ|X)²] = 1/4 + 3E(σ − ½)² holds to {ident:.2g}: (16) bounds the "
        "variance by the second moment, which is >= 1/4"))
    checks.append(_max_excess(
        "(17) σ(wᵀx) <= 1/2 + wᵀx/4 at every point", g["taylor17_violations"], zeros,
        "supporting", "(17) (LHS: number of points where it fails)",
        {"squared_form_violations": float(np.nanmax(g["taylor17_sq_violations"]))},
        f"; every failure has wᵀx < 0 (σ is convex there); the squared form (σ − ½)² <= "
        f"(wᵀx)²/16 that (18) needs fails at {int(np.nanmax(g['taylor17_sq_violations']))}"))
    checks.append(_max_excess(
        "(18) 3E(σ − 1/2)² <= (3/16) E‖x‖² ‖w‖²", g["rhs16"], g["rhs18"], "supporting",
        "(16) <= (18)", {"cs_ratio_min": float(np.nanmin(g["cs_ratio"][1:]))},
        f"; the paper's equality ∫(wᵀx)²p(x)dx = (∫x²p(x)dx)‖w‖² is the Cauchy-Schwarz "
        f"bound: E(wᵀx)²/(E‖x‖²‖w‖²) is as low as {np.nanmin(g['cs_ratio'][1:]):.3g}"))
    vac = float(np.mean(g["rhs19"] >= _LOG2))
    checks.append(_max_excess(
        "(19) I(X;Ỹ) <= A + B‖w‖²", g["mi"], g["rhs19"], "supporting",
        f"(19) with A = {mg.A_CONST:g}, B = (3/8)E‖x‖²", {"vacuous_fraction": vac},
        f"; the RHS exceeds log 2 >= I (vacuous) at {vac:.0%} of the records"))
    checks.append(_max_excess(
        "(22) last step: Σ log f(y_i|x_i) >= Σ log(|σ − 1/2| + 1/2)", g["log_f_confident"],
        g["log_f_labels"], "supporting",
        "(22), last step, with ỹ_i = y_i", None,
        "; |σ − ½| + ½ = max(σ, 1 − σ) >= f(y_i|x_i), with equality only where w classifies "
        "x_i correctly"))
    for dim, path in result["ib"].items():
        checks.append(_direction_check(
            f"(23) minimiser → SVM direction ({dim})", path, "23", "supporting",
            "minimiser of (23) on ‖w‖ = r (the paper's 'Lagrangian form')"))
    ce = result["counterexample23"]
    a23 = mg.line_angle(ce["w23"], ce["w_svm"])
    aib = mg.line_angle(ce["w_ib"], ce["w_svm"])
    checks.append(Check(
        "(23) is an optimal-margin classifier: labels ignored", "refuted by counterexample"
        if a23 > ANGLE_TOL else "holds",
        {"angle_23": a23, "angle_ib": aib, "margin_23": ce["margin_23"], "x": ce["x"],
         "y": ce["y"]},
        f"line angle between the (23) minimiser and the SVM direction above {ANGLE_TOL} rad on "
        "constructed separable data: refuted by counterexample",
        f"points (±1, ±3) labelled by the first coordinate: the (23) minimiser is {a23:.3g} rad "
        f"from the SVM direction (normalised margin {ce['margin_23']:.3g}: it misclassifies), "
        f"because (23) depends only on |wᵀx_i|; the (13) minimiser is {aib:.3g} rad from it",
        "counterexample"))
    checks.append(_soudry_direction("Soudry et al.: GD → SVM direction", result["gd"]))
    checks.append(_soudry_direction("Soudry et al.: SGD (batch 1) → SVM direction",
                                    result["sgd"]))
    checks.append(_soudry_rate(result["gd"]))
    return checks


def _window(sw: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    steps = np.asarray(sw["steps"], dtype=np.int64)
    t0 = int(sw["switch"])
    post = steps > t0
    span = max(int(steps[post][0] - t0) if post.any() else 1, t0 // 10)
    win = post & (steps <= t0 + span)
    n_post = int(post.sum())
    tail = np.zeros_like(post)
    tail[np.flatnonzero(post)[-max(3, n_post // 5):]] = True
    return win, tail


def judge_figure_4(result: Mapping[str, Any]) -> list[Check]:
    """The checks of Figure 4 from one :func:`run` result (its ``switch`` entry).

    Measurement "loss jumps": ``J = log10(max loss_SGD / max loss_GD-control)`` over the
    records in the first ``max(T/10, one record)`` steps after the switch; "holds" when
    ``J > log10(JUMP_FACTOR)``, "does not hold" when below (one number per seed, no spread).

    Measurement "larger last-layer margin with SGD": ``Δ = margin_SGD − margin_GD-control`` over
    the last 20 % of records (at least 3): "holds" when ``mean(Δ) − 2 se > 0``, "does not hold"
    when ``mean(Δ) + 2 se < 0``, "indeterminate" in between (``se = std/√k``).

    Supporting "margin grows after the switch": the SGD margin over the same last records
    minus its value at the switch, with the same band around 0.

    Parameters
    ----------
    result : dict
        From :func:`run`, or any dict with a ``switch`` entry (:meth:`SwitchResult.to_dict`).

    Returns
    -------
    list of Check
    """
    sw = result["switch"]
    loss, loss_c = _arr(sw["loss"]), _arr(sw["loss_control"])
    marg, marg_c = _arr(sw["margin"]), _arr(sw["margin_control"])
    steps = np.asarray(sw["steps"], dtype=np.int64)
    t0 = int(sw["switch"])
    i0 = int(np.searchsorted(steps, t0))
    win, tail = _window(sw)
    jump = float(np.log10(np.max(loss[win]) / np.max(loss_c[win])))
    thr = math.log10(JUMP_FACTOR)
    checks = [Check(
        "loss jumps at the GD → SGD switch", band_verdict(jump, 0.0, thr, holds="above"),
        {"log10_ratio": jump, "loss_at_switch": float(loss[i0]),
         "loss_max_sgd": float(np.max(loss[win])), "loss_max_control": float(np.max(loss_c[win])),
         "window_steps": [int(steps[win][0]), int(steps[win][-1])]},
        f"log10(max SGD loss / max GD-control loss) in the window after the switch above "
        f"log10({JUMP_FACTOR:g}): holds; below: does not hold",
        f"loss {loss[i0]:.3g} at the switch (step {t0}); max {np.max(loss[win]):.3g} with SGD vs "
        f"{np.max(loss_c[win]):.3g} with GD continued over steps {int(steps[win][0])}-"
        f"{int(steps[win][-1])}: ×{10 ** jump:.3g}")]
    delta = marg[tail] - marg_c[tail]
    mean, se = float(np.mean(delta)), float(np.std(delta) / math.sqrt(len(delta)))
    checks.append(Check(
        "larger last-layer margin with SGD than with GD continued",
        band_verdict(mean, se, 0.0, holds="above"),
        {"delta_mean": mean, "delta_se": se, "margin_sgd": float(np.mean(marg[tail])),
         "margin_control": float(np.mean(marg_c[tail])), "records": int(tail.sum())},
        "mean(margin_SGD − margin_GD) over the last 20 % of records ± 2 se above 0: holds; "
        "below 0: does not hold; straddling 0: indeterminate",
        f"last-layer margin {np.mean(marg[tail]):.4g} with SGD vs {np.mean(marg_c[tail]):.4g} "
        f"with GD continued: Δ = {mean:+.3g} ± {se:.2g} (over {int(tail.sum())} records)"))
    grow = marg[tail] - marg[i0]
    gm, gs = float(np.mean(grow)), float(np.std(grow) / math.sqrt(len(grow)))
    checks.append(Check(
        "last-layer margin grows after the switch",
        band_verdict(gm, gs, 0.0, holds="above"),
        {"growth_mean": gm, "growth_se": gs, "margin_at_switch": float(marg[i0])},
        "mean(margin_SGD at the end − margin at the switch) ± 2 se above 0: holds; below 0: "
        "does not hold; straddling 0: indeterminate",
        f"SGD margin {marg[i0]:.4g} at the switch -> {np.mean(marg[tail]):.4g} at the end "
        f"(Δ = {gm:+.3g} ± {gs:.2g})", "supporting"))
    return checks


# --------------------------------------------------------------------------- figures
def _save(fig: Any, out: Path, name: str) -> str:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(out / name, dpi=100)
    plt.close(fig)
    return name


def _figures(out: Path, res: Mapping[str, Any]) -> dict[str, list[str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for k, (dim, path) in enumerate(res["ib"].items()):
        rg = path["r_gamma"]
        ax.loglog(rg, np.maximum(path["angle_ib"], 1e-6), "o-", color=f"C{k}",
                  label=f"(13) exact IB, {dim}")
        ax.loglog(rg, np.maximum(path["angle_23"], 1e-6), "s--", color=f"C{k}",
                  label=f"(23) bound, {dim}")
        ax.set_xticks(rg, [f"{r:g}" for r in rg])
    ax.axhline(ANGLE_TOL, color="grey", ls=":", label=f"tolerance {ANGLE_TOL} rad")
    ax.set_xlabel("r·γ  (‖w‖ = r, γ = SVM margin)")
    ax.set_ylabel("line angle to hard-margin SVM (rad)")
    ax.set_title("Claim 2.2: minimiser of (13) / (23) on ‖w‖ = r")
    ax.legend(fontsize=7)
    claim22 = [_save(fig, out, "margin_ib.png")]

    c = res["chain"]
    st = np.asarray(c["steps"])
    m = st > 0
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, lab in (("mi", "I(X;Ỹ) exact"), ("rhs14", "(14) 2(Var p(ỹ)+Var p(ỹ|x))"),
                     ("rhs16", "(16) second-moment form"), ("rhs18", "(18) 3/16 E(wᵀx)²"),
                     ("rhs19", "(19) A + B‖w‖²")):
        ax.loglog(st[m], np.asarray(c[key])[m], label=lab)
    ax.axhline(_LOG2, color="grey", ls=":", label="log 2")
    ax.set_xlabel("GD step t")
    ax.set_ylabel("nats")
    ax.set_title("Both sides of (14)-(19) along GD")
    ax.legend(fontsize=7)
    claim22.append(_save(fig, out, "margin_bound.png"))

    fig, ax = plt.subplots(figsize=(6, 4))
    for key, lab in (("gd", "GD"), ("sgd", "SGD")):
        s = np.asarray(res[key]["steps"])
        a = _arr(res[key]["angle"])
        ax.loglog(s[s > 0], a[s > 0], label=lab)
    s = np.asarray(res["gd"]["steps"], dtype=np.float64)
    ts = s[s > 1]
    cst = float(_arr(res["gd"]["angle"])[-1] * math.log(s[-1]))
    ax.loglog(ts, cst / np.log(ts), "k--", label="c / log t")
    ax.set_xlabel("step t")
    ax.set_ylabel("angle to hard-margin SVM direction (rad)")
    ax.set_title("Background (Soudry et al.): logistic GD/SGD direction")
    ax.legend()
    claim22.append(_save(fig, out, "margin_angle.png"))

    sw = res["switch"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    a1.semilogy(sw["steps"], sw["loss"], label="GD then SGD")
    a1.semilogy(sw["steps"], sw["loss_control"], "--", label="GD only (control)")
    a2.plot(sw["steps"], sw["margin"], label="GD then SGD")
    a2.plot(sw["steps"], sw["margin_control"], "--", label="GD only (control)")
    for a in (a1, a2):
        a.axvline(sw["switch"], color="k", ls=":", label="switch")
        a.set_xlabel("step")
        a.legend()
    a1.set_ylabel("training loss (nats)")
    a2.set_ylabel("last-layer normalised margin")
    a1.set_title("Loss around the GD → SGD switch")
    a2.set_title("Last-layer feature margin around the switch")
    return {"claim-2-2": claim22, "figure-4": [_save(fig, out, "margin_switch.png")]}


# --------------------------------------------------------------------------- claims
def _runs(ctx: ClaimContext, start: int = 0) -> dict[int, tuple[dict[str, Any], Path]]:
    return analysis_runs("margin", run, ctx, start)


def _tally(checks: Sequence[Check]) -> str:
    dec = [c for c in checks if c.role == "measurement"]
    n_h = sum(c.verdict == "holds" for c in dec)
    n_i = sum(c.verdict == "indeterminate" for c in dec)
    text = f"{n_h}/{len(dec)} measurements hold"
    return text + (f", {n_i} indeterminate" if n_i else "")


def _figs(runs: Mapping[int, tuple[dict[str, Any], Path]], key: str) -> list[str]:
    res, d = runs[min(runs)]
    return [str(d / f) for f in res["figures"][key]]


def _judged(runs: Mapping[int, tuple[dict[str, Any], Path]],
            judge: Callable[[Mapping[str, Any]], list[Check]]) -> list[Check]:
    return merge_seeds({s: judge(r) for s, (r, _) in runs.items()})


@claim("interp-claim-2-2", paper="interpretation", section="Section 2.2, Claim 2.2",
       statement="Consider a binary classification problem where the data set D = (x_i, y_i) "
                 "are linearly seperable. p(ỹ = 1 | x, w) is modeled by f(x, w) = σ(wᵗx) and "
                 "p(ỹ = −1 | x, w) = 1 − f(x, w). Recall that σ(t) = 1/(1+e^{−t}). Given a IB "
                 "problem: Minimize I(X; Ỹ) − α I(Y; Ỹ) (13) it can be formulated as hard "
                 "margin SVM problem.",
       measures="The direction minimising the exact (13) on ‖w‖ = r (regularisation path, "
                "r·γ up to 16) vs the hard-margin SVM direction on 2-D and 5-D separable data "
                "(decides); each proof step (14)-(23) along a GD trajectory (supporting); a "
                "constructed counterexample to (23); Soudry et al.'s GD → max-margin result "
                "(background).",
       quick_seconds=30.0)
def claim_claim_2_2(ctx: ClaimContext) -> ClaimResult:
    """Claim 2.2: the IB problem (13) on separable data is the hard-margin SVM problem.

    Verdict from :func:`judge_claim_2_2` on each seed of :func:`run`, merged by
    :func:`~infoplane.papers.interpretation._common.merge_seeds`.

    Parameters
    ----------
    ctx : ClaimContext

    Returns
    -------
    ClaimResult
    """
    runs = _runs(ctx)
    checks = _judged(runs, judge_claim_2_2)
    angles = {dim: [r["ib"][dim]["angle_ib"][-1] for r, _ in runs.values()]
              for dim in runs[min(runs)][0]["ib"]}
    worst = {dim: max(v) for dim, v in angles.items()}
    steps = [c for c in checks if c.role == "supporting"]
    n_ok = sum(c.verdict == "holds" for c in steps)
    key = (_tally(checks) + " ((13) vs SVM, worst seed: "
           + ", ".join(f"{dim} {a:.2g} rad" for dim, a in worst.items())
           + f"); {n_ok}/{len(steps)} proof steps hold")
    return ClaimResult.from_checks(
        ctx.claim_id, checks, key_number=key, figures=_figs(runs, "claim-2-2"),
        numbers={"seeds": sorted(runs), "angle_ib_final": angles,
                 "r_gamma": list(R_GAMMA), "alpha": ALPHA, "angle_tol": ANGLE_TOL},
        why="(13) has no minimiser on separable data; its minimiser on ‖w‖ = r, as r grows, "
            "is compared with the hard-margin SVM direction.")


@claim("interp-figure-4", paper="interpretation", section="Section 3.2, Figure 4",
       statement="Switching GD to SGD makes the loss jump and the last-layer margin grow: "
                 "\"Notice there's a significant jump at step 2.5k when the optimization "
                 "algorithm is changed\"; \"In the end SGD generalizes better because the "
                 "linear separator in the last layer separates the feature data by a larger "
                 "margin.\"",
       measures="A tanh MLP on digits 3 vs 8 trained with GD, then SGD, against a branch that "
                "keeps GD: the loss ratio just after the switch and the last-layer margin "
                "difference at the end.",
       quick_seconds=30.0)
def claim_figure_4(ctx: ClaimContext) -> ClaimResult:
    """Figure 4: the loss jumps at the GD → SGD switch and SGD ends with a larger margin.

    Verdict from :func:`judge_figure_4` on each seed of :func:`run`, merged over seeds.

    Parameters
    ----------
    ctx : ClaimContext

    Returns
    -------
    ClaimResult
    """
    runs = _runs(ctx, start=1)
    checks = _judged(runs, judge_figure_4)
    per = {s: judge_figure_4(r) for s, (r, _) in runs.items()}
    jumps = [p[0].numbers["log10_ratio"] for p in per.values()]
    deltas = [p[1].numbers["delta_mean"] for p in per.values()]
    key = (_tally(checks) + f" (loss ×{10 ** min(jumps):.3g} … ×{10 ** max(jumps):.3g} just "
           f"after the switch; SGD − GD margin {min(deltas):+.3g} … {max(deltas):+.3g})")
    return ClaimResult.from_checks(
        ctx.claim_id, checks, key_number=key, figures=_figs(runs, "figure-4"),
        numbers={"seeds": sorted(runs), "log10_loss_ratio": jumps, "margin_delta": deltas,
                 "jump_factor": JUMP_FACTOR})


