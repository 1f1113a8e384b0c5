"""One worker per submission: exercises share it, yet each is judged as if alone.

A fault ends the worker and is charged to the exercise whose request was
running; the other exercises are loaded into a fresh worker and carry on.
Every module is imported with the globals of a fresh worker and cannot reach
another exercise's module by name, whatever was loaded before it. With
``exercises_per_worker=1`` every exercise gets a fresh fork of the host, so
nothing one exercise's import or calls did to its process (patched torch or
builtins, stashed shortcuts, global settings) reaches another's.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from grader.sandbox.trusted.client import Limits, SandboxHost
from grader.sandbox.trusted.errors import (
    ImportFailed,
    StudentFault,
    WorkerCrashed,
    WorkerStartFailed,
    WorkerUnstable,
)

LIMITS = Limits(import_timeout=5.0, call_timeout=2.0, restarts=1)

# Each observation asks anew (another seed): the sandbox answers a request it
# was already asked with the first reply (grader/sandbox/trusted/replies.py).
ANEW = itertools.count(1)

PLAIN = """
import os
import torch

AT_IMPORT = torch.rand(3)  # depends on the generator's state at import time
calls = 0

def pid():
    return os.getpid()

def count():
    global calls
    calls += 1
    return calls

def drawn():
    return AT_IMPORT

def draw():
    return torch.rand(5)
"""

CRASHER = """
import os

def crash():
    os._exit(3)

def fine():
    return "fine"
"""

REACHES_OTHER = """
def other():
    import ex01_plain
    return ex01_plain.pid()
"""


@pytest.fixture(scope="module")
def host() -> Iterator[SandboxHost]:
    with SandboxHost(LIMITS, namespaces=False) as started:
        yield started


def test_a_crash_costs_only_the_crashing_call_and_others_reload(host: SandboxHost) -> None:
    sources = {"ex01_plain": PLAIN, "ex02_crash": CRASHER}
    with host.submission(sources) as student:
        plain, crasher = student.exercise("ex01_plain"), student.exercise("ex02_crash")
        first = plain.call("pid", seed=next(ANEW))
        assert plain.call("count", seed=next(ANEW)) == 1
        assert crasher.call("fine") == "fine"
        with pytest.raises(WorkerCrashed, match="exit code 3"):
            crasher.call("crash")
        assert plain.call("pid", seed=next(ANEW)) != first  # a fresh worker ...
        assert plain.call("count", seed=next(ANEW)) == 1  # ... with the module imported afresh


def test_faults_are_charged_to_the_exercise_that_caused_them(host: SandboxHost) -> None:
    sources = {"ex01_plain": PLAIN, "ex02_crash": CRASHER}
    with host.submission(sources) as student:
        plain, crasher = student.exercise("ex01_plain"), student.exercise("ex02_crash")
        for _ in range(LIMITS.restarts + 1):
            # reloaded after each crash, never unstable
            assert plain.call("count", seed=next(ANEW)) == 1
            with pytest.raises(WorkerCrashed):
                crasher.call("crash")
        with pytest.raises(WorkerUnstable, match=r"after failures in ex02_crash\.py"):
            crasher.call("fine")
        assert plain.call("count", seed=next(ANEW)) == 1


def test_import_state_does_not_depend_on_what_was_loaded_before(host: SandboxHost) -> None:
    alone = {"ex01_plain": PLAIN}
    with host.submission(alone) as student:
        expected = student.exercise("ex01_plain").call("drawn")
    crowded = {"ex00_first": PLAIN, "ex01_plain": PLAIN}
    with host.submission(crowded) as student:
        student.exercise("ex00_first").call("draw")  # leaves the generator moved on
        assert student.exercise("ex01_plain").call("drawn").tolist() == expected.tolist()


def test_an_exercise_cannot_import_another_by_name(host: SandboxHost) -> None:
    sources = {"ex01_plain": PLAIN, "ex02_reach": REACHES_OTHER}
    with host.submission(sources) as student:
        # loaded into the shared worker first
        student.exercise("ex01_plain").call("pid", seed=next(ANEW))
        with pytest.raises(Exception, match="No module named 'ex01_plain'"):
            student.exercise("ex02_reach").call("other")


def test_a_failed_import_leaves_the_worker_to_the_others(host: SandboxHost) -> None:
    # A statement that raises costs only itself now (cells run with errors allowed);
    # SystemExit still ends the whole import.
    sources = {"ex01_plain": PLAIN, "ex02_broken": "raise SystemExit('nope')\n"}
    with host.submission(sources) as student:
        first = student.exercise("ex01_plain").call("pid", seed=next(ANEW))
        with pytest.raises(ImportFailed, match=r"exited during import: .*nope"):
            student.exercise("ex02_broken").call("anything")
        assert student.exercise("ex01_plain").call("pid", seed=next(ANEW)) == first


@pytest.fixture(scope="module")
def fresh_host() -> Iterator[SandboxHost]:
    with SandboxHost(replace(LIMITS, exercises_per_worker=1), namespaces=False) as started:
        yield started


def test_a_fresh_start_gives_each_exercise_its_own_worker(fresh_host: SandboxHost) -> None:
    sources = {"ex01_plain": PLAIN, "ex02_broken": "raise SystemExit('nope')\n"}
    with fresh_host.submission(sources) as student:
        plain = student.exercise("ex01_plain")
        pids = [plain.call("pid", seed=next(ANEW)), plain.call("pid", seed=next(ANEW))]
        assert plain.call("count", seed=next(ANEW)) == 1
        with pytest.raises(ImportFailed, match=r"exited during import: .*nope"):
            student.exercise("ex02_broken").call("anything")
        assert plain.call("pid", seed=next(ANEW)) not in pids  # a fresh fork for it again ...
        assert plain.call("count", seed=next(ANEW)) == 1  # ... with its module imported afresh
        assert pids[0] == pids[1] and plain._faults == 0  # kept across its own calls


PATCHER = """
import builtins
import torch

builtins.abs = lambda value: 0
builtins._softmax_stash = torch.softmax
torch.exp = lambda t: t * 0
torch.Tensor.sum = lambda self, *args, **kwargs: self * 0
torch.Tensor.__add__ = lambda self, other: self
torch.set_num_threads(3)
torch.set_printoptions(precision=1)

def patched():
    return abs(-2)
"""

VICTIM = """
import builtins
import torch

def honest():
    z = torch.tensor([0.0, 1.0])
    return {"abs": abs(-2), "sum": float(torch.exp(z).sum()),
            "add": (torch.ones(1) + torch.ones(1)).tolist(),
            "stash": hasattr(builtins, "_softmax_stash"),
            "threads": torch.get_num_threads(), "repr": repr(torch.tensor([0.123]))}
"""


def test_one_exercises_patches_do_not_reach_another(fresh_host: SandboxHost) -> None:
    with fresh_host.submission({"ex02_victim": VICTIM}) as student:
        alone = student.exercise("ex02_victim").call("honest")
    assert alone["abs"] == 2 and alone["add"] == [2.0] and not alone["stash"]
    sources = {"ex01_patch": PATCHER, "ex02_victim": VICTIM}
    with fresh_host.submission(sources) as student:
        patcher, victim = student.exercise("ex01_patch"), student.exercise("ex02_victim")
        assert patcher.call("patched") == 0  # the patches hold in their own exercise
        assert victim.call("honest") == alone
        assert patcher.call("patched") == 0
        assert victim.call("honest") == alone  # and again after the patcher ran once more


LEAVES_A_TIMER = """
import os
import threading

def arm():
    threading.Timer(0.2, lambda: os._exit(9)).start()  # goes off after the call returned
    return "armed"
"""


def test_a_worker_killed_between_requests_is_not_blamed_on_the_next(host: SandboxHost) -> None:
    import time

    sources = {"ex01_timer": LEAVES_A_TIMER, "ex02_plain": PLAIN}
    with host.submission(sources) as student:
        assert student.exercise("ex01_timer").call("arm") == "armed"
        time.sleep(0.5)  # the timer has ended the worker
        plain = student.exercise("ex02_plain")
        assert plain.call("count", seed=next(ANEW)) == 1  # a fresh worker, no import failure
        assert plain._faults == 0


def test_the_host_froze_its_imports_before_forking(host: SandboxHost) -> None:
    source = "import gc\n\ndef frozen():\n    return gc.get_freeze_count()\n"
    with host.submission({"ex01_gc": source}) as student:
        assert student.exercise("ex01_gc").call("frozen") > 100_000


def test_a_name_that_is_not_a_module_name_is_refused(host: SandboxHost) -> None:
    from grader.sandbox.trusted.errors import SandboxError

    for name in ("../ex01", "ex01.py", "ex 01", ""):
        with pytest.raises(SandboxError, match="not a valid exercise name"):
            host.submission({name: "x = 1\n"})


@pytest.fixture
def limits_missing_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A judge and a host of different versions: the worker's limits lack a key it needs."""
    from grader.sandbox.trusted import session

    def without_cell_timeout(limits: Limits) -> dict[str, object]:
        values = asdict(limits)
        del values["cell_timeout"]
        return values

    monkeypatch.setattr(session, "asdict", without_cell_timeout)


def test_a_worker_that_cannot_start_names_its_cause_and_blames_no_one(
    host: SandboxHost, limits_missing_a_key: None
) -> None:
    # It once died with a bare "exited during import (exit code 70)" for every exercise.
    with host.submission({"ex01_plain": PLAIN, "ex02_crash": CRASHER}) as student:
        with pytest.raises(WorkerStartFailed) as failed:
            student.exercise("ex01_plain").call("pid", seed=next(ANEW))
        assert str(failed.value) == (
            "the grader's worker could not start: KeyError: 'cell_timeout' (the grader or its "
            "installation is broken, not the submission; report this message)"
        )
        assert not isinstance(failed.value, StudentFault)  # a grader_error, not the student's
        with pytest.raises(WorkerStartFailed) as again:  # no new worker for the same cause
            student.exercise("ex02_crash").call("fine")
        assert again.value is failed.value


def test_a_missing_package_at_worker_start_says_to_reinstall(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The worker's own start (its stand-ins) raising, as with a package missing from
    # the grader's venv: its first reply says why, then it exits.
    import os
    import socket

    from grader.sandbox.confined import standins, worker
    from grader.sandbox.trusted.errors import start_failure
    from grader.sandbox.wire import codec, protocol

    def broken() -> None:
        raise ModuleNotFoundError("No module named 'tqdm'")

    monkeypatch.setattr(standins, "install", broken)
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the forked worker
        try:
            ours.close()
            worker.serve(theirs, folder="/nonexistent", caps=codec.Caps(), max_frame=1 << 20)
        finally:
            os._exit(99)
    theirs.close()
    header, _ = protocol.recv_frame(ours, max_bytes=1 << 20, deadline=time.monotonic() + 30)
    _, status = os.waitpid(pid, 0)
    ours.close()
    assert os.waitstatus_to_exitcode(status) == 70
    assert header == {"ready": False, "kind": "worker", "exc_type": "ModuleNotFoundError",
                      "text": "No module named 'tqdm'"}  # fmt: skip
    assert str(start_failure(header)) == (
        "the grader's worker could not start: ModuleNotFoundError: No module named 'tqdm' "
        "(reinstall the grader's environment (make install) and grade again)"
    )


def test_a_worker_start_failure_is_our_fault_in_the_feedback_and_named_in_the_staff_log(
    host: SandboxHost, limits_missing_a_key: None, tmp_path: Path
) -> None:
    from grader.grading import grade_loaded
    from grader.intake import load_submission
    from grader.model import CheckStatus
    from grader.reports.text import STAFF_LINE

    solution = Path(__file__).resolve().parents[3] / "solutions" / "ex08_activations.py"
    (tmp_path / "ex08_activations.py").write_text(solution.read_text())
    result = grade_loaded(load_submission(tmp_path), host, exercises=["ex08_activations"])
    assert result.checks and all(c.status is CheckStatus.GRADER_ERROR for c in result.checks)
    from grader.reports.markdown import feedback_markdown

    feedback = feedback_markdown(result)
    assert STAFF_LINE in feedback and "exit code" not in feedback
    assert "the grader's worker could not start: KeyError: 'cell_timeout'" in result.staff_log
