"""Backward passes in NumPy: the gradients a CNN layer hands back (lesson "How a CNN learns").

Backpropagation is the chain rule applied layer by layer, from the loss back to the
input [1]_. Each layer gets ``dout = dloss/d(output)`` from the layer above and computes

- ``dx = dloss/d(input)``, handed on to the layer below, and
- ``dloss/d(weights)``, what an optimizer (:mod:`cnn_course.optimizers`) uses to learn.

=====================  ===================================  =====================================
layer                  forward                              backward
=====================  ===================================  =====================================
:func:`dense`          ``out = x @ w + b``                  :func:`dense_backward`
``relu``               ``out = max(0, x)``                  :func:`relu_backward`
``conv2d``             ``cnn_course.conv.conv2d``           :func:`conv2d_backward` (``_naive``)
``pool2d``             ``cnn_course.pooling.pool2d``        :func:`pool2d_backward` (``_naive``)
=====================  ===================================  =====================================

The ``_naive`` versions loop over the output pixels exactly like the forward
``conv2d_naive``: every output pixel ``out[n, i, j, f]`` was computed from one window of
the input, so it sends ``dout[n, i, j, f]`` back to that window (times the kernel) and
to the kernel (times the window). The fast versions compute the same sums with a few
matrix products and one strided add per kernel tap.

Everything uses the NHWC layout and the padding rules of :mod:`cnn_course.padding`,
and all results match ``tf.GradientTape`` in float64 (``tests/test_backprop.py``).

Dtype rule: results are floating, ``np.result_type(x, kernel, dout, np.float32)``
(float32 stays float32).

References
----------
.. [1] D. E. Rumelhart, G. E. Hinton and R. J. Williams, "Learning representations by
   back-propagating errors", Nature 323, 533-536, 1986.
.. [2] A. Karpathy et al., "CS231n: Backpropagation, intuitions" and "Convolutional
   neural networks", https://cs231n.github.io/optimization-2/ and
   https://cs231n.github.io/convolutional-networks/
.. [3] V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning",
   arXiv:1603.07285, 2016 (section 4: transposed convolution is the backward pass).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .conv import ConvArgs, conv_arguments
from ._validation import check_choice, check_pair, check_real_array, check_size
from .padding import (IntOrPair, Padding, from_nhwc, pad2d, parse_padding, resolve_padding, to_nhwc,
                      valid_counts)
from .pooling import pool2d

__all__ = ["dense", "dense_backward", "relu_backward", "conv2d_backward_naive",
           "conv2d_backward", "pool2d_backward_naive", "pool2d_backward"]


# ----------------------------------------------------------------------------- checks
def _check_dout(dout: object, expected: tuple[int, ...], what: str) -> np.ndarray:
    d = check_real_array("dout", dout)
    if d.shape != tuple(expected):
        raise ValueError(f"dout must have the shape of the forward output {tuple(expected)} "
                         f"({what}), got {d.shape}")
    return d


# ----------------------------------------------------------------------------- dense, relu
def dense(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Fully connected layer: ``out = x @ w + b`` (``keras.layers.Dense`` without activation).

    Parameters
    ----------
    x : array of shape (N, D)
        One row of ``D`` features per example (flatten images first).
    w : array of shape (D, M)
        Weights, Keras' ``Dense`` kernel layout.
    b : array of shape (M,), optional
        Biases.

    Returns
    -------
    array of shape (N, M)

    See Also
    --------
    dense_backward

    Examples
    --------
    >>> dense(np.array([[1.0, 2.0]]), np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([0.5, 0.0]))
    array([[3.5, 2. ]])
    """
    x, w = _dense_inputs(x, w)
    dtype = np.result_type(x, w, np.float32)
    out = x.astype(dtype, copy=False) @ w.astype(dtype, copy=False)
    if b is not None:
        b = check_real_array("b", b, (1,))
        if b.shape != (w.shape[1],):
            raise ValueError(f"b must have shape ({w.shape[1]},) (one bias per output M), "
                             f"got {b.shape}")
        out += b.astype(dtype, copy=False)
    return out


def _dense_inputs(x: object, w: object) -> tuple[np.ndarray, np.ndarray]:
    x = check_real_array("x", x, (2,))
    w = check_real_array("w", w, (2,))
    if x.shape[1] != w.shape[0]:
        raise ValueError(f"w must have shape (D, M) with D = x.shape[1] = {x.shape[1]}, "
                         f"got w of shape {w.shape}")
    return x, w


def dense_backward(dout: np.ndarray, x: np.ndarray, w: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of a dense layer ``out = x @ w + b``.

    ``dx = dout @ w.T``,  ``dw = x.T @ dout``,  ``db = sum_n dout[n]``

    Each weight ``w[d, m]`` multiplied ``x[n, d]`` into ``out[n, m]`` for every example,
    so its gradient adds ``x[n, d] * dout[n, m]`` over the batch; each input ``x[n, d]``
    fed every output ``m`` through ``w[d, m]``.

    Parameters
    ----------
    dout : array of shape (N, M)
        ``dloss/dout``.
    x : array of shape (N, D)
        The forward input.
    w : array of shape (D, M)
        The forward weights.

    Returns
    -------
    dx : array of shape (N, D)
    dw : array of shape (D, M)
    db : array of shape (M,)

    See Also
    --------
    dense, conv2d_backward

    Examples
    --------
    >>> dx, dw, db = dense_backward(np.array([[1.0, -1.0]]), np.array([[2.0, 3.0]]), np.eye(2))
    >>> dx, dw, db
    (array([[ 1., -1.]]), array([[ 2., -2.],
           [ 3., -3.]]), array([ 1., -1.]))
    """
    x, w = _dense_inputs(x, w)
    d = _check_dout(dout, (x.shape[0], w.shape[1]), "N, M")
    dtype = np.result_type(x, w, d, np.float32)
    x, w, d = (a.astype(dtype, copy=False) for a in (x, w, d))
    return d @ w.T, x.T @ d, d.sum(axis=0)


def relu_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Gradient through ``relu(x) = max(0, x)``: ``dx = dout * (x > 0)``.

    Where the unit was off (``x <= 0``, the kink at 0 included, as in TensorFlow) no
    gradient passes; where it was on, the gradient passes unchanged.

    Parameters
    ----------
    dout : array, shape of ``x``
    x : array of any shape
        The forward input (not the output).

    Returns
    -------
    array, shape of ``x``

    See Also
    --------
    cnn_course.activations.relu_derivative

    Examples
    --------
    >>> relu_backward(np.array([5.0, 5.0, 5.0]), np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 5.])
    """
    x = check_real_array("x", x)
    d = _check_dout(dout, x.shape, "the shape of x")
    dtype = np.result_type(x, d, np.float32)
    return np.where(x > 0, d, 0).astype(dtype, copy=False)


# ----------------------------------------------------------------------------- conv2d
def _conv_setup(dout, x, kernel, stride, padding, dilation, mode):
    """Check the arguments as conv2d does (:func:`conv_arguments`), then check ``dout``.

    Returns the :class:`ConvArgs` (cast to the common dtype) and dout as (N, H', W', F).
    """
    a = conv_arguments(x, kernel, None, stride, padding, dilation, mode)
    N, F = a.x4.shape[0], a.k4.shape[3]
    full = (N, *a.out_hw, F)
    expected = from_nhwc(np.empty(full, dtype=np.bool_), a.x_ndim).shape
    d = _check_dout(dout, expected, "conv2d(x, kernel, ...) with these arguments")
    dtype = np.result_type(a.dtype, d)
    if dtype != a.dtype:   # a float64 dout with float32 x and kernel: work in float64
        a = replace(a, x4=a.x4.astype(dtype), k4=a.k4.astype(dtype), dtype=dtype)
    return a, d.reshape(full).astype(dtype, copy=False)


def _conv_results(dx4, dk4, db, a: ConvArgs, kernel_ndim: int):
    """Back to the caller's layouts; a "convolve" kernel was flipped, so flip its gradient."""
    if a.mode == "convolve":
        dk4 = dk4[::-1, ::-1]
    dx = from_nhwc(dx4, a.x_ndim)
    if kernel_ndim == 2:
        return dx, dk4[:, :, 0, 0], db.sum()  # the 2-D layout has one filter, a scalar bias
    return dx, dk4, db


def conv2d_backward_naive(dout: np.ndarray, x: np.ndarray, kernel: np.ndarray,
                          stride: IntOrPair = 1, padding: Padding = "valid",
                          dilation: IntOrPair = 1, mode: str = "correlate"
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`cnn_course.conv.conv2d`, with explicit loops (the readable version).

    Same arguments, results and formulas as :func:`conv2d_backward`. The forward pass
    computed each output pixel from one window of the padded input ``xp``::

        out[n, i, j, f] = b[f] + sum_{u, v, c} xp[n, i*sh + u*dh, j*sw + v*dw, c] * kernel[u, v, c, f]

    so, going backwards, each output pixel sends its gradient ``g = dout[n, i, j, f]``

    - to its window: ``dxp[n, window] += g * kernel[:, :, :, f]``
    - to the kernel: ``dkernel[:, :, :, f] += g * xp[n, window]``
    - to the bias:   ``dbias[f] += g``

    and ``dx`` is ``dxp`` with the padding cut off (padding is not an input).

    Examples
    --------
    >>> x = np.arange(9.0).reshape(3, 3)
    >>> dx, dk, db = conv2d_backward_naive(np.ones((2, 2)), x, np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> dx                       # how many times, and with which weight, each pixel was used
    array([[ 1.,  3.,  2.],
           [ 4., 10.,  6.],
           [ 3.,  7.,  4.]])
    >>> dk                       # sum of the pixels each tap saw
    array([[ 8., 12.],
           [20., 24.]])
    """
    a, g4 = _conv_setup(dout, x, kernel, stride, padding, dilation, mode)
    kh, kw, C, F = a.k4.shape
    (sh, sw), (dh, dw), ((pt, pb), (pl, pr)) = a.stride, a.dilation, a.pads
    N, H, W, _ = a.x4.shape
    out_h, out_w = a.out_hw

    # 1. Pad the input as the forward pass did; dxp has the padded shape.
    xp = pad2d(a.x4, a.pads)
    dxp = np.zeros_like(xp)
    dk = np.zeros_like(a.k4)

    # 2. Every output pixel hands its gradient back to the window it was computed from.
    for i in range(out_h):
        top = i * sh
        rows = slice(top, top + dh * (kh - 1) + 1, dh)        # the window's rows (dilated)
        for j in range(out_w):
            left = j * sw
            cols = slice(left, left + dw * (kw - 1) + 1, dw)  # the window's columns
            window = xp[:, rows, cols, :]                      # (N, kh, kw, C)
            for f in range(F):
                g = g4[:, i, j, f][:, None, None, None]        # (N, 1, 1, 1)
                dxp[:, rows, cols, :] += g * a.k4[:, :, :, f]  # to the input window
                dk[:, :, :, f] += np.sum(g * window, axis=0)   # to the kernel

    # 3. The bias was added to every output pixel; padding is not part of x.
    db = g4.sum(axis=(0, 1, 2))
    dx = dxp[:, pt:pt + H, pl:pl + W, :]
    return _conv_results(dx, dk, db, a, np.ndim(kernel))


def conv2d_backward(dout: np.ndarray, x: np.ndarray, kernel: np.ndarray,
                    stride: IntOrPair = 1, padding: Padding = "valid",
                    dilation: IntOrPair = 1, mode: str = "correlate"
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of ``out = conv2d(x, kernel, bias, stride, padding, dilation)``.

    With ``xp`` the zero-padded input and ``g = dout``::

        dkernel[u, v, c, f] = sum_{n, i, j} xp[n, i*sh + u*dh, j*sw + v*dw, c] * g[n, i, j, f]
        dxp[n, y, z, c]     = sum_{u, v, f} g[n, i, j, f] * kernel[u, v, c, f]
                              over (i, j, u, v) with i*sh + u*dh = y and j*sw + v*dw = z
        dbias[f]            = sum_{n, i, j} g[n, i, j, f]

    - ``dkernel`` is the **correlation of the input with dout** (dout used as a kernel,
      its taps ``sh, sw`` apart);
    - ``dx`` is the **full convolution of dout with the kernel rotated by 180 degrees**
      (``kernel[::-1, ::-1]`` with channels and filters swapped): dout is first dilated
      by the stride (``sh - 1`` zeros between its rows, ``sw - 1`` between its columns),
      the kernel is dilated by ``dilation``, and the padding is cut off afterwards. That
      is why the backward pass of a convolution is a *transposed* convolution [3]_;
    - ``dbias`` sums dout over the batch and all positions.

    Parameters
    ----------
    dout : array, shape of the forward output
        ``(H', W')``, ``(H', W', F)`` or ``(N, H', W', F)``: ``dloss/dout``.
    x : array of shape (H, W), (H, W, C) or (N, H, W, C)
        The forward input.
    kernel : array of shape (kh, kw) for a 2-D ``x``, else (kh, kw, C, F)
    stride, padding, dilation, mode
        As for :func:`cnn_course.conv.conv2d` (every padding form it accepts: ``"valid"``,
        ``"same"`` with odd or even kernels, an int, ``(pad_h, pad_w)``,
        ``((top, bottom), (left, right))``). With ``mode="convolve"`` the forward pass
        used the rotated kernel, so ``dkernel`` is rotated back.

    Returns
    -------
    dx : array, shape of ``x``
    dkernel : array, shape of ``kernel``
    dbias : array of shape (F,); a scalar for the 2-D layout (its bias is a scalar)

    Raises
    ------
    TypeError, ValueError
        The errors of ``conv2d`` for ``x``, ``kernel``, ``stride``, ``padding`` and
        ``dilation``; ``dout`` not of the forward output's shape.

    See Also
    --------
    conv2d_backward_naive : the same with loops.
    cnn_course.conv.conv2d : the forward pass.

    Notes
    -----
    Implementation (im2col and col2im without ``np.add.at``): the padded input is
    transposed once to channels-first ``(C, N, H, W)``. ``dkernel`` is one matrix product
    of the transposed im2col matrix ``(kh*kw*C, N*H'*W')`` (one strided copy per kernel
    tap) with dout ``(N*H'*W', F)``. For ``dx``, one matrix product ``kernel @ dout.T``
    gives every window's gradient ``(kh*kw*C, N*H'*W')``; it is added back into place
    with one strided add per kernel tap (``kh*kw`` adds of a ``(C, N, H', W')`` block),
    instead of the slow element-by-element scatter ``np.add.at`` of a textbook col2im.
    Channels-first makes every copy and add run along whole image rows; in NHWC each
    runs ``C`` values at a time, which measured about 20 times slower for ``C = 3``
    (BENCHMARKS.md, "Backward passes").

    Examples
    --------
    >>> x = np.arange(9.0).reshape(3, 3)
    >>> dx, dk, db = conv2d_backward(np.ones((2, 2)), x, np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> dk
    array([[ 8., 12.],
           [20., 24.]])
    >>> float(db)                # four output pixels, each with bias gradient 1
    4.0
    """
    a, g4 = _conv_setup(dout, x, kernel, stride, padding, dilation, mode)
    kh, kw, C, F = a.k4.shape
    (sh, sw), (dh, dw), ((pt, pb), (pl, pr)) = a.stride, a.dilation, a.pads
    N, H, W, _ = a.x4.shape
    out_h, out_w = a.out_hw
    T, M = kh * kw, N * out_h * out_w
    check_size("x and kernel", (T * C, M), "the im2col window matrix",
               "use smaller batches, or a larger stride")
    g2 = g4.reshape(M, F)

    def tap(img: np.ndarray, u: int, v: int) -> np.ndarray:
        """Tap (u, v) of every window: a strided (C, N, H', W') view of a padded image."""
        r0, c0 = u * dh, v * dw
        return img[:, :, r0:r0 + sh * (out_h - 1) + 1:sh, c0:c0 + sw * (out_w - 1) + 1:sw]

    # Work channels-first, (C, N, H, W): every tap is then a block of whole image rows,
    # so the copies and adds below run over contiguous rows, not over C values at a time.
    xpT = np.zeros((C, N, H + pt + pb, W + pl + pr), dtype=a.dtype)
    xpT[:, :, pt:pt + H, pl:pl + W] = a.x4.transpose(3, 0, 1, 2)

    # dkernel: the im2col matrix, one row per (tap, channel), times dout.
    colsT = np.empty((T, C, N, out_h, out_w), dtype=a.dtype)
    for u in range(kh):
        for v in range(kw):
            colsT[u * kw + v] = tap(xpT, u, v)
    dk = (colsT.reshape(T * C, M) @ g2).reshape(kh, kw, C, F)
    del colsT

    # dx: every window's gradient at once (kernel @ dout.T), then one strided add per tap.
    dcolsT = (a.k4.reshape(T * C, F) @ g2.T).reshape(T, C, N, out_h, out_w)
    dxpT = np.zeros_like(xpT)
    for u in range(kh):
        for v in range(kw):
            tap(dxpT, u, v)[...] += dcolsT[u * kw + v]
    dx = np.ascontiguousarray(dxpT[:, :, pt:pt + H, pl:pl + W].transpose(1, 2, 3, 0))
    db = g2.sum(axis=0)
    return _conv_results(dx, dk, db, a, np.ndim(kernel))


# ----------------------------------------------------------------------------- pool2d
def _pool_setup(dout, x, pool_size, stride, padding, mode):
    """Validate like pool2d does (by running it), then check dout."""
    mode = check_choice("mode", mode, ("max", "avg"))
    out = pool2d(x, pool_size, stride, padding, mode)  # all of pool2d's argument checks
    d = _check_dout(dout, out.shape, "pool2d(x, ...) with these arguments")
    x4 = to_nhwc(np.asarray(x))
    ph, pw = check_pair("pool_size", pool_size, 1)
    sh, sw = (ph, pw) if stride is None else check_pair("stride", stride, 1)
    N, H, W, C = x4.shape
    spec = parse_padding(padding)
    if isinstance(spec, str):
        spec = (resolve_padding(spec, H, ph, sh, 1), resolve_padding(spec, W, pw, sw, 1))
    dtype = np.result_type(out, d)
    out4 = to_nhwc(out).astype(dtype, copy=False)
    d4 = to_nhwc(d).astype(dtype, copy=False)
    return x4.astype(dtype, copy=False), out4, d4, (ph, pw), (sh, sw), spec, dtype


def _pool_counts(H, W, ph, pw, sh, sw, pt, pl, out_h, out_w, dtype):
    """Number of valid (non-padding) cells per window, (1, H', W', 1), as pool2d divides."""
    rows = valid_counts(H, ph, sh, pt, out_h)
    cols = valid_counts(W, pw, sw, pl, out_w)
    return (rows[:, None] * cols[None, :]).astype(dtype)[None, :, :, None]


def pool2d_backward_naive(dout: np.ndarray, x: np.ndarray, pool_size: IntOrPair = 2,
                          stride: IntOrPair | None = None, padding: Padding = "valid",
                          mode: str = "max") -> np.ndarray:
    """Gradient of :func:`cnn_course.pooling.pool2d` with explicit loops (readable version).

    Same arguments and results as :func:`pool2d_backward`. For each output pixel and
    channel, take its window of the input and

    - ``"max"``: add ``dout`` to the window's largest value (the *first* one, in
      row-major order, when several are equal, as TensorFlow does);
    - ``"avg"``: add ``dout / count`` to every valid cell of the window.

    Examples
    --------
    >>> x = np.array([[1.0, 3.0], [3.0, 2.0]])
    >>> pool2d_backward_naive(np.array([[10.0]]), x, 2)           # tie: the first 3 wins
    array([[ 0., 10.],
           [ 0.,  0.]])
    >>> pool2d_backward_naive(np.array([[10.0]]), x, 2, mode="avg")
    array([[2.5, 2.5],
           [2.5, 2.5]])
    """
    x4, out4, d4, (ph, pw), (sh, sw), ((pt, pb), (pl, pr)), dtype = _pool_setup(
        dout, x, pool_size, stride, padding, mode)
    N, H, W, C = x4.shape
    _, out_h, out_w, _ = d4.shape
    dx = np.zeros((N, H, W, C), dtype=dtype)
    for i in range(out_h):
        # the window's rows in x, clipped to the image (padding cells are not inputs)
        r0, r1 = max(i * sh - pt, 0), min(i * sh - pt + ph, H)
        for j in range(out_w):
            c0, c1 = max(j * sw - pl, 0), min(j * sw - pl + pw, W)
            for n in range(N):
                for c in range(C):
                    g = d4[n, i, j, c]
                    if mode == "avg":
                        dx[n, r0:r1, c0:c1, c] += g / ((r1 - r0) * (c1 - c0))
                    else:
                        window = x4[n, r0:r1, c0:c1, c]
                        u, v = np.unravel_index(np.argmax(window), window.shape)  # first max
                        dx[n, r0 + u, c0 + v, c] += g
    return from_nhwc(dx, np.ndim(x))


def pool2d_backward(dout: np.ndarray, x: np.ndarray, pool_size: IntOrPair = 2,
                    stride: IntOrPair | None = None, padding: Padding = "valid",
                    mode: str = "max") -> np.ndarray:
    """Gradient of ``out = pool2d(x, pool_size, stride, padding, mode)`` with respect to ``x``.

    - ``"max"``: ``out`` is one of the window's values, so only that cell gets the
      gradient: ``dx[argmax of window] += dout[n, i, j, c]``; every other cell gets 0.
      When several cells tie for the maximum, the **first in row-major order** (top row
      first, then left to right) gets all of it, as TensorFlow's ``MaxPoolGrad`` does
      (checked with ``tf.GradientTape`` on integer-valued inputs).
    - ``"avg"``: ``out = (1/|V|) sum_V x``, so every valid cell of the window gets
      ``dout / |V|``; ``|V|`` counts only non-padding cells, as ``pool2d`` and TensorFlow
      divide with ``padding="same"``.

    Overlapping windows (``stride < pool_size``) add their contributions.

    Parameters
    ----------
    dout : array, shape of the forward output
        ``(H', W')``, ``(H', W', C)`` or ``(N, H', W', C)``.
    x : array of shape (H, W), (H, W, C) or (N, H, W, C)
        The forward input.
    pool_size, stride, padding
        As for :func:`cnn_course.pooling.pool2d`.
    mode : {"max", "avg"}

    Returns
    -------
    dx : array, shape of ``x``

    Raises
    ------
    TypeError, ValueError
        The errors of ``pool2d``; a mode other than "max"/"avg"; ``dout`` not of the
        forward output's shape.

    See Also
    --------
    pool2d_backward_naive : the same with loops.
    cnn_course.pooling.pool2d : the forward pass.

    Notes
    -----
    Implementation: one pass per window tap ``(u, v)``; each tap of all windows is a
    strided ``(N, H', W', C)`` view of the padded input. For max, a tap receives ``dout``
    where it equals the window's maximum and no earlier tap did.

    Examples
    --------
    >>> x = np.array([[1.0, 3.0, 0.0, 0.0],
    ...               [3.0, 2.0, 0.0, 5.0]])
    >>> pool2d_backward(np.array([[10.0, 20.0]]), x, 2)
    array([[ 0., 10.,  0.,  0.],
           [ 0.,  0.,  0., 20.]])
    """
    x4, out4, d4, (ph, pw), (sh, sw), ((pt, pb), (pl, pr)), dtype = _pool_setup(
        dout, x, pool_size, stride, padding, mode)
    N, H, W, C = x4.shape
    _, out_h, out_w, _ = d4.shape
    Hp, Wp = H + pt + pb, W + pl + pr
    dxp = np.zeros((N, Hp, Wp, C), dtype=dtype)

    def tap(a: np.ndarray, u: int, v: int) -> np.ndarray:
        """Tap (u, v) of every window: a strided (N, H', W', C) view of padded ``a``."""
        return a[:, u:u + sh * (out_h - 1) + 1:sh, v:v + sw * (out_w - 1) + 1:sw, :]

    if mode == "avg":
        g = d4 / _pool_counts(H, W, ph, pw, sh, sw, pt, pl, out_h, out_w, dtype)
        for u in range(ph):
            for v in range(pw):
                tap(dxp, u, v)[...] += g
    else:
        xp = x4
        if pt or pb or pl or pr:
            xp = np.full((N, Hp, Wp, C), -np.inf, dtype=dtype)
            xp[:, pt:pt + H, pl:pl + W, :] = x4
        routed = np.zeros(d4.shape, dtype=bool)   # window already gave its gradient away
        for u in range(ph):
            for v in range(pw):
                hit = tap(xp, u, v) == out4
                hit &= ~routed
                routed |= hit
                tap(dxp, u, v)[...] += np.where(hit, d4, 0)
    return from_nhwc(dxp[:, pt:pt + H, pl:pl + W, :], np.ndim(x))
