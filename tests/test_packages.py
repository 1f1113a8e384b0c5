"""One list of what a student's code can import when graded, for every message that names it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from course_files import COURSE

from grader.assignment import load
from grader.packages import BASE, available_packages, missing_module_hint
from grader.sandbox.trusted.errors import call_fault, import_fault
from grader.sandbox.trusted.units import unit_notes

SECOND = Path(__file__).resolve().parents[1] / "examples" / "assignments" / "tensor_basics"
MISSING = {"exc_type": "ModuleNotFoundError", "text": "No module named 'seaborn'", "line": 2}


def test_the_list_is_the_engines_base_set_plus_the_assignments_packages() -> None:
    assert available_packages() == ("matplotlib", "numpy", "pandas", "sklearn", "torch", "tqdm")
    second = load(SECOND)
    assert second.packages == ("torch", "numpy")
    assert available_packages(second) == tuple(sorted(BASE))
    with_seaborn = replace(COURSE, packages=(*COURSE.packages, "seaborn"))
    assert "seaborn" in available_packages(with_seaborn)  # a course adds one: no code change


def test_a_failed_import_in_a_call_or_an_import_names_the_same_list() -> None:
    hint = (
        " (the grader provides matplotlib, numpy, pandas, sklearn, torch and tqdm only, beside "
        "the standard library; remove imports of other packages)"
    )
    assert missing_module_hint() == hint
    raised = call_fault({"fault": "raised", **MISSING}, display="ex08.py", target="`f`")
    where = "(ex08.py, line 2)"
    assert raised.message == f"ModuleNotFoundError: No module named 'seaborn' {where}{hint}"
    failed = import_fault({"kind": "exception", **MISSING}, "ex08.py")
    assert failed.message.endswith(hint)


def test_the_list_is_a_note_beside_the_first_failed_import_not_a_fix_of_its_own() -> None:
    fact = {"cell": 0, "first": 2, "kind": "raised", "missing": [], **MISSING}
    notes = unit_notes([fact, {**fact, "first": 3, "line": 3}], display="ex08.py", locate=None,
                       graded=["relu_grad"], available=available_packages())  # fmt: skip
    assert notes == [
        "line 2 failed: ModuleNotFoundError: No module named 'seaborn' (line 2); the rest of it "
        "was skipped; it defines nothing that is graded, so it cost no points (the packages "
        "available when grading are: matplotlib, numpy, pandas, sklearn, torch, tqdm)",
        "line 3 failed: ModuleNotFoundError: No module named 'seaborn' (line 3); the rest of it "
        "was skipped; it defines nothing that is graded, so it cost no points",
    ]
