"""Key rotation: which policies would fail if the TVM switched to another key now.

Every policy of a loaded fleet is checked against the new key the way the TVM
would check it after the switch: read, signature present, envelope parses,
signature verifies with the NEW key, YAML parses. Signatures are checked locally
with the new key's public key: one GetPublicKey for the whole fleet, no KMS
Verify per policy, and nothing is written.
"""

from __future__ import annotations

from typing import NamedTuple

from ..errors import SentinelError
from ..core.envelope import policy_hash
from ..core.policy import MAX_POLICY_BYTES
from ..core.status import Status
from .context import Ops
from .fleet import FleetEntry, FleetSnapshot
from . import remedies


class RotationRow(NamedTuple):
    entry: FleetEntry
    ok: bool | None  # True: the TVM would issue with the new key; False: it would deny; None: unknown here
    reason: str


def check_new_key(ops: Ops, new_key: str) -> None:
    """Refuse a key that cannot verify at all (missing, not SIGN_VERIFY, not RSA), before checking policies."""
    public = ops.keys.public_key(new_key)  # the one KMS call for the whole fleet
    if public.usage and public.usage != "SIGN_VERIFY":
        raise SentinelError(f"{new_key} is a {public.usage} key: a TVM cannot verify signatures with it.",
                            f"Rotate to an RSA_4096 SIGN_VERIFY key ({remedies.KEYS_SETUP_COMMAND} creates one).",
                            kind="key-usage")
    if public.spec and not public.spec.startswith("RSA_"):
        raise SentinelError(f"{new_key} is a {public.spec} key: Sentinel verifies RSASSA_PSS_SHA_256, which needs RSA.",
                            "Rotate to an RSA_4096 SIGN_VERIFY key.", kind="key-usage")


def _row(ops: Ops, entry: FleetEntry, new_key: str) -> RotationRow:
    a = entry.assessment
    if entry.policy_error or entry.signature_error or a is None:
        return RotationRow(entry, None, "could not be read here: "
                           + (entry.policy_error or entry.signature_error or "not loaded"))
    if entry.policy is None:
        return RotationRow(entry, False, "no policy (the signature is an orphan): denied with any key")
    data = entry.policy.data
    if len(data) > MAX_POLICY_BYTES:
        return RotationRow(entry, False, "over 4,096 bytes: KMS cannot verify it with any key")
    if entry.signature is None:
        return RotationRow(entry, False, "unsigned: an enforcing TVM denies it with any key; sign it with "
                           f"{new_key}")
    if a.envelope is None:
        return RotationRow(entry, False, f"the envelope does not parse: denied with any key; re-sign it with {new_key}")
    env = a.envelope
    try:
        valid = ops.keys.verify_local(new_key, data, env.signature)
    except SentinelError as exc:
        return RotationRow(entry, None, f"could not be checked: {exc.what}")
    parse_error = a.check.error if a.check is not None and a.check.stage == "parse" else None
    if valid:
        if parse_error is not None:
            return RotationRow(entry, False, f"verifies with {new_key}, but the TVM cannot parse it: "
                               f"{parse_error.detail.splitlines()[-1].strip()}")
        change = "" if a.status is Status.VALID else f" (today it is {a.status}: the switch fixes it)"
        return RotationRow(entry, True, f"verifies with {new_key}{change}")
    if env.policy_hash and env.policy_hash.lower() != policy_hash(data):
        return RotationRow(entry, False, f"changed after signing: fails with any key; review it, then re-sign it "
                           f"with {new_key}")
    now = " (it verifies with today's key)" if a.status is Status.VALID else ""
    return RotationRow(entry, False, f"signed with {env.key_id or 'another key'}{now}: re-sign it with {new_key} "
                       "before the TVM switches")


def rotation_report(ops: Ops, snapshot: FleetSnapshot, new_key: str) -> list[RotationRow]:
    """One row per stored policy: would the TVM accept it with `new_key`, and why not."""
    check_new_key(ops, new_key)
    return [_row(ops, entry, new_key) for entry in snapshot.sorted_entries() if entry.remote]


def rotation_lines(rows: list[RotationRow], new_key: str) -> list[str]:
    failing = [r for r in rows if r.ok is False]
    unknown = [r for r in rows if r.ok is None]
    width = max([len(r.entry.name) for r in rows] + [4])
    out = [f"If the TVMs verified with {new_key} now:"]
    for r in rows:
        mark = {True: "ok", False: "FAIL", None: "?"}[r.ok]
        served = f" [served by {', '.join(t.source for t in r.entry.tvms)}]" if r.entry.tvms else ""
        out.append(f"  {mark:4}  {r.entry.name:{width}}  {r.reason}{served}")
    out.append("")
    out.append(f"{len(rows) - len(failing) - len(unknown)} would verify, {len(failing)} would be denied"
               + (f", {len(unknown)} could not be checked here" if unknown else "") + ".")
    if failing:
        out.append("A TVM checks one signature with one key, so rotate one TVM at a time: re-sign its policy "
                   f"({remedies.resign(key=new_key)}) and switch its SENTINEL_POLICY_SIGNING_KEY "
                   "right after; in between it denies (a good load stays cached for up to 30 s).")
    return out
