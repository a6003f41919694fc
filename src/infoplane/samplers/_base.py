"""The task protocol: a distribution that carries its exact mutual information.

Modelled on the tasks of the BMI benchmark (Czyż et al., "Beyond normal: on the evaluation of
mutual information estimators", NeurIPS 2023): each task samples paired (x, y) and knows
I(X; Y) in nats, exactly or by quadrature cached as a number (a test recomputes it).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from infoplane._validation import as_int, available_bytes, fail

#: Largest sample (x and y together, float64) a task draws: 8 GiB, or less if the machine has
#: less memory available (``MemAvailable`` of ``/proc/meminfo`` where it exists).
MAX_SAMPLE_BYTES = 8 * 1024**3


def _available_bytes() -> int | None:
    """Memory available for new allocations (:func:`infoplane._validation.available_bytes`)."""
    return available_bytes()


def check_sample_size(n: int, columns: int) -> None:
    """Refuse ``n`` rows of ``columns`` float64 values beyond the memory limit, naming ``n``.

    Parameters
    ----------
    n : int
        Number of rows asked for (already validated as an integer >= 1).
    columns : int
        Columns of x plus columns of y.

    Raises
    ------
    ValueError
        If ``n * columns * 8`` bytes exceed :data:`MAX_SAMPLE_BYTES` or the available memory.
    """
    limit = MAX_SAMPLE_BYTES
    avail = _available_bytes()
    if avail is not None:
        limit = min(limit, avail)
    need = n * columns * 8
    if columns * 8 > limit:  # not even one row fits: the dimensions are the problem, not n
        raise fail("dim_x + dim_y", f"small enough for one sample row to fit in memory "
                   f"({columns} float64 columns need {columns * 8 / 1024**3:.3g} GiB per row, "
                   f"limit {limit / 1024**3:.3g} GiB)", columns, "Lower the dimensions.")
    if need > limit:
        max_n = max(limit // (8 * columns), 0)
        raise fail("n", f"at most {max_n} for {columns} float64 columns "
                   f"({need / 1024**3:.1f} GiB asked, limit {limit / 1024**3:.1f} GiB)", n,
                   "Draw the sample in chunks with different seeds instead.")


@dataclass(frozen=True, kw_only=True)
class Task(ABC):
    """A joint distribution of (X, Y) with known mutual information.

    Subclasses are frozen dataclasses; their fields are the distribution's parameters.

    Attributes (properties)
    -----------------------
    name : str
        Stable, unique name (used in benchmark tables and result files).
    dim_x, dim_y : int
        Number of columns of ``x`` and ``y`` (1 for a discrete side).
    x_discrete, y_discrete : bool
        Whether that side is integer labels (shape ``(n,)``, dtype int64).
    """

    @property
    @abstractmethod
    def name(self) -> str:
        """Stable name of the task."""

    @property
    @abstractmethod
    def dim_x(self) -> int:
        """Columns of x."""

    @property
    @abstractmethod
    def dim_y(self) -> int:
        """Columns of y."""

    @property
    def x_discrete(self) -> bool:
        """Whether x is integer labels."""
        return False

    @property
    def y_discrete(self) -> bool:
        """Whether y is integer labels."""
        return False

    @abstractmethod
    def mutual_information(self) -> float:
        """I(X; Y) in nats (exact, or a cached quadrature value)."""

    @abstractmethod
    def _sample(self, n: int, rng: np.random.Generator) -> tuple[npt.NDArray[np.generic],
                                                                  npt.NDArray[np.generic]]:
        """Draw n validated samples (override)."""

    def sample(self, n: int, *, seed: int = 0) -> tuple[npt.NDArray[np.generic],
                                                         npt.NDArray[np.generic]]:
        """Draw ``n`` paired samples.

        Returns
        -------
        x, y : ndarray
            float64 of shape ``(n, dim)``, or int64 labels of shape ``(n,)`` for a discrete side.

        Raises
        ------
        ValueError
            ``n < 1``, ``seed < 0``, or ``n · (dim_x + dim_y) · 8`` bytes above
            :data:`MAX_SAMPLE_BYTES` or the memory available (checked before allocating).
        TypeError
            ``n`` or ``seed`` not an integer.
        """
        n = as_int("n", n, min_value=1)
        seed = as_int("seed", seed, min_value=0)
        check_sample_size(n, self.dim_x + self.dim_y)
        return self._sample(n, np.random.default_rng(seed))
