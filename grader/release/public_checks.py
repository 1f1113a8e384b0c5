"""The public checks for the student bundle, cut out of the hidden check modules.

The checks live in one place, ``grader/checks/``, public and hidden side by
side (a public check often shares its helpers with hidden ones). Shipping
those modules would ship every hidden check, its inputs and its tolerances,
so the bundle gets *generated* modules instead (:mod:`grader.release.cutter`):
for each check module, the public checks (those whose ``grade`` marker says
``public=True``, as pytest and our plugin collect them), the module-level
helpers and constants they use, followed transitively and across the helper
modules (``grader/checks/__init__``, ``_inputs``, ``_cache``), and the imports
those need. Nothing else: no hidden check, no unused helper, no comment
between definitions, no module docstring (those describe the hidden checks).

A public check that uses the ``ref`` fixture, or whose helpers reach the
reference solutions (``grader.assignment.reference``, ``solutions``), cannot
ship without the solutions: the release fails naming it. A module-level
string constant named ``*SECRET`` (the secret the hidden inputs' seeds derive
from) is replaced by a public value, so public checks that draw inputs from
seeds still run, on inputs of their own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.errors import GraderError
from grader.release.cutter import PUBLIC_SECRET, CutError, cut, parse_module, secret_values

__all__ = [
    "PUBLIC_SECRET",
    "CheckDef",
    "PublicChecks",
    "ReleaseError",
    "collect_checks",
    "extract_public_checks",
]

PACKAGE = "checks"  # the checks folder, as the cutter names its modules (never imported)
# What a public check may never reach: it is, or it loads, the solutions.
FORBIDDEN: dict[tuple[str, str | None], str] = {
    ("grader.assignment", "reference"): "the reference solutions (grader.assignment.reference)",
    ("grader.assignment", "current"): "the assignment, whose reference solutions it loads",
    ("solutions", None): "the `solutions` package",
}


class ReleaseError(GraderError):
    """The bundle cannot be made safely; the message says which check or file, and why."""

    default_hint = "fix the problem above, then run grader release again"


@dataclass(frozen=True)
class CheckDef:
    """One check as pytest collects it: where it is, and whether it is public."""

    file: str  # "check_ex02_shapes.py"
    cls: str | None  # "TestSoftmaxManual", or None for a module-level check
    name: str  # "test_rows_sum_to_one"
    exercise: str
    points: float
    public: bool
    fixtures: tuple[str, ...]

    @property
    def id(self) -> str:
        return "::".join(part for part in (self.file, self.cls, self.name) if part)

    @property
    def module(self) -> str:
        return Path(self.file).stem


@dataclass(frozen=True)
class PublicChecks:
    """The generated ``grader/checks/`` of the bundle and what went into it."""

    files: dict[str, str]  # file name in grader/checks/ -> generated text
    public: tuple[CheckDef, ...]
    hidden: tuple[CheckDef, ...]
    secrets: tuple[str, ...]  # the values of the ``*SECRET`` constants that were replaced


class _Collector:
    """A pytest plugin that records every check's marker and then runs none."""

    def __init__(self) -> None:
        self.checks: list[CheckDef] = []
        self.errors: list[str] = []

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        from grader.plugin import GradeMark

        for item in items:
            mark = GradeMark.of(item)
            cls = getattr(item, "cls", None)
            function = getattr(item, "function", None)
            self.checks.append(
                CheckDef(
                    file=Path(str(item.path)).name,
                    cls=cls.__name__ if cls is not None else None,
                    name=getattr(function, "__name__", item.name),
                    exercise=mark.exercise,
                    points=mark.points,
                    public=mark.public,
                    fixtures=tuple(getattr(item, "fixturenames", ())),
                )
            )
        items[:] = []

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(f"{report.nodeid}: {report.longreprtext}")


def collect_checks(directory: Path) -> list[CheckDef]:
    """Every check in ``directory``, public or not, as pytest and our plugin see them."""
    from grader.plugin import GradingPlugin

    collector = _Collector()
    args = [
        str(directory), "--collect-only",
        "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:stepwise",
        "-c", os.devnull, "--rootdir", str(directory), "-o", "python_files=check_*.py",
        "-W", "ignore::pytest.PytestAssertRewriteWarning",
    ]  # fmt: skip
    try:
        code = pytest.main(args, plugins=[GradingPlugin(None), collector])
    except pytest.UsageError as error:  # a check without a valid grade marker
        raise ReleaseError(f"the checks could not be collected: {error}") from None
    if collector.errors or code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        detail = "\n".join(collector.errors) or f"pytest exit code {int(code)}"
        raise ReleaseError(f"the checks could not be collected:\n{detail}")
    return collector.checks


def _header(module: str) -> str:
    source = f"# Generated by `grader release`: the public part of checks/{module}.py.\n"
    if module.startswith("check_"):
        exercise = module.removeprefix("check_")
        return source + (
            f'"""Public checks for {exercise}: what `grader check` runs on your code.\n\n'
            "They catch common slips early. Your grade comes from hidden checks on other\n"
            'inputs, which are not in this bundle.\n"""'
        )
    if module == "__init__":
        return source + (
            '"""The public checks, run by `grader check` (generated: hidden checks are not here).'
            '"""'
        )
    return source + '"""Helpers the public checks use (only what they need)."""'


def extract_public_checks(directory: Path) -> PublicChecks:
    """The bundle's ``grader/checks/`` for the checks in ``directory``.

    Raises :class:`ReleaseError` naming every public check that needs the
    reference solutions, and for any module-level statement that cannot be
    placed (so nothing is ever kept or dropped by accident).
    """
    checks = collect_checks(directory)
    siblings = {path.stem for path in directory.glob("*.py")}
    if not siblings:
        raise ReleaseError(f"{directory} holds no check_*.py modules")
    try:
        modules = {
            name: parse_module(directory / f"{name}.py", PACKAGE, siblings)
            for name in sorted(siblings)
        }
    except CutError as error:
        raise ReleaseError(f"{directory}/{error}") from None
    public = [check for check in checks if check.public]
    problems = [
        f"{check.id} uses the `ref` fixture (the reference solution)"
        for check in public
        if "ref" in check.fixtures
    ]
    keep = {(check.module, check.cls, check.name) for check in public}
    files, reached = cut(
        modules,
        keep,
        package=PACKAGE,
        forbidden=FORBIDDEN,
        headers={name: _header(name) for name in modules},
    )
    problems += reached
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise ReleaseError(
            "public checks must not need the reference solutions, or the solutions would ship "
            f"to students:\n{listed}\nRewrite them to judge without `ref`, or make them hidden "
            "(public=False)."
        )
    return PublicChecks(
        files=files,
        public=tuple(public),
        hidden=tuple(check for check in checks if not check.public),
        secrets=tuple(value for mod in modules.values() for value in secret_values(mod)),
    )
