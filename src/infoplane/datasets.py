"""Built-in data for the information-plane experiments.

Every loader returns a :class:`Dataset`: ``x`` float32 of shape ``(n, d)``, ``y`` int64 labels of
shape ``(n,)`` in ``0 .. n_classes - 1``.

* :func:`twelve_bit` -- the 12-bit task of Shwartz-Ziv & Tishby (2017), generated in code: the 12
  bits sit on the vertices of an icosahedron and the label is a rotation-invariant rule.
* :func:`digits` -- scikit-learn's bundled 8x8 digit images (offline).
* :func:`mnist` -- a reader for MNIST files in IDX format (raw or gzip).
* :func:`gaussian_random_labels` -- Gaussian inputs with random labels (Saxe et al., 2018).
* :func:`load` -- the user's own data from ``.npz``, ``.npy`` or ``.csv`` (never unpickled).

References
----------
R. Shwartz-Ziv and N. Tishby, "Opening the black box of deep neural networks via information",
arXiv:1703.00810, 2017.
A. M. Saxe et al., "On the information bottleneck theory of deep learning", ICLR 2018.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from infoplane._io import load_array
from infoplane._validation import as_float, as_int, choice, fail

__all__ = [
    "Dataset",
    "digits",
    "gaussian_random_labels",
    "icosahedral_group",
    "icosahedron",
    "load",
    "mnist",
    "twelve_bit",
    "twelve_bit_labels",
]

_IMAGE_MAGIC = 2051
_LABEL_MAGIC = 2049


@dataclass(frozen=True)
class Dataset:
    """Inputs, integer labels and a little metadata.

    Parameters
    ----------
    x : ndarray of shape (n, d)
        Inputs, stored as float32.
    y : ndarray of shape (n,)
        Labels, stored as int64, each in ``0 .. n_classes - 1``.
    name : str
        Short identifier (e.g. ``"twelve_bit"``).
    n_classes : int
        Number of classes (at least ``max(y) + 1``).
    description : str
        One or two sentences on where the data comes from.

    Examples
    --------
    >>> import numpy as np
    >>> ds = Dataset(np.zeros((4, 2)), np.array([0, 1, 0, 1]), "toy", 2, "four points")
    >>> ds.x.dtype, ds.y.dtype, ds.n_samples, ds.n_features
    (dtype('float32'), dtype('int64'), 4, 2)
    """

    x: NDArray[np.float32]
    y: NDArray[np.int64]
    name: str
    n_classes: int
    description: str = ""

    def __post_init__(self) -> None:
        try:
            x = np.asarray(self.x, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"`x` must be a real array, got {self.x!r}.") from exc
        if x.ndim != 2:
            raise fail("x", "a 2-D array (n, d)", x, f"(it has shape {x.shape})")
        if x.shape[0] == 0:
            raise fail("x", "non-empty", x)
        if not np.all(np.isfinite(x)):
            raise fail("x", "finite (no NaN or inf)", x)
        y_raw = np.asarray(self.y)
        if y_raw.ndim != 1 or y_raw.shape[0] != x.shape[0]:
            raise fail("y", f"a 1-D array of length {x.shape[0]} (one label per row of x)",
                       y_raw, f"(it has shape {y_raw.shape})")
        y = _integer_labels("y", y_raw)
        n_classes = as_int("n_classes", self.n_classes)
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise fail("y", f"labels in 0 .. {n_classes - 1} (n_classes={n_classes})",
                       np.array([y.min(), y.max()]))
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "n_classes", n_classes)

    @property
    def n_samples(self) -> int:
        """Number of rows ``n``."""
        return int(self.x.shape[0])

    @property
    def n_features(self) -> int:
        """Input dimension ``d``."""
        return int(self.x.shape[1])

    def split(self, test_fraction: float = 0.2, *, seed: int = 0,
              stratify: bool = True) -> tuple[Dataset, Dataset]:
        """Split into a training and a test set, reproducibly.

        Parameters
        ----------
        test_fraction : float, default 0.2
            Fraction of the rows in the test set, strictly between 0 and 1.
        seed : int, default 0
            Seed of the shuffle; the same seed gives the same split.
        stratify : bool, default True
            Keep the class proportions equal in both parts.

        Returns
        -------
        (Dataset, Dataset)
            The training and test sets, named ``"<name>/train"`` and ``"<name>/test"``.

        Examples
        --------
        >>> train, test = twelve_bit().split(0.25, seed=1)
        >>> train.n_samples, test.n_samples
        (3072, 1024)
        """
        from sklearn.model_selection import train_test_split

        frac = as_float("test_fraction", test_fraction)
        if not 0.0 < frac < 1.0:
            raise fail("test_fraction", "strictly between 0 and 1", test_fraction)
        seed = as_int("seed", seed, min_value=0)
        n_test = int(np.ceil(frac * self.n_samples))
        if n_test < 1 or n_test >= self.n_samples:
            raise fail("test_fraction", f"such that both parts of the {self.n_samples} rows "
                       "are non-empty", test_fraction)
        idx = np.arange(self.n_samples)
        try:
            train_idx, test_idx = train_test_split(
                idx, test_size=frac, random_state=seed,
                stratify=self.y if stratify else None)
        except ValueError as exc:  # e.g. a class with a single member
            raise ValueError(f"`stratify` cannot be used here ({exc}); "
                             "pass stratify=False.") from exc
        return (self._subset(np.sort(train_idx), "train"),
                self._subset(np.sort(test_idx), "test"))

    def _subset(self, idx: NDArray[np.intp], part: str) -> Dataset:
        return Dataset(self.x[idx], self.y[idx], f"{self.name}/{part}", self.n_classes,
                       self.description)


def _integer_labels(name: str, values: Any) -> NDArray[np.int64]:
    """Integer-valued labels as int64 (floats like 1.0 are accepted, 1.5 is not)."""
    arr = np.asarray(values)
    if arr.dtype == np.bool_:
        return arr.astype(np.int64)
    if np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.int64)
    try:
        f = np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`{name}` must be integer labels, got {arr!r}.") from exc
    if not np.all(np.isfinite(f)) or not np.all(f == np.round(f)):
        bad = f[~(np.isfinite(f) & (f == np.round(f)))].ravel()[0]
        raise fail(name, "integer class labels", float(bad))
    return f.astype(np.int64)


# --------------------------------------------------------------------------------------------
# the 12-bit task
# --------------------------------------------------------------------------------------------

_PHI = (1.0 + np.sqrt(5.0)) / 2.0

# The 12 vertices of the icosahedron, (0, ±1, ±φ) and its cyclic permutations, listed in the
# order of the bits of the 12-bit task (bit 0 = most significant bit of the pattern index).
# The order was chosen so that the neighbourhood structure of the bits is the one seen in the
# labels of Shwartz-Ziv & Tishby's var_u.mat (bits i and j are adjacent exactly when they are
# neighbours on the icosahedron).
_VERTEX_SIGNS: tuple[tuple[float, float, float], ...] = (
    (0.0, -1.0, -_PHI),
    (-1.0, -_PHI, 0.0),
    (0.0, -1.0, _PHI),
    (1.0, -_PHI, 0.0),
    (-_PHI, 0.0, 1.0),
    (0.0, 1.0, -_PHI),
    (-1.0, _PHI, 0.0),
    (1.0, _PHI, 0.0),
    (_PHI, 0.0, 1.0),
    (0.0, 1.0, _PHI),
    (_PHI, 0.0, -1.0),
    (-_PHI, 0.0, -1.0),
)

# Rule constants: label 1 iff  sum_i s_i + _RULE_WEIGHT * |sum_i s_i v_i| >= _RULE_THRESHOLD,
# with spins s_i = 2 b_i - 1 and unit vertex vectors v_i. The nearest patterns sit about 0.2
# from the threshold, far above rounding error.
_RULE_WEIGHT = 1.1
_RULE_THRESHOLD = 3.5


def icosahedron() -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """The 12 unit vertices of the icosahedron and its adjacency matrix.

    Returns
    -------
    vertices : ndarray of shape (12, 3)
        Unit vectors, in the bit order of :func:`twelve_bit`.
    adjacency : ndarray of shape (12, 12), bool
        ``adjacency[i, j]`` is True when vertices ``i`` and ``j`` share an edge (30 edges,
        every vertex has 5 neighbours).

    Examples
    --------
    >>> v, adj = icosahedron()
    >>> v.shape, int(adj.sum()) // 2, adj.sum(axis=1).tolist() == [5] * 12
    ((12, 3), 30, True)
    """
    v = np.array(_VERTEX_SIGNS, dtype=np.float64)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    dots = v @ v.T
    adjacency = np.isclose(dots, 1.0 / np.sqrt(5.0))  # neighbours are at angle arccos(1/√5)
    return v, adjacency


def icosahedral_group() -> NDArray[np.intp]:
    """The 120 symmetries of the icosahedron as permutations of its 12 vertices.

    The full group I_h: 60 rotations and their products with the central inversion. Each
    symmetry is found as the orthogonal map sending one fixed face, with its vertices in a fixed
    order, to one of the 20 faces in one of its 6 orders; ``perm[g, i]`` is the vertex that
    vertex ``i`` is sent to.

    Returns
    -------
    ndarray of shape (120, 12)
        One permutation per row; row 0 is the identity.

    Examples
    --------
    >>> g = icosahedral_group()
    >>> g.shape, sorted(g[7].tolist()) == list(range(12))
    ((120, 12), True)
    """
    v, adj = icosahedron()
    faces = [(i, j, k) for i in range(12) for j in range(i + 1, 12) for k in range(j + 1, 12)
             if adj[i, j] and adj[j, k] and adj[i, k]]
    base = v[list(faces[0])]  # rows: three linearly independent vertices
    base_inv = np.linalg.inv(base)
    perms: list[NDArray[np.intp]] = []
    seen: set[tuple[int, ...]] = set()
    orders = [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]
    for face in faces:
        for order in orders:
            target = v[[face[o] for o in order]]
            m = base_inv @ target  # row-vector map: base @ m == target
            image = v @ m
            match = np.abs(image[:, None, :] - v[None, :, :]).max(axis=2) < 1e-9
            if not np.all(match.sum(axis=1) == 1):  # pragma: no cover - geometry guarantees it
                continue
            perm = match.argmax(axis=1)
            key = tuple(int(p) for p in perm)
            if key not in seen:
                seen.add(key)
                perms.append(perm)
    out = np.array(perms, dtype=np.intp)
    identity = np.arange(12)
    first = int(np.flatnonzero((out == identity).all(axis=1))[0])
    out[[0, first]] = out[[first, 0]]
    return out


def _all_patterns(n_bits: int = 12) -> NDArray[np.uint8]:
    """All 2**n_bits binary patterns in binary order (row i = bits of i, MSB first)."""
    idx = np.arange(2**n_bits, dtype=np.int64)
    shifts = np.arange(n_bits - 1, -1, -1, dtype=np.int64)
    return ((idx[:, None] >> shifts[None, :]) & 1).astype(np.uint8)


def twelve_bit_labels(patterns: Any) -> NDArray[np.int64]:
    """Label binary patterns on the icosahedron by the rotation-invariant 12-bit rule.

    With spins ``s_i = 2 b_i - 1`` on the unit vertices ``v_i`` (see :func:`icosahedron`), the
    label is ``1`` when the magnetisation plus 1.1 times the dipole moment reaches 3.5::

        y = [ sum_i s_i + 1.1 * |sum_i s_i v_i| >= 3.5 ]

    Both terms are invariant under every rotation and reflection of the sphere, so the labels
    are constant on the orbits of the 120 symmetries. In terms of the number of ones ``k``, the
    rule gives 0 for ``k <= 4`` and 1 for ``k >= 8``; for ``k`` in 5..7 it labels 1 the patterns
    whose ones cluster together (a large dipole). It reproduces all 4096 labels of the original
    data set (var_u.mat of Shwartz-Ziv & Tishby, 2017): 2118 ones and 1978 zeros.

    Parameters
    ----------
    patterns : array_like of shape (n, 12)
        Entries 0 or 1.

    Returns
    -------
    ndarray of shape (n,), int64
        Labels 0 or 1.

    Examples
    --------
    >>> twelve_bit_labels([[0] * 12, [1] * 12, [1] * 7 + [0] * 5]).tolist()
    [0, 1, 1]
    """
    b = np.asarray(patterns)
    if b.ndim != 2 or b.shape[1] != 12:
        raise fail("patterns", "a 2-D array with 12 columns", b, f"(it has shape {b.shape})")
    if not np.all((b == 0) | (b == 1)):
        raise fail("patterns", "binary (entries 0 or 1)", b)
    v, _ = icosahedron()
    s = 2.0 * b.astype(np.float64) - 1.0
    magnetisation = s.sum(axis=1)
    dipole = np.linalg.norm(s @ v, axis=1)
    return (magnetisation + _RULE_WEIGHT * dipole >= _RULE_THRESHOLD).astype(np.int64)


def twelve_bit(*, seed: int = 0) -> Dataset:
    """The 12-bit task of Shwartz-Ziv & Tishby (2017), generated in code.

    Twelve points spread evenly on the sphere (the vertices of an icosahedron) each carry one
    bit; the inputs are all 4096 binary patterns in binary order (row ``i`` holds the bits of
    ``i``, most significant first) and the labels come from the rotation-invariant rule of
    :func:`twelve_bit_labels`. The classes are nearly balanced: 2118 ones and 1978 zeros,
    H(Y) = 0.99916 bits, exactly as in the original ``var_u.mat``.

    Parameters
    ----------
    seed : int, default 0
        Accepted for a uniform signature across loaders; the data set is deterministic (use
        :meth:`Dataset.split` with a seed for random train/test splits).

    Returns
    -------
    Dataset
        ``x`` of shape (4096, 12) with entries 0.0 / 1.0, ``y`` of shape (4096,), 2 classes.

    Examples
    --------
    >>> ds = twelve_bit()
    >>> ds.x.shape, int(ds.y.sum()), ds.x[5].astype(int).tolist()
    ((4096, 12), 2118, [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1])
    """
    as_int("seed", seed, min_value=0)
    patterns = _all_patterns(12)
    return Dataset(
        patterns.astype(np.float32), twelve_bit_labels(patterns), "twelve_bit", 2,
        "All 4096 patterns of 12 bits on the vertices of an icosahedron, labelled by a "
        "rotation-invariant rule (Shwartz-Ziv & Tishby, 2017).")


# --------------------------------------------------------------------------------------------
# other built-in data
# --------------------------------------------------------------------------------------------

def digits(*, seed: int = 0) -> Dataset:
    """scikit-learn's bundled 8x8 handwritten digits, scaled to [0, 1].

    1797 real images (no download needed), 64 pixels each, 10 classes.

    Parameters
    ----------
    seed : int, default 0
        Accepted for a uniform signature; the data set is fixed.

    Returns
    -------
    Dataset
        ``x`` of shape (1797, 64) in [0, 1], ``y`` in 0..9.

    Examples
    --------
    >>> ds = digits()
    >>> ds.x.shape, float(ds.x.max()), ds.n_classes
    ((1797, 64), 1.0, 10)
    """
    from sklearn.datasets import load_digits

    as_int("seed", seed, min_value=0)
    bunch = load_digits()
    x = np.asarray(bunch.data, dtype=np.float32) / np.float32(16.0)
    return Dataset(x, np.asarray(bunch.target, dtype=np.int64), "digits", 10,
                   "scikit-learn's 8x8 handwritten digits (UCI), pixel values scaled to [0, 1].")


def gaussian_random_labels(n: int = 4096, d: int = 12, *, n_classes: int = 2,
                           seed: int = 0) -> Dataset:
    """Gaussian inputs with labels drawn independently of them (Saxe et al., 2018).

    ``x ~ N(0, I_d)`` and ``y`` uniform on ``0 .. n_classes - 1``, independent of ``x``: a
    network can only memorise these labels, so I(X; Y) = 0 in the population.

    Parameters
    ----------
    n : int, default 4096
        Number of samples.
    d : int, default 12
        Input dimension.
    n_classes : int, default 2
        Number of classes (>= 2).
    seed : int, default 0
        Seed of the generator; the same seed gives the same data.

    Returns
    -------
    Dataset

    Examples
    --------
    >>> ds = gaussian_random_labels(100, 3, n_classes=4, seed=1)
    >>> ds.x.shape, bool(ds.y.max() < 4)
    ((100, 3), True)
    """
    n = as_int("n", n)
    d = as_int("d", d)
    n_classes = as_int("n_classes", n_classes, min_value=2)
    seed = as_int("seed", seed, min_value=0)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = rng.integers(0, n_classes, size=n, dtype=np.int64)
    return Dataset(x, y, "gaussian_random_labels", n_classes,
                   f"Standard Gaussian inputs in {d} dimensions with {n_classes} random labels "
                   "independent of the inputs (Saxe et al., 2018).")


# --------------------------------------------------------------------------------------------
# MNIST (IDX format)
# --------------------------------------------------------------------------------------------

def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"`path` must be a readable gzip file, got {str(path)!r} "
                             f"({exc}).") from exc
    return raw


def _read_idx(path: Path, magic: int, ndim: int) -> NDArray[np.uint8]:
    """Parse an IDX file of unsigned bytes: big-endian magic, ``ndim`` big-endian sizes, data."""
    data = _read_bytes(path)
    header = 4 + 4 * ndim
    if len(data) < 4:
        raise fail("path", "an IDX file (it is truncated before the magic number)", str(path))
    got = int.from_bytes(data[:4], "big")
    if got != magic:
        kind = "images" if magic == _IMAGE_MAGIC else "labels"
        raise fail("path", f"an IDX {kind} file with magic number {magic}", str(path),
                   f"(its magic number is {got}).")
    if len(data) < header:
        raise fail("path", "an IDX file with a complete header (it is truncated)", str(path))
    dims = tuple(int(x) for x in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    size = int(np.prod(dims))
    if len(data) - header < size:
        raise fail("path", f"an IDX file holding {size} bytes of data for shape {dims}",
                   str(path), f"(it is truncated: only {len(data) - header} bytes).")
    return np.frombuffer(data, dtype=np.uint8, count=size, offset=header).reshape(dims)


def _find(directory: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"),
                 stem.replace("-idx", ".idx") + ".gz"):
        candidate = directory / name
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"`path_or_dir` must hold {stem!r} or {stem + '.gz'!r}, "
                            f"got {str(directory)!r}.")


def mnist(path_or_dir: str | os.PathLike[str], *, kind: Literal["t10k", "train"] = "t10k",
          limit: int | None = None) -> Dataset:
    """Read MNIST from IDX files (raw or gzip), e.g. the files of the standard distribution.

    Parameters
    ----------
    path_or_dir : path
        A directory holding ``{kind}-images-idx3-ubyte[.gz]`` and
        ``{kind}-labels-idx1-ubyte[.gz]``, or the path of the images file itself (the labels
        file is then found beside it by replacing ``images-idx3`` with ``labels-idx1``).
    kind : {"t10k", "train"}, default "t10k"
        Which split to read from a directory.
    limit : int, optional
        Keep only the first ``limit`` images.

    Returns
    -------
    Dataset
        ``x`` of shape (n, 784) in [0, 1] (pixels / 255, rows flattened), ``y`` in 0..9.

    Raises
    ------
    ValueError
        Wrong magic number (2051 for images, 2049 for labels), a truncated file, or image and
        label counts that differ.

    Examples
    --------
    >>> import gzip, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> img = (2051).to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in (2, 28, 28))
    >>> _ = (d / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(img + bytes(2 * 784)))
    >>> lab = (2049).to_bytes(4, "big") + (2).to_bytes(4, "big") + bytes([7, 2])
    >>> _ = (d / "t10k-labels-idx1-ubyte").write_bytes(lab)
    >>> ds = mnist(d)
    >>> ds.x.shape, ds.y.tolist()
    ((2, 784), [7, 2])
    """
    kind_name = choice("kind", kind, ("t10k", "train"))
    if limit is not None:
        limit = as_int("limit", limit)
    p = Path(path_or_dir)
    if p.is_dir():
        images_path = _find(p, f"{kind_name}-images-idx3-ubyte")
        labels_path = _find(p, f"{kind_name}-labels-idx1-ubyte")
    elif p.is_file():
        images_path = p
        if "images-idx3" not in p.name:
            raise fail("path_or_dir", "a directory or a file named '*images-idx3*'", str(p))
        labels_path = _find(p.parent, p.name.replace("images-idx3", "labels-idx1")
                            .removesuffix(".gz"))
    else:
        raise FileNotFoundError(
            f"`path_or_dir` must be an existing directory or file, got {str(p)!r}.")
    images = _read_idx(images_path, _IMAGE_MAGIC, 3)
    labels = _read_idx(labels_path, _LABEL_MAGIC, 1)
    if images.shape[0] != labels.shape[0]:
        raise fail("path_or_dir", "IDX files with as many labels as images", str(p),
                   f"({images.shape[0]} images, {labels.shape[0]} labels).")
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    x = images.reshape(images.shape[0], -1).astype(np.float32) / np.float32(255.0)
    y = labels.astype(np.int64)
    n_classes = max(10, int(y.max()) + 1) if y.size else 10
    return Dataset(x, y, f"mnist/{kind_name}" if p.is_dir() else "mnist", n_classes,
                   f"MNIST handwritten digits read from {images_path.name} "
                   "(LeCun, Cortes & Burges), pixels scaled to [0, 1].")


# --------------------------------------------------------------------------------------------
# the user's data
# --------------------------------------------------------------------------------------------

def load(path: str | os.PathLike[str], *, x_key: str = "x", y_key: str = "y") -> Dataset:
    """Load the user's data from ``.npz``, ``.npy`` or ``.csv``, without unpickling.

    Parameters
    ----------
    path : path
        ``.npz``: arrays ``x_key`` (n, d) and ``y_key`` (n,). ``.npy`` or ``.csv`` (comma
        separated, no header): one 2-D table whose last column holds the labels.
    x_key, y_key : str, default "x", "y"
        Array names inside an ``.npz`` file.

    Returns
    -------
    Dataset
        Named after the file; ``n_classes = max(y) + 1``.

    Raises
    ------
    ValueError
        Labels that are not non-negative integers, NaN/inf inputs, mismatched lengths, a
        missing key; an empty, truncated or corrupt file, or one whose arrays (by their
        headers, checked before reading) need more than the available memory.
    TypeError
        Complex, string or structured arrays.
    OSError
        A missing, unreadable file or a directory.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "toy.csv"
    >>> _ = f.write_text("0.5,1.0,0\\n0.1,0.2,1\\n0.3,0.4,1\\n")
    >>> ds = load(f)
    >>> ds.x.shape, ds.y.tolist(), ds.n_classes
    ((3, 2), [0, 1, 1], 2)
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".npz":
        x = load_array(p, key=x_key, option="path", key_option="x_key")
        y_raw = load_array(p, key=y_key, option="path", key_option="y_key")
        if x.ndim == 1:
            x = x[:, None]
        y_raw = y_raw.ravel() if y_raw.ndim == 2 and 1 in y_raw.shape else y_raw
    elif suffix in (".npy", ".csv"):
        table = load_array(p)
        if table.ndim != 2 or table.shape[1] < 2:
            raise fail("path", "a 2-D table with at least 2 columns (features, then the label)",
                       str(p), f"(it has shape {table.shape})")
        x, y_raw = table[:, :-1], table[:, -1]
    else:
        raise fail("path", "a .npz, .npy or .csv file", str(p))
    y = _integer_labels("y", y_raw)
    if y.size and y.min() < 0:
        raise fail("y", "non-negative integer labels (0 .. n_classes - 1)", int(y.min()),
                   "Map the labels to 0, 1, ... first (e.g. np.unique(y, return_inverse=True)).")
    n_classes = int(y.max()) + 1 if y.size else 1
    return Dataset(x.astype(np.float32), y, p.stem, max(n_classes, 1),
                   f"User data loaded from {p.name}.")
