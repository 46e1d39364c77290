"""Contexts offered from the AWS config file, and written to the settings file only when told.

Both front ends use this: `sentinel-tui contexts import` and the app's `:contexts import`.
Nothing is guessed from the environment: an offer is a profile of the AWS config file
(`AWS_CONFIG_FILE` honoured) that is not a context yet, with the region and endpoint that
profile names. Writing keeps everything else the settings file holds (the file alone is
read, never flags or environment) and is atomic, mode 0600 (config.save_settings).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

from ..aws.session import aws_config_profiles
from ..config import CONTEXT_NAME, ConfigError, ContextSpec, load_settings, save_settings


@dataclass
class ImportOffer:
    """The profiles that could become contexts, and those that cannot (with why)."""

    offers: list[ContextSpec] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (profile, why)
    profiles: int = 0  # how many profiles the AWS config file has


def import_offers(wanted: Sequence[str] = ()) -> ImportOffer:
    """Each AWS profile (or only `wanted`) that is not yet a context, as a context of the same name.

    An unknown profile in `wanted` is a ConfigError naming the profiles there are."""
    settings = load_settings(env={})  # the file alone
    profiles = aws_config_profiles()
    unknown = [p for p in wanted if p not in profiles]
    if unknown:
        raise ConfigError(f"no AWS profile named {', '.join(map(repr, unknown))} in the AWS config file "
                          f"(profiles: {', '.join(sorted(profiles)) or 'none'})")
    taken_profiles = {c.profile for c in settings.contexts}
    taken_names = {c.name for c in settings.contexts}
    result = ImportOffer(profiles=len(profiles))
    for name in list(wanted) or sorted(profiles):
        if name in taken_profiles or name in taken_names:
            continue
        if not CONTEXT_NAME.match(name):
            result.skipped.append((name, "not usable as a context name (letters, digits, '.', '_', '-')"))
            continue
        values = profiles[name]
        result.offers.append(ContextSpec(name=name, profile=name, region=values.get("region"),
                                         endpoint_url=values.get("endpoint_url")))
    return result


def add_contexts(offers: Sequence[ContextSpec]) -> Path:
    """Append `offers` to the settings file's contexts (the file re-read now: nothing else changes)."""
    settings = load_settings(env={})
    taken = {c.name for c in settings.contexts}
    new = tuple(c for c in offers if c.name not in taken)
    return save_settings(replace(settings, contexts=settings.contexts + new))
