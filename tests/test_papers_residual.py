"""Tests for infoplane.papers.interpretation.residual: measurements, judges and claims.

Each claim's judge is fed (a) a measured dict with the verdict the real quick run gives and
(b) a forced-wrong input — a block rescaled so that ``‖L(x)‖/‖x‖ > 1``, a block whose inversion
succeeds, a post-addition ReLU that never clamps, ... — and its combined verdict must change.
"""

from __future__ import annotations

import copy
import math
from typing import Any, cast

import numpy as np
import pytest
import torch
from torch import nn

from infoplane.analysis.residual import (
    VARIANTS,
    Residual,
    Variant,
    find_blocks,
    make_unit,
    resnet_cifar,
)
from infoplane.papers.interpretation import residual as R
from infoplane.reproduce.checks import Check, combine


def _orthogonal_block(c: float, d: int = 10) -> Residual:
    lin = nn.Linear(d, d, bias=False).double()
    q, _ = torch.linalg.qr(torch.randn(d, d, generator=torch.Generator().manual_seed(0),
                                       dtype=torch.float64))
    with torch.no_grad():
        lin.weight.copy_(c * q)
    return Residual(lin)


def _by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


# --------------------------------------------------------------------------- measure_block


@pytest.mark.parametrize("c", [0.4, 1.6])
def test_measure_block_on_scaled_orthogonal_map(c: float) -> None:
    # L(x) = c Q x: every ratio (batch or sub-batch) and every local Lipschitz constant is c;
    # the fixed-point iteration converges iff c < 1
    x = torch.randn(12, 10, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    m = R.measure_block(_orthogonal_block(c), x, lip_iters=30, lip_points=5, n_batches=4)
    np.testing.assert_allclose(m["ratio_batches"], c, rtol=1e-12)
    assert m["ratio_eval"] == pytest.approx(c, rel=1e-12)
    np.testing.assert_allclose(m["lipschitz_points"], c, rtol=1e-6)
    assert m["identity_form"] and not m["downsample"]
    assert m["inversion_converged"] is (c < 1)
    if c < 1:
        assert m["reconstruction_error"] < 1e-9
    # rescaled to Lip 0.9 the iteration always converges (Banach)
    assert m["scaled_inversion_converged"] and m["scaled_reconstruction_error"] < 1e-8


def test_measure_block_clamped_fractions_are_exact() -> None:
    x = torch.randn(8, 4, 6, 6, generator=torch.Generator().manual_seed(1))
    # (d) applies ReLU to x itself: exactly the non-positive coordinates are zeroed
    d = R.measure_block(make_unit("relu_only_preact", 4, 4).eval(), x, lip_iters=2,
                        lip_points=2, n_batches=4)
    per = (x <= 0).double().reshape(8, -1).mean(dim=1)
    np.testing.assert_allclose(d["branch_relu_zero_per_sample"], per.numpy(), rtol=1e-12)
    assert d["branch_relu_zero_fraction"] == pytest.approx(float(per.mean()))
    # (a): the post ReLU zeroes exactly the non-positive coordinates of x + L(x)
    unit = make_unit("original", 4, 4).eval()
    a = R.measure_block(unit, x, lip_iters=2, lip_points=2, n_batches=4)
    with torch.no_grad():
        s = (x + unit.inner(x)).double()
    np.testing.assert_allclose(a["post_zero_per_sample"],
                               (s <= 0).double().reshape(8, -1).mean(dim=1).numpy(), atol=1e-12)


def test_measure_block_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="`x` must be"):
        R.measure_block(_orthogonal_block(0.5), torch.ones(2, 10, dtype=torch.float64),
                        n_batches=4)
    with pytest.raises(TypeError, match="`block` must be a Residual"):
        R.measure_block(nn.Linear(2, 2), torch.ones(8, 2))


# --------------------------------------------------------------------------- Figure 5


def _scaled_net(scale: float, seed: int = 0) -> nn.Module:
    """An (untrained) full pre-activation ResNet-8 whose branches are all scaled by `scale`.

    The branch ends with a conv, so multiplying its weight by `scale` multiplies L by `scale`.
    """
    net = resnet_cifar(8, width=4, in_channels=1, variant="full_preact", seed=seed)
    for blk in find_blocks(net).values():
        inner = blk.inner
        assert isinstance(inner, nn.Module)
        last = [m for m in inner.modules() if isinstance(m, nn.Conv2d)][-1]
        with torch.no_grad():
            last.weight.mul_(scale)
    return net.eval()


def _figure5_result(net: nn.Module, *, sine: dict[str, Any] | None = None) -> dict[str, Any]:
    """A one-variant result dict from real measurements of `net` (as :func:`R.run` has it)."""
    probe = torch.randn(16, 1, 16, 16, generator=torch.Generator().manual_seed(2))
    blocks = R.measure_network(net, probe, lip_iters=20, lip_points=8, n_batches=4)
    variant = {"train_accuracy": 0.9, "test_accuracy": 0.9, "steps": [0],
               "ratios": {n: [b["ratio_eval"]] for n, b in blocks.items()}, "blocks": blocks}
    return {"depth": 8, "variants": {"full_preact": variant},
            "counterexample": sine if sine is not None else R.sine_counterexample()}


def test_ratio_scales_linearly_with_the_branch() -> None:
    # the first block sees the same input in both nets (later ones see rescaled inputs)
    small = _figure5_result(_scaled_net(0.1))["variants"]["full_preact"]["blocks"]["stages.0.0"]
    unit = _figure5_result(_scaled_net(1.0))["variants"]["full_preact"]["blocks"]["stages.0.0"]
    assert small["ratio_eval"] == pytest.approx(0.1 * unit["ratio_eval"], rel=1e-5)
    np.testing.assert_allclose(small["ratio_batches"], 0.1 * np.asarray(unit["ratio_batches"]),
                               rtol=1e-5)
    assert small["lipschitz"] == pytest.approx(0.1 * unit["lipschitz"], rel=1e-3)


def test_figure5_contracting_blocks_hold_and_scaled_up_blocks_do_not() -> None:
    # branches scaled by 0.01: ratio, Lip << 1 and the inversion converges -> holds
    good = R.judge_figure_5(_figure5_result(_scaled_net(0.01)))
    by = _by_name(good)
    assert [c.verdict for c in good if c.role == "measurement"] == ["holds"] * 2
    assert by["Appendix E: trained blocks are contractions (Lip(L) < 1)"].role == "supporting"
    assert combine(good) == "holds"
    # forced wrong: the same network with branches scaled by 30 -> ratio > 1 in every block,
    # local Lip > 1 and the fixed-point iteration fails -> does not hold
    bad = R.judge_figure_5(_figure5_result(_scaled_net(30.0)))
    assert [c.verdict for c in bad if c.role == "measurement"] == ["does not hold"] * 2
    assert combine(bad) == "does not hold"
    # the counterexample is reported apart and is the same in both
    ce = by["counterexample: ratio < 1 does not imply invertible"]
    assert ce.role == "counterexample" and ce.verdict == "refuted by counterexample"


def _hand_figure5(ratio: float = 0.34, ratio_se: float = 0.01, lip: float = 3.3,
                  rec_err: float | None = 0.7, diverged: bool = False,
                  scaled_ok: bool = True, train_max: float = 0.33,
                  down_ratio: float = 0.2) -> dict[str, Any]:
    """Numbers shaped as a trained quick run of (e) measures them: one identity block, one
    down-sampling block."""
    k = np.array([-1.5, -0.5, 0.5, 1.5]) * ratio_se * 2 / math.sqrt(5 / 3)  # se == ratio_se
    block = {"ratio_eval": ratio, "ratio_batches": (ratio + k).tolist(), "lipschitz": lip,
             "lipschitz_points": [lip] * 4, "downsample": False, "identity_form": True,
             "inversion_converged": rec_err is not None and rec_err < 1e-10,
             "inversion_diverged": diverged, "reconstruction_error": rec_err,
             "scaled_to_lip": 0.9, "scaled_inversion_converged": scaled_ok,
             "scaled_reconstruction_error": 1e-12 if scaled_ok else 0.3}
    down = block | {"downsample": True, "ratio_batches": (down_ratio + k).tolist(),
                    "ratio_eval": down_ratio}
    for key in ("inversion_converged", "inversion_diverged", "reconstruction_error",
                "scaled_to_lip", "scaled_inversion_converged", "scaled_reconstruction_error"):
        down.pop(key)
    down["identity_form"] = False
    e = {"train_accuracy": 0.95, "test_accuracy": 0.93, "steps": [0, 10],
         "ratios": {"b0": [0.2, train_max], "b1": [0.1, 0.2]}, "blocks": {"b0": block, "b1": down}}
    return {"depth": 8, "variants": {"full_preact": e},
            "counterexample": R.sine_counterexample()}


def test_se_of_hand_built_batches() -> None:
    b = _hand_figure5(ratio=0.5, ratio_se=0.02)["variants"]["full_preact"]["blocks"]["b0"]
    arr = np.asarray(b["ratio_batches"])
    assert arr.std(ddof=1) / 2 == pytest.approx(0.02)


def test_figure5_quick_run_numbers_do_not_hold() -> None:
    # seed 0 of the quick run: identity block ratio 0.954, down-sampling block 1.404 ± 0.021,
    # local Lip 8.1, the fixed-point iteration diverges (error ~1e6), 1.50 during training
    real = _hand_figure5(ratio=0.954, ratio_se=0.006, lip=8.1, rec_err=9.7e5, diverged=True,
                         down_ratio=1.404, train_max=1.498)
    checks = R.judge_figure_5(real)
    assert [c.verdict for c in checks] == ["does not hold"] * 4 + [
        "holds", "refuted by counterexample"]
    assert combine(checks) == "does not hold"
    # forced wrong: the same run with a contracting, inverted identity block and the
    # down-sampling block below 1 holds (with a caveat: 1.50 during training)
    fixed = _hand_figure5(ratio=0.954, ratio_se=0.006, lip=0.8, rec_err=1e-12,
                          down_ratio=0.9, train_max=1.498)
    assert combine(R.judge_figure_5(fixed)) == "holds with caveats"


def test_figure5_small_ratio_but_steep_branch_does_not_hold() -> None:
    # what trained quick-run blocks show: ratio ~0.34 < 1, local Lip ~3 > 1, inversion fails
    checks = R.judge_figure_5(_hand_figure5())
    got = {c.name: c.verdict for c in checks}
    assert got == {
        "Figure 5: ratio < 1 in every trained block": "holds",
        "Appendix E: trained blocks are contractions (Lip(L) < 1)": "does not hold",
        "Eq. (50): x ← y − L(x) recovers x in trained blocks": "does not hold",
        "Figure 5: ratio < 1 throughout training": "holds",
        "Banach: rescaled trained branches (Lip 0.9) are inverted": "holds",
        "counterexample: ratio < 1 does not imply invertible": "refuted by counterexample",
    }
    assert combine(checks) == "does not hold"
    # forced wrong: a contracting trained block that the iteration inverts -> holds
    assert combine(R.judge_figure_5(_hand_figure5(lip=0.6, rec_err=1e-12))) == "holds"
    # a diverged inversion (error None in JSON) does not hold
    div = _by_name(R.judge_figure_5(_hand_figure5(rec_err=None, diverged=True)))
    assert div["Eq. (50): x ← y − L(x) recovers x in trained blocks"].verdict == "does not hold"


def test_figure5_ratio_band_is_symmetric() -> None:
    name = "Figure 5: ratio < 1 in every trained block"
    # 0.95 ± 0.01: wholly below 1; 1.05 ± 0.01: wholly above; 0.99 ± 0.01: inside the band
    for ratio, expected in ((0.95, "holds"), (1.05, "does not hold"), (0.99, "indeterminate"),
                            (1.01, "indeterminate")):
        got = _by_name(R.judge_figure_5(_hand_figure5(ratio=ratio)))[name]
        assert got.verdict == expected, (ratio, got.why)
    # a noisier run widens the band: 0.95 ± 0.03 is indeterminate
    assert _by_name(R.judge_figure_5(_hand_figure5(ratio=0.95, ratio_se=0.03)))[
        name].verdict == "indeterminate"


def test_figure5_supporting_checks_only_add_caveats() -> None:
    good: dict[str, Any] = {"lip": 0.6, "rec_err": 1e-12}
    assert combine(R.judge_figure_5(_hand_figure5(**good, scaled_ok=False))) == \
        "holds with caveats"
    assert combine(R.judge_figure_5(_hand_figure5(**good, train_max=1.4))) == \
        "holds with caveats"


def test_counterexample_never_decides() -> None:
    # a sine too flat to fold is no counterexample: "holds", and the claim's verdict is the
    # same either way
    flat = R.sine_counterexample(amplitude=0.01)
    assert flat["x_plus_L_monotone"] and flat["lipschitz"] == pytest.approx(0.2, rel=1e-4)
    cases: list[dict[str, Any]] = [{}, {"lip": 0.6, "rec_err": 1e-12}]
    for kw in cases:
        folded = R.judge_figure_5(_hand_figure5(**kw))
        res = _hand_figure5(**kw) | {"counterexample": flat}
        unfolded = R.judge_figure_5(res)
        assert _by_name(unfolded)["counterexample: ratio < 1 does not imply invertible"
                                  ].verdict == "holds"
        assert combine(folded) == combine(unfolded)


def test_sine_counterexample_numbers() -> None:
    s = R.sine_counterexample()
    # |0.1 sin(20x)|/|x| <= 0.1/0.9 on [0.9, 1.1]; Lip = a·ω = 2 (20x = 6π at x ≈ 0.9425, the
    # grid's nearest point is 1e-3 away: |cos| >= cos(0.02)); 1 + 2cos(20x) < 0 somewhere
    assert s["max_ratio"] <= 0.1 / 0.9 + 1e-12
    assert math.cos(0.02) * 2.0 <= s["lipschitz"] <= 2.0 + 1e-9
    assert not s["x_plus_L_monotone"]
    with pytest.raises(ValueError, match="0 < lo < hi"):
        R.sine_counterexample(lo=1.0, hi=0.5)


# --------------------------------------------------------------------------- Table 1


def _table1_result(*, e_bias: float = 0.0, c_gain: float = 1.0,
                   shift: float = 0.0) -> dict[str, Any]:
    """Real measurements of the five units (untrained, eval mode) on one input batch.

    `e_bias` shifts the first BN of (e) (so its ReLU clamps less for e_bias > 0), `c_gain`
    scales the last BN of (c) (ReLU is positively homogeneous: L_c scales by c_gain), `shift`
    is added to the input (a large shift keeps every post-addition sum positive).
    """
    x = torch.randn(16, 4, 6, 6, generator=torch.Generator().manual_seed(3)) + shift
    variants: dict[str, Any] = {}
    for v in VARIANTS:
        unit = make_unit(cast(Variant, v), 4, 4)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(5)
            for m in unit.inner.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.normal_(m.weight, std=0.1)
        bns = [m for m in unit.inner.modules() if isinstance(m, nn.BatchNorm2d)]
        with torch.no_grad():
            if v == "full_preact":
                bns[0].bias.fill_(e_bias)
            if v == "relu_before_add":
                bns[-1].weight.mul_(c_gain)
        meas = R.measure_block(unit.eval(), x, lip_iters=20, lip_points=4, n_batches=4)
        variants[v] = {"train_accuracy": 0.9, "test_accuracy": 0.9, "blocks": {"b": meas}}
    return {"depth": 8, "variants": variants}


ROWS = ["(a) original: ReLU after the addition makes the block non-invertible",
        "(b) BN after addition: ReLU after the addition makes the block non-invertible",
        "(c) ReLU before addition: nonnegative L has a larger norm than (e)",
        "(d) ReLU-only pre-activation: ReLU on the input loses more than (e)"]


def test_table1_rows_follow_the_measurements() -> None:
    # post ReLUs clamp, (c) scaled up, (e)'s ReLU shifted to clamp less: every row holds
    checks = R.judge_table_1(_table1_result(e_bias=0.5, c_gain=10.0))
    assert [c.name for c in checks] == ROWS
    assert [c.verdict for c in checks] == ["holds"] * 4
    assert combine(checks) == "holds"
    # forced wrong: (c) scaled down and (e) clamping more -> (c) and (d) do not hold
    checks = R.judge_table_1(_table1_result(e_bias=-0.5, c_gain=0.01))
    assert [c.verdict for c in checks] == ["holds", "holds", "does not hold", "does not hold"]
    assert combine(checks) == "does not hold"


def test_table1_post_relu_that_never_clamps_does_not_hold() -> None:
    # inputs shifted by +50: x + L(x) > 0 everywhere, the post ReLU is the identity on the data
    got = _by_name(R.judge_table_1(_table1_result(shift=50.0, e_bias=0.5, c_gain=10.0)))
    assert got[ROWS[0]].verdict == "does not hold"
    assert got[ROWS[0]].numbers["clamped_fraction"]["max"] == 0.0


def _hand_table1(post: float = 0.4, zd: float = 0.49, ze: float = 0.50,
                 c_ratio: float = 0.57, e_ratio: float = 0.36, c_lip: float = 3.0,
                 e_lip: float = 3.0) -> dict[str, Any]:
    """Hand-built numbers shaped like a quick run (per-sample lists of 8 probe images)."""
    def noisy(m: float, s: float, n: int) -> list[float]:
        """`n` values of mean `m` and standard deviation `s` (ddof=1), evenly spread."""
        z = np.linspace(-1.0, 1.0, n)
        return (m + s * z / z.std(ddof=1)).tolist()

    def blk(**kw: Any) -> dict[str, Any]:
        return {"downsample": False, "identity_form": True, "inversion_converged": False,
                "ratio_batches": noisy(0.4, 0.01, 4), "lipschitz_points": noisy(2.0, 0.1, 8),
                **kw}

    v = {"original": blk(post_zero_per_sample=noisy(post, 0.01, 8)),
         "bn_after_add": blk(post_zero_per_sample=noisy(post, 0.01, 8)),
         "relu_before_add": blk(ratio_batches=noisy(c_ratio, 0.01, 4),
                                lipschitz_points=noisy(c_lip, 0.1, 8)),
         "relu_only_preact": blk(branch_relu_zero_per_sample=noisy(zd, 0.005, 8)),
         "full_preact": blk(ratio_batches=noisy(e_ratio, 0.01, 4),
                            lipschitz_points=noisy(e_lip, 0.1, 8),
                            branch_relu_zero_per_sample=noisy(ze, 0.005, 8))}
    return {"depth": 8, "variants": {k: {"train_accuracy": 0.9, "test_accuracy": 0.9,
                                         "blocks": {"b": b}} for k, b in v.items()}}


def test_table1_quick_run_like_numbers() -> None:
    # clamping after the addition, (c) larger ratio but the same Lipschitz constant as (e),
    # (d) clamping slightly less than (e)
    checks = R.judge_table_1(_hand_table1())
    assert [c.verdict for c in checks] == ["holds", "holds", "indeterminate", "does not hold"]
    assert combine(checks) == "does not hold"
    # forced wrong: (d) clamping clearly more and (c) larger on both counts -> holds
    assert combine(R.judge_table_1(_hand_table1(zd=0.6, c_lip=5.0))) == "holds"


def test_table1_quick_run_seed0_numbers() -> None:
    # seed 0 of the quick run: post ReLUs clamp 35 % / 54 %; (c)'s worst ratio 0.978 and mean
    # local Lip 7.06 are *below* (e)'s 1.404 and 15.17; (d) clamps 0.495 vs (e) 0.490
    real = _hand_table1(post=0.35, c_ratio=0.978, e_ratio=1.404, c_lip=7.06, e_lip=15.17,
                        zd=0.495, ze=0.490)
    checks = R.judge_table_1(real)
    assert [c.verdict for c in checks] == ["holds", "holds", "does not hold", "holds"]
    assert combine(checks) == "does not hold"
    # forced wrong: (c) and (e) swapped -> (c) enlarges the norm and the table holds
    swapped = _hand_table1(post=0.35, c_ratio=1.404, e_ratio=0.978, c_lip=15.17, e_lip=7.06,
                           zd=0.495, ze=0.490)
    assert combine(R.judge_table_1(swapped)) == "holds"


def test_table1_needs_every_variant() -> None:
    res = _hand_table1()
    del res["variants"]["relu_before_add"]
    with pytest.raises(ValueError, match="relu_before_add"):
        R.judge_table_1(res)


# --------------------------------------------------------------------------- seeds, claims


def test_merged_seeds_disagreeing_are_indeterminate() -> None:
    from infoplane.papers.interpretation._common import merge_seeds

    a = R.judge_figure_5(_hand_figure5(ratio=0.9))
    b = R.judge_figure_5(_hand_figure5(ratio=1.1))
    merged = _by_name(merge_seeds({0: a, 1: b}))
    assert merged["Figure 5: ratio < 1 in every trained block"].verdict == "indeterminate"


def test_claims_are_registered_with_their_ids() -> None:
    from infoplane.reproduce.registry import REGISTRY, load_builtin

    load_builtin()
    for cid, fn in (("interp-appendix-e-figure-5", "claim_appendix_e_figure5"),
                    ("interp-table-1", "claim_table_1")):
        assert REGISTRY[cid].func == f"infoplane.papers.interpretation.residual:{fn}"
        assert REGISTRY[cid].analytic == ""


def test_claim_functions_on_cached_runs(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # the claims read the (cached) per-seed runs; feed them hand-built ones
    from infoplane.reproduce.registry import ClaimContext

    fig5 = _hand_figure5()
    for b in fig5["variants"]["full_preact"]["blocks"].values():
        b["branch_relu_zero_per_sample"] = [0.5] * 8
    run0 = _hand_table1() | {"counterexample": fig5["counterexample"]}
    run0["variants"]["full_preact"] = fig5["variants"]["full_preact"]
    runs = {0: run0, 1: copy.deepcopy(run0)}
    from infoplane.papers.interpretation import _common

    monkeypatch.setattr(_common, "analysis_result",  # what analysis_runs reads the cache with
                        lambda name, run, ctx, seed: (runs[seed], tmp_path))
    ctx = ClaimContext(tmp_path / "claims" / "x", quick=True, seeds=3, seed=0)
    res = R.claim_appendix_e_figure5(ctx)
    assert res.verdict == "does not hold"
    assert res.key_number.startswith("1/2 measurements hold, 1 does not")
    assert res.numbers["train_accuracy"]["full_preact"]["mean"] == pytest.approx(0.95)
    assert any(c.role == "counterexample" for c in res.checks)
    tab1 = R.claim_table_1(ctx)
    assert tab1.verdict == "does not hold"
    assert tab1.key_number.startswith("2/4 measurements hold, 1 does not")
    assert [c.verdict for c in tab1.checks] == ["holds", "holds", "indeterminate",
                                                "does not hold"]


# --------------------------------------------------------------------------- runs


def test_compare_variants_records_the_trained_step() -> None:
    res = R.compare_variants(depth=8, width=2, epochs=1, seed=0, probe_size=8, n_points=5,
                             lip_iters=2, lip_points=2, n_batches=4, variants=["full_preact"])
    v = res["variants"]["full_preact"]
    # the recorded curve ends at the last optimiser step, where the blocks are measured
    assert v["steps"][0] == 0 and v["steps"][-1] == res["n_steps"] == 23
    for name, b in v["blocks"].items():
        assert len(v["ratios"][name]) == len(v["steps"])
        assert v["ratios"][name][-1] == pytest.approx(b["ratio_eval"], rel=1e-4)
        assert len(b["ratio_batches"]) == 4
    assert 0.0 <= v["train_accuracy"] <= 1.0


@pytest.mark.e2e
def test_quick_run_trains_the_networks(tmp_path: Any) -> None:
    res = R.run(tmp_path, quick=True, seed=0)
    # "trained": every variant fits the training set
    for v, r in res["variants"].items():
        assert r["train_accuracy"] >= 0.95, (v, r["train_accuracy"])
    assert (tmp_path / "residual.json").is_file()
    for paths in res["figures"].values():
        assert all((tmp_path / p).is_file() for p in paths)
    fig5 = _by_name(R.judge_figure_5(res))
    # trained blocks are far from contractions (local Lip ~8 in the quick run)
    assert fig5["Appendix E: trained blocks are contractions (Lip(L) < 1)"].verdict == \
        "does not hold"
    assert len(R.judge_table_1(res)) == 4
