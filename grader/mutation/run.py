"""``grader mutants``: do the hidden checks fail wrong solutions?

1. *Plan*: for every graded function, the AST operators' variants of its
   reference and the assignment's catalogue of realistic mistakes.
2. *Screen*: each variant is run beside the reference on random cases
   (:mod:`grader.mutation.equivalence`); one that never differs is
   equivalent and leaves the count. The first case that differs is kept: it
   is the input a check needs to tell the two apart.
3. *Grade*: every other variant becomes a submission (the reference
   solutions with that one exercise module swapped) and is graded like any
   submission, through the sandbox, by ``grade_class`` with its judges in
   parallel; each exercise's variants are graded on that exercise only. A
   variant is *killed* when any check of its exercise loses points.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader.assignment import Assignment
from grader.mutation import content
from grader.mutation.equivalence import Difference, first_difference, load_module
from grader.mutation.operators import Variant, generate

EQUIVALENT, DIFFERS, KILLED, SURVIVED, ACCEPTED, UNSCREENED = (
    "equivalent", "differs", "killed", "survived", "accepted", "unscreened"
)  # fmt: skip


@dataclass
class Outcome:
    exercise: str
    variant: Variant
    status: str = UNSCREENED
    difference: Difference | None = None
    failed: tuple[str, ...] = ()  # the checks that caught it
    reason: str = ""  # why an accepted survivor is allowed
    screened: bool = False  # the inputs file had calls for its function


@dataclass
class MutationReport:
    outcomes: list[Outcome]
    threshold: float
    stale: list[str] = field(default_factory=list)  # accepted ids that no longer survive

    def counted(self, function: str | None = None) -> list[Outcome]:
        """Variants that are wrong under the contract (not equivalent, not accepted)."""
        return [
            o for o in self.outcomes
            if o.status in (KILLED, SURVIVED) and function in (None, o.variant.function)
        ]  # fmt: skip

    def score(self, function: str | None = None) -> float:
        counted = self.counted(function)
        return 1.0 if not counted else sum(o.status == KILLED for o in counted) / len(counted)

    @property
    def survivors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == SURVIVED]

    @property
    def passed(self) -> bool:
        return self.score() >= self.threshold

    def functions(self) -> list[str]:
        return list(dict.fromkeys(o.variant.function for o in self.outcomes))


def plan(
    assignment: Assignment, functions: Iterable[str] | None = None
) -> list[tuple[str, Variant]]:
    """Every variant of the chosen graded functions (all of them by default)."""
    wanted = set(functions) if functions is not None else None
    planned = []
    for exercise in assignment.exercises.values():
        source = (assignment.solutions_dir / f"{exercise.name}.py").read_text(encoding="utf-8")
        chosen = [f for f in exercise.functions if wanted is None or f in wanted]
        for function in chosen:
            planned += [(exercise.name, v) for v in generate(source, function)]
        planned += [
            (exercise.name, v)
            for v in content.catalogue(assignment, exercise.name, source)
            if v.function in chosen
        ]
    return planned


def screen(
    assignment: Assignment, planned: Sequence[tuple[str, Variant]], *, count: int = 24
) -> list[Outcome]:
    """Run each variant beside its reference; mark the equivalent ones."""
    inputs = content.inputs_module(assignment)
    observe = getattr(inputs, "OBSERVE", {}) if inputs is not None else {}
    outcomes = []
    for exercise, variant in planned:
        outcome = Outcome(exercise, variant)
        calls = getattr(inputs, variant.function, None) if inputs is not None else None
        if calls is not None:
            outcome.screened = True
            reference = getattr(assignment.reference(exercise), variant.function)
            try:
                module = load_module(variant.source, f"variant_{exercise}")
                candidate = getattr(module, variant.function)
            except Exception as error:  # fails on import: no check could miss it
                outcome.difference = Difference("import", "import", "imports", type(error).__name__)
                outcome.status = DIFFERS
            else:
                view = observe.get(variant.function)
                if view is not None:
                    reference, candidate = _through(view, reference), _through(view, candidate)
                outcome.difference = first_difference(reference, candidate, calls, count=count)
                # A catalogue mistake is wrong by the staff's word (a forbidden shortcut
                # gives the right numbers), so only the operators' variants are dropped.
                wrong = outcome.difference or variant.operator == "catalogue"
                outcome.status = DIFFERS if wrong else EQUIVALENT
        outcomes.append(outcome)
    return outcomes


def _through(view: Callable[[object], object], fn: Callable[..., object]) -> Callable[..., object]:
    return lambda *args, **kwargs: view(fn(*args, **kwargs))


def grade(
    assignment: Assignment,
    outcomes: Sequence[Outcome],
    *,
    jobs: int = 1,
    require: str | None = None,
    workdir: Path | None = None,
) -> None:
    """Grade every non-equivalent variant as a submission; mark it killed or survived."""
    from grader.batch import grade_class
    from grader.sandbox.trusted.spawner import HostTemplate

    todo = [o for o in outcomes if o.status != EQUIVALENT]
    if not todo:
        return
    root = Path(workdir or tempfile.mkdtemp(prefix="grader-mutants-"))
    by_exercise: dict[str, list[tuple[Path, Outcome]]] = {}
    for index, outcome in enumerate(todo):
        submission = root / "submissions" / f"variant{index:04d}"
        submission.mkdir(parents=True, exist_ok=True)
        for name in assignment.exercises:
            original = assignment.solutions_dir / f"{name}.py"
            if name == outcome.exercise:
                (submission / original.name).write_text(outcome.variant.source, encoding="utf-8")
            elif original.is_file():
                shutil.copyfile(original, submission / original.name)
        by_exercise.setdefault(outcome.exercise, []).append((submission, outcome))
    template = HostTemplate.start(log=None, spares=1)
    try:
        for exercise, pairs in by_exercise.items():
            results = grade_class(
                [path for path, _ in pairs],
                root / "reports" / exercise,
                jobs=jobs,
                require=require,
                resume=False,
                exercises=[exercise],
                template=template,
            )
            by_name = {result.submission: result for result in results}
            for path, outcome in pairs:
                result = by_name.get(path.name)
                if result is None or result.status != "graded":
                    reason = result.reason if result is not None else "no result"
                    outcome.status, outcome.failed = KILLED, (f"not gradable: {reason}",)
                    continue
                lost = [
                    c.name for c in result.checks
                    if c.exercise == exercise and c.points < c.max_points
                ]  # fmt: skip
                outcome.status = KILLED if lost else SURVIVED
                outcome.failed = tuple(lost)
    finally:
        template.close()
        if workdir is None:
            shutil.rmtree(root, ignore_errors=True)


def run_mutants(
    assignment: Assignment,
    *,
    functions: Iterable[str] | None = None,
    jobs: int = 1,
    require: str | None = None,
    cases: int = 24,
) -> MutationReport:
    """Plan, screen, grade and score; accepted survivors are marked with their reason."""
    config = assignment.mutants
    threshold = config.threshold if config is not None else 1.0
    outcomes = screen(assignment, plan(assignment, functions), count=cases)
    grade(assignment, outcomes, jobs=jobs, require=require)
    allowed = content.accepted(assignment)
    seen = set()
    for outcome in outcomes:
        entry = allowed.get(outcome.variant.id)
        if entry is not None:
            seen.add(entry.id)
            if outcome.status == SURVIVED:
                outcome.status, outcome.reason = ACCEPTED, entry.reason
    planned_ids = {o.variant.id for o in outcomes}
    stale = sorted(
        i for i in allowed if i in planned_ids and not any(
            o.variant.id == i and o.status == ACCEPTED for o in outcomes
        )
    )  # fmt: skip
    return MutationReport(outcomes, threshold, stale)
