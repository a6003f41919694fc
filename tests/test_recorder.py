"""Recorder: hand-computed activations, layer selection, gating, modes, hooks, NaN, resume."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from infoplane import schedules
from infoplane.recorder import Recorder, select_layers
from infoplane.store import RunStore


class Net(nn.Module):
    """2 -> 2 -> 1 with hand-set weights."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(2, 2)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(2, 1)
        with torch.no_grad():
            self.fc1.weight.copy_(torch.tensor([[1.0, 2.0], [0.0, -1.0]]))
            self.fc1.bias.copy_(torch.tensor([0.5, 0.0]))
            self.fc2.weight.copy_(torch.tensor([[1.0, -1.0]]))
            self.fc2.bias.copy_(torch.tensor([0.25]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.5]], dtype=np.float32)
Y = np.array([0, 1, 1, 0, 1])


def hand(x: np.ndarray) -> dict[str, np.ndarray]:
    h = x @ np.array([[1.0, 2.0], [0.0, -1.0]]).T + np.array([0.5, 0.0])
    t = np.tanh(h)
    out = t @ np.array([[1.0], [-1.0]]) + 0.25
    return {"fc1": h, "act": t, "fc2": out}


def no_hooks(model: nn.Module) -> bool:
    return all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_recorded_values_equal_hand_computed(tmp_path: Path) -> None:
    net = Net()
    with Recorder(net, layers=["fc1", "act", "fc2"], inputs=X, labels=Y,
                  store=tmp_path / "run", seed=3, meta={"note": "hi"}) as rec:
        assert rec.record(0) is True
    st = RunStore.open(tmp_path / "run")
    want = hand(X)
    for name in ("fc1", "act", "fc2"):
        np.testing.assert_allclose(st.load(0, name), want[name], rtol=1e-6, atol=1e-6)
    px, py = st.load_probes()
    np.testing.assert_array_equal(px, X)
    np.testing.assert_array_equal(py, Y)
    meta = st.meta
    assert meta["layers"] == {"fc1": [5, 2], "act": [5, 2], "fc2": [5, 1]}
    assert meta["seed"] == 3 and meta["note"] == "hi" and meta["model"]["class"] == "Net"
    assert meta["model"]["n_parameters"] == 9
    assert no_hooks(net)


def test_layer_selection() -> None:
    net = Net()
    assert list(select_layers(net, ["fc2", "fc1"])) == ["fc2", "fc1"]
    assert list(select_layers(net, "act")) == ["act"]
    assert list(select_layers(net, nn.Linear)) == ["fc1", "fc2"]
    assert list(select_layers(net, (nn.Tanh, nn.Linear))) == ["fc1", "act", "fc2"]
    assert list(select_layers(net, lambda n, m: n.startswith("fc"))) == ["fc1", "fc2"]
    with pytest.raises(ValueError, match=r"available: \['fc1', 'act', 'fc2'\].*\['fc3'\]"):
        select_layers(net, ["fc1", "fc3"])
    with pytest.raises(ValueError, match="at least one module"):
        select_layers(net, nn.Conv2d)
    with pytest.raises(TypeError, match="`layers` must be"):
        select_layers(net, 3)


def test_schedule_gating_and_no_resident_hooks(tmp_path: Path) -> None:
    net = Net()
    sched = schedules.every(3, n_epochs=10)
    with Recorder(net, layers=nn.Linear, inputs=X, store=tmp_path / "r", schedule=sched) as rec:
        wrote = [rec.record(s) for s in range(10)]
        assert no_hooks(net)
    assert [s for s, w in enumerate(wrote) if w] == [0, 3, 6, 9]
    assert rec.completed.tolist() == [0, 3, 6, 9]
    assert RunStore.open(tmp_path / "r").schedule == sched


class Spy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[bool, bool, int]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append((self.training, torch.is_inference_mode_enabled(), x.shape[0]))
        return x


def test_eval_inference_mode_and_training_mode_restored(tmp_path: Path) -> None:
    spy = Spy()
    net = nn.Sequential(nn.Linear(2, 3), spy, nn.Dropout(0.9), nn.BatchNorm1d(3))
    net.train()
    net[3].eval()  # a frozen BatchNorm must stay in eval mode
    x = np.random.default_rng(0).standard_normal((7, 2)).astype(np.float32)
    with Recorder(net, layers=["2"], inputs=x, store=tmp_path / "r", chunk_size=3) as rec:
        spy.seen.clear()
        rec.record(0)
    assert spy.seen == [(False, True, 3), (False, True, 3), (False, True, 1)]
    assert net.training and net[0].training and spy.training and net[2].training
    assert not net[3].training
    # dropout inactive while recording: activations equal the deterministic eval output
    with torch.no_grad():
        net.eval()
        want = net[:3](torch.as_tensor(x)).numpy()
    np.testing.assert_allclose(rec.store.load(0, "2"), want, rtol=1e-6)


def test_hooks_removed_when_body_raises(tmp_path: Path) -> None:
    net = Net()
    with pytest.raises(KeyError, match="boom"), Recorder(net, layers=nn.Linear, inputs=X,
                                                          store=tmp_path / "r") as rec:
        rec.record(0)
        raise KeyError("boom")
    assert no_hooks(net)


class Exploder(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] == 1:
            raise RuntimeError("forward failed")
        return x


def test_hooks_removed_and_mode_restored_when_forward_raises(tmp_path: Path) -> None:
    net = nn.Sequential(nn.Linear(2, 2), Exploder())
    net.train()
    with Recorder(net, layers=["0"], inputs=X, store=tmp_path / "r", chunk_size=2) as rec:
        with pytest.raises(RuntimeError, match="forward failed"):
            rec.record(0)  # 5 inputs in chunks of 2: the last chunk has 1 row
        assert no_hooks(net) and net.training
        assert len(rec.completed) == 0


def test_nan_stops_with_layer_and_step_and_keeps_earlier_steps(tmp_path: Path) -> None:
    net = Net()
    with pytest.raises(FloatingPointError, match="layer 'fc2' at step 2 contain NaN"), \
            Recorder(net, layers=["act", "fc2"], inputs=X, store=tmp_path / "r") as rec:
        for step in range(5):
            if step == 2:
                with torch.no_grad():
                    net.fc2.weight[0, 0] = float("nan")
            rec.record(step)
    assert no_hooks(net)
    st = RunStore.open(tmp_path / "r")
    assert st.completed_steps().tolist() == [0, 1]
    np.testing.assert_allclose(st.load(1, "fc2"), hand(X)["fc2"], rtol=1e-6)
    assert sorted(p.name for p in (tmp_path / "r" / "steps").iterdir()) == [
        "00000000", "00000001"]


def test_inf_message() -> None:
    net = Net()
    with torch.no_grad():
        net.fc1.bias[1] = float("inf")
    with pytest.raises(FloatingPointError, match="layer 'fc1' at step 0 contain inf"), \
            Recorder(net, layers=["fc1"], inputs=X, store=None) as rec:
        rec.record(0)


def test_resume_no_duplicates_no_losses(tmp_path: Path) -> None:
    run = tmp_path / "r"
    sched = schedules.every(2, n_epochs=12)
    net = Net()
    with Recorder(net, layers=["fc1"], inputs=X, store=run, schedule=sched) as rec:
        for s in range(6):
            rec.record(s)
    assert rec.completed.tolist() == [0, 2, 4]
    # a restarted script repeats epochs 0..11; schedule comes from the run
    with Recorder(net, layers=["fc1"], inputs=X, store=run) as rec2:
        assert rec2.schedule == sched
        wrote = {s: rec2.record(s) for s in range(12)}
    assert [s for s, w in wrote.items() if w] == [6, 8, 10]
    assert rec2.completed.tolist() == [0, 2, 4, 6, 8, 10]
    with pytest.raises(ValueError, match="layers of the existing run"), \
            Recorder(net, layers=["fc2"], inputs=X, store=run):
        pass
    with pytest.raises(ValueError, match="`inputs` must be 5 probe inputs"), \
            Recorder(net, layers=["fc1"], inputs=X[:4], store=run):
        pass
    with Recorder(net, layers=["fc1"], inputs=X, store=RunStore.open(run)) as rec3:
        assert rec3.record(12) is False  # off the stored schedule (n_epochs=12)


def test_chunking_matches_one_chunk_and_memmap_inputs(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 4))
    x = np.random.default_rng(1).standard_normal((203, 6)).astype(np.float32)
    mm = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=np.float32,
                                   shape=x.shape)
    mm[:] = x
    mm.flush()
    outs = []
    for i, (inputs, chunk) in enumerate([(x, 4096), (x, 7), (mm, 50)]):
        with Recorder(net, layers=["1", "2"], inputs=inputs, store=tmp_path / f"r{i}",
                      chunk_size=chunk) as rec:
            rec.record(0)
        outs.append({k: rec.store.load(0, k) for k in ("1", "2")})
    # equal up to float32 rounding: BLAS may block a 1-row tail differently from a full chunk
    for other in outs[1:]:
        for k in ("1", "2"):
            np.testing.assert_allclose(other[k], outs[0][k], rtol=1e-6, atol=1e-7)


def test_float16_storage(tmp_path: Path) -> None:
    net = Net()
    with Recorder(net, layers=["fc1"], inputs=torch.as_tensor(X), store=tmp_path / "r",
                  dtype="float16") as rec:
        rec.record(0)
    got = rec.store.load(0, "fc1")
    assert got.dtype == np.float16
    np.testing.assert_allclose(got, hand(X)["fc1"], atol=2e-3)


def test_unwritable_store_and_argument_errors(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match="`path` must be a writable directory"), \
            Recorder(Net(), layers=["fc1"], inputs=X, store=f / "run"):
        pass
    with pytest.raises(ValueError, match="`labels` must be of length 5"):
        Recorder(Net(), layers=["fc1"], inputs=X, labels=Y[:3])
    with pytest.raises(ValueError, match="`dtype` must be one of"):
        Recorder(Net(), layers=["fc1"], inputs=X, dtype="float64")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="not open"):
        Recorder(Net(), layers=["fc1"], inputs=X).record(0)


def test_store_none_uses_temporary_directory() -> None:
    with Recorder(Net(), layers=["fc1"], inputs=X) as rec:
        rec.record(0)
    assert rec.store.path.is_dir() and "infoplane-run-" in rec.store.path.name
    assert rec.completed.tolist() == [0]


def test_gradient_statistics_and_weight_norms(tmp_path: Path) -> None:
    net = Net()
    grads = [np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[3.0, 2.0], [1.0, 0.0]]),
             np.array([[2.0, 2.0], [2.0, 5.0]])]
    sched = schedules.explicit([1])
    with Recorder(net, layers=["fc1", "act"], inputs=X, store=tmp_path / "r", schedule=sched,
                  grad_stats=True, weight_norms=True) as rec:
        for step in range(3):
            for g in grads:
                net.fc1.weight.grad = torch.tensor(g, dtype=torch.float32)
                rec.observe_gradients(step)
            rec.record(step)
    ex = rec.store.extras(1)
    g = np.stack(grads)
    mean = np.linalg.norm(g.mean(0))
    std = np.linalg.norm(g.std(0))
    assert set(ex["grad"]) == {"fc1"}  # Tanh has no weight
    assert ex["grad"]["fc1"]["n_batches"] == 3
    np.testing.assert_allclose(ex["grad"]["fc1"]["mean"], mean, rtol=1e-9)
    np.testing.assert_allclose(ex["grad"]["fc1"]["std"], std, rtol=1e-9)
    np.testing.assert_allclose(ex["grad"]["fc1"]["snr"], mean / std, rtol=1e-9)
    np.testing.assert_allclose(ex["weight_norm"]["fc1"], np.sqrt(1 + 4 + 0 + 1), rtol=1e-6)
    assert "act" not in ex["weight_norm"]
