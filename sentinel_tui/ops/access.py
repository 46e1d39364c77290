"""The access diff through the operations: read each side, parse it as the TVM does, compare.

A side is a local file, a stored policy ``NAME`` (its current version) or
``NAME@VERSION`` (a version from the parameter's history); a path that exists as
a file wins over a name. ``None`` bytes mean "no policy": every request is denied.
A side that does not parse is refused (the access diff is about meaning; the byte
diff still shows the text).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime

from ..errors import SentinelError
from ..core.access import AccessDiff, access_diff
from ..core.paths import policy_path
from ..core.policy import Policy, PolicyError, parse_policy
from . import remedies

__all__ = ["Side", "parse_side", "compare_access", "load_side", "access_between"]

_VERSIONED = re.compile(r"(?P<name>.+)@(?P<version>[0-9]+)")


@dataclass(frozen=True)
class Side:
    label: str
    data: bytes | None  # None: no policy stored


def parse_side(data: bytes | None, label: str) -> Policy | None:
    """The policy as the TVM parses it (parse stage only); SentinelError when it does not parse."""
    if data is None:
        return None
    try:
        return parse_policy(data)
    except PolicyError as exc:
        raise SentinelError(f"{label} does not parse, so it has no access to compare: {exc}",
                            f"Fix the policy ({remedies.validate()} shows where), or compare bytes "
                            "with policy diff.", kind="validation") from None


def compare_access(old: bytes | None, new: bytes | None, old_label: str = "the stored side",
                   new_label: str = "the new side", *, now: datetime | None = None) -> AccessDiff:
    """Pure: the access diff of two sides' bytes."""
    return access_diff(parse_side(old, old_label), parse_side(new, new_label), now=now)


def load_side(ops_factory, spec: str) -> Side:
    """``spec`` as a file, ``NAME@VERSION`` or ``NAME``. ``ops_factory()`` is called only when SSM is read."""
    from ..fileio import read_policy_file

    if os.path.exists(spec) and not os.path.isdir(spec):
        return Side(spec, read_policy_file(spec))
    ops = ops_factory()
    m = _VERSIONED.fullmatch(spec)
    if m:
        name, version = m.group("name"), int(m.group("version"))
        path = policy_path(name, ops.settings.policy_root)
        history = ops.store.history(path)
        for p in history:
            if p.version == version:
                return Side(f"{path} (version {version})", p.data)
        have = ", ".join(str(p.version) for p in history) or "none"
        raise SentinelError(f"{path} has no stored version {version} (stored versions: {have}).",
                            "SSM keeps the last 100 versions of a parameter; pick one of those listed.",
                            kind="not-found")
    path = policy_path(spec, ops.settings.policy_root)
    stored = ops.store.get(path)
    if stored is None:
        raise SentinelError(f"{spec} is neither a file nor a stored policy ({path} does not exist).",
                            "Check the file path, or the name and --policy-root (`policy status` lists them).",
                            kind="not-found")
    return Side(f"{path} (version {stored.version})", stored.data)


def access_between(ops_factory, old_spec: str, new_spec: str, *, now: datetime | None = None
                   ) -> tuple[Side, Side, AccessDiff]:
    cache: list = []

    def ops():
        if not cache:
            cache.append(ops_factory())
        return cache[0]

    old, new = load_side(ops, old_spec), load_side(ops, new_spec)
    return old, new, compare_access(old.data, new.data, old.label, new.label, now=now)


def access_for_write(old: bytes | None, new: bytes | None, *, now: datetime | None = None
                     ) -> tuple[AccessDiff | None, str]:
    """What a write (push, restore) does to access: the diff, and a note on how it was judged.

    A stored policy that does not parse is what the TVM refuses (every request denied): it is
    compared as no policy, and the note says so. A new side that does not parse has no access
    to compare (the write is refused before this is asked)."""
    note = ""
    try:
        old_policy = parse_policy(old) if old is not None else None
    except PolicyError as exc:
        old_policy, note = None, f"the stored policy does not parse ({exc}); the TVM denies every request with it"
    if old is None:
        note = "nothing is stored yet: every request is denied until this is written"
    try:
        new_policy = parse_policy(new) if new is not None else None
    except PolicyError as exc:
        return None, f"the new policy does not parse: {exc}"
    return access_diff(old_policy, new_policy, now=now), note
