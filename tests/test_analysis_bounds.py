"""Tests of infoplane.analysis.bounds (Appendices A, B, C of the interpretation paper)."""

from __future__ import annotations

import itertools
import json
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
    holds = r.holds()
    assert not holds["Var(f)+Var(1/f) <= 2(Var p(y)+Var p(y|x))"]
    assert not holds["I <= 2(Var p(y)+Var p(y|x))"]            # even the end-to-end claim
    assert holds["I <= half-sum (remainder bound)"]
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


def test_run_writes_outputs(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    import pathlib

    out = pathlib.Path(str(tmp_path))
    p = _random_probs(32, 2, 3)
    y = (p[:, 1] > 0.5).astype(np.int64)

    def fake(quick: bool, seed: int) -> tuple:
        return [0, 1], [p, p], np.zeros((32, 12)), y, [0.5, 0.5]

    monkeypatch.setattr(b, "_checkpoints", fake)
    res = b.run(out, quick=True)
    for name in ("bounds_appendix_a.png", "bounds_appendix_b.png", "bounds_appendix_c.png",
                 "bounds.json"):
        assert (out / name).exists()
    data = json.loads((out / "bounds.json").read_text())
    assert {v["holds"] for v in data["verdicts"]} <= {"holds", "holds with caveats",
                                                      "does not hold"}
    assert res["verdicts"][2]["holds"] == "does not hold"
