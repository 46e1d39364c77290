"""The policy table's columns: what each shows a row by, and how it sorts; with several contexts,
Context and Account too. `find_column` reads a column's name as `:sort` and the help write it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from ...core.status import Verdict
from ...ops.fleet import FleetEntry
from ..format import STATUS_ORDER

__all__ = ["Column", "COLUMNS", "COLUMN_KEYS", "fleet_columns", "find_column"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_VERDICT_ORDER = {Verdict.ISSUES: 0, Verdict.UNVERIFIED: 1, Verdict.UNKNOWN: 2, Verdict.DENIES: 3}


def _key_id(entry: FleetEntry) -> str:
    a = entry.assessment
    return a.envelope.key_id if a and a.envelope else ""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    sort_key: Callable[[FleetEntry], object]
    words: str  # what :sort and the help call it


COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", lambda e: e.name.lower(), "name"),
    Column("status", "Status",
           lambda e: STATUS_ORDER.get(e.status, 99) if e.status else (98 if e.pending else 100), "status"),
    Column("tvm", "TVM verdict",
           lambda e: (_VERDICT_ORDER.get(e.assessment.tvm.kind, 9), e.assessment.tvm.text) if e.assessment
           else (10, ""), "verdict"),
    Column("version", "Ver", lambda e: e.policy.version if e.policy else -1, "version"),
    Column("modified", "Changed",
           lambda e: e.policy.last_modified if e.policy and e.policy.last_modified else _EPOCH, "modified"),
    Column("size", "Size", lambda e: e.assessment.size if e.assessment and e.assessment.size is not None else -1,
           "size"),
    Column("local", "Local", lambda e: str(e.local) if e.local else "~", "local"),
    Column("key", "Signer key", _key_id, "key"),
    Column("signed_at", "Signed at",
           lambda e: (e.assessment.envelope.signed_at or _EPOCH) if e.assessment and e.assessment.envelope
           else _EPOCH, "signed_at"),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)


def fleet_columns(accounts: dict[str, str | None]) -> tuple[Column, ...]:
    """The columns with several contexts: Context beside the name (it tells the rows of the same
    policy apart), Account after the verdict (Status and the verdict stay on an 80-column screen)."""
    order = {name: index for index, name in enumerate(accounts)}
    context = Column("context", "Context", lambda e: (order.get(e.context or "", 99), e.context or ""), "context")
    account = Column("account", "Account", lambda e: accounts.get(e.context or "") or "", "account")
    by_key = {c.key: c for c in COLUMNS}
    return (by_key["name"], context, by_key["status"], by_key["tvm"], account,
            *(c for c in COLUMNS if c.key not in ("name", "status", "tvm")))


def find_column(word: str, columns: tuple[Column, ...] = COLUMNS) -> Column | None:
    word = word.strip().lower().replace("-", "_")
    for column in columns:
        if word in (column.key, column.words, column.label.lower().replace(" ", "_")):
            return column
    for column in columns:
        if column.key.startswith(word) or column.words.startswith(word):
            return column
    return None
