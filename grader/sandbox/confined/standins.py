"""Stand-ins for what a course notebook expects to find in its kernel, in the worker.

A notebook written in Colab or Jupyter mounts Drive, plots, shows progress
bars, asks for input and moves tensors to the GPU in its scaffolding cells.
None of that is graded, and none of it may cost points (cells.py already
makes a failing cell cost only itself), but a cell that fails also skips the
rest of its lines, which may define a graded function. So the worker offers
harmless stand-ins, each saying what it did in a note the judge words per
code cell:

* ``google.colab`` (``drive.mount``, ``files.upload``, ``files.download`` and
  anything else in it) does nothing and says so;
* ``input()`` returns an empty string and says so;
* CUDA requests (``.cuda()``, ``.to("cuda")``, ``device="cuda"`` in the
  tensor factories) run on the CPU and say so; ``torch.cuda.is_available()``
  stays honest (False);
* a network call fails as the isolation level makes it fail (no network
  namespace, seccomp), with "grading runs offline" added to its message;
* matplotlib uses its non-interactive Agg backend (``plt.show()`` does
  nothing, ``savefig`` writes into the scratch folder), and tqdm bars,
  ``tqdm.notebook`` included, write nothing;
* IPython's own ``get_ipython()`` (``from IPython import get_ipython``), which
  returns None outside a kernel, gives the student's code the same stand-in
  shell as the plain ``get_ipython()`` of the notebook prelude
  (``grader.intake.notebook.PRELUDE``), so its magics do what a notebook's
  do; a library asking it still gets None, as outside a kernel.

These run with the student's code and are conveniences, not defences: a
student who undoes one only loses its note. Imports only the standard library
and torch (already loaded by the host).
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import importlib.abc
import importlib.machinery
import os
import sys
import types
import warnings
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["install", "note", "reset", "take"]

_MAX_NOTES = 20
_SHOWN = 60
_pending: list[str] = []
_said: set[str] = set()
_installed = False  # whether `install` has run to its end in this process

# The torch functions that take `device=`: a "cuda" there runs on the CPU.
_FACTORIES = (
    "arange", "as_tensor", "empty", "empty_like", "eye", "full", "full_like", "linspace",
    "logspace", "ones", "ones_like", "rand", "rand_like", "randint", "randint_like", "randn",
    "randn_like", "randperm", "tensor", "zeros", "zeros_like",
)  # fmt: skip
# What the notebook prelude (grader.intake.notebook.PRELUDE) names its stand-in shell.
_PRELUDE_SHELL = "_grader_ipython"
_CUDA_NOTE = (
    "CUDA was asked for (.cuda(), .to('cuda') or device='cuda'); the grader has no GPU, "
    "so it ran on the CPU"
)


def note(text: str) -> None:
    """Say `text` once in this import's notes (at most a few, so a loop cannot flood them)."""
    if text not in _said and len(_said) < _MAX_NOTES:
        _said.add(text)
        _pending.append(text)


def take() -> list[str]:
    """The notes said since the last call (the judge words them per cell, or per call)."""
    if not _pending:  # nearly always, after a graded call
        return []
    taken = list(_pending)
    _pending.clear()
    return taken


def reset() -> None:
    """Forget what was said: each exercise's import gets its own notes."""
    _pending.clear()
    _said.clear()


def install() -> None:
    """Put every stand-in in place, once per process; later calls do nothing.

    The host template installs them before it forks (`host.preload`), so each
    worker inherits them ready: installed in every worker, they cost ~2 ms and
    ~470 copied pages of each submission's CPU. The worker still calls this
    before any student code: where the template could not install them, the
    worker tries again and, failing, says why (`worker.start_failure`). (A
    retry after a failure part-way re-wraps what the first try wrapped: the
    same behaviour, one call deeper.)
    """
    global _installed
    if _installed:
        return
    os.environ["MPLBACKEND"] = "agg"
    warnings.filterwarnings("ignore", message=".*non-interactive.*cannot be shown")
    builtins.input = _input
    sys.meta_path.insert(0, _StandInFinder())
    sys.meta_path.append(_GoogleNamespace())  # only when no real `google` package exists
    # tqdm is a pinned dependency; an environment without it (a hand-made Gradescope
    # image, a venv not reinstalled since) still grades, with bars as tqdm draws them.
    with contextlib.suppress(ImportError):
        _silent_tqdm()
    _cuda_on_cpu()
    _offline_errors()
    if "IPython" in sys.modules:  # imported before us: patch it now, not on its import
        _prelude_shell(sys.modules["IPython"])
    _installed = True


def _silent_tqdm() -> None:
    """Every tqdm bar is made disabled: it iterates, and writes nothing.

    torch imports tqdm before any student code, so its ``TQDM_DISABLE``
    setting would come too late; its constructor is wrapped instead.
    """
    from tqdm import std

    original = std.tqdm.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) <= 10:  # `disable` is the eleventh parameter
            kwargs["disable"] = True
        original(self, *args, **kwargs)

    functools.update_wrapper(__init__, original)
    std.tqdm.__init__ = __init__


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _input(prompt: object = "") -> str:
    shown = f"input({_shown(prompt)})" if prompt != "" else "input()"
    note(f"{shown} returned an empty string: no one can type while grading")
    return ""


# ---------------------------------------------------------------- google.colab


def _colab_module(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    short = name.removeprefix("google.colab").lstrip(".")

    def missing(attribute: str) -> Any:
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        if not short:  # google.colab.<x> is a module (drive, files, output, auth, ...)
            import importlib

            return importlib.import_module(f"{name}.{attribute}")
        return _does_nothing(f"google.colab's {short}.{attribute}()")

    module.__getattr__ = missing  # type: ignore[method-assign]
    if name == "google.colab":
        module.__path__ = []
    elif short == "drive":
        module.mount = _mount  # type: ignore[attr-defined]
        module.flush_and_unmount = _does_nothing("google.colab's drive.flush_and_unmount()")  # type: ignore[attr-defined]
    elif short == "files":
        module.upload = _upload  # type: ignore[attr-defined]
        module.download = _download  # type: ignore[attr-defined]
    return module


def _does_nothing(what: str) -> Callable[..., None]:
    def stand_in(*args: object, **kwargs: object) -> None:
        note(f"{what} did nothing: grading does not run in Colab")

    return stand_in


def _mount(mountpoint: object = "/content/drive", *args: object, **kwargs: object) -> None:
    note(
        f"google.colab's drive.mount({_shown(mountpoint)}) did nothing: grading runs without "
        "Google Drive, so no file under it is there"
    )


def _upload(*args: object, **kwargs: object) -> dict[str, bytes]:
    note("google.colab's files.upload() did nothing: no one can upload a file while grading")
    return {}


def _download(filename: object = "", *args: object, **kwargs: object) -> None:
    note(f"google.colab's files.download({_shown(filename)}) did nothing while grading")


class _Loader(importlib.abc.Loader):
    def __init__(self, make: Callable[[str], types.ModuleType]) -> None:
        self.make = make

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return self.make(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def _tqdm_notebook(name: str) -> types.ModuleType:
    """`tqdm.notebook` needs ipywidgets and a kernel; here it is tqdm's plain (silent) bar."""
    from tqdm import std

    module = types.ModuleType(name)
    module.tqdm = module.tqdm_notebook = std.tqdm  # type: ignore[attr-defined]
    module.trange = module.tnrange = std.trange  # type: ignore[attr-defined]
    return module


class _ThenPatch(importlib.abc.Loader):
    """The real module's loader, then `patch(module)` once it has run."""

    def __init__(self, loader: importlib.abc.Loader, patch: Callable[[types.ModuleType], None]):
        self.loader = loader
        self.patch = patch

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self.loader.exec_module(module)
        with contextlib.suppress(Exception):  # a stand-in that cannot go in: the real one
            self.patch(module)

    def __getattr__(self, name: str) -> Any:  # get_source, get_resource_reader, ...
        return getattr(self.loader, name)


def _prelude_shell(ipython: types.ModuleType) -> None:
    """IPython's `get_ipython()`: the real shell if any, else the caller's prelude shell.

    Only a caller whose module defines the prelude's shell (a converted
    notebook, an adapted script) gets it; libraries that ask IPython whether
    a kernel runs (tqdm.auto, matplotlib) still hear None.
    """
    from IPython.core import getipython

    real = getipython.get_ipython

    def get_ipython() -> Any:
        shell = real()
        if shell is None:
            shell = sys._getframe(1).f_globals.get(_PRELUDE_SHELL)
        return shell

    functools.update_wrapper(get_ipython, real)
    getipython.get_ipython = get_ipython
    ipython.get_ipython = get_ipython  # type: ignore[attr-defined]


class _StandInFinder(importlib.abc.MetaPathFinder):
    """Finds `google.colab` (and its modules) and `tqdm.notebook` before the real ones.

    And IPython, the real one, whose `get_ipython` it patches once imported.
    """

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == "google.colab" or fullname.startswith("google.colab."):
            return importlib.machinery.ModuleSpec(
                fullname, _Loader(_colab_module), is_package=fullname == "google.colab"
            )
        if fullname == "tqdm.notebook":
            return importlib.machinery.ModuleSpec(fullname, _Loader(_tqdm_notebook))
        if fullname == "IPython":
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
            if spec is not None and spec.loader is not None:
                spec.loader = _ThenPatch(spec.loader, _prelude_shell)
            return spec
        return None


class _GoogleNamespace(importlib.abc.MetaPathFinder):
    """An empty `google` package, when no installed one (protobuf's) came first."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "google":
            return None
        return importlib.machinery.ModuleSpec(fullname, _Loader(_package), is_package=True)


def _package(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__path__ = []
    return module


# ---------------------------------------------------------------- CUDA on the CPU


def _is_cuda(device: object) -> bool:
    if device is None:  # the common case, on every factory call: no import, no isinstance
        return False
    import torch

    if isinstance(device, str):
        return device.split(":")[0].strip().lower() == "cuda"
    if isinstance(device, torch.device):
        return device.type == "cuda"
    return False


def _on_cpu(args: tuple[Any, ...], kwargs: dict[str, Any], *, index: bool) -> tuple[Any, ...]:
    """`args` and `kwargs` with a CUDA device (first argument or `device=`) made "cpu"."""
    first = args[0] if args else None
    # `.to(0)` means the first GPU; a bool is not a device
    if args and (_is_cuda(first) or (index and type(first) is int)):
        args = ("cpu", *args[1:])
        note(_CUDA_NOTE)
    if _is_cuda(kwargs.get("device")):
        kwargs["device"] = "cpu"
        note(_CUDA_NOTE)
    return args


def _cuda_on_cpu() -> None:
    import torch

    tensor_to = torch.Tensor.to
    module_to = torch.nn.Module.to

    def to_tensor(self: Any, *args: Any, **kwargs: Any) -> Any:
        return tensor_to(self, *_on_cpu(args, kwargs, index=True), **kwargs)

    def to_module(self: Any, *args: Any, **kwargs: Any) -> Any:
        return module_to(self, *_on_cpu(args, kwargs, index=True), **kwargs)

    def cuda(self: Any, *args: Any, **kwargs: Any) -> Any:
        note(_CUDA_NOTE)
        return self

    functools.update_wrapper(to_tensor, tensor_to)
    functools.update_wrapper(to_module, module_to)
    torch.Tensor.to = to_tensor  # type: ignore[method-assign]
    torch.Tensor.cuda = cuda  # type: ignore[method-assign]
    torch.nn.Module.to = to_module  # type: ignore[method-assign]
    torch.nn.Module.cuda = cuda  # type: ignore[method-assign]
    for name in _FACTORIES:
        original = getattr(torch, name)
        setattr(torch, name, _factory(original))
    _seeds_without_stacks()


def _seeds_without_stacks() -> None:
    """`torch.manual_seed` without a stack trace per call for devices this worker lacks.

    For each accelerator not yet initialised (here: never, there is none),
    torch queues the seed with `traceback.format_stack()`, so that a late
    initialisation can say where it was seeded: ~0.4 ms of every
    `torch.manual_seed` a student's model builder calls, dozens of times per
    submission. The seeds are still queued, with an empty stack, so the
    behaviour is torch's own.
    """
    import torch

    devices: tuple[Any, ...] = (torch.cuda, torch.xpu, torch.mtia)
    for device in devices:
        lazy = getattr(device, "_lazy_call", None)
        tracker = getattr(device, "_lazy_seed_tracker", None)
        if lazy is None or tracker is None or device.is_initialized():
            continue
        queue = _queue_without_stack(device, lazy, tracker)
        device._lazy_call = queue  # the seeding functions beside it (mtia)
        random: Any = getattr(device, "random", None)
        if hasattr(random, "_lazy_call"):
            random._lazy_call = queue  # and those in its `random` module (cuda, xpu)


def _queue_without_stack(
    device: types.ModuleType, lazy: Callable[..., None], tracker: Any
) -> Callable[..., None]:
    def queue(callable: Callable[[], None], **kwargs: Any) -> None:
        if device.is_initialized():
            lazy(callable, **kwargs)
        elif kwargs.get("seed_all", False):
            tracker.queue_seed_all(callable, [])
        elif kwargs.get("seed", False):
            tracker.queue_seed(callable, [])
        else:
            lazy(callable, **kwargs)

    return queue


def _factory(original: Callable[..., Any]) -> Callable[..., Any]:
    def factory(*args: Any, **kwargs: Any) -> Any:
        if kwargs and _is_cuda(kwargs.get("device")):
            kwargs["device"] = "cpu"
            note(_CUDA_NOTE)
        return original(*args, **kwargs)

    return functools.update_wrapper(factory, original)


# ---------------------------------------------------------------- the network


_OFFLINE = "grading runs offline: there is no network"


def _offline(exc: OSError) -> OSError:
    """The same error, its message saying why (the judge shows the message)."""
    if _OFFLINE in str(exc):
        return exc
    if exc.errno is not None and exc.strerror:
        return type(exc)(exc.errno, f"{exc.strerror} ({_OFFLINE})")
    return type(exc)(f"{exc} ({_OFFLINE})")


def _offline_errors() -> None:
    """Network failures say that grading runs offline; what fails is up to the sandbox.

    Only the errors are reworded: where the level leaves the network open
    (L1), a connection still connects.
    """
    import socket

    internet = (socket.AF_INET, socket.AF_INET6)
    getaddrinfo = socket.getaddrinfo
    init = socket.socket.__init__
    connect = socket.socket.connect

    def resolve(*args: Any, **kwargs: Any) -> Any:
        try:
            return getaddrinfo(*args, **kwargs)
        except OSError as exc:
            raise _offline(exc) from None

    def make(self: Any, family: Any = -1, *args: Any, **kwargs: Any) -> None:
        try:
            init(self, family, *args, **kwargs)
        except OSError as exc:
            if family in internet or family == -1:
                raise _offline(exc) from None
            raise

    def reach(self: Any, address: Any) -> None:
        try:
            connect(self, address)
        except OSError as exc:
            if self.family in internet and not isinstance(exc, TimeoutError | BlockingIOError):
                raise _offline(exc) from None
            raise

    socket.getaddrinfo = resolve
    socket.socket.__init__ = make  # type: ignore[method-assign]
    socket.socket.connect = reach  # type: ignore[method-assign]
