"""Heavy modules a preloaded package imports but does not use: loaded on first use.

scikit-learn's preprocessing imports ``scipy.stats`` when it is imported,
for one helper (``mode``) that scalers never call. In the host template that
costs about a quarter of a second of every cold start and ~20 MB in the
largest process of the grading tree, for a module no lesson on scalers
touches. Imported through :class:`importlib.util.LazyLoader` instead, the
module is in ``sys.modules`` at once and runs the first time anything reads
an attribute of it or imports it again, in the worker that needs it (where
the import budget and the confinement apply as to any student import).

Only what the assignment does not name itself is deferred: a course that
lists ``scipy.stats`` among its packages gets it loaded eagerly, like any
other of its packages. Standard library only.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

__all__ = ["DEFERRED", "deferred"]

# Imported by a preloaded package, rarely used by it; loaded when first used.
DEFERRED = ("scipy.stats",)


class _Deferring(importlib.abc.MetaPathFinder):
    """Finds the named modules as the path finder does, their loader made lazy."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.abc.Loader):
            return spec
        if not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


@contextmanager
def deferred(keep: Sequence[str] = (), names: Sequence[str] = DEFERRED) -> Iterator[None]:
    """While the block imports, make ``names`` (but not those in ``keep``) lazy modules."""
    finder = _Deferring(frozenset(names) - frozenset(keep))
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
