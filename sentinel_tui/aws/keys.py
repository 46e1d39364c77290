"""KMS: sign, verify, public keys (cached per key), key inspection and creation."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from ..core.crypto import PublicKeyError, verify_pss_sha256
from ..core.envelope import ALGORITHM
from ..core.policy import MAX_POLICY_BYTES
from botocore.exceptions import ClientError

from .errors import AwsError, SentinelError
from .session import Clients

DEFAULT_ALIAS = "alias/sentinel-policy-signing"


@dataclass(frozen=True)
class KeyInfo:
    """What DescribeKey says about a key, with the alias that led to it."""

    key_id: str
    arn: str
    state: str
    usage: str
    spec: str
    algorithms: tuple[str, ...]
    enabled: bool
    description: str = ""
    created: datetime | None = None
    deletion_date: datetime | None = None
    requested_as: str = ""

    def problems(self) -> list[str]:
        """Why this key cannot sign Sentinel policies; [] when it can."""
        found = []
        if self.usage != "SIGN_VERIFY":
            found.append(f"key usage is {self.usage}, not SIGN_VERIFY: it cannot sign")
        if not self.spec.startswith("RSA_"):
            found.append(f"key spec is {self.spec}, not RSA_4096 or RSA_2048")
        elif ALGORITHM not in self.algorithms:
            found.append(f"key does not offer {ALGORITHM}")
        if self.state != "Enabled":
            when = f" (deletion on {self.deletion_date:%Y-%m-%d})" if self.deletion_date else ""
            found.append(f"key state is {self.state}{when}, not Enabled")
        return found


@dataclass(frozen=True)
class PublicKey:
    arn: str
    der: bytes
    spec: str
    usage: str
    algorithms: tuple[str, ...]


class TooLargeToSign(SentinelError):
    pass


def check_signable(message: bytes) -> None:
    """KMS signs at most 4,096 bytes in RAW mode: refuse before the call, with the reason."""
    if len(message) > MAX_POLICY_BYTES:
        raise TooLargeToSign(
            f"The policy is {len(message):,} bytes; KMS signs at most {MAX_POLICY_BYTES:,} bytes "
            "in RAW mode, and the TVM verifies in RAW mode.",
            "Shorten the policy (comments count too) to 4,096 bytes or fewer, or split it across profiles.",
            kind="too-large",
        )


#: How KMS words its refusal of a key in each state that is not Enabled (the exception, and the
#: words after the key's ARN). AWS refuses Sign, Verify and GetPublicKey alike; the emulator does not.
_STATE_REFUSALS = {
    "Disabled": ("DisabledException", "is disabled."),
    "PendingDeletion": ("KMSInvalidStateException", "is pending deletion."),
    "PendingReplicaDeletion": ("KMSInvalidStateException", "is pending replica deletion."),
    "PendingImport": ("KMSInvalidStateException", "is pending import."),
    "Unavailable": ("KMSInvalidStateException", "is unavailable."),
    "Creating": ("KMSInvalidStateException", "is creating."),
    "Updating": ("KMSInvalidStateException", "is updating."),
}


def state_refusal(arn: str, state: str) -> tuple[str, str] | None:
    """(error code, message) KMS answers a cryptographic call on a key in `state` with; None if Enabled.

    The message is AWS's form ("<key ARN> is disabled."): a prediction, since the emulator this
    project is tested on signs and verifies with a disabled key.
    """
    if state == "Enabled":
        return None
    code, words = _STATE_REFUSALS.get(state, ("KMSInvalidStateException", f"is {state}."))
    return code, f"{arn} {words}"


@dataclass
class KeyService:
    clients: Clients
    _public: dict[str, PublicKey] = field(default_factory=dict)
    _describe: dict[str, KeyInfo] = field(default_factory=dict)

    #: A key's state is looked up again after this many seconds (the TVM caches a load for 30 s).
    STATE_TTL = 30.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.public_key_fetches = 0
        self._states: dict[str, tuple[float, KeyInfo | None]] = {}
        self._state_lock = threading.Lock()

    def check_usable(self, key_id: str, operation: str) -> None:
        """Refuse, as KMS on AWS does, a Sign/Verify/GetPublicKey with a key that is not Enabled.

        One DescribeKey per key every STATE_TTL seconds. When the state cannot be read (DescribeKey
        denied, no such key) nothing is decided here: the call itself answers.
        """
        with self._state_lock:  # threads verifying at once share one DescribeKey
            now = time.monotonic()
            seen = self._states.get(key_id)
            if seen is None or now - seen[0] > self.STATE_TTL:
                try:
                    info: KeyInfo | None = self.describe(key_id, fresh=True)
                except SentinelError:
                    info = None
                self._states[key_id] = (now, info)
            else:
                info = seen[1]
        refusal = state_refusal(info.arn, info.state) if info is not None else None
        if refusal is not None:
            code, message = refusal
            shaped = ClientError({"Error": {"Code": code, "Message": message},
                                  "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)
            raise self._fail(shaped, operation, key_id)

    @property
    def _kms(self):
        return self.clients.client("kms")

    def _fail(self, exc: BaseException, operation: str, key: str | None) -> AwsError:
        return self.clients.fail(exc, "kms", operation, key)

    def sign(self, key_id: str, message: bytes) -> bytes:
        """KMS Sign, RAW, RSASSA_PSS_SHA_256: the exact call the Go CLI makes."""
        check_signable(message)
        self.check_usable(key_id, "Sign")
        try:
            answer = self._kms.sign(
                KeyId=key_id, Message=message, MessageType="RAW", SigningAlgorithm=ALGORITHM
            )
        except Exception as exc:
            raise self._fail(exc, "Sign", key_id) from None
        return answer["Signature"]

    def verify_kms(self, key_id: str, message: bytes, signature: bytes) -> bool:
        """KMS Verify, as the TVM does. A bad signature is a verdict (False), not an error."""
        self.check_usable(key_id, "Verify")
        try:
            answer = self._kms.verify(
                KeyId=key_id, Message=message, MessageType="RAW",
                Signature=signature, SigningAlgorithm=ALGORITHM,
            )
        except Exception as exc:
            err = self._fail(exc, "Verify", key_id)
            if getattr(err, "kind", "") == "invalid-signature":
                return False
            raise err from None
        return bool(answer.get("SignatureValid"))

    def public_key(self, key_id: str) -> PublicKey:
        """GetPublicKey, once per key identifier for the life of this service."""
        with self._lock:
            cached = self._public.get(key_id)
        if cached is not None:
            return cached
        self.check_usable(key_id, "GetPublicKey")
        try:
            answer = self._kms.get_public_key(KeyId=key_id)
        except Exception as exc:
            raise self._fail(exc, "GetPublicKey", key_id) from None
        key = PublicKey(
            arn=answer["KeyId"],
            der=answer["PublicKey"],
            spec=answer.get("KeySpec") or answer.get("CustomerMasterKeySpec", ""),
            usage=answer.get("KeyUsage", ""),
            algorithms=tuple(answer.get("SigningAlgorithms") or ()),
        )
        with self._lock:
            self.public_key_fetches += 1
            self._public[key_id] = key
        return key

    def known_public_keys(self) -> dict[str, PublicKey]:
        """The public keys fetched so far, by the key identifier asked for (for the fleet cache)."""
        with self._lock:
            return dict(self._public)

    def remember_public_keys(self, keys: dict[str, PublicKey]) -> None:
        """Public keys known from an earlier run (the fleet cache): no GetPublicKey for them."""
        with self._lock:
            for key_id, key in keys.items():
                self._public.setdefault(key_id, key)

    def verify_local(self, key_id: str, message: bytes, signature: bytes) -> bool:
        """Verify with the cached public key; no KMS call after the first for a key but the state check
        (KMS on AWS refuses a key that is not Enabled, even for GetPublicKey)."""
        self.check_usable(key_id, "Verify")
        key = self.public_key(key_id)
        if key.usage and key.usage != "SIGN_VERIFY":
            raise SentinelError(
                f"{key_id} is a {key.usage} key: it cannot verify signatures.",
                "Point the TVM and sentinel-tui at the asymmetric SIGN_VERIFY key that signs the policies.",
                kind="key-usage",
            )
        try:
            return verify_pss_sha256(key.der, message, signature)
        except PublicKeyError as exc:
            raise SentinelError(f"{key_id}: {exc}.", "Use an RSA_4096 or RSA_2048 SIGN_VERIFY key.",
                                kind="key-usage") from None

    def describe(self, key_id: str, *, fresh: bool = False) -> KeyInfo:
        if not fresh:
            with self._lock:
                if key_id in self._describe:
                    return self._describe[key_id]
        try:
            meta = self._kms.describe_key(KeyId=key_id)["KeyMetadata"]
        except Exception as exc:
            raise self._fail(exc, "DescribeKey", key_id) from None
        info = KeyInfo(
            key_id=meta["KeyId"],
            arn=meta["Arn"],
            state=meta.get("KeyState", "Enabled" if meta.get("Enabled") else "Disabled"),
            usage=meta.get("KeyUsage", ""),
            spec=meta.get("KeySpec") or meta.get("CustomerMasterKeySpec", ""),
            algorithms=tuple(meta.get("SigningAlgorithms") or ()),
            enabled=bool(meta.get("Enabled")),
            description=meta.get("Description", ""),
            created=meta.get("CreationDate"),
            deletion_date=meta.get("DeletionDate"),
            requested_as=key_id,
        )
        with self._lock:
            self._describe[key_id] = info
        return info

    def resolve_arn(self, key_id: str) -> str:
        """The key ARN an alias, key id or ARN stands for."""
        return self.describe(key_id).arn

    def aliases(self) -> list[tuple[str, str]]:
        """(alias name, target key id) for every customer alias that points at a key."""
        found: list[tuple[str, str]] = []
        marker = None
        while True:
            kwargs = {"Limit": 100}
            if marker:
                kwargs["Marker"] = marker
            try:
                answer = self._kms.list_aliases(**kwargs)
            except Exception as exc:
                raise self._fail(exc, "ListAliases", None) from None
            for alias in answer.get("Aliases", []):
                name = alias.get("AliasName", "")
                if alias.get("TargetKeyId") and not name.startswith("alias/aws/"):
                    found.append((name, alias["TargetKeyId"]))
            if not answer.get("Truncated"):
                return found
            marker = answer.get("NextMarker")

    def create_key(self, *, spec: str, description: str, tags: dict[str, str], resource: str | None = None) -> dict:
        """CreateKey (asymmetric, SIGN_VERIFY): the new key's metadata (``KeyId``, ``Arn``, ...)."""
        try:
            return self._kms.create_key(
                KeySpec=spec, KeyUsage="SIGN_VERIFY", Description=description,
                Tags=[{"TagKey": k, "TagValue": v} for k, v in tags.items()],
            )["KeyMetadata"]
        except Exception as exc:
            raise self._fail(exc, "CreateKey", resource) from None

    def create_alias(self, alias: str, key_id: str) -> None:
        """CreateAlias: point ``alias`` at ``key_id``."""
        try:
            self._kms.create_alias(AliasName=alias, TargetKeyId=key_id)
        except Exception as exc:
            raise self._fail(exc, "CreateAlias", alias) from None

    def schedule_deletion(self, key_id: str, days: int) -> None:
        """ScheduleKeyDeletion with a pending window of ``days``."""
        try:
            self._kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days)
        except Exception as exc:
            raise self._fail(exc, "ScheduleKeyDeletion", key_id) from None

    def create_signing_key(self, alias: str, *, description: str, tags: dict[str, str],
                           spec: str = "RSA_4096") -> KeyInfo:
        """CreateKey (asymmetric, SIGN_VERIFY) and CreateAlias."""
        meta = self.create_key(spec=spec, description=description, tags=tags, resource=alias)
        self.create_alias(alias, meta["KeyId"])
        return self.describe(alias, fresh=True)
