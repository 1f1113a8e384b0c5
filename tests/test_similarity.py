"""``grader similarity``: near-copies are flagged, independent work and the stubs are not.

A small class of the second assignment's ``tb02_reduce``: alice's solution,
bob's copy of it with every name changed (handed in as a notebook), carol's
own solution, dave's untouched stub, and erin and frank who each solved one
function their own way and left the other as the stub (so most of their files
is the same given code). Each ``compare`` runs copydetect once in a child.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

import nbformat
import pytest
from course_files import active
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.assignment import load
from grader.cli import main
from grader.similarity import SimilarityReport, compare, gather, own_code

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = ROOT / "examples" / "assignments" / "tensor_basics"
EXERCISE = "tb02_reduce"
STUB = (ASSIGNMENT / "exercises" / f"{EXERCISE}.py").read_text(encoding="utf-8")
TODO = re.compile(r"    # TODO[^\n]*\n    raise NotImplementedError\n")

ALICE = (
    """\
    weights = mask.to(x.dtype)
    total = (x * weights).sum(dim=1)
    count = weights.sum(dim=1)
    safe = count.clamp(min=1)
    return torch.where(count > 0, total / safe, torch.zeros_like(total))
""",
    """\
    mean = x.mean(dim=0, keepdim=True)
    centered = x - mean
    std = (centered**2).mean(dim=0, keepdim=True).sqrt()
    return centered / (std + eps)
""",
)
BOB = tuple(  # alice's code, every name changed and a comment added
    body.replace("weights", "w")
    .replace("total", "acc")
    .replace("count", "n_true")
    .replace("safe", "denominator")
    .replace("centered", "xc")
    .replace("std", "sigma")
    .replace("mean =", "mu =")
    .replace("x - mean", "x - mu")
    .replace("    return", "    # my own work\n    return")
    for body in ALICE
)
CAROL = (
    """\
    rows = []
    for values, keep in zip(x, mask):
        picked = values[keep]
        rows.append(picked.mean() if picked.numel() else values.new_zeros(()))
    return torch.stack(rows)
""",
    """\
    n = x.shape[0]
    mu = x.sum(0) / n
    var = ((x - mu) * (x - mu)).sum(0) / n
    return (x - mu) / (torch.sqrt(var) + eps)
""",
)
ERIN_MEAN = """\
    kept = torch.where(mask, x, torch.zeros_like(x))
    hits = mask.sum(1).to(x.dtype)
    return torch.nan_to_num(kept.sum(1) / hits)
"""
FRANK_STD = """\
    spread = x.std(dim=0, unbiased=False, keepdim=True)
    return (x - x.mean(0, keepdim=True)) / (spread + eps)
"""
STUBBED = None  # a function left as the stub


def filled(bodies: tuple[str | None, str | None]) -> str:
    """The stub with each TODO replaced by a body (None leaves the TODO)."""
    pieces = TODO.split(STUB)
    todos = TODO.findall(STUB)
    assert len(pieces) == 3 and len(todos) == 2, "the tb02 stub changed; update this test"
    out = pieces[0]
    for body, todo, rest in zip(bodies, todos, pieces[1:], strict=True):
        out += (body if body is not None else todo) + rest
    return out


def notebook(source: str) -> str:
    """``source`` as a notebook: the module split into a cell per top-level block."""
    nb = new_notebook()
    nb.cells.append(new_markdown_cell("# Masked and per-column reductions"))
    for block in source.split("\n\n\n"):
        nb.cells.append(new_code_cell(block.strip("\n")))
    nb.cells.append(new_code_cell("print(masked_mean(torch.ones(2, 3), torch.ones(2, 3) > 0))"))
    return nbformat.writes(nb)


def write_class(
    folder: Path, members: dict[str, str], *, as_notebook: frozenset[str] = frozenset()
) -> Path:
    for name, source in members.items():
        (folder / name).mkdir(parents=True)
        if name in as_notebook:
            (folder / name / f"{EXERCISE}.ipynb").write_text(notebook(source), encoding="utf-8")
        else:
            (folder / name / f"{EXERCISE}.py").write_text(source, encoding="utf-8")
    return folder


def run(argv: list[str]) -> int:
    """``grader`` with ``argv``; the active assignment (and its variable) restored after."""
    with active(ASSIGNMENT):
        return main(argv)


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_class(
        tmp_path_factory.mktemp("class"),
        {
            "alice": filled(ALICE),
            "bob": filled(BOB),
            "carol": filled(CAROL),
            "dave": STUB,
            "erin": filled((ERIN_MEAN, STUBBED)),
            "frank": filled((STUBBED, FRANK_STD)),
        },
        as_notebook=frozenset({"bob"}),
    )


@pytest.fixture(scope="module")
def past(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Last year's class: two copies of carol's solution, one of them reformatted."""
    folder = tmp_path_factory.mktemp("years") / "2025"
    folder.mkdir()
    return write_class(folder, {"yann": filled(CAROL), "zoe": filled(CAROL).replace("    ", "  ")})


@pytest.fixture(scope="module")
def report(klass: Path, past: Path) -> SimilarityReport:
    assignment = load(ASSIGNMENT)
    with active(ASSIGNMENT):
        codes, problems = gather(klass, assignment, past=[past])
    return compare(codes, assignment, problems=problems)


def scores(report: SimilarityReport) -> dict[frozenset[str], float]:
    return {frozenset((p.a.submission, p.b.submission)): p.score for p in report.pairs}


def test_a_renamed_copy_handed_in_as_a_notebook_is_flagged(report: SimilarityReport) -> None:
    top = report.pairs[0]
    assert {top.a.submission, top.b.submission} == {"alice", "bob"}
    assert top.score >= 0.9 and top in report.flagged
    bob = top.a if top.a.submission == "bob" else top.b
    assert bob.origin == f"{EXERCISE}.ipynb"
    assert "_GraderIPython" not in bob.text and "print(" not in bob.text  # intake's prelude
    assert top.slices_a and top.slices_b  # the matching regions, for the side by side


def test_independent_work_is_not_flagged(report: SimilarityReport) -> None:
    found = scores(report)
    for other in ("alice", "bob"):
        assert found[frozenset(("carol", other))] < report.threshold
    flagged = {frozenset((p.a.submission, p.b.submission)) for p in report.flagged}
    assert flagged == {frozenset(("alice", "bob")), frozenset(("carol", "2025/yann")),
                       frozenset(("carol", "2025/zoe"))}  # fmt: skip


def test_the_stubs_given_code_never_counts(report: SimilarityReport) -> None:
    # erin and frank share the whole stub (docstrings, signatures, one TODO each): no match
    assert scores(report)[frozenset(("erin", "frank"))] < 0.2
    # dave handed in the stub: nothing of his own to compare
    assert ("dave", EXERCISE, "only the given code") in report.not_compared
    assert all("dave" not in (p.a.submission, p.b.submission) for p in report.pairs)


def test_past_years_are_compared_with_this_year_not_with_each_other(
    report: SimilarityReport,
) -> None:
    past_pairs = [p for p in report.pairs if p.b.past]
    assert {p.b.submission for p in past_pairs} == {"2025/yann", "2025/zoe"}
    assert all(not p.a.past for p in report.pairs)  # this year's side is on the left
    assert frozenset(("2025/yann", "2025/zoe")) not in scores(report)
    assert report.submissions == 6 and report.past == 2
    assert len(report.pairs) == 10 + 2 * 5  # 5 compared this year, each also with 2 past


def test_the_csv_lists_every_pair_closest_first(report: SimilarityReport) -> None:
    from grader.reports.similarity_report import CSV_HEADER, similarity_csv

    rows = list(csv.reader(io.StringIO(similarity_csv(report))))
    assert tuple(rows[0]) == CSV_HEADER
    body = rows[1:]
    assert len(body) == len(report.pairs)
    values = [float(row[3]) for row in body]
    assert values == sorted(values, reverse=True)
    assert [row[7] for row in body] == ["yes"] * 3 + ["no"] * (len(body) - 3)
    assert {row[1] for row in body if row[8] == "yes"} == {"alice", "bob", "carol", "erin", "frank"}


def test_scores_are_the_same_on_every_run(klass: Path, report: SimilarityReport) -> None:
    # Each compare fingerprints in a new process; without a fixed hash seed the
    # winnowed fingerprints, and so the partial scores, change from run to run.
    assignment = load(ASSIGNMENT)
    with active(ASSIGNMENT):
        codes, _ = gather(klass, assignment)
    again = compare(codes, assignment)
    this_year = {k: v for k, v in scores(report).items() if not any("/" in n for n in k)}
    assert scores(again) == this_year
    assert any(0 < v < 0.9 for v in this_year.values())  # partial scores are compared too


def test_own_code_keeps_the_students_definitions_only() -> None:
    stub = (
        "import torch\n\ndef helper():\n    return 1\n\n"
        "def graded(x):\n    raise NotImplementedError\n"
    )
    source = stub.replace("raise NotImplementedError", "return helper() + x") + (
        "\ndef mine(y):\n    return y\n\nprint(graded(1))\n"
    )
    kept = own_code(source, stub, ["graded"])
    assert "def graded" in kept and "def mine" in kept
    assert "def helper" not in kept and "import torch" not in kept and "print(" not in kept
    assert own_code("def broken(:\n", stub, ["graded"]) == "def broken(:\n"  # kept whole


def test_the_command_writes_the_page_and_the_csv(
    klass: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = ["similarity", "--assignment", str(ASSIGNMENT), "--class", str(klass), "--out", str(out)]
    assert run(argv) == 0
    assert "1 of 10 pairs flagged (a share of 0.5 or more" in capsys.readouterr().err
    page = (out / "similarity.html").read_text(encoding="utf-8")
    assert "<mark>" in page and 'id="pair-1"' in page and "dave" in page
    assert not re.search(r"<(script|img|link|iframe)\b|\bsrc=", page)
    assert (out / "similarity.csv").read_text(encoding="utf-8").count("\n") == 11


def test_without_copydetect_it_names_the_extra_to_install(
    klass: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "copydetect", None)  # as if it were not installed
    argv = ["similarity", "--assignment", str(ASSIGNMENT), "--class", str(klass),
            "--out", str(tmp_path / "out")]  # fmt: skip
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert "needs copydetect, which is not installed" in err
    assert "pip install -e '.[similarity]'" in err
    assert not (tmp_path / "out").exists()


def test_a_bad_threshold_or_class_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["similarity", "--assignment", str(ASSIGNMENT), "--out", str(tmp_path / "out")]
    assert run([*base, "--class", str(tmp_path), "--threshold", "2"]) == 2
    assert run([*base, "--class", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "--threshold 2.0 is not between 0 and 1" in err
    assert "class folder not found" in err


def test_a_graded_class_summary_links_the_page_and_its_gradebook_is_kept(
    report: SimilarityReport, tmp_path: Path
) -> None:
    from report_samples import graded

    from grader.reports import write_class_reports, write_submission_reports
    from grader.reports.similarity_report import write_similarity_reports

    results = [graded("alice"), graded("bob")]
    for result in results:
        write_submission_reports(result, tmp_path)
    write_class_reports(results, tmp_path, flags={"bob": "ALTERED: report changed"})
    gradebook = (tmp_path / "gradebook.csv").read_bytes()
    assert "similarity.html" not in (tmp_path / "summary.html").read_text(encoding="utf-8")
    write_similarity_reports(report, tmp_path)
    summary = (tmp_path / "summary.html").read_text(encoding="utf-8")
    assert '<a href="similarity.html">Similarity report</a>' in summary
    assert 'href="alice/feedback.html"' in summary
    assert (tmp_path / "gradebook.csv").read_bytes() == gradebook  # its ALTERED flag stays
    write_class_reports(results, tmp_path)  # a later regrade keeps the link
    assert "similarity.html" in (tmp_path / "summary.html").read_text(encoding="utf-8")


def test_a_short_match_is_not_flagged_however_large_its_share() -> None:
    from grader.commands import similarity as verb
    from grader.similarity import DEFAULT_THRESHOLD, MIN_OVERLAP, Code, Pair

    assert (verb.DEFAULT_THRESHOLD, verb.MIN_OVERLAP) == (DEFAULT_THRESHOLD, MIN_OVERLAP)
    a, b = Code("ann", EXERCISE, "x.py", "..."), Code("ben", EXERCISE, "x.py", "...")
    one_line = Pair(EXERCISE, a, b, 1.0, 0.05, MIN_OVERLAP - 1, (), ())
    copied = Pair(EXERCISE, a, b, 0.6, 0.5, MIN_OVERLAP, (), ())
    report = SimilarityReport("t", DEFAULT_THRESHOLD, (one_line, copied))
    assert report.flagged == (copied,)
