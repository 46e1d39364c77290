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
from ...errors import SentinelError
from ..format import clean, role_style
from ..messages import FleetUpdated
from ..shell import AppShell, shell
from ..widgets.detail import TABS, DetailPane
from ..widgets.header import ContextHeader
from ..widgets.policy_table import PolicyTable
from ..keymap import KEYS


class BrowserScreen(Screen):
    """Every policy under the root with what the TVM would do; `enter` opens the detail pane."""

    BINDINGS = KEYS["BrowserScreen"]

    _values_timer = None
    _visited: str | None = None  # the key of the row the cursor last rested on

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
        self.watch(self.app, "watching", lambda _watching: self._update_summary(), init=False)
        self._sync_contexts()
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
        if message.watched:
            self.table.mark_changed(message.watched)
        if message.reset or message.done or not message.entries:
            self._sync_contexts()
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
        self._show_progress()
        self._update_summary()

    def _show_progress(self) -> None:
        """The moving bar while the table is still empty; once rows are in, the rows and the
        summary's count show the load going on (the bar's animation repaints 15 times a second,
        CPU the loading threads need)."""
        busy = shell(self).fleet_loading and self.table.row_count == 0
        self.query_one("#browser-progress", ProgressBar).display = busy

    # -- table events ----------------------------------------------------------------------

    def on_policy_table_selected(self, message: PolicyTable.Selected) -> None:
        app = shell(self)
        if app.fleet_contexts:  # the context of the row under the cursor is the one in force
            app.focus_context(message.entry.context if message.entry is not None else self.table.selected_notice)
        key = message.entry.key if message.entry is not None else None
        if key != self._visited:  # the cursor moved: the rows it left and reached have been seen
            for seen in (self._visited, key):
                if seen is not None:
                    self.table.clear_changed(seen)
        self._visited = key
        app.selected = message.entry
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
        self._show_progress()
        self._update_summary()

    def on_policy_table_row_selected(self, message: PolicyTable.RowSelected) -> None:
        message.stop()
        self.action_open_detail()

    def on_policy_table_notice_selected(self, message: PolicyTable.NoticeSelected) -> None:
        """enter on a context's error row: the whole error, what to do, and r to retry."""
        message.stop()
        state = next((s for s in shell(self).fleet_contexts if s.name == message.context), None)
        error = (state.error or state.watch_error) if state is not None else None
        if error is not None:
            shell(self).show_error(error, title=f"Context {message.context} ({state.account or 'account unknown'}): "
                                                "r on its row retries")

    # -- several contexts -------------------------------------------------------------------

    def _sync_contexts(self) -> None:
        """The Context and Account columns with several contexts, and a notice row for each that failed."""
        contexts = shell(self).fleet_contexts
        table = self.table
        if not contexts and not table.accounts and not table.notices:
            return
        table.set_contexts({s.name: s.account for s in contexts} if contexts else None)
        roles = self.app.theme_variables
        table.set_notices({s.name: notice_text(s, roles) for s in contexts if s.error or s.watch_error})
        self._update_summary()

    def _update_summary(self) -> None:
        roles = self.app.theme_variables
        table = self.table
        contexts = shell(self).fleet_contexts
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
        shown = table.row_count - len(table.notices)
        if shown != total:
            text.append(f"  showing {shown}", style="bold")
        if table.attention_only:
            text.append("  [attention only]", style=role_style(roles, "accent"))
        if table.filter.text:
            kind = "regex" if table.filter.is_regex else "substring"
            text.append(f"  filter {kind}: ", style=Style(dim=True))
            text.append(table.filter.text, style=role_style(roles, "accent"))
        app = shell(self)
        if contexts:
            failed = [s.name for s in contexts if s.error is not None]
            loading = sum(1 for s in contexts if s.loading)
            text.append(f"  {len(contexts)} contexts", style=Style(dim=True))
            if loading:
                text.append(f"  loading {loading}…", style=role_style(roles, "accent"))
            if failed:
                text.append(f"  ✘ {len(failed)} failed: {', '.join(failed)}", style=role_style(roles, "error"))
        elif app.fleet.from_cache:
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
        column = next(c for c in table.columns if c.key == table.sort_column)
        text.append(f"  sort {column.words} {'▼' if table.sort_reverse else '▲'}", style=Style(dim=True))
        if app.watching:
            text.append(f"  ◉ watching {app.watching}", style=role_style(roles, "accent", bold=True))
        self.query_one("#browser-summary", Static).update(text)

    def _show_empty(self, total: int) -> None:
        """An empty store (listed without error, no local file either): say what to do first."""
        app = shell(self)
        ops, fleet = app.ops, app.fleet
        empty = (total == 0 and not app.fleet_loading and fleet.complete and fleet.error is None
                 and not app.fleet_contexts)
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
            self.table.add_class("-with-detail")  # the table's class, not the screen's: only it is restyled
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
        if which == "resign" and not self._one_context(self.table.marked_entries()):
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
        context = self.table.selected_notice
        if context is not None:  # on a context's error row: that context again, on a fresh session
            shell(self).retry_context(context)
            return
        shell(self).reload()

    def action_watch(self) -> None:
        shell(self).toggle_watch()

    def _one_context(self, entries) -> bool:
        """Bulk re-signing writes to one account: marked rows of several contexts are refused, said."""
        contexts = sorted({e.context for e in entries if e.context})
        if len(contexts) <= 1:
            return True
        shell(self).show_error(SentinelError(
            f"The marked rows are in {len(contexts)} contexts ({', '.join(contexts)}); re-signing writes to one "
            "account at a time.", "Unmark the rows of all but one context (space), then press B again.",
            kind="usage"), title="Nothing was re-signed")
        return False

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
            self.table.remove_class("-with-detail")
            self.table.focus()
        elif self.table.filter.text:
            self.table.set_filter("")
        elif self.table.attention_only:
            self.table.set_attention_only(False)
        self._update_summary()


def notice_text(state, roles) -> Text:
    """A context's error row: which context and account, what happened, what to do; r and enter."""
    error = state.error or state.watch_error
    what = error.what if isinstance(error, SentinelError) else str(error)
    fix = error.fix if isinstance(error, SentinelError) else ""
    kind = error.kind.replace("-", " ") if isinstance(error, SentinelError) and error.kind else "error"
    partial = bool(state.snapshot.entries) and state.error is not None
    text = Text()
    text.append(f"✘ {clean(state.name)}", style=role_style(roles, "error", bold=True))
    text.append(f" ({clean(state.account or 'account unknown')}): ", style=Style(dim=True))
    head = "partial listing, " if partial else ("watch: " if state.error is None else "not loaded, ")
    text.append(f"{head}{kind}", style=role_style(roles, "error", bold=True))
    text.append(" · r retries · enter: details · ", style=Style(dim=True))
    text.append(clean(" ".join(what.split())))
    if fix:
        text.append(" " + clean(" ".join(fix.split())), style=role_style(roles, "accent"))
    return text


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
