"""The access diff: exact (every request that changes decision is in a reported change),
with witnesses that show their change, and silent where two policies mean the same."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentinel_tui.core.access import access_diff
from sentinel_tui.core.evaluate import DevicePosture, Request, evaluate
from sentinel_tui.core.policy import Condition, DeviceCondition, HourRange, Policy, Rule, TimeWindow, parse_policy

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)

# ---------------------------------------------------------------------------------------------
# a small vocabulary, so that random policies overlap and random requests hit their edges

USERS = ["alice", "bob", "carol"]
PROFILES = ["dev", "prod"]
MODES = ["server", "cli", "credential_process"]
ZONES = ["Europe/Berlin", "America/New_York", "", "UTC", "Not/AZone", "Australia/Sydney", "Australia/Lord_Howe",
         "Asia/Kathmandu"]
HOURS = ["00:00", "06:00", "08:30", "09:00", "17:00", "18:00", "22:00", "24:00", "08:90", "09:00:00"]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "Monday"]
EFFECTS = ["allow", "deny", "require_server", "require_server_session", "require_approval", ""]
VERSIONS = ["13", "14.2", "14.2-rc1", "v14"]
OS_TYPES = ["darwin", "linux", "Windows"]


def sub(values, max_size=2):
    return st.lists(st.sampled_from(values), max_size=max_size, unique=True).map(tuple)


windows = st.builds(
    TimeWindow,
    days=sub(DAYS, 3),
    hours=st.none() | st.builds(HourRange, start=st.sampled_from(HOURS), end=st.sampled_from(HOURS)),
    timezone=st.sampled_from(ZONES),
)
devices = st.builds(
    DeviceCondition,
    require_encryption=st.booleans(), require_mdm=st.booleans(), require_mdm_compliant=st.just(False),
    require_firewall=st.just(False), min_os_version=st.sampled_from([""] + VERSIONS),
    allowed_os_types=sub(OS_TYPES),
)
conditions = st.builds(
    Condition,
    users=sub(USERS), profiles=sub(PROFILES), mode=sub(MODES + ["bogus"]),
    time=st.none() | windows, device=st.none() | devices,
)
rules = st.builds(
    Rule,
    name=st.sampled_from(["r1", "r2", "r3", "r4"]), effect=st.sampled_from(EFFECTS), conditions=conditions,
    reason=st.sampled_from(["", "because"]), max_server_duration=st.sampled_from([0, 3600 * 10**9]),
    session_table=st.sampled_from(["", "sessions"]),
)
policies = st.builds(Policy, version=st.just("1"), rules=st.lists(rules, max_size=3).map(tuple))

_START = datetime(2025, 1, 1, tzinfo=timezone.utc)


@st.composite
def requests(draw):
    # near a boundary minute of the vocabulary, on a random day of the span, at a random offset
    day = draw(st.integers(0, 3 * 365 - 2))
    hour = draw(st.sampled_from(HOURS[:8]))
    h, m = int(hour[:2]) % 24, int(hour[3:5])
    jitter = draw(st.sampled_from([-61, -1, 0, 1, 59, 60, 120, 600]))
    offset = draw(st.sampled_from([0, 60, 120, -300, -240, 330, 600, 1439, -1439])
                  | st.integers(-1439, 1439))
    local = _START + timedelta(days=day, hours=h, minutes=m + jitter)
    when = (local - timedelta(minutes=offset)).astimezone(timezone(timedelta(minutes=offset)))
    device = draw(st.none() | st.builds(
        DevicePosture,
        disk_encrypted=st.sampled_from([None, True, False]), mdm_enrolled=st.sampled_from([None, True, False]),
        os_version=st.sampled_from(["", "12", "13", "13.9", "14.2", "14.10", "15", "v15"]),
        os_type=st.sampled_from(["", "darwin", "DARWIN", "linux", "windows", "plan9"]),
    ))
    return Request(
        user=draw(st.sampled_from(USERS + ["zed"])), profile=draw(st.sampled_from(PROFILES + ["staging"])),
        time=when, mode=draw(st.sampled_from(MODES + ["bogus", "weird"])),
        session_table=draw(st.sampled_from(["", "sessions", "other"])), device=device,
    )


def _assert_witnesses(diff, old, new):
    for change in diff.changes:
        a, b = evaluate(old, change.witness), evaluate(new, change.witness)
        assert a.access_key() == change.old.access_key() and b.access_key() == change.new.access_key()
        assert a.access_key() != b.access_key(), change.summary
        # the witness survives the batch format round trip
        again = Request.from_json(change.witness.to_json())
        assert evaluate(old, again) == a and evaluate(new, again) == b
    for change in diff.rule_changes:
        a, b = evaluate(old, change.witness), evaluate(new, change.witness)
        assert a.access_key() == b.access_key() and (a.rule, a.reason) != (b.rule, b.reason)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(old=policies, new=policies, reqs=st.lists(requests(), min_size=20, max_size=20))
def test_every_request_that_changes_decision_lies_in_a_reported_change(old, new, reqs):
    diff = access_diff(old, new, now=NOW)
    _assert_witnesses(diff, old, new)
    for r in reqs:
        a, b = evaluate(old, r), evaluate(new, r)
        found = diff.locate(r)
        if a.access_key() != b.access_key():
            assert found is not None and found in diff.changes, (r, a, b)
            assert (found.old.access_key(), found.new.access_key()) == (a.access_key(), b.access_key())
        elif (a.rule, a.reason) != (b.rule, b.reason):
            assert found is not None and found in diff.rule_changes, (r, a, b)
        else:
            assert found is None, (r, a, b, found)
    assert diff.identical == (not diff.changes)


@settings(max_examples=30, deadline=None)
@given(policy=policies)
def test_a_policy_against_itself_is_identical(policy):
    diff = access_diff(policy, policy, now=NOW)
    assert diff.identical and not diff.rule_changes


# ---------------------------------------------------------------------------------------------
# hand-written cases

BASE = """version: "1"
rules:
  - name: office
    effect: allow
    conditions:
      users: [alice, bob]
      profiles: [prod]
      mode: [cli, server]
      time:
        days: [monday, tuesday, wednesday, thursday, friday]
        hours: {start: "09:00", end: "18:00"}
        timezone: Europe/Berlin
  - name: ops
    effect: require_server
    max_server_duration: 1h
    conditions:
      users: [carol]
      profiles: [dev, prod]
  - name: block-staging
    effect: deny
    conditions:
      profiles: [staging]
"""

SAME = {
    "lists reordered": BASE.replace("[alice, bob]", "[bob, alice]").replace("[dev, prod]", "[prod, dev]")
    .replace("[cli, server]", "[server, cli]")
    .replace("[monday, tuesday, wednesday, thursday, friday]", "[friday, monday, wednesday, tuesday, thursday]"),
    "disjoint rules swapped": """version: "1"
rules:
  - name: ops
    effect: require_server
    max_server_duration: 1h
    conditions:
      users: [carol]
      profiles: [dev, prod]
  - name: office
    effect: allow
    conditions:
      users: [alice, bob]
      profiles: [prod]
      mode: [cli, server]
      time:
        days: [monday, tuesday, wednesday, thursday, friday]
        hours: {start: "09:00", end: "18:00"}
        timezone: Europe/Berlin
  - name: block-staging
    effect: deny
    conditions:
      profiles: [staging]
""",
    "comments and quoting": "# reviewed\n" + BASE.replace("name: office", "name: 'office'  # the office")
    .replace('"09:00"', "'09:00'").replace("effect: deny", 'effect: "deny"'),
    "a duplicate list entry": BASE.replace("[alice, bob]", "[alice, bob, alice]"),
    "an unreachable deny appended": BASE + """  - name: nothing-else
    effect: deny
""",
}


@pytest.mark.parametrize("case", sorted(SAME))
def test_policies_that_mean_the_same_are_identical(case):
    old, new = parse_policy(BASE.encode()), parse_policy(SAME[case].encode())
    diff = access_diff(old, new, now=NOW)
    assert diff.identical, [c.summary for c in diff.changes]
    if case != "an unreachable deny appended":
        assert not diff.rule_changes
    else:  # the default deny is now decided by a rule: said apart, not an access change
        assert diff.rule_changes and all(c.new.rule == "nothing-else" for c in diff.rule_changes)
    assert diff.to_json()["identical"] is True


def _diff(new_text: str):
    old, new = parse_policy(BASE.encode()), parse_policy(new_text.encode())
    diff = access_diff(old, new, now=NOW)
    _assert_witnesses(diff, old, new)
    return diff


def test_an_earlier_end_denies_the_last_hour_on_weekdays_in_the_rules_zone():
    diff = _diff(BASE.replace('end: "18:00"', 'end: "17:00"'))
    [change] = diff.changes
    assert change.summary == ("Mon–Fri 17:00–18:00 Europe/Berlin · users alice, bob · profile prod · "
                              "modes cli, server: allow → deny")
    assert change.witness.to_json()["time"].startswith("2026-12-07T17:00:00+01:00")


def test_a_zone_change_is_an_hour_shift_that_moves_with_dst():
    diff = _diff(BASE.replace("Europe/Berlin", "Europe/London"))
    assert {(c.old.effect, c.new.effect) for c in diff.changes} == {("allow", "deny"), ("deny", "allow")}
    text = " ".join(c.summary for c in diff.changes)
    # each change is told in the zone of the rule that decides it
    assert "Mon–Fri 09:00–10:00 Europe/Berlin" in text and "Mon–Fri 17:00–18:00 Europe/London" in text


def test_a_bad_zone_name_falls_back_to_the_requests_offset():
    diff = _diff(BASE.replace("Europe/Berlin", "Europe/Berln"))
    assert not diff.identical
    assert any("offset" in c.summary for c in diff.changes)
    offsets = {c.witness.time.utcoffset() for c in diff.changes}
    assert offsets  # each witness carries the offset that shows the change


def test_require_server_and_its_duration_are_part_of_the_decision():
    diff = _diff(BASE.replace("max_server_duration: 1h", "max_server_duration: 2h"))
    # Go copies the rule's duration into the deny of require_server too: both modes change
    assert len(diff.changes) == 2
    for change in diff.changes:
        assert "user carol · profiles prod, dev" in change.summary
        assert "max 1h0m0s" in change.summary and "max 2h0m0s" in change.summary
    diff = _diff(BASE.replace("effect: require_server", "effect: allow"))
    [change] = diff.changes
    assert change.witness.mode != "server" and change.old.requires_server_mode and change.new.effect == "allow"


def test_a_device_condition_names_the_postures_it_shuts_out():
    diff = _diff(BASE.replace("      users: [carol]\n", "      users: [carol]\n      device:\n"
                              "        require_encryption: true\n        min_os_version: \"14.2\"\n"))
    assert diff.changes
    for c in diff.changes:
        assert c.witness.user == "carol"
        assert c.witness.device is None or c.witness.device.disk_encrypted is not True or \
            c.witness.device.os_version in ("14.1", "")
    assert any("no device posture" in c.summary for c in diff.changes)


def test_a_renamed_rule_is_a_rule_change_not_an_access_change():
    diff = _diff(BASE.replace("name: ops", "name: operators"))
    assert diff.identical and diff.rule_changes
    assert "rule 'ops'" in diff.rule_changes[0].summary and "rule 'operators'" in diff.rule_changes[0].summary


def test_no_policy_denies_everything():
    new = parse_policy(BASE.encode())
    diff = access_diff(None, new, now=NOW)
    assert {c.new.effect for c in diff.changes} <= {"allow", "deny"}
    assert any(c.new.effect == "allow" for c in diff.changes)
    assert access_diff(None, None, now=NOW).identical


def test_dst_weeks_between_zones_are_found():
    # Berlin and New York change offset on different Sundays: 09:00 New York is 15:00 Berlin most
    # of the year and 14:00 Berlin for a few weeks; the diff must report both.
    ny = """version: "1"
rules:
  - name: a
    effect: allow
    conditions:
      users: [alice]
      time:
        hours: {start: "09:00", end: "10:00"}
        timezone: %s
"""
    diff = access_diff(parse_policy((ny % "America/New_York").encode()),
                       parse_policy((ny % "Europe/Berlin").encode()), now=NOW)
    ny_tz_witness_hours = set()
    for c in diff.changes:
        ny_tz_witness_hours.add(c.witness.time.astimezone(timezone.utc).hour)
    probe = Request(user="alice", profile="x", time=datetime(2026, 3, 10, 13, 30, tzinfo=timezone.utc))
    # 2026-03-10: New York is already on EDT (UTC-4), Berlin still on CET: 09:30 NY = 13:30 UTC
    found = diff.locate(probe)
    assert found is not None and found.old.effect == "allow" and found.new.effect == "deny"


def _rules(*specs: tuple[str, TimeWindow]) -> Policy:
    return Policy(version="1", rules=tuple(Rule(name=f"r{i}", effect=effect, conditions=Condition(time=w))
                                           for i, (effect, w) in enumerate(specs)))


def test_a_change_that_exists_only_in_the_weeks_between_two_zones_dst_changes():
    # 09:00 New York is 15:00 Berlin, except in the weeks when only one of them has changed
    # offset (March, late October): then it is 14:00 Berlin, and only then do both windows hold.
    ny = TimeWindow(hours=HourRange("09:00", "10:00"), timezone="America/New_York")
    berlin = TimeWindow(hours=HourRange("14:00", "15:00"), timezone="Europe/Berlin")
    old = _rules(("deny", ny), ("allow", berlin))
    new = _rules(("allow", berlin))
    diff = access_diff(old, new, now=NOW)
    assert [(c.old.effect, c.new.effect) for c in diff.changes] == [("deny", "allow")]
    [change] = diff.changes
    when = change.witness.time.astimezone(timezone.utc)
    assert when.month in (3, 10, 11), when
    assert "around offset changes" in change.summary or "only" in change.summary


def test_the_requests_own_offset_reaches_a_day_either_side():
    # Sunday 00:00-01:00 UTC is Monday on a request clock at +23:00 or more, and only there
    utc_sunday = TimeWindow(days=("sunday",), hours=HourRange("00:00", "01:00"), timezone="UTC")
    monday_on_the_request_clock = TimeWindow(days=("monday",))
    old = _rules(("deny", utc_sunday), ("allow", monday_on_the_request_clock))
    new = _rules(("allow", monday_on_the_request_clock))
    diff = access_diff(old, new, now=NOW)
    [change] = diff.changes
    assert change.witness.time.utcoffset() >= timedelta(hours=23)


def test_pairs_no_offset_can_reach_are_not_reported():
    # a Friday in UTC is never a Monday on any request clock (offsets stay within ±23:59)
    old = _rules(("deny", TimeWindow(days=("friday",), timezone="UTC")), ("allow", TimeWindow(days=("monday",))))
    new = _rules(("allow", TimeWindow(days=("monday",))))
    assert access_diff(old, new, now=NOW).identical
