"""Pick two stored versions of a policy to compare: first the old side, then the new one."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...errors import SentinelError
from ...aws.store import Parameter
from ...core.envelope import policy_hash
from ...core.paths import policy_path, signature_path
from ...ops.diffs import find_signed_version
from ..widgets.diff_view import safe_label
from ..keymap import KEYS

__all__ = ["VersionPicker", "version_line"]


def version_line(param: Parameter, signed: bool, current: bool) -> Text:
    text = Text(no_wrap=True)
    text.append(f"v{param.version:<4}", "bold")
    when = param.last_modified.strftime("%Y-%m-%d %H:%M") if param.last_modified else "-"
    text.append(f" {when}  {len(param.data):>5} bytes  sha256 {policy_hash(param.data)[:12]}")
    if param.last_modified_user:
        text.append("  " + safe_label(param.last_modified_user.rsplit("/", 1)[-1]))
    if current:
        text.append("  current", "bold")
    if signed:
        text.append("  ✎ the signature was made for this version", "bold")
    return text


class VersionPicker(ModalScreen["tuple[int, int] | None"]):
    """Dismisses with ``(old_version, new_version)``, or None when cancelled."""

    CSS_PATH = "version_picker.tcss"

    BINDINGS = KEYS["VersionPicker"]

    class _Loaded(Message):
        def __init__(self, history: list[Parameter], signed: int | None, error: SentinelError | None = None):
            super().__init__()
            self.history = history
            self.signed = signed
            self.error = error

    def __init__(self, ops, name: str):
        super().__init__()
        self._ops = ops
        self.policy_name = name
        self.old: int | None = None
        self.history: list[Parameter] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Compare two stored versions of {safe_label(self.policy_name)}"), id="versions-title")
            yield Static(Text("Reading the history…"), id="versions-help")
            yield OptionList(id="versions-list")

    def on_mount(self) -> None:
        self.query_one(OptionList).loading = True
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        try:
            path = policy_path(self.policy_name, self._ops.settings.policy_root)
            history = self._ops.store.history(path)
            signature = self._ops.store.get(signature_path(path))
        except SentinelError as exc:
            self.post_message(self._Loaded([], None, exc))
            return
        signed = find_signed_version(history, signature.value if signature is not None else None)
        self.post_message(self._Loaded(history, signed.version if signed else None))

    @on(_Loaded)
    def _loaded(self, message: _Loaded) -> None:
        options = self.query_one(OptionList)
        options.loading = False
        help_ = self.query_one("#versions-help", Static)
        if message.error is not None:
            help_.update(Text(f"{message.error.what}\n{message.error.fix}"))
            return
        self.history = message.history
        if len(self.history) < 2:
            help_.update(Text("There is only one stored version: nothing to compare it with. esc goes back."))
        else:
            help_.update(Text("Pick the old side (enter), then the new side. esc cancels."))
        newest = max((p.version for p in self.history), default=None)
        for param in reversed(self.history):  # newest first
            options.add_option(Option(version_line(param, param.version == message.signed,
                                                   param.version == newest), id=str(param.version)))
        if self.history:
            options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        version = int(event.option.id)
        if self.old is None:
            self.old = version
            self.query_one("#versions-help", Static).update(
                Text(f"Old side: version {version}. Now pick the new side (enter). esc cancels."))
            return
        if version == self.old:
            self.notify("Pick another version for the new side.", timeout=3)
            return
        self.dismiss((self.old, version))

    def action_cancel(self) -> None:
        self.dismiss(None)
