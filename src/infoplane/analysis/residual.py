"""Residual blocks as ``y = x + L(x)``: norm ratios, Lipschitz constants and inversion.

Section 1.3.3 of the interpretation paper reads a residual building block as
``y = (L + I)(x)`` (Eq. 1) and argues that ``L + I`` is invertible, hence information preserving,
when the "operator norm" of the residual branch ``L`` is below 1 (Appendix E). Section 3.3
(Figure 5) measures ``‖L(x)‖ / ‖x‖`` (``‖·‖`` = root of the sum of squares of *all* entries of the
batch tensor) for the 15 blocks of a ResNet-32 and finds it below 1 throughout training.
Section 3.1 (Table 1, Figure 3) interprets He et al.'s (2016) five residual-unit variants.

This module provides

* :class:`Residual`, a block ``y = post(shortcut(x) + inner(x))`` and :func:`find_blocks`;
* :func:`block_ratio` and :class:`RatioRecorder` (Figure 5 on a schedule);
* :func:`lipschitz`: power iteration on the Jacobian of ``L`` (``torch.func.jvp``/``vjp``);
* :func:`invert`: fixed-point inversion ``x_{k+1} = y - L(x_k)``;
* :func:`resnet_cifar`: CIFAR-style ResNets with the five units of Table 1.

The experiment that trains the variants and judges the paper's claims (Appendix E / Figure 5,
Table 1) is :mod:`infoplane.papers.interpretation.residual`.

Notes
-----
The ratio ``‖L(x)‖/‖x‖`` is **not** an operator norm: it is one value of ``‖L(x)‖/‖x‖`` at the
data, whereas invertibility needs the Lipschitz constant ``sup ‖L(x)-L(x')‖/‖x-x'‖``. A small
ratio says nothing about how steep ``L`` is (``L(x) = 0.1 sin(20x)`` has ratio ≤ 0.1 near
``|x| = 1`` but Lipschitz constant 2, and ``x + L(x)`` is not injective).

Appendix E's proof builds ``B = Σ (-L)^n`` in a Hölder space and multiplies series term-wise;
for a *nonlinear* ``L`` the powers ``(-L)^n`` are compositions, and ``L ∘ (Σ_n A_n)`` equals
``Σ_n L ∘ A_n`` only when ``L`` is linear, so the Neumann-series argument is loose. The correct
statement is Banach's fixed-point theorem: if ``Lip(L) < 1`` then for every ``y`` the map
``x ↦ y - L(x)`` is a contraction, so ``x + L(x) = y`` has exactly one solution and the
iteration of :func:`invert` converges to it geometrically with rate ``Lip(L)``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, cast, get_args

import numpy as np

try:
    import torch
    import torch.nn.functional as F
    from torch import nn
except ImportError as _exc:  # PyTorch is the optional `torch` extra
    from infoplane._requires import missing_torch

    raise missing_torch(__name__) from _exc

from infoplane._torch import capture
from infoplane._typing import FloatArray
from infoplane._validation import as_int, choice, fail, positive
from infoplane.schedules import Schedule

__all__ = [
    "VARIANTS",
    "InversionResult",
    "LipschitzEstimate",
    "RatioRecorder",
    "ResNetCIFAR",
    "Residual",
    "Variant",
    "block_ratio",
    "find_blocks",
    "invert",
    "lipschitz",
    "make_unit",
    "resnet_cifar",
]

Variant = Literal["original", "bn_after_add", "relu_before_add", "relu_only_preact",
                  "full_preact"]
VARIANTS: tuple[str, ...] = get_args(Variant)
_PREACT = ("relu_only_preact", "full_preact")


def _norm(t: torch.Tensor) -> float:
    """Root of the sum of squares over the whole tensor (the paper's ``‖·‖``)."""
    return float(torch.linalg.vector_norm(t.detach().double()))


# --------------------------------------------------------------------------- blocks


class Residual(nn.Module):
    """A residual block ``y = post(shortcut(x) + inner(x))``.

    Parameters
    ----------
    inner : nn.Module
        The residual branch ``L`` of Eq. (1).
    post : nn.Module or None, default None
        Applied after the addition (``nn.ReLU()`` for the original unit, BN + ReLU for
        "BN after addition"); ``None`` means ``y = x + L(x)``.
    shortcut : nn.Module or None, default None
        The skip path; ``None`` is the identity. Down-sampling blocks use a parameter-free
        option-A shortcut (:class:`OptionA`).
    variant : str, default "custom"
        Label only.

    Examples
    --------
    >>> blk = Residual(nn.Linear(3, 3, bias=False))
    >>> _ = nn.init.zeros_(blk.inner.weight)
    >>> blk(torch.ones(2, 3)).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    def __init__(self, inner: nn.Module, post: nn.Module | None = None,
                 shortcut: nn.Module | None = None, variant: str = "custom") -> None:
        super().__init__()
        self.inner = inner
        self.post = post if post is not None else nn.Identity()
        self.shortcut = shortcut if shortcut is not None else nn.Identity()
        self.has_post = post is not None
        self.downsample = shortcut is not None
        self.variant = variant

    @property
    def identity_form(self) -> bool:
        """True when the block is exactly ``x + L(x)`` (no post-op, identity shortcut)."""
        return not self.has_post and not self.downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return cast(torch.Tensor, self.post(self.shortcut(x) + self.inner(x)))


class OptionA(nn.Module):
    """He et al.'s option-A shortcut: stride-2 subsampling and zero-padded extra channels.

    Parameter-free, so the shortcut carries no learned map; it is not injective (it drops
    3/4 of the positions), so down-sampling blocks are never invertible.

    Examples
    --------
    >>> OptionA(2, 4)(torch.ones(1, 2, 4, 4)).shape
    torch.Size([1, 4, 2, 2])
    """

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.c_in, self.c_out = c_in, c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, ::2, ::2]
        extra = self.c_out - self.c_in
        return F.pad(x, (0, 0, 0, 0, extra // 2, extra - extra // 2))


def find_blocks(model: nn.Module,
                predicate: Callable[[nn.Module], bool] | None = None) -> dict[str, nn.Module]:
    """Residual blocks of ``model`` by qualified name, in registration order.

    Parameters
    ----------
    model : nn.Module
    predicate : callable or None, default None
        Selects blocks; the default takes every :class:`Residual`. A custom predicate must pick
        modules with an ``inner`` attribute (the residual branch) for :func:`block_ratio`.

    Returns
    -------
    dict of str to nn.Module

    Examples
    --------
    >>> list(find_blocks(resnet_cifar(8, width=4, in_channels=1)))
    ['stages.0.0', 'stages.1.0', 'stages.2.0']
    """
    pred = predicate if predicate is not None else (lambda m: isinstance(m, Residual))
    out = {name: m for name, m in model.named_modules() if name and pred(m)}
    for name, m in out.items():
        if not isinstance(getattr(m, "inner", None), nn.Module):
            raise fail("predicate", "a selector of modules with an `inner` branch",
                       f"{name}: {type(m).__name__}")
    return out


def block_ratio(block: nn.Module, x: torch.Tensor) -> float:
    """``‖L(x)‖ / ‖x‖`` of one block (Section 3.3, Figure 5).

    ``‖·‖`` is the root of the sum of squares over the whole batch tensor, and ``L`` is
    ``block.inner`` evaluated on the block's input ``x`` in the block's current mode (call
    ``.eval()`` first for batch-norm running statistics; in training mode batch norm would also
    update its running statistics).

    Parameters
    ----------
    block : nn.Module
        A :class:`Residual` (or any module with an ``inner`` branch).
    x : torch.Tensor
        The block's input batch, not all zero.

    Returns
    -------
    float

    Examples
    --------
    >>> blk = Residual(nn.Linear(4, 4, bias=False))
    >>> with torch.no_grad():
    ...     _ = blk.inner.weight.copy_(0.3 * torch.eye(4))
    >>> round(block_ratio(blk, torch.randn(5, 4)), 6)
    0.3
    """
    inner = getattr(block, "inner", None)
    if not isinstance(inner, nn.Module):
        raise TypeError(f"`block` must have an `inner` nn.Module, got {type(block).__name__}.")
    denom = _norm(x)
    if not math.isfinite(denom) or denom == 0.0:
        raise fail("x", "a finite, non-zero tensor", denom)
    with torch.no_grad():
        return _norm(inner(x)) / denom


class RatioRecorder:
    """Record ``‖L(x)‖/‖x‖`` of every block on a fixed probe batch, on a schedule.

    On a scheduled step, :meth:`record` puts the model in eval mode, runs one forward pass on
    the probe batch under ``torch.no_grad`` with forward hooks on each block's ``inner`` (whose
    input is the block input and output is ``L(x)``, so no extra evaluation is needed), then
    removes the hooks and restores every submodule's training flag, even on error. Off the
    schedule it is a set-membership test.

    Parameters
    ----------
    model : nn.Module
    probe : torch.Tensor
        Fixed probe batch (model input).
    schedule : Schedule or None, default None
        Steps to record; ``None`` records every step.
    blocks : mapping of str to nn.Module or None, default None
        Defaults to :func:`find_blocks` ``(model)``.

    Attributes
    ----------
    steps : list of int
    ratios : dict of str to list of float
    seconds : float
        Wall time spent inside scheduled :meth:`record` calls.

    Examples
    --------
    >>> from infoplane.schedules import every
    >>> net = resnet_cifar(8, width=4, in_channels=1)
    >>> rec = RatioRecorder(net, torch.rand(4, 1, 8, 8), schedule=every(2))
    >>> [rec.record(s) for s in range(3)], rec.steps, net.training
    ([True, False, True], [0, 2], True)
    >>> rec.as_array().shape
    (2, 3)
    """

    def __init__(self, model: nn.Module, probe: torch.Tensor, *,
                 schedule: Schedule | None = None,
                 blocks: Mapping[str, nn.Module] | None = None) -> None:
        if not isinstance(probe, torch.Tensor) or probe.numel() == 0:
            raise fail("probe", "a non-empty torch.Tensor", probe)
        self.model = model
        self.probe = probe
        self.schedule = schedule
        self.blocks = dict(blocks) if blocks is not None else find_blocks(model)
        if not self.blocks:
            raise fail("model", "a module containing residual blocks", type(model).__name__)
        self.steps: list[int] = []
        self.ratios: dict[str, list[float]] = {name: [] for name in self.blocks}
        self.seconds = 0.0

    def record(self, step: int) -> bool:
        """Record at ``step`` if scheduled; return whether it recorded."""
        if self.schedule is not None and step not in self.schedule:
            return False
        t0 = time.perf_counter()
        inner = {name: cast(nn.Module, blk.inner) for name, blk in self.blocks.items()}
        with capture(self.model, inner, inputs=True) as ins, capture(self.model, inner) as outs:
            self.model(self.probe)
        found = {name: _norm(outs[name][0]) / _norm(ins[name][0])
                 for name in inner if ins[name] and outs[name]}
        self.steps.append(int(step))
        for name in self.blocks:
            self.ratios[name].append(found.get(name, float("nan")))
        self.seconds += time.perf_counter() - t0
        return True

    def as_array(self) -> FloatArray:
        """Ratios as an array of shape (n_steps, n_blocks), blocks in :attr:`blocks` order."""
        return np.array([self.ratios[n] for n in self.blocks], dtype=np.float64).T.reshape(
            len(self.steps), len(self.blocks))


# --------------------------------------------------------------------------- Lipschitz


@dataclass(frozen=True)
class LipschitzEstimate:
    """Largest Jacobian singular value of ``L`` at each probe point and their maximum.

    Attributes
    ----------
    per_point : ndarray, shape (P,)
        Local Lipschitz constants ``‖J_L(x_p)‖_2``.
    value : float
        ``max(per_point)``: a *lower bound* on the global Lipschitz constant over the region
        (for ReLU networks the Jacobian is piecewise constant, so this is local information).
    """

    per_point: FloatArray
    value: float


def lipschitz(fn: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor, *, iters: int = 50,
              seed: int = 0) -> LipschitzEstimate:
    """Spectral norm of the Jacobian of ``fn`` at each probe point, by power iteration.

    Power iteration on ``JᵀJ`` with ``torch.func.jvp`` (``Jv``) and ``torch.func.vjp``
    (``Jᵀu``), all probe points at once: ``fn`` must act sample-wise on the leading axis (true
    for convolutions and batch norm in eval mode, not for batch norm in training mode), so the
    batched Jacobian is block diagonal and each block gets its own normalised vector.

    For ReLU networks ``fn`` is piecewise linear: the value is the norm of the linear piece at
    ``x_p`` — a local constant. The maximum over probe points is a lower bound on the true
    Lipschitz constant, not an upper bound, so ``value < 1`` is evidence, not proof, that
    ``x + L(x)`` is invertible.

    Parameters
    ----------
    fn : callable
        The residual branch ``L``; tensor of shape (P, ...) to a tensor of the same shape.
    x0 : torch.Tensor, shape (P, ...)
        Probe points (floating point; use float64 for 1e-6 accuracy).
    iters : int, default 50
    seed : int, default 0
        Seeds the random start vectors.

    Returns
    -------
    LipschitzEstimate

    Examples
    --------
    >>> q, _ = torch.linalg.qr(torch.randn(6, 6, dtype=torch.float64))
    >>> est = lipschitz(lambda x: 0.7 * x @ q.T, torch.randn(3, 6, dtype=torch.float64))
    >>> round(est.value, 8)
    0.7
    """
    from torch.func import jvp, vjp

    iters = as_int("iters", iters)
    as_int("seed", seed, min_value=0)
    if not isinstance(x0, torch.Tensor) or x0.ndim < 2 or x0.shape[0] == 0:
        raise fail("x0", "a tensor of shape (P, ...) with P >= 1", x0)
    if not torch.isfinite(x0).all():
        raise fail("x0", "finite", "non-finite values")
    x0 = x0.detach()
    gen = torch.Generator().manual_seed(seed)
    v = torch.randn(x0.shape, generator=gen, dtype=torch.float64).to(x0.dtype)
    dims = tuple(range(1, x0.ndim))

    def unit(t: torch.Tensor) -> torch.Tensor:
        n = torch.linalg.vector_norm(t, dim=dims, keepdim=True)
        return t / torch.where(n > 0, n, torch.ones_like(n))

    v = unit(v)
    vjp_fn = vjp(fn, x0)[1]
    sigma = torch.zeros(x0.shape[0], dtype=torch.float64)
    for _ in range(iters):
        jv = jvp(fn, (x0,), (v,))[1]
        sigma = torch.linalg.vector_norm(jv.double(), dim=dims)
        (jtjv,) = vjp_fn(jv)
        if not bool(torch.any(torch.linalg.vector_norm(jtjv, dim=dims) > 0)):
            break
        v = unit(jtjv)
    jv = jvp(fn, (x0,), (v,))[1]
    sigma = torch.maximum(sigma, torch.linalg.vector_norm(jv.double(), dim=dims))
    per = sigma.detach().cpu().numpy().astype(np.float64)
    return LipschitzEstimate(per, float(per.max()))


# --------------------------------------------------------------------------- inversion


@dataclass(frozen=True)
class InversionResult:
    """Output of :func:`invert`.

    Attributes
    ----------
    x : torch.Tensor
        Last iterate.
    errors : ndarray
        Relative reconstruction error ``‖x_k + L(x_k) - y‖ / ‖y‖`` per iteration (k = 0 is
        the start ``x_0 = y``).
    converged : bool
        Error reached ``tol``.
    diverged : bool
        Iterates became non-finite or the error grew by more than 1e6 over its start.
    """

    x: torch.Tensor
    errors: FloatArray
    converged: bool
    diverged: bool = field(default=False)


def invert(block_fn: Callable[[torch.Tensor], torch.Tensor], y: torch.Tensor, *,
           iters: int = 100, tol: float = 1e-10) -> InversionResult:
    """Solve ``x + L(x) = y`` by the fixed-point iteration ``x_{k+1} = y - L(x_k)``.

    If ``Lip(L) < 1`` the map ``x ↦ y - L(x)`` is a contraction and Banach's fixed-point
    theorem gives a unique solution and geometric convergence at rate ``Lip(L)`` (the correct
    version of Appendix E, whose Neumann series ``Σ(-L)^n`` of a *nonlinear* operator is loose).
    If ``Lip(L) ≥ 1`` nothing is guaranteed: the iteration may diverge (``L = -1.5 I``),
    oscillate, or converge to a different pre-image when ``x + L(x)`` is not injective.

    Parameters
    ----------
    block_fn : callable
        The residual branch ``L`` (not the whole block).
    y : torch.Tensor
        Block output ``x + L(x)``; use float64 for tolerances below ~1e-6.
    iters : int, default 100
    tol : float, default 1e-10
        Stop when the relative reconstruction error is ≤ ``tol``.

    Returns
    -------
    InversionResult

    Examples
    --------
    >>> y = torch.ones(2, 3, dtype=torch.float64)
    >>> res = invert(lambda x: 0.5 * x, y)
    >>> res.converged, round(float(res.x[0, 0]), 8)
    (True, 0.66666667)
    >>> invert(lambda x: -1.5 * x, y, iters=60).diverged
    True
    """
    iters = as_int("iters", iters)
    tol = positive("tol", tol)
    if not isinstance(y, torch.Tensor) or y.numel() == 0:
        raise fail("y", "a non-empty torch.Tensor", y)
    if not torch.isfinite(y).all():
        raise fail("y", "finite", "non-finite values")
    ny = _norm(y) or 1.0
    errors: list[float] = []
    converged = diverged = False
    with torch.no_grad():
        x = y.clone()
        for k in range(iters + 1):
            lx = block_fn(x)
            err = _norm(x + lx - y) / ny
            errors.append(err)
            if not math.isfinite(err) or err > 1e6 * max(errors[0], 1e-300):
                diverged = True
                break
            if err <= tol:
                converged = True
                break
            if k < iters:
                x = y - lx
    return InversionResult(x, np.asarray(errors, dtype=np.float64), converged, diverged)


# --------------------------------------------------------------------------- models


def _conv(c_in: int, c_out: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)


def make_unit(variant: Variant, c_in: int, c_out: int, stride: int = 1) -> Residual:
    """One residual unit of Figure 3 / Table 1 (He et al., 2016, "Identity mappings").

    ========================  ============================================  ==============
    variant                   ``inner`` (= L)                               ``post``
    ========================  ============================================  ==============
    ``original`` (a)          conv-BN-ReLU-conv-BN                          ReLU
    ``bn_after_add`` (b)      conv-BN-ReLU-conv                             BN-ReLU
    ``relu_before_add`` (c)   conv-BN-ReLU-conv-BN-ReLU                     none
    ``relu_only_preact`` (d)  ReLU-conv-BN-ReLU-conv-BN                     none
    ``full_preact`` (e)       BN-ReLU-conv-BN-ReLU-conv                     none
    ========================  ============================================  ==============

    With ``stride == 2`` or ``c_in != c_out`` the shortcut is :class:`OptionA`.

    Examples
    --------
    >>> [type(m).__name__ for m in make_unit("full_preact", 4, 4).inner]
    ['BatchNorm2d', 'ReLU', 'Conv2d', 'BatchNorm2d', 'ReLU', 'Conv2d']
    """
    choice("variant", variant, VARIANTS)
    c1, c2 = _conv(c_in, c_out, stride), _conv(c_out, c_out)
    layers: list[nn.Module]
    post: nn.Module | None = None
    if variant == "original":
        layers = [c1, nn.BatchNorm2d(c_out), nn.ReLU(), c2, nn.BatchNorm2d(c_out)]
        post = nn.ReLU()
    elif variant == "bn_after_add":
        layers = [c1, nn.BatchNorm2d(c_out), nn.ReLU(), c2]
        post = nn.Sequential(nn.BatchNorm2d(c_out), nn.ReLU())
    elif variant == "relu_before_add":
        layers = [c1, nn.BatchNorm2d(c_out), nn.ReLU(), c2, nn.BatchNorm2d(c_out), nn.ReLU()]
    elif variant == "relu_only_preact":
        layers = [nn.ReLU(), c1, nn.BatchNorm2d(c_out), nn.ReLU(), c2, nn.BatchNorm2d(c_out)]
    else:
        layers = [nn.BatchNorm2d(c_in), nn.ReLU(), c1, nn.BatchNorm2d(c_out), nn.ReLU(), c2]
    shortcut = OptionA(c_in, c_out) if (stride != 1 or c_in != c_out) else None
    return Residual(nn.Sequential(*layers), post, shortcut, variant)


class ResNetCIFAR(nn.Module):
    """CIFAR-style ResNet (He et al., 2015, Section 4.2): stem, 3 stages, pool, linear.

    Built by :func:`resnet_cifar`; ``stages[i][j]`` is block ``j`` of stage ``i``.
    """

    def __init__(self, depth: int, width: int, in_channels: int, num_classes: int,
                 variant: Variant) -> None:
        super().__init__()
        n = (depth - 2) // 6
        self.variant = variant
        pre = variant in _PREACT
        stem: list[nn.Module] = [_conv(in_channels, width)]
        if not pre:
            stem += [nn.BatchNorm2d(width), nn.ReLU()]
        self.stem = nn.Sequential(*stem)
        stages: list[nn.Module] = []
        c = width
        for i in range(3):
            c_out = width * 2**i
            blocks = [make_unit(variant, c if j == 0 else c_out, c_out,
                                2 if (i > 0 and j == 0) else 1) for j in range(n)]
            stages.append(nn.Sequential(*blocks))
            c = c_out
        self.stages = nn.Sequential(*stages)
        self.final = (nn.Sequential(nn.BatchNorm2d(c), nn.ReLU()) if pre else nn.Identity())
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.final(self.stages(self.stem(x)))
        return cast(torch.Tensor, self.fc(h.mean(dim=(2, 3))))


def resnet_cifar(depth: int = 32, *, width: int = 16, in_channels: int = 3,
                 num_classes: int = 10, variant: Variant = "original",
                 seed: int = 0) -> ResNetCIFAR:
    """A CIFAR-style ResNet with ``(depth - 2) / 6`` residual units per stage.

    Stem conv3×3 (+BN-ReLU for post-activation variants), three stages of widths
    ``width, 2·width, 4·width`` (the first unit of stages 2 and 3 has stride 2 and a
    parameter-free option-A shortcut: subsample + zero-pad channels), a final BN-ReLU for
    pre-activation variants, global average pooling and a linear classifier. ``depth = 32``
    gives the paper's 15 building blocks (Figure 5).

    Parameters
    ----------
    depth : int, default 32
        ``6n + 2`` with ``n >= 1`` (8, 14, 20, 32, 44, 56, 110, ...).
    width : int, default 16
    in_channels : int, default 3
    num_classes : int, default 10
    variant : {"original", "bn_after_add", "relu_before_add", "relu_only_preact", \
"full_preact"}
        The unit of Table 1 / Figure 3 (see :func:`make_unit`).
    seed : int, default 0
        Seeds the weight initialisation (global RNG untouched).

    Returns
    -------
    ResNetCIFAR

    Examples
    --------
    >>> net = resnet_cifar(20, in_channels=1)
    >>> len(find_blocks(net)), net(torch.rand(2, 1, 16, 16)).shape
    (9, torch.Size([2, 10]))
    """
    depth = as_int("depth", depth, min_value=8)
    if (depth - 2) % 6:
        raise fail("depth", "6n + 2 (8, 14, 20, 32, 44, 56, 110, ...)", depth)
    width = as_int("width", width)
    in_channels = as_int("in_channels", in_channels)
    num_classes = as_int("num_classes", num_classes, min_value=2)
    seed = as_int("seed", seed, min_value=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return ResNetCIFAR(depth, width, in_channels, num_classes, variant)
