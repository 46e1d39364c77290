"""`:`: a one-line command prompt at the bottom (k9s style), with completion from the registry."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList, Suggester
from textual.widgets import Input, Static

from ..commands import CommandRegistry
from ..shell import AppScreen
from ..keymap import KEYS


class CommandSuggester(Suggester):
    """Completes the command name, then, for a command that takes a policy NAME, the policy name
    (tab accepts): `:doctor te` → `:doctor team/security`."""

    def __init__(self, registry: CommandRegistry, names: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.registry = registry
        self.names = sorted(names)
        self.commands = SuggestFromList(registry.names(), case_sensitive=False)

    async def get_suggestion(self, value: str) -> str | None:
        head, space, rest = value.partition(" ")
        if not space:
            return await self.commands.get_suggestion(value)
        command = self.registry.get(head)
        if command is None or not command.arg or "NAME" not in command.arg or " " in rest.strip():
            return None
        for name in self.names:
            if rest and name.startswith(rest) and name != rest:
                return f"{head} {name}"
        return None


class CommandScreen(ModalScreen[str | None], AppScreen):
    """Dismisses with the typed line (without the `:`), or None on esc."""

    BINDINGS = KEYS["CommandScreen"]

    def __init__(self, registry: CommandRegistry, prefill: str = "", names: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__()
        self.registry = registry
        self.prefill = prefill
        # made here so that keys typed before the screen is mounted can be sent to it (app.on_event)
        self.early_keys: Input = Input(value=prefill, placeholder="command (tab completes, esc cancels)",
                                suggester=CommandSuggester(registry, names),
                                id="command-input", select_on_focus=False)

    def compose(self) -> ComposeResult:
        with Vertical(id="command-box"):
            yield Static(id="command-hints")
            yield self.early_keys

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.cursor_blink = not self.app.is_headless
        self.set_focus(field)
        field.cursor_position = len(field.value)
        self._show_hints(field.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._show_hints(event.value)

    def _show_hints(self, value: str) -> None:
        head = value.strip().lstrip(":").split(" ", 1)[0].lower()
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(style="dim")
        shown = 0
        for command in self.registry:
            names = (command.name, *command.aliases)
            if head and not any(n.startswith(head) for n in names):
                continue
            table.add_row(Text(f":{command.usage}"), Text(command.help))
            shown += 1
            if shown >= 8:
                break
        self.query_one("#command-hints", Static).update(table if shown else Text("no such command", style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_submit(self) -> None:
        self.dismiss(self.early_keys.value.strip() or None)

    def action_complete(self) -> None:
        field = self.query_one(Input)
        field.cursor_position = len(field.value)
        field.action_cursor_right()  # at the end of the line, this accepts the suggestion

    def action_cancel(self) -> None:
        self.dismiss(None)
