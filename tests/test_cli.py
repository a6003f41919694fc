"""The `infoplane` command line: outputs, files and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import record_growing_run
from infoplane import __version__, capacity
from infoplane.cli import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 6)) * np.array([3.0, 2.0, 1.0, 0.5, 0.3, 0.1])
    path = tmp_path / "x.npy"
    np.save(path, x)
    return path


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and __version__ in out


def test_capacity_table_and_json(data_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["capacity", "--data", str(data_file), "--widths", "8,3",
                        "--budget", "0.5,5", "--json"], capsys)
    assert code == 0
    got = json.loads(out)
    eig = capacity.spectrum(np.load(data_file))
    np.testing.assert_allclose(got["mmi"], capacity.mmi(eig, [8, 3], budget=[0.5, 5.0]),
                               rtol=1e-12)
    assert got["n_tilde"] == 3
    code, out, _ = run(["capacity", "--data", str(data_file), "--widths", "8,3",
                        "--budget", "5", "--unit", "bits"], capsys)
    assert code == 0 and "bottleneck Ñ = 3" in out and "MMI (bits)" in out


def test_capacity_eigenvalues_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "eig.csv"
    path.write_text("4,2,1\n")
    code, out, _ = run(["capacity", "--data", str(path), "--kind", "eigenvalues",
                        "--widths", "2", "--budget", "1", "--json"], capsys)
    assert code == 0
    assert json.loads(out)["mmi"][0] == pytest.approx(capacity.mmi([4, 2, 1], 2, budget=1.0))


def test_capacity_with_model(data_file: Path, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mynets.py").write_text(
        "import torch.nn as nn\n"
        "def Net():\n"
        "    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2))\n")
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["capacity", "--data", str(data_file), "--model", "mynets:Net",
                          "--budget", "5", "--json"], capsys)
    assert code == 0, err
    report = json.loads(out)
    eig = capacity.spectrum(np.load(data_file))
    assert report["mmi_nats"] == pytest.approx(capacity.mmi(eig, 2, budget=5.0))


def test_curve_plan_and_figure1(data_file: Path, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    fig = tmp_path / "curve.png"
    code, _, _ = run(["capacity", "curve", "--data", str(data_file), "--widths", "4",
                      "-o", str(fig)], capsys)
    assert code == 0 and fig.stat().st_size > 10_000
    code, out, _ = run(["capacity", "plan", "--data", str(data_file), "--widths", "4",
                        "--target", "2", "--json"], capsys)
    assert code == 0
    f = json.loads(out)["min_budget"]
    eig = capacity.spectrum(np.load(data_file))
    assert capacity.mmi(eig, 4, budget=f) == pytest.approx(2.0, rel=1e-10)
    code, out, _ = run(["capacity", "plan", "--data", str(data_file), "--budget", "5",
                        "--target", "1", "--json"], capsys)
    assert code == 0 and json.loads(out)["min_width"] == capacity.min_width(eig, 1.0, 5.0)
    fig1 = tmp_path / "f1.png"
    code, _, _ = run(["--quiet", "capacity", "figure1", "-o", str(fig1)], capsys)
    assert code == 0 and fig1.stat().st_size > 10_000


@pytest.mark.e2e
def test_demo_writes_figure_and_numbers(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["capacity", "demo", "--out", str(tmp_path)], capsys)
    assert code == 0
    numbers = json.loads((tmp_path / "figure1.json").read_text())
    lam = np.exp(-0.1 * np.arange(100))
    want = capacity.mmi(lam, 50, budget=np.array(numbers["table_budgets"]))
    np.testing.assert_allclose(numbers["spectra"]["exponential"]["table_mmi"], want)
    assert numbers["spectra"]["harmonic"]["max_value_jump"] < 1e-10
    assert (tmp_path / "figure1.png").stat().st_size > 20_000
    assert "exponential" in out and "harmonic" in out


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["capacity", "--data", "missing.npy", "--widths", "2", "--budget", "1"],
         "must be an existing file"),
        (["capacity", "--data", "{data}", "--widths", "2", "--budget", "-1"],
         "`--budget` must be >= 0"),
        (["capacity", "--data", "{data}", "--widths", "a,b", "--budget", "1"],
         "`--widths` must be comma-separated integers"),
        (["capacity", "--data", "{data}", "--widths", "2"], "needs --data, --budget"),
        (["capacity", "plan", "--data", "{data}", "--target", "1"], "exactly one of"),
        (["capacity", "--data", "{data}", "--model", "nocolon", "--budget", "1"],
         "must look like 'package.module:attr'"),
    ],
)
def test_user_errors_are_one_line_with_exit_code_2(args: list[str], match: str,
                                                   data_file: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    args = [a.replace("{data}", str(data_file)) for a in args]
    code, _, err = run(args, capsys)
    assert code == 2
    assert match in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_console_script_exit_code(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "infoplane.cli", "capacity", "--data",
                           str(tmp_path / "nope.npy"), "--widths", "1", "--budget", "1"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("infoplane: error:")


def test_debug_shows_the_traceback(data_file: Path) -> None:
    with pytest.raises(ValueError, match="`--budget` must be >= 0"):
        main(["--debug", "capacity", "--data", str(data_file), "--widths", "2",
              "--budget", "-1"])


# ---------------------------------------------------------------------------- estimate

@pytest.fixture
def npz_file(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 2))
    y = 0.8 * x + 0.6 * rng.standard_normal((400, 2))
    path = tmp_path / "d.npz"
    np.savez(path, x=x, y=y, t=np.tanh(x), labels=(x[:, 0] > 0).astype(int), short=x[:10],
             complex=x + 1j, one=x[:1])
    return path


def test_estimate_matches_the_library(npz_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from infoplane.estimators import KSG, Binning

    d = np.load(npz_file)
    code, out, _ = run(["estimate", str(npz_file), "--x", "x", "--y", "y", "--estimator", "ksg",
                        "-O", "k=5", "--json"], capsys)
    assert code == 0
    assert json.loads(out)["mi"] == pytest.approx(KSG(k=5).estimate(d["x"], d["y"]))
    code, out, _ = run(["estimate", str(npz_file), "--x", "t", "--y", "labels", "--estimator",
                        "binning", "-O", "bounds=-1,1", "--plane", "--unit", "bits", "--json"],
                       capsys)
    assert code == 0
    got = json.loads(out)
    want = Binning(bounds=(-1, 1), unit="bits").plane(d["t"], d["labels"])
    assert (got["i_xt"], got["i_ty"]) == pytest.approx(want)


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--x", "nope", "--y", "y"], "`--x` must name an array"),
        (["--x", "x", "--y", "y", "-O", "bins=3"], "does not apply to KSG"),
        (["--x", "x", "--y", "y", "-O", "k"], "NAME=VALUE"),
        (["--x", "x", "--y", "y", "-O", "k=0"], "`-O k` must be an integer >= 1"),
    ],
)
def test_estimate_errors(npz_file: Path, extra: list[str], match: str,
                         capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["estimate", str(npz_file), "--estimator", "ksg", *extra], capsys)
    assert code == 2 and match in err and len(err.strip().splitlines()) == 1


def test_estimate_defaults_to_auto_and_says_what_it_chose(
        npz_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from infoplane.estimators import auto

    d = np.load(npz_file)
    code, out, _ = run(["estimate", str(npz_file), "--x", "x", "--y", "labels", "--json"],
                       capsys)
    got = json.loads(out)
    assert code == 0 and got["chosen"].startswith("MixedKSG(")
    assert got["mi"] == pytest.approx(auto().estimate(d["x"], d["labels"]), rel=1e-12)
    code, out, _ = run(["estimate", str(npz_file), "--x", "x", "--y", "y"], capsys)
    assert code == 0 and out.startswith("auto chose NormalScores(")


def test_estimate_interval_test_and_conditional(
        npz_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from infoplane.estimators import Gaussian

    d = np.load(npz_file)
    g = Gaussian()
    code, out, _ = run(["estimate", str(npz_file), "--x", "x", "--y", "y", "--estimator",
                        "gaussian", "--ci", "0.9", "--n-resamples", "50", "--test",
                        "--n-permutations", "19", "--seed", "2", "--json"], capsys)
    got = json.loads(out)
    iv = g.confidence_interval(d["x"], d["y"], level=0.9, n_resamples=50, seed=2)
    assert code == 0
    assert (got["ci"]["low"], got["ci"]["high"]) == pytest.approx((iv.low, iv.high), rel=1e-12)
    assert got["ci"]["level"] == 0.9 and got["ci"]["n_resamples"] == 50
    assert got["test"]["p_value"] == pytest.approx(1 / 20)  # strongly dependent: no perm wins
    code, out, _ = run(["estimate", str(npz_file), "--x", "x", "--y", "t", "--z", "y",
                        "--estimator", "gaussian", "--json"], capsys)
    assert code == 0
    assert json.loads(out)["cmi"] == pytest.approx(
        g.estimate_conditional(d["x"], d["t"], d["y"]), rel=1e-12)
    # the default estimator has a conditional form too, and says which one it used
    from infoplane.estimators import auto

    code, out, _ = run(["estimate", str(npz_file), "--x", "x", "--y", "t", "--z", "y",
                        "--json"], capsys)
    got = json.loads(out)
    assert code == 0 and got["chosen"].startswith("NormalScores(") and "KSG(" in got["chosen"]
    assert got["cmi"] == pytest.approx(auto().estimate_conditional(d["x"], d["t"], d["y"]),
                                       rel=1e-12)


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--ci", "1.5"], "`--ci` must be a level in (0, 1)"),
        (["--z", "nope"], "`--z` must name an array"),
        (["--z", "t", "--ci", "0.9"], "`--z` cannot be combined"),
        (["--plane", "--test"], "`--plane` cannot be combined"),
        (["--z", "t", "--estimator", "kde"], "does not estimate conditional"),
        (["--plane"], "`--plane` needs an estimator with an information-plane pair"),
        (["--plane", "--estimator", "gaussian"], "`--estimator gaussian` has no "
                                                 "information-plane pair"),
        (["--n-resamples", "50"], "`--n-resamples` needs --ci"),
        (["--n-permutations", "9"], "`--n-permutations` needs --test"),
        (["--ci", "0.9", "--n-resamples", "0"], "`--n-resamples` must be an integer >= 2"),
        (["--test", "--n-permutations", "0"], "`--n-permutations` must be an integer >= 1"),
        (["--seed", "-1"], "`--seed` must be an integer >= 0"),
        (["--z", "short"], "`--z short` must have the same number of samples as `x` (400)"),
        (["--x", "complex"], "`--x complex` must be an array of real numbers"),
        (["--x", "one", "--y", "one"], "`--x one` must have at least k + 1 = 4 samples"),
        (["--z", "x"], "auto() estimates I(X;Y|Z) when x, y and z are all discrete"),
    ],
)
def test_estimate_new_option_errors(npz_file: Path, extra: list[str], match: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["estimate", str(npz_file), "--x", "x", "--y", "labels", *extra],
                       capsys)
    assert code == 2 and match in err and len(err.strip().splitlines()) == 1


# ------------------------------------------------------------------------------- plane

@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    record_growing_run(tmp_path / "run", steps=4, every_k=1, factor=1.5)
    return tmp_path / "run"


@pytest.mark.filterwarnings("ignore")
def test_plane_command(run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from infoplane.estimators import Binning
    from infoplane.plane import InfoPlane

    fig, gif, saved = tmp_path / "p.png", tmp_path / "p.gif", tmp_path / "plane"
    code, out, err = run(["plane", str(run_dir), "-O", "n_bins=8", "-o", str(fig),
                          "--animate", str(gif), "--save", str(saved), "--json"], capsys)
    assert code == 0, err
    got = json.loads(out[out.index("{"):])
    want = InfoPlane.compute(run_dir, Binning(n_bins=8, unit="bits"))
    np.testing.assert_allclose(got["i_xt"], want.ixt)
    assert fig.stat().st_size > 10_000 and gif.read_bytes()[:3] == b"GIF"
    np.testing.assert_allclose(InfoPlane.load(saved).ity, want.ity)
    code, _, err = run(["plane", str(tmp_path / "missing")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1


@pytest.mark.e2e
@pytest.mark.filterwarnings("ignore")
def test_experiment_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tishby"
    code, text, err = run(["--quiet", "experiment", "tishby", "--quick", "--epochs", "20",
                           "--seeds", "2", "--out", str(out)], capsys)
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    assert "compression" in text and str(out / "summary.json") in text
    assert summary["settings"]["seeds"] == 2 and summary["settings"]["epochs"] == 20
    code, text, _ = run(["--quiet", "experiment", "tishby", "--quick", "--epochs", "20",
                         "--seeds", "2", "--out", str(out)], capsys)
    assert code == 0 and "resumed 2" in text  # the second run resumes both seeds
    code, _, err = run(["experiment", "tishby", "--seeds", "0", "--out", str(out)], capsys)
    assert code == 2 and "`--seeds`" in err


@pytest.mark.e2e
def test_analyze_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["analyze", "dynamics", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    assert "interp-claim-2-1" in out
    assert any(line.strip().startswith("measurement") for line in out.splitlines())
    assert list((tmp_path / "_analysis").glob("dynamics-quick-seed0/dynamics.json"))
    assert list(tmp_path.rglob("*.png"))
    code, out, err = run(["analyze", "dynamics", "--out", str(tmp_path), "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data[0]["claim_id"] == "interp-claim-2-1" and data[0]["checks"]


@pytest.mark.e2e
@pytest.mark.filterwarnings("ignore")
def test_reproduce_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["reproduce", "--list"], capsys)
    assert code == 0 and "mmi-theorem1" in out
    code, out, err = run(["--quiet", "reproduce", "mmi-theorem1", "mmi-discontinuity",
                          "--seeds", "2", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    assert "[holds] mmi-theorem1" in out and "[does not hold] mmi-discontinuity" in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [c["id"] for c in summary["claims"]] == ["mmi-theorem1", "mmi-discontinuity"]
    html = (tmp_path / "index.html").read_text()
    assert "claim-mmi-theorem1" in html and "data:image/png;base64" in html
    code, _, err = run(["reproduce", "nope", "--out", str(tmp_path)], capsys)
    assert code == 2 and "Valid ids" in err
    # a later subset run keeps the other saved claims in the report
    code, out, err = run(["--quiet", "reproduce", "mmi-discontinuity", "--seeds", "2",
                          "--out", str(tmp_path)], capsys)
    assert code == 0, err
    assert "[does not hold] mmi-discontinuity" in out and "report (2 claims)" in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [c["id"] for c in summary["claims"]] == ["mmi-theorem1", "mmi-discontinuity"]
    # --out naming a file, or a path below a file: a clear message, exit 2, no traceback
    afile = tmp_path / "afile"
    afile.write_text("x")
    for bad in (afile, afile / "sub"):
        code, _, err = run(["reproduce", "mmi-lemma1", "--out", str(bad)], capsys)
        assert code == 2 and "afile" in err and "Traceback" not in err, err


def test_every_option_has_help_text() -> None:
    import click

    from infoplane.cli import cli

    missing = []

    def walk(cmd: click.Command, path: list[str]) -> None:
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                walk(sub, [*path, name])
            return
        missing.extend(f"{' '.join(path)} {p.opts[0]}" for p in cmd.params
                       if isinstance(p, click.Option) and not p.help)

    walk(cli, ["infoplane"])
    assert missing == []


def test_estimator_warnings_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.normal(size=(10, 1)), y=rng.normal(size=(10, 1)))
    code, out, err = run(["estimate", str(tmp_path / "d.npz"), "--x", "x", "--y", "y",
                          "--estimator", "ksg"], capsys)
    assert code == 0 and "I(X;Y)" in out
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and all(line.startswith("warning: ") for line in lines)
    assert "UserWarning" not in err and ".py:" not in err
