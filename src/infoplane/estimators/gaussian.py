"""Mutual information of a joint-Gaussian fit: I_G = ½ (log det Σ_x + log det Σ_y − log det Σ).

What the number means
---------------------
I_G depends on the data only through the joint covariance Σ of [x, y] (Σ_x, Σ_y its diagonal
blocks); it is the mutual information of the Gaussian with that covariance, equivalently
−½ Σ_k log(1 − ρ_k²) over the canonical correlations ρ_k.

* **Exact for jointly Gaussian (x, y)**: the population I_G equals I(X;Y), and the estimate is
  consistent.
* **A lower bound when either marginal is Gaussian.** If X ~ N(μ, Σ_x) (no assumption on Y or
  on the dependence), then I(X;Y) ≥ I_G for the joint covariance of (X, Y): with the linear
  estimate L = Σ_xy Σ_y⁻¹, I(X;Y) = h(X) − h(X − LY | Y) ≥ h(X) − h(X − LY), and h(X − LY) is at
  most the Gaussian entropy of its covariance Σ_x − Σ_xy Σ_y⁻¹ Σ_yx (the Schur complement).
  This contains the "Gaussian noise is the worst additive noise" result: a Gaussian input
  through Y = AX + N, N independent of X with any law of the same covariance, carries at least
  the Gaussian-noise information (Ihara 1978; Diggavi & Cover 2001). The same holds with the
  roles of X and Y exchanged. (The bound is on the population I_G; the sample estimate adds
  its sampling error and upward bias, see below.)
* **Neither bound in general.** Not an upper bound: zero correlation does not mean independence
  (Y = X² + ε, or X | Y Gaussian with class means (0, a, 0) for Y = 0, 1, 2, both give I_G = 0
  < I). Not a lower bound either: if with probability ε both variables are shifted by a large
  M (and otherwise independent), I(X;Y) ≤ H(shift) = h_b(ε), while I_G grows without bound
  with M (the correlation tends to 1). The maximum-entropy property of the Gaussian bounds
  entropies, not mutual information.
* For a continuous T and class labels encoded as K − 1 indicator columns, I_G =
  ½ log(det Σ_T / det Σ_W) (Σ_W the pooled within-class covariance, i.e. −½ log of Wilks'
  Λ), which is an **upper** bound on I(T;Y) when the class-conditional laws are Gaussian with a
  shared covariance, and may then exceed H(Y).

The estimate uses the sample covariance (optionally shrunk) and is biased upward: for
independent Gaussian variables 2n·Î_G → χ² with d_x·d_y degrees of freedom, so E Î_G ≈
d_x d_y / (2n). It is never negative (Fischer's inequality), so nothing is clamped.

Conditional MI. ``Gaussian().estimate_conditional(x, y, z)`` is the same fit for three
variables: I_G(X;Y|Z) = ½ log(det Σ_xz det Σ_yz / (det Σ_z det Σ_xyz)), exact for jointly
Gaussian data, with the conditional-independence bias E Î ≈ d_x d_y / (2n) (see
:func:`gaussian_cmi_nats`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from scipy import special
from scipy.linalg import lapack

from infoplane._typing import FloatArray, IntArray
from infoplane._validation import as_float, as_int, fail
from infoplane.estimators.base import Estimator, warn

__all__ = ["Gaussian", "gaussian_cmi_bias", "gaussian_cmi_nats", "gaussian_mi_bias",
           "gaussian_mi_nats"]

Shrinkage = Literal["ledoit_wolf"] | float | None

#: Conditional variance (relative to the column's own variance) under which a column of [x, y]
#: counts as a linear function of the columns before it: the covariance is then singular for
#: all practical purposes (I would exceed ~11.5 nats per such column, and float64 sample
#: covariances cannot resolve it).
_SINGULAR_RTOL = 1e-10
#: Standard deviation (relative to the column's mean magnitude) under which a column counts as
#: constant (round-off around a constant).
_CONSTANT_RTOL = 1e-12


@dataclass(frozen=True, kw_only=True)
class Gaussian(Estimator):
    """MI of the Gaussian with the sample's joint covariance (exact for Gaussian data).

    ``estimate(x, y)`` returns ½ (log det Σ_x + log det Σ_y − log det Σ) for the (shrunk)
    covariance Σ of the joint sample [x, y], by Cholesky factorisations. See the module notes
    for what this bounds: I(X;Y) exactly for jointly Gaussian data, a lower bound on I(X;Y)
    when x or y is Gaussian, and neither bound in general.

    Parameters
    ----------
    shrinkage : None, "ledoit_wolf" or float in [0, 1], default None
        Covariance shrinkage towards a multiple of the identity, applied to the joint sample
        **after standardising every column** (so the estimate, like I(X;Y), does not depend
        on the units of each feature): Σ = (1 − α) S + α (tr S / p) I with S the sample
        correlation matrix and p = d_x + d_y (scikit-learn's ``ShrunkCovariance`` formula).
        "ledoit_wolf" takes α from scikit-learn's Ledoit–Wolf estimate on the standardised
        joint sample. None (or 0.0) is the plain maximum-likelihood fit. Shrinkage pulls the
        estimate towards 0 and makes constant columns and n ≤ p legal.
    bias_correction : bool, default False
        Subtract the exact finite-sample bias of the estimate for Gaussian data (see
        :func:`gaussian_mi_bias`): the corrected estimate is unbiased for jointly Gaussian
        data at every n and covariance. Not with ``shrinkage``.
    unit : {"nats", "bits"}
    seed : int
        Unused (deterministic); kept for the common protocol.

    Raises
    ------
    ValueError
        Without shrinkage: a constant column, a column that is a linear function of the others
        (singular covariance), or n ≤ d_x + d_y. Always: fewer than 2 samples.

    Notes
    -----
    ``plane(t, labels)`` is not defined (raises NotImplementedError): for a deterministic
    layer T = h(X) of X uniform over the N rows, I(X;T) is not a quantity a Gaussian fit can
    speak to. Use :class:`~infoplane.estimators.kde.KDE` (noisy layer) or binning for the
    information plane, or ``Gaussian().estimate(t, indicators)`` with K − 1 class-indicator
    columns for the Wilks-Λ quantity described in the module notes.

    ``estimate_conditional(x, y, z)`` returns the Gaussian conditional mutual information
    ½ log(det Σ_xz det Σ_yz / (det Σ_z det Σ_xyz)) of the (shrunk) covariance of [x, y, z]
    (see :func:`gaussian_cmi_nats`; shrinkage is applied once to the standardised joint
    sample of all three). It is exact for jointly Gaussian data, where it is 0 exactly when
    X ⊥ Y | Z (a chain X → Z → Y, or a common cause Z) and positive for a collider
    X → Z ← Y even though I(X;Y) = 0. Its upward bias is that of the Gaussian likelihood-ratio
    test of conditional independence: for X ⊥ Y | Z, 2n·Î → χ² with d_x·d_y degrees of
    freedom, so E Î ≈ d_x d_y / (2n), whatever d_z. The same three variables must be
    jointly Gaussian for the value to be I(X;Y|Z); otherwise it measures linear
    (partial-correlation) dependence only.

    Examples
    --------
    Two unit-variance variables with correlation 0.6 (a sample with exactly that covariance):
    I = −½ log(1 − 0.36).

    >>> import math
    >>> import numpy as np
    >>> x = np.array([1.0, -1.0, 1.0, -1.0])
    >>> y = 0.6 * x + 0.8 * np.array([1.0, 1.0, -1.0, -1.0])
    >>> round(Gaussian().estimate(x, y), 6), round(-0.5 * math.log(1 - 0.36), 6)
    (0.223144, 0.223144)
    >>> round(Gaussian(unit="bits").estimate(y, x), 6)
    0.321928

    Conditional MI of a collider X → Z ← Y (independent X, Y; Z = X + Y + noise of variance
    1): the partial correlation is −1/2, so I(X;Y|Z) = −½ log(3/4) ≈ 0.144 nats.

    >>> rng = np.random.default_rng(0)
    >>> u, v = rng.standard_normal((2, 5000))
    >>> w = u + v + rng.standard_normal(5000)
    >>> round(Gaussian().estimate(u, v), 3), round(Gaussian().estimate_conditional(u, v, w), 2)
    (0.0, 0.14)
    """

    shrinkage: Shrinkage = None
    bias_correction: bool = False

    has_conditional: ClassVar[bool] = True

    def _check(self) -> None:
        if not isinstance(self.bias_correction, bool | np.bool_):
            raise TypeError("`bias_correction` must be True or False, got "
                            f"{self.bias_correction!r}.")
        object.__setattr__(self, "bias_correction", bool(self.bias_correction))
        if self.bias_correction and self.shrinkage not in (None, 0.0):
            raise fail("bias_correction", "False when `shrinkage` is set (the exact bias is "
                       "that of the plain sample covariance)", self.bias_correction)
        s = self.shrinkage
        if s is None or s == "ledoit_wolf":
            return
        if isinstance(s, str):
            raise fail("shrinkage", "None, 'ledoit_wolf' or a float in [0, 1]", s)
        alpha = as_float("shrinkage", s, min_value=0.0)
        if alpha > 1.0:
            raise fail("shrinkage", "None, 'ledoit_wolf' or a float in [0, 1]", s)

    def _check_dimension(self, name: str, arr: FloatArray) -> None:
        """No generic d >= n refusal: shrinkage handles it, and without shrinkage the check
        in :meth:`_estimate_nats` (n > d_x + d_y) is stricter and says why."""

    def _estimate_nats(self, x: FloatArray, y: Any) -> float:
        n, p = x.shape[0], x.shape[1] + y.shape[1]
        if self.shrinkage not in (None, 0.0) and n <= p:
            warn(f"Only {n} samples for {p} joint dimensions: the Gaussian MI is then mostly "
                 "set by the shrinkage, not by the data.")
        value = gaussian_mi_nats(x, y, shrinkage=self.shrinkage)
        if self.bias_correction:
            value -= gaussian_mi_bias(n, x.shape[1], y.shape[1])
        return value

    def _conditional_nats(self, x: FloatArray, y: Any, z: Any) -> float:
        n, p = x.shape[0], x.shape[1] + y.shape[1] + z.shape[1]
        if self.shrinkage not in (None, 0.0) and n <= p:
            warn(f"Only {n} samples for {p} joint dimensions: the Gaussian CMI is then mostly "
                 "set by the shrinkage, not by the data.")
        value = gaussian_cmi_nats(x, y, z, shrinkage=self.shrinkage)
        if self.bias_correction:
            value -= gaussian_cmi_bias(n, x.shape[1], y.shape[1], z.shape[1])
        return value

    def _plane_nats(self, t: FloatArray, labels: IntArray) -> tuple[float, float]:
        raise NotImplementedError(
            "Gaussian does not define the information-plane pair: I(X;T) for a deterministic "
            "layer of X uniform over the rows is not what a Gaussian fit measures. Use "
            "KDE(noise_var=...) or Binning for plane(t, labels), or Gaussian().estimate(x, y) "
            "with explicit continuous variables.")


def _alpha(shrinkage: Shrinkage) -> tuple[float | None, bool]:
    """(α or None for Ledoit–Wolf, whether the fit is the plain maximum-likelihood one)."""
    alpha: float | None = None if shrinkage is None else (
        None if shrinkage == "ledoit_wolf" else float(shrinkage))
    return alpha, shrinkage is None or alpha == 0.0


def _check_sizes(n: int, p: int, plain: bool, names: str, dims: str) -> None:
    if n < 2:
        raise ValueError(f"{names} must have at least 2 samples (rows), got {n}.")
    if plain and n <= p:
        raise ValueError(
            f"{names} must have more samples than joint dimensions (n > {dims} = {p}) "
            f"for an invertible sample covariance, got n = {n}. Use more samples or "
            "shrinkage='ledoit_wolf'.")


def _joint_cov(blocks: Sequence[tuple[str, FloatArray]], alpha: float | None,
               plain: bool) -> FloatArray | None:
    """Covariance of the standardised, column-stacked blocks, shrunk as :class:`Gaussian`
    says; ``None`` when every column is constant (only legal with shrinkage).

    Constant columns are an error (naming the block) without shrinkage; with it they are
    zeroed, so they end up independent of everything, carrying no information.
    """
    z = np.hstack([b for _, b in blocks])
    n, p = z.shape
    magnitude = np.abs(z).max(axis=0)
    z -= z.mean(axis=0)
    scale = np.sqrt(np.mean(z * z, axis=0))
    constant = scale <= _CONSTANT_RTOL * magnitude
    if plain and np.any(constant):
        start = 0
        for name, b in blocks:
            cols = np.flatnonzero(constant[start:start + b.shape[1]])
            start += b.shape[1]
            if cols.size:
                raise ValueError(
                    f"`{name}` must have no constant columns (they make the covariance "
                    f"singular), got constant column(s) {cols.tolist()}. Drop them (a constant "
                    "carries no information) or pass shrinkage='ledoit_wolf'.")
    if np.all(constant):  # only reachable with shrinkage: constants carry no information
        return None
    scale[constant] = 1.0
    z /= scale
    z[:, constant] = 0.0

    cov = np.asarray(z.T @ z / n, dtype=np.float64)
    if not plain:
        if alpha is None:
            from sklearn.covariance import ledoit_wolf_shrinkage

            alpha = float(ledoit_wolf_shrinkage(z, assume_centered=True))
        mu = float(np.trace(cov)) / p
        cov *= 1.0 - alpha
        cov[np.diag_indices(p)] += alpha * mu
    return cov


def _log_det_bias(n: int, d: int) -> float:
    """Σ_{i=1}^{d} ψ((n − i)/2): E log det S − log det Σ up to terms linear in d.

    For the centred sample covariance S of n Gaussian vectors, (n − 1) S ~ Wishart_d(Σ, n − 1)
    and E log det W = log det Σ + d log 2 + Σ_{i=1}^{d} ψ((n − i)/2) (Anderson 2003,
    *An Introduction to Multivariate Statistical Analysis*, Section 7.5; used for the unbiased
    Gaussian entropy estimator of Misra, Singh & Demchuk 2005, J. Multivar. Anal. 92:324).
    """
    return float(np.sum(special.digamma((n - np.arange(1, d + 1)) / 2.0)))


def gaussian_mi_bias(n: int, d_x: int, d_y: int) -> float:
    """Exact bias (nats) of the plug-in Gaussian MI from n jointly Gaussian samples.

    E Î_G − I = ½ [B(d_x) + B(d_y) − B(d_x + d_y)], B(d) = Σ_{i=1}^{d} ψ((n − i)/2) (the terms
    of E log det that are linear in d cancel in the combination). It depends on n and the
    dimensions only, not on the covariance, and is ≈ d_x d_y / (2n) for large n. Defined for
    every n > d_x + d_y, the sizes for which the sample covariance is invertible (with
    n = d_x + d_y + 1 the smallest argument of ψ is ½).

    Examples
    --------
    >>> round(gaussian_mi_bias(1000, 1, 1) * 2 * 1000, 2)   # ≈ d_x d_y / 2n
    1.0
    >>> round(gaussian_mi_bias(3, 1, 1), 6)   # n = 3: E[−½ log(1 − r²)] = log 2 when ρ = 0
    0.693147
    """
    return _cmi_bias(n, d_x, d_y, 0)


def gaussian_cmi_bias(n: int, d_x: int, d_y: int, d_z: int) -> float:
    """Exact bias (nats) of the plug-in Gaussian conditional MI I(X;Y|Z) (see
    :func:`gaussian_mi_bias`): ½ [B(d_x+d_z) + B(d_y+d_z) − B(d_z) − B(d_x+d_y+d_z)], for
    n > d_x + d_y + d_z."""
    return _cmi_bias(n, d_x, d_y, as_int("d_z", d_z))


def _cmi_bias(n: int, d_x: int, d_y: int, d_z: int) -> float:
    """½ [B(d_x+d_z) + B(d_y+d_z) − B(d_z) − B(d_x+d_y+d_z)] (d_z = 0: the MI's bias)."""
    n = as_int("n", n)
    d_x, d_y = as_int("d_x", d_x), as_int("d_y", d_y)
    p = d_x + d_y + d_z
    if n <= p:
        dims = "d_x + d_y" + (" + d_z" if d_z else "")
        raise fail("n", f"> {dims} = {p} for the Gaussian bias correction (an invertible "
                   "sample covariance)", n)
    b = _log_det_bias
    return 0.5 * (b(n, d_x + d_z) + b(n, d_y + d_z) - b(n, d_z) - b(n, p))


def gaussian_mi_nats(x: FloatArray, y: FloatArray, *, shrinkage: Shrinkage = None) -> float:
    """½ (log det Σ_x + log det Σ_y − log det Σ) in nats for validated samples.

    Parameters
    ----------
    x : ndarray, shape (n, d_x)
    y : ndarray, shape (n, d_y)
    shrinkage : None, "ledoit_wolf" or float
        As in :class:`Gaussian`.

    Returns
    -------
    float
        I_G ≥ 0 in nats.

    Examples
    --------
    >>> import numpy as np
    >>> u = np.array([[1.0], [-1.0], [1.0], [-1.0]])
    >>> v = np.array([[1.0], [1.0], [-1.0], [-1.0]])
    >>> gaussian_mi_nats(u, v)
    0.0
    """
    hint = ("If y is an exact linear function of x, I(X;Y) is infinite; otherwise drop "
            "redundant columns or pass shrinkage='ledoit_wolf'.")
    return _conditional_nats(x, y, None, shrinkage, hint)


def gaussian_cmi_nats(x: FloatArray, y: FloatArray, z: FloatArray, *,
                      shrinkage: Shrinkage = None) -> float:
    """½ log(det Σ_xz det Σ_yz / (det Σ_z det Σ_xyz)) in nats for validated samples.

    The conditional mutual information of the Gaussian with the (shrunk) joint covariance of
    [x, y, z]: the Gaussian differential entropy h = ½ log((2πe)^d det Σ) (Cover & Thomas,
    *Elements of Information Theory*, 2nd ed., Theorem 8.4.1) in I(X;Y|Z) = h(X,Z) + h(Y,Z)
    − h(Z) − h(X,Y,Z). It equals ½ log(det Σ_{y|z} / det Σ_{y|x,z}) with Σ_{·|·} the Schur
    complements (conditional covariances), which is how it is computed: two Cholesky
    factorisations, of Σ in the order [z, x, y] and of its [z, y] block, give both
    log-determinants as sums of log-diagonals, with no cancellation of large log det Σ_z
    terms. For scalar x and y it is −½ log(1 − ρ²_{xy·z}), ρ_{xy·z} the partial correlation.
    (The larger of x and y takes the middle place, so the second factorisation is small.)

    Parameters
    ----------
    x : ndarray, shape (n, d_x)
    y : ndarray, shape (n, d_y)
    z : ndarray, shape (n, d_z)
    shrinkage : None, "ledoit_wolf" or float
        As in :class:`Gaussian`, applied once to the standardised joint sample [z, x, y]
        (p = d_x + d_y + d_z), so every block determinant comes from the same shrunk matrix.

    Returns
    -------
    float
        Î_G(X;Y|Z) ≥ 0 in nats (up to round-off).

    Examples
    --------
    Y = Z + noise and X = Z + noise: X and Y are correlated only through Z.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> z = rng.standard_normal((5000, 1))
    >>> x, y = z + rng.standard_normal((5000, 1)), z + rng.standard_normal((5000, 1))
    >>> round(gaussian_mi_nats(x, y), 2), round(gaussian_cmi_nats(x, y, z), 3)
    (0.14, 0.0)
    """
    hint = ("An exact linear relation makes the Gaussian I(X;Y|Z) undefined or infinite; "
            "drop redundant columns or pass shrinkage='ledoit_wolf'.")
    return _conditional_nats(x, y, z, shrinkage, hint)


def _conditional_nats(x: FloatArray, y: FloatArray, z: FloatArray | None,
                      shrinkage: Shrinkage, hint: str) -> float:
    """½ log(det Σ_{s|z} / det Σ_{s|z,m}) of the (shrunk) covariance of [z, m, s], m the
    larger and s the smaller of x and y; without z (``None``) this is the MI
    ½ log(det Σ_s / det Σ_{s|m}). Two Cholesky factorisations, of [z, m, s] and of its
    [z, s] block, give both log-determinants as sums of log-diagonals."""
    n, dx = x.shape
    dy = y.shape[1]
    dz = 0 if z is None else z.shape[1]
    alpha, plain = _alpha(shrinkage)
    if z is None:
        _check_sizes(n, dx + dy, plain, "`x` and `y`", "d_x + d_y")
    else:
        _check_sizes(n, dx + dy + dz, plain, "`x`, `y` and `z`", "d_x + d_y + d_z")

    # [z, larger, smaller]: the second factorisation is then of the smaller [z, ·] block.
    swap = dy > dx
    m, s = (y, x) if swap else (x, y)
    names = ("y", "x") if swap else ("x", "y")
    lead = [] if z is None else [("z", z)]
    cov = _joint_cov([*lead, (names[0], m), (names[1], s)], alpha, plain)
    if cov is None:
        return 0.0

    dm, ds = m.shape[1], s.shape[1]
    zb = [] if z is None else [("z", dz)]
    order = "[" + ("z, " if z is not None else "") + f"{names[0]}, {names[1]}]"
    joint = "[x, y]" if z is None else "[x, y, z]"
    chol_joint = _cholesky(cov, [*zb, (names[0], dm), (names[1], ds)], joint, order, hint)
    keep = np.r_[0:dz, dz + dm:dz + dm + ds]
    chol_zs = _cholesky(cov[np.ix_(keep, keep)], [*zb, (names[1], ds)], joint, order, hint)
    # log det Σ_{s|z} − log det Σ_{s|z,m}, each 2 Σ log of the trailing Cholesky diagonal
    diag_zs = np.diagonal(chol_zs)[dz:]
    diag_joint = np.diagonal(chol_joint)[dz + dm:]
    return float(np.sum(np.log(diag_zs)) - np.sum(np.log(diag_joint)))


def _cholesky(cov: FloatArray, blocks: Sequence[tuple[str, int]], joint: str, order: str,
              hint: str) -> FloatArray:
    """Lower Cholesky factor; a clear error naming the column where positivity fails.

    ``blocks`` are the (variable, number of columns) of ``cov``'s rows in order; ``joint``
    names the full joint sample and ``order`` the column order of the factorised matrix.
    """
    chol, info = lapack.dpotrf(cov, lower=1, clean=1)
    if info < 0:  # pragma: no cover - argument error, cannot happen with a valid matrix
        raise RuntimeError(f"LAPACK dpotrf failed (info={info}).")
    if info == 0:
        rel = np.diagonal(chol) ** 2 / np.diagonal(cov)
        bad = np.flatnonzero(rel < _SINGULAR_RTOL)
        if bad.size == 0:
            return np.asarray(chol, dtype=np.float64)
        k, residual = int(bad[0]), float(rel[bad[0]])
    else:  # the leading minor of order `info` is not positive definite
        k, residual = info - 1, 0.0
    name, col = blocks[-1][0], k
    for block, size in blocks:
        if col < size:
            name = block
            break
        col -= size
    raise ValueError(
        f"`{name}` must not be a linear function of the other columns of {joint} (the joint "
        f"covariance is singular), got column {col} of `{name}` with residual variance "
        f"{residual:.1e} of its own given the columns before it in {order}. {hint}")
