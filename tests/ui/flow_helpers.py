"""Shared by the flow tests: a minimal host App, a polling wait, a TVM, and the consistency check."""

from __future__ import annotations

import asyncio
import io
import json
import threading
import time
import zipfile

from textual.app import App  # noqa: F401

from .shell_host import ShellHost

from sentinel_tui.aws.faults import error_response, on_call
from sentinel_tui.core.status import Status

POLICY_V1 = b'version: "1"\nrules:\n  - name: a\n    effect: allow\n    conditions:\n      profiles: [dev]\n'
POLICY_V2 = POLICY_V1.replace(b"[dev]", b"[dev, qa]")
PATH = "/sentinel/policies/dev"
SIG = "/sentinel/signatures/dev"
SIZE = (120, 36)


def run(coro):
    """pytest-asyncio is not a dependency: each async test body runs in its own loop."""
    return asyncio.run(coro)


class Host(ShellHost):
    """Hosts one flow screen; records what it was dismissed with and the entries it asked to refresh."""

    def __init__(self, screen) -> None:
        super().__init__(getattr(screen, "ops", None))
        self.flow = screen
        self.dismissed: list = []

    def on_mount(self) -> None:
        self.push_screen(self.flow, self.dismissed.append)


async def until(pilot, predicate, timeout: float = 60.0) -> None:
    """Pause until `predicate()` holds; the timeout only stops a hang (it times nothing)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the screen")
        await pilot.pause(0.02)


def plain(widget) -> str:
    """The text a Static shows."""
    from rich.text import Text

    rendered = widget.render()
    return rendered.plain if isinstance(rendered, Text) else str(rendered)


def single_attempt(ops):
    """The same target, audit log and hooks, with clients that do not retry (a throttle fails at once)."""
    from sentinel_tui.aws.session import Clients
    from sentinel_tui.ops.context import Ops

    clients = Clients(target=ops.clients.target, hooks=list(ops.clients.hooks), max_attempts=1)
    return Ops(settings=ops.settings, clients=clients, audit=ops.audit, clock=ops.clock)


def inject(ops, service, operation, handler) -> None:
    ops.clients.add_hook(on_call(service, operation, handler))


def deny_sign(ops) -> None:
    inject(ops, "kms", "Sign", lambda p: error_response(
        "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: kms:Sign"))


def gate_sign(ops) -> tuple[threading.Event, threading.Event]:
    """KMS Sign waits for `release` (set `entered` when it starts): time to press esc mid-flow."""
    entered, release = threading.Event(), threading.Event()

    def hold(params):
        entered.set()
        release.wait(20)
    inject(ops, "kms", "Sign", hold)
    return entered, release


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bootstrap", "#!/bin/sh\n")
    return buffer.getvalue()


def make_tvm(ops, path: str, key: str, *, enforce: str = "true", name: str = "sentinel-tvm-dev") -> None:
    """A Lambda TVM serving `path` with `key` (moto holds its environment; nothing runs)."""
    iam = ops.clients.client("iam")
    try:
        role = iam.get_role(RoleName="sentinel-tvm")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="sentinel-tvm", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "lambda.amazonaws.com"}}]}))["Role"]["Arn"]
    ops.clients.client("lambda").create_function(
        FunctionName=name, Runtime="provided.al2023", Role=role, Handler="bootstrap", Code={"ZipFile": _zip()},
        Environment={"Variables": {"SENTINEL_POLICY_PARAMETER": path, "SENTINEL_POLICY_SIGNING_KEY": key,
                                   "SENTINEL_ENFORCE_POLICY_SIGNING": enforce}})


def stored(ops, path: str = PATH, sig: str = SIG) -> tuple:
    p, s = ops.store.get(path), ops.store.get(sig)
    return (p.data if p else None, s.value if s else None)


def consistent(ops, name: str = "dev") -> bool:
    """The stored signature verifies the stored policy as the TVM would (or neither exists)."""
    entry = ops.fleet.entry(name)
    if entry.policy is None:
        return entry.signature is None
    return entry.status is Status.VALID
