"""The backpropagation checks (cnn_course/checks/backprop.py): right answers pass, and each
mistake the exercises name is recognised by its message (fed as a wrong answer)."""
from __future__ import annotations

import numpy as np
import pytest

from cnn_course.checks import serialize
from cnn_course.checks.backprop import _pool_reference, _softmax, reference_adam
from cnn_course.checks.registry import SPECS


def verdict(check_id, func, seed=3):
    spec = SPECS[check_id]
    cases = serialize.loads(serialize.dumps(spec.cases(seed)))
    results = serialize.loads(serialize.dumps(spec.probe({spec.answers[0]: func}, cases)))
    return spec.judge(cases, results)


# ----------------------------------------------------------------------- student-like answers
def dx_loops(dout, x, kernel, stride, flip=True, use_stride=True):
    kh, kw = kernel.shape[:2]
    k = kernel if flip else kernel[::-1, ::-1]
    s = stride if use_stride else 1
    dx = np.zeros(x.shape)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            dx[:, i * s:i * s + kh, j * s:j * s + kw, :] += np.einsum("nf,uvcf->nuvc", dout[:, i, j], k)
    return dx


def dk_loops(dout, x, kernel, stride, average=False):
    kh, kw = kernel.shape[:2]
    dk = np.zeros(kernel.shape)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            win = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            dk += np.einsum("nuvc,nf->uvcf", win, dout[:, i, j])
    return dk / len(x) if average else dk


def softmax_grad(logits, labels, divide=True):
    g = _softmax(np.asarray(logits, float)) - np.eye(logits.shape[1])[labels]
    return g / len(logits) if divide else g


def adam(p, g, m, v, t, lr, b1, b2, eps, correct=True):
    return reference_adam(p, g, m, v, t, lr, b1, b2, eps, correct=correct)


RIGHT = {
    "conv2d_backward_dx": dx_loops,
    "conv2d_backward_dkernel": dk_loops,
    "conv2d_backward_dbias": lambda dout: dout.sum(axis=(0, 1, 2)),
    "max_pool_backward": lambda dout, x, p, s: _pool_reference(dout, x, p, s, "first"),
    "softmax_cross_entropy_gradient": softmax_grad,
    "adam_update": adam,
}


@pytest.mark.parametrize("check_id", sorted(RIGHT))
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_right_answers_pass(check_id, seed):
    v = verdict(check_id, RIGHT[check_id], seed)
    assert v.passed, v.message


def test_the_library_matches_the_right_answers():
    from cnn_course.backprop import conv2d_backward
    rng = np.random.default_rng(0)
    x, k = rng.normal(size=(2, 7, 8, 2)), rng.normal(size=(3, 2, 2, 3))
    dout = rng.normal(size=(2, 3, 4, 3))
    dx, dk, db = conv2d_backward(dout, x, k, stride=2)
    assert np.allclose(dx, dx_loops(dout, x, k, 2)) and np.allclose(dk, dk_loops(dout, x, k, 2))


@pytest.mark.parametrize("check_id, wrong, words", [
    ("conv2d_backward_dbias", lambda dout: dout.sum(axis=(1, 2)),
     "not summed over the batch and the positions"),
    ("conv2d_backward_dbias", lambda dout: dout[0].sum(axis=(0, 1)),
     "not summed over the batch and the positions"),
    ("conv2d_backward_dbias", lambda dout: dout, "not summed over the batch and the positions"),
    ("conv2d_backward_dx", lambda d, x, k, s: dx_loops(d, x, k, s, flip=False), "kernel is not flipped"),
    ("conv2d_backward_dx", lambda d, x, k, s: dx_loops(d, x, k, s, use_stride=False)
     if s == 1 else _no_stride(d, x, k), "stride is ignored when scattering"),
    ("max_pool_backward", lambda d, x, p, s: _pool_reference(d, x, p, s, "all"),
     "every position of the window"),
    ("max_pool_backward", lambda d, x, p, s: _pool_reference(d, x, p, s, "ties"),
     "all tied maxima"),
    ("softmax_cross_entropy_gradient", lambda z, y: softmax_grad(z, y, divide=False),
     "divided by the batch size"),
    ("adam_update", lambda *a: adam(*a, correct=False), "without bias correction"),
    ("adam_update", lambda p, g, m, v, t, lr, b1, b2, eps: adam(p, g, m, v, t + 1, lr, b1, b2, eps),
     "off by one"),
    ("conv2d_backward_dkernel", lambda d, x, k, s: dk_loops(d, x, k, s)[::-1, ::-1],
     "kernel gradient is flipped"),
])
def test_each_mistake_is_named(check_id, wrong, words):
    v = verdict(check_id, wrong)
    assert not v.passed
    assert words in v.message, v.message


def _no_stride(dout, x, k):
    kh, kw = k.shape[:2]
    dx = np.zeros(x.shape)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            dx[:, i:i + kh, j:j + kw, :] += np.einsum("nf,uvcf->nuvc", dout[:, i, j], k)
    return dx


def test_a_stub_is_not_done_and_never_passes():
    def stub(*args):
        raise NotImplementedError
    for check_id in RIGHT:
        v = verdict(check_id, stub)
        assert not v.passed


def test_student_facing_check_raises_check_failed():
    from cnn_course.checks import CheckFailed
    from cnn_course.checks.backprop import check_softmax_cross_entropy_gradient
    with pytest.raises(CheckFailed, match="divided by the batch size"):
        check_softmax_cross_entropy_gradient(lambda z, y: softmax_grad(z, y, divide=False))
    check_softmax_cross_entropy_gradient(softmax_grad)
