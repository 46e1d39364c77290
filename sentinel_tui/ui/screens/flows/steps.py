"""A list of steps, each pending, running, passed, failed or skipped, with the reason under it.

    steps = StepList([("validate", "Validate"), ("sign", "Sign with KMS")])
    steps.set("validate", PASS, "valid; 2 lint warnings")
    steps.set("sign", FAIL, "AccessDeniedException: not authorized to perform kms:Sign")

Every status has a symbol and a word, so the list reads without colour. Texts from
AWS or a policy are shown as plain text (never markup), with control characters
made visible.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from ...format import clean, role_style

PENDING, RUNNING, PASS, FAIL, SKIP = "pending", "running", "pass", "fail", "skip"

SYMBOL = {PENDING: "·", RUNNING: "▶", PASS: "✔", FAIL: "✘", SKIP: "–"}
WORD = {PENDING: "pending", RUNNING: "now", PASS: "passed", FAIL: "failed", SKIP: "skipped"}
ROLE = {PENDING: "muted", RUNNING: "accent", PASS: "success", FAIL: "error", SKIP: "muted"}


@dataclass
class Step:
    key: str
    title: str
    state: str = PENDING
    why: str = ""


class StepList(Static):
    """The steps of a flow, in order, each with its state and why."""

    DEFAULT_CSS = """
    StepList { height: auto; padding: 0 1; }
    """

    def __init__(self, steps: list[tuple[str, str]] = (), *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.steps: list[Step] = [Step(key, title) for key, title in steps]

    def on_mount(self) -> None:
        self._render_steps()

    def step(self, key: str) -> Step:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)

    def state(self, key: str) -> str:
        return self.step(key).state

    def set(self, key: str, state: str, why: str | None = None) -> None:
        step = self.step(key)
        step.state = state
        if why is not None:
            step.why = why
        self._render_steps()

    def reset(self, keys: list[str] | None = None) -> None:
        for step in self.steps:
            if keys is None or step.key in keys:
                step.state, step.why = PENDING, ""
        self._render_steps()

    def add(self, key: str, title: str) -> None:
        self.steps.append(Step(key, title))
        self._render_steps()

    @property
    def failed(self) -> Step | None:
        return next((s for s in self.steps if s.state == FAIL), None)

    def summary(self) -> str:
        """One line per step, `✔ validate: valid`: what tests and logs read."""
        return "\n".join(f"{SYMBOL[s.state]} {s.key}: {s.why}" for s in self.steps)

    def _render_steps(self) -> None:
        if not self.is_mounted:
            return
        roles = self.app.theme_variables
        # a grid, so that a title or a why that wraps stays indented under its step
        grid = Table.grid(padding=0)
        grid.add_column(width=2, no_wrap=True)
        grid.add_column(ratio=1)
        for step in self.steps:
            style = role_style(roles, ROLE[step.state], bold=step.state in (RUNNING, FAIL))
            title = Text(clean(step.title), style=style if step.state != PENDING else role_style(roles, "muted"))
            if step.state in (RUNNING, FAIL, SKIP):
                title.append(f" — {WORD[step.state]}", style=style)
            grid.add_row(Text(SYMBOL[step.state], style=style), title)
            if step.why:
                why_style = role_style(roles, "error") if step.state == FAIL else role_style(roles, "muted")
                for line in clean(step.why).splitlines() or [""]:
                    grid.add_row(Text(""), Padding(Text(line, style=why_style), (0, 0, 0, 2)))
        self.rendered_steps = grid
        self.update(grid)
