"""The package's one training loop: seeded, for classifiers, and for many seeds at once.

:func:`fit` trains any :class:`torch.nn.Module` that maps ``(N, ...)`` inputs to ``(N, C)``
logits with cross-entropy, SGD or Adam, mini-batch or full batch, and logs the loss and accuracy
on the training (and optionally test) set after every epoch. Given a
:class:`~infoplane.models.BatchedMLP` it takes the batched fast path: the ``S`` copies train in
one loop, so that copy ``s`` follows exactly the trajectory (to floating-point rounding) that
``fit(mlp(..., seed=seed + s), ..., TrainConfig(..., seed=seed + s))`` would follow:

* the loss is the *sum* over copies of each copy's mean cross-entropy, so each copy's gradient
  is its own (the copies share no parameters);
* SGD (with momentum and weight decay) and Adam act element-wise on the parameters, with a step
  counter common to all elements, so one optimiser over the stacked parameters equals ``S``
  independent optimisers;
* copy ``s`` draws its mini-batch order from its own generator seeded ``seed + s``, exactly as
  the standalone run would, and the ``S`` batches are gathered into one ``(S, B, d)`` tensor.

For speed, the batched path keeps all parameters in one flat buffer (the model's parameters
become views of it, so the optimiser steps one tensor), lays each epoch's batches out with the
samples last, and, for tanh/sigmoid/relu/linear hidden layers with logits out, computes the
gradient in closed form with a few bmm calls instead of autograd (other activations use
autograd). Loss and accuracy are measured after every epoch by default; ``TrainConfig.eval_every``
and ``TrainConfig.eval_epochs`` thin that out (a full evaluation costs more than an epoch).

The callback ``callback(epoch, model)`` runs after each epoch (``epoch`` counts finished epochs
from 1); an information-plane recorder hooks in there (record epoch 0 before calling).
``step_callback(step, model)`` runs after every optimiser step (``step`` counts steps from 1),
for recorders on a schedule over mini-batches.

:func:`train` and :func:`train_batched` are thin aliases of :func:`fit` kept for existing
scripts (:func:`train_batched` only adds the check that the model is a ``BatchedMLP``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

try:
    import torch
    import torch.nn.functional as F
    from torch import nn
except ImportError as _exc:  # PyTorch is the optional `torch` extra
    from infoplane._requires import missing_torch

    raise missing_torch(__name__) from _exc

from infoplane._progress import iterate
from infoplane._typing import FloatArray, IntArray
from infoplane._validation import as_float, as_int, choice, fail
from infoplane.models import BatchedMLP

__all__ = ["History", "TrainConfig", "fit", "train", "train_batched"]

Optimizer = Literal["adam", "sgd"]
Data = tuple[Any, Any]


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of :func:`fit`.

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
    eval_every : int or None
        Measure the loss and accuracy after every ``eval_every``-th epoch (default 1: every
        epoch); ``None`` turns the periodic evaluation off. The last epoch is always measured.
        Evaluation is a full pass over the training (and test) set, which costs more than an
        epoch of small mini-batches, so long runs should evaluate sparsely.
    eval_epochs : sequence of int or None
        Further epochs (in ``[0, epochs]``) to measure, e.g. a recorder's schedule; ``0`` means
        before the first step. Stored as a sorted tuple. :attr:`History.logged_epochs` lists
        the epochs that were measured.
    batches_per_epoch : int or None
        Optimiser steps per epoch (>= 1): each epoch draws a fresh permutation and uses only its
        first ``batches_per_epoch`` mini-batches. ``None`` (default): every mini-batch, one full
        pass. ``batches_per_epoch=1`` makes each "epoch" one SGD step on ``batch_size`` samples
        drawn without replacement. Full-batch training has one batch per epoch anyway.

    Examples
    --------
    >>> TrainConfig(epochs=10, optimizer="sgd", lr=0.1, batch_size=32).batch_size
    32
    >>> cfg = TrainConfig(epochs=10, eval_every=None, eval_epochs=[0, 3])
    >>> cfg.eval_schedule()
    (0, 3, 10)
    """

    epochs: int = 100
    optimizer: Optimizer = "adam"
    lr: float = 1e-3
    batch_size: int | None = None
    momentum: float = 0.0
    weight_decay: float = 0.0
    seed: int = 0
    eval_every: int | None = 1
    eval_epochs: Sequence[int] | None = None
    batches_per_epoch: int | None = None

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
        if self.eval_every is not None:
            set_(self, "eval_every", as_int("eval_every", self.eval_every))
        if self.eval_epochs is not None:
            if isinstance(self.eval_epochs, str | bytes) or not hasattr(self.eval_epochs,
                                                                         "__iter__"):
                raise TypeError("`eval_epochs` must be a sequence of integers, got "
                                f"{type(self.eval_epochs).__name__}.")
            epochs = tuple(sorted({as_int("eval_epochs", e, min_value=0)
                                   for e in np.asarray(self.eval_epochs).reshape(-1).tolist()}))
            if epochs and epochs[-1] > self.epochs:
                raise fail("eval_epochs", f"epochs in [0, {self.epochs}]", epochs[-1])
            set_(self, "eval_epochs", epochs)
        if self.batches_per_epoch is not None:
            set_(self, "batches_per_epoch", as_int("batches_per_epoch", self.batches_per_epoch))

    def eval_schedule(self) -> tuple[int, ...]:
        """The epochs after which loss and accuracy are measured, sorted (always ``epochs``)."""
        out = set(self.eval_epochs or ())
        if self.eval_every is not None:
            out.update(range(self.eval_every, self.epochs + 1, self.eval_every))
        out.add(self.epochs)
        return tuple(sorted(out))


@dataclass(frozen=True)
class History:
    """Loss (nats, mean cross-entropy) and accuracy (fraction correct) at the logged epochs.

    Entry ``[..., j]`` is measured, in eval mode, after epoch ``logged_epochs[j]`` (``0``:
    before training). By default every epoch is logged and ``logged_epochs`` is ``1..epochs``,
    so entry ``[..., e]`` belongs to epoch ``e + 1``; :attr:`TrainConfig.eval_every` and
    :attr:`TrainConfig.eval_epochs` thin the schedule out. Arrays have shape ``(E,)`` from
    :func:`fit` of a module and ``(S, E)`` from :func:`fit` of a ``BatchedMLP`` (``E`` logged
    epochs); the test
    arrays are ``None`` when no test set was given.

    Examples
    --------
    >>> h = History(np.array([0.7, 0.5]), np.array([0.5, 0.75]), None, None)
    >>> h.epochs, h.final_train_accuracy, h.logged_epochs.tolist()
    (2, 0.75, [1, 2])
    """

    train_loss: FloatArray
    train_accuracy: FloatArray
    test_loss: FloatArray | None
    test_accuracy: FloatArray | None
    logged_epochs: IntArray = None  # type: ignore[assignment]  # filled in __post_init__

    def __post_init__(self) -> None:
        n = int(self.train_loss.shape[-1])
        if self.logged_epochs is None:
            logged = np.arange(1, n + 1, dtype=np.int64)
        else:
            logged = np.asarray(self.logged_epochs, dtype=np.int64).reshape(-1)
            if logged.shape != (n,):
                raise fail("logged_epochs", f"{n} epoch numbers", logged.shape)
        object.__setattr__(self, "logged_epochs", logged)

    @property
    def epochs(self) -> int:
        """Number of logged epochs (``len(logged_epochs)``)."""
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
            raise fail("history", "from a batched fit (2-D arrays)", self.train_loss.shape)
        idx = as_int("s", s, min_value=0)
        if idx >= self.train_loss.shape[0]:
            raise fail("s", f"an integer in [0, {self.train_loss.shape[0]})", s)
        return History(self.train_loss[idx], self.train_accuracy[idx],
                       None if self.test_loss is None else self.test_loss[idx],
                       None if self.test_accuracy is None else self.test_accuracy[idx],
                       self.logged_epochs)


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
    """Validate ``(x, y)``: integer labels ``(N,)`` (or ``(S, N)``) for inputs ``x``.

    Single models (``n_models`` None) take ``x`` of shape ``(N, ...)`` (e.g. images); batched
    ones ``(N, d)`` or ``(S, N, d)``.
    """
    if not isinstance(data, tuple | list) or len(data) != 2:
        raise TypeError(f"`{name}` must be a pair (x, y), got {type(data).__name__}.")
    x = torch.as_tensor(np.asarray(data[0]) if not isinstance(data[0], torch.Tensor)
                        else data[0]).to(dtype)
    y_raw = data[1] if isinstance(data[1], torch.Tensor) else torch.as_tensor(np.asarray(data[1]))
    if n_models is None:
        ok, lead = x.ndim >= 2, 1
        want = "(N, d) or (N, d1, d2, ...)"
    else:
        ok = x.ndim == 2 or (x.ndim == 3 and x.shape[0] == n_models)
        lead, want = x.ndim - 1, f"(N, d) or ({n_models}, N, d)"
    if not ok:
        raise fail(f"{name}[0]", f"an array of shape {want}", tuple(x.shape))
    if x.shape[lead - 1] == 0:
        raise fail(f"{name}[0]", "non-empty", tuple(x.shape))
    if not bool(torch.isfinite(x).all()):
        raise fail(f"{name}[0]", "finite (no NaN or inf)", "array with NaN/inf")
    if y_raw.shape != x.shape[:lead]:
        raise fail(f"{name}[1]", f"labels of shape {tuple(x.shape[:lead])}", tuple(y_raw.shape))
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
    """Epochs 1..epochs with progress: a bar on a terminal, plain lines every 10 s otherwise."""
    return iterate(range(1, epochs + 1), total=epochs, desc=desc, unit="epochs",
                   enabled=bool(progress))


def _history(rows: list[tuple[torch.Tensor, ...]], has_test: bool,
             logged: list[int]) -> History:
    cols = [torch.stack([r[i] for r in rows], dim=-1).numpy() for i in range(len(rows[0]))]
    return History(cols[0], cols[1], cols[2] if has_test else None,
                   cols[3] if has_test else None, np.asarray(logged, dtype=np.int64))


def _config(config: TrainConfig | None) -> TrainConfig:
    """`config`, or the default ``TrainConfig()`` when ``None``; type-checked."""
    cfg = config if config is not None else TrainConfig()
    if not isinstance(cfg, TrainConfig):
        raise TypeError(f"`config` must be a TrainConfig, got {type(cfg).__name__}.")
    return cfg


def _fit(model: Any, cfg: TrainConfig, data: tuple[torch.Tensor, torch.Tensor],
         test: tuple[torch.Tensor, torch.Tensor] | None, run_epoch: Callable[[], None],
         callback: Callable[[int, Any], None] | None, progress: bool, desc: str) -> History:
    """The epoch loop of :func:`fit` (both paths).

    Evaluates epoch 0 and the scheduled epochs, runs ``run_epoch()`` (one pass of optimiser
    steps) in train mode, restores the entry mode before each callback and on exit.
    """
    was_training = model.training
    schedule = set(cfg.eval_schedule())
    rows: list[tuple[torch.Tensor, ...]] = []
    logged: list[int] = []
    try:
        if 0 in schedule:
            rows.append(_evaluate(model, data, test))
            logged.append(0)
        for epoch in _progress(cfg.epochs, progress, desc):
            model.train()
            run_epoch()
            if epoch in schedule:
                rows.append(_evaluate(model, data, test))
                logged.append(epoch)
            model.train(was_training)
            if callback is not None:
                callback(epoch, model)
    finally:
        model.train(was_training)
    return _history(rows, test is not None, logged)


#: Derivative of an activation from its *output* h (what the manual backward keeps).
_DERIV_FROM_OUTPUT: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tanh": lambda h: 1.0 - h * h,
    "sigmoid": lambda h: h * (1.0 - h),
    "relu": lambda h: (h > 0).to(h.dtype),
}
_IDENTITY = ("linear", "identity")


def _manual_ok(model: BatchedMLP) -> bool:
    """Whether :func:`_manual_grad` can differentiate `model` (else autograd is used)."""
    act = model.activation
    return model.output_activation is None and (act in _DERIV_FROM_OUTPUT or act in _IDENTITY)


def _flatten(model: BatchedMLP) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Move every parameter into one flat buffer (parameters become views of it).

    Returns the flat parameter, whose ``.grad`` is a flat gradient buffer, and the views of
    that buffer shaped like ``[*weights, *biases]``. Training then writes gradients straight
    into the views and steps one tensor, not ``2L``.
    """
    params = [*model.weights, *model.biases]
    with torch.no_grad():
        flat = torch.cat([p.detach().reshape(-1) for p in params])
        grad = torch.zeros_like(flat)
        views, offset = [], 0
        for p in params:
            k = p.numel()
            p.data = flat[offset:offset + k].view_as(p)
            views.append(grad[offset:offset + k].view_as(p))
            offset += k
    flat_param = nn.Parameter(flat, requires_grad=False)  # shares flat's storage
    flat_param.grad = grad
    return flat_param, views


def _manual_grad(model: BatchedMLP, xt: torch.Tensor, yt: torch.Tensor,
                 grads: list[torch.Tensor]) -> None:
    """Closed-form gradient of ``sum_s mean_b CE(model_s(x[s]), y[s])`` into `grads`.

    Samples run along the *last* axis: ``xt`` is ``(S, d, B)`` (the transpose of a batch
    ``(S, B, d)``) and ``yt`` the one-hot labels ``(S, C, B)``; every layer is then one
    ``W_i @ h`` bmm with the long sample axis as the GEMM's free dimension, several times
    faster on a CPU than ``h @ W_iᵀ`` for these narrow layers. ``grads`` holds buffers shaped
    like ``[*weights, *biases]``, overwritten. Equal to autograd's gradient of the same loss (to
    rounding) for activations in ``_DERIV_FROM_OUTPUT`` or the identity, logits out.
    """
    n_layers = model.n_layers
    ws = [w.detach() for w in model.weights]
    bs = [b.detach() for b in model.biases]
    act_name = model.activation
    deriv = _DERIV_FROM_OUTPUT.get(act_name)
    hs = [xt]
    h = xt
    for i in range(n_layers):
        z = torch.baddbmm(bs[i].unsqueeze(2), ws[i], h)  # (S, d_i, B)
        if i < n_layers - 1:
            if act_name == "tanh":  # tanh z = 2 sigmoid(2z) - 1: ~3x faster than torch's
                h = z.mul_(2.0).sigmoid_().mul_(2.0).sub_(1.0)  # CPU tanh, error ~1 ulp of 1
            elif act_name == "sigmoid":
                h = z.sigmoid_()
            elif act_name == "relu":
                h = z.relu_()
            else:
                h = z
            hs.append(h)
        else:
            h = z
    # d/dlogits of the per-copy mean cross-entropy: (softmax - onehot) / B
    dz = torch.softmax(h, dim=1).sub_(yt).div_(xt.shape[2])
    for i in range(n_layers - 1, -1, -1):
        h_in = hs[i]
        torch.bmm(dz, h_in.transpose(1, 2), out=grads[i])
        torch.sum(dz, dim=2, out=grads[n_layers + i])
        if i > 0:
            dh = torch.bmm(ws[i].transpose(1, 2), dz)
            dz = dh if deriv is None else dh.mul_(deriv(h_in))


def _autograd_grad(model: BatchedMLP, xt: torch.Tensor, yt: torch.Tensor,
                   grads: list[torch.Tensor]) -> None:
    """The gradient of the same loss as :func:`_manual_grad`, by autograd (any activation)."""
    params = [*model.weights, *model.biases]
    logits = model(xt.transpose(1, 2))
    loss = -(torch.log_softmax(logits, dim=-1) * yt.transpose(1, 2)).sum() / xt.shape[2]
    for g, dp in zip(grads, torch.autograd.grad(loss, params), strict=True):
        g.copy_(dp)


StepCallback = Callable[[int, Any], None]


def _train_module(model: nn.Module, cfg: TrainConfig, train: Data, test: Data | None,
                  callback: Callable[[int, Any], None] | None,
                  step_callback: StepCallback | None, progress: bool) -> History:
    """The path of :func:`fit` for a single module: autograd, torch optimiser."""
    dtype = _param_dtype(model)
    x, y = _as_data("train", train, dtype)
    xt_yt = None if test is None else _as_data("test", test, dtype)
    n = x.shape[0]
    bs = cfg.batch_size
    full = bs is None or bs >= n
    gen = torch.Generator().manual_seed(cfg.seed)
    opt = _optimizer(model.parameters(), cfg)
    steps = 0

    def run_epoch() -> None:
        nonlocal steps
        batches: Any = [None] if full else torch.randperm(n, generator=gen).split(bs)
        if cfg.batches_per_epoch is not None:
            batches = batches[:cfg.batches_per_epoch]
        for idx in batches:
            xb, yb = (x, y) if idx is None else (x[idx], y[idx])
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
            steps += 1
            if step_callback is not None:
                step_callback(steps, model)

    return _fit(model, cfg, (x, y), xt_yt, run_epoch, callback, progress, "train")


def _train_batched(model: BatchedMLP, cfg: TrainConfig, train: Data, test: Data | None,
                   callback: Callable[[int, Any], None] | None,
                   step_callback: StepCallback | None, progress: bool) -> History:
    """The path of :func:`fit` for a :class:`BatchedMLP`: flat buffers, closed-form gradient."""
    s_models, n_classes = model.n_models, model.widths[-1]
    dtype = _param_dtype(model)
    x, y = _as_data("train", train, dtype, n_models=s_models, n_classes=n_classes)
    if x.shape[-1] != model.widths[0]:
        raise fail("train[0]", f"{model.widths[0]} features per sample", tuple(x.shape))
    xt_yt = None if test is None else _as_data("test", test, dtype, n_models=s_models,
                                               n_classes=n_classes)
    n = x.shape[-2]
    bs = n if cfg.batch_size is None else min(cfg.batch_size, n)
    stop = n if cfg.batches_per_epoch is None else min(n, cfg.batches_per_epoch * bs)
    gens = [torch.Generator().manual_seed(cfg.seed + s) for s in range(s_models)]
    manual = _manual_ok(model)
    # one flat buffer for all parameters (the model's parameters become views of it) and
    # one for their gradients: the optimiser then makes a handful of calls per step
    flat, grads = _flatten(model)
    opt = _optimizer([flat], cfg)
    # inputs and one-hot labels stacked, samples last ((S,) d + C, N): one gather per
    # epoch fetches both, and the layers run as W @ h (see _manual_grad)
    xy_t = torch.cat([x, F.one_hot(y, n_classes).to(dtype)], dim=-1).transpose(-1, -2)
    xy_t = xy_t.contiguous()
    steps = 0

    def run_epoch() -> None:
        nonlocal steps
        if bs == n:  # full batch: the data in order, nothing drawn
            data = xy_t.expand(s_models, *xy_t.shape[-2:])
        else:  # each copy's permutation from its own generator, as for a single module
            perms = torch.stack([torch.randperm(n, generator=g) for g in gens])
            data = torch.gather(xy_t.expand(s_models, *xy_t.shape[-2:]), 2,
                                perms.unsqueeze(1).expand(-1, xy_t.shape[-2], -1))
        for start in range(0, stop, bs):
            chunk = data[:, :, start:start + bs]  # (S, d + C, b)
            xb, yb = chunk[:, :-n_classes], chunk[:, -n_classes:]
            if manual:
                _manual_grad(model, xb, yb, grads)
            else:
                _autograd_grad(model, xb, yb, grads)
            opt.step()
            steps += 1
            if step_callback is not None:
                step_callback(steps, model)

    return _fit(model, cfg, (x, y), xt_yt, run_epoch, callback, progress,
                f"train x{s_models}")


# ----------------------------------------------------------------------------- public
def fit(model: nn.Module, train: Data, test: Data | None = None,
        config: TrainConfig | None = None, *,
        callback: Callable[[int, Any], None] | None = None,
        step_callback: StepCallback | None = None, progress: bool = True,
        num_threads: int | None = None) -> History:
    """Train a classifier with cross-entropy on its logits; log loss and accuracy per epoch.

    The package's one training loop. A :class:`~infoplane.models.BatchedMLP` takes the batched
    fast path: its ``S`` copies train together, copy ``s`` ending (to floating-point rounding)
    where ``fit(model.member(s), train, test, replace(config, seed=config.seed + s))`` would
    end from the same start, e.g. ``mlp(..., seed=model.seed + s)`` — the loss is the sum over
    copies of each copy's mean cross-entropy, the optimiser acts element-wise on the stacked
    parameters, and copy ``s`` draws its mini-batch order from its own generator seeded
    ``config.seed + s``.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(B, ...)`` inputs to ``(B, C)`` logits (e.g. :func:`infoplane.models.mlp`, a
        CNN), or a :class:`~infoplane.models.BatchedMLP`; trained in place.
    train : tuple (x, y)
        Inputs ``(N, ...)`` (cast to the model's parameter dtype) and integer labels ``(N,)``;
        NumPy arrays or tensors. A ``BatchedMLP`` takes ``(N, d)`` shared by all copies or
        per-copy data ``(S, N, d)`` with labels ``(S, N)`` (e.g. a different split per seed).
    test : tuple (x, y) or None
        Optional held-out set (same layouts), evaluated with the training set.
    config : TrainConfig or None
        Hyper-parameters (``TrainConfig()`` when ``None``). Each epoch draws a permutation of
        the training set from ``torch.Generator().manual_seed(config.seed)`` and takes
        consecutive mini-batches of it; full batch uses the data in order and draws nothing.
    callback : callable or None
        ``callback(epoch, model)`` after each epoch, ``epoch = 1..epochs``, model in the mode
        it had on entry. For a ``BatchedMLP`` use :meth:`BatchedMLP.forward_layers` to record
        all copies at once.
    step_callback : callable or None
        ``step_callback(step, model)`` after every optimiser step, ``step = 1, 2, ...`` over
        the whole run, model in training mode (a callback that evaluates must restore the
        modes, e.g. with :func:`infoplane._torch.capture`).
    progress : bool
        Show progress: a tqdm bar on a terminal, a plain line every 10 s otherwise.
    num_threads : int or None
        Intra-op torch threads during training (restored afterwards); ``None`` leaves the
        setting alone. Small networks often run fastest with 1.

    Returns
    -------
    History
        Measured in eval mode at the scheduled epochs; arrays ``(E,)``, or ``(S, E)`` for a
        ``BatchedMLP`` (:meth:`History.member` gives one copy's history).

    Raises
    ------
    ValueError, TypeError
        For malformed data (wrong shapes, NaN/inf inputs, negative or non-integral labels) or a
        model without parameters.

    Examples
    --------
    >>> from infoplane.models import BatchedMLP, mlp
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(64, 4, generator=g); y = (x[:, 0] > 0).long()
    >>> h = fit(mlp((4, 8, 2)), (x, y), config=TrainConfig(epochs=30, lr=0.05), progress=False)
    >>> h.train_loss.shape, bool(h.train_loss[-1] < h.train_loss[0])
    ((30,), True)
    >>> cfg = TrainConfig(epochs=5, lr=0.05, batch_size=16)
    >>> fit(BatchedMLP(3, (4, 8, 2)), (x, y), config=cfg, progress=False).train_loss.shape
    (3, 5)
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module, got {type(model).__name__}.")
    cfg = _config(config)
    with _threads(num_threads):
        if isinstance(model, BatchedMLP):
            return _train_batched(model, cfg, train, test, callback, step_callback, progress)
        return _train_module(model, cfg, train, test, callback, step_callback, progress)


def train(model: nn.Module, train: Data, test: Data | None = None,
          config: TrainConfig | None = None, *,
          callback: Callable[[int, nn.Module], None] | None = None, progress: bool = True,
          num_threads: int | None = None) -> History:
    """Alias of :func:`fit` (kept for existing scripts); see :func:`fit` for the parameters.

    Examples
    --------
    >>> from infoplane.models import mlp
    >>> x = torch.randn(16, 4, generator=torch.Generator().manual_seed(0))
    >>> train(mlp((4, 3, 2)), (x, (x[:, 0] > 0).long()), config=TrainConfig(epochs=2),
    ...       progress=False).epochs
    2
    """
    return fit(model, train, test, config, callback=callback, progress=progress,
               num_threads=num_threads)


def train_batched(model: BatchedMLP, train: Data, test: Data | None = None,
                  config: TrainConfig | None = None, *,
                  callback: Callable[[int, BatchedMLP], None] | None = None,
                  progress: bool = True, num_threads: int | None = None) -> History:
    """:func:`fit` of a :class:`~infoplane.models.BatchedMLP` (kept for existing scripts).

    The same as :func:`fit`, plus a check that `model` is a ``BatchedMLP``.

    Raises
    ------
    TypeError
        If `model` is not a ``BatchedMLP``.

    Examples
    --------
    >>> from infoplane.models import BatchedMLP
    >>> x = torch.randn(16, 4, generator=torch.Generator().manual_seed(0))
    >>> train_batched(BatchedMLP(2, (4, 3, 2)), (x, (x[:, 0] > 0).long()),
    ...               config=TrainConfig(epochs=2), progress=False).train_loss.shape
    (2, 2)
    """
    if not isinstance(model, BatchedMLP):
        raise TypeError(f"`model` must be a BatchedMLP, got {type(model).__name__}.")
    return fit(model, train, test, config, callback=callback, progress=progress,
               num_threads=num_threads)
