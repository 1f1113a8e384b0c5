"""Faults the sandbox raises in the parent.

Two families, kept apart on purpose (house style: student fault vs staff fault):

* `StudentFault` and its subclasses: something the student's code did. Each
  carries `.status` ("error", "timeout" or "crashed", the `CheckStatus` value a
  check maps it to) and `.message`, written in the student's terms, naming their
  file, function and line, never ours.
* `SandboxError`: the grader itself could not do its job (the host died, a
  check author passed a value the codec cannot carry, the required isolation
  level is out of reach). A check that hits one is a `grader_error`, shown to
  staff, never blamed on the student.

This module is plain standard library so that every part of the parent can
import it cheaply.
"""

from __future__ import annotations

from collections.abc import Callable

from grader.errors import GraderError

__all__ = [
    "CallTimeout",
    "FunctionNotFound",
    "ImportFailed",
    "IsolationError",
    "Locate",
    "NoTasks",
    "SandboxError",
    "SetupFailed",
    "StudentFault",
    "StudentRaised",
    "ValueRejected",
    "WorkerCrashed",
    "WorkerStartFailed",
    "WorkerUnstable",
    "call_fault",
    "clean_text",
    "import_fault",
    "start_failure",
]

# Words a line of an exercise's module in the student's terms ("ex03.ipynb, code cell 4, line 2").
Locate = Callable[[int], str]

# Import failure kinds and the check status each one maps to.
_IMPORT_KIND_STATUS = {
    "syntax": "error",
    "exception": "error",
    "missing": "error",
    "timeout": "timeout",
    "exited": "crashed",
    "crashed": "crashed",
    "memory": "crashed",
}


class StudentFault(Exception):
    """The student's code failed; `.message` says how, in their terms."""

    status: str = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ImportFailed(StudentFault):
    """The exercise module could not be imported.

    Raised again, with the same message, for every later use of that exercise,
    so each of its checks fails with the reason rather than a cascade of
    unrelated errors.
    """

    def __init__(self, message: str, *, kind: str) -> None:
        if kind not in _IMPORT_KIND_STATUS:
            raise ValueError(f"unknown import failure kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.status = _IMPORT_KIND_STATUS[kind]


class FunctionNotFound(StudentFault):
    """The module imported but does not define the requested function."""

    def __init__(self, message: str, *, function: str) -> None:
        super().__init__(message)
        self.function = function


class StudentRaised(StudentFault):
    """The student's function raised; `.location` is "file, line N" when known."""

    def __init__(self, message: str, *, exc_type: str, location: str | None) -> None:
        super().__init__(message)
        self.exc_type = exc_type
        self.location = location


class CallTimeout(StudentFault):
    """A call ran past its wall-clock deadline; the worker was killed."""

    status = "timeout"


class WorkerCrashed(StudentFault):
    """The worker died during a call: signal, exit, or memory limit."""

    status = "crashed"


class ValueRejected(StudentFault):
    """The codec refused the returned value (type, size or depth)."""


class WorkerUnstable(StudentFault):
    """The worker was restarted too many times; the remaining calls are refused."""

    status = "crashed"


class SandboxError(GraderError):
    """The grader's own machinery failed. Never the student's fault."""


class IsolationError(SandboxError):
    """The isolation level the caller required cannot be reached on this machine."""


class SetupFailed(SandboxError):
    """A layer of the host's isolation could not be set up on this machine.

    `layer` is what failed (``"namespaces"`` or ``"uid-switch"``), `reason`
    the error as the host saw it. The client then tries again without that
    layer (a level lower, said in the report) unless the caller requires it.
    """

    def __init__(self, layer: str, reason: str) -> None:
        super().__init__(f"sandbox setup failed: {layer}: {reason}")
        self.layer = layer
        self.reason = reason


class WorkerStartFailed(SandboxError):
    """A worker died before it could serve, saying why: the grader's installation is at fault.

    No student code had run yet, so every check it hits is a `grader_error`
    (the student is told it was our fault), and the cause, with what to do
    about it, is in the staff log.
    """


class NoTasks(SandboxError):
    """The host could not fork a worker: its task limit (pids cgroup) is full."""


# --------------------------------------------------------------------------- wording
# The worker reports facts; these functions word them for the student. Both
# backends (the real sandbox and the in-process one) go through them.

def clean_text(text: str, limit: int = 2000) -> str:
    """Make student-controlled text safe to show: printable, bounded.

    Control characters (ANSI escapes included) are shown escaped, lone
    surrogates replaced, and the text cut at `limit` characters with a marker.
    """
    if len(text) > limit:
        text = text[:limit] + f"... [{len(text) - limit} more characters cut]"
    out = []
    for ch in text:
        if ch in "\n\t" or (ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF):
            out.append(ch)
        else:
            out.append(ch.encode("unicode_escape", "backslashreplace").decode("ascii"))
    return "".join(out)


def _exception_text(
    facts: dict, display: str, locate: Locate | None = None
) -> tuple[str, str, str | None]:
    exc_type = clean_text(str(facts.get("exc_type") or "Exception"), 100)
    text = clean_text(str(facts.get("text") or ""))
    line = facts.get("line")
    location = None
    if type(line) is int:
        location = locate(line) if locate is not None else f"{display}, line {line}"
    message = f"{exc_type}: {text}" if text else exc_type
    if location:
        message += f" ({location})"
    if exc_type == "ModuleNotFoundError":
        from grader.packages import missing_module_hint  # the one list (assignment.toml's too)

        message += missing_module_hint()
    return exc_type, message, location


def import_fault(facts: dict, display: str, locate: Locate | None = None) -> ImportFailed:
    """The `ImportFailed` for a worker's "not ready" reply.

    `locate` words a line of the imported module in the student's terms (a
    converted notebook's line is a code cell and a line in it); by default
    "<display>, line N".
    """
    kind = facts.get("kind")
    _, message, _ = _exception_text(facts, display, locate)
    if kind == "memory":
        return ImportFailed(f"memory limit exceeded while importing {display}", kind="memory")
    if kind == "exited":
        return ImportFailed(f"{display} exited during import: {message}", kind="exited")
    if kind == "syntax":
        return ImportFailed(f"could not import {display}: {message}", kind="syntax")
    return ImportFailed(f"could not import {display}: {message}", kind="exception")


def start_failure(facts: dict) -> WorkerStartFailed:
    """The error for a worker's "could not start" reply: its cause and what to do."""
    exc_type = clean_text(str(facts.get("exc_type") or "Exception"), 100)
    text = clean_text(str(facts.get("text") or ""), 500)
    cause = f"{exc_type}: {text}" if text else exc_type
    if exc_type in ("ModuleNotFoundError", "ImportError"):
        hint = "reinstall the grader's environment (make install) and grade again"
    else:
        hint = "the grader or its installation is broken, not the submission; report this message"
    return WorkerStartFailed(f"the grader's worker could not start: {cause} ({hint})", hint)


def call_fault(
    facts: dict, *, display: str, target: str, locate: Locate | None = None
) -> StudentFault:
    """The fault for a worker's `ok: false` reply; `target` names the function."""
    fault = facts.get("fault")
    if fault == "not_found":
        return FunctionNotFound(f"function {target} not found in {display}", function=target)
    if fault == "not_callable":
        kind = clean_text(str(facts.get("exc_type")), 100)
        return FunctionNotFound(
            f"{target} in {display} is not a function (it is a `{kind}`)", function=target
        )
    if fault == "memory":
        return WorkerCrashed(f"memory limit exceeded while running {target}")
    if fault == "rejected":
        return ValueRejected(f"{clean_text(str(facts.get('text')), 300)} (from {target})")
    if fault == "raised":
        exc_type, message, location = _exception_text(facts, display, locate)
        return StudentRaised(message, exc_type=exc_type, location=location)
    raise SandboxError(f"the worker refused the request to run {target}: {facts!r:.300}")
