"""Tests for infoplane.datasets: the 12-bit generator, loaders and the Dataset container."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from infoplane import datasets as D

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
VAR_U = SHARED_DATA / "var_u.mat"
MNIST_DIR = SHARED_DATA / "mnist_t10k"


# ---------------------------------------------------------------- Dataset ---------------------

def test_dataset_coerces_dtypes_and_is_frozen() -> None:
    ds = D.Dataset(np.ones((3, 2), dtype=np.float64), np.array([0.0, 1.0, 1.0]), "t", 2, "d")
    assert ds.x.dtype == np.float32 and ds.y.dtype == np.int64
    with pytest.raises(AttributeError):
        ds.name = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("x", "y", "n_classes", "match"),
    [
        (np.ones(3), [0, 1, 0], 2, "`x` must be a 2-D array"),
        (np.ones((3, 2)), [0, 1], 2, "`y` must be a 1-D array of length 3"),
        (np.ones((3, 2)), [0, 1, 2], 2, r"`y` must be labels in 0 \.\. 1"),
        (np.ones((3, 2)), [0, 1.5, 0], 2, "`y` must be integer class labels, got 1.5."),
        (np.array([[np.nan, 1.0]]), [0], 2, "`x` must be finite"),
    ],
)
def test_dataset_validation(x: object, y: object, n_classes: int, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        D.Dataset(x, y, "t", n_classes)  # type: ignore[arg-type]


def test_split_is_seeded_stratified_and_disjoint() -> None:
    ds = D.twelve_bit()
    tr1, te1 = ds.split(0.25, seed=3)
    tr2, te2 = ds.split(0.25, seed=3)
    tr3, _ = ds.split(0.25, seed=4)
    assert np.array_equal(tr1.x, tr2.x) and np.array_equal(te1.y, te2.y)
    assert not np.array_equal(tr1.x, tr3.x)
    assert tr1.n_samples + te1.n_samples == 4096 and te1.n_samples == 1024
    rows = {tuple(r) for r in tr1.x.astype(int)} | {tuple(r) for r in te1.x.astype(int)}
    assert len(rows) == 4096
    assert abs(te1.y.mean() - ds.y.mean()) < 2e-3  # stratified
    assert tr1.name == "twelve_bit/train" and te1.name == "twelve_bit/test"
    _, te_plain = ds.split(0.25, seed=3, stratify=False)
    assert te_plain.n_samples == 1024


@pytest.mark.parametrize("frac", [0.0, 1.0, -0.1, 1.5])
def test_split_rejects_bad_fraction(frac: float) -> None:
    with pytest.raises(ValueError, match="`test_fraction` must be strictly between 0 and 1"):
        D.twelve_bit().split(frac)


# ---------------------------------------------------------------- 12-bit task -----------------

def test_icosahedron_geometry() -> None:
    v, adj = D.icosahedron()
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0)
    assert np.allclose(v.sum(axis=0), 0.0)
    assert (adj == adj.T).all() and not adj.diagonal().any()
    assert adj.sum() == 60 and (adj.sum(axis=1) == 5).all()
    # every vertex has exactly one antipode
    assert (np.isclose(v @ v.T, -1.0).sum(axis=1) == 1).all()


def test_group_has_120_distinct_symmetries_preserving_adjacency() -> None:
    g = D.icosahedral_group()
    v, adj = D.icosahedron()
    assert g.shape == (120, 12)
    assert len({tuple(p) for p in g.tolist()}) == 120
    assert np.array_equal(g[0], np.arange(12))
    for perm in g:
        assert sorted(perm.tolist()) == list(range(12))
        assert np.array_equal(adj[np.ix_(perm, perm)], adj)
        # it is an orthogonal map of the sphere: all dot products are kept
        assert np.allclose(v[perm] @ v[perm].T, v @ v.T)
    # closed under composition
    keys = {tuple(p) for p in g.tolist()}
    for a in g[:10]:
        for b in g[::7]:
            assert tuple(a[b].tolist()) in keys


def test_twelve_bit_patterns_in_binary_order() -> None:
    ds = D.twelve_bit()
    assert ds.x.shape == (4096, 12) and ds.x.dtype == np.float32
    weights = 2 ** np.arange(11, -1, -1)
    assert np.array_equal(ds.x.astype(np.int64) @ weights, np.arange(4096))
    assert ds.n_classes == 2 and ds.name == "twelve_bit"


def test_twelve_bit_labels_invariant_under_all_120_symmetries() -> None:
    ds = D.twelve_bit()
    patterns = ds.x.astype(np.uint8)
    for perm in D.icosahedral_group():
        moved = np.empty_like(patterns)
        moved[:, perm] = patterns  # the bit on vertex i moves to vertex perm[i]
        assert np.array_equal(D.twelve_bit_labels(moved), ds.y)


def test_twelve_bit_balance_and_count_threshold() -> None:
    ds = D.twelve_bit()
    assert int(ds.y.sum()) == 2118 and int((ds.y == 0).sum()) == 1978
    p = ds.y.mean()
    h = -(p * np.log2(p) + (1 - p) * np.log2(1 - p))
    assert h == pytest.approx(0.99916, abs=1e-5)
    k = ds.x.sum(axis=1)
    assert (ds.y[k <= 4] == 0).all() and (ds.y[k >= 8] == 1).all()
    for ones in (5, 6, 7):  # decided by the orbit, both labels occur
        assert set(ds.y[k == ones].tolist()) == {0, 1}


def test_twelve_bit_is_deterministic() -> None:
    assert np.array_equal(D.twelve_bit(seed=0).y, D.twelve_bit(seed=5).y)


def test_twelve_bit_labels_validation() -> None:
    with pytest.raises(ValueError, match="`patterns` must be a 2-D array with 12 columns"):
        D.twelve_bit_labels(np.zeros((2, 11)))
    with pytest.raises(ValueError, match="`patterns` must be binary"):
        D.twelve_bit_labels(np.full((1, 12), 2))


@pytest.mark.skipif(not VAR_U.is_file(), reason="reference var_u.mat not available")
def test_twelve_bit_matches_original_var_u() -> None:
    scipy_io = pytest.importorskip("scipy.io")
    ref = scipy_io.loadmat(VAR_U)
    ds = D.twelve_bit()
    assert np.array_equal(ds.x.astype(np.uint8), ref["F"])
    assert np.array_equal(ds.y, ref["y"].ravel().astype(np.int64))  # 4096 / 4096 labels


# ---------------------------------------------------------------- digits / Gaussian -----------

def test_digits() -> None:
    ds = D.digits()
    assert ds.x.shape == (1797, 64) and ds.x.dtype == np.float32
    assert ds.x.min() == 0.0 and ds.x.max() == 1.0
    assert set(ds.y.tolist()) == set(range(10)) and ds.n_classes == 10


def test_gaussian_random_labels() -> None:
    ds = D.gaussian_random_labels(2000, 5, n_classes=3, seed=7)
    assert ds.x.shape == (2000, 5) and ds.x.dtype == np.float32
    assert set(ds.y.tolist()) == {0, 1, 2}
    assert abs(float(ds.x.mean())) < 0.05 and abs(float(ds.x.std()) - 1.0) < 0.05
    same = D.gaussian_random_labels(2000, 5, n_classes=3, seed=7)
    assert np.array_equal(ds.x, same.x) and np.array_equal(ds.y, same.y)
    assert not np.array_equal(ds.y, D.gaussian_random_labels(2000, 5, n_classes=3, seed=8).y)
    # labels independent of inputs: class means all near zero
    for c in range(3):
        assert np.abs(ds.x[ds.y == c].mean(axis=0)).max() < 0.15
    default = D.gaussian_random_labels()
    assert default.x.shape == (4096, 12) and default.n_classes == 2


def test_gaussian_random_labels_validation() -> None:
    with pytest.raises(ValueError, match="`n_classes` must be an integer >= 2"):
        D.gaussian_random_labels(n_classes=1)
    with pytest.raises(ValueError, match="`n` must be an integer >= 1"):
        D.gaussian_random_labels(0)


# ---------------------------------------------------------------- MNIST (IDX) -----------------

def _idx_images(images: np.ndarray, magic: int = 2051) -> bytes:
    head = magic.to_bytes(4, "big") + b"".join(int(n).to_bytes(4, "big") for n in images.shape)
    return head + images.astype(np.uint8).tobytes()


def _idx_labels(labels: np.ndarray, magic: int = 2049) -> bytes:
    return magic.to_bytes(4, "big") + len(labels).to_bytes(4, "big") + bytes(labels.tolist())


@pytest.fixture
def tiny_images() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return (rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8),
            np.array([3, 1, 4, 1, 5], dtype=np.uint8))


@pytest.mark.parametrize("compress", [True, False])
def test_mnist_reads_idx_raw_and_gzip(tmp_path: Path, compress: bool,
                                     tiny_images: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = tiny_images
    suffix = ".gz" if compress else ""
    wrap = gzip.compress if compress else (lambda b: b)
    (tmp_path / f"train-images-idx3-ubyte{suffix}").write_bytes(wrap(_idx_images(images)))
    (tmp_path / f"train-labels-idx1-ubyte{suffix}").write_bytes(wrap(_idx_labels(labels)))
    ds = D.mnist(tmp_path, kind="train")
    assert ds.x.shape == (5, 784) and ds.x.dtype == np.float32
    assert np.allclose(ds.x, images.reshape(5, -1) / 255.0)
    assert ds.y.tolist() == [3, 1, 4, 1, 5] and ds.n_classes == 10
    limited = D.mnist(tmp_path / f"train-images-idx3-ubyte{suffix}", limit=2)
    assert limited.x.shape == (2, 784) and limited.y.tolist() == [3, 1]


def test_mnist_errors(tmp_path: Path, tiny_images: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = tiny_images
    img = tmp_path / "t10k-images-idx3-ubyte"
    lab = tmp_path / "t10k-labels-idx1-ubyte"
    lab.write_bytes(_idx_labels(labels))
    img.write_bytes(_idx_images(images, magic=2049))
    with pytest.raises(ValueError, match=r"magic number 2051.*its magic number is 2049"):
        D.mnist(tmp_path)
    img.write_bytes(_idx_images(images)[:-10])
    with pytest.raises(ValueError, match="truncated"):
        D.mnist(tmp_path)
    img.write_bytes(_idx_images(images)[:9])
    with pytest.raises(ValueError, match="truncated"):
        D.mnist(tmp_path)
    img.write_bytes(_idx_images(images[:4]))
    with pytest.raises(ValueError, match="as many labels as images"):
        D.mnist(tmp_path)
    with pytest.raises(ValueError, match="`kind` must be one of 't10k', 'train'"):
        D.mnist(tmp_path, kind="test")  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match="`path_or_dir` must hold"):
        D.mnist(tmp_path, kind="train")
    with pytest.raises(FileNotFoundError, match="`path_or_dir` must be an existing"):
        D.mnist(tmp_path / "missing")
    img.write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(ValueError, match="gzip"):
        D.mnist(tmp_path)


@pytest.mark.skipif(not MNIST_DIR.is_dir(), reason="reference MNIST t10k not available")
def test_mnist_reference_t10k() -> None:
    ds = D.mnist(MNIST_DIR)
    assert ds.x.shape == (10000, 784)
    assert ds.x.min() == 0.0 and ds.x.max() == 1.0
    assert set(ds.y.tolist()) == set(range(10))
    assert int(ds.y[0]) == 7


# ---------------------------------------------------------------- user data -------------------

def test_load_npz_npy_csv(tmp_path: Path) -> None:
    x = np.arange(12, dtype=np.float64).reshape(4, 3)
    y = np.array([0, 2, 1, 2])
    np.savez(tmp_path / "d.npz", inputs=x, targets=y)
    ds = D.load(tmp_path / "d.npz", x_key="inputs", y_key="targets")
    assert np.array_equal(ds.x, x.astype(np.float32)) and ds.y.tolist() == [0, 2, 1, 2]
    assert ds.n_classes == 3 and ds.name == "d"
    table = np.column_stack([x, y])
    np.save(tmp_path / "t.npy", table)
    assert D.load(tmp_path / "t.npy").y.tolist() == [0, 2, 1, 2]
    np.savetxt(tmp_path / "t.csv", table, delimiter=",")
    csv = D.load(tmp_path / "t.csv")
    assert np.array_equal(csv.x, x.astype(np.float32)) and csv.y.tolist() == [0, 2, 1, 2]


def test_load_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("0.1,0.5\n0.2,1\n")
    with pytest.raises(ValueError, match=r"`y` must be integer class labels, got 0\.5\."):
        D.load(tmp_path / "bad.csv")
    (tmp_path / "neg.csv").write_text("0.1,-1\n0.2,1\n")
    with pytest.raises(ValueError, match="`y` must be non-negative integer labels"):
        D.load(tmp_path / "neg.csv")
    np.savez(tmp_path / "d.npz", x=np.zeros((2, 2)), y=np.zeros(2))
    with pytest.raises(ValueError, match="`y_key` must be one of"):
        D.load(tmp_path / "d.npz", y_key="labels")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="pickle"):
        D.load(tmp_path / "obj.npy")
    with pytest.raises(ValueError, match=r"`path` must be a \.npz, \.npy or \.csv file"):
        D.load(tmp_path / "x.json")
    with pytest.raises(FileNotFoundError):
        D.load(tmp_path / "missing.csv")
    np.save(tmp_path / "one.npy", np.zeros((3, 1)))
    with pytest.raises(ValueError, match="at least 2 columns"):
        D.load(tmp_path / "one.npy")
