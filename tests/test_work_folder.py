"""The student's work folder (``cnn-course work``/``lab``) and what ``cnn-course lab`` sets up.

The rules of :func:`cnn_course.tooling.work_folder.sync_work_folder` one by one on a tiny
course, then the promise they serve: in a fresh git checkout of the course, a student who
runs and saves a lesson in the work folder leaves ``git status`` clean.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cnn_course.tooling import lab, work_folder
from cnn_course.tooling.clean_notebooks import KERNEL_NAME, clean_file, kernel_language_info
from cnn_course.tooling.work_folder import MANIFEST, reset_file, sync_work_folder

ROOT = Path(__file__).resolve().parents[1]
LESSON = "notebooks/02_convolution_by_hand.ipynb"


def _nb(text: str) -> str:
    return json.dumps({"cells": [{"cell_type": "markdown", "id": "a", "metadata": {},
                                  "source": text}],
                       "metadata": {"kernelspec": {"name": KERNEL_NAME}},
                       "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture
def course(tmp_path):
    root = tmp_path / "course"
    (root / "notebooks").mkdir(parents=True)
    (root / "exercises").mkdir()
    (root / "solutions").mkdir()
    (root / "notebooks" / "index.md").write_text("# map\n[one](01_one.ipynb)\n")
    (root / "notebooks" / "01_one.ipynb").write_text(_nb("lesson one"))
    (root / "exercises" / "01_ex.ipynb").write_text(_nb("exercise one"))
    (root / "solutions" / "01_ex.ipynb").write_text(_nb("the answers"))
    return root


def _lines(report, work):
    return "\n".join(report.lines(work))


def test_first_sync_copies_lessons_map_and_exercises_not_solutions(course, tmp_path):
    work = tmp_path / "my-work"
    report = sync_work_folder(course, work)
    assert report.copied == ["exercises/01_ex.ipynb", "notebooks/01_one.ipynb",
                             "notebooks/index.md"]
    assert not (work / "solutions").exists()
    assert (work / "notebooks" / "index.md").read_text() == "# map\n[one](01_one.ipynb)\n"
    copy = json.loads((work / "notebooks" / "01_one.ipynb").read_text())
    # the kernel's language_info, so JupyterLab has nothing to rewrite on open
    assert copy["metadata"]["language_info"] == kernel_language_info()
    assert copy["cells"] == json.loads((course / "notebooks" / "01_one.ipynb").read_text())["cells"]
    again = sync_work_folder(course, work)
    assert (again.copied, again.updated, again.kept, again.unchanged) == ([], [], [], 3)
    assert _lines(again, work) == ""


def test_course_update_new_lesson_and_untouched_copy_follow_the_course(course, tmp_path):
    work = tmp_path / "my-work"
    sync_work_folder(course, work)
    (course / "notebooks" / "02_two.ipynb").write_text(_nb("lesson two"))   # git pull
    (course / "notebooks" / "01_one.ipynb").write_text(_nb("lesson one, improved"))
    report = sync_work_folder(course, work)
    assert report.copied == ["notebooks/02_two.ipynb"]
    assert report.updated == ["notebooks/01_one.ipynb"]
    assert "lesson one, improved" in (work / "notebooks" / "01_one.ipynb").read_text()
    assert "copied 1" in _lines(report, work) and "updated 1" in _lines(report, work)


def test_student_work_is_never_overwritten_and_a_course_change_is_reported(course, tmp_path):
    work = tmp_path / "my-work"
    sync_work_folder(course, work)
    mine = work / "notebooks" / "01_one.ipynb"
    mine.write_text(_nb("my answers"))                                      # student saves
    assert sync_work_folder(course, work).kept == []                        # course unchanged
    (course / "notebooks" / "01_one.ipynb").write_text(_nb("lesson one, improved"))
    for _ in range(2):                                                      # every start
        report = sync_work_folder(course, work)
        assert report.kept == ["notebooks/01_one.ipynb"] and not report.updated
        assert "my answers" in mine.read_text()
        assert "cnn-course work --reset notebooks/01_one.ipynb" in _lines(report, work)

    kept = reset_file(course, work, "notebooks/01_one.ipynb")
    assert kept.parent == mine.parent and kept.name.startswith("01_one.mine-")
    assert "my answers" in kept.read_text()
    assert "lesson one, improved" in mine.read_text()
    assert sync_work_folder(course, work).kept == []


def test_deleted_copy_comes_back_and_own_files_are_kept(course, tmp_path):
    work = tmp_path / "my-work"
    sync_work_folder(course, work)
    (work / "notebooks" / "01_one.ipynb").unlink()          # start the lesson afresh
    (work / "notebooks" / "notes.ipynb").write_text("{}")   # the student's own notebook
    (work / MANIFEST).write_text("not json")                # a broken record
    report = sync_work_folder(course, work)
    assert "notebooks/01_one.ipynb" in report.copied
    assert (work / "notebooks" / "notes.ipynb").read_text() == "{}"
    assert report.kept == [] and report.updated == []      # nothing of theirs touched


def test_bad_folders_and_paths_are_refused(course, tmp_path):
    with pytest.raises(ValueError, match="course must be the course folder"):
        sync_work_folder(tmp_path / "nowhere", tmp_path / "w")
    with pytest.raises(ValueError, match="work must not be inside the course's tracked notebooks"):
        sync_work_folder(course, course / "notebooks" / "w")
    with pytest.raises(ValueError, match="work must be a folder apart"):
        sync_work_folder(course, course)
    sync_work_folder(course, tmp_path / "w")
    with pytest.raises(ValueError, match="path must be one of the course's files"):
        reset_file(course, tmp_path / "w", "notebooks/../../etc/passwd")


def test_cli_work_reports_and_resets(course, tmp_path, capsys):
    from cnn_course.tooling.cli import main

    work = tmp_path / "my-work"
    assert main(["work", "--course", str(course), "--work", str(work)]) == 0
    assert "copied 3 course file(s)" in capsys.readouterr().out
    assert main(["work", "--course", str(course), "--work", str(work),
                 "--reset", "notebooks/01_one.ipynb"]) == 0
    assert "yours is now 01_one.mine-" in capsys.readouterr().out
    assert main(["work", "--course", str(tmp_path), "--work", str(work)]) == 2
    assert "course must be the course folder" in capsys.readouterr().out


# ----------------------------------------------------------------------------- lab set-up
def test_lab_settings_go_where_jupyterlab_reads_them(tmp_path):
    from jupyterlab.commands import get_app_dir

    assert lab.settings_dir(sys.prefix) == Path(get_app_dir()) / "settings"
    path = lab.write_lab_settings(tmp_path)
    assert path == lab.settings_dir(tmp_path) / "overrides.d" / "cnn-course.json"
    settings = json.loads(path.read_text())
    assert settings["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"] == {
        "markdown": "Markdown Preview"}
    assert lab.write_lab_settings(tmp_path) == path                   # idempotent


def test_kernel_spec_runs_this_python(tmp_path):
    spec_dir = lab.install_kernel(tmp_path)
    spec = json.loads((spec_dir / "kernel.json").read_text())
    assert spec_dir == lab.kernel_dir(tmp_path)
    assert spec["argv"][0] == sys.executable
    assert spec["display_name"] == "Python (cnn-course)"
    assert lab.install_kernel(tmp_path) == spec_dir                   # left as it is


def test_lab_arguments_open_the_course_map_in_the_work_folder(tmp_path):
    args = lab.lab_arguments(tmp_path, as_root=False)
    assert f"--ServerApp.root_dir={tmp_path.resolve()}" in args
    assert "--LabApp.default_url=/lab/tree/notebooks/index.md" in args
    assert "--ContentsManager.pre_save_hook=cnn_course.tooling.lab.drop_widget_views" in args
    assert "--ServerApp.allow_root=True" not in args
    assert "--ServerApp.allow_root=True" in lab.lab_arguments(tmp_path, as_root=True)


def test_saved_notebooks_keep_a_note_instead_of_a_widget_view():
    view = {"output_type": "display_data", "metadata": {},
            "data": {lab.WIDGET_VIEW: {"model_id": "abc", "version_major": 2},
                     "text/plain": "ConvExplorer(children=(HBox(children=..."}}
    text = {"output_type": "stream", "name": "stdout", "text": "hello\n"}
    model = {"type": "notebook", "content": {
        "metadata": {"widgets": {"state": {}}, "kernelspec": {"name": KERNEL_NAME}},
        "cells": [{"cell_type": "code", "outputs": [view, text]}]}}
    lab.drop_widget_views(model=model, path="x.ipynb", contents_manager=None)
    nb = model["content"]
    assert "widgets" not in nb["metadata"] and nb["metadata"]["kernelspec"]
    assert nb["cells"][0]["outputs"] == [
        {"output_type": "display_data", "metadata": {}, "data": {"text/plain": lab.WIDGET_NOTE}},
        text]
    other = {"type": "file", "content": "x"}
    lab.drop_widget_views(model=other, path="x.txt")
    assert other == {"type": "file", "content": "x"}


# ----------------------------------------------------------------------------- git status
def _git(cwd: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_running_a_lesson_in_the_work_folder_leaves_git_status_clean(tmp_path, monkeypatch):
    """A fresh checkout (the course's .gitignore, course map, a lesson and an exercise,
    committed clean), set up and run as a student would: `cnn-course work`, then the lesson
    executed in my-work/ and saved. git sees no change."""
    import nbformat
    from nbclient import NotebookClient

    repo = tmp_path / "course"
    for rel in (".gitignore", "notebooks/index.md", LESSON,
                "exercises/02_sliding_window_and_flip.ipynb"):
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, repo / rel)
    for rel in (LESSON, "exercises/02_sliding_window_and_flip.ipynb"):
        clean_file(repo / rel)                                 # as committed
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "course")
    assert _git(repo, "status", "--porcelain") == ""

    cli = [sys.executable, "-m", "cnn_course.tooling.cli", "work", "--course", str(repo)]
    out = subprocess.run(cli, cwd=repo, check=True, capture_output=True, text=True).stdout
    assert "copied 3 course file(s)" in out, out
    lesson = repo / "my-work" / LESSON
    prefix = tmp_path / "env"
    lab.install_kernel(prefix)                                 # what course.sh registers
    monkeypatch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
    monkeypatch.setenv("CNN_COURSE_MODE", "quick")
    nb = nbformat.read(lesson, as_version=4)
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(lesson.parent)}}
                   ).execute()                                 # the notebook's own kernel
    assert nb.metadata.kernelspec.name == KERNEL_NAME
    nbformat.write(nb, lesson)                                 # the student saves
    subprocess.run(cli, cwd=repo, check=True, capture_output=True)   # next start
    assert _git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert any(c.get("outputs") for c in nbformat.read(lesson, as_version=4).cells)
