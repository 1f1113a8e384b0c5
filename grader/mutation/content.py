"""The assignment's mutation-testing content: catalogue, inputs, accepted survivors.

All of it lives in the folder the ``[mutants]`` table names (course content,
beside ``checks/``):

- ``<exercise>.py``: realistic mistakes, one function per mistake, named
  ``<graded function>__<mistake>``, its docstring saying what the student got
  wrong. It is parsed, never imported: each one replaces the reference's
  function in an otherwise-reference module.
- ``inputs.py``: per graded function, the random calls that tell a variant
  from the reference (see :mod:`grader.mutation.equivalence`).
- ``accepted.toml``: survivors the contract allows, each with its reason.
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.assignment import Assignment, AssignmentError, load_module
from grader.mutation.operators import Variant, replace_function

ACCEPTED_FILE = "accepted.toml"
INPUTS_FILE = "inputs.py"


def folder(assignment: Assignment) -> Path:
    if assignment.mutants is None:
        raise AssignmentError(
            f"{assignment.root / 'assignment.toml'} has no [mutants] table",
            'add [mutants] with folder = "mutants" (docs/authoring.md, "Mutation testing")',
        )
    return assignment.mutants.folder


def catalogue(assignment: Assignment, exercise: str, reference_source: str) -> list[Variant]:
    """The realistic mistakes written for ``exercise``, each as a whole module's source."""
    path = folder(assignment) / f"{exercise}.py"
    if not path.is_file():
        return []
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as error:
        raise AssignmentError(f"{path}: not valid Python: {error}") from None
    functions = set(assignment.exercises[exercise].functions)
    variants = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        function, _, mistake = node.name.partition("__")
        if function not in functions or not mistake:
            raise AssignmentError(
                f"{path}:{node.lineno}: {node.name} is not named <graded function>__<mistake>",
                f"graded functions of {exercise}: {', '.join(sorted(functions))}",
            )
        doc = (ast.get_docstring(node) or mistake.replace("_", " ")).strip().splitlines()[0]
        variants.append(
            Variant(
                id=f"{function}:catalogue:{mistake}",
                function=function,
                operator="catalogue",
                description=doc,
                source=replace_function(reference_source, function, node),
            )
        )
    return variants


def inputs_module(assignment: Assignment) -> ModuleType | None:
    """The assignment's inputs file, loaded by path (staff content); None without one."""
    path = folder(assignment) / INPUTS_FILE
    if not path.is_file():
        return None
    return load_module(path, f"_mutant_inputs_{abs(hash(path))}", "mutant inputs")


@dataclass(frozen=True)
class Accepted:
    id: str
    reason: str


def accepted(assignment: Assignment) -> dict[str, Accepted]:
    """Survivors the contract allows, by variant id; each must give a reason."""
    path = folder(assignment) / ACCEPTED_FILE
    if not path.is_file():
        return {}
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise AssignmentError(f"{path} is not valid TOML: {error}") from None
    found: dict[str, Accepted] = {}
    for index, entry in enumerate(data.get("accepted", [])):
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("reason"):
            raise AssignmentError(
                f"{path}: [[accepted]] entry {index + 1} needs an id and a reason",
                'write id = "<variant id>" and reason = "<what the contract allows>"',
            )
        found[str(entry["id"])] = Accepted(str(entry["id"]), str(entry["reason"]))
    return found
