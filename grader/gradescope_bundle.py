"""Build the Gradescope autograder zip (``grader gradescope OUT.zip``).

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh``
once when it builds the image, and ``run_autograder`` once per submission
(``deploy/gradescope/`` holds both, with the details). The zip holds:

    setup.sh, run_autograder   from deploy/gradescope/ (executable bits set in the zip)
    pyproject.toml             the grader's project file, as in this checkout
    requirements.txt           its pinned dependencies, generated from pyproject.toml
    gradescope.json            this bundle's settings (hidden-check visibility, exercises)
    grader/                    the grader package (the engine: no course in it)
    assignment/                the assignment graded: assignment.toml, its hidden
                               checks, probes, reference solutions, released stubs
                               (an untouched stub is recognised as such) and data files

The hidden checks and solutions never reach students: Gradescope shows them
only ``results.json``. The zip is reproducible (sorted entries, fixed
timestamps), so two builds of the same checkout are byte-identical and an
uploaded bundle can be matched to a commit.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import __version__
from grader.assignment import Assignment, current
from grader.errors import GraderError
from grader.gradescope_run import CONFIG_NAME
from grader.reports.gradescope import VISIBILITIES

__all__ = ["Bundle", "BundleError", "build_bundle", "requirements_txt"]

_EXECUTABLE = ("setup.sh", "run_autograder")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold


class BundleError(GraderError, ValueError):
    """The bundle cannot be built from this checkout (something missing or mistyped)."""

    default_hint = "run `grader gradescope` from the grader's checkout"


@dataclass(frozen=True)
class Bundle:
    path: Path
    names: tuple[str, ...]  # zip entries, in order
    config: dict[str, Any]


def requirements_txt(pyproject: Path) -> str:
    """The project's pinned dependencies as a requirements file (pyproject stays the one source)."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    dependencies = project.get("dependencies", [])
    unpinned = [spec for spec in dependencies if "==" not in spec]
    if unpinned:
        raise BundleError(
            f"{pyproject}: dependencies must be pinned with == for reproducible grades: "
            + ", ".join(unpinned)
        )
    header = "# Generated from pyproject.toml by `grader gradescope`; do not edit.\n"
    return header + "".join(f"{spec}\n" for spec in dependencies)


def build_bundle(
    out: Path,
    *,
    hidden_visibility: str = "after_published",
    exercises: Sequence[str] | None = None,
    assignment: Assignment | None = None,
) -> Bundle:
    """Write the autograder zip to ``out`` (atomically) and describe what went in.

    ``hidden_visibility`` is when Gradescope shows hidden checks (see
    :func:`grader.reports.gradescope_results`); ``exercises`` limits grading
    to some exercises (an assignment per lesson), default all of them.
    ``assignment`` defaults to the active one.
    """
    assignment = assignment or current()
    out = Path(out).resolve()
    if hidden_visibility not in VISIBILITIES:
        raise BundleError(
            f"hidden visibility {hidden_visibility!r} is not one of {', '.join(VISIBILITIES)}"
        )
    names = list(assignment.exercises)
    unknown = [name for name in exercises or () if name not in names]
    if unknown:
        raise BundleError(f"unknown exercise(s): {', '.join(unknown)}")
    config: dict[str, Any] = {
        "grader_version": __version__,
        "hidden_visibility": hidden_visibility,
        "exercises": sorted(set(exercises), key=names.index) if exercises else None,
    }
    entries = _entries(assignment, out, config)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in entries:
                info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
                info.create_system = 3  # Unix, so unzip restores the modes below
                mode = 0o755 if name in _EXECUTABLE else 0o644
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
        os.chmod(temp, 0o644)
        os.replace(temp, out)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return Bundle(out, tuple(name for name, _ in entries), config)


def _entries(assignment: Assignment, out: Path, config: dict[str, Any]) -> list[tuple[str, bytes]]:
    """Every (zip name, bytes) of the bundle, checked and sorted."""
    package = Path(__file__).resolve().parent
    course = package.parent  # the grader's checkout: its deploy files and project file
    deploy = course / "deploy" / "gradescope"
    root = assignment.root
    graded = config["exercises"] or list(assignment.exercises)
    required = [deploy / name for name in _EXECUTABLE]
    required += [course / "pyproject.toml", assignment.checks_dir, *assignment.data_files]
    required += [assignment.solutions_dir / f"{name}.py" for name in graded]
    required += [*assignment.probe_files]
    missing = [str(path) for path in required if not path.exists()]
    if missing:
        raise BundleError(
            "cannot build the bundle, missing: " + ", ".join(missing) + " "
            "(build from a checkout of the grader repository)"
        )
    files: dict[str, bytes] = {name: (deploy / name).read_bytes() for name in _EXECUTABLE}
    files["pyproject.toml"] = (course / "pyproject.toml").read_bytes()
    files["requirements.txt"] = requirements_txt(course / "pyproject.toml").encode()
    files[CONFIG_NAME] = (json.dumps(config, indent=2, sort_keys=True) + "\n").encode()
    for path in _files(package, "**/*", skip=out):
        files[f"grader/{path.relative_to(package).as_posix()}"] = path.read_bytes()
    inside = [root / "assignment.toml", *assignment.data_files, *assignment.probe_files]
    for folder, pattern in (
        (assignment.checks_dir, "**/*"),
        (assignment.solutions_dir, "*.py"),
        (assignment.exercises_dir, "*.py"),
    ):
        inside += _files(folder, pattern, skip=out)
    for path in inside:
        if not path.is_relative_to(root):
            raise BundleError(f"{path} is outside the assignment folder {root}; move it inside")
        files[f"assignment/{path.relative_to(root).as_posix()}"] = path.read_bytes()
    return sorted(files.items())


def _files(folder: Path, pattern: str, *, skip: Path) -> Iterable[Path]:
    """Regular files under ``folder``: no caches, no hidden files, no links, not the zip itself."""
    for path in sorted(folder.glob(pattern)):
        parts = path.relative_to(folder).parts
        if any(part.startswith(".") or part == "__pycache__" for part in parts):
            continue
        if path.is_symlink() or not path.is_file() or path.suffix == ".pyc" or path == skip:
            continue
        yield path
