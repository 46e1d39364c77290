"""boto3 sessions and clients: the only place where a client is built.

Code above this layer never knows whether it talks to AWS or to the emulator:
the difference is an endpoint URL, handed in like a region or a profile.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import boto3
import botocore.config
import botocore.session

from .errors import translate

SERVICES = ("ssm", "kms", "lambda", "sts")


@dataclass(frozen=True)
class AwsTarget:
    """Where AWS calls go: profile, region and an optional endpoint (moto, LocalStack, a VPC endpoint)."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None

    def with_(self, **changes: Any) -> "AwsTarget":
        return replace(self, **changes)

    @property
    def is_custom_endpoint(self) -> bool:
        return bool(self.endpoint_url)


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str


# A hook is called with every client as it is made: tests and benchmarks use it to
# count calls or inject faults with botocore's own event system.
ClientHook = Callable[[str, Any], None]


@dataclass
class Clients:
    """Lazily built, thread-safe boto3 clients for one AwsTarget.

    boto3 clients are safe to share between threads once built; building them is
    not, so construction happens under a lock. Retries use botocore's adaptive
    mode, which backs off on throttling by itself.
    """

    target: AwsTarget = field(default_factory=AwsTarget)
    max_attempts: int = 5
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    hooks: list[ClientHook] = field(default_factory=list)
    session: Any = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._identity: Identity | None = None

    def _session(self) -> boto3.session.Session:
        if self.session is None:
            try:
                self.session = boto3.session.Session(
                    profile_name=self.target.profile, region_name=self.target.region
                )
            except Exception as exc:  # ProfileNotFound and friends
                raise translate(exc, service="sts", operation="session") from None
        return self.session

    @property
    def region(self) -> str | None:
        return self._session().region_name

    def client(self, service: str) -> Any:
        with self._lock:
            existing = self._clients.get(service)
            if existing is not None:
                return existing
            config = botocore.config.Config(
                retries={"mode": "adaptive", "max_attempts": self.max_attempts},
                connect_timeout=self.connect_timeout,
                read_timeout=self.read_timeout,
                user_agent_extra="sentinel-tui",
            )
            try:
                made = self._session().client(
                    service, endpoint_url=self.target.endpoint_url or None, config=config
                )
            except Exception as exc:  # NoRegionError, UnknownRegion, bad endpoint
                raise translate(exc, service=service, operation="client") from None
            for hook in self.hooks:
                hook(service, made)
            self._clients[service] = made
            return made

    def add_hook(self, hook: ClientHook) -> None:
        """Apply `hook` to every client, those already built included."""
        with self._lock:
            self.hooks.append(hook)
            built = list(self._clients.items())
        for service, made in built:
            hook(service, made)

    def identity(self) -> Identity:
        """STS GetCallerIdentity, once per Clients (account and caller ARN for the header and audit)."""
        if self._identity is None:
            try:
                answer = self.client("sts").get_caller_identity()
            except Exception as exc:
                raise translate(exc, service="sts", operation="GetCallerIdentity") from None
            self._identity = Identity(account=answer["Account"], arn=answer["Arn"])
        return self._identity

    def fail(self, exc: BaseException, service: str, operation: str, resource: str | None = None):
        """Translate a failed call; for access denied, name the caller when AWS's message did not."""
        from .errors import SentinelError

        if isinstance(exc, SentinelError):
            return exc
        err = translate(exc, service=service, operation=operation, resource=resource,
                        profile=self.target.profile, region=self.target.region)
        if err.kind == "access-denied" and not err.principal and operation != "GetCallerIdentity":
            principal = self.principal()
            if principal:
                err = translate(exc, service=service, operation=operation, resource=resource,
                                principal=principal, profile=self.target.profile, region=self.target.region)
        return err

    def principal(self) -> str | None:
        """The caller ARN if it is already known or can be had; None otherwise (for error texts)."""
        try:
            return self.identity().arn
        except Exception:
            return None


def aws_config_profiles() -> dict[str, dict[str, str]]:
    """The profiles of the AWS config and credentials files (AWS_CONFIG_FILE honoured), with
    their region and endpoint_url when set. Only names and those two fields: never credentials."""
    try:
        profiles = botocore.session.Session().full_config.get("profiles", {})
    except Exception as exc:  # a config file that does not parse
        raise translate(exc, service="sts", operation="session") from None
    found: dict[str, dict[str, str]] = {}
    for name, values in profiles.items():
        found[name] = {k: values[k] for k in ("region", "endpoint_url") if isinstance(values.get(k), str)}
    return found
