"""Do learnt first-layer kernels look like the classic filters? Measured, kernel by kernel.

Lessons often say that a trained CNN's first layer "learns Sobel-like edge detectors".
:func:`compare_with_classic_filters` checks it: for each learnt kernel it finds the
hand-made filter of :mod:`cnn_course.filters` it resembles most and says how much, with the
**cosine similarity** (the correlation of the two weight patterns, without subtracting
their means)::

    rho(K, F) = sum_{u,v} K[u, v] F[u, v] / (||K|| ||F||)        in [-1, 1]

``rho = 1``: ``K`` is ``F`` up to a positive factor (``2 * sobel_x`` scores 1 with
``sobel_x``); ``rho = -1``: the same detector with the opposite polarity (dark-to-bright
instead of bright-to-dark); ``rho`` near 0: unrelated. The means are not subtracted because
the blur filters (``mean``) are constant, and a constant has no centred pattern to
correlate; a learnt kernel with a brightness offset therefore scores lower against the
zero-sum edge filters than its edge pattern alone would.

Examples
--------
>>> from cnn_course import filters
>>> match = compare_with_classic_filters(2 * filters.sobel_x())[0]
>>> match["best"], round(match["correlation"], 6)
('sobel_x', 1.0)
>>> round(compare_with_classic_filters(-filters.laplacian())[0]["correlation"], 6)
-1.0
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from . import filters as _filters
from ._validation import check_array, check_choice

__all__ = ["classic_filter_bank", "compare_with_classic_filters", "format_filter_matches"]


def classic_filter_bank(size: int = 3) -> dict[str, np.ndarray]:
    """The hand-made filters to compare ``size x size`` kernels with.

    The 3x3 filters of :mod:`cnn_course.filters` -- ``sobel_x``, ``sobel_y``, ``prewitt_x``,
    ``prewitt_y``, ``vertical_edge``, ``horizontal_edge``, ``diagonal_edge_45``,
    ``diagonal_edge_135``, ``laplacian`` (4 neighbours), ``laplacian_8`` -- placed in the
    centre of a ``size x size`` zero kernel when ``size > 3``, plus ``mean(size)`` and
    ``gaussian(size, sigma=size / 4)`` at full size.

    Parameters
    ----------
    size : int
        Odd kernel side, >= 3.

    Returns
    -------
    dict
        Name -> float64 array (size, size).

    Examples
    --------
    >>> bank = classic_filter_bank(5)
    >>> bank["sobel_x"].shape, bank["sobel_x"][2]
    ((5, 5), array([ 0., -2.,  0.,  2.,  0.]))
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise TypeError(f"size must be an odd int >= 3, got {size!r}")
    if size < 3 or size % 2 == 0:
        raise ValueError(f"size must be an odd int >= 3 (the classic filters are 3x3), "
                         f"got {size}")
    small = {
        "sobel_x": _filters.sobel_x(), "sobel_y": _filters.sobel_y(),
        "prewitt_x": _filters.prewitt_x(), "prewitt_y": _filters.prewitt_y(),
        "vertical_edge": _filters.vertical_edge(), "horizontal_edge": _filters.horizontal_edge(),
        "diagonal_edge_45": _filters.diagonal_edge_45(),
        "diagonal_edge_135": _filters.diagonal_edge_135(),
        "laplacian": _filters.laplacian(4), "laplacian_8": _filters.laplacian(8),
    }
    pad = (size - 3) // 2
    bank = {name: np.pad(k, pad) for name, k in small.items()}
    bank["mean"] = _filters.mean(size)
    bank["gaussian"] = _filters.gaussian(size, sigma=size / 4)
    return bank


def _as_kernel_stack(kernels: object, input_channel: str) -> np.ndarray:
    """``kernels`` as (F, kh, kw): one 2-D kernel per filter."""
    arr = check_array("kernels", kernels, ndims=(2, 3, 4)).astype(np.float64)
    if arr.ndim == 2:
        stack = arr[None]
    elif arr.ndim == 3:  # (kh, kw, F)
        stack = np.moveaxis(arr, -1, 0)
    else:  # Keras Conv2D kernel (kh, kw, C_in, F)
        check_choice("input_channel", input_channel, ("mean",))
        stack = np.moveaxis(arr.mean(axis=2), -1, 0)
    if stack.shape[0] == 0 or 0 in stack.shape[1:]:
        raise ValueError(f"kernels must not be empty, got shape {arr.shape}")
    if not np.all(np.isfinite(stack)):
        raise ValueError("kernels must contain only finite values (no NaN or inf)")
    return stack


def compare_with_classic_filters(kernels: np.ndarray, bank: Mapping[str, np.ndarray] | None = None,
                                 input_channel: str = "mean") -> list[dict[str, Any]]:
    """For each kernel: the classic filter it is most like, and their correlation.

    ``rho(K, F) = <K, F> / (||K|| ||F||)`` (cosine similarity of the flattened weights) for
    every filter ``F`` of the bank; the best match maximises ``|rho|`` and its *signed*
    ``rho`` is reported (-1 is the same detector with the opposite sign).

    Parameters
    ----------
    kernels : array, shape (kh, kw), (kh, kw, F) or (kh, kw, C_in, F)
        One kernel, ``F`` kernels, or a Keras ``Conv2D`` kernel
        (``layer.kernel.numpy()``), whose ``C_in`` input channels are averaged first
        (for an RGB first layer: the kernel's response to gray images, ``R = G = B``).
    bank : dict, optional
        Name -> kernel of shape (kh, kw); default :func:`classic_filter_bank` of size ``kh``
        (square, odd ``kh >= 3``).
    input_channel : "mean"
        How a 4-D kernel's input channels are combined (only "mean" for now).

    Returns
    -------
    list of dict, one per kernel, in order
        Keys ``kernel`` (index), ``best`` (filter name), ``correlation`` (signed ``rho`` with
        it), ``correlations`` (name -> ``rho`` for the whole bank). A zero kernel has ``best``
        None and correlation 0.

    Raises
    ------
    ValueError
        If the kernels are not square with an odd side >= 3 (and no ``bank`` is given), or a
        bank filter's shape differs from the kernels'.

    See Also
    --------
    classic_filter_bank : the filters compared with.
    format_filter_matches : the result as a text table.
    cnn_course.inspection.plot_kernels : draw the kernels.
    """
    stack = _as_kernel_stack(kernels, input_channel)
    kh, kw = stack.shape[1:]
    if bank is None:
        if kh != kw:
            raise ValueError(f"kernels must be square to use the classic filters, got {kh}x{kw}; "
                             "pass a bank of (kh, kw) filters")
        bank = classic_filter_bank(kh)
    if not isinstance(bank, Mapping) or not bank:
        raise TypeError("bank must be a non-empty dict name -> kernel")
    names = list(bank)
    filt = np.stack([check_array(f"bank[{name!r}]", bank[name], ndims=(2,)).astype(np.float64)
                     for name in names]) if all(np.shape(bank[n]) == (kh, kw) for n in names) \
        else None
    if filt is None:
        wrong = {n: np.shape(bank[n]) for n in names if np.shape(bank[n]) != (kh, kw)}
        raise ValueError(f"every bank filter must have the kernels' shape ({kh}, {kw}); got "
                         f"{wrong}")
    f_flat = filt.reshape(len(names), -1)
    f_norm = np.linalg.norm(f_flat, axis=1)
    if np.any(f_norm == 0):
        zeros = [n for n, z in zip(names, f_norm) if z == 0]
        raise ValueError(f"bank filters must not be all zeros: {zeros}")
    k_flat = stack.reshape(len(stack), -1)
    k_norm = np.linalg.norm(k_flat, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (k_flat @ f_flat.T) / (k_norm[:, None] * f_norm[None, :])
    rho = np.where(k_norm[:, None] > 0, rho, 0.0)
    rho = np.clip(rho, -1.0, 1.0)
    result = []
    for i, row in enumerate(rho):
        best = int(np.argmax(np.abs(row)))
        zero = k_norm[i] == 0
        result.append({"kernel": i, "best": None if zero else names[best],
                       "correlation": 0.0 if zero else float(row[best]),
                       "correlations": {n: float(r) for n, r in zip(names, row)}})
    return result


def format_filter_matches(matches: list[dict[str, Any]]) -> str:
    """The result of :func:`compare_with_classic_filters` as a text table, one kernel a line.

    Examples
    --------
    >>> from cnn_course import filters
    >>> print(format_filter_matches(compare_with_classic_filters(filters.sobel_y())))
    kernel  best match  correlation
         0  sobel_y          +1.000
    """
    if not isinstance(matches, list) or not all(isinstance(m, dict) and {"kernel", "best",
                                                "correlation"} <= set(m) for m in matches):
        raise TypeError("matches must be the list returned by compare_with_classic_filters")
    width = max([len("best match")] + [len(str(m["best"])) for m in matches])
    lines = [f"kernel  {'best match':<{width}}  correlation"]
    for m in matches:
        lines.append(f"{m['kernel']:>6}  {str(m['best']):<{width}}  {m['correlation']:>+11.3f}")
    return "\n".join(lines)
