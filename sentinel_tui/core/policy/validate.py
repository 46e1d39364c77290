"""Validate stage: upstream's ``Policy.Validate``, and Go's time-zone lookup.

``go_load_location`` follows ``time.LoadLocation`` (the one I/O in this
package: reading the time-zone database).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from .model import Policy, PolicyError, VALID_EFFECTS, VALID_WEEKDAYS


# ---------------------------------------------------------------------------
# Validate stage

_HOUR_RE = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


# time.LoadLocation's search path on Unix ($ZONEINFO first), read by path.
_GO_ZONE_SOURCES = ("/usr/share/zoneinfo/", "/usr/share/lib/zoneinfo/", "/usr/lib/locale/TZ/", "/etc/zoneinfo/")
_GO_MAX_TZ_FILE = 10 << 20


def _go_tz_file(name: str) -> bytes | None:
    """The bytes time.LoadLocation reads for ``name``, or None where it finds nothing.

    Go joins the directory and the name as strings and opens the result, so
    ``Europe//Berlin`` or ``./UTC`` resolve like the canonical name; a
    directory, a missing file or a file that is not TZif data fail.
    """
    import os

    sources = list(_GO_ZONE_SOURCES)
    env = os.environ.get("ZONEINFO", "")
    if env:
        sources.insert(0, env.rstrip("/") + "/")
    for source in sources:
        path = source + name
        if "\0" in path:
            return None
        try:
            with open(path, "rb") as fh:
                data = fh.read(_GO_MAX_TZ_FILE + 1)
        except OSError:
            continue
        if data[:4] == b"TZif" and len(data) <= _GO_MAX_TZ_FILE:
            return data
        return None  # found but not zone data: Go stops with an error
    return None


@functools.lru_cache(maxsize=512)
def go_load_location(name: str) -> Any:
    """``time.LoadLocation(name)`` as the TVM runs it: a tzinfo, or None when Go errs.

    ``""`` and ``"UTC"`` are UTC, ``"Local"`` the host's zone (returned as the
    string ``"Local"``: the TVM's host, not this one). Any ``..``, or a leading
    ``/`` or ``\\``, is refused; anything else is the file of that name under
    the host's zoneinfo directories (Sentinel embeds no tz database).
    """
    import datetime as _dt

    if name in ("", "UTC"):
        return _dt.timezone.utc
    if name == "Local":
        return "Local"
    if ".." in name or name.startswith(("/", "\\")):
        return None
    data = _go_tz_file(name)
    if data is None:
        if _tz_database_available():
            return None
        # No tz database on this machine at all: accept what looks like an
        # IANA name rather than reject every zone (the TVM's host has one).
        if re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*", name):
            return _dt.timezone.utc
        return None
    try:
        import io
        import zoneinfo

        return zoneinfo.ZoneInfo.from_file(io.BytesIO(data), key=name)
    except Exception:
        return None


def _timezone_ok(name: str) -> bool:
    """time.LoadLocation(name) succeeds."""
    return go_load_location(name) is not None


def timezone_by_accident(name: str) -> bool:
    """A name Go resolves only because it opens it as a path (``Europe//Berlin``)."""
    if not name or name in ("UTC", "Local") or go_load_location(name) is None:
        return False
    parts = name.split("/")
    return any(p in ("", ".") for p in parts)


@functools.lru_cache(maxsize=1)
def _tz_database_available() -> bool:
    import os

    return any(os.path.isfile(source + "UTC") for source in _GO_ZONE_SOURCES)


def _validation_error(policy: Policy) -> tuple[str, int | None] | None:
    if policy.version != "1":
        return (
            f"unsupported policy version '{policy.version}', supported versions: [1]",
            policy.line_of("version"),
        )
    if not policy.rules:
        return "policy must have at least one rule", policy.line_of("rules")
    for index, rule in enumerate(policy.rules):
        if rule.name == "":
            return f"rule at index {index} missing name", rule.line or None
        if rule.effect not in VALID_EFFECTS:
            return f"invalid effect '{rule.effect}' in rule '{rule.name}'", rule.line_of("effect") or None
        cond = rule.conditions
        if not (cond.profiles or cond.users or cond.time is not None):
            return f"rule '{rule.name}' has no conditions", rule.line_of("conditions") or None
        window = cond.time
        if window is not None:
            for k, day in enumerate(window.days):
                if day not in VALID_WEEKDAYS:
                    return f"invalid weekday '{day}' in rule '{rule.name}'", window.line_of(f"days[{k}]") or None
            if window.timezone and not _timezone_ok(window.timezone):
                return f"invalid timezone '{window.timezone}'", window.line_of("timezone") or None
            if window.hours is not None:
                for attr in ("start", "end"):
                    text = getattr(window.hours, attr)
                    if not _HOUR_RE.fullmatch(text):
                        return f"invalid hour format '{text}'", window.hours.line_of(attr) or None
    return None


def validate_policy(policy: Policy) -> None:
    """``Policy.Validate()``: raises PolicyError(stage="validate") with Go's first error."""
    problem = _validation_error(policy)
    if problem is not None:
        raise PolicyError("validate", problem[0], problem[1])
