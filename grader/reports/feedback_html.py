"""``feedback.html``: the student's feedback as a page a browser shows properly.

A browser shows ``feedback.md`` as raw Markdown, so ``summary.html`` links
this page instead. It is ``feedback.md`` itself rendered by markdown-it (the
CommonMark reference design, with tables), so the two can never say
different things or say them in a different order. Raw HTML is off in the
renderer, and student text was already escaped for Markdown, so nothing a
student wrote can become markup; a Content-Security-Policy forbids every load
and script as a second wall. One self-contained file: inline CSS, no script,
no font, nothing fetched, readable offline and on a phone.
"""

from __future__ import annotations

import html

from markdown_it import MarkdownIt

from grader.model import SubmissionResult
from grader.reports.html_summary import offline_page
from grader.reports.markdown import feedback_markdown
from grader.reports.text import clean_text

__all__ = ["feedback_html", "markdown_to_html"]


def markdown_to_html(markdown: str) -> str:
    """Our Markdown as an HTML fragment: CommonMark plus tables, raw HTML shown as text."""
    return MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)


def feedback_html(result: SubmissionResult, *, markdown: str | None = None) -> str:
    """The page for ``result``; ``markdown`` is its ``feedback.md`` when already built."""
    text = feedback_markdown(result) if markdown is None else markdown
    title = f"Feedback: {clean_text(result.label, limit=120, max_lines=1)}"
    # markdown-it ends every block with a newline; the page puts one before </body>.
    return offline_page(html.escape(title), _STYLE, markdown_to_html(text).rstrip("\n"))


_STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328;
       margin: 1.5em auto; max-width: 50em; padding: 0 1em; overflow-wrap: anywhere; }
h1 { font-size: 1.5em; margin-bottom: .6em; }
h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1.05em; margin-top: 1.3em; }
table { border-collapse: collapse; display: block; overflow-x: auto; max-width: 100%; }
th, td { border-bottom: 1px solid #d0d7de; padding: .25em .7em; text-align: left; }
th[style*="right"], td[style*="right"] { font-variant-numeric: tabular-nums; }
td { overflow-wrap: normal; }  /* long exercise names and "86 / 100" stay whole */
td[style*="right"] { white-space: nowrap; }
@media (max-width: 40em) { body { padding: 0 .6em; } th, td { padding: .25em .4em; } }
ul { padding-left: 1.3em; } li { margin: .2em 0; }
code { background: #f6f8fa; padding: 0 .25em; border-radius: 3px; }
hr { border: 0; border-top: 1px solid #d0d7de; margin-top: 2em; }
hr + p { color: #57606a; font-size: .9em; }
"""
