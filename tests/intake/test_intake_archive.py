"""Zip submissions: unpacked only when every entry is safe, within size and count caps."""

from __future__ import annotations

import stat
import tempfile
import zipfile
from pathlib import Path

import pytest

from grader.intake import IntakeLimits, SubmissionError, load_submission
from grader.intake.archive import ArchiveError, extract_zip

FILES = Path(__file__).resolve().parent.parent / "files" / "intake"
SOFTMAX = "def softmax_manual(z):\n    return z.softmax(dim=-1)\n"


def make_zip(
    path: Path, entries: dict[str, str | bytes], *, modes: dict[str, int] | None = None
) -> Path:
    """A zip with ``entries``; ``modes`` sets an entry's Unix file type and permissions."""
    modes = modes or {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name in modes:
                info.create_system = 3
                info.external_attr = modes[name] << 16
            zf.writestr(info, data)
    return path


def test_zip_with_a_single_top_folder_and_notebooks_is_read(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "alice.zip",
        {
            "alice/": "",
            "alice/exercises/ex03_forward_pass.py": SOFTMAX,
            "alice/exercises/notebooks/ex08_activations.ipynb": (
                FILES / "magics.ipynb"
            ).read_bytes(),
            "alice/README.md": "my work",
            "__MACOSX/alice/._ex03_forward_pass.py": b"\x00\x05\x16\x07",
            "alice/.ipynb_checkpoints/ex03_forward_pass-checkpoint.ipynb": "{}",
        },
    )

    submission = load_submission(archive)

    assert submission.name == "alice"
    assert sorted(submission.exercises) == ["ex03_forward_pass", "ex08_activations"]
    ex03 = submission.exercises["ex03_forward_pass"]
    assert (ex03.origin, ex03.kind, ex03.source) == (
        "alice/exercises/ex03_forward_pass.py", "module", SOFTMAX,
    )  # fmt: skip
    assert submission.exercises["ex08_activations"].kind == "notebook"
    assert submission.problems == {}
    assert submission.notes == ()


def test_extracted_files_are_private_to_the_grader(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "a.zip", {"sub/ex03_forward_pass.py": SOFTMAX})
    dest = tmp_path / "out"
    dest.mkdir()

    extract_zip(archive, dest, max_bytes=1 << 20, max_entries=10)

    written = dest / "sub" / "ex03_forward_pass.py"
    assert written.read_text() == SOFTMAX
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert stat.S_IMODE(written.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize("good", [True, False])
def test_no_scratch_folder_is_left_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, good: bool
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    name = "ex03_forward_pass.py" if good else "../ex03_forward_pass.py"
    archive = make_zip(tmp_path / "a.zip", {"ok.txt": "x", name: SOFTMAX})

    if good:
        assert "ex03_forward_pass" in load_submission(archive).exercises
    else:
        with pytest.raises(SubmissionError):
            load_submission(archive)

    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("../ex03_forward_pass.py", "points outside the archive (../ex03_forward_pass.py)"),
        ("a/../../ex03_forward_pass.py", "points outside the archive"),
        ("..\\ex03_forward_pass.py", "points outside the archive"),
        ("/tmp/ex03_forward_pass.py", "an absolute path (/tmp/ex03_forward_pass.py)"),
        ("C:/ex03_forward_pass.py", "an absolute path"),
    ],
)
def test_entry_that_could_land_outside_refuses_the_whole_archive(
    tmp_path: Path, entry: str, message: str
) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    archive = make_zip(inner / "bob.zip", {"ex01_multiclass.py": "x = 1", entry: SOFTMAX})

    with pytest.raises(SubmissionError, match=r"^bob\.zip contains an entry") as info:
        load_submission(archive)

    assert message in str(info.value)
    assert "Re-create the zip" in str(info.value)
    assert not (tmp_path / "ex03_forward_pass.py").exists()
    assert not (inner / "ex03_forward_pass.py").exists()


def test_symlink_entry_is_never_created_and_is_noted(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "carol.zip",
        {
            "ex03_forward_pass.py": "/work/main/grader/checks/test_ex03.py",
            "ex01_multiclass.py": "x = 1",
        },
        modes={"ex03_forward_pass.py": stat.S_IFLNK | 0o777},
    )
    dest = tmp_path / "out"
    dest.mkdir()

    notes = extract_zip(archive, dest, max_bytes=1 << 20, max_entries=10)
    submission = load_submission(archive)

    assert not (dest / "ex03_forward_pass.py").exists()
    assert not (dest / "ex03_forward_pass.py").is_symlink()
    assert notes == [
        "skipped ex03_forward_pass.py in carol.zip: it is a symbolic link; submit the file itself"
    ]
    assert list(submission.exercises) == ["ex01_multiclass"]
    assert submission.notes == tuple(notes)


def test_device_entry_is_skipped(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "d.zip",
        {"ex03_forward_pass.py": ""},
        modes={"ex03_forward_pass.py": stat.S_IFCHR | 0o666},
    )

    submission = load_submission(archive)

    assert submission.exercises == {}
    assert submission.notes[0] == "skipped ex03_forward_pass.py in d.zip: it is not a regular file"


def test_zip_bomb_over_the_default_cap_is_refused_before_writing(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "bomb.zip", {"ex03_forward_pass.py": b"\0" * (51 << 20)})
    assert archive.stat().st_size < 1 << 20  # tiny on disk
    dest = tmp_path / "out"
    dest.mkdir()

    with pytest.raises(SubmissionError, match=r"^bomb\.zip would unpack to more than 50 MB\."):
        load_submission(archive)
    with pytest.raises(ArchiveError):
        extract_zip(archive, dest, max_bytes=IntakeLimits().archive_bytes, max_entries=10)

    assert list(dest.iterdir()) == []  # refused from the headers, not after 50 MB of writing


def test_total_of_all_entries_is_capped(tmp_path: Path) -> None:
    entries = {f"data/part{i}.bin": b"\0" * 300_000 for i in range(5)}
    archive = make_zip(tmp_path / "many.zip", entries)
    dest = tmp_path / "out"
    dest.mkdir()

    with pytest.raises(ArchiveError, match="would unpack to more than 1 MB"):
        extract_zip(archive, dest, max_bytes=1 << 20, max_entries=100)


def test_too_many_entries_are_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "n.zip", {f"f{i}.txt": "" for i in range(6)})

    with pytest.raises(SubmissionError, match="holds 6 entries, more than the 5 allowed"):
        load_submission(archive, limits=IntakeLimits(archive_entries=5))


def test_archive_file_over_the_cap_is_refused_without_opening_it(tmp_path: Path) -> None:
    archive = tmp_path / "big.zip"
    archive.write_bytes(b"not even a zip" * 100_000)

    with pytest.raises(SubmissionError, match=r"big.zip is 1.3 MB, over the 1 MB limit"):
        load_submission(archive, limits=IntakeLimits(archive_bytes=1 << 20))


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_zip_is_refused_with_a_clear_message(tmp_path: Path, damage: str) -> None:
    archive = tmp_path / "eve.zip"
    if damage == "garbage":
        archive.write_bytes(b"PK\x03\x04 this is not really a zip")
    else:
        good = make_zip(tmp_path / "good.zip", {"ex03_forward_pass.py": SOFTMAX * 50})
        archive.write_bytes(good.read_bytes()[:-30])

    with pytest.raises(SubmissionError, match=r"^not a valid zip archive: eve.zip \(") as info:
        load_submission(archive)

    assert str(info.value).endswith("Re-create the zip from your files and submit again.")


def test_duplicate_entries_refuse_the_archive(tmp_path: Path) -> None:
    archive = tmp_path / "dup.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ex03_forward_pass.py", "good = 1")
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("ex03_forward_pass.py", "evil = 1")

    with pytest.raises(SubmissionError, match=r"holds ex03_forward_pass\.py more than once"):
        load_submission(archive)


def test_password_protected_entries_refuse_the_archive(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "locked.zip", {"ex03_forward_pass.py": "x = 1"})
    data = bytearray(archive.read_bytes())
    # zipfile cannot encrypt, so set the "encrypted" flag bit in both headers by hand.
    for signature, flags_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        data[data.index(signature) + flags_offset] |= 0x1
    archive.write_bytes(bytes(data))

    with pytest.raises(SubmissionError, match="is password-protected"):
        load_submission(archive)


def test_hostile_entry_names_are_printed_safely(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "z.zip", {"../\x1b[31mPASSED\n.py": "x"})

    with pytest.raises(SubmissionError) as info:
        load_submission(archive)

    assert "\x1b" not in str(info.value) and "\n" not in str(info.value)
    assert "?[31mPASSED?.py" in str(info.value)
