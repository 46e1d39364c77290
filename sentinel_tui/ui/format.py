"""Turn fleet data into Rich `Text` for the widgets: one place for words, symbols and colours.

Everything that comes from AWS or from a policy (names, YAML, error texts) may hold
Rich markup such as ``[bold]`` or terminal control characters. Nothing here parses
markup: values are appended to `Text` objects as plain strings (``Text(str)`` and
``Text.append(str)`` never interpret markup) after `inert` has made control
characters visible as ``\\x1b``.

Colours are named by role ("success", "warning", "error", "muted", "accent"); the
widgets resolve a role to the current theme's colour with `role_style`, so a theme
change recolours everything and nothing reads only by colour: every status also has
a symbol and a word.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Mapping

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Text

from ..core.text import inert
from ..core.policy import MAX_POLICY_BYTES
from ..core.status import STATUS_SYMBOL, Assessment, Status, Verdict

# Size starts to warn at 7/8 of the 4,096-byte limit.
SIZE_WARN_BYTES = MAX_POLICY_BYTES * 7 // 8

STATUS_ROLE: dict[Status, str] = {
    Status.VALID: "success",
    Status.UNSIGNED: "warning",
    Status.ORPHAN: "warning",
    Status.STALE: "warning",
    Status.INVALID: "error",
    Status.WRONG_KEY: "error",
    Status.MALFORMED: "error",
    Status.UNPARSEABLE: "error",
    Status.TOO_LARGE: "error",
    Status.UNREADABLE: "accent",
}

# Sorting by status follows the README's order of statuses (valid first).
STATUS_ORDER: dict[Status, int] = {status: index for index, status in enumerate(Status)}

VERDICT_SYMBOL = {
    Verdict.ISSUES: "✔",
    Verdict.DENIES: "✘",
    Verdict.UNVERIFIED: "!",
    Verdict.UNKNOWN: "?",
}
VERDICT_ROLE = {
    Verdict.ISSUES: "success",
    Verdict.DENIES: "error",
    Verdict.UNVERIFIED: "warning",
    Verdict.UNKNOWN: "muted",
}

# The short causes shown in the table; the full TVM text is in the detail pane.
_DENY_CAUSES = (
    ("does not start", "TVM won't start"),
    ("policy not found", "no policy"),
    ("policy not signed", "unsigned"),
    ("failed to parse signature", "bad envelope"),
    ("signature verification error", "KMS error"),
    ("policy signature verification failed", "bad sig"),
    ("signature does not verify", "bad sig"),
    ("failed to load signature", "sig unreadable"),
    ("empty policy", "empty policy"),
    ("missing version field", "no version"),
    ("yaml:", "YAML error"),
)


def role_style(roles: Mapping[str, str], role: str, *, bold: bool = False) -> Style:
    """A Rich style for a colour role, from a theme's variables (`App.theme_variables`)."""
    if role == "muted":
        return Style(dim=True, bold=bold)
    colour = roles.get(f"text-{role}") or roles.get(role)
    try:
        return Style(color=colour, bold=bold) if colour else Style(bold=bold)
    except Exception:  # a theme colour Rich cannot parse: fall back to no colour
        return Style(bold=bold)


def clean(value: object) -> str:
    """Text from AWS or a policy, made safe for a terminal (control characters shown escaped)."""
    return inert(str(value if value is not None else ""))


def one_line(value: object, limit: int | None = None) -> str:
    text = " ".join(clean(value).split())
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
    return text


def status_word(status: Status | None, *, pending: bool = False) -> str:
    if status is None:
        return "loading" if pending else "local only"
    return str(status)


def status_text(status: Status | None, roles: Mapping[str, str], *, pending: bool = False) -> Text:
    """Symbol and word, in the status colour: `✔ valid`. Reads without colour."""
    if status is None:
        symbol = "…" if pending else "·"
        return Text(f"{symbol} {status_word(status, pending=pending)}", style=role_style(roles, "muted"))
    return Text(f"{STATUS_SYMBOL[status]} {status}", style=role_style(roles, STATUS_ROLE[status]))


def verdict_short(assessment: Assessment) -> str:
    """`issues`, `denies: unsigned`, `loads unverified`, `unknown`: the table's TVM column (short;
    the detail pane shows the TVM's full text)."""
    outcome = assessment.tvm
    if outcome.kind is Verdict.ISSUES:
        return "issues"
    if outcome.kind is Verdict.UNVERIFIED:
        return "loads unverified"
    if outcome.kind is Verdict.UNKNOWN:
        return "unknown"
    text = outcome.text
    for needle, cause in _DENY_CAUSES:
        if needle in text:
            return f"denies: {cause}"
    return one_line(text, 24)


def verdict_text(assessment: Assessment | None, roles: Mapping[str, str], *, full: bool = False) -> Text:
    if assessment is None:
        return Text("")
    kind = assessment.tvm.kind
    words = clean(assessment.tvm.text) if full else verdict_short(assessment)
    return Text(f"{VERDICT_SYMBOL[kind]} {words}", style=role_style(roles, VERDICT_ROLE[kind]))


def size_text(size: int | None, roles: Mapping[str, str]) -> Text:
    """Bytes with a thousands separator; `!` in warning colour near 4,096, `✘` in error colour over it."""
    if size is None:
        return Text("")
    if size > MAX_POLICY_BYTES:
        return Text(f"{size:,} ✘", style=role_style(roles, "error", bold=True))
    if size >= SIZE_WARN_BYTES:
        return Text(f"{size:,} !", style=role_style(roles, "warning"))
    return Text(f"{size:,}")


def ago(when: datetime | None, now: datetime) -> str:
    """`now`, `5m ago`, `3h ago`, `12d ago`, `17w ago`, `2y ago`: at most 7 cells, relative to the
    app's clock (so a fixed clock gives stable output)."""
    if when is None:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    seconds = (now - when).total_seconds()
    if seconds < -60:
        return "future"
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h ago"
    if seconds < 86400 * 60:
        return f"{int(seconds // 86400)}d ago"
    if seconds < 86400 * 365:
        return f"{int(seconds // (86400 * 7))}w ago"
    return f"{int(seconds // (86400 * 365.25))}y ago"


def timestamp(when: datetime | None) -> str:
    """An absolute UTC time to the minute: `2026-11-02 09:30Z`."""
    if when is None:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%MZ")


def signed_at_text(envelope) -> str:
    """The envelope's `signed_at` to the minute (UTC); as written when it does not parse."""
    if envelope is None:
        return ""
    if envelope.signed_at is not None:
        return timestamp(envelope.signed_at)
    return one_line(envelope.signed_at_text, 17)


# The name column's share of the table's width, and the room the columns that must always show
# (Status, the TVM verdict) need beside it, with their padding.
NAME_SHARE = 0.4
NAME_MIN = 16
ALWAYS_SHOWN = len("✘ unparseable") + len("✘ denies: sig unreadable") + 2 * 2


def name_width(table_width: int) -> int:
    """The most cells a policy name may take in a table `table_width` cells wide: about 40% of
    it, and never so much that Status and the TVM verdict are pushed off screen (Name is frozen)."""
    if table_width <= 0:
        return 40
    room = table_width - ALWAYS_SHOWN - 2 - 1  # the name's own padding, the scrollbar
    return max(NAME_MIN, min(max(int(table_width * NAME_SHARE), 24), room))


def fit(text: str, width: int) -> str:
    """`text` in at most `width` cells, its end replaced by `…` when it is longer."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(width - 1, 0)) + "…"


# From this table width on, the Signed at column has room for the time as well as the date.
WIDE_TABLE = 150


def signed_at_cell(envelope, table_width: int) -> str:
    """The table's Signed at cell: the date, and the time too when the table is wide."""
    text = signed_at_text(envelope)
    return text if table_width >= WIDE_TABLE else text[:10]
