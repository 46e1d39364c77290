"""The explainer: every TVM error text of SENTINEL_FORMATS.md section 4, ranked with the demo fleet."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from sentinel_tui.cli import main
from sentinel_tui.core.envelope import EnvelopeError, parse_envelope
from sentinel_tui.core.tvm import CONFIG_ERROR_TEXT
from sentinel_tui.ops.explain import KEYSETUP, LIKELY, PUSH, RESIGN, explain

P = "/sentinel/policies"
WRAP = "operation error KMS: Verify, https response error StatusCode: 400, RequestID: 0f1e, api error "

# (text as the TVM logs it, kind, code, policy path named, words in the meaning or detail)
SECTION_4 = [
    (f"ERROR: Failed to load policy: {P}/prod: policy not found", "policy-not-found", "", f"{P}/prod",
     "does not exist"),
    (f"ERROR: Failed to load policy: {P}/prod: policy not signed (signature enforcement enabled)", "not-signed", "",
     f"{P}/prod", "enforces signatures"),
    (f"2026/11/30 10:00:00 WARNING: policy {P}/prod has no signature, loading without verification",
     "unsigned-warning", "", f"{P}/prod", "does not enforce"),
    ("policy signature missing", "signature-missing", "", None, "no parameter at"),
    (f"failed to load signature for {P}/prod: operation error SSM: GetParameter, https response error StatusCode: "
     "400, api error AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/tvm/fn is not authorized "
     "to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:123456789012:parameter/sentinel/signatures/prod",
     "load-signature", "AccessDeniedException", f"{P}/prod", "could not read /sentinel/signatures/prod"),
    (f"failed to parse signature for {P}/qa: parsing time \"2026-11-02T09:30:00\" as "
     "\"2006-01-02T15:04:05Z07:00\": cannot parse \"\" as \"Z07:00\"", "parse-signature", "", f"{P}/qa",
     "no time zone"),
    (f"failed to parse signature for {P}/qa: parsing time \"\\\"2026-11-02T09:30:00\\\"\" as "
     "\"\\\"2006-01-02T15:04:05Z07:00\\\"\": cannot parse \"\\\"\" as \"Z07:00\"", "parse-signature", "", f"{P}/qa",
     "no time zone"),
    (f"failed to parse signature for {P}/qa: illegal base64 data at input byte 4", "parse-signature", "",
     f"{P}/qa", "not standard base64"),
    (f"failed to parse signature for {P}/qa: unexpected end of JSON input", "parse-signature", "", f"{P}/qa",
     "cut short"),
    (f"failed to parse signature for {P}/qa: invalid character 'A' looking for beginning of value",
     "parse-signature", "", f"{P}/qa", "does not hold a JSON envelope"),
    (f"failed to parse signature for {P}/qa: json: cannot unmarshal number into Go struct field "
     "SignatureEnvelope.signature of type []uint8", "parse-signature", "", f"{P}/qa", "wrong JSON type"),
    (f"signature verification error for {P}/prod: {WRAP}KMSInvalidSignatureException: ", "verification-failed",
     "KMSInvalidSignatureException", f"{P}/prod", "type assertion"),
    (f"signature verification error for {P}/prod: {WRAP}AccessDeniedException: User: "
     "arn:aws:sts::123456789012:assumed-role/sentinel-tvm/fn is not authorized to perform: kms:Verify on resource: "
     "arn:aws:kms:us-east-1:123456789012:key/abc", "verification-error", "AccessDeniedException", f"{P}/prod",
     "kms:Verify"),
    (f"signature verification error for {P}/prod: {WRAP}DisabledException: "
     "arn:aws:kms:us-east-1:123456789012:key/abc is disabled.", "verification-error", "DisabledException",
     f"{P}/prod", "disabled"),
    (f"signature verification error for {P}/prod: {WRAP}KMSInvalidStateException: "
     "arn:aws:kms:us-east-1:123456789012:key/abc is pending deletion.", "verification-error",
     "KMSInvalidStateException", f"{P}/prod", "pending deletion"),
    (f"signature verification error for {P}/prod: {WRAP}NotFoundException: Alias "
     "arn:aws:kms:us-east-1:123456789012:alias/sentinel-policy-signin is not found.", "verification-error",
     "NotFoundException", f"{P}/prod", "no key"),
    (f"signature verification error for {P}/bulk: {WRAP}ValidationException: 1 validation error detected: Value at "
     "'message' failed to satisfy constraint: Member must have length less than or equal to 4096",
     "verification-error", "ValidationException", f"{P}/bulk", "4,096"),
    (f"{P}/prod: policy signature verification failed", "verification-failed", "", f"{P}/prod",
     "does not match"),
    (CONFIG_ERROR_TEXT, "config-error", "", None, "refuses to start"),
    ("ERROR: Failed to load policy: yaml: yaml: unmarshal errors:\n  line 8: cannot unmarshal !!seq into "
     "policy.TimeWindow", "yaml", "", None, "line 8"),
    ("yaml: yaml: line 3: mapping values are not allowed in this context", "yaml", "", None, "line 3"),
    ("ERROR: Failed to load policy: empty policy", "empty-policy", "", None, "empty"),
    ("ERROR: Failed to load policy: missing version field", "missing-version", "", None, "version"),
    ("AccessDeniedException: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: kms:Verify",
     "verification-error", "AccessDeniedException", None, "kms:Verify"),
]


@pytest.mark.parametrize("text,kind,code,path,words", SECTION_4, ids=[t[1] + ":" + t[0][-30:] for t in SECTION_4])
def test_every_section_4_text_is_recognised(text, kind, code, path, words):
    e = explain(text)
    assert e.recognised and e.kind == kind, (e.kind, e.title)
    assert e.code == code
    assert e.policy_path == path
    assert words in e.meaning + " " + e.detail, (e.meaning, e.detail)
    assert e.causes and all(c.fix for c in e.causes)
    assert e.causes == sorted(e.causes, key=lambda c: -c.score)
    assert not any(c.evidence.startswith("fleet:") for c in e.causes)  # only the text, no fleet
    assert e.fleet_note.startswith("no fleet loaded")
    assert e.fixes and e.lines()[0] == e.title


def test_go_json_errors_our_parser_produces_are_read_back():
    """The parse errors the envelope reader reproduces are the ones the explainer reads."""
    for bad in ('{"signature":"AAAA","metadata":{"signed_at":"2026-11-02T09:30:00"}}', '{"signature":"AA-_"}',
                '{"signature":"AAAA"', "xx", '{"signature":5}', '{"metadata":{"signed_at":5}}'):
        with pytest.raises(EnvelopeError) as err:
            parse_envelope(bad)
        e = explain(f"failed to parse signature for {P}/qa: {err.value.go_error}")
        assert e.kind == "parse-signature" and e.detail, (bad, err.value.go_error)


def test_unknown_text_is_said_so_and_still_offers_the_doctor():
    e = explain(f"something odd happened to {P}/team/dev")
    assert not e.recognised and e.policy_path == f"{P}/team/dev" and e.policy_name == "team/dev"
    assert e.doctor_command == "sentinel-tui policy doctor team/dev"
    assert not explain("hello").causes


def test_a_signature_path_names_its_policy():
    e = explain("AccessDeniedException: not authorized to perform: ssm:GetParameter on resource: "
                "arn:aws:ssm:us-east-1:123456789012:parameter/sentinel/signatures/team/dev")
    assert e.policy_path == f"{P}/team/dev" and "ssm:GetParameter" in e.title


@pytest.fixture
def snapshot(ops, demo):
    return ops.fleet.load()


def top(text, snapshot):
    e = explain(text, snapshot)
    return e, e.causes[0]


def test_verification_failed_is_ranked_by_the_named_policy_status(snapshot):
    e, first = top(f"ERROR: Failed to load policy: {P}/team/data/analytics: policy signature verification failed",
                   snapshot)
    assert "edited after it was signed" in first.cause and first.likelihood == LIKELY
    assert "team/data/analytics is stale" in first.evidence and first.action == RESIGN
    assert e.policy_name == "team/data/analytics"
    assert e.doctor_command == "sentinel-tui policy doctor team/data/analytics"

    _, first = top(f"{P}/team/security: policy signature verification failed", snapshot)
    assert "another key" in first.cause and "wrong-key" in first.evidence

    _, first = top(f"{P}/sandbox: policy signature verification failed", snapshot)
    assert "other bytes or altered" in first.cause and "sandbox is invalid" in first.evidence

    _, first = top(f"{P}/production: policy signature verification failed", snapshot)
    assert "fixed since" in first.cause and "verifies now" in first.evidence


def test_wrapped_invalid_signature_ranks_like_verification_failed(snapshot):
    e, first = top(f"signature verification error for {P}/team/data/analytics: {WRAP}KMSInvalidSignatureException: ",
                   snapshot)
    assert e.kind == "verification-failed" and "edited after it was signed" in first.cause


def test_unsigned_warning_points_at_the_enforcement_string(snapshot):
    e, first = top(f"WARNING: policy {P}/staging has no signature, loading without verification", snapshot)
    assert "Enforcement is off" in first.cause
    assert "SENTINEL_ENFORCE_POLICY_SIGNING='TRUE'" in first.evidence and "exact string 'true'" in first.evidence
    assert any("never signed" in c.cause and "staging is unsigned" in c.evidence for c in e.causes)


def test_not_signed_too_large(snapshot):
    e = explain(f"{P}/bulk: policy not signed (signature enforcement enabled)", snapshot)
    assert e.causes[0].action == PUSH and "4,096" in e.causes[0].cause


def test_parse_failed_names_the_malformed_policy(snapshot):
    e, first = top(f"failed to parse signature for {P}/qa: parsing time \"2026-11-02T09:30:00\" as "
                   "\"2006-01-02T15:04:05Z07:00\": cannot parse \"\" as \"Z07:00\"", snapshot)
    assert "qa is malformed" in first.evidence and first.action == RESIGN


def test_policy_not_found_suggests_the_orphan_and_close_names(snapshot):
    _, first = top(f"{P}/retired: policy not found", snapshot)
    assert "deleted" in first.cause and "retired is orphan" in first.evidence
    _, first = top(f"{P}/productoin: policy not found", snapshot)
    assert "typo" in first.cause and f"{P}/production" in first.evidence
    assert "no policy or signature at" in explain(f"{P}/productoin: policy not found", snapshot).fleet_note


def test_access_denied_verify_uses_the_fleet_as_evidence(snapshot):
    _, first = top(f"signature verification error for {P}/production: {WRAP}AccessDeniedException: User: "
                   "arn:aws:sts::123456789012:assumed-role/tvm/fn is not authorized to perform: kms:Verify", snapshot)
    assert "execution role" in first.cause and "policies verify with the same key" in first.evidence
    assert first.action == KEYSETUP


def test_explicit_deny_goes_first():
    e = explain("AccessDeniedException: User: x is not authorized to perform: kms:Verify on resource: k with an "
                "explicit deny in a service control policy")
    assert "explicit Deny" in e.causes[0].cause


def test_yaml_error_with_the_fleet(snapshot):
    e = explain("yaml: yaml: unmarshal errors:\n  line 8: cannot unmarshal !!seq into policy.TimeWindow", snapshot)
    assert e.kind == "yaml" and e.causes[0].action == PUSH


def test_config_error_names_the_broken_tvm(ops, snapshot):
    role = ops.clients.client("iam").create_role(
        RoleName="r2", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("bootstrap", "x")
    ops.clients.client("lambda").create_function(
        FunctionName="tvm-broken", Runtime="provided.al2023", Role=role, Handler="bootstrap",
        Code={"ZipFile": buffer.getvalue()},
        Environment={"Variables": {"SENTINEL_POLICY_PARAMETER": f"{P}/dev", "SENTINEL_ENFORCE_POLICY_SIGNING": "true"}})
    e = explain(CONFIG_ERROR_TEXT, ops.fleet.load())
    assert "tvm-broken has this configuration" in e.causes[0].evidence
    assert e.tvm_effect.startswith("does not start")


def test_cli_explain(ops, demo, endpoint, capsys):
    code = main(["policy", "explain", f"{P}/team/data/analytics: policy signature verification failed",
                 "--endpoint-url", endpoint])
    out = capsys.readouterr().out
    assert code == 0 and "1. [likely] The policy was edited after it was signed" in out
    assert "sentinel-tui policy doctor team/data/analytics" in out
    code = main(["policy", "explain", "no idea", "--offline", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["recognised"] is False
