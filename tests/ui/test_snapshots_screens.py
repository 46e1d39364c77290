"""SVG snapshots of the screens the browser opens: help, the `:` line, an error, explain, a flow's
steps and the file picker (the browser, the detail pane and the diff view have theirs elsewhere).

Deterministic as tests/ui/test_snapshots.py is: a fixed clock, keys by alias, a fixed endpoint in
the header; where a screen shows a date AWS made (the doctor), it is shown fixed. The flows, the
plan and the version picker have theirs in test_snapshots_flows.py, which also checks that every
screen has one. Update with `--snapshot-update` after a deliberate change and look at the SVGs.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult

from sentinel_tui.errors import SentinelError
from sentinel_tui.ui.app import SentinelApp
from sentinel_tui.ui.screens.error import ErrorScreen
from sentinel_tui.ui.screens.file_picker import FilePicker
from sentinel_tui.ui.screens.flows.steps import FAIL, PASS, RUNNING, SKIP, StepList

from .conftest import fixed_clock, settle
from .shell_host import ShellHost

SIZE = (120, 34)
DATA = Path(__file__).resolve().parent.parent / "data" / "policies"


def _app(ops) -> SentinelApp:
    return SentinelApp(ops, clock=fixed_clock(ops))


def test_help_screen(snap_compare, snapshot_ops):
    app = _app(snapshot_ops)

    async def help(pilot):
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=help)


def test_command_line_with_hints(snap_compare, snapshot_ops):
    app = _app(snapshot_ops)

    async def typed(pilot):
        await settle(app, pilot)
        await pilot.press("colon", "r", "e")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=typed)


def test_explain_screen(snap_compare, snapshot_ops):
    app = _app(snapshot_ops)

    async def explained(pilot):
        await settle(app, pilot)
        app.execute_command("explain policy signature verification failed for /sentinel/policies/staging")
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=explained)


class _ErrorHost(ShellHost):
    def on_mount(self) -> None:
        self.push_screen(ErrorScreen(SentinelError(
            "/sentinel/policies/prod\u202eadmin: no such policy.",  # a bidi override, shown escaped
            "Check the name and --policy-root; `sentinel-tui policy status` lists them.", kind="not-found",
            detail="ParameterNotFound")))


def test_error_screen(snap_compare):
    assert snap_compare(_ErrorHost(), terminal_size=SIZE)


class _StepsHost(App):
    def compose(self) -> ComposeResult:
        steps = StepList([("file", "Pick a local file"), ("validate", "Validate and lint"),
                          ("key", "Pick a key"), ("sign", "Sign"), ("save", "Save FILE.sig (0600)"),
                          ("verify", "Verify")], id="steps")
        yield steps

    def on_mount(self) -> None:
        steps = self.query_one(StepList)
        steps.set("file", PASS, "policies/dev.yaml")
        steps.set("validate", PASS, "valid; 2 lint warnings")
        steps.set("key", PASS, "alias/sentinel-policy-signing")
        steps.set("sign", FAIL, "AccessDeniedException: not authorized to perform kms:Sign")
        steps.set("save", SKIP, "nothing was signed")
        steps.set("verify", RUNNING)


def test_flow_steps(snap_compare):
    assert snap_compare(_StepsHost(), terminal_size=(100, 12))


class _PickerHost(ShellHost):
    def on_mount(self) -> None:
        self.push_screen(FilePicker(".", title="Compare production with which file?"))


def test_file_picker(snap_compare, monkeypatch):
    monkeypatch.chdir(DATA)  # the tree and the path field show "." and the folder's fixed files
    assert snap_compare(_PickerHost(), terminal_size=SIZE)


def test_doctor_screen(snap_compare, snapshot_ops, monkeypatch):
    from sentinel_tui.ops import doctor

    monkeypatch.setattr(doctor, "_when", lambda dt: "2026-01-01 00:00:00 UTC")  # the seeding time varies
    app = _app(snapshot_ops)

    async def doctored(pilot):
        await settle(app, pilot)
        app.execute_command("doctor team/data/analytics")  # stale: a failure with its fixing flow
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=doctored)


def test_keysetup_screen_for_a_new_alias(snap_compare, snapshot_ops):
    app = _app(snapshot_ops)

    async def opened(pilot):
        await settle(app, pilot)
        app.execute_command("keysetup alias/snapshot-new-key")  # not there yet: no random key id shown
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=opened)


def test_verify_flow_steps(snap_compare, snapshot_ops):
    app = _app(snapshot_ops)

    async def verified(pilot):
        await settle(app, pilot)
        app.execute_command("verify production")
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=verified)


def test_diff_screen(snap_compare):
    from sentinel_tui.ui.screens.diff import DiffScreen

    from .diff_data import ScreenHost, local_request

    assert snap_compare(ScreenHost(lambda: DiffScreen(request=local_request())), terminal_size=SIZE)
