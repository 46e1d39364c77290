"""Local files: read a policy with clear errors, write private files atomically.

Every file sentinel_tui writes (signature envelopes, pulled policies, settings,
generated IAM documents) goes through `write_private`: a temporary file in the
same folder, mode 0600 from creation, fsync, then an atomic rename. A symlink
at the destination is never followed, and an existing file is kept unless the
caller says to overwrite it.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import SentinelError


class FileError(SentinelError):
    pass


def read_policy_file(path: str | os.PathLike) -> bytes:
    """The exact bytes of a local policy file, refusing what cannot be a policy."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise FileError(f"{p}: no such file.", "Check the path, or pick the file from the local policies folder.",
                        kind="not-found") from None
    except PermissionError:
        raise FileError(f"{p}: permission denied.", "Make the file readable by this user.", kind="access-denied") from None
    if stat.S_ISDIR(st.st_mode):
        raise FileError(f"{p} is a directory, not a policy file.", "Name a .yaml file inside it.", kind="validation")
    if not stat.S_ISREG(st.st_mode):
        raise FileError(f"{p} is not a regular file.", "Name a YAML policy file.", kind="validation")
    if st.st_size > 1024 * 1024:
        raise FileError(f"{p} is {st.st_size:,} bytes: far too large to be a policy (limit 4,096).",
                        "Check that this is the policy file you meant.", kind="too-large")
    try:
        data = p.read_bytes()
    except PermissionError:
        raise FileError(f"{p}: permission denied.", "Make the file readable by this user.", kind="access-denied") from None
    except OSError as exc:
        raise FileError(f"{p}: cannot be read ({exc.strerror}).", "Check the file and try again.", kind="error") from None
    check_text(data, str(p))
    return data


def check_text(data: bytes, label: str) -> None:
    """Refuse empty, binary and non-UTF-8 input with a message that says which."""
    if not data.strip():
        raise FileError(f"{label} is empty.", "A policy needs at least `version` and `rules`.", kind="validation")
    if b"\x00" in data:
        raise FileError(f"{label} contains NUL bytes: it is a binary file, not a YAML policy.",
                        "Name the YAML policy file.", kind="validation")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileError(
            f"{label} is not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset {exc.start}).",
            "Save the file as UTF-8; SSM stores policies as UTF-8 text.", kind="validation") from None


def write_private(path: str | os.PathLike, data: bytes, *, overwrite: bool = False,
                  make_dirs: bool = False) -> Path:
    """Write `data` to `path` atomically with mode 0600.

    Refuses when `path` is a symlink (never writes through one) or a directory,
    and when it exists and `overwrite` is false.
    """
    p = Path(path)
    if make_dirs:
        p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if p.is_symlink():
        raise FileError(f"{p} is a symbolic link; sentinel-tui does not write through links.",
                        "Write to the link's target path directly, or choose another output path.",
                        kind="validation")
    if p.exists():
        if p.is_dir():
            raise FileError(f"{p} is a directory.", "Name a file to write.", kind="validation")
        if not overwrite:
            raise FileError(f"{p} already exists.", "Pass --force to replace it, or choose another path.",
                            kind="exists")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise FileError(f"{parent} does not exist.", "Create the folder first, or choose another path.",
                        kind="not-found")
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return p
