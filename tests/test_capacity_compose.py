"""Series and parallel rules (Section 3): when they are exact and when only bounds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ground_truth import maximise_on_spheres, noisy_chain_mi, stacked_mi
from infoplane import capacity
from infoplane.capacity import Branch


def test_series_and_parallel_arithmetic() -> None:
    assert capacity.series(2.0, 1.0, 3.0) == 1.0
    assert capacity.parallel(2.0, 1.0) == 3.0
    np.testing.assert_array_equal(capacity.series([1.0, 5.0], [2.0, 4.0]), [1.0, 4.0])
    with pytest.raises(ValueError, match="at least one"):
        capacity.series()


@settings(max_examples=40, deadline=None)
@given(lam=st.lists(st.floats(1e-2, 1e2), min_size=1, max_size=8).map(np.array),
       widths=st.lists(st.integers(1, 10), min_size=1, max_size=4), f=st.floats(0.0, 1e3))
def test_chain_with_output_noise_is_exactly_the_series_min(lam: np.ndarray, widths: list[int],
                                                           f: float) -> None:
    got = capacity.chain(lam, widths, budget=f)
    parts = [capacity.mmi(lam, w, budget=f) for w in widths]
    assert got.exact
    assert got.value == pytest.approx(capacity.series(*parts), rel=1e-12, abs=1e-300)


def test_chain_with_noise_after_every_layer_is_strictly_below_the_bound() -> None:
    cov = np.diag([3.0, 1.0, 0.5])
    f1, f2, s2 = 2.0, 1.5, 1.0
    bound = capacity.chain(cov, [2, 2], budget=[f1, f2], noise="every", noise_var=s2)
    assert not bound.exact
    best = maximise_on_spheres([(2, 3), (2, 2)], [f1, f2], noisy_chain_mi(cov, s2), seed=1)
    assert best <= bound.value + 1e-9
    assert best < 0.95 * bound.value  # the accumulated noise costs real information


def test_parallel_adds_for_independent_inputs() -> None:
    lam_a, lam_b = np.array([2.0, 1.0]), np.array([4.0, 0.5, 0.1])
    fa, fb, s2 = 1.5, 3.0, 0.8
    got = capacity.concat([Branch(lam_a, 1, fa), Branch(lam_b, 2, fb)], inputs="independent",
                          noise_var=s2)
    assert got.exact
    # Block-diagonal weights on X = (X_a, X_b): optimise both blocks numerically.
    cov = np.diag(np.concatenate([lam_a, lam_b]))

    def blockdiag(mats: list[np.ndarray]) -> float:
        wa, wb = mats
        w = np.zeros((3, 5))
        w[:1, :2], w[1:, 2:] = wa, wb
        return stacked_mi(cov, s2)([w])

    best = maximise_on_spheres([(1, 2), (2, 3)], [fa, fb], blockdiag, seed=2)
    assert got.value == pytest.approx(best, rel=1e-6)
    assert got.value == pytest.approx(capacity.parallel(capacity.mmi(lam_a, 1, budget=fa,
                                                                     noise_var=s2),
                                                        capacity.mmi(lam_b, 2, budget=fb,
                                                                     noise_var=s2)))


def test_shared_input_carries_less_than_the_sum_and_the_stacked_value_is_attained() -> None:
    cov = np.diag([3.0, 1.0, 0.4])
    s2 = 1.0
    a, b = Branch(cov, 1, 2.0), Branch(cov, 1, 2.0)
    got = capacity.concat([a, b], inputs="shared", noise_var=s2)
    parts = capacity.parallel(capacity.mmi(cov, 1, budget=2.0), capacity.mmi(cov, 1, budget=2.0))
    best = maximise_on_spheres([(1, 3), (1, 3)], [2.0, 2.0], stacked_mi(cov, s2), seed=3)
    assert got.exact
    assert got.value == pytest.approx(best, rel=1e-6)
    assert best < parts - 0.05  # "parallel adds" fails when the branches share X


def test_shared_input_bound_when_ky_fan_fails() -> None:
    cov = np.diag([3.0, 2.0, 1.0, 0.5])
    s2 = 1.0
    a, b = Branch(cov, 1, 0.01), Branch(cov, 3, 50.0)
    got = capacity.concat([a, b], inputs="shared", noise_var=s2)
    assert not got.exact
    best = maximise_on_spheres([(1, 4), (3, 4)], [0.01, 50.0], stacked_mi(cov, s2), seed=4)
    assert best <= got.value + 1e-9
    assert best < capacity.mmi(cov, 4, budget=50.01) - 1e-3  # the stacked value is not reached


def test_concat_errors() -> None:
    with pytest.raises(ValueError, match="the same spectrum"):
        capacity.concat([Branch([1.0, 2.0], 1, 1.0), Branch([1.0, 3.0], 1, 1.0)],
                        inputs="shared")
    with pytest.raises(ValueError, match="`inputs` must be one of"):
        capacity.concat([Branch([1.0], 1, 1.0)], inputs="both")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one budget per layer"):
        capacity.chain([1.0], [1, 1], budget=[1.0, 2.0, 3.0], noise="every")
