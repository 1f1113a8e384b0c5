"""The L0 backend gives checks the same values and faults as the real sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from grader.sandbox.confined import probes
from grader.sandbox.trusted.errors import (
    FunctionNotFound,
    ImportFailed,
    SandboxError,
    StudentRaised,
    ValueRejected,
)
from grader.sandbox.trusted.inprocess import InProcessSubmission

HOSTILE = (Path(__file__).parents[1] / "files" / "hostile.py").read_text()


@pytest.fixture
def ex():
    with InProcessSubmission({"ex01_hostile": HOSTILE}) as student:
        yield student.exercise("ex01_hostile")


def test_values_cross_through_the_codec(ex) -> None:
    out = ex.call("add", torch.ones(2, requires_grad=True), 1)
    assert type(out) is torch.Tensor and out.requires_grad and out.grad_fn is None
    assert type(ex.call("add", (1,), (2,))) is tuple
    liar = ex.call("liar")
    assert type(liar) is torch.Tensor and not torch.equal(liar, torch.ones(3))


def test_faults_are_worded_like_the_sandbox(ex) -> None:
    with pytest.raises(StudentRaised, match=r"^ZeroDivisionError: division by zero \(ex01_hostile"):
        ex.call("divide", 1, 0)
    with pytest.raises(StudentRaised, match=r"^SystemExit: 0"):
        ex.call("system_exit")
    with pytest.raises(StudentRaised, match=r"^KeyboardInterrupt: stop"):
        ex.call("keyboard")
    with pytest.raises(FunctionNotFound, match=r"^function `nope` not found in ex01_hostile\.py$"):
        ex.call("nope")
    with pytest.raises(ValueRejected, match=r"^unsupported return type `unsupported\.<locals>"):
        ex.call("unsupported")
    with pytest.raises(SandboxError, match="unsupported argument type"):
        ex.call("add", {1}, 2)


def test_output_is_captured_and_capped() -> None:
    from grader.sandbox.trusted.client import Limits

    with InProcessSubmission({"ex01_hostile": HOSTILE}, limits=Limits(output_bytes=100)) as s:
        ex = s.exercise("ex01_hostile")
        assert ex.call("flood", 3) == "done"
        text = ex.output()
    assert text.startswith("imported hostile") and "more characters of output dropped" in text


def test_student_changes_to_torch_globals_stay_out_of_this_process(ex) -> None:
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    assert ex.call("set_float64") == "torch.float64"
    assert torch.get_default_dtype() == torch.float32 and torch.is_grad_enabled()
    assert torch.equal(torch.rand(3), expected)
    assert ex.call("globals_now")["dtype"] == "torch.float32"


def test_import_failures_and_missing_exercises() -> None:
    sources = {"ex_syntax": "x = (\n", "ex_exit": "raise SystemExit(3)\n"}
    with InProcessSubmission(sources, origins={"ex_syntax": "ex_syntax.ipynb"}) as student:
        with pytest.raises(ImportFailed, match=r"SyntaxError: .*ex_syntax\.ipynb, line 1") as info:
            student.exercise("ex_syntax").call("f")
        assert info.value.kind == "syntax"
        with pytest.raises(ImportFailed) as again:
            student.exercise("ex_syntax").call("g")
        assert again.value is info.value
        with pytest.raises(ImportFailed, match=r"exited during import: SystemExit: 3"):
            student.exercise("ex_exit").call("f")
        with pytest.raises(ImportFailed, match="not found in your submission") as missing:
            student.exercise("ex_none").call("f")
        assert missing.value.kind == "missing"
        with pytest.raises(ImportFailed, match="not found"):
            student.source("ex_none")
        assert student.source("ex_exit") == sources["ex_exit"]
    import sys

    assert "ex_syntax" not in sys.modules and "ex_exit" not in sys.modules


def test_probes_get_the_module_and_decoded_arguments(ex, monkeypatch: pytest.MonkeyPatch) -> None:
    def demo(module, x, *, k):
        return {"name": module.__name__, "sum": module.add(x, k)}

    monkeypatch.setitem(probes.registry(), "demo_probe", demo)
    out = ex.probe("demo_probe", torch.ones(2), k=1)
    assert out["name"] == "ex01_hostile" and out["sum"].tolist() == [2.0, 2.0]
    with pytest.raises(SandboxError, match="refused the request"):
        ex.probe("no_such_probe")
