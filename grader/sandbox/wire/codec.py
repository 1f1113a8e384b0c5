"""The only way values cross between the judge and a worker.

A value becomes a JSON tree plus a list of raw byte buffers (tensor and array
data). Big tensors therefore cost a memory copy, not base64 (measured:
a 4 MB tensor as base64 JSON took ~120 ms per round trip). Tagged forms:

    {"__tensor__": "float32", "shape": [4, 3], "data": 0, "requires_grad": false}
    {"__ndarray__": "float64", "shape": [2], "data": 1}          (+ "scalar": true)
    {"__float__": "nan" | "inf" | "-inf"}
    {"__tuple__": [...]}          {"__size__": [4, 3]}          {"__dtype__": "int64"}
    {"__dict__": {...}}           a dict whose own keys collide with a tag

`data` is an index into the buffer list. Plain dicts (str keys), lists, None,
bool, int, finite float and str are themselves.

Why it is shaped this way (docs/threats.md rows 41-51):

* Encoding checks *exact* types (`type(x) is list`), so an object with a lying
  `__eq__`, a subclass of `float` or `str`, or anything pickle-able is refused
  with "unsupported return type `<qualname>`". The qualname is read from the
  type object through `type`'s own descriptor: no student `__str__`,
  `__repr__` or `__getattr__` ever runs.
* Tensor subclasses are read through `torch._C.TensorBase` descriptors with
  `__torch_function__` disabled, so the bytes are the storage's, not what the
  subclass claims. The parent rebuilds a plain tensor from those bytes.
* Decoding is a fixed table: tag -> function, dtype name -> dtype. Nothing
  the sender wrote is ever passed to `getattr`, `eval`, `importlib` or pickle.
* Caps on bytes, items and depth are checked while walking, before allocating.

This module runs on both sides: it imports only the standard library, numpy
and torch.
"""

from __future__ import annotations

import json
import math
import struct
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

__all__ = [
    "DEFAULT_CAPS",
    "DTYPES",
    "Caps",
    "CodecError",
    "Packed",
    "decode",
    "dumps",
    "encode",
    "loads",
    "pack",
    "qualname",
    "unpack",
]

_TB: Any = torch._C.TensorBase  # its descriptors are read raw; stubs do not type them

# dtype allowlist, shared by tensors and arrays (numpy has no bfloat16).
DTYPES: tuple[str, ...] = (
    "float16", "float32", "float64", "bfloat16",
    "int8", "int16", "int32", "int64", "uint8", "bool",
)  # fmt: skip
_TORCH_DTYPES: dict[str, torch.dtype] = {name: getattr(torch, name) for name in DTYPES}
_TORCH_NAMES: dict[torch.dtype, str] = {dt: name for name, dt in _TORCH_DTYPES.items()}
_NUMPY_DTYPES: dict[str, np.dtype] = {n: np.dtype(n) for n in DTYPES if n != "bfloat16"}
_NUMPY_SCALARS: frozenset[type] = frozenset(dt.type for dt in _NUMPY_DTYPES.values())
_FLOATS: dict[str, float] = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}

_TAGS = frozenset(
    {"__tensor__", "__ndarray__", "__float__", "__tuple__", "__dict__", "__size__", "__dtype__"}
)
_MAX_DIMS = 64
_MAX_INT_BITS = 4096  # keeps int <-> str conversion far below CPython's digit limit
_LEN = struct.Struct(">I")


@dataclass(frozen=True)
class Caps:
    """Bounds on one encoded value (docs/threats.md row 50)."""

    max_bytes: int = 64 << 20  # raw tensor/array bytes plus string characters
    max_items: int = 1_000_000  # JSON nodes: scalars, containers, dict entries
    max_depth: int = 100  # container nesting


DEFAULT_CAPS = Caps()


class CodecError(ValueError):
    """A value the codec will not carry; the message is fit to show a student."""


@dataclass(frozen=True)
class Packed:
    """An encoded value: a JSON-ready tree plus the buffers its tags index."""

    tree: Any
    buffers: list[memoryview] = field(default_factory=list)


def qualname(obj: object) -> str:
    """Name the type of `obj` without running any of its code."""
    try:
        name = type.__dict__["__qualname__"].__get__(type(obj))
    except Exception:  # pragma: no cover - a type always has a qualname
        return "?"
    if type(name) is not str:  # pragma: no cover
        return "?"
    name = "".join(ch for ch in name if ch.isprintable())
    return name if len(name) <= 80 else name[:77] + "..."


class _Walk:
    """Running totals for one encode or decode, so caps hold across the tree."""

    def __init__(self, caps: Caps, role: str) -> None:
        self.caps = caps
        self.role = role
        self.items = 0
        self.nbytes = 0

    def too_large(self) -> CodecError:
        return CodecError(
            f"{self.role} too large (limits: {_mib(self.caps.max_bytes)} of data, "
            f"{self.caps.max_items:,} items)"
        )

    def item(self) -> None:
        self.items += 1
        if self.items > self.caps.max_items:
            raise self.too_large()

    def add_bytes(self, n: int) -> None:
        self.nbytes += n
        if self.nbytes > self.caps.max_bytes:
            raise self.too_large()

    def deeper(self, depth: int) -> int:
        if depth >= self.caps.max_depth:
            raise CodecError(
                f"{self.role} nested too deeply (more than {self.caps.max_depth} levels)"
            )
        return depth + 1


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB"


# --------------------------------------------------------------------------- encode


def encode(value: Any, caps: Caps = DEFAULT_CAPS, *, role: str = "return value") -> Packed:
    """Encode `value`, or raise `CodecError`.

    `role` only words the messages ("return value too large", "argument too
    large"); what is accepted does not depend on it.
    """
    walk = _Walk(caps, role)
    buffers: list[memoryview] = []
    try:
        tree = _enc(value, 0, walk, buffers)
    except RecursionError:
        raise CodecError(f"{role} nested too deeply") from None
    return Packed(tree, buffers)


def _unsupported(walk: _Walk, obj: object) -> CodecError:
    kind = "return type" if walk.role == "return value" else f"{walk.role} type"
    return CodecError(f"unsupported {kind} `{qualname(obj)}`")


def _enc(x: Any, depth: int, walk: _Walk, buffers: list[memoryview]) -> Any:
    walk.item()
    t = type(x)
    if x is None or t is bool:
        return x
    if t is int:
        if x.bit_length() > _MAX_INT_BITS:
            raise walk.too_large()
        return x
    if t is float:
        if math.isfinite(x):
            return x
        return {"__float__": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}
    if t is str:
        walk.add_bytes(len(x))
        return x
    if t is list:
        d = walk.deeper(depth)
        return [_enc(e, d, walk, buffers) for e in list.copy(x)]
    if t is tuple:
        d = walk.deeper(depth)
        return {"__tuple__": [_enc(e, d, walk, buffers) for e in x]}
    if t is dict or t is OrderedDict:
        return _enc_dict(x, depth, walk, buffers)
    if t is torch.Size:
        walk.deeper(depth)
        return {"__size__": [int(n) for n in x]}
    if t is torch.dtype:
        name = _TORCH_NAMES.get(x)
        if name is None:
            raise CodecError(f"unsupported dtype `{x}` (allowed: {', '.join(DTYPES)})")
        return {"__dtype__": name}
    if issubclass(t, torch.Tensor):
        return _enc_tensor(x, walk, buffers)
    if t is np.ndarray:
        return _enc_array(x, walk, buffers, scalar=False)
    if any(t is s for s in _NUMPY_SCALARS):  # identity: no student __hash__/__eq__
        return _enc_array(np.asarray(x), walk, buffers, scalar=True)
    raise _unsupported(walk, x)


def _enc_dict(x: dict, depth: int, walk: _Walk, buffers: list[memoryview]) -> Any:
    d = walk.deeper(depth)
    out: dict[str, Any] = {}
    for key, val in list(dict.items(x)):
        if type(key) is not str:
            raise CodecError(f"unsupported dict key type `{qualname(key)}` (keys must be str)")
        walk.item()
        walk.add_bytes(len(key))
        out[key] = _enc(val, d, walk, buffers)
    if _TAGS.isdisjoint(out):
        return out
    return {"__dict__": out}


def _enc_tensor(x: torch.Tensor, walk: _Walk, buffers: list[memoryview]) -> Any:
    # Every attribute is read through TensorBase with torch functions disabled:
    # a subclass's Python overrides and __torch_function__ never run.
    with torch._C.DisableTorchFunction():
        layout = _TB.layout.__get__(x)
        if layout is not torch.strided:
            if _TB.is_sparse.__get__(x) or "sparse" in str(layout):
                raise CodecError("sparse tensors are not supported; return a dense tensor")
            raise CodecError(f"tensors with layout `{layout}` are not supported")
        if _TB.is_meta.__get__(x):
            raise CodecError("meta tensors have no data; return a real tensor")
        dtype = _TB.dtype.__get__(x)
        name = _TORCH_NAMES.get(dtype)
        if name is None:
            raise CodecError(f"unsupported tensor dtype `{dtype}` (allowed: {', '.join(DTYPES)})")
        requires_grad = bool(_TB.requires_grad.__get__(x))
        try:
            plain = _TB.as_subclass(x, torch.Tensor)
            shape = [int(n) for n in plain.shape]
            if len(shape) > _MAX_DIMS:
                raise CodecError(f"tensor has too many dimensions ({len(shape)})")
            walk.add_bytes(math.prod(shape) * plain.element_size())
            # A private copy, taken now: a thread the student left running cannot
            # change the bytes between this return and the send (docs/threats.md row 10).
            flat = plain.detach().cpu().resolve_conj().resolve_neg()
            flat = flat.clone(memory_format=torch.contiguous_format).reshape(-1)
            if type(flat) is not torch.Tensor or flat.numel() != math.prod(shape):
                raise CodecError(f"could not read the data of `{qualname(x)}`")
            raw = flat.view(torch.uint8).numpy()
        except CodecError:
            raise
        except Exception as exc:
            reason = f"could not read the data of `{qualname(x)}` ({qualname(exc)})"
            raise CodecError(reason) from None
    buffers.append(raw.data)  # a memoryview of the private copy
    return {
        "__tensor__": name,
        "shape": shape,
        "data": len(buffers) - 1,
        "requires_grad": requires_grad,
    }


def _enc_array(x: np.ndarray, walk: _Walk, buffers: list[memoryview], *, scalar: bool) -> Any:
    dt = x.dtype
    name = dt.name
    if name not in _NUMPY_DTYPES or dt.fields is not None:
        raise CodecError(f"unsupported array dtype `{name}` (allowed: {', '.join(_NUMPY_DTYPES)})")
    shape = [int(n) for n in x.shape]
    if len(shape) > _MAX_DIMS:
        raise CodecError(f"array has too many dimensions ({len(shape)})")
    walk.add_bytes(math.prod(shape) * dt.itemsize)
    arr = np.array(x, dtype=_NUMPY_DTYPES[name], order="C", copy=True)  # a snapshot, as above
    arr = arr.reshape(-1).view(np.uint8)
    buffers.append(arr.data)
    tree: dict[str, Any] = {"__ndarray__": name, "shape": shape, "data": len(buffers) - 1}
    if scalar:
        tree["scalar"] = True
    return tree


# --------------------------------------------------------------------------- decode


def decode(
    tree: Any, buffers: Sequence[memoryview | bytes | bytearray], caps: Caps = DEFAULT_CAPS
) -> Any:
    """Rebuild a value from `encode`'s output; raise `CodecError` if malformed."""
    walk = _Walk(caps, "value")
    try:
        return _dec(tree, 0, walk, buffers)
    except RecursionError:
        raise CodecError("value nested too deeply") from None


def _malformed(what: str) -> CodecError:
    return CodecError(f"malformed value from the worker: {what}")


def _dec(node: Any, depth: int, walk: _Walk, buffers: Sequence[Any]) -> Any:
    walk.item()
    t = type(node)
    if node is None or t is bool or t is int or t is str:
        return node
    if t is float:
        if not math.isfinite(node):
            raise _malformed("untagged non-finite float")
        return node
    if t is list:
        d = walk.deeper(depth)
        return [_dec(e, d, walk, buffers) for e in node]
    if t is not dict:
        raise _malformed(f"node of type {qualname(node)}")
    tags = _TAGS.intersection(node)
    if not tags:
        d = walk.deeper(depth)
        return {k: _dec(v, d, walk, buffers) for k, v in node.items()}
    if len(tags) != 1:
        raise _malformed("several tags in one node")
    return _DECODERS[next(iter(tags))](node, depth, walk, buffers)


def _expect_keys(node: dict, required: set[str], optional: frozenset[str] = frozenset()) -> None:
    keys = set(node)
    if not required <= keys or not keys <= required | optional:
        raise _malformed(f"bad keys {sorted(keys)[:8]}")


def _shape(node: dict) -> list[int]:
    shape = node.get("shape")
    if (
        type(shape) is not list
        or len(shape) > _MAX_DIMS
        or any(type(n) is not int or n < 0 for n in shape)
    ):
        raise _malformed("bad shape")
    return shape


def _buffer(node: dict, buffers: Sequence[Any], nbytes: int, walk: _Walk) -> memoryview:
    index = node.get("data")
    if type(index) is not int or not 0 <= index < len(buffers):
        raise _malformed("bad buffer index")
    walk.add_bytes(nbytes)
    buf = memoryview(buffers[index])
    if buf.nbytes != nbytes:
        raise _malformed(f"buffer holds {buf.nbytes} bytes, shape needs {nbytes}")
    if buf.readonly:  # torch.frombuffer wants a writable buffer; we copy anyway
        buf = memoryview(bytearray(buf))
    return buf


def _dec_tensor(node: dict, depth: int, walk: _Walk, buffers: Sequence[Any]) -> torch.Tensor:
    _expect_keys(node, {"__tensor__", "shape", "data", "requires_grad"})
    dtype = _TORCH_DTYPES.get(node["__tensor__"]) if type(node["__tensor__"]) is str else None
    requires_grad = node["requires_grad"]
    if dtype is None or type(requires_grad) is not bool:
        raise _malformed("bad tensor dtype or requires_grad")
    shape = _shape(node)
    numel = math.prod(shape)
    buf = _buffer(node, buffers, numel * dtype.itemsize, walk)
    if numel == 0:
        out = torch.empty(shape, dtype=dtype)
    else:
        out = torch.frombuffer(buf, dtype=dtype).reshape(shape).clone()
    if requires_grad:
        if not (dtype.is_floating_point):
            raise _malformed("requires_grad on a non-float tensor")
        out.requires_grad_(True)
    return out


def _dec_array(node: dict, depth: int, walk: _Walk, buffers: Sequence[Any]) -> Any:
    _expect_keys(node, {"__ndarray__", "shape", "data"}, frozenset({"scalar"}))
    name = node["__ndarray__"]
    dtype = _NUMPY_DTYPES.get(name) if type(name) is str else None
    if dtype is None:
        raise _malformed("bad array dtype")
    shape = _shape(node)
    buf = _buffer(node, buffers, math.prod(shape) * dtype.itemsize, walk)
    arr = np.frombuffer(buf, dtype=dtype).reshape(shape).copy()
    if "scalar" in node:
        if node["scalar"] is not True or shape:
            raise _malformed("bad scalar flag")
        return arr[()]
    return arr


def _dec_float(node: dict, depth: int, walk: _Walk, buffers: Sequence[Any]) -> float:
    _expect_keys(node, {"__float__"})
    value = node["__float__"]
    if type(value) is not str or value not in _FLOATS:
        raise _malformed("bad float tag")
    return _FLOATS[value]


def _dec_tuple(node: dict, depth: int, walk: _Walk, buffers: Sequence[Any]) -> tuple:
    _expect_keys(node, {"__tuple__"})
    items = node["__tuple__"]
    if type(items) is not list:
        raise _malformed("bad tuple")
    d = walk.deeper(depth)
    return tuple(_dec(e, d, walk, buffers) for e in items)


def _dec_dict(node: dict, depth: int, walk: _Walk, buffers: Sequence[Any]) -> dict:
    _expect_keys(node, {"__dict__"})
    inner = node["__dict__"]
    if type(inner) is not dict:
        raise _malformed("bad escaped dict")
    d = walk.deeper(depth)
    return {k: _dec(v, d, walk, buffers) for k, v in inner.items()}


def _dec_size(node: dict, depth: int, walk: _Walk, buffers: Sequence[Any]) -> torch.Size:
    _expect_keys(node, {"__size__"})
    dims = node["__size__"]
    if type(dims) is not list or len(dims) > _MAX_DIMS or any(type(n) is not int for n in dims):
        raise _malformed("bad size")
    return torch.Size(dims)


def _dec_dtype(node: dict, depth: int, walk: _Walk, buffers: Sequence[Any]) -> torch.dtype:
    _expect_keys(node, {"__dtype__"})
    name = node["__dtype__"]
    dtype = _TORCH_DTYPES.get(name) if type(name) is str else None
    if dtype is None:
        raise _malformed("bad dtype")
    return dtype


_DECODERS = {
    "__tensor__": _dec_tensor,
    "__ndarray__": _dec_array,
    "__float__": _dec_float,
    "__tuple__": _dec_tuple,
    "__dict__": _dec_dict,
    "__size__": _dec_size,
    "__dtype__": _dec_dtype,
}


# --------------------------------------------------------------------------- blobs


def pack(header: dict[str, Any], buffers: Sequence[memoryview]) -> bytes:
    """Lay out a JSON header and raw buffers as one byte string.

    Layout: 4-byte big-endian header length, UTF-8 JSON header (with the
    buffer lengths added under "buffers"), then the buffers back to back.
    """
    head = dict(header)
    head["buffers"] = [b.nbytes for b in buffers]
    text = _ENCODER.encode(head).encode()
    return b"".join([_LEN.pack(len(text)), text, *buffers])


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-finite literal {name}")


# Made once: `json.dumps`/`json.loads` with options build a new encoder or decoder
# (and its scanner) on every frame, twice per call a check makes.
_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"))
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def unpack(blob: bytes | bytearray | memoryview) -> tuple[dict[str, Any], list[memoryview]]:
    """Split a `pack`ed blob; raise `CodecError` on any inconsistency."""
    view = memoryview(blob)
    if view.nbytes < _LEN.size:
        raise _malformed("short frame")
    (head_len,) = _LEN.unpack(view[: _LEN.size])
    end = _LEN.size + head_len
    if end > view.nbytes:
        raise _malformed("header length past the end of the frame")
    try:
        head = _DECODER.decode(str(view[_LEN.size : end], "utf-8"))
    except (ValueError, RecursionError) as exc:
        raise _malformed(f"bad JSON header ({qualname(exc)})") from None
    if type(head) is not dict:
        raise _malformed("header is not an object")
    sizes = head.pop("buffers", None)
    if type(sizes) is not list or any(type(n) is not int or n < 0 for n in sizes):
        raise _malformed("bad buffer table")
    if end + sum(sizes) != view.nbytes:
        raise _malformed("buffer table does not match the frame length")
    buffers = []
    for n in sizes:
        buffers.append(view[end : end + n])
        end += n
    return head, buffers


def dumps(value: Any, caps: Caps = DEFAULT_CAPS, *, role: str = "return value") -> bytes:
    """Encode one value to bytes (header + buffers); see `pack`."""
    packed = encode(value, caps, role=role)
    return pack({"value": packed.tree}, packed.buffers)


def loads(blob: bytes | bytearray | memoryview, caps: Caps = DEFAULT_CAPS) -> Any:
    """Decode bytes from `dumps`."""
    head, buffers = unpack(bytearray(blob))
    if set(head) != {"value"}:
        raise _malformed("unexpected header keys")
    return decode(head["value"], buffers, caps)
