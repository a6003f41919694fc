"""The named tasks, the suites, and lookup by name or pattern.

Building the registry constructs small frozen dataclasses only: no sampling, no quadrature,
no random matrices (those are made on first use), so ``import infoplane.samplers`` is cheap.
"""

from __future__ import annotations

import difflib
import fnmatch
from types import MappingProxyType

from infoplane.samplers._base import Task
from infoplane.samplers.discrete import DISCRETE_TABLES, DiscreteTable
from infoplane.samplers.gaussian import MultivariateNormal
from infoplane.samplers.highdim import LowRank
from infoplane.samplers.mixtures import BimodalChannel, LabelledMixture, ZeroInflated
from infoplane.samplers.student import StudentT
from infoplane.samplers.transforms import SwissRoll, Transformed
from infoplane.samplers.uniform import AdditiveUniform, GaussianUniformNoise

#: Labels of the ``table-*`` tasks, in the order of :data:`DISCRETE_TABLES`.
_TABLE_LABELS = ("identity-2", "independent-2x2", "determined-2x3", "identity-4", "skewed-2x2")


def _dense(d: int, rho: float, dy: int | None = None) -> MultivariateNormal:
    return MultivariateNormal(dim_x=d, dim_y=d if dy is None else dy, corr=rho)


def _sparse(d: int, k: int, rho: float) -> MultivariateNormal:
    return MultivariateNormal(dim_x=d, dim_y=d, corr=rho, structure="sparse", n_interacting=k)


def _both(base: Task, fmap: str, *, rotate: bool = False) -> Transformed:
    return Transformed(base=base, x_map=fmap, y_map=fmap, rotate=rotate)


def _build() -> tuple[Task, ...]:
    n1 = _dense(1, 0.75)
    out: list[Task] = [
        # -- multivariate normal
        n1,
        _dense(1, 0.5), _dense(1, 0.9), _dense(1, 0.0),
        _dense(2, 0.5), _dense(3, 0.5), _dense(3, 0.8), _dense(3, 0.0), _dense(5, 0.5),
        _dense(25, 0.5), _dense(3, 0.5, dy=1),
        _sparse(3, 2, 0.8), _sparse(5, 2, 0.8), _sparse(25, 2, 0.8), _sparse(3, 3, 0.5),
        _sparse(25, 5, 0.6),
        # -- Student-t
        StudentT(dim_x=1, dim_y=1, dof=1), StudentT(dim_x=2, dim_y=2, dof=2),
        StudentT(dim_x=3, dim_y=3, dof=3), StudentT(dim_x=5, dim_y=5, dof=5),
        StudentT(dim_x=3, dim_y=3, dof=3, corr=0.5), StudentT(dim_x=1, dim_y=1, dof=30),
        # -- bijections of those
        _both(n1, "halfcube"), _both(_sparse(5, 2, 0.8), "halfcube"),
        _both(StudentT(dim_x=1, dim_y=1, dof=1), "asinh"),
        _both(StudentT(dim_x=2, dim_y=2, dof=1), "asinh"),
        _both(_sparse(3, 2, 0.8), "normcdf"), _both(_dense(25, 0.5), "normcdf"),
        _both(n1, "wiggly"), _both(_dense(3, 0.5), "wiggly"),
        _both(_sparse(3, 2, 0.8), "spiral"), _both(_sparse(5, 2, 0.8), "spiral"),
        _both(n1, "bimodal"),
        _both(_dense(3, 0.5), "halfcube", rotate=True),
        _both(StudentT(dim_x=3, dim_y=3, dof=2), "asinh"),
        SwissRoll(corr=0.9),
        # -- additive uniform noise
        AdditiveUniform(epsilon=0.1), AdditiveUniform(epsilon=0.75),
        GaussianUniformNoise(half_width=0.5), GaussianUniformNoise(half_width=1.0),
        GaussianUniformNoise(half_width=2.0),
        # -- mixtures: bimodal signal, labels × Gaussian mixtures, zero-inflated
        BimodalChannel(),
        LabelledMixture(means=(0.0, 2.0)), LabelledMixture(means=(0.0, 3.0, 0.0)),
        LabelledMixture(means=(0.0, 1.0, 2.0, 3.0, 4.0), std=0.5),
        LabelledMixture(means=(0.0, 2.0), priors=(0.8, 0.2)),
        LabelledMixture(means=(0.0, 0.0)),
        ZeroInflated(means=(0.0, 2.0), atom_prob=(0.5, 0.1)),
        # -- discrete tables
        *(DiscreteTable(table=tuple(tuple(r) for r in tab), label=lab)
          for (tab, _), lab in zip(DISCRETE_TABLES, _TABLE_LABELS, strict=True)),
        DiscreteTable(table=((0.45, 0.05), (0.05, 0.45)), label="bsc-0.1"),
        # -- low-rank high-dimensional, and bijections of them
        LowRank(dim_x=50, dim_y=50, k=2), LowRank(dim_x=100, dim_y=100, k=3),
        LowRank(dim_x=100, dim_y=100, k=5), LowRank(dim_x=200, dim_y=200, k=5),
        LowRank(dim_x=100, dim_y=50, k=3), LowRank(dim_x=100, dim_y=100, k=0),
    ]
    hd = LowRank(dim_x=100, dim_y=100, k=3)
    for fmap in ("cube", "normcdf", "sine"):
        out += [_both(hd, fmap), _both(hd, fmap, rotate=True)]
    out += _HIGHDIM_EXTRA
    for task in _dimension_tasks():
        if task.name not in {t.name for t in out}:
            out.append(task)
    return tuple(out)


_HD_50 = LowRank(dim_x=50, dim_y=50, k=2)
_HD_200 = LowRank(dim_x=200, dim_y=200, k=5)
_HD_100 = LowRank(dim_x=100, dim_y=100, k=3)
#: The high-dimensional tasks beyond the first twelve: other dimensions, ranks, unequal sides,
#: and rotated bijections on both sides and on one side (so that ranking columns cannot undo
#: the map), at 50 and 200 dimensions as well as 100.
_HIGHDIM_EXTRA: list[Task] = [
    LowRank(dim_x=50, dim_y=50, k=4), LowRank(dim_x=200, dim_y=200, k=1),
    LowRank(dim_x=50, dim_y=200, k=3), LowRank(dim_x=200, dim_y=200, k=0),
    _both(_HD_50, "cube", rotate=True), _both(_HD_200, "sine", rotate=True),
    _both(LowRank(dim_x=200, dim_y=200, k=2), "normcdf", rotate=True),
    Transformed(base=_HD_100, x_map="cube", y_map=None, rotate=True),
    Transformed(base=LowRank(dim_x=100, dim_y=50, k=3), x_map="cube", y_map="sine",
                rotate=True),
    _both(LowRank(dim_x=50, dim_y=100, k=4), "halfcube", rotate=True),
    Transformed(base=_HD_200, x_map=None, y_map="cube"),
]

#: Sides of the ``dimension`` suite (d × d): error against dimension at a fixed MI.
DIMENSION_DIMS: tuple[int, ...] = (2, 5, 10, 20, 50, 100, 200)


def _dimension_tasks() -> list[Task]:
    """``lowrank-{d}x{d}-k2`` and ``cube-rot-lowrank-{d}x{d}-k2``: I = 1.3412 nats for every d."""
    out: list[Task] = []
    for d in DIMENSION_DIMS:
        base = LowRank(dim_x=d, dim_y=d, k=2)
        out += [base, _both(base, "cube", rotate=True)]
    return out


_ALL: tuple[Task, ...] = _build()
_BY_NAME: dict[str, Task] = {t.name: t for t in _ALL}
if len(_BY_NAME) != len(_ALL):  # pragma: no cover - guards the table above
    raise RuntimeError("duplicate task names in the sampler registry")

_BMI: tuple[str, ...] = (
    "normal-dense-1x1-0.75", "normal-dense-2x2-0.5", "normal-dense-3x3-0.5",
    "normal-dense-5x5-0.5", "normal-dense-25x25-0.5",
    "normal-sparse-5x5-k2-0.8", "normal-sparse-25x25-k2-0.8",
    "student-dof1-1x1", "student-dof2-2x2", "student-dof3-3x3", "student-dof5-5x5",
    "halfcube-normal-sparse-5x5-k2-0.8", "asinh-student-dof1-1x1",
    "normcdf-normal-sparse-3x3-k2-0.8", "wiggly-normal-dense-1x1-0.75",
    "spiral-normal-sparse-5x5-k2-0.8", "bimodal-normal-dense-1x1-0.75", "swissroll-0.9",
    "additive-uniform-0.1", "additive-uniform-0.75",
)
_N_FIRST_HIGHDIM = _ALL.index(_BY_NAME["sine-rot-lowrank-100x100-k3"]) + 1
#: Tasks that are only in the ``dimension`` suite stay out of the other suites.
_DIMENSION_ONLY = {t.name for t in _dimension_tasks()} - {t.name for t in _ALL[:_N_FIRST_HIGHDIM]}
_LOWDIM: tuple[str, ...] = tuple(sorted(
    t.name for t in _ALL if t.name not in _DIMENSION_ONLY and t.dim_x <= 3 and t.dim_y <= 3
    and not (t.x_discrete or t.y_discrete)))
_DISCRETE: tuple[str, ...] = tuple(sorted(
    t.name for t in _ALL if t.x_discrete or t.y_discrete))
_HIGHDIM: tuple[str, ...] = tuple(sorted(
    {t.name for t in _ALL[:_N_FIRST_HIGHDIM] if max(t.dim_x, t.dim_y) >= 50}
    | {t.name for t in _HIGHDIM_EXTRA}))
_DIMENSION: tuple[str, ...] = tuple(t.name for t in _dimension_tasks())

#: Named groups of task names: ``bmi`` (20 tasks in the style of the BMI benchmark, all <= 25×25),
#: ``lowdim`` (every continuous task with both sides <= 3-D, for coverage studies), ``highdim``
#: (50–200-D low-rank Gaussians and bijections of them, rotated or not), ``dimension`` (the same
#: MI at d = 2 … 200 per side, plain and as a rotated cube, in order of d), ``discrete`` (a side
#: of integer labels), ``all``.
SUITES: MappingProxyType[str, tuple[str, ...]] = MappingProxyType({
    "bmi": tuple(sorted(_BMI)),
    "lowdim": _LOWDIM,
    "highdim": _HIGHDIM,
    "dimension": _DIMENSION,
    "discrete": _DISCRETE,
    "all": tuple(sorted(_BY_NAME)),
})


def tasks(pattern: str | None = None) -> list[Task]:
    """The registered tasks whose names match the ``fnmatch`` ``pattern``, sorted by name.

    Parameters
    ----------
    pattern : str or None
        Shell-style pattern (``"normal-*"``, ``"*-5x5*"``); ``None`` returns every task.

    Raises
    ------
    ValueError
        If no task name matches ``pattern``.

    Examples
    --------
    >>> [t.name for t in tasks("student-dof[12]-*")]
    ['student-dof1-1x1', 'student-dof2-2x2']
    """
    if pattern is None:
        return [_BY_NAME[k] for k in sorted(_BY_NAME)]
    if not isinstance(pattern, str):
        raise TypeError(f"`pattern` must be a str or None, got {pattern!r}.")
    names = sorted(fnmatch.filter(_BY_NAME, pattern))
    if not names:
        raise ValueError(f"`pattern` must match at least one task name, got {pattern!r}. "
                         "See infoplane.samplers.SUITES['all'] for the names.")
    return [_BY_NAME[k] for k in names]


def get(name: str) -> Task:
    """The registered task called ``name``.

    Raises
    ------
    KeyError
        If no task has that name; the message lists the closest names.

    Examples
    --------
    >>> get("normal-dense-3x3-0.5").dim_x
    3
    """
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a str, got {name!r}.")
    try:
        return _BY_NAME[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(_BY_NAME), n=5, cutoff=0.5)
        hint = (" Close names: " + ", ".join(repr(c) for c in close) + ".") if close else \
            " See infoplane.samplers.SUITES['all'] for the names."
        raise KeyError(f"`name` must be a registered task name, got {name!r}.{hint}") from None


def suite(name: str) -> list[Task]:
    """The tasks of the suite ``name`` (a key of :data:`SUITES`), sorted by name."""
    if name not in SUITES:
        opts = ", ".join(repr(k) for k in SUITES)
        raise ValueError(f"`name` must be one of {opts}, got {name!r}.")
    return [_BY_NAME[k] for k in SUITES[name]]
