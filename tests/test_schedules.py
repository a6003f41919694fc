"""Step schedules: the original papers' counts, membership, round trips, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from infoplane import schedules
from infoplane.schedules import Schedule


def test_log2_reproduces_idnns_indices() -> None:
    s = schedules.log2(8000, 400)
    expected = np.unique(np.logspace(np.log2(1), np.log2(8000), 400, dtype=int, base=2)) - 1
    assert len(s) == 274
    np.testing.assert_array_equal(s.steps, expected)
    assert s.steps[0] == 0 and s.steps[-1] == 7999
    assert all(int(e) in s for e in expected)
    assert 7998 not in s


def test_piecewise_reproduces_saxe_count() -> None:
    s = schedules.piecewise()
    assert len(s) == 211
    steps = s.steps.tolist()
    assert steps[:20] == list(range(20))
    assert 25 in s and 26 not in s and 120 in s and 130 not in s and 2100 in s and 2020 not in s
    assert np.all(np.diff(s.steps) > 0)


def test_every_bounded_and_unbounded() -> None:
    assert schedules.every(3, n_epochs=10).steps.tolist() == [0, 3, 6, 9]
    u = schedules.every(7)
    assert 0 in u and 7_000_007 in u and 8 not in u and -7 not in u
    assert np.int64(14) in u
    with pytest.raises(ValueError, match="bounded"):
        _ = u.steps


@pytest.mark.parametrize(
    "sched",
    [schedules.log2(100, 20), schedules.piecewise(500), schedules.every(2),
     schedules.every(5, n_epochs=50), schedules.explicit([9, 3, 3])],
)
def test_round_trip(sched: Schedule) -> None:
    back = Schedule.from_dict(sched.to_dict())
    assert back == sched
    assert 3 in back if 3 in sched else 3 not in back


def test_errors() -> None:
    with pytest.raises(ValueError, match="`n_epochs` must be"):
        schedules.log2(0, 10)
    with pytest.raises(TypeError, match="`k` must be an integer"):
        schedules.every(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`data\\['kind'\\]` must be one of"):
        Schedule.from_dict({"kind": "nope"})
    with pytest.raises(ValueError, match="non-empty"):
        schedules.explicit([])


@given(st.integers(1, 3000), st.integers(1, 300))
def test_log2_properties(n_epochs: int, n: int) -> None:
    s = schedules.log2(n_epochs, n)
    assert s.steps[0] == 0
    assert s.steps[-1] <= n_epochs - 1
    assert len(s) <= n
    assert np.all(np.diff(s.steps) > 0)
