"""One forward-hook helper: capture what chosen modules see or produce during a forward pass.

:func:`capture` is the only place in the package that registers forward hooks. It is a context
manager: it hooks the chosen modules, optionally puts the model in eval mode and turns autograd
off, yields the captured tensors per module name, and on exit (also when the body raises)
removes every hook and restores the ``training`` flag of *every* submodule of the model.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

try:
    import torch
    from torch import nn
except ImportError as _exc:  # PyTorch is the optional `torch` extra
    from infoplane._requires import missing_torch

    raise missing_torch(__name__) from _exc

__all__ = ["capture"]


def _first_tensor(name: str, value: Any, what: str) -> torch.Tensor:
    """The tensor a hook saw: ``value`` itself or the first element of (nested) tuples/lists."""
    out = value
    while isinstance(out, tuple | list) and len(out) > 0:
        out = out[0]
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"`modules` must select modules whose {what} is a tensor, got "
                        f"{type(value).__name__} from {name!r}.")
    return out


@contextlib.contextmanager
def capture(model: nn.Module, modules: Mapping[str, nn.Module], *, inputs: bool = False,
            eval_mode: bool = True, grad: bool = False,
            on_output: Callable[[str, torch.Tensor], None] | None = None,
            ) -> Iterator[dict[str, list[torch.Tensor]]]:
    """Capture the outputs (or inputs) of chosen modules during the forward passes of the body.

    Parameters
    ----------
    model : torch.nn.Module
        The model the body runs. Its own and every submodule's ``training`` flag is saved on
        entry and restored on exit.
    modules : mapping of str to torch.nn.Module
        ``name -> module`` to hook (usually submodules of `model`; any module works). May be
        empty (then only the mode and grad handling apply).
    inputs : bool, default False
        Capture each module's first positional input (a forward *pre*-hook) instead of its
        output. Tuple/list outputs or inputs contribute their first tensor.
    eval_mode : bool, default True
        Call ``model.eval()`` on entry (the flags are restored on exit either way).
    grad : bool, default False
        Leave autograd as it is; by default the body runs under :func:`torch.no_grad`.
        Captured tensors are detached in both cases.
    on_output : callable or None
        ``on_output(name, tensor)`` for each captured tensor, as it is produced, *instead of*
        storing it (for streaming chunks to disk); the yielded lists then stay empty.

    Yields
    ------
    dict of str to list of torch.Tensor
        ``name -> [tensor of forward pass 1, tensor of pass 2, ...]``, detached, filled while the
        body runs (one entry per call of the module).

    Raises
    ------
    TypeError
        If `modules` holds something other than modules, or a hooked module's output (input)
        is not a tensor.

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).train()
    >>> with capture(net, {"relu": net[1]}) as seen:
    ...     _ = net(torch.ones(4, 2))
    >>> seen["relu"][0].shape, seen["relu"][0].requires_grad, net.training
    (torch.Size([4, 3]), False, True)
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module, got {type(model).__name__}.")
    chosen = dict(modules)
    for name, mod in chosen.items():
        if not isinstance(mod, nn.Module):
            raise TypeError(f"`modules` must map names to torch.nn.Module, got "
                            f"{type(mod).__name__} for {name!r}.")
    store: dict[str, list[torch.Tensor]] = {name: [] for name in chosen}

    def emit(name: str, value: Any, what: str) -> None:
        t = _first_tensor(name, value, what).detach()
        if on_output is not None:
            on_output(name, t)
        else:
            store[name].append(t)

    def make_hook(name: str) -> Callable[..., None]:
        if inputs:
            def pre_hook(_mod: nn.Module, args: tuple[Any, ...]) -> None:
                emit(name, args, "input")
            return pre_hook

        def hook(_mod: nn.Module, _args: tuple[Any, ...], output: Any) -> None:
            emit(name, output, "output")
        return hook

    modes = [(m, m.training) for m in model.modules()]
    handles: list[torch.utils.hooks.RemovableHandle] = []
    try:
        for name, mod in chosen.items():
            h = make_hook(name)
            handles.append(mod.register_forward_pre_hook(h) if inputs
                           else mod.register_forward_hook(h))
        if eval_mode:
            model.eval()
        with contextlib.nullcontext() if grad else torch.no_grad():
            yield store
    finally:
        for handle in handles:
            handle.remove()
        for m, mode in modes:
            m.training = mode
