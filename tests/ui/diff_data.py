"""Fixed inputs for the diff view's Pilot and snapshot tests (no clock, no AWS)."""

from __future__ import annotations

from datetime import datetime, timezone

from textual.app import App, ComposeResult
from textual.widgets import Footer

from sentinel_tui.core.envelope import dump_envelope, make_envelope
from sentinel_tui.ops.diffs import DiffRequest
from sentinel_tui.ui.widgets.diff_view import DiffView

from .shell_host import ShellHost

PATH = "/sentinel/policies/production"

STORED = (
    b'version: "1"\n'
    b"rules:\n"
    b"  - name: deny-contractors   # contractors never reach production\n"
    b"    effect: deny\n"
    b"    conditions:\n"
    b"      users: [contractor-1, contractor-2]\n"
    b"  - name: on-call\n"
    b"    effect: allow\n"
    b"    conditions:\n"
    b"      profiles: [production]\n"
    b"      users: [alice, bob]\n"
    b"      time:\n"
    b"        days: [monday, tuesday, wednesday, thursday, friday]\n"
    b'        hours: {start: "08:00", end: "18:00"}\n'
    b"        timezone: Europe/Berlin\n"
    b"  - name: break-glass\n"
    b"    effect: require_approval\n"
    b"    conditions:\n"
    b"      profiles: [production]\n"
    b'    reason: "break-glass access is reviewed"\n'
)

# Edited locally: a user added, hours changed, a trailing space, a comment reworded with a tab,
# and the final newline lost: byte changes and changes in meaning together.
LOCAL = (
    STORED.replace(b"# contractors never reach production", b"# contractors:\tnever")
    .replace(b"[alice, bob]", b"[alice, bob, carol]")
    .replace(b'end: "18:00"', b'end: "20:00"')
    .replace(b"    effect: allow\n", b"    effect: allow  \n")
    .rstrip(b"\n")
)

# Only invisible and cosmetic changes: CRLF endings and a comment; the meaning is the same.
COSMETIC = STORED.replace(b"# contractors never reach production", b"# no contractors").replace(b"\n", b"\r\n")

HOSTILE = STORED.replace(b"break-glass access is reviewed",
                         "[bold red]owned[/] \x1b[31mred\x1b[0m \u202egnp.exe".encode("utf-8"))


def envelope_for(data: bytes) -> str:
    env = make_envelope(b"\x02" * 512, "alias/sentinel-policy-signing", data,
                        datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc))
    return dump_envelope(env, indent=False)


def local_request(new: bytes = LOCAL, **kw) -> DiffRequest:
    kw.setdefault("envelope", envelope_for(STORED))
    return DiffRequest(old=STORED, new=new, old_label=f"stored version 4 of {PATH}",
                       new_label="policies/production.yaml", kind="local", name="production", path=PATH,
                       file="policies/production.yaml", key_id="alias/sentinel-policy-signing", **kw)


class DiffHost(App):
    """A minimal app around one DiffView: no app shell, no AWS."""

    def __init__(self, request: DiffRequest | None, layout: str = "split"):
        super().__init__()
        self.request = request
        self.layout = layout

    def compose(self) -> ComposeResult:
        yield DiffView(self.request, layout=self.layout)
        yield Footer()


class ScreenHost(ShellHost):
    """A minimal app that pushes a screen on start."""

    def __init__(self, screen_factory, ops=None):
        super().__init__(ops)
        self.screen_factory = screen_factory

    def on_mount(self) -> None:
        self.push_screen(self.screen_factory())
