"""The guided restore: pick an earlier version whose signature still verifies; make it current again.

Candidates are found by hash in the histories of the policy and of its signature
(ops.restore). The write goes through push's safe path: the same review, the same
confirmation (typed name for an enforcing TVM), the same automatic put-back.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ContentSwitcher, OptionList, Static
from textual.widgets.option_list import Option

from ....ops.context import Ops
from ....ops.push import PushPlan
from ....ops.restore import Candidate, RestoreResult, plan_restore, restore, restore_candidates
from ...format import clean
from .base import FAIL, PASS, RUNNING, FlowScreen
from .push import EXEC_STEPS, WriteFlow

from ....ops.diffs import DiffRequest

__all__ = ["RestoreFlow"]


class RestoreFlow(WriteFlow):
    FLOW_TITLE = "Restore an earlier version"
    HELP_TITLE = "Restore"
    VERB = "Restore"
    STEPS = [
        ("history", "Find earlier versions whose signature verifies"),
        ("pick", "Pick a version"),
        ("diff", "Diff: the stored policy → that version"),
        ("confirm", "Confirm"),
    ] + EXEC_STEPS

    def __init__(self, ops: Ops, name: str, *, id: str | None = None) -> None:
        super().__init__(ops, id=id)
        self.policy_name = name
        self.candidates: list[Candidate] = []
        self.candidate: Candidate | None = None

    def title_text(self) -> str:
        return f"Restore an earlier version of {clean(self.policy_name)}"

    def compose_body(self) -> ComposeResult:
        with ContentSwitcher(id="flow-pages", initial="pick"):
            with Vertical(id="pick"):
                yield Static(Text("Earlier versions whose signature still verifies with the TVM's key. "
                                  "enter picks one."), classes="page-title")
                yield OptionList(id="restore-versions")
                yield Static(id="restore-note")
            yield from self.compose_write_pages()

    def on_mount(self) -> None:
        super().on_mount()
        self.step("history", RUNNING, "reading the histories of the policy and its signature…")
        name = self.policy_name
        self.background(lambda cancelled: restore_candidates(self.ops, name), self._found, self._find_failed,
                        group="flow-plan")

    def _found(self, candidates: list[Candidate]) -> None:
        self.candidates = candidates
        listing = self.query_one("#restore-versions", OptionList)
        listing.clear_options()
        if not candidates:
            self.step("history", FAIL, "no earlier version has a signature that verifies with the TVM's key")
            self.phase = "done"
            self.outcome(Text("Nothing to restore: no earlier version of this policy has a signature in the "
                              "history that verifies with the TVM's key. Push a reviewed file instead (P)."),
                         "error")
            self.keys("esc: close")
            return
        key = candidates[0].verified_with
        self.step("history", PASS, f"{len(candidates)} version(s) verify with {key}")
        for c in candidates:
            notes = []
            if c.same_as_current:
                notes.append("same bytes as now: only the signature changes")
            if c.problem:
                notes.append(f"cannot restore: {c.problem}")
            label = c.label + (f"  [{'; '.join(notes)}]" if notes else "")
            listing.add_option(Option(Text(clean(label)), id=str(c.version), disabled=bool(c.problem)))
        self.step("pick", RUNNING, "enter: pick the highlighted version")
        self.keys("enter: pick · esc: cancel (nothing is written)")
        listing.highlighted = 0
        listing.focus()

    def _find_failed(self, error: BaseException) -> None:
        self.phase = "done"
        self.show_failure(error, step="history", title="Cannot list the versions")
        self.keys("esc: close")

    @on(OptionList.OptionSelected, "#restore-versions")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        chosen = next((c for c in self.candidates if str(c.version) == event.option.id), None)
        if chosen is None or self.phase != "input":
            return
        self.candidate = chosen
        self.step("pick", PASS, f"version {chosen.version} (signature version {chosen.signature_version})")
        self.step("diff", RUNNING, "reading the stored policy…")
        name = self.policy_name
        self.background(lambda cancelled: plan_restore(self.ops, name, chosen), self._planned,
                        self._plan_failed, group="flow-plan")

    def _planned(self, planned: tuple[PushPlan, bool]) -> None:
        plan, _reuse = planned
        self.review(plan)

    def _plan_failed(self, error: BaseException) -> None:
        self.phase = "done"
        self.show_failure(error, step="diff", title="Cannot restore that version; nothing was written")
        self.keys("esc: close")

    def diff_labels(self, plan: PushPlan) -> tuple[str, str]:
        old = f"{plan.path} (version {plan.current.version}, stored now)" if plan.current else plan.path
        return old, f"{plan.path} (version {self.candidate.version})" if self.candidate else plan.source

    def diff_request(self, plan: PushPlan):
        old_label, new_label = self.diff_labels(plan)
        return DiffRequest(old=plan.current.data if plan.current else None, new=plan.data,
                           old_label=old_label, new_label=new_label,
                           envelope=plan.current_signature.value if plan.current_signature else None,
                           kind="versions", name=plan.name, path=plan.path, key_id=plan.key_id)

    def execute(self, plan: PushPlan, progress, cancelled) -> RestoreResult:
        return restore(self.ops, self.policy_name, self.candidate, progress, cancelled, plan=plan)

    def _result_of(self, result: RestoreResult):
        return result.push

    def done_title(self) -> str:
        if self.plan is None or self.candidate is None:
            return "Restored"
        return f"Restored {self.plan.path} to the bytes of version {self.candidate.version}"
