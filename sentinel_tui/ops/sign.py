"""Sign a policy: validate, size check, KMS Sign, verify at once, write the envelope (0600)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..aws.keys import KeyInfo, check_signable
from ..core.envelope import Envelope, dump_envelope, make_envelope, policy_hash
from ..core.policy import PolicyCheck, check_policy
from ..errors import SentinelError
from ..fileio import read_policy_file, write_private
from .context import Ops


@dataclass(frozen=True)
class SignResult:
    envelope: Envelope
    text: str  # the indented envelope, as `policy sign` prints or writes it
    output: Path | None
    verified: bool
    check: PolicyCheck


class InvalidPolicy(Exception):
    """Validation failed; carries the PolicyCheck so callers can show every finding."""

    def __init__(self, check: PolicyCheck):
        self.check = check
        super().__init__(str(check.error))


def sign_bytes(ops: Ops, data: bytes, key_id: str) -> Envelope:
    """KMS Sign over the exact bytes, and the envelope for them. Validation is the caller's."""
    check_signable(data)
    signature = ops.keys.sign(key_id, data)
    return make_envelope(signature, key_id, data, ops.clock())


def validated(data: bytes) -> PolicyCheck:
    check = check_policy(data)
    if check.error is not None:
        raise InvalidPolicy(check)
    return check


def sign_file(ops: Ops, path: str | Path, key_id: str, *, output: str | Path | None = None,
              force: bool = False) -> SignResult:
    data = read_policy_file(path)
    check = validated(data)
    check_signable(data)
    if output is not None:
        ops.guard_write("writing a signature file")
    caller = ops.caller()
    try:
        envelope = sign_bytes(ops, data, key_id)
        verified = ops.fleet.verify(key_id, data, envelope.signature)
        text = dump_envelope(envelope, indent=True)
        written = write_private(output, text.encode("utf-8"), overwrite=force) if output else None
    except Exception as exc:
        ops.audit.record(action="sign", parameter=str(path), outcome="failed", caller=caller,
                         policy_hash=policy_hash(data), detail=str(exc), key_id=key_id)
        raise
    ops.audit.record(action="sign", parameter=str(path), outcome="ok" if verified else "signed, not verified",
                     caller=caller, policy_hash=policy_hash(data), key_id=key_id,
                     output=str(written) if written else None)
    return SignResult(envelope=envelope, text=text, output=written, verified=verified, check=check)


# -- which key to sign with ------------------------------------------------------------------


@dataclass(frozen=True)
class KeyOption:
    key_id: str
    why: str  # "settings default", "the TVM's key (sentinel-tvm-production)", "alias in the account"
    info: KeyInfo | None
    error: str | None = None

    @property
    def problems(self) -> list[str]:
        if self.error:
            return [self.error]
        return self.info.problems() if self.info is not None else ["not described"]

    def checks(self) -> list[tuple[str, bool, str]]:
        """(check, passed, detail): usage SIGN_VERIFY, an RSA spec, enabled."""
        if self.info is None:
            return [("describe", False, self.error or "could not be described")]
        info = self.info
        return [
            ("usage SIGN_VERIFY", info.usage == "SIGN_VERIFY", f"is {info.usage or '?'}"),
            ("an RSA spec", info.spec.startswith("RSA_"), f"is {info.spec or '?'}"),
            ("enabled", info.state == "Enabled", f"is {info.state}"),
        ]


def key_options(ops: Ops, name: str | None) -> list[KeyOption]:
    """The settings' default key, the key of the TVM serving `name`, and every alias in the account."""
    wanted: list[tuple[str, str]] = []
    if ops.settings.default_key:
        wanted.append((ops.settings.default_key, "settings default"))
    if name:
        try:
            tvms = [t for t in ops.fleet.serving(name) if t.signing_key]
        except (SentinelError, ValueError):
            tvms = []
        for tvm in tvms:
            wanted.append((tvm.signing_key, f"the TVM's key ({tvm.source})"))
    try:
        for alias, _target in ops.keys.aliases():
            wanted.append((alias, "alias in the account"))
    except SentinelError:
        pass
    seen: dict[str, list[str]] = {}
    for key, why in wanted:
        seen.setdefault(key, [])
        if why not in seen[key]:
            seen[key].append(why)
    options = []
    for key, whys in seen.items():
        try:
            options.append(KeyOption(key, ", ".join(whys), ops.keys.describe(key)))
        except SentinelError as exc:
            options.append(KeyOption(key, ", ".join(whys), None, exc.what))
    return options
