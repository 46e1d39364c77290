"""The What-if tab: decide a request against the selected policy, as a user drives it."""

from __future__ import annotations

from rich.console import Console

from sentinel_tui.ui.app import SentinelApp
from sentinel_tui.ui.widgets.detail import DetailPane
from sentinel_tui.ui.widgets.whatif import WhatIfPanel

from .conftest import run, settle
from .test_app import type_command


def _plain(renderable) -> str:
    console = Console(width=200, record=True, file=open("/dev/null", "w"))
    console.print(renderable)
    return console.export_text()


def test_whatif_command_keys_and_why_not(shared_ops):
    ops = shared_ops

    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(140, 48)) as pilot:
            await settle(app, pilot)
            await type_command(pilot, "whatif production")
            await settle(app, pilot)
            detail = app.query_one(DetailPane)
            assert detail.display and detail.active_tab == "whatif" and detail.entry.name == "production"
            panel = app.query_one(WhatIfPanel)
            text = lambda: _plain(panel.query_one("#whatif-text").content)  # noqa: E731
            # the profile is prefilled from the policy; no user: the default-deny rule decides
            assert "DENY by rule 'prod-default-deny' (index 2)" in text()
            assert "REFUSES" in text() and "sentinel-tvm-production" in text()
            # typing a user: the on-call rule decides, and the TVM does not enforce it
            panel.query_one("#whatif-user").focus()
            await pilot.press(*"oncall-primary")
            await pilot.pause()
            assert "REQUIRE_APPROVAL by rule 'prod-oncall-approval' (index 0)" in text()
            assert "ISSUES credentials" in text() and "NOT ENFORCED" in text()
            # why not: another user at 21:00 Berlin, with the rule's zone in the explanation
            panel.set_request(user="dana", time="2026-03-02 21:00 Europe/Berlin")
            await pilot.pause()
            assert "hours: Mon 2026-03-02 21:00 Europe/Berlin is outside hours 09:00\u201318:00" in text()
            assert "users: 'dana' is not in [oncall-primary, oncall-secondary]" in text()
            # business hours: the rule matches, but the TVM has no session table: refused, said loudly
            panel.set_request(time="2026-03-03T10:00:00+01:00")
            await pilot.pause()
            assert "DENY by rule 'prod-business-hours' (index 1)" in text()
            assert "▶ " in text()  # the deciding rule is highlighted in the YAML
            # the demo ships tests for production beside its local file
            assert "production.tests.yaml, on the stored policy): 5 passed" in text()
            # a time without a zone is refused, not guessed
            panel.set_request(time="2026-03-03 10:00")
            await pilot.pause()
            assert "has no zone" in text()
            # every kind of entry renders in the tab; a policy only in the local folder is asked too
            for entry in app.fleet.sorted_entries():
                detail.show(entry)
                await pilot.pause()
                if entry.name == "team/newteam":
                    panel.set_request(user="u", profile="newteam", time="2026-03-03T10:00:00Z")
                    await pilot.pause()
                    assert "The local file newteam.yaml (not in SSM yet)" in text()
                    assert "ALLOW by rule 'newteam-dev' (index 0)" in text()
            # key 5 opens the tab for the selected policy
            await pilot.press("escape")
            await pilot.press("escape")
            await pilot.pause()
            detail.show_tab("policy")
            app.query_one("PolicyTable").focus()
            await pilot.press("5")
            await settle(app, pilot)
            assert detail.display and detail.active_tab == "whatif"

    run(body())
