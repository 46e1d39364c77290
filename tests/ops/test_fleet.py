"""The fleet load against the seeded demo store: every status, the verdicts, the cost."""

from __future__ import annotations

import math

import pytest

from sentinel_tui.core.status import Status, Verdict
from sentinel_tui.demo.fleet import EXPECTED_STATUS, ORPHAN_NAME
from sentinel_tui.ops.fleet import LocalState

EXPECTED = {name: Status(word) for name, word in EXPECTED_STATUS.items()}


@pytest.fixture
def snapshot(ops, demo):
    return ops.fleet.load()


def by_name(snapshot):
    return {e.name: e for e in snapshot.entries.values()}


def test_demo_fleet_shows_every_status(snapshot):
    entries = by_name(snapshot)
    assert snapshot.complete and snapshot.error is None
    for name, status in EXPECTED.items():
        assert entries[name].status is status, (name, entries[name].assessment.reason)
    assert {e.status for e in entries.values() if e.status} == set(Status)
    assert len([e for e in entries.values() if e.policy is not None]) >= 12


def test_verdicts_follow_the_tvm_steps(snapshot):
    entries = by_name(snapshot)
    prod = entries["production"].assessment.tvm
    assert prod.kind is Verdict.ISSUES and prod.text == "issues credentials"
    sandbox = entries["sandbox"].assessment.tvm
    assert sandbox.kind is Verdict.DENIES
    assert sandbox.text.startswith("denies: /sentinel/policies/sandbox: the signature does not verify")
    # On AWS the TVM logs KMS's 400 KMSInvalidSignatureException, not moto's verdict (section 4.1).
    assert sandbox.log.endswith("RequestID: <request-id>, KMSInvalidSignatureException: ")
    assert entries["qa"].assessment.tvm.text.startswith(
        "denies: failed to parse signature for /sentinel/policies/qa:")
    # With the settings' default key (enforcement on by default), an unsigned policy is denied.
    assert entries["staging"].tvms and not entries["staging"].tvms[0].enforcing  # "TRUE" is not "true"
    assert entries["staging"].assessment.tvm.kind is Verdict.UNVERIFIED
    assert entries["staging"].assessment.tvm.text == "loads unverified (warning)"
    assert entries[ORPHAN_NAME].assessment.tvm.text == f"denies: /sentinel/policies/{ORPHAN_NAME}: policy not found"
    assert entries["legacy"].assessment.tvm.text.startswith("denies: yaml:")
    assert entries["team/security"].assessment.tvm.log.endswith("KMSInvalidSignatureException: ")


def test_local_folder_states(snapshot):
    entries = by_name(snapshot)
    assert entries["production"].local is LocalState.SAME
    assert entries["dev"].local is LocalState.DIFFERS
    assert entries["team/newteam"].local is LocalState.LOCAL_ONLY and not entries["team/newteam"].remote
    assert entries["sandbox"].local is LocalState.REMOTE_ONLY


def test_load_costs_two_listings_per_ten_and_one_key_fetch_per_key(ops, demo, call_counter):
    snap = ops.fleet.load()
    policies = sum(1 for e in snap.entries.values() if e.policy is not None or e.policy_error)
    signatures = sum(1 for e in snap.entries.values() if e.signature is not None)
    listings = call_counter.count("ssm.GetParametersByPath")
    assert listings <= math.ceil(policies / 10) + math.ceil(signatures / 10) + 2  # +1 empty last page each
    assert call_counter.count("kms.Verify") == 0
    assert call_counter.count("kms.Sign") == 0
    keys = {"alias/sentinel-policy-signing", "alias/sentinel-legacy-signing"}
    assert call_counter.count("kms.GetPublicKey") == len(keys)


def test_rows_stream_before_the_load_ends(ops, demo):
    batches = []
    ops.fleet.load(on_update=lambda entries: batches.append(len(entries)))
    assert len(batches) >= 2  # the table fills page by page


def test_refresh_unchanged_reads_no_values(ops, demo, call_counter):
    snap = ops.fleet.load()
    before = len(call_counter.calls)
    again = ops.fleet.refresh(snap)
    calls = call_counter.calls[before:]
    assert not [c for c in calls if c in ("ssm.GetParameters", "ssm.GetParameter", "ssm.GetParametersByPath")]
    assert "ssm.DescribeParameters" in calls
    assert {p: e.status for p, e in again.entries.items()} == {p: e.status for p, e in snap.entries.items()}


def test_refresh_rereads_only_what_changed(ops, demo, call_counter):
    snap = ops.fleet.load()
    ops.store.put("/sentinel/policies/dev", "version: \"1\"\nrules: []\n# changed\n")
    before = len(call_counter.calls)
    again = ops.fleet.refresh(snap)
    calls = call_counter.calls[before:]
    assert calls.count("ssm.GetParameters") == 1
    dev = by_name(again)["dev"]
    assert dev.status is Status.STALE and dev.policy.version == 2


def test_listing_failure_part_way_marks_the_snapshot_partial(ops, demo):
    from botocore.exceptions import EndpointConnectionError

    from sentinel_tui.aws.faults import on_call

    def drop_second_signature_page(params):
        if params.get("Path", "").startswith("/sentinel/signatures") and params.get("NextToken"):
            raise EndpointConnectionError(endpoint_url=ops.settings.endpoint_url)

    ops.clients.add_hook(on_call("ssm", "GetParametersByPath", drop_second_signature_page))
    snap = ops.fleet.load()
    assert not snap.complete
    assert snap.error is not None and snap.error.kind in ("endpoint-unreachable", "connection-dropped")
    assert snap.entries  # what arrived is kept
    assert any(e.pending for e in snap.entries.values())


def test_rows_keep_the_checks_verdict_not_the_parsed_model_which_is_parsed_again_on_demand(snapshot):
    """A parsed policy model holds ~13 KB: thousands of rows must not keep one each. What a row
    shows (status, error, warnings) stays; `policy_check()` gives a view the whole check."""
    from sentinel_tui.core.policy import check_policy

    checked = [e for e in snapshot.entries.values() if e.assessment is not None and e.assessment.check is not None]
    assert len(checked) >= 10
    for entry in checked:
        kept = entry.assessment.check
        assert kept.policy is None
        fresh = check_policy(entry.policy.data)
        assert (kept.error, kept.warnings) == (fresh.error, fresh.warnings)
        assert entry.policy_check() == fresh
    assert any(e.policy_check().policy is not None for e in checked)
    assert any(e.policy_check().error is not None for e in checked)  # the demo has broken policies


def test_the_listings_do_not_wait_for_the_tvm_discovery(ops, demo):
    """Against AWS each call waits tens of milliseconds: the listings' first pages are asked for
    while ListFunctions is still on its way, not after it."""
    import threading

    from sentinel_tui.aws.faults import on_call

    listing = threading.Event()
    seen_while_discovering = []
    ops.clients.add_hook(on_call("ssm", "GetParametersByPath", lambda params: listing.set()))
    ops.clients.add_hook(on_call("lambda", "ListFunctions",
                                 lambda params: seen_while_discovering.append(listing.wait(10)) and None))
    snap = ops.fleet.load()
    assert snap.complete and snap.error is None
    assert seen_while_discovering and seen_while_discovering[0] is True
    assert {e.name: e.status for e in snap.entries.values()}["production"] is Status.VALID


def test_a_listing_that_fails_first_still_shows_what_the_other_one_reads(ops, demo):
    """The signature listing fails before the policy listing's first page arrives (the order two
    threads can take on a loaded machine): the policies read afterwards are still kept, pending."""
    import time

    from botocore.exceptions import EndpointConnectionError

    from sentinel_tui.aws.faults import on_call

    def slow_policies_failing_signatures(params):
        if params.get("Path", "").startswith("/sentinel/signatures"):
            raise EndpointConnectionError(endpoint_url=ops.settings.endpoint_url)
        time.sleep(0.3)  # the policies' page comes after the failure

    ops.clients.add_hook(on_call("ssm", "GetParametersByPath", slow_policies_failing_signatures))
    snap = ops.fleet.load()
    assert not snap.complete and snap.error is not None
    assert snap.entries and all(e.pending for e in snap.entries.values())
