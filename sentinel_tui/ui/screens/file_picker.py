"""Pick a local policy file: type a path, or choose one in the tree of the local folder."""

from __future__ import annotations

import os
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Static

from ..widgets.diff_view import safe_label
from ..keymap import KEYS

__all__ = ["FilePicker"]


class FilePicker(ModalScreen[str | None]):
    """Dismisses with the chosen path, or None when cancelled."""

    CSS_PATH = "file_picker.tcss"

    BINDINGS = KEYS["FilePicker"]

    def __init__(self, start: str | os.PathLike | None = None, *, title: str = "Pick a policy file"):
        super().__init__()
        base = Path(start) if start else Path.cwd()
        self.start = base if base.is_dir() else Path.cwd()
        self._title = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(safe_label(self._title)), id="picker-title")
            yield Static(Text("Type a path and press enter, or choose a file below. esc cancels."), id="picker-help")
            yield Input(placeholder=str(self.start) + os.sep, id="picker-path")
            yield Static(id="picker-error")
            yield DirectoryTree(self.start, id="picker-tree")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def _choose(self, raw: str) -> None:
        raw = raw.strip()
        if not raw:
            return
        path = Path(raw).expanduser()
        if not path.is_absolute():
            path = self.start / path
        if not path.is_file():
            self.query_one("#picker-error", Static).update(
                Text(f"{safe_label(str(path))} is not a file." if path.exists() else
                     f"{safe_label(str(path))} does not exist."))
            return
        self.dismiss(str(path))

    @on(Input.Submitted, "#picker-path")
    def _submitted(self, event: Input.Submitted) -> None:
        self._choose(event.value)

    @on(DirectoryTree.FileSelected)
    def _selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.dismiss(str(event.path))

    def action_cancel(self) -> None:
        self.dismiss(None)
