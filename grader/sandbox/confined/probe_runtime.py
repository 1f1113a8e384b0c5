"""The probe runtime: what every assignment's probes build on, inside the worker.

A probe rebuilds the objects a check talks about (a model from its spec, an
optimizer, a criterion, a data loader over tensors the parent sent), hands them
to the student's function and reports what happened. It never decides pass or
fail; the parent rebuilds the same objects (with these same helpers) and judges.

Runs in the untrusted worker: imports only the standard library, torch and
numpy, and returns only codec values. Models travel as specs
(``{"layers": [["linear", 5, 4]], "state": {...}}``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

__all__ = [
    "build_criterion",
    "build_model",
    "build_optimizer",
    "describe_model",
    "error_text",
    "grads_of",
    "make_loader",
    "observe",
    "scalar_view",
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
    keep torch's seeded initialisation. "frozen" names parameters (as in
    `named_parameters()`, e.g. "0.weight") that do not require grad, as in a
    partly frozen model.
    """
    model = nn.Sequential(*(_layer(entry) for entry in spec["layers"]))
    state = spec.get("state")
    if state is not None:
        model.load_state_dict(dict(state), strict=True)
    frozen = [str(name) for name in spec.get("frozen", ())]
    if frozen:
        parameters = dict(model.named_parameters())
        unknown = sorted(set(frozen) - set(parameters))
        if unknown:
            raise ValueError(f"frozen names unknown parameters {unknown}")
        for name in frozen:
            parameters[name].requires_grad_(False)
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


def error_text(error: BaseException) -> str:
    """`Type: message`, shielded from a hostile `__str__`."""
    try:
        text = str(error)
    except Exception:
        text = "<message could not be shown>"
    return f"{type_name(error)}: {text[:300]}"



def scalar_view(value: Any) -> dict[str, Any]:
    """A scalar as the value observed and its type's name."""
    return {"value": observe(value), "type": type_name(value)}
