"""Grade a class with hostile submissions through the real CLI; check that nothing is lost.

    python bench/hostile_class.py                # 20 correct + 3 hostile, --jobs 2
    python bench/hostile_class.py --correct 4    # the lighter version the tests run

The class is built in a temporary folder from the reference solutions: N
correct submissions, plus three that each break one function of one exercise
(an infinite loop, a memory bomb, an ``os._exit(0)``). It is graded with
``grader grade --class DIR --out OUT --jobs J`` at the grader's default limits,
then the reports are checked: every submission has one, the correct ones score
full marks, and each hostile one loses exactly the checks of the function it
broke, with the reason expected. Prints the wall time of the ``grader grade``
run. Exit status 0 when everything holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import ast
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"


@dataclass(frozen=True)
class Hostile:
    """One submission that breaks `function` of `exercise` with `body`."""

    name: str
    exercise: str
    function: str
    body: str
    status: str  # what each check of that function must end as
    message: str  # words each of those messages must contain


HOSTILE = (
    Hostile("hostile-loop", "ex08_activations", "relu_grad",
            "while True:\n    pass\n", "timeout", "timed out after"),
    Hostile("hostile-memory", "ex02_regression_binary", "mse_manual",
            "hoard = bytearray(64 << 30)\nreturn len(hoard)\n", "crashed", "memory limit exceeded"),
    Hostile("hostile-exit", "ex04_backward_pass", "sgd_update",
            "import os\nos._exit(0)\n", "crashed", "worker exited without returning"),
)  # fmt: skip


def exercises() -> list[str]:
    return sorted(p.stem for p in SOLUTIONS.glob("ex[0-9][0-9]_*.py"))


def replace_body(source: str, function: str, body: str) -> str:
    """`source` with `function`'s body replaced by `body` (signature kept)."""
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            node.body = ast.parse(body).body
            return ast.unparse(tree) + "\n"
    raise ValueError(f"{function} not found")


def build_class(root: Path, n_correct: int) -> list[str]:
    """Write the class into `root`; return the submission names."""
    names = []
    for i in range(1, n_correct + 1):
        folder = root / f"student-{i:02d}"
        folder.mkdir(parents=True)
        for exercise in exercises():
            shutil.copy(SOLUTIONS / f"{exercise}.py", folder / f"{exercise}.py")
        names.append(folder.name)
    for hostile in HOSTILE:
        folder = root / hostile.name
        folder.mkdir(parents=True)
        for exercise in exercises():
            source = (SOLUTIONS / f"{exercise}.py").read_text()
            if exercise == hostile.exercise:
                source = replace_body(source, hostile.function, hostile.body)
            (folder / f"{exercise}.py").write_text(source)
        names.append(folder.name)
    return names


def grade(class_dir: Path, out: Path, jobs: int) -> tuple[float, subprocess.CompletedProcess]:
    command = [sys.executable, "-m", "grader.cli", "grade", "--class", str(class_dir),
               "--out", str(out), "--jobs", str(jobs), "-q"]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    return time.perf_counter() - started, done


def check_reports(out: Path, names: list[str]) -> list[str]:
    """Everything wrong with the class's reports (empty when all holds)."""
    problems = []
    broken = {h.name: h for h in HOSTILE}
    for name in names:
        path = out / name / "report.json"
        if not path.is_file():
            problems.append(f"{name}: no report.json")
            continue
        report = json.loads(path.read_text())
        if report["status"] != "graded":
            problems.append(f"{name}: {report['status']} ({report['reason']})")
            continue
        if {c["exercise"] for c in report["checks"]} != set(exercises()):
            problems.append(f"{name}: not every exercise was graded")
        hostile = broken.get(name)
        for check in report["checks"]:
            hit = hostile and (check["exercise"], check["function"]) == (
                hostile.exercise,
                hostile.function,
            )
            if hit and (
                check["status"] != hostile.status or hostile.message not in check["message"]
            ):
                problems.append(f"{name}: {check['id']}: {check['status']}: {check['message']}")
            if not hit and check["status"] != "passed":
                problems.append(f"{name}: {check['id']} should pass: {check['message']}")
        lost = sum(c["max_points"] for c in report["checks"] if c["status"] != "passed")
        if report["score"] != report["max_score"] - lost or (not hostile and lost):
            problems.append(f"{name}: score {report['score']}/{report['max_score']}")
        if hostile and not lost:
            problems.append(f"{name}: the hostile function lost nothing")
    return problems


def run(n_correct: int = 20, jobs: int = 2, keep: Path | None = None) -> float:
    """Build, grade and check a class; return the grading wall time.

    Raises AssertionError with every problem found.
    """
    root = Path(tempfile.mkdtemp(prefix="hostile-class-")) if keep is None else keep
    try:
        names = build_class(root / "class", n_correct)
        wall, done = grade(root / "class", root / "out", jobs)
        assert done.returncode == 0, f"grader grade exited {done.returncode}:\n{done.stderr}"
        problems = check_reports(root / "out", names)
        assert not problems, "\n".join(problems)
        return wall
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--correct", type=int, default=20, help="correct submissions (20)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel judges (2)")
    parser.add_argument("--keep", type=Path, help="build and grade here, and keep the files")
    args = parser.parse_args(argv)
    try:
        wall = run(args.correct, args.jobs, args.keep)
    except AssertionError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    total = args.correct + len(HOSTILE)
    print(
        f"{total} submissions ({args.correct} correct, {len(HOSTILE)} hostile: "
        f"{', '.join(h.name for h in HOSTILE)}) graded with --jobs {args.jobs} "
        f"in {wall:.1f} s wall; every report present, correct ones 100/100, "
        "hostile ones lost only the function they broke"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
