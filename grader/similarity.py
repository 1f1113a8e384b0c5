"""``grader similarity``: which students' code is close enough for a person to look at.

For every exercise, each student's own code is compared with every other
student's (and, if given, with past years' submissions) by copydetect, which
fingerprints code the way MOSS does: the code is tokenized and its names
replaced by placeholders (so renaming variables changes nothing), hashed in
overlapping k-grams, and winnowed. Two submissions are as similar as the
share of each one's fingerprints found in the other.

What is compared is the student's code, not the course's:

- from each exercise file (a notebook counts by its code cells, as intake
  converts them) only the top-level functions and classes are taken: the
  graded functions and any helper the student added. The course's given
  code (constants, the ``__main__`` demo, helpers the stub defines) is left out,
  and so is the stand-in for IPython that intake puts before a notebook's cells;
- the stub the course hands out is boilerplate: its fingerprints (signatures,
  docstrings, ``raise NotImplementedError``, TODO comments) never count;
- an exercise a student left as the stub has nothing of their own, so it is
  listed as not compared rather than scored.

Nothing here runs student code: sources are read by intake, split with
``ast.parse`` and lexed by Pygments. The result flags pairs for a person to
look at; it never changes a grade, and it carries no check or result, so it
cannot reveal a hidden check. copydetect hashes with Python's per-process
string hash, so the fingerprints are taken in a child with a fixed seed: the
same class gets the same scores on every run and machine.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.assignment import Assignment
from grader.errors import GraderError
from grader.intake.notebook import PRELUDE
from grader.intake.submission import SubmissionError, class_entries, load_submission

__all__ = [
    "DEFAULT_THRESHOLD",
    "MIN_OVERLAP",
    "Code",
    "Pair",
    "SimilarityError",
    "SimilarityReport",
    "compare",
    "gather",
    "own_code",
]

NOISE = 25  # k: matches shorter than this many filtered characters are noise (copydetect's)
GUARANTEE = 30  # any match at least this long is always found; window = GUARANTEE - NOISE + 1
DEFAULT_THRESHOLD = 0.5  # a pair is flagged when either side shares at least this much
# ... and the match is at least this many filtered tokens: a student who wrote one short
# line of their own shares "100%" of it with anyone who wrote the same idiom.
MIN_OVERLAP = 2 * NOISE


class SimilarityError(GraderError):
    """The similarity report cannot be made (copydetect missing, a bad folder)."""


@dataclass(frozen=True)
class Code:
    """One submission's own code for one exercise: what is compared."""

    submission: str  # as shown in the report; a past year's is "<folder>/<name>"
    exercise: str
    origin: str  # the file, as the student knows it
    text: str
    past: bool = False


@dataclass(frozen=True)
class Pair:
    """Two submissions' code for one exercise, and how much of each the other shares."""

    exercise: str
    a: Code
    b: Code
    similarity_a: float  # share of a's fingerprinted code found in b
    similarity_b: float
    overlap: int  # filtered tokens in the matching regions of a
    slices_a: tuple[tuple[int, int], ...]  # matching regions, character offsets in a.text
    slices_b: tuple[tuple[int, int], ...]

    @property
    def score(self) -> float:
        """The larger share: a short submission wholly inside a long one is still a copy."""
        return max(self.similarity_a, self.similarity_b)


@dataclass(frozen=True)
class SimilarityReport:
    """Every pair compared, closest first, and what could not be compared."""

    title: str
    threshold: float
    pairs: tuple[Pair, ...]
    not_compared: tuple[tuple[str, str, str], ...] = ()  # (submission, exercise, why)
    problems: tuple[tuple[str, str], ...] = ()  # (submission, why it could not be read)
    submissions: int = 0
    past: int = 0
    exercises: tuple[str, ...] = field(default=())

    @property
    def flagged(self) -> tuple[Pair, ...]:
        """The pairs for a person to look at: a share at or above the threshold, a long match."""
        return tuple(p for p in self.pairs if self.is_flagged(p))

    def is_flagged(self, pair: Pair) -> bool:
        return pair.score >= self.threshold and pair.overlap >= MIN_OVERLAP


def own_code(source: str, stub: str, graded: Sequence[str], *, notebook: bool = False) -> str:
    """The student's own definitions in ``source``: graded functions and added helpers.

    Top-level functions and classes are kept, in the file's order, except
    those the stub itself defines and does not grade (given helpers) and, in
    a converted ``notebook``, the prelude intake added. Code that does not
    parse is kept whole: a half-finished file is still theirs.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return source
    given = _defined(stub) - set(graded)
    if notebook:
        given |= _defined(PRELUDE)
    lines = source.splitlines(keepends=True)
    kept = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if node.name in given or node.end_lineno is None:
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        kept.append("".join(lines[first - 1 : node.end_lineno]).rstrip() + "\n")
    return "\n\n".join(kept)


def _defined(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def gather(
    class_dir: Path,
    assignment: Assignment,
    *,
    exercises: Sequence[str] | None = None,
    past: Sequence[Path] = (),
) -> tuple[list[Code], list[tuple[str, str]]]:
    """Each submission's own code per exercise, this class's and then past years'.

    Returns the codes and the submissions that could not be read at all.
    """
    wanted = list(exercises or assignment.exercises)
    codes: list[Code] = []
    problems: list[tuple[str, str]] = []
    folders = [(Path(class_dir), False), *((Path(p), True) for p in past)]
    for folder, is_past in folders:
        try:
            entries = class_entries(folder)
        except (FileNotFoundError, NotADirectoryError) as error:
            raise SimilarityError(
                str(error), "pass a folder holding one entry per submission"
            ) from None
        for entry in entries:
            label = f"{folder.name}/{entry.name}" if is_past else entry.name
            try:
                submission = load_submission(entry)
            except SubmissionError as error:
                problems.append((label, str(error)))
                continue
            name = f"{folder.name}/{submission.name}" if is_past else submission.name
            for exercise in wanted:
                source = submission.exercises.get(exercise)
                if source is None:
                    continue
                text = own_code(
                    source.source,
                    _stub(assignment, exercise),
                    _graded(assignment, exercise),
                    notebook=source.kind == "notebook",
                )
                codes.append(Code(name, exercise, source.origin, text, past=is_past))
    return codes, problems


def _stub(assignment: Assignment, exercise: str) -> str:
    path = assignment.exercises_dir / f"{exercise}.py"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise SimilarityError(
            f"the stub {path} cannot be read ({error.strerror})",
            "run `grader stubs` to write the stubs the course hands out",
        ) from None


def _graded(assignment: Assignment, exercise: str) -> tuple[str, ...]:
    return assignment.exercises[exercise].functions


def compare(
    codes: Sequence[Code],
    assignment: Assignment,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    problems: Sequence[tuple[str, str]] = (),
) -> SimilarityReport:
    """Fingerprint every code and compare each pair of one exercise: flagged pairs first,
    then by score.

    This year's submissions are compared with each other and with past
    years'; past years' are not compared with each other. The fingerprints
    are taken in a child process with a fixed string hash (see
    :mod:`grader.similarity_fingerprints`), so the scores are the same on every run.
    """
    _require_copydetect()
    order = list(assignment.exercises)
    exercises = sorted({c.exercise for c in codes}, key=order.index)
    groups = [[c for c in codes if c.exercise == exercise] for exercise in exercises]
    job = {
        "noise": NOISE,
        "window": GUARANTEE - NOISE + 1,
        "exercises": [
            {
                "stub": _stub(assignment, exercise),
                "texts": [c.text for c in group],
                "past": [c.past for c in group],
            }
            for exercise, group in zip(exercises, groups, strict=True)
        ],
    }
    pairs: list[Pair] = []
    not_compared: list[tuple[str, str, str]] = []
    for exercise, group, result in zip(exercises, groups, _fingerprints(job), strict=True):
        not_compared += [
            (group[i].submission, exercise, "only the given code")
            for i in result["empty"]
            if not group[i].past
        ]
        for i, j, overlap, share_i, share_j, slices_i, slices_j in result["pairs"]:
            a, b = group[i], group[j]
            regions_a, regions_b = _regions(slices_i), _regions(slices_j)
            if a.past:  # this year's submission on the left
                a, b, share_i, share_j = b, a, share_j, share_i
                regions_a, regions_b = regions_b, regions_a
            pairs.append(
                Pair(exercise, a, b, float(share_i), float(share_j), int(overlap),
                     regions_a, regions_b)
            )  # fmt: skip
    report = SimilarityReport(assignment.title, threshold, ())
    pairs.sort(
        key=lambda p: (
            not report.is_flagged(p), -p.score, -p.overlap, p.exercise, p.a.submission,
            p.b.submission,
        )
    )  # fmt: skip
    return SimilarityReport(
        title=assignment.title,
        threshold=threshold,
        pairs=tuple(pairs),
        not_compared=tuple(not_compared),
        problems=tuple(problems),
        submissions=len({c.submission for c in codes if not c.past}),
        past=len({c.submission for c in codes if c.past}),
        exercises=tuple(exercises),
    )


def _require_copydetect() -> None:
    if importlib.util.find_spec("copydetect") is None:
        raise SimilarityError(
            "`grader similarity` needs copydetect, which is not installed",
            "install the grader with its similarity extra: pip install -e '.[similarity]' "
            "(`make install` does)",
        )


def _fingerprints(job: dict[str, Any]) -> list[dict[str, Any]]:
    """Run :mod:`grader.similarity_fingerprints` on ``job`` with ``PYTHONHASHSEED=0``."""
    done = subprocess.run(
        [sys.executable, "-m", "grader.similarity_fingerprints"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        check=False,
    )
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no message"]
        raise RuntimeError(f"the fingerprinting process failed: {tail[0]}")
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


def _regions(slices: Sequence[Sequence[int]]) -> tuple[tuple[int, int], ...]:
    return tuple((int(start), int(end)) for start, end in slices)
