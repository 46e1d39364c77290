"""The ways into the diff view from the app: d on a browser row, the file picker, `sentinel-tui diff
NAME FILE`, and enter on a row of the detail pane's history tab. Against the demo fleet."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sentinel_tui.ui.app import SentinelApp
from sentinel_tui.ui.screens.browser import BrowserScreen
from sentinel_tui.ui.screens.diff import DiffScreen
from sentinel_tui.ui.screens.file_picker import FilePicker
from sentinel_tui.ui.widgets.diff_view import DiffView
from sentinel_tui.ui.widgets.policy_table import PolicyTable

SIZE = (140, 40)


def run(coro):
    return asyncio.run(coro)


async def settle(app, pilot) -> None:
    for _ in range(4):
        await app.workers.wait_for_complete()
        await pilot.pause()


def test_d_on_a_row_with_a_local_file_opens_its_diff(ops, demo):
    async def go():
        app = SentinelApp(ops)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            assert app.query_one(PolicyTable).select_name("dev")
            await pilot.press("d")
            await settle(app, pilot)
            screen = app.screen
            assert isinstance(screen, DiffScreen)
            view = screen.query_one(DiffView)
            assert view.model.request.old_label.startswith("stored version 1 of /sentinel/policies/dev")
            assert view.model.request.file == str(Path(ops.settings.local_dir) / "dev.yaml")
            assert view.model.diff.added == 1 and view.model.signature_covers_old is True
            assert view.model.signing_needed
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, BrowserScreen)

    run(go())


def test_d_without_a_local_file_asks_for_one(ops, demo, tmp_path):
    other = tmp_path / "elsewhere.yaml"
    other.write_bytes(b'version: "1"\nrules: []\n')

    async def go():
        app = SentinelApp(ops)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            assert app.query_one(PolicyTable).select_name("sandbox")
            await pilot.press("d")
            await pilot.pause()
            assert isinstance(app.screen, FilePicker)
            await pilot.press(*str(other), "enter")
            await settle(app, pilot)
            assert isinstance(app.screen, DiffScreen)
            request = app.screen.query_one(DiffView).model.request
            assert request.file == str(other) and request.name == "sandbox"

    run(go())


def test_the_diff_command_line_opens_the_app_on_the_diff(ops, demo, tmp_path):
    from sentinel_tui.demo.fleet import PRODUCTION

    local = tmp_path / "production.yaml"
    local.write_bytes(PRODUCTION.replace("18:00", "20:00").encode())

    async def go():
        app = SentinelApp(ops, initial_diff=("production", str(local)))
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            assert isinstance(app.screen, DiffScreen)
            model = app.screen.query_one(DiffView).model
            assert model is not None and model.request.name == "production"
            assert model.request.old_label == "stored version 2 of /sentinel/policies/production"
            assert (model.diff.added, model.diff.removed) == (1, 1)

    run(go())


def test_enter_on_a_history_row_diffs_that_version_with_the_current_one(ops, demo):
    async def go():
        app = SentinelApp(ops)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            assert app.query_one(PolicyTable).select_name("production")
            await pilot.press("4")  # the history tab
            await settle(app, pilot)
            history = app.screen.query_one("#history-table")
            assert history.row_count == 2
            history.focus()
            history.move_cursor(row=1)  # version 1 (newest first)
            await pilot.press("enter")
            await settle(app, pilot)
            assert isinstance(app.screen, DiffScreen)
            request = app.screen.query_one(DiffView).model.request
            assert request.kind == "versions"
            assert request.old_label == "stored version 1 of /sentinel/policies/production"
            assert request.new_label == "stored version 2 of /sentinel/policies/production"

    run(go())
