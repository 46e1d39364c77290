"""The flows inside the app: the browser's keys, marks with space, `:` commands, the diff screen's P."""

from __future__ import annotations

from sentinel_tui.core.status import Status
from sentinel_tui.ui.app import SentinelApp
from sentinel_tui.ui.screens.browser import BrowserScreen
from sentinel_tui.ui.screens.flows import BulkResignFlow, PushFlow, RestoreFlow, SignFlow, VerifyFlow
from sentinel_tui.ui.widgets.policy_table import MARK

from .conftest import run, settle
from .flow_helpers import SIZE, until


def test_keys_open_each_flow_on_the_selected_row_and_esc_comes_back(shared_ops):
    ops = shared_ops

    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            table = app.browser.table
            assert table.select_name("production")
            await pilot.press("v")
            flow = app.screen
            assert isinstance(flow, VerifyFlow) and flow.policy_name == "production"
            await until(pilot, lambda: flow.phase == "done")
            assert flow.report.ok
            await pilot.press("escape")
            assert isinstance(app.screen, BrowserScreen)

            await pilot.press("P")  # production has a local file: straight to its diff
            flow = app.screen
            assert isinstance(flow, PushFlow) and flow.file.endswith("production.yaml")
            await until(pilot, lambda: flow.plan is not None)
            await pilot.press("escape")
            await pilot.press("u")
            flow = app.screen
            assert isinstance(flow, RestoreFlow) and flow.policy_name == "production"
            await until(pilot, lambda: flow.candidates or flow.phase == "done")
            await pilot.press("escape")
            await pilot.press("i")
            assert isinstance(app.screen, SignFlow) and app.screen.file.endswith("production.yaml")
            await pilot.press("escape")
            assert isinstance(app.screen, BrowserScreen)

            app.execute_command("verify sandbox")
            await pilot.pause()
            assert isinstance(app.screen, VerifyFlow) and app.screen.policy_name == "sandbox"
            await pilot.press("escape")
            app.execute_command("diff dev " + str(app.entry("dev").local_path))
            await until(pilot, lambda: type(app.screen).__name__ == "DiffScreen" and app.screen.request is not None)
            await pilot.press("P")  # the diff screen's push starts the guided push
            await until(pilot, lambda: isinstance(app.screen, PushFlow))
            assert app.screen.policy_name == "dev"
            await pilot.press("escape")
    run(body())


def test_mark_rows_with_space_and_re_sign_them(ops, demo):
    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            table = app.browser.table
            for name in ("staging", "team/data/analytics"):
                assert table.select_name(name)
                await pilot.press("space")
            assert table.marked_names() == ["staging", "team/data/analytics"]
            assert table.get_cell(ops.fleet.entry("staging").path, "name").plain == MARK + "staging"
            await pilot.press("B")
            flow = app.screen
            assert isinstance(flow, BulkResignFlow) and flow.names == ["staging", "team/data/analytics"]
            assert table.marked_names() == []
            await until(pilot, lambda: flow.steps.state("review") == "pass")
            await pilot.press("enter", "enter")
            await until(pilot, lambda: flow.phase == "done")
            assert flow.result.ok
            await pilot.press("escape")
            await settle(app, pilot)
            assert app.entry("staging").status is Status.VALID
            assert app.entry("team/data/analytics").status is Status.VALID
    run(body())
    assert ops.fleet.entry("staging").status is Status.VALID
