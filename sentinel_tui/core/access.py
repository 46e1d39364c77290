"""Which requests change decision between two policies: an exact access diff.

Not sampled. The request space (user, profile, mode, session table, time with
its UTC offset, device posture) is cut into classes inside which neither policy
can tell two requests apart, both policies are evaluated (``evaluate.evaluate``,
upstream's ``Evaluate``) on one representative per class, and the classes whose
decision differs are merged into readable boxes, each with a concrete witness
request (the batch format of ``policy eval --requests``).

The classes, dimension by dimension (every condition is an AND of these, so a
class is a product of one class per dimension):

- ``user``, ``profile``: each value either policy lists, plus "any other value";
  values that every rule treats alike are merged (``alice, bob``).
- ``mode``: each mode listed, ``server`` (the special effects test it), and one
  other value. ``session_table``: empty or not (only ``require_server_session``
  reads it, and only whether it is empty).
- ``device``: no posture; else each ``require_*`` flag either policy uses true or
  not true (false and missing fail alike); ``os_version`` below every
  ``min_os_version`` threshold and at each threshold (Go's version order); the OS
  types listed plus one other.
- ``time``: a window converts the request time to its zone (when Go's
  ``LoadLocation`` loads it) and tests weekday and ``[start, end)`` minutes there.
  Its decision can change only at the minute boundaries of a window (its start,
  end and midnight) in the window's zone, and at a zone's UTC-offset changes. The
  span examined is from 1 January of last year to 1 January two years ahead
  (``span_years``), cut at every offset change of every zone mentioned (DST
  included); between two cuts every zone is a fixed offset from UTC, so the
  pattern repeats weekly and one week of each such period holds every class.
  A window with no zone, or a zone that does not load, reads the wall clock of
  the request's own offset instead: that offset (any whole minute within ±23:59)
  is then a dimension too. Its boundaries are cut in wall-clock minutes, and each
  instant class is paired with every wall-clock class within ±23:59 of it (the
  offsets a request can carry), so a pair that no request can reach is never
  reported and none that one can reach is missed.

Outside the span a zone may change its rules (tzdata); within it the result is
exact. A change of deciding rule (name or reason) with the same decision is
reported apart from the access changes (``rule_changes``): ``identical`` speaks
of access only.

The classes are walked as states (the set of rules whose conditions still hold,
server mode or not, a session table or not): the decisions depend on nothing else,
so the work grows with the number of states, not with the product of the class
counts. Each state is decided by ``evaluate`` on one of its requests, and the rule
it decides by must be the rule the partition predicted (an internal check that
stops the diff rather than report a wrong answer). Every witness is evaluated on
both policies again before it is reported.

For callers: ``access_diff(old, new)`` (None for "no policy": every request
denied) returns an :class:`AccessDiff` with ``identical``, ``changes``,
``rule_changes``, ``lines()``, ``to_json()`` and ``locate(request)``. Pass ``now``
for a reproducible result (witnesses are taken near it); by default it is the
clock. Pure otherwise: the evaluator reads zoneinfo files, as Go does.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Iterable, Sequence

from .evaluate import (
    Decision,
    DevicePosture,
    Request,
    compare_versions,
    evaluate,
    format_rfc3339,
    hour_minutes,
    load_location,
    matches,
)
from .policy import Condition, DeviceCondition, Policy, TimeWindow, format_go_duration

__all__ = ["AccessChange", "AccessDiff", "access_diff", "decision_text"]

_MIN_DAY = 1440
_WEEK = 7 * _MIN_DAY
_MAX_OFFSET = 23 * 60 + 59
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_VALID_MODES = ("server", "cli", "credential_process")
_FLAGS = (("require_encryption", "disk_encrypted"), ("require_mdm", "mdm_enrolled"),
          ("require_mdm_compliant", "mdm_compliant"), ("require_firewall", "firewall_enabled"))
_FLAG_LABEL = {"disk_encrypted": "disk encrypted", "mdm_enrolled": "MDM enrolled",
               "mdm_compliant": "MDM compliant", "firewall_enabled": "firewall on"}


# --------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class AccessChange:
    """A box of requests whose decision goes from ``old`` to ``new``."""

    old: Decision
    new: Decision
    summary: str
    witness: Request

    def to_json(self) -> dict:
        return {"from": self.old.to_json(), "to": self.new.to_json(), "summary": self.summary,
                "witness": self.witness.to_json()}


@dataclass(frozen=True)
class AccessDiff:
    """``changes``: decisions that differ; ``rule_changes``: same decision, another deciding rule."""

    changes: tuple[AccessChange, ...]
    rule_changes: tuple[AccessChange, ...] = ()
    #: how many request classes were compared (for the curious and for tests)
    classes: int = 0
    span: tuple[str, str] = ("", "")
    _locate: Any = field(default=None, compare=False, repr=False)

    def locate(self, request: Request) -> AccessChange | None:
        """The reported change (access or rule) whose box holds ``request``, or None.

        Raises LookupError when the request falls in no class: the partition missed
        something (never expected; the property tests ask this of random requests)."""
        return self._locate(request) if self._locate is not None else None

    @property
    def identical(self) -> bool:
        return not self.changes

    def to_json(self) -> dict:
        return {"identical": self.identical, "changes": [c.to_json() for c in self.changes],
                "rule_changes": [c.to_json() for c in self.rule_changes],
                "classes": self.classes, "span": {"from": self.span[0], "to": self.span[1]}}

    def lines(self) -> list[str]:
        """Plain text for a terminal or a confirmation screen."""
        if not self.changes and not self.rule_changes:
            return ["Access is identical: no request changes decision."]
        out: list[str] = []
        if self.changes:
            out.append(f"{len(self.changes)} access change{'s' if len(self.changes) != 1 else ''}:")
            for c in self.changes:
                out.append(f"  {c.summary}")
                out.append(f"      e.g. {witness_text(c.witness)}")
        else:
            out.append("Access is identical: no request changes decision.")
        if self.rule_changes:
            out.append(f"{len(self.rule_changes)} change{'s' if len(self.rule_changes) != 1 else ''} of deciding "
                       "rule with the same decision:")
            for c in self.rule_changes:
                out.append(f"  {c.summary}")
        return out


def decision_text(d: Decision) -> str:
    extra = []
    if d.max_server_duration:
        extra.append(f"max {format_go_duration(d.max_server_duration)}")
    if d.session_table:
        extra.append(f"session table {d.session_table}")
    if d.requires_server_mode:
        extra.append("requires server mode")
    if d.requires_session_tracking:
        extra.append("requires session tracking")
    text = d.effect if d.effect else "(empty effect)"
    return text + (f" ({', '.join(extra)})" if extra else "")


def _rule_text(d: Decision) -> str:
    return f"rule {d.rule!r}" if d.rule_index >= 0 else "no rule (default deny)"


def witness_text(r: Request) -> str:
    parts = [f"user={r.user}", f"profile={r.profile}", f"mode={r.mode}", f"time={format_rfc3339(r.time)}"]
    if r.session_table:
        parts.append(f"session_table={r.session_table}")
    if r.device is None:
        parts.append("no device posture")
    else:
        parts.append("device=" + ",".join(f"{k}={v}" for k, v in r.device.to_json().items()
                                            if k not in ("device_id", "status", "collected_at")))
    return " ".join(parts)


# --------------------------------------------------------------------------------------
# value classes (users, profiles, modes, sessions, device)


@dataclass
class _Class:
    value: Any  # the representative
    members: list  # descriptions of what the class holds (for the summary)
    mask: int  # bit r set: rule r's condition on this dimension matches
    other: bool = False  # holds "any other value"
    extra: int = 0  # mode: 1 = server; session: 1 = non-empty


def _fresh(base: str, taken: set[str]) -> str:
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def _merge(classes: list[_Class]) -> list[_Class]:
    """Classes that every rule treats alike are one class."""
    by: dict[tuple[int, int], _Class] = {}
    for c in classes:
        key = (c.mask, c.extra)
        if key in by:
            m = by[key]
            m.members.extend(c.members)
            m.other = m.other or c.other
        else:
            by[key] = _Class(c.value, list(c.members), c.mask, c.other, c.extra)
    return list(by.values())


class _Space:
    def __init__(self, old: Policy | None, new: Policy | None, now: datetime, span_years: int) -> None:
        self.old, self.new = old, new
        self.old_rules = tuple(old.rules) if old is not None else ()
        self.new_rules = tuple(new.rules) if new is not None else ()
        self.rules = self.old_rules + self.new_rules
        self._groups: dict[Any, dict[Any, int]] = {}
        self.n_old = len(self.old_rules)
        self.old_all = (1 << self.n_old) - 1
        self.new_all = ((1 << len(self.rules)) - 1) ^ self.old_all
        self.now = now.astimezone(timezone.utc).replace(second=0, microsecond=0)
        self.base = Request(user="", profile="", time=self.now)
        year = self.now.year
        self.span_start = datetime(year - 1, 1, 1, tzinfo=timezone.utc)
        self.span_end = datetime(year - 1 + span_years, 1, 1, tzinfo=timezone.utc)

    # a dimension's mask: the rules whose condition on this dimension matches the request
    def mask(self, cond_of, request: Request) -> int:
        """Rules whose condition ``cond_of(conditions)`` matches ``request`` (asked once per distinct condition)."""
        groups = self._groups.get(cond_of)
        if groups is None:
            groups = {}
            for i, rule in enumerate(self.rules):
                cond = cond_of(rule.conditions)
                groups[cond] = groups.get(cond, 0) | (1 << i)
            self._groups[cond_of] = groups
        m = 0
        for cond, bits in groups.items():
            if matches(cond, request):
                m |= bits
        return m

    def list_masks(self, attr: str) -> tuple[int, dict[str, int]]:
        """For a list condition (users, profiles, mode): the rules with an empty list (they match any
        value) and, per value listed, the rules that list it. A value matches a rule's list when the
        list is empty or holds it exactly (``containsOrEmpty``; ``matchesMode`` alike)."""
        empty, index = 0, {}
        for i, rule in enumerate(self.rules):
            values = getattr(rule.conditions, attr)
            if not values:
                empty |= 1 << i
            for v in values:
                index[v] = index.get(v, 0) | (1 << i)
        return empty, index

    def _named(self, attr: str, base: str) -> list[_Class]:
        mentioned: list[str] = []
        for rule in self.rules:
            for v in getattr(rule.conditions, attr):
                if v not in mentioned:
                    mentioned.append(v)
        other = _fresh(base, set(mentioned))
        empty, index = self.list_masks(attr)
        out = [_Class(v, [v], empty | index[v]) for v in mentioned]
        out.append(_Class(other, [], empty, other=True))
        return _merge(out)

    def users(self) -> list[_Class]:
        return self._named("users", "someone-else")

    def profiles(self) -> list[_Class]:
        return self._named("profiles", "other-profile")

    def modes(self) -> list[_Class]:
        mentioned: list[str] = []
        for rule in self.rules:
            for v in rule.conditions.mode:
                if v not in mentioned:
                    mentioned.append(v)
        values = list(mentioned)
        if "server" not in values:
            values.append("server")
        other = next((m for m in _VALID_MODES if m not in values), None) or _fresh("other-mode", set(values))
        empty, index = self.list_masks("mode")
        out = [_Class(v, [v], empty | index.get(v, 0), extra=int(v == "server")) for v in values]
        out.append(_Class(other, [], empty, other=True))
        return _merge(out)

    def sessions(self) -> list[_Class]:
        table = next((r.session_table for r in self.rules if r.session_table), "sentinel-sessions")
        every = (1 << len(self.rules)) - 1
        return [_Class("", ["no session table"], every, extra=0),
                _Class(table, ["a session table"], every, extra=1)]

    # device postures
    def devices(self) -> tuple[list[_Class], "_DeviceInfo"]:
        conds = [r.conditions.device for r in self.rules if r.conditions.device is not None]
        flags = [attr for flag, attr in _FLAGS if any(getattr(c, flag) for c in conds)]
        thresholds: list[str] = []
        for c in conds:
            if c.min_os_version and c.min_os_version not in thresholds:
                thresholds.append(c.min_os_version)
        os_types: list[str] = []
        for c in conds:
            for t in c.allowed_os_types:
                if t not in os_types:
                    os_types.append(t)
        info = _DeviceInfo(flags, thresholds, os_types)
        cond_of = _device_of
        out = [_Class(None, [None], self.mask(cond_of, _replace(self.base, device=None)))]
        if any(not _device_empty(c) for c in conds):
            for combo in info.postures():
                posture = info.posture(combo)
                out.append(_Class(posture, [combo], self.mask(cond_of, _replace(self.base, device=posture))))
        return _merge(out), info


def _replace_decision(d: Decision, index: int) -> Decision:
    from dataclasses import replace

    return replace(d, rule_index=index)


def _device_of(c: Condition) -> Condition:
    return Condition(device=c.device)


def _users_of(c: Condition) -> Condition:
    return Condition(users=c.users)


def _profiles_of(c: Condition) -> Condition:
    return Condition(profiles=c.profiles)


def _mode_of(c: Condition) -> Condition:
    return Condition(mode=c.mode)


def _replace(req: Request, **kw: Any) -> Request:
    from dataclasses import replace

    return replace(req, **kw)


def _device_empty(c: DeviceCondition | None) -> bool:
    return c is None or not (c.require_encryption or c.require_mdm or c.require_mdm_compliant
                             or c.require_firewall or c.min_os_version or c.allowed_os_types)


def _below(version: str) -> str:
    """A version Go orders just below ``version`` (readable when it can be)."""
    parts = [p for p in version.replace("-", ".").replace("+", ".").split(".") if p]
    if parts and all(p.isdigit() and len(p) < 18 for p in parts):
        nums = [int(p) for p in parts]
        while nums and nums[-1] == 0:
            nums.pop()
        if nums:
            nums[-1] -= 1
            text = ".".join(str(n) for n in nums)
            if compare_versions(text, version) < 0:
                return text
    # a last part of 2**64 - 1 wraps to -1 in Go's int arithmetic: below anything equal to version
    return version + "." + str((1 << 64) - 1)


@dataclass
class _DeviceInfo:
    flags: list[str]
    thresholds: list[str]
    os_types: list[str]

    def __post_init__(self) -> None:
        ordered: list[str] = []
        for t in sorted(self.thresholds, key=functools.cmp_to_key(compare_versions)):
            if not ordered or compare_versions(ordered[-1], t) != 0:
                ordered.append(t)
        self.ordered = ordered
        self.versions = ([_below(ordered[0])] + ordered) if ordered else [""]
        lowered = {t.lower() for t in self.os_types}
        other = next((t for t in ("linux", "windows", "darwin") if t not in lowered), "other-os")
        self.os_reps = (list(self.os_types) + [other]) if self.os_types else [""]
        self.os_other = other

    def postures(self) -> Iterable[tuple]:
        import itertools

        flag_values = list(itertools.product((True, False), repeat=len(self.flags)))
        for fv in flag_values:
            for vi in range(len(self.versions)):
                for oi in range(len(self.os_reps)):
                    yield (fv, vi, oi)

    def posture(self, combo: tuple) -> DevicePosture:
        fv, vi, oi = combo
        kw: dict[str, Any] = {attr: value for attr, value in zip(self.flags, fv)}
        return DevicePosture(device_id="witness", os_version=self.versions[vi], os_type=self.os_reps[oi], **kw)

    def describe(self, combos: list) -> str:
        """``combos``: the device classes' members in a box (None: no posture)."""
        every = [None] + list(self.postures())
        if set(combos) >= set(every):
            return ""
        parts: list[str] = []
        no_posture = None in combos
        real = [c for c in combos if c is not None]
        if not real:
            return "no device posture"
        # describe as a product when it is one
        flag_sets = [sorted({c[0][i] for c in real}, reverse=True) for i in range(len(self.flags))]
        vset = sorted({c[1] for c in real})
        oset = sorted({c[2] for c in real})
        import itertools

        product = {(fv, vi, oi) for fv in itertools.product(*flag_sets) for vi in vset for oi in oset} \
            if self.flags else {((), vi, oi) for vi in vset for oi in oset}
        if product == set(real):
            for attr, values in zip(self.flags, flag_sets):
                if len(values) == 1:
                    parts.append(f"{_FLAG_LABEL[attr]} {'true' if values[0] else 'not true'}")
            if len(vset) < len(self.versions):
                parts.append(self._versions_text(vset))
            if len(oset) < len(self.os_reps):
                parts.append(self._os_text(oset))
            desc = ", ".join(p for p in parts if p) or "any posture"
        else:
            desc = f"{len(real)} kinds of device posture"
        return f"no device posture or {desc}" if no_posture else f"device {desc}"

    def _versions_text(self, vset: list[int]) -> str:
        runs: list[list[int]] = []
        for v in vset:
            if runs and runs[-1][-1] == v - 1:
                runs[-1].append(v)
            else:
                runs.append([v])
        texts = []
        for run in runs:
            lo, hi = run[0], run[-1]  # version index 0 is below the first threshold, i is ordered[i-1]
            low = None if lo == 0 else self.ordered[lo - 1]
            high = self.ordered[hi] if hi < len(self.ordered) else None
            if low is None:
                texts.append(f"os_version < {high} (or none)")
            elif high is None:
                texts.append(f"os_version ≥ {low}")
            else:
                texts.append(f"{low} ≤ os_version < {high}")
        return " or ".join(texts)

    def _os_text(self, oset: list[int]) -> str:
        names = [self.os_reps[i] for i in oset if self.os_reps[i] != self.os_other]
        if len(self.os_reps) - 1 in oset:
            excluded = [t for i, t in enumerate(self.os_reps[:-1]) if i not in oset]
            return "os_type other than " + ", ".join(excluded) if excluded else ""
        return "os_type " + ", ".join(names)


# --------------------------------------------------------------------------------------
# time


def _minutes(dt: datetime) -> int:
    return int((dt - _EPOCH).total_seconds()) // 60


def _at(minute: int, offset: int = 0) -> datetime:
    return (_EPOCH + timedelta(minutes=minute)).astimezone(timezone(timedelta(minutes=offset)))


def _offset(tz: tzinfo, minute: int) -> int:
    off = _at(minute).astimezone(tz).utcoffset() or timedelta(0)
    return int(off.total_seconds()) // 60


@functools.lru_cache(maxsize=64)
def _transitions(tz: tzinfo, start: int, end: int) -> tuple[int, ...]:
    """The minutes at which ``tz``'s UTC offset changes in [start, end)."""
    out = []
    step = 6 * 60
    prev = _offset(tz, start)
    t = start
    while t < end:
        nxt = min(t + step, end)
        off = _offset(tz, nxt)
        if off != prev:
            lo, hi = t, nxt  # offset(lo) == prev, offset(hi) != prev
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset(tz, mid) == prev:
                    lo = mid
                else:
                    hi = mid
            out.append(hi)
            prev = off
        t = nxt
    return tuple(out)


def _boundaries(window: TimeWindow) -> set[int]:
    cuts = {0}
    if window.hours is not None:
        for text in (window.hours.start, window.hours.end):
            m = hour_minutes(text)
            if 0 < m < _MIN_DAY:
                cuts.add(m)
    return cuts


def _cuts_in(boundaries: set[int], lo: int, hi: int) -> list[int]:
    """Wall-clock minutes in [lo, hi) that fall on a boundary minute of the day."""
    out = []
    day = lo // _MIN_DAY
    while day * _MIN_DAY < hi:
        for b in boundaries:
            m = day * _MIN_DAY + b
            if lo <= m < hi:
                out.append(m)
        day += 1
    return out


@dataclass
class _TimeClass:
    instant: int  # minutes since the epoch (UTC)
    offset: int  # the request's UTC offset, minutes
    sig: tuple
    mask: int
    #: where this class occurs: (instant segment start, end, period start, period end)
    spots: list = field(default_factory=list)


class _Time:
    def __init__(self, space: _Space) -> None:
        self.space = space
        windows: list[TimeWindow] = []
        for rule in space.rules:
            w = rule.conditions.time
            if w is not None and w not in windows:
                windows.append(w)
        self.windows = windows
        self.zoned: dict[str, tuple[tzinfo, set[int]]] = {}
        self.local: set[int] = set()
        for w in windows:
            tz = load_location(w.timezone) if w.timezone else None
            if tz is None:
                self.local |= _boundaries(w)
            else:
                entry = self.zoned.setdefault(w.timezone, (tz, set()))
                entry[1].update(_boundaries(w))
        self.display = next(iter(self.zoned), None)
        self._cache: dict[tuple[int, int], bool] = {}
        # rule bit -> index of its window
        self.rule_window = [windows.index(r.conditions.time) if r.conditions.time is not None else -1
                            for r in space.rules]

    def _signature(self, instant: int, offset: int, zone_offsets: dict[str, int]) -> tuple:
        """Which windows match at ``instant`` for a request carrying ``offset``.

        A window reads only the weekday and minute of the wall clock in its zone (or
        the request's offset), so each answer is asked of the evaluator once per
        window and minute of the week, then reused."""
        out = []
        req = None
        for wi, w in enumerate(self.windows):
            zoff = zone_offsets.get(w.timezone) if w.timezone in self.zoned else None
            key = (wi, (instant + (offset if zoff is None else zoff)) % _WEEK)
            hit = self._cache.get(key)
            if hit is None:
                if req is None:
                    req = _replace(self.space.base, time=_at(instant, offset))
                hit = self._cache[key] = matches(Condition(time=w), req)
            out.append(hit)
        return tuple(out)

    def _mask(self, sig: tuple) -> int:
        m = 0
        for i, wi in enumerate(self.rule_window):
            if wi < 0 or sig[wi]:
                m |= 1 << i
        return m

    _periods: list[tuple[int, int]] = []

    def periods(self) -> list[tuple[int, int]]:
        start, end = _minutes(self.space.span_start), _minutes(self.space.span_end)
        cuts = {start, end}
        for tz, _b in self.zoned.values():
            cuts.update(_transitions(tz, start, end))
        ordered = sorted(cuts)
        periods = list(zip(ordered, ordered[1:]))
        now = _minutes(self.space.now)
        # the period holding now first, then the later ones, then the earlier ones
        return sorted(periods, key=lambda p: (0, p[0]) if p[1] > now else (1, -p[0]))

    def classes(self) -> list[_TimeClass]:
        by: dict[tuple, _TimeClass] = {}
        now = _minutes(self.space.now)

        zone_offsets: dict[str, int] = {}
        # the windows of a zone cannot tell apart two minutes between the same two boundaries of
        # its week: ask the evaluator once per combination of such slots
        mon = 4 * _MIN_DAY
        slots = [(z, sorted(d * _MIN_DAY + b for d in range(7) for b in bounds))
                 for z, (_tz, bounds) in self.zoned.items()]
        lslots = sorted(d * _MIN_DAY + b for d in range(7) for b in self.local)
        by_slots: dict[tuple, tuple] = {}

        def add(instant: int, offset: int, spot: tuple) -> None:
            key = tuple(bisect_right(marks, (instant + zone_offsets[z] - mon) % _WEEK) for z, marks in slots)
            key += (bisect_right(lslots, (instant + offset - mon) % _WEEK),)
            sig = by_slots.get(key)
            if sig is None:
                sig = by_slots[key] = self._signature(instant, offset, zone_offsets)
            tc = by.get(sig)
            if tc is None:
                tc = by[sig] = _TimeClass(instant, offset, sig, self._mask(sig))
            elif abs(offset) < abs(tc.offset):  # a witness with a likelier offset
                tc.instant, tc.offset = instant, offset
            tc.spots.append(spot)

        if not self.windows:
            return [_TimeClass(now, 0, (), self._mask(()), [])]
        if not self.zoned:
            # wall clock of the request's own offset only: one week of it, at offset 0
            monday = now - (now // _MIN_DAY + 3) % 7 * _MIN_DAY  # 1970-01-01 was a Thursday
            monday -= monday % _MIN_DAY
            cuts = sorted(set(_cuts_in(self.local, monday, monday + _WEEK)))
            for a, b in zip(cuts, cuts[1:] + [monday + _WEEK]):
                add(a, 0, (a, b, None, None))
            return list(by.values())
        self._periods = self.periods()
        for p0, p1 in self._periods:
            s = now if p0 <= now and now + _WEEK <= p1 else p0
            e = min(p1, s + _WEEK)
            cut = {s}
            for zname, (tz, bounds) in self.zoned.items():
                off = zone_offsets[zname] = _offset(tz, s)
                cut.update(m - off for m in _cuts_in(bounds, s + off, e + off))
            cuts = sorted(cut)
            for a, b in zip(cuts, cuts[1:] + [e]):
                if not self.local:
                    add(a, 0, (a, b, p0, p1))
                    continue
                # pair the instants [a, b) with every wall-clock class within ±23:59 of them
                lo, hi = a - _MAX_OFFSET, b - 1 + _MAX_OFFSET + 1
                lcuts = sorted({lo, *_cuts_in(self.local, lo, hi)})
                for c, d in zip(lcuts, lcuts[1:] + [hi]):
                    spot = (a, b, p0, p1, c, d)
                    if c < b and d > a:  # overlap: offset 0
                        add(max(a, c), 0, spot)
                    elif d <= a:
                        add(a, (d - 1) - a, spot)
                    else:
                        add(b - 1, c - (b - 1), spot)
        return list(by.values())

    # ---- the summary of a set of time classes
    def describe(self, classes: list[_TimeClass], every: int, zone: str | None = None) -> str:
        if len(classes) == every:
            return ""
        if not self.zoned:
            zone_label = "in the request's own UTC offset"
            pattern = self._pattern([(a, b) for tc in classes for (a, b, *_p) in tc.spots], 0)
            return f"{pattern} {zone_label}" if pattern else ""
        name = zone if zone in self.zoned else self.display
        tz = self.zoned[name][0]
        by_period: dict[tuple[int, int], list[tuple[int, int]]] = {}
        local: list[tuple[int, int]] = []
        for tc in classes:
            for a, b, p0, p1, *cd in tc.spots:
                by_period.setdefault((p0, p1), []).append((a, b))
                if cd:
                    local.append((max(cd[0], a - _MAX_OFFSET), min(cd[1], b + _MAX_OFFSET)))
        patterns: dict[str, list[tuple[int, int]]] = {}
        for p0, p1 in self._periods:
            segs = by_period.get((p0, p1))
            text = self._pattern(segs, _offset(tz, p0)) if segs else "never"
            patterns.setdefault(text, []).append((p0, p1))
        weight = {t: sum(p1 - p0 for p0, p1 in ps) for t, ps in patterns.items()}
        main = max(patterns, key=lambda t: weight[t])
        others = [t for t in patterns if t != main]
        notes = []
        now = _minutes(self.space.now)
        for t in sorted(others, key=lambda t: -weight[t])[:2]:
            ps = sorted(patterns[t], key=lambda p: (p[1] <= now, p[0] if p[1] > now else -p[0]))
            when = ", ".join(f"{_at(p0).astimezone(tz):%Y-%m-%d}–{_at(p1).astimezone(tz):%Y-%m-%d}"
                             for p0, p1 in ps[:3]) + (", …" if len(ps) > 3 else "")
            notes.append(f"{t or 'any time'}{'' if t == 'never' else ' ' + name} in {when}")
        note = "; ".join(notes) + ("; …" if len(others) > 2 else "")
        if main == "never":
            text = f"only around UTC-offset changes: {note}"
        else:
            text = f"{main or 'any time'} {name}" + (f" (around UTC-offset changes: {note})" if note else "")
        if self.local:
            wall = self._pattern(local, 0)
            text += (f" with {wall} on the clock of the request's own UTC offset" if wall else
                     " (also depends on the request's UTC offset)")
        return text.strip()

    @staticmethod
    def _pattern(segs: list[tuple[int, int]], offset: int) -> str:
        """Weekly wall-clock pattern of instant segments seen at ``offset``."""
        mon = 4 * _MIN_DAY  # 1970-01-05 was a Monday: week minute 0
        spans: list[tuple[int, int]] = []
        for a, b in segs:
            if b - a >= _WEEK:
                return ""
            x = (a + offset - mon) % _WEEK
            y = x + (b - a)
            if y <= _WEEK:
                spans.append((x, y))
            else:
                spans += [(x, _WEEK), (0, y - _WEEK)]
        spans.sort()
        merged: list[list[int]] = []
        for x, y in spans:
            if merged and x <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], y)
            else:
                merged.append([x, y])
        if merged and merged[0] == [0, _WEEK]:
            return ""
        days: list[tuple] = []
        for d in range(7):
            lo, hi = d * _MIN_DAY, (d + 1) * _MIN_DAY
            days.append(tuple((max(x, lo) - lo, min(y, hi) - lo) for x, y in merged if x < hi and y > lo))
        groups: list[tuple[int, int, tuple]] = []
        for d, ranges in enumerate(days):
            if not ranges:
                continue
            if groups and groups[-1][1] == d - 1 and groups[-1][2] == ranges:
                groups[-1] = (groups[-1][0], d, ranges)
            else:
                groups.append((d, d, ranges))
        out = []
        for d0, d1, ranges in groups:
            label = _DAYS[d0] if d0 == d1 else "every day" if (d0, d1) == (0, 6) else f"{_DAYS[d0]}–{_DAYS[d1]}"
            if ranges == ((0, _MIN_DAY),):
                out.append(label)
            else:
                out.append(label + " " + ", ".join(f"{_hm(a)}–{_hm(b)}" for a, b in ranges))
        return ", ".join(out)


def _hm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


# --------------------------------------------------------------------------------------
# the diff


def _named_text(classes: list[_Class], chosen: set[int], noun: str, plural: str, all_of: list[_Class]) -> str:
    if len(chosen) == len(all_of):
        return ""
    named = [m for i in sorted(chosen) for m in classes[i].members]
    if any(classes[i].other for i in chosen):
        excluded = [m for i, c in enumerate(classes) if i not in chosen for m in c.members]
        return f"any {noun} except {', '.join(excluded)}" if excluded else ""
    return (plural if len(named) > 1 else noun) + " " + ", ".join(named)


_DIMS = ("time", "users", "profiles", "modes", "sessions", "devices")


def access_diff(old: Policy | None, new: Policy | None, *, now: datetime | None = None,
                span_years: int = 3) -> AccessDiff:
    """The exact access diff between ``old`` and ``new`` (None: no policy, every request denied)."""
    now = now or datetime.now(timezone.utc)
    space = _Space(old, new, now, span_years)
    timer = _Time(space)
    times = timer.classes()
    users, profiles, modes, sessions = space.users(), space.profiles(), space.modes(), space.sessions()
    devices, dinfo = space.devices()
    dims: list[list] = [times, users, profiles, modes, sessions, devices]

    memo: dict[tuple, Decision] = {}

    def request(idx: tuple) -> Request:
        t, u, p, m, s, d = idx
        tc = times[t]
        return Request(user=users[u].value, profile=profiles[p].value, time=_at(tc.instant, tc.offset),
                       mode=modes[m].value, session_table=sessions[s].value, device=devices[d].value)

    def decide(policy: Policy | None, first: int, idx: tuple, base: int) -> Decision:
        key = (id(policy), first, modes[idx[3]].extra, sessions[idx[4]].extra)
        dec = memo.get(key)
        if dec is None:
            expected = first - base if first >= 0 else -1
            req = request(idx)
            if policy is not None and expected >= 0 and len(memo) >= 200:
                # many classes: the deciding rule alone decides (special effects included); the first
                # 200 and every witness are checked against the whole policy
                rule = policy.rules[expected]
                if not matches(rule.conditions, req):
                    raise AssertionError(f"access diff: class {idx} predicted rule {expected}, which does not match")
                dec = _replace_decision(evaluate(Policy(version=policy.version, rules=(rule,)), req), expected)
                memo[key] = dec
                return dec
            dec = evaluate(policy, req)
            if dec.rule_index != expected:  # the partition missed something: never report a wrong answer
                raise AssertionError(f"access diff: class {idx} predicted rule {expected}, evaluate says "
                                     f"{dec.rule_index}")
            memo[key] = dec
        return dec

    def locate(r: Request) -> AccessChange | None:
        """The request's class, found the way the classes were built, then its box."""
        t_zone_offsets = {z: _offset(tz, _minutes(r.time)) for z, (tz, _b) in timer.zoned.items()}
        off = int((r.time.utcoffset() or timedelta(0)).total_seconds()) // 60
        sig = timer._signature(_minutes(r.time), off, t_zone_offsets)
        idx = [next((i for i, tc in enumerate(times) if tc.sig == sig), None)]
        for classes, cond_of, kw in (
            (users, _users_of, {"user": r.user}),
            (profiles, _profiles_of, {"profile": r.profile}),
            (modes, _mode_of, {"mode": r.mode}),
            (sessions, None, {}),
            (devices, _device_of, {"device": r.device}),
        ):
            if cond_of is None:
                idx.append(int(r.session_table != ""))
                continue
            m = space.mask(cond_of, _replace(space.base, **kw))
            extra = int(r.mode == "server") if classes is modes else 0
            idx.append(next((i for i, c in enumerate(classes) if c.mask == m and c.extra == extra), None))
        if None in idx:
            raise LookupError(f"access diff: {r} falls in no class ({idx})")
        cell = tuple(idx)
        for box, change in located:
            if all(i in s for i, s in zip(cell, box)):
                return change
        return None

    # Walk the dimensions keeping, for each distinct (rule mask, server mode, session table) state,
    # the boxes of classes that lead to it: the decisions depend only on that state, so the work
    # grows with the number of states, not with the product of the class counts.
    full = (1 << len(space.rules)) - 1
    states: dict[tuple[int, int, int], list[tuple]] = {(full, 0, 0): [()]}
    for depth, classes in enumerate(dims):
        nxt: dict[tuple[int, int, int], list[tuple]] = {}
        for (mask, sv, ss), prefixes in states.items():
            targets: dict[tuple[int, int, int], list[int]] = {}
            for i, c in enumerate(classes):
                m = mask & c.mask
                if not m:
                    continue  # both policies deny by default for every completion: no change
                state = (m, c.extra if depth == 3 else sv, c.extra if depth == 4 else ss)
                targets.setdefault(state, []).append(i)
            for state, idxs in targets.items():
                chosen = frozenset(idxs)
                nxt.setdefault(state, []).extend(pre + (chosen,) for pre in prefixes)
        states = {state: _merge_boxes(boxes_) if len(boxes_) > 1 else boxes_ for state, boxes_ in nxt.items()}

    changed: list[tuple[tuple, tuple]] = []
    count = 0
    for (mask, _sv, _ss), boxes_ in states.items():
        om, nm = mask & space.old_all, mask & space.new_all
        of = (om & -om).bit_length() - 1 if om else -1
        nf = (nm & -nm).bit_length() - 1 if nm else -1
        idx = tuple(min(s_) for s_ in boxes_[0])
        a = decide(old, of, idx, 0)
        b = decide(new, nf, idx, space.n_old)
        for box in boxes_:
            size = 1
            for s_ in box:
                size *= len(s_)
            count += size
        if a.access_key() != b.access_key():
            key = ("access", a.access_key(), b.access_key())
        elif (a.rule, a.reason) != (b.rule, b.reason):
            key = ("rule", a.access_key(), (a.rule, a.reason, b.rule, b.reason))
        else:
            continue
        changed.extend((key, box) for box in boxes_)

    boxes = _boxes(changed)
    access: list[AccessChange] = []
    rules: list[AccessChange] = []
    located: list[tuple[tuple, AccessChange]] = []
    for key, box in boxes:
        w = request(tuple(min(s_) for s_ in box))
        a, b = evaluate(old, w), evaluate(new, w)
        zone = None
        for dec, rules_ in ((a, space.old_rules), (b, space.new_rules)):
            window = rules_[dec.rule_index].conditions.time if dec.rule_index >= 0 else None
            if zone is None and window is not None and window.timezone in timer.zoned:
                zone = window.timezone
        zone = zone or timer.display
        if zone is not None and not timer.local:  # the offset is free: show the time where the rule reads it
            w = _replace(w, time=w.time.astimezone(timer.zoned[zone][0]))
            w = _replace(w, time=w.time.astimezone(timezone(w.time.utcoffset())))
        parts = [
            timer.describe([times[i] for i in sorted(box[0])], len(times), zone),
            _named_text(users, box[1], "user", "users", users),
            _named_text(profiles, box[2], "profile", "profiles", profiles),
            _named_text(modes, box[3], "mode", "modes", modes),
            "" if len(box[4]) == 2 else ("no session table" if 0 in box[4] else "a session table"),
            dinfo.describe([m for i in box[5] for m in devices[i].members]) if len(box[5]) < len(devices) else "",
        ]
        where = " · ".join(p for p in parts if p) or "every request"
        if key[0] == "access":
            summary = f"{where}: {decision_text(a)} → {decision_text(b)}"
            access.append(AccessChange(a, b, summary, w))
        else:
            if a.rule == b.rule:
                summary = (f"{where}: {decision_text(a)} by {_rule_text(a)}, reason {a.reason!r} → "
                           f"{b.reason!r}")
            else:
                summary = f"{where}: {decision_text(a)} by {_rule_text(a)} → by {_rule_text(b)}"
            rules.append(AccessChange(a, b, summary, w))
        located.append((box, (access if key[0] == "access" else rules)[-1]))
    span = (space.span_start.date().isoformat(), space.span_end.date().isoformat())
    return AccessDiff(tuple(access), tuple(rules), classes=count, span=span, _locate=locate)


def _merge_boxes(boxes: list[tuple]) -> list[tuple]:
    """Boxes (tuples of class sets) that differ in one dimension only become one."""
    merged = True
    while merged:
        merged = False
        for k in range(len(boxes[0]) - 1, -1, -1):
            groups: dict[tuple, set] = {}
            for box in boxes:
                groups.setdefault(box[:k] + box[k + 1:], set()).update(box[k])
            if len(groups) < len(boxes):
                merged = True
                boxes = [other[:k] + (frozenset(values),) + other[k:] for other, values in groups.items()]
            if len(boxes) == 1:
                return boxes
    return boxes


def _boxes(changed: list[tuple[tuple, tuple]]) -> list[tuple[tuple, tuple]]:
    """Merge boxes with the same change into fewer, larger boxes (still products of class sets)."""
    boxes = list(changed)
    order = (5, 4, 3, 0, 1, 2)  # device, session, mode, time, users, profiles
    merged = True
    while merged:
        merged = False
        for k in order:
            groups: dict[tuple, set] = {}
            for key, box in boxes:
                other = (key,) + tuple(box[j] for j in range(len(box)) if j != k)
                groups.setdefault(other, set()).update(box[k])
            if len(groups) < len(boxes):
                merged = True
            new_boxes = []
            for other, values in groups.items():
                key = other[0]
                rest = list(other[1:])
                rest.insert(k, frozenset(values))
                new_boxes.append((key, tuple(rest)))
            boxes = new_boxes
    boxes.sort(key=lambda kb: (kb[0][0] != "access", tuple(min(s) for s in kb[1])))
    return boxes
