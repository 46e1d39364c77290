"""Two (and more) pushes of the same policy at once, from separate processes."""

from __future__ import annotations

import subprocess
import sys

from sentinel_tui.core.status import Status

BASE = 'version: "1"\nrules:\n  - name: a\n    effect: allow\n    conditions:\n      profiles: [dev{n}]\n'


def test_concurrent_pushes_never_leave_a_mismatched_pair(ops, signing_key, endpoint, tmp_path):
    first = tmp_path / "base.yaml"
    first.write_text(BASE.format(n=""))
    assert subprocess.run([sys.executable, "-m", "sentinel_tui", "policy", "push", "dev", str(first), "--sign",
                           "--key-id", signing_key, "-f", "--endpoint-url", endpoint],
                          capture_output=True, timeout=120).returncode == 0
    files = []
    for n in range(4):
        f = tmp_path / f"p{n}.yaml"
        f.write_text(BASE.format(n=f", team{n}"))
        files.append(f)
    procs = [subprocess.Popen([sys.executable, "-m", "sentinel_tui", "policy", "push", "dev", str(f), "--sign",
                               "--key-id", signing_key, "-f", "--endpoint-url", endpoint],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in files]
    results = [(p.wait(timeout=180), p.stdout.read(), p.stderr.read()) for p in procs]
    winners = [r for r in results if r[0] == 0]
    losers = [r for r in results if r[0] != 0]
    assert winners, results
    for code, out, err in losers:
        # a loser stopped because another push moved the version or held the lock
        assert code == 2 and ("changed since the diff" in err or "Another push" in err), err
        assert "Traceback" not in err
    entry = ops.fleet.entry("dev")
    assert entry.status is Status.VALID, entry.assessment.reason
    assert entry.policy.value in {f.read_text() for f in files}
    # the lock is released whatever happened
    assert ops.store.get("/sentinel/locks/sentinel/policies/dev") is None
