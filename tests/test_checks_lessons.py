"""The checks of lessons 01, 02, 06, 07, 08 (numerical gradient), 09, 12 and 21: right answers
pass, each typical wrong answer gets its message, the stub gets "answer missing"."""
from __future__ import annotations

import numpy as np
import pytest

from cnn_course.checks import CheckFailed, serialize
from cnn_course.checks.registry import SPECS


def verdict(check_id, func, seed=3):
    spec = SPECS[check_id]
    cases = serialize.loads(serialize.dumps(spec.cases(seed)))
    results = serialize.loads(serialize.dumps(spec.probe({spec.answers[0]: func}, cases)))
    return spec.judge(cases, results)


def stub(*args, **kwargs):
    raise NotImplementedError("Write your answer here (see the exercise text above).")


# ----------------------------------------------------------------------- right answers
def histogram(image, bins, value_range=(0, 256), pooled=False):
    if pooled:
        return np.histogram(image, bins=bins, range=value_range)[0]
    return np.stack([np.histogram(image[..., c], bins=bins, range=value_range)[0]
                     for c in range(3)])


def window(image, kernel, i, j, flip=False, centred=False, swap=False):
    kh, kw = kernel.shape
    k = kernel[::-1, ::-1] if flip else kernel
    if swap:
        i, j = j, i
    if centred:
        i, j = i - kh // 2, j - kw // 2
    return float(np.sum(image[i:i + kh, j:j + kw] * k))


def correlate(image, kernel):
    kh, kw = kernel.shape
    out = np.empty((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def jvp(z, v):
    s = softmax(z)
    return s * (v - (s * v).sum(axis=1, keepdims=True))


def ce(probs, labels):
    return float(-np.mean(np.log(probs[np.arange(len(labels)), labels])))


def num_grad(f, x, eps=1e-5, kind="central", divide=2.0):
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        saved = x[idx]
        x[idx] = saved + eps
        up = f(x)
        x[idx] = saved - eps if kind == "central" else saved
        down = f(x)
        x[idx] = saved
        g[idx] = (up - down) / (divide * eps if kind == "central" else eps)
    return g


def confusion(y, p, k, transpose=False):
    cm = np.zeros((k, k), dtype=int)
    for t, q in zip(y, p):
        cm[t, q] += 1
    return cm.T if transpose else cm


def pair(cm):
    both = (cm + cm.T).astype(float)
    np.fill_diagonal(both, -1)
    a, b = np.unravel_index(np.argmax(both), both.shape)
    return (int(min(a, b)), int(max(a, b)))


def im2col(x, kh, kw, channels_first=False, column_major=False):
    h, w, c = x.shape
    ho, wo = h - kh + 1, w - kw + 1
    cols = np.empty((ho, wo, kh, kw, c))
    for u in range(kh):
        for v in range(kw):
            cols[:, :, u, v, :] = x[u:u + ho, v:v + wo, :]
    if channels_first:
        cols = cols.transpose(0, 1, 4, 2, 3)
    if column_major:
        cols = cols.transpose(1, 0, 2, 3, 4)
    return cols.reshape(ho * wo, kh * kw * c)


RIGHT = {
    "colour_histogram": histogram,
    "grayscale": lambda im: im.astype(float) @ np.array([0.299, 0.587, 0.114]),
    "window_value": window,
    "convolve2d": lambda im, k: correlate(im, k[::-1, ::-1]),
    "sigmoid_derivative": lambda z: sigmoid(z) * (1 - sigmoid(z)),
    "softmax_jvp": jvp,
    "cross_entropy": ce,
    "numerical_gradient": num_grad,
    "sgd_update": lambda p, g, lr: {k: p[k] - lr * g[k] for k in p},
    "confusion_matrix": confusion,
    "confused_pair": pair,
    "im2col": im2col,
}


@pytest.mark.parametrize("check_id", sorted(RIGHT))
@pytest.mark.parametrize("seed", [0, 7])
def test_right_answer_passes(check_id, seed):
    v = verdict(check_id, RIGHT[check_id], seed)
    assert v.passed, v.message


@pytest.mark.parametrize("check_id", sorted(RIGHT))
def test_stub_says_answer_missing_only(check_id):
    v = verdict(check_id, stub)
    assert not v.passed and v.message.startswith("answer missing"), v.message


WRONG = [
    # lesson 01
    ("colour_histogram", lambda im, b: histogram(im, b, None), "span the 256 possible values"),
    ("colour_histogram", lambda im, b: histogram(im, b, (0, 255)), "end at 255, not 256"),
    ("colour_histogram", lambda im, b: histogram(im, b, pooled=True), "counted together"),
    ("colour_histogram", lambda im, b: histogram(im, b).T, "one *row* per channel"),
    ("colour_histogram", lambda im, b: histogram(im, b) / (im.shape[0] * im.shape[1]),
     "normalised"),
    ("grayscale", lambda im: im.mean(axis=2), "averaged with equal weights"),
    ("grayscale", lambda im: im.astype(float) @ np.array([0.114, 0.587, 0.299]), "B, G, R"),
    ("grayscale", lambda im: im.sum(axis=2, dtype=np.uint8) / 3.0, "wraps around"),
    ("grayscale", lambda im: (im.astype(float) @ np.array([0.299, 0.587, 0.114]))[..., None],
     "channel axis of size 1"),
    ("grayscale", lambda im: np.floor(im.astype(float) @ np.array([0.299, 0.587, 0.114])),
     "rounded"),
    # lesson 02
    ("window_value", lambda im, k, i, j: window(im, k, i, j, flip=True), "kernel is flipped"),
    ("window_value", lambda im, k, i, j: window(im, k, i, j, swap=True), "swapped"),
    ("window_value", lambda im, k, i, j: window(im, k, i, j) / k.size, "averaged"),
    ("convolve2d", correlate, "not flipped"),
    ("convolve2d", lambda im, k: correlate(im, k[::-1, :]), "upside down only"),
    ("convolve2d", lambda im, k: correlate(im, k[:, ::-1]), "left-right only"),
    ("convolve2d", lambda im, k: np.zeros(im.shape), "'valid' keeps only the windows"),
    # lesson 06
    ("sigmoid_derivative", lambda z: z * (1 - z), "applied to z itself"),
    ("sigmoid_derivative", sigmoid, "not its derivative"),
    ("sigmoid_derivative", lambda z: 1 - sigmoid(z), "square of the denominator"),
    ("sigmoid_derivative", lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2, "exp overflows"),
    ("softmax_jvp", lambda z, v: softmax(z) * (1 - softmax(z)) * v, "only the diagonal"),
    ("softmax_jvp", lambda z, v: softmax(z) * v, "normalisation is missing"),
    ("softmax_jvp", lambda z, v: -jvp(z, v), "sign is flipped"),
    ("softmax_jvp", lambda z, v: softmax(z) * (v - (softmax(z) * v).sum(axis=0, keepdims=True)),
     "summed over the batch"),
    # lesson 07
    ("cross_entropy", lambda p, y: ce(p, y) * len(y), "summed"),
    ("cross_entropy", lambda p, y: -ce(p, y), "minus sign is missing"),
    ("cross_entropy", lambda p, y: float(-np.mean(np.log10(p[np.arange(len(y)), y]))), "log10"),
    ("cross_entropy", lambda p, y: float(-np.mean(np.log(p.max(axis=1)))), "*true* class"),
    ("cross_entropy", lambda p, y: float(-np.mean(np.log(p))), "all N*K entries"),
    # lesson 08
    ("numerical_gradient", lambda f, x: num_grad(f, x, kind="forward"), "forward"),
    ("numerical_gradient", lambda f, x: num_grad(f, x, eps=-1e-5, kind="forward"), "backward"),
    ("numerical_gradient", lambda f, x: num_grad(f, x, divide=1.0), "divided by eps, not 2"),
    ("numerical_gradient", lambda f, x: num_grad(f, x, kind="forward") / 2,
     "divided by 2 * eps"),
    ("numerical_gradient", lambda f, x: num_grad(f, x).ravel(), "shape of x"),
    # lesson 09
    ("sgd_update", lambda p, g, lr: {k: p[k] + lr * g[k] for k in p}, "along the gradient"),
    ("sgd_update", lambda p, g, lr: {k: p[k] - g[k] for k in p}, "learning rate is missing"),
    ("sgd_update", lambda p, g, lr: {k: p[k] - lr * g[k] for k in p if "bias" not in k},
     "biases too"),
    ("sgd_update", lambda p, g, lr: {k: (p[k] - lr * g[k] if "kernel" in k else p[k]) for k in p},
     "not updated"),
    ("sgd_update", lambda p, g, lr: [p[k] - lr * g[k] for k in p], "expected a dict"),
    # lesson 12
    ("confusion_matrix", lambda y, p, k: confusion(y, p, k, transpose=True), "swapped"),
    ("confusion_matrix", lambda y, p, k: confusion(y, p, int(max(y.max(), p.max())) + 1),
     "use num_classes"),
    ("confusion_matrix", lambda y, p, k: confusion(y, p, k) /
     np.maximum(confusion(y, p, k).sum(axis=1, keepdims=True), 1), "normalised"),
    ("confused_pair", lambda cm: tuple(sorted(int(i) for i in np.unravel_index(
        np.argmax(cm - np.diag(np.diag(cm) + 1)), cm.shape))), "one way"),
    ("confused_pair", lambda cm: pair(cm)[::-1], "smaller class index first"),
    ("confused_pair", lambda cm: (int(np.argmax(np.diag(cm))),) * 2, "diagonal"),
    # lesson 21
    ("im2col", lambda x, kh, kw: im2col(x, kh, kw, channels_first=True), "channel first"),
    ("im2col", lambda x, kh, kw: im2col(x, kh, kw, column_major=True), "column by column"),
    ("im2col", lambda x, kh, kw: im2col(x, kh, kw).T, "one *row* per window"),
    ("im2col", lambda x, kh, kw: im2col(x, kh, kw).reshape(
        x.shape[0] - kh + 1, x.shape[1] - kw + 1, -1), "two axes"),
]


@pytest.mark.parametrize("check_id, answer, expected", WRONG,
                         ids=[f"{c}-{e[:20]}" for c, _, e in WRONG])
def test_typical_mistake_is_named(check_id, answer, expected):
    with np.errstate(all="ignore"):
        v = verdict(check_id, answer)
    assert not v.passed
    assert expected in v.message, v.message


def test_gradient_function_is_built_in_the_probe_from_plain_data():
    spec = SPECS["numerical_gradient"]
    cases = serialize.loads(serialize.dumps(spec.cases(1)))
    assert all(isinstance(c["function"], dict) for c in cases)   # plain data, no callable
    seen = []
    spec.probe({"numerical_gradient": lambda f, x: seen.append(f(x)) or np.zeros(x.shape)},
               cases)
    assert len(seen) == len(cases) and all(type(v) is float for v in seen)


def test_in_notebook_check_adds_hint_pointer_but_not_for_missing():
    from cnn_course.checks import check_cross_entropy

    with pytest.raises(CheckFailed, match=r"cc.hint\('cross_entropy'\)"):
        check_cross_entropy(lambda p, y: -ce(p, y))
    with pytest.raises(CheckFailed) as info:
        check_cross_entropy(stub)
    assert "hint" not in str(info.value)
