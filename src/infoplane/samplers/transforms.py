"""Invertible maps of a base task: MI is unchanged, the distribution is not Gaussian any more.

For injective, measurable f and g, I(f(X); g(Y)) = I(X; Y) (Cover & Thomas 2006, Sec. 2.8, data
processing both ways; Kraskov, Stögbauer & Grassberger, Phys. Rev. E 69, 066138, 2004) — the
invariance that the BMI benchmark builds its "half-cube", "asinh", "normal CDF", "wiggly",
"spiral" and "swiss roll" tasks on (Czyż et al., NeurIPS 2023, arXiv:2306.11078). So every task
here reports its base task's MI, and a test checks that its samples are the base samples mapped.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from infoplane._validation import as_float, as_int, choice, fail, finite_array
from infoplane.samplers._base import Task
from infoplane.samplers._common import FloatArray, check_rotation_dim, fmt, orthogonal

#: Coordinate-wise strictly increasing maps R -> R (names as they appear in task names).
COORDINATE_MAPS: tuple[str, ...] = ("halfcube", "cube", "asinh", "normcdf", "wiggly", "sine",
                                    "bimodal")
#: Maps acting on the whole vector (bijections of R^d, d >= 2).
VECTOR_MAPS: tuple[str, ...] = ("spiral",)
MAPS: tuple[str, ...] = COORDINATE_MAPS + VECTOR_MAPS

#: The bimodal target: ½ N(−1.5, 0.5²) + ½ N(1.5, 0.5²), reached by its quantile function ∘ Φ.
BIMODAL_MEANS: tuple[float, float] = (-1.5, 1.5)
BIMODAL_STD: float = 0.5
#: Spiral speed v: the rotation angle is v · ‖x‖².
SPIRAL_SPEED: float = 0.5


def _bimodal(u: FloatArray) -> FloatArray:
    """F⁻¹(Φ(u)) for the bimodal mixture F, by bisection (strictly increasing in u).

    Solved on the tail that keeps precision: F(t) = Φ(u) for u <= 0 and the survival function
    1 − F(t) = Φ(−u) for u > 0. The root lies between the component quantiles m_j + s·u.
    """
    from scipy import special

    m = np.asarray(BIMODAL_MEANS)
    s = BIMODAL_STD
    lo = m.min() + s * u
    hi = m.max() + s * u
    neg = u <= 0
    target = special.ndtr(np.where(neg, u, -u))
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        z = (mid[..., None] - m) / s
        lower = 0.5 * (special.ndtr(z[..., 0]) + special.ndtr(z[..., 1]))
        upper = 0.5 * (special.ndtr(-z[..., 0]) + special.ndtr(-z[..., 1]))
        below = np.where(neg, lower < target, upper > target)   # F(mid) < F(root)
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def _coordinate_map(name: str) -> Callable[[FloatArray], FloatArray]:
    from scipy import special

    maps: dict[str, Callable[[FloatArray], FloatArray]] = {
        "halfcube": lambda v: v * np.sqrt(np.abs(v)),          # BMI half-cube x|x|^{1/2}
        "cube": lambda v: v**3,
        "asinh": np.arcsinh,
        "normcdf": special.ndtr,                                # uniform margins (BMI)
        "wiggly": lambda v: v + 0.4 * np.sin(v) + 0.1 * np.sin(3.0 * v),   # slope >= 0.3
        "sine": lambda v: v + 0.5 * np.sin(v),                  # slope >= 0.5
        "bimodal": _bimodal,
    }
    return maps[name]


def spiral(v: npt.ArrayLike, speed: float = SPIRAL_SPEED) -> FloatArray:
    """Rotate each coordinate pair (0, 1), (2, 3), ... by the angle ``speed · ‖v‖²``.

    Rotations keep ‖v‖, so the inverse rotates by −speed · ‖v‖²: a bijection of R^d
    (the BMI spiral, Czyż et al. 2023: a rotation whose angle grows with the radius).
    An odd last coordinate is left as it is.
    """
    return _spiral(finite_array("v", v, ndim=2), as_float("speed", speed))


def _spiral(v: FloatArray, speed: float) -> FloatArray:
    out = v.copy()
    theta = speed * np.sum(v * v, axis=1)
    c, s = np.cos(theta), np.sin(theta)
    for i in range(0, v.shape[1] - 1, 2):
        a, b = v[:, i], v[:, i + 1]
        out[:, i] = c * a - s * b
        out[:, i + 1] = s * a + c * b
    return out


def apply_map(name: str, v: npt.ArrayLike) -> FloatArray:
    """Apply the named map (:data:`MAPS`) to a finite float array of shape (n, d).

    Raises
    ------
    ValueError
        An unknown ``name``, or ``v`` not a finite 2-D array.
    """
    choice("name", name, MAPS)
    return _apply_map(name, finite_array("v", v, ndim=2))


def _apply_map(name: str, v: FloatArray) -> FloatArray:
    if name == "spiral":
        return _spiral(v, SPIRAL_SPEED)
    return np.asarray(_coordinate_map(name)(v), dtype=np.float64)


def _check_map(field: str, value: str | None, base: Task, dim: int, discrete: bool) -> None:
    if value is None:
        return
    choice(field, value, MAPS)
    if discrete:
        raise fail(field, f"None for a discrete side of {base.name!r}", value)
    if value in VECTOR_MAPS and dim < 2:
        raise fail(field, f"a coordinate-wise map for a 1-D side of {base.name!r} "
                   "(a spiral needs >= 2 dimensions)", value)


@dataclass(frozen=True, kw_only=True)
class Transformed(Task):
    """A base task with bijections applied to X and/or Y, then optionally a fixed rotation.

    Parameters
    ----------
    base : Task
        The task whose samples are mapped; its MI is this task's MI.
    x_map, y_map : str or None
        One of :data:`MAPS` (``None``: identity): ``halfcube`` x|x|^{1/2}, ``cube`` x³,
        ``asinh``, ``normcdf`` Φ(x), ``wiggly`` x + 0.4 sin x + 0.1 sin 3x, ``sine``
        x + ½ sin x, ``bimodal`` F⁻¹∘Φ onto ½N(−1.5, 0.5²) + ½N(1.5, 0.5²) (all strictly
        increasing), ``spiral`` (vector map, :func:`spiral`).
    rotate : bool
        Multiply each continuous side, after its map, by a fixed Haar-random orthogonal matrix
        (seeded by ``rotation_seed``), so that ranking the columns cannot undo the map.
    rotation_seed : int

    Notes
    -----
    I(f(X); g(Y)) = I(X; Y) for injective f, g (Kraskov et al. 2004; Czyż et al. 2023).
    Name: ``{x_map}[-{y_map}][-rot]-{base.name}`` (one map name when both sides use
    the same map, ``id`` for an identity side).

    Examples
    --------
    >>> from infoplane.samplers.gaussian import MultivariateNormal
    >>> t = Transformed(base=MultivariateNormal(dim_x=1, dim_y=1, corr=0.75),
    ...                 x_map="halfcube", y_map="halfcube")
    >>> t.name, t.mutual_information() == t.base.mutual_information()
    ('halfcube-normal-dense-1x1-0.75', True)
    """

    base: Task
    x_map: str | None = None
    y_map: str | None = None
    rotate: bool = False
    rotation_seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.base, Task):
            raise TypeError(f"`base` must be a Task, got {self.base!r}.")
        _check_map("x_map", self.x_map, self.base, self.base.dim_x, self.base.x_discrete)
        _check_map("y_map", self.y_map, self.base, self.base.dim_y, self.base.y_discrete)
        if not isinstance(self.rotate, bool):
            raise TypeError(f"`rotate` must be a bool, got {self.rotate!r}.")
        if self.rotate:
            check_rotation_dim("base.dim_x", self.base.dim_x)
            check_rotation_dim("base.dim_y", self.base.dim_y)
        if self.x_map is None and self.y_map is None and not self.rotate:
            raise fail("x_map", "a map name when `y_map` is None and `rotate` is False "
                       "(nothing would change)", self.x_map)
        object.__setattr__(self, "rotation_seed",
                           as_int("rotation_seed", self.rotation_seed, min_value=0))

    @property
    def name(self) -> str:
        """``{x_map}[-{y_map}][-rot]-{base}``."""
        if self.x_map == self.y_map and self.x_map is not None:
            parts = [self.x_map]
        else:
            parts = [self.x_map or "id", self.y_map or "id"]
        if self.rotate:
            parts.append("rot" if self.rotation_seed == 0 else f"rot{self.rotation_seed}")
        return "-".join([*parts, self.base.name])

    @property
    def dim_x(self) -> int:
        """Columns of x (as the base)."""
        return self.base.dim_x

    @property
    def dim_y(self) -> int:
        """Columns of y (as the base)."""
        return self.base.dim_y

    @property
    def x_discrete(self) -> bool:
        """As the base."""
        return self.base.x_discrete

    @property
    def y_discrete(self) -> bool:
        """As the base."""
        return self.base.y_discrete

    def mutual_information(self) -> float:
        """I(X; Y) of the base (invariance under bijections)."""
        return self.base.mutual_information()

    def rotation(self, side: str) -> FloatArray:
        """The fixed orthogonal matrix used on ``side`` ("x" or "y") when ``rotate`` is set."""
        choice("side", side, ("x", "y"))
        dim = self.dim_x if side == "x" else self.dim_y
        return orthogonal(dim, 2 * self.rotation_seed + (side == "y"))

    def _side(self, v: FloatArray, fmap: str | None, side: str,
              discrete: bool) -> FloatArray:
        if discrete:
            return v
        out = v if fmap is None else _apply_map(fmap, v)
        if self.rotate and out.shape[1] > 1:
            out = out @ self.rotation(side).T
        return out

    def _sample(self, n: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
        x, y = self.base._sample(n, rng)
        return (self._side(np.asarray(x), self.x_map, "x", self.x_discrete),
                self._side(np.asarray(y), self.y_map, "y", self.y_discrete))


@dataclass(frozen=True, kw_only=True)
class SwissRoll(Task):
    """1-D X and a 2-D Y on a swiss roll: Y = r(U)(cos t(U), sin t(U)), U = Φ(Y₀).

    (X, Y₀) is bivariate normal with correlation ``corr``; U = Φ(Y₀) is uniform on (0, 1) and
    t = 1.5π(1 + 2U), r = t / (4.5π) embed it injectively into the plane (the radius grows
    strictly with t), as in the BMI swiss-roll task (Czyż et al. 2023). The
    embedding is injective, so I(X; Y) = I(X; Y₀) = −½ log(1 − corr²)
    (Cover & Thomas 2006, Sec. 2.8).

    Examples
    --------
    >>> t = SwissRoll(corr=0.9); t.name, t.dim_y
    ('swissroll-0.9', 2)
    """

    corr: float = 0.9

    def __post_init__(self) -> None:
        c = as_float("corr", self.corr)
        if not -1.0 < c < 1.0:
            raise fail("corr", "in (-1, 1)", self.corr)
        object.__setattr__(self, "corr", c)

    @property
    def name(self) -> str:
        """``swissroll-{corr}``."""
        return f"swissroll-{fmt(self.corr)}"

    @property
    def dim_x(self) -> int:
        """1."""
        return 1

    @property
    def dim_y(self) -> int:
        """2."""
        return 2

    def mutual_information(self) -> float:
        """−½ log(1 − corr²) nats (the embedding is injective)."""
        return -0.5 * math.log1p(-self.corr**2)

    @staticmethod
    def embed(y0: FloatArray) -> FloatArray:
        """The swiss-roll embedding of a column of standard-normal values, shape (n, 2)."""
        from scipy import special

        u = special.ndtr(y0[:, 0])
        t = 1.5 * np.pi * (1.0 + 2.0 * u)
        r = t / (4.5 * np.pi)
        return np.stack([r * np.cos(t), r * np.sin(t)], axis=1)

    def _sample(self, n: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
        x = rng.standard_normal((n, 1))
        y0 = self.corr * x + np.sqrt(1.0 - self.corr**2) * rng.standard_normal((n, 1))
        return x, self.embed(y0)
