"""Contexts: [contexts.NAME] in the settings, strictly read; import from the AWS config only when asked."""

from __future__ import annotations

import json

import pytest

from sentinel_tui.cli import main
from sentinel_tui.config import ConfigError, ContextSpec, Settings, config_file, load_settings, save_settings
from sentinel_tui.ops.multi import select_contexts


def write_config(text: str) -> None:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_contexts_are_read_in_order_and_round_trip():
    write_config('policy_root = "/acme/p"\n\n[contexts.prod]\nprofile = "prod-admin"\nregion = "eu-west-1"\n'
                 '[contexts."dev-1"]\nprofile = "dev"\npolicy_root = "/dev/policies/"\n'
                 'endpoint_url = "http://127.0.0.1:5000"\n')
    s = load_settings()
    assert [c.name for c in s.contexts] == ["prod", "dev-1"]
    assert s.contexts[1] == ContextSpec("dev-1", profile="dev", policy_root="/dev/policies",
                                        endpoint_url="http://127.0.0.1:5000")
    save_settings(s)
    assert load_settings() == s


@pytest.mark.parametrize("content,needle", [
    ('[contexts.prod]\nprofil = "x"\n', "unknown field 'profil'"),
    ('[contexts.prod]\nregion = 3\n', "region must be a non-empty string"),
    ('[contexts.prod]\npolicy_root = "nope"\n', "must start with '/'"),
    ('[contexts.prod]\nendpoint_url = "localhost:4566"\n', "endpoint_url must start with http"),
    ('[contexts."bad name"]\nregion = "x"\n', "a context name is"),
    ('contexts = "prod"\n', "contexts must be tables"),
])
def test_bad_contexts_are_errors(content, needle):
    write_config(content)
    with pytest.raises(ConfigError, match=needle):
        load_settings()


def test_selecting_contexts():
    s = Settings(contexts=(ContextSpec("a", region="r1"), ContextSpec("b", region="r2")))
    assert select_contexts(s, ["b", "a", "b"]) == [s.contexts[1], s.contexts[0]]
    assert select_contexts(s, [], all_contexts=True) == list(s.contexts)
    assert select_contexts(s, []) == []
    with pytest.raises(ConfigError, match="no context named 'c'.*known: a, b"):
        select_contexts(s, ["c"])
    with pytest.raises(ConfigError, match="no contexts are configured"):
        select_contexts(Settings(), [], all_contexts=True)


def test_status_with_an_unknown_context_says_which_exist(capsys):
    write_config('[contexts.prod]\nregion = "eu-west-1"\n')
    assert main(["policy", "status", "--context", "staging"]) == 2
    assert "no context named 'staging' (known: prod)" in capsys.readouterr().err


def aws_config(tmp_path, monkeypatch):
    path = tmp_path / "aws-config"
    path.write_text("[default]\nregion = us-east-1\naws_access_key_id = secret-id\n"
                    "[profile prod]\nregion = eu-west-1\n[profile lab]\nendpoint_url = http://127.0.0.1:9\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))


def test_import_offers_profiles_and_writes_only_when_told(tmp_path, monkeypatch, capsys):
    aws_config(tmp_path, monkeypatch)
    monkeypatch.setenv("AWS_REGION", "ap-south-1")  # the environment is never written to the file
    assert main(["contexts", "import", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "[contexts.prod]  profile prod, region eu-west-1" in out and "secret-id" not in out
    assert not config_file().exists()
    assert main(["contexts", "import"]) == 1  # not a terminal and no --yes: nothing guessed, nothing written
    assert not config_file().exists()
    assert main(["contexts", "import", "prod", "lab", "--yes"]) == 0
    s = load_settings(env={})
    assert s.contexts == (ContextSpec("prod", profile="prod", region="eu-west-1"),
                          ContextSpec("lab", profile="lab", endpoint_url="http://127.0.0.1:9"))
    assert s.region is None and "secret-id" not in config_file().read_text()
    assert main(["contexts", "import", "--yes"]) == 0  # only what is new
    assert [c.name for c in load_settings(env={}).contexts] == ["prod", "lab", "default"]
    assert main(["contexts", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out.split("Added 1 context")[-1].split("\n", 1)[1])
    assert [c["name"] for c in listed["contexts"]] == ["prod", "lab", "default"]


def test_import_of_an_unknown_profile_is_refused(tmp_path, monkeypatch, capsys):
    aws_config(tmp_path, monkeypatch)
    assert main(["contexts", "import", "staging", "--yes"]) == 2
    assert "no AWS profile named 'staging'" in capsys.readouterr().err
    assert not config_file().exists()


def test_status_rows_name_context_account_and_region_without_contexts(demo, endpoint, capsys):
    assert main(["policy", "status", "--json", "--endpoint-url", endpoint, "--region", "us-east-1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["root"] == "/sentinel/policies" and doc["complete"]
    assert doc["contexts"] == [{"context": None, "account": "123456789012", "region": "us-east-1",
                                "root": "/sentinel/policies", "complete": True, "error": None}]
    assert {(r["context"], r["account"], r["region"]) for r in doc["policies"]} == {(None, "123456789012", "us-east-1")}


def test_context_options_before_the_command_are_kept():
    from sentinel_tui.cli import build_parser

    args = build_parser().parse_args(["--context", "prod", "policy", "status"])
    assert args.contexts == ["prod"]
    assert build_parser().parse_args(["--all-contexts", "policy", "status", "--json"]).all_contexts
