"""The engine holds no course: an assignment is data, and every folder says whom it trusts."""

from __future__ import annotations

import re
from pathlib import Path

from course_files import COURSE

GRADER = Path(__file__).resolve().parents[1] / "grader"


def _course_words() -> set[str]:
    """Names only the bundled course uses: exercises, distinctive functions, data, probes."""
    words = set(COURSE.exercises)
    words |= {f for ex in COURSE.exercises.values() for f in ex.functions if "_" in f}
    data = [path for path in COURSE.data_files if path.stem.upper() != "README"]
    words |= {path.name for path in data} | {path.stem for path in data}
    return words


def test_nothing_under_grader_names_the_bundled_course() -> None:
    words = _course_words()
    assert len(words) > 20  # the scan looks for something real
    found = []
    for path in sorted(GRADER.rglob("*")):
        readable = path.suffix in (".py", ".md", ".toml", ".txt", ".json")
        if not readable or "__pycache__" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        found += [
            f"{path.relative_to(GRADER)}: {word}"
            for word in sorted(words)
            if re.search(rf"\b{re.escape(word)}\b", text)
        ]
    assert not found, found


def test_the_engine_has_no_checks_probes_or_solutions_of_its_own() -> None:
    assert not (GRADER / "checks").exists()
    assert not list(GRADER.rglob("check_*.py"))
    assert not list(GRADER.rglob("probes_*.py"))
    for probe in COURSE.probe_files:
        assert not probe.is_relative_to(GRADER)


def test_each_folder_says_what_it_holds_and_whom_it_trusts() -> None:
    for init in sorted(GRADER.rglob("__init__.py")):
        text = init.read_text(encoding="utf-8")
        doc = re.match(r'\s*(?:from __future__[^\n]*\n\s*)?"""(.*?)"""', text, re.S)
        assert doc and len(doc.group(1).split()) >= 8, f"{init} has no opening docstring"
    for side in ("confined", "wire", "trusted"):
        doc = (GRADER / "sandbox" / side / "__init__.py").read_text(encoding="utf-8")
        assert re.search(r"\btrust", doc, re.I), f"sandbox/{side} does not say whom it trusts"
