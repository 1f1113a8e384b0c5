"""``summary.html``: the class overview, as text (the browser test renders it)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from report_samples import check, graded, not_gradable

from grader.model import SubmissionResult
from grader.reports import summary_html, write_class_reports, write_submission_reports
from grader.reports.html_summary import feedback_href

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class Elements(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str, cls: str | None = None) -> list[dict[str, str]]:
        return [
            a
            for t, a in self.tags
            if t == tag and (cls is None or cls in a.get("class", "").split())
        ]


def scored(name: str, ex01: float, ex03_passed: bool) -> SubmissionResult:
    """Out of 10: ex01's check scores ``ex01`` of 5; ex03's passes (5) or fails (softmax twice)."""
    return graded(
        name,
        check("ex01_multiclass", "one_hot", "values", ex01, 5, "passed" if ex01 == 5 else "failed",
              "" if ex01 == 5 else "wrong", public=True),
        check("ex03_forward_pass", "softmax_manual", "rows", 5 if ex03_passed else 0, 5,
              "passed" if ex03_passed else "failed", "" if ex03_passed else "rows sum to 0.73",
              mistake=None if ex03_passed else "softmax_twice"),
    )  # fmt: skip


def test_histogram_counts_each_submission_once_in_its_bin() -> None:
    results = [scored("a", 5, True), scored("b", 5, False), scored("c", 5, False)]
    results.append(scored("d", 0, False))
    page = Elements(summary_html(results))
    bars = page.find("rect", "bar")
    histogram = [b for b in bars if "data-bin" in b]
    assert len(histogram) == 10
    counts = {b["data-bin"]: int(b["data-count"]) for b in histogram}
    assert counts["0-10"] == 1 and counts["50-60"] == 2 and counts["90-100"] == 1
    assert sum(counts.values()) == 4
    heights = {b["data-bin"]: float(b["height"]) for b in histogram}
    assert heights["50-60"] == 2 * heights["0-10"] > 0 and heights["20-30"] == 0


def test_pass_rates_per_exercise_and_per_check() -> None:
    results = [scored("a", 5, True)] + [scored(name, 5, False) for name in "bcd"]
    page = Elements(summary_html(results))
    shares = [float(b["data-share"]) for b in page.find("rect", "bar") if "data-share" in b]
    assert shares == [1.0, 0.25]  # ex01 always full, ex03 one of four
    text = " ".join(page.text)
    assert "full marks 1/4" in text and "1/4" in text and "25%" in text
    assert "1 check every graded submission passed" in text  # ex01's check, folded away


def test_common_failures_are_grouped_with_their_mistake_codes() -> None:
    results = [scored("a", 5, False), scored("b", 5, False), scored("c", 5, True)]
    html = summary_html(results)
    page = Elements(html)
    rows = [r for r in html.split("<tr>") if "softmax_twice" in r and "rows sum to" in r]
    assert rows and '<td class="num">2</td>' in rows[0]
    assert "Apply softmax once" in " ".join(page.text)  # the lesson hint beside the code


def test_every_submission_links_to_its_feedback() -> None:
    results = [graded("alice"), graded("bob smith#1"), not_gradable("../evil")]
    links = [a["href"] for a in Elements(summary_html(results)).find("a")]
    assert links == [
        "alice/feedback.html",
        "alice/feedback.md",
        "bob%20smith%231/feedback.html",
        "bob%20smith%231/feedback.md",
    ]
    assert feedback_href("../evil") is None and feedback_href(" padded") is None


def test_student_text_is_escaped_and_nothing_loads_or_runs() -> None:
    results = [
        graded(HOSTILE, check("ex03_forward_pass", "softmax_manual", HOSTILE, 0, 1, "error",
                              HOSTILE, mistake="shortcut_used:" + HOSTILE)),
        not_gradable("zed", reason=HOSTILE),
    ]  # fmt: skip
    html = summary_html(results)
    page = Elements(html)
    assert not page.find("script") and not page.find("img") and not page.find("link")
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert not [a for _, a in page.tags if any(k.startswith("on") for k in a)]
    assert "default-src 'none'" in page.find("meta")[1]["content"]
    sources = [v for _, a in page.tags for k, v in a.items() if k in ("src", "href")]
    assert all(not v.startswith(("http:", "https:", "//")) for v in sources)


def test_an_empty_class_still_gives_a_page() -> None:
    html = summary_html([])
    assert "0 submissions" in html and "No graded submissions." in html


def test_class_reports_link_only_feedback_that_exists(tmp_path: Path) -> None:
    results = [graded("alice"), graded("bob")]
    write_submission_reports(results[0], tmp_path)  # bob's reports are missing
    write_class_reports(results, tmp_path)
    links = [a["href"] for a in Elements((tmp_path / "summary.html").read_text()).find("a")]
    assert links == ["alice/feedback.html", "alice/feedback.md"]
    assert not (tmp_path / "bob").exists()


def test_one_submission_is_singular_and_the_mean_follows_the_points() -> None:
    html = summary_html([graded("alice")])
    assert "1 submission · 1 graded · mean 12.5 / 20 · median 12.5" in html
    thirds = [
        graded(n, check("ex01_multiclass", "one_hot", "v", p, 1)) for n, p in [("a", 1), ("b", 0)]
    ]
    assert "mean 0.5 / 1 · median 0.5" in summary_html(thirds)
    three = [*thirds, graded("c", check("ex01_multiclass", "one_hot", "v", 0, 1))]
    assert "mean 0.3 / 1 · median 0" in summary_html(three)  # whole points: not 0.3333


def test_a_not_gradable_reason_is_one_short_line_with_the_rest_in_its_title() -> None:
    reason = "The zip file is damaged: " + "the central directory is missing, " * 8 + "sorry."
    html = summary_html([not_gradable("bob", reason)])
    cell = html[html.index('<td class="reason"') :].split("</td>", 1)[0]
    shown = cell.rsplit(">", 1)[1]
    assert shown.startswith("The zip file is damaged") and shown.endswith("…") and len(shown) <= 60
    assert "sorry." in cell  # the whole text is in the tooltip
