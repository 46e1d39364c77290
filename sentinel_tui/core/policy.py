"""Sentinel policy documents, read exactly as the Go tool reads them.

Sentinel (Go) reads a policy with ``gopkg.in/yaml.v3`` into typed structs
(``policy/types.go``), the TVM stops there (parse stage), and ``sentinel policy
validate|sign|push`` also run ``Policy.Validate`` (validate stage) and, for
``validate``, ``LintPolicy``. An operator tool that disagrees with that reader
about what a document means is dangerous: it could call "valid" a policy the TVM
refuses (every request denied) or show a meaning Go does not see.

So this module does not use a YAML library's own idea of types. ruamel.yaml is
used only for YAML *syntax* (its event stream: scalars with their style and tag,
anchors, aliases, marks); the node tree is built here the way yaml.v3's parser
builds it, and decoded here with yaml.v3's decoder rules:

- only the first document counts; ``%YAML`` other than 1.1 is refused;
- YAML 1.2 plain-scalar resolution as yaml.v3 implements it (``resolve.go``);
  a string field takes the scalar's text as written (``1.0``, ``01``, ``09:00``,
  ``yes`` stay text); a bool field also takes y/yes/on/n/no/off (any case form
  yaml.v3 lists), even quoted;
- duplicate keys, type errors (collected, in document order, message for message)
  and fatal errors (bad tags, invalid ``!!binary``, unknown anchors, recursive
  aliases, excessive aliasing, merge keys ``<<``);
- ``time.Duration`` takes only a string in Go's ``time.ParseDuration`` grammar;
  an int, a float or a bad string is a type error.

The messages are Go's, wrapped the way ``ParsePolicy`` wraps them, e.g.
``yaml: yaml: unmarshal errors:\\n  line 6: cannot unmarshal !!str `dev` into []string``.
Syntax errors come from ruamel's scanner and are translated to libyaml's wording
and line convention; they are the one place where the text can differ from Go's
(the verdict does not).

Speed: when PyYAML with libyaml is installed, a policy is first read from
libyaml's own events (C, what yaml.v3 was ported from) into the same node tree;
that path only ever answers for a policy that reads cleanly, and falls back to
the ruamel path on any error or on the few constructs where libyaml and yaml.v3
are known to differ (``_load_fast``).

Everything here is pure: no I/O except the time-zone database lookup that Go's
``time.LoadLocation`` also does.
"""

from __future__ import annotations

import base64
import dataclasses
import binascii
import difflib
import functools
import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from .golang import days_in as _days_in
from .golang import quote as go_quote
from .golang import time_quote as _time_quote

__all__ = [
    "MAX_POLICY_BYTES",
    "VALID_EFFECTS",
    "VALID_MODES",
    "VALID_WEEKDAYS",
    "KNOWN_OS_TYPES",
    "LINT_ALLOW_BEFORE_DENY",
    "LINT_UNREACHABLE_RULE",
    "LINT_OVERLAPPING_TIME_WINDOWS",
    "LINT_UNKNOWN_KEY",
    "LINT_UNKNOWN_MODE",
    "LINT_INVALID_DEVICE",
    "LINT_TOO_LARGE",
    "LINT_TIMEZONE_PATH",
    "Finding",
    "PolicyError",
    "Policy",
    "Rule",
    "Condition",
    "TimeWindow",
    "HourRange",
    "DeviceCondition",
    "PolicyCheck",
    "parse_policy",
    "validate_policy",
    "lint_policy",
    "check_policy",
    "normalize_policy",
    "parse_go_duration",
    "format_go_duration",
    "go_quote",
    "go_load_location",
    "timezone_by_accident",
]

#: KMS signs at most 4,096 bytes of RAW message and a Standard-tier SSM
#: parameter holds at most 4,096 characters: a bigger policy cannot be signed.
MAX_POLICY_BYTES = 4096

VALID_EFFECTS = ("allow", "deny", "require_approval", "require_server", "require_server_session")
VALID_MODES = ("server", "cli", "credential_process")
VALID_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
KNOWN_OS_TYPES = ("darwin", "windows", "linux")

# Lint codes. The first three are Go's LintIssueType values, printed by
# `sentinel policy validate` as "lint: <code>: <message>".
LINT_ALLOW_BEFORE_DENY = "allow-before-deny"
LINT_UNREACHABLE_RULE = "unreachable-rule"
LINT_OVERLAPPING_TIME_WINDOWS = "overlapping-time-windows"
# Ours: things Go accepts silently that almost certainly are mistakes.
LINT_UNKNOWN_KEY = "unknown-key"
LINT_UNKNOWN_MODE = "unknown-mode"
LINT_INVALID_DEVICE = "invalid-device"
LINT_TOO_LARGE = "too-large"
LINT_TIMEZONE_PATH = "timezone-path"


# ---------------------------------------------------------------------------
# Public types


@dataclass(frozen=True)
class Finding:
    """A lint warning: the policy is accepted, but probably not what was meant."""

    line: int | None
    message: str
    code: str


class PolicyError(Exception):
    """A policy Go would refuse.

    ``stage`` is ``"parse"`` (the TVM refuses it too) or ``"validate"`` (only the
    CLI's validate/sign/push refuse it; a TVM would load it). ``detail`` is Go's
    error text; ``str(err)`` is what ``sentinel policy validate`` prints after
    ``Error: ``.
    """

    def __init__(self, stage: str, detail: str, line: int | None = None) -> None:
        if stage not in ("parse", "validate"):
            raise ValueError(f"unknown stage {stage!r}")
        self.stage = stage
        self.detail = detail
        self.line = line
        super().__init__(str(self))

    @property
    def prefix(self) -> str:
        return "parse error" if self.stage == "parse" else "validation error"

    def __str__(self) -> str:
        return f"{self.prefix}: {self.detail}"

    def __repr__(self) -> str:
        return f"PolicyError(stage={self.stage!r}, detail={self.detail!r}, line={self.line!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PolicyError):
            return NotImplemented
        return (self.stage, self.detail, self.line) == (other.stage, other.detail, other.line)

    def __hash__(self) -> int:
        return hash((self.stage, self.detail, self.line))

    def __reduce__(self):  # picklable despite the custom __init__
        return (PolicyError, (self.stage, self.detail, self.line))


def _lines_field() -> Any:
    return field(default=(), compare=False, repr=False)


class _Located:
    """Mixin: where each field was written (1-based line of its key)."""

    line: int
    field_lines: tuple[tuple[str, int], ...]

    def line_of(self, name: str) -> int:
        """Line of a field (``"effect"``) or list item (``"profiles[1]"``); else the node's line."""
        for key, line in self.field_lines:
            if key == name:
                return line
        return self.line


@dataclass(frozen=True)
class HourRange(_Located):
    start: str = ""
    end: str = ""
    line: int = field(default=0, compare=False)
    field_lines: tuple[tuple[str, int], ...] = _lines_field()


@dataclass(frozen=True)
class TimeWindow(_Located):
    days: tuple[str, ...] = ()
    hours: HourRange | None = None
    timezone: str = ""
    line: int = field(default=0, compare=False)
    field_lines: tuple[tuple[str, int], ...] = _lines_field()


@dataclass(frozen=True)
class DeviceCondition(_Located):
    require_encryption: bool = False
    require_mdm: bool = False
    require_mdm_compliant: bool = False
    require_firewall: bool = False
    min_os_version: str = ""
    allowed_os_types: tuple[str, ...] = ()
    line: int = field(default=0, compare=False)
    field_lines: tuple[tuple[str, int], ...] = _lines_field()

    def problem(self) -> str | None:
        """Go's ``DeviceCondition.Validate()`` message, or None.

        Go never calls it from ``Policy.Validate``: a policy with a bad device
        block is accepted, so this only feeds a lint warning.
        """
        if self.min_os_version:
            has_digit = False
            for ch in self.min_os_version:
                if "0" <= ch <= "9":
                    has_digit = True
                elif ch not in ".-+" and not ("a" <= ch <= "z" or "A" <= ch <= "Z"):
                    return "min_os_version contains invalid characters"
            if not has_digit:
                return "min_os_version must contain at least one digit"
        for os_type in self.allowed_os_types:
            if os_type.lower() not in KNOWN_OS_TYPES:
                return (
                    "allowed_os_types contains unknown OS type: "
                    + os_type
                    + "; valid types are: darwin, windows, linux"
                )
        return None


@dataclass(frozen=True)
class Condition(_Located):
    profiles: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    time: TimeWindow | None = None
    mode: tuple[str, ...] = ()
    device: DeviceCondition | None = None
    line: int = field(default=0, compare=False)
    field_lines: tuple[tuple[str, int], ...] = _lines_field()


@dataclass(frozen=True)
class Rule(_Located):
    name: str = ""
    effect: str = ""
    conditions: Condition = field(default_factory=Condition)
    reason: str = ""
    #: nanoseconds, as Go's time.Duration; 0 when absent
    max_server_duration: int = 0
    session_table: str = ""
    line: int = field(default=0, compare=False)
    field_lines: tuple[tuple[str, int], ...] = _lines_field()

    @property
    def max_server_duration_text(self) -> str:
        """As Go prints it (``1h0m0s``), or "" when unset."""
        return format_go_duration(self.max_server_duration) if self.max_server_duration else ""


@dataclass(frozen=True)
class Policy(_Located):
    version: str = ""
    rules: tuple[Rule, ...] = ()
    line: int = field(default=1, compare=False)
    field_lines: tuple[tuple[str, int], ...] = _lines_field()


@dataclass(frozen=True)
class PolicyCheck:
    """Everything Go would say about a document, without raising."""

    policy: Policy | None
    error: PolicyError | None
    warnings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def stage(self) -> str | None:
        return self.error.stage if self.error is not None else None


# ---------------------------------------------------------------------------
# Small Go equivalents: core/golang.py

_UNIT_NS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # micro sign
    "\u03bcs": 1_000,  # Greek small letter mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_MAX_U63 = 1 << 63


def parse_go_duration(text: str) -> int:
    """Go's ``time.ParseDuration``: nanoseconds, or ValueError with Go's message.

    Grammar ``[-+]?([0-9]*(\\.[0-9]*)?[a-z]+)+`` with units ns, us (µs, μs), ms,
    s, m, h; ``"0"`` alone needs no unit. ``1h30m``, ``1.5h``, ``300ms``, ``-2m``.
    """
    orig = text
    s = text
    neg = False
    if s and s[0] in "-+":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise ValueError("time: invalid duration " + _time_quote(orig))
    total = 0
    while s:
        if not (s[0] == "." or "0" <= s[0] <= "9"):
            raise ValueError("time: invalid duration " + _time_quote(orig))
        # leadingInt
        i = 0
        v = 0
        while i < len(s) and "0" <= s[i] <= "9":
            if v > _MAX_U63 // 10:
                raise ValueError("time: invalid duration " + _time_quote(orig))
            v = v * 10 + ord(s[i]) - 48
            if v > _MAX_U63:
                raise ValueError("time: invalid duration " + _time_quote(orig))
            i += 1
        pre = i > 0
        s = s[i:]
        f = 0
        scale = 1.0
        post = False
        if s and s[0] == ".":
            s = s[1:]
            i = 0
            overflow = False
            while i < len(s) and "0" <= s[i] <= "9":
                if not overflow:
                    if f > (_MAX_U63 - 1) // 10:
                        overflow = True
                    else:
                        y = f * 10 + ord(s[i]) - 48
                        if y > _MAX_U63:
                            overflow = True
                        else:
                            f = y
                            scale *= 10
                i += 1
            post = i > 0
            s = s[i:]
        if not pre and not post:
            raise ValueError("time: invalid duration " + _time_quote(orig))
        i = 0
        while i < len(s) and not (s[i] == "." or "0" <= s[i] <= "9"):
            i += 1
        if i == 0:
            raise ValueError("time: missing unit in duration " + _time_quote(orig))
        unit_name = s[:i]
        s = s[i:]
        unit = _UNIT_NS.get(unit_name)
        if unit is None:
            raise ValueError(
                "time: unknown unit " + _time_quote(unit_name) + " in duration " + _time_quote(orig)
            )
        if v > _MAX_U63 // unit:
            raise ValueError("time: invalid duration " + _time_quote(orig))
        v *= unit
        if f > 0:
            v += int(float(f) * (float(unit) / scale))
            if v > _MAX_U63:
                raise ValueError("time: invalid duration " + _time_quote(orig))
        total += v
        if total > _MAX_U63:
            raise ValueError("time: invalid duration " + _time_quote(orig))
    if neg:
        return -total
    if total > _MAX_U63 - 1:
        raise ValueError("time: invalid duration " + _time_quote(orig))
    return total


def _frac(u: int, prec: int) -> tuple[str, int]:
    digits = ""
    printed = False
    for _ in range(prec):
        digit = u % 10
        printed = printed or digit != 0
        if printed:
            digits = str(digit) + digits
        u //= 10
    return ("." + digits if printed else ""), u


def format_go_duration(ns: int) -> str:
    """Go's ``time.Duration.String()``: ``1h0m0s``, ``1m30s``, ``1.5s``, ``300ms``, ``0s``."""
    neg = ns < 0
    u = -ns if neg else ns
    if u < 1_000_000_000:
        if u == 0:
            return "0s"
        if u < 1_000:
            text = f"{u}ns"
        elif u < 1_000_000:
            fr, whole = _frac(u, 3)
            text = f"{whole}{fr}\u00b5s"
        else:
            fr, whole = _frac(u, 6)
            text = f"{whole}{fr}ms"
    else:
        fr, secs = _frac(u, 9)
        text = f"{secs % 60}{fr}s"
        minutes = secs // 60
        if minutes > 0:
            text = f"{minutes % 60}m" + text
            hours = minutes // 60
            if hours > 0:
                text = f"{hours}h" + text
    return "-" + text if neg else text


# ---------------------------------------------------------------------------
# Input bytes -> text, with libyaml's reader rules


class _Fatal(Exception):
    """A yaml.v3 failf/fail: aborts decoding; ``message`` is the error text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# bytes.TrimSpace: unicode.IsSpace
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"

# libyaml accepts #x9 | #xA | #xD | [#x20-#x7E] | #x85 | [#xA0-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_NOT_ALLOWED = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _utf8_problem(data: bytes, pos: int) -> str:
    octet = data[pos]
    if octet & 0xE0 == 0xC0:
        width = 2
    elif octet & 0xF0 == 0xE0:
        width = 3
    elif octet & 0xF8 == 0xF0:
        width = 4
    else:
        return "invalid leading UTF-8 octet"
    if width > len(data) - pos:
        return "incomplete UTF-8 octet sequence"
    value = octet & (0x1F if width == 2 else 0x0F if width == 3 else 0x07)
    for k in range(1, width):
        nxt = data[pos + k]
        if nxt & 0xC0 != 0x80:
            return "invalid trailing UTF-8 octet"
        value = (value << 6) + (nxt & 0x3F)
    if (width == 2 and value < 0x80) or (width == 3 and value < 0x800) or (width == 4 and value < 0x10000):
        return "invalid length of a UTF-8 sequence"
    return "invalid Unicode character"


# yaml.v3 reads its input 512 bytes at a time and decodes a chunk only when
# the scanner needs characters beyond the ones already decoded.
_GO_RAW_CHUNK = 512


def _go_reader(data: bytes) -> tuple[str, int | None, str | None]:
    """What yaml.v3's reader hands the scanner: ``(text, limit, problem)``.

    ``text`` is every character before the first one the reader refuses;
    ``problem`` is libyaml's text for it (None: the whole input decodes). The
    reader only meets the problem when the scanner needs a character of the
    512-byte chunk that holds it: ``limit`` is how many characters the scanner
    can read before that (0: the problem is in the first chunk, so it comes
    before anything else). A syntax error earlier in the text, or the end of
    the first document, can come first.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        codec = "utf-16-le" if data[:2] == b"\xff\xfe" else "utf-16-be"
        bom = 2
        body = data[2:]
        problem: str | None = None
        even = body[: len(body) - len(body) % 2]
        text, problem = _decode_utf16_prefix(even, codec)
        if problem is None and len(body) % 2:
            problem = "incomplete UTF-16 character"
    else:
        codec = "utf-8"
        bom = 3 if data[:3] == b"\xef\xbb\xbf" else 0
        body = data[bom:]
        try:
            text = body.decode("utf-8")
            problem = None
        except UnicodeDecodeError as exc:
            text = body[: exc.start].decode("utf-8")
            problem = _utf8_problem(body, exc.start)
            octet = body[exc.start]
            # The reader checks a sequence once all of its bytes are in.
            width = 2 if octet & 0xE0 == 0xC0 else 3 if octet & 0xF0 == 0xE0 else 4 if octet & 0xF8 == 0xF0 else 1
    bad = _NOT_ALLOWED.search(text)
    if bad is not None:
        text = text[: bad.start()]
        problem = "control characters are not allowed"
        width = len(bad.group().encode(codec, "surrogatepass"))
    elif codec != "utf-8" and problem is not None:
        width = 4 if "surrogate" in problem and problem != "unexpected low surrogate area" else 2
    if problem is None:
        return text, None, None
    encoded = text.encode(codec, "surrogatepass")
    seen = min(bom + len(encoded) + width - 1, len(data) - 1)
    chunk_start = seen // _GO_RAW_CHUNK * _GO_RAW_CHUNK
    if chunk_start <= bom:
        return text, 0, problem
    limit = len(encoded[: chunk_start - bom].decode(codec, "ignore"))
    return text, limit, problem


def _decode_input(data: bytes) -> str:
    """The characters libyaml's reader would hand to the scanner; any reader problem raises."""
    text, _limit, problem = _go_reader(data)
    if problem is not None:
        raise _Fatal("yaml: " + problem)
    return text


def _decode_utf16_prefix(body: bytes, codec: str) -> tuple[str, str | None]:
    try:
        return body.decode(codec), None
    except UnicodeDecodeError as exc:
        text = body[: exc.start - exc.start % 2].decode(codec, "surrogatepass")
        unit = body[exc.start : exc.start + 2]
        value = int.from_bytes(unit, "little" if codec.endswith("le") else "big") if len(unit) == 2 else 0
        if value & 0xFC00 == 0xDC00:
            return text, "unexpected low surrogate area"
        if len(body) - exc.start < 4:
            return text, "incomplete UTF-16 surrogate pair"
        return text, "expected low surrogate area"


def _check_allowed(text: str) -> None:
    if _NOT_ALLOWED.search(text):
        raise _Fatal("yaml: control characters are not allowed")


# ---------------------------------------------------------------------------
# The node tree, as yaml.v3's parser builds it

_SEQ, _MAP, _SCALAR, _ALIAS = 2, 4, 8, 16

_STR, _NULL, _BOOL, _INT, _FLOAT = "!!str", "!!null", "!!bool", "!!int", "!!float"
_TIMESTAMP, _SEQ_TAG, _MAP_TAG, _BINARY, _MERGE = "!!timestamp", "!!seq", "!!map", "!!binary", "!!merge"
_LONG_PREFIX = "tag:yaml.org,2002:"


def _short_tag(tag: str) -> str:
    if tag.startswith(_LONG_PREFIX):
        return "!!" + tag[len(_LONG_PREFIX) :]
    return tag


class _Node:
    __slots__ = ("kind", "tag", "value", "quoted", "line", "content", "alias", "anchor")

    def __init__(self, kind: int, tag: str, value: str, line: int) -> None:
        self.kind = kind
        self.tag = tag
        self.value = value
        self.quoted = False  # single/double-quoted, literal or folded
        self.line = line
        self.content: list[_Node] = []
        self.alias: _Node | None = None
        self.anchor = ""

    def indicated_string(self) -> bool:
        # Node.indicatedString: after parsing, Tag is never "" or "!".
        return self.kind == _SCALAR and self.tag == _STR

    def short_tag(self) -> str:
        if self.kind == _ALIAS:
            return self.alias.short_tag() if self.alias is not None else ""
        if self.indicated_string():
            return _STR
        return self.tag

    def is_null(self) -> bool:
        return self.short_tag() == _NULL


_MAX_DEPTH = 10000


def _fast_scanner_class() -> type:
    """ruamel's Scanner with the simple-key bookkeeping made linear.

    Stock ruamel rescans every flow level's saved key for every token, which makes
    ``[[[[...]]]]`` quadratic (minutes for a few thousand levels). Keys are saved
    in stream order, so when the oldest one is still on the current line and
    within 1024 characters, none is stale. Behaviour is unchanged.
    """
    from ruamel.yaml.scanner import Scanner

    class _Scanner(Scanner):  # type: ignore[misc, valid-type]
        # yaml.v3's escapes in double quotes: "\'" is one (a quote), "\/" is not
        # (YAML 1.2's and newer libyaml's; yaml.v3 calls it an unknown escape).
        ESCAPE_REPLACEMENTS = {
            key: value for key, value in {**Scanner.ESCAPE_REPLACEMENTS, "'": "'"}.items() if key != "/"
        }

        def need_more_tokens(self) -> bool:
            # yaml.v3 keeps two tokens of lookahead beyond the current one (for
            # comments), so a scanner error up to two tokens ahead is reported
            # before a parser error at the current token, and one just after the
            # first document's end still fails the parse. Only then does it
            # look at a simple key, and only at one that would be the next
            # token handed out: stale there (another line, or 1,024 characters
            # on), it is dropped, or "could not find expected ':'" if required.
            # (libyaml checked every key before every token; yaml.v3 does not.)
            if not self.done and len(self.tokens) < 3:
                return True
            saved = getattr(self, "_go_keys", None)
            entry = saved.get(self.tokens_taken) if saved else None
            if entry is None or self.possible_simple_keys.get(entry[0]) is not entry[1]:
                return False
            level, key = entry
            if self._go_stale(key):
                if key.required:
                    self._go_key_error(key)
                del self.possible_simple_keys[level]
                return False
            return not self.done

        def save_possible_simple_key(self) -> None:
            # Index the keys by token number: need_more_tokens looks one up in
            # O(1) ("[[[[...]]]]" thousands deep stays linear).
            super().save_possible_simple_key()
            key = self.possible_simple_keys.get(self.flow_level)
            if key is not None:
                saved = getattr(self, "_go_keys", None)
                if saved is None:
                    saved = self._go_keys = {}
                saved[key.token_number] = (self.flow_level, key)

        def _go_stale(self, key: Any) -> bool:
            reader = self.reader
            return key.line < reader.line or key.index + 1024 < reader.index

        def _go_key_error(self, key: Any) -> None:
            from ruamel.yaml.scanner import ScannerError

            raise ScannerError(
                "while scanning a simple key", key.mark, "could not find expected ':'", self.reader.get_mark()
            )

        def stale_possible_simple_keys(self) -> None:
            # yaml.v3 checks keys only where need_more_tokens and fetch_value do.
            return None

        def fetch_value(self) -> None:
            key = self.possible_simple_keys.get(self.flow_level)
            if key is not None and self._go_stale(key):
                if key.required:
                    self._go_key_error(key)
                del self.possible_simple_keys[self.flow_level]
            super().fetch_value()

        @property
        def scanner_processing_version(self) -> Any:
            # libyaml's token rules are YAML 1.1's: in flow context ':' is
            # always a value indicator and '?' always a key indicator, '#' is
            # not a tag character. (Scalar resolution is done here, not by ruamel.)
            return (1, 1)

        def scan_to_next_token(self) -> None:
            # yaml.v3 means to let a BOM start any line, but its is_bom looks
            # at the start of its decoded buffer, not at the current character:
            # so a BOM that is not the stream's first bytes is never skipped
            # (it becomes part of the next scalar: a key "\ufeffrules"), and
            # when the buffer does start with one (two BOMs at the start of
            # the stream), whatever character starts a line at column 0 is
            # skipped, a key's first letter included (_go_bom_skip).
            # Tabs separate tokens in flow context and wherever a simple key is
            # not allowed (after "key:", after a scalar), not only in flow
            # context as in ruamel.
            reader = self.reader
            peek, forward = reader.peek, reader.forward
            while True:
                if reader.column == 0 and _go_buffer_starts_with_bom(reader):
                    _go_skip(reader)
                while True:
                    ch = peek()
                    if ch == " " or (ch == "\t" and (self.flow_level > 0 or not self.allow_simple_key)):
                        forward()
                    else:
                        break
                if peek() == "#":
                    while peek() not in "\n\0\r\x85\u2028\u2029":
                        forward()
                if self.scan_line_break():
                    if not self.flow_level:
                        self.allow_simple_key = True
                else:
                    return None

        def scan_directive(self) -> Any:
            # libyaml's directive grammar and wording: names are [0-9A-Za-z_-]+
            # followed by a blank (space, tab, break); %YAML takes two numbers of
            # at most two digits; only 1.1 is compatible (a parser error, so its
            # line is the directive's own 0-based line, as yaml.v3 prints it);
            # any other name is an error.
            from ruamel.yaml import tokens
            from ruamel.yaml.scanner import ScannerError

            reader = self.reader
            peek, forward = reader.peek, reader.forward
            start_mark = reader.get_mark()
            forward()

            def fail(problem: str, context: str = "while scanning a directive") -> Any:
                return ScannerError(context, start_mark, problem, reader.get_mark())

            length = 0
            while peek(length) in _TAG_ALPHA:
                length += 1
            if not length:
                raise fail("could not find expected directive name")
            name = reader.prefix(length)
            forward(length)
            if peek() not in "\0 \t\r\n\x85\u2028\u2029":
                raise fail("found unexpected non-alphabetical character")
            value: Any
            if name == "YAML":
                while peek() in " \t":
                    forward()

                def number() -> int:
                    digits = 0
                    num = 0
                    while peek() in "0123456789" and peek() != "":
                        digits += 1
                        if digits > 2:
                            raise fail("found extremely long version number", "while scanning a %YAML directive")
                        num = num * 10 + int(peek())
                        forward()
                    if not digits:
                        raise fail("did not find expected version number", "while scanning a %YAML directive")
                    return num

                major = number()
                if peek() != ".":
                    raise fail("did not find expected digit or '.' character", "while scanning a %YAML directive")
                forward()
                minor = number()
                value = (major, minor)
            elif name == "TAG":
                value = self.scan_tag_directive_value(start_mark)
            else:
                raise fail("found unknown directive name")
            end_mark = reader.get_mark()
            while peek() in " \t":
                forward()
            if peek() == "#":
                while peek() not in "\0\r\n\x85\u2028\u2029":
                    forward()
            if peek() not in "\0\r\n\x85\u2028\u2029":
                raise fail("did not find expected comment or line break")
            self.scan_line_break()
            # A version other than 1.1 is refused by the parser when it reaches
            # it (_Parser.process_directives), never in a later document.
            return tokens.DirectiveToken(name, value, start_mark, end_mark)

        def fetch_stream_end(self) -> None:
            # libyaml forces a new line at the end of a stream that does not end
            # with one, so an error there names the line after the last one.
            reader = self.reader
            if reader.column != 0:
                reader.column = 0
                reader.line += 1
            # As ruamel, but the keys of outer levels stay: need_more_tokens
            # still checks the one at the head (yaml.v3 keeps them too).
            from ruamel.yaml.tokens import StreamEndToken

            self.unwind_indent(-1)
            self.remove_possible_simple_key()
            self.allow_simple_key = False
            mark = reader.get_mark()
            self.tokens.append(StreamEndToken(mark, mark))
            self.done = True

        def scan_plain_spaces(self, indent: Any, start_mark: Any) -> Any:
            # libyaml folds tabs like spaces inside a plain scalar ("a\tb" is
            # one scalar); ruamel stops at a tab. A tab in the indentation of a
            # continuation line is an error in both.
            from ruamel.yaml.scanner import ScannerError

            reader = self.reader
            peek, forward = reader.peek, reader.forward
            length = 0
            while peek(length) in " \t":
                length += 1
            whitespaces = reader.prefix(length)
            forward(length)
            chunks: list[str] = []
            if peek() in "\r\n\x85\u2028\u2029":
                line_break = self.scan_line_break()
                self.allow_simple_key = True
                if reader.prefix(3) in ("---", "...") and peek(3) in _END_SPACE_TAB:
                    return None
                breaks = []
                while peek() in " \t\r\n\x85\u2028\u2029":
                    if peek() in " \t":
                        if peek() == "\t" and reader.column < indent:
                            raise ScannerError(
                                "while scanning a plain scalar",
                                start_mark,
                                "found a tab character that violates indentation",
                                reader.get_mark(),
                            )
                        forward()
                    else:
                        breaks.append(self.scan_line_break())
                        if reader.prefix(3) in ("---", "...") and peek(3) in _END_SPACE_TAB:
                            return None
                if line_break != "\n":
                    chunks.append(line_break)
                elif not breaks:
                    chunks.append(" ")
                chunks.extend(breaks)
            elif whitespaces:
                chunks.append(whitespaces)
            return chunks

        def scan_block_scalar_indicators(self, start_mark: Any) -> Any:
            # libyaml: chomping and indentation indicators in either order; what
            # follows is checked by scan_block_scalar_ignored_line.
            from ruamel.yaml.scanner import ScannerError

            reader = self.reader
            peek, forward = reader.peek, reader.forward
            self._go_block_start = start_mark
            chomping = None
            increment = None

            def indentation() -> int:
                if peek() == "0":
                    raise ScannerError(
                        "while scanning a block scalar",
                        start_mark,
                        "found an indentation indicator equal to 0",
                        reader.get_mark(),
                    )
                value = int(peek())
                forward()
                return value

            if peek() in "+-":
                chomping = peek() == "+"
                forward()
                if peek() in "0123456789":
                    increment = indentation()
            elif peek() in "0123456789":
                increment = indentation()
                if peek() in "+-":
                    chomping = peek() == "+"
                    forward()
            return chomping, increment

        def scan_block_scalar_indentation(self) -> Any:
            # yaml.v3's scan_block_scalar_breaks with no indentation yet: the
            # deepest leading blank line sets it (no "more indented follow up
            # line" error), and a tab after the spaces is an error.
            reader = self.reader
            peek, forward = reader.peek, reader.forward
            chunks = []
            max_indent = 0
            end_mark = reader.get_mark()
            while True:
                while peek() == " ":
                    forward()
                if reader.column > max_indent:
                    max_indent = reader.column
                if peek() == "\t":
                    self._go_block_tab()
                if peek() not in "\r\n\x85\u2028\u2029":
                    break
                chunks.append(self.scan_line_break())
                end_mark = reader.get_mark()
            return chunks, max_indent, end_mark

        def scan_block_scalar_breaks(self, indent: int) -> Any:
            reader = self.reader
            peek, forward = reader.peek, reader.forward
            chunks = []
            end_mark = reader.get_mark()
            while True:
                while reader.column < indent and peek() == " ":
                    forward()
                if reader.column < indent and peek() == "\t":
                    self._go_block_tab()
                if peek() not in "\r\n\x85\u2028\u2029":
                    break
                chunks.append(self.scan_line_break())
                end_mark = reader.get_mark()
            return chunks, end_mark

        def _go_block_tab(self) -> None:
            from ruamel.yaml.scanner import ScannerError

            raise ScannerError(
                "while scanning a block scalar",
                getattr(self, "_go_block_start", None),
                "found a tab character where an indentation space is expected",
                self.reader.get_mark(),
            )

        def scan_block_scalar_ignored_line(self, start_mark: Any) -> Any:
            from ruamel.yaml.scanner import ScannerError

            reader = self.reader
            peek, forward = reader.peek, reader.forward
            while peek() in " \t":
                forward()
            if peek() == "#":
                while peek() not in "\0\r\n\x85\u2028\u2029":
                    forward()
            if peek() not in "\0\r\n\x85\u2028\u2029":
                raise ScannerError(
                    "while scanning a block scalar",
                    start_mark,
                    "did not find expected comment or line break",
                    reader.get_mark(),
                )
            self.scan_line_break()
            return None

        def scan_anchor(self, TokenClass: Any) -> Any:  # noqa: N803 - ruamel's name
            # libyaml: anchor names are [0-9A-Za-z_-]+ ("*a:" is the alias "a").
            from ruamel.yaml.scanner import ScannerError

            reader = self.reader
            start_mark = reader.get_mark()
            name = "alias" if reader.peek() == "*" else "anchor"
            reader.forward()
            length = 0
            while reader.peek(length) in _TAG_ALPHA:
                length += 1
            end = reader.peek(length)
            if not length or end not in "\0 \t\r\n\x85\u2028\u2029?:,]}%@`":
                reader.forward(length)
                raise ScannerError(
                    f"while scanning an {name}",
                    start_mark,
                    "did not find expected alphabetic or numeric character",
                    reader.get_mark(),
                )
            value = reader.prefix(length)
            reader.forward(length)
            return TokenClass(value, start_mark, reader.get_mark())

        def scan_tag(self) -> Any:
            # libyaml's tag grammar: "!x" is a local tag even when a '!' follows
            # later ("!a'!b"), URI characters include ",[]", "!" alone is "!".
            from ruamel.yaml import tokens
            from ruamel.yaml.scanner import ScannerError

            reader = self.reader
            peek, forward = reader.peek, reader.forward
            start_mark = reader.get_mark()
            handle: str | None
            if peek(1) == "<":
                forward(2)
                suffix = self._tag_uri("", start_mark)
                if peek() != ">":
                    raise ScannerError(
                        "while scanning a tag", start_mark, "did not find the expected '>'", reader.get_mark()
                    )
                forward()
                handle = None
            else:
                head = "!"
                forward()
                while peek() in _TAG_ALPHA:
                    head += peek()
                    forward()
                if peek() == "!":
                    head += "!"
                    forward()
                if len(head) > 1 and head.endswith("!"):
                    handle = head
                    suffix = self._tag_uri("", start_mark)
                else:
                    suffix = self._tag_uri(head, start_mark)
                    handle = "!"
                    if not suffix:
                        handle, suffix = None, "!"
            if peek() not in "\0 \t\r\n\x85\u2028\u2029":
                raise ScannerError(
                    "while scanning a tag",
                    start_mark,
                    "did not find expected whitespace or line break",
                    reader.get_mark(),
                )
            return tokens.TagToken((handle, suffix), start_mark, reader.get_mark())

        def _tag_uri(self, head: str, start_mark: Any) -> str:
            from ruamel.yaml.scanner import ScannerError

            reader = self.reader
            chunks = [head[1:]] if len(head) > 1 else []
            found = bool(head)
            while True:
                ch = reader.peek()
                if ch == "%":
                    chunks.append(self.scan_uri_escapes("tag", start_mark))
                elif ch in _TAG_URI:
                    chunks.append(ch)
                    reader.forward()
                else:
                    break
                found = True
            if not found:
                raise ScannerError(
                    "while parsing a tag", start_mark, "did not find expected tag URI", reader.get_mark()
                )
            return "".join(chunks)

    return _Scanner


_TAG_ALPHA = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-")
_TAG_URI = _TAG_ALPHA | frozenset(";/?:@&=+$,.!~*'()[]")
_END_SPACE_TAB = " \n\0\t\r\x85\u2028\u2029"


@functools.lru_cache(maxsize=1)
def _scanner_class() -> type:
    return _fast_scanner_class()


@functools.lru_cache(maxsize=1)
def _parser_class() -> type:
    """ruamel's Parser with libyaml's handling of an empty key in a flow sequence.

    In libyaml (and so yaml.v3), ``[? ]``/``[?, x]`` consume the token after the
    ``?`` as well, which turns them into an error ("did not find expected ','
    or ']'"); ruamel reads them as a one-entry mapping.
    """
    from ruamel.yaml.parser import Parser
    from ruamel.yaml.tokens import FlowEntryToken, FlowSequenceEndToken, ValueToken

    class _V11:
        processing_version = (1, 1)

    class _Parser(Parser):  # type: ignore[misc, valid-type]
        @property
        def resolver(self) -> Any:
            # libyaml's grammar is YAML 1.1's: no value without a key (": x").
            return _V11

        def process_directives(self) -> Any:
            # yaml.v3 refuses any %YAML but 1.1 when it parses the directives
            # (a parser error: the directive's 0-based line, as yaml.v3 prints it).
            from ruamel.yaml.tokens import DirectiveToken

            seen = False
            index = 0
            scanner = self.scanner
            while True:
                while len(scanner.tokens) <= index and scanner.need_more_tokens():
                    scanner.fetch_more_tokens()
                if len(scanner.tokens) <= index:
                    break
                token = scanner.tokens[index]
                if not isinstance(token, DirectiveToken):
                    break
                if token.name == "YAML":
                    if seen:
                        break  # ruamel reports the duplicate
                    seen = True
                    if tuple(token.value) != (1, 1):
                        raise _syntax("found incompatible YAML document", token.start_mark.line, scanner=False)
                index += 1
            return super().process_directives()

        def parse_document_end(self) -> Any:
            # yaml.v3 reads only the first document: what follows "..." on its
            # line is never parsed (ruamel refuses it).
            from ruamel.yaml.events import DocumentEndEvent
            from ruamel.yaml.tokens import DocumentEndToken

            token = self.scanner.peek_token()
            start_mark = end_mark = token.start_mark
            explicit = False
            if self.scanner.check_token(DocumentEndToken):
                token = self.scanner.get_token()
                end_mark = token.end_mark
                explicit = True
            event = DocumentEndEvent(start_mark, end_mark, explicit=explicit)
            self.state = self.parse_document_start
            return event

        def parse_flow_sequence_entry_mapping_key(self) -> Any:
            self.scanner.get_token()  # the KEY token
            if not self.scanner.check_token(ValueToken, FlowEntryToken, FlowSequenceEndToken):
                self.states.append(self.parse_flow_sequence_entry_mapping_value)
                return self.parse_flow_node()
            token = self.scanner.get_token()
            self.state = self.parse_flow_sequence_entry_mapping_value
            return self.process_empty_scalar(token.end_mark)

    return _Parser


# yaml.v3's buffer: the unread characters move to its start only when the
# scanner asks for more than remain. Until then it starts where the text starts.
_GO_LOOKAHEAD = 4


def _go_buffer_starts_with_bom(reader: Any) -> bool:
    """yaml.v3's is_bom(parser.buffer, pos): true while its buffer starts with U+FEFF."""
    limit = getattr(reader, "go_bom_limit", 0)
    # At the end of the stream yaml.v3 skips its NUL into more NUL padding: no change.
    return bool(limit) and reader.index < limit and reader.peek() != "\0"


def _go_skip(reader: Any) -> None:
    """yaml.v3's skip(): one character, one column, never a new line (even for a break)."""
    reader.peek()
    reader.pointer += 1
    reader.index += 1
    reader.column += 1


@functools.lru_cache(maxsize=1)
def _reader_class() -> type:
    """ruamel's Reader counting lines and columns as libyaml does.

    libyaml breaks lines at CR, LF, CR LF, NEL, LS and PS (YAML 1.1); ruamel's
    default (YAML 1.2) only at CR and LF. And libyaml counts every character as
    one column, a BOM included; ruamel does not count a BOM.
    """
    from ruamel.yaml.reader import Reader

    class _Reader(Reader):  # type: ignore[misc, valid-type]
        go_bom_limit = 0

        def forward(self, length: int = 1) -> None:
            if self.pointer + length + 1 >= len(self.buffer):
                self.update(length + 1)
            buffer = self.buffer
            while length != 0:
                ch = buffer[self.pointer]
                self.pointer += 1
                self.index += 1
                if ch in "\n\x85\u2028\u2029" or (ch == "\r" and buffer[self.pointer] != "\n"):
                    self.line += 1
                    self.column = 0
                else:
                    self.column += 1
                length -= 1

    return _Reader


@functools.lru_cache(maxsize=1)
def _limited_reader_class() -> type:
    """The reader above, failing as yaml.v3's does when the scanner reaches a bad chunk."""

    class _LimitedReader(_reader_class()):  # type: ignore[misc]
        go_limit = 0
        go_problem = ""

        def _check(self, end: int) -> None:
            if end >= self.go_limit:
                raise _Fatal("yaml: " + self.go_problem)

        def peek(self, index: int = 0) -> str:
            self._check(self.pointer + index)
            return super().peek(index)

        def prefix(self, length: int = 1) -> Any:
            self._check(self.pointer + length - 1)
            return super().prefix(length)

    return _LimitedReader


def _go_bom_limit(text: str, raw: bytes | None) -> int:
    """How many characters yaml.v3 reads before its buffer stops starting with a BOM.

    0 unless the decoded text starts with U+FEFF (the stream's own BOM is gone
    by then: only a second one counts). The first buffer holds what the first
    512 raw bytes decode to; it is compacted when the scanner needs a few
    characters more than remain.
    """
    if not text.startswith("\ufeff"):
        return 0
    if raw is None:
        return len(text) + 1
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        chunk = raw[2:_GO_RAW_CHUNK]
        chars = len(chunk[: len(chunk) - len(chunk) % 2].decode("utf-16-le" if raw[:2] == b"\xff\xfe" else "utf-16-be", "surrogatepass"))
    else:
        chunk = raw[3:_GO_RAW_CHUNK]
        chars = len(chunk.decode("utf-8", "ignore"))
    if len(raw) <= _GO_RAW_CHUNK:
        return len(text) + 1
    return max(chars - _GO_LOOKAHEAD, 1)


def _events(
    text: str, raw: bytes | None = None, limit: int | None = None, problem: str | None = None
) -> tuple[Any, Iterator[Any]]:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.Reader = _reader_class() if limit is None else _limited_reader_class()
    yaml.Scanner = _scanner_class()
    yaml.Parser = _parser_class()
    # libyaml: a top-level block scalar's content is indented at least 1.
    yaml.top_level_block_style_scalar_no_indent_error_1_1 = True
    yaml.reader.go_bom_limit = _go_bom_limit(text, raw)
    if limit is not None:
        yaml.reader.go_limit = limit
        yaml.reader.go_problem = problem or ""
    return yaml, iter(yaml.parse(text))


def _compose(
    text: str, raw: bytes | None = None, limit: int | None = None, problem: str | None = None
) -> _Node | None:
    """The first document's root node, or None for a stream without documents."""
    from ruamel.yaml import events as ev

    anchors: dict[str, _Node] = {}
    stack: list[_Node] = []
    pending_key: list[bool] = []
    root: _Node | None = None
    started = False
    _yaml, it = _events(text, raw, limit, problem)
    for event in it:
        cls = type(event)
        if cls is ev.StreamStartEvent:
            continue
        if cls is ev.DocumentStartEvent:
            version = getattr(event, "version", None)
            if version is not None and tuple(version) != (1, 1):
                directive = re.search(r"^%YAML", text, re.MULTILINE)
                line0 = text.count("\n", 0, directive.start()) if directive else event.start_mark.line
                raise _syntax("found incompatible YAML document", line0, scanner=False)
            started = True
            continue
        if cls is ev.DocumentEndEvent or cls is ev.StreamEndEvent:
            break
        if not started:  # pragma: no cover - ruamel always starts a document first
            continue
        line = event.start_mark.line + 1
        if cls is ev.AliasEvent:
            node = _Node(_ALIAS, "", event.anchor, line)
            target = anchors.get(event.anchor)
            if target is None:
                raise _Fatal(f"yaml: unknown anchor '{event.anchor}' referenced")
            node.alias = target
        elif cls is ev.ScalarEvent:
            style = event.style
            tag = event.tag
            value = event.value
            quoted = bool(style)
            if tag is not None and not isinstance(tag, str):
                tag = str(tag)
            if tag and tag != "!":
                ntag = _short_tag(tag)
            elif quoted:
                ntag = _STR
            elif value == "<<":
                ntag = _MERGE
            else:
                ntag = _resolve_tag(value)
            node = _Node(_SCALAR, ntag, value, line)
            node.quoted = quoted
        elif cls is ev.SequenceStartEvent or cls is ev.MappingStartEvent:
            kind = _SEQ if cls is ev.SequenceStartEvent else _MAP
            tag = event.tag
            if tag is not None and not isinstance(tag, str):
                tag = str(tag)
            if tag and tag != "!":
                ntag = _short_tag(tag)
            else:
                ntag = _SEQ_TAG if kind == _SEQ else _MAP_TAG
            node = _Node(kind, ntag, "", line)
            if len(stack) >= _MAX_DEPTH:
                raise _syntax(f"exceeded max depth of {_MAX_DEPTH}", event.start_mark.line, scanner=True)
        elif cls is ev.SequenceEndEvent or cls is ev.MappingEndEvent:
            stack.pop()
            continue
        else:  # pragma: no cover - comments etc. are not produced by the safe parser
            continue
        anchor = getattr(event, "anchor", None)
        if anchor is not None and node.kind != _ALIAS:
            node.anchor = anchor
            anchors[anchor] = node
        if stack:
            stack[-1].content.append(node)
        else:
            root = node
        if node.kind in (_SEQ, _MAP):
            stack.append(node)
    return root


# ---------------------------------------------------------------------------
# Fast path: the same node tree from libyaml's C parser (PyYAML's binding)
#
# yaml.v3 is a Go port of libyaml, so for an ordinary policy libyaml's events
# are yaml.v3's events, about thirty times faster than ruamel's pure-Python
# scanner. But the two have drifted apart in corners, and an error message
# should always come from the verified path above. So the fast path only
# returns a policy that reads cleanly (no syntax error, no type error, a
# version); on any error, exception or doubt, _load reruns the ruamel path from
# scratch. Doubts (where libyaml and yaml.v3 are known to, or might, differ):
#
# - ``\/`` anywhere: libyaml reads it as "/" in a double-quoted scalar, yaml.v3
#   calls it an unknown escape;
# - U+FEFF, NEL, LS, PS anywhere (BOMs inside the text, the other line breaks);
# - a ``?`` in a plain scalar inside ``[]``/``{}``: it ends the scalar in yaml.v3
#   and not in libyaml (``[a?b]``);
# - a single-pair mapping written without braces in a flow sequence (``[a: b]``,
#   ``[? a]``): newer libyaml accepts ``[ ? ]``, yaml.v3 does not;
# - a tag other than ``!`` or a standard ``!!`` tag, or one not followed by a
#   space or line break (libyaml and yaml.v3 end tag URIs differently);
# - ``%YAML``/``%TAG`` directives, and a second document in the stream (yaml.v3
#   scans a little past the first document; libyaml's marks for later
#   documents are not needed);
# - an empty key (``? : x``): ruamel and libyaml put it on different lines, and
#   the unknown-key lint names that line;
# - nesting deeper than _FAST_MAX_DEPTH.
#
# The tree is the slow path's node for node, with one difference nothing reads:
# the line of an empty value (``key:``), where libyaml puts yaml.v3's mark (at
# the ':' in a block mapping) and ruamel the next token's. A null is never a
# list item, a struct or (see above) a key, so no policy, lint or validation
# line can come from it; only error messages could, and those are the slow path's.

_FAST_REFUSE = re.compile("[\ufeff\x85\u2028\u2029]|\\\\/")
_FAST_TAG_NAMES = ("str", "int", "float", "bool", "null", "binary", "map", "seq", "merge", "timestamp")
_FAST_TAGS = {_LONG_PREFIX + name: "!!" + name for name in _FAST_TAG_NAMES} | {"!": "!"}
_FAST_TAG_TEXT = re.compile(
    r"(?:&[0-9A-Za-z_-]+[ \t]+)?(!!(?:" + "|".join(_FAST_TAG_NAMES) + r")|!)(?=[ \t\r\n]|\Z)"
)
_FAST_MAX_DEPTH = 200


class _Doubt(Exception):
    """The fast path is not sure it reads the document as yaml.v3 does."""


def _libyaml_parser() -> Any:
    """PyYAML's ``CParser`` (libyaml's C parser), or None without PyYAML or libyaml."""
    try:
        import yaml
    except Exception:
        return None
    if not getattr(yaml, "__with_libyaml__", False):
        return None
    try:
        from yaml._yaml import CParser
    except Exception:
        return None
    return CParser


def _fast_tag(tag: str, text: str, index: int) -> str:
    """A node's tag as _compose gives it, if it is written the way yaml.v3 reads it too."""
    short = _FAST_TAGS.get(tag)
    if short is None:
        raise _Doubt(f"tag {tag!r}")
    m = _FAST_TAG_TEXT.match(text, index)
    if m is None or m.group(1) != short:
        raise _Doubt(f"tag {tag!r} written differently")
    return short


def _compose_libyaml(text: str, parser_class: Any) -> _Node:
    """What _compose(text) returns, from libyaml's events; _Doubt when not sure.

    Raises _Doubt for a stream without a document (Go's verdict on it is an
    error, which the slow path gives), and lets libyaml's errors through.
    """
    from yaml.events import (
        AliasEvent,
        DocumentEndEvent,
        DocumentStartEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
        StreamEndEvent,
        StreamStartEvent,
    )

    if _FAST_REFUSE.search(text):
        raise _Doubt("character or escape where libyaml and yaml.v3 differ")
    get = parser_class(text).get_event
    if type(get()) is not StreamStartEvent:  # pragma: no cover - libyaml always starts so
        raise _Doubt("no stream start")
    event = get()
    if type(event) is not DocumentStartEvent:
        raise _Doubt("no document")
    if event.version is not None or event.tags is not None:
        raise _Doubt("directives")
    anchors: dict[str, _Node] = {}
    stack: list[_Node] = []
    flow: list[bool] = []  # per open collection: written in flow style
    root: _Node | None = None
    resolve = _resolve_tag
    while True:
        event = get()
        cls = type(event)
        if cls is ScalarEvent:
            value = event.value
            tag = event.tag
            style = event.style
            if not style and flow and flow[-1] and "?" in value:
                raise _Doubt("'?' in a plain scalar in flow context")
            if tag is not None:
                ntag = _fast_tag(tag, text, event.start_mark.index)
                if ntag == "!":
                    tag = None
            if tag is None:
                if style:
                    ntag = _STR
                elif value == "<<":
                    ntag = _MERGE
                else:
                    ntag = resolve(value)
                    if not value and stack and stack[-1].kind == _MAP and not len(stack[-1].content) % 2:
                        # an empty key ("? : x"): its line is ours to lint, and
                        # ruamel and libyaml place it differently
                        raise _Doubt("empty key")
            node = _Node(_SCALAR, ntag, value, event.start_mark.line + 1)
            node.quoted = bool(style)
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            stack.pop()
            flow.pop()
            continue
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            mark = event.start_mark
            if cls is MappingStartEvent:
                kind, ntag = _MAP, _MAP_TAG
                if event.flow_style and flow and flow[-1] and stack[-1].kind == _SEQ and text[mark.index : mark.index + 1] != "{":
                    raise _Doubt("single-pair mapping in a flow sequence")
            else:
                kind, ntag = _SEQ, _SEQ_TAG
            tag = event.tag
            if tag is not None:
                short = _fast_tag(tag, text, mark.index)
                if short != "!":
                    ntag = short
            if len(stack) >= _FAST_MAX_DEPTH:
                raise _Doubt("deep nesting")
            node = _Node(kind, ntag, "", mark.line + 1)
        elif cls is AliasEvent:
            target = anchors.get(event.anchor)
            if target is None:
                raise _Doubt("unknown anchor")  # an error: the slow path words it
            node = _Node(_ALIAS, "", event.anchor, event.start_mark.line + 1)
            node.alias = target
            if stack:
                stack[-1].content.append(node)
            else:
                root = node
            continue
        elif cls is DocumentEndEvent:
            break
        else:  # pragma: no cover - nothing else comes inside a document
            raise _Doubt(f"unexpected {cls.__name__}")
        anchor = event.anchor
        if anchor is not None:
            node.anchor = anchor
            anchors[anchor] = node
        if stack:
            stack[-1].content.append(node)
        else:
            root = node
        if node.kind != _SCALAR:
            stack.append(node)
            flow.append(bool(event.flow_style))
    if type(get()) is not StreamEndEvent:
        raise _Doubt("more than one document")
    if root is None:  # pragma: no cover - a document always has a node
        raise _Doubt("empty document")
    return root


# libyaml's wording for ruamel's scanner/parser problems
_SYNTAX_WORDING: tuple[tuple[str, str], ...] = (
    ("expected '<document start>'", "did not find expected <document start>"),
    ("found duplicate YAML directive", "found duplicate %YAML directive"),
    ("found incompatible YAML document", "found incompatible YAML document"),
    ("duplicate tag handle", "found duplicate %TAG directive"),
    ("found undefined tag handle", "found undefined tag handle"),
    ("expected the node content", "did not find expected node content"),
    ("expected ',' or ']'", "did not find expected ',' or ']'"),
    ("expected ',' or '}'", "did not find expected ',' or '}'"),
    ("could not find expected ':'", "could not find expected ':'"),
    ("that cannot start any token", "found character that cannot start any token"),
    ("sequence entries are not allowed here", "block sequence entries are not allowed in this context"),
    ("mapping keys are not allowed here", "mapping keys are not allowed in this context"),
    ("mapping values are not allowed here", "mapping values are not allowed in this context"),
    ("found unknown escape character", "found unknown escape character"),
    ("hexdecimal numbers", "did not find expected hexdecimal number"),
    ("found unexpected end of stream", "found unexpected end of stream"),
    ("found unexpected document separator", "found unexpected document indicator"),
    ("expected alphabetic or numeric character", "did not find expected alphabetic or numeric character"),
    ("expected a digit or '.'", "did not find expected digit or '.' character"),
    ("expected a digit", "did not find expected version number"),
    ("expected ' '", "did not find expected whitespace or line break"),
    ("expected a comment or a line break", "did not find expected comment or line break"),
    ("expected indentation indicator in the range 1-9", "found an indentation indicator equal to 0"),
    ("expected chomping or indentation indicators", "did not find expected comment or line break"),
    ("expected '!'", "did not find expected '!'"),
    ("expected URI", "did not find expected tag URI"),
    ("expected '>'", "did not find the expected '>'"),
    ("special characters are not allowed", "control characters are not allowed"),
)


def _syntax(problem: str, line0: int | None, *, scanner: bool) -> _Fatal:
    """yaml.v3's parser.fail(): 0-based marks; scanner errors add 1; line 0 is not named."""
    if line0:
        line = line0 + 1 if scanner else line0
        return _Fatal(f"yaml: line {line}: {problem}")
    return _Fatal(f"yaml: {problem}")


def _translate_ruamel_error(exc: BaseException) -> _Fatal:
    from ruamel.yaml.error import MarkedYAMLError
    from ruamel.yaml.scanner import ScannerError

    if not isinstance(exc, MarkedYAMLError):
        return _Fatal(f"yaml: {exc}")
    problem = exc.problem or "unknown problem parsing YAML content"
    scanner = isinstance(exc, ScannerError)
    if "expected <block end>" in problem:
        # libyaml names what it was looking for inside the block collection
        in_sequence = "collection" in (exc.context or "")
        problem = "did not find expected '-' indicator" if in_sequence else "did not find expected key"
    else:
        for fragment, wording in _SYNTAX_WORDING:
            if fragment in problem:
                problem = wording
                break
    line0 = 0
    if exc.context_mark is not None and exc.context_mark.line:
        line0 = exc.context_mark.line
    elif exc.problem_mark is not None and exc.problem_mark.line:
        line0 = exc.problem_mark.line
    return _syntax(problem, line0, scanner=scanner)


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


# ---------------------------------------------------------------------------
# Parse stage


def _go_trim_space_empty(data: bytes) -> bool:
    return not data.decode("utf-8", "surrogateescape").strip(_GO_SPACE)


class _Loaded:
    __slots__ = ("root", "policy", "error", "line")

    def __init__(self) -> None:
        self.root: _Node | None = None
        self.policy: Policy | None = None
        self.error: str | None = None
        self.line: int | None = None


_LINE_RE = re.compile(r"line (\d+)")


def _first_line(detail: str) -> int | None:
    m = _LINE_RE.search(detail)
    return int(m.group(1)) if m else None


def _as_bytes(data: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8", "surrogatepass")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"policy data must be bytes or str, not {type(data).__name__}")


@functools.lru_cache(maxsize=64)
def _load(data: bytes) -> _Loaded:
    fast = _load_fast(data)
    if fast is not None:
        return fast
    return _load_slow(data)


def _load_fast(data: bytes) -> _Loaded | None:
    """A policy that libyaml reads cleanly, or None: then only the slow path decides.

    Same pre-checks, same node tree, same decoder as the slow path; any error,
    exception or doubt gives None, so every error message comes from there.
    """
    parser_class = _libyaml_parser()
    if parser_class is None:
        return None
    try:
        if _go_trim_space_empty(data):
            return None
        text = _decode_input(data)
        root = _compose_libyaml(text, parser_class)
        decoder = _Decoder()
        _ok, value = decoder.unmarshal(root, _T_POLICY)
        if decoder.terrors or not isinstance(value, _Struct):
            return None
        policy = _build(_T_POLICY, value)
        if policy.version == "":
            return None
        loaded = _Loaded()
        loaded.root = root
        loaded.policy = _fill_lines(policy)
        return loaded
    except Exception:
        return None


def _load_slow(data: bytes) -> _Loaded:
    """ruamel's scanner and parser: the verified path, and the only one that reports errors."""
    loaded = _Loaded()
    try:
        _load_into(data, loaded)
    except _Fatal as exc:
        loaded.error = "yaml: " + exc.message
    except RecursionError:
        loaded.error = "yaml: yaml: document nesting is too deep to decode"
    except MemoryError:
        loaded.error = "yaml: yaml: document is too large to decode"
    if loaded.error is not None:
        loaded.policy = None
        loaded.line = _first_line(loaded.error)
    return loaded


def _load_into(data: bytes, loaded: _Loaded) -> None:
    if _go_trim_space_empty(data):
        loaded.error = "empty policy"
        return
    text, limit, problem = _go_reader(data)
    if problem is not None and not limit:
        raise _Fatal("yaml: " + problem)
    from ruamel.yaml.error import YAMLError

    try:
        root = _compose(text, data, limit, problem)
    except YAMLError as exc:
        raise _translate_ruamel_error(exc) from None
    loaded.root = root
    decoder = _Decoder()
    value: Any = None
    if root is not None:
        ok, value = decoder.unmarshal(root, _T_POLICY)
        if not isinstance(value, _Struct):
            value = None
    if decoder.terrors:
        errors = list(decoder.terrors)
        if decoder.nterrors > len(errors):
            errors.append(f"... and {decoder.nterrors - len(errors)} more")
        loaded.error = "yaml: yaml: unmarshal errors:\n  " + "\n  ".join(errors)
        return
    policy = _build(_T_POLICY, value)
    if root is None or value is None:
        policy = Policy(policy.version, policy.rules, line=1, field_lines=policy.field_lines)
    if policy.version == "":
        loaded.error = "missing version field"
        return
    loaded.policy = _fill_lines(policy)


def parse_policy(data: bytes | str) -> Policy:
    """What ``policy.ParsePolicy`` (and so the TVM) does; raises PolicyError(stage="parse").

    ``str`` input is taken as its UTF-8 encoding. A UTF-8 BOM is skipped and a
    UTF-16 BOM switches to UTF-16, as libyaml's reader does.
    """
    loaded = _safe_load(data)
    if loaded.error is not None:
        raise PolicyError("parse", loaded.error, loaded.line)
    assert loaded.policy is not None
    return loaded.policy


def _safe_load(data: bytes | str) -> _Loaded:
    raw = _as_bytes(data)
    try:
        return _load(raw)
    except Exception as exc:  # pragma: no cover - a bug here must not crash a caller
        loaded = _Loaded()
        loaded.error = f"yaml: yaml: internal error reading policy: {type(exc).__name__}: {exc}"
        return loaded


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


# ---------------------------------------------------------------------------
# Lint


def _overlap(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if not a or not b:
        return True
    return any(x == y for x in a for y in b)


def _time_restricts_more(earlier: TimeWindow | None, later: TimeWindow | None) -> bool:
    if earlier is None:
        return False
    return later is None


def _rule_shadows(earlier: Rule, later: Rule) -> bool:
    e, l_ = earlier.conditions, later.conditions
    if not e.users and l_.users:
        if (not e.profiles or _overlap(e.profiles, l_.profiles)) and not _time_restricts_more(e.time, l_.time):
            return True
    if not e.profiles and l_.profiles:
        if (not e.users or _overlap(e.users, l_.users)) and not _time_restricts_more(e.time, l_.time):
            return True
    if not e.users and not e.profiles:
        if not _time_restricts_more(e.time, l_.time):
            return True
    return False


def _windows_overlap(a: TimeWindow, b: TimeWindow) -> bool:
    if not _overlap(a.days, b.days):
        return False
    if a.hours is not None and b.hours is not None:
        a_start, a_end = _go_minutes(a.hours.start), _go_minutes(a.hours.end)
        b_start, b_end = _go_minutes(b.hours.start), _go_minutes(b.hours.end)
        return max(a_start, b_start) < min(a_end, b_end)
    return True


def _go_minutes(text: str) -> int:
    # parseTimeToMinutes on Go's bytes (garbage in, garbage out, like Go)
    b = text.encode("utf-8", "surrogateescape")
    if len(b) != 5:
        return 0
    return ((b[0] - 48) * 10 + (b[1] - 48)) * 60 + (b[3] - 48) * 10 + (b[4] - 48)


def _upstream_lints(policy: Policy) -> list[Finding]:
    """Go's LintPolicy, same order and messages; line = the rule Go names first."""
    found: list[Finding] = []
    rules = policy.rules
    for i, rule in enumerate(rules):
        if rule.effect != "allow":
            continue
        for later in rules[i + 1 :]:
            if later.effect == "deny" and _overlap(rule.conditions.profiles, later.conditions.profiles):
                found.append(
                    Finding(
                        rule.line or None,
                        f"allow rule '{rule.name}' at index {i} precedes deny rule '{later.name}' for same profiles",
                        LINT_ALLOW_BEFORE_DENY,
                    )
                )
                break
    for i, rule in enumerate(rules):
        for j in range(i):
            earlier = rules[j]
            if earlier.effect != rule.effect:
                continue
            if _rule_shadows(earlier, rule):
                found.append(
                    Finding(
                        rule.line or None,
                        f"rule '{rule.name}' at index {i} is unreachable (shadowed by rule '{earlier.name}' at index {j})",
                        LINT_UNREACHABLE_RULE,
                    )
                )
                break
    for i, rule in enumerate(rules):
        if rule.conditions.time is None:
            continue
        for later in rules[i + 1 :]:
            if later.conditions.time is None or rule.effect == later.effect:
                continue
            if not _overlap(rule.conditions.profiles, later.conditions.profiles):
                continue
            if _windows_overlap(rule.conditions.time, later.conditions.time):
                found.append(
                    Finding(
                        rule.line or None,
                        f"rules '{rule.name}' and '{later.name}' have overlapping time windows with different effects",
                        LINT_OVERLAPPING_TIME_WINDOWS,
                    )
                )
    return found


def _struct_of(t: _GoType) -> _GoType | None:
    while t.kind == "ptr" and t.elem is not None:
        t = t.elem
    if t.kind == "struct":
        return t
    if t.kind == "slice" and t.elem is not None and t.elem.kind == "struct":
        return t.elem
    return None


@functools.lru_cache(maxsize=32)
def _descendant_paths(t: _GoType, prefix: str = "") -> dict[str, str]:
    paths: dict[str, str] = {}
    for key, (_attr, ftype) in t.fields.items():
        sub = _struct_of(ftype)
        if sub is not None and sub is not _T_RULE:
            for child, path in _descendant_paths(sub, f"{prefix}{key}.").items():
                paths.setdefault(child, path)
            for child in sub.fields:
                paths.setdefault(child, f"{prefix}{key}.{child}")
    return paths


def _normal_key(key: str) -> str:
    return key.strip().lower().replace("-", "_").replace(" ", "_")


def _suggest(key: str, t: _GoType) -> str | None:
    fields = list(t.fields)
    norm = _normal_key(key)
    for name in fields:
        if _normal_key(name) == norm:
            return name
    close = difflib.get_close_matches(norm, fields, n=1, cutoff=0.75)
    if close:
        return close[0]
    nested = _descendant_paths(t)
    if norm in nested:
        return nested[norm]
    close = difflib.get_close_matches(norm, list(nested), n=1, cutoff=0.8)
    if close:
        return nested[close[0]]
    return None


def _key_text(key: _Node) -> tuple[str, int] | None:
    line = key.line
    while key.kind == _ALIAS and key.alias is not None:
        key = key.alias
    if key.kind != _SCALAR:
        return None
    if key.tag == _BINARY:
        try:
            return _binary(key.value), line
        except _Fatal:
            return None
    return key.value, line


def _unknown_keys(root: _Node | None) -> list[Finding]:
    found: dict[tuple[int, str], Finding] = {}
    seen: set[tuple[int, int]] = set()

    def walk(node: _Node, t: _GoType, depth: int) -> None:
        while node.kind == _ALIAS and node.alias is not None:
            node = node.alias
        if node.kind != _MAP or (id(node), id(t)) in seen or depth > 64:
            return
        seen.add((id(node), id(t)))
        content = node.content
        for i in range(0, len(content) - 1, 2):
            key, value = content[i], content[i + 1]
            if _is_merge(key):
                merges = [value]
                target = value.alias if value.kind == _ALIAS and value.alias is not None else value
                if target.kind == _SEQ:
                    merges = list(target.content)
                for m in merges:
                    walk(m, t, depth + 1)
                continue
            text = _key_text(key)
            if text is None:
                continue
            name, line = text
            spec = t.fields.get(name)
            if spec is None:
                suggestion = _suggest(name, t)
                message = f"unknown key '{name}' is ignored by Sentinel"
                if suggestion is not None:
                    message += f" (did you mean '{suggestion}'?)"
                found.setdefault((line, name), Finding(line, message, LINT_UNKNOWN_KEY))
                continue
            sub = _struct_of(spec[1])
            if sub is None:
                continue
            if spec[1].kind == "slice":
                target = value
                while target.kind == _ALIAS and target.alias is not None:
                    target = target.alias
                if target.kind == _SEQ:
                    for item in target.content:
                        walk(item, sub, depth + 1)
            else:
                walk(value, sub, depth + 1)

    if root is not None:
        walk(root, _T_POLICY, 0)
    return sorted(found.values(), key=lambda f: (f.line or 0, f.message))


def _extra_lints(policy: Policy) -> list[Finding]:
    found: list[Finding] = []
    for rule in policy.rules:
        cond = rule.conditions
        for k, mode in enumerate(cond.mode):
            if mode not in VALID_MODES:
                found.append(
                    Finding(
                        cond.line_of(f"mode[{k}]") or None,
                        f"rule '{rule.name}' has unknown mode '{mode}': it never matches "
                        f"(modes are {', '.join(VALID_MODES)})",
                        LINT_UNKNOWN_MODE,
                    )
                )
        window = cond.time
        if window is not None and timezone_by_accident(window.timezone):
            canonical = "/".join(p for p in window.timezone.split("/") if p not in ("", "."))
            found.append(
                Finding(
                    window.line_of("timezone") or None,
                    f"rule '{rule.name}': timezone '{window.timezone}' resolves only because Go opens it "
                    f"as a file path on the TVM's host; write '{canonical}'",
                    LINT_TIMEZONE_PATH,
                )
            )
        if cond.device is not None:
            problem = cond.device.problem()
            if problem is not None:
                found.append(Finding(cond.device.line or None, f"rule '{rule.name}': {problem}", LINT_INVALID_DEVICE))
    return found


def _size_lint(raw: bytes) -> list[Finding]:
    if len(raw) > MAX_POLICY_BYTES:
        return [
            Finding(
                None,
                f"policy is {len(raw)} bytes: KMS signs at most {MAX_POLICY_BYTES} bytes and a "
                f"Standard-tier SSM parameter holds at most {MAX_POLICY_BYTES} characters",
                LINT_TOO_LARGE,
            )
        ]
    return []


def _side_lints(raw: bytes, loaded: _Loaded, policy: Policy | None) -> list[Finding]:
    extra = _unknown_keys(loaded.root)
    if policy is not None:
        extra += _extra_lints(policy)
    extra.sort(key=lambda f: (f.line or 0))
    return extra + _size_lint(raw)


def lint_policy(data: bytes | str, policy: Policy) -> list[Finding]:
    """Warnings for a policy that parses: Go's three lints (``sentinel policy validate``
    prints them as ``lint: <code>: <message>``), then ours: unknown keys with a
    "did you mean", unknown modes, device blocks Go would call invalid, size."""
    raw = _as_bytes(data)
    loaded = _safe_load(raw)
    return _upstream_lints(policy) + _side_lints(raw, loaded, policy)


def check_policy(data: bytes | str) -> PolicyCheck:
    """Parse, validate, lint. Never raises for bad input.

    Go runs its lints only on a valid policy; so does this. Our own warnings
    (unknown keys...) are given whenever the YAML itself could be read.
    """
    raw = _as_bytes(data)
    loaded = _safe_load(raw)
    if loaded.error is not None:
        return PolicyCheck(None, PolicyError("parse", loaded.error, loaded.line), tuple(_side_lints(raw, loaded, None)))
    policy = loaded.policy
    assert policy is not None
    problem = _validation_error(policy)
    if problem is not None:
        return PolicyCheck(
            policy, PolicyError("validate", problem[0], problem[1]), tuple(_side_lints(raw, loaded, policy))
        )
    return PolicyCheck(policy, None, tuple(_upstream_lints(policy) + _side_lints(raw, loaded, policy)))


# ---------------------------------------------------------------------------
# Normalise: yaml.Marshal(policy) as yaml.v3 writes it


def _is_base60_float(s: str) -> bool:
    if not s or not (s[0] in "+-" or "0" <= s[0] <= "9") or ":" not in s:
        return False
    return re.fullmatch(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?", s) is not None


_OLD_BOOL = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off", "OFF"}
_BREAKS = "\r\n\x85\u2028\u2029"


def _emitter_printable(ch: str) -> bool:
    o = ord(ch)
    return o == 0x0A or 0x20 <= o <= 0x7E or 0xA0 <= o <= 0xD7FF or (0xE000 <= o <= 0xFFFD and o != 0xFEFF)


class _Emitter:
    """The parts of libyaml's emitter (yaml.v3 flavour, indent 4, no wrapping) a policy needs."""

    BEST_INDENT = 4

    def __init__(self) -> None:
        self.out: list[str] = []
        self.column = 0
        self.whitespace = True
        self.indention = True

    # primitives
    def put(self, s: str) -> None:
        self.out.append(s)
        self.column += len(s)

    def put_break(self) -> None:
        self.out.append("\n")
        self.column = 0
        self.indention = True

    def write_indent(self, indent: int) -> None:
        indent = max(indent, 0)
        if not self.indention or self.column > indent or (self.column == indent and not self.whitespace):
            self.put_break()
        if self.column < indent:
            self.put(" " * (indent - self.column))
        self.whitespace = True

    def write_indicator(self, indicator: str, need_whitespace: bool, is_whitespace: bool, is_indention: bool) -> None:
        if need_whitespace and not self.whitespace:
            self.put(" ")
        self.put(indicator)
        self.whitespace = is_whitespace
        self.indention = self.indention and is_indention

    # scalars
    def scalar(self, value: str, *, tag: str, style: str, indent: int, simple_key: bool) -> None:
        """style: "plain" | "double" | "literal" (as encoder.stringv asks)."""
        a = _analyze(value)
        if simple_key and a["multiline"]:
            style = "double"
        if style == "plain":
            if not a["block_plain"]:
                style = "single"
            if not value and simple_key:
                style = "single"
        if style == "single" and not a["single"]:
            style = "double"
        if style == "literal" and (not a["block"] or simple_key):
            style = "double"
        if tag:
            self.write_indicator(tag, True, False, False)
        if style == "plain":
            if value and not self.whitespace:
                self.put(" ")
            self.put(value)
            if value:
                self.whitespace = False
            self.indention = False
        elif style == "single":
            self.write_indicator("'", True, False, False)
            self.put(value.replace("'", "''"))
            self.write_indicator("'", False, False, False)
            self.whitespace = False
            self.indention = False
        elif style == "double":
            self.write_indicator('"', True, False, False)
            self.put(_double_quoted_body(value))
            self.write_indicator('"', False, False, False)
            self.whitespace = False
            self.indention = False
        else:
            self.literal(value, indent)

    def literal(self, value: str, indent: int) -> None:
        self.write_indicator("|", True, False, False)
        if value and (value[0] == " " or value[0] in _BREAKS):
            self.write_indicator(str(self.BEST_INDENT), False, False, False)
        chomp = ""
        if not value or value[-1] not in _BREAKS:
            chomp = "-"
        elif len(value) == 1 or value[-2] in _BREAKS:
            chomp = "+"
        if chomp:
            self.write_indicator(chomp, False, False, False)
        self.whitespace = True
        breaks = True
        for ch in value:
            if ch in _BREAKS:
                if ch == "\n":
                    self.put_break()
                else:
                    self.out.append(ch)
                    self.column = 0
                    self.indention = True
                breaks = True
            else:
                if breaks:
                    self.write_indent(indent)
                self.put(ch)
                self.indention = False
                breaks = False


def _analyze(value: str) -> dict[str, bool]:
    """yaml_emitter_analyze_scalar."""
    if not value:
        return {"multiline": False, "block_plain": True, "single": True, "block": False}
    block_ind = flow_ind = line_breaks = special = tabs = False
    leading_space = leading_break = trailing_space = trailing_break = False
    break_space = space_break = False
    previous_space = previous_break = False
    if value.startswith(("---", "...")):
        block_ind = flow_ind = True
    preceded_by_ws = True
    n = len(value)
    for i, ch in enumerate(value):
        followed_by_ws = i + 1 >= n or value[i + 1] in " \t"
        if i == 0:
            if ch in "#,[]{}&*!|>'\"%@`":
                flow_ind = block_ind = True
            elif ch in "?:":
                flow_ind = True
                if followed_by_ws:
                    block_ind = True
            elif ch == "-" and followed_by_ws:
                flow_ind = block_ind = True
        else:
            if ch in ",?[]{}":
                flow_ind = True
            elif ch == ":":
                flow_ind = True
                if followed_by_ws:
                    block_ind = True
            elif ch == "#" and preceded_by_ws:
                flow_ind = block_ind = True
        if ch == "\t":
            tabs = True
        elif not _emitter_printable(ch):
            special = True
        if ch == " ":
            if i == 0:
                leading_space = True
            if i == n - 1:
                trailing_space = True
            if previous_break:
                break_space = True
            previous_space, previous_break = True, False
        elif ch in _BREAKS:
            line_breaks = True
            if i == 0:
                leading_break = True
            if i == n - 1:
                trailing_break = True
            if previous_space:
                space_break = True
            previous_space, previous_break = False, True
        else:
            previous_space = previous_break = False
        preceded_by_ws = ch in " \t\r\n\x85\u2028\u2029\x00"
    block_plain = single = block = True
    if leading_space or leading_break or trailing_space or trailing_break:
        block_plain = False
    if trailing_space:
        block = False
    if break_space:
        block_plain = single = False
    if space_break or tabs or special:
        block_plain = single = False
    if space_break or special:
        block = False
    if line_breaks:
        block_plain = False
    if block_ind:
        block_plain = False
    del flow_ind
    return {"multiline": line_breaks, "block_plain": block_plain, "single": single, "block": block}


_DQ_ESCAPES = {
    0x00: "0", 0x07: "a", 0x08: "b", 0x09: "t", 0x0A: "n", 0x0B: "v", 0x0C: "f", 0x0D: "r",
    0x1B: "e", 0x22: '"', 0x5C: "\\", 0x85: "N", 0xA0: "_", 0x2028: "L", 0x2029: "P",
}


def _double_quoted_body(value: str) -> str:
    starts_with_bom = value.startswith("\ufeff")
    out = []
    for ch in value:
        o = ord(ch)
        if not _emitter_printable(ch) or starts_with_bom or ch in _BREAKS or ch in '"\\':
            esc = _DQ_ESCAPES.get(o)
            if esc is not None:
                out.append("\\" + esc)
            elif o <= 0xFF:
                out.append(f"\\x{o:02X}")
            elif o <= 0xFFFF:
                out.append(f"\\u{o:04X}")
            else:
                out.append(f"\\U{o:08X}")
        else:
            out.append(ch)
    return "".join(out)


def _has_invalid_utf8(s: str) -> bool:
    return any(0xDC80 <= ord(ch) <= 0xDCFF or 0xD800 <= ord(ch) <= 0xDFFF for ch in s)


def _encode_base64_lines(raw: bytes) -> str:
    enc = base64.b64encode(raw).decode("ascii")
    if len(enc) < 70:
        return enc
    return "".join(enc[i : i + 70] + "\n" for i in range(0, len(enc), 70))


class _Marshal:
    """encoder.marshal for Sentinel's structs, driving _Emitter."""

    def __init__(self) -> None:
        self.e = _Emitter()

    @staticmethod
    def child_indent(parent: int, in_sequence_item: bool) -> int:
        if parent < 0:
            return 0
        if in_sequence_item:
            return parent + 2
        b = _Emitter.BEST_INDENT
        return b * ((parent + b) // b)

    def string(self, s: str, indent: int, in_sequence_item: bool) -> None:
        tag = ""
        if _has_invalid_utf8(s):
            tag = "!!binary"
            s = _encode_base64_lines(s.encode("utf-8", "surrogateescape"))
            can_plain = True
        else:
            can_plain = _resolve_tag(s) == _STR and not (_is_base60_float(s) or s in _OLD_BOOL)
        if "\n" in s:
            style = "literal"
        elif can_plain:
            style = "plain"
        else:
            style = "double"
        self.e.scalar(s, tag=tag, style=style, indent=self.child_indent(indent, in_sequence_item), simple_key=False)

    def key(self, name: str, indent: int) -> None:
        self.e.write_indent(indent)
        self.e.scalar(name, tag="", style="plain", indent=indent, simple_key=True)
        self.e.write_indicator(":", False, False, False)

    def struct(self, t: _GoType, obj: Any, indent_parent: int, in_sequence_item: bool) -> None:
        items = []
        for key, (attr, ftype) in t.fields.items():
            value = getattr(obj, attr)
            if _omitempty(t, attr) and _is_zero(ftype, value):
                continue
            items.append((key, ftype, value))
        if not items:
            self.e.write_indicator("{", True, True, False)
            self.e.write_indicator("}", False, False, False)
            return
        indent = self.child_indent(indent_parent, in_sequence_item)
        for key, ftype, value in items:
            self.key(key, indent)
            self.value(ftype, value, indent)

    def value(self, t: _GoType, value: Any, indent: int) -> None:
        kind = t.kind
        if kind == "ptr":
            if value is None:
                self.e.scalar("null", tag="", style="plain", indent=indent, simple_key=False)
                return
            assert t.elem is not None
            t, kind = t.elem, t.elem.kind
        if kind == "string":
            self.string(value, indent, False)
        elif kind == "bool":
            self.e.scalar("true" if value else "false", tag="", style="plain", indent=indent, simple_key=False)
        elif kind == "duration":
            self.string(format_go_duration(value), indent, False)
        elif kind == "struct":
            self.struct(t, value, indent, False)
        elif kind == "slice":
            self.sequence(t, value, indent)

    def sequence(self, t: _GoType, items: tuple[Any, ...], indent_parent: int) -> None:
        if not items:
            self.e.write_indicator("[", True, True, False)
            self.e.write_indicator("]", False, False, False)
            return
        indent = self.child_indent(indent_parent, False)
        assert t.elem is not None
        for item in items:
            self.e.write_indent(indent)
            self.e.write_indicator("-", True, False, True)
            if t.elem.kind == "struct":
                self.struct(t.elem, item, indent, True)
            else:
                self.string(item, indent, True)


_OMITEMPTY = {
    "policy.Rule": {"reason", "max_server_duration", "session_table"},
    "policy.Condition": {"profiles", "users", "time", "mode", "device"},
    "policy.TimeWindow": {"days", "hours", "timezone"},
    "policy.DeviceCondition": {
        "require_encryption", "require_mdm", "require_mdm_compliant", "require_firewall",
        "min_os_version", "allowed_os_types",
    },
}


def _omitempty(t: _GoType, attr: str) -> bool:
    return attr in _OMITEMPTY.get(t.name, ())


def _is_zero(t: _GoType, value: Any) -> bool:
    if t.kind == "ptr":
        return value is None
    if t.kind == "slice":
        return len(value) == 0
    if t.kind in ("string", "bool", "duration"):
        return not value
    return False


def normalize_policy(policy: Policy) -> str:
    """``yaml.Marshal(policy)`` as Go's ``sentinel policy diff``/``pull`` print it.

    Comments, key order, quoting and spacing are gone; what is left is what the
    TVM sees. Two policies with the same meaning normalise to the same text.
    """
    m = _Marshal()
    m.struct(_T_POLICY, policy, -1, False)
    m.e.write_indent(0)  # document end
    return "".join(m.e.out)
