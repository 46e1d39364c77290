"""SVG snapshots of the policy browser on the demo fleet: the main screen and the detail pane.

Deterministic: the clock is fixed three hours after the newest stored version (dates
render as `3h ago`), the demo signs with a fixed `signed_at`, keys are shown by alias,
and the header names a fixed endpoint instead of the emulator's random port. Update
with `pytest tests/ui/test_snapshots.py --snapshot-update` after a deliberate change,
and look at the SVGs before committing them.
"""

from __future__ import annotations

from sentinel_tui.ui.app import SentinelApp

from .conftest import fixed_clock, settle

SIZE = (140, 40)


def test_main_screen(snap_compare, snapshot_ops):
    app = SentinelApp(snapshot_ops, clock=fixed_clock(snapshot_ops))

    async def loaded(pilot):
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=loaded)


def test_detail_pane(snap_compare, snapshot_ops):
    app = SentinelApp(snapshot_ops, clock=fixed_clock(snapshot_ops))

    async def open_detail(pilot):
        await settle(app, pilot)
        app.execute_command("open legacy")  # a parse error shown beside its line
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_detail)


def test_filter_in_use(snap_compare, snapshot_ops):
    app = SentinelApp(snapshot_ops, clock=fixed_clock(snapshot_ops))

    async def filtered(pilot):
        await settle(app, pilot)
        await pilot.press("slash", *"!valid")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=filtered)
