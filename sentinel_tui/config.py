"""Settings: a TOML file under the user config dir, overridden by environment, then by flags.

Precedence, lowest first: built-in defaults < config.toml < SENTINEL_TUI_* environment
< command-line flags. Unknown keys in the file are an error, so a typo does not
silently do nothing.

Contexts are named AWS targets in the same file, one table each:

    [contexts.prod]
    profile = "prod-admin"
    region = "eu-west-1"
    policy_root = "/sentinel/policies"   # optional
    endpoint_url = "http://..."          # optional (an emulator, a VPC endpoint)

A field a context leaves out is inherited from the settings above it.

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


CONTEXT_FIELDS = ("profile", "region", "policy_root", "endpoint_url")
CONTEXT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class ContextSpec:
    """A named AWS target: (profile, region, policy root, endpoint); None inherits the settings'."""

    name: str
    profile: str | None = None
    region: str | None = None
    policy_root: str | None = None
    endpoint_url: str | None = None

    def overrides(self) -> dict:
        """The Settings fields this context sets (for Settings.with_)."""
        return {k: v for k, v in (("aws_profile", self.profile), ("region", self.region),
                                  ("policy_root", self.policy_root),
                                  ("endpoint_url", self.endpoint_url)) if v is not None}


@dataclass(frozen=True)
class Settings:
    default_key: str = DEFAULT_KEY
    policy_root: str = DEFAULT_POLICY_ROOT
    local_dir: str | None = None
    aws_profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    read_only: bool = False
    #: the terminal bell with the app's watch announcements (a valid policy that turned into anything else)
    bell: bool = False
    contexts: tuple[ContextSpec, ...] = ()

    def context(self, name: str) -> ContextSpec:
        for ctx in self.contexts:
            if ctx.name == name:
                return ctx
        known = ", ".join(c.name for c in self.contexts) or "none configured"
        raise ConfigError(f"no context named {name!r} (known: {known}); add a [contexts.{name}] table "
                          f"to {config_file()} or run `sentinel-tui contexts import`")
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
    "bell": "SENTINEL_TUI_BELL",
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
    if name in ("read_only", "bell"):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"1", "true", "yes", "on"}:
            return True
        if isinstance(value, str) and value.lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"{source}: {name} must be true or false, not {value!r}")
    if not isinstance(value, str):
        raise ConfigError(f"{source}: {name} must be a string, not {value!r}")
    if name == "policy_root":
        try:
            return normalize_root(value)
        except ValueError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    return value


def _contexts(raw, source: str) -> tuple[ContextSpec, ...]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: contexts must be tables ([contexts.NAME]), not {raw!r}")
    found = []
    for name, table in raw.items():
        where = f"{source}: [contexts.{name}]"
        if not CONTEXT_NAME.match(name):
            raise ConfigError(f"{where}: a context name is letters, digits, '.', '_' or '-' (at most 64)")
        if not isinstance(table, dict):
            raise ConfigError(f"{where} must be a table, not {table!r}")
        values = {}
        for key, value in table.items():
            if key not in CONTEXT_FIELDS:
                raise ConfigError(f"{where}: unknown field {key!r} (known: {', '.join(CONTEXT_FIELDS)})")
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{where}: {key} must be a non-empty string, not {value!r}")
            if key == "policy_root":
                try:
                    value = normalize_root(value)
                except ValueError as exc:
                    raise ConfigError(f"{where}: {exc}") from None
            if key == "endpoint_url" and not re.match(r"^https?://", value):
                raise ConfigError(f"{where}: endpoint_url must start with http:// or https://, not {value!r}")
            values[key] = value
        found.append(ContextSpec(name=name, **values))
    return tuple(found)


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
            if key == "contexts":
                values["contexts"] = _contexts(value, str(path))
                continue
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
        if key in ("contexts", "keys") or value is None or (value == getattr(defaults, key) and key not in explicit):
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
    for ctx in settings.contexts:
        lines.append("")
        lines.append(f"[contexts.{_toml_str(ctx.name)}]")
        for key in CONTEXT_FIELDS:
            value = getattr(ctx, key)
            if value is not None:
                lines.append(f"{key} = {_toml_str(value)}")
    write_private(path, ("\n".join(lines).lstrip("\n") + "\n").encode("utf-8"), overwrite=True, make_dirs=True)
    return path


def _toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
