"""The guided sign and verify flows, driven with Pilot against the moto server."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from textual.widgets import OptionList, Static

from sentinel_tui.core.envelope import parse_envelope, policy_hash
from sentinel_tui.ops.push import execute_push, plan_push
from sentinel_tui.ui.screens.flows import SignFlow, VerifyFlow

from .flow_helpers import PATH, POLICY_V1, POLICY_V2, SIZE, Host, deny_sign, run, until


@pytest.fixture
def local(ops):
    folder = Path(ops.settings.local_dir)
    folder.mkdir(parents=True, exist_ok=True)

    def write(data: bytes, name: str = "dev.yaml") -> Path:
        path = folder / name
        path.write_bytes(data)
        return path
    return write


def text_of(flow, selector: str) -> str:
    return str(flow.query_one(selector, Static).render())


def test_sign_validates_checks_the_key_saves_0600_and_verifies(ops, signing_key, local):
    kms = ops.clients.client("kms")
    symmetric = kms.create_key(KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/aaa-symmetric", TargetKeyId=symmetric)  # listed first
    file = local(POLICY_V1)
    flow = SignFlow(ops, str(file))
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: flow.options)
            assert [flow.steps.state(k) for k in ("file", "validate", "lint", "size")] == ["pass"] * 4
            keys = [o.key_id for o in flow.options]
            assert keys[0] == signing_key and "settings default" in flow.options[0].why
            assert "alias/aaa-symmetric" in keys
            checks = text_of(flow, "#key-checks")
            assert "✔ usage SIGN_VERIFY" in checks and "✔ an RSA spec" in checks and "✔ enabled" in checks
            listing = flow.query_one("#sign-keys", OptionList)
            listing.highlighted = keys.index("alias/aaa-symmetric")
            await pilot.pause()
            assert "✘ usage SIGN_VERIFY — is ENCRYPT_DECRYPT" in text_of(flow, "#key-checks")
            await pilot.press("enter")  # refused: the key cannot sign
            assert flow.steps.state("key") == "fail" and flow.phase == "input"
            listing.highlighted = 0
            await pilot.press("enter")
            await until(pilot, lambda: flow.phase == "done")
            assert [flow.steps.state(k) for k in ("key", "sign", "save", "verify")] == ["pass"] * 4
            assert "(mode 0600)" in flow.steps.step("save").why
    run(body())
    sig = Path(f"{file}.sig")
    assert stat.S_IMODE(os.stat(sig).st_mode) == 0o600
    env = parse_envelope(sig.read_bytes())
    assert env.policy_hash == policy_hash(POLICY_V1) and env.key_id == signing_key
    assert ops.fleet.verify(signing_key, POLICY_V1, env.signature)
    assert ops.audit.read()[-1]["action"] == "sign" and ops.audit.read()[-1]["outcome"] == "ok"


def test_sign_denied_saves_nothing(ops, signing_key, local):
    deny_sign(ops)
    file = local(POLICY_V1)
    flow = SignFlow(ops, str(file))
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: flow.options)
            await pilot.press("enter")
            await until(pilot, lambda: flow.phase == "done")
            assert flow.steps.state("sign") == "fail" and "kms:Sign" in flow.steps.step("sign").why
            assert flow.steps.state("save") == "skip"
    run(body())
    assert not Path(f"{file}.sig").exists()


def test_an_invalid_or_oversized_file_stops_before_any_key(ops, signing_key, local, call_counter):
    big = local(POLICY_V1 + b"#" + b"x" * 4200 + b"\n", "big.yaml")
    flow = SignFlow(ops, str(big))
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: flow.phase == "done")
            assert flow.steps.state("validate") == "pass" and flow.steps.state("size") == "fail"
            assert "4,096" in flow.steps.step("size").why
    run(body())
    assert call_counter.count("kms.") == 0


def test_verify_a_stored_pair_through_kms_then_offline_then_stale(ops, signing_key, local):
    execute_push(ops, plan_push(ops, "dev", local(POLICY_V1), sign=True, key_id=signing_key))
    flow = VerifyFlow(ops, "dev")
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: flow.phase == "done")
            assert "Signature valid" in text_of(flow, "#report-text")
            assert "KMS Verify" in flow.steps.step("signature").why
            await pilot.press("k")  # offline, with the cached public key
            await until(pilot, lambda: flow.phase == "done" and flow.via == "local")
            assert "local public key" in flow.steps.step("signature").why
            ops.store.put(PATH, POLICY_V2.decode())  # edited after signing
            await pilot.press("t")
            await until(pilot, lambda: flow.phase == "done" and flow.steps.state("hash") == "fail")
            report = text_of(flow, "#report-text")
            assert "policy content does not match signature" in report and "What to do" in report
            assert flow.steps.state("signature") == "skip"
    run(body())


def test_verify_a_local_file_and_its_envelope(ops, signing_key, local):
    from sentinel_tui.ops.sign import sign_file

    file = local(POLICY_V1)
    sign_file(ops, file, signing_key, output=f"{file}.sig")
    file.write_bytes(POLICY_V2)  # the file changed after signing
    flow = VerifyFlow(ops, file=str(file))
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: flow.phase == "done")
            assert flow.steps.state("envelope parse") == "pass" and flow.steps.state("hash") == "fail"
            file.write_bytes(POLICY_V1)
            await pilot.press("k")
            await until(pilot, lambda: flow.phase == "done" and flow.steps.state("signature") == "pass")
    run(body())


def test_sign_in_read_only_mode_saves_nothing(ops, signing_key, local, call_counter):
    file = local(POLICY_V1)
    flow = SignFlow(ops.switch(read_only=True), str(file))
    app = Host(flow)

    async def body():
        async with app.run_test(size=SIZE) as pilot:
            assert "Read-only" in text_of(flow, "#flow-banner")
            await until(pilot, lambda: flow.options)
            await pilot.press("enter")
            await until(pilot, lambda: flow.phase == "done")
            assert flow.steps.state("sign") == "skip" and "Read-only mode" in text_of(flow, "#flow-outcome")
    run(body())
    assert not Path(f"{file}.sig").exists() and call_counter.count("kms.Sign") == 0
