"""The benchmark still runs (python -m benchmarks --quick, N = 20) and measures what issue 7 asks.

Behaviour only: every measurement is present and the call counts follow the formulas.
Timings are never asserted (they belong to benchmarks/RESULTS.md, not to a test).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
N = 20


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "RESULTS.md"
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(out.with_suffix(".json").read_text())
    return out, results, done


pytestmark = pytest.mark.timeout(660)


def test_the_quick_run_writes_both_reports_and_leaves_the_committed_one_alone(run):
    out, results, _ = run
    assert list(results["sizes"]) == [str(N)]
    text = out.read_text()
    for section in ("## Machine", "## Targets", "## Status load against the naive loop", "## Warm refresh",
                    "## Launch, responsiveness (headless app)", "## Memory", "## How it was measured"):
        assert section in text
    assert out.resolve() != (REPO / "benchmarks" / "RESULTS.md").resolve()


def test_every_correctness_check_passes(run):
    _, results, _ = run
    assert results["checks"]
    assert [c for c in results["checks"] if not c["ok"]] == []


def test_each_target_is_stated(run):
    _, results, _ = run
    names = " | ".join(t["target"] for t in results["targets"])
    for words in ("5x faster than the naive loop", "API calls for a load", "unchanged warm refresh",
                  "first rows within 1 s", "peak RSS at N = 5,000", "filter under 100 ms", "under 5 minutes"):
        assert words in names
    assert {t["verdict"] for t in results["targets"]} <= {"met", "missed", "not measured"} | {
        t["verdict"] for t in results["targets"] if t["verdict"].startswith("missed by ")}


def test_the_status_load_costs_listings_and_one_key_fetch_per_key(run):
    _, results, _ = run
    r = results["sizes"][str(N)]
    assert r["distinct_keys"] == 2  # the fleet is mid-rotation: one policy in a hundred on the legacy key
    assert r["formula"] == 2 * math.ceil(N / 10) + 2
    for load in r["loads"]:
        calls = load["calls"]
        assert load["complete"] and load["statuses"] == {"valid": N - 1, "wrong-key": 1}
        # two listings of ceil(N/10) pages, each maybe ending on an empty page
        assert 2 * math.ceil(N / 10) <= calls["ssm.GetParametersByPath"] <= 2 * math.ceil(N / 10) + 2
        assert calls["kms.GetPublicKey"] == r["distinct_keys"]
        assert calls["kms.DescribeKey"] == r["distinct_keys"]  # its state: KMS on AWS refuses a disabled key
        assert calls.get("lambda.ListFunctions", 0) <= 1
        assert set(calls) <= {"ssm.GetParametersByPath", "kms.GetPublicKey", "kms.DescribeKey", "lambda.ListFunctions"}
        assert load["api_calls"] == sum(calls.values()) <= r["formula"] + r["distinct_keys"] + 3
        assert load["http_requests"] == load["api_calls"]  # no retries
        assert set(load["breakdown"]) == {"listing_calls", "policy_check", "verify", "rest"}
        assert load["peak_rss_mb"] > 0


def test_the_naive_loop_makes_three_calls_per_policy(run):
    _, results, _ = run
    naive = results["sizes"][str(N)]["naive"]
    assert naive["sample"] == N and not naive["extrapolated"]
    assert naive["calls"] == {"kms.Verify": N, "ssm.GetParameter": 2 * N}
    assert naive["valid"] == N - 1 and naive["not_valid"] == 1  # the wrong-key policy fails with the TVM's key


def test_an_unchanged_refresh_reads_only_metadata_and_one_percent_rereads_only_those(run):
    _, results, _ = run
    refresh = results["sizes"][str(N)]["refresh"]
    unchanged, changed = refresh["unchanged"], refresh["changed"]
    assert unchanged["value_reads"] == 0
    assert set(unchanged["calls"]) <= {"ssm.DescribeParameters", "lambda.ListFunctions"}
    assert unchanged["calls"]["ssm.DescribeParameters"] <= 2 * (math.ceil(N / 50) + 1)
    assert changed["policies"] == 1 and changed["entries_updated"] == 1 and changed["picked_up"]
    assert changed["calls"]["ssm.GetParameters"] == math.ceil(2 * changed["policies"] / 10)
    assert "ssm.GetParametersByPath" not in changed["calls"] and "ssm.GetParameter" not in changed["calls"]


def test_the_headless_app_measurements_are_present(run):
    _, results, _ = run
    app = results["sizes"][str(N)].get("app")
    assert app is not None
    if "skipped" in app:
        pytest.skip(app["skipped"])
    assert app["rows"] == N
    assert app["first_rows_seconds"] is not None and app["complete_seconds"] is not None
    assert app["first_rows_seconds"] <= app["complete_seconds"]
    assert app["filter"]["samples_ms"] and app["filter"]["ok"]
    assert app["diff"]["lines"] == 4000 and app["diff"]["ok"]
    assert app["peak_rss_mb"] > 0


def test_aws_like_mode_shapes_the_calls_and_reports_the_floor(run):
    """AWS-like mode (latency and quotas injected at botocore's layer): measured side by side."""
    out, results, _ = run
    aws = results["sizes"][str(N)]["aws_like"]
    load = aws["load"]
    assert load["complete"] and load["statuses"] == load["expected_statuses"]
    assert load["aws_like"]["latency_seconds"] >= 0.02 * load["http_requests"]  # every attempt waited
    assert load["aws_like"]["quotas"]["ssm.read"] == 40
    floor = aws["floor"]
    assert floor["calls"] == {"ssm.GetParametersByPath": load["calls"]["ssm.GetParametersByPath"]}
    assert set(aws["metadata_floor"]["calls"]) == {"ssm.DescribeParameters"}
    assert aws["naive"]["valid"] == aws["naive"]["expected_valid"]
    text = out.read_text()
    assert "## AWS-like mode: latency and quotas" in text
    assert any(t["target"].startswith(f"AWS-like mode at N = {N}") for t in results["targets"])


def test_a_throttled_call_is_answered_as_aws_answers_it():
    """An empty token bucket answers ThrottlingException on the wire (HTTP 400), for botocore to parse and retry."""
    from benchmarks.awslike import AwsLike, TokenBucket

    bucket = TokenBucket(rate=2.0)
    assert [bucket.take() for _ in range(3)] == [True, True, False]
    shaping = AwsLike(latency_ms=(0.0, 0.0), quotas={"ssm.read": 0.001})
    shaping.buckets["ssm.read"].tokens = 0.0
    from botocore.awsrequest import AWSRequest

    answer = shaping._before_send(AWSRequest(method="POST", url="https://ssm.us-east-1.amazonaws.com/").prepare(),
                                  event_name="before-send.ssm.GetParametersByPath")
    assert answer is not None and answer.status_code == 400
    assert b"ThrottlingException" in answer.content
    assert shaping.throttled == {"ssm.GetParametersByPath": 1}
