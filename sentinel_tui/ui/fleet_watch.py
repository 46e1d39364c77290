"""Watch in the app (`w`): keep the table current with ops/watch.py's Watcher.

A thread worker polls each context on its own schedule, as `policy status --watch` does:
metadata listings only (DescribeParameters), values read only for what moved, the
interval sized for the fleet (Parameter Store's default quota) and doubled while AWS
throttles. The watcher starts from the snapshots the app already shows (no second
load), and each completed load of the app hands it the newer one.

What a poll finds reaches the app on its thread: the rows that moved are updated and
marked (`◆` before the name, until the cursor visits the row); a policy that turned from
valid to anything else is announced by a notification that names the policy, its
context and its new status, and by the terminal bell when the settings ask for it
(`bell = true`). The status line says the watch is on and its interval.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import TYPE_CHECKING, Any, Callable

from textual.worker import get_current_worker

from ..errors import SentinelError
from ..ops.context import Ops
from ..ops.fleet import FleetEntry, FleetSnapshot
from ..ops.multi import Target
from ..ops.watch import Change, Watcher

if TYPE_CHECKING:  # pragma: no cover
    from .app import SentinelApp

GROUP = "watch"


def _versions(entry: FleetEntry) -> tuple:
    return (entry.policy.version if entry.policy else None, entry.signature.version if entry.signature else None,
            entry.status, entry.local)


def moved_entries(old: FleetSnapshot | None, new: FleetSnapshot | None) -> tuple[list[FleetEntry], list[str]]:
    """The entries of `new` whose versions, status or local state differ from `old`'s, and the paths gone."""
    if old is None or new is None or new is old:
        return [], []
    moved = [e for path, e in new.entries.items()
             if (path not in old.entries or _versions(old.entries[path]) != _versions(e))]
    gone = [path for path in old.entries if path not in new.entries] if new.complete and new.error is None else []
    return moved, gone


def _copy(snapshot: FleetSnapshot | None) -> FleetSnapshot | None:
    """A snapshot the watcher may read in its thread while the app changes its own (a complete one only)."""
    if snapshot is None or not snapshot.complete or snapshot.error is not None or snapshot.from_cache:
        return None
    return FleetSnapshot(root=snapshot.root, entries=dict(snapshot.entries), tvms=list(snapshot.tvms),
                         complete=True, loaded_at=snapshot.loaded_at)


class FleetWatch:
    """The app's watch: on or off, its Watcher and the worker that polls."""

    def __init__(self, app: "SentinelApp", interval: float | None = None) -> None:
        self.app = app
        self.interval = interval  # None: the Watcher's default for the fleet's size
        self.watcher: Watcher | None = None
        self._stop = threading.Event()
        self.errors: dict[int, BaseException] = {}  # id(target) -> the error its polls give now

    @property
    def on(self) -> bool:
        return self.watcher is not None

    def toggle(self) -> None:
        if self.on:
            self.stop()
            self.app.notify("Watch stopped; w starts it again.", timeout=3)
        else:
            self.start()
            watcher = self.watcher
            if watcher is None:
                return
            count = len(watcher.targets)
            self.app.notify(f"Watching {count} context{'s' if count != 1 else ''} every "
                            f"{watcher.describe_interval()} (about {watcher.calls_per_minute():,.0f} calls a minute): "
                            "changed rows are marked ◆; w stops." if watcher.policy_count() else
                            f"Watching every {watcher.describe_interval()} once the fleet is loaded; w stops.",
                            timeout=5)

    def start(self) -> None:
        pairs = self.app.watch_targets()
        if not pairs:
            self.app.notify("Nothing to watch: no context could be loaded (r on an error row retries it).",
                            severity="warning", timeout=5)
            return
        watcher = Watcher([target for target, _ in pairs], interval=self.interval)
        for state, (_, snapshot) in zip(watcher.states, pairs):
            state.snapshot = _copy(snapshot)
            state.due = watcher.clock() + watcher.interval_for(state)
        self._stop = threading.Event()
        self.watcher = watcher
        self.errors = {}
        self.app.run_worker(partial(self._run, watcher, self._stop), thread=True, group=GROUP, exclusive=True,
                            exit_on_error=False, name="watch")
        self._say_interval()

    def stop(self) -> None:
        self._stop.set()
        self.watcher = None
        self.app.workers.cancel_group(self.app, GROUP)
        self.app.watching = ""

    def shutdown(self) -> None:
        """The app is leaving: the polling thread ends at its next look at the clock."""
        self._stop.set()

    def restart(self) -> None:
        """The targets changed (a context switch): watch the new ones."""
        if self.on:
            self.stop()
            self.start()

    def reseed(self, ops: Ops, snapshot: FleetSnapshot | None) -> None:
        """A load of the app completed: the watcher goes on from what it read."""
        watcher = self.watcher
        copy = _copy(snapshot)
        if watcher is None or copy is None:
            return
        for state in watcher.states:
            if state.target.ops is ops:
                state.snapshot = copy
        self._say_interval()

    def note_entries(self, ops: Ops, entries: list[FleetEntry]) -> None:
        """Pairs the app read again itself (after its own write): not news for the watch's next poll."""
        watcher = self.watcher
        if watcher is None or not entries:
            return
        for state in watcher.states:
            old = state.snapshot
            if state.target.ops is ops and old is not None:
                # a new snapshot object: the polling thread may be reading the old one
                state.snapshot = FleetSnapshot(root=old.root, entries={**old.entries, **{e.path: e for e in entries}},
                                               tvms=list(old.tvms), complete=old.complete, loaded_at=old.loaded_at)

    def _say_interval(self) -> None:
        if self.watcher is not None:
            self.app.watching = f"every {self.watcher.describe_interval()}"

    # -- the polling thread --------------------------------------------------------------

    def _run(self, watcher: Watcher, stop: threading.Event) -> None:
        worker = get_current_worker()
        while not stop.is_set() and not worker.is_cancelled:
            wait = min(s.due for s in watcher.states) - watcher.clock()
            if wait > 0:
                stop.wait(min(wait, 0.5))  # a look at the flag at least twice a second
                continue
            before = [(state, state.snapshot, state.polls) for state in watcher.states]
            changes: list[Change] = []
            errors: list[tuple[Target, SentinelError]] = []
            watcher.poll_due(changes.append, lambda target, error: errors.append((target, error)))
            if stop.is_set():
                return
            results = []
            for state, old, polls in before:
                if state.polls != polls:
                    moved, gone = moved_entries(old, state.snapshot)
                    results.append((state.target, moved, gone, state.last_error is None))
            self._call(self._polled, watcher, results, changes, errors)

    def _call(self, callback: Callable, *args: Any) -> None:
        self.app.call_later(callback, *args)  # on the app's thread (posting is thread-safe)

    # -- back on the app's thread -------------------------------------------------------

    def _polled(self, watcher: Watcher, results: list, changes: list[Change],
                errors: list[tuple[Target, SentinelError]]) -> None:
        if watcher is not self.watcher:
            return  # stopped or restarted meanwhile
        for target, moved, gone, clean in results:
            if moved or gone:
                self.app.apply_watched(target.ops, moved, gone)
            if clean and id(target) in self.errors:
                self.errors.pop(id(target))
                self.app.watch_error(target.ops, None)
        for target, error in errors:
            self.errors[id(target)] = error
            self.app.watch_error(target.ops, error)
        self._announce(changes)
        self._say_interval()

    def _announce(self, changes: list[Change]) -> None:
        degraded = [c for c in changes if c.degraded]
        for change in degraded:
            where = f" in {change.context}" if change.context else ""
            new = change.new_status or "deleted"
            verdict = f"; the TVM {change.tvm}" if change.tvm and change.new_status else ""
            self.app.notify(f"{change.name}{where}: valid → {new}{verdict}", title="A policy is no longer valid",
                            severity="error", timeout=20)
        if degraded and self.app.settings.bell:
            self.app.bell()
        others = [c for c in changes if not c.degraded]
        if not others:
            return
        said = ", ".join(f"{c.name}{f' ({c.context})' if c.context else ''} {c.old_status or 'new'} → "
                         f"{c.new_status or 'deleted'}" for c in others[:3])
        more = f" and {len(others) - 3} more" if len(others) > 3 else ""
        self.app.notify(f"Changed: {said}{more}.", timeout=6)
