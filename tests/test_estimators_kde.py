"""KDE (Kolchinsky–Tracey pairwise-distance) bounds: truths, the chunked kernel, the protocol."""

from __future__ import annotations

import doctest
import itertools
import math

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from scipy.special import logsumexp

from infoplane.estimators import kde as kde_module
from infoplane.estimators.kde import KDE, KDEResult
from infoplane.samplers import gaussian_mixture_entropy


def direct_bounds(t: np.ndarray, labels: np.ndarray, noise_var: float) -> np.ndarray:
    """The pairwise formula with full matrices, each bound and each class separately.

    Returns [ixt_upper, ixt_lower, ity_upper, ity_lower] in nats.
    """
    t = np.asarray(t, dtype=np.float64).reshape(len(t), -1)
    d = t.shape[1]
    h_comp = 0.5 * d * np.log(2 * np.pi * np.e * noise_var)

    def entropy(x: np.ndarray, div: float) -> float:
        dist = cdist(x, x, "sqeuclidean")
        return h_comp - float(np.mean(logsumexp(-dist / div, axis=1) - np.log(len(x))))

    out = []
    for div in (2 * noise_var, 8 * noise_var):  # KL (upper), Bhattacharyya (lower)
        h = entropy(t, div)
        h_cond = sum(np.mean(labels == c) * entropy(t[labels == c], div)
                     for c in np.unique(labels))
        out.append((h - h_comp, h - h_cond))
    return np.array([out[0][0], out[1][0], out[0][1], out[1][1]])


def as_array(r: KDEResult) -> np.ndarray:
    return np.array([r.ixt_upper, r.ixt_lower, r.ity_upper, r.ity_lower])


# ------------------------------------------------------------------------------- truths

@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("noise_var", [0.02, 0.3, 3.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_bounds_bracket_the_true_mixture_entropy(d: int, noise_var: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0.0, 3.0, size=(7, d))
    h_true = gaussian_mixture_entropy(centres, noise_var)
    i_true = h_true - 0.5 * d * np.log(2 * np.pi * np.e * noise_var)  # H(T+Z) − H(T+Z|X)
    r = KDE(noise_var=noise_var).bounds(centres, np.zeros(7, dtype=int))
    assert r.ixt_lower - 1e-9 <= i_true <= r.ixt_upper + 1e-9
    assert 0.0 <= r.ixt_lower <= r.ixt_upper <= np.log(7) + 1e-12


def test_bracket_is_informative_at_moderate_overlap() -> None:
    centres = np.array([[0.0], [0.5], [1.0], [2.5], [2.6]])
    i_true = gaussian_mixture_entropy(centres, 0.1) - 0.5 * np.log(2 * np.pi * np.e * 0.1)
    r = KDE(noise_var=0.1).bounds(centres, np.zeros(5, dtype=int))
    assert r.ixt_lower < i_true < r.ixt_upper
    assert r.ixt_upper - r.ixt_lower < 0.5


def test_identical_rows_carry_no_information() -> None:
    t = np.tile([[0.3, -2.0, 5.0]], (50, 1))
    labels = np.arange(50) % 3
    r = KDE(noise_var=0.01).bounds(t, labels)
    np.testing.assert_allclose(as_array(r), 0.0, atol=1e-14)


def test_well_separated_rows_give_log_n() -> None:
    t = 100.0 * np.arange(40, dtype=np.float64)[:, None] * np.ones((1, 2))
    r = KDE(noise_var=0.1).bounds(t, np.zeros(40, dtype=int))
    np.testing.assert_allclose([r.ixt_upper, r.ixt_lower], np.log(40), atol=1e-12)


def test_well_separated_classes_give_label_entropy() -> None:
    rng = np.random.default_rng(3)
    labels = np.repeat([0, 1, 2], [10, 25, 5])
    t = 50.0 * labels[:, None] + 0.1 * rng.standard_normal((40, 3))
    p = np.array([10, 25, 5]) / 40
    h_y = -np.sum(p * np.log(p))
    r = KDE(noise_var=0.5).bounds(t, labels)
    np.testing.assert_allclose([r.ity_upper, r.ity_lower], h_y, atol=1e-12)


def test_all_distinct_labels_make_ity_equal_ixt() -> None:
    # Y = X (the row identity): I(T+Z; Y) is I(X; T+Z) by the same formula.
    t = np.random.default_rng(4).standard_normal((60, 2))
    r = KDE(noise_var=0.2).bounds(t, np.arange(60))
    np.testing.assert_allclose([r.ity_upper, r.ity_lower], [r.ixt_upper, r.ixt_lower],
                               atol=1e-12)
    assert KDE(noise_var=0.2).estimate(t, np.arange(60)) == pytest.approx(r.ixt_upper, abs=1e-12)


def test_upper_is_above_lower_and_both_in_range() -> None:
    rng = np.random.default_rng(5)
    for _ in range(10):
        n, d = rng.integers(2, 80), rng.integers(1, 6)
        t = rng.standard_normal((n, d)) * rng.uniform(0.1, 3)
        r = KDE(noise_var=float(rng.uniform(0.01, 2))).bounds(t, rng.integers(0, 3, n))
        assert 0.0 <= r.ixt_lower <= r.ixt_upper <= np.log(n) + 1e-12


def test_information_decreases_with_noise() -> None:
    t = np.random.default_rng(6).standard_normal((100, 3))
    vals = [KDE(noise_var=v).bounds(t, np.zeros(100, dtype=int)).ixt_upper
            for v in (0.01, 0.1, 1.0, 10.0)]
    assert all(a > b for a, b in itertools.pairwise(vals))


# ------------------------------------------------------------------- the chunked kernel

@pytest.mark.parametrize("backend", ["torch", "numpy"])
@pytest.mark.parametrize("chunk_size", [1, 7, 40, 64, 8192])
@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_chunked_equals_unchunked_formula(chunk_size: int, n_threads: int, backend: str) -> None:
    rng = np.random.default_rng(7)
    n = 101 if chunk_size > 1 else 23  # 1-row blocks: N²/2 tiny blocks, keep N small
    t = rng.standard_normal((n, 4)) + 10.0  # off-centre, as activations are
    labels = rng.integers(0, 4, n)
    ref = direct_bounds(t, labels, 0.3)
    got = KDE(noise_var=0.3, chunk_size=chunk_size, n_threads=n_threads,
              backend=backend).bounds(t, labels)  # type: ignore[arg-type]
    np.testing.assert_allclose(as_array(got), ref, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("chunk_size", [96, 300])  # 300: diagonal blocks split in half
@pytest.mark.parametrize("backend", ["torch", "numpy"])
def test_float64_equals_full_matrix_logsumexp_on_a_layer(backend: str, chunk_size: int) -> None:
    # A tanh layer of 10 units, 10 classes, several blocks: the full-matrix formula (scipy
    # cdist + logsumexp, each bound and each class separately) to 1e-10 relative.
    rng = np.random.default_rng(21)
    x = rng.standard_normal((700, 12))
    t = np.tanh(x @ rng.standard_normal((12, 10)) * 0.45)
    labels = np.argmax(x @ rng.standard_normal((12, 10)), axis=1)
    ref = direct_bounds(t, labels, 0.1)
    got = KDE(noise_var=0.1, chunk_size=chunk_size,
              backend=backend).bounds(t, labels)  # type: ignore[arg-type]
    np.testing.assert_allclose(as_array(got), ref, rtol=1e-10, atol=0)


@pytest.mark.parametrize("chunk_size", [5, 32, 1000])
@pytest.mark.parametrize("backend", ["torch", "numpy"])
def test_label_group_sharing_equals_per_group_computation(chunk_size: int, backend: str) -> None:
    # Many classes of uneven size (singletons, classes spanning several blocks), string labels.
    rng = np.random.default_rng(8)
    sizes = [1, 1, 3, 40, 2, 90, 1, 17, 5]
    codes = np.repeat(np.arange(len(sizes)), sizes)
    rng.shuffle(codes)
    labels = np.array([f"class-{c}" for c in codes])
    t = rng.standard_normal((codes.size, 2)) + 0.7 * codes[:, None]
    ref = direct_bounds(t, codes, 0.25)
    got = KDE(noise_var=0.25, chunk_size=chunk_size,
              backend=backend).bounds(t, labels)  # type: ignore[arg-type]
    np.testing.assert_allclose(as_array(got), ref, rtol=0, atol=1e-10)


@pytest.mark.parametrize("backend", ["torch", "numpy"])
def test_kernel_sums_match_their_definition(backend: str) -> None:
    rng = np.random.default_rng(9)
    codes = np.sort(rng.integers(0, 3, 50))
    t = rng.standard_normal((50, 3))
    sums = kde_module.pairwise_kernel_sums(t, codes, noise_var=0.4, chunk_size=8,
                                           backend=backend)  # type: ignore[arg-type]
    dist = cdist(t, t, "sqeuclidean")
    same = codes[:, None] == codes[None, :]
    for row, div in ((0, 8 * 0.4), (2, 2 * 0.4)):
        k = np.exp(-dist / div)
        np.testing.assert_allclose(sums[row], k.sum(axis=1), rtol=1e-12)
        np.testing.assert_allclose(sums[row + 1], (k * same).sum(axis=1), rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("backend", ["torch", "numpy"])
def test_far_apart_points_do_not_underflow(backend: str, dtype: str) -> None:
    # Distances of 1e6 σ: every cross term is below the exponent floor, results stay exact.
    t = 1e4 * np.arange(6, dtype=np.float64)[:, None]
    r = KDE(noise_var=1e-4, chunk_size=2, backend=backend,  # type: ignore[arg-type]
            dtype=dtype).bounds(t, [0, 0, 0, 1, 1, 1])  # type: ignore[arg-type]
    np.testing.assert_allclose(as_array(r), [np.log(6), np.log(6), np.log(2), np.log(2)],
                               atol=1e-12)


def test_floor_band_matches_direct_formula() -> None:
    # Squared distances straddling the exponent floor (D/8σ² from 0 to ~400): blocks where
    # the clamp is needed and blocks where the norm bound lets it be skipped, both exact.
    t = np.r_[np.zeros((20, 1)), 0.3 * np.arange(1, 41)[:, None]]
    labels = np.arange(60) % 2
    ref = direct_bounds(t, labels, 1e-3)
    for cs in (7, 60):
        got = KDE(noise_var=1e-3, chunk_size=cs).bounds(t, labels)
        np.testing.assert_allclose(as_array(got), ref, rtol=1e-10, atol=1e-13)


def test_backends_agree() -> None:
    rng = np.random.default_rng(22)
    t = rng.standard_normal((300, 6))
    labels = rng.integers(0, 5, 300)
    a = as_array(KDE(chunk_size=50).bounds(t, labels))
    b = as_array(KDE(chunk_size=50, backend="numpy").bounds(t, labels))
    np.testing.assert_allclose(a, b, rtol=1e-13)


def test_torch_thread_count_is_restored() -> None:
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    KDE(chunk_size=16).bounds(np.random.default_rng(0).standard_normal((64, 2)), np.zeros(64))
    assert torch.get_num_threads() == before


# ------------------------------------------------------------------------- float32 path

def float32_error_bound(t: np.ndarray, noise_var: float, chunk_size: int) -> float:
    """Worst-case |float32 − float64| for any of the four values, in nats (derivation in the
    ``KDE`` docstring): 2·(4·(d+4)·4·u·Q + (log2(chunk) + 8)·u), u = 2⁻²⁴,
    Q = max_i ‖t_i − t̄‖² / (8σ²)."""
    u = 2.0 ** -24
    d = t.shape[1]
    z = (t - t.mean(axis=0)) / np.sqrt(8 * noise_var)
    q = float(np.max(np.sum(z * z, axis=1)))
    return 2 * (16 * (d + 4) * u * q + (np.log2(chunk_size) + 8) * u)


@pytest.mark.parametrize("backend", ["torch", "numpy"])
@pytest.mark.parametrize(("noise_var", "offset"), [(0.1, 0.0), (1.0, 0.0), (0.01, 3.0)])
def test_float32_error_within_derived_bound(backend: str, noise_var: float,
                                            offset: float) -> None:
    rng = np.random.default_rng(23)
    x = rng.standard_normal((900, 12))
    t = np.tanh(x @ rng.standard_normal((12, 10)) * 0.45) + offset
    labels = np.argmax(x @ rng.standard_normal((12, 4)), axis=1)
    ref = as_array(KDE(noise_var=noise_var, chunk_size=128).bounds(t, labels))
    got = as_array(KDE(noise_var=noise_var, chunk_size=128, dtype="float32",
                       backend=backend).bounds(t, labels))  # type: ignore[arg-type]
    err = float(np.max(np.abs(got - ref)))
    assert err <= float32_error_bound(t, noise_var, 128)
    # Measured, not derived: on such layers the error is ~1e-7 nats (the worst-case bound
    # above is ~1e-4); 2e-6 catches a float32 accumulation across blocks (errors ~1e-5).
    assert err <= 2e-6
    assert err > 0.0  # it really ran in float32


def test_float32_error_grows_with_distance_from_the_mean() -> None:
    # Two tight clusters far apart: Q ~ 1e4, the Gram trick cancels ~4 digits in float32.
    rng = np.random.default_rng(24)
    labels = rng.integers(0, 2, 600)
    t = (2 * labels[:, None] - 1) * 30.0 + 0.3 * rng.standard_normal((600, 4))
    ref = as_array(KDE(noise_var=0.1).bounds(t, labels))
    got = as_array(KDE(noise_var=0.1, dtype="float32").bounds(t, labels))
    err = float(np.max(np.abs(got - ref)))
    assert 1e-7 < err <= float32_error_bound(t, 0.1, 512)


def test_deterministic_and_permutation_invariant() -> None:
    rng = np.random.default_rng(10)
    t = rng.standard_normal((200, 3))
    labels = rng.integers(0, 3, 200)
    est = KDE(noise_var=0.2, chunk_size=32)
    a = as_array(est.bounds(t, labels))
    assert np.array_equal(a, as_array(est.bounds(t, labels)))
    perm = rng.permutation(200)
    np.testing.assert_allclose(as_array(est.bounds(t[perm], labels[perm])), a, atol=1e-12)


def test_single_row() -> None:
    r = KDE().bounds(np.array([[1.0, 2.0]]), [0])
    assert as_array(r).tolist() == [0.0, 0.0, 0.0, 0.0]


# --------------------------------------------------------------------------- protocol

def test_plane_selects_the_bound() -> None:
    rng = np.random.default_rng(11)
    t = rng.standard_normal((80, 2))
    labels = rng.integers(0, 2, 80)
    r = KDE(noise_var=0.3).bounds(t, labels)
    assert KDE(noise_var=0.3).plane(t, labels) == pytest.approx((r.ixt_upper, r.ity_upper))
    assert KDE(noise_var=0.3, bound="lower").plane(t, labels) == \
        pytest.approx((r.ixt_lower, r.ity_lower))
    mid = ((r.ixt_upper + r.ixt_lower) / 2, (r.ity_upper + r.ity_lower) / 2)
    assert KDE(noise_var=0.3, bound="both").plane(t, labels) == pytest.approx(mid)
    assert KDE(noise_var=0.3, bound="lower").estimate(t, labels) == pytest.approx(r.ity_lower)
    assert KDE.y_discrete


def test_many_snapshots_match_single_calls() -> None:
    rng = np.random.default_rng(12)
    snaps = [rng.standard_normal((40, 3)) * s for s in (0.1, 1.0, 5.0)]
    labels = rng.integers(0, 2, 40)
    est = KDE(noise_var=0.2, bound="lower")
    ixt, ity = est.plane_many(snaps, labels)
    singles = np.array([est.plane(s, labels) for s in snaps])
    np.testing.assert_allclose(ixt, singles[:, 0], atol=1e-13)
    np.testing.assert_allclose(ity, singles[:, 1], atol=1e-13)
    rs = est.bounds_many(snaps, labels)
    np.testing.assert_allclose([r.ixt_lower for r in rs], ixt, atol=1e-13)
    with pytest.raises(ValueError, match=r"`snapshots\[1\]` must have one row per label"):
        est.plane_many([snaps[0], snaps[1][:-1]], labels)


def test_units() -> None:
    rng = np.random.default_rng(13)
    t = rng.standard_normal((70, 2))
    labels = rng.integers(0, 3, 70)
    nats = as_array(KDE().bounds(t, labels))
    bits = KDE(unit="bits").bounds(t, labels)
    assert bits.unit == "bits"
    np.testing.assert_allclose(as_array(bits), nats / math.log(2), rtol=1e-14)
    assert KDE(unit="bits").plane(t, labels) == pytest.approx(tuple(nats[[0, 2]] / math.log(2)))


def test_result_pair() -> None:
    r = KDEResult(ixt_upper=2.0, ixt_lower=1.0, ity_upper=0.3, ity_lower=0.5)
    assert r.pair() == (2.0, 0.3)
    assert r.pair("both") == (1.5, 0.4)
    with pytest.raises(ValueError, match="`bound` must be one of"):
        r.pair("middle")  # type: ignore[arg-type]


@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    ({"noise_var": 0.0}, ValueError, r"`noise_var` must be > 0"),
    ({"noise_var": -1.0}, ValueError, r"`noise_var` must be > 0"),
    ({"noise_var": float("nan")}, ValueError, r"`noise_var` must be a finite number"),
    ({"bound": "mid"}, ValueError, r"`bound` must be one of 'upper', 'lower', 'both'"),
    ({"chunk_size": 0}, ValueError, r"`chunk_size` must be an integer >= 1"),
    ({"chunk_size": 2.5}, TypeError, r"`chunk_size` must be an integer"),
    ({"n_threads": 0}, ValueError, r"`n_threads` must be an integer >= 1"),
    ({"n_threads": 65}, ValueError, r"`n_threads` must be an integer <= 64"),
    ({"chunk_size": 8193}, ValueError, r"`chunk_size` must be an integer <= 8192, got 8193\. "
                                       r"\(a block buffer"),
    ({"dtype": "float16"}, ValueError, r"`dtype` must be one of 'float64', 'float32'"),
    ({"backend": "jax"}, ValueError, r"`backend` must be one of 'torch', 'numpy'"),
    ({"unit": "hartleys"}, ValueError, r"`unit` must be 'nats' or 'bits'"),
])
def test_option_errors(kwargs: dict[str, object], exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        KDE(**kwargs)  # type: ignore[arg-type]


def test_input_errors() -> None:
    t = np.zeros((5, 2))
    with pytest.raises(ValueError, match=r"`labels` must have the same number of samples"):
        KDE().bounds(t, [0, 1, 0])
    with pytest.raises(ValueError, match=r"`t` must be finite"):
        KDE().bounds(np.array([[0.0], [np.nan]]), [0, 1])
    with pytest.raises(ValueError, match=r"`labels` must be integer labels"):
        KDE().plane(t, [0.5, 1, 0, 0, 1])
    with pytest.raises(ValueError, match=r"`y` must be integer labels"):
        KDE().estimate(t, [0.5, 1, 0, 0, 1])
    with pytest.raises(ValueError, match=r"`t` must be non-empty"):
        KDE().bounds(np.zeros((0, 2)), [])


def test_doctests() -> None:
    result = doctest.testmod(kde_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def test_real_valued_labels_error_does_not_recommend_kde() -> None:
    import re

    import numpy as np
    import pytest

    from infoplane.estimators import KDE

    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="`y` must be integer labels") as info:
        KDE().estimate(rng.normal(size=(50, 2)), rng.normal(size=50))
    assert not re.search(r"\bKDE\b", str(info.value)) and "KSG" in str(info.value)
