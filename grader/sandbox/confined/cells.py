"""Run an exercise's module one unit at a time, the way a notebook runs its cells.

A student's notebook ran cell by cell in their kernel: a cell that raised
(``import seaborn``, a Drive path, an endless demo loop) stopped only that cell.
Importing the converted notebook as one module made that one line cost every
function after it. So, as nbgrader's autograde does with errors allowed:

* a notebook's units are its code cells (the judge sends where each starts,
  in module lines); a ``.py`` file's units are its top-level statements;
* each unit is compiled and run on its own in the module's namespace. One that
  raises, runs past its time budget or exhausts memory is recorded (facts only:
  exception type, text, line, and the top-level names it would have defined
  but did not), the rest of that unit is skipped, and the next unit runs;
* ``SystemExit`` still ends the whole import (a script that exits stops there,
  threats row 15), and so does anything the worker cannot survive;
* each unit has a wall-clock budget (``SIGALRM``), and the units together have
  a total one, kept under the judge's import deadline so the worker can still
  say "ready" with whatever was defined. A unit that swallows the alarm is
  interrupted again every 0.1 s, and the judge's own deadline still rules.
  A unit over its own budget while a library is being imported is cut only
  once that import is done (or the total budget runs out): a half-imported
  library would break every later call.

Top-level ``await`` compiles as IPython compiles it
(``PyCF_ALLOW_TOP_LEVEL_AWAIT``) and runs on a fresh event loop.

Runs in the worker (and in the L0 in-process backend). Imports only the
standard library.
"""

from __future__ import annotations
import __future__

import ast
import signal
import threading
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["CellTimeout", "Clock", "Unit", "run_units", "split_units"]

_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
_MAX_NAMES = 40
_REPEAT = 0.1  # seconds between alarms once a unit is over its budget


class CellTimeout(BaseException):
    """Raised in the student's unit when its time budget is spent.

    A ``BaseException``, so a plain ``except Exception`` in the student's loop
    does not swallow it.
    """


@dataclass(frozen=True)
class Unit:
    """One cell or top-level statement: the module lines it spans, and its label.

    ``cell`` is the notebook's code cell number, or 0 for a ``.py`` statement
    (then the judge names it by its line) and for the grader's prelude.
    """

    first: int  # 1-based module line
    last: int
    cell: int


def split_units(
    source: str, cells: Sequence[Sequence[int]] | None, path: str = "<unit>"
) -> list[Unit]:
    """The units of a module: code cells (``cells``: ``[module_line, cell]`` starts) or statements.

    For a notebook, the lines before the first cell (the grader's prelude) are
    a unit of their own (cell 0). For a ``.py`` file, a syntax error anywhere
    means Python cannot split it; ``SyntaxError`` is raised and the import
    fails as a whole, as it always did.
    """
    lines = source.count("\n") + (0 if source.endswith("\n") else 1)
    if cells:
        starts = sorted({(int(line), int(cell)) for line, cell in cells if int(line) >= 1})
        units: list[Unit] = []
        previous = (1, 0)
        for line, cell in starts:
            if line > previous[0]:
                units.append(Unit(previous[0], line - 1, previous[1]))
            previous = (line, cell)
        units.append(Unit(previous[0], max(lines, previous[0]), previous[1]))
        return units
    tree = _parse(source, path)
    return [Unit(node.lineno, node.end_lineno or node.lineno, 0) for node in _with_decorators(tree)]


def _parse(source: str, path: str = "<unit>") -> ast.Module:
    """The syntax tree, top-level ``await`` allowed (as IPython allows it)."""
    tree = compile(source, path, "exec", flags=ast.PyCF_ONLY_AST | _FLAGS, dont_inherit=True)
    if not isinstance(tree, ast.Module):  # pragma: no cover - "exec" always gives a Module
        raise TypeError("not a module")
    return tree


def _with_decorators(tree: ast.Module) -> list[ast.stmt]:
    """Statements with their first line moved up to their first decorator."""
    for node in tree.body:
        decorators = getattr(node, "decorator_list", None)
        if decorators:
            node.lineno = min(node.lineno, *(d.lineno for d in decorators))
    return list(tree.body)


class Clock:
    """Wall-clock budgets for units, on ``SIGALRM``; also one progress hint.

    ``hint`` is called once, ``hint_after`` seconds after :meth:`start`, with
    the innermost line of ``path`` that is running (the judge words it if the
    import then times out). Without a main thread to signal (a ``grader
    check`` called from a thread) or ``SIGALRM`` (Windows), no budget is
    enforced. ``cuts`` counts the times it interrupted a unit.
    """

    def __init__(
        self,
        path: str,
        *,
        unit_budget: float | None,
        total_budget: float | None,
        hint_after: float | None = None,
        hint: Callable[[int | None], None] | None = None,
    ) -> None:
        self.path = path
        self.unit_budget = unit_budget
        self.total_budget = total_budget
        self.hint_at: float | None = None
        self.hint = hint
        self.hint_after = hint_after
        self.deadline: float | None = None
        self.total_deadline: float | None = None
        self.expired_total = False
        self.cuts = 0
        self.enabled = (
            hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
        )
        self._previous: Any = None

    def start(self) -> None:
        now = time.monotonic()
        if self.total_budget:
            self.total_deadline = now + self.total_budget
        if self.hint and self.hint_after and self.hint_after > 0:
            self.hint_at = now + self.hint_after
        if self.enabled:
            self._previous = signal.signal(signal.SIGALRM, self._fire)

    def stop(self) -> None:
        if self.enabled:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous or signal.SIG_DFL)

    def remaining(self) -> float | None:
        if self.total_deadline is None:
            return None
        return self.total_deadline - time.monotonic()

    def begin_unit(self) -> None:
        now = time.monotonic()
        ends = [d for d in (self.total_deadline,) if d is not None]
        if self.unit_budget:
            ends.append(now + self.unit_budget)
        self.deadline = min(ends) if ends else None
        self._arm(now)

    def end_unit(self) -> None:
        self.deadline = None
        self._arm(time.monotonic())

    def _arm(self, now: float) -> None:
        if not self.enabled:
            return
        moments = [m for m in (self.deadline, self.hint_at) if m is not None]
        if not moments:
            signal.setitimer(signal.ITIMER_REAL, 0)
            return
        signal.setitimer(signal.ITIMER_REAL, max(min(moments) - now, 0.001))

    def _fire(self, signum: int, frame: types.FrameType | None) -> None:
        now = time.monotonic()
        if self.hint_at is not None and now >= self.hint_at:
            self.hint_at = None
            if self.hint is not None:
                self.hint(self._line(frame))
        if self.deadline is not None and now >= self.deadline:
            if self.total_deadline is not None and now >= self.total_deadline:
                self.expired_total = True
            elif _importing(frame):
                # Cut in the middle of a library's import (torch._inductor, matplotlib),
                # the library would stay half-initialised in sys.modules and break every
                # later call; let the import finish, within the import's total budget.
                self.deadline = now + _REPEAT
                self._arm(now)
                return
            self.deadline = now + _REPEAT  # again and again, if the unit swallows it
            self._arm(now)
            self.cuts += 1
            raise CellTimeout
        self._arm(now)

    def _line(self, frame: types.FrameType | None) -> int | None:
        while frame is not None:
            if frame.f_code.co_filename == self.path:
                return frame.f_lineno
            frame = frame.f_back
        return None


def _importing(frame: types.FrameType | None) -> bool:
    """Whether an ``import`` statement is running (importlib's machinery is on the stack)."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def run_units(
    module: types.ModuleType,
    source: str,
    units: Sequence[Unit],
    *,
    path: str,
    clock: Clock,
    describe: Callable[[BaseException, str], dict[str, Any]],
    is_memory: Callable[[BaseException, str], bool],
    notes: Callable[[], list[str]] | None = None,
) -> list[dict[str, Any]]:
    """Run each unit in ``module``'s namespace; the facts about those that did not finish.

    Each fact: ``cell`` (0 for a ``.py`` statement), ``first`` (module line),
    ``kind`` ("raised", "syntax", "timeout", "memory", "skipped": the total
    budget ran out before it started, or "note"), ``exc_type``, ``text``, ``line`` and
    ``missing``: the top-level names the unit would have bound but that are not
    in the module afterwards. ``SystemExit`` propagates. ``notes`` gives what
    the worker's stand-ins said while a unit ran (``drive.mount`` did nothing):
    each becomes a fact of kind "note" for that unit, which costs nothing.
    """
    lines = source.split("\n")
    namespace = module.__dict__
    flags = 0
    failures: list[dict[str, Any]] = []
    clock.start()
    try:
        for unit in units:
            chunk = "\n" * (unit.first - 1) + "\n".join(lines[unit.first - 1 : unit.last]) + "\n"
            left = clock.remaining()
            if left is not None and left <= 0:
                failures.append(_fact(unit, "skipped", chunk, namespace))
                continue
            try:
                code = compile(chunk, path, "exec", flags=flags | _FLAGS, dont_inherit=True)
            except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
                failures.append(_fact(unit, "syntax", chunk, namespace, **describe(exc, path)))
                continue
            if "__future__" in chunk:
                flags |= _future_flags(chunk)  # in force for the units after it, as in a file
            try:
                clock.begin_unit()
                try:
                    _execute(code, namespace)
                finally:
                    clock.end_unit()
            except CellTimeout as exc:
                info = {**describe(exc, path), "total": clock.expired_total}
                failures.append(_fact(unit, "timeout", chunk, namespace, **info))
            except SystemExit:
                raise
            except BaseException as exc:
                info = describe(exc, path)
                kind = "memory" if is_memory(exc, info["text"]) else "raised"
                failures.append(_fact(unit, kind, chunk, namespace, **info))
            for text in notes() if notes is not None else ():
                failures.append(_fact(unit, "note", "", namespace, text=text))
    finally:
        clock.stop()
    return failures


def _execute(code: types.CodeType, namespace: dict[str, Any]) -> None:
    """Run one unit; a unit with top-level ``await`` is a coroutine, run on its own loop."""
    if code.co_flags & 0x80:  # CO_COROUTINE: the unit awaits at top level
        import asyncio

        result = eval(code, namespace)
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(result)
        finally:
            loop.close()
            asyncio.set_event_loop(None)
        return
    exec(code, namespace)


def _future_flags(chunk: str) -> int:
    flags = 0
    try:
        tree = ast.parse(chunk)
    except SyntaxError:
        return 0
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            for alias in node.names:
                feature = getattr(__future__, alias.name, None)
                flags |= getattr(feature, "compiler_flag", 0)
    return flags


def _fact(
    unit: Unit, kind: str, chunk: str, namespace: dict[str, Any], **info: Any
) -> dict[str, Any]:
    return {
        "cell": unit.cell,
        "first": unit.first,
        "kind": kind,
        "exc_type": info.get("exc_type"),
        "text": info.get("text", ""),
        "line": info.get("line"),
        "total": bool(info.get("total", False)),
        "missing": [name for name in _bound_names(chunk) if name not in namespace][:_MAX_NAMES],
    }


def _bound_names(chunk: str) -> list[str]:
    """Top-level names a unit binds: defs, classes, imports and plain assignments."""
    try:
        tree = _parse(chunk)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    names: dict[str, None] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names[node.name] = None
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    names[(alias.asname or alias.name).split(".")[0]] = None
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        names[leaf.id] = None
    return list(names)
