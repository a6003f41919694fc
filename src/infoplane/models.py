"""The papers' networks: a seeded MLP builder and many seeds trained as one batched model.

:func:`mlp` builds a plain :class:`torch.nn.Sequential` whose layers have stable names a
recorder can address. For widths ``(d_0, d_1, ..., d_L)`` the modules are, in order::

    fc1, act1, fc2, act2, ..., fc{L-1}, act{L-1}, fc{L}[, act{L}]

``fc{i}`` is the :class:`~torch.nn.Linear` map ``d_{i-1} -> d_i`` and ``act{i}`` its
activation; the output layer ``fc{L}`` has an activation ``act{L}`` only when
``output_activation`` is given (the training loop takes logits, so it usually is not). The
representation of hidden layer ``i`` is the output of ``act{i}``; the output representation is
the output of the last module. The default ``(12, 10, 7, 5, 4, 3, 2)`` is the tanh network of
Shwartz-Ziv & Tishby (2017), "Opening the black box of deep neural networks via information",
with its initialisation: weights from a normal truncated at two standard deviations with
standard deviation ``1/sqrt(fan_in)``, zero biases.

:class:`BatchedMLP` holds ``S`` independent copies of such a network as stacked weights
``W_i`` of shape ``(S, d_i, d_{i-1})`` and evaluates them all with one batched matrix product
per layer, so 20-50 seeds of a small network cost little more than one on a CPU. Copy ``s`` is
initialised exactly like ``mlp(..., seed=seed + s)``; :meth:`BatchedMLP.member` extracts it as a
standalone :class:`~torch.nn.Sequential`, and :meth:`BatchedMLP.forward_layers` returns every
named representation of all copies at once, keyed by the same names as above.

All randomness goes through a seeded :class:`torch.Generator`; the global torch RNG is neither
read nor advanced.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Literal, cast

try:
    import torch
    from torch import nn
except ImportError as _exc:  # PyTorch is the optional `torch` extra
    from infoplane._requires import missing_torch

    raise missing_torch(__name__) from _exc

from infoplane._validation import as_int, as_widths, choice, fail

__all__ = ["ACTIVATIONS", "BatchedMLP", "mlp"]

Activation = Literal[
    "tanh", "relu", "linear", "identity", "sigmoid", "leaky_relu", "elu", "softplus"
]
Init = Literal["original", "default"]

#: Activation registry: name -> module factory (``linear`` and ``identity`` are the same).
ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "linear": nn.Identity,
    "identity": nn.Identity,
    "sigmoid": nn.Sigmoid,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "softplus": nn.Softplus,
}
_INITS = ("original", "default")
TISHBY_WIDTHS: tuple[int, ...] = (12, 10, 7, 5, 4, 3, 2)


def _check_widths(widths: Sequence[int]) -> tuple[int, ...]:
    out = as_widths("widths", widths)
    if len(out) < 2:
        raise fail("widths", "at least two widths (input and output)", widths)
    return out


def _check_activation(name: str, value: str | None, *, allow_none: bool = False) -> str | None:
    if value is None and allow_none:
        return None
    return choice(name, value, tuple(ACTIVATIONS))


def _check_dtype(dtype: torch.dtype) -> torch.dtype:
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise fail("dtype", "a floating torch dtype such as torch.float32", dtype)
    return dtype


def _init_linear(layer: nn.Linear, init: str, gen: torch.Generator) -> None:
    """Initialise one linear layer in place from `gen` (weights first, then bias)."""
    fan_in = layer.in_features
    with torch.no_grad():
        if init == "original":
            std = 1.0 / math.sqrt(fan_in)
            nn.init.trunc_normal_(layer.weight, std=std, a=-2.0 * std, b=2.0 * std,
                                  generator=gen)
            nn.init.zeros_(layer.bias)
        else:  # torch's own nn.Linear.reset_parameters, but from `gen`
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=gen)
            bound = 1.0 / math.sqrt(fan_in)
            nn.init.uniform_(layer.bias, -bound, bound, generator=gen)


def _build(widths: tuple[int, ...], activation: str, output_activation: str | None,
           dtype: torch.dtype) -> nn.Sequential:
    """The named, *uninitialised* network (no RNG used)."""
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    n = len(widths) - 1
    for i in range(1, n + 1):
        layers[f"fc{i}"] = nn.utils.skip_init(nn.Linear, widths[i - 1], widths[i], dtype=dtype)
        act = activation if i < n else output_activation
        if act is not None:
            layers[f"act{i}"] = ACTIVATIONS[act]()
    return nn.Sequential(layers)


def _fc(net: nn.Module, i: int) -> nn.Linear:
    """Layer ``fc{i}`` of a network built by :func:`_build`."""
    fc = net.get_submodule(f"fc{i}")
    assert isinstance(fc, nn.Linear)
    return fc


def mlp(widths: Sequence[int] = TISHBY_WIDTHS, *, activation: Activation = "tanh",
        output_activation: Activation | None = None, init: Init = "original", seed: int = 0,
        dtype: torch.dtype = torch.float32) -> nn.Sequential:
    """A fully connected network with named layers and a seeded initialisation.

    Parameters
    ----------
    widths : sequence of int
        Layer widths ``(d_0, d_1, ..., d_L)``, input first, number of classes last; at least
        two. The default is the 12-10-7-5-4-3-2 network of Shwartz-Ziv & Tishby (2017).
    activation : str
        Hidden activation, one of :data:`ACTIVATIONS` (``tanh``, ``relu``, ``linear`` /
        ``identity``, ``sigmoid``, ``leaky_relu``, ``elu``, ``softplus``).
    output_activation : str or None
        Activation after the last linear layer (module ``act{L}``); ``None`` (default) leaves
        logits, which is what :func:`infoplane.training.train` expects.
    init : {"original", "default"}
        ``"original"``: weights from a normal truncated at ±2 standard deviations with
        standard deviation ``1/sqrt(fan_in)``, zero biases (Shwartz-Ziv & Tishby, 2017).
        ``"default"``: torch's own :class:`~torch.nn.Linear` initialisation (Kaiming-uniform
        weights, uniform biases in ``±1/sqrt(fan_in)``).
    seed : int
        Seed of the private :class:`torch.Generator` used for the initialisation; the global
        torch RNG is untouched. Layers are initialised in order, weight before bias.
    dtype : torch.dtype
        Floating dtype of the parameters (``torch.float64`` for exact comparisons).

    Returns
    -------
    torch.nn.Sequential
        Modules named ``fc1, act1, ..., fc{L}`` (and ``act{L}`` with an output activation);
        hidden representation ``i`` is the output of ``act{i}``.

    Raises
    ------
    ValueError
        For fewer than two widths, a width < 1, an unknown activation or init, or a negative
        seed.

    Examples
    --------
    >>> net = mlp()
    >>> [name for name, _ in net.named_children()][:4]
    ['fc1', 'act1', 'fc2', 'act2']
    >>> net(torch.zeros(5, 12)).shape
    torch.Size([5, 2])
    >>> bool(torch.equal(mlp(seed=3).fc1.weight, mlp(seed=3).fc1.weight))
    True
    """
    w = _check_widths(widths)
    act = _check_activation("activation", activation)
    out_act = _check_activation("output_activation", output_activation, allow_none=True)
    how = choice("init", init, _INITS)
    s = as_int("seed", seed, min_value=0)
    dt = _check_dtype(dtype)
    assert act is not None
    net = _build(w, act, out_act, dt)
    gen = torch.Generator().manual_seed(s)
    for module in net:
        if isinstance(module, nn.Linear):
            _init_linear(module, how, gen)
    return net


class BatchedMLP(nn.Module):
    """``S`` independent copies of :func:`mlp`, evaluated together with batched matmuls.

    Parameters
    ----------
    n_models : int
        Number of copies ``S`` (>= 1).
    widths : sequence of int
        Layer widths, as in :func:`mlp`.
    activation, output_activation, init, dtype
        As in :func:`mlp`; shared by all copies.
    seed : int
        Copy ``s`` is initialised exactly like ``mlp(widths, ..., seed=seed + s)``.

    Attributes
    ----------
    weights : torch.nn.ParameterList
        ``weights[i-1]`` has shape ``(S, d_i, d_{i-1})`` (layer ``fc{i}`` of every copy).
    biases : torch.nn.ParameterList
        ``biases[i-1]`` has shape ``(S, d_i)``.

    Notes
    -----
    Layer ``i`` computes ``h_i = act(bmm(h_{i-1}, W_iᵀ) + b_i)`` for all copies at once (an
    input shared by all copies goes through a single GEMM against the concatenated weights);
    the copies share no parameters, so a loss that is a *sum* over copies gives each copy its
    own gradient, and element-wise optimisers (SGD, Adam) then train each copy exactly as if it
    were alone (see :func:`infoplane.training.train_batched`).

    Examples
    --------
    >>> net = BatchedMLP(4, (12, 10, 7, 5, 4, 3, 2), seed=0)
    >>> net(torch.zeros(8, 12)).shape
    torch.Size([4, 8, 2])
    >>> single = net.member(2)  # the same network as mlp(seed=2)
    >>> bool(torch.equal(single.fc1.weight, mlp(seed=2).fc1.weight))
    True
    >>> sorted(net.forward_layers(torch.zeros(8, 12)))[:2]
    ['act1', 'act2']
    """

    def __init__(self, n_models: int, widths: Sequence[int] = TISHBY_WIDTHS, *,
                 activation: Activation = "tanh", output_activation: Activation | None = None,
                 init: Init = "original", seed: int = 0,
                 dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.n_models = as_int("n_models", n_models)
        self.widths = _check_widths(widths)
        act = _check_activation("activation", activation)
        assert act is not None
        self.activation: str = act
        self.output_activation = _check_activation("output_activation", output_activation,
                                                   allow_none=True)
        self.init = choice("init", init, _INITS)
        self.seed = as_int("seed", seed, min_value=0)
        dt = _check_dtype(dtype)
        copies = [mlp(self.widths, activation=cast(Activation, act),
                      output_activation=cast("Activation | None", self.output_activation),
                      init=cast(Init, self.init), seed=self.seed + s, dtype=dt)
                  for s in range(self.n_models)]
        n = len(self.widths) - 1
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack([_fc(c, i).weight.detach() for c in copies]))
            for i in range(1, n + 1))
        self.biases = nn.ParameterList(
            nn.Parameter(torch.stack([_fc(c, i).bias.detach() for c in copies]))
            for i in range(1, n + 1))
        self._acts: nn.ModuleList = nn.ModuleList(ACTIVATIONS[act]() for _ in range(n - 1))
        self._out_act: nn.Module | None = (ACTIVATIONS[self.output_activation]()
                                           if self.output_activation is not None else None)

    @property
    def n_layers(self) -> int:
        """Number of linear layers ``L``."""
        return len(self.widths) - 1

    def _check_input(self, x: torch.Tensor) -> None:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"`x` must be a torch.Tensor, got {type(x).__name__}.")
        d = self.widths[0]
        ok = (x.ndim == 2 and x.shape[1] == d) or (
            x.ndim == 3 and x.shape[0] == self.n_models and x.shape[2] == d)
        if not ok:
            raise fail("x", f"of shape (N, {d}) or ({self.n_models}, N, {d})",
                       tuple(x.shape))

    def _layers(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        h = x
        n = self.n_layers
        for i in range(n):
            w = self.weights[i]
            b = self.biases[i].unsqueeze(1)
            if h.ndim == 2:  # shared input: one GEMM (N, d) @ (d, S·out), much faster than
                s_, o_, d_ = w.shape  # a broadcast matmul over S
                z = (h @ w.permute(2, 0, 1).reshape(d_, s_ * o_)).view(-1, s_, o_)
                z = z.transpose(0, 1) + b
            else:  # bmm then a broadcast add: faster on CPU than baddbmm's bias expansion
                z = torch.bmm(h, w.transpose(1, 2)) + b
            if i < n - 1:
                h = self._acts[i](z)
                out[f"act{i + 1}"] = h
            elif self._out_act is not None:
                h = self._out_act(z)
                out[f"act{n}"] = h
            else:
                h = z
                out[f"fc{n}"] = h
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs of all copies.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, d_0)``, fed to every copy, or ``(S, N, d_0)``, one batch per copy.

        Returns
        -------
        torch.Tensor
            ``(S, N, d_L)`` logits (or output activations).

        Examples
        --------
        >>> BatchedMLP(3, (4, 3, 2))(torch.ones(5, 4)).shape
        torch.Size([3, 5, 2])
        """
        self._check_input(x)
        return self._layers(x)[self.output_name]

    @property
    def output_name(self) -> str:
        """Name of the output representation: ``act{L}`` or ``fc{L}``."""
        n = self.n_layers
        return f"act{n}" if self._out_act is not None else f"fc{n}"

    @property
    def layer_names(self) -> tuple[str, ...]:
        """Names returned by :meth:`forward_layers`, input side first."""
        return (*(f"act{i}" for i in range(1, self.n_layers)), self.output_name)

    def forward_layers(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every representation of every copy: post-activation hidden layers and the output.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, d_0)`` or ``(S, N, d_0)``, as in :meth:`forward`.

        Returns
        -------
        dict of str to torch.Tensor
            ``{"act1": (S, N, d_1), ..., output_name: (S, N, d_L)}``, keyed by the module names
            of :func:`mlp`, so entry ``[s]`` is what a hook on ``member(s)`` would see.

        Examples
        --------
        >>> net = BatchedMLP(2, (4, 3, 2))
        >>> {k: tuple(v.shape) for k, v in net.forward_layers(torch.ones(5, 4)).items()}
        {'act1': (2, 5, 3), 'fc2': (2, 5, 2)}
        """
        self._check_input(x)
        return self._layers(x)

    def member(self, s: int) -> nn.Sequential:
        """Copy ``s`` as a standalone :func:`mlp` (parameters copied, not shared).

        Parameters
        ----------
        s : int
            Index in ``[0, S)``.

        Returns
        -------
        torch.nn.Sequential
            Equal to ``mlp(widths, ..., seed=seed + s)`` trained the way copy ``s`` was.

        Examples
        --------
        >>> net = BatchedMLP(2, (4, 3, 2), seed=5)
        >>> x = torch.randn(6, 4, generator=torch.Generator().manual_seed(0))
        >>> bool(torch.allclose(net.member(1)(x), net(x)[1]))
        True
        """
        idx = as_int("s", s, min_value=0)
        if idx >= self.n_models:
            raise fail("s", f"an integer in [0, {self.n_models})", s)
        w0 = self.weights[0]
        net = _build(self.widths, self.activation, self.output_activation, w0.dtype)
        with torch.no_grad():
            for i in range(1, self.n_layers + 1):
                fc = _fc(net, i)
                fc.weight.copy_(self.weights[i - 1][idx])
                fc.bias.copy_(self.biases[i - 1][idx])
        return net.to(w0.device)

    def extra_repr(self) -> str:
        return (f"n_models={self.n_models}, widths={self.widths}, "
                f"activation={self.activation!r}, output_activation={self.output_activation!r}")
