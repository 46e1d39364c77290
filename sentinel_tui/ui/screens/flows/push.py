"""The guided push, and what it shares with restore: review the diff, confirm, write, see the result.

Push: 1. pick the file and the target, see validation; 2. the diff against the
stored policy; 3. confirm (target, create or update, the stored version it
replaces, size, key, the TVMs that serve it and their enforcement; for an
enforcing TVM the operator types the policy name); 4. sign, write, read back,
verify as the TVM would (ops.push.execute_push); 5. the result with the new
versions; 6. on failure, what SSM holds now (the previous pair was put back).
"""

from __future__ import annotations

from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import ContentSwitcher, DirectoryTree, Input, Static

from ....core.paths import policy_path
from ....ops.context import Ops
from ....ops.push import PushError, PushPlan, PushResult, execute_push, plan_push
from ....ops.sign import InvalidPolicy
from ...format import clean, role_style
from ...shell import shell
from .base import FAIL, PASS, PENDING, RUNNING, SKIP, FlowScreen, PolicyFileTree, error_text
from ...keymap import KEYS

from ....ops.diffs import DiffRequest
from ...widgets.diff_view import DiffView

__all__ = ["PushFlow", "WriteFlow", "CACHE_NOTE"]


NARROW_DIFF = 120  # below this width a diff in a flow starts unified

CACHE_NOTE = ("TVMs cache a loaded policy for up to 30 seconds: they may serve the previous policy "
              "until then.")

EXEC_STEPS = [
    ("sign", "Sign (before anything is written)"),
    ("check remote version", "Lock; check the stored versions did not move"),
    ("write policy", "Write the policy"),
    ("write signature", "Write the signature"),
    ("read back and verify", "Read back; verify as the TVM would"),
]
_STATE = {"start": RUNNING, "ok": PASS, "fail": FAIL, "skip": SKIP}


def confirm_text(plan: PushPlan, roles, *, verb: str = "Push", where: str | None = None) -> Text:
    """Everything the operator confirms: target, create/update, version replaced, size, key, TVMs.
    `where`: with several contexts, the account, context and region written to, in words."""
    bold = Style(bold=True)
    text = Text()
    text.append(f"{verb} {clean(plan.source)}\n", style=bold)
    if where:
        text.append(f"{'into':<11}", style=Style(dim=True))
        text.append(clean(where) + "\n", style=role_style(roles, "accent", bold=True))
    rows = [
        ("target", plan.path),
        ("action", ("create: no policy is stored there yet"
                    + (f"; the signature left there (version {plan.current_signature.version}, an orphan) is "
                       "replaced" + ("" if plan.sign or plan.envelope_text else " only if this push signs")
                       if plan.current_signature is not None else "")) if plan.creates else
         f"update: replaces stored version {plan.current.version}"
         + (f" (signature version {plan.current_signature.version})" if plan.current_signature else
            " (unsigned now)")),
        ("size", f"{len(plan.data):,} bytes (limit 4,096)"),
        ("key", plan._signature_text()),
        ("signature", plan.signature_path),
    ]
    for label, value in rows:
        text.append(f"{label:<11}", style=Style(dim=True))
        text.append(clean(value) + "\n")
    if plan.tvms:
        for tvm in plan.tvms:
            text.append(f"{'served by':<11}", style=Style(dim=True))
            role = "error" if tvm.verifies and tvm.enforcing else "warning"
            text.append(clean(tvm.source) + ": ")
            text.append(tvm.describe_mode(), style=role_style(roles, role, bold=True))
            text.append((f" with {clean(tvm.signing_key)}" if tvm.signing_key else "") + "\n")
            if tvm.enforcement_note:
                text.append(f"{'':<11}{clean(tvm.enforcement_note)}\n", style=role_style(roles, "warning"))
    else:
        text.append(f"{'served by':<11}", style=Style(dim=True))
        text.append("no TVM found for this parameter\n")
    if plan.unchanged:
        text.append("\nThe stored policy already holds these exact bytes: only the signature would be "
                    "written again.\n", style=role_style(roles, "warning"))
    return text


def access_text(access, roles, *, limit: int = 4) -> Text:
    """The access change of a write, for the confirmation: which requests change decision."""
    text = Text()
    label = f"{'access':<11}"
    if access is None:
        text.append(label, style=Style(dim=True))
        text.append("comparing which requests change decision…\n", style=Style(italic=True))
        return text
    diff, note = access
    text.append(label, style=Style(dim=True))
    if diff is None:
        text.append(clean(note) + "\n", style=role_style(roles, "warning"))
        return text
    if diff.identical:
        text.append("identical: no request changes decision\n", style=role_style(roles, "success", bold=True))
    else:
        n = len(diff.changes)
        text.append(f"{n} change{'s' if n != 1 else ''}: these requests change decision\n",
                    style=role_style(roles, "warning", bold=True))
        for change in diff.changes[:limit]:
            text.append(f"{'':<11}" + clean(change.summary) + "\n")
        if n > limit:
            text.append(f"{'':<11}… and {n - limit} more (the diff view's m, or policy access-diff, lists all)\n",
                        style=Style(italic=True))
    if diff.rule_changes:
        k = len(diff.rule_changes)
        text.append(f"{'':<11}{k} change{'s' if k != 1 else ''} of deciding rule with the same decision\n",
                    style=Style(dim=True))
    if note:
        text.append(f"{'':<11}{clean(note)}\n", style=Style(dim=True))
    return text


class WriteFlow(FlowScreen):
    """Review a plan's diff, confirm it (typed name for an enforcing TVM), execute it, show the result.

    Subclasses make `self.plan` and call `self.review(plan)`; they implement `execute`.
    """

    BINDINGS = KEYS["WriteFlow"]

    def __init__(self, ops: Ops, *, id: str | None = None) -> None:
        super().__init__(ops, id=id)
        self.plan: PushPlan | None = None

    def compose_write_pages(self) -> ComposeResult:
        with Vertical(id="review"):
            yield Static(id="review-title", classes="page-title")
            # side by side leaves ~15 columns a side at 80 (t toggles)
            yield DiffView(id="review-diff", layout="split" if self.app.size.width >= NARROW_DIFF else "unified")
        with VerticalScroll(id="confirm"):
            yield Static(id="confirm-text")
            yield Static(id="confirm-access")
            yield Static(id="confirm-ask", classes="ask")
            yield Input(id="confirm-name", placeholder="type the policy name to confirm")
            yield Static(id="confirm-error", classes="field-error")
        with VerticalScroll(id="result"):
            yield Static(id="result-text")

    # -- review --------------------------------------------------------------------

    @property
    def switcher(self) -> ContentSwitcher:
        return self.query_one("#flow-pages", ContentSwitcher)

    def diff_labels(self, plan: PushPlan) -> tuple[str, str]:
        old = f"{plan.path} (version {plan.current.version})" if plan.current else f"{plan.path} (absent)"
        return old, plan.source

    def diff_request(self, plan: PushPlan):
        old_label, new_label = self.diff_labels(plan)
        return DiffRequest(old=plan.current.data if plan.current else None, new=plan.data,
                           old_label=old_label, new_label=new_label,
                           envelope=plan.current_signature.value if plan.current_signature else None,
                           kind="local", name=plan.name, path=plan.path, key_id=plan.key_id)

    def review(self, plan: PushPlan) -> None:
        self.plan = plan
        self.phase = "input"
        self._start_access(plan)
        old_label, new_label = self.diff_labels(plan)
        changes = "no change in bytes" if plan.unchanged else f"+{plan.diff.added} -{plan.diff.removed} lines"
        self.step("diff", PASS, changes)
        self.query_one("#review-title", Static).update(
            Text(f"{clean(old_label)}  →  {clean(new_label)}   ({changes})"))
        self.query_one("#review-diff", DiffView).set_request(self.diff_request(plan))
        self.switcher.current = "review"
        self.step("confirm", RUNNING, "enter: review the confirmation")
        self.keys("enter: continue to the confirmation · n/p: hunks · esc: cancel (nothing is written)")
        self.query_one("#review-diff", DiffView).body.focus()

    # -- confirm -------------------------------------------------------------------

    @property
    def needs_typed_name(self) -> bool:
        return self.plan is not None and bool(self.plan.enforcing_tvms)

    def show_confirm(self) -> None:
        plan = self.plan
        assert plan is not None
        roles = self.app.theme_variables
        self.query_one("#confirm-text", Static).update(
            confirm_text(plan, roles, verb=self.VERB, where=shell(self).target_words(self.ops)))
        self._show_access()
        ask = self.query_one("#confirm-ask", Static)
        field = self.query_one("#confirm-name", Input)
        if self.needs_typed_name:
            names = ", ".join(t.source for t in plan.enforcing_tvms)
            ask.update(Text(f"An enforcing TVM ({clean(names)}) serves this policy: if this {self.VERB.lower()} "
                            f"is wrong it denies every request. Type the policy name, {clean(plan.name)}, "
                            "and press enter.", style=role_style(roles, "warning", bold=True)))
            field.display = True
            field.value = ""
        else:
            ask.update(Text(f"Press enter to {self.VERB.lower()}, esc to cancel (nothing is written).",
                            style=Style(bold=True)))
            field.display = False
        self.query_one("#confirm-error", Static).update("")
        self.step("confirm", RUNNING, f"type {plan.name} and press enter" if self.needs_typed_name
                  else "enter confirms")
        self.switcher.current = "confirm"
        self.keys(("type the name, then enter: " if self.needs_typed_name else "enter: ") + self.VERB.lower()
                  + " · esc: cancel (nothing is written)")
        if field.display:
            field.focus()
        else:
            self.query_one("#confirm", VerticalScroll).focus()

    # -- access: which requests change decision (computed while the diff is reviewed) ------

    access: tuple | None = None

    def _start_access(self, plan: PushPlan) -> None:
        from ....ops.access import access_for_write

        self.access = None
        old, new = (plan.current.data if plan.current else None), plan.data
        self.background(lambda cancelled: access_for_write(old, new), self._access_ready,
                        self._access_failed, group="flow-access")

    def _access_ready(self, result) -> None:
        self.access = result
        self._show_access()

    def _access_failed(self, error: BaseException) -> None:
        self.access = (None, f"the access could not be compared: {error}")
        self._show_access()

    def _show_access(self) -> None:
        try:
            widget = self.query_one("#confirm-access", Static)
        except Exception:
            return
        widget.update(access_text(self.access, self.app.theme_variables))

    @on(Input.Submitted, "#confirm-name")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        self.confirm_and_run(event.value)

    def confirm_and_run(self, typed: str | None = None) -> None:
        plan = self.plan
        assert plan is not None
        if self.needs_typed_name and (typed or "").strip() != plan.name:
            self.query_one("#confirm-error", Static).update(
                Text(f"That is not {clean(plan.name)}: nothing was written. Type the name exactly.",
                     style=role_style(self.app.theme_variables, "error")))
            return
        self.step("confirm", PASS, "typed the policy name" if self.needs_typed_name else "confirmed")
        self.run_write()

    def action_proceed(self) -> None:
        if self.phase != "input" or self.plan is None:
            if self.phase == "done":
                self.close_flow()
            return
        current = self.switcher.current
        if current == "review":
            self.show_confirm()
        elif current == "confirm" and not self.needs_typed_name:
            self.confirm_and_run()

    # -- execute -------------------------------------------------------------------

    VERB = "Push"

    def execute(self, plan: PushPlan, progress, cancelled):
        return execute_push(self.ops, plan, progress=progress, cancelled=cancelled)

    def run_write(self) -> None:
        plan = self.plan
        assert plan is not None
        self.phase = "running"
        self.switcher.current = "result"
        self.query_one("#result-text", Static).update(Text(f"{self.VERB}ing {clean(plan.path)}…"))
        self.keys("esc: cancel before the first write (nothing is written)")

        def progress(step: str, state: str) -> None:
            self._ui(self._progress, step, state)

        self.background(lambda cancelled: self.execute(plan, progress, cancelled), self._done, self._failed,
                        group="flow-write", writes=True)

    def _progress(self, step: str, state: str) -> None:
        if step == "write policy" and state == "start":
            self.started_writing()
        why = self._step_why(step, state)
        try:
            self.step(step, _STATE.get(state, PENDING), why)
        except KeyError:
            pass

    def _step_why(self, step: str, state: str) -> str | None:
        plan = self.plan
        if plan is None:
            return None
        whys = {
            ("sign", "start"): f"KMS Sign with {plan.key_id}",
            ("sign", "ok"): f"signed with {plan.key_id}; nothing written yet",
            ("sign", "skip"): (f"reuses {plan.envelope_source or 'the stored signature'} (it verifies with "
                               f"{plan.key_id})" if plan.envelope_text else "not signed"),
            ("check remote version", "ok"): "locked; versions as shown in the diff",
            ("write policy", "start"): f"PutParameter {plan.path}",
            ("write signature", "start"): f"PutParameter {plan.signature_path}",
            ("read back and verify", "ok"): "the stored pair verifies as the TVM checks it",
        }
        return whys.get((step, state))

    def _result_of(self, result) -> PushResult:
        return result

    def _done(self, result) -> None:
        self.phase = "done"
        self.result = result
        push = self._result_of(result)
        plan = push.plan
        roles = self.app.theme_variables
        text = Text()
        text.append(f"✔ {self.done_title()}\n", style=role_style(roles, "success", bold=True))
        text.append(f"policy     version {push.policy_version}"
                    + (f" (was {plan.current.version})" if plan.current else " (new)") + "\n")
        if push.signature_version is not None:
            text.append(f"signature  version {push.signature_version}"
                        + (f" (was {plan.current_signature.version})" if plan.current_signature else " (new)")
                        + "\n")
        if push.status is not None:
            text.append(f"status     {push.status}; the TVM: {clean(push.tvm_text)}\n")
        notes = list(push.notes)
        if not any("30 seconds" in n for n in notes):
            notes.append(CACHE_NOTE)
        for note in notes:
            text.append("\nNote: ", style=Style(bold=True))
            text.append(clean(note))
        self.query_one("#result-text", Static).update(text)
        self.outcome(Text(f"✔ {self.done_title()}: policy version {push.policy_version}, signature version "
                          f"{push.signature_version}"), "success")
        self.keys("enter or esc: close")
        self.refresh_app_entry(plan.name)
        self.after_done(result)

    def after_done(self, result) -> None:
        pass

    def done_title(self) -> str:
        return f"Pushed {self.plan.path}" if self.plan else "Pushed"

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, PushError) and error.kind == "cancelled" and not error.written:
            for key, _ in EXEC_STEPS:
                if self.steps.state(key) in (PENDING, RUNNING):
                    self.step(key, SKIP, "cancelled")
            self.phase = "done"
            self.confirm_cancelled()
            return
        self.phase = "done"
        what, fix, ssm_state = error_text(error)
        for key, _ in EXEC_STEPS:
            state = self.steps.state(key)
            if state in (RUNNING, FAIL):
                self.step(key, FAIL, what)
            elif state == PENDING:
                self.step(key, SKIP, "not run")
        written = isinstance(error, PushError) and error.written
        if not ssm_state and self.plan is not None and not written:
            ssm_state = "unchanged: nothing was written"
        roles = self.app.theme_variables
        text = Text()
        text.append(f"✘ {self.VERB} failed\n", style=role_style(roles, "error", bold=True))
        text.append(clean(what) + "\n")
        if fix:
            text.append("\nWhat to do: ", style=Style(bold=True))
            text.append(clean(fix) + "\n")
        if ssm_state:
            text.append("\nSSM now holds: ", style=Style(bold=True))
            text.append(clean(ssm_state) + "\n")
        if written:
            restored = isinstance(error, PushError) and error.restored
            text.append("\nThe previous policy and signature were put back automatically.\n" if restored else
                        "\nPutting the previous pair back FAILED: repair it now (restore an earlier version).\n",
                        style=role_style(roles, "warning" if restored else "error", bold=True))
        self.query_one("#result-text", Static).update(text)
        self.show_failure(error, title=f"{self.VERB} failed")
        self.keys("enter or esc: close")
        if self.plan is not None and written:
            self.refresh_app_entry(self.plan.name)


class PushFlow(WriteFlow):
    """Push a local file: pick it and the target, validate, diff, confirm, write, result."""

    FLOW_TITLE = "Push a policy"
    HELP_TITLE = "Push"
    STEPS = [("file", "Pick the file and the target"), ("validate", "Validate, lint and size"),
             ("diff", "Diff against the stored policy"), ("confirm", "Confirm")] + EXEC_STEPS

    def __init__(self, ops: Ops, name: str | None = None, file: str | Path | None = None, *,
                 key_id: str | None = None, id: str | None = None) -> None:
        super().__init__(ops, id=id)
        self.policy_name = name
        self.file = str(file) if file is not None else None
        self.key_id = key_id

    def title_text(self) -> str:
        return "Push a policy" + (f": {clean(self.policy_name)}" if self.policy_name else "")

    def compose_body(self) -> ComposeResult:
        with ContentSwitcher(id="flow-pages", initial="pick"):
            with Vertical(id="pick"):
                yield Static(Text("Type the file's path (enter) or pick it in the tree, then check the target "
                                  "policy name and press enter."), classes="page-title")
                yield Input(id="push-file", placeholder="path of the policy file (relative to the local folder), "
                            "or pick it below", select_on_focus=False)
                yield Input(id="push-target", placeholder="target policy name, e.g. production or team/dev")
            yield from self.compose_write_pages()

    def on_mount(self) -> None:
        super().on_mount()
        if self.file and self.policy_name:
            self.step("file", PASS, f"{self.file} → {self.policy_name}")
            self.plan_it()
        else:
            if self.file:
                self.query_one("#push-file", Input).value = self.file
                self.query_one("#push-target", Input).value = self.name_for(self.file)
            elif self.policy_name:
                self.query_one("#push-target", Input).value = self.policy_name
            self.step("file", RUNNING, "type a path or pick a file in " + str(self.local_dir() or Path.cwd()))
            self.keys("type a path + enter, or enter on a file in the tree · tab: the next field · esc: cancel")
            self.show_tree("pick", "push-tree")

    def name_for(self, file: str) -> str:
        base = self.local_dir()
        path = Path(file)
        try:
            if base is not None:
                return str(path.resolve().relative_to(base.resolve()).with_suffix(""))
        except ValueError:
            pass
        return path.stem

    def on_key(self, event) -> None:
        """Typing while the tree has focus types the path (the tree has no use for letters)."""
        field = self.query("#push-file")
        if (event.is_printable and event.character and isinstance(self.focused, DirectoryTree) and field
                and field.first().display):
            event.stop()
            field = field.first(Input)
            self.set_focus(field)
            field.insert_text_at_cursor(event.character)

    @on(Input.Submitted, "#push-file")
    def _path_typed(self, event: Input.Submitted) -> None:
        """A typed path, as the diff's file picker takes one."""
        event.stop()
        raw = event.value.strip()
        if not raw:
            return
        path = Path(raw).expanduser()
        if not path.is_absolute():
            path = (self.local_dir() or Path.cwd()) / path
        if not path.is_file():
            self.step("file", RUNNING, f"{path} {'is not a file' if path.exists() else 'does not exist'}: "
                      "type another path or pick one in the tree")
            return
        self._use_file(str(path))

    @on(DirectoryTree.FileSelected, "#push-tree")
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self._use_file(str(event.path))

    def _use_file(self, file: str) -> None:
        self.file = file
        self.query_one("#push-file", Input).value = file
        target = self.query_one("#push-target", Input)
        if not target.value.strip() or not self.policy_name:
            target.value = self.name_for(self.file)
        self.step("file", RUNNING, f"{self.file} → {target.value}: enter on the name to go on")
        target.focus()

    @on(Input.Submitted, "#push-target")
    def _target_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = event.value.strip()
        if not self.file:
            self.step("file", RUNNING, "pick a file first (enter on a file in the tree)")
            self.show_tree("pick", "push-tree")
            return
        if not name:
            self.step("file", RUNNING, "type the target policy name")
            return
        try:
            policy_path(name, self.ops.settings.policy_root)
        except ValueError as exc:
            self.step("file", RUNNING, f"not a policy name: {exc}")
            return
        self.policy_name = name
        self.query_one("#flow-title", Static).update(Text(self.title_text()))
        self.step("file", PASS, f"{self.file} → {name}")
        self.drop_tree("push-tree")
        self.plan_it()

    def plan_it(self) -> None:
        self.step("validate", RUNNING, "reading the file and the stored policy…")
        name, file, key = self.policy_name, self.file, self.key_id
        ops = self.ops
        # plan_push stores FILE.sig as is when the sign flow just made it for these bytes and key
        self.background(lambda cancelled: plan_push(ops, name, file, sign=True, key_id=key),
                        self._planned, self._plan_failed, group="flow-plan")

    def _planned(self, plan: PushPlan) -> None:
        warnings = plan.check.warnings
        why = f"valid; {len(plan.data):,} of 4,096 bytes"
        tests = plan.tests  # NAME.tests.yaml beside the file (issue 14)
        if tests is not None:
            why += f"; tests: {tests.summary()}"
        if warnings:
            why += f"; {len(warnings)} lint warning{'s' if len(warnings) != 1 else ''}:\n" + "\n".join(
                f"line {w.line or '-'}: {w.message}" for w in warnings)
        self.step("validate", PASS, why)
        self.review(plan)

    def _plan_failed(self, error: BaseException) -> None:
        self.phase = "done"
        if isinstance(error, InvalidPolicy):
            self.step("validate", FAIL, str(error.check.error))
            self.show_failure(error, title="The policy is not valid; nothing was written")
        else:
            self.show_failure(error, step="validate", title="Cannot push; nothing was written")
        self.keys("esc: close")
