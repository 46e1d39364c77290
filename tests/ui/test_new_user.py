"""Pilot tests for what a new user hit trying the app in a real terminal (issue 12)."""

from __future__ import annotations

from sentinel_tui.ui.app import SentinelApp
from sentinel_tui.ui.widgets.policy_table import PolicyTable

from .conftest import run, settle

LONG = "team/" + "very-long-policy-name-" * 9  # ~200 characters


def table_lines(app) -> list[str]:
    table = app.query_one(PolicyTable)
    return [table.render_line(y).text for y in range(table.size.height)]


def test_a_long_name_never_hides_status_and_verdict(ops):
    ops.store.put(f"/sentinel/policies/{LONG}", 'version: "1"\nrules: []\n')

    async def body():
        for size in ((80, 24), (100, 30), (200, 50)):
            app = SentinelApp(ops)
            async with app.run_test(size=size) as pilot:
                await settle(app, pilot)
                table = app.query_one(PolicyTable)
                lines = table_lines(app)
                assert "Status" in lines[0] and "TVM verdict" in lines[0], (size, lines[0])
                row = next(line for line in lines if line.lstrip().startswith("team/very-long"))
                assert "…" in row and "unsigned" in row and "denies" in row, (size, row)
                assert len(row.rstrip()) <= size[0]
                # the full name: in the detail pane, and the tooltip of its row
                assert table.select_name(LONG)
                await pilot.press("enter")
                await pilot.pause()
                assert LONG in app.query_one("#detail-banner").content.plain
                index = [e.name for e in table.visible()].index(LONG)
                from textual.coordinate import Coordinate
                table.hover_coordinate = Coordinate(index, 0)
                await pilot.pause()
                assert table.tooltip == LONG

    run(body())


def test_status_words_match_whole_in_the_filter(shared_ops):
    from sentinel_tui.core.status import Status
    from sentinel_tui.demo.fleet import EXPECTED_STATUS

    def shown(app) -> dict[str, str]:
        return {e.name: str(e.status) for e in app.query_one(PolicyTable).visible()}

    async def body():
        app = SentinelApp(shared_ops)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            app.query_one(PolicyTable).set_filter("!valid")
            await pilot.pause()
            statuses = set(shown(app).values())
            assert "invalid" in statuses and "valid" not in statuses
            app.query_one(PolicyTable).set_filter("valid")
            await pilot.pause()
            assert set(shown(app).values()) == {"valid"}
            app.query_one(PolicyTable).set_filter("unsig")
            await pilot.pause()
            assert set(shown(app)) == {n for n, s in EXPECTED_STATUS.items() if s == str(Status.UNSIGNED)}

    run(body())


def screen_lines(app) -> list[str]:
    """What the terminal shows, line by line."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def test_the_key_creation_question_shows_whole_at_every_width(ops):
    from sentinel_tui.ui.screens.keysetup import ConfirmScreen, KeySetupScreen

    async def body():
        for size in ((80, 24), (100, 30), (200, 50)):
            app = SentinelApp(ops)
            async with app.run_test(size=size) as pilot:
                await settle(app, pilot)
                app.push_screen(KeySetupScreen(app.ops))
                await settle(app, pilot)
                await pilot.press("n")
                await pilot.pause()
                assert isinstance(app.screen, ConfirmScreen)
                text = " ".join(" ".join(screen_lines(app)).split())
                for words in ("alias/sentinel-policy-signing", "region us-east-1", "costs money each month",
                              "until it is deleted", "Yes (y)"):
                    assert words in text, (size, words)
                await pilot.press("n")

    run(body())
