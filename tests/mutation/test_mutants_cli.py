"""`grader mutants` end to end: variants graded through the sandbox, the score, the exit code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.assignment import use
from grader.cli import main

REPO = Path(__file__).resolve().parents[2]
BASICS = REPO / "examples" / "assignments" / "tensor_basics"


@pytest.fixture(autouse=True)
def _restore_assignment() -> object:
    before = os.environ.get("GRADER_ASSIGNMENT")
    yield
    if before is None:
        os.environ.pop("GRADER_ASSIGNMENT", None)
    else:
        os.environ["GRADER_ASSIGNMENT"] = before
    use(None)


def test_bundled_course_quick_subset_is_all_killed(capsys: pytest.CaptureFixture[str]) -> None:
    """What CI runs: the assignment's fixed quick list, every variant killed."""
    code = main(["mutants", "--assignment", str(REPO), "--quick", "--jobs", "2", "--cases", "8"])
    out = capsys.readouterr().out
    assert "softmax_manual" in out and "predict_binary" in out and "mse_manual" in out
    assert "mutation score 100.0%" in out and "SURVIVED" not in out
    assert code == 0


def test_a_survivor_is_listed_with_its_input_and_accepted_with_its_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["mutants", "--assignment", str(BASICS), "--function", "standardize",
                 "--jobs", "2", "--cases", "6"])  # fmt: skip
    out = capsys.readouterr().out
    assert "accepted standardize:change-constant@32:46#2: eps is" in out
    assert "standardize:catalogue:sample_std" not in out  # killed: not listed
    assert code == 0


def test_unknown_function_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mutants", "--assignment", str(BASICS), "--function", "nope"]) == 2
    assert "not a graded function of tensor-basics" in capsys.readouterr().err


def test_verify_prints_the_quick_score_and_fails_under_the_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`grader verify`'s mutation line; without its accepted file tensor_basics is under 100%."""
    from grader.commands.verify import _mutation_line

    for item in BASICS.iterdir():
        if item.name not in ("mutants", "assignment.toml"):
            (tmp_path / item.name).symlink_to(item)
    (tmp_path / "mutants").mkdir()
    for item in (BASICS / "mutants").iterdir():
        if item.name != "accepted.toml":
            (tmp_path / "mutants" / item.name).symlink_to(item)
    toml = (BASICS / "assignment.toml").read_text(encoding="utf-8")
    toml = toml.replace("threshold = 0.98", "threshold = 1.0")
    toml = toml.replace('quick = ["flatten_rows", "masked_mean"]', 'quick = ["standardize"]')
    (tmp_path / "assignment.toml").write_text(toml, encoding="utf-8")
    use(tmp_path)
    problems = _mutation_line("quick", None)
    out = capsys.readouterr().out
    assert "mutants (quick: standardize): mutation score" in out
    assert "survived: standardize:change-constant@32:46#2" in out
    assert len(problems) == 1 and "under the threshold of 100%" in problems[0]
