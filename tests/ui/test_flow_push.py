"""The guided push, driven with Pilot against the moto server, with a failure injected at each step.

Whatever happens, SSM ends consistent: the stored signature verifies the stored
policy, or nothing changed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ConnectionClosedError
from textual.widgets import Input, Static

from sentinel_tui.aws.faults import error_response
from sentinel_tui.ops.push import execute_push, plan_push
from sentinel_tui.ui.screens.flows import PushFlow
from sentinel_tui.ui.screens.flows.base import PolicyFileTree

from .flow_helpers import (
    PATH, POLICY_V1, POLICY_V2, SIG, SIZE, Host, consistent, deny_sign, gate_sign, inject, make_tvm, run,
    single_attempt,
    stored, until,
)


@pytest.fixture
def local(ops):
    folder = Path(ops.settings.local_dir)
    folder.mkdir(parents=True, exist_ok=True)

    def write(data: bytes, name: str = "dev.yaml") -> Path:
        path = folder / name
        path.write_bytes(data)
        return path
    return write


@pytest.fixture
def pushed_v1(ops, signing_key, local):
    execute_push(ops, plan_push(ops, "dev", local(POLICY_V1, "v1.yaml"), sign=True, key_id=signing_key))
    return stored(ops)


def text_of(flow, selector: str) -> str:
    return str(flow.query_one(selector, Static).render())


async def to_confirm(pilot, flow) -> None:
    await until(pilot, lambda: flow.plan is not None and flow.switcher.current == "review")
    await pilot.press("enter")
    await until(pilot, lambda: flow.switcher.current == "confirm")


def test_push_with_an_enforcing_tvm_needs_the_typed_name(ops, signing_key, local, pushed_v1):
    make_tvm(ops, PATH, signing_key)
    file = local(POLICY_V2)
    flow = PushFlow(ops, "dev", str(file))
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await to_confirm(pilot, flow)
            confirm = text_of(flow, "#confirm-text")
            assert "update: replaces stored version 1" in confirm and "88 bytes" not in confirm
            assert f"{len(POLICY_V2):,} bytes" in confirm and signing_key in confirm
            assert "sentinel-tvm-dev: enforcing" in confirm
            # what the push does to access, computed while the diff was reviewed
            await until(pilot, lambda: "comparing" not in text_of(flow, "#confirm-access"))
            access = text_of(flow, "#confirm-access")
            assert "1 change: these requests change decision" in access
            assert "profile qa: deny → allow" in access
            field = flow.query_one("#confirm-name", Input)
            assert field.display and field.has_focus
            await pilot.press("p", "r", "o", "d", "enter")  # the wrong name
            assert "not dev" in text_of(flow, "#confirm-error")
            assert stored(ops) == pushed_v1
            field.value = ""
            await pilot.press("d", "e", "v", "enter")
            await until(pilot, lambda: flow.phase == "done")
            result = text_of(flow, "#result-text")
            assert "policy     version 2 (was 1)" in result and "signature  version 2 (was 1)" in result
            assert "30 seconds" in result and "issues credentials" in result
            assert all(step.state == "pass" for step in flow.steps.steps)
            assert app.refreshed == ["dev"]
    run(body())
    assert stored(ops)[0] == POLICY_V2 and consistent(ops)
    assert ops.audit.read()[-1]["action"] == "push" and ops.audit.read()[-1]["outcome"] == "ok"


def test_sign_denied_writes_nothing_and_says_so(ops, signing_key, local, pushed_v1):
    deny_sign(ops)
    flow = PushFlow(ops, "dev", str(local(POLICY_V2)))
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await to_confirm(pilot, flow)
            await pilot.press("enter")
            await until(pilot, lambda: flow.phase == "done")
            assert flow.steps.state("sign") == "fail" and "kms:Sign" in flow.steps.step("sign").why
            assert flow.steps.state("write policy") == "skip"
            result = text_of(flow, "#result-text")
            assert "nothing was written" in result and "SSM now holds" in result
    run(body())
    assert stored(ops) == pushed_v1 and consistent(ops)


def test_put_throttled_on_the_policy_leaves_ssm_as_it_was(ops, signing_key, local, pushed_v1):
    ops = single_attempt(ops)
    inject(ops, "ssm", "PutParameter",
           lambda p: error_response("ThrottlingException", "Rate exceeded") if p["Name"] == PATH else None)
    flow = PushFlow(ops, "dev", str(local(POLICY_V2)))
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await to_confirm(pilot, flow)
            await pilot.press("enter")
            await until(pilot, lambda: flow.phase == "done")
            assert flow.steps.state("write policy") == "fail"
            assert "SSM now holds" in text_of(flow, "#result-text")
    run(body())
    assert stored(ops) == pushed_v1 and consistent(ops)


def test_failure_between_the_two_writes_is_put_back(ops, signing_key, local, pushed_v1):
    ops = single_attempt(ops)

    def on_put(params):  # the connection drops on the signature write (throttling: tests/ops/test_push.py)
        if params["Name"] == SIG:
            raise ConnectionClosedError(endpoint_url=ops.settings.endpoint_url)
    inject(ops, "ssm", "PutParameter", on_put)
    flow = PushFlow(ops, "dev", str(local(POLICY_V2)))
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await to_confirm(pilot, flow)
            await pilot.press("enter")
            await until(pilot, lambda: flow.phase == "done")
            assert flow.steps.state("write policy") == "pass"
            assert flow.steps.state("write signature") == "fail"
            result = text_of(flow, "#result-text")
            assert "SSM now holds: policy restored to the previous value" in result
            assert "put back automatically" in result
            assert app.refreshed == ["dev"]
    run(body())
    assert stored(ops) == pushed_v1 and consistent(ops)


def test_esc_while_signing_cancels_before_the_first_write(ops, signing_key, local, pushed_v1):
    entered, release = gate_sign(ops)
    flow = PushFlow(ops, "dev", str(local(POLICY_V2)))
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await to_confirm(pilot, flow)
            await pilot.press("enter")
            await until(pilot, entered.is_set)
            await pilot.press("escape")
            assert flow.cancel_requested and not flow.writing
            release.set()
            await until(pilot, lambda: app.dismissed)
    run(body())
    assert stored(ops) == pushed_v1 and consistent(ops)
    assert ops.audit.read()[-1]["outcome"] == "cancelled before writing"


def test_esc_on_the_confirmation_closes_with_nothing_written(ops, signing_key, local, pushed_v1, call_counter):
    flow = PushFlow(ops, "dev", str(local(POLICY_V2)))
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await to_confirm(pilot, flow)
            await pilot.press("escape")
            await until(pilot, lambda: app.dismissed)
    run(body())
    assert stored(ops) == pushed_v1
    assert call_counter.count("kms.Sign") == 0 and call_counter.count("ssm.PutParameter") == 0


def test_read_only_refuses_in_the_flow(ops, signing_key, local, pushed_v1):
    ro = ops.switch(read_only=True)
    flow = PushFlow(ro, "dev", str(local(POLICY_V2)))
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            assert "Read-only" in text_of(flow, "#flow-banner")
            await to_confirm(pilot, flow)
            await pilot.press("enter")
            await until(pilot, lambda: flow.phase == "done")
            assert "Read-only mode" in text_of(flow, "#result-text")
    run(body())
    assert stored(ops) == pushed_v1


def test_pick_the_file_in_the_local_folder_then_the_target(ops, signing_key, local):
    local(POLICY_V1, "dev.yaml")
    flow = PushFlow(ops)
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: flow.query(PolicyFileTree))
            tree = flow.query_one(PolicyFileTree)
            await until(pilot, lambda: tree.cursor_node is not None and tree.cursor_node.children)
            await pilot.press("down", "enter")  # the first (only) file
            target = flow.query_one("#push-target", Input)
            await until(pilot, lambda: target.value == "dev" and target.has_focus)
            await pilot.press("enter")
            await to_confirm(pilot, flow)
            assert not flow.query(PolicyFileTree)  # unmounted once picked: its loader worker ends
            assert "create: no policy is stored there yet" in text_of(flow, "#confirm-text")
            await pilot.press("enter")
            await until(pilot, lambda: flow.phase == "done")
    run(body())
    assert stored(ops)[0] == POLICY_V1 and consistent(ops)


def test_an_invalid_file_stops_at_validation(ops, signing_key, local):
    bad = local(b'version: "1"\nrules:\n  - name: a\n    effect: allow\n    conditions:\n      profiles: dev\n')
    flow = PushFlow(ops, "dev", str(bad))
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: flow.phase == "done")
            assert flow.steps.state("validate") == "fail"
            assert "cannot unmarshal" in flow.steps.step("validate").why
    run(body())
    assert stored(ops) == (None, None)
