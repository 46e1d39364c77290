"""The operations' shared context: one object both front ends build and hand down."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from ..errors import SentinelError
from ..aws.keys import KeyService
from ..aws.session import AwsTarget, Clients, ContextCheck, check_profile, check_region
from ..aws.store import ParameterStore
from ..aws.tvm import TvmDiscovery
from ..config import Settings
from .audit import AuditLog
from .fleet import FleetService


class ReadOnlyError(SentinelError):
    pass


@dataclass
class Ops:
    """Clients, settings and services for one AWS target. Cheap to rebuild on a context switch."""

    settings: Settings
    clients: Clients
    audit: AuditLog = field(default_factory=AuditLog)
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)

    def __post_init__(self) -> None:
        self.store = ParameterStore(self.clients)
        self.keys = KeyService(self.clients)
        self.tvms = TvmDiscovery(self.clients)
        self.fleet = FleetService(self.clients, self.settings, keys=self.keys, store=self.store,
                                  tvm_discovery=self.tvms)

    @classmethod
    def from_settings(cls, settings: Settings, *, audit: AuditLog | None = None,
                      hooks: list | None = None) -> "Ops":
        target = AwsTarget(profile=settings.aws_profile, region=settings.region,
                           endpoint_url=settings.endpoint_url)
        clients = Clients(target=target, hooks=list(hooks or []))
        return cls(settings=settings, clients=clients, audit=audit or AuditLog())

    def switch(self, **changes) -> "Ops":
        """A new Ops for another profile, region, endpoint or policy root (same audit log and hooks)."""
        settings = self.settings.with_(**changes)
        target = AwsTarget(profile=settings.aws_profile, region=settings.region,
                           endpoint_url=settings.endpoint_url)
        clients = Clients(target=target, hooks=list(self.clients.hooks))
        return Ops(settings=settings, clients=clients, audit=self.audit, clock=self.clock)

    def check_profile(self, profile: str | None) -> ContextCheck:
        """Before `switch(aws_profile=...)`: does the profile exist and produce credentials?

        `None` is the default credential chain (where a "previous context" without a profile
        goes back to). May call STS (an assumed role) or read an SSO cache: run it in a worker.
        """
        return check_profile(profile, region=self.settings.region)

    def check_region(self, region: str) -> ContextCheck:
        """Before `switch(region=...)`: is it a real AWS region (botocore's partition data, no call)?"""
        return check_region(region)

    def guard_write(self, action: str) -> None:
        """Every write path calls this first: read-only is refused here, not just in the UI."""
        if self.settings.read_only:
            raise ReadOnlyError(
                f"Read-only mode: {action} was refused; nothing was written.",
                "Start without --read-only (or set read_only = false in the settings) to make changes.",
                kind="read-only",
            )

    def caller(self) -> str | None:
        return self.clients.principal()
