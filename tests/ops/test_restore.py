"""Restore: earlier versions found by hash in both histories, written back through push's safe path."""

from __future__ import annotations

from dataclasses import replace

import pytest
from botocore.exceptions import ConnectionClosedError

from sentinel_tui.aws.faults import error_response as aws_error, on_call
from sentinel_tui.core.envelope import parse_envelope, policy_hash
from sentinel_tui.core.status import Status
from sentinel_tui.ops.context import ReadOnlyError
from sentinel_tui.ops.push import PushError, execute_push, plan_push
from sentinel_tui.ops.restore import plan_restore, restore, restore_candidates

V1 = b'version: "1"\nrules:\n  - name: a\n    effect: allow\n    conditions:\n      profiles: [dev]\n'
V2 = V1.replace(b"[dev]", b"[dev, qa]")
V3 = V1.replace(b"[dev]", b"[dev, qa, prod]")
PATH = "/sentinel/policies/dev"
SIG = "/sentinel/signatures/dev"


def single_attempt(ops):
    """Same target, audit log and hooks; clients that do not retry, so a throttle fails at once.

    (max_attempts only applies to clients built after it is set.)"""
    from sentinel_tui.aws.session import Clients
    from sentinel_tui.ops.context import Ops

    clients = Clients(target=ops.clients.target, hooks=list(ops.clients.hooks), max_attempts=1)
    return Ops(settings=ops.settings, clients=clients, audit=ops.audit, clock=ops.clock)


def inject(ops, service, operation, handler):
    ops.clients.add_hook(on_call(service, operation, handler))


def push(ops, tmp_path, data, key):
    f = tmp_path / "p.yaml"
    f.write_bytes(data)
    return execute_push(ops, plan_push(ops, "dev", f, sign=True, key_id=key))


@pytest.fixture
def history(ops, signing_key, tmp_path):
    """V1 and V2 pushed signed; then V3 written unsigned over them (the policy is now stale)."""
    push(ops, tmp_path, V1, signing_key)
    push(ops, tmp_path, V2, signing_key)
    ops.store.put(PATH, V3.decode())
    return ops


def test_candidates_are_earlier_versions_with_a_verifying_signature(history):
    found = restore_candidates(history, "dev")
    assert [(c.version, c.signature_version) for c in found] == [(2, 2), (1, 1)]
    assert found[0].data == V2 and found[0].policy_hash == policy_hash(V2)
    assert found[0].verified_with == "alias/sentinel-policy-signing"
    assert not found[0].same_as_current and found[0].problem is None


def test_a_signature_made_with_another_key_is_not_a_candidate(ops, signing_key, tmp_path):
    kms = ops.clients.client("kms")
    other = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    push(ops, tmp_path, V1, other)  # signed with a key the TVM (default key) does not use
    ops.store.put(PATH, V2.decode())
    assert restore_candidates(ops, "dev") == []


def test_restore_writes_the_old_bytes_with_a_fresh_signature(history, call_counter):
    old_env = parse_envelope(history.store.history(SIG)[0].value)
    candidate = restore_candidates(history, "dev")[1]  # version 1
    steps = []
    result = restore(history, "dev", candidate, progress=lambda s, st: steps.append((s, st)))
    assert not result.reused_signature and call_counter.count("kms.Sign") == 1
    assert ("sign", "ok") in steps
    assert result.policy_version == 4 and result.signature_version == 3
    assert history.store.get(PATH).data == V1
    env = parse_envelope(history.store.get(SIG).value)
    assert env.policy_hash == policy_hash(V1) and env.signed_at > old_env.signed_at  # postdates the change
    entry = history.fleet.entry("dev")
    assert entry.status is Status.VALID
    line = history.audit.read()[-1]
    assert line["action"] == "restore" and line["outcome"] == "ok" and line["restored_from"] == 1
    assert line["version_before"] == 3 and line["version_after"] == 4 and line["reused_signature"] is False


def test_sign_denied_falls_back_to_the_stored_signature_that_still_verifies(history):
    old_sig = history.store.history(SIG)[0].value
    inject(history, "kms", "Sign", lambda p: aws_error("AccessDeniedException", "not authorized to perform: kms:Sign"))
    candidate = restore_candidates(history, "dev")[1]  # version 1
    result = restore(history, "dev", candidate)
    assert result.reused_signature and any("kms:Sign was denied" in n for n in result.push.notes)
    assert history.store.get(PATH).data == V1
    assert history.store.get(SIG).value == old_sig  # the old envelope, byte for byte
    assert history.fleet.entry("dev").status is Status.VALID
    outcomes = [line["outcome"] for line in history.audit.read()[-2:]]
    assert outcomes == ["failed before writing", "ok"]


def test_plan_says_whether_the_stored_envelope_could_stand_in(history):
    candidate = restore_candidates(history, "dev")[0]
    other = history.store.history(SIG)[0].value  # V1's envelope does not verify V2's bytes
    plan, reusable = plan_restore(history, "dev", replace(candidate, envelope_text=other))
    assert not reusable and plan.envelope_text is None
    plan, reusable = plan_restore(history, "dev", candidate)
    assert reusable and plan.envelope_text is None  # it signs afresh all the same
    result = restore(history, "dev", candidate, plan=plan)
    env = parse_envelope(history.store.get(SIG).value)
    assert env.policy_hash == policy_hash(V2) and not result.reused_signature
    assert history.fleet.entry("dev").status is Status.VALID


def test_sign_denied_during_a_re_signing_restore_writes_nothing(history):
    inject(history, "kms", "Sign", lambda p: aws_error("AccessDeniedException", "not authorized to perform: kms:Sign"))
    candidate = restore_candidates(history, "dev")[0]
    unusable = replace(candidate, envelope_text="{}")  # no stored envelope to fall back on
    plan, _ = plan_restore(history, "dev", unusable)
    before = (history.store.get(PATH).data, history.store.get(SIG).value)
    with pytest.raises(PushError) as err:
        restore(history, "dev", unusable, plan=plan)
    assert "nothing was written" in err.value.what and not err.value.written
    assert (history.store.get(PATH).data, history.store.get(SIG).value) == before


@pytest.mark.parametrize("fault", ["denied", "reset"])  # throttling: test_put_throttled_... below
def test_failure_between_the_two_writes_puts_the_previous_pair_back(history, fault):
    history = single_attempt(history)

    def on_put(params):
        if params["Name"] == SIG:
            if fault == "denied":
                return aws_error("AccessDeniedException", "not authorized to perform: ssm:PutParameter")
            raise ConnectionClosedError(endpoint_url=history.settings.endpoint_url)
    candidate = restore_candidates(history, "dev")[1]
    before = (history.store.get(PATH).data, history.store.get(SIG).value)
    inject(history, "ssm", "PutParameter", on_put)
    with pytest.raises(PushError) as err:
        restore(history, "dev", candidate)
    assert err.value.written and err.value.restored
    assert "restored" in err.value.ssm_state
    assert (history.store.get(PATH).data, history.store.get(SIG).value) == before
    assert history.audit.read()[-1]["outcome"] == "failed, restored"
    assert history.audit.read()[-1]["action"] == "restore"


def test_put_throttled_on_the_policy_changes_nothing(history):
    history = single_attempt(history)
    inject(history, "ssm", "PutParameter",
           lambda p: aws_error("ThrottlingException", "Rate exceeded") if p["Name"] == PATH else None)
    candidate = restore_candidates(history, "dev")[0]
    before = (history.store.get(PATH).data, history.store.get(SIG).value)
    with pytest.raises(PushError):
        restore(history, "dev", candidate)
    assert (history.store.get(PATH).data, history.store.get(SIG).value) == before


def test_cancelled_and_read_only_write_nothing(history):
    candidate = restore_candidates(history, "dev")[0]
    with pytest.raises(PushError) as err:
        restore(history, "dev", candidate, cancelled=lambda: True)
    assert err.value.kind == "cancelled"
    with pytest.raises(ReadOnlyError):
        restore(history.switch(read_only=True), "dev", candidate)
    assert history.store.get(PATH).version == 3


def test_no_history_is_a_clear_error(ops, signing_key):
    with pytest.raises(Exception) as err:
        restore_candidates(ops, "nope")
    assert "no such policy" in str(err.value)
