"""`sentinel-tui policy eval` and `policy test`: what a policy decides (issue 14).

Kept beside cli.py (which registers these commands) so the evaluator's front
end does not reorganise that file.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from typing import Any

from .errors import SentinelError
from .cli import EXIT_ERROR, EXIT_FAIL, EXIT_OK, _err, _out, make_ops


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


def add_parsers(psub: Any, common: argparse.ArgumentParser) -> None:
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


def print_semantics(label: str, data: bytes, policy, tvm=None) -> None:
    """Semantic findings on stderr, as ``semantic: FILE:LINE: message [code]``."""
    from .core.semantics import format_finding, semantic_lints

    for finding in semantic_lints(policy, data, tvm=tvm):
        _err(format_finding(finding, label))


def semantic_lines(label: str, data: bytes, policy, tvm=None) -> list[str]:
    """`policy validate`'s semantic findings, after Go's lines: `sentinel-tui: semantic: FILE:LINE: ...`.

    The `sentinel-tui:` prefix is what every finding of this tool's own carries in
    `validate`'s output, so no script reading Go's lines can take one for Go's.
    """
    from .core.semantics import format_finding, semantic_lints

    return ["sentinel-tui: " + format_finding(f, label) for f in semantic_lints(policy, data, tvm=tvm)]


def _load_policy(args) -> tuple[bytes, str, tuple]:
    """(bytes, label, serving TVMs)."""
    if args.remote and args.file:
        raise SentinelError("eval takes POLICY or --remote NAME, not both.", kind="usage")
    if args.remote:
        from .core.paths import policy_path

        ops = make_ops(args)
        path = policy_path(args.remote, ops.settings.policy_root)
        param = ops.store.get(path)
        if param is None:
            raise SentinelError(f"No policy is stored at {path}.",
                                "Check the name (sentinel-tui policy status lists them), or --policy-root.",
                                kind="not-found")
        try:
            tvms = tuple(t for t in ops.tvms.list() if t.policy_parameter == path)
        except SentinelError as exc:
            _err(f"note: the TVMs could not be listed ({exc.what}); a Lambda TVM with defaults is assumed")
            tvms = ()
        return param.data, path, tvms
    if not args.file:
        raise SentinelError("eval needs a POLICY file or --remote NAME.",
                            "Example: sentinel-tui policy eval policy.yaml --user alice --profile prod", kind="usage")
    return _read_any_bytes(args.file), args.file, ()


def _read_any_bytes(path: str) -> bytes:
    """The file's bytes, whatever they are: the TVM's parser judges them (an empty file is
    Go's `empty policy`, UTF-16 with a BOM is read), so nothing is refused here but a file
    that cannot be read at all."""
    from .fileio import read_policy_file

    try:
        return read_policy_file(path)
    except SentinelError as exc:
        if exc.kind != "validation" or " is a directory" in exc.what:
            raise
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise SentinelError(f"{path}: cannot be read ({exc.strerror}).", kind="error") from None


def _parse(data: bytes, label: str):
    """The policy as the TVM parses it; None (after printing why) when it does not parse."""
    from .core.policy import PolicyError, parse_policy, validate_policy

    try:
        policy = parse_policy(data)
    except PolicyError as exc:
        _err(f"{label}: {exc}")
        return None
    try:
        validate_policy(policy)
    except PolicyError as exc:
        _err(f"note: {label} fails validation ({exc.detail}): push would refuse it, but a TVM loads and "
             "evaluates it as decided below")
    return policy


def cmd_eval(args) -> int:
    from .core.evaluate import Request, RequestError, parse_user_time
    from .core.tvm import TvmConfig
    from .ops.whatif import read_posture, serving_tvm, what_if

    data, label, tvms = _load_policy(args)
    if args.requests:
        if args.user or args.profile:
            raise SentinelError("--requests takes the requests from the file; drop --user/--profile.", kind="usage")
        lines = _read_requests(args.requests)
        policy = _parse(data, label)
        if policy is None:
            return EXIT_FAIL
        return _batch(policy, lines)
    if args.user is None or args.profile is None:
        raise SentinelError("eval needs --user and --profile (or --requests FILE.jsonl).",
                            "Example: sentinel-tui policy eval policy.yaml --user alice --profile prod "
                            "--time '2026-03-02 21:00 Europe/Berlin'", kind="usage")
    try:
        if args.time:
            when, nanos = parse_user_time(args.time)
        else:
            when, nanos = datetime.now(timezone.utc), 0
    except RequestError as exc:
        raise SentinelError(f"--time: {exc}.", kind="usage") from None
    device = read_posture(args.device) if args.device else None
    policy = _parse(data, label)
    if policy is None:
        return EXIT_FAIL
    request = Request(user=args.user, profile=args.profile, time=when, mode=args.mode,
                      session_table=args.session_table, device=device, nanosecond=nanos)
    tvm = serving_tvm(tvms)
    if args.tvm_session_table is not None:
        base = tvm or TvmConfig(source="--tvm-session-table", policy_parameter=None, signing_key=None,
                                enforce_raw=None)
        from dataclasses import replace

        tvm = replace(base, session_table=args.tvm_session_table)
    result = what_if(policy, request, tvm)
    if len(tvms) > 1:
        _err(f"note: {len(tvms)} TVMs serve {label}; showing {tvms[0].source}'s view")
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        for line in result.lines():
            _out(line)
    return EXIT_OK


def _read_requests(spec: str) -> list[str]:
    """Lines as Go's bufio.Scanner splits them (on \\n only); invalid UTF-8 becomes U+FFFD, as
    encoding/json reads it."""
    if spec == "-":
        raw = sys.stdin.buffer.read()
    else:
        try:
            with open(spec, "rb") as fh:
                raw = fh.read()
        except FileNotFoundError:
            raise SentinelError(f"{spec}: no such file.", "Name a JSON-lines file of requests.",
                                kind="not-found") from None
        except OSError as exc:
            raise SentinelError(f"{spec}: cannot be read ({exc.strerror}).", kind="error") from None
    return [line.decode("utf-8", "replace") for line in raw.split(b"\n")]


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")


def _batch(policy, lines: list[str]) -> int:
    from .core.evaluate import Request, RequestError, evaluate

    bad = 0
    out = sys.stdout
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        rid = None
        try:
            obj = json.loads(line, parse_constant=_no_constants)
            if isinstance(obj, dict):
                rid = obj.get("id")
            request = Request.from_json(obj)
        except (ValueError, RequestError) as exc:  # JSONDecodeError is a ValueError
            bad += 1
            _err(f"line {number}: {exc}")
            out.write(json.dumps({"id": rid, "error": str(exc)}, ensure_ascii=False) + "\n")
            continue
        decision = evaluate(policy, request)
        out.write(json.dumps({"id": rid, **decision.to_json()}, ensure_ascii=False) + "\n")
    out.flush()
    if bad:
        _err(f"{bad} request line(s) could not be read; each has an \"error\" line instead of a decision")
        return EXIT_ERROR
    return EXIT_OK


def cmd_test(args) -> int:
    from .ops.policytests import run_policy_tests_file

    report = run_policy_tests_file(args.file, args.tests)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        for line in report.lines():
            _out(line)
    return report.exit_code
