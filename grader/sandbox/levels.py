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
    "REQUIRABLE",
    "SECRETS_CLOSED",
    "level_of",
    "meets",
    "missing_for",
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


def missing_for(level: str, layers: Iterable[str]) -> list[str]:
    """Layers missing for `level` (cumulative); empty when it is reached."""
    if level not in LEVELS:
        raise ValueError(f"unknown isolation level {level!r} (use one of {', '.join(LEVELS)})")
    have = set(layers)
    missing: list[str] = []
    for name in LEVELS[1 : LEVELS.index(level) + 1]:
        missing += sorted(_NEEDS[name] - have)
        if name == "L2":
            missing += [need for need, ways in _L2_ANY if not any(way <= have for way in ways)]
    return missing


def meets(level: str, required: str) -> bool:
    """Whether `level` is at least `required`."""
    return LEVELS.index(level) >= LEVELS.index(required)


