"""Several accounts at once (demo --accounts): each context loads on its own, a broken one
yields its error and leaves the others usable. moto keeps resources per account and ties the
credentials of an AssumeRole into another account's role to that account."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from sentinel_tui.aws.faults import deny, error_response, on_call
from sentinel_tui.cli import main
from sentinel_tui.config import ContextSpec, Settings, load_settings, save_settings
from sentinel_tui.demo.accounts import MIXES, demo_accounts, seed_accounts, write_aws_config
from sentinel_tui.ops.multi import build_targets, load_all


@pytest.fixture
def accounts(endpoint, tmp_path, monkeypatch):
    """Three seeded accounts, their profiles in an AWS config file and their contexts in the settings."""
    accts = demo_accounts(3)
    config = write_aws_config(tmp_path / "aws" / "config", endpoint, accts)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    seed_accounts(endpoint, accts, key_spec="RSA_2048")
    contexts = tuple(ContextSpec(a.context, profile=a.profile, region="us-east-1", endpoint_url=endpoint)
                     for a in accts)
    save_settings(Settings(contexts=contexts))
    return accts


def test_every_account_is_listed_with_its_own_mix(accounts, capsys):
    assert main(["policy", "status", "--json", "--all-contexts"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(c["context"], c["account"], c["complete"], c["error"]) for c in doc["contexts"]] == [
        ("demo-1", "123456789012", True, None), ("demo-2", "222222222222", True, None),
        ("demo-3", "333333333333", True, None)]
    by_account: dict[str, dict[str, str]] = {}
    for row in doc["policies"]:
        assert row["region"] == "us-east-1"
        by_account.setdefault(row["account"], {})[row["name"]] = row["status"]
    assert {a: s["production"] for a, s in by_account.items()} == {
        "123456789012": "valid", "222222222222": "valid", "333333333333": "valid"}
    # account 1 holds the whole demo fleet; the others only their mix (resources are per account)
    assert len(by_account["123456789012"]) > 12
    assert set(by_account["222222222222"]) == MIXES[0] | {"production"}
    assert set(by_account["333333333333"]) == MIXES[1] | {"production"}
    assert by_account["222222222222"]["staging"] == "unsigned"
    assert by_account["333333333333"]["team/security"] == "wrong-key"


def test_context_option_picks_accounts(accounts, capsys):
    assert main(["policy", "status", "--json", "--context", "demo-3", "--context", "demo-2"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [c["account"] for c in doc["contexts"]] == ["333333333333", "222222222222"]
    assert {r["context"] for r in doc["policies"]} == {"demo-2", "demo-3"}


def test_a_context_whose_profile_is_gone_fails_alone(accounts, capsys):
    s = load_settings(env={})
    save_settings(replace(s, contexts=s.contexts + (ContextSpec("gone", profile="no-such-profile"),)))
    assert main(["policy", "status", "--json", "--all-contexts"]) == 2
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    gone = doc["contexts"][-1]
    assert gone["context"] == "gone" and not gone["complete"] and "no-such-profile" in gone["error"]["what"]
    assert not doc["complete"]
    assert {r["account"] for r in doc["policies"]} == {"123456789012", "222222222222", "333333333333"}
    assert "context gone: not loaded" in captured.err


def test_denied_listing_and_expired_credentials_leave_the_others_usable(accounts):
    denied = deny("ssm", "GetParametersByPath",
                  "User: arn:aws:sts::222222222222:assumed-role/sentinel-operator/x is not authorized "
                  "to perform: ssm:GetParametersByPath")
    expired = lambda: [on_call(service, "*", lambda p: error_response(
        "ExpiredTokenException", "The security token included in the request is expired"))
        for service in ("sts", "ssm", "lambda", "kms")]
    hooks = {"demo-2": [denied], "demo-3": expired()}
    settings = load_settings()
    targets = build_targets(settings, settings.contexts, hooks=lambda name: hooks.get(name, []))
    loads = load_all(targets)
    first, second, third = loads
    assert first.error is None and first.usable and first.target.account == "123456789012"
    assert first.snapshot.entries and first.snapshot.complete
    assert second.error is not None and second.error.kind == "access-denied" and not second.usable
    assert third.error is not None and third.error.kind == "expired-credentials" and not third.usable


def test_demo_accounts_writes_profiles_and_contexts_that_status_lists(endpoint, tmp_path, capsys):
    # `endpoint` resets the emulator: in one process every moto server shares the same backends
    from sentinel_tui.cli import start_demo_accounts

    emulator, ops, accts = start_demo_accounts(tmp_path / "demo", 2, key_spec="RSA_2048")
    try:
        assert [c.name for c in load_settings().contexts] == ["demo-1", "demo-2"]
        assert main(["policy", "status", "--json", "--all-contexts"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert {r["account"] for r in doc["policies"] if r["status"] == "valid"} == {"123456789012", "222222222222"}
        assert "aws_session_token" not in (tmp_path / "demo" / "aws" / "config").read_text()
    finally:
        emulator.stop()


def test_watching_every_account_reports_a_change_despite_a_broken_context(accounts, endpoint):
    from sentinel_tui.ops.watch import Watcher

    expired = [on_call(service, "*", lambda p: error_response(
        "ExpiredTokenException", "The security token included in the request is expired"))
        for service in ("sts", "ssm", "lambda", "kms")]
    settings = load_settings()
    targets = build_targets(settings, settings.contexts, hooks=lambda name: expired if name == "demo-2" else [])
    now = [0.0]
    watcher = Watcher(targets, interval=10, clock=lambda: now[0])
    changes, errors = [], []
    watcher.start()
    # a change from outside, in account 3, through its own profile (AssumeRole into that account)
    import boto3

    boto3.session.Session(profile_name="demo-3").client("ssm").put_parameter(
        Name="/sentinel/policies/production", Value='version: "1"\nrules: []\n', Type="String", Overwrite=True)
    now[0] += 10
    watcher.poll_due(changes.append, lambda t, e: errors.append((t.name, e.kind)))
    assert [(c.context, c.account, c.name, c.old_status, c.new_status) for c in changes] == [
        ("demo-3", "333333333333", "production", "valid", "stale")]
    assert errors == []  # the broken context's error was said once, at the start
    assert [(t.name, e.kind) for t, e in watcher._first_errors] == [("demo-2", "expired-credentials")]
