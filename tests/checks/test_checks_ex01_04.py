"""The hidden checks of ex01–ex04 grade the course's own submissions as intended.

Every submission runs through ``grader.runner.run_checks`` on the in-process
backend (L0: same codec and worker code as the sandbox, no isolation), once
per fixture folder, and the results are shared by the tests below.

- the reference solutions score full marks, the generated stubs score zero;
- a correct solution written differently also scores full marks;
- each lesson mistake under ``tests/files/mistakes/<name>/`` loses exactly the
  checks listed in ``LOSSES``, each naming the expected mistake code and words;
- a submission that prints the lesson's numbers earns nothing.
"""

from __future__ import annotations

import os
import types
from functools import cache
from pathlib import Path

import pytest
import torch
from course_files import probe_module

from grader.checklib import cache as _cache
from grader.checklib import inputs as _inputs
from grader.model import CheckResult, CheckStatus
from grader.runner import run_checks

ROOT = Path(__file__).resolve().parents[2]
MISTAKES = ROOT / "tests" / "files" / "mistakes"
EXERCISES = ("ex01_multiclass", "ex02_regression_binary", "ex03_forward_pass", "ex04_backward_pass")
POINTS = {
    "ex01_multiclass": 14,
    "ex02_regression_binary": 14,
    "ex03_forward_pass": 12,
    "ex04_backward_pass": 12,
}
TRANSPOSE = ("weight_not_transposed", "weight.T")

# fixture folder -> {check id: (mistake code, words the message must contain)};
# every other check of the folder's exercises must pass.
LOSSES: dict[str, dict[str, tuple[str | None, tuple[str, ...]]]] = {
    "softmax_twice": {
        f"ex01_multiclass.cross_entropy_manual.{name}": (
            "softmax_twice",
            ("softmax twice", "raw logits"),
        )
        for name in (
            "confident_right_answers_cost_little",
            "values",
            "large_logits",
            "leaves_logits_unchanged",
            "by_hand",
        )
    },
    "unstable_softmax": {
        "ex01_multiclass.cross_entropy_manual.large_logits": ("unstable_softmax", ("1000", "max")),
        "ex03_forward_pass.softmax_manual.large_logits": ("unstable_softmax", ("1000", "max")),
    },
    "log_of_softmax": {
        "ex01_multiclass.cross_entropy_manual.large_logits": (
            "unstable_softmax",
            ("underflowed", "log-sum-exp"),
        ),
    },
    "weight_not_transposed": {
        f"ex03_forward_pass.{check}": TRANSPOSE
        for check in (
            "linear_forward.one_row_per_sample_one_column_per_output",
            "linear_forward.square_weight_is_transposed",
            "linear_forward.values",
            "linear_forward.by_hand",
            "forward_manual.probabilities_of_the_right_shape",
            "forward_manual.values_two_layers",
            "forward_manual.any_number_of_layers",
            "forward_manual.by_hand_without_calling_the_net",
        )
    },
    "shortcut_used": {
        "ex01_multiclass.cross_entropy_manual.by_hand": (
            "shortcut_used:F.cross_entropy",
            ("must be written by hand", "F.cross_entropy", "line 33"),
        ),
        "ex02_regression_binary.mse_manual.by_hand": (
            "shortcut_used:nn.MSELoss",
            ("nn.MSELoss", "in helper _squared_error"),
        ),
        "ex02_regression_binary.bce_grad_manual.by_hand": ("shortcut_used:backward", ("backward",)),
        "ex03_forward_pass.linear_forward.by_hand": ("shortcut_used:F.linear", ("F.linear",)),
        "ex03_forward_pass.softmax_manual.by_hand": (
            "shortcut_used:Tensor.softmax",
            ("Tensor.softmax",),
        ),
        "ex04_backward_pass.output_layer_grads.by_hand": (
            "shortcut_used:torch.autograd",
            ("torch.autograd",),
        ),
    },
    "net_called": {
        "ex03_forward_pass.forward_manual.by_hand_without_calling_the_net": (
            "shortcut_used:net(x)",
            ("forward calls", "linear_forward"),
        ),
    },
    "missing_zero_grad": {
        "ex04_backward_pass.gradients_of.second_call_gives_the_same_gradients": (
            "missing_zero_grad",
            ("twice the gradients", "zero_grad"),
        ),
    },
    "input_mutated": {
        "ex03_forward_pass.softmax_manual.leaves_input_unchanged": (
            "input_mutated",
            ("changed its argument z in place",),
        ),
        "ex04_backward_pass.sgd_update.leaves_weight_and_grad_unchanged": (
            "input_mutated",
            ("changed its argument weight in place",),
        ),
    },
    "lesson_seed": {
        "ex02_regression_binary.build_regression_net.seed_reproduces_torch_initialisation": (
            "lesson_constant",
            ("11052023", "torch.manual_seed(seed)"),
        ),
    },
    "correct_alternative": {},
}


def _sources(folder: Path) -> dict[str, str]:
    return {
        path.stem: path.read_text(encoding="utf-8")
        for path in sorted(folder.glob("ex0*.py"))
        if path.stem in EXERCISES
    }


@cache
def graded(folder: Path) -> dict[str, CheckResult]:
    """Grade the ex01–ex04 files of ``folder`` once per test session."""
    sources = _sources(folder)
    assert sources, f"no ex01–ex04 files in {folder}"
    results = run_checks(sources, backend="inprocess", exercises=list(sources))
    return {result.id: result for result in results}


def summary(results: dict[str, CheckResult]) -> str:
    return "\n".join(
        f"{r.id}: {r.status.value} {r.mistake or ''} {r.message[:200]}"
        for r in results.values()
        if not r.passed
    )


# --- full marks, zero marks ---------------------------------------------------


def test_reference_solutions_score_full_marks() -> None:
    results = graded(ROOT / "solutions")
    assert all(r.passed for r in results.values()), summary(results)
    for exercise, points in POINTS.items():
        checks = [r for r in results.values() if r.exercise == exercise]
        assert sum(r.points for r in checks) == points
        # every graded function has several checks, among them a public one
        for function in {r.function for r in checks}:
            own = [r for r in checks if r.function == function]
            assert len(own) >= 2, function
            assert any(r.visibility == "public" for r in own), function


def test_about_a_third_of_the_checks_are_public() -> None:
    results = graded(ROOT / "solutions").values()
    public = sum(r.visibility == "public" for r in results)
    assert 0.25 <= public / len(results) <= 0.45


def test_generated_stubs_score_zero() -> None:
    stubs = ROOT / "exercises"
    if not all((stubs / f"{exercise}.py").is_file() for exercise in EXERCISES):
        pytest.skip("exercises/ not generated yet")
    results = graded(stubs)
    assert sum(r.points for r in results.values()) == 0
    assert {r.status for r in results.values()} == {CheckStatus.ERROR}
    assert all("NotImplementedError" in r.message for r in results.values())


def test_hand_made_stubs_score_zero(tmp_path: Path) -> None:
    """Independent of the generator: each solution block becomes ``raise NotImplementedError``."""
    for exercise in EXERCISES:
        text = (ROOT / "solutions" / f"{exercise}.py").read_text(encoding="utf-8")
        kept, inside = [], False
        for line in text.splitlines():
            if "### BEGIN SOLUTION" in line:
                inside = True
                indent = line[: len(line) - len(line.lstrip())]
                kept.append(f"{indent}raise NotImplementedError")
            elif "### END SOLUTION" in line:
                inside = False
            elif not inside:
                kept.append(line)
        (tmp_path / f"{exercise}.py").write_text("\n".join(kept) + "\n", encoding="utf-8")
    results = graded(tmp_path)
    assert len(results) == len(graded(ROOT / "solutions"))
    assert sum(r.points for r in results.values()) == 0


def test_a_solution_written_differently_scores_full_marks() -> None:
    results = graded(MISTAKES / "correct_alternative")
    assert {r.exercise for r in results.values()} == set(EXERCISES)
    assert all(r.passed for r in results.values()), summary(results)


def test_printing_the_lesson_numbers_earns_nothing() -> None:
    results = graded(MISTAKES / "lesson_constant")
    assert {r.exercise for r in results.values()} == {"ex01_multiclass", "ex02_regression_binary"}
    assert sum(r.points for r in results.values()) == 0
    assert {r.status for r in results.values()} == {CheckStatus.FAILED}
    named = {r.id for r in results.values() if r.mistake == "lesson_constant"}
    assert {
        "ex01_multiclass.predict_classes.values",
        "ex01_multiclass.cross_entropy_manual.values",
        "ex02_regression_binary.mse_manual.values",
        "ex02_regression_binary.mae_manual.values",
        "ex02_regression_binary.bce_manual.values",
    } <= named
    message = results["ex02_regression_binary.mse_manual.values"].message
    assert "5.1743" in message and "different input" in message
    assert "[0, 2, 0, 1]" in results["ex01_multiclass.predict_classes.values"].message.replace(
        "(", "["
    ).replace(")", "]")


# --- one lesson mistake, exactly its checks lost ---------------------------------


@pytest.mark.parametrize("folder", sorted(set(LOSSES) - {"correct_alternative"}))
def test_mistake_loses_exactly_its_checks(folder: str) -> None:
    results = graded(MISTAKES / folder)
    lost = {r.id for r in results.values() if not r.passed}
    assert lost == set(LOSSES[folder]), summary(results)
    for check_id, (mistake, words) in LOSSES[folder].items():
        result = results[check_id]
        assert result.status is CheckStatus.FAILED, result
        assert result.points == 0
        assert result.mistake == mistake, result
        for word in words:
            assert word in result.message, (word, result.message)


def test_every_fixture_folder_is_listed() -> None:
    folders = {p.parent.name for p in MISTAKES.glob("*/ex0[1-4]_*.py")}
    assert folders == set(LOSSES) | {"lesson_constant"}


# --- the pieces the checks stand on -------------------------------------------


def test_inputs_are_named_deterministic_and_secret_dependent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = _inputs.logits("x", 3, 4)
    assert torch.equal(first, _inputs.logits("x", 3, 4))
    assert not torch.equal(first, _inputs.logits("y", 3, 4))
    state = torch.get_rng_state()
    with _inputs.seeded(5):
        torch.rand(3)
    assert torch.equal(state, torch.get_rng_state()), "the parent's RNG must be left alone"
    monkeypatch.setenv("GRADER_CHECK_SEED", "another term")
    assert not torch.equal(first, _inputs.logits("x", 3, 4))
    assert os.environ["GRADER_CHECK_SEED"] == "another term"


def test_a_kept_input_is_handed_out_as_a_copy() -> None:
    """Inputs are made once per judge; a check that edits one in place changes no other."""
    first = _inputs.logits("kept", 2, 3)
    first += 100.0
    assert not torch.equal(first, _inputs.logits("kept", 2, 3))
    spec = _inputs.model_spec("kept.model", [["linear", 2, 1]])
    spec["state"]["0.weight"].zero_()
    again = _inputs.model_spec("kept.model", [["linear", 2, 1]])
    assert bool(again["state"]["0.weight"].abs().sum() > 0)
    fresh = torch.randn(2, 3, generator=_inputs.generator("kept")) * 2.0
    assert torch.equal(_inputs.logits("kept", 2, 3), fresh)


def test_input_helpers_keep_their_promises() -> None:
    labels = _inputs.targets("t", 9, 4)
    assert labels.dtype == torch.int64 and set(labels.tolist()) == {0, 1, 2, 3}
    scores = _inputs.distinct_scores("s", 50, 5)
    top2 = scores.topk(2, dim=-1).values
    assert bool(((top2[:, 0] - top2[:, 1]) >= 0.05 - 1e-6).all())
    probs = _inputs.probabilities("p", 100)
    assert bool(((probs > 0) & (probs < 1)).all())
    spec = _inputs.model_spec("m", [["linear", 3, 2], ["relu"], ["linear", 2, 1]])
    assert sorted(spec["state"]) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert torch.equal(
        spec["state"]["0.weight"], _inputs.model_spec("m", spec["layers"])["state"]["0.weight"]
    )


def test_memo_hands_out_copies() -> None:
    calls = []

    @_cache.memo
    def expensive(n: int) -> dict[str, torch.Tensor]:
        calls.append(n)
        return {"t": torch.zeros(n)}

    first = expensive(3)
    first["t"] += 1  # a check that changes what it got back
    assert torch.equal(expensive(3)["t"], torch.zeros(3))
    assert calls == [3]


def test_forward_probe_counts_every_way_of_running_the_net() -> None:
    def forward_manual(net: torch.nn.Sequential, x: torch.Tensor) -> torch.Tensor:
        net[0].forward(x)  # bypasses __call__ and its hooks
        net(x)
        return x

    student = types.SimpleNamespace(forward_manual=forward_manual)
    spec = {"layers": [["linear", 2, 2]]}
    seen = probe_module("core").PROBES["core_forward_manual"](student, spec, torch.ones(1, 2))
    assert seen["forward_calls"] == 3  # layer.forward, then net and its layer
    assert seen["state_unchanged"] is True
