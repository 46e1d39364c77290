"""Render the README's screenshots from the demo fleet.

    python scripts/screenshots.py [OUTPUT_DIR]      # default: ./screenshots

(from the repository root, with the package importable: PYTHONPATH=$PWD or installed)

Starts the embedded emulator, seeds the demo fleet (as `sentinel-tui demo` does),
drives the app with Pilot at 140x40 and saves one SVG per view, so the pictures
in the README cannot drift from the code.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Awaitable, Callable

if __package__ in (None, ""):  # run as a file: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SIZE = (140, 40)


async def _settle(app, pilot) -> None:
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def _main_screen(app, pilot) -> None:
    await _settle(app, pilot)


def _after(command: str, *keys: str) -> Callable[..., Awaitable[None]]:
    """The shot of the screen a `:` command (then `keys`) leaves, once everything has settled."""
    async def shot(app, pilot) -> None:
        await _settle(app, pilot)
        app.execute_command(command)
        await _settle(app, pilot)
        if keys:
            await pilot.press(*keys)
            await _settle(app, pilot)
    return shot


_detail = _after("open legacy")
_signature = _after("open team/data/analytics", "2")  # its Signature tab


async def _filter(app, pilot) -> None:
    await _settle(app, pilot)
    await pilot.press("slash", *"!valid")
    await pilot.pause()


async def _help(app, pilot) -> None:
    await _settle(app, pilot)
    await pilot.press("question_mark")
    await pilot.pause()


def _edited_production() -> bytes:
    """The demo's production policy as an operator might have edited it: a user added, the
    window widened, and three changes only a byte diff shows (a trailing space, a tab, the
    final newline lost)."""
    from sentinel_tui.demo.fleet import PRODUCTION

    return (PRODUCTION
            .replace("users: [oncall-primary, oncall-secondary]",
                     "users: [oncall-primary, oncall-secondary, oncall-tertiary]")
            .replace('start: "09:00"', 'start: "08:00"')  # earlier, so the demo's tests still pass
            .replace("session_table: sentinel-sessions", "session_table: sentinel-sessions ")
            .replace("reason: Production is closed otherwise\n", "reason: Production is\tclosed otherwise")
            ).encode()


async def _diff_of_edit(app, pilot, keys: tuple[str, ...] = ()) -> None:
    """`:diff production` on an edited local file, run from the demo's workspace so that the
    file's label is the relative `policies/production.yaml`."""
    import os

    await _settle(app, pilot)
    local = Path(app.ops.settings.local_dir) / "production.yaml"
    original = local.read_bytes()
    cwd = os.getcwd()
    try:
        os.chdir(local.parent.parent)
        local.write_bytes(_edited_production())
        app.execute_command("diff production policies/production.yaml")
        await _settle(app, pilot)
        if keys:
            await pilot.press(*keys)
            await _settle(app, pilot)
    finally:
        os.chdir(cwd)
        local.write_bytes(original)


async def _diff(app, pilot) -> None:
    await _diff_of_edit(app, pilot)


async def _diff_meaning(app, pilot) -> None:
    await _diff_of_edit(app, pilot, ("t", "m"))


async def _diff_access(app, pilot) -> None:
    await _diff_of_edit(app, pilot, ("m", "m"))


async def _doctor(app, pilot) -> None:
    await _settle(app, pilot)
    app.execute_command("doctor team/data/analytics")
    await _settle(app, pilot)


_explain = _after("explain 2026/11/30 09:41:07 ERROR: Failed to load policy: "
                  "/sentinel/policies/team/data/analytics: policy signature verification failed")


_keysetup = _after("keysetup")


async def _settle_flow(app, pilot) -> None:
    """As _settle, where a worker replaced by newer work (cancelled) is not an error."""
    from textual.worker import WorkerCancelled

    for _ in range(3):
        for _attempt in range(5):
            try:
                await app.workers.wait_for_complete()
                break
            except WorkerCancelled:
                continue
        await pilot.pause()


async def _push_of_edit(app, pilot, *, finish: bool) -> None:
    """The guided push of the edited production policy: its confirmation (an enforcing TVM
    serves it, so the name must be typed), or with `finish` the result after typing it.
    The finished push writes to the demo store: keep these shots last."""
    import os

    await _settle_flow(app, pilot)
    local = Path(app.ops.settings.local_dir) / "production.yaml"
    original = local.read_bytes()
    cwd = os.getcwd()
    try:
        os.chdir(local.parent.parent)
        local.write_bytes(_edited_production())
        app.execute_command("push production policies/production.yaml")
        await _settle_flow(app, pilot)
        await pilot.press("enter")  # from the diff to the confirmation
        await _settle_flow(app, pilot)
        if type(app.screen).__name__ != "PushFlow":  # e.g. the demo's tests refused the edit
            raise RuntimeError(f"the push flow ended before its confirmation (on {app.screen!r})")
        if finish:
            await pilot.press(*"production", "enter")
            await _settle_flow(app, pilot)
    finally:
        os.chdir(cwd)
        local.write_bytes(original)


async def _push_confirm(app, pilot) -> None:
    await _push_of_edit(app, pilot, finish=False)


async def _push_result(app, pilot) -> None:
    await _push_of_edit(app, pilot, finish=True)


async def _whatif(app, pilot) -> None:
    from sentinel_tui.ui.widgets.whatif import WhatIfPanel

    await _settle(app, pilot)
    app.execute_command("whatif production")
    await _settle(app, pilot)
    app.browser.action_maximize_detail()
    app.query_one(WhatIfPanel).set_request(user="dana", time="2026-03-03 10:00 Europe/Berlin")
    await _settle(app, pilot)


async def _plan(app, pilot) -> None:
    """`:plan policies` on a copy of the demo's folder, from the copy's parent so that the folder's label is the relative `policies`;
    the cursor on staging, whose rules change."""
    import os
    import shutil

    await _settle_flow(app, pilot)
    repo = Path(tempfile.mkdtemp(prefix="sentinel-tui-plan-"))
    shutil.copytree(app.ops.settings.local_dir, repo / "policies")
    cwd = os.getcwd()
    try:
        os.chdir(repo)
        app.execute_command("plan policies")
        await _settle_flow(app, pilot)
        await pilot.press("down")
        await _settle_flow(app, pilot)
    finally:
        os.chdir(cwd)


SHOTS: dict[str, Callable[..., Awaitable[None]]] = {
    "main": _main_screen,
    "detail": _detail,
    "signature": _signature,
    "filter": _filter,
    "keys": _help,
    "doctor": _doctor,
    "whatif": _whatif,
    "explain": _explain,
    "keysetup": _keysetup,
    "diff": _diff,
    "diff-meaning": _diff_meaning,
    "diff-access": _diff_access,
    "plan": _plan,
    # these two last: the finished push writes to the demo store
    "push-confirm": _push_confirm,
    "push-result": _push_result,
}


async def render(ops, out: Path) -> list[Path]:
    from sentinel_tui.ui.app import SentinelApp

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, steps in SHOTS.items():
        app = SentinelApp(ops)
        async with app.run_test(size=SIZE) as pilot:
            await asyncio.wait_for(steps(app, pilot), 180)  # a shot that cannot be reached fails, never hangs
            path = out / f"{name}.svg"
            app.save_screenshot(filename=path.name, path=str(out))
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    from sentinel_tui.cli import start_demo

    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else "screenshots")
    emulator, ops = start_demo(Path(tempfile.mkdtemp(prefix="sentinel-tui-shots-")))
    try:
        for path in asyncio.run(render(ops, out)):
            print(path)
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
