"""Tests for infoplane.discrete: hand-computed tables, identities, bias, packing, errors."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import infoplane.discrete as dm
from infoplane.discrete import (
    conditional_entropy,
    entropy,
    entropy_from_counts,
    joint_codes,
    miller_madow,
    mutual_information,
    mutual_information_from_table,
)
from infoplane.samplers import DISCRETE_TABLES

LN2 = math.log(2.0)


def _samples_from_table(table: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Paired samples (a, b) whose empirical joint counts are exactly ``table``."""
    t = np.asarray(table)
    a = np.repeat(np.arange(t.shape[0])[:, None], t.shape[1], axis=1).ravel()
    b = np.repeat(np.arange(t.shape[1])[None, :], t.shape[0], axis=0).ravel()
    counts = t.ravel()
    return np.repeat(a, counts), np.repeat(b, counts)


def _same_partition(c1: np.ndarray, c2: np.ndarray) -> bool:
    """Two code vectors induce the same partition of the samples."""
    pairs = np.unique(np.stack([c1, c2], axis=1), axis=0)
    return len(pairs) == len(np.unique(c1)) == len(np.unique(c2))


# -------------------------------------------------------------------------- hand tables
@pytest.mark.parametrize(("table", "bits"), DISCRETE_TABLES)
def test_mi_of_hand_computed_tables(table: list[list[int]], bits: float) -> None:
    assert mutual_information_from_table(table, unit="bits") == pytest.approx(bits, abs=1e-12)
    a, b = _samples_from_table(table)
    assert mutual_information(a, b, unit="bits") == pytest.approx(bits, abs=1e-12)
    assert mutual_information(b, a, unit="bits") == pytest.approx(bits, abs=1e-12)
    # probabilities instead of counts give the same value
    p = np.asarray(table, dtype=float) / np.sum(table)
    assert mutual_information_from_table(p, unit="bits") == pytest.approx(bits, abs=1e-12)


def test_entropies_of_hand_computed_distributions() -> None:
    assert entropy_from_counts([1, 1, 1, 1], unit="bits") == 2.0
    assert entropy_from_counts([3, 1], unit="bits") == pytest.approx(0.8112781244591328)
    assert entropy_from_counts([[2, 0], [1, 1]], unit="bits") == pytest.approx(1.5)
    assert entropy_from_counts([5, 0, 0]) == 0.0
    assert entropy([0, 0, 1, 1], unit="bits") == pytest.approx(1.0)
    assert entropy(["a", "b", "b", "c"], unit="bits") == pytest.approx(1.5)
    # rows are joint symbols: (0,1), (1,0), (0,1), (1,1) -> counts 2, 1, 1
    assert entropy([[0, 1], [1, 0], [0, 1], [1, 1]], unit="bits") == pytest.approx(1.5)


def test_units_convert_by_ln2() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 4, 300), rng.integers(0, 3, 300)
    assert entropy(a, unit="bits") == pytest.approx(entropy(a) / LN2, rel=1e-14)
    assert mutual_information(a, a + b, unit="bits") == pytest.approx(
        mutual_information(a, a + b) / LN2, rel=1e-14)
    assert conditional_entropy(a, b, unit="bits") == pytest.approx(
        conditional_entropy(a, b) / LN2, rel=1e-14)


# ------------------------------------------------------------------------------ identities
def test_injective_map_gives_i_equal_h() -> None:
    rng = np.random.default_rng(1)
    a = rng.integers(0, 7, size=500)
    f = rng.permutation(100)[:7] * 13 - 40         # an injective relabelling, negatives too
    assert mutual_information(a, f[a]) == pytest.approx(entropy(a), abs=1e-12)
    rows = rng.integers(0, 3, size=(500, 4))
    image = np.stack([rows[:, 0] + 3 * rows[:, 1], rows[:, 2], rows[:, 3] * 5], axis=1)
    assert mutual_information(rows, image) == pytest.approx(entropy(rows), abs=1e-12)
    # distinct inputs: I(X; X) = log n
    assert mutual_information(np.arange(64), np.arange(64), unit="bits") == pytest.approx(6.0)


def test_chain_rule_and_conditional_entropy() -> None:
    rng = np.random.default_rng(2)
    a = rng.integers(0, 5, size=400)
    b = (a + rng.integers(0, 2, size=400)) % 5
    joint = np.stack([a, b], axis=1)
    h_ab = entropy(joint)
    assert h_ab == pytest.approx(entropy(b) + conditional_entropy(a, given=b), abs=1e-12)
    assert h_ab == pytest.approx(entropy(a) + conditional_entropy(b, given=a), abs=1e-12)
    assert conditional_entropy(a, given=a) == pytest.approx(0.0, abs=1e-12)
    assert conditional_entropy(a, given=b) <= entropy(a) + 1e-12
    mi = mutual_information(a, b)
    assert mi == pytest.approx(entropy(a) - conditional_entropy(a, given=b), abs=1e-12)


def test_independence_plug_in_bias_is_positive_and_matches_theory() -> None:
    """E[plug-in I] ≈ (K-1)(L-1)/(2n) nats for independent uniform variables."""
    k, l_, n, reps = 4, 3, 2000, 300
    rng = np.random.default_rng(3)
    vals = [mutual_information(rng.integers(0, k, n), rng.integers(0, l_, n))
            for _ in range(reps)]
    expected = (k - 1) * (l_ - 1) / (2 * n)
    assert min(vals) >= 0.0
    assert np.mean(vals) > 0.0
    # std of the mean ≈ sqrt(2 (K-1)(L-1)) / (2n) / sqrt(reps) ≈ 5e-5 (about 3 % of 1.5e-3)
    assert np.mean(vals) == pytest.approx(expected, rel=0.15)


def test_miller_madow_adds_k_minus_one_over_2n() -> None:
    a = np.array([0, 0, 1, 2, 2, 2, 5, 5])
    k, n = 4, 8
    assert miller_madow(a) == pytest.approx(entropy(a) + (k - 1) / (2 * n), abs=1e-15)
    assert miller_madow(a, unit="bits") == pytest.approx(
        (entropy(a) + (k - 1) / (2 * n)) / LN2, abs=1e-15)
    assert miller_madow([3, 3, 3]) == 0.0
    # The correction shrinks the downward bias of the plug-in entropy.
    rng = np.random.default_rng(4)
    plug = np.mean([entropy(rng.integers(0, 20, 50)) for _ in range(200)])
    corr = np.mean([miller_madow(rng.integers(0, 20, 50)) for _ in range(200)])
    assert abs(corr - math.log(20)) < abs(plug - math.log(20))


# ---------------------------------------------------------------------------- joint codes
def test_joint_codes_packing_path() -> None:
    rng = np.random.default_rng(5)
    rows = rng.integers(-3, 4, size=(300, 5))
    codes = joint_codes(rows)
    _, ref = np.unique(rows, axis=0, return_inverse=True)
    assert codes.dtype == np.int64 and codes.shape == (300,)
    assert _same_partition(codes, ref.ravel())
    assert codes.min() == 0 and codes.max() == len(np.unique(rows, axis=0)) - 1
    assert dm._pack_rows(rows.astype(np.int64)) is not None


def test_joint_codes_byte_view_fallback_beyond_62_bits() -> None:
    rng = np.random.default_rng(6)
    base = rng.integers(0, 2**40, size=(6, 2))
    rows = base[rng.integers(0, 6, size=200)]          # 2 x 40 bits > 62: no packing
    assert dm._pack_rows(rows.astype(np.int64)) is None
    codes = joint_codes(rows)
    _, ref = np.unique(rows, axis=0, return_inverse=True)
    assert _same_partition(codes, ref.ravel())
    assert entropy(rows) == pytest.approx(entropy(ref.ravel()), abs=1e-12)


def test_joint_codes_accepts_integral_floats_bools_and_strings() -> None:
    assert joint_codes([2.0, 1.0, 2.0]).tolist() == [1, 0, 1]
    assert joint_codes([True, False, True]).tolist() == [1, 0, 1]
    assert joint_codes(np.array(["b", "a", "b"])).tolist() == [1, 0, 1]
    assert joint_codes([[1, 2], [1, 2], [2, 1]]).tolist() == [0, 0, 1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3)), min_size=1, max_size=60))
def test_mi_bounds_and_symmetry(pairs: list[tuple[int, int]]) -> None:
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    mi = mutual_information(a, b)
    assert mi >= 0.0
    assert mi <= min(entropy(a), entropy(b)) + 1e-12
    assert mi == pytest.approx(mutual_information(b, a), abs=1e-12)
    table = np.zeros((5, 4))
    np.add.at(table, (a, b), 1)
    assert mi == pytest.approx(mutual_information_from_table(table), abs=1e-12)


# ----------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("call", "exc", "match"), [
    (lambda: joint_codes([]), ValueError, r"`values` must be a non-empty array of codes"),
    (lambda: joint_codes(np.zeros((2, 2, 2))), ValueError, r"`values` must be a 1-D or 2-D"),
    (lambda: joint_codes([0.5, 1.0]), ValueError, r"`values` must be integer codes"),
    (lambda: joint_codes([np.nan, 1.0]), ValueError, r"`values` must be integer codes"),
    (lambda: entropy_from_counts([-1, 2]), ValueError, r"`counts` must be non-negative"),
    (lambda: entropy_from_counts([0, 0]), ValueError, r"`counts` must be not all zero"),
    (lambda: entropy_from_counts([1, np.inf]), ValueError, r"`counts` must be finite"),
    (lambda: mutual_information([0, 1], [0, 1, 1]), ValueError,
     r"`a` and `b` must have the same number of samples, got 2 and 3"),
    (lambda: conditional_entropy([0, 1], given=[0]), ValueError, r"same number of samples"),
    (lambda: mutual_information([], [0]), ValueError, r"`a` must be a non-empty array"),
    (lambda: mutual_information_from_table([1, 2]), ValueError, r"`table` must be a 2-D"),
    (lambda: mutual_information_from_table([[1, -1]]), ValueError,
     r"`table` must be non-negative counts"),
    (lambda: mutual_information_from_table([[0, 0]]), ValueError, r"`table` must be not all"),
    (lambda: entropy([0, 1], unit="nat"), ValueError, r"`unit` must be 'nats' or 'bits'"),
])
def test_errors(call, exc: type[Exception], match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(exc, match=match):
        call()


def test_doctests() -> None:
    result = doctest.testmod(dm, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
