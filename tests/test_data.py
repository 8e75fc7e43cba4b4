"""cnn_course.data on the real sources, plus every error path with files the tests write."""
from __future__ import annotations

import gzip
import io
import os
import pickle
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from cnn_course import data
from cnn_course.tooling.cli import main as cli_main
from cnn_course.data import DatasetNotFoundError, class_names, dataset_info, load_dataset

SHARED_DATA = (Path(__file__).resolve().parents[2] / "shared" / "datasets").resolve()
_real_download = data._download  # before any test monkeypatches it
FASHION_SYSTEM = Path("/usr/share/datasets/fashion-mnist")
KERAS_SHAPES = {"mnist": ((28, 28), ()), "fashion_mnist": ((28, 28), ()),
                "cifar10": ((32, 32, 3), (1,))}


def _from_shared() -> bool:
    folders = os.environ.get("CNN_COURSE_DATA", "").split(os.pathsep)
    return any(f and Path(f).resolve() == SHARED_DATA for f in folders)


needs_shared = pytest.mark.skipif(not SHARED_DATA.is_dir(),
                                  reason=f"shared samples not at {SHARED_DATA}")
needs_fashion = pytest.mark.skipif(not FASHION_SYSTEM.is_dir(),
                                   reason="apt-get install dataset-fashion-mnist")


# ----------------------------------------------------------------------------- real data
@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10"])
def test_real_dataset_has_keras_shapes_and_dtypes(name):
    (x_train, y_train), (x_test, y_test) = load_dataset(name)
    image_shape, label_tail = KERAS_SHAPES[name]
    for x, y in ((x_train, y_train), (x_test, y_test)):
        assert x.dtype == np.uint8 and y.dtype == np.uint8
        assert x.shape[1:] == image_shape
        assert y.shape == (len(x),) + label_tail
        assert x.flags.c_contiguous and x.flags.writeable
        assert 0 <= y.min() and y.max() <= 9
        assert x.max() > 200, "real images use the whole 0..255 range"
    assert len(class_names(name)) == 10


@needs_fashion
def test_full_fashion_mnist_from_debian_package():
    info = dataset_info("fashion_mnist")
    if info["source"] != "system":
        pytest.skip(f"Fashion-MNIST served by {info['source']} here")
    assert (info["n_train"], info["n_test"]) == (60_000, 10_000)
    (_, y_train), (_, y_test) = load_dataset("fashion_mnist")
    assert y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert y_test[:10].tolist() == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert class_names("fashion_mnist")[9] == "Ankle boot"


@needs_shared
def test_shared_mnist_sample_matches_readme():
    if not _from_shared():
        pytest.skip("CNN_COURSE_DATA does not point at the shared samples")
    info = dataset_info("mnist")
    assert info["source"] == "CNN_COURSE_DATA"
    assert Path(info["path"]).resolve() == SHARED_DATA / "mnist"
    assert (info["n_train"], info["n_test"]) == (17_435, 10_000)
    (_, y_train), (_, y_test) = load_dataset("mnist")
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(y_train).tolist() == [1732, 1981, 1693, 1821, 1678,
                                             1539, 1727, 1844, 1676, 1744]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982,
                                            892, 958, 1028, 974, 1009]


@needs_shared
def test_shared_cifar10_sample_matches_readme():
    if not _from_shared():
        pytest.skip("CNN_COURSE_DATA does not point at the shared samples")
    info = dataset_info("cifar10")
    assert info["source"] == "CNN_COURSE_DATA"
    assert (info["n_train"], info["n_test"]) == (5_438, 1_017)
    (x_train, y_train), (x_test, y_test) = load_dataset("cifar10")
    assert y_train[:10, 0].tolist() == [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]
    assert y_test[:10, 0].tolist() == [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]
    assert np.bincount(y_train[:, 0]).tolist() == [541, 564, 524, 529, 563,
                                                   523, 540, 548, 572, 534]
    assert np.bincount(y_test[:, 0]).tolist() == [105, 93, 100, 104, 92, 87, 114, 102, 110, 110]
    # channel order: a row of the upstream pickle is 1024 R, 1024 G, 1024 B values
    with open(SHARED_DATA / "cifar-10-batches-py" / "test_batch", "rb") as f:
        row = pickle.load(f, encoding="bytes")[b"data"][0]
    assert np.array_equal(x_test[0, :, :, 0].ravel(), row[:1024])
    assert np.array_equal(x_test[0, :, :, 2].ravel(), row[2048:])


def test_returned_arrays_are_copies_so_edits_do_not_poison_the_cache():
    (x, y), _ = load_dataset("mnist")
    x[:] = 0
    y[:] = 0
    (x2, y2), _ = load_dataset("mnist")
    assert x2.max() == 255 and y2.max() == 9


@pytest.mark.parametrize("name, canonical", [("Fashion-MNIST", "fashion_mnist"),
                                             ("cifar-10", "cifar10"), (" MNIST ", "mnist")])
def test_name_spellings(name, canonical):
    assert class_names(name) == class_names(canonical)


def test_bad_names():
    with pytest.raises(ValueError, match="name must be one of 'mnist'"):
        load_dataset("imagenet")
    with pytest.raises(TypeError, match="name must be a str"):
        class_names(10)
    with pytest.raises(TypeError, match="download must be a bool"):
        load_dataset("mnist", download="no")


def test_class_names():
    assert class_names("cifar10")[3] == "cat"
    assert class_names("mnist") == [str(i) for i in range(10)]
    names = class_names("fashion_mnist")
    names.append("x")  # a copy: editing it changes nothing
    assert len(class_names("fashion_mnist")) == 10


# ----------------------------------------------------------------------------- file writers
def _idx_bytes(arr: np.ndarray, magic: int | None = None, count: int | None = None) -> bytes:
    arr = np.asarray(arr, dtype=np.uint8)
    magic = magic if magic is not None else 0x0800 + arr.ndim
    dims = list(arr.shape)
    if count is not None:
        dims[0] = count
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)
    return header + arr.tobytes()


def _write_gz(path: Path, payload: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as f:
        f.write(payload)
    return path


@pytest.fixture(scope="module")
def mnist_records():
    """Real records: 30 MNIST train and 20 test images with labels, 7 CIFAR-10 images."""
    (x, y), (xt, yt) = load_dataset("mnist")
    (cx, cy), _ = load_dataset("cifar10")
    return x[:30], y[:30], xt[:20], yt[:20], cx[:7], cy[:7, 0]


def _write_idx_set(folder: Path, rec, gz: bool = True) -> Path:
    x, y, xt, yt = rec[:4]
    files = {"train-images-idx3-ubyte": x, "train-labels-idx1-ubyte": y,
             "t10k-images-idx3-ubyte": xt, "t10k-labels-idx1-ubyte": yt}
    folder.mkdir(parents=True, exist_ok=True)
    for stem, arr in files.items():
        if gz:
            _write_gz(folder / f"{stem}.gz", _idx_bytes(arr))
        else:
            (folder / stem).write_bytes(_idx_bytes(arr))
    return folder


def _cifar_pickle(x: np.ndarray, labels, path: Path, **extra) -> Path:
    rows = np.asarray(x).transpose(0, 3, 1, 2).reshape(len(x), 3072)
    d = {b"batch_label": b"test batch", b"labels": list(map(int, labels)), b"data": rows}
    d.update(extra)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(d, protocol=2))
    return path


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No real source is visible; downloads fail as if offline. Returns the folders."""
    env, system, keras_home = tmp_path / "env", tmp_path / "system", tmp_path / "keras"
    env.mkdir()
    monkeypatch.setenv("CNN_COURSE_DATA", str(env))
    monkeypatch.setattr(data, "SYSTEM_ROOT", system)
    monkeypatch.setenv("KERAS_HOME", str(keras_home))

    def offline(name):
        raise OSError("[Errno 101] Network is unreachable (mocked)")

    monkeypatch.setattr(data, "_download", offline)
    return env, system, keras_home / "datasets"


# ----------------------------------------------------------------------------- sources
def test_missing_data_error_names_every_place(isolated):
    env, system, cache = isolated
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset("fashion_mnist")
    msg = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert f"CNN_COURSE_DATA: {env}" in msg
    assert f"system: {system / 'fashion-mnist'}" in msg
    assert f"keras-cache: {cache}" in msg
    assert "download: failed (OSError: [Errno 101] Network is unreachable (mocked))" in msg
    assert "apt-get install dataset-fashion-mnist" in msg
    assert "CNN_COURSE_DATA" in msg.split("How to get")[1]


def test_no_download_when_download_false(isolated, monkeypatch):
    def boom(name):
        raise AssertionError("must not download")

    monkeypatch.setattr(data, "_download", boom)
    with pytest.raises(DatasetNotFoundError, match="not attempted"):
        load_dataset("mnist", download=False)


def test_unset_variable_is_reported(isolated, monkeypatch):
    monkeypatch.delenv("CNN_COURSE_DATA")
    with pytest.raises(DatasetNotFoundError, match=r"CNN_COURSE_DATA: \(not set\)"):
        load_dataset("cifar10")


def test_source_order_env_beats_system_beats_cache(isolated, mnist_records):
    env, system, cache = isolated
    rec = mnist_records
    _write_idx_set(system / "mnist", (rec[0][:5], rec[1][:5], rec[2], rec[3]))
    cache.mkdir(parents=True)
    np.savez(cache / "mnist.npz", x_train=rec[0][:7], y_train=rec[1][:7], x_test=rec[2], y_test=rec[3])
    _write_idx_set(env / "mnist", rec)

    info = dataset_info("mnist")
    assert (info["source"], info["path"], info["n_train"]) == ("CNN_COURSE_DATA",
                                                               str(env / "mnist"), 30)
    (x, y), (xt, yt) = load_dataset("mnist")
    assert np.array_equal(x, rec[0]) and np.array_equal(yt, rec[3])

    (env / "mnist" / "train-images-idx3-ubyte.gz").unlink()   # incomplete -> next source
    info = dataset_info("mnist")
    assert (info["source"], info["n_train"]) == ("system", 5)

    import shutil
    shutil.rmtree(system)
    info = dataset_info("mnist")
    assert (info["source"], info["path"], info["n_train"]) == ("keras-cache",
                                                               str(cache / "mnist.npz"), 7)


def test_several_folders_first_wins_and_files_directly_in_folder(isolated, monkeypatch,
                                                                 mnist_records):
    env, _, _ = isolated
    first, second = env / "a", env / "b"
    x, y, xt, yt = mnist_records[:4]
    _write_idx_set(first, (x[:3], y[:3], xt, yt))
    _write_idx_set(second, mnist_records)
    monkeypatch.setenv("CNN_COURSE_DATA", os.pathsep.join([str(first), str(second)]))
    info = dataset_info("mnist")
    assert (info["path"], info["n_train"]) == (str(first), 3)


def test_folder_named_for_another_dataset_is_not_used(isolated, monkeypatch, mnist_records):
    env, _, _ = isolated
    fashion = _write_idx_set(env / "fashion-mnist", mnist_records)
    monkeypatch.setenv("CNN_COURSE_DATA", str(fashion))
    assert dataset_info("fashion_mnist")["path"] == str(fashion)
    with pytest.raises(DatasetNotFoundError):
        load_dataset("mnist")


def test_uncompressed_idx_and_incomplete_note(isolated, mnist_records):
    env, _, _ = isolated
    _write_idx_set(env / "mnist", mnist_records, gz=False)
    (x, _), _ = load_dataset("mnist")
    assert np.array_equal(x, mnist_records[0])
    (env / "mnist" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DatasetNotFoundError, match="incomplete: missing t10k-labels-idx1-ubyte"):
        load_dataset("mnist")


def test_download_success_is_reported_then_cached(isolated, monkeypatch, mnist_records):
    _, _, cache = isolated

    def fake_download(name):  # what a successful download leaves in the Keras cache
        return _write_idx_set(cache / "fashion-mnist", mnist_records)

    monkeypatch.setattr(data, "_download", fake_download)
    assert dataset_info("fashion_mnist")["source"] == "download"
    assert dataset_info("fashion_mnist")["source"] == "keras-cache"


# ----------------------------------------------------------------------------- corrupt files
def test_truncated_gz_names_the_file(isolated, mnist_records):
    env, _, _ = isolated
    folder = _write_idx_set(env / "mnist", mnist_records)
    bad = folder / "train-images-idx3-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:-300])
    with pytest.raises(ValueError, match=str(bad)):
        load_dataset("mnist")


def test_wrong_magic_names_the_file(isolated, mnist_records):
    env, _, _ = isolated
    folder = _write_idx_set(env / "mnist", mnist_records)
    bad = _write_gz(folder / "t10k-labels-idx1-ubyte.gz", _idx_bytes(mnist_records[3], magic=2051))
    with pytest.raises(ValueError, match=f"{bad}: wrong IDX magic number 2051, expected 2049"):
        load_dataset("mnist")


def test_header_count_must_match_payload(isolated, mnist_records):
    env, _, _ = isolated
    folder = _write_idx_set(env / "mnist", mnist_records)
    bad = _write_gz(folder / "train-images-idx3-ubyte.gz", _idx_bytes(mnist_records[0], count=31))
    with pytest.raises(ValueError, match=f"{bad}: the header announces"):
        load_dataset("mnist")


def test_label_count_must_match_image_count(isolated, mnist_records):
    env, _, _ = isolated
    folder = _write_idx_set(env / "mnist", mnist_records)
    bad = _write_gz(folder / "train-labels-idx1-ubyte.gz", _idx_bytes(mnist_records[1][:29]))
    with pytest.raises(ValueError, match=f"{bad}: 29 labels for 30 images"):
        load_dataset("mnist")


def test_labels_out_of_range_and_wrong_image_size(isolated, mnist_records):
    env, _, _ = isolated
    folder = _write_idx_set(env / "mnist", mnist_records)
    y = mnist_records[3].copy()
    y[4] = 10
    bad = _write_gz(folder / "t10k-labels-idx1-ubyte.gz", _idx_bytes(y))
    with pytest.raises(ValueError, match=f"{bad}: label 10 out of range"):
        load_dataset("mnist")
    _write_idx_set(folder, mnist_records)
    bad = _write_gz(folder / "train-images-idx3-ubyte.gz",
                    _idx_bytes(mnist_records[0][:, :27, :27]))
    with pytest.raises(ValueError, match=f"{bad}: images of shape \\(27, 27\\)"):
        load_dataset("mnist")


def test_npz_corrupt_and_incomplete(isolated, mnist_records):
    _, _, cache = isolated
    cache.mkdir(parents=True)
    npz = cache / "mnist.npz"
    np.savez(npz, x_train=mnist_records[0], y_train=mnist_records[1],
             x_test=mnist_records[2], y_test=mnist_records[3])
    (x, y), _ = load_dataset("mnist")
    assert x.shape == (30, 28, 28) and y.shape == (30,)
    npz.write_bytes(npz.read_bytes()[:1000])
    with pytest.raises(ValueError, match=str(npz)):
        load_dataset("mnist")
    np.savez(npz, x_train=mnist_records[0], y_train=mnist_records[1])
    with pytest.raises(ValueError, match=f"{npz}: missing array"):
        load_dataset("mnist")


def test_cifar_any_number_of_records_and_batches(isolated, mnist_records):
    env, _, _ = isolated
    cx, cy = mnist_records[4], mnist_records[5]
    folder = env / "cifar-10-batches-py"
    _cifar_pickle(cx[:3], cy[:3], folder / "data_batch_1")
    _cifar_pickle(cx[3:], cy[3:], folder / "data_batch_2")
    _cifar_pickle(cx[:2], cy[:2], folder / "test_batch")
    (x, y), (xt, yt) = load_dataset("cifar10")
    assert x.shape == (7, 32, 32, 3) and y.shape == (7, 1) and y.dtype == np.uint8
    assert np.array_equal(x, cx) and np.array_equal(y[:, 0], cy)
    assert xt.shape == (2, 32, 32, 3) and yt.shape == (2, 1)


def test_cifar_corrupt_pickle_names_the_file(isolated, mnist_records):
    env, _, _ = isolated
    folder = env / "cifar-10-batches-py"
    _cifar_pickle(mnist_records[4], mnist_records[5], folder / "data_batch_1")
    bad = _cifar_pickle(mnist_records[4], mnist_records[5], folder / "test_batch")
    bad.write_bytes(bad.read_bytes()[: len(bad.read_bytes()) // 2])
    with pytest.raises(ValueError, match=f"{bad}: cannot unpickle"):
        load_dataset("cifar10")


def test_cifar_mismatched_batch_names_the_file(isolated, mnist_records):
    env, _, _ = isolated
    folder = env / "cifar-10-batches-py"
    bad = _cifar_pickle(mnist_records[4], mnist_records[5][:6], folder / "data_batch_1")
    _cifar_pickle(mnist_records[4], mnist_records[5], folder / "test_batch")
    with pytest.raises(ValueError, match=f"{bad}: 6 labels for 7 images"):
        load_dataset("cifar10")


def test_cifar_wrong_shape_and_unsafe_pickle(isolated, mnist_records):
    env, _, _ = isolated
    folder = env / "cifar-10-batches-py"
    bad = folder / "data_batch_1"
    folder.mkdir(parents=True)
    bad.write_bytes(pickle.dumps({b"data": np.zeros((2, 3000), np.uint8), b"labels": [1, 2]},
                                 protocol=2))
    _cifar_pickle(mnist_records[4], mnist_records[5], folder / "test_batch")
    with pytest.raises(ValueError, match=f"{bad}: 'data' must be a uint8 array of shape"):
        load_dataset("cifar10")
    bad.write_bytes(pickle.dumps({b"data": os.getcwd, b"labels": []}, protocol=2))
    with pytest.raises(ValueError, match=f"{bad}: .*refusing to load"):
        load_dataset("cifar10")


# ----------------------------------------------------------------------------- download
class _BrokenStream(io.BytesIO):
    """A response that delivers some bytes and then drops the connection."""

    def read(self, n=-1):
        if self.tell() > 0:
            raise ConnectionResetError("connection reset (mocked)")
        return super().read(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_interrupted_download_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen",
                        lambda url, timeout=None: _BrokenStream(b"x" * 100))
    dest = tmp_path / "datasets" / "mnist.npz"
    with pytest.raises(ConnectionResetError):
        data._fetch("https://example.invalid/mnist.npz", dest)
    assert list(dest.parent.iterdir()) == []


def test_download_with_wrong_checksum_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen",
                        lambda url, timeout=None: _OkStream(b"not the real file"))
    dest = tmp_path / "mnist.npz"
    with pytest.raises(ValueError, match="sha256"):
        data._fetch("https://example.invalid/mnist.npz", dest, sha256="0" * 64)
    assert list(tmp_path.iterdir()) == []
    data._fetch("https://example.invalid/mnist.npz", dest)
    assert dest.read_bytes() == b"not the real file"


class _OkStream(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_real_download_function_is_used_and_its_error_reported(isolated, monkeypatch):
    monkeypatch.setattr(data, "_download", _real_download)

    def no_network(url, timeout=None):
        raise urllib.error.URLError("no route to host (mocked)")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(DatasetNotFoundError, match="download: failed \\(URLError"):
        load_dataset("mnist")
    _, _, cache = isolated
    assert [p for p in cache.rglob("*") if p.is_file()] == []



# ----------------------------------------------------------------------------- report / CLI
def test_cli_data_report_counts(capsys):
    rc = cli_main(["data"])
    out = capsys.readouterr().out
    expected = []
    if _from_shared():
        expected += ["17,435 train", "10,000 test", "5,438 train", "1,017 test"]
    if FASHION_SYSTEM.is_dir() and dataset_info("fashion_mnist")["source"] == "system":
        expected += ["60,000 train", str(FASHION_SYSTEM)]
    for text in expected:
        assert text in out, out
    if _from_shared() and FASHION_SYSTEM.is_dir():
        assert rc == 0 and "all datasets found" in out


def test_cli_data_report_when_missing(isolated, capsys, mnist_records):
    env, _, _ = isolated
    _write_idx_set(env / "mnist", mnist_records)
    bad = _cifar_pickle(mnist_records[4], mnist_records[5][:6], env / "cifar10" / "data_batch_1")
    _cifar_pickle(mnist_records[4], mnist_records[5], env / "cifar10" / "test_batch")
    rc = data.print_data_report()
    out = capsys.readouterr().out
    assert rc == 1
    assert "MNIST          found       30 train /      20 test" in out
    assert "Fashion-MNIST  MISSING" in out and "apt-get install dataset-fashion-mnist" in out
    assert f"CIFAR-10       BROKEN: {bad}" in out
    assert "download: not attempted" in out


# ----------------------------------------------------------------------------- image folders
@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    """Real CIFAR-10 test images saved as PNG: 3 classes x 10 images (cat, ship, frog)."""
    from PIL import Image

    _, (x, y) = load_dataset("cifar10")
    root = tmp_path_factory.mktemp("photos")
    names = class_names("cifar10")
    originals = []
    for label in (3, 6, 8):
        folder = root / names[label]
        folder.mkdir()
        for i, idx in enumerate(np.flatnonzero(y[:, 0] == label)[:10]):
            Image.fromarray(x[idx]).save(folder / f"{i:02d}.png")
            originals.append(x[idx])
    return root, np.stack(originals)


def test_load_image_folder_split_and_class_names(image_folder):
    root, originals = image_folder
    train_ds, val_ds = data.load_image_folder(root, image_size=(32, 32), batch_size=8)
    assert train_ds.class_names == ["cat", "frog", "ship"] == val_ds.class_names
    xs = np.concatenate([x.numpy() for x, _ in train_ds])
    ys = np.concatenate([y.numpy() for _, y in train_ds])
    xv = np.concatenate([x.numpy() for x, _ in val_ds])
    assert xs.shape == (24, 32, 32, 3) and xv.shape == (6, 32, 32, 3)
    assert xs.dtype == np.float32 and set(ys.tolist()) <= {0, 1, 2}
    known = {o.tobytes() for o in originals}
    assert all(v.astype(np.uint8).tobytes() in known for v in xv)
    assert all(t.astype(np.uint8).tobytes() in known for t in xs)
    val_bytes = {v.astype(np.uint8).tobytes() for v in xv}
    assert not val_bytes & {t.astype(np.uint8).tobytes() for t in xs}, "split overlaps"
    train_ds, val_ds = data.load_image_folder(root, image_size=(16, 20), validation_split=0,
                                              color_mode="grayscale")
    assert val_ds is None
    assert next(iter(train_ds))[0].shape[1:] == (16, 20, 1)


def test_load_image_folder_augments_training_split_only(image_folder):
    root, originals = image_folder
    train_ds, val_ds = data.load_image_folder(root, image_size=(32, 32), augment=True,
                                              batch_size=8, seed=1)
    known = {o.tobytes() for o in originals}
    xs = np.concatenate([x.numpy() for x, _ in train_ds])
    xv = np.concatenate([x.numpy() for x, _ in val_ds])
    assert xs.shape == (24, 32, 32, 3) and np.isfinite(xs).all()
    unchanged = sum(t.round().astype(np.uint8).tobytes() in known for t in xs)
    assert unchanged <= 2, f"{unchanged} of 24 training images were not augmented"
    assert all(v.astype(np.uint8).tobytes() in known for v in xv), "validation was augmented"
    assert train_ds.class_names == ["cat", "frog", "ship"]
    train_ds, _ = data.load_image_folder(root, image_size=(32, 32), augment=["flip"])
    assert next(iter(train_ds))[0].shape[1:] == (32, 32, 3)


def test_load_image_folder_augmentation_is_reproducible(image_folder):
    """The same seed gives the same augmented batches, epoch after epoch: a lesson that
    compares training with and without augmentation gets the same numbers on every run.
    (With the map run in parallel the random layers drew their numbers in a different
    order from run to run; many small batches over three epochs make that visible.)"""
    root, _ = image_folder

    def epochs(seed, augment):
        train_ds, _ = data.load_image_folder(root, image_size=(32, 32), augment=augment,
                                             batch_size=2, seed=seed)
        return [np.concatenate([x.numpy() for x, _ in train_ds]) for _ in range(3)]

    first, again, plain = epochs(3, True), epochs(3, True), epochs(3, False)
    assert all(np.array_equal(a, b) for a, b in zip(first, again)), "same seed, other batches"
    # same seed without augmentation: the same images in the same order, un-augmented
    assert all(not np.array_equal(a, p) for a, p in zip(first, plain)), "nothing was augmented"
    assert not np.allclose(first[0] - plain[0], first[1] - plain[1]), \
        "every epoch is augmented anew"


def test_augmentation_layers():
    layers = data.augmentation_layers(rotation=0.1, shear=0.2, flip=True, zoom=0.1,
                                      translation=0.1)
    kinds = [type(layer).__name__ for layer in layers.layers]
    assert kinds == ["RandomFlip", "RandomRotation", "RandomShear", "RandomZoom",
                     "RandomTranslation"]
    x = np.tile(np.linspace(0, 255, 32, dtype="float32"), (2, 32, 1))[..., None]
    out = np.asarray(data.augmentation_layers(rotation=0.0, shear=0.0, flip=False,
                                              translation=0.2)(x, training=True))
    assert out.shape == x.shape and not np.allclose(out, x)
    only_rotation = data.augmentation_layers(shear=0, flip=False, translation=0)
    assert [type(la).__name__ for la in only_rotation.layers] \
        == ["RandomRotation"]


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"validation_split": 1.0}, ValueError, "validation_split must be in"),
    ({"validation_split": True}, TypeError, "validation_split"),
    ({"image_size": (0, 5)}, ValueError, "image_size"),
    ({"image_size": 64}, ValueError, "image_size must be a pair"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"augment": "yes"}, TypeError, "augment"),
    ({"augment": ["spin"]}, ValueError, "augment list"),
    ({"augment": {"spin": 1}}, ValueError, "augment keys"),
    ({"color_mode": "cmyk"}, ValueError, "color_mode"),
])
def test_load_image_folder_rejects_bad_arguments(tmp_path, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        data.load_image_folder(tmp_path, **kwargs)


def test_load_image_folder_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        data.load_image_folder(tmp_path / "nope")


@pytest.mark.parametrize("kwargs, exc", [({"rotation": 1.5}, ValueError),
                                         ({"shear": "a"}, TypeError),
                                         ({"flip": 1}, TypeError), ({"seed": -1}, ValueError)])
def test_augmentation_layers_rejects_bad_arguments(kwargs, exc):
    with pytest.raises(exc):
        data.augmentation_layers(**kwargs)


def _save_png(path, seed=0):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)


def test_load_image_folder_explains_the_expected_layout(tmp_path):
    with pytest.raises(ValueError, match=r"(?s)no images found in .*one sub-folder per class"):
        data.load_image_folder(tmp_path)
    for i in range(3):  # photos not sorted into class folders
        _save_png(tmp_path / f"photo{i}.png", i)
    with pytest.raises(ValueError, match=r"(?s)holds 3 image\(s\) but no class sub-folders.*cat/"):
        data.load_image_folder(tmp_path)


def test_load_image_folder_names_class_folders_without_images(tmp_path):
    (tmp_path / "cats").mkdir()
    (tmp_path / "cats" / "a.webp").write_bytes(b"RIFF")
    (tmp_path / "dogs").mkdir()
    with pytest.raises(ValueError, match=r"no images found in the class sub-folders cats, dogs"
                                         r".*found only files ending in \.webp"):
        data.load_image_folder(tmp_path)
    _save_png(tmp_path / "cats" / "a.png")
    with pytest.raises(ValueError, match=r"class sub-folder\(s\) dogs .* hold no image"):
        data.load_image_folder(tmp_path)


def test_load_image_folder_names_corrupt_and_truncated_files(tmp_path):
    from PIL import Image

    for label in ("a", "b"):
        for i in range(3):
            _save_png(tmp_path / label / f"{i}.png", i)
    (tmp_path / "b" / "garbage.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    buffer = io.BytesIO()
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(buffer, format="JPEG")
    (tmp_path / "a" / "cut.jpg").write_bytes(buffer.getvalue()[:300])  # truncated download
    with pytest.raises(ValueError) as err:
        data.load_image_folder(tmp_path, image_size=(8, 8))
    message = str(err.value)
    assert "2 of 8 image file(s)" in message
    assert str(tmp_path / "b" / "garbage.jpg") in message
    assert str(tmp_path / "a" / "cut.jpg") in message


def test_load_image_folder_warns_about_images_outside_the_class_folders(tmp_path):
    for label in ("a", "b"):
        for i in range(2):
            _save_png(tmp_path / label / f"{i}.png", i)
    _save_png(tmp_path / "stray.png")
    with pytest.warns(UserWarning, match=r"1 image\(s\) directly in .*stray.png.* ignored"):
        train_ds, _ = data.load_image_folder(tmp_path, image_size=(8, 8), validation_split=0)
    assert train_ds.class_names == ["a", "b"]


# ----------------------------------------------------------------------------- issue 19: offline
def test_missing_data_is_one_clear_message_naming_the_files(isolated, monkeypatch):
    """No chained socket traceback (``raise ... from None``); the message names the files it
    wants, the folders it looked in and the variable to set."""
    monkeypatch.setattr(data, "_download", _real_download)

    def no_network(url, timeout=None):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution (mocked)")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    env, system, cache = isolated
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset("mnist")
    exc = info.value
    assert exc.__cause__ is None and exc.__suppress_context__, "the socket error is chained"
    msg = str(exc)
    for text in ("mnist.npz", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
                 str(env), str(system / "mnist"), str(cache / "mnist.npz"), "CNN_COURSE_DATA",
                 "cnn-course data --download", "download: failed (URLError"):
        assert text in msg, f"{text!r} not in:\n{msg}"
    with pytest.raises(DatasetNotFoundError, match="data_batch_1 ... data_batch_5"):
        load_dataset("cifar10", download=False)


def test_cli_data_download_success_path(isolated, monkeypatch, capsys, mnist_records):
    env, _, cache = isolated
    _write_idx_set(env / "mnist", mnist_records)
    _cifar_pickle(mnist_records[4], mnist_records[5], env / "cifar10" / "test_batch")
    for k in range(1, 6):
        _cifar_pickle(mnist_records[4], mnist_records[5], env / "cifar10" / f"data_batch_{k}")
    asked = []

    def fake_download(name):  # what a successful download leaves in the Keras cache
        asked.append(name)
        return _write_idx_set(cache / "fashion-mnist", mnist_records)

    monkeypatch.setattr(data, "_download", fake_download)
    assert cli_main(["data"]) == 1 and asked == []          # no download without --download
    capsys.readouterr()
    assert cli_main(["data", "--download"]) == 0
    out = capsys.readouterr().out
    assert asked == ["fashion_mnist"]
    assert "Fashion-MNIST  downloading into" in out and "[download]" in out, out
    assert "all datasets found" in out


def test_cli_data_download_offline_fails_in_one_line(tmp_path):
    """A real ``cnn-course data --download`` with no network (a proxy that refuses every
    connection): one line per dataset saying the download failed, no traceback, exit 1."""
    import subprocess
    import sys

    env = dict(os.environ, CNN_COURSE_DATA=str(tmp_path / "none"), KERAS_HOME=str(tmp_path),
               https_proxy="http://127.0.0.1:9", http_proxy="http://127.0.0.1:9",
               HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9")
    env.pop("no_proxy", None), env.pop("NO_PROXY", None)
    run = subprocess.run([sys.executable, "-m", "cnn_course.tooling.cli", "data", "--download"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    failed = [line for line in run.stdout.splitlines() if "the download failed" in line]
    assert any(line.startswith("MNIST") for line in failed), run.stdout
    assert all("connect to the internet" in line for line in failed), run.stdout
    assert not any(p.name.endswith(".part") for p in tmp_path.rglob("*"))
