"""Probes for ex05–ex09: observe the student's training code inside the worker.

A probe rebuilds the objects a check talks about (a model from its spec, an
optimizer, a criterion, a data loader over tensors the parent sent), hands them
to the student's function and reports what happened: returned values, the
parameters afterwards, the gradients left behind, how the forward pass ran.
It never decides pass or fail; the parent rebuilds the same objects and judges.

Runs in the untrusted worker: imports only the standard library, torch and numpy
(scikit-learn lazily, for the one probe that needs a scaler object). Returns
only codec values. The model-spec helpers (`build_model`, `describe_model`,
`build_criterion`, `build_optimizer`, `make_loader`) are also used by the
parent, so both sides build exactly the same objects.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

__all__ = [
    "PROBES",
    "build_criterion",
    "build_model",
    "build_optimizer",
    "describe_model",
    "error_text",
    "grads_of",
    "make_loader",
    "observe",
    "state_of",
    "student_function",
    "type_name",
]

ModelSpec = Mapping[str, Any]

_MAX_DEPTH = 16
_NUMPY_SCALARS = frozenset(
    np.dtype(name).type
    for name in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8")
) | {np.bool_}

_CRITERIA: dict[str, Callable[[], nn.Module]] = {
    "mse": nn.MSELoss,
    "l1": nn.L1Loss,
    "bce": nn.BCELoss,
    "cross_entropy": nn.CrossEntropyLoss,
}


# ---------------------------------------------------------------- helpers


def student_function(module: Any, name: str) -> Callable[..., Any]:
    """The student's function `name`, looked up in the module's namespace only."""
    try:
        function = module.__dict__[name]
    except KeyError:
        raise LookupError(f"function `{name}` not found") from None
    if not callable(function):
        raise LookupError(f"`{name}` is not a function (it is a {type_name(function)})")
    return function


def type_name(value: object) -> str:
    """The type of `value` as a student writes it: `float`, `torch.Tensor`, `sklearn.MinMaxScaler`.

    Builtins go bare, other classes as top-level package and qualname, like
    `grader.compare.describe_type` in the parent.
    """
    cls = type(value)
    module = str(cls.__module__)
    if module == "builtins":
        return cls.__qualname__
    return f"{module.split('.')[0]}.{cls.__qualname__}"


def observe(value: Any, _depth: int = 0) -> Any:
    """`value` made of codec types only, for the parent to judge.

    Exact builtins, tensors, arrays, numpy scalars, lists, tuples and str-keyed
    dicts pass through (subclasses of bool/int/float/str become the base type);
    anything else becomes the string `"<unsupported TYPE>"`, so one odd leaf
    costs that value, not the whole probe. Probes report the type of each
    value the parent judges alongside it.
    """
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, torch.Tensor | np.ndarray) or type(value) in _NUMPY_SCALARS:
        return value
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return base(value)
    if _depth < _MAX_DEPTH:
        if isinstance(value, tuple):
            return tuple(observe(item, _depth + 1) for item in value)
        if isinstance(value, list):
            return [observe(item, _depth + 1) for item in value]
        if isinstance(value, dict) and all(type(key) is str for key in value):
            return {key: observe(item, _depth + 1) for key, item in value.items()}
    return f"<unsupported {type_name(value)}>"


def _layer(entry: list[Any] | tuple[Any, ...]) -> nn.Module:
    kind, *args = entry
    if kind == "linear":
        bias = bool(args[2]) if len(args) > 2 else True
        return nn.Linear(int(args[0]), int(args[1]), bias=bias)
    if kind == "dropout":
        return nn.Dropout(float(args[0]) if args else 0.5)
    if kind == "leaky_relu":
        return nn.LeakyReLU(float(args[0]) if args else 0.01)
    if kind == "softmax":
        return nn.Softmax(dim=int(args[0]) if args else -1)
    simple: dict[str, Callable[[], nn.Module]] = {
        "relu": nn.ReLU,
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "elu": nn.ELU,
    }
    if kind in simple and not args:
        return simple[kind]()
    raise ValueError(f"unknown layer spec {entry!r}")


def build_model(spec: ModelSpec) -> nn.Sequential:
    """An `nn.Sequential` from `{"layers": [["linear", 4, 2], ["relu"], ...], "state": {...}}`.

    Layer kinds: linear (in, out[, bias]), relu, sigmoid, tanh, elu,
    leaky_relu [slope], dropout [p], softmax [dim]. Without a "state" the layers
    keep torch's seeded initialisation.
    """
    model = nn.Sequential(*(_layer(entry) for entry in spec["layers"]))
    state = spec.get("state")
    if state is not None:
        model.load_state_dict(dict(state), strict=True)
    return model


def build_criterion(name: str) -> nn.Module:
    """A loss module from a fixed table: mse, l1, bce, cross_entropy."""
    try:
        return _CRITERIA[name]()
    except KeyError:
        raise ValueError(f"unknown criterion {name!r}") from None


def build_optimizer(
    spec: Mapping[str, Any], params: Iterable[nn.Parameter]
) -> torch.optim.Optimizer:
    """An optimizer from `{"kind": "sgd", "lr": 0.1, "momentum": 0.0}` or `{"kind": "adam"}`."""
    kind = spec["kind"]
    if kind == "sgd":
        return torch.optim.SGD(
            params, lr=float(spec["lr"]), momentum=float(spec.get("momentum", 0.0))
        )
    if kind == "adam":
        return torch.optim.Adam(params, lr=float(spec.get("lr", 1e-3)))
    raise ValueError(f"unknown optimizer kind {kind!r}")


def make_loader(features: torch.Tensor, target: torch.Tensor, batch_size: int) -> DataLoader:
    """An unshuffled loader over `(features, target)`: the parent can replay it batch by batch."""
    return DataLoader(TensorDataset(features, target), batch_size=int(batch_size), shuffle=False)


def state_of(model: nn.Module) -> dict[str, torch.Tensor]:
    """A detached copy of `model.state_dict()`."""
    return {name: value.detach().clone() for name, value in model.state_dict().items()}


def grads_of(model: nn.Module) -> dict[str, torch.Tensor | None]:
    """Each parameter's `.grad` (a copy), or None where it has none."""
    return {
        name: None if param.grad is None else param.grad.detach().clone()
        for name, param in model.named_parameters()
    }


def _layer_entry(layer: nn.Module) -> list[Any]:
    if isinstance(layer, nn.Linear):
        return ["linear", layer.in_features, layer.out_features, layer.bias is not None]
    if isinstance(layer, nn.Dropout):
        return ["dropout", float(layer.p)]
    if isinstance(layer, nn.LeakyReLU):
        return ["leaky_relu", float(layer.negative_slope)]
    named = {nn.ReLU: "relu", nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.ELU: "elu"}
    for cls, kind in named.items():
        if type(layer) is cls:
            return [kind]
    return ["other", type_name(layer)]


def describe_model(model: object) -> dict[str, Any]:
    """What the parent needs to judge a model the student built.

    `layers`: one entry per direct child, in build_model's spec form (unknown
    layers as `["other", type]`); `linear`: every `nn.Linear` anywhere inside as
    `[in, out, has_bias]`; `n_params`; `state`.
    """
    if not isinstance(model, nn.Module):
        return {"type": type_name(model), "is_module": False}
    return {
        "type": type_name(model),
        "is_module": True,
        "layers": [_layer_entry(child) for child in model.children()],
        "linear": [
            [m.in_features, m.out_features, m.bias is not None]
            for m in model.modules()
            if isinstance(m, nn.Linear)
        ],
        "n_params": sum(p.numel() for p in model.parameters()),
        "state": state_of(model),
    }


def _scalar_view(value: Any) -> dict[str, Any]:
    return {"value": observe(value), "type": type_name(value)}


# ---------------------------------------------------------------- ex05 / ex07: training


def probe_train_step(
    module: Any,
    model: ModelSpec,
    optimizer: Mapping[str, Any],
    criterion: str,
    x: torch.Tensor,
    target: torch.Tensor,
    steps: int = 1,
) -> dict[str, Any]:
    """Call `train_step` `steps` times on one model and optimizer.

    Reports each returned loss (and its type), the model's state after each
    call, and the gradients left after the last call.
    """
    train_step = student_function(module, "train_step")
    net = build_model(model)
    opt = build_optimizer(optimizer, net.parameters())
    loss_fn = build_criterion(criterion)
    losses, states = [], []
    for _ in range(int(steps)):
        losses.append(_scalar_view(train_step(net, opt, loss_fn, x, target)))
        states.append(state_of(net))
    return {"losses": losses, "states": states, "grads": grads_of(net)}


def probe_train(
    module: Any,
    model: ModelSpec,
    optimizer: Mapping[str, Any],
    criterion: str,
    features: torch.Tensor,
    target: torch.Tensor,
    batch_size: int,
    num_epochs: int,
) -> dict[str, Any]:
    """Call `train` on an unshuffled loader; report the returned losses and the final state."""
    train = student_function(module, "train")
    net = build_model(model)
    opt = build_optimizer(optimizer, net.parameters())
    value = train(
        net,
        make_loader(features, target, batch_size),
        build_criterion(criterion),
        opt,
        int(num_epochs),
    )
    items = value if isinstance(value, list | tuple) else []
    return {
        "losses": observe(value),
        "type": type_name(value),
        "item_types": [type_name(item) for item in items],
        "state": state_of(net),
    }


def probe_evaluate(
    module: Any,
    model: ModelSpec,
    criterion: str,
    features: torch.Tensor,
    target: torch.Tensor,
    batch_size: int,
) -> dict[str, Any]:
    """Call `evaluate` on a model left in train mode, recording every forward call.

    A pre-hook on every submodule counts the calls, those made in train mode
    and those made with gradient tracking on, however the student runs the
    model (`model(x)`, `model.forward(x)` or layer by layer).
    """
    evaluate = student_function(module, "evaluate")
    net = build_model(model)
    net.train()
    calls = {"forward_calls": 0, "train_mode_calls": 0, "grad_enabled_calls": 0}

    def record(layer: nn.Module, _args: tuple[Any, ...]) -> None:
        calls["forward_calls"] += 1
        calls["train_mode_calls"] += int(layer.training)
        calls["grad_enabled_calls"] += int(torch.is_grad_enabled())

    handles = [layer.register_forward_pre_hook(record) for layer in net.modules()]
    value = evaluate(net, make_loader(features, target, batch_size), build_criterion(criterion))
    for handle in handles:
        handle.remove()
    return {
        **_scalar_view(value),
        **calls,
        "training_after": bool(net.training),
        "state": state_of(net),
        "grads_set": any(p.grad is not None for p in net.parameters()),
    }


# ---------------------------------------------------------------- ex06: data


def probe_make_dataset(module: Any, features: np.ndarray, target: np.ndarray) -> dict[str, Any]:
    """Call `make_dataset`; report its type, length and every item."""
    dataset = student_function(module, "make_dataset")(features, target)
    length = len(dataset)
    limit = min(int(length), len(features) + 1)
    items = [dataset[i] for i in range(limit)]
    return {
        "type": type_name(dataset),
        "is_tensor_dataset": isinstance(dataset, TensorDataset),
        "len": observe(length),
        "items": [observe(item) for item in items],
        "item_types": [
            [type_name(part) for part in item]
            if isinstance(item, tuple | list)
            else [type_name(item)]
            for item in items
        ],
    }


def probe_make_dataloader(
    module: Any,
    features: torch.Tensor,
    target: torch.Tensor,
    seeds: list[int] | tuple[int, ...] = (1, 2),
    **options: Any,
) -> dict[str, Any]:
    """Call `make_dataloader(dataset, **options)` and iterate it once per seed.

    `options` are passed through as given, so leaving one out tests the
    default. Each pass runs after `torch.manual_seed(seed)` and stops after
    `len(dataset) + 1` batches; the parent tells shuffling from the order of
    the samples (it sends a feature column that numbers them).
    """
    dataset = TensorDataset(features, target)
    loader = student_function(module, "make_dataloader")(dataset, **options)
    passes = []
    for seed in seeds:
        torch.manual_seed(int(seed))
        batches = []
        for batch in loader:
            batches.append(observe(batch))
            if len(batches) > len(dataset):
                break
        passes.append(batches)
    return {
        "type": type_name(loader),
        "is_dataloader": isinstance(loader, DataLoader),
        "batch_size": observe(getattr(loader, "batch_size", None)),
        "same_dataset": getattr(loader, "dataset", None) is dataset,
        "drop_last": observe(getattr(loader, "drop_last", None)),
        "sampler": type_name(getattr(loader, "sampler", None)),
        "passes": passes,
    }


_SCALER_FIELDS = ("data_min_", "data_max_", "scale_", "min_", "feature_range")


def probe_load_salary_data(
    module: Any, csv_text: str, filename: str = "salaries.csv"
) -> dict[str, Any]:
    """Write `csv_text` under the worker's current (scratch) folder and call `load_salary_data`.

    The file goes into a fresh subfolder, removed afterwards. Reports the
    returned arrays (with their types) and the scaler's fitted attributes,
    never the scaler object itself.
    """
    if Path(filename).name != filename or filename in ("", ".", ".."):
        raise ValueError(f"filename must be a plain file name, got {filename!r}")
    with tempfile.TemporaryDirectory(dir=Path.cwd(), prefix="probe-") as folder:
        path = Path(folder) / filename
        path.write_text(csv_text, encoding="utf-8", newline="")
        value = student_function(module, "load_salary_data")(str(path))
    parts = list(value) if isinstance(value, tuple | list) else []
    report: dict[str, Any] = {"type": type_name(value), "length": len(parts)}
    if len(parts) == 3:
        features, target, scaler = parts
        report["features"] = observe(features)
        report["features_type"] = type_name(features)
        report["target"] = observe(target)
        report["target_type"] = type_name(target)
        report["scaler_type"] = type_name(scaler)
        report["scaler"] = {
            field: observe(getattr(scaler, field, None)) for field in _SCALER_FIELDS
        }
    return report


def probe_to_usd(module: Any, pred_scaled: Any, data_min: float, data_max: float) -> dict[str, Any]:
    """Call `to_usd` with a MinMaxScaler fitted on `[[data_min], [data_max]]`."""
    # imported here: only this probe needs scikit-learn
    from sklearn.preprocessing import MinMaxScaler

    scaler = MinMaxScaler().fit(np.array([[data_min], [data_max]], dtype=np.float64))
    return _scalar_view(student_function(module, "to_usd")(pred_scaled, scaler))


# ---------------------------------------------------------------- ex07 / ex09: models


def probe_describe_model(module: Any, function: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Call a model builder (`build_salary_model`, ...) and describe what it returned."""
    return describe_model(student_function(module, function)(*args, **kwargs))


def probe_calculate_capacity(module: Any, model: ModelSpec) -> dict[str, Any]:
    """Call `calculate_capacity` on the model built from `model`."""
    return _scalar_view(student_function(module, "calculate_capacity")(build_model(model)))


def probe_build_four_layer_net(
    module: Any, n_features: int, n_classes: int, batch: int = 3
) -> dict[str, Any]:
    """Call `build_four_layer_net`; describe the model and run it on `(batch, n_features)`.

    A forward pass that raises is reported as `output_error` ("Type: message"),
    so the parent can name a structural mistake first.
    """
    model = student_function(module, "build_four_layer_net")(n_features, n_classes)
    report = describe_model(model)
    report.update(output=None, output_type=None, output_error=None)
    if report["is_module"]:
        x = torch.randn(int(batch), int(n_features), generator=torch.Generator().manual_seed(0))
        model.eval()
        try:
            with torch.no_grad():
                output = model(x)
        except Exception as error:
            report["output_error"] = error_text(error)
        else:
            report["output"] = observe(output)
            report["output_type"] = type_name(output)
    return report


def error_text(error: BaseException) -> str:
    """`Type: message`, shielded from a hostile `__str__`."""
    try:
        text = str(error)
    except Exception:
        text = "<message could not be shown>"
    return f"{type_name(error)}: {text[:300]}"


PROBES: dict[str, Callable[..., Any]] = {
    "train_step": probe_train_step,
    "train": probe_train,
    "evaluate": probe_evaluate,
    "make_dataset": probe_make_dataset,
    "make_dataloader": probe_make_dataloader,
    "load_salary_data": probe_load_salary_data,
    "to_usd": probe_to_usd,
    "describe_model": probe_describe_model,
    "calculate_capacity": probe_calculate_capacity,
    "build_four_layer_net": probe_build_four_layer_net,
}
"""The probes of ex05–ex09 by name; merged into `grader.sandbox.confined.probes.REGISTRY`."""
