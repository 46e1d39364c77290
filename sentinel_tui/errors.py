"""The base error of sentinel_tui and the kinds of error it can carry.

Every domain error is a :class:`SentinelError`: ``what`` says what happened in one plain
sentence, naming the resource; ``fix`` says what to do; ``detail`` keeps raw codes and
messages for a "show details" view; ``kind`` is one of :class:`ErrorKind`.

Two guarantees hold for every SentinelError:

* ``what``, ``fix`` and ``detail`` never carry credentials: access key ids, secret keys,
  session tokens and signing headers are replaced by ``[REDACTED]``
  (:func:`sentinel_tui.core.text.scrub`).
* they cannot drive a terminal nor read differently from what they hold: control, bidi and
  zero-width characters are shown escaped, as ``\\x1b`` or ``\\u202e``
  (:func:`sentinel_tui.core.text.inert`).

This module imports nothing outside the standard library and ``core.text``: a module that
only needs to raise a usage error does not pull in botocore. AWS failures are translated
into :class:`sentinel_tui.aws.errors.AwsError`, a subclass.
"""

from __future__ import annotations

from enum import StrEnum

from .core.text import inert, scrub

__all__ = ["ErrorKind", "SentinelError", "clean_message"]


class ErrorKind(StrEnum):
    """What kind of failure an error is. A StrEnum: ``err.kind == "usage"`` still holds."""

    # raised by sentinel_tui itself
    ERROR = "error"
    USAGE = "usage"
    VALIDATION = "validation"
    CANCELLED = "cancelled"
    CONFLICT = "conflict"
    EXISTS = "exists"
    MALFORMED = "malformed"
    UNSIGNED = "unsigned"
    UNPARSEABLE = "unparseable"
    BINARY = "binary"
    READ_ONLY = "read-only"
    UNEXPECTED = "unexpected"
    PUSH_FAILED = "push-failed"
    # translated from AWS (aws.errors.translate); some are raised locally too
    ACCESS_DENIED = "access-denied"
    NOT_FOUND = "not-found"
    ALREADY_EXISTS = "already-exists"
    THROTTLED = "throttled"
    KEY_DISABLED = "key-disabled"
    KEY_INVALID_STATE = "key-invalid-state"
    KEY_USAGE = "key-usage"
    INVALID_SIGNATURE = "invalid-signature"
    TOO_LARGE = "too-large"
    LIMIT_EXCEEDED = "limit-exceeded"
    PARAMETER_VERSION_CONFLICT = "parameter-version-conflict"
    EXPIRED_CREDENTIALS = "expired-credentials"
    NO_CREDENTIALS = "no-credentials"
    INVALID_CREDENTIALS = "invalid-credentials"
    CLOCK_SKEW = "clock-skew"
    ENDPOINT_UNREACHABLE = "endpoint-unreachable"
    CONNECTION_DROPPED = "connection-dropped"
    TLS_ERROR = "tls-error"
    UNKNOWN_REGION = "unknown-region"
    SERVICE_UNAVAILABLE = "service-unavailable"
    UNKNOWN = "unknown"


def clean_message(text: object) -> str:
    """A message made safe to show: credentials redacted, hidden characters escaped."""
    return inert(scrub(str(text or "")))


def _rebuild(cls, state):  # used by __reduce__ (pickling across processes)
    obj = cls.__new__(cls)
    Exception.__init__(obj, state.get("what", ""))
    obj.__dict__.update(state)
    return obj


class SentinelError(Exception):
    """Base of every domain error of sentinel_tui.

    ``what`` says what happened in one plain sentence, naming the resource;
    ``fix`` says what to do; ``detail`` keeps raw codes and messages for a
    "show details" view. All three are scrubbed of credentials and hidden
    characters when the error is built. ``kind`` is an :class:`ErrorKind` when the
    string given is one (it compares equal to its string either way).
    """

    def __init__(self, what: str, fix: str = "", *, kind: ErrorKind | str = ErrorKind.ERROR, detail: str = ""):
        self.what = clean_message(what)
        self.fix = clean_message(fix)
        self.kind = ErrorKind(kind) if kind in ErrorKind._value2member_map_ else kind
        self.detail = clean_message(detail)
        super().__init__(self.what)

    def __str__(self) -> str:
        return self.what + (f"\nFix: {self.fix}" if self.fix else "")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kind={str(self.kind)!r}, what={self.what!r})"

    def __reduce__(self):
        return _rebuild, (type(self), dict(self.__dict__))
