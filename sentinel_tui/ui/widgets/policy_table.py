"""The policy table: one row per policy, streamed in as pages arrive, sortable and filterable.

It only renders FleetEntry objects it is handed (`merge`, `replace_all`); it never
loads anything. Every cell is a `rich.text.Text` (a `str` cell would be parsed as
markup by DataTable), and names are passed through `inert`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from ...core.status import Status, Verdict
from ...ops.fleet import FleetEntry, LocalState
from ..format import (
    STATUS_ORDER, ago, clean, role_style, signed_at_text, size_text, status_text, status_word,
    verdict_text,
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
    status; a leading `!` inverts it."""

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
        except re.error:
            lowered = pattern.lower()
            test = lambda s: lowered in s.lower()  # noqa: E731
        invert = self.inverted

        def match(entry: FleetEntry) -> bool:
            hit = test(entry.name) or test(status_word(entry.status, pending=entry.pending))
            return hit != invert

        return match


def needs_attention(entry: FleetEntry) -> bool:
    """Anything that is not `valid` (local-only and still-loading rows included)."""
    return entry.status is not Status.VALID


class PolicyTable(DataTable):
    """Rows keyed by policy path. `merge` is called for every streamed batch."""

    DEFAULT_CSS = """
    PolicyTable { height: 1fr; }
    """

    BINDINGS = [
        Binding("enter", "select_cursor", "Detail", show=False, id="table.open"),
    ]

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
        self._shown: dict[str, FleetEntry] = {}  # path -> entry as rendered
        self._sort_keys: dict[str, tuple] = {}  # rendered name -> sort key
        self._last_selected: FleetEntry | None = None
        self.marked: set[str] = set()  # paths marked with space

    def on_mount(self) -> None:
        for column in COLUMNS:
            self.add_column(Text(column.label), key=column.key)

    # -- data ------------------------------------------------------------------------

    def merge(self, entries: Iterable[FleetEntry]) -> None:
        for entry in entries:
            self.entries[entry.path] = entry
        self.apply()

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
        return self._shown.get(key.value) if key is not None else None

    def visible(self) -> list[FleetEntry]:
        """The rows shown, in display order."""
        rows = []
        for index in range(self.row_count):
            key = self.coordinate_to_cell_key((index, 0)).row_key
            rows.append(self._shown[key.value])
        return rows

    def select_name(self, name: str) -> bool:
        for path, entry in self._shown.items():
            if entry.name == name:
                self.move_cursor(row=self.get_row_index(path))
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
        self.update_cell(entry.path, "name", self.cells(entry)[0], update_width=True)
        return entry

    def marked_names(self) -> list[str]:
        """The marked policies still listed, in name order."""
        return sorted(e.name for p, e in self.entries.items() if p in self.marked)

    def clear_marks(self) -> None:
        marked, self.marked = self.marked, set()
        for path in marked & set(self._shown):
            self.update_cell(path, "name", self.cells(self._shown[path])[0])

    # -- view settings -----------------------------------------------------------

    def set_filter(self, text: str) -> None:
        self.filter = EntryFilter(text)
        self.apply()

    def set_attention_only(self, value: bool) -> None:
        self.attention_only = value
        self.apply()

    def sort_by(self, column: str, reverse: bool | None = None) -> None:
        if column not in _BY_KEY:
            raise KeyError(column)
        if reverse is None:
            reverse = (not self.sort_reverse) if column == self.sort_column else False
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
            "name": Text((MARK if entry.path in self.marked else "") + clean(entry.name)),
            "status": status_text(entry.status, roles, pending=entry.pending),
            "tvm": Text("…", style="dim") if entry.pending else verdict_text(a, roles),
            "version": Text(str(entry.policy.version) if entry.policy else "", justify="right"),
            "modified": Text(ago(entry.policy.last_modified if entry.policy else None, self.clock())),
            "size": size_text(a.size if a and readable else None, roles),
            "local": local,
            "key": Text(clean(env.key_id) if env else ""),
            # the date only, to keep the table narrow; the detail pane has the time
            "signed_at": Text(signed_at_text(env)[:10]),
        }
        return [cells[key] for key in COLUMN_KEYS]

    def apply(self) -> None:
        """Bring the rows in line with entries, filter and sort, keeping the cursor on its policy."""
        keep = self.filter.matcher()
        wanted = {path: entry for path, entry in self.entries.items()
                  if keep(entry) and (not self.attention_only or needs_attention(entry))}
        before = self.selected_entry
        before_index = self.cursor_row
        for path in [p for p in self._shown if p not in wanted]:
            self.remove_row(path)
            del self._shown[path]
        column = _BY_KEY[self.sort_column]
        for path, entry in wanted.items():
            old = self._shown.get(path)
            if old is entry:
                continue
            cells = self.cells(entry)
            if old is None:
                self.add_row(*cells, key=path)
            else:
                for key, cell in zip(COLUMN_KEYS, cells):
                    self.update_cell(path, key, cell, update_width=True)
            self._shown[path] = entry
        self._sort_keys = {clean(e.name): (column.sort_key(e), e.name) for e in wanted.values()}
        if wanted:
            self.sort("name", key=lambda cell: self._sort_keys.get(cell.plain.removeprefix(MARK), ((), "")),
                      reverse=self.sort_reverse)
        # The cursor follows its policy, except at the top row: while rows stream in, a
        # cursor that was never moved stays on the first row instead of wandering off.
        if before is not None and before.path in self._shown and before_index > 0:
            self.move_cursor(row=self.get_row_index(before.path), animate=False)
        elif self.row_count:
            self.move_cursor(row=min(max(before_index, 0), self.row_count - 1), animate=False)
        self.post_message(self.ViewChanged(self, len(self._shown), len(self.entries)))
        self._notify_selection()

    def refresh_times(self) -> None:
        """Re-render the relative dates (the clock moved)."""
        for path, entry in self._shown.items():
            self.update_cell(path, "modified", self.cells(entry)[COLUMN_KEYS.index("modified")])

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._notify_selection()

    def _notify_selection(self) -> None:
        current = self.selected_entry
        if current is not self._last_selected:
            self._last_selected = current
            self.post_message(self.Selected(self, current))
