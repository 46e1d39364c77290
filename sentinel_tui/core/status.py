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
    text: str  # "issues credentials", "denies: <TVM error text>", "loads unverified (warning)"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class VerifyResult:
    """The result of checking a signature with one key: a verdict or the error that stopped it."""

    key: str
    valid: bool | None
    error: str | None = None


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
        return VerifyResult(key, None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


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
) -> TvmOutcome:
    """What the TVM does on a credential request, in the order it does it (section 4)."""
    if tvm.config_error:
        return TvmOutcome(Verdict.DENIES, f"denies: {tvm.config_error} (the TVM does not start)")
    if policy_error:
        # Our read failed; the TVM reads with its own role and may succeed.
        return TvmOutcome(Verdict.UNKNOWN, f"unknown: the policy could not be read here ({policy_error})")
    if policy is None:
        return TvmOutcome(Verdict.DENIES, f"denies: {path}: policy not found")

    def parsed() -> TvmOutcome | None:
        if parse_error is not None:
            return TvmOutcome(Verdict.DENIES, f"denies: {parse_error.detail}")
        return None

    if not tvm.verifies:
        return parsed() or TvmOutcome(Verdict.ISSUES, "issues credentials")
    if signature_error:
        return TvmOutcome(Verdict.UNKNOWN, f"unknown: the signature could not be read here ({signature_error})")
    if signature is None:
        if tvm.enforcing:
            return TvmOutcome(
                Verdict.DENIES, f"denies: {path}: policy not signed (signature enforcement enabled)"
            )
        return parsed() or TvmOutcome(Verdict.UNVERIFIED, "loads unverified (warning)")
    if envelope is None:
        return TvmOutcome(Verdict.DENIES, f"denies: failed to parse signature for {path}: {envelope_error}")
    if verified is None or verified.valid is None:
        why = verified.error if verified else "the TVM's key could not be checked"
        if len(policy) > MAX_POLICY_BYTES:
            return TvmOutcome(
                Verdict.DENIES,
                f"denies: signature verification error for {path}: KMS refuses a RAW message over 4096 bytes",
            )
        return TvmOutcome(Verdict.UNKNOWN, f"unknown: could not verify here ({why})")
    if not verified.valid:
        return TvmOutcome(Verdict.DENIES, f"denies: {path}: policy signature verification failed")
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
    if signature is not None and not signature_error:
        try:
            envelope = parse_envelope(signature)
        except EnvelopeError as exc:
            envelope_error = str(exc)

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
        verified=tvm_key_result, parse_error=parse_error,
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
