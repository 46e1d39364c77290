"""The Textual app: the policy browser and the shared state and hooks other screens build on.

Public hooks (for screens added later):

- `app.ops`: the `Ops` in force (a reactive: `self.watch(app, "ops", cb)`); replaced by
  `app.switch_context(...)` on a profile, region, endpoint or root switch.
- `app.fleet`: the current `FleetSnapshot` (entries stream in while loading);
  `app.selected`: the `FleetEntry` under the browser's cursor (reactive);
  `app.entry(name)`: an entry by name; `app.fleet_changed`: a Signal published with
  every `FleetUpdated` (subscribe with `app.fleet_changed.subscribe(self, callback)`).
- `app.reload(full=False)` re-reads what changed; `app.refresh_entry(name)` re-reads one
  pair (after a write).
- `app.register_command(name, help, run, arg=..., aliases=...)`: a `:` command and a
  palette entry in one line; `app.register_view(name, help, factory, arg=...)` for a
  command that pushes a screen.
- `app.show_error(error)`: the ErrorScreen for any exception.

Every AWS call runs in a thread worker; errors from workers land in one place
(`on_worker_state_changed`) and open the ErrorScreen.
"""

from __future__ import annotations

import gc
from time import monotonic

import inspect
from datetime import datetime
from typing import Any, Callable

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.reactive import var
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState, get_current_worker

from ..aws.errors import SentinelError, inert
from ..ops.context import Ops
from ..ops import cache as fleet_cache
from ..ops.fleet import FleetEntry, FleetSnapshot, keep_values
from .commands import CommandRegistry, SentinelCommandProvider, split_args
from .messages import FleetUpdated, IdentityLoaded
from .screens.browser import BrowserScreen
from .screens.command import CommandScreen
from .screens.doctor import install_diagnostics
from .screens.error import ErrorScreen
from .screens.flows import PushFlow, install_flows
from .screens.help import HelpScreen, keys_for
from .widgets.policy_table import COLUMNS, find_column

FLEET_GROUP = "fleet"


class SentinelApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "sentinel-tui"
    COMMANDS = App.COMMANDS | {SentinelCommandProvider}

    BINDINGS = [
        Binding("colon", "command_line", "Command", id="app.command_line",
                tooltip="Jump to a view, switch profile, region or root (:help lists the commands)"),
        Binding("question_mark", "help", "Keys", id="app.help", tooltip="The keys that work on this screen"),
        Binding("q", "quit", "Quit", show=False, id="app.quit"),
    ]

    ops: var[Ops] = var(None, always_update=True)  # type: ignore[assignment]
    identity = var(None)
    identity_error = var(None)
    resolved_region = var(None)
    selected: var[FleetEntry | None] = var(None, always_update=True)
    fleet_loading = var(False)

    def __init__(self, ops: Ops, *, clock: Callable[[], datetime] | None = None,
                 initial_diff: tuple[str, str] | None = None, use_cache: bool = False) -> None:
        super().__init__()
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
        self._frozen = False
        self._frozen_at = float("-inf")  # while pages stream in, at most one freeze every half second
        self._register_builtin_commands()
        install_diagnostics(self)  # :doctor :explain :keysetup
        install_flows(self)  # :sign :verify :push :restore :resign

    # -- screens ------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return BrowserScreen(id="browser")

    def on_mount(self) -> None:
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
        gc.unfreeze()  # what `on_fleet_updated` froze is the collector's again once the app is gone

    def _open_initial_diff(self) -> None:
        name, path = self.initial_diff or ("", "")
        if "diff" in self.commands:
            self.execute_command(f"diff {name} {path}")
        else:
            self.show_error(SentinelError(
                "The diff view is not part of this build yet.",
                f"Use the headless diff meanwhile: sentinel-tui policy diff {name} {path}", kind="usage"))

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
        for entry in self.fleet.entries.values():
            if entry.name == name or entry.path == name:
                return entry
        return None

    def reload(self, *, full: bool = False, cached: bool = False) -> None:
        """Re-read the fleet: only what changed, unless `full` or the last load was incomplete.

        `cached` (at launch): show the fleet cache first, then confirm it with metadata
        listings; a full reload (`R`) reads everything again whatever the cache holds."""
        ops = self.ops
        full = full or not self.fleet.complete or self.fleet.root != ops.settings.policy_root
        base = None
        if not full:
            base = FleetSnapshot(root=self.fleet.root, entries=dict(self.fleet.entries), tvms=list(self.fleet.tvms),
                                 complete=True, loaded_at=self.fleet.loaded_at)
        self._load_id += 1
        self.fleet_loading = True
        self._fleet_worker(ops, base, self._load_id, cached and base is None)

    @work(thread=True, exclusive=True, exit_on_error=False, group=FLEET_GROUP)
    def _fleet_worker(self, ops: Ops, base: FleetSnapshot | None, load_id: int, cached: bool = False) -> None:
        worker = get_current_worker()

        def cancelled() -> bool:
            return worker.is_cancelled

        def emit(entries: list[FleetEntry]) -> None:
            if not cancelled():
                self.post_message(FleetUpdated(ops, entries, load_id=load_id))

        shown = fleet_cache.read(ops) if cached else None
        if shown is not None:
            self.post_message(FleetUpdated(ops, reset=True, snapshot=shown, cached=True, load_id=load_id))
            snapshot = ops.fleet.confirm(shown, emit, cancelled)
        elif base is None:
            self.post_message(FleetUpdated(ops, reset=True, load_id=load_id))
            snapshot = ops.fleet.load(emit, cancelled)
        else:
            snapshot = ops.fleet.refresh(base, emit, cancelled)
        if not cancelled():
            self.post_message(FleetUpdated(ops, done=True, snapshot=snapshot, load_id=load_id))
            if self.use_cache:
                fleet_cache.save(ops, snapshot)

    def refresh_entry(self, name: str) -> None:
        """Re-read one policy/signature pair (after a write) and update the snapshot."""
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
        if message.done and message.snapshot is not None:
            # rows from the cache whose pair was read since (selected) keep their values
            keep_values(message.snapshot, self.fleet)
            self.fleet = message.snapshot
            self.fleet_loading = False
        if message.done or message.cached or (message.entries and monotonic() - self._frozen_at >= 0.5):
            self._freeze_fleet()
        self.fleet_changed.publish(message)
        if message.done and message.snapshot is not None:
            error = message.snapshot.error
            if error is not None and getattr(error, "kind", "") != "cancelled":
                self.show_error(error, title="The policies could not all be listed" if self.fleet.entries
                                else None)

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

    def switch_context(self, **changes: Any) -> None:
        """Another profile, region, endpoint or policy root, without restarting: new Ops, then reload."""
        try:
            ops = self.ops.switch(**changes)
        except ValueError as exc:
            self.show_error(SentinelError(str(exc), "Give an absolute path such as /sentinel/policies.",
                                          kind="usage"))
            return
        self.workers.cancel_group(self, FLEET_GROUP)
        self.workers.cancel_group(self, "identity")
        self.go_home()
        self.identity = None
        self.identity_error = None
        self.resolved_region = None
        self.selected = None
        self.ops = ops
        self.fleet = FleetSnapshot(root=ops.settings.policy_root)
        self._load_identity(ops)
        self.reload(full=True)
        what = ", ".join(f"{k.replace('aws_', '').replace('_', ' ')} {v}" for k, v in changes.items())
        self.notify(inert(f"Switched to {what}"), timeout=3, markup=False)  # typed text is not markup

    # -- commands ---------------------------------------------------------------------------------

    def register_command(self, name: str, help: str, run: Callable[[str], Any], *, arg: str | None = None,
                         aliases: tuple[str, ...] | list[str] = (), optional_arg: bool = False):
        """Add a `:` command (and a palette entry). `run` gets the argument text ("" when none)."""
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
        def done(line: str | None) -> None:
            if line:
                self.execute_command(line)

        self.push_screen(CommandScreen(self.commands, prefill), done)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        screen = self.screen
        title = f"Keys: {getattr(screen, 'HELP_TITLE', None) or type(screen).__name__.replace('Screen', '') or 'app'}"
        self.push_screen(HelpScreen(keys_for(screen), list(self.commands), title=title))

    def _browser_call(self, method: str, *args: Any) -> None:
        self.go_home()
        browser = self.browser
        if browser is None:
            raise SentinelError("The policy browser is not open.", kind="usage")
        getattr(browser, method)(*args)

    def _register_builtin_commands(self) -> None:
        add = self.register_command

        def sort(arg: str) -> None:
            words = arg.split()
            column = find_column(words[0]) if words else None
            if column is None:
                raise SentinelError(f"No column {arg!r} to sort by.",
                                    "Columns: " + ", ".join(c.words for c in COLUMNS), kind="usage")
            reverse = len(words) > 1 and words[1].lower() in ("desc", "reverse", "-", "down")
            self.go_home()
            if self.browser is not None:
                self.browser.table.sort_by(column.key, reverse)
                self.browser._update_summary()

        def open_policy(arg: str) -> None:
            self.go_home()
            browser = self.browser
            if browser is None or not browser.table.select_name(arg.strip()):
                raise SentinelError(f"No policy named {arg.strip()!r} is shown.",
                                    "Check the name, or clear the filter (esc) and try again.", kind="usage")
            browser.action_open_detail()

        def diff(arg: str) -> None:
            from .screens.diff import DiffScreen

            words = split_args(arg)
            name, file = words[0], (words[1] if len(words) > 1 else None)
            if file is None:
                entry = self.entry(name)
                if entry is not None and entry.local_path is not None:
                    file = str(entry.local_path)
            # Without a local file: what changed since the stored signature was made.
            self.push_screen(DiffScreen(name, file) if file else DiffScreen(name, signed=True))

        add("policies", "The policy browser (home)", lambda arg: self.go_home(), aliases=("home", "browser"))
        add("diff", "Byte diff of a policy against a local file (default: its file in the local folder)", diff,
            arg="NAME [FILE]")
        add("open", "Select a policy by name and open its detail pane", open_policy, arg="NAME",
            aliases=("detail",))
        add("profile", "Switch the AWS profile (then reload)",
            lambda arg: self.switch_context(aws_profile=arg), arg="PROFILE")
        add("region", "Switch the AWS region (then reload)", lambda arg: self.switch_context(region=arg),
            arg="REGION")
        add("root", "Switch the policy root (then reload)", lambda arg: self.switch_context(policy_root=arg),
            arg="PATH", aliases=("policy-root",))
        add("endpoint", "Switch the endpoint URL (an emulator or VPC endpoint); empty: AWS's own",
            lambda arg: self.switch_context(endpoint_url=arg.strip()), arg="URL", optional_arg=True)
        add("refresh", "Re-read what changed", lambda arg: self.reload(), aliases=("r",))
        add("reload", "Read the whole fleet again", lambda arg: self.reload(full=True))
        add("filter", "Filter names and statuses (regex or text; ! inverts; empty clears)",
            lambda arg: self._browser_call("set_filter", arg), arg="TEXT", optional_arg=True)
        add("attention", "Toggle: only the policies that need attention",
            lambda arg: self._browser_call("action_attention"))
        add("sort", "Sort by a column (add desc to reverse): " + ", ".join(c.words for c in COLUMNS), sort,
            arg="COLUMN")
        add("help", "The keys of this screen and these commands", lambda arg: self.action_help(), aliases=("keys",))
        add("quit", "Leave sentinel-tui", lambda arg: self.exit(0), aliases=("q", "exit"))

    # -- errors from workers -------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is WorkerState.ERROR and worker.error is not None:
            if worker.group == FLEET_GROUP:
                self.fleet_loading = False
            self.show_error(worker.error)


def run_app(ops: Ops, initial_diff: tuple[str, str] | None = None, *, use_cache: bool = True) -> int:
    """Open the app on `ops`; returns the exit code."""
    app = SentinelApp(ops, initial_diff=initial_diff, use_cache=use_cache)
    result = app.run()
    if app.return_code:
        return app.return_code
    return result or 0
