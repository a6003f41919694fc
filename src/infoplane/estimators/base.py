"""The estimator protocol: small frozen dataclasses with ``estimate(x, y) -> float``.

Every estimator

* is a frozen, keyword-only dataclass (its options are its fields, no fit state);
* has ``unit`` ("nats" default, or "bits") and ``seed`` (randomness only through it);
* validates its inputs once, here, with the project's error template;
* computes in nats internally (``_estimate_nats``) and converts at the boundary;
* offers ``estimate_many`` and ``plane`` for many snapshots at once — subclasses override them
  where work can be shared (label groups, sorting, trees), which is where the speed comes from.

Information-plane semantics (Shwartz-Ziv & Tishby; interpretation paper, Section 1.2): for a
layer T = h(X) evaluated on N probe inputs, ``plane(t, labels)`` returns (I(X;T), I(T;Y)) with
X uniform over the N inputs (each row is its own input), Y the labels.
"""

from __future__ import annotations

import os
import sys
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from infoplane._typing import FloatArray, IntArray, Unit
from infoplane._validation import as_int, check_unit, fail, unit_factor
from infoplane.discrete import entropy_from_counts


def as_samples(name: str, value: Any, *, n: int | None = None) -> FloatArray:
    """Samples as a float64 array of shape (n, d): a 1-D array is one feature.

    Rejects NaN/inf, zero samples and zero features, and a sample count other than ``n``.
    """
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:  # pragma: no cover - numpy raises rarely here
        raise TypeError(f"`{name}` must be an array of numbers, got {type(value).__name__}.") \
            from exc
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must be an array of real numbers, got dtype {arr.dtype}.")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise fail(name, "a 1-D or 2-D array (samples x features)", arr,
                   f"(it has shape {arr.shape})")
    if arr.shape[0] == 0:
        raise fail(name, "non-empty (at least one sample)", arr)
    if arr.shape[1] == 0:
        raise fail(name, "at least one feature", arr, f"(it has shape {arr.shape})")
    out = np.asarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(out)):
        raise fail(name, "finite (no NaN or inf)", arr)
    if n is not None and out.shape[0] != n:
        raise ValueError(f"`{name}` must have the same number of samples as `x` ({n}), "
                         f"got {out.shape[0]}.")
    return out


def check_dimension(name: str, arr: FloatArray) -> None:
    """Refuse a continuous sample with at least as many features as rows.

    With d >= n every estimator here returns a number that says nothing about I(X;Y): the
    sample covariance is singular (the Gaussian estimate is infinite or undefined), and k-NN
    and kernel estimates in d >= n dimensions are dominated by their bias. The error says
    what to do instead.
    """
    n, d = arr.shape
    if d >= n:
        raise ValueError(
            f"`{name}` has {d} features but only {n} samples: estimating mutual information "
            f"needs more samples than dimensions (in practice many more). Pass more samples, "
            f"or reduce `{name}` first (e.g. PCA to well under {n} components).")


def as_labels(name: str, value: Any, *, n: int | None = None) -> IntArray:
    """Discrete labels as integer codes 0..K-1 (rows of a 2-D array are joint labels).

    Integer, boolean and string arrays are accepted; floats only when every value is integral.
    """
    arr = np.asarray(value)
    if arr.ndim == 0 or arr.size == 0:
        raise fail(name, "a non-empty 1-D array of labels", arr)
    if arr.ndim > 2:
        raise fail(name, "a 1-D array of labels (or 2-D: one joint label per row)", arr,
                   f"(it has shape {arr.shape})")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise fail(name, "finite labels (no NaN or inf)", arr)
        if not np.all(arr == np.round(arr)):
            raise fail(name, "integer labels (discrete classes)", arr,
                       "This estimator needs class labels here; for real-valued y use one "
                       "that accepts continuous y: KSG, Gaussian or auto().")
    elif arr.dtype.kind not in "biuUS":
        raise TypeError(f"`{name}` must hold integer, boolean or string labels, "
                        f"got dtype {arr.dtype}.")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"`{name}` must have the same number of samples as `x` ({n}), "
                         f"got {arr.shape[0]}.")
    if arr.ndim == 2:
        _, codes = np.unique(arr, axis=0, return_inverse=True)
    else:
        _, codes = np.unique(arr, return_inverse=True)
    return np.asarray(codes.reshape(-1), dtype=np.int64)


@dataclass(frozen=True)
class Interval:
    """A confidence interval for a mutual-information estimate.

    Attributes
    ----------
    value : float
        The point estimate on all the data (in ``unit``).
    low, high : float
        The interval's ends.
    level : float
        Nominal coverage, e.g. 0.95.
    method : str
        How it was built (``"bootstrap"``, ``"subsampling"``, ...).
    n_resamples : int
        Resamples (or splits) used.
    unit : {"nats", "bits"}
    """

    value: float
    low: float
    high: float
    level: float
    method: str
    n_resamples: int
    unit: Unit = "nats"

    def __contains__(self, truth: float) -> bool:
        return self.low <= truth <= self.high


@dataclass(frozen=True)
class TestResult:
    """A permutation test of independence.

    Attributes
    ----------
    statistic : float
        The estimate on the data as given (in ``unit``).
    p_value : float
        (1 + #{permuted statistic >= observed}) / (1 + n_permutations).
    n_permutations : int
    unit : {"nats", "bits"}
    """

    __test__ = False  # not a pytest test class

    statistic: float
    p_value: float
    n_permutations: int
    unit: Unit = "nats"


def standardised(z: FloatArray, *, center: bool = True) -> FloatArray:
    """Columns divided by their standard deviation (constant columns only centred)."""
    std = z.std(axis=0)
    scale = np.where(std > 0.0, std, 1.0)
    out = z - z.mean(axis=0) if center else z.copy()
    out /= scale
    return np.ascontiguousarray(out)


def row_entropy(t: FloatArray) -> tuple[float, bool]:
    """Plug-in entropy (nats) of the distinct rows of t, and whether all rows are distinct.

    With X uniform over the rows and T = h(X) deterministic, this is I(X;T) exactly.
    """
    _, counts = np.unique(t + 0.0, axis=0, return_counts=True)
    # + 0.0: one distinct row gives 0.0, not -0.0
    return entropy_from_counts(counts) + 0.0, counts.size == t.shape[0]


@dataclass(frozen=True, kw_only=True)
class Estimator(ABC):
    """Base class of every mutual-information estimator.

    Attributes
    ----------
    unit : {"nats", "bits"}
    seed : int
        Seed of any randomness (jitter, neural-network initialisation, mini-batches).
    """

    unit: Unit = "nats"
    seed: int = 0

    #: Whether ``y`` must be discrete labels (MixedKSG, the I(T;Y) part of KDE...).
    y_discrete: ClassVar[bool] = False

    def __post_init__(self) -> None:
        check_unit(self.unit)
        as_int("seed", self.seed, min_value=0)
        self._check()

    def _check(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Validate the estimator's own options (override)."""

    # ------------------------------------------------------------------ public interface
    def estimate(self, x: npt.ArrayLike, y: npt.ArrayLike) -> float:
        """Estimate I(X; Y) from paired samples.

        Parameters
        ----------
        x : array_like, shape (n,) or (n, d_x)
        y : array_like, shape (n,) or (n, d_y)
            Labels when the estimator needs discrete y.

        Returns
        -------
        float
            The estimate in ``self.unit`` (never clamped: a negative value is the
            estimator's bias, documented per estimator).
        """
        xs, ys = self._prepare(x, y)
        return float(self._estimate_nats(xs, ys)) / unit_factor(self.unit)

    def estimate_many(self, xs: Iterable[npt.ArrayLike], y: npt.ArrayLike) -> FloatArray:
        """I(X_s; Y) for many X_s sharing the same y (e.g. one layer over many epochs)."""
        return np.array([self.estimate(x, y) for x in xs], dtype=np.float64)

    def plane(self, t: npt.ArrayLike, labels: npt.ArrayLike) -> tuple[float, float]:
        """(I(X;T), I(T;Y)) for one layer snapshot, X uniform over the rows."""
        ts = as_samples("t", t)
        ys = as_labels("labels", labels, n=ts.shape[0])
        ixt, ity = self._plane_nats(ts, ys)
        f = unit_factor(self.unit)
        return float(ixt) / f, float(ity) / f

    def plane_many(self, snapshots: Sequence[npt.ArrayLike] | npt.NDArray[np.generic],
                   labels: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """(I(X;T_s), I(T_s;Y)) for many snapshots; override to share work."""
        pairs = [self.plane(t, labels) for t in snapshots]
        arr = np.array(pairs, dtype=np.float64).reshape(-1, 2)
        return arr[:, 0], arr[:, 1]

    def estimate_conditional(self, x: npt.ArrayLike, y: npt.ArrayLike,
                             z: npt.ArrayLike) -> float:
        """Estimate the conditional mutual information I(X; Y | Z).

        Defined where the estimator has a conditional form (KSG: Frenzel & Pompe 2007;
        Gaussian: closed form; Binning: discrete plug-in or bias-corrected); elsewhere a
        ``TypeError``.

        Parameters
        ----------
        x, y : array_like, shape (n,) or (n, d)
        z : array_like, shape (n,) or (n, d_z)
            The conditioning variable, same number of rows as ``x``.
        """
        if not self.has_conditional:
            raise TypeError(f"{type(self).__name__} does not estimate conditional mutual "
                            "information; use KSG, Gaussian or Binning (estimate_conditional).")
        xs, ys = self._prepare(x, y)
        zs = self._prepare_z(z, xs.shape[0])
        return float(self._conditional_nats(xs, ys, zs)) / unit_factor(self.unit)

    def confidence_interval(self, x: npt.ArrayLike, y: npt.ArrayLike, *, level: float = 0.95,
                            n_resamples: int | None = None, method: str | None = None,
                            seed: int = 0) -> Interval:
        """A confidence interval for I(X; Y) (see :mod:`infoplane.estimators.uncertainty`)."""
        from infoplane.estimators.uncertainty import confidence_interval

        return confidence_interval(self, x, y, level=level, n_resamples=n_resamples,
                                   method=method, seed=seed)

    def independence_test(self, x: npt.ArrayLike, y: npt.ArrayLike, *,
                          n_permutations: int = 199, seed: int = 0) -> TestResult:
        """Permutation test of independence (see :mod:`infoplane.estimators.uncertainty`)."""
        from infoplane.estimators.uncertainty import independence_test

        return independence_test(self, x, y, n_permutations=n_permutations, seed=seed)

    # ------------------------------------------------------------------------- internals
    #: Whether :meth:`estimate_conditional` is defined (subclasses set it).
    has_conditional: ClassVar[bool] = False

    def _prepare_z(self, z: npt.ArrayLike, n: int) -> Any:
        """Validate the conditioning variable (continuous by default; override)."""
        zs = as_samples("z", z, n=n)
        self._check_dimension("z", zs)
        return zs

    def _conditional_nats(self, x: FloatArray, y: Any, z: Any) -> float:
        """I(X;Y|Z) in nats from validated arrays (override with ``has_conditional``)."""
        raise NotImplementedError

    def _prepare(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, Any]:
        xs = as_samples("x", x)
        self._check_dimension("x", xs)
        if self.y_discrete:
            return xs, as_labels("y", y, n=xs.shape[0])
        ys = as_samples("y", y, n=xs.shape[0])
        self._check_dimension("y", ys)
        return xs, ys

    def _check_dimension(self, name: str, arr: FloatArray) -> None:
        """Refuse d >= n (:func:`check_dimension`); an estimator that handles it overrides."""
        check_dimension(name, arr)

    @abstractmethod
    def _estimate_nats(self, x: FloatArray, y: Any) -> float:
        """I(X;Y) in nats from validated arrays."""

    def _plane_nats(self, t: FloatArray, labels: IntArray) -> tuple[float, float]:
        """Default plane: I(X;T) with X the row identity, I(T;Y) with the labels."""
        raise NotImplementedError(
            f"{type(self).__name__} does not define the information-plane pair; "
            "use estimate(x, y) with explicit variables.")


#: The ``infoplane`` package directory: frames under it are skipped by :func:`warn`.
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def warn(message: str) -> None:
    """A UserWarning for legal but dubious input, pointing at the caller's line.

    The stack level is found, not counted: the warning is attributed to the first frame
    outside the ``infoplane`` package, however deep inside it the warning is raised.
    """
    frame = sys._getframe(1)
    level = 2
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(message, UserWarning, stacklevel=level)
