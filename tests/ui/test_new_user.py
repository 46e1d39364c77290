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
