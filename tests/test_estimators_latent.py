"""LatentMI: learned embeddings, held-out estimate, one-line errors for bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from infoplane.estimators.latent import LatentMI, _cca_init, _symmetric_infonce
from infoplane.samplers.highdim import LowRank

FAST = {"steps": 150, "eval_every": 25, "patience": 3, "hidden": 32, "num_threads": 1}


def test_lowrank_within_tolerance_and_held_out() -> None:
    task = LowRank(dim_x=20, dim_y=20, k=2)           # I = 1.341 nats
    x, y = task.sample(2000, seed=1)
    r = LatentMI(latent_dim=2, seed=0, final="max", **FAST).fit_details(x, y)
    truth = task.mutual_information()
    assert abs(r.value - truth) <= max(0.1, 0.15 * truth)
    assert r.value == max(r.ksg, r.gaussian)             # final="max"
    # held out: the default KSG on the embeddings stays below the truth (data processing,
    # KSG errs low at strong dependence), within the tolerance
    assert truth - max(0.1, 0.15 * truth) <= r.ksg <= truth + 0.05
    assert r.n_train + r.n_validation + r.n_test == 2000
    assert r.n_test == 1000 and r.n_validation == 200
    assert 0 <= r.best_step <= r.steps_run <= FAST["steps"]


def test_independent_high_dimensional_data_read_near_zero() -> None:
    # 60 × 60 independent columns, 1000 rows: evaluated on its training rows a critic this
    # size reads far above 0; on the held-out rows the estimate stays at the noise level
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((1000, 60)), rng.standard_normal((1000, 60))
    r = LatentMI(latent_dim=4, seed=0, final="gaussian", **FAST).fit_details(x, y)
    # bias-corrected Gaussian on 500 rows in 4 + 4 dims: sd ≈ √(16/2)/500 ≈ 0.006
    assert abs(r.value) < 0.05


def test_same_seed_same_value_other_seed_other_split() -> None:
    x, y = LowRank(dim_x=12, dim_y=12, k=1).sample(800, seed=3)
    a = LatentMI(latent_dim=2, seed=5, **FAST)
    assert a.estimate(x, y) == a.estimate(x, y)
    assert LatentMI(latent_dim=2, seed=6, **FAST).estimate(x, y) != a.estimate(x, y)


def test_units() -> None:
    x, y = LowRank(dim_x=12, dim_y=12, k=1).sample(800, seed=3)
    nats = LatentMI(latent_dim=2, **FAST).estimate(x, y)
    bits = LatentMI(latent_dim=2, unit="bits", **FAST).estimate(x, y)
    assert bits == pytest.approx(nats / math.log(2), rel=1e-12)


def test_cca_init_finds_the_canonical_correlations() -> None:
    # two latent pairs with ρ = 0.9, 0.8 in 10 × 10 dims: CCA's directions, applied to fresh
    # rows, are correlated ρ_i (up to sampling error) and scaled by √(ρ/(1 − ρ²))
    task = LowRank(dim_x=10, dim_y=10, k=2)
    x, y = task.sample(20_000, seed=4)
    wx, wy = _cca_init(x, y, 2)
    xt, yt = task.sample(20_000, seed=5)
    fx, gy = xt @ wx, yt @ wy
    for i, rho in enumerate((0.9, 0.8)):
        assert np.corrcoef(fx[:, i], gy[:, i])[0, 1] == pytest.approx(rho, abs=0.01)
        assert fx[:, i].std() == pytest.approx(math.sqrt(rho / (1 - rho**2)), rel=0.03)


def test_infonce_of_perfect_and_useless_scores() -> None:
    import torch

    b = 64
    big = 50.0 * torch.eye(b)
    # scores s_ij = f_iᵀ g_j: identity features scaled up give ≈ log B (the bound's ceiling)
    assert float(_symmetric_infonce(big, torch.eye(b))) == pytest.approx(math.log(b), abs=1e-6)
    # constant scores give exactly 0
    const = torch.ones(b, 1)
    assert float(_symmetric_infonce(const, const)) == pytest.approx(0.0, abs=1e-6)


def test_bad_input_one_line_errors() -> None:
    x, y = LowRank(dim_x=6, dim_y=6, k=1).sample(400, seed=0)
    with pytest.raises(ValueError, match=r"^`latent_dim` must be < the input dimension of each "
                                         r"side, got 8 with x of dimension 6\. Pass "
                                         r"latent_dim <= 5") as info:
        LatentMI(latent_dim=8).estimate(x, y)
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match=r"`latent_dim` .* y of dimension 3"):
        LatentMI(latent_dim=4).estimate(x, y[:, :3])
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match=r"^`device` must be an available device.*"
                                             r"device='cpu'") as info:
            LatentMI(latent_dim=2, device="cuda").estimate(x, y)
        assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match=r"^`x` must be at least enough rows for the split"):
        LatentMI(latent_dim=2).estimate(x[:8], y[:8])      # 4 test rows <= k + 1


def test_batch_is_capped_at_the_training_rows() -> None:
    # 300 rows: 120 training rows < batch_size = 256; the batch shrinks instead of refusing.
    x, y = LowRank(dim_x=6, dim_y=6, k=1).sample(300, seed=0)
    rep = LatentMI(latent_dim=2, steps=40, eval_every=20).fit_details(x, y)
    assert rep.n_train == 120 and np.isfinite(rep.value)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"latent_dim": 0}, "`latent_dim` must be"),
    ({"hidden": 10**6}, "`hidden` must be <= 8192"),
    ({"steps": 10**9}, "`steps` must be <= 1000000"),
    ({"batch_size": 10**7}, "`batch_size` must be <= 65536"),
    ({"layers": 50}, "`layers` must be <= 8"),
    ({"test_fraction": 1.0}, "`test_fraction` must be in"),
    ({"final": "kde"}, "`final` must be one of"),
    ({"patience": 0}, "`patience` must be"),
])
def test_bad_options_refused_before_allocation(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        LatentMI(**kwargs)  # type: ignore[arg-type]


def test_parameter_count_refused_before_allocation() -> None:
    x = np.zeros((2100, 2000))      # 2000·8192 + 7·8192² ≈ 4.9e8 parameters per encoder
    with pytest.raises(ValueError, match=r"^`hidden` must be small enough for at most"):
        LatentMI(hidden=8192, layers=8).estimate(x, x)


def test_doctests() -> None:
    import doctest

    from infoplane.estimators import latent

    result = doctest.testmod(latent)
    assert result.failed == 0 and result.attempted >= 3
