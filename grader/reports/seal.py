"""Every report a class run accepted, sealed by digest and checked again at the end.

Where the sandbox cannot keep a worker out of the output folder (L1 without
root: no namespaces, no Landlock, no other uid), a hostile submission can
rewrite another student's ``report.json`` or ``feedback.md`` after that
student was graded (docs/threats.md row 24). The orchestrator cannot stop
that write, but it can make sure it never counts:

- the judge digests the texts it writes (:func:`digest_texts`) and sends
  them with the report itself over its pipe, so the orchestrator never reads
  a grade back from a path a worker could write;
- the ledger keeps each accepted result and its digests; before the class
  files are written, :meth:`Ledger.recheck` digests every folder again,
  writes any that changed back from the accepted result, and says which, so
  the gradebook and stderr can flag them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from grader.model import SubmissionResult

__all__ = ["REPORT_FILES", "Ledger", "digest_folder", "digest_texts"]

# Per submission, every file the grader writes (staff.log only when there is one).
REPORT_FILES = ("feedback.md", "feedback.html", "results.json", "staff.log", "report.json")
_MISSING = "missing"


def digest_texts(files: Mapping[str, str]) -> dict[str, str]:
    """SHA-256 of each text as written (UTF-8), with every absent report file marked."""
    digests = {name: _MISSING for name in REPORT_FILES}
    for name, text in files.items():
        digests[name] = hashlib.sha256(text.encode()).hexdigest()
    return digests


def digest_folder(folder: Path) -> dict[str, str]:
    """SHA-256 of each report file now in ``folder`` (``missing`` where there is none)."""
    digests = {}
    for name in REPORT_FILES:
        try:
            digests[name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        except FileNotFoundError:
            digests[name] = _MISSING
        except OSError as exc:  # a folder turned into something unreadable counts as changed
            digests[name] = f"unreadable: {exc}"
    return digests


@dataclass
class Ledger:
    """The reports one run accepted: name -> (result, digests of its files)."""

    out_dir: Path
    accepted: dict[str, tuple[SubmissionResult, dict[str, str]]] = field(default_factory=dict)
    before: frozenset[str] = frozenset()  # report folders that were there when the run began

    @classmethod
    def start(cls, out_dir: Path) -> Ledger:
        return cls(out_dir, before=frozenset(_report_folders(out_dir)))

    def accept(self, result: SubmissionResult, digests: Mapping[str, str] | None = None) -> None:
        """Seal ``result``: with the digests its writer sent, or else those on disk now."""
        if digests is None:
            folder = self.out_dir / result.submission
            digests = digest_folder(folder)
            if not result.staff_log and digests["staff.log"] != _MISSING:
                # report.json leaves the staff log out: keep it to write it again
                with contextlib.suppress(OSError, UnicodeDecodeError):
                    text = (folder / "staff.log").read_text(encoding="utf-8")
                    result = dataclasses.replace(result, staff_log=text)
        self.accepted[result.submission] = (result, dict(digests))

    def recheck(self) -> dict[str, str]:
        """Digest every accepted folder again and restore those that changed.

        Returns submission -> what happened, for staff: which files changed,
        and whether writing them again from the accepted result brought the
        digests back. A report folder that appeared during the run and that
        no judge wrote is named too (it is not graded and not deleted).
        """
        from grader.reports import submission_files, write_submission_reports

        flags: dict[str, str] = {}
        for name, (result, sealed) in self.accepted.items():
            now = digest_folder(self.out_dir / name)
            changed = [file for file in REPORT_FILES if now.get(file) != sealed.get(file)]
            if not changed:
                continue
            files = submission_files(result)
            write_submission_reports(result, self.out_dir, files=files)
            restored = digest_folder(self.out_dir / name) == digest_texts(files)
            if restored:
                self.accepted[name] = (result, digest_texts(files))
            what = ("written again from the grade the grader accepted" if restored
                    else "could not be written again: do not trust this folder")  # fmt: skip
            flags[name] = (f"{', '.join(changed)} changed after grading; {what} "
                           "(something in this class wrote into the output folder)")  # fmt: skip
        for name in sorted(_report_folders(self.out_dir) - self.before - set(self.accepted)):
            flags[name] = "a report that no judge of this run wrote appeared during the run"
        return flags


def _report_folders(out_dir: Path) -> set[str]:
    try:
        return {path.parent.name for path in out_dir.glob("*/report.json")}
    except OSError:
        return set()
