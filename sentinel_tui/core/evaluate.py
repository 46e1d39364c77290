"""What a policy decides: upstream's ``policy.Evaluate``, exactly, in Python.

The TVM parses its policy (parse stage only: a policy that fails ``Validate``
is still evaluated) and, for every credential request, calls ``Evaluate``
(``policy/evaluate.go``, ``policy/device.go``). This module repeats that
decision bit for bit so an operator can ask "why was alice denied prod at
21:00?" without a TVM:

- rules are tried in order, the first whose conditions all match decides; no
  match is ``deny``, rule ``""``, index -1. An empty list matches anything, and
  values are compared exactly (``*`` is not a wildcard, case matters);
- ``time``: the request time is converted to the rule's ``timezone`` when Go's
  ``time.LoadLocation`` succeeds (a file under the host's zoneinfo, read by path,
  so ``Europe//Berlin`` works); otherwise the request's own offset is used.
  ``days`` is the weekday there; ``hours`` is ``[start, end)`` in whole minutes
  since midnight, each side split on ``:`` and read with ``strconv.Atoi``, errors
  ignored (``24:00`` is minute 1440, ``08:90`` is 09:30, ``09:00:00`` is 0);
  int64 arithmetic wraps as Go's does;
- effects: ``require_server`` is ``allow`` in server mode, else ``deny`` with
  ``requires_server_mode``; ``require_server_session`` needs server mode and a
  session table in the request; every other string is returned as written;
- device: each ``require_*`` flag needs that posture field true (missing fails),
  ``min_os_version`` compares dot/dash/plus separated parts read as leading
  digits, ``allowed_os_types`` compares with Go's ``strings.EqualFold``; no
  posture fails any non-empty device condition.

Times carry nanoseconds as Go's do (``Request.nanosecond`` keeps the part below
a microsecond that ``datetime`` cannot hold); minutes are what is compared, so
truncation is exact.

``tvm_view`` says what the Lambda TVM does with a decision: it always asks in
server mode with its configured session table, and only ``deny`` refuses.

Pure: no I/O except reading zoneinfo files, as Go's ``time.LoadLocation`` does.
"""

from __future__ import annotations

import functools
import io
import os
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from .policy import Condition, DeviceCondition, HourRange, Policy, Rule, TimeWindow, format_go_duration

__all__ = [
    "DevicePosture",
    "Request",
    "Decision",
    "TvmView",
    "RuleTrace",
    "RequestError",
    "evaluate",
    "explain",
    "tvm_view",
    "tvm_request",
    "load_location",
    "go_atoi",
    "parse_hour_minute",
    "hour_minutes",
    "compare_versions",
    "parse_rfc3339",
    "format_rfc3339",
    "parse_go_time",
    "MODE_SERVER",
    "POSTURE_PRESETS",
    "parse_user_time",
    "why_not",
    "matches",
]

MODE_SERVER = "server"
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class RequestError(ValueError):
    """A request (or posture) that cannot be read: the message says which field and why."""


def _wrap64(n: int) -> int:
    """Go int64 arithmetic: wrap around."""
    n &= (1 << 64) - 1
    return n - (1 << 64) if n >= (1 << 63) else n


# ---------------------------------------------------------------------------
# Go's strconv.Atoi, errors ignored (the value it returns alongside the error)


def _parse_uint10(s: bytes) -> tuple[int, str | None]:
    """strconv.ParseUint(s, 10, 64): (value, error kind)."""
    if not s:
        return 0, "syntax"
    max_val = (1 << 64) - 1
    cutoff = max_val // 10 + 1
    n = 0
    for c in s:
        lc = c | 0x20
        if 0x30 <= c <= 0x39:
            d = c - 0x30
        elif 0x61 <= lc <= 0x7A:
            d = lc - 0x61 + 10
        else:
            return 0, "syntax"
        if d >= 10:
            return 0, "syntax"
        if n >= cutoff:
            return max_val, "range"
        n *= 10
        n1 = n + d
        if n1 > max_val:
            return max_val, "range"
        n = n1
    return n, None


def go_atoi(text: str | bytes) -> int:
    """``n, _ := strconv.Atoi(s)`` on a 64-bit platform: the value Go keeps."""
    s = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else bytes(text)
    if 0 < len(s) < 19:
        body = s
        if s[0] in b"+-":
            body = s[1:]
            if not body:
                return 0
        n = 0
        for c in body:
            d = (c - 0x30) & 0xFF
            if d > 9:
                return 0
            n = n * 10 + d
        return -n if s[0:1] == b"-" else n
    # slow path: ParseInt(s, 10, 0)
    if not s:
        return 0
    neg = False
    body = s
    if s[0:1] == b"+":
        body = s[1:]
    elif s[0:1] == b"-":
        neg = True
        body = s[1:]
    un, err = _parse_uint10(body)
    if err == "syntax":
        return 0
    cutoff = 1 << 63
    if not neg and un >= cutoff:
        return cutoff - 1
    if neg and un > cutoff:
        return -cutoff
    return -un if neg else un


def parse_hour_minute(text: str) -> tuple[int, int]:
    """upstream ``parseHourMinute``: split on ``:``, exactly two parts, Atoi each."""
    parts = text.encode("utf-8", "surrogateescape").split(b":")
    if len(parts) != 2:
        return 0, 0
    return go_atoi(parts[0]), go_atoi(parts[1])


def hour_minutes(text: str) -> int:
    """Minutes since midnight as ``matchesHours`` computes them (int64, wrapping)."""
    h, m = parse_hour_minute(text)
    return _wrap64(_wrap64(h * 60) + m)


# ---------------------------------------------------------------------------
# Versions (policy/device.go)


def _split_version(v: str) -> list[str]:
    parts: list[str] = []
    current = ""
    for ch in v:
        if ch in ".-+":
            if current:
                parts.append(current)
                current = ""
        else:
            current += ch
    if current:
        parts.append(current)
    return parts


def _version_part(s: str) -> int:
    n = 0
    for ch in s:
        if "0" <= ch <= "9":
            n = _wrap64(n * 10 + (ord(ch) - 48))
        else:
            break
    return n


def compare_versions(v1: str, v2: str) -> int:
    """upstream ``compareVersions``: -1, 0 or 1."""
    p1, p2 = _split_version(v1), _split_version(v2)
    for i in range(max(len(p1), len(p2))):
        a = _version_part(p1[i]) if i < len(p1) else 0
        b = _version_part(p2[i]) if i < len(p2) else 0
        if a < b:
            return -1
        if a > b:
            return 1
    return 0


def _equal_fold(a: str, b: str) -> bool:
    """Go's ``strings.EqualFold`` (Unicode simple folding, rune by rune)."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x == y:
            continue
        xl, yl, xu, yu = x.lower(), y.lower(), x.upper(), y.upper()
        if len(xl) == 1 and xl == yl:
            continue
        if len(xu) == 1 and xu == yu:
            continue
        return False
    return True


# ---------------------------------------------------------------------------
# Time zones: Go's time.LoadLocation


_ZONE_SOURCES = ("/usr/share/zoneinfo/", "/usr/share/lib/zoneinfo/", "/usr/lib/locale/TZ/", "/etc/zoneinfo/")


def _read_zone_file(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            data = fh.read((10 << 20) + 1)
    except (OSError, ValueError):
        return None
    if len(data) > 10 << 20 or not data.startswith(b"TZif"):
        return None
    return data


@functools.lru_cache(maxsize=1)
def _system_zoneinfo() -> bool:
    return any(os.path.isfile(src + "Europe/Berlin") for src in _ZONE_SOURCES)


@functools.lru_cache(maxsize=1024)
def load_location(name: str) -> tzinfo | None:
    """``time.LoadLocation(name)``: the zone, or None where Go returns an error.

    ``""`` and ``UTC`` are UTC; ``Local`` is the TVM host's zone, UTC on Lambda
    (and here). Other names are read by path from the host's zoneinfo folders as
    Go reads them (no name normalisation: ``Europe//Berlin`` loads, ``../x`` and
    ``/etc/x`` do not). On a machine without a zoneinfo folder the ``tzdata``
    package stands in, when installed.
    """
    if name in ("", "UTC", "Local"):
        return timezone.utc
    if ".." in name or name[0] in "/\\":
        return None
    import zoneinfo

    for src in _ZONE_SOURCES:
        data = _read_zone_file(src + "/" + name)
        if data is not None:
            try:
                return zoneinfo.ZoneInfo.from_file(io.BytesIO(data), key=name)
            except Exception:
                return None
    if not _system_zoneinfo():
        try:
            return zoneinfo.ZoneInfo(name)
        except Exception:
            return None
    return None


# ---------------------------------------------------------------------------
# RFC 3339 times with nanoseconds, read as Go's time.Parse(time.RFC3339Nano, s)

_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{1,2}):([0-9]{2}):([0-9]{2})"
    r"(?:[.,]([0-9]+))?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})\Z"
)


def parse_go_time(text: str) -> tuple[datetime, int, int | None]:
    """``time.Parse(time.RFC3339Nano, text)`` as Go runs it (fast path, then the general parser).

    Returns an aware datetime (microseconds), the nanoseconds below a microsecond,
    and an offset in seconds when Go's offset cannot be a Python zone (``+24:00``
    and ``+23:60`` parse in Go): then the datetime is the UTC instant and the
    offset says what wall clock the request shows. Digits of the fraction past the
    ninth are dropped, as Go drops them. Raises RequestError.
    """
    m = _RFC3339.match(text) if isinstance(text, str) else None
    if m is None:
        raise RequestError(f"time {text!r} is not RFC 3339 (2006-01-02T15:04:05Z07:00)")
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    frac = (m.group(7) or "")[:9].ljust(9, "0")
    nanos = int(frac)
    zone = m.group(8)
    offset_s = 0
    if zone != "Z":
        zh, zm = int(zone[1:3]), int(zone[4:6])
        if zh > 24:
            raise RequestError(f"time {text!r}: time zone offset hour out of range")
        if zm > 60:
            raise RequestError(f"time {text!r}: time zone offset minute out of range")
        offset_s = (zh * 60 + zm) * 60 * (-1 if zone[0] == "-" else 1)
    if year == 0:
        # Go has a year 0; Python does not. The calendar repeats every 400 years (weekdays
        # included) and zones are constant that far back: year 400 is read instead
        # (Request.year_shift remembers it for display).
        year = 400
    try:
        naive = datetime(year, month, day, hour, minute, second, nanos // 1000)
    except ValueError as exc:
        raise RequestError(f"time {text!r}: {exc}") from None
    if zone == "Z":
        return naive.replace(tzinfo=timezone.utc), nanos % 1000, None
    if abs(offset_s) < 86400:
        return naive.replace(tzinfo=timezone(timedelta(seconds=offset_s))), nanos % 1000, None
    try:
        instant = (naive - timedelta(seconds=offset_s)).replace(tzinfo=timezone.utc)
    except OverflowError:
        raise RequestError(f"time {text!r}: out of range") from None
    return instant, nanos % 1000, offset_s


def parse_rfc3339(text: str) -> tuple[datetime, int]:
    """An aware datetime (microseconds) and the nanoseconds below a microsecond.

    Offsets of 24 hours or more (Go accepts ``+24:00``) come back as UTC.
    """
    dt, nanos, _ = parse_go_time(text)
    return dt, nanos


def format_rfc3339(dt: datetime, nanosecond: int = 0, offset: int | None = None) -> str:
    """Go's ``Format(time.RFC3339Nano)``: fraction without trailing zeros, ``Z`` for a zero offset."""
    if offset is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None) + timedelta(seconds=offset)
        off = timedelta(seconds=offset)
    else:
        off = dt.utcoffset() or timedelta(0)
    base = f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    nanos = dt.microsecond * 1000 + nanosecond
    frac = f".{nanos:09d}".rstrip("0") if nanos else ""
    if off == timedelta(0):
        zone = "Z"
    else:
        total = int(off.total_seconds())
        sign = "-" if total < 0 else "+"
        total = abs(total)
        zone = f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}"
    return base + frac + zone


# ---------------------------------------------------------------------------
# JSON helpers (Go encoding/json: case-insensitive keys, strict types)


def _clean_str(s: str) -> str:
    # Go replaces invalid UTF-16 surrogates with U+FFFD
    return s.encode("utf-16", "surrogatepass").decode("utf-16", "replace") if any(
        "\ud800" <= c <= "\udfff" for c in s
    ) else s


def _fold_key(key: str) -> str:
    return key.replace("\u017f", "s").replace("\u212a", "k").lower()


def _pick(obj: dict, name: str) -> tuple[bool, Any]:
    """Go's field matching: the exact key, else a case-insensitive one; the last one wins."""
    found, value = False, None
    for key, val in obj.items():
        if key == name or _fold_key(key) == name:
            found, value = True, val
    return found, value


def _want_str(where: str, value: Any, default: str = "") -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise RequestError(f"{where}: want a string, got {type(value).__name__} {value!r}")
    return _clean_str(value)


def _want_bool(where: str, value: Any) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise RequestError(f"{where}: want true, false or null, got {value!r}")
    return value


# ---------------------------------------------------------------------------
# The request


@dataclass(frozen=True)
class DevicePosture:
    """upstream ``device.DevicePosture``: None is "not checked" for the booleans."""

    device_id: str = ""
    status: str = ""
    disk_encrypted: bool | None = None
    firewall_enabled: bool | None = None
    os_version: str = ""
    os_type: str = ""
    mdm_enrolled: bool | None = None
    mdm_compliant: bool | None = None
    collected_at: str = ""
    collector_version: str = ""

    _BOOLS = ("disk_encrypted", "firewall_enabled", "mdm_enrolled", "mdm_compliant")
    _STRS = ("device_id", "status", "os_version", "os_type", "collector_version")

    @classmethod
    def from_json(cls, obj: Any) -> "DevicePosture":
        if not isinstance(obj, dict):
            raise RequestError(f"device: want an object, got {obj!r}")
        values: dict[str, Any] = {}
        for name in cls._STRS:
            found, val = _pick(obj, name)
            if found:
                values[name] = _want_str(f"device.{name}", val)
        for name in cls._BOOLS:
            found, val = _pick(obj, name)
            if found:
                values[name] = _want_bool(f"device.{name}", val)
        found, val = _pick(obj, "collected_at")
        if found and val is not None:
            text = _want_str("device.collected_at", val)
            parse_rfc3339(text)  # Go refuses a posture whose time does not parse
            values["collected_at"] = text
        return cls(**values)

    def to_json(self) -> dict:
        out: dict[str, Any] = {"device_id": self.device_id, "status": self.status}
        for name in ("disk_encrypted", "firewall_enabled"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.os_version:
            out["os_version"] = self.os_version
        if self.os_type:
            out["os_type"] = self.os_type
        for name in ("mdm_enrolled", "mdm_compliant"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.collected_at:
            out["collected_at"] = self.collected_at
        if self.collector_version:
            out["collector_version"] = self.collector_version
        return out


@dataclass(frozen=True)
class Request:
    """A credential request as ``policy.Request`` holds it."""

    user: str
    profile: str
    time: datetime  # timezone-aware
    mode: str = MODE_SERVER
    session_table: str = ""
    device: DevicePosture | None = None
    #: nanoseconds below the microsecond ``time`` holds (0..999)
    nanosecond: int = 0
    #: the batch line's ``id``, carried through untouched
    id: Any = field(default=None, compare=False)
    #: seconds east of UTC when the request's own offset is one Python cannot hold
    #: (Go reads ``+24:00``); then ``time`` is the UTC instant
    offset: int | None = None
    #: years added to ``time`` because Python has no year 0 (Go does): 400 or 0
    year_shift: int = 0

    def time_text(self) -> str:
        """The time as RFC 3339 (Go's RFC3339Nano format)."""
        text = format_rfc3339(self.time, self.nanosecond, self.offset)
        if self.year_shift and text[:4].isdigit():
            text = f"{int(text[:4]) - self.year_shift:04d}" + text[4:]
        return text

    def own_time(self) -> datetime:
        """The time in the request's own offset (what Go compares when no zone applies)."""
        if self.offset is None:
            return self.time
        return (self.time.astimezone(timezone.utc) + timedelta(seconds=self.offset)).replace(tzinfo=None)

    def __post_init__(self) -> None:
        if self.time.tzinfo is None or self.time.utcoffset() is None:
            raise RequestError("the request time needs a time zone")

    @classmethod
    def from_json(cls, obj: Any) -> "Request":
        """The batch format: ``id``, ``user``, ``profile``, ``time`` (RFC 3339), ``mode``,
        ``session_table``, ``device`` (a posture object or null)."""
        if not isinstance(obj, dict):
            raise RequestError(f"a request is a JSON object, got {obj!r}")
        got = {name: _pick(obj, name)[1] for name in ("id", "user", "profile", "time", "mode", "session_table", "device")}
        user = _want_str("user", got["user"])
        profile = _want_str("profile", got["profile"])
        raw_time = _want_str("time", got["time"])
        if raw_time == "":
            raise RequestError("time: missing (RFC 3339, e.g. 2026-03-02T09:30:00+01:00)")
        dt, nanos, offset = parse_go_time(raw_time)
        # A missing mode is Go's zero value "": it matches only rules without a mode condition.
        mode = _want_str("mode", got["mode"])
        session_table = _want_str("session_table", got["session_table"])
        device_obj = got["device"]
        device = DevicePosture.from_json(device_obj) if device_obj is not None else None
        return cls(user=user, profile=profile, time=dt, mode=mode, session_table=session_table,
                   device=device, nanosecond=nanos, id=got["id"], offset=offset,
                   year_shift=400 if raw_time.startswith("0000-") else 0)

    def to_json(self) -> dict:
        out: dict[str, Any] = {}
        if self.id is not None:
            out["id"] = self.id
        out.update(
            user=self.user,
            profile=self.profile,
            time=self.time_text(),
            mode=self.mode,
            session_table=self.session_table,
            device=self.device.to_json() if self.device is not None else None,
        )
        return out


# ---------------------------------------------------------------------------
# The decision


@dataclass(frozen=True)
class Decision:
    """upstream ``policy.Decision`` (without its timestamps and condition copy)."""

    effect: str
    rule: str
    rule_index: int
    reason: str
    requires_server_mode: bool = False
    requires_session_tracking: bool = False
    max_server_duration: int = 0  # nanoseconds
    session_table: str = ""

    @property
    def matched(self) -> bool:
        return self.rule_index >= 0

    def to_json(self) -> dict:
        return {
            "effect": self.effect,
            "rule": self.rule,
            "rule_index": self.rule_index,
            "reason": self.reason,
            "requires_server_mode": self.requires_server_mode,
            "requires_session_tracking": self.requires_session_tracking,
            "max_server_duration": format_go_duration(self.max_server_duration),
            "session_table": self.session_table,
        }

    @classmethod
    def from_json(cls, obj: dict) -> "Decision":
        from .policy import parse_go_duration

        return cls(
            effect=obj["effect"],
            rule=obj["rule"],
            rule_index=int(obj["rule_index"]),
            reason=obj.get("reason", ""),
            requires_server_mode=bool(obj.get("requires_server_mode", False)),
            requires_session_tracking=bool(obj.get("requires_session_tracking", False)),
            max_server_duration=parse_go_duration(obj.get("max_server_duration") or "0s"),
            session_table=obj.get("session_table", ""),
        )

    def access_key(self) -> tuple:
        """What counts as "the decision" for access (the deciding rule does not)."""
        return (
            self.effect,
            self.max_server_duration,
            self.session_table,
            self.requires_server_mode,
            self.requires_session_tracking,
        )

    def __str__(self) -> str:  # Decision.String()
        if self.rule == "":
            return "DENY (no matching rule)"
        return f"{self.effect.upper()} by rule '{self.rule}' (index {self.rule_index})"


DEFAULT_DENY = Decision("deny", "", -1, "no matching rule")


# ---------------------------------------------------------------------------
# Matching


def _zone_time(window: TimeWindow, request: Request) -> tuple[datetime, bool]:
    """The request time as the rule sees it, and whether the rule's zone loaded."""
    if window.timezone:
        loc = load_location(window.timezone)
        if loc is not None:
            return _astimezone(request.time, loc), True
        return request.own_time(), False
    return request.own_time(), True


_GREGORIAN_CYCLE = timedelta(days=146097)  # 400 years: weekdays and calendar repeat exactly


def _astimezone(t: datetime, loc: tzinfo) -> datetime:
    """``t.In(loc)``; at the edges of Python's years (Go has no such edge) the
    conversion is done 400 years away, where weekday and wall clock are the same."""
    try:
        return t.astimezone(loc)
    except (OverflowError, ValueError):
        pass
    for shift in (_GREGORIAN_CYCLE, -_GREGORIAN_CYCLE):
        try:
            return (t + shift).astimezone(loc)
        except (OverflowError, ValueError):
            continue
    return t


def _match_hours(hours: HourRange, t: datetime) -> bool:
    req = t.hour * 60 + t.minute
    return hour_minutes(hours.start) <= req < hour_minutes(hours.end)


def _why_not_time(window: TimeWindow, request: Request) -> str | None:
    local, loaded = _zone_time(window, request)
    if window.days:
        day = _WEEKDAYS[local.weekday()]
        if day not in window.days:
            return f"days: {_when(local, window, loaded)} is a {day}, not in [{', '.join(window.days)}]"
    if window.hours is not None and not _match_hours(window.hours, local):
        start, end = hour_minutes(window.hours.start), hour_minutes(window.hours.end)
        detail = f"{_when(local, window, loaded)} is outside hours {window.hours.start}\u2013{window.hours.end}"
        if start >= end:
            detail += " (that window never matches: Go compares [start, end) within one day)"
        return "hours: " + detail
    return None


def _when(local: datetime, window: TimeWindow, loaded: bool) -> str:
    text = local.strftime("%a %Y-%m-%d %H:%M")
    if window.timezone and loaded:
        return f"{text} {window.timezone}"
    own = _offset_text(local)
    if window.timezone:
        return f"{text} {own} (timezone {window.timezone!r} does not load: the request's own offset is used)"
    return f"{text} {own}"


def _offset_text(local: datetime) -> str:
    off = local.utcoffset()
    if off is None:
        return "(its own offset)"
    if off == timedelta(0):
        return "UTC"
    return format_rfc3339(local)[-6:]


def _why_not_device(cond: DeviceCondition, posture: DevicePosture | None) -> str | None:
    if posture is None:
        return "device: no device posture (a rule with device conditions never matches without one)"
    checks = (
        ("require_encryption", "disk_encrypted"),
        ("require_mdm", "mdm_enrolled"),
        ("require_mdm_compliant", "mdm_compliant"),
        ("require_firewall", "firewall_enabled"),
    )
    for flag, attr in checks:
        if getattr(cond, flag):
            value = getattr(posture, attr)
            if value is not True:
                said = "missing" if value is None else "false"
                return f"device: {flag} needs {attr} true, the posture has it {said}"
    if cond.min_os_version:
        if posture.os_version == "":
            return f"device: min_os_version {cond.min_os_version} needs os_version, the posture has none"
        if compare_versions(posture.os_version, cond.min_os_version) < 0:
            return f"device: os_version {posture.os_version!r} is below min_os_version {cond.min_os_version!r}"
    if cond.allowed_os_types:
        if posture.os_type == "":
            return "device: allowed_os_types needs os_type, the posture has none"
        if not any(_equal_fold(posture.os_type, allowed) for allowed in cond.allowed_os_types):
            return f"device: os_type {posture.os_type!r} is not in allowed_os_types [{', '.join(cond.allowed_os_types)}]"
    return None


def _device_empty(cond: DeviceCondition | None) -> bool:
    return cond is None or not (
        cond.require_encryption
        or cond.require_mdm
        or cond.require_mdm_compliant
        or cond.require_firewall
        or cond.min_os_version
        or cond.allowed_os_types
    )


def why_not(cond: Condition, request: Request) -> str | None:
    """The first condition (in Go's order) that does not match, or None when all do."""
    if cond.profiles and request.profile not in cond.profiles:
        return f"profiles: {request.profile!r} is not in [{', '.join(cond.profiles)}]"
    if cond.users and request.user not in cond.users:
        return f"users: {request.user!r} is not in [{', '.join(cond.users)}]"
    if cond.time is not None:
        problem = _why_not_time(cond.time, request)
        if problem is not None:
            return problem
    if cond.mode and request.mode not in cond.mode:
        return f"mode: {request.mode!r} is not in [{', '.join(cond.mode)}]"
    if not _device_empty(cond.device):
        problem = _why_not_device(cond.device, request.device)  # type: ignore[arg-type]
        if problem is not None:
            return problem
    return None


def matches(cond: Condition, request: Request) -> bool:
    return why_not(cond, request) is None


def _decide(rule: Rule, index: int, request: Request) -> Decision:
    effect = rule.effect
    requires_server = requires_session = False
    if rule.effect == "require_server":
        if request.mode == MODE_SERVER:
            effect = "allow"
        else:
            effect, requires_server = "deny", True
    elif rule.effect == "require_server_session":
        if request.mode == MODE_SERVER and request.session_table != "":
            effect = "allow"
        else:
            effect, requires_session = "deny", True
            requires_server = request.mode != MODE_SERVER
    return Decision(
        effect=effect,
        rule=rule.name,
        rule_index=index,
        reason=rule.reason,
        requires_server_mode=requires_server,
        requires_session_tracking=requires_session,
        max_server_duration=rule.max_server_duration,
        session_table=rule.session_table,
    )


def evaluate(policy: Policy | None, request: Request | None) -> Decision:
    """upstream ``policy.Evaluate``."""
    if policy is None or request is None:
        return DEFAULT_DENY
    for index, rule in enumerate(policy.rules):
        if why_not(rule.conditions, request) is None:
            return _decide(rule, index, request)
    return DEFAULT_DENY


@dataclass(frozen=True)
class RuleTrace:
    """One rule tried: matched, or the first condition that did not match."""

    index: int
    name: str
    matched: bool
    why_not: str = ""


def explain(policy: Policy, request: Request) -> tuple[Decision, tuple[RuleTrace, ...]]:
    """The decision, and every rule tried up to the deciding one with its "why not"."""
    traces: list[RuleTrace] = []
    for index, rule in enumerate(policy.rules):
        problem = why_not(rule.conditions, request)
        if problem is None:
            traces.append(RuleTrace(index, rule.name, True))
            return _decide(rule, index, request), tuple(traces)
        traces.append(RuleTrace(index, rule.name, False, problem))
    return DEFAULT_DENY, tuple(traces)


# ---------------------------------------------------------------------------
# The Lambda TVM's view


@dataclass(frozen=True)
class TvmView:
    """What the Lambda TVM does with a decision."""

    action: str  # "issues" or "refuses"
    effect: str
    enforced: bool  # False: the rule's effect is not enforced as written
    duration_cap: int  # ns; 0 = no cap from the policy
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def issues(self) -> bool:
        return self.action == "issues"

    def to_json(self) -> dict:
        return {
            "action": self.action,
            "enforced": self.enforced,
            "duration_cap": format_go_duration(self.duration_cap) if self.duration_cap > 0 else None,
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }


def tvm_request(request: Request, session_table: str = "") -> Request:
    """The request as the Lambda TVM asks it: mode ``server``, the TVM's own session table."""
    return replace(request, mode=MODE_SERVER, session_table=session_table)


def tvm_view(decision: Decision, *, rule_effect: str | None = None, session_table: str | None = None) -> TvmView:
    """What the Lambda TVM does with ``decision`` (evaluated as it asks: see ``tvm_request``).

    Only ``deny`` refuses: ``require_approval``, an unknown or an empty effect all
    issue credentials. ``rule_effect`` is the deciding rule's effect as written
    (to name ``require_server*`` rules), ``session_table`` the TVM's configured one.
    """
    warnings: list[str] = []
    notes: list[str] = []
    effect = decision.effect
    written = rule_effect if rule_effect is not None else effect
    if effect == "deny":
        action = "refuses"
        enforced = True
        if decision.requires_session_tracking and not decision.requires_server_mode:
            warnings.append(
                f"rule '{decision.rule}' is require_server_session and the TVM has no session table"
                + (f" (it has {session_table!r})" if session_table else "")
                + ": every request it matches is refused"
            )
        notes.append("an approved request or an active break-glass event still lets it through")
    else:
        action = "issues"
        enforced = effect == "allow"
        if effect == "require_approval":
            warnings.append(
                f"NOT ENFORCED: rule '{decision.rule}' says require_approval, but the Lambda TVM "
                "only refuses on deny: it issues credentials without any approval"
            )
        elif effect != "allow":
            shown = f"'{effect}'" if effect else "an empty effect"
            warnings.append(
                f"NOT ENFORCED: rule '{decision.rule}' has {shown}, which the TVM does not know: "
                "it issues credentials (only deny refuses)"
            )
        elif written in ("require_server", "require_server_session"):
            notes.append(f"{written} is met by the Lambda TVM (it always asks in server mode)")
    cap = decision.max_server_duration if decision.max_server_duration > 0 else 0
    if action == "issues" and cap:
        notes.append(f"sessions capped at {format_go_duration(cap)}")
    return TvmView(action=action, effect=effect, enforced=enforced, duration_cap=cap,
                   warnings=tuple(warnings), notes=tuple(notes))


# ---------------------------------------------------------------------------
# Times and postures as an operator types them

_USER_TIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?"
    r"(?:\s*(Z|UTC|[+-][0-9]{2}:?[0-9]{2}|\s[A-Za-z][A-Za-z0-9_+\-/]*))?\Z"
)


def parse_user_time(text: str) -> tuple[datetime, int]:
    """RFC 3339, or ``2026-03-02 21:00 Europe/Berlin`` / ``2026-03-02T21:00+01:00`` / ``... UTC``.

    A time without a zone is refused: the answer depends on it.
    """
    text = text.strip()
    try:
        return parse_rfc3339(text)
    except RequestError:
        pass
    m = _USER_TIME.match(text)
    if m is None:
        raise RequestError(
            f"time {text!r} is not understood; write RFC 3339 (2026-03-02T21:00:00+01:00) "
            "or a date, a time and a zone (2026-03-02 21:00 Europe/Berlin)"
        )
    day, hh, mm, ss, frac, zone = m.groups()
    zone = (zone or "").strip()
    if not zone:
        raise RequestError(f"time {text!r} has no zone; add one (Z, +01:00 or Europe/Berlin)")
    frac9 = (frac or "")[:9].ljust(9, "0")
    try:
        naive = datetime.fromisoformat(f"{day}T{hh}:{mm}:{ss or '00'}").replace(microsecond=int(frac9) // 1000)
    except ValueError as exc:
        raise RequestError(f"time {text!r}: {exc}") from None
    if zone in ("Z", "UTC"):
        return naive.replace(tzinfo=timezone.utc), int(frac9) % 1000
    if zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        zh, zm = int(digits[:2]), int(digits[2:])
        if zh >= 24 or zm >= 60:
            raise RequestError(f"time {text!r}: offset {zone} out of range")
        off = timedelta(hours=zh, minutes=zm)
        return naive.replace(tzinfo=timezone(-off if zone[0] == "-" else off)), int(frac9) % 1000
    loc = load_location(zone)
    if loc is None:
        raise RequestError(f"time {text!r}: unknown time zone {zone!r}")
    return naive.replace(tzinfo=loc), int(frac9) % 1000


def _posture(**kw: Any) -> DevicePosture:
    return DevicePosture(status=kw.pop("status", "compliant"), collected_at="2026-01-01T00:00:00Z", **kw)


#: Named postures for the what-if views (``--device PRESET``); ``none`` is "no posture at all".
POSTURE_PRESETS: dict[str, DevicePosture | None] = {
    "none": None,
    "managed-mac": _posture(disk_encrypted=True, firewall_enabled=True, os_version="14.5", os_type="darwin",
                            mdm_enrolled=True, mdm_compliant=True),
    "managed-windows": _posture(disk_encrypted=True, firewall_enabled=True, os_version="10.0.22631",
                                os_type="windows", mdm_enrolled=True, mdm_compliant=True),
    "unmanaged-linux": _posture(status="unknown", disk_encrypted=False, firewall_enabled=False,
                                os_version="6.8", os_type="linux", mdm_enrolled=False, mdm_compliant=False),
    "noncompliant-mac": _posture(status="non_compliant", disk_encrypted=False, firewall_enabled=True,
                                 os_version="12.7", os_type="darwin", mdm_enrolled=True, mdm_compliant=False),
    "empty": _posture(status="unknown"),
}
