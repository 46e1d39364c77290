"""Small equivalents of Go standard-library behaviour, shared by the policy and envelope readers.

Each function says which Go function it matches; the readers' oracle tests (tests/core) check
the messages that use them against upstream's Go code.

* :func:`quote` is ``strconv.Quote`` (what ``%#v`` and ``%q`` print for a string);
  :func:`is_print` is ``unicode.IsPrint``.
* :func:`quote_byte_rune` is encoding/json's ``quoteChar``: a byte as the rune U+00XX, quoted
  by ``strconv.QuoteRune``.
* :func:`json_string` is how ``json.Marshal`` writes a string (HTML-safe escapes included).
* :func:`time_quote` is the time package's unexported ``quote()`` used in parse errors.
* :func:`days_in` is the time package's ``daysIn``.

Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["is_print", "quote", "quote_byte_rune", "json_string", "time_quote", "days_in"]


def is_print(ch: str) -> bool:
    """``unicode.IsPrint``: letters, marks, numbers, punctuation, symbols, and U+0020."""
    return ch == " " or unicodedata.category(ch)[0] in "LMNPS"


_SHORT = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def quote(s: str) -> str:
    """Go's ``strconv.Quote`` (what ``%#v`` prints for a string).

    Lone surrogates (bytes kept with ``surrogateescape``) print as ``\\xNN``, as Go
    prints invalid UTF-8 bytes.
    """
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif 0xDC80 <= o <= 0xDCFF:
            out.append(f"\\x{o - 0xDC00:02x}")
        elif o < 0x80 and is_print(ch):
            out.append(ch)
        elif o >= 0x80 and not 0xD800 <= o <= 0xDFFF and is_print(ch):
            out.append(ch)
        elif ch in _SHORT:
            out.append(_SHORT[ch])
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\x{o:02x}")
        elif 0xD800 <= o <= 0xDFFF:
            out.append("\\ufffd")
        elif o < 0x10000:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    out.append('"')
    return "".join(out)


def quote_byte_rune(c: int) -> str:
    """encoding/json's quoteChar: the byte as the rune U+00XX, quoted by strconv.QuoteRune."""
    if c == 0x27:
        return "'\\''"
    if c == 0x22:
        return "'\"'"
    if c == 0x5C:
        return "'\\\\'"
    if c < 0x20 or c == 0x7F:
        short = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r"}
        return "'" + short.get(c, f"\\x{c:02x}") + "'"
    ch = chr(c)
    if c >= 0x80 and not ch.isprintable():
        return f"'\\u{c:04x}'"
    return f"'{ch}'"


_JSON_ESCAPE = re.compile('["\\\\\x00-\x1f<>&\u2028\u2029\ud800-\udfff]')
_JSON_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _json_escape(match: re.Match) -> str:
    ch = match.group()
    short = _JSON_SHORT.get(ch)
    if short:
        return short
    if "\ud800" <= ch <= "\udfff":
        return "\\ufffd"  # Go writes invalid UTF-8 as U+FFFD
    return f"\\u{ord(ch):04x}"


def json_string(s: str) -> str:
    """A string as ``json.Marshal`` writes it (``<``, ``>``, ``&``, U+2028/9 escaped)."""
    return '"' + _JSON_ESCAPE.sub(_json_escape, s) + '"'


def time_quote(s: str | bytes) -> str:
    """The time package's quote(): non-ASCII and control bytes as ``\\xNN`` per UTF-8 byte."""
    data = s.encode("utf-8", "surrogateescape") if isinstance(s, str) else s
    out = ['"']
    for b in data:
        if b >= 0x80 or b < 0x20:
            out.append(f"\\x{b:02x}")
        else:
            if b in (0x22, 0x5C):
                out.append("\\")
            out.append(chr(b))
    out.append('"')
    return "".join(out)


def days_in(month: int, year: int) -> int:
    """The number of days in a month of a proleptic Gregorian year (Go's ``daysIn``)."""
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31
