"""Predict, then run: compare a student's prediction with what the code measured.

The "Check your understanding" cells of the lessons ask for a prediction *before* the
student looks at the answer::

    my_prediction = None          # your number here, e.g. 4.6
    check_prediction("untrained loss with 100 classes", my_prediction, measured,
                     tolerance=0.1, explanation="every class gets about 1/100: -ln(1/100)")

While the prediction is ``None`` the check only says what to do (so a lesson still runs from
top to bottom); once it is set, it prints whether the prediction was right, the measured
value and the explanation. Nothing is graded here: graded questions live in the exercises.
"""
from __future__ import annotations

import numbers
from typing import Any

__all__ = ["check_prediction"]


def check_prediction(question: str, prediction: Any, actual: Any, *, tolerance: float | None = None,
                     explanation: str = "") -> bool | None:
    """Print how a prediction compares with the measured answer.

    Parameters
    ----------
    question : str
        What was predicted, in a few words.
    prediction : number, str or None
        The student's prediction; ``None`` means "not made yet".
    actual : number or str
        The value the lesson measured (or the right choice among words).
    tolerance : float, optional
        For numbers: the prediction counts as right when ``|prediction - actual| <= tolerance``
        (default: equal). Strings are compared without case and surrounding spaces.
    explanation : str
        Why the answer is what it is, shown once a prediction is made.

    Returns
    -------
    True or False (right or not), ``None`` while no prediction is made.
    """
    if not isinstance(question, str) or not question:
        raise TypeError("question must be a non-empty str")
    if tolerance is not None and (isinstance(tolerance, bool) or not isinstance(tolerance, numbers.Real)
                                  or tolerance < 0):
        raise ValueError(f"tolerance must be a number >= 0 or None, got {tolerance!r}")
    if not isinstance(explanation, str):
        raise TypeError("explanation must be a str")
    if prediction is None:
        print(f"{question}: make your prediction first (replace None), then run this cell again.")
        return None
    if isinstance(actual, str):
        if not isinstance(prediction, str):
            print(f"{question}: answer with one of the words in the question (a str), "
                  f"got {prediction!r}")
            return False
        right = prediction.strip().lower() == actual.strip().lower()
        shown = actual
    else:
        if isinstance(prediction, bool) or not isinstance(prediction, numbers.Real):
            print(f"{question}: your prediction must be a number, got {prediction!r}")
            return False
        right = abs(float(prediction) - float(actual)) <= (tolerance or 0.0)
        shown = f"{float(actual):.4g}"
    verdict = "right" if right else "not quite"
    print(f"{question}: you predicted {prediction!r}, the run gives {shown} -- {verdict}.")
    if explanation:
        print(f"Why: {explanation}")
    return right
