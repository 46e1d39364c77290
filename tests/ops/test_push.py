"""Push: sign before writing, stop on a moved version, and never leave policy and signature out of step."""

from __future__ import annotations

import pytest
from botocore.exceptions import ConnectionClosedError

from sentinel_tui.aws.faults import error_response as aws_error, on_call
from sentinel_tui.core.envelope import parse_envelope, policy_hash
from sentinel_tui.core.status import Status
from sentinel_tui.ops.context import ReadOnlyError
from sentinel_tui.ops.push import PushError, execute_push, plan_push

POLICY_V1 = b'version: "1"\nrules:\n  - name: a\n    effect: allow\n    conditions:\n      profiles: [dev]\n'
POLICY_V2 = POLICY_V1.replace(b"[dev]", b"[dev, qa]")
PATH = "/sentinel/policies/dev"
SIG = "/sentinel/signatures/dev"


def inject(ops, service, operation, handler):
    ops.clients.add_hook(on_call(service, operation, handler))


@pytest.fixture
def local(tmp_path):
    def write(data: bytes, name="dev.yaml"):
        path = tmp_path / name
        path.write_bytes(data)
        return path
    return write


@pytest.fixture
def pushed_v1(ops, signing_key, local):
    plan = plan_push(ops, "dev", local(POLICY_V1), sign=True, key_id=signing_key)
    execute_push(ops, plan)
    return ops.fleet.entry("dev")


def pair_consistent(ops) -> bool:
    """True when the stored signature verifies the stored policy (or neither exists)."""
    entry = ops.fleet.entry("dev")
    if entry.policy is None:
        return entry.signature is None
    return entry.status is Status.VALID


def test_push_signs_writes_and_verifies(ops, signing_key, local):
    plan = plan_push(ops, "dev", local(POLICY_V1), sign=True, key_id=signing_key)
    assert plan.creates and plan.diff.added > 0
    result = execute_push(ops, plan)
    assert result.policy_version == 1 and result.signature_version == 1
    assert result.status is Status.VALID
    stored_sig = ops.store.get(SIG)
    env = parse_envelope(stored_sig.value)
    assert env.policy_hash == policy_hash(POLICY_V1)
    assert "\n" not in stored_sig.value  # compact JSON, as push --sign writes
    assert ops.store.get(PATH).data == POLICY_V1
    lines = ops.audit.read()
    assert lines[-1]["action"] == "push" and lines[-1]["outcome"] == "ok"
    assert lines[-1]["version_after"] == 1 and lines[-1]["policy_hash"] == policy_hash(POLICY_V1)


def test_sign_denied_writes_nothing(ops, pushed_v1, signing_key, local):
    inject(ops, "kms", "Sign", lambda p: aws_error(
        "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: kms:Sign"))
    plan = plan_push(ops, "dev", local(POLICY_V2), sign=True, key_id=signing_key)
    with pytest.raises(PushError) as err:
        execute_push(ops, plan)
    assert "nothing was written" in err.value.what
    assert "kms:Sign" in err.value.what
    assert ops.store.get(PATH).version == pushed_v1.policy.version
    assert pair_consistent(ops)
    assert ops.audit.read()[-1]["outcome"] == "failed before writing"


@pytest.mark.parametrize("fault", ["throttled", "reset"])
def test_failure_between_the_two_writes_restores_the_previous_pair(ops, pushed_v1, signing_key, local, fault):
    def on_put(params):
        if params["Name"] == SIG:
            if fault == "throttled":
                return aws_error("ThrottlingException", "Rate exceeded")
            raise ConnectionClosedError(endpoint_url=ops.settings.endpoint_url)
    inject(ops, "ssm", "PutParameter", on_put)
    ops.clients.max_attempts = 1
    plan = plan_push(ops, "dev", local(POLICY_V2), sign=True, key_id=signing_key)
    with pytest.raises(PushError) as err:
        execute_push(ops, plan)
    assert err.value.written and err.value.restored
    assert "restored" in err.value.ssm_state
    assert ops.store.get(PATH).data == POLICY_V1
    assert pair_consistent(ops)
    assert ops.audit.read()[-1]["outcome"] == "failed, restored"


def test_failure_on_first_push_deletes_the_new_policy(ops, signing_key, local):
    inject(ops, "ssm", "PutParameter",
           lambda params: aws_error("AccessDeniedException", "not authorized to perform: ssm:PutParameter")
           if params["Name"] == SIG else None)
    plan = plan_push(ops, "dev", local(POLICY_V1), sign=True, key_id=signing_key)
    with pytest.raises(PushError):
        execute_push(ops, plan)
    assert ops.store.get(PATH) is None and ops.store.get(SIG) is None


def test_remote_change_after_the_diff_stops_before_writing(ops, pushed_v1, signing_key, local):
    plan = plan_push(ops, "dev", local(POLICY_V2), sign=True, key_id=signing_key)
    ops.store.put(PATH, POLICY_V1.decode() + "# someone else\n")
    with pytest.raises(PushError) as err:
        execute_push(ops, plan)
    assert err.value.kind == "conflict" and not err.value.written
    assert ops.store.get(PATH).data.endswith(b"# someone else\n")


def test_a_held_lock_stops_a_second_push(ops, pushed_v1, signing_key, local):
    ops.clients.client("ssm").put_parameter(Name="/sentinel/locks" + PATH, Value="other", Type="String")
    plan = plan_push(ops, "dev", local(POLICY_V2), sign=True, key_id=signing_key)
    with pytest.raises(PushError) as err:
        execute_push(ops, plan)
    assert err.value.kind == "conflict"
    assert ops.store.get(PATH).data == POLICY_V1


def test_unsigned_push_over_a_signed_policy_is_refused(ops, pushed_v1, local):
    with pytest.raises(PushError) as err:
        plan_push(ops, "dev", local(POLICY_V2), sign=False, key_id=None)
    assert "Push it signed" in err.value.fix and "--allow-unsigned" in err.value.fix


def test_read_only_refuses_in_the_operations_layer(ops, signing_key, local):
    plan = plan_push(ops, "dev", local(POLICY_V1), sign=True, key_id=signing_key)
    ro = ops.switch(read_only=True)
    with pytest.raises(ReadOnlyError):
        execute_push(ro, plan)
    assert ops.store.get(PATH) is None


def test_too_large_is_refused_before_any_call(ops, signing_key, local, call_counter):
    big = POLICY_V1 + b"#" + b"x" * 4200 + b"\n"
    with pytest.raises(Exception) as err:
        plan_push(ops, "dev", local(big), sign=True, key_id=signing_key)
    assert "4,096" in str(err.value)
    assert call_counter.count("kms.Sign") == 0 and call_counter.count("ssm.PutParameter") == 0


# -- issue 12: signing is the default, and what SSM holds is read, not recalled --------------------

def test_a_conflict_says_what_ssm_holds_now_not_what_it_held_at_the_diff(ops, pushed_v1, signing_key, local):
    plan = plan_push(ops, "dev", local(POLICY_V2), sign=True, key_id=signing_key)
    ops.store.put(PATH, POLICY_V1.decode() + "# someone else\n")  # another writer: version 2
    with pytest.raises(PushError) as err:
        execute_push(ops, plan)
    assert err.value.kind == "conflict"
    state = err.value.ssm_state
    assert f"policy {PATH} version 2" in state and "version 1 (unchanged)" not in state.split(",")[0]
    assert "another writer" in state and f"signature {SIG} version 1 (unchanged)" in state


def test_a_failed_sign_reads_ssm_for_its_state(ops, signing_key, local):
    plan = plan_push(ops, "dev", local(POLICY_V1), sign=True, key_id=signing_key)
    inject(ops, "kms", "Sign", lambda **kw: aws_error("KMSInvalidStateException", "disabled", 400))
    with pytest.raises(PushError) as err:
        execute_push(ops, plan)
    assert f"policy {PATH} absent (unchanged)" in err.value.ssm_state


def test_a_new_policy_is_not_pushed_unsigned_unless_asked(ops, signing_key, local):
    with pytest.raises(PushError) as err:
        plan_push(ops, "new", local(POLICY_V1), sign=False, key_id=None)
    assert "--allow-unsigned" in err.value.fix
    plan = plan_push(ops, "new", local(POLICY_V1), sign=False, key_id=None, allow_unsigned=True)
    assert not plan.sign


def test_the_default_key_is_the_settings_default_and_is_checked_before_anything(ops, signing_key, local):
    plan = plan_push(ops, "dev", local(POLICY_V1), sign=True, key_id=None)
    assert plan.key_id == "alias/sentinel-policy-signing"


def test_a_missing_default_key_refuses_the_push_with_nothing_written(ops, local, call_counter):
    with pytest.raises(PushError) as err:
        plan_push(ops, "dev", local(POLICY_V1), sign=True, key_id=None)
    assert err.value.kind == "no-key"
    assert "alias/sentinel-policy-signing does not exist" in err.value.what
    assert "keys setup" in err.value.fix and "--allow-unsigned" in err.value.fix
    assert not any(c.startswith(("ssm.PutParameter", "kms.Sign")) for c in call_counter.calls)
    assert ops.store.get(PATH) is None and ops.store.get(SIG) is None


def test_a_key_that_cannot_sign_refuses_the_push(ops, local):
    kms = ops.clients.client("kms")
    meta = kms.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    kms.create_alias(AliasName="alias/sentinel-policy-signing", TargetKeyId=meta["KeyId"])
    with pytest.raises(PushError) as err:
        plan_push(ops, "dev", local(POLICY_V1), sign=True, key_id=None)
    assert err.value.kind == "no-key" and "SIGN_VERIFY" in err.value.what


def test_the_confirmation_says_a_leftover_signature_is_replaced(ops, signing_key, local):
    """Pushing a policy whose signature outlived it (an orphan): the summary says that signature goes."""
    from sentinel_tui.core.envelope import dump_envelope
    from sentinel_tui.ops.sign import sign_bytes

    ops.store.put(SIG, dump_envelope(sign_bytes(ops, POLICY_V1, signing_key), indent=False))
    plan = plan_push(ops, "dev", local(POLICY_V2), sign=True, key_id=signing_key)
    assert plan.creates and plan.replaces_orphan_signature
    text = "\n".join(plan.summary())
    assert "replaces   the leftover signature (version 1)" in text and "orphan" in text
    result = execute_push(ops, plan)
    assert result.signature_version == 2 and pair_consistent(ops)
    assert not plan_push(ops, "dev", local(POLICY_V1), sign=True, key_id=signing_key).replaces_orphan_signature


def test_push_reuses_the_signature_file_the_sign_step_wrote(ops, signing_key, local, call_counter):
    """Sign, then push: the push writes FILE.sig as is, no second KMS Sign (issue 12)."""
    from sentinel_tui.ops.sign import sign_file

    path = local(POLICY_V1)
    made = sign_file(ops, path, signing_key, output=f"{path}.sig")
    plan = plan_push(ops, "dev", path, sign=True, key_id=None)
    assert plan.envelope_text is not None and str(made.output) in plan.envelope_source
    assert "reuses" in "\n".join(plan.summary())
    signs = call_counter.count("kms.Sign")
    result = execute_push(ops, plan)
    assert call_counter.count("kms.Sign") == signs  # not signed again
    assert result.status is Status.VALID and pair_consistent(ops)
    stored = parse_envelope(ops.store.get(SIG).value)
    assert stored.signature == made.envelope.signature and "\n" not in ops.store.get(SIG).value


def test_a_signature_file_that_does_not_fit_is_ignored_and_push_signs(ops, signing_key, local, call_counter):
    from sentinel_tui.ops.sign import sign_file

    path = local(POLICY_V1)
    sign_file(ops, path, signing_key, output=f"{path}.sig")
    path.write_bytes(POLICY_V2)  # edited after signing: the .sig covers other bytes
    plan = plan_push(ops, "dev", path, sign=True, key_id=None)
    assert plan.envelope_text is None
    signs = call_counter.count("kms.Sign")
    execute_push(ops, plan)
    assert call_counter.count("kms.Sign") == signs + 1 and pair_consistent(ops)
    # another key's signature over the same bytes does not verify with the push key: signed afresh
    kms = ops.clients.client("kms")
    other = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    path.write_bytes(POLICY_V1)
    sign_file(ops, path, other, output=f"{path}.sig", force=True)
    assert plan_push(ops, "dev", path, sign=True, key_id=None).envelope_text is None
    # a garbage .sig is ignored, not an error
    (path.parent / f"{path.name}.sig").write_text("{not json")
    assert plan_push(ops, "dev", path, sign=True, key_id=None).envelope_text is None


def test_a_signature_file_older_than_the_stored_policy_is_not_reused(ops, signing_key, local):
    """Its signed_at would predate the change it undoes, which the doctor's replay check flags."""
    from sentinel_tui.ops.sign import sign_file

    path = local(POLICY_V1)
    sign_file(ops, path, signing_key, output=f"{path}.sig")
    execute_push(ops, plan_push(ops, "dev", local(POLICY_V2, "v2.yaml"), sign=True, key_id=None))
    assert plan_push(ops, "dev", path, sign=True, key_id=None).envelope_text is None
