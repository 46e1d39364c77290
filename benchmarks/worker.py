"""One measurement, run in a child process so that its time and memory are its own.

    python -m benchmarks.worker '<json spec>'

The spec names the mode (load, naive, refresh, app), the emulator URL and N; the
result is written as JSON to spec["out"]. The emulator runs in the parent.
"""

from __future__ import annotations

import base64
import json
import math
import os
import sys
import threading
import time
from pathlib import Path

from .counting import CallCounter, peak_rss_mb, rss_mb
from .fleetgen import ALGORITHM, ROOT, SIGNING_ALIAS, policy_body, profile_name, wrong_key_indexes


def make_ops(url: str, home: str, *, counter: CallCounter | None = None, aws_like=None):
    """Ops on the emulator; `aws_like` (an `awslike.AwsLike`) shapes its answers as AWS's would arrive."""
    from sentinel_tui.config import Settings
    from sentinel_tui.ops.audit import AuditLog
    from sentinel_tui.ops.context import Ops

    settings = Settings(endpoint_url=url, region="us-east-1", local_dir=None, policy_root=ROOT,
                        default_key=SIGNING_ALIAS)
    hooks = [hook for hook in (counter, aws_like) if hook is not None]
    ops = Ops.from_settings(settings, audit=AuditLog(Path(home) / "state" / "audit.jsonl"), hooks=hooks or None)
    return ops


def aws_like_for(spec: dict):
    """The AWS-like shaping of this measurement (None: the emulator as it is)."""
    if not spec.get("aws_like"):
        return None
    from .awslike import AwsLike

    return AwsLike()


def build_clients(ops) -> float:
    """Build the boto3 clients before the clock starts (the same for every contender)."""
    started = time.perf_counter()
    for service in ("ssm", "kms", "lambda"):
        ops.clients.client(service)
    return time.perf_counter() - started


def expected_statuses(n: int) -> dict[str, int]:
    wrong = len(wrong_key_indexes(n))
    found = {"valid": n - wrong}
    if wrong:
        found["wrong-key"] = wrong
    return found


def status_counts(snapshot) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in snapshot.entries.values():
        key = str(entry.status) if entry.status else "pending"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def changed_indexes(n: int) -> list[int]:
    """1% of the fleet (at least one policy), none of them a wrong-key one."""
    count = max(1, math.ceil(n / 100))
    found = [j * 100 + 13 for j in range(count) if j * 100 + 13 < n]
    return found or [13 % n]


class Breakdown:
    """Where a load's time goes: the YAML check of each policy, signature checks, and the rest.

    Timers wrap the functions the load calls (about 1 us of overhead a call). The YAML
    check and the signature checks run on the loading thread; "rest" is the load's time
    outside them (waiting for pages, pairing, parsing envelopes). Time inside the listing
    calls (`ParameterStore.list_values`, HTTP and botocore) is summed over the threads
    that list, and may overlap the rest: the listings can run beside the loading thread.
    """

    def __init__(self) -> None:
        self.seconds = {"policy_check": 0.0, "verify": 0.0, "listing_calls": 0.0}
        self._lock = threading.Lock()

    def install(self) -> None:
        import sentinel_tui.core.status as status
        from sentinel_tui.aws.store import ParameterStore
        from sentinel_tui.ops.fleet import FleetService

        seconds = self.seconds
        lock = self._lock
        check = status.check_policy

        def timed_check(*args, **kwargs):
            started = time.perf_counter()
            try:
                return check(*args, **kwargs)
            finally:
                seconds["policy_check"] += time.perf_counter() - started

        status.check_policy = timed_check
        verify = FleetService.verify

        def timed_verify(self, *args, **kwargs):
            started = time.perf_counter()
            try:
                return verify(self, *args, **kwargs)
            finally:
                seconds["verify"] += time.perf_counter() - started

        FleetService.verify = timed_verify
        list_values = ParameterStore.list_values

        def timed_list_values(self, *args, **kwargs):
            pages = list_values(self, *args, **kwargs)
            while True:
                started = time.perf_counter()
                try:
                    page = next(pages)
                except StopIteration:
                    return
                finally:
                    with lock:
                        seconds["listing_calls"] += time.perf_counter() - started
                yield page

        ParameterStore.list_values = timed_list_values

    def result(self, total: float) -> dict:
        found = {k: round(v, 4) for k, v in self.seconds.items()}
        found["rest"] = round(max(0.0, total - self.seconds["policy_check"] - self.seconds["verify"]), 4)
        return found


def run_load(spec: dict) -> dict:
    breakdown = Breakdown()
    breakdown.install()
    counter = CallCounter()
    shaping = aws_like_for(spec)
    ops = make_ops(spec["url"], spec["home"], counter=counter, aws_like=shaping)
    client_seconds = build_clients(ops)
    rss_before = rss_mb()
    first: dict = {}
    started = time.perf_counter()

    def on_update(entries):
        if not first:
            first["seconds"] = time.perf_counter() - started
            first["rows"] = len(entries)

    snapshot = ops.fleet.load(on_update=on_update)
    seconds = time.perf_counter() - started
    result = {
        "seconds": seconds, "first_rows_seconds": first.get("seconds"), "first_rows": first.get("rows"),
        "client_seconds": client_seconds, "calls": counter.since(0), "api_calls": len(counter.calls),
        "http_requests": counter.http_requests, "complete": snapshot.complete,
        "error": str(snapshot.error) if snapshot.error else None,
        "statuses": status_counts(snapshot), "expected_statuses": expected_statuses(spec["n"]),
        "rss_before_mb": rss_before, "peak_rss_mb": peak_rss_mb(),
        "breakdown": breakdown.result(seconds),
    }
    if shaping is not None:
        result["aws_like"] = shaping.summary()
    if spec.get("refresh"):
        result["refresh"] = run_refresh(spec, ops, counter, snapshot)
    return result


def run_refresh(spec: dict, ops, counter: CallCounter, snapshot) -> dict:
    n = spec["n"]
    before = status_counts(snapshot)
    # 1. nothing changed
    mark = counter.mark()
    started = time.perf_counter()
    unchanged = ops.fleet.refresh(snapshot)
    unchanged_seconds = time.perf_counter() - started
    unchanged_calls = counter.since(mark)
    same = all(unchanged.entries[p].policy is e.policy and unchanged.entries[p].signature is e.signature
               for p, e in snapshot.entries.items())

    # 2. 1% changed: an operator re-signs and pushes edited policies (through the API, not counted)
    changer = make_ops(spec["url"], spec["home"])
    from sentinel_tui.core.envelope import dump_envelope, make_envelope
    from sentinel_tui.core.paths import policy_path, signature_path
    from datetime import datetime, timezone

    indexes = changed_indexes(n)
    changed_paths = []
    for i in indexes:
        path = policy_path(profile_name(i), ROOT)
        body = policy_body(i, revision=1).encode("utf-8")
        signature = changer.keys.sign(SIGNING_ALIAS, body)
        envelope = dump_envelope(make_envelope(signature, SIGNING_ALIAS, body, datetime.now(timezone.utc)),
                                 indent=False)
        changer.store.put(path, body.decode("utf-8"))
        changer.store.put(signature_path(path), envelope)
        changed_paths.append(path)
    mark = counter.mark()
    started = time.perf_counter()
    updated: list = []
    after = ops.fleet.refresh(unchanged, on_update=updated.extend)
    changed_seconds = time.perf_counter() - started
    changed_calls = counter.since(mark)
    picked_up = all(after.entries[p].policy.version == 2 and after.entries[p].signature.version == 2
                    and str(after.entries[p].status) == "valid" for p in changed_paths)
    return {
        "unchanged": {
            "seconds": unchanged_seconds, "calls": unchanged_calls,
            "api_calls": sum(unchanged_calls.values()),
            "value_reads": sum(v for k, v in unchanged_calls.items()
                               if k in ("ssm.GetParameter", "ssm.GetParameters", "ssm.GetParametersByPath")),
            "kept_every_entry": same and status_counts(unchanged) == before,
        },
        "changed": {
            "policies": len(indexes), "seconds": changed_seconds, "calls": changed_calls,
            "api_calls": sum(changed_calls.values()), "entries_updated": len(updated),
            "picked_up": picked_up, "statuses": status_counts(after),
        },
    }


def naive_sample(n: int, cap: int | None) -> list[int]:
    """The policies the naive loop checks: all of them, or `cap` spread evenly over the fleet."""
    if not cap or cap >= n:
        return list(range(n))
    return sorted({(j * n) // cap for j in range(cap)})


def run_naive(spec: dict) -> dict:
    """The operator's loop: for each policy, GetParameter, GetParameter (signature), KMS Verify."""
    from sentinel_tui.core.paths import policy_path, signature_path

    counter = CallCounter()
    shaping = aws_like_for(spec)
    ops = make_ops(spec["url"], spec["home"], counter=counter, aws_like=shaping)
    client_seconds = build_clients(ops)
    ssm = ops.clients.client("ssm")
    kms = ops.clients.client("kms")
    n = spec["n"]
    sample = naive_sample(n, spec.get("cap"))
    legacy = set(wrong_key_indexes(n))
    valid = invalid = unsigned = 0
    # The baseline is handed the names for free (an operator's list); finding them would cost more calls.
    paths = [policy_path(profile_name(i), ROOT) for i in sample]
    started = time.perf_counter()
    for path in paths:
        policy = ssm.get_parameter(Name=path, WithDecryption=True)["Parameter"]["Value"]
        try:
            stored = ssm.get_parameter(Name=signature_path(path), WithDecryption=True)["Parameter"]["Value"]
        except ssm.exceptions.ParameterNotFound:
            unsigned += 1
            continue
        signature = base64.b64decode(json.loads(stored)["signature"])
        try:
            ok = kms.verify(KeyId=SIGNING_ALIAS, Message=policy.encode("utf-8"), MessageType="RAW",
                            Signature=signature, SigningAlgorithm=ALGORITHM)["SignatureValid"]
        except kms.exceptions.KMSInvalidSignatureException:  # AWS's answer to a bad signature
            ok = False
        if ok:
            valid += 1
        else:
            invalid += 1
    seconds = time.perf_counter() - started
    scale = n / len(sample)
    return {
        "seconds": seconds * scale, "measured_seconds": seconds, "sample": len(sample),
        "extrapolated": len(sample) < n, "per_policy_ms": 1000 * seconds / len(sample),
        "client_seconds": client_seconds, "calls": counter.since(0),
        "api_calls": round(len(counter.calls) * scale), "measured_api_calls": len(counter.calls),
        "http_requests": counter.http_requests,
        "valid": valid, "not_valid": invalid, "unsigned": unsigned,
        "expected_valid": sum(1 for i in sample if i not in legacy),
        "peak_rss_mb": peak_rss_mb(),
        **({"aws_like": shaping.summary()} if shaping is not None else {}),
    }


def run_floor(spec: dict) -> dict:
    """The call floor: the load's listing calls alone (both prefixes, side by side, as the load
    lists them), with nothing done with the pages; `metadata` lists DescribeParameters instead."""
    from sentinel_tui.core.paths import signature_root

    counter = CallCounter()
    shaping = aws_like_for(spec)
    ops = make_ops(spec["url"], spec["home"], counter=counter, aws_like=shaping)
    build_clients(ops)
    metadata = bool(spec.get("metadata"))
    lister = ops.store.list_metadata if metadata else (lambda path: ops.store.list_values(path, decrypt=False))
    counts: dict[str, int] = {}

    def walk(path: str) -> None:
        counts[path] = sum(len(page) for page in lister(path))

    started = time.perf_counter()
    threads = [threading.Thread(target=walk, args=(path,)) for path in (ROOT, signature_root(ROOT))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    result = {"seconds": seconds, "calls": counter.since(0), "api_calls": len(counter.calls),
              "http_requests": counter.http_requests, "listed": counts, "metadata": metadata}
    if shaping is not None:
        result["aws_like"] = shaping.summary()
    return result


MODES = {"load": run_load, "naive": run_naive, "floor": run_floor}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    spec = json.loads(argv[0])
    mode = spec["mode"]
    if mode == "app":
        from .app_bench import run_app

        result = run_app(spec)
    else:
        result = MODES[mode](spec)
    result["mode"] = mode
    result["n"] = spec["n"]
    Path(spec["out"]).write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
