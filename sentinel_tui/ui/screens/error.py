"""A modal that says what went wrong and what to do; the rest of the app stays usable.

    app.push_screen(ErrorScreen(error))                 # a SentinelError or any exception
    app.push_screen(ErrorScreen(error, title="Push failed"))

It never shows a traceback: a SentinelError shows its `what` and `fix` (and its
`detail` behind the details toggle); any other exception is reported as a bug with
its type and message. All text is shown as plain text (no markup is parsed) with
control characters made visible.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ..format import clean
from ..keymap import KEYS

from ...aws.errors import AwsError
from ...errors import SentinelError
from ...ops.push import PushError

TITLES = {
    "access-denied": "Access denied",
    "no-credentials": "No AWS credentials",
    "expired-credentials": "The AWS credentials have expired",
    "invalid-credentials": "The AWS credentials are not valid",
    "endpoint-unreachable": "The endpoint cannot be reached",
    "connection-dropped": "The connection dropped",
    "throttled": "AWS is throttling requests",
    "not-found": "Not found",
    "read-only": "Read-only mode",
    "usage": "Cannot do that",
    "unknown-region": "Unknown region",
    "tls-error": "TLS error",
    "clock-skew": "The clock is off",
    "service-unavailable": "AWS is not available",
}


def describe(error: BaseException) -> tuple[str, str, str, str]:
    """(kind, what, fix, detail) for any exception; nothing here is a traceback."""
    if isinstance(error, SentinelError):
        details = []
        if isinstance(error, AwsError):
            for label, value in (("service", error.service), ("operation", error.operation), ("AWS code", error.code),
                                 ("resource", error.resource), ("principal", error.principal)):
                if value:
                    details.append(f"{label}: {value}")
            if error.outcome_unknown:
                details.append("The request may have been carried out: re-read before repeating a write.")
        if isinstance(error, PushError) and error.ssm_state:
            details.append(f"SSM now holds: {error.ssm_state}")
        if error.detail:
            details.append(error.detail)
        return error.kind, error.what, error.fix, "\n".join(details)
    name = type(error).__name__
    message = str(error) or name
    return ("bug", f"Unexpected {name}: {message}",
            "This is a bug in sentinel-tui. The rest of the app still works; please report what you did "
            "(run with SENTINEL_TUI_DEBUG=1 for more).",
            f"{type(error).__module__}.{name}")


# The command-line flags an error's text names, and what does the same inside the app.
_IN_APP = (
    (re.compile(r"--aws-profile(?: NAME)?"), ":profile NAME"),
    (re.compile(r"--region(?= \(e\.g\.)"), ":region"),
    (re.compile(r"--region eu-west-1"), ":region eu-west-1"),
    (re.compile(r"--region(?: REGION)?"), ":region REGION"),
    (re.compile(r"--endpoint-url"), ":endpoint URL"),
    (re.compile(r"--policy-root"), ":root PATH"),
)


def app_words(text: str) -> str:
    """An error's advice in the app's terms: `:profile NAME` where the CLI's is `--aws-profile NAME`
    (the app's dialogs told users to pass flags they could not pass here)."""
    for pattern, words in _IN_APP:
        text = pattern.sub(words, text)
    return text.replace("Pass :region", "Type :region")


class ErrorScreen(ModalScreen[None]):
    """What happened, the fix, and the raw details behind `d`."""

    BINDINGS = KEYS["ErrorScreen"]

    CSS_PATH = "error.tcss"

    def __init__(self, error: BaseException, *, title: str | None = None) -> None:
        super().__init__()
        self.error = error
        self.kind, self.what, self.fix, self.detail = describe(error)
        self.what, self.fix = app_words(self.what), app_words(self.fix)
        self.title_text = title or TITLES.get(self.kind, "Something went wrong")

    def compose(self) -> ComposeResult:
        with Vertical(id="error-box"):
            yield Static(Text(f"✘ {clean(self.title_text)}"), id="error-title")
            with VerticalScroll(id="error-body"):
                yield Static(Text(clean(self.what)), id="error-what")
                if self.fix:
                    fix = Text()
                    fix.append("What to do: ", style="bold")
                    fix.append(clean(self.fix))
                    yield Static(fix, id="error-fix")
                details = Text(f"kind: {self.kind}\n")
                details.append(clean(self.detail or "(no further details)"))
                yield Static(details, id="error-details")
            with Horizontal(id="error-buttons"):
                yield Button("Details (d)", id="error-toggle", compact=True)
                yield Button("Close (esc)", id="error-close", variant="error", compact=True)

    def on_mount(self) -> None:
        self.query_one("#error-close", Button).focus()

    def action_dismiss_error(self) -> None:
        self.dismiss(None)

    def action_toggle_details(self) -> None:
        self.toggle_class("-details")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "error-toggle":
            self.action_toggle_details()
        else:
            self.dismiss(None)
