"""`sentinel-tui policy ...`: validate, sign, verify, pull, diff, access-diff, push, restore,
resign, doctor and explain (status is in cli/status.py, eval and test in cli/whatif.py).

Each command builds its Ops from the flags and calls one operation of ``ops/``; what is
here is the terminal's side: the text, the question before a write, the exit code. Names,
flags and exit codes follow the Go CLI where they overlap.
"""

from __future__ import annotations

import json
import os
import sys

from ..core.text import inert
from ..errors import SentinelError
from ..ops import remedies
from .base import EXIT_ERROR, EXIT_FAIL, EXIT_OK, confirm, err, make_ops, out, settings_from


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
    from ..core.policy import LINT_ALLOW_BEFORE_DENY, LINT_OVERLAPPING_TIME_WINDOWS, LINT_UNREACHABLE_RULE, check_policy

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
            from .whatif import semantic_lines

            lines += semantic_lines(path, data, check.policy)
    return (EXIT_OK if check.error is None else EXIT_FAIL), lines


def cmd_validate(args) -> int:
    code, lines = validate_report(args.file, quiet=args.quiet)
    for line in lines:
        err(line)
    return code


def cmd_sign(args) -> int:
    from ..ops.sign import InvalidPolicy, sign_file

    ops = make_ops(args)
    key_id = args.key_id
    try:
        if not key_id:  # as push does for a policy no TVM serves: the settings' default key
            from ..fileio import read_policy_file
            from ..ops.push import check_signing_key, default_signing_key
            from ..ops.sign import validated

            validated(read_policy_file(args.file))  # an invalid file is reported before any key question
            key_id = default_signing_key(ops)
            check_signing_key(ops, str(args.file), key_id, defaulted=True, for_push=False)
        result = sign_file(ops, args.file, key_id, output=args.output, force=args.force)
    except InvalidPolicy as exc:
        err(str(exc.check.error))
        return EXIT_FAIL
    if result.output:
        err(f"Signature written to {result.output} (mode 0600); "
            f"{'verified' if result.verified else 'NOT verified'} with {key_id}.")
    else:
        out(result.text)
    return EXIT_OK if result.verified else EXIT_FAIL


def _print_report(report) -> None:
    for check in report.checks:
        mark = {True: "pass", False: "FAIL", None: "skip"}[check.ok]
        out(f"  {mark:4}  {check.name:15} {check.detail}")
        if check.ok is False and check.fix:
            out(f"        fix: {check.fix}")


def cmd_verify(args) -> int:
    from ..ops.verify import verify_file, verify_remote

    ops = make_ops(args)
    via = "local" if args.offline else "kms"
    if args.remote:
        report = verify_remote(ops, args.remote, args.key_id, via=via)
    else:
        if not args.file or not args.signature:
            raise SentinelError("verify needs FILE and -s SIG, or --remote NAME.",
                                f"Example: {remedies.verify_file('policy.yaml', 'alias/x', 'policy.sig')}",
                                kind="usage")
        if not args.key_id:
            raise SentinelError("verify FILE needs --key-id: the key the TVM verifies with.",
                                "Pass --key-id alias/sentinel-policy-signing (or the TVM's key).", kind="usage")
        report = verify_file(ops, args.file, args.signature, args.key_id, via=via)
    failed = report.failed
    if report.ok:
        out("Signature missing: the TVM loads the policy unverified (it does not enforce signing)"
            if report.loads_unverified else "Signature valid")
    elif failed is not None and failed.name == "hash":
        out("Signature invalid: policy content does not match signature")
    elif failed is not None and failed.name == "policy parse":
        out("The TVM cannot parse the stored policy: it denies every request (policy parse check failed)")
    else:
        out("Signature invalid" + (f" ({failed.name} check failed)" if failed else ""))
    _print_report(report)
    for warning in report.warnings:
        err(f"warning: {warning}")
    if args.remote and report.tvm_log is not None:
        out(f"  the TVM logs: {report.tvm_log.rstrip()}")
    return EXIT_OK if report.ok else EXIT_FAIL


def cmd_pull(args) -> int:
    from ..ops.pull import pull, save

    ops = make_ops(args)
    pulled = pull(ops, args.name, with_signature=args.with_signature)
    path, param, sig = pulled.path, pulled.policy, pulled.signature
    if args.with_signature and sig is None:
        err(f"note: {pulled.signature_path} does not exist: the policy is unsigned")
    if args.output:
        save(pulled, args.output, force=args.force)
        err(f"Wrote {len(param.data):,} bytes of {path} version {param.version} to {args.output} (mode 0600).")
        if sig is not None:
            err(f"Wrote the stored signature (version {sig.version}) to {args.output}.sig.")
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
    from ..core.diff import unified_text
    from ..core.envelope import policy_hash
    from ..ops.diffs import compare_file

    ops = make_ops(args)
    result = compare_file(ops, args.name, args.file, normalized=args.normalized, context=args.context)
    diff, local, remote, stored, label = result.diff, result.local, result.remote, result.stored, result.label
    if result.same_meaning_other_bytes:
        err("The meaning is the same, but the bytes differ: the signature covers bytes, so pushing this "
            "file needs a new signature although nothing changes in effect.")
    if diff.identical:
        err(f"No changes ({'meaning' if args.normalized else 'bytes'}); sha256 {policy_hash(local)}")
        return EXIT_OK
    sys.stdout.write(unified_text(diff, label, args.file))
    err(f"+{diff.added} -{diff.removed}; stored sha256 {policy_hash(remote) if stored else '-'}, "
        f"local sha256 {policy_hash(local)}")
    return EXIT_FAIL


def cmd_access_diff(args) -> int:
    from ..ops.access import access_between

    old, new, result = access_between(lambda: make_ops(args), args.old, args.new)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        out(f"--- {old.label}")
        out(f"+++ {new.label}")
        for line in result.lines():
            out(line)
        err(f"{result.classes:,} request classes compared (times {result.span[0]} to {result.span[1]}).")
    return EXIT_OK if result.identical else EXIT_FAIL


def cmd_push(args) -> int:
    from ..core.diff import unified_text
    from ..ops.push import execute_push, plan_push
    from ..ops.sign import InvalidPolicy

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
        err(str(exc.check.error))
        return EXIT_FAIL
    for w in plan.check.warnings:
        err(f"warning: {args.file}:{w.line or '-'}: {w.message}")
    if plan.unchanged:
        out(f"{plan.path} already holds these exact bytes (version {plan.current.version}); nothing to push.")
        return EXIT_OK
    out(unified_text(plan.diff, f"{plan.path} (version {plan.current.version})" if plan.current else
                      f"{plan.path} (absent)", str(args.file)).rstrip("\n"))
    out("")
    for line in plan.summary():
        out(line)
    if args.dry_run:
        out("Dry run: nothing was signed or written.")
        return EXIT_OK
    if not args.force:
        if not sys.stdin.isatty() and not os.environ.get("SENTINEL_TUI_ASSUME_TTY"):
            raise SentinelError("Push needs confirmation, and there is no terminal to ask on.",
                                "Run it in a terminal, or pass -f after checking the diff with --dry-run.",
                                kind="usage")
        answer = input("Proceed? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            out("Cancelled; nothing was written.")
            return EXIT_FAIL

    def progress(step: str, state: str) -> None:
        if state != "start":
            err(f"  {state:4}  {step}")

    result = execute_push(ops, plan, progress=progress)
    out(f"Pushed {plan.path}: policy version {result.policy_version}"
        + (f", signature version {result.signature_version}" if result.signature_version else "")
        + (f"; status {result.status}, TVM {result.tvm_text}" if result.status else ""))
    for note in result.notes:
        out(f"note: {note}")
    return EXIT_OK


def cmd_restore(args) -> int:
    from ..core.diff import unified_text
    from ..ops.restore import plan_restore, restore, restore_candidates

    ops = make_ops(args)
    ops.guard_write("restore")
    candidates = restore_candidates(ops, args.name)
    if not candidates:
        err(f"No earlier version of {args.name} has a signature that verifies with the TVM's key.")
        return EXIT_FAIL
    out("Earlier versions whose signature still verifies:")
    for c in candidates:
        note = " (same bytes as now)" if c.same_as_current else ""
        out(f"  {c.label}{note}" + (f"  [cannot restore: {c.problem}]" if c.problem else ""))
    if args.version is not None:
        chosen = next((c for c in candidates if c.version == args.version), None)
        if chosen is None:
            raise SentinelError(f"Version {args.version} of {args.name} is not restorable: it has no signature in "
                                "the history that verifies with the TVM's key.",
                                "Pick one of the versions listed above.", kind="usage")
    else:
        chosen = next((c for c in candidates if not c.problem), None)
        if chosen is None:
            err("None of them passes validation, so none can be restored.")
            return EXIT_FAIL
    plan, _reusable = plan_restore(ops, args.name, chosen)
    current = f"{plan.path} (version {plan.current.version})" if plan.current else f"{plan.path} (absent)"
    out(unified_text(plan.diff, current, f"{plan.path} (version {chosen.version})").rstrip("\n"))
    out("")
    out(f"restore    version {chosen.version} as a new version")
    for line in plan.summary():
        out(line)
    if not confirm(args.force):
        out("Cancelled; nothing was written.")
        return EXIT_FAIL

    def progress(step: str, state: str) -> None:
        if state != "start":
            err(f"  {state:4}  {step}")

    result = restore(ops, args.name, chosen, progress=progress, plan=plan)
    out(f"Restored {plan.path} to the bytes of version {chosen.version}: policy version {result.policy_version}, "
        f"signature version {result.signature_version} "
        f"({'the stored signature, reused' if result.reused_signature else 'signed afresh'})"
        + (f"; status {result.push.status}, TVM {result.push.tvm_text}" if result.push.status else ""))
    for note in result.push.notes:
        out(f"note: {note}")
    return EXIT_OK


def cmd_resign(args) -> int:
    from ..ops.bulk import FAILED, OK, RUNNING, resign_many

    ops = make_ops(args)
    ops.guard_write("re-signing")
    names = list(dict.fromkeys(args.names))
    out("Re-sign the stored bytes of (no policy is written; review them first):")
    for name in names:
        entry = ops.fleet.entry(name)
        what = (f"version {entry.policy.version}, {len(entry.policy.data):,} bytes, status {entry.status}"
                if entry.policy else "no policy stored")
        out(f"  {name}: {what}")
    out("key: " + (args.key_id or "each policy's TVM key (else the default key)"))
    if not confirm(args.force):
        out("Cancelled; nothing was written.")
        return EXIT_FAIL

    def progress(name: str, outcome) -> None:
        if outcome.state != RUNNING:
            now = ""
            if outcome.status is not None:
                now = (f" (status {outcome.status_before} → {outcome.status})"
                       if outcome.status_before is not None and outcome.status_before != outcome.status
                       else f" (status {outcome.status})")
            err(f"  {outcome.state:9}  {name}: {outcome.detail}{now}")
            if outcome.state == FAILED and outcome.ssm_state:
                err(f"             SSM now holds: {outcome.ssm_state}")

    result = resign_many(ops, names, args.key_id, progress=progress)
    out(result.summary())
    if result.count(FAILED):
        return EXIT_ERROR
    return EXIT_OK if result.count(OK) == len(names) else EXIT_FAIL


def cmd_doctor(args) -> int:
    from ..ops.doctor import run_doctor

    ops = make_ops(args)
    report = run_doctor(ops, args.name, key_id=args.key_id)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        for line in report.lines():
            out(line)
    return report.exit_code


def cmd_explain(args) -> int:
    from ..ops.explain import explain

    text = sys.stdin.read() if args.text == ["-"] else " ".join(args.text)
    snapshot = None
    if not args.offline:
        ops = make_ops(args)
        try:
            snapshot = ops.fleet.load()
        except SentinelError as exc:
            err(f"note: the fleet could not be loaded ({exc.what}); causes are ranked without it")
        root = ops.settings.policy_root
    else:
        root = settings_from(args).policy_root
    result = explain(text, snapshot, root=root)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        for line in result.lines():
            out(line)
    return EXIT_OK if result.recognised else EXIT_FAIL
