"""The Textual app: the policy browser and the shared state and hooks other screens build on.

Public hooks (for screens added later):

- `app.ops`: the `Ops` in force (a reactive: `self.watch(app, "ops", cb)`); replaced by
  `app.switch_context(...)` on a profile, region, endpoint or root switch.
- `app.fleet`: the current `FleetSnapshot` (entries stream in while loading);
  `app.selected`: the `FleetEntry` under the browser's cursor (reactive);
  `app.entry(name)`: an entry by name; `app.fleet_changed`: a Signal published with
  every `FleetUpdated` (subscribe with `app.fleet_changed.subscribe(self, callback)`).
- `app.reload(full=False)` re-reads what changed; `app.refresh_entry(name)` re-reads one
  pair (after a write) and counts the write in `app.written[name]` (views compare it on resume).
- `app.show_error(error)`: the ErrorScreen for any exception.

Screens reach these through the typed protocol in `ui/shell.py` (``shell(self).reload()``),
never by probing the app. Every `:` command, palette entry and view the app opens is wired
in `ui/routes.py`; keys are remapped by binding id from the settings' ``[keys]`` table.

Every AWS call runs in a thread worker; errors from workers land in one place
(`on_worker_state_changed`) and open the ErrorScreen.
"""

from __future__ import annotations

import gc
from time import monotonic

import inspect
from datetime import datetime
from typing import Any, Callable, Sequence

from textual import events, work
from textual.actions import SkipAction
from textual.app import App
from textual.reactive import var
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState, get_current_worker

from ..core.text import inert
from ..errors import SentinelError
from ..ops.context import Ops
from ..ops import cache as fleet_cache
from ..ops.fleet import FleetEntry, FleetSnapshot, keep_values
from ..ops.multi import Target, build_targets
from . import routes
from .commands import CommandRegistry, split_args
from .fleet_contexts import FleetContexts
from .fleet_watch import FleetWatch
from .messages import FleetUpdated, IdentityLoaded
from .routes import SentinelCommandProvider
from .screens.browser import BrowserScreen
from .screens.command import CommandScreen
from .screens.error import ErrorScreen
from .screens.file_picker import FilePicker
from .screens.flows import PushFlow
from .screens.help import HelpScreen, keys_for
from .shell import AppScreen
from .keymap import KEYS

FLEET_GROUP = "fleet"
_NO_PREVIOUS = object()


def typing_into(widget: Any) -> bool:
    """Whether keys go into a text field (where `:`, `/` and `?` are text, not commands)."""
    from textual.widgets import Input, TextArea

    return isinstance(widget, (Input, TextArea))


def _listing_error(error: BaseException, root: str) -> BaseException:
    """A listing that failed for want of credentials says the policies could not be listed, not
    which API call of the listing happened to go first (it named lambda:ListFunctions)."""
    import copy
    import re

    if not isinstance(error, SentinelError) or not error.kind.endswith("credentials"):
        return error
    said = copy.copy(error)
    reason = re.sub(r",? so \S+ could not be called", "", error.what).rstrip(".")
    said.what = f"The policies under {root} could not be listed: {reason[:1].lower()}{reason[1:]}."
    return said


def _profile_words(profile: str | None) -> str:
    """How a profile is named to the user (None or "": the default credentials)."""
    return f"profile {profile}" if profile else "the default credentials (no profile)"


class SentinelApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "sentinel-tui"
    COMMANDS = App.COMMANDS | {SentinelCommandProvider}

    BINDINGS = KEYS["SentinelApp"]

    POST_INTERVAL = 0.1  # seconds: streamed pages reach the app's thread at most this often (see _fleet_worker)
    ops: var[Ops] = var(None, always_update=True)  # type: ignore[assignment]
    identity = var(None)
    identity_error = var(None)
    resolved_region = var(None)
    selected: var[FleetEntry | None] = var(None, always_update=True)
    fleet_loading = var(False)
    # True once the settings' default key was looked up and KMS does not have it (the header says so)
    default_key_missing = var(False)
    # "every 5 s" while the watch (w) polls, else "" (the browser's status line says it)
    watching = var("")

    def __init__(self, ops: Ops, *, clock: Callable[[], datetime] | None = None,
                 initial_diff: tuple[str, str] | None = None, use_cache: bool = False,
                 targets: Sequence[Target] = (), make_targets: Callable[[Sequence[Any]], list[Target]] | None = None,
                 watch_interval: float | None = None) -> None:
        super().__init__()
        # Several contexts at once (ui/fleet_contexts.py): `targets` opens on them; `make_targets` builds the
        # targets of [contexts.NAME] specs for :context and :contexts (default: over `ops`'s settings and hooks).
        self.contexts: FleetContexts | None = None
        self._initial_targets = list(targets)
        self.make_targets = make_targets or (lambda specs: build_targets(
            ops.settings, specs, audit=ops.audit, hooks=lambda name: list(ops.clients.hooks)))
        self.context_specs = tuple(ops.settings.contexts)  # what :contexts offers (grows with :contexts import)
        self.context_name: str | None = targets[0].name if len(targets) == 1 else None  # the one context shown
        self.fleet_watch = FleetWatch(self, watch_interval)
        # The fleet cache (ops/cache.py): shown at launch, confirmed, kept after each complete load.
        # Off unless asked for (the command line asks, `--no-cache` not): tests and embedders opt in.
        self.use_cache = use_cache
        self.set_reactive(SentinelApp.ops, ops)
        self.clock: Callable[[], datetime] = clock or ops.clock
        self.initial_diff = initial_diff
        self.fleet = FleetSnapshot(root=ops.settings.policy_root)
        self.fleet_changed: Signal[FleetUpdated] = Signal(self, "fleet-changed")
        self.commands = CommandRegistry()
        self._load_id = 0
        self._previous_profile: Any = _NO_PREVIOUS  # what `:profile -` goes back to
        self._refresh_base: dict[str, FleetEntry] | None = None
        # policy name -> how many writes to it completed: a view that shows a policy re-reads it
        # when it comes back on screen and this moved (a push from the diff view, :push from the doctor)
        self.written: dict[str, int] = {}
        self._key_checked: Ops | None = None  # the context whose default key was looked up
        self._frozen = False
        self._frozen_at = float("-inf")  # while pages stream in, at most one freeze every half second
        routes.install(self)  # every `:` command and palette entry

    # -- screens ------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return BrowserScreen(id="browser")

    def on_mount(self) -> None:
        try:
            routes.apply_keymap(self, dict(self.ops.settings.keys))
        except SentinelError as exc:
            self.show_error(exc, title="Keys not remapped")
        self._freeze_fleet()  # what start-up made (modules, botocore's models) is walked by no collection
        if len(self._initial_targets) > 1:
            self.show_contexts(self._initial_targets)  # every context at once (ui/fleet_contexts.py)
            return
        self._load_identity(self.ops)
        self.reload(full=True, cached=self.use_cache)
        if self.initial_diff:
            self.call_after_refresh(self._open_initial_diff)

    def _freeze_fleet(self) -> None:
        """Take what the fleet keeps out of the cyclic collector's walk.

        A full collection walks every tracked object: with thousands of entries loaded it
        stops the app for hundreds of milliseconds, and more as the fleet grows. After each
        fleet update, what is still alive is frozen (`gc.freeze`, a list splice); first the
        objects made since the last freeze are collected, which walks only those (frozen
        ones are skipped), so cyclic garbage is not frozen with them. Objects freed by
        reference counting are freed as ever."""
        if self._frozen:
            gc.collect()
        self._frozen = True
        gc.freeze()
        self._frozen_at = monotonic()

    def on_unmount(self) -> None:
        self.fleet_watch.shutdown()
        gc.unfreeze()  # what `on_fleet_updated` froze is the collector's again once the app is gone

    def _open_initial_diff(self) -> None:
        name, path = self.initial_diff or ("", "")
        self.execute_command(f"diff {name} {path}")

    @property
    def browser(self) -> BrowserScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, BrowserScreen):
                return screen
        return None

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every notification is plain text: they carry policy names, paths and AWS messages,
        which may hold Rich markup or control characters. (Widget.notify lands here too.)"""
        super().notify(inert(message), title=inert(title), severity=severity, timeout=timeout, markup=False)

    def notify_plain(self, message: str, *, title: str = "", severity: str = "information",
                     timeout: float | None = None) -> None:
        """A notification whose text is shown as it is (never markup), control characters escaped."""
        self.notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    @property
    def settings(self):
        """The settings in force (those of `ops`)."""
        return self.ops.settings

    def has_command(self, name: str) -> bool:
        return name in self.commands

    def open_flow(self, which: str, *, entry: FleetEntry | None = None, marked=(), words=None) -> None:
        """Start a guided flow (sign, verify, push, restore, resign): see `routes.open_flow`."""
        routes.open_flow(self, which, entry=entry, marked=marked, words=words)

    def open_diff(self, name: str, file: str | None = None, *, key_id: str | None = None,
                  signed: bool = False, versions: tuple[int, int] | None = None) -> None:
        routes.open_diff(self, name, file, key_id=key_id, signed=signed, versions=versions)

    def open_doctor(self, name: str, ops: Ops | None = None) -> None:
        routes.open_doctor(self, name, ops)

    def pick_file(self, start: str | None, title: str, then: Callable[[str | None], None]) -> None:
        """The file picker, starting in `start`; `then(path or None)` when it closes."""
        self.push_screen(FilePicker(start, title=title), then)

    def show_error(self, error: BaseException, *, title: str | None = None) -> None:
        """Open the ErrorScreen (what happened, what to do); the app stays usable behind it."""
        self.push_screen(ErrorScreen(error, title=title))

    def start_push(self, name: str, file: str) -> None:
        """The guided push of `file` as policy `name` (the diff screen's P)."""
        self.push_screen(PushFlow(self.ops, name, file))

    def go_home(self) -> None:
        """Back to the policy browser, closing any screens above it."""
        while len(self.screen_stack) > 1 and not isinstance(self.screen, BrowserScreen):
            self.pop_screen()

    # -- the fleet --------------------------------------------------------------------------

    def entry(self, name: str) -> FleetEntry | None:
        if self.contexts is not None:  # in the context in focus first (or CONTEXT:NAME)
            return self.contexts.entry(name, self.ops)
        for entry in self.fleet.entries.values():
            if entry.name == name or entry.path == name:
                return entry
        return None

    def reload(self, *, full: bool = False, cached: bool = False) -> None:
        """Re-read the fleet: only what changed, unless `full` or the last load was incomplete.

        `cached` (at launch): show the fleet cache first, then confirm it with metadata
        listings; a full reload (`R`) reads everything again whatever the cache holds."""
        if self.contexts is not None:
            self.contexts.reload(full=full)
            return
        ops = self.ops
        if full:
            self._key_checked = None  # the default key is looked up again
        full = full or not self.fleet.complete or self.fleet.root != ops.settings.policy_root
        base = None
        if not full:
            base = FleetSnapshot(root=self.fleet.root, entries=dict(self.fleet.entries), tvms=list(self.fleet.tvms),
                                 complete=True, loaded_at=self.fleet.loaded_at)
        self._load_id += 1
        self.fleet_loading = True
        self._refresh_base = dict(base.entries) if base is not None else None  # to say what changed
        self._fleet_worker(ops, base, self._load_id, cached and base is None)

    @work(thread=True, exclusive=True, exit_on_error=False, group=FLEET_GROUP)
    def _fleet_worker(self, ops: Ops, base: FleetSnapshot | None, load_id: int, cached: bool = False) -> None:
        worker = get_current_worker()

        def cancelled() -> bool:
            return worker.is_cancelled

        # Pages (ten entries) are handed to the app together, at most every POST_INTERVAL (the
        # first at once): each message costs the app's thread, which the loading thread needs.
        batch: list[FleetEntry] = []
        posted = [float("-inf")]

        def emit(entries: list[FleetEntry], *, flush: bool = False) -> None:
            if cancelled():
                return
            batch.extend(entries)
            if batch and (flush or monotonic() - posted[0] >= self.POST_INTERVAL):
                posted[0] = monotonic()
                self.post_message(FleetUpdated(ops, list(batch), load_id=load_id))
                batch.clear()

        shown = fleet_cache.read(ops) if cached else None  # no call: shown before STS answers
        snapshot = None
        if shown is not None:
            self.post_message(FleetUpdated(ops, reset=True, snapshot=shown, cached=True, load_id=load_id))
            # the account (STS) is checked beside the confirmation's listings (None: another account's)
            snapshot = ops.fleet.confirm(shown, emit, cancelled,
                                         same_account=lambda: fleet_cache.same_account(ops, shown))
        if snapshot is None and base is None:  # no cache, or one kept for another account (rows dropped)
            self.post_message(FleetUpdated(ops, reset=True, load_id=load_id))
            snapshot = ops.fleet.load(emit, cancelled)
        elif snapshot is None:
            snapshot = ops.fleet.refresh(base, emit, cancelled)
        emit([], flush=True)
        if not cancelled():
            self.post_message(FleetUpdated(ops, done=True, snapshot=snapshot, load_id=load_id))
            if self.use_cache:
                fleet_cache.save(ops, snapshot)

    def _say_what_changed(self, snapshot: FleetSnapshot) -> None:
        """After `r`: a word even when nothing changed, so the key never seems dead."""
        base, self._refresh_base = self._refresh_base, None
        if base is None or snapshot.error is not None:
            return
        now = snapshot.entries
        changed = sorted(e.name for p, e in now.items() if base.get(p) is not e)
        gone = sorted(e.name for p, e in base.items() if p not in now)
        if not changed and not gone:
            self.notify(f"Refreshed: nothing changed ({len(now)} policies).", timeout=3)
            return
        names = ", ".join([*changed, *gone][:5]) + ("…" if len(changed) + len(gone) > 5 else "")
        self.notify(f"Refreshed: {len(changed)} changed or new, {len(gone)} gone ({names}).", timeout=4)

    def refresh_entry(self, name: str, ops: Ops | None = None) -> None:
        """Re-read one policy/signature pair (after a write) and update the snapshot. `ops`: the context
        written to (with several contexts; the one in focus when left out)."""
        self.written[name] = self.written.get(name, 0) + 1
        if self.contexts is not None:
            self.contexts.refresh_entry(name, ops or self.ops)
            return
        self._entry_worker(self.ops, name, self._load_id)

    @work(thread=True, exit_on_error=False, group="fleet-entry")
    def _entry_worker(self, ops: Ops, name: str, load_id: int) -> None:
        entry = ops.fleet.entry(name, tvms=list(self.fleet.tvms) or None)
        self.post_message(FleetUpdated(ops, [entry], load_id=load_id))

    def on_fleet_updated(self, message: FleetUpdated) -> None:
        if message.ops is not self.ops or message.load_id != self._load_id:
            return  # from a load that was replaced or a context we left
        if message.reset:
            self.fleet = FleetSnapshot(root=message.ops.settings.policy_root)
        if message.cached and message.snapshot is not None:
            self.fleet = message.snapshot
        for entry in message.entries:
            self.fleet.entries[entry.path] = entry
        if not message.reset and not message.cached:
            self.fleet_watch.note_entries(message.ops, message.entries)  # read again by the app: not news
        if message.done and message.snapshot is not None:
            # rows from the cache whose pair was read since (selected) keep their values
            keep_values(message.snapshot, self.fleet)
            self.fleet = message.snapshot
            self.fleet_loading = False
            self._say_what_changed(message.snapshot)
            self.fleet_watch.reseed(message.ops, message.snapshot)
        if message.done or message.cached or (message.entries and monotonic() - self._frozen_at >= 0.5):
            self._freeze_fleet()
        self.fleet_changed.publish(message)
        if message.done and message.snapshot is not None and message.snapshot.error is None:
            self._check_default_key(message.ops)
        if message.done and message.snapshot is not None:
            error = message.snapshot.error
            if error is not None and error.kind != "cancelled":
                self.show_error(_listing_error(error, message.ops.settings.policy_root),
                                title="The policies could not all be listed" if self.fleet.entries else None)

    def _check_default_key(self, ops: Ops) -> None:
        """Whether the settings' default key exists, unless a signature in the fleet shows it does
        (one DescribeKey, in a worker): the header must not name a key that is not there."""
        key = ops.settings.default_key
        if not key or self._key_checked is ops:
            return  # once per context (and again after a full reload, R)
        self._key_checked = ops
        for entry in self.fleet.entries.values():
            envelope = entry.assessment.envelope if entry.assessment else None
            if envelope is not None and envelope.key_id == key:
                self.default_key_missing = False
                return
        self._default_key_worker(ops, key)

    @work(thread=True, exclusive=True, exit_on_error=False, group="default-key")
    def _default_key_worker(self, ops: Ops, key: str) -> None:
        try:
            ops.keys.describe(key, fresh=True)
            missing = False
        except SentinelError as exc:
            missing = exc.kind == "not-found"
        except Exception:
            missing = False  # not known: the header keeps naming the key

        def done() -> None:
            if ops is self.ops:
                self.default_key_missing = missing

        self.call_from_thread(done)

    # -- identity -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="identity")
    def _load_identity(self, ops: Ops) -> None:
        region = None
        try:
            region = ops.clients.region
            identity, error = ops.clients.identity(), None
        except SentinelError as exc:
            identity, error = None, exc
        self.post_message(IdentityLoaded(ops, identity, error, region))

    def on_identity_loaded(self, message: IdentityLoaded) -> None:
        if message.ops is not self.ops:
            return
        self.identity = message.identity
        self.identity_error = message.error
        self.resolved_region = message.region

    # -- context switch -------------------------------------------------------------------------

    def switch_context(self, *, ops: Ops | None = None, label: str | None = None, **changes: Any) -> None:
        """Another profile, region, endpoint or policy root, without restarting: new Ops, then reload.
        `ops`: a whole other target (`:context NAME`), said as `label`. Leaves several contexts for one."""
        try:
            ops = ops or self.ops.switch(**changes)
        except ValueError as exc:
            self.show_error(SentinelError(str(exc), "Give an absolute path such as /sentinel/policies.",
                                          kind="usage"))
            return
        if "aws_profile" in changes and (changes["aws_profile"] or None) != self.ops.settings.aws_profile:
            self._previous_profile = self.ops.settings.aws_profile
        self.context_name = None  # :context NAME names it again after this
        self.workers.cancel_group(self, FLEET_GROUP)
        self.workers.cancel_group(self, "identity")
        if self.contexts is not None:
            self.contexts.stop()
            self.contexts = None
        self.go_home()
        self.identity = None
        self.identity_error = None
        self.resolved_region = None
        self.selected = None
        self.default_key_missing = False
        self.ops = ops
        self.fleet = FleetSnapshot(root=ops.settings.policy_root)
        self._load_identity(ops)
        self.reload(full=True)
        self.fleet_watch.restart()
        what = label or ", ".join(_profile_words(v) if k == "aws_profile" else f"{k.replace('_', ' ')} {v}"
                                  for k, v in changes.items())
        self.notify(inert(f"Switched to {what}"), timeout=3, markup=False)  # typed text is not markup

    def switch_profile(self, name: str) -> None:
        """`:profile NAME`: switch only once the profile is found and gives credentials (checked in a
        worker: it may call STS); otherwise say why and keep the fleet. `:profile -` goes back to
        the profile in use before the last switch."""
        name = name.strip()
        if name == "-":
            if self._previous_profile is _NO_PREVIOUS:
                raise SentinelError("There is no earlier profile to go back to: the profile has not been switched.",
                                    "Type :profile NAME to switch to another profile.", kind="usage")
            profile = self._previous_profile
        else:
            profile = name or None
        self.notify(f"Checking the credentials of {_profile_words(profile)}…", timeout=2)
        self._check_profile(self.ops, profile)

    @work(thread=True, exclusive=True, exit_on_error=False, group="context-check")
    def _check_profile(self, ops: Ops, profile: str | None) -> None:
        check = ops.check_profile(profile)
        self.call_from_thread(self._profile_checked, ops, profile, check)

    def _profile_checked(self, ops: Ops, profile: str | None, check: Any) -> None:
        if ops is not self.ops:
            return  # the context changed meanwhile
        if not check.ok:
            current = _profile_words(ops.settings.aws_profile)
            self.show_error(SentinelError(check.reason, f"{check.fix} Nothing was switched: still on {current}.".strip(),
                                          kind="usage"), title=f"Not switched to {_profile_words(profile)}")
            return
        self.switch_context(aws_profile=profile or "")  # "" clears it: the default credentials

    def switch_region(self, name: str) -> None:
        """`:region NAME`: a region AWS has (botocore's data, no call), else say so and keep the fleet."""
        check = self.ops.check_region(name.strip())
        if not check.ok:
            raise SentinelError(check.reason, f"{check.fix} Nothing was switched.".strip(), kind="usage")
        self.switch_context(region=name.strip())

    # -- several contexts at once, and the watch ------------------------------------------------

    @property
    def fleet_contexts(self) -> list:
        """The contexts shown at once (`ContextState`s of ui/fleet_contexts.py); [] with one."""
        return self.contexts.states if self.contexts is not None else []

    def show_contexts(self, targets: Sequence[Target]) -> None:
        """Several contexts in one table, each loaded on its own (with its own progress, error, retry)."""
        self.workers.cancel_group(self, FLEET_GROUP)
        self.workers.cancel_group(self, "identity")
        if self.contexts is not None:
            self.contexts.stop()
        self.go_home()
        self.contexts = FleetContexts(self, targets)
        self.context_name = None
        self.selected = None
        self.fleet = FleetSnapshot(root=targets[0].ops.settings.policy_root)
        self.contexts.focus(self.contexts.states[0].name, force=True)
        self.fleet_changed.publish(FleetUpdated(self.ops, reset=True))
        self.contexts.start()
        self.fleet_watch.restart()

    def open_contexts(self, names: Sequence[str]) -> None:
        """`:context NAME` (one context, as --context NAME) or several at once (`:contexts`)."""
        specs = []
        for name in names:
            spec = next((c for c in self.context_specs if c.name == name), None)
            if spec is None:
                known = ", ".join(c.name for c in self.context_specs) or "none configured"
                raise SentinelError(f"No context named {name!r} (known: {known}).",
                                    ":contexts lists them; :contexts import offers the profiles of your AWS config "
                                    "file as contexts.", kind="usage")
            if spec not in specs:
                specs.append(spec)
        if not specs:
            raise SentinelError("No context was picked.", ":contexts lists them; space picks one.", kind="usage")
        targets = self.make_targets(specs)
        if len(targets) == 1:
            self.switch_context(ops=targets[0].ops, label=f"context {specs[0].name}")
            self.context_name = specs[0].name
            return
        self.show_contexts(targets)
        self.notify(f"Showing {len(targets)} contexts: {', '.join(s.name for s in specs)}.", timeout=3)

    def focus_context(self, name: str | None) -> None:
        """With several contexts: make `name`'s the Ops in force (the row under the cursor is there)."""
        if self.contexts is not None and name:
            self.contexts.focus(name)

    def ops_for(self, entry: FleetEntry | None) -> Ops:
        """The Ops of the context `entry` was listed in (the Ops in force with one context)."""
        if self.contexts is not None and entry is not None:
            return self.contexts.ops_for(entry) or self.ops
        return self.ops

    def target_words(self, ops: Ops) -> str | None:
        """With several contexts, where a write through `ops` goes, in words (account, context, region)."""
        state = self.contexts.state_of(ops) if self.contexts is not None else None
        return state.words() if state is not None else None

    def retry_context(self, name: str) -> None:
        """Load one context again on a fresh session (its error row's `r`, `:context retry NAME`)."""
        if self.contexts is None:
            raise SentinelError("Only one context is shown: r reads it again.", kind="usage")
        self.contexts.retry(name)
        self.notify(f"Loading context {name} again…", timeout=3)

    def toggle_watch(self) -> None:
        self.fleet_watch.toggle()

    def watch_targets(self) -> list[tuple[Target, FleetSnapshot | None]]:
        """What the watch polls: each context with the snapshot the app shows (None while it loads)."""
        if self.contexts is not None:  # not those that failed to load: their error row says so, r retries
            return [(s.target, None if s.loading else s.snapshot) for s in self.contexts.states
                    if s.loading or s.error is None or s.snapshot.entries]
        account = self.identity.account if self.identity is not None else None
        return [(Target(None, self.ops, account), None if self.fleet_loading else self.fleet)]

    def apply_watched(self, ops: Ops, moved: list[FleetEntry], gone: list[str]) -> None:
        """What a watch poll found moved (and the paths gone): into the fleet, the rows marked."""
        if self.contexts is not None:
            state = self.contexts.state_of(ops)
            if state is None or state.loading:
                return  # the running load reads the store as it is now
            rows = self.contexts.apply_entries(state, moved, gone)
        else:
            if ops is not self.ops or self.fleet_loading:
                return
            for entry in moved:
                self.fleet.entries[entry.path] = entry
            for path in gone:
                self.fleet.entries.pop(path, None)
            rows = moved
            self.fleet_changed.publish(FleetUpdated(ops, moved, done=bool(gone),
                                                    snapshot=self.fleet if gone else None))
        if rows:
            self.fleet_changed.publish(FleetUpdated(ops, watched=[e.key for e in rows]))

    def watch_error(self, ops: Ops, error: BaseException | None) -> None:
        """A watch poll failed (said once per kind of error), or polls again cleanly (`error` None)."""
        state = self.contexts.state_of(ops) if self.contexts is not None else None
        if state is not None and state.error is not None:
            return  # its load failed already: its error row says it
        if state is not None:
            state.watch_error = error
            self.fleet_changed.publish(FleetUpdated(ops))
        if error is not None:
            where = f" of context {state.name}" if state is not None else ""
            what = error.what if isinstance(error, SentinelError) else str(error)
            self.notify(f"The watch{where} could not poll: {what}", severity="warning", timeout=8)

    # -- commands ---------------------------------------------------------------------------------

    def register_command(self, name: str, help: str, run: Callable[[str], Any], *, arg: str | None = None,
                         aliases: tuple[str, ...] | list[str] = (), optional_arg: bool = False):
        """Add a `:` command (and a palette entry). `run` gets the argument text ("" when none).
        The app's own commands are registered in `routes.install`."""
        return self.commands.add(name, help, run, arg=arg, aliases=aliases, optional_arg=optional_arg)

    def register_view(self, name: str, help: str, factory: Callable[..., Screen], *, arg: str | None = None,
                      aliases: tuple[str, ...] | list[str] = ()):
        """A command that opens a screen: `factory()` or `factory(*words_of_the_argument)`."""

        def run(argument: str) -> None:
            words = split_args(argument) if arg else []
            self.push_screen(factory(*words))

        return self.register_command(name, help, run, arg=arg, aliases=aliases)

    def execute_command(self, line: str) -> None:
        """Run a command line such as `region eu-west-1` (what `:` and the palette call)."""
        self.call_later(self._execute, line)

    async def _execute(self, line: str) -> None:
        try:
            command, arg = self.commands.parse(line)
            result = command.run(arg)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:  # a command's failure is shown, never a traceback
            self.show_error(exc)

    def action_command_line(self, prefill: str = "") -> None:
        if not prefill and typing_into(self.focused):
            raise SkipAction()  # a `:` typed into a text field is text
        def done(line: str | None) -> None:
            if line:
                self.execute_command(line)

        names = sorted(entry.name for entry in self.fleet.entries.values())  # tab completes them
        self.push_screen(CommandScreen(self.commands, prefill, names), done)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        screen = self.screen
        named = screen.HELP_TITLE if isinstance(screen, AppScreen) else ""
        title = f"Keys: {named or type(screen).__name__.replace('Screen', '') or 'app'}"
        self.push_screen(HelpScreen(keys_for(screen), list(self.commands), title=title))

    # -- keys -------------------------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        """Keys that arrive while a just-opened screen has not focused its field yet (typed in a
        burst after `:`) go to the field it names (`early_keys`), in order, instead of being lost."""
        if isinstance(event, events.Key) and not event.is_forwarded:
            screen = self.screen
            sink = screen.early_keys if isinstance(screen, AppScreen) else None
            if sink is not None and screen.focused is None and not await self._check_bindings(event.key, True):
                sink._forward_event(event)
                return
        await super().on_event(event)

    # -- errors from workers -------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is WorkerState.ERROR and worker.error is not None:
            if worker.group == FLEET_GROUP:
                self.fleet_loading = False
            self.show_error(worker.error)


def run_app(ops: Ops, initial_diff: tuple[str, str] | None = None, *, use_cache: bool = True,
            targets: Sequence[Target] = (), make_targets: Callable[[Sequence[Any]], list[Target]] | None = None) -> int:
    """Open the app on `ops` (or, with several `targets`, on every one of them); returns the exit code."""
    app = SentinelApp(ops, initial_diff=initial_diff, use_cache=use_cache, targets=targets,
                      make_targets=make_targets)
    result = app.run()
    if app.return_code:
        return app.return_code
    return result or 0
