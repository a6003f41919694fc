"""Tests for infoplane.training: the seeded loop `fit`, its batched many-seed path, aliases."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from infoplane.models import BatchedMLP, mlp
from infoplane.training import History, TrainConfig, fit, train, train_batched


def _data(n: int, d: int = 12, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 2, (n, d), generator=g).to(torch.float64)
    y = ((x[:, 0] + x[:, 1] + x[:, 2]) >= 2).long()
    return x, y


def _assert_same(batched: BatchedMLP, hist_b: History, singles: list[nn.Module],
                 hists: list[History]) -> None:
    for s, (net, h) in enumerate(zip(singles, hists, strict=True)):
        for p_ref, p_b in zip(net.parameters(), batched.member(s).parameters(), strict=True):
            torch.testing.assert_close(p_b, p_ref, rtol=1e-10, atol=1e-12)
        hs = hist_b.member(s)
        np.testing.assert_allclose(hs.train_loss, h.train_loss, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(hs.train_accuracy, h.train_accuracy)
        assert hs.test_loss is not None and h.test_loss is not None
        np.testing.assert_allclose(hs.test_loss, h.test_loss, rtol=1e-10, atol=1e-12)


def _train_each(make_net: Callable[[int], nn.Module], sets: Sequence[tuple[Any, Any]],
                cfg: TrainConfig) -> tuple[list[nn.Module], list[History]]:
    """Train copy ``s`` alone: ``make_net(s)`` on ``sets[s]`` (train, test), seed cfg.seed + s."""
    singles, hists = [], []
    for s, (train_set, test_set) in enumerate(sets):
        net = make_net(s)
        hists.append(fit(net, train_set, test_set, dataclasses.replace(cfg, seed=cfg.seed + s),
                           progress=False))
        singles.append(net)
    return singles, hists


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
@pytest.mark.parametrize("batch_size", [None, 16])
def test_batched_equals_one_by_one(optimizer: Any, batch_size: int | None) -> None:
    train_set, test_set = _data(70, seed=1), _data(30, seed=2)
    cfg = TrainConfig(epochs=4, optimizer=optimizer, lr=0.05, batch_size=batch_size,
                      momentum=0.9 if optimizer == "sgd" else 0.0, weight_decay=1e-3, seed=7)
    bm = BatchedMLP(3, seed=2, dtype=torch.float64)
    hb = fit(bm, train_set, test_set, cfg, progress=False)
    assert hb.train_loss.shape == (3, 4)
    singles, hists = _train_each(lambda s: mlp(seed=2 + s, dtype=torch.float64),
                                 [(train_set, test_set)] * 3, cfg)
    _assert_same(bm, hb, singles, hists)


def test_batched_per_copy_data_equals_one_by_one() -> None:
    sets = [_data(40, seed=10 + s) for s in range(2)]
    x = torch.stack([a for a, _ in sets])
    y = torch.stack([b for _, b in sets])
    cfg = TrainConfig(epochs=3, lr=0.02, batch_size=16)
    bm = BatchedMLP(2, dtype=torch.float64)
    hb = fit(bm, (x, y), (x, y), cfg, progress=False)
    singles, hists = _train_each(lambda s: mlp(seed=s, dtype=torch.float64),
                                 [(d, d) for d in sets], cfg)
    _assert_same(bm, hb, singles, hists)


def test_float32_batched_close_to_one_by_one() -> None:
    x, y = _data(64)
    cfg = TrainConfig(epochs=3, lr=0.01, batch_size=32)
    bm = BatchedMLP(2)
    fit(bm, (x, y), None, cfg, progress=False)
    net = mlp(seed=1)
    fit(net, (x, y), None, dataclasses.replace(cfg, seed=1), progress=False)
    torch.testing.assert_close(bm.member(1).fc6.weight, net.fc6.weight, rtol=1e-5, atol=1e-6)


def test_train_learns_and_is_deterministic() -> None:
    x, y = _data(128)
    cfg = TrainConfig(epochs=40, lr=0.02, batch_size=32, seed=3)
    h1 = fit(mlp(dtype=torch.float64), (x, y), None, cfg, progress=False)
    h2 = fit(mlp(dtype=torch.float64), (x.numpy(), y.numpy()), None, cfg, progress=False)
    assert h1.test_loss is None and h1.test_accuracy is None
    assert h1.train_loss.shape == (40,) and h1.epochs == 40
    assert h1.train_loss[-1] < h1.train_loss[0]
    assert h1.final_train_accuracy > 0.8
    np.testing.assert_array_equal(h1.train_loss, h2.train_loss)


def test_callback_mode_and_threads_restored() -> None:
    x, y = _data(32)
    net = mlp(dtype=torch.float64)
    net.eval()
    seen: list[int] = []
    threads = torch.get_num_threads()

    def cb(epoch: int, model: nn.Module) -> None:
        assert model is net and not model.training
        seen.append(epoch)

    fit(net, (x, y), None, TrainConfig(epochs=3), callback=cb, progress=False, num_threads=1)
    assert seen == [1, 2, 3]
    assert not net.training
    assert torch.get_num_threads() == threads

    bm = BatchedMLP(2, dtype=torch.float64)
    epochs: list[int] = []
    fit(bm, (x, y), None, TrainConfig(epochs=2), callback=lambda e, m: epochs.append(e),
        progress=False)
    assert epochs == [1, 2] and bm.training


def test_history_member() -> None:
    h = History(np.zeros((2, 3)), np.ones((2, 3)), None, None)
    assert h.member(1).train_accuracy.shape == (3,)
    with pytest.raises(ValueError, match=r"`s` must be an integer in \[0, 2\)"):
        h.member(2)
    with pytest.raises(ValueError, match="`history` must be from a batched fit"):
        h.member(0).member(0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epochs": 0}, "`epochs` must be an integer >= 1"),
        ({"optimizer": "rmsprop"}, "`optimizer` must be one of 'adam', 'sgd'"),
        ({"lr": 0.0}, "`lr` must be > 0"),
        ({"batch_size": 0}, "`batch_size` must be an integer >= 1"),
        ({"momentum": 1.0}, r"`momentum` must be in \[0, 1\)"),
        ({"weight_decay": -1.0}, "`weight_decay` must be >= 0"),
        ({"seed": -2}, "`seed` must be an integer >= 0"),
        ({"batches_per_epoch": 0}, "`batches_per_epoch` must be an integer >= 1"),
    ],
)
def test_config_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        TrainConfig(**kwargs)


def test_data_errors() -> None:
    x, y = _data(20)
    net = mlp()
    cfg = TrainConfig(epochs=1)
    with pytest.raises(ValueError, match=r"`train\[0\]` must be an array of shape \(N, d\)"):
        fit(net, (x[0], y), None, cfg, progress=False)
    bad = x.clone()
    bad[0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"`train\[0\]` must be finite"):
        fit(net, (bad, y), None, cfg, progress=False)
    with pytest.raises(ValueError, match=r"`train\[1\]` must be labels of shape \(20,\)"):
        fit(net, (x, y[:5]), None, cfg, progress=False)
    with pytest.raises(ValueError, match=r"`test\[1\]` must be integer class labels"):
        fit(net, (x, y), (x, y + 0.5), cfg, progress=False)
    with pytest.raises(TypeError, match="`train` must be a pair"):
        fit(net, x, None, cfg, progress=False)  # type: ignore[arg-type]
    bm = BatchedMLP(2)
    with pytest.raises(ValueError, match=r"`train\[1\]` must be class labels >= 0, < 2"):
        fit(bm, (x, y + 1), None, cfg, progress=False)
    with pytest.raises(ValueError, match=r"`train\[0\]` must be 12 features per sample"):
        fit(bm, (x[:, :5], y), None, cfg, progress=False)
    with pytest.raises(TypeError, match="`model` must be a BatchedMLP"):
        train_batched(net, (x, y), None, cfg, progress=False)  # type: ignore[arg-type]


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
def test_manual_gradient_equals_autograd(activation: Any) -> None:
    from infoplane.training import _autograd_grad, _flatten, _manual_grad

    g = torch.Generator().manual_seed(3)
    bm = BatchedMLP(3, (5, 6, 4, 3), activation=activation, init="default", seed=1,
                    dtype=torch.float64)
    _, grads = _flatten(bm)
    xt = torch.randn(3, 5, 17, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (3, 17), generator=g)
    yt = nn.functional.one_hot(y, 3).to(torch.float64).transpose(1, 2)
    _manual_grad(bm, xt, yt, grads)
    manual = [gr.clone() for gr in grads]
    _autograd_grad(bm, xt, yt, grads)
    for a, b in zip(manual, grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_manual_gradient_float32_close_to_autograd() -> None:
    from infoplane.training import _autograd_grad, _flatten, _manual_grad

    g = torch.Generator().manual_seed(0)
    bm = BatchedMLP(4)
    _, grads = _flatten(bm)
    xt = torch.randint(0, 2, (4, 12, 64), generator=g).float()
    yt = nn.functional.one_hot(torch.randint(0, 2, (4, 64), generator=g), 2).float()
    yt = yt.transpose(1, 2)
    _manual_grad(bm, xt, yt, grads)
    manual = [gr.clone() for gr in grads]
    _autograd_grad(bm, xt, yt, grads)
    for a, b in zip(manual, grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("activation", ["elu", "tanh"])
def test_batched_autograd_fallback_equals_one_by_one(activation: Any) -> None:
    x, y = _data(50)
    cfg = TrainConfig(epochs=2, lr=0.02, batch_size=16, seed=4)
    bm = BatchedMLP(2, (12, 6, 2), activation=activation, dtype=torch.float64, seed=3)
    hb = fit(bm, (x, y), None, cfg, progress=False)
    singles, hists = _train_each(
        lambda s: mlp((12, 6, 2), activation=activation, seed=3 + s, dtype=torch.float64),
        [((x, y), None)] * 2, cfg)
    for s, (net, h) in enumerate(zip(singles, hists, strict=True)):
        for p_ref, p_b in zip(net.parameters(), bm.member(s).parameters(), strict=True):
            torch.testing.assert_close(p_b, p_ref, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(hb.member(s).train_loss, h.train_loss, rtol=1e-10)


def test_eval_schedule_and_logged_epochs() -> None:
    x, y = _data(60)
    base = TrainConfig(epochs=7, lr=0.02, batch_size=16, seed=1)
    sparse = dataclasses.replace(base, eval_every=3, eval_epochs=(0, 5, 5))
    assert sparse.eval_epochs == (0, 5)
    assert sparse.eval_schedule() == (0, 3, 5, 6, 7)
    assert dataclasses.replace(base, eval_every=None).eval_schedule() == (7,)
    full_b = BatchedMLP(2, dtype=torch.float64)
    h_full = fit(full_b, (x, y), (x, y), base, progress=False)
    np.testing.assert_array_equal(h_full.logged_epochs, np.arange(1, 8))
    sparse_b = BatchedMLP(2, dtype=torch.float64)
    h = fit(sparse_b, (x, y), (x, y), sparse, progress=False)
    assert h.train_loss.shape == (2, 5) and h.epochs == 5
    np.testing.assert_array_equal(h.logged_epochs, [0, 3, 5, 6, 7])
    np.testing.assert_allclose(h.train_loss[:, 1:], h_full.train_loss[:, [2, 4, 5, 6]],
                               rtol=1e-12)  # evaluation does not change the trajectory
    assert h.test_loss is not None and h.test_loss.shape == (2, 5)
    np.testing.assert_array_equal(h.member(1).logged_epochs, [0, 3, 5, 6, 7])
    net = mlp(seed=1, dtype=torch.float64)
    h1 = fit(net, (x, y), None, dataclasses.replace(sparse, seed=2), progress=False)
    np.testing.assert_array_equal(h1.logged_epochs, [0, 3, 5, 6, 7])
    np.testing.assert_allclose(h1.train_loss, h.member(1).train_loss, rtol=1e-10)
    with pytest.raises(ValueError, match=r"`eval_epochs` must be epochs in \[0, 7\]"):
        dataclasses.replace(base, eval_epochs=[8])
    with pytest.raises(ValueError, match="`eval_every` must be an integer >= 1"):
        dataclasses.replace(base, eval_every=0)
    with pytest.raises(ValueError, match="`logged_epochs` must be 2 epoch numbers"):
        History(np.zeros(2), np.zeros(2), None, None, np.arange(3))


def test_trained_parameters_stay_usable() -> None:
    x, y = _data(40)
    bm = BatchedMLP(2, dtype=torch.float64)
    fit(bm, (x, y), None, TrainConfig(epochs=2, batch_size=8), progress=False)
    before = bm(x).detach().clone()
    fit(bm, (x, y), None, TrainConfig(epochs=1, batch_size=8), progress=False)
    assert not torch.equal(before, bm(x))  # a second run keeps training the same model
    state = {k: v.clone() for k, v in bm.state_dict().items()}
    assert state["weights.0"].shape == (2, 10, 12)


# --------------------------------------------------------------------------- fit extensions


def _manual_sgd(net: nn.Module, x: torch.Tensor, y: torch.Tensor, lr: float,
                batches: list[torch.Tensor]) -> list[list[torch.Tensor]]:
    """Plain SGD by hand, one step per index batch; the parameters after each step."""
    out = []
    for idx in batches:
        net.zero_grad()
        nn.functional.cross_entropy(net(x[idx]), y[idx]).backward()
        with torch.no_grad():
            for p in net.parameters():
                assert p.grad is not None
                p.sub_(lr * p.grad)
        out.append([p.detach().clone() for p in net.parameters()])
    return out


def test_step_callback_sees_every_step_in_train_mode() -> None:
    x, y = _data(50)
    cfg = TrainConfig(epochs=3, optimizer="sgd", lr=0.1, batch_size=16, seed=5)
    # the same steps by hand: per epoch a permutation from the seeded generator, batches of 16
    gen = torch.Generator().manual_seed(5)
    batches = [b for _ in range(3) for b in torch.randperm(50, generator=gen).split(16)]
    want = _manual_sgd(mlp(seed=4, dtype=torch.float64), x, y, 0.1, batches)
    net = mlp(seed=4, dtype=torch.float64).eval()
    seen: list[int] = []

    def on_step(step: int, model: nn.Module) -> None:
        assert model is net and model.training
        for p, q in zip(model.parameters(), want[step - 1], strict=True):
            torch.testing.assert_close(p.detach(), q, rtol=1e-12, atol=1e-14)
        seen.append(step)

    fit(net, (x, y), None, cfg, step_callback=on_step, progress=False)
    assert seen == list(range(1, 13)) and len(batches) == 12  # 4 batches (16+16+16+2) x 3
    assert not net.training  # entry mode restored

    bm = BatchedMLP(2, dtype=torch.float64)
    steps: list[int] = []
    fit(bm, (x, y), None, cfg, step_callback=lambda s, m: steps.append(s), progress=False)
    assert steps == list(range(1, 13))


def test_batches_per_epoch_takes_the_first_batches_of_each_permutation() -> None:
    x, y = _data(40)
    cfg = TrainConfig(epochs=6, optimizer="sgd", lr=0.2, batch_size=8, batches_per_epoch=1,
                      seed=2, eval_every=None)
    gen = torch.Generator().manual_seed(2)
    batches = [torch.randperm(40, generator=gen)[:8] for _ in range(6)]
    want = _manual_sgd(mlp(seed=0, dtype=torch.float64), x, y, 0.2, batches)[-1]
    net = mlp(seed=0, dtype=torch.float64)
    h = fit(net, (x, y), None, cfg, progress=False)
    assert h.logged_epochs.tolist() == [6]
    for p, q in zip(net.parameters(), want, strict=True):
        torch.testing.assert_close(p.detach(), q, rtol=1e-12, atol=1e-14)
    # the batched path cuts its epochs the same way (two batches per epoch here)
    two = dataclasses.replace(cfg, batches_per_epoch=2)
    bm = BatchedMLP(2, seed=0, dtype=torch.float64)
    hb = fit(bm, (x, y), (x, y), two, progress=False)
    singles, hists = _train_each(lambda s: mlp(seed=s, dtype=torch.float64),
                                 [((x, y), (x, y))] * 2, two)
    _assert_same(bm, hb, singles, hists)


def test_fit_trains_image_models_and_checks_their_labels() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 1, 4, 4, generator=g)
    y = (x[:, 0, :2].sum((1, 2)) > x[:, 0, 2:].sum((1, 2))).long()  # top half vs bottom half
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                        nn.Linear(64, 2))
    h = fit(net, (x, y), (x, y), TrainConfig(epochs=60, lr=0.02), progress=False)
    assert h.final_train_accuracy > 0.9 and h.train_loss[-1] < h.train_loss[0]
    with pytest.raises(ValueError, match=r"`train\[1\]` must be labels of shape \(64,\)"):
        fit(net, (x, y[:, None]), None, progress=False)


def test_aliases_are_fit() -> None:
    x, y = _data(40)
    cfg = TrainConfig(epochs=3, lr=0.02, batch_size=16, seed=1)
    a, b = mlp(seed=3, dtype=torch.float64), mlp(seed=3, dtype=torch.float64)
    np.testing.assert_array_equal(train(a, (x, y), None, cfg, progress=False).train_loss,
                                  fit(b, (x, y), None, cfg, progress=False).train_loss)
    ba, bb = BatchedMLP(2, dtype=torch.float64), BatchedMLP(2, dtype=torch.float64)
    np.testing.assert_array_equal(
        train_batched(ba, (x, y), None, cfg, progress=False).train_loss,
        fit(bb, (x, y), None, cfg, progress=False).train_loss)
    with pytest.raises(TypeError, match=r"`model` must be a torch\.nn\.Module"):
        fit("net", (x, y), None, cfg, progress=False)  # type: ignore[arg-type]
