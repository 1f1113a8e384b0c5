"""Memo of expected values: across a judge's submissions, and across grading runs.

A check's inputs are fixed (see ``inputs``), so its expected value is the
same for every submission; computing it once saves the reference call for the
rest of the class. Values are cloned on the way out, so a check that changes
what it got back cannot change what the next submission is judged against.

A judge also keeps the values on disk (:func:`use_disk`), under
``.expected/`` inside the assignment's checks folder, which no sandbox can
see. A later run then never loads the ex06/ex07 reference solutions, and so
never imports pandas and scikit-learn on its critical path. The file is named
after a fingerprint of everything a value depends on (the grader's and the
solutions' code, the check seed, the library versions, the machine), so a
change to any of them starts a new one; it is written with the sandbox's
codec (no pickle), and a file that cannot be read is ignored. The judge calls
:func:`flush` after each submission. Anywhere else (tests, ``grader check``)
the memo lives in memory only.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import sys
import tempfile
from collections.abc import Callable, Sequence
from functools import wraps
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import torch

from grader import timings

__all__ = ["clear", "flush", "folder", "memo", "on_disk", "use_disk"]

T = TypeVar("T")
_Key = tuple[str, tuple[Any, ...]]
_STORE: dict[_Key, Any] = {}
_ON_DISK: dict[str, Any] = {}  # _disk_key(key) -> value, as read from the file in `_FILE`
_FILE: list[Path] = []  # this fingerprint's file, once `use_disk` was called
_NEW: set[_Key] = set()  # computed here, not yet written
_LIBRARIES = ("torch", "numpy", "pandas", "scikit-learn")


def folder() -> Path:
    """Where the active assignment's expected values are kept: inside its hidden checks."""
    from grader.assignment import current

    return current().checks_dir / ".expected"


def memo(factory: Callable[..., T]) -> Callable[..., T]:
    """Cache ``factory``'s result per (qualified name, hashable arguments)."""

    @wraps(factory)
    def cached(*args: Any) -> T:
        key = (f"{factory.__module__}.{factory.__qualname__}", args)
        if key not in _STORE:
            stored = _ON_DISK.get(_disk_key(key) or "", _MISSING)
            if stored is _MISSING:
                with timings.phase("reference"):
                    _STORE[key] = factory(*args)
                _NEW.add(key)
            else:
                _STORE[key] = stored
        return _clone(_STORE[key])

    return cached


def _disk_key(key: _Key) -> str | None:
    """``key`` spelled as every run spells it, or None if it has no such spelling.

    A reference function among the arguments is named by its module and
    qualified name: its ``repr`` holds its address, which differs in every
    process, so a value keyed by it was never read back and every run added
    it to the file again. Any other argument whose ``repr`` holds an address
    keeps its value in memory only.
    """
    name = repr((key[0], _named(key[1])))
    return None if " at 0x" in name else name


def _named(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return type(value)(_named(item) for item in value)
    if callable(value) and hasattr(value, "__module__") and hasattr(value, "__qualname__"):
        return f"<{value.__module__}.{value.__qualname__}>"
    return value


def clear() -> None:
    """Forget every memoised value, here and as read from disk (tests; a new seed)."""
    _STORE.clear()
    _ON_DISK.clear()
    _NEW.clear()
    _FILE.clear()


def use_disk(sources: Sequence[Path]) -> None:
    """Keep values on disk from now on, and read those already there.

    ``sources``: the folders whose Python files the values depend on (the
    grader package, the assignment's checks and its reference solutions).
    """
    from grader.sandbox.wire import codec

    clear()
    _FILE.append(folder() / f"{fingerprint(sources)}.bin")
    with contextlib.suppress(OSError, codec.CodecError):
        value = codec.loads(_FILE[0].read_bytes())
        if isinstance(value, dict):
            _ON_DISK.update(value)


def on_disk() -> bool:
    """Whether :func:`use_disk` found values already written for this fingerprint."""
    return bool(_ON_DISK)


def flush() -> None:
    """Write the values computed since the last flush, if :func:`use_disk` was called.

    Never raises: a read-only checkout just computes them again next time.
    """
    if not _FILE or not _NEW:
        return
    from grader.sandbox.wire import codec

    merged = dict(_ON_DISK)
    for key in _NEW:
        name = _disk_key(key)
        if name is None:  # no name that a later run would spell the same: memory only
            continue
        with contextlib.suppress(codec.CodecError):  # not plain data: memory only
            codec.encode(_STORE[key])
            merged[name] = _STORE[key]
    _NEW.clear()
    with contextlib.suppress(OSError, codec.CodecError):
        blob = codec.dumps(merged, role="expected values")
        where = _FILE[0].parent
        where.mkdir(mode=0o700, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=where, prefix=".writing-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(blob)
            os.replace(temp, _FILE[0])
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        for stale in where.glob("*.bin"):  # other fingerprints: code or versions changed
            if stale != _FILE[0]:
                stale.unlink(missing_ok=True)
    _ON_DISK.update(merged)


def fingerprint(sources: Sequence[Path]) -> str:
    """What every expected value depends on, hashed: code, seed, libraries, machine."""
    digest = hashlib.sha256()
    for folder in sources:
        for path in sorted(Path(folder).rglob("*.py")):
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    from grader.checklib.inputs import secret

    digest.update(secret().encode())
    for name in _LIBRARIES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            digest.update(f"{name}={metadata.version(name)}".encode())
    digest.update(f"{sys.version}|{platform.machine()}|{torch.get_num_threads()}".encode())
    return digest.hexdigest()[:32]


_MISSING = object()


def _clone(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clone(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_clone(v) for v in value)
    return value
