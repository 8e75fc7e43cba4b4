#!/usr/bin/env bash
# The course's two set-up commands (see README.md):
#   bash course.sh lab     create .venv on first use, install the course, open it in JupyterLab
#   bash course.sh test    same set-up, then run every test (unit tests and all notebooks)
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
}

command="${1:-}"
[ $# -gt 0 ] && shift
case "$command" in
    lab)
        ensure_env
        as_root=()
        [ "$(id -u)" = 0 ] && as_root=(--allow-root)   # containers and CI machines run as root
        exec "$VENV/bin/jupyter" lab --notebook-dir=. ${as_root[@]+"${as_root[@]}"} notebooks/index.md "$@"
        ;;
    test)
        ensure_env
        # The lessons run in quick mode (small subsets, few epochs) unless told otherwise.
        export CNN_COURSE_MODE="${CNN_COURSE_MODE:-quick}"
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
        echo "usage: bash course.sh lab|test [extra arguments]" >&2
        exit 2
        ;;
esac
