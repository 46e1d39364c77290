"""The fix commands every message names, in one place.

Errors, the doctor, the explainer and the screens tell the operator what to run next
(``sentinel-tui policy resign NAME --key-id K``). Those texts are built here so a renamed
command or flag changes in one module, and what the app suggests is what the CLI accepts.
Each function returns the command line as shown (placeholders such as ``FILE`` in capitals).
"""

from __future__ import annotations

import shlex
from pathlib import Path

PROG = "sentinel-tui"
POLICY = f"{PROG} policy"

#: Lists the policies of the current target.
STATUS_COMMAND = f"{POLICY} status"
#: Creates the signing key and shows the IAM and TVM settings.
KEYS_SETUP_COMMAND = f"{PROG} keys setup"

__all__ = [
    "PROG", "POLICY", "STATUS_COMMAND", "KEYS_SETUP_COMMAND", "resign", "restore", "push", "push_quoted",
    "pull", "validate", "doctor", "diff", "verify_remote", "sign",
]


def resign(name: str = "NAME", key: str | None = None) -> str:
    return f"{POLICY} resign {name}" + (f" --key-id {key}" if key else "")


def restore(name: str = "NAME", version: int | str | None = None) -> str:
    return f"{POLICY} restore {name}" + (f" --version {version}" if version is not None else "")


def push(name: str = "NAME", file: str = "FILE", *, sign: bool = True, key: str | None = None) -> str:
    return f"{POLICY} push {name} {file}" + (" --sign" if sign else "") + (f" --key-id {key}" if key else "")


def push_quoted(name: str, file: str | Path, key_id: str | None) -> str:
    """:func:`push`, signed, every word shell-quoted (for copying into a shell)."""
    parts = [PROG, "policy", "push", name, str(file), "--sign", "--key-id", key_id or "K"]
    return " ".join(shlex.quote(p) for p in parts)


def pull(name: str = "NAME", out: str = "FILE") -> str:
    return f"{POLICY} pull {name} -o {out}"


def validate(file: str = "FILE") -> str:
    return f"{POLICY} validate {file}"


def doctor(name: str = "NAME") -> str:
    return f"{POLICY} doctor {name}"


def diff(name: str = "NAME", file: str = "FILE") -> str:
    return f"{POLICY} diff {name} {file}"


def verify_remote(name: str = "NAME") -> str:
    return f"{POLICY} verify --remote {name}"


def sign(file: str = "FILE") -> str:
    return f"{POLICY} sign {file}"
