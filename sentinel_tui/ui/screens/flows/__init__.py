"""Guided flows: sign, verify, push, restore and bulk re-sign, each a sequence of steps on screen.

Each flow is a screen built on the operations (ops.sign, ops.verify, ops.push,
ops.restore, ops.bulk); AWS work runs in thread workers, `esc` cancels up to the
first write, and every write is audited by the operation itself.

`install_flows(app)` registers the `:` commands (and palette entries); the
browser binds the keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import FlowScreen
from .bulk import BulkResignFlow
from .push import PushFlow
from .restore import RestoreFlow
from .sign import SignFlow
from .steps import StepList
from .verify import VerifyFlow

__all__ = ["FlowScreen", "StepList", "SignFlow", "VerifyFlow", "PushFlow", "RestoreFlow", "BulkResignFlow",
           "install_flows", "open_flow", "FLOW_COMMANDS"]

FLOW_COMMANDS = ("sign", "verify", "push", "restore", "resign")


def _words(arg: str) -> list[str]:
    from ...commands import split_args

    return split_args(arg)


def install_flows(app: Any) -> None:
    """Register the flows' `:` commands on the app shell (`app.register_command`, `app.ops`)."""

    def selected_name() -> str | None:
        entry = getattr(app, "selected", None)
        return entry.name if entry is not None else None

    def sign(arg: str) -> None:
        words = _words(arg)
        app.push_screen(SignFlow(app.ops, words[0] if words else None))

    def verify(arg: str) -> None:
        words = _words(arg)
        if words and Path(words[0]).expanduser().is_file():
            app.push_screen(VerifyFlow(app.ops, file=words[0], signature=words[1] if len(words) > 1 else None))
        else:
            name = words[0] if words else selected_name()
            app.push_screen(VerifyFlow(app.ops, name))

    def push(arg: str) -> None:
        words = _words(arg)
        name = words[0] if words else selected_name()
        file = words[1] if len(words) > 1 else None
        if name and file is None:  # the policy's file in the local folder, when there is one
            entry = app.entry(name) if hasattr(app, "entry") else None
            local = getattr(entry, "local_path", None)
            file = str(local) if local else None
        app.push_screen(PushFlow(app.ops, name, file))

    def restore(arg: str) -> None:
        words = _words(arg)
        name = words[0] if words else selected_name()
        if not name:
            from ....errors import SentinelError

            raise SentinelError("Restore needs a policy: select its row, or type :restore NAME.", kind="usage")
        app.push_screen(RestoreFlow(app.ops, name))

    def resign(arg: str) -> None:
        names = _words(arg) or ([selected_name()] if selected_name() else [])
        if not names:
            from ....errors import SentinelError

            raise SentinelError("Re-sign needs policies: mark rows with space, or type :resign NAME...",
                                kind="usage")
        app.push_screen(BulkResignFlow(app.ops, names))

    add = app.register_command
    add("sign", "Sign a local policy file: validate, pick a key, sign, save FILE.sig (0600), verify", sign,
        arg="[FILE]", optional_arg=True)
    add("verify", "Verify a stored pair (NAME) or a local FILE and its .sig, through KMS or offline", verify,
        arg="[NAME|FILE]", optional_arg=True)
    add("push", "Push a local file safely: validate, diff, confirm, sign, write, verify", push,
        arg="[NAME FILE]", optional_arg=True)
    add("restore", "Make an earlier signed version of a policy current again", restore, arg="[NAME]",
        optional_arg=True, aliases=("rollback",))
    add("resign", "Re-sign the stored bytes of policies (after review)", resign, arg="[NAME...]",
        optional_arg=True, aliases=("bulk-resign",))


def open_flow(app: Any, which: str, entry: Any = None, marked: list[str] | tuple[str, ...] = ()) -> None:
    """Start a flow from the browser: on the row under the cursor (`entry`), or the marked rows."""
    from ....errors import SentinelError

    ops = app.ops
    local = str(entry.local_path) if entry is not None and getattr(entry, "local_path", None) else None
    name = entry.name if entry is not None else None
    if which == "sign":
        app.push_screen(SignFlow(ops, local))
    elif which == "verify":
        if entry is not None and entry.remote:
            app.push_screen(VerifyFlow(ops, name))
        else:
            app.push_screen(VerifyFlow(ops, name, file=local))
    elif which == "push":
        app.push_screen(PushFlow(ops, name, local) if local else PushFlow(ops, name))
    elif which == "restore":
        if entry is None or entry.policy is None:
            raise SentinelError("Restore needs a stored policy: select its row first.",
                                "Only a policy stored in SSM has earlier versions.", kind="usage")
        app.push_screen(RestoreFlow(ops, name))
    elif which == "resign":
        names = list(marked) or ([name] if name else [])
        if not names:
            raise SentinelError("Nothing to re-sign: mark rows with space (or select one).", kind="usage")
        app.push_screen(BulkResignFlow(ops, names))
    else:
        raise ValueError(f"no flow {which!r}")
