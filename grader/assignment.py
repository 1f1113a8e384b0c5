"""An assignment is a folder: ``assignment.toml`` beside its solutions, checks and probes.

The engine knows no course. Everything course-specific (which exercises exist,
which functions they grade, the "by hand" rules, the probes the worker may run,
the data files, the limits) is read from the assignment file; the files it
names live next to it. ``docs/authoring.md`` walks through writing one.

One assignment is active per process (:func:`current`): ``--assignment DIR``
on the command line (:func:`use`), else ``GRADER_ASSIGNMENT``, else
``GRADER_COURSE_ROOT`` (older bundles), else the folder that holds this
package (the bundled course), else the copy inside the package
(``grader/_assignment/``, a student bundle installed anywhere). :func:`use` also sets
``GRADER_ASSIGNMENT``, so the judges a command starts grade the same one.

This module is imported inside the sandbox (the public ``grader check`` door)
and by students, so it uses the standard library only. Reference solutions are
loaded here, by path, in the trusted parent only.
"""

from __future__ import annotations

import importlib.util
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.errors import GraderError

__all__ = [
    "ASSIGNMENT_FILE",
    "CI_HIDDEN_CHECKS",
    "EXERCISES",
    "Assignment",
    "AssignmentError",
    "ByHand",
    "Exercise",
    "Feedback",
    "current",
    "load",
    "load_module",
    "reference",
    "use",
]

ASSIGNMENT_FILE = "assignment.toml"
BUNDLED = "_assignment"  # the student bundle's copy, inside the package (see grader.release)
_ENV = "GRADER_ASSIGNMENT"
_LEGACY_ENV = "GRADER_COURSE_ROOT"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# What the ``ci-grade`` job summary may show of a hidden check that did not pass, least
# first; each level adds one thing (see :class:`Feedback`).
CI_HIDDEN_CHECKS = ("count", "names", "hints", "messages")


class AssignmentError(GraderError, ValueError):
    """The assignment file is missing or wrong: the author's to fix, never a student's."""

    default_hint = f"see docs/authoring.md for the {ASSIGNMENT_FILE} format"


@dataclass(frozen=True)
class ByHand:
    """A function that must be written by hand: the shortcuts it may not use."""

    forbidden: tuple[str, ...]
    hint: str = ""


@dataclass(frozen=True)
class Exercise:
    """One exercise: a module students hand in, and the functions in it that are graded."""

    name: str
    title: str
    functions: tuple[str, ...]
    points: Mapping[str, float] = field(default_factory=dict)  # function -> points, if declared


@dataclass(frozen=True)
class Feedback:
    """The ``[feedback]`` table: what student-facing reports may show.

    ``ci_hidden_checks`` is for the ``ci-grade`` job summary, which lives in
    the student's own repository where anyone who can see the runs reads it.
    A hidden check that did not pass is shown there as only a ``count`` of
    such checks and their points, or also its function, ``names`` and points
    (the default), or also its lesson ``hints``, or also its ``messages``,
    which can quote the hidden inputs. Public checks are always shown in full.
    """

    ci_hidden_checks: str = "names"


@dataclass(frozen=True)
class Mutants:
    """The ``[mutants]`` table: where the mutation-testing content lives, and the bar."""

    folder: Path  # catalogue files <exercise>.py, inputs.py, accepted.toml
    threshold: float = 0.98  # the lowest share of wrong variants the checks must fail
    quick: tuple[str, ...] = ()  # graded functions of the quick run CI makes


@dataclass(frozen=True)
class Assignment:
    """An assignment as read from its folder; paths are absolute."""

    root: Path
    name: str
    title: str
    exercises: Mapping[str, Exercise]
    solutions_dir: Path
    exercises_dir: Path
    notebooks_dir: Path
    checks_dir: Path
    probe_files: tuple[Path, ...]
    data_files: tuple[Path, ...]
    packages: tuple[str, ...]
    limits: Mapping[str, Any]
    by_hand: Mapping[str, ByHand]
    feedback: Feedback
    mutants: Mutants | None = None

    @property
    def contract(self) -> dict[str, tuple[str, ...]]:
        """Exercise name -> graded function names, in the file's order."""
        return {name: ex.functions for name, ex in self.exercises.items()}

    @property
    def secrets(self) -> tuple[Path, ...]:
        """What a worker must never see: the hidden checks, the solutions, the mutants.

        The mutants folder holds near-solutions (a catalogue mistake is the
        reference with one thing wrong), so it is masked like the solutions.
        """
        mutants = self.mutants.folder if self.mutants is not None else None
        extra = (mutants,) if mutants is not None and mutants.is_dir() else ()
        return (self.checks_dir, self.solutions_dir, *extra)

    def exercise_for_filename(self, filename: str) -> str | None:
        """Which exercise a file is, from its name (``ex02_shapes.ipynb`` -> ex02_shapes)."""
        stem = Path(filename).name.split(".", 1)[0]
        return stem if stem in self.exercises else None

    def reference(self, exercise: str) -> ModuleType:
        """The reference solution module for ``exercise``, loaded by path (parent only)."""
        key = (self.root, exercise)
        module = _REFERENCES.get(key)
        if module is None:
            module = _REFERENCES[key] = self._load_reference(exercise)
        return module

    def _load_reference(self, exercise: str) -> ModuleType:
        if exercise not in self.exercises:
            raise KeyError(f"unknown exercise {exercise!r} in {self.root / ASSIGNMENT_FILE}")
        path = self.solutions_dir / f"{exercise}.py"
        if not path.is_file():
            raise AssignmentError(
                f"reference solution {path} is missing",
                f"add it, or point --assignment at the folder that holds {ASSIGNMENT_FILE}",
            )
        slug = re.sub(r"\W", "_", self.name)
        return load_module(path, f"_reference_{slug}_{exercise}", "reference solution")


def load_module(path: Path, name: str, what: str) -> ModuleType:
    """Import the staff file at ``path`` as module ``name`` (never put in ``sys.modules``).

    For the assignment's own Python files (solutions, mutant inputs): staff
    content, run in the trusted process. ``what`` names the file in the error.
    """
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise AssignmentError(f"cannot load {what} {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_REFERENCES: dict[tuple[Path, str], ModuleType] = {}
_LOADED: dict[Path, Assignment] = {}
_ACTIVE: list[Assignment] = []  # set by `use`
_DEFAULTS: dict[tuple[str | None, str | None], Assignment] = {}  # by the environment's say


def load(root: Path | str) -> Assignment:
    """Read the assignment in folder ``root`` (or a path to its ``assignment.toml``)."""
    root = Path(root).resolve()
    if root.is_file() and root.name == ASSIGNMENT_FILE:
        root = root.parent
    cached = _LOADED.get(root)
    if cached is not None:
        return cached
    path = root / ASSIGNMENT_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssignmentError(
            f"{path} does not exist",
            f"--assignment takes a folder that holds {ASSIGNMENT_FILE}",
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise AssignmentError(f"{path} is not valid TOML: {error}") from None
    assignment = _LOADED[root] = _parse(root, path, data)
    return assignment


def _parse(root: Path, path: Path, data: dict[str, Any]) -> Assignment:
    where = str(path)
    _only(data, {"assignment", "exercises", "limits", "by_hand", "feedback", "mutants"}, where)
    head = _table(data, "assignment", where)
    _only(
        head,
        {"name", "title", "solutions", "exercises", "notebooks", "checks", "probes", "data",
         "packages"},
        f"{where} [assignment]",
    )  # fmt: skip
    exercises: dict[str, Exercise] = {}
    for name, spec in _table(data, "exercises", where, required=True).items():
        at = f"{where} [exercises.{name}]"
        if not _NAME.match(name):
            raise AssignmentError(f"{at}: {name!r} is not a Python module name")
        if not isinstance(spec, dict):
            raise AssignmentError(f"{at}: expected a table")
        _only(spec, {"title", "functions", "points"}, at)
        functions = tuple(_strings(spec.get("functions"), f"{at} functions"))
        if not functions:
            raise AssignmentError(f"{at}: list at least one graded function in `functions`")
        points = spec.get("points", {})
        if not isinstance(points, dict) or not all(
            isinstance(v, int | float) and k in functions for k, v in points.items()
        ):
            raise AssignmentError(f"{at} points: a table of graded function = number")
        exercises[name] = Exercise(
            name, str(spec.get("title", name)), functions, {k: float(v) for k, v in points.items()}
        )
    graded = {f for ex in exercises.values() for f in ex.functions}
    by_hand: dict[str, ByHand] = {}
    for function, spec in _table(data, "by_hand", where).items():
        at = f"{where} [by_hand.{function}]"
        if function not in graded:
            raise AssignmentError(f"{at}: {function!r} is not a graded function")
        if not isinstance(spec, dict):
            raise AssignmentError(f"{at}: expected a table with `forbidden` and `hint`")
        _only(spec, {"forbidden", "hint"}, at)
        by_hand[function] = ByHand(
            tuple(_strings(spec.get("forbidden"), f"{at} forbidden")), str(spec.get("hint", ""))
        )

    def folder(key: str, default: str) -> Path:
        value = head.get(key, default)
        if not isinstance(value, str):
            raise AssignmentError(f"{where} [assignment] {key}: expected a relative path")
        return (root / value).resolve()

    exercises_dir = folder("exercises", "exercises")
    return Assignment(
        root=root,
        name=str(head.get("name", root.name)),
        title=str(head.get("title", root.name)),
        exercises=exercises,
        solutions_dir=folder("solutions", "solutions"),
        exercises_dir=exercises_dir,
        notebooks_dir=folder("notebooks", "exercises/notebooks"),
        checks_dir=folder("checks", "checks"),
        probe_files=tuple(
            (root / p).resolve() for p in _strings(head.get("probes", []), f"{where} probes")
        ),
        data_files=tuple(
            (root / p).resolve() for p in _strings(head.get("data", []), f"{where} data")
        ),
        packages=tuple(_strings(head.get("packages", []), f"{where} packages")),
        limits=dict(_table(data, "limits", where)),
        by_hand=by_hand,
        feedback=_feedback(_table(data, "feedback", where), f"{where} [feedback]"),
        mutants=_mutants(root, data, graded, where),
    )


def _mutants(root: Path, data: dict[str, Any], graded: set[str], where: str) -> Mutants | None:
    if "mutants" not in data:
        return None
    at = f"{where} [mutants]"
    table = _table(data, "mutants", where)
    _only(table, {"folder", "threshold", "quick"}, at)
    folder = table.get("folder", "mutants")
    threshold = table.get("threshold", Mutants.threshold)
    if not isinstance(folder, str):
        raise AssignmentError(f"{at} folder: expected a relative path")
    if not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
        raise AssignmentError(f"{at} threshold: expected a share between 0 and 1, such as 0.98")
    quick = tuple(_strings(table.get("quick", []), f"{at} quick"))
    unknown = [name for name in quick if name not in graded]
    if unknown:
        raise AssignmentError(f"{at} quick: {', '.join(unknown)} is not a graded function")
    return Mutants((root / folder).resolve(), float(threshold), quick)


def _feedback(table: dict[str, Any], where: str) -> Feedback:
    _only(table, {"ci_hidden_checks"}, where)
    shown = table.get("ci_hidden_checks", Feedback.ci_hidden_checks)
    if shown not in CI_HIDDEN_CHECKS:
        raise AssignmentError(
            f"{where} ci_hidden_checks: {shown!r} is not one of {', '.join(CI_HIDDEN_CHECKS)}",
            'for example ci_hidden_checks = "names" (hidden checks\' names and points only)',
        )
    return Feedback(ci_hidden_checks=shown)


def _table(data: dict[str, Any], key: str, where: str, *, required: bool = False) -> dict:
    value = data.get(key)
    if value is None:
        if required:
            raise AssignmentError(f"{where}: no [{key}] table")
        return {}
    if not isinstance(value, dict):
        raise AssignmentError(f"{where}: [{key}] must be a table")
    return value


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AssignmentError(f"{where}: expected a list of strings")
    return value


def _only(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise AssignmentError(
            f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}",
            "known keys: " + ", ".join(sorted(allowed)),
        )


def default_root() -> Path:
    """Where the active assignment is when nobody said: environment, else the bundled one."""
    for variable in (_ENV, _LEGACY_ENV):
        value = os.environ.get(variable)
        if value:
            return Path(value).resolve()
    package = Path(__file__).resolve().parent
    bundled = package / BUNDLED  # a student bundle carries its assignment inside the package
    if not (package.parent / ASSIGNMENT_FILE).is_file() and (bundled / ASSIGNMENT_FILE).is_file():
        return bundled
    return package.parent


def use(root: Path | str | None) -> Assignment:
    """Make the assignment in ``root`` the active one (``None``: the default), and return it."""
    assignment = load(root if root is not None else default_root())
    _ACTIVE[:] = [assignment]
    os.environ[_ENV] = str(assignment.root)  # the judges this process starts inherit it
    return assignment


def current() -> Assignment:
    """The active assignment (see the module's docstring for how it is chosen).

    Called on every look-up of ``EXERCISES``, so it resolves no path once known.
    """
    if _ACTIVE:
        return _ACTIVE[0]
    key = (os.environ.get(_ENV), os.environ.get(_LEGACY_ENV))
    found = _DEFAULTS.get(key)
    if found is None:
        found = _DEFAULTS[key] = load(default_root())
    return found


def reference(exercise: str) -> ModuleType:
    """The active assignment's reference solution for ``exercise`` (parent only)."""
    return current().reference(exercise)


class _LiveContract(Mapping[str, tuple[str, ...]]):
    """``EXERCISES``: exercise -> graded functions of whichever assignment is active now."""

    def __getitem__(self, name: str) -> tuple[str, ...]:
        return current().exercises[name].functions

    def __iter__(self) -> Iterator[str]:
        return iter(current().exercises)

    def __len__(self) -> int:
        return len(current().exercises)

    def __repr__(self) -> str:
        return f"EXERCISES({current().contract!r})"


EXERCISES: Mapping[str, tuple[str, ...]] = _LiveContract()


def exercise_for_filename(filename: str) -> str | None:
    """Which exercise of the active assignment a file is, from its name."""
    return current().exercise_for_filename(filename)


def released_stubs_dir() -> Path:
    """Where the untouched stubs students were given are (intake tells them from real work).

    In the course repository, the assignment's exercises folder. In the student
    bundle that is the student's own working copy, so ``grader release`` keeps
    a pristine copy in ``grader/_released_stubs/``.
    """
    bundled = Path(__file__).resolve().parent / "_released_stubs"
    return bundled if bundled.is_dir() else current().exercises_dir
