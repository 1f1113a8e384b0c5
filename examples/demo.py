"""The bundled course's example class, and the README's main command (``make demo``).

Course material, not engine: it lives beside the course's own files, and the
grader package knows nothing of it.

``examples/class/`` holds five small submissions that show what the grader
does with what students really hand in. They are generated from
``solutions/`` and ``exercises/`` by :func:`build_example_class`, never edited
by hand, and a test keeps the committed files equal to a fresh generation:

- ``alice``: every exercise correct, as ``.py`` modules;
- ``bob``: every exercise correct, as filled-in notebooks (one with a shell escape);
- ``carol``: ex01 to ex05 done, ex06 to ex09 handed in untouched;
- ``dave``: the lesson's classic mistakes (softmax twice, ``x @ weight``,
  no ``zero_grad`` in the training loop);
- ``erin``: correct modules, but one notebook that is not valid JSON.

``python examples/demo.py --out reports/demo`` grades the class and prints the
table, then grades the same class as Canvas delivers it: :func:`canvas_download`
writes ``OUT-canvas/submissions.zip`` with Canvas' file names (a ``LATE``
marker, a ``-1`` re-upload, capitals and spaces, a file that is no exercise),
and ``examples/canvas/`` holds the roster (one student handed in nothing, one
has an extension), the submission times Canvas' download leaves out, and an
override. That run writes the gradebook with the late penalties, the override
and the missing student, ``changes.csv`` and ``canvas.csv`` for Canvas'
gradebook import. ``--build`` regenerates ``examples/class/``.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

from grader.assignment import EXERCISES, use

ROOT = Path(__file__).resolve().parents[1]  # the bundled course: assignment.toml is there

EXAMPLES = Path("examples") / "class"

# (exercise, old text, new text): each must match exactly once in the solution.
MISTAKES: dict[str, list[tuple[str, str]]] = {
    "ex01_multiclass": [
        (
            "    shifted = logits - logits.max(dim=-1, keepdim=True).values\n",
            "    logits = predict_proba(logits)  # softmax applied before the loss\n"
            "    shifted = logits - logits.max(dim=-1, keepdim=True).values\n",
        )
    ],
    "ex03_forward_pass": [("    out = x @ weight.T\n", "    out = x @ weight\n")],
    "ex07_training": [("            optimizer.zero_grad()\n", "")],
}


def _patched(source: str, edits: Sequence[tuple[str, str]], where: str) -> str:
    for old, new in edits:
        if source.count(old) != 1:
            raise ValueError(f"{where}: the example edit {old.strip()!r} no longer matches once")
        source = source.replace(old, new)
    return source


def _filled_notebook(exercise: str, solution: str, notebook_text: str) -> str:
    """The student's notebook with every stub cell replaced by the solution's function."""
    tree = ast.parse(solution)
    functions = {
        node.name: ast.get_source_segment(solution, node)
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name in EXERCISES[exercise]
    }
    notebook = json.loads(notebook_text)
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        text = "".join(cell["source"])
        for name, code in functions.items():
            if f"def {name}(" in text and code is not None:
                cell["source"] = code
                break
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def build_example_class(root: Path) -> dict[Path, str]:
    """Every file of the example class: relative path -> text."""
    files: dict[Path, str] = {}
    solutions = {name: (root / "solutions" / f"{name}.py").read_text() for name in EXERCISES}
    stubs = {name: (root / "exercises" / f"{name}.py").read_text() for name in EXERCISES}
    notebooks = {
        name: (root / "exercises" / "notebooks" / f"{name}.ipynb").read_text() for name in EXERCISES
    }
    for name, text in solutions.items():
        files[EXAMPLES / "alice" / f"{name}.py"] = text
        filled = _filled_notebook(name, text, notebooks[name])
        files[EXAMPLES / "bob" / f"{name}.ipynb"] = filled
        done = name <= "ex05"
        files[EXAMPLES / "carol" / "exercises" / f"{name}.py"] = text if done else stubs[name]
        patched = _patched(text, MISTAKES.get(name, []), f"solutions/{name}.py")
        files[EXAMPLES / "dave" / f"{name}.py"] = patched
        if name == "ex03_forward_pass":
            files[EXAMPLES / "erin" / f"{name}.ipynb"] = filled[: len(filled) // 2]
        else:
            files[EXAMPLES / "erin" / f"{name}.py"] = text
    bob_ex02 = EXAMPLES / "bob" / "ex02_regression_binary.ipynb"
    notebook = json.loads(files[bob_ex02])
    notebook["cells"].insert(
        1,
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "bob-pip",
            "metadata": {},
            "outputs": [],
            "source": "!pip install torchinfo\n%matplotlib inline",
        },
    )
    files[bob_ex02] = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    return files


CANVAS = Path("examples") / "canvas"
DEADLINE = "2026-03-01T23:59:00+00:00"
LATE_POLICY = "per_day=10,grace_minutes=15,max=50"
# folder -> (Canvas' lastfirst name, user id, LATE marker)
CANVAS_STUDENTS = {
    "alice": ("wongalice", "40001", False),
    "bob": ("mullerbob", "40002", True),
    "carol": ("diazcarol", "40003", False),
    "dave": ("okafordave", "40004", True),
    "erin": ("oneilerin", "40005", True),
}


def canvas_download(root: Path) -> dict[str, bytes]:
    """The example class as a Canvas bulk download: Canvas file name -> content.

    Canvas names each file ``name_[LATE_]userid_attachmentid_filename``. Bob's
    notebooks are saved as ``Ex01 Multiclass.ipynb`` and the like; Carol first
    uploads the untouched ex01 stub, then her work as ``ex01_multiclass-1.py``
    (the newer upload wins, the older is named in her feedback); Alice adds a
    ``notes.txt`` that is no exercise.
    """
    files: dict[str, bytes] = {}
    attachment = 800_000
    for folder, (name, user, late) in CANVAS_STUDENTS.items():
        prefix = f"{name}_{'LATE_' if late else ''}{user}"
        base = root / EXAMPLES / folder
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            attachment += 1
            filename = path.name
            if folder == "bob":
                words = path.stem[5:].replace("_", " ").title()
                filename = f"{path.stem[:4].capitalize()} {words}{path.suffix}"
            if folder == "carol" and path.stem == "ex01_multiclass":
                stub = root / "exercises" / path.name
                files[f"{prefix}_{attachment}_{path.name}"] = stub.read_bytes()
                attachment += 1
                filename = f"{path.stem}-1{path.suffix}"
            files[f"{prefix}_{attachment}_{filename}"] = path.read_bytes()
        if folder == "alice":
            attachment += 1
            files[f"{prefix}_{attachment}_notes.txt"] = b"I used the lecture notes.\n"
    return files


def write_canvas_zip(root: Path, target: Path) -> Path:
    """Write :func:`canvas_download` as ``target`` (a zip, as Canvas hands it out)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in canvas_download(root).items():
            archive.writestr(name, data)
    return target


def canvas_argv(root: Path, download: Path, out: Path, jobs: int) -> list[str]:
    """The instructor's command for the Canvas download (the README shows the same)."""
    extra = root / CANVAS
    return [
        "grade", "--assignment", str(root), "--class", str(download), "--out", str(out),
        "--roster", str(extra / "roster.csv"), "--timestamps", str(extra / "times.csv"),
        "--deadline", DEADLINE, "--late-policy", LATE_POLICY,
        "--overrides", str(extra / "overrides.csv"),
        "--export", "canvas", "--export-column", "Homework 3 (4321)",
        "--jobs", str(jobs),
    ]  # fmt: skip


def write_example_class(root: Path) -> list[Path]:
    """Write the example class under ``root``; returns the paths written."""
    written = []
    for relative, text in sorted(build_example_class(root).items()):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python examples/demo.py", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("reports/demo"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--build", action="store_true", help="regenerate examples/class/ and stop")
    parser.add_argument("--no-canvas", action="store_true", help="skip the Canvas download run")
    args = parser.parse_args(argv)
    root = use(ROOT).root
    if args.build:
        for path in write_example_class(root):
            print(f"wrote {path.relative_to(root)}")
        return 0
    from grader.cli import main as cli_main

    print(f"grading the example class in {root / EXAMPLES} ...", file=sys.stderr)
    code = cli_main(
        ["grade", "--assignment", str(root), "--class", str(root / EXAMPLES),
         "--out", str(args.out), "--jobs", str(args.jobs), "--no-resume"]
    )  # fmt: skip
    if code or args.no_canvas:
        return code
    out = args.out.with_name(args.out.name + "-canvas")
    download = write_canvas_zip(root, out.parent / f"{out.name}-submissions.zip")
    print(f"\ngrading the same class as a Canvas download, {download} ...", file=sys.stderr)
    return cli_main(canvas_argv(root, download, out, args.jobs))


if __name__ == "__main__":
    raise SystemExit(main())
