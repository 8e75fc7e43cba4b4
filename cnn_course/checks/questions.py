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

__all__ = ["Question", "QUESTIONS", "CASES", "JUDGES", "FORBIDDEN", "check_answer",
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
