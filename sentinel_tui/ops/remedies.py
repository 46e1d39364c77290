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
#: Offers the profiles of the AWS config file as contexts.
CONTEXTS_IMPORT_COMMAND = f"{PROG} contexts import"

__all__ = [
    "PROG", "POLICY", "STATUS_COMMAND", "KEYS_SETUP_COMMAND", "CONTEXTS_IMPORT_COMMAND", "resign", "restore",
    "push", "push_quoted", "pull", "validate", "doctor", "diff", "verify_remote", "verify_file", "sign", "status",
    "keys_setup", "evaluate", "test", "test_help", "plan",
]


def status(*, json: bool = False, all_contexts: bool = False) -> str:
    return STATUS_COMMAND + (" --json" if json else "") + (" --all-contexts" if all_contexts else "")


def keys_setup(*, yes: bool = False) -> str:
    return KEYS_SETUP_COMMAND + (" --yes" if yes else "")


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


def validate(file: str | None = "FILE") -> str:
    """`None`: the command alone, without a file."""
    return f"{POLICY} validate" + (f" {file}" if file else "")


def doctor(name: str = "NAME") -> str:
    return f"{POLICY} doctor {name}"


def diff(name: str = "NAME", file: str = "FILE") -> str:
    return f"{POLICY} diff {name} {file}"


def verify_remote(name: str = "NAME") -> str:
    return f"{POLICY} verify --remote {name}"


def sign(file: str = "FILE") -> str:
    return f"{POLICY} sign {file}"



def verify_file(file: str = "FILE", key: str = "K", signature: str = "SIG") -> str:
    return f"{POLICY} verify {file} --key-id {key} -s {signature}"


def evaluate(file: str | None = None, *, remote: str | None = None, user: str = "U", profile: str = "P",
             time: str | None = None) -> str:
    """`policy eval` of a file or a stored policy (`remote`); values shell-quoted where they need it."""
    q = shlex.quote
    words = ([q(file)] if file else []) + ([f"--remote {q(remote)}"] if remote else [])
    words += [f"--user {q(user)}", f"--profile {q(profile)}"] + ([f"--time {q(time)}"] if time else [])
    return f"{POLICY} eval " + " ".join(words)


def test(file: str = "FILE") -> str:
    return f"{POLICY} test {file}"


def test_help() -> str:
    """Where the tests file format is described."""
    return f"{POLICY} test --help"


def plan(folder: str = "DIR", output: str = "PLAN.json") -> str:
    return f"{PROG} plan {folder} -o {output}"
