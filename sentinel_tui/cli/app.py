"""The app's launch: `sentinel-tui` with no command, and `sentinel-tui diff NAME FILE`.

The CLI's only import of the other front end is here (``ui.app.run_app``). The options
these commands take are built in cli/parser.py (its section "the app").
"""

from __future__ import annotations

from ..config import load_settings
from .base import EXIT_OK, make_ops, settings_from


def open_app(ops, *, initial_diff: tuple[str, str] | None = None, use_cache: bool = True,
             targets=(), make_targets=None) -> int:
    from ..ui.app import run_app

    return run_app(ops, initial_diff=initial_diff, use_cache=use_cache, targets=targets,
                   make_targets=make_targets) or EXIT_OK


def cmd_app(args) -> int:
    """The app: on the settings' target, or on the contexts named (--context NAME..., --all-contexts: one table)."""
    from ..ops.multi import build_targets, select_contexts

    use_cache = not getattr(args, "no_cache", False)
    base = load_settings()

    def make_targets(specs):  # also what the app's :context and :contexts open (flags over each context)
        return build_targets(base, specs, flags=lambda s: settings_from(args, s))

    specs = select_contexts(base, getattr(args, "contexts", None) or (), getattr(args, "all_contexts", False))
    targets = make_targets(specs) if specs else []
    ops = targets[0].ops if targets else make_ops(args, base)
    return open_app(ops, use_cache=use_cache, targets=targets, make_targets=make_targets)


def cmd_diff_app(args) -> int:
    return open_app(make_ops(args), initial_diff=(args.name, args.file), use_cache=not getattr(args, "no_cache", False))
