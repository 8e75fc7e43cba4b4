"""tools/course_map.py: the README course-map table is rewritten from measured times.

No notebook is run here: the table-writing functions are pure.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import load_tool

ROOT = Path(__file__).resolve().parents[1]
course_map = load_tool("course_map")

README = """# course

| # | lesson | what you learn | exercises | quick | full (CPU) |
|---|---|---|---|---:|---:|
| 00 | [00_setup_check.ipynb](notebooks/00_setup_check.ipynb) | set-up | | 3 s | 5 s |
| 07 | [10_dense_vs_cnn.ipynb](notebooks/10_dense_vs_cnn.ipynb) | dense | [07](exercises/10_parameter_counts.ipynb): counts | 9 s | 1 min |
| 12 | [16_lenet_alexnet.ipynb](notebooks/16_lenet_alexnet.ipynb) | LeNet | | 17 s | about 45 min; GPU advised |

| other | table | quick | full (CPU) |
|---|---|---|---|
| x | [10_dense_vs_cnn.ipynb](notebooks/10_dense_vs_cnn.ipynb) | 1 s | 1 s |
"""


@pytest.mark.parametrize("seconds, text", [(0, "1 s"), (0.4, "1 s"), (7.4, "7 s"), (89.4, "89 s"),
                                           (90, "2 min"), (200, "3 min"), (5340, "89 min"),
                                           (5400, "1.5 h"), (4 * 3600, "4.0 h")])
def test_format_seconds(seconds, text):
    assert course_map.format_seconds(seconds) == text


def test_read_column_reads_the_course_map_only():
    full = course_map.read_column(README, "full")
    assert full == {"00_setup_check.ipynb": "5 s", "10_dense_vs_cnn.ipynb": "1 min",
                    "16_lenet_alexnet.ipynb": "about 45 min; GPU advised"}   # not the other table
    assert course_map.read_column(README)["16_lenet_alexnet.ipynb"] == "17 s"
    with pytest.raises(ValueError, match="column"):
        course_map.read_column(README, "slow")


@pytest.mark.parametrize("bad", [-1, float("nan"), "5", None])
def test_format_seconds_rejects(bad):
    with pytest.raises(ValueError, match="seconds"):
        course_map.format_seconds(bad)


def test_quick_column_only_rows_that_were_run():
    text, updated = course_map.update_table(README, {"10_dense_vs_cnn.ipynb": 41.6}, "quick")
    assert updated == ["10_dense_vs_cnn.ipynb"]
    lines = text.splitlines()
    row = next(line for line in lines if line.startswith("| 07 "))
    assert row.endswith("| 42 s | 1 min |"), row
    assert "[07](exercises/10_parameter_counts.ipynb): counts" in row, "other cells are kept"
    # untouched rows and the header are byte for byte the same
    for old, new in zip(README.splitlines(), lines):
        if not old.startswith("| 07 "):
            assert old == new
    assert len(lines) == len(README.splitlines())


def test_full_column_keeps_a_note_after_semicolon():
    times = {"16_lenet_alexnet.ipynb": 2700.0, "00_setup_check.ipynb": 4.2}
    text, updated = course_map.update_table(README, times, "full")
    assert updated == ["00_setup_check.ipynb", "16_lenet_alexnet.ipynb"], "table order"
    assert "| 17 s | 45 min; GPU advised |" in text
    assert "| 3 s | 4 s |" in text


def test_only_the_course_map_table_and_line_endings():
    crlf = README.replace("\n", "\r\n")
    text, updated = course_map.update_table(crlf, {"10_dense_vs_cnn.ipynb": 5}, "quick")
    assert updated == ["10_dense_vs_cnn.ipynb"], "the second table is not the course map"
    assert "| x | [10_dense_vs_cnn.ipynb](notebooks/10_dense_vs_cnn.ipynb) | 1 s | 1 s |" in text
    assert text.count("\r\n") == crlf.count("\r\n")


def test_notebook_without_a_row_changes_nothing():
    text, updated = course_map.update_table(README, {"15_training_well.ipynb": 30}, "quick")
    assert (text, updated) == (README, [])


def test_bad_arguments():
    with pytest.raises(ValueError, match="column"):
        course_map.update_table(README, {}, "slow")
    with pytest.raises(ValueError, match="course-map table"):
        course_map.update_table("# no table\n", {}, "quick")
    with pytest.raises(ValueError, match="seconds"):
        course_map.update_table(README, {"00_setup_check.ipynb": -3}, "quick")


def test_table_text_is_the_table():
    table = course_map.table_text(README).splitlines()
    assert table[0].startswith("| # | lesson") and len(table) == 5


def test_real_readme_has_the_table():
    names = course_map._find_table((ROOT / "README.md").read_text(encoding="utf-8").splitlines())[1]
    assert "quick" in names and "full (CPU)" in names


@pytest.mark.parametrize("source, expected", [
    ("import cnn_course as cc\ncfg = cc.setup()", "import cnn_course as cc\ncfg = cc.setup(seed=4)"),
    ("cfg = cc.setup(tensorflow=False)  # NumPy", "cfg = cc.setup(seed=4, tensorflow=False)  # NumPy"),
    ("cfg = cc.setup( )\nother(x, )", "cfg = cc.setup(seed=4)\nother(x, )"),
])
def test_with_seed(source, expected):
    assert course_map.with_seed(source, 4) == expected


def test_with_seed_refuses():
    with pytest.raises(ValueError, match="seed already"):
        course_map.with_seed("cc.setup(seed=1)", 2)
    with pytest.raises(ValueError, match="no cc.setup"):
        course_map.with_seed("print(1)", 2)
    with pytest.raises(ValueError, match="seed must be"):
        course_map.with_seed("cc.setup()", -1)
