"""The detail pane of one policy: Policy / Signature / TVMs / History tabs.

- Policy: the stored YAML, highlighted with pygments' YamlLexer (given explicitly: a
  parameter name has no suffix to guess from), line numbers, and each lint warning
  or parse error beside its line.
- Signature: the decoded envelope, each field next to the check it passed or failed.
- TVMs: every TVM that serves the policy and what it would do right now
  (`FleetService.assess_entry(entry, tvm)` per TVM, in a worker: it may fetch a
  public key once).
- History: every version with date, user, hash, and whether the stored signature
  covers that version's bytes (`ops.store.history(path)`, in a worker, loaded when
  the tab is opened).

Workers belong to this widget: closing the pane or moving to another policy
cancels them. Nothing is rendered from markup: every value is a `Text`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Mapping

from pygments.lexers.data import YamlLexer
from pygments.token import Comment, Keyword, Name, Number, Punctuation, String, Token
from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import ScrollableContainer, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from ...errors import SentinelError
from ...core.envelope import ALGORITHM, policy_hash
from ...core.policy import MAX_POLICY_BYTES, PolicyCheck
from ...core.status import STATUS_MEANING, Assessment, Status
from ...core.tvm import TvmConfig
from ...ops.fleet import FleetEntry
from ..shell import shell
from .whatif import WhatIfPanel
from ..format import (
    ago, clean, one_line, role_style, signed_at_text, size_text, status_text, timestamp, verdict_text,
)

TABS = ("policy", "signature", "tvms", "history", "whatif")
OK, FAIL, WARN, INFO = "✔", "✘", "!", "·"

# -- Policy tab ------------------------------------------------------------------------------

_TOKEN_ROLES: tuple[tuple[object, str, dict], ...] = (
    (Comment, "muted", {"italic": True}),
    (Name.Tag, "primary", {}),
    (String, "success", {}),
    (Number, "warning", {}),
    (Keyword, "warning", {}),
    (Name.Constant, "warning", {}),
    (Punctuation, "secondary", {}),
)


def _token_style(token, roles: Mapping[str, str]) -> Style:
    for parent, role, extra in _TOKEN_ROLES:
        if token in parent:
            base = role_style(roles, role)
            return base + Style(**extra) if extra else base
    return Style()


def highlight_yaml(text: str, roles: Mapping[str, str]) -> list[Text]:
    """One `Text` per line. Control characters are made visible *before* lexing (pygments would
    otherwise turn a CR into a line break and hide it)."""
    safe = clean(text)
    lexer = YamlLexer(stripnl=False, ensurenl=False, stripall=False)
    lines: list[Text] = [Text()]
    for token, value in lexer.get_tokens(safe):
        style = _token_style(token, roles)
        parts = value.split("\n")
        for index, part in enumerate(parts):
            if index:
                lines.append(Text())
            if part:
                lines[-1].append(part, style=style)
    if len(lines) > 1 and not lines[-1].plain and safe.endswith("\n"):
        lines.pop()  # the final newline ends the last line; it does not start another
    return lines


def policy_view(entry: FleetEntry, roles: Mapping[str, str]) -> Group | Text:
    """The stored YAML with line numbers, and each finding beside its line."""
    a = entry.assessment
    if entry.needs_values:  # a row shown from the cache: its pair is being read
        return Text("Reading the stored policy… (this row was shown from the cache)", style=role_style(roles, "muted"))
    if entry.policy is None or entry.policy.value is None:
        if entry.policy_error:
            return Text(f"{FAIL} The policy could not be read here: {clean(entry.policy_error)}",
                        style=role_style(roles, "error"))
        if entry.local_path is not None and entry.policy is None and not entry.signature:
            return Text(f"Only in the local folder ({clean(entry.local_path.name)}): not in SSM yet.",
                        style=role_style(roles, "accent"))
        return Text(f"No policy is stored at {clean(entry.path)}.", style=role_style(roles, "warning"))
    check: PolicyCheck | None = entry.policy_check() if a else None
    notes: dict[int, list[Text]] = {}
    top: list[Text] = []
    if check is not None:
        if check.error is not None:
            role = "error"
            label = "parse error (the TVM denies)" if check.stage == "parse" else \
                "validation error (sign/push refuse it; a TVM would load it)"
            message = one_line(check.error.detail.splitlines()[-1] if check.error.detail else str(check.error))
            note = Text(f"{FAIL} {label}: {message}", style=role_style(roles, role))
            if check.error.line:
                notes.setdefault(check.error.line, []).append(note)
            else:
                top.append(note)
        for warning in check.warnings:
            note = Text(f"{WARN} {clean(warning.code)}: {one_line(warning.message)}",
                        style=role_style(roles, "warning"))
            if warning.line:
                notes.setdefault(warning.line, []).append(note)
            else:
                top.append(note)
        for finding in _semantic_findings(entry, check):  # issue 14: what the policy does
            note = Text(f"{WARN} semantic {clean(finding.code)}: {one_line(finding.message)}",
                        style=role_style(roles, "warning"))
            if finding.line:
                notes.setdefault(finding.line, []).append(note)
            else:
                top.append(note)
    lines = highlight_yaml(entry.policy.value, roles)
    rows = []
    for number, line in enumerate(lines, start=1):
        found = notes.pop(number, [])
        rows.append((Text(f"{number}", style=Style(dim=not found)), line, Text("\n").join(found) if found else None))
    for leftover in notes.values():  # a line number past the end (a parse error at EOF)
        top.extend(leftover)
    numbered = NumberedLines(rows)
    return Group(*top, numbered) if top else Group(numbered)


class NumberedLines:
    """Lines with their numbers in a gutter and, beside a line, what was found on it: folded
    to the width, continuations under the line. (A Rich Table grid draws the same, measuring
    every cell of every row: ~40 ms for a policy of 80 lines, on every cursor move.)"""

    def __init__(self, rows: list[tuple[Text, Text, Text | None]]) -> None:
        self.rows = rows
        self.gutter = max((number.cell_len for number, _, _ in rows), default=1)

    def _texts(self):
        for number, line, note in self.rows:
            yield number, (line if note is None else Text.assemble(line, " ", note))

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        widest = max((text.cell_len for _, text in self._texts()), default=0)
        return Measurement(min(self.gutter + 2, options.max_width), min(self.gutter + 1 + widest, options.max_width))

    def __rich_console__(self, console, options):
        from rich.segment import Segment

        room = max(options.max_width - self.gutter - 1, 1)
        blank = Segment(" " * (self.gutter + 1))
        for number, text in self._texts():
            parts = [text] if text.cell_len <= room and "\n" not in text.plain else \
                list(text.wrap(console, room, overflow="fold")) or [Text()]
            for index, part in enumerate(parts):
                if index:
                    yield blank
                else:
                    yield Segment(" " * (self.gutter - number.cell_len))
                    yield from _segments(number, console)
                    yield Segment(" ")
                yield from _segments(part, console)
                yield Segment.line()


def _segments(text: Text, console):
    """`text` as segments, its own style included (Text.render drops the style of a Text
    without spans)."""
    from rich.segment import Segment

    if not text.spans and text.style:
        return [Segment(text.plain, console.get_style(text.style))] if text.plain else []
    return text.render(console)


def _semantic_findings(entry: FleetEntry, check: PolicyCheck) -> list:
    """Semantic lints (core.semantics), judged with the serving TVM's configuration."""
    if check.policy is None or entry.policy is None:
        return []
    from ...core.semantics import semantic_lints

    try:
        return semantic_lints(check.policy, entry.policy.data, tvm=entry.tvms[0] if entry.tvms else None)
    except Exception:  # a lint never breaks the pane
        return []


def policy_summary(entry: FleetEntry, roles: Mapping[str, str], now: datetime) -> Text:
    a = entry.assessment
    text = Text()
    text.append(clean(entry.path), style="bold")
    if entry.policy is not None:
        text.append(f"  version {entry.policy.version}", style="")
        if entry.policy.last_modified:
            text.append(f"  modified {ago(entry.policy.last_modified, now)}")
        if entry.policy.last_modified_user and entry.policy.last_modified_user != "N/A":
            text.append(f" by {clean(entry.policy.last_modified_user)}")
        if entry.policy.type != "String":
            text.append(f"  {clean(entry.policy.type)}")
    if a is not None and a.size is not None:
        text.append("  size ")
        text.append_text(size_text(a.size, roles))
        text.append(f" / {MAX_POLICY_BYTES:,}", style=Style(dim=True))
    if a is not None and a.policy_hash:
        text.append(f"  sha256 {a.policy_hash[:12]}…", style=Style(dim=True))
    if entry.local is not None:
        text.append(f"  local: {entry.local}")
        if entry.local_path is not None:
            text.append(f" ({clean(entry.local_path.name)})", style=Style(dim=True))
    return text


def status_banner(entry: FleetEntry, roles: Mapping[str, str]) -> Text:
    a = entry.assessment
    text = Text()
    text.append(clean(entry.name), style="bold")
    text.append("  ")
    text.append_text(status_text(entry.status, roles, pending=entry.pending))
    if a is not None:
        text.append("  ")
        text.append(clean(a.reason))
        text.append("\nTVM: ", style=Style(dim=True))
        text.append_text(verdict_text(a, roles, full=True))
    elif entry.pending:
        text.append("  (loading)", style=Style(dim=True))
    return text


# -- Signature tab ---------------------------------------------------------------------------

def _check(ok: bool | None, text: str, roles: Mapping[str, str]) -> Text:
    if ok is None:
        return Text(f"{INFO} {text}", style=Style(dim=True))
    return Text(f"{OK if ok else FAIL} {text}", style=role_style(roles, "success" if ok else "error"))


def signature_view(entry: FleetEntry, roles: Mapping[str, str], now: datetime) -> Group | Text:
    a = entry.assessment
    sig = entry.signature
    head = Text()
    head.append("Signature parameter ", style=Style(dim=True))
    head.append(clean(entry.signature_path), style="bold")
    if sig is not None:
        head.append(f"  version {sig.version}")
        if sig.last_modified:
            head.append(f"  modified {ago(sig.last_modified, now)}")
    if entry.signature_error:
        return Group(head, Text(f"{FAIL} could not be read here: {clean(entry.signature_error)}",
                                style=role_style(roles, "error")))
    if sig is None or a is None:
        why = STATUS_MEANING[Status.UNSIGNED] if entry.policy is not None else "nothing is stored"
        what = Text(f"{FAIL} no signature: {why}", style=role_style(roles, "warning"))
        verdict = [Text.assemble(Text("TVM: ", style=Style(dim=True)), verdict_text(a, roles, full=True))] if a else []
        return Group(head, what, *verdict)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style=Style(dim=True), no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_column(overflow="fold")
    env = a.envelope
    if env is None:
        grid.add_row(Text("envelope"), Text("does not parse"),
                     _check(False, clean(a.envelope_error or "unknown error"), roles))
    else:
        grid.add_row(Text("envelope"), Text("JSON"), _check(True, "parses as the TVM's encoding/json does", roles))
        grid.add_row(Text("signature"), Text(f"{len(env.signature)} bytes"),
                     _check(bool(env.signature), "standard base64, decoded" if env.signature else "empty", roles))
        key = a.verification_key
        if not env.key_id:
            key_check = _check(None, "absent (informational: the TVM uses its own key)", roles)
        elif key and env.key_id == key:
            key_check = _check(True, "is the verification key", roles)
        else:
            key_check = Text(f"{WARN} not the verification key {clean(key or '(none)')}; informational, "
                             "the TVM verifies with its own key", style=role_style(roles, "warning"))
        grid.add_row(Text("key_id"), Text(clean(env.key_id or "—")), key_check)
        grid.add_row(Text("algorithm"), Text(clean(env.algorithm or "—")),
                     _check(env.algorithm == ALGORITHM, "as KMS signs" if env.algorithm == ALGORITHM
                            else f"expected {ALGORITHM}", roles))
        grid.add_row(Text("signed_at"), Text(clean(env.signed_at_text or "—")),
                     _check(env.signed_at is not None if env.signed_at_text else None,
                            f"RFC 3339 with a zone ({signed_at_text(env)})" if env.signed_at
                            else "absent", roles))
        if env.policy_hash:
            same = a.policy_hash is not None and env.policy_hash.lower() == a.policy_hash
            detail = "matches the stored bytes" if same else \
                f"differs from the stored bytes' sha256 {a.policy_hash or '?'}: the policy changed after signing"
            grid.add_row(Text("policy_hash"), Text(clean(env.policy_hash)), _check(same, detail, roles))
        else:
            grid.add_row(Text("policy_hash"), Text("—"), _check(None, "absent: not checked (the TVM never "
                                                                    "checks it either)", roles))
        for label, result in (("verify", a.with_tvm_key), ("verify", a.with_envelope_key)):
            if result is None:
                continue
            if result.valid is None:
                check = _check(False, f"could not check: {clean(result.error or '')}", roles)
            else:
                check = _check(result.valid, "verifies" if result.valid else "does not verify", roles)
            grid.add_row(Text(label), Text(f"with {clean(result.key)}"), check)
        if a.with_tvm_key is None and a.with_envelope_key is None:
            grid.add_row(Text("verify"), Text("not attempted"),
                         _check(None, a.reason, roles))
    raw = Text()
    raw.append("\nStored value\n", style=Style(dim=True, bold=True))
    raw.append(clean(sig.value or ""), style=Style(dim=True))
    return Group(head, grid, raw)


# -- TVMs tab --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TvmRow:
    tvm: TvmConfig
    assessment: Assessment | None
    error: str | None = None


def tvms_view(entry: FleetEntry, rows: list[TvmRow] | None, roles: Mapping[str, str]) -> Group | Text:
    if rows is None:
        return Text("Working out what each TVM would do…", style=Style(dim=True))
    parts: list = []
    if not entry.tvms:
        parts.append(Text("No TVM serves this policy (no Lambda function's SENTINEL_POLICY_PARAMETER names it). "
                          "The settings stand in:", style=Style(dim=True)))
    for row in rows:
        tvm = row.tvm
        title = Text()
        title.append(clean(tvm.source if tvm.source != "settings" else "settings (default_key, enforcing)"),
                     style="bold")
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style=Style(dim=True), no_wrap=True)
        grid.add_column(overflow="fold")
        grid.add_row(Text("key"), Text(clean(tvm.signing_key or "none (nothing is verified)")))
        mode = Text()
        mode.append(tvm.describe_mode(), style=role_style(
            roles, "error" if tvm.config_error else ("success" if tvm.enforcing and tvm.verifies else "warning")))
        if tvm.enforce_raw is not None:
            mode.append(f"  (SENTINEL_ENFORCE_POLICY_SIGNING={clean(tvm.enforce_raw)!r})", style=Style(dim=True))
        grid.add_row(Text("mode"), mode)
        if tvm.enforcement_note:
            grid.add_row(Text("note"), Text(f"{WARN} {clean(tvm.enforcement_note)}", style=role_style(roles, "warning")))
        if row.error:
            grid.add_row(Text("now"), Text(f"{FAIL} could not work it out: {clean(row.error)}",
                                           style=role_style(roles, "error")))
        elif row.assessment is not None:
            grid.add_row(Text("now"), verdict_text(row.assessment, roles, full=True))
            grid.add_row(Text("status"), Text.assemble(status_text(row.assessment.status, roles),
                                                       f"  {clean(row.assessment.reason)}"))
            outcome = row.assessment.tvm
            if outcome.log is not None:
                # The literal line, as CloudWatch shows it after "ERROR: Failed to load policy: ".
                grid.add_row(Text("logs"), Text(clean(outcome.log.rstrip("\n")), style=role_style(roles, "error")))
                if outcome.log_note:
                    grid.add_row(Text(""), Text(clean(outcome.log_note), style=Style(dim=True)))
        if tvm.arn:
            grid.add_row(Text("arn"), Text(clean(tvm.arn), style=Style(dim=True)))
        parts.extend([title, grid, Text("")])
    return Group(*parts)


# -- History tab -----------------------------------------------------------------------------

def history_rows(entry: FleetEntry, versions, roles: Mapping[str, str], now: datetime) -> list[list[Text]]:
    """Version, date, user, sha256, and whether the stored signature covers that version."""
    a = entry.assessment
    env = a.envelope if a else None
    signed_hash = env.policy_hash.lower() if env and env.policy_hash else None
    rows = []
    for version in reversed(versions):  # newest first
        digest = policy_hash(version.data) if version.value is not None else None
        if version.value is None:
            covers = Text("? value not readable", style=Style(dim=True))
        elif entry.signature is None:
            covers = Text("— no signature", style=Style(dim=True))
        elif env is None:
            covers = Text("? envelope unreadable", style=Style(dim=True))
        elif signed_hash is None:
            covers = Text("? no policy_hash", style=Style(dim=True))
        elif signed_hash == digest:
            covers = Text(f"{OK} signature matches", style=role_style(roles, "success"))
        else:
            covers = Text(f"{FAIL} no", style=Style(dim=True))
        current = entry.policy is not None and version.version == entry.policy.version
        when = version.last_modified
        rows.append([
            Text(f"{version.version}{' *' if current else ''}", justify="right"),
            Text(f"{timestamp(when)} ({ago(when, now)})" if when else ""),
            Text(clean(version.last_modified_user or "")),
            Text(digest[:16] + "…" if digest else ""),
            covers,
        ])
    return rows


class DetailPane(Vertical):
    """Shows one FleetEntry; `show(entry)` switches to another."""

    ALLOW_MAXIMIZE = True

    DEFAULT_CSS = """
    DetailPane { height: 1fr; }
    DetailPane #detail-banner { height: auto; padding: 0 1; }
    DetailPane TabbedContent { height: 1fr; }
    DetailPane TabPane { padding: 0 1; }
    DetailPane .detail-scroll { height: 1fr; }
    DetailPane #policy-text { width: 100%; }
    DetailPane #history-table { height: 1fr; }
    """

    class TvmsReady(Message):
        def __init__(self, path: str, version: tuple, rows: list[TvmRow]) -> None:
            super().__init__()
            self.path, self.version, self.rows = path, version, rows

    class HistoryReady(Message):
        def __init__(self, path: str, version: tuple, versions: list | None, error: BaseException | None) -> None:
            super().__init__()
            self.path, self.version, self.versions, self.error = path, version, versions, error

    def __init__(self, *, clock: Callable[[], datetime] | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entry: FleetEntry | None = None
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self._tvm_rows: dict[tuple, list[TvmRow]] = {}
        self._history: dict[tuple, list] = {}
        self._history_error: dict[tuple, BaseException] = {}
        self._pending: set[tuple] = set()  # (tab, version key) being loaded

    def compose(self) -> ComposeResult:
        yield Static(id="detail-banner")
        with TabbedContent(initial="policy", id="detail-tabs"):
            with TabPane("Policy", id="policy"):
                with ScrollableContainer(classes="detail-scroll", id="policy-scroll"):
                    yield Static(id="policy-summary")
                    yield Static(id="policy-text")
            with TabPane("Signature", id="signature"):
                with VerticalScroll(classes="detail-scroll"):
                    yield Static(id="signature-text")
            with TabPane("TVMs", id="tvms"):
                with VerticalScroll(classes="detail-scroll"):
                    yield Static(id="tvms-text")
            with TabPane("History", id="history"):
                yield Static(id="history-note")
                yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
            with TabPane("What if", id="whatif"):  # issue 14: decide a request against this policy
                yield WhatIfPanel(clock=self.clock, id="whatif-panel")

    def on_mount(self) -> None:
        table = self.query_one("#history-table", DataTable)
        for label, key in (("Ver", "version"), ("Modified", "date"), ("User", "user"),
                           ("SHA-256", "hash"), ("Stored signature", "covers")):
            table.add_column(Text(label), key=key)

    # -- public ------------------------------------------------------------------------

    @property
    def active_tab(self) -> str:
        return self.query_one(TabbedContent).active or "policy"

    def show_tab(self, tab: str) -> None:
        if tab not in TABS:
            raise KeyError(tab)
        self.query_one(TabbedContent).active = tab

    def show(self, entry: FleetEntry | None) -> None:
        previous = self.entry
        self.entry = entry
        if previous is None or entry is None or previous.key != entry.key:
            self.cancel_work()
        self.render_entry()

    def cancel_work(self) -> None:
        self.workers.cancel_node(self)
        self._pending.clear()

    # -- rendering ---------------------------------------------------------------------

    @staticmethod
    def _version_key(entry: FleetEntry) -> tuple:
        return (entry.key, entry.policy.version if entry.policy else None,
                entry.signature.version if entry.signature else None, entry.tvms)

    def render_entry(self) -> None:
        entry = self.entry
        roles = self.app.theme_variables
        banner = self.query_one("#detail-banner", Static)
        if entry is None:
            banner.update(Text("No policy selected.", style=Style(dim=True)))
            for name in ("#policy-summary", "#policy-text", "#signature-text", "#tvms-text", "#history-note"):
                self.query_one(name, Static).update("")
            self.query_one("#history-table", DataTable).clear()
            self.query_one(WhatIfPanel).show(None)
            return
        now = self.clock()
        banner.update(status_banner(entry, roles))
        self.query_one("#policy-summary", Static).update(policy_summary(entry, roles, now))
        self.query_one("#policy-text", Static).update(policy_view(entry, roles))
        self.query_one("#signature-text", Static).update(signature_view(entry, roles, now))
        self._render_tvms()
        self._render_history()
        self.query_one(WhatIfPanel).show(entry)
        self._load_for_tab(self.active_tab)

    def _render_tvms(self) -> None:
        entry = self.entry
        if entry is None:
            return
        rows = self._tvm_rows.get(self._version_key(entry))
        self.query_one("#tvms-text", Static).update(tvms_view(entry, rows, self.app.theme_variables))

    def _render_history(self) -> None:
        entry = self.entry
        if entry is None:
            return
        note = self.query_one("#history-note", Static)
        table = self.query_one("#history-table", DataTable)
        key = self._version_key(entry)
        table.clear()
        if entry.policy is None and not entry.policy_error:
            note.update(Text("No policy is stored, so there is no history.", style=Style(dim=True)))
            return
        error = self._history_error.get(key)
        if error is not None:
            what = error.what if isinstance(error, SentinelError) else f"{type(error).__name__}: {error}"
            fix = error.fix if isinstance(error, SentinelError) else ""
            note.update(Text(f"{FAIL} The history could not be read: {clean(what)}"
                             + (f"\n{clean(fix)}" if fix else ""), style=role_style(self.app.theme_variables, "error")))
            return
        versions = self._history.get(key)
        if versions is None:
            note.update(Text("Reading the version history…", style=Style(dim=True)))
            return
        note.update(Text(f"{len(versions)} version{'s' if len(versions) != 1 else ''}; * is the current one. "
                         "\"signature matches\": the stored signature's policy_hash is that version's sha256.",
                         style=Style(dim=True)))
        for index, cells in enumerate(history_rows(entry, versions, self.app.theme_variables, self.clock())):
            table.add_row(*cells, key=str(index))

    # -- workers -------------------------------------------------------------------------

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.tabbed_content.id != "detail-tabs":
            return
        self._load_for_tab(event.pane.id or "")

    def _load_for_tab(self, tab: str) -> None:
        entry = self.entry
        if entry is None or not self.display:
            return
        key = self._version_key(entry)
        if (tab, key) in self._pending:
            return
        if tab == "tvms" and key not in self._tvm_rows:
            self._pending.add((tab, key))
            self._assess_tvms(entry, key)
        elif tab == "history" and key not in self._history and key not in self._history_error \
                and (entry.policy is not None or entry.policy_error):
            self._pending.add((tab, key))
            self._load_history(entry, key)

    def _ops(self, entry: FleetEntry | None = None):
        return shell(self).ops_for(entry if entry is not None else self.entry)  # the entry's own context

    @work(thread=True, exclusive=True, exit_on_error=False, group="detail-tvms")
    def _assess_tvms(self, entry: FleetEntry, key: tuple) -> None:
        worker = get_current_worker()
        fleet = self._ops(entry).fleet
        tvms = list(entry.tvms) or [fleet.settings_tvm()]
        rows = []
        for tvm in tvms:
            if worker.is_cancelled:
                return
            try:
                rows.append(TvmRow(tvm, fleet.assess_entry(entry, tvm)))
            except SentinelError as exc:
                rows.append(TvmRow(tvm, None, exc.what))
        if not worker.is_cancelled:
            self.post_message(self.TvmsReady(entry.path, key, rows))

    @work(thread=True, exclusive=True, exit_on_error=False, group="detail-history")
    def _load_history(self, entry: FleetEntry, key: tuple) -> None:
        worker = get_current_worker()
        try:
            versions = self._ops(entry).store.history(entry.path)
            error = None
        except SentinelError as exc:
            versions, error = None, exc
        if not worker.is_cancelled:
            self.post_message(self.HistoryReady(entry.path, key, versions, error))

    def on_detail_pane_tvms_ready(self, message: TvmsReady) -> None:
        message.stop()
        self._pending.discard(("tvms", message.version))
        self._tvm_rows[message.version] = message.rows
        if self.entry is not None and self._version_key(self.entry) == message.version:
            self._render_tvms()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """enter on a history row: the diff of that version against the current one."""
        if event.data_table.id != "history-table":
            return
        event.stop()
        entry = self.entry
        versions = self._history.get(self._version_key(entry)) if entry is not None else None
        if entry is None or entry.policy is None or not versions:
            return
        newest_first = list(reversed(versions))
        try:
            picked = newest_first[int(event.row_key.value)]
        except (TypeError, ValueError, IndexError):
            return
        current = entry.policy.version
        old = picked.version
        if old == current:  # the current version: what its last change did
            earlier = [v.version for v in versions if v.version < current]
            if not earlier:
                self.notify("Only one version is stored: there is nothing to compare it with.", timeout=4)
                return
            old = earlier[-1]
        shell(self).open_diff(entry.name, versions=(old, current))

    def on_detail_pane_history_ready(self, message: HistoryReady) -> None:
        message.stop()
        self._pending.discard(("history", message.version))
        if message.error is not None:
            self._history_error[message.version] = message.error
        else:
            self._history[message.version] = message.versions or []
        if self.entry is not None and self._version_key(self.entry) == message.version:
            self._render_history()
