"""Tests of infoplane.analysis.margin: the measurement tools behind Claim 2.2."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import expit

from infoplane.analysis import margin as mg


def _symmetric(c: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    # (±1, ±c) labelled by the sign of the first coordinate: SVM direction e1, margin 1.
    x = np.array([[1.0, c], [1.0, -c], [-1.0, c], [-1.0, -c], [2.0, 3 * c], [-3.0, -c]])
    return x, np.sign(x[:, 0])


def test_svm_known_direction_and_margin() -> None:
    x, y = _symmetric()
    for method in ("qp", "sklearn"):
        w, g = mg.hard_margin_svm(x, y, method=method)  # type: ignore[arg-type]
        np.testing.assert_allclose(w, [1.0, 0.0], atol=1e-5)
        assert g == pytest.approx(1.0, abs=1e-5)
    assert mg.normalised_margin([5.0, 0.0], x, y) == pytest.approx(1.0)


def test_qp_and_sklearn_agree_on_random_separable_set() -> None:
    x, y = mg.separable_data(80, 3, gap=0.3, seed=3)
    chk = mg.svm_crosscheck(x, y)
    assert chk["angle"] < 1e-3
    assert chk["margin_qp"] == pytest.approx(chk["margin_sklearn"], rel=1e-3)
    assert chk["margin_qp"] >= 0.3 - 1e-9


def test_gd_direction_converges_and_norm_grows_like_log_t() -> None:
    x, y = mg.separable_data(100, 2, gap=0.2, seed=1)
    x = x * np.array([1.0, 4.0])
    tr = mg.train_logistic(x, y, method="gd", lr=1.0, steps=20_000)
    a = tr.angle[tr.steps >= 100]
    assert a[-1] < 0.03 < 0.07 < a[0]
    assert np.mean(np.diff(a) <= 1e-12) > 0.9  # monotone-ish
    assert tr.margin[-1] == pytest.approx(tr.svm_margin, rel=0.1)
    # ‖w_t‖ ≈ log t / γ + O(1): equal increments per decade of t.
    late = tr.steps >= 1000
    slope = np.polyfit(np.log(tr.steps[late]), tr.w_norm[late], 1)[0]
    assert slope == pytest.approx(1.0 / tr.svm_margin, rel=0.35)  # 1/γ asymptotically
    assert tr.w_norm[-1] < 50


def test_sgd_also_converges() -> None:
    x, y = mg.separable_data(60, 2, gap=0.3, seed=2)
    tr = mg.train_logistic(x, y, method="sgd", batch_size=4, steps=5000, seed=0,
                           record_every=500)
    assert tr.angle[-1] < 0.05
    assert tr.steps.tolist() == list(range(0, 5001, 500))


def test_exact_mi_matches_direct_computation_and_log2() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 3))
    for scale in (0.1, 1.0, 10.0, 100.0):
        w = scale * rng.standard_normal(3)
        p = expit(x @ w)
        # Direct: sum over the joint table p(x, ỹ) log p(x, ỹ) / (p(x) p(ỹ)).
        joint = np.stack([p, 1 - p], axis=1) / len(x)
        marg = joint.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = joint * np.log(joint / (marg[None, :] / len(x)))
        direct = float(np.nansum(terms))
        t = mg.bound_terms(w, x)
        assert t["mi"] == pytest.approx(direct, abs=1e-12)
        assert -1e-15 <= t["mi"] <= math.log(2) + 1e-12


def test_variance_formulas_and_constants() -> None:
    # Var p(Ỹ) = s(1 - 4s) has maximum 1/16 at s = 1/8.
    qs = np.linspace(0, 1, 10001)
    s = qs * (1 - qs)
    var = qs**3 + (1 - qs) ** 3 - (qs**2 + (1 - qs) ** 2) ** 2
    np.testing.assert_allclose(var, s * (1 - 4 * s), atol=1e-14)
    assert var.max() == pytest.approx(mg.D_CONST, abs=1e-6)
    assert abs(mg.A_CONST - 5 / 8) < 1e-15


def test_chain_valid_from_16_on_but_14_fails_on_saturation() -> None:
    x, y = _symmetric()
    for scale in (0.01, 0.5, 3.0, 30.0):
        t = mg.bound_terms([scale, 0.0], x, y)
        assert t["mi"] <= t["rhs16"] + 1e-12 <= t["rhs18"] + 2e-12
        assert t["mi"] <= t["rhs19"] + 1e-12
        assert t["taylor17_sq_violations"] == 0
    # Small w: (14) holds; saturated w: both variances -> 0, I -> log 2, (14) fails.
    small = mg.bound_terms([0.01, 0.0], x, y)
    assert small["mi"] <= small["rhs14"]
    big = mg.bound_terms([30.0, 0.0], x, y)
    assert big["mi"] > 0.6 > 0.01 > big["rhs14"]


def test_taylor_step_17_fails_for_negative_z() -> None:
    z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    sig = expit(z)
    lin = 0.5 + z / 4
    assert np.all(sig[z < 0] > lin[z < 0])  # (17) as written is false for z < 0
    assert np.all(sig[z >= 0] <= lin[z >= 0] + 1e-15)
    assert np.all((sig - 0.5) ** 2 <= z**2 / 16 + 1e-15)  # the form (18) needs
    x, y = _symmetric()
    t = mg.bound_terms([1.0, 0.0], x, y)
    assert t["taylor17_violations"] == np.sum(x[:, 0] < 0)


def test_errors() -> None:
    x, y = _symmetric()
    with pytest.raises(ValueError, match=r"`y` must be labels in \{-1, \+1\}"):
        mg.hard_margin_svm(x, (y + 1) / 2)
    with pytest.raises(ValueError, match="linearly separable"):
        mg.hard_margin_svm(np.array([[1.0], [1.0]]), np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="`method` must be one of"):
        mg.train_logistic(x, y, method="adam")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`w` must be a non-zero vector"):
        mg.normalised_margin([0.0, 0.0], x, y)
    with pytest.raises(ValueError, match="`batch_size` must be <="):
        mg.train_logistic(x, y, method="sgd", batch_size=100)
    with pytest.raises(ValueError, match="`x` must be finite"):
        mg.normalised_margin([1.0, 0.0], [[np.nan, 0.0]], [1])
    with pytest.raises(ValueError, match="`lr` must be > 0"):
        mg.train_logistic(x, y, lr=0.0)


def _direct_mi(joint: np.ndarray) -> float:
    """I from a joint probability table (rows: first variable), by the definition."""
    pa = joint.sum(axis=1, keepdims=True)
    pb = joint.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = joint * np.log(joint / (pa * pb))
    return float(np.nansum(t))


def test_ib_terms_match_joint_tables() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((9, 3))
    y = np.where(rng.random(9) < 0.4, 1.0, -1.0)
    for scale in (0.1, 1.0, 5.0):
        w = scale * rng.standard_normal(3)
        p = expit(x @ w)
        t = mg.ib_terms(w, x, y)
        joint_x = np.stack([p, 1 - p], axis=1) / len(x)
        joint_y = np.array([[p[y == v].sum(), (1 - p[y == v]).sum()] for v in (1, -1)]) / len(x)
        assert t["ixt"] == pytest.approx(_direct_mi(joint_x), abs=1e-12)
        assert t["iyt"] == pytest.approx(_direct_mi(joint_y), abs=1e-12)
        assert t["ixt_given_y"] == pytest.approx(t["ixt"] - t["iyt"], abs=1e-12)
        assert t["hy"] == pytest.approx(-(sum(
            f * math.log(f) for f in (np.mean(y > 0), np.mean(y < 0)))), abs=1e-12)
        assert mg.ib_objective(w, x, y, alpha=3.0) == pytest.approx(t["ixt"] - 3 * t["iyt"])
        assert mg.ib_excess(w, x, y, alpha=3.0) == pytest.approx(
            mg.ib_objective(w, x, y, alpha=3.0) + 2.0 * t["hy"], abs=1e-12)
    batch = mg.ib_terms(np.stack([w, -w]), x, y)  # (13) is even in w
    np.testing.assert_allclose(batch["ixt"][0], batch["ixt"][1], atol=1e-15)
    np.testing.assert_allclose(batch["iyt"][0], batch["iyt"][1], atol=1e-15)


def test_ib_limit_on_separable_data() -> None:
    x, y = _symmetric()
    t = mg.ib_terms([60.0, 0.0], x, y)  # separates: Ỹ = Y almost surely
    assert t["iyt"] == pytest.approx(t["hy"], abs=1e-12)
    assert t["ixt_given_y"] == pytest.approx(0.0, abs=1e-12)
    assert mg.ib_excess([60.0, 0.0], x, y) < 1e-12 < mg.ib_excess([0.0, 60.0], x, y)


def test_objective23_ignores_labels_and_matches_bound_terms() -> None:
    x, y = _symmetric()
    w = np.array([0.7, -1.3])
    val = mg.objective23(w, x, alpha=1.5)
    assert val == pytest.approx(mg.bound_terms(w, x, y, alpha=1.5)["objective23"] - mg.A_CONST)
    assert val == pytest.approx(mg.bound_terms(w, x, -y, alpha=1.5)["objective23"] - mg.A_CONST)
    z = x @ w
    direct = (3 / 8) * np.mean(np.sum(x * x, axis=1)) * (w @ w) - 1.5 * np.sum(
        np.log(np.abs(expit(z) - 0.5) + 0.5))
    assert val == pytest.approx(direct, rel=1e-12)


def test_new_bound_terms_keys() -> None:
    x, y = _symmetric()
    w = np.array([1.0, 3.0])  # misclassifies (1, -0.5) and (-1, 0.5)
    t = mg.bound_terms(w, x, y)
    p = expit(x @ w)
    assert t["second_moment"] == pytest.approx(np.mean(p**3 + (1 - p) ** 3))
    assert t["second_moment"] == pytest.approx(t["rhs16"] / 2 - t["var_py"])  # (16) identity
    assert t["cs_ratio"] == pytest.approx(np.mean((x @ w) ** 2)
                                          / (np.mean(np.sum(x * x, 1)) * (w @ w)))
    assert 0 < t["cs_ratio"] <= 1
    assert t["log_f_labels"] == pytest.approx(np.sum(np.log(expit(y * (x @ w)))))
    assert t["log_f_confident"] == pytest.approx(np.sum(np.log(np.maximum(p, 1 - p))))
    assert t["log_f_labels"] < t["log_f_confident"]
    sep = mg.bound_terms([1.0, 0.0], x, y)
    assert sep["log_f_labels"] == sep["log_f_confident"]  # equality when w separates


def test_line_angle() -> None:
    assert mg.line_angle([1.0, 0.0], [-1.0, 0.0]) == 0.0
    assert mg.line_angle([1.0, 0.0], [-1.0, 1.0]) == pytest.approx(math.pi / 4)
    assert mg.line_angle([1.0, 0.0], [0.0, 2.0]) == pytest.approx(math.pi / 2)


def test_minimise_on_sphere_known_minima() -> None:
    target = np.array([0.6, 0.8])
    r2 = mg.minimise_on_sphere(lambda W: -(W @ target) ** 2, 2, 2.0)
    assert mg.line_angle(r2.w_unit, target) < 1e-8
    assert r2.value == pytest.approx(-4.0)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 5))
    q = a @ a.T  # min of wᵀQw on the sphere: the eigenvector of the smallest eigenvalue
    evals, evecs = np.linalg.eigh(q)
    r5 = mg.minimise_on_sphere(lambda W: np.einsum("ki,ij,kj->k", W, q, W), 5, 3.0, seed=1)
    assert mg.line_angle(r5.w_unit, evecs[:, 0]) < 1e-5
    assert r5.value == pytest.approx(9.0 * evals[0], rel=1e-8)
    assert r5.spread < 1e-3
    with pytest.raises(ValueError, match="`radius` must be > 0"):
        mg.minimise_on_sphere(lambda W: W[:, 0], 2, 0.0)
