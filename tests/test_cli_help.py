"""``cnn-course --help`` reads as plain text: students' commands first, teachers' apart,
every command with a description of its own (issue 19)."""
from __future__ import annotations

import pytest

from cnn_course.tooling import cli


def _help(*argv: str, capsys) -> str:
    with pytest.raises(SystemExit) as exc:
        cli.main([*argv, "--help"])
    assert exc.value.code == 0
    return capsys.readouterr().out


def test_main_help_lists_students_then_teachers_without_markup(capsys):
    text = _help(capsys=capsys)
    assert "``" not in text and ":mod:" not in text
    students = text.index("commands for students:")
    teachers = text.index("commands for teachers and course maintainers:")
    assert students < teachers
    for name in cli.STUDENT_COMMANDS:
        assert students < text.index(f"\n  {name} ") < teachers, name
    for name in cli.TEACHER_COMMANDS:
        assert text.index(f"\n  {name} ") > teachers, name
    assert max(map(len, text.splitlines())) <= 90


@pytest.mark.parametrize("name", cli.STUDENT_COMMANDS + cli.TEACHER_COMMANDS)
def test_every_command_has_a_description(name, capsys):
    text = _help(name, capsys=capsys)
    assert text.startswith(f"usage: cnn-course {name} "), text.splitlines()[0]
    description = text.split("\n\n")[1]
    assert len(description) > 20 and description.rstrip().endswith("."), description
    assert "``" not in text


def test_every_command_is_in_one_group():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert sorted(sub.choices) == sorted(cli.STUDENT_COMMANDS + cli.TEACHER_COMMANDS)


def test_unknown_options_are_refused_except_for_lab(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["doctor", "--port", "8890"])
    assert exc.value.code == 2
    assert "unrecognized arguments: --port 8890" in capsys.readouterr().err
