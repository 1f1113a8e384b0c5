"""The bundled course's own modules, for tests that look inside its checks and probes.

The course is data to the engine: its checks and probes are files beside
``assignment.toml``, not modules of ``grader``. Tests load them the way the
engine does: a check module by the name pytest gives it (its folder on
``sys.path``), a probe file by path.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from grader.assignment import load, use

ROOT = Path(__file__).resolve().parents[1]
COURSE = load(ROOT)


def check_module(exercise: str) -> ModuleType:
    """The hidden check module of ``exercise`` (``check_<exercise>``), as pytest imports it."""
    folder = str(COURSE.checks_dir)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(f"check_{exercise}")


def probe_module(stem: str) -> ModuleType:
    """The course's probe file ``probes/<stem>.py``, loaded by path."""
    name = f"_course_probes_{stem}"
    if name not in sys.modules:
        path = COURSE.root / "probes" / f"{stem}.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def demo_module() -> ModuleType:
    """``examples/demo.py``: the bundled course's example class and ``make demo``."""
    name = "_course_demo"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, COURSE.root / "examples" / "demo.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@contextlib.contextmanager
def active(path: Path) -> Iterator[Path]:
    """``path`` as the active assignment; afterwards, what was active before.

    ``use`` also sets ``GRADER_ASSIGNMENT`` (for the judges it starts), and
    ``use(None)`` reads that variable: restore it first, then ``use(None)``.
    """
    before = os.environ.get("GRADER_ASSIGNMENT")
    use(path)
    try:
        yield path
    finally:
        if before is None:
            os.environ.pop("GRADER_ASSIGNMENT", None)
        else:
            os.environ["GRADER_ASSIGNMENT"] = before
        use(None)
