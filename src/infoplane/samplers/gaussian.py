"""Multivariate normal tasks: dense (equicorrelated) and sparse (a few paired coordinates).

For jointly Gaussian (X, Y) with covariance Σ = [[Σ_xx, Σ_xy], [Σ_yx, Σ_yy]],

    I(X; Y) = ½ log(det Σ_xx · det Σ_yy / det Σ)

(H(X) + H(Y) − H(X, Y) with the Gaussian entropy of Cover & Thomas 2006, Theorem 8.4.1),

and these are the "multinormal" tasks of the BMI benchmark (Czyż et al., "Beyond normal: on the
evaluation of mutual information estimators", NeurIPS 2023, arXiv:2306.11078).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from infoplane._validation import as_int, check_memory, choice, fail, finite_array
from infoplane.samplers._base import Task
from infoplane.samplers._common import FloatArray, check_corr, check_dims, fmt

Structure = Literal["dense", "sparse"]


def gaussian_mi(cov: npt.ArrayLike, dim_x: int) -> float:
    """I(X; Y) in nats of a joint Gaussian whose first ``dim_x`` coordinates are X.

    ½ (log det Σ_xx + log det Σ_yy − log det Σ) (Cover & Thomas 2006, Theorem 8.4.1), by
    ``slogdet``.

    Parameters
    ----------
    cov : array_like, shape (d, d)
        Joint covariance, symmetric positive definite.
    dim_x : int
        Number of leading coordinates that form X (1 <= dim_x < d).

    Examples
    --------
    >>> round(gaussian_mi([[1.0, 0.6], [0.6, 1.0]], 1), 6)   # -½ log(1 - 0.36)
    0.223144
    """
    c = finite_array("cov", cov, ndim=2)
    if c.shape[0] != c.shape[1] or c.shape[0] < 2:
        raise fail("cov", "a square matrix of size >= 2", c, f"(it has shape {c.shape})")
    dx = as_int("dim_x", dim_x)
    if dx >= c.shape[0]:
        raise fail("dim_x", f"< {c.shape[0]} (the size of `cov`)", dim_x)
    logdets = []
    for block in (c, c[:dx, :dx], c[dx:, dx:]):
        sign, val = np.linalg.slogdet(block)
        if sign <= 0:
            raise fail("cov", "positive definite", c)
        logdets.append(val)
    return float(0.5 * (logdets[1] + logdets[2] - logdets[0]))


def _equicorr_logdet(m: int, rho: float) -> float:
    """log det of the m × m matrix with unit diagonal and every off-diagonal entry rho.

    Its eigenvalues are 1 + (m − 1)ρ (once) and 1 − ρ (m − 1 times).
    """
    return (m - 1) * math.log1p(-rho) + math.log1p((m - 1) * rho)


@dataclass(frozen=True, kw_only=True)
class MultivariateNormal(Task):
    """Jointly Gaussian X ∈ R^dim_x, Y ∈ R^dim_y with unit variances.

    Parameters
    ----------
    dim_x, dim_y : int
        Dimensions of X and Y.
    corr : float
        ``"dense"``: every pair of distinct coordinates of (X, Y) — within X, within Y and across —
        has correlation ``corr`` ∈ [0, 1). ``"sparse"``: Corr(X_i, Y_i) = ``corr`` ∈ (−1, 1) for
        i < ``n_interacting``; all other coordinates are independent.
    structure : {"dense", "sparse"}
    n_interacting : int or None
        Sparse only: number of correlated pairs (default min(dim_x, dim_y)).

    Notes
    -----
    I(X; Y) = ½ log(det Σ_xx det Σ_yy / det Σ) (Cover & Thomas 2006, Theorem 8.4.1). Dense: the
    equicorrelated m × m determinant is (1 − ρ)^{m−1} (1 + (m − 1) ρ), so
    I = ½ [log(1 + (d_x − 1)ρ) + log(1 + (d_y − 1)ρ) − log(1 − ρ) − log(1 + (d_x + d_y − 1)ρ)].
    Sparse: I = −(k/2) log(1 − ρ²). Dense samples share one factor: coordinate j is
    √ρ W + √(1 − ρ) E_j.

    Names: ``normal-dense-{dx}x{dy}-{corr}``, ``normal-sparse-{dx}x{dy}-k{k}-{corr}``.

    Examples
    --------
    >>> t = MultivariateNormal(dim_x=3, dim_y=3, corr=0.5)
    >>> t.name, round(t.mutual_information(), 4)
    ('normal-dense-3x3-0.5', 0.4133)
    >>> x, y = t.sample(4, seed=0); x.shape, y.dtype
    ((4, 3), dtype('float64'))
    """

    dim_x: int = 1
    dim_y: int = 1
    corr: float = 0.5
    structure: Structure = "dense"
    n_interacting: int | None = None

    def __post_init__(self) -> None:
        dx, dy = check_dims(self.dim_x, self.dim_y)
        st = choice("structure", self.structure, ("dense", "sparse"))
        if st == "dense":
            rho = check_corr("corr", self.corr, low=0.0)
            if self.n_interacting is not None:
                raise fail("n_interacting", "None for a dense structure", self.n_interacting)
            k = None
        else:
            rho = check_corr("corr", self.corr)
            k = min(dx, dy) if self.n_interacting is None else as_int(
                "n_interacting", self.n_interacting, min_value=0)
            if k > min(dx, dy):
                raise fail("n_interacting", f"<= min(dim_x, dim_y) = {min(dx, dy)}",
                           self.n_interacting)
        for key, val in (("dim_x", dx), ("dim_y", dy), ("corr", rho), ("structure", st),
                         ("n_interacting", k)):
            object.__setattr__(self, key, val)

    @property
    def name(self) -> str:
        """``normal-dense-{dx}x{dy}-{corr}`` or ``normal-sparse-{dx}x{dy}-k{k}-{corr}``."""
        size = f"{self.dim_x}x{self.dim_y}"
        if self.structure == "dense":
            return f"normal-dense-{size}-{fmt(self.corr)}"
        return f"normal-sparse-{size}-k{self.n_interacting}-{fmt(self.corr)}"

    @property
    def k(self) -> int:
        """Number of correlated pairs (sparse), the sparse ``n_interacting``."""
        return 0 if self.n_interacting is None else int(self.n_interacting)

    def covariance(self) -> FloatArray:
        """The joint covariance Σ of (X, Y), shape (dim_x + dim_y, dim_x + dim_y)."""
        d = self.dim_x + self.dim_y
        check_memory("dim_x + dim_y", d, 8.0 * d * d, f"the {d} x {d} float64 covariance")
        if self.structure == "dense":
            cov = np.full((d, d), self.corr)
            np.fill_diagonal(cov, 1.0)
            return cov
        cov = np.eye(d)
        for i in range(self.k):
            cov[i, self.dim_x + i] = cov[self.dim_x + i, i] = self.corr
        return cov

    def mutual_information(self) -> float:
        """I(X; Y) in nats, closed form (see Notes)."""
        if self.structure == "dense":
            rho, dx, dy = self.corr, self.dim_x, self.dim_y
            if rho == 0.0:
                return 0.0
            return 0.5 * (_equicorr_logdet(dx, rho) + _equicorr_logdet(dy, rho)
                          - _equicorr_logdet(dx + dy, rho))
        return float(0.0 - 0.5 * self.k * np.log1p(-self.corr**2))   # 0.0, never -0.0

    def _gauss(self, n: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
        """Standard-scale draws (shared with the Student-t task)."""
        if self.structure == "dense":
            rho = self.corr
            w = rng.standard_normal((n, 1))
            e = rng.standard_normal((n, self.dim_x + self.dim_y))
            xy = np.sqrt(rho) * w + np.sqrt(1.0 - rho) * e
            return xy[:, :self.dim_x], xy[:, self.dim_x:]
        x = rng.standard_normal((n, self.dim_x))
        z = rng.standard_normal((n, self.dim_y))
        k, rho = self.k, self.corr
        if k == 0:
            return x, z
        y = z
        y[:, :k] = rho * x[:, :k] + np.sqrt(1.0 - rho**2) * z[:, :k]
        return x, y

    def _sample(self, n: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
        return self._gauss(n, rng)


def gaussian_pair(n: int, d: int, rho: float, seed: int = 0) -> tuple[FloatArray, FloatArray,
                                                                     float]:
    """X, Y ∈ R^d with Corr(X_i, Y_i) = rho, independent across i, and I = −(d/2) log(1 − ρ²).

    The sparse :class:`MultivariateNormal` with ``n_interacting = d``: ``x`` is standard normal
    and ``y = rho x + √(1 − rho²) z`` (Cover & Thomas 2006, Theorem 8.4.1).

    Examples
    --------
    >>> x, y, mi = gaussian_pair(10, 2, 0.6); x.shape, round(mi, 6)
    ((10, 2), 0.446287)
    """
    task = MultivariateNormal(dim_x=d, dim_y=d, corr=rho, structure="sparse", n_interacting=d)
    x, y = task.sample(n, seed=seed)
    return (np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64),
            task.mutual_information())
