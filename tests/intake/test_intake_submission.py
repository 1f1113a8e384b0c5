"""Submissions as folders and single files: what is graded, what is ignored and why."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

import grader.intake
from grader.assignment import EXERCISES
from grader.intake import (
    ExerciseSource,
    IntakeLimits,
    SubmissionError,
    class_entries,
    load_submission,
    submission_name,
)

FILES = Path(__file__).resolve().parent.parent / "files" / "intake"
COURSE_EXERCISES = Path(__file__).resolve().parents[2] / "exercises"
SOFTMAX = "def softmax_manual(z):\n    return z.softmax(dim=-1)\n"


def make_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data)
    return root


# --- folders ----------------------------------------------------------------------


def test_folder_of_py_files_gives_one_source_per_exercise(tmp_path: Path) -> None:
    root = make_tree(
        tmp_path / "alice",
        {"ex03_forward_pass.py": SOFTMAX, "ex09_capacity.py": "def calculate_capacity(n): ...\n"},
    )

    submission = load_submission(root)

    assert submission.name == "alice"
    assert sorted(submission.exercises) == ["ex03_forward_pass", "ex09_capacity"]
    assert submission.exercises["ex03_forward_pass"] == ExerciseSource(
        "ex03_forward_pass", "ex03_forward_pass.py", "module", SOFTMAX
    )
    assert submission.problems == {} and submission.notes == ()


def test_folder_with_exercises_and_notebooks_prefers_the_py_and_says_so(tmp_path: Path) -> None:
    notebook = (FILES / "ex03_forward_pass.ipynb").read_bytes()
    root = make_tree(
        tmp_path / "bob",
        {
            "exercises/ex03_forward_pass.py": SOFTMAX,
            "exercises/notebooks/ex03_forward_pass.ipynb": notebook,
            "exercises/notebooks/ex08_activations.ipynb": notebook,
            "exercises/notebooks/.ipynb_checkpoints/ex08_activations-checkpoint.ipynb": "{}",
        },
    )

    submission = load_submission(root)

    ex03 = submission.exercises["ex03_forward_pass"]
    assert (ex03.origin, ex03.kind) == ("exercises/ex03_forward_pass.py", "module")
    assert ex03.notes == (
        "also found exercises/notebooks/ex03_forward_pass.ipynb; "
        "graded exercises/ex03_forward_pass.py",
    )
    ex08 = submission.exercises["ex08_activations"]
    assert (ex08.origin, ex08.kind) == ("exercises/notebooks/ex08_activations.ipynb", "notebook")
    assert "def softmax_manual(logits):" in ex08.source
    assert submission.notes == ()


def test_notebook_is_graded_when_the_preferred_py_is_unusable(tmp_path: Path) -> None:
    root = make_tree(
        tmp_path / "s",
        {
            "ex03_forward_pass.py": b"x = '\x00'\n",
            "ex03_forward_pass.ipynb": (FILES / "ex03_forward_pass.ipynb").read_bytes(),
        },
    )

    ex03 = load_submission(root).exercises["ex03_forward_pass"]

    assert ex03.kind == "notebook"
    assert ex03.notes[1].startswith(
        "graded ex03_forward_pass.ipynb because ex03_forward_pass.py could not be read: it is "
        "not a text file (it holds the control character 0x00 at character 5). Save it as "
        "UTF-8 text and submit again."
    )


def test_course_exercise_folder_is_read_as_a_submission() -> None:
    if not (COURSE_EXERCISES / "notebooks").is_dir():
        pytest.skip("the generated exercises are not in this checkout")

    submission = load_submission(COURSE_EXERCISES)

    assert sorted(submission.exercises) == sorted(EXERCISES)
    assert submission.problems == {}
    for source in submission.exercises.values():
        compile(source.source, source.origin, "exec")


def test_course_notebooks_alone_convert_to_importable_modules(tmp_path: Path) -> None:
    notebooks = COURSE_EXERCISES / "notebooks"
    if not notebooks.is_dir():
        pytest.skip("the generated exercises are not in this checkout")
    shutil.copytree(notebooks, tmp_path / "nb")

    submission = load_submission(tmp_path / "nb")

    assert sorted(submission.exercises) == sorted(EXERCISES)
    for source in submission.exercises.values():
        assert source.kind == "notebook"
        compile(source.source, source.origin, "exec")


def test_empty_folder_is_a_submission_with_no_exercises_and_a_note(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()

    submission = load_submission(tmp_path / "empty")

    assert submission.exercises == {} and submission.problems == {}
    assert submission.notes == (
        "no exercise files found in empty: expected files named like ex01_multiclass.py or "
        ".ipynb at the top of the submission or in exercises/",
    )


def test_wrapper_folders_are_entered(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "dl", {"dave/submission/ex03_forward_pass.py": SOFTMAX})

    ex03 = load_submission(root).exercises["ex03_forward_pass"]

    assert ex03.origin == "dave/submission/ex03_forward_pass.py"


# --- one exercise's problem costs only that exercise ----------------------------------


def test_bad_files_become_problems_and_the_rest_is_graded(tmp_path: Path) -> None:
    root = make_tree(
        tmp_path / "s",
        {
            "ex01_multiclass.ipynb": (FILES / "invalid_json.ipynb").read_bytes(),
            "ex02_regression_binary.ipynb": (FILES / "nbformat3.ipynb").read_bytes(),
            "ex03_forward_pass.py": b"\xef\xbb\xbfdef f(:\n",  # BOM tolerated, syntax kept
            "ex04_backward_pass.py": b"caf\x00 = 1\n",
            "ex05_optimizer.ipynb": b"PK\x03\x04\x14\x00",  # a zip renamed
        },
    )

    submission = load_submission(root)

    assert submission.exercises["ex03_forward_pass"].source == "def f(:\n"
    assert submission.problems["ex01_multiclass"].startswith(
        "ex01_multiclass.ipynb: Notebook could not be parsed: it is not valid JSON ("
    )
    assert "ex02_regression_binary" in submission.exercises  # nbformat 3: upgraded
    assert submission.problems["ex04_backward_pass"] == (
        "ex04_backward_pass.py could not be read: it is not a text file (it holds the control "
        "character 0x00 at character 3). Save it as UTF-8 text and submit again."
    )
    assert submission.problems["ex05_optimizer"] == (
        "ex05_optimizer.ipynb: Notebook could not be read: it is not a text file (it holds the "
        "control character 0x03 at character 2). Open it in Jupyter, save it (Jupyter saves "
        "UTF-8 text), and submit again."
    )


@pytest.mark.parametrize(
    ("data", "label"),
    [
        ("café = 'naïve'\n".encode("cp1252"), "Windows-1252 (Latin-1)"),
        ("café = 'naïve'\n".encode("utf-16"), "UTF-16"),
    ],
    ids=["windows-1252", "utf16"],
)
def test_py_in_another_encoding_is_graded_with_a_note(
    tmp_path: Path, data: bytes, label: str
) -> None:
    root = make_tree(tmp_path / "s", {"ex04_backward_pass.py": data})

    ex04 = load_submission(root).exercises["ex04_backward_pass"]

    assert ex04.source.endswith("café = 'naïve'\n")
    assert ex04.notes == (
        f"the file is not saved as UTF-8; it was read as {label}. If any accented "
        "text looks wrong, save it as UTF-8 and submit again.",
    )


def test_py_with_a_coding_line_is_read_as_declared_without_a_note(tmp_path: Path) -> None:
    data = "# -*- coding: latin-1 -*-\ncafé = 'naïve'\n".encode("latin-1")
    root = make_tree(tmp_path / "s", {"ex04_backward_pass.py": data})

    ex04 = load_submission(root).exercises["ex04_backward_pass"]

    assert (ex04.source.splitlines()[1], ex04.notes) == ("café = 'naïve'", ())


def test_utf8_py_with_bom_gets_no_note(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "s", {"ex04_backward_pass.py": "\ufeffcafé = 1\n".encode()})

    ex04 = load_submission(root).exercises["ex04_backward_pass"]

    assert (ex04.source, ex04.notes) == ("café = 1\n", ())


def test_script_named_ipynb_is_graded_as_a_module(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "s", {"ex03_forward_pass.ipynb": SOFTMAX})

    ex03 = load_submission(root).exercises["ex03_forward_pass"]

    assert (ex03.kind, ex03.source) == ("module", SOFTMAX)
    assert ex03.describe(2) == "ex03_forward_pass.ipynb, line 2"
    assert "the file is a Python script, not a Jupyter notebook" in ex03.notes[0]


def test_r_notebook_is_a_problem_for_that_exercise_only(tmp_path: Path) -> None:
    nb = json.loads((FILES / "ex03_forward_pass.ipynb").read_text(encoding="utf-8"))
    nb["metadata"]["kernelspec"] = {"name": "ir", "language": "R", "display_name": "R"}
    root = make_tree(
        tmp_path / "s",
        {"ex03_forward_pass.ipynb": json.dumps(nb), "ex02_regression_binary.py": "x = 1\n"},
    )

    submission = load_submission(root)

    assert submission.problems == {
        "ex03_forward_pass": "ex03_forward_pass.ipynb: This notebook runs R, not Python, so it "
        "cannot be graded. Open the course's notebook in Jupyter with a Python 3 kernel, put "
        "your code in it, and submit again."
    }
    assert list(submission.exercises) == ["ex02_regression_binary"]


def test_notebook_over_the_cap_is_a_problem_and_is_not_read(tmp_path: Path) -> None:
    root = tmp_path / "s"
    root.mkdir()
    with open(root / "ex03_forward_pass.ipynb", "wb") as handle:
        handle.truncate(21 << 20)  # sparse: 21 MB of NUL bytes, not JSON

    problem = load_submission(root).problems["ex03_forward_pass"]

    # Parsing it would have said "not valid JSON"; the size check came first.
    assert problem == (
        "ex03_forward_pass.ipynb is 21 MB, over the 20 MB limit for a notebook. "
        "Clear all outputs (Edit > Clear All Outputs), save, and submit again."
    )


def test_py_over_the_cap_is_a_problem(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "s", {"ex03_forward_pass.py": "#" * ((1 << 20) + 1)})

    problem = load_submission(root).problems["ex03_forward_pass"]

    assert problem.startswith("ex03_forward_pass.py is 1.0 MB, over the 1 MB limit for a .py file")


# --- what is ignored, and the notes that say so ---------------------------------------


def test_files_that_would_shadow_libraries_or_configure_the_grader_are_ignored(
    tmp_path: Path,
) -> None:
    root = make_tree(
        tmp_path / "mallory",
        {
            "ex03_forward_pass.py": SOFTMAX,
            "torch.py": "raise SystemExit",
            "numpy.py": "",
            "sitecustomize.py": "",
            "evil.pth": "import os",
            "conftest.py": "",
            "pytest.ini": "",
            "exercises/json.py": "",
            "torch/__init__.py": "",
        },
    )

    submission = load_submission(root)

    assert list(submission.exercises) == ["ex03_forward_pass"]
    assert set(submission.notes) == {
        "ignored conftest.py: it would change how Python or the grader starts",
        "ignored evil.pth: it would change Python's import path",
        "ignored numpy.py: it would shadow a library",
        "ignored pytest.ini: it would change how Python or the grader starts",
        "ignored sitecustomize.py: it would change how Python or the grader starts",
        "ignored torch.py: it would shadow a library",
        "ignored torch/: it would shadow a library",
        "ignored exercises/json.py: it would shadow a library",
    }


def test_near_misses_helpers_and_misplaced_exercise_files_are_noted(tmp_path: Path) -> None:
    root = make_tree(
        tmp_path / "s",
        {
            "ex03_forward_pass (1).py": SOFTMAX,
            "Ex8_activations.ipynb": "{}",
            "helpers.py": "",
            "old.zip": b"",
            "data.csv": "a,b",
            "src/ex05_optimizer.py": "",
            "exercises/backup/ex06_data.ipynb": "{}",
        },
    )

    submission = load_submission(root)

    assert list(submission.exercises) == ["ex03_forward_pass"]  # a browser's copy is forgiven
    assert set(submission.notes) == {
        "ignored Ex8_activations.ipynb: exercise files must be named exactly "
        "ex08_activations.py or ex08_activations.ipynb",
        "graded ex03_forward_pass (1).py as ex03_forward_pass.py",
        "ignored helpers.py: only exercise files (such as ex01_multiclass.py) are graded; "
        "keep helper code inside them",
        "ignored old.zip: archives inside a submission are not opened",
        "ignored src/ex05_optimizer.py: exercise files must be at the top of your submission "
        "or in exercises/",
        "ignored exercises/backup/ex06_data.ipynb: exercise files must be at the top of your "
        "submission or in exercises/",
    }


def test_loose_names_are_graded_and_the_exact_or_newest_copy_wins(tmp_path: Path) -> None:
    root = make_tree(
        tmp_path / "s",
        {
            "EX03 Forward-Pass (1).py": "A = 1\n",
            "ex03_forward_pass (2).py": "A = 2\n",
            "ex05_optimizer-1.ipynb": "{}",
            "ex05_optimizer.py": "B = 1\n",
            "Ex04_Backward_Pass.PY": "C = 1\n",
        },
    )

    submission = load_submission(root)

    assert submission.exercises["ex03_forward_pass"].origin == "ex03_forward_pass (2).py"
    assert submission.exercises["ex05_optimizer"].origin == "ex05_optimizer.py"
    assert submission.exercises["ex04_backward_pass"].origin == "Ex04_Backward_Pass.PY"


def test_symlinks_inside_a_submission_are_never_followed(tmp_path: Path) -> None:
    secret = make_tree(tmp_path / "grader_side", {"checks/test_ex03.py": "EXPECTED = 42\n"})
    root = make_tree(tmp_path / "s", {"real/ex05_optimizer.py": "SECRET_LEAK = 1\n"})
    (root / "ex03_forward_pass.py").symlink_to(secret / "checks" / "test_ex03.py")
    (root / "exercises").symlink_to(root / "real")

    submission = load_submission(root)

    assert submission.exercises == {}
    assert [note for note in submission.notes if note.startswith("skipped")] == [
        "skipped ex03_forward_pass.py: it is a symbolic link, which the grader never follows",
        "skipped exercises: it is a symbolic link, which the grader never follows",
    ]
    assert all("SECRET" not in source.source for source in submission.exercises.values())


def test_notes_are_capped(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "s", {f"helper{i:02}.py": "" for i in range(80)})

    notes = load_submission(root).notes

    assert len(notes) == 50 and notes[-1] == "... and 32 more notes"


# --- single files -----------------------------------------------------------------------


def test_single_py_file_is_its_exercise(tmp_path: Path) -> None:
    path = make_tree(tmp_path, {"ex03_forward_pass.py": SOFTMAX}) / "ex03_forward_pass.py"

    submission = load_submission(path)

    assert submission.name == "ex03_forward_pass"
    assert list(submission.exercises) == ["ex03_forward_pass"]
    assert submission.notes == ()


def test_single_notebook_with_a_student_prefix_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "alice_42_ex03_forward_pass.ipynb"
    shutil.copy(FILES / "ex03_forward_pass.ipynb", path)

    submission = load_submission(path)

    assert submission.name == "alice_42_ex03_forward_pass"
    source = submission.exercises["ex03_forward_pass"]
    assert (source.kind, source.origin) == ("notebook", "alice_42_ex03_forward_pass.ipynb")
    assert submission.notes == ("graded alice_42_ex03_forward_pass.ipynb as ex03_forward_pass",)


def test_single_invalid_notebook_is_a_problem_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "ex03_forward_pass.ipynb"
    shutil.copy(FILES / "invalid_json.ipynb", path)

    submission = load_submission(path)

    assert submission.exercises == {}
    assert list(submission.problems) == ["ex03_forward_pass"]


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("notes.py", "cannot tell which exercise notes.py is"),
        ("torch.py", "cannot tell which exercise torch.py is"),
        ("myex03_forward_pass.py", "cannot tell which exercise myex03_forward_pass.py is"),
        ("work.tar.gz", "work.tar.gz: unsupported submission type"),
    ],
)
def test_single_file_that_names_no_exercise_is_refused(
    tmp_path: Path, filename: str, message: str
) -> None:
    (tmp_path / filename).write_text("x = 1")

    with pytest.raises(SubmissionError, match="^" + message.replace(".", r"\.")):
        load_submission(tmp_path / filename)


def test_missing_path_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(SubmissionError, match=r"submission not found: .*/nobody"):
        load_submission(tmp_path / "nobody")


# --- fingerprint ----------------------------------------------------------------------


def test_fingerprint_is_stable_and_follows_the_graded_sources(tmp_path: Path) -> None:
    notebook = (FILES / "magics.ipynb").read_bytes()
    top = {"ex03_forward_pass.py": SOFTMAX, "ex08_activations.ipynb": notebook}
    first = make_tree(tmp_path / "a", top)
    moved = make_tree(
        tmp_path / "b",
        {f"exercises/{name}": data for name, data in top.items()} | {"README.md": "ignored"},
    )
    changed = make_tree(tmp_path / "c", top | {"ex03_forward_pass.py": SOFTMAX + "# edit\n"})
    broken = make_tree(tmp_path / "d", top | {"ex08_activations.ipynb": notebook[:100]})

    fingerprint = load_submission(first).fingerprint

    assert len(fingerprint) == 64 and int(fingerprint, 16) >= 0
    assert load_submission(first).fingerprint == fingerprint  # same run to run
    assert load_submission(moved).fingerprint == fingerprint  # place and name do not count
    assert load_submission(changed).fingerprint != fingerprint
    assert load_submission(broken).fingerprint != fingerprint


def test_fingerprint_follows_the_documented_recipe(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "a", {"ex03_forward_pass.py": "x = 1\n"})

    # sha256 of the sorted [exercise, kind, source] triples as compact ASCII JSON: a
    # change here invalidates every stored result a resumed batch relies on.
    recipe = b'[["ex03_forward_pass","module","x = 1\\n"]]'
    assert load_submission(root).fingerprint == hashlib.sha256(recipe).hexdigest()


# --- names and class folders -----------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("alice", "alice"),
        ("Bob Smith.zip", "Bob_Smith"),
        ("José Núñez", "Jose_Nunez"),
        ("..hidden", "hidden"),
        ("-rf", "rf"),
        ("carol_ex03_forward_pass.py", "carol_ex03_forward_pass"),
        ("a;rm -rf ~.zip", "a_rm_-rf_"),
    ],
)
def test_submission_names_are_safe_folder_names(tmp_path: Path, entry: str, expected: str) -> None:
    path = tmp_path / entry
    if "." in entry and not entry.startswith(".."):
        path.write_text("")
    else:
        path.mkdir()

    assert submission_name(path) == expected


def test_names_with_nothing_left_are_distinct_and_stable(tmp_path: Path) -> None:
    first, second = submission_name(tmp_path / "张伟"), submission_name(tmp_path / "李娜")

    assert first.startswith("submission-") and second.startswith("submission-")
    assert first != second and submission_name(tmp_path / "张伟") == first


def test_explicit_name_is_sanitised_too(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "x", {"ex03_forward_pass.py": SOFTMAX})

    assert load_submission(root, name="../../etc/passwd").name == "etc_passwd"


def test_class_entries_lists_each_submission_once_sorted(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {
            "zoe/ex03_forward_pass.py": SOFTMAX,
            "bob.zip": b"",
            "carol_ex03_forward_pass.py": SOFTMAX,
            "dave.IPYNB": "{}",
            "grades.csv": "",
            ".DS_Store": "",
            ".git/config": "",
            "__MACOSX/x": "",
        },
    )
    (tmp_path / "adam").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "zoe")

    assert [p.name for p in class_entries(tmp_path)] == [
        "adam", "bob.zip", "carol_ex03_forward_pass.py", "dave.IPYNB", "zoe",
    ]  # fmt: skip


def test_class_entries_of_a_missing_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="class folder not found"):
        class_entries(tmp_path / "none")
    (tmp_path / "f").write_text("")
    with pytest.raises(NotADirectoryError):
        class_entries(tmp_path / "f")


# --- the public door ----------------------------------------------------------------------


def test_public_names_are_exactly_the_documented_ones() -> None:
    assert grader.intake.__all__ == [
        "ExerciseSource", "IntakeLimits", "Submission", "SubmissionError",
        "class_entries", "load_submission", "submission_name",
    ]  # fmt: skip
    for name in grader.intake.__all__:
        assert getattr(grader.intake, name).__module__ == "grader.intake.submission"


def test_exercise_source_describes_lines_in_the_students_terms(tmp_path: Path) -> None:
    root = make_tree(
        tmp_path / "s",
        {
            "ex03_forward_pass.py": SOFTMAX,
            "exercises/notebooks/ex08_activations.ipynb": (FILES / "magics.ipynb").read_bytes(),
        },
    )
    submission = load_submission(root)
    module, notebook = (
        submission.exercises["ex03_forward_pass"],
        submission.exercises["ex08_activations"],
    )
    line = notebook.source.splitlines().index("def double(x):") + 1

    assert module.line_map == () and module.location(2) is None
    assert module.describe(2) == "ex03_forward_pass.py, line 2"
    assert notebook.location(line) == (5, 1)
    assert (
        notebook.describe(line) == "exercises/notebooks/ex08_activations.ipynb, code cell 5, line 1"
    )
    assert (
        notebook.describe(3) == "exercises/notebooks/ex08_activations.ipynb (grader-added line 3)"
    )


def test_limits_can_be_tightened(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "s", {"ex03_forward_pass.py": SOFTMAX})

    problem = load_submission(root, limits=IntakeLimits(module_bytes=10)).problems

    assert problem["ex03_forward_pass"].startswith(
        f"ex03_forward_pass.py is {len(SOFTMAX)} bytes, over the 10 bytes limit for a .py file."
    )


def test_untouched_stub_beside_a_notebook_yields_to_the_notebook(tmp_path: Path) -> None:
    from course_files import COURSE

    released = COURSE.root / "exercises"
    exercises = tmp_path / "course" / "exercises"
    (exercises / "notebooks").mkdir(parents=True)
    stub = (released / "ex03_forward_pass.py").read_bytes()
    (exercises / "ex03_forward_pass.py").write_bytes(stub)
    notebook = (released / "notebooks" / "ex03_forward_pass.ipynb").read_bytes()
    (exercises / "notebooks" / "ex03_forward_pass.ipynb").write_bytes(notebook)

    chosen = load_submission(tmp_path / "course").exercises["ex03_forward_pass"]
    assert chosen.kind == "notebook"

    (exercises / "ex03_forward_pass.py").write_bytes(stub + b"\n# my edit\n")
    chosen = load_submission(tmp_path / "course").exercises["ex03_forward_pass"]
    assert chosen.kind == "module"


def test_vscode_export_py_gets_the_stand_in_and_notes(tmp_path: Path) -> None:
    export = "# %%\n" + SOFTMAX + "\n# %%\nget_ipython().run_line_magic('pip', 'install torch')\n"
    root = make_tree(tmp_path / "s", {"ex03_forward_pass.py": export})

    ex03 = load_submission(root).exercises["ex03_forward_pass"]

    assert ex03.source.split("\n")[1:] == export.split("\n")[1:]
    assert ex03.source.startswith("exec(")
    assert ex03.notes == ("line 6: shell escape `%pip install torch` was not run",)
    assert ex03.describe(2) == "ex03_forward_pass.py, line 2"
