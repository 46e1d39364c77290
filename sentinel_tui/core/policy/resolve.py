"""Resolver stage: plain-scalar resolution as yaml.v3's ``resolve.go`` does it.

YAML 1.2 core schema with yaml.v3's exceptions: numbers (Go's ``strconv``
grammar), timestamps, bools, nulls; explicit tags checked against the value.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

from ..golang import days_in as _days_in
from .model import _Fatal
from .nodes import _BOOL, _FLOAT, _INT, _MERGE, _NULL, _STR, _TIMESTAMP


# ---------------------------------------------------------------------------
# yaml.v3 resolve.go

_HINT: dict[str, str] = {}
for _c in "+-":
    _HINT[_c] = "S"
for _c in "0123456789":
    _HINT[_c] = "D"
for _c in "yYnNtTfFoO~":
    _HINT[_c] = "M"
_HINT["."] = "."

_RESOLVE_MAP: dict[str, tuple[str, Any]] = {}
for _words, _tag, _val in (
    (("true", "True", "TRUE"), _BOOL, True),
    (("false", "False", "FALSE"), _BOOL, False),
    (("", "~", "null", "Null", "NULL"), _NULL, None),
    ((".nan", ".NaN", ".NAN"), _FLOAT, math.nan),
    ((".inf", ".Inf", ".INF"), _FLOAT, math.inf),
    (("+.inf", "+.Inf", "+.INF"), _FLOAT, math.inf),
    (("-.inf", "-.Inf", "-.INF"), _FLOAT, -math.inf),
    (("<<",), _MERGE, "<<"),
):
    for _w in _words:
        _RESOLVE_MAP[_w] = (_tag, _val)

_RESOLVABLE = {"", _STR, _BOOL, _INT, _FLOAT, _NULL, _TIMESTAMP}
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?\Z")
_INT_MIN, _INT_MAX, _UINT_MAX = -(1 << 63), (1 << 63) - 1, (1 << 64) - 1


class _Timestamp:
    """A resolved !!timestamp (its value never matters here, only its type)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _go_parse_uint(s: str, base: int) -> int | None:
    """strconv.ParseUint (underscores already removed); None on error."""
    if not s:
        return None
    if base == 0:
        base = 10
        if s[0] == "0":
            if len(s) >= 3 and s[1] in "bB":
                base, s = 2, s[2:]
            elif len(s) >= 3 and s[1] in "oO":
                base, s = 8, s[2:]
            elif len(s) >= 3 and s[1] in "xX":
                base, s = 16, s[2:]
            else:
                base, s = 8, s[1:]
                if not s:
                    return 0
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"[:base]
    if not s or any(ch.lower() not in digits for ch in s):
        return None
    value = int(s, base)
    return value if value <= _UINT_MAX else None


def _go_parse_int(s: str, base: int) -> int | None:
    if not s:
        return None
    neg = False
    if s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    u = _go_parse_uint(s, base)
    if u is None:
        return None
    value = -u if neg else u
    return value if _INT_MIN <= value <= _INT_MAX else None


_TS_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_TS_TIME = re.compile(r"([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})([.,][0-9]+)?")
_TS_ZONE = re.compile(r"Z|[+-]([0-9]{2}):([0-9]{2})")


def _parse_timestamp(s: str) -> bool:
    """Whether yaml.v3's parseTimestamp accepts s (Go time.Parse layouts)."""
    m = _TS_DATE.match(s)
    if m is None:
        return False
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not 1 <= month <= 12 or not 1 <= day <= _days_in(month, year):
        return False
    rest = s[m.end() :]
    if rest == "":
        return True
    if rest[0] not in "Tt ":
        return False
    t = _TS_TIME.match(rest, 1)
    if t is None:
        return False
    hour, minute, sec = int(t.group(1)), int(t.group(2)), int(t.group(3))
    if hour > 23 or minute > 59 or sec > 59:
        return False
    zone = rest[t.end() :]
    if rest[0] == " ":
        return zone == ""
    z = _TS_ZONE.fullmatch(zone)
    if z is None:
        return False
    if z.group(0) != "Z" and (int(z.group(1)) > 24 or int(z.group(2)) > 60):
        return False
    return True


def _resolve_plain(value: str) -> tuple[str, Any]:
    """resolve("", value): the tag and Go value of an untagged plain scalar."""
    hint = _HINT.get(value[0], "") if value else "N"
    if not hint:
        return _STR, value
    item = _RESOLVE_MAP.get(value)
    if item is not None:
        return item
    if hint == "M":
        return _STR, value
    if hint == ".":
        if _DOT_FLOAT.match(value):
            f = float(value)
            if not math.isinf(f):
                return _FLOAT, f
        return _STR, value
    return _resolve_number(value, allow_timestamp=True)


def _resolve_number(value: str, *, allow_timestamp: bool) -> tuple[str, Any]:
    if allow_timestamp and _parse_timestamp(value):
        return _TIMESTAMP, _Timestamp(value)
    plain = value.replace("_", "")
    i = _go_parse_int(plain, 0)
    if i is not None:
        return _INT, i
    u = _go_parse_uint(plain, 0)
    if u is not None:
        return _INT, u
    if _YAML_STYLE_FLOAT.match(plain):
        f = float(plain)
        if not math.isinf(f):
            return _FLOAT, f
    if plain.startswith("0b"):
        i = _go_parse_int(plain[2:], 2)
        if i is not None:
            return _INT, i
        u = _go_parse_uint(plain[2:], 2)
        if u is not None:
            return _INT, u
    elif plain.startswith("-0b"):
        i = _go_parse_int("-" + plain[3:], 2)
        if i is not None:
            return _INT, i
    if plain.startswith("0o"):
        i = _go_parse_int(plain[2:], 8)
        if i is not None:
            return _INT, i
        u = _go_parse_uint(plain[2:], 8)
        if u is not None:
            return _INT, u
    elif plain.startswith("-0o"):
        i = _go_parse_int("-" + plain[3:], 8)
        if i is not None:
            return _INT, i
    return _STR, value


@functools.lru_cache(maxsize=4096)
def _resolve_tag(value: str) -> str:
    return _resolve_plain(value)[0]


def _resolve(tag: str, value: str) -> tuple[str, Any]:
    """yaml.v3 resolve(tag, in), including its failf for incompatible tags."""
    if tag not in _RESOLVABLE:
        return tag, value
    hint = _HINT.get(value[0], "") if value else "N"
    if hint and tag != _STR:
        item = _RESOLVE_MAP.get(value)
        if item is not None:
            rtag, out = item
        elif hint == "M":
            rtag, out = _STR, value
        elif hint == ".":
            if _DOT_FLOAT.match(value) and not math.isinf(float(value)):
                rtag, out = _FLOAT, float(value)
            else:
                rtag, out = _STR, value
        else:
            rtag, out = _resolve_number(value, allow_timestamp=tag in ("", _TIMESTAMP))
    else:
        rtag, out = _STR, value
    if tag in ("", rtag, _STR):
        return rtag, out
    if tag == _FLOAT and rtag == _INT:
        return _FLOAT, float(out)
    raise _Fatal(f"yaml: cannot decode {rtag} `{value}` as a {tag}")
