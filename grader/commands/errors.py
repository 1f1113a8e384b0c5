"""The one error type verbs raise for problems the user can fix."""

from __future__ import annotations


class CliError(Exception):
    """A problem the user can fix; printed as ``error:`` plus a ``hint:`` line."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint
