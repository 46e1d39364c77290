"""Reader stage: bytes to text with libyaml's and yaml.v3's rules.

BOMs and encodings (UTF-8, UTF-16 LE/BE), the 512-byte chunks Go's reader
fills, invalid UTF-8 and control characters: text is accepted or refused as
yaml.v3 does, with its messages (tests/core/test_parity_parse.py holds this to
upstream byte for byte); ruamel's reader is adapted to the same rules. Pure.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from .model import _Fatal


# ---------------------------------------------------------------------------
# Input bytes -> text, with libyaml's reader rules

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
