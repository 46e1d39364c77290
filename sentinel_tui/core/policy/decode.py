"""Constructor stage: yaml.v3's decoder into the Go types of ``policy/types.go``.

A string field takes the scalar's text as written; a bool field also takes
y/yes/on/n/no/off; ``time.Duration`` takes only Go duration strings.
Duplicate keys, type errors (collected, in document order, message for
message) and fatal errors (bad tags, invalid ``!!binary``, unknown anchors,
recursive or excessive aliases, merge keys) are Go's, word for word.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from typing import Any

from ..golang import quote as go_quote
from .model import Condition, DeviceCondition, HourRange, Policy, Rule, TimeWindow, _Fatal, parse_go_duration
from .nodes import (
    _ALIAS, _BINARY, _MAP, _MAP_TAG, _MERGE, _NULL, _Node, _SCALAR, _SEQ, _SEQ_TAG, _STR, _short_tag,
)
from .resolve import _resolve


# ---------------------------------------------------------------------------
# yaml.v3 decode.go, specialised to Sentinel's structs


class _GoType:
    __slots__ = ("kind", "name", "elem", "fields", "build")

    def __init__(self, kind: str, name: str, elem: _GoType | None = None) -> None:
        self.kind = kind  # string | bool | duration | slice | ptr | struct
        self.name = name
        self.elem = elem
        self.fields: dict[str, tuple[str, _GoType]] = {}
        self.build: Any = None


_T_STRING = _GoType("string", "string")
_T_VERSION = _GoType("string", "policy.Version")
_T_EFFECT = _GoType("string", "policy.Effect")
_T_WEEKDAY = _GoType("string", "policy.Weekday")
_T_MODE = _GoType("string", "policy.CredentialMode")
_T_BOOL = _GoType("bool", "bool")
_T_DURATION = _GoType("duration", "time.Duration")
_T_STRINGS = _GoType("slice", "[]string", _T_STRING)
_T_WEEKDAYS = _GoType("slice", "[]policy.Weekday", _T_WEEKDAY)
_T_MODES = _GoType("slice", "[]policy.CredentialMode", _T_MODE)

_T_HOURS = _GoType("struct", "policy.HourRange")
_T_HOURS.fields = {"start": ("start", _T_STRING), "end": ("end", _T_STRING)}
_T_HOURS.build = HourRange

_T_TIME = _GoType("struct", "policy.TimeWindow")
_T_TIME.fields = {
    "days": ("days", _T_WEEKDAYS),
    "hours": ("hours", _GoType("ptr", "*policy.HourRange", _T_HOURS)),
    "timezone": ("timezone", _T_STRING),
}
_T_TIME.build = TimeWindow

_T_DEVICE = _GoType("struct", "policy.DeviceCondition")
_T_DEVICE.fields = {
    "require_encryption": ("require_encryption", _T_BOOL),
    "require_mdm": ("require_mdm", _T_BOOL),
    "require_mdm_compliant": ("require_mdm_compliant", _T_BOOL),
    "require_firewall": ("require_firewall", _T_BOOL),
    "min_os_version": ("min_os_version", _T_STRING),
    "allowed_os_types": ("allowed_os_types", _T_STRINGS),
}
_T_DEVICE.build = DeviceCondition

_T_CONDITION = _GoType("struct", "policy.Condition")
_T_CONDITION.fields = {
    "profiles": ("profiles", _T_STRINGS),
    "users": ("users", _T_STRINGS),
    "time": ("time", _GoType("ptr", "*policy.TimeWindow", _T_TIME)),
    "mode": ("mode", _T_MODES),
    "device": ("device", _GoType("ptr", "*policy.DeviceCondition", _T_DEVICE)),
}
_T_CONDITION.build = Condition

_T_RULE = _GoType("struct", "policy.Rule")
_T_RULE.fields = {
    "name": ("name", _T_STRING),
    "effect": ("effect", _T_EFFECT),
    "conditions": ("conditions", _T_CONDITION),
    "reason": ("reason", _T_STRING),
    "max_server_duration": ("max_server_duration", _T_DURATION),
    "session_table": ("session_table", _T_STRING),
}
_T_RULE.build = Rule
_T_RULES = _GoType("slice", "[]policy.Rule", _T_RULE)

_T_POLICY = _GoType("struct", "policy.Policy")
_T_POLICY.fields = {"version": ("version", _T_VERSION), "rules": ("rules", _T_RULES)}
_T_POLICY.build = Policy

_ZERO: dict[str, Any] = {"string": "", "bool": False, "duration": 0, "slice": None, "ptr": None}

#: More collected type errors than this are not listed (Go would list them all).
_MAX_TYPE_ERRORS = 1000


class _Struct:
    """A struct value being decoded (merge keys decode into the same one)."""

    __slots__ = ("values", "lines", "line")

    def __init__(self, line: int) -> None:
        self.values: dict[str, Any] = {}
        self.lines: list[tuple[str, int]] = []
        self.line = line


class _List:
    __slots__ = ("items", "lines")

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.lines: list[int] = []


def _allowed_alias_ratio(count: int) -> float:
    if count <= 400_000:
        return 0.99
    if count >= 4_000_000:
        return 0.10
    return 0.99 - 0.89 * ((count - 400_000) / 3_600_000)


def _binary(value: str) -> str:
    # base64.StdEncoding.DecodeString ignores \r and \n
    raw = value.replace("\r", "").replace("\n", "")
    try:
        data = base64.b64decode(raw.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise _Fatal("yaml: !!binary value contains invalid base64 data") from None
    return data.decode("utf-8", "surrogateescape")


class _Decoder:
    def __init__(self) -> None:
        self.terrors: list[str] = []
        self.nterrors = 0
        self.decode_count = 0
        self.alias_count = 0
        self.alias_depth = 0
        self.active_aliases: set[int] = set()

    def terror_text(self, text: str) -> None:
        self.nterrors += 1
        if len(self.terrors) < _MAX_TYPE_ERRORS:
            self.terrors.append(text)

    def terror(self, n: _Node, tag: str, t: _GoType) -> None:
        self.terror_named(n, tag, _go_type_name(t))

    def terror_named(self, n: _Node, tag: str, type_name: str) -> None:
        if n.tag:
            tag = n.tag
        # Go appends a seq/map node's Value unquoted: empty for a real
        # collection, but "x" for a scalar tagged "!!seq x" ("!!seqx").
        value = n.value
        if tag not in (_SEQ_TAG, _MAP_TAG):
            raw = n.value.encode("utf-8", "surrogateescape")
            if len(raw) > 10:
                value = " `" + raw[:7].decode("utf-8", "replace") + "...`"
            else:
                value = " `" + n.value + "`"
        self.terror_text(f"line {n.line}: cannot unmarshal {_short_tag(tag)}{value} into {type_name}")

    # d.unmarshal
    def unmarshal(self, n: _Node, t: _GoType, into: _Struct | None = None, merged: set[str] | None = None) -> tuple[bool, Any]:
        self.decode_count += 1
        if self.alias_depth > 0:
            self.alias_count += 1
        if (
            self.alias_count > 100
            and self.decode_count > 1000
            and self.alias_count / self.decode_count > _allowed_alias_ratio(self.decode_count)
        ):
            raise _Fatal("yaml: document contains excessive aliasing")
        if n.kind == _ALIAS:
            return self.alias(n, t, into, merged)
        # d.prepare: a non-null node allocates the pointer first
        if t.kind == "ptr":
            if n.is_null():
                if n.kind == _SCALAR:
                    assert t.elem is not None
                    self.scalar(n, t.elem)  # resolves (may fail), then d.null(ptr): nil
                    return True, None
                # a collection tagged !!null reaches the pointer itself
                if n.kind == _MAP and self.duplicate_keys(n):
                    return False, None
                self.terror_named(n, _MAP_TAG if n.kind == _MAP else _SEQ_TAG, t.name)
                return False, None
            assert t.elem is not None
            t = t.elem
        if n.kind == _SCALAR:
            return self.scalar(n, t)
        if n.kind == _MAP:
            return self.mapping(n, t, into, merged)
        if n.kind == _SEQ:
            return self.sequence(n, t)
        raise _Fatal(f"yaml: cannot decode node with unknown kind {n.kind}")  # pragma: no cover

    def alias(self, n: _Node, t: _GoType, into: _Struct | None, merged: set[str] | None) -> tuple[bool, Any]:
        if id(n) in self.active_aliases:
            raise _Fatal(f"yaml: anchor '{n.value}' value contains itself")
        self.active_aliases.add(id(n))
        self.alias_depth += 1
        try:
            assert n.alias is not None
            return self.unmarshal(n.alias, t, into, merged)
        finally:
            self.alias_depth -= 1
            self.active_aliases.discard(id(n))

    def scalar(self, n: _Node, t: _GoType) -> tuple[bool, Any]:
        if n.indicated_string():
            tag, resolved = _STR, n.value
        else:
            tag, resolved = _resolve(n.tag, n.value)
            if tag == _BINARY:
                resolved = _binary(resolved)
        if resolved is None and tag == _NULL:
            # d.null: only pointers, slices (and maps, interfaces) are settable to nil
            return (t.kind in ("ptr", "slice")), _ZERO.get(t.kind)
        kind = t.kind
        if kind == "string":
            return True, (resolved if tag == _BINARY else n.value)
        if kind == "bool":
            if isinstance(resolved, bool):
                return True, resolved
            if isinstance(resolved, str):
                if resolved in ("y", "Y", "yes", "Yes", "YES", "on", "On", "ON"):
                    return True, True
                if resolved in ("n", "N", "no", "No", "NO", "off", "Off", "OFF"):
                    return True, False
        elif kind == "duration":
            if isinstance(resolved, str):
                try:
                    return True, parse_go_duration(resolved)
                except ValueError:
                    pass
        self.terror(n, tag, t)
        return False, _ZERO.get(kind)

    def sequence(self, n: _Node, t: _GoType) -> tuple[bool, Any]:
        if t.kind != "slice":
            self.terror(n, _SEQ_TAG, t)
            return False, _ZERO.get(t.kind)
        out = _List()
        assert t.elem is not None
        for child in n.content:
            ok, value = self.unmarshal(child, t.elem)
            if ok:
                out.items.append(value)
                out.lines.append(child.line)
        return True, out

    def mapping(self, n: _Node, t: _GoType, into: _Struct | None, merged: set[str] | None) -> tuple[bool, Any]:
        if self.duplicate_keys(n):
            return False, None
        if t.kind != "struct":
            self.terror(n, _MAP_TAG, t)
            return False, _ZERO.get(t.kind)
        target = into if into is not None else _Struct(n.line)
        self.mapping_struct(n, t, target, merged)
        return True, target

    def duplicate_keys(self, n: _Node) -> bool:
        keys = n.content[0::2]
        if len(keys) < 2:
            return False
        groups: dict[tuple[int, str], list[int]] = {}
        for index, key in enumerate(keys):
            groups.setdefault((key.kind, key.value), []).append(index)
        pairs: list[tuple[int, int]] = []
        for indexes in groups.values():
            if len(indexes) > 1:
                for a in range(len(indexes)):
                    for b in range(a + 1, len(indexes)):
                        pairs.append((indexes[a], indexes[b]))
                        if len(pairs) > _MAX_TYPE_ERRORS * 4:
                            break
        if not pairs:
            return False
        pairs.sort()
        for i, j in pairs:
            ni, nj = keys[i], keys[j]
            self.terror_text(f"line {nj.line}: mapping key {go_quote(nj.value)} already defined at line {ni.line}")
        return True

    def mapping_struct(self, n: _Node, t: _GoType, out: _Struct, merged: set[str] | None) -> None:
        done: set[str] = set()
        merge_node: _Node | None = None
        content = n.content
        for i in range(0, len(content) - 1, 2):
            key = content[i]
            if _is_merge(key):
                merge_node = content[i + 1]
                continue
            ok, name = self.unmarshal(key, _T_STRING)
            if not ok:
                continue
            if merged is not None:
                if name in merged:
                    continue
                merged.add(name)
            spec = t.fields.get(name)
            if spec is None:
                continue  # unknown keys are ignored (knownFields is off)
            attr, ftype = spec
            if attr in done:
                self.terror_text(f"line {key.line}: field {name} already set in type {t.name}")
                continue
            done.add(attr)
            value_node = content[i + 1]
            ok, value = self.unmarshal(value_node, ftype)
            if ok or value is not None:
                out.values[attr] = value
            out.lines.append((attr, key.line))
            if isinstance(value, _List):
                out.lines.extend((f"{attr}[{k}]", line) for k, line in enumerate(value.lines))
        if merge_node is not None:
            self.merge(n, merge_node, t, out, merged)

    def merge(self, parent: _Node, merge: _Node, t: _GoType, out: _Struct, merged: set[str] | None) -> None:
        if merged is None:
            merged = set()
            for key in parent.content[0::2]:
                self.decode_count += 1
                name = _interface_string(key)
                if name is not None:
                    merged.add(name)
        if merge.kind == _MAP:
            self.unmarshal(merge, t, out, merged)
        elif merge.kind == _ALIAS:
            if merge.alias is not None and merge.alias.kind != _MAP:
                raise _Fatal("yaml: map merge requires map or sequence of maps as the value")
            self.unmarshal(merge, t, out, merged)
        elif merge.kind == _SEQ:
            for item in merge.content:
                if item.kind == _ALIAS:
                    if item.alias is not None and item.alias.kind != _MAP:
                        raise _Fatal("yaml: map merge requires map or sequence of maps as the value")
                elif item.kind != _MAP:
                    raise _Fatal("yaml: map merge requires map or sequence of maps as the value")
                self.unmarshal(item, t, out, merged)
        else:
            raise _Fatal("yaml: map merge requires map or sequence of maps as the value")


def _go_type_name(t: _GoType) -> str:
    # prepare() dereferences pointers before any type error is reported
    while t.kind == "ptr":
        assert t.elem is not None
        t = t.elem
    return t.name


def _is_merge(n: _Node) -> bool:
    return n.kind == _SCALAR and n.value == "<<" and n.tag == _MERGE


def _interface_string(key: _Node) -> str | None:
    """The key as merge bookkeeping sees it when it decodes to a Go string."""
    while key.kind == _ALIAS and key.alias is not None:
        key = key.alias
    if key.kind != _SCALAR:
        return None
    if key.indicated_string():
        return key.value
    try:
        tag, value = _resolve(key.tag, key.value)
    except _Fatal:
        return None
    if tag == _BINARY:
        try:
            return _binary(value)
        except _Fatal:
            return None
    return value if isinstance(value, str) and tag != _MERGE else None


def _build(t: _GoType, value: Any) -> Any:
    """Decoded intermediate values -> frozen dataclasses."""
    if t.kind == "ptr":
        assert t.elem is not None
        return None if value is None else _build(t.elem, value)
    if t.kind == "slice":
        if value is None:
            return ()
        assert t.elem is not None
        return tuple(_build(t.elem, item) for item in value.items)
    if t.kind == "struct":
        if value is None:
            value = _Struct(0)
        kwargs: dict[str, Any] = {}
        for attr, ftype in t.fields.values():
            if attr in value.values:
                kwargs[attr] = _build(ftype, value.values[attr])
        built = t.build(**kwargs, line=value.line, field_lines=tuple(value.lines))
        return built
    return value


def _fill_lines(policy: Policy) -> Policy:
    """A struct that was not written takes the line of the key or node that owns it."""
    rules = []
    for rule in policy.rules:
        if rule.conditions.line == 0:
            line = rule.line_of("conditions") or policy.line
            rule = dataclasses.replace(rule, conditions=dataclasses.replace(rule.conditions, line=line))
        rules.append(rule)
    return dataclasses.replace(policy, rules=tuple(rules))
