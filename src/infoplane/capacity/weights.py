"""The MMI-attaining weights and the exact mutual information of a linear Gaussian layer."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from infoplane._typing import FloatArray
from infoplane._validation import as_int, check_memory, fail, finite_array, positive
from infoplane.capacity._input import PSD_RTOL
from infoplane.capacity.waterfill import water_filling


def _covariance(name: str, covariance: npt.ArrayLike) -> FloatArray:
    """A symmetric PSD covariance matrix (a 1-D input is read as a diagonal covariance)."""
    cov = finite_array(name, covariance, ndim=(1, 2), allow_bool=False)
    if cov.ndim == 1:
        if np.any(cov < 0):
            raise fail(name, "non-negative (variances)", float(cov.min()))
        return np.diag(cov)
    if cov.shape[0] != cov.shape[1]:
        raise fail(name, "a square covariance matrix", cov, f"(shape {cov.shape})")
    if not np.allclose(cov, cov.T, rtol=1e-8, atol=1e-12 * max(1.0, np.abs(cov).max())):
        raise fail(name, "a symmetric covariance matrix", cov)
    return 0.5 * (cov + cov.T)


def optimal_weights(covariance: npt.ArrayLike, width: int, budget: float,
                    noise_var: float = 1.0) -> FloatArray:
    """A weight matrix W* that attains the MMI (Appendix A: WᵀW shares Σ_x's eigenvectors).

    Row i of W* is sqrt(λ̃_i) v_iᵀ for the i-th principal direction v_i of Σ_x and the
    water-filling allocation λ̃_i; the remaining rows are zero. Any U W* with U orthogonal is
    optimal too.

    Parameters
    ----------
    covariance : array_like, shape (N0, N0) or (N0,)
        Covariance of X (a 1-D array is a diagonal covariance).
    width : int
        N1, the number of rows of W*.
    budget : float
        F >= 0; Tr(W*ᵀW*) = F (up to round-off).
    noise_var : float, default 1.0

    Returns
    -------
    ndarray, shape (width, N0)

    Examples
    --------
    >>> w = optimal_weights([4.0, 1.0], width=1, budget=2.0)
    >>> w.round(6).tolist()
    [[1.414214, 0.0]]
    """
    cov = _covariance("covariance", covariance)
    n1 = as_int("width", width)
    check_memory("width", width, 8.0 * n1 * cov.shape[0],
                 f"a {n1} x {cov.shape[0]} float64 weight matrix",
                 "Rows beyond the bottleneck are zero: a width of at most N0 = "
                 f"{cov.shape[0]} gives the same MMI.")
    evals, evecs = np.linalg.eigh(cov)
    order = np.argsort(evals)[::-1]
    evecs = evecs[:, order]
    wf = water_filling(evals, n1, budget, noise_var)
    k = wf.allocation.size
    w = np.zeros((n1, cov.shape[0]))
    w[:k] = np.sqrt(wf.allocation)[:, None] * evecs[:, :k].T
    return w


def linear_mi(weights: npt.ArrayLike, covariance: npt.ArrayLike, noise_var: float = 1.0) -> float:
    """I(X; WX + b + η) = ½ log det(I + W Σ Wᵀ / σ²) in nats (Appendix A, first display).

    Computed stably: a Cholesky factor of I + M (all eigenvalues >= 1, so well conditioned)
    on the smaller side (N1 × N1, or N0 × N0 through Σ^{1/2} WᵀW Σ^{1/2}).

    Parameters
    ----------
    weights : array_like, shape (N1, N0)
    covariance : array_like, shape (N0, N0) or (N0,)
    noise_var : float, default 1.0

    Examples
    --------
    >>> round(linear_mi([[1.0, 0.0]], [3.0, 5.0]), 6)  # ½ log(1 + 3)
    0.693147
    """
    w = finite_array("weights", weights, ndim=2, allow_bool=False)
    cov = _covariance("covariance", covariance)
    s2 = positive("noise_var", noise_var)
    if w.shape[1] != cov.shape[0]:
        raise ValueError(
            f"`weights` must have N0 = {cov.shape[0]} columns to match `covariance`, "
            f"got shape {w.shape}.")
    if w.shape[0] <= w.shape[1]:
        m = w @ cov @ w.T / s2
    else:
        evals, evecs = np.linalg.eigh(cov)
        if evals.min() < -PSD_RTOL * max(evals.max(), 0.0):
            raise fail("covariance", "positive semi-definite", float(evals.min()))
        half = evecs * np.sqrt(np.clip(evals, 0.0, None))
        m = half.T @ (w.T @ w) @ half / s2
    m = 0.5 * (m + m.T)
    m[np.diag_indices_from(m)] += 1.0
    try:
        chol = np.linalg.cholesky(m)
    except np.linalg.LinAlgError as exc:
        raise fail("covariance", "positive semi-definite", "a matrix with negative "
                   "eigenvalues") from exc
    return float(np.sum(np.log(np.diag(chol))))
