"""Solutions and stubs honour the assignment sheet: names, signatures and rules.

The sheet (``shared/spec/assignment.md``) is the contract every submission is
written against. These tests pin it three ways: the exact signatures of the
34 functions in both ``solutions/`` and ``exercises/``; that every stub
raises ``NotImplementedError`` and defines nothing else public; and the
sheet's rules on the reference solutions (by hand, finite for large inputs,
batch-weighted losses, inputs left unchanged, ...).
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import itertools
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.preprocessing import MinMaxScaler
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "datasets" / "ds_salaries.csv"

# The sheet: exercise -> function -> parameters with defaults, as `inspect` prints them.
SHEET: dict[str, dict[str, str]] = {
    "ex01_multiclass": {
        "build_multiclass_net": "(n_features=5, n_hidden=4, n_classes=3, seed=None)",
        "predict_proba": "(logits)",
        "predict_classes": "(scores)",
        "as_row": "(t)",
        "one_hot": "(target, num_classes)",
        "cross_entropy_manual": "(logits, target)",
    },
    "ex02_regression_binary": {
        "build_regression_net": "(n_features=5, n_hidden=4, seed=None)",
        "mse_manual": "(pred, target)",
        "mae_manual": "(pred, target)",
        "predict_binary": "(logits, threshold=0.5)",
        "bce_manual": "(probs, target)",
        "bce_grad_manual": "(probs, target)",
    },
    "ex03_forward_pass": {
        "linear_forward": "(x, weight, bias)",
        "softmax_manual": "(z)",
        "forward_manual": "(net, x)",
    },
    "ex04_backward_pass": {
        "output_layer_grads": "(hidden, logits, target)",
        "sgd_update": "(weight, grad, lr)",
        "gradients_of": "(model, criterion, x, target)",
    },
    "ex05_optimizer": {
        "train_step": "(model, optimizer, criterion, x, target)",
        "flip_prediction": "(seed=2)",
    },
    "ex06_data": {
        "load_salary_data": "(csv_path)",
        "make_dataset": "(features, target)",
        "make_dataloader": "(dataset, batch_size=4, shuffle=True)",
        "last_sample": "(np_features, np_target)",
    },
    "ex07_training": {
        "build_salary_model": "(seed=None)",
        "train": "(model, dataloader, criterion, optimizer, num_epochs)",
        "evaluate": "(model, dataloader, criterion)",
        "to_usd": "(pred_scaled, scaler)",
    },
    "ex08_activations": {
        "relu_grad": "(x)",
        "leaky_relu_and_grad": "(x, negative_slope=0.01)",
        "elu_manual": "(x, alpha=1.0)",
        "sigmoid_grad": "(x)",
    },
    "ex09_capacity": {
        "calculate_capacity": "(model)",
        "build_four_layer_net": "(n_features, n_classes)",
    },
}
FUNCTIONS = [(exercise, name) for exercise, names in SHEET.items() for name in names]

# "By hand" functions -> names they must not reach (attribute or name, anywhere in
# the function or the module-level functions it calls).
FORBIDDEN: dict[tuple[str, str], set[str]] = {
    ("ex01_multiclass", "cross_entropy_manual"): {
        "CrossEntropyLoss", "cross_entropy", "nll_loss", "NLLLoss", "log_softmax",
        "LogSoftmax", "logsumexp",
    },
    ("ex02_regression_binary", "mse_manual"): {"MSELoss", "mse_loss"},
    ("ex02_regression_binary", "mae_manual"): {"L1Loss", "l1_loss"},
    ("ex02_regression_binary", "bce_manual"): {
        "BCELoss", "binary_cross_entropy", "BCEWithLogitsLoss", "binary_cross_entropy_with_logits",
    },
    ("ex02_regression_binary", "bce_grad_manual"): {"backward", "autograd", "grad"},
    ("ex03_forward_pass", "linear_forward"): {"linear", "Linear", "addmm"},
    ("ex03_forward_pass", "softmax_manual"): {"softmax", "Softmax", "log_softmax"},
    ("ex03_forward_pass", "forward_manual"): {
        "softmax", "Softmax", "linear", "Linear", "forward", "__call__",
    },
    ("ex04_backward_pass", "output_layer_grads"): {"backward", "autograd", "grad"},
    ("ex08_activations", "elu_manual"): {"elu", "ELU", "celu", "selu"},
    ("ex08_activations", "sigmoid_grad"): {"backward", "autograd", "grad", "sigmoid", "Sigmoid"},
}  # fmt: skip


@cache
def load(folder: str, exercise: str) -> ModuleType:
    path = ROOT / folder / f"{exercise}.py"
    spec = importlib.util.spec_from_file_location(f"_contract_{folder}_{exercise}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def solution(exercise: str) -> ModuleType:
    return load("solutions", exercise)


def bare_signature(function: Callable[..., Any]) -> str:
    signature = inspect.signature(function)
    parameters = [
        p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()
    ]
    return str(signature.replace(parameters=parameters, return_annotation=inspect.Signature.empty))


def test_the_sheet_has_34_functions() -> None:
    assert len(FUNCTIONS) == 34


# --- names and signatures ---------------------------------------------------------------


@pytest.mark.parametrize(("exercise", "name"), FUNCTIONS)
def test_solution_signature_matches_the_sheet(exercise: str, name: str) -> None:
    assert bare_signature(getattr(solution(exercise), name)) == SHEET[exercise][name]


@pytest.mark.parametrize(("exercise", "name"), FUNCTIONS)
def test_stub_signature_equals_the_solution(exercise: str, name: str) -> None:
    stub = getattr(load("exercises", exercise), name)
    reference = getattr(solution(exercise), name)
    assert str(inspect.signature(stub)) == str(inspect.signature(reference))
    assert inspect.getdoc(stub) == inspect.getdoc(reference)


@pytest.mark.parametrize("folder", ["solutions", "exercises"])
@pytest.mark.parametrize("exercise", list(SHEET))
def test_public_names_are_the_sheet_plus_upper_case_constants(folder: str, exercise: str) -> None:
    tree = ast.parse((ROOT / folder / f"{exercise}.py").read_text(encoding="utf-8"))
    functions, others = set(), set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            functions.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            others.update(t.id for t in targets if isinstance(t, ast.Name))
    assert {f for f in functions if not f.startswith("_")} == set(SHEET[exercise])
    assert all(name.isupper() or name.startswith("_") for name in others), others


# --- the stubs --------------------------------------------------------------------------


def _tiny_loader() -> DataLoader:
    return DataLoader(TensorDataset(torch.rand(5, 4), torch.rand(5, 1)), batch_size=2)


PLAUSIBLE_ARGS: dict[str, Callable[[], tuple[Any, ...]]] = {
    "build_multiclass_net": lambda: (5, 4, 3, 0),
    "predict_proba": lambda: (torch.randn(4, 3),),
    "predict_classes": lambda: (torch.randn(4, 3),),
    "as_row": lambda: (torch.arange(4.0),),
    "one_hot": lambda: (torch.tensor([0, 2, 1]), 3),
    "cross_entropy_manual": lambda: (torch.randn(4, 3), torch.tensor([0, 2, 1, 1])),
    "build_regression_net": lambda: (5, 4, 0),
    "mse_manual": lambda: (torch.randn(4, 1), torch.randn(4, 1)),
    "mae_manual": lambda: (torch.randn(4, 1), torch.randn(4, 1)),
    "predict_binary": lambda: (torch.randn(4, 1), 0.5),
    "bce_manual": lambda: (torch.rand(4, 1), torch.ones(4, 1)),
    "bce_grad_manual": lambda: (torch.rand(4, 1), torch.ones(4, 1)),
    "linear_forward": lambda: (torch.randn(2, 5), torch.randn(3, 5), torch.randn(3)),
    "softmax_manual": lambda: (torch.randn(2, 3),),
    "forward_manual": lambda: (nn.Sequential(nn.Linear(5, 3)), torch.randn(2, 5)),
    "output_layer_grads": lambda: (
        torch.randn(4, 2),
        torch.randn(4, 3),
        torch.tensor([0, 1, 2, 0]),
    ),
    "sgd_update": lambda: (torch.randn(3), torch.randn(3), 0.1),
    "gradients_of": lambda: (nn.Linear(2, 1), nn.MSELoss(), torch.randn(3, 2), torch.randn(3, 1)),
    "train_step": lambda: _train_step_args(),
    "flip_prediction": lambda: (2,),
    "load_salary_data": lambda: (CSV,),
    "make_dataset": lambda: (np.zeros((3, 4), np.float32), np.zeros((3, 1), np.float32)),
    "make_dataloader": lambda: (TensorDataset(torch.rand(5, 4)), 2, False),
    "last_sample": lambda: (np.zeros((3, 4)), np.zeros((3, 1))),
    "build_salary_model": lambda: (0,),
    "train": lambda: _train_args(),
    "evaluate": lambda: (nn.Linear(4, 1), _tiny_loader(), nn.MSELoss()),
    "to_usd": lambda: (torch.rand(3, 1), MinMaxScaler().fit(np.array([[1.0], [9.0]]))),
    "relu_grad": lambda: (1.5,),
    "leaky_relu_and_grad": lambda: (-2.0, 0.01),
    "elu_manual": lambda: (torch.randn(4), 1.0),
    "sigmoid_grad": lambda: (torch.randn(4),),
    "calculate_capacity": lambda: (nn.Linear(3, 2),),
    "build_four_layer_net": lambda: (8, 2),
}


def _train_step_args() -> tuple[Any, ...]:
    model = nn.Linear(2, 1)
    return (
        model,
        torch.optim.SGD(model.parameters(), lr=0.1),
        nn.MSELoss(),
        torch.ones(3, 2),
        torch.ones(3, 1),
    )


def _train_args() -> tuple[Any, ...]:
    model = nn.Linear(4, 1)
    return model, _tiny_loader(), nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.1), 1


def test_every_sheet_function_has_plausible_arguments() -> None:
    assert set(PLAUSIBLE_ARGS) == {name for _, name in FUNCTIONS}


@pytest.mark.parametrize(("exercise", "name"), FUNCTIONS)
def test_the_plausible_arguments_work_on_the_solution(exercise: str, name: str) -> None:
    getattr(solution(exercise), name)(*PLAUSIBLE_ARGS[name]())


@pytest.mark.parametrize(("exercise", "name"), FUNCTIONS)
def test_every_stub_raises_not_implemented(exercise: str, name: str) -> None:
    with pytest.raises(NotImplementedError):
        getattr(load("exercises", exercise), name)(*PLAUSIBLE_ARGS[name]())


# --- "by hand" --------------------------------------------------------------------------


def _reached_names(tree: ast.Module, function: str) -> set[str]:
    """Names and attribute names used by ``function`` and the module functions it calls."""
    defs = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    seen, todo, names = set(), [function], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for node in ast.walk(defs[current]):
            if isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.Name):
                names.add(node.id)
                if node.id in defs:
                    todo.append(node.id)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names.add(node.value)  # getattr(F, "softmax")
    return names


def test_the_scan_sees_shortcuts_in_helpers_and_getattr() -> None:
    tree = ast.parse(
        "import torch.nn.functional as F\n"
        "def helper(z):\n    return getattr(F, 'softmax')(z, -1)\n"
        "def f(z):\n    return helper(z).log()\n"
    )
    assert {"helper", "softmax", "log"} <= _reached_names(tree, "f")


@pytest.mark.parametrize(("exercise", "name"), sorted(FORBIDDEN))
def test_by_hand_solutions_avoid_the_shortcuts(exercise: str, name: str) -> None:
    tree = ast.parse((ROOT / "solutions" / f"{exercise}.py").read_text(encoding="utf-8"))
    used = _reached_names(tree, name) - {name}
    assert not used & FORBIDDEN[(exercise, name)]


def test_forward_manual_does_not_call_the_net_or_its_layers() -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("forward_manual called a module")

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 4), nn.Linear(4, 3))
    for module in (net, *net):
        module.register_forward_pre_hook(refuse)
    solution("ex03_forward_pass").forward_manual(net, torch.randn(2, 5))


# --- the sheet's rules on the reference solutions ---------------------------------------


def test_cross_entropy_manual_equals_f_cross_entropy_and_stays_finite() -> None:
    ce = solution("ex01_multiclass").cross_entropy_manual
    torch.manual_seed(0)
    logits, target = torch.randn(6, 4), torch.tensor([0, 3, 1, 2, 2, 0])
    torch.testing.assert_close(ce(logits, target), F.cross_entropy(logits, target))
    huge = torch.tensor([[1000.0, -1000.0, 0.0], [0.0, 1000.0, 999.0]])
    result = ce(huge, torch.tensor([1, 2]))
    assert torch.isfinite(result)
    torch.testing.assert_close(result, F.cross_entropy(huge, torch.tensor([1, 2])))
    one_hot = F.one_hot(target, 4).float()
    torch.testing.assert_close(ce(logits, one_hot), F.cross_entropy(logits, target))


def test_multiclass_helpers_have_the_sheet_types() -> None:
    ex01 = solution("ex01_multiclass")
    scores = torch.randn(5, 3)
    classes = ex01.predict_classes(scores)
    assert classes.dtype == torch.int64 and classes.shape == (5,)
    torch.testing.assert_close(ex01.predict_proba(scores).sum(-1), torch.ones(5))
    assert ex01.as_row(torch.arange(6.0).reshape(2, 3).T).shape == (1, 6)
    encoded = ex01.one_hot(torch.tensor([2, 0]), 4)
    assert encoded.dtype == torch.float32
    assert encoded.tolist() == [[0, 0, 1, 0], [1, 0, 0, 0]]
    net = ex01.build_multiclass_net(7, 5, 2, seed=1)
    assert [type(m) for m in net] == [nn.Linear, nn.Linear]
    assert net(torch.randn(3, 7)).shape == (3, 2)


def test_regression_and_binary_losses_equal_torch() -> None:
    ex02 = solution("ex02_regression_binary")
    torch.manual_seed(0)
    pred, target = torch.randn(6, 1), torch.randn(6, 1)
    torch.testing.assert_close(ex02.mse_manual(pred, target), nn.MSELoss()(pred, target))
    torch.testing.assert_close(ex02.mae_manual(pred, target), nn.L1Loss()(pred, target))
    probs = torch.rand(6, 1) * 0.98 + 0.01
    labels = (torch.rand(6, 1) > 0.5).float()
    torch.testing.assert_close(ex02.bce_manual(probs, labels), nn.BCELoss()(probs, labels))
    leaf = probs.clone().requires_grad_()
    nn.BCELoss(reduction="sum")(leaf, labels).backward()
    torch.testing.assert_close(ex02.bce_grad_manual(probs, labels), leaf.grad)
    binary = ex02.predict_binary(torch.tensor([[-1.0], [0.0], [2.0]]))
    assert binary.dtype == torch.float32 and binary.tolist() == [[0.0], [0.0], [1.0]]
    assert ex02.predict_binary(torch.tensor([[0.5]]), threshold=0.7).tolist() == [[0.0]]


def test_forward_pass_by_hand_equals_torch() -> None:
    ex03 = solution("ex03_forward_pass")
    torch.manual_seed(0)
    layer = nn.Linear(5, 3)
    x = torch.randn(4, 5)
    torch.testing.assert_close(ex03.linear_forward(x, layer.weight, layer.bias), layer(x))
    no_bias = nn.Linear(5, 3, bias=False)
    torch.testing.assert_close(ex03.linear_forward(x, no_bias.weight, None), no_bias(x))
    z = torch.tensor([[1000.0, 999.0, -1000.0], [1.0, 2.0, 3.0]])
    torch.testing.assert_close(ex03.softmax_manual(z), torch.softmax(z, dim=-1))
    for sizes in ([5, 2], [5, 4, 3], [5, 6, 4, 2]):
        net = nn.Sequential(*(nn.Linear(a, b) for a, b in itertools.pairwise(sizes)))
        torch.testing.assert_close(ex03.forward_manual(net, x), torch.softmax(net(x), dim=-1))


def test_output_layer_grads_equal_autograd() -> None:
    ex04 = solution("ex04_backward_pass")
    torch.manual_seed(0)
    hidden, layer = torch.randn(6, 4), nn.Linear(4, 3)
    target = torch.tensor([0, 2, 1, 1, 0, 2])
    logits = layer(hidden)
    F.cross_entropy(logits, target).backward()
    dW, db = ex04.output_layer_grads(hidden, logits, target)
    torch.testing.assert_close(dW, layer.weight.grad)
    torch.testing.assert_close(db, layer.bias.grad)


def test_sgd_update_leaves_its_inputs_alone() -> None:
    weight, grad = torch.ones(3, requires_grad=True), torch.full((3,), 2.0)
    result = solution("ex04_backward_pass").sgd_update(weight, grad, 0.5)
    torch.testing.assert_close(result, torch.zeros(3))
    assert weight.tolist() == [1.0, 1.0, 1.0] and grad.tolist() == [2.0, 2.0, 2.0]


def test_gradients_of_does_not_accumulate_and_leaves_grads_as_found() -> None:
    gradients_of = solution("ex04_backward_pass").gradients_of
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    x, target = torch.randn(5, 3), torch.randn(5, 1)
    before = {name: torch.full_like(p, 7.0) for name, p in model.named_parameters()}
    for name, p in model.named_parameters():
        p.grad = before[name].clone()
    first = gradients_of(model, nn.MSELoss(), x, target)
    second = gradients_of(model, nn.MSELoss(), x, target)
    assert list(first) == [name for name, _ in model.named_parameters()]
    for name, p in model.named_parameters():
        torch.testing.assert_close(first[name], second[name])
        torch.testing.assert_close(p.grad, before[name])
    model.zero_grad()
    nn.MSELoss()(model(x), target).backward()
    for name, p in model.named_parameters():
        torch.testing.assert_close(first[name], p.grad)


def test_train_step_returns_the_loss_before_the_step() -> None:
    train_step = solution("ex05_optimizer").train_step
    model, optimizer, criterion, x, target = _train_step_args()
    with torch.no_grad():
        expected = criterion(model(x), target).item()
    assert train_step(model, optimizer, criterion, x, target) == pytest.approx(expected)
    with torch.no_grad():
        assert criterion(model(x), target).item() < expected


def test_make_dataset_and_last_sample_keep_dtypes() -> None:
    ex06 = solution("ex06_data")
    features, target = np.arange(12.0).reshape(4, 3), np.arange(4, dtype=np.int64)
    dataset = ex06.make_dataset(features, target)
    assert dataset.tensors[0].dtype == torch.float64 and dataset.tensors[1].dtype == torch.int64
    last_features, last_target = ex06.last_sample(features, target.reshape(4, 1).astype(np.float64))
    assert last_features.dtype == torch.float64 and last_features.tolist() == [9.0, 10.0, 11.0]
    assert last_target.tolist() == [3.0]
    float32 = ex06.make_dataset(features.astype(np.float32), target)
    assert float32.tensors[0].dtype == torch.float32
    loader = ex06.make_dataloader(dataset, batch_size=3, shuffle=False)
    assert [len(batch[0]) for batch in loader] == [3, 1]
    assert ex06.make_dataloader(dataset).batch_size == 4


def test_salary_data_types() -> None:
    features, target, scaler = solution("ex06_data").load_salary_data(str(CSV))
    assert features.dtype == np.float32 and target.dtype == np.float32
    assert isinstance(scaler, MinMaxScaler)
    assert target.min() == 0.0 and target.max() == 1.0


class _Recorder(nn.Module):
    """A linear model that records the mode and grad state it was called in."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 1)
        self.calls: list[tuple[bool, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((self.training, torch.is_grad_enabled()))
        return self.linear(x)


def _uneven_loader() -> tuple[DataLoader, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    x, y = torch.randn(5, 4), torch.randn(5, 1)
    return DataLoader(TensorDataset(x, y), batch_size=2, shuffle=False), x, y


def test_evaluate_weighs_batches_uses_eval_and_no_grad_then_restores() -> None:
    evaluate = solution("ex07_training").evaluate
    loader, x, y = _uneven_loader()
    model = _Recorder()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        expected = nn.MSELoss()(model(x), y).item()
    model.calls.clear()
    assert evaluate(model, loader, nn.MSELoss()) == pytest.approx(expected)
    assert model.calls == [(False, False)] * 3
    assert model.training
    model.eval()
    evaluate(model, loader, nn.MSELoss())
    assert not model.training
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key])


def test_train_returns_batch_weighted_epoch_means() -> None:
    train = solution("ex07_training").train
    loader, x, y = _uneven_loader()
    model = nn.Linear(4, 1)
    with torch.no_grad():
        expected = nn.MSELoss()(model(x), y).item()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)  # nothing moves: every epoch equal
    losses = train(model, loader, nn.MSELoss(), optimizer, 2)
    assert losses == pytest.approx([expected, expected])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    losses = train(model, loader, nn.MSELoss(), optimizer, 5)
    assert len(losses) == 5 and losses[-1] < losses[0]


def test_to_usd_inverts_the_scaling_as_a_column() -> None:
    to_usd = solution("ex07_training").to_usd
    scaler = MinMaxScaler().fit(np.array([[1000.0], [5000.0]]))
    result = to_usd(torch.tensor([[0.0], [0.5], [1.0]]), scaler)
    assert isinstance(result, np.ndarray) and result.shape == (3, 1)
    np.testing.assert_allclose(result, [[1000.0], [3000.0], [5000.0]])
    assert to_usd(np.array([0.25, 0.75], dtype=np.float32), scaler).shape == (2, 1)


def test_build_salary_model_is_seeded_4_2_1() -> None:
    build = solution("ex07_training").build_salary_model
    model = build(seed=3)
    assert [(m.in_features, m.out_features) for m in model] == [(4, 2), (2, 1)]
    assert torch.equal(model[0].weight, build(seed=3)[0].weight)


def test_activations_match_torch() -> None:
    ex08 = solution("ex08_activations")
    x = torch.tensor([-50.0, -2.0, -0.5, 0.0, 0.5, 3.0, 100.0])
    torch.testing.assert_close(ex08.elu_manual(x), F.elu(x))
    torch.testing.assert_close(ex08.elu_manual(x, alpha=0.3), F.elu(x, alpha=0.3))
    torch.testing.assert_close(ex08.sigmoid_grad(x), torch.sigmoid(x) * (1 - torch.sigmoid(x)))
    assert torch.isfinite(ex08.sigmoid_grad(torch.tensor([-1000.0, 1000.0]))).all()
    assert ex08.relu_grad(-1.5) == 0.0
    assert ex08.leaky_relu_and_grad(3.0, negative_slope=0.2) == pytest.approx((3.0, 1.0))


@pytest.mark.parametrize(("n_features", "n_classes"), [(1, 1), (8, 2), (3, 7), (100, 10)])
def test_four_layer_net_for_any_sizes(n_features: int, n_classes: int) -> None:
    ex09 = solution("ex09_capacity")
    net = ex09.build_four_layer_net(n_features, n_classes)
    assert sum(isinstance(m, nn.Linear) for m in net.modules()) == 4
    assert ex09.calculate_capacity(net) > 120
    assert net(torch.randn(2, n_features)).shape == (2, n_classes)


# Functions of tensors only: they must hand back new tensors and leave their inputs alone.
PURE_TENSOR_FUNCTIONS = frozenset({
    "predict_proba", "predict_classes", "as_row", "one_hot", "cross_entropy_manual",
    "mse_manual", "mae_manual", "predict_binary", "bce_manual", "bce_grad_manual",
    "linear_forward", "softmax_manual", "output_layer_grads", "sgd_update", "elu_manual",
    "sigmoid_grad",
})  # fmt: skip
TENSOR_CALLS = [(exercise, name) for exercise, name in FUNCTIONS if name in PURE_TENSOR_FUNCTIONS]


@pytest.mark.parametrize(("exercise", "name"), TENSOR_CALLS)
def test_tensor_functions_leave_their_inputs_unchanged(exercise: str, name: str) -> None:
    args = PLAUSIBLE_ARGS[name]()
    copies = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
    getattr(solution(exercise), name)(*args)
    for arg, copy in zip(args, copies, strict=True):
        if isinstance(arg, torch.Tensor):
            assert torch.equal(arg, copy)
