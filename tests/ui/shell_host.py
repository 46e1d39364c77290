"""A small app implementing the shell protocol (`sentinel_tui.ui.shell.AppShell`) for tests that host
one screen without the whole app: every member there, doing nothing or recording what it was asked."""

from __future__ import annotations

from datetime import datetime, timezone

from textual.app import App
from textual.signal import Signal

from sentinel_tui.ops.fleet import FleetSnapshot
from sentinel_tui.ui.commands import CommandRegistry


class ShellHost(App):
    def __init__(self, ops=None, *, fleet=None) -> None:
        super().__init__()
        self.ops = ops
        self.fleet = fleet if fleet is not None else FleetSnapshot(root="/sentinel/policies")
        self.fleet_loading = False
        self.fleet_changed = Signal(self, "fleet-changed")
        self.selected = None
        self.identity = None
        self.identity_error = None
        self.resolved_region = None
        self.default_key_missing = False
        self.commands = CommandRegistry()
        self.written: dict[str, int] = {}
        self.clock = lambda: datetime.now(timezone.utc)
        self.executed: list[str] = []
        self.refreshed: list[str] = []
        self.errors: list[BaseException] = []
        self.flows: list[tuple] = []
        self.fleet_contexts: list = []
        self.watching = ""
        self.context_name = None

    @property
    def settings(self):
        return self.ops.settings

    def entry(self, name):
        return None

    def reload(self, *, full: bool = False) -> None:
        pass

    def refresh_entry(self, name: str, ops=None) -> None:
        self.refreshed.append(name)

    def ops_for(self, entry):
        return self.ops

    def target_words(self, ops):
        return None

    def focus_context(self, name) -> None:
        pass

    def retry_context(self, name) -> None:
        pass

    def toggle_watch(self) -> None:
        pass

    def show_error(self, error, *, title=None) -> None:
        self.errors.append(error)

    def notify_plain(self, message, *, title="", severity="information", timeout=None) -> None:
        self.notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def execute_command(self, line: str) -> None:
        self.executed.append(line)

    def has_command(self, name: str) -> bool:
        return name in self.commands

    def go_home(self) -> None:
        pass

    def open_flow(self, which, *, entry=None, marked=(), words=None) -> None:
        self.flows.append((which, entry, tuple(marked), words))

    def open_diff(self, name, file=None, *, key_id=None, signed=False) -> None:
        self.flows.append(("diff", name, file, key_id, signed))

    def pick_file(self, start, title, then) -> None:
        from sentinel_tui.ui.screens.file_picker import FilePicker

        self.push_screen(FilePicker(start, title=title), then)

    def start_push(self, name: str, file: str) -> None:
        self.flows.append(("push", name, file))
