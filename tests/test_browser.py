"""End-to-end: the course in a real JupyterLab, driven by a headless Chromium.

Starts JupyterLab from the installed environment on 127.0.0.1 (a free port, a
random token, a throw-away config/runtime/settings/workspace folder), opens
*copies* of lessons 03 and 02 (JupyterLab autosaves; the committed notebooks
are never touched), runs all cells, then drives the widgets with the keyboard
as a student would:

* lesson 03: the convolution explorer renders; moving the *stride* slider one
  step changes the displayed output size and redraws the output image;
* lesson 02: the convolution stepper renders; one step forward fills exactly
  one more output cell.

Any error output (a traceback, a widget that fails to render) fails the test.
Screenshots are written to ``test-artifacts/browser/`` (git-ignored).

Browser: Debian's Chromium (``apt install chromium``; ``CNN_COURSE_CHROMIUM``
overrides the path) through the Python ``playwright`` package; no browser is
downloaded. The tests skip, saying why, only where Playwright or Chromium
cannot be found or launched.
"""
from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
LESSON_03 = "03_stride_padding_dilation.ipynb"
LESSON_02 = "02_convolution_by_hand.ipynb"
VIEWPORT = {"width": 1280, "height": 800}
SCREENS = [{"width": 1280, "height": 800}, {"width": 1920, "height": 1080}]
EXPLORERS = "explorers.ipynb"     # every explorer, each in a demanding state (written by the test)
SERVER_START_S = 120       # JupyterLab answers in a few seconds; more on a busy machine
RUN_TIMEOUT_S = 90           # one lesson, all cells, quick mode (about 10 s measured)
CHROMIUM_ARGS = [
    "--no-sandbox",          # needed as root (CI containers)
    "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
# A traceback as JupyterLab renders it (error outputs become stderr-typed text);
# plain stderr (TensorFlow's info lines) is fine.
ERROR_PATTERN = re.compile(r"Traceback|^\s*Cell In\[|^\w*(Error|Exception)\b.*:|"
                           r"Error displaying widget|Error rendering output", re.MULTILINE)


# ----------------------------------------------------------------------------- server
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(server: dict, path: str, method: str = "GET"):
    req = urllib.request.Request(f"{server['url']}{path}", method=method,
                                 headers={"Authorization": f"token {server['token']}"})
    with urllib.request.urlopen(req, timeout=5) as r:
        body = r.read()
    return json.loads(body) if body else None


@pytest.fixture(scope="module")
def jupyter_server(tmp_path_factory):
    """A JupyterLab serving a temp folder that holds copies of lessons 02 and 03."""
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "root"
    root.mkdir()
    for name in (LESSON_02, LESSON_03):   # the lessons only need the installed cnn_course
        shutil.copy(NOTEBOOKS / name, root / name)
    nbformat.write(_explorers_notebook(), root / EXPLORERS)
    config, settings, notary = base / "config", base / "settings", base / "notary"
    notary.mkdir()
    (config / "labconfig").mkdir(parents=True)
    # no "get notified about Jupyter news?" toast: it would cover the notebook
    (config / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    # render every cell (no virtual scrolling), so that prompts and outputs of
    # cells outside the viewport are in the DOM and can be checked
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))

    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, CNN_COURSE_MODE="quick", JUPYTER_CONFIG_DIR=str(config),
               JUPYTER_RUNTIME_DIR=str(base / "runtime"), IPYTHONDIR=str(base / "ipython"))
    # CNN_COURSE_DATA comes from tests/conftest.py (os.environ); the widgets lab
    # extension is found in sys.prefix/share/jupyter, so JUPYTER_DATA_DIR stays.
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False",
           "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.extension_manager=readonly",
           f"--LabApp.user_settings_dir={settings}",
           f"--LabApp.workspaces_dir={base / 'workspaces'}",
           f"--NotebookNotary.data_dir={notary}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--ServerApp.allow_root=True")
    log_path = base / "jupyterlab.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT)
        server = {"url": f"http://127.0.0.1:{port}", "token": token, "root": root,
                  "log": log_path}
        with _serving(proc, server, SERVER_START_S):
            yield server


@contextlib.contextmanager
def _serving(proc: subprocess.Popen, server: dict, start_s: float) -> Iterator[None]:
    """Wait until the JupyterLab run by ``proc`` answers (at most ``start_s`` seconds), then
    stop it when the block ends; the log file ``server["log"]`` tells why it failed."""
    log_path = server["log"]
    try:
        deadline = time.monotonic() + start_s
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {proc.returncode}:\n"
                            f"{log_path.read_text()[-3000:]}")
            try:
                _api(server, f"/api/status?token={server['token']}")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within {start_s} s:\n"
                                f"{log_path.read_text()[-3000:]}")
                time.sleep(0.2)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _shutdown_kernels(server: dict) -> None:
    """Free the CPU for the next lesson (2-core CI machine)."""
    try:
        for session in _api(server, "/api/sessions"):
            _api(server, f"/api/sessions/{session['id']}", method="DELETE")
    except (urllib.error.URLError, OSError):
        pass


# ----------------------------------------------------------------------------- browser
def _chromium_path() -> str:
    path = os.environ.get("CNN_COURSE_CHROMIUM") or shutil.which("chromium") \
        or shutil.which("chromium-browser")
    if not path and Path("/usr/bin/chromium").exists():
        path = "/usr/bin/chromium"
    if not path:
        pytest.skip("Chromium not found (install Debian's `chromium` package or set "
                    "CNN_COURSE_CHROMIUM to its path); the browser test needs it")
    return path


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        pytest.skip(f"the Python package `playwright` is not installed ({err}); "
                    "install the test extra: pip install -e .[test]")
    executable = _chromium_path()
    profile = tmp_path_factory.mktemp("chromium-profile")
    pw = sync_playwright().start()
    try:
        try:
            context = pw.chromium.launch_persistent_context(
                str(profile), executable_path=executable, headless=True, viewport=VIEWPORT,
                args=CHROMIUM_ARGS)
        except PlaywrightError as err:
            pytest.skip(f"Chromium at {executable} could not be launched by Playwright: "
                        f"{str(err).splitlines()[0]}")
        context.set_default_timeout(30_000)
        try:
            yield context
        finally:
            context.close()
    finally:
        pw.stop()


# ----------------------------------------------------------------------------- notebook helpers
def _dismiss_dialogs(page, seen: list[str]) -> None:
    """Answer the kernel-selection dialog with the default (Python 3) kernel; fail on any
    other dialog (a file load error, a kernel failure, ...), showing its text."""
    dialog = page.locator(".jp-Dialog")
    for _ in range(5):
        if not dialog.count() or not dialog.first.is_visible():
            return
        text = " ".join(dialog.first.inner_text().split())
        accept = dialog.first.locator(".jp-Dialog-button.jp-mod-accept")
        if "kernel" not in text.lower() or "error" in text.lower() or not accept.count():
            page.screenshot(path=str(ARTIFACTS / "unexpected_dialog.png"))
            pytest.fail(f"JupyterLab showed a dialog: {text[:500]}")
        seen.append(text[:200])
        accept.first.click()
        page.wait_for_timeout(300)


def _menu(page, menu: str, command: str) -> None:
    page.locator(".lm-MenuBar-item", has_text=menu).click()
    page.locator(f'.lm-Menu-item[data-command="{command}"]').click()


_STATE_JS = """() => {
  const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')]
      .map(c => (c.querySelector('.jp-InputArea-prompt') || {}).textContent || '');
  const status = (document.querySelector('.jp-Notebook-ExecutionIndicator') || {dataset: {}})
      .dataset.status;
  return {prompts: prompts.map(p => p.trim()), status: status};
}"""


def _error_outputs(page) -> list[str]:
    texts = page.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], "
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error'], "
        ".jp-OutputArea-output .jupyter-widgets").all_inner_texts()
    return [t[:1500] for t in texts if ERROR_PATTERN.search(t)]


def _open_and_run_all(page, server: dict, notebook: str) -> tuple[float, list[str]]:
    """Open ``notebook`` in its own workspace, run all cells, fail on any error output."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    dialogs: list[str] = []
    workspace = Path(notebook).stem.replace("_", "-")
    page.goto(f"{server['url']}/lab/workspaces/{workspace}/tree/{notebook}"
              f"?token={server['token']}")
    page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    page.wait_for_timeout(500)
    _dismiss_dialogs(page, dialogs)
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(
        timeout=60_000)
    for attempt in range(3):     # on a busy machine the first click can come too early
        _menu(page, "Edit", "editmenu:clear-all")     # prompts become "[ ]:", outputs go
        try:
            page.wait_for_function("""() => [...document.querySelectorAll(
                '.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')]
                .every(p => !/\\d/.test(p.textContent))""", timeout=30_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                page.screenshot(path=str(ARTIFACTS / f"{Path(notebook).stem}_not_cleared.png"))
                raise
            page.keyboard.press("Escape")
    t0 = time.monotonic()
    state: dict = {}
    started = quiet_since = None
    attempts = 0
    while time.monotonic() - t0 < RUN_TIMEOUT_S:
        if started is None and attempts < 3 and time.monotonic() - t0 >= 5 * attempts:
            attempts += 1                            # (re)issue Run All until cells queue
            page.keyboard.press("Escape")
            _menu(page, "Run", "runmenu:run-all")
        _dismiss_dialogs(page, dialogs)
        state = page.evaluate(_STATE_JS)
        prompts = state["prompts"]
        if prompts and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts):
            break
        queued = any(p == "[*]:" for p in prompts)
        busy = state["status"] != "idle" or queued
        # a busy kernel alone is not a started run (it is busy while it starts up, and a
        # Run All issued then is lost): only queued or numbered cells count
        if queued or any(re.fullmatch(r"\[\d+\]:", p) for p in prompts):
            started = started or time.monotonic()
        if busy or started is None:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 3:   # idle, nothing queued: run stopped
            break
        page.wait_for_timeout(250)
    elapsed = time.monotonic() - t0
    errors = _error_outputs(page)
    if errors:
        page.screenshot(path=str(ARTIFACTS / f"{Path(notebook).stem}_error.png"))
        pytest.fail(f"{notebook}: error output in the notebook:\n\n" + "\n\n".join(errors))
    not_run = [i for i, p in enumerate(state.get("prompts", []))
               if not re.fullmatch(r"\[\d+\]:", p)]
    assert not not_run, (f"{notebook}: code cells {not_run} were not executed after "
                         f"{elapsed:.0f} s (Run All issued {attempts} time(s); prompts "
                         f"{state.get('prompts')}, kernel {state.get('status')})")
    return elapsed, dialogs


def _output_with(page, text: str):
    """The single output area (a widget view) whose text contains ``text``."""
    out = page.locator(".jp-OutputArea-output").filter(
        has=page.locator(".jupyter-widgets.widget-vbox")).filter(has_text=text)
    out.first.wait_for(state="visible", timeout=30_000)
    assert out.count() == 1, f"expected one widget output containing {text!r}, " \
                             f"found {out.count()}"
    return out.first


def _slider(widget, description: str):
    slider = widget.locator(".widget-slider").filter(
        has=widget.page.locator("label.widget-label", has_text=re.compile(
            rf"^\s*{re.escape(description)}\s*$")))
    assert slider.count() == 1, f"no single slider labelled {description!r}"
    return slider


def _press_right(page, slider) -> None:
    """Move a slider one step right with the keyboard, as a student can."""
    handle = slider.locator(".noUi-handle")
    handle.focus()
    page.keyboard.press("ArrowRight")


def _wait_for(page, predicate, timeout_s: float = 20, what: str = "a change"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        page.wait_for_timeout(100)
    pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")


def _shot(page, element, name: str) -> None:
    """Two screenshots: what a student sees at 1280x800 with the widget's top at the top of
    the notebook, and the whole widget (viewport made taller for it, same width)."""
    element.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    height = int(element.bounding_box()["height"])
    if height > VIEWPORT["height"] - 200:
        page.set_viewport_size({"width": VIEWPORT["width"], "height": height + 250})
        page.wait_for_timeout(300)
        element.evaluate("e => e.scrollIntoView({block: 'start'})")
    try:
        element.screenshot(path=str(ARTIFACTS / f"{name}_widget.png"))
    finally:
        page.set_viewport_size(VIEWPORT)


def _saved_problems(path: Path) -> list[str]:
    """Error outputs and unexecuted code cells in the saved copy: a second check,
    independent of the DOM."""
    nb = nbformat.read(path, as_version=4)
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.get("execution_count") is None:
            found.append(f"cell {i}: not executed")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
    return found


@contextlib.contextmanager
def _new_page(browser, server: dict):
    """A fresh tab; JavaScript errors are collected in ``page.js_errors``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    try:
        yield page
    finally:
        page.close()
        _shutdown_kernels(server)


@pytest.fixture
def page(browser, jupyter_server):
    with _new_page(browser, jupyter_server) as page:
        yield page


def _save(page, server: dict, notebook: str) -> list[str]:
    """Save the copy (File > Save) and return the problems found in the file."""
    path = server["root"] / notebook
    before = path.stat().st_mtime_ns
    _menu(page, "File", "docmanager:save")
    _wait_for(page, lambda: path.stat().st_mtime_ns != before, 15, f"{notebook} to be saved")
    page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty").wait_for(state="detached")
    return _saved_problems(path)


# ----------------------------------------------------------------------------- tests
@pytest.fixture(scope="module")
def lesson03(browser, jupyter_server):
    """Lesson 03 open in a tab, all cells run, the convolution explorer rendered."""
    with _new_page(browser, jupyter_server) as page:
        elapsed, dialogs = _open_and_run_all(page, jupyter_server, LESSON_03)
        print(f"\n{LESSON_03}: all cells ran in {elapsed:.1f} s "
              f"(dialogs: {dialogs or 'none'})")
        explorer = _output_with(page, "floor(")
        images = explorer.locator("img")
        _wait_for(page, lambda: images.count() == 2 and all(
            (images.nth(i).get_attribute("src") or "").startswith(("blob:", "data:"))
            for i in range(2)), what="the explorer's input and output images")
        yield page, explorer


def test_lesson03_conv_explorer_stride_slider(lesson03, jupyter_server):
    page, explorer = lesson03
    stride = _slider(explorer, "stride")
    readout = stride.locator(".widget-readout")
    images = explorer.locator("img")
    # the explorer is built before cell 21 sets stride 2 and padding 1 from Python
    _wait_for(page, lambda: readout.inner_text().strip() == "2",
              what="the stride set from Python (2) to reach the browser")

    def shown():
        text = explorer.inner_text()
        m = re.search(r"output (\d+)x(\d+)\s*$", text, re.MULTILINE)
        return (m and m.group(0)), text

    size_before, text_before = shown()
    assert size_before, f"no 'output HxW' size line in the explorer:\n{text_before}"
    assert "floor((512 + 2*1 - 3) / 2) + 1 = 256" in text_before, text_before
    src_before = images.nth(1).get_attribute("src")
    _shot(page, explorer, "lesson03_explorer_rendered")

    _press_right(page, stride)
    _wait_for(page, lambda: readout.inner_text().strip() == "3", what="stride readout 3")
    size_after = _wait_for(page, lambda: (shown()[0] != size_before) and shown()[0],
                           what="the displayed output size to change")
    _wait_for(page, lambda: images.nth(1).get_attribute("src") != src_before,
              what="the output image to redraw")
    text_after = explorer.inner_text()
    assert size_after == "output 171x171", (size_before, size_after)
    assert "floor((512 + 2*1 - 3) / 3) + 1 = 171" in text_after, text_after
    _shot(page, explorer, "lesson03_explorer_stride3")

    assert not _error_outputs(page), _error_outputs(page)
    assert not page.js_errors, f"JavaScript errors: {page.js_errors}"
    assert not _save(page, jupyter_server, LESSON_03), "problems in the saved notebook"



# ----------------------------------------------------------------------------- how it looks
# Display problems the screenshots once showed (images drawn at different scales, an
# explorer taller than a 1280x800 screen, a black input panel); these checks guard the fixes.
_IMG_JS = """e => { const r = e.getBoundingClientRect();
  return {natural: [e.naturalWidth, e.naturalHeight], shown: [r.width, r.height]}; }"""


def test_lesson03_explorer_draws_input_and_output_at_the_same_scale(lesson03):
    page, explorer = lesson03
    images = explorer.locator("img")
    sizes = [images.nth(i).evaluate(_IMG_JS) for i in range(images.count())]
    ratios = [s["shown"][0] / s["natural"][0] for s in sizes]
    assert max(ratios) - min(ratios) < 0.02 * max(ratios), (
        f"input and output images are drawn at different scales (shown / natural width "
        f"{[round(r, 3) for r in ratios]}; sizes {sizes}): a stride-s output must look "
        f"s times smaller than its input")


def test_lesson03_explorer_input_panel_is_not_blank(lesson03):
    # lesson 03 passes camera / 255 (values in [0, 1]); a fixed 0..255 range drew it black
    from PIL import Image
    import numpy as np
    page, explorer = lesson03
    png = explorer.locator("img").first.evaluate("""async e => {
        const u = new Uint8Array(await (await fetch(e.src)).arrayBuffer());
        let s = ''; for (let i = 0; i < u.length; i += 8192)
            s += String.fromCharCode.apply(null, u.subarray(i, i + 8192));
        return btoa(s); }""")
    grey = np.asarray(Image.open(io.BytesIO(base64.b64decode(png))).convert("L"), float)
    assert grey.std() > 10 and 20 < grey.mean() < 235, (
        f"the input panel is nearly uniform (mean {grey.mean():.1f}, std {grey.std():.1f} "
        f"of 255): the student sees no image")


def test_lesson03_explorer_fits_a_1280x800_screen(lesson03):
    page, explorer = lesson03
    visible = page.locator(".jp-NotebookPanel .jp-Notebook").first.evaluate(
        "e => e.clientHeight")
    height = explorer.bounding_box()["height"]
    assert height <= visible, (
        f"the explorer is {height:.0f} px tall but the notebook shows {visible} px at "
        f"1280x800: the student cannot see the stride slider and the output image at once")


def test_lesson02_conv_stepper_step_forward(page, jupyter_server):
    elapsed, dialogs = _open_and_run_all(page, jupyter_server, LESSON_02)
    print(f"\n{LESSON_02}: all cells ran in {elapsed:.1f} s (dialogs: {dialogs or 'none'})")

    stepper = _output_with(page, "Convolution step by step")
    step = _slider(stepper, "step")
    readout = step.locator(".widget-readout")
    # cell 12 sets step = 6 from Python
    _wait_for(page, lambda: readout.inner_text().strip() == "6",
              what="the step set from Python (6) to reach the browser")

    output_table = stepper.locator("table").last     # padded input, kernel, output

    def filled() -> int:
        cells = output_table.locator("td").all_inner_texts()
        assert len(cells) == 16, f"the output table should be 4x4, has {len(cells)} cells"
        return sum(bool(c.strip()) for c in cells)

    assert filled() == 6
    assert "6 of 16 cells" in stepper.inner_text()
    arithmetic_before = stepper.inner_text()
    _shot(page, stepper, "lesson02_stepper_rendered")

    _press_right(page, step)
    _wait_for(page, lambda: readout.inner_text().strip() == "7", what="step readout 7")
    _wait_for(page, lambda: filled() == 7, what="a 7th filled output cell")
    text = stepper.inner_text()
    assert "7 of 16 cells" in text, text
    assert "output[1, 2] =" in text and text != arithmetic_before, text
    _shot(page, stepper, "lesson02_stepper_step7")

    assert not _error_outputs(page), _error_outputs(page)
    assert not page.js_errors, f"JavaScript errors: {page.js_errors}"
    assert not _save(page, jupyter_server, LESSON_02), "problems in the saved notebook"


# ----------------------------------------------------------------------------- every explorer fits
# Issue 19: the receptive-field explorer was cut off at 1280x800 (stride and dilation boxes,
# slider values, presets), a 15x15 kernel table pushed the images off screen, the pooling
# explorer truncated "average". Each explorer is shown in the state that used to break it.
EXPLORER_CELLS = {     # name -> (code, a text only that explorer shows)
    "conv_explorer": ("w = cc.widgets.conv_explorer()\nw.filter.value = 'gaussian'\n"
                      "w.kernel_size.value = 15\nw", "kernel: gaussian"),
    "pool_explorer": ("w = cc.widgets.pool_explorer()\nw.mode.value = 'avg'\nw",
                      "average pooled"),
    "conv_stepper": ("w = cc.widgets.conv_stepper()\nw.padding.value = 1\nw.step.value = 10\nw",
                     "Convolution step by step"),
    "receptive_field_explorer": (
        "w = cc.widgets.receptive_field_explorer()\n"
        "w.preset.value = 'LeNet-5 (5x5 conv, 2x2 pool, x2)'\nw.input_size.value = 64\n"
        "w.add_layer('conv', 3, 2, 2)\nw",
        "Red: receptive field"),
    "model_explorer": (
        "model = cc.build_model('fashion_cnn')\n(_, _), (x, y) = cc.load_dataset('fashion_mnist')\n"
        "w = cc.explore_model(model, x[:10, ..., None] / 255, y[:10], "
        "cc.class_names('fashion_mnist'))\nw", "Most active channels"),
}


def _explorers_notebook():
    cells = [nbformat.v4.new_code_cell("import cnn_course as cc\ncfg = cc.setup(tensorflow=False)")]
    cells += [nbformat.v4.new_code_cell(code) for code, _ in EXPLORER_CELLS.values()]
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})


# Everything inside the widget that sticks out of its output area, or whose text is cut off.
_OVERFLOW_JS = """e => {
  const out = e.closest('.jp-OutputArea-output');
  const limit = Math.min(out.getBoundingClientRect().right, window.innerWidth);
  const bad = [];
  for (const d of [e, ...e.querySelectorAll('*')]) {
    const r = d.getBoundingClientRect();
    const st = getComputedStyle(d);
    if (r.width === 0 || r.height === 0 || st.visibility === 'hidden') continue;
    if (d.closest('details:not([open]) > :not(summary)')) continue;   // folded away
    const name = d.tagName.toLowerCase() + '.' + String(d.className).split(' ').slice(0, 2).join('.');
    if (r.right > limit + 1)
      bad.push(`${name} '${(d.textContent || '').trim().slice(0, 30)}' ends at x=${Math.round(r.right)} > ${Math.round(limit)}`);
    if (d.matches('button, label, .widget-label, .widget-readout, select')
        && d.scrollWidth > d.clientWidth + 1)
      bad.push(`text cut off in ${name}: '${(d.textContent || '').trim().slice(0, 30)}' needs ${d.scrollWidth} px, has ${d.clientWidth}`);
  }
  return {limit: limit, bad: bad.slice(0, 15), scroll: [out.scrollWidth, out.clientWidth]};
}"""


@pytest.fixture(scope="module")
def explorers(browser, jupyter_server):
    """The generated notebook with every explorer, all cells run."""
    with _new_page(browser, jupyter_server) as page:
        elapsed, _ = _open_and_run_all(page, jupyter_server, EXPLORERS)
        print(f"\n{EXPLORERS}: all cells ran in {elapsed:.1f} s")
        yield page


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s['width']}x{s['height']}")
@pytest.mark.parametrize("name", list(EXPLORER_CELLS))
def test_every_explorer_fits_the_screen_width(explorers, name, screen):
    page = explorers
    page.set_viewport_size(screen)
    try:
        widget = _output_with(page, EXPLORER_CELLS[name][1])
        page.wait_for_timeout(500)                # let JupyterLab lay out at the new size
        widget.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)
        size = f"{screen['width']}x{screen['height']}"
        page.screenshot(path=str(ARTIFACTS / f"explorer_{name}_{size}.png"))
        box = widget.bounding_box()
        found = widget.evaluate(_OVERFLOW_JS)
        visible = page.locator(".jp-NotebookPanel .jp-Notebook").first.evaluate(
            "e => e.clientHeight")
        print(f"\n{name} at {size}: {box['width']:.0f}x{box['height']:.0f} px at "
              f"x={box['x']:.0f}; notebook shows {visible} px of height")
    finally:
        page.set_viewport_size(VIEWPORT)
    assert box["x"] >= 0 and box["x"] + box["width"] <= screen["width"], (
        f"{name} spans x={box['x']:.0f}..{box['x'] + box['width']:.0f} on a "
        f"{screen['width']} px wide screen")
    assert not found["bad"], f"{name} at {size}: " + "; ".join(found["bad"])
    assert found["scroll"][0] <= found["scroll"][1] + 1, (
        f"{name} at {size}: the output area scrolls sideways {found['scroll']}")


def test_model_explorer_layer_choice_and_upload_in_the_browser(explorers):
    """The model explorer answers a layer chosen in its dropdown and a PNG uploaded with its
    file-upload control (RGB into the grey 28x28 model), text equivalents included."""
    from PIL import Image
    page = explorers
    widget = _output_with(page, EXPLORER_CELLS["model_explorer"][1])
    widget.evaluate("e => e.scrollIntoView({block: 'start'})")
    layer = widget.locator(".widget-dropdown").filter(has_text="layer").locator("select")
    layer.select_option("conv1")
    _wait_for(page, lambda: "conv1: the 8 most active of 64 channels" in widget.inner_text(),
              what="the feature maps of conv1")
    _wait_for(page, lambda: "at conv1:" in widget.inner_text(), what="Grad-CAM at conv1")
    rgb = Image.new("RGB", (60, 40), (200, 30, 30))
    buf = io.BytesIO()
    rgb.save(buf, format="PNG")
    with page.expect_file_chooser() as chooser:      # the student's click on "upload image"
        widget.locator("button.widget-upload, .widget-upload").first.click()
    chooser.value.set_files(
        files=[{"name": "red.png", "mimeType": "image/png", "buffer": buf.getvalue()}])
    _wait_for(page, lambda: "uploaded: red.png" in widget.inner_text(),
              what="the uploaded image to be chosen")

    def top3_line() -> str:
        text = widget.inner_text()
        return text.split("Top 3:")[1].split("\n")[0] if "Top 3:" in text else ""

    # the image label changes first, the prediction a moment later (a second render): wait for it
    _wait_for(page, lambda: top3_line() and "(true:" not in top3_line(),
              what="the prediction of the uploaded image, which has no true class")
    text = widget.inner_text()
    assert "Top 3:" in text and "(true:" not in top3_line(), text
    page.screenshot(path=str(ARTIFACTS / "explorer_model_explorer_uploaded.png"))
    assert not _error_outputs(page), _error_outputs(page)
    assert not page.js_errors, f"JavaScript errors: {page.js_errors}"
