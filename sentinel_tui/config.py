"""Settings: a TOML file under the user config dir, overridden by environment, then by flags.

Precedence, lowest first: built-in defaults < config.toml < SENTINEL_TUI_* environment
< command-line flags. Unknown keys in the file are an error, so a typo does not
silently do nothing.

A ``[keys]`` table remaps the app's keys by binding id (``"browser.push" = "ctrl+u"``;
``?`` in the app and the README list the ids); the app refuses an id it does not have.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import platformdirs

from .core.paths import DEFAULT_POLICY_ROOT, normalize_root

APP_NAME = "sentinel-tui"
DEFAULT_KEY = "alias/sentinel-policy-signing"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    default_key: str = DEFAULT_KEY
    policy_root: str = DEFAULT_POLICY_ROOT
    local_dir: str | None = None
    aws_profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    read_only: bool = False
    #: Key remaps by binding id, from the file's [keys] table: (("browser.push", "ctrl+u"), ...)
    keys: tuple[tuple[str, str], ...] = ()

    def with_(self, **changes) -> "Settings":
        """A copy with `changes`; None leaves a setting as it is, "" clears an optional one
        (e.g. endpoint_url="" goes back to AWS's own endpoints)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        for key in ("local_dir", "aws_profile", "region", "endpoint_url"):
            if changes.get(key) == "":
                changes[key] = None
        if "policy_root" in changes:
            changes["policy_root"] = normalize_root(changes["policy_root"])
        return replace(self, **changes)


ENV_NAMES = {
    "default_key": "SENTINEL_TUI_DEFAULT_KEY",
    "policy_root": "SENTINEL_TUI_POLICY_ROOT",
    "local_dir": "SENTINEL_TUI_LOCAL_DIR",
    "aws_profile": "AWS_PROFILE",
    "region": "AWS_REGION",
    "endpoint_url": "AWS_ENDPOINT_URL",
    "read_only": "SENTINEL_TUI_READ_ONLY",
}


def config_dir() -> Path:
    override = os.environ.get("SENTINEL_TUI_CONFIG_DIR")
    return Path(override) if override else platformdirs.user_config_path(APP_NAME, appauthor=False)


def state_dir() -> Path:
    override = os.environ.get("SENTINEL_TUI_STATE_DIR")
    return Path(override) if override else platformdirs.user_state_path(APP_NAME, appauthor=False)


def cache_dir() -> Path:
    """Where the fleet cache lives (platformdirs' user cache dir; SENTINEL_TUI_CACHE_DIR overrides)."""
    override = os.environ.get("SENTINEL_TUI_CACHE_DIR")
    return Path(override) if override else platformdirs.user_cache_path(APP_NAME, appauthor=False)


def config_file() -> Path:
    return config_dir() / "config.toml"


_BINDING_ID = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


def _keymap(value, source: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: [keys] must be a table of binding id = \"key\" lines, not {value!r}")
    out = []
    for binding_id, key in value.items():
        if not _BINDING_ID.fullmatch(binding_id):
            raise ConfigError(f"{source}: [keys] {binding_id!r} is not a binding id (such as browser.push)")
        if not isinstance(key, str) or not key.strip() or any(ch.isspace() for ch in key.strip()):
            raise ConfigError(f"{source}: [keys] {binding_id} must be a key name such as \"ctrl+u\" "
                              f"(several: \"ctrl+u,f5\"), not {key!r}")
        out.append((binding_id, key.strip()))
    return tuple(sorted(out))


def _coerce(name: str, value, source: str):
    if name == "keys":
        return _keymap(value, source)
    if name == "read_only":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"1", "true", "yes", "on"}:
            return True
        if isinstance(value, str) and value.lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"{source}: read_only must be true or false, not {value!r}")
    if not isinstance(value, str):
        raise ConfigError(f"{source}: {name} must be a string, not {value!r}")
    if name == "policy_root":
        try:
            return normalize_root(value)
        except ValueError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    return value


def load_settings(path: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Defaults, then the TOML file (if any), then the environment."""
    env = os.environ if env is None else env
    path = path or config_file()
    values: dict = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        known = {f.name for f in fields(Settings)}
        for key, value in raw.items():
            if key not in known:
                raise ConfigError(f"{path}: unknown setting {key!r} (known: {', '.join(sorted(known))})")
            values[key] = _coerce(key, value, str(path))
    for name, var in ENV_NAMES.items():
        if env.get(var):
            values[name] = _coerce(name, env[var], var)
    return Settings(**values)


def save_settings(settings: Settings, path: Path | None = None, *, explicit: tuple[str, ...] = ()) -> Path:
    """Write the settings that differ from the defaults, atomically, mode 0600.

    The keys in `explicit` are written even when they equal the default: the operator chose
    them (key setup's `m` on alias/sentinel-policy-signing pins it, and writes a file that
    says so rather than an empty one).
    """
    from .fileio import write_private  # local import: fileio is tiny and only needed here

    path = path or config_file()
    defaults = Settings()
    lines = []
    for key, value in asdict(settings).items():
        if key == "keys" or value is None or (value == getattr(defaults, key) and key not in explicit):
            continue
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        else:
            escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'{key} = "{escaped}"')
    if settings.keys:  # a table comes after the top-level settings
        lines.append("")
        lines.append("[keys]")
        lines.extend(f'"{binding_id}" = "{key}"' for binding_id, key in settings.keys)
    write_private(path, ("\n".join(lines) + "\n").encode("utf-8"), overwrite=True, make_dirs=True)
    return path
