"""What if: a request decided by a policy, and what the serving TVM does with it.

Composes ``core.evaluate`` (the decision, exactly as upstream) with the TVM's
configuration (``core.tvm``): the Lambda TVM always asks in server mode with its
own session table, takes the posture from MDM only when an MDM is configured,
and refuses only on ``deny``. Used by ``sentinel-tui policy eval`` and the app's
What-if tab.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SentinelError
from ..core.evaluate import (
    POSTURE_PRESETS,
    Decision,
    DevicePosture,
    Request,
    RequestError,
    RuleTrace,
    TvmView,
    explain,
    tvm_request,
    tvm_view,
)
from ..core.policy import Policy, format_go_duration
from ..core.tvm import TvmConfig
from . import remedies

if TYPE_CHECKING:  # the evaluator itself needs no AWS client
    from .context import Ops


@dataclass(frozen=True)
class WhatIf:
    policy: Policy
    request: Request
    decision: Decision
    trace: tuple[RuleTrace, ...]
    tvm: TvmConfig | None  # the serving TVM; None: none found, a Lambda TVM with defaults assumed
    tvm_request: Request
    tvm_decision: Decision
    tvm_trace: tuple[RuleTrace, ...]
    view: TvmView

    @property
    def tvm_label(self) -> str:
        if self.tvm is None:
            return "a Lambda TVM (none found serving it: no session table, no MDM assumed)"
        return f"TVM {self.tvm.source}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "request": self.request.to_json(),
            "decision": self.decision.to_json(),
            "trace": [_trace_json(t) for t in self.trace],
            "tvm": {
                "source": self.tvm.source if self.tvm is not None else None,
                "request": self.tvm_request.to_json(),
                "decision": self.tvm_decision.to_json(),
                **self.view.to_json(),
            },
        }

    def lines(self) -> list[str]:
        out = [f"Request: user {self.request.user!r}, profile {self.request.profile!r}, mode {self.request.mode!r}, "
               f"time {self.request.time_text()}"
               + (f", session table {self.request.session_table!r}" if self.request.session_table else "")
               + (", device posture given" if self.request.device is not None else ", no device posture")]
        out.append("")
        out.append(f"Decision: {describe(self.decision)}")
        out.extend(decision_lines(self.decision, indent="  "))
        out.append("")
        out.append("Rules tried (first match decides):")
        out.extend(trace_lines(self.trace, self.policy, indent="  "))
        out.append("")
        verb = "ISSUES credentials" if self.view.issues else "REFUSES"
        out.append(f"What the TVM does: {verb}  ({self.tvm_label}; it asks in mode server"
                   + (f", session table {self.tvm_request.session_table!r}" if self.tvm_request.session_table
                      else ", no session table")
                   + ")")
        if self.tvm_decision != self.decision:
            out.append(f"  as the TVM asks, the decision is: {describe(self.tvm_decision)}")
        for w in self.view.warnings:
            out.append(f"  WARNING: {w}")
        for n in self.view.notes:
            out.append(f"  note: {n}")
        if self.tvm is not None and self.request.device is not None and self.tvm_request.device is None:
            out.append("  note: the TVM has no MDM configured: it never has a device posture")
        return out


def _trace_json(t: RuleTrace) -> dict[str, Any]:
    return {"index": t.index, "rule": t.name, "matched": t.matched, "why_not": t.why_not or None}


def describe(decision: Decision) -> str:
    if decision.rule_index < 0:
        return "DENY (no matching rule)"
    return f"{decision.effect.upper() or '(empty effect)'} by rule '{decision.rule}' (index {decision.rule_index})"


def decision_lines(decision: Decision, indent: str = "") -> list[str]:
    out = []
    if decision.reason and decision.rule_index >= 0:
        out.append(f"{indent}reason: {decision.reason}")
    if decision.requires_server_mode:
        out.append(f"{indent}requires server mode (the rule is require_server*; this request is not in server mode)")
    if decision.requires_session_tracking:
        out.append(f"{indent}requires session tracking (server mode and a session table in the request)")
    if decision.max_server_duration:
        out.append(f"{indent}max_server_duration: {format_go_duration(decision.max_server_duration)}")
    if decision.session_table:
        out.append(f"{indent}session_table: {decision.session_table}")
    return out


def trace_lines(trace: tuple[RuleTrace, ...], policy: Policy | None = None, indent: str = "") -> list[str]:
    out = []
    if not trace:
        out.append(f"{indent}(the policy has no rules)")
    for t in trace:
        mark = "MATCH" if t.matched else "no   "
        effect = ""
        if policy is not None and t.index < len(policy.rules):
            effect = f" [{policy.rules[t.index].effect or 'empty effect'}]"
        line = f"{indent}{t.index:>2} {mark} {t.name or '(unnamed)'}{effect}"
        if not t.matched:
            line += f": {t.why_not}"
        out.append(line)
    if trace and not trace[-1].matched:
        out.append(f"{indent}   no rule matched: default deny")
    return out


def what_if(policy: Policy, request: Request, tvm: TvmConfig | None = None) -> WhatIf:
    decision, trace = explain(policy, request)
    session_table = tvm.session_table if tvm is not None else ""
    asked = tvm_request(request, session_table)
    if tvm is None or not tvm.mdm_provider or tvm.mdm_provider.lower() == "none":
        if tvm is not None:
            asked = replace(asked, device=None)
    tvm_decision, tvm_trace = explain(policy, asked)
    effect = policy.rules[tvm_decision.rule_index].effect if tvm_decision.rule_index >= 0 else None
    view = tvm_view(tvm_decision, rule_effect=effect, session_table=session_table)
    return WhatIf(policy, request, decision, trace, tvm, asked, tvm_decision, tvm_trace, view)


def read_posture(spec: str) -> DevicePosture | None:
    """``--device``: a preset name (``none``, ``managed-mac`` ...) or a JSON file of a posture."""
    if spec in POSTURE_PRESETS:
        return POSTURE_PRESETS[spec]
    path = Path(spec)
    if not path.exists():
        raise SentinelError(f"--device {spec}: no such file and not a preset.",
                            "Name a JSON posture file or a preset: " + ", ".join(POSTURE_PRESETS), kind="usage")
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SentinelError(f"--device {spec}: not a JSON posture ({exc}).",
                            "Write the upstream DevicePosture JSON: {\"os_type\": \"darwin\", \"disk_encrypted\": true, ...}",
                            kind="usage") from None
    if obj is None:
        return None
    try:
        return DevicePosture.from_json(obj)
    except RequestError as exc:
        raise SentinelError(f"--device {spec}: {exc}.", "Fix the posture file.", kind="usage") from None


def serving_tvm(tvms: tuple[TvmConfig, ...] | list[TvmConfig]) -> TvmConfig | None:
    return tvms[0] if tvms else None


@dataclass(frozen=True)
class StoredPolicy:
    """A stored policy's bytes and the TVMs serving it, for `policy eval --remote`."""

    path: str
    data: bytes
    tvms: tuple[TvmConfig, ...]
    note: str = ""  # set when the TVMs could not be listed: a Lambda TVM with defaults is assumed


def stored_policy(ops: Ops, name: str) -> StoredPolicy:
    """The policy NAME under the root and the TVMs serving it (SentinelError when none is stored).

    When the TVMs cannot be listed (whatever the reason) the policy is still returned, with
    no TVM and a note saying so: the decision does not need them.
    """
    from ..core.paths import policy_path

    path = policy_path(name, ops.settings.policy_root)
    param = ops.store.get(path)
    if param is None:
        raise SentinelError(f"No policy is stored at {path}.",
                            f"Check the name ({remedies.STATUS_COMMAND} lists them), or --policy-root.",
                            kind="not-found")
    try:
        tvms = ops.fleet.serving(path, ops.tvms.list())
    except SentinelError as exc:
        return StoredPolicy(path, param.data, (), note=f"the TVMs could not be listed ({exc.what}); a Lambda TVM "
                                                        "with defaults is assumed")
    return StoredPolicy(path, param.data, tvms)
