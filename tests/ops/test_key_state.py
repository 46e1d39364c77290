"""A TVM key that is not Enabled: what the TVM on AWS does, predicted the same against any endpoint.

KMS on AWS refuses Verify, GetPublicKey and Sign with a disabled key (DisabledException) or a key
pending deletion (KMSInvalidStateException). moto does not (SENTINEL_FORMATS.md section 7), so
without a state check the app would say "issues credentials" for a TVM that denies every request.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sentinel_tui.core.status import Status, Verdict
from sentinel_tui.errors import SentinelError
from sentinel_tui.ops.sign import sign_bytes

ALIAS = "alias/sentinel-policy-signing"
RECORDED = json.loads((Path(__file__).resolve().parent.parent / "data" / "parity" / "tvm_log.json")
                      .read_text())["key_states"]


def production(ops):
    snap = ops.switch().fleet.load()  # a fresh context: no key state remembered
    return next(e for e in snap.entries.values() if e.name == "production")


def key_arn(ops):
    return ops.clients.client("kms").describe_key(KeyId=ALIAS)["KeyMetadata"]["Arn"]


def key_id(ops):
    return ops.clients.client("kms").describe_key(KeyId=ALIAS)["KeyMetadata"]["KeyId"]


def test_an_enabled_key_issues_credentials(ops, demo):
    entry = production(ops)
    assert entry.status is Status.VALID and entry.assessment.tvm.kind is Verdict.ISSUES


def test_a_disabled_tvm_key_denies_with_the_error_aws_gives(ops, demo):
    arn = key_arn(ops)
    ops.clients.client("kms").disable_key(KeyId=key_id(ops))
    entry = production(ops)
    outcome = entry.assessment.tvm
    assert outcome.kind is Verdict.DENIES
    assert outcome.log == RECORDED["aws"]["Disabled"].replace("{arn}", arn)
    # upstream's loader against moto loads it (recorded): the note says the prediction is AWS's
    assert RECORDED["moto"]["Disabled"] is None
    assert outcome.log_note.startswith("predicted for AWS") and "moto" in outcome.log_note
    assert entry.status is not Status.VALID and "disabled" in entry.assessment.reason


def test_a_key_pending_deletion_denies_with_kms_invalid_state(ops, demo):
    arn = key_arn(ops)
    ops.clients.client("kms").schedule_key_deletion(KeyId=key_id(ops), PendingWindowInDays=7)
    outcome = production(ops).assessment.tvm
    assert outcome.kind is Verdict.DENIES
    assert outcome.log == RECORDED["aws"]["PendingDeletion"].replace("{arn}", arn)


def test_signing_with_a_disabled_key_is_refused_before_anything_is_written(ops, demo):
    ops.clients.client("kms").disable_key(KeyId=key_id(ops))
    fresh = ops.switch()
    with pytest.raises(SentinelError) as caught:
        sign_bytes(fresh, b'version: "1"\nrules: []\n', ALIAS)
    assert caught.value.kind == "key-disabled"
    assert "enable-key" in caught.value.fix


def test_the_state_is_read_once_and_again_after_the_ttl(ops, demo, call_counter):
    fresh = ops.switch()
    keys = fresh.fleet.keys
    keys.check_usable(ALIAS, "Verify")
    keys.check_usable(ALIAS, "Verify")
    assert call_counter.calls.count("kms.DescribeKey") == 1
    ops.clients.client("kms").disable_key(KeyId=key_id(ops))
    keys.STATE_TTL = 0.0  # the next check looks again
    with pytest.raises(SentinelError) as caught:
        keys.check_usable(ALIAS, "Verify")
    assert caught.value.kind == "key-disabled"


def test_threads_checking_one_key_at_once_share_one_describe(ops, demo, call_counter):
    """A load verifies on several threads: the state is read once however many ask at the same time."""
    import threading

    from sentinel_tui.aws.faults import on_call

    fresh = ops.switch()
    started = threading.Barrier(4)

    def slow_describe(params):
        import time
        time.sleep(0.2)  # the others arrive while the first DescribeKey is on its way

    fresh.clients.add_hook(on_call("kms", "DescribeKey", slow_describe))

    def check():
        started.wait()
        fresh.fleet.keys.check_usable(ALIAS, "Verify")

    threads = [threading.Thread(target=check) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert call_counter.calls.count("kms.DescribeKey") == 1
