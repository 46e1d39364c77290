"""Restore: make an earlier policy version current again, with a signature that matches.

A candidate is an earlier version of the policy whose exact bytes have a
signature in the signature parameter's history (envelope `policy_hash` equal to
the version's hash) that still verifies with the TVM's key. Restoring writes the
old bytes back as a new version with a fresh KMS signature (the old envelope is
written back only when Sign is denied and it still verifies).

The writes go through push's machinery (`execute_push` with a plan for the old
bytes): sign before writing, lock, version check, read back, verify as the TVM
would, and put the previous pair back if anything fails after the first write.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable

from ..errors import SentinelError
from ..aws.store import Parameter
from ..core.envelope import EnvelopeError, parse_envelope, policy_hash
from ..core.paths import policy_path, signature_path
from ..core.policy import MAX_POLICY_BYTES, check_policy
from .context import Ops
from .push import Progress, PushError, PushPlan, PushResult, execute_push, plan_push


@dataclass(frozen=True)
class Candidate:
    """An earlier policy version that can be made current again."""

    version: int  # the policy version
    data: bytes
    policy_hash: str
    last_modified: datetime | None
    last_modified_user: str | None
    signature_version: int  # the signature version whose envelope covers these bytes
    envelope_text: str  # that envelope, exactly as stored
    signed_with: str  # the envelope's key_id (informational)
    verified_with: str  # the key it verifies with: the TVM's
    same_as_current: bool  # the current version holds the same bytes (only the signature would change)
    problem: str | None = None  # why it cannot be restored as is (fails validation), else None

    @property
    def label(self) -> str:
        when = f"{self.last_modified:%Y-%m-%d %H:%M}" if self.last_modified else "?"
        return (f"version {self.version} ({when}, {len(self.data):,} bytes), "
                f"signature version {self.signature_version}")


@dataclass
class RestoreResult:
    candidate: Candidate
    push: PushResult
    reused_signature: bool

    @property
    def policy_version(self) -> int | None:
        return self.push.policy_version

    @property
    def signature_version(self) -> int | None:
        return self.push.signature_version


def verification_key(ops: Ops, path: str) -> str:
    """The key the TVM serving `path` verifies with; the settings' default when none serves it."""
    key = ops.fleet.verification_tvm(ops.fleet.serving(path)).signing_key or ops.settings.default_key
    if not key:
        raise SentinelError(f"No verification key for {path}: no TVM with a signing key serves it and "
                            "no default_key is set.", "Set default_key in the settings.", kind="usage")
    return key


def _verifies(ops: Ops, key: str, data: bytes, envelope_text: str) -> bool:
    try:
        envelope = parse_envelope(envelope_text)
    except EnvelopeError:
        return False
    return ops.fleet.verify(key, data, envelope.signature)


def restore_candidates(ops: Ops, name: str) -> list[Candidate]:
    """Earlier versions of the policy with a signature that still verifies, newest first.

    Costs two GetParameterHistory listings and, per distinct hash, a local
    verification with the cached public key.
    """
    path = policy_path(name, ops.settings.policy_root)
    versions = ops.store.history(path)
    if not versions:
        raise SentinelError(f"{path}: no such policy, so it has no history to restore from.",
                            "Check the name and --policy-root; `policy status` lists the policies.",
                            kind="not-found")
    key = verification_key(ops, path)
    current = versions[-1]
    signatures: dict[str, list[tuple[Parameter, str]]] = {}  # policy_hash -> [(signature version, key_id)]
    for sig in ops.store.history(signature_path(path)):
        try:
            envelope = parse_envelope(sig.value or "")
        except EnvelopeError:
            continue
        if envelope.policy_hash:
            signatures.setdefault(envelope.policy_hash.lower(), []).append((sig, envelope.key_id))
    found: list[Candidate] = []
    verdicts: dict[tuple[str, int], bool] = {}
    for version in reversed(versions[:-1]):
        data = version.data
        digest = policy_hash(data)
        if len(data) > MAX_POLICY_BYTES:
            continue
        for sig, key_id in sorted(signatures.get(digest, []), key=lambda s: -s[0].version):
            memo = (digest, sig.version)
            if memo not in verdicts:
                verdicts[memo] = _verifies(ops, key, data, sig.value or "")
            if not verdicts[memo]:
                continue
            check = check_policy(data)
            found.append(Candidate(
                version=version.version, data=data, policy_hash=digest, last_modified=version.last_modified,
                last_modified_user=version.last_modified_user, signature_version=sig.version,
                envelope_text=sig.value or "", signed_with=key_id, verified_with=key,
                same_as_current=data == current.data,
                problem=str(check.error) if check.error is not None else None))
            break
    return found


def plan_restore(ops: Ops, name: str, candidate: Candidate) -> tuple[PushPlan, bool]:
    """The push plan that writes `candidate` back, signed afresh with the TVM's key, and
    whether the stored envelope of that version still verifies (the fallback when Sign is denied).

    A fresh signature postdates the change it undoes, so the doctor's replay check
    (and anyone reading SSM) can tell a restore from an older pair put back.
    """
    path = policy_path(name, ops.settings.policy_root)
    key = verification_key(ops, path)
    source = f"{path} version {candidate.version}"
    plan = plan_push(ops, name, source, sign=True, key_id=key, data=candidate.data)
    reusable = _verifies(ops, key, candidate.data, candidate.envelope_text)
    return replace(plan, action="restore",
                   audit_extra=(("restored_from", candidate.version), ("reused_signature", False))), reusable


def _reusing(plan: PushPlan, candidate: Candidate) -> PushPlan:
    return replace(plan, envelope_text=candidate.envelope_text,
                   envelope_source=f"signature version {candidate.signature_version}",
                   audit_extra=(("restored_from", candidate.version), ("reused_signature", True)))


def restore(ops: Ops, name: str, candidate: Candidate, progress: Progress | None = None,
            cancelled: Callable[[], bool] = lambda: False, *, plan: PushPlan | None = None) -> RestoreResult:
    """Write `candidate`'s bytes back as a new version, with a matching signature.

    The bytes are signed afresh. Only when KMS refuses the Sign (nothing is written
    then) and the version's stored envelope still verifies is that envelope written
    instead, so a restore still works for an operator without kms:Sign; the result
    says so. Pass the `plan` the operator confirmed (from `plan_restore`) so that a
    version that moved since then stops the restore before anything is written.
    """
    ops.guard_write(f"restore of {policy_path(name, ops.settings.policy_root)}")
    if plan is None:
        plan, reusable = plan_restore(ops, name, candidate)
    else:
        reusable = _verifies(ops, plan.key_id or "", candidate.data, candidate.envelope_text)
    if cancelled():
        ops.audit.record(action="restore", parameter=plan.path, outcome="cancelled before writing",
                         caller=ops.caller(), version_before=plan.current.version if plan.current else None,
                         policy_hash=candidate.policy_hash, restored_from=candidate.version)
        raise PushError("Cancelled; nothing was written.", kind="cancelled",
                        ssm_state=f"policy {plan.path} and its signature unchanged")
    try:
        result = execute_push(ops, plan, progress=progress, cancelled=cancelled)
    except PushError as exc:
        if exc.written or exc.kind != "access-denied" or not reusable or plan.envelope_text is not None:
            raise
        result = execute_push(ops, _reusing(plan, candidate), progress=progress, cancelled=cancelled)
        result.notes.append(f"kms:Sign was denied, so the stored signature of version {candidate.version} "
                            f"(signature version {candidate.signature_version}) was written back; re-sign it "
                            "when you can, so its signature postdates the change it undoes.")
        return RestoreResult(candidate=candidate, push=result, reused_signature=True)
    return RestoreResult(candidate=candidate, push=result, reused_signature=plan.envelope_text is not None)
