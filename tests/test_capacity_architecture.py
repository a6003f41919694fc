"""Tests for infoplane.capacity.architecture (of_model: nn.Module -> chain -> bottleneck -> MMI)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from infoplane.capacity.architecture import ROLES, CapacityReport, LayerInfo, of_model
from infoplane.capacity.waterfill import mmi, water_filling

EIG = np.exp(-0.2 * np.arange(20))
BUDGET = 5.0


def _chain() -> nn.Sequential:
    return nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 10), nn.Tanh(),
                         nn.Linear(10, 32))


def _role(report: CapacityReport, name: str) -> str:
    return next(layer.role for layer in report.layers if layer.name == name)


# ---- the paper's chain ------------------------------------------------------------------------


def test_sequential_chain_matches_closed_form() -> None:
    report = of_model(_chain(), EIG, budget=BUDGET)
    assert report.walk == "torch.fx" and report.chain and report.closed_form
    assert report.n0 == 20
    assert report.widths == (64, 10, 32)
    assert report.bottleneck == "2" and report.n_tilde == 10
    expected = mmi(EIG, [64, 10, 32], budget=BUDGET)
    assert report.mmi_nats == pytest.approx(expected, rel=1e-12)
    assert report.mmi_nats == pytest.approx(mmi(EIG, 10, budget=BUDGET), rel=1e-12)
    assert report.mmi_bits == pytest.approx(expected / math.log(2), rel=1e-12)
    assert report.n_active == water_filling(EIG, 10, BUDGET).n_active
    assert [layer.role for layer in report.layers] == [
        "width", "closed_form_activation", "width", "closed_form_activation", "width"]
    assert all(layer.role in ROLES for layer in report.layers)
    text = " ".join(report.reasons)
    for theorem in ("Theorem 2", "Theorem 3", "Theorem 4", "Theorem 5"):
        assert theorem in text


def test_noise_var_and_covariance_matrix_input() -> None:
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(20, 20)))
    cov = q @ np.diag(EIG) @ q.T
    report = of_model(_chain(), cov, budget=BUDGET, noise_var=0.5)
    assert report.mmi_nats == pytest.approx(mmi(EIG, 10, budget=BUDGET, noise_var=0.5),
                                            rel=1e-9)
    assert report.noise_var == 0.5 and report.budget == BUDGET


def test_large_budget_uses_theorem_1() -> None:
    report = of_model(_chain(), EIG, budget=1e4)
    assert report.n_active == 10
    assert any(r.startswith("Theorem 1") for r in report.reasons)


def test_input_is_bottleneck_when_n0_smallest() -> None:
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 12))
    eig = np.arange(1.0, 9.0)
    report = of_model(model, eig, budget=3.0)
    assert report.bottleneck == "input" and report.n_tilde == 8
    assert report.mmi_nats == pytest.approx(mmi(eig, [16, 12], budget=3.0))


# ---- roles ------------------------------------------------------------------------------------


def test_gelu_has_no_closed_form() -> None:
    model = nn.Sequential(nn.Linear(20, 32), nn.GELU(), nn.Linear(32, 4))
    report = of_model(model, EIG, budget=BUDGET)
    assert not report.closed_form
    assert report.mmi_nats is None and report.mmi_bits is None and report.n_active is None
    assert _role(report, "1") == "no_closed_form"
    assert any("GELU" in r and "No closed form" in r for r in report.reasons)
    # the prefix up to the GELU still has a closed form, and says so
    prefix = mmi(EIG, [32], budget=BUDGET)
    assert any(f"{prefix:.6g}" in r for r in report.reasons)
    # the structural bottleneck is still reported
    assert report.bottleneck == "2" and report.n_tilde == 4


@pytest.mark.parametrize("layer, word", [
    (nn.SiLU(), "SiLU"), (nn.Softmax(dim=-1), "Softmax"), (nn.ReLU6(), "ReLU6"),
    (nn.LayerNorm(16), "LayerNorm"), (nn.LeakyReLU(-0.5), "LeakyReLU"),
])
def test_other_activations_without_closed_form(layer: nn.Module, word: str) -> None:
    report = of_model(nn.Sequential(nn.Linear(20, 16), layer, nn.Linear(16, 4)), EIG,
                      budget=BUDGET)
    assert not report.closed_form and _role(report, "1") == "no_closed_form"
    assert any(word in r for r in report.reasons)


def test_conv_pool_attention_no_closed_form() -> None:
    model = nn.Sequential(nn.Unflatten(1, (1, 20)), nn.Conv1d(1, 2, 3), nn.MaxPool1d(2),
                          nn.Flatten(), nn.Linear(18, 4))
    report = of_model(model, EIG, budget=BUDGET)
    assert not report.closed_form
    notes = {layer.kind: layer.note for layer in report.layers}
    assert "circular_conv_mmi" in notes["Conv1d"]
    assert "pooling" in notes["MaxPool1d"]
    # shape-changing steps before the first Linear: no N0 check, no bottleneck guess
    assert report.bottleneck is None and report.n_tilde is None


@pytest.mark.parametrize("act, theorem", [
    (nn.ReLU(), 3), (nn.LeakyReLU(0.1), 4), (nn.ELU(), 4), (nn.SELU(), 4), (nn.Softplus(), 4),
    (nn.Tanh(), 4), (nn.Sigmoid(), 4),
])
def test_closed_form_activations(act: nn.Module, theorem: int) -> None:
    report = of_model(nn.Sequential(nn.Linear(20, 6), act), EIG, budget=BUDGET)
    assert report.closed_form and _role(report, "1") == "closed_form_activation"
    assert f"Theorem {theorem}" in report.layers[1].note
    assert report.mmi_nats == pytest.approx(mmi(EIG, 6, budget=BUDGET))


def test_transparent_layers() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(20, 16), nn.BatchNorm1d(16), nn.ReLU(),
                          nn.Dropout(0.3), nn.Identity(), nn.Linear(16, 12)).eval()
    report = of_model(model, EIG, budget=BUDGET)
    for name in ("0", "2", "4", "5"):
        assert _role(report, name) == "transparent"
    assert report.closed_form
    assert report.mmi_nats == pytest.approx(mmi(EIG, [16, 12], budget=BUDGET))
    bn = report.layers[2]
    assert bn.kind == "BatchNorm1d" and "budget" in bn.note and "rescal" in bn.note
    assert any("BatchNorm1d" in r and "budget" in r for r in report.reasons)


def test_relu_after_bias_free_layer_is_only_a_bound() -> None:
    model = nn.Sequential(nn.Linear(20, 8, bias=False), nn.ReLU(), nn.Linear(8, 4))
    report = of_model(model, EIG, budget=BUDGET)
    assert not report.closed_form and report.mmi_nats is None
    assert any("upper bound" in r and "bias" in r for r in report.reasons)
    # BatchNorm with an affine shift supplies the bias again
    model = nn.Sequential(nn.Linear(20, 8, bias=False), nn.BatchNorm1d(8), nn.ReLU())
    assert of_model(model, EIG, budget=BUDGET).closed_form


def test_activation_on_raw_input_not_covered() -> None:
    report = of_model(nn.Sequential(nn.Tanh(), nn.Linear(20, 4)), EIG, budget=BUDGET)
    assert not report.closed_form
    assert any("raw input" in r for r in report.reasons)


# ---- torch.fx: functional models, branches, fallback -----------------------------------------


class _Functional(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(20, 16)
        self.fc2 = nn.Linear(16, 6)
        self.out = nn.Linear(6, 12)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.view(x.size(0), -1)
        h = torch.relu(self.fc1(x))
        h = F.relu(self.fc2(h))
        return torch.sigmoid(self.out(h) * 2.0)


def test_custom_module_with_functional_calls_traced() -> None:
    report = of_model(_Functional(), EIG, budget=BUDGET)
    assert report.walk == "torch.fx" and report.chain and report.closed_form
    kinds = [layer.kind for layer in report.layers]
    assert kinds == ["Tensor.view", "Linear", "torch.relu", "Linear", "F.relu", "Linear",
                     "operator.mul", "torch.sigmoid"]
    assert report.widths == (16, 6, 12) and report.bottleneck == "fc2"
    assert report.mmi_nats == pytest.approx(mmi(EIG, 6, budget=BUDGET))


class _TwoTower(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.left = nn.Linear(20, 5)
        self.right = nn.Linear(20, 7)
        self.head = nn.Linear(12, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([torch.relu(self.left(x)), self.right(x)], dim=1))


class _Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(20, 20)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.relu(self.fc(x))


@pytest.mark.parametrize("model, merge", [(_TwoTower(), "cat"), (_Residual(), "add")])
def test_branches_not_covered(model: nn.Module, merge: str) -> None:
    report = of_model(model, EIG, budget=BUDGET)
    assert not report.chain and not report.closed_form
    assert report.mmi_nats is None and report.bottleneck is None and report.n_tilde is None
    assert "not a chain" in report.reasons[0] and "branches" in report.reasons[0]
    assert _role(report, merge) == "no_closed_form"


class _ControlFlow(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(20, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:  # data-dependent: torch.fx cannot trace this
            return self.fc(x)
        return self.fc(-x)


class _SignFlip(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x if x.sum() > 0 else -x


def test_untraceable_sequential_falls_back_to_leaf_order() -> None:
    model = nn.Sequential(nn.Linear(20, 8), nn.ReLU(), nn.Linear(8, 4), _SignFlip())
    report = of_model(model, EIG, budget=BUDGET)
    assert report.walk == "leaf_modules" and report.chain
    assert "fell back" in report.reasons[0]
    assert [layer.kind for layer in report.layers] == ["Linear", "ReLU", "Linear", "_SignFlip"]
    assert not report.closed_form and _role(report, "3") == "no_closed_form"
    model = nn.Sequential(nn.Linear(20, 8), nn.Sequential(nn.ReLU(), nn.Linear(8, 4)))
    # traceable: the fallback is only used when tracing fails
    assert of_model(model, EIG, budget=BUDGET).walk == "torch.fx"


def test_untraceable_custom_module_not_guessed() -> None:
    report = of_model(_ControlFlow(), EIG, budget=BUDGET)
    assert report.walk == "leaf_modules" and not report.chain and not report.closed_form
    assert "cannot be verified" in report.reasons[0]


# ---- errors -----------------------------------------------------------------------------------


def test_n0_mismatch() -> None:
    with pytest.raises(ValueError, match=r"`eigenvalues` must be of length N0 = 20 .*got 15"):
        of_model(_chain(), np.ones(15), budget=BUDGET)


def test_model_without_linear() -> None:
    with pytest.raises(ValueError, match=r"`model` must be a network with at least one fully "
                                         r"connected layer \(nn.Linear\).*Found: ReLU, Tanh"):
        of_model(nn.Sequential(nn.ReLU(), nn.Tanh()), EIG, budget=BUDGET)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"budget": [1.0, 2.0]}, ValueError, "`budget` must be a scalar"),
    ({"budget": -1.0}, ValueError, "`budget` must be >= 0"),
    ({"budget": 1.0, "noise_var": 0.0}, ValueError, "`noise_var` must be > 0"),
])
def test_argument_errors(kwargs: dict[str, object], exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        of_model(_chain(), EIG, **kwargs)  # type: ignore[arg-type]


def test_not_a_module() -> None:
    with pytest.raises(TypeError, match=r"`model` must be a torch\.nn\.Module"):
        of_model("model", EIG, budget=1.0)  # type: ignore[arg-type]


# ---- output -----------------------------------------------------------------------------------


def test_str_and_to_dict() -> None:
    report = of_model(_chain(), EIG, budget=BUDGET)
    text = str(report)
    lines = text.splitlines()
    assert lines[0].startswith("CapacityReport: Sequential")
    assert "layer" in lines[1] and "kind" in lines[1] and "role" in lines[1]
    assert "bottleneck: `2` (width 10)" in text
    assert f"{report.mmi_nats:.6g} nats" in text and f"{report.mmi_bits:.6g} bits" in text
    assert f"active components: {report.n_active} of 10" in text
    assert "Theorem 5" in text
    d = report.to_dict()
    restored = json.loads(json.dumps(d))
    assert restored == d
    assert d["widths"] == [64, 10, 32] and d["bottleneck"] == "2" and d["n_tilde"] == 10
    assert d["mmi_nats"] == report.mmi_nats and d["closed_form"] is True
    assert d["layers"][1] == {"name": "1", "kind": "ReLU", "role": "closed_form_activation",
                              "width": None, "note": report.layers[1].note}
    assert isinstance(d["reasons"], list) and len(d["reasons"]) == len(report.reasons)
    # a report without a closed form serialises too
    bad = of_model(_TwoTower(), EIG, budget=BUDGET)
    assert json.loads(json.dumps(bad.to_dict()))["mmi_nats"] is None
    assert "MMI: no closed form" in str(bad)


def test_results_are_frozen() -> None:
    report = of_model(_chain(), EIG, budget=BUDGET)
    with pytest.raises(AttributeError):
        report.n0 = 3  # type: ignore[misc]
    assert isinstance(report.layers[0], LayerInfo)
    with pytest.raises(AttributeError):
        report.layers[0].width = 3  # type: ignore[misc]


def test_model_is_not_modified() -> None:
    model = _chain()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    of_model(model, EIG, budget=BUDGET)
    assert model.training
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])
