"""Bulk re-signing: a new signature over the STORED bytes of several policies.

Meant for `unsigned` or `stale` policies after their stored content has been
reviewed. No policy is written: only each signature parameter changes. Per item:

1. read the stored policy and signature (their versions are the baseline);
2. validate, refuse over 4,096 bytes, KMS Sign the exact stored bytes;
3. take push's lock on the policy, check neither version moved since step 1,
   write the signature, release the lock;
4. read both back and check them as the TVM would; if they do not verify, the
   previous signature is put back (or the new one deleted where there was none).

Each item is audited on its own. Cancelling stops between items: an item that
has started finishes (or is put back), and the rest are not touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..errors import SentinelError
from ..aws.keys import check_signable
from ..core.envelope import dump_envelope, policy_hash
from ..core.paths import policy_path, signature_path
from ..core.status import Status, assess
from ..core.tvm import TvmConfig
from .context import Ops
from .push import _Lock, _restore_one
from .sign import InvalidPolicy, sign_bytes, validated

OK, FAILED, SKIPPED, CANCELLED, RUNNING = "ok", "failed", "skipped", "cancelled", "running"


@dataclass(frozen=True)
class ItemOutcome:
    name: str
    path: str
    state: str  # "running" (reported at the start), then "ok" | "failed" | "skipped" | "cancelled"
    detail: str = ""
    fix: str = ""
    policy_version: int | None = None
    signature_before: int | None = None
    signature_after: int | None = None
    ssm_state: str = ""  # after a failure: what SSM holds for this pair
    # The pair's status as the TVM judges it before the item ran and after it: `valid` after a
    # re-sign, the same as before when nothing was written, None when it could not be told (a
    # failure after a write: `ssm_state` says what SSM holds). `tvm_text` is the verdict after.
    status_before: Status | None = None
    status_after: Status | None = None
    tvm_text: str = ""

    @property
    def done(self) -> bool:
        return self.state != RUNNING

    @property
    def status(self) -> Status | None:
        """The status now: what a result row shows beside the outcome."""
        return self.status_after


@dataclass
class BulkResult:
    outcomes: list[ItemOutcome] = field(default_factory=list)
    cancelled: bool = False

    def count(self, state: str) -> int:
        return sum(1 for o in self.outcomes if o.state == state)

    @property
    def ok(self) -> bool:
        return not self.cancelled and all(o.state == OK for o in self.outcomes)

    def summary(self) -> str:
        parts = [f"{self.count(OK)} re-signed"]
        for state, words in ((FAILED, "failed"), (SKIPPED, "skipped"), (CANCELLED, "not attempted (cancelled)")):
            if self.count(state):
                parts.append(f"{self.count(state)} {words}")
        return ", ".join(parts) + f" of {len(self.outcomes)}"


BulkProgress = Callable[[str, ItemOutcome], None]


def _key_for(ops: Ops, tvms: tuple[TvmConfig, ...], key_id: str | None) -> tuple[str, TvmConfig]:
    """The key to sign with, and the TVM whose view judges the result."""
    tvm = ops.fleet.verification_tvm(tvms) if tvms else None
    key = key_id or (tvm.signing_key if tvm else None) or ops.settings.default_key
    if tvm is None or not tvm.signing_key:
        tvm = TvmConfig("resign", None, key, None)
    return key, tvm


def resign_one(ops: Ops, name: str, key_id: str | None, tvms: list[TvmConfig], caller: str | None, *,
               expect: tuple[int | None, int | None] | None = None,
               audit_extra: dict | None = None) -> ItemOutcome:
    """Re-sign one policy's stored bytes. `expect` (policy version, signature version): stop,
    writing nothing, when the pair read first is not at those versions (a plan's baseline)."""
    path = policy_path(name, ops.settings.policy_root)
    sig_path = signature_path(path)
    serving = ops.fleet.serving(path, tvms)

    def audit(outcome: ItemOutcome, key: str | None = None, digest: str | None = None) -> ItemOutcome:
        ops.audit.record(action="resign", parameter=path, outcome=outcome.state, detail=outcome.detail or None,
                         caller=caller,
                         version_before=outcome.policy_version, version_after=outcome.policy_version,
                         policy_hash=digest, key_id=key, signature_version_before=outcome.signature_before,
                         signature_version=outcome.signature_after, **(audit_extra or {}))
        return outcome

    try:
        policy = ops.store.get(path)
        previous = ops.store.get(sig_path)
    except SentinelError as exc:
        return audit(ItemOutcome(name, path, FAILED, f"could not read the pair: {exc.what}", exc.fix,
                                 ssm_state="unchanged"))
    before = previous.version if previous else None
    if expect is not None and (policy.version if policy else None, before) != tuple(expect):
        return audit(ItemOutcome(name, path, FAILED, f"the pair changed since the plan (policy version {expect[0]} -> "
                                 f"{policy.version if policy else None}, signature version {expect[1]} -> {before}); "
                                 "nothing was written", "Plan again, review, then apply.",
                                 policy_version=policy.version if policy else None, signature_before=before,
                                 ssm_state="unchanged (nothing was written)"))
    if policy is None:
        return audit(ItemOutcome(name, path, SKIPPED, "no policy is stored: nothing to sign",
                                 "An orphan signature is removed by deleting it, not by re-signing.",
                                 signature_before=before, ssm_state="unchanged"))
    data = policy.data
    digest = policy_hash(data)
    key, tvm = _key_for(ops, serving, key_id)
    judge = ops.fleet.verification_tvm(serving)  # as the browser judges the pair
    try:
        was = assess(path, policy=data, signature=previous.value if previous else None, tvm=judge,
                     verify=ops.fleet.verify, verification_key=judge.signing_key or ops.settings.default_key or None)
    except SentinelError:
        was = None
    base = dict(name=name, path=path, policy_version=policy.version, signature_before=before,
                status_before=was.status if was else None)
    unchanged = dict(status_after=was.status if was else None, tvm_text=was.tvm.text if was else "")
    try:
        validated(data)
        check_signable(data)
    except InvalidPolicy as exc:
        return audit(ItemOutcome(state=SKIPPED, detail=f"the stored policy is invalid: {exc.check.error}",
                                 fix="Fix the policy and push it signed instead.", ssm_state="unchanged",
                                 **base, **unchanged), key, digest)
    except SentinelError as exc:
        return audit(ItemOutcome(state=SKIPPED, detail=exc.what, fix=exc.fix, ssm_state="unchanged", **base,
                                 **unchanged),
                     key, digest)
    try:
        envelope = sign_bytes(ops, data, key)
    except SentinelError as exc:
        return audit(ItemOutcome(state=FAILED, detail=f"signing failed: {exc.what}", fix=exc.fix,
                                 ssm_state="unchanged (nothing was written)", **base, **unchanged), key, digest)
    text = dump_envelope(envelope, indent=False)

    lock = _Lock(ops, path)
    ours: int | None = None
    try:
        try:
            lock.acquire()
            now_policy = ops.store.get(path)
            now_sig = ops.store.get(sig_path)
        except SentinelError as exc:
            return audit(ItemOutcome(state=FAILED, detail=f"could not check the stored versions: {exc.what}",
                                     fix=exc.fix, ssm_state="unchanged (nothing was written)", **base, **unchanged),
                         key, digest)
        now_versions = (now_policy.version if now_policy else None, now_sig.version if now_sig else None)
        if now_versions != (policy.version, before):
            return audit(ItemOutcome(
                state=FAILED, detail=f"the pair changed while re-signing (policy version {policy.version} -> "
                f"{now_versions[0]}, signature version {before} -> {now_versions[1]}); nothing was written",
                fix="Review the new stored policy, then re-sign it.", ssm_state="unchanged by this run", **base),
                key, digest)
        try:
            ours = ops.store.put(sig_path, text)
        except SentinelError as exc:
            state = _put_back(ops, sig_path, previous, None)
            return audit(ItemOutcome(state=FAILED, detail=f"writing the signature failed: {exc.what}", fix=exc.fix,
                                     ssm_state=state, **base), key, digest)
        # read back, and check as the TVM would
        try:
            back = ops.store.get(path)
            back_sig = ops.store.get(sig_path)
        except SentinelError as exc:
            state = _put_back(ops, sig_path, previous, ours)
            return audit(ItemOutcome(state=FAILED, detail=f"reading back failed: {exc.what}", fix=exc.fix,
                                     ssm_state=state, **base), key, digest)
        verdict = assess(path, policy=back.data if back else None, signature=back_sig.value if back_sig else None,
                         tvm=tvm, verify=ops.fleet.verify, verification_key=tvm.signing_key or key)
        if back is None or back.version != policy.version or verdict.status is not Status.VALID:
            state = _put_back(ops, sig_path, previous, ours)
            why = ("the policy changed while its signature was written" if back is None or back.version != policy.version
                   else f"{verdict.status}: {verdict.reason}")
            return audit(ItemOutcome(state=FAILED, detail=f"the stored pair does not verify as the TVM would check it "
                                     f"({why})", fix="If the TVM uses another key, re-sign with the TVM's key.",
                                     ssm_state=state, **base), key, digest)
    finally:
        lock.release()
    return audit(ItemOutcome(state=OK, detail=f"signed with {key}; verifies as the TVM checks it",
                             signature_after=ours, status_after=verdict.status, tvm_text=verdict.tvm.text,
                             **base), key, digest)


def _put_back(ops: Ops, sig_path: str, previous, ours: int | None) -> str:
    try:
        return "signature " + _restore_one(ops, sig_path, previous, ours) + "; policy unchanged"
    except SentinelError as exc:
        return f"RESTORE FAILED for {sig_path}: {exc.what}; check it by hand"


def resign_many(ops: Ops, names: list[str], key_id: str | None = None,
                progress: BulkProgress | None = None,
                cancelled: Callable[[], bool] = lambda: False) -> BulkResult:
    """Re-sign the stored bytes of each policy in turn; stop cleanly between items when cancelled.

    `key_id` None signs each policy with the key of the TVM that serves it (else the
    settings' default key). `progress(name, outcome)` is called when an item starts
    (state "running") and when it ends.
    """
    ops.guard_write("re-signing " + (names[0] if len(names) == 1 else f"{len(names)} policies"))
    say = progress or (lambda name, outcome: None)
    result = BulkResult()
    caller = ops.caller()
    tvms = ops.fleet.tvm_list()
    for index, name in enumerate(names):
        if cancelled():
            result.cancelled = True
            for rest in names[index:]:
                outcome = ItemOutcome(rest, policy_path(rest, ops.settings.policy_root), CANCELLED,
                                      "not attempted: cancelled", ssm_state="unchanged")
                result.outcomes.append(outcome)
                say(rest, outcome)
            ops.audit.record(action="resign", parameter=None, outcome="cancelled", caller=caller,
                             detail=f"{len(names) - index} of {len(names)} not attempted")
            break
        say(name, ItemOutcome(name, policy_path(name, ops.settings.policy_root), RUNNING))
        try:
            outcome = resign_one(ops, name, key_id, tvms, caller)
        except SentinelError as exc:  # anything unforeseen still ends this item, not the run
            outcome = ItemOutcome(name, policy_path(name, ops.settings.policy_root), FAILED, exc.what, exc.fix,
                                  ssm_state="unknown: check it with `policy verify --remote`")
        result.outcomes.append(outcome)
        say(name, outcome)
    return result

