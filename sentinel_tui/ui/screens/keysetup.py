"""First-time key setup, as a wizard: detect, create, documents, default key, sign the unsigned.

1. Detect: whether the alias (``alias/sentinel-policy-signing`` or another typed in)
   exists, and what is wrong with its key, explained.
2. Create (only when it does not exist, after `n` and a confirmation; never in
   read-only mode): an RSA_4096 SIGN_VERIFY key with a description, tags and the alias.
3. Documents, filled in with the real ARNs and account: the signer and verifier IAM
   policies, the Terraform, the TVM's environment lines. `y` copies the one shown, `w`
   saves it to a file (0600).
4. `m` makes the alias the default key in the settings.
5. `u` signs the unsigned policies through the bulk re-sign flow.

All AWS work runs in thread workers through `ops.keysetup`.
"""

from __future__ import annotations

from pathlib import Path

from rich.style import Style
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Input, Label, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from ...errors import SentinelError
from ...aws.keys import DEFAULT_ALIAS, KeyInfo
from ...ops import keysetup as ks
from ...ops.context import Ops
from ..format import clean, role_style
from ..shell import AppScreen, shell
from ..keymap import KEYS

STEPS = (("detect", "Detect the key"), ("create", "Create the key"), ("documents", "IAM, Terraform, Lambda"),
         ("default", "Make it the default key"), ("sign", "Sign the unsigned policies"))
SYMBOL = {"pending": "○", "running": "…", "pass": "✔", "fail": "✘", "skip": "–", "warn": "!"}
ROLE = {"pending": "muted", "running": "accent", "pass": "success", "fail": "error", "skip": "muted",
        "warn": "warning"}
TAB_IDS = {name: "doc-" + name.replace(".", "-") for name in ks.DOCUMENTS}


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; `y` or the button says yes, anything else no."""

    CSS_PATH = "keysetup.tcss"
    BINDINGS = KEYS["ConfirmScreen"]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(clean(self.question)), id="confirm-question")  # wraps: every word shows
            with Horizontal():
                yield Button("Yes (y)", id="yes", variant="warning")
                yield Button("No (n)", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class SavePathScreen(ModalScreen[str | None]):
    """Ask where to save a document (enter saves, esc cancels)."""

    CSS_PATH = "keysetup.tcss"
    BINDINGS = KEYS["SavePathScreen"]

    def __init__(self, default: str) -> None:
        super().__init__()
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Save to (mode 0600; enter saves, esc cancels):")
            yield Input(self.default, id="save-path")

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = not self.app.is_headless
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class KeySetupScreen(Screen, AppScreen):
    """The key setup wizard."""

    HELP_TITLE = "Key setup"
    AUTO_FOCUS = None
    CSS_PATH = "keysetup.tcss"

    BINDINGS = KEYS["KeySetupScreen"]

    def __init__(self, ops: Ops, alias: str | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ops = ops
        default = ops.settings.default_key if (ops.settings.default_key or "").startswith("alias/") else DEFAULT_ALIAS
        self.alias = alias or default
        self.state: ks.KeySetupState | None = None
        self.key: KeyInfo | None = None
        self.documents: dict[str, str] = {}
        self.steps = {key: "pending" for key, _ in STEPS}
        self.step_notes: dict[str, str] = {}
        self.busy = False
        self.saved: list[Path] = []

    def compose(self) -> ComposeResult:
        yield Static(Text("Signing key setup"), id="ks-title")
        yield Static(id="ks-banner")
        with Horizontal(id="ks-alias-row"):
            yield Label("Alias:", id="ks-alias-label")
            # one line (compact): at 24 rows the documents keep room to be read
            yield Input(self.alias, id="ks-alias", placeholder=DEFAULT_ALIAS, compact=True)
        with Horizontal(id="ks-top"):
            yield Static(id="ks-steps")
            with VerticalScroll(id="ks-state-box"):
                yield Static(id="ks-state")
        with TabbedContent(id="ks-docs"):
            for name in ks.DOCUMENTS:
                with TabPane(ks.DOCUMENT_TITLES[name].split(" (")[0], id=TAB_IDS[name]):
                    with VerticalScroll():
                        yield Static(id=f"{TAB_IDS[name]}-text")
        yield Static(id="ks-keys")
        yield Footer()

    def on_mount(self) -> None:
        banner = self.query_one("#ks-banner", Static)
        if self.ops.settings.read_only:
            banner.update(Text("Read-only mode: nothing is created and the settings are not changed; the documents "
                               "are shown with what exists.", style=role_style(self.app.theme_variables, "warning",
                                                                                bold=True)))
        else:
            banner.display = False
        self.query_one("#ks-alias", Input).cursor_blink = not self.app.is_headless
        self._focus_documents()
        self.detect()

    # -- display -------------------------------------------------------------------------------

    def set_step(self, key: str, state: str, note: str = "") -> None:
        self.steps[key] = state
        if note:
            self.step_notes[key] = note
        else:
            self.step_notes.pop(key, None)
        roles = self.app.theme_variables
        grid = Table.grid(padding=0)  # a note that wraps stays indented under its step
        grid.add_column(width=5, no_wrap=True)
        grid.add_column(ratio=1)
        for index, (step, words) in enumerate(STEPS, 1):
            st = self.steps[step]
            style = role_style(roles, ROLE[st], bold=st == "running")
            grid.add_row(Text(f"{SYMBOL[st]} {index}.", style=style), Text(words, style=style))
            if step in self.step_notes:
                grid.add_row(Text(""), Padding(Text(clean(self.step_notes[step]), style=Style(dim=True)), (0, 0, 0, 1)))
        self.query_one("#ks-steps", Static).update(grid)
        self._keys()

    def _keys(self) -> None:
        hints = []
        if self.state is not None and self.state.needs_key and not self.ops.settings.read_only:
            hints.append("n: create the key")
        if self.documents:
            hints.append("y: copy  w: save the document shown")
        if self.key is not None and not self.state_problems:
            hints.append("m: make it the default key")
            hints.append("u: sign the unsigned policies")
        hints.append("a: another alias  esc: back")
        self.query_one("#ks-keys", Static).update(Text("   ".join(hints),
                                                       style=role_style(self.app.theme_variables, "muted")))

    @property
    def state_problems(self) -> bool:
        return bool(self.state and self.state.problems)

    def show_state(self, extra: str = "", role: str = "") -> None:
        roles = self.app.theme_variables
        text = Text()
        if self.state is not None:
            for index, line in enumerate(self.state.lines()):
                style = Style(bold=True) if index == 0 else Style()
                if line.strip().startswith("problem:"):
                    style = role_style(roles, "error")
                text.append(clean(line) + "\n", style=style)
        if extra:
            text.append(clean(extra), style=role_style(roles, role or "accent"))
        self.query_one("#ks-state", Static).update(text)

    def show_documents(self) -> None:
        for name in ks.DOCUMENTS:
            body = self.documents.get(name, "")
            self.query_one(f"#{TAB_IDS[name]}-text", Static).update(Text(clean(body)))

    # -- workers -------------------------------------------------------------------------------

    def _run(self, job, done, failed=None) -> None:
        self.busy = True

        def work() -> None:
            worker = get_current_worker()
            try:
                result = job()
            except Exception as exc:  # shown on screen, never a traceback
                if not worker.is_cancelled:
                    self.app.call_from_thread(self._finish, failed or self._failed, exc)
                return
            if not worker.is_cancelled:
                self.app.call_from_thread(self._finish, done, result)

        self.run_worker(work, thread=True, exclusive=True, group="keysetup", exit_on_error=False)

    def _finish(self, fn, value) -> None:
        self.busy = False
        if self.is_attached:
            fn(value)

    def _failed(self, error: BaseException) -> None:
        what = error.what if isinstance(error, SentinelError) else f"{type(error).__name__}: {error}"
        fix = error.fix if isinstance(error, SentinelError) else ""
        self.show_state(f"✘ {what}" + (f"\nWhat to do: {fix}" if fix else ""), "error")
        for key, state in self.steps.items():
            if state == "running":
                self.set_step(key, "fail", "see the message")

    # -- 1. detect -------------------------------------------------------------------------------

    def detect(self) -> None:
        try:
            self.alias = ks.normalize_alias(self.query_one("#ks-alias", Input).value or None)
        except SentinelError as exc:
            self._failed(exc)
            return
        self.state, self.key, self.documents = None, None, {}
        for key, _ in STEPS:
            self.set_step(key, "pending")
        self.set_step("detect", "running")
        self.show_state(f"Looking for {self.alias}…")
        ops, alias = self.ops, self.alias

        def job():
            state = ks.inspect_alias(ops, alias)
            docs = ks.documents_for(ops, alias, state.key) if state.error is None else {}
            return state, docs

        self._run(job, self._detected)

    def _detected(self, result) -> None:
        state, docs = result
        self.state, self.key, self.documents = state, state.key, docs
        if state.error is not None:
            self.set_step("detect", "fail", "could not inspect the alias")
            self.show_state()
            return
        if state.exists:
            self.set_step("detect", "pass" if state.ok else "fail",
                          "usable" if state.ok else f"{len(state.problems)} problem(s): see the right")
            self.set_step("create", "skip", "the alias exists: nothing is created")
        else:
            self.set_step("detect", "warn", "no such alias")
            self.set_step("create", "skip" if self.ops.settings.read_only else "pending",
                          "read-only: not created" if self.ops.settings.read_only else "press n")
        extra = ""
        if state.needs_key and not self.ops.settings.read_only:
            extra = (f"No key yet. Press n to create an RSA_4096 SIGN_VERIFY key with alias {self.alias}; the "
                     "documents below show a placeholder until then.")
        self.show_state(extra)
        self.show_documents()
        self.set_step("documents", "pass" if self.key is not None else "warn",
                      "filled in" if self.key is not None else "placeholder for the key ARN")
        if self.key is not None and not state.problems and self.ops.settings.default_key == self.alias:
            self.set_step("default", "pass", "already the default key")
        self._focus_documents()

    def _focus_documents(self) -> None:
        from textual.widgets import Tabs

        self.query_one("#ks-docs", TabbedContent).query_one(Tabs).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "ks-alias":
            event.stop()
            self.detect()

    def action_edit_alias(self) -> None:
        self.query_one("#ks-alias", Input).focus()

    # -- 2. create -------------------------------------------------------------------------------

    def action_create(self) -> None:
        if self.busy or self.state is None:
            return
        if not self.state.needs_key:
            self.notify(f"{self.alias} exists already: nothing is created." if self.state.exists
                        else "Check the alias first.", timeout=4)
            return
        if self.ops.settings.read_only:
            self.notify("Read-only mode: no key is created.", severity="warning", timeout=4)
            return
        region = self.ops.clients.region or "?"
        where = shell(self).target_words(self.ops) or f"region {region}"  # several contexts: the account too
        question = (f"Create an RSA_4096 SIGN_VERIFY KMS key (description and tags Purpose, CreatedBy) with alias "
                    f"{self.alias} in {where}? A KMS key costs money each month until it is deleted.")
        self.app.push_screen(ConfirmScreen(question), self._create_confirmed)

    def _create_confirmed(self, yes: bool | None) -> None:
        if not yes:
            self.notify("Nothing was created.", timeout=3)
            return
        self.set_step("create", "running")
        ops, alias = self.ops, self.alias

        def job():
            key = ks.create_key(ops, alias)
            return key, ks.inspect_alias(ops, alias), ks.documents_for(ops, alias, key)

        self._run(job, self._created)

    def _created(self, result) -> None:
        key, state, docs = result
        self.key, self.state, self.documents = key, state, docs
        self.set_step("detect", "pass", "usable")
        self.set_step("create", "pass", key.arn)
        app = shell(self)
        if self.alias == self.ops.settings.default_key and app.default_key_missing:
            app.default_key_missing = False  # the header names it again
        self.set_step("documents", "pass", "filled in")
        self.show_state(f"Created {self.alias} → {key.arn}.", "success")
        self.show_documents()

    # -- 3. documents ------------------------------------------------------------------------------

    def current_document(self) -> str | None:
        active = self.query_one("#ks-docs", TabbedContent).active
        for name, tab in TAB_IDS.items():
            if tab == active:
                return name
        return None

    def action_copy(self) -> None:
        name = self.current_document()
        if not name or name not in self.documents:
            return
        self.app.copy_to_clipboard(self.documents[name])
        # the terminal's clipboard (OSC 52): say where it went, and what to do if the terminal ignores it
        self.notify(f"{name} was copied to the clipboard (through the terminal): paste it where it goes. "
                    "If nothing pastes, the terminal does not pass copies on: w saves it to a file.", timeout=6)

    def action_save(self) -> None:
        name = self.current_document()
        if not name or name not in self.documents:
            return
        self.app.push_screen(SavePathScreen(str(Path.cwd() / name)), lambda path: self._save(name, path))

    def _save(self, name: str, path: str | None, force: bool = False) -> None:
        if not path:
            return
        target = Path(path).expanduser()
        try:
            written = ks.save_document(target, self.documents[name], force=force)
        except SentinelError as exc:
            if exc.kind == "exists" and not force:
                self.app.push_screen(ConfirmScreen(f"{target} exists. Replace it?"),
                                     lambda yes: self._save(name, path, True) if yes else None)
                return
            self._failed(exc)
            return
        self.saved.append(written)
        self.notify(f"Saved {written} (mode 0600).", timeout=4)

    # -- 4. default ----------------------------------------------------------------------------------

    def action_make_default(self) -> None:
        if self.key is None or self.state_problems:
            self.notify("Only a usable key can become the default.", timeout=4)
            return
        try:
            path = ks.make_default(self.ops, self.alias)
        except SentinelError as exc:
            self.notify(exc.what, severity="warning", timeout=5)
            return
        note = f"in {path}"
        override = ks.default_key_overridden()
        if override:
            note += f" ({override} overrides it)"
        self.set_step("default", "pass", note)
        self.notify(f"{self.alias} is now the default key {note}; it applies from the next start.", timeout=5)

    # -- 5. sign the unsigned --------------------------------------------------------------------------

    def action_sign_unsigned(self) -> None:
        if self.key is None or self.state_problems:
            self.notify("Set up a usable key first.", timeout=4)
            return
        fleet = shell(self).fleet
        # several contexts: only this context's policies (the re-sign flow writes to its account)
        fleet = next((c.snapshot for c in shell(self).fleet_contexts if c.ops is self.ops), fleet)
        names = ks.unsigned_policies(fleet) if fleet.entries else []
        if not names:
            self.notify("No unsigned policy in the loaded fleet.", timeout=4)
            self.set_step("sign", "skip", "none unsigned")
            return
        self.set_step("sign", "pass", f"{len(names)} handed to the re-sign flow")
        shell(self).execute_command("resign " + " ".join(names))

    def action_close(self) -> None:
        self.workers.cancel_node(self)
        self.dismiss(self.key)
