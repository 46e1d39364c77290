"""`sentinel-tui contexts list` and `contexts import`: named AWS targets in the settings file."""

from __future__ import annotations

import json
import sys

from ..config import config_file, load_settings
from ..ops import remedies
from .base import EXIT_FAIL, EXIT_OK, err, out


def cmd_contexts_list(args) -> int:
    settings = load_settings()
    rows = [{"name": c.name, "profile": c.profile, "region": c.region, "policy_root": c.policy_root,
             "endpoint_url": c.endpoint_url} for c in settings.contexts]
    if args.json:
        print(json.dumps({"contexts": rows}, indent=2))
        return EXIT_OK
    if not rows:
        out(f"No contexts in {config_file()}. `{remedies.CONTEXTS_IMPORT_COMMAND}` offers your AWS profiles.")
        return EXIT_OK
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        out(f"{r['name']:{width}}  profile {r['profile'] or '(inherited)'}  region {r['region'] or '(inherited)'}"
            + (f"  root {r['policy_root']}" if r["policy_root"] else "")
            + (f"  endpoint {r['endpoint_url']}" if r["endpoint_url"] else ""))
    return EXIT_OK


def cmd_contexts_import(args) -> int:
    """Offer each AWS profile that is not yet a context; write only after a yes (or --yes)."""
    from ..ops.contexts import add_contexts, import_offers

    found = import_offers(args.profiles)
    for name, why in found.skipped:
        err(f"skipped profile {name!r}: {why}")
    offers = found.offers
    if not offers:
        out("Nothing to import: every AWS profile is already a context." if found.profiles
            else "No profiles in the AWS config file.")
        return EXIT_OK
    out(f"Contexts to add to {config_file()}:")
    for c in offers:
        out(f"  [contexts.{c.name}]  profile {c.profile}, region {c.region or '(the profile has none)'}"
            + (f", endpoint {c.endpoint_url}" if c.endpoint_url else ""))
    if args.dry_run:
        out("Dry run: nothing written.")
        return EXIT_OK
    if not args.yes:
        if not sys.stdin.isatty():
            err("Not a terminal: pass --yes to add them, or --dry-run to only look.")
            return EXIT_FAIL
        if input(f"Add {len(offers)} context{'s' if len(offers) != 1 else ''}? [y/N] ").strip().lower() not in ("y", "yes"):
            out("Nothing written.")
            return EXIT_FAIL
    path = add_contexts(offers)
    out(f"Added {len(offers)} context{'s' if len(offers) != 1 else ''} to {path}.")
    return EXIT_OK


CONTEXT_COMMANDS = {"list": cmd_contexts_list, "import": cmd_contexts_import}
