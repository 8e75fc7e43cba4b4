"""The inputs each check feeds the student's answer: fixed edge cases plus fresh random ones.

``CASES[check_id](seed)`` returns a list of cases, each a plain-data dict::

    {"args": [...], "kwargs": {...}, "label": "a vertical edge"}      # functions of arrays/ints
    {"input_shape": [H, W, C], "args": [...], "kwargs": {...}}          # Keras blocks

The fixed cases are the ones a typical wrong answer gets wrong (stride different from the pool
size, even kernels, non-square images, several channels, uneven padding, all-negative windows,
imbalanced confusion matrices, ...); their array *values* and the extra random cases are drawn
from ``seed``, which changes at every grading run (and at every in-notebook check), so a table
of memorised answers fails. Nothing here computes an expected value: the cases are only inputs.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["CASES"]


def _rng(seed: int, check_id: str) -> np.random.Generator:
    return np.random.default_rng([seed, sum(map(ord, check_id))])


def _case(*args, label: str | None = None, **kwargs) -> dict:
    out: dict = {"args": list(args), "kwargs": kwargs}
    if label is not None:
        out["label"] = label
    return out


# --------------------------------------------------------------------------- lesson 03
def pad2d_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "pad2d")

    def image(*shape: int) -> np.ndarray:
        return rng.integers(1, 10, shape).astype(float)  # never 0, so a border shows

    cases = [_case(image(4, 5), 1), _case(image(3, 4), [[1, 2], [0, 4]]),
             _case(image(5, 2), [[2, 0], [3, 1]]), _case(image(3, 4, 3), [[2, 1], [1, 2]]),
             _case(image(2, 3, 2), 2), _case(image(3, 3), 0)]
    for _ in range(2):
        shape = tuple(int(v) for v in rng.integers(1, 7, 2 + int(rng.integers(0, 2))))
        pad = ([[int(v) for v in rng.integers(0, 4, 2)], [int(v) for v in rng.integers(0, 4, 2)]]
               if rng.random() < 0.7 else int(rng.integers(1, 4)))
        cases.append(_case(image(*shape), pad))
    return cases


def output_size_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "output_size")
    fixed = [(7, 3, 1, 0, 1), (7, 3, 2, 0, 1), (8, 3, 2, 1, 1), (6, 4, 1, 0, 1), (5, 2, 2, 0, 1),
             (10, 3, 3, 1, 1), (28, 5, 1, 2, 1), (9, 3, 1, 0, 2), (11, 3, 2, 2, 2),
             (8, 4, 3, "valid", 1), (7, 3, 1, "same", 1), (7, 3, 2, "same", 1),
             (6, 4, 2, "same", 1), (32, 5, 3, "same", 1), (4, 5, 1, 1, 1)]
    drawn = []
    while len(drawn) < 6:
        n, k, s, d = (int(rng.integers(4, 40)), int(rng.integers(1, 8)), int(rng.integers(1, 5)),
                      int(rng.integers(1, 3)))
        p = ["valid", "same", int(rng.integers(0, 4)), int(rng.integers(0, 4))][
            int(rng.integers(0, 4))]
        pad = 0 if p in ("valid", "same") else p
        if p != "same" and n + 2 * pad < d * (k - 1) + 1:
            continue
        drawn.append((n, k, s, p, d))
    return [_case(n, k, stride=s, padding=p, dilation=d) for n, k, s, p, d in fixed + drawn]


def conv2d_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "conv2d")
    shapes = [((5, 5, 1), (3, 3, 1), 1, 0),
              ((6, 7, 1), (2, 2, 1), 1, 0),    # even kernel, non-square image
              ((7, 6, 1), (3, 3, 1), 2, 0),    # stride
              ((5, 6, 1), (3, 3, 1), 1, 1),    # padding
              ((6, 5, 3), (3, 2, 2), 2, 1),    # channels in and out, non-square kernel
              ((9, 8, 2), (4, 4, 3), 3, 2)]    # even kernel, stride 3, padding 2
    for _ in range(2):
        k = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
        s, p = int(rng.integers(1, 4)), int(rng.integers(0, 3))
        hw = (int(rng.integers(max(k[0], 3), 10)), int(rng.integers(max(k[1], 3), 10)))
        shapes.append((hw + (int(rng.integers(1, 4)),), k + (int(rng.integers(1, 4)),), s, p))
    cases = []
    for (h, w, c), (kh, kw, f), s, p in shapes:
        x = rng.integers(-3, 4, (h, w, c)).astype(float)
        kernel = rng.integers(-2, 3, (kh, kw, c, f)).astype(float)
        kernel[0, 0] += 5  # not symmetric, so a flipped kernel shows
        cases.append(_case(x, kernel, stride=s, padding=p))
    return cases


# --------------------------------------------------------------------------- lesson 04
def gaussian_kernel_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "gaussian_kernel")
    fixed = [(3, 1.0), (5, 1.0), (7, 2.0), (5, 0.5), (9, 1.5), (1, 1.0)]
    drawn = [(int(rng.integers(1, 6)) * 2 + 1, round(float(rng.uniform(0.5, 3.0)), 2))
             for _ in range(2)]
    return [_case(size, sigma) for size, sigma in fixed + drawn]


def log_kernel_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "log_kernel")
    fixed = [(5, 1.0), (7, 1.0), (9, 1.4), (3, 0.8), (11, 2.0)]
    drawn = [(int(rng.integers(2, 6)) * 2 + 1, round(float(rng.uniform(0.6, 2.5)), 2))
             for _ in range(2)]
    return [_case(size, sigma) for size, sigma in fixed + drawn]


def gradient_magnitude_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "gradient_magnitude")
    step = np.zeros((8, 10))
    step[:, 5:] = 1.0
    ramp = np.tile(np.arange(9.0), (7, 1)).T  # brightness grows downwards
    yy, xx = np.mgrid[:9, :12]
    diagonal = (xx > yy).astype(float)
    shape = (int(rng.integers(5, 13)), int(rng.integers(5, 13)))
    return [_case(step, label="a vertical edge"), _case(ramp, label="a vertical ramp"),
            _case(diagonal, label="a diagonal edge"),
            _case(rng.random((11, 7)), label="a random 11x7 image"),
            _case(rng.random(shape), label=f"a random {shape[0]}x{shape[1]} image")]


# --------------------------------------------------------------------------- lesson 05
def _pool_cases(seed: int, check_id: str, all_negative: bool) -> list[dict]:
    rng = _rng(seed, check_id)
    shapes = [((4, 4, 1), 2, None),
              ((5, 7, 2), 2, 1),      # overlapping windows, non-square, 2 channels
              ((7, 6, 3), 3, 2),      # overlapping 3x3 / stride 2 (AlexNet)
              ((8, 9, 1), 2, 3),      # stride larger than the window: gaps
              ((5, 5, 2), 2, None),   # odd size: the last row/column is dropped
              ((6, 4, 3), 3, 1)]
    for _ in range(2):
        k = int(rng.integers(2, 4))
        s = [None, 1, 2, 3][int(rng.integers(0, 4))]
        shapes.append(((int(rng.integers(k, 10)), int(rng.integers(k, 10)),
                        int(rng.integers(1, 4))), k, s))
    cases = []
    for (h, w, c), k, s in shapes:
        x = rng.normal(size=(h, w, c)).round(2)
        if all_negative and (h, w, c) == (8, 9, 1):
            x = -np.abs(x) - 1  # a running maximum must not start at 0
        cases.append(_case(x, k) if s is None else _case(x, k, stride=s))
    return cases


def max_pool2d_cases(seed: int) -> list[dict]:
    return _pool_cases(seed, "max_pool2d", all_negative=True)


def avg_pool2d_cases(seed: int) -> list[dict]:
    return _pool_cases(seed, "avg_pool2d", all_negative=False)


# --------------------------------------------------------------------------- lesson 07
def conv_params_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "conv_params")
    fixed = [(3, 3, 1, 32, True), (5, 5, 3, 6, True), (3, 2, 16, 8, True), (1, 1, 64, 16, False),
             (3, 3, 64, 64, True), (7, 7, 3, 64, False)]
    drawn = [(int(rng.integers(1, 8)), int(rng.integers(1, 8)), int(rng.integers(2, 200)),
              int(rng.integers(2, 200)), bool(rng.random() < 0.7)) for _ in range(2)]
    return [_case(kh, kw, c, f, bias=b) for kh, kw, c, f, b in fixed + drawn]


def dense_params_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "dense_params")
    fixed = [(784, 128, True), (128, 10, True), (3136, 64, False), (1, 1, True), (400, 120, True)]
    drawn = [(int(rng.integers(2, 5000)), int(rng.integers(2, 500)), bool(rng.random() < 0.7))
             for _ in range(2)]
    return [_case(n, u, bias=b) for n, u, b in fixed + drawn]


def bn_params_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "bn_params")
    return [_case(c) for c in [6, 32, 1, 64] + [int(v) for v in rng.integers(2, 500, 2)]]


# --------------------------------------------------------------------------- lesson 08
def receptive_field_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "receptive_field")
    fixed = [[(3, 1)], [(3, 1), (3, 1), (3, 1)], [(3, 1), (2, 2), (3, 1)],
             [(5, 1), (2, 2), (5, 1), (2, 2)],                    # LeNet-5
             [(3, 1), (2, 2), (3, 1), (2, 2)],                    # the Fashion-MNIST CNN
             [(11, 4), (3, 2), (5, 1), (3, 2), (3, 1)],           # AlexNet-like
             [(7, 2), (3, 2), (3, 1), (3, 1), (3, 2), (3, 1)]]    # ResNet stem and stages
    drawn = [[(int(rng.integers(1, 8)), int(rng.integers(1, 4)))
              for _ in range(int(rng.integers(2, 7)))] for _ in range(2)]
    return [_case([list(layer) for layer in layers]) for layers in fixed + drawn]


# --------------------------------------------------------------------------- lesson 11
def _random_confusion(rng: np.random.Generator) -> np.ndarray:
    """A K x K count matrix with one clear lowest recall and one clear largest mistake."""
    while True:
        k = int(rng.integers(3, 7))
        sizes = rng.integers(20, 200, k)
        cm = np.zeros((k, k), dtype=np.int64)
        for t in range(k):
            p = rng.dirichlet(np.full(k, 0.5))
            p[t] += rng.uniform(0.5, 3.0)
            cm[t] = rng.multinomial(sizes[t], p / p.sum())
        recall = np.diag(cm) / np.maximum(cm.sum(axis=1), 1)
        off = cm.astype(float)
        np.fill_diagonal(off, -1)
        if (np.sort(recall)[1] - np.sort(recall)[0] > 0.01 and (cm.sum(axis=1) > 0).all()
                and np.sort(off.ravel())[-1] > np.sort(off.ravel())[-2]):
            return cm


def confusion_cases(seed: int, check_id: str) -> list[dict]:
    rng = _rng(seed, check_id)
    return [
        # Class 0 has the fewest correct predictions but also few samples: its recall is fine.
        _case(np.array([[9, 0, 1], [1, 60, 39], [0, 40, 95]]), label="an imbalanced matrix"),
        # Column sums differ from row sums: the worst recall (row) is not the worst precision.
        _case(np.array([[50, 0, 0, 0], [0, 30, 20, 0], [0, 0, 40, 10], [30, 0, 0, 20]]),
              label="a matrix whose worst column is not its worst row"),
        _case(_random_confusion(rng), label="a random matrix"),
        _case(_random_confusion(rng), label="another random matrix"),
    ]


def worst_class_cases(seed: int) -> list[dict]:
    return confusion_cases(seed, "worst_class")


def most_confused_cases(seed: int) -> list[dict]:
    return confusion_cases(seed, "most_confused")


# --------------------------------------------------------------------------- Keras blocks
def _block(shape: tuple[int, ...], *args, **kwargs) -> dict:
    return {"input_shape": list(shape), "args": list(args), "kwargs": kwargs}


def cbapd_block_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "cbapd_block")
    return [_block((32, 32, 3)),
            _block((28, 28, 1), filters=16, kernel_size=3, pool_size=2, dropout=0.3),
            _block((15, 9, 2), filters=4, kernel_size=[3, 5], pool_size=3, dropout=0.5),
            _block((int(rng.integers(6, 20)), int(rng.integers(6, 20)), int(rng.integers(1, 5))),
                   filters=int(rng.integers(2, 9)), kernel_size=int(rng.integers(1, 6)),
                   pool_size=int(rng.integers(2, 4)),
                   dropout=round(float(rng.uniform(0.05, 0.6)), 2))]


def inception_block_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "inception_block")
    return [_block((16, 16, 8), 4, strides=1), _block((16, 12, 8), 6, strides=2),
            _block((9, 9, 3), 2, strides=2),
            _block((int(rng.integers(6, 14)), int(rng.integers(6, 14)), int(rng.integers(2, 9))),
                   int(rng.integers(2, 7)), strides=int(rng.integers(1, 4)))]


def residual_block_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "residual_block")
    c = int(rng.integers(2, 9))
    return [_block((8, 8, 16), 16, strides=1, label="identity shortcut"),
            _block((8, 8, 16), 32, strides=2, label="projection, stride 2"),
            _block((7, 9, 8), 16, strides=1, label="projection, more channels"),
            _block((9, 9, 4), 4, strides=2, label="projection, stride 2"),
            _block((int(rng.integers(5, 12)), int(rng.integers(5, 12)), c),
                   [c, int(rng.integers(2, 9))][int(rng.integers(0, 2))],
                   strides=int(rng.integers(1, 3)))]


def _labelled(cases: list[dict]) -> list[dict]:
    for case in cases:
        if "label" in case["kwargs"]:
            case["label"] = case["kwargs"].pop("label")
    return cases


CASES: dict[str, Callable[[int], list[dict]]] = {
    "pad2d": pad2d_cases, "output_size": output_size_cases, "conv2d": conv2d_cases,
    "gaussian_kernel": gaussian_kernel_cases, "log_kernel": log_kernel_cases,
    "gradient_magnitude": gradient_magnitude_cases,
    "max_pool2d": max_pool2d_cases, "avg_pool2d": avg_pool2d_cases,
    "conv_params": conv_params_cases, "dense_params": dense_params_cases,
    "bn_params": bn_params_cases, "receptive_field": receptive_field_cases,
    "cbapd_block": cbapd_block_cases, "worst_class": worst_class_cases,
    "most_confused": most_confused_cases, "inception_block": inception_block_cases,
    "residual_block": lambda seed: _labelled(residual_block_cases(seed)),
}
