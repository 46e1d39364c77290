"""boto3 sessions and clients: the only place where a client is built.

Code above this layer never knows whether it talks to AWS or to the emulator:
the difference is an endpoint URL, handed in like a region or a profile.
"""

from __future__ import annotations

import functools
import os
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
        self._identity_lock = threading.RLock()  # one GetCallerIdentity, however many threads ask at once

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
        with self._identity_lock:
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


# -- checks made before a context switch ---------------------------------------------------------


@dataclass(frozen=True)
class ContextCheck:
    """The answer of `check_profile` / `check_region`: usable or not, and in words why.

    `reason` is one plain sentence (what is wrong, or what was found); `fix` says what to do
    and is empty when `ok`. Neither names a front end's flags or commands, so the app and the
    headless commands can both show them. `suggestion` is a close valid value when there is one
    (a profile or region spelled almost like the one asked for).
    """

    ok: bool
    reason: str
    fix: str = ""
    suggestion: str | None = None


def _closest(word: str, choices: list[str] | tuple[str, ...] | frozenset[str],
             cutoff: float = 0.6) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=cutoff)
    return found[0] if found else None


def _listing(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def check_profile(profile: str | None, *, region: str | None = None, resolve: bool = True) -> ContextCheck:
    """Whether `profile` exists and can produce credentials, before switching to it.

    `None` means the default credential chain (environment, default profile, instance role),
    which is where `:profile -` may go back to. For a named profile: it must be in the AWS
    config or credentials file (botocore's `available_profiles`, which follows
    AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE), and botocore must find credentials for
    it. With `resolve` (the default) deferred credentials are resolved too: an assumed role
    calls STS AssumeRole, an SSO profile reads its cached token, a credential_process runs,
    so an expired SSO session is caught here and not after the switch. That may take a
    network round trip: call it from a worker thread.

    Never raises for a bad profile, and never puts a credential in its texts.
    """
    from .errors import SentinelError, scrub

    try:
        base = botocore.session.Session()
        known = sorted(base.available_profiles)
        config_file = base.get_config_variable("config_file")
        credentials_file = base.get_config_variable("credentials_file")
    except Exception as exc:  # a config file that does not parse
        return ContextCheck(False, f"The AWS config files could not be read: {scrub(str(exc))}",
                            "Fix the syntax of the AWS config file, then try again.")
    where = f"{config_file} or {credentials_file}"
    if profile is not None:
        if not profile.strip():
            return ContextCheck(False, "No profile name was given.", "Name a profile from " + where + ".")
        if profile not in known:
            suggestion = _closest(profile, known)
            reason = f"There is no AWS profile named '{profile}' in {where}"
            reason += f" (the profiles there: {_listing(known)})." if known else " (there are no profiles there)."
            if suggestion:
                fix = f"Did you mean '{suggestion}'? Or create the profile with `aws configure --profile {profile}`."
            elif known:
                fix = f"Pick one of those, or create it with `aws configure --profile {profile}`."
            else:
                fix = f"Create it with `aws configure --profile {profile}` (or `aws configure sso`)."
            if profile == "default" and os.environ.get("AWS_ACCESS_KEY_ID"):
                fix = ("The credentials in use come from the environment (AWS_ACCESS_KEY_ID), not from "
                       "a profile: to use them, switch back to no profile.")
            return ContextCheck(False, reason, fix, suggestion=suggestion)
    who = f"the AWS profile '{profile}'" if profile else "the default credential chain"
    try:
        session = boto3.session.Session(profile_name=profile, region_name=region)
        credentials = session.get_credentials()
        if credentials is not None and resolve:
            frozen = credentials.get_frozen_credentials()
            if not frozen.access_key or not frozen.secret_key:
                credentials = None
    except Exception as exc:
        err = translate(exc, service="sts", operation="session", profile=profile, region=region)
        what = err.what if isinstance(err, SentinelError) else scrub(str(exc))
        return ContextCheck(False, f"{who[0].upper()}{who[1:]} cannot produce credentials: {what}",
                            err.fix if isinstance(err, SentinelError) else "")
    if credentials is None:
        if profile:
            return ContextCheck(
                False,
                f"The AWS profile '{profile}' exists but has no credentials: no keys, role, SSO "
                f"session or credential process in {where}.",
                f"Add credentials with `aws configure --profile {profile}` (or `aws configure sso`).",
            )
        return ContextCheck(
            False,
            "No AWS credentials were found in the environment, the default profile or an instance role.",
            "Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws configure`.",
        )
    method = getattr(credentials, "method", None) or "a credential provider"
    return ContextCheck(True, f"{who[0].upper()}{who[1:]} has credentials (from {method}).")


@functools.lru_cache(maxsize=1)
def _partitions() -> tuple[tuple[str, frozenset[str]], ...]:
    """(partition name, its region names) from botocore's endpoint data (endpoints.json)."""
    from botocore.loaders import create_loader

    data = create_loader().load_data("endpoints")
    return tuple((p.get("partition", "?"), frozenset(p.get("regions", {})))
                 for p in data.get("partitions", []))


def known_regions() -> frozenset[str]:
    """Every region of every partition (aws, aws-cn, aws-us-gov, ...) botocore knows."""
    return frozenset(r for _, regions in _partitions() for r in regions)


def check_region(name: str | None) -> ContextCheck:
    """Whether `name` is a real AWS region, by botocore's partition data (no network call).

    A region botocore's data does not list is refused, with the closest real one when the
    name is a likely typo (`eu-wset-1` → `eu-west-1`); a region newer than the installed
    botocore is refused too, and the fix says to upgrade botocore.
    """
    import botocore as _botocore

    name = (name or "").strip()
    if not name:
        return ContextCheck(False, "No region name was given.", "Name a region, e.g. us-east-1 or eu-west-1.")
    regions = known_regions()
    if not regions:  # pragma: no cover - botocore without its data files
        return ContextCheck(True, f"'{name}' could not be checked: botocore has no region data.")
    if name in regions:
        partition = next(p for p, rs in _partitions() if name in rs)
        return ContextCheck(True, f"'{name}' is an AWS region (partition {partition}).")
    lowered = name.lower()
    if lowered in regions:
        return ContextCheck(False, f"'{name}' is not an AWS region: region names are lower case.",
                            f"Use '{lowered}'.", suggestion=lowered)
    suggestion = _closest(lowered, regions, cutoff=0.8)
    reason = f"'{name}' is not an AWS region (botocore {_botocore.__version__} knows {len(regions)} regions)."
    if suggestion:
        fix = f"Did you mean '{suggestion}'?"
    else:
        fix = ("Use a region such as us-east-1 or eu-west-1 (`aws account list-regions` lists yours); "
               "if it is a region newer than this botocore, upgrade botocore.")
    return ContextCheck(False, reason, fix, suggestion=suggestion)
