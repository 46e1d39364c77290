"""The plan screen (`:plan`), driven with Pilot against the moto server: plan, confirm, apply, results."""

from __future__ import annotations

import asyncio
import time

from rich.text import Text
from textual.app import App
from textual.widgets import DataTable, Input, Static

from sentinel_tui.core.status import Status
from sentinel_tui.ops.push import execute_push, plan_push
from sentinel_tui.ui.screens.plan import PlanScreen
from .flow_helpers import plain, until

SIZE = (140, 40)
GOOD = 'version: "1"\nrules:\n  - name: {n}\n    effect: allow\n    conditions:\n      profiles: [{n}]\n'


def run(coro):
    return asyncio.run(coro)


class Host(App):
    def __init__(self, screen) -> None:
        super().__init__()
        self.first = screen

    def on_mount(self) -> None:
        self.push_screen(self.first)


def cell(table: DataTable, row: str, column: str) -> str:
    value = table.get_cell(row, column)
    return value.plain if isinstance(value, Text) else str(value)


def seed(ops, tmp_path, signing_key, lambda_tvm: bool = False):
    f = tmp_path / "seed.yaml"
    f.write_text(GOOD.format(n="prod"))
    execute_push(ops, plan_push(ops, "prod", f, sign=True, key_id=signing_key))
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "prod.yaml").write_text(GOOD.format(n="prod") + "    reason: reviewed\n")
    (folder / "new.yaml").write_text(GOOD.format(n="new"))
    return folder


def test_plan_then_apply_with_enter(ops, signing_key, tmp_path):
    folder = seed(ops, tmp_path, signing_key)
    screen = PlanScreen(ops, folder)

    async def go():
        app = Host(screen)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen.phase == "ready")
            table = screen.query_one("#plan-items", DataTable)
            assert [cell(table, r, "action") for r in ("new", "prod")] == ["create", "update"]
            assert "+    reason: reviewed" not in plain(screen.query_one("#plan-detail", Static))  # row 0: new
            await pilot.press("down")
            assert "+    reason: reviewed" in plain(screen.query_one("#plan-detail", Static))
            await pilot.press("A")
            assert screen.phase == "confirm"
            assert "Press enter to apply" in plain(screen.query_one("#plan-confirm-text", Static))
            await pilot.press("enter")
            await until(pilot, lambda: screen.phase == "done")
            assert cell(table, "new", "result") == "✔ applied and verified"
            assert cell(table, "prod", "result") == "✔ applied and verified"
            assert "2 applied and verified of 2" in plain(screen.query_one("#plan-summary", Static))
    run(go())
    assert ops.fleet.entry("new").status is Status.VALID
    assert ops.fleet.entry("prod").policy.data.endswith(b"reason: reviewed\n")


def test_escape_at_the_confirmation_writes_nothing(ops, signing_key, tmp_path):
    folder = seed(ops, tmp_path, signing_key)
    screen = PlanScreen(ops, folder)

    async def go():
        app = Host(screen)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen.phase == "ready")
            await pilot.press("A")
            await pilot.press("escape")
            assert screen.phase == "ready"
            await pilot.pause(0.2)
    run(go())
    assert ops.fleet.entry("new").policy is None and ops.fleet.entry("prod").policy.version == 1


def test_an_enforcing_tvm_needs_the_typed_name(ops, signing_key, tmp_path):
    folder = seed(ops, tmp_path, signing_key)
    lam = ops.clients.client("lambda")
    iam = ops.clients.client("iam")
    role = iam.create_role(RoleName="tvm", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("bootstrap", "")
    lam.create_function(FunctionName="sentinel-tvm-prod", Runtime="provided.al2", Role=role, Handler="bootstrap",
                        Code={"ZipFile": buf.getvalue()},
                        Environment={"Variables": {"SENTINEL_POLICY_PARAMETER": "/sentinel/policies/prod",
                                                   "SENTINEL_POLICY_SIGNING_KEY": signing_key}})
    screen = PlanScreen(ops, folder)

    async def go():
        app = Host(screen)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen.phase == "ready")
            await pilot.press("A")
            field = screen.query_one("#plan-confirm-name", Input)
            assert field.display and "Type prod" in plain(screen.query_one("#plan-confirm-text", Static))
            await pilot.press("enter")  # enter alone does not apply
            await pilot.press(*"staging", "enter")
            assert screen.phase == "confirm" and "nothing was written" in plain(
                screen.query_one("#plan-confirm-text", Static))
            field.value = ""
            await pilot.press(*"prod", "enter")
            await until(pilot, lambda: screen.phase == "done")
    run(go())
    assert ops.fleet.entry("prod").policy.version == 2 and ops.fleet.entry("prod").status is Status.VALID


def test_an_invalid_file_names_each_problem(ops, signing_key, tmp_path):
    folder = seed(ops, tmp_path, signing_key)
    (folder / "bad.yaml").write_text(GOOD.format(n="bad").replace("allow", "permit"))
    screen = PlanScreen(ops, folder)

    async def go():
        app = Host(screen)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: screen.phase == "failed")
            assert "bad.yaml" in plain(screen.query_one("#plan-detail", Static))
            await pilot.press("A")
            assert screen.phase == "failed"
    run(go())
    assert ops.fleet.entry("new").policy is None
