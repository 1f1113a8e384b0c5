"""``similarity.html`` and ``similarity.csv``: the pairs a person should look at.

The CSV holds every pair compared, flagged pairs first, then by score, for
a spreadsheet. The page shows the flagged pairs (a share at or above the
threshold and a match of at least ``MIN_OVERLAP`` tokens), each with the two
codes side by side and the matching regions marked, plus the closest pairs
not flagged.
It is one offline file like ``summary.html`` (CSP-locked, no script); every
piece of student code is escaped, and it holds no grade, check or message.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from pathlib import Path

from grader.reports import SIMILARITY_PAGE, load_report, write_summary, write_text_atomic
from grader.reports.html_summary import offline_page
from grader.reports.text import clean_text, count
from grader.similarity import MIN_OVERLAP, Pair, SimilarityReport

__all__ = ["CONTEXT_LINES", "similarity_csv", "similarity_html", "write_similarity_reports"]

CSV_HEADER = (
    "exercise", "submission_a", "submission_b", "score", "similarity_a", "similarity_b",
    "overlap_tokens", "flagged", "past",
)  # fmt: skip
CONTEXT_LINES = 3  # lines kept around each matching region; the rest is elided
CLOSEST_BELOW = 10  # pairs not flagged still listed, for a sense of the baseline


def write_similarity_reports(report: SimilarityReport, out_dir: Path) -> tuple[Path, Path]:
    """Write ``similarity.html`` and ``similarity.csv`` into ``out_dir``; return their paths.

    When ``out_dir`` is a graded class's folder (it has ``summary.html`` and
    the submissions' ``report.json``), the summary alone is written again
    from those reports so that it links the new page; the gradebook and its
    flags are left as grading wrote them.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    page, table = out / SIMILARITY_PAGE, out / "similarity.csv"
    write_text_atomic(table, similarity_csv(report))
    write_text_atomic(page, similarity_html(report))
    if (out / "summary.html").is_file():
        try:
            results = [load_report(path) for path in sorted(out.glob("*/report.json"))]
        except (OSError, ValueError):
            results = []  # a folder being graded or damaged: leave its summary alone
        if results:
            write_summary(results, out)
    return page, table


def similarity_csv(report: SimilarityReport) -> str:
    """Every pair, flagged first, then by score; shares from 0 to 1, three decimals."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for pair in report.pairs:
        writer.writerow(
            [
                pair.exercise,
                pair.a.submission,
                pair.b.submission,
                f"{pair.score:.3f}",
                f"{pair.similarity_a:.3f}",
                f"{pair.similarity_b:.3f}",
                pair.overlap,
                "yes" if report.is_flagged(pair) else "no",
                "yes" if pair.b.past else "no",
            ]
        )
    return buffer.getvalue()


def similarity_html(report: SimilarityReport) -> str:
    """The page as text."""
    flagged = report.flagged
    below = [p for p in report.pairs if not report.is_flagged(p)][:CLOSEST_BELOW]
    title = f"Similarity: {report.title}"
    body = [
        f"<h1>{_e(title)}</h1>",
        _intro(report),
        f'<section id="flagged">\n<h2>Flagged ({count(len(flagged), "pair")})</h2>\n'
        + (_table(flagged, anchors=True) if flagged else "<p>No pair was flagged.</p>")
        + "\n</section>",
    ]
    if below:
        body.append(
            '<section id="closest">\n<h2>Closest pairs not flagged</h2>\n'
            + _table(below, anchors=False)
            + "\n</section>"
        )
    body += [_side_by_side(number, pair) for number, pair in enumerate(flagged, 1)]
    body.append(_left_out(report))
    return offline_page(_e(title), _STYLE, "\n".join(part for part in body if part))


def _intro(report: SimilarityReport) -> str:
    past = f" and {count(report.past, 'past submission')}" if report.past else ""
    return (
        f"<p>{count(report.submissions, 'submission')}{past} compared, "
        f"{count(len(report.pairs), 'pair')} in {count(len(report.exercises), 'exercise')}. "
        "Each student's own functions are compared, the course's stubs left out; renamed "
        "variables do not hide a match. A share is how much of one side's code is found in "
        f"the other; a pair is flagged when a share reaches {_pct(report.threshold)} and the "
        f"match is at least {MIN_OVERLAP} tokens long. "
        "This page flags pairs for a person to look at; it changes no grade. "
        "Every pair is in <code>similarity.csv</code>.</p>"
    )


def _table(pairs: Sequence[Pair], *, anchors: bool) -> str:
    rows = []
    for number, pair in enumerate(pairs, 1):
        names = f"{_e(pair.a.submission)} – {_e(pair.b.submission)}"
        if anchors:
            names = f'<a href="#pair-{number}">{names}</a>'
        rows.append(
            f"<tr><td>{names}</td><td>{_e(pair.exercise)}</td>"
            f'<td class="num">{_pct(pair.similarity_a)}</td>'
            f'<td class="num">{_pct(pair.similarity_b)}</td>'
            f'<td class="num">{pair.overlap}</td></tr>'
        )
    return (
        '<div class="wide"><table>\n<thead><tr><th>pair</th><th>exercise</th>'
        '<th class="num">share of first</th><th class="num">share of second</th>'
        '<th class="num">tokens matched</th></tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody>\n</table></div>"
    )


def _side_by_side(number: int, pair: Pair) -> str:
    sides = []
    for code, slices, share in (
        (pair.a, pair.slices_a, pair.similarity_a),
        (pair.b, pair.slices_b, pair.similarity_b),
    ):
        sides.append(
            f'<div class="side"><h3>{_e(code.submission)} <span class="muted">'
            f"{_e(code.origin)} · {_pct(share)} shared</span></h3>\n"
            f"<pre>{_marked(code.text, slices)}</pre></div>"
        )
    return (
        f'<section class="pair" id="pair-{number}">\n'
        f"<h2>{number}. {_e(pair.a.submission)} and {_e(pair.b.submission)}: "
        f"{_e(pair.exercise)}</h2>\n"
        f'<div class="sides">\n{sides[0]}\n{sides[1]}\n</div>\n</section>'
    )


def _marked(text: str, slices: Sequence[tuple[int, int]]) -> str:
    """``text`` escaped, matching regions in ``<mark>``, far-off lines elided."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for start, end in sorted(slices):
        start, end = max(start, at), min(end, len(text))
        if start >= end:
            continue
        pieces.append((text[at:start], False))
        pieces.append((text[start:end], True))
        at = end
    pieces.append((text[at:], False))
    out = []
    last = len(pieces) - 1
    for index, (piece, matched) in enumerate(pieces):
        if matched:
            out.append(f"<mark>{html.escape(piece)}</mark>")
        else:
            out.append(html.escape(_elide(piece, first=index == 0, last=index == last)))
    return "".join(out)


def _elide(piece: str, *, first: bool, last: bool) -> str:
    """Keep a few lines next to each match; say how many were left out between."""
    lines = piece.split("\n")
    keep = CONTEXT_LINES + 1  # the partial line touching a match counts as one
    if len(lines) <= 2 * keep + 1 and not (first or last):
        return piece
    head = [] if first else lines[:keep]
    tail = [] if last else lines[-keep:]
    if first and last:  # no match at all: show the start
        head, tail = lines[: 2 * keep], []
    dropped = len(lines) - len(head) - len(tail)
    if dropped <= 1:
        return piece
    return "\n".join([*head, f"… {dropped} lines …", *tail])


def _left_out(report: SimilarityReport) -> str:
    items = [
        f"<li>{_e(name)}, {_e(exercise)}: {_e(why)}</li>"
        for name, exercise, why in report.not_compared
    ]
    items += [f"<li>{_e(name)}: could not be read: {_e(why)}</li>" for name, why in report.problems]
    if not items:
        return ""
    return (
        '<section id="left-out">\n<h2>Not compared</h2>\n<ul>\n'
        + "\n".join(items)
        + "\n</ul>\n</section>"
    )


def _e(text: str) -> str:
    return html.escape(" ".join(clean_text(text, limit=300, max_lines=3).split("\n")))


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%"


_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 90em; padding: 0 1em; color: #1f2328; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.8em; }
h3 { font-size: 1em; margin: .3em 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border-bottom: 1px solid #d0d7de; padding: .25em .6em; text-align: left;
         vertical-align: top; overflow-wrap: anywhere; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
td { overflow-wrap: normal; white-space: nowrap; }  /* names whole; the table scrolls */
th { overflow-wrap: normal; }  /* headers wrap between words only */
.wide { overflow-x: auto; }
.muted { color: #57606a; font-weight: normal; }
.sides { display: grid; grid-template-columns: repeat(auto-fit, minmax(20em, 1fr)); gap: 1em; }
.side { min-width: 0; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: .6em; margin: 0;
      font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
      white-space: pre-wrap; overflow-wrap: anywhere; }
mark { background: #fff1a8; color: inherit; }
@media (max-width: 40em) { body { padding: 0 .6em; } th, td { padding: .2em .35em; } }
code { background: #f6f8fa; padding: 0 .25em; }
"""
