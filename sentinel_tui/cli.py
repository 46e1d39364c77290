"""The headless front end: `sentinel-tui policy ...`, `sentinel-tui demo`; otherwise the app.

Names, flags and exit codes follow the Go CLI where they overlap. Errors are one
clear message on stderr and a non-zero exit, never a traceback (set
SENTINEL_TUI_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from .core.text import inert
from .errors import SentinelError
from .config import ConfigError, Settings, config_file, load_settings

EXIT_OK, EXIT_FAIL, EXIT_ERROR = 0, 1, 2


def _out(text: str = "") -> None:
    print(inert(text))


def _err(text: str) -> None:
    print(inert(text), file=sys.stderr)


# -- argument parsing --------------------------------------------------------------

def _global_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("AWS and settings")
    s = argparse.SUPPRESS
    g.add_argument("--aws-profile", metavar="P", default=s, help="AWS profile (default: AWS_PROFILE)")
    g.add_argument("--region", metavar="R", default=s, help="AWS region")
    g.add_argument("--endpoint-url", metavar="URL", default=s,
                   help="AWS endpoint (an emulator; AWS_ENDPOINT_URL works too)")
    g.add_argument("--policy-root", metavar="R", default=s, help="SSM path of the policies (default /sentinel/policies)")
    g.add_argument("--local-dir", metavar="DIR", default=s, help="folder of local policy files")
    g.add_argument("--read-only", action="store_true", default=s, help="refuse every write")
    g.add_argument("--no-cache", action="store_true", default=s,
                   help="the app: neither show nor keep the fleet cache (statuses and versions, never policies)")


def _context_options(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: given before the command (sentinel-tui --context x policy status), it is not reset by the command's parser
    parser.add_argument("--context", action="append", default=argparse.SUPPRESS, metavar="NAME", dest="contexts",
                        help="a context from the settings' [contexts.NAME] tables (repeatable)")
    parser.add_argument("--all-contexts", action="store_true", default=argparse.SUPPRESS,
                        help="every configured context, loaded concurrently")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common)
    parser = argparse.ArgumentParser(
        prog="sentinel-tui", parents=[common],
        description="Browse, diff, sign, verify and push Sentinel's signed policies in SSM.",
        epilog="With no command, the terminal app opens.",
    )
    _context_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", parents=[common], help="open the app on an embedded demo store (no AWS account needed)")
    demo.add_argument("--serve", action="store_true", help="only serve the demo store and print how to reach it")
    demo.add_argument("--accounts", type=int, metavar="N",
                      help="N emulated AWS accounts (1-20), one profile and context each, a different mix of statuses")
    demo.add_argument("--empty", action="store_true",
                      help="start from an empty store (no policy, no key, no TVM), as a new account is; "
                           "the local folder holds a first policy to push")

    diff_app = sub.add_parser("diff", parents=[common], help="open the app on the diff of a stored policy and a file")
    diff_app.add_argument("name", metavar="NAME", help="the stored policy's name under the policy root")
    diff_app.add_argument("file", metavar="FILE", help="the local policy file to compare it with")

    p = sub.add_parser("plan", parents=[common],
                       help="what applying a folder of policy files would change (exit 0 nothing, 1 changes, 2 error)")
    p.add_argument("dir", metavar="DIR", help="the folder of policy files (name = path without .yaml/.yml)")
    p.add_argument("-o", "--output", metavar="PLAN.json", help="write the plan here (for apply)")
    p.add_argument("--markdown", metavar="FILE", help="write a review comment (table and collapsed diffs)")
    p.add_argument("--prune", action="store_true", help="delete stored policies that have no file")
    p.add_argument("--resign-invalid", action="store_true",
                   help="re-sign unchanged policies whose stored pair is not valid today")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary and the hash")
    p = sub.add_parser("apply", parents=[common],
                       help="apply exactly a plan, or nothing (exit 0 applied, 1 refused/cancelled, 2 failed)")
    p.add_argument("plan_file", metavar="PLAN.json", help="the plan file `plan -o` wrote (its hash is checked)")
    p.add_argument("-f", "--force", action="store_true", help="do not ask Proceed? [y/N]")
    p.add_argument("--keep-going", action="store_true", help="after a failed item, go on with the others")
    p.add_argument("--dir", metavar="DIR", dest="plan_dir", help="the folder the plan was made from "
                   "(default: as recorded in the plan, relative to here)")

    policy = sub.add_parser("policy", help="headless policy commands")
    psub = policy.add_subparsers(dest="policy_command", metavar="SUBCOMMAND", required=True)

    p = psub.add_parser("validate", parents=[common], help="parse and validate a policy file (exit 0 valid, 1 invalid)")
    p.add_argument("file", metavar="FILE", help="the policy YAML file")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="only errors: hide lint warnings and 'Policy is valid' (as the Go CLI)")

    p = psub.add_parser("sign", parents=[common], help="sign a policy file with KMS")
    p.add_argument("file", metavar="FILE", help="the policy YAML file to sign (validated first)")
    p.add_argument("--key-id", metavar="K", help="the KMS key to sign with: alias, id or ARN (default: the "
                   "default_key setting, alias/sentinel-policy-signing)")
    p.add_argument("-o", "--output", metavar="OUT", help="write the envelope here (mode 0600) instead of printing it")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")

    p = psub.add_parser("verify", parents=[common], help="verify a policy and its signature (exit 0 valid, 1 invalid)")
    p.add_argument("file", nargs="?", metavar="FILE", help="the local policy file (with -s SIG); omit with --remote")
    p.add_argument("--key-id", metavar="K", help="the key the TVM verifies with: alias, id or ARN (with --remote: "
                   "default the serving TVM's key, else default_key)")
    p.add_argument("-s", "--signature", metavar="SIG", help="the envelope file")
    p.add_argument("--remote", metavar="NAME", help="check the stored pair as the TVM would")
    p.add_argument("--offline", action="store_true", help="verify with the cached public key instead of KMS Verify")

    p = psub.add_parser("pull", parents=[common], help="write the stored policy bytes exactly")
    p.add_argument("name", metavar="NAME", help="the policy name under the policy root")
    p.add_argument("-o", "--output", metavar="OUT", help="write to OUT (mode 0600) instead of stdout")
    p.add_argument("--with-signature", action="store_true", help="also write OUT.sig with the stored envelope")
    p.add_argument("--force", action="store_true", help="replace existing files")

    p = psub.add_parser("diff", parents=[common], help="diff a stored policy and a file (exit 0 same, 1 changes, 2 error)")
    p.add_argument("name", metavar="NAME", help="the stored policy's name under the policy root")
    p.add_argument("file", metavar="FILE", help="the local policy file")
    p.add_argument("--normalized", action="store_true", help="compare meaning, not bytes")
    p.add_argument("-U", "--context", type=int, default=3, metavar="N", help="lines of context around a change "
                   "(default 3)")

    p = psub.add_parser("access-diff", parents=[common],
                        help="which requests change decision between two policies (exit 0 identical, 1 changes, "
                             "2 error)")
    p.add_argument("old", metavar="OLD", help="a policy file, a stored NAME, or NAME@VERSION")
    p.add_argument("new", metavar="NEW", help="a policy file, a stored NAME, or NAME@VERSION")
    p.add_argument("--json", action="store_true", help="print identical, changes (from, to, summary, witness) and "
                   "rule_changes as JSON")

    p = psub.add_parser("push", parents=[common], help="validate, sign, write and verify a policy, safely")
    p.add_argument("name", metavar="NAME", help="the policy name under the policy root (created if absent)")
    p.add_argument("file", metavar="FILE", help="the local policy file to push")
    p.add_argument("--sign", action="store_true",
                   help="sign with KMS before writing (the default; accepted as the Go CLI spells it)")
    p.add_argument("--key-id", metavar="K", help="sign with this key (default: the key of the TVM serving the "
                   "policy, else default_key)")
    p.add_argument("-f", "--force", action="store_true", help="do not ask Proceed? [y/N]")
    p.add_argument("--dry-run", action="store_true", help="show what would happen, write nothing")
    p.add_argument("--allow-unsigned", action="store_true",
                   help="push without a signature (an enforcing TVM denies it); only for TVMs that do not enforce")

    p = psub.add_parser("restore", parents=[common],
                        help="make an earlier version current again, with a signature that verifies")
    p.add_argument("name", metavar="NAME", help="the policy name under the policy root")
    p.add_argument("--version", type=int, metavar="N", help="the policy version to restore (default: the newest "
                   "earlier version whose signature still verifies)")
    p.add_argument("-f", "--force", action="store_true", help="do not ask Proceed? [y/N]")

    p = psub.add_parser("resign", parents=[common],
                        help="re-sign the stored bytes of policies (after review; no policy is written)")
    p.add_argument("names", nargs="+", metavar="NAME", help="the policies to re-sign (names under the policy root)")
    p.add_argument("--key-id", metavar="K", help="sign with this key (default: each policy's TVM key, "
                   "else default_key)")
    p.add_argument("-f", "--force", action="store_true", help="do not ask Proceed? [y/N]")

    p = psub.add_parser("status", parents=[common], help="every policy under the root with its status")
    p.add_argument("--json", action="store_true", help="print JSON (the fields are in the README)")
    _context_options(p)
    p.add_argument("--watch", action="store_true",
                   help="keep polling (metadata only) and print one line per status change; Ctrl-C stops")
    p.add_argument("--interval", type=float, metavar="S",
                   help="seconds between polls (default: sized to the fleet, see the README's call budget)")
    p.add_argument("--polls", type=int, metavar="N", help="with --watch: stop after N polls (default: until Ctrl-C)")

    p = psub.add_parser("doctor", parents=[common], help="run every check on one policy (exit 0 pass, 1 fail, 2 error)")
    p.add_argument("name", metavar="NAME", help="the policy name under the policy root")
    p.add_argument("--key-id", metavar="K", help="the TVM's key, when no TVM is found")
    p.add_argument("--json", action="store_true", help="print the report as JSON")

    p = psub.add_parser("explain", parents=[common],
                        help="explain a TVM log line or error text, ranking its causes for this fleet")
    p.add_argument("text", nargs="+", help="the text (quote it), or - to read it from stdin")
    p.add_argument("--offline", action="store_true", help="do not load the fleet: rank causes without it")
    p.add_argument("--json", action="store_true", help="print the explanation as JSON")

    contexts = sub.add_parser("contexts", help="named AWS targets ([contexts.NAME] in the settings)")
    csub = contexts.add_subparsers(dest="contexts_command", metavar="COMMAND", required=True)
    p = csub.add_parser("list", parents=[common], help="the configured contexts")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = csub.add_parser("import", parents=[common],
                        help="offer the profiles of the AWS config file as contexts (asks before writing)")
    p.add_argument("profiles", nargs="*", metavar="PROFILE", help="only these profiles (default: every one not yet a context)")
    p.add_argument("--yes", action="store_true", help="add them without asking")
    p.add_argument("--dry-run", action="store_true", help="show what would be added, write nothing")

    from .cli_whatif import add_parsers as _whatif_parsers  # policy eval / policy test (issue 14)

    _whatif_parsers(psub, common)

    keys = sub.add_parser("keys", help="the signing key: first-time setup, rotation check")
    ksub = keys.add_subparsers(dest="keys_command", metavar="SUBCOMMAND", required=True)
    p = ksub.add_parser("setup", parents=[common],
                        help="find or create the signing key and print the IAM, Terraform and Lambda settings")
    p.add_argument("--alias", metavar="A", help="the key's alias (default alias/sentinel-policy-signing)")
    p.add_argument("--yes", action="store_true", help="create the key without asking when it does not exist")
    p.add_argument("--save-dir", metavar="DIR", help="write the documents into DIR (mode 0600) instead of printing them")
    p.add_argument("--force", action="store_true", help="replace existing files in DIR")
    p.add_argument("--make-default", action="store_true", help="make the alias the default key in the settings")
    p.add_argument("--sign-unsigned", action="store_true",
                   help="then re-sign every unsigned policy with it (the bulk flow; asks unless --yes)")
    p = ksub.add_parser("rotation", parents=[common],
                        help="which policies would fail if the TVMs verified with KEY now (exit 0 none, 1 some)")
    p.add_argument("key", metavar="KEY", help="the key the TVMs would verify with: alias, id or ARN")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    _describe_subcommands(parser)
    return parser


def _describe_subcommands(parser: argparse.ArgumentParser) -> None:
    """`sentinel-tui policy push --help` opens with what the command does: the one-line help its
    parent lists, unless the subcommand has its own description."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                if not sub.description and helps.get(name):
                    sub.description = helps[name][0].upper() + helps[name][1:] + "."
                _describe_subcommands(sub)


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
    from .ops.context import Ops

    return Ops.from_settings(settings_from(args, base))


# -- commands ------------------------------------------------------------------------

def _go_read_error(path: str, exc: OSError) -> str:
    """os.ReadFile's error text (a *PathError) for what Python raised."""
    if isinstance(exc, IsADirectoryError):
        return f"read {path}: is a directory"
    reason = (exc.strerror or type(exc).__name__).lower()
    return f"open {path}: {reason}"


def validate_report(path: str, data: bytes | None = None, *, quiet: bool = False) -> tuple[int, list[str]]:
    """``sentinel policy validate FILE [-q]``: its exit code and its stderr lines, Go's text first.

    Go's lines come exactly as the Go CLI prints them (``Error: ...``, the blank
    line and ``Suggestion: ...``; ``lint: <type>: <message>``; ``Policy is valid``).
    This tool's own findings follow, each starting ``sentinel-tui:`` so no
    script reading Go's output can mistake them. ``-q`` hides the lint lines,
    ``Policy is valid`` and our own warnings, never an error.
    """
    from .core.policy import LINT_ALLOW_BEFORE_DENY, LINT_OVERLAPPING_TIME_WINDOWS, LINT_UNREACHABLE_RULE, check_policy

    lines: list[str] = []
    if data is None:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            return EXIT_FAIL, [f"Error: file not found: {path}", "", "Suggestion: verify the file path is correct"]
        except OSError as exc:
            return EXIT_FAIL, [f"Error: failed to read file: {_go_read_error(path, exc)}", "",
                               "Suggestion: check file permissions"]
    check = check_policy(data)
    upstream = (LINT_ALLOW_BEFORE_DENY, LINT_UNREACHABLE_RULE, LINT_OVERLAPPING_TIME_WINDOWS)
    ours = [w for w in check.warnings if w.code not in upstream]
    if check.error is not None:
        lines += [f"Error: {check.error}", "", "Suggestion: fix the policy YAML and try again"]
        if check.error.stage == "parse":
            lines.append("sentinel-tui: the TVM fails to parse this policy too: it denies every request it serves.")
        else:
            lines.append("sentinel-tui: only validate/sign/push refuse this; a TVM that is handed it still loads it.")
    elif not quiet:
        lints = [w for w in check.warnings if w.code in upstream]
        lines += [f"lint: {w.code}: {w.message}" for w in lints]
        if not lints:
            lines.append("Policy is valid")
    if not quiet:
        lines += [f"sentinel-tui: warning: {path}:{w.line or '-'}: {w.message} [{w.code}]" for w in ours]
        if check.policy is not None:  # issue 14: what the policy does, in a form not Go's
            from .cli_whatif import semantic_lines

            lines += semantic_lines(path, data, check.policy)
    return (EXIT_OK if check.error is None else EXIT_FAIL), lines


def cmd_validate(args) -> int:
    code, lines = validate_report(args.file, quiet=args.quiet)
    for line in lines:
        _err(line)
    return code


def cmd_sign(args) -> int:
    from .ops.sign import InvalidPolicy, sign_file

    ops = make_ops(args)
    key_id = args.key_id
    try:
        if not key_id:  # as push does for a policy no TVM serves: the settings' default key
            from .fileio import read_policy_file
            from .ops.push import check_signing_key, default_signing_key
            from .ops.sign import validated

            validated(read_policy_file(args.file))  # an invalid file is reported before any key question
            key_id = default_signing_key(ops)
            check_signing_key(ops, str(args.file), key_id, defaulted=True, for_push=False)
        result = sign_file(ops, args.file, key_id, output=args.output, force=args.force)
    except InvalidPolicy as exc:
        _err(str(exc.check.error))
        return EXIT_FAIL
    if result.output:
        _err(f"Signature written to {result.output} (mode 0600); "
             f"{'verified' if result.verified else 'NOT verified'} with {key_id}.")
    else:
        _out(result.text)
    return EXIT_OK if result.verified else EXIT_FAIL


def _print_report(report) -> None:
    for check in report.checks:
        mark = {True: "pass", False: "FAIL", None: "skip"}[check.ok]
        _out(f"  {mark:4}  {check.name:15} {check.detail}")
        if check.ok is False and check.fix:
            _out(f"        fix: {check.fix}")


def cmd_verify(args) -> int:
    from .ops.verify import verify_file, verify_remote

    ops = make_ops(args)
    via = "local" if args.offline else "kms"
    if args.remote:
        report = verify_remote(ops, args.remote, args.key_id, via=via)
    else:
        if not args.file or not args.signature:
            raise SentinelError("verify needs FILE and -s SIG, or --remote NAME.",
                                "Example: sentinel-tui policy verify policy.yaml --key-id alias/x -s policy.sig",
                                kind="usage")
        if not args.key_id:
            raise SentinelError("verify FILE needs --key-id: the key the TVM verifies with.",
                                "Pass --key-id alias/sentinel-policy-signing (or the TVM's key).", kind="usage")
        report = verify_file(ops, args.file, args.signature, args.key_id, via=via)
    failed = report.failed
    if report.ok:
        _out("Signature missing: the TVM loads the policy unverified (it does not enforce signing)"
             if report.loads_unverified else "Signature valid")
    elif failed is not None and failed.name == "hash":
        _out("Signature invalid: policy content does not match signature")
    elif failed is not None and failed.name == "policy parse":
        _out("The TVM cannot parse the stored policy: it denies every request (policy parse check failed)")
    else:
        _out("Signature invalid" + (f" ({failed.name} check failed)" if failed else ""))
    _print_report(report)
    for warning in report.warnings:
        _err(f"warning: {warning}")
    if args.remote and report.tvm_log is not None:
        _out(f"  the TVM logs: {report.tvm_log.rstrip()}")
    return EXIT_OK if report.ok else EXIT_FAIL


def cmd_pull(args) -> int:
    from .ops.pull import pull, save

    ops = make_ops(args)
    pulled = pull(ops, args.name, with_signature=args.with_signature)
    path, param, sig = pulled.path, pulled.policy, pulled.signature
    if args.with_signature and sig is None:
        _err(f"note: {pulled.signature_path} does not exist: the policy is unsigned")
    if args.output:
        save(pulled, args.output, force=args.force)
        _err(f"Wrote {len(param.data):,} bytes of {path} version {param.version} to {args.output} (mode 0600).")
        if sig is not None:
            _err(f"Wrote the stored signature (version {sig.version}) to {args.output}.sig.")
    else:
        if args.with_signature:
            raise SentinelError("--with-signature needs -o OUT.", "Add -o policy.yaml; the envelope goes to policy.yaml.sig.",
                                kind="usage")
        if sys.stdout.isatty():  # a terminal must never interpret stored text
            sys.stdout.write(inert(param.value or ""))
        else:  # a pipe or file gets the exact stored bytes, so the signature still matches
            sys.stdout.flush()
            sys.stdout.buffer.write(param.data)
            sys.stdout.buffer.flush()
    return EXIT_OK


def cmd_diff(args) -> int:
    from .core.diff import unified_text
    from .core.envelope import policy_hash
    from .ops.diffs import compare_file

    ops = make_ops(args)
    result = compare_file(ops, args.name, args.file, normalized=args.normalized, context=args.context)
    diff, local, remote, stored, label = result.diff, result.local, result.remote, result.stored, result.label
    if result.same_meaning_other_bytes:
        _err("The meaning is the same, but the bytes differ: the signature covers bytes, so pushing this "
             "file needs a new signature although nothing changes in effect.")
    if diff.identical:
        _err(f"No changes ({'meaning' if args.normalized else 'bytes'}); sha256 {policy_hash(local)}")
        return EXIT_OK
    sys.stdout.write(unified_text(diff, label, args.file))
    _err(f"+{diff.added} -{diff.removed}; stored sha256 {policy_hash(remote) if stored else '-'}, "
         f"local sha256 {policy_hash(local)}")
    return EXIT_FAIL


def cmd_access_diff(args) -> int:
    from .ops.access import access_between

    old, new, result = access_between(lambda: make_ops(args), args.old, args.new)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        _out(f"--- {old.label}")
        _out(f"+++ {new.label}")
        for line in result.lines():
            _out(line)
        _err(f"{result.classes:,} request classes compared (times {result.span[0]} to {result.span[1]}).")
    return EXIT_OK if result.identical else EXIT_FAIL


def cmd_push(args) -> int:
    from .core.diff import unified_text
    from .ops.push import execute_push, plan_push
    from .ops.sign import InvalidPolicy

    ops = make_ops(args)
    if args.allow_unsigned and (args.sign or args.key_id):
        raise SentinelError("--allow-unsigned pushes without a signature, so it cannot go with "
                            f"{'--sign' if args.sign else '--key-id'}.",
                            "Drop --allow-unsigned to sign (the default), or drop --sign/--key-id to push unsigned.",
                            kind="usage")
    sign = not args.allow_unsigned  # signing is the default; --sign is kept for the Go CLI's spelling
    if not args.dry_run:
        ops.guard_write("push")
    try:
        plan = plan_push(ops, args.name, args.file, sign=sign, key_id=args.key_id,
                         allow_unsigned=args.allow_unsigned)
    except InvalidPolicy as exc:
        _err(str(exc.check.error))
        return EXIT_FAIL
    for w in plan.check.warnings:
        _err(f"warning: {args.file}:{w.line or '-'}: {w.message}")
    if plan.unchanged:
        _out(f"{plan.path} already holds these exact bytes (version {plan.current.version}); nothing to push.")
        return EXIT_OK
    _out(unified_text(plan.diff, f"{plan.path} (version {plan.current.version})" if plan.current else
                      f"{plan.path} (absent)", str(args.file)).rstrip("\n"))
    _out("")
    for line in plan.summary():
        _out(line)
    if args.dry_run:
        _out("Dry run: nothing was signed or written.")
        return EXIT_OK
    if not args.force:
        if not sys.stdin.isatty() and not os.environ.get("SENTINEL_TUI_ASSUME_TTY"):
            raise SentinelError("Push needs confirmation, and there is no terminal to ask on.",
                                "Run it in a terminal, or pass -f after checking the diff with --dry-run.",
                                kind="usage")
        answer = input("Proceed? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            _out("Cancelled; nothing was written.")
            return EXIT_FAIL

    def progress(step: str, state: str) -> None:
        if state != "start":
            _err(f"  {state:4}  {step}")

    result = execute_push(ops, plan, progress=progress)
    _out(f"Pushed {plan.path}: policy version {result.policy_version}"
         + (f", signature version {result.signature_version}" if result.signature_version else "")
         + (f"; status {result.status}, TVM {result.tvm_text}" if result.status else ""))
    for note in result.notes:
        _out(f"note: {note}")
    return EXIT_OK


def _confirm(force: bool) -> bool:
    if force:
        return True
    if not sys.stdin.isatty() and not os.environ.get("SENTINEL_TUI_ASSUME_TTY"):
        raise SentinelError("This write needs confirmation, and there is no terminal to ask on.",
                            "Run it in a terminal, or pass -f once you have checked what it will do.",
                            kind="usage")
    return input("Proceed? [y/N] ").strip().lower() in ("y", "yes")


def cmd_restore(args) -> int:
    from .core.diff import unified_text
    from .ops.restore import plan_restore, restore, restore_candidates

    ops = make_ops(args)
    ops.guard_write("restore")
    candidates = restore_candidates(ops, args.name)
    if not candidates:
        _err(f"No earlier version of {args.name} has a signature that verifies with the TVM's key.")
        return EXIT_FAIL
    _out("Earlier versions whose signature still verifies:")
    for c in candidates:
        note = " (same bytes as now)" if c.same_as_current else ""
        _out(f"  {c.label}{note}" + (f"  [cannot restore: {c.problem}]" if c.problem else ""))
    if args.version is not None:
        chosen = next((c for c in candidates if c.version == args.version), None)
        if chosen is None:
            raise SentinelError(f"Version {args.version} of {args.name} is not restorable: it has no signature in "
                                "the history that verifies with the TVM's key.",
                                "Pick one of the versions listed above.", kind="usage")
    else:
        chosen = next((c for c in candidates if not c.problem), None)
        if chosen is None:
            _err("None of them passes validation, so none can be restored.")
            return EXIT_FAIL
    plan, _reusable = plan_restore(ops, args.name, chosen)
    current = f"{plan.path} (version {plan.current.version})" if plan.current else f"{plan.path} (absent)"
    _out(unified_text(plan.diff, current, f"{plan.path} (version {chosen.version})").rstrip("\n"))
    _out("")
    _out(f"restore    version {chosen.version} as a new version")
    for line in plan.summary():
        _out(line)
    if not _confirm(args.force):
        _out("Cancelled; nothing was written.")
        return EXIT_FAIL

    def progress(step: str, state: str) -> None:
        if state != "start":
            _err(f"  {state:4}  {step}")

    result = restore(ops, args.name, chosen, progress=progress, plan=plan)
    _out(f"Restored {plan.path} to the bytes of version {chosen.version}: policy version {result.policy_version}, "
         f"signature version {result.signature_version} "
         f"({'the stored signature, reused' if result.reused_signature else 'signed afresh'})"
         + (f"; status {result.push.status}, TVM {result.push.tvm_text}" if result.push.status else ""))
    for note in result.push.notes:
        _out(f"note: {note}")
    return EXIT_OK


def cmd_resign(args) -> int:
    from .ops.bulk import FAILED, OK, RUNNING, resign_many

    ops = make_ops(args)
    ops.guard_write("re-signing")
    names = list(dict.fromkeys(args.names))
    _out("Re-sign the stored bytes of (no policy is written; review them first):")
    for name in names:
        entry = ops.fleet.entry(name)
        what = (f"version {entry.policy.version}, {len(entry.policy.data):,} bytes, status {entry.status}"
                if entry.policy else "no policy stored")
        _out(f"  {name}: {what}")
    _out("key: " + (args.key_id or "each policy's TVM key (else the default key)"))
    if not _confirm(args.force):
        _out("Cancelled; nothing was written.")
        return EXIT_FAIL

    def progress(name: str, outcome) -> None:
        if outcome.state != RUNNING:
            now = ""
            if outcome.status is not None:
                now = (f" (status {outcome.status_before} → {outcome.status})"
                       if outcome.status_before is not None and outcome.status_before != outcome.status
                       else f" (status {outcome.status})")
            _err(f"  {outcome.state:9}  {name}: {outcome.detail}{now}")
            if outcome.state == FAILED and outcome.ssm_state:
                _err(f"             SSM now holds: {outcome.ssm_state}")

    result = resign_many(ops, names, args.key_id, progress=progress)
    _out(result.summary())
    if result.count(FAILED):
        return EXIT_ERROR
    return EXIT_OK if result.count(OK) == len(names) else EXIT_FAIL


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


def make_targets(args, base: Settings | None = None):
    """The Ops of each context asked for (--context, --all-contexts), or of the settings alone."""
    from .ops.multi import build_targets, select_contexts

    base = base or load_settings()
    contexts = select_contexts(base, getattr(args, "contexts", None) or (), getattr(args, "all_contexts", False))
    return build_targets(base, contexts, flags=lambda s: settings_from(args, s))


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
    from .ops.multi import load_all

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
            _out(f"{'CONTEXT':{cw}}  {'ACCOUNT':12}  {'NAME':{width}}  {'STATUS':11}  {'VER':>3}  {'SIZE':>5}  TVM")
        else:
            _out(f"{'NAME':{width}}  {'STATUS':11}  {'VER':>3}  {'SIZE':>5}  TVM")
        # one line per row: a verdict may hold a newline (Go's "yaml: unmarshal errors:\n  line 3: ...")
        limit = shutil.get_terminal_size((0, 0)).columns if sys.stdout.isatty() else 0
        for r in rows:
            lead = f"{r['context']:{cw}}  {r['account'] or '?':12}  " if multi else ""
            _out(_one_line(f"{lead}{r['name']:{width}}  {r['status'] or '?':11}  {r['version'] or '-':>3}  "
                           f"{r['size'] if r['size'] is not None else '-':>5}  {r['tvm'] or ''}", limit))
        if not rows and not multi:
            _err(f"No policy under {summaries[0]['root']}. To start: `sentinel-tui keys setup`, then "
                 "`sentinel-tui policy push NAME FILE` (it signs with the default key).")
    failed = 0
    for load in loads:
        if load.error is not None:
            failed += 1
            where = f"context {load.target.name}: " if multi else ""
            partial = "the listing is partial" if load.snapshot and load.snapshot.entries else "not loaded"
            _err(f"warning: {where}{partial}: {load.error}")
            if load.error.fix:
                _err(f"fix: {load.error.fix}")
    return EXIT_ERROR if failed else EXIT_OK


def cmd_watch(args, targets) -> int:
    from .ops.watch import Watcher

    watcher = Watcher(targets, interval=args.interval)

    def on_change(change) -> None:
        if args.json:
            print(json.dumps(change.as_json()), flush=True)
        else:
            _out(_one_line(change.as_text()))
            sys.stdout.flush()

    def on_error(target, exc) -> None:
        where = f"context {target.name}: " if target.name else ""
        _err(f"warning: {where}{exc}")

    def on_start(watcher) -> None:
        _err(f"Watching {watcher.policy_count():,} policies in {len(watcher.targets)} "
             f"context{'s' if len(watcher.targets) != 1 else ''}, every {watcher.describe_interval()} "
             f"(about {watcher.calls_per_minute():,.0f} calls/minute); Ctrl-C stops.")

    try:
        watcher.run(on_change=on_change, on_error=on_error, on_start=on_start, max_polls=args.polls)
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_OK


def cmd_doctor(args) -> int:
    from .ops.doctor import run_doctor

    ops = make_ops(args)
    report = run_doctor(ops, args.name, key_id=args.key_id)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        for line in report.lines():
            _out(line)
    return report.exit_code


def cmd_explain(args) -> int:
    from .ops.explain import explain

    text = sys.stdin.read() if args.text == ["-"] else " ".join(args.text)
    snapshot = None
    if not args.offline:
        ops = make_ops(args)
        try:
            snapshot = ops.fleet.load()
        except SentinelError as exc:
            _err(f"note: the fleet could not be loaded ({exc.what}); causes are ranked without it")
        root = ops.settings.policy_root
    else:
        root = settings_from(args).policy_root
    result = explain(text, snapshot, root=root)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        for line in result.lines():
            _out(line)
    return EXIT_OK if result.recognised else EXIT_FAIL


def _ask_yes(question: str, assume_yes: bool) -> bool:
    if assume_yes:
        return True
    if not sys.stdin.isatty() and not os.environ.get("SENTINEL_TUI_ASSUME_TTY"):
        raise SentinelError(f"{question} needs confirmation, and there is no terminal to ask on.",
                            "Run it in a terminal, or pass --yes.", kind="usage")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def cmd_keys_setup(args) -> int:
    from .ops import keysetup

    ops = make_ops(args)
    state = keysetup.inspect_alias(ops, args.alias)
    for line in state.lines():
        _out(line)
    if state.error is not None:
        return EXIT_ERROR
    key = state.key
    if state.needs_key:
        identity = ops.clients.identity()
        if ops.settings.read_only:
            _err("Read-only mode: no key is created. The documents below carry a placeholder for the key ARN.")
        elif _ask_yes(f"Create an RSA_4096 SIGN_VERIFY key with alias {state.alias} in account {identity.account}, "
                      f"region {ops.clients.region}?", args.yes):
            key = keysetup.create_key(ops, state.alias)
            _out(f"Created {state.alias} → {key.arn} (RSA_4096, SIGN_VERIFY).")
        else:
            _out("Cancelled; nothing was created.")
            return EXIT_FAIL
    docs = keysetup.documents_for(ops, state.alias, key)
    for name, text in docs.items():
        if args.save_dir:
            target = Path(args.save_dir)
            target.mkdir(parents=True, exist_ok=True, mode=0o700)
            _err(f"Wrote {keysetup.save_document(target / name, text, force=args.force)} (mode 0600).")
        else:
            _out("")
            _out(f"# ---- {name}: {keysetup.DOCUMENT_TITLES[name]}")
            _out(text.rstrip("\n"))
    if key is None:
        return EXIT_FAIL
    if args.make_default:
        path = keysetup.make_default(ops, state.alias)
        _err(f"{state.alias} is now default_key in {path}.")
        override = keysetup.default_key_overridden()
        if override:
            _err(f"note: {override} is set and overrides the settings file.")
    if args.sign_unsigned and not state.problems:
        names = keysetup.unsigned_policies(ops.fleet.load())
        if not names:
            _out("No unsigned policy to sign.")
        elif _ask_yes(f"Sign {len(names)} unsigned polic{'y' if len(names) == 1 else 'ies'} "
                      f"({', '.join(names)}) with {state.alias}?", args.yes):
            from .ops.bulk import resign_many

            result = resign_many(ops, names, key_id=state.alias)
            for item in result.outcomes:
                _out(f"  {item.state:7} {item.name}" + (f": {item.detail}" if item.detail else ""))
            _out(result.summary() + ".")
            if not result.ok:
                return EXIT_FAIL
    return EXIT_OK if not state.problems else EXIT_FAIL


def cmd_keys_rotation(args) -> int:
    from .ops.rotation import rotation_lines, rotation_report

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
            _out(line)
    return EXIT_OK if all(r.ok for r in rows) else EXIT_FAIL


KEY_COMMANDS = {"setup": cmd_keys_setup, "rotation": cmd_keys_rotation}


def cmd_contexts_list(args) -> int:
    settings = load_settings()
    rows = [{"name": c.name, "profile": c.profile, "region": c.region, "policy_root": c.policy_root,
             "endpoint_url": c.endpoint_url} for c in settings.contexts]
    if args.json:
        print(json.dumps({"contexts": rows}, indent=2))
        return EXIT_OK
    if not rows:
        _out(f"No contexts in {config_file()}. `sentinel-tui contexts import` offers your AWS profiles.")
        return EXIT_OK
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        _out(f"{r['name']:{width}}  profile {r['profile'] or '(inherited)'}  region {r['region'] or '(inherited)'}"
             + (f"  root {r['policy_root']}" if r["policy_root"] else "")
             + (f"  endpoint {r['endpoint_url']}" if r["endpoint_url"] else ""))
    return EXIT_OK


def cmd_contexts_import(args) -> int:
    """Offer each AWS profile that is not yet a context; write only after a yes (or --yes)."""
    from .ops.contexts import add_contexts, import_offers

    found = import_offers(args.profiles)
    for name, why in found.skipped:
        _err(f"skipped profile {name!r}: {why}")
    offers = found.offers
    if not offers:
        _out("Nothing to import: every AWS profile is already a context." if found.profiles
             else "No profiles in the AWS config file.")
        return EXIT_OK
    _out(f"Contexts to add to {config_file()}:")
    for c in offers:
        _out(f"  [contexts.{c.name}]  profile {c.profile}, region {c.region or '(the profile has none)'}"
             + (f", endpoint {c.endpoint_url}" if c.endpoint_url else ""))
    if args.dry_run:
        _out("Dry run: nothing written.")
        return EXIT_OK
    if not args.yes:
        if not sys.stdin.isatty():
            _err("Not a terminal: pass --yes to add them, or --dry-run to only look.")
            return EXIT_FAIL
        if input(f"Add {len(offers)} context{'s' if len(offers) != 1 else ''}? [y/N] ").strip().lower() not in ("y", "yes"):
            _out("Nothing written.")
            return EXIT_FAIL
    path = add_contexts(offers)
    _out(f"Added {len(offers)} context{'s' if len(offers) != 1 else ''} to {path}.")
    return EXIT_OK


CONTEXT_COMMANDS = {"list": cmd_contexts_list, "import": cmd_contexts_import}


def cmd_plan(args) -> int:
    from .fileio import write_private
    from .ops.plan import PlanError, make_plan, plan_lines, plan_markdown

    ops = make_ops(args)
    try:
        plan = make_plan(ops, args.dir, prune=args.prune, resign_invalid=args.resign_invalid)
    except PlanError as exc:
        _err(f"error: {exc.what}")
        for problem in exc.problems:
            _err(f"  {problem}")
        if exc.fix:
            _err(f"fix: {exc.fix}")
        return EXIT_ERROR
    lines = plan_lines(plan, diffs=not args.quiet)
    for line in (lines[-2:] if args.quiet else lines):
        _out(line)
    if args.output:
        write_private(args.output, plan.dumps().encode("utf-8"), overwrite=True)
        _err(f"Plan written to {args.output} (mode 0600).")
    if args.markdown:
        write_private(args.markdown, plan_markdown(plan).encode("utf-8"), overwrite=True)
        _err(f"Review comment written to {args.markdown}.")
    return EXIT_FAIL if plan.has_changes else EXIT_OK


def cmd_apply(args) -> int:
    from .ops.plan import (APPLIED, NOT_ATTEMPTED, PlanRefused, apply_plan, check_plan, load_plan, plan_lines,
                           result_lines)

    try:
        plan = load_plan(args.plan_file)
        ops = make_ops(args)
        ops.guard_write("apply")
        folder = args.plan_dir or plan.folder or "."
        for line in plan_lines(plan, diffs=False):
            _out(line)
        if not plan.has_changes:
            _out("Nothing to apply.")
            return EXIT_OK
        check_plan(ops, plan, folder)
    except PlanRefused as exc:
        _err(f"refused: {exc.what}")
        for problem in exc.problems:
            _err(f"  {problem}")
        if exc.fix:
            _err(f"fix: {exc.fix}")
        return EXIT_FAIL
    except SentinelError as exc:
        if getattr(exc, "kind", "") != "read-only":
            raise
        _err(f"refused: {exc.what}")
        return EXIT_FAIL
    if not _confirm(args.force):
        _out("Cancelled; nothing was written.")
        return EXIT_FAIL

    def progress(item, state, outcome) -> None:
        if state == "start":
            _err(f"  ...  {item.action} {item.name}")
        elif outcome is not None and outcome.state != NOT_ATTEMPTED:
            _err(f"  {'ok' if outcome.state == APPLIED else 'FAIL':4} {item.action} {item.name}")

    import signal
    import threading

    stop = threading.Event()

    def interrupted(signum, frame) -> None:  # the first Ctrl-C stops between two items; a second one now
        stop.set()
        _err("Stopping after the item in progress (Ctrl-C again to interrupt it)…")
        signal.signal(signal.SIGINT, previous)

    previous = signal.getsignal(signal.SIGINT)
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        signal.signal(signal.SIGINT, interrupted)
    try:
        result = apply_plan(ops, plan, folder=folder, keep_going=args.keep_going, progress=progress,
                            cancelled=stop.is_set)
    except PlanRefused as exc:  # something moved between the check above and the apply's own check
        _err(f"refused: {exc.what}")
        for problem in exc.problems:
            _err(f"  {problem}")
        return EXIT_FAIL
    finally:
        if in_main:
            signal.signal(signal.SIGINT, previous)
    for line in result_lines(result):
        _out(line)
    if result.failed:
        return EXIT_ERROR
    return EXIT_OK if result.ok else EXIT_FAIL


# -- the app and the demo ----------------------------------------------------------------

def open_app(ops, *, initial_diff: tuple[str, str] | None = None, use_cache: bool = True,
             targets=(), make_targets=None) -> int:
    from .ui.app import run_app

    return run_app(ops, initial_diff=initial_diff, use_cache=use_cache, targets=targets,
                   make_targets=make_targets) or EXIT_OK


def demo_settings(url: str, workspace: Path) -> Settings:
    return Settings(endpoint_url=url, region="us-east-1", local_dir=str(workspace / "policies"))


def start_demo(workspace: Path, *, empty: bool = False):
    """Start the emulator, seed it through the AWS APIs, and return (emulator, ops).

    `empty`: seed nothing in the store (no policy, no key, no TVM); the local folder gets
    one first policy to sign and push. The emulator is stopped if seeding fails or is
    interrupted.
    """
    from .demo.fleet import demo_hooks, seed, seed_empty
    from .demo.server import start_emulator, use_demo_credentials
    from .ops.audit import AuditLog
    from .ops.context import Ops

    os.environ["SENTINEL_TUI_CONFIG_DIR"] = str(workspace / "config")
    os.environ["SENTINEL_TUI_STATE_DIR"] = str(workspace / "state")
    use_demo_credentials()
    emulator = start_emulator()
    try:
        settings = demo_settings(emulator.url, workspace)
        ops = Ops.from_settings(settings, audit=AuditLog(workspace / "state" / "audit.jsonl"),
                                hooks=[] if empty else demo_hooks())
        if empty:
            seed_empty(Path(settings.local_dir))
        else:
            seed(ops.clients, root=settings.policy_root, local_dir=Path(settings.local_dir))
    except BaseException:
        emulator.stop()
        raise
    return emulator, ops


def start_demo_accounts(workspace: Path, n: int, *, key_spec: str = "RSA_4096"):
    """Start the emulator with N seeded accounts; the AWS config file and the contexts; (emulator, ops of account 1)."""
    from dataclasses import replace as dc_replace

    from .config import ContextSpec, save_settings
    from .demo.accounts import REGION, demo_accounts, seed_accounts, write_aws_config
    from .demo.fleet import demo_hooks
    from .demo.server import start_emulator, use_demo_credentials
    from .ops.audit import AuditLog
    from .ops.context import Ops

    accounts = demo_accounts(n)
    os.environ["SENTINEL_TUI_CONFIG_DIR"] = str(workspace / "config")
    os.environ["SENTINEL_TUI_STATE_DIR"] = str(workspace / "state")
    use_demo_credentials()
    emulator = start_emulator()
    try:
        aws_config = write_aws_config(workspace / "aws" / "config", emulator.url, accounts)
        os.environ["AWS_CONFIG_FILE"] = str(aws_config)
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(workspace / "aws" / "credentials")
        settings = demo_settings(emulator.url, workspace)
        seed_accounts(emulator.url, accounts, local_dir=Path(settings.local_dir), key_spec=key_spec)
        contexts = tuple(ContextSpec(a.context, profile=a.profile, region=REGION, endpoint_url=emulator.url)
                         for a in accounts)
        save_settings(dc_replace(settings, contexts=contexts))
    except BaseException:
        emulator.stop()
        raise
    ops = Ops.from_settings(settings, audit=AuditLog(workspace / "state" / "audit.jsonl"), hooks=demo_hooks())
    return emulator, ops, accounts


def cmd_demo_accounts(args, workspace: Path) -> int:
    _err(f"Starting the demo store (moto on 127.0.0.1) with {args.accounts} accounts…")
    emulator, ops, accounts = start_demo_accounts(workspace, args.accounts)
    try:
        if args.serve:
            _out(f"Demo store serving at {emulator.url}, {len(accounts)} accounts: "
                 + ", ".join(f"{a.context} ({a.account})" for a in accounts))
            _out("Point aws and sentinel-tui at it with:")
            _out("  unset AWS_PROFILE AWS_SESSION_TOKEN")
            _out(f"  export AWS_CONFIG_FILE={os.environ['AWS_CONFIG_FILE']}")
            _out(f"  export AWS_SHARED_CREDENTIALS_FILE={os.environ['AWS_SHARED_CREDENTIALS_FILE']}")
            _out(f"  export AWS_ENDPOINT_URL={emulator.url}")
            _out("  export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_DEFAULT_REGION=us-east-1")
            _out(f"  export SENTINEL_TUI_CONFIG_DIR={workspace / 'config'} SENTINEL_TUI_STATE_DIR={workspace / 'state'}")
            _out(f"  export SENTINEL_TUI_LOCAL_DIR={ops.settings.local_dir}")
            _out("  sentinel-tui policy status --json --all-contexts")
            _out(f"The default credentials reach {accounts[0].context} ({accounts[0].account}); "
                 f"`aws --profile demo-K` reaches account K.")
            _out("Serving until interrupted (Ctrl-C); the demo's folder is removed then.")
            sys.stdout.flush()
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return EXIT_OK
        from .demo.fleet import demo_hooks
        from .ops.multi import build_targets

        base = load_settings()  # the demo's: its endpoint, local folder and one context per account
        read_only = bool(getattr(args, "read_only", False))

        def make_targets(specs):  # account 1 keeps the demo's one denied read (team/finance)
            targets = build_targets(base, specs, audit=ops.audit,
                                    hooks=lambda name: demo_hooks() if name == accounts[0].context else [],
                                    flags=lambda s: s.with_(read_only=True) if read_only else s)
            for target in targets:  # the local folder holds account 1's files: the others have none
                if target.name != accounts[0].context:
                    target.ops = target.ops.switch(local_dir="")
            return targets

        targets = make_targets(base.contexts)  # every account at once
        return open_app(targets[0].ops, use_cache=False, targets=targets, make_targets=make_targets)
    finally:
        emulator.stop()


@contextmanager
def demo_workspace(prefix: str = "sentinel-tui-demo-") -> Iterator[Path]:
    """The demo's temporary folder (settings, audit log, local policies), removed on every exit.

    `q`, an error, Ctrl-C (KeyboardInterrupt) leave through `finally`; SIGTERM and SIGHUP
    (a closed terminal or tmux pane) remove the folder in their handler, then end the
    process as the signal would have. Only SIGKILL leaves it behind.
    """
    workspace = Path(tempfile.mkdtemp(prefix=prefix))

    def remove() -> None:
        shutil.rmtree(workspace, ignore_errors=True)

    def on_signal(signum, _frame) -> None:
        remove()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if sig is not None:
                previous[sig] = signal.signal(sig, on_signal)
    try:
        yield workspace
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        remove()


def _print_serve(emulator, ops, workspace: Path, empty: bool) -> None:
    _out(f"{'Empty demo' if empty else 'Demo'} store serving at {emulator.url}")
    _out(f"Local policy files: {ops.settings.local_dir}")
    _out("Point aws and sentinel-tui at it with:")
    _out(f"  export AWS_ENDPOINT_URL={emulator.url}")
    _out("  export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_DEFAULT_REGION=us-east-1")
    _out(f"  export SENTINEL_TUI_LOCAL_DIR={ops.settings.local_dir}")
    # the demo's settings and audit log stay in its folder, removed when it stops
    _out(f"  export SENTINEL_TUI_CONFIG_DIR={workspace / 'config'} SENTINEL_TUI_STATE_DIR={workspace / 'state'}")
    if empty:
        _out("The store is empty: no policy, no signing key, no TVM. The way in:")
        _out("  sentinel-tui keys setup --yes                  # create alias/sentinel-policy-signing")
        _out(f"  sentinel-tui policy push dev {Path(ops.settings.local_dir) / 'dev.yaml'}   # sign and push a first policy")
        _out("  sentinel-tui policy status")
    else:
        _out("  sentinel-tui policy status")
    _out("Serving until interrupted (Ctrl-C); the demo's folder is removed then.")
    sys.stdout.flush()


def cmd_demo(args) -> int:
    empty = bool(getattr(args, "empty", False))
    with demo_workspace() as workspace:
        if getattr(args, "accounts", None) is not None:
            if empty:
                raise ConfigError("--accounts and --empty do not go together: the accounts are seeded")
            return cmd_demo_accounts(args, workspace)
        _err(f"Starting the {'empty ' if empty else ''}demo store (moto on 127.0.0.1)…")
        emulator, ops = start_demo(workspace, empty=empty)
        try:
            if args.serve:
                _print_serve(emulator, ops, workspace, empty)
                try:
                    while True:
                        time.sleep(3600)
                except KeyboardInterrupt:
                    return EXIT_OK
            ops = ops.switch(**{k: v for k, v in vars(settings_from(args, ops.settings)).items()
                                if k == "read_only" and v})
            return open_app(ops, use_cache=False)  # a fresh store on a new port each time: a cache never serves
        finally:
            emulator.stop()


def cmd_app(args) -> int:
    """The app: on the settings' target, or on the contexts named (--context NAME..., --all-contexts: one table)."""
    from .ops.multi import build_targets, select_contexts

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


COMMANDS = {
    "validate": cmd_validate, "sign": cmd_sign, "verify": cmd_verify, "pull": cmd_pull,
    "diff": cmd_diff, "push": cmd_push, "status": cmd_status, "doctor": cmd_doctor,
    "restore": cmd_restore, "resign": cmd_resign, "explain": cmd_explain, "access-diff": cmd_access_diff,
}


def _whatif_command(name: str):
    def run(args) -> int:
        from . import cli_whatif

        return getattr(cli_whatif, name)(args)
    return run


COMMANDS.update({"eval": _whatif_command("cmd_eval"), "test": _whatif_command("cmd_test")})


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
            return cmd_plan(args)
        if args.command == "apply":
            return cmd_apply(args)
        if args.command == "diff":
            return cmd_diff_app(args)
        return cmd_app(args)
    except SentinelError as exc:
        _err(f"error: {exc.what}")
        if exc.fix:
            _err(f"fix: {exc.fix}")
        if getattr(exc, "ssm_state", ""):
            _err(f"SSM now holds: {exc.ssm_state}")
        return EXIT_ERROR
    except ConfigError as exc:
        _err(f"error: settings: {exc}")
        _err("fix: correct the settings file or the environment variable named above.")
        return EXIT_ERROR
    except ValueError as exc:  # e.g. a malformed --policy-root
        _err(f"error: {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except Exception as exc:  # the last line of defence: never a traceback
        if os.environ.get("SENTINEL_TUI_DEBUG"):
            raise
        _err(f"error: unexpected {type(exc).__name__}: {exc}")
        _err("fix: this is a bug in sentinel-tui; run again with SENTINEL_TUI_DEBUG=1 and report the traceback.")
        return EXIT_ERROR


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
