"""Checks of the exercises on backpropagation: conv2d and max-pool backward, the softmax
cross-entropy gradient and an Adam step.

Every answer is a NumPy function of plain arrays and ints returning one array, so the probe
passes arrays and reads an array back (kind ``"array"`` of :mod:`.probe`):

- ``conv2d_backward_dx(dout, x, kernel, stride)``: ``dL/dx``, shape of ``x`` (N, H, W, C), for
  ``out = conv2d(x, kernel, stride=stride)`` ("valid", kernel (kh, kw, C, F));
- ``conv2d_backward_dkernel(dout, x, kernel, stride)``: ``dL/dkernel``, shape (kh, kw, C, F);
- ``conv2d_backward_dbias(dout)``: ``dL/dbias = sum of dout over batch and positions``, (F,);
- ``max_pool_backward(dout, x, pool_size, stride)``: ``dL/dx`` of valid max pooling of
  (N, H, W, C) images, the gradient going to the first maximum of each window (TensorFlow);
- ``softmax_cross_entropy_gradient(logits, labels)``: ``(softmax(logits) - onehot) / N``;
- ``adam_update(param, grad, m, v, t, lr, beta1, beta2, eps)``: the new parameter after Adam's
  step number ``t`` (``m``, ``v`` are the running means *before* the step), the Keras form
  ``param - lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m_new / (sqrt(v_new) + eps)``.

The judges name the mistakes the issue asks for: dbias not summed over batch and positions;
the kernel not flipped for dx; the stride ignored when scattering dx; the max-pool gradient
sent to every position of the window or to all tied maxima; the gradient of a batch-mean
loss not divided by the batch; Adam without bias correction. Registered like
:mod:`.interpret`: :data:`CASES`, :data:`JUDGES`, :data:`FORBIDDEN` here, the probes in
:data:`cnn_course.checks.probe.PROBES`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

if TYPE_CHECKING:  # the judges import .judging when they run: the probe process never does
    from .judging import Verdict

__all__ = ["CASES", "JUDGES", "FORBIDDEN", "check_conv2d_backward_dx",
           "check_conv2d_backward_dkernel", "check_conv2d_backward_dbias",
           "check_max_pool_backward", "check_softmax_cross_entropy_gradient", "check_adam_update"]

IDS = ("conv2d_backward_dx", "conv2d_backward_dkernel", "conv2d_backward_dbias",
       "max_pool_backward", "softmax_cross_entropy_gradient", "adam_update")


def _rng(seed: int, check_id: str) -> np.random.Generator:
    return np.random.default_rng([seed, sum(map(ord, check_id)), 14])


def _case(*args: Any, label: str | None = None, **kwargs: Any) -> dict:
    out: dict = {"args": list(args), "kwargs": kwargs}
    if label is not None:
        out["label"] = label
    return out


# --------------------------------------------------------------------------- cases
def _conv_cases(seed: int, check_id: str) -> list[dict]:
    """(dout, x, kernel, stride): asymmetric kernels (a flip shows), strides 1-3, channels."""
    rng = _rng(seed, check_id)
    specs = [((1, 5, 5, 1), (3, 3, 1, 1), 1, "one channel, stride 1"),
             ((2, 6, 7, 2), (3, 2, 2, 3), 1, "batch of 2, 2 -> 3 channels, 3x2 kernel"),
             ((1, 7, 7, 1), (3, 3, 1, 1), 2, "stride 2"),
             ((2, 9, 8, 3), (2, 3, 3, 2), 3, "stride 3, several channels")]
    for _ in range(2):
        n, c, f = (int(v) for v in rng.integers(1, 4, 3))
        kh, kw, s = (int(v) for v in rng.integers(2, 4, 3))
        h, w = (int(v) for v in rng.integers(kh + 2, 10, 2))
        specs.append(((n, h, w, c), (kh, kw, c, f), s, None))
    cases = []
    for xs, ks, s, label in specs:
        x = rng.normal(0, 1, xs).round(3)
        k = rng.normal(0, 1, ks).round(3)
        oh, ow = (xs[1] - ks[0]) // s + 1, (xs[2] - ks[1]) // s + 1
        dout = rng.normal(0, 1, (xs[0], oh, ow, ks[3])).round(3)
        if check_id == "conv2d_backward_dbias":
            cases.append(_case(dout, label=label))
        else:
            cases.append(_case(dout, x, k, s, label=label))
    return cases


def conv2d_backward_dx_cases(seed: int) -> list[dict]:
    return _conv_cases(seed, "conv2d_backward_dx")


def conv2d_backward_dkernel_cases(seed: int) -> list[dict]:
    return _conv_cases(seed, "conv2d_backward_dkernel")


def conv2d_backward_dbias_cases(seed: int) -> list[dict]:
    return _conv_cases(seed, "conv2d_backward_dbias")


def max_pool_backward_cases(seed: int) -> list[dict]:
    """(dout, x, pool_size, stride): ties, overlapping windows, strides larger than the window."""
    rng = _rng(seed, "max_pool_backward")
    cases = []
    tie = np.array([[1., 3., 2., 0.], [4., 2., 5., 5.], [0., 1., 7., 1.], [2., 2., 3., 6.]])
    cases.append(_case(rng.integers(1, 9, (1, 2, 2, 1)).astype(float), tie[None, :, :, None], 2, 2,
                       label="a window with a tied maximum"))
    for xs, p, s, label in [((1, 4, 4, 1), 2, 2, "2x2 windows"),
                            ((2, 6, 5, 3), 3, 2, "overlapping 3x3 windows, stride 2"),
                            ((1, 7, 7, 2), 2, 3, "stride 3 > window 2"),
                            ((2, 6, 6, 2), 2, 2, None)]:
        x = rng.permutation(int(np.prod(xs))).reshape(xs).astype(float) / 10   # no ties
        oh, ow = (xs[1] - p) // s + 1, (xs[2] - p) // s + 1
        dout = rng.normal(0, 1, (xs[0], oh, ow, xs[3])).round(3)
        cases.append(_case(dout, x, p, s, label=label))
    return cases


def softmax_cross_entropy_gradient_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "softmax_cross_entropy_gradient")
    cases = []
    for n, k, scale, label in [(4, 3, 1.0, "batch of 4, 3 classes"), (1, 5, 1.0, "one example"),
                               (8, 10, 1.0, "batch of 8, 10 classes"),
                               (3, 4, 300.0, "large logits (stability)")]:
        cases.append(_case(rng.normal(0, scale, (n, k)).round(3), rng.integers(0, k, n), label=label))
    return cases


def adam_update_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "adam_update")
    cases = []
    for t, label in [(1, "the first step"), (2, "step 2"), (10, "step 10"), (1000, "step 1000")]:
        shape = (3, 4)
        p, g = rng.normal(0, 1, shape).round(3), rng.normal(0, 1, shape).round(3)
        if t == 1:
            m, v = np.zeros(shape), np.zeros(shape)
        else:
            m, v = rng.normal(0, 0.1, shape).round(4), rng.uniform(0, 0.1, shape).round(4)
        cases.append(_case(p, g, m, v, t, 0.01, 0.9, 0.999, 1e-7, label=label))
    return cases


# --------------------------------------------------------------------------- references
def _conv(x: np.ndarray, k: np.ndarray, s: int) -> np.ndarray:
    from ..conv import conv2d
    return conv2d(x, k, stride=s)


def reference_conv_backward(dout, x, k, s):
    from ..backprop import conv2d_backward
    return conv2d_backward(np.asarray(dout, float), np.asarray(x, float), np.asarray(k, float),
                           stride=int(s))


def _scatter_dx(dout: np.ndarray, x_shape: tuple, k: np.ndarray, s: int, flip: bool) -> np.ndarray:
    """dx built tap by tap; ``flip`` False uses the kernel rotated by 180 degrees (the bug of
    not flipping it in the full-convolution formula), ``s`` the stride used to scatter."""
    kk = k[::-1, ::-1] if not flip else k
    kh, kw = k.shape[:2]
    n, oh, ow, f = dout.shape
    dx = np.zeros(x_shape)
    for u in range(kh):
        for v in range(kw):
            contrib = dout @ kk[u, v].T                  # (n, oh, ow, C)
            rows = slice(u, u + s * (oh - 1) + 1, s)
            cols = slice(v, v + s * (ow - 1) + 1, s)
            block = dx[:, rows, cols, :]
            if block.shape[1:3] != contrib.shape[1:3]:
                return None
            dx[:, rows, cols, :] += contrib
    return dx


def _dx_no_stride(dout, x_shape, k):
    """dx as if the outputs were next to each other (stride ignored when scattering)."""
    kh, kw = k.shape[:2]
    n, oh, ow, f = dout.shape
    if oh + kh - 1 > x_shape[1] or ow + kw - 1 > x_shape[2]:
        return None
    dx = np.zeros(x_shape)
    for u in range(kh):
        for v in range(kw):
            dx[:, u:u + oh, v:v + ow, :] += dout @ k[u, v].T
    return dx


def _pool_reference(dout, x, p, s, rule: str) -> np.ndarray:
    """rule: "first" (TensorFlow), "all" (every position of the window), "ties" (every maximum),
    "nostride" (windows placed at stride p... i.e. stride ignored)."""
    n, h, w, c = x.shape
    oh, ow = dout.shape[1:3]
    dx = np.zeros_like(x, dtype=float)
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    r0, c0 = i * s, j * s
                    win = x[b, r0:r0 + p, c0:c0 + p, ch]
                    g = dout[b, i, j, ch]
                    if rule == "all":
                        dx[b, r0:r0 + p, c0:c0 + p, ch] += g
                    elif rule == "ties":
                        dx[b, r0:r0 + p, c0:c0 + p, ch] += g * (win == win.max())
                    elif rule == "avg":
                        dx[b, r0:r0 + p, c0:c0 + p, ch] += g / win.size
                    else:
                        u, v = np.unravel_index(np.argmax(win), win.shape)
                        dx[b, r0 + u, c0 + v, ch] += g
    return dx


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def reference_adam(p, g, m, v, t, lr, b1, b2, eps, correct: bool = True) -> np.ndarray:
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    if correct:
        return p - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
    return p - lr * m / (np.sqrt(v) + eps)


# --------------------------------------------------------------------------- judges
def _args(case: dict) -> list:
    return [np.asarray(a, dtype=float) if isinstance(a, (list, np.ndarray)) else a
            for a in case["args"]]


def _not_array(value: Any, shape: tuple) -> str | None:
    if not isinstance(value, np.ndarray):
        return f"returned {type(value).__name__}, expected an array of shape {shape}"
    return None


def judge_conv2d_backward_dx(cases: list[dict], results: list) -> Verdict:
    from .judging import Shape, array_difference, judge_cases, keep_distinct

    def check(case: dict, value: Any):
        dout, x, k, s = _args(case)
        expected = reference_conv_backward(dout, x, k, s)[0]
        if (problem := _not_array(value, x.shape)):
            return problem, []
        wrong = [
            ("the kernel is not flipped: dx is a *full convolution* of dout with the kernel "
             "rotated by 180 degrees (input pixel x[p] met kernel tap k[p - i] in output i)",
             _scatter_dx(dout, x.shape, k, s, flip=False)),
            ("the stride is ignored when scattering: output (i, j) came from the window at "
             "(i * stride, j * stride), so its gradient goes back there",
             _dx_no_stride(dout, x.shape, k) if s > 1 else None),
            ("dx must have the shape of x (a gradient has the shape of what it is the gradient "
             "of): pad dout by kernel size - 1 for the full convolution", Shape(dout.shape[:3] + (x.shape[3],))),
        ]
        return array_difference(value, expected), keep_distinct(expected, wrong)

    return judge_cases("conv2d_backward_dx", cases, results, check)


def judge_conv2d_backward_dkernel(cases: list[dict], results: list) -> Verdict:
    from .judging import array_difference, judge_cases, keep_distinct

    def check(case: dict, value: Any):
        dout, x, k, s = _args(case)
        expected = reference_conv_backward(dout, x, k, s)[1]
        if (problem := _not_array(value, k.shape)):
            return problem, []
        wrong = [
            ("the kernel gradient is flipped: dkernel[u, v] = sum over outputs of dout[i, j] * "
             "x[i*s + u, j*s + v] (a correlation of x with dout, no flip)", expected[::-1, ::-1]),
            ("the batch is averaged: the loss already contains the 1/N, so sum over the batch",
             expected / x.shape[0] if x.shape[0] > 1 else None),
        ]
        if s > 1:
            n, oh, ow, f = dout.shape
            kh, kw = k.shape[:2]
            if (oh - 1) + kh <= x.shape[1] and (ow - 1) + kw <= x.shape[2]:
                alt = np.zeros(k.shape)
                for u in range(kh):
                    for v in range(kw):
                        alt[u, v] = np.einsum("nijc,nijf->cf", x[:, u:u + oh, v:v + ow, :], dout)
                wrong.append(("the stride is ignored: output (i, j) saw the input at "
                              "(i * stride + u, j * stride + v)", alt))
        return array_difference(value, expected), keep_distinct(expected, wrong)

    return judge_cases("conv2d_backward_dkernel", cases, results, check)


def judge_conv2d_backward_dbias(cases: list[dict], results: list) -> Verdict:
    from .judging import Shape, array_difference, judge_cases, keep_distinct

    def check(case: dict, value: Any):
        dout = np.asarray(case["args"][0], dtype=float)
        expected = dout.sum(axis=(0, 1, 2))
        if (problem := _not_array(value, expected.shape)):
            return problem, []
        sums = ("dbias is not summed over the batch and the positions: the same bias was added "
                "at every position of every image, so its gradient is the sum of dout over "
                "axes (0, 1, 2)")
        wrong = [
            (sums, Shape(dout.shape)),
            (sums, Shape(dout.shape[1:])),
            (sums, Shape(dout.shape[:1] + dout.shape[3:])),
            (sums, dout[0].sum(axis=(0, 1)) if dout.shape[0] > 1 else None),
            ("dbias is averaged instead of summed: the same bias was added at every position, "
             "each use contributes its full gradient", dout.mean(axis=(0, 1, 2))),
        ]
        return array_difference(value, expected), keep_distinct(expected, wrong)

    return judge_cases("conv2d_backward_dbias", cases, results, check)


def judge_max_pool_backward(cases: list[dict], results: list) -> Verdict:
    from .judging import array_difference, judge_cases, keep_distinct

    def check(case: dict, value: Any):
        dout, x, p, s = _args(case)
        p, s = int(p), int(s)
        expected = _pool_reference(dout, x, p, s, "first")
        if (problem := _not_array(value, x.shape)):
            return problem, []
        wrong = [
            ("the gradient goes to every position of the window: only the maximum influenced "
             "the output, so only it gets the gradient", _pool_reference(dout, x, p, s, "all")),
            ("the gradient goes to all tied maxima: send it to the first maximum only (row by "
             "row, as TensorFlow does), otherwise it is counted twice",
             _pool_reference(dout, x, p, s, "ties")),
            ("the gradient is shared out as for average pooling: max pooling sends all of it to "
             "the maximum", _pool_reference(dout, x, p, s, "avg")),
            ("overlapping windows must add up (+=), not overwrite: an input can be the maximum "
             "of two windows", None),
        ]
        return array_difference(value, expected), keep_distinct(expected, wrong)

    return judge_cases("max_pool_backward", cases, results, check)


def judge_softmax_cross_entropy_gradient(cases: list[dict], results: list) -> Verdict:
    from .judging import array_difference, judge_cases, keep_distinct

    def check(case: dict, value: Any):
        z = np.asarray(case["args"][0], dtype=float)
        y = np.asarray(case["args"][1]).astype(int)
        n = len(z)
        onehot = np.eye(z.shape[1])[y]
        expected = (_softmax(z) - onehot) / n
        if (problem := _not_array(value, z.shape)):
            return problem, []
        wrong = [
            ("the loss is averaged over the batch in the forward pass, so its gradient must be "
             "divided by the batch size N too", expected * n if n > 1 else None),
            ("the sign is flipped: the gradient is p - onehot (increasing the true logit lowers "
             "the loss)", -expected),
            ("the one-hot target is missing: the gradient is (p - onehot(y)) / N", _softmax(z) / n),
        ]
        return array_difference(value, expected), keep_distinct(expected, wrong)

    def fallback(case: dict, value: Any) -> str | None:
        if isinstance(value, np.ndarray) and not np.isfinite(value).all():
            return "not finite for large logits: subtract the row maximum before exp"
        return None

    return judge_cases("softmax_cross_entropy_gradient", cases, results, check,
                       fallback_hint=fallback)


def judge_adam_update(cases: list[dict], results: list) -> Verdict:
    from .judging import array_difference, judge_cases, keep_distinct

    def check(case: dict, value: Any):
        p, g, m, v, t, lr, b1, b2, eps = _args(case)
        t = int(t)
        expected = reference_adam(p, g, m, v, t, lr, b1, b2, eps)
        if (problem := _not_array(value, p.shape)):
            return problem, []
        wrong = [
            ("Adam without bias correction: m and v start at 0, so divide them by 1 - beta1**t "
             "and 1 - beta2**t (the step t counts from 1)",
             reference_adam(p, g, m, v, t, lr, b1, b2, eps, correct=False)),
            ("the step number is off by one: t is the number of this step (1 for the first)",
             reference_adam(p, g, m, v, t + 1, lr, b1, b2, eps)),
            ("the running means are not updated before the step: first m = beta1*m + "
             "(1-beta1)*g and v = beta2*v + (1-beta2)*g**2, then the step",
             p - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
             if t > 1 else None),
            ("the sign is flipped: Adam steps against the gradient",
             2 * p - expected),
        ]
        return array_difference(value, expected), keep_distinct(expected, wrong)

    return judge_cases("adam_update", cases, results, check)


# --------------------------------------------------------------------------- registry parts
CASES: dict[str, Callable[[int], list[dict]]] = {
    "conv2d_backward_dx": conv2d_backward_dx_cases,
    "conv2d_backward_dkernel": conv2d_backward_dkernel_cases,
    "conv2d_backward_dbias": conv2d_backward_dbias_cases,
    "max_pool_backward": max_pool_backward_cases,
    "softmax_cross_entropy_gradient": softmax_cross_entropy_gradient_cases,
    "adam_update": adam_update_cases,
}
JUDGES: dict[str, Callable[[list[dict], list], "Verdict"]] = {
    "conv2d_backward_dx": judge_conv2d_backward_dx,
    "conv2d_backward_dkernel": judge_conv2d_backward_dkernel,
    "conv2d_backward_dbias": judge_conv2d_backward_dbias,
    "max_pool_backward": judge_max_pool_backward,
    "softmax_cross_entropy_gradient": judge_softmax_cross_entropy_gradient,
    "adam_update": judge_adam_update,
}
_CONV_BACKWARD = ("cnn_course.conv2d_backward", "cnn_course.backprop", "tf.GradientTape",
                  "cnn_course.conv2d_backward_naive")
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "conv2d_backward_dx": _CONV_BACKWARD,
    "conv2d_backward_dkernel": _CONV_BACKWARD,
    "conv2d_backward_dbias": _CONV_BACKWARD,
    "max_pool_backward": ("cnn_course.pool2d_backward", "cnn_course.backprop", "tf.GradientTape"),
    "softmax_cross_entropy_gradient": ("cnn_course.softmax_cross_entropy", "cnn_course.losses",
                                       "tf.GradientTape"),
    "adam_update": ("cnn_course.adam_step", "cnn_course.optimizers", "keras.optimizers"),
}


# --------------------------------------------------------------------------- student side
def _run(check_id: str, name: str, func: Callable) -> None:
    from . import run_check

    run_check(check_id, {name: func})


def check_conv2d_backward_dx(conv2d_backward_dx: Callable) -> None:
    """Check ``conv2d_backward_dx(dout, x, kernel, stride)`` -> dL/dx, shape of x."""
    _run("conv2d_backward_dx", "conv2d_backward_dx", conv2d_backward_dx)


def check_conv2d_backward_dkernel(conv2d_backward_dkernel: Callable) -> None:
    """Check ``conv2d_backward_dkernel(dout, x, kernel, stride)`` -> dL/dkernel, (kh, kw, C, F)."""
    _run("conv2d_backward_dkernel", "conv2d_backward_dkernel", conv2d_backward_dkernel)


def check_conv2d_backward_dbias(conv2d_backward_dbias: Callable) -> None:
    """Check ``conv2d_backward_dbias(dout)`` -> dL/dbias, (F,)."""
    _run("conv2d_backward_dbias", "conv2d_backward_dbias", conv2d_backward_dbias)


def check_max_pool_backward(max_pool_backward: Callable) -> None:
    """Check ``max_pool_backward(dout, x, pool_size, stride)`` -> dL/dx, shape of x."""
    _run("max_pool_backward", "max_pool_backward", max_pool_backward)


def check_softmax_cross_entropy_gradient(softmax_cross_entropy_gradient: Callable) -> None:
    """Check ``softmax_cross_entropy_gradient(logits, labels)`` -> (p - onehot) / N."""
    _run("softmax_cross_entropy_gradient", "softmax_cross_entropy_gradient",
         softmax_cross_entropy_gradient)


def check_adam_update(adam_update: Callable) -> None:
    """Check ``adam_update(param, grad, m, v, t, lr, beta1, beta2, eps)`` -> the new param."""
    _run("adam_update", "adam_update", adam_update)
