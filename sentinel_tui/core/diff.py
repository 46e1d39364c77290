"""A line diff that shows every byte the signature covers.

The Go CLI's ``policy diff`` re-serialises both documents, which hides exactly the changes
that break a signature (comments, spacing, CRLF, a missing final newline, a BOM). This
model diffs the exact texts: a line's identity is its text *and* its line ending, and the
renderer helpers make invisible differences visible and escape every character a terminal
could interpret. Given two normalised texts the same functions give a meaning diff.

Model: :class:`Diff` holds :class:`Hunk` s of :class:`DiffLine` s. A run of deleted lines
directly followed by inserted lines is a change block; its lines are paired by position
(first with first), the pairs carry character :class:`Span` s, and :func:`side_by_side`
shows the same pairs on one row.

Matching: difflib's ``SequenceMatcher`` (autojunk off) on the lines. For inputs beyond
policy size (more than 100,000 line pairs) the lines are first anchored on lines that
occur once on each side (as patience diff does), and the stretches between anchors are
matched by SequenceMatcher, or by Myers' O(ND) algorithm when a stretch is large, since
SequenceMatcher is quadratic on the repeated lines YAML is full of.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import zip_longest

from .text import escape_char, hidden

__all__ = [
    "BinaryInputError", "decode_text", "Span", "DiffLine", "Hunk", "Diff", "diff_texts",
    "visible", "visible_marked", "unified_text", "side_by_side", "hunk_starts", "split_lines",
]


class BinaryInputError(ValueError):
    """The input is not text that can be diffed (invalid UTF-8 or NUL bytes)."""


def decode_text(data: bytes, label: str) -> str:
    """Strict UTF-8; a BOM stays in the text as U+FEFF so that it can be shown.

    Raises BinaryInputError for NUL bytes (a binary file, or UTF-16) and invalid UTF-8.
    """
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise TypeError(f"decode_text wants bytes, not {type(data).__name__}")
    nul = data.find(b"\0")
    if nul >= 0:
        hint = " (UTF-16 text?)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise BinaryInputError(
            f"{label} contains NUL bytes (first at offset {nul}){hint}; it is not a text policy")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BinaryInputError(
            f"{label} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None


@dataclass(frozen=True)
class Span:
    """Changed characters ``[start, end)`` of a line.

    Offsets index ``text + eol``: a span starting at ``len(text)`` means the line ending
    changed; it is empty (``start == end``) on a side that has no line ending.
    """

    start: int
    end: int


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "equal" | "insert" | "delete"
    old_no: int | None  # 1-based
    new_no: int | None
    text: str  # without its line ending
    eol: str  # "\n", "\r\n", "\r" or "" (last line without a final newline)
    spans: tuple[Span, ...] = ()  # only on insert/delete lines paired with a counterpart


@dataclass(frozen=True)
class Hunk:
    """Starts follow the unified-diff convention: 1-based, or the line before when the length is 0."""

    old_start: int
    old_len: int
    new_start: int
    new_len: int
    lines: tuple[DiffLine, ...]

    def header(self) -> str:
        return f"@@ -{_range(self.old_start, self.old_len)} +{_range(self.new_start, self.new_len)} @@"


def _range(start: int, length: int) -> str:
    return str(start) if length == 1 else f"{start},{length}"


@dataclass(frozen=True)
class Diff:
    hunks: tuple[Hunk, ...]
    added: int
    removed: int

    @property
    def identical(self) -> bool:
        return not self.hunks


# --------------------------------------------------------------------------------------
# lines

_LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|)")


def split_lines(text: str) -> list[tuple[str, str]]:
    """``(text, eol)`` pairs; only ``\\n``, ``\\r\\n`` and ``\\r`` end a line (as in YAML)."""
    out = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _LINE.match(text, pos)
        out.append((m.group(1), m.group(2)))
        pos = m.end()
    return out


# --------------------------------------------------------------------------------------
# line matching

_SMALL = 100_000  # line pairs SequenceMatcher handles in a few ms even on repeated lines
_MYERS_BUDGET = 3_000_000


def _sm_blocks(a, b, alo, ahi, blo, bhi, out):
    sm = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
    for i, j, size in sm.get_matching_blocks():
        if size:
            out.append((alo + i, blo + j, size))


def _myers_blocks(a, b, alo, ahi, blo, bhi, out) -> bool:
    """Matching blocks of a shortest edit script; False when it would cost too much."""
    n, m = ahi - alo, bhi - blo
    max_d = min(n + m, max(64, _MYERS_BUDGET // max(1, n + m)))
    off = max_d + 2
    v = [0] * (2 * max_d + 5)
    trace = []
    final_d = -1
    for d in range(max_d + 1):
        trace.append(v[off - d - 1: off + d + 2])
        for k in range(-d, d + 1, 2):
            if k == -d or (k != d and v[off + k - 1] < v[off + k + 1]):
                x = v[off + k + 1]
            else:
                x = v[off + k - 1] + 1
            y = x - k
            while x < n and y < m and a[alo + x] == b[blo + y]:
                x += 1
                y += 1
            v[off + k] = x
            if x >= n and y >= m:
                final_d = d
                break
        if final_d >= 0:
            break
    if final_d < 0:
        return False
    blocks = []
    x, y = n, m
    for d in range(final_d, -1, -1):
        snap = trace[d]
        k = x - y
        if k == -d or (k != d and snap[k - 1 + d + 1] < snap[k + 1 + d + 1]):
            prev_k = k + 1
            prev_x = snap[prev_k + d + 1]
            mid_x, mid_y = prev_x, prev_x - prev_k + 1
        else:
            prev_k = k - 1
            prev_x = snap[prev_k + d + 1]
            mid_x, mid_y = prev_x + 1, prev_x - prev_k
        if x > mid_x:
            blocks.append((alo + mid_x, blo + mid_y, x - mid_x))
        x, y = prev_x, prev_x - prev_k
    out.extend(reversed(blocks))
    return True


def _unique_anchors(a, b, alo, ahi, blo, bhi):
    """Pairs (i, j) of lines occurring once in each range, longest increasing in j."""
    count_a: dict = {}
    for i in range(alo, ahi):
        count_a[a[i]] = count_a.get(a[i], 0) + 1
    count_b: dict = {}
    pos_b: dict = {}
    for j in range(blo, bhi):
        line = b[j]
        count_b[line] = count_b.get(line, 0) + 1
        pos_b[line] = j
    pairs = [(i, pos_b[a[i]]) for i in range(alo, ahi)
             if count_a[a[i]] == 1 and count_b.get(a[i]) == 1]
    if not pairs:
        return []
    # longest increasing subsequence of the j's (patience sorting)
    tails: list[int] = []
    tails_idx: list[int] = []
    prev = [-1] * len(pairs)
    for idx, (_, j) in enumerate(pairs):
        p = bisect.bisect_left(tails, j)
        if p == len(tails):
            tails.append(j)
            tails_idx.append(idx)
        else:
            tails[p] = j
            tails_idx[p] = idx
        prev[idx] = tails_idx[p - 1] if p else -1
    seq = []
    idx = tails_idx[-1]
    while idx >= 0:
        seq.append(pairs[idx])
        idx = prev[idx]
    seq.reverse()
    return seq


def _matching_blocks(a: list, b: list) -> list[tuple[int, int, int]]:
    if len(a) * len(b) <= _SMALL:
        out: list = []
        _sm_blocks(a, b, 0, len(a), 0, len(b), out)
        return out
    out = []
    work = [(0, len(a), 0, len(b))]
    while work:
        alo, ahi, blo, bhi = work.pop()
        while alo < ahi and blo < bhi and a[alo] == b[blo]:
            out.append((alo, blo, 1))
            alo += 1
            blo += 1
        while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
            ahi -= 1
            bhi -= 1
            out.append((ahi, bhi, 1))
        if alo >= ahi or blo >= bhi:
            continue
        if (ahi - alo) * (bhi - blo) <= _SMALL:
            _sm_blocks(a, b, alo, ahi, blo, bhi, out)
            continue
        anchors = _unique_anchors(a, b, alo, ahi, blo, bhi)
        if anchors:
            i0, j0 = alo, blo
            for i, j in anchors:
                work.append((i0, i, j0, j))
                out.append((i, j, 1))
                i0, j0 = i + 1, j + 1
            work.append((i0, ahi, j0, bhi))
            continue
        if not _myers_blocks(a, b, alo, ahi, blo, bhi, out):
            pass  # too different and too repetitive to align cheaply: one change block
    out.sort()
    merged: list[list[int]] = []
    for i, j, size in out:
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            merged[-1][2] += size
        else:
            merged.append([i, j, size])
    return [tuple(block) for block in merged]


def _opcodes(a: list, b: list) -> list[tuple[str, int, int, int, int]]:
    ops = []
    i = j = 0
    for ai, bj, size in _matching_blocks(a, b) + [(len(a), len(b), 0)]:
        tag = ""
        if i < ai and j < bj:
            tag = "replace"
        elif i < ai:
            tag = "delete"
        elif j < bj:
            tag = "insert"
        if tag:
            ops.append((tag, i, ai, j, bj))
        i, j = ai + size, bj + size
        if size:
            ops.append(("equal", ai, i, bj, j))
    return ops


def _grouped(ops, context: int):
    """difflib.get_grouped_opcodes, for a list that has at least one change."""
    ops = list(ops)
    if ops[0][0] == "equal":
        tag, i1, i2, j1, j2 = ops[0]
        ops[0] = tag, max(i1, i2 - context), i2, max(j1, j2 - context), j2
    if ops[-1][0] == "equal":
        tag, i1, i2, j1, j2 = ops[-1]
        ops[-1] = tag, i1, min(i2, i1 + context), j1, min(j2, j1 + context)
    group = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal" and i2 - i1 > 2 * context:
            group.append((tag, i1, min(i2, i1 + context), j1, min(j2, j1 + context)))
            yield group
            group = []
            i1, j1 = max(i1, i2 - context), max(j1, j2 - context)
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == "equal"):
        yield group


# --------------------------------------------------------------------------------------
# character spans

_SPAN_CELLS = 250_000


def _merge(spans: list[Span], gap: int = 0) -> list[Span]:
    out: list[Span] = []
    for s in sorted(spans, key=lambda s: (s.start, s.end)):
        if out and s.start <= out[-1].end + gap:
            out[-1] = Span(out[-1].start, max(out[-1].end, s.end))
        else:
            out.append(s)
    return out


def _char_spans(old: str, new: str) -> tuple[list[Span], list[Span]]:
    limit = min(len(old), len(new))
    p = 0
    while p < limit and old[p] == new[p]:
        p += 1
    s = 0
    while s < limit - p and old[len(old) - 1 - s] == new[len(new) - 1 - s]:
        s += 1
    a, b = old[p:len(old) - s], new[p:len(new) - s]
    if not a and not b:
        return [], []
    if not a or not b or len(a) * len(b) > _SPAN_CELLS:
        return ([Span(p, p + len(a))] if a else []), ([Span(p, p + len(b))] if b else [])
    sa: list[Span] = []
    sb: list[Span] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            sa.append(Span(p + i1, p + i2))
        if j2 > j1:
            sb.append(Span(p + j1, p + j2))
    # one or two unchanged characters between changes read better as one change
    return _merge(sa, gap=2), _merge(sb, gap=2)


def _pair_spans(old: tuple[str, str], new: tuple[str, str]) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    sa, sb = _char_spans(old[0], new[0])
    if old[1] != new[1]:
        sa.append(Span(len(old[0]), len(old[0]) + len(old[1])))
        sb.append(Span(len(new[0]), len(new[0]) + len(new[1])))
    return tuple(sa), tuple(sb)


# --------------------------------------------------------------------------------------
# the diff


def diff_texts(old: str, new: str, context: int = 3) -> Diff:
    """Line diff of two texts; a line differing only in its line ending or trailing blanks differs."""
    if context < 0:
        raise ValueError("context must be >= 0")
    a_lines = split_lines(old)
    b_lines = split_lines(new)
    a_keys = [t + e for t, e in a_lines]
    b_keys = [t + e for t, e in b_lines]
    if a_keys == b_keys:
        return Diff((), 0, 0)
    ops = _opcodes(a_keys, b_keys)
    hunks = []
    added = removed = 0
    for group in _grouped(ops, context):
        lines: list[DiffLine] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for k in range(i2 - i1):
                    t, e = a_lines[i1 + k]
                    lines.append(DiffLine("equal", i1 + k + 1, j1 + k + 1, t, e))
                continue
            old_spans: dict[int, tuple[Span, ...]] = {}
            new_spans: dict[int, tuple[Span, ...]] = {}
            if tag == "replace":
                for k in range(min(i2 - i1, j2 - j1)):
                    old_spans[i1 + k], new_spans[j1 + k] = _pair_spans(a_lines[i1 + k], b_lines[j1 + k])
            for i in range(i1, i2):
                t, e = a_lines[i]
                lines.append(DiffLine("delete", i + 1, None, t, e, old_spans.get(i, ())))
            for j in range(j1, j2):
                t, e = b_lines[j]
                lines.append(DiffLine("insert", None, j + 1, t, e, new_spans.get(j, ())))
            removed += i2 - i1
            added += j2 - j1
        first, last = group[0], group[-1]
        i1, i2, j1, j2 = first[1], last[2], first[3], last[4]
        hunks.append(Hunk(i1 + 1 if i2 > i1 else i1, i2 - i1, j1 + 1 if j2 > j1 else j1, j2 - j1,
                          tuple(lines)))
    return Diff(tuple(hunks), added, removed)


# --------------------------------------------------------------------------------------
# making the invisible visible

NO_EOL_MARK = "⏎̸ no newline at end"
CR_MARK = "␍"
CR_ONLY_MARK = "␍ no LF"
BOM_MARK = "⟨BOM⟩"


def _pieces(text: str, eol: str):
    """(start, end, shown, kind) for each character of text + eol."""
    trailing = len(text.rstrip(" \t"))
    out = []
    for i, ch in enumerate(text):
        if ch == "\t":
            out.append((i, i + 1, "→", "tab"))
        elif ch == " ":
            out.append((i, i + 1, "·" if i >= trailing else " ", "space-trailing" if i >= trailing else "text"))
        elif ch == "\ufeff":
            out.append((i, i + 1, BOM_MARK, "bom"))
        elif hidden(ch):
            out.append((i, i + 1, escape_char(ch), "control"))
        else:
            out.append((i, i + 1, ch, "text"))
    n = len(text)
    if eol == "\r\n":
        out.append((n, n + 2, CR_MARK, "cr"))
    elif eol == "\r":
        out.append((n, n + 1, CR_ONLY_MARK, "cr"))
    elif eol == "":
        out.append((n, n, NO_EOL_MARK, "no-eol"))
    return out


def visible(text: str, eol: str) -> list[tuple[str, str]]:
    """Segments ``(shown, kind)`` of a line, kind in text, space-trailing, tab, cr, bom, no-eol, control.

    Trailing spaces show as ``·``, tabs as ``→``, a CRLF ending as ``␍`` (a bare CR ending as
    ``␍ no LF``), a BOM as ``⟨BOM⟩``, a missing final newline as ``⏎̸ no newline at end``, and
    control, format and odd space characters (ESC, bidi overrides, zero-width and no-break
    spaces, ...) as escapes like ``\\x1b`` or ``\\u202e``. Nothing returned is interpreted by a
    terminal.
    """
    out: list[tuple[str, str]] = []
    for _, _, shown, kind in _pieces(text, eol):
        if out and out[-1][1] == kind and kind in ("text", "space-trailing", "tab"):
            out[-1] = (out[-1][0] + shown, kind)
        else:
            out.append((shown, kind))
    return out


def visible_marked(line: DiffLine) -> list[tuple[str, str, bool]]:
    """Like :func:`visible`, split where the line's spans start and end: ``(shown, kind, changed)``."""
    n = len(line.text)
    out: list[tuple[str, str, bool]] = []
    for start, end, shown, kind in _pieces(line.text, line.eol):
        if start >= n:  # the line ending
            changed = any(s.start >= n for s in line.spans)
        else:
            changed = any(s.start < end and start < s.end for s in line.spans)
        if out and out[-1][1] == kind and out[-1][2] == changed and kind in ("text", "space-trailing", "tab"):
            out[-1] = (out[-1][0] + shown, kind, changed)
        else:
            out.append((shown, kind, changed))
    return out


def _safe(text: str) -> str:
    """Text with only hidden characters escaped (tabs and spaces kept): for context lines."""
    if all(" " <= ch <= "~" for ch in text):
        return text
    return "".join(
        BOM_MARK if ch == "\ufeff" else escape_char(ch) if ch != "\t" and hidden(ch) else ch
        for ch in text)


def unified_text(diff: Diff, old_label: str, new_label: str) -> str:
    """A classic unified diff for the terminal; "" when the texts are identical.

    Changed lines are rendered with :func:`visible` (so a CRLF-only or trailing-space change
    is readable and a missing final newline is marked on the line); context lines keep tabs
    and spaces but escape control characters, and a context line without a final newline is
    followed by the classic ``\\ No newline at end of file``.
    """
    if diff.identical:
        return ""
    out = [f"--- {_safe(old_label)}\n", f"+++ {_safe(new_label)}\n"]
    for hunk in diff.hunks:
        out.append(hunk.header() + "\n")
        for line in hunk.lines:
            if line.kind == "equal":
                out.append(" " + _safe(line.text) + "\n")
                if line.eol == "":
                    out.append("\\ No newline at end of file\n")
            else:
                mark = "-" if line.kind == "delete" else "+"
                out.append(mark + "".join(shown for shown, _ in visible(line.text, line.eol)) + "\n")
    return "".join(out)


def side_by_side(diff: Diff) -> list[tuple[DiffLine | None, DiffLine | None]]:
    """Rows ``(old, new)`` of all hunks: equal lines on both sides, deletes paired with inserts."""
    rows: list[tuple[DiffLine | None, DiffLine | None]] = []
    for hunk in diff.hunks:
        rows.extend(_hunk_rows(hunk))
    return rows


def _hunk_rows(hunk: Hunk):
    rows = []
    dels: list[DiffLine] = []
    ins: list[DiffLine] = []

    def flush():
        rows.extend(zip_longest(dels, ins))
        dels.clear()
        ins.clear()

    for line in hunk.lines:
        if line.kind == "equal":
            flush()
            rows.append((line, line))
        elif line.kind == "delete":
            if ins:
                flush()
            dels.append(line)
        else:
            ins.append(line)
    flush()
    return rows


def hunk_starts(diff: Diff, *, side_by_side: bool = False) -> list[int]:
    """Index of each hunk's first row, in the unified line list or in side_by_side() rows."""
    starts = []
    pos = 0
    for hunk in diff.hunks:
        starts.append(pos)
        pos += len(_hunk_rows(hunk)) if side_by_side else len(hunk.lines)
    return starts
