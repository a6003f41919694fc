"""`infoplane.benchmark` and `infoplane benchmark`: scores, applicability, resume, lock, CLI.

The bookkeeping is checked with tasks whose MI an estimator gets exactly: for balanced labels
X = Y over K classes (each class exactly n/K times) the plug-in estimate of Binning is
H(X) = log K, which is the truth, so "perfect" and "perfect + 0.2" estimators are real ones.
"""

from __future__ import annotations

import doctest
import fcntl
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from infoplane import benchmark
from infoplane.benchmark import BenchmarkResult, applicability, resolve_tasks, run
from infoplane.cli import main
from infoplane.estimators import KDE, KSG, Binning, Gaussian, MixedKSG
from infoplane.estimators.base import Estimator
from infoplane.samplers._common import OneByOne

Arrays = tuple[npt.NDArray[Any], npt.NDArray[Any]]


@dataclass(frozen=True, kw_only=True)
class Balanced(OneByOne):
    """X = Y, uniform over k labels, each exactly n/k times (n divisible by k): I = log k."""

    k: int = 2

    @property
    def name(self) -> str:
        return f"test-balanced-{self.k}"

    @property
    def x_discrete(self) -> bool:
        return True

    @property
    def y_discrete(self) -> bool:
        return True

    def mutual_information(self) -> float:
        return math.log(self.k)

    def _sample(self, n: int, rng: np.random.Generator) -> Arrays:
        x = rng.permutation(np.arange(n, dtype=np.int64) % self.k)
        return x, x.copy()


@dataclass(frozen=True, kw_only=True)
class GaussPair(OneByOne):
    """Y = ρX + √(1-ρ²)ε, standard normal X, ε, with scale on X: I = -½ log(1 - ρ²)."""

    rho: float = 0.6
    scale: float = 5.0

    @property
    def name(self) -> str:
        return f"test-gauss-{self.rho}"

    def mutual_information(self) -> float:
        return -0.5 * math.log(1.0 - self.rho**2)

    def _sample(self, n: int, rng: np.random.Generator) -> Arrays:
        x = rng.standard_normal((n, 1))
        y = self.rho * x + math.sqrt(1.0 - self.rho**2) * rng.standard_normal((n, 1))
        return self.scale * x + 3.0, y


@dataclass(frozen=True, kw_only=True)
class Floor(OneByOne):
    """X ~ U[0, k), Y = floor(X) (labels): I(X;Y) = H(Y) = log k. ``swap`` puts Y first."""

    k: int = 2
    swap: bool = False

    @property
    def name(self) -> str:
        return f"test-floor-{self.k}" + ("-swapped" if self.swap else "")

    @property
    def x_discrete(self) -> bool:
        return self.swap

    @property
    def y_discrete(self) -> bool:
        return not self.swap

    def mutual_information(self) -> float:
        return math.log(self.k)

    def _sample(self, n: int, rng: np.random.Generator) -> Arrays:
        x = rng.uniform(0.0, self.k, size=(n, 1))
        y = np.floor(x[:, 0]).astype(np.int64)
        return (y, x) if self.swap else (x, y)


@dataclass(frozen=True, kw_only=True)
class SeedEcho(Estimator):
    """Returns its own seed: shows which seed (and unit) the benchmark gave it."""

    offset: float = 0.0
    y_discrete: ClassVar[bool] = False
    data_kinds: ClassVar[tuple[frozenset[str], frozenset[str]]] = (
        frozenset({"continuous", "discrete"}), frozenset({"continuous", "discrete"}))

    def _estimate_nats(self, x: Any, y: Any) -> float:
        return float(self.seed) + self.offset


BAL = [Balanced(k=2), Balanced(k=4)]


def perfect_plus(shift: float) -> Any:
    def biased(x: Any, y: Any) -> float:
        return Binning().estimate(x, y) + shift
    return biased


def _ok(x: Any, y: Any) -> float:
    return 0.5


# ------------------------------------------------------------------------------ scores

def test_perfect_and_biased_estimators() -> None:
    res = run({"perfect": Binning(), "biased": perfect_plus(0.2)}, BAL, n=400, seeds=2,
              progress=False)
    per = res.per_task().set_index(["estimator", "task"])
    assert np.allclose(per.loc["perfect", "mean_error"], 0.0, atol=1e-12)
    assert np.allclose(per.loc["biased", "mean_error"], 0.2, atol=1e-12)
    tab = res.table().set_index("estimator")
    assert tab.loc["perfect", "within"] == 2 and tab.loc["perfect", "applicable"] == 2
    assert tab.loc["perfect", "mae"] < 1e-12
    assert tab.loc["biased", "within"] == 0
    assert tab.loc["biased", "mae"] == pytest.approx(0.2, abs=1e-12)
    # truths log 2, log 4: tolerances max(0.1, 0.1·truth) = 0.1 and 0.1386
    assert per.loc[("biased", "test-balanced-4"), "tolerance"] == pytest.approx(0.1 * math.log(4))
    # 15 % (a later issue's rule): 0.208 > 0.2 for log 4 only
    loose = BenchmarkResult(res.frame, rel_tol=0.15).table().set_index("estimator")
    assert loose.loc["biased", "within"] == 1
    wide = BenchmarkResult(res.frame, abs_tol=0.25).table().set_index("estimator")
    assert wide.loc["biased", "within"] == 2


def test_frame_columns_and_dtypes() -> None:
    res = run([Binning(), KSG()], BAL[:1], n=200, seeds=3, progress=False)
    f = res.frame
    assert tuple(f.columns) == benchmark.COLUMNS
    assert len(f) == 2 * 1 * 3
    assert f["n"].dtype == np.int64 and f["seed"].dtype == np.int64
    for col in ("estimate", "truth", "error", "seconds", "wall_seconds"):
        assert f[col].dtype == np.float64, col
    assert list(f["seed"][:3]) == [0, 1, 2]
    assert set(f["status"]) <= set(benchmark.STATUSES)
    ok = f[f["status"] == "ok"]
    assert np.allclose(ok["error"], ok["estimate"] - ok["truth"])
    assert (ok["seconds"] >= 0).all() and (ok["wall_seconds"] >= 0).all()


def test_estimator_seed_unit_and_names() -> None:
    res = run([SeedEcho(unit="bits"), SeedEcho(offset=0.5, seed=7)], BAL[:1], n=100,
              seeds=[3, 5], progress=False)
    f = res.frame.set_index(["estimator", "seed"])["estimate"]
    # seed replaced by the benchmark's, unit forced to nats (no division by ln 2)
    assert f[("seedecho", 3)] == 3.0 and f[("seedecho", 5)] == 5.0
    assert f[("seedecho(offset=0.5)", 3)] == 3.5
    assert res.settings["seeds"] == [3, 5]
    with pytest.raises(ValueError, match="`estimators` must have unique names, got 'ksg'"):
        run([KSG(), KSG(seed=3)], BAL, progress=False)


def test_standardize() -> None:
    seen: list[tuple[str, Any, Any]] = []

    def record(x: Any, y: Any) -> float:
        seen.append((x.dtype.str, x, y))
        return 0.0

    run({"rec": record}, [GaussPair(), Floor(k=3)], n=300, seeds=1, progress=False)
    (_, gx, gy), (_, fx, fy) = seen
    for z in (gx, gy, fx):
        assert z.shape == (300, 1)
        assert abs(z.mean()) < 1e-12 and z.std() == pytest.approx(1.0, abs=1e-12)
    assert fy.dtype == np.int64 and fy.ndim == 1 and set(np.unique(fy)) == {0, 1, 2}
    seen.clear()
    run({"rec": record}, [GaussPair()], n=300, seeds=1, standardize=False, progress=False)
    raw = seen[0][1]
    assert raw.mean() == pytest.approx(3.0, abs=1.0) and raw.std() > 4.0


# ----------------------------------------------------------------------- applicability

def test_not_applicable_rows_and_swap() -> None:
    ests = {"ksg": KSG(), "kde": KDE(), "mixed": MixedKSG(), "binning": Binning()}
    res = run(ests, [Balanced(k=2), Floor(k=2), Floor(k=2, swap=True)], n=400, seeds=1,
              progress=False)
    f = res.frame.set_index(["estimator", "task"])
    na = f[f["status"] == "not applicable"]
    assert set(na.index) == {("ksg", "test-balanced-2"), ("ksg", "test-floor-2"),
                             ("ksg", "test-floor-2-swapped"), ("kde", "test-balanced-2"),
                             ("mixed", "test-balanced-2")}
    assert na["estimate"].isna().all() and na["seconds"].isna().all()
    assert f.loc[("ksg", "test-floor-2"), "message"] == (
        "KSG needs continuous x and continuous y; the task has continuous x and discrete y")
    assert f.loc[("kde", "test-balanced-2"), "message"].startswith(
        "KDE needs continuous x and discrete y")
    # the labels-first task is given to MixedKSG/KDE with the sides swapped: same numbers
    for est in ("mixed", "kde", "binning"):
        assert f.loc[(est, "test-floor-2-swapped"), "status"] == "ok"
        assert f.loc[(est, "test-floor-2-swapped"), "estimate"] == pytest.approx(
            f.loc[(est, "test-floor-2"), "estimate"], rel=1e-12)
    # MixedKSG (Ross) on Y = floor(X) with n = 400 is close to log 2
    assert f.loc[("mixed", "test-floor-2"), "estimate"] == pytest.approx(math.log(2), abs=0.1)
    tab = res.table().set_index("estimator")
    assert tab.loc["ksg", "applicable"] == 0 and tab.loc["ksg", "tasks"] == 3
    assert tab.loc["mixed", "applicable"] == 2 and math.isnan(tab.loc["ksg", "mae"])
    assert "0 / 0 (3 n/a)" in res.to_markdown()


def test_applicability_rules() -> None:
    assert applicability(MixedKSG(method="gao"), Balanced()) is None
    assert applicability(MixedKSG(), Balanced()) is not None
    assert applicability(Gaussian(), Floor()) is not None
    assert applicability(KSG(), GaussPair()) is None
    assert applicability(perfect_plus(0.0), Balanced()) is None  # callables: always tried


def test_user_errors_are_rows() -> None:
    calls = {"n": 0}

    def flaky(x: Any, y: Any) -> float:
        calls["n"] += 1
        if calls["n"] % 2 == 0:
            raise RuntimeError("deliberate\nsecond line")
        return Binning().estimate(x, y)

    def unsupported(x: Any, y: Any) -> float:
        raise NotImplementedError("labels only")

    res = run({"flaky": flaky, "nan": lambda x, y: math.nan, "text": lambda x, y: "1.0",
               "unsupported": unsupported, "ok": perfect_plus(0.0)},
              BAL, n=200, seeds=2, progress=False)
    f = res.frame
    flaky_rows = f[f["estimator"] == "flaky"]
    assert list(flaky_rows["status"]) == ["ok", "error", "ok", "error"]
    assert set(flaky_rows["message"][flaky_rows["status"] == "error"]) == {
        "RuntimeError: deliberate"}
    nan_rows = f[f["estimator"] == "nan"]
    assert (nan_rows["message"] == "ValueError: the estimator returned nan.").all()
    assert f[f["estimator"] == "text"]["message"].str.startswith(
        "TypeError: the estimator must return a real number").all()
    assert (f[f["estimator"] == "unsupported"]["status"] == "not applicable").all()
    tab = res.table().set_index("estimator")
    assert tab.loc["flaky", "within"] == 0 and tab.loc["flaky", "failed"] == 2
    assert tab.loc["ok", "within"] == 2 and tab.loc["unsupported", "applicable"] == 0


# ------------------------------------------------------------------------- store, resume

def test_resume_corrupt_file_and_outputs(tmp_path: Path) -> None:
    calls: list[int] = []

    def counted(x: Any, y: Any) -> float:
        calls.append(1)
        return Binning().estimate(x, y)

    first = run({"counted": counted}, BAL, n=200, seeds=2, out=tmp_path, progress=False)
    assert len(calls) == 4
    files = sorted((tmp_path / "results").rglob("*.json"))
    assert len(files) == 4 and all(p.parent.parent.name == "counted" for p in files)
    again = run({"counted": counted}, BAL, n=200, seeds=2, out=tmp_path, progress=False)
    assert len(calls) == 4  # nothing recomputed
    pd.testing.assert_frame_equal(first.frame, again.frame)

    files[0].write_text("{not json")
    with pytest.warns(UserWarning, match=r"result file .* is unreadable.*recomputing"):
        third = run({"counted": counted}, BAL, n=200, seeds=2, out=tmp_path, progress=False)
    assert len(calls) == 5
    pd.testing.assert_frame_equal(first.frame.drop(columns=["seconds", "wall_seconds"]),
                                  third.frame.drop(columns=["seconds", "wall_seconds"]))
    run({"counted": counted}, BAL, n=240, seeds=2, out=tmp_path, progress=False)
    assert len(calls) == 9  # another n: new keys

    # the summary files describe the run
    saved = pd.read_csv(tmp_path / "results.csv")
    assert list(saved.columns) == list(benchmark.COLUMNS) and set(saved["n"]) == {240}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["table"][0]["estimator"] == "counted" and summary["table"][0]["within"] == 2
    assert summary["tolerance"] == {"abs_tol": 0.1, "rel_tol": 0.1,
                                    "rule": first.criterion()}
    assert (tmp_path / "summary.md").read_text().startswith("| estimator |")
    assert (tmp_path / "benchmark.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_errors_rerun_and_in_memory_writes_nothing(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def broken(x: Any, y: Any) -> float:
        calls.append(1)
        raise ValueError("boom")

    res = run({"broken": broken}, BAL[:1], n=100, seeds=2, out=tmp_path, progress=False)
    assert (res.frame["status"] == "error").all()
    saved = json.loads(next((tmp_path / "results").rglob("*.json")).read_text())
    assert "Traceback" in saved["result"]["traceback"] and "boom" in saved["result"]["traceback"]
    run({"broken": broken}, BAL[:1], n=100, seeds=2, out=tmp_path, progress=False)
    assert len(calls) == 4  # errors are retried

    monkeypatch.chdir(tmp_path / "results")
    before = sorted(Path(".").rglob("*"))
    run(Binning(), BAL[:1], n=100, seeds=1, progress=False)
    assert sorted(Path(".").rglob("*")) == before


def test_lock_refuses_second_run(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    with (tmp_path / ".benchmark.lock").open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(ValueError, match=r"`out` .*\.benchmark\.lock.*another "
                                             r"`infoplane benchmark` run is using it"):
            run(Binning(), BAL, n=100, seeds=1, out=tmp_path, progress=False)
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    assert not (tmp_path / "results").exists()
    run(Binning(), BAL, n=100, seeds=1, out=tmp_path, progress=False)
    assert (tmp_path / "results.csv").is_file()


def test_worker_processes_match_in_process() -> None:
    """jobs=2 runs the estimates in loky worker processes: the same numbers."""
    ests = {"gaussian": Gaussian(), "ksg": KSG()}  # registry task: workers skip this module
    one = run(ests, "normal-dense-1x1-0.5", n=300, seeds=2, progress=False)
    two = run(ests, "normal-dense-1x1-0.5", n=300, seeds=2, jobs=2, progress=False)
    pd.testing.assert_frame_equal(one.frame.drop(columns=["seconds", "wall_seconds"]),
                                  two.frame.drop(columns=["seconds", "wall_seconds"]))


def test_lost_worker_is_an_error_row(tmp_path: Path) -> None:
    """A unit whose worker died (the executor reports it through `lost`) is saved as an
    error row and recomputed next time."""
    from concurrent.futures.process import BrokenProcessPool

    unit = benchmark._Unit(benchmark._entry("ok", _ok), BAL[0], 100, 0, True, False)
    exc = BrokenProcessPool("A task has failed to un-serialize. The exit codes of the "
                            "workers are {SIGKILL(-9)}")
    lost = benchmark._lost(unit, exc, "the estimate could not be run in a worker process", 2.0)
    assert lost.status == "error" and math.isnan(lost.estimate)
    assert lost.message == ("the worker process died while running this estimate "
                            "(BrokenProcessPool: exit codes {SIGKILL(-9)}): out of memory or "
                            "a crash in native code?")
    path = benchmark._result_path(tmp_path, unit)
    benchmark._save(path, unit, lost)
    assert benchmark._load(path, unit) == lost
    res = run({"ok": _ok}, BAL[0], n=100, seeds=1, out=tmp_path, progress=False)
    assert list(res.frame["status"]) == ["ok"]  # the error was recomputed


# ------------------------------------------------------------------------------ options

def test_bad_arguments() -> None:
    cases: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({"n": 1}, ValueError, r"`n` must be an integer >= 2, got 1"),
        ({"n": 10**9}, ValueError, r"`n` must be <= 100000000"),
        ({"n": []}, ValueError, r"`n` must be a sample size"),
        ({"seeds": 0}, ValueError, r"`seeds` must be an integer >= 1"),
        ({"seeds": [1, 1]}, ValueError, r"`seeds` must be distinct"),
        ({"abs_tol": -0.1}, ValueError, r"`abs_tol` must be >= 0"),
        ({"jobs": 0}, ValueError, r"`jobs` must be an integer >= 1, or -1"),
        ({"backend": "mpi"}, ValueError, r"`backend` must be one of"),
        ({"standardize": "yes"}, TypeError, r"`standardize` must be True or False"),
        ({"estimators": []}, ValueError, r"`estimators` must be non-empty"),
        ({"estimators": [3]}, TypeError, r"`estimators` must hold Estimator instances"),
        ({"estimators": {"": KSG()}}, ValueError, r"`estimators` must be a mapping with"),
        ({"tasks": []}, ValueError, r"`tasks` must be a non-empty selection"),
        ({"tasks": [3]}, TypeError, r"`tasks` must hold Task objects or strings"),
    ]
    for kwargs, exc, pattern in cases:
        args: dict[str, Any] = {"estimators": Binning(), "tasks": BAL, "progress": False}
        args.update(kwargs)
        with pytest.raises(exc, match=pattern):
            run(**args)


def test_bad_out_and_sizes_are_refused_before_anything_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from infoplane.samplers import _base

    calls: list[int] = []

    def counted(x: Any, y: Any) -> float:
        calls.append(1)
        return 0.0

    afile = tmp_path / "afile"
    afile.write_text("")
    with pytest.raises(ValueError, match=r"^`out` must be a directory, got '.*afile'\. "
                                         r"\(it is a file\)"):
        run(counted, BAL, n=100, seeds=1, out=afile, progress=False)
    with pytest.raises(ValueError, match=r"^`out` must be a directory that can be created, "
                                         r"got '.*afile/sub' \(Not a directory\)"):
        run(counted, BAL, n=100, seeds=1, out=afile / "sub", progress=False)
    with pytest.raises(TypeError, match=r"^`out` must be a directory path or None"):
        run(counted, BAL, n=100, seeds=1, out=3, progress=False)  # type: ignore[arg-type]
    code = main(["benchmark", "--estimator", "gaussian", "--tasks", "normal-dense-1x1-0.5",
                 "--n", "100", "--seeds", "1", "--out", str(afile / "sub")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("infoplane: error: `--out` must be a directory that")
    # a sample that cannot fit (here: a 400-byte limit) is refused for the task that needs it
    monkeypatch.setattr(_base, "MAX_SAMPLE_BYTES", 400)
    with pytest.raises(ValueError, match=r"^`n` must be at most 25 for 2 float64 columns .*"
                                         r"got 100\..*\(task 'test-balanced-2'\)"):
        run(counted, BAL, n=[10, 100], seeds=1, progress=False)
    assert calls == []
    code = main(["benchmark", "--estimator", "gaussian", "--tasks", "normal-dense-1x1-0.5",
                 "--n", "100", "--seeds", "1"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("infoplane: error: `--n` must be at most 25")


def test_resolve_tasks() -> None:
    assert len(resolve_tasks("suite:bmi")) == 20
    assert [t.name for t in resolve_tasks("bmi")] == [t.name for t in resolve_tasks("suite:bmi")]
    assert [t.name for t in resolve_tasks(["student-dof[12]-*", "student-dof1-1x1",
                                           "task:normal-dense-1x1-0.75"])] == [
        "student-dof1-1x1", "student-dof2-2x2", "normal-dense-1x1-0.75"]
    with pytest.raises(ValueError, match=r"`tasks` must be a task name.*Close names: "
                                         r"'normal-dense-1x1-0.75'"):
        resolve_tasks("normal-dense-1x1-0.7")
    with pytest.raises(ValueError, match=r"`tasks` must be a pattern matching"):
        resolve_tasks("zzz-*")
    with pytest.raises(ValueError, match=r"`tasks` must be a known suite"):
        resolve_tasks("suite:nope")
    with pytest.raises(ValueError, match=r"two different tasks named 'test-gauss-0\.6'"):
        resolve_tasks([GaussPair(), GaussPair(scale=1.0)])


def test_progress_lines_without_terminal(capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setattr(benchmark, "PLAIN_INTERVAL", 0.01)

    def slow(x: Any, y: Any) -> float:
        time.sleep(0.1)
        return 0.0

    run({"slow": slow}, BAL, n=100, seeds=2, progress=True)
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("benchmark: 4/4 estimates in 0:00:0")
    assert any(re.fullmatch(r"benchmark: [0-4]/4 estimates, \d:\d\d:\d\d elapsed, ETA "
                            r"(\?|\d:\d\d:\d\d)", line) for line in err[:-1])
    run({"slow": slow}, BAL[:1], n=100, seeds=1, progress=False)
    assert capsys.readouterr().err == ""


def test_figure() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from infoplane.plotting import benchmark_figure

    res = run({"perfect": Binning(), "biased": perfect_plus(0.2), "ksg": KSG()}, BAL, n=200,
              seeds=2, progress=False)
    fig = benchmark_figure(res)
    left, right = fig.axes
    assert "nats" in left.get_xlabel() and "nats" in left.get_ylabel()
    assert "nats" in right.get_xlabel() and fig.get_suptitle()
    # two estimators have points (ksg is not applicable to labels): one errorbar set each
    assert len(left.containers) == 2 and len(right.containers) == 2
    assert [t.get_text() for t in right.get_yticklabels()] == [
        "test-balanced-2 (0.69)", "test-balanced-4 (1.39)"]
    plt.close(fig)


# ---------------------------------------------------------------------------------- CLI

TWO = "normal-dense-1x1-0.75,normal-dense-1x1-0.5"


def test_cli_writes_files_and_groups_options(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench"
    code = main(["-q", "benchmark", "--estimator", "ksg", "-O", "k=2", "--estimator", "ksg",
                 "--estimator", "gaussian", "--option=shrinkage=0.1", "--tasks", TWO,
                 "--n", "200", "--seeds", "2", "--out", str(out)])
    stdout, _ = capsys.readouterr()
    assert code == 0
    for name in ("ksg(k=2)", "| ksg |", "gaussian(shrinkage=0.1)"):
        assert name in stdout
    assert {p.name for p in out.iterdir()} >= {"results", "results.csv", "summary.json",
                                                "summary.md", "benchmark.png"}
    frame = pd.read_csv(out / "results.csv")
    assert len(frame) == 3 * 2 * 2 and set(frame["n"]) == {200}
    assert stdout.strip() == (out / "summary.md").read_text().strip()
    saved = {p.name for p in (out / "results").iterdir()}
    assert saved == {"ksg-k-2", "ksg", "gaussian-shrinkage-0.1"}

    code = main(["benchmark", "--estimator", "gaussian", "--tasks", TWO, "--n", "200",
                 "--seeds", "2", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["table"][0]["estimator"] == "gaussian"
    assert summary["settings"]["n"] == [200] and len(summary["tasks"]) == 2


@pytest.mark.parametrize(("args", "message"), [
    (["-O", "k=5", "--estimator", "ksg"], "`-O k=5` must follow the `--estimator NAME`"),
    (["--estimator", "ksg", "-O", "kk=5"], "`--option kk` does not apply to KSG"),
    (["--estimator", "ksg", "-O", "k=0"], r"`-O k` must be .* \(in --estimator ksg\(k=0\)\)"),
    (["--estimator", "ksg", "--estimator", "ksg"], "`--estimator` must not repeat"),
    (["--tasks", "nope"], "`--tasks` must be a task name"),
    (["--n", "abc"], "`--n` must be comma-separated integers"),
    (["--n", "1"], "`--n` must be an integer >= 2"),
    (["--seeds", "0"], "`--seeds` must be an integer >= 1"),
    (["--jobs", "0"], "`--jobs` must be an integer >= 1"),
    (["--abs-tol", "-1"], "`--abs-tol` must be >= 0"),
])
def test_cli_errors(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["benchmark", "--tasks", "normal-dense-1x1-0.75", "--n", "100"]
    if "--estimator" not in args and "-O" not in args:
        base += ["--estimator", "gaussian"]
    code = main(base + args)
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("infoplane: error: ")
    assert re.search(message, err), err


def test_cli_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["benchmark", "--tasks", "student-dof[12]-*", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] for ln in lines] == ["student-dof1-1x1", "student-dof2-2x2"]
    assert "continuous/continuous" in lines[0] and "nats" in lines[0]


def test_doctests() -> None:
    result = doctest.testmod(benchmark)
    assert result.failed == 0 and result.attempted >= 5
