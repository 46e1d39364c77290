"""The guided verify: a stored pair, or a local file with its envelope; through KMS or offline.

Through KMS is what the TVM does (KMS Verify); offline uses the key's cached public
key (RSA-PSS, SHA-256, any salt length). The result names the first check that
failed and its fix. Nothing is written, so nothing needs confirming.
"""

from __future__ import annotations

from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import ContentSwitcher, DirectoryTree, Static

from ....errors import SentinelError
from ....core.paths import policy_path
from ....ops.context import Ops
from ....ops.restore import verification_key
from ....ops.verify import VerifyReport, verify_file, verify_remote
from ...format import clean, role_style
from .base import FAIL, PASS, PENDING, RUNNING, SKIP, FlowScreen, PolicyFileTree
from .sign import envelope_path
from ...keymap import KEYS

__all__ = ["VerifyFlow"]

CHECK_STEPS = ["envelope parse", "hash", "signature", "key", "policy parse"]


class VerifyFlow(FlowScreen):
    FLOW_TITLE = "Verify a signature"
    HELP_TITLE = "Verify"
    STEPS = [
        ("input", "Inputs"),
        ("envelope parse", "Envelope parses (as Go parses it)"),
        ("hash", "policy_hash matches the exact bytes"),
        ("signature", "Signature verifies with the TVM's key"),
        ("key", "Made with the TVM's key"),
        ("policy parse", "The TVM parses the policy"),
    ]
    BINDINGS = KEYS["VerifyFlow"]

    def __init__(self, ops: Ops, name: str | None = None, *, file: str | Path | None = None,
                 signature: str | Path | None = None, via: str = "kms", id: str | None = None) -> None:
        super().__init__(ops, id=id)
        self.policy_name = name
        self.file = str(file) if file is not None else None
        self.signature = str(signature) if signature is not None else None
        self.via = via
        self.source = "file" if self.file else ("stored" if name else None)
        self.report: VerifyReport | None = None

    def compose_body(self) -> ComposeResult:
        with ContentSwitcher(id="flow-pages", initial="report"):
            with Vertical(id="pick"):
                yield Static(Text("Pick the policy file; its envelope is the file next to it ending in .sig."),
                             classes="page-title")
            with VerticalScroll(id="report"):
                yield Static(id="report-text")

    @property
    def switcher(self) -> ContentSwitcher:
        return self.query_one("#flow-pages", ContentSwitcher)

    def on_mount(self) -> None:
        super().on_mount()
        if self.source is None:
            self.action_pick_file()
        else:
            self.run_verify()

    def via_text(self) -> str:
        return "through KMS Verify (what the TVM does)" if self.via == "kms" else \
            "offline, with the cached public key"

    def name_for_file(self) -> str | None:
        base = self.local_dir()
        try:
            if base is not None and self.file:
                return str(Path(self.file).resolve().relative_to(base.resolve()).with_suffix(""))
        except ValueError:
            pass
        return self.policy_name

    # -- run -------------------------------------------------------------------------

    def run_verify(self) -> None:
        self.phase = "input"
        self.steps.reset()
        self.switcher.current = "report"
        via = self.via
        if self.source == "stored":
            name = self.policy_name
            self.step("input", RUNNING, f"the stored pair {name}, {self.via_text()}")

            def job(cancelled):
                return verify_remote(self.ops, name, via=via)
        else:
            file = self.file
            signature = self.signature or str(envelope_path(file))
            name = self.name_for_file()
            self.step("input", RUNNING, f"{file} with {signature}, {self.via_text()}")

            def job(cancelled):
                key = None
                if name:
                    try:
                        key = verification_key(self.ops, policy_path(name, self.ops.settings.policy_root))
                    except (SentinelError, ValueError):
                        key = None
                return verify_file(self.ops, file, signature, key or self.ops.settings.default_key, via=via)
        self.keys("k: KMS / offline · o: a local file · t: the stored pair · esc: close")
        self.query_one("#report-text", Static).update(Text("Verifying…"))
        self.background(job, self._reported, self._failed, group="flow-verify")

    def _reported(self, report: VerifyReport) -> None:
        self.report = report
        self.result = report
        self.step("input", PASS, f"{report.subject}; key {report.key_id}; {self.via_text()}")
        seen = set()
        for check in report.checks:
            key = check.name if check.name in CHECK_STEPS else "input"
            seen.add(key)
            state = PASS if check.ok else (FAIL if check.ok is False else SKIP)
            why = check.detail + (f"\nfix: {check.fix}" if check.ok is False and check.fix else "")
            self.step(key, state, why)
        for key in CHECK_STEPS:
            if key not in seen:
                if key == "key" and report.ok:
                    self.step("key", PASS, f"made with {report.key_id}")
                elif key == "policy parse" and not report.failed:
                    self.step(key, SKIP, "checked for a stored pair (what the TVM loads), not for a local file")
                else:
                    self.step(key, SKIP, "not run: an earlier check failed" if report.failed else "not needed")
        roles = self.app.theme_variables
        text = Text()
        failed = report.failed
        if report.ok:
            text.append("✔ Signature valid\n", style=role_style(roles, "success", bold=True))
            text.append(f"{clean(report.subject)} verifies with {clean(report.key_id)}, {self.via_text()}.\n")
            self.outcome(Text(f"✔ Signature valid: {clean(report.subject)}"), "success")
        else:
            title = "policy content does not match signature" if failed and failed.name == "hash" else \
                f"the {failed.name} check failed" if failed else "not verified"
            text.append(f"✘ Signature invalid: {title}\n", style=role_style(roles, "error", bold=True))
            if failed is not None:
                text.append(clean(failed.detail) + "\n")
                if failed.fix:
                    text.append("\nWhat to do: ", style=Style(bold=True))
                    text.append(clean(failed.fix) + "\n")
            self.outcome(Text(f"✘ {clean(report.subject)}: {title}"), "error")
        env = report.envelope
        if env is not None:
            text.append(f"\nenvelope key_id  {clean(env.key_id)}\nsigned_at        {clean(env.signed_at_text)}\n"
                        f"policy_hash      {env.policy_hash or '(none)'}\n", style=Style(dim=True))
        self.query_one("#report-text", Static).update(text)
        self.phase = "done"

    def _failed(self, error: BaseException) -> None:
        self.phase = "done"
        for key in CHECK_STEPS:
            if self.steps.state(key) == PENDING:
                self.step(key, SKIP, "not run")
        self.query_one("#report-text", Static).update(Text("Could not verify."))
        self.show_failure(error, step="input", title="Could not verify")

    # -- actions ---------------------------------------------------------------------

    def action_toggle_via(self) -> None:
        self.via = "local" if self.via == "kms" else "kms"
        if self.source is not None:
            self.run_verify()

    def action_pick_file(self) -> None:
        self.workers.cancel_group(self, "flow-verify")
        self.switcher.current = "pick"
        self.step("input", RUNNING, "pick a policy file (its envelope: the same path + .sig)")
        self.keys("enter on a file: verify it · esc: close")
        self.show_tree("pick", "verify-tree")

    def action_stored(self) -> None:
        name = self.policy_name or self.name_for_file()
        if not name:
            self.notify("No stored policy to verify: open the flow from a policy's row.", timeout=4)
            return
        self.policy_name = name
        self.source = "stored"
        self.run_verify()

    @on(DirectoryTree.FileSelected, "#verify-tree")
    def _picked(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.file = str(event.path)
        self.signature = None
        self.source = "file"
        self.drop_tree("verify-tree")
        self.run_verify()
