"""Static checks that lessons state measured figures and assert their claim (issue 16).

Nothing is executed here: the notebooks themselves run under nbval. These tests read the
lesson sources and fail when a run-dependent figure is typed into Markdown, or when a
lesson's closing checks stop asserting the point of the lesson.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

# Lessons whose prose was made "measured, not typed" (issue 16).
MEASURED = ["01_images_and_features", "02_convolution_by_hand", "03_stride_padding_dilation",
            "04_classic_filters", "05_pooling", "06_activation_functions", "10_dense_vs_cnn",
            "11_inside_a_cnn", "12_mnist_digits", "14_cifar10_cbapd", "15_training_well",
            "16_lenet_alexnet", "17_vgg", "18_inception", "19_resnet", "21_three_ways_to_convolve"]

# A bold accuracy-like figure (**0.906**), a reference-machine run or a dated measurement
# typed into Markdown: these depend on a run and must be printed or rendered by code.
TYPED = [re.compile(r"\*\*0\.\d{2,4}\*\*"), re.compile(r"reference machine", re.I),
         re.compile(r"\b20\d\d-\d\d-\d\d\b")]

# lesson -> (regex the closing check cell must match, what the claim is)
CLAIMS = {
    "10_dense_vs_cnn": (r'results\["fashion_cnn"\]\["accuracy"\]\s*>\s*results\["fashion_dense"\]\["accuracy"\]',
                        "the CNN beats the dense network on test accuracy"),
    "11_inside_a_cnn": (r'scores\["accuracy"\]\s*>\s*0\.\d', "the network looked at is trained"),
    "12_mnist_digits": (r'scores\["accuracy"\]\s*>\s*0\.[5-9]', "clearly above chance"),
    "14_cifar10_cbapd": (r'scores\["accuracy"\]\s*>\s*0\.[2-9]', "clearly above chance (0.1)"),
    "15_training_well": (r'aug_\.gap\s*<\s*std_\.gap[\s\S]*wd_\.weight_norm\s*<\s*aug_\.weight_norm[\s\S]*'
                         r'ls_\.confidence\s*<\s*cos_\.confidence[\s\S]*'
                         r'worst\.test_accuracy\s*>\s*above_chance',
                         "each technique changes what it targets (gap, |W|, confidence), and every "
                         "network of the ladder is clearly above chance"),
    "19_resnet": (r'final\["residual"\]\s*<\s*final\["plain"\]',
                  "the residual stack reaches a lower training loss than the plain one"),
}


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


@pytest.mark.parametrize("name", MEASURED)
def test_no_run_dependent_figure_typed_into_markdown(name):
    for i, cell in enumerate(_read(name).cells):
        if cell.cell_type != "markdown":
            continue
        for pattern in TYPED:
            hit = pattern.search(cell.source)
            assert hit is None, (f"{name} cell {i}: {hit.group(0)!r} looks like a figure from one run "
                                 f"typed into the prose; print it or render it with display(Markdown(...))")


@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_closing_checks_assert_the_claim(name):
    pattern, claim = CLAIMS[name]
    cells = [c for c in _read(name).cells if c.cell_type == "code"]
    last = cells[-1].source
    assert "assert" in last and re.search(pattern, last), f"{name}: the last cell must assert: {claim}"
    assert "if cfg.quick" not in last and "cfg.mode" not in last, \
        f"{name}: the claim is asserted in quick and in full mode alike"


def test_lesson_11_reuses_lesson_10s_network():
    def call(name: str) -> str:
        src = "\n".join(c.source for c in _read(name).cells if c.cell_type == "code")
        budget = re.search(r"QUICK_IMAGES, QUICK_EPOCHS = (\d+), (\d+)", src)
        assert budget, f"{name}: the quick-mode budget is named QUICK_IMAGES, QUICK_EPOCHS"
        assert re.search(r'cc\.trained_model\(cfg, "fashion_cnn"|cc\.trained_model\(cfg, name', src), \
            f"{name}: the CNN comes from cc.trained_model (the model cache)"
        return budget.groups()

    assert call("10_dense_vs_cnn") == call("11_inside_a_cnn"), \
        "lessons 10 and 11 must ask the cache for the same network (same quick budget)"
    src11 = "\n".join(c.source for c in _read("11_inside_a_cnn").cells if c.cell_type == "code")
    assert "cc.train(" not in src11, "lesson 11 must not train the network again"
