"""Turn a user's covariance spectrum (or covariance matrix) into sorted eigenvalues."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from infoplane._typing import FloatArray
from infoplane._validation import fail, finite_array

#: Widths N1..NK: an int or any array-like of ints (validated by ``as_widths``).
Widths: TypeAlias = npt.ArrayLike
#: Several budgets F (a curve): a sequence or an array of them.
BudgetArray: TypeAlias = Sequence[float] | npt.NDArray[np.generic]

#: Relative size under which a negative eigenvalue is round-off, not a real violation of PSD.
PSD_RTOL = 1e-10


def sorted_spectrum(eigenvalues: npt.ArrayLike, name: str = "eigenvalues") -> FloatArray:
    """Eigenvalues of a covariance, sorted descending, validated.

    Parameters
    ----------
    eigenvalues : array_like, shape (N0,) or (N0, N0)
        A covariance spectrum, or a symmetric positive semi-definite covariance matrix (its
        eigenvalues are then computed with ``numpy.linalg.eigvalsh``).

    Returns
    -------
    ndarray, shape (N0,)
        Non-negative eigenvalues, largest first. Round-off negatives (``|λ| <= 1e-10 · λ_max``)
        are set to 0; larger negatives raise. Complex or boolean input is a TypeError.
    """
    arr = finite_array(name, eigenvalues, ndim=(1, 2), allow_bool=False)
    if arr.ndim == 2:
        if arr.shape[0] != arr.shape[1]:
            raise fail(name, "a 1-D spectrum or a square covariance matrix", arr,
                       f"(shape {arr.shape}); for data use `infoplane.capacity.spectrum(data)`.")
        if not np.allclose(arr, arr.T, rtol=1e-8, atol=1e-12 * max(1.0, np.abs(arr).max())):
            raise fail(name, "a symmetric covariance matrix", arr)
        lam = np.linalg.eigvalsh(0.5 * (arr + arr.T))
    else:
        lam = arr.copy()
    lam = np.sort(lam)[::-1]
    top = max(float(lam[0]), 0.0)
    tol = PSD_RTOL * top
    if lam[-1] < -tol or (top == 0.0 and lam[-1] < 0):
        raise fail(name, "non-negative (a covariance is positive semi-definite)",
                   float(lam[-1]))
    lam[lam < 0] = 0.0
    return np.ascontiguousarray(lam)
