"""The plain-text mutation report: per function, overall, then each survivor and its input."""

from __future__ import annotations

import sys
from typing import TextIO

from grader.mutation.run import ACCEPTED, EQUIVALENT, MutationReport


def one_line(report: MutationReport) -> str:
    """``mutation score 98.4% (310/315 killed; 31 equivalent, 2 accepted; threshold 98%)``."""
    counted = report.counted()
    killed = sum(o.status == "killed" for o in counted)
    equivalent = sum(o.status == EQUIVALENT for o in report.outcomes)
    accepted = sum(o.status == ACCEPTED for o in report.outcomes)
    return (
        f"mutation score {report.score():.1%} ({killed}/{len(counted)} killed; "
        f"{equivalent} equivalent, {accepted} accepted; threshold {report.threshold:.0%})"
    )


def print_report(report: MutationReport, out: TextIO | None = None) -> None:
    out = out or sys.stdout  # read at call time: a test may have swapped it
    width = max((len(f) for f in report.functions()), default=8)
    print(f"{'function':<{width}}  killed  score", file=out)
    for function in report.functions():
        counted = report.counted(function)
        killed = sum(o.status == "killed" for o in counted)
        print(
            f"{function:<{width}}  {killed:>3}/{len(counted):<3} {report.score(function):>6.1%}",
            file=out,
        )
    print(one_line(report), file=out)
    for outcome in report.survivors:
        variant = outcome.variant
        print(f"SURVIVED {variant.id}: {variant.description}", file=out)
        if outcome.difference is not None:
            print(f"    told apart by {outcome.difference}", file=out)
        elif not outcome.screened:
            print("    (no inputs for this function in the inputs file: not screened)", file=out)
        else:
            print("    (same values as the reference on the random inputs)", file=out)
    for outcome in report.outcomes:
        if outcome.status == ACCEPTED:
            print(f"accepted {outcome.variant.id}: {outcome.reason}", file=out)
    for stale in report.stale:
        print(f"note: accepted survivor {stale} is now killed; remove it from the list", file=out)
    verdict = "passed" if report.passed else "FAILED"
    print(
        f"{verdict}: {report.score():.1%} against a threshold of {report.threshold:.0%}", file=out
    )
