"""Applying exactly a plan, or nothing: :func:`check_plan` refuses a plan that no longer
matches what is stored, :func:`apply_plan` then takes each item through the write path
that exists (push, bulk re-signing, a delete under push's lock)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from ...core.envelope import policy_hash
from ...core.paths import policy_path_for_signature, signature_path, signature_root
from ...errors import SentinelError
from ...fileio import read_policy_file
from ..context import Ops
from .model import (APPLIED, APPLYING, CREATE, NO_CHANGE, NOT_ATTEMPTED, NOT_ROLLED_BACK, NOTHING_WRITTEN, RESIGN,
                    ROLLED_BACK, TESTS_SUFFIX, UPDATE, Plan, PlanItem, PlanRefused, file_hash, tvm_info)

@dataclass(frozen=True)
class ItemResult:
    name: str
    path: str
    action: str
    state: str  # APPLIED | ROLLED_BACK | NOT_ROLLED_BACK | NOTHING_WRITTEN | NOT_ATTEMPTED | NO_CHANGE
    detail: str = ""
    fix: str = ""
    ssm_state: str = ""
    policy_version: int | None = None
    signature_version: int | None = None


@dataclass
class ApplyResult:
    plan_sha256: str
    items: list[ItemResult] = field(default_factory=list)
    cancelled: bool = False

    @property
    def failed(self) -> bool:
        return any(i.state in (ROLLED_BACK, NOT_ROLLED_BACK, NOTHING_WRITTEN) for i in self.items)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.cancelled and all(i.state in (APPLIED, NO_CHANGE) for i in self.items)

    def count(self, state: str) -> int:
        return sum(1 for i in self.items if i.state == state)

    def summary(self) -> str:
        changing = [i for i in self.items if i.state != NO_CHANGE]
        parts = [f"{self.count(APPLIED)} applied and verified"]
        for state in (ROLLED_BACK, NOT_ROLLED_BACK, NOTHING_WRITTEN, NOT_ATTEMPTED):
            if self.count(state):
                parts.append(f"{self.count(state)} {state}")
        return ", ".join(parts) + f" of {len(changing)}" + (" (cancelled)" if self.cancelled else "")


ApplyProgress = Callable[[PlanItem, str, ItemResult | None], None]  # (item, "start"|"done", result)


def check_plan(ops: Ops, plan: Plan, folder: str | Path | None = None) -> None:
    """Refuse (PlanRefused, every reason listed) a plan that is not exactly applicable now."""
    problems: list[str] = []
    identity = ops.clients.identity()
    here = (identity.account, ops.clients.region, ops.settings.policy_root)
    there = (plan.account, plan.region, plan.root)
    if here != there:
        raise PlanRefused(
            f"This plan was made for account {there[0]}, region {there[1]}, root {there[2]}; you are applying it to "
            f"account {here[0]}, region {here[1]}, root {here[2]}. Nothing was written.",
            "Apply it with the profile, region and --policy-root it was made for, or plan again here.",
            kind="wrong-target")
    base = Path(folder if folder is not None else plan.folder or ".")
    items = plan.items
    # 1. the stored versions, all of them, from two metadata listings (no values read)
    root = plan.root
    now_p: dict[str, int] = {}
    now_s: dict[str, int] = {}
    from ..push import LOCK_PREFIX

    for page in ops.store.list_metadata(root):
        now_p.update({p.name: p.version for p in page if not p.name.startswith(LOCK_PREFIX + "/")})
    for page in ops.store.list_metadata(signature_root(root)):
        for p in page:
            target = policy_path_for_signature(p.name, root)
            if target is not None:
                now_s[target] = p.version
    planned = {i.path for i in items}
    for item in items:
        then = (item.stored_version, item.signature_version)
        now = (now_p.get(item.path), now_s.get(item.path))
        if then != now:
            problems.append(f"{item.name}: stored policy version {_v(then[0])} -> {_v(now[0])}, signature version "
                            f"{_v(then[1])} -> {_v(now[1])} since the plan")
    for path in sorted((set(now_p) | set(now_s)) - planned):
        try:
            from ...core.paths import policy_name

            name = policy_name(path, root)
        except ValueError:
            name = path
        problems.append(f"{name}: stored since the plan was made (policy version {_v(now_p.get(path))}, "
                        f"signature version {_v(now_s.get(path))})")
    # 2. the TVMs serving each change are the ones the plan showed (their key judges the result)
    try:
        tvms = ops.tvms.list()
    except SentinelError as exc:
        if getattr(exc, "kind", "") != "access-denied":
            raise
        tvms = None  # without lambda:ListFunctions the plan showed none either, or the push finds out
    if tvms is not None:
        for item in items:
            if not item.applies:
                continue
            now_tvms = [dict(t) for t in tvm_info(t for t in tvms if t.policy_parameter == item.path)]
            if now_tvms != [dict(t) for t in item.tvms]:
                was = ", ".join(f"{t['name']} ({t['mode']})" for t in item.tvms) or "none"
                now = ", ".join(f"{t['name']} ({t['mode']})" for t in now_tvms) or "none"
                problems.append(f"{item.name}: the TVMs serving it changed since the plan ({was} -> {now})")
    # 3. every planned file still holds the planned bytes
    for item in items:
        if item.file is None:
            continue
        target = base / item.file
        if target.is_symlink():
            problems.append(f"{item.file}: now a symbolic link; links are refused")
            continue
        try:
            data = read_policy_file(target)
        except SentinelError as exc:
            problems.append(f"{item.file}: {exc.what}")
            continue
        if policy_hash(data) != item.file_sha256:
            problems.append(f"{item.file}: its bytes changed since the plan (sha256 {policy_hash(data)[:16]}…, "
                            f"planned {str(item.file_sha256)[:16]}…)")
        tests_now = base / (item.file[: -len(Path(item.file).suffix)] + TESTS_SUFFIX)
        now_hash = file_hash(tests_now) if tests_now.is_file() and not tests_now.is_symlink() else None
        if item.applies and now_hash != item.tests_sha256:
            problems.append(f"{tests_now.relative_to(base)}: the policy's tests "
                            + ("appeared" if item.tests_sha256 is None else "were removed" if now_hash is None
                               else "changed") + " since the plan")
    if problems:
        raise PlanRefused(f"The plan no longer matches what it was made against; nothing was written "
                          f"({len(problems)} difference{'s' if len(problems) != 1 else ''}).",
                          "Plan again, review the new plan, and apply that.", problems=problems, kind="conflict")


def _v(version: int | None) -> str:
    return "absent" if version is None else str(version)


def apply_plan(ops: Ops, plan: Plan, *, folder: str | Path | None = None, keep_going: bool = False,
               progress: ApplyProgress | None = None, cancelled: Callable[[], bool] = lambda: False) -> ApplyResult:
    """Apply exactly `plan`, or nothing (PlanRefused before any write)."""
    ops.guard_write("applying a plan")
    check_plan(ops, plan, folder)
    say = progress or (lambda item, state, result: None)
    base = Path(folder if folder is not None else plan.folder or ".")
    caller = ops.caller()
    result = ApplyResult(plan_sha256=plan.sha256)
    extra = (("plan_sha256", plan.sha256),)
    try:
        tvms = ops.tvms.list()
    except SentinelError as exc:
        if getattr(exc, "kind", "") != "access-denied":
            raise
        tvms = []
    ops.audit.record(action="apply", parameter=None, outcome="started", caller=caller, plan_sha256=plan.sha256,
                     detail=f"{len(plan.changes)} change(s) under {plan.root}")
    order = sorted(plan.changes, key=lambda i: (APPLYING.index(i.action), i.name))
    stop = False
    for item in order:
        if stop or cancelled():
            if not stop:
                result.cancelled = True
            outcome = ItemResult(item.name, item.path, item.action, NOT_ATTEMPTED,
                                 "cancelled" if result.cancelled else "an earlier item failed", ssm_state="unchanged")
            result.items.append(outcome)
            say(item, "done", outcome)
            continue
        say(item, "start", None)
        try:
            if item.action in (CREATE, UPDATE):
                outcome = _apply_push(ops, item, base, extra)
            elif item.action == RESIGN:
                outcome = _apply_resign(ops, item, tvms, caller, extra)
            else:
                outcome = _apply_delete(ops, item, caller, extra)
        except SentinelError as exc:  # anything unforeseen ends this item, not silently the run
            outcome = ItemResult(item.name, item.path, item.action, NOTHING_WRITTEN, exc.what, exc.fix,
                                 ssm_state="unknown: check it with `policy verify --remote`")
        result.items.append(outcome)
        say(item, "done", outcome)
        if outcome.state != APPLIED and not keep_going:
            stop = True
    for item in plan.items:
        if not item.applies:
            result.items.append(ItemResult(item.name, item.path, item.action, NO_CHANGE))
    ops.audit.record(action="apply", parameter=None, caller=caller, plan_sha256=plan.sha256,
                     outcome="ok" if result.ok else ("cancelled" if result.cancelled else "failed"),
                     detail=result.summary())
    return result


def _apply_push(ops: Ops, item: PlanItem, base: Path, extra) -> ItemResult:
    from ..push import PushError, execute_push, plan_push

    data = read_policy_file(base / str(item.file))
    if policy_hash(data) != item.file_sha256:
        return ItemResult(item.name, item.path, item.action, NOTHING_WRITTEN,
                          f"{item.file} changed during the apply; nothing was written", "Plan again.",
                          ssm_state="unchanged")
    try:
        push = plan_push(ops, item.name, base / str(item.file), sign=True, key_id=item.key_id, data=data)
    except SentinelError as exc:
        return ItemResult(item.name, item.path, item.action, NOTHING_WRITTEN, exc.what, exc.fix, ssm_state="unchanged")
    now = (push.current.version if push.current else None,
           push.current_signature.version if push.current_signature else None)
    if now != (item.stored_version, item.signature_version):
        ops.audit.record(action="push", parameter=item.path, outcome="conflict: changed since the plan",
                         caller=ops.caller(), policy_hash=item.file_sha256, plan_sha256=extra[0][1])
        return ItemResult(item.name, item.path, item.action, NOTHING_WRITTEN,
                          f"the stored pair changed since the plan (policy {_v(item.stored_version)} -> {_v(now[0])}, "
                          f"signature {_v(item.signature_version)} -> {_v(now[1])}); nothing was written",
                          "Plan again, review, then apply.", ssm_state="unchanged")
    push = replace(push, audit_extra=tuple(push.audit_extra) + tuple(extra))
    try:
        done = execute_push(ops, push)
    except PushError as exc:
        state = (NOT_ROLLED_BACK if exc.written and not exc.restored else ROLLED_BACK if exc.written
                 else NOTHING_WRITTEN)
        return ItemResult(item.name, item.path, item.action, state, exc.what, exc.fix, ssm_state=exc.ssm_state)
    return ItemResult(item.name, item.path, item.action, APPLIED,
                      f"{done.status}: {done.tvm_text}" if done.status else "written and read back",
                      policy_version=done.policy_version, signature_version=done.signature_version)


def _apply_resign(ops: Ops, item: PlanItem, tvms, caller, extra) -> ItemResult:
    from ..bulk import OK, resign_one

    out = resign_one(ops, item.name, item.key_id, tvms, caller,
                     expect=(item.stored_version, item.signature_version), audit_extra=dict(extra))
    if out.state == OK:
        return ItemResult(item.name, item.path, item.action, APPLIED, out.detail,
                          policy_version=out.policy_version, signature_version=out.signature_after)
    # bulk's put-back says "signature ..." when it wrote and put back, "RESTORE FAILED" when it could not
    if "RESTORE FAILED" in out.ssm_state:
        state = NOT_ROLLED_BACK
    elif out.ssm_state.startswith("signature "):
        state = ROLLED_BACK
    else:
        state = NOTHING_WRITTEN
    return ItemResult(item.name, item.path, item.action, state, out.detail, out.fix, ssm_state=out.ssm_state)


def _apply_delete(ops: Ops, item: PlanItem, caller, extra) -> ItemResult:
    """Delete the policy, then its signature, under push's lock and version check; put back on failure."""
    from ..push import Lock, PushError, restore_one

    sig_path = signature_path(item.path)

    def audit(outcome: str, detail: str | None = None) -> None:
        ops.audit.record(action="delete", parameter=item.path, outcome=outcome, caller=caller,
                         version_before=item.stored_version, policy_hash=item.stored_sha256, detail=detail,
                         signature_version_before=item.signature_version, **dict(extra))

    lock = Lock(ops, item.path)
    try:
        try:
            lock.acquire()
            policy = ops.store.get(item.path)
            signature = ops.store.get(sig_path)
        except SentinelError as exc:
            audit("failed before writing", exc.what)
            return ItemResult(item.name, item.path, item.action, NOTHING_WRITTEN, exc.what, exc.fix,
                              ssm_state="unchanged")
        now = (policy.version if policy else None, signature.version if signature else None)
        if now != (item.stored_version, item.signature_version):
            audit("conflict: changed since the plan")
            return ItemResult(item.name, item.path, item.action, NOTHING_WRITTEN,
                              f"the stored pair changed since the plan (policy {_v(item.stored_version)} -> "
                              f"{_v(now[0])}, signature {_v(item.signature_version)} -> {_v(now[1])}); "
                              "nothing was written", "Plan again, review, then apply.", ssm_state="unchanged")
        try:
            if policy is not None:
                ops.store.delete(item.path)
            if signature is not None:
                ops.store.delete(sig_path)
            if ops.store.get(item.path) is not None or ops.store.get(sig_path) is not None:
                raise SentinelError(f"{item.path} or its signature is still stored after the delete "
                                    "(another writer?).")
        except SentinelError as exc:
            states = []
            restored = True
            try:
                states.append("policy " + restore_one(ops, item.path, policy, None))
                states.append("signature " + restore_one(ops, sig_path, signature, None))
            except SentinelError as again:
                restored = False
                states.append(f"RESTORE FAILED: {again.what}")
            audit("failed, restored" if restored else "failed, NOT restored", exc.what)
            return ItemResult(item.name, item.path, item.action, ROLLED_BACK if restored else NOT_ROLLED_BACK,
                              f"deleting failed: {exc.what}", exc.fix, ssm_state="; ".join(states))
    except PushError as exc:  # the lock is held by another push
        audit("failed before writing", exc.what)
        return ItemResult(item.name, item.path, item.action, NOTHING_WRITTEN, exc.what, exc.fix, ssm_state="unchanged")
    finally:
        lock.release()
    audit("ok")
    return ItemResult(item.name, item.path, item.action, APPLIED, "policy and signature deleted; read back absent")
