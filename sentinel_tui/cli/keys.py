"""`sentinel-tui keys setup` and `keys rotation`: the signing key, through ops/keysetup.py and
ops/rotation.py."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ..errors import SentinelError
from .base import EXIT_ERROR, EXIT_FAIL, EXIT_OK, err, make_ops, out


def _ask_yes(question: str, assume_yes: bool) -> bool:
    if assume_yes:
        return True
    if not sys.stdin.isatty() and not os.environ.get("SENTINEL_TUI_ASSUME_TTY"):
        raise SentinelError(f"{question} needs confirmation, and there is no terminal to ask on.",
                            "Run it in a terminal, or pass --yes.", kind="usage")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def cmd_keys_setup(args) -> int:
    from ..ops import keysetup

    ops = make_ops(args)
    state = keysetup.inspect_alias(ops, args.alias)
    for line in state.lines():
        out(line)
    if state.error is not None:
        return EXIT_ERROR
    key = state.key
    if state.needs_key:
        account, region = keysetup.key_home(ops)
        if ops.settings.read_only:
            err("Read-only mode: no key is created. The documents below carry a placeholder for the key ARN.")
        elif _ask_yes(f"Create an RSA_4096 SIGN_VERIFY key with alias {state.alias} in account {account}, "
                      f"region {region}?", args.yes):
            key = keysetup.create_key(ops, state.alias)
            out(f"Created {state.alias} → {key.arn} (RSA_4096, SIGN_VERIFY).")
        else:
            out("Cancelled; nothing was created.")
            return EXIT_FAIL
    docs = keysetup.documents_for(ops, state.alias, key)
    for name, text in docs.items():
        if args.save_dir:
            target = Path(args.save_dir)
            target.mkdir(parents=True, exist_ok=True, mode=0o700)
            err(f"Wrote {keysetup.save_document(target / name, text, force=args.force)} (mode 0600).")
        else:
            out("")
            out(f"# ---- {name}: {keysetup.DOCUMENT_TITLES[name]}")
            out(text.rstrip("\n"))
    if key is None:
        return EXIT_FAIL
    if args.make_default:
        path = keysetup.make_default(ops, state.alias)
        err(f"{state.alias} is now default_key in {path}.")
        override = keysetup.default_key_overridden()
        if override:
            err(f"note: {override} is set and overrides the settings file.")
    if args.sign_unsigned and not state.problems:
        names = keysetup.unsigned_policies(ops.fleet.load())
        if not names:
            out("No unsigned policy to sign.")
        elif _ask_yes(f"Sign {len(names)} unsigned polic{'y' if len(names) == 1 else 'ies'} "
                      f"({', '.join(names)}) with {state.alias}?", args.yes):
            from ..ops.bulk import resign_many

            result = resign_many(ops, names, key_id=state.alias)
            for item in result.outcomes:
                out(f"  {item.state:7} {item.name}" + (f": {item.detail}" if item.detail else ""))
            out(result.summary() + ".")
            if not result.ok:
                return EXIT_FAIL
    return EXIT_OK if not state.problems else EXIT_FAIL


def cmd_keys_rotation(args) -> int:
    from ..ops.rotation import rotation_lines, rotation_report

    ops = make_ops(args)
    snap = ops.fleet.load()
    if snap.error is not None and not snap.entries:
        raise snap.error
    rows = rotation_report(ops, snap, args.key)
    if args.json:
        print(json.dumps({"key": args.key, "policies": [
            {"name": r.entry.name, "ok": r.ok, "reason": r.reason,
             "status_now": str(r.entry.status) if r.entry.status else None,
             "served_by": [t.source for t in r.entry.tvms]} for r in rows]}, indent=2))
    else:
        for line in rotation_lines(rows, args.key):
            out(line)
    return EXIT_OK if all(r.ok for r in rows) else EXIT_FAIL


KEY_COMMANDS = {"setup": cmd_keys_setup, "rotation": cmd_keys_rotation}
