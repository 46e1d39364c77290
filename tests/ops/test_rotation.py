"""Key rotation: which demo policies would fail if the TVM switched keys now; one GetPublicKey, no write."""

from __future__ import annotations

import json

import pytest

from sentinel_tui.aws.errors import SentinelError
from sentinel_tui.cli import main
from sentinel_tui.demo.fleet import LEGACY_ALIAS, ORPHAN_NAME, SIGNING_ALIAS
from sentinel_tui.ops.rotation import rotation_lines, rotation_report


@pytest.fixture
def snapshot(ops, demo):
    return ops.fleet.load()


def rows_by_name(rows):
    return {r.entry.name: r for r in rows}


def test_switching_to_the_legacy_key(ops, snapshot, call_counter):
    fresh = ops.switch()  # no public key cached yet
    counter = type(call_counter)()
    fresh.clients.add_hook(counter)
    rows = rows_by_name(rotation_report(fresh, snapshot, LEGACY_ALIAS))
    # the key's state once (KMS refuses a key that is not Enabled) and one public key for the whole
    # fleet; no Verify, no write
    assert counter.calls == ["kms.DescribeKey", "kms.GetPublicKey"]

    security = rows["team/security"]
    assert security.ok is True and "the switch fixes it" in security.reason
    prod = rows["production"]
    assert prod.ok is False and "verifies with today's key" in prod.reason and prod.entry.tvms
    assert f"re-sign it with {LEGACY_ALIAS}" in prod.reason
    assert rows["staging"].ok is False and "unsigned" in rows["staging"].reason
    assert rows["team/data/analytics"].ok is False and "changed after signing" in rows["team/data/analytics"].reason
    assert rows["qa"].ok is False and "does not parse" in rows["qa"].reason
    assert rows["bulk"].ok is False and "4,096" in rows["bulk"].reason
    assert rows[ORPHAN_NAME].ok is False
    assert rows["team/finance"].ok is None
    assert "team/newteam" not in rows  # local only: no TVM reads it

    text = "\n".join(rotation_lines(list(rows.values()), LEGACY_ALIAS))
    assert "1 would verify" in text and "one TVM at a time" in text


def test_staying_on_the_current_key_matches_the_statuses(ops, snapshot):
    rows = rows_by_name(rotation_report(ops, snapshot, SIGNING_ALIAS))
    assert rows["production"].ok is True and rows["dev"].ok is True
    assert rows["team/security"].ok is False
    assert rows["legacy"].ok is False and "cannot parse" in rows["legacy"].reason


def test_a_key_that_cannot_verify_is_refused_before_any_policy(ops, snapshot):
    kms = ops.clients.client("kms")
    sym = kms.create_key(KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    with pytest.raises(SentinelError) as err:
        rotation_report(ops, snapshot, sym)
    assert err.value.kind == "key-usage"
    with pytest.raises(SentinelError) as err:
        rotation_report(ops, snapshot, "alias/does-not-exist")
    assert err.value.kind == "not-found"


def test_cli_keys_rotation(ops, demo, endpoint, capsys):
    assert main(["keys", "rotation", LEGACY_ALIAS, "--endpoint-url", endpoint, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    by = {p["name"]: p for p in data["policies"]}
    assert by["team/security"]["ok"] is True and by["production"]["ok"] is False
    assert by["production"]["served_by"] == ["sentinel-tvm-production"]
