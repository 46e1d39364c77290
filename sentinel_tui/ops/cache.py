"""Warm start: the fleet as last seen, on screen at once, then confirmed with metadata listings.

A launch on an unchanged fleet should not wait for every value again: what a user
waits for against AWS is Parameter Store's request quota (~40 reads a second), and a
metadata listing (DescribeParameters, 50 a page) costs five times fewer calls than
reading the values (GetParametersByPath, 10 a page). So the app keeps, per account,
region, endpoint, policy root and signing key, what it showed last time:

- per policy: its name, the versions and dates of the policy and of its signature, the
  policy's SHA-256 and size, its status, reason and TVM verdict, and from the envelope
  only the key id, algorithm and signing time;
- the TVMs found (ListFunctions) and a fingerprint of their configuration;
- the public keys fetched (public by nature: this saves a GetPublicKey per key).

Never a policy body, never a signature envelope or signature. The file is written
with mode 0600 in platformdirs' user cache dir (`sentinel_tui/cachefile.py`).

The account is known only once STS answers, and the cached table should not wait for
it: the cache is found by the account last seen with the same profile, region and
endpoint (`cachefile.read_account`), shown, and checked once STS answers
(`same_account`): rows kept for another account are dropped and the fleet is loaded
afresh (their public keys are never used: an alias names another key there).

`FleetService.confirm` then lists metadata only and re-reads the values of the rows
whose versions moved (or that it has never read); nothing changed: no value read. An
entry never outlives a change of the TVMs' configuration: when the fingerprint differs
the cache is dropped and the fleet loaded afresh. Cached rows carry no values: the
app reads a row's pair when it is selected (`FleetEntry.needs_values`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from typing import Iterable

from .. import cachefile
from ..aws.errors import SentinelError
from ..aws.keys import PublicKey
from ..aws.store import Parameter
from ..config import Settings
from ..core.envelope import Envelope
from ..core.status import Assessment, Status, TvmOutcome, Verdict
from ..core.tvm import TvmConfig
from .fleet import FleetEntry, FleetSnapshot, with_local_state

VERSION = 1
# Enum members by value, looked up directly (Status("valid") costs ~20 us; thousands of rows)
_STATUS = {s.value: s for s in Status}
_VERDICT = {v.value: v for v in Verdict}


def cache_key(account: str, settings: Settings, region: str | None) -> dict[str, str]:
    return {"account": account, "region": region or "", "endpoint": settings.endpoint_url or "",
            "root": settings.policy_root, "key": settings.default_key or ""}


def _tvm_record(tvm: TvmConfig) -> list:
    return [tvm.source, tvm.policy_parameter, tvm.signing_key, tvm.enforce_raw, tvm.arn]


def tvm_fingerprint(tvms: Iterable[TvmConfig], settings: Settings) -> str:
    """Everything the TVMs' verdicts depend on besides the policies: their configuration and the key."""
    records = sorted(json.dumps(_tvm_record(t)) for t in tvms)
    return hashlib.sha256(json.dumps([records, settings.default_key or ""]).encode()).hexdigest()


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _param_record(param: Parameter | None) -> list | None:
    if param is None:
        return None
    return [param.version, _when(param.last_modified), param.type, param.tier]


def _param(name: str, record: list | None) -> Parameter | None:
    if record is None:
        return None
    version, modified, kind, tier = record
    return Parameter(name=name, value=None, version=int(version), last_modified=_parse_when(modified), type=kind,
                     tier=tier)


def entry_record(entry: FleetEntry) -> dict | None:
    """What is kept of `entry` (None: nothing, e.g. a local-only or still-loading row)."""
    a = entry.assessment
    if a is None or not entry.remote:
        return None
    env = a.envelope
    return {
        "path": entry.path, "name": entry.name,
        "p": _param_record(entry.policy), "s": _param_record(entry.signature),
        "status": a.status.value, "reason": a.reason, "tvm": [a.tvm.kind.value, a.tvm.text],
        "size": a.size, "hash": a.policy_hash, "vkey": a.verification_key,
        "env": [env.key_id, env.algorithm, _when(env.signed_at), env.signed_at_text, env.policy_hash]
        if env is not None else None,
        "env_error": a.envelope_error, "p_error": entry.policy_error, "s_error": entry.signature_error,
    }


def entry_from_record(record: dict, tvms: tuple[TvmConfig, ...], signature_name: str) -> FleetEntry:
    env = record.get("env")
    envelope = None
    if env is not None:
        key_id, algorithm, signed_at, signed_at_text, env_hash = env
        # the signature itself is never cached: a cached row cannot be verified again, only shown
        envelope = Envelope(signature=b"", key_id=key_id, algorithm=algorithm, signed_at=_parse_when(signed_at),
                            signed_at_text=signed_at_text, policy_hash=env_hash)
    path = record["path"]
    assessment = Assessment(
        path=path, status=_STATUS[record["status"]], reason=record["reason"],
        tvm=TvmOutcome(_VERDICT[record["tvm"][0]], record["tvm"][1]), size=record.get("size"),
        policy_hash=record.get("hash"), envelope=envelope, envelope_error=record.get("env_error"), check=None,
        with_tvm_key=None, with_envelope_key=None, verification_key=record.get("vkey"),
    )
    return FleetEntry(name=record["name"], path=path, policy=_param(path, record.get("p")),
                      signature=_param(signature_name, record.get("s")), assessment=assessment, tvms=tvms,
                      policy_error=record.get("p_error"), signature_error=record.get("s_error"))


def document(snapshot: FleetSnapshot, settings: Settings, public_keys: dict[str, PublicKey]) -> dict:
    """The cache document of a complete snapshot."""
    return {
        "version": VERSION,
        "saved_at": _when(snapshot.loaded_at),
        "tvms": [_tvm_record(t) for t in snapshot.tvms],
        "tvm_fingerprint": tvm_fingerprint(snapshot.tvms, settings),
        "entries": [r for r in (entry_record(e) for e in snapshot.entries.values()) if r is not None],
        "public_keys": {key_id: {"arn": k.arn, "der": base64.b64encode(k.der).decode("ascii"), "spec": k.spec,
                                 "usage": k.usage, "algorithms": list(k.algorithms)}
                        for key_id, k in public_keys.items()},
    }


def snapshot_from(document: dict, settings: Settings) -> tuple[FleetSnapshot, dict[str, PublicKey]] | None:
    """The cached fleet (marked `from_cache`) and public keys; None when the document is unusable."""
    from ..core.paths import signature_path

    try:
        if document.get("version") != VERSION:
            return None
        tvms = [TvmConfig(*record) for record in document.get("tvms", [])]
        if document.get("tvm_fingerprint") != tvm_fingerprint(tvms, settings):
            return None  # the settings' key changed since
        snap = FleetSnapshot(root=settings.policy_root, tvms=tvms, complete=True, from_cache=True,
                             loaded_at=_parse_when(document.get("saved_at")))
        for record in document.get("entries", []):
            path = record["path"]
            serving = tuple(t for t in tvms if t.policy_parameter == path)
            snap.entries[path] = entry_from_record(record, serving, signature_path(path))
        keys = {key_id: PublicKey(arn=k["arn"], der=base64.b64decode(k["der"]), spec=k["spec"], usage=k["usage"],
                                  algorithms=tuple(k["algorithms"]))
                for key_id, k in document.get("public_keys", {}).items()}
    except (KeyError, TypeError, ValueError):
        return None
    return snap, keys



def _where(ops) -> dict[str, str] | None:
    """What is known of the target before any call: profile, region and endpoint."""
    try:
        region = ops.clients.region
    except SentinelError:
        return None
    return {"profile": ops.settings.aws_profile or "", "region": region or "",
            "endpoint": ops.settings.endpoint_url or ""}


def _account(ops) -> str | None:
    try:
        return ops.clients.identity().account
    except SentinelError:
        return None  # without the account the right cache cannot be told: none is used


def _key(ops) -> dict[str, str] | None:
    account = _account(ops)
    if account is None:
        return None
    return cache_key(account, ops.settings, ops.clients.region)


def read(ops, directory=None) -> FleetSnapshot | None:
    """The fleet from the cache for `ops`' account, region, endpoint, root and key (None: no usable cache).

    No call is made: the account is the one last seen with this profile, region and
    endpoint (`snapshot.account`); `same_account` checks it once STS answers. Its public
    keys go to `ops.fleet.keys` (no GetPublicKey for them); local states are computed
    from the files now."""
    where = _where(ops)
    account = cachefile.read_account(where, directory) if where is not None else None
    if account is None:
        return None
    key = cache_key(account, ops.settings, where["region"] or None)
    found = cachefile.read_cache(key, directory)
    if found is None:
        return None
    usable = snapshot_from(found, ops.settings)
    if usable is None:
        cachefile.remove_cache(key, directory)
        return None
    snapshot, public_keys = usable
    snapshot.account = account
    snapshot.public_keys = public_keys
    with_local_state(snapshot, ops.settings.local_dir)
    return snapshot


def same_account(ops, snapshot: FleetSnapshot) -> bool:
    """Whether a fleet read from the cache belongs to the account `ops` reaches (STS
    GetCallerIdentity, once per clients); if so its public keys go to `ops.fleet.keys` (no
    GetPublicKey for them). False when STS cannot say: the rows are then not confirmed but
    loaded afresh, as for another account."""
    account = _account(ops)
    if account is None or account != snapshot.account:
        return False
    ops.fleet.keys.remember_public_keys(snapshot.public_keys)
    return True


def save(ops, snapshot: FleetSnapshot, directory=None) -> bool:
    """Keep a complete snapshot for the next launch; an incomplete one removes what was kept."""
    key = _key(ops)
    if key is None or snapshot.root != ops.settings.policy_root:
        return False
    if not snapshot.complete or snapshot.error is not None:
        cachefile.remove_cache(key, directory)
        return False
    try:
        cachefile.write_cache(key, document(snapshot, ops.settings, ops.fleet.keys.known_public_keys()), directory)
        where = _where(ops)
        if where is not None:
            cachefile.write_account(where, key["account"], directory)
    except (OSError, SentinelError):
        return False  # the cache only saves calls: a launch without it is slower, not wrong
    return True
