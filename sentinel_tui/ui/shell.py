"""The typed protocol screens use to reach the app: `AppShell`.

A screen or widget never probes the app for attributes it may lack: it calls
``shell(self)`` and gets the app as an :class:`AppShell`, whose members are listed here and
implemented by :class:`sentinel_tui.ui.app.SentinelApp`. A test that hosts one screen in a
small app implements the members that screen uses.

Textual's own `App` members (`push_screen`, `notify`, `theme_variables`, `copy_to_clipboard`,
`call_from_thread`, ...) are used as they are; this protocol names what sentinel-tui adds.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Protocol, Sequence, cast

if TYPE_CHECKING:  # pragma: no cover
    from textual.dom import DOMNode
    from textual.signal import Signal
    from textual.widget import Widget

    from ..config import Settings
    from ..ops.context import Ops
    from ..ops.fleet import FleetEntry, FleetSnapshot
    from .commands import CommandRegistry

__all__ = ["AppShell", "AppScreen", "shell"]


class AppShell(Protocol):
    """What the app offers its screens."""

    #: The operations for the target in force; replaced (and watched) on a context switch.
    ops: "Ops"
    #: The fleet as last listed (entries stream in while loading) and whether a load runs.
    fleet: "FleetSnapshot"
    fleet_loading: bool
    #: Published with every FleetUpdated message: ``shell.fleet_changed.subscribe(self, cb)``.
    fleet_changed: "Signal[Any]"
    #: The entry under the browser's cursor.
    selected: "FleetEntry | None"
    #: The caller's identity (STS) once known, or the error that prevented it.
    identity: Any
    identity_error: BaseException | None
    resolved_region: str | None
    #: The settings' default key was looked up and KMS does not have it.
    default_key_missing: bool
    #: Policy name -> writes to it completed (views that show a policy re-read it when this moved).
    written: dict[str, int]
    #: The registry behind `:` and the palette.
    commands: "CommandRegistry"
    clock: Callable[[], datetime]
    #: Textual's theme variables (``App.theme_variables``), for colour roles.
    theme_variables: dict[str, str]
    #: "every 5 s" while the watch (`w`) polls, else "".
    watching: str
    #: The context shown when it is one of the settings' [contexts.NAME] (--context NAME, :context NAME).
    context_name: str | None

    @property
    def fleet_contexts(self) -> list[Any]:
        """The contexts shown at once (ui/fleet_contexts.py's ContextState: name, account, snapshot,
        loading, error, ...); [] when the app shows one."""
        ...

    @property
    def settings(self) -> "Settings": ...

    def entry(self, name: str) -> "FleetEntry | None": ...

    def reload(self, *, full: bool = False) -> None: ...

    def refresh_entry(self, name: str, ops: "Ops | None" = None) -> None: ...

    def ops_for(self, entry: "FleetEntry | None") -> "Ops":
        """The Ops of the context `entry` was listed in (``ops`` with one context)."""
        ...

    def target_words(self, ops: "Ops") -> str | None:
        """With several contexts, where a write through `ops` goes, in words; None with one."""
        ...

    def focus_context(self, name: str | None) -> None: ...

    def retry_context(self, name: str) -> None: ...

    def toggle_watch(self) -> None: ...

    def show_error(self, error: BaseException, *, title: str | None = None) -> None: ...

    def notify_plain(self, message: str, *, title: str = "", severity: str = "information",
                     timeout: float | None = None) -> None: ...

    def execute_command(self, line: str) -> None: ...

    def has_command(self, name: str) -> bool: ...

    def go_home(self) -> None: ...

    def open_flow(self, which: str, *, entry: "FleetEntry | None" = None, marked: Sequence[str] = (),
                  words: Sequence[str] | None = None) -> None: ...

    def open_diff(self, name: str, file: str | None = None, *, key_id: str | None = None,
                  signed: bool = False) -> None: ...

    def pick_file(self, start: str | None, title: str, then: Callable[[str | None], None]) -> None: ...

    def start_push(self, name: str, file: str) -> None: ...


class AppScreen:
    """What the app reads of a screen, declared here with defaults so that it never probes a
    screen for them. Mixed into a screen class: ``class DoctorScreen(Screen, AppScreen)``."""

    #: The title of the `?` help for this screen's keys ("": the class name without "Screen").
    HELP_TITLE: ClassVar[str] = ""
    #: The field that gets the keys typed before the screen has focused anything (the `:` line
    #: opened and typed into in one burst); None: such keys are handled as usual.
    early_keys: "Widget | None" = None


def shell(node: "DOMNode") -> AppShell:
    """The app of a mounted screen or widget, as the shell protocol."""
    return cast(AppShell, node.app)
