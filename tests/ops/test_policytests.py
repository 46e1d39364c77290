"""Policy tests (NAME.tests.yaml): run by `policy test`, by push before signing, shipped in the demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentinel_tui.cli import main
from sentinel_tui.demo.fleet import LOCAL_FILES, write_local_folder
from sentinel_tui.ops.fleet import _local_names
from sentinel_tui.ops.policytests import TestsError, parse_tests, run_policy_tests_file, tests_file_for
from sentinel_tui.ops.push import PushError, plan_push

POLICY = b"""version: "1"
rules:
  - name: office
    effect: allow
    conditions:
      profiles: [prod]
      time: {days: [monday, tuesday, wednesday, thursday, friday], hours: {start: "09:00", end: "18:00"},
             timezone: Europe/Berlin}
  - name: approvals
    effect: require_approval
    conditions: {profiles: [prod], users: [oncall]}
"""

FAILING = b"""tests:
  - name: open at 09:30
    request: {user: alice, profile: prod, time: "2026-03-02 09:30 Europe/Berlin"}
    expect: allow
  - name: oncall at night gets an approval
    request: {user: oncall, profile: prod, time: "2026-03-02 21:00 Europe/Berlin"}
    expect: {effect: require_approval, rule: approvals, tvm: refuses}
  - name: alice at night
    request: {user: alice, profile: prod, time: "2026-03-02T20:30:00Z"}
    expect: {effect: allow, rule: office}
"""


@pytest.fixture
def files(tmp_path):
    policy = tmp_path / "prod.yaml"
    policy.write_bytes(POLICY)
    return policy, tmp_path / "prod.tests.yaml"


def test_the_demo_ships_passing_tests_for_production(tmp_path):
    write_local_folder(tmp_path)
    assert (tmp_path / "production.tests.yaml").is_file() and "production.tests.yaml" in LOCAL_FILES
    report = run_policy_tests_file(tmp_path / "production.yaml")
    assert report.ok and len(report.results) >= 5, report.lines()
    # the tests file is not a policy of the local folder
    assert "production.tests" not in _local_names(str(tmp_path)) and "production" in _local_names(str(tmp_path))


def test_policy_test_exit_codes_and_why_not(files, capsys):
    policy, tests = files
    tests.write_bytes(FAILING)
    assert tests_file_for(policy) == tests
    assert main(["policy", "test", str(policy)]) == 1
    out = capsys.readouterr().out
    assert "  pass  open at 09:30" in out
    assert "FAIL  oncall at night gets an approval (line 5): expected the TVM to refuse, it issues" in out
    assert "NOT ENFORCED" in out
    assert "FAIL  alice at night (line 8): expected effect 'allow', got 'deny'; expected rule 'office', got no rule" in out
    assert ("expected rule 'office' (index 0) does not match: hours: Mon 2026-03-02 21:30 Europe/Berlin is outside "
            "hours 09:00\u201318:00") in out
    assert out.rstrip().endswith("1 passed, 2 failed")
    tests.write_bytes(FAILING.split(b"  - name: oncall")[0])
    assert main(["policy", "test", str(policy), str(tests)]) == 0


@pytest.mark.parametrize("body,needle", [
    (b"tests: {}", "want a mapping with a `tests:` list"),
    (b"tests:\n  - request: {user: a, profile: b}\n    expect: deny\n", "request.time is needed"),
    (b"tests:\n  - request: {user: a, profile: b, time: '2026-03-02 10:00'}\n    expect: deny\n", "has no zone"),
    (b"tests:\n  - request: {user: a, profile: b, time: 2026-03-02T10:00:00Z, usr: x}\n    expect: deny\n",
     "unknown key(s) usr"),
    (b"tests:\n  - request: {user: a, profile: b, time: 2026-03-02T10:00:00Z}\n    expect: {tvm: maybe}\n",
     "expect.tvm is issues or refuses"),
    (b"tests:\n  - request: {user: a, profile: b, time: 2026-03-02T10:00:00Z, device: laptop}\n    expect: deny\n",
     "unknown posture preset"),
])
def test_unreadable_tests_are_an_error_not_a_pass(files, capsys, body, needle):
    policy, tests = files
    tests.write_bytes(body)
    with pytest.raises(TestsError, match=None) as caught:
        parse_tests(body, "t")
    assert needle in caught.value.what
    assert main(["policy", "test", str(policy)]) == 2
    assert needle in capsys.readouterr().err


def test_a_yaml_timestamp_and_a_posture_mapping_are_read(files):
    policy, tests = files
    cases, tvm = parse_tests(b"tvm: {session_table: s, mdm: true}\ntests:\n"
                             b"  - request: {user: a, profile: prod, time: 2026-03-02T09:30:00+01:00,\n"
                             b"              device: {os_type: darwin, disk_encrypted: true}}\n"
                             b"    expect: allow\n")
    assert cases[0].request.time.utcoffset().total_seconds() == 3600
    assert cases[0].request.device.os_type == "darwin" and cases[0].request.mode == "server"
    assert tvm.session_table == "s" and tvm.mdm_provider


def test_push_runs_the_tests_before_signing_and_stops_on_a_failure(ops, files):
    policy, tests = files
    tests.write_bytes(FAILING)
    with pytest.raises(PushError) as caught:
        plan_push(ops, "prod", policy, sign=False, key_id=None)
    assert "2 failed" in caught.value.what and "nothing was signed or written" in caught.value.what
    assert "policy test" in caught.value.fix
    assert ops.store.get("/sentinel/policies/prod") is None
    tests.write_bytes(FAILING.split(b"  - name: oncall")[0])
    plan = plan_push(ops, "prod", policy, sign=False, key_id=None, allow_unsigned=True)
    assert plan.tests is not None and plan.tests.ok
    assert any(line.startswith("tests      1 passed") for line in plan.summary())
