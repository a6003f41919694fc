"""Discrete–discrete tasks: a joint probability table over (X, Y) labels, MI exact.

I(X; Y) = Σ_ij p_ij log(p_ij / (p_i· p_·j)) (Cover & Thomas 2006, Sec. 2.3), summed over the
non-zero cells. Both sides are int64 labels of shape (n,): x the row, y the column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from infoplane._validation import fail, finite_array
from infoplane.samplers._common import LabelsY

IntArray = npt.NDArray[np.int64]

#: Hand-computed joint tables (counts) and their MI in **bits** (the values were worked out by
#: hand from H(A) + H(B) − H(A, B), not by code). Used by ``tests/test_discrete.py`` and by the
#: ``table-*`` tasks.
DISCRETE_TABLES: list[tuple[list[list[int]], float]] = [
    ([[1, 0], [0, 1]], 1.0),                        # identity: I = H = 1 bit
    ([[1, 1], [1, 1]], 0.0),                        # independent
    ([[2, 0, 0], [0, 1, 1]], 1.0),                  # B determines A (H(A) = 1 bit)
    ([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], 2.0),
    # P = [[1/2, 1/4], [0, 1/4]]: H(A) = h(3/4), H(B) = 1, H(A, B) = 1.5 bits.
    ([[2, 1], [0, 1]], -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25)) + 1.0 - 1.5),
]


@dataclass(frozen=True, kw_only=True)
class DiscreteTable(LabelsY):
    """X, Y labels drawn from a joint table (counts or probabilities, rows = X, columns = Y).

    Parameters
    ----------
    table : tuple of tuples of float
        Non-negative weights, at least one positive; normalised to probabilities.
    label : str
        The name's suffix: ``table-{label}`` (lowercase letters, digits, ``-``, ``.``).

    Examples
    --------
    >>> t = DiscreteTable(table=((1, 0), (0, 1)), label="identity-2")
    >>> t.name, round(t.mutual_information(), 6)   # log 2
    ('table-identity-2', 0.693147)
    >>> x, y = t.sample(5, seed=0); bool((x == y).all()), x.dtype
    (True, dtype('int64'))
    """

    table: tuple[tuple[float, ...], ...]
    label: str

    def __post_init__(self) -> None:
        arr = finite_array("table", self.table, ndim=2)
        if np.any(arr < 0) or not np.any(arr > 0):
            raise fail("table", "non-negative with at least one positive entry", arr)
        if not isinstance(self.label, str) or not self.label or \
                any(not (c.isdigit() or c in "-." or "a" <= c <= "z") for c in self.label):
            raise fail("label", "a non-empty lowercase name (a-z, 0-9, '-', '.')", self.label)
        object.__setattr__(self, "table", tuple(tuple(float(v) for v in row) for row in arr))

    @property
    def name(self) -> str:
        """``table-{label}``."""
        return f"table-{self.label}"

    @property
    def x_discrete(self) -> bool:
        """True: x is int64 labels (the row)."""
        return True

    def probabilities(self) -> npt.NDArray[np.float64]:
        """The joint probability table P(X = i, Y = j)."""
        arr = np.asarray(self.table, dtype=np.float64)
        return arr / arr.sum()

    def mutual_information(self) -> float:
        """Σ p_ij log(p_ij / p_i p_j) over non-zero cells (nats, exact up to round-off)."""
        p = self.probabilities()
        px, py = p.sum(axis=1), p.sum(axis=0)
        total = 0.0
        for i, j in zip(*np.nonzero(p), strict=True):
            total += p[i, j] * math.log(p[i, j] / (px[i] * py[j]))
        return float(total)

    def _sample(self, n: int, rng: np.random.Generator) -> tuple[IntArray, IntArray]:
        p = self.probabilities()
        cells = rng.choice(p.size, size=n, p=p.ravel())
        x, y = np.divmod(cells, p.shape[1])
        return x.astype(np.int64), y.astype(np.int64)
