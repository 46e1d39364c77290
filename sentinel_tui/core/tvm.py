"""A TVM's signing configuration, read from its environment exactly as the Go Lambda reads it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

ENV_POLICY_PARAMETER = "SENTINEL_POLICY_PARAMETER"
ENV_SIGNING_KEY = "SENTINEL_POLICY_SIGNING_KEY"
ENV_ENFORCE = "SENTINEL_ENFORCE_POLICY_SIGNING"
ENV_SESSION_TABLE = "SENTINEL_SESSION_TABLE"
ENV_MDM_PROVIDER = "SENTINEL_MDM_PROVIDER"
CONFIG_ERROR_TEXT = "SENTINEL_POLICY_SIGNING_KEY required when SENTINEL_ENFORCE_POLICY_SIGNING=true"


@dataclass(frozen=True)
class TvmConfig:
    """How one TVM checks the one policy it serves.

    `source` says where the configuration came from: a Lambda function's name, or
    "settings" when no TVM serves the policy and the operator's defaults stand in.
    """

    source: str
    policy_parameter: str | None
    signing_key: str | None  # "" and None both mean: no key, nothing is verified
    enforce_raw: str | None  # the SENTINEL_ENFORCE_POLICY_SIGNING value as set, None when unset
    arn: str | None = None
    #: SENTINEL_SESSION_TABLE: the session table every request it evaluates carries ("" none)
    session_table: str = ""
    #: SENTINEL_MDM_PROVIDER: where device postures come from ("" or "none": never a posture)
    mdm_provider: str = ""

    @classmethod
    def from_env(cls, source: str, env: dict[str, str], arn: str | None = None) -> "TvmConfig":
        return cls(
            source=source,
            policy_parameter=env.get(ENV_POLICY_PARAMETER) or None,
            signing_key=env.get(ENV_SIGNING_KEY) or None,
            enforce_raw=env.get(ENV_ENFORCE),
            arn=arn,
            session_table=env.get(ENV_SESSION_TABLE) or "",
            mdm_provider=env.get(ENV_MDM_PROVIDER) or "",
        )

    @property
    def verifies(self) -> bool:
        return bool(self.signing_key)

    @property
    def enforcing(self) -> bool:
        """Go: with a key, on unless the variable is set (non-empty) to anything but "true"."""
        explicit = self.enforce_raw or ""
        if self.signing_key:
            return explicit == "" or explicit == "true"
        return explicit == "true"

    @property
    def config_error(self) -> str | None:
        """The TVM refuses to start with enforcement asked for and no key."""
        if not self.signing_key and (self.enforce_raw or "") == "true":
            return CONFIG_ERROR_TEXT
        return None

    @property
    def enforcement_note(self) -> str | None:
        """A warning for values that silently switch enforcement off (`1`, `TRUE`, `yes`)."""
        raw = self.enforce_raw or ""
        if raw and raw != "true" and raw.lower() in {"1", "true", "yes", "on", "enabled", "enforce"}:
            return (f"{ENV_ENFORCE}={raw!r} turns enforcement OFF: only the exact string 'true' "
                    "turns it on")
        return None

    def describe_mode(self) -> str:
        if self.config_error:
            return "does not start (enforcement without a key)"
        if not self.verifies:
            return "no signature check"
        return "enforcing" if self.enforcing else "verifying, not enforcing"


def serving(path: str, tvms: Iterable[TvmConfig]) -> tuple[TvmConfig, ...]:
    """The TVMs among ``tvms`` whose SENTINEL_POLICY_PARAMETER is ``path`` (a full parameter path)."""
    return tuple(t for t in tvms if t.policy_parameter == path)
