"""The doctor, explain and key setup screens, driven with Pilot against the moto server."""

from __future__ import annotations

import asyncio
import json
import time

from rich.text import Text
from textual.app import App  # noqa: F401

from .shell_host import ShellHost
from textual.widgets import DataTable, Static, TabbedContent, TextArea

from sentinel_tui.aws.keys import DEFAULT_ALIAS
from sentinel_tui.config import load_settings
from sentinel_tui.ui.commands import CommandRegistry
from sentinel_tui.ui.screens.doctor import DoctorScreen
from sentinel_tui.ui.screens.flows import BulkResignFlow
from sentinel_tui.ui.screens.explain import ExplainScreen
from sentinel_tui.ui.screens.keysetup import TAB_IDS, ConfirmScreen, KeySetupScreen, SavePathScreen
from .flow_helpers import plain, until

SIZE = (130, 40)


def run(coro):
    return asyncio.run(coro)


class Host(ShellHost):
    """Hosts one screen; optionally with `:` commands recorded instead of run, and a fleet."""

    def __init__(self, screen, *, commands: tuple[str, ...] = (), fleet=None) -> None:
        super().__init__(getattr(screen, "ops", None), fleet=fleet)
        self.first = screen
        for name in commands:
            self.commands.add(name, name, lambda arg: None)

    def on_mount(self) -> None:
        self.push_screen(self.first)


def test_doctor_shows_each_check_and_starts_the_fixing_flow(ops, demo):
    screen = DoctorScreen(ops, "team/data/analytics")
    app = Host(screen, commands=("resign", "restore"))

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen.report is not None)
            table = screen.query_one(DataTable)
            assert table.row_count == 13  # 13: what it decides (issue 14)
            states = [table.get_row_at(i)[1].plain for i in range(12)]
            assert states[5] == "✘ FAIL" and states[0] == "✔ PASS" and states[4] == "✔ PASS"
            assert screen.selected_check.number == 6  # the cursor starts on the first failure
            detail = plain(screen.query_one("#doctor-detail", Static))
            assert "changed after signing" in detail and "Fix:" in detail and "f: re-sign" in detail
            summary = plain(screen.query_one("#doctor-summary", Static))
            assert "status stale" in summary and "2 checks failed" in summary
            await pilot.press("f")
            assert app.executed == ["resign team/data/analytics"]
    run(body())


def test_doctor_fix_key_starts_the_flow_and_c_copies_the_report(ops, demo):
    screen = DoctorScreen(ops, "staging")
    app = Host(screen)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen.report is not None)
            assert screen.selected_check.number == 4
            await pilot.press("f")
            await pilot.pause()
            assert app.executed == ["resign staging"]  # the fixing flow, whatever the host has registered
            await pilot.press("c")
            assert app.clipboard.startswith("Doctor: /sentinel/policies/staging")
            await pilot.press("down")
            assert screen.selected_check.number == 5
    run(body())


def test_explain_follows_the_text_and_opens_the_doctor(ops, demo):
    snapshot = ops.fleet.load()
    screen = ExplainScreen(ops)
    app = Host(screen, fleet=snapshot)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            area = screen.query_one(TextArea)
            area.insert("ERROR: Failed to load policy: /sentinel/policies/team/data/analytics: "
                        "policy signature verification failed")
            await pilot.pause()
            out = plain(screen.query_one("#explain-output", Static))
            assert "1. [likely] The policy was edited after it was signed" in out
            assert "team/data/analytics is stale" in out and "ctrl+r: run the doctor" in out
            await pilot.press("ctrl+r")
            await until(pilot, lambda: isinstance(app.screen, DoctorScreen))
            await until(pilot, lambda: app.screen.report is not None)
            assert app.screen.report.check(6).state == "fail"
            await pilot.press("escape")
            await pilot.press("ctrl+l")
            await pilot.pause()
            assert "Paste the text" in plain(screen.query_one("#explain-output", Static))
    run(body())


def test_key_setup_wizard_on_an_empty_emulator(ops, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ops.store.put("/sentinel/policies/dev",
                  'version: "1"\nrules:\n  - name: a\n    effect: allow\n    conditions:\n      profiles: [dev]\n')
    screen = KeySetupScreen(ops)
    app = Host(screen, commands=("resign",), fleet=ops.fleet.load())

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen.state is not None)
            assert screen.state.needs_key and screen.steps["create"] == "pending"
            assert "KEY_ID" in screen.documents["sentinel-verifier-policy.json"]
            await pilot.press("n")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await until(pilot, lambda: screen.key is not None)
            assert screen.steps["create"] == "pass" and screen.key.spec == "RSA_4096"
            verifier = json.loads(screen.documents["sentinel-verifier-policy.json"])
            assert verifier["Statement"][0]["Resource"] == screen.key.arn
            # copy and save the document shown (the first tab: the signer policy)
            await pilot.press("y")
            assert json.loads(app.clipboard)["Statement"][0]["Resource"] == screen.key.arn
            screen.query_one(TabbedContent).active = TAB_IDS["sentinel-policy-signing.tf"]
            await pilot.pause()
            await pilot.press("w")
            await until(pilot, lambda: isinstance(app.screen, SavePathScreen))
            await pilot.press("enter")
            await until(pilot, lambda: screen.saved)
            assert screen.saved[0] == tmp_path / "sentinel-policy-signing.tf"
            await pilot.press("m")
            assert load_settings().default_key == DEFAULT_ALIAS and screen.steps["default"] == "pass"
            await pilot.press("u")
            assert app.executed == ["resign dev"]
    run(body())


def test_key_setup_with_a_symmetric_key_explains_and_creates_nothing(ops):
    kms = ops.clients.client("kms")
    meta = kms.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    kms.create_alias(AliasName=DEFAULT_ALIAS, TargetKeyId=meta["KeyId"])
    screen = KeySetupScreen(ops)
    app = Host(screen)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen.state is not None)
            text = plain(screen.query_one("#ks-state", Static))
            assert "ENCRYPT_DECRYPT" in text and "aws kms update-alias" in text
            assert screen.steps["detect"] == "fail" and screen.steps["create"] == "skip"
            await pilot.press("n")
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmScreen)
            await pilot.press("m")
            await pilot.pause()
            assert screen.steps["default"] == "pending"  # an unusable key never becomes the default
    run(body())
    assert kms.describe_key(KeyId=DEFAULT_ALIAS)["KeyMetadata"]["KeyId"] == meta["KeyId"]


def test_key_setup_read_only_creates_nothing(ops, call_counter):
    ro = ops.switch(read_only=True)
    ro.clients.add_hook(call_counter)
    screen = KeySetupScreen(ro, "alias/other")
    app = Host(screen)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen.state is not None)
            assert "Read-only" in plain(screen.query_one("#ks-banner", Static))
            assert screen.steps["create"] == "skip"
            await pilot.press("n")
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmScreen)
    run(body())
    assert call_counter.count("kms.CreateKey") == 0


# -- inside the app: D on a browser row, and the : commands --------------------------------------


def test_browser_row_opens_the_doctor_and_its_fix_key(shared_ops):
    from sentinel_tui.ui.app import SentinelApp

    from .conftest import settle

    app = SentinelApp(shared_ops)

    async def body():
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            await pilot.press("slash", *"^sandbox$", "enter")
            await pilot.pause()
            await pilot.press("D")
            await until(pilot, lambda: isinstance(app.screen, DoctorScreen))
            doctor = app.screen
            await until(pilot, lambda: doctor.report is not None)
            assert doctor.report.status.value == "invalid" and doctor.selected_check.number == 7
            await pilot.press("f")
            await pilot.pause()
            await settle(app, pilot)
            # f opens the re-sign flow on the policy (removing :resign fails here); esc comes back
            assert isinstance(app.screen, BulkResignFlow) and app.screen.names == ["sandbox"]
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is doctor)
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, DoctorScreen)
            for line, kind in (("explain /sentinel/policies/qa: policy not found", ExplainScreen),
                               ("keysetup", KeySetupScreen), ("doctor team/security", DoctorScreen)):
                app.execute_command(line)
                await until(pilot, lambda: isinstance(app.screen, kind))
                await settle(app, pilot)
                await pilot.press("escape")
                await until(pilot, lambda: not isinstance(app.screen, kind))
            assert {"doctor", "explain", "keysetup"} <= set(app.commands.names())
    run(body())
