"""Verify a policy and its envelope, naming the first check that failed and the fix.

The checks, in order: envelope parse (as Go parses it), hash (policy_hash against
the bytes), signature (with the verification key), key (whether another key,
such as the envelope's key_id, made it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import SentinelError
from ..core.envelope import Envelope, EnvelopeError, parse_envelope, policy_hash
from ..core.paths import policy_path, signature_path
from ..core.policy import MAX_POLICY_BYTES, check_policy
from ..fileio import FileError, read_policy_file
from .context import Ops
from . import remedies


@dataclass(frozen=True)
class Check:
    name: str  # "policy", "envelope parse", "hash", "signature", "key"
    ok: bool | None  # None: not run
    detail: str
    fix: str = ""


@dataclass
class VerifyReport:
    subject: str
    key_id: str | None
    checks: list[Check] = field(default_factory=list)
    envelope: Envelope | None = None
    # Things that do not stop the TVM but an operator should fix (e.g. a
    # policy_hash that disagrees with the bytes while the signature verifies).
    warnings: list[str] = field(default_factory=list)
    # --remote: the TVM loads the policy without a signature (enforcement off).
    loads_unverified: bool = False
    # --remote: the line the TVM logs on AWS when it denies (core.status.TvmOutcome.log).
    tvm_log: str | None = None

    @property
    def ok(self) -> bool:
        if not self.checks or any(c.ok is False for c in self.checks):
            return False
        return self.loads_unverified or any(c.name == "signature" and c.ok for c in self.checks)

    @property
    def failed(self) -> Check | None:
        return next((c for c in self.checks if c.ok is False), None)


def _verify_with(ops: Ops, key: str, data: bytes, sig: bytes, via: str) -> bool:
    if via == "kms":
        return ops.keys.verify_kms(key, data, sig)
    return ops.fleet.verify(key, data, sig)


def verify_bytes(ops: Ops, subject: str, data: bytes, envelope_text: str | bytes, key_id: str | None,
                 *, via: str = "kms", as_tvm: bool = False) -> VerifyReport:
    """The checks, in order. ``as_tvm``: judge as the TVM does (``verify --remote``):
    the policy_hash is only metadata (a mismatch is a warning when the signature
    verifies), a message over 4,096 bytes is refused by KMS, and the TVM's YAML
    parse must succeed."""
    report = VerifyReport(subject=subject, key_id=key_id)
    try:
        envelope = parse_envelope(envelope_text)
    except EnvelopeError as exc:
        report.checks.append(Check("envelope parse", False, str(exc),
                                   "Re-sign the policy: the TVM denies every request while the envelope does not parse."))
        return report
    report.envelope = envelope
    report.checks.append(Check("envelope parse", True, "parses as Go's encoding/json parses it"))
    digest = policy_hash(data)
    hash_differs = bool(envelope.policy_hash) and envelope.policy_hash.lower() != digest
    hash_failed = Check(
        "hash", False,
        f"policy content does not match signature: envelope policy_hash {envelope.policy_hash}, "
        f"policy bytes {digest}",
        "The policy changed after it was signed: review the change, then re-sign it "
        f"({remedies.POLICY} sign, or push --sign).")
    if hash_differs and not as_tvm:
        report.checks.append(hash_failed)
        return report
    if hash_differs and (key_id or envelope.key_id) and envelope.signature and len(data) <= MAX_POLICY_BYTES:
        # The TVM ignores policy_hash: only the signature decides. When it does
        # not verify either, the changed bytes are the reason worth naming.
        try:
            verifies = _verify_with(ops, key_id or envelope.key_id, data, envelope.signature, via)
        except SentinelError:
            verifies = None
        if verifies is False:
            report.checks.append(replace(
                hash_failed, detail=hash_failed.detail + "; the signature does not verify over the stored bytes "
                "either, so the TVM denies"))
            return report
    if hash_differs:
        report.checks.append(Check(
            "hash", None,
            f"policy_hash {envelope.policy_hash} differs from the stored bytes ({digest}); the TVM does not "
            "look at it, the signature decides"))
    else:
        report.checks.append(Check("hash", True, f"policy_hash matches ({digest[:16]}…)" if envelope.policy_hash
                                   else "no policy_hash in the envelope (the TVM does not need it)"))
    key = key_id or envelope.key_id
    if not key:
        report.checks.append(Check("signature", False, "no key to verify with: none given and the envelope names none",
                                   "Pass --key-id with the key the TVM uses."))
        return report
    if as_tvm and (envelope.signature_nil or not envelope.signature or len(data) > MAX_POLICY_BYTES):
        why = ("the envelope has no signature bytes: the AWS SDK refuses the TVM's Verify call"
               if envelope.signature_nil else "the signature is empty: KMS refuses the Verify call"
               if not envelope.signature else
               f"the policy is {len(data):,} bytes: KMS refuses to verify a RAW message over 4,096 bytes")
        report.checks.append(Check("signature", False, why, "Sign the exact stored bytes again (under 4,096 bytes)."))
        return report
    try:
        valid = _verify_with(ops, key, data, envelope.signature, via)
    except SentinelError as exc:
        report.checks.append(Check("signature", False, exc.what, exc.fix))
        return report
    if valid:
        report.checks.append(Check("signature", True, f"verifies with {key} ({'KMS Verify' if via == 'kms' else 'local public key'})"))
        if hash_differs:
            report.warnings.append(
                f"the envelope's metadata is inconsistent: its policy_hash {envelope.policy_hash} is not the "
                f"SHA-256 of the stored policy ({digest}). The TVM loads the pair (it checks only the "
                "signature); re-sign to make the metadata true.")
        if as_tvm:
            check = check_policy(data)
            if check.stage == "parse":
                report.checks.append(Check(
                    "policy parse", False,
                    f"the TVM cannot parse the stored policy, so it denies every request: {check.error.detail}",
                    f"Fix the policy YAML ({remedies.validate(None)}), then push it signed."))
            else:
                report.checks.append(Check("policy parse", True, "the TVM's YAML parse (ParsePolicy) succeeds"))
        return report
    report.checks.append(Check("signature", False, f"does not verify with {key}",
                               "Re-sign the policy with the TVM's key."))
    if envelope.key_id and envelope.key_id != key:
        try:
            other = _verify_with(ops, envelope.key_id, data, envelope.signature, via)
        except SentinelError:
            other = False
        if other:
            report.checks.append(Check(
                "key", False,
                f"it was signed with {envelope.key_id}, not with {key}",
                f"Re-sign with {key}, or point the TVM's SENTINEL_POLICY_SIGNING_KEY at {envelope.key_id} "
                "if that key is the one meant to sign."))
    return report


def verify_file(ops: Ops, policy_file: str | Path, signature_file: str | Path, key_id: str | None,
                *, via: str = "kms") -> VerifyReport:
    data = read_policy_file(policy_file)
    try:
        sig_text = Path(signature_file).read_bytes()
    except FileNotFoundError:
        raise FileError(f"{signature_file}: no such file.", "Pass the envelope written by `policy sign -o`.",
                        kind="not-found") from None
    except IsADirectoryError:
        raise FileError(f"{signature_file} is a directory.", "Pass the envelope file.", kind="validation") from None
    return verify_bytes(ops, str(policy_file), data, sig_text, key_id, via=via)


def verify_remote(ops: Ops, name: str, key_id: str | None = None, *, via: str = "kms") -> VerifyReport:
    """Check the stored pair as the TVM would: the TVM's key, unless one is given."""
    path = policy_path(name, ops.settings.policy_root)
    entry = ops.fleet.entry(path)
    tvm = ops.fleet.verification_tvm(entry.tvms)
    key = key_id or tvm.signing_key or ops.settings.default_key
    report = VerifyReport(subject=path, key_id=key)
    if key and key != tvm.signing_key:
        tvm = replace(tvm, signing_key=key)
    if entry.policy is not None or entry.signature is not None:
        assessment = ops.fleet.assess_entry(entry, tvm)
        report.tvm_log = assessment.tvm.log if assessment is not None else None
    if entry.policy_error or entry.policy is None:
        report.checks.append(Check("policy", False, entry.policy_error or f"{path}: policy not found",
                                   "Check the name and the policy root (--policy-root)."))
        return report
    if entry.signature_error:
        report.checks.append(Check("envelope parse", False, f"the signature could not be read: {entry.signature_error}"))
        return report
    if entry.signature is None:
        fix = f"Sign and push it: {remedies.push(key='K')}."
        if key and not tvm.enforcing:
            # The TVM logs a warning and loads it unverified; only its YAML parse can stop it.
            check = check_policy(entry.policy.data)
            report.checks.append(Check("envelope parse", None, f"no signature at {signature_path(path)}", fix))
            report.warnings.append(f"unsigned: {tvm.source if tvm.source != 'settings' else 'the TVM'} does not "
                                   "enforce signing, so it loads the policy unverified")
            report.loads_unverified = True
            report.checks.append(Check("policy parse", check.stage != "parse",
                                       "the TVM's YAML parse (ParsePolicy) succeeds" if check.stage != "parse" else
                                       f"the TVM cannot parse the stored policy: {check.error.detail}"))
            return report
        report.checks.append(Check("envelope parse", False, f"no signature at {signature_path(path)}", fix))
        return report
    result = verify_bytes(ops, path, entry.policy.data, entry.signature.value or "", key, via=via, as_tvm=True)
    result.tvm_log = report.tvm_log
    return result
