"""Measurement tools for Claim 2.2 of the interpretation paper (IB and the hard-margin SVM).

The paper (``001``, Section 2.2) models ``p(ỹ = 1 | x) = σ(wᵀx)`` on linearly separable data and
claims that the IB problem "Minimize ``I(X;Ỹ) − α I(Y;Ỹ)``" (13) can be formulated as a
hard-margin SVM problem, bounding (13) through (14)-(22) by (23). Everything here is exact for
the empirical distribution of ``x`` (``X`` uniform over the ``n`` points, ``Y = y(X)``,
``Ỹ | x ~ Bernoulli σ(wᵀx)``), in nats:

* :func:`hard_margin_svm` -- the hard-margin SVM *without bias* (matching ``σ(wᵀx)``), a QP
  solved with SLSQP and cross-checked against scikit-learn's ``LinearSVC``
  (:func:`svm_crosscheck`); :func:`separable_data`, :func:`normalised_margin`, :func:`angle`,
  :func:`line_angle`.
* :func:`ib_terms`, :func:`ib_objective`, :func:`ib_excess` -- ``I(X;Ỹ)``, ``I(Y;Ỹ)``,
  ``I(X;Ỹ|Y)`` and the objective (13); :func:`objective23` -- the paper's bound (23);
  :func:`minimise_on_sphere` -- the minimiser of an objective on ``‖w‖ = r`` without a guess.
* :func:`bound_terms` -- every quantity of the chain (14)-(19), the last step of (22) and (23).
* :func:`train_logistic` -- GD / SGD on ``mean log(1 + exp(−y wᵀx))`` (NumPy, exact
  gradients) recording the margin, the angle to the SVM direction, ``‖w‖`` and
  :func:`bound_terms` along the way (Soudry et al.'s setting); :func:`angle_rate`,
  :func:`wnorm_rate`.

Facts about the paper's argument these tools make checkable (the verdicts live in
:mod:`infoplane.papers.interpretation.margin`):

* **(14)** is false on separable data late in training: both variances tend to 0 while
  ``I(X;Ỹ) → log 2``. **(16)** bounds the variance by the second moment ``E[p(Ỹ|X)²] >= 1/4``.
* **(17)** ``σ(z) <= 1/2 + z/4`` is false for every ``z < 0``; (18) needs only the squared form
  ``(σ(z) − 1/2)² <= z²/16`` (``|σ'| <= 1/4``), which holds; the equality in (18) is the
  Cauchy-Schwarz bound with ``E‖x‖²``: ``B = (3/8) E‖x‖²``, ``A = 2(D + 1/4) = 5/8``.
* **(19)** holds but is vacuous once ``A + B‖w‖² >= log 2``.
* **(22)/(23)**: ``|σ − 1/2| + 1/2 = max(σ, 1 − σ) = σ(|z|) >= f(y_i|x_i)``, so the last step of
  (22) holds (with equality) only where ``w`` classifies ``x_i`` correctly, and (23) depends on
  the data only through ``|wᵀx_i|``: it never sees the labels.
* (13) itself is even in ``w`` and has no minimiser for ``α > 1``: its infimum
  ``(1 − α) H(Y)`` is approached as ``‖w‖ → ∞`` along any separating direction; its minimiser on
  ``‖w‖ = r`` tends to the SVM direction as ``r`` grows.

References
----------
Soudry, Hoffer, Nacson, Gunasekar, Srebro (2018), "The implicit bias of gradient descent on
separable data", JMLR 19.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import optimize
from scipy.special import expit, log_expit

from infoplane._typing import FloatArray, IntArray
from infoplane._validation import as_float, as_int, choice, fail, finite_array, positive

__all__ = [
    "A_CONST",
    "D_CONST",
    "SphereMin",
    "Trace",
    "angle",
    "angle_rate",
    "bound_terms",
    "hard_margin_svm",
    "ib_excess",
    "ib_objective",
    "ib_terms",
    "line_angle",
    "minimise_on_sphere",
    "normalised_margin",
    "objective23",
    "separable_data",
    "svm_crosscheck",
    "train_logistic",
    "wnorm_rate",
]

#: ``D = sup_q Var p(Ỹ) = max_s s(1 − 4s) = 1/16`` (the constant of (15), computed exactly).
D_CONST = 1.0 / 16.0
#: ``A = 2(D + 1/4) = 5/8``, the constant of (19).
A_CONST = 2.0 * (D_CONST + 0.25)
_LOG2 = math.log(2.0)
Method = Literal["gd", "sgd"]


# --------------------------------------------------------------------------- validation
def _check_xy(x: Any, y: Any) -> tuple[FloatArray, FloatArray]:
    xa = finite_array("x", x, ndim=2)
    ya = finite_array("y", y, ndim=1)
    if ya.shape[0] != xa.shape[0]:
        raise fail("y", f"of length {xa.shape[0]} (one label per row of `x`)", ya)
    if not np.all(np.isin(ya, (-1.0, 1.0))):
        raise fail("y", "labels in {-1, +1}", ya, "Map 0/1 labels with `2 * y - 1`.")
    return xa, ya


def _check_w(name: str, w: Any, d: int | None = None) -> FloatArray:
    wa = finite_array(name, w, ndim=1)
    if d is not None and wa.shape[0] != d:
        raise fail(name, f"of length {d}", wa)
    if not np.any(wa != 0.0):
        raise fail(name, "a non-zero vector", wa)
    return wa


# --------------------------------------------------------------------------- geometry
def normalised_margin(w: Any, x: Any, y: Any) -> float:
    """Normalised margin ``min_i y_i wᵀx_i / ‖w‖`` of a linear classifier without bias.

    Parameters
    ----------
    w : array, shape (d,)
        Weight vector (non-zero).
    x : array, shape (n, d)
        Inputs.
    y : array, shape (n,)
        Labels in ``{-1, +1}``.

    Returns
    -------
    float
        The margin; negative when some point is misclassified.

    Examples
    --------
    >>> normalised_margin([2.0, 0.0], [[1.0, 3.0], [-2.0, 1.0]], [1, -1])
    1.0
    """
    xa, ya = _check_xy(x, y)
    wa = _check_w("w", w, xa.shape[1])
    return float(np.min(ya * (xa @ wa)) / np.linalg.norm(wa))


def angle(w: Any, v: Any) -> float:
    """Angle between two non-zero vectors, in radians in ``[0, π]``.

    Examples
    --------
    >>> round(angle([1.0, 0.0], [1.0, 1.0]), 6) == round(math.pi / 4, 6)
    True
    """
    wa = _check_w("w", w)
    va = _check_w("v", v, wa.shape[0])
    c = float(wa @ va / (np.linalg.norm(wa) * np.linalg.norm(va)))
    return float(math.acos(min(1.0, max(-1.0, c))))


def hard_margin_svm(x: Any, y: Any, *, method: Literal["qp", "sklearn"] = "qp",
                    tol: float = 1e-10) -> tuple[FloatArray, float]:
    """Exact hard-margin SVM through the origin (no bias), matching the model ``σ(wᵀx)``.

    Solves ``min ½‖w‖²`` subject to ``y_i wᵀx_i ≥ 1`` and returns the unit direction
    ``ŵ = w/‖w‖`` and the margin ``γ = 1/‖w‖ = min_i y_i ŵᵀx_i``. Soudry et al. (2018) show
    that GD on the logistic loss without bias converges in direction to this ``ŵ``.

    Parameters
    ----------
    x : array, shape (n, d)
    y : array, shape (n,)
        Labels in ``{-1, +1}``.
    method : {"qp", "sklearn"}
        ``"qp"``: the primal QP with SLSQP (exact to ``tol``). ``"sklearn"``: scikit-learn's
        ``LinearSVC(loss="hinge", fit_intercept=False, C=1e6)`` (soft margin with a huge C; a
        cross-check, see :func:`svm_crosscheck`).
    tol : float
        Solver tolerance for SLSQP.

    Returns
    -------
    (w_unit, margin) : (array of shape (d,), float)

    Raises
    ------
    ValueError
        If the data are not linearly separable through the origin.

    Examples
    --------
    >>> x = [[1.0, 0.5], [1.0, -0.5], [-1.0, 0.5], [-1.0, -0.5]]
    >>> w, g = hard_margin_svm(x, [1, 1, -1, -1])
    >>> np.round(w, 6).tolist(), round(g, 6)
    ([1.0, 0.0], 1.0)
    """
    xa, ya = _check_xy(x, y)
    choice("method", method, ("qp", "sklearn"))
    positive("tol", tol)
    z = ya[:, None] * xa
    if method == "sklearn":
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.svm import LinearSVC

        clf = LinearSVC(loss="hinge", fit_intercept=False, C=1e6, tol=1e-10, max_iter=1_000_000,
                        dual=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(xa, ya)
        w = np.asarray(clf.coef_, dtype=np.float64).ravel()
    else:
        # Feasible start: the label-weighted mean, rescaled so that min constraint = 1.
        w0 = z.mean(axis=0)
        if not np.all(z @ w0 > 0):
            lsq = np.linalg.lstsq(z, np.ones(len(z)), rcond=None)[0]
            w0 = lsq
        m0 = float(np.min(z @ w0))
        if m0 > 0:
            w0 = w0 / m0
        res = optimize.minimize(
            lambda w: 0.5 * float(w @ w), w0, jac=lambda w: w, method="SLSQP",
            constraints=[{"type": "ineq", "fun": lambda w: z @ w - 1.0,
                          "jac": lambda w: z}],
            options={"ftol": tol, "maxiter": 1000},
        )
        w = np.asarray(res.x, dtype=np.float64)
    norm = float(np.linalg.norm(w))
    if norm == 0.0 or float(np.min(z @ w)) <= 1e-9 * norm:
        raise fail("x", "linearly separable through the origin by the labels `y`", xa,
                   "Add a constant feature to allow a bias, or remove overlapping points.")
    w_unit = w / norm
    return w_unit, float(np.min(z @ w_unit))


def svm_crosscheck(x: Any, y: Any) -> dict[str, float]:
    """Compare the QP and scikit-learn hard-margin solutions.

    Returns
    -------
    dict
        ``angle`` (radians) between the two directions and both margins.

    Examples
    --------
    >>> x = [[1.0, 0.5], [1.0, -0.5], [-1.0, 0.5], [-1.0, -0.5]]
    >>> svm_crosscheck(x, [1, 1, -1, -1])["angle"] < 1e-4
    True
    """
    return _crosscheck(x, y)[0]


def _crosscheck(x: Any, y: Any) -> tuple[dict[str, float], tuple[FloatArray, float]]:
    """:func:`svm_crosscheck`'s numbers and the QP solution ``(w_unit, margin)`` itself."""
    wq, gq = hard_margin_svm(x, y, method="qp")
    ws, gs = hard_margin_svm(x, y, method="sklearn")
    return {"angle": angle(wq, ws), "margin_qp": gq, "margin_sklearn": gs}, (wq, gq)


def separable_data(n: int = 200, d: int = 2, *, gap: float = 0.2, seed: int = 0,
                   ) -> tuple[FloatArray, FloatArray]:
    """Gaussian points separable through the origin with margin ≥ ``gap`` (labels ±1).

    Points ``x ~ N(0, I_d)`` are labelled ``sign(w*ᵀx)`` for a random unit ``w*``; those with
    ``|w*ᵀx| < gap`` are discarded (and redrawn) so the set is separable.

    Examples
    --------
    >>> x, y = separable_data(50, 3, seed=1)
    >>> x.shape, set(y.tolist()) == {-1.0, 1.0}
    ((50, 3), True)
    """
    n = as_int("n", n, min_value=2)
    d = as_int("d", d, min_value=1)
    gap = positive("gap", gap)
    rng = np.random.default_rng(as_int("seed", seed, min_value=0))
    w_star = rng.standard_normal(d)
    w_star /= np.linalg.norm(w_star)
    rows: list[FloatArray] = []
    total = 0
    while total < n:
        cand = rng.standard_normal((4 * n, d))
        keep = cand[np.abs(cand @ w_star) >= gap]
        rows.append(keep)
        total += len(keep)
    xa = np.concatenate(rows)[:n]
    return xa, np.sign(xa @ w_star)


# --------------------------------------------------------------------------- bound chain
def _binary_entropy(p: FloatArray) -> FloatArray:
    q = np.clip(p, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(np.where(q > 0, q * np.log(q), 0.0) + np.where(q < 1, (1 - q) * np.log1p(-q), 0.0))
    return np.asarray(h, dtype=np.float64)


def bound_terms(w: Any, x: Any, y: Any | None = None, *, alpha: float = 1.0) -> dict[str, float]:
    """Every quantity of the chain (14)-(19) and the objective (23), exactly, in nats.

    ``X`` is uniform over the rows of ``x``; ``p_i = σ(wᵀx_i)``; ``q = mean p_i``.

    Returns
    -------
    dict
        ``mi``: exact ``I(X;Ỹ) = H(q) − mean H(p_i)``;
        ``var_py``: ``Var p(Ỹ) = s(1 − 4s)``, ``s = q(1 − q)``;
        ``var_pyx``: ``Var p(Ỹ|X)`` under the joint law;
        ``rhs14``: ``2(var_py + var_pyx)`` (Appendix A, (14));
        ``rhs16``: ``2(var_py + 1/4 + 3 mean (p − 1/2)²)``;
        ``rhs18``: ``2(var_py + 1/4 + 3/16 mean (wᵀx)²)``;
        ``rhs19``: ``A + B‖w‖²`` with ``A = 5/8``, ``B = (3/8) mean ‖x‖²``;
        ``objective23``: ``A + B‖w‖² − α Σ_i log(|p_i − 1/2| + 1/2)`` (``A' = A``);
        ``taylor17_violations``: number of ``i`` with ``σ(z_i) > 1/2 + z_i/4`` (all have
        ``z_i < 0``); ``taylor17_sq_violations``: those with ``(σ − 1/2)² > z²/16`` (never);
        ``loss``: the logistic loss when ``y`` is given (else NaN);
        ``second_moment``: ``E[p(Ỹ|X)²] = mean(p³ + (1 − p)³)``, which (16) rewrites as
        ``1/4 + 3 mean (p − 1/2)²``; ``cs_ratio``: ``mean (wᵀx)² / (mean ‖x‖² ‖w‖²)`` (the
        equality of (18) would make it 1; NaN for ``w = 0``); ``log_f_labels``:
        ``Σ_i log f(y_i|x_i) = Σ log σ(y_i wᵀx_i)`` (NaN without ``y``); ``log_f_confident``:
        ``Σ_i log(|p_i − 1/2| + 1/2)``, the last term of (22) and of (23).

    Examples
    --------
    >>> t = bound_terms([0.0, 0.0], [[1.0, 0.0], [-1.0, 0.0]])
    >>> t["mi"], t["rhs14"], t["rhs16"]
    (0.0, 0.0, 0.5)
    """
    xa = finite_array("x", x, ndim=2)
    wa = finite_array("w", w, ndim=1)
    if wa.shape[0] != xa.shape[1]:
        raise fail("w", f"of length {xa.shape[1]}", wa)
    alpha = as_float("alpha", alpha, min_value=0.0)
    return _terms(wa, xa, None if y is None else _check_xy(xa, y)[1], alpha,
                  float(np.mean(np.sum(xa * xa, axis=1))))


def _terms(w: FloatArray, x: FloatArray, y: FloatArray | None, alpha: float,
           ex2: float) -> dict[str, float]:
    z = x @ w
    p = expit(z)
    q = float(p.mean())
    mi = float(_binary_entropy(np.array([q]))[0] - _binary_entropy(p).mean())
    s = q * (1.0 - q)
    var_py = s * (1.0 - 4.0 * s)
    m1 = float(np.mean(p**2 + (1 - p) ** 2))
    m2 = float(np.mean(p**3 + (1 - p) ** 3))
    var_pyx = m2 - m1**2
    w2 = float(w @ w)
    b_const = 2.0 * 3.0 / 16.0 * ex2
    conf = np.abs(p - 0.5) + 0.5
    out = {
        "mi": max(mi, 0.0) if mi > -1e-15 else mi,
        "var_py": var_py,
        "var_pyx": var_pyx,
        "rhs14": 2.0 * (var_py + var_pyx),
        "rhs16": 2.0 * (var_py + 0.25 + 3.0 * float(np.mean((p - 0.5) ** 2))),
        "rhs18": 2.0 * (var_py + 0.25 + 3.0 / 16.0 * float(np.mean(z**2))),
        "rhs19": A_CONST + b_const * w2,
        "objective23": A_CONST + b_const * w2 - alpha * float(np.sum(np.log(conf))),
        "taylor17_violations": float(np.sum(p > 0.5 + z / 4.0 + 1e-15)),
        "taylor17_sq_violations": float(np.sum((p - 0.5) ** 2 > z**2 / 16.0 + 1e-15)),
        "loss": float("nan") if y is None else float(-np.mean(log_expit(y * z))),
        "second_moment": m2,
        "cs_ratio": float(np.mean(z**2)) / (ex2 * w2) if w2 > 0 and ex2 > 0 else float("nan"),
        "log_f_labels": float("nan") if y is None else float(np.sum(log_expit(y * z))),
        "log_f_confident": float(np.sum(log_expit(np.abs(z)))),
    }
    return out


# --------------------------------------------------------------------------- IB objective (13)
def _entropy_of_logits(z: FloatArray) -> FloatArray:
    """Binary entropy ``h(σ(z))`` in nats, accurate for large ``|z|``."""
    p = expit(z)
    return np.asarray(-(p * log_expit(z) + (1.0 - p) * log_expit(-z)), dtype=np.float64)


def _as_batch(name: str, w: Any, d: int) -> tuple[FloatArray, bool]:
    wa = finite_array(name, w, ndim=(1, 2))
    if wa.shape[-1] != d:
        raise fail(name, f"of length {d} (one weight per column of `x`)", wa)
    return np.atleast_2d(wa), wa.ndim == 1


def ib_terms(w: Any, x: Any, y: Any) -> dict[str, Any]:
    """Exact information quantities of the model ``p(ỹ = 1 | x) = σ(wᵀx)`` (Claim 2.2), nats.

    ``X`` is uniform over the rows of ``x`` and ``Y = y(X)`` its label, so the joint law of
    ``(X, Y, Ỹ)`` is exact: ``p(y, ỹ = 1) = (1/n) Σ_{i: y_i = y} σ(wᵀx_i)``.

    Parameters
    ----------
    w : array, shape (d,) or (k, d)
        One weight vector, or ``k`` of them (evaluated at once).
    x : array, shape (n, d)
    y : array, shape (n,)
        Labels in ``{-1, +1}``.

    Returns
    -------
    dict
        ``ixt``: ``I(X;Ỹ) = H(Ỹ) − H(Ỹ|X)``; ``iyt``: ``I(Y;Ỹ) = H(Ỹ) − H(Ỹ|Y)``;
        ``ixt_given_y``: ``I(X;Ỹ|Y) = H(Ỹ|Y) − H(Ỹ|X) = ixt − iyt`` (computed directly);
        ``hy``: ``H(Y)``. Floats for one ``w``, arrays of shape ``(k,)`` for ``k``.

    Examples
    --------
    >>> x = [[1.0, 0.0], [-1.0, 0.0]]
    >>> t = ib_terms([50.0, 0.0], x, [1, -1])
    >>> round(t["ixt"], 12) == round(t["iyt"], 12) == round(math.log(2), 12)
    True
    >>> ib_terms([0.0, 0.0], x, [1, -1])["ixt"]
    0.0
    """
    xa, ya = _check_xy(x, y)
    wb, single = _as_batch("w", w, xa.shape[1])
    z = wb @ xa.T                                   # (k, n)
    q = expit(z).mean(axis=1)
    h_q = _binary_entropy(q)
    h_x = _entropy_of_logits(z).mean(axis=1)        # H(Ỹ|X)
    pos = ya > 0
    p_pos = float(pos.mean())
    h_y = np.zeros(len(wb))                         # H(Ỹ|Y)
    for mask, weight in ((pos, p_pos), (~pos, 1.0 - p_pos)):
        if mask.any():
            h_y = h_y + weight * _binary_entropy(expit(z[:, mask]).mean(axis=1))
    hy = float(_binary_entropy(np.array([p_pos]))[0])
    out: dict[str, Any] = {"ixt": np.maximum(h_q - h_x, 0.0), "iyt": np.maximum(h_q - h_y, 0.0),
                           "ixt_given_y": np.maximum(h_y - h_x, 0.0), "hy": hy}
    if single:
        out = {k: float(v[0]) if isinstance(v, np.ndarray) else v for k, v in out.items()}
    return out


def ib_objective(w: Any, x: Any, y: Any, *, alpha: float = 2.0) -> Any:
    """The IB objective (13), ``I(X;Ỹ) − α I(Y;Ỹ)``, exactly (nats); see :func:`ib_terms`.

    Since ``Y`` is a function of ``X``, (13) equals ``(1 − α) I(Y;Ỹ) + I(X;Ỹ|Y)``: for
    ``α <= 1`` it is minimised by ``w = 0``; for ``α > 1`` its infimum ``(1 − α) H(Y)`` is
    approached as ``‖w‖ → ∞`` along any separating direction, and (13) is even in ``w`` (it does
    not see which value of ``Ỹ`` is called "1").

    Returns
    -------
    float or array of shape (k,)

    Examples
    --------
    >>> x, y = [[1.0, 0.0], [-1.0, 0.0]], [1, -1]
    >>> round(ib_objective([40.0, 0.0], x, y, alpha=2.0), 9) == round(-math.log(2), 9)
    True
    """
    alpha = as_float("alpha", alpha, min_value=0.0)
    t = ib_terms(w, x, y)
    return t["ixt"] - alpha * t["iyt"]


def ib_excess(w: Any, x: Any, y: Any, *, alpha: float = 2.0) -> Any:
    """(13) minus its infimum: ``I(X;Ỹ|Y) + (α − 1)(H(Y) − I(Y;Ỹ))`` (>= 0 for ``α >= 1``).

    The same objective as :func:`ib_objective` up to the constant ``(1 − α) H(Y)``, computed
    without the cancellation of two ``O(1)`` numbers, so that it can be minimised (on a log
    scale) when it is ``1e-8`` above its infimum.

    Examples
    --------
    >>> x, y = [[1.0, 0.0], [-1.0, 0.5], [2.0, 1.0]], [1, -1, 1]
    >>> w = [0.7, -0.2]
    >>> math.isclose(ib_excess(w, x, y, alpha=3.0),
    ...              ib_objective(w, x, y, alpha=3.0) + 2.0 * ib_terms(w, x, y)["hy"])
    True
    """
    alpha = as_float("alpha", alpha, min_value=0.0)
    t = ib_terms(w, x, y)
    return t["ixt_given_y"] + (alpha - 1.0) * (t["hy"] - t["iyt"])


def objective23(w: Any, x: Any, *, alpha: float = 2.0) -> Any:
    """The right-hand side of (23) without its constant: ``B‖w‖² − α Σ_i log(|σ(wᵀx_i) − ½| + ½)``.

    ``B = (3/8) E‖x‖²`` as in (18)-(19) (see :func:`bound_terms`). Note
    ``|σ(z) − ½| + ½ = σ(|z|)``: (23) depends on the data only through ``|wᵀx_i|``, never on the
    labels.

    Parameters
    ----------
    w : array, shape (d,) or (k, d)
    x : array, shape (n, d)
    alpha : float

    Returns
    -------
    float or array of shape (k,)

    Examples
    --------
    >>> x = [[1.0, 0.0], [-1.0, 0.0]]
    >>> objective23([3.0, 0.0], x, alpha=1.0) == objective23([-3.0, 0.0], x, alpha=1.0)
    True
    """
    xa = finite_array("x", x, ndim=2)
    wb, single = _as_batch("w", w, xa.shape[1])
    alpha = as_float("alpha", alpha, min_value=0.0)
    b_const = 2.0 * 3.0 / 16.0 * float(np.mean(np.sum(xa * xa, axis=1)))
    val = b_const * np.sum(wb * wb, axis=1) - alpha * np.sum(log_expit(np.abs(wb @ xa.T)), axis=1)
    return float(val[0]) if single else val


def line_angle(w: Any, v: Any) -> float:
    """Angle between the *lines* spanned by two non-zero vectors, in ``[0, π/2]``.

    ``min(angle(w, v), π − angle(w, v))``: the right comparison for an objective that is even
    in ``w`` (such as (13) and (23)).

    Examples
    --------
    >>> line_angle([1.0, 0.0], [-1.0, 0.0])
    0.0
    """
    a = angle(w, v)
    return float(min(a, math.pi - a))


@dataclass(frozen=True)
class SphereMin:
    """The minimiser of an objective over the sphere ``‖w‖ = radius`` (:func:`minimise_on_sphere`).

    Attributes
    ----------
    w_unit : array, shape (d,)
        The best direction found.
    value : float
        The objective there.
    spread : float
        Numerical uncertainty of the direction, radians: the largest line angle between
        ``w_unit`` and any other candidate (grid point or local optimum) whose value is within
        the relative tolerance ``rtol`` of the best, and (``d > 2``) how far the final
        Nelder-Mead polish moved the best BFGS optimum.
    """

    w_unit: FloatArray
    value: float
    spread: float


def minimise_on_sphere(objective: Any, d: int, radius: float, *, starts: int = 8,
                       seed: int = 0, grid: int = 3600, rtol: float = 1e-9,
                       init: Any | None = None) -> SphereMin:
    """Minimise ``objective(radius · u)`` over unit vectors ``u`` in ``R^d``, without a guess.

    For ``d == 2`` the full circle is scanned on `grid` angles and the best cell refined with a
    bounded scalar search; for ``d > 2``, BFGS on ``u/‖u‖`` from `starts` random directions.
    No start is informed by the answer being tested (e.g. the SVM direction).

    Parameters
    ----------
    objective : callable
        ``objective(W) -> values`` for ``W`` of shape ``(k, d)`` (vectorised).
    d : int
        Dimension (>= 2).
    radius : float
        ``‖w‖`` (> 0).
    starts, seed
        Random starts for ``d > 2`` and their seed.
    grid : int
        Angles scanned for ``d == 2``.
    rtol : float
        Relative tolerance defining :attr:`SphereMin.spread`.
    init : array of shape (d,) or None
        A further start for ``d > 2`` (e.g. the minimiser at a nearby radius).

    Returns
    -------
    SphereMin

    Examples
    --------
    >>> f = lambda W: -(W @ np.array([0.6, 0.8])) ** 2
    >>> r = minimise_on_sphere(f, 2, 1.0)
    >>> round(line_angle(r.w_unit, [0.6, 0.8]), 8)
    0.0
    """
    d = as_int("d", d, min_value=2)
    radius = positive("radius", radius)
    starts = as_int("starts", starts)
    grid = as_int("grid", grid, min_value=8)
    rtol = positive("rtol", rtol)

    def f(u: FloatArray) -> float:
        return float(np.asarray(objective((radius * u / np.linalg.norm(u))[None, :]))[0])

    cands: list[tuple[float, FloatArray]] = []
    polish = 0.0
    if d == 2:
        th = np.linspace(0.0, 2.0 * math.pi, grid, endpoint=False)
        units = np.stack([np.cos(th), np.sin(th)], axis=1)
        vals = np.asarray(objective(radius * units), dtype=np.float64)
        i = int(np.argmin(vals))
        step = 2.0 * math.pi / grid
        res = optimize.minimize_scalar(
            lambda t: f(np.array([math.cos(t), math.sin(t)])),
            bounds=(th[i] - step, th[i] + step), method="bounded",
            options={"xatol": 1e-12})
        best = np.array([math.cos(res.x), math.sin(res.x)])
        cands = [(float(v), u) for v, u in zip(vals, units, strict=True)]
        cands.append((float(res.fun), best))
    else:
        rng = np.random.default_rng(as_int("seed", seed, min_value=0))
        inits = [rng.standard_normal(d) for _ in range(starts)]
        if init is not None:
            inits.insert(0, _check_w("init", init, d))
        for u0 in inits:
            res = optimize.minimize(f, u0 / np.linalg.norm(u0), method="BFGS",
                                    options={"gtol": 1e-10, "maxiter": 2000})
            cands.append((float(res.fun), res.x / np.linalg.norm(res.x)))
        # Polish the best local optimum with Nelder-Mead (robust where the objective is
        # nearly a max-min and BFGS stalls); how far it moves is part of the spread.
        v0, u_bfgs = min(cands, key=lambda c: c[0])
        res = optimize.minimize(f, u_bfgs, method="Nelder-Mead",
                                options={"xatol": 1e-10, "fatol": 1e-14, "maxfev": 400 * d})
        u_nm = res.x / np.linalg.norm(res.x)
        if float(res.fun) <= v0:
            polish = line_angle(u_nm, u_bfgs)
            cands.append((float(res.fun), u_nm))
    best_v, best_u = min(cands, key=lambda c: c[0])
    tol = rtol * max(abs(best_v), 1e-300)
    near = [line_angle(u, best_u) for v, u in cands if v <= best_v + tol]
    return SphereMin(w_unit=np.asarray(best_u, dtype=np.float64), value=best_v,
                     spread=float(max([polish, *near])))


# --------------------------------------------------------------------------- training
@dataclass(frozen=True)
class Trace:
    """A recorded logistic-regression run (arrays of shape ``(R,)``, ``R`` recorded steps).

    Attributes are named after :func:`bound_terms` plus ``steps``, ``margin`` (normalised),
    ``angle`` (radians, to the SVM direction), ``w_norm`` and ``loss``; ``svm_margin`` is the
    hard-margin value, ``method`` ``"gd"`` or ``"sgd"``.
    """

    method: str
    steps: IntArray
    margin: FloatArray
    angle: FloatArray
    w_norm: FloatArray
    loss: FloatArray
    terms: dict[str, FloatArray]
    svm_margin: float
    w_final: FloatArray = field(repr=False)

    def summary(self) -> dict[str, Any]:
        """Final values and rate fits as plain JSON-ready numbers."""
        return {
            "method": self.method,
            "final_step": int(self.steps[-1]),
            "final_angle": float(self.angle[-1]),
            "final_margin": float(self.margin[-1]),
            "svm_margin": self.svm_margin,
            "final_w_norm": float(self.w_norm[-1]),
            "final_loss": float(self.loss[-1]),
            "angle_loglog_slope": angle_rate(self),
            "w_norm_per_log_t": wnorm_rate(self),
        }


def _late(tr: Trace) -> np.ndarray:
    s = tr.steps.astype(np.float64)
    return (s >= max(10.0, math.sqrt(float(s[-1])))) & (tr.angle > 0)


def angle_rate(tr: Trace) -> float:
    """Least-squares slope of ``log angle`` against ``log log t`` over the late steps.

    Soudry et al. predict ``angle ~ 1/log t`` (slope −1) up to ``log log t`` factors.
    """
    m = _late(tr)
    if m.sum() < 3:
        return float("nan")
    xs = np.log(np.log(tr.steps[m].astype(np.float64)))
    return float(np.polyfit(xs, np.log(tr.angle[m]), 1)[0])


def wnorm_rate(tr: Trace) -> float:
    """Slope of ``‖w_t‖`` against ``log t`` over the late steps (≈ 1/γ for GD, Soudry et al.)."""
    m = _late(tr)
    if m.sum() < 3:
        return float("nan")
    return float(np.polyfit(np.log(tr.steps[m].astype(np.float64)), tr.w_norm[m], 1)[0])


def _schedule(steps: int, record_every: int | None) -> IntArray:
    if record_every is None:
        pts = np.unique(np.round(np.logspace(0, math.log10(steps), 120)).astype(np.int64))
    else:
        pts = np.arange(record_every, steps + 1, record_every, dtype=np.int64)
    return np.unique(np.concatenate([[0], pts, [steps]])).astype(np.int64)


def train_logistic(x: Any, y: Any, *, method: Method = "gd", lr: float = 1.0,
                   steps: int = 10_000, batch_size: int = 1, seed: int = 0,
                   record_every: int | None = None, alpha: float = 1.0,
                   w0: Any | None = None,
                   svm: tuple[FloatArray, float] | None = None) -> Trace:
    """GD or SGD on the logistic loss ``mean log(1 + exp(−y wᵀx))`` from ``w0`` (default 0).

    Parameters
    ----------
    x : array, shape (n, d)
        Linearly separable through the origin (checked by :func:`hard_margin_svm`).
    y : array, shape (n,)
        Labels in ``{-1, +1}``.
    method : {"gd", "sgd"}
        Full batch, or ``batch_size`` samples drawn without replacement at each step.
    lr : float
        Constant step size.
    steps : int
        Number of updates.
    batch_size : int
        Mini-batch size for SGD (ignored by GD).
    seed : int
        Seed of the mini-batch sampler.
    record_every : int or None
        Record every so many steps; ``None`` records ~120 log-spaced steps (plus step 0).
    alpha : float
        ``α`` of the objective (23).
    w0 : array or None
        Initial weights (zeros by default).
    svm : (array, float) or None
        ``hard_margin_svm(x, y)`` when the caller has already solved it (it is then not solved
        again, nor is separability re-checked); ``None`` solves it here.

    Returns
    -------
    Trace

    Examples
    --------
    >>> x = np.array([[1.0, 0.5], [1.0, -0.5], [-1.0, 0.5], [-1.0, -0.5], [2.0, 1.0]])
    >>> y = np.array([1, 1, -1, -1, 1])
    >>> tr = train_logistic(x, y, steps=2000, lr=1.0)
    >>> bool(tr.angle[-1] < tr.angle[1]) and bool(tr.w_norm[-1] > tr.w_norm[1])
    True
    """
    xa, ya = _check_xy(x, y)
    method = choice("method", method, ("gd", "sgd"))  # type: ignore[assignment]
    lr = positive("lr", lr)
    steps = as_int("steps", steps)
    batch_size = as_int("batch_size", batch_size)
    n, d = xa.shape
    if batch_size > n:
        raise fail("batch_size", f"<= the number of samples {n}", batch_size)
    if record_every is not None:
        record_every = as_int("record_every", record_every)
    alpha = as_float("alpha", alpha, min_value=0.0)
    rng = np.random.default_rng(as_int("seed", seed, min_value=0))
    w = np.zeros(d) if w0 is None else finite_array("w0", w0, ndim=1).copy()
    if w.shape[0] != d:
        raise fail("w0", f"of length {d}", w)
    w_svm, g_svm = hard_margin_svm(xa, ya) if svm is None else svm
    zx = ya[:, None] * xa
    ex2 = float(np.mean(np.sum(xa * xa, axis=1)))
    rec = set(_schedule(steps, record_every).tolist())
    steps_out: list[int] = []
    rows: list[dict[str, float]] = []
    margins: list[float] = []
    angles: list[float] = []
    norms: list[float] = []

    def record(t: int) -> None:
        terms = _terms(w, xa, ya, alpha, ex2)
        nrm = float(np.linalg.norm(w))
        steps_out.append(t)
        rows.append(terms)
        norms.append(nrm)
        if nrm > 0:
            margins.append(float(np.min(zx @ w)) / nrm)
            angles.append(math.acos(min(1.0, max(-1.0, float(w @ w_svm) / nrm))))
        else:
            margins.append(float("nan"))
            angles.append(float("nan"))

    if 0 in rec:
        record(0)
    for t in range(1, steps + 1):
        zb = zx if method == "gd" else zx[rng.choice(n, size=batch_size, replace=False)]
        # d/dw mean log(1 + exp(-m)) with m = zb @ w is -mean(zb * σ(-m)).
        w = w + lr * (zb.T @ expit(-(zb @ w))) / len(zb)
        if t in rec:
            record(t)
    keys = rows[0].keys()
    terms_arr = {k: np.array([r[k] for r in rows]) for k in keys}
    return Trace(method=method, steps=np.array(steps_out, dtype=np.int64),
                 margin=np.array(margins), angle=np.array(angles), w_norm=np.array(norms),
                 loss=terms_arr["loss"], terms=terms_arr, svm_margin=g_svm, w_final=w.copy())
