"""A request asked twice in one submission runs once, in both backends.

The worker resets and seeds torch, numpy and `random` from each request, so
the same function, arguments and seed mean the same question. The second
asking gets the first answer, decoded afresh; a fault, another seed, other
arguments, another exercise or another submission run the student's code again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
import torch

from grader.sandbox.trusted.client import Limits, SandboxHost
from grader.sandbox.trusted.errors import StudentRaised
from grader.sandbox.trusted.inprocess import InProcessSubmission
from grader.sandbox.trusted.replies import Replies

STATEFUL = """
import torch

runs = 0

def noisy(x):
    global runs
    runs += 1
    return x * 2 + torch.rand(1), runs

tries = 0

def fails_first():
    global tries
    tries += 1
    if tries == 1:
        raise RuntimeError("first time")
    return tries

def big(n):
    return torch.zeros(n)

def how_many_runs(_ask):
    return runs
"""

Opener = Callable[[dict[str, str]], AbstractContextManager[Any]]


@pytest.fixture(scope="module")
def host() -> Iterator[SandboxHost]:
    with SandboxHost(Limits(call_timeout=5.0), namespaces=False) as started:
        yield started


@pytest.fixture(params=["sandbox", "in-process"])
def open_submission(request: pytest.FixtureRequest, host: SandboxHost) -> Opener:
    if request.param == "sandbox":
        return host.submission
    return InProcessSubmission


def test_the_same_request_runs_once_and_each_answer_is_a_fresh_copy(open_submission) -> None:
    x = torch.arange(3.0)
    with open_submission({"ex01_state": STATEFUL}) as student:
        ex = student.exercise("ex01_state")
        first, runs = ex.call("noisy", x)
        answer = first.clone()
        first.add_(100)  # a check that changes what it was given...
        again, runs_again = ex.call("noisy", x)
        assert runs == runs_again == 1
        assert torch.equal(again, answer)  # ...does not change the next answer
        assert ex.call("how_many_runs", 0) == 1


def test_another_seed_other_arguments_or_a_fault_run_the_code_again(open_submission) -> None:
    x = torch.arange(3.0)
    with open_submission({"ex01_state": STATEFUL}) as student:
        ex = student.exercise("ex01_state")
        seeded, _ = ex.call("noisy", x)
        other_seed, runs = ex.call("noisy", x, seed=1)
        assert runs == 2 and not torch.equal(seeded, other_seed)
        assert ex.call("noisy", x + 1)[1] == 3
        assert ex.call("noisy", x, seed=1)[1] == 2  # kept as well
        assert ex.call("noisy", x, seed=1, timeout=4.0)[1] == 4  # another time limit
        with pytest.raises(StudentRaised, match="first time"):
            ex.call("fails_first")
        assert ex.call("fails_first") == 2  # the raise was not kept: it ran again
    with open_submission({"ex01_state": STATEFUL}) as student:  # a new submission: all anew
        assert student.exercise("ex01_state").call("noisy", x)[1] == 1


def test_a_traced_request_is_kept_apart_from_the_plain_one(open_submission) -> None:
    x = torch.arange(3.0)
    with open_submission({"ex01_state": STATEFUL}) as student:
        ex = student.exercise("ex01_state")
        plain = ex.call("noisy", x)
        (value, runs), trace = ex.traced("noisy", x)
        assert runs == 2 and torch.equal(value, plain[0])
        (_, runs_again), trace_again = ex.traced("noisy", x)
        assert runs_again == 2 and trace_again.ops == trace.ops and "rand" in trace.ops


def test_a_reply_over_the_budget_is_not_kept() -> None:
    replies = Replies(budget=100)
    small, large = b"k" * 32, b"l" * 32
    replies.keep(small, {"ok": True, "value": 1}, [memoryview(bytearray(64))])
    replies.keep(large, {"ok": True, "value": 2}, [memoryview(bytearray(64))])  # 128 > 100
    replies.keep(b"f" * 32, {"ok": False, "fault": "raised"}, [])
    assert replies.get(small) is not None
    assert replies.get(large) is None and replies.get(b"f" * 32) is None


def test_the_key_ignores_the_request_id_but_not_the_bytes() -> None:
    one = {"id": "a", "op": "call", "name": "f", "seed": 0, "args": [{"data": 0}]}
    same = {**one, "id": "b"}

    def key(request: dict[str, Any], *chunks: bytes, timeout: float = 2.0) -> bytes:
        return Replies.key(request, [memoryview(c) for c in chunks], timeout=timeout)

    assert key(one, b"\x00\x01") == key(same, b"\x00\x01")
    assert key(one, b"\x00\x01") != key(one, b"\x00\x02")
    assert key(one, b"\x00", b"\x01") != key(one, b"\x00\x01")
    assert key(one, b"\x00\x01") != key({**one, "seed": 1}, b"\x00\x01")
    assert key(one, b"\x00\x01") != key(one, b"\x00\x01", timeout=0.5)
