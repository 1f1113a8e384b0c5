"""Expected values kept on disk between runs (`grader.checklib.cache`).

A run with the values on disk must grade exactly as a run that computes them,
without loading the ex06/ex07 reference solutions (and so without pandas and
scikit-learn in the judge); a value that changes with the code, the seed or
the libraries must never be read back for another of them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from course_files import COURSE, check_module

from grader.checklib import cache as _cache
from grader.intake import load_submission
from grader.runner import run_checks
from grader.sandbox.trusted import launcher

REPO = Path(__file__).resolve().parents[2]
SOURCES = [REPO / "grader", COURSE.checks_dir, COURSE.solutions_dir]
EXAMPLES = REPO / "examples" / "class"


def _sources(name: str) -> dict[str, str]:
    submission = load_submission(EXAMPLES / name, name=name)
    return {n: src.source for n, src in submission.exercises.items()}


def _grades(name: str) -> list[tuple[Any, ...]]:
    results = run_checks(_sources(name), backend="inprocess")
    return [(r.id, r.status, r.points, r.message, r.mistake) for r in results]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(_cache, "folder", lambda: tmp_path / ".expected")
    _cache.clear()
    yield tmp_path / ".expected"
    _cache.clear()  # back to memory only, for the other tests


def _same(a: Any, b: Any) -> bool:
    """Equal in type and value, bit for bit (what a check would compare against)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, torch.Tensor):
        return a.dtype == b.dtype and a.shape == b.shape and bool(torch.equal(a, b))
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def test_values_read_back_are_the_values_computed(folder: Path) -> None:
    _cache.use_disk(SOURCES)
    assert not _cache.on_disk()
    _grades("dave")
    computed = {_cache._disk_key(key): value for key, value in _cache._STORE.items()}
    _cache.flush()
    assert len(list(folder.glob("*.bin"))) == 1
    _cache.use_disk(SOURCES)  # as a later run would
    assert _cache.on_disk()
    stored = _cache._ON_DISK
    assert stored, "nothing was written"
    for key, value in stored.items():
        assert _same(value, computed[key]), key
    # ex06 and ex07's reference values are among them: those are the point
    assert any("check_ex06_data" in key for key in stored)
    assert any("check_ex07_training" in key for key in stored)


def _state(build: Any, seed: int) -> dict[str, torch.Tensor]:
    return {"weight": torch.full((2,), float(seed))}


_calls: list[int] = []


@_cache.memo
def _keyed_by_a_function(build: Any, seed: int) -> dict[str, torch.Tensor]:
    _calls.append(seed)
    return _state(build, seed)


def test_a_value_keyed_by_a_function_is_read_back_by_the_next_run(folder: Path) -> None:
    # A function's repr holds its address, different in every process: keyed by
    # it, the value was never found again and every run added it to the file.
    _calls.clear()
    _cache.use_disk(SOURCES)
    _keyed_by_a_function(_state, 3)
    _cache.flush()
    written = dict(_cache._ON_DISK)
    assert not any(" at 0x" in key for key in written)
    _cache.use_disk(SOURCES)  # as a later run would
    got = _keyed_by_a_function(_state, 3)
    assert _calls == [3], "computed again instead of read back"
    assert torch.equal(got["weight"], torch.full((2,), 3.0))
    _cache.flush()
    assert dict(_cache._ON_DISK).keys() == written.keys()  # the file did not grow


def test_a_value_keyed_by_an_address_stays_in_memory(folder: Path) -> None:
    class Anonymous:  # its repr is its address
        pass

    _cache.use_disk(SOURCES)
    _keyed_by_a_function(Anonymous(), 4)
    _cache.flush()
    assert not _cache._ON_DISK


def test_a_run_from_disk_grades_the_same_without_the_reference_solutions(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cache.use_disk(SOURCES)
    fresh = {name: _grades(name) for name in ("alice", "dave")}
    _cache.flush()
    _cache.use_disk(SOURCES)

    def not_needed(exercise: str) -> Any:
        raise AssertionError(f"the {exercise} reference solution was loaded")

    ex06, ex07 = check_module("ex06_data"), check_module("ex07_training")

    monkeypatch.setattr(ex06, "reference", not_needed)
    monkeypatch.setattr(ex07, "reference", not_needed)
    for name, grades in fresh.items():
        assert _grades(name) == grades, name  # a loaded reference would be a grader error


def test_the_fingerprint_follows_code_seed_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "check.py").write_text("EXPECTED = 1\n")
    first = _cache.fingerprint([code])
    assert _cache.fingerprint([code]) == first
    (code / "check.py").write_text("EXPECTED = 2\n")
    assert _cache.fingerprint([code]) != first
    changed = _cache.fingerprint([code])
    monkeypatch.setenv("GRADER_CHECK_SEED", "another term")
    assert _cache.fingerprint([code]) != changed


def test_an_unreadable_file_is_computed_again(folder: Path) -> None:
    _cache.use_disk(SOURCES)
    folder.mkdir()
    _cache._FILE[0].write_bytes(b"not what the codec wrote")
    _cache.use_disk(SOURCES)
    assert not _cache.on_disk()
    assert _grades("alice") and all(points > 0 for _, _, points, _, _ in _grades("alice"))


def test_a_read_only_place_only_costs_the_next_run_its_head_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setattr(_cache, "folder", lambda: blocked / ".expected")  # cannot be made
    _cache.use_disk(SOURCES)
    try:
        _grades("carol")
        _cache.flush()  # does not raise
    finally:
        _cache.clear()


def test_the_values_live_where_no_sandbox_can_see_them() -> None:
    masked = launcher.default_secrets(REPO)
    assert any(_cache.folder().is_relative_to(secret) for secret in masked)
    assert "checks/.expected/" in (REPO / ".gitignore").read_text()


_WARM_WITH = """
import json, sys
from pathlib import Path
from grader.checklib import cache as _cache
_cache.folder = lambda: Path(sys.argv[1])
import grader.judge as judge
judge._warm()
print(json.dumps({name: name in sys.modules for name in ("pandas", "sklearn")}))
"""


def test_a_judge_with_the_values_on_disk_does_not_import_pandas_or_sklearn(
    folder: Path,
) -> None:
    def warm() -> dict[str, bool]:
        done = subprocess.run([sys.executable, "-c", _WARM_WITH, str(folder)],
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert warm() == {"pandas": True, "sklearn": True}  # nothing on disk: as before
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the judge's fingerprint includes its thread count
    try:
        _cache.use_disk(SOURCES)
        _grades("alice")
        _cache.flush()
    finally:
        torch.set_num_threads(threads)
    assert warm() == {"pandas": False, "sklearn": False}
