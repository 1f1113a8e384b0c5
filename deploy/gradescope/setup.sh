#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
#
# Written for Gradescope's default base image, Ubuntu 22.04: its own python3 is
# 3.10, so Python 3.11 comes from Ubuntu's python3.11 packages. The grader's
# dependencies are installed exactly as pinned in pyproject.toml (copied into
# requirements.txt by `grader gradescope`), torch as the CPU-only build: the
# autograder has no GPU and the CUDA build is gigabytes. The grader package is
# NOT pip-installed: run_autograder runs it from /autograder/source, beside the
# solutions and hidden checks, which is where the sandbox expects to find (and
# hide) them.
set -euo pipefail

ROOT="${GRADER_AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="$ROOT/venv"

if ! command -v python3.11 >/dev/null 2>&1; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3.11 python3.11-venv
fi

python3.11 -m venv "$VENV"
TORCH="$(grep -E '^torch==' "$SOURCE/requirements.txt")"
"$VENV/bin/python" -m pip install --no-cache-dir \
    --index-url https://download.pytorch.org/whl/cpu "$TORCH"
"$VENV/bin/python" -m pip install --no-cache-dir -r "$SOURCE/requirements.txt"

# Student code runs as this unprivileged user, never as root (Gradescope's own
# advice for untrusted code); the grader closes the hidden checks, solutions
# and reports to it before each grade. It must be able to run the venv's Python.
SANDBOX_USER="${GRADER_SANDBOX_USER:-grader-sandbox}"
if ! id -u "$SANDBOX_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin --user-group "$SANDBOX_USER"
fi
chmod o+x "$ROOT"
chmod -R o+rX "$VENV"

# Fail the build now, not on the first student: the grader must import from the bundle.
cd "$SOURCE"
GRADER_ASSIGNMENT="$SOURCE/assignment" "$VENV/bin/python" -c \
    "import torch, grader.grading; print('grader ready, torch', torch.__version__)"
