"""Rows streamed to the app: pages reach its thread in batches, and nothing is lost on the way."""

from __future__ import annotations

from sentinel_tui.ui.app import SentinelApp
from sentinel_tui.ui.messages import FleetUpdated
from sentinel_tui.ui.widgets.policy_table import PolicyTable

from .conftest import run, settle


def test_pages_reach_the_app_in_batches_and_every_row_arrives(ops, demo):
    """Each message costs the app's thread, which the loading thread needs: pages that arrive
    within POST_INTERVAL of the last message travel together (the first at once)."""
    from sentinel_tui.aws.faults import on_call

    for i in range(40):  # enough policies for several pages of ten
        ops.store.put(f"{ops.settings.policy_root}/many/p{i:02d}", 'version: "1"\nrules: []\n')
    pages: list[str] = []
    ops.clients.add_hook(on_call("ssm", "GetParametersByPath", lambda params: pages.append(params["Path"])))
    seen: list[int] = []

    async def body():
        app = SentinelApp(ops)
        app.POST_INTERVAL = 60.0  # longer than the load: the first page at once, the rest with the last
        post = app.post_message

        def noting_post(message) -> bool:
            if isinstance(message, FleetUpdated) and message.entries and not message.done:
                seen.append(len(message.entries))
            return post(message)

        app.post_message = noting_post
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            assert len(pages) >= 6 and 1 <= len(seen) <= 2
            table = app.query_one(PolicyTable)
            assert table.row_count == len(app.fleet.entries) and not any(e.pending for e in table.visible())

    run(body())
