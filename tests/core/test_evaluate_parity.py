"""The evaluator against upstream's own decisions.

tests/data/parity/eval holds policies, requests (one JSON line each) and the
decisions upstream's unchanged ``policy`` package (``ParsePolicy`` + ``Evaluate``)
gave for them, recorded by ``generate.py --record``. Both the core function and
``sentinel-tui policy eval --requests`` must give exactly those decisions; a
request Go could not read (its time, its posture) must be refused, not decided.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sentinel_tui.cli import main
from sentinel_tui.core.evaluate import Request, RequestError, evaluate, tvm_view
from sentinel_tui.core.policy import format_go_duration, parse_policy

DATA = Path(__file__).resolve().parents[1] / "data" / "parity" / "eval"
NAMES = sorted(p.stem for p in (DATA / "policies").glob("*.yaml"))
FIELDS = ("effect", "rule", "rule_index", "reason", "requires_server_mode", "requires_session_tracking",
          "max_server_duration", "session_table")


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _case(name: str) -> tuple[bytes, list[dict], list[dict]]:
    requests = _lines(DATA / "requests" / f"{name}.jsonl")
    expected = _lines(DATA / "expected" / f"{name}.jsonl")
    assert len(requests) == len(expected)
    return (DATA / "policies" / f"{name}.yaml").read_bytes(), requests, expected


def test_the_corpus_is_there_and_large():
    assert len(NAMES) >= 40
    total = sum(len(_case(n)[1]) for n in NAMES)
    assert total >= 5000
    refused = sum(1 for n in NAMES for e in _case(n)[2] if "input_error" in e)
    assert refused >= 100  # odd times and postures Go does not read
    handled = [e for n in NAMES for e in _case(n)[2] if "tvm_issues" in e]
    assert len(handled) >= 4000 and {e["tvm_issues"] for e in handled} == {True, False}


@pytest.mark.parametrize("name", NAMES)
def test_core_evaluate_matches_upstream(name):
    data, requests, expected = _case(name)
    policy = parse_policy(data)
    wrong = []
    for raw, want in zip(requests, expected):
        try:
            request = Request.from_json(raw)
        except RequestError as exc:
            if "input_error" not in want:
                wrong.append((raw, "refused: " + str(exc), want))
            continue
        if "input_error" in want:
            wrong.append((raw, "decided", want["input_error"]))
            continue
        decision = evaluate(policy, request)
        got = decision.to_json()
        if got != {k: want[k] for k in FIELDS}:
            wrong.append((raw, got, want))
        if "tvm_issues" in want:
            view = tvm_view(decision)
            # upstream's handler: only deny refuses; a positive max_server_duration caps the session
            duration = format_go_duration(view.duration_cap) if view.duration_cap else "15m0s"
            if "duration" in raw:  # a ?duration= query value: the handler's own business
                duration = want["tvm_duration"]
            if (view.issues, duration if view.issues else None) != (want["tvm_issues"], want["tvm_duration"]):
                wrong.append((raw, view, want))
    assert not wrong, "\n".join(map(repr, wrong[:5]))


@pytest.mark.parametrize("name", NAMES)
def test_policy_eval_requests_matches_upstream(name, capsys):
    _data, requests, expected = _case(name)
    code = main(["policy", "eval", str(DATA / "policies" / f"{name}.yaml"),
                 "--requests", str(DATA / "requests" / f"{name}.jsonl")])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == len(requests)
    any_refused = False
    for raw, want, got in zip(requests, expected, out):
        assert got["id"] == raw["id"]
        if "input_error" in want:
            any_refused = True
            assert "error" in got and "effect" not in got, raw
        else:
            assert got == {"id": raw["id"], **{k: want[k] for k in FIELDS}}, raw
    assert code == (2 if any_refused else 0)


@pytest.mark.parametrize("name", NAMES[:10])
def test_requests_round_trip_through_json(name):
    for raw in _case(name)[1]:
        try:
            request = Request.from_json(raw)
        except RequestError:
            continue
        again = Request.from_json(request.to_json())
        assert again == request, raw
