"""Neural variational lower bounds on mutual information: MINE, NWJ, SMILE and InfoNCE.

Each estimator trains a small critic network by stochastic gradient ascent on a variational
lower bound of I(X;Y) and reports that bound *on samples the critic was not trained on*.

* :class:`MINE` — the Donsker–Varadhan (DV) bound
  ``I(X;Y) >= E_P[T] - log E_Q[e^T]`` (P the joint, Q = P_X ⊗ P_Y the product of marginals)
  with a statistics network T(x, y) and the bias-corrected (moving-average) gradient of
  Belghazi et al. (2018, Eq. 12 and Section 3.2).
* :class:`NWJ` — the f-divergence bound of Nguyen, Wainwright & Jordan (2010)
  ``I(X;Y) >= E_P[T] - E_Q[e^(T-1)]`` (Poole et al. 2019, Eq. 9 "I_NWJ"), trained on itself;
  its mini-batch gradient is unbiased.
* :class:`SMILE` — Song & Ermon (2020, Section 5): the DV bound with the density ratio clipped
  in the partition term, ``E_P[T] - log E_Q[clip(e^T, e^-τ, e^τ)]`` (τ = 5 by default, as in the
  paper's experiments), whose variance is bounded by (e^τ - e^-τ)²/(4M) for M product pairs
  (their Theorem 3) where MINE's and NWJ's grow like e^I. The critic is trained on the
  Jensen–Shannon bound ``E_P[-softplus(-T)] - E_Q[softplus(T)]`` (Nowozin et al. 2016; Poole et
  al. 2019, Section 2.3), whose maximiser is the log density ratio, as in the authors' code.
* :class:`InfoNCE` — ``I(X;Y) >= log K + E[f(x_i, y_i) - log Σ_j e^(f(x_i, y_j))]`` over
  batches of K pairs (van den Oord et al. 2018; Poole et al. 2019, Eq. 12), which can never
  exceed ``log K``: the estimator's :attr:`InfoNCE.ceiling`.

Held-out evaluation (the default)
---------------------------------
A critic evaluated on its own training rows finds structure in noise: on independent
100-dimensional X and Y at N = 2000, training and evaluating on all rows reads 0.5–0.7 nats
(the issue's report) and 1.0–1.8 nats after 300 steps at the present learning rate. So by
default the rows are split at random into a training part and an evaluation part
(``eval_fraction`` = 0.3 held out); the critic is trained on the first, the bound is evaluated
on the second every ``eval_every`` = 20 steps, training stops when that held-out value has not
improved for ``patience`` = 10 evaluations, and the critic is restored to the best evaluation
(:func:`infoplane.estimators._fit.fit`, the one training loop shared by every torch
estimator). The estimate is the held-out bound of that critic; :meth:`~MINE.fit_report`
returns it with the split sizes, the stopping step and the held-out curve.

The critic's output layer starts at zero, so before any training (step 0, also evaluated)
every bound here is exactly 0 — the trivial bound I >= 0. When no trained critic beats it on
the held-out rows, that is the answer: on independent 100-D data (N = 2000 and 5000, three
seeds) every estimator reads 0.000. For a *fixed* critic, NWJ and InfoNCE evaluated on fresh
rows are unbiased estimates of lower bounds; DV and SMILE take the log of a sample mean, an
upward (Jensen) bias of about ``Var(e^T) / (2 M E[e^T]^2)`` for M product pairs, small here
because M is large (all ``n_eval (n_eval - 1)`` off-diagonal pairs with the separable critic,
``10 n_eval`` pairs with the concatenation critic). Choosing the stopping step on the same
evaluation rows adds a selection bias (the maximum of a noisy curve), which the measurements
in ``tests/test_estimators_neural.py`` bound: the Gaussian errors are all <= +0.05 nats.
``eval_fraction=0`` restores the old behaviour (train ``steps`` steps on all rows and evaluate
on them, no early stopping), biased upward by over-fitting.

In 50-200 dimensions with a few informative directions the held-out bounds are honest but low:
the critic over-fits the training rows after ~100 steps, before it has learnt the signal, and
the held-out value peaks well below the truth (the figures are in docs/DECISIONS.md). Use the
latent-MI route for wide layers.

What these numbers are, and are not
-----------------------------------
They are *estimates of lower bounds*, with a bias that depends on the critic's capacity, the
number of steps and the sample size; large MI is underestimated (the DV and NWJ bounds need
~e^I samples, McAllester & Stratos 2020; InfoNCE stops at log K). Nothing is clamped: with
independent X and Y the held-out estimate scatters around (mostly slightly below) zero.

Conventions
-----------
Inputs are standardised per feature (zero mean, unit variance; a constant feature is only
centred) before training: mutual information is invariant under invertible per-feature affine
maps, and the optimiser is not. Training runs in float32 on ``device`` (through
:func:`~infoplane.estimators._fit.resolve_device`: "cpu" default, "cuda" when a GPU is
available) with ``num_threads`` CPU threads; randomness comes only from ``seed`` (a NumPy
generator for the split and the batches, a forked, seeded torch RNG for initialisation), so
the global RNG states are untouched and the same seed gives the same number on CPU. Sizes that
could not fit in memory (``hidden``, ``layers``, ``batch_size`` against the data's dimensions)
are refused before anything is allocated, with an error naming the option.

The information plane (:meth:`MINE.plane`, ...) returns I(T;Y) by the neural bound with the
labels one-hot encoded, and I(X;T) = H(T) *exactly* under the row-identity definition of
:mod:`infoplane.estimators.base` (X uniform over the N probe inputs, T a deterministic function
of X): the plug-in entropy of T's distinct rows — log N for distinct rows, whatever the network
does (interpretation paper, Appendix C, Eq. 40, and its caveat in Section 1.3.2, item 3). A
neural bound on I(X;T) would be an artefact of the critic's capacity, so none is offered; use
a binning or noise-based estimator (Binning, KDE) for a compression axis.

References
----------
Belghazi, M. I., et al. (2018). Mutual Information Neural Estimation. ICML.
Nguyen, X., Wainwright, M. J., Jordan, M. I. (2010). Estimating divergence functionals and the
likelihood ratio by convex risk minimization. IEEE Trans. Inf. Theory 56(11).
Nowozin, S., Cseke, B., Tomioka, R. (2016). f-GAN: training generative neural samplers using
variational divergence minimization. NeurIPS.
van den Oord, A., Li, Y., Vinyals, O. (2018). Representation learning with contrastive
predictive coding. arXiv:1807.03748.
Poole, B., et al. (2019). On variational bounds of mutual information. ICML.
McAllester, D., Stratos, K. (2020). Formal limitations on the measurement of mutual
information. AISTATS.
Song, J., Ermon, S. (2020). Understanding the limitations of variational mutual information
estimators. ICLR.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt

try:
    import torch
    import torch.nn.functional as F
    from torch import nn
except ImportError as _exc:  # PyTorch is the optional `torch` extra
    from infoplane._requires import missing_torch

    raise missing_torch(__name__) from _exc

from infoplane._typing import FloatArray, IntArray, Unit
from infoplane._validation import as_float, as_int, choice, fail, unit_factor
from infoplane.estimators._fit import FitResult, fit, resolve_device, torch_session
from infoplane.estimators.base import (
    Estimator,
    as_labels,
    as_samples,
    row_entropy,
    standardised,
    warn,
)

__all__ = ["MINE", "NWJ", "SMILE", "InfoNCE", "NeuralReport"]

#: Shuffles of the evaluation rows (derangements) behind the product term of the concat critic.
_EVAL_SHUFFLES = 10
#: InfoNCE warns when its estimate is within this fraction of the ceiling log K.
_CEILING_MARGIN = 0.05
#: Rows of the evaluation score matrix computed at once (separable critic).
_EVAL_CHUNK = 512
#: Pairs scored at once in an evaluation of the concatenation critic.
_EVAL_PAIRS = 4096

#: Hard caps on the options, checked at construction (no machine trains beyond them).
_MAX_STEPS = 10_000_000
_MAX_HIDDEN = 16_384
_MAX_LAYERS = 64
_MAX_BATCH = 1 << 20
#: Memory one estimate may plan to use (parameters with Adam's state, one step's activations,
#: the evaluation chunk), checked against the data's dimensions before anything is allocated.
MEMORY_BUDGET = 4 << 30

State = dict[str, torch.Tensor]


# ---------------------------------------------------------------------------- networks

def _mlp(d_in: int, hidden: int, layers: int, d_out: int,
         activation: type[nn.Module] = nn.SiLU) -> nn.Sequential:
    """``layers`` hidden layers of width ``hidden`` with ``activation``, then a linear output.

    SiLU by default: smooth critics over-fitted the N = 2000 Gaussian benchmarks far less
    (MINE, d = 5, independent: +0.02 nats against +0.27 with ReLU), and SiLU costs about
    1.5x ReLU on a CPU where ELU/softplus cost 7x. (LatentMI's encoders use ReLU.)
    """
    mods: list[nn.Module] = []
    width = d_in
    for _ in range(layers):
        mods += [nn.Linear(width, hidden), activation()]
        width = hidden
    mods.append(nn.Linear(width, d_out))
    return nn.Sequential(*mods)


def _mlp_params(d_in: int, hidden: int, layers: int, d_out: int) -> int:
    return (d_in + 1) * hidden + (layers - 1) * (hidden + 1) * hidden + (hidden + 1) * d_out


class _Critic(nn.Module):
    """A critic: scores of paired rows, and of all K x K pairs of a batch."""

    def paired(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """f(x_i, y_i) for each row i: shape (n,)."""
        raise NotImplementedError

    def matrix(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """f(x_i, y_j) for all pairs: shape (n, n)."""
        raise NotImplementedError


class _ConcatStatistic(_Critic):
    """T(x, y) = MLP([x, y]) (MINE's statistics network, Belghazi et al. 2018).

    ``matrix`` splits the first layer, W[x; y] = W_x x + W_y y, so it costs 2K rows instead of
    K² there, but every later layer runs on K² rows (InfoNCE's "concat" critic).
    """

    def __init__(self, dx: int, dy: int, hidden: int, layers: int) -> None:
        super().__init__()
        self.wx = nn.Linear(dx, hidden)
        self.wy = nn.Linear(dy, hidden, bias=False)
        self.rest = nn.Sequential(nn.SiLU(), _mlp(hidden, hidden, layers - 1, 1))

    def paired(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.rest(self.wx(x) + self.wy(y)).squeeze(-1)
        return out

    def matrix(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        pre = self.wx(x)[:, None, :] + self.wy(y)[None, :, :]
        out: torch.Tensor = self.rest(pre).squeeze(-1)
        return out


class _SeparableCritic(_Critic):
    """f(x, y) = g(x)ᵀ h(y) / √hidden: two MLPs, one K x K product per batch."""

    def __init__(self, dx: int, dy: int, hidden: int, layers: int) -> None:
        super().__init__()
        self.g = _mlp(dx, hidden, layers, hidden)
        self.h = _mlp(dy, hidden, layers, hidden)
        self.scale = 1.0 / math.sqrt(hidden)

    def paired(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = (self.g(x) * self.h(y)).sum(1) * self.scale
        return out

    def matrix(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = (self.g(x) @ self.h(y).T) * self.scale
        return out


def _zero_output(seq: nn.Sequential) -> None:
    """Zero the last linear layer, so the critic starts as the constant 0.

    Every bound here is exactly 0 for a constant critic (DV, SMILE, InfoNCE; NWJ in the
    parametrisation T = f + 1), so the evaluation before training (step 0) is the trivial
    bound I >= 0, and early stopping can only report a trained critic that beats it on the
    held-out rows: on independent data the estimate is then 0 unless noise is mistaken for
    signal on rows the critic never saw.
    """
    last = [m for m in seq.modules() if isinstance(m, nn.Linear)][-1]
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)


def _off_diagonal(s: torch.Tensor) -> torch.Tensor:
    """The K(K-1) off-diagonal entries of a K x K matrix (the product-of-marginals pairs)."""
    k = s.shape[0]
    return s.flatten()[1:].view(k - 1, k + 1)[:, :-1].flatten()


def _log_mean_exp(v: torch.Tensor) -> torch.Tensor:
    return torch.logsumexp(v, 0) - math.log(v.shape[0])


# ------------------------------------------------------------------------ the result

@dataclass(frozen=True)
class NeuralReport:
    """One neural estimate with how it was obtained (:meth:`MINE.fit_report`, ...).

    Attributes
    ----------
    value : float
        The estimate (in ``unit``): the bound on the evaluation rows at ``best_step``, equal
        to ``estimate(x, y)``.
    unit : {"nats", "bits"}
    bound : str
        ``"dv"`` (MINE), ``"nwj"`` (NWJ, MINE with ``estimator="mine_f"``), ``"smile"`` or
        ``"infonce"``.
    n_train, n_eval : int
        Rows the critic was trained on and rows the bound was evaluated on (the same rows,
        ``n_eval == n_train``, when ``eval_fraction=0``; then ``held_out`` is False).
    held_out : bool
        Whether the evaluation rows were disjoint from the training rows.
    batch_size : int
        Rows per training step as used: ``batch_size`` capped at ``n_train`` (InfoNCE: also
        at ``n_eval``; its ceiling is log of this K).
    best_step : int
        The training step whose held-out value was best (the critic reported).
    steps_run : int
        Steps taken before early stopping (or ``steps``).
    history : tuple of (int, float)
        (step, held-out bound in ``unit``) at every evaluation.
    """

    value: float
    unit: Unit
    bound: str
    n_train: int
    n_eval: int
    held_out: bool
    batch_size: int
    best_step: int
    steps_run: int
    history: tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class _Run:
    """One training in nats: the fit, the split sizes and the trained critic's state."""

    fit: FitResult
    n_train: int
    n_eval: int
    held_out: bool
    batch: int
    state: State


# ------------------------------------------------------------------------ common base

def _one_hot(labels: IntArray) -> FloatArray:
    out = np.zeros((labels.shape[0], int(labels.max()) + 1), dtype=np.float64)
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out


def _gib(nbytes: float) -> str:
    return f"{nbytes / (1 << 30):.3g} GiB"


@dataclass(frozen=True, kw_only=True)
class _NeuralEstimator(Estimator):
    """Shared options, validation, split, memory check and training of the neural bounds."""

    hidden: int = 64
    layers: int = 2
    steps: int = 1000
    batch_size: int = 256
    lr: float = 2e-3
    eval_fraction: float = 0.3
    eval_every: int = 20
    patience: int | None = 10
    weight_decay: float = 0.0
    warm_steps: int | None = None
    device: str = "cpu"
    num_threads: int = 1
    critic: Literal["separable", "concat"] = "separable"

    y_discrete: ClassVar[bool] = False
    #: Name of the bound in :class:`NeuralReport`.
    _bound_name: ClassVar[str] = ""

    def _check(self) -> None:
        as_int("hidden", self.hidden, min_value=1)
        as_int("layers", self.layers, min_value=1)
        as_int("steps", self.steps, min_value=1)
        as_int("batch_size", self.batch_size, min_value=2)
        for name, cap in (("hidden", _MAX_HIDDEN), ("layers", _MAX_LAYERS),
                          ("steps", _MAX_STEPS), ("batch_size", _MAX_BATCH)):
            if getattr(self, name) > cap:
                raise fail(name, f"<= {cap}", getattr(self, name),
                           "(a larger value cannot train on any machine this runs on).")
        as_float("lr", self.lr, min_value=0.0, strict_min=True)
        frac = as_float("eval_fraction", self.eval_fraction, min_value=0.0)
        if frac >= 1.0:
            raise fail("eval_fraction", "in [0, 1) (the held-out share of the samples)",
                       self.eval_fraction)
        as_int("eval_every", self.eval_every, min_value=1)
        if self.patience is not None:
            as_int("patience", self.patience, min_value=1)
        as_float("weight_decay", self.weight_decay, min_value=0.0)
        if self.warm_steps is not None:
            as_int("warm_steps", self.warm_steps, min_value=1)
        as_int("num_threads", self.num_threads, min_value=1)
        resolve_device(self.device)
        choice("critic", self.critic, ("separable", "concat"))

    # ---------------------------------------------------------------------- sizes
    def _split(self, n: int, rng: np.random.Generator) -> tuple[IntArray, IntArray]:
        """Training and evaluation row indices (the same rows when ``eval_fraction`` is 0)."""
        if n < 2:
            raise fail("x", "at least 2 samples for a neural estimate", n)
        if self.eval_fraction == 0.0:
            idx = np.arange(n, dtype=np.int64)
            return idx, idx
        perm = rng.permutation(n).astype(np.int64)
        n_eval = round(self.eval_fraction * n)
        if n_eval < 2 or n - n_eval < 2:
            raise ValueError(f"`eval_fraction` must leave at least 2 training and 2 evaluation "
                             f"samples, got {self.eval_fraction!r} with {n} samples.")
        return perm[n_eval:], perm[:n_eval]

    def _check_sizes(self, n_train: int, n_eval: int) -> None:
        """Reject sample sizes the bound cannot use (InfoNCE overrides)."""

    def _train_batch(self, n_train: int, n_eval: int) -> int:
        """Rows per step: ``batch_size`` capped at the training size."""
        return min(self.batch_size, n_train)

    def _memory(self, dx: int, dy: int, batch: int, n_eval: int) -> tuple[float, float, float]:
        """Planned bytes: (parameters with gradients and Adam's two moments, one training
        step's activations, the held-out evaluation's largest block), float32.

        A step keeps about 3 numbers per unit for the backward pass (pre-activation,
        activation, gradient); an evaluation runs under no_grad.
        """
        h, layers = self.hidden, self.layers
        if self.critic == "separable":
            params = _mlp_params(dx, h, layers, h) + _mlp_params(dy, h, layers, h)
            step = 3 * (2 * batch * (layers + 1) * h + 2 * batch * batch)
            # both embeddings of every evaluation row, one layer's temporaries, a score block
            ev = 3 * n_eval * h + 2 * min(_EVAL_CHUNK, n_eval) * n_eval
        else:
            params = (dx + dy + 1) * h + _mlp_params(h, h, layers - 1, 1)
            step = 3 * self._concat_pairs(batch) * layers * h
            # no_grad: about two layers' activations of one block of pairs at a time
            ev = 2 * self._eval_block(batch, n_eval) * h
        return 16.0 * params, 4.0 * step, 4.0 * ev

    def _concat_pairs(self, batch: int) -> int:
        """Rows the concatenation critic evaluates per step (K joint + K product pairs)."""
        return 2 * batch

    def _eval_block(self, batch: int, n_eval: int) -> int:
        """Pairs the concatenation critic scores at once in an evaluation."""
        return min(_EVAL_PAIRS, n_eval)

    def _check_memory(self, dx: int, dy: int, batch: int, n_eval: int) -> None:
        params, step, ev = self._memory(dx, dy, batch, n_eval)
        total = params + step + ev
        if total <= MEMORY_BUDGET:
            return
        what = (f"(the critic for d_x={dx}, d_y={dy} with hidden={self.hidden}, "
                f"layers={self.layers}, critic={self.critic!r}, batch_size={batch}, "
                f"{n_eval} evaluation rows needs about {_gib(total)}: {_gib(params)} of "
                f"parameters and optimiser state, {_gib(step)} per training step, {_gib(ev)} "
                f"to evaluate; budget {_gib(MEMORY_BUDGET)}).")
        if step >= max(params, ev):
            raise fail("batch_size", "small enough for one training step to fit in memory",
                       self.batch_size, what + " Lower `batch_size` (or `hidden`).")
        name = "layers" if self.layers > 8 and params >= ev else "hidden"
        raise fail(name, "small enough for the critic to fit in memory", getattr(self, name),
                   what + f" Lower `{name}`.")

    # ----------------------------------------------------------------- one estimate
    def _run(self, x: FloatArray, y: FloatArray, init: State | None) -> _Run:
        """Split, train (from ``init`` for ``warm_steps`` when given), evaluate."""
        rng = np.random.default_rng(self.seed)
        train, held = self._split(x.shape[0], rng)
        held_out = self.eval_fraction > 0.0
        self._check_sizes(train.shape[0], held.shape[0])
        batch = self._train_batch(int(train.shape[0]), int(held.shape[0]))
        self._check_memory(x.shape[1], y.shape[1], batch, held.shape[0])
        dev = resolve_device(self.device)
        steps = self.steps
        if init is not None and self.warm_steps is not None:
            steps = self.warm_steps
        with torch_session(dev, self.num_threads, self.seed):
            net = self._build(x.shape[1], y.shape[1])
            if init is not None:
                net.load_state_dict(init)
            net.to(dev)
            xt = torch.as_tensor(standardised(x), dtype=torch.float32, device=dev)
            yt = torch.as_tensor(standardised(y), dtype=torch.float32, device=dev)
            tr = torch.as_tensor(train, device=dev)
            ev = torch.as_tensor(held, device=dev)
            x_tr, y_tr, x_ev, y_ev = xt[tr], yt[tr], xt[ev], yt[ev]
            loss = self._loss_fn(net, x_tr, y_tr)
            value = self._value_fn(net, x_ev, y_ev, rng, batch)
            result = fit(net, lambda idx: loss(torch.as_tensor(idx, device=dev)), value,
                         n_train=train.shape[0], steps=steps, batch_size=batch, lr=self.lr,
                         eval_every=self.eval_every if held_out else steps,
                         patience=self.patience if held_out else None, rng=rng,
                         weight_decay=self.weight_decay, eval_at_start=held_out)
            state = {k: v.detach().to("cpu").clone() for k, v in net.state_dict().items()}
        return _Run(fit=result, n_train=int(train.shape[0]), n_eval=int(held.shape[0]),
                    held_out=held_out, batch=batch, state=state)

    def _estimate_nats(self, x: FloatArray, y: Any) -> float:
        run = self._run(x, y, None)
        return self._finish(run.fit.best_value, run.batch)

    def _finish(self, nats: float, batch: int) -> float:
        """Hook applied to every final value (InfoNCE's ceiling warning)."""
        return nats

    def fit_report(self, x: npt.ArrayLike, y: npt.ArrayLike) -> NeuralReport:
        """The estimate of :meth:`estimate` with its split, stopping step and held-out curve.

        Parameters
        ----------
        x : array_like, shape (n,) or (n, d_x)
        y : array_like, shape (n,) or (n, d_y)

        Returns
        -------
        NeuralReport
            ``value`` equals ``estimate(x, y)``.

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> x = rng.standard_normal(400)
        >>> y = x + rng.standard_normal(400)  # I = log(2)/2 = 0.347 nats
        >>> rep = NWJ(steps=200, hidden=32, seed=0).fit_report(x, y)
        >>> rep.n_train, rep.n_eval, rep.held_out, rep.bound
        (280, 120, True, 'nwj')
        >>> rep.history[0]  # the zero-initialised critic: the trivial bound
        (0, 0.0)
        >>> rep.value == max(v for _, v in rep.history) == dict(rep.history)[rep.best_step]
        True
        """
        xs, ys = self._prepare(x, y)
        run = self._run(xs, ys, None)
        f = unit_factor(self.unit)
        value = self._finish(run.fit.best_value, run.batch) / f
        return NeuralReport(value=value, unit=self.unit, bound=self._bound(), n_train=run.n_train,
                            n_eval=run.n_eval, held_out=run.held_out, batch_size=run.batch,
                            best_step=run.fit.best_step, steps_run=run.fit.steps_run,
                            history=tuple((s, v / f) for s, v in run.fit.history))

    def _bound(self) -> str:
        return self._bound_name

    # --------------------------------------------------------------- the bound itself
    def _build(self, dx: int, dy: int) -> _Critic:
        """A fresh critic whose output layer starts at zero (see :func:`_zero_output`)."""
        net: _Critic
        if self.critic == "concat":
            net = _ConcatStatistic(dx, dy, self.hidden, self.layers)
            _zero_output(net.rest)
        else:
            net = _SeparableCritic(dx, dy, self.hidden, self.layers)
            _zero_output(net.h)  # not g as well: g = h = 0 would be a saddle
        return net

    def _pairs(self, net: _Critic, x: torch.Tensor,
               y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Joint and product scores of a training batch of distinct rows.

        Separable critic: the diagonal and the K(K-1) off-diagonal entries of the K x K score
        matrix (Poole et al. 2019, Section 2). Concatenation critic: T(x_i, y_i) and
        T(x_i, y_{i-1}) (rows are distinct, so these are product pairs; Belghazi et al.,
        Algorithm 1).
        """
        if self.critic == "separable":
            s = net.matrix(x, y)
            return torch.diagonal(s), _off_diagonal(s)
        return net.paired(x, y), net.paired(x, torch.roll(y, 1, 0))

    @abstractmethod
    def _objective(self, joint: torch.Tensor, prod: torch.Tensor) -> torch.Tensor:
        """The training objective (to maximise) of one batch's joint and product scores."""

    @abstractmethod
    def _partition(self, prod: torch.Tensor) -> torch.Tensor:
        """The bound's second term (to subtract from E_P[T]) from product scores."""

    def _loss_fn(self, net: _Critic, x: torch.Tensor,
                 y: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
        def loss(idx: torch.Tensor) -> torch.Tensor:
            joint, prod = self._pairs(net, x[idx], y[idx])
            return -self._objective(joint, prod)

        return loss

    def _value_fn(self, net: _Critic, x: torch.Tensor, y: torch.Tensor,
                  rng: np.random.Generator, batch: int) -> Callable[[], float]:
        """The held-out bound: E_P[T] over the evaluation rows minus the partition term.

        Separable critic: over all n(n-1) off-diagonal pairs of the evaluation rows, in
        chunks of rows. Concatenation critic: over 10 fixed derangements of the rows (drawn
        once, so every evaluation sees the same pairs).
        """
        n = x.shape[0]
        if self.critic == "separable":
            sep = net
            assert isinstance(sep, _SeparableCritic)

            def value_sep() -> float:
                gx, hy = sep.g(x), sep.h(y)
                joint = (gx * hy).sum(1) * sep.scale
                return float(joint.mean() - self._chunked_partition(gx, hy, sep.scale))

            return value_sep
        perms = [torch.as_tensor(rng.permutation(n), device=x.device)
                 for _ in range(_EVAL_SHUFFLES)]

        step = _EVAL_PAIRS

        def scores(xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
            return torch.cat([net.paired(xs[i:i + step], ys[i:i + step])
                              for i in range(0, xs.shape[0], step)])

        def value_cat() -> float:
            joint = scores(x, y)
            prod = torch.cat([scores(x[p], y[torch.roll(p, 1)]) for p in perms])
            return float(joint.mean() - self._partition(prod))

        return value_cat

    def _chunked_partition(self, gx: torch.Tensor, hy: torch.Tensor,
                           scale: float) -> torch.Tensor:
        """:meth:`_partition` over all off-diagonal pairs, from a log-mean-exp in chunks."""
        n = gx.shape[0]
        parts: list[torch.Tensor] = []
        for start in range(0, n, _EVAL_CHUNK):
            stop = min(start + _EVAL_CHUNK, n)
            s = self._transform(gx[start:stop] @ hy.T * scale)
            rows = torch.arange(stop - start, device=s.device)
            s[rows, rows + start] = -math.inf
            parts.append(torch.logsumexp(s.flatten(), 0))
        lme = torch.logsumexp(torch.stack(parts), 0) - math.log(n * (n - 1))
        return self._from_lme(lme)

    def _transform(self, s: torch.Tensor) -> torch.Tensor:
        """φ of the scores inside the log-mean-exp of the partition term (identity for DV)."""
        return s

    def _from_lme(self, lme: torch.Tensor) -> torch.Tensor:
        """The partition term from log mean exp φ(T) over product pairs (identity for DV)."""
        return lme

    # ---------------------------------------------------------------- many snapshots
    def _many_nats(self, xs: Iterable[FloatArray], y: FloatArray) -> FloatArray:
        out: list[float] = []
        state: State | None = None
        shape: tuple[int, int] | None = None
        for x in xs:
            warm = state if (self.warm_steps is not None and shape == x.shape) else None
            run = self._run(x, y, warm)
            state, shape = run.state, x.shape
            out.append(self._finish(run.fit.best_value, run.batch))
        return np.array(out, dtype=np.float64)

    def estimate_many(self, xs: Iterable[npt.ArrayLike], y: npt.ArrayLike) -> FloatArray:
        """I(X_s; Y) for many X_s sharing the same y (e.g. one layer over many epochs).

        With ``warm_steps=None`` (default) each snapshot is an independent estimate, equal to
        ``estimate(x_s, y)``. With ``warm_steps=m``, every snapshot after the first whose shape
        matches the previous one starts from the previous snapshot's trained critic (a fresh
        optimiser) and trains at most ``m`` steps instead of ``steps``: faster, and smoother
        across neighbouring snapshots, at the price of estimates that depend on the order.

        Parameters
        ----------
        xs : iterable of array_like, each shape (n,) or (n, d_s)
        y : array_like, shape (n,) or (n, d_y)

        Returns
        -------
        ndarray of float, shape (n_snapshots,)
            In ``self.unit``.

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> y = rng.standard_normal(400)
        >>> xs = [y + 0.5 * rng.standard_normal(400), rng.standard_normal(400)]
        >>> est = MINE(steps=200, hidden=32, seed=0).estimate_many(xs, y)
        >>> est.shape, bool(est[0] > 0.5 > est[1])  # I = log(1 + 1/0.25)/2 = 0.80, then 0
        ((2,), True)
        """
        ys: FloatArray | None = None
        arrs: list[FloatArray] = []
        for i, x in enumerate(xs):
            xa = as_samples(f"xs[{i}]", x)
            if ys is None:
                ys = as_samples("y", y, n=xa.shape[0])
            elif xa.shape[0] != ys.shape[0]:
                raise ValueError(f"`xs[{i}]` must have the same number of samples as `y` "
                                 f"({ys.shape[0]}), got {xa.shape[0]}.")
            arrs.append(xa)
        if ys is None:
            return np.zeros(0, dtype=np.float64)
        for xa in arrs:
            self._prepare(xa, ys)  # the dimension checks of `estimate`, per snapshot
        return self._many_nats(arrs, ys) / unit_factor(self.unit)

    def _plane_nats(self, t: FloatArray, labels: IntArray) -> tuple[float, float]:
        ixt = row_entropy(t)[0]
        run = self._run(t, _one_hot(labels), None)
        ity = self._finish(run.fit.best_value, run.batch)
        return ixt, ity

    def plane(self, t: npt.ArrayLike, labels: npt.ArrayLike) -> tuple[float, float]:
        """(I(X;T), I(T;Y)) for one layer snapshot, X uniform over the N rows.

        I(T;Y) is the neural bound with the labels one-hot encoded. I(X;T) is not a neural
        estimate: under the row-identity definition (X uniform over the N probe inputs, T a
        deterministic function of X) it equals H(T), computed exactly as the plug-in entropy
        of the distinct rows of ``t`` — log N whenever the rows are distinct, which is the
        degenerate value of any deterministic continuous layer (use Binning or KDE for a
        meaningful compression axis).

        Parameters
        ----------
        t : array_like, shape (N,) or (N, d)
            The layer's activations on the N probe inputs.
        labels : array_like, shape (N,)
            Discrete labels (integer, boolean or string).

        Returns
        -------
        (float, float)
            (I(X;T), I(T;Y)) in ``self.unit``.

        Examples
        --------
        >>> labels = np.repeat([0, 1], 200)
        >>> t = 5.0 * labels[:, None] + np.random.default_rng(0).standard_normal((400, 2))
        >>> ixt, ity = MINE(steps=200, hidden=32, seed=0).plane(t, labels)
        >>> round(ixt, 3)  # log 400: distinct rows give the degenerate value
        5.991
        >>> 0.55 < ity < 0.8  # classes 5 standard deviations apart: I(T;Y) ≈ log 2 = 0.693
        True
        """
        return super().plane(t, labels)

    def plane_many(self, snapshots: Sequence[npt.ArrayLike] | npt.NDArray[np.generic],
                   labels: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """(I(X;T_s), I(T_s;Y)) for many snapshots, warm-started as in :meth:`estimate_many`.

        Parameters
        ----------
        snapshots : sequence of array_like, each shape (N,) or (N, d_s)
        labels : array_like, shape (N,)

        Returns
        -------
        (ndarray, ndarray), each shape (n_snapshots,)
            I(X;T_s) (exact, see :meth:`plane`) and I(T_s;Y) in ``self.unit``.

        Examples
        --------
        >>> labels = np.repeat([0, 1], 50)
        >>> snaps = [np.repeat([[0.0], [1.0]], 50, axis=0), np.zeros((100, 1))]
        >>> ixt, ity = InfoNCE(steps=50, batch_size=20, unit="bits").plane_many(snaps, labels)
        >>> ixt.tolist()  # two distinct rows: 1 bit; one: 0 bits
        [1.0, 0.0]
        """
        ts = [as_samples(f"snapshots[{i}]", t) for i, t in enumerate(snapshots)]
        if not ts:
            empty = np.zeros(0, dtype=np.float64)
            return empty, empty.copy()
        lab = as_labels("labels", labels, n=ts[0].shape[0])
        for i, t in enumerate(ts):
            if t.shape[0] != lab.shape[0]:
                raise ValueError(f"`snapshots[{i}]` must have the same number of samples as "
                                 f"`labels` ({lab.shape[0]}), got {t.shape[0]}.")
        f = unit_factor(self.unit)
        ixt = np.array([row_entropy(t)[0] for t in ts], dtype=np.float64)
        ity = self._many_nats(ts, _one_hot(lab))
        return ixt / f, ity / f


_COMMON_PARAMETERS = """
    hidden, layers : int
        Width and number of hidden layers (SiLU) of the critic's networks; the separable
        critic's embeddings also have ``hidden`` dimensions. Capped at 16384 and 64, and
        refused before training when the critic would not fit in 4 GiB for the data given.
    steps : int
        Largest number of Adam steps (default 1000; early stopping usually ends sooner).
    batch_size : int
        Rows per step (>= 2), capped at the number of training rows.
    lr : float
        Adam learning rate (default 2e-3), annealed to 0 on a cosine over ``steps``.
    eval_fraction : float in [0, 1)
        Share of the rows held out to evaluate the bound and stop early on (default 0.3; 0:
        train and evaluate on all rows, ``steps`` steps, no early stopping — biased upward).
    eval_every : int
        Steps between held-out evaluations (default 20).
    patience : int or None
        Evaluations without improvement before stopping (default 10); None trains ``steps``.
    weight_decay : float
        Adam's L2 penalty (default 0).
    warm_steps : int or None
        Largest number of steps after a warm start in ``estimate_many`` / ``plane_many``.
    device : str
        Torch device: "cpu" (default), "cuda" or "cuda:N" when a GPU is available.
    num_threads : int
        Torch CPU threads while training (restored afterwards); small MLPs are fastest with 1.
    unit : {"nats", "bits"}
    seed : int
"""


# -------------------------------------------------------------------------------- MINE

@dataclass(frozen=True, kw_only=True)
class MINE(_NeuralEstimator):
    r"""Mutual Information Neural Estimation (Belghazi et al. 2018).

    Maximises the Donsker–Varadhan bound (Belghazi et al., Eq. 10)
    :math:`I(X;Y) \ge \mathbb{E}_P[T] - \log \mathbb{E}_Q[e^{T}]` over a statistics network
    ``T(x, y)`` (by default an MLP on the concatenation ``[x, y]``, fed K joint pairs and K
    shuffled pairs per step), P the joint and Q the product of the marginals. The gradient of
    the ``log E_Q[e^T]`` term is bias-corrected as in the paper (Section 3.2): its denominator,
    the mini-batch mean of e^T, is replaced by an exponential moving average with rate ``ema``.
    The estimate is the DV bound on the held-out rows (see the module notes), with E_Q over
    10 derangements of their ``y`` (concatenation critic) or all off-diagonal pairs
    (separable critic).

    Parameters
    ----------
    ema : float in (0, 1]
        Rate of the moving average of E_Q[e^T] in the corrected gradient (1 gives the plain,
        biased mini-batch gradient of Belghazi et al.'s "MINE (biased)").
    estimator : {"mine", "mine_f"}
        "mine": DV bound with the corrected gradient; "mine_f": the f-divergence (NWJ) bound
        E_P[T] - E_Q[e^(T-1)] (the same as :class:`NWJ` with ``critic="concat"``).
    critic : {"concat", "separable"}
        "concat" (default): T = MLP([x, y]) on K joint and K product pairs per step;
        "separable": T = g(x)ᵀh(y)/√hidden on all K x K pairs.
    {common}
    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(500)
    >>> y = 0.9 * x + np.sqrt(1 - 0.9**2) * rng.standard_normal(500)  # I = 0.83 nats
    >>> est = MINE(steps=150, hidden=32, lr=1e-2, seed=0).estimate(x, y)
    >>> 0.65 < est < 0.95
    True
    """

    ema: float = 0.01
    estimator: Literal["mine", "mine_f"] = "mine"
    critic: Literal["separable", "concat"] = "concat"

    def _check(self) -> None:
        super()._check()
        rate = as_float("ema", self.ema, min_value=0.0, strict_min=True)
        if rate > 1.0:
            raise fail("ema", "in (0, 1] (the moving-average rate)", self.ema)
        choice("estimator", self.estimator, ("mine", "mine_f"))

    def _bound(self) -> str:
        return "nwj" if self.estimator == "mine_f" else "dv"

    def _objective(self, joint: torch.Tensor, prod: torch.Tensor) -> torch.Tensor:
        return joint.mean() - self._partition(prod)

    def _partition(self, prod: torch.Tensor) -> torch.Tensor:
        if self.estimator == "mine_f":
            return torch.exp(prod).mean() - 1.0  # NWJ with T = f + 1, as in NWJ
        return _log_mean_exp(prod)

    def _from_lme(self, lme: torch.Tensor) -> torch.Tensor:
        return torch.exp(lme) - 1.0 if self.estimator == "mine_f" else lme

    def _loss_fn(self, net: _Critic, x: torch.Tensor,
                 y: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
        if self.estimator == "mine_f":
            return super()._loss_fn(net, x, y)
        rate = self.ema
        log_rate, log_keep = math.log(rate), (math.log1p(-rate) if rate < 1.0 else 0.0)
        ema: list[torch.Tensor] = []

        def loss(idx: torch.Tensor) -> torch.Tensor:
            joint, prod = self._pairs(net, x[idx], y[idx])
            lme = _log_mean_exp(prod)  # log of the batch mean of e^T
            cur = lme.detach()
            if not ema or rate >= 1.0:
                ema[:] = [cur]
            else:
                ema[0] = torch.logaddexp(ema[0] + log_keep, cur + log_rate)
            # d/dθ exp(lme - log_ema) = (d/dθ mean e^T) / EMA: the corrected gradient.
            return torch.exp(lme - ema[0]) - joint.mean()

        return loss


# --------------------------------------------------------------------------------- NWJ

@dataclass(frozen=True, kw_only=True)
class NWJ(_NeuralEstimator):
    r"""The Nguyen–Wainwright–Jordan (f-divergence) lower bound.

    :math:`I(X;Y) \ge \mathbb{E}_P[T] - \mathbb{E}_Q[e^{T-1}]` for any critic T (the
    variational form of the KL divergence, Nguyen et al. 2010, Eq. 14 with f(u) = u log u;
    "I_NWJ", Poole et al. 2019, Eq. 9). Tight at T = 1 + log p(x,y)/(p(x)p(y)). The critic
    network outputs f = T - 1, so the bound reads 1 + E_P[f] - E_Q[e^f] and the
    zero-initialised critic starts at exactly 0 (see the module notes). Unlike DV no
    logarithm of a sample mean, so the mini-batch objective and its gradient are unbiased, and
    its value on held-out rows is an unbiased estimate of a lower bound for the trained critic.
    Its variance grows like e^I (Song & Ermon 2020, Theorem 2): prefer :class:`SMILE` or
    :class:`InfoNCE` above a few nats.

    Parameters
    ----------
    critic : {"separable", "concat"}
        "separable" (default): f = g(x)ᵀh(y)/√hidden on all K x K pairs of a batch;
        "concat": T = MLP([x, y]) on K joint and K product pairs.
    {common}
    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(500)
    >>> y = 0.9 * x + np.sqrt(1 - 0.9**2) * rng.standard_normal(500)  # I = 0.83 nats
    >>> 0.65 < NWJ(steps=150, hidden=32, lr=1e-2, seed=0).estimate(x, y) < 0.95
    True
    """

    _bound_name: ClassVar[str] = "nwj"

    def _objective(self, joint: torch.Tensor, prod: torch.Tensor) -> torch.Tensor:
        return joint.mean() - self._partition(prod)

    def _partition(self, prod: torch.Tensor) -> torch.Tensor:
        return torch.exp(prod).mean() - 1.0

    def _from_lme(self, lme: torch.Tensor) -> torch.Tensor:
        return torch.exp(lme) - 1.0


# ------------------------------------------------------------------------------- SMILE

@dataclass(frozen=True, kw_only=True)
class SMILE(_NeuralEstimator):
    r"""The Smoothed Mutual Information "Lower-bound" Estimator (Song & Ermon 2020).

    .. math:: I_{\mathrm{SMILE}}(T, \tau) = \mathbb{E}_P[T]
              - \log \mathbb{E}_Q\big[\mathrm{clip}(e^{T}, e^{-\tau}, e^{\tau})\big]

    (Song & Ermon, Section 5): the DV bound with the density ratio clipped to
    [e^-τ, e^τ] in the partition term only. Clipping bounds the variance of the partition
    estimate by (e^τ - e^-τ)²/(4M) for M product pairs (their Theorem 3) instead of the e^I
    growth of MINE and NWJ (their Theorems 1-2), at the price of a bias that vanishes as
    τ → ∞ (τ = ∞ is the DV value of MINE). The critic is trained on the Jensen–Shannon
    lower bound :math:`\mathbb{E}_P[-\mathrm{softplus}(-T)] - \mathbb{E}_Q[\mathrm{softplus}(T)]`
    (the f-GAN JS objective, Nowozin et al. 2016; Poole et al. 2019, Section 2.3), whose
    maximiser is the log density ratio, as in the authors' reference implementation; the
    reported value — and the early-stopping criterion — is I_SMILE on the held-out rows.
    (Training on I_SMILE itself is ill-posed: once T > τ on the product pairs, raising T
    everywhere raises the clipped bound without limit.)

    Parameters
    ----------
    tau : float > 0
        The clip τ (default 5, the paper's recommended setting; its Figure 1 also shows 1
        and ∞). Pass ``math.inf`` for the unclipped DV value of the JS-trained critic.
    critic : {"separable", "concat"}
        "separable" (default): all K x K pairs of a batch; "concat": K joint and K product
        pairs of an MLP on [x, y].
    {common}
    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(500)
    >>> y = 0.9 * x + np.sqrt(1 - 0.9**2) * rng.standard_normal(500)  # I = 0.83 nats
    >>> 0.65 < SMILE(steps=150, hidden=32, lr=1e-2, seed=0).estimate(x, y) < 0.95
    True
    """

    tau: float = 5.0

    _bound_name: ClassVar[str] = "smile"

    def _check(self) -> None:
        super()._check()
        if isinstance(self.tau, float) and self.tau == math.inf:
            return
        as_float("tau", self.tau, min_value=0.0, strict_min=True)

    def _objective(self, joint: torch.Tensor, prod: torch.Tensor) -> torch.Tensor:
        return (-F.softplus(-joint)).mean() - F.softplus(prod).mean()

    def _transform(self, s: torch.Tensor) -> torch.Tensor:
        if self.tau == math.inf:
            return s
        return torch.clamp(s, -self.tau, self.tau)

    def _partition(self, prod: torch.Tensor) -> torch.Tensor:
        return _log_mean_exp(self._transform(prod))


# ------------------------------------------------------------------------------ InfoNCE

@dataclass(frozen=True, kw_only=True)
class InfoNCE(_NeuralEstimator):
    r"""The InfoNCE lower bound (van den Oord et al. 2018; Poole et al. 2019, Eq. 12).

    For batches of K pairs and a critic f,

    .. math:: I(X;Y) \ge \log K + \frac{1}{K}\sum_i \Big[f(x_i, y_i)
              - \log \sum_{j=1}^{K} e^{f(x_i, y_j)}\Big],

    each row a K-way classification of the true partner. The bound never exceeds
    :attr:`ceiling` = log K (K = ``batch_size``), so it is biased low whenever I(X;Y) is not
    well below log K; a warning is issued when the estimate is within 5% of the ceiling.
    Its spread between seeds stays small at high MI, where MINE's grows. The held-out bound
    is evaluated on the evaluation rows split into disjoint batches of K, averaged over 10
    random splits drawn once.

    Parameters
    ----------
    batch_size : int
        K, the batch size of training *and* evaluation (>= 2). When it exceeds the training or
        the evaluation rows it is lowered to their number, with a warning. The ceiling is
        log K.
    critic : {"separable", "concat"}
        "separable" (default): f(x, y) = g(x)ᵀh(y)/√hidden, two MLPs and one K x K product
        per batch (cheap); "concat": f(x, y) = MLP([x, y]) on all K² pairs (more flexible,
        about K times the work per step: use a smaller ``batch_size`` or ``layers=1``).
    {common}
    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(500)
    >>> y = 0.9 * x + np.sqrt(1 - 0.9**2) * rng.standard_normal(500)  # I = 0.83 nats
    >>> nce = InfoNCE(batch_size=100, steps=150, hidden=32, lr=1e-2, seed=0)
    >>> round(nce.ceiling, 3)  # log 100
    4.605
    >>> 0.6 < nce.estimate(x, y) < 0.83 + 0.1
    True
    """

    _bound_name: ClassVar[str] = "infonce"

    @property
    def ceiling(self) -> float:
        """log(batch_size) in ``self.unit``: no InfoNCE estimate can exceed it."""
        return math.log(self.batch_size) / unit_factor(self.unit)

    def _train_batch(self, n_train: int, n_eval: int) -> int:
        k = min(self.batch_size, n_train, n_eval)
        if k < self.batch_size:
            where = "data" if self.eval_fraction == 0.0 else "smaller side of the split"
            warn(f"InfoNCE: `batch_size` {self.batch_size} is more than the "
                 f"{min(n_train, n_eval)} rows of the {where}; using K = {k} (ceiling log K "
                 f"= {math.log(k):.3f} nats). Pass a smaller `batch_size` to silence this.")
        return k

    def _concat_pairs(self, batch: int) -> int:
        return batch * batch

    def _eval_block(self, batch: int, n_eval: int) -> int:
        return batch * batch

    def _finish(self, nats: float, batch: int) -> float:
        top = math.log(batch)
        if nats >= (1.0 - _CEILING_MARGIN) * top:
            warn(f"InfoNCE estimate {nats:.3f} nats is within {_CEILING_MARGIN:.0%} of its "
                 f"ceiling log(batch_size) = {top:.3f} nats: the true I(X;Y) may be much larger; "
                 "raise `batch_size`.")
        return nats

    def _nce(self, scores: torch.Tensor) -> torch.Tensor:
        """log K + mean over rows of f(x_i, y_i) - logsumexp_j f(x_i, y_j)."""
        k = scores.shape[0]
        return math.log(k) + (torch.diagonal(scores) - torch.logsumexp(scores, dim=1)).mean()

    def _objective(self, joint: torch.Tensor, prod: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError  # InfoNCE works on the score matrix (see _loss_fn)

    def _partition(self, prod: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _loss_fn(self, net: _Critic, x: torch.Tensor,
                 y: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
        def loss(idx: torch.Tensor) -> torch.Tensor:
            return -self._nce(net.matrix(x[idx], y[idx]))

        return loss

    def _value_fn(self, net: _Critic, x: torch.Tensor, y: torch.Tensor,
                  rng: np.random.Generator, batch: int) -> Callable[[], float]:
        k = batch
        per = x.shape[0] // k
        rows = np.concatenate([rng.permutation(x.shape[0])[: per * k].reshape(per, k)
                               for _ in range(_EVAL_SHUFFLES)])
        batches = torch.as_tensor(rows, device=x.device)

        def value() -> float:
            if isinstance(net, _SeparableCritic):  # embed every row once
                gx, hy = net.g(x), net.h(y)
                vals = [self._nce(gx[b] @ hy[b].T * net.scale) for b in batches]
            else:
                vals = [self._nce(net.matrix(x[b], y[b])) for b in batches]
            return float(torch.stack(vals).mean())

        return value


for _cls in (MINE, NWJ, SMILE, InfoNCE):
    if _cls.__doc__:
        _cls.__doc__ = _cls.__doc__.replace("    {common}\n", _COMMON_PARAMETERS.lstrip("\n"))
