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
                await pilot.press("escape")  # the pane closed, the row is on screen
                await pilot.pause()
                await pilot.hover(table, offset=(2, 1 + index - int(table.scroll_y)))  # its name cell
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


def burst(app, keys) -> None:
    """Keys as a fast typist (or a paste) sends them: all queued at once, no pause between them."""
    import unicodedata

    from textual import events

    for key in keys:
        if len(key) == 1 and not key.isalnum():  # Textual's key name: "/" is slash, ":" colon, " " space
            key = unicodedata.name(key).lower().replace("-", "_").replace(" ", "_")
            key = {"solidus": "slash", "hyphen_minus": "minus", "low_line": "underscore", "commercial_at": "at",
                   "plus_sign": "plus"}.get(key, key)
        char = key if len(key) == 1 else {"colon": ":", "slash": "/", "space": " ", "minus": "-"}.get(key)
        event = events.Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)


def test_keys_typed_in_a_burst_after_slash_or_colon_all_reach_the_input(shared_ops):
    from .test_app import names

    async def body():
        app = SentinelApp(shared_ops)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            table = app.query_one(PolicyTable)
            burst(app, ["slash", *"team", "enter"])
            await settle(app, pilot)
            assert table.filter.text == "team" and all("team" in n for n in names(app))
            burst(app, ["escape", "escape"])
            await settle(app, pilot)
            assert table.filter.text == ""
            burst(app, ["colon", *"sort size", "enter"])
            await settle(app, pilot)
            assert table.sort_column == "size", app.screen
            burst(app, ["colon", *"filter qa", "enter"])
            await settle(app, pilot)
            assert table.filter.text == "qa"
            # `/` and `:` typed inside a field are text
            # `/` and `:` typed inside a field are text
            burst(app, ["escape", "escape"])
            await settle(app, pilot)
            burst(app, ["slash", *"team/s:", "enter"])
            await settle(app, pilot)
            assert table.filter.text == "team/s:"

    run(body())


def test_q_in_a_flow_closes_it_and_asks_while_a_write_runs(ops, signing_key):
    from pathlib import Path

    from sentinel_tui.ops.push import execute_push, plan_push
    from sentinel_tui.ui.screens.browser import BrowserScreen
    from sentinel_tui.ui.screens.flows import PushFlow
    from sentinel_tui.ui.screens.keysetup import ConfirmScreen

    from .flow_helpers import POLICY_V1, POLICY_V2, gate_sign, until

    folder = Path(ops.settings.local_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "v1.yaml").write_bytes(POLICY_V1)
    execute_push(ops, plan_push(ops, "dev", folder / "v1.yaml", sign=True, key_id=signing_key))
    (folder / "dev.yaml").write_bytes(POLICY_V2)
    entered, release = gate_sign(ops)

    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            app.push_screen(PushFlow(app.ops, "dev", str(folder / "dev.yaml")))
            await pilot.pause()
            flow = app.screen
            await pilot.press("q")  # before anything is written: closes the flow, not the app
            await until(pilot, lambda: isinstance(app.screen, BrowserScreen))
            assert app.is_running
            app.push_screen(PushFlow(app.ops, "dev", str(folder / "dev.yaml")))
            await pilot.pause()
            flow = app.screen
            await until(pilot, lambda: flow.plan is not None and flow.switcher.current == "review")
            await pilot.press("enter")
            await until(pilot, lambda: flow.switcher.current == "confirm")
            await pilot.press("enter")
            await until(pilot, entered.is_set)
            await pilot.press("q")  # a write job runs: asked, not quit
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("n")
            await until(pilot, lambda: app.screen is flow)
            assert app.is_running
            release.set()
            await until(pilot, lambda: flow.phase == "done")
            await pilot.press("q")
            await until(pilot, lambda: isinstance(app.screen, BrowserScreen))
            assert app.is_running

    run(body())


def test_help_and_palette_show_each_command_usage_once_bracketed(shared_ops):
    from textual.command import CommandList

    from sentinel_tui.ui.screens.help import HelpScreen

    async def body():
        app = SentinelApp(shared_ops)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            assert app.commands.get("doctor").usage == "doctor [NAME]"
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            from rich.console import Console

            console = Console(width=120, record=True, file=open("/dev/null", "w"))
            console.print(app.screen._commands_table(), app.screen._legend())
            text = console.export_text()
            assert ":doctor [NAME]" in text and "[[" not in text
            assert "· local only" in text
            await pilot.press("escape")
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"push")
            await pilot.pause(0.5)
            options = app.screen.query_one(CommandList)
            prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
            assert any(":push [NAME FILE]" in p for p in prompts), prompts

    run(body())


def test_home_and_end_go_to_the_first_and_last_row_and_r_always_answers(shared_ops):
    async def body():
        app = SentinelApp(shared_ops)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            table = app.query_one(PolicyTable)
            await pilot.press("end")
            await pilot.pause()
            assert table.cursor_row == table.row_count - 1
            await pilot.press("home")
            await pilot.pause()
            assert table.cursor_row == 0 and table.scroll_x == 0 and table.scroll_y == 0
            app._notifications.clear()
            await pilot.press("r")
            await settle(app, pilot)
            assert any("nothing changed" in n.message for n in app._notifications)

    run(body())


def test_without_credentials_the_dialog_says_the_policies_could_not_be_listed(ops, monkeypatch):
    from sentinel_tui.ui.screens.error import ErrorScreen

    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    fresh = ops.switch(region="us-east-1")

    async def body():
        app = SentinelApp(fresh)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            screen = app.screen
            assert isinstance(screen, ErrorScreen) and screen.kind == "no-credentials"
            assert "could not be listed" in screen.what and "ListFunctions" not in screen.what
            assert ":profile NAME" in screen.fix and "--aws-profile" not in screen.fix

    run(body())


def test_the_doctor_offers_no_resign_for_a_policy_that_does_not_validate(ops, signing_key):
    from sentinel_tui.ops.doctor import PUSH, RESIGN, run_doctor

    ops.store.put("/sentinel/policies/broken", 'version: "1"\nrules:\n  - name: a\n    effect: maybe\n'
                  '    conditions:\n      profiles: [x]\n')
    report = run_doctor(ops, "broken")
    assert report.check(3).action == PUSH and "line 4" in report.check(3).reason
    assert report.check(4).state == "fail"
    assert all(RESIGN not in check.actions for check in report.checks)
    assert "Fix the YAML first" in report.check(4).fix


def test_diff_and_doctor_read_again_after_a_write_to_their_policy(ops):
    from pathlib import Path

    from textual.screen import Screen

    from sentinel_tui.ui.screens.diff import DiffScreen
    from sentinel_tui.ui.screens.doctor import DoctorScreen

    from .flow_helpers import until

    ops.store.put("/sentinel/policies/dev", 'version: "1"\nrules: []\n')
    folder = Path(ops.settings.local_dir)
    folder.mkdir(parents=True, exist_ok=True)
    new = 'version: "1"\n# changed\nrules: []\n'
    (folder / "dev.yaml").write_text(new)

    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            diff = DiffScreen("dev", str(folder / "dev.yaml"))
            app.push_screen(diff)
            await until(pilot, lambda: diff.request is not None)
            assert diff.request.old != new.encode()
            doctor = DoctorScreen(app.ops, "dev")
            app.push_screen(doctor)
            await until(pilot, lambda: doctor.report is not None)
            assert "2 " not in doctor.report.check(1).reason.split("version")[-1]
            app.push_screen(Screen())  # a flow, say, that writes the policy
            await pilot.pause()
            ops.store.put("/sentinel/policies/dev", new)
            app.refresh_entry("dev")
            app.pop_screen()
            await settle(app, pilot)
            await until(pilot, lambda: doctor.report is not None and "version 2" in doctor.report.check(1).reason)
            app.pop_screen()
            await settle(app, pilot)
            await until(pilot, lambda: diff.request is not None and diff.request.old == new.encode())

    run(body())


def test_the_push_flow_takes_a_typed_path(ops, signing_key):
    from pathlib import Path

    from textual.widgets import Input

    from sentinel_tui.ui.screens.flows import PushFlow

    from .flow_helpers import POLICY_V1, Host, until

    folder = Path(ops.settings.local_dir)
    (folder / "team").mkdir(parents=True, exist_ok=True)
    (folder / "team" / "dev.yaml").write_bytes(POLICY_V1)
    flow = PushFlow(ops)
    app = Host(flow)

    async def body():
        async with app.run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: flow.query("#push-tree") and app.focused is flow.query_one("#push-tree"))
            field = flow.query_one("#push-file", Input)
            await pilot.press(*"nosuch.yaml")  # typed while the tree has focus: the path field takes it
            assert field.value == "nosuch.yaml" and app.focused is field
            await pilot.press("enter")
            assert flow.file is None
            field.value = "team/dev.yaml"
            await pilot.press("enter")
            await pilot.pause()
            assert flow.file == str(folder / "team" / "dev.yaml")
            assert flow.query_one("#push-target", Input).value == "team/dev"
            await pilot.press("enter")
            await until(pilot, lambda: flow.plan is not None)
            assert flow.plan.name == "team/dev"

    run(body())


def test_f1_shows_the_keys_on_the_explain_screen_where_question_mark_is_text(shared_ops):
    from textual.widgets import TextArea

    from sentinel_tui.ui.screens.explain import ExplainScreen
    from sentinel_tui.ui.screens.help import HelpScreen

    from .test_app import type_command

    async def body():
        app = SentinelApp(shared_ops)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            await type_command(pilot, "explain")
            await settle(app, pilot)
            assert isinstance(app.screen, ExplainScreen)
            await pilot.press("question_mark")
            assert app.screen.query_one(TextArea).text.endswith("?")
            await pilot.press("f1")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)

    run(body())


def test_signed_at_shows_the_time_on_a_wide_table(shared_ops):
    from .test_app import rows

    async def body():
        for width, expected in ((120, "2026-11-02"), (200, "2026-11-02 ")):
            app = SentinelApp(shared_ops)
            async with app.run_test(size=(width, 40)) as pilot:
                await settle(app, pilot)
                cell = rows(app)["production"]["signed_at"]
                assert cell.startswith(expected) and (cell.endswith("Z") == (width == 200)), (width, cell)

    run(body())


def test_the_status_bar_is_not_cut_at_80_columns(shared_ops):
    async def body():
        app = SentinelApp(shared_ops)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            app.query_one(PolicyTable).set_filter("team")
            app.browser._update_summary()
            await pilot.pause()
            text = " ".join(" ".join(screen_lines(app)).split())
            assert "filter regex: team" in text and "sort name ▲" in text

    run(body())


def test_the_orphan_push_confirmation_says_the_leftover_signature_is_replaced(ops, signing_key):
    from pathlib import Path

    from sentinel_tui.ops.push import plan_push
    from sentinel_tui.ui.screens.flows.push import confirm_text

    ops.store.put("/sentinel/signatures/dev", '{"policy_hash": "x"}')
    folder = Path(ops.settings.local_dir)
    folder.mkdir(parents=True, exist_ok=True)
    from .flow_helpers import POLICY_V1

    (folder / "dev.yaml").write_bytes(POLICY_V1)
    plan = plan_push(ops, "dev", folder / "dev.yaml", sign=True, key_id=signing_key)
    assert plan.creates and plan.current_signature is not None
    text = confirm_text(plan, {}).plain
    assert "create: no policy is stored there yet" in text
    assert "signature left there (version 1, an orphan) is replaced" in text


def test_p_on_the_sign_result_pushes_the_signed_file(ops, signing_key):
    from pathlib import Path

    from sentinel_tui.ui.screens.flows import PushFlow, SignFlow

    from .flow_helpers import POLICY_V1, until

    folder = Path(ops.settings.local_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dev.yaml").write_bytes(POLICY_V1)

    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            flow = SignFlow(app.ops, str(folder / "dev.yaml"))
            app.push_screen(flow)
            await until(pilot, lambda: flow.options)
            await pilot.press("enter")
            await until(pilot, lambda: flow.phase == "done")
            await pilot.press("P")
            await until(pilot, lambda: isinstance(app.screen, PushFlow))
            assert app.screen.file == str(folder / "dev.yaml")

    run(body())


def test_a_push_after_a_sign_writes_the_local_signature_instead_of_signing_again(ops, signing_key, call_counter):
    from pathlib import Path

    from sentinel_tui.ops.push import execute_push, plan_push
    from sentinel_tui.ops.sign import sign_file

    from .flow_helpers import POLICY_V1, POLICY_V2, stored

    folder = Path(ops.settings.local_dir)
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / "dev.yaml"
    file.write_bytes(POLICY_V1)
    signed = sign_file(ops, file, signing_key, output=f"{file}.sig")
    plan = plan_push(ops, "dev", file, sign=True, key_id=signing_key)
    assert plan.envelope_text is not None and "dev.yaml.sig" in plan._signature_text()
    import base64

    assert base64.b64encode(signed.envelope.signature).decode() in plan.envelope_text
    call_counter.calls.clear()
    execute_push(ops, plan)
    assert call_counter.count("kms.Sign") == 0
    assert ops.fleet.entry("dev").status.value == "valid"
    # the file changed since it was signed: the .sig no longer covers it, the push signs
    file.write_bytes(POLICY_V2)
    plan = plan_push(ops, "dev", file, sign=True, key_id=signing_key)
    assert plan.envelope_text is None


def test_tab_completes_policy_names_after_a_command(shared_ops):
    from sentinel_tui.ui.screens.command import CommandScreen

    async def body():
        app = SentinelApp(shared_ops)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            await pilot.press("colon", *"doc")
            await pilot.pause(0.3)
            await pilot.press("tab")
            await pilot.pause()
            field = app.screen.query_one("#command-input")
            assert field.value == "doctor"
            await pilot.press("space", *"team/sec")
            await pilot.pause(0.3)
            await pilot.press("tab")
            await pilot.pause()
            assert field.value == "doctor team/security"
            assert isinstance(app.screen, CommandScreen)

    run(body())


def test_tab_in_the_full_screen_detail_stays_in_what_is_shown(shared_ops):
    async def body():
        app = SentinelApp(shared_ops)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            await pilot.press("f")
            await pilot.pause()
            detail = app.browser.detail
            for _ in range(3):
                await pilot.press("tab")
                await pilot.pause()
                assert app.focused is not None and detail in app.focused.ancestors_with_self, app.focused

    run(body())


def test_a_diff_inside_a_flow_starts_unified_on_a_narrow_terminal(ops, signing_key):
    from pathlib import Path

    from sentinel_tui.ui.screens.flows import PushFlow
    from sentinel_tui.ui.widgets.diff_view import DiffView

    from .flow_helpers import POLICY_V1, Host, until

    folder = Path(ops.settings.local_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dev.yaml").write_bytes(POLICY_V1)

    async def body():
        for size, split in (((80, 24), False), ((160, 40), True)):
            flow = PushFlow(ops, "dev", str(folder / "dev.yaml"))
            app = Host(flow)
            async with app.run_test(size=size) as pilot:
                await until(pilot, lambda: flow.plan is not None)
                assert flow.query_one("#review-diff", DiffView).split is split, size

    run(body())


def test_step_texts_that_wrap_stay_indented_under_their_step(ops):
    from rich.console import Console

    from sentinel_tui.ui.screens.flows import PushFlow

    from .flow_helpers import Host, until

    flow = PushFlow(ops)
    app = Host(flow)

    async def body():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            flow.steps.set("file", "fail", "a reason long enough to wrap several times in a narrow step column")
            await pilot.pause()
            console = Console(width=30, record=True, file=open("/dev/null", "w"))
            console.print(flow.steps.rendered_steps)
            lines = console.export_text().splitlines()
            first = next(i for i, line in enumerate(lines) if line.startswith("✘"))
            why = [line for line in lines[first + 1:] if "reason" in line or "wrap" in line or "narrow" in line]
            assert len(why) == 3 and all(line.startswith("    ") for line in why), lines
            assert lines[first + 1].startswith("  — failed"), lines

    run(body())


def test_key_setup_leaves_room_for_its_documents_at_80x24(ops, signing_key):
    from sentinel_tui.ui.screens.keysetup import KeySetupScreen

    async def body():
        app = SentinelApp(ops)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            screen = KeySetupScreen(app.ops)
            app.push_screen(screen)
            await settle(app, pilot)
            await pilot.pause()
            assert screen.query_one("#ks-docs").size.height >= 8  # tabs (2 lines) and 6 of the document

    run(body())


def test_explain_relates_a_pasted_text_to_the_policys_current_state(shared_ops):
    from sentinel_tui.ops.explain import explain

    snapshot = shared_ops.fleet.load()
    root = shared_ops.settings.policy_root
    # a "verification failed" line for a policy whose envelope is now malformed: that comes first
    e = explain(f"ERROR: Failed to load policy: {root}/qa: policy signature verification failed", snapshot)
    assert e.causes[0].likelihood == "likely" and "qa is malformed now" in e.causes[0].evidence
    assert not any("fixed since" in c.evidence for c in e.causes[:1])
    # a YAML error that names no policy: the one policy failing at that line
    legacy = snapshot.entries[f"{root}/legacy"]
    line = legacy.assessment.tvm.text.split("line ")[1].split(":")[0]
    e = explain(f"yaml: unmarshal errors:\n  line {line}: cannot unmarshal !!seq into policy.TimeWindow", snapshot)
    assert e.policy_path == f"{root}/legacy"
    assert e.causes[0].likelihood == "likely" and "legacy" in e.causes[0].evidence
