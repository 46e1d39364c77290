"""The policy table: one row per policy, streamed in as pages arrive, sortable and filterable.

It only renders FleetEntry objects it is handed (`merge`, `replace_all`); it never
loads anything. Every cell is a `rich.text.Text` built from plain strings (never
markup), and names are passed through `clean`.

Drawn with Textual's public Line API (a `ScrollView` that answers `render_line` for
the lines on screen, as the diff view does), not with DataTable: the table keeps its
rows itself, in display order, so nothing costs more than the rows it touches. Each
entry is rendered to cells once (per version of the entry and of its mark); a
streamed batch places only its own entries (by bisection in the sorted order); a new
filter or sort is one pass over the entries and one sort of cached keys; a repaint
renders only the lines on screen, and a line is kept until its row, the cursor, the
column widths or the styles change. Column widths follow the widest cell of every
entry (shown or filtered out), so a filter never makes the columns jump.

The look is DataTable's (same component classes, so themes style it the same way): a
header row that stays on top, the name column frozen on the left while the others
scroll sideways, zebra stripes and a row cursor. The header shows the sort column with
▲/▼ and a click on a header sorts by it (again: reversed).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from time import monotonic
from typing import Callable, ClassVar, Iterable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from ...core.status import Status
from ...ops.fleet import FleetEntry, LocalState
from ..format import (
    WIDE_TABLE, ago, clean, fit, name_width, role_style, signed_at_cell, size_text, status_text,
    status_word, verdict_short, verdict_text,
)
from ..keymap import KEYS
from .columns import COLUMN_KEYS, COLUMNS, Column, find_column, fleet_columns  # noqa: F401 (also imported from here)

MARK = "● "  # before the name of a row marked with space (for bulk re-signing)
CHANGED = "◆ "  # before the name of a row the watch saw change, until the cursor visits it
NOTICE = "!"  # row keys of a context's notice (its error row) start with it; entry keys never do
_LOCAL_ROLE = {LocalState.SAME: "muted", LocalState.DIFFERS: "warning", LocalState.LOCAL_ONLY: "accent",
               LocalState.REMOTE_ONLY: "muted"}


@dataclass(frozen=True)
class EntryFilter:
    """`/` text: a case-insensitive regex (a substring when it is not a valid regex), over name and
    status; a leading `!` inverts it. A status matches from its start (`valid` does not match
    `invalid`, `unsig` matches `unsigned`); a name anywhere."""

    text: str = ""

    @property
    def inverted(self) -> bool:
        return self.text.startswith("!")

    @property
    def pattern(self) -> str:
        return self.text[1:] if self.inverted else self.text

    @property
    def is_regex(self) -> bool:
        try:
            re.compile(self.pattern)
            return True
        except re.error:
            return False

    def matcher(self) -> Callable[[FleetEntry], bool]:
        pattern = self.pattern
        if not pattern:
            return lambda entry: True
        try:
            rx = re.compile(pattern, re.IGNORECASE)
            test = lambda s: rx.search(s) is not None  # noqa: E731
            # a status matches from its first letter: `valid` is not found inside `invalid`
            test_status = lambda s: rx.match(s) is not None  # noqa: E731
        except re.error:
            lowered = pattern.lower()
            test = lambda s: lowered in s.lower()  # noqa: E731
            test_status = lambda s: s.lower().startswith(lowered)  # noqa: E731
        invert = self.inverted

        def match(entry: FleetEntry) -> bool:
            hit = test(entry.name) or test_status(status_word(entry.status, pending=entry.pending))
            return hit != invert

        return match


def needs_attention(entry: FleetEntry) -> bool:
    """Anything that is not `valid` (local-only and still-loading rows included)."""
    return entry.status is not Status.VALID


class _Rendered:
    """The cells of one version of an entry (and of its mark), with their widths."""

    __slots__ = ("entry", "marked", "cells", "widths", "notice")

    def __init__(self, entry: FleetEntry | None, marked: object, cells: list[Text],
                 notice: Text | None = None, widths: list[int] | None = None) -> None:
        self.entry = entry  # None on a context's notice row
        self.marked = marked  # (marked with space, changed under watch)
        self.cells = cells
        self.widths = widths if widths is not None else [cell.cell_len for cell in cells]
        self.notice = notice  # the whole line of a notice row


class _Descending:
    """A sort key compared the other way round (`bisect` only searches ascending lists)."""

    __slots__ = ("key",)

    def __init__(self, key: object) -> None:
        self.key = key

    def __lt__(self, other: "_Descending") -> bool:
        return other.key < self.key


@dataclass
class TableColumn:
    """A column as laid out: its key, header label and the width of its widest cell (or label)."""

    key: str
    label: Text
    content_width: int = 0

    @property
    def render_width(self) -> int:
        return self.content_width + 2 * PolicyTable.CELL_PADDING


class PolicyTable(ScrollView, can_focus=True):
    """Rows keyed by policy path. `merge` is called for every streamed batch.

    Batches that arrive faster than `STREAM_INTERVAL` reach the rows together (the
    first at once, the next ones at most that often, and once a screenful of rows is
    shown at most every `STREAM_INTERVAL_FULL`): each application re-lays the screen,
    and the load thread needs the CPU more than the screen needs a repaint per page of
    ten (the summary's count still moves every second).
    """

    DEFAULT_CSS = """
    PolicyTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .datatable--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .datatable--header {
                background-tint: $foreground 5%;
            }
            & > .datatable--fixed-cursor {
                color: $block-cursor-foreground;
                background: $block-cursor-background;
            }
        }
        &:dark {
            & > .datatable--even-row {
                background: $surface-darken-1 40%;
            }
        }
        & > .datatable--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .datatable--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .datatable--fixed {
            background: $secondary-muted;
            color: $foreground;
        }
        & > .datatable--odd-row {
        }
        & > .datatable--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .datatable--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .datatable--fixed-cursor {
            background: $block-cursor-blurred-background;
            color: $foreground;
        }
        & > .datatable--header-hover {
            background: $accent 30%;
        }
        & > .datatable--hover {
            background: $block-hover-background;
        }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "datatable--cursor", "datatable--hover", "datatable--fixed", "datatable--fixed-cursor",
        "datatable--header", "datatable--header-hover", "datatable--odd-row", "datatable--even-row",
    }

    BINDINGS = KEYS["PolicyTable"]

    STREAM_INTERVAL = 0.25  # seconds: streamed batches reach the screen at most this often...
    STREAM_INTERVAL_FULL = 1.0  # ...and once a screenful of rows is shown, at most this often
    CELL_PADDING = 1  # blank cells each side of a cell
    SORT_UP, SORT_DOWN = "▲", "▼"

    class Selected(Message):
        """The entry under the cursor changed (another row, or the same row with new data)."""

        def __init__(self, table: "PolicyTable", entry: FleetEntry | None) -> None:
            super().__init__()
            self.table = table
            self.entry = entry

    class RowSelected(Message):
        """Enter, or a click on the cursor's row: open the entry under the cursor."""

        def __init__(self, table: "PolicyTable", entry: FleetEntry) -> None:
            super().__init__()
            self.table = table
            self.entry = entry

    class NoticeSelected(Message):
        """Enter, or a click, on a context's notice row."""

        def __init__(self, table: "PolicyTable", context: str) -> None:
            super().__init__()
            self.table = table
            self.context = context

    class ViewChanged(Message):
        """Rows, filter or sort changed: `shown` of `total` rows are visible."""

        def __init__(self, table: "PolicyTable", shown: int, total: int) -> None:
            super().__init__()
            self.table = table
            self.shown = shown
            self.total = total

    def __init__(self, *, clock: Callable[[], datetime] | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: dict[str, FleetEntry] = {}
        self.filter = EntryFilter()
        self.attention_only = False
        self.sort_column = "name"
        self.sort_reverse = False
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.columns: tuple[Column, ...] = COLUMNS  # fleet_columns(...) with several contexts
        self.column_keys = COLUMN_KEYS
        self.accounts: dict[str, str | None] = {}  # context -> account id, with several contexts
        self.ordered_columns = [TableColumn(c.key, Text(c.label), len(c.label)) for c in COLUMNS]
        self.changed: set[str] = set()  # keys of rows the watch saw change (shown with CHANGED)
        self.notices: dict[str, Text] = {}  # context -> its notice row (an error: what happened, what to do)
        self.cursor_row = 0
        self.marked: set[str] = set()  # paths marked with space
        self._keep: Callable[[FleetEntry], bool] = self._matcher()
        self._rendered: dict[str, _Rendered] = {}  # path -> cells, for every entry (shown or not)
        self._widths: list[Counter[int]] = [Counter() for _ in COLUMNS]  # column -> width -> cells that wide
        self._shown: dict[str, _Rendered] = {}  # path -> what its row holds, for the rows shown
        self._order: list[str] = []  # the paths of the rows, in display order
        self._sort_keys: dict[str, tuple[FleetEntry, object]] = {}  # path -> (entry, key in the sort column)
        self._pending: dict[str, None] = {}  # paths merged but not applied yet (in order)
        self._flush_timer: Timer | None = None
        self._last_streamed = float("-inf")  # when merged batches were last applied (monotonic)
        self._last_selected: FleetEntry | None = None
        self._last_notice: str | None = None
        self.marked: set[str] = set()  # paths marked with space
        self.name_width = name_width(0)  # names longer than this end in `…` (see `on_resize`)
        self._wide = False  # at least WIDE_TABLE columns wide (see `on_resize`)
        self._hover: tuple[int, int] | None = None  # (row, column) under the mouse; row -1: the header
        self._lines: dict[tuple, Strip] = {}  # rendered lines (see `_line`)
        self._shared: dict[tuple, tuple[Text, int]] = {}  # cells that read the same, shared (see `_cells`)
        self._table_width = 0  # the width the cells are made for (taken once per `apply`)
        self._layout = 0  # bumped when widths or styles change: every kept line is stale

    def on_mount(self) -> None:
        if self.entries:
            self.apply()
        self._update_size()

    # -- data ------------------------------------------------------------------------

    def merge(self, entries: Iterable[FleetEntry]) -> None:
        """New or changed entries (a streamed batch): only their rows are touched.

        Applied at once, unless batches arrived in the last `STREAM_INTERVAL`: then with
        the next ones, when that interval is over (or sooner, at the next `apply`).
        """
        for entry in entries:
            self.entries[entry.key] = entry
            self._pending[entry.key] = None
        if self._flush_timer is not None:
            return
        full = len(self._order) >= max(self.size.height, 1)
        wait = self._last_streamed + (self.STREAM_INTERVAL_FULL if full else self.STREAM_INTERVAL) - monotonic()
        if wait <= 0 or not self.is_mounted:
            self._flush()
        else:
            self._flush_timer = self.set_timer(wait, self._flush, name="policy-table-stream")

    def _flush(self) -> None:
        """Apply the merged batches still waiting."""
        self._flush_timer = None
        self._last_streamed = monotonic()
        self.apply(())

    def replace_all(self, entries: Iterable[FleetEntry]) -> None:
        self.entries = {e.key: e for e in entries}
        self.apply()

    def clear_entries(self) -> None:
        self.entries = {}
        self.apply()

    @property
    def row_count(self) -> int:
        return len(self._order)

    def path_at(self, row: int) -> str:
        """The path of the row at index `row` (display order)."""
        return self._order[row]

    def get_row_index(self, path: str) -> int:
        return self._order.index(path)

    def get_row(self, path: str) -> list[Text]:
        """The cells of the row of `path` (KeyError when it is not shown)."""
        return list(self._shown[path].cells)

    def get_cell(self, path: str, column: str) -> Text:
        return self._shown[path].cells[self.column_keys.index(column)]

    @property
    def selected_entry(self) -> FleetEntry | None:
        """The entry under the cursor (None on a context's notice row)."""
        if not self._order:
            return None
        return self._shown[self._order[min(self.cursor_row, len(self._order) - 1)]].entry

    @property
    def selected_notice(self) -> str | None:
        """The context whose notice row is under the cursor, else None."""
        if not self._order:
            return None
        key = self._order[min(self.cursor_row, len(self._order) - 1)]
        return key[len(NOTICE):] if key.startswith(NOTICE) else None

    def visible(self) -> list[FleetEntry]:
        """The rows, in display order (merged batches still waiting are applied first); notices left out."""
        if self._pending:
            self.apply(())
        return [entry for entry in (self._shown[path].entry for path in self._order) if entry is not None]

    def select_name(self, name: str) -> bool:
        """Put the cursor on the policy `name` (or `CONTEXT:NAME` with several contexts)."""
        if self._pending:
            self.apply(())
        for index, path in enumerate(self._order):
            entry = self._shown[path].entry
            if entry is not None and (entry.name == name or (entry.context and f"{entry.context}:{entry.name}" == name)):
                self.move_cursor(row=index)
                return True
        return False

    # -- contexts: their columns and notice rows, changed rows -----------------------

    def set_contexts(self, accounts: dict[str, str | None] | None) -> None:
        """With several contexts (context -> account id), the Context and Account columns; None: without."""
        accounts = dict(accounts) if accounts else {}
        if accounts == self.accounts:
            return
        had = bool(self.accounts)
        self.accounts = accounts
        if bool(accounts) != had or accounts:
            self.columns = fleet_columns(accounts) if accounts else COLUMNS
            self.column_keys = tuple(c.key for c in self.columns)
            self.ordered_columns = [TableColumn(c.key, Text(c.label), len(c.label)) for c in self.columns]
            self._widths = [Counter() for _ in self.columns]
            self._rendered.clear()
            self._sort_keys.clear()
            self._lines.clear()
            self._layout += 1
            if self.sort_column not in self.column_keys:
                self.sort_column, self.sort_reverse = "name", False
            self.on_resize()
            self.apply()

    def _context_room(self) -> int:
        """The Context and Account columns' widths with their padding (0 with one context)."""
        if not self.accounts:
            return 0
        account = max(len("Account"), *(len(clean(a or "")) for a in self.accounts.values())) + 2 * self.CELL_PADDING
        # the Account column too: an account id cut short reads as another account's
        return max(len("Context"), *(len(clean(name)) for name in self.accounts)) + 2 * self.CELL_PADDING + account

    def set_notices(self, notices: dict[str, Text]) -> None:
        """The notice rows (context -> its line), on top of the rows whatever the sort or filter."""
        if notices == self.notices:
            return
        self.notices = dict(notices)
        self.apply()

    def mark_changed(self, keys: Iterable[str]) -> None:
        """Rows the watch saw change: marked until the cursor visits them."""
        new = {key for key in keys if key not in self.changed}
        if new:
            self.changed |= new
            self.apply([key for key in new if key in self.entries])

    def clear_changed(self, key: str) -> None:
        if key in self.changed:
            self.changed.discard(key)
            if key in self.entries:
                self.apply([key])

    # -- marks (space) -------------------------------------------------------------

    def toggle_mark(self) -> FleetEntry | None:
        """Mark or unmark the row under the cursor; returns its entry."""
        entry = self.selected_entry
        if entry is None:
            return None
        self.marked ^= {entry.key}
        self.apply([entry.key])
        return entry

    def marked_names(self) -> list[str]:
        """The marked policies still listed, in name order."""
        return sorted(e.name for p, e in self.entries.items() if p in self.marked)

    def marked_entries(self) -> list[FleetEntry]:
        """The marked entries still listed, in name order."""
        return sorted((e for p, e in self.entries.items() if p in self.marked), key=lambda e: (e.name, e.key))

    def clear_marks(self) -> None:
        marked, self.marked = self.marked, set()
        self.apply([path for path in marked if path in self.entries])

    # -- view settings -----------------------------------------------------------

    def _matcher(self) -> Callable[[FleetEntry], bool]:
        keep = self.filter.matcher()
        if not self.attention_only:
            return keep
        return lambda entry: needs_attention(entry) and keep(entry)

    def set_filter(self, text: str) -> None:
        self.filter = EntryFilter(text)
        self._keep = self._matcher()
        self.apply()

    def set_attention_only(self, value: bool) -> None:
        self.attention_only = value
        self._keep = self._matcher()
        self.apply()

    def sort_by(self, column: str, reverse: bool | None = None) -> None:
        if column not in self.column_keys:
            raise KeyError(column)
        if reverse is None:
            reverse = (not self.sort_reverse) if column == self.sort_column else False
        if column != self.sort_column:
            self._sort_keys.clear()
        self.sort_column, self.sort_reverse = column, reverse
        self._layout += 1  # the header's arrow moves
        self.apply()

    def sort_next(self) -> None:
        index = (self.column_keys.index(self.sort_column) + 1) % len(self.column_keys)
        self.sort_by(self.column_keys[index], False)

    # -- cells ---------------------------------------------------------------------

    def name_text(self, entry: FleetEntry) -> Text:
        """The name cell: the mark (if any) and the name, cut with `…` to the name column's share
        of the width (see `on_resize`) so Status and the TVM verdict stay on screen."""
        marked = MARK if entry.key in self.marked else ""
        if entry.key not in self.changed:
            return Text(fit(marked + clean(entry.name), self.name_width))
        text = Text(fit(marked + CHANGED + clean(entry.name), self.name_width))
        text.stylize(role_style(self.app.theme_variables, "warning", bold=True), len(marked), len(marked) + len(CHANGED))
        return text

    def cells(self, entry: FleetEntry) -> list[Text]:
        """The cells of `entry`'s row, in column order."""
        self._table_width = self.size.width
        return self._cells(entry)[0]

    def _cells(self, entry: FleetEntry) -> tuple[list[Text], list[int]]:
        """The cells of `entry`'s row and their widths. Cells that read the same are one shared
        `Text` (every `✔ valid`, every `3h ago`): thousands of rows build and keep only their
        names, not nine styled objects each. Shared cells are never changed in place."""
        shared = self._shared
        if len(shared) > 8 * len(self.entries) + 1024:
            shared.clear()
        a = entry.assessment
        env = a.envelope if a else None
        policy = entry.policy
        pending = entry.pending
        size = a.size if a and policy is not None and policy.value is not None else None
        version = policy.version if policy is not None else None
        name = self.name_text(entry)
        made = {"name": (name, name.cell_len)}
        keys = [
            ("status", entry.status, pending),
            ("tvm", a.tvm.kind if a else None, verdict_short(a) if a else "", pending),
            ("version", version),
            ("modified", ago(policy.last_modified if policy is not None else None, self.clock())),
            ("size", size),
            ("local", entry.local),
            ("key", env.key_id if env else ""),
            ("signed_at", signed_at_cell(env, self._table_width)),  # the date only on a narrow table
        ]
        if self.accounts:
            keys += [("context", entry.context or ""), ("account", self.accounts.get(entry.context or "") or "")]
        for key in keys:
            found = shared.get(key)
            if found is None:
                cell = self._shared_cell(key, entry)
                found = shared[key] = (cell, cell.cell_len)
            made[key[0]] = found
        order = self.column_keys
        return [made[k][0] for k in order], [made[k][1] for k in order]

    def _shared_cell(self, key: tuple, entry: FleetEntry) -> Text:
        roles = self.app.theme_variables
        column = key[0]
        if column == "status":
            return status_text(entry.status, roles, pending=key[2])
        if column == "tvm":
            return Text("…", style="dim") if key[3] else verdict_text(entry.assessment, roles)
        if column == "version":
            return Text(str(key[1]) if key[1] is not None else "", justify="right")
        if column == "size":
            return size_text(key[1], roles)
        if column == "local":
            local = key[1]
            return Text(str(local), style=role_style(roles, _LOCAL_ROLE[local])) if local else Text("")
        if column in ("key", "context", "account"):
            return Text(clean(key[1]))
        return Text(key[1])  # modified, signed_at: plain words

    @staticmethod
    def _modified_text(entry: FleetEntry, now: datetime) -> Text:
        return Text(ago(entry.policy.last_modified if entry.policy else None, now))

    def _render(self, entry: FleetEntry) -> _Rendered:
        """The cells of `entry`, rendered once per version of the entry and of its mark."""
        marked = (entry.key in self.marked, entry.key in self.changed)
        done = self._rendered.get(entry.key)
        if done is None or done.entry is not entry or done.marked != marked:
            cells, widths = self._cells(entry)
            done = _Rendered(entry, marked, cells, widths=widths)
            self._store(entry.key, done)
        return done

    def _store(self, path: str, rendered: _Rendered | None) -> None:
        """Keep (or, with None, forget) the cells of `path`, and count their widths."""
        old = self._rendered.pop(path, None)
        if old is not None:
            for counts, width in zip(self._widths, old.widths):
                counts[width] -= 1
                if not counts[width]:
                    del counts[width]
        if rendered is not None:
            self._rendered[path] = rendered
            for counts, width in zip(self._widths, rendered.widths):
                counts[width] += 1
        else:
            self._sort_keys.pop(path, None)

    def _sort_key(self, path: str) -> object:
        entry = self.entries[path]
        cached = self._sort_keys.get(path)
        if cached is None or cached[0] is not entry:
            column = next(c for c in self.columns if c.key == self.sort_column)
            cached = self._sort_keys[path] = (entry, (column.sort_key(entry), entry.name, entry.context or ""))
        return cached[1]

    # -- rows ----------------------------------------------------------------------

    def apply(self, changed: Iterable[str] | None = None) -> None:
        """Bring the rows in line with entries, filter and sort, keeping the cursor on its policy.

        `changed`: the paths whose entries were added, replaced or dropped (or re-marked)
        since the last call, besides those merged and still waiting; only their rows are
        touched. None (a new filter, sort or set of entries) goes over every entry.
        """
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        pending, self._pending = self._pending, {}
        if changed is not None and pending:
            changed = [*pending, *changed]
        if not self.is_mounted:  # on_mount applies (the cells need the app's theme)
            return
        before = self.selected_entry
        before_index = self.cursor_row
        self._table_width = self.size.width
        if changed is None:
            self._apply_all()
        else:
            self._apply_some(changed)
        self._sync_widths()
        # The cursor follows its policy, except at the top row: while rows stream in, a
        # cursor that was never moved stays on the first row instead of wandering off.
        if before is not None and before.key in self._shown and before_index > 0:
            row = self._order.index(before.key)
        else:
            row = min(max(before_index, 0), max(self.row_count - 1, 0))
        self._update_size()
        self.move_cursor(row=row, notify=False, scroll=row != before_index)
        self.refresh()
        self.post_message(self.ViewChanged(self, len(self._shown), len(self.entries)))
        self._notify_selection()

    def _apply_all(self) -> None:
        """Every entry against the filter, then the rows in sorted order."""
        entries = self.entries
        for path in [p for p in self._rendered if p not in entries]:
            self._store(path, None)
        keep = self._keep
        render = self._render
        wanted = {}
        for path, entry in entries.items():
            rendered = render(entry)
            if keep(entry):
                wanted[path] = rendered
        notices = {NOTICE + context: _Rendered(None, (False, False), [], notice) for context, notice in self.notices.items()}
        self._shown = {**notices, **wanted}
        self._order = [*notices, *sorted(wanted, key=self._sort_key, reverse=self.sort_reverse)]

    def _apply_some(self, paths: Iterable[str]) -> None:
        """Only the rows of `paths`: re-rendered in place, dropped, or placed by bisection."""
        entries, shown, keep = self.entries, self._shown, self._keep
        gone: set[str] = set()  # rows leaving the order (dropped, or moving)
        placing: list[str] = []  # rows to put into the order
        for path in dict.fromkeys(paths):
            entry = entries.get(path)
            if entry is not None:
                old_key = self._sort_keys.get(path)
                rendered = self._render(entry)
            else:
                self._store(path, None)
            if entry is None or not keep(entry):
                if shown.pop(path, None) is not None:
                    gone.add(path)
                continue
            if shown.get(path) is rendered:
                continue
            if path not in shown:
                shown[path] = rendered
                placing.append(path)
                continue
            shown[path] = rendered
            if old_key is None or old_key[1] != self._sort_key(path):
                gone.add(path)
                placing.append(path)
        if not gone and not placing:
            return
        order = self._order
        if gone:
            order = self._order = [p for p in order if p not in gone]
        sort_key, reverse = self._sort_key, self.sort_reverse
        lo = len(self.notices)  # the notice rows stay on top
        for path in placing:
            if reverse:
                at = bisect_right(order, _Descending(sort_key(path)), lo, key=lambda p: _Descending(sort_key(p)))
            else:
                at = bisect_right(order, sort_key(path), lo, key=sort_key)
            order.insert(at, path)

    def _sync_widths(self) -> None:
        """Each column as wide as its label and the widest cell of any entry."""
        changed = False
        for column, counts in zip(self.ordered_columns, self._widths):
            width = max(column.label.cell_len, max(counts) if counts else 0)
            if column.content_width != width:
                column.content_width = width
                changed = True
        if changed:
            self._layout += 1

    def refresh_times(self) -> None:
        """Re-render the relative dates (the clock moved)."""
        now = self.clock()
        index = self.column_keys.index("modified")
        moved = []
        for path, rendered in self._rendered.items():
            cell = self._modified_text(rendered.entry, now)
            if cell.plain != rendered.cells[index].plain:
                cells = list(rendered.cells)
                cells[index] = cell
                moved.append((path, _Rendered(rendered.entry, rendered.marked, cells)))
        for path, rendered in moved:
            self._store(path, rendered)
            if path in self._shown:
                self._shown[path] = rendered
        if moved:
            self._sync_widths()
            self._update_size()
            self.refresh()

    def on_resize(self) -> None:
        """A long name never hides Status and the TVM verdict: the name column gets a share of
        the width (format.name_width); the full name is in the detail pane and the tooltip."""
        width = name_width(self.size.width - self._context_room())
        wide = self.size.width >= WIDE_TABLE
        if width != self.name_width or wide != self._wide:
            self.name_width, self._wide = width, wide
            for path in list(self._rendered):
                self._store(path, None)
            self._shared.clear()
            self.apply()

    # -- cursor and scrolling -------------------------------------------------------

    def move_cursor(self, *, row: int, animate: bool = False, scroll: bool = True, notify: bool = True) -> None:
        """Put the cursor on `row` (clamped to the rows), scrolled into view."""
        row = min(max(row, 0), max(self.row_count - 1, 0))
        if row != self.cursor_row:
            self.cursor_row = row
            self.refresh()
        if scroll and self.row_count:
            self._scroll_to_cursor(animate)
        if notify:
            self._notify_selection()

    def _rows_on_screen(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)  # below the header

    def _scroll_to_cursor(self, animate: bool = False) -> None:
        top = int(self.scroll_target_y if animate else self.scroll_y)
        height = self._rows_on_screen()
        row = self.cursor_row
        if row < top:
            self.scroll_to(y=row, animate=animate, force=True)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=animate, force=True)

    def _update_size(self) -> None:
        width = sum(column.render_width for column in self.ordered_columns)
        self.virtual_size = Size(width, len(self._order) + 1)

    def action_cursor_up(self) -> None:
        self._hover = None
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self._hover = None
        self.move_cursor(row=self.cursor_row + 1)

    def action_page_down(self) -> None:
        self._hover = None
        height = self._rows_on_screen()
        self.scroll_relative(y=height, animate=False, force=True)
        self.move_cursor(row=self.cursor_row + height - 1, scroll=False)
        self._scroll_to_cursor()

    def action_page_up(self) -> None:
        self._hover = None
        height = self._rows_on_screen()
        self.scroll_relative(y=-height, animate=False, force=True)
        self.move_cursor(row=self.cursor_row - height + 1, scroll=False)
        self._scroll_to_cursor()

    def action_first_row(self) -> None:
        self.scroll_x = 0
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        self.move_cursor(row=self.row_count - 1)

    def action_select_cursor(self) -> None:
        entry = self.selected_entry
        if entry is not None:
            self.post_message(self.RowSelected(self, entry))
        elif self.selected_notice is not None:
            self.post_message(self.NoticeSelected(self, self.selected_notice))

    def _notify_selection(self) -> None:
        current = self.selected_entry
        notice = self.selected_notice if current is None else None  # another context's error row is news too
        if current is not self._last_selected or notice != self._last_notice:
            self._last_selected, self._last_notice = current, notice
            self.post_message(self.Selected(self, current))

    # -- mouse ---------------------------------------------------------------------

    def _cell_at(self, x: int, y: int) -> tuple[int, int] | None:
        """(row, column) at a point of the widget; row -1: the header. None: outside every cell."""
        if y < 0 or x < 0:
            return None
        row = -1 if y == 0 else y - 1 + int(self.scroll_y)
        if row >= self.row_count:
            return None
        columns = self.ordered_columns
        fixed = columns[0].render_width
        if x >= fixed:
            x += int(self.scroll_x)
        left = 0
        for index, column in enumerate(columns):
            left += column.render_width
            if x < left:
                return row, index
        return (row, -1) if row >= 0 else None  # right of the last column: the row still

    def on_mouse_move(self, event: events.MouseMove) -> None:
        offset = event.get_content_offset(self)
        hover = self._cell_at(offset.x, offset.y) if offset is not None else None
        if hover != self._hover:
            self._hover = hover
            self.refresh()
            self.tooltip = self._full_name_at(hover)

    def _full_name_at(self, cell: tuple[int, int] | None) -> str | None:
        """The whole name of a row whose name cell is cut with `…` (the tooltip), else None."""
        if cell is None or cell[0] < 0 or cell[0] >= len(self._order):
            return None
        rendered = self._shown[self._order[cell[0]]]
        if rendered.entry is None:  # a notice row: the whole of it
            return rendered.notice.plain if rendered.notice is not None else None
        name = clean(rendered.entry.name)
        return name if fit(name, self.name_width) != name else None

    def on_leave(self, event: events.Leave) -> None:
        self.tooltip = None
        if self._hover is not None:
            self._hover = None
            self.refresh()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        cell = self._cell_at(offset.x, offset.y) if offset is not None else None
        if cell is None:
            return
        row, column = cell
        event.stop()
        if row < 0:
            if column >= 0:
                self.sort_by(self.column_keys[column])
            return
        if row == self.cursor_row:
            self.action_select_cursor()
        else:
            self.move_cursor(row=row)

    # -- painting (the Line API) -------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._layout += 1
        self._lines.clear()

    def on_focus(self, event: events.Focus) -> None:
        self._layout += 1  # the cursor's style follows the focus
        self.refresh()

    def on_blur(self, event: events.Blur) -> None:
        self._layout += 1
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        row = -1 if y == 0 else y - 1 + scroll_y
        base = self.rich_style
        if row >= len(self._order):
            return Strip.blank(width, base)
        path = self._order[row] if row >= 0 else None
        rendered = self._shown[path] if path is not None else None
        hover = self._hover
        hovered = hover is not None and hover[0] == row
        key = (self._layout, row, rendered, row == self.cursor_row,
               hover[1] if hovered and row < 0 else hovered, scroll_x, width)
        strip = self._lines.get(key)
        if strip is None:
            if len(self._lines) > 8 * max(self.size.height, 10):  # a few screens' worth of lines
                self._lines.clear()
            strip = self._lines[key] = self._line(row, rendered, key[3], key[4], scroll_x, width, base)
        return strip

    def _header_cells(self) -> list[Text]:
        cells = []
        for column in self.ordered_columns:
            label = column.label
            if column.key == self.sort_column:
                # the arrow takes the cell after the label (at worst the padding): no width changes
                label = label + Text(self.SORT_DOWN if self.sort_reverse else self.SORT_UP)
            cells.append(label)
        return cells

    def _line(self, row: int, rendered: _Rendered | None, cursor: bool, hover: bool | int,
              scroll_x: int, width: int, base: Style) -> Strip:
        """One line: the header (row -1) or a row, its name cell frozen and the rest scrolled by `scroll_x`."""
        styles = self.get_component_styles
        component = self.get_component_rich_style
        header = row < 0
        if header:
            row_style = fixed_style = styles("datatable--header").rich_style
            cells = self._header_cells()
        else:
            fixed_style = styles("datatable--fixed").rich_style
            row_style = styles("datatable--odd-row" if row % 2 else "datatable--even-row").rich_style
            cells = rendered.cells
            if rendered.notice is not None:
                return self._notice_line(row, rendered.notice, row_style, cursor, hover is True, width, base)
        over = Style()  # the cursor's or the hover's, over the row's own style
        if not header and hover is True:
            over += component("datatable--hover")
        if cursor:
            over += component("datatable--cursor")
        post = Style.from_color(color=over.color) if over.color else Style()
        columns = self.ordered_columns
        fixed_over = over + component("datatable--fixed-cursor") if cursor else over
        fixed_post = Style.from_color(color=fixed_over.color) if fixed_over.color else Style()
        console = self.app.console
        fixed = self._cell(console, cells[0], columns[0].content_width, fixed_style + fixed_over, fixed_post, row, 0)
        scrolled: list[Segment] = []
        for index, (cell, column) in enumerate(zip(cells, columns)):
            cell_over = over
            if header and hover == index:
                cell_over = over + component("datatable--hover") + component("datatable--header-hover")
            scrolled += self._cell(console, cell, column.content_width, row_style + cell_over, post, row, index)
        table_width = sum(column.render_width for column in columns[1:])
        extend = row_style + over + Style.from_meta({"row": row, "column": 0, "out_of_bounds": True})
        scrolled.append(Segment(" " * max(0, width - table_width), extend))
        fixed_width = columns[0].render_width
        line = Strip(fixed + list(Strip(scrolled).crop(scroll_x + fixed_width, scroll_x + width)))
        return line.adjust_cell_length(width, base).simplify()

    def _notice_line(self, row: int, notice: Text, row_style: Style, cursor: bool, hover: bool, width: int,
                     base: Style) -> Strip:
        """A context's notice row: one text across the whole width, never scrolled sideways."""
        component = self.get_component_rich_style
        over = Style()
        if hover:
            over += component("datatable--hover")
        if cursor:
            over += component("datatable--cursor")
        post = Style.from_color(color=over.color) if over.color else Style()
        pre = row_style + over + Style.from_meta({"row": row, "column": 0})
        pad = " " * self.CELL_PADDING
        text = notice.copy()
        text.truncate(max(width - 2 * self.CELL_PADDING, 0))
        segments = [Segment(pad, pre + post)]
        segments.extend(Segment(s.text, pre + s.style + post) if s.style else Segment(s.text, pre + post)
                        for s in text.render(self.app.console))
        segments.append(Segment(" " * max(0, width - text.cell_len - self.CELL_PADDING), pre + post))
        return Strip(segments).adjust_cell_length(width, base).simplify()

    def _cell(self, console, cell: Text, width: int, pre: Style, post: Style, row: int, column: int) -> list[Segment]:
        """A cell as DataTable draws one: padded, cropped to `width`, `pre` under its own style, `post` over it."""
        pre = pre + Style.from_meta({"row": row, "column": column})
        pad = " " * self.CELL_PADDING
        text = cell
        if text.cell_len > width:
            text = text.copy()
            text.truncate(width)
        elif text.justify in ("right", "center") and text.cell_len < width:
            text = text.copy()
            text.rstrip()
            gap = width - text.cell_len
            text.pad_left(gap if text.justify == "right" else gap // 2)
        segments = [Segment(pad, pre + post)]
        if text.plain:
            if not text.spans and text.style:  # Text.render drops the style of a Text without spans
                segments.append(Segment(text.plain, pre + console.get_style(text.style) + post))
            else:
                segments.extend(Segment(s.text, pre + s.style + post) if s.style else Segment(s.text, pre + post)
                                for s in text.render(console))
        fill = width - text.cell_len
        segments.append(Segment(pad + " " * fill, pre + post))
        return segments
