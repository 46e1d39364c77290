"""The fleet across contexts: several AWS targets in one table, each loaded on its own.

With more than one context the app hands its fleet to :class:`FleetContexts`: one
thread worker per context (`ops/multi.py`'s targets; the usual fleet load inside),
each with its own progress, error and retry. A context whose credentials expired or
whose listing is denied keeps its error (the browser shows it as a notice row on top of
the table) and leaves the others usable; `retry` rebuilds that context's session (fresh
credentials, after `aws sso login` or a new role) and loads it again.

Entries are stamped with their context (`FleetEntry.context`), so rows of the same
policy in two accounts are two rows (`FleetEntry.key`). The app's `fleet` is the merged
snapshot the table shows; `app.ops` is the Ops of the context in focus, the one of the
row under the cursor: the header describes it, and a view or flow opened on a row uses
the Ops of that row's context (`ops_for`), so every write goes to that row's account.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from textual.worker import get_current_worker

from ..core.status import Status
from ..errors import SentinelError
from ..ops.context import Ops
from ..ops import cache as fleet_cache
from ..ops.fleet import FleetEntry, FleetSnapshot, keep_values
from ..ops.multi import Target
from .messages import FleetUpdated

if TYPE_CHECKING:  # pragma: no cover
    from .app import SentinelApp

GROUP = "fleet-context"


def stamp(entries: Iterable[FleetEntry], context: str) -> list[FleetEntry]:
    """The entries as rows of `context` (unchanged objects stay the same objects)."""
    return [e if e.context == context else replace(e, context=context) for e in entries]


@dataclass
class ContextState:
    """One context as the app shows it."""

    target: Target
    snapshot: FleetSnapshot
    loading: bool = False
    error: BaseException | None = None
    load_id: int = 0
    identity: Any = None
    identity_error: BaseException | None = None
    region: str | None = None
    loaded: int = 0  # entries received by the running load (its progress)
    watch_error: BaseException | None = None  # the watch's polls of this context fail now

    @property
    def name(self) -> str:
        return self.target.name or "default"

    @property
    def ops(self) -> Ops:
        return self.target.ops

    @property
    def account(self) -> str | None:
        return self.target.account

    def counts(self) -> tuple[int, int]:
        """(valid, need attention) among the stored policies of this context."""
        entries = [e for e in self.snapshot.entries.values() if e.remote]
        valid = sum(1 for e in entries if e.status is Status.VALID)
        return valid, len(entries) - valid

    def words(self) -> str:
        """How a confirmation names where a write goes: account, context and region in words."""
        region = self.ops.settings.region or self.region or "?"
        account = self.account or "(account not known yet)"
        return f"account {account} (context {self.name}), region {region}"


class FleetContexts:
    """The contexts of the app's fleet and their loads."""

    def __init__(self, app: "SentinelApp", targets: Sequence[Target]) -> None:
        self.app = app
        self.states = [ContextState(t, FleetSnapshot(root=t.ops.settings.policy_root)) for t in targets]
        self.active = True

    # -- lookups ----------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.states]

    def state(self, name: str | None) -> ContextState | None:
        return next((s for s in self.states if s.name == name), None)

    def state_of(self, ops: Ops | None) -> ContextState | None:
        return next((s for s in self.states if s.ops is ops), None)

    def accounts(self) -> dict[str, str | None]:
        return {s.name: s.account for s in self.states}

    def ops_for(self, entry: FleetEntry | None) -> Ops | None:
        state = self.state(entry.context) if entry is not None else None
        return state.ops if state is not None else None

    def entry(self, name: str, focused: Ops) -> FleetEntry | None:
        """A policy by name (or `CONTEXT:NAME`): in the context in focus first, then in any."""
        context, _, rest = name.partition(":")
        if rest and self.state(context) is not None and not name.startswith("/"):
            states, name = [self.state(context)], rest
        else:
            first = self.state_of(focused)
            states = ([first] if first else []) + [s for s in self.states if s is not first]
        for state in states:
            for entry in state.snapshot.entries.values():
                if entry.name == name or entry.path == name:
                    return entry
        return None

    @property
    def loading(self) -> bool:
        return any(s.loading for s in self.states)

    # -- loading ----------------------------------------------------------------------

    def start(self) -> None:
        for state in self.states:
            self.load(state, full=True)

    def reload(self, *, full: bool = False) -> None:
        """`r` / `R`: every context again (each re-reads only what changed, unless `full` or it failed)."""
        for state in self.states:
            self.load(state, full=full)

    def retry(self, name: str) -> None:
        """Load one context again on a fresh session (new credentials), after its error was fixed."""
        state = self.state(name)
        if state is None:
            raise SentinelError(f"No context {name!r} is shown.",
                                "Shown: " + ", ".join(self.names) + ". :contexts lists them all.", kind="usage")
        state.target = Target(state.target.name, state.ops.switch())
        state.identity = state.identity_error = None
        self.load(state, full=True)
        self.app.fleet_watch.restart()  # the watch polls the new session
        if self.app.ops is not state.ops and self.state_of(self.app.ops) is None:
            self.focus(state.name)

    def load(self, state: ContextState, *, full: bool = False) -> None:
        snap = state.snapshot
        base = None
        if not full and snap.complete and snap.error is None and state.error is None:
            base = FleetSnapshot(root=snap.root, entries=dict(snap.entries), tvms=list(snap.tvms),
                                 complete=True, loaded_at=snap.loaded_at)
        state.load_id += 1
        state.loading = True
        state.loaded = 0
        self._publish_state()
        self.app.run_worker(partial(self._load, state, state.ops, state.load_id, base), thread=True,
                            group=f"{GROUP}:{state.name}", exclusive=True, exit_on_error=False,
                            name=f"load {state.name}")

    def _load(self, state: ContextState, ops: Ops, load_id: int, base: FleetSnapshot | None) -> None:
        worker = get_current_worker()

        def cancelled() -> bool:
            return worker.is_cancelled or not self.active

        identity_error = state.target.identify()
        identity = None
        try:
            identity = ops.clients.identity() if identity_error is None else None
            region = ops.clients.region
        except SentinelError:
            region = None
        self._call(self._identified, state, load_id, identity, identity_error, region)

        def emit(entries: list[FleetEntry]) -> None:
            if not cancelled():
                self._call(self._batch, state, load_id, entries)

        use_cache = self.app.use_cache
        try:
            # the app's warm start, per context: the cache shown at once, then confirmed with metadata listings
            cached = fleet_cache.read(ops) if use_cache and base is None and identity_error is None else None
            if cached is not None and not fleet_cache.same_account(ops, cached):
                cached = None  # kept for another account than the one this context reaches now
            if cached is not None:
                self._call(self._cached, state, load_id, cached)
                snap = ops.fleet.confirm(cached, emit, cancelled)
            else:
                snap = ops.fleet.load(emit, cancelled) if base is None else ops.fleet.refresh(base, emit, cancelled)
            error = snap.error
            if error is None and identity_error is not None and not snap.entries:
                error = identity_error
        except SentinelError as exc:  # a session that cannot even be built (a profile that is gone)
            snap, error = None, exc
        except Exception as exc:  # never let one context take the others down
            snap, error = None, SentinelError(f"Loading failed unexpectedly: {type(exc).__name__}: {exc}",
                                              "Run again with SENTINEL_TUI_DEBUG=1 and report it.")
        if not cancelled():
            if use_cache and snap is not None:
                fleet_cache.save(ops, snap)
            self._call(self._done, state, load_id, snap, error)

    def _call(self, callback: Callable, *args: Any) -> None:
        """`callback(*args)` on the app's thread, in the order called; the load goes on meanwhile (posting
        is thread-safe; waiting for each page, as call_from_thread does, held every load back)."""
        self.app.call_later(callback, *args)

    def _current(self, state: ContextState, load_id: int) -> bool:
        return self.active and state in self.states and state.load_id == load_id

    def _identified(self, state: ContextState, load_id: int, identity: Any, error: BaseException | None,
                    region: str | None) -> None:
        if not self._current(state, load_id):
            return
        state.identity, state.identity_error, state.region = identity, error, region
        if self.app.ops is state.ops:
            self.focus(state.name, force=True)
        self._publish_state()

    def _cached(self, state: ContextState, load_id: int, cached: FleetSnapshot) -> None:
        if not self._current(state, load_id):
            return
        cached.entries = dict(zip(cached.entries, stamp(cached.entries.values(), state.name)))
        state.snapshot = cached
        self.replace_rows(state)

    def _batch(self, state: ContextState, load_id: int, entries: list[FleetEntry]) -> None:
        if not self._current(state, load_id):
            return
        rows = stamp(entries, state.name)
        merged = self.app.fleet.entries
        for entry in rows:
            state.snapshot.entries[entry.path] = entry
            merged[entry.key] = entry
        state.loaded += len(rows)
        self.app.fleet_changed.publish(FleetUpdated(state.ops, rows))

    def _done(self, state: ContextState, load_id: int, snap: FleetSnapshot | None,
              error: BaseException | None) -> None:
        if not self._current(state, load_id):
            return
        state.loading = False
        if isinstance(error, SentinelError) and error.kind == "cancelled":
            error = None
        if snap is None:
            snap = FleetSnapshot(root=state.ops.settings.policy_root, error=error)
        snap.entries = dict(zip(snap.entries, stamp(snap.entries.values(), state.name)))
        keep_values(snap, state.snapshot)  # rows from the cache whose pair was read since keep their values
        state.snapshot = snap
        state.error = error
        self.replace_rows(state)
        self.app.fleet_watch.reseed(state.ops, snap)
        if error is not None:
            what = error.what if isinstance(error, SentinelError) else str(error)
            self.app.notify(f"Context {state.name}: {what} (r on its row retries)", severity="error", timeout=6)

    def replace_rows(self, state: ContextState) -> None:
        """The merged fleet with this context's rows as its snapshot holds them; the table follows."""
        prefix = f"{state.name}:"
        merged = {k: e for k, e in self.app.fleet.entries.items() if not k.startswith(prefix)}
        merged.update((e.key, e) for e in state.snapshot.entries.values())
        self.merge_snapshot(merged)

    def merge_snapshot(self, entries: dict[str, FleetEntry] | None = None) -> None:
        fleet = self.app.fleet
        self.app.fleet = FleetSnapshot(root=self.states[0].snapshot.root if self.states else fleet.root,
                                       entries=entries if entries is not None else dict(fleet.entries),
                                       complete=all(s.snapshot.complete for s in self.states),
                                       loaded_at=fleet.loaded_at)
        self.app.fleet_loading = self.loading
        self.app.fleet_changed.publish(FleetUpdated(self.app.ops, done=True, snapshot=self.app.fleet))

    def _publish_state(self) -> None:
        """Progress or identity of a context changed: the header and the browser's summary follow."""
        self.app.fleet_loading = self.loading
        self.app.fleet_changed.publish(FleetUpdated(self.app.ops))

    # -- after a write ----------------------------------------------------------------------

    def refresh_entry(self, name: str, ops: Ops) -> None:
        state = self.state_of(ops)
        if state is None:
            return
        tvms = list(state.snapshot.tvms) or None
        self.app.run_worker(partial(self._read_entry, state, name, tvms), thread=True,
                            group=f"{GROUP}-entry", exit_on_error=False, name=f"read {state.name}:{name}")

    def _read_entry(self, state: ContextState, name: str, tvms) -> None:
        entry = state.ops.fleet.entry(name, tvms=tvms)
        self._call(self._entry_read, state, entry)

    def _entry_read(self, state: ContextState, entry: FleetEntry) -> None:
        if state not in self.states or not self.active:
            return
        rows = self.apply_entries(state, [entry], [])
        self.app.fleet_watch.note_entries(state.ops, rows)

    def apply_entries(self, state: ContextState, entries: list[FleetEntry], gone: Iterable[str]) -> list[FleetEntry]:
        """Changed entries (and removed paths) of one context into its snapshot and the table."""
        rows = stamp(entries, state.name)
        gone = list(gone)
        for entry in rows:
            state.snapshot.entries[entry.path] = entry
            self.app.fleet.entries[entry.key] = entry
        for path in gone:
            state.snapshot.entries.pop(path, None)
            self.app.fleet.entries.pop(f"{state.name}:{path}", None)
        if gone:
            self.merge_snapshot()
        elif rows:
            self.app.fleet_changed.publish(FleetUpdated(state.ops, rows))
        return rows

    # -- focus ---------------------------------------------------------------------------------

    def focus(self, name: str | None, *, force: bool = False) -> None:
        """Make `name` the context in focus: `app.ops` and the header's identity are its own."""
        state = self.state(name)
        if state is None:
            return
        app = self.app
        if app.ops is not state.ops or force:
            app.ops = state.ops
        app.identity = state.identity
        app.identity_error = state.identity_error
        app.resolved_region = state.region
        app.default_key_missing = False

    def stop(self) -> None:
        """Leave: every context's worker is cancelled, late results are dropped."""
        self.active = False
        for state in self.states:
            self.app.workers.cancel_group(self.app, f"{GROUP}:{state.name}")
