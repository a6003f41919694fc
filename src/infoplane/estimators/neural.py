"""Neural variational lower bounds on mutual information: MINE and InfoNCE.

Both estimators train a small critic network by stochastic gradient ascent on a variational
lower bound of I(X;Y) and report that bound, evaluated once more after training.

* :class:`MINE` — the Donsker–Varadhan (DV) bound
  ``I(X;Y) >= E_P[T] - log E_Q[e^T]`` (P the joint, Q = P_X ⊗ P_Y the product of marginals)
  with a statistics network T(x, y), trained with the bias-corrected gradient of Belghazi et
  al. (2018); ``estimator="mine_f"`` uses the f-divergence (NWJ) bound
  ``I(X;Y) >= E_P[T] - E_Q[e^(T-1)]`` instead.
* :class:`InfoNCE` — ``I(X;Y) >= log K + E[f(x_i, y_i) - log Σ_j e^(f(x_i, y_j))]`` over
  batches of K pairs (van den Oord et al. 2018; Poole et al. 2019), which can never exceed
  ``log K``: the estimator's :attr:`InfoNCE.ceiling`.

What these numbers are, and are not
-----------------------------------
* They are *estimates of lower bounds*, with a bias that depends on the critic's capacity,
  the number of steps, and the sample size; they are high-variance (the DV and NWJ bounds have
  a variance that grows like e^I, McAllester & Stratos 2020; Song & Ermon 2020). Treat
  differences below ~0.05 nats at N = 2000 as noise, and compare seeds.
* The NWJ value of a *fixed* critic is an unbiased estimate of a lower bound only on samples
  the critic was not trained on (``eval_fraction > 0``). The DV value additionally takes the
  log of a sample mean, which biases it *upward* by about ``Var(e^T) / (2 M E[e^T]^2)`` for M
  product-of-marginal pairs (Jensen), so DV is a lower bound in expectation only on fresh
  samples *and* asymptotically in M; evaluating over several shuffles of the marginals (M =
  10 × the evaluation size here) keeps that term small. On the training samples
  (``eval_fraction=0``) both are biased upward by over-fitting, which is small with the
  defaults at N ≳ 1000 but grows with the critic's size and the number of steps.
* Nothing is clamped: with independent X and Y the estimate scatters around (mostly slightly
  below, for held-out evaluation) zero.

Cost and measured accuracy
--------------------------
With the defaults, one estimate on N = 2000 samples with d <= 10 takes about 1-2 s of one CPU
core (MINE: 1000 steps; InfoNCE: 500 steps; batches of 256). On Gaussian pairs (N = 2000, 5
seeds; full table in ``tests/test_estimators_neural.py``) all three bounds are within 5% of
the truth for I <= 1.5 nats up to d = 10, 8-14% low at I = 4.15 nats (d = 5, rho = 0.9), and
read +0.02 to +0.05 nats (d = 5) or +0.06 to +0.13 nats (d = 10) on independent data, the
over-fitting bias of evaluating on the training samples. Evaluating on a held-out quarter
(``eval_fraction=0.25``) removes that bias (independent d = 5: -0.02 to -0.06) at the price of
three times the seed-to-seed spread, which is why it is not the default.

Conventions
-----------
Inputs are standardised per feature (zero mean, unit variance; a constant feature is only
centred) before training: mutual information is invariant under invertible per-feature affine
maps, and the optimiser is not. Training runs in float32 on ``device`` with ``num_threads``
CPU threads (restored afterwards); randomness comes only from ``seed`` (a NumPy generator for
splits and batches, and a forked, seeded torch CPU generator for initialisation), so the
global RNG states are untouched and the same seed gives the same number on CPU.

The information plane (:meth:`MINE.plane`, :meth:`InfoNCE.plane`) returns I(T;Y) by the neural
bound with the labels one-hot encoded, and I(X;T) = H(T) *exactly* under the row-identity
definition of :mod:`infoplane.estimators.base` (X uniform over the N probe inputs, T a
deterministic function of X): the plug-in entropy of T's distinct rows. For a continuous T
with distinct rows that is log N, whatever the network does. This is the interpretation
paper's own definition for a deterministic map of a discrete X (Appendix C, Eq. 40:
I(X; g(X)) = H(X) when g is injective on the sample), and its caveat (Section 1.3.2, item 3;
Appendix C): for continuous X and an invertible T the quantity is infinite, so it carries no
information about compression. A neural bound on I(X;T) would be an artefact of the critic's
capacity, not a property of the layer, so none is offered; use a binning or noise-based
estimator (Binning, KDE) for a compression axis. I(T;Y) with discrete Y is well defined
(Appendix C) and is what the neural bounds estimate.

References
----------
Belghazi, M. I., et al. (2018). Mutual Information Neural Estimation. ICML.
Nguyen, X., Wainwright, M. J., Jordan, M. I. (2010). Estimating divergence functionals and the
likelihood ratio by convex risk minimization. IEEE Trans. Inf. Theory.
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
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from infoplane._typing import FloatArray, IntArray
from infoplane._validation import as_float, as_int, choice, fail, unit_factor
from infoplane.estimators.base import (
    Estimator,
    as_labels,
    as_samples,
    row_entropy,
    standardised,
    warn,
)

__all__ = ["MINE", "InfoNCE"]

#: Number of shuffles of the marginals averaged in the final evaluation.
_EVAL_SHUFFLES = 10
#: InfoNCE warns when its estimate is within this fraction of the ceiling log K.
_CEILING_MARGIN = 0.05

State = dict[str, torch.Tensor]


# ---------------------------------------------------------------------------- networks

def _mlp(d_in: int, hidden: int, layers: int, d_out: int) -> nn.Sequential:
    """``layers`` hidden layers of width ``hidden`` with SiLU, then a linear output.

    SiLU rather than ReLU: smooth critics over-fitted the N = 2000 Gaussian benchmarks far
    less (MINE, d = 5, independent: +0.02 nats against +0.27 with ReLU), and SiLU costs about
    1.5x ReLU on a CPU where ELU/softplus cost 7x.
    """
    mods: list[nn.Module] = []
    width = d_in
    for _ in range(layers):
        mods += [nn.Linear(width, hidden), nn.SiLU()]
        width = hidden
    mods.append(nn.Linear(width, d_out))
    return nn.Sequential(*mods)


class _ConcatStatistic(nn.Module):
    """T(x, y) = MLP([x, y]) for paired rows (MINE's statistics network)."""

    def __init__(self, dx: int, dy: int, hidden: int, layers: int) -> None:
        super().__init__()
        self.net = _mlp(dx + dy, hidden, layers, 1)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, y], dim=1)).squeeze(1)


class _SeparableCritic(nn.Module):
    """Scores f(x_i, y_j) = g(x_i)ᵀ h(y_j) / √hidden for all pairs of a batch (K x K)."""

    def __init__(self, dx: int, dy: int, hidden: int, layers: int) -> None:
        super().__init__()
        self.g = _mlp(dx, hidden, layers, hidden)
        self.h = _mlp(dy, hidden, layers, hidden)
        self.scale = 1.0 / math.sqrt(hidden)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (self.g(x) @ self.h(y).T) * self.scale


class _ConcatCritic(nn.Module):
    """Scores f(x_i, y_j) = MLP([x_i, y_j]) for all K² pairs of a batch.

    The first layer is split, W[x; y] = W_x x + W_y y, so it costs 2K rows instead of K², but
    every later layer runs on K² rows: K² / K times the separable critic's work.
    """

    def __init__(self, dx: int, dy: int, hidden: int, layers: int) -> None:
        super().__init__()
        self.wx = nn.Linear(dx, hidden)
        self.wy = nn.Linear(dy, hidden, bias=False)
        self.rest = nn.Sequential(nn.SiLU(), _mlp(hidden, hidden, layers - 1, 1))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        pre = self.wx(x)[:, None, :] + self.wy(y)[None, :, :]
        return self.rest(pre).squeeze(-1)


# ------------------------------------------------------------------------ common base

def _one_hot(labels: IntArray) -> FloatArray:
    out = np.zeros((labels.shape[0], int(labels.max()) + 1), dtype=np.float64)
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out


@dataclass(frozen=True, kw_only=True)
class _NeuralEstimator(Estimator):
    """Shared options, validation, torch session, split and warm start of the neural bounds."""

    hidden: int = 64
    layers: int = 2
    steps: int = 1000
    batch_size: int = 256
    lr: float = 2e-3
    eval_fraction: float = 0.0
    warm_steps: int | None = None
    device: str = "cpu"
    num_threads: int = 1

    y_discrete: ClassVar[bool] = False

    def _check(self) -> None:
        as_int("hidden", self.hidden, min_value=1)
        as_int("layers", self.layers, min_value=1)
        as_int("steps", self.steps, min_value=1)
        as_int("batch_size", self.batch_size, min_value=2)
        as_float("lr", self.lr, min_value=0.0, strict_min=True)
        frac = as_float("eval_fraction", self.eval_fraction, min_value=0.0)
        if frac >= 1.0:
            raise fail("eval_fraction", "in [0, 1) (the held-out share of the samples)",
                       self.eval_fraction)
        if self.warm_steps is not None:
            as_int("warm_steps", self.warm_steps, min_value=1)
        as_int("num_threads", self.num_threads, min_value=1)
        if not isinstance(self.device, str):
            raise TypeError(f"`device` must be a string such as 'cpu' or 'cuda:0', "
                            f"got {self.device!r}.")
        try:
            dev = torch.device(self.device)
        except (RuntimeError, ValueError) as exc:
            raise fail("device", "a torch device name such as 'cpu' or 'cuda:0'",
                       self.device) from exc
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise fail("device", "an available device", self.device,
                       "(torch.cuda.is_available() is False; use device='cpu').")

    # ------------------------------------------------------------------ torch session
    @contextmanager
    def _session(self) -> Iterator[torch.device]:
        """Seeded, forked CPU RNG and ``num_threads`` threads, both restored on exit.

        Networks are initialised on the CPU (from the forked generator) and then moved, and
        batches are drawn by NumPy, so no accelerator RNG is ever consumed.
        """
        threads = torch.get_num_threads()
        with torch.random.fork_rng(devices=[]):
            torch.random.default_generator.manual_seed(self.seed)  # CPU only, restored
            try:
                torch.set_num_threads(self.num_threads)
                yield torch.device(self.device)
            finally:
                torch.set_num_threads(threads)

    # ----------------------------------------------------------------- one estimate
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

    def _run(self, x: FloatArray, y: FloatArray,
             init: State | None) -> tuple[float, State]:
        """Train (from ``init`` when given, for ``warm_steps``) and evaluate: (nats, state)."""
        rng = np.random.default_rng(self.seed)
        train, held = self._split(x.shape[0], rng)
        self._check_sizes(train.shape[0], held.shape[0])
        with self._session() as dev:
            net = self._build(x.shape[1], y.shape[1])
            steps = self.steps
            if init is not None and self.warm_steps is not None:
                net.load_state_dict(init)
                steps = self.warm_steps
            net.to(dev)
            xt = torch.as_tensor(standardised(x), dtype=torch.float32, device=dev)
            yt = torch.as_tensor(standardised(y), dtype=torch.float32, device=dev)
            tr = torch.as_tensor(train, device=dev)
            ev = torch.as_tensor(held, device=dev)
            net.train()
            self._train(net, xt[tr], yt[tr], rng, steps)
            net.eval()
            with torch.no_grad():
                value = self._evaluate(net, xt[ev], yt[ev], rng)
            state = {k: v.detach().to("cpu").clone() for k, v in net.state_dict().items()}
        return value, state

    def _estimate_nats(self, x: FloatArray, y: Any) -> float:
        return self._finish(self._run(x, y, None)[0])

    def _finish(self, nats: float) -> float:
        """Hook applied to every final value (InfoNCE's ceiling warning)."""
        return nats

    def _check_sizes(self, n_train: int, n_eval: int) -> None:
        """Reject sample sizes the bound cannot use (override)."""

    def _optimiser(self, net: nn.Module, steps: int) -> tuple[torch.optim.Optimizer,
                                                               torch.optim.lr_scheduler.LRScheduler]:
        """Adam with the learning rate annealed from ``lr`` to 0 on a cosine over ``steps``.

        The decay matters: with a constant rate the DV critic at high MI oscillates, and the
        last iterate can sit far below the bound reached a few hundred steps earlier (measured
        at d = 5, rho = 0.9: 1.86 nats against 3.5-3.9 for neighbouring checkpoints).
        """
        opt = torch.optim.Adam(net.parameters(), lr=self.lr, foreach=True)
        return opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)

    @abstractmethod
    def _build(self, dx: int, dy: int) -> nn.Module:
        """A freshly initialised critic."""

    @abstractmethod
    def _train(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor,
               rng: np.random.Generator, steps: int) -> None:
        """``steps`` Adam steps on the bound, batches drawn from ``rng``."""

    @abstractmethod
    def _evaluate(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor,
                  rng: np.random.Generator) -> float:
        """The bound (nats) of the trained critic on the evaluation rows."""

    # ---------------------------------------------------------------- many snapshots
    def _many_nats(self, xs: Iterable[FloatArray], y: FloatArray) -> FloatArray:
        out: list[float] = []
        state: State | None = None
        shape: tuple[int, int] | None = None
        for x in xs:
            warm = state if (self.warm_steps is not None and shape == x.shape) else None
            value, state = self._run(x, y, warm)
            shape = x.shape
            out.append(self._finish(value))
        return np.array(out, dtype=np.float64)

    def estimate_many(self, xs: Iterable[npt.ArrayLike], y: npt.ArrayLike) -> FloatArray:
        """I(X_s; Y) for many X_s sharing the same y (e.g. one layer over many epochs).

        With ``warm_steps=None`` (default) each snapshot is an independent estimate, equal to
        ``estimate(x_s, y)``. With ``warm_steps=m``, every snapshot after the first whose shape
        matches the previous one starts from the previous snapshot's trained critic (a fresh
        optimiser) and trains ``m`` steps instead of ``steps``: faster, and smoother across
        neighbouring snapshots, at the price of estimates that depend on the order.

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
        >>> y = rng.standard_normal(200)
        >>> xs = [y + 0.5 * rng.standard_normal(200), rng.standard_normal(200)]
        >>> est = MINE(steps=200, seed=0).estimate_many(xs, y)
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
        return self._many_nats(arrs, ys) / unit_factor(self.unit)

    def _plane_nats(self, t: FloatArray, labels: IntArray) -> tuple[float, float]:
        ixt = row_entropy(t)[0]
        ity = self._finish(self._run(t, _one_hot(labels), None)[0])
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
        >>> labels = np.repeat([0, 1], 100)
        >>> t = 5.0 * labels[:, None] + np.random.default_rng(0).standard_normal((200, 2))
        >>> ixt, ity = MINE(steps=200, hidden=16, seed=0).plane(t, labels)
        >>> round(ixt, 3)  # log 200: distinct rows give the degenerate value
        5.298
        >>> 0.55 < ity < 0.8  # classes 5 standard deviations apart: I(T;Y) ≈ log 2 = 0.693
        True
        """
        return super().plane(t, labels)

    def plane_many(self, snapshots: Sequence[npt.ArrayLike] | npt.NDArray[Any],
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


# -------------------------------------------------------------------------------- MINE

@dataclass(frozen=True, kw_only=True)
class MINE(_NeuralEstimator):
    r"""Mutual Information Neural Estimation (Belghazi et al. 2018).

    Maximises the Donsker–Varadhan bound
    :math:`I(X;Y) \ge \mathbb{E}_P[T] - \log \mathbb{E}_Q[e^{T}]` over a statistics network
    ``T(x, y)`` (an MLP on the concatenation ``[x, y]``), P the joint and Q the product of the
    marginals (pairs with ``y`` drawn independently of ``x``). The gradient of the
    ``log E_Q[e^T]`` term is bias-corrected as in the paper: its denominator, the mini-batch
    mean of e^T, is replaced by an exponential moving average with rate ``ema``.

    After training, the bound is evaluated on the held-out ``eval_fraction`` of the samples
    (or on all of them when 0): E_P[T] over the evaluation pairs and E_Q[e^T] over
    10 derangements of their ``y`` (no pair kept). See the module notes for the sign of the
    biases: NWJ (``estimator="mine_f"``) on held-out samples is a lower bound in expectation;
    DV only asymptotically, and both are biased upward on training samples. Either way the
    number is a biased, high-variance estimate (variance growing like e^I): compare seeds
    before reading differences below ~0.05 nats, and expect large MI to be underestimated.

    Parameters
    ----------
    hidden, layers : int
        Width and number of hidden layers (SiLU) of the statistics network.
    steps : int
        Adam steps (default 1000).
    batch_size : int
        Joint pairs per step (as many product pairs); capped at the training size. >= 2.
    lr : float
        Adam learning rate (default 2e-3), annealed to 0 on a cosine.
    ema : float in (0, 1]
        Rate of the moving average of E_Q[e^T] in the corrected gradient (1 gives the plain,
        biased mini-batch gradient of Belghazi et al.'s "MINE (biased)").
    estimator : {"mine", "mine_f"}
        "mine": DV bound with the corrected gradient; "mine_f": the f-divergence (NWJ) bound
        E_P[T] - E_Q[e^(T-1)], whose mini-batch gradient is unbiased.
    eval_fraction : float in [0, 1)
        Share of the samples held out for the final evaluation (0: train and evaluate on
        all; default, see the measurements in the tests).
    warm_steps : int or None
        Steps after a warm start in :meth:`estimate_many` / :meth:`plane_many`.
    device : str
        Torch device; "cpu" default.
    num_threads : int
        Torch CPU threads while training (restored afterwards); small MLPs are fastest with 1.
    unit : {"nats", "bits"}
    seed : int

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(500)
    >>> y = 0.9 * x + np.sqrt(1 - 0.9**2) * rng.standard_normal(500)  # I = 0.83 nats
    >>> est = MINE(steps=300, seed=0).estimate(x, y)
    >>> 0.5 < est < 1.1
    True
    """

    ema: float = 0.01
    estimator: Literal["mine", "mine_f"] = "mine"

    def _check(self) -> None:
        super()._check()
        rate = as_float("ema", self.ema, min_value=0.0, strict_min=True)
        if rate > 1.0:
            raise fail("ema", "in (0, 1] (the moving-average rate)", self.ema)
        choice("estimator", self.estimator, ("mine", "mine_f"))

    def _build(self, dx: int, dy: int) -> nn.Module:
        return _ConcatStatistic(dx, dy, self.hidden, self.layers)

    def _train(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor,
               rng: np.random.Generator, steps: int) -> None:
        n = x.shape[0]
        b = min(self.batch_size, n)
        opt, sched = self._optimiser(net, steps)
        joint = torch.as_tensor(rng.integers(0, n, size=(steps, b)), device=x.device)
        marg = torch.as_tensor(rng.integers(0, n, size=(steps, b)), device=x.device)
        log_b = math.log(b)
        log_rate, log_keep = math.log(self.ema), math.log1p(-self.ema) if self.ema < 1 else 0.0
        log_ema: torch.Tensor | None = None
        for s in range(steps):
            xb = x[joint[s]]
            t_joint = net(xb, y[joint[s]])
            t_marg = net(xb, y[marg[s]])
            if self.estimator == "mine_f":
                loss = torch.exp(t_marg - 1.0).mean() - t_joint.mean()
            else:
                lme = torch.logsumexp(t_marg, 0) - log_b  # log of the batch mean of e^T
                cur = lme.detach()
                if log_ema is None or self.ema >= 1.0:
                    log_ema = cur
                else:
                    log_ema = torch.logaddexp(log_ema + log_keep, cur + log_rate)
                # d/dθ exp(lme - log_ema) = (d/dθ mean e^T) / EMA: the corrected gradient.
                loss = torch.exp(lme - log_ema) - t_joint.mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()

    def _evaluate(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor,
                  rng: np.random.Generator) -> float:
        n = x.shape[0]
        e_joint = net(x, y).mean()
        marg: list[torch.Tensor] = []
        for _ in range(_EVAL_SHUFFLES):
            perm = torch.as_tensor(rng.permutation(n), device=x.device)
            # pair x_perm[i] with y_perm[i+1]: a derangement, no joint pair in the product
            marg.append(net(x[perm], y[torch.roll(perm, 1)]))
        t_marg = torch.cat(marg)
        if self.estimator == "mine_f":
            value = e_joint - torch.exp(t_marg - 1.0).mean()
        else:
            value = e_joint - (torch.logsumexp(t_marg, 0) - math.log(t_marg.shape[0]))
        return float(value)


# ------------------------------------------------------------------------------ InfoNCE

@dataclass(frozen=True, kw_only=True)
class InfoNCE(_NeuralEstimator):
    r"""The InfoNCE lower bound (van den Oord et al. 2018; Poole et al. 2019).

    For batches of K pairs and a critic f,

    .. math:: I(X;Y) \ge \log K + \frac{1}{K}\sum_i \Big[f(x_i, y_i)
              - \log \sum_{j=1}^{K} e^{f(x_i, y_j)}\Big],

    each row a K-way classification of the true partner. The bound never exceeds
    :attr:`ceiling` = log K (K = ``batch_size``), so it is biased low whenever I(X;Y) is not
    well below log K; a warning is issued when the estimate is within 5% of the ceiling.
    Its spread between seeds stays small at high MI, where MINE's grows. After training, the
    bound is evaluated on the evaluation rows split into disjoint batches of K, averaged over
    10 random splits.

    Parameters
    ----------
    hidden, layers : int
        Width and number of hidden layers (SiLU) of the critic's networks; the separable
        critic's embeddings also have ``hidden`` dimensions.
    steps : int
        Adam steps (default 500: the separable critic learns fast and over-fits
        sooner than MINE's).
    batch_size : int
        K, the batch size of training *and* evaluation; >= 2 and at most the number of
        training (and evaluation) samples. The ceiling is log K.
    lr : float
        Adam learning rate (default 1e-3), annealed to 0 on a cosine.
    critic : {"separable", "concat"}
        "separable": f(x, y) = g(x)ᵀh(y)/√hidden, two MLPs and one K x K product per batch
        (cheap); "concat": f(x, y) = MLP([x, y]) on all K² pairs (more flexible, about K
        times the work per step: use a smaller ``batch_size`` or ``layers=1`` on a CPU).
    eval_fraction : float in [0, 1)
        Share of the samples held out for the final evaluation (0: all).
    warm_steps : int or None
        Steps after a warm start in :meth:`estimate_many` / :meth:`plane_many`.
    device : str
    num_threads : int
    unit : {"nats", "bits"}
    seed : int

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(500)
    >>> y = 0.9 * x + np.sqrt(1 - 0.9**2) * rng.standard_normal(500)  # I = 0.83 nats
    >>> nce = InfoNCE(steps=200, batch_size=100, seed=0)
    >>> round(nce.ceiling, 3)  # log 100
    4.605
    >>> 0.5 < nce.estimate(x, y) < 0.83 + 0.1
    True
    """

    steps: int = 500
    lr: float = 1e-3
    critic: Literal["separable", "concat"] = "separable"

    def _check(self) -> None:
        super()._check()
        choice("critic", self.critic, ("separable", "concat"))

    @property
    def ceiling(self) -> float:
        """log(batch_size) in ``self.unit``: no InfoNCE estimate can exceed it."""
        return math.log(self.batch_size) / unit_factor(self.unit)

    def _check_sizes(self, n_train: int, n_eval: int) -> None:
        smallest = min(n_train, n_eval)
        if self.batch_size > smallest:
            where = "data" if self.eval_fraction == 0.0 else "training/evaluation split"
            raise ValueError(f"`batch_size` must be <= the number of samples in each "
                             f"{where} ({smallest}), got {self.batch_size!r}. Lower "
                             f"`batch_size` (the ceiling log K drops with it) or "
                             f"`eval_fraction`.")

    def _finish(self, nats: float) -> float:
        top = math.log(self.batch_size)
        if nats >= (1.0 - _CEILING_MARGIN) * top:
            warn(f"InfoNCE estimate {nats:.3f} nats is within {_CEILING_MARGIN:.0%} of its "
                 f"ceiling log(batch_size) = {top:.3f} nats: the true I(X;Y) may be much larger; "
                 "raise `batch_size`.")
        return nats

    def _build(self, dx: int, dy: int) -> nn.Module:
        if self.critic == "concat":
            return _ConcatCritic(dx, dy, self.hidden, self.layers)
        return _SeparableCritic(dx, dy, self.hidden, self.layers)

    def _bound(self, scores: torch.Tensor) -> torch.Tensor:
        """Mean over rows of f(x_i, y_i) - logsumexp_j f(x_i, y_j) (without log K)."""
        return (torch.diagonal(scores) - torch.logsumexp(scores, dim=1)).mean()

    def _batches(self, n: int, rng: np.random.Generator, count: int) -> IntArray:
        """``count`` batches of K distinct rows (consecutive chunks of fresh permutations)."""
        k = self.batch_size
        per = n // k
        epochs = -(-count // per)
        rows = [rng.permutation(n)[: per * k].reshape(per, k) for _ in range(epochs)]
        return np.asarray(np.concatenate(rows)[:count], dtype=np.int64)

    def _train(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor,
               rng: np.random.Generator, steps: int) -> None:
        opt, sched = self._optimiser(net, steps)
        batches = torch.as_tensor(self._batches(x.shape[0], rng, steps), device=x.device)
        for s in range(steps):
            idx = batches[s]
            loss = -self._bound(net(x[idx], y[idx]))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()

    def _evaluate(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor,
                  rng: np.random.Generator) -> float:
        per = x.shape[0] // self.batch_size
        batches = torch.as_tensor(self._batches(x.shape[0], rng, per * _EVAL_SHUFFLES),
                                  device=x.device)
        values = torch.stack([self._bound(net(x[idx], y[idx])) for idx in batches])
        return math.log(self.batch_size) + float(values.mean())
