"""What every guided flow shares: the step list, thread workers, `esc`, failures shown inline.

A flow is a screen with its steps on the left and the current page on the right.
All AWS work runs in thread workers (`self.background(job, done)`), and the job
gets a `cancelled()` callable wired to its worker. `esc`:

- before anything is written, cancels the work and closes the flow: nothing changed;
- while a write job runs, asks it to stop at its last check before the first
  write, then waits for its answer: "cancelled, nothing was written" closes the
  flow; a write that had already started finishes (or is put back) and its
  result is shown, never hidden;
- after the result is shown, closes the flow.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Callable

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DirectoryTree, Footer, Static
from textual.worker import Worker, get_current_worker

from ....errors import SentinelError
from ....ops.context import Ops
from ....ops.push import PushError
from ....ops.sign import InvalidPolicy
from ...format import clean, role_style
from ...shell import AppScreen, shell
from .steps import FAIL, PASS, PENDING, RUNNING, SKIP, StepList
from ...keymap import KEYS

__all__ = ["FlowScreen", "PolicyFileTree", "error_text", "FAIL", "PASS", "PENDING", "RUNNING", "SKIP"]

Job = Callable[[Callable[[], bool]], Any]


def error_text(error: BaseException) -> tuple[str, str, str]:
    """(what, fix, what SSM holds) for any exception, never a traceback."""
    if isinstance(error, SentinelError):
        return error.what, error.fix, error.ssm_state if isinstance(error, PushError) else ""
    if isinstance(error, InvalidPolicy) and error.check.error is not None:
        return str(error.check.error), "Fix the policy file and try again.", ""
    return (f"Unexpected {type(error).__name__}: {error}",
            "This is a bug in sentinel-tui; nothing more was attempted. Please report it.", "")


class PolicyFileTree(DirectoryTree):
    """The local policies folder: folders and YAML files only."""

    def filter_paths(self, paths):
        return [p for p in paths if not p.name.startswith(".") and
                (p.is_dir() or p.suffix in (".yaml", ".yml"))]


class FlowScreen(Screen, AppScreen):
    """Base of the guided flows. Subclasses set STEPS and FLOW_TITLE and compose_body()."""

    CSS_PATH = "flows.tcss"
    STEPS: list[tuple[str, str]] = []
    FLOW_TITLE = "Flow"
    HELP_TITLE = "Flow"

    BINDINGS = KEYS["FlowScreen"]

    def __init__(self, ops: Ops, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ops = ops
        self.phase = "input"  # input | running | done
        self.writing = False  # a write has started: esc can no longer stop it
        self.cancel_requested = False
        self.result: Any = None
        self.error: BaseException | None = None
        self._write_worker: Worker | None = None

    # -- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(Text(self.title_text()), id="flow-title")
        yield Static(id="flow-banner")
        with Horizontal(id="flow-main"):
            with VerticalScroll(id="flow-steps-box"):
                yield StepList(self.STEPS, id="flow-steps")
            with Vertical(id="flow-body"):
                yield from self.compose_body()
        yield Static(id="flow-outcome")
        yield Static(id="flow-keys")
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def title_text(self) -> str:
        return self.FLOW_TITLE

    def on_mount(self) -> None:
        self.query_one("#flow-outcome", Static).display = False
        if self.ops.settings.read_only:
            self.banner("Read-only mode: this flow stops before any write (start without --read-only to "
                        "make changes).", "warning")
        else:
            self.query_one("#flow-banner", Static).display = False

    @property
    def steps(self) -> StepList:
        return self.query_one("#flow-steps", StepList)

    def step(self, key: str, state: str, why: str | None = None) -> None:
        self.steps.set(key, state, why)

    def banner(self, text: str, role: str = "accent") -> None:
        banner = self.query_one("#flow-banner", Static)
        banner.display = True
        banner.update(Text(clean(text), style=role_style(self.app.theme_variables, role, bold=True)))

    def keys(self, text: str) -> None:
        self.query_one("#flow-keys", Static).update(Text(text, style=role_style(self.app.theme_variables, "muted")))

    def outcome(self, text: Text | str, role: str = "success") -> None:
        box = self.query_one("#flow-outcome", Static)
        box.display = True
        box.set_classes(f"-{role}")
        box.update(text if isinstance(text, Text) else Text(clean(text)))

    def show_failure(self, error: BaseException, *, step: str | None = None, title: str = "Failed") -> None:
        """The failure inline: what, the fix, and what SSM holds now (for a write)."""
        self.error = error
        what, fix, ssm_state = error_text(error)
        if step is not None:
            self.step(step, FAIL, what)
        roles = self.app.theme_variables
        text = Text()
        text.append(f"✘ {title}: ", style=role_style(roles, "error", bold=True))
        text.append(clean(what))
        if fix:
            text.append("\nWhat to do: ", style=Style(bold=True))
            text.append(clean(fix))
        if ssm_state:
            text.append("\nSSM now holds: ", style=Style(bold=True))
            text.append(clean(ssm_state))
        self.outcome(text, "error")
        if not isinstance(error, (SentinelError, InvalidPolicy)):
            shell(self).show_error(error)

    # -- workers ---------------------------------------------------------------------

    def _ui(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run `fn(*args)` on the UI thread and wait for it; dropped once the flow has closed."""
        def run() -> None:
            if self.is_attached:
                fn(*args)
        try:
            self.app.call_from_thread(run)
        except Exception:  # the app is shutting down
            pass

    def background(self, job: Job, done: Callable[[Any], None],
                   failed: Callable[[BaseException], None] | None = None, *, group: str = "flow-read",
                   writes: bool = False) -> Worker:
        """Run `job(cancelled)` in a thread worker; `done(result)` or `failed(error)` on the UI thread.

        A read job's answer is dropped when its worker was cancelled (esc, the flow
        closed). A write job's answer is always delivered: it says what happened.
        """
        worker = self.run_worker(partial(self._job, job, done, failed or self.show_failure, writes),
                                 thread=True, group=group, exclusive=True, exit_on_error=False,
                                 name=f"{type(self).__name__}:{group}")
        if writes:
            self._write_worker = worker
        return worker

    def _job(self, job: Job, done, failed, writes: bool) -> None:
        worker = get_current_worker()

        def cancelled() -> bool:
            return worker.is_cancelled

        try:
            result = job(cancelled)
        except Exception as exc:  # shown on the flow, never a traceback
            if writes or not worker.is_cancelled:
                self._ui(failed, exc)
            return
        if writes or not worker.is_cancelled:
            self._ui(done, result)

    def started_writing(self) -> None:
        """Called (on the UI thread) when the first write begins: esc cannot undo it now."""
        self.writing = True
        self.keys("writing: esc cannot stop a write that has started; a failure is put back automatically")

    # -- esc -------------------------------------------------------------------------

    def action_cancel_flow(self) -> None:
        if self.phase == "running":
            if self.writing:
                self.notify("The write has started: it will finish, or be put back if it fails. "
                            "esc cannot stop it now.", title="Too late to cancel", severity="warning", timeout=6)
                return
            if self._write_worker is not None and not self.cancel_requested:
                self.cancel_requested = True
                self._write_worker.cancel()
                self.banner("Cancelling: waiting for the current AWS call to return…", "warning")
            return
        self.workers.cancel_node(self)
        self.close_flow()

    def action_quit_flow(self) -> None:
        """`q` in a flow closes the flow, as esc does; while a write runs, it asks whether to quit
        the app (the write would be cut short) rather than quitting unasked."""
        if self.phase == "running" and (self.writing or self._write_worker is not None):
            from ..keysetup import ConfirmScreen

            def answered(yes: bool | None) -> None:
                if yes:
                    self.app.exit(0)

            self.app.push_screen(ConfirmScreen(
                "A write to AWS is running. Quit sentinel-tui anyway? The write may stop half-way (the "
                "policy written, its signature not yet). n waits for its result here."), answered)
            return
        self.action_cancel_flow()

    def confirm_cancelled(self) -> None:
        """A write job stopped before its first write: nothing changed; close the flow."""
        self.notify("Cancelled; nothing was written.", timeout=4)
        self.close_flow()

    def close_flow(self) -> None:
        if self.is_attached and self.app.screen is self:
            self.dismiss(self.result)

    def refresh_app_entry(self, name: str) -> None:
        """Tell the app a pair changed, so the browser shows the new state."""
        try:
            shell(self).refresh_entry(name, self.ops)
        except Exception:  # the browser catches up on the next refresh
            pass

    def show_tree(self, container: str, tree_id: str) -> PolicyFileTree:
        """The local folder's tree, mounted only while a file is picked: a DirectoryTree keeps a
        loader worker running for as long as it is mounted."""
        found = self.query(f"#{tree_id}")
        if found:
            tree = found.first(PolicyFileTree)
        else:
            tree = PolicyFileTree(self.local_dir() or Path.cwd(), id=tree_id)
            self.query_one(f"#{container}").mount(tree)
        self.call_after_refresh(tree.focus)
        return tree

    def drop_tree(self, tree_id: str) -> None:
        for tree in self.query(f"#{tree_id}"):
            tree.remove()

    def local_dir(self) -> Path | None:
        folder = self.ops.settings.local_dir
        return Path(folder) if folder and Path(folder).is_dir() else None

