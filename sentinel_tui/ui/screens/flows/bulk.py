"""Bulk re-signing: the stored bytes of the selected policies, one at a time, with a result per row.

Meant for `unsigned` or `stale` policies whose stored content has been reviewed:
re-signing makes an enforcing TVM accept exactly what is stored now. No policy is
written, only signatures (ops.bulk.resign_many). `esc` while it runs stops cleanly
between two policies; the ones done stay done, the rest are not touched.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, ProgressBar, Static

from ....errors import SentinelError
from ....core.status import Status
from ....ops.bulk import CANCELLED, FAILED, OK, RUNNING as ITEM_RUNNING, SKIPPED, BulkResult, ItemOutcome, \
    resign_many
from ....ops.context import Ops
from ....ops.fleet import FleetEntry
from ...format import clean, role_style, status_text
from ...shell import shell
from .base import FAIL, PASS, RUNNING, SKIP, FlowScreen
from ...keymap import KEYS

__all__ = ["BulkResignFlow"]

MEANT_FOR = (Status.UNSIGNED, Status.STALE)
_ROLE = {OK: "success", FAILED: "error", SKIPPED: "warning", CANCELLED: "muted", ITEM_RUNNING: "accent"}
_SYMBOL = {OK: "✔", FAILED: "✘", SKIPPED: "–", CANCELLED: "·", ITEM_RUNNING: "▶"}


class BulkResignFlow(FlowScreen):
    FLOW_TITLE = "Re-sign the stored bytes of several policies"
    HELP_TITLE = "Bulk re-sign"
    STEPS = [
        ("review", "Review the selection"),
        ("confirm", "Confirm"),
        ("resign", "Re-sign each (stored bytes; no policy write)"),
        ("summary", "Summary"),
    ]

    BINDINGS = KEYS["BulkResignFlow"]

    def __init__(self, ops: Ops, names: list[str], *, key_id: str | None = None, id: str | None = None) -> None:
        super().__init__(ops, id=id)
        self.names = list(dict.fromkeys(names))
        self.key_id = key_id
        self.entries: dict[str, FleetEntry] = {}
        self.outcomes: dict[str, ItemOutcome] = {}
        self.confirming = False
        self.stopping = False

    def compose_body(self) -> ComposeResult:
        with Vertical(id="bulk"):
            yield Static(id="bulk-intro", classes="page-title")
            yield DataTable(id="bulk-table", cursor_type="row", zebra_stripes=True)
            yield ProgressBar(total=len(self.names), show_eta=False, id="bulk-progress")
            yield Static(id="bulk-ask", classes="ask")

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#bulk-table", DataTable)
        for key, label in (("name", "Name"), ("status", "Status now"), ("version", "Ver"),
                           ("result", "Result"), ("detail", "Detail")):
            table.add_column(Text(label), key=key)
        for name in self.names:
            table.add_row(Text(clean(name)), Text("…"), Text(""), Text(""), Text(""), key=name)
        key = self.key_id or "each policy's TVM key (else the default key)"
        self.query_one("#bulk-intro", Static).update(Text(
            f"Re-sign the STORED bytes of {len(self.names)} polic{'y' if len(self.names) == 1 else 'ies'} "
            f"with {key}. Meant for unsigned or stale policies whose stored content you have reviewed: "
            "an enforcing TVM will then accept exactly what is stored."))
        self.step("review", RUNNING, "reading the stored pairs…")
        names = list(self.names)
        self.background(lambda cancelled: self._read(names, cancelled), self._read_done, group="flow-read")

    def _read(self, names: list[str], cancelled) -> dict[str, FleetEntry]:
        try:
            tvms = self.ops.tvms.list()
        except SentinelError:
            tvms = []
        found = {}
        for name in names:
            if cancelled():
                break
            found[name] = self.ops.fleet.entry(name, tvms)
        return found

    def _read_done(self, entries: dict[str, FleetEntry]) -> None:
        self.entries = entries
        table = self.query_one("#bulk-table", DataTable)
        roles = self.app.theme_variables
        unusual = []
        for name, entry in entries.items():
            table.update_cell(name, "status", status_text(entry.status, roles) if entry.status else
                              Text("no policy" if entry.policy is None else "?"))
            table.update_cell(name, "version", Text(str(entry.policy.version) if entry.policy else "-"))
            if entry.status not in MEANT_FOR:
                unusual.append(f"{name} ({entry.status or 'no policy'})")
        why = f"{len(entries)} polic{'y' if len(entries) == 1 else 'ies'}"
        if unusual:
            why += "; not unsigned or stale: " + ", ".join(unusual)
        self.step("review", PASS, why)
        self.step("confirm", RUNNING, "enter: see what will happen")
        self.keys("enter: continue · esc: cancel (nothing is written)")
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()  # enter on the table: the table would take it, the flow goes on
        self.action_proceed()

    def action_proceed(self) -> None:
        if self.phase == "done":
            self.close_flow()
            return
        if self.phase != "input" or self.steps.state("review") != PASS:
            return
        ask = self.query_one("#bulk-ask", Static)
        roles = self.app.theme_variables
        if not self.confirming:
            self.confirming = True
            enforcing = sorted({t.source for e in self.entries.values() for t in e.tvms
                                if t.verifies and t.enforcing})
            text = Text()
            where = shell(self).target_words(self.ops)
            if where:  # several contexts: the account written to, in words
                text.append(f"Re-signs in {clean(where)}.\n", style=role_style(roles, "accent", bold=True))
            text.append("Press enter again to re-sign, esc to cancel (nothing is written).\n",
                        style=Style(bold=True))
            if enforcing:
                text.append(f"Served by enforcing TVMs ({', '.join(enforcing)}): they will accept the stored "
                            "bytes as soon as they are signed.", style=role_style(roles, "warning", bold=True))
            if self.ops.settings.read_only:
                text.append("\nRead-only mode: re-signing will be refused.", style=role_style(roles, "warning"))
            ask.update(text)
            return
        self.step("confirm", PASS, "confirmed")
        self.run_resign()

    def run_resign(self) -> None:
        self.phase = "running"
        self.step("resign", RUNNING, f"0 of {len(self.names)}")
        self.query_one("#bulk-ask", Static).update(Text("esc stops cleanly after the policy being signed."))
        self.keys("esc: stop between two policies (those done stay done)")
        names, key = list(self.names), self.key_id

        def progress(name: str, outcome: ItemOutcome) -> None:
            self._ui(self._item, name, outcome)

        self.background(lambda cancelled: resign_many(self.ops, names, key, progress, cancelled),
                        self._done, self._failed, group="flow-write", writes=True)

    def _item(self, name: str, outcome: ItemOutcome) -> None:
        if outcome.state != ITEM_RUNNING and outcome.state != CANCELLED:
            self.writing = True
        self.outcomes[name] = outcome
        roles = self.app.theme_variables
        table = self.query_one("#bulk-table", DataTable)
        table.update_cell(name, "result", Text(f"{_SYMBOL[outcome.state]} {outcome.state}",
                                               style=role_style(roles, _ROLE[outcome.state])))
        detail = outcome.detail + (f" — SSM: {outcome.ssm_state}" if outcome.state == FAILED and outcome.ssm_state
                                   else "")
        table.update_cell(name, "detail", Text(clean(detail)), update_width=True)
        if outcome.done:
            done = sum(1 for o in self.outcomes.values() if o.done)
            self.query_one("#bulk-progress", ProgressBar).update(progress=done)
            self.step("resign", RUNNING, f"{done} of {len(self.names)}")
            if outcome.state == OK:
                self.refresh_app_entry(name)
                self._status_now(name)

    def _status_now(self, name: str) -> None:
        """Re-read the pair just re-signed: "Status now" shows what it is now, not what it was."""
        ops, tvms = self.ops, [t for e in self.entries.values() for t in e.tvms] or None

        def read() -> None:
            try:
                entry = ops.fleet.entry(name, tvms)
            except Exception:
                return
            self.app.call_from_thread(self._show_status, name, entry)

        self.run_worker(read, thread=True, group="flow-status", exit_on_error=False)

    def _show_status(self, name: str, entry: FleetEntry) -> None:
        self.entries[name] = entry
        roles = self.app.theme_variables
        table = self.query_one("#bulk-table", DataTable)
        table.update_cell(name, "status", status_text(entry.status, roles) if entry.status else Text("?"))
        table.update_cell(name, "version", Text(str(entry.policy.version) if entry.policy else "-"))

    def action_cancel_flow(self) -> None:
        if self.phase == "running":
            if self._write_worker is not None and not self.stopping:
                self.stopping = True
                self._write_worker.cancel()
                self.banner("Stopping after the policy being signed…", "warning")
            return
        super().action_cancel_flow()

    def _done(self, result: BulkResult) -> None:
        self.phase = "done"
        self.result = result
        self.step("resign", PASS if result.count(FAILED) == 0 else FAIL,
                  "stopped between items" if result.cancelled else "every item done")
        self.step("summary", PASS if result.ok else FAIL, result.summary())
        self.query_one("#bulk-ask", Static).update(Text(""))
        self.outcome(Text(("✔ " if result.ok else "✘ ") + result.summary()
                          + (" (stopped by esc)" if result.cancelled else "")), "success" if result.ok else "error")
        self.keys("enter or esc: close")

    def _failed(self, error: BaseException) -> None:
        self.phase = "done"
        self.step("resign", SKIP if isinstance(error, SentinelError) and error.kind == "read-only" else FAIL)
        self.show_failure(error, step=None, title="Nothing was re-signed")
        self.keys("esc: close")
