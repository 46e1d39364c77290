"""Render the README's screenshots from the demo fleet.

    python -m sentinel_tui.ui.screenshots [OUTPUT_DIR]      # default: ./screenshots

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

SIZE = (140, 40)


async def _settle(app, pilot) -> None:
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def _main_screen(app, pilot) -> None:
    await _settle(app, pilot)


async def _detail(app, pilot) -> None:
    await _settle(app, pilot)
    app.execute_command("open legacy")
    await _settle(app, pilot)


async def _signature(app, pilot) -> None:
    await _settle(app, pilot)
    app.execute_command("open team/data/analytics")
    await _settle(app, pilot)
    await pilot.press("2")
    await _settle(app, pilot)


async def _filter(app, pilot) -> None:
    await _settle(app, pilot)
    await pilot.press("slash", *"!valid")
    await pilot.pause()


async def _help(app, pilot) -> None:
    await _settle(app, pilot)
    await pilot.press("question_mark")
    await pilot.pause()


SHOTS: dict[str, Callable[..., Awaitable[None]]] = {
    "main": _main_screen,
    "detail": _detail,
    "signature": _signature,
    "filter": _filter,
    "keys": _help,
}


async def render(ops, out: Path) -> list[Path]:
    from .app import SentinelApp

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, steps in SHOTS.items():
        app = SentinelApp(ops)
        async with app.run_test(size=SIZE) as pilot:
            await steps(app, pilot)
            path = out / f"{name}.svg"
            app.save_screenshot(filename=path.name, path=str(out))
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    from ..cli import start_demo

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
