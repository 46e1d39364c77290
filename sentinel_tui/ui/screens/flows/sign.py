"""The guided sign: pick a local file, see validation, lint and size, pick a key, sign, save, verify.

The envelope is saved next to the file as `<file>.sig` (indented, mode 0600, as
`sentinel policy sign -o` writes it) and verified at once with the same key.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import ContentSwitcher, DirectoryTree, OptionList, Static
from textual.widgets.option_list import Option

from ....errors import SentinelError
from ....core.policy import MAX_POLICY_BYTES, PolicyCheck, check_policy
from ....fileio import FileError, read_policy_file
from ....ops.context import Ops
from ....ops.sign import KeyOption, SignResult, key_options, sign_file
from ...format import clean, role_style
from .base import FAIL, PASS, RUNNING, SKIP, FlowScreen, PolicyFileTree, error_text
from ...keymap import KEYS

__all__ = ["SignFlow", "envelope_path"]


def envelope_path(file: str | Path) -> Path:
    return Path(f"{file}.sig")


class SignFlow(FlowScreen):
    FLOW_TITLE = "Sign a policy file"
    HELP_TITLE = "Sign"
    STEPS = [
        ("file", "Pick a local file"),
        ("validate", "Validate (as the Go tool does)"),
        ("lint", "Lint"),
        ("size", "Size: KMS signs at most 4,096 bytes"),
        ("key", "Pick a key; check it"),
        ("sign", "Sign with KMS"),
        ("save", "Save the envelope next to the file (0600)"),
        ("verify", "Verify at once"),
    ]
    BINDINGS = KEYS["SignFlow"]

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "push_signed":
            return self.phase == "done" and isinstance(self.result, SignResult) and self.result.verified
        return True

    def action_push_signed(self) -> None:
        """The sign result's P: close this flow and push the file just signed."""
        file = self.file
        app = self.app
        self.close_flow()
        from .push import PushFlow

        app.push_screen(PushFlow(self.ops, None, file))

    def __init__(self, ops: Ops, file: str | Path | None = None, *, id: str | None = None) -> None:
        super().__init__(ops, id=id)
        self.file = str(file) if file is not None else None
        self.options: list[KeyOption] = []
        self.check: PolicyCheck | None = None

    def compose_body(self) -> ComposeResult:
        with ContentSwitcher(id="flow-pages", initial="pick"):
            with Vertical(id="pick"):
                yield Static(Text("Pick the policy file to sign (enter on a file)."), classes="page-title")
            with VerticalScroll(id="keys"):
                yield Static(Text("Pick the key to sign with (enter). Its checks are shown below."),
                             classes="page-title")
                yield OptionList(id="sign-keys")
                yield Static(id="key-checks")
            with VerticalScroll(id="result"):
                yield Static(id="result-text")

    @property
    def switcher(self) -> ContentSwitcher:
        return self.query_one("#flow-pages", ContentSwitcher)

    def on_mount(self) -> None:
        super().on_mount()
        if self.file:
            self.analyse(self.file)
        else:
            self.step("file", RUNNING, f"pick a file in {self.local_dir() or Path.cwd()}")
            self.keys("enter on a file: choose it · esc: cancel")
            self.show_tree("pick", "sign-tree")

    @on(DirectoryTree.FileSelected, "#sign-tree")
    def _picked(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.analyse(str(event.path))

    def policy_name(self) -> str | None:
        base = self.local_dir()
        if not self.file:
            return None
        try:
            if base is not None:
                return str(Path(self.file).resolve().relative_to(base.resolve()).with_suffix(""))
        except ValueError:
            pass
        return Path(self.file).stem

    # -- 1 and 2: the file, validation, lint, size (local: no AWS call) ---------------

    def analyse(self, file: str) -> None:
        self.file = file
        self.drop_tree("sign-tree")
        self.step("file", PASS, file)
        try:
            data = read_policy_file(file)
        except SentinelError as exc:
            self.phase = "done"
            self.show_failure(exc, step="validate", title="Cannot read the file")
            return
        check = self.check = check_policy(data)
        if check.error is not None:
            self.step("validate", FAIL, str(check.error))
            self.step("lint", SKIP, "not run on an invalid policy")
            self.phase = "done"
            self.show_failure(SentinelError(f"{file} is not a valid policy: {check.error}",
                                            "Fix the policy, then sign it.", kind="validation"),
                              title="Not signed")
            self.keys("esc: close")
            return
        self.step("validate", PASS, "valid")
        if check.warnings:
            self.step("lint", PASS, f"{len(check.warnings)} warning(s):\n" + "\n".join(
                f"line {w.line or '-'}: {w.message}" for w in check.warnings))
        else:
            self.step("lint", PASS, "no warnings")
        if len(data) > MAX_POLICY_BYTES:
            self.step("size", FAIL, f"{len(data):,} bytes: over KMS's 4,096-byte RAW limit")
            self.phase = "done"
            self.show_failure(SentinelError(
                f"The policy is {len(data):,} bytes; KMS signs at most 4,096 bytes in RAW mode.",
                "Shorten the policy (comments count too), or split it across profiles.", kind="too-large"),
                title="Not signed")
            self.keys("esc: close")
            return
        self.step("size", PASS, f"{len(data):,} of 4,096 bytes")
        self.step("key", RUNNING, "reading the keys…")
        self.switcher.current = "keys"
        name = self.policy_name()
        self.background(lambda cancelled: key_options(self.ops, name), self._keys_ready, group="flow-keys")

    # -- 3: the key ----------------------------------------------------------------

    def _keys_ready(self, options: list[KeyOption]) -> None:
        self.options = options
        listing = self.query_one("#sign-keys", OptionList)
        listing.clear_options()
        for option in options:
            mark = "✘" if option.problems else "✔"
            listing.add_option(Option(Text(f"{mark} {clean(option.key_id)}  ({clean(option.why)})"),
                                      id=option.key_id))
        if not options:
            self.step("key", FAIL, "no key found: set default_key, or create one with the key wizard")
            return
        self.step("key", RUNNING, "enter: sign with the highlighted key")
        sig = envelope_path(self.file)
        self.keys(f"enter: sign, save {sig.name}{' (replaces it)' if sig.exists() else ''} · esc: cancel")
        listing.highlighted = 0
        listing.focus()
        self._show_checks(options[0])

    @on(OptionList.OptionHighlighted, "#sign-keys")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        option = self._option(event.option.id)
        if option is not None:
            self._show_checks(option)

    def _option(self, key_id: str | None) -> KeyOption | None:
        return next((o for o in self.options if o.key_id == key_id), None)

    def _show_checks(self, option: KeyOption) -> None:
        roles = self.app.theme_variables
        text = Text()
        text.append(f"\n{clean(option.key_id)}", style=Style(bold=True))
        if option.info is not None and option.info.arn:
            text.append(f"\n{clean(option.info.arn)}", style=Style(dim=True))
        for check, passed, detail in option.checks():
            text.append("\n✔ " if passed else "\n✘ ", style=role_style(roles, "success" if passed else "error"))
            text.append(f"{check} — {clean(detail)}")
        if self.ops.settings.read_only:
            text.append("\n\nRead-only mode: saving the envelope will be refused.",
                        style=role_style(roles, "warning", bold=True))
        self.query_one("#key-checks", Static).update(text)

    @on(OptionList.OptionSelected, "#sign-keys")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option = self._option(event.option.id)
        if option is None or self.phase != "input":
            return
        if option.problems:
            self.step("key", FAIL, f"{option.key_id}: " + "; ".join(option.problems) + "\npick another key")
            return
        self.step("key", PASS, f"{option.key_id}: SIGN_VERIFY, {option.info.spec}, enabled")
        self.sign(option.key_id)

    # -- 4: sign, save, verify -----------------------------------------------------

    def sign(self, key_id: str) -> None:
        file = self.file
        output = envelope_path(file)
        self.phase = "running"
        self.step("sign", RUNNING, f"KMS Sign with {key_id}")
        self.switcher.current = "result"

        def job(cancelled) -> SignResult:
            if cancelled():
                raise SentinelError("Cancelled; nothing was signed or written.", kind="cancelled")
            self._ui(self.started_writing)
            return sign_file(self.ops, file, key_id, output=output, force=True)

        self.background(job, self._signed, self._failed, group="flow-write", writes=True)

    def _signed(self, result: SignResult) -> None:
        self.phase = "done"
        self.result = result
        env = result.envelope
        self.step("sign", PASS, f"{env.key_id}, signed_at {env.signed_at_text}")
        mode = stat.S_IMODE(os.stat(result.output).st_mode) if result.output else None
        self.step("save", PASS, f"{result.output} (mode {mode:04o})" if mode is not None else "not saved")
        if result.verified:
            self.step("verify", PASS, f"verifies with {env.key_id} over the file's exact bytes")
        else:
            self.step("verify", FAIL, f"does NOT verify with {env.key_id}")
        roles = self.app.theme_variables
        text = Text()
        ok = result.verified
        text.append(("✔ Signed and verified" if ok else "✘ Signed, but it does not verify") + "\n",
                    style=role_style(roles, "success" if ok else "error", bold=True))
        text.append(f"file       {clean(self.file)}\nenvelope   {clean(result.output)}\n"
                    f"key        {clean(env.key_id)}\nsigned_at  {env.signed_at_text}\n"
                    f"hash       {env.policy_hash}\n")
        text.append("\nPush the file with the guided push (P) to make it live: the signature in SSM must "
                    "cover the exact bytes.", style=Style(dim=True))
        self.query_one("#result-text", Static).update(text)
        self.outcome(Text(f"✔ Signed {clean(self.file)}; envelope saved to {clean(result.output)}"
                          if ok else "✘ Signed, but the signature does not verify"), "success" if ok else "error")
        self.keys("P: push it · esc: close" if ok else "esc: close")
        self.refresh_bindings()

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, SentinelError) and error.kind == "cancelled":
            self.phase = "done"
            self.confirm_cancelled()
            return
        self.phase = "done"
        what, _fix, _ = error_text(error)
        output = envelope_path(self.file)
        if isinstance(error, SentinelError) and error.kind == "read-only":
            self.step("sign", SKIP, "refused: read-only")
        elif isinstance(error, FileError):
            self.step("sign", PASS)
            self.step("save", FAIL, what)
        else:
            self.step("sign", FAIL, what)
        for key in ("sign", "save", "verify"):
            if self.steps.state(key) in ("pending", "running"):
                self.step(key, SKIP, "not run")
        self.query_one("#result-text", Static).update(Text(f"Nothing was saved: {clean(output)} is as it was."))
        self.show_failure(error, title="Not signed")
        self.keys("esc: close")
