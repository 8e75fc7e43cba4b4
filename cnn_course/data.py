"""Real datasets, offline first: MNIST, Fashion-MNIST and CIFAR-10, plus your own image folders.

``load_dataset(name)`` returns ``(x_train, y_train), (x_test, y_test)`` with exactly the
shapes and dtypes of ``keras.datasets.<name>.load_data()``:

=============  ======================  =====================
name           x (uint8)               y (uint8)
=============  ======================  =====================
mnist          (N, 28, 28)             (N,)
fashion_mnist  (N, 28, 28)             (N,)
cifar10        (N, 32, 32, 3)  (NHWC)  (N, 1)
=============  ======================  =====================

whatever the number of records in the files (the shared CI samples are shorter than upstream).

Sources are tried in this order, and :func:`dataset_info` / ``cnn-course data`` say which
one served:

1. ``CNN_COURSE_DATA``: folders separated by ``os.pathsep``; the files may lie in the folder
   itself or in a sub-folder named after the dataset (``mnist/``, ``fashion-mnist/``,
   ``fashion_mnist/``, ``cifar-10-batches-py/``, ...);
2. ``system``: ``/usr/share/datasets/<name>`` (Debian's ``dataset-fashion-mnist`` installs
   ``/usr/share/datasets/fashion-mnist/``);
3. ``keras-cache``: ``$KERAS_HOME/datasets`` (default ``~/.keras/datasets``) in Keras' own
   layout (``mnist.npz``, ``fashion-mnist/*.gz``, ``cifar-10-batches-py/``);
4. ``download``: the Keras download URLs, into the Keras cache (only if 1-3 fail).

Files are read directly in their upstream formats (IDX ``*-ubyte[.gz]``, ``mnist.npz``,
CIFAR-10 python pickles with any number of records) and validated: a truncated, corrupt or
inconsistent file raises ``ValueError`` naming the file, never returns garbage. Downloads go
to a temporary name in the cache and are renamed into place only once complete and valid.

Loaded arrays are cached in memory (keyed by the files' paths, sizes and modification
times). Each call returns fresh, writable **copies**, like Keras, so editing ``x_train`` in
place never changes what the next ``load_dataset`` call returns.

:func:`load_image_folder` reads your own photos, one sub-folder per class, as ``tf.data``
datasets; TensorFlow is imported (through :mod:`cnn_course._lazy`) only there (and in
:func:`cnn_course.augmentation.augmentation_layers`, which it uses).

References
----------
.. [1] Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning applied to
   document recognition", Proc. IEEE 86(11):2278-2324, 1998 (MNIST).
.. [2] H. Xiao, K. Rasul and R. Vollgraf, "Fashion-MNIST: a novel image dataset for
   benchmarking machine learning algorithms", arXiv:1708.07747, 2017.
.. [3] A. Krizhevsky, "Learning multiple layers of features from tiny images", technical
   report, University of Toronto, 2009 (CIFAR-10).
"""
from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import shutil
import tarfile
import tempfile
import urllib.request
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
from PIL import Image

from ._lazy import keras, tf
from .augmentation import AUGMENTATION_DEFAULTS as _AUG_DEFAULTS
from .augmentation import augmentation_layers  # re-exported: load_image_folder uses it
from ._validation import check_int

__all__ = [
    "DATASETS", "DatasetNotFoundError", "load_dataset", "class_names", "dataset_info",
    "locate", "clear_cache", "read_idx", "load_image_folder", "augmentation_layers",
    "print_data_report", "IMAGE_EXTENSIONS",
]

DATASETS = ("mnist", "fashion_mnist", "cifar10")
DATA_ENV = "CNN_COURSE_DATA"
SYSTEM_ROOT = Path("/usr/share/datasets")

_CLASS_NAMES = {
    "mnist": [str(i) for i in range(10)],
    "fashion_mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer",
                "dog", "frog", "horse", "ship", "truck"],
}
_TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "cifar10": "CIFAR-10"}
# Sub-folders (relative to a data folder) that may hold a dataset's files; "" = the folder.
_SUBDIRS = {
    "mnist": ("", "mnist", "MNIST", "MNIST/raw"),
    "fashion_mnist": ("", "fashion-mnist", "fashion_mnist", "FashionMNIST/raw"),
    "cifar10": ("", "cifar-10-batches-py", "cifar10", "cifar-10",
                "cifar-10-batches-py-target/cifar-10-batches-py"),
}
_SYSTEM_NAMES = {"mnist": "mnist", "fashion_mnist": "fashion-mnist", "cifar10": "cifar10"}
_IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
              "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
_KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_SHA256 = {  # from keras.datasets
    "mnist.npz": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    "cifar-10-python.tar.gz": "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
}
_IMAGE_SHAPE = {"mnist": (28, 28), "fashion_mnist": (28, 28), "cifar10": (32, 32, 3)}

_CACHE: dict[tuple, tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]] = {}
_SERVED: dict[str, dict[str, Any]] = {}


class DatasetNotFoundError(FileNotFoundError):
    """No source could provide the dataset; the message lists every place looked in."""


# --------------------------------------------------------------------------- names
def _check_name(name: object) -> str:
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, one of {', '.join(map(repr, DATASETS))}; "
                        f"got {type(name).__name__}")
    key = name.strip().lower().replace("-", "_")
    key = {"cifar_10": "cifar10", "fashionmnist": "fashion_mnist"}.get(key, key)
    if key not in DATASETS:
        raise ValueError(f"name must be one of {', '.join(map(repr, DATASETS))}; got {name!r}")
    return key


def class_names(name: str) -> list[str]:
    """Class names of a dataset, indexed by label: ``class_names("cifar10")[3] == "cat"``."""
    return list(_CLASS_NAMES[_check_name(name)])


# --------------------------------------------------------------------------- readers
def _read_bytes(path: Path) -> bytes:
    """All bytes of ``path``, gunzipped if it ends in ``.gz``; ValueError naming it if broken."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (EOFError, OSError, zlib.error) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(f"{path}: cannot read the file, it is truncated or corrupt "
                         f"({type(exc).__name__}: {exc})") from exc


def read_idx(path: str | os.PathLike, magic: int | None = None) -> np.ndarray:
    """Read an IDX file of unsigned bytes (``*-idx3-ubyte[.gz]`` images, ``*-idx1-ubyte[.gz]`` labels).

    The header is big-endian: a magic number ``0x0000 08 D`` (``08`` = unsigned byte,
    ``D`` = number of dimensions; 2051 for images, 2049 for labels), then ``D`` uint32 sizes.
    The payload must hold exactly ``prod(sizes)`` bytes.

    Parameters
    ----------
    path : path-like
        The file; gzip-compressed if its name ends in ``.gz``.
    magic : int, optional
        Expected magic number (2051 or 2049).

    Returns
    -------
    numpy.ndarray of uint8 with the header's shape, e.g. (N, 28, 28) or (N,).

    Raises
    ------
    ValueError
        Naming the file, if it is truncated, corrupt, or has the wrong magic or length.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"{path}: too short for an IDX header ({len(data)} bytes)")
    found = int.from_bytes(data[:4], "big")
    if magic is not None and found != magic:
        raise ValueError(f"{path}: wrong IDX magic number {found}, expected {magic} "
                         f"({'images' if magic == 2051 else 'labels'}); is this the right file?")
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08 or not 1 <= data[3] <= 4:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes (magic {found})")
    ndim = data[3]
    offset = 4 + 4 * ndim
    if len(data) < offset:
        raise ValueError(f"{path}: truncated IDX header")
    dims = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(dims, dtype=np.int64))
    if len(data) - offset != expected:
        raise ValueError(f"{path}: the header announces {dims} = {expected:,} bytes of data, "
                         f"but the file holds {len(data) - offset:,}; it is truncated or corrupt")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)


def _check_labels(path: Path | str, y: np.ndarray, num_classes: int = 10) -> None:
    if y.size and int(y.max()) >= num_classes:
        raise ValueError(f"{path}: label {int(y.max())} out of range 0..{num_classes - 1}; "
                         f"the file is corrupt")


def _load_idx_set(files: dict[str, Path], image_shape: tuple[int, ...]):
    out = []
    for split in ("train", "t10k"):
        xp, yp = files[f"{split}-images-idx3-ubyte"], files[f"{split}-labels-idx1-ubyte"]
        x = read_idx(xp, magic=2051)
        y = read_idx(yp, magic=2049)
        if x.shape[1:] != image_shape:
            raise ValueError(f"{xp}: images of shape {x.shape[1:]}, expected {image_shape}")
        if len(x) != len(y):
            raise ValueError(f"{yp}: {len(y):,} labels for {len(x):,} images in {xp.name}; "
                             f"the two files do not match")
        _check_labels(yp, y)
        out.append((x, y))
    return tuple(out)


def _load_npz(path: Path):
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    except KeyError as exc:
        raise ValueError(f"{path}: missing array {exc}; expected x_train, y_train, x_test, "
                         f"y_test") from exc
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: cannot read the .npz file, it is truncated or corrupt "
                         f"({type(exc).__name__}: {exc})") from exc
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28):
            raise ValueError(f"{path}: x_{split} has shape {x.shape} dtype {x.dtype}, "
                             f"expected (N, 28, 28) uint8")
        if y.dtype != np.uint8 or y.shape != (len(x),):
            raise ValueError(f"{path}: y_{split} has shape {y.shape} dtype {y.dtype}, "
                             f"expected ({len(x)},) uint8")
        _check_labels(path, y)
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles plain containers and NumPy arrays only (no code execution from a bad file)."""

    _ALLOWED = frozenset({("numpy", "ndarray"), ("numpy", "dtype"),
                          ("numpy.core.multiarray", "_reconstruct"),
                          ("numpy._core.multiarray", "_reconstruct"),
                          ("_codecs", "encode")})  # bytes in protocol-2 pickles from Python 3

    def find_class(self, module: str, name: str):
        if (module, name) in self._ALLOWED:
            return super().find_class(module.replace("numpy.core.", "numpy._core."), name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def _load_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 python batch -> x (K, 32, 32, 3) uint8, y (K,) uint8."""
    try:
        with open(path, "rb") as f:
            raw = _ArrayUnpickler(f, encoding="bytes").load()
    except FileNotFoundError:
        raise
    except Exception as exc:  # UnpicklingError, EOFError, ValueError, ... all mean corrupt
        raise ValueError(f"{path}: cannot unpickle the CIFAR-10 batch, it is truncated or "
                         f"corrupt ({type(exc).__name__}: {exc})") from exc
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a dict in the CIFAR-10 batch, got {type(raw).__name__}")
    d = {(k.decode("utf8") if isinstance(k, bytes) else k): v for k, v in raw.items()}
    if "data" not in d or "labels" not in d:
        raise ValueError(f"{path}: the CIFAR-10 batch has no 'data' or 'labels' entry "
                         f"(keys: {sorted(map(str, d))})")
    data, labels = d["data"], d["labels"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
            or data.shape[1] != 3072:
        shape = getattr(data, "shape", None)
        raise ValueError(f"{path}: 'data' must be a uint8 array of shape (K, 3072), got "
                         f"{type(data).__name__} of shape {shape}")
    try:
        y = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: 'labels' is not a list of ints") from exc
    if y.shape != (len(data),):
        raise ValueError(f"{path}: {y.size:,} labels for {len(data):,} images; the batch is "
                         f"mismatched")
    if y.size and (y.min() < 0 or y.max() > 9):
        raise ValueError(f"{path}: labels out of range 0..9; the batch is corrupt")
    x = np.ascontiguousarray(data.reshape(len(data), 3, 32, 32).transpose(0, 2, 3, 1))
    return x, y.astype(np.uint8)


def _cifar_batches(folder: Path) -> list[Path]:
    found = []
    for p in folder.glob("data_batch_*"):
        suffix = p.name[len("data_batch_"):]
        if suffix.isdigit() and p.is_file():
            found.append((int(suffix), p))
    return [p for _, p in sorted(found)]


def _load_cifar(folder: Path):
    parts = [_load_cifar_batch(p) for p in _cifar_batches(folder)]
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts]).reshape(-1, 1)
    x_test, y_test = _load_cifar_batch(folder / "test_batch")
    return (x_train, y_train), (x_test, y_test.reshape(-1, 1))


# --------------------------------------------------------------------------- sources
def _keras_home() -> Path:
    home = os.environ.get("KERAS_HOME")
    return Path(home).expanduser() if home else Path.home() / ".keras"


def _idx_files(folder: Path) -> tuple[dict[str, Path] | None, str]:
    """The four IDX files in ``folder`` (``.gz`` preferred), or None with what is missing."""
    files, missing = {}, []
    for stem in _IDX_FILES:
        for candidate in (folder / f"{stem}.gz", folder / stem):
            if candidate.is_file():
                files[stem] = candidate
                break
        else:
            missing.append(f"{stem}.gz")
    if not missing:
        return files, ""
    if files:
        return None, f"{folder} (incomplete: missing {', '.join(missing)})"
    return None, str(folder)


def _match(name: str, folder: Path) -> tuple[tuple[str, Path, tuple[Path, ...]] | None, str]:
    """Does ``folder`` hold the dataset? Returns ((format, path, files), '') or (None, note)."""
    if not folder.is_dir():
        return None, ""
    if name == "cifar10":
        batches = _cifar_batches(folder)
        test = folder / "test_batch"
        if batches and test.is_file():
            return ("cifar", folder, tuple(batches) + (test,)), ""
        if batches or test.is_file():
            what = "test_batch" if batches else "data_batch_1..5"
            return None, f"{folder} (incomplete: missing {what})"
        return None, str(folder)
    files, note = _idx_files(folder)
    if files:
        return ("idx", folder, tuple(files[s] for s in _IDX_FILES)), ""
    if name == "mnist" and (folder / "mnist.npz").is_file():
        return ("npz", folder / "mnist.npz", (folder / "mnist.npz",)), ""
    return None, note


def _other_dataset_folder(name: str, folder: Path) -> bool:
    """True if the folder's own name says it holds another dataset (e.g. .../fashion-mnist)."""
    base = folder.name.lower()
    return any(base in {s.lower() for s in _SUBDIRS[other] if s and "/" not in s}
               for other in DATASETS if other != name)


def _env_folders() -> list[Path]:
    value = os.environ.get(DATA_ENV, "")
    return [Path(p).expanduser() for p in value.split(os.pathsep) if p.strip()]


def shown_path(path: str | os.PathLike) -> str:
    """A path as the course prints it: relative to the folder a setting or the home points at.

    ``$CNN_COURSE_DATA/mnist`` for a folder under a ``CNN_COURSE_DATA`` entry,
    ``$CNN_COURSE_CACHE/...`` under the model cache's setting, ``~/...`` under the home
    folder, else the path unchanged (system folders such as ``/usr/share/datasets``). Reports
    and stored notebook outputs then name no one machine's folders.

    Examples
    --------
    >>> shown_path("/usr/share/datasets/fashion-mnist")
    '/usr/share/datasets/fashion-mnist'
    """
    path = Path(path)
    roots = [(f"${DATA_ENV}", folder) for folder in _env_folders()]
    cache = os.environ.get("CNN_COURSE_CACHE", "")
    if cache.strip():
        roots.append(("$CNN_COURSE_CACHE", Path(cache).expanduser()))
    roots.append(("~", Path.home()))
    for label, root in roots:
        try:
            rel = path.relative_to(root)
        except ValueError:
            continue
        return label if str(rel) == "." else f"{label}/{rel.as_posix()}"
    return str(path)


def _search(name: str) -> tuple[tuple[str, str, str, Path, tuple[Path, ...]] | None, list[str]]:
    """Look for ``name`` offline. Returns ((kind, where, format, path, files) | None, looked)."""
    looked: list[str] = []

    def scan(kind: str, base: Path, subdirs: Iterable[str]):
        tried = []
        for sub in subdirs:
            folder = base / sub if sub else base
            if sub == "" and _other_dataset_folder(name, folder):
                continue
            hit, note = _match(name, folder)
            if hit:
                return (kind, str(folder), *hit)
            if folder.is_dir():
                tried.append(note or str(folder))
        looked.append(f"{kind}: " + ("; ".join(tried) if tried
                                     else f"{base} (no such folder)"))
        return None

    folders = _env_folders()
    if not folders:
        looked.append(f"{DATA_ENV}: (not set)")
    for base in folders:
        hit = scan(DATA_ENV, base, _SUBDIRS[name])
        if hit:
            return hit, looked
    hit = scan("system", SYSTEM_ROOT / _SYSTEM_NAMES[name], _SUBDIRS[name])
    if hit:
        return hit, looked
    cache = _keras_home() / "datasets"
    subdirs = {"mnist": ("",), "fashion_mnist": ("fashion-mnist",),
               "cifar10": ("cifar-10-batches-py-target/cifar-10-batches-py",
                           "cifar-10-batches-py")}[name]
    if name == "mnist":
        npz = cache / "mnist.npz"
        if npz.is_file():
            return ("keras-cache", str(npz), "npz", npz, (npz,)), looked
        looked.append(f"keras-cache: {npz} (not there)")
    else:
        hit = scan("keras-cache", cache, subdirs)
        if hit:
            return hit, looked
    return None, looked


def locate(name: str) -> tuple[str, str] | None:
    """Where ``name`` would be loaded from offline, without reading it.

    Returns
    -------
    (kind, path) with kind in ``'CNN_COURSE_DATA'``, ``'system'``, ``'keras-cache'``,
    or None when only a download could provide it.
    """
    hit, _ = _search(_check_name(name))
    if hit is None:
        return None
    kind, _, _, path, _ = hit
    return kind, str(path)


# --------------------------------------------------------------------------- download
def _fetch(url: str, dest: Path, sha256: str | None = None, timeout: float = 60.0) -> None:
    """Download ``url`` to ``dest`` atomically: a temporary file in the same folder, renamed
    into place only when complete (and matching ``sha256`` if given)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            while chunk := resp.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
        if sha256 is not None and digest.hexdigest() != sha256:
            raise ValueError(f"{url}: downloaded file has sha256 {digest.hexdigest()}, "
                             f"expected {sha256}")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _download(name: str) -> Path:
    """Download ``name`` from the Keras URLs into the Keras cache; return where it lies.

    Every file is written under a temporary name and renamed when complete, so an
    interrupted download never leaves a half-written file that a later run would trust.
    """
    cache = _keras_home() / "datasets"
    if name == "mnist":
        dest = cache / "mnist.npz"
        _fetch(_KERAS_URL + "mnist.npz", dest, _SHA256["mnist.npz"])
        return dest
    if name == "fashion_mnist":
        folder = cache / "fashion-mnist"
        for stem in _IDX_FILES:
            if not (folder / f"{stem}.gz").is_file():
                _fetch(_KERAS_URL + f"{stem}.gz", folder / f"{stem}.gz")
        return folder
    target = cache / "cifar-10-batches-py-target"
    final = target / "cifar-10-batches-py"
    target.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".cifar-10-download.", dir=target))
    try:
        archive = work / "cifar-10-python.tar.gz"
        _fetch(_CIFAR_URL, archive, _SHA256["cifar-10-python.tar.gz"])
        with tarfile.open(archive) as tar:
            kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(work, **kwargs)
        _load_cifar(work / "cifar-10-batches-py")  # validate before publishing
        if final.exists():
            shutil.rmtree(final)
        os.replace(work / "cifar-10-batches-py", final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


# --------------------------------------------------------------------------- loading
#: The files each dataset is read from (any one of the alternatives), as the messages name them.
_FILES_WANTED = {
    "mnist": "mnist.npz, or the four IDX files " + ", ".join(f"{s}.gz" for s in _IDX_FILES)
             + " (.gz optional)",
    "fashion_mnist": "the four IDX files " + ", ".join(f"{s}.gz" for s in _IDX_FILES)
                     + " (.gz optional)",
    "cifar10": "the folder cifar-10-batches-py/ with data_batch_1 ... data_batch_5 and "
               "test_batch (the python version of CIFAR-10)",
}


def _how_to_get(name: str) -> str:
    lines = [f"How to get {_TITLES[name]}:",
             "  - connect to the internet and run `cnn-course data --download`: it downloads "
             f"from Keras' URLs into the Keras cache {_keras_home() / 'datasets'};"]
    if name == "fashion_mnist":
        lines.append("  - or install Debian's package: sudo apt-get install dataset-fashion-mnist;")
    lines.append(f"  - or put the upstream files in a folder and set {DATA_ENV} to it "
                 f"(folders separated by '{os.pathsep}'); check with `cnn-course data`.")
    return "\n".join(lines)


def _not_found(name: str, looked: Sequence[str]) -> DatasetNotFoundError:
    text = (f"{_TITLES[name]} ({name!r}) was not found. It is read from "
            f"{_FILES_WANTED[name]}. Looked in, in order:\n"
            + "\n".join(f"  - {line}" for line in looked) + "\n" + _how_to_get(name))
    return DatasetNotFoundError(text)


def _read(name: str, fmt: str, path: Path, files: Sequence[Path]):
    if fmt == "idx":
        return _load_idx_set(dict(zip(_IDX_FILES, files)), _IMAGE_SHAPE[name])
    if fmt == "npz":
        return _load_npz(path)
    return _load_cifar(path)


def _file_key(files: Sequence[Path]) -> tuple:
    key = []
    for f in files:
        st = f.stat()
        key.append((str(f.resolve()), st.st_size, st.st_mtime_ns))
    return tuple(key)


def _load_cached(name: str, download: bool):
    hit, looked = _search(name)
    if hit is None:
        if not download:
            raise _not_found(name, looked + ["download: not attempted (download=False)"])
        try:
            where = _download(name)
        except Exception as exc:  # network errors, bad archives: report them with the rest
            # ``from None``: the message names the failure; the socket's own traceback
            # (dozens of lines offline) would only bury it
            raise _not_found(name, looked + [f"download: failed ({type(exc).__name__}: "
                                             f"{exc})"]) from None
        hit, more = _search(name)
        if hit is None:
            raise _not_found(name, looked + [f"download: finished into {where}, but the files "
                                             f"are not where expected"] + more)
        kind = "download"
    else:
        kind = hit[0]
    _, where, fmt, path, files = hit
    key = (name, fmt, _file_key(files))
    if key not in _CACHE:
        arrays = _read(name, fmt, Path(path), files)
        for arr in (a for pair in arrays for a in pair):
            arr.flags.writeable = False
        _CACHE[key] = arrays
    (xtr, ytr), (xte, yte) = _CACHE[key]
    _SERVED[name] = {"name": name, "source": kind, "path": str(path),
                     "n_train": int(len(xtr)), "n_test": int(len(xte))}
    return _CACHE[key]


def load_dataset(name: str, download: bool = True
                 ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load a dataset as ``keras.datasets.<name>.load_data()`` does, offline first.

    Parameters
    ----------
    name : {'mnist', 'fashion_mnist', 'cifar10'}
    download : bool
        Allow the Keras download as the last source (default True).

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        uint8 arrays: x (N, 28, 28) and y (N,) for MNIST/Fashion-MNIST; x (N, 32, 32, 3)
        and y (N, 1) for CIFAR-10. Fresh writable copies on every call.

    Raises
    ------
    DatasetNotFoundError
        (a ``FileNotFoundError``) naming every place looked in and how to get the data.
    ValueError
        Naming the file, if a file is truncated, corrupt or inconsistent.

    Examples
    --------
    >>> (x_train, y_train), (x_test, y_test) = load_dataset("fashion_mnist")  # doctest: +SKIP
    >>> x_train.shape, x_train.dtype                                          # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'))
    """
    name = _check_name(name)
    if not isinstance(download, bool):
        raise TypeError(f"download must be a bool, got {type(download).__name__}")
    (xtr, ytr), (xte, yte) = _load_cached(name, download)
    return (xtr.copy(), ytr.copy()), (xte.copy(), yte.copy())


def dataset_info(name: str, download: bool = True) -> dict[str, Any]:
    """Which source serves ``name``, with record counts (loads and validates it, cached).

    Returns
    -------
    dict with keys ``name``, ``source`` (``'CNN_COURSE_DATA'``, ``'system'``,
    ``'keras-cache'`` or ``'download'``), ``path``, ``n_train``, ``n_test``.
    """
    name = _check_name(name)
    if not isinstance(download, bool):
        raise TypeError(f"download must be a bool, got {type(download).__name__}")
    _load_cached(name, download)
    return dict(_SERVED[name])


def clear_cache() -> None:
    """Forget the arrays cached in memory (the next load reads the files again)."""
    _CACHE.clear()
    _SERVED.clear()


def print_data_report(download: bool = False) -> int:
    """Print, for each dataset, whether it is found offline, where, and its counts.

    Used by ``cnn-course data``. Nothing is downloaded unless ``download`` is true
    (``cnn-course data --download``): then each dataset not found offline is downloaded from
    Keras' URLs into the Keras cache, and a failed download is reported in one line (what
    failed), not a traceback. Returns 0 if every dataset was found and read, 1 otherwise.
    """
    if not isinstance(download, bool):
        raise TypeError(f"download must be a bool, got {type(download).__name__}")
    env = os.environ.get(DATA_ENV)
    print(f"Datasets (searched in order: {DATA_ENV}, {SYSTEM_ROOT}/<name>, "
          f"Keras cache {_keras_home() / 'datasets'}, download)")
    print(f"{DATA_ENV}={env if env else '(not set)'}")
    ok = True
    for name in DATASETS:
        try:
            if download and locate(name) is None:
                print(f"{_TITLES[name]:<14} downloading into {_keras_home() / 'datasets'} ...",
                      flush=True)
            info = dataset_info(name, download=download)
        except DatasetNotFoundError as exc:
            ok = False
            failed = [line.strip()[len("- download: failed "):]
                      for line in str(exc).splitlines()
                      if line.strip().startswith("- download: failed")]
            if failed:  # one line: what the download said
                print(f"{_TITLES[name]:<14} MISSING: the download failed {failed[0]}; "
                      f"connect to the internet and run again, or see `cnn-course data`")
                continue
            print(f"\n{_TITLES[name]:<14} MISSING")
            print("\n".join("  " + line for line in str(exc).splitlines()[1:]))
            continue
        except ValueError as exc:
            ok = False
            print(f"\n{_TITLES[name]:<14} BROKEN: {exc}")
            print("  Replace or delete that file, then run `cnn-course data` again.")
            continue
        print(f"{_TITLES[name]:<14} found  {info['n_train']:>7,} train / {info['n_test']:>7,} "
              f"test  [{info['source']}] {info['path']}")
    print("all datasets found" if ok else "\nsome datasets are missing: see above")
    return 0 if ok else 1


# --------------------------------------------------------------------------- image folders
def _augment_kwargs(augment: Any) -> dict[str, Any] | None:
    if augment is False or augment is None:
        return None
    if augment is True:
        return dict(_AUG_DEFAULTS)
    if isinstance(augment, dict):
        unknown = set(augment) - set(_AUG_DEFAULTS)
        if unknown:
            raise ValueError(f"augment keys must be among {sorted(_AUG_DEFAULTS)}; "
                             f"got {sorted(unknown)}")
        return {**{k: (False if k == "flip" else 0.0) for k in _AUG_DEFAULTS}, **augment}
    if isinstance(augment, (list, tuple)):
        unknown = [a for a in augment if a not in _AUG_DEFAULTS]
        if unknown or not augment:
            raise ValueError(f"augment list items must be among {sorted(_AUG_DEFAULTS)}; "
                             f"got {list(augment)!r}")
        kw = {k: (False if k == "flip" else 0.0) for k in _AUG_DEFAULTS}
        for a in augment:
            kw[a] = _AUG_DEFAULTS[a] or (0.1 if a != "flip" else True)
        return kw
    raise TypeError("augment must be a bool, a dict of augmentation_layers() arguments or a "
                    f"list of their names; got {type(augment).__name__}")


#: File endings ``keras.utils.image_dataset_from_directory`` reads (case-insensitive).
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_LAYOUT = ("one sub-folder per class, e.g.\n"
           "    {root}/\n"
           "        cat/   img1.jpg img2.png ...\n"
           "        dog/   img1.jpg ...\n"
           "(images: " + ", ".join(IMAGE_EXTENSIONS) + ")")


def _is_image(path: Path) -> bool:
    return path.name.lower().endswith(IMAGE_EXTENSIONS) and path.is_file()


def _unreadable(path: Path) -> str | None:
    """Why ``path`` cannot be decoded as an image, or None if it can.

    JPEGs are decoded at a reduced size (``draft``), so checking a folder of photos is fast.
    """
    try:
        with Image.open(path) as im:
            im.draft("RGB", (64, 64))
            im.load()
    except Exception as exc:  # PIL raises OSError, SyntaxError, ValueError, ... on bad files
        return f"{type(exc).__name__}: {exc}"
    return None


def _check_image_folder(folder: Path, color_mode: str = "rgb") -> dict[str, int]:
    """Check the class-folder layout and decode every image once; return images per class.

    Everything ``image_dataset_from_directory`` would otherwise report vaguely ("No
    images found") or only later, inside TensorFlow and without the file's name (a
    corrupt JPEG), is raised here as a ``ValueError`` that says what is wrong and where.
    """
    layout = _LAYOUT.format(root=folder)
    classes = sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))
    loose = sorted(f for f in folder.iterdir() if _is_image(f))
    if not classes:
        if loose:
            raise ValueError(f"{folder} holds {len(loose)} image(s) but no class sub-folders; "
                             f"images must be sorted into {layout}")
        raise ValueError(f"no images found in {folder}; expected {layout}")
    counts: dict[str, int] = {}
    files: list[Path] = []
    for d in classes:
        found = sorted(f for f in d.rglob("*") if _is_image(f))
        counts[d.name] = len(found)
        files += found
    if not files:
        others = sorted({f.suffix.lower() or f.name for d in classes for f in d.rglob("*")
                         if f.is_file()})
        seen = f"; found only files ending in {', '.join(others)}" if others else ""
        raise ValueError(f"no images found in the class sub-folders "
                         f"{', '.join(d.name for d in classes)} of {folder}{seen}; "
                         f"expected {layout}")
    empty = [name for name, n in counts.items() if n == 0]
    if empty:
        raise ValueError(f"class sub-folder(s) {', '.join(empty)} of {folder} hold no image "
                         f"(a class without examples cannot be learnt); add images or "
                         f"remove the folder. Expected {layout}")
    if loose:
        warnings.warn(f"{len(loose)} image(s) directly in {folder} (e.g. {loose[0].name}) "
                      f"belong to no class and are ignored: move them into a class "
                      f"sub-folder", stacklevel=3)
    bad = [(f, why) for f in files if (why := _unreadable(f)) is not None]
    if bad:
        listed = "\n".join(f"  {f}  ({why})" for f, why in bad[:10])
        more = f"\n  ... and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise ValueError(f"{len(bad)} of {len(files)} image file(s) in {folder} cannot be "
                         f"read (corrupt, truncated or not really an image):\n{listed}{more}\n"
                         f"delete or replace them, then load the folder again")
    return counts


def load_image_folder(path: str | os.PathLike, image_size: Sequence[int] = (64, 64),
                      validation_split: float = 0.2, augment: Any = False,
                      batch_size: int = 32, seed: int = 0, color_mode: str = "rgb"
                      ) -> tuple[tf.data.Dataset, tf.data.Dataset]:
    """Load your own images, one sub-folder per class, as batched ``tf.data`` datasets.

    Built on ``keras.utils.image_dataset_from_directory``::

        path/
            class_a/  img1.png img2.jpg ...
            class_b/  ...

    Parameters
    ----------
    path : path-like
        Folder with one sub-folder per class (sorted names -> labels 0, 1, ...).
    image_size : (height, width)
        Every image is resized to this size.
    validation_split : float
        Fraction in [0, 1) held out for validation (seeded, so the split is stable).
        0 means no validation set (``val_ds`` is None).
    augment : bool, dict or list
        ``True``: random flip, shift and mild rotation (``augmentation.AUGMENTATION_DEFAULTS``)
        on the **training** batches only;
        a dict of :func:`augmentation_layers` arguments; or a list of names from
        ``'rotation', 'shear', 'flip', 'zoom', 'translation'``.
    batch_size : int
    seed : int
        Seed of the shuffle, the split and the augmentation: the same seed gives the same
        batches, augmented ones included (they are augmented one batch at a time, in order).
    color_mode : {'rgb', 'grayscale', 'rgba'}

    Returns
    -------
    (train_ds, val_ds)
        Datasets of ``(images, labels)``: images float32 (B, H, W, C) in 0..255, labels
        int32 (B,). Both carry ``.class_names`` (list of folder names).

    Raises
    ------
    FileNotFoundError
        ``path`` is not a folder.
    ValueError
        Bad arguments; no class sub-folders (images lying directly in ``path``); no
        images (the message shows the expected layout and the file types found); a
        class sub-folder without images; or files that cannot be decoded (each one
        named). Every image is decoded once, before TensorFlow is involved, so a
        corrupt JPEG is reported here rather than in the middle of training.

    Warns
    -----
    UserWarning
        Images lying directly in ``path`` next to the class sub-folders (they are
        ignored).

    See Also
    --------
    augmentation_layers : the random transformations of ``augment``.
    cnn_course.training.train : takes arrays; for these datasets use ``model.fit``.

    References
    ----------
    .. [1] Keras documentation, ``keras.utils.image_dataset_from_directory``.
    .. [2] C. Shorten and T. M. Khoshgoftaar, "A survey on image data augmentation for
       deep learning", Journal of Big Data 6:60, 2019.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"path must be an existing folder of class sub-folders; "
                                f"{folder} is not a folder")
    size = tuple(image_size) if isinstance(image_size, (list, tuple)) else None
    if size is None or len(size) != 2:
        raise ValueError(f"image_size must be a pair (height, width), got {image_size!r}")
    size = (check_int("image_size", size[0], 1), check_int("image_size", size[1], 1))
    if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float)):
        raise TypeError(f"validation_split must be a float, got "
                        f"{type(validation_split).__name__}")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
    batch_size = check_int("batch_size", batch_size, 1)
    seed = check_int("seed", seed, 0)
    if color_mode not in ("rgb", "grayscale", "rgba"):
        raise ValueError(f"color_mode must be 'rgb', 'grayscale' or 'rgba'; got {color_mode!r}")
    aug_kwargs = _augment_kwargs(augment)
    _check_image_folder(folder, color_mode)

    common = dict(labels="inferred", label_mode="int", color_mode=color_mode,
                  batch_size=batch_size, image_size=size, shuffle=True, seed=seed)
    if validation_split > 0:
        train_ds, val_ds = keras.utils.image_dataset_from_directory(
            str(folder), validation_split=validation_split, subset="both", **common)
    else:
        train_ds, val_ds = keras.utils.image_dataset_from_directory(str(folder), **common), None
    names = list(train_ds.class_names)
    if aug_kwargs is not None:
        aug = augmentation_layers(seed=seed, **aug_kwargs)
        # One batch at a time (no num_parallel_calls): the random layers then draw their
        # numbers in the same order every run, so a seed reproduces the augmented batches.
        train_ds = train_ds.map(lambda x, y: (aug(x, training=True), y))
    train_ds = train_ds.prefetch(tf.data.AUTOTUNE)
    train_ds.class_names = names
    if val_ds is not None:
        val_ds = val_ds.prefetch(tf.data.AUTOTUNE)
        val_ds.class_names = names
    return train_ds, val_ds
