"""The one training loop of the torch estimators: device, seeded session, Adam with early stopping.

Every neural estimator (:mod:`infoplane.estimators.neural`, the latent-MI estimator) trains
through :func:`fit`:

* :func:`resolve_device` turns the user's ``device=`` string into a :class:`torch.device`,
  refusing ``"cuda"`` without a GPU with a one-line error that says what to do;
* :func:`torch_session` fixes the number of torch CPU threads and forks the global torch RNG
  (restoring both on exit), and yields a seeded :class:`torch.Generator` for initialisation, so
  a seed gives the same numbers on the CPU and global RNG state is never touched;
* :func:`fit` runs Adam on a caller-supplied mini-batch loss, draws each mini-batch's row
  indices on the fly (consecutive chunks of fresh permutations of the training rows: memory
  O(n_train), never an array of ``steps x batch_size`` indices), evaluates a caller-supplied
  held-out objective every ``eval_every`` steps, stops early when it has not improved for
  ``patience`` evaluations and restores the module's parameters to the best evaluation.

Early stopping on a held-out objective is the standard remedy for the over-fitting of
variational MI bounds evaluated on their own training data (Belghazi et al. 2018, Section 4;
Song & Ermon 2020, Section 6; McAllester & Stratos 2020): the critic's value on the training
rows rises without limit in high dimension while its value on fresh rows peaks and falls.

References
----------
Kingma, D. P., Ba, J. (2015). Adam: A method for stochastic optimization. ICLR.
Loshchilov, I., Hutter, F. (2017). SGDR: stochastic gradient descent with warm restarts. ICLR
(the cosine schedule, Eq. 5, without restarts).
Prechelt, L. (1998). Early stopping — but when? In Neural Networks: Tricks of the Trade.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import numpy as np

try:
    import torch
    from torch import nn
except ImportError as _exc:  # PyTorch is the optional `torch` extra
    from infoplane._requires import missing_torch

    raise missing_torch(__name__) from _exc

from infoplane._typing import IntArray
from infoplane._validation import as_float, as_int, choice, fail

__all__ = ["FitResult", "fit", "resolve_device", "torch_session"]


def resolve_device(device: str, *, name: str = "device") -> torch.device:
    """The torch device named by ``device``, checked to exist on this machine.

    Parameters
    ----------
    device : str
        ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` (any string :class:`torch.device` parses to a CPU
        or CUDA device).
    name : str
        The argument's name in error messages.

    Returns
    -------
    torch.device

    Raises
    ------
    TypeError
        ``device`` is not a string.
    ValueError
        Not a device name, a device type other than CPU/CUDA, CUDA without an available GPU,
        or a CUDA index beyond the GPUs present.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("tpu")
    Traceback (most recent call last):
    ...
    ValueError: `device` must be a torch device name such as 'cpu', 'cuda' or 'cuda:0', got 'tpu'.
    """
    if not isinstance(device, str):
        raise TypeError(f"`{name}` must be a string such as 'cpu' or 'cuda:0', got {device!r}.")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise fail(name, "a torch device name such as 'cpu', 'cuda' or 'cuda:0'",
                   device) from exc
    if dev.type == "cpu":
        return dev
    if dev.type != "cuda":
        raise fail(name, "'cpu', 'cuda' or 'cuda:N'", device,
                   f"(device type {dev.type!r} is not supported).")
    if not torch.cuda.is_available():
        raise fail(name, "an available device", device,
                   "No CUDA GPU is available to this PyTorch: install a CUDA build of PyTorch "
                   "(and run on a machine with a GPU) or pass device='cpu'.")
    count = torch.cuda.device_count()
    if dev.index is not None and dev.index >= count:
        raise fail(name, f"a CUDA device index below {count} (the GPUs present)", device,
                   "Pass device='cuda' or device='cpu'.")
    return dev


@contextmanager
def torch_session(device: torch.device, num_threads: int | None,
                  seed: int) -> Iterator[torch.Generator]:
    """Seeded, isolated torch state for one estimate.

    Inside the block the number of torch CPU threads is ``num_threads`` (unchanged when None),
    the global torch RNG (CPU, and ``device``'s CUDA RNG when it is a GPU) is forked and seeded
    with ``seed``; on exit both are restored, so the caller's random streams are untouched.

    Parameters
    ----------
    device : torch.device
        From :func:`resolve_device`.
    num_threads : int or None
        Torch intra-op CPU threads while inside (small MLPs are fastest with 1).
    seed : int
        Seed of the yielded generator and of the forked global RNG.

    Yields
    ------
    torch.Generator
        A CPU generator seeded with ``seed``: initialise parameters from it on the CPU, then
        move the module to ``device`` (the same seed gives the same network on every device).

    Examples
    --------
    >>> before = torch.random.get_rng_state()
    >>> with torch_session(torch.device("cpu"), 1, seed=3) as gen:
    ...     a = torch.rand(2, generator=gen)
    >>> with torch_session(torch.device("cpu"), 1, seed=3) as gen:
    ...     b = torch.rand(2, generator=gen)
    >>> bool(torch.equal(a, b)), bool(torch.equal(before, torch.random.get_rng_state()))
    (True, True)
    """
    threads = torch.get_num_threads()
    devices: list[int] = []
    if device.type == "cuda":
        devices = [device.index if device.index is not None else torch.cuda.current_device()]
    with torch.random.fork_rng(devices=devices):
        torch.random.default_generator.manual_seed(seed)
        if devices:
            torch.cuda.manual_seed(seed)
        gen = torch.Generator(device="cpu")
        gen.manual_seed(seed)
        try:
            if num_threads is not None:
                torch.set_num_threads(num_threads)
            yield gen
        finally:
            torch.set_num_threads(threads)


@dataclass(frozen=True)
class FitResult:
    """How a :func:`fit` run went.

    Attributes
    ----------
    best_step : int
        The step (1-based count of Adam steps taken) whose held-out value was best; the
        module's parameters were restored to that point.
    steps_run : int
        Steps actually taken (early stopping may end before ``steps``).
    best_value : float
        The held-out objective at ``best_step`` (higher is better).
    history : tuple of (int, float)
        (step, held-out value) at every evaluation, in order.

    When no evaluation gave a finite value, ``best_step`` is 0, ``best_value`` is ``-inf`` and
    the module holds its initial parameters.
    """

    best_step: int
    steps_run: int
    best_value: float
    history: tuple[tuple[int, float], ...]


class _Batches:
    """Row indices in consecutive chunks of fresh permutations (memory O(n), no replacement
    within a batch)."""

    def __init__(self, n: int, batch_size: int, rng: np.random.Generator) -> None:
        self.n, self.b, self.rng = n, batch_size, rng
        self.perm: IntArray = np.zeros(0, dtype=np.int64)
        self.pos = 0

    def next(self) -> IntArray:
        if self.pos + self.b > self.perm.shape[0]:
            self.perm = self.rng.permutation(self.n).astype(np.int64)
            self.pos = 0
        out = self.perm[self.pos:self.pos + self.b]
        self.pos += self.b
        return out


def _snapshot(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def fit(module: nn.Module, train_loss: Callable[[IntArray], torch.Tensor],
        validate: Callable[[], float], *, n_train: int, steps: int, batch_size: int,
        lr: float, eval_every: int, patience: int | None, rng: np.random.Generator,
        weight_decay: float = 0.0, progress: str | None = None,
        schedule: Literal["cosine", "constant"] = "cosine",
        min_delta: float = 0.0, eval_at_start: bool = False) -> FitResult:
    """Train ``module`` by Adam on ``train_loss`` with early stopping on ``validate``.

    At every step, ``batch_size`` distinct row indices in ``range(n_train)`` are drawn (the next
    chunk of a permutation; a fresh permutation when it runs out), ``train_loss(indices)`` is
    minimised by one Adam step. Every ``eval_every`` steps and after the last step,
    ``validate()`` is called in eval mode under :func:`torch.no_grad`; the parameters with the
    highest value so far are kept (a copy of the state dict). Training stops when the value has
    not improved by more than ``min_delta`` for ``patience`` consecutive evaluations, and the
    best parameters are loaded back into ``module`` before returning (the module is left in
    eval mode).

    Parameters
    ----------
    module : torch.nn.Module
        Already on its device; its parameters are optimised.
    train_loss : callable (indices: int64 ndarray of shape (batch_size,)) -> scalar tensor
        The mini-batch loss to minimise (e.g. minus a variational bound).
    validate : callable () -> float
        The held-out objective to maximise (e.g. the bound on held-out rows).
    n_train : int
        Number of training rows indices are drawn from.
    steps : int
        Maximum number of Adam steps.
    batch_size : int
        Rows per step, at most ``n_train``.
    lr : float
        Adam learning rate (the start of the cosine schedule).
    eval_every : int
        Steps between evaluations.
    patience : int or None
        Evaluations without improvement before stopping; None trains all ``steps``.
    rng : numpy.random.Generator
        Source of the mini-batch indices.
    weight_decay : float
        Adam's L2 penalty (default 0).
    progress : str or None
        Description of a tqdm bar, shown only when stderr is a terminal; None for no bar.
    schedule : {"cosine", "constant"}
        Learning rate annealed from ``lr`` to 0 on a cosine over ``steps`` (Loshchilov & Hutter
        2017, Eq. 5) or kept constant.
    min_delta : float
        Improvement needed to count as better (default 0: any increase).
    eval_at_start : bool
        Also evaluate the initial parameters (step 0, recorded in ``history``), so that
        training that never beats the initial module returns it unchanged (``best_step`` 0).

    Returns
    -------
    FitResult

    Examples
    --------
    >>> lin = nn.Linear(1, 1, bias=False)
    >>> _ = nn.init.zeros_(lin.weight)
    >>> xs = torch.linspace(-1, 1, 64)[:, None]
    >>> loss = lambda idx: ((lin(xs[idx]) - 2 * xs[idx]) ** 2).mean()
    >>> val = lambda: -float(((lin(xs) - 2 * xs) ** 2).mean())
    >>> res = fit(lin, loss, val, n_train=64, steps=300, batch_size=16, lr=0.1,
    ...           eval_every=50, patience=None, rng=np.random.default_rng(0))
    >>> round(float(lin.weight.detach()), 2), res.steps_run, res.history[0][0]
    (2.0, 300, 50)
    """
    n_train = as_int("n_train", n_train, min_value=1)
    steps = as_int("steps", steps, min_value=1)
    batch_size = as_int("batch_size", batch_size, min_value=1)
    if batch_size > n_train:
        raise fail("batch_size", f"<= the number of training rows ({n_train})", batch_size,
                   "Lower `batch_size` or give more samples.")
    lr = as_float("lr", lr, min_value=0.0, strict_min=True)
    eval_every = as_int("eval_every", eval_every, min_value=1)
    if patience is not None:
        patience = as_int("patience", patience, min_value=1)
    weight_decay = as_float("weight_decay", weight_decay, min_value=0.0)
    min_delta = as_float("min_delta", min_delta, min_value=0.0)
    choice("schedule", schedule, ("cosine", "constant"))
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"`rng` must be a numpy.random.Generator, got {type(rng).__name__}.")

    params = [p for p in module.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, foreach=True)
    sched: torch.optim.lr_scheduler.LRScheduler | None = None
    if schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    batches = _Batches(n_train, batch_size, rng)

    bar = None
    if progress is not None and sys.stderr.isatty():
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, desc=progress, unit="step", leave=False)

    history: list[tuple[int, float]] = []
    best_value = -math.inf
    best_step = 0
    best_state = _snapshot(module)
    since_best = 0
    step = 0

    def evaluate() -> float:
        module.eval()
        with torch.no_grad():
            value = float(validate())
        module.train()
        history.append((step, value))
        return value

    try:
        if eval_at_start:
            value = evaluate()
            if math.isfinite(value):
                best_value = value
        module.train()
        while step < steps:
            loss = train_loss(batches.next())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            step += 1
            if bar is not None:
                bar.update(1)
            if step % eval_every and step != steps:
                continue
            value = evaluate()
            if math.isfinite(value) and value > best_value + min_delta:
                best_value, best_step, since_best = value, step, 0
                best_state = _snapshot(module)
            else:
                since_best += 1
                if patience is not None and since_best >= patience:
                    break
    finally:
        if bar is not None:
            bar.close()
    module.load_state_dict(best_state)
    module.eval()
    return FitResult(best_step=best_step, steps_run=step, best_value=best_value,
                     history=tuple(history))
