"""The app's launch: `sentinel-tui` with no command, and `sentinel-tui diff NAME FILE`.

The CLI's only import of the other front end is here (``ui.app.run_app``). The options
these commands take are built in cli/parser.py (its section "the app").
"""

from __future__ import annotations

from ..config import ConfigError
from ..ops import remedies
from .base import EXIT_OK, make_ops, make_targets


def open_app(ops, *, initial_diff: tuple[str, str] | None = None, use_cache: bool = True) -> int:
    from ..ui.app import run_app

    return run_app(ops, initial_diff=initial_diff, use_cache=use_cache) or EXIT_OK


def cmd_app(args) -> int:
    use_cache = not getattr(args, "no_cache", False)
    if getattr(args, "contexts", None) or getattr(args, "all_contexts", False):
        targets = make_targets(args)
        if len(targets) > 1:
            raise ConfigError("the app opens on one context at a time for now (--context NAME); "
                              f"`{remedies.status(all_contexts=True)}` lists every context")
        return open_app(targets[0].ops, use_cache=use_cache)
    return open_app(make_ops(args), use_cache=use_cache)


def cmd_diff_app(args) -> int:
    return open_app(make_ops(args), initial_diff=(args.name, args.file), use_cache=not getattr(args, "no_cache", False))
