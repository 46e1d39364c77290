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


def test_a_profile_that_gives_no_credentials_is_refused_and_the_fleet_kept(shared_ops, tmp_path):
    from sentinel_tui.ui.screens.browser import BrowserScreen
    from sentinel_tui.ui.screens.error import ErrorScreen

    from .test_app import header_text, names, type_command

    (tmp_path / "no-aws-config").write_text(
        "[profile other]\nregion = us-east-1\naws_access_key_id = other\naws_secret_access_key = other\n"
        "[profile empty]\nregion = us-east-1\n")

    async def body():
        app = SentinelApp(shared_ops)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            assert len(names(app)) == 16
            for bad in ("nosuch", "empty"):
                await type_command(pilot, f"profile {bad}")
                await settle(app, pilot)
                assert isinstance(app.screen, ErrorScreen), bad
                assert bad in app.screen.what and "Nothing was switched" in app.screen.fix
                await pilot.press("escape")
                await pilot.pause()
                assert isinstance(app.screen, BrowserScreen)
                assert app.ops is not None and app.ops.settings.aws_profile is None
                assert len(names(app)) == 16 and "profile default" in header_text(app)
            # nothing to go back to yet
            await type_command(pilot, "profile -")
            assert isinstance(app.screen, ErrorScreen) and "no earlier profile" in app.screen.what
            await pilot.press("escape")
            await type_command(pilot, "profile other")
            await settle(app, pilot)
            assert app.ops.settings.aws_profile == "other" and len(names(app)) == 16
            await type_command(pilot, "profile -")
            await settle(app, pilot)
            assert app.ops.settings.aws_profile is None and "profile default" in header_text(app)
            assert len(names(app)) == 16 and not isinstance(app.screen, ErrorScreen)
            await type_command(pilot, "profile -")
            await settle(app, pilot)
            assert app.ops.settings.aws_profile == "other"

    run(body())


def test_a_region_aws_does_not_have_is_refused(shared_ops):
    from sentinel_tui.ui.screens.error import ErrorScreen

    from .test_app import names, type_command

    async def body():
        app = SentinelApp(shared_ops)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            await type_command(pilot, "region mars-north-9")
            await settle(app, pilot)
            assert isinstance(app.screen, ErrorScreen) and "mars-north-9" in app.screen.what
            assert app.ops.settings.region == "us-east-1" and len(names(app)) == 16

    run(body())


def test_an_empty_store_says_what_to_do_first(ops):
    from sentinel_tui.ui.screens.keysetup import KeySetupScreen

    from .test_app import header_text

    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            text = " ".join(" ".join(screen_lines(app)).split())
            assert "No policies under /sentinel/policies" in text
            for words in ("K 1. Set up the signing key alias/sentinel-policy-signing: it does not exist yet",
                          "P 2. Push a first policy", "r Read the store again"):
                assert words in text, words
            # the header does not name the missing key as the key in use
            header = header_text(app)
            assert "key none (alias/sentinel-policy-signing not found: :keysetup)" in header
            await pilot.press("K")
            await settle(app, pilot)
            assert isinstance(app.screen, KeySetupScreen)

    run(body())


def test_the_header_names_the_default_key_when_it_exists(ops, signing_key):
    from .test_app import header_text

    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(app, pilot)
            assert "key alias/sentinel-policy-signing" in header_text(app)
            assert "not found" not in header_text(app)

    run(body())
