"""Bad user files (issue 13, category Files): one line naming the option and the file, exit 2.

Every file the command line reads (``--data`` of ``capacity``/``curve``/``plan``, ``FILE`` of
``estimate`` with ``--x``/``--y``/``--z``, ``--model``) and :func:`infoplane.datasets.load` is
fed truncated, empty, random, mislabelled, huge-by-header, non-numeric and ill-shaped files.
"""

from __future__ import annotations

import builtins
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.lib import format as npformat

from infoplane import _io
from infoplane import datasets as D
from infoplane._io import load_array, load_arrays
from infoplane.cli import main

RNG = np.random.default_rng(0)
GOOD = RNG.standard_normal((50, 3))


def _header_only(path: Path, shape: tuple[int, ...], pad: int = 0) -> None:
    with open(path, "wb") as fh:
        npformat.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False,
                                             "shape": shape})
        fh.write(b"\0" * pad)


def _pair(path: Path) -> None:
    np.savez(path, x=GOOD, y=GOOD[:, :1])


def _truncated_npz(path: Path) -> None:
    _pair(path.with_name("full.npz"))
    raw = path.with_name("full.npz").read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


def _crc_npz(path: Path) -> None:
    _pair(path.with_name("full.npz"))
    raw = bytearray(path.with_name("full.npz").read_bytes())
    raw[raw.find(b"\x93NUMPY") + 200] ^= 0xFF  # corrupt the data of 'x', keep the zip intact
    path.write_bytes(bytes(raw))


def _npy_named_npz(path: Path) -> None:
    with open(path, "wb") as fh:
        np.save(fh, GOOD)


def _npz_named_npy(path: Path) -> None:
    with open(path, "wb") as fh:
        np.savez(fh, x=GOOD)


def _foreign_npz(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hi")


def _huge_member(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        with zf.open("x.npy", "w") as fh:
            npformat.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False,
                                                 "shape": (10**6, 10**6)})
        with zf.open("y.npy", "w") as fh:
            npformat.write_array(fh, GOOD)


#: name -> (file name, how to write it)
FILES: dict[str, tuple[str, Callable[[Path], Any]]] = {
    "trunc_npz": ("d.npz", _truncated_npz),
    "crc_npz": ("d.npz", _crc_npz),
    "empty_npy": ("d.npy", lambda p: p.write_bytes(b"")),
    "empty_npz": ("d.npz", lambda p: p.write_bytes(b"")),
    "blank_csv": ("d.csv", lambda p: p.write_text("\n  \n")),
    "huge_npy": ("d.npy", lambda p: _header_only(p, (10**6, 10**6), pad=64)),
    "short_npy": ("d.npy", lambda p: _header_only(p, (100, 3), pad=800)),
    "bad_header": ("d.npy", lambda p: p.write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': no}\n")),
    "random_npy": ("d.npy", lambda p: p.write_bytes(RNG.bytes(4096))),
    "random_npz": ("d.npz", lambda p: p.write_bytes(RNG.bytes(4096))),
    "random_csv": ("d.csv", lambda p: p.write_bytes(b"\xbc\xff" + RNG.bytes(4096))),
    "npy_as_npz": ("d.npz", _npy_named_npz),
    "npz_as_npy": ("d.npy", _npz_named_npy),
    "header_csv": ("d.csv", lambda p: p.write_text("a,b,c\n1,2,3\n4,5,6\n")),
    "nan_csv": ("d.csv", lambda p: p.write_text("1,2,3\n4,nan,6\n7,8,9\n")),
    "inf_npy": ("d.npy", lambda p: np.save(p, np.array([[1.0, 2.0], [np.inf, 3.0]]))),
    "ragged_csv": ("d.csv", lambda p: p.write_text("1,2,3\n4,5\n7,8,9\n")),
    "semicolon_csv": ("d.csv", lambda p: p.write_text("1;2;3\n4;5;6\n")),
    "several_npz": ("d.npz", lambda p: np.savez(p, a=GOOD, b=GOOD)),
    "zero_rows": ("d.npy", lambda p: np.save(p, np.zeros((0, 3)))),
    "three_d": ("d.npy", lambda p: np.save(p, np.zeros((4, 3, 2)))),
    "object_npy": ("d.npy", lambda p: np.save(p, np.array([{"a": 1}, None], dtype=object),
                                              allow_pickle=True)),
    "complex_npy": ("d.npy", lambda p: np.save(p, GOOD + 1j)),
    "strings_npy": ("d.npy", lambda p: np.save(p, np.array([["1", "2"], ["3", "4"]]))),
    "huge_member": ("d.npz", _huge_member),
    "foreign_npz": ("d.npz", _foreign_npz),
    "good_npy": ("d.npy", lambda p: np.save(p, GOOD)),
    "pair_npz": ("d.npz", _pair),
}


def make(tmp_path: Path, name: str) -> Path:
    fname, write = FILES[name]
    path = tmp_path / name / fname
    path.parent.mkdir()
    write(path)
    return path


def cli_error(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the CLI, assert exit code 2 and one line without a traceback; return the line."""
    code = main(args)
    _, err = capsys.readouterr()
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("infoplane: error: ")
    return lines[0]


CAPACITY = ["capacity", "--widths", "2", "--budget", "1", "--data"]

# (file, extra arguments, the option named, what the message must say)
CAPACITY_CASES = [
    ("trunc_npz", [], "--data", "not a readable zip archive"),
    ("crc_npz", ["--key", "x"], "--data", "Bad CRC-32"),
    ("empty_npy", [], "--data", "the file is empty"),
    ("empty_npz", [], "--data", "the file is empty"),
    ("blank_csv", [], "--data", "empty or blank"),
    ("huge_npy", [], "--data", "truncated or corrupt"),
    ("short_npy", [], "--data", "2.3 KiB of data, but only 800 B follow"),
    ("bad_header", [], "--data", "header cannot be parsed"),
    ("random_npy", [], "--data", "does not start with the .npy magic string"),
    ("random_npz", [], "--data", "not a readable zip archive"),
    ("random_csv", [], "--data", "not UTF-8 text"),
    ("npy_as_npz", [], "--data", "it is a .npy file"),
    ("npz_as_npy", [], "--data", "it is a zip archive"),
    ("header_csv", [], "--data", "data row 1, column 1: 'a' is not a number; a header row?"),
    ("nan_csv", [], "--data", "nan at data row 2, column 2"),
    ("inf_npy", [], "--data", "inf at index [1, 0]"),
    ("ragged_csv", [], "--data", "data row 2 has 2 column(s), the rows before it 3"),
    ("semicolon_csv", [], "--data", "not comma-separated"),
    ("several_npz", [], "--key", "one of ['a', 'b']"),
    ("several_npz", ["--key", "c"], "--key", "got 'c'"),
    ("good_npy", ["--key", "x"], "--key", "only with an .npz"),
    ("zero_rows", [], "--data", "non-empty array"),
    ("three_d", [], "--data", "1-D or 2-D array"),
    ("object_npy", [], "--data", "pickled data is never loaded"),
    ("complex_npy", [], "--data", "must hold real numbers"),
    ("strings_npy", [], "--data", "dtype <U1"),
    ("huge_member", ["--key", "x"], "--data", "array 'x': its header declares shape"),
    ("foreign_npz", [], "--data", "holds no .npy arrays"),
]


@pytest.mark.parametrize(("name", "extra", "option", "says"), CAPACITY_CASES,
                         ids=[f"{c[0]}{'-key' if c[1] else ''}" for c in CAPACITY_CASES])
def test_capacity_data_file_errors(name: str, extra: list[str], option: str, says: str,
                                   tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = make(tmp_path, name)
    line = cli_error([*CAPACITY, str(path), *extra], capsys)
    assert line.startswith(f"infoplane: error: `{option}` must ")
    assert str(path) in line
    assert says in line


@pytest.mark.parametrize("sub", [["capacity", "curve", "-o", "f.png"],
                                 ["capacity", "plan", "--target", "1"]])
def test_capacity_subcommands_name_data(sub: list[str], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = make(tmp_path, "trunc_npz")
    line = cli_error([*sub, "--widths", "2", "--data", str(path)], capsys)
    assert f"`--data` must be an .npz archive (numpy.savez), got {str(path)!r}" in line


def test_missing_file_and_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = cli_error([*CAPACITY, str(tmp_path / "nope.npy")], capsys)
    assert f"`--data` must be an existing file, got {str(tmp_path / 'nope.npy')!r}." in line
    (tmp_path / "d.npy").mkdir()
    with pytest.raises(IsADirectoryError, match=r"`path` must be a file, got .* \(a directory\)"):
        load_array(tmp_path / "d.npy")
    assert main([*CAPACITY, str(tmp_path / "d.npy")]) == 2  # click's own check of --data


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    # chmod 000 does not stop root, so the refusal of the operating system is simulated
    path = make(tmp_path, "good_npy")

    def deny(file: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(file) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return builtins.open(file, *args, **kwargs)

    monkeypatch.setattr(_io, "open", deny, raising=False)
    line = cli_error([*CAPACITY, str(path)], capsys)
    assert f"`--data` must be a readable file, got {str(path)!r} (permission denied)." in line


def test_memory_is_checked_from_the_header_before_reading(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # a consistent, sparse 1 TiB .npy: complete, but far beyond the (pretended) memory
    path = tmp_path / "big.npy"
    with open(path, "wb") as fh:
        npformat.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False,
                                             "shape": (2**34, 8)})
        try:
            fh.truncate(fh.tell() + 2**40)
        except OSError:
            pytest.skip("the file system has no sparse files")
    monkeypatch.setattr(_io, "available_memory", lambda: 2**30)

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("data read despite the memory check")

    monkeypatch.setattr(npformat, "read_array", never)
    line = cli_error([*CAPACITY, str(path)], capsys)
    assert "`--data` must be small enough to fit in the memory available (1.0 GiB)" in line
    assert "shape (17179869184, 8) of float64 needs 1.0 TiB to load" in line
    # a float32 file counts its float64 copy too: 100 x 10 float32 = 4000 B + 8000 B
    np.save(tmp_path / "f32.npy", np.ones((100, 10), dtype=np.float32))
    monkeypatch.setattr(_io, "available_memory", lambda: 11_999)
    with pytest.raises(ValueError, match=r"needs 11\.7 KiB to load"):
        load_array(tmp_path / "f32.npy")
    monkeypatch.undo()  # the real reader again
    monkeypatch.setattr(_io, "available_memory", lambda: 12_000)
    np.testing.assert_array_equal(load_array(tmp_path / "f32.npy"), np.ones((100, 10)))


def test_npz_memory_counts_all_estimate_arrays(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = make(tmp_path, "pair_npz")  # x: 50 x 3, y: 50 x 1 float64 = 1200 + 400 B
    monkeypatch.setattr(_io, "available_memory", lambda: 1599)
    with pytest.raises(ValueError, match=r"`FILE` must be small enough .* needs 1\.6 KiB"):
        load_arrays(path, {"--x": "x", "--y": "y"}, option="FILE")
    monkeypatch.setattr(_io, "available_memory", lambda: 1600)
    got = load_arrays(path, {"--x": "x", "--y": "y"}, option="FILE")
    np.testing.assert_array_equal(got["--x"], GOOD)
    np.testing.assert_array_equal(got["--y"], GOOD[:, :1])


ESTIMATE_CASES = [
    ("trunc_npz", "not a readable zip archive"),
    ("empty_npz", "the file is empty"),
    ("good_npy", "it is a .npy file, which holds a single array"),
    ("npy_as_npz", "it is a .npy file, which holds a single array"),
    ("random_npz", "not a readable zip archive"),
    ("header_csv", "not a readable zip archive"),
    ("crc_npz", "Bad CRC-32"),
    ("huge_member", "array 'x': its header declares shape (1000000, 1000000)"),
    ("foreign_npz", "holds no .npy arrays"),
]


@pytest.mark.parametrize(("name", "says"), ESTIMATE_CASES, ids=[c[0] for c in ESTIMATE_CASES])
def test_estimate_file_errors(name: str, says: str, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    path = make(tmp_path, name)
    line = cli_error(["estimate", str(path), "--x", "x", "--y", "y"], capsys)
    assert line.startswith("infoplane: error: `FILE` must ")
    assert str(path) in line and says in line


def test_estimate_array_errors_name_the_option(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "d.npz"
    np.savez(path, x=GOOD, y=GOOD[:, :1], zero=np.zeros((0, 3)),
             obj=np.array([{"a": 1}], dtype=object), c=GOOD + 1j)
    line = cli_error(["estimate", str(path), "--x", "x", "--y", "y", "--z", "zz"], capsys)
    assert line.endswith(f"`--z` must name an array in {str(path)!r}: one of "
                         "['x', 'y', 'zero', 'obj', 'c'], got 'zz'.")
    line = cli_error(["estimate", str(path), "--x", "obj", "--y", "y"], capsys)
    assert line.endswith(f"`--x` must name an array of numbers, got 'obj' (in {str(path)!r}: "
                         "it holds Python objects, dtype object; pickled data is never loaded).")
    # empty and complex arrays are refused by the estimators, under the option's name
    line = cli_error(["estimate", str(path), "--x", "zero", "--y", "y"], capsys)
    assert "`--x zero` must be non-empty" in line
    line = cli_error(["estimate", str(path), "--x", "c", "--y", "y"], capsys)
    assert "`--x c` must be an array of real numbers" in line


@pytest.mark.parametrize(("module", "source", "says"), [
    ("nosuchmod", None, "must name an importable module, got 'nosuchmod:Net' "
                        "(No module named 'nosuchmod'"),
    ("raises", "raise RuntimeError('boom')\n", "importing 'raises' raised RuntimeError: boom"),
    ("broken", "def f(:\n", "importing 'broken' raised SyntaxError"),
])
def test_model_spec_import_errors(module: str, source: str | None, says: str, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    if source is not None:
        (tmp_path / f"{module}.py").write_text(source)
    data = make(tmp_path, "good_npy")
    line = cli_error(["capacity", "--data", str(data), "--model", f"{module}:Net",
                      "--budget", "1"], capsys)
    assert line.startswith("infoplane: error: `--model` must ") and says in line


def test_good_files_still_load(tmp_path: Path) -> None:
    np.testing.assert_array_equal(load_array(make(tmp_path, "good_npy")), GOOD)
    np.testing.assert_array_equal(load_array(make(tmp_path, "pair_npz"), "y"), GOOD[:, :1])
    np.savez_compressed(tmp_path / "c.npz", x=GOOD.astype(np.float32))
    np.testing.assert_array_equal(load_array(tmp_path / "c.npz"), GOOD.astype(np.float32))
    np.savetxt(tmp_path / "g.csv", GOOD, delimiter=",")
    np.testing.assert_allclose(load_array(tmp_path / "g.csv"), GOOD, rtol=1e-15)
    np.save(tmp_path / "i.npy", np.arange(6).reshape(3, 2))
    assert load_array(tmp_path / "i.npy").dtype == np.float64
    assert load_array(tmp_path / "i.npy").tolist() == [[0, 1], [2, 3], [4, 5]]


def test_load_array_names_its_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^`path` must be a \.npy, \.npz or \.csv file"):
        load_array(tmp_path / "x.json")
    with pytest.raises(TypeError, match=r"^`path` must hold real numbers"):
        load_array(make(tmp_path, "complex_npy"))
    with pytest.raises(ValueError, match="pickled data is never loaded"):
        load_array(make(tmp_path, "object_npy"))
    assert load_array(make(tmp_path, "inf_npy"), finite=False)[1, 0] == np.inf
    assert load_array(make(tmp_path, "three_d"), ndims=None).shape == (4, 3, 2)


@pytest.mark.parametrize(("name", "kwargs", "exc", "says"), [
    ("trunc_npz", {}, ValueError, "`path` must be an .npz archive"),
    ("empty_npy", {}, ValueError, "`path` must be a non-empty .npy file"),
    ("huge_npy", {}, ValueError, "`path` must be a complete .npy array"),
    ("npy_as_npz", {}, ValueError, "it is a .npy file"),
    ("random_csv", {}, ValueError, "not UTF-8 text"),
    ("pair_npz", {"y_key": "labels"}, ValueError, "`y_key` must be one of ['x', 'y']"),
    ("pair_npz", {"x_key": "inputs"}, ValueError, "`x_key` must be one of ['x', 'y']"),
    ("complex_npy", {}, TypeError, "`path` must hold real numbers"),
])
def test_datasets_load_bad_files(name: str, kwargs: dict[str, str], exc: type[Exception],
                                 says: str, tmp_path: Path) -> None:
    path = make(tmp_path, name)
    with pytest.raises(exc) as info:
        D.load(path, **kwargs)
    assert says in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_no_file_is_unpickled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    def no_pickle(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("unpickled")

    monkeypatch.setattr(pickle, "load", no_pickle)
    monkeypatch.setattr(pickle, "loads", no_pickle)
    for name in ("object_npy", "random_npy", "random_npz"):
        with pytest.raises(ValueError, match="`path` must"):
            load_array(make(tmp_path, name))
