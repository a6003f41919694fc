"""Latent mutual information: learned low-dimensional embeddings, then a k-NN estimate on them.

In 50–1000 dimensions the classic estimators fail in opposite ways: k-NN (KSG) reads far below
the truth, the plain Gaussian fit is biased upwards by about d_x·d_y/2n and blind to
non-linear dependence. The latent route (Gowri, Lun, Klein & Yin, "Approximating mutual
information of high-dimensional variables using learned representations", NeurIPS 2024, the
LMI estimator) compresses each side to a few learned coordinates and estimates the MI of
those with KSG, where k-NN works.

What :class:`LatentMI` does, on data (x, y) with n rows:

1. **Split** the rows at random into a training part, a validation part and a held-out test
   part (``test_fraction``, ``validation_fraction``).
2. **Train** two encoders f: R^{d_x} → R^m and g: R^{d_y} → R^m (m = ``latent_dim``; each an
   MLP plus a linear skip path) on the training rows by the symmetric InfoNCE objective of the
   separable critic s(x, y) = f(x)ᵀg(y) (van den Oord et al. 2018, Eq. 4; the contrastive
   form of LMI's cross-prediction: an embedding scores well only if it predicts the other
   side's embedding). Training uses the shared loop :func:`infoplane.estimators._fit.fit`,
   with early stopping on the InfoNCE value of the validation rows.
3. **Estimate** I(f(X); g(Y)) on the **held-out test rows** only: each embedding coordinate
   to normal scores, then KSG (Kraskov, Stögbauer & Grassberger 2004, Eq. 8; ``final="ksg"``,
   the default), or the bias-corrected Gaussian-copula estimate, or the larger of the two.

Why this reads close to I(X;Y) and not above it. f and g are fixed functions of the
training rows, and the test rows are independent of those, so by the data-processing
inequality (Cover & Thomas 2006, Theorem 2.8.1) I(f(X); g(Y)) ≤ I(X; Y) for the test
distribution: the held-out embedding MI cannot exceed the truth, in expectation, beyond the
bias of the estimator applied to it (KSG errs low at strong dependence; the corrected Gaussian
fit is unbiased for Gaussian embeddings). Evaluating on the training rows instead would let
the encoders memorise and read above the truth. The embedding MI equals I(X;Y) when f(X) and
g(Y) are sufficient (for a low-rank Gaussian task, linear projections onto the k informative
directions, which the linear skip path represents exactly); a contrastive objective is what
finds those directions — a reconstruction objective alone cannot, since on such tasks every
direction of X has the same variance.

The contrastive objective replaces LMI's autoencoder + cross-prediction loss; see
``docs/DECISIONS.md`` for the measurements behind that choice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from infoplane._typing import FloatArray, IntArray
from infoplane._validation import as_float, as_int, choice, fail
from infoplane.estimators.base import Estimator, standardised

__all__ = ["LatentFit", "LatentMI"]

#: Limits refused before anything is allocated (each names its option in the error).
MAX_STEPS = 1_000_000
MAX_BATCH = 65_536
MAX_HIDDEN = 8192
MAX_LATENT = 256
MAX_LAYERS = 8
#: Largest parameter count of the two encoders together (float32: 4 bytes each).
MAX_PARAMETERS = 200_000_000

FINALS: tuple[str, ...] = ("max", "ksg", "gaussian")


@dataclass(frozen=True)
class LatentFit:
    """What one :meth:`LatentMI.fit_details` run did.

    Attributes
    ----------
    value : float
        The estimate (in the estimator's unit).
    ksg, gaussian : float
        The two held-out embedding estimates (in the unit; NaN when not computed).
    n_train, n_validation, n_test : int
        Rows of each part of the split (the estimate uses the test rows only).
    best_step, steps_run : int
        The step whose validation InfoNCE was best (the encoders' final state), and the steps
        taken before early stopping.
    validation_infonce : float
        The best validation InfoNCE value (nats; a lower bound on I, at most log batch).
    """

    value: float
    ksg: float
    gaussian: float
    n_train: int
    n_validation: int
    n_test: int
    best_step: int
    steps_run: int
    validation_infonce: float


@dataclass(frozen=True, kw_only=True)
class LatentMI(Estimator):
    """I(X;Y) from learned low-dimensional embeddings, estimated on held-out rows.

    Parameters
    ----------
    latent_dim : int, default 4
        Coordinates of each embedding (m); must be below each side's dimension (otherwise
        there is nothing to compress: use KSG or the Gaussian estimator directly).
    hidden : int, default 128
        Width of the encoders' hidden layers.
    layers : int, default 1
        Hidden layers of each encoder (0: linear encoders).
    steps : int, default 3000
        Maximum Adam steps.
    batch_size : int, default 256
        Rows per step, at most the training rows (also the size of the InfoNCE blocks on the
        validation rows).
    lr : float, default 1e-3
    weight_decay : float, default 1e-4
    eval_every : int, default 50
        Steps between validation evaluations.
    patience : int or None, default 10
        Evaluations without improvement before stopping (None: run all ``steps``).
    test_fraction : float, default 0.5
        Share of the rows held out for the final estimate.
    validation_fraction : float, default 0.2
        Share of the remaining rows used for early stopping.
    k : int, default 3
        Neighbours of the KSG estimate on the embeddings.
    final : {"ksg", "gaussian", "max"}, default "ksg"
        Estimator on the held-out embeddings (after normal scores): KSG (consistent; errs
        low at strong dependence, so the data-processing bound is kept), the bias-corrected
        Gaussian-copula fit, or the larger of the two. The Gaussian fit is exact for linear
        embeddings of Gaussian data but is no bound for non-linear vector embeddings: it read
        1.75 nats for a true 1.34 on ``lowrank-10x10-k2`` with ``latent_dim=8`` (KSG: 1.06).
    copula : bool, default True
        Replace each input column by its normal scores first (MI unchanged; undoes
        coordinate-wise bijections before the encoders see the data, as ``auto()`` does).
    device : str, default "cpu"
        Torch device ("cuda" needs a GPU; the error says what to do otherwise).
    num_threads : int or None, default None
        Torch CPU threads during the fit (None: leave torch's setting).
    unit, seed
        As every estimator; ``seed`` fixes the split, the initialisation and the batches.

    Notes
    -----
    Method and guarantees in :mod:`infoplane.estimators.latent` (Gowri et al. 2024, LMI;
    van den Oord et al. 2018, InfoNCE; Kraskov et al. 2004, KSG). Because the estimate is
    computed on rows the encoders never saw, it cannot exceed I(X;Y) in expectation beyond
    the final estimator's bias (data processing); it reads low when the embeddings lose
    information (too small ``latent_dim``, too few training rows, dependence the encoders
    cannot represent). Cost: O(steps · batch · (d · hidden + batch · m)) for training plus one
    KSG on n_test rows in 2m dimensions.

    Examples
    --------
    >>> import numpy as np
    >>> from infoplane.samplers import get
    >>> x, y = get("lowrank-20x20-k2").sample(2000, seed=0)   # I = 1.341 nats
    >>> est = LatentMI(latent_dim=2, steps=400, seed=0, num_threads=1)
    >>> fit = est.fit_details(x, y)        # held out: below the truth (here 1.08)
    >>> bool(0.9 < fit.value < 1.341), (fit.n_train, fit.n_validation, fit.n_test)
    (True, (800, 200, 1000))
    """

    latent_dim: int = 4
    hidden: int = 128
    layers: int = 1
    steps: int = 3000
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4
    eval_every: int = 50
    patience: int | None = 10
    test_fraction: float = 0.5
    validation_fraction: float = 0.2
    k: int = 3
    final: str = "ksg"
    copula: bool = True
    device: str = "cpu"
    num_threads: int | None = None

    data_kinds: ClassVar[tuple[frozenset[str], frozenset[str]]] = (
        frozenset({"continuous"}), frozenset({"continuous"}))

    def _check(self) -> None:
        for name, low, cap, why in (
                ("latent_dim", 1, MAX_LATENT, ""),
                ("hidden", 1, MAX_HIDDEN, " (wider encoders would not fit in memory for any "
                                          "useful input)"),
                ("layers", 0, MAX_LAYERS, ""),
                ("steps", 1, MAX_STEPS, ""),
                ("batch_size", 2, MAX_BATCH, " (the InfoNCE score matrix is batch_size² floats)")):
            value = getattr(self, name)
            if as_int(name, value, min_value=low) > cap:
                raise fail(name, f"<= {cap}{why}", value)
        as_float("lr", self.lr, min_value=0.0, strict_min=True)
        as_float("weight_decay", self.weight_decay, min_value=0.0)
        as_int("eval_every", self.eval_every, min_value=1)
        if self.patience is not None:
            as_int("patience", self.patience, min_value=1)
        for name in ("test_fraction", "validation_fraction"):
            v = as_float(name, getattr(self, name))
            if not 0.0 < v < 1.0:
                raise fail(name, "in (0, 1)", getattr(self, name))
        as_int("k", self.k, min_value=1)
        choice("final", self.final, FINALS)
        if not isinstance(self.copula, bool):
            raise TypeError(f"`copula` must be True or False, got {self.copula!r}.")
        if not isinstance(self.device, str):
            raise TypeError(f"`device` must be a string such as 'cpu' or 'cuda', "
                            f"got {self.device!r}.")
        if self.num_threads is not None:
            as_int("num_threads", self.num_threads, min_value=1)

    # ------------------------------------------------------------------ public interface
    def fit_details(self, x: npt.ArrayLike, y: npt.ArrayLike) -> LatentFit:
        """The estimate with the split sizes, the stopping step and both embedding estimates."""
        xs, ys = self._prepare(x, y)
        return self._run(xs, ys)

    # ------------------------------------------------------------------------- internals
    def _estimate_nats(self, x: FloatArray, y: Any) -> float:
        out = self._run(x, y, in_nats=True)
        return out.value

    def _split(self, n: int) -> tuple[IntArray, IntArray, IntArray]:
        n_test = round(self.test_fraction * n)
        n_val = round(self.validation_fraction * (n - n_test))
        n_train = n - n_test - n_val
        if n_test <= self.k + 1 or n_val < 2 or n_train < 2:
            raise fail("x", f"at least enough rows for the split (test > k + 1 = {self.k + 1}, "
                       "validation >= 2, training >= 2)", f"{n} rows", "Pass more samples.")
        perm = np.random.default_rng(np.random.SeedSequence([self.seed, 0x1A7E])) \
            .permutation(n)
        return perm[:n_train], perm[n_train:n_train + n_val], perm[n_train + n_val:]

    def _check_dims(self, dx: int, dy: int) -> None:
        for side, d in (("x", dx), ("y", dy)):
            if self.latent_dim >= d:
                raise ValueError(
                    f"`latent_dim` must be < the input dimension of each side, got "
                    f"{self.latent_dim} with {side} of dimension {d}. Pass latent_dim <= "
                    f"{max(d - 1, 1)}, or use KSG / Gaussian directly on data this small.")
        width = self.hidden if self.layers else 0
        params = sum(_encoder_size(d, width, self.layers, self.latent_dim) for d in (dx, dy))
        if params > MAX_PARAMETERS:
            raise fail("hidden", f"small enough for at most {MAX_PARAMETERS:,} encoder "
                       f"parameters (these inputs need {params:,})", self.hidden)

    def _run(self, x: FloatArray, y: FloatArray, *, in_nats: bool = False) -> LatentFit:
        import torch

        from infoplane._validation import unit_factor
        from infoplane.estimators._fit import FitResult, fit, resolve_device, torch_session

        n, dx = x.shape
        dy = y.shape[1]
        self._check_dims(dx, dy)
        device = resolve_device(self.device, name="device")
        tr, va, te = self._split(n)
        if self.copula:   # ranks of all rows: a fixed, label-free map of each column
            from infoplane.estimators.default import normal_scores

            x, y = normal_scores(x), normal_scores(y)
        # standardise with the training rows' moments only (no test information leaks in)
        mx, sx = x[tr].mean(0), x[tr].std(0)
        my, sy = y[tr].mean(0), y[tr].std(0)
        xz = (x - mx) / np.where(sx > 0, sx, 1.0)
        yz = (y - my) / np.where(sy > 0, sy, 1.0)
        wx, wy = _cca_init(xz[tr], yz[tr], self.latent_dim)
        with torch_session(device, self.num_threads, self.seed) as gen:
            net = _Encoders(dx, dy, self.hidden, self.layers, self.latent_dim, gen)
            with torch.no_grad():
                net.fl.weight.copy_(torch.as_tensor(wx.T, dtype=torch.float32))
                net.gl.weight.copy_(torch.as_tensor(wy.T, dtype=torch.float32))
            net.to(device)
            tx = torch.as_tensor(xz, dtype=torch.float32, device=device)
            ty = torch.as_tensor(yz, dtype=torch.float32, device=device)
            tr_t = torch.as_tensor(tr, device=device)
            va_t = torch.as_tensor(va, device=device)
            b_val = min(self.batch_size, va.shape[0])

            def train_loss(idx: IntArray) -> torch.Tensor:
                rows = tr_t[torch.as_tensor(idx, device=device)]
                loss: torch.Tensor = -_symmetric_infonce(*net(tx[rows], ty[rows]))
                return loss

            def validate() -> float:
                fx, gy = net(tx[va_t], ty[va_t])
                blocks = max(va.shape[0] // b_val, 1)
                vals = [float(_symmetric_infonce(fx[i * b_val:(i + 1) * b_val],
                                                 gy[i * b_val:(i + 1) * b_val]))
                        for i in range(blocks)]
                return float(np.mean(vals))

            rng = np.random.default_rng(np.random.SeedSequence([self.seed, 0xBA7C]))
            net.eval()
            with torch.no_grad():
                start_value = validate()
            start = {k: v.detach().clone() for k, v in net.state_dict().items()}
            res = fit(net, train_loss, validate, n_train=tr.shape[0], steps=self.steps,
                      batch_size=min(self.batch_size, tr.shape[0]), lr=self.lr,
                      eval_every=self.eval_every,
                      patience=self.patience, rng=rng, weight_decay=self.weight_decay,
                      progress="LatentMI")
            if not res.best_value > start_value:   # training never beat the CCA start
                net.load_state_dict(start)
                res = FitResult(best_step=0, steps_run=res.steps_run, best_value=start_value,
                                history=res.history)
            with torch.no_grad():
                te_t = torch.as_tensor(te, device=device)
                fx, gy = net(tx[te_t], ty[te_t])
                ex = fx.double().cpu().numpy()
                ey = gy.double().cpu().numpy()
        ksg, gauss = self._final(ex, ey)
        value = ksg if self.final == "ksg" or (self.final == "max" and not gauss >= ksg) \
            else gauss   # "max" with a degenerate (NaN) Gaussian fit: KSG
        f = 1.0 if in_nats else unit_factor(self.unit)
        return LatentFit(value=value / f, ksg=ksg / f, gaussian=gauss / f,
                         n_train=int(tr.shape[0]), n_validation=int(va.shape[0]),
                         n_test=int(te.shape[0]), best_step=res.best_step,
                         steps_run=res.steps_run, validation_infonce=res.best_value)

    def _final(self, ex: FloatArray, ey: FloatArray) -> tuple[float, float]:
        """KSG and bias-corrected Gaussian-copula estimates (nats) on the test embeddings."""
        from infoplane.estimators.default import normal_scores
        from infoplane.estimators.gaussian import Gaussian
        from infoplane.estimators.ksg import KSG

        ex = standardised(normal_scores(ex))
        ey = standardised(normal_scores(ey))
        ksg = gauss = math.nan
        if self.final in ("max", "ksg"):
            ksg = float(KSG(k=self.k, seed=self.seed)._estimate_nats(ex, ey))
        if self.final in ("max", "gaussian"):
            try:
                gauss = float(Gaussian(bias_correction=True)._estimate_nats(ex, ey))
            except ValueError:   # a degenerate embedding (constant / duplicated coordinate)
                gauss = math.nan
        return ksg, gauss


def _cca_init(x: FloatArray, y: FloatArray, m: int,
              ridge: float = 1e-3) -> tuple[FloatArray, FloatArray]:
    """Linear encoders from canonical correlation analysis of the training rows.

    With C_xx, C_yy, C_xy the sample covariances (ridge ``ridge`` on the diagonals) and
    U S Vᵀ the SVD of C_xx^{-½} C_xy C_yy^{-½}, the canonical directions are C_xx^{-½} U and
    C_yy^{-½} V, with canonical correlations S (Hotelling 1936; Anderson 2003, Sec. 12.2).
    Column i is scaled by a_i = (s_i / (1 − s_i²))^{½}, so that f(x)ᵀg(y) carries the
    cross term s_i u_i v_i / (1 − s_i²) of the Gaussian log density ratio: the critic starts
    at the optimum of a Gaussian task. Returns the (d_x, m) and (d_y, m) weight matrices.
    """
    n = x.shape[0]

    def inv_sqrt(c: FloatArray) -> FloatArray:
        w, v = np.linalg.eigh(c + ridge * np.eye(c.shape[0]))
        out: FloatArray = (v / np.sqrt(np.maximum(w, ridge))) @ v.T
        return out

    ix, iy = inv_sqrt(x.T @ x / n), inv_sqrt(y.T @ y / n)
    u, sv, vt = np.linalg.svd(ix @ (x.T @ y / n) @ iy, full_matrices=False)
    s = np.clip(sv[:m], 0.0, 0.99)
    scale = np.sqrt(s / (1.0 - s * s))
    return (ix @ u[:, :m]) * scale, (iy @ vt.T[:, :m]) * scale


def _encoder_size(d: int, hidden: int, layers: int, m: int) -> int:
    """Parameters of one encoder: the MLP and the linear skip path."""
    if layers == 0:
        return d * m + m
    mlp = d * hidden + hidden + (layers - 1) * (hidden * hidden + hidden) + hidden * m + m
    return mlp + d * m


def _symmetric_infonce(fx: Any, gy: Any) -> Any:
    """½ (InfoNCE_{x→y} + InfoNCE_{y→x}) of the scores fxᵀgy on one block of B rows.

    InfoNCE = log B + mean_i [s_ii − log Σ_j exp s_ij] (van den Oord et al. 2018, Eq. 4;
    Poole et al. 2019, Eq. 12): a lower bound on I(X;Y), at most log B.
    """
    import torch

    scores = fx @ gy.T
    b = scores.shape[0]
    diag = torch.diagonal(scores)
    row = diag - torch.logsumexp(scores, dim=1)
    col = diag - torch.logsumexp(scores, dim=0)
    return math.log(b) + 0.5 * (row.mean() + col.mean())


def _make_encoders() -> type:
    import torch
    from torch import nn

    class Encoders(nn.Module):
        """f and g: each an MLP (ReLU) plus a linear skip path, initialised from ``gen``."""

        def __init__(self, dx: int, dy: int, hidden: int, layers: int, m: int,
                     gen: torch.Generator) -> None:
            super().__init__()
            self.f = self._side(dx, hidden, layers, m)
            self.fl = nn.Linear(dx, m, bias=False)
            self.g = self._side(dy, hidden, layers, m)
            self.gl = nn.Linear(dy, m, bias=False)
            with torch.no_grad():
                for p in self.parameters():
                    if p.ndim == 2:
                        bound = 1.0 / math.sqrt(p.shape[1])
                        p.copy_(torch.empty_like(p).uniform_(-bound, bound, generator=gen))
                    else:
                        p.zero_()
                for mlp in (self.f, self.g):
                    if mlp is not None:
                        last = list(mlp.children())[-1]
                        assert isinstance(last, nn.Linear)
                        last.weight.zero_()

        @staticmethod
        def _side(d: int, hidden: int, layers: int, m: int) -> nn.Module | None:
            from infoplane.estimators.neural import _mlp

            return None if layers == 0 else _mlp(d, hidden, layers, m, activation=nn.ReLU)

        def forward(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor,
                                                                     torch.Tensor]:
            fx = self.fl(x) if self.f is None else self.fl(x) + self.f(x)
            gy = self.gl(y) if self.g is None else self.gl(y) + self.g(y)
            return fx, gy

    return Encoders


def _Encoders(dx: int, dy: int, hidden: int, layers: int, m: int, gen: Any) -> Any:
    """Build the encoder pair (the torch class is defined on first use: torch imports lazily)."""
    global _ENCODERS
    if _ENCODERS is None:
        _ENCODERS = _make_encoders()
    return _ENCODERS(dx, dy, hidden, layers, m, gen)


_ENCODERS: type | None = None
