"""Cut modules down to what some of their functions need, by AST.

Used by :mod:`grader.release.public_checks` on ``grader/checks/``: given the
modules of one package and the checks to keep, follow every name they use,
transitively and across the package's modules, and write each module again
with only that. The source of every kept definition is copied as it stands
(comments inside it included); everything between definitions is dropped.

Two refinements keep hidden material out:

- a class keeps only the checks asked for (its other members stay);
- a module-level dict literal with string keys (a table of named inputs)
  keeps only the entries whose key appears as a string in the kept code.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PUBLIC_SECRET", "CutError", "Module", "cut", "parse_module", "secret_values"]

Key = tuple[str, str | None, str]  # (module, class or None, check function)

_SECRET_NAME = re.compile(r"(^|_)SECRET$")
PUBLIC_SECRET = "student-bundle-public-checks"  # what a ``*SECRET`` constant becomes


class CutError(Exception):
    """A module holds something the cutter cannot place safely."""


@dataclass
class _Import:
    stmt: ast.Import | ast.ImportFrom
    module: str  # absolute module imported from ("torch", "grader.checks._inputs")
    name: str | None  # the name taken from it; None for ``import x`` / a module alias


@dataclass
class Module:
    """One parsed module of the package being cut."""

    name: str  # "check_ex02_shapes", "__init__", "_inputs"
    source: str
    tree: ast.Module
    defs: dict[str, ast.stmt] = field(default_factory=dict)
    imports: dict[str, _Import] = field(default_factory=dict)
    future: bool = False

    @property
    def file(self) -> str:
        return f"{self.name}.py"

    def lines(self, node: ast.stmt) -> list[str]:
        """The source lines of ``node``, decorators included."""
        decorators = getattr(node, "decorator_list", [])
        start = min([node.lineno, *(d.lineno for d in decorators)])
        return self.source.splitlines()[start - 1 : node.end_lineno or node.lineno]


def parse_module(path: Path, package: str, siblings: set[str]) -> Module:
    """Parse ``path`` (a module of ``package`` whose modules are ``siblings``)."""
    source = path.read_text(encoding="utf-8")
    module = Module(path.stem, source, ast.parse(source, filename=str(path)))
    for index, stmt in enumerate(module.tree.body):
        if index == 0 and _is_docstring(stmt):
            continue
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            module.future = True
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            for alias in stmt.names:
                bound = alias.asname or alias.name.split(".")[0]
                module.imports[bound] = _resolve(stmt, alias, package, siblings)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            module.defs[stmt.name] = stmt
        elif isinstance(stmt, ast.Assign | ast.AnnAssign):
            for name in _assigned(stmt):
                module.defs[name] = stmt
        else:
            raise CutError(
                f"{path.name}, line {stmt.lineno}: cannot tell which checks need this "
                f"{type(stmt).__name__} statement; move it into a function or a constant"
            )
    return module


def _resolve(
    stmt: ast.Import | ast.ImportFrom, alias: ast.alias, package: str, siblings: set[str]
) -> _Import:
    if isinstance(stmt, ast.Import):  # ``import a.b`` binds ``a``; ``import a.b as c`` binds a.b
        return _Import(stmt, alias.name if alias.asname else alias.name.split(".")[0], None)
    base = stmt.module or ""
    if stmt.level:  # relative: within the package (it has no subpackages)
        base = package + (f".{base}" if base else "")
    if base == package and alias.name in siblings:  # ``from grader.checks import _inputs``
        return _Import(stmt, f"{package}.{alias.name}", None)
    return _Import(stmt, base, alias.name)


def _is_docstring(stmt: ast.stmt) -> bool:
    value = getattr(stmt, "value", None)
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(value, ast.Constant)
        and isinstance(value.value, str)
    )


def _assigned(stmt: ast.Assign | ast.AnnAssign) -> list[str]:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


def _string_keyed(stmt: ast.stmt) -> ast.Dict | None:
    """The dict literal ``stmt`` assigns, when every key is a string constant."""
    value = getattr(stmt, "value", None)
    if not isinstance(stmt, ast.Assign | ast.AnnAssign) or not isinstance(value, ast.Dict):
        return None
    keys = value.keys
    if not keys or not all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in keys):
        return None
    return value


def secret_values(module: Module) -> list[str]:
    """The string values of the module's ``*SECRET`` constants (replaced when cut)."""
    values = []
    for name, stmt in module.defs.items():
        value = getattr(stmt, "value", None)
        if _SECRET_NAME.search(name) and isinstance(getattr(value, "value", None), str):
            values.append(value.value)  # type: ignore[union-attr]
    return values


def _references(nodes: Iterable[ast.AST]) -> Iterator[tuple[str, str | None]]:
    """(name, attribute) for every name the nodes use; attribute set for ``name.attr``."""
    for root in nodes:
        qualified: set[int] = set()  # the ``name`` of each ``name.attr``, reported with it
        for node in ast.walk(root):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                qualified.add(id(node.value))
                yield node.value.id, node.attr
            elif isinstance(node, ast.Name) and id(node) not in qualified:
                yield node.id, None


def _free_names(stmt: ast.stmt) -> Iterator[tuple[str, str | None]]:
    """The names a statement takes from its module (a function's own locals left out).

    Decorators, defaults and annotations are read in the module's scope; a
    function body sees its parameters and whatever it binds as its own.
    """
    if isinstance(stmt, ast.ClassDef):
        yield from _references([*stmt.decorator_list, *stmt.bases, *stmt.keywords])
        for member in stmt.body:
            yield from _free_names(member)
        return
    if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
        yield from _references([stmt])
        return
    args = stmt.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    params = [a for a in every if a is not None]
    outer: list[ast.AST] = [*stmt.decorator_list, *args.defaults]
    outer += [d for d in args.kw_defaults if d is not None]
    outer += [a.annotation for a in params if a.annotation is not None]
    outer += [stmt.returns] if stmt.returns is not None else []
    yield from _references(outer)
    own = {a.arg for a in params}
    shared: set[str] = set()
    for node in ast.walk(ast.Module(body=stmt.body, type_ignores=[])):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            own.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            own.add(node.name)
        elif isinstance(node, ast.arg):
            own.add(node.arg)
        elif isinstance(node, ast.alias):
            own.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, ast.Global | ast.Nonlocal):
            shared.update(node.names)
    for name, attr in _references(stmt.body):
        if name not in own or name in shared:
            yield name, attr


def _is_check(cls: ast.ClassDef | None, stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    return stmt.name.startswith("test") and (cls is None or cls.name.startswith("Test"))


# --------------------------------------------------------------------- closure


class _Closure:
    """What the kept checks need, followed across the package's modules."""

    def __init__(
        self,
        modules: dict[str, Module],
        keep: set[Key],
        package: str,
        forbidden: dict[tuple[str, str | None], str],
    ) -> None:
        self.modules = modules
        self.keep = keep
        self.package = package
        self.forbidden = forbidden
        self.names: dict[str, set[str]] = {name: set() for name in modules}
        self.imports: dict[str, set[str]] = {name: set() for name in modules}
        self.entries: dict[tuple[str, str], set[str]] = {}  # string-keyed dicts: kept keys
        self.problems: list[str] = []
        self._todo: list[tuple[str, str, str]] = []  # (module, name, which check needs it)

    def run(self) -> None:
        for module, cls, test in sorted(self.keep, key=lambda k: (k[0], k[1] or "", k[2])):
            why = "::".join(p for p in (f"{module}.py", cls, test) if p)
            self._todo.append((module, cls or test, why))
        self._drain()
        while self._more_entries():  # kept code may name more entries, which need more code
            self._drain()

    def members(self, module: str, cls: ast.ClassDef) -> list[ast.stmt]:
        """The class body without the checks that are not kept."""
        return [
            stmt
            for stmt in cls.body
            if not _is_check(cls, stmt)
            or (module, cls.name, getattr(stmt, "name", "")) in self.keep
        ]

    def kept_dict(self, module: str, stmt: ast.stmt) -> list[tuple[ast.expr, ast.expr]] | None:
        """The kept entries of a string-keyed dict constant; None if ``stmt`` is not one."""
        table = _string_keyed(stmt)
        if table is None:
            return None
        names = _assigned(stmt)  # type: ignore[arg-type]
        kept = self.entries.get((module, names[0]), set())
        pairs = zip(table.keys, table.values, strict=True)
        return [(k, v) for k, v in pairs if k is not None and getattr(k, "value", None) in kept]

    def _drain(self) -> None:
        while self._todo:
            self._need(*self._todo.pop())

    def _need(self, module: str, name: str, why: str) -> None:
        mod = self.modules[module]
        if name in self.names[module] or name in self.imports[module]:
            return
        if name in mod.imports:
            self._import(module, name, None, why)
            return
        if name not in mod.defs:
            return
        self.names[module].add(name)
        stmt = mod.defs[name]
        if isinstance(stmt, ast.ClassDef):
            stmt = ast.ClassDef(
                name=stmt.name,
                bases=stmt.bases,
                keywords=stmt.keywords,
                body=self.members(module, stmt),
                decorator_list=stmt.decorator_list,
            )
        elif _string_keyed(stmt) is not None:
            self.entries.setdefault((module, name), set())
            annotation = getattr(stmt, "annotation", None)
            stmt = ast.Expr(annotation) if annotation is not None else ast.Pass()
        for used, attr in _free_names(stmt):
            self._use(module, used, attr, why)

    def _use(self, module: str, used: str, attr: str | None, why: str) -> None:
        mod = self.modules[module]
        if used in mod.defs:
            self._todo.append((module, used, why))
        elif used in mod.imports:
            self._import(module, used, attr, why)

    def _import(self, module: str, bound: str, attr: str | None, why: str) -> None:
        found = self.modules[module].imports[bound]
        self.imports[module].add(bound)
        what = self.forbidden.get((found.module, found.name)) or self.forbidden.get(
            (found.module.split(".")[0], None)
        )
        if what:
            self.problems.append(f"{why} needs {what} (imported in {module}.py)")
            return
        target = self._target(found.module)
        if target is None:
            return  # a library, or another part of the program: not cut here
        if found.name is not None:  # ``from grader.checks._cache import memo``
            self._todo.append((target, found.name, why))
        elif attr is not None:  # ``inputs.logits`` through ``from grader.checks import _inputs``
            self._todo.append((target, attr, why))
        else:  # the module object itself escapes: it needs all of it
            self._todo.extend((target, name, why) for name in self.modules[target].defs)

    def _target(self, module: str) -> str | None:
        """The package's module that ``module`` names, if it is one of them."""
        if module == self.package:
            target = "__init__"
        elif module.startswith(self.package + "."):
            target = module[len(self.package) + 1 :]
        else:
            return None
        return target if target in self.modules else None

    def _more_entries(self) -> bool:
        grew = False
        for (module, name), kept in self.entries.items():
            strings = self._kept_strings(module)
            stmt = self.modules[module].defs[name]
            table = _string_keyed(stmt)
            assert table is not None
            for key, value in zip(table.keys, table.values, strict=True):
                text = getattr(key, "value", None)
                if isinstance(text, str) and text in strings and text not in kept:
                    kept.add(text)
                    grew = True
                    for used, attr in _references([value]):
                        self._use(module, used, attr, f"{module}.py::{name}[{text!r}]")
        return grew

    def _kept_strings(self, owner: str) -> set[str]:
        """Strings in the kept code of ``owner`` and of the modules importing from it."""
        found: set[str] = set()
        for module, names in self.names.items():
            if module != owner and not any(
                self._target(found_import.module) == owner
                for found_import in self.modules[module].imports.values()
            ):
                continue
            for name in names:
                stmt = self.modules[module].defs[name]
                if isinstance(stmt, ast.ClassDef):
                    nodes: list[ast.AST] = list(self.members(module, stmt))
                elif (pairs := self.kept_dict(module, stmt)) is not None:
                    nodes = [value for _, value in pairs]
                else:
                    nodes = [stmt]
                for root in nodes:
                    found.update(
                        n.value
                        for n in ast.walk(root)
                        if isinstance(n, ast.Constant) and isinstance(n.value, str)
                    )
        return found


# --------------------------------------------------------------------- rendering


def _import_group(module: str, first_party: str) -> int:
    """isort's sections: the standard library, third parties, then this program."""
    top = module.split(".")[0]
    if top == first_party:
        return 2
    return 0 if top in sys.stdlib_module_names else 1


def _render_import(stmt: ast.Import | ast.ImportFrom, aliases: list[ast.alias]) -> str:
    if isinstance(stmt, ast.Import):
        return "\n".join(ast.unparse(ast.Import(names=[alias])) for alias in aliases)
    line = ast.unparse(ast.ImportFrom(module=stmt.module, names=aliases, level=stmt.level))
    if len(line) <= 100:
        return line
    head = line.split(" import ", 1)[0]
    names = "".join(f"    {ast.unparse(alias)},\n" for alias in aliases)
    return f"{head} import (\n{names})"


def _render_imports(mod: Module, used: set[str], first_party: str) -> str:
    groups: dict[int, list[str]] = {}
    seen: set[int] = set()
    for found in mod.imports.values():
        stmt = found.stmt
        if id(stmt) in seen:
            continue
        seen.add(id(stmt))
        aliases = [a for a in stmt.names if (a.asname or a.name.split(".")[0]) in used]
        if aliases:
            group = _import_group(found.module, first_party)
            groups.setdefault(group, []).append(_render_import(stmt, aliases))
    return "\n\n".join("\n".join(groups[g]) for g in sorted(groups))


def _render_assign(
    mod: Module, stmt: ast.Assign | ast.AnnAssign, kept: set[str], closure: _Closure
) -> str:
    names = _assigned(stmt)
    if names == ["__all__"]:
        listed = [
            e.value
            for e in getattr(stmt.value, "elts", [])
            if isinstance(e, ast.Constant) and e.value in kept
        ]
        body = "".join(f"    {json.dumps(name)},\n" for name in listed)
        return f"__all__ = [\n{body}]" if listed else "__all__: list[str] = []"
    value = stmt.value
    if any(_SECRET_NAME.search(n) for n in names) and isinstance(value, ast.Constant):
        return (
            "# Not the course's secret: inputs drawn from seeds here differ from the grader's.\n"
            f"{names[0]} = {json.dumps(PUBLIC_SECRET)}"
        )
    pairs = closure.kept_dict(mod.name, stmt)
    if pairs is None:
        return "\n".join(mod.lines(stmt))
    head = ast.get_source_segment(mod.source, stmt) or ""
    head = head.split("=", 1)[0].rstrip()
    entries = "".join(
        f"    {ast.get_source_segment(mod.source, k)}: {ast.get_source_segment(mod.source, v)},\n"
        for k, v in pairs
    )
    return f"{head} = {{\n{entries}}}" if entries else f"{head} = {{}}"


def _render(mod: Module, closure: _Closure, header: str, first_party: str) -> str:
    kept = closure.names[mod.name]
    parts = [header]
    if mod.future:
        parts.append("from __future__ import annotations")
    imports = _render_imports(mod, closure.imports[mod.name], first_party)
    if imports:
        parts.append(imports)
    body: list[str] = []
    for stmt in mod.tree.body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign):
            names = set(_assigned(stmt))
            if names & kept or (names == {"__all__"} and kept):
                body.append(_render_assign(mod, stmt, kept, closure))
        elif isinstance(stmt, ast.ClassDef) and stmt.name in kept:
            body.append(_render_class(mod, stmt, closure))
        elif getattr(stmt, "name", None) in kept:
            body.append("\n".join(mod.lines(stmt)))
    text = "\n\n".join(part.strip("\n") for part in parts)
    if body:
        first_is_def = body[0].lstrip().startswith(("def ", "class ", "@", "async def "))
        text += "\n\n\n" if imports and first_is_def else "\n\n"
        text += "\n\n\n".join(part.strip("\n") for part in body)
    return text + "\n"


def _render_class(mod: Module, cls: ast.ClassDef, closure: _Closure) -> str:
    first = cls.body[0]
    body_start = min([first.lineno, *(d.lineno for d in getattr(first, "decorator_list", []))])
    head_start = min([cls.lineno, *(d.lineno for d in cls.decorator_list)])
    head = mod.source.splitlines()[head_start - 1 : body_start - 1]
    members = ["\n".join(mod.lines(stmt)) for stmt in closure.members(mod.name, cls)]
    return "\n".join(head).rstrip() + "\n" + "\n\n".join(members)


# --------------------------------------------------------------------- the entry point


def cut(
    modules: dict[str, Module],
    keep: set[Key],
    *,
    package: str,
    forbidden: dict[tuple[str, str | None], str],
    headers: dict[str, str],
) -> tuple[dict[str, str], list[str]]:
    """({file: text} for every module with something kept, problems).

    ``keep`` names the checks to keep; ``forbidden`` maps (module, name) imports
    (name None: the whole top-level package) to what they are, and any kept
    code that reaches one is a problem. ``headers`` gives each module's text
    before its imports (comment and docstring); ``__init__`` is always written.
    """
    closure = _Closure(modules, keep, package, forbidden)
    closure.run()
    first_party = package.split(".")[0]
    files = {
        mod.file: _render(mod, closure, headers[name], first_party)
        for name, mod in modules.items()
        if name == "__init__" or closure.names[name]
    }
    return files, sorted(set(closure.problems))
