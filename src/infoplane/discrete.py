"""Exact plug-in entropy and mutual information of discrete codes and count tables.

Two kinds of input:

* **samples** — integer (or boolean/string) codes, shape (n,) or (n, d); a 2-D array is read
  row-wise, each row one joint symbol (a layer's binned pattern, say);
* **count tables** — non-negative counts (or probabilities) of a joint distribution.

All functions return nats unless ``unit="bits"``. These are plug-in (maximum-likelihood)
values: for samples they are biased low by about (K-1)/(2n) nats per entropy (Miller–Madow;
see :func:`miller_madow` and Paninski 2003), and they are exact for the empirical distribution
(e.g. a uniform distribution over N distinct inputs).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from infoplane._typing import FloatArray, IntArray, Unit
from infoplane._validation import fail, finite_array, unit_factor

__all__ = [
    "conditional_entropy",
    "entropy",
    "entropy_from_counts",
    "joint_codes",
    "miller_madow",
    "mutual_information",
    "mutual_information_from_table",
]


def joint_codes(values: npt.ArrayLike, name: str = "values") -> IntArray:
    """Integer codes 0..K-1 of the rows of ``values`` (the joint symbol of each sample).

    Rows of small non-negative integers are packed into one int64 by mixed radix when they
    fit in 62 bits (a sort of int64 instead of a row-wise unique); otherwise rows are viewed
    as opaque bytes.

    Examples
    --------
    >>> joint_codes([[0, 1], [1, 0], [0, 1]]).tolist()
    [0, 1, 0]
    """
    arr = np.asarray(values)
    if arr.ndim == 0 or arr.size == 0:
        raise fail(name, "a non-empty array of codes", arr)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise fail(name, "a 1-D or 2-D array of codes", arr, f"(shape {arr.shape})")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise fail(name, "integer codes (finite, integral values)", arr)
        arr = arr.astype(np.int64)
    if arr.dtype.kind in "biu":
        packed = _pack_rows(arr.astype(np.int64, copy=False))
        if packed is not None:
            _, codes = np.unique(packed, return_inverse=True)
            return np.asarray(codes, dtype=np.int64).reshape(-1)
    contiguous = np.ascontiguousarray(arr)
    void = contiguous.view(np.dtype((np.void, contiguous.dtype.itemsize * arr.shape[1])))
    _, codes = np.unique(void.ravel(), return_inverse=True)
    return np.asarray(codes, dtype=np.int64).reshape(-1)


def _pack_rows(arr: IntArray) -> IntArray | None:
    """Mixed-radix int64 key of each row, or None when it would not fit in 62 bits."""
    if arr.shape[1] == 1:
        return arr[:, 0]
    lo = arr.min(axis=0)
    span = arr.max(axis=0) - lo + 1
    if np.sum(np.log2(span.astype(np.float64))) > 62:
        return None
    key = np.zeros(arr.shape[0], dtype=np.int64)
    for j in range(arr.shape[1]):
        key = key * span[j] + (arr[:, j] - lo[j])
    return key


def entropy_from_counts(counts: npt.ArrayLike, *, unit: Unit = "nats") -> float:
    """H of the distribution given by non-negative counts (any shape; normalised inside).

    Examples
    --------
    >>> entropy_from_counts([1, 1, 1, 1], unit="bits")
    2.0
    """
    c = finite_array("counts", counts).ravel()
    p = _probabilities("counts", c, "non-negative")[c > 0]
    return float(-np.sum(p * np.log(p))) / unit_factor(unit)


def _probabilities(name: str, counts: FloatArray, nonneg: str) -> FloatArray:
    """``counts / counts.sum()`` of a validated count table: ``nonneg`` names the sign rule."""
    if np.any(counts < 0):
        raise fail(name, nonneg, float(counts.min()))
    total = counts.sum()
    if total <= 0:
        raise fail(name, "not all zero", counts)
    return counts / total


def _h_k_codes(codes: IntArray) -> tuple[float, int]:
    """Plug-in entropy of codes and K, the number of distinct observed codes."""
    counts = np.bincount(codes)
    counts = counts[counts > 0]
    n = codes.size
    return float(np.log(n) - np.dot(counts, np.log(counts)) / n), int(counts.size)


def _h_codes(codes: IntArray) -> float:
    return _h_k_codes(codes)[0]


def entropy(values: npt.ArrayLike, *, unit: Unit = "nats") -> float:
    """Plug-in entropy H(A) of samples of a discrete variable (rows are joint symbols).

    Examples
    --------
    >>> round(entropy([0, 0, 1, 1]), 6)
    0.693147
    """
    return _h_codes(joint_codes(values)) / unit_factor(unit)


def _paired(a: Any, b: Any) -> tuple[IntArray, IntArray]:
    ca, cb = joint_codes(a, "a"), joint_codes(b, "b")
    if ca.size != cb.size:
        raise ValueError(f"`a` and `b` must have the same number of samples, got {ca.size} "
                         f"and {cb.size}.")
    return ca, cb


def _joint(ca: IntArray, cb: IntArray) -> IntArray:
    return ca * (int(cb.max()) + 1) + cb


def conditional_entropy(a: npt.ArrayLike, given: npt.ArrayLike, *, unit: Unit = "nats") -> float:
    """H(A | B) = H(A, B) - H(B) from paired samples.

    Examples
    --------
    >>> conditional_entropy([0, 1, 0, 1], given=[0, 1, 0, 1])
    0.0
    """
    ca, cb = _paired(a, given)
    return (_h_codes(_joint(ca, cb)) - _h_codes(cb)) / unit_factor(unit)


def mutual_information(a: npt.ArrayLike, b: npt.ArrayLike, *, unit: Unit = "nats") -> float:
    """Plug-in I(A; B) = H(A) + H(B) - H(A, B) from paired samples.

    Examples
    --------
    >>> round(mutual_information([0, 1, 2, 3], [0, 0, 1, 1], unit="bits"), 12)
    1.0
    """
    ca, cb = _paired(a, b)
    # The plug-in MI of an empirical distribution is >= 0; max() only removes round-off.
    h = _h_codes(ca) + _h_codes(cb) - _h_codes(_joint(ca, cb))
    return max(h, 0.0) / unit_factor(unit)


def mutual_information_from_table(table: npt.ArrayLike, *, unit: Unit = "nats") -> float:
    """I(A; B) of a 2-D joint count (or probability) table.

    Examples
    --------
    >>> mutual_information_from_table([[1, 0], [0, 1]], unit="bits")
    1.0
    """
    p = _probabilities("table", finite_array("table", table, ndim=2), "non-negative counts")
    pa = p.sum(axis=1, keepdims=True)
    pb = p.sum(axis=0, keepdims=True)
    mask = p > 0
    mi = float(np.sum(p[mask] * np.log(p[mask] / (pa @ pb)[mask])))
    return max(mi, 0.0) / unit_factor(unit)


def miller_madow(values: npt.ArrayLike, *, unit: Unit = "nats") -> float:
    """Miller–Madow corrected entropy: plug-in H + (K - 1)/(2n), K the observed symbols.

    Examples
    --------
    >>> round(miller_madow([0, 1]), 6)  # log 2 + 1/4
    0.943147
    """
    codes = joint_codes(values)
    h, k = _h_k_codes(codes)
    return (h + (k - 1) / (2.0 * codes.size)) / unit_factor(unit)
