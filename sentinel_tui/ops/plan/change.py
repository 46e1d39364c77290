"""What a change does, in one line and a diff: the seam where the access diff plugs in.

:func:`describe_change` gives the exact access diff (``core/access.py``: which requests
change decision) and falls back to the meaning diff of ``ops/diffs.py`` (both sides
normalised as the TVM reads them) when it is missing or fails on an input.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from ...core.diff import diff_texts, unified_text
from ...core.policy import check_policy

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
        from ...core.access import access_diff  # type: ignore[import-not-found]
    except ImportError:
        return None
    return access_diff


#: at most this many access changes are named in an item's one-line summary
SUMMARY_CHANGES = 3


def _access_change(access_diff, old: bytes | None, new: bytes | None) -> Change:
    from ...core.policy import parse_policy

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
    from ..diffs import compare_meaning

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
