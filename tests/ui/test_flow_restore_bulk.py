"""The guided restore and bulk re-sign, driven with Pilot against the moto server, with faults injected."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ConnectionClosedError
from textual.widgets import DataTable, Input, Static

from sentinel_tui.aws.faults import error_response
from sentinel_tui.core.status import Status
from sentinel_tui.ops.bulk import CANCELLED, FAILED, OK
from sentinel_tui.ops.push import execute_push, plan_push
from sentinel_tui.ui.screens.flows import BulkResignFlow, RestoreFlow

from .flow_helpers import (
    PATH, POLICY_V1, POLICY_V2, SIG, SIZE, Host, consistent, deny_sign, gate_sign, inject, make_tvm, run,
    single_attempt, stored, until,
)


def text_of(flow, selector: str) -> str:
    return str(flow.query_one(selector, Static).render())


@pytest.fixture
def edited(ops, signing_key, tmp_path):
    """dev: V1 pushed signed, then V2 written over it unsigned (stale)."""
    f = tmp_path / "v1.yaml"
    f.write_bytes(POLICY_V1)
    execute_push(ops, plan_push(ops, "dev", f, sign=True, key_id=signing_key))
    ops.store.put(PATH, POLICY_V2.decode())
    return stored(ops)


async def pick_and_confirm(pilot, flow) -> None:
    await until(pilot, lambda: flow.candidates)
    await pilot.press("enter")  # the newest candidate
    await until(pilot, lambda: flow.plan is not None and flow.switcher.current == "review")
    await pilot.press("enter")
    await until(pilot, lambda: flow.switcher.current == "confirm")


def test_restore_with_an_enforcing_tvm(ops, signing_key, edited):
    make_tvm(ops, PATH, signing_key)
    flow = RestoreFlow(ops, "dev")
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await pick_and_confirm(pilot, flow)
            assert flow.steps.state("history") == "pass"
            confirm = text_of(flow, "#confirm-text")
            assert "update: replaces stored version 2" in confirm and "signed with" in confirm
            await until(pilot, lambda: "comparing" not in text_of(flow, "#confirm-access"))
            assert "profile qa: allow → deny" in text_of(flow, "#confirm-access")
            assert flow.query_one("#confirm-name", Input).display
            await pilot.press("d", "e", "v", "enter")
            await until(pilot, lambda: flow.phase == "done")
            assert flow.steps.state("sign") == "pass"  # a fresh signature postdates the change it undoes
            result = text_of(flow, "#result-text")
            assert "Restored /sentinel/policies/dev to the bytes of version 1" in result
            assert "policy     version 3 (was 2)" in result and "30 seconds" in result
    run(body())
    assert stored(ops)[0] == POLICY_V1 and consistent(ops)
    line = ops.audit.read()[-1]
    assert line["action"] == "restore" and line["restored_from"] == 1 and line["outcome"] == "ok"


@pytest.mark.parametrize("fault", ["policy put denied", "signature put dropped"])
def test_restore_failures_leave_ssm_consistent(ops, signing_key, edited, fault):
    ops = single_attempt(ops)

    def on_put(params):
        if fault == "policy put denied" and params["Name"] == PATH:
            return error_response("AccessDeniedException", "not authorized to perform: ssm:PutParameter")
        if fault == "signature put dropped" and params["Name"] == SIG:
            raise ConnectionClosedError(endpoint_url=ops.settings.endpoint_url)
    inject(ops, "ssm", "PutParameter", on_put)
    flow = RestoreFlow(ops, "dev")
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await pick_and_confirm(pilot, flow)
            await pilot.press("enter")
            await until(pilot, lambda: flow.phase == "done")
            assert "SSM now holds" in text_of(flow, "#result-text")
    run(body())
    assert stored(ops) == edited  # neither changed: the previous pair is back


def test_restore_with_nothing_to_restore_says_why(ops, signing_key, tmp_path):
    ops.store.put(PATH, POLICY_V1.decode())  # never signed
    flow = RestoreFlow(ops, "dev")
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: flow.phase == "done")
            assert flow.steps.state("history") == "fail"
    run(body())


@pytest.fixture
def two(ops, signing_key, edited):
    """dev stale (edited after signing) and qa unsigned."""
    ops.store.put("/sentinel/policies/qa", POLICY_V1.decode().replace("[dev]", "[qa]"))
    return ops


def row(flow, name: str, column: str) -> str:
    return flow.query_one("#bulk-table", DataTable).get_cell(name, column).plain


def test_bulk_resign_with_a_result_per_row(two, signing_key):
    ops = two
    flow = BulkResignFlow(ops, ["dev", "qa"])
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: flow.steps.state("review") == "pass")
            assert row(flow, "dev", "status") == "↻ stale" and row(flow, "qa", "status") == "○ unsigned"
            await pilot.press("enter")
            assert "Press enter again" in text_of(flow, "#bulk-ask")
            await pilot.press("enter")
            await until(pilot, lambda: flow.phase == "done")
            assert row(flow, "dev", "result") == "✔ ok" and row(flow, "qa", "result") == "✔ ok"
            assert flow.steps.step("summary").why == "2 re-signed of 2"
            assert sorted(app.refreshed) == ["dev", "qa"]
            # "Status now" is what each pair is after its re-sign, not what it was before
            await until(pilot, lambda: row(flow, "dev", "status") == "✔ valid" and row(flow, "qa", "status") == "✔ valid")
    run(body())
    assert ops.fleet.entry("dev").status is Status.VALID and ops.fleet.entry("qa").status is Status.VALID
    assert stored(ops)[0] == POLICY_V2  # the stored bytes were signed, not replaced
    assert [l["outcome"] for l in ops.audit.read() if l["action"] == "resign"] == ["ok", "ok"]


def test_bulk_esc_stops_cleanly_between_items(two, signing_key):
    ops = two
    entered, release = gate_sign(ops)
    before_qa = stored(ops, "/sentinel/policies/qa", "/sentinel/signatures/qa")
    flow = BulkResignFlow(ops, ["dev", "qa"])
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: flow.steps.state("review") == "pass")
            await pilot.press("enter", "enter")
            await until(pilot, entered.is_set)
            await pilot.press("escape")
            release.set()
            await until(pilot, lambda: flow.phase == "done")
            assert flow.result.cancelled
            assert [o.state for o in flow.result.outcomes] == [OK, CANCELLED]
            assert row(flow, "qa", "result") == "· cancelled"
            assert "stopped by esc" in text_of(flow, "#flow-outcome")
    run(body())
    assert consistent(ops, "dev")
    assert stored(ops, "/sentinel/policies/qa", "/sentinel/signatures/qa") == before_qa


def test_bulk_sign_denied_fails_each_row_and_writes_nothing(two, signing_key, edited):
    ops = two
    deny_sign(ops)
    flow = BulkResignFlow(ops, ["dev", "qa"])
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: flow.steps.state("review") == "pass")
            await pilot.press("enter", "enter")
            await until(pilot, lambda: flow.phase == "done")
            assert row(flow, "dev", "result") == "✘ failed" and "kms:Sign" in row(flow, "dev", "detail")
            assert flow.steps.state("summary") == "fail"
    run(body())
    assert stored(ops) == edited and ops.store.get("/sentinel/signatures/qa") is None


def test_bulk_signature_write_dropped_puts_back(two, signing_key, edited):
    ops = single_attempt(two)

    def on_put(params):
        if params["Name"].startswith("/sentinel/signatures/"):
            raise ConnectionClosedError(endpoint_url=ops.settings.endpoint_url)
    inject(ops, "ssm", "PutParameter", on_put)
    flow = BulkResignFlow(ops, ["dev"])
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: flow.steps.state("review") == "pass")
            await pilot.press("enter", "enter")
            await until(pilot, lambda: flow.phase == "done")
            assert row(flow, "dev", "result") == "✘ failed" and "SSM" in row(flow, "dev", "detail")
    run(body())
    assert stored(ops) == edited
