"""``summary.html`` and ``feedback.html`` in a real browser: offline, rendered, linked.

Headless Chromium (Debian's ``chromium``) dumps the DOM after load. A copy of
the page with a measuring script appended (and the page's CSP removed so the
script may run) reports each bar's rendered box and each link's resolved URL;
the page as written, script appended but CSP kept, must not run it.
"""

from __future__ import annotations

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
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (`make test` installs it when run as root with apt: "
    "scripts/ensure-chromium.sh)",
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


def dump_dom(page: Path, profile: Path, *, width: int = 1200) -> str:
    assert CHROMIUM is not None
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


def probe(reports: Path, tmp_path: Path, *, keep_csp: bool) -> dict | None:
    page = (reports / "summary.html").read_text(encoding="utf-8")
    if not keep_csp:
        page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    probed = reports / f"probe-{keep_csp}.html"  # beside the page: relative links still resolve
    probed.write_text(page.replace("</body>", PROBE + "\n</body>"), encoding="utf-8")
    dom = dump_dom(probed, tmp_path / "profile")
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


FEEDBACK_PROBE = """<script>
const out = {
  headings: [...document.querySelectorAll("h1, h2, h3")].map((h) => h.textContent),
  text: document.body.innerText,
  overflow: document.documentElement.scrollWidth - window.innerWidth,
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
    assert seen["overflow"] <= 1  # nothing wider than the window, a phone's included


def test_feedback_page_as_written_runs_no_script(reports: Path, tmp_path: Path) -> None:
    assert probe_feedback(reports / "dave", tmp_path, keep_csp=True, width=1200) is None
