"""The "by hand" rules: find forbidden PyTorch shortcuts in a student's source.

The assignment asks for some functions to be written by hand ("not
``F.softmax``"). Calling the shortcut cannot be observed reliably at run time
(the student controls the worker), so the parent reads the source's AST. It
parses, it never executes.

A forbidden name is spelled the way the assignment sheet spells it and is
resolved through the student's imports and aliases:

- ``F.x`` is ``torch.nn.functional.x`` and ``nn.X`` is ``torch.nn.X``, however the
  student imported them (``import torch.nn.functional as F``,
  ``from torch.nn.functional import softmax as sm``, ``from torch import nn``,
  ``torch.nn.functional.softmax``, ``sm = F.softmax``, ``getattr(F, "softmax")``);
- ``Tensor.x`` is the method ``.x`` called on any value that is not a module
  (``z.softmax(dim=1)``), and also ``torch.Tensor.x``;
- a name without a dot (``"backward"``) is a method of that name on any value,
  or any module function of that name;
- any other dotted name matches itself and everything under it
  (``"torch.autograd"`` matches ``torch.autograd.grad``).

The scan covers the function and, transitively, the module-level helpers
(functions and classes) it refers to, so hiding the shortcut in a helper does
not help. Module-level names bound to a shortcut (``loss_fn = nn.CrossEntropyLoss()``)
count where the function uses them.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

from grader.compare import CheckFailed

__all__ = ["Shortcut", "called_helpers", "find_shortcuts", "require_by_hand"]

_ROOTS = {"F": "torch.nn.functional", "nn": "torch.nn"}
_METHOD = "."  # prefix marking "method .name on a value" in resolved references
_INSTANCE = "()"  # suffix marking "the value returned by calling this path"
_ALIAS_ROUNDS = 5


@dataclass(frozen=True, order=True)
class Shortcut:
    """One use of a forbidden shortcut.

    ``line`` is the 1-based line in the student's source; ``name`` is spelled
    as in the forbidden list; ``function`` is the function or helper whose body
    holds it.
    """

    line: int
    name: str
    function: str


def find_shortcuts(
    source: str, function: str, forbidden: Sequence[str], *, skip: Collection[str] = ()
) -> list[Shortcut]:
    """Uses of ``forbidden`` shortcuts by ``function`` and the helpers it reaches.

    Helpers named in ``skip`` are not followed: other graded functions that
    have a "by hand" check of their own, so one shortcut costs one check.
    Returns the uses sorted by line, at most one per (line, name). A source
    that does not parse gives ``[]``: the import fails anyway and is reported then.
    """
    scanner = _scan(source)
    if scanner is None:
        return []
    rules = [(name, _Rule.parse(name)) for name in forbidden]
    found: dict[tuple[int, str], Shortcut] = {}
    bound: dict[tuple[int, str], Shortcut] = {}  # in module-level ``name = ...`` bindings
    for owner, node in scanner.reachable(function, skip=set(skip) - {function}):
        in_binding = owner != function and isinstance(node, ast.Assign | ast.AnnAssign)
        into = bound if in_binding else found
        for line, ref in scanner.references(node):
            for name, rule in rules:
                if rule.matches(ref):
                    into.setdefault((line, name), Shortcut(line=line, name=name, function=owner))
    # a binding (``loss = nn.MSELoss()``) is reported where it is used when that use is seen
    names = {hit.name for hit in found.values()}
    found.update({key: hit for key, hit in bound.items() if hit.name not in names})
    return sorted(found.values())


def called_helpers(source: str, function: str, helpers: Collection[str]) -> list[str]:
    """Which of ``helpers`` ``function`` reaches in ``source`` (directly or through helpers)."""
    scanner = _scan(source)
    if scanner is None:
        return []
    wanted = set(helpers) - {function}
    reached = {name for name, _ in scanner.reachable(function, skip=set())}
    return sorted(wanted & reached)


@functools.lru_cache(maxsize=1)
def _scan(source: str) -> _Scanner | None:
    """The parsed source, shared by the checks that scan one file in a row (read-only)."""
    try:
        return _Scanner(ast.parse(source))
    except (SyntaxError, ValueError):
        return None


def require_by_hand(
    source: str,
    function: str,
    forbidden: Sequence[str],
    *,
    skip: Collection[str] = (),
    exercise_hint: str = "",
) -> None:
    """Raise :class:`CheckFailed` if ``function`` uses one of ``forbidden``.

    The message names the first shortcut and its line; the mistake code is
    ``shortcut_used:<name>``. ``skip`` is passed to :func:`find_shortcuts`;
    ``exercise_hint`` is appended to the message (for example "compute exp
    and normalise each row yourself").
    """
    hits = find_shortcuts(source, function, forbidden, skip=skip)
    if not hits:
        return
    # name the use inside the function itself before one in a helper or an alias
    first = min(hits, key=lambda h: (h.function != function, h.line))
    where = f"line {first.line}"
    if first.function != function:
        where += f", in helper {first.function}"
    others = sorted({h.name for h in hits} - {first.name})
    also = f"; also {', '.join(others)}" if others else ""
    hint = f". {exercise_hint}" if exercise_hint else ""
    raise CheckFailed(
        f"{function} must be written by hand but calls {first.name} ({where}){also}{hint}",
        mistake=f"shortcut_used:{first.name}",
    )


@dataclass(frozen=True)
class _Rule:
    paths: tuple[str, ...]  # full dotted paths, matched with their sub-paths
    method: str | None  # ".name": a method call on a value

    @classmethod
    def parse(cls, spelled: str) -> _Rule:
        head, _, rest = spelled.partition(".")
        if not rest:
            return cls(paths=(), method=_METHOD + spelled)
        if head == "Tensor":
            return cls(paths=(f"torch.Tensor.{rest}",), method=_METHOD + rest)
        root = _ROOTS.get(head, head)
        return cls(paths=(f"{root}.{rest}",), method=None)

    def matches(self, ref: str) -> bool:
        if ref.startswith(_METHOD):
            return ref == self.method
        if self.method is not None and not self.paths and ref.endswith(self.method):
            return True  # a bare name: any module function of that name
        ref = ref.removesuffix(_INSTANCE)
        return any(ref == p or ref.startswith(p + ".") for p in self.paths)


class _Scanner:
    """Module-level facts about one source: imports, aliases, helper definitions.

    A submission's by-hand checks scan one source many times (each check one
    function, each function its helpers), so what a scan derives from a node
    (its sub-nodes, the helpers it names, its resolved references) is kept per
    node: the aliases are fixed once the module's imports and assignments are
    read, and so are those answers.
    """

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.defs: dict[str, ast.AST] = {}
        self.aliases: dict[str, set[str]] = {}
        self.star_modules: list[str] = []
        self._walks: dict[int, list[ast.AST]] = {}
        self._helpers: dict[str, list[str]] = {}
        self._references: dict[int, list[tuple[int, str]]] = {}
        for stmt in _module_statements(tree.body):
            self._record_binding(stmt)
        everything = self._walk(tree)
        self._collect_imports(everything)
        self._collect_assignments(everything)

    def _walk(self, node: ast.AST) -> list[ast.AST]:
        """``ast.walk(node)``, listed once per node."""
        nodes = self._walks.get(id(node))
        if nodes is None:
            nodes = self._walks[id(node)] = list(ast.walk(node))
        return nodes

    # --- definitions ------------------------------------------------------

    def _record_binding(self, stmt: ast.stmt) -> None:
        """The last module-level binding of a name is the one import leaves."""
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            self.defs[stmt.name] = stmt
        elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for name in _target_names(target):
                    self.defs[name] = stmt
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            for alias in stmt.names:
                self.defs[(alias.asname or alias.name).split(".")[0]] = stmt

    def reachable(self, function: str, *, skip: set[str]) -> Iterator[tuple[str, ast.AST]]:
        """``function``'s definition, then every module-level helper it refers to."""
        seen: set[str] = set(skip)
        todo = [function]
        while todo:
            name = todo.pop()
            if name in seen or name not in self.defs:
                continue
            seen.add(name)
            yield name, self.defs[name]
            todo += [helper for helper in self._named_helpers(name) if helper not in seen]

    def _named_helpers(self, name: str) -> list[str]:
        """The module-level definitions that definition ``name`` refers to, in order."""
        helpers = self._helpers.get(name)
        if helpers is None:
            helpers = self._helpers[name] = [
                sub.id
                for sub in self._walk(self.defs[name])
                if isinstance(sub, ast.Name) and isinstance(self.defs.get(sub.id), _SCOPES)
            ]
        return helpers

    # --- names --------------------------------------------------------------

    def _collect_imports(self, nodes: list[ast.AST]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self._alias(alias.asname, alias.name)
                    else:
                        top = alias.name.split(".")[0]
                        self._alias(top, top)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name == "*":
                        self.star_modules.append(node.module)
                    else:
                        self._alias(alias.asname or alias.name, f"{node.module}.{alias.name}")

    def _collect_assignments(self, nodes: list[ast.AST]) -> None:
        """``sm = F.softmax``, ``loss_fn = nn.CrossEntropyLoss()``, anywhere in the module."""
        pairs: list[tuple[str, ast.expr]] = []
        for node in nodes:
            if isinstance(node, ast.Assign):
                pairs += [(n, node.value) for t in node.targets for n in _plain_names(t)]
            elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and node.value is not None:
                pairs += [(n, node.value) for n in _plain_names(node.target)]
        for _ in range(_ALIAS_ROUNDS):
            changed = False
            for name, value in pairs:
                for ref in self.resolve(value):
                    if not ref.startswith(_METHOD) and ref not in self.aliases.get(name, set()):
                        self._alias(name, ref)
                        changed = True
            if not changed:
                break

    def _alias(self, name: str, path: str) -> None:
        self.aliases.setdefault(name, set()).add(path)

    def resolve(self, node: ast.expr) -> set[str]:
        """The dotted paths (or ``.method`` markers) an expression may stand for."""
        if isinstance(node, ast.Name):
            if node.id in self.aliases:
                return set(self.aliases[node.id])
            if self._star_guess(node):
                return {f"{m}.{node.id}" for m in self.star_modules}
            return set()
        if isinstance(node, ast.Attribute):
            refs = self._attribute(self.resolve(node.value), node.attr)
            if self._star_guess(node.value):
                refs.add(_METHOD + node.attr)  # most likely a local variable after all
            return refs
        if isinstance(node, ast.Call):
            if _is_getattr(node):
                name = node.args[1]
                assert isinstance(name, ast.Constant) and isinstance(name.value, str)
                return self._attribute(self.resolve(node.args[0]), name.value)
            return {r + _INSTANCE for r in self.resolve(node.func) if not r.endswith(_INSTANCE)}
        return set()

    def _star_guess(self, node: ast.expr) -> bool:
        """A free name that may come from ``from torch.nn.functional import *``."""
        return (
            bool(self.star_modules)
            and isinstance(node, ast.Name)
            and node.id not in self.aliases
            and node.id not in self.defs
        )

    @staticmethod
    def _attribute(bases: set[str], attr: str) -> set[str]:
        out = {f"{b}.{attr}" for b in bases if not b.endswith(_INSTANCE) and b[0] != _METHOD}
        if not out or any(b.endswith(_INSTANCE) for b in bases):
            out.add(_METHOD + attr)  # a method of some value (a tensor, a module instance)
        return out

    def references(self, node: ast.AST) -> list[tuple[int, str]]:
        """Every (line, resolved reference) inside ``node``.

        A class named as the second argument of ``isinstance``/``issubclass``
        is a test, not a use (``isinstance(layer, nn.Linear)``).
        """
        found = self._references.get(id(node))
        if found is None:
            found = self._references[id(node)] = list(self._find_references(node))
        return found

    def _find_references(self, node: ast.AST) -> Iterator[tuple[int, str]]:
        type_tests = {
            id(sub)
            for call in self._walk(node)
            if isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id in ("isinstance", "issubclass")
            and len(call.args) == 2
            for sub in ast.walk(call.args[1])
        }
        for sub in self._walk(node):
            if id(sub) in type_tests:
                continue
            loaded = isinstance(sub, ast.Name | ast.Attribute) and isinstance(sub.ctx, ast.Load)
            if loaded or (isinstance(sub, ast.Call) and _is_getattr(sub)):
                refs = self.resolve(sub)  # type: ignore[arg-type]
            elif isinstance(sub, ast.ImportFrom | ast.Import):
                refs = set(_import_paths(sub))
            else:
                continue
            for ref in refs:
                yield getattr(sub, "lineno", 0), ref


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)


def _module_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Top-level statements, looking inside ``if``/``try``/``with``/loops (not scopes)."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.If | ast.For | ast.While | ast.With | ast.AsyncFor | ast.AsyncWith):
            yield from _module_statements(stmt.body)
            yield from _module_statements(getattr(stmt, "orelse", []))
        elif isinstance(stmt, ast.Try | ast.TryStar):
            for block in (stmt.body, stmt.orelse, stmt.finalbody):
                yield from _module_statements(block)
            for handler in stmt.handlers:
                yield from _module_statements(handler.body)


def _target_names(target: ast.expr) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Tuple | ast.List):
        for elt in target.elts:
            yield from _target_names(elt)


def _plain_names(target: ast.expr) -> list[str]:
    return [target.id] if isinstance(target, ast.Name) else []


def _is_getattr(node: ast.Call) -> bool:
    return (
        isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    )


def _import_paths(node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """Paths an import statement inside a scanned function brings in."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
    elif node.module and not node.level:
        for alias in node.names:
            if alias.name != "*":
                yield f"{node.module}.{alias.name}"
