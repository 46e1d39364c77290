"""What every headless command shares: exit codes, output, settings from flags, the Ops.

Output goes through :func:`out` (stdout) and :func:`err` (stderr), which make stored text
inert (no terminal control sequence from a policy reaches the terminal). Every command
builds its :class:`~sentinel_tui.ops.context.Ops` with :func:`make_ops` (or the Ops of each
context with :func:`make_targets`) and reaches AWS only through the operations in ``ops/``.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..config import Settings, load_settings
from ..core.text import inert
from ..errors import SentinelError

EXIT_OK, EXIT_FAIL, EXIT_ERROR = 0, 1, 2


def out(text: str = "") -> None:
    print(inert(text))


def err(text: str) -> None:
    print(inert(text), file=sys.stderr)


def settings_from(args: argparse.Namespace, base: Settings | None = None) -> Settings:
    base = base or load_settings()
    return base.with_(
        aws_profile=getattr(args, "aws_profile", None),
        region=getattr(args, "region", None),
        endpoint_url=getattr(args, "endpoint_url", None),
        policy_root=getattr(args, "policy_root", None),
        local_dir=getattr(args, "local_dir", None),
        read_only=True if getattr(args, "read_only", False) else None,
    )


def make_ops(args: argparse.Namespace, base: Settings | None = None):
    from ..ops.context import Ops

    return Ops.from_settings(settings_from(args, base))


def confirm(force: bool) -> bool:
    if force:
        return True
    if not sys.stdin.isatty() and not os.environ.get("SENTINEL_TUI_ASSUME_TTY"):
        raise SentinelError("This write needs confirmation, and there is no terminal to ask on.",
                            "Run it in a terminal, or pass -f once you have checked what it will do.",
                            kind="usage")
    return input("Proceed? [y/N] ").strip().lower() in ("y", "yes")


def make_targets(args, base: Settings | None = None):
    """The Ops of each context asked for (--context, --all-contexts), or of the settings alone."""
    from ..ops.multi import build_targets, select_contexts

    base = base or load_settings()
    contexts = select_contexts(base, getattr(args, "contexts", None) or (), getattr(args, "all_contexts", False))
    return build_targets(base, contexts, flags=lambda s: settings_from(args, s))
