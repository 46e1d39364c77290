"""Issue 16's benchmark row: N contexts x P policies loaded concurrently against one context
alone (time and calls), and the watch's calls per minute per 1,000 policies when nothing changes.

    python -m benchmarks.contexts_bench                  # 3 accounts x 1,000 policies
    python -m benchmarks.contexts_bench --accounts 2 --policies 100 --out -

The emulator (moto, with benchmarks.emulator's AWS paging) runs in this process; the
measured loads run in a child process, as in the main benchmark. Each account is a
separate moto account reached through a role_arn profile (AssumeRole), as
`demo --accounts` does; policies are seeded through the emulator's own backends
(benchmarks.fleetgen's bodies and real RSA-PSS signatures), keys through the KMS API.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def seed_account(url: str, account: str, n: int, session) -> None:
    from moto.kms.models import kms_backends
    from moto.ssm.models import ssm_backends

    from sentinel_tui.core.envelope import dump_envelope, make_envelope
    from sentinel_tui.core.paths import policy_path, signature_path

    from .emulator import REGION
    from .fleetgen import ALGORITHM, KEY_SPEC, ROOT, SIGNED_AT, SIGNING_ALIAS, policy_body, profile_name

    kms_api = session.client("kms", endpoint_url=url)
    meta = kms_api.create_key(KeySpec=KEY_SPEC, KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    kms_api.create_alias(AliasName=SIGNING_ALIAS, TargetKeyId=meta["KeyId"])
    kms = kms_backends[account][REGION]
    ssm = ssm_backends[account][REGION]
    for i in range(n):
        body = policy_body(i).encode()
        _, signature, _ = kms.sign(meta["KeyId"], body, ALGORITHM)
        envelope = dump_envelope(make_envelope(signature, SIGNING_ALIAS, body, SIGNED_AT), indent=False)
        path = policy_path(profile_name(i), ROOT)
        ssm.put_parameter(path, None, body.decode(), "String", None, None, True, None, "text",
                          tier="Standard", policies=None)
        ssm.put_parameter(signature_path(path), None, envelope, "String", None, None, True, None, "text",
                          tier="Standard", policies=None)


def parent(args) -> dict:
    import boto3

    from sentinel_tui.config import ContextSpec, Settings, save_settings
    from sentinel_tui.demo.accounts import demo_accounts, write_aws_config

    from . import emulator
    from .emulator import REGION

    emu = emulator.start()
    try:
        emu.warm_up()
        home = tempfile.mkdtemp(prefix="sentinel-ctx-bench-")
        accounts = demo_accounts(args.accounts)
        config = write_aws_config(Path(home) / "aws-config", emu.url, accounts)
        base = boto3.session.Session(aws_access_key_id="demo", aws_secret_access_key="demo", region_name=REGION)
        sts = base.client("sts", endpoint_url=emu.url)
        started = time.perf_counter()
        for acct in accounts:
            if acct.index == 1:
                session = base
            else:
                c = sts.assume_role(RoleArn=acct.role_arn, RoleSessionName="bench")["Credentials"]
                session = boto3.session.Session(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                                                aws_session_token=c["SessionToken"], region_name=REGION)
            seed_account(emu.url, acct.account, args.policies, session)
        seed_seconds = time.perf_counter() - started
        env = emulator.child_environment(emu.url, home)
        env["AWS_CONFIG_FILE"] = str(config)
        env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH", "")])
        os.environ["SENTINEL_TUI_CONFIG_DIR"] = env["SENTINEL_TUI_CONFIG_DIR"]
        save_settings(Settings(contexts=tuple(ContextSpec(a.context, profile=a.profile, region=REGION,
                                                          endpoint_url=emu.url) for a in accounts)))
        out = subprocess.run([sys.executable, "-m", "benchmarks.contexts_bench", "--child"], env=env,
                             capture_output=True, text=True, timeout=1800)
        if out.returncode != 0:
            raise SystemExit(f"child failed:\n{out.stderr}")
        result = json.loads(out.stdout)
        result.update(accounts=args.accounts, policies=args.policies, seed_seconds=round(seed_seconds, 1),
                      machine=f"{platform.machine()}, {os.cpu_count()} CPUs (shared), Python {platform.python_version()}")
        return result
    finally:
        emu.stop()


def child() -> dict:
    from sentinel_tui.config import load_settings
    from sentinel_tui.ops.multi import build_targets, load_all
    from sentinel_tui.ops.watch import Watcher, calls_per_poll

    from .counting import CallCounter

    settings = load_settings()

    def measure(contexts) -> tuple[dict, list]:
        counter = CallCounter()
        targets = build_targets(settings, contexts, hooks=lambda name: [counter])
        started = time.perf_counter()
        loads = load_all(targets)
        seconds = time.perf_counter() - started
        for load in loads:
            assert load.error is None, load.error
        rows = sum(len(load.snapshot.entries) for load in loads)
        return {"seconds": round(seconds, 2), "calls": counter.since(0), "total_calls": len(counter.calls),
                "rows": rows}, targets

    one, _ = measure(settings.contexts[:1])
    every, targets = measure(settings.contexts)

    # the watch: one quiet poll of every context, counted; then the default interval's rate
    counter = CallCounter()
    for t in targets:
        t.ops.clients.add_hook(counter)
    now = [0.0]
    watcher = Watcher(targets, clock=lambda: now[0])
    watcher.start()
    mark = counter.mark()
    now[0] += 10_000
    started = time.perf_counter()
    watcher.poll_due(lambda c: (_ for _ in ()).throw(AssertionError(f"unexpected change {c}")), lambda t, e: None)
    poll_seconds = time.perf_counter() - started
    quiet = counter.since(mark)
    per_context = sum(quiet.values()) / len(targets)
    state = watcher.states[0]
    interval = watcher.interval_for(state)
    sizes = watcher._sizes(state)
    return {
        "one_context": one, "all_contexts": every,
        "watch": {"calls_per_quiet_poll_per_context": per_context, "calls": quiet,
                  "expected_per_context": calls_per_poll(*sizes), "default_interval_s": interval,
                  "calls_per_minute_per_context": round(per_context * 60 / interval, 1),
                  "quiet_poll_seconds_all_contexts": round(poll_seconds, 2)},
    }


def render(r: dict) -> str:
    one, every, w = r["one_context"], r["all_contexts"], r["watch"]
    return "\n".join([
        f"# Contexts benchmark (issue 16): {r['accounts']} accounts x {r['policies']:,} signed policies",
        "",
        f"Machine: {r['machine']}. Emulator: moto with AWS paging (benchmarks/emulator.py), in the parent "
        f"process; loads measured in a child. Seeding took {r['seed_seconds']} s.",
        "",
        "| what | wall time | AWS calls | rows |",
        "|---|---|---|---|",
        f"| one context alone | {one['seconds']} s | {one['total_calls']} | {one['rows']:,} |",
        f"| {r['accounts']} contexts concurrently | {every['seconds']} s | {every['total_calls']} | {every['rows']:,} |",
        "",
        f"Concurrent load / one alone: {every['seconds'] / max(one['seconds'], 1e-9):.2f}x the time for "
        f"{r['accounts']}x the policies and {every['total_calls'] / max(one['total_calls'], 1):.2f}x the calls "
        "(calls scale exactly with the contexts; time is bounded by the machine's cores, shared with the emulator).",
        "",
        f"Watch, nothing changed: {w['calls_per_quiet_poll_per_context']:g} calls per poll per context "
        f"(formula: {w['expected_per_context']}, what AWS makes; moto answers an exactly full last page with a "
        f"NextToken, one more empty page per listing; {json.dumps(w['calls'])} over all contexts), default interval "
        f"{w['default_interval_s']:g} s, so **{w['calls_per_minute_per_context']:g} calls/minute per "
        f"{r['policies']:,} policies** per context; a quiet poll of all {r['accounts']} contexts took "
        f"{w['quiet_poll_seconds_all_contexts']} s.",
        "",
        "Calls by operation (besides one STS AssumeRole per role profile, made by botocore's credential provider):",
        "",
        f"- one alone: `{json.dumps(one['calls'])}`",
        f"- all: `{json.dumps(every['calls'])}`",
        "",
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.contexts_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=3)
    parser.add_argument("--policies", type=int, default=1000)
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "CONTEXTS.md"),
                        help="where the Markdown goes (- for stdout)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child()))
        return 0
    result = parent(args)
    text = render(result)
    if args.out == "-":
        print(text)
    else:
        Path(args.out).write_text(text)
        Path(args.out).with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
