"""``grader release``: the student bundle carries no solution and no hidden check, and works.

One release serves the module. The leak scans here are written independently
of the release's own gate (:mod:`grader.release.leaks`), so a bug there cannot
hide a leak here.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from course_files import COURSE

from grader.assignment import EXERCISES
from grader.cli import main
from grader.release import MANIFEST, ReleaseError, release
from grader.release.public_checks import CheckDef, collect_checks
from grader.student import LABEL

ROOT = COURSE.root
MIN_CHARS = 16  # shorter lines (`return out`) say too little to identify a solution


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("release") / "student"
    assert main(["release", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def checks() -> list[CheckDef]:
    return collect_checks(COURSE.checks_dir)


def texts(folder: Path) -> Iterator[tuple[str, str]]:
    """(where, text) for every file, and for every cell of every notebook."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="replace")
        yield str(path.relative_to(folder)), text
        if path.suffix == ".ipynb":
            for index, cell in enumerate(json.loads(text)["cells"]):
                yield f"{path.name} cell {index}", "".join(cell["source"])


# --------------------------------------------------------------------- what ships


def test_the_bundle_has_what_students_need(bundle: Path) -> None:
    for exercise in EXERCISES:
        for relative in (f"{exercise}.py", f"notebooks/{exercise}.ipynb"):
            assert (bundle / "exercises" / relative).read_bytes() == (
                ROOT / "exercises" / relative
            ).read_bytes()
    for path in (ROOT / "datasets").iterdir():
        assert (bundle / "datasets" / path.name).read_bytes() == path.read_bytes()
    readme = (bundle / "README.md").read_text(encoding="utf-8")
    assert "grader check" in readme and LABEL in readme and "What is graded" in readme
    assert "ex03_forward_pass" in readme
    project = tomllib.loads((bundle / "pyproject.toml").read_text(encoding="utf-8"))
    course = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["dependencies"] == course["project"]["dependencies"]
    assert project["project"]["scripts"] == {"grader": "grader.cli:main"}
    manifest = json.loads((bundle / MANIFEST).read_text())
    listed = {str(p.relative_to(bundle)) for p in bundle.rglob("*") if p.is_file()}
    assert set(manifest["files"]) | {MANIFEST} == listed


def test_the_bundle_leaves_out_solutions_tests_and_staff_code(bundle: Path) -> None:
    present = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*")}
    for absent in ("solutions", "tests", "examples", "grader/release", "grader/demo.py"):
        assert absent not in present, absent
    assert "grader/batch.py" not in present and "grader/authoring" not in present
    sandbox = {p.relative_to(ROOT).as_posix() for p in (ROOT / "grader" / "sandbox").rglob("*.py")}
    assert sandbox <= present  # the sandbox goes whole: some of it is started as scripts
    assert not [p for p in present if "__pycache__" in p or p.endswith(".pyc")]


def test_no_solution_body_ships(bundle: Path) -> None:
    """Every non-trivial line of every solution block, searched in every file.

    Lines the released stubs show anyway (the lesson's code in a docstring or
    a demo) are not secret: the stubs are generated to show them.
    """
    stubs = "\n".join(p.read_text() for p in (ROOT / "exercises").glob("*.py"))
    needles = []
    for path in sorted((ROOT / "solutions").glob("ex*.py")):
        body = re.findall(r"### BEGIN SOLUTION.*?\n(.*?)### END SOLUTION", path.read_text(), re.S)
        assert body, path
        for line in "\n".join(body).splitlines():
            text = line.strip()
            if len(text) >= MIN_CHARS and not text.startswith("#") and text not in stubs:
                needles.append((path.name, text))
    assert len(needles) > 50  # the scan has something to find
    for where, text in texts(bundle):
        for origin, needle in needles:
            assert needle not in text, f"{where} carries a line of solutions/{origin}: {needle}"


def test_no_hidden_check_ships(bundle: Path, checks: list[CheckDef]) -> None:
    """No hidden check is defined in the bundle, and none of its own lines or inputs ship."""
    hidden = [c for c in checks if not c.public]
    public = [c for c in checks if c.public]
    assert len(hidden) > 50
    sources = {path.name: path.read_text() for path in COURSE.checks_dir.glob("*.py")}

    def segment(check: CheckDef) -> str:
        tree = ast.parse(sources[check.file])
        owner = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == check.cls)
        node = next(n for n in owner.body if getattr(n, "name", "") == check.name)
        return ast.get_source_segment(sources[check.file], node) or ""

    def helpers(text: str) -> str:  # module-level code that is not a check
        tree = ast.parse(text)
        keep = [n for n in tree.body if not isinstance(n, ast.ClassDef | ast.Expr)]
        return "\n".join(ast.get_source_segment(text, n) or "" for n in keep)

    shared = "\n".join(segment(c) for c in public) + "\n".join(map(helpers, sources.values()))
    # The engine's own judging helpers are public code, shipped whole; a line a hidden
    # check shares with them is theirs.
    shared += "\n".join(p.read_text() for p in (ROOT / "grader" / "checklib").glob("*.py"))
    public_strings = set(re.findall(r'"([^"\n]+)"', shared))
    bundle_text = "\n".join(text for _, text in texts(bundle))
    for check in hidden:
        generated = (bundle / "grader" / "_assignment" / "checks" / check.file).read_text()
        methods = {
            getattr(n, "name", "")
            for cls in ast.parse(generated).body
            if isinstance(cls, ast.ClassDef) and cls.name == check.cls
            for n in cls.body
        }
        assert check.name not in methods, check.id
        source = segment(check)
        for line in source.splitlines():
            text = line.strip()
            if len(text) >= MIN_CHARS and text not in shared:
                assert text not in bundle_text, f"{check.id}: {text}"
        for name in re.findall(r'"(ex\d\d\.[^"\n]+)"', source):  # the names of hidden inputs
            if name not in public_strings:
                assert f'"{name}"' not in bundle_text, f"{check.id} input {name}"


def test_the_input_secret_does_not_ship(bundle: Path) -> None:
    secret = (COURSE.checks_dir / "seed.txt").read_text().strip()
    assert secret
    for where, text in texts(bundle):
        assert secret not in text, where


# --------------------------------------------------------------------- it works


def student_python(copy: Path, *args: str) -> subprocess.Popen[str]:
    """Start the repo's interpreter with the bundle ``copy`` as the only ``grader``.

    ``-S`` skips site-packages' .pth files: the editable install of the repo's
    grader would otherwise supply any module the bundle lacks. The libraries
    (torch, pytest, ...) come from site-packages on PYTHONPATH instead.
    """
    site = sysconfig.get_paths()["purelib"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "GRADER_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(copy), site])
    return subprocess.Popen(
        [sys.executable, "-S", *args],
        cwd=copy,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


def test_grader_check_works_in_a_fresh_copy_of_the_bundle(bundle: Path, tmp_path: Path) -> None:
    stubbed, solved = tmp_path / "stubbed", tmp_path / "solved"
    for copy in (stubbed, solved):
        shutil.copytree(bundle, copy)
    for exercise in EXERCISES:
        shutil.copy(ROOT / "solutions" / f"{exercise}.py", solved / "exercises")
    probe = student_python(
        stubbed,
        "-c",
        "import importlib.util, grader, grader.cli; print(grader.__file__); "
        "print(importlib.util.find_spec('grader.release')); "
        "print(grader.cli.main(['verify']))",  # a staff verb: not in the bundle
    )
    # the checks run side by side: each pays for importing torch and the rest
    summary = tmp_path / "summary.md"  # the solved copy runs as the student workflow does
    runs = {
        stubbed: student_python(stubbed, "-m", "grader", "check"),
        solved: student_python(
            solved, "-m", "grader", "check", "--classroom", "--summary-file", str(summary)
        ),
    }
    if sys.platform.startswith("linux"):  # the real sandbox, started from the bundle's files
        sandboxed = student_python(solved, "-m", "grader", "check", "ex03", "--sandbox")
        runs[tmp_path] = sandboxed

    try:
        code, out, err = finish(probe)
        assert code == 0, err
        where, release_spec, verify_code = out.split()
        assert Path(where).is_relative_to(stubbed) and release_spec == "None"
        assert verify_code == "2" and "not part of this installation" in err

        code, out, err = finish(runs[stubbed])
        assert code == 1, err
        assert LABEL in out and "all tests passed" not in out.lower()
        assert re.search(r"\b0 of \d+ public checks pass", out)
        assert "NotImplementedError" in out

        code, out, err = finish(runs[solved])
        assert code == 0, out + err
        found = re.search(r"(\d+) of (\d+) public checks pass", out)
        assert found and found.group(1) == found.group(2) and int(found.group(1)) >= 25
        assert LABEL in out
        # --classroom: Classroom's points notice for the public checks, and the job summary
        assert re.search(r"^::notice title=Autograding complete::Points ([\d.]+)/\1$", out, re.M)
        assert LABEL in summary.read_text(encoding="utf-8")

        if tmp_path in runs:
            code, out, err = finish(runs[tmp_path])
            assert code == 0, out + err
            assert "ran in the sandbox (L" in out and "4 of 4 public checks pass" in out
    finally:  # a failed assertion must not leave an interpreter running
        for process in (probe, *runs.values()):
            if process.poll() is None:
                process.kill()
                process.wait()


def test_the_bundle_installs_as_a_package(bundle: Path, tmp_path: Path) -> None:
    """`pip install .` works: the wheel has the command, the public checks and the stubs."""
    pytest.importorskip("setuptools")
    copy = tmp_path / "student"
    shutil.copytree(bundle, copy)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index",
         "-q", "-w", str(tmp_path / "dist"), str(copy)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "grader = grader.cli:main" in archive.read(entry_points).decode()
    for exercise in EXERCISES:
        assert f"grader/_released_stubs/{exercise}.py" in names
        assert f"grader/_assignment/checks/check_{exercise}.py" in names
    assert not [n for n in names if n.startswith(("grader/release/", "solutions/"))]


# --------------------------------------------------------------------- the target folder


def test_release_refuses_to_overwrite_what_is_not_a_release(tmp_path: Path) -> None:
    keep = tmp_path / "notes"
    keep.mkdir()
    (keep / "mine.txt").write_text("keep me")
    with pytest.raises(ReleaseError, match="holds no earlier release"):
        release(keep)
    assert [p.name for p in keep.iterdir()] == ["mine.txt"]
    with pytest.raises(ReleaseError, match="holds the course itself"):
        release(ROOT, force=True)


def test_an_earlier_release_is_replaced_only_with_force(bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "student"
    shutil.copytree(bundle, out)
    (out / "exercises" / "stale.txt").write_text("from an older release")
    assert main(["release", str(out)]) == 2
    assert (out / "exercises" / "stale.txt").exists()
    assert main(["release", str(out), "--force"]) == 0
    assert not (out / "exercises" / "stale.txt").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_the_bundle_help_lists_only_grader_check(bundle: Path) -> None:
    code, out, err = finish(student_python(bundle, "-m", "grader", "--help"))
    assert code == 0, err
    assert re.findall(r"^    (\S+)", out, re.M) == ["check"]
    code, out, err = finish(student_python(bundle, "-m", "grader", "--version"))
    assert code == 0 and out.startswith("grader "), err


def test_the_student_readme_installs_cpu_torch_and_the_grader(bundle: Path) -> None:
    readme = (bundle / "README.md").read_text(encoding="utf-8")
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in readme
    assert ".venv/bin/pip install -e ." in readme and "grader --version" in readme
