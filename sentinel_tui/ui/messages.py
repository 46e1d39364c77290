"""Messages the app's workers post; screens and widgets subscribe to what they show."""

from __future__ import annotations

from textual.message import Message

from ..ops.fleet import FleetEntry, FleetSnapshot


class FleetUpdated(Message, bubble=False):
    """Entries of the fleet arrived (streamed page by page), or a load finished.

    The app keeps the merged snapshot in `SentinelApp.fleet` and republishes every
    update on `SentinelApp.fleet_changed`, a Signal: subscribe to it rather than
    handling this message, which only the app receives.

    - `reset`: a new load began (context switch or full reload): forget earlier entries.
    - `entries`: new or changed entries, in arrival order.
    - `cached`: `snapshot` is the fleet as the cache holds it (ops/cache.py), shown until
      the load confirms it (`reset` comes with it).
    - `done`: the load or refresh finished; `snapshot` is then the whole result
      (entries that disappeared are absent from it; `snapshot.error` says why a
      load stopped early).
    - `watched`: the keys (`FleetEntry.key`) of rows the watch (`w`) saw change: marked.
    """

    def __init__(self, ops, entries: list[FleetEntry] | None = None, *, reset: bool = False,
                 done: bool = False, snapshot: FleetSnapshot | None = None, load_id: int | None = None,
                 cached: bool = False, watched: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__()
        self.watched = tuple(watched)
        self.load_id = load_id  # which load this belongs to: the app drops updates of replaced loads
        self.ops = ops
        self.entries = list(entries or [])
        self.reset = reset
        self.done = done
        self.cached = cached
        self.snapshot = snapshot


class IdentityLoaded(Message, bubble=False):
    """STS GetCallerIdentity answered (or failed: `identity` None and `error` set)."""

    def __init__(self, ops, identity, error=None, region: str | None = None) -> None:
        super().__init__()
        self.region = region
        self.ops = ops
        self.identity = identity
        self.error = error
