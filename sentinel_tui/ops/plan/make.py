"""Making a plan: the folder scanned and validated, every stored policy listed once, each name
given its action, the policies' tests run, the signing keys checked (:func:`make_plan`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ...core.diff import decode_text, diff_texts, unified_text
from ...core.envelope import policy_hash
from ...core.paths import check_parameter_name, policy_path
from ...core.policy import check_policy
from ...core.status import Status
from ...core.tvm import TvmConfig
from ...errors import SentinelError
from ...fileio import read_policy_file
from .. import remedies
from ..context import Ops
from .change import Change, describe_change
from .model import (CREATE, DELETE, MAX_POLICY_BYTES, NOT_MANAGED, PLAN_FORMAT, RESIGN, SUFFIXES, TESTS_SUFFIX,
                    UNCHANGED, UPDATE, Plan, PlanError, PlanItem, content_hash, file_hash, tvm_info)

@dataclass
class FolderScan:
    files: dict[str, str] = field(default_factory=dict)  # policy name -> path relative to the folder
    data: dict[str, bytes] = field(default_factory=dict)  # policy name -> bytes
    warnings: dict[str, list[str]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # "relative path: why"
    problems: list[str] = field(default_factory=list)
    tests: dict[str, str] = field(default_factory=dict)  # policy name -> its NAME.tests.yaml (relative)


def scan_folder(folder: str | Path, root: str) -> FolderScan:
    """Every policy file under `folder`, validated; what was ignored; every problem found."""
    base = Path(folder)
    scan = FolderScan()
    if not base.is_dir():
        scan.problems.append(f"{folder}: not a folder")
        return scan
    claims: dict[str, list[str]] = {}
    for here, dirs, files in os.walk(base, followlinks=False):
        rel_here = Path(here).relative_to(base)
        for d in sorted(dirs):
            rel = (rel_here / d).as_posix()
            if (Path(here) / d).is_symlink():
                scan.problems.append(f"{rel}: a symbolic link; links are refused (a link could pull in files "
                                     "from outside the reviewed folder)")
            elif d.startswith("."):
                scan.ignored.append(f"{rel}/: hidden folder")
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (Path(here) / d).is_symlink())
        for f in sorted(files):
            full = Path(here) / f
            rel = (rel_here / f).as_posix()
            if full.is_symlink():
                scan.problems.append(f"{rel}: a symbolic link; links are refused (a link could pull in files "
                                     "from outside the reviewed folder)")
                continue
            if f.startswith("."):
                scan.ignored.append(f"{rel}: hidden file")
                continue
            if f.endswith(TESTS_SUFFIX):  # NAME.tests.yaml: the tests of NAME (policy test), not a policy
                scan.tests[rel[: -len(TESTS_SUFFIX)]] = rel
                continue
            suffix = next((s for s in SUFFIXES if f.endswith(s)), None)
            if suffix is None:
                scan.ignored.append(f"{rel}: not a policy file (.yaml or .yml)")
                continue
            claims.setdefault(rel[: -len(suffix)], []).append(rel)
    for name, rels in sorted(claims.items()):
        if len(rels) > 1:
            scan.problems.append(f"{' and '.join(rels)}: both map to the policy name {name!r}; keep one")
            continue
        rel = rels[0]
        try:
            path = policy_path(name, root)
            check_parameter_name(path)
        except ValueError as exc:
            scan.problems.append(f"{rel}: the name {name!r} cannot be a policy parameter: {exc}")
            continue
        try:
            data = read_policy_file(base / rel)
        except SentinelError as exc:
            scan.problems.append(f"{rel}: {exc.what}")
            continue
        check = check_policy(data)
        if check.error is not None:
            scan.problems.append(f"{rel}: {check.error}")
            continue
        if len(data) > MAX_POLICY_BYTES:
            scan.problems.append(f"{rel}: {len(data):,} bytes, over the 4,096 KMS can sign in RAW mode")
            continue
        scan.files[name] = rel
        scan.data[name] = data
        scan.warnings[name] = [f"line {w.line or '-'}: {w.message}" for w in check.warnings]
    for name, rel in sorted(scan.tests.items()):
        if name not in claims:
            scan.ignored.append(f"{rel}: tests of {name!r}, which has no policy file here")
    scan.tests = {name: rel for name, rel in scan.tests.items() if name in scan.files}
    return scan


def make_plan(ops: Ops, folder: str | Path, *, prune: bool = False, resign_invalid: bool = False,
              now: datetime | None = None) -> Plan:
    """Everything apply would do with `folder`, computed against the stored versions now."""
    root = ops.settings.policy_root
    scan = scan_folder(folder, root)
    if scan.problems:
        n = len(scan.problems)
        raise PlanError(f"The plan could not be made: {n} problem{'s' if n != 1 else ''} in {folder}.",
                        f"Fix every file named above ({remedies.validate()} shows the details), "
                        "then plan again.", problems=scan.problems, kind="validation")
    if prune and not scan.files:
        raise PlanError(f"{folder} holds no policy files, and --prune would delete every policy under {root}.",
                        "Check the folder (a failed checkout?). Without --prune an empty folder plans nothing.",
                        kind="validation")
    identity = ops.clients.identity()
    snap = ops.fleet.load()
    if snap.error is not None or not snap.complete:
        err = snap.error
        raise PlanError(f"The stored policies under {root} could not be listed: "
                        f"{err.what if err else 'the listing stopped'}",
                        (err.fix if err else "") or "Check the role's ssm:GetParametersByPath on the root.",
                        kind=getattr(err, "kind", "plan"))
    stored = {e.name: e for e in snap.entries.values() if e.remote}
    items: list[PlanItem] = []
    test_problems: list[str] = []
    for name in sorted(set(scan.files) | set(stored)):
        entry = stored.get(name)
        path = policy_path(name, root)
        serving = tuple(t for t in snap.tvms if t.policy_parameter == path)
        tvms = tvm_info(serving)
        base = dict(name=name, path=path, tvms=tvms)
        unreadable = entry is not None and bool(entry.policy_error or (entry.policy is not None
                                                                       and entry.policy.value is None))
        if unreadable and name not in scan.files and not prune:
            items.append(PlanItem(action=NOT_MANAGED, stored_version=entry.policy.version if entry.policy else None,
                                  signature_version=entry.signature.version if entry.signature else None,
                                  status=str(entry.status) if entry.status else None,
                                  notes=(f"could not be read here ({entry.policy_error or 'no value'}); "
                                         "not managed by this folder",), **base))
            continue
        if entry is not None:
            if unreadable:
                raise PlanError(f"{path} could not be read: {entry.policy_error or 'no value'}",
                                "The plan needs every stored policy's bytes; check ssm:GetParameter* and "
                                "kms:Decrypt for SecureString policies.", kind="access-denied")
            base.update(stored_version=entry.policy.version if entry.policy else None,
                        stored_sha256=policy_hash(entry.policy.data) if entry.policy else None,
                        signature_version=entry.signature.version if entry.signature else None,
                        status=str(entry.status) if entry.status else None,
                        status_reason=entry.assessment.reason if entry.assessment else None)
        notes: list[str] = []
        if name not in scan.files:
            if prune:
                change = describe_change(entry.policy.data if entry.policy else None, None)
                if entry.policy is None:
                    change = Change(change.kind, "an orphan signature (no policy) is removed")
                if any(t["enforcing"] for t in tvms):
                    notes.append("an ENFORCING TVM serves it: after the delete it denies every request")
                old_text = decode_text(entry.policy.data, path) if entry.policy else ""
                d = diff_texts(old_text, "")
                diff_text = unified_text(d, f"{path} (version {base.get('stored_version')})", "(deleted)")
                if entry.policy is not None and entry.policy.type == "SecureString":
                    diff_text = "(the stored policy is a SecureString: its text is kept out of the plan)\n"
                items.append(PlanItem(action=DELETE, diff=diff_text, removed=d.removed,
                                      change_kind=change.kind, change=change.summary, change_diff=change.diff,
                                      notes=tuple(notes), **base))
            else:
                items.append(PlanItem(action=NOT_MANAGED, **base))
            continue
        data = scan.data[name]
        rel = scan.files[name]
        key = ops.fleet.verification_tvm(serving).signing_key or ops.settings.default_key
        base.update(file=rel, file_sha256=policy_hash(data), size=len(data), key_id=key)
        if name in scan.tests:
            summary = _run_tests(Path(folder), rel, scan.tests[name], data, serving, test_problems)
            base.update(tests_file=scan.tests[name], tests=summary,
                        tests_sha256=file_hash(Path(folder) / scan.tests[name]))
        notes.extend(f"warning: {w}" for w in scan.warnings.get(name, []))
        if len(data) > MAX_POLICY_BYTES - 256:
            notes.append(f"{len(data):,} bytes: close to the 4,096 limit")
        current = entry.policy if entry is not None else None
        if current is not None and current.data == data:
            valid = entry.status is Status.VALID
            if valid:
                items.append(PlanItem(action=UNCHANGED, notes=tuple(notes), **base))
            elif resign_invalid:
                notes.append(f"the stored pair is {entry.status} today; the stored bytes are re-signed "
                             "(no policy write)")
                items.append(PlanItem(action=RESIGN, change_kind="meaning",
                                      change="none: the same bytes get a signature that verifies",
                                      notes=tuple(notes), **base))
            else:
                notes.append(f"the stored pair is {entry.status} today although the bytes match: "
                             "plan with --resign-invalid to re-sign it")
                items.append(PlanItem(action=UNCHANGED, notes=tuple(notes), **base))
            continue
        old_text = decode_text(current.data, path) if current is not None else ""
        d = diff_texts(old_text, decode_text(data, rel))
        old_label = f"{path} (version {current.version})" if current is not None else f"{path} (absent)"
        change = describe_change(current.data if current is not None else None, data)
        if current is None and entry is not None and entry.signature is not None:
            notes.append("an orphan signature is stored for this name; it is replaced")
        if any(t["enforcing"] for t in tvms):
            notes.append("an ENFORCING TVM serves it")
        diff_text = unified_text(d, old_label, rel)
        if current is not None and current.type == "SecureString":
            # The stored text is a secret: it never goes into a plan file or a PR comment.
            notes.append("stored as a SecureString: its text is kept out of the plan (no diff shown); apply "
                         "writes it as a String, as the Go CLI does")
            diff_text = f"(the stored policy is a SecureString: no diff; sha256 {base['stored_sha256']} -> " \
                        f"{base['file_sha256']})\n"
            change = Change(change.kind, "not shown: the stored policy is a SecureString")
        items.append(PlanItem(action=CREATE if current is None else UPDATE, diff=diff_text,
                              added=d.added, removed=d.removed, change_kind=change.kind, change=change.summary,
                              change_diff=change.diff, notes=tuple(notes), **base))
    if test_problems:
        n = len(test_problems)
        raise PlanError(f"The plan could not be made: the tests of {n} polic{'y fail' if n == 1 else 'ies fail'}.",
                        f"See each failure with its why-not: {remedies.test()}; then fix the policy or "
                        "its tests (apply would stop at them anyway, before signing).",
                        problems=test_problems, kind="validation")
    warnings = _check_keys(ops, items)
    if not scan.files:
        warnings.insert(0, f"{folder} holds no policy files (.yaml or .yml): nothing is managed from it")
    content = {
        "format": PLAN_FORMAT,
        "account": identity.account,
        "region": ops.clients.region,
        "root": root,
        "options": {"prune": prune, "resign_invalid": resign_invalid},
        "items": [i.as_json() for i in items],
    }
    when = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds").replace("+00:00", "Z")
    # Outside the hash: nothing here changes what apply does (files ignored included: a plan
    # file written into the folder must not change the next plan's hash).
    made = {"at": when, "by": identity.arn, "folder": str(folder), "ignored": sorted(scan.ignored),
            "warnings": warnings}
    return Plan(content=content, sha256=content_hash(content), made=made)


def _run_tests(base: Path, rel: str, tests_rel: str, data: bytes, serving: tuple[TvmConfig, ...],
               problems: list[str]) -> str | None:
    """NAME.tests.yaml run on the file's bytes, as push runs them before signing; a failure is a problem."""
    from ..policytests import run_policy_tests_file

    try:
        report = run_policy_tests_file(base / rel, base / tests_rel, data=data, tvm=serving[0] if serving else None)
    except SentinelError as exc:
        problems.append(f"{tests_rel}: {exc.what}")
        return None
    if not report.ok:
        first = report.failed[0] if report.failed else None
        problems.append(f"{tests_rel}: {report.summary()}"
                        + (f" (first: {first.case.name}: {'; '.join(first.problems)})" if first else ""))
    return report.summary()


def _check_keys(ops: Ops, items: list[PlanItem]) -> list[str]:
    """Every key the plan signs with must exist and be able to sign: else the plan fails (exit 2).

    One DescribeKey per key. When it is denied (a planning role without kms:DescribeKey) the
    check is left to apply and said in a warning; warnings sit outside the plan's hash, so a
    planner and a signer with different rights still make the same plan.
    """
    problems: list[str] = []
    warnings: list[str] = []
    keys: dict[str, list[str]] = {}
    for item in items:
        if item.action in (CREATE, UPDATE, RESIGN):
            keys.setdefault(item.key_id or "", []).append(item.name)
    for key, names in sorted(keys.items()):
        who = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        if not key:
            problems.append(f"{who}: no signing key (no TVM serving it names one, and default_key is empty)")
            continue
        try:
            info = ops.keys.describe(key)
        except SentinelError as exc:
            if getattr(exc, "kind", "") == "not-found":
                problems.append(f"{who}: the signing key {key} does not exist in this account and region")
            else:
                warnings.append(f"the signing key {key} could not be checked ({exc.what}); apply will find out")
            continue
        for problem in info.problems():
            problems.append(f"{who}: the signing key {key} cannot sign: {problem}")
    if problems:
        raise PlanError(f"The plan could not be made: {len(problems)} signing key problem"
                        f"{'s' if len(problems) != 1 else ''}.",
                        f"Create the key ({remedies.KEYS_SETUP_COMMAND}), set default_key "
                        "(SENTINEL_TUI_DEFAULT_KEY), or fix the TVM's SENTINEL_POLICY_SIGNING_KEY.",
                        problems=problems, kind="no-key")
    return warnings
