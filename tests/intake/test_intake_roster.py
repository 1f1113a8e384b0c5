"""The roster: required columns, Canvas' own column spellings, errors that name the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.intake.roster import RosterError, find, read_roster


def test_canvas_spelled_columns_are_read(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "ID,Name,Section,SIS User ID,SIS Login ID\n48213,José García,A,S-001,jgarcia\n",
        encoding="utf-8",
    )
    (student,) = read_roster(roster)
    assert (student.id, student.name, student.section) == ("48213", "José García", "A")
    assert (student.sis_user_id, student.sis_login_id) == ("S-001", "jgarcia")
    assert find([student], "48213") is student and find([student], "48213 ") is None


def test_a_repeated_id_names_its_line(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\n1,A\n1,B\n", encoding="utf-8")
    with pytest.raises(RosterError, match=r"roster\.csv, line 3: id '1' appears twice"):
        read_roster(roster)
