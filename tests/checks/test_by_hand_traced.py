"""The by-hand rule judged by what ran: shortcuts the source scan cannot read still fail."""

from __future__ import annotations

import pytest
import torch

from grader.checklib import by_hand
from grader.compare import CheckFailed
from grader.sandbox.trusted.inprocess import InProcessSubmission

EX = "ex03_forward_pass"
HAND = (
    "import torch\ndef softmax_manual(z):\n"
    "    e = torch.exp(z - z.max(dim=-1, keepdim=True).values)\n"
    "    return e / e.sum(dim=-1, keepdim=True)\n"
)
COMPUTED = (
    "import torch.nn.functional as F\ndef softmax_manual(z):\n"
    "    return getattr(F, 'soft' + 'max')(z, dim=-1)\n"
)


def _judge(source: str) -> None:
    with InProcessSubmission({EX: source}) as student:
        got, trace = student.exercise(EX).traced("softmax_manual", torch.randn(3, 4))
        assert got.shape == (3, 4)
        by_hand(student, EX, "softmax_manual", trace)


def test_a_by_hand_softmax_passes() -> None:
    _judge(HAND)


def test_a_computed_name_fails_by_what_ran() -> None:
    with pytest.raises(CheckFailed, match="ran while it was called"):
        _judge(COMPUTED)

