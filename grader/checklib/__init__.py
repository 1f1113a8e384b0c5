"""What an assignment's checks build on: judging helpers for torch code.

An assignment's checks are plain pytest modules (``check_*.py`` in the folder
its ``assignment.toml`` names) run by ``grader.plugin`` in the trusted parent;
never shipped to students, never imported in a worker. Each check carries
``@pytest.mark.grade(...)`` and fails by raising
:class:`grader.compare.CheckFailed`; grouped in one class per graded
function, a check's id reads ``ex02_shapes.normalize_rows.rows_sum_to_one``.

This package holds no course: the "by hand" rule (its forbidden shortcuts
come from the assignment file), rows that must sum to one, inputs that must
come back unchanged, model states, and recognisers for common mistakes (each
names its mistake code). ``inputs`` makes hidden inputs from secret seeds;
``cache`` memoises expected values. It ships whole in the student bundle, so
it must hold nothing hidden.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

from grader.assignment import current
from grader.checklib.cache import memo
from grader.compare import CheckFailed, describe_type, expect_tensor, fmt_number
from grader.handcheck import called_helpers, require_by_hand
from grader.sandbox.confined.tracer import Trace, forbidden_ran

__all__ = [
    "by_hand",
    "close",
    "expect_form",
    "expect_linear_stack",
    "expect_pair",
    "expect_seeded_state",
    "expect_state",
    "expect_trained_state",
    "expect_unchanged",
    "finite_or_unstable",
    "lesson_constant",
    "reference_state",
    "rows_sum_to_one",
    "same_trained_state",
]


def by_hand(
    student: Any,
    exercise: str,
    function: str,
    trace: Trace | None = None,
    *,
    forbidden: Sequence[str] | None = None,
    hint: str | None = None,
) -> None:
    """Fail when ``function`` reached one of its forbidden shortcuts.

    ``trace`` is what the worker recorded while the check ran the function
    (``handle.traced(...)`` or ``handle.traced_probe(...)``): the run-time
    record decides, so a shortcut reached by a computed name, ``importlib``,
    ``vars(nn)`` or a reference stashed in ``builtins`` is seen, and a record
    the student's code switched off or covered fails the check. The source
    scan runs first and still fails a shortcut it can read (one on a branch
    the check's input does not take, say), in the student's own words.
    ``forbidden`` and ``hint`` default to the function's ``[by_hand]`` table.

    Other by-hand functions of the exercise that ``function`` calls are not
    judged again: their own by-hand check judges them, so a shortcut costs one
    check (at run time, the shortcuts forbidden to such a helper are not held
    against a function whose source calls it).
    """
    assignment = current()
    rules = assignment.by_hand
    if forbidden is None:
        if function not in rules:
            raise KeyError(f"{function} has no [by_hand.{function}] table in the assignment file")
        forbidden = rules[function].forbidden
    if hint is None:
        hint = rules[function].hint if function in rules else ""
    graded = assignment.exercises[exercise].functions
    helpers = [name for name in graded if name in rules and name != function]
    source = student.source(exercise)
    require_by_hand(source, function, forbidden, skip=helpers, exercise_hint=hint)
    if trace is None:
        return
    tail = f". {hint}" if hint else ""
    if trace.tampered:
        raise CheckFailed(
            f"{function} switched off or covered the grader's record of the torch operations "
            f"it runs, so it cannot be shown to be written by hand{tail}",
            mistake="trace_tampered",
        )
    called = set(called_helpers(source, function, helpers))
    excused = {name for h in called for name in rules[h].forbidden}
    ran = forbidden_ran(trace, [name for name in forbidden if name not in excused])
    if ran:
        raise CheckFailed(
            f"{function} must be written by hand but {ran[0]} ran while it was called (reached "
            f"without writing its name: through getattr, importlib or a stored reference){tail}",
            mistake=f"shortcut_used:{ran[0]}",
        )


def close(got: Any, target: torch.Tensor, *, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    """Whether ``got`` is a tensor of ``target``'s shape, finite and close to it."""
    if not isinstance(got, torch.Tensor) or tuple(got.shape) != tuple(target.shape):
        return False
    if got.dtype.is_complex or got.dtype == torch.bool:
        return False
    a, b = got.to(torch.float64), target.to(torch.float64)
    return bool(torch.isfinite(a).all()) and bool(((a - b).abs() <= atol + rtol * b.abs()).all())


def rows_sum_to_one(got: torch.Tensor, *, what: str, atol: float = 1e-4) -> None:
    """Each row (over the last dimension) of ``got`` must sum to 1 and lie in [0, 1]."""
    sums = got.to(torch.float64).sum(dim=-1).reshape(-1)
    worst = int(torch.argmax((sums - 1).abs()))
    if not abs(float(sums[worst]) - 1) <= atol:
        raise CheckFailed(
            f"rows of {what} sum to {fmt_number(float(sums[worst]))}, not 1 (row {worst}): "
            "normalise over the last dimension"
        )
    if bool((got < -atol).any()) or bool((got > 1 + atol).any()):
        raise CheckFailed(f"{what} returned values outside [0, 1]; probabilities cannot be")


def expect_unchanged(after: Any, before: torch.Tensor, *, what: str, argument: str) -> None:
    """The argument ``argument`` of ``what`` must come back as it was sent."""
    if not isinstance(after, torch.Tensor) or not torch.equal(after, before):
        changed = ""
        if isinstance(after, torch.Tensor) and after.shape == before.shape:
            diff = (after.to(torch.float64) - before.to(torch.float64)).abs()
            changed = f" (max change {fmt_number(float(torch.nan_to_num(diff, nan=1e9).max()))})"
        raise CheckFailed(
            f"{what} changed its argument {argument} in place{changed}; compute on a new "
            f"tensor (x = x - m, not x -= m) so the caller's {argument} stays as it was",
            mistake="input_mutated",
        )


def expect_pair(got: Any, *, what: str, names: Sequence[str]) -> tuple[Any, ...]:
    """``got`` must be a tuple (or list) of ``len(names)`` items; return them."""
    if not isinstance(got, tuple | list):
        raise CheckFailed(
            f"{what} must return a tuple ({', '.join(names)}), got {describe_type(got)}"
        )
    if len(got) != len(names):
        raise CheckFailed(
            f"{what} must return {len(names)} values ({', '.join(names)}), got {len(got)}"
        )
    return tuple(got)


def finite_or_unstable(got: Any, *, what: str) -> None:
    """Name ``unstable_softmax`` when a tensor from logits near 1000 holds NaN or Inf."""
    floating = isinstance(got, torch.Tensor) and got.dtype.is_floating_point
    if floating and not bool(torch.isfinite(got).all()):
        raise CheckFailed(
            f"{what} returned NaN or Inf for logits near 1000 (exp overflowed, or a "
            "probability underflowed to 0 before its log): subtract each row's max before "
            "exp, or use log-sum-exp",
            mistake="unstable_softmax",
        )


def lesson_constant(
    got: Any, lesson: torch.Tensor, expected: torch.Tensor, *, what: str, atol: float = 1e-4
) -> None:
    """Name ``lesson_constant`` when ``got`` is the lesson's printed output, not this input's."""
    if close(expected, lesson, atol=atol, rtol=0):
        return  # this input happens to have the lesson's answer: nothing to tell apart
    flat = got.reshape(-1) if isinstance(got, torch.Tensor) else got
    if isinstance(flat, torch.Tensor) and close(flat, lesson.reshape(-1), atol=atol, rtol=0):
        values = lesson.reshape(-1)[:6].tolist()
        shown = ", ".join(str(v) if isinstance(v, int) else fmt_number(v) for v in values)
        raise CheckFailed(
            f"{what} returned the lesson's printed result ({shown}) for a different input: "
            "compute it from the arguments instead of copying numbers from the lesson",
            mistake="lesson_constant",
        )


def expect_form(
    got: Any, shape: Sequence[int], *, what: str, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Type, shape, dtype and finiteness only: for checks that judge a property, not values."""
    return expect_tensor(got, torch.zeros(tuple(shape), dtype=dtype), what=what, atol=math.inf)


def _layers_text(layers: list[list[Any]]) -> str:
    parts = []
    for entry in layers:
        if entry and entry[0] == "linear":
            parts.append(f"Linear({entry[1]}, {entry[2]})")
        elif entry and entry[0] == "other":
            parts.append(str(entry[1]).rsplit(".", 1)[-1])
        else:
            parts.append(str(entry[0]).replace("_", " ").title().replace(" ", ""))
    return ", ".join(parts) or "no layers"


def expect_linear_stack(report: dict[str, Any], sizes: Sequence[int], *, call: str) -> None:
    """A built model must be exactly Linear layers ``sizes[0] -> sizes[1] -> ...``.

    ``report`` is what the ``core_build_net`` probe saw; biases are required
    and no activation may sit between the layers.
    """
    if not report.get("is_module"):
        raise CheckFailed(f"{call} must return an nn.Sequential, got {report.get('type')}")
    pairs = list(itertools.pairwise(sizes))
    wanted = [["linear", a, b, True] for a, b in pairs]
    if report["layers"] != wanted:
        layers = ", ".join(f"Linear({a}, {b})" for a, b in pairs)
        raise CheckFailed(
            f"{call} should hold {layers} with no activation between; "
            f"got {_layers_text(report['layers'])}"
        )


def expect_state(got: dict[str, Any], expected: dict[str, torch.Tensor], *, call: str) -> None:
    """Parameters named as in ``expected``, each equal to it."""
    if sorted(got) != sorted(expected):
        raise CheckFailed(f"{call} has parameters {sorted(got)} but expected {sorted(expected)}")
    for name, value in expected.items():
        expect_tensor(got[name], value, what=f"the {name} of {call}", atol=0, rtol=0)


def same_trained_state(got: Any, expected: dict[str, torch.Tensor]) -> bool:
    """Whether ``got`` holds the parameters of ``expected``, within training's float noise."""
    return (
        isinstance(got, dict)
        and set(got) == set(expected)
        and all(close(got[k], v, rtol=1e-4, atol=1e-6) for k, v in expected.items())
    )


def expect_trained_state(got: Any, expected: dict[str, torch.Tensor], *, when: str) -> None:
    """Parameters after training equal ``expected`` within training's float noise."""
    if not isinstance(got, dict) or set(got) != set(expected):
        raise CheckFailed(f"the model's parameters {when} are not the ones it started with")
    for key, value in expected.items():
        expect_tensor(got[key], value, what=f"parameter {key} {when}", rtol=1e-4, atol=1e-6)


@memo
def reference_state(
    build: Callable[..., Any], sizes: tuple[int, ...], seed: int
) -> dict[str, torch.Tensor]:
    """The state of ``build(*sizes, seed=seed)``, leaving the parent's RNG as it was."""
    with torch.random.fork_rng(devices=[]):
        net = build(*sizes, seed=seed)
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def expect_seeded_state(
    got: dict[str, Any],
    build: Callable[..., Any],
    sizes: tuple[int, ...],
    seed: int,
    *,
    lesson_seed: int,
    call: str,
) -> None:
    """The state a seeded build returned must be the reference's for that seed.

    Names ``lesson_constant`` when it is the lesson seed's state instead. A
    ``seed`` of 0 is a seed like any other: probe it with a worker seed that
    is not 0 (:func:`grader.checklib.inputs.worker_seed`), so a build that
    tests ``if seed:`` and skips seeding shows.
    """
    lesson = reference_state(build, sizes, lesson_seed)
    if sorted(got) == sorted(lesson) and all(torch.equal(got[k], lesson[k]) for k in lesson):
        raise CheckFailed(
            f"{call} always seeds with the lesson's {lesson_seed}: call "
            "torch.manual_seed(seed) with the seed you are given",
            mistake="lesson_constant",
        )
    try:
        expect_state(got, reference_state(build, sizes, seed), call=call)
    except CheckFailed as failed:
        if seed == 0:
            raise CheckFailed(
                f"{failed.message}. seed=0 is a seed too: test `seed is not None`, not "
                "`if seed:`, then call torch.manual_seed(seed)"
            ) from None
        raise CheckFailed(
            f"{failed.message}. With a seed, call torch.manual_seed(seed) first, then build "
            "the layers in order"
        ) from None
