"""The command registry behind the `:` command line and the command palette.

A command is a name, one line of help, an optional argument placeholder and a
callable that takes the argument text. The app's commands are registered in one
place, `ui/routes.py`, e.g.::

    add("diff", "Byte diff of a policy against its local file", diff, arg="NAME [FILE]")

and both the `:` line (with completion) and the palette (ctrl+p, `routes.SentinelCommandProvider`)
offer it. This module imports neither Textual nor the app.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from ..errors import SentinelError

# run(arg) -> anything; an awaitable result is awaited.
CommandRun = Callable[[str], Any]


@dataclass(frozen=True)
class AppCommand:
    name: str
    help: str
    run: CommandRun = field(compare=False, repr=False)
    arg: str | None = None  # e.g. "PROFILE": the command needs an argument
    aliases: tuple[str, ...] = ()
    optional_arg: bool = False  # the argument may be left out

    @property
    def usage(self) -> str:
        if not self.arg:
            return self.name
        if self.optional_arg and not self.arg.startswith("["):  # "[NAME]" is bracketed once, not twice
            return f"{self.name} [{self.arg}]"
        return f"{self.name} {self.arg}"


class CommandRegistry:
    """Commands by name (aliases resolve to the same command); iteration is sorted by name."""

    def __init__(self) -> None:
        self._commands: dict[str, AppCommand] = {}
        self._aliases: dict[str, str] = {}

    def add(self, name: str, help: str, run: CommandRun, *, arg: str | None = None,
            aliases: tuple[str, ...] | list[str] = (), optional_arg: bool = False) -> AppCommand:
        """Register (or replace) a command. Names are single words without a leading `:`."""
        name = name.strip().lstrip(":")
        if not name or any(ch.isspace() for ch in name):
            raise ValueError(f"a command name is one word: {name!r}")
        command = AppCommand(name, help, run, arg, tuple(aliases), optional_arg)
        self._commands[name] = command
        for alias in command.aliases:
            self._aliases[alias] = name
        return command

    def remove(self, name: str) -> None:
        command = self._commands.pop(name, None)
        if command:
            for alias in command.aliases:
                self._aliases.pop(alias, None)

    def get(self, name: str) -> AppCommand | None:
        name = name.strip().lstrip(":")
        return self._commands.get(name) or self._commands.get(self._aliases.get(name, ""))

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    def __iter__(self) -> Iterator[AppCommand]:
        return iter(sorted(self._commands.values(), key=lambda c: c.name))

    def __len__(self) -> int:
        return len(self._commands)

    def names(self) -> list[str]:
        """Every name and alias, for completion."""
        return sorted([*self._commands, *self._aliases])

    def parse(self, line: str) -> tuple[AppCommand, str]:
        """`"region eu-west-1"` -> (the region command, "eu-west-1"); raise a SentinelError if unknown."""
        text = line.strip().lstrip(":").strip()
        head, _, rest = text.partition(" ")
        if not head:
            raise SentinelError("No command was given.", "Type a command after ':', e.g. :region eu-west-1; "
                                "? lists the keys, :help the commands.", kind="usage")
        command = self.get(head)
        if command is None:
            close = [n for n in self.names() if n.startswith(head[:2])]
            hint = f" Did you mean {', '.join(close[:4])}?" if close else ""
            raise SentinelError(f"Unknown command ':{head}'.{hint}",
                                "Press ? for the keys and commands of this screen.", kind="usage")
        rest = rest.strip()
        if command.arg and not command.optional_arg and not rest:
            raise SentinelError(f":{command.name} needs {command.arg}.", f"Type :{command.usage}.", kind="usage")
        return command, rest


def split_args(arg: str) -> list[str]:
    """Shell-like words, so that a quoted argument can hold spaces."""
    try:
        return shlex.split(arg)
    except ValueError:
        return arg.split()
