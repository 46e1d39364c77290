"""`sentinel-tui plan DIR` and `sentinel-tui apply PLAN.json`: a folder of policies, through ops/plan."""

from __future__ import annotations

from ..errors import SentinelError
from .base import EXIT_ERROR, EXIT_FAIL, EXIT_OK, confirm, err, make_ops, out


def _refusal(label: str, exc, *, fix: bool = True) -> None:
    """A PlanError/PlanRefused on stderr: `label: what`, its problems indented, then the fix."""
    err(f"{label}: {exc.what}")
    for problem in exc.problems:
        err(f"  {problem}")
    if fix and exc.fix:
        err(f"fix: {exc.fix}")


def cmd_plan(args) -> int:
    from ..fileio import write_private
    from ..ops.plan import PlanError, make_plan, plan_lines, plan_markdown

    ops = make_ops(args)
    try:
        plan = make_plan(ops, args.dir, prune=args.prune, resign_invalid=args.resign_invalid)
    except PlanError as exc:
        _refusal("error", exc)
        return EXIT_ERROR
    lines = plan_lines(plan, diffs=not args.quiet)
    for line in (lines[-2:] if args.quiet else lines):
        out(line)
    if args.output:
        write_private(args.output, plan.dumps().encode("utf-8"), overwrite=True)
        err(f"Plan written to {args.output} (mode 0600).")
    if args.markdown:
        write_private(args.markdown, plan_markdown(plan).encode("utf-8"), overwrite=True)
        err(f"Review comment written to {args.markdown}.")
    return EXIT_FAIL if plan.has_changes else EXIT_OK


def cmd_apply(args) -> int:
    from ..ops.plan import (APPLIED, NOT_ATTEMPTED, PlanRefused, apply_plan, check_plan, load_plan, plan_lines,
                           result_lines)

    try:
        plan = load_plan(args.plan_file)
        ops = make_ops(args)
        ops.guard_write("apply")
        folder = args.plan_dir or plan.folder or "."
        for line in plan_lines(plan, diffs=False):
            out(line)
        if not plan.has_changes:
            out("Nothing to apply.")
            return EXIT_OK
        check_plan(ops, plan, folder)
    except PlanRefused as exc:
        _refusal("refused", exc)
        return EXIT_FAIL
    except SentinelError as exc:
        if getattr(exc, "kind", "") != "read-only":
            raise
        err(f"refused: {exc.what}")
        return EXIT_FAIL
    if not confirm(args.force):
        out("Cancelled; nothing was written.")
        return EXIT_FAIL

    def progress(item, state, outcome) -> None:
        if state == "start":
            err(f"  ...  {item.action} {item.name}")
        elif outcome is not None and outcome.state != NOT_ATTEMPTED:
            err(f"  {'ok' if outcome.state == APPLIED else 'FAIL':4} {item.action} {item.name}")

    import signal
    import threading

    stop = threading.Event()

    def interrupted(signum, frame) -> None:  # the first Ctrl-C stops between two items; a second one now
        stop.set()
        err("Stopping after the item in progress (Ctrl-C again to interrupt it)…")
        signal.signal(signal.SIGINT, previous)

    previous = signal.getsignal(signal.SIGINT)
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        signal.signal(signal.SIGINT, interrupted)
    try:
        result = apply_plan(ops, plan, folder=folder, keep_going=args.keep_going, progress=progress,
                            cancelled=stop.is_set)
    except PlanRefused as exc:  # something moved between the check above and the apply's own check
        _refusal("refused", exc, fix=False)
        return EXIT_FAIL
    finally:
        if in_main:
            signal.signal(signal.SIGINT, previous)
    for line in result_lines(result):
        out(line)
    if result.failed:
        return EXIT_ERROR
    return EXIT_OK if result.ok else EXIT_FAIL
