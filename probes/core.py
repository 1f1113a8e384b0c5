"""Probes for ex01–ex04: observe what plain calls cannot.

Runs in the untrusted worker and imports only the standard library, torch and
the sibling probe helpers. Each probe calls one student function and reports
raw observations (the value returned, the arguments afterwards, a model's
layers and state, how often a net was run); the parent judges them. Models
arrive and leave as specs (``{"layers": [["linear", 5, 4]], "state": {...}}``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from grader.sandbox.confined.probe_runtime import (
    build_criterion,
    build_model,
    describe_model,
    error_text,
    observe,
    state_of,
    student_function,
    type_name,
)

__all__ = ["PROBES"]


def _snapshot(value: Any) -> Any:
    """``value`` as codec types, with tensors copied now (later changes cannot reach them)."""
    value = observe(value)
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, list | tuple):
        items = [_snapshot(item) for item in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {key: _snapshot(item) for key, item in value.items()}
    return value


def probe_call(
    module: Any,
    function: str,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Call ``function(*args, **kwargs)``; report the result and the arguments afterwards.

    The result is returned as is (the codec refuses what it cannot carry, as
    for a plain call); the arguments are copied after the call, so the parent
    can tell whether the function changed its inputs in place.
    """
    fn = student_function(module, function)
    args = list(args)
    result = fn(*args, **dict(kwargs or {}))
    return {"result": result, "args": [_snapshot(arg) for arg in args]}


def probe_build_net(
    module: Any,
    function: str,
    kwargs: Mapping[str, Any] | None = None,
    x: torch.Tensor | None = None,
) -> dict[str, Any]:
    """Call a ``build_*_net(**kwargs)``; describe the model and run it on ``x``.

    Reports ``describe_model``'s fields (type, layers, linear, n_params, state),
    plus ``out`` (the model's output on ``x``, without gradients) or
    ``out_error`` when running it raised.
    """
    net = student_function(module, function)(**dict(kwargs or {}))
    report = describe_model(net)
    report["out"] = None
    report["out_error"] = None
    if report["is_module"] and x is not None:
        try:
            with torch.no_grad():
                report["out"] = _snapshot(net(x))
        except Exception as error:
            report["out_error"] = error_text(error)
    return report


def _count_forwards(net: torch.nn.Module) -> dict[str, int]:
    """Make every ``forward`` of ``net`` and its layers count its calls.

    The counter replaces ``forward`` on each instance, so ``net(x)``,
    ``layer(x)`` and ``layer.forward(x)`` are all seen.
    """
    counter = {"calls": 0}

    def counting(original: Callable[..., Any]) -> Callable[..., Any]:
        def forward(*args: Any, **kwargs: Any) -> Any:
            counter["calls"] += 1
            return original(*args, **kwargs)

        return forward

    for layer in net.modules():
        object.__setattr__(layer, "forward", counting(layer.forward))
    return counter


def probe_forward_manual(module: Any, model: Mapping[str, Any], x: torch.Tensor) -> dict[str, Any]:
    """Call ``forward_manual(net, x)`` on a net built from ``model``.

    Reports the result, how many times the net or one of its layers ran its
    ``forward``, and whether the parameters were left as they were.
    """
    net = build_model(model)
    before = state_of(net)
    counter = _count_forwards(net)
    result = student_function(module, "forward_manual")(net, x)
    after = state_of(net)
    return {
        "result": result,
        "forward_calls": counter["calls"],
        "state_unchanged": all(torch.equal(before[k], after[k]) for k in before),
        "x_after": x.detach().clone(),
    }


def probe_gradients_of(
    module: Any,
    model: Mapping[str, Any],
    criterion: str,
    x: torch.Tensor,
    target: torch.Tensor,
    calls: int = 2,
) -> dict[str, Any]:
    """Call ``gradients_of(net, loss, x, target)`` ``calls`` times on the same net.

    Reports each result (copied when it was returned), the type of each, and
    the net's state after the last call.
    """
    gradients_of = student_function(module, "gradients_of")
    net = build_model(model)
    loss = build_criterion(criterion)
    results, types = [], []
    for _ in range(int(calls)):
        value = gradients_of(net, loss, x, target)
        types.append(type_name(value))
        results.append(_snapshot(value))
    return {"results": results, "types": types, "state": state_of(net)}


PROBES: dict[str, Callable[..., Any]] = {
    "core_call": probe_call,
    "core_build_net": probe_build_net,
    "core_forward_manual": probe_forward_manual,
    "core_gradients_of": probe_gradients_of,
}
"""Probe name -> probe; merged into ``grader.sandbox.confined.probes.REGISTRY``."""
