"""Shared fixtures: a real moto server on a free loopback port, and clients that talk to it.

No `mock_aws`: every test talks HTTP to the emulator, as the app does. State is
reset between tests through moto's own reset endpoint.
"""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import pytest

from sentinel_tui.demo.server import running_emulator, silence_emulator_logs

# Every file a test reads lives in the repository: a clone has nothing beside it.
DATA = Path(__file__).resolve().parent / "data"
POLICIES = DATA / "policies"  # the sample corpus with the verdict Go gives each (expected.json)


@pytest.fixture(scope="session")
def emulator():
    silence_emulator_logs()
    with running_emulator() as emu:
        yield emu


def reset_emulator(url: str) -> None:
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST", data=b"")
    urllib.request.urlopen(request, timeout=10).read()


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's AWS profile, settings or audit log."""
    for var in list(os.environ):
        if var.startswith(("AWS_", "SENTINEL_TUI_")):
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("SENTINEL_TUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SENTINEL_TUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SENTINEL_TUI_CACHE_DIR", str(tmp_path / "cache"))
    yield


@pytest.fixture(autouse=True)
def instant_retries(monkeypatch):
    """botocore's retries (adaptive mode) really happen, without their back-off sleeps.

    Injected throttling would otherwise cost seconds of exponential back-off per test.
    """
    import types

    import botocore.endpoint
    import botocore.retries.bucket

    fake_time = types.SimpleNamespace(**{n: getattr(__import__("time"), n) for n in ("time", "monotonic")})
    fake_time.sleep = lambda seconds: None
    monkeypatch.setattr(botocore.endpoint, "time", fake_time)
    monkeypatch.setattr(botocore.retries.bucket.TokenBucket, "acquire", lambda self, amount=1, block=True: True)


@pytest.fixture
def endpoint(emulator):
    reset_emulator(emulator.url)
    return emulator.url


@pytest.fixture
def settings(endpoint, tmp_path):
    from sentinel_tui.config import Settings

    return Settings(endpoint_url=endpoint, region="us-east-1", local_dir=str(tmp_path / "policies"))


@pytest.fixture
def ops(settings, tmp_path):
    from sentinel_tui.ops.audit import AuditLog
    from sentinel_tui.ops.context import Ops

    return Ops.from_settings(settings, audit=AuditLog(tmp_path / "state" / "audit.jsonl"))


@pytest.fixture
def demo(ops, tmp_path):
    """The demo fleet, seeded through the AWS APIs into a fresh emulator state."""
    from sentinel_tui.demo.fleet import demo_hooks, seed

    for hook in demo_hooks(ops.settings.policy_root):
        ops.clients.add_hook(hook)
    # RSA_2048 keys: the emulator makes them ~10x faster than the demo's RSA_4096;
    # tests/test_demo.py checks the demo as shipped.
    fleet = seed(ops.clients, root=ops.settings.policy_root, local_dir=Path(ops.settings.local_dir),
                 key_spec="RSA_2048")
    return fleet


@pytest.fixture
def signing_key(ops):
    """An RSA_2048 SIGN_VERIFY key under the conventional alias (2048: quicker to make than 4096)."""
    kms = ops.clients.client("kms")
    meta = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    kms.create_alias(AliasName="alias/sentinel-policy-signing", TargetKeyId=meta["KeyId"])
    return "alias/sentinel-policy-signing"


class CallCounter:
    """Counts AWS API calls per operation with a botocore event hook on real clients."""

    def __init__(self):
        self.calls: list[str] = []

    def __call__(self, service, client):
        client.meta.events.register("before-call.*.*", self._count)

    def _count(self, model, **kwargs):
        self.calls.append(f"{model.service_model.service_name}.{model.name}")

    def count(self, prefix: str = "") -> int:
        return sum(1 for c in self.calls if c.startswith(prefix))


@pytest.fixture
def call_counter(ops):
    counter = CallCounter()
    ops.clients.add_hook(counter)
    return counter
