"""``summary.html``: the class at a glance, for the instructor, beside the gradebook.

A score histogram, the pass rate of every exercise and check, the failure
messages most students got (with their lesson-mistake codes), and every
submission linked to its ``feedback.html`` (and ``feedback.md``). One
self-contained file: inline CSS and SVG, no script, no font, no image,
nothing fetched, so it opens offline and from a course archive years later.
A Content-Security-Policy forbids any load or script anyway, as a second wall
behind the escaping.

Names, messages, reasons and mistake details come from students (a check may
quote a student's exception), so every piece of text goes through
:func:`~grader.reports.text.clean_text` and then ``html.escape``; links
are built from names that are one safe path component, percent-encoded.
"""

from __future__ import annotations

import html
import re
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from grader.assignment import EXERCISES
from grader.model import CheckResult, SubmissionResult, SubmissionStatus, exercise_names
from grader.reports.text import (
    check_message,
    clean_text,
    count,
    format_mean,
    format_points,
    lesson_hint,
    one_line,
    points_decimals,
)

__all__ = ["feedback_href", "offline_page", "summary_html"]

BINS = 10
TOP_MESSAGES = 15
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
_CSP = "default-src 'none'; style-src 'unsafe-inline'"  # nothing loads, no script runs


def summary_html(
    results: Sequence[SubmissionResult],
    *,
    feedback: Mapping[str, str] | None = None,
    title: str = "Class summary",
    similarity: str | None = None,
) -> str:
    """The page as text. ``feedback`` maps a submission name to its relative feedback link.

    Without ``feedback`` every submission with a usable folder name is linked
    to ``<name>/feedback.html``; :func:`grader.reports.write_class_reports`
    passes only the links whose file exists. ``similarity`` is the relative
    link to ``similarity.html`` when ``grader similarity`` wrote one beside it.
    """
    ordered = sorted(results, key=lambda r: (r.submission.casefold(), r.submission))
    graded = [r for r in ordered if r.status is SubmissionStatus.GRADED]
    links = dict(feedback) if feedback is not None else _default_links(ordered)
    exercises = [e for e in EXERCISES if e in exercise_names(graded)]
    exercises += [e for e in exercise_names(graded) if e not in EXERCISES]
    body = [
        f"<h1>{_e(title)}</h1>",
        _overview(ordered, graded),
        _similarity_link(similarity),
        _section("Scores", _histogram(graded), "score-histogram"),
        _section("Pass rate per exercise", _exercise_bars(graded, exercises), "exercises"),
        _section("Pass rate per check", _check_table(graded), "checks"),
        _section("Most common failures", _failures(graded), "failures"),
        _section("Submissions", _submissions(ordered, exercises, links), "submissions"),
    ]
    return offline_page(_e(title), _STYLE, "\n".join(part for part in body if part))


def _similarity_link(href: str | None) -> str:
    if not href:
        return ""
    return (
        f'<p class="similarity"><a href="{html.escape(href)}">Similarity report</a>: '
        "pairs of submissions whose code is alike, for a person to look at.</p>"
    )


def offline_page(title: str, style: str, body: str) -> str:
    """One self-contained page (``title`` and ``body`` already HTML), CSP-locked.

    The class summary and each ``feedback.html`` use it: nothing loads, no script runs.
    """
    return _PAGE.format(csp=_CSP, title=title, style=style, body=body)


def feedback_href(name: str) -> str | None:
    """``<name>/feedback.html``, percent-encoded; None when the name is not one safe folder."""
    unsafe = not name or name in (".", "..") or any(c in name for c in "/\\\x00")
    if unsafe or name != name.strip():  # the same rule as the report folders
        return None
    return f"{quote(name, safe='')}/feedback.html"


def _default_links(results: Sequence[SubmissionResult]) -> dict[str, str]:
    hrefs = {r.submission: feedback_href(r.submission) for r in results}
    return {name: href for name, href in hrefs.items() if href is not None}


# --------------------------------------------------------------------- text


def _e(text: str, limit: int = 300) -> str:
    """Student-derived text, cleaned and escaped for HTML text or an attribute."""
    return html.escape(" ".join(clean_text(text, limit=limit, max_lines=3).split("\n")))


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def _section(heading: str, content: str, ident: str) -> str:
    """A section whose content scrolls sideways inside its box when a phone is too narrow."""
    return (
        f'<section id="{ident}">\n<h2>{heading}</h2>\n<div class="wide">{content}</div>\n</section>'
    )


def _overview(results: Sequence[SubmissionResult], graded: Sequence[SubmissionResult]) -> str:
    items = [count(len(results), "submission"), f"{len(graded)} graded"]
    if len(graded) < len(results):
        items.append(f'<span class="bad">{len(results) - len(graded)} not gradable</span>')
    if graded:
        scores = [r.score for r in graded]
        most = max(r.max_score for r in graded)
        decimals = points_decimals(graded)
        mean, median = statistics.fmean(scores), statistics.median(scores)
        items.append(f"mean {format_mean(mean, decimals)} / {format_points(most)}")
        items.append(f"median {format_mean(median, decimals)}")
    return f'<p class="overview">{" · ".join(items)}</p>'


# --------------------------------------------------------------------- histogram


def _fraction(result: SubmissionResult) -> float:
    return result.score / result.max_score if result.max_score else 0.0


def _histogram(graded: Sequence[SubmissionResult]) -> str:
    """Inline SVG: submissions per tenth of the maximum score (the last bin holds 100%)."""
    if not graded:
        return "<p>No graded submissions.</p>"
    counts = [0] * BINS
    for result in graded:
        counts[min(int(_fraction(result) * BINS), BINS - 1)] += 1
    width, height, left, bottom, top = 560, 240, 36, 34, 18
    plot_w, plot_h = width - left - 8, height - top - bottom
    slot = plot_w / BINS
    peak = max(counts)
    parts = [
        f'<svg class="histogram" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" '
        f'aria-label="Histogram of {count(len(graded), "score")}">',
        f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - 8}" '
        f'y2="{top + plot_h}"/>',
        f'<text class="tick" x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>',
        f'<text class="tick" x="{left - 6}" y="{top + 8}" text-anchor="end">{peak}</text>',
    ]
    for index, tally in enumerate(counts):
        low, high = index * 100 // BINS, (index + 1) * 100 // BINS
        bar_h = plot_h * tally / peak
        x = left + index * slot + 3
        y = top + plot_h - bar_h
        label = f"{tally} scored {low}–{high}%" if index < BINS - 1 else f"{tally} scored ≥{low}%"
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot - 6:.1f}" '
            f'height="{bar_h:.1f}" data-count="{tally}" data-bin="{low}-{high}">'
            f"<title>{label}</title></rect>"
        )
        if tally:
            parts.append(
                f'<text class="count" x="{x + (slot - 6) / 2:.1f}" y="{y - 4:.1f}" '
                f'text-anchor="middle">{tally}</text>'
            )
        parts.append(
            f'<text class="tick" x="{left + index * slot + slot / 2:.1f}" '
            f'y="{top + plot_h + 16}" text-anchor="middle">{low}–{high}</text>'
        )
    parts.append(
        f'<text class="tick" x="{left + plot_w / 2:.1f}" y="{height - 2}" '
        'text-anchor="middle">score, % of the maximum</text></svg>'
    )
    return "\n".join(parts)


# --------------------------------------------------------------------- pass rates


def _exercise_bars(graded: Sequence[SubmissionResult], exercises: Sequence[str]) -> str:
    """Inline SVG: per exercise, the mean score as a share of its points, and full marks."""
    if not graded or not exercises:
        return "<p>No graded submissions.</p>"
    row, label_w, bar_w = 26, 170, 260
    width, height = label_w + bar_w + 190, row * len(exercises) + 8
    parts = [
        f'<svg class="exercise-rates" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" '
        'aria-label="Mean score per exercise">'
    ]
    for index, exercise in enumerate(exercises):
        scores = [r.by_exercise()[exercise] for r in graded if exercise in r.by_exercise()]
        got = sum(s.score for s in scores)
        most = sum(s.max_score for s in scores)
        full = sum(1 for s in scores if s.max_score and s.score >= s.max_score)
        share = got / most if most else 0.0
        y = 4 + index * row
        parts += [
            f'<text class="label" x="0" y="{y + 15}">{_e(exercise, 60)}</text>',
            f'<rect class="track" x="{label_w}" y="{y + 3}" width="{bar_w}" height="16"/>',
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{bar_w * share:.1f}" '
            f'height="16" data-share="{share:.4f}"><title>{_e(exercise, 60)}: mean '
            f"{_pct(got, most)} of the points</title></rect>",
            f'<text class="value" x="{label_w + bar_w + 8}" y="{y + 15}">mean {_pct(got, most)}'
            f" · full marks {full}/{len(scores)}</text>",
        ]
    parts.append("</svg>")
    return "\n".join(parts)


@dataclass
class _Rate:
    check: CheckResult
    passed: int = 0
    total: int = 0


def _check_table(graded: Sequence[SubmissionResult]) -> str:
    """Every check, lowest pass rate first; those every submission passed folded away."""
    rates: dict[str, _Rate] = {}
    for result in graded:
        for check in result.checks:
            rate = rates.setdefault(check.id, _Rate(check))
            rate.total += 1
            rate.passed += check.passed
    if not rates:
        return "<p>No checks ran.</p>"
    ordered = sorted(rates.values(), key=lambda r: (r.passed / r.total, r.check.id))
    failing = [rate for rate in ordered if rate.passed < rate.total]
    passing = [rate for rate in ordered if rate.passed == rate.total]
    parts = [_rate_table(failing)] if failing else ["<p>Every submission passed every check.</p>"]
    if passing:
        parts.append(
            f"<details><summary>{count(len(passing), 'check')} every graded submission "
            "passed</summary>\n"
            f"{_rate_table(passing)}\n</details>"
        )
    return "\n".join(parts)


def _rate_table(rates: Sequence[_Rate]) -> str:
    rows = []
    for rate in rates:
        check, share = rate.check, rate.passed / rate.total
        rows.append(
            "<tr>"
            f"<td>{_e(check.exercise, 60)}</td><td>{_e(check.function, 60)}</td>"
            f"<td>{_e(check.name, 120)}</td><td>{_e(check.visibility, 10)}</td>"
            f'<td class="num">{rate.passed}/{rate.total}</td>'
            f'<td><svg class="rate" width="100" height="10" role="img" '
            f'aria-label="{_pct(rate.passed, rate.total)} passed">'
            f'<rect class="track" width="100" height="10"/>'
            f'<rect class="bar" width="{100 * share:.1f}" height="10"/></svg> '
            f"{_pct(rate.passed, rate.total)}</td></tr>"
        )
    head = (
        "<tr><th>exercise</th><th>function</th><th>check</th><th>visibility</th>"
        "<th>passed</th><th>pass rate</th></tr>"
    )
    return (
        f'<table class="checks">\n<thead>{head}</thead>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody>\n</table>"
    )


# --------------------------------------------------------------------- failures


def _failures(graded: Sequence[SubmissionResult]) -> str:
    """The failure messages most submissions got (numbers aside), with their checks."""
    who: dict[tuple[str, str], set[str]] = {}
    checks: dict[tuple[str, str], dict[str, CheckResult]] = {}
    mistakes: Counter[str] = Counter()
    for result in graded:
        seen: set[str] = set()
        for check in result.checks:
            if check.passed:
                continue
            key = (check.mistake or "", _NUMBER.sub("#", check_message(check)))
            who.setdefault(key, set()).add(result.submission)
            checks.setdefault(key, {}).setdefault(check.id, check)
            code = (check.mistake or "").partition(":")[0]
            if code and code not in seen:
                seen.add(code)
                mistakes[code] += 1
    if not who:
        return "<p>No check failed.</p>"
    ranked = sorted(who, key=lambda k: (-len(who[k]), -len(checks[k])))[:TOP_MESSAGES]
    rows = []
    for key in ranked:
        found = list(checks[key].values())
        named = "<br>".join(
            f"{_e(c.exercise, 60)} · {_e(c.function, 60)} — {_e(c.name, 120)}" for c in found[:3]
        )
        if len(found) > 3:
            named += f"<br>and {count(len(found) - 3, 'more check')}"
        example = found[0]
        mistake = f"<code>{_e(example.mistake or '', 80)}</code>" if example.mistake else ""
        rows.append(
            f'<tr><td class="num">{len(who[key])}</td><td>{named}</td><td>{mistake}</td>'
            f"<td>{_e(check_message(example), 400)}</td></tr>"
        )
    table = (
        '<table class="failures">\n<thead><tr><th>submissions</th><th>checks</th>'
        "<th>mistake</th><th>message (one example)</th></tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>"
    )
    if not mistakes:
        return table
    items = "".join(
        f"<li><code>{_e(code, 80)}</code>: {count(times, 'submission')}"
        + (f" — {_e(hint, 300)}" if (hint := lesson_hint(code)) else "")
        + "</li>"
        for code, times in mistakes.most_common()
    )
    return f'{table}\n<h3>Lesson mistakes</h3>\n<ul class="mistakes">{items}</ul>'


# --------------------------------------------------------------------- submissions


def _submissions(
    results: Sequence[SubmissionResult], exercises: Sequence[str], links: Mapping[str, str]
) -> str:
    head = "".join(f"<th>{_e(e.split('_', 1)[0], 20)}</th>" for e in exercises)
    rows = []
    for result in results:
        name = _e(result.submission or result.label, 120)
        href = links.get(result.submission)
        cell = name
        if href:
            markdown = href.removesuffix(".html") + ".md"
            cell = (
                f'<a href="{html.escape(href)}">{name}</a> '
                f'<a class="alt" href="{html.escape(markdown)}" title="the same as Markdown">md</a>'
            )
        if result.status is SubmissionStatus.GRADED:
            scores = result.by_exercise()
            cells = "".join(
                f'<td class="num">{format_points(scores[e].score)}</td>'
                if e in scores
                else '<td class="num">–</td>'
                for e in exercises
            )
            rows.append(
                f'<tr><td>{cell}</td><td>graded</td><td class="num">'
                f"{format_points(result.score)}/{format_points(result.max_score)}</td>"
                f"{cells}<td></td></tr>"
            )
        else:
            empty = '<td class="num">–</td>' * len(exercises)
            status = result.status.value.replace("_", " ")
            rows.append(
                f'<tr class="bad"><td>{cell}</td><td>{status}</td><td class="num">–</td>'
                f'{empty}<td class="reason" title="{_e(result.reason or "", 1500)}">'
                f"{html.escape(one_line(result.reason or '', 60))}</td></tr>"
            )
    return (
        '<table class="submissions">\n<thead><tr><th>submission</th><th>status</th>'
        f"<th>score</th>{head}<th>reason</th></tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>"
    )


_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 72em; padding: 0 1em; color: #1f2328; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border-bottom: 1px solid #d0d7de; padding: .25em .6em; text-align: left;
         vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td, .bad { color: #b42318; }
svg text { font: 11px system-ui, sans-serif; fill: #1f2328; }
svg .bar { fill: #2f6feb; } svg .track { fill: #eaeef2; } svg .axis { stroke: #57606a; }
code { background: #f6f8fa; padding: 0 .25em; }
a.alt { font-size: .8em; color: #57606a; }
.wide { overflow-x: auto; }  /* a wide table or chart scrolls in its box, not the page */
svg.histogram { max-width: 100%; height: auto; }  /* a picture: it shrinks to fit */
@media (max-width: 40em) {  /* a phone: tighter tables; a check's name is not cut to a word */
  body { margin: 1em auto; padding: 0 .6em; }
  th, td { padding: .2em .35em; font-size: 13px; }
  table.checks td:nth-child(3) { min-width: 11em; }
}
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
{body}
</body>
</html>
"""
