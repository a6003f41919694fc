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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.linalg import lapack

from infoplane._typing import FloatArray, IntArray
from infoplane._validation import as_float, fail
from infoplane.estimators.base import Estimator, warn

__all__ = ["Gaussian"]

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
    """

    shrinkage: Shrinkage = None

    def _check(self) -> None:
        s = self.shrinkage
        if s is None or s == "ledoit_wolf":
            return
        if isinstance(s, str):
            raise fail("shrinkage", "None, 'ledoit_wolf' or a float in [0, 1]", s)
        alpha = as_float("shrinkage", s, min_value=0.0)
        if alpha > 1.0:
            raise fail("shrinkage", "None, 'ledoit_wolf' or a float in [0, 1]", s)

    def _estimate_nats(self, x: FloatArray, y: Any) -> float:
        n, p = x.shape[0], x.shape[1] + y.shape[1]
        if self.shrinkage not in (None, 0.0) and n <= p:
            warn(f"Only {n} samples for {p} joint dimensions: the Gaussian MI is then mostly "
                 "set by the shrinkage, not by the data.")
        return gaussian_mi_nats(x, y, shrinkage=self.shrinkage)

    def _plane_nats(self, t: FloatArray, labels: IntArray) -> tuple[float, float]:
        raise NotImplementedError(
            "Gaussian does not define the information-plane pair: I(X;T) for a deterministic "
            "layer of X uniform over the rows is not what a Gaussian fit measures. Use "
            "KDE(noise_var=...) or Binning for plane(t, labels), or Gaussian().estimate(x, y) "
            "with explicit continuous variables.")


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
    n, dx = x.shape
    dy = y.shape[1]
    p = dx + dy
    alpha: float | None = None if shrinkage is None else (
        None if shrinkage == "ledoit_wolf" else float(shrinkage))
    plain = shrinkage is None or alpha == 0.0
    if n < 2:
        raise ValueError(f"`x` and `y` must have at least 2 samples (rows), got {n}.")
    if plain and n <= p:
        raise ValueError(
            f"`x` and `y` must have more samples than joint dimensions (n > d_x + d_y = {p}) "
            f"for an invertible sample covariance, got n = {n}. Use more samples or "
            "shrinkage='ledoit_wolf'.")

    # Larger block first: its log-determinant comes free from the joint Cholesky factor.
    swap = dy > dx
    a, b = (y, x) if swap else (x, y)
    names = ("y", "x") if swap else ("x", "y")
    z = np.hstack([a, b])
    magnitude = np.abs(z).max(axis=0)
    z -= z.mean(axis=0)
    scale = np.sqrt(np.mean(z * z, axis=0))
    constant = scale <= _CONSTANT_RTOL * magnitude
    if plain and np.any(constant):
        for name, cols in ((names[0], np.flatnonzero(constant[:a.shape[1]])),
                           (names[1], np.flatnonzero(constant[a.shape[1]:]))):
            if cols.size:
                raise ValueError(
                    f"`{name}` must have no constant columns (they make the covariance "
                    f"singular), got constant column(s) {cols.tolist()}. Drop them (a constant "
                    "carries no information) or pass shrinkage='ledoit_wolf'.")
    if np.all(constant):  # only reachable with shrinkage: constants carry no information
        return 0.0
    scale[constant] = 1.0
    z /= scale
    z[:, constant] = 0.0

    cov = z.T @ z / n
    if not plain:
        if alpha is None:
            from sklearn.covariance import ledoit_wolf_shrinkage

            alpha = float(ledoit_wolf_shrinkage(z, assume_centered=True))
        mu = float(np.trace(cov)) / p
        cov *= 1.0 - alpha
        cov[np.diag_indices(p)] += alpha * mu

    da = a.shape[1]
    order = f"[{names[0]}, {names[1]}]"
    chol_joint = _cholesky(cov, names, da, order)
    chol_b = _cholesky(cov[da:, da:], (names[1], names[1]), 0, order)
    # log det Σ − log det Σ_a = log det Σ_{b|a} = 2 Σ log diag(L)[da:]
    diag_joint = np.diagonal(chol_joint)[da:]
    diag_b = np.diagonal(chol_b)
    return float(np.sum(np.log(diag_b)) - np.sum(np.log(diag_joint)))


def _cholesky(cov: FloatArray, names: tuple[str, str], d_first: int,
              order: str) -> FloatArray:
    """Lower Cholesky factor; a clear error naming the column where positivity fails.

    ``names`` are the variables of the first ``d_first`` columns and of the rest.
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
    name, col = (names[0], k) if k < d_first else (names[1], k - d_first)
    raise ValueError(
        f"`{name}` must not be a linear function of the other columns of [x, y] (the joint "
        f"covariance is singular), got column {col} of `{name}` with residual variance "
        f"{residual:.1e} of its own given the columns before it in {order}. If y is an exact "
        "linear function of x, I(X;Y) is infinite; otherwise drop redundant columns or pass "
        "shrinkage='ledoit_wolf'.")
