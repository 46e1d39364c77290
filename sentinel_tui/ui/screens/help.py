"""`?`: the keys that work on the screen underneath, the `:` commands, and the status legend."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ...core.status import STATUS_MEANING, STATUS_SYMBOL, Status
from ..format import clean
from ..keymap import KEYS


@dataclass(frozen=True)
class KeyHelp:
    key: str
    description: str
    where: str


def keys_for(screen: Screen) -> list[KeyHelp]:
    """Every binding active on `screen` right now (focused widget first), with a description."""
    app = screen.app
    seen: set[str] = set()
    found: list[tuple[int, int, KeyHelp]] = []
    for index, (key, active) in enumerate(screen.active_bindings.items()):
        binding = active.binding
        if binding.system or not active.enabled:
            continue
        description = binding.description or binding.tooltip or binding.action.replace("_", " ")
        if binding.tooltip and binding.description:
            description = f"{binding.description}: {binding.tooltip}"
        where = type(active.node).__name__
        display = app.get_key_display(binding)
        if display in seen or (not binding.id and description in seen):
            continue
        seen.update((display, description))
        # This screen's and the app's own keys (they have ids) first, then those of the
        # focused widget (cursor movement and the like), then Textual's generic ones.
        ours = active.node is screen or active.node is app
        rank = 0 if ours and binding.id else 1 if not ours else 2
        found.append((rank, index, KeyHelp(display, description, where)))
    return [item for _, _, item in sorted(found, key=lambda t: (t[0], t[1]))]


class HelpScreen(ModalScreen[None]):
    BINDINGS = KEYS["HelpScreen"]

    def __init__(self, keys: list[KeyHelp], commands=(), *, title: str = "Keys") -> None:
        super().__init__()
        self.keys = keys
        self.commands = list(commands)
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(Text(self.title_text, style="bold"), id="help-title")
            with VerticalScroll(id="help-body"):
                yield Static(self._keys_table(), id="help-keys")
                if self.commands:
                    yield Static(Text("Commands (: or ctrl+p)", style="bold"), classes="help-heading")
                    yield Static(self._commands_table(), id="help-commands")
                yield Static(Text("Statuses", style="bold"), classes="help-heading")
                yield Static(self._legend(), id="help-legend")
            yield Static(Text("esc closes · the mouse works too: click a row, a column header, a tab",
                              style="dim"), id="help-hint")

    def _keys_table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for item in self.keys:
            table.add_row(Text(item.key), Text(clean(item.description)))
        return table

    def _commands_table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for command in self.commands:
            aliases = f" (also :{', :'.join(command.aliases)})" if command.aliases else ""
            table.add_row(Text(f":{command.usage}"), Text(clean(command.help + aliases)))
        return table

    def _legend(self) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True)
        table.add_column()
        for status in Status:
            table.add_row(Text(f"{STATUS_SYMBOL[status]} {status}"), Text(STATUS_MEANING[status]))
        table.add_row(Text("· local only"), Text("A file in the local folder that SSM does not hold yet "
                                                "(P pushes it)."))
        return table

    def action_close(self) -> None:
        self.dismiss(None)
