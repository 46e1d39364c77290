"""SVG snapshots of the guided flows, the plan screen and the version picker, and the check that
every screen the app opens (`routes.SCREENS`) has a snapshot test.

Deterministic as the other snapshot modules are: the demo fleet (one per module), files read
from a folder the test makes and named relative to it (the current directory), a fixed clock
for what is signed, and absolute dates fixed where a screen shows the time AWS stored a version.
Each flow is shown at the page an operator decides on, before anything is written to SSM.
Update with `--snapshot-update` after a deliberate change and look at the SVGs.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sentinel_tui.demo.fleet import write_local_folder
from sentinel_tui.ops.context import Ops
from sentinel_tui.ops.push import execute_push, plan_push
from sentinel_tui.ui import routes
from sentinel_tui.ui.screens import version_picker
from sentinel_tui.ui.screens.flows import BulkResignFlow, PushFlow, RestoreFlow, SignFlow
from sentinel_tui.ui.screens.plan import PlanScreen

from .conftest import settle
from .flow_helpers import PATH, POLICY_V1, POLICY_V2, Host, make_tvm, until

SIZE = (120, 34)
#: The moment the sign flow signs at, and the first stored version's date in the version picker.
MOMENT = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)

#: Every screen the app opens -> the snapshot test that shows it ("module::test").
SNAPSHOT_OF = {
    "BrowserScreen": "test_snapshots::test_main_screen",
    "CommandScreen": "test_snapshots_screens::test_command_line_with_hints",
    "DiffScreen": "test_snapshots_screens::test_diff_screen",
    "DoctorScreen": "test_snapshots_screens::test_doctor_screen",
    "ErrorScreen": "test_snapshots_screens::test_error_screen",
    "ExplainScreen": "test_snapshots_screens::test_explain_screen",
    "FilePicker": "test_snapshots_screens::test_file_picker",
    "HelpScreen": "test_snapshots_screens::test_help_screen",
    "KeySetupScreen": "test_snapshots_screens::test_keysetup_screen_for_a_new_alias",
    "VersionPicker": "test_snapshots_flows::test_version_picker",
    "SignFlow": "test_snapshots_flows::test_sign_flow_signed",
    "VerifyFlow": "test_snapshots_screens::test_verify_flow_steps",
    "PushFlow": "test_snapshots_flows::test_push_flow_confirmation",
    "RestoreFlow": "test_snapshots_flows::test_restore_flow_review",
    "BulkResignFlow": "test_snapshots_flows::test_bulk_resign_confirmation",
    "PlanScreen": "test_snapshots_flows::test_plan_screen",
    "ContextsScreen": "test_contexts_app::test_snapshot_contexts_screen",
    "ContextImportScreen": "test_contexts_app::test_snapshot_contexts_import_asking",
}


def test_every_screen_has_a_snapshot_test():
    import importlib

    here = Path(__file__).parent
    assert sorted(SNAPSHOT_OF) == sorted(screen.__name__ for screen in routes.SCREENS)
    for screen, where in SNAPSHOT_OF.items():
        module, test = where.split("::")
        assert callable(vars(importlib.import_module(f"{__package__}.{module}")).get(test)), where
        assert (here / "__snapshots__" / module / f"{test}.svg").is_file(), f"{screen}: no SVG for {where}"


def _ops(snapshot_ops: Ops) -> Ops:
    """The demo's Ops on a fixed clock (what the sign flow writes in signed_at)."""
    return Ops(settings=snapshot_ops.settings, clients=snapshot_ops.clients, audit=snapshot_ops.audit,
               clock=lambda: MOMENT)


def _local_folder(tmp_path, monkeypatch) -> Path:
    """The demo's local files in a fresh folder, made the current directory (paths show relative)."""
    write_local_folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_version_picker(snap_compare, snapshot_ops, monkeypatch):
    # The dates are those AWS stored the versions at (today's): shown as fixed ones, an hour apart.
    real = version_picker.version_line

    def fixed_dates(param, signed, current):
        return real(dataclasses.replace(param, last_modified=MOMENT + timedelta(hours=param.version - 1)),
                    signed, current)

    monkeypatch.setattr(version_picker, "version_line", fixed_dates)
    picker = version_picker.VersionPicker(snapshot_ops, "production")
    app = Host(picker)

    async def loaded(pilot):
        await settle(app, pilot)
        await until(pilot, lambda: bool(picker.history))
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=loaded)


def test_sign_flow_signed(snap_compare, snapshot_ops, tmp_path, monkeypatch):
    _local_folder(tmp_path, monkeypatch)
    flow = SignFlow(_ops(snapshot_ops), "dev.yaml")
    app = Host(flow)

    async def signed(pilot):
        await until(pilot, lambda: bool(flow.options))
        await pilot.press("enter")  # the first key offered: the TVM's
        await until(pilot, lambda: flow.phase == "done")
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=signed)


def test_push_flow_confirmation(snap_compare, snapshot_ops, tmp_path, monkeypatch):
    _local_folder(tmp_path, monkeypatch)
    # the local staging.yaml differs from the stored one, has a lint warning, and a TVM that does not
    # enforce signing serves it
    flow = PushFlow(_ops(snapshot_ops), "staging", "staging.yaml")
    app = Host(flow)

    async def confirming(pilot):
        await until(pilot, lambda: flow.plan is not None)
        await settle(app, pilot)
        await pilot.press("enter")  # from the diff to the confirmation
        await until(pilot, lambda: flow.access is not None)
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=confirming)


def test_restore_flow_review(snap_compare, ops, signing_key, tmp_path):
    # dev: version 1 pushed signed, version 2 written over it unsigned; an enforcing TVM serves it
    # (its own emulator state: this test writes)
    first = tmp_path / "v1.yaml"
    first.write_bytes(POLICY_V1)
    execute_push(ops, plan_push(ops, "dev", first, sign=True, key_id=signing_key))
    ops.store.put(PATH, POLICY_V2.decode())
    make_tvm(ops, PATH, signing_key)
    flow = RestoreFlow(ops, "dev")
    app = Host(flow)

    async def reviewing(pilot):
        await until(pilot, lambda: bool(flow.candidates))
        await pilot.press("enter")  # the candidate's label holds the date AWS stored it: not shown here
        await until(pilot, lambda: flow.plan is not None)
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=reviewing)


def test_bulk_resign_confirmation(snap_compare, snapshot_ops):
    flow = BulkResignFlow(_ops(snapshot_ops), ["staging", "team/data/analytics", "dev"])  # unsigned, stale, valid
    app = Host(flow)

    async def confirming(pilot):
        await until(pilot, lambda: bool(flow.entries))
        await settle(app, pilot)
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=confirming)


def test_plan_screen(snap_compare, snapshot_ops, tmp_path, monkeypatch):
    folder = _local_folder(tmp_path / "policies", monkeypatch)
    monkeypatch.chdir(folder.parent)
    screen = PlanScreen(_ops(snapshot_ops), "policies")
    app = Host(screen)

    async def planned(pilot):
        await until(pilot, lambda: screen.phase == "ready")
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=(140, 40), run_before=planned)  # the plan's own tests' size
