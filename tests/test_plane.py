"""InfoPlane results: shapes, units, aggregation, persistence, tidy frames and figures."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from conftest import record_growing_run
from infoplane.plane import InfoPlane
from infoplane.plotting import animate_plane, info_plane, mi_vs_step


def synthetic(seed: int = 0, unit: str = "bits") -> InfoPlane:
    rng = np.random.default_rng(seed)
    steps = np.array([0, 1, 3, 7, 15, 31, 63])
    ixt = np.cumsum(rng.uniform(0, 1, (7, 3)), axis=0)
    ity = np.cumsum(rng.uniform(0, 0.1, (7, 3)), axis=0)
    return InfoPlane(steps=steps, layers=("fc1", "fc2", "out"), ixt=ixt, ity=ity,
                     unit=unit, estimator="Binning()")  # type: ignore[arg-type]


def test_shape_checks() -> None:
    with pytest.raises(ValueError, match=r"`ixt` must be of shape \(S, L\) = \(2, 1\)"):
        InfoPlane(steps=np.arange(2), layers=("a",), ixt=np.zeros((3, 1)), ity=np.zeros((2, 1)))
    with pytest.raises(ValueError, match="`unit` must be"):
        InfoPlane(steps=np.arange(2), layers=("a",), ixt=np.zeros((2, 1)),
                  ity=np.zeros((2, 1)), unit="dits")  # type: ignore[arg-type]


def test_units_round_trip() -> None:
    p = synthetic()
    q = p.converted("nats")
    np.testing.assert_allclose(q.ixt, p.ixt * np.log(2))
    np.testing.assert_allclose(q.converted("bits").ity, p.ity)


def test_aggregate_mean_std_and_frame() -> None:
    runs = [synthetic(s) for s in range(4)]
    agg = InfoPlane.aggregate(runs)
    assert agg.n_runs == 4 and agg.ixt.shape == (4, 7, 3)
    mean_x, _ = agg.mean()
    np.testing.assert_allclose(mean_x, np.mean([r.ixt for r in runs], axis=0))
    _, std_y = agg.std()
    np.testing.assert_allclose(std_y, np.std([r.ity for r in runs], axis=0, ddof=1))
    frame = agg.to_frame()
    assert len(frame) == 4 * 7 * 3
    row = frame[(frame.run == 2) & (frame.step == 15) & (frame.layer == "fc2")]
    assert row.i_xt.item() == pytest.approx(runs[2].ixt[4, 1])
    bad = InfoPlane(steps=np.arange(7), layers=("fc1", "fc2", "out"), ixt=runs[0].ixt,
                    ity=runs[0].ity)
    with pytest.raises(ValueError, match=r"`planes\[1\]` must be recorded at the same steps"):
        InfoPlane.aggregate([runs[0], bad])


def test_save_load(tmp_path: Path) -> None:
    p = InfoPlane.aggregate([synthetic(0), synthetic(1)])
    path = p.save(tmp_path / "plane")
    q = InfoPlane.load(path)
    assert q.layers == p.layers and q.unit == p.unit and q.estimator == p.estimator
    np.testing.assert_array_equal(q.ixt, p.ixt)
    np.testing.assert_array_equal(q.steps, p.steps)
    with pytest.raises(FileNotFoundError, match="saved InfoPlane"):
        InfoPlane.load(tmp_path / "nope")


def test_figures_have_labels_and_render(tmp_path: Path) -> None:
    p = InfoPlane.aggregate([synthetic(0), synthetic(1)])
    ax = info_plane(p)
    assert ax.get_xlabel() == "I(X;T) (bits)" and ax.get_ylabel() == "I(T;Y) (bits)"
    assert ax.get_title()
    ax.figure.savefig(tmp_path / "plane.png")
    plt.close(ax.figure)
    ax = mi_vs_step(p, which="ity")
    assert ax.get_ylabel() == "I(T;Y) (bits)" and ax.get_xscale() == "log"
    plt.close(ax.figure)
    assert (tmp_path / "plane.png").stat().st_size > 10_000


def test_animation_gif(tmp_path: Path) -> None:
    out = animate_plane(synthetic(), tmp_path / "plane.gif", max_frames=5)
    data = Path(out).read_bytes()
    assert data[:6] in (b"GIF87a", b"GIF89a") and len(data) > 1000
    with pytest.raises(ValueError, match=r"must end in \.gif or \.mp4"):
        animate_plane(synthetic(), tmp_path / "plane.avi")


def test_compute_from_a_recorded_run_matches_the_estimator(tmp_path: Path) -> None:
    import torch

    from infoplane.estimators import Binning
    model, x, y = record_growing_run(tmp_path / "run", steps=6, every_k=2, factor=1.3)
    est = Binning(n_bins=8, unit="bits")
    with pytest.warns(UserWarning, match="layer '3': Most bins are empty") as record:
        plane = InfoPlane.compute(tmp_path / "run", est)
    assert record[0].filename == __file__  # re-issued at the caller's line
    assert plane.layers == ("1", "3") and list(plane.steps) == [0, 2, 4]
    # Against the estimator on activations computed independently of the store.
    with torch.no_grad():
        scale = 1.3 ** 5  # the weights after step 4 (5 multiplications)
        w1, b1 = model[0].weight / 1.3 ** 6 * scale, model[0].bias / 1.3 ** 6 * scale
        w2, b2 = model[2].weight / 1.3 ** 6 * scale, model[2].bias / 1.3 ** 6 * scale
        h1 = torch.tanh(x @ w1.T + b1)
        h2 = torch.tanh(h1 @ w2.T + b2)
    want = [est.plane(h.numpy(), y) for h in (h1, h2)]
    np.testing.assert_allclose(plane.ixt[-1], [w[0] for w in want], rtol=1e-12)
    np.testing.assert_allclose(plane.ity[-1], [w[1] for w in want], rtol=1e-12)
    with pytest.raises(ValueError, match="`layers` must be recorded layers"):
        InfoPlane.compute(tmp_path / "run", est, layers=["nope"])


def test_layer_trajectories_and_gradient_snr_from_a_run(tmp_path: Path) -> None:
    import torch

    from infoplane.plotting import gradient_snr_from_run, layer_trajectories
    from infoplane.recorder import Recorder
    from infoplane.schedules import every

    ax = layer_trajectories(synthetic())
    assert len(ax.get_lines()) == 9 and ax.get_xlabel() == "I(X;T) (bits)"
    plt.close(ax.figure)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    x = torch.randn(64, 3)
    y = (x[:, 0] > 0).long()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with Recorder(model, layers=["0", "2"], inputs=x, labels=y.numpy(), grad_stats=True,
                  store=tmp_path / "run", schedule=every(1, n_epochs=3)) as rec:
        for epoch in range(3):
            for idx in torch.arange(64).split(16):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
                rec.observe_gradients(epoch)
                opt.step()
            rec.record(epoch)
    ax = gradient_snr_from_run(tmp_path / "run")
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert len(ax.get_lines()) == 4  # mean and std for two layers
    plt.close(ax.figure)
    with Recorder(model, layers=["0"], inputs=x, labels=y.numpy(), store=tmp_path / "plain",
                  schedule=every(1, n_epochs=1)) as rec:
        rec.record(0)
    with pytest.raises(ValueError, match="grad_stats=True"):
        gradient_snr_from_run(tmp_path / "plain")
