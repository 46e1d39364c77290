"""Watch: keep one or more contexts current with cheap polling, and report what changed.

Each poll of a context is FleetService.refresh: DescribeParameters over the policy
root and the signature root (names and versions, 50 a page, never values), one
ListFunctions, and GetParameters only for the parameters whose version moved. For P
policies and S signatures that is ceil(P/50) + ceil(S/50) + 1 calls when nothing
changes: 41 for 1,000 signed policies.

The default interval keeps a context under WATCH_TPS calls a second on average
(never below MIN_INTERVAL): 20 s for 1,000 signed policies, i.e. about 2 calls/s,
a twentieth of Parameter Store's default throughput (40 TPS per account and region).
A poll that is throttled even after botocore's adaptive retries doubles that
context's interval (up to MAX_BACKOFF times); each clean poll halves it again.

Loops are bounded by `max_polls` or a stop Event, so tests and the app can end them.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Sequence

from ..errors import SentinelError
from .fleet import FleetEntry, FleetSnapshot
from .multi import MAX_PARALLEL, Target, load_one

DESCRIBE_PAGE = 50
WATCH_TPS = 2.0
MIN_INTERVAL = 5.0
MAX_BACKOFF = 16


def calls_per_poll(policies: int, signatures: int) -> int:
    """AWS calls of one poll that finds nothing changed."""
    return max(1, math.ceil(policies / DESCRIBE_PAGE)) + max(1, math.ceil(signatures / DESCRIBE_PAGE)) + 1


def default_interval(policies: int, signatures: int) -> float:
    return max(MIN_INTERVAL, calls_per_poll(policies, signatures) / WATCH_TPS)


@dataclass(frozen=True)
class Change:
    """One status change of one policy, in one context."""

    time: datetime
    context: str | None
    account: str | None
    region: str | None
    name: str
    path: str
    old_status: str | None
    new_status: str | None
    version: int | None
    reason: str | None
    tvm: str | None
    tvm_log: str | None

    @property
    def degraded(self) -> bool:
        """A valid policy that turned into anything else: what an operator must hear about."""
        return self.old_status == "valid" and self.new_status != "valid"

    def as_json(self) -> dict:
        return {
            "time": self.time.isoformat(), "context": self.context, "account": self.account,
            "region": self.region, "name": self.name, "path": self.path,
            "old_status": self.old_status, "new_status": self.new_status, "status": self.new_status,
            "version": self.version, "reason": self.reason, "tvm": self.tvm, "tvm_log": self.tvm_log,
        }

    def as_text(self) -> str:
        where = f"{self.context}  " if self.context else ""
        old = self.old_status or "(absent)"
        new = self.new_status or "(deleted)"
        tail = f"  {self.tvm}" if self.tvm else ""
        return f"{self.time.strftime('%H:%M:%S')}  {where}{self.name}  {old} → {new}{tail}"


def _status(entry: FleetEntry | None) -> str | None:
    if entry is None or not entry.remote or entry.status is None:
        return None
    return str(entry.status)


def diff_snapshots(old: FleetSnapshot, new: FleetSnapshot, target: Target, now: datetime) -> list[Change]:
    changes = []
    for path in sorted(set(old.entries) | set(new.entries)):
        before, after = old.entries.get(path), new.entries.get(path)
        if after is not None and after.pending:
            continue  # not judged yet: reported once it is
        was, now_status = _status(before), _status(after)
        if was == now_status:
            continue
        a = after.assessment if after is not None else None
        changes.append(Change(
            time=now, context=target.name, account=target.account, region=target.region,
            name=(after or before).name, path=path, old_status=was, new_status=now_status,
            version=after.policy.version if after is not None and after.policy else None,
            reason=a.reason if a else None, tvm=a.tvm.text if a else None,
            tvm_log=getattr(a.tvm, "log", None) if a else None,
        ))
    return changes


@dataclass
class _State:
    target: Target
    snapshot: FleetSnapshot | None = None
    backoff: int = 1
    due: float = 0.0
    polls: int = 0
    calls: int = 0
    last_error: str | None = None


class Watcher:
    """Polls every target on its own schedule; reports changes and errors through callbacks."""

    def __init__(self, targets: Sequence[Target], *, interval: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        if interval is not None and interval <= 0:
            raise ValueError(f"--interval must be a positive number of seconds, not {interval}")
        self.targets = list(targets)
        self.fixed_interval = interval
        self.clock = clock
        self.now = now
        self.states = [_State(t) for t in self.targets]

    # -- sizing -------------------------------------------------------------------

    def _sizes(self, state: _State) -> tuple[int, int]:
        snap = state.snapshot
        if snap is None:
            return 0, 0
        policies = sum(1 for e in snap.entries.values() if e.policy is not None or e.policy_error)
        signatures = sum(1 for e in snap.entries.values() if e.signature is not None)
        return policies, signatures

    def interval_for(self, state: _State) -> float:
        base = self.fixed_interval if self.fixed_interval is not None else default_interval(*self._sizes(state))
        return base * state.backoff

    def policy_count(self) -> int:
        return sum(self._sizes(s)[0] for s in self.states)

    def calls_per_minute(self) -> float:
        return sum(calls_per_poll(*self._sizes(s)) * 60.0 / self.interval_for(s) for s in self.states)

    def describe_interval(self) -> str:
        values = sorted({round(self.interval_for(s), 1) for s in self.states})
        text = "/".join(f"{v:g}" for v in values)
        return f"{text} s"

    # -- polling ------------------------------------------------------------------

    def _poll(self, state: _State) -> tuple[list[Change], SentinelError | None]:
        old = state.snapshot
        if old is None or not old.complete:
            result = load_one(state.target)
            snap, error = result.snapshot, result.error
        else:
            try:
                snap = state.target.ops.fleet.refresh(old)
                error = snap.error
            except SentinelError as exc:
                snap, error = old, exc
        changes: list[Change] = []
        if snap is not None:
            if old is not None:
                changes = diff_snapshots(old, snap, state.target, self.now())
            if snap.complete or old is None:
                state.snapshot = snap
        state.polls += 1
        if error is not None and getattr(error, "kind", "") == "throttled":
            state.backoff = min(MAX_BACKOFF, state.backoff * 2)
        elif error is None and state.backoff > 1:
            state.backoff //= 2
        state.due = self.clock() + self.interval_for(state)
        return changes, error

    def start(self) -> None:
        """The first load of every target, concurrently (no changes reported for it)."""
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, max(1, len(self.states)))) as pool:
            results = list(pool.map(self._poll, self.states))
        self._first_errors = [(s.target, err) for s, (_, err) in zip(self.states, results) if err is not None]
        for state, (_, err) in zip(self.states, results):
            state.last_error = (getattr(err, "kind", None) or str(err)) if err is not None else None

    def poll_due(self, on_change: Callable[[Change], None],
                 on_error: Callable[[Target, SentinelError], None]) -> int:
        """Poll every target that is due (concurrently); returns how many were polled."""
        now = self.clock()
        due = [s for s in self.states if s.due <= now]
        if not due:
            return 0
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(due))) as pool:
            results = list(pool.map(self._poll, due))
        for state, (changes, error) in zip(due, results):
            for change in changes:
                on_change(change)
            # each kind of error once, not every poll (the two listings run side by side, so the
            # same throttling may name either prefix first)
            text = getattr(error, "kind", None) or str(error) if error is not None else None
            if text is not None and text != state.last_error:
                on_error(state.target, error)
            state.last_error = text
        return len(due)

    def run(self, *, on_change: Callable[[Change], None],
            on_error: Callable[[Target, SentinelError], None] = lambda t, e: None,
            on_start: Callable[["Watcher"], None] = lambda w: None,
            stop: threading.Event | None = None, max_polls: int | None = None) -> None:
        """Load, then poll until `stop` is set or `max_polls` rounds have run."""
        stop = stop or threading.Event()
        self.start()
        for target, error in self._first_errors:
            on_error(target, error)
        on_start(self)
        rounds = 0
        while not stop.is_set() and (max_polls is None or rounds < max_polls):
            wait = min(s.due for s in self.states) - self.clock()
            if wait > 0 and stop.wait(wait):
                return
            if self.poll_due(on_change, on_error):
                rounds += 1
