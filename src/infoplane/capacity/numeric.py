"""Numeric MMI for linear maps without a closed form, and the closed form of circular convolutions.

Two halves:

* :func:`numeric_mmi` / :func:`numeric_mmi_matrices` maximise
  I(X; Z) = ½ log det(I + A(θ) Σ A(θ)ᵀ / σ²) over the weights θ of any linear architecture
  (``nn.Linear``, ``nn.Conv1d``, ``nn.Conv2d`` and ``nn.Sequential`` chains of them) under
  ‖θ‖² <= F. The optimiser knows nothing about water-filling, so it is the independent check of
  the closed forms (DESIGN.md, section 5) and the answer where no closed form exists (short
  convolution kernels, strides, chains with one norm budget on all layers).
* :func:`circular_conv_mmi` is the closed form for a single-channel circular convolution of a
  stationary input (derived in its docstring; the MMI paper mentions convolutions without a
  formula), with :func:`power_spectrum`, :func:`circulant_covariance` and
  :func:`optimal_circular_kernel` around it.

Torch is imported lazily inside the numeric functions, so importing this module (and hence
``infoplane.capacity``) stays fast and torch-free for the closed forms.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias, overload

import numpy as np
import numpy.typing as npt

from infoplane._typing import FloatArray, Unit
from infoplane._validation import (
    as_float,
    as_int,
    budget_array,
    fail,
    finite_array,
    positive,
    unit_factor,
)
from infoplane.capacity._input import PSD_RTOL, BudgetArray
from infoplane.capacity.waterfill import mmi, water_filling
from infoplane.capacity.weights import _covariance

if TYPE_CHECKING:
    import torch
    from torch import nn

#: A budget for :func:`numeric_mmi`: one F for all weights, or one per weight tensor (in order
#: or keyed by name).
NumericBudget: TypeAlias = float | Sequence[float] | Mapping[str, float] | npt.NDArray[np.generic]

__all__ = [
    "NumericResult",
    "circulant_covariance",
    "circular_conv_mmi",
    "module_matrix",
    "numeric_mmi",
    "numeric_mmi_matrices",
    "optimal_circular_kernel",
    "power_spectrum",
]

#: Names of the module types :func:`numeric_mmi` accepts (leaves of an ``nn.Sequential``).
SUPPORTED_MODULES: tuple[str, ...] = (
    "nn.Linear", "nn.Conv1d", "nn.Conv2d", "nn.Identity", "nn.Flatten", "nn.Unflatten",
    "nn.Sequential",
)

# L-BFGS settings: float64 throughout; tolerances act on the loss scaled to O(1) (I at the
# start), far below the 1e-6 relative accuracy we test.
_TOL_GRAD = 1e-10
_TOL_CHANGE = 1e-14
_HISTORY = 50
#: A restart counts as converged when L-BFGS stops on its own tolerances (before max_iter
#: iterations and its default 1.25·max_iter evaluations) at a point where the derivative of I
#: along a unit-angle rotation of θ on its sphere, ‖∇_u I‖·‖u‖, is below this times I. (Near
#: flat directions, e.g. nearly equal eigenvalues at a tiny budget, L-BFGS stops on "no further
#: change" with that derivative around 1e-6·I while the value is exact to ~1e-12.)
_CONVERGED_RTOL = 1e-4
#: Largest matrix side (max of N0 and out_dim) optimised on a single intra-op thread.
_SMALL = 256


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class NumericResult:
    """Outcome of a numeric MMI maximisation.

    Attributes
    ----------
    value : float
        The best I(X; Z) found, in nats (a lower bound on the true MMI that is tight when the
        optimiser reaches the global maximum; compare ``values`` across restarts).
    params : dict of str to ndarray
        The best weight tensors, keyed by parameter name (``"0.weight"``, ...). Biases are not
        included: they do not change the mutual information. For a module,
        ``module.load_state_dict({k: torch.as_tensor(v) for k, v in params.items()},
        strict=False)`` installs them.
    matrix : ndarray, shape (out_dim, in_dim)
        The end-to-end linear map A(θ) at the best parameters (flattened input to flattened
        output).
    n_restarts : int
        Number of random restarts run.
    values : ndarray, shape (n_restarts,)
        The final I(X; Z) of each restart, in nats.
    converged : bool
        Whether L-BFGS stopped on its own tolerances for the best restart, before ``max_iter``,
        at a near-stationary point (rotational derivative ‖∇_u I‖·‖u‖ below 1e-4·I). A
        stationary point need not be the global maximum (chains have local maxima): compare
        ``values`` across restarts.
    """

    value: float
    params: dict[str, FloatArray]
    matrix: FloatArray
    n_restarts: int
    values: FloatArray
    converged: bool


# --------------------------------------------------------------------------------------------
# Generic optimiser over weight tensors on spheres
# --------------------------------------------------------------------------------------------


def _covariance_factor(cov: FloatArray) -> FloatArray:
    """L (N0 × r) with Σ = L Lᵀ over the r positive eigen-directions of Σ."""
    evals, evecs = np.linalg.eigh(cov)
    top = max(float(evals.max()), 0.0)
    if evals.min() < -PSD_RTOL * top or (top == 0.0 and evals.min() < 0):
        raise fail("covariance", "positive semi-definite", float(evals.min()))
    keep = evals > PSD_RTOL * top
    return np.ascontiguousarray(evecs[:, keep] * np.sqrt(evals[keep]))


def _budget_groups(names: Sequence[str], budget: Any) -> list[tuple[list[str], float]]:
    """Spheres as (names on the sphere, F): one for a scalar budget, one per tensor otherwise."""
    if isinstance(budget, numbers.Real | np.floating | np.integer) and not isinstance(
            budget, bool):
        return [(list(names), as_float("budget", budget, min_value=0.0))]
    if isinstance(budget, np.ndarray) and budget.ndim == 0:
        return [(list(names), as_float("budget", float(budget), min_value=0.0))]
    if isinstance(budget, Mapping):
        if set(budget) != set(names):
            raise fail("budget", f"a float or a mapping with exactly the keys {list(names)}",
                       dict(budget))
        return [([n], as_float(f"budget[{n!r}]", budget[n], min_value=0.0)) for n in names]
    if isinstance(budget, Sequence | np.ndarray) and not isinstance(budget, str):
        items = list(budget)
        if len(items) != len(names):
            raise fail("budget", f"a float or a sequence of {len(names)} budgets (one per "
                       f"weight tensor: {list(names)})", budget)
        return [([n], as_float(f"budget[{i}]", b, min_value=0.0))
                for i, (n, b) in enumerate(zip(names, items, strict=True))]
    raise TypeError("`budget` must be a float, a sequence of floats or a mapping of weight "
                    f"names to floats, got {budget!r}.")


def _half_logdet(a: torch.Tensor, half: torch.Tensor, noise_var: float) -> torch.Tensor:
    """½ log det(I + A Σ Aᵀ/σ²) with Σ = L Lᵀ, by Cholesky on the smaller side of B = A L."""
    import torch

    b = a @ half
    m = b @ b.T if b.shape[0] <= b.shape[1] else b.T @ b
    m = m / noise_var + torch.eye(m.shape[0], dtype=m.dtype)
    chol = torch.linalg.cholesky(m)
    return torch.log(torch.diagonal(chol)).sum()


@contextlib.contextmanager
def _threads_for(size: int) -> Iterator[None]:
    """Run small problems on one intra-op thread, restoring the setting afterwards.

    The matrices here are tiny (N0, out_dim <= a few hundred): multi-threaded kernels only add
    synchronisation, and on a loaded machine OpenMP spin-waits make them several times slower
    (measured: 35 s vs 8 s for the test suite on 2 busy cores).
    """
    import torch

    before = torch.get_num_threads()
    small = size <= _SMALL and before > 1
    if small:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if small:
            torch.set_num_threads(before)


def _optimise(shapes: Mapping[str, tuple[int, ...]],
              build: Callable[[dict[str, torch.Tensor]], torch.Tensor],
              cov: FloatArray, budget: Any, noise_var: float, restarts: int, seed: int,
              max_iter: int) -> NumericResult:
    import torch

    names = list(shapes)
    groups = _budget_groups(names, budget)
    n0 = cov.shape[0]
    half = torch.from_numpy(_covariance_factor(cov))
    active = [(g, f) for g, f in groups if f > 0.0]
    zeros = {n: torch.zeros(shapes[n], dtype=torch.float64) for n in names}

    def theta_of(us: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        theta = dict(zeros)
        for g, f in active:
            norm = torch.sqrt(torch.stack([(us[n] ** 2).sum() for n in g]).sum())
            for n in g:
                theta[n] = us[n] * (math.sqrt(f) / norm)
        return theta

    def matrix_of(theta: dict[str, torch.Tensor]) -> torch.Tensor:
        a = build(theta)
        if not isinstance(a, torch.Tensor) or a.ndim != 2 or a.shape[1] != n0:
            shape = tuple(a.shape) if isinstance(a, torch.Tensor) else type(a).__name__
            raise ValueError(f"`build` must return a 2-D tensor with N0 = {n0} columns (the "
                             f"covariance size), got {shape}.")
        return a

    # Shape check (and the whole answer when every budget is 0).
    with torch.no_grad():
        a0 = matrix_of(zeros)
    if not active:
        return NumericResult(0.0, {n: np.zeros(shapes[n]) for n in names},
                             np.zeros(tuple(a0.shape)), restarts, np.zeros(restarts), True)

    free = [n for g, _ in active for n in g]
    gen = torch.Generator().manual_seed(seed)
    values = np.empty(restarts)
    best: tuple[float, dict[str, torch.Tensor], torch.Tensor, bool] | None = None
    with _threads_for(max(int(a0.shape[0]), n0)):
        for r in range(restarts):
            us = {n: torch.randn(shapes[n], generator=gen, dtype=torch.float64).requires_grad_()
                  for n in free}
            # Scale the loss to O(1) with I at the start, so that L-BFGS's absolute tolerances
            # act relatively (tiny budgets give I ~ 1e-5 with nearly flat directions).
            with torch.no_grad():
                start = float(_half_logdet(matrix_of(theta_of(us)), half, noise_var))
            scale = start if math.isfinite(start) and start > 0.0 else 1.0
            opt = torch.optim.LBFGS(list(us.values()), lr=1.0, max_iter=max_iter,
                                    tolerance_grad=_TOL_GRAD, tolerance_change=_TOL_CHANGE,
                                    history_size=_HISTORY, line_search_fn="strong_wolfe")

            def closure(us: dict[str, torch.Tensor] = us, opt: torch.optim.LBFGS = opt,
                        scale: float = scale) -> torch.Tensor:
                opt.zero_grad()
                loss = _half_logdet(matrix_of(theta_of(us)), half, noise_var) / -scale
                loss.backward()
                return loss

            opt.step(closure)
            # One clean evaluation at the final point: the value, and the rotational gradient
            # ‖∇_u I‖·‖u‖ per sphere (I is 0-homogeneous in u, so ∇_u I is tangent to the sphere).
            value = -scale * float(closure().detach())
            rot = 0.0
            for g, _ in active:
                gn = un = 0.0
                for n in g:
                    grad = us[n].grad
                    gn += float((grad**2).sum()) if grad is not None else 0.0
                    un += float((us[n].detach() ** 2).sum())
                rot += gn * un
            rot_grad = scale * math.sqrt(rot)  # ‖∇_u I‖·‖u‖, unscaled
            state = opt.state[next(iter(us.values()))]
            stopped_early = (state.get("n_iter", 0) < max_iter
                             and state.get("func_evals", 0) < max_iter * 5 // 4)
            ok = (math.isfinite(value) and stopped_early
                  and rot_grad <= _CONVERGED_RTOL * abs(value))
            values[r] = value if math.isfinite(value) else -np.inf
            if best is None or values[r] > best[0]:
                with torch.no_grad():
                    theta = theta_of({n: u.detach() for n, u in us.items()})
                    best = (float(values[r]), theta, matrix_of(theta), ok)

    assert best is not None
    value, theta, a, ok = best
    if not math.isfinite(value):
        raise FloatingPointError("numeric MMI: every restart ended in a non-finite value.")
    params = {n: theta[n].numpy().copy() for n in names}
    return NumericResult(value, params, a.numpy().copy(), restarts, values, ok)


def numeric_mmi_matrices(shapes: Mapping[str, Sequence[int]],
                         build: Callable[[dict[str, torch.Tensor]], torch.Tensor],
                         covariance: npt.ArrayLike, *, budget: NumericBudget,
                         noise_var: float = 1.0,
                         restarts: int = 8, seed: int = 0,
                         max_iter: int = 500) -> NumericResult:
    """Maximise ½ log det(I + A(θ) Σ A(θ)ᵀ/σ²) over weight tensors θ on spheres.

    The generic engine behind :func:`numeric_mmi`: ``build`` maps the weight tensors to the
    end-to-end linear map A (a differentiable torch function), and the optimiser searches the
    spheres given by ``budget``. Since I is non-decreasing under θ -> cθ for c >= 1
    (I + c² M ⪰ I + M), the optimum of ‖θ‖² <= F lies on the sphere ‖θ‖² = F; each sphere is
    parametrised as θ = sqrt(F)·u/‖u‖ with u free, and u is optimised by L-BFGS (strong Wolfe
    line search, float64) from ``restarts`` Gaussian starts drawn from a ``torch.Generator``
    seeded with ``seed``. The best restart is returned.

    Parameters
    ----------
    shapes : mapping of str to tuple of int
        Name and shape of each weight tensor.
    build : callable
        ``build(theta) -> A``: takes a dict name -> float64 tensor and returns A, a float64
        tensor of shape (out_dim, N0), differentiably.
    covariance : array_like, shape (N0, N0) or (N0,)
        Covariance Σ of the Gaussian input X (a 1-D array is a diagonal covariance).
    budget : float, sequence of float or mapping of str to float
        A float F: one sphere over all tensors together, Σ_j ‖θ_j‖² <= F. A sequence (in the
        order of ``shapes``) or a mapping name -> F_j: every tensor on its own sphere,
        ‖θ_j‖² <= F_j. Budgets are >= 0; a tensor with budget 0 is held at zero.
    noise_var : float, default 1.0
        σ² > 0 of the Gaussian noise on Z = A X + η.
    restarts : int, default 8
        Number of random restarts (>= 1).
    seed : int, default 0
        Seed of the restarts (same seed, same numbers on CPU).
    max_iter : int, default 500
        L-BFGS iterations per restart.

    Returns
    -------
    NumericResult
        Value in nats.

    Examples
    --------
    Two branches reading the same input, each with its own budget:

    >>> import torch
    >>> res = numeric_mmi_matrices({"w1": (1, 2), "w2": (1, 2)},
    ...                            lambda t: torch.cat([t["w1"], t["w2"]]),
    ...                            [4.0, 1.0], budget=[1.0, 1.0], restarts=2)
    >>> round(res.value, 6)  # = mmi([4, 1], 2, budget=2): one layer of width 2, budget 2
    1.178655
    """
    if not isinstance(shapes, Mapping) or not shapes:
        raise TypeError("`shapes` must be a non-empty mapping of weight names to shapes, "
                        f"got {shapes!r}.")
    clean: dict[str, tuple[int, ...]] = {}
    for name, shape in shapes.items():
        dims = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
        clean[str(name)] = tuple(as_int(f"shapes[{name!r}]", d) for d in dims)
    if not callable(build):
        raise TypeError(f"`build` must be callable, got {build!r}.")
    cov = _covariance("covariance", covariance)
    s2 = positive("noise_var", noise_var)
    restarts = as_int("restarts", restarts)
    seed = as_int("seed", seed, min_value=0)
    max_iter = as_int("max_iter", max_iter)
    return _optimise(clean, build, cov, budget, s2, restarts, seed, max_iter)


# --------------------------------------------------------------------------------------------
# torch modules -> weight shapes + build
# --------------------------------------------------------------------------------------------


def _supported_types() -> tuple[type, ...]:
    from torch import nn

    return (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Identity, nn.Flatten, nn.Unflatten)


def _leaves(module: nn.Module) -> Iterator[nn.Module]:
    """The leaf modules of a (nested) ``nn.Sequential``, type-checked."""
    from torch import nn

    if type(module) is nn.Sequential:
        for child in module:
            yield from _leaves(child)
        return
    if type(module) not in _supported_types():
        raise TypeError(f"`module` must be one of {', '.join(SUPPORTED_MODULES)} (or an "
                        f"nn.Sequential chain of them), got {type(module).__name__}: "
                        f"{type(module).__module__}.{type(module).__qualname__} has no "
                        "supported linear map.")
    yield module


def _input_shape(leaves: list[nn.Module], input_shape: Any) -> tuple[int, ...]:
    from torch import nn

    if input_shape is not None:
        if isinstance(input_shape, numbers.Integral):
            input_shape = (input_shape,)
        if not isinstance(input_shape, Sequence) or isinstance(input_shape, str) \
                or not input_shape:
            raise TypeError("`input_shape` must be a tuple of ints such as (C, L) or "
                            f"(C, H, W), got {input_shape!r}.")
        return tuple(as_int(f"input_shape[{i}]", d) for i, d in enumerate(input_shape))
    first = next((m for m in leaves if type(m) not in (nn.Identity, nn.Flatten)), None)
    if isinstance(first, nn.Linear):
        return (first.in_features,)
    kind = type(first).__name__ if first is not None else "a module without weights"
    raise ValueError("`input_shape` must be given when the module does not start with "
                     f"nn.Linear (it starts with {kind}): the shape of one input without the "
                     "batch axis, (C, L) for Conv1d or (C, H, W) for Conv2d, got None.")


def _module_parts(module: Any, input_shape: Any) -> tuple[
        dict[str, tuple[int, ...]], Callable[[dict[str, torch.Tensor]], torch.Tensor],
        tuple[int, ...]]:
    """Weight shapes and A(θ) for a supported module (biases held at zero)."""
    import torch
    from torch import nn
    from torch.func import functional_call

    if not isinstance(module, nn.Module):
        raise TypeError(f"`module` must be a torch.nn.Module ({', '.join(SUPPORTED_MODULES)}),"
                        f" got {type(module).__name__}.")
    leaves = list(_leaves(module))
    shape = _input_shape(leaves, input_shape)
    weights: dict[str, tuple[int, ...]] = {}
    fixed: dict[str, torch.Tensor] = {}
    for name, p in module.named_parameters():
        if name.rsplit(".", 1)[-1] == "weight":
            weights[name] = tuple(p.shape)
        else:  # biases: no effect on I(X; Z), held at zero
            fixed[name] = torch.zeros(p.shape, dtype=torch.float64)
    if not weights:
        raise ValueError(f"`module` must have at least one weight tensor, got {module!r}.")
    in_dim = math.prod(shape)
    basis = torch.eye(in_dim, dtype=torch.float64).reshape(in_dim, *shape)

    def build(theta: dict[str, torch.Tensor]) -> torch.Tensor:
        out = functional_call(module, {**fixed, **theta}, (basis,))
        a: torch.Tensor = out.reshape(in_dim, -1).T
        return a

    try:
        with torch.no_grad():
            build({n: torch.zeros(s, dtype=torch.float64) for n, s in weights.items()})
    except RuntimeError as exc:
        raise ValueError(f"`input_shape` must fit the module (one input without the batch "
                         f"axis), got {shape!r}: {exc}") from exc
    return weights, build, shape


def module_matrix(module: nn.Module,
                  input_shape: int | Sequence[int] | None = None) -> FloatArray:
    """The end-to-end linear map A of a linear module at its current weights, biases dropped.

    Parameters
    ----------
    module : torch.nn.Module
        ``nn.Linear``, ``nn.Conv1d``, ``nn.Conv2d`` (any channels, kernel, stride, padding
        mode), or an ``nn.Sequential`` chain of those and ``nn.Identity`` / ``nn.Flatten`` /
        ``nn.Unflatten``.
    input_shape : tuple of int, optional
        One input without the batch axis: (C, L) for Conv1d, (C, H, W) for Conv2d. Inferred
        as ``(in_features,)`` when the module starts with ``nn.Linear``.

    Returns
    -------
    ndarray, shape (out_dim, in_dim)
        A with ``module(x).flatten() - module(0).flatten() == A @ x.flatten()``.

    Examples
    --------
    >>> import torch
    >>> conv = torch.nn.Conv1d(1, 1, 3, padding=1, padding_mode="circular", bias=False)
    >>> _ = conv.weight.data.copy_(torch.tensor([[[1.0, 2.0, 3.0]]]))
    >>> module_matrix(conv, input_shape=(1, 4))
    array([[2., 3., 0., 1.],
           [1., 2., 3., 0.],
           [0., 1., 2., 3.],
           [3., 0., 1., 2.]])
    """
    import torch

    weights, build, _ = _module_parts(module, input_shape)
    params = dict(module.named_parameters())
    with torch.no_grad():
        theta = {n: params[n].detach().to(torch.float64) for n in weights}
        return np.asarray(build(theta).numpy(), dtype=np.float64).copy()


def numeric_mmi(module: nn.Module, covariance: npt.ArrayLike, *, budget: NumericBudget,
                noise_var: float = 1.0, restarts: int = 8, seed: int = 0, max_iter: int = 500,
                input_shape: int | Sequence[int] | None = None) -> NumericResult:
    """Numeric MMI of a linear torch architecture: max ½ log det(I + AΣAᵀ/σ²) over its weights.

    A(θ) is the end-to-end linear map of ``module`` with weights θ and biases set to zero
    (biases shift Z and do not change I(X; Z)): the module is applied to the N0 identity basis
    vectors reshaped to ``input_shape`` and the outputs are flattened, A = out.reshape(N0, -1)ᵀ.
    The weights are optimised on the sphere ‖θ‖² = F (the optimum of ‖θ‖² <= F lies on it) by
    L-BFGS from several seeded restarts; see :func:`numeric_mmi_matrices`. The module itself is
    not modified.

    Chains share one budget. For an ``nn.Sequential`` the constraint is on the whole parameter
    vector, Σ_k ‖W_k‖²_F <= F (one sphere over all weights concatenated), not on the product as
    in Theorem 5. The two differ: for K fully connected layers, ‖W_K⋯W_1‖_F <= Π_k ‖W_k‖_F
    <= (F/K)^{K/2} (sub-multiplicativity, then AM-GM on the ‖W_k‖²_F), so the chain's value is
    at most ``mmi(eig, widths, budget=(F/K)**K)``, with equality exactly when (F/K)^K <= ρ_2
    (one active component: a rank-one chain with equal layer norms attains it; above ρ_2 the
    Theorem-5 optimum has rank >= 2 and the first inequality is strict). For K = 2 the exact
    value is max ½ Σ_i log(1 + s_i² λ_i/σ²) over s >= 0 with Σ_i s_i <= F/2 (at most Ñ of them
    non-zero): min{‖W_1‖² + ‖W_2‖² : W_2 W_1 = A} = 2 Σ_i s_i(A) (nuclear norm, attained by the
    balanced factorisation W_1 = S^{1/2}Vᵀ, W_2 = U S^{1/2}). That problem is not concave: it
    can have a local maximum at a rank-two split besides a global one at rank one, so chains
    need several restarts (single layers and full-size circular convolutions reached the closed
    form from every start in our checks, 340 random cases). Pass a sequence of budgets to put
    each weight tensor on its own sphere instead.

    Parameters
    ----------
    module : torch.nn.Module
        ``nn.Linear``, ``nn.Conv1d``, ``nn.Conv2d`` (any channels, kernel size, stride,
        dilation, groups and padding mode, ``"circular"`` included), or an ``nn.Sequential``
        chain of those and of ``nn.Identity`` / ``nn.Flatten`` / ``nn.Unflatten``.
    covariance : array_like, shape (N0, N0) or (N0,)
        Covariance of the flattened input (N0 = prod(input_shape)); 1-D means diagonal.
    budget : float, sequence of float or mapping of str to float
        F >= 0 on Σ‖θ‖² over all weights; or one budget per weight tensor (in
        ``named_parameters`` order, or keyed by parameter name) for one sphere per tensor.
    noise_var : float, default 1.0
        σ² > 0 of the Gaussian noise on the (flattened) output.
    restarts : int, default 8
        Random restarts (>= 1); the best is returned.
    seed : int, default 0
        Seed of the restarts' ``torch.Generator``.
    max_iter : int, default 500
        L-BFGS iterations per restart.
    input_shape : tuple of int, optional
        One input without the batch axis: (C, L) for Conv1d, (C, H, W) for Conv2d. Required
        unless the module starts with ``nn.Linear``.

    Returns
    -------
    NumericResult
        ``value`` in nats, the best ``params`` (weights only) and ``matrix`` A.

    Raises
    ------
    TypeError
        For an unsupported module type (the message lists the supported ones).
    ValueError
        For a missing or ill-fitting ``input_shape``, a covariance whose size is not N0, a
        negative budget, ``noise_var <= 0`` or ``restarts < 1``.

    See Also
    --------
    infoplane.capacity.waterfill.mmi : the closed form this reproduces for ``nn.Linear``.
    circular_conv_mmi : the closed form for full-length circular convolutions.

    Examples
    --------
    >>> import torch
    >>> res = numeric_mmi(torch.nn.Linear(3, 2), [4.0, 2.0, 1.0], budget=1.0, restarts=2)
    >>> round(res.value, 6)  # the closed form: mmi([4, 2, 1], 2, budget=1.0)
    0.906189
    >>> res.matrix.shape, round(float((res.params["weight"] ** 2).sum()), 6)
    ((2, 3), 1.0)
    """
    weights, build, shape = _module_parts(module, input_shape)
    n0 = math.prod(shape)
    cov = _covariance("covariance", covariance)
    if cov.shape[0] != n0:
        raise fail("covariance", f"a {n0} × {n0} matrix (or a length-{n0} diagonal) matching "
                   f"the module's input size N0 = {n0} (input_shape {shape})", cov,
                   f"(shape {np.shape(covariance)})")
    return numeric_mmi_matrices(weights, build, cov, budget=budget, noise_var=noise_var,
                                restarts=restarts, seed=seed, max_iter=max_iter)


# --------------------------------------------------------------------------------------------
# Circular convolution: closed form
# --------------------------------------------------------------------------------------------


def _mirrored(x: FloatArray) -> FloatArray:
    """x[-k mod n] on every axis (x is circularly symmetric when it equals this)."""
    axes = tuple(range(x.ndim))
    return np.roll(np.flip(x, axes), 1, axes)


def _autocov(autocov: Any) -> FloatArray:
    """A 1-D or 2-D autocovariance, circularly symmetric: r[k] = r[-k mod n] on every axis."""
    r = finite_array("autocov", autocov, ndim=(1, 2))
    mirrored = _mirrored(r)
    scale = max(float(np.abs(r).max()), 1.0)
    if not np.allclose(r, mirrored, rtol=1e-8, atol=1e-12 * scale):
        raise fail("autocov", "circularly symmetric, r[k] == r[n - k] (a stationary "
                   "autocovariance on a ring/torus)", r)
    return 0.5 * (r + mirrored)


def power_spectrum(autocov: npt.ArrayLike) -> FloatArray:
    """Power spectrum p = DFT of a circularly symmetric autocovariance (1-D or 2-D).

    p_j = Σ_k r_k e^{-2πi jk/n} (``numpy.fft.fftn``, every frequency once, no halving); it is
    real because r is symmetric, and it is the eigenvalue spectrum of the circulant covariance
    Σ = :func:`circulant_covariance` (r): Σ = Fᴴ diag(p) F with F the unitary DFT.

    Parameters
    ----------
    autocov : array_like, shape (n,) or (n1, n2)
        r_k = Cov(x_i, x_{i+k}) (indices mod n), with r_k = r_{n-k} on every axis.

    Returns
    -------
    ndarray, same shape as ``autocov``
        p >= 0 (round-off negatives set to 0).

    Raises
    ------
    ValueError
        If r is not circularly symmetric, or p has clearly negative entries (r is then not a
        valid autocovariance: Σ would not be positive semi-definite).

    Examples
    --------
    >>> power_spectrum([2.0, 0.5, 0.0, 0.5])
    array([3., 2., 1., 2.])
    """
    r = _autocov(autocov)
    p = np.fft.fftn(r).real
    top = max(float(p.max()), 0.0)
    if p.min() < -1e-10 * max(top, float(np.abs(r).max())):
        raise fail("autocov", "a valid autocovariance (a non-negative power spectrum)",
                   r, f"(its spectrum has min {float(p.min()):.3g})")
    return np.ascontiguousarray(np.maximum(p, 0.0))


def circulant_covariance(autocov: npt.ArrayLike) -> FloatArray:
    """The (block-)circulant covariance of a stationary signal on a ring (1-D) or torus (2-D).

    Σ[i, j] = r[(j - i) mod n]; for 2-D signals of shape (n1, n2), flattened row-major (the
    order of ``x.reshape(-1)``, matching a single-channel Conv2d input of shape (1, n1, n2)),
    Σ[(i1, i2), (j1, j2)] = r[(j1 - i1) mod n1, (j2 - i2) mod n2].

    Parameters
    ----------
    autocov : array_like, shape (n,) or (n1, n2)
        Circularly symmetric autocovariance (see :func:`power_spectrum`).

    Returns
    -------
    ndarray, shape (n, n) or (n1·n2, n1·n2)
        Symmetric; positive semi-definite when :func:`power_spectrum` (r) >= 0, its
        eigenvalues.

    Examples
    --------
    >>> circulant_covariance([2.0, 0.5, 0.0, 0.5])
    array([[2. , 0.5, 0. , 0.5],
           [0.5, 2. , 0.5, 0. ],
           [0. , 0.5, 2. , 0.5],
           [0.5, 0. , 0.5, 2. ]])
    """
    r = _autocov(autocov)
    grids = [np.arange(n) for n in r.shape]
    if r.ndim == 1:
        (i,) = grids
        return np.ascontiguousarray(r[(i[None, :] - i[:, None]) % r.shape[0]])
    n1, n2 = r.shape
    i1, i2 = (g.ravel() for g in np.meshgrid(*grids, indexing="ij"))
    d1 = (i1[None, :] - i1[:, None]) % n1
    d2 = (i2[None, :] - i2[:, None]) % n2
    return np.ascontiguousarray(r[d1, d2])


def _spectrum(power_spectrum: Any) -> FloatArray:
    p = finite_array("power_spectrum", power_spectrum)
    if p.ndim == 0:
        raise fail("power_spectrum", "an array with one entry per frequency (1-D or 2-D)", p)
    top = max(float(p.max()), 0.0)
    if p.min() < -PSD_RTOL * top or top == 0.0:
        raise fail("power_spectrum", "non-negative and not all zero", float(p.min()))
    return np.maximum(p, 0.0)


@overload
def circular_conv_mmi(power_spectrum: npt.ArrayLike, *, budget: float, noise_var: float = ...,
                      unit: Unit = ...) -> float: ...
@overload
def circular_conv_mmi(power_spectrum: npt.ArrayLike, *, budget: BudgetArray,
                      noise_var: float = ..., unit: Unit = ...) -> FloatArray: ...
@overload
def circular_conv_mmi(power_spectrum: npt.ArrayLike, *, budget: npt.ArrayLike,
                      noise_var: float = ..., unit: Unit = ...) -> float | FloatArray: ...
def circular_conv_mmi(power_spectrum: npt.ArrayLike, *, budget: npt.ArrayLike,
                      noise_var: float = 1.0, unit: Unit = "nats") -> float | FloatArray:
    """MMI of a single-channel circular convolution Z = k ⊛ X + η of a stationary input.

    Derivation. Let X be a Gaussian signal of n = n1⋯nd samples on a ring/torus with circulant
    covariance Σ = Fᴴ diag(p) F (F the unitary DFT, p the power spectrum, p_j = p_{-j}), and
    Z = k ⊛ X + η with a real kernel k, ‖k‖² <= F_b (the budget), η ~ N(0, σ² I). The
    convolution matrix is circulant too, A = Fᴴ diag(k̂) F with k̂ = DFT(k) (unnormalised), so
    one DFT diagonalises both and

        I(X; Z) = ½ log det(I + AΣAᵀ/σ²) = ½ Σ_j log(1 + |k̂_j|² p_j / σ²).

    Parseval gives Σ_j |k̂_j|² = n ‖k‖² <= n F_b. With a full-size kernel (as many taps as
    samples) every a_j = |k̂_j|² >= 0 with Σ_j a_j <= n F_b is reachable, and the problem is
    the water-filling of Appendix A with the n "eigenvalues" p_j, width n and budget n F_b:

        MMI = ``mmi(p.ravel(), p.size, budget=p.size * budget, noise_var=noise_var)``,

    optimal a_j = max(0, μ - σ²/p_j). The optimum is attained by a *real* kernel: a_j depends
    on p_j only and p_j = p_{-j}, so a is symmetric and k = IDFT(sqrt(a)) is real (and even);
    see :func:`optimal_circular_kernel`. Cross-correlation (what torch's Conv computes) and
    circular shifts from padding change k̂ only by a phase, so |k̂_j|² and the MI are unchanged.

    A kernel with fewer taps than samples restricts |k̂|² to a proper subset of that simplex:
    the closed form is then an **upper bound** (use :func:`numeric_mmi` for the exact value).
    Multi-channel convolutions lead to a per-frequency matrix problem and are not covered.

    Parameters
    ----------
    power_spectrum : array_like, shape (n,) or (n1, n2)
        p >= 0, every DFT frequency once (e.g. :func:`power_spectrum` of the autocovariance).
    budget : float or array_like
        F_b >= 0 in ‖k‖² <= F_b (sum of squared kernel weights). An array gives a curve.
    noise_var : float, default 1.0
        σ² > 0 of the noise on each output sample.
    unit : {"nats", "bits"}

    Returns
    -------
    float or ndarray
        The MMI, shaped like ``budget``.

    Examples
    --------
    >>> p = power_spectrum([2.0, 0.5, 0.0, 0.5])      # [3, 2, 1, 2]
    >>> round(circular_conv_mmi(p, budget=1.0), 6)     # = mmi(p, 4, budget=4.0)
    2.161518
    """
    p = _spectrum(power_spectrum)
    s2 = positive("noise_var", noise_var)
    unit_factor(unit)
    f_arr, scalar = budget_array("budget", budget)
    out = mmi(p.ravel(), p.size, budget=p.size * f_arr, noise_var=s2, unit=unit)
    return float(out) if scalar else np.asarray(out, dtype=np.float64)


def optimal_circular_kernel(power_spectrum: npt.ArrayLike, *, budget: float,
                            noise_var: float = 1.0) -> FloatArray:
    """A real full-size kernel attaining :func:`circular_conv_mmi` (water-filling in frequency).

    |k̂_j|² = a_j = max(0, μ - σ²/p_j) with Σ_j a_j = n F_b, and k = IDFT(sqrt(a)): real and
    even because a_j = a_{-j}; ‖k‖² = F_b by Parseval.

    Parameters
    ----------
    power_spectrum : array_like, shape (n,) or (n1, n2)
        p >= 0 with p_j = p_{-j} (the spectrum of a real stationary signal).
    budget : float
        F_b >= 0.
    noise_var : float, default 1.0

    Returns
    -------
    ndarray, same shape as ``power_spectrum``
        The kernel, to be used as a circular *convolution* (it is even, so as a torch
        cross-correlation too, up to the circular shift set by the padding).

    Examples
    --------
    >>> k = optimal_circular_kernel([3.0, 2.0, 1.0, 2.0], budget=1.0)
    >>> round(float((k ** 2).sum()), 6)
    1.0
    """
    p = _spectrum(power_spectrum)
    s2 = positive("noise_var", noise_var)
    f = as_float("budget", budget, min_value=0.0)
    if not np.allclose(p, _mirrored(p), rtol=1e-8, atol=1e-12 * float(p.max())):
        raise fail("power_spectrum", "symmetric, p[j] == p[n - j] (the spectrum of a real "
                   "signal)", p)
    if f == 0.0:
        return np.zeros(p.shape)
    wf = water_filling(p.ravel(), p.size, p.size * f, s2)
    a = np.zeros(p.shape)
    pos = p > 0
    a[pos] = np.maximum(0.0, wf.level - s2 / p[pos])
    a *= p.size * f / a.sum()
    return np.ascontiguousarray(np.fft.ifftn(np.sqrt(a)).real)
