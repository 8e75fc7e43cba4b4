"""Questions the student answers in a variable: predict-then-run, numbers, multiple choice.

A question is a check whose answer is not a function but a *value* the student writes in a
variable, typically *before* the cell that measures it (predict, then run)::

    w_after_step = None                              # your answer (a number)
    ...                                              # the cell that measures it
    check_answer("q_gd_step", w_after_step)          # graded check cell

The probe (kind ``"value"`` of :mod:`cnn_course.checks.probe`) only reads the variable and
serialises it strictly; the right answer lives here, on the grader's side, and is computed
with the course's reference implementations where there is one. Three kinds:

- ``"number"``: right within ``tolerance`` (absolute) or ``rel_tolerance`` (relative);
- ``"choice"``: a letter among ``options`` (``"b"``, ``"B"``, ``"B)"`` are the same answer);
- ``"shape"``: a tuple of ints.

A wrong answer gets what it is, when it is a typical mistake ("0.3: the factor 2 of the
derivative of (w - 3)^2 is missing"), then the explanation of the right answer. ``None``
(unanswered) gets only "answer missing", never the answer.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # the judges import .judging when they run
    from .judging import Verdict

__all__ = ["Question", "QUESTIONS", "CASES", "JUDGES", "FORBIDDEN", "HINTS", "check_answer",
           "normalise_choice"]


@dataclass(frozen=True)
class Question:
    """One question: its kind, how the grader gets the right answer, and what to say."""

    id: str
    kind: str                                  # "number", "choice" or "shape"
    answer: Callable[[], Any]                  # called in the grader's process
    explanation: str                           # why the right answer is right (names it)
    tolerance: float = 0.0                     # absolute, for numbers
    rel_tolerance: float = 0.0                 # relative, for numbers
    options: tuple[str, ...] = ()              # letters, for choices
    mistakes: tuple[tuple[Any, str], ...] = field(default=())   # (wrong answer, what it means)


def normalise_choice(text: str) -> str:
    """``" b) "`` -> ``"B"``: a chosen option's letter, upper case, without brackets or dots."""
    return text.strip().rstrip(").:").lstrip("(").strip().upper()


# --------------------------------------------------------------------------- right answers
def _image_numbers() -> int:
    return 32 * 32 * 3


def _sigmoid_chain() -> float:
    from ..activations import sigmoid_derivative
    return float(sigmoid_derivative(0.0)) ** 5


def _gd_step() -> float:
    w, lr = 0.0, 0.1
    return w - lr * 2 * (w - 3.0)            # d/dw (w - 3)^2 = 2 (w - 3)


def _untrained_loss() -> float:
    import numpy as np

    from ..losses import cross_entropy
    return float(cross_entropy(np.full((1, 10), 0.1), np.array([3])))


def _im2col_shape() -> tuple[int, int]:
    from ..padding import output_size
    side = output_size(28, 3, 1, "valid")
    return (side * side, 3 * 3 * 16)


QUESTIONS: dict[str, Question] = {q.id: q for q in [
    Question("q_image_numbers", "number", _image_numbers,
             "a 32x32 colour image has 32 * 32 = 1024 pixels and every pixel holds 3 numbers "
             "(red, green, blue): 1024 * 3 = 3072 numbers - the length of the vector a dense "
             "layer would see",
             mistakes=((1024, "that is the number of pixels, one number each: a colour pixel "
                              "holds three"),
                       (96, "that is 32 * 3: count the rows too"),
                       (3, "that is the number of channels of one pixel"))),
    Question("q_keras_flip", "choice", lambda: "B",
             "B: Keras' Conv2D (like every deep-learning library) computes a cross-correlation: "
             "the kernel slides over the image as it is, without the 180-degree flip of the "
             "mathematical convolution. Since the kernel is learnt, a flip would only learn the "
             "flipped kernel",
             options=("A", "B", "C", "D"),
             mistakes=(("A", "the flip belongs to the mathematical convolution; the layer "
                             "called Conv2D does not flip"),
                       ("C", "nothing is flipped, neither the image nor the kernel"),
                       ("D", "padding changes the output size, not whether the kernel is "
                             "flipped"))),
    Question("q_sigmoid_chain", "number", _sigmoid_chain,
             "sigmoid'(z) = s(1 - s) is largest at z = 0, where it is 0.25; the chain rule "
             "multiplies one such factor per layer, so at best 0.25^5 = 0.00098 of the "
             "gradient is left after 5 layers (less when any unit is saturated)",
             rel_tolerance=0.05,
             mistakes=((0.25, "that is one layer: the chain rule multiplies a factor per "
                              "layer"),
                       (1.25, "the factors of the layers multiply, they do not add"),
                       (0.03125, "0.5 is sigmoid(0), not its derivative"))),
    Question("q_gd_step", "number", _gd_step,
             "the gradient of (w - 3)^2 is 2(w - 3) = -6 at w = 0; one step goes against it: "
             "w = 0 - 0.1 * (-6) = 0.6",
             tolerance=1e-6,
             mistakes=((-0.6, "the step went along the gradient (uphill): subtract lr times "
                              "the gradient"),
                       (0.3, "the factor 2 of the derivative of (w - 3)^2 is missing"),
                       (6.0, "the learning rate scales the step"),
                       (3.0, "one step does not jump to the minimum: it moves by lr times "
                             "the gradient"))),
    Question("q_learning_rate", "choice", lambda: "B",
             "B: a loss that jumps up and down and then grows to nan means every step "
             "overshoots the minimum by more than it was away: the learning rate is too large "
             "(divide it by 10). Too small a rate gives a loss that falls slowly but steadily",
             options=("A", "B", "C", "D"),
             mistakes=(("A", "too small a rate makes the loss fall slowly, it never makes "
                             "it grow"),
                       ("C", "more epochs of a diverging run only diverge further"),
                       ("D", "the batch size changes the noise of the steps, not whether "
                             "they overshoot this much"))),
    Question("q_untrained_loss", "number", _untrained_loss,
             "an untrained network gives each of the 10 classes about 1/10, so the "
             "cross-entropy is -ln(1/10) = ln 10 = 2.30; a first loss far from that means the "
             "initialisation or the loss is wrong",
             tolerance=0.05,
             mistakes=((0.1, "that is the probability of the true class, the loss is minus "
                             "its natural log"),
                       (1.0, "cross-entropy uses the natural log, not log10"),
                       (0.0, "a loss of 0 means every answer is certain and right"))),
    Question("q_majority_accuracy", "number", lambda: 1135 / 10000,
             "the most frequent digit of MNIST's test set is 1 (1,135 of the 10,000 images), "
             "so always answering 1 is right 11.35% of the time: the baseline a digit "
             "classifier must beat",
             tolerance=0.005,
             mistakes=((0.1, "that assumes the ten digits are equally frequent; count them"),
                       (11.35, "give the accuracy as a fraction between 0 and 1"),
                       (0.5, "ten classes, not two"))),
    Question("q_im2col_shape", "shape", _im2col_shape,
             "a 3x3 window fits 28 - 3 + 1 = 26 times per axis, so there are 26 * 26 = 676 "
             "windows (rows), each unrolled into 3 * 3 * 16 = 144 numbers (columns): "
             "(676, 144)",
             mistakes=(((144, 676), "rows and columns swapped: one row per window"),
                       ((784, 144), "that is 'same' padding; the windows here are 'valid'"),
                       ((676, 9), "every window has 16 channels: 3 * 3 * 16 numbers"),
                       ((26, 26, 144), "im2col is a 2-D matrix: one row per window"))),
    Question("q_folder_split", "number", lambda: 90,
             "3 classes * 40 images = 120 images; validation_split=0.25 keeps a quarter, 30, "
             "for validation, so 90 are left to train on",
             tolerance=0,
             mistakes=((120, "validation_split takes its share out of the same folder: the "
                             "training set is what is left"),
                       (30, "that is the validation set: 0.25 of the images"),
                       (40, "count every class folder: each one is a class of 40 images"))),
    Question("q_augment_gap", "choice", lambda: "B",
             "B: augmentation shows the network a slightly different version of each training "
             "image every epoch, so it cannot memorise them; training accuracy (measured on "
             "the clean images) rises more slowly and validation accuracy catches up: the gap "
             "narrows. Whether test accuracy also rises depends on the budget - the lesson "
             "measures both",
             options=("A", "B", "C", "D"),
             mistakes=(("A", "memorising gets harder, not easier, when every epoch sees "
                             "changed images"),
                       ("C", "it changes what the network sees every epoch, so it changes how "
                             "fast it can memorise"),
                       ("D", "augmentation is applied to the training images only; the "
                             "validation images are left as they are"))),
    Question("q_flip_digits", "choice", lambda: "B",
             "B: a mirrored 2, 3, 4, 5, 7 or 9 is not that digit (and no digit at all), so a "
             "horizontal flip would teach the network wrong labels. Flips suit photos of "
             "objects that look the same mirrored (cats, cars, clothes); small shifts and "
             "rotations suit digits",
             options=("A", "B", "C"),
             mistakes=(("A", "a mirrored 3 or 7 is no longer the digit its label says"),
                       ("C", "it matters: for most digits the mirror image has another meaning "
                             "or none"))),
    Question("q_speedup", "choice", lambda: "C",
             "C: the naive loops run one Python step per output value and kernel tap; im2col "
             "+ one matrix product hands all of them to optimised BLAS code. BENCHMARKS.md "
             "measured 400x to 1700x for a 64x64 image and a 3x3 kernel",
             options=("A", "B", "C", "D"),
             mistakes=(("A", "both compute the same sums, but one runs them in Python, one in "
                             "compiled matrix code"),
                       ("B", "Python's interpreter costs far more than a factor 10 against "
                             "BLAS"),
                       ("D", "the work (multiply-adds) is the same; only the overhead per "
                             "value goes away"))),
]}


# --------------------------------------------------------------------------- lesson facts
# The facts lessons 01-06, 11-14, 20 and 21 used to assert in their closing cells, asked
# instead (issue 15): the lesson keeps only what its run measured ("What this run showed").
def _uint8_wrap() -> int:
    import numpy as np
    return int((np.array([200], dtype=np.uint8) + np.uint8(100))[0])


def _step_nonzero() -> int:
    import numpy as np

    from ..conv import conv2d
    row = np.array([[0, 0, 0, 0, 1, 1, 1, 1]], dtype=float)
    return int(np.count_nonzero(conv2d(row, np.array([[1.0, 0.0, -1.0]]))))


def _side(n: int, k: int, stride: int = 1, dilation: int = 1) -> int:
    from ..padding import output_size
    return output_size(n, k, stride, "valid", dilation)


def _same_even() -> tuple[int, int]:
    from ..padding import same_padding
    return tuple(same_padding(10, 2))


def _sobel_peak() -> float:
    import numpy as np

    from ..filters import apply_filter, sobel_x
    step = np.repeat(np.r_[np.zeros(5), np.ones(5)][None, :], 10, axis=0)
    return float(apply_filter(step, sobel_x(), padding="valid").max())


def _leaky() -> float:
    import numpy as np

    from ..activations import leaky_relu
    return float(leaky_relu(np.array(-2.0), alpha=0.1))


def _rf_two_convs() -> int:
    from ..receptive_field import receptive_field_size
    return receptive_field_size([(3, 1), (2, 2), (3, 1)])


def _pool2_shape() -> tuple[int, int, int]:
    side = 28
    for _ in range(2):                                   # 'same' conv keeps it, pool halves it
        side = _side(side, 2, 2)
    return (side, side, 32)


def _dense_params() -> int:
    return (7 * 7 * 32 + 1) * 128


def _conv_macs() -> int:
    side = _side(32, 3)
    return side * side * 8 * 3 * 3 * 3


QUESTIONS.update({q.id: q for q in [
    # lesson 01
    Question("q_uint8_wrap", "number", _uint8_wrap,
             "a uint8 holds 0..255 and NumPy keeps the type, so 200 + 100 = 300 wraps around "
             "modulo 256 to 300 - 256 = 44: a bright pixel brightened turns dark. Convert to "
             "float first, then clip",
             mistakes=((300, "a uint8 cannot hold 300: NumPy does not widen the type, the sum "
                             "wraps around modulo 256"),
                       (255, "NumPy does not clip (saturate) uint8 sums, it wraps around"),
                       (0, "the sum does not reset to 0: it wraps around by 256"))),
    Question("q_joint_cells", "number", lambda: 8 ** 3,
             "a joint histogram counts colour combinations (red bin, green bin, blue bin): "
             "8 * 8 * 8 = 512 cells, where the per-channel histograms have 3 rows of 8",
             mistakes=((24, "3 rows of 8 bins is the per-channel histogram; the joint one "
                            "counts combinations of the three bins"),
                       (256, "that is the number of values of one uint8 channel"),
                       (64, "that is 4 bins per channel, as in the lesson; here there are 8"),
                       (8, "that is one channel's bins"))),
    Question("q_shuffle_histogram", "choice", lambda: "C",
             "C: a histogram counts how many pixels have each colour and never looks at where "
             "they are; shuffling moves pixels without changing any of them, so every count "
             "stays exactly the same (which is why colour features miss shapes)",
             options=("A", "B", "C"),
             mistakes=(("A", "the shuffled photo looks like noise, but it holds the very same "
                             "pixel values"),
                       ("B", "nothing is approximated: the same values are counted, only in "
                             "another order"))),
    # lesson 02
    Question("q_valid_side", "shape", lambda: (_side(512, 7),) * 2,
             "without padding a 7x7 window fits 512 - 7 + 1 = 506 times per axis (the first "
             "window starts at 0, the last at 505): the output is (506, 506)",
             mistakes=(((512, 512), "without padding the window cannot be centred on the "
                                    "border pixels: the output shrinks"),
                       ((505, 505), "n - k counts the steps between the first and the last "
                                    "window; the windows are one more"),
                       ((518, 518), "the output shrinks by k - 1, it does not grow"))),
    Question("q_step_nonzero", "number", _step_nonzero,
             "[1, 0, -1] compares pixels two apart; only a window whose two outer pixels lie "
             "on different sides of the step sees a difference. Two of the six windows "
             "straddle it, the others give 0 - 0 or 1 - 1",
             mistakes=((1, "that is the neighbour kernel [1, -1]: with a gap of two pixels, "
                           "more than one window straddles the step"),
                       (6, "a window over a flat part gives 1 - 1 or 0 - 0 = 0"),
                       (8, "a 3-wide window fits only 8 - 3 + 1 = 6 times"))),
    # lesson 03
    Question("q_stride_fit", "number", lambda: _side(8, 3, 2),
             "windows start at 0, 2 and 4; one at 6 would need pixels 6, 7, 8 and pixel 8 does "
             "not exist: floor((8 - 3) / 2) + 1 = 3, the last column is dropped",
             mistakes=((4, "a window at position 6 would need a ninth pixel: the floor drops "
                           "it"),
                       (3.5, "a partial window is not computed: the formula takes the floor"),
                       (6, "the stride 2 skips every other position"))),
    Question("q_same_even", "shape", _same_even,
             "'same' with stride 1 needs k - 1 = 1 zero in all for an even kernel; TensorFlow "
             "and Keras put the odd one at the end (bottom/right): (0, 1)",
             mistakes=(((1, 0), "the extra zero goes at the end (bottom/right) in TensorFlow "
                                "and Keras"),
                       ((1, 1), "two zeros would make the output one longer than the input"),
                       ((0, 0), "without padding the output is n - k + 1 = 9, not 10"))),
    Question("q_dilated_side", "number", lambda: _side(9, 3, 1, 2),
             "dilation 2 puts a gap between the taps: the 3 taps span 1 + (3 - 1) * 2 = 5 "
             "pixels, so the window fits 9 - 5 + 1 = 5 times",
             mistakes=((7, "that ignores the dilation: the dilated kernel spans 5 pixels, "
                           "not 3"),
                       (3, "the stride is still 1: only the span of the window grows"),
                       (4, "n - k + 1 with the spanned size: the +1 is missing"))),
    # lesson 04
    Question("q_kernel_sums", "choice", lambda: "B",
             "B: on a flat region every pixel equals c and a kernel answers c times the sum of "
             "its entries; a blur must keep the brightness (sum 1), an edge detector must "
             "answer 0 where there is no edge (sum 0)",
             options=("A", "B", "C", "D"),
             mistakes=(("A", "an edge kernel summing to 1 would answer on flat regions, where "
                             "there is no edge"),
                       ("C", "the two are swapped"),
                       ("D", "a blur summing to 0 would turn every flat region black"))),
    Question("q_sobel_peak", "number", _sobel_peak,
             "Sobel x weighs the right column minus the left one with 1, 2, 1 down the rows; "
             "where the step is under the window all three rows see 1 - 0: 1 + 2 + 1 = 4",
             tolerance=1e-9,
             mistakes=((1, "all three rows of the kernel see the step: add their weights"),
                       (2, "the outer rows see the step too: 1 + 2 + 1"),
                       (3, "the middle row of Sobel weighs 2, not 1"))),
    # lesson 05
    Question("q_overlap_pool", "number", lambda: _side(55, 3, 2),
             "a 3x3 window with stride 2 starts at 0, 2, ..., 52: floor((55 - 3) / 2) + 1 = 27 "
             "(AlexNet's overlapping pooling)",
             mistakes=((26, "the +1 counts the first window, at position 0"),
                       (28, "the last window would start at 54 and need pixels up to 56: the "
                            "floor drops it"),
                       (18, "the stride is 2, not 3: the windows overlap by one pixel"))),
    Question("q_pool_order", "choice", lambda: "A",
             "A: the root mean square weighs large values more than the plain mean, so it is "
             "never below it, and no mean of the values exceeds the largest one: "
             "average <= L2 <= max, equal only when the window is constant",
             options=("A", "B", "C", "D"),
             mistakes=(("B", "squaring before averaging favours the large values: the root "
                             "mean square is never below the mean"),
                       ("C", "no entry exceeds the maximum, so neither does their root mean "
                             "square"),
                       ("D", "they are equal only when every value of the window is the "
                             "same"))),
    # lesson 06
    Question("q_softmax_shift", "choice", lambda: "A",
             "A: softmax(z + c) = softmax(z) because e^(z + c) = e^c e^z and e^c cancels in the "
             "division; the stable softmax uses this and subtracts the largest logit first, "
             "so 1000 never reaches exp",
             options=("A", "B", "C"),
             mistakes=(("B", "the stable softmax subtracts the largest logit before exp, so "
                             "nothing overflows"),
                       ("C", "only the differences between the logits matter, and they are "
                             "the same"))),
    Question("q_leaky_value", "number", _leaky,
             "leaky ReLU keeps z for z > 0 and alpha * z below: 0.1 * (-2) = -0.2, so a "
             "negative unit still passes a small gradient (alpha)",
             tolerance=1e-9,
             mistakes=((0, "that is plain ReLU: the leaky one keeps alpha * z for negative z"),
                       (-2, "below zero the input is scaled by alpha"),
                       (0.2, "the sign stays: alpha * z of a negative z is negative"))),
    # lesson 11
    Question("q_kernel_shape", "shape", lambda: (3, 3, 1, 64),
             "Keras stores a Conv2D kernel as (height, width, input channels, filters): one "
             "3x3 slice per input channel for each of the 64 filters, (3, 3, 1, 64)",
             mistakes=(((64, 3, 3, 1), "Keras puts the filters last: (height, width, input "
                                       "channels, filters)"),
                       ((3, 3, 64), "a kernel has an axis for the input channels too (1 here)"),
                       ((3, 3, 64, 1), "input channels come before the filters"))),
    Question("q_rf_after_pool", "number", _rf_two_convs,
             "r grows by (k - 1) * j, where the jump j is the product of the strides so far: "
             "conv 3 (j = 1), pool 2 adds 1 (now j = 2), conv 3 adds 2 * 2 = 4: 3 + 1 + 4 = 8",
             mistakes=((6, "after the stride-2 pool one step of the kernel covers 2 input "
                           "pixels: the second conv adds (3 - 1) * 2"),
                       (7, "the pool widens the field too, by (2 - 1) * 1, and the second "
                           "conv's steps are 2 pixels apart"),
                       (5, "count the pooling layer: it widens the receptive field too"))),
    # lesson 12
    Question("q_pool2_shape", "shape", _pool2_shape,
             "'same' convolutions keep 28x28; each 2x2 pooling halves it: 28 -> 14 -> 7; the "
             "channels are the last convolution's 32 filters: (7, 7, 32)",
             mistakes=(((5, 5, 32), "'same' convolutions keep the size: only the poolings "
                                    "shrink it"),
                       ((14, 14, 32), "there are two poolings, each halves the size"),
                       ((7, 7, 16), "the channels are the filters of the last convolution"))),
    Question("q_dense_params", "number", _dense_params,
             "Flatten gives 7 * 7 * 32 = 1568 inputs; each of the 128 units has one weight per "
             "input and one bias: (1568 + 1) * 128 = 200,832 - most of the network's "
             "parameters",
             mistakes=((200704, "each of the 128 units has a bias too"),
                       (1568, "that is the number of inputs of each unit"),
                       (4096, "flatten keeps every number of the maps: 7 * 7 * 32 inputs"))),
    # lesson 13
    Question("q_augment_params", "choice", lambda: "B",
             "B: RandomFlip, RandomRotation and the like draw a new random transformation at "
             "every training step and learn nothing, so they add no parameters (and do "
             "nothing at inference)",
             options=("A", "B", "C"),
             mistakes=(("A", "augmentation layers draw random transformations, they have no "
                             "weights to learn"),
                       ("C", "adding layers cannot remove the model's weights"))),
    Question("q_class_order", "choice", lambda: "B",
             "B: Keras sorts the sub-folder names alphabetically and numbers them from 0, so "
             "the labels are the same on every machine, whatever order the folders were "
             "made or listed in: ants 0, cats 1, zebras 2",
             options=("A", "B", "C"),
             mistakes=(("A", "the order in which the folders were made is not kept"),
                       ("C", "the names are sorted, so that the labels do not depend on the "
                             "file system"))),
    # lesson 14
    Question("q_dropout_scale", "number", lambda: 1 / (1 - 0.2),
             "in training Dropout(0.2) zeroes about 20 % of the entries and divides the kept "
             "ones by 1 - 0.2 = 0.8, so a 1 becomes 1.25 and the expected value stays 1; at "
             "inference it does nothing",
             tolerance=1e-6,
             mistakes=((1.0, "Keras scales the kept entries up, so the expected sum stays "
                             "the same"),
                       (0.8, "the kept entries are divided by the keep probability, not "
                             "multiplied"),
                       (0.0, "only the dropped entries are 0"))),
    Question("q_bn_frozen", "number", lambda: 2 * 6,
             "BatchNormalization keeps 4 numbers per channel: gamma and beta are learnt by "
             "gradient descent, the running mean and variance are updated by averaging, not "
             "by gradients, so Keras counts them as non-trainable: 2 * 6 = 12",
             mistakes=((24, "gamma and beta are trainable: only the running statistics are "
                            "not"),
                       (6, "two running statistics per channel: the mean and the variance"),
                       (0, "the running mean and variance are not learnt by gradients: Keras "
                           "counts them as non-trainable"))),
    Question("q_bn_inference", "choice", lambda: "B",
             "B: in training BN normalises with the batch's mean and variance and updates "
             "running averages of them; at inference it uses those averages, so a prediction "
             "does not depend on the other images of the batch",
             options=("A", "B", "C"),
             mistakes=(("A", "with the batch's statistics, one image's prediction would "
                             "depend on the other images of its batch"),
                       ("C", "the layer still normalises, and still applies gamma and "
                             "beta"))),
    # lesson 20
    Question("q_fgsm_change", "choice", lambda: "B",
             "B: FGSM moves every pixel by epsilon times the sign of its gradient, +-epsilon, "
             "whatever the gradient's size; clipping to [0, 1] can only make a change "
             "smaller: at most epsilon",
             options=("A", "B", "C"),
             mistakes=(("A", "sign() keeps only the direction of the gradient: its size is "
                             "thrown away"),
                       ("C", "the change comes from the gradient's sign, not the pixel's "
                             "brightness"))),
    Question("q_gradcam_layer", "choice", lambda: "B",
             "B: the last convolutional layer holds the most class-specific features that "
             "still have positions; the dense layers after it have no spatial layout left, "
             "the early layers see only edges",
             options=("A", "B", "C"),
             mistakes=(("A", "the last conv layer has the coarsest maps, not the finest"),
                       ("C", "the number of channels is not the reason: they are averaged "
                             "with their weights anyway"))),
    # lesson 21
    Question("q_conv_macs", "number", _conv_macs,
             "'valid' 3x3 on 32x32 gives 30x30 outputs per filter; each output of each of "
             "the 8 filters is 3 * 3 * 3 = 27 multiply-adds: 30 * 30 * 8 * 27 = 194,400",
             mistakes=((221184, "'valid' gives 30x30 outputs, not 32x32"),
                       (24300, "each of the 8 filters computes its own outputs"),
                       (64800, "each tap reads all 3 input channels: 3 * 3 * 3 per output"))),
]})

HINTS: dict[str, tuple[str, ...]] = {
    "q_uint8_wrap": (
        "How many different values does an 8-bit unsigned integer hold?",
        "A sum that passes the largest value starts again from 0: 250 + 10 gives 4.",
    ),
    "q_joint_cells": (
        "A joint histogram has one cell per combination of a red bin, a green bin and a "
        "blue bin.",
        "With 3 bins per channel there are 3 * 3 * 3 = 27 combinations.",
    ),
    "q_shuffle_histogram": (
        "Does a histogram look at where a pixel is, or only at its value?",
        "Shuffling changes positions; which values are present, and how often, stays.",
    ),
    "q_valid_side": (
        "Count where the first and the last window can start without leaving the image.",
        "A 3-wide window on 10 pixels starts at 0, 1, ..., 7: eight positions.",
    ),
    "q_step_nonzero": (
        "Slide the kernel along the row: which windows hold a 0 on the left end and a 1 on "
        "the right end?",
        "With [1, 0, -1] the middle pixel does not count; only the two outer ones are "
        "compared.",
    ),
    "q_stride_fit": (
        "List the positions where a window starts, stepping by the stride, as long as the "
        "whole window fits.",
        "On 9 pixels a 3-wide window with stride 3 starts at 0, 3 and 6: three outputs.",
    ),
    "q_same_even": (
        "'same' with stride 1 needs k - 1 zeros in all to keep the size.",
        "One zero cannot be split in two: TensorFlow puts the odd one after the image.",
    ),
    "q_dilated_side": (
        "Dilation d puts d - 1 gaps between the taps: first find how many pixels the window "
        "spans.",
        "A 3-tap kernel with dilation 3 spans 1 + 2 * 3 = 7 pixels; then n minus span plus 1.",
    ),
    "q_kernel_sums": (
        "Put the kernel on a flat region where every pixel equals c: what does it answer?",
        "The answer is c times the sum of the entries: what should a blur answer there, and "
        "an edge detector?",
    ),
    "q_sobel_peak": (
        "Write Sobel x's three rows and put the window where the step runs through it.",
        "Each row contributes its weight times (right pixel minus left pixel).",
    ),
    "q_overlap_pool": (
        "Pooling windows fit like convolution windows: floor((n - k) / s) + 1.",
        "A 3-wide window with stride 2 on 11 pixels starts at 0, 2, 4, 6, 8: five outputs.",
    ),
    "q_pool_order": (
        "Try a window with the values 0 and 2: compute the mean, the root mean square and "
        "the maximum.",
        "Squaring before averaging gives large values more weight.",
    ),
    "q_softmax_shift": (
        "Add the same number c to every logit: what happens to each e^z, and to their sum?",
        "The factor e^c appears above and below the division.",
    ),
    "q_leaky_value": (
        "Leaky ReLU differs from ReLU only for negative inputs.",
        "Below zero it multiplies the input by alpha: with alpha 0.5, -4 gives -2.",
    ),
    "q_kernel_shape": (
        "A Keras kernel has four axes: the window's two, then the channels it reads, then "
        "the filters it makes.",
        "A layer of 8 filters of 5x5 on an RGB input has a kernel of 5 by 5 by 3 by 8.",
    ),
    "q_rf_after_pool": (
        "Track two numbers layer by layer: the receptive field r and the jump j.",
        "Each layer adds (k - 1) times the current jump to r, then multiplies j by its "
        "stride.",
    ),
    "q_pool2_shape": (
        "Which layers change the height and width here, and which change the channels?",
        "'same' convolutions keep the size, each 2x2 pooling halves it, the last "
        "convolution's filters are the channels.",
    ),
    "q_dense_params": (
        "A dense unit has one weight per input number and a bias.",
        "Count the inputs after Flatten first: height times width times channels.",
    ),
    "q_augment_params": (
        "Does a random flip have anything to learn?",
        "Parameters are the numbers gradient descent changes.",
    ),
    "q_class_order": (
        "Keras must give the same label to the same folder on every computer.",
        "What order can every computer agree on, whatever the file system lists?",
    ),
    "q_dropout_scale": (
        "Keras wants the expected value of each entry to be the same in training and at "
        "inference.",
        "If a fraction p is zeroed, the kept ones must be scaled so that the average stays: "
        "with p = 0.5 a kept 1 becomes 2.",
    ),
    "q_bn_frozen": (
        "A BatchNormalization layer keeps four numbers per channel; which are learnt by "
        "gradient descent?",
        "The running mean and variance are updated by averaging, not by gradients.",
    ),
    "q_bn_inference": (
        "At inference one image may come alone: what batch statistics would it have?",
        "During training the layer keeps moving averages for a reason.",
    ),
    "q_fgsm_change": (
        "What does the sign function keep of a gradient, and what does it throw away?",
        "Every pixel is moved by epsilon up or down, then clipped to the valid range.",
    ),
    "q_gradcam_layer": (
        "Grad-CAM needs maps that still have positions, and features that mean something "
        "about the class.",
        "Early layers see edges; dense layers have no positions left.",
    ),
    "q_conv_macs": (
        "Count the outputs first (per filter, then all filters), then the multiply-adds per "
        "output.",
        "One output of a 3x3 filter on 3 channels is 3 * 3 * 3 products added up.",
    ),
}


# --------------------------------------------------------------------------- judging
def _number(value: Any) -> float | None:
    return float(value) if type(value) in (int, float) else None


def _same(kind: str, value: Any, target: Any, q: Question) -> bool:
    if kind == "number":
        number, goal = _number(value), float(target)
        if number is None or not math.isfinite(number):
            return False
        return abs(number - goal) <= max(q.tolerance, q.rel_tolerance * abs(goal), 1e-12)
    if kind == "choice":
        return isinstance(value, str) and normalise_choice(value) == target
    return isinstance(value, list) and [v for v in value] == list(target)


def _wrong_kind(q: Question, value: Any) -> str | None:
    if q.kind == "number" and _number(value) is None:
        return "answer with one number"
    if q.kind == "choice":
        if not isinstance(value, str):
            return f"answer with the letter of your choice, one of {', '.join(q.options)}"
        if normalise_choice(value) not in q.options:
            return f"{value!r} is not one of the options {', '.join(q.options)}"
    if q.kind == "shape" and not (isinstance(value, list) and
                                  all(type(v) is int for v in value)):
        return "answer with a tuple of ints, e.g. (rows, columns)"
    return None


def judge_question(question: Question, cases: list[dict], results: list) -> "Verdict":
    """Right, missing, malformed or wrong (with what the wrong answer means, and why)."""
    from .judging import Verdict

    name = question.id
    if type(results) is not list or len(results) != len(cases) or not results:
        return Verdict(False, "the check did not produce a result")
    record = results[0]
    if not isinstance(record, dict):
        return Verdict(False, "the check's result is unreadable")
    if "__error__" in record:
        return Verdict(False, str(record["__error__"]))
    value = record.get("value")
    problem = _wrong_kind(question, value)
    if problem:
        return Verdict(False, f"{name}: {problem}")
    right = question.answer()
    shown = normalise_choice(value) if question.kind == "choice" else (
        tuple(value) if question.kind == "shape" else value)
    if _same(question.kind, value, right, question):
        return Verdict(True, f"Right ({shown}). Why: {question.explanation}.")
    meaning = next((text for wrong, text in question.mistakes
                    if _same(question.kind, value,
                             wrong if question.kind != "shape" else list(wrong), question)),
                   None)
    message = f"{name}: your answer {shown!r} is not right"
    if meaning:
        message += f" - {meaning}"
    return Verdict(False, f"{message}.\nWhy: {question.explanation}.")


def _one_case(seed: int) -> list[dict]:
    return [{"args": [], "kwargs": {}, "label": "your answer"}]


def _judge_for(question: Question) -> Callable[[list[dict], list], "Verdict"]:
    def judge(cases: list[dict], results: list) -> "Verdict":
        return judge_question(question, cases, results)
    judge.__name__ = f"judge_{question.id}"
    return judge


CASES: dict[str, Callable[[int], list[dict]]] = {qid: _one_case for qid in QUESTIONS}
JUDGES: dict[str, Callable[[list[dict], list], "Verdict"]] = {
    qid: _judge_for(q) for qid, q in QUESTIONS.items()}
FORBIDDEN: dict[str, tuple[str, ...]] = {}


# --------------------------------------------------------------------------- student side
def check_answer(question_id: str, answer: Any) -> None:
    """Check the answer to question ``question_id`` (in-notebook feedback; graded separately).

    Parameters
    ----------
    question_id : str
        The question's id (the ``check`` of the cell's metadata), e.g. ``"q_gd_step"``.
    answer : number, str or tuple
        Your answer; ``None`` (not answered yet) fails with "answer missing".

    Raises
    ------
    CheckFailed
        When the answer is missing, malformed or wrong (with the explanation).
    """
    from . import run_check
    from .probe import PROBES

    if question_id not in QUESTIONS:
        raise ValueError(f"question_id must be one of {sorted(QUESTIONS)}, got {question_id!r}")
    run_check(question_id, {PROBES[question_id].answers[0]: answer})
