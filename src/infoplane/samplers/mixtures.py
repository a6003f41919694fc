"""Mixtures: labels × Gaussian mixtures, zero-inflated mixtures, a bimodal signal in noise.

Discrete–continuous tasks (Y integer labels, X | Y = y a Gaussian, optionally with an atom at
0) and a continuous bimodal channel. Their MI is a one-dimensional integral, computed by
adaptive quadrature (QUADPACK via ``scipy.integrate.quad``); the registered tasks carry the
numbers as constants, which ``tests/test_samplers.py`` recomputes independently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from infoplane._validation import as_float, fail, finite_array, positive
from infoplane.samplers._base import Task
from infoplane.samplers._common import FloatArray, fmt

IntArray = npt.NDArray[np.int64]


# ----------------------------------------------------------------------------- truths

def gaussian_mixture_mi(means: Sequence[float], std: float = 1.0,
                        priors: Sequence[float] | None = None) -> float:
    """I(X; Y) for Y ~ priors, X | Y = k ~ N(means[k], std²), by quadrature (nats).

    I = Σ_k π_k ∫ φ_k log(φ_k / p), p = Σ_k π_k φ_k (Cover & Thomas 2006, Sec. 8.5, written as
    E_Y[D(p_{X|Y} ‖ p_X)]), integrated over [min − 12σ, max + 12σ] with the means as break
    points.

    Examples
    --------
    >>> round(gaussian_mixture_mi([0.0, 3.0, 0.0]), 4)   # uncorrelated, yet dependent
    0.4814
    """
    from scipy import integrate, stats

    k = len(means)
    p = np.full(k, 1.0 / k) if priors is None else np.asarray(priors, dtype=np.float64)

    def mix(x: float) -> float:
        return float(sum(pi * stats.norm.pdf(x, m, std) for pi, m in zip(p, means,
                                                                           strict=True)))

    def integrand(x: float) -> float:
        px = mix(x)
        total = 0.0
        for pi, m in zip(p, means, strict=True):
            f = stats.norm.pdf(x, m, std)
            if f > 0 and px > 0:
                total += pi * f * np.log(f / px)
        return total

    lo, hi = min(means) - 12 * std, max(means) + 12 * std
    val, _ = integrate.quad(integrand, lo, hi, limit=400, points=sorted(means),
                            epsabs=1e-12, epsrel=1e-10)
    return float(val)


def sample_gaussian_mixture(n: int, means: Sequence[float], std: float = 1.0,
                            seed: int = 0) -> tuple[FloatArray, IntArray]:
    """Samples ``(x, labels)`` of the mixture in :func:`gaussian_mixture_mi` (uniform priors).

    ``x`` has shape ``(n,)`` (the task :class:`LabelledMixture` returns ``(n, 1)``).
    """
    x, labels = LabelledMixture(means=tuple(means), std=std).sample(n, seed=seed)
    return np.asarray(x[:, 0], dtype=np.float64), np.asarray(labels, dtype=np.int64)


def zero_inflated_mi(means: Sequence[float], atom_prob: Sequence[float],
                     std: float = 1.0) -> float:
    """I(X; Y) for uniform Y over classes, X | Y=y = 0 w.p. a_y, else N(means[y], std²).

    A discrete–continuous mixture (an atom at 0 plus densities), by quadrature (nats):
    I = Σ_y π_y a_y log(a_y / A) + Σ_y π_y (1 − a_y) ∫ φ_y log((1 − a_y) φ_y / g),
    A = Σ π_y a_y and g = Σ π_y (1 − a_y) φ_y — E_Y[D(P_{X|Y} ‖ P_X)] for a measure with an
    atom (Gao et al., "Estimating mutual information for discrete-continuous mixtures",
    NeurIPS 2017: MI as the expected log Radon–Nikodym derivative).

    Examples
    --------
    >>> round(zero_inflated_mi([0.0, 2.0], [0.5, 0.1]), 4)
    0.3216
    """
    from scipy import integrate, stats

    kk = len(means)
    pi = np.full(kk, 1.0 / kk)
    a = np.asarray(atom_prob, dtype=np.float64)
    big_a = float(np.sum(pi * a))
    atom = float(np.sum([pi[y] * a[y] * np.log(a[y] / big_a) for y in range(kk) if a[y] > 0]))

    def g(x: float) -> float:
        return float(sum(pi[y] * (1 - a[y]) * stats.norm.pdf(x, means[y], std)
                         for y in range(kk)))

    def integrand(x: float) -> float:
        gx = g(x)
        total = 0.0
        for y in range(kk):
            f = (1 - a[y]) * stats.norm.pdf(x, means[y], std)
            if f > 0 and gx > 0:
                total += pi[y] * f * np.log(f / gx)
        return total

    lo, hi = min(means) - 12 * std, max(means) + 12 * std
    cont, _ = integrate.quad(integrand, lo, hi, limit=400, points=sorted(means),
                             epsabs=1e-12, epsrel=1e-10)
    return atom + float(cont)


def sample_zero_inflated(n: int, means: Sequence[float], atom_prob: Sequence[float],
                         std: float = 1.0, seed: int = 0) -> tuple[FloatArray, IntArray]:
    """Samples ``(x, labels)`` of the mixture in :func:`zero_inflated_mi`; ``x`` shape (n,)."""
    x, labels = ZeroInflated(means=tuple(means), atom_prob=tuple(atom_prob),
                             std=std).sample(n, seed=seed)
    return np.asarray(x[:, 0], dtype=np.float64), np.asarray(labels, dtype=np.int64)


def gaussian_mixture_entropy(centres: npt.ArrayLike, var: float) -> float:
    """H (nats) of (1/N) Σ_i N(centres_i, var·I) in 1 or 2 dimensions, by the trapezoid rule.

    A uniform grid of spacing σ/12 covering every centre ± 12σ: for a smooth density decaying
    like a Gaussian the trapezoid rule converges geometrically (Trefethen & Weideman, SIAM Rev.
    56, 2014), far below 1e-8 here.

    Examples
    --------
    >>> round(gaussian_mixture_entropy([[0.0]], 1.0), 6)   # ½ log(2πe)
    1.418939
    """
    from scipy import special

    c = np.asarray(centres, dtype=np.float64).reshape(len(centres), -1)  # type: ignore[arg-type]
    d = c.shape[1]
    if d not in (1, 2):
        raise fail("centres", "1-D or 2-D points", c, f"(they have {d} columns)")
    s = np.sqrt(var)
    axes = [np.arange(c[:, k].min() - 12 * s, c[:, k].max() + 12 * s, s / 12) for k in range(d)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, d)
    sq = ((grid[:, None, :] - c[None, :, :]) ** 2).sum(axis=-1)
    logp = special.logsumexp(-sq / (2 * var), axis=1) - np.log(len(c)) \
        - 0.5 * d * np.log(2 * np.pi * var)
    cell = (s / 12) ** d
    return float(-np.sum(np.exp(logp) * logp) * cell)


def bimodal_channel_mi(mean: float, std: float, noise_std: float) -> float:
    """I(X; X + σZ) for X ~ ½N(−m, s²) + ½N(m, s²), Z ~ N(0, 1), by quadrature (nats).

    Y is the mixture ½N(−m, s² + σ²) + ½N(m, s² + σ²), and H(Y | X) = ½ log(2πe σ²), so
    I = H(Y) − ½ log(2πe σ²) (Cover & Thomas 2006, Sec. 8.1 and 8.6).

    Examples
    --------
    >>> round(bimodal_channel_mi(1.5, 0.5, 0.5), 4)
    0.9942
    """
    from scipy import integrate, special

    v = std**2 + noise_std**2
    sd = math.sqrt(v)

    def logp(y: float) -> float:
        return float(special.logsumexp([-(y - mean) ** 2 / (2 * v), -(y + mean) ** 2 / (2 * v)])
                     - math.log(2.0) - 0.5 * math.log(2 * math.pi * v))

    lim = abs(mean) + 14 * sd
    h, _ = integrate.quad(lambda y: -math.exp(logp(y)) * logp(y), -lim, lim, limit=400,
                          points=[-abs(mean), 0.0, abs(mean)], epsabs=1e-13, epsrel=1e-12)
    return float(h) - 0.5 * math.log(2 * math.pi * math.e * noise_std**2)


# ----------------------------------------------------------------------- validation

def _floats(name: str, value: object) -> tuple[float, ...]:
    arr = finite_array(name, value, ndim=1)
    return tuple(float(v) for v in arr)


def _name_list(values: tuple[float, ...]) -> str:
    return "_".join(fmt(v).replace("-", "m") for v in values)


#: Quadrature values for the registered discrete–continuous tasks, keyed by task name
#: (recomputed in ``tests/test_samplers.py``).
CACHED_MI: dict[str, float] = {
    "bimodal-channel-m1.5-s0.5-n0.5": 0.994169420860206,
    "mixture-labels-0_0": 0.0,
    "mixture-labels-0_1_2_3_4-s0.5": 1.0314200121595314,
    "mixture-labels-0_2": 0.33683082034683165,
    "mixture-labels-0_2-p0.8_0.2": 0.23260303411971625,
    "mixture-labels-0_3_0": 0.4813962772190861,
    "zeroinflated-labels-0_2-a0.5_0.1": 0.3216382831978547,
}


class _Quadrature(Task):
    """Mixin: MI from :data:`CACHED_MI` when the task is registered, else by quadrature."""

    def mutual_information_by_quadrature(self) -> float:
        """Recompute the MI by quadrature (ignores the cache)."""
        raise NotImplementedError  # pragma: no cover

    def mutual_information(self) -> float:
        """I(X; Y) in nats: the cached quadrature value, or the quadrature if not cached."""
        cached = CACHED_MI.get(self.name)
        return cached if cached is not None else self.mutual_information_by_quadrature()


# ----------------------------------------------------------------------------- tasks

@dataclass(frozen=True, kw_only=True)
class LabelledMixture(_Quadrature):
    """Y labels with ``priors``, X | Y = k ~ N(means[k], std²) (x shape (n, 1), y int64 (n,)).

    MI by :func:`gaussian_mixture_mi`. Name: ``mixture-labels-{means}[-s{std}][-p{priors}]``,
    means joined by ``_`` with ``m`` for a minus sign (``mixture-labels-0_3_0``).

    Examples
    --------
    >>> t = LabelledMixture(means=(0.0, 2.0))
    >>> t.name, t.y_discrete, round(t.mutual_information(), 4)
    ('mixture-labels-0_2', True, 0.3368)
    """

    means: tuple[float, ...] = (0.0, 2.0)
    std: float = 1.0
    priors: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        means = _floats("means", self.means)
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "std", positive("std", self.std))
        if self.priors is not None:
            p = _floats("priors", self.priors)
            if len(p) != len(means) or min(p) < 0 or abs(sum(p) - 1.0) > 1e-9:
                raise fail("priors", f"{len(means)} non-negative numbers summing to 1",
                           self.priors)
            object.__setattr__(self, "priors", p)

    @property
    def name(self) -> str:
        """``mixture-labels-{means}[-s{std}][-p{priors}]``."""
        out = f"mixture-labels-{_name_list(self.means)}"
        if self.std != 1.0:
            out += f"-s{fmt(self.std)}"
        if self.priors is not None:
            out += f"-p{_name_list(self.priors)}"
        return out

    @property
    def dim_x(self) -> int:
        """1."""
        return 1

    @property
    def dim_y(self) -> int:
        """1 (labels)."""
        return 1

    @property
    def y_discrete(self) -> bool:
        """True: y is int64 labels."""
        return True

    def mutual_information_by_quadrature(self) -> float:
        """:func:`gaussian_mixture_mi` of the parameters."""
        return gaussian_mixture_mi(list(self.means), self.std,
                                   None if self.priors is None else list(self.priors))

    def _sample(self, n: int, rng: np.random.Generator) -> tuple[FloatArray, IntArray]:
        k = len(self.means)
        if self.priors is None:
            labels = rng.integers(0, k, size=n)
        else:
            labels = rng.choice(k, size=n, p=np.asarray(self.priors))
        x = np.asarray(self.means)[labels] + self.std * rng.standard_normal(n)
        return x[:, None], labels.astype(np.int64, copy=False)


@dataclass(frozen=True, kw_only=True)
class ZeroInflated(_Quadrature):
    """Uniform labels Y; X | Y = y is 0 with probability a_y, else N(means[y], std²).

    MI by :func:`zero_inflated_mi`. Name:
    ``zeroinflated-labels-{means}-a{atom_prob}[-s{std}]``.

    Examples
    --------
    >>> ZeroInflated(means=(0.0, 2.0), atom_prob=(0.5, 0.1)).name
    'zeroinflated-labels-0_2-a0.5_0.1'
    """

    means: tuple[float, ...] = (0.0, 2.0)
    atom_prob: tuple[float, ...] = (0.5, 0.1)
    std: float = 1.0

    def __post_init__(self) -> None:
        means = _floats("means", self.means)
        a = _floats("atom_prob", self.atom_prob)
        if len(a) != len(means) or min(a) < 0 or max(a) >= 1:
            raise fail("atom_prob", f"{len(means)} probabilities in [0, 1)", self.atom_prob)
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "atom_prob", a)
        object.__setattr__(self, "std", positive("std", self.std))

    @property
    def name(self) -> str:
        """``zeroinflated-labels-{means}-a{atom_prob}[-s{std}]``."""
        out = f"zeroinflated-labels-{_name_list(self.means)}-a{_name_list(self.atom_prob)}"
        return out if self.std == 1.0 else f"{out}-s{fmt(self.std)}"

    @property
    def dim_x(self) -> int:
        """1."""
        return 1

    @property
    def dim_y(self) -> int:
        """1 (labels)."""
        return 1

    @property
    def y_discrete(self) -> bool:
        """True: y is int64 labels."""
        return True

    def mutual_information_by_quadrature(self) -> float:
        """:func:`zero_inflated_mi` of the parameters."""
        return zero_inflated_mi(list(self.means), list(self.atom_prob), self.std)

    def _sample(self, n: int, rng: np.random.Generator) -> tuple[FloatArray, IntArray]:
        labels = rng.integers(0, len(self.means), size=n)
        atom = rng.random(n) < np.asarray(self.atom_prob)[labels]
        x = np.where(atom, 0.0, np.asarray(self.means)[labels] + self.std * rng.standard_normal(n))
        return x[:, None], labels.astype(np.int64, copy=False)


@dataclass(frozen=True, kw_only=True)
class BimodalChannel(_Quadrature):
    """X ~ ½N(−m, s²) + ½N(m, s²) (1-D), Y = X + σZ: MI by :func:`bimodal_channel_mi`.

    Name: ``bimodal-channel-m{mean}-s{std}-n{noise_std}``.

    Examples
    --------
    >>> BimodalChannel().name
    'bimodal-channel-m1.5-s0.5-n0.5'
    """

    mean: float = 1.5
    std: float = 0.5
    noise_std: float = 0.5

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", as_float("mean", self.mean))
        object.__setattr__(self, "std", positive("std", self.std))
        object.__setattr__(self, "noise_std", positive("noise_std", self.noise_std))

    @property
    def name(self) -> str:
        """``bimodal-channel-m{mean}-s{std}-n{noise_std}``."""
        return (f"bimodal-channel-m{fmt(self.mean)}-s{fmt(self.std)}"
                f"-n{fmt(self.noise_std)}")

    @property
    def dim_x(self) -> int:
        """1."""
        return 1

    @property
    def dim_y(self) -> int:
        """1."""
        return 1

    def mutual_information_by_quadrature(self) -> float:
        """:func:`bimodal_channel_mi` of the parameters."""
        return bimodal_channel_mi(self.mean, self.std, self.noise_std)

    def _sample(self, n: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
        sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
        x = sign * self.mean + self.std * rng.standard_normal(n)
        y = x + self.noise_std * rng.standard_normal(n)
        return x[:, None], y[:, None]
