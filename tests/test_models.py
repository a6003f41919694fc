"""Tests for infoplane.models: the named MLP builder and the batched multi-seed MLP."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from infoplane.models import ACTIVATIONS, BatchedMLP, mlp


def test_mlp_default_names_and_shapes() -> None:
    net = mlp()
    names = [n for n, _ in net.named_children()]
    assert names == ["fc1", "act1", "fc2", "act2", "fc3", "act3", "fc4", "act4", "fc5", "act5",
                     "fc6"]
    widths = [m.out_features for m in net if isinstance(m, nn.Linear)]
    assert widths == [10, 7, 5, 4, 3, 2]
    assert all(isinstance(net.get_submodule(f"act{i}"), nn.Tanh) for i in range(1, 6))
    assert net(torch.zeros(3, 12)).shape == (3, 2)


def test_mlp_output_activation_adds_named_module() -> None:
    net = mlp((4, 3, 2), activation="relu", output_activation="sigmoid")
    assert [n for n, _ in net.named_children()] == ["fc1", "act1", "fc2", "act2"]
    assert isinstance(net.act2, nn.Sigmoid)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_every_activation_builds(name: str) -> None:
    net = mlp((3, 4, 2), activation=name)  # type: ignore[arg-type]
    assert net(torch.ones(2, 3)).shape == (2, 2)


def test_original_init_is_truncated_normal_with_zero_bias() -> None:
    net = mlp((400, 300, 2), seed=1)
    w = net.fc1.weight.detach()
    std = 1.0 / math.sqrt(400)
    assert float(w.abs().max()) <= 2 * std + 1e-7
    # a normal truncated at ±2σ has standard deviation ≈ 0.88σ
    assert float(w.std()) == pytest.approx(0.8796 * std, rel=0.02)
    assert float(w.mean()) == pytest.approx(0.0, abs=0.01 * std)
    assert torch.count_nonzero(net.fc1.bias) == 0


def test_default_init_is_torch_like_and_seeded() -> None:
    net = mlp((50, 20, 2), init="default", seed=3)
    bound = 1.0 / math.sqrt(50)
    assert float(net.fc1.weight.detach().abs().max()) <= bound
    assert float(net.fc1.bias.detach().abs().max()) <= bound
    assert torch.count_nonzero(net.fc1.bias) > 0
    assert torch.equal(net.fc1.weight, mlp((50, 20, 2), init="default", seed=3).fc1.weight)


def test_seeded_and_no_global_rng() -> None:
    state = torch.random.get_rng_state()
    a, b, c = mlp(seed=4), mlp(seed=4), mlp(seed=5)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert torch.equal(a.fc3.weight, b.fc3.weight)
    assert not torch.equal(a.fc3.weight, c.fc3.weight)


def test_dtype_option() -> None:
    assert mlp(dtype=torch.float64).fc1.weight.dtype == torch.float64


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"widths": (12,)}, ValueError, "`widths` must be at least two widths"),
        ({"widths": (12, 0, 2)}, ValueError, r"`widths\[1\]` must be an integer >= 1"),
        ({"activation": "gelu"}, ValueError, "`activation` must be one of"),
        ({"output_activation": "soft"}, ValueError, "`output_activation` must be one of"),
        ({"init": "xavier"}, ValueError, "`init` must be one of"),
        ({"seed": -1}, ValueError, "`seed` must be an integer >= 0"),
        ({"dtype": torch.int64}, ValueError, "`dtype` must be a floating torch dtype"),
    ],
)
def test_mlp_errors(kwargs: dict, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        mlp(**kwargs)


def test_batched_copies_equal_standalone_models() -> None:
    bm = BatchedMLP(4, seed=10)
    x = torch.randn(9, 12, generator=torch.Generator().manual_seed(0))
    out = bm(x)
    assert out.shape == (4, 9, 2)
    assert bm.weights[0].shape == (4, 10, 12)
    for s in range(4):
        ref = mlp(seed=10 + s)
        member = bm.member(s)
        for (n1, p1), (n2, p2) in zip(ref.named_parameters(), member.named_parameters(),
                                      strict=True):
            assert n1 == n2
            assert torch.equal(p1, p2)
        torch.testing.assert_close(out[s], ref(x))


def test_batched_per_model_input_and_layers() -> None:
    bm = BatchedMLP(3, (5, 4, 3), activation="relu", dtype=torch.float64)
    x = torch.randn(3, 6, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    layers = bm.forward_layers(x)
    assert list(layers) == list(bm.layer_names) == ["act1", "fc2"]
    assert layers["act1"].shape == (3, 6, 4)
    for s in range(3):
        member = bm.member(s)
        torch.testing.assert_close(layers["fc2"][s], member(x[s]))
        torch.testing.assert_close(layers["act1"][s], member.act1(member.fc1(x[s])))
    # a shared (N, d) input equals the same input given to every copy
    torch.testing.assert_close(bm(x[0]), bm(x[0].expand(3, 6, 5)))


def test_batched_output_activation_name() -> None:
    bm = BatchedMLP(2, (4, 3, 2), output_activation="sigmoid")
    out = bm.forward_layers(torch.ones(5, 4))
    assert bm.output_name == "act2" and set(out) == {"act1", "act2"}
    assert float(out["act2"].detach().min()) > 0.0


def test_member_is_a_copy() -> None:
    bm = BatchedMLP(2, (4, 3, 2))
    m = bm.member(0)
    with torch.no_grad():
        m.fc1.weight.add_(1.0)
    assert not torch.equal(m.fc1.weight, bm.weights[0][0])


def test_batched_errors() -> None:
    bm = BatchedMLP(2, (4, 3, 2))
    with pytest.raises(ValueError, match="`n_models` must be an integer >= 1"):
        BatchedMLP(0)
    with pytest.raises(ValueError, match=r"`x` must be of shape \(N, 4\) or \(2, N, 4\)"):
        bm(torch.ones(5, 3))
    with pytest.raises(ValueError, match=r"`x` must be of shape"):
        bm(torch.ones(3, 5, 4))
    with pytest.raises(ValueError, match=r"`s` must be an integer in \[0, 2\)"):
        bm.member(2)
