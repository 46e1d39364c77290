"""Lints: upstream's ``LintPolicy`` (three codes) and ours.

Ours: unknown keys with a "did you mean", unknown modes, device blocks Go would
call invalid, size. Go runs its lints only on a valid policy; so does
``check_policy``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import difflib
import functools

from .model import (
    Finding, LINT_ALLOW_BEFORE_DENY, LINT_INVALID_DEVICE, LINT_OVERLAPPING_TIME_WINDOWS, LINT_TIMEZONE_PATH,
    LINT_TOO_LARGE, LINT_UNKNOWN_KEY, LINT_UNKNOWN_MODE, LINT_UNREACHABLE_RULE, MAX_POLICY_BYTES, Policy,
    Rule, TimeWindow, VALID_MODES, _Fatal,
)
from .nodes import _ALIAS, _BINARY, _MAP, _Node, _SCALAR, _SEQ
from .decode import _GoType, _T_POLICY, _T_RULE, _binary, _is_merge
from .validate import timezone_by_accident

if TYPE_CHECKING:  # a type only: load imports this module
    from .load import _Loaded


# ---------------------------------------------------------------------------
# Lint


def _overlap(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if not a or not b:
        return True
    return any(x == y for x in a for y in b)


def _time_restricts_more(earlier: TimeWindow | None, later: TimeWindow | None) -> bool:
    if earlier is None:
        return False
    return later is None


def _rule_shadows(earlier: Rule, later: Rule) -> bool:
    e, l_ = earlier.conditions, later.conditions
    if not e.users and l_.users:
        if (not e.profiles or _overlap(e.profiles, l_.profiles)) and not _time_restricts_more(e.time, l_.time):
            return True
    if not e.profiles and l_.profiles:
        if (not e.users or _overlap(e.users, l_.users)) and not _time_restricts_more(e.time, l_.time):
            return True
    if not e.users and not e.profiles:
        if not _time_restricts_more(e.time, l_.time):
            return True
    return False


def _windows_overlap(a: TimeWindow, b: TimeWindow) -> bool:
    if not _overlap(a.days, b.days):
        return False
    if a.hours is not None and b.hours is not None:
        a_start, a_end = _go_minutes(a.hours.start), _go_minutes(a.hours.end)
        b_start, b_end = _go_minutes(b.hours.start), _go_minutes(b.hours.end)
        return max(a_start, b_start) < min(a_end, b_end)
    return True


def _go_minutes(text: str) -> int:
    # parseTimeToMinutes on Go's bytes (garbage in, garbage out, like Go)
    b = text.encode("utf-8", "surrogateescape")
    if len(b) != 5:
        return 0
    return ((b[0] - 48) * 10 + (b[1] - 48)) * 60 + (b[3] - 48) * 10 + (b[4] - 48)


def _upstream_lints(policy: Policy) -> list[Finding]:
    """Go's LintPolicy, same order and messages; line = the rule Go names first."""
    found: list[Finding] = []
    rules = policy.rules
    for i, rule in enumerate(rules):
        if rule.effect != "allow":
            continue
        for later in rules[i + 1 :]:
            if later.effect == "deny" and _overlap(rule.conditions.profiles, later.conditions.profiles):
                found.append(
                    Finding(
                        rule.line or None,
                        f"allow rule '{rule.name}' at index {i} precedes deny rule '{later.name}' for same profiles",
                        LINT_ALLOW_BEFORE_DENY,
                    )
                )
                break
    for i, rule in enumerate(rules):
        for j in range(i):
            earlier = rules[j]
            if earlier.effect != rule.effect:
                continue
            if _rule_shadows(earlier, rule):
                found.append(
                    Finding(
                        rule.line or None,
                        f"rule '{rule.name}' at index {i} is unreachable (shadowed by rule '{earlier.name}' at index {j})",
                        LINT_UNREACHABLE_RULE,
                    )
                )
                break
    for i, rule in enumerate(rules):
        if rule.conditions.time is None:
            continue
        for later in rules[i + 1 :]:
            if later.conditions.time is None or rule.effect == later.effect:
                continue
            if not _overlap(rule.conditions.profiles, later.conditions.profiles):
                continue
            if _windows_overlap(rule.conditions.time, later.conditions.time):
                found.append(
                    Finding(
                        rule.line or None,
                        f"rules '{rule.name}' and '{later.name}' have overlapping time windows with different effects",
                        LINT_OVERLAPPING_TIME_WINDOWS,
                    )
                )
    return found


def _struct_of(t: _GoType) -> _GoType | None:
    while t.kind == "ptr" and t.elem is not None:
        t = t.elem
    if t.kind == "struct":
        return t
    if t.kind == "slice" and t.elem is not None and t.elem.kind == "struct":
        return t.elem
    return None


@functools.lru_cache(maxsize=32)
def _descendant_paths(t: _GoType, prefix: str = "") -> dict[str, str]:
    paths: dict[str, str] = {}
    for key, (_attr, ftype) in t.fields.items():
        sub = _struct_of(ftype)
        if sub is not None and sub is not _T_RULE:
            for child, path in _descendant_paths(sub, f"{prefix}{key}.").items():
                paths.setdefault(child, path)
            for child in sub.fields:
                paths.setdefault(child, f"{prefix}{key}.{child}")
    return paths


def _normal_key(key: str) -> str:
    return key.strip().lower().replace("-", "_").replace(" ", "_")


def _suggest(key: str, t: _GoType) -> str | None:
    fields = list(t.fields)
    norm = _normal_key(key)
    for name in fields:
        if _normal_key(name) == norm:
            return name
    close = difflib.get_close_matches(norm, fields, n=1, cutoff=0.75)
    if close:
        return close[0]
    nested = _descendant_paths(t)
    if norm in nested:
        return nested[norm]
    close = difflib.get_close_matches(norm, list(nested), n=1, cutoff=0.8)
    if close:
        return nested[close[0]]
    return None


def _key_text(key: _Node) -> tuple[str, int] | None:
    line = key.line
    while key.kind == _ALIAS and key.alias is not None:
        key = key.alias
    if key.kind != _SCALAR:
        return None
    if key.tag == _BINARY:
        try:
            return _binary(key.value), line
        except _Fatal:
            return None
    return key.value, line


def _unknown_keys(root: _Node | None) -> list[Finding]:
    found: dict[tuple[int, str], Finding] = {}
    seen: set[tuple[int, int]] = set()

    def walk(node: _Node, t: _GoType, depth: int) -> None:
        while node.kind == _ALIAS and node.alias is not None:
            node = node.alias
        if node.kind != _MAP or (id(node), id(t)) in seen or depth > 64:
            return
        seen.add((id(node), id(t)))
        content = node.content
        for i in range(0, len(content) - 1, 2):
            key, value = content[i], content[i + 1]
            if _is_merge(key):
                merges = [value]
                target = value.alias if value.kind == _ALIAS and value.alias is not None else value
                if target.kind == _SEQ:
                    merges = list(target.content)
                for m in merges:
                    walk(m, t, depth + 1)
                continue
            text = _key_text(key)
            if text is None:
                continue
            name, line = text
            spec = t.fields.get(name)
            if spec is None:
                suggestion = _suggest(name, t)
                message = f"unknown key '{name}' is ignored by Sentinel"
                if suggestion is not None:
                    message += f" (did you mean '{suggestion}'?)"
                found.setdefault((line, name), Finding(line, message, LINT_UNKNOWN_KEY))
                continue
            sub = _struct_of(spec[1])
            if sub is None:
                continue
            if spec[1].kind == "slice":
                target = value
                while target.kind == _ALIAS and target.alias is not None:
                    target = target.alias
                if target.kind == _SEQ:
                    for item in target.content:
                        walk(item, sub, depth + 1)
            else:
                walk(value, sub, depth + 1)

    if root is not None:
        walk(root, _T_POLICY, 0)
    return sorted(found.values(), key=lambda f: (f.line or 0, f.message))


def _extra_lints(policy: Policy) -> list[Finding]:
    found: list[Finding] = []
    for rule in policy.rules:
        cond = rule.conditions
        for k, mode in enumerate(cond.mode):
            if mode not in VALID_MODES:
                found.append(
                    Finding(
                        cond.line_of(f"mode[{k}]") or None,
                        f"rule '{rule.name}' has unknown mode '{mode}': it never matches "
                        f"(modes are {', '.join(VALID_MODES)})",
                        LINT_UNKNOWN_MODE,
                    )
                )
        window = cond.time
        if window is not None and timezone_by_accident(window.timezone):
            canonical = "/".join(p for p in window.timezone.split("/") if p not in ("", "."))
            found.append(
                Finding(
                    window.line_of("timezone") or None,
                    f"rule '{rule.name}': timezone '{window.timezone}' resolves only because Go opens it "
                    f"as a file path on the TVM's host; write '{canonical}'",
                    LINT_TIMEZONE_PATH,
                )
            )
        if cond.device is not None:
            problem = cond.device.problem()
            if problem is not None:
                found.append(Finding(cond.device.line or None, f"rule '{rule.name}': {problem}", LINT_INVALID_DEVICE))
    return found


def _size_lint(raw: bytes) -> list[Finding]:
    if len(raw) > MAX_POLICY_BYTES:
        return [
            Finding(
                None,
                f"policy is {len(raw)} bytes: KMS signs at most {MAX_POLICY_BYTES} bytes and a "
                f"Standard-tier SSM parameter holds at most {MAX_POLICY_BYTES} characters",
                LINT_TOO_LARGE,
            )
        ]
    return []


def _side_lints(raw: bytes, loaded: _Loaded, policy: Policy | None) -> list[Finding]:
    extra = _unknown_keys(loaded.root)
    if policy is not None:
        extra += _extra_lints(policy)
    extra.sort(key=lambda f: (f.line or 0))
    return extra + _size_lint(raw)
