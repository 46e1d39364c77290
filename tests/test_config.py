"""Settings: TOML under the config dir, then environment, then flags; strict about unknown keys."""

from __future__ import annotations

import stat

import pytest

from sentinel_tui.cli import build_parser, settings_from
from sentinel_tui.config import ConfigError, Settings, config_file, load_settings, save_settings


def test_defaults_without_a_file():
    s = load_settings()
    assert s.default_key == "alias/sentinel-policy-signing"
    assert s.policy_root == "/sentinel/policies" and not s.read_only


def test_file_then_environment_then_flags(monkeypatch):
    path = config_file()
    path.parent.mkdir(parents=True)
    path.write_text('policy_root = "/acme/policies/"\ndefault_key = "alias/file"\nregion = "eu-west-1"\n')
    monkeypatch.setenv("SENTINEL_TUI_DEFAULT_KEY", "alias/env")
    s = load_settings()
    assert s.policy_root == "/acme/policies"  # normalised
    assert s.default_key == "alias/env" and s.region == "eu-west-1"
    args = build_parser().parse_args(["policy", "status", "--region", "us-west-2", "--read-only"])
    flagged = settings_from(args, s)
    assert flagged.region == "us-west-2" and flagged.read_only and flagged.default_key == "alias/env"


@pytest.mark.parametrize("content,needle", [
    ('polcy_root = "/x"\n', "unknown setting 'polcy_root'"),
    ("read_only = 3\n", "read_only must be true or false"),
    ('policy_root = "no-slash"\n', "must start with '/'"),
    ("this is not toml", "not valid TOML"),
])
def test_bad_settings_are_errors(content, needle):
    path = config_file()
    path.parent.mkdir(parents=True)
    path.write_text(content)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert needle in str(err.value)


def test_save_writes_only_non_defaults_with_mode_0600():
    path = save_settings(Settings(default_key="alias/new", local_dir="/tmp/p"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_settings() == Settings(default_key="alias/new", local_dir="/tmp/p")
    assert "policy_root" not in path.read_text()


def test_an_empty_value_clears_an_optional_setting_and_none_keeps_it():
    s = Settings(endpoint_url="http://127.0.0.1:1", region="eu-west-1")
    assert s.with_(endpoint_url=None).endpoint_url == "http://127.0.0.1:1"
    cleared = s.with_(endpoint_url="")
    assert cleared.endpoint_url is None and cleared.region == "eu-west-1"


def test_keys_table_remaps_by_binding_id_and_is_strict():
    path = config_file()
    path.parent.mkdir(parents=True)
    path.write_text('region = "eu-west-1"\n\n[keys]\n"browser.push" = "ctrl+u"\n"app.help" = "f1,question_mark"\n')
    s = load_settings()
    assert dict(s.keys) == {"browser.push": "ctrl+u", "app.help": "f1,question_mark"}
    save_settings(s)
    assert load_settings() == s  # written back as a [keys] table
    for bad, needle in (('[keys]\n"push" = "ctrl+u"\n', "not a binding id"),
                        ('[keys]\n"browser.push" = 3\n', "must be a key name"),
                        ('[keys]\n"browser.push" = "ctrl u"\n', "must be a key name"),
                        ('keys = "ctrl+u"\n', "must be a table")):
        path.write_text(bad)
        with pytest.raises(ConfigError, match=needle):
            load_settings()
