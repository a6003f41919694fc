"""Multivariate Student-t tasks, whose MI has a closed form beyond the Gaussian part.

(X, Y) = Z / √(W/ν) with Z ~ N(0, Σ) and W ~ χ²_ν independent of Z: a multivariate t with ν
degrees of freedom and scale Σ; its marginals are t with the same ν and the sub-blocks of Σ.
From the entropy of the multivariate t (Kotz & Nadarajah, "Multivariate t Distributions and
Their Applications", 2004; Arellano-Valle, Contreras-Reyes & Genton, Scand. J. Stat.
40, 2013), I = H(X) + H(Y) − H(X, Y) is

    I(X; Y) = I_gauss(Σ) + c(ν, d_x, d_y),

    c = log Γ(ν/2) + log Γ((ν + d_x + d_y)/2) − log Γ((ν + d_x)/2) − log Γ((ν + d_y)/2)
        + (ν + d_x)/2 ψ((ν + d_x)/2) + (ν + d_y)/2 ψ((ν + d_y)/2)
        − ν/2 ψ(ν/2) − (ν + d_x + d_y)/2 ψ((ν + d_x + d_y)/2),

the form used for the Student-t tasks of the BMI benchmark (Czyż et al., NeurIPS 2023,
Appendix on the Student-t distribution). c > 0: with Σ = I the coordinates are uncorrelated but
still dependent through the shared W.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from infoplane._validation import positive
from infoplane.samplers._base import Task
from infoplane.samplers._common import FloatArray, check_corr, check_dims, fmt
from infoplane.samplers.gaussian import MultivariateNormal


def student_t_correction(dof: float, dim_x: int, dim_y: int) -> float:
    """c(ν, d_x, d_y) = I_t − I_gauss for a multivariate t, in nats (module docstring).

    Examples
    --------
    >>> round(student_t_correction(1.0, 1, 1), 6)   # bivariate Cauchy, identity scale
    0.224171
    """
    from scipy import special

    nu = positive("dof", dof)
    dim_x, dim_y = check_dims(dim_x, dim_y)
    a, bx, by, bxy = nu / 2, (nu + dim_x) / 2, (nu + dim_y) / 2, (nu + dim_x + dim_y) / 2
    val = (special.gammaln(a) + special.gammaln(bxy) - special.gammaln(bx) - special.gammaln(by)
           + bx * special.digamma(bx) + by * special.digamma(by)
           - a * special.digamma(a) - bxy * special.digamma(bxy))
    return float(val)


@dataclass(frozen=True, kw_only=True)
class StudentT(Task):
    """Multivariate t with ``dof`` degrees of freedom over (X, Y).

    Parameters
    ----------
    dim_x, dim_y : int
    dof : float
        Degrees of freedom ν > 0 (ν = 1: Cauchy).
    corr : float
        Scale matrix: Σ_{i, d_x + i} = ``corr`` for i < min(d_x, d_y), identity otherwise
        (``corr = 0``: the identity scale of the BMI "student-identity" tasks).

    Notes
    -----
    I = −(k/2) log(1 − corr²) + c(ν, d_x, d_y), k = min(d_x, d_y) (see the module docstring
    for c and its sources). Names: ``student-dof{ν}-{dx}x{dy}`` (identity scale) or
    ``student-dof{ν}-{dx}x{dy}-{corr}``.

    Examples
    --------
    >>> t = StudentT(dim_x=2, dim_y=2, dof=2)
    >>> t.name, round(t.mutual_information(), 4)
    ('student-dof2-2x2', 0.1931)
    """

    dim_x: int = 1
    dim_y: int = 1
    dof: float = 1.0
    corr: float = 0.0

    def __post_init__(self) -> None:
        dx, dy = check_dims(self.dim_x, self.dim_y)
        object.__setattr__(self, "dim_x", dx)
        object.__setattr__(self, "dim_y", dy)
        object.__setattr__(self, "dof", positive("dof", self.dof))
        object.__setattr__(self, "corr", check_corr("corr", self.corr))

    @property
    def name(self) -> str:
        """``student-dof{ν}-{dx}x{dy}[-{corr}]``."""
        base = f"student-dof{fmt(self.dof)}-{self.dim_x}x{self.dim_y}"
        return base if self.corr == 0.0 else f"{base}-{fmt(self.corr)}"

    def _scale(self) -> MultivariateNormal:
        return MultivariateNormal(dim_x=self.dim_x, dim_y=self.dim_y, corr=self.corr,
                                  structure="sparse")

    def scale_matrix(self) -> FloatArray:
        """The scale matrix Σ of the joint t (its covariance is ν/(ν − 2) Σ for ν > 2)."""
        return self._scale().covariance()

    def mutual_information(self) -> float:
        """I(X; Y) in nats: Gaussian part of Σ plus the correction c(ν, d_x, d_y)."""
        return (self._scale().mutual_information()
                + student_t_correction(self.dof, self.dim_x, self.dim_y))

    def _sample(self, n: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
        x, y = self._scale()._gauss(n, rng)
        w = rng.chisquare(self.dof, size=(n, 1))
        s = np.sqrt(self.dof / w)
        return x * s, y * s
