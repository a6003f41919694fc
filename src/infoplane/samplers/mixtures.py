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
from infoplane.samplers._common import FloatArray, LabelsY, OneByOne, fmt

IntArray = npt.NDArray[np.int64]

#: Largest grid (points × centres) of :func:`gaussian_mixture_entropy` (400 MB of float64).
_MAX_GRID_VALUES = 50_000_000


# ----------------------------------------------------------------------------- truths

def gaussian_mixture_mi(means: Sequence[float], std: float = 1.0,
                        priors: Sequence[float] | None = None) -> float:
    """I(X; Y) for Y ~ priors, X | Y = k ~ N(means[k], std²), by quadrature (nats).

    I = Σ_k π_k ∫ φ_k log(φ_k / p), p = Σ_k π_k φ_k (Cover & Thomas 2006, Sec. 8.5, written as
    E_Y[D(p_{X|Y} ‖ p_X)]), integrated over [min − 12σ, max + 12σ] with the means as break
    points. Arguments are validated as :class:`LabelledMixture`'s (``priors`` default uniform).

    Examples
    --------
    >>> round(gaussian_mixture_mi([0.0, 3.0, 0.0]), 4)   # uncorrelated, yet dependent
    0.4814
    """
    task = LabelledMixture(means=tuple(means), std=std,
                           priors=None if priors is None else tuple(priors))
    return task.mutual_information_by_quadrature()


def _label_mixture_mi(means: tuple[float, ...], std: float, priors: FloatArray,
                      atoms: FloatArray) -> float:
    """E_Y[D(P_{X|Y} ‖ P_X)] in nats for X | Y = y: 0 w.p. a_y, else N(means[y], std²).

    The atom contributes Σ_y π_y a_y log(a_y / A), A = Σ π_y a_y; the densities
    f_y = (1 − a_y) φ_y contribute Σ_y π_y ∫ f_y log(f_y / g), g = Σ π_y f_y, by adaptive
    quadrature over [min − 12σ, max + 12σ] with the means as break points (validated inputs).
    """
    from scipy import integrate, stats

    big_a = float(np.sum(priors * atoms))
    atom = math.fsum(float(p * a * math.log(a / big_a))
                     for p, a in zip(priors, atoms, strict=True) if a > 0)
    weights = priors * (1.0 - atoms)
    mu = np.asarray(means, dtype=np.float64)

    def integrand(x: float) -> float:
        f = (1.0 - atoms) * stats.norm.pdf(x, mu, std)
        g = float(np.dot(priors, f))
        if g <= 0.0:
            return 0.0
        pos = f > 0
        return float(np.sum(priors[pos] * f[pos] * np.log(f[pos] / g)))

    if not np.any(weights > 0):  # pragma: no cover - atoms < 1 are enforced by the tasks
        return atom
    lo, hi = min(means) - 12 * std, max(means) + 12 * std
    cont, _ = integrate.quad(integrand, lo, hi, limit=400, points=sorted(set(means)),
                             epsabs=1e-12, epsrel=1e-10)
    return atom + float(cont)


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
    NeurIPS 2017: MI as the expected log Radon–Nikodym derivative). Arguments are validated as
    :class:`ZeroInflated`'s.

    Examples
    --------
    >>> round(zero_inflated_mi([0.0, 2.0], [0.5, 0.1]), 4)
    0.3216
    """
    task = ZeroInflated(means=tuple(means), atom_prob=tuple(atom_prob), std=std)
    return task.mutual_information_by_quadrature()


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

    c = finite_array("centres", centres, ndim=(1, 2))
    c = c.reshape(c.shape[0], -1)
    d = c.shape[1]
    if d not in (1, 2):
        raise fail("centres", "1-D or 2-D points", c, f"(they have {d} columns)")
    s = math.sqrt(positive("var", var))
    sizes = [math.ceil((float(np.ptp(c[:, k])) + 24 * s) / (s / 12)) for k in range(d)]
    cells = math.prod(sizes) * c.shape[0]
    if cells > _MAX_GRID_VALUES:
        raise fail("centres", f"within a grid of {_MAX_GRID_VALUES:.0e} (points × centres) "
                   f"at spacing √var/12, which these span {cells:.1e}", c,
                   "Use fewer or closer centres, or a larger `var`.")
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

    mean = as_float("mean", mean)
    std, noise_std = positive("std", std), positive("noise_std", noise_std)
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
class LabelledMixture(_Quadrature, LabelsY):
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

    def mutual_information_by_quadrature(self) -> float:
        """:func:`gaussian_mixture_mi` of the parameters."""
        k = len(self.means)
        priors = np.full(k, 1.0 / k) if self.priors is None else np.asarray(self.priors)
        return _label_mixture_mi(self.means, self.std, priors, np.zeros(k))

    def _sample(self, n: int, rng: np.random.Generator) -> tuple[FloatArray, IntArray]:
        k = len(self.means)
        if self.priors is None:
            labels = rng.integers(0, k, size=n)
        else:
            labels = rng.choice(k, size=n, p=np.asarray(self.priors))
        x = np.asarray(self.means)[labels] + self.std * rng.standard_normal(n)
        return x[:, None], labels.astype(np.int64, copy=False)


@dataclass(frozen=True, kw_only=True)
class ZeroInflated(_Quadrature, LabelsY):
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

    def mutual_information_by_quadrature(self) -> float:
        """:func:`zero_inflated_mi` of the parameters."""
        k = len(self.means)
        return _label_mixture_mi(self.means, self.std, np.full(k, 1.0 / k),
                                 np.asarray(self.atom_prob))

    def _sample(self, n: int, rng: np.random.Generator) -> tuple[FloatArray, IntArray]:
        labels = rng.integers(0, len(self.means), size=n)
        atom = rng.random(n) < np.asarray(self.atom_prob)[labels]
        x = np.where(atom, 0.0, np.asarray(self.means)[labels] + self.std * rng.standard_normal(n))
        return x[:, None], labels.astype(np.int64, copy=False)


@dataclass(frozen=True, kw_only=True)
class BimodalChannel(_Quadrature, OneByOne):
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

    def mutual_information_by_quadrature(self) -> float:
        """:func:`bimodal_channel_mi` of the parameters."""
        return bimodal_channel_mi(self.mean, self.std, self.noise_std)

    def _sample(self, n: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
        sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
        x = sign * self.mean + self.std * rng.standard_normal(n)
        y = x + self.noise_std * rng.standard_normal(n)
        return x[:, None], y[:, None]
