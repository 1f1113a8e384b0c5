"""What a student handed in, turned into one source text per exercise.

A submission is one of:

* a folder. Exercise files are looked for at its top, in ``exercises/``,
  ``exercises/notebooks/`` and ``notebooks/`` (the last covers a student who
  hands in their copy of the course's ``exercises`` folder itself). A folder
  holding nothing visible but one sub-folder (``alice/`` inside a zip, say) is
  entered, up to three levels;
* a ``.zip``, unpacked safely (:mod:`grader.intake.archive`) into a private
  temporary folder and then read like a folder;
* one ``.py`` or ``.ipynb`` file whose name says the exercise:
  ``ex02_shapes.py``, or with a prefix such as an LMS adds,
  ``alice_ex02_shapes.ipynb`` (the stem must *end* with ``_`` or ``-``
  and the exercise name, and exactly one exercise may match).

Inside a folder or zip, files named ``<exercise>.py`` or ``<exercise>.ipynb``
are graded, and so are loose spellings of them (case, spaces or hyphens for
underscores, a browser's `` (1)``, Canvas' ``-1``: :mod:`grader.intake.names`),
which yield to an exact name and, among themselves, to the highest copy
number, with a note; when both exist the ``.py`` wins (a note says
so) and the notebook is used only if the ``.py`` cannot be read. Everything
else is ignored, with a note when the student may care: near-miss names
(``ex2_shapes.py``), exercise files in other folders, helper
modules, names that would shadow a library or configure the grader
(``torch.py``, ``conftest.py``, ``*.pth``, docs/threats.md row 30), symlinks (never
followed, row 37) and nested archives. Sizes are checked before reading.

Files saved as UTF-16 or Windows-1252 are read, with a note
(:mod:`grader.intake.encoding`); a notebook file that holds a Python script is
graded as a script, and a script exported from a notebook (VS Code's "Export as
Python") gets a stand-in ``get_ipython()`` (:func:`~grader.intake.notebook.adapt_script`).
A problem with one exercise file (too large, not text, a
broken notebook, an R notebook)
costs only that exercise: it goes to ``Submission.problems``. Only a
submission that cannot be read at all raises :class:`SubmissionError`. An
empty folder is *not* an error: it is a submission with no exercises, so the
grader still writes a report (every check fails with "not found") plus a note.

Syntax errors in ``.py`` files are kept as they are: the worker's import
reports them against the student's own line numbers.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import stat
import sys
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from grader.assignment import EXERCISES, released_stubs_dir
from grader.errors import GraderError
from grader.intake.archive import ArchiveError, _shown, _size, extract_zip
from grader.intake.encoding import UndecodableError, decode_text
from grader.intake.names import match_exercise
from grader.intake.notebook import (
    LineMap,
    NotebookError,
    adapt_script,
    convert_notebook,
    locate,
)

__all__ = [
    "ExerciseSource",
    "IntakeLimits",
    "Submission",
    "SubmissionError",
    "class_entries",
    "load_submission",
    "submission_name",
]

_MB = 1 << 20
_SEARCHED = ("", "exercises", "exercises/notebooks", "notebooks")
_KINDS: dict[str, Literal["module", "notebook"]] = {".py": "module", ".ipynb": "notebook"}
_SUBMISSION_SUFFIXES = frozenset({".zip", ".py", ".ipynb"})
_SKIPPED_DIRS = frozenset({"__MACOSX", "__pycache__"})
_MAX_NOTES = 50
_UNWRAP_LEVELS = 3
_WALK_DEPTH = 6

# Names that must never sit next to student code: they would be imported instead
# of a library, or change how Python or pytest start (docs/threats.md row 30).
_LIBRARIES = frozenset(
    {"torch", "torchvision", "numpy", "pandas", "sklearn", "scipy", "matplotlib", "pytest",
     "_pytest", "pluggy", "IPython", "nbformat", "grader", "solutions"}
) | frozenset(sys.stdlib_module_names)  # fmt: skip
_THIRD_PARTY = _LIBRARIES - frozenset(sys.stdlib_module_names)  # folders that shadow too
_STARTUP_MODULES = frozenset({"sitecustomize", "usercustomize", "conftest"})
_CONFIG_FILES = frozenset({"pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml"})
_MODULE_SUFFIXES = frozenset({".py", ".pyc", ".pyd", ".so"})
_EXERCISE_NUMBER = re.compile(r"(?i)ex0*(\d+)")


class SubmissionError(GraderError):
    """The whole submission cannot be graded; the message names the file and what to do."""


@dataclass(frozen=True)
class IntakeLimits:
    """Caps applied before anything is read (docs/threats.md G5, rows 37 and 55)."""

    archive_bytes: int = 50 * _MB  # a .zip's own size, and what it unpacks to
    archive_entries: int = 1000
    notebook_bytes: int = 20 * _MB  # an .ipynb file, outputs included
    module_bytes: int = 1 * _MB  # a .py file, and a notebook's code cells together
    transform_budget: int = 1_000_000  # see grader.intake.notebook.convert_notebook
    walk_entries: int = 5000  # entries looked at when searching for misplaced files


@dataclass(frozen=True)
class ExerciseSource:
    """The source of one exercise, ready for the sandbox to import.

    ``origin`` is the file as the student knows it, relative to their
    submission (``exercises/ex02_shapes.ipynb``). For a notebook,
    ``source`` is the converted module and ``line_map`` (an addition to the
    architecture's fields, last and defaulted) maps its lines back to cells:
    see :meth:`location`.
    """

    exercise: str
    origin: str
    kind: Literal["module", "notebook"]
    source: str
    notes: tuple[str, ...] = ()
    line_map: LineMap = ()

    @property
    def cells(self) -> tuple[tuple[int, int], ...]:
        """A notebook's code cells as (module line, cell number) starts; () for a module.

        The worker runs each as a unit of its own (as Jupyter ran them).
        """
        starts: dict[int, int] = {}
        for module_line, cell, _ in self.line_map:
            starts.setdefault(cell, module_line)
        return tuple((line, cell) for cell, line in starts.items())

    def location(self, lineno: int) -> tuple[int, int] | None:
        """(code cell, line in cell) for a line of a converted notebook, else None."""
        return locate(self.line_map, lineno)

    def describe(self, lineno: int) -> str:
        """Where module line ``lineno`` is, in the student's terms."""
        if self.kind == "module":
            return f"{self.origin}, line {lineno}"
        where = self.location(lineno)
        if where is None:
            return f"{self.origin} (grader-added line {lineno})"
        return f"{self.origin}, code cell {where[0]}, line {where[1]}"


@dataclass(frozen=True)
class Submission:
    """Everything the grader needs from one student, read once, no code run.

    ``fingerprint`` is a sha256 over the sorted (exercise, kind, source) triples
    and the problems, so a resumed batch regrades exactly the submissions whose
    gradable content changed.
    """

    name: str
    exercises: dict[str, ExerciseSource]
    problems: dict[str, str]
    notes: tuple[str, ...]
    fingerprint: str

    def notebook_maps(
        self,
    ) -> tuple[dict[str, Callable[[int], str]], dict[str, tuple[tuple[int, int], ...]]]:
        """Per converted notebook: how to name its lines, and where its code cells start.

        What the sandbox (and ``grader check``'s in-process backend) needs to
        run a notebook cell by cell and say "code cell 3, line 2"; a ``.py``
        exercise is in neither (its units are statements, its lines "file, line N").
        """
        notebooks = {n: src for n, src in self.exercises.items() if src.kind == "notebook"}
        return (
            {n: src.describe for n, src in notebooks.items()},
            {n: src.cells for n, src in notebooks.items()},
        )


def load_submission(
    path: Path, *, name: str | None = None, limits: IntakeLimits | None = None
) -> Submission:
    """Read a folder, ``.zip`` or single exercise file into a :class:`Submission`.

    ``name`` overrides :func:`submission_name` (it is sanitised the same way).
    ``path`` itself is trusted (the instructor named it) and may be a symlink;
    nothing inside it is followed. Raises :class:`SubmissionError` when the
    path is missing, of an unsupported type, a single file that names no
    exercise, or an unusable archive.
    """
    path = Path(path)
    limits = limits or IntakeLimits()
    label = _shown(path.name or str(path))
    if not path.exists():
        raise SubmissionError(f"submission not found: {_shown(str(path))}")
    final_name = _sanitise(name) if name is not None else submission_name(path)
    intake = _Intake(limits)
    if path.is_dir():
        intake.read_tree(path)
    elif path.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="grader-intake-") as scratch:
            try:
                intake.notes.extend(
                    extract_zip(
                        path,
                        Path(scratch),
                        max_bytes=limits.archive_bytes,
                        max_entries=limits.archive_entries,
                    )
                )
            except ArchiveError as exc:
                raise SubmissionError(str(exc)) from None
            intake.read_tree(Path(scratch))
    elif path.suffix.lower() in _KINDS:
        intake.read_single(path)
    else:
        raise SubmissionError(
            f"{label}: unsupported submission type. Submit a folder, a .zip, or one .py or "
            f".ipynb file named after its exercise (e.g. {next(iter(EXERCISES))}.py)."
        )
    if not intake.exercises and not intake.problems:
        intake.note(
            f"no exercise files found in {label}: expected files named like "
            f"{next(iter(EXERCISES))}.py or .ipynb at the top of the submission or in exercises/"
        )
    return Submission(
        name=final_name,
        exercises=intake.exercises,
        problems=intake.problems,
        notes=intake.capped_notes(),
        fingerprint=_fingerprint(intake.exercises, intake.problems),
    )


def class_entries(directory: Path) -> list[Path]:
    """The submissions in a class folder, sorted by name: one per entry.

    Folders and ``.zip``/``.py``/``.ipynb`` files count (a misnamed file still
    gets a "not gradable" report rather than vanishing). Hidden entries,
    ``__MACOSX``, other file types and symlinks are skipped: a class folder is
    often an unpacked LMS export, and we never follow links found in one.
    Raises ``FileNotFoundError`` / ``NotADirectoryError`` for a bad folder.
    """
    directory = Path(directory)
    if not directory.exists():
        raise FileNotFoundError(f"class folder not found: {directory}")
    if not directory.is_dir():
        raise NotADirectoryError(f"not a class folder: {directory}")
    entries: list[Path] = []
    with os.scandir(directory) as scan:
        for entry in scan:
            if entry.name.startswith(".") or entry.name in _SKIPPED_DIRS or entry.is_symlink():
                continue
            if entry.is_dir(follow_symlinks=False) or (
                entry.is_file(follow_symlinks=False)
                and Path(entry.name).suffix.lower() in _SUBMISSION_SUFFIXES
            ):
                entries.append(Path(entry.path))
    return sorted(entries, key=lambda p: p.name)


def submission_name(path: Path) -> str:
    """A file-system-safe name for a submission: the folder name, or the file stem.

    For a single file the whole stem is kept (``alice_ex02_shapes``), so
    two files in one class folder never share a name. The result uses only
    ``[A-Za-z0-9._-]``, never starts with ``.``, ``_`` or ``-`` and holds no
    ``..``; accents are folded (``José`` -> ``Jose``); a name with nothing left
    (``张伟``) becomes ``submission-<hash>``, distinct per original.
    """
    path = Path(os.path.abspath(path))
    raw = path.name if path.is_dir() else path.stem
    return _sanitise(raw)


# --- reading -------------------------------------------------------------------


class _Problem(Exception):
    """One exercise file cannot be used; the message is student-facing."""


@dataclass(frozen=True)
class _Candidate:
    exercise: str
    path: Path
    origin: str
    kind: Literal["module", "notebook"]
    place: int  # index in _SEARCHED: earlier places win among files of one kind
    forgiven: bool = False  # named loosely (``Ex03 Forward-Pass (1).py``): exact names win
    copy: int = 0  # the `` (N)`` / ``-N`` copy number: the highest (newest) wins


@dataclass
class _Intake:
    limits: IntakeLimits
    exercises: dict[str, ExerciseSource] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def capped_notes(self) -> tuple[str, ...]:
        if len(self.notes) <= _MAX_NOTES:
            return tuple(self.notes)
        extra = len(self.notes) - _MAX_NOTES + 1
        return (*self.notes[: _MAX_NOTES - 1], f"... and {extra} more notes")

    def read_single(self, path: Path) -> None:
        exercise, prefixed = _exercise_of_single_file(path.name)
        if exercise is None:
            raise SubmissionError(
                f"cannot tell which exercise {_shown(path.name)} is. Name the file after its "
                f"exercise, e.g. {next(iter(EXERCISES))}.py or {next(iter(EXERCISES))}.ipynb."
            )
        if prefixed:
            self.note(f"graded {_shown(path.name)} as {exercise}")
        kind = _KINDS[path.suffix.lower()]
        self.choose(exercise, [_Candidate(exercise, path, _shown(path.name), kind, 0)])

    def read_tree(self, base: Path) -> None:
        root = _unwrap(base)
        candidates: dict[str, list[_Candidate]] = {}
        searched: set[Path] = set()
        for place, rel in enumerate(_SEARCHED):
            folder = root.joinpath(*rel.split("/")) if rel else root
            if not _real_dir(root, rel):
                continue  # a symlinked folder was noted when its parent was listed
            searched.add(folder)
            for entry in _listing(folder):
                candidate = self.classify(base, folder, entry, place)
                if candidate is not None:
                    candidates.setdefault(candidate.exercise, []).append(candidate)
        self.note_misplaced(base, root, searched)
        for exercise in EXERCISES:
            if exercise in candidates:
                self.choose(exercise, candidates[exercise])

    def classify(
        self, base: Path, folder: Path, entry: os.DirEntry[str], place: int
    ) -> _Candidate | None:
        """A graded candidate, or None after noting why the entry is ignored."""
        name = entry.name
        shown = _origin(base, folder / name)
        if name.startswith(".") or name in _SKIPPED_DIRS:
            return None
        if entry.is_symlink():
            self.note(f"skipped {shown}: it is a symbolic link, which the grader never follows")
            return None
        suffix = Path(name).suffix.lower()
        stem = name.split(".", 1)[0]
        if entry.is_dir(follow_symlinks=False):
            if stem in _THIRD_PARTY:
                self.note(f"ignored {shown}/: it would shadow a library")
            return None
        if not entry.is_file(follow_symlinks=False):
            self.note(f"skipped {shown}: it is not a regular file")
            return None
        if suffix in _KINDS and stem in EXERCISES and name == stem + Path(name).suffix:
            return _Candidate(stem, folder / name, shown, _KINDS[suffix], place)
        loose = match_exercise(name)
        if loose is not None:
            self.note(f"graded {shown} as {loose.exercise}{suffix}")
            return _Candidate(
                loose.exercise, folder / name, shown, _KINDS[suffix], place, True, loose.copy
            )
        self.note_ignored(shown, name, stem, suffix)
        return None

    def note_ignored(self, shown: str, name: str, stem: str, suffix: str) -> None:
        if suffix == ".pth":
            self.note(f"ignored {shown}: it would change Python's import path")
        elif name in _CONFIG_FILES or (stem in _STARTUP_MODULES and suffix in _MODULE_SUFFIXES):
            self.note(f"ignored {shown}: it would change how Python or the grader starts")
        elif suffix in _MODULE_SUFFIXES and stem in _LIBRARIES:
            self.note(f"ignored {shown}: it would shadow a library")
        elif suffix in _KINDS and (exercise := _meant_exercise(name)):
            self.note(
                f"ignored {shown}: exercise files must be named exactly {exercise}.py "
                f"or {exercise}.ipynb"
            )
        elif suffix in _KINDS:
            self.note(
                f"ignored {shown}: only exercise files (such as {next(iter(EXERCISES))}.py) "
                "are graded; keep helper code inside them"
            )
        elif suffix == ".zip":
            self.note(f"ignored {shown}: archives inside a submission are not opened")

    def note_misplaced(self, base: Path, root: Path, searched: set[Path]) -> None:
        """Note exercise files the student put where the grader does not look."""
        budget = self.limits.walk_entries
        stack = [(root, 0)]
        while stack and budget > 0:
            folder, depth = stack.pop()
            for entry in _listing(folder):
                budget -= 1
                if budget <= 0:
                    return
                if entry.name.startswith(".") or entry.name in _SKIPPED_DIRS:
                    continue
                if entry.is_dir(follow_symlinks=False) and depth < _WALK_DEPTH:
                    stack.append((Path(entry.path), depth + 1))
                elif (
                    folder not in searched
                    and entry.is_file(follow_symlinks=False)
                    and Path(entry.name).suffix.lower() in _KINDS
                    and entry.name.split(".", 1)[0] in EXERCISES
                ):
                    self.note(
                        f"ignored {_origin(base, Path(entry.path))}: exercise files must be at "
                        "the top of your submission or in exercises/"
                    )

    def choose(self, exercise: str, candidates: list[_Candidate]) -> None:
        """Grade the first usable candidate: ``.py`` before ``.ipynb``, then by place.

        A ``.py`` that is still the untouched released stub goes last: a student
        who worked in the notebook and handed in the whole course folder must be
        graded on the notebook, not on the stub beside it.
        """
        ordered = sorted(
            candidates,
            key=lambda c: (
                _is_released_stub(c), c.kind != "module", c.forgiven, -c.copy, c.place, c.origin
            ),
        )
        failures: list[str] = []
        for candidate in ordered:
            try:
                source = self.load(candidate)
            except _Problem as problem:
                failures.append(str(problem))
                continue
            notes = list(source.notes)
            if failures:
                notes.insert(0, f"graded {candidate.origin} because {failures[0]}")
            others = [c.origin for c in ordered if c is not candidate]
            if others:
                notes.insert(0, f"also found {', '.join(others)}; graded {candidate.origin}")
            self.exercises[exercise] = ExerciseSource(
                exercise, candidate.origin, source.kind, source.source, tuple(notes),
                source.line_map,
            )  # fmt: skip
            return
        self.problems[exercise] = " ".join(failures)

    def load(self, candidate: _Candidate) -> ExerciseSource:
        origin = candidate.origin
        if candidate.kind == "module":
            data = _read_capped(candidate.path, self.limits.module_bytes, origin, "a .py file")
            try:
                text, label = decode_text(data, python=True)
            except UndecodableError as exc:
                raise _Problem(
                    f"{origin} could not be read: {exc}. Save it as UTF-8 text and submit again."
                ) from None
            notes: tuple[str, ...] = (
                (
                    f"the file is not saved as UTF-8; it was read as {label}. If any accented "
                    "text looks wrong, save it as UTF-8 and submit again.",
                )
                if label
                else ()
            )
            text, magic_notes = adapt_script(text)  # a notebook exported as a script
            return ExerciseSource(candidate.exercise, origin, "module", text, notes + magic_notes)
        data = _read_capped(candidate.path, self.limits.notebook_bytes, origin, "a notebook")
        try:
            converted = convert_notebook(
                data,
                max_code_chars=self.limits.module_bytes,
                transform_budget=self.limits.transform_budget,
            )
        except NotebookError as exc:
            raise _Problem(f"{origin}: {exc}") from None
        return ExerciseSource(
            candidate.exercise, origin, converted.kind, converted.source, converted.notes,
            converted.line_map,
        )  # fmt: skip


def _read_capped(path: Path, limit: int, origin: str, what: str) -> bytes:
    """Read a regular file, never through a symlink, never more than ``limit`` bytes.

    The size is checked on the open descriptor before reading, so a 500 MB
    notebook costs one ``fstat``; reading stops at the cap even if the file grows.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _Problem(f"{origin} could not be read ({exc.strerror}).") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _Problem(f"{origin} is not a regular file.")
        if info.st_size > limit:
            raise _too_large(origin, info.st_size, limit, what)
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, min(_MB, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise _too_large(origin, total, limit, what)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _too_large(origin: str, size: int, limit: int, what: str) -> _Problem:
    hint = (
        "Clear all outputs (Edit > Clear All Outputs), save, and submit again."
        if what == "a notebook"
        else "Remove embedded data and submit again."
    )
    return _Problem(f"{origin} is {_size(size)}, over the {_size(limit)} limit for {what}. {hint}")


# --- names and places --------------------------------------------------------


def _exercise_of_single_file(filename: str) -> tuple[str | None, bool]:
    """(exercise, whether a prefix was dropped) for a single-file submission."""
    stem = filename.split(".", 1)[0]
    if stem in EXERCISES:
        return stem, False
    matches = [ex for ex in EXERCISES if stem.endswith(("_" + ex, "-" + ex))]
    return (matches[0], True) if len(matches) == 1 else (None, False)


def _meant_exercise(filename: str) -> str | None:
    """The exercise a near-miss name was probably meant to be (ex3_forward.py -> ex03_...)."""
    found = _EXERCISE_NUMBER.match(filename)
    if not found:
        return None
    by_number = {int(name[2:4]): name for name in EXERCISES if name[2:4].isdigit()}
    return by_number.get(int(found.group(1)))


def _unwrap(root: Path) -> Path:
    """Enter folders that hold nothing visible but one real sub-folder."""
    for _ in range(_UNWRAP_LEVELS):
        visible = [
            e for e in _listing(root) if not e.name.startswith(".") and e.name not in _SKIPPED_DIRS
        ]
        if len(visible) != 1 or not visible[0].is_dir(follow_symlinks=False):
            break
        root = Path(visible[0].path)
    return root


def _real_dir(root: Path, rel: str) -> bool:
    """Whether ``root/rel`` is a folder reached without passing through a symlink."""
    folder = root
    for part in rel.split("/") if rel else ():
        folder = folder / part
        try:
            if not stat.S_ISDIR(os.lstat(folder).st_mode):
                return False
        except OSError:
            return False
    return True


def _listing(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as scan:
            return sorted(scan, key=lambda e: e.name)
    except OSError:
        return []


def _origin(base: Path, path: Path) -> str:
    return _shown(path.relative_to(base).as_posix())


def _sanitise(raw: str) -> str:
    folded = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^A-Za-z0-9._-]+|\.{2,}", "_", folded)
    name = re.sub(r"_{2,}", "_", name).lstrip("._-")[:100]  # no hidden, no "-option" names
    if not re.search(r"[A-Za-z0-9]", name):
        digest = hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:8]
        return f"submission-{digest}"
    return name


def _fingerprint(exercises: dict[str, ExerciseSource], problems: dict[str, str]) -> str:
    items = sorted(
        [[ex, src.kind, src.source] for ex, src in exercises.items()]
        + [[ex, "problem", message] for ex, message in problems.items()]
    )
    # ensure_ascii: a notebook may carry lone surrogates, which UTF-8 cannot encode.
    return hashlib.sha256(json.dumps(items, separators=(",", ":")).encode("ascii")).hexdigest()


def _is_released_stub(candidate: _Candidate) -> bool:
    """Whether ``candidate`` is byte for byte the stub the course released."""
    if candidate.kind != "module":
        return False
    stub = _released_stub(candidate.exercise)
    try:
        return (
            stub is not None
            and candidate.path.stat().st_size == len(stub)
            and (candidate.path.read_bytes() == stub)
        )
    except OSError:
        return False


@functools.cache
def _released_stub(exercise: str) -> bytes | None:
    path = released_stubs_dir() / f"{exercise}.py"
    try:
        return path.read_bytes()
    except OSError:
        return None
