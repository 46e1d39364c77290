"""The diff screen: what a push would change, or what changed between stored versions.

Three ways to fill it, each read in a thread worker through the operations:

* a policy and a local file (``DiffScreen("dev", "policies/dev.yaml")``): the stored policy
  against the file, i.e. what pushing the file would change;
* two stored versions (``DiffScreen("dev", old_version=3, new_version=5)``);
* the stored policy against the version its current signature was made for, found by
  hash in the history (``DiffScreen("dev", signed=True)``).

A ready :class:`~sentinel_tui.ops.diffs.DiffRequest` can be handed in instead
(``DiffScreen(request=...)``): nothing is read then.

``esc`` backs out, ``o`` picks another local file, ``r`` reads the inputs again, ``P``
starts the guided push of the local file. ``h`` compares two stored versions (picked from the history)
and ``s`` the version the signature was made for with the stored policy now.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from ...errors import SentinelError
from ...ops.diffs import DiffRequest, load_local, load_signed, load_versions
from ..shell import shell
from ..widgets.diff_view import DiffView, safe_label
from .file_picker import FilePicker
from .version_picker import VersionPicker
from ..keymap import KEYS

__all__ = ["DiffScreen"]


class DiffScreen(Screen):
    """A :class:`DiffView` over inputs read from SSM and a local file."""

    CSS_PATH = "diff.tcss"

    BINDINGS = KEYS["DiffScreen"]

    class Loaded(Message):
        def __init__(self, request: DiffRequest):
            super().__init__()
            self.request = request

    class Failed(Message):
        def __init__(self, error: SentinelError):
            super().__init__()
            self.error = error

    def __init__(self, name: str | None = None, file: str | Path | None = None, *, ops=None,
                 request: DiffRequest | None = None, old_version: int | None = None,
                 new_version: int | None = None, signed: bool = False, layout: str = "split",
                 key_id: str | None = None):
        super().__init__()
        if request is None and name is None:
            raise ValueError("DiffScreen needs a policy name (with a file, two versions or signed=True) or a request")
        if request is None and file is None and not signed and (old_version is None or new_version is None):
            raise ValueError("DiffScreen needs a file, two versions, or signed=True")
        self.policy_name = name if name is not None else (request.name if request else None)
        self.file = str(file) if file is not None else None
        self.old_version = old_version
        self.new_version = new_version
        self.signed = signed
        self.key_id = key_id
        self._ops = ops
        self._request = request
        self._layout = layout
        # writes to this policy (app.written) when the screen was mounted: it reads both sides again
        # on resume when that moved; unknown (no re-read) until mounted
        self._written_seen: int | None = None
        self._written_known = False

    # -- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(Text(self._title()), id="diff-title")
        yield Static(id="diff-problem")
        yield DiffView(self._request, layout=self._layout, id="diff-view")
        yield Footer()

    def on_mount(self) -> None:
        self._written_seen = shell(self).written.get(self.policy_name)
        self._written_known = True
        if self._request is None:
            self.query_one(DiffView).body.loading = True
            self._load()
        self.query_one(DiffView).body.focus()

    def on_screen_resume(self) -> None:
        """Back from a write to this policy (P pushed it from here): read both sides again."""
        written = shell(self).written.get(self.policy_name)
        if self._written_known and written != self._written_seen and (self.signed or self.file is not None):
            self._written_seen = written
            self.query_one(DiffView).body.loading = True
            self._load()

    @property
    def ops(self):
        return self._ops if self._ops is not None else shell(self).ops

    @property
    def request(self) -> DiffRequest | None:
        return self._request

    def _title(self) -> str:
        name = safe_label(self.policy_name or "")
        kind = ("signed" if self.signed else "local" if self.file is not None else
                "versions" if self.old_version is not None else
                self._request.kind if self._request is not None else "")
        if kind == "signed":
            return f"Diff  {name}: the version the signature was made for → the stored policy now"
        if kind == "local":
            file = safe_label(self.file or (self._request.file if self._request else "") or "")
            return f"Diff  what pushing {file} as {name} would change"
        if kind == "versions":
            if self.old_version is not None:
                return f"Diff  {name}: stored version {self.old_version} → {self.new_version}"
            return f"Diff  two stored versions of {name}"
        return f"Diff  {name}"

    # -- loading ---------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="diff-load")
    def _load(self) -> None:
        ops = self.ops
        try:
            if ops is None:
                raise SentinelError("This screen has no AWS context to read the stored policy from.",
                                    "Open the diff from the app, or hand the screen an Ops.", kind="usage")
            mode = self._request.mode if self._request else "bytes"
            context = self._request.context if self._request else 3
            if self.signed:
                request = load_signed(ops, self.policy_name, mode=mode, context=context)
            elif self.file is not None:
                request = load_local(ops, self.policy_name, self.file, key_id=self.key_id, mode=mode,
                                     context=context)
            else:
                request = load_versions(ops, self.policy_name, self.old_version, self.new_version,
                                        mode=mode, context=context)
        except SentinelError as exc:
            self.post_message(self.Failed(exc))
            return
        except Exception as exc:  # never a traceback on the operator's screen
            self.post_message(self.Failed(SentinelError(
                f"Could not read the inputs of the diff: {type(exc).__name__}: {exc}",
                "Press r to try again; if it persists this is a bug in sentinel-tui.", kind="unexpected")))
            return
        self.post_message(self.Loaded(request))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self._request = message.request
        self.remove_class("-failed")
        view = self.query_one(DiffView)
        view.body.loading = False
        view.set_request(message.request)
        view.body.focus()  # a loading widget cannot take focus: the keys work from here on
        self.query_one("#diff-title", Static).update(Text(self._title()))

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        view = self.query_one(DiffView)
        view.body.loading = False
        text = Text()
        text.append(message.error.what, "bold")
        if message.error.fix:
            text.append("\n" + message.error.fix)
        text.append("\n\nesc goes back, r tries again" + (", o picks another file" if self.file else "") + ".")
        self.query_one("#diff-problem", Static).update(text)
        self.add_class("-failed")

    # -- actions ---------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_reload(self) -> None:
        if self.policy_name is None or (self.file is None and not self.signed and self.old_version is None):
            self.notify("These inputs were handed in, not read: there is nothing to read again.", timeout=4)
            return
        self.query_one(DiffView).body.loading = True
        self._load()

    def action_pick_file(self) -> None:
        if self._needs_source("Comparing with a file"):
            return
        start = None
        ops = self.ops
        if ops is not None and ops.settings.local_dir:
            start = ops.settings.local_dir

        def picked(path: str | None) -> None:
            if path:
                self._switch(file=path)

        self.app.push_screen(FilePicker(start, title=f"Compare {self.policy_name} with which file?"), picked)

    def _switch(self, *, file: str | None = None, versions: tuple[int, int] | None = None,
                signed: bool = False) -> None:
        self.file = file
        self.old_version, self.new_version = versions if versions else (None, None)
        self.signed = signed
        self.remove_class("-failed")
        self.query_one("#diff-title", Static).update(Text(self._title()))
        self.query_one(DiffView).body.loading = True
        self._load()

    def _needs_source(self, what: str) -> bool:
        if self.policy_name is None or self.ops is None:
            self.notify(f"{what} needs a stored policy: open the diff from a policy in the browser.", timeout=4)
            return True
        return False

    def action_pick_versions(self) -> None:
        if self._needs_source("Comparing versions"):
            return
        def picked(versions: tuple[int, int] | None) -> None:
            if versions:
                self._switch(versions=versions)

        self.app.push_screen(VersionPicker(self.ops, self.policy_name), picked)

    def action_signed(self) -> None:
        if self._needs_source("Comparing with the signed version"):
            return
        self._switch(signed=True)

    def action_push(self) -> None:
        request = self._request
        if request is None:
            self.notify("The diff is still loading.", timeout=3)
            return
        if request.kind != "local" or not request.file or not request.name:
            self.notify("Push takes a local file: open the diff of the policy against its file (d in the browser).",
                        title="Nothing to push", timeout=6)
            return
        shell(self).start_push(request.name, request.file)
