"""Hints on request (cnn_course/checks/hints.py): one level more per call, in order, the last
repeated; every check has 2-3 levels; no hint gives code."""
from __future__ import annotations

import re

import pytest

import cnn_course as cc
from cnn_course.checks.hints import all_hints, hint, hint_pointer, reset_hints
from cnn_course.checks.registry import SPECS

HINTS = all_hints()

# What code looks like: a call, an index or slice, an assignment, a keyword, a library name.
CODE = re.compile(r"\bnp\.|\bdef\b|\breturn\b|\bimport\b|\blambda\b|\bfor \w+ in\b|"
                  r"\w\.\w+\(|\w\[[^\]]*\]|\b\w+ = \w+\(|axis\s*=|==|\+=|`")


def test_every_check_has_two_or_three_levels():
    missing = sorted(set(SPECS) - set(HINTS))
    assert not missing, f"checks without hints: {missing}"
    for check_id, levels in HINTS.items():
        assert 2 <= len(levels) <= 3, check_id


@pytest.mark.parametrize("check_id", sorted(HINTS))
def test_no_hint_gives_code(check_id):
    for level in HINTS[check_id]:
        assert not CODE.search(level), f"{check_id}: {CODE.search(level).group()!r} in {level!r}"


def test_levels_are_revealed_in_order_and_the_last_repeats(capsys):
    reset_hints()
    levels = HINTS["conv2d"]
    shown = [hint("conv2d") for _ in range(len(levels) + 1)]
    for number, (text, level) in enumerate(zip(shown, levels), start=1):
        assert text.startswith(f"Hint {number}/{len(levels)} for conv2d: {level}")
    assert levels[-1] in shown[-1] and "last hint" in shown[-1]
    assert not CODE.search(shown[-1].split(": ", 1)[1].split("\n")[0])
    assert "Hint 1/3" in capsys.readouterr().out
    hint("pad2d")                      # each check counts on its own
    reset_hints("conv2d")
    assert hint("conv2d").startswith("Hint 1/")
    assert hint("pad2d").startswith("Hint 2/")
    reset_hints()


def test_public_entry_and_errors():
    reset_hints()
    assert cc.hint is hint
    assert "pad2d" in hint()
    with pytest.raises(ValueError, match="check_id must be one of"):
        hint("nope")
    assert hint_pointer("pad2d") == "More help, one step at a time: cc.hint('pad2d')"
    assert hint_pointer("not_a_check") == ""
