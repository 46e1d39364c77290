"""`sentinel-tui policy status`: every policy with its status, in one context or many; `--watch`.

The rows (:func:`status_rows`) are the JSON fields the README documents; the text table
keeps one line per policy whatever a TVM's verdict holds.
"""

from __future__ import annotations

import json
import shutil
import sys

from ..ops import remedies
from .base import EXIT_ERROR, EXIT_OK, err, make_targets, out


def status_rows(snapshot, *, context: str | None = None, account: str | None = None,
                region: str | None = None) -> list[dict]:
    rows = []
    for e in snapshot.sorted_entries():
        if not e.remote:
            continue
        a = e.assessment
        env = a.envelope if a else None
        rows.append({
            "context": context,
            "account": account,
            "region": region,
            "name": e.name,
            "path": e.path,
            "status": str(a.status) if a else None,
            "reason": a.reason if a else None,
            "tvm": a.tvm.text if a else None,
            "verdict": a.tvm.kind.value if a else None,
            "tvm_log": a.tvm.log if a else None,
            "tvm_log_note": a.tvm.log_note if a else None,
            "key": env.key_id if env else None,
            "signed_at": env.signed_at_text if env else None,
            "version": e.policy.version if e.policy else None,
            "signature_version": e.signature.version if e.signature else None,
            "size": a.size if a else None,
            "last_modified": e.policy.last_modified.isoformat() if e.policy and e.policy.last_modified else None,
            "policy_hash": a.policy_hash if a else None,
            "local": str(e.local) if e.local else None,
            "served_by": [t.source for t in e.tvms],
        })
    return rows


def _error_json(exc) -> dict:
    return {"kind": getattr(exc, "kind", "error"), "what": exc.what, "fix": exc.fix or None}


def _one_line(text: str, limit: int = 0) -> str:
    """A table row on one line: line breaks shown escaped, runs of spaces after them folded,
    cut with … at `limit` columns (0: never cut, for a pipe)."""
    import re

    text = re.sub(r"\r?\n[ \t]*", r"\\n ", text.rstrip("\n")).replace("\t", "\\t")
    if limit and len(text) > limit:
        text = text[: max(limit - 1, 1)].rstrip() + "…"
    return text


def cmd_status(args) -> int:
    from ..ops.multi import load_all

    targets = make_targets(args)
    if args.watch:
        return cmd_watch(args, targets)
    loads = load_all(targets)
    multi = len(targets) > 1 or targets[0].name is not None
    if not multi and not loads[0].usable:
        raise loads[0].error
    rows: list[dict] = []
    summaries = []
    for load in loads:
        t = load.target
        region = t.region
        if load.snapshot is not None:
            rows.extend(status_rows(load.snapshot, context=t.name, account=t.account, region=region))
        summaries.append({
            "context": t.name, "account": t.account, "region": region,
            "root": t.ops.settings.policy_root,
            "complete": bool(load.snapshot and load.snapshot.complete and load.error is None),
            "error": _error_json(load.error) if load.error is not None else None,
        })
    roots = {s["root"] for s in summaries}
    complete = all(s["complete"] for s in summaries)
    if args.json:
        print(json.dumps({"root": roots.pop() if len(roots) == 1 else None, "complete": complete,
                          "contexts": summaries, "policies": rows}, indent=2))
    else:
        width = max([len(r["name"]) for r in rows] + [4])
        if multi:
            cw = max([len(s["context"]) for s in summaries] + [7])
            out(f"{'CONTEXT':{cw}}  {'ACCOUNT':12}  {'NAME':{width}}  {'STATUS':11}  {'VER':>3}  {'SIZE':>5}  TVM")
        else:
            out(f"{'NAME':{width}}  {'STATUS':11}  {'VER':>3}  {'SIZE':>5}  TVM")
        # one line per row: a verdict may hold a newline (Go's "yaml: unmarshal errors:\n  line 3: ...")
        limit = shutil.get_terminal_size((0, 0)).columns if sys.stdout.isatty() else 0
        for r in rows:
            lead = f"{r['context']:{cw}}  {r['account'] or '?':12}  " if multi else ""
            out(_one_line(f"{lead}{r['name']:{width}}  {r['status'] or '?':11}  {r['version'] or '-':>3}  "
                           f"{r['size'] if r['size'] is not None else '-':>5}  {r['tvm'] or ''}", limit))
        if not rows and not multi:
            err(f"No policy under {summaries[0]['root']}. To start: `{remedies.KEYS_SETUP_COMMAND}`, then "
                f"`{remedies.push(sign=False)}` (it signs with the default key).")
    failed = 0
    for load in loads:
        if load.error is not None:
            failed += 1
            where = f"context {load.target.name}: " if multi else ""
            partial = "the listing is partial" if load.snapshot and load.snapshot.entries else "not loaded"
            err(f"warning: {where}{partial}: {load.error}")
            if load.error.fix:
                err(f"fix: {load.error.fix}")
    return EXIT_ERROR if failed else EXIT_OK


def cmd_watch(args, targets) -> int:
    from ..ops.watch import Watcher

    watcher = Watcher(targets, interval=args.interval)

    def on_change(change) -> None:
        if args.json:
            print(json.dumps(change.as_json()), flush=True)
        else:
            out(_one_line(change.as_text()))
            sys.stdout.flush()

    def on_error(target, exc) -> None:
        where = f"context {target.name}: " if target.name else ""
        err(f"warning: {where}{exc}")

    def on_start(watcher) -> None:
        err(f"Watching {watcher.policy_count():,} policies in {len(watcher.targets)} "
            f"context{'s' if len(watcher.targets) != 1 else ''}, every {watcher.describe_interval()} "
            f"(about {watcher.calls_per_minute():,.0f} calls/minute); Ctrl-C stops.")

    try:
        watcher.run(on_change=on_change, on_error=on_error, on_start=on_start, max_polls=args.polls)
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_OK
