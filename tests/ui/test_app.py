"""Pilot tests of the policy browser against the moto-backed demo fleet, driven with keys."""

from __future__ import annotations

import io
import math
import threading

import pytest

from sentinel_tui.aws.errors import SentinelError
from sentinel_tui.aws.faults import deny, on_call
from sentinel_tui.core.status import STATUS_SYMBOL, Status
from sentinel_tui.demo.fleet import EXPECTED_STATUS, ORPHAN_NAME
from sentinel_tui.ops.context import ReadOnlyError
from sentinel_tui.ui.app import SentinelApp
from sentinel_tui.ui.screens.browser import BrowserScreen
from sentinel_tui.ui.screens.command import CommandScreen
from sentinel_tui.ui.screens.error import ErrorScreen
from sentinel_tui.ui.screens.help import HelpScreen
from sentinel_tui.ui.widgets.detail import DetailPane
from sentinel_tui.ui.widgets.header import ContextHeader
from sentinel_tui.ui.widgets.policy_table import PolicyTable

from .conftest import run, settle, workers_done
from .flow_helpers import until

EXPECTED = {name: Status(word) for name, word in EXPECTED_STATUS.items()}


class CallCounter:
    """AWS calls by operation, counted with a botocore hook on the real clients."""

    def __init__(self):
        self.calls: list[str] = []

    def __call__(self, service, client):
        client.meta.events.register("before-call.*.*", self._count)

    def _count(self, model, **kwargs):
        self.calls.append(f"{model.service_model.service_name}.{model.name}")

    def count(self, prefix: str) -> int:
        return sum(1 for c in self.calls if c.startswith(prefix))


def table_of(app) -> PolicyTable:
    return app.query_one(PolicyTable)


def rows(app) -> dict[str, dict[str, str]]:
    """Visible rows: name -> column key -> plain cell text."""
    table = table_of(app)
    found = {}
    for entry in table.visible():
        cells = table.get_row(entry.path)
        found[entry.name] = {str(col.key): cell.plain for col, cell in zip(table.ordered_columns, cells)}
    return found


def names(app) -> list[str]:
    return [e.name for e in table_of(app).visible()]


def header_text(app) -> str:
    return "\n".join(line.plain for line in app.query_one(ContextHeader)._lines(200))


async def type_command(pilot, line: str, *, typed: bool = False) -> None:
    """`:` then the line, then enter. Typing costs ~0.1 s a key under Pilot: only some tests type
    every character; the others put the line into the prompt's input."""
    await pilot.press("colon")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CommandScreen)
    if typed:
        await pilot.press(*line)
    else:
        pilot.app.screen.query_one("#command-input").value = line
    await pilot.press("enter")
    await pilot.pause()


def test_every_status_appears_with_its_symbol_and_word(shared_ops):
    ops = shared_ops
    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            shown = rows(app)
            for name, status in EXPECTED.items():
                assert shown[name]["status"] == f"{STATUS_SYMBOL[status]} {status}", name
            assert {s for s in Status} == {EXPECTED[n] for n in EXPECTED}
            assert shown["production"]["tvm"] == "✔ issues"
            assert shown["staging"]["tvm"] == "! loads unverified"
            assert shown[ORPHAN_NAME]["tvm"] == "✘ denies: no policy"
            assert shown["bulk"]["size"].startswith("6,567") and "✘" in shown["bulk"]["size"]
            assert shown["production"]["key"] == "alias/sentinel-policy-signing"
            assert shown["team/security"]["key"] == "alias/sentinel-legacy-signing"
            assert shown["production"]["signed_at"] == "2026-11-02"
            assert shown["production"]["version"] == "2"
            assert shown["production"]["local"] == "same"
            assert shown["dev"]["local"] == "differs"
            assert shown["team/newteam"]["local"] == "local only"
            assert shown["sandbox"]["local"] == "remote only"
            assert app.fleet.complete and not app.fleet_loading

    run(body())


def test_header_shows_where_you_are(shared_ops):
    ops = shared_ops
    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            text = header_text(app)
            assert "account 123456789012" in text
            assert "caller arn:aws:sts::123456789012:" in text
            assert "profile default" in text and "region us-east-1" in text
            assert f"endpoint {ops.settings.endpoint_url}" in text
            assert "root /sentinel/policies" in text
            assert "READ-ONLY" not in text
            # The first row (bulk) is served by no TVM: the settings stand in.
            assert "key alias/sentinel-policy-signing" in text and "mode enforcing (settings)" in text
            await type_command(pilot, "open staging")
            await settle(app, pilot)
            text = header_text(app)
            # The staging TVM sets SENTINEL_ENFORCE_POLICY_SIGNING=TRUE, which is not "true".
            assert "verifying, not enforcing (sentinel-tvm-staging)" in text

    run(body())


def test_header_packs_fields_without_cutting_them(shared_ops):
    ops = shared_ops
    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            lines = app.query_one(ContextHeader)._lines(78)
            assert all(line.cell_len <= 78 for line in lines)
            joined = " ".join(line.plain for line in lines)
            for part in ("account", "caller", "profile", "region", "endpoint", "root", "key", "mode"):
                assert f"{part} " in joined

    run(body())


async def refilter(pilot, text: str) -> None:
    """`/`, replace the filter text, enter (the text is put in directly: typing is slow under Pilot)."""
    await pilot.press("slash")
    pilot.app.query_one("#filter-input").value = text
    await pilot.press("enter")
    await pilot.pause()


def test_filter_sort_and_attention_with_keys(shared_ops):
    ops = shared_ops
    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            total = len(names(app))
            await pilot.press("slash", *"team")
            await pilot.pause()
            assert names(app) and all("team" in n for n in names(app))
            await pilot.press("enter")
            await pilot.pause()
            assert app.focused is table_of(app)
            assert all("team" in n for n in names(app))
            # Status words are matched too, and a leading ! inverts.
            await refilter(pilot, "!valid")
            assert names(app) and all(rows(app)[n]["status"] != "✔ valid" for n in names(app))
            # A regex.
            await refilter(pilot, "^(dev|qa)$")
            assert sorted(names(app)) == ["dev", "qa"]
            # Not a valid regex: a substring.
            await refilter(pilot, "team/(")
            assert names(app) == []
            await pilot.press("escape")
            await pilot.pause()
            assert len(names(app)) == total
            # Attention: anything not valid.
            await pilot.press("a")
            await pilot.pause()
            shown = rows(app)
            assert shown and all(r["status"] != "✔ valid" for r in shown.values())
            assert "team/newteam" in shown  # local only needs attention too
            await pilot.press("a")
            await pilot.pause()
            assert len(names(app)) == total
            # Sort: s moves to the next column (status), S reverses.
            assert names(app) == sorted(names(app), key=str.lower)
            await pilot.press("s")
            await pilot.pause()
            assert table_of(app).sort_column == "status"
            assert names(app)[0] in {n for n, s in EXPECTED.items() if s is Status.VALID}
            await pilot.press("S")
            await pilot.pause()
            assert rows(app)[names(app)[-1]]["status"] == "✔ valid"
            await type_command(pilot, "sort size desc")
            assert names(app)[0] == "bulk"
            await type_command(pilot, "sort version desc")
            assert names(app)[0] == "production"

    run(body())


def test_clicking_a_column_header_sorts(shared_ops):
    ops = shared_ops
    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            table = table_of(app)
            await pilot.click(PolicyTable, offset=(78, 0))  # the "Size" header (after 21+15+24+5+9 cells)
            await pilot.pause()
            assert table.sort_column == "size"
            assert names(app)[-1] == "bulk"

    run(body())


def test_detail_tabs_and_history_with_keys(shared_ops):
    ops = shared_ops
    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            await pilot.press("slash", *"^production$", "enter")
            await pilot.pause()
            await pilot.press("enter")
            await settle(app, pilot)
            detail = app.query_one(DetailPane)
            assert detail.display and detail.entry.name == "production"
            assert app.selected.name == "production"
            banner = detail.query_one("#detail-banner").content.plain
            assert "production" in banner and "✔ valid" in banner and "issues credentials" in banner
            policy = detail.query_one("#policy-text").content
            assert "prod-default-deny" in _plain(policy)
            await pilot.press("2")
            await settle(app, pilot)
            signature = _plain(detail.query_one("#signature-text").content)
            assert "matches the stored bytes" in signature and "is the verification key" in signature
            assert "✔ verifies" in signature
            await pilot.press("3")
            await settle(app, pilot)
            tvms = _plain(detail.query_one("#tvms-text").content)
            assert "sentinel-tvm-production" in tvms and "issues credentials" in tvms and "enforcing" in tvms
            await pilot.press("4")
            await settle(app, pilot)
            history = detail.query_one("#history-table")
            assert history.row_count == 2
            first = [c.plain for c in history.get_row_at(0)]
            assert first[0] == "2 *" and first[4] == "✔ signature matches"
            assert len(first[3].rstrip("…")) == 16
            # esc closes the pane, the table keeps its row
            await pilot.press("escape")
            await pilot.pause()
            assert not detail.display and app.focused is table_of(app)
            # Every kind of entry (orphan, unreadable, local only, too large...) renders in every tab.
            # (Policy and Signature are rendered on every show; TVMs and History load in workers.)
            # Each entry is checked, not only the last one shown.
            detail.display = True
            for tab in ("tvms", "history"):
                detail.show_tab(tab)
                for entry in app.fleet.sorted_entries():
                    detail.show(entry)
                    await workers_done(app)
                    await pilot.pause()
                    await pilot.pause()
                    assert isinstance(app.screen, BrowserScreen), entry.name
                    if tab == "tvms":
                        assert _plain(detail.query_one("#tvms-text").content).strip(), entry.name
                        continue
                    note = _plain(detail.query_one("#history-note").content)
                    if entry.policy is None and not entry.policy_error:
                        assert "No policy is stored" in note, entry.name
                    else:  # its versions are listed, or the note says why they could not be read
                        assert detail.query_one("#history-table").row_count >= 1 or "could not be read" in note, \
                            (entry.name, note)

    run(body())


def test_detail_of_stale_and_malformed_signatures(shared_ops):
    ops = shared_ops
    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            await type_command(pilot, "open team/data/analytics")
            await pilot.press("2")
            await settle(app, pilot)
            detail = app.query_one(DetailPane)
            text = _plain(detail.query_one("#signature-text").content)
            assert "✘ differs from the stored bytes" in text
            await pilot.press("4")
            await settle(app, pilot)
            history = detail.query_one("#history-table")
            assert history.row_count == 1
            assert history.get_row_at(0)[4].plain == "✘ no"
            await type_command(pilot, "open qa")
            await pilot.press("2")
            await settle(app, pilot)
            text = _plain(detail.query_one("#signature-text").content)
            assert "does not parse" in text and "no time zone" in text
            await type_command(pilot, "open legacy")
            await pilot.press("1")
            await settle(app, pilot)
            policy = _plain(detail.query_one("#policy-text").content)
            assert "parse error (the TVM denies)" in policy
            # team/finance's history is denied (a SecureString we may not decrypt): said inline.
            await type_command(pilot, "open team/finance")
            await pilot.press("4")
            await settle(app, pilot)
            note = _plain(detail.query_one("#history-note").content)
            assert "could not be read" in note
            assert not isinstance(app.screen, ErrorScreen)

    run(body())


def test_lint_warnings_are_shown_beside_their_line(ops):
    from sentinel_tui.core.policy import check_policy

    body_text = ('version: "1"\nrules:\n  - name: a\n    effect: allow\n    conditions:\n'
                 '      profiles: [x]\n  - name: b\n    efect: deny\n    effect: deny\n    conditions:\n'
                 '      profiles: [x]\n')
    check = check_policy(body_text.encode())
    assert check.warnings and all(w.line for w in check.warnings)
    ops.store.put("/sentinel/policies/linted", body_text)

    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(160, 40)) as pilot:
            await settle(app, pilot)
            await type_command(pilot, "open linted")
            await settle(app, pilot)
            grid = _grid(app.query_one(DetailPane).query_one("#policy-text").content)
            for warning in check.warnings:
                number, code, note = grid[warning.line - 1]
                assert number == str(warning.line)
                assert warning.code in note

    run(body())


def test_hostile_policy_text_is_shown_literally(ops):
    hostile = 'version: "1"\n# [bold]x[/bold] \x1b[31mred\r\nrules: []\n'
    ops.store.put("/sentinel/policies/hostile-[bold]x[/bold]", hostile)

    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(160, 40)) as pilot:
            await settle(app, pilot)
            assert "hostile-[bold]x[/bold]" in rows(app)
            await type_command(pilot, "open hostile-[bold]x[/bold]")
            await settle(app, pilot)
            text = _plain(app.query_one(DetailPane).query_one("#policy-text").content)
            assert "# [bold]x[/bold] \\x1b[31mred\\x0d" in text
            assert "\x1b" not in text
            svg = app.export_screenshot()
            assert "[bold]x[/bold]" in svg.replace("&#160;", " ")
            assert "\x1b" not in svg

    run(body())


def test_switch_region_and_profile_with_keys(shared_ops, tmp_path):
    ops = shared_ops
    (tmp_path / "no-aws-config").write_text(
        "[profile other]\nregion = us-east-1\naws_access_key_id = other\naws_secret_access_key = other\n")

    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            assert len(names(app)) == 16
            await type_command(pilot, "region eu-west-1", typed=True)
            await settle(app, pilot)
            assert app.ops.settings.region == "eu-west-1"
            assert "region eu-west-1" in header_text(app)
            # moto keeps a store per region: only the local files are there
            assert all(r["local"] == "local only" for r in rows(app).values())
            await type_command(pilot, "region us-east-1")
            await settle(app, pilot)
            assert len(names(app)) == 16
            await type_command(pilot, "profile other", typed=True)
            await settle(app, pilot)
            assert app.ops.settings.aws_profile == "other"
            assert "profile other" in header_text(app)
            assert len(names(app)) == 16 and not isinstance(app.screen, ErrorScreen)
            await type_command(pilot, "root /acme/policies")
            await settle(app, pilot)
            assert "root /acme/policies" in header_text(app)
            assert all(r["local"] == "local only" for r in rows(app).values())

    run(body())


def test_unknown_profile_opens_the_error_screen_and_the_app_stays_usable(shared_ops):
    ops = shared_ops
    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            await type_command(pilot, "profile nosuch")
            await settle(app, pilot)
            assert isinstance(app.screen, ErrorScreen)
            assert "nosuch" in app.screen.what
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, BrowserScreen)
            await type_command(pilot, "nonsense")
            assert isinstance(app.screen, ErrorScreen) and app.screen.kind == "usage"
            await pilot.press("escape")
            await pilot.pause()
            # Typed text is never markup: a name like this must not break the notification.
            await type_command(pilot, "profile [/bogus]")
            await settle(app, pilot)
            assert isinstance(app.screen, ErrorScreen) and "[/bogus]" in app.screen.what
            await pilot.press("escape")
            await pilot.pause()

    run(body())


def test_command_palette_runs_the_same_commands(shared_ops):
    ops = shared_ops
    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"region eu-west-2")
            await pilot.pause(0.5)
            await pilot.press("enter")
            await settle(app, pilot)
            assert app.ops.settings.region == "eu-west-2"

    run(body())


def test_registered_commands_and_views(shared_ops):
    ops = shared_ops
    from textual.screen import Screen
    from textual.widgets import Static

    calls = []

    class Hello(Screen):
        BINDINGS = [("escape", "app.pop_screen", "Back")]

        def __init__(self, who: str) -> None:
            super().__init__()
            self.who = who

        def compose(self):
            yield Static(self.who)

    async def body():
        app = SentinelApp(ops)
        app.register_command("ping", "Say pong", calls.append, arg="WHAT")
        app.register_view("hello", "A view", Hello, arg="WHO")
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            await type_command(pilot, "ping pong")
            assert calls == ["pong"]
            await type_command(pilot, "hello world")
            assert isinstance(app.screen, Hello) and app.screen.who == "world"
            await type_command(pilot, "policies")
            assert isinstance(app.screen, BrowserScreen)

    run(body())


def test_help_lists_the_keys_of_the_screen(shared_ops):
    ops = shared_ops
    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            keys = {k.key: k.description for k in app.screen.keys}
            for key in ("/", "a", "s", "r", ":", "?", "esc"):
                assert key in keys, key
            assert "inverts" in keys["/"]
            assert any(c.name == "region" for c in app.screen.commands)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, BrowserScreen)

    run(body())


def test_refresh_rereads_only_what_changed(ops, call_counter):
    for index in range(12):
        ops.store.put(f"/sentinel/policies/p{index:02d}", f'version: "1"\n# {index}\nrules: []\n')

    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            assert len(names(app)) == 12
            ops.store.put("/sentinel/policies/p03", 'version: "1"\n# changed\nrules: []\n')
            call_counter.calls.clear()
            await pilot.press("r")
            await settle(app, pilot)
            assert call_counter.count("ssm.GetParametersByPath") == 0
            assert call_counter.count("ssm.GetParameters") == 1  # the one changed value
            assert call_counter.count("kms.") == 0
            assert rows(app)["p03"]["version"] == "2"
            assert app.entry("p03").policy.value.startswith('version: "1"\n# changed')

    run(body())


def test_the_table_costs_listing_pages_and_one_key_fetch_per_key(shared_ops):
    ops = shared_ops
    call_counter = CallCounter()
    ops.clients.add_hook(call_counter)
    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            policies = sum(1 for e in app.fleet.entries.values() if e.policy is not None)
            signatures = sum(1 for e in app.fleet.entries.values() if e.signature is not None)
            pages = call_counter.count("ssm.GetParametersByPath")
            assert pages == math.ceil(policies / 10) + math.ceil(signatures / 10)
            assert pages <= 2 * math.ceil(max(policies, signatures) / 10)
            keys = {e.assessment.envelope.key_id for e in app.fleet.entries.values()
                    if e.assessment and e.assessment.envelope}
            assert call_counter.count("kms.GetPublicKey") <= len(keys)
            assert call_counter.count("kms.Verify") == 0 and call_counter.count("kms.Sign") == 0

    run(body())


def test_the_table_is_usable_while_pages_stream_in(shared_ops):
    ops = shared_ops
    gate = threading.Event()
    first = threading.Event()
    pages = []

    def slow(params):
        pages.append(params.get("Path"))
        if len(pages) <= 2:
            first.wait(10)
        else:
            gate.wait(10)
        return None

    ops.clients.add_hook(on_call("ssm", "GetParametersByPath", slow))

    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(140, 40)) as pilot:
            await until(pilot, lambda: len(pages) >= 2)
            # Nothing listed yet: the moving bar says something is going on.
            assert app.fleet_loading and table_of(app).row_count == 0
            assert app.query_one("#browser-progress").display
            first.set()
            for _ in range(50):
                await pilot.pause(0.05)
                if table_of(app).row_count:
                    break
            # Rows are in: they and the summary show the load going on (the bar's animation
            # would take CPU from the loading threads).
            assert app.fleet_loading and table_of(app).row_count > 0
            await pilot.pause()
            assert not app.query_one("#browser-progress").display
            assert "loading…" in app.screen.query_one("#browser-summary").render().plain
            await pilot.press("slash", *"team")
            await pilot.pause()
            assert app.query_one("#filter-input").value == "team"  # keys work while loading
            gate.set()
            await settle(app, pilot)
            assert not app.fleet_loading and not app.query_one("#browser-progress").display
            assert names(app) and all("team" in n for n in names(app))

    try:
        run(body())
    finally:
        gate.set()


def test_leaving_the_detail_cancels_its_work(shared_ops):
    ops = shared_ops
    gate = threading.Event()
    ops.clients.add_hook(on_call("ssm", "GetParameterHistory", lambda params: gate.wait(10) and None))

    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            await type_command(pilot, "open production")
            await pilot.press("4")
            await pilot.pause()
            detail = app.query_one(DetailPane)
            workers = [w for w in app.workers if w.group == "detail-history"]
            assert workers and not workers[0].is_finished
            await pilot.press("escape")
            await pilot.pause()
            assert workers[0].is_cancelled
            gate.set()
            await settle(app, pilot)
            assert not detail._history  # the cancelled result was dropped

    try:
        run(body())
    finally:
        gate.set()


# -- errors ------------------------------------------------------------------------------------------

def test_list_denied_opens_the_error_screen(shared_ops):
    ops = shared_ops
    ops.clients.add_hook(deny("ssm", "GetParametersByPath",
                              "User: arn:aws:sts::123456789012:assumed-role/x/y is not authorized to perform: "
                              "ssm:GetParametersByPath [bold]on[/bold] \x1b[2J"))

    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            screen = app.screen
            assert isinstance(screen, ErrorScreen) and screen.kind == "access-denied"
            what = screen.query_one("#error-what").content.plain
            assert "ssm:GetParametersByPath" in what
            assert "\x1b" not in what
            await pilot.press("d")
            assert screen.has_class("-details")
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, BrowserScreen)
            await type_command(pilot, "region eu-west-1")  # the app is still usable
            await settle(app, pilot)
            assert app.ops.settings.region == "eu-west-1"

    run(body())


def test_endpoint_down_opens_the_error_screen(ops, monkeypatch):
    down = ops.switch(endpoint_url="http://127.0.0.1:9")
    down.clients.max_attempts = 1
    down.clients.connect_timeout = 1

    async def body():
        app = SentinelApp(down)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            assert isinstance(app.screen, ErrorScreen)
            assert app.screen.kind == "endpoint-unreachable"
            assert app.screen.fix
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, BrowserScreen)

    run(body())


def test_no_credentials_opens_the_error_screen(ops, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    fresh = ops.switch(region="us-east-1")

    async def body():
        app = SentinelApp(fresh)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            assert isinstance(app.screen, ErrorScreen)
            assert app.screen.kind == "no-credentials"
            assert "account unknown (no-credentials)" in header_text(app)

    run(body())


def test_error_screen_takes_any_exception_without_a_traceback():
    screen = ErrorScreen(RuntimeError("[bold]boom[/bold]"))
    assert screen.kind == "bug" and "RuntimeError" in screen.what and "[bold]boom[/bold]" in screen.what
    assert "Traceback" not in screen.detail
    sentinel = ErrorScreen(SentinelError("what \x1b[31m", "fix it", kind="usage"))
    assert sentinel.what == "what \\x1b[31m" and sentinel.fix == "fix it"


# -- read-only ---------------------------------------------------------------------------------------

def test_read_only_is_shown_and_refused_by_the_operations_layer(shared_ops, tmp_path):
    ops = shared_ops
    from sentinel_tui.ops.push import execute_push, plan_push

    read_only = ops.switch(read_only=True)
    local = tmp_path / "dev.yaml"
    local.write_text('version: "1"\nrules:\n  - name: x\n    effect: allow\n    conditions:\n      profiles: [dev]\n')
    plan = plan_push(read_only, "dev", local, sign=False, key_id=None, allow_unsigned=True)
    before = ops.store.get("/sentinel/policies/dev").version
    with pytest.raises(ReadOnlyError):
        execute_push(read_only, plan)
    assert ops.store.get("/sentinel/policies/dev").version == before

    async def body():
        app = SentinelApp(read_only)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            assert header_text(app).startswith(" READ-ONLY ")

    run(body())


# -- helpers ---------------------------------------------------------------------------------------------

def _plain(renderable) -> str:
    """The text of a Static's content (a Text, or a Group of Texts and grids)."""
    from rich.console import Console

    console = Console(width=400, record=True, color_system=None, legacy_windows=False, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def _grid(renderable) -> list[tuple[str, str, str]]:
    """The (line number, code, note) rows of the policy's numbered lines."""
    from rich.console import Group

    from sentinel_tui.ui.widgets.detail import NumberedLines

    found = [r for r in (renderable.renderables if isinstance(renderable, Group) else [renderable])
             if isinstance(r, NumberedLines)]
    return [(number.plain, line.plain, note.plain if note is not None else "") for number, line, note in found[0].rows]



def test_notifications_never_parse_markup_or_control_characters(ops):
    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(100, 30)) as pilot:
            app.notify("policy [/bold] \x1b[31mred", title="[b]t")
            await pilot.pause()
            shown = [n.message for n in app._notifications]
            assert shown and shown[-1] == "policy [/bold] \\x1b[31mred"

    run(body())
