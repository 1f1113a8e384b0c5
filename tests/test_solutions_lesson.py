"""The reference solutions reproduce every number the lesson prints.

Numbers are compared as the lesson shows them: rounded to the printed number
of decimals, so a test fails exactly when a printout would differ.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
SEED = 11052023


@cache
def solution(name: str) -> ModuleType:
    path = ROOT / "solutions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_lesson_solution_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def printed(values: torch.Tensor | float, decimals: int = 4) -> list[str] | str:
    """What the lesson's printout shows: each value to ``decimals`` places."""
    if isinstance(values, torch.Tensor):
        if values.dim() == 0:
            return f"{values.item():.{decimals}f}"
        return [f"{v:.{decimals}f}" for v in values.flatten().tolist()]
    return f"{values:.{decimals}f}"


def multiclass_logits() -> torch.Tensor:
    ex01 = solution("ex01_multiclass")
    with torch.no_grad():
        return ex01.build_multiclass_net(seed=SEED)(ex01.LESSON_INPUT)


def regression_outputs() -> torch.Tensor:
    ex02 = solution("ex02_regression_binary")
    with torch.no_grad():
        return ex02.build_regression_net(seed=SEED)(ex02.LESSON_INPUT)


def test_lesson_input_is_the_same_4x5_tensor_in_every_module() -> None:
    first = solution("ex01_multiclass").LESSON_INPUT
    assert first.shape == (4, 5)
    assert first.dtype == torch.float32
    assert printed(first[0, :2]) == ["0.6671", "-0.3141"]
    for name in ("ex02_regression_binary", "ex03_forward_pass", "ex04_backward_pass"):
        assert torch.equal(solution(name).LESSON_INPUT, first), name
    target = solution("ex01_multiclass").LESSON_MULTICLASS_TARGET
    assert torch.equal(solution("ex04_backward_pass").LESSON_MULTICLASS_TARGET, target)


def test_pre_activation_starts_0_4926_minus_0_1480_0_2304() -> None:
    assert printed(multiclass_logits()[0]) == ["0.4926", "-0.1480", "0.2304"]


def test_the_seeded_net_matches_a_plain_sequential() -> None:
    torch.manual_seed(SEED)
    plain = nn.Sequential(nn.Linear(5, 4), nn.Linear(4, 3))
    with torch.no_grad():
        expected = plain(solution("ex01_multiclass").LESSON_INPUT)
    assert torch.equal(multiclass_logits(), expected)


def test_predicted_classes_are_0_2_0_1() -> None:
    ex01 = solution("ex01_multiclass")
    logits = multiclass_logits()
    assert ex01.predict_classes(logits).tolist() == [0, 2, 0, 1]
    assert ex01.predict_classes(ex01.predict_proba(logits)).tolist() == [0, 2, 0, 1]


def test_cross_entropy_on_logits_is_1_0591() -> None:
    ex01 = solution("ex01_multiclass")
    logits, target = multiclass_logits(), ex01.LESSON_MULTICLASS_TARGET
    assert printed(ex01.cross_entropy_manual(logits, target)) == "1.0591"
    assert printed(nn.CrossEntropyLoss()(logits, target)) == "1.0591"


def test_cross_entropy_after_softmax_twice_is_1_0857() -> None:
    ex01 = solution("ex01_multiclass")
    probs = ex01.predict_proba(multiclass_logits())
    assert printed(nn.CrossEntropyLoss()(probs, ex01.LESSON_MULTICLASS_TARGET)) == "1.0857"


def test_regression_outputs_are_the_lesson_four() -> None:
    assert printed(regression_outputs()) == ["-0.2958", "0.0502", "-0.6245", "-0.4806"]


def test_regression_mse_is_5_1743() -> None:
    ex02 = solution("ex02_regression_binary")
    pred, target = regression_outputs(), ex02.LESSON_REGRESSION_TARGET
    assert torch.equal(target, torch.tensor([[3.1], [2.3], [1.2], [0.4]]))
    assert printed(ex02.mse_manual(pred, target)) == "5.1743"
    assert printed(nn.MSELoss()(pred, target)) == "5.1743"


def test_forward_by_hand_first_row_is_0_4355_0_2295_0_3350() -> None:
    ex03 = solution("ex03_forward_pass")
    torch.manual_seed(SEED)
    net = nn.Sequential(nn.Linear(5, 4), nn.Linear(4, 3))
    with torch.no_grad():
        probs = ex03.forward_manual(net, ex03.LESSON_INPUT)
    assert printed(probs[0]) == ["0.4355", "0.2295", "0.3350"]


def test_relu_gradient_at_1_5_is_1() -> None:
    assert solution("ex08_activations").relu_grad(1.5) == 1.0


def test_leaky_relu_at_minus_2_gives_minus_0_02_and_gradient_0_01() -> None:
    output, grad = solution("ex08_activations").leaky_relu_and_grad(-2.0)
    assert output == pytest.approx(-0.02)
    assert grad == pytest.approx(0.01)


def test_elu_of_seed_0_randn_is_the_lesson_four() -> None:
    torch.manual_seed(0)
    values = solution("ex08_activations").elu_manual(torch.randn(4))
    assert printed(values) == ["1.5410", "-0.2543", "-0.8868", "0.5684"]


def test_three_layer_capacity_is_81() -> None:
    model = nn.Sequential(nn.Linear(16, 4), nn.Linear(4, 2), nn.Linear(2, 1))
    assert solution("ex09_capacity").calculate_capacity(model) == 81


def test_flip_prediction_seed_2_goes_from_0_1_to_1_0() -> None:
    first, final = solution("ex05_optimizer").flip_prediction(seed=2)
    assert first.tolist() == [[0.0, 1.0]]
    assert final.tolist() == [[1.0, 0.0]]


@pytest.fixture(scope="module")
def salary_data() -> tuple:
    return solution("ex06_data").load_salary_data(ROOT / "datasets" / "ds_salaries.csv")


def test_salary_table_has_607_rows(salary_data: tuple) -> None:
    features, target, _ = salary_data
    assert features.shape == (607, 4)
    assert target.shape == (607, 1)


def test_salary_first_feature_rows(salary_data: tuple) -> None:
    features, _, _ = salary_data
    assert features[:3].tolist() == [[2, 2, 0, 0], [3, 2, 0, 2], [3, 2, 50, 1]]


def test_scaled_salary_mean_is_0_183271(salary_data: tuple) -> None:
    _, target, _ = salary_data
    assert f"{target.astype('float64').mean():.6f}" == "0.183271"
