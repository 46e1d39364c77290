"""Tests of sentinel_tui.aws.errors: botocore exceptions -> operator-facing errors."""

from __future__ import annotations

import pickle
import socket
import sys

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    InvalidRegionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    SSOTokenLoadError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
    UnknownRegionError,
)
from urllib3.exceptions import ProtocolError

from sentinel_tui.aws.errors import (
    KINDS,
    AwsError,
    SentinelError,
    inert,
    scrub,
    translate,
)

ACCOUNT = "123456789012"
CI_USER = f"arn:aws:iam::{ACCOUNT}:user/ci"
ROLE = f"arn:aws:sts::{ACCOUNT}:assumed-role/Operator/alice"
ALIAS = "alias/sentinel-policy-signing"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
POLICY = "/sentinel/policies/prod"

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
TEMP_KEY = "ASIAY34FZKBOKMUTVV7A"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = (
    "IQoJb3JpZ2luX2VjEHwaCXVzLWVhc3QtMSJGMEQCIBz3JxH7Ihq8bUBOZbW9Jm3rsYWyLlHFjNKxJFU1mAiAiB"
    "oGc3CMjjC5Q0zgH3kFv2vOIe7H1g0f7QmMbWe0BEiqZAghVEAAaDDEyMzQ1Njc4OTAxMiIMxr6aFf1PLo+w=="
)
CREDENTIAL_BITS = (ACCESS_KEY, TEMP_KEY, SECRET, SESSION_TOKEN, SESSION_TOKEN[:40])


def client_error(code, message="", *, status=400, operation="Sign", request_id="req-1", retries=0,
                 max_attempts=False):
    """A ClientError shaped exactly as botocore builds it from an AWS answer."""
    meta = {"HTTPStatusCode": status, "RequestId": request_id, "HTTPHeaders": {}, "RetryAttempts": retries}
    if max_attempts:
        meta["MaxAttemptsReached"] = True
    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": meta}, operation)


def assert_clean(err: AwsError):
    """No credential and no raw control character in anything an operator sees."""
    for text in (err.what, err.fix, err.detail, str(err)):
        for secret in CREDENTIAL_BITS:
            assert secret not in text
        assert "\x1b" not in text and "\r" not in text and "\x07" not in text


# ---------------------------------------------------------------------------
# The error classes
# ---------------------------------------------------------------------------


def test_sentinel_error_str_and_fields():
    e = SentinelError("The policy is not signed.", "Sign it.", kind="unsigned", detail="raw")
    assert str(e) == "The policy is not signed.\nFix: Sign it."
    assert (e.what, e.fix, e.kind, e.detail) == ("The policy is not signed.", "Sign it.", "unsigned", "raw")
    assert str(SentinelError("Only what.")) == "Only what."
    assert SentinelError("x").kind == "error"


def test_aws_error_is_sentinel_error_and_pickles():
    err = translate(client_error("AccessDeniedException", "nope"), service="kms", operation="Sign",
                    resource=ALIAS, principal=CI_USER)
    assert isinstance(err, SentinelError) and isinstance(err, Exception)
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is AwsError
    assert (clone.kind, clone.what, clone.fix, clone.resource, clone.principal, clone.code) == (
        err.kind, err.what, err.fix, err.resource, err.principal, err.code)
    assert clone.action == "kms:Sign"


def test_translate_passes_an_aws_error_through():
    err = translate(NoCredentialsError(), service="ssm", operation="GetParameter")
    assert translate(err, service="kms", operation="Sign") is err


# ---------------------------------------------------------------------------
# Access denied
# ---------------------------------------------------------------------------


def test_kms_sign_access_denied_names_action_principal_key_and_fix():
    exc = client_error(
        "AccessDeniedException",
        f"User: {CI_USER} is not authorized to perform: kms:Sign on resource: {KEY_ARN} "
        "because no identity-based policy allows the kms:Sign action",
    )
    err = translate(exc, service="kms", operation="Sign", resource=ALIAS, principal=CI_USER)
    assert err.kind == "access-denied"
    assert err.retryable is False
    assert err.what == f"kms:Sign was denied for {CI_USER} on {ALIAS}."
    assert err.fix == (
        "Grant kms:Sign on that key to this principal (key policy or IAM policy), "
        "or sign with a key you may use."
    )
    assert (err.service, err.operation, err.code, err.resource) == ("kms", "Sign", "AccessDeniedException", ALIAS)
    assert "AccessDeniedException" in err.detail and "req-1" in err.detail


def test_access_denied_without_principal_says_current_credentials():
    err = translate(client_error("AccessDeniedException", ""), service="kms", operation="Verify", resource=ALIAS)
    assert err.what == f"kms:Verify was denied for the current credentials on {ALIAS}."
    assert "verify with a key you may use" in err.fix


def test_access_denied_principal_is_read_from_the_aws_message_when_not_given():
    exc = client_error(
        "AccessDeniedException",
        f"User: {ROLE} is not authorized to perform: ssm:GetParametersByPath on resource: "
        f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/sentinel/policies because no identity-based policy allows",
        operation="GetParametersByPath",
    )
    err = translate(exc, service="ssm", operation="GetParametersByPath", resource="/sentinel/policies")
    assert err.kind == "access-denied"
    assert err.principal == ROLE
    assert err.what == f"ssm:GetParametersByPath was denied for {ROLE} on /sentinel/policies."
    assert "Grant ssm:GetParametersByPath on /sentinel/policies" in err.fix
    assert "--aws-profile" in err.fix


def test_access_denied_names_the_action_aws_really_checked():
    # A SecureString read fails on kms:Decrypt although the call was ssm:GetParameter.
    exc = client_error(
        "AccessDeniedException",
        f"User: {ROLE} is not authorized to perform: kms:Decrypt on resource: {KEY_ARN} "
        "because no identity-based policy allows the kms:Decrypt action",
        operation="GetParameter",
    )
    err = translate(exc, service="ssm", operation="GetParameter", resource=POLICY)
    assert err.what.startswith(f"kms:Decrypt was denied for {ROLE} on {POLICY}")
    assert "kms:Decrypt" in err.fix


def test_explicit_deny_says_an_allow_will_not_help():
    exc = client_error(
        "AccessDeniedException",
        f"User: {ROLE} is not authorized to perform: ssm:PutParameter on resource: "
        f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{POLICY} with an explicit deny in a service control policy",
        operation="PutParameter",
    )
    err = translate(exc, service="ssm", operation="PutParameter", resource=POLICY)
    assert err.kind == "access-denied"
    assert "explicit Deny" in err.fix and "service control policy" in err.fix
    assert "adding an Allow will not help" in err.fix


@pytest.mark.parametrize(
    "service, operation, action",
    [
        ("ssm", "GetParametersByPath", "ssm:GetParametersByPath"),
        ("ssm", "GetParameter", "ssm:GetParameter"),
        ("ssm", "GetParameters", "ssm:GetParameters"),
        ("ssm", "PutParameter", "ssm:PutParameter"),
        ("ssm", "DeleteParameter", "ssm:DeleteParameter"),
        ("ssm", "DeleteParameters", "ssm:DeleteParameters"),
        ("ssm", "GetParameterHistory", "ssm:GetParameterHistory"),
        ("kms", "Sign", "kms:Sign"),
        ("kms", "Verify", "kms:Verify"),
        ("kms", "GetPublicKey", "kms:GetPublicKey"),
        ("kms", "DescribeKey", "kms:DescribeKey"),
        ("kms", "ListAliases", "kms:ListAliases"),
        ("kms", "CreateKey", "kms:CreateKey"),
        ("kms", "CreateAlias", "kms:CreateAlias"),
        ("kms", "TagResource", "kms:TagResource"),
        ("lambda", "ListFunctions", "lambda:ListFunctions"),
        ("lambda", "GetFunctionConfiguration", "lambda:GetFunctionConfiguration"),
        ("sts", "GetCallerIdentity", "sts:GetCallerIdentity"),
    ],
)
def test_access_denied_maps_operation_to_iam_action(service, operation, action):
    code = "AccessDenied" if service == "sts" else "AccessDeniedException"
    err = translate(client_error(code, "", operation=operation), service=service, operation=operation,
                    principal=CI_USER)
    assert err.kind == "access-denied"
    assert err.what.startswith(f"{action} was denied for {CI_USER}")
    assert action in err.fix
    assert err.action == action


def test_moto_iam_mode_403_is_access_denied():
    # moto with IAM checks: HTTP 403, botocore reports the code as "403".
    err = translate(client_error("403", "Forbidden", status=403), service="kms", operation="Sign", resource=ALIAS)
    assert err.kind == "access-denied"
    assert err.what == f"kms:Sign was denied for the current credentials on {ALIAS}."


# ---------------------------------------------------------------------------
# Not found, key states, key usage, verdict
# ---------------------------------------------------------------------------


def test_parameter_not_found():
    err = translate(client_error("ParameterNotFound", "", operation="GetParameter"),
                    service="ssm", operation="GetParameter", resource=POLICY)
    assert err.kind == "not-found" and not err.retryable
    assert POLICY in err.what and "does not exist" in err.what
    assert "policy root" in err.fix


def test_missing_signature_parameter_says_policy_is_unsigned():
    err = translate(client_error("ParameterNotFound", "", operation="GetParameter"),
                    service="ssm", operation="GetParameter", resource="/sentinel/signatures/prod")
    assert "no signature" in err.what


def test_kms_key_or_alias_not_found():
    exc = client_error("NotFoundException", f"Alias arn:aws:kms:us-east-1:{ACCOUNT}:{ALIAS} is not found.")
    err = translate(exc, service="kms", operation="Sign", resource=ALIAS, region="us-east-1")
    assert err.kind == "not-found"
    assert err.what == f"The KMS key {ALIAS} was not found in us-east-1."
    assert "region" in err.fix and "list-aliases" in err.fix


def test_lambda_function_not_found():
    exc = client_error("ResourceNotFoundException", "Function not found: arn:aws:lambda:...:function:tvm",
                       status=404, operation="GetFunctionConfiguration")
    err = translate(exc, service="lambda", operation="GetFunctionConfiguration", resource="tvm")
    assert err.kind == "not-found" and "Lambda function tvm" in err.what


def test_disabled_key():
    err = translate(client_error("DisabledException", f"{KEY_ARN} is disabled."),
                    service="kms", operation="Sign", resource=ALIAS)
    assert err.kind == "key-disabled"
    assert f"KMS key {ALIAS} is disabled" in err.what and "kms:Sign" in err.what
    assert "enable-key" in err.fix


def test_key_pending_deletion_says_so_and_names_cancel_key_deletion():
    err = translate(client_error("KMSInvalidStateException", f"{KEY_ARN} is pending deletion."),
                    service="kms", operation="Sign", resource=ALIAS)
    assert err.kind == "key-invalid-state"
    assert "pending deletion" in err.what and ALIAS in err.what
    assert "CancelKeyDeletion" in err.fix and "cancel-key-deletion" in err.fix


def test_other_invalid_state():
    err = translate(client_error("KMSInvalidStateException", f"{KEY_ARN} is pending import."),
                    service="kms", operation="Sign", resource=ALIAS)
    assert err.kind == "key-invalid-state" and "pending import" in err.what
    assert "CancelKeyDeletion" not in err.fix


def test_invalid_key_usage_aws():
    err = translate(client_error("InvalidKeyUsageException",
                                 f"{KEY_ARN} key usage is ENCRYPT_DECRYPT which is not valid for Sign."),
                    service="kms", operation="Sign", resource="alias/app-data")
    assert err.kind == "key-usage"
    assert "alias/app-data cannot sign" in err.what and "SIGN_VERIFY" in err.fix


def test_invalid_key_usage_moto_validation_exception():
    msg = ("1 validation error detected: Value 'abcd' at 'KeyId' failed to satisfy constraint: "
           "Member must point to a key with usage: 'SIGN_VERIFY'")
    err = translate(client_error("ValidationException", msg), service="kms", operation="Sign",
                    resource="alias/app-data")
    assert err.kind == "key-usage"


def test_kms_invalid_signature_is_a_verdict_not_a_request_signature_problem():
    err = translate(client_error("KMSInvalidSignatureException", ""), service="kms", operation="Verify",
                    resource=ALIAS)
    assert err.kind == "invalid-signature" and not err.retryable
    assert ALIAS in err.what and "invalid" in err.what


# ---------------------------------------------------------------------------
# Validation, size, SSM limits
# ---------------------------------------------------------------------------


def test_kms_message_too_long_is_too_large():
    msg = ("1 validation error detected: Value at 'message' failed to satisfy constraint: "
           "Member must have length less than or equal to 4096")
    err = translate(client_error("ValidationException", msg), service="kms", operation="Sign", resource=ALIAS)
    assert err.kind == "too-large"
    assert "4,096 bytes" in err.what and "RAW" in err.what


@pytest.mark.parametrize("msg", [
    "1 validation error detected: Value at 'value' failed to satisfy constraint: "
    "Member must have length less than or equal to 4096",
    "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger "
    "parameter value, upgrade the parameter to use the advanced-parameter tier.",
])
def test_ssm_value_too_long_is_too_large(msg):
    err = translate(client_error("ValidationException", msg, operation="PutParameter"),
                    service="ssm", operation="PutParameter", resource=POLICY)
    assert err.kind == "too-large"
    assert POLICY in err.what and "4,096" in err.what and "8,192" in err.what


def test_other_validation_exception():
    err = translate(client_error("ValidationException", "Parameter name: can't be prefixed with \"aws\"",
                                 operation="PutParameter"),
                    service="ssm", operation="PutParameter", resource="/aws/x")
    assert err.kind == "validation"
    assert "can't be prefixed" in err.what and "/aws/x" in err.what


def test_parameter_limits_and_conflicts():
    e1 = translate(client_error("ParameterLimitExceeded", "", operation="PutParameter"),
                   service="ssm", operation="PutParameter", resource=POLICY)
    e2 = translate(client_error("ParameterMaxVersionLimitExceeded", "", operation="PutParameter"),
                   service="ssm", operation="PutParameter", resource=POLICY)
    e3 = translate(client_error("TooManyUpdates", "", operation="PutParameter"),
                   service="ssm", operation="PutParameter", resource=POLICY)
    assert e1.kind == "limit-exceeded" and "quota" in e1.what
    assert e2.kind == "limit-exceeded" and "100 versions" in e2.what and "unlabel" in e2.fix
    assert e3.kind == "parameter-version-conflict" and e3.retryable
    assert POLICY in e3.what and "Re-read" in e3.fix


def test_param_validation_error_is_validation():
    exc = ParamValidationError(report="Invalid length for parameter Name, value: 0, valid min length: 1")
    err = translate(exc, service="ssm", operation="GetParameter")
    assert err.kind == "validation" and not err.retryable
    assert "was not sent" in err.what and "Invalid length for parameter Name" in err.what
    assert err.code is None


# ---------------------------------------------------------------------------
# Throttling and service errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("code, msg", [
    ("ThrottlingException", "Rate exceeded"),
    ("ThrottledException", ""),
    ("RequestLimitExceeded", ""),
    ("TooManyRequestsException", ""),
    ("Throttling", "Rate exceeded"),
    ("SomethingNew", "Rate exceeded"),
])
def test_throttled_is_retryable(code, msg):
    err = translate(client_error(code, msg, status=400, retries=4, max_attempts=True),
                    service="ssm", operation="GetParametersByPath", resource="/sentinel/policies")
    assert err.kind == "throttled" and err.retryable
    assert "ssm:GetParametersByPath" in err.what and "after 4 retries" in err.what


def test_internal_error_on_a_write_says_the_outcome_is_unknown():
    err = translate(client_error("InternalServerError", "", status=500, operation="PutParameter"),
                    service="ssm", operation="PutParameter", resource=POLICY)
    assert err.kind == "service-unavailable" and err.retryable and err.outcome_unknown
    assert "may or may not" in err.what and "Re-read" in err.fix


# ---------------------------------------------------------------------------
# Credentials and clocks
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("code, msg", [
    ("ExpiredToken", "The security token included in the request is expired"),
    ("ExpiredTokenException", "The security token included in the request is expired"),
    ("RequestExpired", "Request has expired."),
])
def test_expired_credentials(code, msg):
    err = translate(client_error(code, msg, status=400), service="kms", operation="Sign", resource=ALIAS,
                    profile="prod-admin")
    assert err.kind == "expired-credentials" and not err.retryable
    assert "expired" in err.what and "kms:Sign" in err.what
    assert "aws sso login --profile prod-admin" in err.fix


@pytest.mark.parametrize("code, msg", [
    ("InvalidClientTokenId", "The security token included in the request is invalid."),
    ("UnrecognizedClientException", "The security token included in the request is invalid."),
    ("InvalidSignatureException", "The request signature we calculated does not match the signature you "
                                  "provided. Check your AWS Secret Access Key and signing method."),
    ("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."),
])
def test_invalid_credentials(code, msg):
    err = translate(client_error(code, msg, status=403), service="ssm", operation="GetParameter")
    assert err.kind == "invalid-credentials"
    assert "aws configure" in err.fix and "--aws-profile" in err.fix
    assert "ssm:GetParameter" in err.what


@pytest.mark.parametrize("code, msg, minutes", [
    ("InvalidSignatureException",
     "Signature expired: 20240101T000000Z is now earlier than 20240101T001500Z (20240101T002000Z - 5 min.)", 20),
    ("InvalidSignatureException",
     "Signature not yet current: 20240101T003000Z is still later than 20240101T000500Z "
     "(20240101T000000Z + 5 min.)", 30),
    ("RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", None),
])
def test_clock_skew(code, msg, minutes):
    err = translate(client_error(code, msg, status=403), service="kms", operation="Sign", resource=ALIAS)
    assert err.kind == "clock-skew"
    assert "clock" in err.what and "Sync the system clock" in err.fix
    if minutes:
        assert f"about {minutes} minutes" in err.what


@pytest.mark.parametrize("exc", [
    NoCredentialsError(),
    PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"),
    ProfileNotFound(profile="prdo"),
    SSOTokenLoadError(error_msg="Token for sentinel does not exist"),
    TokenRetrievalError(provider="sso", error_msg="Token has expired and refresh failed"),
    CredentialRetrievalError(provider="custom-process", error_msg="process exited 1"),
])
def test_no_credentials(exc):
    err = translate(exc, service="ssm", operation="GetParametersByPath")
    assert err.kind == "no-credentials" and not err.retryable
    assert err.code is None
    assert "--aws-profile" in err.fix
    if not isinstance(exc, SSOTokenLoadError):
        assert "aws configure" in err.fix


def test_profile_not_found_names_the_profile():
    err = translate(ProfileNotFound(profile="prdo"), service="ssm", operation="GetParameter")
    assert "'prdo'" in err.what


def test_unauthorized_sso_token_is_expired():
    err = translate(UnauthorizedSSOTokenError(), service="ssm", operation="GetParameter", profile="ops")
    assert err.kind == "expired-credentials" and "aws sso login --profile ops" in err.fix


# ---------------------------------------------------------------------------
# Network and regions
# ---------------------------------------------------------------------------


def test_endpoint_connection_error_is_unreachable_and_did_not_reach_aws():
    exc = EndpointConnectionError(endpoint_url="https://ssm.eu-west-1.amazonaws.com/",
                                  error="Connection refused")
    err = translate(exc, service="ssm", operation="PutParameter", resource=POLICY)
    assert err.kind == "endpoint-unreachable" and err.retryable and not err.outcome_unknown
    assert "https://ssm.eu-west-1.amazonaws.com/" in err.what and "did not reach AWS" in err.what


def test_connect_timeout_is_unreachable():
    exc = ConnectTimeoutError(endpoint_url="https://kms.us-east-1.amazonaws.com/")
    err = translate(exc, service="kms", operation="Sign", resource=ALIAS)
    assert err.kind == "endpoint-unreachable" and err.retryable and "timed out" in err.what


@pytest.mark.parametrize("exc", [
    ConnectionClosedError(endpoint_url="https://ssm.us-east-1.amazonaws.com/"),
    ReadTimeoutError(endpoint_url="https://ssm.us-east-1.amazonaws.com/"),
    ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer")),
])
def test_dropped_connection_on_a_write_says_it_may_or_may_not_have_happened(exc):
    err = translate(exc, service="ssm", operation="PutParameter", resource=POLICY)
    assert err.kind == "connection-dropped" and err.retryable and err.outcome_unknown
    assert "the request may or may not have reached AWS" in err.what
    assert f"{POLICY} may or may not have been written" in err.what
    assert f"Re-read {POLICY}" in err.fix


def test_dropped_connection_on_a_read():
    err = translate(ReadTimeoutError(endpoint_url="https://kms.us-east-1.amazonaws.com/"),
                    service="kms", operation="Verify", resource=ALIAS)
    assert err.kind == "connection-dropped" and err.retryable
    assert "may or may not have reached AWS" in err.what and "written" not in err.what


def test_misspelled_region_that_does_not_resolve_is_unknown_region():
    exc = EndpointConnectionError(
        endpoint_url="https://ssm.us-esat-1.amazonaws.com/",
        error=socket.gaierror(-2, "Name or service not known"),
    )
    err = translate(exc, service="ssm", operation="GetParameter", resource=POLICY)
    assert err.kind == "unknown-region"
    assert "us-esat-1" in err.what and "--region" in err.fix


def test_known_region_that_does_not_resolve_is_unreachable_not_unknown_region():
    exc = EndpointConnectionError(
        endpoint_url="https://ssm.eu-west-1.amazonaws.com/",
        error=socket.gaierror(-3, "Temporary failure in name resolution"),
    )
    assert translate(exc, service="ssm", operation="GetParameter").kind == "endpoint-unreachable"


@pytest.mark.parametrize("exc", [
    NoRegionError(),
    UnknownRegionError(region_name="mars-1", error_msg="no such region"),
    InvalidRegionError(region_name="us east 1"),
])
def test_region_errors(exc):
    err = translate(exc, service="kms", operation="Sign")
    assert err.kind == "unknown-region"
    assert "region" in err.fix.lower()


def test_other_client_error_is_unknown_with_code_and_message():
    err = translate(client_error("WeirdNewException", "Something odd happened"), service="kms",
                    operation="Sign", resource=ALIAS)
    assert err.kind == "unknown"
    assert "WeirdNewException" in err.what and "Something odd happened" in err.what
    assert err.code == "WeirdNewException"


def test_non_botocore_exception_is_unknown():
    err = translate(RuntimeError("boom"), service="ssm", operation="GetParameter")
    assert err.kind == "unknown" and "RuntimeError" in err.what and "boom" in err.what


def test_every_kind_produced_is_declared():
    samples = [
        translate(client_error(c, m), service=s, operation=o, resource="r")
        for c, m, s, o in [
            ("AccessDeniedException", "", "kms", "Sign"),
            ("ParameterNotFound", "", "ssm", "GetParameter"),
            ("ParameterAlreadyExists", "", "ssm", "PutParameter"),
            ("ThrottlingException", "", "ssm", "GetParameter"),
            ("DisabledException", "", "kms", "Sign"),
            ("LimitExceededException", "", "kms", "CreateAlias"),
            ("InvalidKeyId", "", "ssm", "GetParameter"),
            ("X", "", "ssm", "GetParameter"),
        ]
    ]
    assert all(e.kind in KINDS for e in samples)
    assert samples[2].kind == "already-exists"


# ---------------------------------------------------------------------------
# scrub and inert
# ---------------------------------------------------------------------------


def test_scrub_removes_access_keys_secrets_tokens_and_auth_headers():
    text = (
        f"key {ACCESS_KEY} and {TEMP_KEY}; aws_secret_access_key = {SECRET}; "
        f'"SecretAccessKey": "{SECRET}", "SessionToken": "{SESSION_TOKEN}"\n'
        f"Authorization: AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20240101/us-east-1/kms/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "ab" * 32 + "\n"
        f"X-Amz-Security-Token: {SESSION_TOKEN}\n"
        f"https://x/?X-Amz-Credential={TEMP_KEY}%2F20240101&X-Amz-Security-Token=abc%2Bdef123456789012&X-Amz-Signature={'cd' * 32}\n"
        f"bare secret {SECRET} and bare token {SESSION_TOKEN}"
    )
    out = scrub(text)
    for secret in CREDENTIAL_BITS + ("ab" * 32, "cd" * 32, "abc%2Bdef"):
        assert secret not in out
    assert out.count("[REDACTED]") >= 10
    assert "Authorization: [REDACTED]\n" in out  # the whole header value goes
    assert out.startswith("key [REDACTED] and [REDACTED]; aws_secret_access_key = [REDACTED];")


def test_scrub_keeps_harmless_text():
    text = (f"kms:Sign was denied for {CI_USER} on {KEY_ARN} (alias {ALIAS}); "
            "policy_hash 3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b; "
            "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709; request id 0f8b1b6e-1d2c-4c6e-9b8a-7a6d5c4b3a21")
    assert scrub(text) == text
    assert scrub("") == ""


def test_inert_escapes_controls_and_nothing_else():
    assert inert("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert inert("x\ry\x07z\x00\x7f\x9b\u0085") == "x\\x0dy\\x07z\\x00\\x7f\\x9b\\x85"
    assert inert("line1\nline2\ttab") == "line1\nline2\\x09tab"
    kept = "Ünïcödé → ✓ \\x1b already-escaped, quotes \"' and [markup]"
    assert inert(kept) == kept


def test_translate_scrubs_credentials_and_controls_from_aws_messages():
    msg = (f"User: {CI_USER} is not authorized \x1b]0;pwned\x07\x1b[2J with key {ACCESS_KEY} "
           f"secret={SECRET} token {SESSION_TOKEN}\r")
    for code in ("AccessDeniedException", "WeirdNewException", "ValidationException"):
        err = translate(client_error(code, msg), service="kms", operation="Sign", resource=ALIAS)
        assert_clean(err)
        assert "\\x1b" in err.detail  # shown, but inert
    err = translate(CredentialRetrievalError(provider="process", error_msg=f"printed {ACCESS_KEY}:{SECRET}"),
                    service="ssm", operation="GetParameter")
    assert_clean(err)


def test_sentinel_error_itself_cleans_its_text():
    e = SentinelError(f"bad \x1b[31m{ACCESS_KEY}", f"fix {SECRET}", detail=f"Authorization: {ACCESS_KEY}")
    assert "\x1b" not in e.what and ACCESS_KEY not in e.what + e.detail and SECRET not in e.fix


# ---------------------------------------------------------------------------
# Real botocore clients: real exceptions, not hand-built ones
# ---------------------------------------------------------------------------


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nobody listens on it any more
    return port


def _client(service, port, **kw):
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET,
        aws_session_token=SESSION_TOKEN,
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=2),
        **kw,
    )


class _Raw:
    """The raw stream botocore reads an HTTP body from."""

    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_):
        yield self._body


def test_real_client_against_a_closed_port_is_endpoint_unreachable():
    port = _closed_port()
    ssm = _client("ssm", port)
    with pytest.raises(Exception) as info:
        ssm.get_parameter(Name=POLICY, WithDecryption=True)
    err = translate(info.value, service="ssm", operation="GetParameter", resource=POLICY)
    assert err.kind == "endpoint-unreachable" and err.retryable
    assert f"127.0.0.1:{port}" in err.what and "did not reach AWS" in err.what
    assert "Nothing is listening there" in err.fix
    assert_clean(err)


def test_real_client_before_call_hook_access_denied_names_principal():
    kms = _client("kms", _closed_port())
    calls = []

    def deny(params, **_):
        calls.append(params)
        http = AWSResponse("http://127.0.0.1/", 400, {}, _Raw(b""))
        parsed = {
            "Error": {
                "Code": "AccessDeniedException",
                "Message": f"User: {ROLE} is not authorized to perform: kms:Sign on resource: {KEY_ARN} "
                           "because no identity-based policy allows the kms:Sign action",
            },
            "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": "rid-42", "HTTPHeaders": {}},
        }
        return http, parsed

    kms.meta.events.register("before-call.kms.Sign", deny)
    with pytest.raises(ClientError) as info:
        kms.sign(KeyId=ALIAS, Message=b"version: '1'\n", MessageType="RAW",
                 SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert calls, "the hook must have answered the call"
    err = translate(info.value, service="kms", operation="Sign", resource=ALIAS)
    assert err.kind == "access-denied"
    assert err.what == f"kms:Sign was denied for {ROLE} on {ALIAS}."
    assert "rid-42" in err.detail
    assert_clean(err)


def test_real_client_wire_403_xml_body_is_access_denied_and_echoed_auth_is_scrubbed():
    """moto's IAM mode answers a JSON service with an XML 403; botocore calls the code "403".

    The fake server also echoes the request's Authorization and token headers into the message,
    as some AWS errors echo the access key id: none of it may reach the operator.
    """
    kms = _client("kms", _closed_port())

    def answer(request, **_):
        auth = request.headers["Authorization"].decode()
        token = request.headers["X-Amz-Security-Token"].decode()
        assert ACCESS_KEY in auth  # the real signed request carries the key id...
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Errors><Error><Code>AccessDenied</Code>'
            f"<Message>User: {CI_USER} is not authorized to perform: kms:Sign "
            f"(Authorization: {auth}) (X-Amz-Security-Token: {token}) key {ACCESS_KEY}</Message>"
            "</Error></Errors><RequestId>abc</RequestId></ErrorResponse>"
        ).encode()
        return AWSResponse(request.url, 403, {}, _Raw(body))

    kms.meta.events.register("before-send.kms.Sign", answer)
    with pytest.raises(ClientError) as info:
        kms.sign(KeyId=ALIAS, Message=b"x", SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert info.value.response["Error"]["Code"] == "403"
    err = translate(info.value, service="kms", operation="Sign", resource=ALIAS)
    assert err.kind == "access-denied"
    assert err.what == f"kms:Sign was denied for {CI_USER} on {ALIAS}."
    assert_clean(err)  # ...and none of it survives translation


def test_real_client_wire_json_expired_token():
    ssm = _client("ssm", _closed_port())

    def answer(request, **_):
        body = (b'{"__type":"com.amazon.coral.service#ExpiredTokenException",'
                b'"message":"The security token included in the request is expired"}')
        return AWSResponse(request.url, 400, {"x-amzn-RequestId": "r-1"}, _Raw(body))

    ssm.meta.events.register("before-send.ssm.PutParameter", answer)
    with pytest.raises(ClientError) as info:
        ssm.put_parameter(Name=POLICY, Value="version: '1'\n", Type="String", Overwrite=True)
    err = translate(info.value, service="ssm", operation="PutParameter", resource=POLICY, profile="ops")
    assert err.kind == "expired-credentials"
    assert "ssm:PutParameter" in err.what and "aws sso login --profile ops" in err.fix


def test_real_param_validation_error():
    ssm = _client("ssm", _closed_port())
    with pytest.raises(ParamValidationError) as info:
        ssm.get_parameter(Name="")
    err = translate(info.value, service="ssm", operation="GetParameter")
    assert err.kind == "validation" and "Name" in err.what


def test_real_session_without_credentials_is_no_credentials(monkeypatch, tmp_path):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    ssm = boto3.session.Session(region_name="us-east-1").client(
        "ssm", endpoint_url=f"http://127.0.0.1:{_closed_port()}",
        config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(NoCredentialsError) as info:
        ssm.get_parameter(Name=POLICY)
    err = translate(info.value, service="ssm", operation="GetParameter", resource=POLICY)
    assert err.kind == "no-credentials" and "--aws-profile" in err.fix and "aws configure" in err.fix

    with pytest.raises(ProfileNotFound) as info2:
        boto3.session.Session(profile_name="prdo")
    err2 = translate(info2.value, service="ssm", operation="GetParameter")
    assert err2.kind == "no-credentials" and "'prdo'" in err2.what


@pytest.fixture(scope="module")
def moto_endpoint():
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_moto_sign_with_encrypt_decrypt_key_is_key_usage(moto_endpoint):
    kms = boto3.client("kms", region_name="us-east-1", endpoint_url=moto_endpoint,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    key_id = kms.create_key(KeyUsage="ENCRYPT_DECRYPT", KeySpec="SYMMETRIC_DEFAULT")["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as info:
        kms.sign(KeyId=key_id, Message=b"version: '1'\n", MessageType="RAW",
                 SigningAlgorithm="RSASSA_PSS_SHA_256")
    err = translate(info.value, service="kms", operation="Sign", resource=key_id)
    assert err.kind == "key-usage", err.detail
    assert f"{key_id} cannot sign" in err.what


def test_moto_missing_parameter_is_not_found(moto_endpoint):
    ssm = boto3.client("ssm", region_name="us-east-1", endpoint_url=moto_endpoint,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    with pytest.raises(ClientError) as info:
        ssm.get_parameter(Name="/sentinel/policies/nope", WithDecryption=True)
    err = translate(info.value, service="ssm", operation="GetParameter", resource="/sentinel/policies/nope")
    assert err.kind == "not-found" and "/sentinel/policies/nope" in err.what


def test_real_bad_endpoint_url_at_client_setup():
    with pytest.raises(ValueError) as info:
        boto3.session.Session(region_name="us-east-1").client("kms", endpoint_url="not a url")
    err = translate(info.value, service="kms", operation="client")
    assert err.kind == "validation" and "--endpoint-url" in err.fix


def test_setup_steps_are_not_named_as_iam_actions():
    err = translate(RuntimeError("boom"), service="sts", operation="session")
    assert err.what.startswith("Setting up the STS session failed")
    assert "sts:session" not in err.what


def test_errors_module_does_not_import_textual():
    import subprocess

    code = ("import sys, sentinel_tui.aws.errors; "
            "bad=[m for m in sys.modules if m.split('.')[0] in ('textual','rich')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
