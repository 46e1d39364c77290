"""`sentinel-tui policy eval` and `policy test`: what a policy decides (issue 14).

The decision is ``core.evaluate`` composed with the serving TVM's configuration by
``ops/whatif.py``; a stored policy and its TVMs are read through that module too. The
parsers of both commands are in cli/parser.py.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

from ..errors import SentinelError
from ..ops import remedies
from .base import EXIT_ERROR, EXIT_FAIL, EXIT_OK, err, make_ops, out


def print_semantics(label: str, data: bytes, policy, tvm=None) -> None:
    """Semantic findings on stderr, as ``semantic: FILE:LINE: message [code]``."""
    from ..core.semantics import format_finding, semantic_lints

    for finding in semantic_lints(policy, data, tvm=tvm):
        err(format_finding(finding, label))


def semantic_lines(label: str, data: bytes, policy, tvm=None) -> list[str]:
    """`policy validate`'s semantic findings, after Go's lines: `sentinel-tui: semantic: FILE:LINE: ...`.

    The `sentinel-tui:` prefix is what every finding of this tool's own carries in
    `validate`'s output, so no script reading Go's lines can take one for Go's.
    """
    from ..core.semantics import format_finding, semantic_lints

    return ["sentinel-tui: " + format_finding(f, label) for f in semantic_lints(policy, data, tvm=tvm)]


def _load_policy(args) -> tuple[bytes, str, tuple]:
    """(bytes, label, serving TVMs)."""
    if args.remote and args.file:
        raise SentinelError("eval takes POLICY or --remote NAME, not both.", kind="usage")
    if args.remote:
        from ..ops.whatif import stored_policy

        stored = stored_policy(make_ops(args), args.remote)
        if stored.note:
            err(f"note: {stored.note}")
        return stored.data, stored.path, stored.tvms
    if not args.file:
        raise SentinelError("eval needs a POLICY file or --remote NAME.",
                            f"Example: {remedies.evaluate('policy.yaml', user='alice', profile='prod')}", kind="usage")
    return _read_any_bytes(args.file), args.file, ()


def _read_any_bytes(path: str) -> bytes:
    """The file's bytes, whatever they are: the TVM's parser judges them (an empty file is
    Go's `empty policy`, UTF-16 with a BOM is read), so nothing is refused here but a file
    that cannot be read at all."""
    from ..fileio import read_policy_file

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
    from ..core.policy import PolicyError, parse_policy, validate_policy

    try:
        policy = parse_policy(data)
    except PolicyError as exc:
        err(f"{label}: {exc}")
        return None
    try:
        validate_policy(policy)
    except PolicyError as exc:
        err(f"note: {label} fails validation ({exc.detail}): push would refuse it, but a TVM loads and "
            "evaluates it as decided below")
    return policy


def cmd_eval(args) -> int:
    from ..core.evaluate import Request, RequestError, parse_user_time
    from ..core.tvm import TvmConfig
    from ..ops.whatif import read_posture, serving_tvm, what_if

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
                            "Example: " + remedies.evaluate("policy.yaml", user="alice", profile="prod",
                                                            time="2026-03-02 21:00 Europe/Berlin"), kind="usage")
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
        err(f"note: {len(tvms)} TVMs serve {label}; showing {tvms[0].source}'s view")
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        for line in result.lines():
            out(line)
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
    from ..core.evaluate import Request, RequestError, evaluate

    bad = 0
    stream = sys.stdout
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
            err(f"line {number}: {exc}")
            stream.write(json.dumps({"id": rid, "error": str(exc)}, ensure_ascii=False) + "\n")
            continue
        decision = evaluate(policy, request)
        stream.write(json.dumps({"id": rid, **decision.to_json()}, ensure_ascii=False) + "\n")
    stream.flush()
    if bad:
        err(f"{bad} request line(s) could not be read; each has an \"error\" line instead of a decision")
        return EXIT_ERROR
    return EXIT_OK


def cmd_test(args) -> int:
    from ..ops.policytests import run_policy_tests_file

    report = run_policy_tests_file(args.file, args.tests)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        for line in report.lines():
            out(line)
    return report.exit_code
