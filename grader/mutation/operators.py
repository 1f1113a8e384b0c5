"""AST operators: the small, generic slips a student makes, applied to a reference function.

Each operator walks one top-level function of a reference module and offers
*sites*: the places it could change. :func:`generate` applies one site at a
time to a fresh parse, so every variant differs from the reference in exactly
one place. The operators know PyTorch idioms (``dim``, ``keepdim``, ``mean``,
``zero_grad``, ``no_grad``, dtypes) but no course.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

# A site changer gets the node it was offered and returns its replacement
# (a node, a list of statements, or None to delete the statement).
# Takes the node to change (typed loosely: each operator knows which node kind it got)
# and returns its replacement: a node, a list of statements, or None to delete it.
Change = Callable[..., Any]


@dataclass(frozen=True)
class Variant:
    """One wrong version of ``function``: the whole module's source with one change."""

    id: str  # "norm:drop-keepdim@62:27", stable while the reference is unchanged
    function: str
    operator: str
    description: str
    source: str


SWAP_DIM = {0: 1, 1: 0, -1: 0, -2: -1}
FLIP_COMPARE: dict[type, type] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
}  # fmt: skip
FLIP_SIGN: dict[type, type] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
}
REDUCTIONS = {"mean": "sum", "sum": "mean"}
DROPPED_CALLS = {"zero_grad", "eval", "train", "manual_seed", "step", "backward"}
DTYPE_SWAP = {
    "float32": "float64", "float": "float64", "float64": "float32", "double": "float32",
    "long": "int32", "int64": "int32", "int32": "int64", "bool": "uint8",
}  # fmt: skip
DTYPE_METHODS = {"float": "double", "double": "float", "long": "int", "int": "long"}


def _const(value: Any) -> ast.Constant:
    return ast.Constant(value=value)


def _name_of_call(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute):
            return func.attr
        if isinstance(func, ast.Name):
            return func.id
    return None


def _sites(fn: ast.FunctionDef) -> Iterator[tuple[str, str, ast.AST, Change]]:
    """Every (operator, description, node, change) the operators offer inside ``fn``."""
    params = [a for a in fn.args.args + fn.args.kwonlyargs]
    defaults = dict(zip([a.arg for a in fn.args.args][::-1], fn.args.defaults[::-1], strict=False))
    defaults.update(
        {a.arg: d for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True) if d}
    )
    for node in ast.walk(fn):
        line = f"line {getattr(node, 'lineno', '?')}"
        # ignore a parameter: its uses read the default instead (or nothing is passed on)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in defaults:
            default = defaults[node.id]
            yield (
                "ignore-parameter",
                f"{line}: `{node.id}` replaced by its default {ast.unparse(default)}",
                node,
                lambda _n, d=default: copy.deepcopy(d),
            )
        if isinstance(node, ast.Call):
            called = _name_of_call(node)
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg == "dim":
                    yield "drop-dim", f"{line}: `{called}` without dim=", node, _drop_kw("dim")
                    number = _int_value(value)
                    if number in SWAP_DIM:
                        yield (
                            "swap-dim",
                            f"{line}: `{called}` over dim={SWAP_DIM[number]} instead of {number}",
                            value,
                            lambda _n, v=SWAP_DIM[number]: _const(v),
                        )
                elif keyword.arg == "keepdim":
                    yield (
                        "drop-keepdim",
                        f"{line}: `{called}` without keepdim=",
                        node,
                        _drop_kw("keepdim"),
                    )
                elif keyword.arg == "dtype":
                    yield (
                        "drop-dtype",
                        f"{line}: `{called}` without dtype=",
                        node,
                        _drop_kw("dtype"),
                    )
            if called in REDUCTIONS:
                other = REDUCTIONS[called]
                yield "mean-sum", f"{line}: {other} instead of {called}", node.func, _rename(other)
            if called in DTYPE_METHODS and not node.args:
                other = DTYPE_METHODS[called]
                yield (
                    "change-dtype",
                    f"{line}: .{other}() instead of .{called}()",
                    node.func,
                    _rename(other),
                )
        if isinstance(node, ast.Attribute) and node.attr in DTYPE_SWAP:
            base = node.value
            if isinstance(base, ast.Name) and base.id == "torch":
                other = DTYPE_SWAP[node.attr]
                yield (
                    "change-dtype",
                    f"{line}: torch.{other} instead of torch.{node.attr}",
                    node,
                    (lambda n, o=other: ast.Attribute(value=n.value, attr=o, ctx=ast.Load())),
                )
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            literal: float = node.value  # type: ignore[assignment]  # an int or float here
            if isinstance(literal, int):
                for delta in (1, -1):
                    yield (
                        "off-by-one",
                        f"{line}: {literal + delta} instead of {literal}",
                        node,
                        lambda _n, v=literal + delta: _const(v),
                    )
            else:
                changed = 0.0 if literal else 1.0
                yield (
                    "change-constant",
                    f"{line}: {changed} instead of {literal}",
                    node,
                    (lambda _n, v=changed: _const(v)),
                )
                if literal:
                    yield (
                        "change-constant",
                        f"{line}: {literal * 10} instead of {literal}",
                        node,
                        (lambda _n, v=literal * 10: _const(v)),
                    )
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            comparison = type(node.ops[0])
            if comparison in FLIP_COMPARE:
                yield (
                    "flip-comparison",
                    f"{line}: `{ast.unparse(node)}` flipped",
                    node,
                    (
                        lambda n, o=FLIP_COMPARE[comparison]: ast.Compare(
                            n.left, [o()], n.comparators
                        )
                    ),
                )
            if comparison in (ast.IsNot, ast.Is) and _is_none(node.comparators[0]):
                yield (
                    "truthiness",
                    f"{line}: `{ast.unparse(node)}` as a truth test",
                    node,
                    (
                        lambda n, o=comparison: (
                            n.left if o is ast.IsNot else ast.UnaryOp(ast.Not(), n.left)
                        )
                    ),
                )
        if isinstance(node, ast.BinOp):
            op = type(node.op)
            if op in FLIP_SIGN:
                yield (
                    "flip-sign",
                    f"{line}: `{ast.unparse(node)}` with the other operator",
                    node,
                    (lambda n, o=FLIP_SIGN[op]: ast.BinOp(n.left, o(), n.right)),
                )
            if op in (ast.Add, ast.Sub):
                yield (
                    "drop-term",
                    f"{line}: `{ast.unparse(node.right)}` dropped",
                    node,
                    (lambda n: n.left),
                )
                yield (
                    "drop-term",
                    f"{line}: `{ast.unparse(node.left)}` dropped",
                    node,
                    (
                        lambda n: (
                            n.right
                            if isinstance(n.op, ast.Add)
                            else ast.UnaryOp(ast.USub(), n.right)
                        )
                    ),
                )
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            yield (
                "flip-sign",
                f"{line}: sign of `{ast.unparse(node)}` dropped",
                node,
                (lambda n: n.operand),
            )
        if isinstance(node, ast.Expr) and _name_of_call(node.value) in DROPPED_CALLS:
            yield "drop-call", f"{line}: `{ast.unparse(node)}` left out", node, lambda _n: None
        if isinstance(node, ast.With) and any(
            _name_of_call(item.context_expr) in ("no_grad", "inference_mode") for item in node.items
        ):
            yield (
                "drop-no-grad",
                f"{line}: body run outside `{ast.unparse(node.items[0])}`",
                node,
                (lambda n: n.body),
            )
    if params:
        first = params[0].arg
        yield (
            "return-input",
            f"returns `{first}` unchanged",
            fn,
            (lambda n, p=first: _replace_body(n, p)),
        )


def _int_value(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _int_value(node.operand)
        return None if inner is None else -inner
    return None


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _drop_kw(name: str) -> Change:
    def change(node: ast.AST) -> ast.AST:
        assert isinstance(node, ast.Call)
        node.keywords = [k for k in node.keywords if k.arg != name]
        return node

    return change


def _rename(attr: str) -> Change:
    def change(node: ast.AST) -> ast.AST:
        if isinstance(node, ast.Attribute):
            node.attr = attr
        elif isinstance(node, ast.Name):
            node.id = attr
        return node

    return change


def _replace_body(fn: ast.AST, param: str) -> ast.AST:
    assert isinstance(fn, ast.FunctionDef)
    doc = fn.body[:1] if ast.get_docstring(fn) is not None else []
    fn.body = [*doc, ast.Return(value=ast.Name(id=param, ctx=ast.Load()))]
    return fn


class _Replace(ast.NodeTransformer):
    """Swap the one node that is ``target`` (by identity) for ``change(target)``."""

    def __init__(self, target: ast.AST, change: Change) -> None:
        self.target, self.change = target, change

    def visit(self, node: ast.AST) -> object:
        if node is self.target:
            return self.change(node)
        return self.generic_visit(node)


def _function(tree: ast.Module, name: str) -> ast.FunctionDef:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise KeyError(name)


def _is_docstring(fn: ast.FunctionDef, node: ast.AST) -> bool:
    return bool(fn.body) and isinstance(fn.body[0], ast.Expr) and fn.body[0].value is node


def generate(source: str, function: str) -> list[Variant]:
    """Every single-change variant of ``function`` in the module ``source``.

    Raises ``KeyError`` when the module has no top-level function of that name.
    """
    count = sum(1 for _ in _sites(_function(ast.parse(source), function)))
    variants: list[Variant] = []
    seen: set[str] = {ast.unparse(ast.parse(source))}
    for index in range(count):
        tree = ast.parse(source)
        fn = _function(tree, function)
        operator, description, node, change = list(_sites(fn))[index]
        if _is_docstring(fn, node):
            continue
        where = f"{getattr(node, 'lineno', fn.lineno)}:{getattr(node, 'col_offset', 0)}"
        if node is fn:
            _replace_body(fn, description.split("`")[1])
        else:
            _Replace(node, change).visit(fn)
        ast.fix_missing_locations(tree)
        try:
            mutated = ast.unparse(tree)
            compile(mutated, "<variant>", "exec")
        except (SyntaxError, ValueError, TypeError):
            continue
        if mutated in seen:  # two sites that make the same program
            continue
        seen.add(mutated)
        variant_id = f"{function}:{operator}@{where}"
        suffix = sum(1 for v in variants if v.id.split("#")[0] == variant_id)
        variants.append(
            Variant(
                f"{variant_id}#{suffix + 1}" if suffix else variant_id,
                function,
                operator,
                description,
                mutated,
            )
        )
    return variants


def replace_function(source: str, function: str, replacement: ast.FunctionDef) -> str:
    """``source`` with its top-level ``function`` swapped for ``replacement`` (renamed)."""
    tree = ast.parse(source)
    for index, node in enumerate(tree.body):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            new = copy.deepcopy(replacement)
            new.name = function
            tree.body[index] = new
            return ast.unparse(ast.fix_missing_locations(tree))
    raise KeyError(function)
