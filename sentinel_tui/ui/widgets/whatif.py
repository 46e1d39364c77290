"""The detail pane's "What if" tab: decide a request against the selected policy.

User, profile, mode (default: the TVM's, server), time (default now, any zone) and
a device posture preset. Shows the raw decision (``core.evaluate``, upstream's
``Evaluate`` exactly), what the serving TVM does (only ``deny`` refuses), each
earlier rule's first failing condition ("why not", with the time in the rule's
zone), the deciding rule highlighted in the YAML, and the policy's tests when a
``NAME.tests.yaml`` sits next to its local file.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable, Mapping

from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Vertical, VerticalScroll
from textual.widgets import Input, Select, Static

from ...core.evaluate import POSTURE_PRESETS, Request, RequestError, parse_user_time
from ...core.policy import Policy, PolicyError, parse_policy
from ...ops.fleet import FleetEntry
from ...ops.whatif import WhatIf, describe, what_if
from ..format import clean, role_style

MODES = ("server", "cli", "credential_process")


def _rule_span(policy: Policy, index: int, total_lines: int) -> tuple[int, int]:
    """First and last line of rule `index` (1-based, inclusive)."""
    start = policy.rules[index].line or 1
    following = [r.line for r in policy.rules[index + 1:] if r.line]
    end = (following[0] - 1) if following else total_lines
    return start, max(start, end)


def result_view(result: WhatIf | None, error: str | None, policy_text: str, roles: Mapping[str, str],
                tests: list[Text] | None = None) -> Group:
    parts: list = []
    if error is not None:
        parts.append(Text(f"✘ {error}", style=role_style(roles, "error")))
        return Group(*parts)
    if result is None:
        parts.append(Text("Type a user and a profile.", style=Style(dim=True)))
        return Group(*parts)
    d = result.decision
    good = d.effect == "allow"
    head = Text()
    head.append("Decision  ", style=Style(bold=True))
    head.append(describe(d), style=role_style(roles, "success" if good else "error" if d.effect == "deny"
                                              else "warning", bold=True))
    parts.append(head)
    if d.reason and d.rule_index >= 0:
        parts.append(Text(f"  reason: {clean(d.reason)}"))
    if d.max_server_duration:
        from ...core.policy import format_go_duration

        parts.append(Text(f"  max_server_duration: {format_go_duration(d.max_server_duration)}"))
    view = result.view
    tvm = Text()
    tvm.append("TVM       ", style=Style(bold=True))
    tvm.append("ISSUES credentials" if view.issues else "REFUSES",
               style=role_style(roles, "success" if view.issues else "error", bold=True))
    tvm.append(f"  ({clean(result.tvm_label)}: mode server, "
               + (f"session table {clean(result.tvm_request.session_table)!r}" if result.tvm_request.session_table
                  else "no session table") + ")", style=Style(dim=True))
    parts.append(tvm)
    if result.tvm_decision != d:
        parts.append(Text(f"  as the TVM asks: {describe(result.tvm_decision)}"))
    for w in view.warnings:
        parts.append(Text(f"  ! {clean(w)}", style=role_style(roles, "warning", bold=True)))
    for n in view.notes:
        parts.append(Text(f"  · {clean(n)}", style=Style(dim=True)))
    parts.append(Text(""))
    parts.append(Text("Rules tried (first match decides)", style=Style(bold=True)))
    for t in result.trace:
        line = Text(f"  {t.index:>2} ")
        if t.matched:
            line.append(f"MATCH {clean(t.name)}", style=role_style(roles, "success", bold=True))
        else:
            line.append(f"no    {clean(t.name)}: ", style=Style(dim=True))
            line.append(clean(t.why_not))
        parts.append(line)
    if result.trace and not result.trace[-1].matched:
        parts.append(Text("     no rule matched: default deny", style=Style(dim=True)))
    if tests:
        parts.append(Text(""))
        parts.extend(tests)
    # the YAML, deciding rule highlighted
    lines = policy_text.splitlines()
    span = _rule_span(result.policy, d.rule_index, len(lines)) if d.rule_index >= 0 else None
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", no_wrap=True, style=Style(dim=True))
    grid.add_column(overflow="fold")
    mark = role_style(roles, "success" if good else "warning", bold=True)
    for number, line in enumerate(lines, 1):
        inside = span is not None and span[0] <= number <= span[1]
        grid.add_row(Text(("▶ " if inside else "") + str(number)), Text(clean(line), style=mark if inside else ""))
    parts.append(Text(""))
    parts.append(grid)
    return Group(*parts)


class WhatIfPanel(Vertical):
    DEFAULT_CSS = """
    WhatIfPanel { height: 1fr; }
    WhatIfPanel #whatif-form { grid-size: 2; grid-columns: 9 1fr; grid-rows: 1; height: auto; grid-gutter: 0 1; }
    WhatIfPanel #whatif-form Static { color: $text-muted; }
    WhatIfPanel #whatif-result { height: 1fr; }
    """

    def __init__(self, *, clock: Callable[[], datetime] | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.entry: FleetEntry | None = None
        self.result: WhatIf | None = None
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        with Grid(id="whatif-form"):
            yield Static("user")
            yield Input(placeholder="user name (IAM)", id="whatif-user", compact=True)
            yield Static("profile")
            yield Input(placeholder="profile", id="whatif-profile", compact=True)
            yield Static("mode")
            yield Select([(m + (" (the TVM's)" if m == "server" else ""), m) for m in MODES], value="server",
                         allow_blank=False, id="whatif-mode", compact=True)
            yield Static("time")
            yield Input(placeholder="now · 2026-03-02 21:00 Europe/Berlin · RFC 3339", id="whatif-time",
                        compact=True)
            yield Static("device")
            yield Select([(name if name != "none" else "none (no posture)", name) for name in POSTURE_PRESETS],
                         value="none", allow_blank=False, id="whatif-device", compact=True)
        with VerticalScroll(id="whatif-result"):
            yield Static(id="whatif-text")

    # -- public ----------------------------------------------------------------------------

    def show(self, entry: FleetEntry | None) -> None:
        self.entry = entry
        source = self._source(entry) if entry is not None else None
        if source is not None:
            profile = self.query_one("#whatif-profile", Input)
            if not profile.value:
                try:
                    policy = parse_policy(source[0])
                    first = next((p for r in policy.rules for p in r.conditions.profiles), "")
                except PolicyError:
                    first = ""
                profile.value = first
        self.evaluate()

    def set_request(self, *, user: str | None = None, profile: str | None = None, mode: str | None = None,
                    time: str | None = None, device: str | None = None) -> None:
        for name, value in (("user", user), ("profile", profile), ("time", time)):
            if value is not None:
                self.query_one(f"#whatif-{name}", Input).value = value
        if mode is not None:
            self.query_one("#whatif-mode", Select).value = mode
        if device is not None:
            self.query_one("#whatif-device", Select).value = device
        self.evaluate()

    # -- events ----------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.evaluate()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.evaluate()

    # -- work --------------------------------------------------------------------------------

    def _request(self) -> Request:
        user = self.query_one("#whatif-user", Input).value
        profile = self.query_one("#whatif-profile", Input).value
        mode = self.query_one("#whatif-mode", Select).value
        text = self.query_one("#whatif-time", Input).value.strip()
        if text and text.lower() != "now":
            when, nanos = parse_user_time(text)
        else:
            when, nanos = self.clock(), 0
        device = POSTURE_PRESETS.get(str(self.query_one("#whatif-device", Select).value))
        return Request(user=user, profile=profile, time=when, mode=str(mode), device=device, nanosecond=nanos)

    @staticmethod
    def _source(entry: FleetEntry) -> tuple[bytes, str] | None:
        """The stored policy, else (a policy only in the local folder) its local file."""
        if entry.policy is not None and entry.policy.value is not None:
            return entry.policy.data, entry.policy.value
        if entry.policy is None and entry.local_path is not None:
            try:
                data = entry.local_path.read_bytes()
            except OSError:
                return None
            return data, data.decode("utf-8", "replace")
        return None

    def evaluate(self) -> None:
        entry = self.entry
        out = self.query_one("#whatif-text", Static)
        roles = self.app.theme_variables
        self.result, self.error = None, None
        source = self._source(entry) if entry is not None else None
        if entry is None or source is None:
            out.update(Text("No policy to ask.", style=Style(dim=True)))
            return
        data, text = source
        try:
            policy = parse_policy(data)
        except PolicyError as exc:
            self.error = f"The policy does not parse ({exc}): the TVM denies every request."
            out.update(result_view(None, self.error, text, roles))
            return
        try:
            request = self._request()
        except RequestError as exc:
            self.error = str(exc)
            out.update(result_view(None, self.error, text, roles))
            return
        self.result = what_if(policy, request, entry.tvms[0] if entry.tvms else None)
        parts = [Text(f"The local file {entry.local_path.name} (not in SSM yet).", style=Style(dim=True))] \
            if entry.policy is None else []
        out.update(Group(*parts, result_view(self.result, None, text, roles, self._tests(entry))))

    def _tests(self, entry: FleetEntry) -> list[Text]:
        """The policy's tests (NAME.tests.yaml beside its local file), run on the policy shown."""
        source = self._source(entry)
        if entry.local_path is None or source is None:
            return []
        from ...errors import SentinelError
        from ...ops.policytests import tests_beside

        roles = self.app.theme_variables
        try:
            report = tests_beside(entry.local_path, source[0], entry.tvms[0] if entry.tvms else None)
        except SentinelError as exc:
            return [Text(f"Tests: {clean(exc.what)}", style=role_style(roles, "error"))]
        if report is None:
            return []
        head = Text("Tests ", style=Style(bold=True))
        on = "the stored policy" if entry.policy is not None else "the local file"
        head.append(f"({clean(report.tests_label.rsplit('/', 1)[-1])}, on {on}): {report.summary()}",
                    style=role_style(roles, "success" if report.ok else "error"))
        lines = [head]
        for r in report.failed:
            lines.append(Text(f"  ✘ {clean(r.case.name)}: {clean('; '.join(r.problems))}",
                              style=role_style(roles, "error")))
            lines.extend(Text(f"      {clean(w)}", style=Style(dim=True)) for w in r.why)
        return lines
