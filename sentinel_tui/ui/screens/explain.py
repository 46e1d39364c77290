"""Explain an error: paste a TVM log line or an error text; see what it means and its likely causes.

The explanation is pure (`ops.explain.explain`, no AWS call) and is redone as the
text changes. Causes are ranked with the fleet the app has loaded. `ctrl+r` runs
the doctor on the policy the text names.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static, TextArea

from ...ops.context import Ops
from ...ops.explain import LIKELY, POSSIBLE, Explanation, explain
from ..format import clean, role_style
from ..shell import AppScreen, shell
from .doctor import DoctorScreen
from ..keymap import KEYS

LIKELIHOOD_ROLE = {LIKELY: "error", POSSIBLE: "warning"}


class ExplainScreen(Screen, AppScreen):
    """A paste box, the meaning, and the causes ranked for this fleet."""

    HELP_TITLE = "Explain an error"
    CSS_PATH = "explain.tcss"

    BINDINGS = KEYS["ExplainScreen"]

    def __init__(self, ops: Ops, text: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ops = ops
        self.initial = text
        self.explanation: Explanation | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Explain an error: paste a TVM log line or an error text"), id="explain-title")
        yield TextArea(self.initial, id="explain-input", soft_wrap=True, show_line_numbers=False,
                       placeholder="e.g. ERROR: Failed to load policy: /sentinel/policies/prod: policy signature "
                                   "verification failed")
        with VerticalScroll(id="explain-output-box"):
            yield Static(id="explain-output")
        yield Footer()

    def on_mount(self) -> None:
        area = self.query_one("#explain-input", TextArea)
        area.cursor_blink = not self.app.is_headless
        area.focus()
        self.update_explanation(self.initial)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.update_explanation(event.text_area.text)

    def _snapshot(self):
        fleet = shell(self).fleet
        # several contexts: the causes are ranked for the context in focus
        fleet = next((c.snapshot for c in shell(self).fleet_contexts if c.ops is self.ops), fleet)
        return fleet if fleet is not None and fleet.entries else None

    def update_explanation(self, text: str) -> None:
        out = self.query_one("#explain-output", Static)
        if not text.strip():
            self.explanation = None
            out.update(Text("Paste the text above; the explanation follows as you type.",
                            style=Style(dim=True)))
            return
        snapshot = self._snapshot()
        self.explanation = explain(text, snapshot, root=self.ops.settings.policy_root)
        out.update(self.render_explanation(self.explanation))

    def render_explanation(self, e: Explanation) -> Text:
        roles = self.app.theme_variables
        text = Text()
        text.append(clean(e.title) + "\n", style=role_style(roles, "accent" if e.recognised else "warning",
                                                              bold=True))
        text.append("Meaning: ", style=Style(bold=True))
        text.append(clean(e.meaning) + "\n")
        if e.detail:
            text.append("Detail: ", style=Style(bold=True))
            text.append(clean(e.detail) + "\n")
        if e.tvm_effect:
            text.append("The TVM: ", style=Style(bold=True))
            text.append(clean(e.tvm_effect) + "\n")
        if e.policy_path:
            text.append("Policy: ", style=Style(bold=True))
            text.append(clean(e.policy_path) + "\n")
        if e.causes:
            text.append("\nLikely causes, for this fleet as it stands", style=Style(bold=True))
            if e.fleet_note:
                text.append(f" ({clean(e.fleet_note)})", style=Style(dim=True))
            text.append("\n")
            for index, cause in enumerate(e.causes, 1):
                text.append(f"{index}. ")
                text.append(f"[{cause.likelihood}] ", style=role_style(roles, LIKELIHOOD_ROLE.get(cause.likelihood,
                                                                                                   "muted")))
                text.append(clean(cause.cause) + "\n")
                if cause.evidence:
                    text.append("   evidence: ", style=Style(dim=True))
                    text.append(clean(cause.evidence) + "\n")
                if cause.fix:
                    text.append("   fix: ", style=Style(dim=True))
                    text.append(clean(cause.fix) + "\n")
        if e.policy_name:
            text.append(f"\nctrl+r: run the doctor on {clean(e.policy_name)}",
                        style=role_style(roles, "accent", bold=True))
        return text

    def action_doctor(self) -> None:
        name = self.explanation.policy_name if self.explanation else None
        if not name:
            self.notify("The text names no policy under the root: run the doctor with :doctor NAME.",
                        title="No policy named", timeout=5)
            return
        self.app.push_screen(DoctorScreen(self.ops, name))

    def action_clear(self) -> None:
        self.query_one("#explain-input", TextArea).clear()

    def action_close(self) -> None:
        self.dismiss(self.explanation)
