"""Exercise file names as students and LMSs really spell them, and report folder slugs.

A student saves ``Ex04 Backward Pass.ipynb``, a browser adds `` (1)`` to a
second download, Canvas adds ``-1`` to a re-upload of the same name. All of
them mean ``ex07_attention``: :func:`match_exercise` folds case, spaces
and hyphens, and strips one copy marker, whose number it returns so that the
newest copy can win. A name that is only *near* an exercise (``ex4.py``) is
not guessed at; intake notes it instead.

:func:`student_slug` names a student's report folder. Two different students
must never share one, whatever the file system folds (case on macOS, accents
in NFC against NFD), so a slug that lost anything of the original carries a
short hash of it: ``José`` and ``Jose`` never meet.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from grader.assignment import EXERCISES

__all__ = ["ExerciseMatch", "match_exercise", "student_slug"]

_KINDS = {".py": "module", ".ipynb": "notebook"}
_BROWSER_COPY = re.compile(r"\s*\((\d{1,3})\)$")  # "name (1)"
_CANVAS_COPY = re.compile(r"-(\d{1,3})$")  # "name-1"
_SEPARATORS = re.compile(r"[\s\-_]+")


@dataclass(frozen=True)
class ExerciseMatch:
    """Which exercise a file is, what kind, and its copy number (0: the plain name)."""

    exercise: str
    kind: str  # "module" | "notebook"
    copy: int = 0
    exact: bool = True


def match_exercise(filename: str) -> ExerciseMatch | None:
    """The exercise ``filename`` holds, forgiving case, separators and one copy marker.

    ``ex07_attention.ipynb`` is exact; ``EX07 attention (2).ipynb``
    and ``ex07_attention-1.ipynb`` match with copy 2 and 1. Anything else
    (other extensions, other stems, ``ex4_...``) is None.
    """
    stem, dot, suffix = filename.rpartition(".")
    kind = _KINDS.get("." + suffix.lower()) if dot else None
    if kind is None or not stem:
        return None
    if stem in EXERCISES and suffix == suffix.lower():
        return ExerciseMatch(stem, kind)
    copy = 0
    for marker in (_BROWSER_COPY, _CANVAS_COPY):
        found = marker.search(stem)
        if found:
            copy, stem = int(found.group(1)), stem[: found.start()]
            break
    folded = _SEPARATORS.sub("_", stem.strip().casefold()).strip("_")
    if folded in EXERCISES:
        return ExerciseMatch(folded, kind, copy, exact=False)
    return None


def student_slug(original: str) -> str:
    """A safe report folder name for ``original``, distinct for every distinct original.

    A plain lower-case ASCII name (``alice``, ``kim.lee``) is its own slug.
    Anything else keeps a readable ASCII part and adds eight hex digits of
    the original's hash (``jose-3f1c09aa``), so folding never merges two
    students and a slug never depends on who else is in the class.
    """
    folded = unicodedata.normalize("NFKD", original).encode("ascii", "ignore").decode("ascii")
    readable = re.sub(r"[^a-z0-9._-]+|\.{2,}", "_", folded.lower())
    readable = re.sub(r"_{2,}", "_", readable).strip("._-")[:60]
    if readable == original and re.search(r"[a-z0-9]", readable):
        return readable
    digest = hashlib.sha256(original.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{readable}-{digest}" if readable else f"student-{digest}"
