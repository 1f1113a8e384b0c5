"""Decode a student's file the way their editor most likely saved it.

Jupyter and most editors write UTF-8, but Windows Notepad writes UTF-16 or
"ANSI" (Windows-1252), and some tools add a byte-order mark. Refusing those
files costs a student a whole exercise for a choice they never saw, so we try,
in order: a byte-order mark (UTF-8, UTF-16, UTF-32); a ``# -*- coding: ... -*-``
line in a ``.py`` file (PEP 263, what Python itself honours); UTF-8; UTF-16
without a mark (ASCII text with every other byte NUL); then Windows-1252 and
Latin-1. Anything but UTF-8 or a declared encoding is reported, so the student knows to save as
UTF-8 if an accent came out wrong.

A file that still holds NUL or other control bytes is not text at all (an
image, a compiled file, a truncated download): :class:`UndecodableError`.
Standard library only; nothing here runs student code.
"""

from __future__ import annotations

import codecs
import io
import re
import tokenize

__all__ = ["UndecodableError", "decode_text"]

_BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", ""),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
# C0 controls other than tab, newline, vertical tab, form feed and carriage
# return, plus DEL: no text editor writes them.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_SNIFFED = 64  # bytes looked at to recognise UTF-16 without a mark


class UndecodableError(ValueError):
    """The bytes are not text in any encoding we accept; the message says why."""


def decode_text(data: bytes, *, python: bool = False) -> tuple[str, str]:
    """(text, encoding label) of ``data``; ``python`` honours a PEP 263 coding line.

    The label is "" for UTF-8 (with or without a mark), else what to tell the
    student, e.g. "UTF-16". Raises :class:`UndecodableError` when the result would not be text.
    """
    text, label = _decode(data, python)
    bad = _CONTROL.search(text)
    if bad is not None:
        raise UndecodableError(
            f"it is not a text file (it holds the control character "
            f"0x{ord(bad.group()):02x} at character {bad.start()})"
        )
    return text, label


def _decode(data: bytes, python: bool) -> tuple[str, str]:
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), label
            except UnicodeDecodeError as exc:
                raise UndecodableError(
                    f"it starts with a {label or 'UTF-8'} byte-order mark but is not "
                    f"{label or 'UTF-8'} (bad bytes at offset {exc.start})"
                ) from None
    if python:
        declared = _declared_encoding(data)
        if declared is not None:
            try:
                return data.decode(declared), ""  # as Python reads it: nothing to say
            except UnicodeDecodeError:
                pass  # the declaration is wrong; guess as for any other file
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError:
        pass
    head = data[:_SNIFFED]
    if len(data) % 2 == 0 and len(head) >= 2:
        for codec, zeros in (("utf-16-le", head[1::2]), ("utf-16-be", head[0::2])):
            if zeros.count(0) == len(zeros):
                try:
                    return data.decode(codec), "UTF-16"
                except UnicodeDecodeError:
                    break
    try:
        return data.decode("cp1252"), "Windows-1252 (Latin-1)"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def _declared_encoding(data: bytes) -> str | None:
    """A ``coding:`` declaration other than UTF-8 in the first two lines, if any."""
    try:
        found, _lines = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:  # an unknown codec name: ignore the declaration
        return None
    return None if codecs.lookup(found).name == "utf-8" else found
