"""The signature envelope, read and written exactly as Sentinel's Go code does.

The TVM runs ``json.Unmarshal(value, &policy.SignatureEnvelope{})`` on the signature
parameter and denies every request when that fails; ``sentinel policy verify`` reads the
same shape from a file (with ``Signature string`` decoded by ``base64.StdEncoding``).
:func:`parse_envelope` therefore reproduces Go's ``encoding/json`` (v1) and
``time.Time.UnmarshalJSON`` rules rather than Python's ``json`` module:

* the whole input must be valid JSON (RFC 8259, as Go's scanner checks it first: no NaN or
  Infinity, no BOM, no trailing data, nesting at most 10,000 deep; invalid UTF-8 inside
  strings is accepted and becomes U+FFFD);
* object keys match the field names case-insensitively with Unicode simple folding
  (``ſ`` matches ``s``, the Kelvin sign matches ``k``); unknown keys are ignored; a repeated
  key is decoded again over the earlier value (so the last one wins, and a repeated
  ``metadata`` object merges into the first);
* ``null`` leaves a value as it was, except for ``signature`` (a Go ``[]byte``), which it
  resets to empty; a top-level ``null`` is accepted and yields an empty envelope;
* ``signature`` is standard base64 with ``=`` padding (``\\r`` and ``\\n`` are skipped,
  nonzero trailing bits are tolerated, the URL-safe alphabet and missing padding are not),
  or, as Go's decoder also allows for ``[]byte``, an array of numbers 0..255;
* ``signed_at`` is handed raw to ``time.Time.UnmarshalJSON``: it must be a JSON string
  (escapes are *not* decoded) holding an RFC 3339 time with a zone. Go falls back to the
  lenient ``time.Parse(time.RFC3339, ...)``, which also takes a one-digit hour, a ``,``
  before the fraction, any number of fraction digits (truncated to nanoseconds) and zone
  offsets up to ``+24:60``; all of that is accepted here too.

A type error (a number where a string belongs, bad base64) does not stop Go's decoder: it
is remembered and the first one is reported at the end. A ``signed_at`` error stops the
decoder at once and is reported instead. Syntax errors anywhere come before both.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .golang import days_in, json_string, quote_byte_rune, time_quote

ALGORITHM = "RSASSA_PSS_SHA_256"
MAX_DEPTH = 10000  # encoding/json's maxNestingDepth

_DENIES = "the TVM denies such an envelope"
_RFC3339 = "2006-01-02T15:04:05Z07:00"


class EnvelopeError(ValueError):
    """An envelope Go's json.Unmarshal refuses, so the TVM would deny every request.

    ``reason`` says what is wrong in plain words, ``go_error`` is the error text Go's
    ``json.Unmarshal`` gives (what the TVM logs after ``failed to parse signature for <path>:``),
    ``offset`` the byte offset in the input where known, ``kind`` one of ``"syntax"`` (not JSON),
    ``"type"`` (a value of the wrong JSON type), ``"base64"``, ``"time"`` or ``"input"``.
    """

    def __init__(self, reason: str, go_error: str = "", offset: int | None = None, kind: str = "input"):
        self.reason = reason
        self.go_error = go_error
        self.offset = offset
        self.kind = kind
        message = f"{reason}; {_DENIES}"
        if go_error:
            message += f" (Go: {go_error})"
        super().__init__(message)


@dataclass(frozen=True)
class Envelope:
    signature: bytes
    key_id: str
    algorithm: str
    signed_at: datetime | None  # timezone-aware; None when absent, null or Go's zero time
    signed_at_text: str  # as written ("" when absent)
    policy_hash: str  # "" when absent
    # Go's []byte is nil when "signature" is absent or null (or the envelope is
    # null): the SDK then refuses the Verify call before sending it. An empty
    # string or array gives an empty, non-nil slice, which KMS itself refuses.
    signature_nil: bool = field(default=False, compare=False)


def policy_hash(data: bytes) -> str:
    """Lowercase hex SHA-256 of the exact policy bytes (Go's ComputePolicyHash)."""
    return hashlib.sha256(bytes(data)).hexdigest()


# --------------------------------------------------------------------------------------
# JSON syntax, as Go's scanner checks it


class _Node:
    __slots__ = ("kind", "value", "start", "end")

    def __init__(self, kind: str, value, start: int, end: int):
        self.kind = kind  # object array string number true false null
        self.value = value
        self.start = start
        self.end = end


_WS = frozenset(b" \t\n\r")
_DIGITS = frozenset(b"0123456789")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_SIMPLE_ESCAPES = {ord('"'): '"', ord("\\"): "\\", ord("/"): "/", ord("b"): "\b",
                   ord("f"): "\f", ord("n"): "\n", ord("r"): "\r", ord("t"): "\t"}
_STRING_STOP = re.compile(rb'["\\\x00-\x1f]')
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_LITERALS = {ord("t"): b"true", ord("f"): b"false", ord("n"): b"null"}

_HUMAN_CONTEXT = {
    "looking for beginning of value": "expected a JSON value",
    "looking for beginning of object key string": "expected a quoted key",
    "after object key": "expected ':' after the key",
    "after object key:value pair": "expected ',' or '}' after a value in an object",
    "after array element": "expected ',' or ']' after an array element",
    "in string literal": "control characters must be escaped inside a JSON string",
    "in string escape code": "invalid escape sequence in a string",
    "in \\u hexadecimal character escape": "invalid \\u escape in a string",
    "in numeric literal": "malformed number",
    "after decimal point in numeric literal": "malformed number (no digit after '.')",
    "in exponent of numeric literal": "malformed number (no digit in the exponent)",
    "after top-level value": "trailing data after the JSON value",
    "exceeded max depth": f"nesting deeper than {MAX_DEPTH} levels",
}


def _where(data: bytes, offset: int) -> str:
    if offset >= len(data):
        return f"at the end of the input (byte {offset})"
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"at line {line}, column {column} (byte {offset})"


def _syntax_error(data: bytes, offset: int, context: str, char: int | None = None) -> EnvelopeError:
    if char is None:
        char = data[offset]
    go = f"invalid character {quote_byte_rune(char)} {context}"
    human = _HUMAN_CONTEXT.get(context, context)
    if context.startswith("in literal"):
        human = "misspelled literal (JSON has only true, false and null)"
    if offset < len(data):
        if context == "looking for beginning of value" and data[offset] in b"NI":
            human = "NaN and Infinity are not JSON"
        elif context == "in numeric literal" and data[offset:offset + 1] == b"I":
            human = "-Infinity is not JSON"
        elif context == "looking for beginning of value" and data.startswith(b"\xef\xbb\xbf", offset):
            human = "a UTF-8 byte order mark is not allowed before JSON"
        found = f", found {quote_byte_rune(data[offset])}" if context not in (
            "in string literal", "exceeded max depth") else ""
        reason = f"the envelope is not valid JSON: {human}{found} {_where(data, offset)}"
    else:
        reason = f"the envelope is not valid JSON: it ends early (truncated?): {human} {_where(data, offset)}"
    return EnvelopeError(reason, go, offset, "syntax")


def _eof_error(data: bytes, context: str | None = None) -> EnvelopeError:
    # Go's scanner.eof() feeds a space to the current state: states that refuse a space
    # report "invalid character ' ' ...", the others "unexpected end of JSON input".
    if context is not None:
        return _syntax_error(data, len(data), context, char=0x20)
    return EnvelopeError(
        f"the envelope is not valid JSON: it ends early (truncated?) {_where(data, len(data))}",
        "unexpected end of JSON input", len(data), "syntax")


def _skip_ws(data: bytes, i: int) -> int:
    n = len(data)
    while i < n and data[i] in _WS:
        i += 1
    return i


def _go_utf8(raw: bytes) -> str:
    """Decode like Go's unquote: every byte of an invalid sequence becomes U+FFFD."""
    text = raw.decode("utf-8", "surrogateescape")
    if "\udc80" <= max(text, default="\0"):
        text = _ESCAPED_BYTE.sub("\ufffd", text)
    return text


def _scan_string(data: bytes, i: int) -> int:
    """data[i] is '"'; return the index after the closing quote."""
    n = len(data)
    j = i + 1
    while True:
        m = _STRING_STOP.search(data, j)
        if m is None:
            raise _eof_error(data)
        j = m.start()
        c = data[j]
        if c == 0x22:
            return j + 1
        if c != 0x5C:
            raise _syntax_error(data, j, "in string literal")
        if j + 1 >= n:
            raise _eof_error(data, "in string escape code")
        e = data[j + 1]
        if e in _SIMPLE_ESCAPES:
            j += 2
            continue
        if e != ord("u"):
            raise _syntax_error(data, j + 1, "in string escape code")
        for k in range(j + 2, j + 6):
            if k >= n:
                raise _eof_error(data, "in \\u hexadecimal character escape")
            if data[k] not in _HEX:
                raise _syntax_error(data, k, "in \\u hexadecimal character escape")
        j += 6


def _unquote(data: bytes, start: int, end: int) -> str:
    raw = data[start + 1:end - 1]
    if b"\\" not in raw:
        return _go_utf8(raw)
    parts = []
    i = 0
    n = len(raw)
    while i < n:
        j = raw.find(b"\\", i)
        if j < 0:
            parts.append(_go_utf8(raw[i:]))
            break
        parts.append(_go_utf8(raw[i:j]))
        e = raw[j + 1]
        if e != ord("u"):
            parts.append(_SIMPLE_ESCAPES[e])
            i = j + 2
            continue
        r = int(raw[j + 2:j + 6], 16)
        i = j + 6
        if 0xD800 <= r < 0xE000:
            if r < 0xDC00 and raw[i:i + 2] == b"\\u":
                r2 = int(raw[i + 2:i + 6], 16)
                if 0xDC00 <= r2 < 0xE000:
                    parts.append(chr(0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00)))
                    i += 6
                    continue
            r = 0xFFFD
        parts.append(chr(r))
    return "".join(parts)


def _scan_number(data: bytes, i: int) -> int:
    n = len(data)
    if data[i] == 0x2D:  # '-'
        i += 1
        if i >= n:
            raise _eof_error(data, "in numeric literal")
        if data[i] not in _DIGITS:
            raise _syntax_error(data, i, "in numeric literal")
    if data[i] == 0x30:
        i += 1
    else:
        while i < n and data[i] in _DIGITS:
            i += 1
    if i < n and data[i] == 0x2E:
        i += 1
        if i >= n:
            raise _eof_error(data, "after decimal point in numeric literal")
        if data[i] not in _DIGITS:
            raise _syntax_error(data, i, "after decimal point in numeric literal")
        while i < n and data[i] in _DIGITS:
            i += 1
    if i < n and data[i] in b"eE":
        i += 1
        if i < n and data[i] in b"+-":
            i += 1
        if i >= n:
            raise _eof_error(data, "in exponent of numeric literal")
        if data[i] not in _DIGITS:
            raise _syntax_error(data, i, "in exponent of numeric literal")
        while i < n and data[i] in _DIGITS:
            i += 1
    return i


def _scan_literal(data: bytes, i: int) -> int:
    word = _LITERALS[data[i]]
    n = len(data)
    for k in range(1, len(word)):
        context = f"in literal {word.decode()} (expecting {chr(word[k])!r})"
        if i + k >= n:
            raise _eof_error(data, context)
        if data[i + k] != word[k]:
            raise _syntax_error(data, i + k, context)
    return i + len(word)


def _parse_json(data: bytes) -> _Node:
    """Build a tree of the whole input, refusing it exactly where Go's scanner would."""
    n = len(data)
    stack: list[list] = []  # [kind, items, start, pending key]
    i = _skip_ws(data, 0)
    while True:
        # a value starts at i
        if i >= n:
            raise _eof_error(data)
        c = data[i]
        start = i
        node: _Node | None = None
        if c == 0x7B or c == 0x5B:  # { [
            if len(stack) >= MAX_DEPTH:
                raise _syntax_error(data, i, "exceeded max depth")
            i = _skip_ws(data, i + 1)
            if i >= n:
                raise _eof_error(data)
            if c == 0x7B:
                if data[i] == 0x7D:
                    node = _Node("object", [], start, i + 1)
                    i += 1
                elif data[i] == 0x22:
                    key_end = _scan_string(data, i)
                    key = _unquote(data, i, key_end)
                    i = _skip_ws(data, key_end)
                    if i >= n:
                        raise _eof_error(data)
                    if data[i] != 0x3A:
                        raise _syntax_error(data, i, "after object key")
                    i = _skip_ws(data, i + 1)
                    stack.append(["object", [], start, key])
                    continue
                else:
                    raise _syntax_error(data, i, "looking for beginning of object key string")
            else:
                if data[i] == 0x5D:
                    node = _Node("array", [], start, i + 1)
                    i += 1
                else:
                    stack.append(["array", [], start, None])
                    continue
        elif c == 0x22:
            end = _scan_string(data, i)
            node = _Node("string", _unquote(data, i, end), start, end)
            i = end
        elif c == 0x2D or c in _DIGITS:
            end = _scan_number(data, i)
            node = _Node("number", data[i:end], start, end)
            i = end
        elif c in _LITERALS:
            end = _scan_literal(data, i)
            node = _Node(_LITERALS[c].decode(), None, start, end)
            i = end
        else:
            raise _syntax_error(data, i, "looking for beginning of value")

        # the value is complete: attach it, closing containers as they end
        while True:
            i = _skip_ws(data, i)
            if not stack:
                if i < n:
                    raise _syntax_error(data, i, "after top-level value")
                return node
            if i >= n:
                raise _eof_error(data)
            top = stack[-1]
            c = data[i]
            if top[0] == "object":
                top[1].append((top[3], node))
                if c == 0x2C:
                    i = _skip_ws(data, i + 1)
                    if i >= n:
                        raise _eof_error(data)
                    if data[i] != 0x22:
                        raise _syntax_error(data, i, "looking for beginning of object key string")
                    key_end = _scan_string(data, i)
                    top[3] = _unquote(data, i, key_end)
                    i = _skip_ws(data, key_end)
                    if i >= n:
                        raise _eof_error(data)
                    if data[i] != 0x3A:
                        raise _syntax_error(data, i, "after object key")
                    i = _skip_ws(data, i + 1)
                    break
                if c == 0x7D:
                    stack.pop()
                    node = _Node("object", top[1], top[2], i + 1)
                    i += 1
                    continue
                raise _syntax_error(data, i, "after object key:value pair")
            top[1].append(node)
            if c == 0x2C:
                i = _skip_ws(data, i + 1)
                break
            if c == 0x5D:
                stack.pop()
                node = _Node("array", top[1], top[2], i + 1)
                i += 1
                continue
            raise _syntax_error(data, i, "after array element")


# --------------------------------------------------------------------------------------
# base64.StdEncoding.Decode

_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_VALUE = {c: v for v, c in enumerate(_B64_ALPHABET)}


class _Base64Error(Exception):
    def __init__(self, offset: int, problem: str):
        super().__init__(problem)
        self.offset = offset
        self.problem = problem


def _b64_quantum(vals: list[int]) -> bytes:
    j = len(vals)
    vals = vals + [0] * (4 - j)
    word = vals[0] << 18 | vals[1] << 12 | vals[2] << 6 | vals[3]
    return word.to_bytes(3, "big")[: j - 1]


# Standard base64 in whole quanta with at most two '=' at the very end, nothing else: Go's
# decoder and binascii's agree on it byte for byte (neither checks the trailing bits), and
# binascii does it in C (a 4,096-bit signature: ~2 us against ~0.5 ms in Python).
_CANONICAL_B64 = re.compile(rb"[A-Za-z0-9+/]*={0,2}")  # with a length that is a multiple of 4


def _go_b64decode(src: bytes) -> bytes:
    """Go's StdEncoding.Decode: padding required, CR/LF skipped, trailing bits not checked."""
    if len(src) % 4 == 0 and _CANONICAL_B64.fullmatch(src):
        return base64.b64decode(src, validate=True)
    return _go_b64decode_slow(src)


def _go_b64decode_slow(src: bytes) -> bytes:
    """Go's decoder, quantum by quantum: every input, and the offset of what it refuses."""
    out = bytearray()
    n = len(src)
    si = 0
    while True:
        vals: list[int] = []
        while len(vals) < 4:
            if si == n:
                if not vals:
                    return bytes(out)
                raise _Base64Error(si - len(vals), "padding")
            c = src[si]
            si += 1
            v = _B64_VALUE.get(c)
            if v is not None:
                vals.append(v)
                continue
            if c in (0x0A, 0x0D):
                continue
            if c != 0x3D:
                raise _Base64Error(si - 1, "char")
            j = len(vals)
            if j < 2:
                raise _Base64Error(si - 1, "misplaced padding")
            if j == 2:
                while si < n and src[si] in (0x0A, 0x0D):
                    si += 1
                if si == n:
                    raise _Base64Error(n, "padding")
                if src[si] != 0x3D:
                    raise _Base64Error(si - 1, "misplaced padding")
                si += 1
            while si < n and src[si] in (0x0A, 0x0D):
                si += 1
            if si < n:
                raise _Base64Error(si, "after padding")
            out += _b64_quantum(vals)
            return bytes(out)
        out += _b64_quantum(vals)


def _base64_reason(field: str, src: bytes, err: _Base64Error) -> str:
    head = f"{field} is not standard base64 with padding"
    if err.problem == "char":
        ch = src[err.offset]
        if ch in b"-_":
            return (f"{head}: {chr(ch)!r} at byte {err.offset} belongs to the URL-safe alphabet; "
                    "Go's base64.StdEncoding needs '+' and '/'")
        shown = f"'{chr(ch)}'" if 0x20 <= ch < 0x7F else f"byte 0x{ch:02x}"
        return f"{head}: {shown} at byte {err.offset} is not a base64 character"
    if err.problem == "padding":
        count = sum(1 for b in src if b not in (0x0A, 0x0D))
        return (f"{head}: it ends after {count} base64 characters, not a multiple of 4; "
                "the '=' padding is missing or the value is truncated")
    if err.problem == "misplaced padding":
        return f"{head}: '=' padding in the wrong place (byte {err.offset})"
    return f"{head}: data after the '=' padding (byte {err.offset})"


# --------------------------------------------------------------------------------------
# time.Time.UnmarshalJSON (parseStrictRFC3339 -> lenient time.Parse(time.RFC3339, ...))


class _TimeError(Exception):
    def __init__(self, go_error: str, step: str, rest: bytes):
        super().__init__(go_error)
        self.go_error = go_error
        self.step = step  # the layout element that failed, or "range:<what>", "extra", "day"
        self.rest = rest


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (year 0 allowed)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


_GO_ZERO_UNIX = _days_from_civil(1, 1, 1) * 86400


def _getnum(s: bytes, fixed: bool) -> tuple[int, bytes] | None:
    if not s[:1].isdigit():
        return None
    if not s[1:2].isdigit():
        if fixed:
            return None
        return s[0] - 48, s[1:]
    return (s[0] - 48) * 10 + (s[1] - 48), s[2:]


def _go_parse_rfc3339(value: bytes) -> tuple[int, int, int, int, int, int, int, int | None]:
    """time.Parse(time.RFC3339, value); returns (y, mo, d, h, mi, s, nsec, offset|None for Z)."""
    whole = time_quote(value)
    layout = time_quote(_RFC3339.encode())

    def cannot(rest: bytes, elem: str, step: str | None = None) -> _TimeError:
        return _TimeError(f"parsing time {whole} as {layout}: cannot parse {time_quote(rest)} as "
                          f"{time_quote(elem.encode())}", step or elem, rest)

    def out_of_range(what: str, rest: bytes) -> _TimeError:
        return _TimeError(f"parsing time {whole}: {what} out of range", f"range:{what}", rest)

    def skip(v: bytes, prefix: bytes) -> bytes:
        if not v.startswith(prefix):
            raise cannot(v, prefix.decode())
        return v[len(prefix):]

    v = value
    # 2006
    if len(v) < 4 or not v[:1].isdigit() or not v[:4].isdigit():
        raise cannot(v, "2006")
    year, v = int(v[:4]), v[4:]
    v = skip(v, b"-")
    r = _getnum(v, True)
    if r is None:
        raise cannot(v, "01")
    month, v = r
    if not 1 <= month <= 12:
        raise out_of_range("month", v)
    v = skip(v, b"-")
    r = _getnum(v, True)
    if r is None:
        raise cannot(v, "02")
    day, v = r
    v = skip(v, b"T")
    r = _getnum(v, False)
    if r is None:
        raise cannot(v, "15")
    hour, v = r
    if hour >= 24:
        raise out_of_range("hour", v)
    v = skip(v, b":")
    r = _getnum(v, True)
    if r is None:
        raise cannot(v, "04")
    minute, v = r
    if minute >= 60:
        raise out_of_range("minute", v)
    v = skip(v, b":")
    r = _getnum(v, True)
    if r is None:
        raise cannot(v, "05")
    second, v = r
    if second >= 60:
        raise out_of_range("second", v)
    nsec = 0
    if len(v) >= 2 and v[0] in b".," and v[1:2].isdigit():
        k = 2
        while k < len(v) and v[k:k + 1].isdigit():
            k += 1
        digits = v[1:min(k, 10)]
        nsec = int(digits) * 10 ** (9 - len(digits))
        v = v[k:]
    # Z07:00
    offset: int | None
    if v[:1] == b"Z":
        offset = None
        v = v[1:]
    else:
        hold = v
        if len(v) < 6 or v[3:4] != b":":
            raise cannot(hold, "Z07:00")
        sign, hh, mm, v = v[:1], v[1:3], v[4:6], v[6:]
        bad = False
        oh = om = 0
        if not (len(hh) == 2 and hh.isdigit()):
            bad = True
        elif not (len(mm) == 2 and mm.isdigit()):
            bad = True
            oh = int(hh)
        else:
            oh, om = int(hh), int(mm)
        # Go checks the ranges (with > : +24:00 and +xx:60 pass) before the sign and digits
        if om > 60:
            raise out_of_range("time zone offset minute", v)
        if oh > 24:
            raise out_of_range("time zone offset hour", v)
        if bad or sign not in (b"+", b"-"):
            raise cannot(hold, "Z07:00")
        offset = (oh * 60 + om) * 60 * (-1 if sign == b"-" else 1)
    if v:
        raise _TimeError(f"parsing time {whole}: extra text: {time_quote(v)}", "extra", v)
    if day < 1 or day > days_in(month, year):
        raise _TimeError(f"parsing time {whole}: day out of range", "range:day", v)
    return year, month, day, hour, minute, second, nsec, offset


def _time_reason(raw: bytes, err: _TimeError) -> str:
    shown = time_quote(raw)
    need = "Go's time.Time needs RFC 3339 with Z or +hh:mm"
    if b"\\" in raw:
        return (f"signed_at {shown} contains a JSON escape; Go's time.Time reads the raw text "
                "without decoding escapes, so it must be plain RFC 3339")
    if err.step == "Z07:00":
        if not err.rest:
            return f"signed_at {shown} has no time zone; {need}"
        return f"signed_at {shown} has a malformed time zone {time_quote(err.rest)}; {need}"
    if err.step == "extra":
        return f"signed_at {shown} has extra text {time_quote(err.rest)} after the time"
    if err.step.startswith("range:"):
        return f"signed_at {shown}: {err.step[6:]} out of range"
    if err.step == "T":
        return f"signed_at {shown} must separate date and time with an uppercase 'T' (RFC 3339)"
    names = {"2006": "a 4-digit year", "01": "a 2-digit month", "02": "a 2-digit day",
             "15": "an hour", "04": "2-digit minutes", "05": "2-digit seconds"}
    if err.step in names:
        return (f"signed_at {shown} is not an RFC 3339 time: expected {names[err.step]} at "
                f"{time_quote(err.rest)} (example: 2026-01-26T10:30:00Z)")
    return f"signed_at {shown} is not an RFC 3339 time such as 2026-01-26T10:30:00Z"


def _time_value(parts) -> datetime | None:
    """The parsed time as an aware datetime in its written offset (UTC when Python cannot hold
    that offset or the local date), or None for Go's zero time and instants outside 1..9999."""
    year, month, day, hour, minute, second, nsec, offset = parts
    local = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    unix = local - (offset or 0)
    if unix == _GO_ZERO_UNIX and nsec == 0:
        return None  # Go's zero time: IsZero(), what an absent signed_at reads as
    try:
        utc = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=unix, microseconds=nsec // 1000)
    except OverflowError:
        return None  # outside Python's years 1..9999; the text is kept in signed_at_text
    if offset is None or abs(offset) >= 86400:  # Go accepts offsets up to +24:60
        return utc
    try:
        return utc.astimezone(timezone(timedelta(seconds=offset)))
    except OverflowError:
        return utc


# --------------------------------------------------------------------------------------
# decoding into SignatureEnvelope

_KIND_NAMES = {"object": "an object", "array": "an array", "string": "a string",
               "number": "a number", "true": "a bool", "false": "a bool", "null": "null"}
_GO_KIND = {"object": "object", "array": "array", "string": "string", "number": "number",
            "true": "bool", "false": "bool"}
_FOLD = {c: c - 32 for c in range(ord("a"), ord("z") + 1)}
_FOLD.update({0x017F: ord("S"), 0x212A: ord("K")})


def _fold(name: str) -> str:
    """Go's foldName for our ASCII field names: simple case folding (ſ ~ s, K ~ k)."""
    return name.translate(_FOLD)


_ENVELOPE_FIELDS = {_fold(n): n for n in ("signature", "metadata")}
_METADATA_FIELDS = {_fold(n): n for n in ("key_id", "algorithm", "signed_at", "policy_hash")}


class _Decoder:
    def __init__(self, data: bytes):
        self.data = data
        self.sig_backing = bytearray()  # Go's slice memory: length sig_len, capacity beyond
        self.sig_len = 0
        self.sig_nil = True
        self.key_id = ""
        self.algorithm = ""
        self.policy_hash = ""
        self.signed_at: datetime | None = None
        self.signed_at_text = ""
        self.saved: EnvelopeError | None = None

    def save(self, err: EnvelopeError) -> None:
        if self.saved is None:
            self.saved = err

    def type_error(self, node: _Node, field: str, struct: str, go_type: str, human_type: str,
                   value: str | None = None) -> None:
        go_value = value or _GO_KIND[node.kind]
        go = f"json: cannot unmarshal {go_value} into Go struct field {struct}.{field} of type {go_type}"
        found = _KIND_NAMES[node.kind] if value is None else value
        self.save(EnvelopeError(
            f"{field} must be {human_type}, found {found} {_where(self.data, node.start)}",
            go, node.start, "type"))

    def envelope(self, node: _Node) -> None:
        if node.kind == "null":
            return
        if node.kind != "object":
            self.save(EnvelopeError(
                f"the signature envelope must be a JSON object, found {_KIND_NAMES[node.kind]}",
                f"json: cannot unmarshal {_GO_KIND[node.kind]} into Go value of type policy.SignatureEnvelope",
                node.start, "type"))
            return
        for key, value in node.value:
            field = _ENVELOPE_FIELDS.get(_fold(key))
            if field == "signature":
                self.signature(value)
            elif field == "metadata":
                self.metadata(value)

    def signature(self, node: _Node) -> None:
        kind = node.kind
        if kind == "null":
            self.sig_backing, self.sig_len = bytearray(), 0
            self.sig_nil = True
        elif kind == "string":
            src = node.value.encode("utf-8")
            try:
                decoded = _go_b64decode(src)
            except _Base64Error as exc:
                self.save(EnvelopeError(_base64_reason("signature", src, exc),
                                        f"illegal base64 data at input byte {exc.offset}", node.start,
                                        "base64"))
                return
            self.sig_backing, self.sig_len = bytearray(decoded), len(decoded)
            self.sig_nil = False
        elif kind == "array":
            self.sig_nil = False
            # encoding/json fills a []byte from an array of numbers, reusing the slice's memory
            count = 0
            for element in node.value:
                if count >= self.sig_len:
                    self.sig_len = count + 1
                    if count >= len(self.sig_backing):
                        self.sig_backing.append(0)
                self.byte_element(element, count)
                count += 1
            if count == 0:
                self.sig_backing, self.sig_len = bytearray(), 0
            else:
                self.sig_len = count
        else:
            self.type_error(node, "signature", "SignatureEnvelope", "[]uint8",
                            "a base64 string")

    def byte_element(self, node: _Node, index: int) -> None:
        if node.kind == "null":
            return
        if node.kind == "number":
            text = node.value
            if text.isdigit() and len(text) <= 3 and int(text) <= 255:
                self.sig_backing[index] = int(text)
                return
            shown = text.decode("ascii")
            if len(shown) > 64:
                shown = shown[:60] + "..."
            self.type_error(node, "signature", "SignatureEnvelope", "uint8",
                            "a base64 string or an array of numbers 0..255",
                            value="number " + shown)
            return
        self.type_error(node, "signature", "SignatureEnvelope", "uint8",
                        "a base64 string or an array of numbers 0..255")

    def metadata(self, node: _Node) -> None:
        if node.kind == "null":
            return
        if node.kind != "object":
            self.type_error(node, "metadata", "SignatureEnvelope", "policy.SignatureMetadata",
                            "an object")
            return
        for key, value in node.value:
            field = _METADATA_FIELDS.get(_fold(key))
            if field is None:
                continue
            if field == "signed_at":
                self.time(value)
                continue
            if value.kind == "null":
                continue
            if value.kind != "string":
                self.type_error(value, f"metadata.{field}", "SignatureMetadata", "string", "a string")
                continue
            setattr(self, field, value.value)

    def time(self, node: _Node) -> None:
        if node.kind == "null":
            return  # time.Time.UnmarshalJSON ignores null
        if node.kind != "string":
            raise EnvelopeError(
                f"metadata.signed_at must be a JSON string with an RFC 3339 time, found "
                f"{_KIND_NAMES[node.kind]} {_where(self.data, node.start)}",
                "Time.UnmarshalJSON: input is not a JSON string", node.start, "time")
        raw = self.data[node.start + 1:node.end - 1]
        try:
            parts = _go_parse_rfc3339(raw)
        except _TimeError as exc:
            raise EnvelopeError(_time_reason(raw, exc), exc.go_error, node.start, "time") from None
        self.signed_at = _time_value(parts)
        self.signed_at_text = raw.decode("ascii")  # an accepted time is plain ASCII


def parse_envelope(data: bytes | str) -> Envelope:
    """Read a signature envelope exactly as the TVM's json.Unmarshal would, or raise EnvelopeError.

    Accepts the compact SSM form (``policy push --sign``) and the indented file form
    (``policy sign -o``); ``str`` input is taken as its UTF-8 encoding.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    elif isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    elif not isinstance(data, bytes):
        raise EnvelopeError(f"an envelope is bytes or text, not {type(data).__name__}")
    root = _parse_json(data)
    decoder = _Decoder(data)
    decoder.envelope(root)
    if decoder.saved is not None:
        raise decoder.saved
    return Envelope(
        signature=bytes(decoder.sig_backing[:decoder.sig_len]),
        key_id=decoder.key_id,
        algorithm=decoder.algorithm,
        signed_at=decoder.signed_at,
        signed_at_text=decoder.signed_at_text,
        policy_hash=decoder.policy_hash,
        signature_nil=decoder.sig_nil,
    )


# --------------------------------------------------------------------------------------
# writing, as Go's json.Marshal / json.MarshalIndent(v, "", "  ") do

def format_signed_at(dt: datetime) -> str:
    """``signed_at`` as Go writes time.Now().UTC(): RFC 3339 in UTC, fraction trimmed of zeros."""
    if not isinstance(dt, datetime):
        raise ValueError(f"signed_at must be a datetime, not {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("signed_at must be timezone-aware (Go's time.Time always has a zone)")
    try:
        u = dt.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"signed_at {dt.isoformat()} is outside the years 1..9999 in UTC") from None
    text = f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
    if u.microsecond:
        text += "." + f"{u.microsecond:06d}".rstrip("0")
    return text + "Z"


_GO_ZERO_TEXT = "0001-01-01T00:00:00Z"


def dump_envelope(env: Envelope, *, indent: bool) -> str:
    """The envelope as Go writes it.

    ``indent=True``: ``json.MarshalIndent(v, "", "  ")`` as ``policy sign -o FILE`` writes it
    (no trailing newline; ``policy sign`` without ``-o`` prints it with one). ``indent=False``:
    compact ``json.Marshal`` as ``policy push --sign`` stores it in SSM. ``signed_at`` is written
    from ``env.signed_at`` in UTC (``signed_at_text`` is not consulted); ``None`` is written as
    Go's zero time, which reads back as ``None``.
    """
    signed_at = _GO_ZERO_TEXT if env.signed_at is None else format_signed_at(env.signed_at)

    fields = [
        ("signature", json_string(base64.b64encode(bytes(env.signature)).decode("ascii"))),
        ("metadata", [
            ("key_id", json_string(env.key_id)),
            ("algorithm", json_string(env.algorithm)),
            ("signed_at", json_string(signed_at)),
            ("policy_hash", json_string(env.policy_hash)),
        ]),
    ]

    def render(items, level: int) -> str:
        if not indent:
            return "{" + ",".join(
                f'"{k}":' + (render(v, level + 1) if isinstance(v, list) else v) for k, v in items) + "}"
        pad = "  " * (level + 1)
        inner = ",\n".join(
            f'{pad}"{k}": ' + (render(v, level + 1) if isinstance(v, list) else v) for k, v in items)
        return "{\n" + inner + "\n" + "  " * level + "}"

    return render(fields, 0)


def make_envelope(signature: bytes, key_id: str, policy: bytes, signed_at: datetime) -> Envelope:
    """A new envelope for ``policy`` signed by ``key_id``, stamped ``signed_at`` (stored in UTC)."""
    if not isinstance(signature, (bytes, bytearray, memoryview)) or len(signature) == 0:
        raise ValueError("signature must be the non-empty bytes KMS returned")
    if not isinstance(key_id, str) or not key_id:
        raise ValueError("key_id must be a non-empty string (the key the policy was signed with)")
    text = format_signed_at(signed_at)
    if text == _GO_ZERO_TEXT:
        raise ValueError("signed_at is Go's zero time, which reads back as no time at all")
    return Envelope(
        signature=bytes(signature),
        key_id=key_id,
        algorithm=ALGORITHM,
        signed_at=signed_at.astimezone(timezone.utc),
        signed_at_text=text,
        policy_hash=policy_hash(bytes(policy)),
    )
