"""The plan and its file: actions, outcomes, the items, the hash, reading a plan file back.

A plan file is JSON: ``content`` (account, region, root, options, items) and
``plan_sha256``, the SHA-256 of ``content`` in canonical form (sorted keys, no spaces,
UTF-8); ``made`` (when, by whom, which folder, what was ignored) sits outside the hash.
:func:`load_plan` refuses a file whose content does not match its hash.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

from ...core.envelope import policy_hash
from ...core.tvm import TvmConfig
from ...errors import SentinelError
from .. import remedies

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


def tvm_info(tvms: Iterable[TvmConfig]) -> tuple[dict, ...]:
    return tuple({"name": t.source, "mode": t.describe_mode(), "enforcing": bool(t.verifies and t.enforcing),
                  "key": t.signing_key} for t in sorted(tvms, key=lambda t: t.source))


def file_hash(path: Path) -> str | None:
    try:
        return policy_hash(path.read_bytes())
    except OSError:
        return None


def load_plan(path: str | Path) -> Plan:
    """A plan file, refused (PlanRefused) when it is not one or its content does not match its hash."""
    p = Path(path)
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanRefused(f"{p}: no such plan file.", f"Make one with {remedies.plan()}.",
                          kind="not-found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise PlanRefused(f"{p} is not a plan file: {exc}.", f"Make one with {remedies.plan()}.",
                          kind="validation") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("content"), dict) \
            or raw["content"].get("format") != PLAN_FORMAT:
        raise PlanRefused(f"{p} is not a {PLAN_FORMAT} plan.", f"Make one with {remedies.plan()}.",
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
