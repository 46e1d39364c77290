"""Verify a policy and its envelope, naming the first check that failed and the fix.

The checks, in order: envelope parse (as Go parses it), hash (policy_hash against
the bytes), signature (with the verification key), key (whether another key,
such as the envelope's key_id, made it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SentinelError
from ..core.envelope import Envelope, EnvelopeError, parse_envelope, policy_hash
from ..core.paths import policy_path, signature_path
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

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks if c.ok is not None) and \
            any(c.name == "signature" and c.ok for c in self.checks)

    @property
    def failed(self) -> Check | None:
        return next((c for c in self.checks if c.ok is False), None)


def _verify_with(ops: Ops, key: str, data: bytes, sig: bytes, via: str) -> bool:
    if via == "kms":
        return ops.keys.verify_kms(key, data, sig)
    return ops.fleet.verify(key, data, sig)


def verify_bytes(ops: Ops, subject: str, data: bytes, envelope_text: str | bytes, key_id: str | None,
                 *, via: str = "kms") -> VerifyReport:
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
    if envelope.policy_hash and envelope.policy_hash.lower() != digest:
        report.checks.append(Check(
            "hash", False,
            f"policy content does not match signature: envelope policy_hash {envelope.policy_hash}, "
            f"policy bytes {digest}",
            "The policy changed after it was signed: review the change, then re-sign it "
            f"({remedies.POLICY} sign, or push --sign)."))
        return report
    report.checks.append(Check("hash", True, f"policy_hash matches ({digest[:16]}…)" if envelope.policy_hash
                               else "no policy_hash in the envelope (the TVM does not need it)"))
    key = key_id or envelope.key_id
    if not key:
        report.checks.append(Check("signature", False, "no key to verify with: none given and the envelope names none",
                                   "Pass --key-id with the key the TVM uses."))
        return report
    try:
        valid = _verify_with(ops, key, data, envelope.signature, via)
    except SentinelError as exc:
        report.checks.append(Check("signature", False, exc.what, exc.fix))
        return report
    if valid:
        report.checks.append(Check("signature", True, f"verifies with {key} ({'KMS Verify' if via == 'kms' else 'local public key'})"))
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
    key = key_id or ops.fleet.verification_tvm(entry.tvms).signing_key or ops.settings.default_key
    report = VerifyReport(subject=path, key_id=key)
    if entry.policy_error or entry.policy is None:
        report.checks.append(Check("policy", False, entry.policy_error or f"{path}: policy not found",
                                   "Check the name and the policy root (--policy-root)."))
        return report
    if entry.signature_error:
        report.checks.append(Check("envelope parse", False, f"the signature could not be read: {entry.signature_error}"))
        return report
    if entry.signature is None:
        report.checks.append(Check("envelope parse", False, f"no signature at {signature_path(path)}",
                                   f"Sign and push it: {remedies.push(key='K')}."))
        return report
    return verify_bytes(ops, path, entry.policy.data, entry.signature.value or "", key, via=via)
