"""Bounds on every worker: one default each, then the assignment file, then the command line.

The defaults live in :class:`Limits` and nowhere else. An assignment's
``[limits]`` table overrides them for that assignment; ``--limit NAME=VALUE``
on the command line overrides both for one run. The command line's values
reach the judge processes through ``$GRADER_LIMITS`` (numbers only: nothing a
worker could use; the workers' environment is an allowlist without it), and
every report records the limits it was graded under, so a grade can be
reproduced and a timeout explained.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from grader.errors import GraderError

if TYPE_CHECKING:
    from grader.sandbox.wire import codec

__all__ = ["OVERRIDES_VARIABLE", "LimitError", "Limits", "configured", "parse_overrides"]

OVERRIDES_VARIABLE = "GRADER_LIMITS"  # "name=value,name=value", set by the command line
_SUFFIXES = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


class LimitError(GraderError):
    """A limit's name or value is wrong, in the assignment file or on the command line."""


_CAPS: dict[int, Any] = {}  # value_bytes -> codec.Caps (frozen: safe to share)


@dataclass(frozen=True)
class Limits:
    """Bounds on every worker of a host (docs/threats.md G5); small values make tests fast."""

    import_timeout: float = 10.0  # wall seconds for importing one exercise module
    cell_timeout: float = 3.0  # wall seconds per code cell (or top-level statement) of it
    call_timeout: float = 5.0  # default wall seconds per call / probe
    cpu_seconds: int = 120  # RLIMIT_CPU per worker
    memory_bytes: int = 4 << 30  # RLIMIT_AS per worker (torch maps ~1 GiB virtual)
    file_bytes: int = 16 << 20  # RLIMIT_FSIZE
    open_files: int = 256  # RLIMIT_NOFILE
    output_bytes: int = 1 << 20  # captured stdout+stderr per worker, the rest dropped
    value_bytes: int = 64 << 20  # largest frame either way
    restarts: int = 3  # faults per exercise (each ends the worker) before "worker unstable"
    processes: int = 256  # tasks per host (pids cgroup), per worker uid (RLIMIT_NPROC)
    # Exercises one worker serves before the next gets a fresh fork. 1: a fresh start for
    # every exercise, so no exercise's patches reach another's, at ~45 ms of CPU per
    # exercise (fork, first-use faults, teardown; about 0.3x a torch import per submission).
    exercises_per_worker: int = 64

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], *, where: str = "[limits]") -> Limits:
        """The defaults with ``values`` (an assignment file's ``[limits]`` table) applied."""
        from grader.assignment import AssignmentError

        return cls()._with(values, where, AssignmentError)

    def _with(
        self, values: Mapping[str, Any], where: str, error: type[GraderError] = GraderError
    ) -> Limits:
        """These limits with ``values`` applied; ``error`` says whose mistake a bad one is."""
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise error(
                f"{where}: unknown limit(s) {', '.join(unknown)}", "known: " + ", ".join(known)
            )
        for name, value in values.items():
            whole = known[name].type not in ("float", float)
            wanted = (int,) if whole else (int, float)
            if isinstance(value, bool) or not isinstance(value, wanted) or value <= 0:
                kind = "a positive whole number" if whole else "a positive number"
                raise error(f"{where}: {name} must be {kind}, not {value!r}")
        return type(self)(**{**asdict(self), **values})

    def to_dict(self) -> dict[str, float]:
        """Every limit by name, as the report records it."""
        return asdict(self)

    def caps(self) -> codec.Caps:
        """The codec caps matching these limits (made once: asked for on every call)."""
        from grader.sandbox.wire import codec

        made = _CAPS.get(self.value_bytes)
        if made is None:
            made = _CAPS[self.value_bytes] = codec.Caps(max_bytes=self.value_bytes)
        return made

    def frame_bytes(self) -> int:
        """Largest frame: the value cap plus room for its JSON header."""
        return self.value_bytes + (32 << 20)


def parse_overrides(items: Iterable[str], *, where: str = "--limit") -> dict[str, int | float]:
    """``["call_timeout=2", "memory_bytes=2G"]`` -> ``{"call_timeout": 2, ...: 2 << 30}``

    Names and positivity are checked by :meth:`Limits._with`; this only turns
    text into numbers (``K``/``M``/``G`` suffixes for sizes).
    """
    values: dict[str, int | float] = {}
    for item in items:
        name, equals, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not equals or not name or not text:
            raise LimitError(
                f"{where} {item!r} is not NAME=VALUE", "for example --limit call_timeout=2"
            )
        scale = _SUFFIXES.get(text[-1].upper(), 1)
        digits = text[:-1] if scale > 1 else text
        try:
            number: int | float = int(digits) * scale
        except ValueError:
            try:
                number = float(digits) * scale
            except ValueError:
                raise LimitError(
                    f"{where} {item!r}: {text!r} is not a number",
                    "for example --limit memory_bytes=2G",
                ) from None
        values[name] = number
    return values


def configured(overrides: Mapping[str, Any] | None = None) -> Limits:
    """The limits this run grades under: defaults, the active assignment's, then ``overrides``.

    ``overrides`` defaults to what the command line left in ``$GRADER_LIMITS``.
    """
    from grader.assignment import ASSIGNMENT_FILE, current

    assignment = current()
    limits = Limits.from_mapping(
        assignment.limits, where=f"{assignment.root / ASSIGNMENT_FILE} [limits]"
    )
    if overrides is None:
        text = os.environ.get(OVERRIDES_VARIABLE, "")
        overrides = parse_overrides(filter(None, text.split(",")), where=f"${OVERRIDES_VARIABLE}")
    return limits._with(overrides, "--limit", LimitError)
