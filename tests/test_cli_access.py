"""`sentinel-tui policy access-diff OLD NEW`: files, stored names and versions; every witness
checked with `policy eval --requests`, as a reviewer (or the independent check) would."""

from __future__ import annotations

import json

import pytest

from sentinel_tui.cli import main

OLD = b"""version: "1"
rules:
  - name: office
    effect: allow
    conditions:
      users: [alice, bob]
      profiles: [prod]
      time:
        days: [monday, tuesday, wednesday, thursday, friday]
        hours: {start: "09:00", end: "18:00"}
        timezone: Europe/Berlin
  - name: oncall
    effect: require_server_session
    session_table: sessions
    conditions:
      users: [carol]
      device: {require_encryption: true, min_os_version: "14.2"}
  - name: ny
    effect: allow
    conditions:
      users: [dave]
      time: {hours: {start: "09:00", end: "17:00"}, timezone: America/New_York}
"""
NEW = (OLD.replace(b'end: "18:00"', b'end: "17:00"').replace(b'"14.2"', b'"15"')
       .replace(b"America/New_York", b"Europe/London"))
SAME = b"# reordered and requoted: the same access\n" + OLD.replace(b"[alice, bob]", b"['bob', alice]")


def run(capsys, *args):
    code = main(["policy", "access-diff", *args])
    out, err = capsys.readouterr()
    return code, out, err


def evaluate_batch(capsys, policy, lines) -> list[dict]:
    code = main(["policy", "eval", str(policy), "--requests", str(lines)])
    out, err = capsys.readouterr()
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


@pytest.fixture
def files(tmp_path):
    paths = {}
    for name, data in (("old", OLD), ("new", NEW), ("same", SAME)):
        paths[name] = tmp_path / f"{name}.yaml"
        paths[name].write_bytes(data)
    return paths


def test_every_witness_shows_its_change_under_policy_eval(files, capsys, tmp_path):
    code, out, err = run(capsys, str(files["old"]), str(files["new"]), "--json")
    assert code == 1, err
    doc = json.loads(out)
    assert doc["identical"] is False and len(doc["changes"]) >= 3
    lines = tmp_path / "witnesses.jsonl"
    lines.write_text("".join(json.dumps(dict(c["witness"], id=i)) + "\n" for i, c in enumerate(doc["changes"])))
    before = evaluate_batch(capsys, files["old"], lines)
    after = evaluate_batch(capsys, files["new"], lines)
    keys = ("effect", "max_server_duration", "session_table", "requires_server_mode", "requires_session_tracking")
    for change, a, b in zip(doc["changes"], before, after):
        assert {k: a[k] for k in keys} == {k: change["from"][k] for k in keys}, change["summary"]
        assert {k: b[k] for k in keys} == {k: change["to"][k] for k in keys}, change["summary"]
        assert {k: a[k] for k in keys} != {k: b[k] for k in keys}
    summaries = [c["summary"] for c in doc["changes"]]
    assert ("Mon–Fri 17:00–18:00 Europe/Berlin · users alice, bob · profile prod: allow → deny") in summaries
    assert any("user carol" in s and "14.2 ≤ os_version < 15" in s for s in summaries)


def test_text_output_and_exit_codes(files, capsys):
    code, out, err = run(capsys, str(files["old"]), str(files["new"]))
    assert code == 1 and "access change" in out and "e.g. user=" in out and "request classes" in err
    code, out, err = run(capsys, str(files["old"]), str(files["same"]))
    assert code == 0 and "Access is identical" in out
    code, out, err = run(capsys, str(files["old"]), str(files["same"]), "--json")
    assert code == 0 and json.loads(out)["identical"] is True


def test_a_side_that_does_not_parse_is_an_error(files, capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b'version: "1"\nrules:\n  - name: a\n    effect: allow\n    effect: deny\n')
    code, out, err = run(capsys, str(files["old"]), str(bad))
    assert code == 2 and "does not parse" in err and "already defined" in err and out == ""


def test_stored_names_and_versions(files, capsys, endpoint, signing_key, ops):
    assert main(["policy", "push", "dev", str(files["old"]), "--sign", "--key-id", signing_key, "-f",
                 "--endpoint-url", endpoint]) == 0
    ops.store.put("/sentinel/policies/dev", NEW.decode())
    capsys.readouterr()
    code, out, err = run(capsys, "dev@1", "dev", "--endpoint-url", endpoint, "--json")
    assert code == 1, err
    assert any("Europe/Berlin" in c["summary"] for c in json.loads(out)["changes"])
    code, out, err = run(capsys, "dev@1", str(files["same"]), "--endpoint-url", endpoint)
    assert code == 0, err
    assert "version 1" in out
    code, out, err = run(capsys, "dev@7", "dev", "--endpoint-url", endpoint)
    assert code == 2 and "no stored version 7" in err
    code, out, err = run(capsys, "nosuch", "dev", "--endpoint-url", endpoint)
    assert code == 2 and "neither a file nor a stored policy" in err


def test_the_result_does_not_depend_on_the_hash_seed(files):
    # plans (issue 15) hash what the access diff says: the same inputs must give the same JSON
    import os
    import subprocess
    import sys

    code = ("import json, sys\nfrom datetime import datetime, timezone\n"
            "from sentinel_tui.core.policy import parse_policy\nfrom sentinel_tui.core.access import access_diff\n"
            "o, n = (parse_policy(open(p, 'rb').read()) for p in sys.argv[1:3])\n"
            "print(json.dumps(access_diff(o, n, now=datetime(2026, 1, 1, tzinfo=timezone.utc)).to_json()))\n")
    outs = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-c", code, str(files["old"]), str(files["new"])], env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        outs.add(done.stdout)
    assert len(outs) == 1
