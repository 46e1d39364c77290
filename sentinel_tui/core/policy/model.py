"""Policy documents as Go's structs: the dataclasses, constants, findings and errors.

The shapes mirror upstream's ``policy/types.go``; every node remembers its line
(``_Located``) so that lints and errors can point at the document. Also Go's
``time.ParseDuration``/``Duration.String`` (durations are part of the model).
Nothing here reads YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..golang import time_quote as _time_quote


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
# The error every stage raises to abort, as yaml.v3's failf does


class _Fatal(Exception):
    """A yaml.v3 failf/fail: aborts decoding; ``message`` is the error text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
