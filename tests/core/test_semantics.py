"""Semantic lints: each finding is about what the evaluator decides, and can be trusted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sentinel_tui.core.policy import parse_policy
from sentinel_tui.core.semantics import format_finding, semantic_lints
from sentinel_tui.core.tvm import TvmConfig

PARITY = Path(__file__).resolve().parents[1] / "data" / "parity" / "eval"


def lints(text: str, tvm=None):
    data = text.encode()
    return semantic_lints(parse_policy(data), data, tvm=tvm)


def codes(text: str, tvm=None) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for f in lints(text, tvm):
        out.setdefault(f.code, []).append(f.rule_index)
    return out


def rules(*bodies: str) -> str:
    out = 'version: "1"\nrules:\n'
    for i, body in enumerate(bodies):
        out += f"  - name: r{i}\n" + "".join(f"    {line}\n" for line in body.strip().splitlines())
    return out


def test_a_rule_covered_by_an_earlier_broader_rule_never_decides():
    text = rules("effect: allow\nconditions: {profiles: [prod]}",
                 "effect: deny\nconditions: {profiles: [prod], users: [alice]}",
                 "effect: deny\nconditions: {users: [alice]}")
    found = lints(text)
    never = [f for f in found if f.code == "never-decides"]
    assert [f.rule_index for f in never] == [1]
    assert "rule 'r1' never decides: every request it matches is decided earlier by 'r0'" in never[0].message


def test_coverage_is_exact_over_the_minutes_of_the_day():
    covered = rules('effect: allow\nconditions: {profiles: [p], time: {hours: {start: "00:00", end: "12:00"}}}',
                    'effect: allow\nconditions: {profiles: [p], time: {hours: {start: "12:00", end: "24:00"}}}',
                    "effect: deny\nconditions: {profiles: [p]}")
    assert codes(covered).get("never-decides") == [2]
    # 23:59 is not covered by 12:00-23:59 ([start, end)): the last rule decides that minute
    gap = covered.replace('end: "24:00"', 'end: "23:59"')
    assert "never-decides" not in codes(gap)


def test_coverage_follows_each_rules_zone_through_dst():
    base = ('effect: allow\nconditions: {profiles: [p], time: {hours: {start: "09:00", end: "17:00"}, '
            'timezone: Europe/Berlin}}')
    # 08:00-16:00 UTC: in summer Berlin's 09-17 is 07-15 UTC, so 15:00-16:00 UTC is the later rule's
    assert "never-decides" not in codes(rules(base, 'effect: deny\nconditions: {profiles: [p], time: {hours: '
                                                   '{start: "08:00", end: "16:00"}}}'))
    # 08:00-15:00 UTC is inside Berlin's 09-17 all year
    assert codes(rules(base, 'effect: deny\nconditions: {profiles: [p], time: {hours: '
                             '{start: "08:00", end: "15:00"}}}')).get("never-decides") == [1]


def test_coverage_tells_device_postures_apart():
    broad = "effect: allow\nconditions: {profiles: [p], device: {require_encryption: true}}"
    narrow = "effect: deny\nconditions: {profiles: [p], device: {require_encryption: true, allowed_os_types: [darwin]}}"
    assert codes(rules(broad, narrow)).get("never-decides") == [1]
    assert "never-decides" not in codes(rules(narrow, broad))
    versions = ('effect: allow\nconditions: {profiles: [p], device: {min_os_version: "14"}}',
                'effect: deny\nconditions: {profiles: [p], device: {min_os_version: "14.2-rc1"}}')
    assert codes(rules(*versions)).get("never-decides") == [1]
    assert "never-decides" not in codes(rules(*reversed(versions)))


def test_hours_and_days_that_never_match_and_zones_the_tvm_ignores():
    text = rules('effect: deny\nconditions: {profiles: [p], time: {hours: {start: "22:00", end: "06:00"}}}',
                 'effect: deny\nconditions: {profiles: [p], time: {hours: {start: "09:00", end: "09:00"}}}',
                 'effect: allow\nconditions: {profiles: [p], time: {hours: {start: "08:90", end: "09:00:00"}}}',
                 'effect: allow\nconditions: {profiles: [p], time: {days: [Monday]}}',
                 'effect: allow\nconditions: {profiles: [p], time: {timezone: Europe/Berln}}',
                 'effect: allow\nconditions: {profiles: [q], time: {timezone: Europe//Berlin}}')
    found = lints(text)
    by = {(f.code, f.rule_index) for f in found}
    assert ("hours-never-match", 0) in by and ("hours-never-match", 1) in by
    assert any(f.code == "hours-misread" and "'08:90' as minute 570 of the day (09:30)" in f.message for f in found)
    assert any(f.code == "hours-misread" and "'09:00:00' as 00:00" in f.message for f in found)
    assert ("days-never-match", 3) in by
    assert ("zone-ignored", 4) in by
    assert ("zone-ignored", 5) not in by  # Go loads it by path
    crossing = next(f for f in found if f.rule_index == 0 and f.code == "hours-never-match")
    assert "22:00\u201324:00 and 00:00\u201306:00" in crossing.message


def test_effects_a_lambda_tvm_does_not_enforce():
    text = rules("effect: require_approval\nconditions: {profiles: [a]}",
                 "effect: require_server_session\nconditions: {profiles: [b]}\nsession_table: t",
                 'effect: ""\nconditions: {profiles: [c]}',
                 "effect: allow\nconditions: {profiles: [d], device: {require_mdm: true}}")
    assert codes(text)["not-enforced"] == [0, 1, 2]
    tvm = TvmConfig(source="tvm-prod", policy_parameter="/x", signing_key="k", enforce_raw=None)
    found = {(f.code, f.rule_index): f for f in lints(text, tvm)}
    assert "every request it matches is refused" in found[("always-refused", 1)].message
    assert "TVM tvm-prod has no MDM" in found[("no-posture", 3)].message
    with_table = TvmConfig(source="t", policy_parameter="/x", signing_key="k", enforce_raw=None,
                           session_table="sessions", mdm_provider="jamf")
    found = {(f.code, f.rule_index) for f in lints(text, with_table)}
    assert ("not-enforced", 1) in found and ("no-posture", 3) not in found


def test_null_entries_widen_a_rule_to_everyone():
    text = rules("effect: allow\nconditions: {profiles: [prod], users: [~]}",
                 "effect: allow\nconditions: {profiles: [dev], users: [~, bob]}",
                 "effect: allow\nconditions: {profiles: [x], users: []}")
    found = [f for f in lints(text) if f.code == "null-widens"]
    assert [f.rule_index for f in found] == [0, 1, 2]
    assert "users: [~] decodes to an empty list, which matches every user" in found[0].message
    assert found[0].line == 5


def test_findings_never_look_like_go_lint_lines():
    for f in lints(rules("effect: require_approval\nconditions: {profiles: [a], users: [~]}")):
        line = format_finding(f, "p.yaml")
        assert line.startswith("semantic: p.yaml:") and not line.startswith("lint:")


@pytest.mark.parametrize("name", sorted(p.stem for p in (PARITY / "policies").glob("*.yaml")))
def test_rules_said_to_never_decide_never_decide_in_upstreams_decisions(name):
    """Cross-check with Go: no recorded decision (UTC, in the reference year) comes from such a rule."""
    data = (PARITY / "policies" / f"{name}.yaml").read_bytes()
    flagged = {f.rule_index for f in semantic_lints(parse_policy(data), data)
               if f.code in ("never-decides", "never-matches", "hours-never-match")
               or (f.code == "days-never-match" and "never matches" in f.message)}
    requests = [json.loads(x) for x in (PARITY / "requests" / f"{name}.jsonl").read_text().splitlines()]
    expected = [json.loads(x) for x in (PARITY / "expected" / f"{name}.jsonl").read_text().splitlines()]
    for req, exp in zip(requests, expected):
        t = req.get("time", "")
        if "input_error" in exp or not t.startswith("2026-") or not t.endswith("Z"):
            continue
        assert exp["rule_index"] not in flagged, (name, req, exp)
