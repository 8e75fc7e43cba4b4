"""A student's first run, in a real JupyterLab driven by headless Chromium (issue 19).

JupyterLab is started the way ``bash course.sh lab`` starts it (``cnn-course lab``): on a
work folder filled by :func:`~cnn_course.tooling.work_folder.sync_work_folder`, with the
course's JupyterLab defaults (:func:`~cnn_course.tooling.lab.write_lab_settings`), the
``cnn-course`` kernel (:func:`~cnn_course.tooling.lab.install_kernel`) and the options of
:func:`~cnn_course.tooling.lab.lab_arguments`. Everything is written to a temporary folder
(the settings and kernel spec too), so the environment and the course stay untouched. The
lessons are cleaned as the course commits them (:mod:`cnn_course.tooling.clean_notebooks`).

The test follows the student:

1. the start page (the address ``--no-browser`` prints) shows the course map **rendered**:
   a page of links, not Markdown source in an editor;
2. clicking the link to lesson 02 opens it **clean**: no kernel dialog (its kernel exists), no
   "modified" mark on the tab while nothing was edited, no stored outputs;
3. *Run All* (the widgets render), *Save*, close, the kernel shut down, reopen: no "Error
   displaying widget" (a saved notebook holds a note in place of each widget view:
   :func:`~cnn_course.tooling.lab.drop_widget_views`), and the reopened lesson is not marked
   as modified.

Screenshots go to ``test-artifacts/browser/first_run_*.png``. Browser and helpers come from
``tests/test_browser.py`` (Debian's Chromium through Playwright; skips only where neither can
be found or launched).
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from test_browser import (ARTIFACTS, ERROR_PATTERN, _api, _dismiss_dialogs, _free_port, _menu,
                          _new_page, _serving, _shutdown_kernels, browser)  # noqa: F401 (fixture)

from cnn_course.tooling.clean_notebooks import KERNEL_DISPLAY_NAME, KERNEL_NAME, clean_file
from cnn_course.tooling.lab import WIDGET_NOTE, WIDGET_VIEW, install_kernel, lab_arguments, \
    settings_dir, write_lab_settings
from cnn_course.tooling.work_folder import COURSE_MAP, sync_work_folder

ROOT = Path(__file__).resolve().parents[1]
LESSON = "notebooks/02_convolution_by_hand.ipynb"   # NumPy only: a few seconds in quick mode
DIRTY_TAB = ".lm-TabBar-tab.jp-mod-dirty"


@pytest.fixture(scope="module")
def course_lab(tmp_path_factory):
    """JupyterLab as ``cnn-course lab`` starts it, on a fresh work folder."""
    base = tmp_path_factory.mktemp("first-run")
    course = base / "course"                        # the lessons as committed: clean
    (course / "notebooks").mkdir(parents=True)      # (a no-op once they are)
    for rel in (COURSE_MAP, LESSON):
        shutil.copy(ROOT / rel, course / rel)
    for path in (ROOT / "notebooks").glob("*.ipynb"):   # the course map links them all
        if not (course / "notebooks" / path.name).exists():
            (course / "notebooks" / path.name).write_text(json.dumps(
                {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    clean_file(course / LESSON)
    work = base / "my-work"
    report = sync_work_folder(course, work)
    assert COURSE_MAP in report.copied and LESSON in report.copied, report
    prefix = base / "env"                           # stands in for the environment's prefix
    install_kernel(prefix)
    write_lab_settings(prefix)
    (base / "notary").mkdir()
    config = base / "config"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, CNN_COURSE_MODE="quick", JUPYTER_CONFIG_DIR=str(config),
               JUPYTER_PATH=str(prefix / "share" / "jupyter"),
               JUPYTER_RUNTIME_DIR=str(base / "runtime"), IPYTHONDIR=str(base / "ipython"))
    cmd = [sys.executable, "-m", "jupyter", "lab", *lab_arguments(work),
           "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           f"--LabApp.app_settings_dir={settings_dir(prefix)}",
           f"--LabApp.user_settings_dir={base / 'settings'}",
           f"--LabApp.workspaces_dir={base / 'workspaces'}",
           f"--NotebookNotary.data_dir={base / 'notary'}"]
    log_path = base / "jupyterlab.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=base, stdout=log, stderr=subprocess.STDOUT)
        server = {"url": f"http://127.0.0.1:{port}", "token": token, "root": work,
                  "log": log_path}
        with _serving(proc, server, 60):
            yield server


def _widget_errors(page) -> list[str]:
    texts = page.locator(".jp-OutputArea-output").all_inner_texts()
    return [t[:500] for t in texts if ERROR_PATTERN.search(t)]


def _wait_clean_and_idle(page, what: str) -> None:
    """The notebook's kernel is ready and the tab, with nothing edited, is not modified."""
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=60_000)
    dialogs: list[str] = []
    _dismiss_dialogs(page, dialogs)
    assert not dialogs, f"{what}: JupyterLab asked for a kernel: {dialogs}"
    # the kernel the notebook names starts (no dialog, no other Python), then goes idle
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar-kernelName",
                 has_text=KERNEL_DISPLAY_NAME).wait_for(timeout=60_000)
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) "
                 ".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=60_000)
    page.wait_for_timeout(1500)                      # metadata rewrites would come now
    dirty = page.locator(DIRTY_TAB)
    if dirty.count():
        page.screenshot(path=str(ARTIFACTS / "first_run_dirty.png"))
    assert not dirty.count(), f"{what}: the untouched notebook is marked as modified"


def test_first_run_course_map_lesson_save_reopen(browser, course_lab):
    server, work = course_lab, course_lab["root"]
    lesson_path = work / LESSON
    with _new_page(browser, server) as page:
        # 1. the address JupyterLab prints: the course map, rendered
        page.goto(f"{server['url']}/?token={server['token']}")
        link = page.locator(".jp-RenderedMarkdown a",
                            has_text="Convolution by hand")
        link.first.wait_for(timeout=60_000)
        assert page.url.split("?")[0].endswith(f"/lab/tree/{COURSE_MAP}"), page.url
        assert not page.locator(".jp-FileEditor").count(), \
            "the course map opened as Markdown source in the text editor"
        n_links = page.locator(".jp-RenderedMarkdown a[href*='.ipynb']").count()
        assert n_links >= 20, f"the rendered course map shows {n_links} notebook links"
        page.screenshot(path=str(ARTIFACTS / "first_run_course_map.png"))

        # 2. follow the link: the lesson opens on the course kernel, clean
        link.first.click()
        page.locator(".lm-TabBar-tab.jp-mod-current",
                     has_text=Path(LESSON).name).wait_for(timeout=30_000)
        _wait_clean_and_idle(page, f"{LESSON} opened from the course map")
        # nothing from another machine: no execution counts, no widget views, no images; only
        # the deterministic text of `# NBVAL_CHECK_OUTPUT` cells is stored
        prompts = page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea-prompt").all_inner_texts()
        # (a checked cell keeps the count nbval needs beside its stored text)
        checked = sum(1 for c in json.loads((ROOT / LESSON).read_text())["cells"]
                      if c["cell_type"] == "code" and c.get("execution_count"))
        numbered = [p for p in prompts if any(ch.isdigit() for ch in p)]
        assert prompts and len(numbered) <= checked, (prompts, checked)   # off-screen cells are not drawn
        stored = page.locator(".jp-OutputArea-output")
        plain = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stdout'], "
                             ".jp-OutputArea-output[data-mime-type='text/plain']")
        assert stored.count() == plain.count(), \
            f"the lesson opened with {stored.count() - plain.count()} stored non-text output(s)"

        # 3. run it all, save, close
        t0 = time.monotonic()
        _menu(page, "Run", "runmenu:run-all")
        page.wait_for_function("""() => {
            const p = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')]
                .map(e => e.textContent.trim());
            return p.length && p.every(t => /^\\[\\d+\\]:$/.test(t));
        }""", timeout=90_000)
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(
            timeout=30_000)
        ran = time.monotonic() - t0
        assert not _widget_errors(page), _widget_errors(page)
        widgets_before = page.locator(".jp-OutputArea-output").filter(
            has=page.locator(".jupyter-widgets")).count()
        assert widgets_before, "lesson 02 shows no widget after Run All"
        page.screenshot(path=str(ARTIFACTS / "first_run_lesson_ran.png"))
        before = lesson_path.stat().st_mtime_ns
        _menu(page, "File", "docmanager:save")
        deadline = time.monotonic() + 15
        while lesson_path.stat().st_mtime_ns == before and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        page.locator(DIRTY_TAB).wait_for(state="detached")
        saved = nbformat.read(lesson_path, as_version=4)     # multi-line strings joined
        assert saved["metadata"]["kernelspec"]["name"] == KERNEL_NAME
        notes = [o for c in saved["cells"] for o in c.get("outputs", [])
                 if o.get("data", {}).get("text/plain") == WIDGET_NOTE]
        assert len(notes) == widgets_before, (len(notes), widgets_before)
        assert WIDGET_VIEW not in lesson_path.read_text(), "a widget view was saved"
        _menu(page, "File", "application:close")
        page.locator(".lm-TabBar-tab", has_text=Path(LESSON).name).wait_for(state="detached")

    # 4. the kernel is gone (as after closing JupyterLab); reopen from the file browser path
    _shutdown_kernels(server)
    with _new_page(browser, server) as page:
        page.goto(f"{server['url']}/lab/tree/{LESSON}?token={server['token']}")
        _wait_clean_and_idle(page, f"{LESSON} reopened")
        page.wait_for_timeout(1000)
        errors = _widget_errors(page)
        shown = page.locator(".jp-OutputArea-output", has_text=WIDGET_NOTE).count()
        page.screenshot(path=str(ARTIFACTS / "first_run_lesson_reopened.png"))
        assert not errors, f"the reopened lesson shows errors: {errors}"
        assert shown == widgets_before, \
            f"{widgets_before} widgets before saving, {shown} notes in their place after reopening"
        assert not page.js_errors, f"JavaScript errors: {page.js_errors}"
    print(f"\n{LESSON}: ran in {ran:.1f} s in the browser; {widgets_before} widget(s), each a "
          f"note after saving and reopening")
