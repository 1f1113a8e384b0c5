"""The codec: what crosses the boundary, what is refused, and that decoding runs nothing."""

from __future__ import annotations

import json
import math
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch

from grader.sandbox.wire import codec
from grader.sandbox.wire.codec import Caps, CodecError, dumps, loads


def roundtrip(value: object, caps: Caps = codec.DEFAULT_CAPS) -> object:
    return loads(dumps(value, caps), caps)


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize("dtype", codec.DTYPES)
def test_tensor_roundtrip_keeps_dtype_shape_and_bytes(dtype: str) -> None:
    t = (torch.arange(24) % 7).to(getattr(torch, dtype)).reshape(2, 3, 4)
    out = roundtrip(t)
    assert type(out) is torch.Tensor
    assert out.dtype == t.dtype and out.shape == t.shape
    assert torch.equal(out, t)


def test_tensor_edge_shapes_and_layouts() -> None:
    base = torch.arange(12.0).reshape(3, 4)
    cases = [torch.tensor(3.5), torch.empty(0, 5), base.T, base[:, ::2], torch.ones(1).expand(4)]
    for t in cases:
        out = roundtrip(t)
        assert out.shape == t.shape and torch.equal(out, t.contiguous())
    assert roundtrip(base.neg().conj()).equal(-base)


def test_requires_grad_is_recorded_and_data_detached() -> None:
    w = torch.ones(3, requires_grad=True)
    out = roundtrip({"w": w, "y": w * 2})
    assert out["w"].requires_grad is True
    assert out["y"].requires_grad is True and out["y"].grad_fn is None
    assert roundtrip(torch.ones(2)).requires_grad is False


def test_parameter_arrives_as_plain_tensor() -> None:
    out = roundtrip(torch.nn.Parameter(torch.ones(2)))
    assert type(out) is torch.Tensor and out.requires_grad


def test_containers_scalars_and_tags() -> None:
    value = {
        "list": [1, 2.5, "x", None, True],
        "tuple": (1, (2, 3)),
        "nested": {"a": [{"b": ()}]},
        "size": torch.Size([2, 3]),
        "dtype": torch.int64,
        "ordered": OrderedDict(z=1, a=2),
        "big": 2**100,
        "text": "naïve \x00 \udcff",
    }
    out = roundtrip(value)
    assert out == {**value, "ordered": {"z": 1, "a": 2}}
    assert type(out["tuple"]) is tuple and type(out["tuple"][1]) is tuple
    assert type(out["size"]) is torch.Size
    assert list(out["ordered"]) == ["z", "a"]


def test_non_finite_floats_are_tagged_not_json_literals() -> None:
    blob = dumps([math.nan, math.inf, -math.inf, 1.0])
    assert b"NaN" not in blob and b"Infinity" not in blob
    out = loads(blob)
    assert math.isnan(out[0]) and out[1:] == [math.inf, -math.inf, 1.0]


def test_dict_whose_keys_look_like_tags_survives() -> None:
    value = {"__tensor__": "float32", "shape": [1], "data": 0, "requires_grad": False}
    assert roundtrip(value) == value
    assert roundtrip({"__dict__": {"__float__": "nan"}}) == {"__dict__": {"__float__": "nan"}}


def test_numpy_arrays_and_scalars() -> None:
    arr = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = roundtrip({"a": arr, "s": np.float64(2.5), "i": np.int64(3), "b": np.bool_(True)})
    assert type(out["a"]) is np.ndarray and out["a"].dtype == np.float32
    np.testing.assert_array_equal(out["a"], arr)
    assert type(out["s"]) is np.float64 and out["s"] == 2.5
    assert type(out["i"]) is np.int64 and type(out["b"]) is np.bool_
    big_endian = np.arange(3, dtype=">f8")
    np.testing.assert_array_equal(roundtrip(big_endian), big_endian)


def test_big_tensor_is_fast_and_not_base64() -> None:
    t = torch.randn(1024, 1024)  # 4 MiB
    blob = dumps(t)
    assert len(blob) < t.numel() * 4 + 1024  # raw bytes, not 4/3 of them
    assert torch.equal(loads(blob), t)


# ------------------------------------------------------------------ refusals


class AlwaysEqual:
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = object.__hash__


class PicklesAShell:
    def __reduce__(self):  # pragma: no cover - must never run
        import os

        return (os.system, ("echo pwned",))


class LoudFloat(float):
    def __repr__(self) -> str:
        return "1e999"


@pytest.mark.parametrize(
    ("value", "qualname"),
    [
        (AlwaysEqual(), "AlwaysEqual"),
        (PicklesAShell(), "PicklesAShell"),
        (LoudFloat(1.0), "LoudFloat"),
        ({1, 2}, "set"),
        (b"bytes", "bytes"),
        (torch.nn.Linear(2, 2), "Linear"),
        (iter([1]), "list_iterator"),
        (np.ma.masked_array([1.0]), "MaskedArray"),
    ],
)
def test_unsupported_types_are_refused_by_qualname(value: object, qualname: str) -> None:
    with pytest.raises(CodecError, match=rf"^unsupported return type `{qualname}`$"):
        dumps(value)


def test_refusal_never_calls_str_or_repr_of_the_object() -> None:
    class Explosive:
        def __str__(self) -> str:
            raise AssertionError("str called")

        __repr__ = __str__

        def __getattr__(self, name: str) -> object:
            raise AssertionError(f"getattr {name}")

    with pytest.raises(CodecError, match="Explosive"):
        dumps([Explosive()])


def test_lying_tensor_subclass_is_sent_as_its_real_bytes() -> None:
    calls = []

    class Liar(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            calls.append(func)
            if func in (torch.Tensor.__eq__, torch.allclose, torch.equal):
                return True
            return super().__torch_function__(func, types, args, kwargs or {})

        def numpy(self):  # a subclass override the codec must not use
            return np.full(self.shape, 99.0, dtype=np.float32)

    liar = torch.zeros(3).as_subclass(Liar)
    calls.clear()
    out = roundtrip(liar)
    assert calls == []  # no __torch_function__ ran while encoding
    assert type(out) is torch.Tensor
    assert not torch.equal(out, torch.ones(3))
    assert torch.equal(out, torch.zeros(3))


def test_dtype_not_allowlisted() -> None:
    with pytest.raises(CodecError, match=r"unsupported tensor dtype `torch.complex64`"):
        dumps(torch.zeros(2, dtype=torch.complex64))
    with pytest.raises(CodecError, match=r"unsupported array dtype `object`"):
        dumps(np.array([object()]))
    with pytest.raises(CodecError, match="unsupported dtype"):
        dumps(torch.complex128)


def test_sparse_and_meta_tensors_refused_with_reason() -> None:
    with pytest.raises(CodecError, match="sparse tensors are not supported"):
        dumps(torch.eye(3).to_sparse())
    with pytest.raises(CodecError, match="meta tensors have no data"):
        dumps(torch.empty(3, device="meta"))


def test_dict_keys_must_be_str() -> None:
    with pytest.raises(CodecError, match=r"unsupported dict key type `int`"):
        dumps({1: "a"})


def test_caps_on_bytes_items_depth() -> None:
    small = Caps(max_bytes=1000, max_items=50, max_depth=5)
    with pytest.raises(CodecError, match=r"^return value too large"):
        dumps(torch.zeros(1000), small)
    with pytest.raises(CodecError, match=r"^return value too large"):
        dumps(torch.zeros(1).expand(10**12), small)  # refused before any allocation
    with pytest.raises(CodecError, match=r"^return value too large"):
        dumps(list(range(100)), small)
    with pytest.raises(CodecError, match=r"^return value too large"):
        dumps(2**10000)
    with pytest.raises(CodecError, match=r"^return value nested too deeply"):
        dumps([[[[[[1]]]]]], small)


def test_self_referencing_and_very_deep_values_fail_cleanly() -> None:
    loop: list = []
    loop.append(loop)
    with pytest.raises(CodecError, match="nested too deeply"):
        dumps(loop)
    deep: list = []
    cur = deep
    for _ in range(100_000):
        cur.append([])
        cur = cur[0]
    with pytest.raises(CodecError, match="nested too deeply"):
        dumps(deep)


def test_role_changes_only_the_wording() -> None:
    with pytest.raises(CodecError, match=r"^unsupported argument type `set`$"):
        codec.encode({1}, role="argument")


# ------------------------------------------------------------------ hostile frames


def frame(tree: object, buffers: list[bytes] = ()) -> bytes:
    return codec.pack({"value": tree}, [memoryview(b) for b in buffers])


@pytest.mark.parametrize(
    "tree",
    [
        {"__tensor__": "complex64", "shape": [1], "data": 0, "requires_grad": False},
        {"__tensor__": "float32", "shape": [2], "data": 0, "requires_grad": False},  # 4 != 8 bytes
        {"__tensor__": "float32", "shape": [-1], "data": 0, "requires_grad": False},
        {"__tensor__": "float32", "shape": [1], "data": 5, "requires_grad": False},
        {"__tensor__": "int64", "shape": [0], "data": 0, "requires_grad": True},
        {"__tensor__": "float32", "shape": [1], "data": 0, "requires_grad": False, "x": 1},
        {"__ndarray__": "loadtxt", "shape": [1], "data": 0},
        {"__np_scalar__": "loadtxt", "__float__": "/etc/passwd"},
        {"__float__": "os.system"},
        {"__tuple__": "abc"},
        {"__tuple__": [], "__dict__": {}},
        {"__size__": ["a"]},
        {"__dtype__": "__class__"},
    ],
)
def test_malformed_or_gadget_tags_are_refused(tree: object) -> None:
    with pytest.raises(CodecError, match="malformed value"):
        loads(frame(tree, [b"\0\0\0\0"]))


def test_decoder_never_calls_getattr_on_a_tag(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    real_getattr = getattr

    def spy(obj: object, name: str, *default: object) -> object:
        seen.append(name)
        return real_getattr(obj, name, *default)

    monkeypatch.setattr("builtins.getattr", spy)
    with pytest.raises(CodecError):
        loads(frame({"__tensor__": "not_a_dtype", "shape": [1], "data": 0,
                     "requires_grad": False}, [b"\0" * 4]))  # fmt: skip
    with pytest.raises(CodecError):
        loads(frame({"__dtype__": "not_a_dtype"}))
    assert seen == []


def test_json_nan_literals_and_bad_frames_are_refused() -> None:
    text = json.dumps({"value": [float("nan")], "buffers": []}).encode()
    blob = len(text).to_bytes(4, "big") + text
    with pytest.raises(CodecError, match="malformed"):
        loads(blob)
    with pytest.raises(CodecError, match="malformed"):
        loads(b"\xff\xff\xff\xff{}")
    with pytest.raises(CodecError, match="malformed"):
        loads(frame([1]) + b"trailing")
    deep = b"[" * 200_000 + b"]" * 200_000
    body = b'{"value":' + deep + b',"buffers":[]}'
    with pytest.raises(CodecError):
        loads(len(body).to_bytes(4, "big") + body)


def test_decoding_a_pickle_payload_runs_nothing() -> None:
    blob = pickle.dumps(PicklesAShell())
    with pytest.raises(CodecError):
        loads(len(blob).to_bytes(4, "big") + blob)


def test_decode_caps_total_bytes_even_when_buffers_are_reused() -> None:
    tree = [{"__tensor__": "uint8", "shape": [100], "data": 0, "requires_grad": False}] * 20
    with pytest.raises(CodecError, match="too large"):
        loads(frame(tree, [bytes(100)]), Caps(max_bytes=1000))
