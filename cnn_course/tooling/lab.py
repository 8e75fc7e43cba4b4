"""``cnn-course lab``: open the course in JupyterLab, landing on the rendered course map.

What ``bash course.sh lab`` runs (and, without bash, ``.venv\\Scripts\\cnn-course lab`` on
Windows or ``cnn-course lab`` in a conda environment):

1. :func:`install_kernel` registers this environment's Python as the Jupyter kernel
   ``cnn-course`` ("Python (cnn-course)"), the kernel every course notebook names, so no other
   Jupyter's Python is picked;
2. :func:`write_lab_settings` writes the course's JupyterLab defaults into this environment
   (``share/jupyter/lab/settings/overrides.d/cnn-course.json``): Markdown files open rendered,
   so the course map is a page of links;
3. :func:`~cnn_course.tooling.work_folder.sync_work_folder` fills ``my-work/`` with copies of
   the lessons and exercises;
4. JupyterLab starts on ``my-work/`` with :func:`lab_arguments`: its start page is the course
   map (also the address printed with ``--no-browser``), and :func:`drop_widget_views` runs
   before each save.

Why widget views are not saved: a saved view refers to a widget model in the kernel that ran
it; reopened later, it shows "Error displaying widget: model not found". Saving the models
too (ipywidgets' ``saveState``) draws a dead copy instead, and marks every reopened notebook
as modified. So a saved notebook keeps a one-line note in place of each widget, and running
the cell again brings the widget back.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence

from .clean_notebooks import KERNEL_DISPLAY_NAME, KERNEL_NAME
from .work_folder import COURSE_MAP, WORK_DIR_NAME, course_root, sync_work_folder

SETTINGS_FILE = "cnn-course.json"
LAB_SETTINGS: dict[str, dict] = {
    # open .md files rendered: the course map is a page whose links open the lessons
    "@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown":
                                                                   "Markdown Preview"}},
}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = "[an interactive widget: run this cell to show it again]"


def kernel_dir(prefix: str | Path = sys.prefix) -> Path:
    """Where the course kernel's spec lives in the environment at ``prefix``."""
    return Path(prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME


def install_kernel(prefix: str | Path = sys.prefix) -> Path:
    """Register the Python running this code as the Jupyter kernel ``cnn-course`` inside the
    environment at ``prefix`` (``python -m ipykernel install --sys-prefix --name cnn-course``);
    a spec that already runs this Python is left as it is. Returns the spec's folder."""
    spec = kernel_dir(prefix) / "kernel.json"
    try:
        if json.loads(spec.read_text(encoding="utf-8"))["argv"][0] == sys.executable:
            return spec.parent
    except (OSError, ValueError, KeyError, IndexError):
        pass
    from ipykernel.kernelspec import install

    return Path(install(kernel_name=KERNEL_NAME, display_name=KERNEL_DISPLAY_NAME,
                        prefix=str(prefix)))


def settings_dir(prefix: str | Path = sys.prefix) -> Path:
    """JupyterLab's application settings folder of the environment at ``prefix`` (its
    ``overrides.d/`` holds defaults that a user's own settings still override)."""
    return Path(prefix) / "share" / "jupyter" / "lab" / "settings"


def write_lab_settings(prefix: str | Path = sys.prefix) -> Path:
    """Write :data:`LAB_SETTINGS` as JupyterLab defaults for the environment at ``prefix``.
    Returns the file written (``overrides.d/cnn-course.json``; nothing else is touched)."""
    path = settings_dir(prefix) / "overrides.d" / SETTINGS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(LAB_SETTINGS, indent=2, sort_keys=True) + "\n"
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def drop_widget_views(model: dict, **kwargs) -> None:
    """JupyterLab's pre-save hook (``ContentsManager.pre_save_hook``): in a notebook being
    saved, replace each widget view by :data:`WIDGET_NOTE` and drop saved widget state
    (``metadata.widgets``), in place. Other files and outputs are left alone."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    nb = model["content"]
    nb.get("metadata", {}).pop("widgets", None)
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            data = out.get("data")
            if isinstance(data, dict) and WIDGET_VIEW in data:
                data.clear()
                data["text/plain"] = WIDGET_NOTE


def start_page(course_map: str = COURSE_MAP) -> str:
    """The address JupyterLab opens first (and prints with ``--no-browser``): the course map
    in the work folder, shown rendered."""
    return f"/lab/tree/{course_map}"


def lab_arguments(work: str | Path, as_root: bool | None = None) -> list[str]:
    """The options ``cnn-course lab`` starts JupyterLab with: serve ``work``, open on the
    course map; ``--allow-root`` only where running as root (containers, CI)."""
    if as_root is None:
        as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    args = [f"--ServerApp.root_dir={Path(work).resolve()}",
            f"--LabApp.default_url={start_page()}",
            f"--ContentsManager.pre_save_hook={__name__}.drop_widget_views"]
    return args + (["--ServerApp.allow_root=True"] if as_root else [])


def lab_main(extra: Sequence[str] = (), course: str | Path | None = None,
             work: str | Path | None = None) -> int:
    """``cnn-course lab [JUPYTERLAB OPTIONS]``: set up (kernel, settings, work folder) and run
    JupyterLab until it stops. Returns JupyterLab's exit status (2 for a bad folder)."""
    try:
        course = Path(course) if course is not None else course_root()
        work = Path(work) if work is not None else course / WORK_DIR_NAME
        install_kernel()
        write_lab_settings()
        report = sync_work_folder(course, work)
    except ValueError as exc:
        print(f"cnn-course lab: {exc}")
        return 2
    for line in report.lines(work):
        print(line)
    print(f"your work folder: {work} (your copies of the lessons; git ignores it, so a "
          f"course update never touches your work)")
    cmd = [sys.executable, "-m", "jupyter", "lab", *lab_arguments(work), *extra]
    sys.stdout.flush()
    if os.name == "posix":
        os.execv(sys.executable, cmd)  # pragma: no cover - replaces this process
    return subprocess.call(cmd)
