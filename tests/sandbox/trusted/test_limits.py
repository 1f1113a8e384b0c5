"""Limits as configuration: one default each, the assignment file, then ``--limit``."""

from __future__ import annotations

import pytest

from grader.assignment import AssignmentError
from grader.cli import main
from grader.sandbox.trusted.limits import (
    OVERRIDES_VARIABLE,
    LimitError,
    Limits,
    configured,
    parse_overrides,
)


def test_overrides_read_numbers_and_size_suffixes() -> None:
    assert parse_overrides(["call_timeout=2.5", "memory_bytes=2G", "open_files=64"]) == {
        "call_timeout": 2.5,
        "memory_bytes": 2 << 30,
        "open_files": 64,
    }
    assert parse_overrides(["output_bytes=512K"]) == {"output_bytes": 512 << 10}


@pytest.mark.parametrize("item", ["call_timeout", "=2", "call_timeout=", "call_timeout=fast"])
def test_an_override_that_is_not_name_equals_number_is_refused(item: str) -> None:
    with pytest.raises(LimitError, match="--limit") as caught:
        parse_overrides([item])
    assert caught.value.hint.startswith("for example --limit")


def test_the_command_line_wins_over_the_assignment_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(OVERRIDES_VARIABLE, raising=False)
    base = configured()
    assert configured({"call_timeout": 0.5}).call_timeout == 0.5
    assert configured({"call_timeout": 0.5}).import_timeout == base.import_timeout
    monkeypatch.setenv(OVERRIDES_VARIABLE, "restarts=1,memory_bytes=1G")
    from_env = configured()
    assert (from_env.restarts, from_env.memory_bytes) == (1, 1 << 30)


def test_a_bad_command_line_limit_is_the_users_not_the_authors() -> None:
    with pytest.raises(LimitError, match="--limit: unknown limit") as caught:
        configured({"call_timout": 1})
    assert not isinstance(caught.value, AssignmentError)
    assert "call_timeout" in caught.value.hint
    with pytest.raises(LimitError, match="cpu_seconds must be a positive whole number"):
        configured({"cpu_seconds": 1.5})


def test_the_cli_refuses_a_bad_limit_before_grading(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.delenv(OVERRIDES_VARIABLE, raising=False)
    out = tmp_path / "out"
    code = main(["grade", "--class", str(tmp_path), "--out", str(out), "--limit", "nope=3"])
    assert code == 2
    err = capsys.readouterr().err
    assert "error: --limit: unknown limit(s) nope" in err and "hint: known: " in err
    assert not out.exists()


def test_report_dict_names_every_limit() -> None:
    assert Limits(call_timeout=1.5).to_dict()["call_timeout"] == 1.5
    assert set(Limits().to_dict()) == {
        "import_timeout", "cell_timeout", "call_timeout", "cpu_seconds", "memory_bytes",
        "file_bytes", "open_files", "output_bytes", "value_bytes", "restarts", "processes",
        "exercises_per_worker",
    }  # fmt: skip
