"""Isolation levels: their names, what each one needs, and what a set of layers reaches.

The one place that knows the levels. The host reports the layers it found in
force (``host._observed_layers``, ``confine.confine``); everything else (the
client's start-up check, ``--require-isolation``, the report's ``level``, the
docs' table) asks this module what those layers add up to.

    L0  student code in the grader's own process (the package's tests only)
    L1  subprocess + rlimits + codec
    L2  L1 + no network        (netns OR seccomp-net OR landlock-net)
           + secrets unreadable (secrets-masked OR landlock-fs OR uid-switch + secrets-closed)
           + grader files unwritable (uid-switch OR ro-root + no-caps OR landlock-fs)
    L3  L2 + PID namespace

landlock-net alone covers TCP only (seccomp-net also stops UDP and raw
sockets); on kernels with Landlock, seccomp is always there too. See
docs/threats.md, Levels, for what each level withstands.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "LEVELS",
    "LEVEL_SUMMARY",
    "NAMEABLE",
    "REQUIRABLE",
    "SECRETS_CLOSED",
    "level_of",
    "meets",
    "missing_for",
    "parse_requirement",
    "requirement",
]

LEVELS = ("L0", "L1", "L2", "L3")
# What `--require-isolation` accepts: L0 is for the package's own tests, never for grading.
REQUIRABLE = LEVELS[1:]
LEVEL_SUMMARY = {
    "L0": "in the grader's process (tests only)",
    "L1": "a separate process with resource limits and a checked codec",
    "L2": "L1 without network, hidden files unreadable, grader files unwritable",
    "L3": "L2 in a PID namespace of its own",
}
# Claimed by the judge once a probe run as the sandbox user found every secret closed.
SECRETS_CLOSED = "secrets-closed-to-uid"
# Layers a requirement may name beside its level (`L1+uid-switch`): where a level
# allows several ways, the instructor can insist on one.
NAMEABLE = ("uid-switch", SECRETS_CLOSED, "netns", "pidns", "cgroup-pids", "no-caps",
            "landlock-fs", "landlock-net", "seccomp-net", "seccomp-syscalls")  # fmt: skip
_NEEDS: dict[str, frozenset[str]] = {
    "L1": frozenset({"subprocess", "rlimits", "codec"}),
    "L2": frozenset(),
    "L3": frozenset({"pidns"}),
}
# L2's needs, each met by any one of its alternatives (a set of layers, all required).
_L2_ANY: tuple[tuple[str, tuple[frozenset[str], ...]], ...] = (
    ("no network (netns, seccomp-net or landlock-net)",
     (frozenset({"netns"}), frozenset({"seccomp-net"}), frozenset({"landlock-net"}))),
    ("secrets unreadable (secrets-masked, landlock-fs, or uid-switch + secrets-closed-to-uid)",
     (frozenset({"secrets-masked"}), frozenset({"landlock-fs"}),
      frozenset({"uid-switch", "secrets-closed-to-uid"}))),
    ("grader files unwritable (uid-switch, ro-root + no-caps, or landlock-fs)",
     (frozenset({"uid-switch"}), frozenset({"ro-root", "no-caps"}), frozenset({"landlock-fs"}))),
)  # fmt: skip


def level_of(layers: Iterable[str]) -> str:
    """The highest level whose requirements `layers` meet."""
    have = set(layers)
    level = "L0"
    for name in REQUIRABLE:
        if missing_for(name, have):
            break
        level = name
    return level


def parse_requirement(text: str) -> tuple[str, tuple[str, ...]]:
    """``"L2"``, ``"L1+uid-switch"`` or ``"uid-switch"`` as (level, named layers).

    A requirement naming only layers means L1 plus those layers. Raises
    ``ValueError`` naming what is accepted.
    """
    parts = [part.strip() for part in text.split("+")]
    level = parts.pop(0) if parts and parts[0] in LEVELS else "L1"
    unknown = [part for part in parts if part not in NAMEABLE]
    if level not in LEVELS or unknown or not text.strip():
        raise ValueError(
            f"unknown isolation requirement {text!r} (use a level, {', '.join(LEVELS)}, "
            f"optionally with +LAYER for any of {', '.join(NAMEABLE)}; e.g. L1+uid-switch)"
        )
    return level, tuple(parts)


def requirement(text: str) -> str:
    """``text`` when it is a valid requirement (an argparse ``type``); L0 is refused."""
    import argparse

    try:
        level, _ = parse_requirement(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if level not in REQUIRABLE:
        raise argparse.ArgumentTypeError(f"{level} is for the package's own tests, not grading")
    return text


def missing_for(level: str, layers: Iterable[str]) -> list[str]:
    """Layers missing for `level` (cumulative); empty when it is reached.

    `level` may name layers too (``L1+uid-switch``, see `parse_requirement`).
    """
    try:
        level, named = parse_requirement(level)
    except ValueError:
        raise ValueError(
            f"unknown isolation level {level!r} (use one of {', '.join(LEVELS)})"
        ) from None
    have = set(layers)
    missing: list[str] = []
    for name in LEVELS[1 : LEVELS.index(level) + 1]:
        missing += sorted(_NEEDS[name] - have)
        if name == "L2":
            missing += [need for need, ways in _L2_ANY if not any(way <= have for way in ways)]
    return missing + [name for name in named if name not in have]


def meets(level: str, required: str) -> bool:
    """Whether `level` is at least `required`."""
    return LEVELS.index(level) >= LEVELS.index(required)


