"""The plan screen: what applying a folder of policy files would change, and `A` to apply exactly that.

`:plan [DIR]` (default: the local policies folder) makes the plan in a thread worker
through `ops.plan.make_plan`: every item with its action, what it changes (the access
diff when the build has it, else the meaning) and the TVMs serving it; below, the
selected item's byte diff and change diff. `A` applies after one confirmation (enter),
or, when an enforcing TVM serves any item, after typing a name (the policy's, or the
root when several are served by one). `ops.plan.apply_plan` then refuses with nothing
written if anything moved since the plan, else applies item by item; each row shows
its progress and result. `esc` during the apply stops cleanly between two items.

`ui/routes.py` registers `:plan`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import get_current_worker

from ...errors import SentinelError
from ...ops.context import Ops
from ...ops.plan import (
    APPLIED, CREATE, DELETE, NO_CHANGE, NOT_ATTEMPTED, NOT_MANAGED, NOTHING_WRITTEN, RESIGN, ROLLED_BACK,
    UNCHANGED, UPDATE, ApplyResult, ItemResult, Plan, PlanError, PlanItem, PlanRefused, apply_plan, make_plan,
)
from ..format import clean, one_line, role_style
from ..shell import AppScreen, shell
from ..keymap import KEYS

ACTION_ROLE = {CREATE: "success", UPDATE: "warning", RESIGN: "warning", DELETE: "error", UNCHANGED: "muted",
               NOT_MANAGED: "muted"}
RESULT_MARK = {APPLIED: ("✔", "success"), ROLLED_BACK: ("↶", "error"), NOTHING_WRITTEN: ("✘", "error"),
               NOT_ATTEMPTED: ("–", "muted"), NO_CHANGE: ("", "muted")}


def confirm_word(plan: Plan) -> str | None:
    """What the operator types to apply: None when enter is enough (no enforcing TVM serves an item)."""
    enforcing = [i for i in plan.changes if i.enforcing]
    if not enforcing:
        return None
    return enforcing[0].name if len(enforcing) == 1 else plan.root


class PlanScreen(Screen, AppScreen):
    """A folder of policy files against the stored policies, and apply."""

    HELP_TITLE = "Plan"
    DEFAULT_CSS = """
    PlanScreen { layout: vertical; }
    PlanScreen #plan-title { padding: 0 1; text-style: bold; background: $panel; }
    PlanScreen #plan-summary { padding: 0 1; height: auto; }
    PlanScreen #plan-items { height: 1fr; min-height: 6; }
    PlanScreen #plan-detail-box { height: 1fr; border-top: solid $primary; padding: 0 1; }
    PlanScreen #plan-confirm { height: auto; padding: 0 1; display: none; }
    PlanScreen #plan-confirm-name { display: none; }
    """

    BINDINGS = KEYS["PlanScreen"]

    def __init__(self, ops: Ops, folder: str | Path, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ops = ops
        self.folder = str(folder)
        self.plan: Plan | None = None
        self.results: dict[str, ItemResult] = {}
        self.rows: list[PlanItem] = []  # the plan's items as shown: changes first
        self.phase = "planning"  # planning | ready | confirm | applying | done | failed
        self._cancel = threading.Event()

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Plan: {clean(self.folder)}"), id="plan-title")
        yield Static(id="plan-summary")
        yield DataTable(id="plan-items", cursor_type="row", zebra_stripes=False)
        with VerticalScroll(id="plan-confirm"):
            yield Static(id="plan-confirm-text")
            yield Input(id="plan-confirm-name", placeholder="type the name shown above to confirm")
        with VerticalScroll(id="plan-detail-box"):
            yield Static(id="plan-detail")
        yield Footer()

    @property
    def table(self) -> DataTable:
        return self.query_one("#plan-items", DataTable)

    def on_mount(self) -> None:
        table = self.table
        table.add_column("action", key="action", width=16)
        table.add_column("policy", key="name", width=24)
        table.add_column("what it changes", key="change", width=44)
        table.add_column("TVM", key="tvm", width=30)
        table.add_column("result", key="result", width=26)
        self.make()
        table.focus()

    def _say(self, text: Text | str, role: str | None = None) -> None:
        if isinstance(text, str):
            text = Text(clean(text), style=role_style(self.app.theme_variables, role) if role else Style())
        self.query_one("#plan-summary", Static).update(text)

    # -- planning ----------------------------------------------------------------------

    def make(self) -> None:
        self.phase = "planning"
        self.plan = None
        self.results = {}
        self.rows = []
        self.table.clear()
        self.query_one("#plan-detail", Static).update("")
        self._say(f"Planning {self.folder} against the stored policies…", "accent")
        self.run_worker(self._plan_work, thread=True, exclusive=True, group="plan", exit_on_error=False)

    def _plan_work(self) -> None:
        worker = get_current_worker()
        try:
            plan = make_plan(self.ops, self.folder)
        except PlanError as exc:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._failed, exc)
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show, plan)

    def _failed(self, exc: PlanError) -> None:
        self.phase = "failed"
        self._say(exc.what, "error")
        text = Text()
        for problem in exc.problems:
            text.append("✘ ", style=role_style(self.app.theme_variables, "error"))
            text.append(clean(problem) + "\n")
        if exc.fix:
            text.append("\nFix: ", style=Style(bold=True))
            text.append(clean(exc.fix))
        self.query_one("#plan-detail", Static).update(text)

    def _show(self, plan: Plan) -> None:
        if not self.is_attached:
            return
        self.plan = plan
        self.phase = "ready"
        table = self.table
        table.clear()
        self.rows = sorted(plan.items, key=lambda i: (not i.applies, i.action == NOT_MANAGED, i.name))
        for item in self.rows:
            table.add_row(*self._cells(item), key=item.name)
        self._summary()
        self._detail(self.selected_item)

    def _cells(self, item: PlanItem) -> list[Text]:
        roles = self.app.theme_variables
        change = item.change if item.applies else (
            f"stored pair {item.status}" if item.status not in (None, "valid") else "")
        tvm = Text(one_line(item.tvm_text(), 40),
                   style=role_style(roles, "error", bold=True) if item.enforcing else Style(dim=not item.tvms))
        result = self.results.get(item.name)
        if result is None:
            res = Text("")
        elif result.state == "running":
            res = Text("▶ applying…", style=role_style(roles, "accent"))
        else:
            mark, role = RESULT_MARK.get(result.state, ("✘", "error"))
            res = Text(f"{mark} {result.state}".strip(), style=role_style(roles, role, bold=role == "error"))
        return [Text(item.action, style=role_style(roles, ACTION_ROLE.get(item.action, "muted"),
                                                   bold=item.applies)),
                Text(clean(item.name)), Text(one_line(change, 60)), tvm, res]

    def _summary(self) -> None:
        plan = self.plan
        if plan is None:
            return
        c = plan.counts()
        text = Text()
        text.append(f"account {clean(plan.account)} · {clean(plan.region)} · root {clean(plan.root)}\n",
                    style=Style(dim=True))
        if plan.has_changes:
            text.append(f"{c[CREATE]} to create, {c[UPDATE]} to update, {c[RESIGN]} to re-sign, {c[DELETE]} to "
                        f"delete", style=Style(bold=True))
        else:
            text.append("No changes", style=role_style(self.app.theme_variables, "success", bold=True))
        text.append(f"; {c[UNCHANGED]} unchanged, {c[NOT_MANAGED]} not managed here · plan {plan.sha256[:16]}…")
        if plan.has_changes and self.phase == "ready":
            text.append("   A: apply", style=role_style(self.app.theme_variables, "accent", bold=True))
        for warning in plan.made.get("warnings", []):
            text.append(f"\n! {clean(warning)}", style=role_style(self.app.theme_variables, "warning"))
        self._say(text)

    @property
    def selected_item(self) -> PlanItem | None:
        if self.plan is None:
            return None
        row = self.table.cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._detail(self.selected_item)

    def _detail(self, item: PlanItem | None) -> None:
        box = self.query_one("#plan-detail", Static)
        if item is None:
            box.update("")
            return
        roles = self.app.theme_variables
        text = Text()
        text.append(f"{clean(item.name)}  ", style=Style(bold=True))
        text.append(item.action, style=role_style(roles, ACTION_ROLE.get(item.action, "muted"), bold=True))
        text.append(f"  {clean(item.path)}\n", style=Style(dim=True))
        facts = [f"stored version {item.stored_version if item.stored_version is not None else 'absent'}",
                 f"signature version {item.signature_version if item.signature_version is not None else 'absent'}"]
        if item.size is not None:
            facts.append(f"{item.size:,} / 4,096 bytes")
        if item.key_id and item.applies and item.action != DELETE:
            facts.append(f"signs with {item.key_id}")
        text.append(clean(" · ".join(facts)) + "\n")
        for t in item.tvms:
            text.append(f"served by {clean(t['name'])}: {clean(t['mode'])}\n",
                        style=role_style(roles, "error" if t["enforcing"] else "warning"))
        if item.tests:
            text.append(f"tests ({clean(item.tests_file)}): {clean(item.tests)}\n", style=role_style(roles, "success"))
        for note in item.notes:
            text.append(f"note: {clean(note)}\n", style=role_style(roles, "warning"))
        result = self.results.get(item.name)
        if result is not None and result.state not in ("running", NO_CHANGE):
            mark, role = RESULT_MARK.get(result.state, ("✘", "error"))
            text.append(f"{mark} {result.state}: {clean(result.detail)}\n", style=role_style(roles, role, bold=True))
            if result.ssm_state and result.state != APPLIED:
                text.append(f"SSM now holds: {clean(result.ssm_state)}\n")
            if result.fix and result.state != APPLIED:
                text.append(f"Fix: {clean(result.fix)}\n")
        if item.change:
            text.append(f"\n{item.change_kind}: {clean(item.change)}\n", style=Style(bold=True))
        if item.diff:
            text.append("\nBytes (what the signature covers):\n", style=Style(bold=True))
            self._diff_into(text, item.diff)
        if item.change_diff:
            text.append(f"\n{item.change_kind.capitalize()}:\n", style=Style(bold=True))
            self._diff_into(text, item.change_diff)
        box.update(text)

    def _diff_into(self, text: Text, diff: str) -> None:
        roles = self.app.theme_variables
        for line in diff.splitlines():
            style = Style()
            if line.startswith(("+++", "---")):
                style = Style(bold=True)
            elif line.startswith("+"):
                style = role_style(roles, "success")
            elif line.startswith("-"):
                style = role_style(roles, "error")
            elif line.startswith("@@"):
                style = role_style(roles, "accent")
            text.append(clean(line) + "\n", style=style)

    # -- apply -------------------------------------------------------------------------

    def action_apply(self) -> None:
        plan = self.plan
        if self.phase != "ready" or plan is None:
            return
        if not plan.has_changes:
            self.notify("Nothing to apply: the stored policies already match the folder.", timeout=4)
            return
        if self.ops.settings.read_only:
            self.notify("Read-only mode: applying is refused; nothing was written.", severity="warning", timeout=5)
            return
        self.phase = "confirm"
        roles = self.app.theme_variables
        word = confirm_word(plan)
        c = plan.counts()
        text = Text()
        text.append(f"Apply to account {clean(plan.account)}, {clean(plan.region)}, root {clean(plan.root)}: "
                    f"{c[CREATE]} create, {c[UPDATE]} update, {c[RESIGN]} re-sign, {c[DELETE]} delete. "
                    "Each is signed before writing, written under a lock, read back and verified; a failure "
                    "is rolled back and the rest is not attempted.\n", style=Style(bold=True))
        field = self.query_one("#plan-confirm-name", Input)
        if word is not None:
            served = ", ".join(sorted({t["name"] for i in plan.changes for t in i.tvms if t["enforcing"]}))
            text.append(f"An enforcing TVM ({clean(served)}) serves a policy in this plan: a mistake denies every "
                        f"request. Type {clean(word)} and press enter; esc cancels (nothing is written).",
                        style=role_style(roles, "warning", bold=True))
            field.display = True
            field.value = ""
        else:
            text.append("Press enter to apply, esc to cancel (nothing is written).", style=role_style(roles, "accent"))
            field.display = False
        self.query_one("#plan-confirm-text", Static).update(text)
        self.query_one("#plan-confirm").display = True
        if field.display:
            field.focus()
        else:
            self.table.focus()

    @on(Input.Submitted, "#plan-confirm-name")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        plan = self.plan
        if plan is None or self.phase != "confirm":
            return
        word = confirm_word(plan)
        if event.value.strip() != word:
            self.query_one("#plan-confirm-text", Static).update(Text(
                f"That is not {clean(word)}: nothing was written. Type it exactly, or esc to cancel.",
                style=role_style(self.app.theme_variables, "error", bold=True)))
            return
        self._run_apply()

    def on_key(self, event) -> None:
        if self.phase == "confirm" and event.key == "enter" and self.plan is not None \
                and confirm_word(self.plan) is None:
            event.stop()
            self._run_apply()

    def _hide_confirm(self) -> None:
        self.query_one("#plan-confirm").display = False
        self.query_one("#plan-confirm-name", Input).display = False
        self.table.focus()

    def _run_apply(self) -> None:
        plan = self.plan
        assert plan is not None
        self._hide_confirm()
        self.phase = "applying"
        self._cancel.clear()
        self._say(f"Applying {len(plan.changes)} change(s)… (esc stops between two items)", "accent")
        self.run_worker(self._apply_work, thread=True, exclusive=True, group="plan-apply", exit_on_error=False)

    def _apply_work(self) -> None:
        plan = self.plan
        assert plan is not None

        def progress(item: PlanItem, state: str, result: ItemResult | None) -> None:
            shown = result if result is not None else ItemResult(item.name, item.path, item.action, "running")
            self.app.call_from_thread(self._progress, shown)

        try:
            result = apply_plan(self.ops, plan, folder=self.folder, progress=progress,
                                cancelled=self._cancel.is_set)
        except PlanRefused as exc:
            self.app.call_from_thread(self._refused, exc)
            return
        except SentinelError as exc:
            self.app.call_from_thread(self._refused, exc)
            return
        self.app.call_from_thread(self._done, result)

    def _progress(self, result: ItemResult) -> None:
        if not self.is_attached or self.plan is None:
            return
        self.results[result.name] = result
        item = next((i for i in self.plan.items if i.name == result.name), None)
        if item is None:
            return
        cells = self._cells(item)
        for key, cell in zip(("action", "name", "change", "tvm", "result"), cells):
            self.table.update_cell(item.name, key, cell)
        if self.selected_item is not None and self.selected_item.name == item.name:
            self._detail(item)

    def _refused(self, exc: SentinelError) -> None:
        self.phase = "failed"
        self._say(f"Refused: {exc.what}", "error")
        text = Text()
        for problem in exc.problems if isinstance(exc, (PlanError, PlanRefused)) else []:
            text.append("✘ ", style=role_style(self.app.theme_variables, "error"))
            text.append(clean(problem) + "\n")
        if exc.fix:
            text.append(f"\nFix: {clean(exc.fix)}  (r plans again)")
        self.query_one("#plan-detail", Static).update(text)

    def _done(self, result: ApplyResult) -> None:
        self.phase = "done"
        for item in result.items:
            if item.state != NO_CHANGE:
                self._progress(item)
        role = "success" if result.ok else "error" if result.failed else "warning"
        self._say(Text(clean(result.summary()) + ".  r: plan again", style=role_style(
            self.app.theme_variables, role, bold=True)))
        shell(self).reload()

    # -- other keys --------------------------------------------------------------------

    def action_replan(self) -> None:
        if self.phase in ("applying", "confirm"):
            return
        self.make()

    def action_close(self) -> None:
        if self.phase == "confirm":
            self.phase = "ready"
            self._hide_confirm()
            self._summary()
            self.notify("Cancelled; nothing was written.", timeout=3)
            return
        if self.phase == "applying":
            self._cancel.set()
            self.notify("Stopping after the item in progress…", timeout=4)
            return
        self.workers.cancel_node(self)
        self.dismiss(None)
