"""The probe registry: every instructor probe the worker may run, by name.

A probe is ``probe(module, *args, **kwargs)``: ``module`` is the imported
student module, the arguments arrive decoded by the codec, and the return value
must be made of codec types only. Probes observe; the parent judges.

Probes belong to the assignment, not the engine: ``probes = [...]`` in its
``assignment.toml`` names files that each define ``PROBES = {name: function}``.
The host loads them by path before it confines itself and forks workers (so
the folder they live in need not be readable inside the sandbox). Two probes
with one name would make one of them unreachable, so a clash fails loudly.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from typing import Any

from grader.errors import GraderError

__all__ = ["Probe", "ProbeLoadError", "load", "registry"]

Probe = Callable[..., Any]

_REGISTRY: dict[str, Probe] = {}
_LOADED: list[tuple[str, ...]] = []


class ProbeLoadError(GraderError, RuntimeError):
    """An assignment's probe file is missing or wrong (the author's to fix)."""


def load(paths: Sequence[str]) -> dict[str, Probe]:
    """Load the probe files at ``paths`` (once per set of paths) and return the registry."""
    key = tuple(str(p) for p in paths)
    if [key] == _LOADED:
        return _REGISTRY
    merged: dict[str, tuple[str, Probe]] = {}
    for number, path in enumerate(key):
        spec = importlib.util.spec_from_file_location(f"_assignment_probes_{number}", path)
        if spec is None or spec.loader is None:
            raise ProbeLoadError(f"probe file {path} cannot be loaded (is it a .py file?)")
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except FileNotFoundError:
            raise ProbeLoadError(f"probe file {path} does not exist") from None
        sys.modules.pop(spec.name, None)  # never importable by name from student code
        table = getattr(module, "PROBES", None)
        if not isinstance(table, dict):
            raise ProbeLoadError(f"probe file {path} defines no PROBES = {{name: function}}")
        for name, probe in table.items():
            if name in merged:
                raise ProbeLoadError(
                    f"probe {name!r} is defined twice ({merged[name][0]} and {path})"
                )
            merged[name] = (path, probe)
    _REGISTRY.clear()
    _REGISTRY.update({name: probe for name, (_, probe) in merged.items()})
    _LOADED[:] = [key]
    return _REGISTRY


def registry() -> dict[str, Probe]:
    """The probes loaded last (empty before :func:`load`)."""
    return _REGISTRY
