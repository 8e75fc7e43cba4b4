"""Hints that teach: more help on request, one level at a time, never the code.

A failing check first says *what* is wrong (its message). When that is not enough,
``cc.hint("<check id>")`` prints the next hint for that check: the first call the idea to
look at again, the next a method in words, the last a small worked example with other
numbers. A hint never gives the code (``tests/test_hints.py`` scans them all). The level
reached is counted per check in this kernel; :func:`reset_hints` starts again.

The check id is the one a check cell's metadata names (``pad2d``, ``q_gd_step``, ...);
``cc.hint()`` without an id lists them. A topic module of :mod:`cnn_course.checks` keeps its
own checks' hints in a module-level ``HINTS`` dict of the same form; :func:`all_hints`
gathers them (through :mod:`.registry`, which imports every topic module).
"""
from __future__ import annotations

import sys

__all__ = ["HINTS", "hint", "reset_hints", "hint_pointer", "all_hints"]

HINTS: dict[str, tuple[str, ...]] = {
    # ------------------------------------------------------------------ lesson 01
    "colour_histogram": (
        "One histogram per colour channel: red, green and blue are counted separately, "
        "one row each.",
        "The bins are fixed by the 256 possible values of a uint8 pixel, not by the values "
        "this image happens to hold: equal bins from 0 up to 256.",
        "With 4 bins each bin is 64 values wide: 0-63, 64-127, 128-191, 192-255. A red value "
        "of 130 adds one to the third count of the red row.",
    ),
    "grayscale": (
        "A grey value is a weighted sum of the three channels, not their plain mean: the eye "
        "is most sensitive to green.",
        "The weights are 0.299 for red (channel 0), 0.587 for green, 0.114 for blue; work in "
        "floats, since uint8 sums wrap around past 255.",
        "A pixel (100, 200, 50) gives 0.299 * 100 + 0.587 * 200 + 0.114 * 50 = 153.0; the "
        "result has one number per pixel, shape (H, W).",
    ),
    "q_image_numbers": (
        "Count the pixels first, then ask how many numbers one colour pixel holds.",
        "A 2x2 colour image has 4 pixels of 3 numbers each: 12 numbers.",
    ),
    # ------------------------------------------------------------------ lesson 02
    "window_value": (
        "One output value is one placement of the window: multiply the pixels under the "
        "window by the kernel entries at the same places, and add all the products.",
        "(i, j) is the window's top-left corner, i the row, j the column; the window covers "
        "as many rows and columns as the kernel. A CNN does not flip the kernel.",
        "For the window at (1, 2) of a 3x3 kernel: rows 1, 2, 3 and columns 2, 3, 4 of the "
        "image; the kernel's top-left entry multiplies image pixel (1, 2).",
    ),
    "convolve2d": (
        "The mathematical convolution is the sliding window with the kernel rotated by 180 "
        "degrees first.",
        "A 180-degree rotation reverses the order of the rows *and* of the columns (not a "
        "transpose); then slide it over every position where it fits ('valid').",
        "The kernel rows (1, 2), (3, 4) rotated by 180 degrees become (4, 3), (2, 1); a 5x5 "
        "image and a 3x3 kernel give a 3x3 output.",
    ),
    "q_keras_flip": (
        "Compare the formula of the layer in the lesson with the definition of the "
        "convolution: does the kernel entry at offset (u, v) meet the pixel at +(u, v) or at "
        "-(u, v)?",
        "The lesson measured Conv2D against both: with which one did it agree without "
        "rotating the kernel?",
    ),
    # ------------------------------------------------------------------ lesson 03
    "pad2d": (
        "Only the two spatial axes (rows, columns) get zeros; a channel axis, when there is "
        "one, is never padded.",
        "An int means the same number of zeros on all four sides; a pair of pairs gives "
        "(top, bottom) for the rows and (left, right) for the columns, which may differ.",
        "A 3x4 image padded with ((1, 2), (0, 3)) becomes 6x7: one row of zeros above, two "
        "below, none on the left, three on the right.",
    ),
    "output_size": (
        "Count how many times the window fits: the padded size, minus the window's extent, "
        "divided by the stride (rounded down), plus one for the first position.",
        "A dilated kernel spans d(k - 1) + 1 pixels; 'valid' adds no padding, and 'same' "
        "gives the input size divided by the stride, rounded up.",
        "n = 7, k = 3, stride 2, padding 1: (7 + 2 - 3) / 2 = 3, plus one: 4 positions.",
    ),
    "conv2d": (
        "Each output pixel is the sum of the products of one window of the (padded) input "
        "with the kernel, over all input channels, once per filter.",
        "Output row i starts at input row i times the stride (not at i); pad first, then "
        "slide; the output has one channel per filter.",
        "With stride 2 the windows start at rows 0, 2, 4, ...: output (1, 1) reads the input "
        "window whose top-left corner is (2, 2).",
    ),
    # ------------------------------------------------------------------ lesson 04
    "gaussian_kernel": (
        "The kernel samples exp(-r^2 / (2 sigma^2)) at integer offsets from the centre, then "
        "is normalised.",
        "Offsets run symmetric around the centre (for size 5: -2 to 2); divide by the sum so "
        "that the weights add up to 1.",
        "Size 3, sigma 1: the corner weight is exp(-1) times the centre weight, the edge "
        "weights exp(-1/2) times.",
    ),
    "log_kernel": (
        "The Laplacian of a Gaussian: the second derivatives of the Gaussian in x and y, "
        "added.",
        "Up to a constant it is (r^2 - 2 sigma^2) / sigma^4 times the Gaussian; then shift "
        "every entry by the same amount so that the kernel sums to 0 (a flat image gives 0).",
        "The centre entry is the most negative one, the ring around it positive; after the "
        "shift the mean of the entries is 0.",
    ),
    "gradient_magnitude": (
        "Two Sobel filters measure the change along x and along y; the magnitude combines "
        "them like the length of a vector.",
        "Slide each Sobel kernel over the image (as a CNN does), then take the square root of "
        "the sum of the two squares at every pixel.",
        "On a vertical step edge only the x-change is large: the magnitude equals its "
        "absolute value there.",
    ),
    # ------------------------------------------------------------------ lesson 05
    "max_pool2d": (
        "Each channel is pooled on its own; a window keeps its largest value.",
        "Window (i, j) starts at row i times the stride and column j times the stride; by "
        "default the stride equals the window size; windows that do not fit are skipped.",
        "A 5x5 image, 2x2 windows, stride 2: windows start at 0 and 2 only, the output is "
        "2x2.",
    ),
    "avg_pool2d": (
        "The same windows as max pooling, keeping their mean.",
        "The mean divides the window's sum by the number of pixels in it: k times k for a k "
        "by k window.",
        "A 2x2 window holding 1, 2, 3, 6 gives 3.0.",
    ),
    # ------------------------------------------------------------------ lesson 06
    "sigmoid_derivative": (
        "Write the derivative with the sigmoid's own value s: the lesson derived it as a "
        "product of s and one minus s.",
        "Compute s first (it is always between 0 and 1, even for huge z), then the "
        "derivative from s: nothing can overflow that way.",
        "At z = 0, s = 0.5 and the derivative is 0.25; at z = 10 it is about 4.5e-5.",
    ),
    "softmax_jvp": (
        "Every softmax output depends on every input of its row: the Jacobian is not "
        "diagonal.",
        "Entry (i, j) of the Jacobian is s_i times (1 if i equals j else 0, minus s_j); "
        "multiplied by v this gives s times (v minus the dot product of s and v), row by "
        "row.",
        "For s = (0.5, 0.5) and v = (1, 0): the dot product is 0.5, so J v = (0.25, -0.25).",
    ),
    "q_sigmoid_chain": (
        "The chain rule multiplies one derivative per layer. What is the largest value the "
        "sigmoid's derivative can take?",
        "With 2 layers and a largest derivative of 0.5 you would keep 0.5 * 0.5 = 0.25 of "
        "the gradient; do the same with the sigmoid's maximum and 5 layers.",
    ),
    # ------------------------------------------------------------------ lesson 07
    "cross_entropy": (
        "For each example, only the probability the model gave to the true class counts.",
        "Take minus the natural log of that probability for every example, then average "
        "over the batch.",
        "Probabilities (0.7, 0.2, 0.1) with true class 1: the loss is -ln 0.2, about 1.61.",
    ),
    "q_gd_step": (
        "Gradient descent moves against the derivative, by the learning rate times it.",
        "The derivative of (w - 3)^2 is 2(w - 3). For (w - 5)^2 at w = 1 with lr 0.5: the "
        "derivative is -8, the step moves w to 1 + 4 = 5.",
    ),
    "q_folder_split": (
        "validation_split takes its share out of the images in the folder; the rest trains.",
        "Count all the images first (every class folder), then take away the validation part.",
    ),
    "q_augment_gap": (
        "Think about what the network sees in the second epoch of an augmented run.",
        "The gap is training accuracy minus validation accuracy: which of the two does "
        "augmentation make harder to push up?",
    ),
    "q_flip_digits": (
        "Picture a handwritten 7 in a mirror.",
        "An augmentation must keep the label true: is a mirrored digit still the same digit?",
    ),
    "q_learning_rate": (
        "What does one step do when it is much longer than the distance to the minimum?",
        "Think of the parabola w^2 and steps of lr times 2w: with lr 1.5 the point lands "
        "farther away on the other side at every step.",
    ),
    # ------------------------------------------------------------------ lesson 08
    "conv2d_backward_dx": (
        "Every output pixel came from one window of x: its gradient goes back to that same "
        "window, weighted by the kernel.",
        "Start from zeros of the shape of x; for every output position add the gradient "
        "there, times the kernel (summed over the filters), onto the window at row and "
        "column times the stride.",
        "With stride 2 the output (0, 1) came from the window starting at column 2, so its "
        "gradient lands on columns 2 to 4 of x.",
    ),
    "conv2d_backward_dkernel": (
        "A kernel tap meets a different input pixel in every window: its gradient adds the "
        "products over all of them.",
        "For every output position, take the window of x that produced it and add its "
        "product with the gradient of that output, summed over the batch.",
        "For a 1x1 kernel and one channel the gradient is the sum over all positions of x "
        "times the output gradient.",
    ),
    "conv2d_backward_dbias": (
        "The same bias was added at every position of every image.",
        "Every use of the bias contributes its full gradient: add up the output gradient "
        "over the batch and the positions, one number per filter.",
        "A batch of 2 images with 3x3 outputs: each filter's bias gradient adds 18 numbers.",
    ),
    "max_pool_backward": (
        "Only the maximum of a window influenced the output.",
        "Send each output's gradient to the position of its window's first maximum (row by "
        "row); overlapping windows add their contributions.",
        "A window holding 1, 5, 5, 2: the gradient goes to the first 5 only.",
    ),
    "softmax_cross_entropy_gradient": (
        "The gradient of the cross-entropy with respect to the logits is the softmax minus "
        "the one-hot target.",
        "The loss is the mean over the batch, so the gradient carries a factor 1/N; for "
        "large logits subtract each row's maximum before the exponential.",
        "Logits (0, 0) with true class 0 and N = 1: softmax (0.5, 0.5), gradient "
        "(-0.5, 0.5).",
    ),
    "adam_update": (
        "Update the running means first, then take the step.",
        "m and v start at zero, so early on they are too small: the bias correction divides "
        "by 1 - beta1^t and 1 - beta2^t, with t counting from 1.",
        "At t = 1 with m = v = 0 the corrected step is lr times g / (|g| + eps): about lr "
        "in the direction opposite to the gradient's sign.",
    ),
    "numerical_gradient": (
        "A partial derivative measures how f changes when one entry of x moves a little "
        "and all the others stay.",
        "Nudge one entry up by eps and down by eps, evaluate f at both points, divide the "
        "difference by the distance between them (2 eps), put the entry back; repeat for "
        "every entry, whatever the shape of x.",
        "For f(x) = x^2 at x = 3 with eps 0.1: (3.1^2 - 2.9^2) / 0.2 = 6.0 exactly, while "
        "the one-sided (3.1^2 - 9) / 0.1 = 6.1 is off by eps.",
    ),
    # ------------------------------------------------------------------ lesson 09
    "sgd_update": (
        "Every parameter takes one step against its own gradient.",
        "For each name in params: the new value is the old one minus the learning rate times "
        "the gradient of the same name; keep all the names, biases too.",
        "A weight 0.5 with gradient 2 and lr 0.1 becomes 0.3.",
    ),
    "q_untrained_loss": (
        "An untrained network has no reason to prefer any class: what probability does it "
        "give the true one?",
        "The cross-entropy is minus the natural log of that probability; with 4 classes it "
        "would be ln 4, about 1.39.",
    ),
    # ------------------------------------------------------------------ lesson 10
    "conv_params": (
        "A Conv2D layer has one kernel per filter, each covering all input channels, plus "
        "one bias per filter.",
        "Weights: kernel height times width times input channels, for every filter; add the "
        "biases only when bias is on.",
        "A 3x3 convolution from 2 to 4 channels: 3 * 3 * 2 * 4 = 72 weights and 4 biases.",
    ),
    "dense_params": (
        "Every input connects to every unit, and each unit has a bias.",
        "Weights: inputs times units; add one bias per unit when bias is on.",
        "10 inputs and 3 units: 30 weights and 3 biases, 33.",
    ),
    "bn_params": (
        "BatchNormalization keeps some numbers per channel: count all of them, trainable or "
        "not.",
        "Two are learnt (a scale and a shift) and two are running statistics updated during "
        "training (a mean and a variance).",
        "A layer on 8 channels: 16 trainable numbers and 16 more statistics.",
    ),
    # ------------------------------------------------------------------ lesson 11
    "receptive_field": (
        "Each layer widens the receptive field by (k - 1) steps of the current jump, the "
        "distance in input pixels between two neighbouring positions.",
        "Keep two running numbers, the field size and the jump; the stride of a layer "
        "multiplies the jump for the layers *after* it.",
        "Two 3x3 convolutions with stride 1: 3, then 5. A stride-2 pool (k = 2) in between "
        "makes the second convolution add 2 * 2 = 4.",
    ),
    # ------------------------------------------------------------------ lesson 12
    "confusion_matrix": (
        "Row = the true class, column = the predicted class; each image adds one to one "
        "cell.",
        "Start from a K by K matrix of zeros, K being num_classes (a class may never occur), "
        "and count every (true, predicted) pair.",
        "True labels (0, 1) predicted as (0, 0): one count at row 0, column 0, and one at "
        "row 1, column 0.",
    ),
    "confused_pair": (
        "A pair is confused in both directions: an a taken for a b, and a b taken for an a.",
        "Add the matrix and its transpose, leave out the diagonal (those are right answers), "
        "find the largest entry; give the smaller index first.",
        "9 images of class 2 taken for 5 and none the other way, 6 of class 3 taken for 8 and "
        "6 the other way: the pair (3, 8) totals 12 and beats (2, 5) with 9.",
    ),
    "q_majority_accuracy": (
        "A classifier that always answers the same digit is right exactly for the images of "
        "that digit.",
        "Count the test labels of each digit and take the largest share: the ten digits are "
        "not equally frequent.",
    ),
    # ------------------------------------------------------------------ lesson 14
    "cbapd_block": (
        "The order is the name: Convolution, Batch normalisation, Activation, Pooling, "
        "Dropout.",
        "The convolution has no activation of its own and keeps the size ('same'); the ReLU "
        "comes after the normalisation, as a layer of its own.",
        "Five layers in a row, each applied to the tensor the previous one gave.",
    ),
    "worst_class": (
        "The worst class is the one whose images are most often misclassified: compare the "
        "recall of each class.",
        "The recall of a class is its diagonal count divided by its row sum (all its "
        "images); take the class where it is lowest.",
        "Rows (8, 2) and (1, 9): recalls 0.8 and 0.9, so class 0 is the worst.",
    ),
    "most_confused": (
        "The most frequent mistake is the largest count off the diagonal.",
        "Leave the diagonal out (right answers), find the largest entry and give its row "
        "(true class) and column (predicted class).",
        "In rows (5, 3, 0), (1, 6, 4), (0, 0, 7) the largest mistake is 4: true 1, "
        "predicted 2.",
    ),
    # ------------------------------------------------------------------ lesson 18
    "inception_block": (
        "Four branches see the same input and are joined along the channel axis.",
        "Branch by branch: a 1x1; a 1x1 then a 3x3; a 1x1 then a 5x5; a 3x3 max pool then a "
        "1x1. Every layer keeps the size; the stride belongs to the first layer of each "
        "branch.",
        "With 64 channels per branch the block gives 256 channels, concatenated on the last "
        "axis.",
    ),
    # ------------------------------------------------------------------ lesson 19
    "residual_block": (
        "The block adds its input back: the output is the ReLU of F of x plus the shortcut "
        "of x.",
        "F is conv-BN-ReLU-conv-BN with the stride on the first convolution; when the shape "
        "changes the shortcut is a 1x1 convolution with that stride, followed by BN.",
        "From 32 to 64 channels with stride 2: the shortcut must bring x to the same 64 "
        "channels and half the size before the addition.",
    ),
    # ------------------------------------------------------------------ lesson 20
    "grad_cam_weights": (
        "Grad-CAM weighs each feature map by how much the class score depends on it, on "
        "average.",
        "Average the gradient of the score over the spatial positions of each channel: one "
        "weight per channel.",
        "Gradients of a 2x2 map holding 1, 2, 3, 2 give that channel the weight 2.",
    ),
    "occlusion_map": (
        "Occlusion measures how much the score drops when a patch of the image is hidden.",
        "For every patch position: the score without occlusion minus the score with that "
        "patch hidden; a large drop means an important region.",
        "A base score 0.9 and 0.3 with the patch hidden: that position gets 0.6.",
    ),
    # ------------------------------------------------------------------ lesson 21
    "im2col": (
        "im2col turns every window into one row of a matrix, so that the whole convolution "
        "becomes one matrix product.",
        "List the windows row by row; unroll each in the order the kernel is reshaped: the "
        "window's rows, then its columns, then the channels.",
        "A 3x3 image and 2x2 windows: 4 rows (windows at (0, 0), (0, 1), (1, 0), (1, 1)) of "
        "4 numbers per channel.",
    ),
    "q_im2col_shape": (
        "One row per window, one column per number in a window.",
        "A 10x10x3 image and 5x5 windows: 6 * 6 = 36 windows of 5 * 5 * 3 = 75 numbers, so "
        "(36, 75).",
    ),
    "q_speedup": (
        "Both versions do the same multiply-adds; what differs is who runs the loop: "
        "Python, one value at a time, or compiled matrix code.",
        "A Python loop step costs tens of nanoseconds of overhead, a multiply-add inside a "
        "matrix product a fraction of a nanosecond; look at BENCHMARKS.md for the measured "
        "ratio.",
    ),
}

_LEVELS: dict[str, int] = {}   # hints shown so far, per check id, in this kernel


def all_hints() -> dict[str, tuple[str, ...]]:
    """The hints of every check: :data:`HINTS` and the ``HINTS`` of the topic modules."""
    from . import registry  # noqa: F401  (imports every topic module)

    gathered = dict(HINTS)
    for name, module in list(sys.modules.items()):
        extra = getattr(module, "HINTS", None) if name.startswith("cnn_course.checks.") else None
        if isinstance(extra, dict) and extra is not HINTS:
            gathered.update(extra)
    return gathered


def hint(check_id: str | None = None) -> str:
    """Print (and give back) the next hint for ``check_id``, one level more at every call.

    Parameters
    ----------
    check_id : str, optional
        The check's id (its check cell's metadata, e.g. ``"pad2d"``); without it, the ids
        that have hints are listed.

    Returns
    -------
    str
        The text printed: ``"Hint 2/3 for pad2d: ..."``; after the last level the last hint
        again, marked as the last.

    Raises
    ------
    ValueError
        For an id without hints.
    """
    hints = all_hints()
    if check_id is None:
        text = "Hints exist for: " + ", ".join(sorted(hints))
        print(text)
        return text
    if not isinstance(check_id, str) or check_id not in hints:
        raise ValueError(f"check_id must be one of the checks with hints "
                         f"({', '.join(sorted(hints))}), got {check_id!r}")
    levels = hints[check_id]
    level = min(_LEVELS.get(check_id, 0), len(levels) - 1)
    _LEVELS[check_id] = level + 1
    text = f"Hint {level + 1}/{len(levels)} for {check_id}: {levels[level]}"
    if level == len(levels) - 1:
        text += "\n(That is the last hint: compare it with your code line by line.)"
    print(text)
    return text


def reset_hints(check_id: str | None = None) -> None:
    """Start the hints of ``check_id`` (of every check when ``None``) from level 1 again."""
    if check_id is None:
        _LEVELS.clear()
    else:
        _LEVELS.pop(check_id, None)


def hint_pointer(check_id: str) -> str:
    """The line a failing check adds: where to get the next hint (empty without hints)."""
    if check_id not in all_hints():
        return ""
    return f"More help, one step at a time: cc.hint({check_id!r})"
