"""Checks of the Grad-CAM / occlusion exercise: right answers pass, each named mistake is named."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from cnn_course.checks import CheckFailed, check_grad_cam_weights, check_occlusion_map, serialize
from cnn_course.checks.registry import SPECS


def _judge(check_id, answer, seed=3):
    spec = SPECS[check_id]
    cases = serialize.loads(serialize.dumps(spec.cases(seed)))
    results = serialize.loads(serialize.dumps(spec.probe({spec.answers[0]: answer}, cases)))
    return spec.judge(cases, results)


# --------------------------------------------------------------------------- Grad-CAM weights
def right_weights(gradients):
    return gradients.mean(axis=(0, 1))


def _spread(values, shape, p, s, average=True):
    total, count = np.zeros(shape), np.zeros(shape)
    for r in range(values.shape[0]):
        for c in range(values.shape[1]):
            total[r * s:r * s + p, c * s:c * s + p] += values[r, c]
            count[r * s:r * s + p, c * s:c * s + p] += 1
    return np.divide(total, count, out=np.zeros(shape), where=count > 0) if average else total


def right_occlusion(base_score, occluded_scores, image_shape, patch_size, stride):
    return _spread(base_score - np.asarray(occluded_scores), tuple(image_shape), patch_size, stride)


@pytest.mark.parametrize("seed", [0, 1, 2, 12345])
def test_right_answers_pass(seed):
    assert _judge("grad_cam_weights", right_weights, seed).passed
    assert _judge("occlusion_map", right_occlusion, seed).passed


WEIGHT_MISTAKES = [
    (lambda g: g.sum(axis=(0, 1)), "summed over the positions"),
    (lambda g: g.mean(axis=-1), "wrong axes"),
    (lambda g: np.abs(g).mean(axis=(0, 1)), "absolute values"),
    (lambda g: np.maximum(g, 0).mean(axis=(0, 1)), "negative gradients were dropped"),
    (lambda g: np.maximum(g.mean(axis=(0, 1)), 0), "weights were ReLU-ed"),
    (lambda g: g.max(axis=(0, 1)), "largest gradient"),
]


@pytest.mark.parametrize("answer, message", WEIGHT_MISTAKES, ids=[m for _, m in WEIGHT_MISTAKES])
def test_weight_mistakes_are_named(answer, message):
    verdict = _judge("grad_cam_weights", answer)
    assert not verdict.passed
    assert message in verdict.message, verdict.message
    assert "grad_cam_weights(array of shape" in verdict.message


OCCLUSION_MISTAKES = [
    (lambda b, sc, shape, p, s: -right_occlusion(b, sc, shape, p, s), "sign is flipped"),
    (lambda b, sc, shape, p, s: _spread(np.asarray(sc), tuple(shape), p, s),
     "not compared with the baseline"),
    (lambda b, sc, shape, p, s: right_occlusion(b, sc, shape, p, s) / b, "divided by base_score"),
    (lambda b, sc, shape, p, s: _spread(b - np.asarray(sc), tuple(shape), p, s, average=False),
     "summed"),
    (lambda b, sc, shape, p, s: b - np.asarray(sc), "spread the (n_rows, n_cols) drops"),
]


@pytest.mark.parametrize("answer, message", OCCLUSION_MISTAKES,
                         ids=[m for _, m in OCCLUSION_MISTAKES])
def test_occlusion_mistakes_are_named(answer, message):
    verdict = _judge("occlusion_map", answer)
    assert not verdict.passed
    assert message in verdict.message, verdict.message
    assert verdict.message.startswith("occlusion_map(base_score=")


def test_uncovered_pixels_must_be_zero():
    def nan_outside(b, sc, shape, p, s):
        out = right_occlusion(b, sc, shape, p, s)
        total, count = np.zeros(tuple(shape)), _spread(np.ones(np.shape(sc)), tuple(shape), p, s,
                                                       average=False)
        return np.where(count > 0, out, np.nan)

    verdict = _judge("occlusion_map", nan_outside)
    assert not verdict.passed and "no patch covers must be 0" in verdict.message, verdict.message


def test_stub_library_and_exceptions():
    def stub(gradients):
        raise NotImplementedError

    assert "answer missing" in _judge("grad_cam_weights", stub).message
    from cnn_course.gradcam import grad_cam_weights

    verdict = _judge("grad_cam_weights", grad_cam_weights)
    assert not verdict.passed and "cnn_course's own function" in verdict.message
    verdict = _judge("occlusion_map", lambda *a: 1 / 0)
    assert not verdict.passed and "raised ZeroDivisionError" in verdict.message
    verdict = _judge("grad_cam_weights", lambda g: None)
    assert not verdict.passed and "return" in verdict.message


def test_student_functions_print_or_raise(capsys):
    check_grad_cam_weights(right_weights)
    check_occlusion_map(right_occlusion)
    assert capsys.readouterr().out.count("tests passed") == 2
    with pytest.raises(CheckFailed, match="summed over the positions"):
        check_grad_cam_weights(lambda g: g.sum(axis=(0, 1)))
    with pytest.raises(CheckFailed, match="sign is flipped"):
        check_occlusion_map(lambda *a: -right_occlusion(*a))


def test_registered_with_forbidden_shortcuts():
    for check_id in ("grad_cam_weights", "occlusion_map"):
        assert SPECS[check_id].forbidden
    assert "cnn_course.grad_cam_weights" in SPECS["grad_cam_weights"].forbidden


def test_probe_process_imports_no_judge(tmp_path):
    cases_path, results_path = tmp_path / "cases.npz", tmp_path / "results.npz"
    serialize.dump(cases_path, SPECS["occlusion_map"].cases(4))
    script = textwrap.dedent(f"""
        import sys
        import cnn_course.checks.probe as p
        answer = lambda b, sc, shape, ps, s: -(b - sc)
        p.run("occlusion_map", {{"occlusion_map": answer}}, {str(cases_path)!r}, {str(results_path)!r})
        print("IMPORTED", [m for m in sys.modules if m.startswith("cnn_course.checks.judg")
                           or m == "cnn_course.checks.registry"])
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "IMPORTED []" in out.stdout, out.stdout
    verdict = SPECS["occlusion_map"].judge(serialize.load(cases_path), serialize.load(results_path))
    assert not verdict.passed
