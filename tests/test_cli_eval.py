"""`sentinel-tui policy eval`: one request, a batch, and what the TVM does."""

from __future__ import annotations

import json

import pytest

from sentinel_tui.cli import main

POLICY = b"""version: "1"
rules:
  - name: night
    effect: deny
    conditions:
      profiles: [prod]
      time: {hours: {start: "22:00", end: "06:00"}, timezone: Europe/Berlin}
  - name: work
    effect: allow
    conditions:
      profiles: [prod]
      users: [alice]
      time: {days: [monday], hours: {start: "09:00", end: "18:00"}, timezone: Europe/Berlin}
    max_server_duration: 1h
  - name: approval
    effect: require_approval
    conditions: {users: [bob]}
  - name: tracked
    effect: require_server_session
    conditions: {users: [carol]}
    session_table: rule-table
"""


def run(capsys, *args):
    code = main(["policy", "eval", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_why_alice_was_denied_at_21(tmp_path, capsys):
    p = tmp_path / "p.yaml"
    p.write_bytes(POLICY)
    code, out, _ = run(capsys, str(p), "--user", "alice", "--profile", "prod", "--time", "2026-03-02 21:00 Europe/Berlin")
    assert code == 0
    assert "Decision: DENY (no matching rule)" in out
    # each rule's first failing condition, with the time in the rule's zone
    assert "0 no    night [deny]: hours: Mon 2026-03-02 21:00 Europe/Berlin is outside hours 22:00\u201306:00" in out
    assert "never matches" in out
    assert "1 no    work [allow]: hours: Mon 2026-03-02 21:00 Europe/Berlin is outside hours 09:00\u201318:00" in out
    assert "What the TVM does: REFUSES" in out


def test_require_approval_is_loudly_not_enforced(tmp_path, capsys):
    p = tmp_path / "p.yaml"
    p.write_bytes(POLICY)
    code, out, _ = run(capsys, str(p), "--user", "bob", "--profile", "dev", "--time", "2026-03-02T10:00:00Z",
                       "--mode", "cli")
    assert code == 0
    assert "Decision: REQUIRE_APPROVAL by rule 'approval' (index 2)" in out
    assert "What the TVM does: ISSUES credentials" in out
    assert "WARNING: NOT ENFORCED" in out


def test_the_tvm_asks_in_server_mode_with_its_own_session_table(tmp_path, capsys):
    p = tmp_path / "p.yaml"
    p.write_bytes(POLICY)
    # the operator's own request (server mode, its own session table) is allowed ...
    code, out, _ = run(capsys, str(p), "--user", "carol", "--profile", "dev", "--time", "2026-03-02T10:00:00Z",
                       "--mode", "server", "--session-table", "mine", "--json")
    doc = json.loads(out)
    assert doc["decision"]["effect"] == "allow"
    # ... but the TVM has no session table: it refuses
    assert doc["tvm"]["decision"]["effect"] == "deny"
    assert doc["tvm"]["decision"]["requires_session_tracking"] is True
    assert doc["tvm"]["action"] == "refuses"
    code, out, _ = run(capsys, str(p), "--user", "carol", "--profile", "dev", "--time", "2026-03-02T10:00:00Z",
                       "--tvm-session-table", "sessions", "--json")
    assert json.loads(out)["tvm"]["action"] == "issues"


def test_batch_writes_one_decision_per_line(tmp_path, capsys):
    p = tmp_path / "p.yaml"
    p.write_bytes(POLICY)
    reqs = tmp_path / "r.jsonl"
    reqs.write_text(
        json.dumps({"id": "a", "user": "alice", "profile": "prod", "time": "2026-03-02T08:00:00.5Z",
                    "mode": "server", "session_table": "", "device": None}) + "\n\n"
        + json.dumps({"id": 7, "user": "bob", "profile": "x", "time": "2026-03-02T08:00:00Z", "mode": "cli",
                      "session_table": "", "device": None}) + "\n")
    code, out, _ = run(capsys, str(p), "--requests", str(reqs))
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines == [
        {"id": "a", "effect": "allow", "rule": "work", "rule_index": 1, "reason": "", "requires_server_mode": False,
         "requires_session_tracking": False, "max_server_duration": "1h0m0s", "session_table": ""},
        {"id": 7, "effect": "require_approval", "rule": "approval", "rule_index": 2, "reason": "",
         "requires_server_mode": False, "requires_session_tracking": False, "max_server_duration": "0s",
         "session_table": ""},
    ]


def test_a_policy_that_does_not_parse_exits_1_with_no_decisions(tmp_path, capsys):
    p = tmp_path / "p.yaml"
    p.write_bytes(b'version: "1"\nrules:\n  - name: a\n    effect: allow\n    effect: deny\n')
    reqs = tmp_path / "r.jsonl"
    reqs.write_text('{"id":1,"user":"a","profile":"b","time":"2026-03-02T08:00:00Z","mode":"server"}\n')
    code, out, err = run(capsys, str(p), "--requests", str(reqs))
    assert code == 1
    assert out == ""
    assert 'parse error: yaml: yaml: unmarshal errors:\n  line 5: mapping key "effect" already defined at line 4' in err


def test_a_policy_failing_validation_is_still_evaluated_as_the_tvm_does(tmp_path, capsys):
    p = tmp_path / "p.yaml"
    p.write_bytes(b'version: "1"\nrules:\n  - name: a\n    effect: audit\n    conditions: {profiles: [x]}\n')
    code, out, err = run(capsys, str(p), "--user", "u", "--profile", "x", "--time", "2026-03-02T08:00:00Z")
    assert code == 0
    assert "fails validation" in err
    assert "ISSUES credentials" in out and "'audit'" in out


def test_bad_time_and_bad_request_lines(tmp_path, capsys):
    p = tmp_path / "p.yaml"
    p.write_bytes(POLICY)
    code, _, err = run(capsys, str(p), "--user", "u", "--profile", "x", "--time", "2026-03-02 21:00")
    assert code == 2 and "no zone" in err
    reqs = tmp_path / "r.jsonl"
    reqs.write_text('{"id":1,"user":"a","profile":"b","time":"2026-03-02 08:00","mode":"server"}\nnot json\n')
    code, out, err = run(capsys, str(p), "--requests", str(reqs))
    assert code == 2
    lines = [json.loads(line) for line in out.splitlines()]
    assert [set(x) for x in lines] == [{"id", "error"}, {"id", "error"}]
    assert "line 1:" in err and "line 2:" in err


def test_device_presets_and_files(tmp_path, capsys):
    p = tmp_path / "p.yaml"
    p.write_bytes(b'version: "1"\nrules:\n  - name: mac\n    effect: allow\n    conditions:\n      profiles: [x]\n'
                  b'      device: {allowed_os_types: [darwin], require_encryption: true}\n')
    code, out, _ = run(capsys, str(p), "--user", "u", "--profile", "x", "--device", "managed-mac", "--json")
    assert json.loads(out)["decision"]["rule"] == "mac"
    posture = tmp_path / "d.json"
    posture.write_text('{"os_type": "DARWIN", "disk_encrypted": false}')
    code, out, _ = run(capsys, str(p), "--user", "u", "--profile", "x", "--device", str(posture))
    assert "device: require_encryption needs disk_encrypted true, the posture has it false" in out
    code, _, err = run(capsys, str(p), "--user", "u", "--profile", "x", "--device", "nonsense")
    assert code == 2 and "preset" in err


def test_remote_policy_uses_the_serving_tvms_configuration(ops, demo, endpoint, capsys):
    code, out, _ = run(capsys, "--remote", "production", "--endpoint-url", endpoint, "--user", "oncall-primary",
                       "--profile", "production", "--time", "2026-03-02T08:00:00Z")
    assert code == 0
    assert "sentinel-tvm-production" in out
    assert "NOT ENFORCED" in out  # require_approval issues at a Lambda TVM
    # business hours: require_server_session, and the demo TVM has no session table
    code, out, _ = run(capsys, "--remote", "production", "--endpoint-url", endpoint, "--user", "dana",
                       "--profile", "production", "--time", "2026-03-02T10:00:00+01:00", "--json")
    doc = json.loads(out)
    assert doc["decision"]["rule"] == "prod-business-hours"
    assert doc["tvm"]["source"] == "sentinel-tvm-production"
    assert doc["tvm"]["action"] == "refuses"
    assert any("session table" in w for w in doc["tvm"]["warnings"])


def test_remote_policy_that_does_not_exist_is_a_clear_error(ops, demo, endpoint, capsys):
    code, out, err = run(capsys, "--remote", "nope", "--endpoint-url", endpoint, "--user", "u", "--profile", "p")
    assert code == 2 and out == ""
    assert "No policy is stored at /sentinel/policies/nope" in err



def test_remote_policy_when_the_tvms_cannot_be_listed_is_decided_with_a_note(ops, demo, endpoint, capsys,
                                                                            monkeypatch):
    """A denied lambda:ListFunctions does not stop the decision: it is said, and a default TVM assumed."""
    from sentinel_tui.aws import faults
    from sentinel_tui.ops import context

    original = context.Ops.from_settings.__func__

    def with_fault(cls, settings, **kw):
        made = original(cls, settings, **kw)
        made.clients.add_hook(faults.deny("lambda", "ListFunctions",
                                          "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: "
                                          "lambda:ListFunctions"))
        return made

    monkeypatch.setattr(context.Ops, "from_settings", classmethod(with_fault))
    code, out, err = run(capsys, "--remote", "production", "--endpoint-url", endpoint, "--user", "oncall-primary",
                         "--profile", "production", "--time", "2026-03-02T08:00:00Z")
    assert code == 0
    assert "note: the TVMs could not be listed (" in err and "a Lambda TVM with defaults is assumed" in err
    assert "sentinel-tvm-production" not in out and "none found serving it" in out

@pytest.mark.parametrize("content,needle", [
    (b"", "parse error: empty policy"),
    (b'version: "1"\nrules: []\n\x00', "parse error: yaml: yaml: control characters are not allowed"),
])
def test_bytes_go_refuses_are_parse_errors_exit_1(tmp_path, capsys, content, needle):
    p = tmp_path / "p.yaml"
    p.write_bytes(content)
    reqs = tmp_path / "r.jsonl"
    reqs.write_text('{"id":1,"user":"a","profile":"b","time":"2026-03-02T08:00:00Z","mode":"server"}\n')
    code, out, err = run(capsys, str(p), "--requests", str(reqs))
    assert code == 1 and out == "" and needle in err


def test_a_utf16_policy_is_evaluated_as_the_tvm_reads_it(tmp_path, capsys):
    p = tmp_path / "p.yaml"
    p.write_bytes(b"\xff\xfe" + 'version: "1"\nrules:\n  - name: a\n    effect: allow\n'.encode("utf-16-le"))
    code, out, _ = run(capsys, str(p), "--user", "u", "--profile", "x", "--time", "2026-03-02T08:00:00Z", "--json")
    assert code == 0 and json.loads(out)["decision"]["rule"] == "a"
