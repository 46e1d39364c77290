"""`:contexts`: the configured contexts, which are shown, and a pick of one, several or all.

`:contexts import` (or `i` here) offers the profiles of the AWS config file that are not
contexts yet (ops/contexts.py, as `sentinel-tui contexts import`): each is shown with the
region and endpoint it would get, the ones wanted are picked, and nothing is written until
a last confirmation names the settings file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, SelectionList, Static
from textual.widgets.selection_list import Selection

from ...config import ContextSpec, config_file
from ...errors import SentinelError
from ...ops.contexts import add_contexts, import_offers
from ..format import clean, role_style
from ..keymap import KEYS
from ..shell import AppScreen

__all__ = ["ContextsScreen", "ContextImportScreen", "context_line"]


def context_line(spec: ContextSpec, shown: bool, width: int = 14) -> Text:
    """One context: its name, then each field it sets (`inherited` for what it leaves to the settings)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{clean(spec.name):<{width}}", style=Style(bold=True))
    text.append("shown " if shown else "      ", style=Style(bold=True, italic=True))
    for label, value in (("profile", spec.profile), ("region", spec.region), ("root", spec.policy_root),
                         ("endpoint", spec.endpoint_url)):
        if value is None and label in ("root", "endpoint"):
            continue
        text.append(f"  {label} ", style=Style(dim=True))
        text.append(clean(value) if value is not None else "(inherited)", style="" if value else Style(dim=True))
    return text


class ContextPicker(SelectionList[str], inherit_bindings=False, can_focus=False):
    """A SelectionList that takes no key itself: its screen's bindings move and toggle it, so every key of
    a burst (`a`, `↓`, `space`, `enter`) is handled in the order typed, in one place. (Keys the list handled
    went ahead of those that bubbled up to the screen.) The mouse works as on any SelectionList."""

    BINDINGS = KEYS["ContextPicker"]


class _PickerScreen(ModalScreen, AppScreen):
    def action_picker(self, action: str) -> None:
        picker = self.query_one("#contexts-list", ContextPicker)
        if picker.display and not picker.disabled:
            {"cursor_down": picker.action_cursor_down, "cursor_up": picker.action_cursor_up,
             "first": picker.action_first, "last": picker.action_last, "page_down": picker.action_page_down,
             "page_up": picker.action_page_up, "select": self._toggle}[action]()

    def _toggle(self) -> None:
        """Now, not through SelectionList's message (an enter typed right after would not see it)."""
        picker = self.query_one("#contexts-list", ContextPicker)
        if picker.highlighted is not None:
            picker.toggle(picker.get_option_at_index(picker.highlighted))


class ContextsScreen(_PickerScreen):
    """Dismisses with (the names of the contexts to show, [] when closed; every context it knows now,
    those imported here included)."""

    CSS_PATH = "contexts.tcss"
    HELP_TITLE = "Contexts"

    BINDINGS = KEYS["ContextsScreen"]

    def __init__(self, specs: Sequence[ContextSpec], shown: Sequence[str]) -> None:
        super().__init__()
        self.specs = list(specs)
        self.shown = list(shown)

    def compose(self) -> ComposeResult:
        with Vertical(id="contexts-box"):
            yield Static(id="contexts-title")
            yield Static(id="contexts-help")
            yield ContextPicker(id="contexts-list")
        yield Footer()

    def on_mount(self) -> None:
        self.refill()

    def refill(self, specs: Sequence[ContextSpec] | None = None) -> None:
        if specs is not None:
            self.specs = list(specs)
        roles = self.app.theme_variables
        title = self.query_one("#contexts-title", Static)
        help_text = self.query_one("#contexts-help", Static)
        picker = self.query_one("#contexts-list", SelectionList)
        picker.clear_options()
        if not self.specs:
            title.update(Text(f"No contexts in {clean(config_file())}", style="bold"))
            help_text.update(Text("A context is a named (profile, region, policy root, endpoint): add "
                                  "[contexts.NAME] tables to the settings file, or press i to see the profiles of "
                                  "your AWS config file offered as contexts. esc closes.",
                                  style=role_style(roles, "muted")))
            picker.display = False
            return
        picker.display = True
        title.update(Text(f"{len(self.specs)} context{'s' if len(self.specs) != 1 else ''} in "
                          f"{clean(config_file())}", style="bold"))
        help_text.update(Text("space picks · a: all · enter shows the picked (one: the app on it; several: one "
                              "table) · i: import from the AWS config file · esc closes",
                              style=role_style(roles, "muted")))
        width = max(len(clean(s.name)) for s in self.specs) + 1
        picker.add_options([Selection(context_line(s, s.name in self.shown, width), s.name, s.name in self.shown)
                            for s in self.specs])
        if picker.highlighted is None and picker.option_count:
            picker.highlighted = 0

    def action_cancel(self) -> None:
        self.dismiss(([], self.specs))

    def action_all(self) -> None:
        picker = self.query_one("#contexts-list", SelectionList)
        if len(picker.selected) == picker.option_count:
            picker.deselect_all()
        else:
            picker.select_all()

    def action_show(self) -> None:
        picker = self.query_one("#contexts-list", SelectionList)
        picked = [s.name for s in self.specs if s.name in picker.selected]
        if not picked:
            self.notify("Pick a context first (space), or a for all.", timeout=3)
            return
        self.dismiss((picked, self.specs))

    def action_import(self) -> None:
        def done(added: list[ContextSpec] | None) -> None:
            if added:
                self.refill([*self.specs, *(c for c in added if c.name not in {s.name for s in self.specs})])

        self.app.push_screen(ContextImportScreen(), done)


class ContextImportScreen(_PickerScreen):
    """The AWS profiles that are not contexts yet; the picked ones are written after a confirmation.

    Dismisses with the contexts written to the settings file (None or [] when nothing was)."""

    CSS_PATH = "contexts.tcss"
    HELP_TITLE = "Import contexts"

    BINDINGS = KEYS["ContextImportScreen"]

    def __init__(self) -> None:
        super().__init__()
        self.offers: list[ContextSpec] = []
        self.confirming: list[ContextSpec] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="contexts-box"):
            yield Static(id="contexts-title")
            yield Static(id="contexts-help")
            yield ContextPicker(id="contexts-list")
            yield Static(id="contexts-ask")
        yield Footer()

    def on_mount(self) -> None:
        roles = self.app.theme_variables
        title = self.query_one("#contexts-title", Static)
        help_text = self.query_one("#contexts-help", Static)
        picker = self.query_one("#contexts-list", SelectionList)
        self.query_one("#contexts-ask", Static).display = False
        try:
            found = import_offers()
        except (SentinelError, ValueError) as exc:  # ConfigError is a ValueError: a settings file that does not read
            title.update(Text("The AWS config file could not be offered", style="bold"))
            help_text.update(Text(f"{clean(exc)} Nothing was written. esc closes.", style=role_style(roles, "error")))
            picker.display = False
            return
        self.offers = found.offers
        skipped = "".join(f"\nskipped profile {clean(name)}: {clean(why)}" for name, why in found.skipped)
        if not self.offers:
            title.update(Text("Nothing to import", style="bold"))
            help_text.update(Text(("Every profile of the AWS config file is already a context." if found.profiles
                                   else "The AWS config file has no profiles (AWS_CONFIG_FILE names it).")
                                  + skipped + " esc closes.", style=role_style(roles, "muted")))
            picker.display = False
            return
        n = len(self.offers)
        title.update(Text(f"{n} AWS profile{'s' if n != 1 else ''} could become {'contexts' if n != 1 else 'a context'}",
                          style="bold"))
        help_text.update(Text("Each keeps its profile's name, region and endpoint. space picks · enter adds the "
                              f"picked (asks first) · esc: nothing is written{skipped}",
                              style=role_style(roles, "muted")))
        width = max(len(clean(c.name)) for c in self.offers) + 1
        picker.add_options([Selection(context_line(c, False, width), c.name, True) for c in self.offers])
        if picker.highlighted is None and picker.option_count:
            picker.highlighted = 0

    def action_cancel(self) -> None:
        if self.confirming:
            self.confirming = []
            self.query_one("#contexts-ask", Static).display = False
            self.query_one("#contexts-list", SelectionList).disabled = False
            self.notify("Nothing was written.", timeout=3)
            return
        self.dismiss(None)

    def action_add(self) -> None:
        if self.confirming:
            return  # y writes, n or esc does not
        picker = self.query_one("#contexts-list", SelectionList)
        picked = [c for c in self.offers if c.name in picker.selected]
        if not picked:
            self.notify("Pick a profile first (space).", timeout=3)
            return
        self.confirming = picked
        picker.disabled = True
        ask = self.query_one("#contexts-ask", Static)
        ask.display = True
        names = ", ".join(clean(c.name) for c in picked)
        ask.update(Text(f"Add {len(picked)} context{'s' if len(picked) != 1 else ''} ({names}) to "
                        f"{clean(config_file())}? y writes {'them' if len(picked) != 1 else 'it'} · n or esc: nothing is written",
                        style=role_style(self.app.theme_variables, "warning", bold=True)))

    def action_confirm(self) -> None:
        if not self.confirming:
            return
        picked, self.confirming = self.confirming, []
        try:
            path: Path = add_contexts(picked)
        except (SentinelError, OSError, ValueError) as exc:
            self.notify(f"Nothing was written: {exc}", severity="error", timeout=8)
            self.query_one("#contexts-list", SelectionList).disabled = False
            self.query_one("#contexts-ask", Static).display = False
            return
        self.notify(f"Added {len(picked)} context{'s' if len(picked) != 1 else ''} to {path}.", timeout=5)
        self.dismiss(picked)

