"""Helpers for the app's Pilot tests: a seeded demo fleet, an app on it, and a fixed clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import pytest_textual_snapshot

from sentinel_tui.ops.context import Ops

from .snapshot_picture import PictureSVGExtension

# Snapshots compare the picture, not the SVG's markup, so a patch release of Textual that
# writes the same screen differently passes (see snapshot_picture.py).
pytest_textual_snapshot.SVGImageExtension = PictureSVGExtension

# The emulator's port changes every run; the header shows this instead in snapshot tests.
SNAPSHOT_ENDPOINT = "http://127.0.0.1:4566"


def run(coro):
    """pytest-asyncio is not a dependency: each async test body runs in its own loop."""
    return asyncio.run(coro)


async def workers_done(app) -> None:
    """Wait for the running workers; a cancelled one (replaced by newer work) is not an error."""
    from textual.worker import WorkerCancelled

    for _ in range(5):
        try:
            await app.workers.wait_for_complete()
            return
        except WorkerCancelled:
            continue


async def settle(app, pilot) -> None:
    """Wait until every worker is done and the messages they posted are handled."""
    for _ in range(3):
        await workers_done(app)
        await pilot.pause()


def fixed_clock(ops: Ops, *, hours: int = 3):
    """A clock `hours` after the newest stored version: dates render as `3h ago`, run after run."""
    newest = None
    for page in ops.store.list_metadata(ops.settings.policy_root):
        for param in page:
            if param.last_modified and (newest is None or param.last_modified > newest):
                newest = param.last_modified
    assert newest is not None
    moment = newest + timedelta(hours=hours)
    return lambda: moment


@pytest.fixture
def snapshot_ops(shared_ops) -> Ops:
    """The demo's Ops, with settings that name a fixed endpoint (the clients still use the real one)."""
    return Ops(settings=shared_ops.settings.with_(endpoint_url=SNAPSHOT_ENDPOINT), clients=shared_ops.clients,
               audit=shared_ops.audit, clock=shared_ops.clock)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """One seeded demo fleet per test module, on its own emulator, for tests that only read.

    Seeding costs seconds; the read-only Pilot tests share it (each gets fresh clients
    through `shared_ops`). Tests that write use the function-scoped `ops` and `demo`.
    """
    from pathlib import Path

    import urllib.request

    from sentinel_tui.config import Settings
    from sentinel_tui.core.paths import policy_path
    from sentinel_tui.demo.fleet import DEMO_POLICIES, demo_hooks, seed
    from sentinel_tui.demo.server import running_emulator, silence_emulator_logs
    from sentinel_tui.ops.audit import AuditLog

    base = tmp_path_factory.mktemp("demo-store")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_CONFIG_FILE", str(base / "no-aws-config"))
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", str(base / "no-aws-credentials"))
        env.delenv("AWS_PROFILE", raising=False)
        env.delenv("AWS_ENDPOINT_URL", raising=False)
        silence_emulator_logs()
        with running_emulator() as emulator:
            settings = Settings(endpoint_url=emulator.url, region="us-east-1", local_dir=str(base / "policies"))
            seeding = Ops.from_settings(settings, audit=AuditLog(base / "audit.jsonl"))
            for hook in demo_hooks(settings.policy_root):
                seeding.clients.add_hook(hook)

            expected = {policy_path(p.name, settings.policy_root) for p in DEMO_POLICIES}

            seeded = []

            def ensure_seeded() -> None:
                # moto's state is one per process: another test's reset (the `endpoint` fixture) or
                # writes land here too. Start from a clean, freshly seeded store (and local folder)
                # the first time, and again whenever the policies are not exactly the demo's.
                names = {p.name for page in seeding.store.list_metadata(settings.policy_root) for p in page}
                if names != expected or not seeded:
                    seeded.append(True)
                    urllib.request.urlopen(urllib.request.Request(
                        f"{emulator.url}/moto-api/reset", method="POST", data=b""), timeout=10).read()
                    seed(seeding.clients, root=settings.policy_root, local_dir=Path(settings.local_dir),
                         key_spec="RSA_2048")

            yield settings, ensure_seeded


@pytest.fixture
def shared_ops(demo_store, tmp_path) -> Ops:
    """Fresh clients on the module's shared demo fleet (do not write through them)."""
    from sentinel_tui.demo.fleet import demo_hooks
    from sentinel_tui.ops.audit import AuditLog

    settings, ensure_seeded = demo_store
    ensure_seeded()
    return Ops.from_settings(settings, audit=AuditLog(tmp_path / "state" / "audit.jsonl"),
                             hooks=demo_hooks(settings.policy_root))
