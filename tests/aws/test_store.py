"""The parameter store's answers as the fleet keeps them."""

from __future__ import annotations


def test_listed_parameters_share_one_zone_object_and_keep_their_time(ops, demo):
    """botocore gives every timestamp a zone object of its own; a fleet keeps thousands of them,
    so the store hands back one shared zone (same instant, same offset)."""
    from sentinel_tui.core.paths import signature_root

    listed = [p for root in (ops.settings.policy_root, signature_root(ops.settings.policy_root))
              for page in ops.store.list_values(root, decrypt=False) for p in page]
    zones = {id(p.last_modified.tzinfo) for p in listed if p.last_modified is not None}
    assert len(listed) >= 10 and len(zones) == 1
    raw = ops.clients.client("ssm").get_parameter(Name=listed[0].name)["Parameter"]["LastModifiedDate"]
    assert listed[0].last_modified == raw and listed[0].last_modified.utcoffset() == raw.utcoffset()
