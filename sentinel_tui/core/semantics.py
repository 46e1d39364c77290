"""Semantic lints: what a policy *does* that its author probably did not mean.

Go's ``LintPolicy`` (three heuristics, printed ``lint: <type>: <message>``) and our
reader's warnings (unknown keys, unknown modes, invalid device blocks) look at
the text. These look at the decisions ``core.evaluate`` makes:

- ``never-decides``: earlier rules match every request this rule matches (checked
  exactly over users, profiles and modes the policy names plus "anyone else",
  every minute of a reference year in each rule's zone, DST included, and the
  posture classes the device conditions tell apart);
- ``never-matches``: no request matches the rule at all;
- ``hours-never-match`` / ``hours-misread``: a window that crosses midnight or has
  ``start == end`` (Go compares ``[start, end)`` within one day), or a part Go's
  ``Atoi`` reads as something else (``24:00``, ``08:90``, ``09:00:00``);
- ``days-never-match``: a weekday Go never produces (``Monday``);
- ``zone-ignored``: a zone ``time.LoadLocation`` cannot load (the TVM silently uses
  the request's own offset, UTC at a Lambda TVM); ``Local``;
- ``not-enforced`` / ``always-refused`` / ``no-posture``: effects and device
  conditions the Lambda TVM does not enforce as written (only ``deny`` refuses; it
  asks in server mode with its own session table; it has a posture only with an
  MDM);
- ``null-widens``: ``users: [~]`` (or ``[]``) decodes to an empty list: everyone;
- ``os-type-unreported``: an OS type no posture reports.

Findings are ``SemanticFinding`` objects and print as ``semantic: ...``, never in
Go's ``lint: <type>: <message>`` form. Times are taken as the Lambda TVM takes
them (``time.Now()``, UTC).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from itertools import product
from typing import Any, Iterable

from .evaluate import (
    DevicePosture,
    _device_empty,
    _equal_fold,
    _version_part,
    _split_version,
    compare_versions,
    hour_minutes,
    load_location,
    parse_hour_minute,
)
from .policy import KNOWN_OS_TYPES, VALID_MODES, VALID_WEEKDAYS, Condition, DeviceCondition, Policy, Rule, TimeWindow

__all__ = ["SemanticFinding", "semantic_lints", "format_finding", "REFERENCE_YEAR"]

REFERENCE_YEAR = 2026
_OTHER = "\x00other"
_DAY_NAMES = VALID_WEEKDAYS


@dataclass(frozen=True)
class SemanticFinding:
    line: int | None
    message: str
    code: str
    rule_index: int | None = None

    def __str__(self) -> str:
        return format_finding(self)


def format_finding(f: SemanticFinding, label: str = "") -> str:
    """``semantic: FILE:LINE: message [code]``: not Go's ``lint: <type>: <message>``."""
    where = f"{label}:{f.line or '-'}: " if label else (f"line {f.line}: " if f.line else "")
    return f"semantic: {where}{f.message} [{f.code}]"


# ---------------------------------------------------------------------------
# Time: each rule's window as a set of UTC minutes of the reference period


_START = datetime(REFERENCE_YEAR, 1, 1, tzinfo=timezone.utc)
_DAYS = 372  # a year and a week: every weekday in every DST state
_MINUTES = _DAYS * 1440
_ALL = (1 << _MINUTES) - 1


def _minute_of(t: datetime) -> int:
    return int((t - _START).total_seconds() // 60)


class _Bits:
    """Minutes of the reference period as a text of '0'/'1' (bit m is minute m), then one int."""

    def __init__(self) -> None:
        self.text = bytearray(b"0" * _MINUTES)

    def set_range(self, lo: int, hi: int) -> None:
        lo, hi = max(lo, 0), min(hi, _MINUTES)
        if hi > lo:
            self.text[_MINUTES - hi:_MINUTES - lo] = b"1" * (hi - lo)

    def set(self, m: int) -> None:
        if 0 <= m < _MINUTES:
            self.text[_MINUTES - 1 - m] = 0x31

    def value(self) -> int:
        return int(self.text, 2)


@functools.lru_cache(maxsize=256)
def _window_mask(days: tuple[str, ...], start: str | None, end: str | None, zone_name: str) -> int:
    loc: tzinfo = (load_location(zone_name) if zone_name else None) or timezone.utc
    if start is None:
        lo_m, hi_m = 0, 1440
    else:
        lo_m, hi_m = hour_minutes(start), hour_minutes(end or "")
        lo_m, hi_m = max(lo_m, 0), min(hi_m, 1440)
    if hi_m <= lo_m:
        return 0
    wanted = set(days)
    bits = _Bits()
    first = (_START - timedelta(days=2)).astimezone(loc).date()
    for k in range(_DAYS + 4):
        day = first + timedelta(days=k)
        if days and _DAY_NAMES[day.weekday()] not in wanted:
            continue
        midnight = datetime(day.year, day.month, day.day)
        noon_off = midnight.replace(hour=12, tzinfo=loc).utcoffset() or timedelta(0)
        u0 = (midnight - noon_off).replace(tzinfo=timezone.utc)
        u1m = u0 + timedelta(days=1, minutes=-1)
        if u0.astimezone(loc).utcoffset() == noon_off and u1m.astimezone(loc).utcoffset() == noon_off:
            base = _minute_of(u0)
            bits.set_range(base + lo_m, base + hi_m)
            continue
        # a day with an offset change: find the change, then each side has one offset
        a, b = u0 - timedelta(hours=6), u1m + timedelta(hours=6)
        off_a, off_b = a.astimezone(loc).utcoffset(), b.astimezone(loc).utcoffset()
        pieces = []
        if off_a == off_b:
            pieces.append((a, b + timedelta(minutes=1), off_a))
        else:
            lo_t, hi_t = a, b  # offset(lo_t) == off_a, offset(hi_t) != off_a
            while hi_t - lo_t > timedelta(minutes=1):
                mid = lo_t + (hi_t - lo_t) // 2
                mid = mid.replace(second=0, microsecond=0)
                if mid <= lo_t:
                    mid = lo_t + timedelta(minutes=1)
                if mid.astimezone(loc).utcoffset() == off_a:
                    lo_t = mid
                else:
                    hi_t = mid
            pieces.append((a, hi_t, off_a))
            pieces.append((hi_t, b + timedelta(minutes=1), hi_t.astimezone(loc).utcoffset()))
        for p_lo, p_hi, off in pieces:
            start = (midnight - (off or timedelta(0))).replace(tzinfo=timezone.utc)
            w_lo = max(p_lo, start + timedelta(minutes=lo_m))
            w_hi = min(p_hi, start + timedelta(minutes=hi_m))
            if w_hi > w_lo:
                bits.set_range(_minute_of(w_lo), _minute_of(w_hi))
    return bits.value()


def _time_mask(window: TimeWindow | None) -> int:
    if window is None:
        return _ALL
    days = tuple(window.days)
    if days and not any(d in VALID_WEEKDAYS for d in days):
        return 0
    hours = window.hours
    return _window_mask(days, hours.start if hours else None, hours.end if hours else None, window.timezone)


# ---------------------------------------------------------------------------
# Device postures: one representative per class the conditions tell apart

_FLAGS = (("require_encryption", "disk_encrypted"), ("require_mdm", "mdm_enrolled"),
          ("require_mdm_compliant", "mdm_compliant"), ("require_firewall", "firewall_enabled"))
_I64_MIN_TEXT = str(1 << 63)  # parses (wrapping) to the smallest int64


def _version_tuple(v: str) -> tuple[int, ...]:
    parts = [_version_part(p) for p in _split_version(v)]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _version_text(t: tuple[int, ...]) -> str:
    return ".".join(str(p if p >= 0 else p + (1 << 64)) for p in t) or "0"


def _postures(devices: list[DeviceCondition]) -> list[DevicePosture | None]:
    if not devices:
        return [None]
    flags = [attr for flag, attr in _FLAGS if any(getattr(d, flag) for d in devices)]
    versions = [""]
    if any(d.min_os_version for d in devices):
        versions.append(_I64_MIN_TEXT)
        for d in devices:
            if d.min_os_version:
                versions.append(_version_text(_version_tuple(d.min_os_version)))
    types = [""]
    if any(d.allowed_os_types for d in devices):
        types.append("zz-no-such-os")
        for d in devices:
            for t in d.allowed_os_types:
                if t and not any(_equal_fold(t, seen) for seen in types):
                    types.append(t)
    out: list[DevicePosture | None] = [None]
    for bits in product((True, False), repeat=len(flags)):
        for version in dict.fromkeys(versions):
            for os_type in types:
                out.append(DevicePosture(os_version=version, os_type=os_type, **dict(zip(flags, bits))))
    return out


def _device_ok(cond: DeviceCondition | None, posture: DevicePosture | None) -> bool:
    if _device_empty(cond):
        return True
    assert cond is not None
    if posture is None:
        return False
    for flag, attr in _FLAGS:
        if getattr(cond, flag) and getattr(posture, attr) is not True:
            return False
    if cond.min_os_version:
        if posture.os_version == "" or compare_versions(posture.os_version, cond.min_os_version) < 0:
            return False
    if cond.allowed_os_types:
        if posture.os_type == "" or not any(_equal_fold(posture.os_type, a) for a in cond.allowed_os_types):
            return False
    return True


# ---------------------------------------------------------------------------
# Reachability


def _values(rules: Iterable[Rule], attr: str, extra: Iterable[str] = ()) -> list[str]:
    seen: dict[str, None] = {}
    for rule in rules:
        for v in getattr(rule.conditions, attr):
            seen[v] = None
    for v in extra:
        seen[v] = None
    seen[_OTHER] = None
    return list(seen)


def _in(values: tuple[str, ...], value: str) -> bool:
    return not values or value in values


def _coverage(policy: Policy, mode_values: Iterable[str] | None = None) -> list[tuple[bool, set[int]]]:
    """Per rule: (matches some request, earlier rules that decide requests it matches
    -- empty when the rule decides some request itself)."""
    rules = policy.rules
    n = len(rules)
    profiles = _values(rules, "profiles")
    users = _values(rules, "users")
    modes = list(mode_values) if mode_values is not None else _values(rules, "mode", VALID_MODES)
    identity_sets: set[frozenset[int]] = set()
    for p, u, m in product(profiles, users, modes):
        identity_sets.add(frozenset(i for i, r in enumerate(rules)
                                    if _in(r.conditions.profiles, p) and _in(r.conditions.users, u)
                                    and _in(r.conditions.mode, m)))
    devices = [r.conditions.device for r in rules if not _device_empty(r.conditions.device)]
    device_sets: set[frozenset[int]] = set()
    for posture in _postures(devices):  # type: ignore[arg-type]
        device_sets.add(frozenset(i for i, r in enumerate(rules) if _device_ok(r.conditions.device, posture)))
    masks = [_time_mask(r.conditions.time) for r in rules]
    reachable = [False] * n
    decides = [False] * n
    blockers: list[set[int]] = [set() for _ in range(n)]
    for ident, dev in product(identity_sets, device_sets):
        live = sorted(ident & dev)
        covered = 0
        for i in live:
            if masks[i]:
                reachable[i] = True
                own = masks[i] & ~covered
                if own:
                    decides[i] = True
                if masks[i] & covered:
                    blockers[i].update(j for j in live if j < i and masks[j] & masks[i])
            covered |= masks[i]
            if covered == _ALL:
                # every later rule in this class is fully covered
                for k in live:
                    if k > i and masks[k]:
                        reachable[k] = True
                        blockers[k].update(j for j in live if j <= i and masks[j] & masks[k])
                break
    return [(reachable[i], set() if decides[i] else blockers[i]) for i in range(n)]


# ---------------------------------------------------------------------------
# Per-condition findings


def _hour_findings(rule: Rule, index: int) -> list[SemanticFinding]:
    window = rule.conditions.time
    if window is None or window.hours is None:
        return []
    hours = window.hours
    out = []
    for attr in ("start", "end"):
        text = getattr(hours, attr)
        h, m = parse_hour_minute(text)
        minutes = hour_minutes(text)
        plain = len(text) == 5 and text[2] == ":" and text[:2].isdigit() and text[3:].isdigit() and text.isascii()
        if plain and 0 <= h <= 23 and 0 <= m <= 59:
            continue
        if text == "" and attr == "end" and hours.start:
            meaning = "missing: Go reads it as 00:00"
        elif len(text.split(":")) != 2:
            meaning = f"Go reads {text!r} as 00:00 (it splits on ':' and wants exactly two parts)"
        else:
            meaning = f"Go reads {text!r} as minute {minutes} of the day"
            if 0 <= minutes <= 1440:
                meaning += f" ({minutes // 60:02d}:{minutes % 60:02d})"
        out.append(SemanticFinding(hours.line_of(attr) or rule.line or None,
                                   f"rule '{rule.name}': hours.{attr} {meaning}; validate rejects it but a TVM "
                                   "loads it", "hours-misread", index))
    lo, hi = hour_minutes(hours.start), hour_minutes(hours.end)
    if max(lo, 0) >= min(hi, 1440):
        if lo > hi and 0 <= hi and lo < 1440:
            why = (f"it crosses midnight ({hours.start}\u2013{hours.end}); Go compares [start, end) within one day. "
                   f"Write two rules: {hours.start}\u201324:00 and 00:00\u2013{hours.end}")
        elif lo == hi:
            why = f"start == end ({hours.start}); [start, end) is empty"
        else:
            why = f"[{hours.start}, {hours.end}) holds no minute of a day as Go reads it"
        out.append(SemanticFinding(hours.line or rule.line or None,
                                   f"rule '{rule.name}': hours never match: {why}", "hours-never-match", index))
    return out


def _time_findings(rule: Rule, index: int, tvm_known: bool) -> list[SemanticFinding]:
    window = rule.conditions.time
    if window is None:
        return []
    out = _hour_findings(rule, index)
    bad = [d for d in window.days if d not in VALID_WEEKDAYS]
    if bad:
        never = len(bad) == len(window.days)
        out.append(SemanticFinding(
            window.line_of("days") or rule.line or None,
            f"rule '{rule.name}': day(s) {', '.join(repr(d) for d in bad)} never match (Go compares with lowercase "
            f"names: monday ... sunday)" + ("; no day matches, so the rule never matches" if never else ""),
            "days-never-match", index))
    zone = window.timezone
    if zone:
        if zone == "Local":
            out.append(SemanticFinding(window.line_of("timezone") or None,
                                       f"rule '{rule.name}': timezone 'Local' is the TVM host's zone (UTC on a "
                                       "Lambda TVM), not the operator's", "zone-ignored", index))
        elif load_location(zone) is None:
            out.append(SemanticFinding(
                window.line_of("timezone") or None,
                f"rule '{rule.name}': timezone {zone!r} does not load: the TVM silently ignores it and compares "
                "the request's own time (UTC at a Lambda TVM)", "zone-ignored", index))
    return out


def _device_findings(rule: Rule, index: int, tvm: Any) -> list[SemanticFinding]:
    device = rule.conditions.device
    if _device_empty(device):
        return []
    assert device is not None
    out = []
    unknown = [t for t in device.allowed_os_types if t.lower() not in KNOWN_OS_TYPES]
    if unknown:
        never = len(unknown) == len(device.allowed_os_types)
        out.append(SemanticFinding(
            device.line_of("allowed_os_types") or device.line or None,
            f"rule '{rule.name}': MDM postures report darwin, windows or linux, never "
            f"{', '.join(repr(t) for t in unknown)}"
            + ("; with only such types the rule matches no real device" if never else ""),
            "os-type-unreported", index))
    if tvm is not None and (not getattr(tvm, "mdm_provider", "") or tvm.mdm_provider.lower() == "none"):
        out.append(SemanticFinding(
            device.line or rule.line or None,
            f"rule '{rule.name}' has device conditions, and TVM {tvm.source} has no MDM "
            "(SENTINEL_MDM_PROVIDER): it never has a posture, so this rule never matches there",
            "no-posture", index))
    return out


def _effect_findings(rule: Rule, index: int, tvm: Any) -> list[SemanticFinding]:
    effect = rule.effect
    where = f"TVM {tvm.source}" if tvm is not None else "a Lambda TVM"
    line = rule.line_of("effect") or rule.line or None
    if effect == "require_approval":
        return [SemanticFinding(line, f"rule '{rule.name}' is require_approval: {where} does not enforce it; only "
                                "deny refuses, so it issues credentials without approval", "not-enforced", index)]
    if effect in ("allow", "deny"):
        return []
    if effect == "require_server":
        return [SemanticFinding(line, f"rule '{rule.name}' is require_server: {where} always asks in server mode, "
                                "so it acts as allow there", "not-enforced", index)]
    if effect == "require_server_session":
        table = getattr(tvm, "session_table", "") if tvm is not None else None
        if table:
            return [SemanticFinding(line, f"rule '{rule.name}' is require_server_session: {where} has session table "
                                    f"{table!r}, so it acts as allow there", "not-enforced", index)]
        if tvm is not None:
            return [SemanticFinding(line, f"rule '{rule.name}' is require_server_session and {where} has no session "
                                    "table (SENTINEL_SESSION_TABLE): every request it matches is refused",
                                    "always-refused", index)]
        return [SemanticFinding(line, f"rule '{rule.name}' is require_server_session: a Lambda TVM allows it only "
                                "with SENTINEL_SESSION_TABLE set, and refuses every request it matches otherwise "
                                "(the rule's own session_table is not consulted)", "not-enforced", index)]
    shown = f"'{effect}'" if effect else "an empty effect"
    return [SemanticFinding(line, f"rule '{rule.name}' has {shown}: {where} returns it as written and, as it is "
                            "not deny, issues credentials", "not-enforced", index)]


# ---------------------------------------------------------------------------
# Null entries in lists (need the YAML: the decoded policy no longer has them)

_LISTS = {"conditions": ("profiles", "users", "mode"), "time": ("days",), "device": ("allowed_os_types",)}
_WIDEN = {"profiles": "every profile", "users": "every user", "mode": "every mode", "days": "every day",
          "allowed_os_types": "every OS type"}


def _null_findings(raw: bytes | str | None, policy: Policy) -> list[SemanticFinding]:
    if raw is None:
        return []
    try:
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        root = next(iter(yaml.compose_all(raw, Loader=loader)), None)
    except Exception:
        return []
    out: list[SemanticFinding] = []

    def get(node: Any, key: str) -> Any:
        if node is None or node.tag != "tag:yaml.org,2002:map":
            return None
        found = None
        for k, v in node.value:
            if getattr(k, "value", None) == key:
                found = v
        return found

    rules = get(root, "rules")
    if rules is None or rules.tag != "tag:yaml.org,2002:seq":
        return []
    for index, rule_node in enumerate(rules.value):
        if index >= len(policy.rules):
            break
        rule = policy.rules[index]
        cond = get(rule_node, "conditions")
        places = [(cond, _LISTS["conditions"]), (get(cond, "time"), _LISTS["time"]),
                  (get(cond, "device"), _LISTS["device"])]
        for parent, keys in places:
            for key in keys:
                seq = get(parent, key)
                if seq is None or seq.tag != "tag:yaml.org,2002:seq":
                    continue
                nulls = [item for item in seq.value if item.tag == "tag:yaml.org,2002:null"]
                line = seq.start_mark.line + 1
                if seq.value and len(nulls) == len(seq.value):
                    out.append(SemanticFinding(line, f"rule '{rule.name}': {key}: {_flow(seq)} decodes to an empty "
                                               f"list, which matches {_WIDEN[key]}", "null-widens", index))
                elif nulls:
                    out.append(SemanticFinding(line, f"rule '{rule.name}': {key} has a null entry; it is dropped",
                                               "null-widens", index))
                elif not seq.value:
                    out.append(SemanticFinding(line, f"rule '{rule.name}': {key}: [] matches {_WIDEN[key]}",
                                               "null-widens", index))
    return out


def _flow(seq: Any) -> str:
    return "[" + ", ".join(item.value or "~" for item in seq.value) + "]"


# ---------------------------------------------------------------------------


def semantic_lints(policy: Policy, raw: bytes | str | None = None, *, tvm: Any = None) -> list[SemanticFinding]:
    """Every semantic finding for a policy (as the TVM parses it), in rule order.

    ``raw``: the document's bytes (for null list entries). ``tvm``: the serving
    TVM's ``TvmConfig`` when known (its session table and MDM make findings
    definite), else a Lambda TVM is assumed.
    """
    data = raw if isinstance(raw, (bytes, type(None))) else raw.encode("utf-8")
    key = (policy, data, _tvm_key(tvm))
    try:
        hit = _CACHE.get(key)
    except TypeError:  # an unhashable policy: no cache
        return _lints(policy, data, tvm)
    if hit is None:
        if len(_CACHE) > 64:
            _CACHE.clear()
        hit = _CACHE[key] = tuple(_lints(policy, data, tvm))
    return list(hit)


def _tvm_key(tvm: Any) -> Any:
    if tvm is None:
        return None
    return (getattr(tvm, "source", ""), getattr(tvm, "session_table", ""), getattr(tvm, "mdm_provider", ""))


_CACHE: dict[Any, tuple[SemanticFinding, ...]] = {}


def _lints(policy: Policy, raw: bytes | None, tvm: Any) -> list[SemanticFinding]:
    found: list[SemanticFinding] = []
    specific_never: set[int] = set()
    for index, rule in enumerate(policy.rules):
        per_rule = _time_findings(rule, index, tvm is not None) + _device_findings(rule, index, tvm)
        for f in per_rule:
            if f.code == "hours-never-match" or (f.code == "days-never-match" and "never matches" in f.message):
                specific_never.add(index)
        found += per_rule
        found += _effect_findings(rule, index, tvm)
        modes = rule.conditions.mode
        if modes and not any(m in VALID_MODES for m in modes):
            specific_never.add(index)  # the reader already warns of each unknown mode
    found += _null_findings(raw, policy)
    try:
        coverage = _coverage(policy)
    except Exception:  # never let a lint break validation
        coverage = []
    for index, (reachable, blockers) in enumerate(coverage):
        rule = policy.rules[index]
        if not reachable:
            if index not in specific_never:
                found.append(SemanticFinding(rule.line or None, f"rule '{rule.name}' never matches any request",
                                             "never-matches", index))
            continue
        if blockers:
            names = ", ".join(f"'{policy.rules[j].name}'" for j in sorted(blockers))
            found.append(SemanticFinding(
                rule.line or None,
                f"rule '{rule.name}' never decides: every request it matches is decided earlier by {names}",
                "never-decides", index))
    found.sort(key=lambda f: (f.rule_index if f.rule_index is not None else -1, f.line or 0))
    return found
