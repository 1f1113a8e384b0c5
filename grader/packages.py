"""The packages a student's code may import when graded, as configured in ``pyproject.toml``.

The grader's own dependencies that courses use (torch, numpy, pandas,
scikit-learn, matplotlib, tqdm) plus the ``course`` extra, where a course adds
what its notebooks import (seaborn, torchvision, ...) without a code change:
``make install`` installs that extra into the venv. Named in the feedback when
an import fails, so a student sees at once what they can use. Read from the
installed package's metadata, so it holds wherever the grader is installed.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import metadata

__all__ = ["available_packages"]

_DISTRIBUTION = "torch-course-grader"
# Our own machinery, not something a course's code imports.
_INTERNAL = frozenset(
    {"pytest", "rich", "nbformat", "nbconvert", "ipython", "ruff", "markdown-it-py"}
)
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@cache
def available_packages() -> tuple[str, ...]:
    """Distribution names, sorted: the dependencies a course uses and the ``course`` extra."""
    try:
        requirements = metadata.requires(_DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return ()
    names: set[str] = set()
    for requirement in requirements:
        spec, _, marker = requirement.partition(";")
        if marker and "extra" in marker and '"course"' not in marker and "'course'" not in marker:
            continue
        found = _NAME.match(spec)
        if found and found.group(1).lower() not in _INTERNAL:
            names.add(found.group(1).lower())
    return tuple(sorted(names))
