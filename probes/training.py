"""Probes for ex05–ex09: observe the student's training code inside the worker.

Course probes, loaded by path into the sandbox host (``probes`` in
``assignment.toml``). Each rebuilds the objects a check names, calls the
student's function and reports raw observations; the parent judges. Runs in the
untrusted worker: the standard library, torch, numpy and the probe runtime
(scikit-learn lazily, for the one probe that needs a scaler object).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from grader.sandbox.confined.probe_runtime import (
    ModelSpec,
    build_criterion,
    build_model,
    build_optimizer,
    describe_model,
    error_text,
    grads_of,
    make_loader,
    observe,
    scalar_view,
    state_of,
    student_function,
    type_name,
)

__all__ = ["PROBES"]

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
        losses.append(scalar_view(train_step(net, opt, loss_fn, x, target)))
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
        **scalar_view(value),
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
    return scalar_view(student_function(module, "to_usd")(pred_scaled, scaler))


# ---------------------------------------------------------------- ex07 / ex09: models


def probe_describe_model(module: Any, function: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Call a model builder (`build_salary_model`, ...) and describe what it returned."""
    return describe_model(student_function(module, function)(*args, **kwargs))


def probe_calculate_capacity(module: Any, model: ModelSpec) -> dict[str, Any]:
    """Call `calculate_capacity` on the model built from `model`."""
    return scalar_view(student_function(module, "calculate_capacity")(build_model(model)))


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
"""The probes of ex05–ex09 by name; merged into the worker's probe registry."""
