"""Tests for the Binning estimator: exact bins, analytic information-plane values, batching."""

from __future__ import annotations

import doctest
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import infoplane.estimators.binning as bm
from infoplane.discrete import (
    CORRECTIONS,
    conditional_mutual_information,
    entropy,
    joint_codes,
    miller_madow,
    mutual_information,
)
from infoplane.estimators.binning import Binning, BinningResult, BinningResults

LN2 = math.log(2.0)
VAR_U = Path(__file__).resolve().parents[2] / "shared" / "data" / "var_u.mat"
H_Y_VAR_U = 0.99916  # bits: 2118 ones, 1978 zeros


@pytest.fixture(autouse=True)
def _no_warnings_by_default():  # type: ignore[no-untyped-def]
    """Saturation / empty-bin warnings are expected in many tests: ignore unless checked."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _ref_edges(n_bins: int = 30, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
    """The documented edges: float32(np.linspace(lo, hi, n_bins)) (IDNNs casts to float32)."""
    return np.linspace(lo, hi, n_bins).astype(np.float32)


def _ref_plane(codes: np.ndarray, labels: Any) -> tuple[float, float]:
    """(H(T), I(T;Y)) in nats from codes by infoplane.discrete (independent of binning.py)."""
    t = joint_codes(codes)
    return entropy(t), mutual_information(t, labels)


def _tanh_layer(n: int = 1024, d: int = 6, seed: int = 0, dtype: type = np.float32
                ) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.tanh(rng.standard_normal((n, d)) * rng.uniform(0.3, 4.0, d)).astype(dtype)


# ------------------------------------------------------------------------ bins as documented
def test_default_edges_are_30_float32_edges_on_minus1_1() -> None:
    e = Binning().bin_edges
    assert e is not None and e.shape == (30,)
    np.testing.assert_array_equal(e, _ref_edges().astype(np.float64))
    np.testing.assert_allclose(np.diff(e), 2.0 / 29.0, rtol=1e-6)
    assert Binning(mode="adaptive").bin_edges is None


def test_codes_table_at_and_around_the_edges() -> None:
    # edges -1, 0, 1: code 0 below, 1 on [-1, 0), 2 on [0, 1), 3 at >= 1
    b = Binning(n_bins=3)
    v = [-2.0, -1.0, -0.5, -1e-9, 0.0, 0.5, 0.9999, 1.0, 7.0]
    assert b.digitize(v).ravel().tolist() == [0, 1, 1, 1, 2, 2, 2, 3, 3]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("n_bins", "lo", "hi"), [(30, -1.0, 1.0), (2, -1.0, 1.0),
                                                  (11, 0.0, 1.0), (100, -3.0, 5.0),
                                                  (7, 1000.0, 1001.0)])
def test_digitize_equals_np_digitize_on_float32_edges(dtype: type, n_bins: int, lo: float,
                                                      hi: float) -> None:
    e = _ref_edges(n_bins, lo, hi)
    rng = np.random.default_rng(n_bins)
    span = hi - lo
    vals: np.ndarray = np.concatenate([
        e, np.nextafter(e, np.float32(-np.inf)), np.nextafter(e, np.float32(np.inf)),
        rng.uniform(lo - 0.2 * span, hi + 0.2 * span, 2000), [lo - 1e6, hi + 1e6]],
    ).astype(np.float32).astype(dtype)
    codes = Binning(n_bins=n_bins, bounds=(lo, hi)).digitize(vals)
    np.testing.assert_array_equal(codes.ravel(), np.digitize(vals, e.astype(dtype)))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(-1.5, 1.5, width=32), min_size=1, max_size=50),
       st.integers(2, 60))
def test_digitize_property(values: list[float], n_bins: int) -> None:
    v = np.array(values, dtype=np.float32)
    ref = np.digitize(v, _ref_edges(n_bins))
    np.testing.assert_array_equal(Binning(n_bins=n_bins).digitize(v).ravel(), ref)
    np.testing.assert_array_equal(
        Binning(n_bins=n_bins).digitize(v.astype(np.float64)).ravel(), ref)


def test_below_range_and_top_codes_stay_apart() -> None:
    # IDNNs would alias v < lo with v >= hi (bins[-1]); we keep them as two patterns.
    ixt, _ = Binning(unit="bits").plane([[-3.0], [3.0]], [0, 1])
    assert ixt == pytest.approx(1.0)


# ---------------------------------------------------------------------- analytic plane values
def test_injective_layer_gives_log_n_and_h_y() -> None:
    # 64 rows, 2 units, each on one of 8 distinct bins: 64 distinct patterns.
    centers = -1.0 + (np.arange(8) * 3 + 1.5) * (2.0 / 29.0)
    t = np.array([[centers[i], centers[j]] for i in range(8) for j in range(8)])
    labels = np.random.default_rng(0).integers(0, 3, 64)
    res = Binning(unit="bits").plane_details(t, labels)
    assert res.ixt == pytest.approx(6.0, abs=1e-12)
    assert res.ity == pytest.approx(entropy(labels, unit="bits"), abs=1e-12)
    assert res.h_y == pytest.approx(entropy(labels, unit="bits"), abs=1e-12)
    assert res.ceiling == pytest.approx(6.0) and res.saturated and res.n_patterns == 64


def test_constant_layer_gives_zero() -> None:
    t = np.full((100, 4), 0.3, dtype=np.float32)
    labels = np.arange(100) % 2
    for mode, kw in [("edges", {}), ("adaptive", {}), ("quantile", {}),
                     ("width", {"bin_width": 0.1})]:
        ixt, ity = Binning(mode=mode, **kw).plane(t, labels)
        assert ixt == 0.0 and ity == pytest.approx(0.0, abs=1e-15), mode


def test_plane_matches_reference_on_a_tanh_layer() -> None:
    t = _tanh_layer(n=2000, d=3)
    labels = np.random.default_rng(1).integers(0, 2, t.shape[0])
    ixt, ity = Binning().plane(t, labels)
    ref = _ref_plane(np.digitize(t, _ref_edges()), labels)
    assert ixt == pytest.approx(ref[0], abs=1e-12)
    assert ity == pytest.approx(ref[1], abs=1e-12)
    assert 0.0 < ity < ixt < math.log(t.shape[0])


def test_units_bits_equal_nats_over_ln2() -> None:
    t = _tanh_layer(seed=3)
    labels = np.arange(t.shape[0]) % 3
    nats = Binning().plane(t, labels)
    bits = Binning(unit="bits").plane(t, labels)
    np.testing.assert_allclose(bits, np.array(nats) / LN2, rtol=1e-14)
    assert Binning(unit="bits").ceiling(4096) == pytest.approx(12.0)
    assert Binning().ceiling(4096) == pytest.approx(math.log(4096))


def test_integer_snapshots_are_codes() -> None:
    codes = np.array([[0, 5], [0, 5], [1, 5], [2, 7]])
    labels = np.array([0, 0, 1, 1])
    ixt, ity = Binning().plane(codes, labels)
    ref = _ref_plane(codes, labels)
    assert (ixt, ity) == pytest.approx(ref, abs=1e-12)
    # the same values as floats are binned (all four on [-1, 1] overflow -> fewer patterns)
    assert Binning().plane(codes.astype(float), labels)[0] < ixt


# --------------------------------------------------------------------------- modes
def test_width_mode_is_floor_v_over_width() -> None:
    t = np.random.default_rng(2).standard_normal((500, 3)) * 2.0
    b = Binning(mode="width", bin_width=0.5)
    np.testing.assert_array_equal(b.digitize(t), np.floor(t / 0.5).astype(np.int64))
    labels = (t[:, 0] > 0).astype(int)
    assert b.plane(t, labels) == pytest.approx(_ref_plane(np.floor(t / 0.5), labels),
                                               abs=1e-12)
    # wide code ranges (re-ranked columns) stay exact
    big = np.random.default_rng(3).standard_normal((300, 3)) * 1e9
    ixt, _ = Binning(mode="width", bin_width=1e-3).plane(big, np.zeros(300, int))
    assert ixt == pytest.approx(math.log(300))


def test_adaptive_mode_uses_each_snapshots_own_range() -> None:
    relu = np.maximum(_tanh_layer(dtype=np.float64) * 7.0, 0.0)
    labels = np.arange(relu.shape[0]) % 2
    b = Binning(mode="adaptive")
    ref_codes = np.digitize(relu, np.linspace(relu.min(), relu.max(), 30))
    np.testing.assert_array_equal(b.digitize(relu), ref_codes)
    assert b.plane(relu, labels) == pytest.approx(_ref_plane(ref_codes, labels), abs=1e-12)
    # per snapshot: a rescaled copy in the same batch gets its own edges
    ixt, _ = b.plane_many([relu, 100.0 * relu], labels)
    assert ixt[0] == pytest.approx(ixt[1], abs=1e-12)
    # default edges squash ReLU values above 1 into one overflow code and warn
    with pytest.warns(UserWarning, match="outside bounds"):
        Binning().plane(relu, labels)


def test_adaptive_mode_far_from_zero_is_exact() -> None:
    t = 1e12 + np.random.default_rng(4).uniform(0, 1, (200, 2))
    ref = np.digitize(t, np.linspace(t.min(), t.max(), 30))
    np.testing.assert_array_equal(Binning(mode="adaptive").digitize(t), ref)


def test_quantile_mode_equal_frequency_per_unit() -> None:
    t = _tanh_layer(n=2000, d=3, seed=5, dtype=np.float64)
    b = Binning(mode="quantile", n_bins=11)
    ref = np.stack([np.digitize(t[:, j], np.quantile(t[:, j], np.linspace(0, 1, 11)))
                    for j in range(3)], axis=1)
    codes = b.digitize(t)
    np.testing.assert_array_equal(codes, ref)
    for j in range(3):   # 10 bins of 200 values (the maximum alone in the top code)
        counts = np.bincount(codes[:, j], minlength=12)
        assert counts[0] == 0 and counts[11] == 1
        assert np.all(np.abs(counts[1:11] - 200) <= 1)
    labels = np.arange(2000) % 2
    assert b.plane(t, labels) == pytest.approx(_ref_plane(ref, labels), abs=1e-12)


# --------------------------------------------------------------------------- batched path
@pytest.mark.parametrize(("mode", "kw"), [("edges", {}), ("edges", {"n_bins": 4}),
                                          ("width", {"bin_width": 0.05}), ("adaptive", {}),
                                          ("quantile", {"n_bins": 6})])
@pytest.mark.parametrize("n_classes", [1, 2, 3, 5])
def test_plane_many_equals_loop_of_plane(mode: str, kw: dict, n_classes: int) -> None:
    rng = np.random.default_rng(6)
    snaps = np.stack([_tanh_layer(n=300, d=5, seed=s) * g
                      for s, g in enumerate([0.2, 0.5, 1.0, 1.0, 1.0, 0.01])])
    labels = rng.integers(0, n_classes, 300)
    est = Binning(mode=mode, **kw)
    ixt, ity = est.plane_many(snaps, labels)
    loop = np.array([est.plane(s, labels) for s in snaps])
    np.testing.assert_allclose(ixt, loop[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ity, loop[:, 1], rtol=0, atol=1e-12)
    ixt2, ity2 = est.plane_many(list(snaps.astype(np.float64)), labels)
    np.testing.assert_allclose(ixt2, ixt, atol=1e-12)
    np.testing.assert_allclose(ity2, ity, atol=1e-12)


def test_plane_many_wide_layer_uses_exact_reranking() -> None:
    # 40 units x 31 codes need 198 bits: packed in groups with re-ranking in between.
    rng = np.random.default_rng(7)
    base = np.tanh(rng.standard_normal((60, 40))).astype(np.float32)
    snaps = np.stack([base[rng.integers(0, 60, 500)] for _ in range(3)])
    labels = rng.integers(0, 2, 500)
    ixt, ity = Binning().plane_many(snaps, labels)
    for s in range(3):
        ref = _ref_plane(np.digitize(snaps[s], _ref_edges()), labels)
        assert (ixt[s], ity[s]) == pytest.approx(ref, abs=1e-12)


def test_plane_many_with_many_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bm, "_CHUNK_ROWS", 64)
    snaps = np.stack([_tanh_layer(n=50, d=3, seed=s) for s in range(7)])
    labels = np.arange(50) % 2
    ixt, ity = Binning().plane_many(snaps, labels)
    loop = np.array([_ref_plane(np.digitize(s, _ref_edges()), labels) for s in snaps])
    np.testing.assert_allclose(np.stack([ixt, ity], 1), loop, atol=1e-12)
    snaps[5, 3, 1] = np.inf                      # found in a later chunk, right index
    with pytest.raises(ValueError, match=r"`snapshots\[5\]` must be finite"):
        Binning().plane_many(snaps, labels)


def test_results_are_not_overwritten_by_later_calls() -> None:
    b = Binning()
    t1, t2 = _tanh_layer(seed=8), _tanh_layer(seed=9) * 0.1
    codes1 = b.digitize(t1)
    keep = codes1.copy()
    ixt1, _ = b.plane_many([t1, t1], np.arange(t1.shape[0]) % 2)
    keep_ixt = ixt1.copy()
    b.digitize(t2)
    b.plane_many([t2, t2], np.arange(t1.shape[0]) % 2)
    np.testing.assert_array_equal(codes1, keep)
    np.testing.assert_array_equal(ixt1, keep_ixt)


def test_plane_many_details_fields_and_indexing() -> None:
    snaps = [np.linspace(-0.9, 0.9, 16)[:, None], np.zeros((16, 1))]
    res = Binning(unit="bits").plane_many_details(snaps, np.arange(16) % 2)
    assert isinstance(res, BinningResults) and len(res) == 2
    assert res.n_patterns.tolist() == [16, 1]
    assert res.saturated.tolist() == [True, False]
    assert res.ceiling == pytest.approx(4.0) and res.h_y == pytest.approx(1.0)
    one = res[0]
    assert isinstance(one, BinningResult)
    assert (one.ixt, one.ity, one.n_samples, one.unit) == (pytest.approx(4.0),
                                                           pytest.approx(1.0), 16, "bits")


# ------------------------------------------------------------------- ceiling and warnings
def test_saturation_warning_and_flag() -> None:
    t = np.linspace(-0.95, 0.95, 29)[:, None]   # one value per bin: every row distinct
    with pytest.warns(UserWarning, match=r"at its ceiling log N = 4\.858 bits") as rec:
        res = Binning(unit="bits").plane_details(t, np.arange(29) % 2)
    assert res.saturated and res.ixt == pytest.approx(math.log2(29))
    assert rec[0].filename == __file__          # points at the caller
    with pytest.warns(UserWarning, match=r"in 2 of 3 snapshots"):
        Binning().plane_many([t, t, np.zeros_like(t)], np.arange(29) % 2)


def test_most_bins_empty_warning() -> None:
    t = np.random.default_rng(10).uniform(0.0, 0.1, (200, 2))   # 2 of 29 bins
    with pytest.warns(UserWarning, match="Most bins are empty"):
        res = Binning().plane_details(t, np.arange(200) % 2)
    assert res.occupancy == pytest.approx(2 / 29)
    assert not res.out_of_bounds


def test_no_warning_for_a_spread_unsaturated_layer() -> None:
    t = np.random.default_rng(11).uniform(-1, 1, (3000, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = Binning().plane_details(t, np.arange(3000) % 2)
    assert not res.saturated and res.occupancy == 1.0 and not res.out_of_bounds


def test_single_row() -> None:
    res = Binning().plane_details([[0.3, 0.2]], [1])
    assert (res.ixt, res.ity, res.ceiling, res.saturated) == (0.0, 0.0, 0.0, False)


# ------------------------------------------------------------------------- Miller–Madow
def test_miller_madow_terms() -> None:
    t = _tanh_layer(n=400, d=2, seed=12) * 0.3
    labels = np.arange(400) % 3
    plain = Binning().plane_details(t, labels)
    mm = Binning(miller_madow=True).plane_details(t, labels)
    codes = joint_codes(np.digitize(t, _ref_edges()))
    k_t, k_ty = len(np.unique(codes)), len(np.unique(codes * 3 + labels))
    assert mm.ixt == pytest.approx(plain.ixt + (k_t - 1) / 800, abs=1e-12)
    assert mm.ixt == pytest.approx(miller_madow(codes), abs=1e-12)
    assert mm.ity == pytest.approx(plain.ity + (k_t + 3 - k_ty - 1) / 800, abs=1e-12)
    # estimate: MM(X) + MM(Y) - MM(X, Y)
    x = np.random.default_rng(13).integers(0, 4, 300)
    y = (x + np.random.default_rng(14).integers(0, 2, 300)) % 4
    ref = miller_madow(x) + miller_madow(y) - miller_madow(np.stack([x, y], 1))
    assert Binning(miller_madow=True).estimate(x, y) == pytest.approx(ref, abs=1e-12)


# ------------------------------------------------------------------ bias corrections
def _rows_entropy(rows: np.ndarray) -> float:
    """Plug-in entropy (nats) of the distinct rows, by np.unique (independent of both
    binning.py and discrete.py)."""
    _, counts = np.unique(rows.reshape(len(rows), -1), axis=0, return_counts=True)
    p = counts / counts.sum()
    return float(-np.sum(p * np.log(p)))


@pytest.mark.parametrize("correction", CORRECTIONS)
def test_corrections_in_plane_and_plane_many_match_discrete(correction: str) -> None:
    t = _tanh_layer(n=300, d=3, seed=21) * 0.5
    labels = np.random.default_rng(22).integers(0, 3, 300)
    codes = joint_codes(np.digitize(t, _ref_edges()))
    b = Binning(correction=correction)
    ixt, ity = b.plane(t, labels)
    assert ixt == pytest.approx(entropy(codes, correction=correction), abs=1e-12)
    assert ity == pytest.approx(mutual_information(codes, labels, correction=correction),
                                abs=1e-12)
    snaps = np.stack([t, t * 0.2, np.roll(t, 7, axis=0)])
    many = b.plane_many(snaps, labels)
    loop = np.array([b.plane(s, labels) for s in snaps])
    np.testing.assert_allclose(many[0], loop[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(many[1], loop[:, 1], rtol=0, atol=1e-12)
    x = np.random.default_rng(23).integers(0, 5, 300)
    assert b.estimate(t, x) == pytest.approx(
        mutual_information(codes, x, correction=correction), abs=1e-12)


def test_corrections_reduce_the_bias_of_an_undersampled_layer() -> None:
    # 2 units, 29 bins each, uniform over 841 patterns; N = 200 rows: H(T) = log 841
    rng = np.random.default_rng(24)
    centers = -1.0 + (np.arange(29) + 0.5) * (2.0 / 29.0)
    truth = math.log(29 * 29)
    err: dict[str, list[float]] = {c: [] for c in ("plugin", "grassberger", "chao_shen")}
    for _ in range(20):
        t = centers[rng.integers(0, 29, (200, 2))]
        for c in err:
            err[c].append(Binning(correction=c).estimate(t, np.arange(200)) - truth)
    assert np.mean(err["plugin"]) < -1.0
    assert abs(np.mean(err["grassberger"])) < abs(np.mean(err["plugin"])) / 2
    assert abs(np.mean(err["chao_shen"])) < abs(np.mean(err["plugin"])) / 2


def test_miller_madow_flag_is_an_alias_of_the_correction() -> None:
    a, b = Binning(miller_madow=True), Binning(correction="miller_madow")
    assert a == b and hash(a) == hash(b)
    assert a.correction == "miller_madow" and b.miller_madow is True
    assert Binning().miller_madow is False and Binning().correction == "plugin"
    assert Binning(correction="nsb").miller_madow is False
    with pytest.raises(ValueError, match=r"`miller_madow` must be False when "
                                         r"correction='grassberger'"):
        Binning(miller_madow=True, correction="grassberger")
    with pytest.raises(ValueError, match=r"`correction` must be one of 'plugin'"):
        Binning(correction="bias")


# ------------------------------------------------------------------ generic discrete path
def test_generic_path_one_label_per_row_equals_h_t() -> None:
    # the case: 4096 rows of a 10-unit tanh layer, I(X;T) as estimate(t, arange(N))
    t = np.tanh(np.random.default_rng(25).standard_normal((4096, 10)))
    codes = np.digitize(t, _ref_edges())
    h_t = _rows_entropy(codes)
    b = Binning()
    assert b.estimate(t, np.arange(4096)) == pytest.approx(h_t, abs=1e-12)
    assert b.estimate(np.arange(4096), t) == pytest.approx(h_t, abs=1e-12)
    assert mutual_information(codes, np.arange(4096)) == pytest.approx(h_t, abs=1e-12)
    labels = np.random.default_rng(26).integers(0, 7, 4096)
    ref = h_t + _rows_entropy(labels) - _rows_entropy(np.column_stack([codes, labels]))
    assert b.estimate(t, labels) == pytest.approx(ref, abs=1e-12)
    assert b.estimate(t, labels + 10**12) == pytest.approx(ref, abs=1e-12)  # sparse labels
    # with one label per row H(T,Y) is the entropy of N singletons, for every correction
    small = t[:500] * 0.1
    small_codes = joint_codes(np.digitize(small, _ref_edges()))
    for c in CORRECTIONS:
        bc = Binning(correction=c)
        assert bc.estimate(small, np.arange(500)) == pytest.approx(
            entropy(small_codes, correction=c), abs=1e-12), c
        ixt, ity = bc.plane_many(np.stack([small, small * 3]), np.arange(500))
        assert ity[0] == pytest.approx(ixt[0], abs=1e-12) and ixt[0] == pytest.approx(
            entropy(small_codes, correction=c), abs=1e-12), c
    yf = (np.arange(4096) % 13) / 13.0 - 0.5                 # real y: binned on its own
    cy = np.digitize(yf, _ref_edges().astype(np.float64))
    ref = h_t + _rows_entropy(cy) - _rows_entropy(np.column_stack([codes, cy]))
    assert b.estimate(t, yf) == pytest.approx(ref, abs=1e-12)


def test_prepared_codes_reproduce_estimate() -> None:
    # the uncertainty module resamples the prepared rows: they must be the binned codes
    t = _tanh_layer(n=200, d=2, seed=27, dtype=np.float64)
    labels = np.arange(200) % 4
    b = Binning(mode="adaptive")
    xs, ys = b._prepare(t, labels)
    assert xs.dtype == np.int64 and xs.shape == (200,) and ys.shape == (200,)
    assert b._estimate_nats(xs, ys) == pytest.approx(b.estimate(t, labels), abs=1e-12)
    assert b._estimate_nats(xs[::-1], ys[::-1]) == pytest.approx(b.estimate(t, labels),
                                                                 abs=1e-12)


# ------------------------------------------------------------------------- conditional MI
def _cmi_table(t: np.ndarray) -> float:
    """Σ p(x,y,z) log[p(z) p(x,y,z) / (p(x,z) p(y,z))] of a count table (axes x, y, z)."""
    p = t / t.sum()
    pz, pxz, pyz = p.sum(axis=(0, 1)), p.sum(axis=1), p.sum(axis=0)
    return float(sum(p[i, j, k] * math.log(pz[k] * p[i, j, k] / (pxz[i, k] * pyz[j, k]))
                     for i, j, k in zip(*np.nonzero(p), strict=True)))


def test_conditional_mi_on_exact_tables() -> None:
    assert Binning.has_conditional
    x = np.repeat([0, 0, 1, 1], 10)
    y = np.repeat([0, 1, 0, 1], 10)
    z = x ^ y
    b = Binning(unit="bits")
    assert b.estimate(x, y) == pytest.approx(0.0, abs=1e-15)
    assert b.estimate_conditional(x, y, z) == pytest.approx(1.0, abs=1e-14)
    # real values are binned (default edges on [-1, 1]); labels as floats would be binned too
    xf, yf, zf = (np.where(v == 1, 0.5, -0.5) for v in (x, y, z))
    assert b.estimate_conditional(xf, yf, zf) == pytest.approx(1.0, abs=1e-14)
    assert b.estimate_conditional(x, y, zf) == pytest.approx(1.0, abs=1e-14)
    assert b.estimate_conditional(x, y, np.array(["u", "v"])[z]) == pytest.approx(1.0,
                                                                                abs=1e-14)
    # a Markov chain X -> Z -> Y with exact counts: I(X;Y|Z) = 0 although I(X;Y) > 0
    table = 240 * (np.array([0.5, 0.5])[:, None, None]
                   * (np.array([[3, 1], [1, 3]]) / 4)[:, None, :]
                   * (np.array([[1, 2], [2, 1]]) / 3).T[None, :, :])
    idx = np.indices(table.shape).reshape(3, -1)
    xs, ys, zs = (np.repeat(i, np.round(table).ravel().astype(int)) for i in idx)
    assert b.estimate_conditional(xs, ys, zs) == pytest.approx(0.0, abs=1e-13)
    assert b.estimate(xs, ys) > 1e-3
    # a random 3 x 2 x 4 table against the explicit sum
    t = np.random.default_rng(28).integers(1, 9, size=(3, 2, 4)).astype(float)
    idx = np.indices(t.shape).reshape(3, -1)
    a, c, d = (np.repeat(i, t.ravel().astype(int)) for i in idx)
    assert Binning().estimate_conditional(a, c, d) == pytest.approx(_cmi_table(t), abs=1e-12)


@pytest.mark.parametrize("correction", CORRECTIONS)
def test_conditional_mi_corrections_match_discrete(correction: str) -> None:
    rng = np.random.default_rng(29)
    z = rng.integers(0, 4, 400)
    x = (z + rng.integers(0, 3, 400)) % 5
    y = (z + rng.integers(0, 2, 400)) % 4
    t = np.tanh(0.3 * x[:, None] + 0.05 * rng.standard_normal((400, 1)))
    codes = np.digitize(t, _ref_edges())
    got = Binning(correction=correction).estimate_conditional(t, y, z)
    assert got == pytest.approx(conditional_mutual_information(codes, y, z,
                                                               correction=correction),
                                abs=1e-12)


def test_conditional_mi_errors() -> None:
    b = Binning()
    with pytest.raises(ValueError, match=r"`z` must have the same number of samples as `x` "
                                         r"\(4\), got 3"):
        b.estimate_conditional([0, 1, 0, 1], [0, 1, 1, 0], [0, 1, 0])
    with pytest.raises(ValueError, match=r"`z` must have the same number of samples as `x`"):
        b.estimate_conditional([0, 1, 0, 1], [0, 1, 1, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"`z` must be finite"):
        b.estimate_conditional([0, 1, 0, 1], [0, 1, 1, 0], [0.1, 0.2, np.nan, 0.3])


# ----------------------------------------------------------------------------- estimate
def test_estimate_codes_and_binned_floats() -> None:
    rng = np.random.default_rng(15)
    x = rng.integers(0, 5, 500)
    y = (x > 2).astype(np.int64)
    b = Binning(unit="bits")
    assert b.estimate(x, y) == pytest.approx(entropy(y, unit="bits"), abs=1e-12)
    assert b.estimate(x, x) == pytest.approx(entropy(x, unit="bits"), abs=1e-12)
    assert b.estimate(np.array(["a", "b"])[y], y) == pytest.approx(b.estimate(y, y))
    t = _tanh_layer(n=500, d=2, seed=16, dtype=np.float64)
    ref = mutual_information(joint_codes(np.digitize(t, _ref_edges())), x, unit="bits")
    assert b.estimate(t, x) == pytest.approx(ref, abs=1e-12)
    assert b.estimate(x, t) == pytest.approx(ref, abs=1e-12)
    assert b._estimate_nats(t, x) == pytest.approx(ref * LN2, abs=1e-12)
    many = b.estimate_many([t, t[::-1]], x)
    assert many.shape == (2,) and many[0] == pytest.approx(ref, abs=1e-12)


# ------------------------------------------------------------------------- 12-bit data set
@pytest.fixture
def var_u() -> tuple[np.ndarray, np.ndarray]:
    if not VAR_U.exists():
        pytest.skip(f"reference data {VAR_U} not available")
    from scipy.io import loadmat
    data = loadmat(VAR_U)
    return data["F"], data["y"].ravel()


def test_var_u_injective_layers_give_12_bits_and_h_y(var_u) -> None:  # type: ignore[no-untyped-def]
    f, y = var_u
    assert f.shape == (4096, 12) and y.shape == (4096,)
    b = Binning(unit="bits")
    ixt, ity = b.plane(f.astype(np.float64), y)            # 0 and 1 fall in distinct bins
    assert ixt == pytest.approx(12.0, abs=1e-12)
    assert ity == pytest.approx(H_Y_VAR_U, abs=1e-5)
    # a random unimodular (integer, invertible) map: distinct integer rows, bin width 1
    rng = np.random.default_rng(0)
    a = np.eye(12, dtype=np.int64) + np.triu(rng.integers(-2, 3, (12, 12)), 1)
    t = (2.0 * f - 1.0) @ a[rng.permutation(12)].T
    res = Binning(mode="width", bin_width=1.0, unit="bits").plane_details(t, y)
    assert res.ixt == pytest.approx(12.0, abs=1e-12) and res.saturated
    assert res.ity == pytest.approx(H_Y_VAR_U, abs=1e-5)
    # labels alone: I(Y;Y) = H(Y), and as a 1-unit code layer I(X;T) = I(T;Y) = H(Y)
    assert b.estimate(y, y) == pytest.approx(H_Y_VAR_U, abs=1e-5)
    assert b.plane(y, y) == pytest.approx((H_Y_VAR_U, H_Y_VAR_U), abs=1e-5)


def test_var_u_batched_tanh_layers_match_reference(var_u) -> None:  # type: ignore[no-untyped-def]
    f, y = var_u
    rng = np.random.default_rng(1)
    x = 2.0 * f.astype(np.float32) - 1.0
    snaps = np.stack([np.tanh(x @ (g * rng.standard_normal((12, 5)).astype(np.float32)))
                      for g in (0.05, 0.3, 1.0, 3.0)])
    ixt, ity = Binning(unit="bits").plane_many(snaps, y)
    for s in range(4):
        h, i = _ref_plane(np.digitize(snaps[s], _ref_edges()), y)
        assert ixt[s] == pytest.approx(h / LN2, abs=1e-12)
        assert ity[s] == pytest.approx(i / LN2, abs=1e-12)
    assert np.all(ity <= H_Y_VAR_U + 1e-9) and np.all(ixt <= 12.0 + 1e-12)


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    ({"mode": "bins"}, ValueError, r"`mode` must be one of 'edges', 'width'"),
    ({"n_bins": 1}, ValueError, r"`n_bins` must be an integer >= 2, got 1"),
    ({"n_bins": 2.5}, TypeError, r"`n_bins` must be an integer"),
    ({"bounds": (1.0, -1.0)}, ValueError, r"`bounds` must be \(lo, hi\) with lo < hi"),
    ({"bounds": (0.0,)}, ValueError, r"`bounds` must be a pair \(lo, hi\)"),
    ({"bounds": (0.0, np.inf)}, ValueError, r"`bounds\[1\]` must be a finite number"),
    ({"bounds": (1e6, 1e6 + 1.0)}, ValueError, r"`bounds` must be wide enough for float32"),
    ({"mode": "width"}, ValueError, r"`bin_width` must be a positive number when"),
    ({"mode": "width", "bin_width": 0.0}, ValueError, r"`bin_width` must be > 0"),
    ({"bin_width": 0.1}, ValueError, r"`bin_width` must be None when mode='edges'"),
    ({"miller_madow": 1}, TypeError, r"`miller_madow` must be True or False"),
    ({"unit": "nat"}, ValueError, r"`unit` must be 'nats' or 'bits'"),
])
def test_option_errors(kwargs: dict, exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        Binning(**kwargs)


def test_input_errors() -> None:
    b = Binning()
    t = np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"`t` must be finite \(no NaN or inf\)"):
        b.plane(np.array([[np.nan, 0.0]] * 4, dtype=np.float32), [0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"`t` must be finite"):
        b.plane([[np.inf, 0.0]] * 4, [0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"`labels` must have one label per row of `t` \(4\)"):
        b.plane(t, [0, 1])
    with pytest.raises(ValueError, match=r"`labels` must be integer labels"):
        b.plane(t, [0.5, 1, 0, 1])
    with pytest.raises(ValueError, match=r"`t` must be non-empty"):
        b.plane(np.zeros((0, 2)), [])
    with pytest.raises(ValueError, match=r"`snapshots\[1\]` must be finite"):
        b.plane_many(np.stack([t, t + np.nan]), [0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"`snapshots\[2\]` must be finite"):
        b.plane_many([t, t, t + np.nan], [0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"`snapshots\[2\]` must be finite"):
        b.plane_many([t, t, (t + np.nan).astype(np.float32)], [0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"`snapshots` must all have the same shape"):
        b.plane_many([t, np.zeros((4, 3))], [0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"`snapshots` must be a non-empty sequence"):
        b.plane_many([], [0, 1])
    with pytest.raises(ValueError, match=r"`labels` must have one label per row of "
                                         r"`snapshots` \(4\)"):
        b.plane_many(np.stack([t, t]), [0, 1, 0])
    with pytest.raises(ValueError, match=r"`y` must have the same number of samples as `x`"):
        b.estimate(t, [0, 1])
    with pytest.raises(TypeError, match=r"`snapshots` must be an array of real numbers"):
        b.plane_many(np.zeros((2, 4, 2), dtype=complex), [0, 1, 0, 1])


def test_other_dtypes_are_accepted() -> None:
    t = _tanh_layer(n=100, d=2, seed=17)
    labels = np.arange(100) % 2
    ref = Binning().plane(t, labels)
    half = t.astype(np.float16)
    ixt, ity = Binning().plane_many(half[None], labels)
    assert (ixt[0], ity[0]) == pytest.approx(
        _ref_plane(np.digitize(half.astype(np.float64), _ref_edges()), labels), abs=1e-12)
    assert Binning().plane(t.tolist(), labels) == pytest.approx(ref, abs=1e-12)
    assert Binning().plane(t, np.array(["a", "b"])[labels]) == pytest.approx(ref, abs=1e-12)
    assert Binning().plane(t, labels + 1000) == pytest.approx(ref, abs=1e-12)
    assert Binning().plane(t, labels.astype(float)) == pytest.approx(ref, abs=1e-12)


def test_estimator_is_frozen_and_hashable() -> None:
    b = Binning(bounds=[0, 2])
    assert b.bounds == (0.0, 2.0)
    assert hash(b) == hash(Binning(bounds=(0.0, 2.0)))
    with pytest.raises(AttributeError):
        b.n_bins = 3


def test_doctests() -> None:
    result = doctest.testmod(bm, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
