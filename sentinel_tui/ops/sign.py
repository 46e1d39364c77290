"""Sign a policy: validate, size check, KMS Sign, verify at once, write the envelope (0600)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..aws.keys import check_signable
from ..core.envelope import Envelope, dump_envelope, make_envelope, policy_hash
from ..core.policy import PolicyCheck, check_policy
from ..fileio import read_policy_file, write_private
from .context import Ops


@dataclass(frozen=True)
class SignResult:
    envelope: Envelope
    text: str  # the indented envelope, as `policy sign` prints or writes it
    output: Path | None
    verified: bool
    check: PolicyCheck


class InvalidPolicy(Exception):
    """Validation failed; carries the PolicyCheck so callers can show every finding."""

    def __init__(self, check: PolicyCheck):
        self.check = check
        super().__init__(str(check.error))


def sign_bytes(ops: Ops, data: bytes, key_id: str) -> Envelope:
    """KMS Sign over the exact bytes, and the envelope for them. Validation is the caller's."""
    check_signable(data)
    signature = ops.keys.sign(key_id, data)
    return make_envelope(signature, key_id, data, ops.clock())


def validated(data: bytes) -> PolicyCheck:
    check = check_policy(data)
    if check.error is not None:
        raise InvalidPolicy(check)
    return check


def sign_file(ops: Ops, path: str | Path, key_id: str, *, output: str | Path | None = None,
              force: bool = False) -> SignResult:
    data = read_policy_file(path)
    check = validated(data)
    check_signable(data)
    if output is not None:
        ops.guard_write("writing a signature file")
    caller = ops.caller()
    try:
        envelope = sign_bytes(ops, data, key_id)
        verified = ops.fleet.verify(key_id, data, envelope.signature)
        text = dump_envelope(envelope, indent=True)
        written = write_private(output, text.encode("utf-8"), overwrite=force) if output else None
    except Exception as exc:
        ops.audit.record(action="sign", parameter=str(path), outcome="failed", caller=caller,
                         policy_hash=policy_hash(data), detail=str(exc), key_id=key_id)
        raise
    ops.audit.record(action="sign", parameter=str(path), outcome="ok" if verified else "signed, not verified",
                     caller=caller, policy_hash=policy_hash(data), key_id=key_id,
                     output=str(written) if written else None)
    return SignResult(envelope=envelope, text=text, output=written, verified=verified, check=check)
