"""Confidence intervals and permutation tests of independence for every estimator.

Two functions, reached through every estimator's methods of the same names
(:meth:`Estimator.confidence_interval <infoplane.estimators.base.Estimator.confidence_interval>`
and :meth:`Estimator.independence_test <infoplane.estimators.base.Estimator.independence_test>`):

* :func:`confidence_interval` — an interval for I(X;Y) by resampling rows, with a method chosen
  per estimator so that its coverage is honest (see "Which method, and why" below);
* :func:`independence_test` — a permutation test of H0: X ⟂ Y, the statistic being the
  estimator's own estimate (NPEET's ``shuffle_test`` is the model).

Methods
-------
Let θ̂ be the estimate on all n rows, α = 1 − ``level``, and q_p the p-quantile of the
resampled roots r_b (b = 1..B).

``"bootstrap"`` — the *basic* (reflected-percentile) bootstrap (Efron & Tibshirani 1993,
    §13.4; Davison & Hinkley 1997, Eq. 5.6): B resamples of n rows drawn with replacement,
    r_b = θ*_b − θ̂, interval [θ̂ − q_{1−α/2}, θ̂ − q_{α/2}]. Reflecting the resampled errors
    about θ̂ subtracts the bootstrap estimate of the bias, which for plug-in estimators
    (Gaussian fit, binning) is of the same size as the sampling error's shift; the plain
    percentile interval adds it instead.
``"percentile"`` — Efron's percentile interval [θ*_{(α/2)}, θ*_{(1−α/2)}] (for comparison).
``"subsampling"`` — Politis & Romano (1994): B subsamples of m < n rows drawn *without*
    replacement (m = n // 2 by default), with estimates θ̂_m,b and their mean θ̄_m; roots
    r_b = θ̂_m,b − θ̄_m, interval [θ̂ − c·q_{1−α/2}, θ̂ − c·q_{α/2}] with c = √(m / (n − m)).
    Two departures from the textbook form, both measured (docs/DECISIONS.md):

    * *Scale.* Politis & Romano rescale by √(m/n), their limit for m/n → 0. At finite m/n a
      subsample shares m/n of its rows with the full sample, so Var(θ̂_m − θ̂) = σ²(1/m − 1/n)
      for a √n-consistent estimator, and the finite-population factor √(m/(n − m)) is the one
      that recovers Var(θ̂) = σ²/n (it equals √(m/n)·(1 − m/n)^(−1/2), and 1 at m = n/2: the
      delete-n/2 jackknife, Shao & Wu 1989). With √(m/n) at m = n/2 the intervals are √2 too
      narrow (KSG 1×1, n = 1000: coverage 0.76 instead of 0.97).
    * *Centre.* The roots are centred at the subsamples' own mean θ̄_m, not at θ̂ (the two are
      asymptotically equivalent). A k-NN estimate's error has a part set by the exact
      neighbour configuration, which every subsample redraws: the subsample estimates regress
      towards the smooth part of θ̂, so θ̂_m − θ̂ is correlated with θ̂'s own error (−0.6 for
      KSG 1×1, n = 1000) and an interval built on it doubles that error (coverage 0.89
      instead of 0.97; transformed task 0.86 instead of 0.93).

``"split"`` — sample splitting: the rows are split at random into K = ``n_resamples``
    disjoint folds; with s the standard deviation of the K fold estimates,
    θ̂ ± t_{K−1, 1−α/2} · s/√K (a fold has n/K rows, so its variance is K times that of θ̂).
    Costs about one estimate for estimators that are superlinear in n; it is centred at θ̂
    and corrects no bias.

With fewer than 5 resamples beyond each end (B < 10/α, i.e. 200 at 95 %) the end quantiles
are too noisy to read off the resamples — a noisy critical value lowers coverage: 0.88–0.91
instead of 0.94–0.95 with B = 40–60 (basic bootstrap, Gaussian 1×1, n = 1000), 0.91 instead
of 0.95 (subsampling, KSG on a transformed 1×1 task) — and the normal approximation of the
roots is used instead, which covered 0.94–0.97 on the same data, with s_r their standard
deviation: centre θ̂ (subsampling), 2θ̂ − θ̄* (bootstrap) or θ̄* (percentile),
half-width t_{B−1, 1−α/2} · c · s_r (subsampling) or t_{B−1, 1−α/2} · s_r · √(1 + 1/B) (the
bootstrap forms, whose centre carries the noise of the mean θ̄*); the :class:`Interval`'s
``method`` then reads ``"subsampling-t"``, ``"bootstrap-t"`` or ``"percentile-t"``.

Which method, and why
---------------------
The naive bootstrap is wrong for k-NN estimators (Kraskov et al. 2004 assume a density: no two
samples coincide). In a resample drawn with replacement about 1 − 1/e ≈ 63 % of the rows
have an exact copy; every copy is a neighbour at distance 0, so the k-th neighbour distances
shrink, the marginal counts collapse, and the resampled KSG estimates sit far *above* the
full-sample one — a spurious difference, not a sampling one (KSG 1×1 at I = 0.22 nats,
n = 1000: +0.74 nats on average, and 0 of 150 basic-bootstrap intervals cover). Subsampling
without replacement never duplicates a row and needs only that θ̂ have a limit law at rate √n
(Politis & Romano 1994, Theorem 2.1), which is why it is the default for the k-NN
estimators and for estimators of unknown structure. The bootstrap is kept where the estimate
is a smooth functional of the empirical distribution, which duplicates only reweight: the
Gaussian fit (a function of the sample covariance) and the binned plug-in (a function of the
cell frequencies). KDE is such a functional too (with σ² fixed, its estimate is
F(P̂) = H(Ŷ) + E_P̂ log(E_P̂[k·1{y'=y}] / E_P̂[k])), so the bootstrap would be valid there; its
default is subsampling only for cost, as each half-sample costs a quarter of the O(n²)
estimate. The defaults, and the coverage measured on the
samplers (``benchmarks/interval_coverage.py``, docs/DECISIONS.md), are in :data:`DEFAULTS`.

The neural bounds (MINE, NWJ, SMILE, InfoNCE) and :class:`~infoplane.estimators.LatentMI`
cost a full training per resample: their default is 10
half-samples (about 11 trainings in all, each on half the rows; the t-form above), which is
cheap rather than accurate. The spread of the half-samples includes the optimiser's
run-to-run noise (each half-sample is a fresh training) but not the bound's bias: these are
*lower bounds*, and an interval around a biased bound covers the bound, not I(X;Y).

Every interval is in the estimator's unit, centred on (``value`` =) the full-data estimate,
and never clamped (an MI interval may reach below 0, as the estimate itself may).

References
----------
D. N. Politis and J. P. Romano, "Large sample confidence regions based on subsamples under
minimal assumptions", Ann. Statist. 22(4):2031–2050 (1994).
B. Efron and R. J. Tibshirani, *An Introduction to the Bootstrap*, Chapman & Hall (1993).
A. C. Davison and D. V. Hinkley, *Bootstrap Methods and their Application*, CUP (1997).
J. Shao and C. F. J. Wu, "A general theory for jackknife variance estimation",
Ann. Statist. 17(3):1176–1197 (1989).
A. Kraskov, H. Stögbauer and P. Grassberger, "Estimating mutual information",
Phys. Rev. E 69, 066138 (2004).
G. Ver Steeg, NPEET (Non-parametric entropy estimation toolbox), ``shuffle_test``.
B. Phipson and G. K. Smyth, "Permutation p-values should never be zero", Stat. Appl. Genet.
Mol. Biol. 9(1), Article 39 (2010).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

from infoplane._typing import FloatArray, IntArray
from infoplane._validation import as_float, as_int, choice, fail
from infoplane.estimators.base import Estimator, Interval, TestResult, warn

__all__ = ["DEFAULTS", "METHODS", "Default", "Method", "confidence_interval", "default_for",
           "independence_test"]

Method = Literal["bootstrap", "percentile", "subsampling", "split"]
#: The interval constructions :func:`confidence_interval` accepts.
METHODS: tuple[str, ...] = ("bootstrap", "percentile", "subsampling", "split")

#: Largest number of resamples or permutations accepted (one float each is stored).
_MAX_RESAMPLES = 10_000_000
#: Resamples needed beyond each end of the interval to read it off the resamples' quantiles;
#: with fewer, the normal (t) form is used (see the module docstring).
_TAIL_RESAMPLES = 5
#: Folds of the ``"split"`` method when it is asked for without ``n_resamples``.
_SPLIT_FOLDS = 10


@dataclass(frozen=True)
class Default:
    """An estimator's default interval.

    Attributes
    ----------
    method : {"bootstrap", "percentile", "subsampling", "split"}
    n_resamples : int
        Resamples B (or folds K for ``"split"``).
    why : str
        The reason, in one line (the measurements are in docs/DECISIONS.md).
    """

    method: Method
    n_resamples: int
    why: str


#: Default interval per estimator class (looked up along the class's MRO by name, so a
#: subclass inherits its parent's). Measured coverage behind each: docs/DECISIONS.md.
DEFAULTS: dict[str, Default] = {
    "Gaussian": Default("bootstrap", 1000,
                        "a smooth function of the sample covariance: the bootstrap is valid, "
                        "the basic form subtracts the +d_x·d_y/(2n) bias"),
    "Binning": Default("bootstrap", 1000,
                       "a smooth function of the cell frequencies when I > 0 (duplicates "
                       "only reweight a cell); the basic form subtracts the plug-in bias"),
    "KSG": Default("subsampling", 100,
                   "duplicated rows are neighbours at distance 0: no bootstrap; half-samples "
                   "without replacement"),
    "MixedKSG": Default("subsampling", 100,
                        "as KSG; duplicates would also count as exact ties (Gao's rule)"),
    "KDE": Default("subsampling", 50,
                   "a smooth functional (the bootstrap is valid too), but O(n²): a half-sample "
                   "costs a quarter of an estimate"),
    "MINE": Default("subsampling", 10,
                    "one training per resample: 10 half-samples (t form), cheap, not exact"),
    "InfoNCE": Default("subsampling", 10,
                       "one training per resample: 10 half-samples (t form), cheap, not exact"),
    "NWJ": Default("subsampling", 10,
                   "one training per resample: 10 half-samples (t form), cheap, not exact"),
    "SMILE": Default("subsampling", 10,
                     "one training per resample: 10 half-samples (t form), cheap, not exact"),
    "Unmixed": Default("subsampling", 20,
                       "refits FastICA on each resample (seconds in 100-D) and a bootstrap's "
                       "duplicated rows would enter the unmixing: 20 half-samples (t form)"),
    "LatentMI": Default("subsampling", 10,
                        "one encoder training per resample: 10 half-samples (t form), cheap, "
                        "not exact"),
}
#: For estimators not in :data:`DEFAULTS`: subsampling asks least of the estimator.
_FALLBACK = Default("subsampling", 100, "needs only a limit law at rate √n (Politis & Romano)")

#: Estimators whose ``estimate_many(xs, y)`` equals ``[estimate(x, y) for x in xs]`` and shares
#: the work on ``y`` (used by the permutation test, which then permutes the rows of x).
_SHARES_Y = frozenset({"KSG", "MixedKSG"})


def default_for(estimator: Estimator) -> Default:
    """The default interval method and number of resamples of an estimator.

    Looked up by class name along the MRO in :data:`DEFAULTS`; a wrapper with an estimator
    field ``base`` (:class:`~infoplane.estimators.default.NormalScores`) and no entry of its
    own (:class:`~infoplane.estimators.default.Unmixed` has one) takes the wrapped
    estimator's default — the normal-score transform maps duplicated rows to duplicated
    rows, so it inherits the base estimator's sensitivity to them. Anything else gets
    subsampling, which asks least of the estimator.

    Parameters
    ----------
    estimator : Estimator

    Returns
    -------
    Default
        ``method``, ``n_resamples`` and a one-line ``why``.

    Examples
    --------
    >>> from infoplane.estimators import KSG, Gaussian
    >>> default_for(KSG()).method, default_for(Gaussian()).method
    ('subsampling', 'bootstrap')
    """
    own = DEFAULTS.get(type(estimator).__name__)
    if own is not None:                   # a wrapper with its own entry (Unmixed: costly refit)
        return own
    base = getattr(estimator, "base", None)
    if isinstance(base, Estimator):       # a wrapper (NormalScores): the wrapped estimator's
        return default_for(base)
    for cls in type(estimator).__mro__:
        if cls.__name__ in DEFAULTS:
            return DEFAULTS[cls.__name__]
    return _FALLBACK


# ================================================================================ validation

def _check_estimator(estimator: object) -> Estimator:
    if not isinstance(estimator, Estimator):
        raise TypeError(f"`estimator` must be an infoplane Estimator (KSG(), Gaussian(), ...), "
                        f"got {type(estimator).__name__}.")
    return estimator


def _count(name: str, value: object, min_value: int) -> int:
    out = as_int(name, value, min_value=min_value)
    if out > _MAX_RESAMPLES:
        raise fail(name, f"<= {_MAX_RESAMPLES:,}", value)
    return out


def _check_level(level: object) -> float:
    out = as_float("level", level)
    if not 0.0 < out < 1.0:
        raise fail("level", "in (0, 1) (the nominal coverage, e.g. 0.95)", level)
    return out


def _neighbours(estimator: Estimator) -> int | None:
    """The k of a k-NN estimator (or of the one it wraps), or None."""
    base = getattr(estimator, "base", None)
    if isinstance(base, Estimator):
        return _neighbours(base)
    k = getattr(estimator, "k", None)
    return k if isinstance(k, int) and not isinstance(k, bool) else None


def _subsample_size(estimator: Estimator, n: int, subsample: int | float | None) -> int:
    """m for the subsampling method: validated against n (and k for k-NN estimators)."""
    if subsample is None:
        m = n // 2
        how = f"with n = {n} samples (the default subsample is n // 2)"
    elif isinstance(subsample, float | np.floating) and not float(subsample).is_integer():
        frac = as_float("subsample", subsample, min_value=0.0, strict_min=True)
        if frac >= 1.0:
            raise fail("subsample", "a fraction in (0, 1) or a row count in [2, n)", subsample)
        m = int(frac * n)
        how = f"with n = {n} samples (subsample = {frac:g} × n)"
    else:
        m = as_int("subsample", subsample, min_value=2)
        how = f"with n = {n} samples"
        if m >= n:
            raise fail("subsample", f"smaller than the number of samples n = {n} "
                       "(subsamples are drawn without replacement)", subsample)
    k = _neighbours(estimator)
    if k is None:
        if m < 2:
            raise fail("subsample", f"at least 2 rows {how}", m, "Pass more samples.")
    elif m < k + 1:
        raise fail("subsample", f"at least k + 1 = {k + 1} rows for "
                   f"{type(estimator).__name__}(k={k}) {how}: a k-NN estimate needs k "
                   "neighbours", m, "Pass more samples, a larger `subsample` or a smaller k.")
    return m


def _check_folds(estimator: Estimator, n: int, folds: int) -> None:
    if folds < 2:
        raise fail("n_resamples", "an integer >= 2 for method='split' (the number of folds)",
                   folds)
    smallest = n // folds
    k = _neighbours(estimator)
    need = 2 if k is None else k + 1
    if smallest < need:
        what = "2 rows" if k is None else (
            f"k + 1 = {k + 1} rows for {type(estimator).__name__}(k={k})")
        raise fail("n_resamples", f"small enough to leave folds of at least {what} from "
                   f"n = {n} samples (folds of n // n_resamples = {smallest} rows)", folds,
                   "Use fewer folds or more samples.")


# ================================================================================ resampling

def _collecting(run: Callable[[], FloatArray]) -> tuple[FloatArray, dict[str, int]]:
    """Run the resamples with their warnings silenced: (result, {message: count})."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run()
    counts: dict[str, int] = {}
    for w in caught:
        counts[str(w.message)] = counts.get(str(w.message), 0) + 1
    return result, counts


def _reissue(counts: dict[str, int], total: int, what: str, *, counted: bool = True) -> None:
    """Each distinct warning of the resamples once, with the number of resamples it came from
    (issued from this module, so :func:`warn` attributes it to the caller's line)."""
    for message, count in counts.items():
        where = f"in {min(count, total)} of {total} {what}" if counted else f"on the {what}"
        warn(f"{message} ({where})")


def _rows(value: npt.ArrayLike) -> npt.NDArray[Any]:
    """The input as an array indexable by rows (already validated by the full estimate)."""
    return np.asarray(value)


def _resampled(estimate: Callable[[IntArray], float], draws: Iterator[IntArray],
               total: int, what: str) -> FloatArray:
    out = np.empty(total, dtype=np.float64)

    def run() -> FloatArray:
        for b, idx in enumerate(draws):
            try:
                out[b] = estimate(idx)
            except (ValueError, ArithmeticError) as exc:
                exc.add_note(f"(raised on {what[:-1]} {b + 1} of {total}: {idx.size} rows)")
                raise
        return out

    result, counts = _collecting(run)
    _reissue(counts, total, what)
    return result


def _quantile_interval(value: float, roots: FloatArray, alpha: float, scale: float,
                       reflect: bool) -> tuple[float, float]:
    lo_q, hi_q = np.quantile(roots, [alpha / 2.0, 1.0 - alpha / 2.0])
    if reflect:
        return value - scale * float(hi_q), value - scale * float(lo_q)
    return value + scale * float(lo_q), value + scale * float(hi_q)


def _t_interval(centre: float, roots: FloatArray, alpha: float, scale: float,
                inflate: bool) -> tuple[float, float]:
    b = roots.size
    half = float(stats.t.ppf(1.0 - alpha / 2.0, b - 1)) * scale * float(roots.std(ddof=1))
    if inflate:
        half *= math.sqrt(1.0 + 1.0 / b)
    return centre - half, centre + half


def confidence_interval(estimator: Estimator, x: npt.ArrayLike, y: npt.ArrayLike, *,
                        level: float = 0.95, n_resamples: int | None = None,
                        method: str | None = None, seed: int = 0,
                        subsample: int | float | None = None) -> Interval:
    """A confidence interval for I(X;Y) by resampling rows (method chosen per estimator).

    Parameters
    ----------
    estimator : Estimator
        Any infoplane estimator; its own options (k, unit, seed, ...) are used unchanged on
        every resample.
    x, y : array_like, shape (n,) or (n, d)
        Paired samples, as for ``estimator.estimate``; rows of x and y (labels included, for
        estimators with discrete y) are always resampled together.
    level : float, default 0.95
        Nominal coverage, in (0, 1).
    n_resamples : int, optional
        Resamples B (``"bootstrap"``, ``"percentile"``, ``"subsampling"``) or folds K
        (``"split"``), >= 2. Default: the estimator's (:data:`DEFAULTS`) for its default
        method, 10 folds for ``"split"``, and the estimator's default B for another method.
    method : {"bootstrap", "percentile", "subsampling", "split"}, optional
        Default: the estimator's (:data:`DEFAULTS`; see the module docstring for each
        construction and why the bootstrap is not used for k-NN estimators).
    seed : int, default 0
        Seed of the resampling (the estimator's own ``seed`` is separate).
    subsample : int or float, optional
        Subsample size m for ``"subsampling"``: a row count in [2, n), or a fraction of n in
        (0, 1). Default n // 2. k-NN estimators need m >= k + 1.

    Returns
    -------
    Interval
        ``value`` (the full-data estimate), ``low``, ``high``, ``level``, ``method`` (with a
        ``-t`` suffix when the normal approximation was used, see the module docstring),
        ``n_resamples`` and ``unit`` (the estimator's).

    Raises
    ------
    ValueError
        ``level`` outside (0, 1); ``n_resamples`` < 2 or above 10^7; an unknown ``method``;
        a subsample (or fold) smaller than a k-NN estimate needs (k + 1 rows); ``subsample``
        >= n; and whatever the estimator raises on the data.

    Notes
    -----
    Cost: 1 + B estimates (bootstrap; subsampling on m rows each) or 1 + K estimates on n/K
    rows (split). Warnings raised by the resampled estimates (few samples per k-NN ball, a
    small class, ...) are collected and issued once each, with the number of resamples that
    raised them.

    Examples
    --------
    >>> import numpy as np
    >>> from infoplane.estimators import Gaussian, KSG
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(1000)
    >>> y = 0.6 * x + 0.8 * rng.standard_normal(1000)       # I = -½ log(1 - 0.36) = 0.223
    >>> ci = Gaussian().confidence_interval(x, y, seed=0)
    >>> ci.method, ci.low < 0.223 < ci.high
    ('bootstrap', True)
    >>> ci = KSG().confidence_interval(x, y, n_resamples=50)   # < 200: the t form
    >>> ci.method, ci.n_resamples, ci.low < ci.value < ci.high
    ('subsampling-t', 50, True)
    """
    est = _check_estimator(estimator)
    level = _check_level(level)
    seed = as_int("seed", seed, min_value=0)
    default = default_for(est)
    chosen = default.method if method is None else choice("method", method, METHODS)
    if n_resamples is None:
        b = (default.n_resamples if chosen == default.method
             else _SPLIT_FOLDS if chosen == "split" else default.n_resamples)
    else:
        b = _count("n_resamples", n_resamples, 2)
    alpha = 1.0 - level

    xa, ya = _rows(x), _rows(y)
    if xa.ndim == 0:
        est.estimate(x, y)                  # raises the estimator's own error
    n = xa.shape[0]
    # sizes first (before any estimate), then the data, validated once by the full estimate
    if chosen == "split":
        _check_folds(est, n, b)
    elif chosen == "subsampling":
        m = _subsample_size(est, n, subsample)
    elif subsample is not None:
        raise ValueError(f"`subsample` applies to method='subsampling' only, got "
                         f"subsample={subsample!r} with method={chosen!r}.")
    value = est.estimate(x, y)
    rng = np.random.default_rng(seed)

    def on(idx: IntArray) -> float:
        return est.estimate(xa[idx], ya[idx])

    if chosen == "split":
        folds = np.array_split(rng.permutation(n).astype(np.int64), b)
        fold_values = _resampled(on, iter(folds), b, "folds")
        half = (float(stats.t.ppf(1.0 - alpha / 2.0, b - 1))
                * float(fold_values.std(ddof=1)) / math.sqrt(b))
        return Interval(value=value, low=value - half, high=value + half, level=level,
                        method="split", n_resamples=b, unit=est.unit)

    if chosen == "subsampling":
        scale = math.sqrt(m / (n - m))
        draws: Iterator[IntArray] = (rng.permutation(n)[:m].astype(np.int64)
                                     for _ in range(b))
        what = "subsamples"
    else:
        scale = 1.0
        draws = (np.asarray(rng.integers(0, n, size=n), dtype=np.int64) for _ in range(b))
        what = "resamples"
    resampled = _resampled(on, draws, b, what)
    if chosen == "subsampling":
        roots = resampled - resampled.mean()
        centre = value
    else:
        roots = resampled - value
        centre = (value - float(roots.mean()) if chosen == "bootstrap"
                  else float(resampled.mean()))
    if b * alpha >= _TAIL_RESAMPLES * 2.0:
        low, high = _quantile_interval(value, roots, alpha, scale, chosen != "percentile")
        label = chosen
    else:
        low, high = _t_interval(centre, roots, alpha, scale, chosen != "subsampling")
        label = f"{chosen}-t"
    return Interval(value=value, low=low, high=high, level=level, method=label,
                    n_resamples=b, unit=est.unit)


# ========================================================================== permutation test

def independence_test(estimator: Estimator, x: npt.ArrayLike, y: npt.ArrayLike, *,
                      n_permutations: int = 199, seed: int = 0) -> TestResult:
    """Permutation test of independence with the estimator's estimate as the statistic.

    The rows of y are shuffled against those of x (``n_permutations`` seeded permutations),
    which keeps both marginals and destroys any dependence; the p-value is the share of
    shuffled statistics at least as large as the observed one, with the +1 correction that
    counts the observed data as one of the permutations (Phipson & Smyth 2010):

        p = (1 + #{b : I_b >= I_obs}) / (1 + n_permutations),

    exact (valid at every level) under H0: X ⟂ Y for exchangeable rows, and never 0. This is
    NPEET's ``shuffle_test`` with a p-value instead of a confidence band.

    Parameters
    ----------
    estimator : Estimator
    x, y : array_like, shape (n,) or (n, d)
        Paired samples, as for ``estimator.estimate``.
    n_permutations : int, default 199
        Number of permutations B, >= 1; the smallest attainable p-value is 1 / (B + 1).
    seed : int, default 0
        Seed of the permutations.

    Returns
    -------
    TestResult
        ``statistic`` (the estimate on the data as given, in the estimator's unit),
        ``p_value``, ``n_permutations``, ``unit``.

    Notes
    -----
    For KSG and MixedKSG the rows of *x* are permuted instead (the estimate depends only on
    the set of (x, y) pairs, so this is the same test) and the permuted estimates go through
    ``estimate_many``, which builds y's neighbour structure once. Cost: 1 + B estimates.

    Examples
    --------
    >>> import numpy as np
    >>> from infoplane.estimators import Gaussian
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(300)
    >>> Gaussian().independence_test(x, x + rng.standard_normal(300)).p_value  # 1 / 200
    0.005
    >>> Gaussian().independence_test(x, rng.standard_normal(300)).p_value > 0.05
    True
    """
    est = _check_estimator(estimator)
    b = _count("n_permutations", n_permutations, 1)
    seed = as_int("seed", seed, min_value=0)
    observed = est.estimate(x, y)            # validates x and y once
    xa, ya = _rows(x), _rows(y)
    n = xa.shape[0]
    rng = np.random.default_rng(seed)

    def run() -> FloatArray:
        if type(est).__name__ in _SHARES_Y:
            return est.estimate_many((xa[rng.permutation(n)] for _ in range(b)), ya)
        return np.array([est.estimate(xa, ya[rng.permutation(n)]) for _ in range(b)],
                        dtype=np.float64)

    shuffled, counts = _collecting(run)
    _reissue(counts, b, "permuted data", counted=type(est).__name__ not in _SHARES_Y)
    exceed = int(np.count_nonzero(shuffled >= observed))
    return TestResult(statistic=observed, p_value=(1.0 + exceed) / (1.0 + b),
                      n_permutations=b, unit=est.unit)
