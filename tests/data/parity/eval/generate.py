"""Make the evaluator's parity corpus, and record upstream's decisions for it.

    python tests/data/parity/eval/generate.py            # policies/*.yaml + requests/*.jsonl
    python tests/data/parity/eval/generate.py --record ORACLE
                                                         # + expected/*.jsonl from ORACLE

ORACLE is a program that reads a policy with upstream's unchanged ``policy``
package and answers ``ORACLE eval POLICYFILE < requests.jsonl`` with one JSON
decision per line (``policy.ParsePolicy`` + ``policy.Evaluate``; the request time
read with ``time.Parse(time.RFC3339Nano, ...)``, the posture with
``encoding/json`` into ``device.DevicePosture``). No such program is part of
this repository; the recorded answers are (``expected/``), and
``tests/core/test_evaluate_parity.py`` checks ``policy eval`` against them.

The corpus is deterministic (seeded): hand-written corner cases (section 5.1 of
the format notes and more), then random policies built from the same parts.
Requests are made per policy from the values it mentions (plus others), the
boundary minutes of each of its windows in its zone (DST days included), odd
offsets, nanoseconds and device postures.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
sys.path.insert(0, str(ROOT))

from sentinel_tui.core.evaluate import hour_minutes, load_location  # noqa: E402
from sentinel_tui.core.policy import PolicyError, parse_policy  # noqa: E402

# ---------------------------------------------------------------------------
# Policies: hand-written corner cases

HAND: dict[str, str] = {}


def policy(name: str, text: str) -> None:
    assert name not in HAND, name
    HAND[name] = text.lstrip("\n")


policy("first-match", """
version: "1"
rules:
  - name: deny-contractors-prod
    effect: deny
    conditions:
      profiles: [prod]
      users: [carol, dave]
    reason: contractors never get prod
  - name: allow-prod
    effect: allow
    conditions:
      profiles: [prod, "*"]
      users: [alice, bob, carol]
    max_server_duration: 1h
    reason: on-call
  - name: wildcard-literal
    effect: allow
    conditions:
      users: ["*"]
  - name: dev-anyone
    effect: allow
    conditions:
      profiles: [dev, Dev, "dev "]
""")

policy("null-users", """
version: "1"
rules:
  - name: tilde-users
    effect: allow
    conditions:
      profiles: [prod]
      users: [~]
    reason: "users: [~] is everyone"
  - name: tilde-and-bob
    effect: deny
    conditions:
      profiles: [dev]
      users: [~, bob]
  - name: typo-key
    effect: allow
    conditions:
      profiles: [staging]
      user: [alice]
""")

policy("empty-conditions", """
version: "1"
rules:
  - name: no-conditions
    effect: require_approval
    conditions: {}
  - name: never-reached
    effect: allow
    conditions:
      profiles: [prod]
""")

policy("absent-conditions", """
version: "1"
rules:
  - name: bare
    effect: allow
""")

policy("no-rules", """
version: "1"
rules: []
""")

policy("validate-fails", """
version: "2"
rules:
  - effect: allow
    conditions:
      mode: [server]
  - name: days-bad
    effect: allow
    conditions:
      time:
        days: [Monday, mon, monday]
""")

policy("midnight-and-equal", """
version: "1"
rules:
  - name: night-crossing
    effect: deny
    conditions:
      profiles: [prod]
      time:
        hours: {start: "22:00", end: "06:00"}
  - name: start-equals-end
    effect: deny
    conditions:
      profiles: [prod]
      time:
        hours: {start: "09:00", end: "09:00"}
  - name: all-day-2359
    effect: allow
    conditions:
      profiles: [prod]
      users: [alice]
      time:
        hours: {start: "00:00", end: "23:59"}
  - name: all-day-2400
    effect: allow
    conditions:
      profiles: [prod]
      time:
        hours: {start: "00:00", end: "24:00"}
    max_server_duration: 30m
""")

HOUR_ODDITIES = [
    ("24:00", "24:00"), ("08:90", "10:00"), ("09:00:00", "17:00"), ("9:5", "17:00"), ("+09:00", "17:00"),
    ("-1:00", "01:00"), (" 9:00", "17:00"), ("09:00 ", "17:00"), ("", "17:00"), ("abc", "10:00"),
    ("99999999999999999999:00", "10:00"), ("00:00", "99999999999999999999:00"),
    ("-9223372036854775808:00", "01:00"), ("09:-30", "10:00"), ("0x10:00", "17:00"), ("\u0660\u0669:00", "17:00"),
    ("09\uff1a00", "17:00"), ("153722867280912930:00", "00:00"), ("00:00", "153722867280912931:00"),
    ("1:60", "2:00"), ("23:59", "24:01"), ("+", "12:00"), ("0009:00", "0010:00"), ("09:00", "10"),
]


def _hour_rules() -> str:
    out = ['version: "1"', "rules:"]
    for i, (start, end) in enumerate(HOUR_ODDITIES):
        out += [
            f"  - name: hours-{i}",
            "    effect: allow",
            "    conditions:",
            f"      profiles: [p{i}]",
            "      time:",
            f"        hours: {{start: {json.dumps(start)}, end: {json.dumps(end)}}}",
        ]
    return "\n".join(out) + "\n"


HAND["hour-oddities"] = _hour_rules()

policy("hours-partial", """
version: "1"
rules:
  - name: only-start
    effect: allow
    conditions:
      profiles: [a]
      time:
        hours: {start: "09:00"}
  - name: only-end
    effect: allow
    conditions:
      profiles: [b]
      time:
        hours: {end: "17:00"}
  - name: empty-hours
    effect: allow
    conditions:
      profiles: [c]
      time:
        hours: {}
  - name: empty-time
    effect: allow
    conditions:
      profiles: [d]
      time: {}
  - name: days-only
    effect: allow
    conditions:
      profiles: [e]
      time:
        days: [saturday, sunday]
""")

ZONES = [
    "Europe/Berlin", "Europe//Berlin", "Europe/Berln", "Local", "UTC", "utc", "Etc/GMT+5", "America/New_York",
    "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Kiritimati", "Pacific/Apia", "EST5EDT", "Europe/./Berlin",
    "Europe/Berlin/", "../etc/localtime", "/usr/share/zoneinfo/UTC", "zone.tab", "posixrules", "Europe",
    "America/Argentina/Buenos_Aires", "GMT0", "localtime", "right/UTC", "Asia/Tehran", "Australia/Adelaide",
    "America/St_Johns", "Europe/Dublin", "Africa/Casablanca", "America/Sao_Paulo", "Antarctica/Troll",
    "Pacific/Chatham", "Europe\\Berlin", " Europe/Berlin", "Europe/Berlin\u0000", "EUROPE/BERLIN",
]


def _zone_rules() -> str:
    out = ['version: "1"', "rules:"]
    for i, zone in enumerate(ZONES):
        out += [
            f"  - name: zone-{i}",
            "    effect: allow",
            "    conditions:",
            f"      profiles: [z{i}]",
            "      time:",
            "        days: [monday, tuesday, wednesday, thursday, friday]",
            '        hours: {start: "02:00", end: "03:00"}',
            f"        timezone: {json.dumps(zone)}",
        ]
        out += [
            f"  - name: zone-{i}-business",
            "    effect: deny",
            "    conditions:",
            f"      profiles: [z{i}]",
            "      time:",
            '        hours: {start: "09:00", end: "17:30"}',
            f"        timezone: {json.dumps(zone)}",
            "    reason: business hours",
        ]
    return "\n".join(out) + "\n"


HAND["zones"] = _zone_rules()

policy("days", """
version: "1"
rules:
  - name: capitalised
    effect: allow
    conditions:
      profiles: [a]
      time:
        days: [Monday, TUESDAY]
  - name: weekend-berlin
    effect: allow
    conditions:
      profiles: [b]
      time:
        days: [saturday, sunday]
        timezone: Europe/Berlin
  - name: weekend-kiritimati
    effect: allow
    conditions:
      profiles: [c]
      time:
        days: [saturday, sunday]
        timezone: Pacific/Kiritimati
  - name: monday-morning-honolulu
    effect: allow
    conditions:
      profiles: [d]
      time:
        days: [monday]
        hours: {start: "00:00", end: "01:00"}
        timezone: Pacific/Honolulu
""")

policy("effects", """
version: "1"
rules:
  - name: rs
    effect: require_server
    conditions:
      profiles: [rs]
    max_server_duration: 2h
  - name: rss
    effect: require_server_session
    conditions:
      profiles: [rss]
    session_table: rule-table
    reason: sessions tracked
  - name: approval
    effect: require_approval
    conditions:
      profiles: [ra]
  - name: empty
    effect: ""
    conditions:
      profiles: [empty]
  - name: missing-effect
    conditions:
      profiles: [missing]
  - name: capital
    effect: Allow
    conditions:
      profiles: [cap]
  - name: trailing-space
    effect: "deny "
    conditions:
      profiles: [space]
  - name: unknown
    effect: audit
    conditions:
      profiles: [audit]
  - name: hyphen
    effect: require-approval
    conditions:
      profiles: [hyphen]
  - name: rs-upper
    effect: REQUIRE_SERVER
    conditions:
      profiles: [rsu]
  - name: fallback
    effect: allow
    conditions:
      users: [alice]
    session_table: "fallback-table"
""")

policy("modes", """
version: "1"
rules:
  - name: server-only
    effect: allow
    conditions:
      profiles: [a]
      mode: [server]
  - name: cli-or-cp
    effect: deny
    conditions:
      profiles: [a, b]
      mode: [cli, credential_process]
  - name: upper
    effect: allow
    conditions:
      profiles: [c]
      mode: [SERVER]
  - name: empty-mode
    effect: allow
    conditions:
      profiles: [d]
      mode: [""]
  - name: null-mode
    effect: allow
    conditions:
      profiles: [e]
      mode: [~]
  - name: mode-only
    effect: require_server
    conditions:
      mode: [cli]
""")

policy("durations", """
version: "1"
rules:
  - name: h1
    effect: allow
    conditions: {profiles: [a]}
    max_server_duration: 1h
  - name: m90
    effect: allow
    conditions: {profiles: [b]}
    max_server_duration: 90m
  - name: frac
    effect: allow
    conditions: {profiles: [c]}
    max_server_duration: 1.5h
  - name: mixed
    effect: allow
    conditions: {profiles: [d]}
    max_server_duration: 1h30m15.5s
  - name: ms
    effect: allow
    conditions: {profiles: [e]}
    max_server_duration: 300ms
  - name: us
    effect: allow
    conditions: {profiles: [f]}
    max_server_duration: "1\u00b5s"
  - name: neg
    effect: allow
    conditions: {profiles: [g]}
    max_server_duration: -1h
  - name: zero
    effect: deny
    conditions: {profiles: [h]}
    max_server_duration: 0s
  - name: ns
    effect: require_server
    conditions: {profiles: [i]}
    max_server_duration: 1ns
  - name: big
    effect: allow
    conditions: {profiles: [j]}
    max_server_duration: 2562047h47m16.854775807s
""")

policy("device-flags", """
version: "1"
rules:
  - name: encrypted
    effect: allow
    conditions:
      profiles: [enc]
      device: {require_encryption: true}
  - name: mdm
    effect: allow
    conditions:
      profiles: [mdm]
      device: {require_mdm: true}
  - name: compliant
    effect: allow
    conditions:
      profiles: [comp]
      device: {require_mdm_compliant: true}
  - name: firewall
    effect: allow
    conditions:
      profiles: [fw]
      device: {require_firewall: true}
  - name: all-flags
    effect: allow
    conditions:
      profiles: [all]
      device:
        require_encryption: true
        require_mdm: true
        require_mdm_compliant: true
        require_firewall: yes
  - name: empty-device
    effect: allow
    conditions:
      profiles: [empty]
      device: {}
  - name: false-flags
    effect: allow
    conditions:
      profiles: [false]
      device: {require_mdm: false, require_encryption: off}
  - name: device-fallback
    effect: deny
    conditions:
      users: [alice]
      device: {require_encryption: true}
    reason: unencrypted
""")


def _version_rules() -> str:
    versions = ["14", "14.2", "14.2.1", "14.2-rc1", "v14", "14..2", "1.2.3.4.5", "99999999999999999999",
                "14.0+build", "0", "10.0.22631", "13.9.9", "14.0.0.0.1", "abc", "9223372036854775807.1",
                "14.2.0-beta+5", ".14", "14.", "14-2", "\u0661\u0664"]
    out = ['version: "1"', "rules:"]
    for i, v in enumerate(versions):
        out += [
            f"  - name: min-{i}",
            "    effect: allow",
            "    conditions:",
            f"      profiles: [v{i}]",
            f"      device: {{min_os_version: {json.dumps(v)}}}",
        ]
    return "\n".join(out) + "\n"


HAND["min-os-version"] = _version_rules()

policy("os-types", """
version: "1"
rules:
  - name: darwin-cap
    effect: allow
    conditions:
      profiles: [a]
      device: {allowed_os_types: [Darwin]}
  - name: macos
    effect: allow
    conditions:
      profiles: [b]
      device: {allowed_os_types: [macos]}
  - name: linux-windows
    effect: allow
    conditions:
      profiles: [c]
      device: {allowed_os_types: [LINUX, windows]}
  - name: kelvin
    effect: allow
    conditions:
      profiles: [d]
      device: {allowed_os_types: ["linu\u212a", "\u017fun"]}
  - name: empty-string
    effect: allow
    conditions:
      profiles: [e]
      device: {allowed_os_types: [""]}
  - name: null-list
    effect: allow
    conditions:
      profiles: [f]
      device: {allowed_os_types: [~]}
  - name: combined
    effect: allow
    conditions:
      profiles: [g]
      device:
        allowed_os_types: [darwin]
        min_os_version: "14.0"
        require_firewall: true
""")

policy("everything", """
version: "1"
rules:
  - name: break-glass-deny
    effect: deny
    conditions:
      users: [mallory]
    reason: blocked
  - name: prod-business
    effect: allow
    conditions:
      profiles: [prod]
      users: [alice, bob]
      mode: [server]
      time:
        days: [monday, tuesday, wednesday, thursday, friday]
        hours: {start: "08:00", end: "18:00"}
        timezone: America/New_York
      device:
        require_encryption: true
        allowed_os_types: [darwin, linux]
        min_os_version: "13"
    max_server_duration: 4h
    session_table: sentinel-sessions
  - name: prod-after-hours
    effect: require_server_session
    conditions:
      profiles: [prod]
      users: [alice, bob]
      time:
        timezone: America/New_York
        days: [saturday, sunday]
  - name: prod-approval
    effect: require_approval
    conditions:
      profiles: [prod]
  - name: dev
    effect: allow
    conditions:
      profiles: [dev, staging]
      time:
        hours: {start: "06:00", end: "23:00"}
        timezone: Asia/Kathmandu
""")

policy("dst-windows", """
version: "1"
rules:
  - name: berlin-2-3
    effect: allow
    conditions:
      profiles: [berlin]
      time:
        hours: {start: "02:00", end: "03:00"}
        timezone: Europe/Berlin
  - name: ny-1-2
    effect: allow
    conditions:
      profiles: [ny]
      time:
        hours: {start: "01:00", end: "02:00"}
        timezone: America/New_York
  - name: lord-howe
    effect: allow
    conditions:
      profiles: [lh]
      time:
        hours: {start: "01:30", end: "02:30"}
        timezone: Australia/Lord_Howe
  - name: apia-skip
    effect: allow
    conditions:
      profiles: [apia]
      time:
        days: [friday]
        timezone: Pacific/Apia
""")

# ---------------------------------------------------------------------------
# Random policies from the same parts

USERS = ["alice", "bob", "carol", "Alice", "*", ""]
PROFILES = ["prod", "dev", "staging", "Prod", "*", "prod "]
MODES = ["server", "cli", "credential_process", "SERVER", ""]
EFFECTS = ["allow", "deny", "require_approval", "require_server", "require_server_session", "", "audit"]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "Monday"]
HOURS = ["00:00", "06:00", "08:30", "09:00", "12:00", "17:00", "18:00", "22:00", "23:59", "24:00", "08:90", "9:00"]
RANDOM_ZONES = ["", "Europe/Berlin", "America/New_York", "Asia/Kathmandu", "UTC", "Europe/Berln", "Australia/Lord_Howe",
                "Europe//Berlin", "Pacific/Kiritimati"]
DURATIONS = ["", "1h", "30m", "2h30m", "0s", "45m10s"]


def _q(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def random_policy(rng: random.Random, n_rules: int) -> str:
    out = ['version: "1"', "rules:"]
    for i in range(n_rules):
        out.append(f"  - name: r{i}")
        out.append(f"    effect: {_q(rng.choice(EFFECTS))}")
        cond: list[str] = []
        if rng.random() < 0.6:
            cond.append(f"      profiles: [{', '.join(_q(p) for p in rng.sample(PROFILES, rng.randint(1, 2)))}]")
        if rng.random() < 0.5:
            cond.append(f"      users: [{', '.join(_q(u) for u in rng.sample(USERS, rng.randint(1, 3)))}]")
        if rng.random() < 0.3:
            cond.append(f"      mode: [{', '.join(_q(m) for m in rng.sample(MODES, rng.randint(1, 2)))}]")
        if rng.random() < 0.5:
            cond.append("      time:")
            if rng.random() < 0.6:
                cond.append(f"        days: [{', '.join(rng.sample(DAYS, rng.randint(1, 5)))}]")
            if rng.random() < 0.7:
                a, b = rng.choice(HOURS), rng.choice(HOURS)
                cond.append(f"        hours: {{start: {_q(a)}, end: {_q(b)}}}")
            zone = rng.choice(RANDOM_ZONES)
            if zone:
                cond.append(f"        timezone: {_q(zone)}")
        if rng.random() < 0.25:
            cond.append("      device:")
            if rng.random() < 0.5:
                cond.append("        require_encryption: true")
            if rng.random() < 0.4:
                cond.append("        require_mdm_compliant: true")
            if rng.random() < 0.4:
                cond.append(f"        min_os_version: {_q(rng.choice(['14', '13.5', '10.0.19045', 'v14']))}")
            if rng.random() < 0.4:
                cond.append(f"        allowed_os_types: [{rng.choice(['darwin', 'Linux', 'windows, darwin'])}]")
            if cond[-1] == "      device:":
                cond.append("        require_firewall: true")
        if cond:
            out.append("    conditions:")
            out += cond
        dur = rng.choice(DURATIONS)
        if dur:
            out.append(f"    max_server_duration: {dur}")
        if rng.random() < 0.3:
            out.append(f"    session_table: {_q(rng.choice(['t1', 'sessions', '']))}")
        if rng.random() < 0.4:
            out.append(f"    reason: {_q(rng.choice(['why not', 'on-call', 'ünïcode reason']))}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# Requests

def _posture(**kw) -> dict:
    base = {"device_id": "0123456789abcdef0123456789abcdef", "status": "compliant",
            "collected_at": "2026-12-01T00:00:00Z"}
    base.update(kw)
    return base


POSTURES: list[dict | None] = [
    None,
    {},
    _posture(disk_encrypted=True, firewall_enabled=True, os_version="14.5", os_type="darwin", mdm_enrolled=True,
             mdm_compliant=True),
    _posture(disk_encrypted=False, firewall_enabled=False, os_version="14.5", os_type="darwin", mdm_enrolled=False,
             mdm_compliant=False),
    _posture(status="non_compliant", disk_encrypted=True, firewall_enabled=True, mdm_enrolled=True, mdm_compliant=True,
             os_version="15.0", os_type="DARWIN"),
    _posture(mdm_compliant=True, os_type="linux", os_version="6.8.0-45-generic"),
    _posture(disk_encrypted=True, os_type="Windows", os_version="10.0.22631"),
    {"Disk_Encrypted": True, "OS_TYPE": "darwin", "Os_Version": "14", "MDM_ENROLLED": True},
    _posture(disk_encrypted=True, firewall_enabled=True, os_type="linu\u212a", os_version="v14"),
    _posture(disk_encrypted=None, firewall_enabled=True, os_type="", os_version=""),
    _posture(os_version="14.2-rc1", os_type="sun", disk_encrypted=True),
    _posture(os_version="99999999999999999999", os_type="macos", mdm_enrolled=True),
    _posture(os_version="13.9.9", os_type="darwin", disk_encrypted=True, firewall_enabled=True),
    _posture(os_version="14.0.0.0.1", os_type=" darwin", mdm_compliant=True, mdm_enrolled=False),
    _posture(os_version="\u0661\u0664", os_type="darwin", disk_encrypted=True),
    {"status": "unknown", "collected_at": None, "disk_encrypted": True, "disk_encrypted ": False},
]

OFFSETS = ["Z", "+00:00", "-00:00", "+01:00", "+05:45", "-03:30", "+14:00", "-12:00", "+13:45", "+24:00", "-24:00",
           "+23:60", "+09:30"]
WEEK = [datetime(2026, 12, 7, tzinfo=timezone.utc) + timedelta(days=d) for d in range(7)]  # Mon..Sun
DST_DAYS = [datetime(2026, 3, 29, tzinfo=timezone.utc), datetime(2026, 10, 25, tzinfo=timezone.utc),
            datetime(2026, 3, 8, tzinfo=timezone.utc), datetime(2026, 11, 1, tzinfo=timezone.utc),
            datetime(2026, 4, 5, tzinfo=timezone.utc), datetime(2026, 10, 4, tzinfo=timezone.utc),
            datetime(2011, 12, 29, tzinfo=timezone.utc), datetime(2011, 12, 30, tzinfo=timezone.utc),
            datetime(2028, 2, 29, tzinfo=timezone.utc)]


def fmt(dt: datetime, offset: str, nanos: int | None = None, comma: bool = False) -> str:
    """dt (an instant) written with the given offset text, as RFC 3339."""
    if offset == "Z":
        secs = 0
    else:
        secs = (int(offset[1:3]) * 60 + int(offset[4:6])) * 60 * (-1 if offset[0] == "-" else 1)
    local = dt.astimezone(timezone.utc).replace(tzinfo=None) + timedelta(seconds=secs)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if nanos is not None:
        text += ("," if comma else ".") + f"{nanos:09d}"
    return text + offset


SPECIAL_TIMES = [
    "2026-12-07T08:59:59.999999999Z", "2026-12-07T09:00:00.000000001Z", "2026-12-07T9:00:00Z",
    "2026-12-07T09:00:00,5Z", "2026-12-07T23:59:60Z", "2026-12-07T24:00:00Z", "2026-12-07T09:00:00.1234567891234Z",
    "2026-12-07 09:00:00Z", "2026-12-07T09:00:00z", "2026-12-07T09:00:00+0100", "2026-02-29T09:00:00Z",
    "2028-02-29T09:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59+24:00", "2026-12-07T09:00:00+25:00",
    "2026-12-07T09:00:00+01:61", "", "2026-12-07T09:00:00.Z", "1969-12-31T23:59:59.999999999-00:01",
    "2037-06-01T02:30:00+01:00", "2100-03-28T02:30:00Z", "1900-01-01T12:00:00+00:00", "1850-06-01T02:30:00Z",
    "0000-01-01T00:30:00Z", "0000-01-01T00:30:00+01:00", "0000-02-29T12:00:00-23:59", "9999-12-31T23:30:00-05:00",
    "0001-01-01T00:30:00+14:00",
]


def window_points(policy_obj) -> list[tuple[datetime, str | None]]:
    """Instants around each window's boundaries, in the window's zone (or UTC), over a week and DST days."""
    points: list[tuple[datetime, str | None]] = []
    for rule in policy_obj.rules:
        window = rule.conditions.time
        if window is None:
            continue
        zone = load_location(window.timezone) if window.timezone else None
        minutes: set[int] = {0, 1439}
        if window.hours is not None:
            for text in (window.hours.start, window.hours.end):
                m = hour_minutes(text)
                for d in (-1, 0, 1):
                    if 0 <= m + d < 1440:
                        minutes.add(m + d)
        for day in WEEK + DST_DAYS:
            for m in sorted(minutes):
                naive = day.replace(tzinfo=None) + timedelta(minutes=m)
                if zone is not None:
                    local = naive.replace(tzinfo=zone)
                    points.append((local.astimezone(timezone.utc), None))
                    points.append((naive.replace(tzinfo=zone, fold=1).astimezone(timezone.utc), None))
                else:
                    points.append((naive.replace(tzinfo=timezone.utc), "own"))
    return points


def mentioned(policy_obj, attr: str) -> list[str]:
    seen: list[str] = []
    for rule in policy_obj.rules:
        for v in getattr(rule.conditions, attr):
            if v not in seen:
                seen.append(v)
    return seen


def requests_for(name: str, text: str, rng: random.Random, budget: int) -> list[dict]:
    try:
        pol = parse_policy(text.encode("utf-8"))
    except PolicyError:
        pol = None
    users = (mentioned(pol, "users") if pol else []) + ["alice", "zed", "", "ALICE"]
    profiles = (mentioned(pol, "profiles") if pol else []) + ["prod", "other", ""]
    modes = ["server", "cli", "credential_process", "", "SERVER", "server "]
    has_device = pol is not None and any(r.conditions.device is not None for r in pol.rules)
    postures = POSTURES if has_device else [None, None, None, POSTURES[2]]
    out: list[dict] = []

    def add(**kw) -> None:
        req = {
            "id": f"{name}-{len(out)}",
            "user": kw.get("user", rng.choice(users)),
            "profile": kw.get("profile", rng.choice(profiles)),
            "time": kw["time"],
            "mode": kw.get("mode", rng.choice(modes)),
            "session_table": kw.get("session_table", rng.choice(["", "", "t", "sentinel-sessions"])),
            "device": kw.get("device", rng.choice(postures)),
        }
        for k in kw.get("drop", ()):
            req.pop(k, None)
        out.append(req)

    # every rule's own values, at a plain time, in every mode / session / posture
    if pol is not None:
        for rule in pol.rules:
            c = rule.conditions
            for mode in ("server", "cli", ""):
                for st in ("", "t"):
                    add(user=c.users[0] if c.users else rng.choice(users),
                        profile=c.profiles[0] if c.profiles else rng.choice(profiles),
                        mode=mode, session_table=st, time=fmt(rng.choice(WEEK) + timedelta(hours=rng.randint(0, 23),
                                                                                           minutes=rng.randint(0, 59)),
                                                             rng.choice(OFFSETS[:9])))
            if c.device is not None:
                for posture in POSTURES:
                    add(user=c.users[0] if c.users else rng.choice(users),
                        profile=c.profiles[0] if c.profiles else rng.choice(profiles),
                        device=posture, mode="server", time="2026-12-08T10:00:00Z")
    # window boundaries, with a user and profile that reach the windowed rule
    if pol is not None:
        pts = window_points(pol)
        windowed = [r for r in pol.rules if r.conditions.time is not None]
        rng.shuffle(pts)
        for instant, how in pts[: max(0, budget - len(out) - 60)]:
            rule = rng.choice(windowed)
            c = rule.conditions
            offset = rng.choice(OFFSETS) if how is None else "Z"
            nanos = rng.choice([None, None, 0, 999999999, 1]) if rng.random() < 0.3 else None
            add(user=c.users[0] if c.users else rng.choice(users),
                profile=c.profiles[0] if c.profiles else rng.choice(profiles),
                mode=c.mode[0] if c.mode else rng.choice(modes),
                time=fmt(instant, offset, nanos, comma=rng.random() < 0.05))
    # odd times and missing fields
    for t in SPECIAL_TIMES:
        add(time=t)
    add(time="2026-12-08T10:00:00Z", drop=("mode",))
    add(time="2026-12-08T10:00:00Z", drop=("session_table", "device"))
    add(time="2026-12-08T10:00:00Z", drop=("user", "profile"))
    # random fill
    while len(out) < budget:
        day = rng.choice(WEEK + DST_DAYS)
        add(time=fmt(day + timedelta(minutes=rng.randint(0, 1439), seconds=rng.randint(0, 59)), rng.choice(OFFSETS),
                     rng.choice([None, rng.randint(0, 999999999)])))
    return out


JSON_SHAPES: list[dict] = [
    {"id": "case-keys", "User": "alice", "PROFILE": "prod", "Time": "2026-12-07T10:00:00Z", "Mode": "server"},
    {"id": "dup-keys", "user": "bob", "User": "alice", "profile": "prod", "time": "2026-12-07T10:00:00Z"},
    {"id": "nulls", "user": None, "profile": "prod", "time": "2026-12-07T10:00:00Z", "mode": None,
     "session_table": None, "device": None},
    {"id": "num-user", "user": 5, "profile": "prod", "time": "2026-12-07T10:00:00Z"},
    {"id": "bool-as-string", "user": "alice", "profile": "prod", "time": "2026-12-07T10:00:00Z",
     "device": {"disk_encrypted": "true"}},
    {"id": "device-list", "user": "alice", "profile": "prod", "time": "2026-12-07T10:00:00Z", "device": []},
    {"id": "device-empty", "user": "alice", "profile": "prod", "time": "2026-12-07T10:00:00Z", "device": {}},
    {"id": "collected-bad", "user": "alice", "profile": "prod", "time": "2026-12-07T10:00:00Z",
     "device": {"disk_encrypted": True, "collected_at": "yesterday"}},
    {"id": "collected-1digit-hour", "user": "alice", "profile": "prod", "time": "2026-12-07T10:00:00Z",
     "device": {"disk_encrypted": True, "collected_at": "2026-12-07T9:00:00Z"}},
    {"id": "collected-comma", "user": "alice", "profile": "prod", "time": "2026-12-07T10:00:00Z",
     "device": {"disk_encrypted": True, "collected_at": "2026-12-07T09:00:00,5Z"}},
    {"id": "collected-24h-offset", "user": "alice", "profile": "prod", "time": "2026-12-07T10:00:00Z",
     "device": {"disk_encrypted": True, "collected_at": "2026-12-07T09:00:00+24:00"}},
    {"id": "collected-number", "user": "alice", "profile": "prod", "time": "2026-12-07T10:00:00Z",
     "device": {"disk_encrypted": True, "collected_at": 5}},
    {"id": "collected-null", "user": "alice", "profile": "prod", "time": "2026-12-07T10:00:00Z",
     "device": {"disk_encrypted": True, "collected_at": None}},
    {"id": "status-number", "user": "alice", "profile": "prod", "time": "2026-12-07T10:00:00Z",
     "device": {"disk_encrypted": True, "status": 1}},
    {"id": "os-null", "user": "alice", "profile": "prod", "time": "2026-12-07T10:00:00Z",
     "device": {"disk_encrypted": True, "os_type": None, "os_version": None}},
    {"id": "time-number", "user": "alice", "profile": "prod", "time": 20261207},
    {"id": "unicode-user", "user": "al\u0131ce", "profile": "prod", "time": "2026-12-07T10:00:00Z"},
    {"id": "surrogate-user", "user": "\ud800", "profile": "prod", "time": "2026-12-07T10:00:00Z"},
    {"id": "extra-fields", "user": "alice", "profile": "prod", "time": "2026-12-07T10:00:00Z", "mode": "server",
     "duration": "3600", "whatever": [1, 2]},
    {"id": 12345, "user": "alice", "profile": "prod", "time": "2026-12-07T10:00:00Z"},
    {"id": None, "user": "alice", "profile": "prod", "time": "2026-12-07T10:00:00Z"},
    {"id": {"nested": [1]}, "user": "alice", "profile": "prod", "time": "2026-12-07T10:00:00Z"},
]

policy("json-shapes", """
version: "1"
rules:
  - name: encrypted-alice
    effect: allow
    conditions:
      users: [alice, "al\u0131ce"]
      device: {require_encryption: true}
  - name: alice
    effect: require_approval
    conditions:
      users: [alice]
      mode: [server]
  - name: empty-user
    effect: deny
    conditions:
      users: [""]
    reason: no user
  - name: replacement-char
    effect: allow
    conditions:
      users: ["\ufffd"]
""")


def build() -> dict[str, tuple[str, list[dict]]]:
    rng = random.Random(14)
    corpus: dict[str, tuple[str, list[dict]]] = {}
    for name, text in HAND.items():
        budget = {"zones": 700, "hour-oddities": 260, "min-os-version": 160}.get(name, 120)
        corpus[name] = (text, requests_for(name, text, rng, budget))
    corpus["json-shapes"][1][:0] = [dict(r) for r in JSON_SHAPES]
    for i in range(30):
        name = f"random-{i:02d}"
        text = random_policy(rng, rng.randint(2, 7))
        corpus[name] = (text, requests_for(name, text, rng, 60))
    return corpus


def main(argv: list[str]) -> int:
    corpus = build()
    for sub in ("policies", "requests", "expected"):
        (HERE / sub).mkdir(exist_ok=True)
    for name, (text, requests) in corpus.items():
        (HERE / "policies" / f"{name}.yaml").write_text(text, encoding="utf-8")
        with open(HERE / "requests" / f"{name}.jsonl", "w", encoding="utf-8") as fh:
            for req in requests:
                fh.write(json.dumps(req) + "\n")
    if len(argv) == 2 and argv[0] == "--record":
        oracle = argv[1]
        keep = ("id", "input_error", "parse_error", "effect", "rule", "rule_index", "reason", "requires_server_mode",
                "requires_session_tracking", "max_server_duration", "session_table")
        for name in corpus:
            with open(HERE / "requests" / f"{name}.jsonl", "rb") as fh:
                done = subprocess.run([oracle, "eval", str(HERE / "policies" / f"{name}.yaml")], stdin=fh,
                                      capture_output=True, check=False)
            with open(HERE / "expected" / f"{name}.jsonl", "w", encoding="utf-8") as out:
                for line in done.stdout.decode("utf-8").splitlines():
                    obj = json.loads(line)
                    rec = {k: obj[k] for k in keep if k in obj}
                    handler = obj.get("handler")
                    if handler and handler.get("status") in (200, 403):
                        # what the Lambda handler does with this decision (no approval, no break-glass)
                        rec["tvm_issues"] = handler["issued"]
                        rec["tvm_duration"] = handler["duration"]
                    out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    n = sum(len(r) for _, r in corpus.values())
    print(f"{len(corpus)} policies, {n} requests")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
