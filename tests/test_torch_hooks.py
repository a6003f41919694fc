"""infoplane._torch.capture: hand-computed captures, input capture, modes and hooks restored."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from infoplane._torch import capture


def _net() -> nn.Sequential:
    """Linear(2, 2) -> ReLU -> Linear(2, 1) with hand-set weights."""
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, -2.0], [0.5, 3.0]]))
        net[0].bias.copy_(torch.tensor([0.25, -1.0]))
        net[2].weight.copy_(torch.tensor([[2.0, -1.0]]))
        net[2].bias.copy_(torch.tensor([0.5]))
    return net


# x = (1, 1): z = (1 - 2 + 0.25, 0.5 + 3 - 1) = (-0.75, 2.5), relu = (0, 2.5), out = -2.5 + 0.5
# x = (2, 0): z = (2.25, 0), relu = (2.25, 0), out = 4.5 + 0.5 = 5
X = torch.tensor([[1.0, 1.0], [2.0, 0.0]], dtype=torch.float64)
Z = torch.tensor([[-0.75, 2.5], [2.25, 0.0]], dtype=torch.float64)
H = torch.tensor([[0.0, 2.5], [2.25, 0.0]], dtype=torch.float64)
OUT = torch.tensor([[-2.0], [5.0]], dtype=torch.float64)


def _no_hooks(model: nn.Module) -> bool:
    return all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_outputs_equal_the_hand_computed_forward() -> None:
    net = _net()
    with capture(net, {"fc1": net[0], "relu": net[1], "fc2": net[2]}) as seen:
        out = net(X)
    torch.testing.assert_close(seen["fc1"][0], Z, rtol=0, atol=1e-15)
    torch.testing.assert_close(seen["relu"][0], H, rtol=0, atol=1e-15)
    torch.testing.assert_close(seen["fc2"][0], OUT, rtol=0, atol=1e-15)
    torch.testing.assert_close(out, OUT, rtol=0, atol=1e-15)
    assert _no_hooks(net)


def test_input_capture_is_what_the_module_receives() -> None:
    net = _net()
    with capture(net, {"fc1": net[0], "fc2": net[2]}, inputs=True) as seen:
        net(X)
        net(2 * X)  # a second pass appends
    torch.testing.assert_close(seen["fc1"][0], X, rtol=0, atol=0)
    torch.testing.assert_close(seen["fc1"][1], 2 * X, rtol=0, atol=0)
    torch.testing.assert_close(seen["fc2"][0], H, rtol=0, atol=1e-15)
    assert len(seen["fc2"]) == 2
    assert _no_hooks(net)


def test_no_grad_kept_by_default_and_detached_with_grad() -> None:
    net = _net()
    with capture(net, {"fc1": net[0]}) as seen:
        out = net(X)
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()
    assert out.grad_fn is None and not seen["fc1"][0].requires_grad
    with capture(net, {"fc1": net[0]}, grad=True) as seen:
        out = net(X)
    assert out.requires_grad  # the body may backpropagate ...
    assert not seen["fc1"][0].requires_grad and seen["fc1"][0].grad_fn is None  # ... not these


def test_modes_and_hooks_restored_when_the_body_raises() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Sequential(nn.ReLU(), nn.Linear(4, 2)))
    net.train()
    net[1].eval()  # a mix of modes, including a nested submodule
    net[2][1].eval()
    before = {name: m.training for name, m in net.named_modules()}
    chosen = {"a": net[0], "b": net[2][1]}
    with pytest.raises(RuntimeError, match="boom"), capture(net, chosen):
        assert all(not m.training for m in net.modules())  # eval mode inside
        net(torch.ones(2, 3))
        raise RuntimeError("boom")
    assert {name: m.training for name, m in net.named_modules()} == before
    assert _no_hooks(net)
    # also when the forward pass itself fails (wrong input width)
    with pytest.raises(RuntimeError), capture(net, {"a": net[0]}, inputs=True):
        net(torch.ones(2, 5))
    assert {name: m.training for name, m in net.named_modules()} == before
    assert _no_hooks(net)


def test_eval_mode_off_keeps_training_flags_inside() -> None:
    net = _net().train()
    with capture(net, {}, eval_mode=False):
        assert all(m.training for m in net.modules())
    with capture(net, {}):
        assert not any(m.training for m in net.modules())
    assert all(m.training for m in net.modules())


def test_on_output_streams_instead_of_storing() -> None:
    net = _net()
    got: list[tuple[str, torch.Tensor]] = []
    with capture(net, {"relu": net[1]}, on_output=lambda n, t: got.append((n, t))) as seen:
        net(X[:1])
        net(X[1:])
    assert seen == {"relu": []}
    assert [n for n, _ in got] == ["relu", "relu"]
    torch.testing.assert_close(torch.cat([t for _, t in got]), H, rtol=0, atol=1e-15)


class _Pair(nn.Module):
    def forward(self, x: torch.Tensor) -> Any:
        return (x + 1, x - 1)


class _Dict(nn.Module):
    def forward(self, x: torch.Tensor) -> Any:
        return {"x": x}


def test_tuple_outputs_give_their_first_tensor_and_non_tensors_raise() -> None:
    pair, bad = _Pair(), _Dict()
    with capture(pair, {"p": pair}) as seen:
        pair(torch.zeros(2))
    torch.testing.assert_close(seen["p"][0], torch.ones(2))
    msg = "`modules` must select modules whose output is a tensor"
    with pytest.raises(TypeError, match=msg), capture(bad, {"d": bad}):
        bad(torch.zeros(2))
    assert _no_hooks(bad)
    with pytest.raises(TypeError, match=r"`modules` must map names to torch\.nn\.Module"):
        capture(pair, {"x": "not a module"}).__enter__()  # type: ignore[dict-item]
    with pytest.raises(TypeError, match=r"`model` must be a torch\.nn\.Module"):
        capture("net", {}).__enter__()  # type: ignore[arg-type]
