"""Many AWS targets at once: contexts resolved to Ops, loaded concurrently, each on its own.

A context that fails (expired credentials, a denied listing, a profile that does not
exist) yields its error in its own result; the others are loaded as if it were not
there. One thread per context, at most MAX_PARALLEL at a time; inside a context the
fleet load is the usual one (both listings side by side).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Sequence

from ..errors import SentinelError
from ..config import ConfigError, ContextSpec, Settings, config_file
from . import remedies
from .audit import AuditLog
from .context import Ops
from .fleet import FleetSnapshot

MAX_PARALLEL = 8


@dataclass
class Target:
    """One context's operations: its name (None for the settings' own target) and its Ops."""

    name: str | None
    ops: Ops
    account: str | None = None

    @property
    def region(self) -> str | None:
        try:
            return self.ops.clients.region or self.ops.settings.region
        except SentinelError:
            return self.ops.settings.region

    def identify(self) -> SentinelError | None:
        """The account id (one GetCallerIdentity per target, cached); the error when it fails."""
        try:
            self.account = self.ops.clients.identity().account
        except SentinelError as exc:
            return exc
        return None


@dataclass
class ContextLoad:
    target: Target
    snapshot: FleetSnapshot | None = None
    error: SentinelError | None = None

    @property
    def usable(self) -> bool:
        return self.snapshot is not None and (self.error is None or bool(self.snapshot.entries))


def select_contexts(settings: Settings, names: Sequence[str] = (), all_contexts: bool = False) -> list[ContextSpec]:
    """The contexts asked for, in the order asked (all: the file's order); [] means none (the settings' own)."""
    if all_contexts:
        if not settings.contexts:
            raise ConfigError(f"--all-contexts: no contexts are configured in {config_file()}; add "
                              "[contexts.NAME] tables (profile, region, policy_root, endpoint_url) or run "
                              f"`{remedies.CONTEXTS_IMPORT_COMMAND}` to offer the profiles of your AWS config file")
        return list(settings.contexts)
    chosen: list[ContextSpec] = []
    for name in names:
        ctx = settings.context(name)
        if ctx not in chosen:
            chosen.append(ctx)
    return chosen


def context_settings(base: Settings, ctx: ContextSpec, flags: Callable[[Settings], Settings] | None = None) -> Settings:
    """The base settings with the context's fields over them, then the command line's flags."""
    settings = base.with_(**ctx.overrides())
    return flags(settings) if flags else settings


def build_targets(base: Settings, contexts: Sequence[ContextSpec], *, audit: AuditLog | None = None,
                  hooks: Callable[[str | None], list] | None = None,
                  flags: Callable[[Settings], Settings] | None = None) -> list[Target]:
    """One Ops per context (no AWS call yet); without contexts, one for the settings themselves."""
    audit = audit or AuditLog()
    hooks = hooks or (lambda name: [])
    if not contexts:
        settings = flags(base) if flags else base
        return [Target(None, Ops.from_settings(settings, audit=audit, hooks=hooks(None)))]
    return [Target(ctx.name, Ops.from_settings(context_settings(base, ctx, flags), audit=audit,
                                               hooks=hooks(ctx.name)))
            for ctx in contexts]


def load_one(target: Target, cancelled: Callable[[], bool] = lambda: False) -> ContextLoad:
    identity_error = target.identify()
    try:
        snap = target.ops.fleet.load(cancelled=cancelled)
    except SentinelError as exc:  # a session that cannot even be built (unknown profile)
        return ContextLoad(target, None, exc)
    error = snap.error
    if error is None and identity_error is not None and not snap.entries:
        error = identity_error
    return ContextLoad(target, snap, error)


def load_all(targets: Sequence[Target], *, cancelled: Callable[[], bool] = lambda: False,
             on_done: Callable[[ContextLoad], None] | None = None) -> list[ContextLoad]:
    """Load every target concurrently; results in the targets' order, each with its own error."""
    if len(targets) == 1:
        result = load_one(targets[0], cancelled)
        if on_done:
            on_done(result)
        return [result]
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(targets)), thread_name_prefix="sentinel-ctx") as pool:
        futures = [pool.submit(load_one, t, cancelled) for t in targets]
        results = []
        for future in futures:
            try:
                result = future.result()
            except Exception as exc:  # never let one context take the others down
                result = ContextLoad(targets[len(results)], None,
                                     SentinelError(f"Loading failed unexpectedly: {type(exc).__name__}: {exc}",
                                                   "Run again with SENTINEL_TUI_DEBUG=1 and report it."))
            if on_done:
                on_done(result)
            results.append(result)
    return results
