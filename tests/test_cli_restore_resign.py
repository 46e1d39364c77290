"""`policy restore` and `policy resign`, run through `main()` against the moto server."""

from __future__ import annotations

import pytest

from sentinel_tui.cli import main
from sentinel_tui.core.status import Status

V1 = b'version: "1"\nrules:\n  - name: a\n    effect: allow\n    conditions:\n      profiles: [dev]\n'
V2 = V1.replace(b"[dev]", b"[dev, qa]")


@pytest.fixture
def cli(endpoint, capsys):
    def run(*args: str) -> tuple[int, str, str]:
        code = main(["policy", *args, "--endpoint-url", endpoint])
        out, err = capsys.readouterr()
        return code, out, err
    return run


@pytest.fixture
def stale_dev(cli, ops, signing_key, tmp_path):
    f = tmp_path / "dev.yaml"
    f.write_bytes(V1)
    assert cli("push", "dev", str(f), "--sign", "--key-id", signing_key, "-f")[0] == 0
    ops.store.put("/sentinel/policies/dev", V2.decode())  # edited in the console: now stale
    return ops


def test_restore_picks_the_newest_verifying_version(cli, stale_dev):
    code, out, err = cli("restore", "dev", "-f")
    assert code == 0, err
    assert "version 1 (" in out and "Restored /sentinel/policies/dev to the bytes of version 1" in out
    assert "signed afresh" in out
    entry = stale_dev.fleet.entry("dev")
    assert entry.policy.data == V1 and entry.policy.version == 3 and entry.status is Status.VALID


def test_restore_of_an_unknown_version_is_a_usage_error(cli, stale_dev):
    code, out, err = cli("restore", "dev", "--version", "7", "-f")
    assert code == 2 and "not restorable" in err
    assert stale_dev.store.get("/sentinel/policies/dev").version == 2


def test_restore_without_a_terminal_asks_for_f(cli, stale_dev):
    code, out, err = cli("restore", "dev")
    assert code == 2 and "-f" in err
    assert stale_dev.store.get("/sentinel/policies/dev").version == 2


def test_resign_signs_the_stored_bytes(cli, stale_dev):
    code, out, err = cli("resign", "dev", "nope", "-f")
    assert code == 1, err  # one skipped: no such policy
    assert "1 re-signed, 1 skipped of 2" in out
    assert "(status stale → valid)" in err  # the new status, not the old one beside "ok"
    entry = stale_dev.fleet.entry("dev")
    assert entry.policy.data == V2 and entry.policy.version == 2 and entry.status is Status.VALID
    code, out, err = cli("resign", "dev", "-f")
    assert code == 0 and "1 re-signed of 1" in out


def test_resign_read_only_is_refused(cli, stale_dev):
    code, out, err = cli("resign", "dev", "-f", "--read-only")
    assert code == 2 and "Read-only" in err
    assert stale_dev.fleet.entry("dev").status is Status.STALE
