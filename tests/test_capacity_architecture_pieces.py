"""Tests for the pieces of ``of_model``: graph walk, step classification, chain analysis."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.fx
import torch.nn.functional as F
from torch import nn

from infoplane.capacity import architecture as arch
from infoplane.capacity.waterfill import mmi


class _DeadBranch(nn.Module):
    """The output depends on `a` only; `b` is computed and dropped."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(4, 3)
        self.b = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.b(x)
        return torch.relu(self.a(x))


class _TwoInputs(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.a(x) * y


class _BiasAfterNoBias(nn.Module):
    """Linear without bias, then a trainable bias added by hand, then ReLU: Theorem 3 holds."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(4, 3, bias=False)
        self.bias = nn.Parameter(torch.zeros(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.a(x) + self.bias)


def _graph(model: nn.Module) -> arch._Graph:
    return arch._graph(model, torch.fx.symbolic_trace(model))


def test_graph_keeps_only_what_the_output_depends_on() -> None:
    model = _DeadBranch()
    g = _graph(model)
    relevant = {n.name for n in g.relevant}
    assert relevant == {"x", "a", "relu"}
    assert {n.name for n in g.data} == {"x", "a", "b", "relu"}
    assert arch._graph_problems(model, g) == []
    walked = arch._fx_walk(model, torch.fx.symbolic_trace(model))
    assert walked.chain and [s.name for s in walked.steps] == ["a", "relu"]


def test_graph_problems_name_the_extra_input() -> None:
    model = _TwoInputs()
    problems = arch._graph_problems(model, _graph(model))
    assert problems == ["the model takes several inputs (x, y)"]


def test_relus_without_bias_and_a_bias_supplied_by_an_addition() -> None:
    no_bias = arch._walk(nn.Sequential(nn.Linear(4, 3, bias=False), nn.ReLU(), nn.Linear(3, 2)))
    flagged = arch._relus_without_bias(no_bias.steps)
    assert [s.name for s in flagged] == ["1"]
    with_bias = arch._walk(_BiasAfterNoBias())
    assert [s.role for s in with_bias.steps] == ["width", "transparent",
                                                  "closed_form_activation"]
    assert arch._relus_without_bias(with_bias.steps) == ()


@pytest.mark.parametrize(("n0", "widths", "expected"), [
    (5, (8, 3, 3, 6), ("2", 3)),      # the first of two narrowest layers
    (2, (8, 3, 6), ("input", 2)),     # N0 below every width
    (3, (8, 3, 6), ("input", 3)),     # a tie with the input goes to the input
])
def test_bottleneck(n0: int, widths: tuple[int, ...], expected: tuple[str, int]) -> None:
    layers: list[nn.Module] = []
    prev = n0
    for w in widths:
        layers += [nn.Linear(prev, w), nn.ReLU()]
        prev = w
    steps = arch._walk(nn.Sequential(*layers)).steps
    width_idx = tuple(i for i, s in enumerate(steps) if s.role == "width")
    assert arch._bottleneck(steps, width_idx, widths, n0) == expected
    assert expected[1] == min(n0, *widths)


def test_classify_and_report_agree_with_the_closed_form() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 5))
    eig = np.array([3.0, 2.0, 1.0, 0.5, 0.25, 0.1])
    inp = arch._check_inputs(model, eig, 2.0, 0.5)
    chain = arch._classify(model, arch._walk(model), inp.n0)
    assert chain.widths == (4, 5) and chain.input_facing and chain.closed
    assert chain.bottleneck == "1" and chain.n_tilde == 4
    report = arch._report(model, chain, inp)
    assert report.mmi_nats == pytest.approx(mmi(eig, 4, budget=2.0, noise_var=0.5), rel=1e-12)


def test_classify_stops_at_a_shape_changing_first_step() -> None:
    model = nn.Sequential(nn.AvgPool1d(2), nn.Flatten(), nn.Linear(3, 2))
    chain = arch._classify(model, arch._walk(model), 99)  # N0 is not checked here
    assert not chain.input_facing and not chain.closed and chain.n_tilde is None
    assert [s.kind for s in chain.blockers] == ["AvgPool1d"]


@pytest.mark.parametrize(("fn", "role", "theorem"), [
    (lambda x: F.leaky_relu(x, 0.0), "closed_form_activation", 3),
    (lambda x: F.leaky_relu(x, 0.2), "closed_form_activation", 4),
    (lambda x: F.elu(x, alpha=-1.0), "no_closed_form", None),
    (lambda x: x * 2.0, "transparent", None),
    (lambda x: 1.0 / x, "no_closed_form", None),
    (lambda x: x[:, :2], "no_closed_form", None),
])
def test_function_steps(fn: object, role: str, theorem: int | None) -> None:
    class Wrap(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return fn(x)  # type: ignore[operator, no-any-return]

    model = Wrap()
    g = _graph(model)
    node = next(n for n in g.nodes if n.op in ("call_function", "call_method"))
    step = arch._function_step(node, model, g.data)
    assert (step.role, step.theorem) == (role, theorem)
