"""Tests for infoplane.spectrum: exactness against LAPACK/sklearn, routes, shrinkage, errors."""

from __future__ import annotations

import doctest
import logging
import subprocess
import sys

import numpy as np
import pytest

import infoplane.spectrum as sp
from infoplane.spectrum import spectrum


def _data(n: int, d: int, decay: str = "p1", seed: int = 0, offset: float = 3.0) -> np.ndarray:
    """Samples with population spectrum i^-1 / i^-2 / flat, a random rotation and an offset."""
    rng = np.random.default_rng(seed)
    i = np.arange(1, d + 1, dtype=float)
    lam = {"p1": 1.0 / i, "p2": 1.0 / i**2, "flat": np.ones(d)}[decay]
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return (rng.standard_normal((n, d)) * np.sqrt(lam)) @ q.T + rng.normal(0.0, offset, d)


def _mle_eigenvalues(x: np.ndarray) -> np.ndarray:
    return np.linalg.eigvalsh(np.cov(x, rowvar=False, bias=True))[::-1]


def _assert_top(ours: np.ndarray, ref: np.ndarray, rtol: float = 1e-8) -> None:
    """Relative agreement, with the float64 floor (1e-13 λ_1) for tiny eigenvalues."""
    k = ours.size
    ref = np.maximum(ref[:k], 0.0)
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=1e-13 * ref[0])


# --------------------------------------------------------------------------- exact paths


@pytest.mark.parametrize(("n", "d"), [(50, 7), (30, 30), (12, 40), (200, 1), (2, 5)])
def test_data_path_equals_eigvalsh_of_mle_covariance(n: int, d: int) -> None:
    x = _data(n, d, seed=n + d)
    ours = spectrum(x, shrinkage="none", kind="data")
    ref = _mle_eigenvalues(x) if d > 1 else np.array([x.var()])
    assert ours.shape == (d,) and ours.dtype == np.float64
    assert np.all(np.diff(ours) <= 0) and np.all(ours >= 0)
    np.testing.assert_allclose(ours, np.maximum(ref, 0.0), rtol=1e-10, atol=1e-12 * ref[0])


def test_covariance_path_equals_eigvalsh() -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((8, 8))
    cov = a @ a.T
    ref = np.linalg.eigvalsh(cov)[::-1]
    np.testing.assert_allclose(spectrum(cov), ref, rtol=1e-12)
    np.testing.assert_allclose(spectrum(cov, top=3, kind="covariance"), ref[:3], rtol=1e-12)


def test_covariance_top_k_on_large_matrix_uses_subset_solver() -> None:
    rng = np.random.default_rng(2)
    d = sp._SMALL_P + 60
    a = rng.standard_normal((d, d // 2))
    cov = a @ a.T / d                                # PSD with d/2 zero eigenvalues
    ref = np.linalg.eigvalsh(cov)[::-1]
    _assert_top(spectrum(cov, top=20), ref, rtol=1e-11)
    full = spectrum(cov)
    assert full.shape == (d,) and full.min() >= 0.0


def test_rank_deficient_gram_is_zero_padded() -> None:
    x = _data(6, 20, seed=3)
    ours = spectrum(x, shrinkage="none")
    assert ours.shape == (20,)
    np.testing.assert_array_equal(ours[6:], 0.0)     # padding beyond the 6 x 6 Gram matrix
    assert ours[5] <= 1e-14 * ours[0]                # n samples: at most n - 1 nonzero
    _assert_top(ours[:5], _mle_eigenvalues(x))


def test_float32_and_integer_input_are_accepted() -> None:
    x = _data(40, 6, seed=4)
    ref = spectrum(x.astype(np.float32).astype(np.float64), shrinkage="none")
    np.testing.assert_allclose(spectrum(x.astype(np.float32), shrinkage="none"), ref)
    xi = np.arange(30).reshape(10, 3) % 7
    np.testing.assert_allclose(spectrum(xi, shrinkage="none", kind="data"),
                               _mle_eigenvalues(xi.astype(float)), atol=1e-12)


# --------------------------------------------------------------------------- top-k


@pytest.mark.parametrize(("n", "d", "decay", "k"), [
    (300, 40, "p1", 5),          # n > d
    (25, 60, "p2", 10),          # n < d: Gram route
    (80, 80, "flat", 30),        # flat spectrum, square data
    (7, 3, "p1", 1),             # tiny
])
def test_top_k_is_the_top_of_the_full_spectrum(n: int, d: int, decay: str, k: int) -> None:
    x = _data(n, d, decay, seed=k)
    ours = spectrum(x, top=k, shrinkage="none", kind="data")
    assert ours.shape == (k,)
    _assert_top(ours, _mle_eigenvalues(x))


@pytest.mark.parametrize(("n", "d", "decay"), [(1200, 500, "p1"), (1200, 500, "p2"),
                                               (300, 700, "p1"), (1200, 500, "flat")])
@pytest.mark.parametrize("route", ["data_krylov", "matrix_krylov", "matrix_evr32"])
def test_each_iterative_route_is_exact_or_declines(n: int, d: int, decay: str,
                                                   route: str) -> None:
    """The iterative routes return certified eigenvalues (1e-8) or None, never a wrong answer."""
    x = _data(n, d, decay, seed=7)
    ref = _mle_eigenvalues(x)
    data = sp._Centred(x, x.mean(axis=0))
    k = 12
    if route == "data_krylov":
        lam = sp._krylov(data.apply, data.p, k, data.p, block_cost=1.0)
    else:
        m64 = data.small_matrix(np.float64)
        op = sp._symmetric_operator(m64)
        if route == "matrix_krylov":
            lam = sp._krylov(op, data.p, k, data.p, block_cost=1.0)
        else:
            lam = sp._float32_then_refine(m64, op, k)
    if decay != "flat":
        assert lam is not None
    if lam is not None:
        _assert_top(lam, ref)


@pytest.mark.parametrize("route", ["data_krylov", "matrix_krylov", "matrix_evr32", "dense"])
def test_public_function_through_each_route(monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture,
                                            route: str) -> None:
    """Make one route the cheapest in the cost model; the public answer stays exact."""
    x = _data(900, 420, "p1", seed=11)
    ref = _mle_eigenvalues(x)
    costs = {"data_krylov": 9.0, "matrix_krylov": 9.0, "matrix_evr": 9.0, "matrix": 1.0,
             "data_pass_per_vector": 1e-3}
    costs[{"dense": "matrix_evr", "matrix_evr32": "matrix_evr"}.get(route, route)] = 1.0
    monkeypatch.setattr(sp, "_costs", lambda p, q, want: dict(costs))
    if route == "dense":
        monkeypatch.setattr(sp, "_float32_then_refine", lambda m64, op, want: None)
    with caplog.at_level(logging.DEBUG, logger="infoplane.spectrum"):
        _assert_top(spectrum(x, top=4, shrinkage="none"), ref)
    assert f"route={route}" in caplog.text


def test_iteration_that_cannot_certify_falls_back_to_dense(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    x = _data(900, 420, "flat", seed=12)
    monkeypatch.setattr(sp, "_CERT_RTOL", 0.0)       # nothing certifies
    monkeypatch.setattr(sp, "_CERT_ATOL", 0.0)
    with caplog.at_level(logging.DEBUG, logger="infoplane.spectrum"):
        _assert_top(spectrum(x, top=30, shrinkage="none"), _mle_eigenvalues(x))
    assert "route=dense" in caplog.text


# --------------------------------------------------------------------------- shrinkage


@pytest.mark.parametrize(("n", "d"), [(20, 8), (15, 40), (200, 10), (30, 1)])
def test_ledoit_wolf_matches_sklearn(n: int, d: int) -> None:
    from sklearn.covariance import LedoitWolf

    x = _data(n, d, "p1", seed=n * d)
    ref = np.linalg.eigvalsh(LedoitWolf().fit(x).covariance_)[::-1]
    ours = spectrum(x, shrinkage="ledoit_wolf")
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-10 * ref[0])
    np.testing.assert_allclose(spectrum(x, shrinkage="ledoit_wolf", top=min(3, d)),
                               ref[: min(3, d)], rtol=1e-10)


def test_ledoit_wolf_coefficient_matches_sklearn() -> None:
    from sklearn.covariance import ledoit_wolf_shrinkage

    x = _data(25, 12, "p2", seed=5)
    xc = x - x.mean(axis=0)
    s = xc.T @ xc / x.shape[0]
    sq = np.einsum("ij,ij->i", xc, xc)
    alpha = sp._ledoit_wolf_alpha(25, 12, float(np.trace(s)), float(sq @ sq),
                                  float(np.sum(s * s)))
    assert alpha == pytest.approx(ledoit_wolf_shrinkage(x), rel=1e-12)


def test_auto_rule_picks_ledoit_wolf_below_five_samples_per_feature() -> None:
    d = 10
    few = _data(5 * d - 1, d, seed=1)                # n < 5 d -> Ledoit-Wolf
    many = _data(5 * d, d, seed=1)                   # n >= 5 d -> none
    np.testing.assert_allclose(spectrum(few), spectrum(few, shrinkage="ledoit_wolf"))
    np.testing.assert_allclose(spectrum(many), spectrum(many, shrinkage="none"))
    assert not np.allclose(spectrum(few), spectrum(few, shrinkage="none"))


def test_fixed_shrinkage_moves_eigenvalues_towards_their_mean() -> None:
    x = _data(60, 9, seed=6)
    lam = spectrum(x, shrinkage="none")
    alpha = 0.3
    expected = (1 - alpha) * lam + alpha * lam.sum() / lam.size
    np.testing.assert_allclose(spectrum(x, shrinkage=alpha), expected, rtol=1e-12)
    np.testing.assert_allclose(spectrum(x, shrinkage=alpha, top=4), expected[:4], rtol=1e-12)
    cov = np.cov(x, rowvar=False, bias=True)
    np.testing.assert_allclose(spectrum(cov, shrinkage=alpha), expected, rtol=1e-10)
    np.testing.assert_allclose(spectrum(cov, shrinkage="auto"), lam, rtol=1e-10)
    np.testing.assert_allclose(spectrum(x, shrinkage=1.0), np.full(9, lam.mean()), rtol=1e-12)


# --------------------------------------------------------------------------- invariances


def test_invariant_to_sample_permutation_and_feature_offsets() -> None:
    x = _data(70, 12, seed=8)
    lam = spectrum(x, shrinkage="none")
    rng = np.random.default_rng(0)
    np.testing.assert_allclose(spectrum(x[rng.permutation(70)], shrinkage="none"), lam,
                               rtol=1e-10, atol=1e-13 * lam[0])
    shifted = x + rng.normal(0.0, 100.0, size=12)
    np.testing.assert_allclose(spectrum(shifted, shrinkage="none"), lam,
                               rtol=1e-8, atol=1e-12 * lam[0])
    np.testing.assert_allclose(spectrum(shifted, top=3, shrinkage="ledoit_wolf"),
                               spectrum(x, top=3, shrinkage="ledoit_wolf"), rtol=1e-8)


def test_deterministic() -> None:
    x = _data(900, 420, "p1", seed=9)
    np.testing.assert_array_equal(spectrum(x, top=15, shrinkage="none"),
                                  spectrum(x, top=15, shrinkage="none"))


# --------------------------------------------------------------------------- kind


def test_auto_kind_reads_square_symmetric_as_covariance_and_kind_overrides() -> None:
    x = np.array([[2.0, 1.0], [1.0, 2.0]])           # square, symmetric, diag >= 0
    np.testing.assert_allclose(spectrum(x), [3.0, 1.0])
    np.testing.assert_allclose(spectrum(x, kind="data", shrinkage="none"), [0.5, 0.0],
                               atol=1e-15)
    data = np.array([[1.0, 2.0], [3.0, 1.0]])         # square but not symmetric -> data
    np.testing.assert_allclose(spectrum(data, shrinkage="none"),
                               _mle_eigenvalues(data), atol=1e-15)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(("value", "kwargs", "exc", "match"), [
    (np.ones(5), {}, ValueError, r"reshape\(-1, 1\)"),
    (np.ones(5), {}, ValueError, "eigenvalues"),
    (np.ones((2, 2, 2)), {}, ValueError, "2-D array"),
    (np.array([[1.0, np.nan], [0.0, 1.0], [2.0, 2.0]]), {}, ValueError, "finite"),
    (np.array([[1.0, np.inf, 2.0]]), {}, ValueError, "finite"),
    (np.ones((1, 4)), {}, ValueError, "at least 2 samples"),
    (np.ones((0, 3)), {}, ValueError, "at least 2 samples"),
    (np.ones((4, 0)), {}, ValueError, "at least one feature"),
    (np.ones((5, 3)), {"top": 4}, ValueError, r"`top` must be an integer in \[1, 3\]"),
    (np.ones((5, 3)), {"top": 0}, ValueError, "`top` must be"),
    (np.ones((5, 3)), {"top": 1.5}, TypeError, "`top` must be an integer"),
    (np.ones((5, 3)), {"shrinkage": "oas"}, ValueError, "`shrinkage` must be"),
    (np.ones((5, 3)), {"shrinkage": 1.5}, ValueError, r"float in \[0, 1\]"),
    (np.ones((5, 3)), {"shrinkage": True}, TypeError, "`shrinkage` must be"),
    (np.ones((5, 3)), {"kind": "matrix"}, ValueError, "`kind` must be one of"),
    (np.eye(3), {"shrinkage": "ledoit_wolf"}, ValueError, "Ledoit-Wolf needs the samples"),
    (np.ones((3, 4)), {"kind": "covariance"}, ValueError, "square covariance"),
    (np.array([[1.0, 2.0], [0.0, 1.0]]), {"kind": "covariance"}, ValueError, "symmetric"),
    (np.array([[1.0, 2.0], [2.0, 1.0]]), {}, ValueError, "positive semi-definite"),
    (np.array([[1.0, 2.0], [2.0, 1.0]]), {}, ValueError, "kind='data'"),
    ("abc", {}, TypeError, "real 2-D array"),
    (np.ones((3, 2), dtype=complex), {}, TypeError, "real 2-D array"),
])
def test_errors(value: object, kwargs: dict[str, object], exc: type[Exception],
                match: str) -> None:
    with pytest.raises(exc, match=match):
        spectrum(value, **kwargs)  # type: ignore[arg-type]


def test_indefinite_large_covariance_with_top_is_rejected() -> None:
    d = sp._SMALL_P + 20
    rng = np.random.default_rng(3)
    a = rng.standard_normal((d, d))
    sym = a + a.T                                    # indefinite
    with pytest.raises(ValueError, match="positive semi-definite"):
        spectrum(sym, top=5, kind="covariance")


# --------------------------------------------------------------------------- packaging


def test_doctests() -> None:
    result = doctest.testmod(sp, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_import_is_light() -> None:
    code = ("import sys, infoplane.spectrum; "
            "print(any(m in sys.modules for m in ('torch', 'sklearn', 'scipy.linalg')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
