"""The probe registry and the ex05–ex09 probes, run directly on small modules.

Each probe is called the way the worker calls it (`probe(module, *args)`),
on the reference solutions or on a few lines of student-like code, and its
report is pushed through the codec, since that is the only way it can leave
the worker.
"""

from __future__ import annotations

import ast
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from course_files import COURSE, probe_module
from torch import nn

from grader.assignment import reference
from grader.sandbox.confined import probe_runtime, probes
from grader.sandbox.confined.probe_runtime import (
    build_criterion,
    build_model,
    build_optimizer,
    describe_model,
    observe,
    student_function,
    type_name,
)
from grader.sandbox.wire import codec

SALARY_LAYERS = [["linear", 4, 2], ["linear", 2, 1]]


def module_from(source: str, name: str = "student") -> types.ModuleType:
    """A module made of `source`, as the worker would import it."""
    module = types.ModuleType(name)
    exec(compile(source, f"{name}.py", "exec"), module.__dict__)
    return module


def through_codec(value: Any) -> Any:
    """`value` after the trip from worker to parent."""
    packed = codec.encode(value)
    return codec.decode(packed.tree, packed.buffers)


def seeded_spec(layers: list[list[Any]], seed: int = 0) -> dict[str, Any]:
    torch.manual_seed(seed)
    return {"layers": layers, "state": build_model({"layers": layers}).state_dict()}


def loader_data(n: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(3)
    return torch.rand(n, 4, generator=gen), torch.rand(n, 1, generator=gen)


# ---------------------------------------------------------------- registry and helpers


REGISTRY = probes.load([str(p) for p in COURSE.probe_files])
PROBES = probe_module("training").PROBES


def test_registry_holds_every_probe_of_the_assignment_files() -> None:
    core = probe_module("core").PROBES
    assert set(PROBES).isdisjoint(core)
    assert set(REGISTRY) == set(PROBES) | set(core)
    assert all(callable(probe) for probe in REGISTRY.values())


def test_registry_refuses_a_probe_defined_twice(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.py").write_text("PROBES = {'same': print}\n")
    with pytest.raises(probes.ProbeLoadError, match="'same' is defined twice"):
        probes.load([str(tmp_path / "a.py"), str(tmp_path / "b.py")])
    probes.load([str(p) for p in COURSE.probe_files])  # as before, for the other tests


def test_registry_names_a_probe_file_without_a_table(tmp_path: Path) -> None:
    (tmp_path / "empty.py").write_text("x = 1\n")
    with pytest.raises(probes.ProbeLoadError, match="defines no PROBES"):
        probes.load([str(tmp_path / "empty.py")])
    with pytest.raises(probes.ProbeLoadError, match="does not exist"):
        probes.load([str(tmp_path / "missing.py")])
    probes.load([str(p) for p in COURSE.probe_files])


def test_student_function_reads_only_the_module_namespace() -> None:
    module = module_from("def f():\n    return 1\nvalue = 3\n")
    assert student_function(module, "f")() == 1
    with pytest.raises(LookupError, match="function `g` not found"):
        student_function(module, "g")
    with pytest.raises(LookupError, match="not a function"):
        student_function(module, "value")
    with pytest.raises(LookupError):
        student_function(module, "__class__")  # an attribute, not a name the module defines


def test_type_name_spells_types_as_students_do() -> None:
    assert type_name(1.0) == "float"
    assert type_name(torch.zeros(1)) == "torch.Tensor"
    assert type_name(np.float32(1)) == "numpy.float32"
    assert type_name(nn.Linear(1, 1)) == "torch.Linear"


def test_observe_keeps_codec_types_and_marks_the_rest() -> None:
    class Lying(float):
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = float.__hash__

    value = observe({"a": [Lying(2.5), (np.float32(1.5), None)], "b": object(), "c": True})
    assert type(value["a"][0]) is float and value["a"][0] == 2.5
    assert isinstance(value["a"][1], tuple) and type(value["a"][1][0]) is np.float32
    assert value["b"] == "<unsupported object>"
    assert value["c"] is True
    assert observe({1: "x"}) == "<unsupported dict>"
    through_codec(value)


def test_build_model_round_trips_through_describe_model() -> None:
    layers = [
        ["linear", 3, 4],
        ["relu"],
        ["dropout", 0.25],
        ["leaky_relu", 0.2],
        ["tanh"],
        ["linear", 4, 2, False],
        ["sigmoid"],
    ]
    spec = seeded_spec(layers)
    model = build_model(spec)
    report = describe_model(model)
    assert report["layers"] == [
        ["linear", 3, 4, True],
        ["relu"],
        ["dropout", 0.25],
        ["leaky_relu", 0.2],
        ["tanh"],
        ["linear", 4, 2, False],
        ["sigmoid"],
    ]
    assert report["n_params"] == 3 * 4 + 4 + 4 * 2
    assert all(torch.equal(report["state"][k], v) for k, v in spec["state"].items())
    assert describe_model([1, 2]) == {"type": "list", "is_module": False}
    with pytest.raises(ValueError, match="unknown layer"):
        build_model({"layers": [["conv", 1, 1]]})


def test_a_model_spec_can_freeze_parameters() -> None:
    layers = [["linear", 3, 2], ["linear", 2, 1, False]]
    model = build_model({"layers": layers, "frozen": ["0.bias", "1.weight"]})
    grads = {name: p.requires_grad for name, p in model.named_parameters()}
    assert grads == {"0.weight": True, "0.bias": False, "1.weight": False}
    with pytest.raises(ValueError, match="unknown parameters"):
        build_model({"layers": layers, "frozen": ["1.bias"]})


def test_criteria_and_optimizers_come_from_fixed_tables() -> None:
    assert isinstance(build_criterion("cross_entropy"), nn.CrossEntropyLoss)
    with pytest.raises(ValueError):
        build_criterion("__import__")
    params = list(nn.Linear(2, 1).parameters())
    sgd = build_optimizer({"kind": "sgd", "lr": 0.5, "momentum": 0.9}, params)
    assert sgd.param_groups[0]["lr"] == 0.5 and sgd.param_groups[0]["momentum"] == 0.9
    assert isinstance(build_optimizer({"kind": "adam"}, params), torch.optim.Adam)
    with pytest.raises(ValueError):
        build_optimizer({"kind": "lbfgs", "lr": 1}, params)


# ---------------------------------------------------------------- ex05 / ex07: training


def test_train_step_probe_reports_losses_states_and_grads() -> None:
    spec = seeded_spec([["linear", 3, 2]])
    x, target = torch.randn(5, 3), torch.randn(5, 2)
    sgd = {"kind": "sgd", "lr": 0.1}
    report = through_codec(
        REGISTRY["train_step"](reference("ex05_optimizer"), spec, sgd, "mse", x, target, steps=2)
    )
    model = build_model(spec)
    optimizer = build_optimizer(sgd, model.parameters())
    for i in range(2):
        optimizer.zero_grad()
        loss = nn.MSELoss()(model(x), target)
        loss.backward()
        optimizer.step()
        assert report["losses"][i] == {"value": pytest.approx(loss.item()), "type": "float"}
        for key, value in model.state_dict().items():
            assert torch.allclose(report["states"][i][key], value)
    assert set(report["grads"]) == {"0.weight", "0.bias"}
    assert torch.allclose(report["grads"]["0.weight"], model[0].weight.grad)


def test_train_step_probe_sees_accumulated_gradients() -> None:
    lazy = module_from(
        "def train_step(model, optimizer, criterion, x, target):\n"
        "    loss = criterion(model(x), target)\n"
        "    loss.backward()\n"
        "    optimizer.step()\n"
        "    return loss\n"
    )
    spec = seeded_spec([["linear", 3, 1]])
    x, target = torch.randn(4, 3), torch.randn(4, 1)
    args = (spec, {"kind": "sgd", "lr": 0.1}, "mse", x, target)
    good = REGISTRY["train_step"](reference("ex05_optimizer"), *args, steps=2)
    bad = through_codec(REGISTRY["train_step"](lazy, *args, steps=2))
    assert torch.allclose(bad["states"][0]["0.weight"], good["states"][0]["0.weight"])
    assert not torch.allclose(bad["states"][1]["0.weight"], good["states"][1]["0.weight"])
    assert bad["losses"][0]["type"] == "torch.Tensor"


def test_train_probe_reports_epoch_losses_and_final_state() -> None:
    features, target = loader_data()
    spec = seeded_spec(SALARY_LAYERS)
    report = through_codec(
        REGISTRY["train"](
            reference("ex07_training"),
            spec,
            {"kind": "sgd", "lr": 0.05},
            "mse",
            features,
            target,
            4,
            3,
        )
    )
    assert report["type"] == "list" and report["item_types"] == ["float"] * 3
    assert len(report["losses"]) == 3 and report["losses"][2] < report["losses"][0]
    assert not torch.equal(report["state"]["0.weight"], spec["state"]["0.weight"])


EVALUATE_VARIANTS = {
    "reference": None,
    "no_eval": (
        "import torch\n"
        "def evaluate(model, loader, criterion):\n"
        "    with torch.no_grad():\n"
        "        return sum(criterion(model(x), y).item() for x, y in loader)\n"
    ),
    "no_grad_missing": (
        "def evaluate(model, loader, criterion):\n"
        "    model.eval()\n"
        "    return sum(criterion(model.forward(x), y).item() for x, y in loader)\n"
    ),
    "layer_by_layer": (
        "import torch\n"
        "def evaluate(model, loader, criterion):\n"
        "    model.eval()\n"
        "    total = 0.0\n"
        "    with torch.no_grad():\n"
        "        for x, y in loader:\n"
        "            for layer in model:\n"
        "                x = layer(x)\n"
        "            total += criterion(x, y).item()\n"
        "    return total\n"
    ),
    "never_runs": "def evaluate(model, loader, criterion):\n    return 0.5\n",
}


@pytest.mark.parametrize(
    ("variant", "train_mode", "grad", "ran"),
    [
        ("reference", False, False, True),
        ("no_eval", True, False, True),
        ("no_grad_missing", False, True, True),
        ("layer_by_layer", False, False, True),
        ("never_runs", False, False, False),
    ],
)
def test_evaluate_probe_records_how_the_model_ran(
    variant: str, train_mode: bool, grad: bool, ran: bool
) -> None:
    source = EVALUATE_VARIANTS[variant]
    module = reference("ex07_training") if source is None else module_from(source)
    features, target = loader_data()
    spec = seeded_spec([["linear", 4, 3], ["dropout", 0.5], ["linear", 3, 1]])
    report = through_codec(REGISTRY["evaluate"](module, spec, "mse", features, target, 4))
    assert (report["forward_calls"] > 0) is ran
    assert bool(report["train_mode_calls"]) is train_mode
    assert bool(report["grad_enabled_calls"]) is grad
    assert report["type"] == "float"
    assert all(torch.equal(report["state"][k], v) for k, v in spec["state"].items())
    if variant == "reference":
        assert report["training_after"] is True and report["grads_set"] is False


# ---------------------------------------------------------------- ex06: data


def test_make_dataset_probe_reports_items_and_dtypes() -> None:
    features = np.arange(6, dtype=np.float64).reshape(3, 2)
    target = np.array([1, 0, 1])
    report = through_codec(REGISTRY["make_dataset"](reference("ex06_data"), features, target))
    assert report["len"] == 3 and report["is_tensor_dataset"] is True
    assert report["item_types"] == [["torch.Tensor", "torch.Tensor"]] * 3
    x, y = report["items"][2]
    assert x.dtype == torch.float64 and torch.equal(
        x, torch.tensor([4.0, 5.0], dtype=torch.float64)
    )
    assert y.dtype == torch.int64 and int(y) == 1


def test_make_dataloader_probe_passes_options_through_and_iterates_per_seed() -> None:
    n = 10
    features = torch.stack([torch.arange(n, dtype=torch.float32), torch.zeros(n)], dim=1)
    target = torch.zeros(n, 1)
    probe = REGISTRY["make_dataloader"]
    module = reference("ex06_data")
    default = through_codec(probe(module, features, target))
    assert default["batch_size"] == 4 and default["is_dataloader"] and default["same_dataset"]
    assert default["sampler"] == "torch.RandomSampler"
    orders = [[int(i) for b in batches for i in b[0][:, 0]] for batches in default["passes"]]
    assert orders[0] != orders[1] and sorted(orders[0]) == list(range(n))
    plain = through_codec(probe(module, features, target, batch_size=3, shuffle=False))
    assert [len(b[0]) for b in plain["passes"][0]] == [3, 3, 3, 1]
    plain_orders = [[int(i) for b in batches for i in b[0][:, 0]] for batches in plain["passes"]]
    assert plain_orders == [list(range(n))] * 2


def test_make_dataloader_probe_stops_an_endless_loader() -> None:
    endless = module_from(
        "import itertools\n"
        "class Loader:\n"
        "    def __iter__(self):\n"
        "        return itertools.repeat(1)\n"
        "def make_dataloader(dataset, batch_size=4, shuffle=True):\n"
        "    return Loader()\n"
    )
    report = REGISTRY["make_dataloader"](endless, torch.zeros(3, 1), torch.zeros(3, 1), seeds=[1])
    assert len(report["passes"][0]) == 4 and report["is_dataloader"] is False
    assert report["batch_size"] is None


SALARY_CSV = (
    ",work_year,experience_level,employment_type,job_title,salary,salary_currency,"
    "salary_in_usd,employee_residence,remote_ratio,company_location,company_size\r\n"
    "0,2021,SE,FT,Data Scientist,100,USD,100000,US,100,US,L\r\n"
    "1,2022,MI,PT,Data Analyst,50,USD,50000,DE,0,DE,S\r\n"
    "2,2020,SE,FT,ML Engineer,200,USD,200000,US,50,US,M"
)


def test_load_salary_data_probe_works_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    report = through_codec(REGISTRY["load_salary_data"](reference("ex06_data"), SALARY_CSV))
    assert list(tmp_path.iterdir()) == []  # the file was written here and removed again
    assert report["length"] == 3 and report["scaler_type"] == "sklearn.MinMaxScaler"
    np.testing.assert_array_equal(
        report["features"], np.array([[1, 0, 100, 0], [0, 1, 0, 2], [1, 0, 50, 1]], np.float32)
    )
    np.testing.assert_allclose(report["target"][:, 0], [1 / 3, 0.0, 1.0], rtol=1e-6)
    assert report["scaler"]["data_min_"].tolist() == [50000.0]
    assert report["scaler"]["data_max_"].tolist() == [200000.0]
    with pytest.raises(ValueError, match="plain file name"):
        REGISTRY["load_salary_data"](reference("ex06_data"), SALARY_CSV, "../x.csv")


def test_load_salary_data_probe_reports_a_wrong_shape_of_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    two = module_from("def load_salary_data(path):\n    return 1, 2\n")
    assert REGISTRY["load_salary_data"](two, SALARY_CSV) == {"type": "tuple", "length": 2}


def test_to_usd_probe_builds_the_scaler_it_is_told() -> None:
    report = through_codec(
        REGISTRY["to_usd"](reference("ex07_training"), torch.tensor([[0.0], [0.5]]), 10.0, 30.0)
    )
    assert report["type"] == "numpy.ndarray"
    np.testing.assert_allclose(report["value"], [[10.0], [20.0]])


# ---------------------------------------------------------------- ex07 / ex09: models


def test_describe_model_probe_calls_the_named_builder() -> None:
    report = through_codec(
        REGISTRY["describe_model"](reference("ex07_training"), "build_salary_model", 5)
    )
    assert report["layers"] == [["linear", 4, 2, True], ["linear", 2, 1, True]]
    torch.manual_seed(5)
    expected = nn.Sequential(nn.Linear(4, 2), nn.Linear(2, 1)).state_dict()
    assert all(torch.equal(report["state"][k], v) for k, v in expected.items())


def test_calculate_capacity_probe() -> None:
    spec = {"layers": [["linear", 16, 4], ["linear", 4, 2], ["linear", 2, 1]]}
    report = through_codec(REGISTRY["calculate_capacity"](reference("ex09_capacity"), spec))
    assert report == {"value": 81, "type": "int"}


def test_build_four_layer_net_probe_runs_the_net() -> None:
    report = through_codec(REGISTRY["build_four_layer_net"](reference("ex09_capacity"), 5, 3))
    assert len(report["linear"]) == 4 and report["output_error"] is None
    assert report["output"].shape == (3, 3) and report["output_type"] == "torch.Tensor"


def test_build_four_layer_net_probe_reports_a_failing_forward() -> None:
    broken = module_from(
        "from torch import nn\n"
        "def build_four_layer_net(n_features, n_classes):\n"
        "    return nn.Sequential(nn.Linear(n_features, 8), nn.Linear(9, n_classes))\n"
    )
    report = through_codec(REGISTRY["build_four_layer_net"](broken, 5, 3))
    assert report["output"] is None
    assert report["output_error"].startswith("RuntimeError: mat1 and mat2 shapes")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
    return names


def test_probes_import_only_what_the_worker_has() -> None:
    allowed = {"__future__", "collections", "pathlib", "tempfile", "typing", "numpy", "torch"}
    allowed |= {"sklearn"}  # lazily, inside the one probe that needs a scaler
    files = [*COURSE.probe_files, Path(str(probe_runtime.__file__)), Path(str(probes.__file__))]
    allowed |= {"importlib", "sys"}  # the registry loads probe files by path
    for path in files:
        names = imported_modules(path)
        outside = {n for n in names if n.split(".")[0] not in allowed}
        outside.discard("grader.errors")  # the error base: no imports of its own (below)
        assert all(n.startswith("grader.sandbox.") for n in outside), outside
    errors_module = Path(probes.__file__).parents[2] / "errors.py"
    assert imported_modules(errors_module) == {"__future__"}
