"""The embedded emulator: moto's real HTTP server on 127.0.0.1 and a free port.

Nothing from the emulator may reach the terminal: werkzeug's request log is
silenced before the server starts, and it would otherwise tear a TUI screen.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

DEMO_CREDENTIALS = {
    # moto accepts any credentials; these are placeholders, never real ones.
    "AWS_ACCESS_KEY_ID": "demo",
    "AWS_SECRET_ACCESS_KEY": "demo",
}
DEMO_REGION = "us-east-1"


def silence_emulator_logs() -> None:
    for name in ("werkzeug", "moto", "botocore.credentials"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.CRITICAL)
        logger.propagate = False


@dataclass
class Emulator:
    server: object
    url: str

    def stop(self) -> None:
        self.server.stop()  # type: ignore[attr-defined]


def start_emulator() -> Emulator:
    """Start moto's threaded server on a port the OS picks (a taken port would make start() hang)."""
    silence_emulator_logs()
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return Emulator(server=server, url=f"http://{host}:{port}")


def use_demo_credentials(env: dict[str, str] | None = None) -> None:
    """Point boto3 at placeholder credentials and a region, without touching real profiles."""
    env = os.environ if env is None else env
    for key, value in DEMO_CREDENTIALS.items():
        env[key] = value
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_SESSION_TOKEN", None)
    env.setdefault("AWS_DEFAULT_REGION", DEMO_REGION)


@contextmanager
def running_emulator() -> Iterator[Emulator]:
    emulator = start_emulator()
    try:
        yield emulator
    finally:
        emulator.stop()
