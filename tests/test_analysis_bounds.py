"""Tests of infoplane.analysis.bounds (Appendices A, B, C of the interpretation paper)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from infoplane import discrete
from infoplane.analysis import bounds as b


def _random_probs(n: int, c: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, c)) * 2.0
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_appendix_a_mi_matches_discrete_table() -> None:
    p = _random_probs(16, 3, 0)
    r = b.appendix_a(p)
    assert r.mi == pytest.approx(discrete.mutual_information_from_table(p / 16), abs=1e-12)
    py = p.mean(axis=0)
    direct = float(np.sum(p / 16 * np.log(p / py)))
    assert r.mi == pytest.approx(direct, abs=1e-12)
    assert r.taylor == pytest.approx(r.mi, abs=1e-12)       # Eq. (32) is exact
    assert r.c_in_range == pytest.approx(1.0)
    assert r.mi <= r.rhs_half                                # remainder bound


def test_two_by_two_by_hand() -> None:
    r = b.appendix_a([[0.75, 0.25], [0.25, 0.75]])
    assert r.mi == pytest.approx(0.75 * math.log(1.5) + 0.25 * math.log(0.5), abs=1e-12)
    assert r.var_f == pytest.approx(1 / 3)
    assert r.var_inv_f == pytest.approx(3 / 16)
    assert r.rhs_var == pytest.approx(25 / 48)
    assert r.rhs_half == pytest.approx(7 / 24)
    assert r.chi2 == pytest.approx(1 / 4)
    assert r.var_py == pytest.approx(0.0, abs=1e-15)
    assert r.var_py_given_x == pytest.approx(3 / 64)
    assert r.rhs_final == pytest.approx(3 / 32)


def test_counterexample_last_inequality_of_33() -> None:
    r = b.two_by_two_counterexample(0.25)
    assert r.rhs_var > r.rhs_final                              # last line of (33) fails
    assert r.mi > r.rhs_final                                   # even the end-to-end claim
    assert r.mi <= r.rhs_half                                   # the remainder bound holds
    tiny = b.two_by_two_counterexample(1e-4)
    assert tiny.var_f > 1000 and tiny.rhs_final < 1e-3


def test_appendix_b_chain() -> None:
    p = _random_probs(50, 2, 1)
    y = np.random.default_rng(2).integers(0, 2, 50)
    r = b.appendix_b(p, y)
    assert r.line37 - r.line36 == pytest.approx(math.log(50))
    assert r.a_cons + r.line1 == pytest.approx(r.line36)    # (37) with the consistent A
    assert r.line2 <= r.line1 and r.line4 <= r.line2
    hard = np.argmax(p, axis=1)
    table = np.zeros((2, 2))
    np.add.at(table, (y, hard), 1.0)
    assert r.mi_hard == pytest.approx(discrete.mutual_information_from_table(table))


def test_appendix_c_convergence_and_entropy() -> None:
    gm = b.GaussianMixture()
    truth, h = gm.mi_true(), gm.h_x()
    deltas = [1.0, 0.3, 0.1, 0.03, 0.01]
    errs = []
    for d in deltas:
        mi, hx = b.binned_mixture(gm, d)
        errs.append(abs(mi - truth))
        assert hx == pytest.approx(h - math.log(d), abs=0.05)
    assert all(e2 < e1 for e1, e2 in itertools.pairwise(errs))
    assert errs[-1] < 1e-3
    assert abs(b.binned_mixture(gm, 0.01)[1] - (h - math.log(0.01))) < 1e-3


def test_errors() -> None:
    with pytest.raises(ValueError, match="`probs` must be rows"):
        b.appendix_a([[0.5, 0.6], [0.5, 0.5]])
    with pytest.raises(ValueError, match="`probs` must be a 2-D"):
        b.appendix_a([0.5, 0.5])
    with pytest.raises(ValueError, match="`probs` must be an \\(N, C\\)"):
        b.appendix_a([[1.0], [1.0]])
    with pytest.raises(ValueError, match="`labels` must be integers in"):
        b.appendix_b([[0.5, 0.5]], [2])
    with pytest.raises(ValueError, match="`labels` must be integers of shape"):
        b.appendix_b([[0.5, 0.5]], [0.0])
    with pytest.raises(ValueError, match="`eps` must be in"):
        b.two_by_two_counterexample(0.6)
    with pytest.raises(ValueError, match="`delta` must be"):
        b.binned_mixture(b.GaussianMixture(), -1.0)


def test_interval_masses_sum_to_the_mixture() -> None:
    gm = b.GaussianMixture()
    edges = np.array([-np.inf, -1.0, 0.0, 0.5, np.inf])
    m = b.interval_masses(gm, edges)
    assert m.shape == (4, 2)
    assert m.sum(axis=0) == pytest.approx(list(gm.weights), abs=1e-15)
    assert np.cumsum(m.sum(axis=1))[:-1] == pytest.approx(b.mixture_cdf(gm, edges[1:-1]))
    with pytest.raises(ValueError, match="`edges` must be a nondecreasing"):
        b.interval_masses(gm, [1.0, 0.0])


def test_binned_map_entropy_identity_matches_binned_mixture() -> None:
    gm = b.GaussianMixture()
    for d in (0.5, 0.01):
        h = b.binned_map_entropy(gm, d, lambda t: t, gm._range())
        assert h == pytest.approx(b.binned_mixture(gm, d)[1], abs=1e-12)


def _h_tanh(gm: b.GaussianMixture, a: float, c: float) -> float:
    """h(tanh(aX + c)) = h(X) + E log(a sech²(aX + c)), by quadrature (independent)."""
    from scipy import integrate

    lo, hi = gm._range()

    def f(x: float) -> float:
        v = float(gm.pdf(np.array([x]))[0])
        u = abs(a * x + c)
        return v * (math.log(4 * a) - 2 * u - 2 * math.log1p(math.exp(-2 * u)))
    e, _ = integrate.quad(f, lo, hi, limit=400, points=list(gm.means))
    return gm.h_x() + e


def test_binned_map_entropy_tanh_tracks_h_minus_log_delta() -> None:
    gm = b.GaussianMixture()
    h_t = _h_tanh(gm, 2.0, 0.3)
    inv = b.tanh_map_inverse(2.0, 0.3)
    gaps = [b.binned_map_entropy(gm, d, inv, (-1.0, 1.0)) - (h_t - math.log(d))
            for d in (1e-2, 1e-3, 1e-4)]
    assert all(g2 < g1 for g1, g2 in itertools.pairwise(gaps))
    assert 0 < gaps[-1] < 0.02


def test_binned_map_entropy_step_map_is_bounded() -> None:
    gm = b.GaussianMixture()
    th, vals = (-1.0, 0.0, 1.0), (-1.0, -0.3, 0.3, 1.0)
    p = np.diff(np.concatenate([[0.0], b.mixture_cdf(gm, th), [1.0]]))
    h_g = float(-np.sum(p * np.log(p)))
    inv = b.step_map_inverse(th, vals)
    for d in (0.5, 0.1, 1e-3):         # each value in its own bin: H(g(X)) exactly
        assert b.binned_map_entropy(gm, d, inv, (-1.0, 1.0)) == pytest.approx(h_g, abs=1e-12)
    # a bin of width 2.5 anchored at 0 holds -1 and -0.3 together, and 0.3 and 1 together
    assert b.binned_map_entropy(gm, 2.5, inv, (-1.0, 1.0)) == pytest.approx(
        float(-np.sum([q * math.log(q) for q in (p[0] + p[1], p[2] + p[3])])), abs=1e-12)
    assert inv(np.array([-2.0, -1.0, -0.5, 0.3, 0.31, 2.0])).tolist() == [
        -np.inf, -np.inf, -1.0, 0.0, 1.0, np.inf]


def test_map_errors() -> None:
    gm = b.GaussianMixture()
    with pytest.raises(ValueError, match="`thresholds` must be strictly increasing"):
        b.step_map_inverse([0.0, 0.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="`a` must be"):
        b.tanh_map_inverse(-1.0, 0.0)
    with pytest.raises(ValueError, match="`t_range` must be"):
        b.binned_map_entropy(gm, 0.1, lambda t: t, (1.0, 0.0))
    with pytest.raises(ValueError, match="`delta` must be"):
        b.binned_map_entropy(gm, 0.0, lambda t: t, (0.0, 1.0))
