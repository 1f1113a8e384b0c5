"""Cutting the public checks out of the check modules: what ships, what never does."""

from __future__ import annotations

import ast
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from course_files import COURSE

from grader.release.public_checks import (
    PUBLIC_SECRET,
    PublicChecks,
    ReleaseError,
    collect_checks,
    extract_public_checks,
)

HELPERS = '''"""Helpers, public and hidden."""

from __future__ import annotations

__all__ = ["hidden_only", "shared"]


def shared(x):
    return x


def hidden_only(x):
    return "HIDDEN_HELPER_BODY"
'''

INPUTS = '''"""Inputs."""

import hashlib

_DEFAULT_SECRET = "s3cret-of-the-course"


def seed_for(name):
    return int(hashlib.sha256(f"{_DEFAULT_SECRET}:{name}".encode()).hexdigest()[:8], 16)


def unused_input():
    return "UNUSED_INPUT"
'''

CHECKS = '''"""Hidden checks for ex03: this docstring describes the hidden inputs."""

from __future__ import annotations

import math

import pytest

from . import _inputs as inputs
from . import hidden_only, shared

EX = "ex03_forward_pass"
TABLE = {"public-case": (1, 2), "hidden-case": (3, 4)}
HIDDEN_CONSTANT = "only the hidden check uses this"


def grade(points, *, public=False):
    return pytest.mark.grade(exercise=EX, function="softmax_manual", points=points, public=public)


def _case(name):
    return TABLE[name]


class TestSoftmax:
    """Checks of softmax_manual."""

    @grade(1, public=True)
    def test_public(self, student):
        assert shared(_case("public-case")) == (1, 2)
        assert inputs.seed_for("x") > 0

    @grade(2)
    def test_hidden(self, student, ref):
        assert hidden_only(_case("hidden-case")) == HIDDEN_CONSTANT
        assert math.isfinite(1.0)


@grade(1)
def test_module_level_hidden(student):
    assert HIDDEN_CONSTANT
'''


def package(tmp_path: Path, checks: str = CHECKS) -> Path:
    """A check package of its own (a unique name: pytest imports it by that name)."""
    folder = tmp_path / f"checks_{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    (folder / "__init__.py").write_text(HELPERS)
    (folder / "_inputs.py").write_text(INPUTS)
    (folder / "check_ex03_demo.py").write_text(checks)
    return folder


def defined(text: str) -> set[str]:
    """Top-level names, and Class.method for methods, that a module defines."""
    names: set[str] = set()
    for node in ast.parse(text).body:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
            names |= {f"{node.name}.{m.name}" for m in node.body if isinstance(m, ast.FunctionDef)}
        elif isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def test_only_the_public_check_and_what_it_needs_ship(tmp_path: Path) -> None:
    cut = extract_public_checks(package(tmp_path))
    assert [c.id for c in cut.public] == ["check_ex03_demo.py::TestSoftmax::test_public"]
    assert {c.name for c in cut.hidden} == {"test_hidden", "test_module_level_hidden"}
    checks = cut.files["check_ex03_demo.py"]
    assert defined(checks) == {
        "EX",
        "TABLE",
        "grade",
        "_case",
        "TestSoftmax",
        "TestSoftmax.test_public",
    }
    for gone in ("test_hidden", "HIDDEN_CONSTANT", "hidden-case", "import math", "describes the"):
        assert gone not in checks
    assert '"public-case": (1, 2)' in checks  # the table keeps only the entries kept code names
    assert defined(cut.files["__init__.py"]) == {"__all__", "shared"}
    assert '"hidden_only"' not in cut.files["__init__.py"]
    inputs = cut.files["_inputs.py"]
    assert defined(inputs) == {"_DEFAULT_SECRET", "seed_for"}
    assert "s3cret-of-the-course" not in inputs and PUBLIC_SECRET in inputs
    assert cut.secrets == ("s3cret-of-the-course",)


def test_the_cut_package_still_collects_its_public_check(tmp_path: Path) -> None:
    cut = extract_public_checks(package(tmp_path))
    again = tmp_path / f"cut_{uuid.uuid4().hex[:8]}"
    again.mkdir()
    for name, text in cut.files.items():
        (again / name).write_text(text)
    assert [(c.name, c.public) for c in collect_checks(again)] == [("test_public", True)]


def test_a_public_check_that_needs_the_solution_fails_the_release(tmp_path: Path) -> None:
    needs_ref = CHECKS.replace(
        "def test_public(self, student):", "def test_public(self, student, ref):"
    )
    with pytest.raises(ReleaseError, match="TestSoftmax::test_public uses the `ref` fixture"):
        extract_public_checks(package(tmp_path, needs_ref))


def test_a_helper_that_loads_the_solution_fails_the_release(tmp_path: Path) -> None:
    sneaky = CHECKS.replace(
        "def _case(name):\n    return TABLE[name]",
        "def _case(name):\n    return reference(EX) and TABLE[name]",
    ).replace("import pytest\n", "import pytest\n\nfrom grader.assignment import reference\n")
    with pytest.raises(ReleaseError) as caught:
        extract_public_checks(package(tmp_path, sneaky))
    assert "TestSoftmax::test_public needs the reference solutions" in str(caught.value)


def test_a_statement_the_cutter_cannot_place_fails_the_release(tmp_path: Path) -> None:
    odd = CHECKS.replace('EX = "ex03_forward_pass"', 'if True:\n    EX = "ex03_forward_pass"')
    with pytest.raises(ReleaseError, match="line 12: cannot tell which checks need this If"):
        extract_public_checks(package(tmp_path, odd))


# --------------------------------------------------------------------- the real checks


@pytest.fixture(scope="module")
def real() -> PublicChecks:
    return extract_public_checks(COURSE.checks_dir)


def test_every_public_check_ships_and_no_hidden_one(real: PublicChecks) -> None:
    assert len(real.public) >= 25 and len(real.hidden) >= 50
    for check in real.public:
        assert check.cls is not None and f"{check.cls}.{check.name}" in defined(
            real.files[check.file]
        ), check.id
    for check in real.hidden:
        text = real.files.get(check.file, "")
        assert f"{check.cls}.{check.name}" not in defined(text), check.id


def test_no_shipped_check_can_reach_the_solutions(real: PublicChecks) -> None:
    for name, text in real.files.items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef):
                assert "ref" not in {a.arg for a in node.args.args}, f"{name}: {node.name}"
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("ref", "reference"), name
            elif isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] != "solutions", name
                assert "reference" not in {a.name for a in node.names}, name


def test_the_input_secret_does_not_ship(real: PublicChecks) -> None:
    # The real checks derive their inputs from the secret in their folder's seed.txt,
    # which is never cut into the public checks.
    secret = (COURSE.checks_dir / "seed.txt").read_text().strip()
    assert secret
    assert "seed.txt" not in real.files
    for text in real.files.values():
        assert secret not in text


def test_hidden_input_tables_keep_only_public_entries(real: PublicChecks) -> None:
    training = real.files["check_ex07_training.py"]
    assert '"training":' in training and '"uneven":' in training  # public checks use these
    assert '"frozen":' not in training and '"dropout":' not in training
    assert "_CASES" not in real.files["check_ex05_optimizer.py"]


def test_the_generated_checks_are_clean_python(real: PublicChecks, tmp_path: Path) -> None:
    for name, text in real.files.items():
        compile(text, name, "exec")
        (tmp_path / name).write_text(text)
    ruff = shutil.which("ruff") or str(Path(__file__).parents[2] / ".venv" / "bin" / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed")
    result = subprocess.run(  # undefined names (F821) would fail in the bundle
        [ruff, "check", "--isolated", "--no-cache", "--select", "F", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
