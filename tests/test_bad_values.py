"""Issue 13, category Values (and sizes): bad values get a one-line error naming the argument.

Complex input is a TypeError everywhere (never reduced to its real part); an unreachable
planning target is a ValueError that says why; absurd sizes are refused before anything is
allocated, naming the option; the CLI exits with code 2 and names the option the user typed.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from infoplane import capacity, estimators, samplers, schedules
from infoplane.cli import main
from infoplane.schedules import _saxe_rule

EIG = np.array([4.0, 2.0, 1.0])


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    err = capsys.readouterr().err.strip()
    return code, err


# ------------------------------------------------------------------------------ complex

@pytest.mark.parametrize("call", [
    lambda c: capacity.mmi(c, 2, budget=1.0),
    lambda c: capacity.breakpoints(c, 2),
    lambda c: capacity.water_filling(c, 2, 1.0),
    lambda c: capacity.min_budget(c, 2, 0.5),
    lambda c: capacity.min_width(c, 0.5, 1.0),
    lambda c: capacity.mmi_approx(c, 2),
], ids=["mmi", "breakpoints", "water_filling", "min_budget", "min_width", "mmi_approx"])
def test_complex_spectrum_is_a_type_error(call) -> None:  # type: ignore[no-untyped-def]
    # even a zero imaginary part: the dtype is complex, nothing is silently dropped
    for c in (EIG + 1j, EIG.astype(np.complex128)):
        with pytest.raises(TypeError, match=r"^`eigenvalues` must be a real array, got a "
                                            r"complex array \(dtype complex128\)"):
            call(c)


def test_complex_matrices_and_budgets_are_type_errors() -> None:
    cov = np.diag(EIG) + 0j
    with pytest.raises(TypeError, match=r"^`covariance` must be a real array, got a complex"):
        capacity.optimal_weights(cov, 2, 1.0)
    with pytest.raises(TypeError, match=r"^`weights` must be a real array, got a complex"):
        capacity.linear_mi(np.eye(3) + 1j, EIG)
    with pytest.raises(TypeError, match=r"^`budget` must be a real array, got a complex"):
        capacity.mmi(EIG, 2, budget=np.array([1.0 + 0j]))
    with pytest.raises(TypeError, match=r"^`data_or_covariance` must be a real"):
        capacity.spectrum(np.ones((5, 2)) + 1j)
    with pytest.raises(TypeError, match=r"^`cov` must be a real array, got a complex"):
        samplers.gaussian_mi(np.array([[1.0, 0.5], [0.5, 1.0]]) + 0j, 1)
    with pytest.raises(TypeError, match=r"^`x` must be an array of real numbers"):
        estimators.KSG().estimate(np.ones((20, 1)) + 1j, np.ones((20, 1)))
    # the real input still works and gives the closed form (½ log(1 + 4·1) for one component)
    assert capacity.mmi([4.0], 1, budget=1.0) == pytest.approx(0.5 * math.log(5.0))


def test_complex_spectrum_of_model() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"^`eigenvalues` must be a real array, got a complex"):
        capacity.of_model(torch.nn.Linear(3, 2), EIG + 1j, budget=1.0)


def test_booleans_where_numbers_are_expected() -> None:
    with pytest.raises(TypeError, match=r"^`budget` must be real numbers, got booleans True"):
        capacity.mmi(EIG, 2, budget=True)
    with pytest.raises(TypeError, match=r"^`eigenvalues` must be real numbers, got booleans"):
        capacity.mmi(np.array([True, True]), 2, budget=1.0)
    with pytest.raises(TypeError, match=r"^`width` must be an integer, got True"):
        capacity.optimal_weights(EIG, True, 1.0)
    with pytest.raises(TypeError, match=r"^`noise_var` must be a real number, got True"):
        capacity.mmi(EIG, 2, budget=1.0, noise_var=True)
    with pytest.raises(TypeError, match=r"^`k` must be an integer, got True"):
        schedules.every(True, n_epochs=10)


def test_cli_complex_data_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "ceig.npy"
    np.save(f, EIG + 1j)
    code, err = _cli(capsys, "capacity", "--data", str(f), "--widths", "2", "--budget", "1")
    assert code == 2 and err.startswith("infoplane: error: `--data` must hold real numbers")
    assert "ceig.npy" in err and "complex128" in err and "\n" not in err


# ------------------------------------------------------------------- unreachable targets

def test_min_budget_unreachable_target_says_why() -> None:
    # MMI = (n/2) log(F/n) + ... so F ≈ 2 e^{t - ½ Σ log λ_i}: e^{1000} overflows float64
    for t in (1000.0, 1e6, 1e300):
        with pytest.raises(ValueError, match=r"^`target` must be reachable with a finite budget "
                                             r".*got " + f"{t!r}".replace("+", r"\+")
                                             + r"\. MMI = .* needs F ≈ e\^"):
            capacity.min_budget(EIG, 2, t)
    # just inside the float range the exact inversion still works and round-trips
    t_ok = 0.5 * (2 * math.log(1e300 / 2) + math.log(4.0) + math.log(2.0))
    f = capacity.min_budget(EIG, 2, t_ok)
    assert math.isfinite(f) and f == pytest.approx(1e300, rel=1e-9)
    assert capacity.mmi(EIG, 2, budget=1e6) == pytest.approx(
        capacity.mmi(EIG, 2, budget=capacity.min_budget(EIG, 2, capacity.mmi(EIG, 2,
                                                                          budget=1e6))))


def test_cli_unreachable_target_exit_2(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "eig.npy"
    np.save(f, EIG)
    code, err = _cli(capsys, "capacity", "plan", "--data", str(f), "--widths", "2",
                     "--target", "1000")
    assert code == 2 and err.startswith("infoplane: error: `--target` must be reachable")
    assert "Traceback" not in err and "\n" not in err
    code, err = _cli(capsys, "capacity", "plan", "--data", str(f), "--budget", "1",
                     "--target", "1e6")
    assert code == 2 and err.startswith("infoplane: error: `--target` must be <= the supremum")


# ---------------------------------------------------------------------------- sizes

def test_absurd_sizes_are_refused_before_allocating(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_alloc(*args: object, **kwargs: object) -> None:
        raise AssertionError("allocated")

    t0 = time.perf_counter()
    with monkeypatch.context() as m:  # nothing may be allocated: the refusal comes first
        m.setattr(np, "zeros", no_alloc)
        m.setattr(np, "linspace", no_alloc)
        m.setattr(np, "logspace", no_alloc)
        for call, name in [
            (lambda: estimators.Binning(n_bins=10**9), "n_bins"),
            (lambda: estimators.Binning(n_bins=10**9, mode="adaptive"), "n_bins"),
            (lambda: capacity.optimal_weights(EIG, 10**12, 1.0), "width"),
            (lambda: schedules.piecewise(10**12), "n_epochs"),
            (lambda: schedules.every(1, n_epochs=10**12), "n_epochs"),
            (lambda: schedules.log2(10**6, 10**12), "n"),
            (lambda: schedules.explicit(range(10**12)), "steps"),
        ]:
            with pytest.raises(ValueError, match=rf"^`{name}` must be small enough to fit in "
                                                 r"memory \(.* needs about [\d.e+]+ GiB, limit"):
                call()
    with pytest.raises(ValueError, match=r"^`dim_x \+ dim_y` must be small enough to fit in "
                                         r"memory \(the 1000001 x 1000001 float64 covariance"):
        samplers.MultivariateNormal(dim_x=10**6).covariance()
    with pytest.raises(ValueError, match=r"^`dim_x \+ dim_y` must be small enough for one "
                                         r"sample row"):
        samplers.gaussian_pair(10, 10**9, 0.5)
    with pytest.raises(ValueError, match=r"^`n` must be at most \d+ for 2 float64 columns"):
        samplers.MultivariateNormal().sample(10**12)
    assert time.perf_counter() - t0 < 10.0  # refusals, not hangs


def test_sizes_within_the_budget_still_work() -> None:
    # the vectorised piecewise rule is the rule itself, at every boundary
    for n in (1, 19, 20, 21, 99, 100, 101, 1999, 2000, 2001, 2100, 12345):
        assert schedules.piecewise(n).step_list == tuple(e for e in range(n) if _saxe_rule(e))
    assert len(schedules.piecewise(10000)) == 211
    w = capacity.optimal_weights(EIG, 5, 2.0)
    assert w.shape == (5, 3) and np.trace(w.T @ w) == pytest.approx(2.0)
    assert estimators.Binning(n_bins=1000).n_bins == 1000


def test_cli_sizes_name_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 2))
    f = tmp_path / "d.npz"
    np.savez(f, x=np.tanh(x), y=(x[:, 0] > 0).astype(np.int64))
    code, err = _cli(capsys, "estimate", str(f), "--x", "x", "--y", "y", "--estimator",
                     "binning", "-O", "n_bins=1000000000")
    assert code == 2 and err.startswith("infoplane: error: `-O n_bins` must be small enough "
                                        "to fit in memory")
    code, err = _cli(capsys, "estimate", str(f), "--x", "x", "--y", "y", "--estimator", "ksg",
                     "-O", "k=50")
    assert code == 2 and err.startswith("infoplane: error: `-O k` must be smaller than the "
                                        "number of samples (50)")
    code, err = _cli(capsys, "benchmark", "--estimator", "binning", "-O", "n_bins=1000000000",
                     "--tasks", "normal-dense-1x1-0.75", "--n", "100", "--seeds", "1")
    assert code == 2 and err.startswith("infoplane: error: `-O n_bins` must be small enough")
    assert "(in --estimator binning(n_bins=1000000000))" in err


# ------------------------------------------------------------- budgets, noise, widths

@pytest.mark.parametrize(("args", "message"), [
    (["--budget", "nan"], "`--budget` must be finite (no NaN or inf), got [nan]."),
    (["--budget", "inf"], "`--budget` must be finite (no NaN or inf), got [inf]."),
    (["--budget", "-1"], "`--budget` must be >= 0"),
    (["--budget", "1", "--noise-var", "0"], "`--noise-var` must be > 0, got 0.0."),
    (["--budget", "1", "--noise-var", "-1"], "`--noise-var` must be > 0, got -1.0."),
    (["--budget", "1", "--noise-var", "nan"], "`--noise-var` must be a finite number"),
    (["--budget", "1", "--noise-var", "inf"], "`--noise-var` must be a finite number"),
    (["--budget", "1", "--widths", "0"], "`--widths` must be layer widths >= 1, got '0'."),
    (["--budget", "1", "--widths", "2,-3"], "`--widths` must be layer widths >= 1"),
])
def test_cli_capacity_values_name_the_option(args: list[str], message: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "eig.npy"
    np.save(f, EIG)
    if "--widths" not in args:
        args = [*args, "--widths", "2"]
    code, err = _cli(capsys, "capacity", "--data", str(f), *args)
    assert code == 2 and err.startswith("infoplane: error: " + message), err


def test_cli_plan_and_curve_name_their_options(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "eig.npy"
    np.save(f, EIG)
    code, err = _cli(capsys, "capacity", "plan", "--data", str(f), "--widths", "2",
                     "--target", "nan")
    assert code == 2 and err.startswith("infoplane: error: `--target` must be a finite number")
    code, err = _cli(capsys, "capacity", "plan", "--data", str(f), "--budget", "-1",
                     "--target", "0.5")
    assert code == 2 and err.startswith("infoplane: error: `--budget` must be >= 0")
    code, err = _cli(capsys, "capacity", "curve", "--data", str(f), "--widths", "2",
                     "--budgets", "nan", "-o", str(tmp_path / "c.png"))
    assert code == 2 and err.startswith("infoplane: error: `--budgets` must be finite")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
