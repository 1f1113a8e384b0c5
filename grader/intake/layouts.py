"""A class as an LMS delivers it: which files belong to which student.

Each layout turns a class folder into :class:`StudentEntry` items, one per
student, and lists every file that belongs to nobody (never dropped silently):

- ``folders``: one folder, ``.zip`` or exercise file per student (the name is the id);
- ``canvas``: flat files ``name_[LATE_]userid_attachmentid_filename[-N].ext``;
- ``moodle``: ``Full Name_id_assignsubmission_file_/...`` folders, or the same prefix on flat files;
- ``blackboard``: ``Assignment_user_attempt_YYYY-MM-DD-HH-MM-SS_filename`` plus one ``.txt``
  per attempt, whose ``Name:`` line gives the student's name;
- ``gradescope``: the "Export Submissions" folder with ``submission_metadata.yml``;
- ``github``: one repository folder per student, ``assignment-username``;
- a ``--file-pattern`` regex with named groups ``student`` (required),
  ``exercise`` and ``timestamp`` covers anything else, as nbgrader's ``zip_collect`` does.

Flat layouts hand back the student's files with what the name says about
them (exercise, time, attachment id, copy number); :mod:`grader.intake.staging`
picks the newest per exercise. Folder layouts hand back the folder, which
:func:`grader.intake.load_submission` reads as before.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from grader.intake.names import ExerciseMatch, match_exercise

__all__ = [
    "LAYOUTS",
    "ClassIntake",
    "FoundFile",
    "LayoutError",
    "StudentEntry",
    "detect_layout",
    "read_layout",
]

LAYOUTS = ("folders", "canvas", "moodle", "blackboard", "gradescope", "github")
_SKIPPED = frozenset({"__MACOSX", "__pycache__"})
_SUBMISSION_SUFFIXES = frozenset({".zip", ".py", ".ipynb"})
_CANVAS = re.compile(r"^(?P<name>[^_]+)_(?:(?P<late>LATE)_)?(?P<id>\d+)_(?P<att>\d+)_(?P<file>.+)$")
_MOODLE = re.compile(
    r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.*)$"
)
_BLACKBOARD = re.compile(
    r"^(?P<assignment>.+)_(?P<id>[^_]+)_attempt_"
    r"(?P<ts>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)(?:_(?P<file>.+)|\.txt)$"
)
_PREFIXED = re.compile(r"^(?P<who>.*?[^\s_-])[\s_-]+(?P<exercise>(?i:ex)\d\d[\s_-].+)$")
_BLACKBOARD_NAME = re.compile(r"^Name:\s*(?P<name>.+?)\s*(?:\([^()]*\))?\s*$", re.MULTILINE)


class LayoutError(ValueError):
    """The class folder does not fit the layout asked for; the message says what to do."""


@dataclass(frozen=True)
class FoundFile:
    """One file of a flat download, and what its name says about it."""

    path: Path
    origin: str  # as in the download, relative to the class folder
    match: ExerciseMatch | None
    timestamp: datetime | None = None
    attachment: int | None = None
    late: bool = False


@dataclass
class StudentEntry:
    """Everything one student handed in, before any file is read."""

    id: str
    name: str
    path: Path | None = None  # folder layouts: graded as one submission
    files: list[FoundFile] = field(default_factory=list)  # flat layouts: staged first
    submitted_at: datetime | None = None
    late_marker: bool = False  # Canvas says LATE but gives no time
    notes: list[str] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)


@dataclass
class ClassIntake:
    layout: str
    students: list[StudentEntry]
    unmatched: list[str]  # files that belong to no student


def detect_layout(root: Path) -> str:
    """The layout a class folder looks like; ``folders`` when nothing more specific fits."""
    names = [e.name for e in _visible(root)]
    if "submission_metadata.yml" in names:
        return "gradescope"
    files = [n for n in names if (root / n).is_file()]
    votes = {
        "canvas": sum(bool(_CANVAS.match(n)) for n in files),
        "moodle": sum(bool(_MOODLE.match(n)) for n in names),
        "blackboard": sum(bool(_BLACKBOARD.match(n)) for n in files),
    }
    best = max(votes, key=lambda k: votes[k])
    if votes[best]:
        return best
    if any((root / n / ".git").is_dir() for n in names if (root / n).is_dir()):
        return "github"
    return "folders"


def read_layout(root: Path, layout: str, pattern: str | None = None) -> ClassIntake:
    """Group the class folder ``root`` by student according to ``layout`` (or ``pattern``)."""
    if pattern is not None:
        return _by_pattern(root, pattern)
    readers = {
        "folders": _folders,
        "canvas": _canvas,
        "moodle": _moodle,
        "blackboard": _blackboard,
        "gradescope": _gradescope,
        "github": _github,
    }
    if layout not in readers:
        raise LayoutError(f"unknown layout {layout!r}; use one of auto, {', '.join(LAYOUTS)}")
    return readers[layout](root)


# --- folder layouts -------------------------------------------------------------------


def _folders(root: Path) -> ClassIntake:
    """A folder or ``.zip`` per student; loose files ``alice_ex03_forward_pass.py`` are
    grouped by the prefix before the exercise, so a student with several gets one entry."""
    students, unmatched = [], []
    loose: dict[str, StudentEntry] = {}
    for entry in _visible(root):
        path = Path(entry.path)
        suffix = path.suffix.lower()
        if entry.is_dir(follow_symlinks=False) or suffix == ".zip":
            original = entry.name if suffix != ".zip" else path.stem
            students.append(StudentEntry(original, original, path=path, origins=[entry.name]))
        elif suffix in _SUBMISSION_SUFFIXES and (prefixed := _PREFIXED.match(path.stem)):
            who = prefixed["who"]
            student = loose.setdefault(who, StudentEntry(who, who))
            student.origins.append(entry.name)
            match = match_exercise(prefixed["exercise"] + path.suffix)
            student.files.append(FoundFile(path, entry.name, match))
        elif suffix in _SUBMISSION_SUFFIXES:  # one exercise file, or a misnamed one: graded alone
            students.append(StudentEntry(path.stem, path.stem, path=path, origins=[entry.name]))
        else:
            unmatched.append(entry.name)
    students.extend(loose.values())
    return ClassIntake("folders", sorted(students, key=lambda s: s.id), unmatched)


def _github(root: Path) -> ClassIntake:
    """``assignment-username`` folders: the id is what follows the prefix all of them share."""
    intake = _folders(root)
    folders = [s for s in intake.students if s.path is not None and s.path.is_dir()]
    prefix = os.path.commonprefix([s.id for s in folders]) if len(folders) > 1 else ""
    prefix = prefix[: prefix.rfind("-") + 1]
    for student in intake.students:
        if prefix and student.id.startswith(prefix) and len(student.id) > len(prefix):
            student.id = student.name = student.id[len(prefix) :]
    intake.layout = "github"
    return intake


def _gradescope(root: Path) -> ClassIntake:
    import yaml  # only this layout needs it

    metadata_path = root / "submission_metadata.yml"
    try:
        metadata = yaml.safe_load(metadata_path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise LayoutError(f"{metadata_path}: cannot be read as YAML ({error})") from None
    if not isinstance(metadata, dict):
        raise LayoutError(f"{metadata_path}: expected one entry per submission folder")
    students, seen = [], set()
    for key, info in sorted(metadata.items(), key=lambda item: str(item[0])):
        folder = root / str(key)
        info = info if isinstance(info, dict) else {}
        submitters = _field(info, "submitters") or [{}]
        created = _parse_time(str(_field(info, "created_at") or ""))
        for person in submitters if isinstance(submitters, list) else [{}]:
            person = person if isinstance(person, dict) else {}
            sid = str(_field(person, "sid") or _field(person, "email") or key)
            name = str(_field(person, "name") or sid)
            students.append(
                StudentEntry(
                    sid, name, path=folder if folder.is_dir() else None, submitted_at=created,
                    origins=[str(key)],
                )
            )  # fmt: skip
        seen.add(str(key))
    unmatched = [
        e.name for e in _visible(root) if e.name not in seen and e.name != metadata_path.name
    ]
    return ClassIntake("gradescope", students, unmatched)


def _field(info: dict[object, object], key: str) -> object:
    """Gradescope writes Ruby symbols (``:sid:``), which YAML reads as ``":sid"``."""
    return info.get(":" + key, info.get(key))


# --- flat layouts ---------------------------------------------------------------------


def _canvas(root: Path) -> ClassIntake:
    groups: dict[str, StudentEntry] = {}
    unmatched = []
    for rel, path in _walk(root):
        found = _CANVAS.match(path.name)
        if found is None:
            unmatched.append(rel)
            continue
        student = groups.setdefault(found["id"], StudentEntry(found["id"], found["name"]))
        late = bool(found["late"])
        student.late_marker |= late
        student.origins.append(rel)
        student.files.append(
            FoundFile(path, rel, match_exercise(found["file"]), attachment=int(found["att"]),
                      late=late)
        )  # fmt: skip
    return ClassIntake("canvas", sorted(groups.values(), key=lambda s: s.id), unmatched)


def _moodle(root: Path) -> ClassIntake:
    groups: dict[str, StudentEntry] = {}
    unmatched = []
    for entry in _visible(root):
        found = _MOODLE.match(entry.name)
        if found is None:
            unmatched.append(entry.name)
            continue
        student = groups.setdefault(found["id"], StudentEntry(found["id"], found["name"]))
        student.origins.append(entry.name)
        if found["plugin"] != "file":  # online text, comments: nothing to grade
            student.notes.append(f"not graded: {entry.name} (Moodle {found['plugin']} entry)")
            continue
        if entry.is_dir(follow_symlinks=False):
            for rel, path in _walk(Path(entry.path)):
                origin = f"{entry.name}/{rel}"
                student.files.append(FoundFile(path, origin, match_exercise(path.name)))
        else:
            student.files.append(
                FoundFile(Path(entry.path), entry.name, match_exercise(found["file"]))
            )
    return ClassIntake("moodle", sorted(groups.values(), key=lambda s: s.id), unmatched)


def _blackboard(root: Path) -> ClassIntake:
    groups: dict[str, StudentEntry] = {}
    unmatched = []
    for rel, path in _walk(root):
        found = _BLACKBOARD.match(path.name)
        if found is None:
            unmatched.append(rel)
            continue
        student = groups.setdefault(found["id"], StudentEntry(found["id"], found["id"]))
        student.origins.append(rel)
        stamp = datetime.strptime(found["ts"], "%Y-%m-%d-%H-%M-%S")
        if found["file"] is None:  # the attempt's receipt
            named = _BLACKBOARD_NAME.search(_read_small(path))
            if named:
                student.name = named["name"]
            continue
        student.files.append(FoundFile(path, rel, match_exercise(found["file"]), stamp))
    return ClassIntake("blackboard", sorted(groups.values(), key=lambda s: s.id), unmatched)


def _by_pattern(root: Path, pattern: str) -> ClassIntake:
    try:
        regex = re.compile(pattern)
    except re.error as error:
        raise LayoutError(
            f"--file-pattern {pattern!r} is not a regular expression: {error}"
        ) from None
    if "student" not in regex.groupindex:
        raise LayoutError(
            "--file-pattern needs a named group `student`, e.g. "
            r"'(?P<student>[^_]+)_(?P<exercise>ex\d\d_\w+)\.(py|ipynb)$'"
        )
    groups: dict[str, StudentEntry] = {}
    unmatched = []
    for rel, path in _walk(root):
        found = regex.search(rel)
        if found is None or not found["student"]:
            unmatched.append(rel)
            continue
        key = found["student"]
        student = groups.setdefault(key, StudentEntry(key, key))
        student.origins.append(rel)
        named = found.groupdict().get("exercise")
        filename = path.name if not named else named + ("" if "." in named else path.suffix)
        stamp = _parse_time(found.groupdict().get("timestamp") or "")
        student.files.append(FoundFile(path, rel, match_exercise(filename), stamp))
    return ClassIntake("pattern", sorted(groups.values(), key=lambda s: s.id), unmatched)


# --- helpers --------------------------------------------------------------------------


def _visible(folder: Path) -> list[os.DirEntry[str]]:
    with os.scandir(folder) as scan:
        entries = [
            e
            for e in scan
            if not e.name.startswith(".") and e.name not in _SKIPPED and not e.is_symlink()
        ]
    return sorted(entries, key=lambda e: e.name)


def _walk(folder: Path, prefix: str = "", depth: int = 0) -> Iterator[tuple[str, Path]]:
    """(relative path, path) of every regular file, sorted, never through a symlink."""
    for entry in _visible(folder):
        rel = prefix + entry.name
        if entry.is_dir(follow_symlinks=False) and depth < 4:
            yield from _walk(Path(entry.path), rel + "/", depth + 1)
        elif entry.is_file(follow_symlinks=False):
            yield rel, Path(entry.path)


def _read_small(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            return handle.read(64 << 10).decode("utf-8", "replace")
    except OSError:
        return ""


def _parse_time(text: str) -> datetime | None:
    """ISO 8601 and the usual LMS spellings (``2024-03-01 10:00:00.000 -0800``)."""
    text = text.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for form in ("%Y-%m-%d %H:%M:%S.%f %z", "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d-%H-%M-%S"):
        try:
            return datetime.strptime(re.sub(r"(\.\d{6})\d+", r"\1", text), form)
        except ValueError:
            continue
    return None
