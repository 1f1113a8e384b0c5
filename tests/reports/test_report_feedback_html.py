"""feedback.html: feedback.md rendered, student text inert, one offline page."""

from __future__ import annotations

import re

from report_samples import check, graded, not_gradable
from test_report_markdown import HOSTILE

from grader.reports import feedback_html, feedback_markdown
from grader.reports.feedback_html import markdown_to_html


def test_the_page_is_the_markdown_rendered() -> None:
    result = graded()
    page = feedback_html(result)
    assert page.startswith("<!DOCTYPE html>")
    assert markdown_to_html(feedback_markdown(result)) in page
    assert "<title>Feedback: alice</title>" in page
    assert "<h1>Feedback: alice — 12.5 / 20 points</h1>" in page
    assert "<h2>What did not pass</h2>" in page and "<table>" in page


def test_nothing_loads_and_no_script_can_run() -> None:
    page = feedback_html(graded())
    assert "default-src 'none'" in page
    assert not re.search(r"<(script|img|link|iframe)\b|\bsrc=|url\(", page)


def test_hostile_text_stays_text() -> None:
    result = graded(
        "<b>eve</b>", check("ex03_forward_pass", "softmax_manual", "rows", 0, 2, "failed", HOSTILE)
    )
    page = feedback_html(result)
    assert "<script" not in page and "<img" not in page and "<a " not in page
    assert "&lt;script&gt;" in page and "<title>Feedback: &lt;b&gt;eve&lt;/b&gt;</title>" in page
    body = page[page.index("<body>") :]
    assert len(re.findall(r"<h[1-3]>", body)) == 4  # title, two sections, one exercise


def test_a_submission_that_could_not_be_graded_says_why() -> None:
    page = feedback_html(not_gradable(reason="The zip file is damaged."))
    assert "<h1>Feedback: bob — not graded</h1>" in page
    assert "The zip file is damaged." in page and "<h2>What to do</h2>" in page


def test_failed_cells_come_first_once_in_both_pages() -> None:
    from grader.model import ExerciseOutcome

    note = (
        "code cell 2 failed: ModuleNotFoundError: No module named 'seaborn'; "
        "it defines nothing that is graded, so it cost no points"
    )
    result = graded(outcomes=(ExerciseOutcome("ex03_forward_pass", notes=(note,)),))
    markdown = feedback_markdown(result)
    page = feedback_html(result)
    for text in (markdown, page):
        cell = "No module named 'seaborn'"
        assert text.count(cell) == 1
        assert text.index("Fix these first") < text.index(cell) < text.index("What did not pass")
