"""The headless front end: `sentinel-tui policy ...`, `keys`, `contexts`, `plan`/`apply`,
`demo`; with no command, the app.

Names, flags and exit codes follow the Go CLI where they overlap. Errors are one
clear message on stderr and a non-zero exit, never a traceback (set
SENTINEL_TUI_DEBUG=1 to see one).

The package: ``parser.py`` builds the whole command line; each command group has its
module (``policy.py``, ``status.py``, ``whatif.py``, ``keys.py``, ``contexts.py``,
``plan.py``, ``demo.py``, ``app.py``), each command a thin layer over one operation of
``ops/`` (this package imports no ``aws/`` module and no boto3); ``base.py`` holds what
they share. :func:`main` dispatches and turns every error into its message and exit code.
"""

from __future__ import annotations

import os
import sys
from typing import Sequence

from ..config import ConfigError
from ..errors import SentinelError
from . import contexts, keys, plan, policy, status, whatif
from .app import cmd_app, cmd_diff_app
from .base import EXIT_ERROR, EXIT_FAIL, EXIT_OK, err, make_ops, make_targets, settings_from
from .demo import cmd_demo, start_demo, start_demo_accounts
from .parser import build_parser
from .policy import validate_report
from .status import status_rows

__all__ = [
    "main", "entry", "build_parser", "settings_from", "make_ops", "make_targets", "validate_report",
    "status_rows", "start_demo", "start_demo_accounts", "EXIT_OK", "EXIT_FAIL", "EXIT_ERROR",
]

#: `sentinel-tui policy SUBCOMMAND`
COMMANDS = {
    "validate": policy.cmd_validate, "sign": policy.cmd_sign, "verify": policy.cmd_verify,
    "pull": policy.cmd_pull, "diff": policy.cmd_diff, "push": policy.cmd_push, "status": status.cmd_status,
    "doctor": policy.cmd_doctor, "restore": policy.cmd_restore, "resign": policy.cmd_resign,
    "explain": policy.cmd_explain, "access-diff": policy.cmd_access_diff,
    "eval": whatif.cmd_eval, "test": whatif.cmd_test,
}
#: `sentinel-tui keys SUBCOMMAND`
KEY_COMMANDS = keys.KEY_COMMANDS
#: `sentinel-tui contexts SUBCOMMAND`
CONTEXT_COMMANDS = contexts.CONTEXT_COMMANDS


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "policy":
            return COMMANDS[args.policy_command](args)
        if args.command == "keys":
            return KEY_COMMANDS[args.keys_command](args)
        if args.command == "contexts":
            return CONTEXT_COMMANDS[args.contexts_command](args)
        if args.command == "demo":
            return cmd_demo(args)
        if args.command == "plan":
            return plan.cmd_plan(args)
        if args.command == "apply":
            return plan.cmd_apply(args)
        if args.command == "diff":
            return cmd_diff_app(args)
        return cmd_app(args)
    except SentinelError as exc:
        err(f"error: {exc.what}")
        if exc.fix:
            err(f"fix: {exc.fix}")
        if getattr(exc, "ssm_state", ""):
            err(f"SSM now holds: {exc.ssm_state}")
        return EXIT_ERROR
    except ConfigError as exc:
        err(f"error: settings: {exc}")
        err("fix: correct the settings file or the environment variable named above.")
        return EXIT_ERROR
    except ValueError as exc:  # e.g. a malformed --policy-root
        err(f"error: {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        err("interrupted")
        return 130
    except Exception as exc:  # the last line of defence: never a traceback
        if os.environ.get("SENTINEL_TUI_DEBUG"):
            raise
        err(f"error: unexpected {type(exc).__name__}: {exc}")
        err("fix: this is a bug in sentinel-tui; run again with SENTINEL_TUI_DEBUG=1 and report the traceback.")
        return EXIT_ERROR


def entry() -> None:
    sys.exit(main())
