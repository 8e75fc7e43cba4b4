#!/usr/bin/env bash
# The course's two set-up commands (see README.md):
#   bash course.sh lab     create .venv on first use, install the course, open it in JupyterLab
#   bash course.sh test    same set-up, then run every test (unit tests and all notebooks)
# and, with the same set-up, the student's other commands without activating .venv:
#   bash course.sh doctor  check the installation (= .venv/bin/cnn-course doctor)
#   bash course.sh work    copy new lessons into my-work/ after a `git pull`, report changed ones
# Both are idempotent: a second run reuses the installed environment unless
# pyproject.toml changed. Extra arguments go to JupyterLab or pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
VENV="${CNN_COURSE_VENV:-.venv}"

die() { echo "course.sh: $*" >&2; exit 1; }

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3.10 python3; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
            echo "$candidate"; return 0
        fi
    done
    return 1
}

ensure_env() {
    if [ ! -x "$VENV/bin/python" ]; then
        local py
        py=$(find_python) || die "Python 3.10 or newer is needed (Debian/Ubuntu: sudo apt-get install python3 python3-venv)."
        echo "==> creating the virtual environment $VENV with $($py --version)"
        "$py" -m venv "$VENV" || { rm -rf "$VENV"; die "could not create $VENV (Debian/Ubuntu: sudo apt-get install python3-venv)."; }
    fi
    local stamp
    stamp="$VENV/.cnn-course-$(cksum < pyproject.toml | cut -d' ' -f1)"
    if [ ! -f "$stamp" ]; then
        echo "==> installing cnn-course and its dependencies into $VENV (first run: a few minutes)"
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet --editable ".[test]"
        rm -f "$VENV"/.cnn-course-*
        touch "$stamp"
    fi
    # The Jupyter kernel "cnn-course" that every course notebook names (nbval, JupyterLab):
    # this environment's Python, so that no other Jupyter's Python is picked.
    if [ ! -f "$VENV/share/jupyter/kernels/cnn-course/kernel.json" ]; then
        "$VENV/bin/python" -m ipykernel install --sys-prefix --name cnn-course \
            --display-name "Python (cnn-course)" >/dev/null
    fi
}

command="${1:-}"
[ $# -gt 0 ] && shift
case "$command" in
    lab)
        ensure_env
        # Your copies of the lessons in my-work/ (git-ignored), JupyterLab opened on the
        # rendered course map there (cnn_course/tooling/lab.py says how).
        exec "$VENV/bin/cnn-course" lab "$@"
        ;;
    doctor|work)
        ensure_env
        exec "$VENV/bin/cnn-course" "$command" "$@"
        ;;
    test)
        ensure_env
        # The lessons run in quick mode (small subsets, few epochs) unless told otherwise.
        export CNN_COURSE_MODE="${CNN_COURSE_MODE:-quick}"
        export CNN_COURSE_STRICT_CHECKS=1   # a failing check fails its cell (cnn_course/_kernel.py)
        export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
        export MPLBACKEND=Agg
        # Networks the lessons train are cached (cnn-course cache); a test run starts empty so
        # that it measures what a fresh machine does, and leaves the student's cache alone.
        export CNN_COURSE_CACHE="${CNN_COURSE_CACHE:-$(mktemp -d -t cnn-course-cache.XXXXXX)}"
        exec "$VENV/bin/python" -m pytest -n "${CNN_COURSE_JOBS:-auto}" --dist loadfile \
            --nbval-lax --nbval-cell-timeout=300 \
            tests notebooks solutions "$@"
        ;;
    *)
        echo "usage: bash course.sh lab|test|doctor|work [extra arguments]" >&2
        exit 2
        ;;
esac
