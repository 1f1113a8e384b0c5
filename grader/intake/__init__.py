"""Submission intake: what a student handed in, as one source text per exercise.

Runs in the trusted parent and executes nothing: folders are listed, zips are
unpacked with every entry checked first, notebooks are parsed as JSON and
converted to modules. See :mod:`grader.intake.submission` for the rules.
"""

from __future__ import annotations

from grader.intake.submission import (
    ExerciseSource,
    IntakeLimits,
    Submission,
    SubmissionError,
    class_entries,
    load_submission,
    submission_name,
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
