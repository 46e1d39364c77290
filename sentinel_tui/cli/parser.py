"""The command line of `sentinel-tui`: every command, its flags and its help, built in one place.

:func:`build_parser` is the whole grammar. Each command group has its own section below
(the app, plan/apply, policy, contexts, what-if, keys); the commands themselves live in the
module of their group (``cli/policy.py``, ``cli/keys.py``, ...) and `cli/__init__.py`
dispatches to them. Options given before the command (``--region``, ``--context``) stay
set: the shared options use ``argparse.SUPPRESS`` as their default.
"""

from __future__ import annotations

import argparse
from typing import Any


# -- options every command takes -----------------------------------------------------------

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


# -- the app: `sentinel-tui` with no command, `sentinel-tui demo`, `sentinel-tui diff` -------------
# The app's launch options (the top-level parser's own) and its two subcommands are here and
# only here; cli/app.py and cli/demo.py run them.

def _app_options(parser: argparse.ArgumentParser) -> None:
    """The options of the app itself (`sentinel-tui [OPTIONS]`, no command)."""
    _context_options(parser)


def _app_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """`demo` and `diff`: the app on the demo store, the app on one diff."""
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


# -- plan and apply ------------------------------------------------------------------------

def _plan_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
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


# -- policy ----------------------------------------------------------------------------------

def _policy_parsers(sub: Any, common: argparse.ArgumentParser) -> Any:
    """`policy validate|sign|verify|pull|diff|access-diff|push|restore|resign|status|doctor|explain`."""
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

    return psub


# -- contexts ------------------------------------------------------------------------------

def _contexts_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    contexts = sub.add_parser("contexts", help="named AWS targets ([contexts.NAME] in the settings)")
    csub = contexts.add_subparsers(dest="contexts_command", metavar="COMMAND", required=True)
    p = csub.add_parser("list", parents=[common], help="the configured contexts")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = csub.add_parser("import", parents=[common],
                        help="offer the profiles of the AWS config file as contexts (asks before writing)")
    p.add_argument("profiles", nargs="*", metavar="PROFILE", help="only these profiles (default: every one not yet a context)")
    p.add_argument("--yes", action="store_true", help="add them without asking")
    p.add_argument("--dry-run", action="store_true", help="show what would be added, write nothing")


# -- policy eval, policy test ----------------------------------------------------------------

TESTS_FORMAT = """\
tests file format:
  tvm: {session_table: sentinel-sessions, mdm: true}   # optional: the TVM "tvm:" expectations assume
  tests:
    - name: on-call needs an approver
      request:
        user: oncall-primary
        profile: production
        time: 2026-03-02 21:00 Europe/Berlin      # or RFC 3339; a zone is required
        mode: server                               # default server (the TVM's)
        session_table: ""                          # default none
        device: managed-mac                        # a preset, a posture mapping, or absent
      expect: {effect: require_approval, rule: prod-oncall-approval, tvm: issues}
    - name: short form
      request: {user: dana, profile: production, time: "2026-03-07T10:00:00Z"}
      expect: deny
"""


def _whatif_parsers(psub: Any, common: argparse.ArgumentParser) -> None:
    """`policy eval` and `policy test`: what a policy decides (issue 14)."""
    p = psub.add_parser(
        "eval", parents=[common],
        help="what a policy decides for a request, and what the TVM does (exit 0 decided, 1 unparsable policy)",
        description="Decide a request exactly as upstream's policy.Evaluate, and say what the serving "
                    "Lambda TVM does with it (only deny refuses).",
    )
    p.add_argument("file", nargs="?", metavar="POLICY", help="a policy file (or --remote NAME)")
    p.add_argument("--remote", metavar="NAME", help="the stored policy NAME (and its serving TVM's configuration)")
    p.add_argument("--user", metavar="U", help="the IAM user name the TVM sees")
    p.add_argument("--profile", metavar="P", help="the profile asked for")
    p.add_argument("--mode", metavar="M", default="server", help="server (default, the TVM's), cli, credential_process")
    p.add_argument("--time", metavar="T",
                   help="RFC 3339, or '2026-03-02 21:00 Europe/Berlin' (default: now)")
    p.add_argument("--session-table", metavar="S", default="", help="the request's session table")
    p.add_argument("--device", metavar="FILE",
                   help="a DevicePosture JSON file, or a preset: none, managed-mac, managed-windows, "
                        "unmanaged-linux, noncompliant-mac, empty")
    p.add_argument("--tvm-session-table", metavar="S",
                   help="the TVM's SENTINEL_SESSION_TABLE (default: the serving TVM's, else none)")
    p.add_argument("--requests", metavar="FILE.jsonl",
                   help="batch: one request per line (id, user, profile, time, mode, session_table, device); "
                        "writes one decision per line; - reads stdin")
    p.add_argument("--json", action="store_true", help="the request, decision, rules tried and TVM view as JSON")

    p = psub.add_parser(
        "test", parents=[common],
        help="run a policy's test cases (NAME.tests.yaml) (exit 0 all pass, 1 a failure, 2 error)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run the requests of NAME.tests.yaml (next to NAME.yaml) against the policy; each "
                    "failure is shown\nwith every rule tried and why it did not match.",
        epilog=TESTS_FORMAT,
    )
    p.add_argument("file", metavar="POLICY", help="the policy file")
    p.add_argument("tests", nargs="?", metavar="TESTS", help="default: POLICY's NAME.tests.yaml beside it")
    p.add_argument("--json", action="store_true", help="every result as JSON")


# -- keys ----------------------------------------------------------------------------------

def _keys_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
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


# -- the whole parser ----------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common)
    parser = argparse.ArgumentParser(
        prog="sentinel-tui", parents=[common],
        description="Browse, diff, sign, verify and push Sentinel's signed policies in SSM.",
        epilog="With no command, the terminal app opens.",
    )
    _app_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _app_parsers(sub, common)
    _plan_parsers(sub, common)
    psub = _policy_parsers(sub, common)
    _contexts_parsers(sub, common)
    _whatif_parsers(psub, common)
    _keys_parsers(sub, common)
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
