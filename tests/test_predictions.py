"""cnn_course.predictions.check_prediction: the predict-then-run cells of the lessons."""
import pytest

from cnn_course.predictions import check_prediction


def test_none_asks_for_a_prediction_and_never_grades(capsys):
    assert check_prediction("q", None, 4.6, tolerance=0.1, explanation="why") is None
    assert "make your prediction first" in capsys.readouterr().out


def test_numbers_within_tolerance_and_words(capsys):
    assert check_prediction("q", 4.55, 4.605, tolerance=0.1, explanation="ln 100") is True
    assert "right" in capsys.readouterr().out
    assert check_prediction("q", 2.3, 4.605, tolerance=0.1) is False
    assert check_prediction("q", " Smaller ", "smaller") is True
    assert check_prediction("q", 3, "smaller") is False
    assert check_prediction("q", "four", 4.0) is False
    assert "must be a number" in capsys.readouterr().out


def test_bad_arguments():
    with pytest.raises(ValueError, match="tolerance"):
        check_prediction("q", 1, 1, tolerance=-1)
    with pytest.raises(TypeError, match="question"):
        check_prediction("", 1, 1)
