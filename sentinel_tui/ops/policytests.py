"""Policy tests: a file of requests and the decisions a policy must give them.

``NAME.tests.yaml`` sits next to ``NAME.yaml``::

    # optional: the TVM the expectations about "tvm" are judged with
    tvm: {session_table: sentinel-sessions, mdm: true}
    tests:
      - name: on-call needs an approver
        request:
          user: oncall-primary
          profile: production
          time: 2026-03-02 21:00 Europe/Berlin     # or RFC 3339
          mode: server                              # default: server (the TVM's)
          session_table: ""                         # default: none
          device: managed-mac                       # a preset, a posture mapping, or absent
        expect:
          effect: require_approval                  # the raw decision (policy.Evaluate)
          rule: prod-oncall-approval                # optional: the deciding rule
          tvm: issues                               # optional: what the Lambda TVM does
      - name: short form
        request: {user: dana, profile: production, time: "2026-03-07T12:00:00Z"}
        expect: deny

Run by ``sentinel-tui policy test POLICY [TESTS]`` (exit 0 all pass, 1 a failure,
2 the tests cannot be read), by the push flow before signing, and shown in the app.
A failure is shown with its "why not": every rule tried, and why the expected rule
did not decide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import SentinelError
from ..core.evaluate import (
    POSTURE_PRESETS,
    DevicePosture,
    Request,
    RequestError,
    RuleTrace,
    explain,
    parse_user_time,
    why_not,
)
from ..core.policy import Policy, PolicyError, parse_policy
from ..core.tvm import TvmConfig
from . import remedies
from .whatif import describe, trace_lines, what_if

TESTS_SUFFIX = ".tests.yaml"


class TestsError(SentinelError):
    """A tests file that cannot be read."""

    def __init__(self, what: str, fix: str = "") -> None:
        super().__init__(what, fix or f"Fix the tests file (its format is in `{remedies.test_help()}`).",
                         kind="validation")


@dataclass(frozen=True)
class PolicyTestCase:
    name: str
    request: Request
    effect: str | None
    rule: str | None = None
    tvm: str | None = None  # "issues" | "refuses"
    line: int | None = None


@dataclass(frozen=True)
class PolicyTestResult:
    case: PolicyTestCase
    passed: bool
    got: str  # describe(decision)
    problems: tuple[str, ...] = ()
    why: tuple[str, ...] = ()  # the "why not" lines


@dataclass
class PolicyTestReport:
    policy_label: str
    tests_label: str
    results: list[PolicyTestResult] = field(default_factory=list)
    policy_error: str | None = None  # the policy does not parse: the TVM denies everything

    @property
    def failed(self) -> list[PolicyTestResult]:
        return [r for r in self.results if not r.passed]

    @property
    def ok(self) -> bool:
        return self.policy_error is None and not self.failed

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def summary(self) -> str:
        if self.policy_error is not None:
            return f"the policy does not parse ({self.policy_error}): the TVM denies every request"
        passed = len(self.results) - len(self.failed)
        text = f"{passed} passed"
        if self.failed:
            text += f", {len(self.failed)} failed"
        return text

    def lines(self) -> list[str]:
        out = [f"{self.tests_label}: {len(self.results)} test{'s' if len(self.results) != 1 else ''} "
               f"against {self.policy_label}"]
        if self.policy_error is not None:
            out.append(f"  FAIL  {self.summary()}")
            return out
        for r in self.results:
            if r.passed:
                out.append(f"  pass  {r.case.name}")
                continue
            at = f" (line {r.case.line})" if r.case.line else ""
            out.append(f"  FAIL  {r.case.name}{at}: " + "; ".join(r.problems))
            out.append(f"        got: {r.got}")
            out.extend(f"        {line}" for line in r.why)
        out.append(self.summary())
        return out

    def as_dict(self) -> dict:
        return {
            "policy": self.policy_label, "tests": self.tests_label, "ok": self.ok,
            "policy_error": self.policy_error, "summary": self.summary(),
            "results": [{"name": r.case.name, "passed": r.passed, "got": r.got, "problems": list(r.problems),
                         "why_not": list(r.why), "line": r.case.line} for r in self.results],
        }


def tests_file_for(policy_file: str | Path) -> Path:
    p = Path(policy_file)
    name = p.name[:-5] if p.name.endswith(".yaml") else p.name[:-4] if p.name.endswith(".yml") else p.name
    return p.with_name(name + TESTS_SUFFIX)


# ---------------------------------------------------------------------------
# Reading


def _load_yaml(data: bytes, label: str) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(data, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise TestsError(f"{label}: not YAML ({' '.join(str(exc).split())}).") from None


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise TestsError(f"{where}: want text, got {value!r}.")
    return str(value)


def _time(value: Any, where: str) -> tuple[datetime, int]:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TestsError(f"{where}: {value} has no zone; add one (Z, +01:00 or Europe/Berlin).")
        return value, 0
    if isinstance(value, date):
        raise TestsError(f"{where}: {value} is a date; give a time too (2026-03-02 21:00 Europe/Berlin).")
    try:
        return parse_user_time(_text(value, where))
    except RequestError as exc:
        raise TestsError(f"{where}: {exc}.") from None


def _device(value: Any, where: str) -> DevicePosture | None:
    if value is None:
        return None
    if isinstance(value, str):
        if value not in POSTURE_PRESETS:
            raise TestsError(f"{where}: unknown posture preset {value!r}; presets: {', '.join(POSTURE_PRESETS)}.")
        return POSTURE_PRESETS[value]
    if isinstance(value, dict):
        try:
            return DevicePosture.from_json({str(k): v for k, v in value.items()})
        except RequestError as exc:
            raise TestsError(f"{where}: {exc}.") from None
    raise TestsError(f"{where}: a device is a preset name or a posture mapping, got {value!r}.")


def _lines_of(data: bytes) -> list[int]:
    """The line of each `- ` item under `tests:` (best effort, for messages)."""
    lines = []
    inside = False
    indent = None
    for number, raw in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        stripped = raw.lstrip()
        if raw.startswith("tests:"):
            inside = True
            continue
        if inside and stripped.startswith("- "):
            here = len(raw) - len(stripped)
            if indent is None:
                indent = here
            if here == indent:
                lines.append(number)
        elif inside and raw and not raw[0].isspace() and not raw.startswith("#") and not raw.startswith("-"):
            inside = False
    return lines


def parse_tests(data: bytes, label: str = "tests") -> tuple[list[PolicyTestCase], TvmConfig | None]:
    doc = _load_yaml(data, label)
    if not isinstance(doc, dict) or not isinstance(doc.get("tests"), list):
        raise TestsError(f"{label}: want a mapping with a `tests:` list.")
    tvm = None
    if doc.get("tvm") is not None:
        spec = doc["tvm"]
        if not isinstance(spec, dict):
            raise TestsError(f"{label}: tvm: want a mapping such as {{session_table: x, mdm: true}}.")
        tvm = TvmConfig(source=_text(spec.get("name"), "tvm.name") or "the tests' TVM", policy_parameter=None,
                        signing_key=None, enforce_raw=None, session_table=_text(spec.get("session_table"),
                                                                                 "tvm.session_table"),
                        mdm_provider="tests" if spec.get("mdm") else "")
    item_lines = _lines_of(data)
    cases = []
    for i, item in enumerate(doc["tests"]):
        where = f"{label}: test {i + 1}"
        line = item_lines[i] if i < len(item_lines) else None
        if not isinstance(item, dict):
            raise TestsError(f"{where}: want a mapping with request and expect.")
        name = _text(item.get("name"), f"{where}.name") or f"test {i + 1}"
        where = f"{label}: test {name!r}"
        req = item.get("request")
        if not isinstance(req, dict):
            raise TestsError(f"{where}: request: want a mapping (user, profile, time, mode, session_table, device).")
        unknown = set(map(str, req)) - {"user", "profile", "time", "mode", "session_table", "device"}
        if unknown:
            raise TestsError(f"{where}: request: unknown key(s) {', '.join(sorted(unknown))}.")
        if "time" not in req:
            raise TestsError(f"{where}: request.time is needed: a decision can depend on it.")
        when, nanos = _time(req["time"], f"{where}: request.time")
        request = Request(user=_text(req.get("user"), f"{where}: request.user"),
                          profile=_text(req.get("profile"), f"{where}: request.profile"),
                          time=when, nanosecond=nanos,
                          mode=_text(req["mode"], f"{where}: request.mode") if "mode" in req else "server",
                          session_table=_text(req.get("session_table"), f"{where}: request.session_table"),
                          device=_device(req.get("device"), f"{where}: request.device"))
        expect = item.get("expect")
        if isinstance(expect, str):
            expect = {"effect": expect}
        if not isinstance(expect, dict) or not expect:
            raise TestsError(f"{where}: expect: want an effect (expect: deny) or a mapping (effect, rule, tvm).")
        unknown = set(map(str, expect)) - {"effect", "rule", "tvm"}
        if unknown:
            raise TestsError(f"{where}: expect: unknown key(s) {', '.join(sorted(unknown))}.")
        tvm_expect = _text(expect.get("tvm"), f"{where}: expect.tvm") or None
        if tvm_expect not in (None, "issues", "refuses"):
            raise TestsError(f"{where}: expect.tvm is issues or refuses, not {tvm_expect!r}.")
        cases.append(PolicyTestCase(
            name=name, request=request,
            effect=_text(expect["effect"], f"{where}: expect.effect") if "effect" in expect else None,
            rule=_text(expect["rule"], f"{where}: expect.rule") if "rule" in expect else None,
            tvm=tvm_expect, line=line))
    return cases, tvm


# ---------------------------------------------------------------------------
# Running


def run_case(policy: Policy, case: PolicyTestCase, tvm: TvmConfig | None) -> PolicyTestResult:
    decision, trace = explain(policy, case.request)
    problems = []
    if case.effect is not None and decision.effect != case.effect:
        problems.append(f"expected effect {case.effect!r}, got {decision.effect!r}")
    if case.rule is not None and decision.rule != case.rule:
        problems.append(f"expected rule {case.rule!r}, got " + (repr(decision.rule) if decision.rule else "no rule"))
    view = None
    if case.tvm is not None:
        view = what_if(policy, case.request, tvm)
        if view.view.action != case.tvm:
            problems.append(f"expected the TVM to {case.tvm[:-1]}, it {view.view.action}")
    if not problems:
        return PolicyTestResult(case, True, describe(decision))
    why = trace_lines(trace, policy)
    if case.rule is not None and decision.rule != case.rule:
        why += _why_not_rule(policy, case, trace)
    if view is not None:
        why += [f"the TVM (mode server, session table {view.tvm_request.session_table!r}) decides: "
                f"{describe(view.tvm_decision)}"] + list(view.view.warnings)
    return PolicyTestResult(case, False, describe(decision), tuple(problems), tuple(why))


def _why_not_rule(policy: Policy, case: PolicyTestCase, trace: tuple[RuleTrace, ...]) -> list[str]:
    index = next((i for i, r in enumerate(policy.rules) if r.name == case.rule), None)
    if index is None:
        return [f"the policy has no rule named {case.rule!r}"]
    problem = why_not(policy.rules[index].conditions, case.request)
    if problem is not None:
        return [f"expected rule {case.rule!r} (index {index}) does not match: {problem}"]
    decided = trace[-1] if trace and trace[-1].matched else None
    if decided is not None and decided.index < index:
        return [f"expected rule {case.rule!r} (index {index}) matches, but rule '{decided.name}' "
                f"(index {decided.index}) comes first and decides"]
    return []


def run_tests(data: bytes, cases: list[PolicyTestCase], tvm: TvmConfig | None, *, policy_label: str,
              tests_label: str) -> PolicyTestReport:
    report = PolicyTestReport(policy_label, tests_label)
    try:
        policy = parse_policy(data)
    except PolicyError as exc:
        report.policy_error = str(exc)
        return report
    for case in cases:
        report.results.append(run_case(policy, case, tvm))
    return report


def run_policy_tests_file(policy_file: str | Path, tests_file: str | Path | None = None, *,
                          data: bytes | None = None, tvm: TvmConfig | None = None) -> PolicyTestReport:
    """``sentinel-tui policy test``: read both files (TestsError when the tests cannot be read)."""
    from ..fileio import read_policy_file

    tests_path = Path(tests_file) if tests_file else tests_file_for(policy_file)
    if not tests_path.is_file():
        raise SentinelError(f"{tests_path}: no such tests file.",
                            f"Write one next to the policy (NAME{TESTS_SUFFIX}); see `{remedies.test_help()}`.",
                            kind="not-found")
    if data is None:
        data = read_policy_file(policy_file)
    cases, file_tvm = parse_tests(tests_path.read_bytes(), str(tests_path))
    return run_tests(data, cases, file_tvm or tvm, policy_label=str(policy_file), tests_label=str(tests_path))


def tests_beside(policy_file: str | Path, data: bytes, tvm: TvmConfig | None = None) -> PolicyTestReport | None:
    """The tests next to a local policy file, run on ``data``; None when there is no tests file."""
    try:
        path = tests_file_for(policy_file)
        if not Path(policy_file).is_file() or not path.is_file():
            return None
    except (OSError, ValueError):
        return None
    return run_policy_tests_file(policy_file, path, data=data, tvm=tvm)


__all__ = ["TESTS_SUFFIX", "TestsError", "PolicyTestCase", "PolicyTestResult", "PolicyTestReport", "tests_file_for",
           "parse_tests", "run_case", "run_tests", "run_policy_tests_file", "tests_beside"]

# names that start with "test" are not pytest tests
for _obj in (TestsError, tests_file_for, tests_beside):
    _obj.__test__ = False  # type: ignore[attr-defined]
