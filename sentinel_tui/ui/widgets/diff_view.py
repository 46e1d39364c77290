"""The diff view: what a push would change, byte for byte or in meaning.

:class:`DiffView` shows a :class:`~sentinel_tui.ops.diffs.DiffModel` side by side or
unified, with line numbers for both sides, pygments' YAML colours (the lexer is given
explicitly: a parameter name has no ``.yaml`` suffix to guess from), the changed
characters of changed lines on a stronger background, and the invisible characters a
signature cares about (trailing spaces ``·``, tabs ``→``, CR ``␍``, a BOM ``⟨BOM⟩``, a
missing final newline, control characters as ``\\x1b``) in a style of their own.

Keys: ``n``/``p`` next/previous hunk, ``+``/``-`` more/less context, ``t`` side by side
or unified, ``m`` cycles bytes → meaning → access (which requests change decision:
:mod:`sentinel_tui.core.access`, computed in a thread).

The body is a Line API widget (:class:`DiffBody`): only the rows on screen are rendered,
and YAML is lexed lazily up to the last line shown, so a 4,000-line diff opens as fast as
a short one. Everything from a file or from SSM is untrusted: it becomes Rich ``Text``
(never markup), with control characters escaped by :func:`core.diff.visible`.
"""

from __future__ import annotations

import bisect
from pathlib import Path
import re
from typing import Iterator

from pygments.lexers.data import YamlLexer
from pygments.token import Token, _TokenType
from rich.cells import cell_len
from rich.style import Style
from rich.syntax import PygmentsSyntaxTheme
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from ...core.diff import Diff, DiffLine, Hunk, side_by_side, split_lines, visible, visible_marked
from ...ops.diffs import (
    MEANING_SYNC_LIMIT, DiffInputError, DiffModel, DiffRequest, Meaning, build_diff, compare_meaning,
    with_meaning,
)
from ..keymap import KEYS

__all__ = ["DiffView", "DiffBody", "safe_label", "side_names"]

LAYOUTS = ("split", "unified")
MAX_CONTEXT = 999


def safe_label(text: str) -> str:
    """A label (a path, a parameter name) with every character a terminal could act on escaped."""
    return "".join(shown for shown, _ in visible(text, "\n"))


def side_names(request: DiffRequest) -> tuple[str, str]:
    """Short names of the two sides, for the summary."""
    if request.kind == "signed":
        return "signed", "current"
    if request.kind == "versions":
        old = request.old_label.split()[2] if request.old_label.startswith("stored version ") else "old"
        new = request.new_label.split()[2] if request.new_label.startswith("stored version ") else "new"
        return f"v{old}", f"v{new}"
    if request.kind == "local":
        return "stored", "local"
    return "old", "new"


# --------------------------------------------------------------------------------------
# YAML colours, lexed lazily


class _LazyTokens:
    """Pygments tokens per line of one side, lexed only as far as a line that is shown.

    The YAML lexer has state (block scalars, flow collections), so the text is lexed from
    the start; each line is given a plain ``\\n`` ending for the lexer whatever its real
    ending, so CRLF and CR files colour like LF files.
    """

    def __init__(self, text: str):
        lines = split_lines(text)
        self._starts: list[int] = []
        self._lens: list[int] = []
        offset = 0
        parts = []
        for body, _ in lines:
            self._starts.append(offset)
            self._lens.append(len(body))
            parts.append(body)
            offset += len(body) + 1
        self._n = len(lines)
        self._tokens: list[list[tuple[int, int, _TokenType]]] = [[] for _ in lines]
        self._lexed_to = 0
        self._gen: Iterator | None = (
            YamlLexer().get_tokens_unprocessed("\n".join(parts) + "\n") if lines else None)

    def line(self, index: int) -> list[tuple[int, int, _TokenType]]:
        """Tokens ``(start, end, type)`` of line ``index`` (0-based), offsets within the line."""
        if index < 0 or index >= self._n:
            return []
        need = self._starts[index] + self._lens[index]
        while self._gen is not None and self._lexed_to < need:
            try:
                start, ttype, value = next(self._gen)
            except StopIteration:
                self._gen = None
                break
            except Exception:  # a lexer bug must not take the view down: stop colouring
                self._gen = None
                break
            end = start + len(value)
            self._lexed_to = end
            if ttype in Token.Text or not value:
                continue
            li = bisect.bisect_right(self._starts, start) - 1
            while li < self._n and li >= 0:
                line_start = self._starts[li]
                if line_start >= end:
                    break
                s = max(start, line_start)
                e = min(end, line_start + self._lens[li])
                if e > s:
                    self._tokens[li].append((s - line_start, e - line_start, ttype))
                li += 1
        return self._tokens[index]


# --------------------------------------------------------------------------------------
# the body: a Line API view of the rows

_HIDDEN = re.compile(r"[^\x20-\x7e]")


def _width_estimate(text: str) -> int:
    """Cells a line takes once made visible: its cells, plus room for escapes and markers."""
    return cell_len(text) + 10 * len(_HIDDEN.findall(text)) + 24


class DiffLayout:
    """The rows of a model in one layout, with what painting them needs (the lexers, the
    widths): made by `layout_rows`, a pure function, so a large diff is laid out in a
    thread (`DiffView`) and only handed to the body on the UI thread."""

    __slots__ = ("model", "split", "rows", "hunk_rows", "number_width", "content_width", "lex")

    def __init__(self, model: DiffModel, split: bool, rows: list[tuple], hunk_rows: list[int], number_width: int,
                 content_width: int, lex: dict[str, "_LazyTokens"] | None):
        self.model = model
        self.split = split
        self.rows = rows
        self.hunk_rows = hunk_rows
        self.number_width = number_width
        self.content_width = content_width
        self.lex = lex


def layout_rows(model: DiffModel, split: bool, *, lex: dict[str, "_LazyTokens"] | None = None) -> DiffLayout:
    """`model`'s rows, side by side (`split`) or unified; `lex`: the lexers of the same texts,
    kept (None: made here)."""
    diff = model.diff
    rows: list[tuple] = []
    hunk_rows: list[int] = []
    widest = 0
    for index, hunk in enumerate(diff.hunks):
        hunk_rows.append(len(rows))
        rows.append(("hunk", index, hunk))
        if split:
            rows.extend(("pair", old, new) for old, new in side_by_side(Diff((hunk,), 0, 0)))
        else:
            rows.extend(("line", line) for line in hunk.lines)
        for line in hunk.lines:
            widest = max(widest, _width_estimate(line.text))
    if diff.identical:
        rows.extend(("note", text, style) for text, style in _identical_notes(model))
    last = diff.hunks[-1] if diff.hunks else None
    top = max(last.old_start + last.old_len, last.new_start + last.new_len) if last else 1
    if lex is None:
        lex = {"old": _LazyTokens(model.old_text), "new": _LazyTokens(model.new_text)}
    return DiffLayout(model, split, rows, hunk_rows, max(2, len(str(top))), widest, lex)


class DiffBody(ScrollView, can_focus=True):
    """The rows of a diff: hunk headers and lines, unified or side by side."""

    COMPONENT_CLASSES = {
        "diff-view--gutter",
        "diff-view--delete",
        "diff-view--insert",
        "diff-view--delete-change",
        "diff-view--insert-change",
        "diff-view--invisible",
        "diff-view--hunk",
        "diff-view--hunk-current",
        "diff-view--filler",
        "diff-view--note",
        "diff-view--error",
    }

    DEFAULT_CSS = """
    DiffBody {
        background: $surface;
        height: 1fr;
        &:focus { background-tint: $foreground 3%; }
        & > .diff-view--gutter { color: $text-muted; }
        & > .diff-view--delete { background: $error 18%; }
        & > .diff-view--insert { background: $success 18%; }
        & > .diff-view--delete-change { background: $error 55%; }
        & > .diff-view--insert-change { background: $success 55%; }
        & > .diff-view--invisible { color: $warning; text-style: bold; }
        & > .diff-view--hunk { color: $text-accent; background: $boost; }
        & > .diff-view--hunk-current { color: $text; background: $accent 45%; text-style: bold; }
        & > .diff-view--filler { color: $text-disabled; background: $panel; }
        & > .diff-view--note { color: $text-muted; text-style: italic; }
        & > .diff-view--error { color: $text-error; text-style: bold; }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.model: DiffModel | None = None
        self.split = True
        self.current_hunk = 0
        self._rows: list[tuple] = []
        self._hunk_rows: list[int] = []
        self._number_width = 1
        self._content_width = 1
        self._strips: LRUCache[tuple, Strip] = LRUCache(2048)
        self._texts: LRUCache[tuple, Text] = LRUCache(4096)
        self._lex: dict[str, _LazyTokens] = {}
        self._token_styles: dict[_TokenType, Style] = {}
        self._syntax: PygmentsSyntaxTheme | None = None
        self._syntax_dark: bool | None = None

    # -- content ---------------------------------------------------------------------

    @property
    def rows(self) -> list[tuple]:
        return self._rows

    @property
    def hunk_rows(self) -> list[int]:
        return self._hunk_rows

    def _same_texts(self, model: DiffModel) -> bool:
        return self.model is not None and model.old_text == self.model.old_text and \
            model.new_text == self.model.new_text

    def show(self, model: DiffModel, *, split: bool, current_hunk: int = 0, layout: DiffLayout | None = None) -> None:
        """Show ``model`` (a new one, or the same in another layout); ``layout``: its rows, laid
        out already (`layout_rows`, in a thread for a large diff)."""
        same = self._same_texts(model)
        if layout is None or layout.model is not model or layout.split != split:
            layout = layout_rows(model, split, lex=self._lex if same and self._lex else None)
        if not same:
            self._texts.clear()
        self._lex = layout.lex
        self.model = model
        self.split = split
        self._number_width = layout.number_width
        self._content_width = layout.content_width
        self._rows = layout.rows
        self._hunk_rows = layout.hunk_rows
        self.current_hunk = min(max(current_hunk, 0), max(len(layout.hunk_rows) - 1, 0))
        self._strips.clear()
        self._update_virtual_size()
        self.refresh()

    def show_error(self, what: str, fix: str = "") -> None:
        """Show a refusal (binary input, unparseable YAML) in place of the rows."""
        self.model = None
        self._rows = [("note", what, "error")] + ([("note", "Fix: " + fix, "note")] if fix else [])
        self._hunk_rows = []
        self._content_width = max(len(what), len(fix) + 5)
        self._strips.clear()
        self._update_virtual_size()
        self.refresh()

    def set_current_hunk(self, index: int, *, scroll: bool = True) -> None:
        if not self._hunk_rows:
            return
        self.current_hunk = min(max(index, 0), len(self._hunk_rows) - 1)
        self._strips.clear()
        if scroll:
            self.scroll_to(y=self._hunk_rows[self.current_hunk], animate=False, force=True)
        self.refresh()

    def hunk_near_top(self) -> int:
        """The current hunk when its header is on screen, else the last hunk that starts above the view."""
        if not self._hunk_rows:
            return -1
        top = round(self.scroll_y)
        height = self.scrollable_content_region.height or self.size.height
        row = self._hunk_rows[self.current_hunk]
        if top <= row < top + max(height, 1):
            return self.current_hunk
        return bisect.bisect_right(self._hunk_rows, top) - 1

    # -- geometry --------------------------------------------------------------------

    def _view_width(self) -> int:
        return self.scrollable_content_region.width or self.size.width

    def _gutter(self) -> int:
        w = self._number_width
        return 2 * w + 4 if not self.split else w + 3

    def _half_widths(self, width: int) -> tuple[int, int]:
        left = (width - 1) // 2
        return left, width - 1 - left

    def _update_virtual_size(self) -> None:
        width = self._view_width()
        if self.split:
            left, _ = self._half_widths(width)
            extra = max(0, self._content_width - max(left - self._gutter(), 1))
            virtual = width + extra
        else:
            virtual = self._gutter() + self._content_width
        self.virtual_size = Size(max(virtual, 1), len(self._rows))

    def on_resize(self) -> None:
        self._strips.clear()
        self._update_virtual_size()
        self._refresh_labels()

    def _refresh_labels(self) -> None:
        try:
            self.parent.query_one(DiffLabels).refresh()
        except Exception:
            pass

    def watch_show_vertical_scrollbar(self) -> None:
        self._refresh_labels()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._texts.clear()
        self._token_styles.clear()

    # -- styles ----------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"diff-view--{name}")

    def _token_style(self, ttype: _TokenType) -> Style:
        dark = self.app.current_theme.dark if self.is_attached else True
        if self._syntax is None or self._syntax_dark != dark:
            self._syntax = PygmentsSyntaxTheme("monokai" if dark else "friendly")
            self._syntax_dark = dark
            self._token_styles.clear()
        style = self._token_styles.get(ttype)
        if style is None:
            full = self._syntax.get_style_for_token(ttype)
            style = Style(color=full.color, bold=full.bold, italic=full.italic)
            self._token_styles[ttype] = style
        return style

    # -- rendering -------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self._view_width()
        key = (row, scroll_x, width, self.split)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(row, scroll_x, width)
            self._strips[key] = strip
        return strip

    def _render_row(self, row: int, scroll_x: int, width: int) -> Strip:
        base = self.rich_style
        if row >= len(self._rows) or width <= 0:
            return Strip.blank(width, base)
        entry = self._rows[row]
        kind = entry[0]
        if kind == "hunk":
            return self._hunk_strip(entry[1], entry[2], width)
        if kind == "note":
            style = base + self._style(entry[2] if entry[2] in ("error", "hunk") else "note")
            text = Text(" " + safe_label(entry[1]), no_wrap=True, end="")
            return self._text_strip(text, style).crop_extend(scroll_x, scroll_x + width, style)
        if kind == "line":
            return self._unified_strip(entry[1], scroll_x, width)
        left, right = self._half_widths(width)
        sep_style = base + self._style("gutter")
        return Strip.join([
            self._half_strip(entry[1], "old", scroll_x, left),
            Strip([_seg("│", sep_style)], 1),
            self._half_strip(entry[2], "new", scroll_x, right),
        ])

    def _line_style(self, line: DiffLine | None) -> Style:
        base = self.rich_style
        if line is None:
            return base + self._style("filler")
        if line.kind == "delete":
            return base + self._style("delete")
        if line.kind == "insert":
            return base + self._style("insert")
        return base

    def _hunk_strip(self, index: int, hunk: Hunk, width: int) -> Strip:
        current = index == self.current_hunk
        style = self.rich_style + self._style("hunk-current" if current else "hunk")
        marker = "▶ " if current else "  "
        label = f"{marker}{hunk.header()}  hunk {index + 1}/{len(self._hunk_rows)}"
        return self._text_strip(Text(label, no_wrap=True, end=""), style).crop_extend(0, width, style)

    def _unified_strip(self, line: DiffLine, scroll_x: int, width: int) -> Strip:
        line_style = self._line_style(line)
        w = self._number_width
        sign = {"delete": "-", "insert": "+"}.get(line.kind, " ")
        gutter_style = line_style + self._style("gutter")
        old_no = "" if line.old_no is None else str(line.old_no)
        new_no = "" if line.new_no is None else str(line.new_no)
        gutter = f"{old_no:>{w}} {new_no:>{w}} {sign} "
        gutter_width = len(gutter)
        parts = [Strip([_seg(gutter, gutter_style)], gutter_width)]
        content_width = max(width - gutter_width, 0)
        if content_width:
            side = "old" if line.kind == "delete" else "new"
            parts.append(self._content_strip(line, side, scroll_x, content_width, line_style))
        return Strip.join(parts).crop_extend(0, width, line_style)

    def _half_strip(self, line: DiffLine | None, side: str, scroll_x: int, width: int) -> Strip:
        line_style = self._line_style(line)
        if width <= 0:
            return Strip([], 0)
        if line is None:
            return Strip.blank(width, line_style)
        w = self._number_width
        number = line.old_no if side == "old" else line.new_no
        sign = {"delete": "-", "insert": "+"}.get(line.kind, " ")
        gutter = f"{'' if number is None else number:>{w}} {sign} "
        gutter_style = line_style + self._style("gutter")
        gutter_strip = Strip([_seg(gutter, gutter_style)], len(gutter)).crop_extend(0, min(width, len(gutter)),
                                                                                   gutter_style)
        content_width = width - gutter_strip.cell_length
        if content_width <= 0:
            return gutter_strip.crop_extend(0, width, line_style)
        return Strip.join([gutter_strip, self._content_strip(line, side, scroll_x, content_width, line_style)])

    def _content_strip(self, line: DiffLine, side: str, scroll_x: int, width: int, line_style: Style) -> Strip:
        text = self._line_text(line, side)
        return self._text_strip(text, line_style).crop_extend(scroll_x, scroll_x + width, line_style)

    def _text_strip(self, text: Text, base: Style) -> Strip:
        """``text`` as a Strip over ``base`` (Rich's Text.render drops the base style of a Text without spans)."""
        return Strip(list(text.render(self.app.console))).apply_style(base)

    def _line_text(self, line: DiffLine, side: str) -> Text:
        number = line.old_no if side == "old" else line.new_no
        key = (side, number, line.kind, line.spans)
        text = self._texts.get(key)
        if text is not None:
            return text
        tokens = self._lex[side].line(number - 1) if number is not None and side in self._lex else []
        change = self._style("delete-change" if line.kind == "delete" else "insert-change")
        invisible = self._style("invisible")
        text = Text(no_wrap=True, end="")
        runs: list[tuple[int, int, int]] = []  # (line offset start, end, text offset) of plain text
        pos = 0
        for shown, seg_kind, changed in visible_marked(line):
            start = len(text)
            style = Style() if seg_kind == "text" else invisible
            if changed and line.kind != "equal":
                style = style + change
            text.append(shown, style)
            if seg_kind == "text":
                runs.append((pos, pos + len(shown), start))
            if seg_kind in ("text", "space-trailing", "tab"):
                pos += len(shown)
            elif seg_kind in ("bom", "control"):
                pos += 1
        for t_start, t_end, ttype in tokens:
            token_style = self._token_style(ttype)
            for r_start, r_end, offset in runs:
                s, e = max(t_start, r_start), min(t_end, r_end)
                if e > s:
                    text.stylize(token_style, offset + s - r_start, offset + e - r_start)
        self._texts[key] = text
        return text


def _seg(text: str, style: Style):
    from rich.segment import Segment

    return Segment(text, style)


def _identical_notes(model: DiffModel) -> list[tuple[str, str]]:
    if model.bytes_identical:
        return [("No differences: both sides hold the same bytes "
                 f"(sha256 {model.old_hash or '-'}).", "note")]
    if model.mode == "access" and model.access is not None:
        return [(line, "hunk" if line.startswith("  ") and not line.startswith("      ") else "note")
                for line in model.access.lines()] + [
            ("", "note"),
            (f"Exact over {model.access.classes:,} request classes, times {model.access.span[0]} to "
             f"{model.access.span[1]}; press m for the byte diff.", "note")]
    if model.mode == "meaning":
        return [("No differences in meaning: both sides normalise to the same policy.", "note"),
                ("The bytes differ, so pushing needs a new signature although nothing changes in effect; "
                 "press m for the byte diff.", "note")]
    return [("No differences.", "note")]


# --------------------------------------------------------------------------------------
# labels and summary


class DiffLabels(Widget):
    """The two sides' labels: over each half side by side, as ---/+++ lines unified."""

    DEFAULT_CSS = """
    DiffLabels {
        height: auto;
        background: $panel;
        color: $text;
        text-style: bold;
    }
    """

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.old_label = ""
        self.new_label = ""
        self.split = True

    def set_labels(self, old: str, new: str, split: bool) -> None:
        self.old_label, self.new_label, self.split = old, new, split
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:
        return 1 if self.split else 2

    def render(self) -> Text:
        old = safe_label(self.old_label)
        new = safe_label(self.new_label)
        if not self.split:
            text = Text(no_wrap=True, overflow="ellipsis", end="")
            text.append("--- ", "bold red")
            text.append(old)
            text.append("\n+++ ", "bold green")
            text.append(new)
            return text
        width = self.size.width
        try:  # line up with the body's halves (it may have a vertical scrollbar)
            width = min(width, self.parent.query_one(DiffBody)._view_width()) or width
        except Exception:
            pass
        left = (width - 1) // 2
        right = width - 1 - left
        text = Text(no_wrap=True, end="")
        text.append(_fit(" − " + old, left))
        text.append("│")
        text.append(_fit(" + " + new, right))
        return text


def _fit(text: str, width: int) -> str:
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text + " " * (width - cell_len(text))
    # keep the end of a long path: the file name and version are what tell sides apart
    out = text
    while cell_len(out) > width - 1 and out:
        out = out[1:]
    return "…" + out


class DiffSummary(Static):
    DEFAULT_CSS = """
    DiffSummary {
        height: auto;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """


# --------------------------------------------------------------------------------------
# the view


class DiffView(Widget):
    """A diff of two policy texts, with its labels, keys and summary line."""

    DEFAULT_CSS = """
    DiffView {
        height: 1fr;
        layout: vertical;
    }
    """

    BINDINGS = KEYS["DiffView"]

    split: reactive[bool] = reactive(True, init=False)
    mode: reactive[str] = reactive("bytes", init=False)
    context: reactive[int] = reactive(3, init=False)

    class Built(Message):
        """A model was built (or refused: ``model`` is None and ``error`` says why)."""

        def __init__(self, view: "DiffView", model: DiffModel | None, error: DiffInputError | None = None):
            super().__init__()
            self.view = view
            self.model = model
            self.error = error

        @property
        def control(self) -> "DiffView":
            return self.view

    class _AccessReady(Message):
        def __init__(self, request: DiffRequest, access):
            super().__init__()
            self.request = request
            self.access = access

    class _BuiltInThread(Message):
        def __init__(self, request: DiffRequest, model: DiffModel | None, layout: "DiffLayout | None",
                     error: DiffInputError | None, keep_hunk: bool):
            super().__init__()
            self.request = request
            self.model = model
            self.layout = layout
            self.error = error
            self.keep_hunk = keep_hunk

    class _MeaningReady(Message):
        def __init__(self, request: DiffRequest, meaning: Meaning):
            super().__init__()
            self.request = request
            self.meaning = meaning

    def __init__(self, request: DiffRequest | None = None, *, layout: str = "split",
                 id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}")
        self._request = request
        self.model: DiffModel | None = None
        self.error: DiffInputError | None = None
        self._meaning: Meaning | None = None
        self._meaning_for: DiffRequest | None = None
        self._pending_meaning_mode = False
        self._access = None
        self._access_for: DiffRequest | None = None
        self._building: DiffRequest | None = None  # the request a thread is building a model for
        self.set_reactive(DiffView.split, layout == "split")
        if request is not None:
            self.set_reactive(DiffView.mode, request.mode)
            self.set_reactive(DiffView.context, request.context)

    def compose(self) -> ComposeResult:
        yield DiffLabels(id="diff-labels")
        yield DiffBody(id="diff-body")
        yield DiffSummary(id="diff-summary")

    @property
    def body(self) -> DiffBody:
        return self.query_one(DiffBody)

    @property
    def request(self) -> DiffRequest | None:
        return self._request

    def on_mount(self) -> None:
        if self._request is not None:
            self._rebuild()

    def set_request(self, request: DiffRequest) -> None:
        """Show another pair of inputs (keeps the layout; takes mode and context from the request)."""
        self._request = request
        self._meaning = None
        self._meaning_for = None
        self._pending_meaning_mode = False
        self._access = self._access_for = None
        self.model = None  # another diff: start at its first hunk
        self.set_reactive(DiffView.mode, request.mode)
        self.set_reactive(DiffView.context, request.context)
        if self.is_mounted:
            self.body.loading = False
            self._rebuild()
            self.body.scroll_home(animate=False)

    # -- building --------------------------------------------------------------------

    def _small(self, request: DiffRequest) -> bool:
        return len(request.old or b"") + len(request.new or b"") <= MEANING_SYNC_LIMIT

    def _known_meaning(self, request: DiffRequest) -> Meaning | None:
        if self._meaning_for is not None and self._meaning_for.old is request.old and \
                self._meaning_for.new is request.new:
            return self._meaning
        return None

    def _rebuild(self, *, keep_hunk: bool = True) -> None:
        if self._request is None:
            return
        request = self._request.with_(mode=self.mode, context=self.context)
        meaning = self._known_meaning(request)
        needs_meaning = request.old != request.new and meaning is None
        if needs_meaning and self._small(request):
            meaning = compare_meaning(request.old, request.new, request.old_label, request.new_label)
            self._meaning, self._meaning_for = meaning, request
            needs_meaning = False
        if request.mode == "meaning" and needs_meaning:
            # large input: parse both sides in a thread, then come back in meaning mode
            self._pending_meaning_mode = True
            self.body.loading = True
            self._compute_meaning(request)
            return
        access = None
        if request.mode == "access":
            if self._access_for is not None and self._access_for.old is request.old and \
                    self._access_for.new is request.new:
                access = self._access
            else:  # exact but not instant: compare in a thread, then come back in access mode
                self.body.loading = True
                self._compute_access(request)
                return
        if not self._small(request):
            # A large input (a 4,000-line policy file: ~0.1 s to diff, more to lay out): built
            # and laid out in a thread, so the app answers keys meanwhile (_on_built shows it).
            self._building = request
            self.body.loading = True
            self._build(request, meaning, access, self.split, keep_hunk)
            return
        self._building = None
        try:
            model = build_diff(request, check_meaning=meaning is not None, meaning=meaning, access=access)
        except DiffInputError as exc:
            self._refused(request, exc)
            return
        self._show_model(model, keep_hunk)

    @work(thread=True, exclusive=True, group="diff-build", exit_on_error=False)
    def _build(self, request: DiffRequest, meaning: Meaning | None, access, split: bool, keep_hunk: bool) -> None:
        try:
            model = build_diff(request, check_meaning=meaning is not None, meaning=meaning, access=access)
        except DiffInputError as exc:
            self.post_message(self._BuiltInThread(request, None, None, exc, keep_hunk))
            return
        except Exception as exc:  # a bug must not leave the view loading for ever
            self.post_message(self._BuiltInThread(request, None, None, DiffInputError(
                f"The diff could not be built: {type(exc).__name__}: {exc}",
                "Press r to read the inputs again; if it persists this is a bug in sentinel-tui."), keep_hunk))
            return
        self.post_message(self._BuiltInThread(request, model, layout_rows(model, split), None, keep_hunk))

    def on_diff_view__built_in_thread(self, message: "_BuiltInThread") -> None:
        message.stop()
        if message.request is not self._building:
            return  # built for inputs, a mode or a context no longer asked for
        self._building = None
        self.body.loading = False
        if self.screen.focused is None:
            self.body.focus()  # a loading widget cannot keep the focus: the diff's keys work again
        if message.error is not None:
            self._refused(message.request, message.error)
            return
        self._show_model(message.model, message.keep_hunk, message.layout)

    def _refused(self, request: DiffRequest, exc: DiffInputError) -> None:
        if request.mode in ("meaning", "access"):
            self.notify(f"{exc.what}\n{exc.fix}", title=f"No {request.mode} diff", severity="error", timeout=8,
                        markup=False)
            self.set_reactive(DiffView.mode, "bytes")
            self._rebuild()
            return
        self._show_error(exc)

    def _show_model(self, model: DiffModel, keep_hunk: bool, layout: "DiffLayout | None" = None) -> None:
        self.error = None
        first = self.model is None
        hunk = self.body.current_hunk if keep_hunk and not first else 0
        self.model = model
        self.body.show(model, split=self.split, current_hunk=hunk, layout=layout)
        if model.diff.hunks and not first:
            self.body.set_current_hunk(self.body.current_hunk, scroll=True)
        self._refresh_chrome()
        self.post_message(self.Built(self, model))
        # A large input's meaning is compared only on request (m): parsing both sides takes
        # about 0.4 s per 4,000 lines and would compete with the first screens for the GIL.

    def _show_error(self, exc: DiffInputError) -> None:
        self.model = None
        self.error = exc
        self.body.show_error(exc.what, exc.fix)
        if self._request is not None:
            self.query_one(DiffLabels).set_labels(self._request.old_label, self._request.new_label, self.split)
        self.query_one(DiffSummary).update(Text("Refused: " + safe_label(exc.what), style=self._role("error")))
        self.post_message(self.Built(self, None, exc))

    @work(thread=True, exclusive=True, group="diff-meaning", exit_on_error=False)
    def _compute_meaning(self, request: DiffRequest) -> None:
        try:
            meaning = compare_meaning(request.old, request.new, request.old_label, request.new_label)
        except Exception as exc:  # a parser bug must not leave the view loading for ever
            meaning = Meaning(None, None, f"the meaning could not be compared: {type(exc).__name__}: {exc}")
        self.post_message(self._MeaningReady(request, meaning))

    @work(thread=True, exclusive=True, group="diff-access", exit_on_error=False)
    def _compute_access(self, request: DiffRequest) -> None:
        from ...errors import SentinelError
        from ...ops.access import compare_access

        try:
            access = compare_access(request.old, request.new, request.old_label, request.new_label)
        except SentinelError as exc:
            access = exc
        except Exception as exc:  # a bug must not leave the view loading for ever
            access = SentinelError(f"The access could not be compared: {type(exc).__name__}: {exc}")
        self.post_message(self._AccessReady(request, access))

    def on_diff_view__access_ready(self, message: _AccessReady) -> None:
        message.stop()
        current = self._request
        if current is None or current.old is not message.request.old or current.new is not message.request.new:
            return  # a result for inputs no longer shown
        self._access, self._access_for = message.access, message.request
        self.body.loading = False
        if self.mode == "access":
            self._rebuild()

    def on_diff_view__meaning_ready(self, message: _MeaningReady) -> None:
        message.stop()
        current = self._request
        if current is None or current.old is not message.request.old or current.new is not message.request.new:
            return  # a result for inputs no longer shown
        self._meaning, self._meaning_for = message.meaning, message.request
        self.body.loading = False
        if self._pending_meaning_mode:
            self._pending_meaning_mode = False
            self._rebuild()
            return
        if self.model is not None:
            self.model = with_meaning(self.model, message.meaning)
            self._refresh_chrome()
            self.post_message(self.Built(self, self.model))

    # -- chrome ----------------------------------------------------------------------

    def _refresh_chrome(self) -> None:
        model = self.model
        if model is None:
            return
        self.query_one(DiffLabels).set_labels(model.old_label, model.new_label, self.split)
        self.query_one(DiffSummary).update(self.summary_text())

    def _role(self, role: str, *, bold: bool = True) -> Style:
        """A style for a colour role (success, warning, error) from the current theme."""
        colour = self.app.theme_variables.get(f"text-{role}") or self.app.theme_variables.get(role)
        try:
            return Style(color=colour, bold=bold) if colour else Style(bold=bold)
        except Exception:
            return Style(bold=bold)

    def summary_text(self) -> Text:
        """The summary: counts, mode, hashes, whether the stored signature covers the stored side,
        and whether the new side needs signing."""
        model = self.model
        text = Text(end="")
        if model is None:
            return text
        ok, warn, bad = self._role("success"), self._role("warning"), self._role("error")
        old_name, new_name = side_names(model.request)
        diff = model.diff
        text.append(f"+{diff.added}", ok)
        text.append(" ")
        text.append(f"−{diff.removed}", bad)
        text.append("  ")
        text.append(model.mode.capitalize(), Style(bold=True))
        text.append(f" · {'side by side' if self.split else 'unified'} · context {model.context}")
        if diff.hunks:
            text.append(f" · hunk {self.body.current_hunk + 1}/{len(diff.hunks)}")
        text.append("\nsha256 ")
        text.append(f"{old_name} {_short(model.old_hash)}")
        text.append("  ")
        text.append(f"{new_name} {_short(model.new_hash)}")
        text.append("  │  signature: ")
        if model.envelope_error:
            text.append(f"unreadable ({safe_label(model.envelope_error)})", bad)
        elif model.signature_covers_old is None:
            text.append("none (unsigned)", warn)
        elif model.signature_covers_old:
            text.append(f"covers {old_name} ✔", ok)
        else:
            text.append(f"does not cover {old_name} (stale) ✘", bad)
        text.append("  │  ")
        if model.new_hash is None:
            text.append(f"{new_name}: absent")
        elif model.signing_needed and model.local_signature:
            text.append(f"{new_name}: signed locally ({safe_label(Path(model.local_signature).name)}) ✔", ok)
        elif model.signing_needed:
            text.append(f"{new_name}: new signature needed", warn)
        else:
            text.append(f"{new_name}: covered by the stored signature ✔", ok)
        note = model.meaning_note()
        if note:
            text.append("\n" + note, warn if model.signing_needed else ok)
        elif not model.bytes_identical and not model.meaning_checked:
            text.append("\nMeaning: not compared yet (a large input): press m to compare.", Style(italic=True))
        elif model.meaning_error and not model.bytes_identical:
            first = model.meaning_error.splitlines()[0]
            text.append("\nMeaning: not comparable: " + safe_label(first), Style(italic=True))
        return text

    # -- actions ---------------------------------------------------------------------

    def action_next_hunk(self) -> None:
        body = self.body
        if not body.hunk_rows:
            return
        base = body.hunk_near_top()
        if base >= len(body.hunk_rows) - 1:
            self.notify("This is the last hunk.", timeout=2)
            body.set_current_hunk(len(body.hunk_rows) - 1)
        else:
            body.set_current_hunk(base + 1)
        self._refresh_chrome()

    def action_previous_hunk(self) -> None:
        body = self.body
        if not body.hunk_rows:
            return
        base = body.hunk_near_top()
        if base <= 0:
            if base == 0:
                self.notify("This is the first hunk.", timeout=2)
            body.set_current_hunk(0)
        else:
            body.set_current_hunk(base - 1)
        self._refresh_chrome()

    def action_more_context(self) -> None:
        self.context = min(self.context + (1 if self.context < 10 else 10), MAX_CONTEXT)

    def action_less_context(self) -> None:
        self.context = max(self.context - (1 if self.context <= 10 else 10), 0)

    def action_toggle_layout(self) -> None:
        self.split = not self.split

    def action_toggle_mode(self) -> None:
        self.mode = {"bytes": "meaning", "meaning": "access"}.get(self.mode, "bytes")

    def watch_split(self) -> None:
        if self.model is not None:
            hunk = self.body.current_hunk
            self.body.show(self.model, split=self.split, current_hunk=hunk)
            if self.model.diff.hunks:
                self.body.set_current_hunk(hunk)
            self._refresh_chrome()

    def watch_mode(self) -> None:
        self._rebuild()

    def watch_context(self) -> None:
        self._rebuild()


def _short(digest: str | None) -> str:
    return digest[:12] if digest else "-"
