"""The doctor: every demo status has its failing check and fix; AWS behaviours moto lacks are injected."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from sentinel_tui.aws.faults import deny, error_response, on_call
from sentinel_tui.cli import main
from sentinel_tui.core.envelope import dump_envelope, parse_envelope
from sentinel_tui.core.status import Status
from sentinel_tui.core.tvm import CONFIG_ERROR_TEXT
from sentinel_tui.demo.fleet import ORPHAN_NAME
from sentinel_tui.ops.doctor import (FAIL, FAILING_CHECK, KEYSETUP, PASS, PUSH, RESIGN, RESTORE, SKIP, WARN,
                                     run_doctor)
from sentinel_tui.ops.push import execute_push, plan_push
from sentinel_tui.ops.sign import sign_bytes

POLICY_V1 = b'version: "1"\nrules:\n  - name: a\n    effect: allow\n    conditions:\n      profiles: [dev]\n'
POLICY_V2 = POLICY_V1.replace(b"[dev]", b"[dev, qa]")
PATH = "/sentinel/policies/dev"
SIG = "/sentinel/signatures/dev"

# name -> (status, the check that names the problem, its fixing flow, words its reason must carry)
DEMO_VERDICTS = {
    "staging": (Status.UNSIGNED, 4, RESIGN, "/sentinel/signatures/staging"),
    ORPHAN_NAME: (Status.ORPHAN, 1, PUSH, "policy not found"),
    "team/data/analytics": (Status.STALE, 6, RESIGN, "changed after signing"),
    "sandbox": (Status.INVALID, 7, RESIGN, "policy signature verification failed"),
    "team/security": (Status.WRONG_KEY, 8, RESIGN, "alias/sentinel-legacy-signing"),
    "qa": (Status.MALFORMED, 5, RESIGN, "failed to parse signature for /sentinel/policies/qa: parsing time"),
    "legacy": (Status.UNPARSEABLE, 3, PUSH, "line 8"),
    "bulk": (Status.TOO_LARGE, 2, PUSH, "4,096"),
    "team/finance": (Status.UNREADABLE, 1, None, "kms:Decrypt"),
}
VALID = ("production", "dev", "team/platform", "team/billing", "readonly", "ml/training")


def inject(ops, service, operation, handler):
    ops.clients.add_hook(on_call(service, operation, handler))


def states(report) -> dict[int, str]:
    return {c.number: c.state for c in report.checks}


def test_every_demo_status_has_its_failing_check_and_fix(ops, demo):
    assert set(FAILING_CHECK) == {v[0] for v in DEMO_VERDICTS.values()}
    for name, (status, number, action, words) in DEMO_VERDICTS.items():
        report = run_doctor(ops, name)
        assert report.status is status, (name, report.status)
        assert [c.number for c in report.checks] == list(range(1, 14)), name
        check = report.check(number)
        assert check.state == FAIL, (name, check)
        assert FAILING_CHECK[status] == number
        assert words in check.reason, (name, check.reason)
        assert check.fix, name
        assert check.action == action, (name, check.action)
        assert report.exit_code == (2 if status is Status.UNREADABLE else 1), name
        # nothing before the named check fails, except the verification a wrong key fails
        earlier = [c.number for c in report.failed if c.number < number]
        assert earlier == ([7] if status is Status.WRONG_KEY else []), (name, earlier)
    for name in VALID:
        report = run_doctor(ops, name)
        assert report.status is Status.VALID, name
        assert report.failed == [] and report.exit_code == 0, (name, report.lines())


def test_valid_production_passes_every_check_with_its_tvm(ops, demo):
    report = run_doctor(ops, "production")
    assert report.key == "alias/sentinel-policy-signing" and "sentinel-tvm-production" in report.key_source
    assert all(s == PASS for n, s in states(report).items() if n != 13), report.lines()
    # what it decides: the demo's require_approval rule is not enforced by a Lambda TVM (issue 14)
    assert report.check(13).state == WARN and "require_approval" in report.check(13).reason
    assert "KMS Verify" in report.check(7).reason
    assert demo.primary_key_arn in report.check(8).reason
    assert "Sign of a fixed probe message" in report.check(10).reason
    assert "'true' (enforcing)" in report.check(11).reason
    text = "\n".join(report.lines())
    assert text.endswith("1 warning.")
    # a policy is named a policy: "profile" is an AWS profile to a new user (issue 12)
    assert report.lines()[0] == "Doctor: /sentinel/policies/production (policy production)"
    assert "(profile" not in text


def test_unsigned_staging_also_flags_the_uppercase_enforcement_string(ops, demo):
    report = run_doctor(ops, "staging")
    four = report.check(4)
    assert "loads the policy unverified" in four.reason  # "TRUE" is not "true"
    eleven = report.check(11)
    assert eleven.state == FAIL and "'TRUE' turns enforcement OFF" in eleven.reason
    assert "SENTINEL_ENFORCE_POLICY_SIGNING=true" in eleven.fix
    assert [states(report)[n] for n in (5, 6, 7, 8)] == [SKIP] * 4
    assert all(report.check(n).reason.startswith("not checked") for n in (5, 6, 7, 8))


def test_wrong_key_names_both_key_arns(ops, demo):
    eight = run_doctor(ops, "team/security").check(8)
    assert demo.legacy_key_arn in eight.reason and demo.primary_key_arn in eight.reason
    assert "SENTINEL_POLICY_SIGNING_KEY" in eight.fix


def test_doctor_makes_no_write(ops, demo, call_counter):
    for name in ("production", "team/data/analytics", "staging"):
        run_doctor(ops, name)
    writes = [c for c in call_counter.calls if c.split(".")[1].startswith(("Put", "Delete", "Create", "Schedule",
                                                                            "Update", "Tag", "Enable", "Disable"))]
    assert writes == []


@pytest.fixture
def pushed(ops, signing_key, tmp_path):
    def push(data: bytes):
        path = tmp_path / "dev.yaml"
        path.write_bytes(data)
        return execute_push(ops, plan_push(ops, "dev", path, sign=True, key_id=signing_key))
    return push


def name_writer(ops, user_by_version: dict[int, str]):
    """moto records no LastModifiedUser: set it on the history as AWS would (a botocore after-call hook)."""
    def after(parsed, **kwargs):
        for p in parsed.get("Parameters", []):
            if p.get("Name") == PATH and p.get("Version") in user_by_version:
                p["LastModifiedUser"] = user_by_version[p["Version"]]

    def install(service, client):
        if service == "ssm":
            client.meta.events.register("after-call.ssm.GetParameterHistory", after)
    ops.clients.add_hook(install)


def test_stale_names_when_and_by_whom_from_the_history(ops, signing_key, pushed):
    pushed(POLICY_V1)
    ops.store.put(PATH, POLICY_V2.decode())  # an edit without a new signature
    name_writer(ops, {2: "arn:aws:iam::123456789012:user/mallory"})
    report = run_doctor(ops, "dev")
    six = report.check(6)
    assert report.status is Status.STALE and six.state == FAIL
    assert "covers version 1" in six.reason and "version 2, written on" in six.reason
    assert "arn:aws:iam::123456789012:user/mallory" in six.reason
    assert six.action == RESIGN and RESTORE in six.also and "restore version 1" in six.fix
    assert report.check(7).state == FAIL and report.check(12).state == SKIP


def test_replayed_older_pair_is_caught_and_a_resign_clears_it(ops, signing_key, pushed):
    pushed(POLICY_V1)
    pushed(POLICY_V2)
    old_sig = ops.store.history(SIG)[0].value
    # Someone with ssm:PutParameter but no kms:Sign puts the old, more open pair back.
    ops.store.put(PATH, POLICY_V1.decode())
    ops.store.put(SIG, old_sig)
    name_writer(ops, {3: "arn:aws:iam::123456789012:user/intruder"})
    report = run_doctor(ops, "dev")
    assert report.status is Status.VALID  # cryptographically it is fine: that is the point
    twelve = report.check(12)
    assert twelve.state == FAIL and report.exit_code == 1
    assert "brings back the bytes of version 1" in twelve.reason and "version 2 replaced" in twelve.reason
    assert "arn:aws:iam::123456789012:user/intruder" in twelve.reason
    assert "signature parameter too holds its version 1 again" in twelve.reason
    assert twelve.action == RESIGN and RESTORE in twelve.also and "restore version 2" in twelve.fix

    envelope = sign_bytes(ops, POLICY_V1, signing_key)  # re-signed now: after the change
    ops.store.put(SIG, dump_envelope(envelope, indent=False))
    report = run_doctor(ops, "dev")
    assert report.check(12).state == PASS and "re-signed afterwards" in report.check(12).reason
    assert report.exit_code == 0


def test_same_bytes_pushed_twice_is_not_a_replay(ops, demo):
    twelve = run_doctor(ops, "production").check(12)  # the demo writes production twice
    assert twelve.state == PASS and "version 1 held the same bytes" in twelve.reason


def test_access_denied_on_sign_and_verify_is_a_warning_and_verification_falls_back(ops, signing_key, pushed):
    pushed(POLICY_V1)
    msg = "User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: kms:{} on resource: key"
    ops.clients.add_hook(deny("kms", "Sign", msg.format("Sign")))
    ops.clients.add_hook(deny("kms", "Verify", msg.format("Verify")))
    report = run_doctor(ops, "dev")
    seven, ten = report.check(7), report.check(10)
    assert seven.state == PASS and "locally with the public key" in seven.reason
    assert ten.state == WARN
    assert "kms:Sign denied" in ten.reason and "kms:Verify denied" in ten.reason
    assert '"kms:Sign", "kms:Verify"' in ten.fix and ten.action == KEYSETUP
    assert report.exit_code == 0


def test_verify_probe_when_there_is_no_signature(ops, signing_key, call_counter):
    ops.store.put(PATH, POLICY_V1.decode())
    report = run_doctor(ops, "dev")
    assert report.check(4).state == FAIL
    assert "kms:Verify allowed (probe: Verify" in report.check(10).reason
    assert call_counter.count("kms.Verify") == 1 and call_counter.count("kms.Sign") == 1


def test_read_only_does_not_probe_sign(ops, signing_key, pushed, call_counter):
    pushed(POLICY_V1)
    ro = ops.switch(read_only=True)
    counter = type(call_counter)()
    ro.clients.add_hook(counter)
    report = run_doctor(ro, "dev")
    assert "kms:Sign not probed" in report.check(10).reason
    assert counter.count("kms.Sign") == 0
    assert report.exit_code == 0


def _key_error(code: str, message: str):
    return lambda params: error_response(code, message)


@pytest.mark.parametrize("case", ["disabled", "pending-deletion"])
def test_unusable_key_fails_verification_and_key_checks(ops, signing_key, pushed, case):
    pushed(POLICY_V1)
    kms = ops.clients.client("kms")
    key_id = kms.describe_key(KeyId=signing_key)["KeyMetadata"]["KeyId"]
    if case == "disabled":
        kms.disable_key(KeyId=key_id)
        code, message = "DisabledException", f"{key_id} is disabled."
    else:
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
        code, message = "KMSInvalidStateException", f"{key_id} is pending deletion."
    # moto still signs and verifies with such a key; AWS refuses: shape AWS's answer.
    for op in ("Sign", "Verify", "GetPublicKey"):
        inject(ops, "kms", op, _key_error(code, message))
    report = run_doctor(ops, "dev")
    seven, nine, ten = report.check(7), report.check(9), report.check(10)
    assert seven.state == FAIL and code in seven.reason and "signature verification error for" in seven.reason
    assert nine.state == FAIL
    if case == "disabled":
        assert "Disabled" in nine.reason and "aws kms enable-key" in nine.fix
    else:
        assert "PendingDeletion" in nine.reason and "cancel-key-deletion" in nine.fix
    assert ten.state == WARN
    assert report.exit_code == 1


def test_a_symmetric_key_fails_check_9_with_the_key_setup_flow(ops, pushed, signing_key):
    pushed(POLICY_V1)
    kms = ops.clients.client("kms")
    sym = kms.create_key(KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/symmetric", TargetKeyId=sym)
    report = run_doctor(ops, "dev", key_id="alias/symmetric")
    assert report.key == "alias/symmetric" and report.key_source == "--key-id"
    nine = report.check(9)
    assert nine.state == FAIL and "ENCRYPT_DECRYPT" in nine.reason and nine.action == KEYSETUP
    assert report.check(7).state == FAIL


def test_a_missing_key_fails_with_key_setup(ops, pushed, signing_key):
    pushed(POLICY_V1)
    report = run_doctor(ops, "dev", key_id="alias/nope")
    assert report.check(9).state == FAIL and report.check(9).action == KEYSETUP
    assert "NotFoundException" in report.check(7).reason


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bootstrap", "#!/bin/sh\n")
    return buffer.getvalue()


def tvm(ops, name: str, env: dict[str, str]) -> None:
    role = ops.clients.client("iam").create_role(
        RoleName=f"role-{name}", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    ops.clients.client("lambda").create_function(
        FunctionName=name, Runtime="provided.al2023", Role=role, Handler="bootstrap", Code={"ZipFile": _zip()},
        Environment={"Variables": {"SENTINEL_POLICY_PARAMETER": PATH, **env}})


def test_enforcement_without_a_key_is_a_tvm_that_does_not_start(ops, pushed, signing_key):
    pushed(POLICY_V1)
    tvm(ops, "tvm-broken", {"SENTINEL_ENFORCE_POLICY_SIGNING": "true"})
    report = run_doctor(ops, "dev")
    eleven = report.check(11)
    assert eleven.state == FAIL and CONFIG_ERROR_TEXT in eleven.reason and "does not start" in eleven.reason
    assert "SENTINEL_POLICY_SIGNING_KEY=" in eleven.fix
    assert report.tvm_verdict.startswith("denies: " + CONFIG_ERROR_TEXT)


@pytest.mark.parametrize("raw,state", [("1", FAIL), ("false", WARN), (None, PASS), ("true", PASS)])
def test_enforcement_strings(ops, pushed, signing_key, raw, state):
    pushed(POLICY_V1)
    env = {"SENTINEL_POLICY_SIGNING_KEY": signing_key}
    if raw is not None:
        env["SENTINEL_ENFORCE_POLICY_SIGNING"] = raw
    tvm(ops, "tvm-dev", env)
    eleven = run_doctor(ops, "dev").check(11)
    assert eleven.state == state, eleven
    if raw is None:
        assert "enforcing by default" in eleven.reason


def test_a_tvm_without_a_key_trusts_any_policy(ops, pushed, signing_key):
    pushed(POLICY_V1)
    tvm(ops, "tvm-open", {})
    eleven = run_doctor(ops, "dev").check(11)
    assert eleven.state == FAIL and "checks no signature" in eleven.reason


def test_missing_policy_is_a_failure_not_a_crash(ops):
    report = run_doctor(ops, "nothing-here")
    assert report.check(1).state == FAIL and "does not exist" in report.check(1).reason
    assert report.exit_code == 1


def test_bad_name_could_not_run(ops):
    report = run_doctor(ops, "bad name with spaces")
    assert report.exit_code == 2 and "contains ' '" in report.error
    assert report.lines()[-1].startswith("The doctor could not run")


def test_cli_doctor_exit_codes_and_json(ops, demo, endpoint, capsys):
    assert main(["policy", "doctor", "production", "--endpoint-url", endpoint]) == 0
    out = capsys.readouterr().out
    assert "1 warning." in out and "  7  pass" in out
    assert main(["policy", "doctor", "sandbox", "--endpoint-url", endpoint, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["exit_code"] == 1 and data["status"] == "invalid"
    seven = next(c for c in data["checks"] if c["number"] == 7)
    assert seven["state"] == "fail" and seven["action"] == "resign" and seven["fix"]
    assert main(["policy", "doctor", "production", "--endpoint-url", "http://127.0.0.1:9"]) == 2


def test_a_restore_is_re_signed_so_it_is_not_a_replay(ops, signing_key, pushed):
    from sentinel_tui.ops.restore import restore, restore_candidates

    pushed(POLICY_V1)
    pushed(POLICY_V2)
    candidate = next(c for c in restore_candidates(ops, "dev") if c.version == 1)
    result = restore(ops, "dev", candidate)
    assert not result.reused_signature
    twelve = run_doctor(ops, "dev").check(12)
    assert twelve.state == PASS and "re-signed afterwards" in twelve.reason


def test_a_restore_that_had_to_reuse_the_old_signature_is_a_warning_not_a_replay(ops, signing_key, pushed):
    from sentinel_tui.aws.faults import deny
    from sentinel_tui.ops.restore import restore, restore_candidates

    pushed(POLICY_V1)
    pushed(POLICY_V2)
    candidate = next(c for c in restore_candidates(ops, "dev") if c.version == 1)
    denied = ops.switch()
    denied.clients.add_hook(deny("kms", "Sign", "not authorized to perform: kms:Sign"))
    result = restore(denied, "dev", candidate)
    assert result.reused_signature  # Sign denied: the old envelope, which still verifies, stands in
    twelve = run_doctor(ops, "dev").check(12)
    assert twelve.state == WARN and "restore recorded in this machine's audit log" in twelve.reason
    assert "sentinel-tui policy resign dev" in twelve.fix


@pytest.mark.parametrize("body", [
    # validate stage fails: the TVM parses it, sign refuses it
    b'version: "1"\nrules:\n  - name: a\n    effect: maybe\n    conditions:\n      profiles: [x]\n',
    # parse stage fails
    b'version: "1"\nrules:\n  - name: a\n    effect: allow\n    conditions:\n      profiles: x\n',
])
def test_an_invalid_unsigned_policy_is_never_offered_a_re_sign(ops, signing_key, body):
    """The re-sign would skip it (it signs the stored bytes, which do not validate): issue 12."""
    from sentinel_tui.ops.bulk import SKIPPED, resign_many

    ops.store.put("/sentinel/policies/broken", body.decode())
    report = run_doctor(ops, "broken")
    offered = [c for c in report.checks if RESIGN in c.actions]
    assert offered == [], [(c.number, c.actions) for c in offered]
    four = report.check(4)
    assert four.state == FAIL and four.action == PUSH and "Fix the YAML first (check 3)" in four.fix
    assert "resign" not in four.fix.split("A re-sign")[0]
    # what it would have offered indeed does not work
    assert resign_many(ops, ["broken"]).outcomes[0].state == SKIPPED
