"""Merge the outputs of sharded runs (``grader grade --shard I/N``) into one class folder.

Each shard's output holds one ``<name>/`` folder per submission it graded and
its own partial ``gradebook.csv`` / ``junit.xml``. The merge copies every
submission folder into ``OUT`` and rebuilds the class reports from the
``report.json`` files, so the result is the folder one unsharded run would
have written (``write_class_reports`` decides which class files that is).

Two rules keep a merge from silently hiding a grade:

- the same submission name in two places is accepted only when both reports
  grade the same files (equal fingerprints); otherwise the merge stops and
  names the submission, since picking either report would be a guess;
- a submission folder with reports but no ``report.json`` is a grading that
  did not finish; the merge stops rather than drop that student.

A class run with a roster also keeps its students who handed in nothing
(``.missing.json``); the merge puts them back in the gradebook.

``OUT`` may be new or hold an earlier merge: its own reports take part like
one more shard, so merging shards one at a time works.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError
from grader.model import SubmissionResult
from grader.reports import load_report, write_class_reports
from grader.reports.atomic import write_text_atomic

__all__ = ["MergeError", "MergeSummary", "merge_shards", "shard_reports"]

# Files a per-submission report folder holds; any of them without report.json means unfinished.
_REPORT_FILES = ("report.json", "feedback.md", "feedback.html", "results.json", "staff.log")


class MergeError(GraderError, ValueError):
    """The shards cannot be merged as they are; the message says which submission and why."""

    default_hint = "each submission must be graded once; check the --shard I/N of each run"


@dataclass(frozen=True)
class MergeSummary:
    out_dir: Path
    results: tuple[SubmissionResult, ...]  # every submission in OUT, sorted by name
    copied: int  # submission folders copied in by this merge
    duplicates: int  # submissions found more than once with the same fingerprint
    missing: tuple[SubmissionResult, ...] = ()  # roster students who handed in nothing


def shard_reports(shard: Path) -> dict[str, tuple[Path, SubmissionResult]]:
    """``name -> (folder, result)`` for every finished submission in one shard's output."""
    shard = Path(shard)
    if not shard.is_dir():
        raise MergeError(f"{shard}: not a folder of grading reports")
    found: dict[str, tuple[Path, SubmissionResult]] = {}
    for folder in sorted(shard.iterdir()):
        if folder.name.startswith(".") or folder.is_symlink() or not folder.is_dir():
            continue
        report = folder / "report.json"
        if not report.is_file():
            if any((folder / name).exists() for name in _REPORT_FILES):
                raise MergeError(
                    f"{folder}: {folder.name} has reports but no report.json; "
                    "its grading did not finish (rerun that shard, which resumes)"
                )
            continue
        try:
            result = load_report(report)
        except (ValueError, OSError) as error:
            raise MergeError(f"{folder.name}: unreadable report ({error})") from None
        if result.submission != folder.name:
            raise MergeError(
                f"{report}: the report is for {result.submission!r}, "
                f"but it sits in the folder {folder.name!r}"
            )
        found[folder.name] = (folder, result)
    return found


def merge_shards(out_dir: Path, shards: Sequence[Path]) -> MergeSummary:
    """Copy every shard's submission folders into ``out_dir`` and rewrite the class reports.

    Everything is checked before anything is copied, so a refused merge
    leaves ``out_dir`` as it was.
    """
    out = Path(out_dir).resolve()
    if not shards:
        raise MergeError("no shard folders to merge")
    sources = [Path(shard).resolve() for shard in shards]
    for source in sources:
        if source == out:
            raise MergeError(f"{source}: the output folder cannot also be a shard")
        if out.is_relative_to(source) or source.is_relative_to(out):
            raise MergeError(f"{source}: shard and output folders must not contain each other")
    merged: dict[str, tuple[Path, SubmissionResult]] = {}
    origin: dict[str, Path] = {}
    if out.is_dir():
        for name, entry in shard_reports(out).items():
            merged[name], origin[name] = entry, out
    to_copy: list[tuple[str, Path]] = []
    duplicates = 0
    for source in dict.fromkeys(sources):  # a shard named twice counts once
        for name, (folder, result) in shard_reports(source).items():
            if name not in merged:
                merged[name], origin[name] = (folder, result), source
                to_copy.append((name, folder))
                continue
            first = merged[name][1]
            if not result.fingerprint or result.fingerprint != first.fingerprint:
                raise MergeError(
                    f"submission {name!r} was graded differently in {origin[name]} and "
                    f"{source} (fingerprints {first.fingerprint or 'none'} and "
                    f"{result.fingerprint or 'none'}); remove the stale report and merge again"
                )
            duplicates += 1
    for name, _ in to_copy:
        if (out / name).exists() or (out / name).is_symlink():
            raise MergeError(f"{out / name}: already exists but holds no report; move it away")
    out.mkdir(parents=True, exist_ok=True)
    for name, folder in to_copy:
        _copy_folder(folder, out / name)
    results = tuple(result for _, (_, result) in sorted(merged.items()))
    missing = tuple(_missing(out, sources, results))
    write_class_reports((*results, *missing), out)
    _merge_class_run_files(out, [out, *dict.fromkeys(sources)])
    return MergeSummary(out, results, len(to_copy), duplicates, missing)


def _missing(
    out: Path, sources: Sequence[Path], results: Sequence[SubmissionResult]
) -> list[SubmissionResult]:
    """Roster students who handed in nothing, from every shard of a class run.

    Each shard lists only its own; anyone who has a report in the merge is not
    missing. The merged list is kept in ``out`` for the next merge.
    """
    from grader.classrun import read_missing, write_missing

    handed_in = {r.student.id for r in results if r.student is not None}
    found: dict[str, SubmissionResult] = {}
    for folder in [out, *dict.fromkeys(sources)]:
        for result in read_missing(folder):
            if result.student is not None and result.student.id not in handed_in:
                found.setdefault(result.student.id, result)
    missing = [found[key] for key in sorted(found)]
    write_missing(out, missing)
    return missing


def _merge_class_run_files(out: Path, folders: Sequence[Path]) -> None:
    """Carry what ``grader grade --class`` writes beside the reports into the merge.

    ``changes.csv``: every shard's rows under one header (each shard lists only
    its own students). ``.grading-fingerprint``: kept only when every shard that
    has one agrees, so a later rerun into ``OUT`` regrades when they did not.
    """
    header: list[str] | None = None
    rows: list[list[str]] = []
    prints: set[str] = set()
    for folder in folders:
        changes = folder / "changes.csv"
        if changes.is_file():
            found = list(csv.reader(io.StringIO(changes.read_text(encoding="utf-8"))))
            if found:
                header = header or found[0]
                rows += [row for row in found[1:] if row not in rows]
        stamp = folder / ".grading-fingerprint"
        if stamp.is_file():
            prints.add(stamp.read_text(encoding="utf-8").strip())
    if header is not None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerows([header, *sorted(rows)])
        write_text_atomic(out / "changes.csv", buffer.getvalue())
    if len(prints) == 1:
        write_text_atomic(out / ".grading-fingerprint", prints.pop() + "\n")


def _copy_folder(source: Path, target: Path) -> None:
    """Copy a report folder so that ``target`` appears whole or not at all."""
    temp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        for item in sorted(source.iterdir()):
            # regular files only: judges write no links or folders, and leftover temp files
            # of a killed judge (".report.json.*.tmp") are not reports
            if item.name.startswith(".") or item.is_symlink() or not item.is_file():
                continue
            shutil.copy2(item, temp / item.name)
        os.chmod(temp, 0o777 & ~_umask())
        os.replace(temp, target)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
