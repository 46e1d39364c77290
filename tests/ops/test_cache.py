"""The fleet cache: a warm start shows the fleet as last seen, then confirms it with metadata only.

End states checked against a fresh load of the same store: the confirmed fleet has the
statuses a load finds; nothing changed costs no value read; a moved version is read
again (and only it); the file is private and holds no policy or signature; a change
of the TVMs' configuration, or another root, never serves a stale entry.
"""

from __future__ import annotations

import json
import stat

from sentinel_tui import cachefile
from sentinel_tui.core.paths import signature_path
from sentinel_tui.ops import cache
from sentinel_tui.ops.context import Ops


class CallCounter:
    """AWS calls by operation, counted with a botocore hook on the real clients."""

    def __init__(self):
        self.calls: list[str] = []

    def __call__(self, service, client):
        client.meta.events.register("before-call.*.*", self._count)

    def _count(self, model, **kwargs):
        self.calls.append(f"{model.service_model.service_name}.{model.name}")

    def count(self, prefix: str = "") -> int:
        return sum(1 for c in self.calls if c.startswith(prefix))

VALUE_READS = ("ssm.GetParameter", "ssm.GetParametersByPath")  # GetParameter covers GetParameters too


def fresh_ops(ops: Ops) -> tuple[Ops, CallCounter]:
    """A second launch: new clients on the same store, its calls counted."""
    counter = CallCounter()
    again = Ops.from_settings(ops.settings, audit=ops.audit, hooks=[*ops.clients.hooks, counter])
    return again, counter


def statuses(snapshot) -> dict[str, tuple]:
    return {path: (e.status, e.local, e.policy.version if e.policy else None,
                   e.signature.version if e.signature else None) for path, e in snapshot.entries.items()}


def test_warm_start_confirms_with_metadata_only_and_rereads_only_what_moved(ops, demo, tmp_path):
    first = ops.fleet.load()
    assert first.complete and first.entries
    assert cache.save(ops, first)

    # The file: private, and no policy body, signature or envelope in it.
    key = cache.cache_key(ops.clients.identity().account, ops.settings, ops.clients.region)
    path = cachefile.cache_path(key)
    assert str(path).startswith(str(tmp_path / "cache"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    for entry in first.entries.values():
        if entry.policy is not None and entry.policy.value and len(entry.policy.value) > 40:
            assert entry.policy.value not in text and json.dumps(entry.policy.value) not in text
        if entry.signature is not None and entry.signature.value:
            assert entry.signature.value not in text and json.dumps(entry.signature.value) not in text
            assert entry.assessment.envelope is None or \
                entry.assessment.envelope.signature.hex() not in text

    # Second launch: the cached fleet at once (no call at all, not even STS), then its account
    # is checked and it is confirmed with metadata only.
    second, counter = fresh_ops(ops)
    shown = cache.read(second)
    assert shown is not None and shown.from_cache
    assert statuses(shown) == statuses(first)
    assert counter.calls == []
    assert cache.same_account(second, shown)
    confirmed = second.fleet.confirm(shown)
    assert not confirmed.from_cache and confirmed.complete
    assert statuses(confirmed) == statuses(first)
    assert counter.count(VALUE_READS[0]) == 0 and counter.count(VALUE_READS[1]) == 0
    assert counter.count("ssm.DescribeParameters") > 0
    assert counter.count("kms.GetPublicKey") == 0  # the public keys came from the cache

    # One policy moves: only its pair is read, and its status is what a fresh load finds.
    moved = next(e for e in first.entries.values() if e.status is not None and str(e.status) == "valid")
    ops.store.put(moved.path, moved.policy.value + "\n# edited\n")
    third, counter = fresh_ops(ops)
    shown = cache.read(third)
    assert cache.same_account(third, shown)
    confirmed = third.fleet.confirm(shown)
    truth = ops.fleet.load()
    assert statuses(confirmed) == statuses(truth)
    assert str(confirmed.entries[moved.path].status) != "valid"
    assert counter.count("ssm.GetParametersByPath") == 0
    assert counter.count("ssm.GetParameter") >= 1
    read = [c for c in counter.calls if c.startswith("ssm.GetParameter")]
    assert len(read) <= 2  # one batch, or one call per name of the pair


def test_a_changed_tvm_configuration_or_another_root_never_serves_the_cache(ops, demo):
    first = ops.fleet.load()
    assert cache.save(ops, first)
    key = cache.cache_key(ops.clients.identity().account, ops.settings, ops.clients.region)
    document = cachefile.read_cache(key)

    # The TVMs found differ from those cached (a function's key or enforcement changed): a full load.
    assert document["tvms"], "the demo has TVM functions"
    document["tvms"][0][2] = "alias/some-other-key"
    from sentinel_tui.ops.cache import tvm_fingerprint
    from sentinel_tui.core.tvm import TvmConfig

    document["tvm_fingerprint"] = tvm_fingerprint([TvmConfig(*t) for t in document["tvms"]], ops.settings)
    cachefile.write_cache(key, {k: v for k, v in document.items() if k not in ("format", "key")})
    second, counter = fresh_ops(ops)
    shown = cache.read(second)
    assert shown is not None
    confirmed = second.fleet.confirm(shown)
    assert counter.count("ssm.GetParametersByPath") > 0  # read afresh
    assert statuses(confirmed) == statuses(ops.fleet.load())

    # Another root (or account, region, endpoint, key) has its own cache: none here.
    other = Ops.from_settings(ops.settings.with_(policy_root="/elsewhere/policies"), audit=ops.audit,
                              hooks=list(ops.clients.hooks))
    assert cache.read(other) is None


def test_an_unreadable_or_foreign_cache_file_is_no_cache(ops, demo):
    first = ops.fleet.load()
    assert cache.save(ops, first)
    key = cache.cache_key(ops.clients.identity().account, ops.settings, ops.clients.region)
    path = cachefile.cache_path(key)
    path.chmod(0o644)  # readable by others: not trusted
    assert cache.read(fresh_ops(ops)[0]) is None
    path.write_text("not json")
    path.chmod(0o600)
    assert cache.read(fresh_ops(ops)[0]) is None
    assert signature_path(first.sorted_entries()[0].path)  # (paths unchanged)


def test_the_cache_is_found_before_sts_answers_and_one_kept_for_another_account_is_not_confirmed(ops, demo):
    """The account a profile reaches is known only once STS answers: the cache is found by the
    account last seen with this profile, region and endpoint, and checked afterwards. If the
    profile now reaches another account, the rows are not that account's: not confirmed, and
    their public keys (an alias names another key there) are not used."""
    first = ops.fleet.load()
    assert cache.save(ops, first)
    account = ops.clients.identity().account
    where = {"profile": "", "region": ops.clients.region, "endpoint": ops.settings.endpoint_url or ""}
    assert cachefile.read_account(where) == account

    # The same profile last reached another account (whose cache holds other rows).
    other = "999999999999"
    document = cachefile.read_cache(cache.cache_key(account, ops.settings, ops.clients.region))
    document["entries"] = document["entries"][:1]
    cachefile.write_cache(cache.cache_key(other, ops.settings, ops.clients.region),
                          {k: v for k, v in document.items() if k not in ("format", "key")})
    cachefile.write_account(where, other)
    second, counter = fresh_ops(ops)
    shown = cache.read(second)
    assert shown is not None and shown.account == other and sum(e.remote for e in shown.entries.values()) == 1
    assert counter.calls == []
    assert not cache.same_account(second, shown)
    assert counter.count("sts.GetCallerIdentity") == 1
    assert second.fleet.keys.known_public_keys() == {}
    # Confirming checks the account beside its listings: nothing is confirmed, no value read.
    assert second.fleet.confirm(shown, same_account=lambda: cache.same_account(second, shown)) is None
    assert counter.count("ssm.GetParameter") == 0 and second.fleet.keys.known_public_keys() == {}

    # After a load for the account it reaches, the pointer names it again.
    assert cache.save(second, second.fleet.load())
    assert cachefile.read_account(where) == account
    third = fresh_ops(ops)[0]
    shown = cache.read(third)
    assert shown.account == account and len(shown.entries) == len(first.entries)
    assert cache.same_account(third, shown) and third.fleet.keys.known_public_keys()
