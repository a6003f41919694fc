"""Bias-corrected discrete entropies and discrete conditional MI, against exact truths.

Truths used: closed values (Grassberger on singletons, hand-worked Chao–Shen tables), the
integral form of Grassberger's G(n), exact expectations of the estimators that are linear in
the counts (binomial sums), NSB by an independent brute-force integral and by mpmath, the
Wolpert–Wolf posterior mean by Monte Carlo, and exact CMI tables (XOR, a Markov chain).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

import infoplane.discrete as dm
from infoplane.discrete import (
    CORRECTIONS,
    Correction,
    conditional_entropy,
    conditional_mutual_information,
    entropy,
    entropy_from_counts,
    miller_madow,
    mutual_information,
)

LN2 = math.log(2.0)
EULER = 0.5772156649015329


def _plugin(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-np.sum(p * np.log(p)))


# ------------------------------------------------------------------- exact small values
def test_miller_madow_is_plugin_plus_k_minus_one_over_2n() -> None:
    rng = np.random.default_rng(0)
    for n, k in [(10, 3), (100, 40), (7, 7)]:
        x = rng.integers(0, k, n)
        k_obs, h = len(np.unique(x)), _plugin(np.bincount(x).astype(float))
        want = h + (k_obs - 1) / (2 * n)
        assert entropy(x, correction="miller_madow") == pytest.approx(want, abs=1e-14)
        assert miller_madow(x) == pytest.approx(want, abs=1e-14)
        assert entropy_from_counts(np.bincount(x), correction="miller_madow") == \
            pytest.approx(want, abs=1e-14)


@pytest.mark.parametrize("n", [1, 2, 7, 50, 1000])
def test_grassberger_on_all_singletons_is_log_n_plus_gamma_plus_log_2(n: int) -> None:
    # G(1) = ψ(1) - ½(ψ(1) - ψ(½)) = -γ - log 2, so H_G = log N + γ + log 2.
    assert entropy(np.arange(n), correction="grassberger") == pytest.approx(
        math.log(n) + EULER + LN2, abs=1e-12)


def test_grassberger_g_equals_its_integral_form_and_hand_values() -> None:
    ns = np.arange(1, 41)
    integral = np.array([integrate.quad(lambda x, m=m: x ** (m - 1) / (1 + x), 0, 1,
                                        epsabs=1e-14)[0] for m in ns])
    want = special.digamma(ns) + (-1.0) ** ns * integral
    np.testing.assert_allclose(dm._grassberger_g(ns), want, rtol=0, atol=1e-12)
    assert dm._grassberger_g(2)[0] == pytest.approx(2 - EULER - LN2, abs=1e-14)
    # counts (2, 1): H_G = log 3 - (2 G(2) + G(1)) / 3
    want_21 = math.log(3) - (2 * (2 - EULER - LN2) + (-EULER - LN2)) / 3
    assert entropy_from_counts([2, 1], correction="grassberger") == pytest.approx(want_21,
                                                                                  abs=1e-14)


def test_chao_shen_hand_computed_tables() -> None:
    # counts (1, 1, 2): f1 = 2, C = 1/2, p = (1/8, 1/8, 1/4), weights 1 - (1 - p)^4
    p = np.array([0.125, 0.125, 0.25])
    want = float(np.sum(-p * np.log(p) / (1 - (1 - p) ** 4)))
    assert entropy_from_counts([1, 1, 2], correction="chao_shen") == pytest.approx(want,
                                                                                   abs=1e-14)
    # all singletons: f1 = N is replaced by N - 1, so C = 1/N and p = 1/N^2
    n = 3
    q = 1 / n**2
    want = n * (-q * math.log(q)) / (1 - (1 - q) ** n)
    assert entropy(["a", "b", "c"], correction="chao_shen") == pytest.approx(want, abs=1e-14)
    # no singletons: coverage 1, only the Horvitz–Thompson weights remain
    assert entropy_from_counts([2, 2], correction="chao_shen") == pytest.approx(
        LN2 / (1 - 0.5**4), abs=1e-14)
    big = np.array([500, 300, 200])                   # (1 - p)^N < 1e-96: the plug-in value
    assert entropy_from_counts(big, correction="chao_shen") == pytest.approx(
        _plugin(big.astype(float)), rel=1e-15)
    assert entropy([4, 4, 4], correction="chao_shen") == 0.0        # one symbol, N = 3


def test_every_correction_gives_zero_for_a_single_symbol_with_k_1() -> None:
    for corr in CORRECTIONS:
        if corr == "grassberger":     # log N - G(N) ≠ 0: its bias at K = 1 is O(1/N)
            continue
        assert entropy([3, 3, 3, 3], correction=corr) == pytest.approx(0.0, abs=1e-15), corr
    assert entropy_from_counts([9], correction="nsb", support=1) == 0.0


# ---------------------------------------------------------------------------------- NSB
def _nsb_brute_force(counts: list[int], k: int) -> float:
    """NSB by a plain trapezoid over a fine uniform grid in log β (no windows, no Stirling)."""
    n_i = np.array(counts, dtype=float)
    n = n_i.sum()
    x = np.linspace(-30.0, 30.0, 120_001)
    b = np.exp(x)[:, None]
    ll = (special.gammaln(k * b[:, 0]) - special.gammaln(n + k * b[:, 0])
          + np.sum(special.gammaln(n_i + b) - special.gammaln(b), axis=1))
    prior = k * special.polygamma(1, k * b[:, 0] + 1) - special.polygamma(1, b[:, 0] + 1)
    lw = ll + np.log(prior) + x
    w = np.exp(lw - lw.max())
    all_n = np.concatenate([n_i, np.zeros(k - n_i.size)])
    mean_h = (special.digamma(n + k * b[:, 0] + 1)
              - np.sum((all_n + b) * special.digamma(all_n + b + 1), axis=1) / (n + k * b[:, 0]))
    return float(integrate.trapezoid(w * mean_h, x) / integrate.trapezoid(w, x))


@pytest.mark.parametrize(("counts", "k"), [([1, 1, 1], 3), ([5], 2), ([3, 1, 1], 10),
                                           ([2, 1], 50), ([4, 0, 1, 2], 4)])
def test_nsb_equals_a_brute_force_integral(counts: list[int], k: int) -> None:
    got = entropy_from_counts(counts, correction="nsb", support=k)
    assert got == pytest.approx(_nsb_brute_force([c for c in counts if c], k), abs=1e-8)


# mpmath (25 digits, Gauss–Legendre on 0.25-wide panels of log β over [-40, 40]); see
# test_nsb_matches_mpmath (slow), which recomputes them.
NSB_MPMATH = [
    ([4, 12, 4, 5, 3, 1, 5, 1, 2, 2, 2, 2, 11, 3, 4, 12, 12, 1, 2], 100, 2.806096916054329),
    ([7, 3, 5, 8, 9, 1, 3, 3, 1, 0, 2, 5, 2, 11, 4, 23, 5, 0, 8, 0], 20, 2.6236343447931287),
    ([1] * 30, 1000, 6.386785738079483),
]


@pytest.mark.parametrize(("counts", "k", "value"), NSB_MPMATH)
def test_nsb_matches_high_precision_values(counts: list[int], k: int, value: float) -> None:
    assert entropy_from_counts(counts, correction="nsb", support=k) == pytest.approx(
        value, abs=1e-9)


def test_nsb_matches_the_published_ndd_example() -> None:
    # The ndd package's README (NSB, K = len(counts) = 20): 2.623634344902917.
    counts = [7, 3, 5, 8, 9, 1, 3, 3, 1, 0, 2, 5, 2, 11, 4, 23, 5, 0, 8, 0]
    assert entropy_from_counts(counts, correction="nsb") == pytest.approx(2.623634344902917,
                                                                          abs=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize(("counts", "k", "value"), NSB_MPMATH[1:])
def test_nsb_matches_mpmath(counts: list[int], k: int, value: float) -> None:
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 20
    obs = [c for c in counts if c]
    n = sum(obs)
    groups = {c: obs.count(c) for c in set(obs)}         # count value -> how many symbols

    def log_w(x):  # type: ignore[no-untyped-def]
        b = mp.exp(x)
        ll = mp.loggamma(k * b) - mp.loggamma(n + k * b) + sum(
            m * (mp.loggamma(c + b) - mp.loggamma(b)) for c, m in groups.items())
        return ll + mp.log(k * mp.psi(1, k * b + 1) - mp.psi(1, b + 1)) + x

    def mean_h(b):  # type: ignore[no-untyped-def]
        s = sum(m * (c + b) * mp.psi(0, c + b + 1) for c, m in groups.items()) + (
            k - len(obs)) * b * mp.psi(0, b + 1)
        return mp.psi(0, n + k * b + 1) - s / (n + k * b)

    pts = [mp.mpf(v) for v in np.arange(-40.0, 40.01, 0.5)]
    z = mp.quad(lambda x: mp.exp(log_w(x)), pts)
    num = mp.quad(lambda x: mp.exp(log_w(x)) * mean_h(mp.exp(x)), pts)
    assert float(num / z) == pytest.approx(value, abs=1e-9)


def test_wolpert_wolf_posterior_mean_by_monte_carlo() -> None:
    counts, k, beta = np.array([3.0, 1.0]), 4, 0.7
    alpha = np.concatenate([counts, np.zeros(k - 2)]) + beta
    p = np.random.default_rng(0).dirichlet(alpha, size=400_000)
    h = -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=1)
    se = h.std() / math.sqrt(h.size)
    got = dm._nsb_posterior_mean(beta, counts, k)[0]
    assert abs(got - h.mean()) < 4 * se
    # no data: E[H | β] is ξ(β) = ψ(Kβ + 1) - ψ(β + 1), the prior mean
    xi = special.digamma(k * beta + 1) - special.digamma(beta + 1)
    assert dm._nsb_posterior_mean(beta, np.zeros(0), k)[0] == pytest.approx(xi, abs=1e-14)


def test_nsb_prior_is_the_derivative_of_xi() -> None:
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    for k in (2, 7, 10**6):
        for beta in (1e-4, 0.3, 12.0, 998.0, 1e3, 5e4, 1e9):
            want = float(k * mp.psi(1, k * mp.mpf(beta) + 1) - mp.psi(1, mp.mpf(beta) + 1))
            assert dm._nsb_prior(beta, k)[0] == pytest.approx(want, rel=1e-10), (k, beta)
    a = np.array([2e3, 1e6, 1e12])
    v = np.array([5.0, 300.0, 4096.0])
    want = [float(mp.loggamma(mp.mpf(ai) + vi) - mp.loggamma(mp.mpf(ai))) for ai, vi in
            zip(a, v, strict=True)]
    np.testing.assert_allclose(dm._log_rising(a, v), want, rtol=1e-13)


def test_nsb_is_close_to_plugin_when_well_sampled_and_depends_on_k() -> None:
    rng = np.random.default_rng(1)
    counts = rng.multinomial(10**6, rng.dirichlet(np.ones(10)))
    # (K - 1)/(2N) = 4.5e-6: every sensible estimator is within a few 1e-6 of plug-in here
    assert abs(entropy_from_counts(counts, correction="nsb") - _plugin(counts.astype(float))) \
        < 1e-5
    few = np.bincount(rng.integers(0, 1000, 60), minlength=1000)
    k_obs = int(np.count_nonzero(few))
    values = [entropy_from_counts(few, correction="nsb", support=k)
              for k in (k_obs, 2 * k_obs, 10 * k_obs, 1000)]
    assert values == sorted(values) and values[-1] - values[0] > 0.5
    # default support: the length of the count vector (zeros included) vs the observed K
    assert entropy_from_counts(few, correction="nsb") == pytest.approx(values[-1], abs=1e-12)
    assert entropy(np.repeat(np.arange(few.size), few), correction="nsb") == pytest.approx(
        values[0], abs=1e-12)


# --------------------------------------------------------- bias in the undersampled regime
def _exact_expectations(p: np.ndarray, n: int) -> dict[str, float]:
    """E[estimate] for the estimators linear in the counts: binomial marginals n_i ~ B(N, p_i)."""
    m = np.arange(n + 1)
    pm = stats.binom.pmf(m[None, :], n, p[:, None])
    clogc = np.zeros(n + 1)
    clogc[1:] = m[1:] * np.log(m[1:])
    cg = np.zeros(n + 1)
    cg[1:] = m[1:] * (special.digamma(m[1:]) + 0.5 * (-1.0) ** m[1:] * (
        special.digamma((m[1:] + 1) / 2) - special.digamma(m[1:] / 2)))
    plug = math.log(n) - float(np.sum(pm @ clogc)) / n
    k_obs = float(np.sum(1 - (1 - p) ** n))
    return {"plugin": plug, "miller_madow": plug + (k_obs - 1) / (2 * n),
            "grassberger": math.log(n) - float(np.sum(pm @ cg)) / n}


def _zipf(k: int) -> np.ndarray:
    z = 1.0 / np.arange(1, k + 1)
    return z / z.sum()


# |mean bias| bounds in nats: the mean over these 40 seeds (benchmarks/entropy_bias.py has
# the 200-seed table) plus about 5 standard errors.
BIAS_CASES = {
    "uniform K=1000 N=200": (np.full(1000, 1e-3), 200,
                             {"miller_madow": 1.32, "grassberger": 0.75, "chao_shen": 0.25,
                              "nsb": 0.14}),
    "zipf K=1000 N=300": (_zipf(1000), 300,
                          {"miller_madow": 0.68, "grassberger": 0.44, "chao_shen": 0.41,
                           "nsb": 0.30}),
}


@pytest.mark.parametrize("case", list(BIAS_CASES))
def test_corrections_reduce_the_undersampled_bias(case: str) -> None:
    p, n, bounds = BIAS_CASES[case]
    truth = float(-np.sum(p * np.log(p)))
    seeds = 40
    est: dict[str, list[float]] = {c: [] for c in CORRECTIONS}
    for s in range(seeds):
        counts = np.random.default_rng(s).multinomial(n, p)
        for c in CORRECTIONS:   # NSB with the true K = len(counts) (the default here)
            est[c].append(entropy_from_counts(counts, correction=c))
    bias = {c: float(np.mean(v)) - truth for c, v in est.items()}
    se = {c: float(np.std(v, ddof=1)) / math.sqrt(seeds) for c, v in est.items()}
    # plug-in is biased low (Paninski 2003), far beyond its standard error
    assert bias["plugin"] < -20 * se["plugin"]
    # the estimators linear in the counts: Monte Carlo mean = exact expectation
    for c, e in _exact_expectations(p, n).items():
        assert abs(float(np.mean(est[c])) - e) < 4 * se[c] + 1e-12, c
    for c, bound in bounds.items():
        assert abs(bias[c]) < abs(bias["plugin"]), c
        assert abs(bias[c]) < bound, (c, bias[c])


# --------------------------------------------------------------- MI, CMI with corrections
def test_xor_table_gives_zero_mi_and_one_bit_of_cmi() -> None:
    x = np.repeat([0, 0, 1, 1], 25)
    y = np.repeat([0, 1, 0, 1], 25)
    z = x ^ y
    n = x.size
    assert mutual_information(x, y) == pytest.approx(0.0, abs=1e-15)
    assert conditional_mutual_information(x, y, z, unit="bits") == pytest.approx(1.0, abs=1e-14)
    # Miller–Madow terms: (K_xz + K_yz - K_xyz - K_z)/(2N) = (4 + 4 - 4 - 2)/(2N)
    assert conditional_mutual_information(x, y, z, correction="miller_madow") == \
        pytest.approx(LN2 + 2 / (2 * n), abs=1e-14)
    # Z alone tells nothing about X: I(X;Z) = 0, I(X;Z|Y) = 1 bit
    assert conditional_mutual_information(x, z, y, unit="bits") == pytest.approx(1.0,
                                                                                 abs=1e-14)


def _samples(table: np.ndarray) -> tuple[np.ndarray, ...]:
    """Paired samples (one column per axis) whose empirical counts are exactly ``table``."""
    idx = np.indices(table.shape).reshape(table.ndim, -1)
    reps = table.ravel().astype(int)
    return tuple(np.repeat(i, reps) for i in idx)


def _cmi_of_table(t: np.ndarray) -> float:
    """Σ p(x,y,z) log[p(z) p(x,y,z) / (p(x,z) p(y,z))] (axes x, y, z), nats."""
    p = t / t.sum()
    pz = p.sum(axis=(0, 1))
    pxz = p.sum(axis=1)
    pyz = p.sum(axis=0)
    out = 0.0
    for i, j, k in zip(*np.nonzero(p), strict=True):
        out += p[i, j, k] * math.log(pz[k] * p[i, j, k] / (pxz[i, k] * pyz[j, k]))
    return out


def test_markov_chain_has_zero_cmi_and_hand_tables_match() -> None:
    # X -> Z -> Y with rational kernels: p(x) = (1/2, 1/2), p(z|x), p(y|z) exact in 1/120
    px = np.array([1, 1]) / 2
    pzx = np.array([[3, 1], [1, 3]]) / 4                    # rows x
    pyz = np.array([[1, 2], [2, 1]]) / 3                    # rows z
    table = 240 * px[:, None, None] * pzx[:, None, :] * pyz.T[None, :, :]   # axes x, y, z
    np.testing.assert_allclose(table, np.round(table))
    x, y, z = _samples(np.round(table))
    assert conditional_mutual_information(x, y, z) == pytest.approx(0.0, abs=1e-13)
    assert mutual_information(x, y) > 1e-3                  # but X and Y are dependent
    rng = np.random.default_rng(3)
    for _ in range(5):
        t = rng.integers(0, 9, size=(2, 3, 2)).astype(float)
        t[0, 0, 0] += 1
        a, b, c = _samples(t)
        assert conditional_mutual_information(a, b, c) == pytest.approx(_cmi_of_table(t),
                                                                        abs=1e-12)


def test_cmi_given_a_constant_and_injective_labels() -> None:
    rng = np.random.default_rng(4)
    a = rng.integers(0, 6, 300)
    b = (a + rng.integers(0, 3, 300)) % 6
    const = np.zeros(300, int)
    for corr in CORRECTIONS:
        # I(A;B|const) = I(A;B) - H_c(const): H_c of one symbol is 0 except for Grassberger
        # (log N - G(N) = O(1/N))
        assert conditional_mutual_information(a, b, const, correction=corr) == \
            pytest.approx(mutual_information(a, b, correction=corr)
                          - entropy(const, correction=corr), abs=1e-12), corr
        # one label per row: H(B) = H(A,B), so I(A;B) = H(A) for every correction
        assert mutual_information(a, np.arange(300), correction=corr) == pytest.approx(
            entropy(a, correction=corr), abs=1e-12), corr
        joint = np.stack([a, b], axis=1)
        assert conditional_entropy(a, b, correction=corr) == pytest.approx(
            entropy(joint, correction=corr) - entropy(b, correction=corr), abs=1e-12), corr


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 2)),
                min_size=2, max_size=50),
       st.sampled_from([c for c in CORRECTIONS if c != "nsb"]))
def test_cmi_chain_rule_and_bounds(triples: list[tuple[int, int, int]],
                                   corr: Correction) -> None:
    a, b, z = (dm.joint_codes(np.array(v)) for v in zip(*triples, strict=True))
    bz = dm.joint_codes(np.stack([b, z], axis=1))
    # I(A; B, Z) = I(A; Z) + I(A; B | Z) for any correction applied to each entropy
    lhs = dm._mi_nats(a, bz, corr)
    rhs = dm._mi_nats(a, z, corr) + dm._cmi_nats(a, b, z, corr)
    assert lhs == pytest.approx(rhs, abs=1e-12)
    cmi = conditional_mutual_information(a, b, z)
    assert 0.0 <= cmi <= min(conditional_entropy(a, z), conditional_entropy(b, z)) + 1e-12


def test_large_class_count_uses_sorting_not_a_dense_table() -> None:
    # codes up to 2^40: a dense bincount of the joint would need terabytes
    rng = np.random.default_rng(5)
    a = rng.integers(0, 2**40, 5000)
    b = rng.integers(0, 3, 5000)
    assert mutual_information(a, b) == pytest.approx(entropy(b), abs=1e-12)  # a injective
    assert dm._key_counts(np.array([2**50, 3, 2**50]), 2**51).tolist() == [1, 2]


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("call", "exc", "match"), [
    (lambda: entropy([0, 1], correction="nsbb"), ValueError,
     r"`correction` must be one of 'plugin', 'miller_madow', 'grassberger', 'chao_shen', "
     r"'nsb', got 'nsbb'"),
    (lambda: entropy([0, 1, 2], correction="nsb", support=2), ValueError,
     r"`support` must be >= the number of observed symbols \(3\), got 2"),
    (lambda: entropy([0, 1], support=0), ValueError, r"`support` must be an integer >= 1"),
    (lambda: entropy([0, 1], support=2.5), TypeError, r"`support` must be an integer"),
    (lambda: entropy_from_counts([0.5, 0.5], correction="grassberger"), ValueError,
     r"`counts` must be integer counts for correction='grassberger'"),
    (lambda: entropy_from_counts([1, 2], correction="chao_shen", support=1), ValueError,
     r"`support` must be >= the number of observed symbols \(2\)"),
    (lambda: conditional_mutual_information([0, 1], [0, 1], [0]), ValueError,
     r"`a`, `b` and `given` must have the same number of samples, got 2, 2 and 1"),
    (lambda: conditional_mutual_information([0, 1], [0, 1], []), ValueError,
     r"`given` must be a non-empty array of codes"),
    (lambda: mutual_information([0, 1], [0, 1], correction="mm"), ValueError,
     r"`correction` must be one of"),
    (lambda: conditional_entropy([0, 1], [0, 1], unit="nat"), ValueError,
     r"`unit` must be 'nats' or 'bits'"),
])
def test_errors(call, exc: type[Exception], match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(exc, match=match):
        call()
