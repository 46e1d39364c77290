"""Policies from a folder: `plan` what would change, then `apply` exactly that plan, or nothing.

A folder (a git checkout) holds policy files; a file's path relative to the folder,
without ``.yaml``/``.yml``, is the policy name, as for the local folder setting.

:func:`make_plan` validates every file (one invalid file fails the whole plan, and every
invalid file is named), lists every stored policy under the root once, and gives each
name an action: ``create``, ``update``, ``unchanged``, ``re-sign`` (an unchanged policy
whose stored pair is not valid today, only with ``resign_invalid``), ``delete`` (a stored
policy with no file, only with ``prune``) or ``not managed here``. Each item records the
stored policy and signature versions it was computed against, the SHA-256 of the file,
the byte diff, the TVMs serving it and their enforcement, the size against 4,096 and
what the change does (:func:`describe_change`, the one seam where the access diff of the
policy-semantics issue plugs in).

The plan file is JSON: ``content`` (everything above, plus account, region and root) and
``plan_sha256``, the SHA-256 of ``content`` in canonical form (sorted keys, no spaces,
UTF-8). The time, the caller, the folder's location and the files ignored sit outside
``content`` (in ``made``) on purpose: planning the same folder against the same stored versions gives the same hash
on any machine and by any role, which is what lets CI compare the plan it is about to
apply with the plan that was reviewed.

:func:`apply_plan` refuses, writing nothing, when the hash does not match the content,
the plan was made for another account, region or root, any stored version moved since
(or a policy appeared), the TVMs serving a change are not the plan's, or a planned file's
bytes differ from the plan's hash. Then each
item goes through the write path that exists: create/update through push
(:func:`~sentinel_tui.ops.push.execute_push`: sign first, lock, version check, write,
read back, verify, roll back), re-sign through bulk re-signing, delete under push's
lock and version check with the pair put back on failure. It stops at the first failure
unless ``keep_going``; every audit line carries the plan's hash.
"""

from __future__ import annotations

import html
import json
import os
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from ..errors import SentinelError
from ..core.diff import decode_text, diff_texts, unified_text
from ..core.envelope import policy_hash
from ..core.paths import check_parameter_name, policy_path, policy_path_for_signature, signature_path, signature_root
from ..core.policy import check_policy
from ..core.status import Status
from ..core.tvm import TvmConfig
from ..fileio import read_policy_file
from .context import Ops

PLAN_FORMAT = "sentinel-tui-plan/1"
SUFFIXES = (".yaml", ".yml")
TESTS_SUFFIX = ".tests.yaml"  # ops.policytests.TESTS_SUFFIX: a policy's test cases, run before it is signed
MAX_POLICY_BYTES = 4096

CREATE, UPDATE, UNCHANGED, RESIGN, DELETE, NOT_MANAGED = (
    "create", "update", "unchanged", "re-sign", "delete", "not managed here")
#: the actions apply performs, in the order it performs them
APPLYING = (CREATE, UPDATE, RESIGN, DELETE)

# per-item outcomes of apply
APPLIED = "applied and verified"
ROLLED_BACK = "rolled back"
NOT_ROLLED_BACK = "FAILED, NOT rolled back"
NOTHING_WRITTEN = "failed, nothing written"
NOT_ATTEMPTED = "not attempted"
NO_CHANGE = "no change"


class PlanError(SentinelError):
    """The plan could not be made (exit 2). `problems` names each one (every invalid file)."""

    def __init__(self, what: str, fix: str = "", *, problems: Iterable[str] = (), kind: str = "plan"):
        super().__init__(what, fix, kind=kind)
        self.problems = list(problems)


class PlanRefused(SentinelError):
    """Apply refused before writing anything (exit 1)."""

    def __init__(self, what: str, fix: str = "", *, problems: Iterable[str] = (), kind: str = "refused"):
        super().__init__(what, fix, kind=kind)
        self.problems = list(problems)


# --------------------------------------------------------------------------------------
# what a change does: the seam for the access diff


@dataclass(frozen=True)
class Change:
    """What a change does. `kind` says how it was worked out: ``meaning`` (both sides
    normalised as the TVM reads them, diffed) until the exact access diff exists."""

    kind: str
    summary: str
    diff: str = ""


def _access_diff():
    """core.access.access_diff (the exact access diff of issue 14) when this build has it; else None."""
    try:
        from ..core.access import access_diff  # type: ignore[import-not-found]
    except ImportError:
        return None
    return access_diff


#: at most this many access changes are named in an item's one-line summary
SUMMARY_CHANGES = 3


def _access_change(access_diff, old: bytes | None, new: bytes | None) -> Change:
    from ..core.policy import parse_policy

    # The diff's witnesses depend on `now`; the plan's hash must not. The start of the UTC
    # year is as good a `now` as any within the year and the same for the PR and the merge.
    year = datetime(datetime.now(timezone.utc).year, 1, 1, tzinfo=timezone.utc)
    d = access_diff(parse_policy(old) if old is not None else None,
                    parse_policy(new) if new is not None else None, now=year)
    if not d.changes:
        summary = "identical: no request changes decision"
        if d.rule_changes:
            summary += f" ({len(d.rule_changes)} change(s) of deciding rule)"
    else:
        named = "; ".join(c.summary for c in d.changes[:SUMMARY_CHANGES])
        more = len(d.changes) - SUMMARY_CHANGES
        summary = (f"{len(d.changes)} access change{'s' if len(d.changes) != 1 else ''}: {named}"
                   + (f"; and {more} more" if more > 0 else ""))
    return Change("access", summary, "\n".join(d.lines()) + "\n")


def describe_change(old: bytes | None, new: bytes | None) -> Change:
    """What replacing `old` (None: absent) by `new` (None: deleted) does.

    THE SEAM: with ``core/access.py`` in the build (issue 14), the exact access diff
    (``access_diff(old_policy, new_policy)``: which requests change decision); otherwise,
    or if it fails on an input, the meaning diff of ``ops/diffs.py`` (both sides normalised
    as the TVM reads them). Plans record which one they carry (``change_kind``).
    """
    access = _access_diff()
    if access is not None:
        try:
            return _access_change(access, old, new)
        except Exception:  # a bug or an unparseable side there must not stop a plan
            pass
    from .diffs import compare_meaning

    if new is None:
        return Change("meaning", "removed: a TVM serving it denies every request (policy not found)")
    meaning = compare_meaning(old, new, "the stored policy", "the file")
    if meaning.error is not None:
        return Change("meaning", f"not comparable: {meaning.error}")
    rules = _rule_names(new)
    if old is None:
        text = unified_text(diff_texts("", meaning.new_text or ""), "(absent)", "new policy (normalised)")
        return Change("meaning", f"new policy: {len(rules)} rule{'s' if len(rules) != 1 else ''}"
                      + (f" ({', '.join(rules)})" if rules else ""), text)
    if meaning.same:
        return Change("meaning", "none: only the bytes change (a new signature is needed all the same)")
    diff = diff_texts(meaning.old_text or "", meaning.new_text or "")
    before = _rule_names(old)
    added = [r for r in rules if r not in before]
    removed = [r for r in before if r not in rules]
    parts = []
    if added:
        parts.append("rules added: " + ", ".join(added))
    if removed:
        parts.append("rules removed: " + ", ".join(removed))
    parts.append(f"+{diff.added} −{diff.removed} lines of meaning")
    return Change("meaning", "; ".join(parts),
                  unified_text(diff, "stored (normalised)", "file (normalised)"))


def _rule_names(data: bytes) -> list[str]:
    check = check_policy(data)
    if check.policy is None:
        return []
    return [r.name or "(unnamed)" for r in check.policy.rules]


# --------------------------------------------------------------------------------------
# the folder


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


# --------------------------------------------------------------------------------------
# the plan


@dataclass(frozen=True)
class PlanItem:
    name: str
    path: str
    action: str
    file: str | None = None  # relative to the folder
    file_sha256: str | None = None
    size: int | None = None
    stored_version: int | None = None
    stored_sha256: str | None = None
    signature_version: int | None = None
    status: str | None = None  # the stored pair's status today
    status_reason: str | None = None
    key_id: str | None = None  # the key apply signs with
    tvms: tuple[dict, ...] = ()  # {"name", "mode", "enforcing", "key"}
    diff: str = ""  # unified byte diff, stored -> file
    added: int = 0
    removed: int = 0
    change_kind: str = "meaning"
    change: str = ""
    change_diff: str = ""
    notes: tuple[str, ...] = ()
    tests_file: str | None = None  # NAME.tests.yaml beside the file (relative to the folder)
    tests_sha256: str | None = None
    tests: str | None = None  # what running them said, e.g. "5 tests, all pass"

    @property
    def applies(self) -> bool:
        return self.action in APPLYING

    @property
    def enforcing(self) -> bool:
        return any(t.get("enforcing") for t in self.tvms)

    def tvm_text(self) -> str:
        if not self.tvms:
            return "no TVM"
        return ", ".join(f"{t['name']} ({t['mode']})" for t in self.tvms)

    def as_json(self) -> dict:
        d = asdict(self)
        d["tvms"] = [dict(t) for t in self.tvms]
        d["notes"] = list(self.notes)
        return d

    @classmethod
    def from_json(cls, d: dict) -> "PlanItem":
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        known["tvms"] = tuple(dict(t) for t in known.get("tvms") or ())
        known["notes"] = tuple(known.get("notes") or ())
        return cls(**known)


@dataclass(frozen=True)
class Plan:
    content: dict
    sha256: str
    made: dict  # outside the hash: when, by whom, from which folder

    @property
    def items(self) -> list[PlanItem]:
        return [PlanItem.from_json(d) for d in self.content.get("items", [])]

    @property
    def account(self) -> str:
        return self.content.get("account", "")

    @property
    def region(self) -> str | None:
        return self.content.get("region")

    @property
    def root(self) -> str:
        return self.content.get("root", "")

    @property
    def folder(self) -> str:
        return self.made.get("folder", "")

    @property
    def changes(self) -> list[PlanItem]:
        return [i for i in self.items if i.applies]

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def counts(self) -> dict[str, int]:
        found = {a: 0 for a in (CREATE, UPDATE, RESIGN, DELETE, UNCHANGED, NOT_MANAGED)}
        for item in self.items:
            found[item.action] = found.get(item.action, 0) + 1
        return found

    def as_json(self) -> dict:
        return {"plan_sha256": self.sha256, "made": self.made, "content": self.content}

    def dumps(self) -> str:
        return json.dumps(self.as_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def canonical(content: dict) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_hash(content: dict) -> str:
    import hashlib

    return hashlib.sha256(canonical(content)).hexdigest()


def _tvm_info(tvms: Iterable[TvmConfig]) -> tuple[dict, ...]:
    return tuple({"name": t.source, "mode": t.describe_mode(), "enforcing": bool(t.verifies and t.enforcing),
                  "key": t.signing_key} for t in sorted(tvms, key=lambda t: t.source))


def make_plan(ops: Ops, folder: str | Path, *, prune: bool = False, resign_invalid: bool = False,
              now: datetime | None = None) -> Plan:
    """Everything apply would do with `folder`, computed against the stored versions now."""
    root = ops.settings.policy_root
    scan = scan_folder(folder, root)
    if scan.problems:
        n = len(scan.problems)
        raise PlanError(f"The plan could not be made: {n} problem{'s' if n != 1 else ''} in {folder}.",
                        "Fix every file named above (sentinel-tui policy validate FILE shows the details), "
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
        tvms = _tvm_info(serving)
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
                        tests_sha256=_file_hash(Path(folder) / scan.tests[name]))
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
                        "See each failure with its why-not: sentinel-tui policy test FILE; then fix the policy or "
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


def _file_hash(path: Path) -> str | None:
    try:
        return policy_hash(path.read_bytes())
    except OSError:
        return None


def _run_tests(base: Path, rel: str, tests_rel: str, data: bytes, serving: tuple[TvmConfig, ...],
               problems: list[str]) -> str | None:
    """NAME.tests.yaml run on the file's bytes, as push runs them before signing; a failure is a problem."""
    from .policytests import run_policy_tests_file

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
                        "Create the key (sentinel-tui keys setup), set default_key "
                        "(SENTINEL_TUI_DEFAULT_KEY), or fix the TVM's SENTINEL_POLICY_SIGNING_KEY.",
                        problems=problems, kind="no-key")
    return warnings


def load_plan(path: str | Path) -> Plan:
    """A plan file, refused (PlanRefused) when it is not one or its content does not match its hash."""
    p = Path(path)
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanRefused(f"{p}: no such plan file.", "Make one with sentinel-tui plan DIR -o PLAN.json.",
                          kind="not-found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise PlanRefused(f"{p} is not a plan file: {exc}.", "Make one with sentinel-tui plan DIR -o PLAN.json.",
                          kind="validation") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("content"), dict) \
            or raw["content"].get("format") != PLAN_FORMAT:
        raise PlanRefused(f"{p} is not a {PLAN_FORMAT} plan.", "Make one with sentinel-tui plan DIR -o PLAN.json.",
                          kind="validation")
    content = raw["content"]
    recorded = str(raw.get("plan_sha256") or "")
    actual = content_hash(content)
    if recorded != actual:
        raise PlanRefused(
            f"{p} was changed after it was made: its content hashes to {actual}, not the recorded {recorded or '-'}; "
            "nothing was written.",
            "Plans are not edited by hand: plan again, review the new plan, and apply that.", kind="tampered")
    try:
        items = [PlanItem.from_json(d) for d in content.get("items", [])]
    except (TypeError, AttributeError) as exc:
        raise PlanRefused(f"{p} has an item that cannot be read: {exc}.", "Plan again.", kind="validation") from None
    for item in items:
        if item.action not in APPLYING + (UNCHANGED, NOT_MANAGED):
            raise PlanRefused(f"{p}: unknown action {item.action!r} for {item.name}.", "Plan again.",
                              kind="validation")
    made = raw.get("made") if isinstance(raw.get("made"), dict) else {}
    return Plan(content=content, sha256=actual, made=made)


# --------------------------------------------------------------------------------------
# what a plan says, for a terminal and for a pull request


def plan_lines(plan: Plan, *, diffs: bool = True) -> list[str]:
    c = plan.counts()
    lines = [f"Plan for account {plan.account}, region {plan.region}, root {plan.root}"
             + (f" (folder {plan.folder})" if plan.folder else "")]
    items = plan.items
    width = max([len(i.name) for i in items] + [4])
    for item in items:
        extra = ""
        if item.action in (CREATE, UPDATE):
            extra = f"+{item.added} −{item.removed}, {item.size:,} bytes"
        elif item.action == DELETE:
            extra = f"version {item.stored_version}"
        elif item.status and item.status != "valid":
            extra = f"stored pair {item.status}"
        lines.append(f"  {item.action:16} {item.name:{width}}  {extra:24}  {item.tvm_text()}")
        if item.change and item.applies:
            lines.append(f"  {'':16} {'':{width}}  {item.change_kind}: {item.change}")
        if item.tests and item.applies:
            lines.append(f"  {'':16} {'':{width}}  tests ({item.tests_file}): {item.tests}")
        for note in item.notes:
            lines.append(f"  {'':16} {'':{width}}  note: {note}")
    if c[NOT_MANAGED]:
        lines.append(f"  ({c[NOT_MANAGED]} stored polic{'y has' if c[NOT_MANAGED] == 1 else 'ies have'} no file in "
                     "the folder: not managed here; --prune would delete them)")
    for ignored in plan.made.get("ignored", []):
        lines.append(f"  ignored: {ignored}")
    for warning in plan.made.get("warnings", []):
        lines.append(f"  warning: {warning}")
    if diffs:
        for item in plan.changes:
            if item.diff:
                lines.append("")
                lines.append(item.diff.rstrip("\n"))
    lines.append("")
    lines.append(f"Plan: {c[CREATE]} to create, {c[UPDATE]} to update, {c[RESIGN]} to re-sign, {c[DELETE]} to "
                 f"delete; {c[UNCHANGED]} unchanged, {c[NOT_MANAGED]} not managed here.")
    lines.append(f"Plan hash: {plan.sha256}")
    return lines


def _md_cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|").replace("\n", " ")


def _fence(text: str, lang: str = "diff") -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{text.rstrip(chr(10))}\n{ticks}"


def plan_markdown(plan: Plan) -> str:
    """A pull-request comment: a summary, a table, and each change's diffs collapsed."""
    from ..core.text import inert

    c = plan.counts()
    out = [f"### sentinel-tui plan for `{_md_cell(plan.root)}` (account {_md_cell(plan.account)}, "
           f"{_md_cell(str(plan.region))})", ""]
    if plan.has_changes:
        out.append(f"**{c[CREATE]} to create, {c[UPDATE]} to update, {c[RESIGN]} to re-sign, {c[DELETE]} to "
                   f"delete**; {c[UNCHANGED]} unchanged, {c[NOT_MANAGED]} not managed here.")
    else:
        out.append(f"**No changes.** {c[UNCHANGED]} unchanged, {c[NOT_MANAGED]} not managed here.")
    out += ["", "| policy | action | size | TVMs | what it changes | stored versions (policy/signature) |",
            "|---|---|---|---|---|---|"]
    unmanaged = [i for i in plan.items if i.action == NOT_MANAGED]
    for item in plan.items:
        if item.action == NOT_MANAGED:
            continue
        tvm = ", ".join(f"{t['name']} ({'**enforcing**' if t['enforcing'] else _md_cell(t['mode'])})"
                        for t in item.tvms) or "–"
        size = f"{item.size:,} / 4,096" if item.size is not None else "–"
        what = item.change if item.applies else (f"stored pair {item.status}" if item.status not in (None, "valid")
                                                  else "")
        notes = "; ".join(item.notes + ((f"tests: {item.tests}",) if item.tests else ()))
        out.append(f"| `{_md_cell(item.name)}` | {item.action} | {size} | {tvm} | {_md_cell(what)}"
                   f"{'<br>' + _md_cell(notes) if notes else ''} | "
                   f"{item.stored_version if item.stored_version is not None else '–'}/"
                   f"{item.signature_version if item.signature_version is not None else '–'} |")
    for item in plan.changes:
        out += ["", f"<details><summary><code>{_md_cell(item.name)}</code>: {item.action}"
                + (f" (+{item.added} −{item.removed})" if item.action in (CREATE, UPDATE) else "")
                + "</summary>", ""]
        if item.diff:
            out += ["Bytes (what the signature covers):", "", _fence(inert(item.diff)), ""]
        if item.change_diff:
            out += [f"{item.change_kind.capitalize()}:", "", _fence(inert(item.change_diff)), ""]
        out.append("</details>")
    if unmanaged:
        out += ["", f"<details><summary>{len(unmanaged)} stored polic{'y' if len(unmanaged) == 1 else 'ies'} with "
                "no file here: not managed here" + (" (--prune would delete them)" if not
                                                    plan.content.get("options", {}).get("prune") else "")
                + "</summary>", ""]
        for item in unmanaged:
            state = f" (stored pair {item.status})" if item.status not in (None, "valid") else ""
            out.append(f"- `{_md_cell(item.name)}`{_md_cell(state)}")
        out += ["", "</details>"]
    ignored = plan.made.get("ignored", [])
    if ignored:
        out += ["", "Ignored: " + ", ".join(f"`{_md_cell(i)}`" for i in ignored)]
    out += ["", f"Plan hash: `{plan.sha256}`", ""]
    return "\n".join(out)


# --------------------------------------------------------------------------------------
# apply


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
    from .push import LOCK_PREFIX

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
            from ..core.paths import policy_name

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
            now_tvms = [dict(t) for t in _tvm_info(t for t in tvms if t.policy_parameter == item.path)]
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
        now_hash = _file_hash(tests_now) if tests_now.is_file() and not tests_now.is_symlink() else None
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
    from .push import PushError, execute_push, plan_push

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
    from .bulk import OK, resign_one

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
    from .push import Lock, PushError, restore_one

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


def result_lines(result: ApplyResult) -> list[str]:
    lines = []
    for item in result.items:
        if item.state == NO_CHANGE:
            continue
        lines.append(f"  {item.state:24} {item.action:8} {item.name}" + (f": {item.detail}" if item.detail else ""))
        if item.ssm_state and item.state not in (APPLIED, NOT_ATTEMPTED):
            lines.append(f"  {'':24} SSM now holds: {item.ssm_state}")
        if item.fix and item.state not in (APPLIED, NOT_ATTEMPTED):
            lines.append(f"  {'':24} fix: {item.fix}")
    lines.append(result.summary() + f". Plan {result.plan_sha256}.")
    return lines
