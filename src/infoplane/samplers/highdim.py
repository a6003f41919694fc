"""Low-rank high-dimensional Gaussians: a few informative latent directions in 50–200-D.

Latent pairs (U_i, V_i), i < k, are bivariate normal with correlation ρ_i and independent across
i; X = Q_x [U; E_x] and Y = Q_y [V; E_y] with E standard-normal noise coordinates independent of
everything and Q fixed Haar-random orthogonal matrices. [U; E_x] is a bijective function of X
and E_x, E_y carry nothing, so

    I(X; Y) = I(U; V) = −½ Σ_i log(1 − ρ_i²)

(Cover & Thomas 2006, Theorem 8.4.1 and the chain rule, Sec. 2.5). The construction is the
"sparse latent" idea of the BMI benchmark's high-dimensional Gaussians (Czyż et al., NeurIPS
2023) with a random orthogonal embedding so no coordinate is singled out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from infoplane._validation import as_int, fail
from infoplane.samplers._base import Task
from infoplane.samplers._common import (
    FloatArray,
    check_corr,
    check_dims,
    check_rotation_dim,
    fmt,
    orthogonal,
)

#: The default latent correlations: the first k of these.
DEFAULT_CORR: tuple[float, ...] = (0.9, 0.8, 0.7, 0.6, 0.5)


@dataclass(frozen=True, kw_only=True)
class LowRank(Task):
    """k correlated latent Gaussian pairs embedded into dim_x- and dim_y-dimensional noise.

    Parameters
    ----------
    dim_x, dim_y : int
        Ambient dimensions (>= k).
    k : int
        Number of informative latent directions (0 gives an independent task).
    corr : tuple of float or None
        Latent correlations ρ_1..ρ_k in (−1, 1); default the first k of :data:`DEFAULT_CORR`.
    seed : int
        Seed of the fixed orthogonal embeddings.

    Notes
    -----
    I = −½ Σ log(1 − ρ_i²) (module docstring). Name ``lowrank-{dx}x{dy}-k{k}``, plus
    ``-c{ρ_1}_{ρ_2}...`` when ``corr`` is not the default and ``-e{seed}`` when seed != 0.

    Examples
    --------
    >>> t = LowRank(dim_x=100, dim_y=100, k=3)
    >>> t.name, round(t.mutual_information(), 4)
    ('lowrank-100x100-k3', 1.6779)
    """

    dim_x: int = 100
    dim_y: int = 100
    k: int = 3
    corr: tuple[float, ...] | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        dx, dy = check_dims(self.dim_x, self.dim_y)
        check_rotation_dim("dim_x", dx)
        check_rotation_dim("dim_y", dy)
        k = as_int("k", self.k, min_value=0)
        if k > min(dx, dy):
            raise fail("k", f"<= min(dim_x, dim_y) = {min(dx, dy)}", self.k)
        if self.corr is None:
            if k > len(DEFAULT_CORR):
                raise fail("corr", f"given explicitly when k > {len(DEFAULT_CORR)}", self.corr)
            corr = DEFAULT_CORR[:k]
        else:
            if isinstance(self.corr, str) or len(self.corr) != k:
                raise fail("corr", f"a sequence of k = {k} correlations", self.corr)
            corr = tuple(check_corr(f"corr[{i}]", c) for i, c in enumerate(self.corr))
        for key, val in (("dim_x", dx), ("dim_y", dy), ("k", k), ("corr", corr),
                         ("seed", as_int("seed", self.seed, min_value=0))):
            object.__setattr__(self, key, val)

    @property
    def name(self) -> str:
        """``lowrank-{dx}x{dy}-k{k}[-c{corr}][-e{seed}]``."""
        out = f"lowrank-{self.dim_x}x{self.dim_y}-k{self.k}"
        if self.corr != DEFAULT_CORR[:self.k]:
            out += "-c" + "_".join(fmt(c).replace("-", "m") for c in self.latent_corr)
        return out if self.seed == 0 else f"{out}-e{self.seed}"

    @property
    def latent_corr(self) -> tuple[float, ...]:
        """ρ_1..ρ_k."""
        return tuple(self.corr or ())

    def embedding(self, side: str) -> FloatArray:
        """The orthogonal matrix Q_x (``side="x"``) or Q_y (``"y"``)."""
        if side == "x":
            return orthogonal(self.dim_x, 2 * self.seed + 1000)
        if side == "y":
            return orthogonal(self.dim_y, 2 * self.seed + 1001)
        raise fail("side", "'x' or 'y'", side)

    def mutual_information(self) -> float:
        """−½ Σ log(1 − ρ_i²) nats."""
        return 0.0 - 0.5 * math.fsum(math.log1p(-c * c) for c in self.latent_corr)

    def _sample(self, n: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
        zx = rng.standard_normal((n, self.dim_x))
        zy = rng.standard_normal((n, self.dim_y))
        rho = np.asarray(self.latent_corr)
        if self.k:
            zy[:, :self.k] = rho * zx[:, :self.k] + np.sqrt(1.0 - rho**2) * zy[:, :self.k]
        return zx @ self.embedding("x").T, zy @ self.embedding("y").T
