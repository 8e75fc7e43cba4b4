"""Real sample images for the lessons and the explorers, by name (lessons 01-05).

Two functions: :func:`available_images` says which images can be loaded here, and
:func:`load_image` returns one as a NumPy array, exactly as it is stored (``uint8``,
0..255, ``(H, W)`` grey or ``(H, W, 3)`` RGB), or as grey with ``grey=True``::

    camera = load_image("camera")            # (512, 512) uint8, the cameraman photo
    x = load_image("astronaut") / 255        # (512, 512, 3) float64 in [0, 1]

The photographs are the ones scikit-image ships (``skimage.data``, no download); the
Fashion-MNIST test image 0 (an ankle boot, 28x28) comes from
:func:`cnn_course.load_dataset` and is always available offline.

scikit-image is part of the test extra, not a hard requirement. Without it,
:func:`available_images` lists only ``"fashion_mnist"`` and :func:`load_image` returns,
for a photo name, a *real dataset image* enlarged to about the photo's size instead
(Fashion-MNIST for grey photos, CIFAR-10 for colour ones), and says so with a
``UserWarning``: a lesson still runs, and nothing is silently different.

References
----------
.. [1] S. van der Walt et al., "scikit-image: image processing in Python", PeerJ 2:e453,
   2014 (``skimage.data``: cameraman, astronaut, coffee, ... with their licences).
.. [2] H. Xiao, K. Rasul and R. Vollgraf, "Fashion-MNIST: a novel image dataset for
   benchmarking machine learning algorithms", arXiv:1708.07747, 2017.
"""
from __future__ import annotations

import functools
import importlib.util
import warnings

import numpy as np

__all__ = ["available_images", "load_image", "to_grey"]

# name -> (description, stored shape). All are photographs bundled with scikit-image.
PHOTOS: dict[str, tuple[str, tuple[int, ...]]] = {
    "camera": ("cameraman", (512, 512)),
    "astronaut": ("astronaut Eileen Collins", (512, 512, 3)),
    "coffee": ("cup of coffee", (400, 600, 3)),
    "chelsea": ("Chelsea the cat", (300, 451, 3)),
    "rocket": ("rocket on the launch pad", (427, 640, 3)),
    "brick": ("brick wall", (512, 512)),
    "grass": ("grass", (512, 512)),
    "gravel": ("gravel", (512, 512)),
    "coins": ("Greek coins", (303, 384)),
}
FASHION = "fashion_mnist"
FASHION_DESCRIPTION = ("ankle boot (Fashion-MNIST test image 0)", (28, 28))

# ITU-R BT.601 luma weights, as in PIL's convert("L") and the lessons.
LUMA = np.array([0.299, 0.587, 0.114])


@functools.lru_cache(maxsize=1)
def _has_skimage() -> bool:
    return importlib.util.find_spec("skimage") is not None


def _describe(description: str, shape: tuple[int, ...]) -> str:
    kind = "RGB" if len(shape) == 3 else "grey"
    return f"{description} ({kind}, {'x'.join(map(str, shape[:2]))})"


def available_images() -> dict[str, str]:
    """The real images :func:`load_image` can load here: name -> description.

    Returns
    -------
    dict of str to str
        scikit-image's photos (``"camera"``, ``"astronaut"``, ``"coffee"``, ``"chelsea"``,
        ``"rocket"``, ``"brick"``, ``"grass"``, ``"gravel"``, ``"coins"``) when
        scikit-image is installed, and always ``"fashion_mnist"``. Each description
        names what is in the picture, grey or RGB, and its size.

    See Also
    --------
    load_image : load one of them.

    Examples
    --------
    >>> available_images()["fashion_mnist"]
    'ankle boot (Fashion-MNIST test image 0) (grey, 28x28)'
    """
    images = {}
    if _has_skimage():
        images = {name: _describe(*spec) for name, spec in PHOTOS.items()}
    images[FASHION] = _describe(*FASHION_DESCRIPTION)
    return images


def to_grey(image: np.ndarray) -> np.ndarray:
    """RGB ``(H, W, 3)`` -> grey ``(H, W)`` float64, ``0.299 R + 0.587 G + 0.114 B``.

    A grey ``(H, W)`` image is returned as float64 unchanged; an RGBA image drops alpha.

    Examples
    --------
    >>> to_grey(np.full((1, 1, 3), 100, np.uint8))
    array([[100.]])
    """
    x = np.asarray(image, dtype=np.float64)
    if x.ndim == 2:
        return x
    if x.ndim != 3 or x.shape[2] not in (3, 4):
        raise ValueError(f"image must have shape (H, W), (H, W, 3) or (H, W, 4), "
                         f"got {x.shape}")
    return x[..., :3] @ LUMA


def load_image(name: str, grey: bool = False) -> np.ndarray:
    """A real sample image by name, as stored: ``uint8`` values 0..255.

    Parameters
    ----------
    name : str
        One of :func:`available_images` (``"camera"``, ``"astronaut"``, ...,
        ``"fashion_mnist"``).
    grey : bool
        Convert a colour photo to grey (``0.299 R + 0.587 G + 0.114 B``, rounded back to
        ``uint8``). Grey images are returned as they are.

    Returns
    -------
    numpy.ndarray of uint8
        ``(H, W)`` for a grey image, ``(H, W, 3)`` for a colour one (RGB), e.g.
        ``(512, 512)`` for ``"camera"`` and ``(28, 28)`` for ``"fashion_mnist"``. A new
        array each call: change it freely.

    Raises
    ------
    ValueError
        If ``name`` is not a known image.

    Notes
    -----
    Without scikit-image a photo name gives a real dataset image enlarged to about the
    photo's size (Fashion-MNIST test image 0 for grey photos, a CIFAR-10 test image for
    colour ones), with a ``UserWarning`` saying so.

    See Also
    --------
    available_images : the names that load here.
    to_grey : the grey conversion.

    Examples
    --------
    >>> boot = load_image("fashion_mnist")
    >>> boot.shape, boot.dtype, int(boot.max())
    ((28, 28), dtype('uint8'), 255)
    >>> x = load_image("fashion_mnist") / 255       # float in [0, 1] for computing
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__} {name!r}")
    if not isinstance(grey, bool):
        raise TypeError(f"grey must be True or False, got {grey!r}")
    if name != FASHION and name not in PHOTOS:
        known = ", ".join(map(repr, [*PHOTOS, FASHION]))
        raise ValueError(f"name must be one of {known}; got {name!r}")
    image = _stored(name) if name == FASHION or _has_skimage() else _stand_in(name)
    if grey and image.ndim == 3:
        return np.clip(np.rint(to_grey(image)), 0, 255).astype(np.uint8)
    return image.copy()


@functools.lru_cache(maxsize=16)
def _stored(name: str) -> np.ndarray:
    """The image as stored, cached read-only (callers copy)."""
    if name == FASHION:
        image = _dataset_image("fashion_mnist", 0)
    else:
        import skimage.data
        image = np.asarray(getattr(skimage.data, name)(), dtype=np.uint8)
    image.setflags(write=False)
    return image


def _dataset_image(dataset: str, index: int) -> np.ndarray:
    from .data import load_dataset
    _, (x_test, _) = load_dataset(dataset, download=False)    # offline only
    return np.array(x_test[index], dtype=np.uint8)


@functools.lru_cache(maxsize=16)
def _stand_in(name: str) -> np.ndarray:
    """A real dataset image enlarged (nearest neighbour) to about the photo's size."""
    shape = PHOTOS[name][1]
    if len(shape) == 3:
        small, source = _dataset_image("cifar10", sum(map(ord, name)) % 1000), "CIFAR-10"
    else:
        small, source = _dataset_image("fashion_mnist", 0), "Fashion-MNIST"
    factor = max(1, min(shape[:2]) // small.shape[0])
    image = np.repeat(np.repeat(small, factor, axis=0), factor, axis=1)
    warnings.warn(f"scikit-image is not installed: load_image({name!r}) returns a {source} "
                  f"image enlarged {factor}x ({'x'.join(map(str, image.shape[:2]))}) instead "
                  f"of the photo; pip install scikit-image for the photos", stacklevel=3)
    image.setflags(write=False)
    return image
