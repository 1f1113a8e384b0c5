"""Gradescope's side of the autograder bundle: grade the submission, always write results.json.

``run_autograder`` (see ``deploy/gradescope/``) calls ``python -m grader.gradescope_run``
once per submission. Gradescope's layout, under a root that is ``/autograder``
there (``--root`` or ``GRADER_AUTOGRADER_ROOT`` elsewhere, e.g. in tests):

    source/                 the unpacked bundle: grader/, assignment/, gradescope.json
    submission/             the student's files, put there by Gradescope
    results/results.json    what Gradescope shows; written here, atomically, last

Students see only ``results.json``; this process's stdout is for instructors
(Gradescope keeps it hidden), so staff details such as tracebacks go there.

Gradescope treats a missing ``results.json`` as "the autograder failed" and
tells the student nothing, so every path out of :func:`main` writes one: a
grade, a "could not be graded" result for an unusable submission, or, when
the grader itself breaks, a score-0 result saying so. Only the standard
library is imported before that is guaranteed, so even a broken torch or
grader install still produces a file.

Isolation: Gradescope runs each submission as root in a Docker container
without namespaces, so the sandbox cannot reach L3 there (docs/threats.md, Levels: L2 is
the most that target allows). Nothing is required; the level reached is
recorded in ``extra_data.isolation`` and printed for instructors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

__all__ = ["CONFIG_NAME", "could_not_grade", "grade_autograder_root", "main", "write_results"]

CONFIG_NAME = "gradescope.json"
DEFAULT_ROOT = "/autograder"
ROOT_VARIABLE = "GRADER_AUTOGRADER_ROOT"

_GRADER_FAILED = (
    "The autograder failed before it could grade your files. This is a problem on the "
    "course's side, not in your code, and the course staff can see what went wrong. "
    "Please submit again later; if it keeps happening, contact the course staff."
)


def could_not_grade(message: str = _GRADER_FAILED, *, duration: float = 0.0) -> dict[str, Any]:
    """A valid results.json for "the grader broke": score 0, one plain message, no tests."""
    return {
        "score": 0,
        "execution_time": round(duration, 2),
        "output": f"**This submission could not be graded.**\n\n{message}",
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
        "extra_data": {"status": "grader_error"},
    }


def write_results(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` as strict JSON, atomically (stdlib only: works when all else fails)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=True, allow_nan=False)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".results.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def load_config(source: Path) -> dict[str, Any]:
    """The bundle's settings (written by :mod:`grader.gradescope_bundle`)."""
    data = json.loads((source / CONFIG_NAME).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{source / CONFIG_NAME}: expected a JSON object")
    return data


def grade_autograder_root(root: Path) -> dict[str, Any]:
    """Grade ``root/submission`` with the bundle in ``root/source``; the results.json payload.

    Raises only when the grader itself is broken (bad bundle, failed import,
    sandbox that cannot start); student problems become a graded or "could
    not be graded" result, as with ``grader grade``.
    """
    source = root / "source"
    config = load_config(source)
    # The bundle carries its assignment (checks, solutions, released stubs) beside the grader.
    os.environ.setdefault("GRADER_ASSIGNMENT", str(source / "assignment"))

    import torch

    import grader
    from grader.grading import grade_path
    from grader.reports import gradescope_results
    from grader.sandbox.trusted.client import SandboxHost

    exercises = config.get("exercises") or None
    location = Path(grader.__file__).parent
    print(f"grader {grader.__version__} from {location} (torch {torch.__version__})")
    with SandboxHost(secrets=(root / "results",)) as host:
        layers = ", ".join(host.isolation.layers) or "none"
        print(f"isolation: {host.isolation.level} ({layers})")
        result = grade_path(root / "submission", host, name="submission", exercises=exercises)
    print(
        f"submission: {result.status.value}, {result.score:g}/{result.max_score:g} "
        f"in {result.duration:.1f} s"
    )
    if result.reason:
        _staff(f"reason: {result.reason}")
    if result.staff_log:
        _staff("staff log:\n" + result.staff_log)
    return gradescope_results(
        result, hidden_visibility=config.get("hidden_visibility", "after_published")
    )


def _staff(text: str) -> None:
    """Print text that may quote the student (lone surrogates, any script) on any stdout."""
    print(text.encode("ascii", "backslashreplace").decode("ascii"), flush=True)


def main(argv: list[str] | None = None) -> int:
    """Grade and write results.json; 0 once a results.json is written, 1 if even that failed."""
    parser = argparse.ArgumentParser(prog="python -m grader.gradescope_run")
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(os.environ.get(ROOT_VARIABLE) or DEFAULT_ROOT),
        help=f"the autograder root (default: ${ROOT_VARIABLE} or {DEFAULT_ROOT})",
    )
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    results = root / "results" / "results.json"
    started = time.perf_counter()
    try:
        payload = grade_autograder_root(root)
    except BaseException:  # whatever broke, the student must still get a result
        print("the grader failed; writing a could-not-be-graded result", flush=True)
        traceback.print_exc(file=sys.stdout)
        payload = could_not_grade(duration=time.perf_counter() - started)
    try:
        write_results(results, payload)
    except Exception:  # e.g. a value strict JSON refuses: still say "could not be graded"
        traceback.print_exc(file=sys.stdout)
        try:
            write_results(results, could_not_grade(duration=time.perf_counter() - started))
        except Exception:
            traceback.print_exc(file=sys.stdout)
            return 1  # run_autograder writes its own fallback
    print(f"wrote {results}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
