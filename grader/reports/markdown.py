"""``feedback.md``: what the student reads, in Markdown (Gradescope, GitHub, an editor).

The content and its order come from :mod:`grader.reports.outline` (what to fix
first, then failures grouped by function, then what passed), so this page and
``feedback.html`` cannot drift apart. The text rules live in
:mod:`grader.reports.text` and are re-exported here for the writers that
import them from this module.

:func:`escape_markdown` makes student text render only as text, never as a
heading, a list, a link or HTML, while staying readable where it is shown
raw: it escapes a character only where Markdown would read it as structure
(``normalize_rows`` and ``0.1.0`` stay as they are). A hostile message
can say "PASSED" but cannot make the report look like it passed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from grader.model import CheckResult, SubmissionResult, SubmissionStatus
from grader.reports.outline import (
    Blocker,
    ExerciseOutline,
    FunctionFailures,
    Outline,
    outline,
    plural,
)
from grader.reports.text import (
    LESSON_HINTS,
    MAX_MESSAGE_CHARS,
    MAX_MESSAGE_LINES,
    STAFF_LINE,
    check_message,
    clean_text,
    format_points,
    lesson_hint,
    not_gradable_reason,
    status_words,
)

__all__ = [
    "LESSON_HINTS",
    "MAX_MESSAGE_CHARS",
    "MAX_MESSAGE_LINES",
    "NEXT_STEPS",
    "STAFF_LINE",
    "check_message",
    "clean_text",
    "escape_markdown",
    "exercise_table",
    "failed_item",
    "feedback_markdown",
    "footer",
    "format_points",
    "lesson_hint",
    "not_gradable_reason",
    "notes_items",
    "notes_section",
    "status_words",
]

FIX_FIRST = "Fix these first"
NOT_PASSED = "What did not pass"
PASSED = "What passed"

# What a student whose submission could not be graded should do next.
NEXT_STEPS = (
    "- Name each file exactly as the exercise file you were given, as a `.py` module or "
    "an `.ipynb` notebook.\n"
    "- Check that each notebook opens in Jupyter and each `.py` file runs on its own.\n"
    "- Then submit again. If it still cannot be graded, or you think the problem is on "
    "our side, contact the course staff and quote your submission's name."
)

# Inline markers are escaped everywhere; "_" only where it could open or close
# emphasis (not between two letters or digits, where CommonMark ignores it).
_MD_INLINE = re.compile(r"([\\`*\[\]|~$])|(?<![^\W_])_|_(?![^\W_])")
_MD_RULE = re.compile(r"[=\-]+\s*")  # a setext underline or a thematic break
_MD_BLOCK = re.compile(r"(?:#{1,6}|[+\-])(?=\s|$)")  # a heading or a bullet
_MD_ORDERED = re.compile(r"(\d{1,9})(?=[.)](?:\s|$))")  # "1. " or "1) "


def escape_markdown(text: str, *, inline: bool = False) -> str:
    """Escape ``text`` so Markdown and HTML render it literally, line by line.

    ``& < >`` become entities (no raw HTML, no autolinks); inline markers
    (emphasis, code, links, tables, strikethrough, math) get a backslash; and
    so does a line start that would begin a block (a heading, a list item, an
    ordered item, a rule or setext underline), so a line of student text can
    never become structure. ``inline=True`` is for text placed after other
    text on its first line, where no block can start.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    lines = [_MD_INLINE.sub(lambda m: "\\" + m.group(0), line) for line in text.split("\n")]
    out = []
    for index, line in enumerate(lines):
        line = line.lstrip()
        out.append(line if inline and index == 0 else _escape_line_start(line))
    return "\n".join(out)


def _escape_line_start(line: str) -> str:
    if _MD_RULE.fullmatch(line) or _MD_BLOCK.match(line):
        return "\\" + line
    ordered = _MD_ORDERED.match(line)
    if ordered:  # escape the dot or parenthesis after the number
        return ordered.group(1) + "\\" + line[ordered.end() :]
    return line


def _inline(text: str) -> str:
    return escape_markdown(text, inline=True)


def _block(text: str, indent: str = "") -> str:
    """Cleaned text continuing a Markdown line: each further line a hard break, escaped."""
    return _inline(text).replace("\n", "  \n" + indent)


def feedback_markdown(result: SubmissionResult) -> str:
    """The student's feedback page (see the module docstring for its order)."""
    name = _inline(clean_text(result.label, limit=120, max_lines=1))  # the name, in a class run
    if result.status is SubmissionStatus.NOT_GRADABLE:
        parts = [f"# Feedback: {name} — not graded", *_not_gradable_sections(result)]
    else:
        score = result.final_score if result.adjustments else result.score
        total = f"{format_points(score)} / {format_points(result.max_score)}"
        table = exercise_table(result) if result.checks else "No checks ran on this submission."
        parts = [f"# Feedback: {name} — {total} points", table, *_graded_sections(outline(result))]
    parts.append(notes_section(result.notes))
    parts.extend(policy_sections(result))
    parts.append(f"---\n\n{footer(result)}")
    return "\n\n".join(part for part in parts if part) + "\n"


def policy_sections(result: SubmissionResult) -> list[str]:
    """What the class run added: the student's files as read, lateness and overrides.

    Only a class run (``grader grade --class``) attaches a student or
    adjustments, so a plain run's page is unchanged. File names come from the
    download and are shown as text.
    """
    parts: list[str] = []
    student = result.student
    if student and student.notes:
        items = [f"- {_inline(clean_text(note, limit=300, max_lines=1))}" for note in student.notes]
        parts.append("## Your files\n\n" + "\n".join(items))
    if result.adjustments:
        lines = [f"- grader's score: {format_points(result.score)}"]
        for item in result.adjustments:
            what = "late penalty" if item.kind == "late" else "instructor override"
            comment = f' ("{_inline(item.comment)}")' if item.comment else ""
            lines.append(
                f"- {what}: {format_points(item.points)} points; {_inline(item.detail)}{comment}"
            )
        lines.append(
            f"- **final score: {format_points(result.final_score)}/"
            f"{format_points(result.max_score)}**"
        )
        parts.append("## Adjustments to the grader's score\n\n" + "\n".join(lines))
    return parts


def _graded_sections(plan: Outline) -> list[str]:
    parts = []
    if plan.blockers:
        items = "\n".join(_blocker_item(b) for b in plan.blockers)
        parts.append(f"## {FIX_FIRST}\n\n{items}")
    failing = [e for e in plan.exercises if e.has_failures]
    if failing:
        parts.append(f"## {NOT_PASSED}")
        parts += [_exercise_failures(e) for e in failing]
    passing = [e for e in plan.exercises if e.passed]
    if passing:
        parts.append(f"## {PASSED}\n\n" + "\n".join(_passed_item(e) for e in passing))
    return parts


def _blocker_item(blocker: Blocker) -> str:
    if blocker.kind == "cell":
        where = f"- **{_inline(blocker.exercise)}**, while your file was run"
        return f"{where}: {_block(blocker.message, '  ')}"
    if blocker.kind == "unreadable":
        return (
            f"- **{_inline(blocker.exercise)}** was not graded "
            f"({plural(blocker.points, 'point')}, {plural(blocker.checks, 'check')}): "
            f"{_block(blocker.message, '  ')}"
        )
    worth = plural(blocker.points, "point")
    return (
        f"- **{_inline(blocker.exercise)}** ({worth}, {plural(blocker.checks, 'check')}): "
        f"{_block(blocker.message, '  ')}"
    )


def _exercise_failures(exercise: ExerciseOutline) -> str:
    score = exercise.score
    parts = [
        f"### {_inline(score.exercise)} — "
        f"{format_points(score.score)} / {format_points(score.max_score)}"
    ]
    if exercise.blocker is not None:
        blocked = exercise.blocker.checks
        every = "All" if blocked == exercise.checks else f"{blocked} of"
        parts.append(f"{every} {plural(exercise.checks, 'check')} failed for the reason under "
                     f"*{FIX_FIRST}* above.")  # fmt: skip
    parts += [_function_failures(f) for f in exercise.functions]
    return "\n\n".join(parts)


def _function_failures(group: FunctionFailures) -> str:
    lead = f"**{_inline(group.function)}** — {plural(group.lost, 'point')} lost"
    if group.diagnosis:
        lead += f": {_block(group.diagnosis)}"
    for code in group.hints:
        hint = lesson_hint(code)
        if hint:
            lead += f"  \nLesson hint: {_block(hint)}"
    items = []
    for failed in group.failed:
        check = failed.check
        item = (
            f"- {_inline(clean_text(check.name, limit=120, max_lines=1))} — "
            f"{out_of(check)}, {status_words(check.status)}"
        )
        if failed.detail:
            item += f": {_block(failed.detail, '  ')}"
        items.append(item)
    return lead + "\n\n" + "\n".join(items)


def _passed_item(exercise: ExerciseOutline) -> str:
    score = exercise.score
    passed = sum(len(names) for _, names in exercise.passed)
    label = (
        f"all {plural(passed, 'check')}"
        if passed == exercise.checks
        else f"{passed} of {plural(exercise.checks, 'check')}"
    )
    functions = "; ".join(
        f"**{_inline(function)}** — {' · '.join(_inline(n) for n in names)}"
        for function, names in exercise.passed
    )
    return f"- {_inline(score.exercise)}, {label}: {functions}"


def exercise_table(result: SubmissionResult) -> str:
    """Score per exercise and the total, as a Markdown table."""
    counts: dict[str, list[int]] = {}
    for check in result.checks:
        tally = counts.setdefault(check.exercise, [0, 0])
        tally[0] += check.passed
        tally[1] += 1
    rows = ["| Exercise | Score | Checks passed |", "|---|---:|---:|"]
    for exercise, score in result.by_exercise().items():
        passed, total = counts[exercise]
        rows.append(
            f"| {_inline(exercise)} "
            f"| {format_points(score.score)} / {format_points(score.max_score)} "
            f"| {passed} of {total} |"
        )
    passed = sum(c.passed for c in result.checks)
    rows.append(
        f"| **Total** | **{format_points(result.score)} / {format_points(result.max_score)}** "
        f"| {passed} of {len(result.checks)} |"
    )
    return "\n".join(rows)


def out_of(check: CheckResult) -> str:
    """``0 / 2 points``, ``0 / 1 point``: the word agrees with the points the check is worth."""
    return f"{format_points(check.points)} / {plural(check.max_points, 'point')}"


def points_line(check: CheckResult) -> str:
    """The indented "*0 / 2 points · failed*" line under a check in a list."""
    return f"  *{out_of(check)} · {status_words(check.status)}*"


def failed_item(check: CheckResult, *, show_hint: bool = True) -> str:
    """One check that did not pass, on its own: "**function** — name: message", points, hint."""
    lines = [
        f"- **{_inline(check.function)}** — {_inline(check.name)}: "
        f"{_block(check_message(check), '  ')}",
        points_line(check),
    ]
    hint = lesson_hint(check.mistake) if show_hint else None
    if hint:
        lines.append(f"  Lesson hint: {_block(hint, '  ')}")
    return "  \n".join(lines)


def footer(result: SubmissionResult) -> str:
    """One short line on how the grade was obtained (versions and isolation level).

    The layers behind the level are in ``report.json``; a student or an
    appeal needs the level and the versions, whole, not a list cut mid-word.
    """
    words = []
    if result.grader_version:
        words.append(f"grader {clean_text(result.grader_version, limit=40, max_lines=1)}")
    if result.torch_version:
        words.append(f"torch {clean_text(result.torch_version, limit=40, max_lines=1)}")
    level = clean_text(result.isolation.level, limit=40, max_lines=1)
    text = "Graded with " + " and ".join(words) if words else "Graded"
    return f"*{_inline(text)}, isolation level {_inline(level)}.*"


def _not_gradable_sections(result: SubmissionResult) -> list[str]:
    return [
        "Your submission could not be graded, so it has no score yet.",
        f"**Why:** {_block(not_gradable_reason(result))}",
        f"## What to do\n\n{NEXT_STEPS}",
    ]


def notes_section(notes: Iterable[str]) -> str:
    """The submission's notes ("shell escapes were not run") as a section; "" if none."""
    items = notes_items(notes)
    return "## Notes\n\n" + items if items else ""


def notes_items(notes: Iterable[str]) -> str:
    """Notes as a Markdown list of cleaned, escaped items ("" if none)."""
    cleaned = [clean_text(note, limit=300, max_lines=3) for note in notes]
    return "\n".join(f"- {_block(note, '  ')}" for note in cleaned if note)
