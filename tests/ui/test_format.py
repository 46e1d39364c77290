"""The app's pure text builders: words, symbols, sizes, dates, YAML lines, header packing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from rich.text import Text

from sentinel_tui.core.status import STATUS_SYMBOL, Status
from sentinel_tui.ui.commands import CommandRegistry
from sentinel_tui.ui.format import SIZE_WARN_BYTES, ago, size_text, status_text
from sentinel_tui.ui.widgets.detail import highlight_yaml
from sentinel_tui.ui.widgets.header import pack
from sentinel_tui.ui.widgets.policy_table import EntryFilter, find_column

ROLES = {"text-success": "#00ff00", "text-warning": "#ffff00", "text-error": "#ff0000", "text-accent": "#0000ff",
         "text-primary": "#0000aa", "text-secondary": "#00aaaa"}
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def test_every_status_reads_without_colour():
    for status in Status:
        text = status_text(status, ROLES)
        assert text.plain == f"{STATUS_SYMBOL[status]} {status}"
    assert status_text(None, ROLES).plain == "· local only"
    assert status_text(None, ROLES, pending=True).plain == "… loading"


def test_size_warns_as_it_nears_the_limit():
    assert size_text(800, ROLES).plain == "800"
    assert size_text(SIZE_WARN_BYTES, ROLES).plain == f"{SIZE_WARN_BYTES:,} !"
    assert size_text(4096, ROLES).plain == "4,096 !"
    assert size_text(4097, ROLES).plain == "4,097 ✘"
    assert size_text(None, ROLES).plain == ""


def test_dates_are_relative_to_the_clock_and_short():
    assert ago(NOW - timedelta(seconds=5), NOW) == "now"
    assert ago(NOW - timedelta(minutes=5), NOW) == "5m ago"
    assert ago(NOW - timedelta(hours=3, minutes=59), NOW) == "3h ago"
    assert ago(NOW - timedelta(days=12), NOW) == "12d ago"
    assert ago(NOW - timedelta(days=120), NOW) == "17w ago"
    assert ago(NOW - timedelta(days=800), NOW) == "2y ago"
    assert ago(NOW + timedelta(hours=1), NOW) == "future"
    assert all(len(ago(NOW - timedelta(days=d), NOW)) <= 7 for d in range(0, 5000, 7))


def test_yaml_lines_keep_control_characters_visible():
    lines = highlight_yaml('version: "1"\r\n# [bold]x[/bold] \x1b[31m\nrules: []\n', ROLES)
    assert [line.plain for line in lines] == ['version: "1"\\x0d', "# [bold]x[/bold] \\x1b[31m", "rules: []"]
    assert all(isinstance(line, Text) for line in lines)
    assert highlight_yaml("a: 1", ROLES)[0].plain == "a: 1"  # no final newline: still one line


def test_filter_text_regex_and_inversion():
    assert EntryFilter("team").is_regex and not EntryFilter("team/(").is_regex
    assert EntryFilter("!valid").inverted and EntryFilter("!valid").pattern == "valid"


def test_columns_by_word():
    assert find_column("size").key == "size"
    assert find_column("signed-at").key == "signed_at"
    assert find_column("mod").key == "modified"
    assert find_column("nope") is None


def test_header_packs_whole_fields():
    fields = [Text("account 123456789012"), Text("caller " + "x" * 100), Text("region us-east-1")]
    lines = pack(fields, 40)
    assert all(line.cell_len <= 40 for line in lines)
    assert lines[0].plain == "account 123456789012"
    assert lines[1].plain.endswith("…")
    assert lines[2].plain == "region us-east-1"
    assert [line.plain for line in pack(fields[::2], 80)] == ["account 123456789012  region us-east-1"]


def test_command_registry():
    registry = CommandRegistry()
    seen = []
    registry.add("region", "Switch region", seen.append, arg="REGION", aliases=("reg",))
    command, arg = registry.parse(":reg  eu-west-1 ")
    assert command.name == "region" and arg == "eu-west-1"
    assert "reg" in registry.names() and "region" in registry
    import pytest

    from sentinel_tui.aws.errors import SentinelError

    with pytest.raises(SentinelError, match="needs REGION"):
        registry.parse("region")
    with pytest.raises(SentinelError, match="Unknown command"):
        registry.parse("nope")


def test_numbered_policy_lines_fold_under_their_line_with_findings_beside():
    """The detail pane's policy text: numbers right-aligned in a gutter, a finding beside its
    line, and what does not fit folded under the line (not under the number)."""
    from rich.console import Console
    from rich.style import Style

    from sentinel_tui.ui.widgets.detail import NumberedLines

    rows = [(Text(str(n), style=Style(dim=True)), Text(line), None)
            for n, line in enumerate(["version: \"1\"", "rules:"], start=1)]
    rows += [(Text(str(n)), Text(" " * 4 + "x" * 30), None) for n in range(3, 10)]
    rows.append((Text("10"), Text("    effect: allow"), Text("✘ parse error here")))
    console = Console(width=30, color_system=None, record=True)
    console.print(NumberedLines(rows), end="")
    shown = [line.rstrip() for line in console.export_text().splitlines()]
    assert shown[0] == ' 1 version: "1"' and shown[1] == " 2 rules:"
    assert shown[2] == " 3     " + "x" * 23 and shown[3] == "   " + "x" * 7  # folded under the line
    assert shown[-2:] == ["10     effect: allow ✘ parse", "   error here"]
