"""The home screen: the context header, the policy table, and the detail pane of the selected row."""

from __future__ import annotations

from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets.input import Selection
from textual.widgets import Footer, Input, ProgressBar, Static, TextArea

from ...core.status import Status
from ..format import clean, role_style
from ..messages import FleetUpdated
from ..shell import AppShell, shell
from ..widgets.detail import TABS, DetailPane
from ..widgets.header import ContextHeader
from ..widgets.policy_table import COLUMNS, PolicyTable
from ..keymap import KEYS


class BrowserScreen(Screen):
    """Every policy under the root with what the TVM would do; `enter` opens the detail pane."""

    BINDINGS = KEYS["BrowserScreen"]

    _values_timer = None

    def compose(self) -> ComposeResult:
        clock = shell(self).clock
        yield ContextHeader(id="context-header")
        with Vertical(id="browser-body"):
            yield PolicyTable(clock=clock, id="policy-table")
            yield Static(id="browser-empty")  # what to do first, when the store has no policy
            yield DetailPane(clock=clock, id="detail")
        with Horizontal(id="browser-status"):
            yield Static(id="browser-summary")
            yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="browser-progress")
        yield Input(placeholder="filter: text or regex over name and status; ! inverts; enter keeps, esc clears",
                    id="filter-input", select_on_focus=False)
        yield Footer()

    # -- wiring to the app --------------------------------------------------------------

    def on_mount(self) -> None:
        self.query_one("#detail", DetailPane).display = False
        self.query_one("#filter-input", Input).display = False
        self.query_one("#browser-empty", Static).display = False
        self.query_one("#filter-input", Input).cursor_blink = not self.app.is_headless
        app = shell(self)
        app.fleet_changed.subscribe(self, self._fleet_changed)
        self.watch(self.app, "fleet_loading", self._loading_changed)
        self.watch(self.app, "default_key_missing", lambda _missing: self._update_summary(), init=False)
        if app.fleet.entries:
            self.table.replace_all(app.fleet.entries.values())
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
        shell(self).selected = message.entry
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
                shell(self).refresh_entry(entry.name)

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
        app = shell(self)
        if app.fleet.from_cache:
            text.append("  from cache", style=role_style(roles, "warning"))
            text.append(" (confirming…)" if app.fleet_loading else "", style=Style(dim=True))
        elif app.fleet_loading:
            text.append("  loading…", style=role_style(roles, "accent"))
        else:
            error = app.fleet.error
            if error is not None and error.kind != "cancelled":
                text.append("  partial listing" if total else "  listing failed", style=role_style(roles, "error"))
                text.append(" (r retries)", style=Style(dim=True))
        self._show_empty(total)
        column = next(c for c in COLUMNS if c.key == table.sort_column)
        text.append(f"  sort {column.words} {'▼' if table.sort_reverse else '▲'}", style=Style(dim=True))
        self.query_one("#browser-summary", Static).update(text)

    def _show_empty(self, total: int) -> None:
        """An empty store (listed without error, no local file either): say what to do first."""
        app = shell(self)
        ops, fleet = app.ops, app.fleet
        empty = (total == 0 and not app.fleet_loading and fleet.complete and fleet.error is None)
        box = self.query_one("#browser-empty", Static)
        box.display = empty
        self.set_class(empty, "-empty")
        if empty:
            box.update(empty_fleet_text(app, ops))

    def action_keysetup(self) -> None:
        shell(self).execute_command("keysetup")

    # -- actions ------------------------------------------------------------------------------

    def action_filter(self) -> None:
        """Open the filter field. A priority binding, run while the app reads the key: the field has
        focus before the keys typed after `/` are handed out, so a burst of them all reach it."""
        from textual.actions import SkipAction

        if isinstance(self.focused, (Input, TextArea)):
            raise SkipAction()  # a `/` typed into a field (a regex such as team/.*) is text
        field = self.query_one("#filter-input", Input)
        field.display = True
        field.value = self.table.filter.text
        field.selection = Selection(0, len(field.value))  # now, not on focus: typing replaces it
        # focused now, not after the queued keys: keys typed in a burst after `/` all reach it
        self.set_focus(field)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter-input":
            self.table.set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter-input":
            event.stop()
            self.table.set_filter(event.value)
            event.input.display = False
            self.table.focus()

    def sort_by(self, column: str, reverse: bool = False) -> None:
        self.table.sort_by(column, reverse)
        self._update_summary()

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
        shell(self).execute_command(f"doctor {entry.name}")

    def action_maximize_detail(self) -> None:
        self.action_open_detail()
        if self.maximized is self.detail:
            self.minimize()
            self.table.focus()
        else:
            self.maximize(self.detail, container=False)
            # focus inside the detail: Tab then moves among what is on screen, not to the hidden table
            inside = [w for w in self.focus_chain if self.detail in w.ancestors_with_self]
            if inside:
                inside[0].focus()

    def action_flow(self, which: str) -> None:
        if which != "resign" and self._values_missing(self.table.selected_entry):
            return
        try:
            shell(self).open_flow(which, entry=self.table.selected_entry, marked=self.table.marked_names())
        except Exception as exc:  # e.g. nothing selected: said, never a traceback
            shell(self).show_error(exc)
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
        app = shell(self)
        key = next((tvm.signing_key for tvm in entry.tvms if tvm.signing_key), None)
        if entry.local_path is not None:
            app.open_diff(entry.name, str(entry.local_path), key_id=key)
            return

        def picked(path: str | None) -> None:
            if path:
                app.open_diff(entry.name, path, key_id=key)

        app.pick_file(app.ops.settings.local_dir, f"No local file for {entry.name}: compare it with which file?",
                      picked)

    def action_refresh(self) -> None:
        shell(self).reload()

    def action_reload(self) -> None:
        shell(self).reload(full=True)

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


def empty_fleet_text(app: AppShell, ops) -> Group:
    """The first steps on an empty store, with the keys that take them (wrapped lines hang under
    their step)."""
    roles = app.theme_variables
    settings = ops.settings
    region = settings.region or app.resolved_region or "this region"
    key = settings.default_key or "alias/sentinel-policy-signing"
    missing = app.default_key_missing
    title = Text(f"No policies under {clean(settings.policy_root)} in {clean(region)} yet, and no policy file in "
                 "the local folder. To start:", style="bold")
    steps = Table.grid(padding=(0, 2))
    steps.add_column(no_wrap=True, style=role_style(roles, "accent", bold=True))
    steps.add_column(ratio=1)

    def step(keys: str, what: str, note: str = "") -> None:
        text = Text(what)
        if note:
            text.append(f" {note}", style=Style(dim=True))
        steps.add_row(Text(keys), text)

    step("K", f"1. Set up the signing key {clean(key)}" + (": it does not exist yet, create it there." if missing
                                                               else "."),
         "(:keysetup; it also fills in the IAM, Terraform and Lambda settings)")
    step("P", "2. Push a first policy: pick a YAML file and name it; it is validated, signed with the key, "
         "written and verified.", "(:push NAME FILE)")
    step("i", "Or only sign a local file (FILE.sig beside it).")
    step("r", f"Read the store again. Policy files in {clean(settings.local_dir or '(no local folder)')} show "
         "as local only.", "(:root PATH or :region NAME if the policies are elsewhere)")
    return Group(title, Text(""), steps)
