"""Faults moto cannot produce, injected with botocore hooks around real clients.

For each: the user gets a clear message with a fix, nothing is left half-written,
and the audit log records the outcome of a write.
"""

from __future__ import annotations

import pytest

from sentinel_tui.aws.errors import SentinelError
from sentinel_tui.aws.faults import deny, error_response, on_call
from sentinel_tui.core.status import Status
from sentinel_tui.ops.push import PushError, execute_push, plan_push

POLICY = b'version: "1"\nrules:\n  - name: a\n    effect: allow\n    conditions:\n      profiles: [dev]\n'
EDITED = POLICY.replace(b"[dev]", b"[dev, qa]")
PATH = "/sentinel/policies/dev"


def denied_message(action: str) -> str:
    return f"User: arn:aws:iam::123456789012:user/operator is not authorized to perform: {action}"


@pytest.fixture
def policy_file(tmp_path):
    path = tmp_path / "dev.yaml"
    path.write_bytes(EDITED)
    return path


@pytest.fixture
def stored(ops, signing_key, tmp_path):
    src = tmp_path / "v1.yaml"
    src.write_bytes(POLICY)
    execute_push(ops, plan_push(ops, "dev", src, sign=True, key_id=signing_key))
    return ops.fleet.entry("dev")


def consistent(ops) -> bool:
    entry = ops.fleet.entry("dev")
    return entry.status is Status.VALID


READS = [
    ("ssm", "GetParametersByPath", "ssm:GetParametersByPath"),
    ("kms", "GetPublicKey", "kms:GetPublicKey"),
]


@pytest.mark.parametrize("service,operation,action", READS)
def test_access_denied_on_fleet_reads_is_explained(ops, stored, service, operation, action):
    ops.clients.add_hook(deny(service, operation, denied_message(action)))
    snap = ops.fleet.load()
    if operation == "GetPublicKey":
        # No public key: the fleet falls back to KMS Verify, and the status stays right.
        assert snap.complete and snap.entries[PATH].status is Status.VALID
    else:
        assert snap.error is not None and snap.error.kind == "access-denied"
        assert action in snap.error.what and "arn:aws:iam::123456789012:user/operator" in snap.error.what
        assert snap.error.fix


def test_access_denied_on_list_functions_falls_back_to_settings(ops, stored):
    ops.clients.add_hook(deny("lambda", "ListFunctions", denied_message("lambda:ListFunctions")))
    snap = ops.fleet.load()
    assert snap.complete and snap.entries[PATH].status is Status.VALID


WRITES = [
    ("kms", "Sign", "kms:Sign", False),
    ("ssm", "GetParameter", "ssm:GetParameter", False),
    ("ssm", "PutParameter", "ssm:PutParameter", True),
]


@pytest.mark.parametrize("service,operation,action,restores", WRITES)
def test_access_denied_during_push_leaves_ssm_consistent(ops, stored, policy_file, signing_key,
                                                          service, operation, action, restores):
    plan = plan_push(ops, "dev", policy_file, sign=True, key_id=signing_key)
    ops.clients.add_hook(deny(service, operation, denied_message(action),
                              when=lambda p: not p.get("Name", "").startswith("/sentinel/locks")))
    with pytest.raises(SentinelError) as err:
        execute_push(ops, plan)
    assert action in str(err.value) and err.value.fix
    ops.clients.hooks.clear()
    fresh = ops.switch()
    assert consistent(fresh)
    assert fresh.store.get(PATH).data == POLICY
    assert ops.audit.read()[-1]["outcome"].startswith("failed")


def test_throttling_is_retried_then_succeeds(ops, stored):
    attempts = {"n": 0}

    def throttle_twice(params):
        attempts["n"] += 1
        if attempts["n"] <= 2:
            return error_response("ThrottlingException", "Rate exceeded")
        return None

    fresh = ops.switch()
    fresh.clients.add_hook(on_call("ssm", "GetParametersByPath", throttle_twice))
    snap = fresh.fleet.load()
    assert snap.complete and attempts["n"] > 2
    assert snap.entries[PATH].status is Status.VALID


def test_persistent_throttling_is_shown(ops, stored):
    fresh = ops.switch()
    fresh.clients.max_attempts = 2
    fresh.clients.add_hook(on_call("ssm", "GetParametersByPath",
                                   lambda p: error_response("ThrottlingException", "Rate exceeded")))
    snap = fresh.fleet.load()
    assert not snap.complete and snap.error.kind == "throttled" and snap.error.fix


@pytest.mark.parametrize("code,message,kind", [
    ("DisabledException", "arn:aws:kms:us-east-1:123456789012:key/abc is disabled.", "key-disabled"),
    ("KMSInvalidStateException", "arn:aws:kms:us-east-1:123456789012:key/abc is pending deletion.",
     "key-invalid-state"),
    ("InvalidKeyUsageException", "You cannot perform this operation on a ENCRYPT_DECRYPT key", "key-usage"),
])
def test_bad_key_states_stop_a_push_before_writing(ops, stored, policy_file, signing_key, code, message, kind):
    plan = plan_push(ops, "dev", policy_file, sign=True, key_id=signing_key)
    ops.clients.add_hook(on_call("kms", "Sign", lambda p: error_response(code, message)))
    with pytest.raises(PushError) as err:
        execute_push(ops, plan)
    assert err.value.kind == kind and not err.value.written
    assert "nothing was written" in err.value.what and err.value.fix
    assert ops.store.get(PATH).version == stored.policy.version


@pytest.mark.parametrize("code,message,kind", [
    ("ExpiredTokenException", "The security token included in the request is expired", "expired-credentials"),
    ("InvalidSignatureException",
     "Signature expired: 20261130T000000Z is now earlier than 20261130T001500Z (20261130T002000Z - 5 min.)",
     "clock-skew"),
])
def test_credential_and_clock_faults_are_explained(ops, stored, code, message, kind):
    ops.clients.add_hook(on_call("ssm", "GetParametersByPath", lambda p: error_response(code, message)))
    snap = ops.fleet.load()
    assert snap.error is not None and snap.error.kind == kind and snap.error.fix
