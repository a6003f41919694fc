"""Tests for infoplane.analysis.residual (analytic blocks first, then the ResNet models)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from infoplane.analysis.residual import (
    VARIANTS,
    RatioRecorder,
    Residual,
    block_ratio,
    find_blocks,
    invert,
    lipschitz,
    make_unit,
    resnet_cifar,
)
from infoplane.schedules import every, explicit

D = 12


def _any(v: Any) -> Any:
    return v


def _orthogonal(d: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))
    return q


def _linear_block(c: float, d: int = D) -> Residual:
    lin = nn.Linear(d, d, bias=False).double()
    with torch.no_grad():
        lin.weight.copy_(c * _orthogonal(d))
    return Residual(lin)


def _x(n: int = 5, d: int = D, seed: int = 1) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


# --------------------------------------------------------------------------- analytic


@pytest.mark.parametrize("c", [0.3, 0.9, 1.7])
def test_lipschitz_of_scaled_orthogonal(c: float) -> None:
    blk = _linear_block(c)
    est = lipschitz(blk.inner, _x(), iters=20)
    assert est.value == pytest.approx(c, abs=1e-6)
    np.testing.assert_allclose(est.per_point, c, atol=1e-6)


def test_lipschitz_diagonal_finds_largest_singular_value() -> None:
    s = torch.linspace(0.1, 2.5, D, dtype=torch.float64)
    est = lipschitz(lambda x: x * s, _x(3), iters=300)
    assert est.value == pytest.approx(2.5, abs=1e-6)


def test_lipschitz_max_over_points_is_local() -> None:
    # ReLU: Jacobian norm 1 where some input > 0, 0 where all inputs < 0
    x = torch.stack([torch.full((D,), -1.0), torch.full((D,), 1.0)]).double()
    est = lipschitz(torch.relu, x, iters=5)
    np.testing.assert_allclose(est.per_point, [0.0, 1.0], atol=1e-12)
    assert est.value == 1.0


@pytest.mark.parametrize("c", [0.3, 0.9, 1.7])
def test_ratio_of_scaled_orthogonal_is_c(c: float) -> None:
    assert block_ratio(_linear_block(c), _x()) == pytest.approx(c, rel=1e-12)


@pytest.mark.parametrize("c", [0.2, 0.5, 0.9])
def test_inversion_converges_for_contraction(c: float) -> None:
    blk = _linear_block(c)
    x = _x()
    with torch.no_grad():
        y = blk(x)
    res = invert(blk.inner, y, iters=400, tol=1e-10)
    assert res.converged and not res.diverged
    assert res.errors[-1] <= 1e-10
    assert float(torch.linalg.vector_norm(res.x - x) / torch.linalg.vector_norm(x)) < 1e-9
    # geometric rate c
    assert res.errors[3] / res.errors[2] == pytest.approx(c, rel=1e-6)


def test_inversion_diverges_for_minus_1_5_identity() -> None:
    y = _x()
    res = invert(lambda x: -1.5 * x, y, iters=100)
    assert res.diverged and not res.converged
    assert res.errors[-1] > 1e3 * res.errors[0]


def test_inversion_fails_for_c_above_one() -> None:
    blk = _linear_block(1.7)
    with torch.no_grad():
        y = blk(_x())
    res = invert(blk.inner, y, iters=100)
    assert not res.converged


def test_inversion_wrong_or_no_fixed_point_when_not_injective() -> None:
    # L(x) = -x: x + L(x) = 0 for all x, Lip(L) = 1; y = 0 has every x as pre-image
    x = _x()
    res = invert(lambda t: -t, torch.zeros_like(x), iters=10)
    assert res.converged  # converges ... to 0, not to x
    assert float(torch.linalg.vector_norm(res.x - x)) > 1.0


def test_ratio_small_but_lipschitz_large() -> None:
    def fn(x: torch.Tensor) -> torch.Tensor:
        return 0.1 * torch.sin(20 * x)

    x = torch.linspace(0.9, 1.1, 50, dtype=torch.float64).reshape(-1, 1)
    assert float((fn(x).abs() / x.abs()).max()) < 0.11
    assert lipschitz(fn, x, iters=3).value == pytest.approx(2.0, abs=1e-3)


# --------------------------------------------------------------------------- models


@pytest.mark.parametrize("depth", [8, 20, 32])
def test_resnet_block_counts_and_shapes(depth: int) -> None:
    net = resnet_cifar(depth, width=4, in_channels=1)
    blocks = find_blocks(net)
    n = (depth - 2) // 6
    assert len(blocks) == 3 * n
    for i in range(3):
        assert len(list(net.stages[i].children())) == n
    down = [name for name, b in blocks.items() if b.downsample]
    assert down == ["stages.1.0", "stages.2.0"]
    out = net(torch.rand(2, 1, 16, 16))
    assert out.shape == (2, 10)
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == depth - 1  # stem + 2 per unit; the fc layer makes `depth`
    assert all(c.kernel_size == (3, 3) for c in convs)


def test_resnet_param_count_depth_32_width_16() -> None:
    net = resnet_cifar(32, width=16, in_channels=3)
    n_params = sum(p.numel() for p in net.parameters())
    assert 0.45e6 < n_params < 0.47e6  # He et al. quote 0.46M for ResNet-32
    assert net(torch.rand(2, 3, 32, 32)).shape == (2, 10)


def test_resnet_seeded() -> None:
    a = resnet_cifar(8, width=4, in_channels=1, seed=3)
    b = resnet_cifar(8, width=4, in_channels=1, seed=3)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)


_EXPECTED = {
    "original": (["Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d"], ["ReLU"]),
    "bn_after_add": (["Conv2d", "BatchNorm2d", "ReLU", "Conv2d"], ["BatchNorm2d", "ReLU"]),
    "relu_before_add": (["Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d", "ReLU"], []),
    "relu_only_preact": (["ReLU", "Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d"], []),
    "full_preact": (["BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d", "ReLU", "Conv2d"], []),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_structure_and_forward(variant: str) -> None:
    unit = make_unit(_any(variant), 4, 4)
    inner, post = _EXPECTED[variant]
    assert [type(m).__name__ for m in unit.inner.children()] == inner
    post_names = ([] if isinstance(unit.post, nn.Identity)
                  else [type(m).__name__ for m in unit.post.modules()
                        if not isinstance(m, nn.Sequential)])
    assert post_names == post
    assert unit.identity_form == (not post)
    net = resnet_cifar(8, width=4, in_channels=1, variant=_any(variant))
    assert torch.isfinite(net(torch.rand(3, 1, 16, 16))).all()
    unit.eval()
    x = torch.randn(2, 4, 6, 6)
    with torch.no_grad():
        y = unit(x)
        expected = unit.post(x + unit.inner(x))
    assert torch.equal(y, expected)


def test_rescaled_conv_block_is_inverted() -> None:
    unit = make_unit("full_preact", 4, 4).double().eval()
    x = torch.randn(2, 4, 5, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    lip = lipschitz(unit.inner, x, iters=40).value
    last = list(unit.inner.children())[-1]
    assert isinstance(last, nn.Conv2d)
    with torch.no_grad():
        last.weight.mul_(0.5 / lip)  # L is linear in its last conv: Lip becomes 0.5
        y = unit(x)
    assert lipschitz(unit.inner, x, iters=40).value == pytest.approx(0.5, abs=1e-4)
    res = invert(unit.inner, y, iters=200, tol=1e-12)
    assert res.converged
    assert float(torch.linalg.vector_norm(res.x - x) / torch.linalg.vector_norm(x)) < 1e-9


def test_block_ratio_uses_inner_on_input() -> None:
    unit = make_unit("original", 4, 4).eval()
    x = torch.randn(2, 4, 6, 6)
    with torch.no_grad():
        want = float(torch.linalg.vector_norm(unit.inner(x)) / torch.linalg.vector_norm(x))
    assert block_ratio(unit, x) == pytest.approx(want, rel=1e-6)


# --------------------------------------------------------------------------- recorder


def test_recorder_schedule_and_modes() -> None:
    net = resnet_cifar(8, width=4, in_channels=1)
    net.train()
    net.fc.eval()  # mixed modes must be restored exactly
    probe = torch.rand(4, 1, 16, 16)
    rec = RatioRecorder(net, probe, schedule=explicit([0, 3, 7]))
    done = [rec.record(s) for s in range(9)]
    assert done == [s in (0, 3, 7) for s in range(9)]
    assert rec.steps == [0, 3, 7]
    assert net.training and not net.fc.training
    assert all(m.training for n, m in net.named_modules() if not n.startswith("fc"))
    arr = rec.as_array()
    assert arr.shape == (3, 3) and np.isfinite(arr).all() and (arr > 0).all()
    # no hooks left behind
    assert all(not _any(b.inner)._forward_hooks for b in rec.blocks.values())
    # eval-mode values equal block_ratio on the block inputs
    inputs: dict[str, torch.Tensor] = {}
    hooks = [b.register_forward_pre_hook(
        lambda m, a, n=n: inputs.__setitem__(n, a[0])) for n, b in rec.blocks.items()]
    net.eval()
    with torch.no_grad():
        net(probe)
    for h in hooks:
        h.remove()
    for j, (name, blk) in enumerate(rec.blocks.items()):
        assert arr[-1, j] == pytest.approx(block_ratio(blk, inputs[name]), rel=1e-5)


def test_recorder_restores_mode_on_error() -> None:
    net = resnet_cifar(8, width=4, in_channels=1)
    net.train()
    rec = RatioRecorder(net, torch.rand(2, 3, 16, 16), schedule=every(1))  # wrong channels
    with pytest.raises(RuntimeError):
        rec.record(0)
    assert all(m.training for m in net.modules())
    assert all(not _any(b.inner)._forward_hooks for b in rec.blocks.values())
    assert rec.steps == []


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("depth", [9, 10, 31])
def test_bad_depth(depth: int) -> None:
    with pytest.raises(ValueError, match=r"`depth` must be 6n \+ 2"):
        resnet_cifar(depth)


def test_bad_variant() -> None:
    with pytest.raises(ValueError, match="`variant` must be one of"):
        resnet_cifar(8, variant=_any("preact"))
    with pytest.raises(ValueError, match="`variant` must be one of"):
        make_unit(_any("nope"), 2, 2)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="`tol` must be > 0"):
        invert(lambda x: x, torch.ones(2, 2), tol=0.0)
    with pytest.raises(ValueError, match="`y` must be finite"):
        invert(lambda x: x, torch.tensor([[float("nan")]]))
    with pytest.raises(ValueError, match="`x0` must be"):
        lipschitz(lambda x: x, torch.ones(3))
    with pytest.raises(ValueError, match="`x` must be a finite, non-zero tensor"):
        block_ratio(_linear_block(0.5), torch.zeros(2, D, dtype=torch.float64))
    with pytest.raises(TypeError, match="`block` must have an `inner`"):
        block_ratio(nn.Linear(2, 2), torch.ones(1, 2))
    with pytest.raises(ValueError, match="`model` must be a module containing residual"):
        RatioRecorder(nn.Linear(2, 2), torch.ones(1, 2))
