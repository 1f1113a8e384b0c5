"""The error verbs raise for a bad option or argument: a :class:`GraderError` like any other."""

from __future__ import annotations

from grader.errors import GraderError

__all__ = ["CliError"]


class CliError(GraderError):
    """A command-line problem the user can fix; printed as ``error:`` plus a ``hint:`` line."""
