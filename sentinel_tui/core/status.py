"""One status per policy/signature pair, and what the TVM does with it.

`assess` is pure: the caller reads the parameters and hands in a `verify`
callable (local RSA-PSS with a cached public key, or KMS Verify). The status
answers "what is wrong with this pair"; the verdict answers "what would the TVM
do right now", following SENTINEL_FORMATS.md section 4 step by step. The two
are computed independently, so neither can paper over the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Callable

from .envelope import Envelope, EnvelopeError, parse_envelope, policy_hash
from .policy import MAX_POLICY_BYTES, PolicyCheck, PolicyError, check_policy
from .tvm import TvmConfig


class Status(str, Enum):
    VALID = "valid"
    UNSIGNED = "unsigned"
    ORPHAN = "orphan"
    STALE = "stale"
    INVALID = "invalid"
    WRONG_KEY = "wrong-key"
    MALFORMED = "malformed"
    UNPARSEABLE = "unparseable"
    TOO_LARGE = "too-large"
    UNREADABLE = "unreadable"

    def __str__(self) -> str:
        return self.value


# Symbol and meaning per status: the table reads without colour, and the README
# and the `?` screen take their wording from here.
STATUS_SYMBOL = {
    Status.VALID: "✔",
    Status.UNSIGNED: "○",
    Status.ORPHAN: "◌",
    Status.STALE: "↻",
    Status.INVALID: "✘",
    Status.WRONG_KEY: "⚷",
    Status.MALFORMED: "⁇",
    Status.UNPARSEABLE: "⚠",
    Status.TOO_LARGE: "⬛",
    Status.UNREADABLE: "⊘",
}

STATUS_MEANING = {
    Status.VALID: "the signature verifies with the TVM's key over the stored bytes",
    Status.UNSIGNED: "no signature parameter exists for this policy",
    Status.ORPHAN: "a signature exists but its policy does not",
    Status.STALE: "the policy changed after it was signed (policy_hash differs)",
    Status.INVALID: "the hash matches but the signature does not verify with any known key",
    Status.WRONG_KEY: "the signature verifies with another key, not the TVM's",
    Status.MALFORMED: "the signature envelope cannot be parsed as Go parses it",
    Status.UNPARSEABLE: "the TVM's YAML parse of the policy fails",
    Status.TOO_LARGE: "the policy is over 4,096 bytes: KMS cannot sign it in RAW mode",
    Status.UNREADABLE: "the policy or signature could not be read (access denied or another error)",
}

NEEDS_ATTENTION = frozenset(Status) - {Status.VALID}


class Verdict(str, Enum):
    ISSUES = "issues"
    DENIES = "denies"
    UNVERIFIED = "unverified"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class TvmOutcome:
    kind: Verdict
    text: str  # "issues credentials", "denies: <what happens>", "loads unverified (warning)"
    # The literal error the TVM logs on AWS when it denies (``err.Error()`` of its
    # loader; after "ERROR: Failed to load policy: " in CloudWatch), with AWS's
    # request id written <request-id>. None when it issues credentials, or when
    # what it does cannot be known from here.
    log: str | None = None
    # Where the log line is a prediction that differs from what an emulator
    # (moto) makes the same code log, or rests on AWS behaviour not measured
    # here: which one was predicted, and why.
    log_note: str | None = None

    def __str__(self) -> str:
        return self.text


#: How the TVM's aws-sdk-go-v2 writes a failed KMS call. RequestID is AWS's per
#: request, so it is written as a placeholder.
REQUEST_ID = "<request-id>"
# KMS errors the Go SDK models as types (printed "Code: message"); any other
# code is a generic API error ("api error Code: message").
_KMS_MODELED = frozenset({
    "AlreadyExistsException", "CloudHsmClusterInUseException", "CustomKeyStoreNotFoundException",
    "DependencyTimeoutException", "DisabledException", "DryRunOperationException", "IncorrectKeyException",
    "InvalidArnException", "InvalidGrantTokenException", "InvalidKeyUsageException", "InvalidMarkerException",
    "KMSInternalException", "KMSInvalidSignatureException", "KMSInvalidStateException", "KeyUnavailableException",
    "LimitExceededException", "NotFoundException", "UnsupportedOperationException",
})
#: aws-sdk-go-v2 refuses a Verify without signature bytes before sending it.
SDK_SIGNATURE_MISSING = (
    "operation error KMS: Verify, 1 validation error(s) found.\n- missing required field, VerifyInput.Signature.\n"
)
# Errors about the TVM's key itself: the TVM's own Verify call meets them too.
_KEY_ERRORS = frozenset({
    "NotFoundException", "DisabledException", "KMSInvalidStateException", "InvalidKeyUsageException",
    "KeyUnavailableException", "InvalidArnException",
})
# A key that is not Enabled: refused by KMS on AWS for every cryptographic call, not by moto.
_STATE_ERRORS = frozenset({"DisabledException", "KMSInvalidStateException"})
_KEY_STATE_NOTE = (
    "predicted for AWS: KMS refuses Verify (and GetPublicKey) with a key that is not Enabled, so the TVM "
    "logs this error and denies; the message is AWS's form (\"<key ARN> is disabled.\"), not measured here. "
    "An emulator such as moto verifies with a disabled key, and a TVM pointed at it would issue credentials."
)
_MAX_SIGNATURE_BYTES = 6144  # KMS Verify: Signature length 1..6144


def kms_verify_error(code: str, message: str, status: int = 400) -> str:
    """The Go SDK's text for a KMS Verify that AWS answered with an error."""
    body = f"{code}: {message}" if code in _KMS_MODELED else f"api error {code}: {message}"
    return f"operation error KMS: Verify, https response error StatusCode: {status}, RequestID: {REQUEST_ID}, {body}"


#: An invalid signature on AWS: KMS answers HTTP 400 KMSInvalidSignatureException
#: (empty message), which upstream's type assertion never recognises (section 4.1).
AWS_INVALID_SIGNATURE = kms_verify_error("KMSInvalidSignatureException", "")

_INVALID_NOTE = (
    "predicted for AWS: KMS answers a bad signature with HTTP 400 KMSInvalidSignatureException, which "
    "upstream's isKMSInvalidSignature (a plain type assertion on the SDK's wrapped error) never matches, so "
    "the TVM logs a verification error (and answers CONFIG_ERROR). Against moto, which answers "
    "SignatureValid:false, the same TVM logs '{path}: policy signature verification failed'."
)
_TOO_LARGE_NOTE = (
    "predicted for AWS: KMS refuses a RAW message over 4,096 bytes with ValidationException, worded as AWS "
    "words it for Sign ('Value at 'message' ...'); moto accepts the message, so against moto the same TVM "
    "goes on to verify."
)
_EMPTY_SIGNATURE_NOTE = (
    "the text moto gives (section 4.1 records it for this case); AWS's own wording may name the member "
    "in lower camel case ('signature'), as it does 'message' for Sign: not measured."
)


def _aws_validation(policy: bytes, signature: bytes) -> str | None:
    """AWS KMS's ValidationException text for this Verify call, or None when it passes."""
    problems = []
    if len(policy) > MAX_POLICY_BYTES:
        problems.append(
            f"Value at 'message' failed to satisfy constraint: Member must have length less than or equal to "
            f"{MAX_POLICY_BYTES}")
    if not signature:
        # Measured (the emulator's text, which section 4.1 records for this case).
        problems.append(
            "Value at 'Signature' failed to satisfy constraint: Member must have length greater than or equal to 1")
    elif len(signature) > _MAX_SIGNATURE_BYTES:
        problems.append(
            f"Value at 'Signature' failed to satisfy constraint: Member must have length less than or equal to "
            f"{_MAX_SIGNATURE_BYTES}")
    if not problems:
        return None
    count = len(problems)
    head = "1 validation error detected: " if count == 1 else f"{count} validation errors detected: "
    return head + "; ".join(problems)


@dataclass(frozen=True)
class VerifyResult:
    """The result of checking a signature with one key: a verdict or the error that stopped it.

    For an AWS error, ``code``, ``message`` and ``status`` are AWS's own (the TVM's
    call about the same key meets the same answer).
    """

    key: str
    valid: bool | None
    error: str | None = None
    code: str | None = None
    message: str | None = None
    status: int | None = None


# verify(key_id, message, signature) -> bool; raises on a KMS or key error.
VerifyFn = Callable[[str, bytes, bytes], bool]


@dataclass(frozen=True)
class Assessment:
    path: str
    status: Status
    reason: str
    tvm: TvmOutcome
    size: int | None
    policy_hash: str | None
    envelope: Envelope | None
    envelope_error: str | None
    check: PolicyCheck | None
    with_tvm_key: VerifyResult | None
    with_envelope_key: VerifyResult | None
    verification_key: str | None

    @property
    def needs_attention(self) -> bool:
        return self.status in NEEDS_ATTENTION


def _try_verify(verify: VerifyFn, key: str, message: bytes, signature: bytes) -> VerifyResult:
    try:
        return VerifyResult(key, bool(verify(key, message, signature)))
    except Exception as exc:  # a KMS or key error is recorded, never raised from a classification
        return VerifyResult(
            key, None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            code=getattr(exc, "code", None) if isinstance(getattr(exc, "code", None), str) else None,
            message=getattr(exc, "aws_message", None), status=getattr(exc, "http_status", None),
        )


def tvm_outcome(
    path: str,
    tvm: TvmConfig,
    *,
    policy: bytes | None,
    policy_error: str | None,
    signature: str | None,
    signature_error: str | None,
    envelope: Envelope | None,
    envelope_error: str | None,
    verified: VerifyResult | None,
    parse_error: PolicyError | None,
    envelope_go_error: str | None = None,
) -> TvmOutcome:
    """What the TVM does on a credential request, in the order it does it (section 4).

    ``log`` is the error its loader returns, as the TVM on AWS logs it.
    """
    D = Verdict.DENIES
    if tvm.config_error:
        return TvmOutcome(D, f"denies: {tvm.config_error} (the TVM does not start)", tvm.config_error)
    if policy_error:
        # Our read failed; the TVM reads with its own role and may succeed.
        return TvmOutcome(Verdict.UNKNOWN, f"unknown: the policy could not be read here ({policy_error})")
    if policy is None:
        line = f"{path}: policy not found"
        return TvmOutcome(D, f"denies: {line}", line)

    def parsed() -> TvmOutcome | None:
        if parse_error is not None:
            return TvmOutcome(D, f"denies: {parse_error.detail}", parse_error.detail)
        return None

    if not tvm.verifies:
        return parsed() or TvmOutcome(Verdict.ISSUES, "issues credentials")
    if signature_error:
        return TvmOutcome(Verdict.UNKNOWN, f"unknown: the signature could not be read here ({signature_error})")
    if signature is None:
        if tvm.enforcing:
            line = f"{path}: policy not signed (signature enforcement enabled)"
            return TvmOutcome(D, f"denies: {line}", line)
        return parsed() or TvmOutcome(Verdict.UNVERIFIED, "loads unverified (warning)")
    if envelope is None:
        line = f"failed to parse signature for {path}: {envelope_go_error or envelope_error}"
        return TvmOutcome(D, f"denies: failed to parse signature for {path}: {envelope_error}", line)
    error_prefix = f"signature verification error for {path}: "
    if envelope.signature_nil:
        return TvmOutcome(
            D, f"denies: {error_prefix}the envelope has no signature bytes (the AWS SDK refuses the Verify call)",
            error_prefix + SDK_SIGNATURE_MISSING)
    invalid_request = _aws_validation(policy, envelope.signature)
    if invalid_request is not None:
        large = len(policy) > MAX_POLICY_BYTES
        why = "KMS refuses a RAW message over 4096 bytes" if large else "KMS refuses an empty signature"
        return TvmOutcome(D, f"denies: {error_prefix}{why}",
                          error_prefix + kms_verify_error("ValidationException", invalid_request),
                          _TOO_LARGE_NOTE if large else _EMPTY_SIGNATURE_NOTE)
    if verified is None or verified.valid is None:
        why = verified.error if verified else "the TVM's key could not be checked"
        if verified is not None and verified.code in _KEY_ERRORS and verified.message is not None:
            line = error_prefix + kms_verify_error(verified.code, verified.message, verified.status or 400)
            note = ("KMS gives the same answer about the TVM's key to the TVM's own Verify call; "
                    "the message is the one AWS (or the emulator) gave here.")
            if verified.code in _STATE_ERRORS:
                note = _KEY_STATE_NOTE
            return TvmOutcome(D, f"denies: {error_prefix}{verified.code} for the TVM's key {verified.key}", line, note)
        return TvmOutcome(Verdict.UNKNOWN, f"unknown: could not verify here ({why})")
    if not verified.valid:
        return TvmOutcome(D, f"denies: {path}: the signature does not verify with the TVM's key {verified.key}",
                          error_prefix + AWS_INVALID_SIGNATURE, _INVALID_NOTE.format(path=path))
    return parsed() or TvmOutcome(Verdict.ISSUES, "issues credentials")


def assess(
    path: str,
    *,
    policy: bytes | None,
    signature: str | None,
    tvm: TvmConfig,
    verify: VerifyFn,
    verification_key: str | None = None,
    policy_error: str | None = None,
    signature_error: str | None = None,
    check: PolicyCheck | None = None,
) -> Assessment:
    """Classify one policy/signature pair.

    `policy` is the stored value's UTF-8 bytes (None: no such parameter),
    `signature` the signature parameter's text (None: none). `*_error` is a read
    error text. `verification_key` is the key the TVM would use; it defaults to
    the TVM's own key. `check` may be passed in when the caller already parsed.
    """
    key = verification_key or tvm.signing_key
    size = len(policy) if policy is not None else None
    digest = policy_hash(policy) if policy is not None else None

    envelope: Envelope | None = None
    envelope_error: str | None = None
    envelope_go_error: str | None = None
    if signature is not None and not signature_error:
        try:
            envelope = parse_envelope(signature)
        except EnvelopeError as exc:
            envelope_error = str(exc)
            envelope_go_error = exc.go_error or None

    if policy is not None and check is None:
        check = check_policy(policy)
    parse_error = check.error if check is not None and check.stage == "parse" else None

    with_key: VerifyResult | None = None
    with_envelope: VerifyResult | None = None
    signable = policy is not None and len(policy) <= MAX_POLICY_BYTES
    if envelope is not None and policy is not None and signable:
        if key:
            with_key = _try_verify(verify, key, policy, envelope.signature)
        if not (with_key and with_key.valid) and envelope.key_id and envelope.key_id != key:
            with_envelope = _try_verify(verify, envelope.key_id, policy, envelope.signature)

    # The verdict uses the TVM's own key, which may differ from the key the
    # status is judged against (an operator's default when no TVM serves it).
    if tvm.signing_key and tvm.signing_key != key and envelope is not None and signable:
        tvm_key_result = _try_verify(verify, tvm.signing_key, policy, envelope.signature)
    else:
        tvm_key_result = with_key if tvm.signing_key else None
    outcome = tvm_outcome(
        path, tvm, policy=policy, policy_error=policy_error, signature=signature,
        signature_error=signature_error, envelope=envelope, envelope_error=envelope_error,
        verified=tvm_key_result, parse_error=parse_error, envelope_go_error=envelope_go_error,
    )

    status, reason = _classify(
        policy=policy, signature=signature, policy_error=policy_error,
        signature_error=signature_error, envelope=envelope, envelope_error=envelope_error,
        parse_error=parse_error, digest=digest, key=key, with_key=with_key,
        with_envelope=with_envelope,
    )
    return Assessment(
        path=path, status=status, reason=reason, tvm=outcome, size=size, policy_hash=digest,
        envelope=envelope, envelope_error=envelope_error, check=check, with_tvm_key=with_key,
        with_envelope_key=with_envelope, verification_key=key,
    )


def _classify(*, policy, signature, policy_error, signature_error, envelope, envelope_error,
              parse_error, digest, key, with_key, with_envelope) -> tuple[Status, str]:
    if policy_error:
        return Status.UNREADABLE, f"policy could not be read: {policy_error}"
    if signature_error:
        return Status.UNREADABLE, f"signature could not be read: {signature_error}"
    if policy is None:
        if signature is None:
            raise ValueError("neither a policy nor a signature: nothing to assess")
        return Status.ORPHAN, "a signature is stored, but no policy at this path"
    if len(policy) > MAX_POLICY_BYTES:
        return Status.TOO_LARGE, (
            f"{len(policy):,} bytes: over KMS's 4,096-byte RAW limit, so it cannot be signed or verified"
        )
    if parse_error is not None:
        where = f" (line {parse_error.line})" if parse_error.line else ""
        return Status.UNPARSEABLE, f"the TVM cannot parse it{where}: {parse_error.detail.splitlines()[-1].strip()}"
    if signature is None:
        return Status.UNSIGNED, "no signature parameter"
    if envelope is None:
        return Status.MALFORMED, f"the envelope does not parse: {envelope_error}"
    if envelope.policy_hash and envelope.policy_hash.lower() != digest:
        return Status.STALE, "the policy changed after signing: policy_hash differs from the stored bytes"
    if with_key is not None and with_key.valid:
        return Status.VALID, f"verifies with {key}"
    if with_envelope is not None and with_envelope.valid:
        return Status.WRONG_KEY, (
            f"signed with {envelope.key_id}, which is not the verification key {key or '(none set)'}"
        )
    errors = [r for r in (with_key, with_envelope) if r is not None and r.valid is None]
    if errors and not any(r is not None and r.valid is False for r in (with_key,)):
        return Status.UNREADABLE, f"the signature could not be checked: {errors[0].error}"
    if key is None and with_envelope is None:
        return Status.UNREADABLE, "no verification key is configured and the envelope names none"
    return Status.INVALID, f"the hash matches but the signature does not verify with {key or envelope.key_id}"
