"""The home screen: the context header, the policy table, and the detail pane of the selected row."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, ProgressBar, Static

from ...core.status import Status
from ..format import role_style
from ..messages import FleetUpdated
from ..widgets.detail import TABS, DetailPane
from ..widgets.header import ContextHeader
from ..widgets.policy_table import COLUMNS, PolicyTable


class BrowserScreen(Screen):
    """Every policy under the root with what the TVM would do; `enter` opens the detail pane."""

    BINDINGS = [
        Binding("slash", "filter", "Filter", id="browser.filter",
                tooltip="Filter names and statuses (text or regex; a leading ! inverts)"),
        Binding("a", "attention", "Attention", id="browser.attention",
                tooltip="Show only the policies that need attention (anything not valid)"),
        Binding("s", "sort_next", "Sort", id="browser.sort", tooltip="Sort by the next column"),
        Binding("S", "sort_reverse", "Reverse sort", show=False, id="browser.sort_reverse"),
        Binding("enter", "open_detail", "Detail", show=False, id="browser.detail",
                tooltip="Open the detail pane of the selected policy"),
        Binding("r", "refresh", "Refresh", id="browser.refresh",
                tooltip="Re-read what changed (only parameters whose version moved)"),
        Binding("R", "reload", "Reload all", show=False, id="browser.reload", tooltip="Read the whole fleet again"),
        Binding("escape", "back", "Back", show=False, id="browser.back",
                tooltip="Close the filter, the detail pane, then clear the filter"),
        Binding("1", "tab('policy')", "Policy tab", show=False, id="browser.tab_policy"),
        Binding("2", "tab('signature')", "Signature tab", show=False, id="browser.tab_signature"),
        Binding("3", "tab('tvms')", "TVMs tab", show=False, id="browser.tab_tvms"),
        Binding("4", "tab('history')", "History tab", show=False, id="browser.tab_history"),
        Binding("f", "maximize_detail", "Full detail", show=False, id="browser.maximize",
                tooltip="Show the detail pane on the whole screen (esc restores)"),
        Binding("D", "doctor", "Doctor", show=False, id="browser.doctor",
                tooltip="Run every check the TVM and KMS make on the selected policy, each with its fix"),
        Binding("d", "diff", "Diff", id="browser.diff",
                tooltip="What pushing the local file would change, byte for byte (picks a file when there is none)"),
        # the guided flows (ui/screens/flows); not in the footer yet, so its snapshots hold: ? lists them
        Binding("P", "flow('push')", "Push", show=False, id="browser.push",
                tooltip="Push the selected policy's local file: validate, diff, confirm, sign, write, verify"),
        Binding("v", "flow('verify')", "Verify", show=False, id="browser.verify",
                tooltip="Verify the selected pair through KMS (as the TVM) or offline"),
        Binding("i", "flow('sign')", "Sign file", show=False, id="browser.sign",
                tooltip="Sign a local policy file and save FILE.sig (0600)"),
        Binding("u", "flow('restore')", "Restore", show=False, id="browser.restore",
                tooltip="Make an earlier version whose signature still verifies current again"),
        Binding("space", "mark", "Mark", show=False, id="browser.mark",
                tooltip="Mark or unmark the row for bulk re-signing"),
        Binding("B", "flow('resign')", "Re-sign marked", show=False, id="browser.resign",
                tooltip="Re-sign the stored bytes of the marked rows (unsigned or stale, after review)"),
    ]

    _values_timer = None

    def compose(self) -> ComposeResult:
        clock = getattr(self.app, "clock", None)
        yield ContextHeader(id="context-header")
        with Vertical(id="browser-body"):
            yield PolicyTable(clock=clock, id="policy-table")
            yield DetailPane(clock=clock, id="detail")
        with Horizontal(id="browser-status"):
            yield Static(id="browser-summary")
            yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="browser-progress")
        yield Input(placeholder="filter: text or regex over name and status; ! inverts; enter keeps, esc clears",
                    id="filter-input")
        yield Footer()

    # -- wiring to the app --------------------------------------------------------------

    def on_mount(self) -> None:
        self.query_one("#detail", DetailPane).display = False
        self.query_one("#filter-input", Input).display = False
        self.query_one("#filter-input", Input).cursor_blink = not self.app.is_headless
        app = self.app
        fleet_changed = getattr(app, "fleet_changed", None)
        if fleet_changed is not None:
            fleet_changed.subscribe(self, self._fleet_changed)
            self.watch(app, "fleet_loading", self._loading_changed)
            snapshot = getattr(app, "fleet", None)
            if snapshot is not None and snapshot.entries:
                self.table.replace_all(snapshot.entries.values())
        self.table.focus()
        self._update_summary()
        self.set_interval(60, self.table.refresh_times)  # "5m ago" keeps up with the clock

    @property
    def table(self) -> PolicyTable:
        return self.query_one("#policy-table", PolicyTable)

    @property
    def detail(self) -> DetailPane:
        return self.query_one("#detail", DetailPane)

    def _fleet_changed(self, message: FleetUpdated) -> None:
        if message.reset:
            self.table.clear_entries()
        if message.cached and message.snapshot is not None:
            self.table.replace_all(message.snapshot.entries.values())
        elif message.done and message.snapshot is not None:
            self.table.replace_all(message.snapshot.entries.values())
        elif message.entries:
            self.table.merge(message.entries)
            return  # the summary follows the table's ViewChanged (a page of ten re-laid the screen)
        self._update_summary()

    def _loading_changed(self, loading: bool) -> None:
        self.query_one("#browser-progress", ProgressBar).display = bool(loading)
        self._update_summary()

    # -- table events ----------------------------------------------------------------------

    def on_policy_table_selected(self, message: PolicyTable.Selected) -> None:
        if hasattr(self.app, "selected"):
            self.app.selected = message.entry
        if self.detail.display:
            self.detail.show(message.entry)
            self._read_values_soon(message.entry)

    def _read_values_soon(self, entry) -> None:
        """A row from the cache has no values: read its pair once the cursor rests on it (with the
        detail pane open, or before an action that needs them)."""
        if self._values_timer is not None:
            self._values_timer.stop()
            self._values_timer = None
        if entry is None or not entry.needs_values:
            return

        def read() -> None:
            self._values_timer = None
            current = self.table.selected_entry
            if current is not None and current.path == entry.path and current.needs_values:
                self.app.refresh_entry(entry.name)

        self._values_timer = self.set_timer(0.2, read)

    def _values_missing(self, entry) -> bool:
        """Whether `entry` is a row from the cache whose values are being read (said to the user)."""
        if entry is None or not entry.needs_values:
            return False
        self.notify(f"Reading {entry.name} first (shown from the cache); try again in a moment.", timeout=3)
        self._read_values_soon(entry)
        return True

    def on_policy_table_view_changed(self, message: PolicyTable.ViewChanged) -> None:
        self._update_summary()

    def on_policy_table_row_selected(self, message: PolicyTable.RowSelected) -> None:
        message.stop()
        self.action_open_detail()

    def _update_summary(self) -> None:
        roles = self.app.theme_variables
        table = self.table
        entries = list(table.entries.values())
        total = len(entries)
        valid = sum(1 for e in entries if e.status is Status.VALID)
        text = Text()
        text.append(f"{total} polic{'y' if total == 1 else 'ies'}")
        text.append("  ")
        text.append(f"✔ {valid} valid", style=role_style(roles, "success"))
        text.append("  ")
        attention = total - valid
        text.append(f"{attention} need attention", style=role_style(roles, "warning" if attention else "muted"))
        shown = table.row_count
        if shown != total:
            text.append(f"  showing {shown}", style="bold")
        if table.attention_only:
            text.append("  [attention only]", style=role_style(roles, "accent"))
        if table.filter.text:
            kind = "regex" if table.filter.is_regex else "substring"
            text.append(f"  filter {kind}: ", style=Style(dim=True))
            text.append(table.filter.text, style=role_style(roles, "accent"))
        if self.app.fleet.from_cache:
            text.append("  from cache", style=role_style(roles, "warning"))
            text.append(" (confirming…)" if self.app.fleet_loading else "", style=Style(dim=True))
        elif getattr(self.app, "fleet_loading", False):
            text.append("  loading…", style=role_style(roles, "accent"))
        else:
            error = getattr(getattr(self.app, "fleet", None), "error", None)
            if error is not None and getattr(error, "kind", "") != "cancelled":
                text.append("  partial listing" if total else "  listing failed", style=role_style(roles, "error"))
                text.append(" (r retries)", style=Style(dim=True))
        column = next(c for c in COLUMNS if c.key == table.sort_column)
        text.append(f"  sort {column.words} {'▼' if table.sort_reverse else '▲'}", style=Style(dim=True))
        self.query_one("#browser-summary", Static).update(text)

    # -- actions ------------------------------------------------------------------------------

    def action_filter(self) -> None:
        field = self.query_one("#filter-input", Input)
        field.display = True
        field.value = self.table.filter.text
        field.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter-input":
            self.table.set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter-input":
            event.stop()
            self.table.set_filter(event.value)
            event.input.display = False
            self.table.focus()

    def set_filter(self, text: str) -> None:
        self.table.set_filter(text)
        self._update_summary()

    def action_attention(self) -> None:
        self.table.set_attention_only(not self.table.attention_only)
        self._update_summary()

    def action_sort_next(self) -> None:
        self.table.sort_next()
        self._update_summary()

    def action_sort_reverse(self) -> None:
        self.table.sort_by(self.table.sort_column, not self.table.sort_reverse)
        self._update_summary()

    def action_open_detail(self) -> None:
        detail = self.detail
        if not detail.display:
            detail.display = True
            self.add_class("-detail")
        detail.show(self.table.selected_entry)
        self._read_values_soon(self.table.selected_entry)

    def action_tab(self, tab: str) -> None:
        if tab in TABS:
            self.action_open_detail()
            self.detail.show_tab(tab)

    def action_doctor(self) -> None:
        entry = self.table.selected_entry
        if entry is None or not entry.remote:
            self.notify("Select a stored policy first: the doctor checks what SSM holds.", timeout=4)
            return
        self.app.execute_command(f"doctor {entry.name}")

    def action_maximize_detail(self) -> None:
        self.action_open_detail()
        if self.maximized is self.detail:
            self.minimize()
        else:
            self.maximize(self.detail, container=False)

    def action_flow(self, which: str) -> None:
        from .flows import open_flow

        if which != "resign" and self._values_missing(self.table.selected_entry):
            return
        try:
            open_flow(self.app, which, self.table.selected_entry, self.table.marked_names())
        except Exception as exc:  # e.g. nothing selected: said, never a traceback
            self.app.show_error(exc)
            return
        if which == "resign":
            self.table.clear_marks()

    def action_mark(self) -> None:
        entry = self.table.toggle_mark()
        if entry is not None:
            count = len(self.table.marked_names())
            self.notify(f"{count} marked: B re-signs their stored bytes" if count else "No row marked",
                        timeout=3)

    def action_diff(self) -> None:
        """The diff of the selected policy against its local file; without one, pick a file."""
        entry = self.table.selected_entry
        if entry is None:
            self.notify("Select a policy first.", timeout=3)
            return
        if self._values_missing(entry):
            return
        from .diff import DiffScreen
        from .file_picker import FilePicker

        key = next((tvm.signing_key for tvm in entry.tvms if tvm.signing_key), None)
        if entry.local_path is not None:
            self.app.push_screen(DiffScreen(entry.name, entry.local_path, key_id=key))
            return

        def picked(path: str | None) -> None:
            if path:
                self.app.push_screen(DiffScreen(entry.name, path, key_id=key))

        ops = getattr(self.app, "ops", None)
        start = ops.settings.local_dir if ops is not None else None
        self.app.push_screen(FilePicker(start, title=f"No local file for {entry.name}: compare it with which file?"),
                             picked)

    def action_refresh(self) -> None:
        reload = getattr(self.app, "reload", None)
        if reload is not None:
            reload()

    def action_reload(self) -> None:
        reload = getattr(self.app, "reload", None)
        if reload is not None:
            reload(full=True)

    def action_back(self) -> None:
        field = self.query_one("#filter-input", Input)
        if field.has_focus or field.display:
            field.display = False
            self.table.set_filter("")
            self.table.focus()
        elif self.maximized is not None:
            self.minimize()
        elif self.detail.display:
            self.detail.display = False
            self.detail.cancel_work()
            self.remove_class("-detail")
            self.table.focus()
        elif self.table.filter.text:
            self.table.set_filter("")
        elif self.table.attention_only:
            self.table.set_attention_only(False)
        self._update_summary()
