"""sentinel_tui.core.policy: verdicts and messages as Go's sentinel (yaml.v3) gives them.

The expected texts below were produced by Sentinel's own Go code (policy/*.go with
gopkg.in/yaml.v3 v3.0.1) on the same inputs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import sentinel_tui.core.policy.load as policy_module  # where _load looks _load_fast up
from sentinel_tui.core.policy import (
    LINT_ALLOW_BEFORE_DENY,
    LINT_INVALID_DEVICE,
    LINT_OVERLAPPING_TIME_WINDOWS,
    LINT_TOO_LARGE,
    LINT_UNKNOWN_KEY,
    LINT_UNKNOWN_MODE,
    LINT_UNREACHABLE_RULE,
    MAX_POLICY_BYTES,
    Finding,
    Policy,
    PolicyCheck,
    PolicyError,
    check_policy,
    format_go_duration,
    go_quote,
    lint_policy,
    normalize_policy,
    parse_go_duration,
    parse_policy,
    validate_policy,
)

from . import test_policy_fast as fast_path

POLICIES = Path(__file__).resolve().parents[1] / "data" / "policies"
EXPECTED = json.loads((POLICIES / "expected.json").read_text())
CORPUS = {name: (POLICIES / name).read_bytes() for name in sorted(EXPECTED)}

VALID = b"""version: "1"
rules:
  - name: r
    effect: allow
    conditions:
      profiles: [dev]
"""


@pytest.fixture(autouse=True)
def _fast_path_reads_as_the_slow_path(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every document these tests read through the libyaml fast path is read by the
    ruamel path too: same node tree, policy (lines included) and warnings."""
    real = policy_module._load_fast

    def checked(data: bytes) -> Any:
        result = real(data)
        fast_path.assert_fast_result_agrees(data, result)
        return result

    monkeypatch.setattr(policy_module, "_load_fast", checked)
    policy_module._load.cache_clear()
    yield
    policy_module._load.cache_clear()


def rule(extra: str = "", conditions: str | None = "      profiles: [dev]\n") -> bytes:
    """A one-rule policy; conditions=None leaves the `conditions:` key to `extra`."""
    tail = "" if conditions is None else "    conditions:\n" + conditions
    return ('version: "1"\nrules:\n  - name: r\n    effect: allow\n' + extra + tail).encode()


def parse_detail(data: bytes | str) -> str:
    with pytest.raises(PolicyError) as info:
        parse_policy(data)
    assert info.value.stage == "parse"
    return info.value.detail


def validate_detail(data: bytes | str) -> str:
    policy = parse_policy(data)
    with pytest.raises(PolicyError) as info:
        validate_policy(policy)
    assert info.value.stage == "validate"
    return info.value.detail


def unmarshal(*lines: str) -> str:
    return "yaml: yaml: unmarshal errors:\n  " + "\n  ".join(lines)


# ---------------------------------------------------------------------------
# The shared corpus: the verdict Go gives each file


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_verdicts_match_go(name: str) -> None:
    expected = EXPECTED[name]
    result = check_policy(CORPUS[name])
    assert isinstance(result, PolicyCheck)
    assert result.stage == expected["rejected_at"]
    if expected["rejected_at"] is None:
        assert result.ok and result.error is None
        assert isinstance(result.policy, Policy)
    else:
        assert not result.ok
        assert expected["go_error"] in result.error.detail
        assert result.error.detail == expected["go_error"]


def test_corpus_error_lines_and_cli_prefixes() -> None:
    dup = check_policy(CORPUS["duplicate-key.yaml"]).error
    assert dup.line == 5
    assert str(dup) == 'parse error: yaml: yaml: unmarshal errors:\n  line 5: mapping key "effect" already defined at line 4'
    day = check_policy(CORPUS["capitalised-day.yaml"]).error
    assert day.line == 7  # the days list
    assert str(day) == "validation error: invalid weekday 'Monday' in rule 'weekdays'"
    assert check_policy(CORPUS["mode-only-condition.yaml"]).error.line == 5


def test_corpus_typo_key_is_accepted_with_a_warning() -> None:
    result = check_policy(CORPUS["typo-key.yaml"])
    assert result.ok
    assert result.policy.rules[0].effect == "allow"
    assert Finding(4, "unknown key 'efect' is ignored by Sentinel (did you mean 'effect'?)", LINT_UNKNOWN_KEY) in result.warnings


def test_corpus_yaml12_words_stay_strings() -> None:
    policy = parse_policy(CORPUS["yaml12-words.yaml"])
    assert policy.rules[0].name == "no"
    assert policy.rules[0].conditions.profiles == ("on", "off")


def test_corpus_production_decodes_fully() -> None:
    policy = parse_policy(CORPUS["production.yaml"])
    second = policy.rules[1]
    assert second.effect == "require_server_session"
    assert second.max_server_duration == 3600 * 10**9
    assert second.max_server_duration_text == "1h0m0s"
    assert second.session_table == "sentinel-sessions"
    window = second.conditions.time
    assert window.days == ("monday", "tuesday", "wednesday", "thursday", "friday")
    assert (window.hours.start, window.hours.end) == ("09:00", "18:00")
    assert window.timezone == "Europe/Berlin"
    assert [r.line for r in policy.rules] == [4, 11, 25]
    assert second.line_of("max_server_duration") == 14


# ---------------------------------------------------------------------------
# Parse stage


@pytest.mark.parametrize("data", [b"", b"   \n\t  \r\n", b"\xc2\xa0", b"\x0b\x0c", "\u3000\n"])
def test_empty_policy(data: bytes | str) -> None:
    assert parse_detail(data) == "empty policy"
    assert str(check_policy(data).error) == "parse error: empty policy"


@pytest.mark.parametrize(
    "data", [b"# only a comment\n", b"---\n", b"~\n", b"rules: []\n", b"version:\n", b"version: ''\n", b"\xef\xbb\xbf"]
)
def test_missing_version(data: bytes) -> None:
    assert parse_detail(data) == "missing version field"


def test_only_the_first_document_counts() -> None:
    policy = parse_policy(VALID + b"---\nversion: '2'\nrules: 5\n")
    assert policy.version == "1"
    assert parse_detail(b"---\n# nothing\n---\n" + VALID) == "missing version field"


def test_duplicate_keys_are_listed_in_go_order() -> None:
    data = b"version: '1'\nrules:\n  - name: a\n    effect: allow\n    effect: deny\n    effect: x\n    conditions: {profiles: [a], profiles: [b]}\n"
    assert parse_detail(data) == unmarshal(
        'line 5: mapping key "effect" already defined at line 4',
        'line 6: mapping key "effect" already defined at line 4',
        'line 6: mapping key "effect" already defined at line 5',
    )
    # a quoted and a plain key with the same text are the same key for yaml.v3
    assert parse_detail(b"version: '1'\n'version': '1'\n") == unmarshal(
        'line 2: mapping key "version" already defined at line 1'
    )


def test_scalar_resolution_keeps_the_text_of_string_fields() -> None:
    policy = parse_policy(
        b"version: '1'\nrules:\n  - name: 01\n    effect: allow\n    reason: 1.0\n    session_table: 0x1F\n"
        b"    conditions:\n      profiles: [1, 1.0, 01, 09:00, yes, on, off, true, 2001-01-01, 1e3, .inf]\n"
    )
    r = policy.rules[0]
    assert (r.name, r.reason, r.session_table) == ("01", "1.0", "0x1F")
    assert r.conditions.profiles == ("1", "1.0", "01", "09:00", "yes", "on", "off", "true", "2001-01-01", "1e3", ".inf")


def test_version_as_written() -> None:
    assert parse_policy(b"version: 1\n").version == "1"
    assert validate_detail(b"version: 1.0\nrules: []\n") == "unsupported policy version '1.0', supported versions: [1]"
    assert validate_detail(b"version: 01\n") == "unsupported policy version '01', supported versions: [1]"


def test_bool_fields_take_yaml11_words_even_quoted() -> None:
    device = parse_policy(
        rule(conditions="      profiles: [dev]\n      device:\n        require_mdm: yes\n        require_encryption: 'On'\n"
             "        require_firewall: NO\n        require_mdm_compliant: True\n")
    ).rules[0].conditions.device
    assert (device.require_mdm, device.require_encryption, device.require_firewall, device.require_mdm_compliant) == (
        True, True, False, True,
    )
    assert parse_detail(rule(conditions="      device:\n        require_mdm: 'true'\n")) == unmarshal(
        "line 7: cannot unmarshal !!str `true` into bool"
    )
    assert parse_detail(rule(conditions="      device:\n        require_mdm: 1\n")) == unmarshal(
        "line 7: cannot unmarshal !!int `1` into bool"
    )
    assert parse_detail(rule(conditions="      device:\n        require_mdm: oN\n")) == unmarshal(
        "line 7: cannot unmarshal !!str `oN` into bool"
    )


def test_null_list_entries_are_dropped() -> None:
    policy = parse_policy(rule(conditions="      profiles: [~, dev, null, '']\n      users:\n        - ~\n        -\n        - bob\n"))
    assert policy.rules[0].conditions.profiles == ("dev", "")
    assert policy.rules[0].conditions.users == ("bob",)
    assert validate_detail(b"version: '1'\nrules: [~]\n") == "policy must have at least one rule"


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (rule(conditions="      profiles: dev\n"), unmarshal("line 6: cannot unmarshal !!str `dev` into []string")),
        (rule(conditions="      time:\n        - days: [monday]\n"), unmarshal("line 7: cannot unmarshal !!seq into policy.TimeWindow")),
        (rule("    max_server_duration: 3600\n"), unmarshal("line 5: cannot unmarshal !!int `3600` into time.Duration")),
        (rule("    max_server_duration: '3600'\n"), unmarshal("line 5: cannot unmarshal !!str `3600` into time.Duration")),
        (rule("    max_server_duration: 1.5\n"), unmarshal("line 5: cannot unmarshal !!float `1.5` into time.Duration")),
        (rule("    max_server_duration: 1x\n"), unmarshal("line 5: cannot unmarshal !!str `1x` into time.Duration")),
        (rule("    max_server_duration: 2001-01-01\n"), unmarshal("line 5: cannot unmarshal !!timestamp `2001-01-01` into time.Duration")),
        (rule("    max_server_duration: 2001-01-01T10:00:00Z\n"), unmarshal("line 5: cannot unmarshal !!timestamp `2001-01...` into time.Duration")),
        (rule("    max_server_duration: [1h]\n"), unmarshal("line 5: cannot unmarshal !!seq into time.Duration")),
        (rule("    reason: {a: 1}\n"), unmarshal("line 5: cannot unmarshal !!map into string")),
        (b"version: '1'\nrules: {a: 1}\n", unmarshal("line 2: cannot unmarshal !!map into []policy.Rule")),
        (b"version: '1'\nrules:\n  - 5\n  - [x]\n", unmarshal(
            "line 3: cannot unmarshal !!int `5` into policy.Rule", "line 4: cannot unmarshal !!seq into policy.Rule")),
        (b"hello\n", unmarshal("line 1: cannot unmarshal !!str `hello` into policy.Policy")),
        (rule(conditions="      time:\n        days: monday\n"), unmarshal("line 7: cannot unmarshal !!str `monday` into []policy.Weekday")),
        (rule(conditions="      mode: server\n"), unmarshal("line 6: cannot unmarshal !!str `server` into []policy.CredentialMode")),
        (rule("    conditions: ''\n", conditions=None), unmarshal("line 5: cannot unmarshal !!str `` into policy.Condition")),
    ],
)
def test_type_errors(data: bytes, detail: str) -> None:
    assert parse_detail(data) == detail


def test_type_errors_are_all_collected_in_document_order() -> None:
    data = rule("    max_server_duration: 5\n", conditions="      profiles: dev\n      users: bob\n")
    assert parse_detail(data) == unmarshal(
        "line 5: cannot unmarshal !!int `5` into time.Duration",
        "line 7: cannot unmarshal !!str `dev` into []string",
        "line 8: cannot unmarshal !!str `bob` into []string",
    )


def test_durations_in_policies() -> None:
    for text, ns in [("1h", 3600 * 10**9), ("90m", 5400 * 10**9), ("1h30m", 5400 * 10**9), ("1.5h", 5400 * 10**9),
                     ("300ms", 300 * 10**6), ("-5m", -300 * 10**9), ("'0'", 0), ("!!str 2s", 2 * 10**9)]:
        assert parse_policy(rule(f"    max_server_duration: {text}\n")).rules[0].max_server_duration == ns


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("0", 0), ("+0", 0), ("-0", 0), ("1ns", 1), ("1us", 1000), ("1\u00b5s", 1000), ("1\u03bcs", 1000),
        ("1ms", 10**6), ("1s", 10**9), ("1m", 60 * 10**9), ("1h", 3600 * 10**9), ("1.5h", 5400 * 10**9),
        (".5s", 5 * 10**8), ("5.s", 5 * 10**9), ("1h2m3.5s", 3723 * 10**9 + 5 * 10**8), ("-1.5h", -5400 * 10**9),
        ("2562047h47m16.854775807s", 2**63 - 1), ("-2562047h47m16.854775808s", -(2**63)),
        ("0.000000001s", 1), ("1.0000000001s", 10**9),
    ],
)
def test_parse_go_duration(text: str, ns: int) -> None:
    assert parse_go_duration(text) == ns


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'time: invalid duration ""'),
        ("1", 'time: missing unit in duration "1"'),
        ("3600", 'time: missing unit in duration "3600"'),
        ("1x", 'time: unknown unit "x" in duration "1x"'),
        ("1H", 'time: unknown unit "H" in duration "1H"'),
        ("1h ", 'time: unknown unit "h " in duration "1h "'),
        (".", 'time: invalid duration "."'),
        ("h", 'time: invalid duration "h"'),
        ("-", 'time: invalid duration "-"'),
        ("1h-1m", 'time: unknown unit "h-" in duration "1h-1m"'),
        ("1h1", 'time: missing unit in duration "1h1"'),
        ("2562047h47m16.854775808s", 'time: invalid duration "2562047h47m16.854775808s"'),
        ("9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'),
        ("1\u00e9", 'time: unknown unit "\\xc3\\xa9" in duration "1\\xc3\\xa9"'),
    ],
)
def test_parse_go_duration_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_go_duration(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0s"), (1, "1ns"), (1500, "1.5\u00b5s"), (10**6, "1ms"), (1_500_000, "1.5ms"), (10**9, "1s"),
        (90 * 10**9, "1m30s"), (3600 * 10**9, "1h0m0s"), (5400 * 10**9, "1h30m0s"), (-(60 * 10**9), "-1m0s"),
        (3723 * 10**9 + 5 * 10**8, "1h2m3.5s"), (2**63 - 1, "2562047h47m16.854775807s"), (-(2**63), "-2562047h47m16.854775808s"),
    ],
)
def test_format_go_duration(ns: int, text: str) -> None:
    assert format_go_duration(ns) == text
    assert parse_go_duration(text) == ns


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"a: b: c\n", "yaml: yaml: mapping values are not allowed in this context"),  # first line is not named
        (b"version: '1'\nrules: [a, b\n", "yaml: yaml: line 1: did not find expected ',' or ']'"),  # libyaml: 0-based
        (b"version: '1'\nrules:\n  - name: a\n   effect: allow\n", "yaml: yaml: line 2: did not find expected '-' indicator"),
        (b"version: '1'\nrules:\n- a\n  - b\n", unmarshal("line 3: cannot unmarshal !!str `a - b` into policy.Rule")),
        (b"version: 'x\n", "yaml: yaml: line 2: found unexpected end of stream"),
        (b"\tversion: 1\n", "yaml: yaml: found character that cannot start any token"),
        (b"%YAML 1.2\n---\nversion: '1'\n", "yaml: yaml: found incompatible YAML document"),
        (b"version: *a\n", "yaml: yaml: unknown anchor 'a' referenced"),
        (b"version: &a [*a]\n", unmarshal("line 1: cannot unmarshal !!seq into policy.Version")),
        (b"version: '1'\nrules: [&a {<<: *a}]\n", "yaml: yaml: anchor 'a' value contains itself"),
        (b"version: !!int x\n", "yaml: yaml: cannot decode !!str `x` as a !!int"),
        (b"version: !!bool yes\n", "yaml: yaml: cannot decode !!str `yes` as a !!bool"),
        (b"version: !!binary '@@'\n", "yaml: yaml: !!binary value contains invalid base64 data"),
        (rule("    <<: x\n"), "yaml: yaml: map merge requires map or sequence of maps as the value"),
        (b"version: '1'\nx: \x01\n", "yaml: yaml: control characters are not allowed"),
        (b"version: '1'\n\xff\n", "yaml: yaml: invalid leading UTF-8 octet"),
        (b"version: '1'\n\xc3\x28\n", "yaml: yaml: invalid trailing UTF-8 octet"),
        (b"version: '1'\n\xe2\x82", "yaml: yaml: incomplete UTF-8 octet sequence"),
        (b"version: \xed\xa0\x80\n", "yaml: yaml: invalid Unicode character"),
        (b"x: " + b"[" * 10001 + b"]" * 10001 + b"\n", "yaml: yaml: exceeded max depth of 10000"),
    ],
)
def test_syntax_and_fatal_errors(data: bytes, detail: str) -> None:
    assert parse_detail(data) == detail


def test_str_input_and_encodings() -> None:
    assert parse_policy(VALID.decode()) == parse_policy(VALID)
    assert parse_policy(b"\xef\xbb\xbf" + VALID) == parse_policy(VALID)
    assert parse_policy(b"\xff\xfe" + VALID.decode().encode("utf-16-le")) == parse_policy(VALID)
    assert parse_policy(b"\xfe\xff" + VALID.decode().encode("utf-16-be")) == parse_policy(VALID)
    assert parse_detail("version: '\ud800'\n") == "yaml: yaml: invalid Unicode character"
    assert parse_policy(VALID.replace(b"\n", b"\r\n")) == parse_policy(VALID)


def test_tabs_follow_libyaml() -> None:
    assert parse_policy(b"version:\t'1'\n").version == "1"
    assert parse_policy(rule("    reason: a\tb\n")).rules[0].reason == "a\tb"


def test_unknown_keys_are_ignored() -> None:
    assert parse_policy(rule("    Effect: deny\n    extra: {x: [1, 2]}\n")) == parse_policy(VALID)


def test_anchors_aliases_and_merge_keys() -> None:
    data = b"""base: &base {effect: deny, conditions: {users: [bob]}}
version: "1"
rules:
  - <<: *base
    name: a
  - name: b
    <<: *base
    effect: allow
  - &c {name: c, effect: allow, conditions: {profiles: [p]}}
  - *c
"""
    rules = parse_policy(data).rules
    assert [(r.name, r.effect, r.conditions.users) for r in rules[:2]] == [("a", "deny", ("bob",)), ("b", "allow", ("bob",))]
    assert rules[2] == rules[3]


def test_excessive_aliasing_is_refused() -> None:
    data = b"".join(
        [b"m0: &m0 {name: x}\n"] + [b"m%d: &m%d {<<: [*m%d, *m%d]}\n" % (i, i, i - 1, i - 1) for i in range(1, 30)]
    ) + b'version: "1"\nrules: [*m29]\n'
    # refused by yaml.v3's alias-ratio rule, not by running out of time (pytest-timeout guards a hang)
    assert parse_detail(data) == "yaml: yaml: document contains excessive aliasing"


def test_parsed_policies_are_hashable_and_compare_by_meaning() -> None:
    a = parse_policy(VALID)
    b = parse_policy(b"# comment\nrules: [{conditions: {profiles: [dev]}, effect: allow, name: r}]\nversion: '1'\n")
    assert a == b and hash(a) == hash(b)
    assert a.rules[0].line != b.rules[0].line


# ---------------------------------------------------------------------------
# Validate stage


@pytest.mark.parametrize(
    ("data", "detail", "line"),
    [
        (b"version: '2'\nrules: []\n", "unsupported policy version '2', supported versions: [1]", 1),
        (b"version: '1'\n", "policy must have at least one rule", 1),
        (b"version: '1'\nrules: []\n", "policy must have at least one rule", 2),
        (b"version: '1'\nrules:\n  - effect: allow\n", "rule at index 0 missing name", 3),
        (b"version: '1'\nrules:\n  - name: a\n    effect: allow\n    conditions: {users: [u]}\n  - {effect: allow}\n",
         "rule at index 1 missing name", 6),
        (rule().replace(b"effect: allow", b"effect: require-approval"), "invalid effect 'require-approval' in rule 'r'", 4),
        (rule().replace(b"effect: allow", b"effect: Allow"), "invalid effect 'Allow' in rule 'r'", 4),
        (rule("    conditions: {}\n", conditions=None), "rule 'r' has no conditions", 5),
        (b"version: '1'\nrules:\n  - name: r\n    effect: deny\n", "rule 'r' has no conditions", 3),
        (rule(conditions="      mode: [server]\n      device: {require_mdm: true}\n"), "rule 'r' has no conditions", 5),
        (rule(conditions="      time:\n        days: [monday, Friday]\n"), "invalid weekday 'Friday' in rule 'r'", 7),
        (rule(conditions="      time:\n        timezone: Mars/Olympus\n"), "invalid timezone 'Mars/Olympus'", 7),
        (rule(conditions="      time:\n        timezone: ../etc/passwd\n"), "invalid timezone '../etc/passwd'", 7),
        (rule(conditions="      time:\n        hours: {start: 9:00, end: '18:00'}\n"), "invalid hour format '9:00'", 7),
        (rule(conditions="      time:\n        hours: {start: '09:00', end: '24:00'}\n"), "invalid hour format '24:00'", 7),
        (rule(conditions="      time:\n        hours: {start: '09:00'}\n"), "invalid hour format ''", 7),
        (rule(conditions='      time:\n        hours: {start: "09:00\\n", end: "10:00"}\n'), "invalid hour format '09:00\n'", 7),
    ],
)
def test_validation_errors(data: bytes, detail: str, line: int) -> None:
    result = check_policy(data)
    assert result.stage == "validate"
    assert result.error.detail == detail
    assert result.error.line == line
    assert str(result.error) == "validation error: " + detail
    assert result.policy is not None


@pytest.mark.parametrize(
    "conditions",
    [
        "      time: {}\n",  # an empty time window still counts as a condition in Go
        "      users: [alice]\n",
        "      time:\n        timezone: UTC\n        hours: {start: '00:00', end: '23:59'}\n",
        "      time:\n        timezone: Local\n",
        "      time:\n        timezone: America/New_York\n        days: [sunday]\n",
        "      profiles: [dev]\n      mode: [sever]\n      device: {allowed_os_types: [beos]}\n",  # Go does not check these
    ],
)
def test_valid_policies(conditions: str) -> None:
    validate_policy(parse_policy(rule(conditions=conditions)))


def test_every_effect_is_valid() -> None:
    for effect in ("allow", "deny", "require_approval", "require_server", "require_server_session"):
        validate_policy(parse_policy(rule().replace(b"effect: allow", b"effect: " + effect.encode())))


# ---------------------------------------------------------------------------
# Lint


def lint(data: bytes) -> list[Finding]:
    result = check_policy(data)
    assert result.ok, result.error
    assert list(result.warnings) == lint_policy(data, result.policy)
    return list(result.warnings)


def test_lint_allow_before_deny() -> None:
    data = b"""version: "1"
rules:
  - name: a
    effect: allow
    conditions: {users: [x]}
  - name: b
    effect: deny
    conditions: {profiles: [p]}
"""
    assert lint(data) == [Finding(3, "allow rule 'a' at index 0 precedes deny rule 'b' for same profiles", LINT_ALLOW_BEFORE_DENY)]


def test_lint_unreachable_rule() -> None:
    data = b"""version: "1"
rules:
  - {name: a, effect: deny, conditions: {profiles: [p]}}
  - {name: b, effect: deny, conditions: {profiles: [p], users: [u]}}
"""
    assert lint(data) == [Finding(4, "rule 'b' at index 1 is unreachable (shadowed by rule 'a' at index 0)", LINT_UNREACHABLE_RULE)]


def test_lint_overlapping_time_windows() -> None:
    data = b"""version: "1"
rules:
  - {name: a, effect: allow, conditions: {time: {days: [monday], hours: {start: '09:00', end: '17:00'}}}}
  - {name: b, effect: deny, conditions: {time: {days: [monday], hours: {start: '16:00', end: '18:00'}}}}
  - {name: c, effect: deny, conditions: {time: {days: [monday], hours: {start: '17:00', end: '18:00'}}}}
"""
    found = lint(data)
    assert Finding(3, "rules 'a' and 'b' have overlapping time windows with different effects", LINT_OVERLAPPING_TIME_WINDOWS) in found
    assert not any("'a' and 'c'" in f.message for f in found)
    assert [f.code for f in found].count(LINT_ALLOW_BEFORE_DENY) == 1


def test_lint_in_go_order_then_ours() -> None:
    data = b"""version: "1"
rules:
  - {name: a, effect: allow, conditions: {users: [x], time: {}}}
  - {name: b, effect: allow, conditions: {users: [x], profiles: [p]}}
  - {name: c, effect: deny, conditions: {profiles: [p], time: {}}, efect: x}
"""
    codes = [f.code for f in lint(data)]
    assert codes == [
        LINT_ALLOW_BEFORE_DENY, LINT_ALLOW_BEFORE_DENY, LINT_OVERLAPPING_TIME_WINDOWS, LINT_UNKNOWN_KEY,
    ]


@pytest.mark.parametrize(
    ("extra_line", "key", "suggestion"),
    [
        ("    efect: deny\n", "efect", "effect"),
        ("    Reason: x\n", "Reason", "reason"),
        ("    max-server-duration: 1h\n", "max-server-duration", "max_server_duration"),
        ("    sesion_table: t\n", "sesion_table", "session_table"),
        ("    profiles: [prod]\n", "profiles", "conditions.profiles"),
        ("    days: [monday]\n", "days", "conditions.time.days"),
        ("    require_mdm: true\n", "require_mdm", "conditions.device.require_mdm"),
    ],
)
def test_unknown_key_warning_with_suggestion_and_line(extra_line: str, key: str, suggestion: str) -> None:
    found = lint(rule(extra_line))
    assert Finding(5, f"unknown key '{key}' is ignored by Sentinel (did you mean '{suggestion}'?)", LINT_UNKNOWN_KEY) in found


def test_unknown_keys_at_every_level() -> None:
    data = b"""version: "1"
verison: "1"
rules:
  - name: r
    effect: allow
    conditions:
      profile: [dev]
      users: [u]
      time:
        day: [monday]
        hours: {start: '09:00', end: '10:00', stop: '11:00'}
      device: {require_mfa: true}
    xyzzy: 1
"""
    found = [(f.line, f.message) for f in lint(data) if f.code == LINT_UNKNOWN_KEY]
    assert found == [
        (2, "unknown key 'verison' is ignored by Sentinel (did you mean 'version'?)"),
        (7, "unknown key 'profile' is ignored by Sentinel (did you mean 'profiles'?)"),
        (10, "unknown key 'day' is ignored by Sentinel (did you mean 'days'?)"),
        (11, "unknown key 'stop' is ignored by Sentinel"),
        (12, "unknown key 'require_mfa' is ignored by Sentinel (did you mean 'require_mdm'?)"),
        (13, "unknown key 'xyzzy' is ignored by Sentinel"),
    ]


def test_unknown_key_warnings_even_when_rejected() -> None:
    result = check_policy(b"version: '1'\nrules:\n  - name: r\n    efect: allow\n    conditions: {users: [u]}\n")
    assert result.stage == "validate" and result.error.detail == "invalid effect '' in rule 'r'"
    assert [f.code for f in result.warnings] == [LINT_UNKNOWN_KEY]
    parse_failed = check_policy(b"version: '1'\nrules: 5\nefect: 1\n")
    assert parse_failed.stage == "parse" and [f.line for f in parse_failed.warnings] == [3]


def test_lint_unknown_mode_and_invalid_device() -> None:
    found = lint(rule(conditions="      profiles: [dev]\n      mode: [cli, sever]\n      device:\n        min_os_version: '14_0'\n"))
    assert Finding(7, "rule 'r' has unknown mode 'sever': it never matches (modes are server, cli, credential_process)", LINT_UNKNOWN_MODE) in found
    assert Finding(9, "rule 'r': min_os_version contains invalid characters", LINT_INVALID_DEVICE) in found
    found = lint(rule(conditions="      profiles: [dev]\n      device: {allowed_os_types: [Linux, beos]}\n"))
    assert [f.message for f in found] == [
        "rule 'r': allowed_os_types contains unknown OS type: beos; valid types are: darwin, windows, linux"
    ]
    found = lint(rule(conditions="      profiles: [dev]\n      device: {min_os_version: abc}\n"))
    assert [f.message for f in found] == ["rule 'r': min_os_version must contain at least one digit"]


def test_lint_too_large() -> None:
    data = rule("    reason: " + "x" * MAX_POLICY_BYTES + "\n")
    assert [f.code for f in lint(data)] == [LINT_TOO_LARGE]
    assert lint(VALID) == []


# ---------------------------------------------------------------------------
# Normalise (Go's yaml.Marshal of the struct)

PRODUCTION_NORMALIZED = """version: "1"
rules:
    - name: prod-oncall-breakglass-window
      effect: require_approval
      conditions:
        profiles:
            - production
        users:
            - oncall-primary
            - oncall-secondary
      reason: Production access outside the window needs an approver
    - name: prod-business-hours
      effect: require_server_session
      conditions:
        profiles:
            - production
        time:
            days:
                - monday
                - tuesday
                - wednesday
                - thursday
                - friday
            hours:
                start: "09:00"
                end: "18:00"
            timezone: Europe/Berlin
      reason: Tracked server sessions during business hours
      max_server_duration: 1h0m0s
      session_table: sentinel-sessions
    - name: prod-default-deny
      effect: deny
      conditions:
        profiles:
            - production
      reason: Production is closed otherwise
"""


def test_normalize_matches_go_marshal() -> None:
    assert normalize_policy(parse_policy(CORPUS["production.yaml"])) == PRODUCTION_NORMALIZED
    assert normalize_policy(parse_policy(CORPUS["yaml12-words.yaml"])) == (
        'version: "1"\nrules:\n    - name: "no"\n      effect: allow\n      conditions:\n'
        '        profiles:\n            - "on"\n            - "off"\n'
    )


@pytest.mark.parametrize(
    ("reason", "emitted"),
    [
        ("plain text", "reason: plain text"),
        ('"1.0"', 'reason: "1.0"'),
        ('"12:30"', 'reason: "12:30"'),
        ('"null"', 'reason: "null"'),
        ('"- x"', "reason: '- x'"),
        ('"a: b"', "reason: 'a: b'"),
        ('"it\'s: x"', "reason: 'it''s: x'"),
        ('"trailing "', "reason: 'trailing '"),
        ('" lead"', "reason: ' lead'"),
        ('"a\\tb"', 'reason: "a\\tb"'),
        ('"\\U0001F600"', 'reason: "\\U0001F600"'),
        ('"two\\nlines"', "reason: |-\n        two\n        lines"),
        ('"end\\n"', "reason: |\n        end"),
    ],
)
def test_normalize_scalar_styles(reason: str, emitted: str) -> None:
    text = normalize_policy(parse_policy(rule(f"    reason: {reason}\n")))
    assert "\n      " + emitted + "\n" in text


def test_normalize_empty_collections_and_meaning_diff() -> None:
    text = normalize_policy(parse_policy(rule("    conditions: {time: {}}\n", conditions=None)))
    assert text.endswith("      conditions:\n        time: {}\n")
    text = normalize_policy(parse_policy(b"version: '1'\nrules: []\n"))
    assert text == 'version: "1"\nrules: []\n'
    reformatted = b"# a comment\nrules:\n- conditions:\n    profiles:\n    - dev\n  name: r\n  effect: allow\nversion: \"1\"\n"
    assert normalize_policy(parse_policy(reformatted)) == normalize_policy(parse_policy(VALID))
    assert normalize_policy(parse_policy(normalize_policy(parse_policy(CORPUS["production.yaml"])))) == PRODUCTION_NORMALIZED


def test_go_quote() -> None:
    assert go_quote('ef"fect\\') == '"ef\\"fect\\\\"'
    assert go_quote("a\tb\x01\x7f\u00e9\u200b\U0001f600") == '"a\\tb\\x01\\x7fé\\u200b😀"'


# ---------------------------------------------------------------------------
# Robustness: bad input is a PolicyError, never anything else, and never slow


@pytest.mark.parametrize(
    "data",
    [
        b"[" * 5000 + b"]" * 5000,
        b"{a: " * 3000 + b"}" * 3000,
        b"".join(b" " * i + b"- \n" for i in range(800)),
        b"version: '1'\nrules:\n- name: " + b"x" * 10000 + b"\n",
        b"a: &a [" + b"x, " * 1000 + b"]\n" + b"".join(b"b%d: *a\n" % i for i in range(500)),
        b"version: !!binary " + b"A" * 10001 + b"\n",
        bytes(range(256)),
        b"version: '1'\n" + b"\x00" * 100,
        b"\xff\xfe\x00",
        b"---\n" * 1000,
        b"".join([b"m0: &m0 {name: x}\n"] + [b"m%d: &m%d {<<: *m%d}\n" % (i, i, i - 1) for i in range(1, 1500)])
        + b'version: "1"\nrules: [*m1499]\n',
    ],
)
def test_hostile_inputs(data: bytes) -> None:
    result = check_policy(data)  # finishing at all is the point: pytest-timeout guards a hang
    assert isinstance(result, PolicyCheck)
    if result.error is not None:
        assert "internal error" not in result.error.detail
        with pytest.raises(PolicyError):
            parse_policy(data) if result.stage == "parse" else validate_policy(parse_policy(data))


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _never_raises(data: bytes | str) -> PolicyCheck:
    result = check_policy(data)
    assert isinstance(result, PolicyCheck)
    assert result.ok == (result.error is None)
    if result.error is not None:
        assert result.error.stage in ("parse", "validate")
        assert "internal error" not in result.error.detail
        assert str(result.error).startswith(("parse error: ", "validation error: "))
    else:
        normalize_policy(result.policy)
    return result


@FUZZ
@given(st.text(alphabet=st.characters(), max_size=300))
def test_check_policy_never_raises_on_text(text: str) -> None:
    _never_raises(text)


@FUZZ
@given(st.binary(max_size=300))
def test_check_policy_never_raises_on_bytes(data: bytes) -> None:
    _never_raises(data)


YAMLISH = st.sampled_from(
    [":", " ", "-", "\n", "  ", "[", "]", "{", "}", ",", '"', "'", "#", "&a ", "*a", "!!str ", "\t", "~", "? ",
     "<<: ", "|", ">", "!!binary ", "%YAML 1.1\n", "---\n", "...\n", "\x85", "\u2028", "\ufeff", "\x00"]
)


@st.composite
def mutated_corpus(draw: st.DrawFn) -> bytes:
    data = bytearray(CORPUS[draw(st.sampled_from(sorted(CORPUS)))])
    for _ in range(draw(st.integers(1, 5))):
        pos = draw(st.integers(0, len(data)))
        if draw(st.booleans()) and data:
            del data[min(pos, len(data) - 1)]
        else:
            data[pos:pos] = draw(YAMLISH).encode()
    return bytes(data)


@FUZZ
@given(mutated_corpus())
def test_check_policy_never_raises_on_mutated_corpus(data: bytes) -> None:
    _never_raises(data)


VALID_NAMES = [name for name, e in EXPECTED.items() if e["rejected_at"] is None]
KEY_LINE = re.compile(r"^(\s*)(- )?([a-z_]+):")


@FUZZ
@given(st.sampled_from(VALID_NAMES), st.data())
def test_a_duplicated_key_is_always_rejected(name: str, data: st.DataObject) -> None:
    lines = CORPUS[name].decode().split("\n")
    candidates = [i for i, line in enumerate(lines) if KEY_LINE.match(line)]
    i = data.draw(st.sampled_from(candidates))
    m = KEY_LINE.match(lines[i])
    copy = lines[i]
    if m.group(2):  # "- key:" starts a sequence item: repeat the key inside that item
        copy = m.group(1) + "  " + lines[i][len(m.group(1)) + 2 :]
    mutated = "\n".join(lines[: i + 1] + [copy] + lines[i + 1 :])
    result = check_policy(mutated)
    assert result.stage == "parse"
    assert f'mapping key "{m.group(3)}" already defined at line {i + 1}' in result.error.detail


LIST_FIELD = re.compile(r"^(\s*)(profiles|users|days|mode|allowed_os_types): \[([^\],]+)[^\]]*\]$")


@FUZZ
@given(st.sampled_from(VALID_NAMES + ["capitalised-day.yaml"]), st.data())
def test_a_list_replaced_by_a_scalar_is_always_rejected(name: str, data: st.DataObject) -> None:
    lines = CORPUS[name].decode().split("\n")
    candidates = [i for i, line in enumerate(lines) if LIST_FIELD.match(line)]
    assume(candidates)
    i = data.draw(st.sampled_from(candidates))
    m = LIST_FIELD.match(lines[i])
    lines[i] = f"{m.group(1)}{m.group(2)}: {m.group(3).strip()}"
    result = check_policy("\n".join(lines))
    assert result.stage == "parse"
    assert f"line {i + 1}: cannot unmarshal !!str `" in result.error.detail
    assert "into []" in result.error.detail


DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@FUZZ
@given(st.sampled_from(DAYS), st.sampled_from(DAYS), st.sampled_from(["capitalize", "upper", "typo", "plural"]))
def test_a_bad_weekday_is_always_rejected(good: str, bad: str, how: str) -> None:
    wrong = {"capitalize": bad.capitalize(), "upper": bad.upper(), "typo": bad[:-1], "plural": bad + "s"}[how]
    data = rule(conditions=f"      time:\n        days: [{good}, {wrong}]\n")
    result = check_policy(data)
    assert result.stage == "validate"
    assert result.error.detail == f"invalid weekday '{wrong}' in rule 'r'"
    assert check_policy(rule(conditions=f"      time:\n        days: [{good}, {bad}]\n")).ok
