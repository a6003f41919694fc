"""Capacity of a real ``torch.nn.Module``: layer chain → bottleneck → closed-form MMI.

:func:`of_model` walks a model (``torch.fx`` when it traces, else the order of the leaf modules
of an ``nn.Sequential``), sorts every step into one of four roles and, when the model is a chain
the MMI paper covers, evaluates the closed form:

* ``"width"``: a fully connected layer (``nn.Linear``, ``F.linear``, ``x @ W``) of width
  N_k = ``out_features`` (Theorems 1-2 for one layer, Theorem 5 for a chain);
* ``"closed_form_activation"``: ReLU (Theorem 3: a large bias pushes the pre-activations into
  the linear region) and activations that are bijective onto their range — LeakyReLU, PReLU,
  ELU, CELU, SELU, Softplus, Softsign, LogSigmoid, Tanh, Sigmoid (Theorem 4, noise on the
  pre-activation) — whose MMI equals the linear one;
* ``"transparent"``: invertible or shape-only steps (Identity, Flatten, eval-mode Dropout,
  eval-mode BatchNorm, adding or multiplying by a constant);
* ``"no_closed_form"``: everything else (GELU, SiLU, Softmax, pooling, convolutions,
  attention, normalisation by per-sample statistics, unknown modules and functions), and any
  step that joins or splits branches (``torch.cat``, residual additions).

Only a single chain gets an MMI; a graph with branches is reported as not covered rather than
guessed at (see :func:`infoplane.capacity.concat` and :func:`~infoplane.capacity.parallel` to
bound branches by hand).

Torch is imported at the top of this module; ``infoplane.capacity`` imports it lazily, and
nothing in the NumPy-only closed forms imports this module.
"""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

try:
    import torch
    import torch.fx
    import torch.nn.functional as F
    from torch import nn
except ImportError as _exc:  # PyTorch is the optional `torch` extra
    from infoplane._requires import missing_torch

    raise missing_torch(__name__) from _exc

from infoplane._typing import FloatArray
from infoplane._validation import budget_array, fail, positive
from infoplane.capacity._input import sorted_spectrum
from infoplane.capacity.waterfill import _n_tilde, _prefix_sorted, _solve, mmi

Role = Literal["width", "closed_form_activation", "transparent", "no_closed_form"]
Walk = Literal["torch.fx", "leaf_modules"]

ROLES: tuple[Role, ...] = ("width", "closed_form_activation", "transparent", "no_closed_form")

_LN2 = math.log(2.0)


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerInfo:
    """One step of a model, as :func:`of_model` sees it.

    Attributes
    ----------
    name : str
        Qualified module name (``"0"``, ``"encoder.fc1"``) or the ``torch.fx`` node name of a
        functional call (``"relu"``, ``"tanh_1"``).
    kind : str
        Module class name (``"Linear"``) or the function called (``"torch.relu"``,
        ``"F.gelu"``, ``"Tensor.view"``, ``"operator.add"``).
    role : {"width", "closed_form_activation", "transparent", "no_closed_form"}
        How the step enters the MMI (see the module docstring).
    width : int or None
        N_k for ``role == "width"``, else None.
    note : str
        Why the step has this role (which theorem covers it, or why none does).
    """

    name: str
    kind: str
    role: Role
    width: int | None
    note: str

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-serialisable dict."""
        return {"name": self.name, "kind": self.kind, "role": self.role, "width": self.width,
                "note": self.note}


@dataclass(frozen=True)
class CapacityReport:
    """Bottleneck and closed-form MMI of a model (MMI paper, Theorems 1-5).

    Attributes
    ----------
    model : str
        Class name of the model.
    walk : {"torch.fx", "leaf_modules"}
        How the layers were found: a ``torch.fx`` trace, or (when tracing failed) the order of
        the leaf modules.
    chain : bool
        Whether the data flow is a single chain X → step → ... → output (a precondition of
        Theorem 5). False for branches, merges, several inputs or outputs, and for an
        untraceable model that is not an ``nn.Sequential``.
    layers : tuple of LayerInfo
        The steps in forward order (for a non-chain graph: every step the output depends on,
        in graph order).
    n0 : int
        N0, the input dimension (the number of eigenvalues).
    widths : tuple of int
        N1..NK, the widths of the fully connected layers in order.
    bottleneck : str or None
        Name of the narrowest layer (the first one on a tie), or ``"input"`` when N0 is
        the smallest (N0 <= min N_k): Ñ = min(N0, N1, ..., NK) (Theorem 5). None when the
        model has no chain structure for which Ñ is meaningful.
    n_tilde : int or None
        Ñ, the width of the bottleneck.
    mmi_nats, mmi_bits : float or None
        The MMI in nats and bits; None unless ``closed_form``.
    n_active : int or None
        Number of principal components the water-filling optimum uses (Ñ - K in Theorem 2;
        0 at F = 0); None unless ``closed_form``.
    closed_form : bool
        Whether the paper's closed form applies to this model.
    reasons : tuple of str
        How the model was read, which theorems apply (Thm 1/2 linear, Thm 3 ReLU, Thm 4
        bijective, Thm 5 chain), or why there is no closed form.
    budget : float
        F in Tr(WᵀW) <= F, for the end-to-end linear map.
    noise_var : float
        σ² of the Gaussian noise on the last layer.
    """

    model: str
    walk: Walk
    chain: bool
    layers: tuple[LayerInfo, ...]
    n0: int
    widths: tuple[int, ...]
    bottleneck: str | None
    n_tilde: int | None
    mmi_nats: float | None
    mmi_bits: float | None
    n_active: int | None
    closed_form: bool
    reasons: tuple[str, ...]
    budget: float
    noise_var: float

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-serialisable dict (floats, ints, strings, lists, None).

        Examples
        --------
        >>> import json
        >>> from torch import nn
        >>> report = of_model(nn.Sequential(nn.Linear(2, 1)), [1.0, 1.0], budget=3.0)
        >>> d = report.to_dict()
        >>> d["widths"], d["bottleneck"], round(d["mmi_bits"], 6)
        ([1], '0', 1.0)
        >>> isinstance(json.dumps(d), str)
        True
        """
        return {
            "model": self.model,
            "walk": self.walk,
            "chain": self.chain,
            "layers": [layer.to_dict() for layer in self.layers],
            "n0": int(self.n0),
            "widths": [int(w) for w in self.widths],
            "bottleneck": self.bottleneck,
            "n_tilde": None if self.n_tilde is None else int(self.n_tilde),
            "mmi_nats": None if self.mmi_nats is None else float(self.mmi_nats),
            "mmi_bits": None if self.mmi_bits is None else float(self.mmi_bits),
            "n_active": None if self.n_active is None else int(self.n_active),
            "closed_form": bool(self.closed_form),
            "reasons": list(self.reasons),
            "budget": float(self.budget),
            "noise_var": float(self.noise_var),
        }

    def __str__(self) -> str:
        head = ("layer", "kind", "role", "width")
        rows = [(lay.name, lay.kind, lay.role, "-" if lay.width is None else str(lay.width))
                for lay in self.layers]
        cols = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]

        def line(r: Sequence[str]) -> str:
            return "  " + "  ".join(c.ljust(w) for c, w in zip(r, cols, strict=True)).rstrip()

        out = [f"CapacityReport: {self.model} (walk: {self.walk}, "
               f"{'chain' if self.chain else 'not a chain'})",
               line(head), line(["-" * w for w in cols])]
        out += [line(r) for r in rows]
        out.append(f"N0 = {self.n0}; widths = {list(self.widths)}")
        if self.bottleneck is None:
            out.append("bottleneck: not determined")
        else:
            where = "input" if self.bottleneck == "input" else f"`{self.bottleneck}`"
            out.append(f"bottleneck: {where} (width {self.n_tilde}); "
                       f"Ñ = min(N0, widths) = {self.n_tilde}")
        out.append(f"budget F = {self.budget:g}; noise σ² = {self.noise_var:g}")
        if self.mmi_nats is not None and self.mmi_bits is not None:
            out.append(f"MMI = {self.mmi_nats:.6g} nats = {self.mmi_bits:.6g} bits; "
                       f"active components: {self.n_active} of {self.n_tilde}")
        else:
            out.append("MMI: no closed form")
        out.append(f"closed form: {'yes' if self.closed_form else 'no'}")
        out.append("reasons:")
        out += [f"  - {r}" for r in self.reasons]
        notes = [lay for lay in self.layers if lay.note]
        if notes:
            out.append("notes:")
            out += [f"  - {lay.name} ({lay.kind}): {lay.note}" for lay in notes]
        return "\n".join(out)


# --------------------------------------------------------------------------------------------
# Classification tables
# --------------------------------------------------------------------------------------------

_THM3 = ("Theorem 3 (ReLU): a large enough bias pushes the pre-activations into the linear "
         "region, so the MMI equals the linear one (noise after the ReLU).")


def _thm4(display: str) -> str:
    return (f"Theorem 4: {display} is bijective onto its range, so with the noise on the "
            "pre-activation I(X; Z) = I(X; A), the linear MMI.")


def _non_monotone(display: str, where: str) -> str:
    return (f"{display} is neither ReLU-like nor bijective (not monotone: minimum near "
            f"x = {where}): no closed form; use capacity.numeric_mmi for linear parts.")


_SATURATING = ("{d} is linear only on a bounded interval (it saturates at both ends), so the "
               "bias argument of Theorem 3 fails, and it is not injective (Theorem 4 needs a "
               "bijection): no closed form; use capacity.numeric_mmi for linear parts.")
_SOFTMAX = ("{d} is not injective (adding a constant to every input leaves it unchanged) and "
            "not ReLU-like: no closed form; the chain up to its input has one.")

#: canonical activation name -> (display name, role, note). Parameter-dependent cases
#: (LeakyReLU slope, ELU alpha) are refined in :func:`_activation_step`.
_ACTIVATIONS: dict[str, tuple[str, Role, str]] = {
    "relu": ("ReLU", "closed_form_activation", _THM3),
    "leaky_relu": ("LeakyReLU", "closed_form_activation", _thm4("LeakyReLU")),
    "prelu": ("PReLU", "closed_form_activation",
              _thm4("PReLU (slope > 0)") + " The slope is trainable; slope 1 is the identity."),
    "elu": ("ELU", "closed_form_activation", _thm4("ELU")),
    "celu": ("CELU", "closed_form_activation", _thm4("CELU")),
    "selu": ("SELU", "closed_form_activation", _thm4("SELU")),
    "softplus": ("Softplus", "closed_form_activation", _thm4("Softplus")),
    "softsign": ("Softsign", "closed_form_activation", _thm4("Softsign")),
    "logsigmoid": ("LogSigmoid", "closed_form_activation", _thm4("LogSigmoid")),
    "tanh": ("Tanh", "closed_form_activation", _thm4("Tanh")),
    "sigmoid": ("Sigmoid", "closed_form_activation", _thm4("Sigmoid")),
    "gelu": ("GELU", "no_closed_form", _non_monotone("GELU", "-0.75")),
    "silu": ("SiLU", "no_closed_form", _non_monotone("SiLU", "-1.28")),
    "mish": ("Mish", "no_closed_form", _non_monotone("Mish", "-1.19")),
    "hardswish": ("Hardswish", "no_closed_form", _non_monotone("Hardswish", "-1.5")),
    "relu6": ("ReLU6", "no_closed_form", _SATURATING.format(d="ReLU6")),
    "hardtanh": ("Hardtanh", "no_closed_form", _SATURATING.format(d="Hardtanh")),
    "hardsigmoid": ("Hardsigmoid", "no_closed_form", _SATURATING.format(d="Hardsigmoid")),
    "softmax": ("Softmax", "no_closed_form", _SOFTMAX.format(d="Softmax")),
    "log_softmax": ("LogSoftmax", "no_closed_form", _SOFTMAX.format(d="LogSoftmax")),
    "softmin": ("Softmin", "no_closed_form", _SOFTMAX.format(d="Softmin")),
}

_ACTIVATION_MODULES: tuple[tuple[type[nn.Module], str], ...] = (
    (nn.ReLU, "relu"), (nn.LeakyReLU, "leaky_relu"), (nn.PReLU, "prelu"), (nn.ELU, "elu"),
    (nn.CELU, "celu"), (nn.SELU, "selu"), (nn.Softplus, "softplus"),
    (nn.Softsign, "softsign"), (nn.LogSigmoid, "logsigmoid"), (nn.Tanh, "tanh"),
    (nn.Sigmoid, "sigmoid"), (nn.GELU, "gelu"), (nn.SiLU, "silu"), (nn.Mish, "mish"),
    (nn.Hardswish, "hardswish"), (nn.ReLU6, "relu6"), (nn.Hardtanh, "hardtanh"),
    (nn.Hardsigmoid, "hardsigmoid"), (nn.Softmax, "softmax"), (nn.LogSoftmax, "log_softmax"),
    (nn.Softmin, "softmin"),
)
# ReLU6 subclasses Hardtanh: the more specific class must come first.
_ACTIVATION_MODULES = tuple(sorted(_ACTIVATION_MODULES, key=lambda kv: -len(kv[0].__mro__)))

_DROPOUT_NOTE = ("identity in eval mode (in training mode it multiplies by a random mask); the "
                 "MMI is that of the deterministic eval-mode map.")
_BN_NOTE = ("in eval mode an invertible affine map per unit (running statistics, weight ≠ 0). "
            "It rescales units, which changes the effective budget: the closed form reads F as "
            "a constraint on the end-to-end linear map with this rescaling included.")
_CONV_NOTE = "convolutions: see capacity.numeric_mmi / circular_conv_mmi."
_POOL_NOTE = ("pooling: MaxPool is many-to-one and AvgPool is a fixed (untrained) linear map; "
              "neither is covered by the fully connected closed forms; see "
              "capacity.numeric_mmi.")
_NORM_NOTE = ("normalises each sample by its own statistics: nonlinear and not injective (x "
              "and 2x give the same output), not an invertible affine map: no closed form.")
_RESHAPE_NOTE = "reshapes or casts only."

_TRANSPARENT_MODULES: tuple[tuple[tuple[type[nn.Module], ...], str], ...] = (
    ((nn.Identity,), "identity."),
    ((nn.Flatten, nn.Unflatten), _RESHAPE_NOTE),
    ((nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout,
      nn.FeatureAlphaDropout), _DROPOUT_NOTE),
    ((nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d), _BN_NOTE),
)

_RMS_NORM: tuple[type[nn.Module], ...] = (nn.RMSNorm,) if hasattr(nn, "RMSNorm") else ()

#: Modules with no closed form; ``keeps_dim`` says whether the output has the input's shape
#: (then the input dimension N0 can still be checked against the first Linear).
_OTHER_MODULES: tuple[tuple[tuple[type[nn.Module], ...], str, bool], ...] = (
    ((nn.modules.conv._ConvNd,), _CONV_NOTE, False),
    ((nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d,
      nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d, nn.AdaptiveAvgPool1d,
      nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d, nn.LPPool1d, nn.LPPool2d), _POOL_NOTE, False),
    ((nn.MultiheadAttention,), "attention mixes positions with input-dependent weights: no "
     "closed form.", False),
    ((nn.RNNBase,), "recurrent layer: no closed form.", False),
    ((nn.Embedding, nn.EmbeddingBag), "embedding of discrete tokens: the closed forms assume "
     "a Gaussian input.", False),
    ((nn.Bilinear,), "bilinear layer (two inputs, multiplicative): no closed form.", False),
    ((nn.LayerNorm, nn.GroupNorm, *_RMS_NORM, nn.modules.instancenorm._InstanceNorm,
      nn.LocalResponseNorm), _NORM_NOTE, True),
)

_FUNCTION_NAMES: dict[str, tuple[str, ...]] = {
    "relu": ("relu", "relu_"), "leaky_relu": ("leaky_relu", "leaky_relu_"),
    "prelu": ("prelu",), "elu": ("elu", "elu_"), "celu": ("celu", "celu_"),
    "selu": ("selu", "selu_"), "softplus": ("softplus",), "softsign": ("softsign",),
    "logsigmoid": ("logsigmoid",), "tanh": ("tanh", "tanh_"),
    "sigmoid": ("sigmoid", "sigmoid_", "expit"), "gelu": ("gelu",), "silu": ("silu",),
    "mish": ("mish",), "hardswish": ("hardswish",), "relu6": ("relu6",),
    "hardtanh": ("hardtanh", "hardtanh_"), "hardsigmoid": ("hardsigmoid",),
    "softmax": ("softmax",), "log_softmax": ("log_softmax",), "softmin": ("softmin",),
    # not activations:
    "_reshape": ("flatten", "reshape", "squeeze", "unsqueeze", "clone", "detach", "permute",
                 "transpose", "swapaxes", "unflatten"),
    "_dropout": ("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
                 "feature_alpha_dropout"),
    "_linear": ("linear",),
    "_matmul": ("matmul", "mm"),
    "_cat": ("cat", "concat", "concatenate", "stack", "hstack", "vstack"),
    "add": ("add",), "sub": ("sub", "subtract"), "mul": ("mul", "multiply"),
    "div": ("div", "divide", "true_divide"), "neg": ("neg", "negative"),
}

_METHOD_NAMES: dict[str, str] = {
    **{n: canon for canon in _ACTIVATIONS for n in (canon, canon + "_")},
    **{n: "_reshape" for n in ("view", "reshape", "flatten", "squeeze", "unsqueeze",
                               "contiguous", "clone", "detach", "to", "float", "double",
                               "half", "bfloat16", "type", "permute", "transpose", "view_as",
                               "reshape_as", "unflatten", "squeeze_", "unsqueeze_")},
    **{n: "_matmul" for n in ("matmul", "mm", "__matmul__")},
    "add": "add", "add_": "add", "sub": "sub", "sub_": "sub", "mul": "mul", "mul_": "mul",
    "div": "div", "div_": "div", "neg": "neg", "neg_": "neg",
}

_SHAPE_METHODS = frozenset({"size", "dim", "numel", "ndimension", "nelement", "get_device",
                            "is_contiguous", "is_floating_point"})
_SHAPE_ATTRS = frozenset({"shape", "ndim", "dtype", "device", "is_cuda", "requires_grad",
                          "layout"})
_OPERATORS: dict[Any, str] = {operator.add: "add", operator.iadd: "add", operator.sub: "sub",
                              operator.isub: "sub", operator.mul: "mul", operator.imul: "mul",
                              operator.truediv: "div", operator.itruediv: "div",
                              operator.neg: "neg", operator.matmul: "_matmul",
                              operator.pos: "_reshape"}


def _function_table() -> dict[Any, tuple[str, str]]:
    """Map torch / F / torch.special functions to (canonical name, display kind)."""
    table: dict[Any, tuple[str, str]] = {}
    sources: tuple[tuple[Any, str], ...] = ((F, "F"), (torch, "torch"),
                                            (torch.special, "torch.special"))
    for canon, names in _FUNCTION_NAMES.items():
        for module, prefix in sources:
            for name in names:
                fn = getattr(module, name, None)
                if callable(fn):
                    try:
                        table.setdefault(fn, (canon, f"{prefix}.{name}"))
                    except TypeError:  # unhashable callable: skip
                        continue
    for op, canon in _OPERATORS.items():
        table.setdefault(op, (canon, f"operator.{op.__name__}"))
    return table


_FUNCTIONS = _function_table()


# --------------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------------


@dataclass
class _Step:
    """A classified step, with the extra facts the analysis needs (not part of the report)."""

    name: str
    kind: str
    role: Role
    note: str
    width: int | None = None
    in_features: int | None = None
    has_bias: bool | None = None   # width: trainable bias; transparent: supplies a bias
    theorem: int | None = None     # 3 (ReLU-like) or 4 (bijective) for closed-form activations
    keeps_dim: bool = True
    merge: bool = False

    def info(self) -> LayerInfo:
        return LayerInfo(self.name, self.kind, self.role, self.width, self.note)


def _activation_step(name: str, kind: str, canon: str, param: float | None) -> _Step:
    """Step for an activation; `param` is LeakyReLU's slope or ELU/CELU's alpha when known."""
    display, role, note = _ACTIVATIONS[canon]
    if canon in ("leaky_relu", "elu", "celu") and param is not None:
        what = "negative_slope" if canon == "leaky_relu" else "alpha"
        if param == 0:
            return _Step(name, kind, "closed_form_activation",
                         f"{display} with {what} = 0 is a ReLU. " + _THM3, theorem=3)
        if param < 0:
            return _Step(name, kind, "no_closed_form",
                         f"{display} with {what} = {param:g} < 0 is not monotone, hence "
                         "neither ReLU-like nor bijective: no closed form.")
    theorem = 3 if canon == "relu" else 4 if role == "closed_form_activation" else None
    return _Step(name, kind, role, note, theorem=theorem)


def _unknown(name: str, kind: str, what: str = "module") -> _Step:
    return _Step(name, kind, "no_closed_form",
                 f"unknown {what} {kind}: no closed form known (infoplane covers chains of "
                 "Linear layers with ReLU-like or bijective activations).", keeps_dim=False)


def _activation_param(module: nn.Module) -> float | None:
    """LeakyReLU's slope or ELU/CELU's alpha (None for other activations)."""
    if isinstance(module, nn.LeakyReLU):
        return float(module.negative_slope)
    if isinstance(module, nn.ELU | nn.CELU):
        return float(module.alpha)
    return None


def _module_step(name: str, module: nn.Module) -> _Step:
    kind = type(module).__name__
    if isinstance(module, nn.Linear):
        if isinstance(module, nn.modules.lazy.LazyModuleMixin) and \
                module.has_uninitialized_params():
            raise fail("model", "fully initialised", kind,
                       f"(`{name}` is a lazy module: run one forward pass first).")
        return _Step(name, kind, "width",
                     f"fully connected, Z = WX + b, width N = out_features = "
                     f"{module.out_features} (Theorems 1-2)"
                     + ("" if module.bias is not None else "; no bias") + ".",
                     width=int(module.out_features), in_features=int(module.in_features),
                     has_bias=module.bias is not None)
    for cls, canon in _ACTIVATION_MODULES:
        if isinstance(module, cls):
            return _activation_step(name, kind, canon, _activation_param(module))
    for classes, note in _TRANSPARENT_MODULES:
        if isinstance(module, classes):
            has_bias = None
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                has_bias = bool(module.affine)
                if module.training:
                    note += (" The module is in training mode (batch statistics couple the "
                             "samples); the analysis assumes eval mode.")
            return _Step(name, kind, "transparent", note, has_bias=has_bias)
    for classes, note, keeps in _OTHER_MODULES:
        if isinstance(module, classes):
            return _Step(name, kind, "no_closed_form", f"{kind}: {note}", keeps_dim=keeps)
    return _unknown(name, kind)


# --------------------------------------------------------------------------------------------
# torch.fx walk
# --------------------------------------------------------------------------------------------


def _is_shape_node(node: torch.fx.Node) -> bool:
    """Nodes that read metadata (shape, dtype) of a tensor rather than its values."""
    if node.op == "call_method" and node.target in _SHAPE_METHODS:
        return True
    return (node.op == "call_function" and node.target is builtins.getattr
            and len(node.args) > 1 and node.args[1] in _SHAPE_ATTRS)


def _const_tensor(model: nn.Module, node: Any) -> torch.Tensor | None:
    """The parameter or buffer behind a ``get_attr`` node, if any."""
    if isinstance(node, torch.fx.Node) and node.op == "get_attr" and isinstance(node.target, str):
        obj: Any = model
        try:
            for part in node.target.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            return None
        return obj if isinstance(obj, torch.Tensor) else None
    return None


def _arg(node: torch.fx.Node, pos: int, key: str) -> Any:
    if len(node.args) > pos:
        return node.args[pos]
    return node.kwargs.get(key)


def _callee(node: torch.fx.Node) -> tuple[str | None, str] | _Step:
    """(canonical name or None, display kind) of a call, or its step if already decided."""
    name = node.name
    if node.op == "call_method":
        method = str(node.target)
        return _METHOD_NAMES.get(method), f"Tensor.{method}"
    if node.target is builtins.getattr and len(node.args) > 1:
        attr = node.args[1]
        if attr in ("T", "mT", "H", "mH"):
            return _Step(name, f"getattr.{attr}", "transparent",
                         "transposes axes (assumed not to mix samples with features).")
        return _unknown(name, f"getattr.{attr}", "attribute")
    entry = None
    try:
        entry = _FUNCTIONS.get(node.target)
    except TypeError:
        entry = None
    if entry is None and node.target is operator.getitem:
        return _Step(name, "operator.getitem", "no_closed_form",
                     "indexing or slicing: may drop units or select one output of a "
                     "multi-output layer; not analysed.", keeps_dim=False)
    if entry is None:
        target_name = getattr(node.target, "__name__", str(node.target))
        return _unknown(name, str(target_name), "function")
    return entry


def _activation_call(node: torch.fx.Node, kind: str, canon: str) -> _Step:
    """An activation called as a function or method (its slope or alpha read if constant)."""
    param: float | None = None
    if canon == "leaky_relu":
        val = _arg(node, 1, "negative_slope")
        param = 0.01 if val is None else float(val) if isinstance(val, int | float) else None
    elif canon in ("elu", "celu"):
        val = _arg(node, 1, "alpha")
        param = 1.0 if val is None else float(val) if isinstance(val, int | float) else None
    return _activation_step(node.name, kind, canon, param)


def _shape_call(name: str, kind: str, canon: str) -> _Step:
    """Reshapes, permutations and dropout: transparent."""
    if canon == "_dropout":
        return _Step(name, kind, "transparent", _DROPOUT_NOTE)
    note = _RESHAPE_NOTE
    if kind.split(".")[-1] in ("permute", "transpose", "swapaxes"):
        note = "permutes axes (assumed not to mix samples with features)."
    return _Step(name, kind, "transparent", note)


def _data_positions(node: torch.fx.Node, data: AbstractSet[torch.fx.Node]) -> list[int]:
    return [i for i, a in enumerate(node.args) if isinstance(a, torch.fx.Node) and a in data]


def _linear_call(node: torch.fx.Node, model: nn.Module, kind: str) -> _Step:
    """``F.linear(x, W, b)`` with a parameter W: a fully connected layer."""
    name = node.name
    weight = _const_tensor(model, _arg(node, 1, "weight"))
    bias = _arg(node, 2, "bias")
    if weight is None or weight.ndim != 2:
        return _Step(name, kind, "no_closed_form", "linear map with a computed weight: "
                     "its width is unknown; not analysed.", keeps_dim=False)
    return _Step(name, kind, "width",
                 f"fully connected, width N = {weight.shape[0]} (Theorems 1-2)"
                 + ("" if bias is not None else "; no bias") + ".",
                 width=int(weight.shape[0]), in_features=int(weight.shape[1]),
                 has_bias=bias is not None)


def _matmul_call(node: torch.fx.Node, model: nn.Module, kind: str,
                 data: AbstractSet[torch.fx.Node]) -> _Step:
    """``x @ W`` with a parameter W: a fully connected layer without bias."""
    name = node.name
    weight = (_const_tensor(model, node.args[1])
              if _data_positions(node, data) == [0] and len(node.args) > 1 else None)
    if weight is None or weight.ndim != 2:
        return _Step(name, kind, "no_closed_form", "matrix product that is not `x @ W` "
                     "with a parameter W: not analysed.", keeps_dim=False)
    return _Step(name, kind, "width",
                 f"fully connected, x @ W, width N = {weight.shape[1]} (Theorems 1-2); no "
                 "bias.", width=int(weight.shape[1]), in_features=int(weight.shape[0]),
                 has_bias=False)


def _arithmetic_call(node: torch.fx.Node, kind: str, canon: str,
                     data: AbstractSet[torch.fx.Node]) -> _Step:
    """``+ - * /`` and negation: invertible when the other operand is a constant."""
    name = node.name
    operands = [*node.args, *node.kwargs.values()]
    n_data = sum(1 for a in operands if isinstance(a, torch.fx.Node) and a in data)
    consts = [a for a in operands if not (isinstance(a, torch.fx.Node) and a in data)]
    if n_data != 1 or (canon == "div" and _data_positions(node, data) != [0]):
        return _Step(name, kind, "no_closed_form",
                     "elementwise operation of the signal with itself, or a reciprocal: "
                     "not analysed.")
    if canon == "neg" or not consts:
        return _Step(name, kind, "transparent", "negation (invertible).")
    if canon in ("add", "sub"):
        trainable = any(isinstance(a, torch.fx.Node) and a.op == "get_attr"
                        for a in consts)
        return _Step(name, kind, "transparent",
                     "adds a constant (a bias): invertible, no effect on the MI.",
                     has_bias=True if trainable else None)
    return _Step(name, kind, "transparent",
                 "scales by a constant (invertible if nonzero); rescaling changes the "
                 "effective budget: F constrains the end-to-end linear map with this "
                 "scaling included.")


def _function_step(node: torch.fx.Node, model: nn.Module,
                   data: AbstractSet[torch.fx.Node]) -> _Step:
    """Classify a ``call_function`` / ``call_method`` node with exactly one data input."""
    callee = _callee(node)
    if isinstance(callee, _Step):
        return callee
    canon, kind = callee
    name = node.name
    if canon is None:
        return _unknown(name, kind, "method")
    if canon in _ACTIVATIONS:
        return _activation_call(node, kind, canon)
    if canon in ("_reshape", "_dropout"):
        return _shape_call(name, kind, canon)
    if canon == "_linear":
        return _linear_call(node, model, kind)
    if canon == "_matmul":
        return _matmul_call(node, model, kind, data)
    if canon == "_cat":
        return _Step(name, kind, "no_closed_form", "joins tensors; not analysed.",
                     keeps_dim=False)
    if canon in ("add", "sub", "mul", "div", "neg"):
        return _arithmetic_call(node, kind, canon, data)
    return _unknown(name, kind, "function")


@dataclass
class _Walk:
    walk: Walk
    steps: list[_Step]
    chain: bool
    reasons: list[str]


@dataclass(frozen=True)
class _Graph:
    """A traced graph with the nodes that carry data and those the output depends on."""

    nodes: list[torch.fx.Node]
    placeholders: list[torch.fx.Node]
    data: frozenset[torch.fx.Node]       # nodes computed from an input
    outs: list[torch.fx.Node]            # data nodes returned by the model
    relevant: frozenset[torch.fx.Node]   # data nodes the output depends on

    @property
    def x(self) -> torch.fx.Node:
        return self.placeholders[0]

    def data_inputs(self, n: torch.fx.Node) -> list[torch.fx.Node]:
        return [i for i in n.all_input_nodes if i in self.data]

    def users(self, n: torch.fx.Node) -> list[torch.fx.Node]:
        """Users of `n` on the path to the output."""
        return [u for u in n.users if u in self.relevant or u.op == "output"]


def _graph(model: nn.Module, gm: torch.fx.GraphModule) -> _Graph:
    nodes = list(gm.graph.nodes)
    placeholders = [n for n in nodes if n.op == "placeholder"]
    outputs = [n for n in nodes if n.op == "output"]
    if not placeholders or not outputs:
        raise fail("model", "a module whose forward takes a tensor", type(model).__name__)
    data: set[torch.fx.Node] = set(placeholders)
    for n in nodes:
        if n.op in ("call_module", "call_function", "call_method") and not _is_shape_node(n) \
                and any(i in data for i in n.all_input_nodes):
            data.add(n)
    outs = [i for i in outputs[0].all_input_nodes if i in data]
    relevant: set[torch.fx.Node] = set()
    stack = list(outs)
    while stack:
        n = stack.pop()
        if n not in relevant:
            relevant.add(n)
            stack.extend(i for i in n.all_input_nodes if i in data)
    return _Graph(nodes, placeholders, frozenset(data), outs, frozenset(relevant))


def _is_inplace(model: nn.Module, n: torch.fx.Node) -> bool:
    target = n.target if n.op == "call_method" else getattr(n.target, "__name__", "")
    return (n.op != "call_module" and str(target).endswith("_")) or \
        bool(n.kwargs.get("inplace")) or (
            n.op == "call_module"
            and bool(getattr(model.get_submodule(str(n.target)), "inplace", False)))


def _graph_problems(model: nn.Module, g: _Graph) -> list[str]:
    """Why the graph (inputs, outputs, dropped in-place steps) is not a single chain."""
    problems: list[str] = []
    if g.x not in g.relevant:
        problems.append(f"the output does not depend on the input `{g.x.name}`")
    extra = [p.name for p in g.placeholders[1:] if p in g.relevant]
    if extra:
        problems.append(f"the model takes several inputs ({', '.join([g.x.name, *extra])})")
    if len(g.outs) > 1:
        problems.append(f"the model returns {len(g.outs)} tensors")
    for n in g.nodes:
        if n in g.data and n not in g.relevant and not n.users and _is_inplace(model, n):
            problems.append(f"the in-place step `{n.name}` has an unused result, so its "
                            "place in the data flow is unknown")
    return problems


def _node_step(model: nn.Module, g: _Graph, n: torch.fx.Node,
               problems: list[str]) -> _Step:
    """Classify one relevant node; a join or a split of branches is added to `problems`."""
    if n.op == "call_module":
        step = _module_step(str(n.target), model.get_submodule(str(n.target)))
    else:
        step = _function_step(n, model, g.data)
    ins = g.data_inputs(n)
    if len(ins) > 1:
        step.role, step.width, step.merge, step.keeps_dim = "no_closed_form", None, True, False
        names = ", ".join(f"`{i.name}`" for i in ins)
        step.note = (f"combines {len(ins)} branches ({names}): the data flow is not a "
                     "chain, so the chain closed form (Theorem 5) does not apply.")
        problems.append(f"`{step.name}` ({step.kind}) combines {len(ins)} branches")
    users = g.users(n)
    if len(users) > 1:
        problems.append(f"`{step.name}` feeds {len(users)} branches")
        step.note += f" Its output feeds {len(users)} branches."
    return step


def _fx_walk(model: nn.Module, gm: torch.fx.GraphModule) -> _Walk:
    g = _graph(model, gm)
    problems = _graph_problems(model, g)
    steps = [_node_step(model, g, n, problems) for n in g.nodes
             if n in g.relevant and n.op != "placeholder"]
    x_users = g.users(g.x)
    if len(x_users) > 1:
        problems.append(f"the input feeds {len(x_users)} branches")

    reasons: list[str]
    if problems:
        reasons = [f"Walk: traced with torch.fx; the data flow is not a chain: "
                   f"{'; '.join(problems)}. The chain closed form (Theorem 5) does not cover "
                   "it and infoplane does not guess: no MMI (bound branches by hand with "
                   "capacity.concat / capacity.parallel / capacity.chain)."]
    else:
        reasons = [f"Walk: traced with torch.fx; the data flow is a single chain of "
                   f"{len(steps)} step{'s' if len(steps) != 1 else ''}."]
    return _Walk("torch.fx", steps, not problems, reasons)


def _leaf_walk(model: nn.Module, error: Exception) -> _Walk:
    """Fallback when tracing fails: leaf modules in registration order."""
    steps = [_module_step(name, m) for name, m in model.named_modules()
             if not any(True for _ in m.children()) and name]
    if not steps and not any(True for _ in model.children()):
        steps = [_module_step(type(model).__name__, model)]
    containers = [name or type(model).__name__ for name, m in model.named_modules()
                  if any(True for _ in m.children()) and not isinstance(m, nn.Sequential)]
    err = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}".strip()
    err = err if len(err) <= 160 else err[:157] + "..."
    cls = type(model).__name__
    if not containers:
        reasons = [f"Walk: torch.fx could not trace {cls} ({err}); fell back to the order of "
                   "its leaf modules, which is the forward order for nn.Sequential."]
        return _Walk("leaf_modules", steps, True, reasons)
    reasons = [f"Walk: torch.fx could not trace {cls} ({err}); the leaf modules are listed in "
               f"registration order, but {', '.join(containers)} is not an nn.Sequential, so "
               "the order and chain structure of its forward cannot be verified: no MMI. Make "
               "forward traceable (no data-dependent control flow) or build the model from "
               "nn.Sequential."]
    return _Walk("leaf_modules", steps, False, reasons)


def _walk(model: nn.Module) -> _Walk:
    try:
        gm = torch.fx.symbolic_trace(model)
    except Exception as exc:  # tracing fails in many ways (TraceError, TypeError, ...)
        return _leaf_walk(model, exc)
    return _fx_walk(model, gm)


# --------------------------------------------------------------------------------------------
# Analysis
# --------------------------------------------------------------------------------------------


def _label(step: _Step) -> str:
    return f"`{step.name}` ({step.kind})"


@dataclass(frozen=True)
class _Inputs:
    """Validated arguments of :func:`of_model`."""

    lam: FloatArray   # sorted spectrum, descending
    budget: float
    noise_var: float

    @property
    def n0(self) -> int:
        return int(self.lam.size)


@dataclass(frozen=True)
class _Chain:
    """How the walked steps meet the conditions of Theorems 1-5 (no numbers computed yet)."""

    walk: _Walk
    width_idx: tuple[int, ...]       # positions of the fully connected steps
    widths: tuple[int, ...]          # N1..NK
    input_facing: bool               # a chain whose first Linear sees the input directly
    blockers: tuple[_Step, ...]      # steps with no closed form
    early_acts: tuple[_Step, ...]    # closed-form activations before the first Linear
    relu_no_bias: tuple[_Step, ...]  # Theorem-3 activations after a layer without bias
    bottleneck: str | None
    n_tilde: int | None

    @property
    def steps(self) -> list[_Step]:
        return self.walk.steps

    @property
    def first(self) -> _Step:
        return self.steps[self.width_idx[0]]

    @property
    def structural(self) -> bool:
        """Ñ is meaningful: the input reaches the first Linear and every blocker keeps shape."""
        return self.input_facing and all(s.keeps_dim for s in self.blockers)

    @property
    def closed(self) -> bool:
        """Whether the paper's closed form applies."""
        return (self.walk.chain and self.input_facing and not self.blockers
                and not self.early_acts and not self.relu_no_bias)


def _check_inputs(model: object, eigenvalues: npt.ArrayLike, budget: float,
                  noise_var: float) -> _Inputs:
    if not isinstance(model, nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module, got {type(model).__name__}.")
    lam = sorted_spectrum(eigenvalues)
    f_arr, scalar = budget_array("budget", budget)
    if not scalar:
        raise fail("budget", "a scalar for of_model", f_arr,
                   "For the whole curve use capacity.mmi(eigenvalues, report.widths, "
                   "budget=array).")
    return _Inputs(lam, float(f_arr), positive("noise_var", noise_var))


def _width_positions(model: nn.Module, steps: list[_Step]) -> tuple[int, ...]:
    """Positions of the fully connected steps; raises when there is none."""
    width_idx = tuple(i for i, s in enumerate(steps) if s.role == "width")
    if not width_idx:
        found = ", ".join(dict.fromkeys(s.kind for s in steps)) or "no layers"
        hints = " ".join(dict.fromkeys(s.note for s in steps if s.role == "no_closed_form"))
        raise fail("model", "a network with at least one fully connected layer (nn.Linear); "
                   "the closed forms are for fully connected chains", type(model).__name__,
                   f"Found: {found}. {hints}".strip())
    return width_idx


def _check_n0(first: _Step, n0: int) -> None:
    if first.in_features is not None and first.in_features != n0:
        raise fail("eigenvalues",
                   f"of length N0 = {first.in_features} (the in_features of the first Linear "
                   f"layer `{first.name}`)", n0,
                   "Pass the covariance spectrum (N0 values) or the N0 x N0 covariance matrix "
                   "of the model's input.")


def _relus_without_bias(steps: list[_Step]) -> tuple[_Step, ...]:
    """ReLU-like activations whose preceding layer has no trainable bias (Theorem 3 fails)."""
    out: list[_Step] = []
    bias: bool | None = None
    for s in steps:
        if s.role == "width":
            bias = s.has_bias
        elif s.role == "transparent" and s.has_bias:
            bias = True
        elif s.role == "closed_form_activation" and s.theorem == 3 and bias is False:
            out.append(s)
    return tuple(out)


def _bottleneck(steps: list[_Step], width_idx: tuple[int, ...], widths: tuple[int, ...],
                n0: int) -> tuple[str, int]:
    """(name of the narrowest layer or ``"input"``, Ñ = min(N0, N1..NK)) (Theorem 5)."""
    n_tilde = min(n0, *widths)
    if n0 <= min(widths):
        return "input", n_tilde
    return steps[width_idx[widths.index(min(widths))]].name, n_tilde


def _classify(model: nn.Module, w: _Walk, n0: int) -> _Chain:
    """Check the steps against the conditions of Theorems 1-5 (raises on a wrong N0)."""
    steps = w.steps
    width_idx = _width_positions(model, steps)
    pre = steps[: width_idx[0]]
    input_facing = w.chain and all(s.keeps_dim for s in pre)
    if input_facing:
        _check_n0(steps[width_idx[0]], n0)
    widths = tuple(int(steps[i].width or 0) for i in width_idx)
    blockers = tuple(s for s in steps if s.role == "no_closed_form")
    bottleneck: str | None = None
    n_tilde: int | None = None
    if input_facing and all(s.keeps_dim for s in blockers):
        bottleneck, n_tilde = _bottleneck(steps, width_idx, widths, n0)
    return _Chain(walk=w, width_idx=width_idx, widths=widths, input_facing=input_facing,
                  blockers=blockers,
                  early_acts=tuple(s for s in pre if s.role == "closed_form_activation"),
                  relu_no_bias=_relus_without_bias(steps), bottleneck=bottleneck,
                  n_tilde=n_tilde)


def _structure_reasons(c: _Chain) -> list[str]:
    """Why a chain misses the closed form: blockers, a hidden input, early activations."""
    out: list[str] = []
    if c.walk.chain and c.blockers:
        out += [f"No closed form: {_label(s)}: {s.note}" for s in c.blockers]
    if c.walk.chain and not c.input_facing:
        out.append(f"No closed form: the first Linear `{c.first.name}` does not see the input "
                   "directly (a shape-changing step comes first), so N0 and the input "
                   "spectrum are not those of its input.")
    for s in c.early_acts:
        out.append(f"No closed form: {_label(s)} acts on the raw input before the first "
                   "Linear; the closed forms assume the first layer sees the Gaussian X "
                   "with the given spectrum.")
    return out


def _value_reasons(c: _Chain, inp: _Inputs) -> list[str]:
    """Values that remain without a closed form: an upper bound, Ñ, the MMI of a prefix."""
    out: list[str] = []
    f, s2 = inp.budget, inp.noise_var
    if c.relu_no_bias:
        bound = float(mmi(inp.lam, c.widths, budget=f, noise_var=s2))
        names = ", ".join(_label(s) for s in c.relu_no_bias)
        out.append(f"No closed form: {names} follows a layer without a trainable bias, so "
                   "the bias argument of Theorem 3 is unavailable; the linear value "
                   f"{bound:.6g} nats is only an upper bound (Lemma 2).")
    if c.structural and not c.closed and c.walk.chain:
        out.append(f"Ñ = min(N0, widths) = {c.n_tilde} is the structural bottleneck only: it "
                   "sets the MMI for linear, ReLU-like and bijective chains.")
    if c.walk.chain and c.blockers and c.input_facing and not c.early_acts \
            and not c.relu_no_bias:
        out += _prefix_reason(c, inp)
    return out


def _prefix_reason(c: _Chain, inp: _Inputs) -> list[str]:
    """The closed-form MMI of the chain up to the first blocker, if it has a Linear."""
    f, s2 = inp.budget, inp.noise_var
    steps = c.steps
    cut = steps.index(c.blockers[0])
    prefix_w = tuple(int(s.width or 0) for s in steps[:cut] if s.role == "width")
    if not prefix_w:
        return []
    value = float(mmi(inp.lam, prefix_w, budget=f, noise_var=s2))
    return [f"The chain up to {_label(steps[cut - 1])}, just before "
            f"`{c.blockers[0].name}`, has a closed form: {value:.6g} nats, the MMI "
            f"of that representation (capacity.mmi(eig, widths="
            f"{list(prefix_w)}, budget={f:g}, noise_var={s2:g}))."]


def _closed_form(c: _Chain, inp: _Inputs) -> tuple[float, int, list[str]]:
    """(MMI in nats, active components, theorem reasons) for a covered chain."""
    assert c.n_tilde is not None and c.bottleneck is not None
    # One prefix for the value, the active count and the breakpoints (`lam` is sorted);
    # `_n_tilde` validates the widths (a 0-width Linear raises as `mmi` did).
    lam_top = inp.lam[:_n_tilde(c.widths)]
    p = _prefix_sorted(lam_top, None, inp.noise_var)
    wf = _solve(p, lam_top, inp.budget)
    reasons = _theorem_reasons(c.steps, p.rho, c.widths, inp.budget, inp.n0, c.n_tilde,
                               c.bottleneck, wf.n_active)
    return wf.mmi, wf.n_active, reasons


def _report(model: nn.Module, c: _Chain, inp: _Inputs) -> CapacityReport:
    """Assemble the :class:`CapacityReport` (computes the MMI when the closed form applies)."""
    reasons = [*c.walk.reasons, *_structure_reasons(c), *_value_reasons(c, inp)]
    mmi_nats: float | None = None
    n_active: int | None = None
    if c.closed:
        mmi_nats, n_active, theorems = _closed_form(c, inp)
        reasons += theorems
    return CapacityReport(
        model=type(model).__name__, walk=c.walk.walk, chain=c.walk.chain,
        layers=tuple(s.info() for s in c.steps), n0=inp.n0, widths=c.widths,
        bottleneck=c.bottleneck, n_tilde=c.n_tilde, mmi_nats=mmi_nats,
        mmi_bits=None if mmi_nats is None else mmi_nats / _LN2, n_active=n_active,
        closed_form=c.closed, reasons=tuple(reasons), budget=inp.budget,
        noise_var=inp.noise_var)


def of_model(model: nn.Module, eigenvalues: npt.ArrayLike, *, budget: float,
             noise_var: float = 1.0) -> CapacityReport:
    """Bottleneck and closed-form MMI of a ``torch.nn.Module`` (MMI paper, Theorems 1-5).

    The model is traced with ``torch.fx`` (falling back to the order of its leaf modules when
    tracing fails, exact for ``nn.Sequential``), each step is classified (see
    :class:`LayerInfo`), and when the model is a chain of fully connected layers with
    ReLU-like (Theorem 3) or bijective (Theorem 4) activations, the MMI is the water-filling
    closed form over the Ñ = min(N0, N1, ..., NK) largest eigenvalues (Theorem 5), i.e.
    ``mmi(eigenvalues, widths, budget=budget, noise_var=noise_var)``.

    Setting (Theorem 5): the budget F constrains the *end-to-end* linear map W_K⋯W_1,
    Tr((W_K⋯W_1)ᵀ(W_K⋯W_1)) <= F (with any BatchNorm or constant scaling in between
    included), and the Gaussian noise N(0, σ² I) sits on the last layer only (on its
    pre-activation when the model ends with a bijective activation, Theorem 4). Biases are
    free. With noise after every layer, or a budget on each weight matrix separately, the
    value is different (see :func:`infoplane.capacity.chain`).

    Parameters
    ----------
    model : torch.nn.Module
        The network; it is only inspected (never called, never modified). Dropout and
        BatchNorm are read in eval mode.
    eigenvalues : array_like, shape (N0,) or (N0, N0)
        Covariance spectrum of the model's Gaussian input X, or its covariance matrix. N0 must
        equal the ``in_features`` of the first Linear layer (checked for a chain in which only
        shape-preserving steps come before it).
    budget : float
        F >= 0 (a scalar; for the whole curve use ``capacity.mmi(eig, report.widths,
        budget=array)``).
    noise_var : float, default 1.0
        σ² > 0.

    Returns
    -------
    CapacityReport
        Layers with roles, N0, widths, bottleneck, Ñ, the MMI in nats and bits (None when
        there is no closed form), the number of active components, and the reasons.

    Raises
    ------
    TypeError
        If ``model`` is not an ``nn.Module``.
    ValueError
        If the model has no fully connected layer, if N0 does not match the first Linear
        layer, or for an invalid ``eigenvalues``, ``budget`` or ``noise_var``.

    Notes
    -----
    ReLU is covered by Theorem 3 (the bias pushes pre-activations into the linear region, so a
    ReLU after a layer *without* bias is reported as not covered: then the linear MMI is only
    an upper bound, Lemma 2). LeakyReLU, PReLU, ELU, CELU, SELU, Softplus, Softsign,
    LogSigmoid, Tanh and Sigmoid are bijective onto their range: Theorem 4 gives the linear
    MMI with the noise on the pre-activation. Theorem 5 is stated for linear and ReLU chains;
    for a bijective activation *inside* a chain the value assumes it is operated in its affine
    regime (the convention of ``capacity.mmi(..., activation=...)``), which the report says.
    GELU, SiLU, Softmax, pooling, convolutions, attention, LayerNorm and unknown layers have no
    closed form; graphs with branches (``torch.cat``, residual additions) are not a chain and
    get no MMI.

    Examples
    --------
    >>> from torch import nn
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2), nn.Tanh())
    >>> report = of_model(model, [4.0, 2.0, 1.0, 0.5], budget=2.0)
    >>> report.widths, report.bottleneck, report.n_tilde, report.closed_form
    ((8, 2), '2', 2, True)
    >>> round(report.mmi_nats, 6), report.n_active
    (1.358175, 2)
    >>> print(str(report).splitlines()[0])
    CapacityReport: Sequential (walk: torch.fx, chain)
    """
    inp = _check_inputs(model, eigenvalues, budget, noise_var)
    walked = _walk(model)
    return _report(model, _classify(model, walked, inp.n0), inp)


def _theorem_reasons(steps: list[_Step], rho: np.ndarray, widths: tuple[int, ...], f: float,
                     n0: int, n_tilde: int, bottleneck: str, n_active: int) -> list[str]:
    out: list[str] = []
    m = int(rho.size)  # positive eigenvalues among the top Ñ
    zero_note = (f" (only {m} of the top Ñ = {n_tilde} eigenvalues are positive)"
                 if m < n_tilde else "")
    if f == 0:
        out.append("Theorems 1-2: F = 0 allows no weight, so the MMI is 0.")
    elif n_active >= m:
        out.append(f"Theorem 1 (Eq. 2): F = {f:g} >= ρ_Ñ = {rho[-1]:.6g}, so all {m} "
                   f"components are active{zero_note}; water-filling over the Ñ largest "
                   "eigenvalues.")
    else:
        out.append(f"Theorem 2 (Eq. 4): ρ_{n_active} <= F = {f:g} < ρ_{n_active + 1} = "
                   f"{rho[n_active]:.6g}, so the K = {m - n_active} smallest of the top {m} "
                   f"components get no weight{zero_note}; {n_active} active.")
    relus = [s for s in steps if s.role == "closed_form_activation" and s.theorem == 3]
    bij = [s for s in steps if s.role == "closed_form_activation" and s.theorem == 4]
    if relus:
        out.append(f"Theorem 3 (ReLU) for {', '.join(_label(s) for s in relus)}: a large bias "
                   "keeps the pre-activations in the linear region, so the MMI equals the "
                   "linear one.")
    if bij:
        out.append(f"Theorem 4 (bijective onto its range) for "
                   f"{', '.join(_label(s) for s in bij)}: with the noise on the pre-activation "
                   "I(X; Z) = I(X; A), the linear MMI.")
        last_w = max(i for i, s in enumerate(steps) if s.role == "width")
        inner = [s for s in bij if steps.index(s) < last_w]
        if inner:
            verb = "is" if len(inner) == 1 else "are"
            out.append(f"Caveat: {', '.join(_label(s) for s in inner)} {verb} inside the chain. "
                       "Theorem 5 is stated for linear and ReLU chains; the value assumes the "
                       "activation is operated in its affine regime (small pre-activations for "
                       "Tanh/Sigmoid, a large bias for the others), the convention of "
                       "capacity.mmi(..., activation=...), and is approached in that limit.")
    k = len(widths)
    ws = ", ".join(str(v) for v in widths)
    where = "the input (N0)" if bottleneck == "input" else f"layer `{bottleneck}`"
    if k > 1:
        out.append(f"Theorem 5: a chain of K = {k} fully connected layers with the noise on the "
                   f"last one and F on the end-to-end map W_K⋯W_1: Ñ = min(N0, N1..NK) = "
                   f"min({n0}, {ws}) = {n_tilde}, set by {where}.")
    else:
        out.append(f"Single layer: Ñ = min(N0, N1) = min({n0}, {ws}) = {n_tilde}, set by "
                   f"{where}.")
    scaling = [s for s in steps if s.role == "transparent" and
               ("rescal" in s.note or "scales" in s.note)]
    if scaling:
        out.append(f"{', '.join(_label(s) for s in scaling)} rescales units: F is read as the "
                   "budget of the end-to-end linear map including that scaling, not of the "
                   "Linear weights alone.")
    return out


__all__ = ["ROLES", "CapacityReport", "LayerInfo", "Role", "of_model"]
