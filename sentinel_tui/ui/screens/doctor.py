"""The doctor screen: the twelve checks on one policy, each with its state, reason, fix and fixing flow.

Opened from a browser row (the selected policy) or with `:doctor NAME`. The
checks run in a thread worker through `ops.doctor.run_doctor`; the table shows
each check's state as symbol, word and colour; the pane below shows the
selected check's full reason and fix. `f` starts the check's fixing flow
(`:resign`, `:restore`, `:push`, `:keysetup`); the fix text names the headless
command too (`ops/remedies.py`).
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import get_current_worker

from ...errors import SentinelError
from ...ops.context import Ops
from ...ops.doctor import FAIL, KEYSETUP, PASS, PUSH, RESIGN, RESTORE, SKIP, WARN, DoctorCheck, DoctorReport, run_doctor
from ..format import clean, one_line, role_style
from ..shell import AppScreen, shell
from ..keymap import KEYS

STATE_SYMBOL = {PASS: "✔", WARN: "!", FAIL: "✘", SKIP: "–"}
STATE_ROLE = {PASS: "success", WARN: "warning", FAIL: "error", SKIP: "muted"}
FLOW_WORDS = {RESIGN: "re-sign", RESTORE: "restore", PUSH: "push", KEYSETUP: "key setup"}


def flow_command(action: str, name: str) -> str:
    """The app's `:` command that starts a fixing flow."""
    return {RESIGN: f"resign {name}", RESTORE: f"restore {name}", PUSH: f"push {name}",
            KEYSETUP: "keysetup"}[action]


def state_text(state: str, roles) -> Text:
    return Text(f"{STATE_SYMBOL[state]} {state.upper()}", style=role_style(roles, STATE_ROLE[state], bold=state == FAIL))


class DoctorScreen(Screen, AppScreen):
    """Every check the TVM and KMS make on one policy, in order."""

    HELP_TITLE = "Doctor"
    CSS_PATH = "doctor.tcss"

    BINDINGS = KEYS["DoctorScreen"]

    def __init__(self, ops: Ops, name: str, key_id: str | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ops = ops
        self.policy = name
        self.key_id = key_id
        self.report: DoctorReport | None = None
        self._started_flow = False

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Doctor: {clean(self.policy)}"), id="doctor-title")
        yield Static(id="doctor-summary")
        yield DataTable(id="doctor-checks", cursor_type="row", zebra_stripes=False)
        with VerticalScroll(id="doctor-detail-box"):
            yield Static(id="doctor-detail")
        yield Footer()

    @property
    def table(self) -> DataTable:
        return self.query_one("#doctor-checks", DataTable)

    def on_mount(self) -> None:
        self._written_seen = shell(self).written.get(self.policy)
        self._columns(None)
        self.run()
        self.table.focus()

    def _columns(self, reason_width: int | None) -> None:
        table = self.table
        table.add_column("#", key="n", width=3)
        table.add_column("state", key="state", width=7)
        table.add_column("check", key="check", width=40)
        table.add_column("reason (the full text below)", key="reason", width=reason_width)

    def on_screen_resume(self) -> None:
        written = shell(self).written.get(self.policy)
        # back from a fixing flow, or from any write to this policy (:push typed here): show what changed
        if self._started_flow or written != self._written_seen:
            self._started_flow = False
            self._written_seen = written
            self.run()

    # -- running ---------------------------------------------------------------------------

    def run(self) -> None:
        self.report = None
        self.table.clear()
        self._summary(Text("Running the checks…", style=role_style(self.app.theme_variables, "accent")))
        self.query_one("#doctor-detail", Static).update("")
        self.run_worker(self._work, thread=True, exclusive=True, group="doctor", exit_on_error=False)

    def _work(self) -> None:
        worker = get_current_worker()
        report = run_doctor(self.ops, self.policy, key_id=self.key_id)
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show, report)

    def _summary(self, text: Text) -> None:
        self.query_one("#doctor-summary", Static).update(text)

    def _show(self, report: DoctorReport) -> None:
        if not self.is_attached:
            return
        self.report = report
        roles = self.app.theme_variables
        self.query_one("#doctor-title", Static).update(Text(f"Doctor: {clean(report.path)}"))
        text = Text()
        if report.key or report.key_source:
            text.append("key ", style=Style(dim=True))
            text.append(clean(report.key or "(none)"))
            text.append(f"  ({clean(report.key_source)})\n", style=Style(dim=True))
        if report.status is not None:
            text.append("status ", style=Style(dim=True))
            text.append(str(report.status))
            text.append("   TVM ", style=Style(dim=True))
            text.append(one_line(report.tvm_verdict, 150))
            text.append("\n")
            if report.tvm_log is not None:
                text.append("logs ", style=Style(dim=True))
                text.append(one_line(report.tvm_log, 200), style=role_style(roles, "error"))
                text.append("\n")
        role = "error" if report.exit_code == 1 else "warning" if report.exit_code == 2 else "success"
        text.append(clean(report.summary()), style=role_style(roles, role, bold=True))
        self._summary(text)
        table = self.table
        table.clear(columns=True)
        width = max(30, self.size.width - 3 - 7 - 40 - 9)  # the reason column fits the screen
        self._columns(width)
        for check in report.checks:
            table.add_row(Text(str(check.number)), state_text(check.state, roles), Text(clean(check.title)),
                          Text(one_line(check.reason, width)), key=str(check.number))
        first = report.first_failure or (report.warnings[0] if report.warnings else None)
        if first is not None:
            table.move_cursor(row=table.get_row_index(str(first.number)))
        self._detail(self.selected_check)

    # -- the selected check ------------------------------------------------------------------

    @property
    def selected_check(self) -> DoctorCheck | None:
        if self.report is None or not self.report.checks:
            return None
        row = self.table.cursor_row
        if 0 <= row < len(self.report.checks):
            return self.report.checks[row]
        return None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._detail(self.selected_check)

    def _detail(self, check: DoctorCheck | None) -> None:
        box = self.query_one("#doctor-detail", Static)
        if check is None:
            if self.report is not None and self.report.error:
                box.update(Text(clean(self.report.error), style=role_style(self.app.theme_variables, "error")))
            return
        roles = self.app.theme_variables
        text = Text()
        text.append(f"{check.number}. {clean(check.title)}  ", style=Style(bold=True))
        text.append_text(state_text(check.state, roles))
        text.append("\n")
        text.append(clean(check.reason))
        if check.fix:
            text.append("\nFix: ", style=Style(bold=True))
            text.append(clean(check.fix))
        if check.actions and check.state in (FAIL, WARN):
            name = self.report.name if self.report else self.policy
            keys = []
            for index, action in enumerate(check.actions[:2]):
                key = "f" if index == 0 else "F"
                where = f"the {FLOW_WORDS[action]} flow"
                keys.append(f"{key}: {FLOW_WORDS[action]} ({where})")
            text.append("\n" + "   ".join(keys), style=role_style(roles, "accent"))
        box.update(text)

    # -- actions -------------------------------------------------------------------------------

    def _start(self, index: int) -> None:
        check = self.selected_check
        if check is None:
            return
        if len(check.actions) <= index:
            self.notify("No fixing flow for this check: its fix says what to do." if not check.actions
                        else "This check has one fixing flow: press f.", timeout=4)
            return
        action = check.actions[index]
        name = self.report.name if self.report else self.policy
        self._started_flow = True
        shell(self).execute_command(flow_command(action, name))

    def action_fix(self) -> None:
        self._start(0)

    def action_fix_other(self) -> None:
        self._start(1)

    def action_rerun(self) -> None:
        self.run()

    def action_copy(self) -> None:
        if self.report is None:
            return
        self.app.copy_to_clipboard("\n".join(self.report.lines()))
        self.notify("The report was copied.", timeout=3)

    def action_close(self) -> None:
        self.workers.cancel_node(self)
        self.dismiss(self.report)
