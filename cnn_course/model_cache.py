"""Trained once, reused: a cache of the networks the lessons train.

Several lessons need the same trained network (the Fashion-MNIST CNN is trained in the
dense-vs-CNN lesson and looked inside in later ones). :func:`cached_training` trains it the
first time, saves the model and its history, and loads them on every later call with the
same **key**::

    key = (model name, data set, number of training images, epochs, seed, settings,
           versions of cnn_course, keras, tensorflow and numpy)

Any change of a part (another subset size, one more epoch, a new Keras) gives another key,
so a stale network is never reused silently. Entries live in one folder per key,
``<cache>/<model name>-<16 hex digits of the key's SHA-256>/`` holding ``model.keras``,
``history.json`` and ``key.json``; ``<cache>`` is ``$CNN_COURSE_CACHE`` or
``~/.cache/cnn-course/models``. An entry is written in a temporary folder and renamed into
place, so an interrupted run never leaves a half-written entry; an entry that cannot be read
(a damaged file, another Keras) is reported, removed and trained again.

- :func:`cached_training`: any training function, cached under a key.
- :func:`trained_model`: the course's standard recipe (load the data set, scale to [0, 1],
  ``cfg.subset``, ``cfg.epochs``, :func:`cnn_course.training.train`), cached.
- :func:`cache_info`, :func:`format_cache_info`, :func:`clear_cache`: what is stored, and
  removing it; :func:`cache_main` is the ``cnn-course cache [--clear]`` command.

Examples
--------
>>> model, history = trained_model(cfg, "fashion_cnn", "fashion_mnist",
...                                quick=3000, epochs=5, quick_epochs=2)   # doctest: +SKIP
trained fashion_cnn (3,000 fashion_mnist images, 2 epochs, seed 0) in 5.1 s;
saved to /home/me/.cache/cnn-course/models/fashion_cnn-3f0c...
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np

from ._lazy import keras
from ._validation import check_int
from .data import shown_path

if TYPE_CHECKING:
    import keras as keras_types

    from .config import Config

__all__ = ["CACHE_ENV", "cache_dir", "library_versions", "cache_key", "entry_path",
           "cached_training", "trained_model", "cache_info", "format_cache_info",
           "clear_cache", "cache_main"]

#: Environment variable naming the cache folder.
CACHE_ENV = "CNN_COURSE_CACHE"
MODEL_FILE = "model.keras"
HISTORY_FILE = "history.json"
KEY_FILE = "key.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def cache_dir(path: str | os.PathLike | None = None) -> Path:
    """The cache folder: ``path``, else ``$CNN_COURSE_CACHE``, else ``~/.cache/cnn-course/models``.

    Nothing is created here; :func:`cached_training` creates the folder when it saves.
    """
    if path is None:
        path = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "cnn-course" / "models"
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"cache_dir must be a path or None, got {type(path).__name__}")
    folder = Path(path).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"cache_dir must be a folder, got the file {folder}")
    return folder


def library_versions() -> dict[str, str]:
    """Versions of the libraries a trained network depends on (read without importing them)."""
    from . import __version__

    versions = {"cnn_course": __version__}
    for dist in ("keras", "tensorflow", "numpy"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return versions


def _check_name(what: str, value: object) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ValueError(f"{what} must be a non-empty name of letters, digits, '_', '.' or '-' "
                         f"(at most 64 characters, starting with a letter or digit), "
                         f"got {value!r}")
    return value


def _plain(name: str, value: Any) -> Any:
    """``value`` as JSON-able plain data (for a key), or a TypeError naming ``name``."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_plain(name, v) for v in value]
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"{name} must have str keys, got {list(value)!r}")
        return {k: _plain(f"{name}[{k!r}]", v) for k, v in value.items()}
    raise TypeError(f"{name} must hold only numbers, strings, None, lists and dicts (it is part "
                    f"of the cache key), got {type(value).__name__}")


def cache_key(model_name: str, dataset: str, train_size: int, epochs: int, seed: int,
              settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything a trained network depends on, as a dict (what :func:`entry_path` hashes).

    Parameters
    ----------
    model_name : str
        E.g. ``"fashion_cnn"`` (letters, digits, ``_ . -``).
    dataset : str
        E.g. ``"fashion_mnist"``.
    train_size : int >= 1
        Number of training images (validation part included).
    epochs : int >= 1
    seed : int >= 0
    settings : dict, optional
        Anything else the training depends on (batch size, augmentation, ...): plain data.

    Returns
    -------
    dict
        ``model``, ``dataset``, ``train_size``, ``epochs``, ``seed``, ``settings`` and
        ``versions`` (:func:`library_versions`).

    Examples
    --------
    >>> key = cache_key("fashion_cnn", "fashion_mnist", 3000, 2, 0)
    >>> sorted(key["versions"])
    ['cnn_course', 'keras', 'numpy', 'tensorflow']
    """
    return {"model": _check_name("model_name", model_name),
            "dataset": _check_name("dataset", dataset),
            "train_size": check_int("train_size", train_size, 1),
            "epochs": check_int("epochs", epochs, 1),
            "seed": check_int("seed", seed, 0),
            "settings": _plain("settings", dict(settings or {})),
            "versions": library_versions()}


def _digest(key: Mapping[str, Any]) -> str:
    text = json.dumps(key, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def entry_path(key: Mapping[str, Any], cache: str | os.PathLike | None = None) -> Path:
    """The folder of the cache entry for ``key``: ``<cache>/<model>-<SHA-256 of key, 16 hex>``."""
    if not isinstance(key, Mapping) or "model" not in key:
        raise TypeError("key must be the dict returned by cache_key")
    return cache_dir(cache) / f"{_check_name('key[model]', key['model'])}-{_digest(key)}"


def _history_object(logs: Mapping[str, list], epochs: list[int]) -> keras_types.callbacks.History:
    history = keras.callbacks.History()
    history.history = {k: [float(v) for v in vals] for k, vals in logs.items()}
    history.epoch = list(epochs)
    return history


def _history_logs(history: object) -> tuple[dict[str, list[float]], list[int]]:
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping) or not logs:
        raise TypeError("train_fn must return (model, history) with history a "
                        "keras.callbacks.History or a dict metric -> list of values, got "
                        f"{type(history).__name__}")
    plain = {str(k): [float(v) for v in np.ravel(vals)] for k, vals in logs.items()}
    n = max(len(v) for v in plain.values())
    epochs = [int(e) for e in getattr(history, "epoch", range(n))]
    return plain, epochs


def _load(folder: Path, key: Mapping[str, Any]) -> tuple[Any, Any]:
    """Model and history of an entry; any problem raises (the caller retrains)."""
    stored = json.loads((folder / KEY_FILE).read_text(encoding="utf-8"))
    if stored.get("key") != json.loads(json.dumps(key)):
        raise ValueError("its key.json does not match the key asked for")
    record = json.loads((folder / HISTORY_FILE).read_text(encoding="utf-8"))
    model = keras.saving.load_model(str(folder / MODEL_FILE))
    return model, _history_object(record["history"], record["epoch"])


def _save(folder: Path, key: Mapping[str, Any], model: Any, logs: dict, epochs: list[int],
          seconds: float) -> None:
    """Write the entry in a temporary folder beside ``folder`` and rename it into place."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        model.save(str(tmp / MODEL_FILE))
        (tmp / HISTORY_FILE).write_text(json.dumps({"history": logs, "epoch": epochs}),
                                        encoding="utf-8")
        created = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
        (tmp / KEY_FILE).write_text(json.dumps({"key": key, "created": created,
                                                "train_seconds": round(seconds, 3)},
                                               indent=1, sort_keys=True), encoding="utf-8")
        try:
            os.rename(tmp, folder)  # atomic on one file system
        except OSError:  # another process saved the same key first: keep theirs
            if not (folder / KEY_FILE).exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _describe(key: Mapping[str, Any]) -> str:
    word = "epoch" if key["epochs"] == 1 else "epochs"
    return (f"{key['model']} ({key['train_size']:,} {key['dataset']} images, {key['epochs']} "
            f"{word}, seed {key['seed']})")


def cached_training(model_name: str, dataset: str, train_size: int, epochs: int, seed: int,
                    train_fn: Callable[[], tuple[Any, Any]], *,
                    settings: Mapping[str, Any] | None = None,
                    cache: str | os.PathLike | None = None, verbose: bool = True
                    ) -> tuple[keras_types.Model, keras_types.callbacks.History]:
    """Load the network trained under this key, or train it with ``train_fn`` and save it.

    On a miss, Python, NumPy and TensorFlow are seeded with ``seed``
    (``keras.utils.set_random_seed``) and ``train_fn()`` is called; its model is saved
    (Keras ``.keras`` format) with its history, atomically. On a hit, ``train_fn`` is *not*
    called. Either way the location is printed. An entry that cannot be read is reported,
    removed, and trained again.

    Parameters
    ----------
    model_name, dataset, train_size, epochs, seed, settings
        The key (:func:`cache_key`): describe honestly what ``train_fn`` does, since only the
        key decides whether a stored network is reused.
    train_fn : callable () -> (keras.Model, history)
        Builds and trains the network; ``history`` a ``keras.callbacks.History`` or a dict
        metric -> list of per-epoch values.
    cache : path, optional
        Cache folder (default :func:`cache_dir`).
    verbose : bool
        Print whether the network was trained or loaded, and where it is stored.

    Returns
    -------
    model : keras.Model
        Trained (and compiled, as ``train_fn`` left it).
    history : keras.callbacks.History
        ``history.history[metric]`` one value per epoch; the same whether trained or loaded.

    Raises
    ------
    TypeError
        If ``train_fn`` is not callable or returns something else than (model, history).
    ValueError
        For a key part out of range (see :func:`cache_key`).

    See Also
    --------
    trained_model : the course's standard recipe, cached.
    cache_info, clear_cache : what is stored; removing it.
    """
    key = cache_key(model_name, dataset, train_size, epochs, seed, settings)
    if not callable(train_fn):
        raise TypeError(f"train_fn must be callable, got {type(train_fn).__name__}")
    if not isinstance(verbose, bool):
        raise TypeError(f"verbose must be a bool, got {type(verbose).__name__}")
    folder = entry_path(key, cache)
    if folder.exists():
        try:
            model, history = _load(folder, key)
        except Exception as err:  # damaged or unreadable entry: say so, start again
            print(f"cache entry {shown_path(folder)} could not be read ({type(err).__name__}: "
                  f"{str(err)[:200]}); removing it and training again")
            shutil.rmtree(folder, ignore_errors=True)
        else:
            if verbose:
                print(f"loaded {_describe(key)} from the cache: {shown_path(folder)}")
            return model, history
    keras.utils.set_random_seed(key["seed"])
    start = time.perf_counter()
    result = train_fn()
    seconds = time.perf_counter() - start
    if not isinstance(result, tuple) or len(result) != 2 or not isinstance(result[0],
                                                                           keras.Model):
        raise TypeError("train_fn must return (model, history) with model a keras.Model, got "
                        f"{type(result).__name__}")
    model, history = result
    logs, epoch_list = _history_logs(history)
    _save(folder, key, model, logs, epoch_list, seconds)
    if verbose:
        print(f"trained {_describe(key)} in {seconds:.1f} s; saved to {shown_path(folder)}")
    return model, _history_object(logs, epoch_list)


def trained_model(cfg: Config, model_name: str = "fashion_cnn", dataset: str = "fashion_mnist",
                  *, quick: int = 3000, epochs: int = 5, quick_epochs: int = 2,
                  batch_size: int = 64, validation_split: float = 0.1,
                  cache: str | os.PathLike | None = None
                  ) -> tuple[keras_types.Model, keras_types.callbacks.History]:
    """The course's standard training recipe for a network of :func:`cnn_course.build_model`, cached.

    Recipe: ``load_dataset(dataset)``; training images scaled to [0, 1] as float32 with a
    channel axis; ``cfg.subset(x, y, quick=quick)``; ``cfg.epochs(epochs, quick_epochs)``;
    ``build_model(model_name)``; :func:`cnn_course.training.train` with ``batch_size`` and
    ``validation_split``. Two lessons calling it with the same arguments (and mode and seed)
    share one trained network.

    Parameters
    ----------
    cfg : Config
        From :func:`cnn_course.setup` (mode and seed).
    model_name : str
        A name of :func:`cnn_course.list_models`.
    dataset : str
        ``"fashion_mnist"``, ``"mnist"`` or ``"cifar10"``.
    quick : int >= 1
        Training images in quick mode (full mode: all).
    epochs, quick_epochs : int >= 1
        Epochs in full and quick mode.
    batch_size : int >= 1
    validation_split : float in [0, 1)
    cache : path, optional

    Returns
    -------
    model, history
        As :func:`cached_training`.
    """
    from .config import Config
    from .data import load_dataset
    from .models import build_model
    from .training import train

    if not isinstance(cfg, Config):
        raise TypeError(f"cfg must be the Config returned by cnn_course.setup(), got "
                        f"{type(cfg).__name__}")
    _check_name("model_name", model_name)
    quick = check_int("quick", quick, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    (x_train, y_train), _ = load_dataset(dataset)
    x_fit, y_fit = cfg.subset(x_train, y_train, quick=quick)
    n_epochs = cfg.epochs(epochs, quick=quick_epochs)

    def fit() -> tuple[Any, Any]:
        x = np.asarray(x_fit, dtype=np.float32) / 255.0
        if x.ndim == 3:
            x = x[..., None]
        model = build_model(model_name, input_shape=x.shape[1:])
        history = train(model, x, y_fit, epochs=n_epochs, batch_size=batch_size,
                        validation_split=validation_split, verbose="auto" if cfg.verbose else 0)
        return model, history

    return cached_training(model_name, dataset, len(x_fit), n_epochs, cfg.seed, fit,
                           settings={"recipe": "trained_model", "batch_size": batch_size,
                                     "validation_split": validation_split,
                                     "scaling": "x / 255, float32"},
                           cache=cache, verbose=cfg.verbose)


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def cache_info(cache: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """The stored entries, oldest first.

    Returns
    -------
    list of dict
        ``name`` (folder name), ``path``, ``bytes`` (size on disk), ``created`` (ISO date, or
        None when unreadable), ``key`` (:func:`cache_key`'s dict, or None when ``key.json``
        cannot be read: a damaged entry, removed by :func:`clear_cache`).
    """
    root = cache_dir(cache)
    if not root.is_dir():
        return []
    entries = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            record = json.loads((folder / KEY_FILE).read_text(encoding="utf-8"))
            key, created = record["key"], record.get("created")
        except (OSError, ValueError, KeyError, TypeError):
            key, created = None, None
        entries.append({"name": folder.name, "path": folder, "bytes": _size(folder),
                        "created": created, "key": key})
    entries.sort(key=lambda e: (e["created"] or "", e["name"]))
    return entries


def format_cache_info(entries: list[dict[str, Any]], root: Path | None = None) -> str:
    """:func:`cache_info`'s entries as a text table (one line per entry, then the total)."""
    head = f"model cache: {root}" if root is not None else "model cache"
    if not entries:
        return f"{head}\n(empty)"
    lines = [head, f"{'entry':<34} {'size':>9}  {'created':<25} trained on"]
    for e in entries:
        key = e["key"]
        what = (f"{key['train_size']:,} {key['dataset']}, {key['epochs']} ep, seed {key['seed']}, "
                f"keras {key['versions'].get('keras')}" if isinstance(key, dict)
                else "(damaged: key.json unreadable)")
        lines.append(f"{e['name']:<34} {e['bytes'] / 1e6:>7.2f}MB  {e['created'] or '?':<25} "
                     f"{what}")
    total = sum(e["bytes"] for e in entries)
    lines.append(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}, "
                 f"{total / 1e6:.2f} MB")
    return "\n".join(lines)


def clear_cache(name: str | None = None, cache: str | os.PathLike | None = None) -> list[Path]:
    """Remove the cached networks: all of them, or those of model ``name``.

    Parameters
    ----------
    name : str, optional
        A model name (``"fashion_cnn"``: every entry of that model) or an entry's folder name.
    cache : path, optional

    Returns
    -------
    list of Path
        The folders removed (left-over temporary folders of interrupted saves included).
    """
    if name is not None:
        _check_name("name", name)
    root = cache_dir(cache)
    if not root.is_dir():
        return []
    removed = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name.startswith("."):
            hit = name is None and folder.name.endswith(".tmp")
        else:
            hit = name is None or folder.name == name or folder.name.rsplit("-", 1)[0] == name
        if hit:
            shutil.rmtree(folder)
            removed.append(folder)
    return removed


def cache_main(args: Any) -> int:
    """The ``cnn-course cache [--clear] [--name NAME] [--dir DIR]`` command.

    ``args`` has ``clear`` (bool) and optionally ``name`` and ``dir``. Lists the entries, or
    removes them with ``--clear`` (all, or those of one model with ``--name``); prints the
    cache location either way. Returns the exit status (0).
    """
    clear = bool(getattr(args, "clear", False))
    name = getattr(args, "name", None)
    root = cache_dir(getattr(args, "dir", None))
    if clear:
        removed = clear_cache(name, root)
        which = f" of {name}" if name else ""
        print(f"removed {len(removed)} cached network{'' if len(removed) == 1 else 's'}{which} "
              f"from {root}")
        return 0
    entries = cache_info(root)
    if name is not None:
        entries = [e for e in entries if e["name"] == name or e["name"].rsplit("-", 1)[0] == name]
    print(format_cache_info(entries, root))
    return 0
