"""Watch: metadata-only polling, one change line per status change, slower when throttled."""

from __future__ import annotations

import json
import math

import pytest

from sentinel_tui.aws.faults import error_response, on_call
from sentinel_tui.cli import main
from sentinel_tui.ops.multi import Target
from sentinel_tui.ops.watch import Watcher, calls_per_poll, default_interval

DEV = "/sentinel/policies/dev"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_change_from_outside_is_reported_and_nothing_else(ops, demo, call_counter):
    clock = Clock()
    watcher = Watcher([Target(None, ops)], interval=10, clock=clock)
    watcher.start()
    changes = []
    clock.now += 10
    calls_before = len(call_counter.calls)
    assert watcher.poll_due(changes.append, lambda t, e: pytest.fail(str(e))) == 1
    quiet = call_counter.calls[calls_before:]
    # nothing changed: versions only (DescribeParameters) and the TVM listing, no value read
    assert changes == []
    assert set(quiet) == {"ssm.DescribeParameters", "lambda.ListFunctions"}
    policies, signatures = watcher._sizes(watcher.states[0])
    # moto pages DescribeParameters by 10 whatever MaxResults says (AWS: 50, calls_per_poll's figure)
    assert quiet.count("ssm.DescribeParameters") == math.ceil(policies / 10) + math.ceil(signatures / 10)
    assert quiet.count("lambda.ListFunctions") == 1

    outside = ops.switch()  # another client, as another operator's would be
    ssm = outside.clients.client("ssm")
    ssm.put_parameter(Name=DEV, Value='version: "1"\nrules: []\n', Type="String", Overwrite=True)
    ssm.delete_parameter(Name="/sentinel/policies/readonly")
    assert watcher.poll_due(changes.append, lambda t, e: None) == 0  # not due yet
    clock.now += 10
    calls_before = len(call_counter.calls)
    watcher.poll_due(changes.append, lambda t, e: pytest.fail(str(e)))
    assert [(c.name, c.old_status, c.new_status) for c in changes] == [
        ("dev", "valid", "stale"), ("readonly", "valid", "orphan")]
    assert changes[0].version == 2 and changes[0].degraded
    assert changes[0].tvm_log.startswith(f"signature verification error for {DEV}")  # what the TVM logs on AWS
    line = changes[0].as_json()
    assert {"time", "context", "account", "region", "name", "old_status", "new_status", "tvm_log"} <= set(line)
    # values read only for what moved: the one new policy version
    reads = [c for c in call_counter.calls[calls_before:] if c.startswith("ssm.GetParameter")]
    assert reads == ["ssm.GetParameters"]


def test_throttling_slows_the_poll_and_recovery_speeds_it_up(ops, demo):
    throttled = {"on": False}
    ops.clients.add_hook(on_call("ssm", "DescribeParameters", lambda p: error_response(
        "ThrottlingException", "Rate exceeded") if throttled["on"] else None))
    clock = Clock()
    watcher = Watcher([Target(None, ops)], interval=10, clock=clock)
    watcher.start()
    state = watcher.states[0]
    errors = []
    throttled["on"] = True
    for expected in (20, 40):
        clock.now = state.due
        watcher.poll_due(lambda c: None, lambda t, e: errors.append(e))
        assert watcher.interval_for(state) == expected
    assert len(errors) == 1 and errors[0].kind == "throttled"  # each distinct error said once
    throttled["on"] = False
    clock.now = state.due
    watcher.poll_due(lambda c: None, lambda t, e: None)
    assert watcher.interval_for(state) == 20


def test_default_interval_fits_the_quota():
    assert calls_per_poll(1000, 1000) == 41
    assert default_interval(1000, 1000) == 20.5  # about 2 calls/s: a twentieth of 40 TPS
    assert default_interval(15, 12) == 5.0


def test_watch_json_prints_one_line_per_change(ops, demo, endpoint, capsys, monkeypatch):
    original = Watcher.start

    def start_then_change(self):
        original(self)
        ops.clients.client("ssm").put_parameter(Name=DEV, Value='version: "1"\nrules: []\n', Type="String", Overwrite=True)

    monkeypatch.setattr(Watcher, "start", start_then_change)
    assert main(["policy", "status", "--watch", "--json", "--interval", "0.01", "--polls", "1",
                 "--endpoint-url", endpoint, "--region", "us-east-1"]) == 0
    captured = capsys.readouterr()
    lines = [json.loads(x) for x in captured.out.splitlines()]
    assert [(x["name"], x["old_status"], x["new_status"], x["account"]) for x in lines] == [
        ("dev", "valid", "stale", "123456789012")]
    assert "Watching" in captured.err
