"""Bulk re-signing: the stored bytes only, one audited item at a time, stopping cleanly when cancelled."""

from __future__ import annotations

import pytest
from botocore.exceptions import ConnectionClosedError

from sentinel_tui.aws.faults import error_response as aws_error, on_call
from sentinel_tui.core.envelope import parse_envelope, policy_hash
from sentinel_tui.core.status import Status
from sentinel_tui.ops.bulk import CANCELLED, FAILED, OK, RUNNING, SKIPPED, resign_many
from sentinel_tui.ops.context import ReadOnlyError
from sentinel_tui.ops.push import execute_push, plan_push

BODY = b'version: "1"\nrules:\n  - name: a\n    effect: allow\n    conditions:\n      profiles: [%s]\n'
UNPARSEABLE = b'version: "1"\nrules:\n  - name: a\n    effect: allow\n    conditions:\n      profiles: dev\n'


def single_attempt(ops):
    """Same target, audit log and hooks; clients that do not retry, so a throttle fails at once.

    (max_attempts only applies to clients built after it is set.)"""
    from sentinel_tui.aws.session import Clients
    from sentinel_tui.ops.context import Ops

    clients = Clients(target=ops.clients.target, hooks=list(ops.clients.hooks), max_attempts=1)
    return Ops(settings=ops.settings, clients=clients, audit=ops.audit, clock=ops.clock)


def inject(ops, service, operation, handler):
    ops.clients.add_hook(on_call(service, operation, handler))


@pytest.fixture
def fleet(ops, signing_key, tmp_path):
    """`fresh` unsigned, `edited` stale (signed, then changed), `broken` unparseable and unsigned."""
    ops.store.put("/sentinel/policies/fresh", (BODY % b"fresh").decode())
    f = tmp_path / "edited.yaml"
    f.write_bytes(BODY % b"edited")
    execute_push(ops, plan_push(ops, "edited", f, sign=True, key_id=signing_key))
    ops.store.put("/sentinel/policies/edited", (BODY % b"edited, more").decode())
    ops.store.put("/sentinel/policies/broken", UNPARSEABLE.decode())
    return ops


def pair(ops, name):
    p = ops.store.get(f"/sentinel/policies/{name}")
    s = ops.store.get(f"/sentinel/signatures/{name}")
    return (p.version if p else None, s.value if s else None)


def test_resigns_stored_bytes_and_reports_each_item(fleet):
    seen = []
    before_versions = {n: pair(fleet, n)[0] for n in ("fresh", "edited")}
    result = resign_many(fleet, ["fresh", "edited", "broken", "missing"],
                         progress=lambda name, outcome: seen.append((name, outcome.state)))
    states = {o.name: o.state for o in result.outcomes}
    assert states == {"fresh": OK, "edited": OK, "broken": SKIPPED, "missing": SKIPPED}
    assert seen[:2] == [("fresh", RUNNING), ("fresh", OK)]
    for name in ("fresh", "edited"):
        entry = fleet.fleet.entry(name)
        assert entry.status is Status.VALID
        assert entry.policy.version == before_versions[name]  # no policy write
        assert parse_envelope(entry.signature.value).policy_hash == policy_hash(entry.policy.data)
    assert fleet.store.get("/sentinel/signatures/broken") is None
    assert result.summary() == "2 re-signed, 2 skipped of 4"
    lines = [l for l in fleet.audit.read() if l["action"] == "resign"]
    assert [l["outcome"] for l in lines] == [OK, OK, SKIPPED, SKIPPED]
    assert lines[1]["signature_version_before"] == 1 and lines[1]["signature_version"] == 2


def test_cancelling_stops_between_items(fleet):
    outcomes = []
    result = resign_many(fleet, ["fresh", "edited"], progress=lambda n, o: outcomes.append(o),
                         cancelled=lambda: any(o.state == OK for o in outcomes))
    assert result.cancelled and [o.state for o in result.outcomes] == [OK, CANCELLED]
    assert fleet.fleet.entry("edited").status is Status.STALE  # untouched
    assert "not attempted (cancelled)" in result.summary()


def test_sign_denied_fails_the_item_and_writes_nothing(fleet):
    inject(fleet, "kms", "Sign", lambda p: aws_error("AccessDeniedException", "not authorized to perform: kms:Sign"))
    before = pair(fleet, "edited")
    result = resign_many(fleet, ["edited"])
    assert result.outcomes[0].state == FAILED and "kms:Sign" in result.outcomes[0].detail
    assert pair(fleet, "edited") == before


@pytest.mark.parametrize("fault", ["throttled", "reset"])
def test_signature_write_failure_leaves_the_previous_signature(fleet, fault):
    fleet = single_attempt(fleet)

    def on_put(params):
        if params["Name"].startswith("/sentinel/signatures/"):
            if fault == "throttled":
                return aws_error("ThrottlingException", "Rate exceeded")
            raise ConnectionClosedError(endpoint_url=fleet.settings.endpoint_url)
    before = {n: pair(fleet, n) for n in ("fresh", "edited")}
    inject(fleet, "ssm", "PutParameter", on_put)
    result = resign_many(fleet, ["fresh", "edited"])
    assert [o.state for o in result.outcomes] == [FAILED, FAILED]
    assert {n: pair(fleet, n) for n in ("fresh", "edited")} == before
    assert "policy unchanged" in result.outcomes[0].ssm_state


def test_a_policy_that_moves_before_the_signature_write_is_not_signed(fleet):
    def on_sign(params):  # another writer changes the policy while KMS signs
        fleet.clients.client("ssm").put_parameter(Name="/sentinel/policies/fresh", Type="String", Overwrite=True,
                                                  Value=(BODY % b"someone-else").decode())
    inject(fleet, "kms", "Sign", on_sign)
    result = resign_many(fleet, ["fresh"])
    assert result.outcomes[0].state == FAILED and "changed" in result.outcomes[0].detail
    assert fleet.store.get("/sentinel/signatures/fresh") is None


def test_read_only_refuses_before_any_call(fleet, call_counter):
    with pytest.raises(ReadOnlyError):
        resign_many(fleet.switch(read_only=True), ["fresh"])
    assert call_counter.count("kms.Sign") == 0


def test_each_result_carries_the_status_before_and_after(fleet):
    """The result row must not show the old status beside "ok" (issue 12): it carries the new one."""
    result = resign_many(fleet, ["fresh", "edited", "broken"])
    by_name = {o.name: o for o in result.outcomes}
    assert (by_name["fresh"].status_before, by_name["fresh"].status) == (Status.UNSIGNED, Status.VALID)
    assert (by_name["edited"].status_before, by_name["edited"].status) == (Status.STALE, Status.VALID)
    assert by_name["fresh"].tvm_text == "issues credentials"
    # skipped: nothing written, so the status after is the status before
    assert by_name["broken"].state == SKIPPED
    assert by_name["broken"].status_before is by_name["broken"].status is Status.UNPARSEABLE
    # and it is what the fleet says now
    for name, outcome in by_name.items():
        assert fleet.fleet.entry(name).status is outcome.status, name
