"""``grader gradescope``: build the autograder zip, unpack it into a fake ``/autograder``
and run its ``run_autograder`` there, as Gradescope would.

The fake root lives under /var/tmp when it can: at L3 the sandbox mounts a
fresh tmpfs over /tmp, so a grader unpacked under /tmp could not start its
sandbox host (Gradescope's /autograder is never under /tmp).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from course_files import COURSE

from grader.cli import main
from grader.gradescope_run import could_not_grade
from grader.gradescope_run import main as run_main

COURSE = COURSE.root
CLASS = COURSE / "examples" / "class"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = Path("/var/tmp")
    if base.is_dir() and os.access(base, os.W_OK):
        folder = Path(tempfile.mkdtemp(prefix="grader-gradescope-", dir=base))
        yield folder
        shutil.rmtree(folder, ignore_errors=True)
    else:
        yield tmp_path_factory.mktemp("gradescope")


@pytest.fixture(scope="module")
def bundle(workdir: Path) -> Path:
    path = workdir / "autograder.zip"
    assert main(["gradescope", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def ex03_bundle(workdir: Path) -> Path:
    path = workdir / "ex03.zip"
    args = ["--exercise", "ex03_forward_pass", "--hidden-visibility", "after_due_date"]
    assert main(["gradescope", str(path), *args]) == 0
    return path


def autograder_root(bundle: Path, submission: Path | None, root: Path) -> Path:
    """Lay out ``root`` as Gradescope does: source/ unzipped, run_autograder copied, submission/."""
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():  # zipfile drops modes; unzip (Gradescope) keeps them
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                (root / "source" / info.filename).chmod(mode)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    if submission is not None:
        shutil.copytree(submission, root / "submission")
    return root


def run_autograder(root: Path, python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
    env.update(GRADER_AUTOGRADER_ROOT=str(root), PYTHON=python)
    return subprocess.run(
        [str(root / "run_autograder")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def results(root: Path) -> dict:
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


def test_bundle_holds_what_gradescope_needs(bundle: Path, workdir: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        requirements = archive.read("requirements.txt").decode()
        config = json.loads(archive.read("gradescope.json"))
    for name in (
        "setup.sh",
        "run_autograder",
        "pyproject.toml",
        "grader/gradescope_run.py",
        "grader/checklib/inputs.py",
        "grader/sandbox/confined/host.py",
        "grader/sandbox/confined/template.py",
        "assignment/assignment.toml",
        "assignment/checks/check_ex03_forward_pass.py",
        "assignment/checks/seed.txt",
        "assignment/probes/training.py",
        "assignment/solutions/ex07_training.py",
        "assignment/exercises/ex01_multiclass.py",
        "assignment/datasets/ds_salaries.csv",
    ):
        assert name in infos, name
    for name in ("setup.sh", "run_autograder"):
        assert stat.S_IMODE(infos[name].external_attr >> 16) == 0o755, name
    assert not [n for n in infos if "__pycache__" in n or n.endswith(".pyc") or "/." in n]
    assert not [n for n in infos if n.startswith(("tests/", "examples/", ".git"))]
    pinned = tomllib.loads((COURSE / "pyproject.toml").read_text())["project"]["dependencies"]
    assert [line for line in requirements.splitlines() if not line.startswith("#")] == pinned
    assert config["hidden_visibility"] == "after_published" and config["exercises"] is None
    # reproducible: the same checkout gives the same bytes
    again = workdir / "again.zip"
    assert main(["gradescope", str(again)]) == 0
    assert again.read_bytes() == bundle.read_bytes()


def test_correct_submission_scores_full_marks(bundle: Path, workdir: Path) -> None:
    root = autograder_root(bundle, CLASS / "alice", workdir / "alice")
    done = run_autograder(root)
    assert done.returncode == 0, done.stdout + done.stderr
    data = results(root)
    assert data["score"] == 100
    assert sum(test["max_score"] for test in data["tests"]) == 100
    visibilities = {test["visibility"] for test in data["tests"]}
    assert visibilities == {"visible", "after_published"}  # public and hidden checks
    assert all(test["status"] == "passed" for test in data["tests"])
    assert data["stdout_visibility"] == "hidden"
    assert data["extra_data"]["isolation"]["level"] in {"L1", "L2", "L3"}
    # the grader that ran is the bundle's, not this checkout's
    assert f"from {root / 'source' / 'grader'}" in done.stdout
    assert "isolation: L" in done.stdout


def test_lesson_mistakes_lose_points_and_hidden_checks_wait(
    ex03_bundle: Path, workdir: Path
) -> None:
    root = autograder_root(ex03_bundle, CLASS / "dave", workdir / "dave")
    done = run_autograder(root)
    assert done.returncode == 0
    data = results(root)
    assert data["score"] == 5, done.stdout
    assert {test["tags"][0] for test in data["tests"]} == {"ex03_forward_pass"}
    assert sum(test["max_score"] for test in data["tests"]) == 12
    hidden = [test for test in data["tests"] if test["visibility"] != "visible"]
    assert hidden and {test["visibility"] for test in hidden} == {"after_due_date"}
    failed = [test for test in data["tests"] if test["status"] == "failed"]
    assert failed and all(test["output"] != "Passed." for test in failed)
    assert any("x @ weight.T" in test["output"] for test in failed)  # student-facing message
    assert "after the due date" in data["output"]  # the total is not leaked early


def test_runner_that_cannot_start_still_leaves_a_result(bundle: Path, workdir: Path) -> None:
    root = autograder_root(bundle, CLASS / "alice", workdir / "no-python")
    (root / "results").mkdir()
    planted = {"score": 100, "tests": []}  # as if student code had written it
    (root / "results" / "results.json").write_text(json.dumps(planted))

    done = run_autograder(root, python=str(root / "no-such-python"))

    assert done.returncode == 0
    data = results(root)
    assert data["score"] == 0 and data["tests"] == []
    assert data["output"].startswith("**This submission could not be graded.**")
    # the shell's fallback says what the Python runner's fallback says
    assert data["output"] == could_not_grade()["output"]
    assert data["extra_data"] == could_not_grade()["extra_data"]
    assert "writing a could-not-be-graded result" in done.stdout


def test_broken_bundle_gives_a_could_not_be_graded_result(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = workdir / "broken"
    (root / "source").mkdir(parents=True)
    (root / "source" / "gradescope.json").write_text("{not json")
    monkeypatch.setenv("GRADER_ASSIGNMENT", str(COURSE))

    assert run_main(["--root", str(root)]) == 0

    data = results(root)
    assert data["score"] == 0 and data["tests"] == []
    assert "could not be graded" in data["output"]
    assert data["extra_data"] == {"status": "grader_error"}
    assert "JSONDecodeError" in capsys.readouterr().out  # the traceback is for staff only
    assert "JSONDecodeError" not in json.dumps(data)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bundle.tar"], "must be a .zip"),
        (["bundle.zip", "--exercise", "ex99_nothing"], "'ex99_nothing' is not an exercise"),
    ],
)
def test_bad_bundle_requests_are_usage_errors(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["gradescope", str(tmp_path / args[0]), *args[1:]])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_cli_offers_exactly_the_report_visibilities() -> None:
    from grader.commands import gradescope
    from grader.reports.gradescope import VISIBILITIES

    assert gradescope.VISIBILITIES == VISIBILITIES


def test_staff_output_survives_any_text(capsys: pytest.CaptureFixture[str]) -> None:
    from grader.gradescope_run import _staff

    _staff("Traceback: 'caf\u00e9\udcff' \u5f20")  # what a student's notebook can smuggle in
    assert capsys.readouterr().out == "Traceback: 'caf\\xe9\\udcff' \\u5f20\n"
