"""Push a policy so that SSM never holds a policy with a signature that does not match it.

The order (the Go CLI writes first and signs after; a failed Sign leaves an
enforcing TVM denying everything):

1. validate, and refuse a policy over 4,096 bytes;
2. plan: read the stored pair and its versions, build the diff (shown, confirmed);
3. sign before anything is written;
4. take a lock parameter (create-if-absent), then check the stored versions did
   not move since the plan; stop before writing if they did;
5. write the policy, then the signature;
6. read both back and check them as the TVM would.

If any step after the first write fails, the previous policy and signature are
put back (or the new ones deleted where there were none), and the result says
exactly what SSM holds afterwards.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from ..errors import SentinelError
from ..aws.keys import check_signable
from ..aws.store import Parameter
from ..core.diff import Diff, decode_text, diff_texts
from ..core.envelope import dump_envelope, policy_hash
from ..core.paths import policy_path, signature_path
from ..core.policy import PolicyCheck
from ..core.status import Status, assess
from ..core.tvm import TvmConfig
from ..fileio import read_policy_file
from .context import Ops
from . import remedies
from .sign import sign_bytes, validated

LOCK_PREFIX = "/sentinel/locks"
LOCK_STALE_AFTER = timedelta(minutes=10)

Progress = Callable[[str, str], None]  # (step, state) state: "start" | "ok" | "fail" | "skip"


class PushError(SentinelError):
    """A push that stopped. `ssm_state` says what SSM holds now."""

    def __init__(self, what: str, fix: str = "", *, kind: str = "push-failed", ssm_state: str = "",
                 written: bool = False, restored: bool | None = None):
        super().__init__(what, fix, kind=kind)
        self.ssm_state = ssm_state
        self.written = written
        self.restored = restored

    def __str__(self) -> str:
        text = super().__str__()
        return text + (f"\nSSM now holds: {self.ssm_state}" if self.ssm_state else "")


@dataclass(frozen=True)
class PushPlan:
    name: str
    path: str
    signature_path: str
    data: bytes
    check: PolicyCheck
    current: Parameter | None
    current_signature: Parameter | None
    diff: Diff
    sign: bool
    key_id: str | None
    tvms: tuple[TvmConfig, ...]
    source: str
    # Generalisations for flows built on push (restore): the audit action, and an
    # envelope that already verifies for `data`, written as is instead of signing.
    action: str = "push"
    envelope_text: str | None = None
    envelope_source: str = ""
    audit_extra: tuple[tuple[str, object], ...] = ()  # more fields for every audit line
    tests: object = None  # the PolicyTestReport of NAME.tests.yaml beside the file, when there is one

    @property
    def creates(self) -> bool:
        return self.current is None

    @property
    def unchanged(self) -> bool:
        return self.current is not None and self.current.data == self.data

    @property
    def replaces_orphan_signature(self) -> bool:
        """A create over a leftover signature (an orphan: its policy was deleted): the push
        replaces that signature, which the confirmation must say."""
        return self.current is None and self.current_signature is not None

    @property
    def enforcing_tvms(self) -> tuple[TvmConfig, ...]:
        return tuple(t for t in self.tvms if t.verifies and t.enforcing)

    def summary(self) -> list[str]:
        lines = [
            f"target     {self.path}",
            f"action     {'create' if self.creates else f'update version {self.current.version}'}",
            f"size       {len(self.data):,} bytes (limit 4,096)",
            f"hash       {policy_hash(self.data)}",
            f"signature  {self._signature_text()} -> {self.signature_path}",
        ]
        if self.replaces_orphan_signature:
            if self.sign:
                lines.append(f"replaces   the leftover signature (version {self.current_signature.version}) of a "
                             "policy that no longer exists (an orphan)")
            else:
                lines.append(f"leaves     the leftover signature (version {self.current_signature.version}) of a "
                             "deleted policy in place: it will not match this policy")
        if self.tvms:
            for tvm in self.tvms:
                lines.append(f"served by  {tvm.source}: {tvm.describe_mode()}"
                             + (f" with {tvm.signing_key}" if tvm.signing_key else ""))
        else:
            lines.append("served by  no TVM found for this parameter")
        if self.tests is not None:
            lines.append(f"tests      {self.tests.summary()} ({self.tests.tests_label})")
        return lines

    def _signature_text(self) -> str:
        if not self.sign:
            return "NOT signed"
        if self.envelope_text is not None:
            return f"reuses {self.envelope_source or 'a stored signature'} (verifies with {self.key_id}; not signed again)"
        return f"signed with {self.key_id} before writing"


@dataclass
class PushResult:
    plan: PushPlan
    policy_version: int | None = None
    signature_version: int | None = None
    status: Status | None = None
    tvm_text: str = ""
    steps: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def plan_push(ops: Ops, name: str, file: str | Path, *, sign: bool, key_id: str | None,
              allow_unsigned: bool = False, data: bytes | None = None,
              reuse_signature_file: bool = True) -> PushPlan:
    """Steps 1 and 2: everything that can be known before asking the operator.

    With `reuse_signature_file`, a `FILE.sig` that signs exactly these bytes with the push's
    key, made after the stored policy last changed (what `policy sign -o FILE.sig` and the
    sign flow write), is written as is: sign, then push, does not sign twice.
    """
    from_file = data is None
    if data is None:
        data = read_policy_file(file)
    check = validated(data)
    check_signable(data)
    path = policy_path(name, ops.settings.policy_root)
    serving = ops.fleet.serving(path)  # none found without lambda:ListFunctions: the confirmation says so
    tests = _run_tests(file, data, serving)
    current = ops.store.get(path)
    current_sig = ops.store.get(signature_path(path))
    if sign:
        defaulted = not key_id
        if defaulted:
            key_id = default_signing_key(ops, serving)
        check_signing_key(ops, path, key_id, defaulted=defaulted)
    if not sign and not allow_unsigned:
        if current_sig is not None or any(t.verifies for t in serving):
            raise PushError(
                f"{path} is signed or served by a verifying TVM: pushing it unsigned would leave a policy "
                "whose signature does not match, and an enforcing TVM would deny every request.",
                "Push it signed (the default; --key-id KEY picks the TVM's key), or pass --allow-unsigned "
                "if that is really meant.",
                kind="validation")
        raise PushError(
            f"Pushing {path} unsigned was not asked for: an enforcing TVM denies an unsigned policy.",
            "Push it signed, or pass --allow-unsigned if the TVMs serving it do not enforce signatures.",
            kind="validation")
    old_text = decode_text(current.data, path) if current is not None else ""
    diff = diff_texts(old_text, decode_text(data, str(file)))
    plan = PushPlan(name=name, path=path, signature_path=signature_path(path), data=data, check=check,
                    current=current, current_signature=current_sig, diff=diff, sign=sign, key_id=key_id,
                    tvms=serving, source=str(file), tests=tests)
    if sign and from_file and reuse_signature_file and key_id:
        found = signature_file_for(ops, file, data, key_id, current)
        if found is not None:
            sig_file, envelope_text = found
            plan = replace(plan, envelope_text=envelope_text, envelope_source=str(sig_file),
                           audit_extra=(("signature_file", str(sig_file)),))
    return plan


def signature_file_for(ops: Ops, file: str | Path, data: bytes, key_id: str,
                       current: Parameter | None) -> tuple[Path, str] | None:
    """`FILE.sig` as the envelope to store, when it can stand for a fresh signature; else None.

    It must parse, cover these exact bytes (policy_hash), verify with `key_id` (locally, with
    the cached public key), and have been made after the stored policy last changed: an
    older signed_at would predate the change this push undoes, which the doctor's replay
    check reports. Anything else (no file, unreadable, another key, other bytes) is ignored:
    the push signs afresh.
    """
    from ..core.envelope import EnvelopeError, parse_envelope

    sig_file = Path(f"{file}.sig")
    try:
        if not sig_file.is_file() or sig_file.stat().st_size > 64 * 1024:
            return None
        envelope = parse_envelope(sig_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, EnvelopeError, ValueError):
        return None
    if (envelope.policy_hash or "").lower() != policy_hash(data) or not envelope.signature:
        return None
    if current is not None and current.last_modified is not None:
        if envelope.signed_at is None or envelope.signed_at <= current.last_modified:
            return None
    try:
        if not ops.fleet.verify(key_id, data, envelope.signature):
            return None
    except SentinelError:
        return None
    return sig_file, dump_envelope(envelope, indent=False)


def default_signing_key(ops: Ops, serving: tuple[TvmConfig, ...] = ()) -> str | None:
    """The key a push or a sign uses when none is named: the key of the TVM that serves the
    policy, else the settings' `default_key` (alias/sentinel-policy-signing unless changed)."""
    return ops.fleet.verification_tvm(serving).signing_key or ops.settings.default_key or None


def check_signing_key(ops: Ops, path: str, key_id: str | None, *, defaulted: bool, for_push: bool = True) -> None:
    """Refuse, before anything is signed or written, a key that does not exist or cannot sign.

    DescribeKey answers it; when that call is denied (a signer may hold kms:Sign only) or
    fails otherwise, the push goes on and KMS Sign has the last word, still before any write.
    `path` is what would be signed (a parameter, or a file for `policy sign`).
    """
    how = "the default signing key" if defaulted else "the signing key"
    fix_alt = (f"Create it with `{remedies.KEYS_SETUP_COMMAND}`, or pass --key-id KEY (the TVM's key)"
               + ("; or push unsigned with --allow-unsigned (an enforcing TVM then denies the policy)."
                  if for_push else "."))
    if not key_id:
        raise PushError(f"No signing key for {path}: no TVM serving it names one and default_key is empty; "
                        "nothing was written.", fix_alt, kind="no-key")
    try:
        info = ops.keys.describe(key_id)
    except SentinelError as exc:
        if getattr(exc, "kind", "") == "not-found":
            raise PushError(f"{how.capitalize()} {key_id} does not exist in this account and region, so "
                            f"{path} cannot be signed; nothing was written.", fix_alt, kind="no-key") from None
        return
    problems = info.problems()
    if problems:
        raise PushError(f"{how.capitalize()} {key_id} cannot sign: {'; '.join(problems)}. Nothing was written.",
                        f"Run `{remedies.KEYS_SETUP_COMMAND}` to see what is wrong with it, or pass --key-id with "
                        "another key.", kind="no-key")


def _run_tests(file: str | Path, data: bytes, serving: tuple[TvmConfig, ...]):
    """NAME.tests.yaml beside the file, run before anything is signed: a failure stops the push."""
    from .policytests import tests_beside

    report = tests_beside(file, data, serving[0] if serving else None)
    if report is not None and not report.ok:
        first = report.failed[0] if report.failed else None
        raise PushError(
            f"{report.tests_label}: {report.summary()}"
            + (f" (first: {first.case.name}: {'; '.join(first.problems)})" if first else "")
            + ": nothing was signed or written.",
            f"See each failure with its why-not: {remedies.test(file)}; then fix the policy or the tests.",
            kind="validation")
    return report


def _version(p: Parameter | None) -> int | None:
    return p.version if p is not None else None


def _lock_name(path: str) -> str:
    return LOCK_PREFIX + path


class _Lock:
    """A create-if-absent parameter: SSM's one atomic primitive, so two pushes cannot interleave."""

    def __init__(self, ops: Ops, path: str):
        self.ops = ops
        self.name = _lock_name(path)
        self.held = False
        self.note = ""

    def acquire(self) -> None:
        owner = json.dumps({"host": socket.gethostname(), "pid": os.getpid(),
                            "at": datetime.now(timezone.utc).isoformat()})
        try:
            if self.ops.store.create(self.name, owner):
                self.held = True
                return
        except SentinelError as err:
            if err.kind == "access-denied":
                self.note = (f"could not take the lock {self.name} (no ssm:PutParameter there); "
                             "relying on the version check alone")
                return
            raise
        holder = self.ops.store.get(self.name)
        if holder is not None and holder.last_modified is not None:
            age = datetime.now(timezone.utc) - holder.last_modified.astimezone(timezone.utc)
            if age > LOCK_STALE_AFTER:
                self.ops.store.delete(self.name)
                return self.acquire()
        raise PushError(
            f"Another push of this policy is in progress (lock {self.name}: {holder.value if holder else '?'}).",
            f"Wait for it to finish, then diff again. A lock older than {LOCK_STALE_AFTER.seconds // 60} "
            "minutes is taken over automatically.", kind="conflict")

    def release(self) -> None:
        if self.held:
            try:
                self.ops.store.delete(self.name)
            except SentinelError:
                pass
            self.held = False


def execute_push(ops: Ops, plan: PushPlan, *, progress: Progress | None = None,
                 cancelled: Callable[[], bool] = lambda: False) -> PushResult:
    """Steps 3 to 6, with automatic restore on failure after the first write."""
    say = progress or (lambda step, state: None)
    result = PushResult(plan=plan)
    ops.guard_write(f"{plan.action} of {plan.path}")
    caller = ops.caller()
    digest = policy_hash(plan.data)

    def audit(outcome: str, detail: str | None = None) -> None:
        ops.audit.record(action=plan.action, parameter=plan.path, outcome=outcome, caller=caller,
                         version_before=_version(plan.current), version_after=result.policy_version,
                         policy_hash=digest, detail=detail, signature_version=result.signature_version,
                         key_id=plan.key_id if plan.sign else None, **dict(plan.audit_extra))

    def step(name: str, state: str) -> None:
        result.steps.append((name, state))
        say(name, state)

    # 3. sign before writing anything
    envelope_text = None
    if plan.sign and plan.envelope_text is not None:
        envelope_text = plan.envelope_text  # already verified by the caller: no KMS Sign
        step("sign", "skip")
    elif plan.sign:
        step("sign", "start")
        try:
            envelope = sign_bytes(ops, plan.data, plan.key_id or ops.settings.default_key)
        except SentinelError as exc:
            step("sign", "fail")
            audit("failed before writing", str(exc))
            raise PushError(f"Signing failed; nothing was written. {exc.what}", exc.fix,
                            kind=getattr(exc, "kind", "push-failed"), ssm_state=_describe_untouched(ops, plan)) from None
        envelope_text = dump_envelope(envelope, indent=False)
        step("sign", "ok")
    if cancelled():
        audit("cancelled before writing")
        raise PushError("Cancelled; nothing was written.", kind="cancelled", ssm_state=_describe_untouched(ops, plan))

    # 4. lock, then check nothing moved since the plan
    lock = _Lock(ops, plan.path)
    step("check remote version", "start")
    try:
        lock.acquire()
        if lock.note:
            result.notes.append(lock.note)
        now_policy = ops.store.get(plan.path)
        now_sig = ops.store.get(plan.signature_path)
    except SentinelError as exc:
        step("check remote version", "fail")
        lock.release()
        audit("failed before writing", str(exc))
        if isinstance(exc, PushError):
            raise
        raise PushError(f"Could not check the stored version; nothing was written. {exc.what}", exc.fix,
                        kind=getattr(exc, "kind", "push-failed"), ssm_state=_describe_untouched(ops, plan)) from None
    if _version(now_policy) != _version(plan.current) or _version(now_sig) != _version(plan.current_signature):
        step("check remote version", "fail")
        lock.release()
        audit("conflict: remote changed since the diff")
        raise PushError(
            f"{plan.path} changed since the diff was shown (policy version {_version(plan.current)} -> "
            f"{_version(now_policy)}, signature version {_version(plan.current_signature)} -> {_version(now_sig)}); "
            "nothing was written.",
            "Diff again against the new stored version, then push.", kind="conflict",
            ssm_state=_describe_untouched(ops, plan))
    step("check remote version", "ok")
    if cancelled():  # the last moment a cancel leaves everything as it was
        lock.release()
        audit("cancelled before writing")
        raise PushError("Cancelled; nothing was written.", kind="cancelled", ssm_state=_describe_untouched(ops, plan))

    try:
        # 5. write the policy, then the signature
        step("write policy", "start")
        try:
            result.policy_version = ops.store.put(plan.path, plan.data.decode("utf-8"))
        except SentinelError as exc:
            step("write policy", "fail")
            raise _rollback(ops, plan, result, exc, "writing the policy") from None
        step("write policy", "ok")
        if envelope_text is not None:
            step("write signature", "start")
            try:
                result.signature_version = ops.store.put(plan.signature_path, envelope_text)
            except SentinelError as exc:
                step("write signature", "fail")
                raise _rollback(ops, plan, result, exc, "writing the signature") from None
            step("write signature", "ok")

        # 6. read back and check as the TVM would
        step("read back and verify", "start")
        try:
            back = ops.store.get(plan.path)
            back_sig = ops.store.get(plan.signature_path)
        except SentinelError as exc:
            step("read back and verify", "fail")
            raise _rollback(ops, plan, result, exc, "reading back") from None
        if back is None or back.data != plan.data:
            step("read back and verify", "fail")
            raise _rollback(ops, plan, result, SentinelError(
                f"{plan.path} does not hold the pushed bytes on read-back (another writer?)."), "reading back")
        if plan.sign:
            tvm = ops.fleet.verification_tvm(plan.tvms) if plan.tvms else TvmConfig(
                "push", plan.path, plan.key_id, None)
            key = tvm.signing_key or plan.key_id
            verdict = assess(plan.path, policy=back.data, signature=back_sig.value if back_sig else None,
                             tvm=tvm, verify=ops.fleet.verify, verification_key=key)
            result.status, result.tvm_text = verdict.status, verdict.tvm.text
            if verdict.status is not Status.VALID:
                step("read back and verify", "fail")
                raise _rollback(ops, plan, result, SentinelError(
                    f"The stored pair does not verify as the TVM would check it: {verdict.status}: {verdict.reason}.",
                    "If the TVM uses another key, push with --key-id set to the TVM's key."), "verifying")
        step("read back and verify", "ok")
    finally:
        lock.release()
    if plan.tvms:
        result.notes.append("TVMs cache a loaded policy for up to 30 seconds: they may serve the previous "
                            "policy until then.")
    audit("ok")
    return result


def _describe_untouched(ops: Ops, plan: PushPlan) -> str:
    """What SSM holds after a push that wrote nothing, read from SSM now (another writer may
    have moved it since the plan: that is what a conflict is), not recalled from the plan."""

    def one(kind: str, name: str, planned: Parameter | None) -> str:
        try:
            now = ops.store.get(name)
        except SentinelError:
            was = f"version {planned.version}" if planned else "absent"
            return f"{kind} {name} could not be read now (at the diff: {was})"
        if now is None:
            state = "absent"
        else:
            state = f"version {now.version}"
        if _version(now) == _version(planned):
            return f"{kind} {name} {state} (unchanged)"
        was = f"version {planned.version}" if planned else "absent"
        return f"{kind} {name} {state} (changed by another writer since the diff: it was {was})"

    return (one("policy", plan.path, plan.current) + ", "
            + one("signature", plan.signature_path, plan.current_signature) + "; this push wrote nothing")


def _restore_one(ops: Ops, name: str, previous: Parameter | None, ours: int | None) -> str:
    """Put back `previous` if the parameter still holds our write (or might, after a dropped call)."""
    current = ops.store.get(name)
    if previous is None:
        if current is None:
            return "absent"
        if ours is None or current.version == ours or current.version == 1:
            ops.store.delete(name)
            return "deleted"
        return f"left at version {current.version} (written by someone else)"
    if current is None:
        version = ops.store.put(name, previous.value or "")
        return f"re-created with the previous value (version {version})"
    if current.version == previous.version:
        return f"unchanged at version {current.version}"
    if ours is not None and current.version != ours:
        return f"left at version {current.version} (written by someone else)"
    version = ops.store.put(name, previous.value or "")
    return f"restored to the previous value as version {version}"


def _rollback(ops: Ops, plan: PushPlan, result: PushResult, cause: SentinelError, during: str) -> PushError:
    detail = f"{plan.action.capitalize()} failed while {during}: {cause.what}"
    states = []
    restored = True
    try:
        states.append("policy " + _restore_one(ops, plan.path, plan.current, result.policy_version))
        if plan.sign:
            states.append("signature " + _restore_one(ops, plan.signature_path, plan.current_signature,
                                                      result.signature_version))
    except SentinelError as exc:
        restored = False
        states.append(f"RESTORE FAILED: {exc.what}")
    try:
        after = ops.fleet.entry(plan.path)
        pair = (f"{after.path}: policy version {_version(after.policy)}, signature version "
                f"{_version(after.signature)}, status {after.status}")
    except SentinelError as exc:
        pair = f"could not be read back ({exc.what})"
    fix = cause.fix or "Fix the cause above and push again."
    if not restored:
        fix = (f"Restore by hand NOW: {remedies.POLICY} push again once the cause is fixed, or restore the "
               "previous version from the history. " + fix)
    ops.audit.record(action=plan.action, parameter=plan.path,
                     outcome="failed, restored" if restored else "failed, NOT restored",
                     caller=ops.caller(), version_before=_version(plan.current), version_after=result.policy_version,
                     policy_hash=policy_hash(plan.data), detail=detail, **dict(plan.audit_extra))
    return PushError(detail, fix, kind=getattr(cause, "kind", "push-failed"),
                     ssm_state="; ".join(states) + f". Now: {pair}", written=True, restored=restored)


# Public names for flows built on push's path (bulk re-signing, plan/apply): the same
# lock and the same put-back, never a copy of them.
Lock = _Lock
restore_one = _restore_one
