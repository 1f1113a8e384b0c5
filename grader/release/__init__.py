"""The student bundle: ``grader release OUT`` (staff only; never part of the bundle itself).

:func:`release` writes the exercises, the datasets, a student README and the
part of this package that ``grader check`` needs, with the checks cut down to
the public ones (:mod:`grader.release.public_checks`), then refuses to finish
if any file carries a solution line, a hidden check or the input secret
(:mod:`grader.release.leaks`).
"""

from __future__ import annotations

from grader.release.bundle import MANIFEST, Bundle, bundle_modules, release
from grader.release.public_checks import PublicChecks, ReleaseError, extract_public_checks

__all__ = [
    "MANIFEST",
    "Bundle",
    "PublicChecks",
    "ReleaseError",
    "bundle_modules",
    "extract_public_checks",
    "release",
]
