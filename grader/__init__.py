"""Autograder for the PyTorch course: hidden checks judged outside the student's process.

This module is the public door. Names are imported lazily (PEP 562) so that the
sandbox, which imports ``grader.sandbox.*`` inside the untrusted worker, never
pulls in pytest, the checks or the report writers.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "CheckResult": "grader.model",
    "CheckStatus": "grader.model",
    "Isolation": "grader.model",
    "SubmissionResult": "grader.model",
    "SubmissionStatus": "grader.model",
    "EXERCISES": "grader.assignment",
    "grade_submission": "grader.grading",
    "grade_class": "grader.batch",
    "verify": "grader.grading",
    "check": "grader.student",
    "CheckReport": "grader.student",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'grader' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return list(__all__)
