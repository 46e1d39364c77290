"""The policy table: one row per policy, streamed in as pages arrive, sortable and filterable.

It only renders FleetEntry objects it is handed (`merge`, `replace_all`); it never
loads anything. Every cell is a `rich.text.Text` (a `str` cell would be parsed as
markup by DataTable), and names are passed through `inert`.

Built for fleets of thousands of policies: each entry is rendered once (per version
of the entry), a streamed batch costs in proportion to its size (plus, when rows land
between others, one renumbering of the rows), and a new filter or sort is one pass
over the entries and one rebuild of the rows. See `PolicyTable` for how.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from time import monotonic
from typing import Callable, Iterable

from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable
from textual.widgets.data_table import CellKey, ColumnKey, Row, RowKey

from ...core.status import Status, Verdict
from ...ops.fleet import FleetEntry, LocalState
from ..format import (
    STATUS_ORDER, WIDE_TABLE, ago, clean, fit, name_width, role_style, signed_at_cell, size_text, status_text,
    status_word, verdict_text,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MARK = "● "  # before the name of a row marked with space (for bulk re-signing)
_VERDICT_ORDER = {Verdict.ISSUES: 0, Verdict.UNVERIFIED: 1, Verdict.UNKNOWN: 2, Verdict.DENIES: 3}
_LOCAL_ROLE = {LocalState.SAME: "muted", LocalState.DIFFERS: "warning", LocalState.LOCAL_ONLY: "accent",
               LocalState.REMOTE_ONLY: "muted"}


def _key_id(entry: FleetEntry) -> str:
    a = entry.assessment
    return a.envelope.key_id if a and a.envelope else ""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    sort_key: Callable[[FleetEntry], object]
    words: str  # what :sort and the help call it


COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", lambda e: e.name.lower(), "name"),
    Column("status", "Status",
           lambda e: STATUS_ORDER.get(e.status, 99) if e.status else (98 if e.pending else 100), "status"),
    Column("tvm", "TVM verdict",
           lambda e: (_VERDICT_ORDER.get(e.assessment.tvm.kind, 9), e.assessment.tvm.text) if e.assessment
           else (10, ""), "verdict"),
    Column("version", "Ver", lambda e: e.policy.version if e.policy else -1, "version"),
    Column("modified", "Changed",
           lambda e: e.policy.last_modified if e.policy and e.policy.last_modified else _EPOCH, "modified"),
    Column("size", "Size", lambda e: e.assessment.size if e.assessment and e.assessment.size is not None else -1,
           "size"),
    Column("local", "Local", lambda e: str(e.local) if e.local else "~", "local"),
    Column("key", "Signer key", _key_id, "key"),
    Column("signed_at", "Signed at",
           lambda e: (e.assessment.envelope.signed_at or _EPOCH) if e.assessment and e.assessment.envelope
           else _EPOCH, "signed_at"),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)
_BY_KEY = {c.key: c for c in COLUMNS}


def find_column(word: str) -> Column | None:
    word = word.strip().lower().replace("-", "_")
    for column in COLUMNS:
        if word in (column.key, column.words, column.label.lower().replace(" ", "_")):
            return column
    for column in COLUMNS:
        if column.key.startswith(word) or column.words.startswith(word):
            return column
    return None


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

    __slots__ = ("entry", "marked", "cells", "widths")

    def __init__(self, entry: FleetEntry, marked: bool, cells: list[Text]) -> None:
        self.entry = entry
        self.marked = marked
        self.cells = cells
        self.widths = [cell.cell_len for cell in cells]


class _Descending:
    """A sort key compared the other way round (`bisect` only searches ascending lists)."""

    __slots__ = ("key",)

    def __init__(self, key: object) -> None:
        self.key = key

    def __lt__(self, other: "_Descending") -> bool:
        return other.key < self.key


class PolicyTable(DataTable):
    """Rows keyed by policy path. `merge` is called for every streamed batch.

    The table keeps its rows itself, in display order (`_order`), and writes them into
    DataTable's row storage directly, because DataTable's row API does not scale to
    thousands of rows: `add_row` costs ~25 us and, on idle, a measure of every cell of
    the new row (~0.1 ms a row); `remove_row` renumbers every row (O(N) each); `sort`
    calls a Python key for every row; `update_cell(update_width=True)` re-measures the
    whole column when a cell gets narrower. Here a streamed batch renders and places
    only its own entries (by bisection in the sorted order), and a new filter or sort
    sorts cached keys and swaps the rows in one go. Column widths are kept from the
    widths of every entry's cells (shown or filtered out, so a filter never makes the
    columns jump), and DataTable never measures a row.

    Repainting is what costs most while pages stream in: DataTable re-renders every
    cell on screen after any change of its rows (~40 ms for a full terminal). So
    batches that arrive faster than `STREAM_INTERVAL` reach the screen together (the
    first at once, the next ones at most that often), and a change below the screen
    keeps the rendering of the rows on screen (see `_rows_changed`).

    The DataTable internals used (`_data`, `rows`, `_row_locations`, `_new_rows`,
    `_updated_cells`, `_update_count`, `_require_update_dimensions` and its render
    caches) are those of the Textual release pinned in pyproject.toml;
    tests/ui/test_policy_table.py checks the rows, their order, widths and painted
    lines, the filter and the cursor on a few thousand entries.
    """

    DEFAULT_CSS = """
    PolicyTable { height: 1fr; }
    """

    BINDINGS = [
        Binding("enter", "select_cursor", "Detail", show=False, id="table.open"),
        Binding("home", "first_row", "First row", show=False, id="table.first"),
        Binding("end", "last_row", "Last row", show=False, id="table.last"),
    ]

    def action_first_row(self) -> None:
        """Home goes to the first row (DataTable's scrolled sideways, hiding the name column's neighbours)."""
        if self.row_count:
            self.move_cursor(row=0, column=0)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1, column=0)

    STREAM_INTERVAL = 0.25  # seconds: streamed batches reach the screen at most this often

    class Selected(Message):
        """The entry under the cursor changed (another row, or the same row with new data)."""

        def __init__(self, table: "PolicyTable", entry: FleetEntry | None) -> None:
            super().__init__()
            self.table = table
            self.entry = entry

    class ViewChanged(Message):
        """Rows, filter or sort changed: `shown` of `total` rows are visible."""

        def __init__(self, table: "PolicyTable", shown: int, total: int) -> None:
            super().__init__()
            self.table = table
            self.shown = shown
            self.total = total

    def __init__(self, *, clock: Callable[[], datetime] | None = None, id: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, fixed_columns=1, id=id)
        self.entries: dict[str, FleetEntry] = {}
        self.filter = EntryFilter()
        self.attention_only = False
        self.sort_column = "name"
        self.sort_reverse = False
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self._keep: Callable[[FleetEntry], bool] = self._matcher()
        self._rendered: dict[str, _Rendered] = {}  # path -> cells, for every entry (shown or not)
        self._widths: list[Counter[int]] = [Counter() for _ in COLUMNS]  # column -> width -> cells that wide
        self._shown: dict[str, _Rendered] = {}  # path -> what its row holds, for the rows in the table
        self._order: list[str] = []  # the paths of the rows, in display order
        self._row_keys: dict[str, RowKey] = {}  # path -> its row's key (kept while the entry is)
        self._dropped: set[int] = set()  # ids of the keys of rows taken out since the last repaint
        self._sort_keys: dict[str, tuple[FleetEntry, object]] = {}  # path -> (entry, key in the sort column)
        self._column_keys: list[ColumnKey] = []  # in display order (set on mount)
        self._label_widths: list[int] = []
        self._pending: dict[str, None] = {}  # paths merged but not applied yet (in order)
        self._flush_timer: Timer | None = None
        self._last_streamed = float("-inf")  # when merged batches were last applied (monotonic)
        self._last_selected: FleetEntry | None = None
        self.marked: set[str] = set()  # paths marked with space
        self.name_width = name_width(0)  # names longer than this end in `…` (see `on_resize`)

    def on_mount(self) -> None:
        for column in COLUMNS:
            self.add_column(Text(column.label), key=column.key)
        self._column_keys = [column.key for column in self.ordered_columns]
        self._label_widths = [column.content_width for column in self.ordered_columns]
        if self.entries:
            self.apply()

    # -- data ------------------------------------------------------------------------

    def merge(self, entries: Iterable[FleetEntry]) -> None:
        """New or changed entries (a streamed batch): only their rows are touched.

        Applied at once, unless batches arrived in the last `STREAM_INTERVAL`: then with
        the next ones, when that interval is over (or sooner, at the next `apply`).
        """
        for entry in entries:
            self.entries[entry.path] = entry
            self._pending[entry.path] = None
        if self._flush_timer is not None:
            return
        wait = self._last_streamed + self.STREAM_INTERVAL - monotonic()
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
        self.entries = {e.path: e for e in entries}
        self.apply()

    def clear_entries(self) -> None:
        self.entries = {}
        self.apply()

    @property
    def selected_entry(self) -> FleetEntry | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:
            return None
        shown = self._shown.get(key.value) if key is not None else None
        return shown.entry if shown is not None else None

    def visible(self) -> list[FleetEntry]:
        """The rows, in display order (merged batches still waiting are applied first)."""
        if self._pending:
            self.apply(())
        return [self._shown[path].entry for path in self._order]

    def select_name(self, name: str) -> bool:
        if self._pending:
            self.apply(())
        for index, path in enumerate(self._order):
            if self._shown[path].entry.name == name:
                self.move_cursor(row=index)
                self._notify_selection()
                return True
        return False

    # -- marks (space) -------------------------------------------------------------

    def toggle_mark(self) -> FleetEntry | None:
        """Mark or unmark the row under the cursor; returns its entry."""
        entry = self.selected_entry
        if entry is None:
            return None
        self.marked ^= {entry.path}
        self.apply([entry.path])
        return entry

    def marked_names(self) -> list[str]:
        """The marked policies still listed, in name order."""
        return sorted(e.name for p, e in self.entries.items() if p in self.marked)

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
        if column not in _BY_KEY:
            raise KeyError(column)
        if reverse is None:
            reverse = (not self.sort_reverse) if column == self.sort_column else False
        if column != self.sort_column:
            self._sort_keys.clear()
        self.sort_column, self.sort_reverse = column, reverse
        self.apply()

    def sort_next(self) -> None:
        index = (COLUMN_KEYS.index(self.sort_column) + 1) % len(COLUMN_KEYS)
        self.sort_by(COLUMN_KEYS[index], False)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(str(event.column_key.value))

    # -- rendering ---------------------------------------------------------------

    def cells(self, entry: FleetEntry) -> list[Text]:
        roles = self.app.theme_variables
        a = entry.assessment
        env = a.envelope if a else None
        local = Text(str(entry.local), style=role_style(roles, _LOCAL_ROLE[entry.local])) if entry.local else Text("")
        readable = entry.policy is not None and entry.policy.value is not None
        cells = {
            "name": Text(fit((MARK if entry.path in self.marked else "") + clean(entry.name), self.name_width)),
            "status": status_text(entry.status, roles, pending=entry.pending),
            "tvm": Text("…", style="dim") if entry.pending else verdict_text(a, roles),
            "version": Text(str(entry.policy.version) if entry.policy else "", justify="right"),
            "modified": self._modified_text(entry, self.clock()),
            "size": size_text(a.size if a and readable else None, roles),
            "local": local,
            "key": Text(clean(env.key_id) if env else ""),
            # the date only on a narrow table (the detail pane has the time)
            "signed_at": Text(signed_at_cell(env, self.size.width)),
        }
        return [cells[key] for key in COLUMN_KEYS]

    @staticmethod
    def _modified_text(entry: FleetEntry, now: datetime) -> Text:
        return Text(ago(entry.policy.last_modified if entry.policy else None, now))

    def _render(self, entry: FleetEntry) -> _Rendered:
        """The cells of `entry`, rendered once per version of the entry and of its mark."""
        marked = entry.path in self.marked
        done = self._rendered.get(entry.path)
        if done is None or done.entry is not entry or done.marked != marked:
            done = _Rendered(entry, marked, self.cells(entry))
            self._store(entry.path, done)
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
            cached = self._sort_keys[path] = (entry, (_BY_KEY[self.sort_column].sort_key(entry), entry.name))
        return cached[1]

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
        if not self._column_keys:  # not mounted yet: on_mount applies
            return
        before = self.selected_entry
        before_index = self.cursor_row
        first = self._apply_all() if changed is None else self._apply_some(changed)
        if self._sync_widths():
            self._rows_changed(0)
        elif first is not None:
            self._rows_changed(first)
        # The cursor follows its policy, except at the top row: while rows stream in, a
        # cursor that was never moved stays on the first row instead of wandering off.
        if before is not None and before.path in self._shown and before_index > 0:
            self.move_cursor(row=self.get_row_index(before.path), animate=False)
        elif self.row_count:
            self.move_cursor(row=min(max(before_index, 0), self.row_count - 1), animate=False)
        self.post_message(self.ViewChanged(self, len(self._shown), len(self.entries)))
        self._notify_selection()

    def _apply_all(self) -> int | None:
        """Every entry against the filter, then the rows in sorted order; 0 if the rows changed."""
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
        order = sorted(wanted, key=self._sort_key, reverse=self.sort_reverse)
        changed = False
        for path in [p for p in self._shown if p not in wanted]:
            self._drop_row(path)
            changed = True
        for path in [p for p in self._row_keys if p not in entries]:
            del self._row_keys[path]
        shown = self._shown
        for path, rendered in wanted.items():
            if shown.get(path) is not rendered:
                self._put_row(path, rendered)
                changed = True
        if order != self._order:
            self._order = order
            self._renumber()
            changed = True
        return 0 if changed else None

    def _apply_some(self, paths: Iterable[str]) -> int | None:
        """Only the rows of `paths`: re-rendered in place, dropped, or placed by bisection.

        Returns the index of the first row that changed (None: none did); the rows above
        it are as they were.
        """
        entries, shown, keep = self.entries, self._shown, self._keep
        first = len(self._order)
        changed = False
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
                if path in shown:
                    first = min(first, self._index(path))
                    self._drop_row(path)
                    gone.add(path)
                    changed = True
                continue
            if shown.get(path) is rendered:
                continue
            changed = True
            if path not in shown:
                self._put_row(path, rendered)
                placing.append(path)
                continue
            first = min(first, self._index(path))
            self._put_row(path, rendered)
            if old_key is None or old_key[1] != self._sort_key(path):
                gone.add(path)
                placing.append(path)
        if not gone and not placing:
            return first if changed else None
        order = self._order
        if gone:
            order = self._order = [p for p in order if p not in gone]
        renumber_from = len(order)  # rows from here on need their index (re)written
        sort_key, reverse = self._sort_key, self.sort_reverse
        for path in placing:
            if reverse:
                at = bisect_right(order, _Descending(sort_key(path)), key=lambda p: _Descending(sort_key(p)))
            else:
                at = bisect_right(order, sort_key(path), key=sort_key)
            order.insert(at, path)
            renumber_from = min(renumber_from, at)
        self._renumber(0 if gone else renumber_from)
        return min(first, renumber_from)

    # -- the DataTable's rows ------------------------------------------------------------

    def _index(self, path: str) -> int:
        return self._row_locations.get(self._row_keys[path])

    def _put_row(self, path: str, rendered: _Rendered) -> None:
        """Add the row of `path`, or replace its cells (its place in the order is `_renumber`'s)."""
        key = self._row_keys.get(path)
        if key is None:
            key = self._row_keys[path] = RowKey(path)
        if path not in self._shown:
            self.rows[key] = Row(key, 1)
        self._data[key] = dict(zip(self._column_keys, rendered.cells))
        self._shown[path] = rendered

    def _drop_row(self, path: str) -> None:
        """Take the row of `path` out (its key object stays, see `_rows_changed`)."""
        key = self._row_keys[path]
        self._dropped.add(id(key))
        del self._data[key]
        del self.rows[key]
        del self._shown[path]
        self._new_rows.discard(key)
        if self._updated_cells:
            for column_key in self._column_keys:
                self._updated_cells.discard(CellKey(key, column_key))

    def _renumber(self, start: int = 0) -> None:
        """Write the row indexes of `_order` from `start` on (0: all of them, afresh)."""
        keys, order = self._row_keys, self._order
        if start == 0:
            self._row_locations = TwoWayDict({keys[path]: index for index, path in enumerate(order)})
            return
        locations = self._row_locations
        for index in range(start, len(order)):
            locations[keys[order[index]]] = index

    def _sync_widths(self) -> bool:
        """Each column as wide as its label and the widest cell of any entry; whether one changed."""
        changed = False
        for column_key, label_width, counts in zip(self._column_keys, self._label_widths, self._widths):
            column = self.columns[column_key]
            width = max(label_width, max(counts) if counts else 0)
            if column.content_width != width:
                column.content_width = width
                changed = True
        return changed

    def _rows_changed(self, first: int = 0) -> None:
        """What DataTable does after add_row/remove_row, once: caches, size on idle, cursor, repaint.

        `first`: the first row that changed. When it is below the screen, the rendering of
        the rows on screen is kept: only what depends on the order, and the cached
        renderings of the rows from `first` on (and of rows taken out), are dropped, so
        the repaint costs ~1 ms instead of re-rendering every cell on screen (~40 ms).
        (DataTable bumps `_update_count`, which is in every cache key, as done here when
        the change reaches the screen.) The caches hold the rows' key objects, which a
        path keeps while its entry is listed (`_row_keys`): they are dropped by identity.
        """
        bottom = int(max(self.scroll_y, self.scroll_target_y)) + self.size.height + 1
        dropped, self._dropped = self._dropped, set()
        if first > bottom:
            keys = self._row_keys
            self._forget_rendering(dropped | {id(keys[path]) for path in self._order[first:]}, first)
        else:
            self._update_count += 1
        self._require_update_dimensions = True
        if self.cursor_row >= self.row_count:
            self.cursor_coordinate = self.cursor_coordinate  # brought back within the rows
        self.check_idle()
        self.refresh()

    def _forget_rendering(self, row_ids: set[int], first: int) -> None:
        """Drop DataTable's cached renderings of the rows whose key objects are `row_ids`, of
        the lines from row `first` on, and everything that depends on the order of the rows."""
        for cache in (self._row_render_cache, self._cell_render_cache):
            for stale in [key for key in cache.keys() if id(key[0]) in row_ids]:
                cache.discard(stale)
        lines = self._line_cache  # keyed by the line first: the header's lines, then a line a row
        top = first + (self.header_height if self.show_header else 0)
        for stale in [key for key in lines.keys() if key[0] >= top]:
            lines.discard(stale)
        for cache in (self._row_renderable_cache, self._offset_cache, self._ordered_row_cache):
            cache.clear()

    def refresh_times(self) -> None:
        """Re-render the relative dates (the clock moved)."""
        now = self.clock()
        index = COLUMN_KEYS.index("modified")
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
                self._put_row(path, rendered)
        if moved:
            self._sync_widths()
            self._rows_changed()

    def on_resize(self) -> None:
        """A long name never hides Status and the TVM verdict: the name column gets a share of
        the width (format.name_width); the full name is in the detail pane and the tooltip."""
        width = name_width(self.size.width)
        wide = self.size.width >= WIDE_TABLE
        if width != self.name_width or wide != getattr(self, "_wide", False):
            self.name_width, self._wide = width, wide
            for path in list(self._rendered):
                self._store(path, None)
            self.apply()

    def watch_hover_coordinate(self, old, value) -> None:
        super().watch_hover_coordinate(old, value)
        self.tooltip = None
        if 0 <= value.row < len(self._order):
            name = clean(self._shown[self._order[value.row]].entry.name)
            if fit(name, self.name_width) != name:
                self.tooltip = name

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._notify_selection()

    def _notify_selection(self) -> None:
        current = self.selected_entry
        if current is not self._last_selected:
            self._last_selected = current
            self.post_message(self.Selected(self, current))
