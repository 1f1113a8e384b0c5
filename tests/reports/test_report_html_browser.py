"""``summary.html`` and ``feedback.html`` in a real browser: offline, rendered, linked.

Headless Chromium (Debian's ``chromium``) dumps the DOM after load. A copy of
the page with a measuring script appended (and the page's CSP removed so the
script may run) reports each bar's rendered box and each link's resolved URL;
the page as written, script appended but CSP kept, must not run it.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from report_samples import check, graded, not_gradable

from grader.reports import write_class_reports, write_submission_reports

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(autouse=True)
def _chromium() -> None:
    """No browser is a failure, not a skip: these checks are part of what CI guarantees."""
    if CHROMIUM is None:
        pytest.fail(
            "chromium is not installed: `make test` installs it when run as root with apt-get "
            "(scripts/ensure-chromium.sh); elsewhere install Debian's `chromium` package",
            pytrace=False,
        )


PROBE = """<script>
const box = (e) => { const r = e.getBoundingClientRect(); return {w: r.width, h: r.height}; };
const out = {
  histogram: [...document.querySelectorAll("svg.histogram rect.bar")]
    .map((e) => ({count: Number(e.dataset.count), ...box(e)})),
  exercises: [...document.querySelectorAll("svg.exercise-rates rect.bar")]
    .map((e) => ({share: Number(e.dataset.share), ...box(e)})),
  tracks: [...document.querySelectorAll("svg.exercise-rates rect.track")].map(box),
  svgs: [...document.querySelectorAll("svg")].map(box),
  links: [...document.querySelectorAll("a[href]")].map((a) => a.href),
  overflow: document.documentElement.scrollWidth - window.innerWidth,
  width: window.innerWidth,
};
const pre = document.createElement("pre");
pre.id = "probe";
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"""


class ProbeText(HTMLParser):
    def __init__(self, dom: str) -> None:
        super().__init__()
        self.inside = False
        self.text = ""
        self.feed(dom)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inside = tag == "pre" and ("id", "probe") in attrs

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.text += data


NARROWEST_WINDOW = 500  # headless Chromium's window, and so its viewport, is never narrower
FRAME = """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe style="width:{width}px;height:900px;border:0" srcdoc="{page}" onload="document.
documentElement.innerHTML = this.contentDocument.documentElement.innerHTML"></iframe>
</body></html>"""


def dump_dom(page: Path, profile: Path, *, width: int = 1200) -> str:
    """The DOM of ``page`` after load in a viewport ``width`` CSS pixels wide.

    Below Chromium's narrowest window (a phone's 390 px) the page is loaded in
    a ``srcdoc`` frame that wide, which shares the wrapper's origin: when it
    has loaded, the wrapper takes over the frame's DOM, so what is dumped is
    the page as laid out (and probed) at that width.
    """
    assert CHROMIUM is not None
    if width < NARROWEST_WINDOW:
        framed = page.with_name(f"frame-{width}-{page.name}")
        source = html.escape(page.read_text(encoding="utf-8"), quote=True)
        framed.write_text(FRAME.format(width=width, page=source), encoding="utf-8")
        page = framed
    result = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={profile}", f"--window-size={width},900",
            "--dump-dom", page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    results = [
        graded("alice"),
        graded("bob smith", check("ex01_multiclass", "one_hot", "values", 4, 4, public=True)),
        graded("carol#2", check("ex01_multiclass", "one_hot", "values", 0, 4, "failed", "no")),
        not_gradable("dave"),
    ]
    for result in results:
        write_submission_reports(result, out)
    write_class_reports(results, out)
    return out


def probe(reports: Path, tmp_path: Path, *, keep_csp: bool, width: int = 1200) -> dict | None:
    page = (reports / "summary.html").read_text(encoding="utf-8")
    if not keep_csp:
        page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    probed = reports / f"probe-{keep_csp}.html"  # beside the page: relative links still resolve
    probed.write_text(page.replace("</body>", PROBE + "\n</body>"), encoding="utf-8")
    dom = dump_dom(probed, tmp_path / "profile", width=width)
    assert 'class="histogram"' in dom and "Class summary" in dom  # the page itself loaded
    text = ProbeText(dom).text
    return json.loads(text) if text else None


def test_the_page_renders_its_bars_and_links_offline(reports: Path, tmp_path: Path) -> None:
    seen = probe(reports, tmp_path, keep_csp=False)
    assert seen is not None
    histogram = seen["histogram"]
    assert len(histogram) == 10 and sum(bar["count"] for bar in histogram) == 3
    assert [bar["count"] for bar in histogram] == [1, 0, 0, 0, 0, 0, 1, 0, 0, 1]  # 0, 62.5, 100%
    tallest = max(bar["h"] for bar in histogram)
    assert tallest > 100
    for bar in histogram:
        assert bar["w"] > 10
        assert bar["h"] == pytest.approx(tallest * bar["count"], abs=1.5)
    exercises = seen["exercises"]
    assert exercises and all(bar["h"] > 5 for bar in exercises)
    assert [bar["share"] for bar in exercises] == [round(10 / 14, 4), 0.65, 0]  # ex01 ex03 ex05
    for bar, track in zip(exercises, seen["tracks"], strict=True):
        assert track["w"] > 100
        assert bar["w"] == pytest.approx(track["w"] * bar["share"], abs=1.5)
    assert all(svg["w"] > 0 and svg["h"] > 0 for svg in seen["svgs"])
    targets = [Path(unquote(urlparse(link).path)) for link in seen["links"]]
    # every submission, the not-gradable one too, links its feedback page and its Markdown
    names = ["alice", "bob smith", "carol#2", "dave"]
    assert [t.parent.name for t in targets] == [n for n in names for _ in (1, 2)]
    assert [t.name for t in targets] == ["feedback.html", "feedback.md"] * len(names)
    assert all(t.is_file() for t in targets), targets


def test_the_page_as_written_runs_no_script(reports: Path, tmp_path: Path) -> None:
    assert probe(reports, tmp_path, keep_csp=True) is None


def test_the_summary_fits_a_phone(reports: Path, tmp_path: Path) -> None:
    # Wide tables and the bar chart scroll inside their own box; the histogram shrinks.
    seen = probe(reports, tmp_path, keep_csp=False, width=390)
    assert seen is not None
    assert seen["width"] == 390  # a phone's viewport, not Chromium's narrowest window
    assert seen["overflow"] <= 1
    assert 0 < seen["svgs"][0]["w"] <= 390, seen["svgs"][:2]  # the histogram fits


FEEDBACK_PROBE = """<script>
const out = {
  headings: [...document.querySelectorAll("h1, h2, h3")].map((h) => h.textContent),
  text: document.body.innerText,
  overflow: document.documentElement.scrollWidth - window.innerWidth,
  width: window.innerWidth,
  items: document.querySelectorAll("li").length,
  tables: document.querySelectorAll("table").length,
};
const pre = document.createElement("pre");
pre.id = "probe";
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"""


def probe_feedback(folder: Path, tmp_path: Path, *, keep_csp: bool, width: int) -> dict | None:
    page = (folder / "feedback.html").read_text(encoding="utf-8")
    if not keep_csp:
        page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    probed = folder / f"probe-{keep_csp}-{width}.html"
    probed.write_text(page.replace("</body>", FEEDBACK_PROBE + "\n</body>"), encoding="utf-8")
    dom = dump_dom(probed, tmp_path / f"profile-{width}", width=width)
    assert "<h1>Feedback: " in dom  # the page itself loaded
    text = ProbeText(dom).text
    return json.loads(text) if text else None


@pytest.mark.parametrize("width", [1200, 390])
def test_feedback_page_shows_the_markdown_in_its_order_without_escapes(
    reports: Path, tmp_path: Path, width: int
) -> None:
    folder = reports / "alice"
    seen = probe_feedback(folder, tmp_path, keep_csp=False, width=width)
    assert seen is not None
    markdown = (folder / "feedback.md").read_text(encoding="utf-8")
    expected = [line.lstrip("#").strip() for line in markdown.splitlines() if line.startswith("#")]
    assert seen["headings"] == expected  # the same sections, in the same order
    assert seen["headings"][:3] == [
        "Feedback: alice — 12.5 / 20 points", "What did not pass", "ex03_forward_pass — 6.5 / 10"
    ]  # fmt: skip
    text = seen["text"]
    assert "\\" not in text and "**" not in text  # Markdown rendered, no visible escapes
    assert "softmax_manual — 2.5 points lost" in text
    assert text.index("What did not pass") < text.index("What passed") < text.index("Graded with")
    assert seen["tables"] == 1 and seen["items"] == markdown.count("\n- ")
    assert seen["width"] == width
    assert seen["overflow"] <= 1  # nothing wider than the window, a phone's included


def test_feedback_page_as_written_runs_no_script(reports: Path, tmp_path: Path) -> None:
    assert probe_feedback(reports / "dave", tmp_path, keep_csp=True, width=1200) is None


SIMILARITY_PROBE = """<script>
const out = {
  overflow: document.documentElement.scrollWidth - window.innerWidth,
  width: window.innerWidth,
  marks: document.querySelectorAll("mark").length,
  sides: [...document.querySelectorAll(".side")].map((e) => e.getBoundingClientRect().width),
};
const pre = document.createElement("pre");
pre.id = "probe";
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"""


def similarity_page(folder: Path) -> Path:
    """A similarity.html of one flagged pair with a long line and long names, no copydetect."""
    from grader.reports.similarity_report import write_similarity_reports
    from grader.similarity import Code, Pair, SimilarityReport

    text = "def f(x):\n    return x + 1\n" + "y = " + "a" * 400 + "\n" + "z = 2\n" * 30
    a = Code("a-student-with-a-very-long-name", "ex03_forward_pass", "ex03_forward_pass.py", text)
    b = Code("another_long_name_2025", "ex03_forward_pass", "ex03_forward_pass.ipynb", text)
    pair = Pair("ex03_forward_pass", a, b, 1.0, 1.0, 120, ((0, 40),), ((0, 40),))
    report = SimilarityReport("Course", 0.5, (pair,), submissions=2, exercises=(a.exercise,))
    page, _ = write_similarity_reports(report, folder)
    return page


@pytest.mark.parametrize("width", [1280, 390])
def test_the_similarity_page_fits_desktop_and_phone(tmp_path: Path, width: int) -> None:
    page = similarity_page(tmp_path / "out")
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text())
    probed = page.with_name("probe.html")
    probed.write_text(text.replace("</body>", SIMILARITY_PROBE + "\n</body>"), encoding="utf-8")
    dom = dump_dom(probed, tmp_path / "profile", width=width)
    assert "Similarity: Course" in dom  # the page itself loaded
    seen = json.loads(ProbeText(dom).text)
    assert seen["width"] == width
    assert seen["overflow"] <= 1
    assert seen["marks"] == 2  # the matching region, on both sides
    first, second = seen["sides"]
    assert first == pytest.approx(second, abs=1)  # side by side (desktop) or stacked (phone)
    assert first > (500 if width == 1280 else 300)
