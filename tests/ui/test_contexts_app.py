"""The app across contexts (issue 16): one table of two accounts, an account broken on purpose,
a flow that writes to the account of its row only, and the watch (`w`).

Two emulated accounts in one moto server (tests/ops/test_multi.py makes them the same way):
account 1 (123456789012) holds the whole demo fleet, account 2 (222222222222) is reached
through a profile that assumes a role there and holds its own mix; both have `staging`
unsigned and `production` valid.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from sentinel_tui.aws.faults import error_response, on_call
from sentinel_tui.config import ContextSpec, Settings, load_settings, save_settings
from sentinel_tui.demo.accounts import demo_accounts, seed_accounts, write_aws_config
from sentinel_tui.ops.context import Ops
from sentinel_tui.ops.multi import Target, build_targets
from sentinel_tui.ui.app import SentinelApp
from sentinel_tui.ui.widgets.policy_table import CHANGED

from .conftest import SNAPSHOT_ENDPOINT, fixed_clock, settle
from .flow_helpers import plain, run, until

SIZE = (160, 40)
PRODUCTION = "/sentinel/policies/production"
STAGING = "/sentinel/policies/staging"


@pytest.fixture
def accounts(endpoint, tmp_path, monkeypatch):
    """Two seeded accounts, their profiles in an AWS config file and their contexts in the settings."""
    accts = demo_accounts(2)
    config = write_aws_config(tmp_path / "aws" / "config", endpoint, accts)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    seed_accounts(endpoint, accts, key_spec="RSA_2048", local_dir=tmp_path / "policies")
    contexts = tuple(ContextSpec(a.context, profile=a.profile, region="us-east-1", endpoint_url=endpoint)
                     for a in accts)
    save_settings(Settings(contexts=contexts, local_dir=str(tmp_path / "policies"), bell=True))
    return accts


def targets_of(hooks=None) -> list[Target]:
    settings = load_settings()
    return build_targets(settings, settings.contexts, hooks=hooks)


def ssm(account: int):
    """A client of account 1 (the placeholder keys) or 2 (its profile: AssumeRole into that account)."""
    session = boto3.session.Session() if account == 1 else boto3.session.Session(profile_name="demo-2")
    return session.client("ssm", region_name="us-east-1")


def has(client, name: str) -> bool:
    return bool(client.get_parameters(Names=[name])["Parameters"])


def new_app(targets, **kwargs) -> SentinelApp:
    return SentinelApp(targets[0].ops, targets=targets, **kwargs)


async def loaded(app, pilot) -> None:
    await until(pilot, lambda: app.contexts is not None and not app.contexts.loading and app.fleet.entries)
    await settle(app, pilot)


def test_two_contexts_show_both_accounts_rows(accounts):
    app = new_app(targets_of())

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await loaded(app, pilot)
            table = app.browser.table
            assert [c.key for c in table.ordered_columns][:5] == ["name", "context", "status", "tvm", "account"]
            for context, account in (("demo-1", "123456789012"), ("demo-2", "222222222222")):
                key = f"{context}:{PRODUCTION}"
                assert table.get_cell(key, "context").plain == context
                assert table.get_cell(key, "account").plain == account
                assert table.get_cell(key, "status").plain == "✔ valid"
            assert {e.context for e in table.visible()} == {"demo-1", "demo-2"}
            assert table.get_cell(f"demo-2:{STAGING}", "status").plain == "○ unsigned"
            # the header: the context in focus, and each context's valid / need attention
            header = app.browser.query_one("#context-header").render().plain
            assert "context demo-1" in header and "account 123456789012" in header
            assert "demo-2 ✔ " in header and "! " in header
            # the cursor on a row of demo-2: that context is in force (header, views, flows)
            table.select_name("demo-2:production")
            await pilot.pause()
            assert app.ops is app.contexts.state("demo-2").ops
            assert "account 222222222222" in app.browser.query_one("#context-header").render().plain
    run(body())


@pytest.mark.parametrize("fault", ["denied", "expired"])
def test_a_broken_context_shows_its_error_row_and_the_other_works(accounts, fault):
    broken = [True]

    def when_broken(answer):
        return lambda params: answer if broken[0] else None

    denied = error_response("AccessDeniedException", "User: arn:aws:sts::222222222222:assumed-role/sentinel-operator/x "
                                                     "is not authorized to perform: ssm:GetParametersByPath")
    expired = error_response("ExpiredTokenException", "The security token included in the request is expired")
    if fault == "denied":
        faults = [on_call("ssm", "GetParametersByPath", when_broken(denied))]
    else:
        faults = [on_call(service, "*", when_broken(expired)) for service in ("sts", "ssm", "lambda", "kms")]
    app = new_app(targets_of(hooks=lambda name: faults if name == "demo-2" else []))

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await loaded(app, pilot)
            table = app.browser.table
            assert list(table.notices) == ["demo-2"]
            assert table.path_at(0) == "!demo-2"  # the error row, on top
            notice = table.notices["demo-2"].plain
            assert ("access denied" if fault == "denied" else "expired credentials") in notice
            assert "r retries" in notice
            assert {e.context for e in table.visible()} == {"demo-1"}
            summary = plain(app.browser.query_one("#browser-summary"))
            assert "1 failed: demo-2" in summary
            # the other context works: its detail pane and its diff
            assert table.select_name("demo-1:legacy")
            await pilot.press("enter")
            await pilot.pause()
            assert app.browser.detail.display and app.browser.detail.entry.key == "demo-1:/sentinel/policies/legacy"
            await pilot.press("escape")
            assert table.select_name("demo-1:staging")
            await pilot.press("d")
            await until(pilot, lambda: type(app.screen).__name__ == "DiffScreen")
            assert app.screen.ops is app.contexts.state("demo-1").ops
            await settle(app, pilot)
            assert app.screen.request is not None and app.screen.request.name == "staging"
            await pilot.press("escape")
            # enter on the error row says it all; r on it retries that context alone (on a fresh session)
            table.move_cursor(row=0)
            await pilot.pause()
            assert table.selected_notice == "demo-2" and app.ops is app.contexts.state("demo-2").ops
            await pilot.press("enter")
            await until(pilot, lambda: type(app.screen).__name__ == "ErrorScreen")
            await pilot.press("escape")
            broken[0] = False
            demo1 = app.contexts.state("demo-1").snapshot
            await pilot.press("r")
            await loaded(app, pilot)
            assert table.notices == {}
            assert table.get_cell(f"demo-2:{PRODUCTION}", "account").plain == "222222222222"
            assert app.contexts.state("demo-1").snapshot is demo1  # the other was not read again
    run(body())


def test_the_detail_pane_reads_each_rows_history_in_its_own_account(accounts):
    import hashlib

    from textual.widgets import DataTable

    texts = {1: 'version: "1"\nrules: []\n# one\n', 2: 'version: "1"\nrules: []\n# two\n'}
    for account, text in texts.items():  # the same path and versions in both accounts, other bytes
        ssm(account).put_parameter(Name=PRODUCTION, Value=text, Type="String", Overwrite=True)
    app = new_app(targets_of())

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await loaded(app, pilot)
            table, detail = app.browser.table, app.browser.detail
            hashes = {}
            for context in ("demo-1", "demo-2"):
                assert table.select_name(f"{context}:production")
                await pilot.press("4")
                history = detail.query_one("#history-table", DataTable)
                await until(pilot, lambda: history.row_count == 3 and detail.entry.context == context)
                await settle(app, pilot)
                hashes[context] = " ".join(history.get_row_at(i)[3].plain for i in range(history.row_count))
            for account, context in ((1, "demo-1"), (2, "demo-2")):
                assert hashlib.sha256(texts[account].encode()).hexdigest()[:12] in hashes[context], hashes
    run(body())


def test_a_flow_on_a_row_of_the_second_context_writes_to_that_account_only(accounts):
    app = new_app(targets_of())
    one, two = ssm(1), ssm(2)
    assert not has(one, "/sentinel/signatures/staging") and not has(two, "/sentinel/signatures/staging")

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await loaded(app, pilot)
            table = app.browser.table
            assert table.select_name("demo-2:staging")
            await pilot.press("space", "B")
            await until(pilot, lambda: type(app.screen).__name__ == "BulkResignFlow")
            flow = app.screen
            assert flow.ops is app.contexts.state("demo-2").ops
            await until(pilot, lambda: flow.steps.state("review") == "pass")
            await pilot.press("enter")
            ask = plain(flow.query_one("#bulk-ask"))
            assert "Re-signs in account 222222222222 (context demo-2), region us-east-1." in ask
            await pilot.press("enter")
            await until(pilot, lambda: flow.phase == "done")
            await pilot.press("escape")
            # the app read that row again, in its own context
            await until(pilot, lambda: table.get_cell(f"demo-2:{STAGING}", "status").plain == "✔ valid")
            assert table.get_cell(f"demo-1:{STAGING}", "status").plain == "○ unsigned"
    run(body())
    assert has(two, "/sentinel/signatures/staging")
    assert not has(one, "/sentinel/signatures/staging")  # account 1 untouched


def test_marked_rows_of_two_contexts_are_not_re_signed_together(accounts):
    app = new_app(targets_of())
    one, two = ssm(1), ssm(2)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await loaded(app, pilot)
            table = app.browser.table
            for key in ("demo-1:staging", "demo-2:staging"):
                assert table.select_name(key)
                await pilot.press("space")
            await pilot.press("B")
            await until(pilot, lambda: type(app.screen).__name__ == "ErrorScreen")
            assert "re-signing writes to one account at a time" in str(app.screen.error)
    run(body())
    assert not has(one, "/sentinel/signatures/staging") and not has(two, "/sentinel/signatures/staging")


def test_watch_marks_a_row_changed_from_outside_and_announces_it(accounts):
    app = new_app(targets_of(), watch_interval=0.2)
    bells = []
    app.bell = lambda: bells.append(True)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await loaded(app, pilot)
            table = app.browser.table
            assert table.select_name("demo-1:dev")  # the cursor elsewhere: the change is not seen yet
            await pilot.press("w")
            await until(pilot, lambda: app.fleet_watch.on and bool(app.watching))
            assert "◉ watching every 0.2 s" in plain(app.browser.query_one("#browser-summary"))
            # a change made from outside, in account 2, through a client of its own
            ssm(2).put_parameter(Name=PRODUCTION, Value='version: "1"\nrules: []\n', Type="String", Overwrite=True)
            key = f"demo-2:{PRODUCTION}"
            await until(pilot, lambda: key in table.changed)
            await pilot.pause()
            assert table.get_cell(key, "status").plain == "↻ stale"
            assert table.get_cell(key, "name").plain.startswith(CHANGED)
            assert table.get_cell(f"demo-1:{PRODUCTION}", "status").plain == "✔ valid"
            said = [n.message for n in app._notifications]
            assert any("production in demo-2: valid → stale" in m for m in said), said
            assert bells  # `bell = true` in the settings
            # the user looks at the row: the mark goes
            assert table.select_name("demo-2:production")
            await pilot.pause()
            assert key not in table.changed
            await pilot.press("w")
            assert not app.fleet_watch.on and app.watching == ""
    run(body())


def test_watch_with_one_context_marks_the_changed_row(ops, demo, tmp_path):
    app = SentinelApp(ops, watch_interval=0.2)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            table = app.browser.table
            assert [c.key for c in table.ordered_columns][:3] == ["name", "status", "tvm"]  # as without contexts
            await pilot.press("w")
            await until(pilot, lambda: app.fleet_watch.on)
            ops.clients.client("ssm").put_parameter(Name=PRODUCTION, Value='version: "1"\nrules: []\n',
                                                    Type="String", Overwrite=True)
            await until(pilot, lambda: PRODUCTION in table.changed)
            said = [n.message for n in app._notifications]
            assert any(m.startswith("production: valid → stale") for m in said), said
    run(body())


def test_context_commands_switch_to_one_and_back_to_all(accounts):
    app = new_app(targets_of())

    async def single(pilot, account: str) -> None:
        await until(pilot, lambda: app.contexts is None and not app.fleet_loading and app.fleet.entries
                    and app.identity is not None and app.identity.account == account)
        await settle(app, pilot)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await loaded(app, pilot)
            table = app.browser.table
            # :contexts, typed in a burst: none, then the second, then show it
            app.execute_command("contexts")
            await until(pilot, lambda: type(app.screen).__name__ == "ContextsScreen")
            assert app.screen.query_one("#contexts-list").selected == ["demo-1", "demo-2"]  # which are shown
            await pilot.press("a", "down", "space", "enter")
            await single(pilot, "222222222222")
            assert [c.key for c in table.ordered_columns][:3] == ["name", "status", "tvm"]
            assert app.context_name == "demo-2"
            assert "context demo-2" in app.browser.query_one("#context-header").render().plain
            # back to both
            app.execute_command("contexts")
            await until(pilot, lambda: type(app.screen).__name__ == "ContextsScreen")
            assert app.screen.query_one("#contexts-list").selected == ["demo-2"]
            await pilot.press("a", "enter")
            await loaded(app, pilot)
            assert app.contexts is not None and app.contexts.names == ["demo-1", "demo-2"]
            assert table.column_keys[1] == "context"
            # :context NAME: one context
            app.execute_command("context demo-1")
            await single(pilot, "123456789012")
            app.execute_command("context nope")
            await until(pilot, lambda: type(app.screen).__name__ == "ErrorScreen")
            assert "No context named 'nope' (known: demo-1, demo-2)" in str(app.screen.error)
    run(body())


def test_contexts_import_shows_confirms_and_only_then_writes(accounts, tmp_path):
    from sentinel_tui.config import config_file

    app = new_app(targets_of())
    before = config_file().read_text()

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await loaded(app, pilot)
            app.execute_command("contexts import")
            await until(pilot, lambda: type(app.screen).__name__ == "ContextImportScreen")
            screen = app.screen
            assert [c.name for c in screen.offers] == ["default"]  # demo-1 and demo-2 are contexts already
            await pilot.press("enter")
            ask = plain(screen.query_one("#contexts-ask"))
            assert f"Add 1 context (default) to {config_file()}?" in ask
            assert config_file().read_text() == before  # shown, not written
            await pilot.press("n")
            assert config_file().read_text() == before
            await pilot.press("enter", "y")
            await until(pilot, lambda: type(app.screen).__name__ != "ContextImportScreen")
            assert "default" in [c.name for c in app.context_specs]
    run(body())
    assert [c.name for c in load_settings().contexts] == ["demo-1", "demo-2", "default"]


def test_each_context_starts_warm_from_its_own_cache(accounts):
    from .test_cache_app import Calls

    first = new_app(targets_of(), use_cache=True)

    async def load(app) -> dict[str, str]:
        async with app.run_test(size=SIZE) as pilot:
            await loaded(app, pilot)
            return {e.key: str(e.status) for e in app.browser.table.visible()}

    expected = run(load(first))
    calls = {name: Calls() for name in ("demo-1", "demo-2")}
    second = new_app(targets_of(hooks=lambda name: [calls[name]]), use_cache=True)
    assert run(load(second)) == expected
    for name, counted in calls.items():  # confirmed with metadata listings: no value was read again
        assert "ssm.DescribeParameters" in counted.calls, name
        assert counted.values_read() == 0, (name, counted.calls)


# -- snapshots --------------------------------------------------------------------------------------------


def fixed_targets() -> list[Target]:
    """The contexts with a fixed endpoint in their settings (the header shows it; clients use the real one)."""
    out = []
    for target in targets_of():
        ops = target.ops
        out.append(Target(target.name, Ops(settings=ops.settings.with_(endpoint_url=SNAPSHOT_ENDPOINT),
                                           clients=ops.clients, audit=ops.audit)))
    return out


def fleet_clock(targets):
    """Three hours after the newest version in any of the accounts."""
    clocks = [fixed_clock(t.ops)() for t in targets]
    moment = max(clocks)
    return lambda: moment


@pytest.mark.parametrize("size", [(80, 24), (200, 50)], ids=["80x24", "200x50"])
def test_snapshot_two_contexts(snap_compare, accounts, size):
    targets = fixed_targets()
    app = new_app(targets, clock=fleet_clock(targets))

    async def ready(pilot):
        await loaded(app, pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


CONTEXTS = (ContextSpec("prod", profile="prod-admin", region="eu-west-1"),
            ContextSpec("staging", profile="staging", region="eu-west-1", policy_root="/acme/policies"),
            ContextSpec("lab", profile="lab", endpoint_url=SNAPSHOT_ENDPOINT))
AWS_CONFIG = ("[default]\nregion = us-east-1\n[profile prod-admin]\nregion = eu-west-1\n[profile sandbox]\n"
              "region = ap-south-1\n[profile lab]\nendpoint_url = http://127.0.0.1:4566\n")


def fixed_settings_file(monkeypatch, tmp_path):
    """A settings file with three contexts, named by a fixed path on screen, and an AWS config file."""
    from sentinel_tui.ui.screens import contexts as screens

    save_settings(Settings(contexts=CONTEXTS))
    (tmp_path / "aws-config").write_text(AWS_CONFIG)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setattr(screens, "config_file", lambda: Path("~/.config/sentinel-tui/config.toml"))


def test_snapshot_contexts_screen(snap_compare, monkeypatch, tmp_path):
    from sentinel_tui.ui.screens.contexts import ContextsScreen

    from .diff_data import ScreenHost

    fixed_settings_file(monkeypatch, tmp_path)
    assert snap_compare(ScreenHost(lambda: ContextsScreen(CONTEXTS, ["prod", "staging"])), terminal_size=(100, 24))


def test_snapshot_contexts_import_asking(snap_compare, monkeypatch, tmp_path):
    from sentinel_tui.ui.screens.contexts import ContextImportScreen

    from .diff_data import ScreenHost

    fixed_settings_file(monkeypatch, tmp_path)

    async def asked(pilot):
        await pilot.press("down", "space", "enter")  # sandbox unpicked: default only (prod-admin is prod's)

    assert snap_compare(ScreenHost(ContextImportScreen), terminal_size=(100, 24), run_before=asked)
