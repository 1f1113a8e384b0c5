"""Unpack a submitted ``.zip`` into a private folder, refusing anything unsafe.

A zip is student data: its entry names, modes and sizes are all chosen by the
student (docs/threats.md row 37, G5). So, before a single byte is written:

* an entry whose path is absolute, has a drive letter or climbs out with ``..``
  refuses the whole archive: no zip tool makes one by accident, and grading the
  rest would hide the attempt from staff;
* symlinks and special files (devices, FIFOs, sockets, judged by the Unix mode in
  the entry's external attributes) are never created; they are skipped with a
  note, so the student learns why that exercise is missing;
* the entry count and the declared total size are capped, and the bytes actually
  written are counted again while streaming (a zip bomb stops at the cap even if
  its headers lie);
* duplicate or conflicting entries (``a.py`` twice, or ``a`` both a file and a
  folder) refuse the archive rather than letting the last one win silently.

Hidden entries (``.ipynb_checkpoints/``, ``.DS_Store``) and macOS ``__MACOSX/``
forks are not extracted. Files are created with ``O_EXCL | O_NOFOLLOW`` in a
folder the caller made private; this module never creates a symlink, so no path
it writes can lead outside that folder.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from grader.errors import GraderError

__all__ = ["ArchiveError", "extract_zip"]

_CHUNK = 1 << 16
_NAME_BYTES = 255  # longest file name component on common file systems
_DRIVE = re.compile(r"^[A-Za-z]:")
_SKIPPED_DIRS = frozenset({"__MACOSX", "__pycache__"})
# What the zip reader raises on a damaged or unsupported archive.
_BROKEN = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError)


class ArchiveError(GraderError):
    """The archive cannot be used at all; the message is complete and student-facing."""


def extract_zip(archive: Path, dest: Path, *, max_bytes: int, max_entries: int) -> list[str]:
    """Extract the regular files of ``archive`` into the existing folder ``dest``.

    ``max_bytes`` caps both the archive file and what it unpacks to;
    ``max_entries`` caps its entry count. Returns notes about entries that were
    skipped (symlinks, special files). Raises :class:`ArchiveError`.
    """
    shown = _shown(archive.name)
    size = archive.stat().st_size
    if size > max_bytes:
        raise ArchiveError(
            f"{shown} is {_size(size)}, over the {_size(max_bytes)} limit. "
            "Submit only your exercise files (.py or .ipynb), without data or outputs."
        )
    notes: list[str] = []
    with _reading(shown), zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        if len(infos) > max_entries:
            raise ArchiveError(
                f"{shown} holds {len(infos)} entries, more than the {max_entries} allowed. "
                "Submit only your exercise files."
            )
        plan = _plan(shown, infos, notes)
        declared = sum(info.file_size for info, _ in plan)
        if declared > max_bytes:
            raise _too_big(shown, max_bytes)
        written = 0
        for info, parts in plan:
            target = _prepare(dest, parts)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as out, zf.open(info) as src:
                while chunk := src.read(_CHUNK):
                    written += len(chunk)
                    if written > max_bytes:
                        raise _too_big(shown, max_bytes)
                    out.write(chunk)
    return notes


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


@contextmanager
def _reading(shown: str) -> Iterator[None]:
    """Turn the zip reader's own failures into one student-facing message."""
    try:
        yield
    except _BROKEN as exc:
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise ArchiveError(
            f"not a valid zip archive: {shown} ({reason}). "
            "Re-create the zip from your files and submit again."
        ) from None


def _plan(
    shown: str, infos: list[zipfile.ZipInfo], notes: list[str]
) -> list[tuple[zipfile.ZipInfo, list[str]]]:
    """Check every entry before anything is written; return the files to extract."""
    plan: list[tuple[zipfile.ZipInfo, list[str]]] = []
    files: set[tuple[str, ...]] = set()
    folders: set[tuple[str, ...]] = set()
    for info in infos:
        parts = _safe_parts(shown, info.filename)
        if not parts or any(p.startswith(".") or p in _SKIPPED_DIRS for p in parts):
            continue
        kind = _kind(info)
        if kind == "folder":
            continue
        name = _shown("/".join(parts))
        if kind == "symlink":
            notes.append(
                f"skipped {name} in {shown}: it is a symbolic link; submit the file itself"
            )
            continue
        if kind == "special":
            notes.append(f"skipped {name} in {shown}: it is not a regular file")
            continue
        if info.flag_bits & 0x1:
            raise ArchiveError(
                f"{shown} is password-protected ({name}). Zip your files without a password "
                "and submit again."
            )
        key = tuple(parts)
        if key in files or key in folders or any(key[:i] in files for i in range(1, len(key))):
            raise ArchiveError(
                f"{shown} holds {name} more than once, or as both a file and a folder. "
                "Re-create the zip from your files and submit again."
            )
        files.add(key)
        folders.update(key[:i] for i in range(1, len(key)))
        plan.append((info, parts))
    return plan


def _safe_parts(shown: str, filename: str) -> list[str]:
    """The entry's path components, or ArchiveError if it could land outside ``dest``."""
    name = filename.replace("\\", "/")  # Windows tools sometimes write backslashes
    if name.startswith("/") or _DRIVE.match(name):
        raise ArchiveError(
            f"{shown} contains an entry with an absolute path ({_shown(filename)}); such "
            "archives are refused. Re-create the zip from your submission folder and submit again."
        )
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ArchiveError(
            f"{shown} contains an entry that points outside the archive ({_shown(filename)}); "
            "such archives are refused. Re-create the zip from your submission folder and "
            "submit again."
        )
    if any(len(part.encode("utf-8", "surrogateescape")) > _NAME_BYTES for part in parts):
        raise ArchiveError(
            f"{shown} contains an entry whose name is too long ({_shown(filename)})."
        )
    return parts


def _kind(info: zipfile.ZipInfo) -> str:
    """folder, file, symlink or special, from the Unix mode when the entry has one.

    The mode is trusted whatever ``create_system`` says: a symlink is refused
    even when the archive claims to come from another system.
    """
    fmt = stat.S_IFMT(info.external_attr >> 16)
    if fmt == stat.S_IFLNK:
        return "symlink"
    if fmt == stat.S_IFDIR or (fmt == 0 and info.filename.endswith(("/", "\\"))):
        return "folder"
    if fmt in (0, stat.S_IFREG):
        return "file"
    return "special"


def _prepare(dest: Path, parts: list[str]) -> Path:
    """Create the entry's parent folders (ours, never symlinks) and return its path."""
    folder = dest
    for part in parts[:-1]:
        folder = folder / part
        if not folder.is_dir():
            os.mkdir(folder, 0o700)
    return folder / parts[-1]


def _too_big(shown: str, max_bytes: int) -> ArchiveError:
    return ArchiveError(
        f"{shown} would unpack to more than {_size(max_bytes)}. "
        "Submit only your exercise files (.py or .ipynb), without data or outputs."
    )


def _shown(name: str) -> str:
    """A student-chosen name made safe to print: printable, one line, bounded."""
    flat = "".join(c if c.isprintable() else "?" for c in name)
    return flat if len(flat) <= 100 else flat[:97] + "..."


def _size(n: int) -> str:
    """Bytes for people: 900 bytes, 12.5 KB, 20 MB, 1.4 MB."""
    for unit, scale in (("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            value = n / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"
