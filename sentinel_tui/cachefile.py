"""The fleet cache's file: one JSON document per (account, region, endpoint, root, key), mode 0600.

Beside them, per (profile, region, endpoint), a small file naming the account last seen
there: the cache is found at launch without waiting for STS (ops/cache.py checks the
account once STS answers).

What goes into it is `ops/cache.py`'s business (statuses, versions, hashes, public
keys; never a policy body or a signature envelope); this module only finds the file,
writes it atomically with mode 0600 through `fileio.write_private`, and reads it
back. A file that cannot be read, is not JSON, was written by another format version
or is readable by other users is treated as no cache (and a bad one is removed): the
cache only ever saves calls, it never decides anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

from .config import cache_dir
from .fileio import write_private

FORMAT = 1


def _hashed(fields: dict[str, str], prefix: str, directory: Path | None) -> Path:
    """A file named by a hash of `fields`: the name says nothing about the account or profile."""
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode("utf-8")).hexdigest()[:32]
    return (directory or cache_dir()) / "fleet" / f"{prefix}{digest}.json"


def _read_private(path: Path) -> object | None:
    """The JSON in `path` when it is a regular file only its owner can read; None otherwise."""
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o077:
            return None
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


def cache_path(key: dict[str, str], directory: Path | None = None) -> Path:
    """The file for `key` (its fields hashed: the file name says nothing about the account)."""
    return _hashed(key, "", directory)


def read_cache(key: dict[str, str], directory: Path | None = None) -> dict | None:
    """The cached document for `key`, or None (absent, unreadable, another format, not private)."""
    document = _read_private(cache_path(key, directory))
    if document is None:
        return None
    if not isinstance(document, dict) or document.get("format") != FORMAT or document.get("key") != key:
        remove_cache(key, directory)
        return None
    return document


def write_cache(key: dict[str, str], document: dict, directory: Path | None = None) -> Path:
    document = {**document, "format": FORMAT, "key": key}
    data = json.dumps(document, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return write_private(cache_path(key, directory), data, overwrite=True, make_dirs=True)


def account_path(where: dict[str, str], directory: Path | None = None) -> Path:
    """The file that names the account last seen for `where` (a profile, region and endpoint)."""
    return _hashed(where, "account-", directory)


def read_account(where: dict[str, str], directory: Path | None = None) -> str | None:
    """The account last seen for `where` (None: never, or the file is unusable)."""
    document = _read_private(account_path(where, directory))
    if (not isinstance(document, dict) or document.get("format") != FORMAT or document.get("where") != where
            or not isinstance(document.get("account"), str)):
        return None
    return document["account"]


def write_account(where: dict[str, str], account: str, directory: Path | None = None) -> Path:
    data = json.dumps({"format": FORMAT, "where": where, "account": account}, sort_keys=True).encode("utf-8")
    return write_private(account_path(where, directory), data, overwrite=True, make_dirs=True)


def remove_cache(key: dict[str, str], directory: Path | None = None) -> None:
    try:
        os.unlink(cache_path(key, directory))
    except OSError:
        pass
