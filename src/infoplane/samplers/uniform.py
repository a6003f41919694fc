"""Additive uniform noise: closed form (uniform signal) and quadrature (Gaussian signal).

``AdditiveUniform``: X ~ U(0, 1), Y = X + N, N ~ U(−ε, ε) independent — the "additive noise"
tasks of the BMI benchmark (Czyż et al., NeurIPS 2023, arXiv:2306.11078, which states the same
formula). p_Y is the trapezoid |[y − ε, y + ε] ∩ [0, 1]| / 2ε and H(Y | X) = H(N) = log 2ε, so

    I = ε − log 2ε      for ε <= ½   (two linear ramps of length 2ε, flat density 1 between),
    I = 1 / (4ε)        for ε >= ½   (two ramps of length 1, flat density 1/2ε between);

each ramp contributes ∫ −p log p of a linear density, (length/2)·(½ − log h)·h with h its top
(Cover & Thomas 2006, Sec. 8.1 for differential entropy; the two branches agree at ε = ½).

``GaussianUniformNoise``: X ~ N(0, 1), Y = X + U(−b, b): p_Y(y) = (Φ(y + b) − Φ(y − b)) / 2b,
I = H(Y) − log 2b by quadrature (cached numbers for the registered tasks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from infoplane._validation import positive
from infoplane.samplers._common import FloatArray, OneByOne, fmt


@dataclass(frozen=True, kw_only=True)
class AdditiveUniform(OneByOne):
    """X ~ U(0, 1), Y = X + U(−ε, ε) (1 × 1); closed-form MI (module docstring).

    Parameters
    ----------
    epsilon : float
        Half-width ε > 0 of the noise.

    Examples
    --------
    >>> t = AdditiveUniform(epsilon=0.1)
    >>> t.name, round(t.mutual_information(), 4)
    ('additive-uniform-0.1', 1.7094)
    >>> round(AdditiveUniform(epsilon=0.75).mutual_information(), 4)
    0.3333
    """

    epsilon: float = 0.1

    def __post_init__(self) -> None:
        object.__setattr__(self, "epsilon", positive("epsilon", self.epsilon))

    @property
    def name(self) -> str:
        """``additive-uniform-{epsilon}``."""
        return f"additive-uniform-{fmt(self.epsilon)}"

    def mutual_information(self) -> float:
        """ε − log 2ε for ε <= ½, else 1/(4ε) (nats)."""
        e = self.epsilon
        return e - math.log(2.0 * e) if e <= 0.5 else 1.0 / (4.0 * e)

    def _sample(self, n: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
        x = rng.random((n, 1))
        return x, x + rng.uniform(-self.epsilon, self.epsilon, size=(n, 1))


def uniform_noise_channel_mi(half_width: float) -> float:
    """I(X; X + U) for X ~ N(0, 1) and independent U ~ U[−b, b], by quadrature (nats).

    p_Y(y) = (Φ(y + b) − Φ(y − b)) / 2b and H(Y | X) = H(U) = log 2b (Cover & Thomas 2006,
    Sec. 8.1; translation invariance of differential entropy, Sec. 8.6).

    Examples
    --------
    >>> round(uniform_noise_channel_mi(1.0), 6)
    0.869502
    """
    b = positive("half_width", half_width)
    return _uniform_noise_quad(b)


@lru_cache(maxsize=32)
def _uniform_noise_quad(b: float) -> float:
    from scipy import integrate, special

    def p(y: float) -> float:
        return float((special.ndtr(y + b) - special.ndtr(y - b)) / (2 * b))

    val, _ = integrate.quad(lambda y: -special.xlogy(p(y), p(y)), -b - 12, b + 12, limit=400,
                            points=[-b, 0.0, b], epsabs=1e-13, epsrel=1e-12)
    return float(val) - float(np.log(2 * b))


#: Quadrature values of :func:`uniform_noise_channel_mi` for the registered half-widths
#: (recomputed by ``tests/test_samplers.py``).
UNIFORM_NOISE_MI: dict[float, float] = {
    0.5: 1.4589588241050993,
    1.0: 0.8695024788553852,
    2.0: 0.4513383127828061,
}


@dataclass(frozen=True, kw_only=True)
class GaussianUniformNoise(OneByOne):
    """X ~ N(0, 1), Y = X + U(−b, b) (1 × 1); MI by quadrature (:func:`uniform_noise_channel_mi`).

    Examples
    --------
    >>> t = GaussianUniformNoise(half_width=1.0); t.name
    'gauss-uniform-noise-1'
    """

    half_width: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "half_width", positive("half_width", self.half_width))

    @property
    def name(self) -> str:
        """``gauss-uniform-noise-{half_width}``."""
        return f"gauss-uniform-noise-{fmt(self.half_width)}"

    def mutual_information(self) -> float:
        """The cached quadrature value where one exists, else the quadrature (nats)."""
        cached = UNIFORM_NOISE_MI.get(self.half_width)
        return cached if cached is not None else uniform_noise_channel_mi(self.half_width)

    def mutual_information_by_quadrature(self) -> float:
        """Recompute the MI by quadrature (ignores the cache)."""
        return _uniform_noise_quad.__wrapped__(self.half_width)

    def _sample(self, n: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
        x = rng.standard_normal((n, 1))
        return x, x + rng.uniform(-self.half_width, self.half_width, size=(n, 1))
