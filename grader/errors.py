"""The one base for every problem a person can fix: ``GraderError(message, hint)``.

The command line catches this class once (``grader.cli.main``) and prints
``error: <message>`` and ``hint: <hint>``; no verb translates one error type into
another. Subclasses live beside the code that raises them and set
``default_hint`` when the same advice always applies. Problems that are no
one's to fix by hand (a bug, a crashed worker) stay ordinary exceptions.

Standard library only: the confined side and the student bundle import it too.
"""

from __future__ import annotations

__all__ = ["GraderError"]


class GraderError(Exception):
    """A problem with a message that names the file or option and a hint that says what to do."""

    default_hint = ""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint or self.default_hint

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[object, ...]:
        # Subclasses with their own __init__ still pickle (batch jobs cross processes).
        return (type(self)._from_parts, (self.message, self.hint), self.__dict__)

    @classmethod
    def _from_parts(cls, message: str, hint: str) -> GraderError:
        error = cls.__new__(cls)
        GraderError.__init__(error, message, hint)
        return error
