"""A small, seeded training loop for classifiers, and the same loop for many seeds at once.

:func:`train` trains any :class:`torch.nn.Module` that maps ``(N, d)`` inputs to ``(N, C)``
logits with cross-entropy, SGD or Adam, mini-batch or full batch, and logs the loss and accuracy
on the training (and optionally test) set after every epoch. :func:`train_batched` trains the
``S`` copies of a :class:`~infoplane.models.BatchedMLP` in one loop, so that copy ``s`` follows
exactly the trajectory (to floating-point rounding) that
``train(mlp(..., seed=seed + s), ..., TrainConfig(..., seed=seed + s))`` would follow:

* the loss is the *sum* over copies of each copy's mean cross-entropy, so each copy's gradient
  is its own (the copies share no parameters);
* SGD (with momentum and weight decay) and Adam act element-wise on the parameters, with a step
  counter common to all elements, so one optimiser over the stacked parameters equals ``S``
  independent optimisers;
* copy ``s`` draws its mini-batch order from its own generator seeded ``seed + s``, exactly as
  the standalone run would, and the ``S`` batches are gathered into one ``(S, B, d)`` tensor.

The callback ``callback(epoch, model)`` runs after each epoch (``epoch`` counts finished epochs
from 1); an information-plane recorder hooks in there (record epoch 0 before calling).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from infoplane._typing import FloatArray
from infoplane._validation import as_float, as_int, choice, fail
from infoplane.models import BatchedMLP

__all__ = ["History", "TrainConfig", "train", "train_batched"]

Optimizer = Literal["adam", "sgd"]
Data = tuple[Any, Any]


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of :func:`train` and :func:`train_batched`.

    Parameters
    ----------
    epochs : int
        Number of passes over the training set (>= 1).
    optimizer : {"adam", "sgd"}
        :class:`torch.optim.Adam` (default betas and eps) or :class:`torch.optim.SGD`.
    lr : float
        Learning rate (> 0).
    batch_size : int or None
        Mini-batch size; ``None`` (or a size >= the training set) trains full batch. The last
        mini-batch of an epoch may be smaller (no sample is dropped).
    momentum : float
        SGD momentum in ``[0, 1)``; ignored by Adam.
    weight_decay : float
        L2 penalty (>= 0) as implemented by the torch optimiser.
    seed : int
        Seed of the generator that orders the mini-batches (not of the initialisation, which
        belongs to the model).

    Examples
    --------
    >>> TrainConfig(epochs=10, optimizer="sgd", lr=0.1, batch_size=32).batch_size
    32
    """

    epochs: int = 100
    optimizer: Optimizer = "adam"
    lr: float = 1e-3
    batch_size: int | None = None
    momentum: float = 0.0
    weight_decay: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "epochs", as_int("epochs", self.epochs))
        set_(self, "optimizer", choice("optimizer", self.optimizer, ("adam", "sgd")))
        set_(self, "lr", as_float("lr", self.lr, min_value=0.0, strict_min=True))
        if self.batch_size is not None:
            set_(self, "batch_size", as_int("batch_size", self.batch_size))
        momentum = as_float("momentum", self.momentum, min_value=0.0)
        if momentum >= 1.0:
            raise fail("momentum", "in [0, 1)", self.momentum)
        set_(self, "momentum", momentum)
        set_(self, "weight_decay", as_float("weight_decay", self.weight_decay, min_value=0.0))
        set_(self, "seed", as_int("seed", self.seed, min_value=0))


@dataclass(frozen=True)
class History:
    """Per-epoch loss (nats, mean cross-entropy) and accuracy (fraction correct).

    Entry ``[..., e]`` is measured, in eval mode, after epoch ``e + 1``. Arrays have shape
    ``(epochs,)`` from :func:`train` and ``(S, epochs)`` from :func:`train_batched`; the test
    arrays are ``None`` when no test set was given.

    Examples
    --------
    >>> h = History(np.array([0.7, 0.5]), np.array([0.5, 0.75]), None, None)
    >>> h.epochs, h.final_train_accuracy
    (2, 0.75)
    """

    train_loss: FloatArray
    train_accuracy: FloatArray
    test_loss: FloatArray | None
    test_accuracy: FloatArray | None

    @property
    def epochs(self) -> int:
        """Number of logged epochs."""
        return int(self.train_loss.shape[-1])

    @property
    def final_train_accuracy(self) -> Any:
        """Training accuracy after the last epoch (a float, or an ``(S,)`` array)."""
        last = self.train_accuracy[..., -1]
        return float(last) if last.ndim == 0 else last

    def member(self, s: int) -> History:
        """The history of copy ``s`` of a batched run (arrays of shape ``(epochs,)``).

        Examples
        --------
        >>> h = History(np.zeros((3, 2)), np.ones((3, 2)), None, None)
        >>> h.member(1).train_accuracy.shape
        (2,)
        """
        if self.train_loss.ndim != 2:
            raise fail("history", "from train_batched (2-D arrays)", self.train_loss.shape)
        idx = as_int("s", s, min_value=0)
        if idx >= self.train_loss.shape[0]:
            raise fail("s", f"an integer in [0, {self.train_loss.shape[0]})", s)
        return History(self.train_loss[idx], self.train_accuracy[idx],
                       None if self.test_loss is None else self.test_loss[idx],
                       None if self.test_accuracy is None else self.test_accuracy[idx])


# ----------------------------------------------------------------------------- helpers
@contextmanager
def _threads(n: int | None) -> Iterator[None]:
    """Temporarily use `n` intra-op threads (None: leave torch's setting alone)."""
    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(as_int("num_threads", n))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _param_dtype(model: nn.Module) -> torch.dtype:
    params = list(model.parameters())
    if not params:
        raise fail("model", "a module with trainable parameters", type(model).__name__)
    return params[0].dtype


def _as_data(name: str, data: Any, dtype: torch.dtype, *, n_models: int | None = None,
             n_classes: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate ``(x, y)``: x ``(N, d)`` or ``(S, N, d)``, integer labels ``(N,)``/``(S, N)``."""
    if not isinstance(data, tuple | list) or len(data) != 2:
        raise TypeError(f"`{name}` must be a pair (x, y), got {type(data).__name__}.")
    x = torch.as_tensor(np.asarray(data[0]) if not isinstance(data[0], torch.Tensor)
                        else data[0]).to(dtype)
    y_raw = data[1] if isinstance(data[1], torch.Tensor) else torch.as_tensor(np.asarray(data[1]))
    shared = x.ndim == 2
    per_model = n_models is not None and x.ndim == 3 and x.shape[0] == n_models
    if not (shared or per_model):
        want = "(N, d)" if n_models is None else f"(N, d) or ({n_models}, N, d)"
        raise fail(f"{name}[0]", f"an array of shape {want}", tuple(x.shape))
    if x.shape[-2] == 0:
        raise fail(f"{name}[0]", "non-empty", tuple(x.shape))
    if not bool(torch.isfinite(x).all()):
        raise fail(f"{name}[0]", "finite (no NaN or inf)", "array with NaN/inf")
    if y_raw.shape != x.shape[:-1]:
        raise fail(f"{name}[1]", f"labels of shape {tuple(x.shape[:-1])}", tuple(y_raw.shape))
    if y_raw.is_floating_point():
        if not bool(torch.isfinite(y_raw).all()) or not bool((y_raw == y_raw.round()).all()):
            raise fail(f"{name}[1]", "integer class labels", "non-integral values")
    elif y_raw.dtype == torch.bool or y_raw.is_complex():
        raise fail(f"{name}[1]", "integer class labels", str(y_raw.dtype))
    y = y_raw.long()
    lo, hi = int(y.min()), int(y.max())
    if lo < 0 or (n_classes is not None and hi >= n_classes):
        top = "" if n_classes is None else f", < {n_classes}"
        raise fail(f"{name}[1]", f"class labels >= 0{top}", (lo, hi))
    return x, y


def _optimizer(params: Any, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum,
                           weight_decay=cfg.weight_decay)


def _metrics(logits: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy and accuracy over the sample axis (-2) of ``(..., N, C)`` logits."""
    y = y.expand(logits.shape[:-1])
    loss = F.cross_entropy(logits.movedim(-1, 1) if logits.ndim == 3 else logits, y,
                           reduction="none").mean(-1)
    acc = (logits.argmax(-1) == y).to(torch.float64).mean(-1)
    return loss.to(torch.float64), acc


def _evaluate(model: nn.Module, train: tuple[torch.Tensor, torch.Tensor],
              test: tuple[torch.Tensor, torch.Tensor] | None) -> tuple[torch.Tensor, ...]:
    """(train loss, train accuracy[, test loss, test accuracy]) in eval mode."""
    model.eval()
    with torch.no_grad():
        row: tuple[torch.Tensor, ...] = _metrics(model(train[0]), train[1])
        if test is not None:
            row = row + _metrics(model(test[0]), test[1])
    return row


def _progress(epochs: int, progress: bool, desc: str) -> Any:
    show = bool(progress) and sys.stderr.isatty()
    return tqdm(range(1, epochs + 1), desc=desc, disable=not show, leave=False)


def _history(rows: list[tuple[torch.Tensor, ...]], has_test: bool) -> History:
    cols = [torch.stack([r[i] for r in rows], dim=-1).numpy() for i in range(len(rows[0]))]
    return History(cols[0], cols[1], cols[2] if has_test else None,
                   cols[3] if has_test else None)


# ----------------------------------------------------------------------------- public
def train(model: nn.Module, train: Data, test: Data | None = None,
          config: TrainConfig | None = None, *,
          callback: Callable[[int, nn.Module], None] | None = None, progress: bool = True,
          num_threads: int | None = None) -> History:
    """Train a classifier with cross-entropy on its logits; log loss and accuracy each epoch.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(B, d)`` inputs to ``(B, C)`` logits (e.g. :func:`infoplane.models.mlp`);
        trained in place.
    train : tuple (x, y)
        Inputs ``(N, d)`` (cast to the model's parameter dtype) and integer labels ``(N,)``;
        NumPy arrays or tensors.
    test : tuple (x, y) or None
        Optional held-out set, evaluated after every epoch.
    config : TrainConfig or None
        Hyper-parameters (``TrainConfig()`` when ``None``). Each epoch draws a permutation of
        the training set from ``torch.Generator().manual_seed(config.seed)`` and takes
        consecutive mini-batches of it; full batch uses the data in order and draws nothing.
    callback : callable or None
        ``callback(epoch, model)`` after each epoch, ``epoch = 1..epochs``, model in the mode
        it had on entry.
    progress : bool
        Show a tqdm bar (only when stderr is a terminal).
    num_threads : int or None
        Intra-op torch threads during training (restored afterwards); ``None`` leaves the
        setting alone. Small networks often run fastest with 1.

    Returns
    -------
    History
        Arrays of shape ``(epochs,)``, measured in eval mode after each epoch.

    Raises
    ------
    ValueError, TypeError
        For malformed data (wrong shapes, NaN/inf inputs, negative or non-integral labels) or a
        model without parameters.

    Examples
    --------
    >>> from infoplane.models import mlp
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(64, 4, generator=g); y = (x[:, 0] > 0).long()
    >>> h = train(mlp((4, 8, 2)), (x, y), config=TrainConfig(epochs=30, lr=0.05), progress=False)
    >>> h.train_loss.shape, bool(h.train_loss[-1] < h.train_loss[0])
    ((30,), True)
    """
    cfg = config if config is not None else TrainConfig()
    if not isinstance(cfg, TrainConfig):
        raise TypeError(f"`config` must be a TrainConfig, got {type(cfg).__name__}.")
    dtype = _param_dtype(model)
    x, y = _as_data("train", train, dtype)
    xt_yt = None if test is None else _as_data("test", test, dtype)
    n = x.shape[0]
    bs = cfg.batch_size
    full = bs is None or bs >= n
    was_training = model.training
    gen = torch.Generator().manual_seed(cfg.seed)
    rows: list[tuple[torch.Tensor, ...]] = []
    with _threads(num_threads):
        opt = _optimizer(model.parameters(), cfg)
        try:
            for epoch in _progress(cfg.epochs, progress, "train"):
                model.train()
                batches: Any = [None] if full else torch.randperm(n, generator=gen).split(bs)
                for idx in batches:
                    xb, yb = (x, y) if idx is None else (x[idx], y[idx])
                    opt.zero_grad(set_to_none=True)
                    F.cross_entropy(model(xb), yb).backward()
                    opt.step()
                rows.append(_evaluate(model, (x, y), xt_yt))
                model.train(was_training)
                if callback is not None:
                    callback(epoch, model)
        finally:
            model.train(was_training)
    return _history(rows, xt_yt is not None)


def train_batched(model: BatchedMLP, train: Data, test: Data | None = None,
                  config: TrainConfig | None = None, *,
                  callback: Callable[[int, BatchedMLP], None] | None = None,
                  progress: bool = True, num_threads: int | None = None) -> History:
    """Train all ``S`` copies of a :class:`~infoplane.models.BatchedMLP` in one loop.

    Copy ``s`` ends (to floating-point rounding) where
    ``train(model.member(s), train, test, replace(config, seed=config.seed + s))`` would end
    from the same start, e.g. ``mlp(..., seed=model.seed + s)``: the loss is the sum over
    copies of each copy's mean cross-entropy, the optimiser acts element-wise on the stacked
    parameters, and copy ``s`` draws its mini-batch order from its own generator seeded
    ``config.seed + s``.

    Parameters
    ----------
    model : BatchedMLP
        Trained in place.
    train : tuple (x, y)
        ``x`` of shape ``(N, d)`` shared by all copies with labels ``(N,)``, or per-copy data
        ``(S, N, d)`` with labels ``(S, N)`` (e.g. a different split per seed).
    test : tuple (x, y) or None
        Optional held-out set, same layouts.
    config : TrainConfig or None
        As in :func:`train`; ``config.seed`` is the seed of copy 0.
    callback : callable or None
        ``callback(epoch, model)`` after each epoch with the batched model; use
        :meth:`BatchedMLP.forward_layers` to record all copies at once.
    progress, num_threads
        As in :func:`train`.

    Returns
    -------
    History
        Arrays of shape ``(S, epochs)``; :meth:`History.member` gives one copy's history.

    Examples
    --------
    >>> from infoplane.models import BatchedMLP
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(64, 4, generator=g); y = (x[:, 0] > 0).long()
    >>> net = BatchedMLP(3, (4, 8, 2))
    >>> cfg = TrainConfig(epochs=5, lr=0.05, batch_size=16)
    >>> train_batched(net, (x, y), config=cfg, progress=False).train_loss.shape
    (3, 5)
    """
    if not isinstance(model, BatchedMLP):
        raise TypeError(f"`model` must be a BatchedMLP, got {type(model).__name__}.")
    cfg = config if config is not None else TrainConfig()
    if not isinstance(cfg, TrainConfig):
        raise TypeError(f"`config` must be a TrainConfig, got {type(cfg).__name__}.")
    s_models, n_classes = model.n_models, model.widths[-1]
    dtype = _param_dtype(model)
    x, y = _as_data("train", train, dtype, n_models=s_models, n_classes=n_classes)
    if x.shape[-1] != model.widths[0]:
        raise fail("train[0]", f"{model.widths[0]} features per sample", tuple(x.shape))
    xt_yt = None if test is None else _as_data("test", test, dtype, n_models=s_models,
                                               n_classes=n_classes)
    n = x.shape[-2]
    bs = cfg.batch_size
    full = bs is None or bs >= n
    rows_idx = torch.arange(s_models).unsqueeze(1)  # (S, 1) for per-copy gathers
    gens = [torch.Generator().manual_seed(cfg.seed + s) for s in range(s_models)]
    was_training = model.training
    rows: list[tuple[torch.Tensor, ...]] = []
    with _threads(num_threads):
        opt = _optimizer(model.parameters(), cfg)
        try:
            for epoch in _progress(cfg.epochs, progress, f"train x{s_models}"):
                model.train()
                if full:
                    batches: Any = [None]
                else:
                    perms = torch.stack([torch.randperm(n, generator=g) for g in gens])
                    batches = perms.split(bs, dim=1)  # each (S, b)
                for idx in batches:
                    if idx is None:
                        xb, yb = x, y.expand(s_models, n)
                    elif x.ndim == 2:
                        xb, yb = x[idx], y[idx]  # (S, b, d), (S, b)
                    else:
                        xb, yb = x[rows_idx, idx], y[rows_idx, idx]
                    logits = model(xb)  # (S, b, C)
                    b = logits.shape[1]
                    loss = F.cross_entropy(logits.reshape(-1, n_classes), yb.reshape(-1),
                                           reduction="sum") / b
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                rows.append(_evaluate(model, (x, y), xt_yt))
                model.train(was_training)
                if callback is not None:
                    callback(epoch, model)
        finally:
            model.train(was_training)
    return _history(rows, xt_yt is not None)
