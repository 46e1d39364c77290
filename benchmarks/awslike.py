"""AWS-like mode: per-call latency and AWS's default request quotas, in the client process.

Against the local emulator a call costs a few milliseconds and nothing throttles; against
AWS a call costs tens of milliseconds and each API has a request quota. This module
shapes the emulator's answers the way AWS's would arrive, at botocore's layer
(`before-send`, inside botocore's retry loop, as `sentinel_tui/aws/faults.py` injects
faults), so the code measured is the app's own, boto3 and its retries included:

- **Latency.** Every HTTP attempt waits a random 20-60 ms (uniform; a seeded generator
  per process) before it is sent on, the round trip of an operator's machine to a
  region. The emulator's own time (a few ms) comes on top.
- **Quotas.** A token bucket per quota, refilled at the quota's rate, holding at most one
  second of it (the burst). An attempt that finds the bucket empty is answered, after
  its latency, with AWS's throttling error for the service (`ThrottlingException`, HTTP
  400, "Rate exceeded"), and botocore's adaptive retry mode (the app's) backs off and
  slows its own rate, as against AWS.

The quotas are AWS's defaults (Service Quotas, us-east-1): Parameter Store's read APIs
(GetParameter, GetParameters, GetParametersByPath, DescribeParameters,
GetParameterHistory) share 40 transactions a second (standard throughput); PutParameter
3; KMS's cryptographic operations on RSA keys (Sign, Verify) share 500, GetPublicKey
and DescribeKey 2,000 each; Lambda's control plane (ListFunctions, GetFunction...) 15;
STS 600. The numbers are the defaults documented by AWS; an account may have raised
them (Parameter Store's "higher throughput" setting allows up to 10,000 reads a second).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from typing import Any

from sentinel_tui.aws.faults import error_response

LATENCY_MS = (20.0, 60.0)

# quota name -> transactions per second; (service, operation) -> quota name
QUOTAS: dict[str, float] = {
    "ssm.read": 40.0, "ssm.PutParameter": 3.0, "kms.rsa": 500.0, "kms.GetPublicKey": 2000.0,
    "kms.DescribeKey": 2000.0, "lambda.control": 15.0, "sts": 600.0,
}
_SSM_READS = ("GetParameter", "GetParameters", "GetParametersByPath", "DescribeParameters", "GetParameterHistory")


def quota_of(service: str, operation: str) -> str | None:
    if service == "ssm":
        return "ssm.read" if operation in _SSM_READS else f"ssm.{operation}" if f"ssm.{operation}" in QUOTAS else None
    if service == "kms":
        return "kms.rsa" if operation in ("Sign", "Verify") else f"kms.{operation}" if f"kms.{operation}" in QUOTAS \
            else None
    if service == "lambda":
        return "lambda.control"
    if service == "sts":
        return "sts"
    return None


class TokenBucket:
    """`rate` tokens a second, at most `burst` held; `take` never waits (AWS answers at once)."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else rate
        self.tokens = self.burst
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            return False


class AwsLike:
    """A `Clients` hook: latency and quotas on every client it is applied to (see the module)."""

    def __init__(self, *, seed: int = 17, latency_ms: tuple[float, float] = LATENCY_MS,
                 quotas: dict[str, float] | None = None) -> None:
        self.latency_ms = latency_ms
        self.buckets = {name: TokenBucket(rate) for name, rate in (quotas or QUOTAS).items()}
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.throttled: Counter[str] = Counter()
        self.waited = 0.0  # seconds of injected latency, summed over threads

    def __call__(self, service: str, client: Any) -> None:
        client.meta.events.register("before-send.*.*", self._before_send)

    def _before_send(self, request, event_name: str = "", **kwargs):
        with self.lock:
            delay = self.random.uniform(*self.latency_ms) / 1000.0
            self.waited += delay
        time.sleep(delay)
        _, service, operation = (event_name.split(".", 2) + ["", ""])[:3]  # before-send.<service>.<operation>
        quota = quota_of(service, operation)
        bucket = self.buckets.get(quota) if quota else None
        if bucket is not None and not bucket.take():
            with self.lock:
                self.throttled[f"{service}.{operation}"] += 1
            return error_response("ThrottlingException", "Rate exceeded").response(service, request.url)
        return None

    def summary(self) -> dict:
        return {"throttled": dict(self.throttled), "latency_seconds": round(self.waited, 3),
                "latency_ms": list(self.latency_ms),
                "quotas": {name: bucket.rate for name, bucket in self.buckets.items()}}
