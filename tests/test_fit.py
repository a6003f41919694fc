"""The shared torch training loop: early stopping, best-state restore, batches, devices."""

from __future__ import annotations

import doctest
import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest
import torch
from torch import nn

from infoplane.estimators import _fit
from infoplane.estimators._fit import FitResult, fit, resolve_device, torch_session


def _overfit_problem(seed: int = 0) -> tuple[nn.Linear, torch.Tensor, torch.Tensor,
                                               torch.Tensor, torch.Tensor]:
    """Least squares with 40 features and 44 training rows, where y depends on feature 0 only.

    Training drives the training error to ~0 by fitting noise with 39 spurious weights; the
    held-out error first falls (weight 0 is learnt) then rises: a forced over-fit.
    """
    gen = torch.Generator().manual_seed(seed)
    d, n_tr, n_va = 40, 44, 400
    x = torch.randn(n_tr + n_va, d, generator=gen)
    y = x[:, :1] + 0.7 * torch.randn(n_tr + n_va, 1, generator=gen)
    lin = nn.Linear(d, 1, bias=False)
    nn.init.zeros_(lin.weight)
    return lin, x[:n_tr], y[:n_tr], x[n_tr:], y[n_tr:]


def _losses(lin: nn.Linear, xt: torch.Tensor, yt: torch.Tensor, xv: torch.Tensor,
            yv: torch.Tensor) -> tuple[Callable[[np.ndarray], torch.Tensor],
                                       Callable[[], float]]:
    def train_loss(idx: np.ndarray) -> torch.Tensor:
        i = torch.as_tensor(idx)
        return ((lin(xt[i]) - yt[i]) ** 2).mean()

    def validate() -> float:
        with torch.no_grad():
            return -float(((lin(xv) - yv) ** 2).mean())

    return train_loss, validate


def test_early_stopping_stops_and_restores_the_best_state() -> None:
    lin, xt, yt, xv, yv = _overfit_problem()
    train_loss, validate = _losses(lin, xt, yt, xv, yv)
    with torch_session(torch.device("cpu"), 1, seed=0):
        res = fit(lin, train_loss, validate, n_train=44, steps=4000, batch_size=44, lr=0.05,
                  eval_every=10, patience=5, rng=np.random.default_rng(0),
                  schedule="constant")
    assert isinstance(res, FitResult)
    # it stopped: exactly `patience` evaluations after the best one
    assert res.steps_run < 4000
    assert res.steps_run == res.best_step + 5 * 10
    steps = [s for s, _ in res.history]
    assert steps == list(range(10, res.steps_run + 1, 10))
    values = dict(res.history)
    assert res.best_value == max(values.values()) == values[res.best_step]
    # the module holds the best parameters: its held-out value is the recorded best...
    assert validate() == pytest.approx(res.best_value, rel=1e-6)
    # ...which is better than the last evaluated state (the over-fit has set in)
    assert res.history[-1][1] < res.best_value
    assert not lin.training


def test_without_patience_training_runs_all_steps_and_overfits() -> None:
    lin, xt, yt, xv, yv = _overfit_problem()
    train_loss, validate = _losses(lin, xt, yt, xv, yv)
    with torch_session(torch.device("cpu"), 1, seed=0):
        res = fit(lin, train_loss, validate, n_train=44, steps=600, batch_size=44, lr=0.05,
                  eval_every=25, patience=None, rng=np.random.default_rng(0),
                  schedule="constant")
    assert res.steps_run == 600
    assert res.history[-1][0] == 600
    # the held-out curve peaked before the end: the best is not the last evaluation...
    assert res.best_step < 600
    assert res.history[-1][1] < res.best_value - 0.05
    # ...and the restored state is the best one, not the over-fitted last one
    assert validate() == pytest.approx(res.best_value, rel=1e-6)


def test_last_step_is_always_evaluated() -> None:
    lin = nn.Linear(1, 1)
    calls: list[int] = []

    def validate() -> float:
        calls.append(1)
        return 0.0

    res = fit(lin, lambda idx: lin(torch.ones(len(idx), 1)).pow(2).mean(), validate,
              n_train=10, steps=25, batch_size=5, lr=1e-2, eval_every=10, patience=None,
              rng=np.random.default_rng(0))
    assert [s for s, _ in res.history] == [10, 20, 25]
    assert len(calls) == 3
    # no improvement after the first evaluation (all 0.0): the best is the first
    assert res.best_step == 10


def test_batches_are_distinct_rows_and_cover_each_epoch() -> None:
    seen: list[np.ndarray] = []
    lin = nn.Linear(1, 1)

    def train_loss(idx: np.ndarray) -> torch.Tensor:
        seen.append(np.array(idx))
        return lin(torch.ones(1, 1)).sum() * 0.0

    fit(lin, train_loss, lambda: 0.0, n_train=12, steps=9, batch_size=4, lr=1e-3,
        eval_every=100, patience=None, rng=np.random.default_rng(1))
    assert all(b.shape == (4,) and b.dtype == np.int64 for b in seen)
    assert all(len(set(b.tolist())) == 4 for b in seen)
    for epoch in range(3):  # every 3 consecutive batches are one permutation of 0..11
        rows = np.concatenate(seen[3 * epoch:3 * epoch + 3])
        assert sorted(rows.tolist()) == list(range(12))


def test_no_steps_times_batch_allocation() -> None:
    """10^6 steps × 10^4 rows of int64 would be 80 GB; the loop must draw batches lazily."""
    lin = nn.Linear(1, 1)
    count = [0]

    def train_loss(idx: np.ndarray) -> torch.Tensor:
        count[0] += 1
        return lin(torch.ones(1, 1)).sum()

    def validate() -> float:
        return -float(count[0])  # gets worse at every evaluation: stops after `patience`

    tracemalloc.start()
    try:
        res = fit(lin, train_loss, validate, n_train=10_000, steps=1_000_000,
                  batch_size=10_000, lr=1e-3, eval_every=5, patience=2,
                  rng=np.random.default_rng(0))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert res.steps_run == 15 == count[0]
    assert peak < 5_000_000  # a few permutations of 10^4 int64 (80 kB each), not 80 GB


def test_non_finite_values_never_become_best() -> None:
    lin = nn.Linear(1, 1)
    vals = iter([float("nan"), 1.0, float("inf"), 0.5])
    res = fit(lin, lambda idx: lin(torch.ones(1, 1)).sum(), lambda: next(vals), n_train=2,
              steps=4, batch_size=1, lr=1e-3, eval_every=1, patience=None,
              rng=np.random.default_rng(0))
    assert res.best_step == 2 and res.best_value == 1.0


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"batch_size": 11}, "`batch_size` must be <= the number of training rows"),
    ({"steps": 0}, "`steps` must be an integer >= 1"),
    ({"eval_every": 0}, "`eval_every`"),
    ({"patience": 0}, "`patience`"),
    ({"lr": 0.0}, "`lr` must be > 0"),
    ({"schedule": "step"}, "`schedule` must be one of"),
])
def test_fit_argument_errors(kwargs: dict[str, object], match: str) -> None:
    lin = nn.Linear(1, 1)
    args: dict[str, object] = {"n_train": 10, "steps": 5, "batch_size": 2, "lr": 1e-3,
                               "eval_every": 1, "patience": None,
                               "rng": np.random.default_rng(0)}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        fit(lin, lambda idx: lin(torch.ones(1, 1)).sum(), lambda: 0.0,
            **args)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- devices

def test_resolve_device_cpu() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("cpu:0").type == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
@pytest.mark.parametrize("name", ["cuda", "cuda:0", "cuda:3"])
def test_cuda_without_gpu_is_one_line_error_naming_the_fix(name: str) -> None:
    with pytest.raises(ValueError) as info:
        resolve_device(name)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith("`device` must be an available device, got")
    assert repr(name) in msg
    assert "install a CUDA build of PyTorch" in msg and "device='cpu'" in msg


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_cuda_index_beyond_the_gpus_present() -> None:  # pragma: no cover - GPU only
    with pytest.raises(ValueError, match="CUDA device index below"):
        resolve_device(f"cuda:{torch.cuda.device_count()}")


def test_resolve_device_rejects_bad_names() -> None:
    with pytest.raises(ValueError, match="`dev` must be a torch device name"):
        resolve_device("gpu0", name="dev")
    with pytest.raises(ValueError, match="'cpu', 'cuda' or 'cuda:N'"):
        resolve_device("meta")
    with pytest.raises(TypeError, match="`device` must be a string"):
        resolve_device(0)  # type: ignore[arg-type]


def test_torch_session_restores_threads_and_rng() -> None:
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    with torch_session(torch.device("cpu"), 1, seed=5) as gen:
        assert torch.get_num_threads() == 1
        a = torch.randn(3, generator=gen)
        torch.randn(100)  # the global stream may be used inside; it is restored after
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.random.get_rng_state(), state)
    with torch_session(torch.device("cpu"), None, seed=5) as gen:
        assert torch.get_num_threads() == threads
        b = torch.randn(3, generator=gen)
        c = torch.randn(3)  # the global stream is seeded with `seed` too
    assert torch.equal(a, b)
    assert torch.equal(c, torch.randn(3, generator=torch.Generator().manual_seed(5)))


def test_torch_session_restores_threads_when_the_body_raises() -> None:
    threads = torch.get_num_threads()
    with pytest.raises(RuntimeError, match="boom"), torch_session(torch.device("cpu"), 1, 0):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == threads


def test_doctests() -> None:
    result = doctest.testmod(_fit, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
