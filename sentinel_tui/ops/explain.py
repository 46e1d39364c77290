"""Explain a TVM log line or an error text: what it means, and its likely causes in this fleet.

`explain(text, snapshot)` is pure: it reads the text and, when given, the fleet
as last loaded (statuses, envelopes, TVM configurations); it makes no AWS call.
It recognises every error the Go TVM's verifying loader and its configuration
produce (SENTINEL_FORMATS.md section 4; policy/verifying_loader.go,
policy/parse.go, lambda/config.go), wrapped or not in the Lambda's
``ERROR: Failed to load policy: ...`` log line, and the KMS errors behind
``signature verification error for <path>: ...``.

One Go fact shapes the texts: policy/signer.go tells an invalid signature from
a KMS failure with a direct type assertion on ``*types.KMSInvalidSignatureException``,
not ``errors.As``. The AWS SDK for Go v2 wraps service errors (``operation error
KMS: Verify, https response error ...``), so on real AWS an invalid signature is
logged as ``signature verification error for <path>: operation error KMS: Verify,
... KMSInvalidSignatureException ...`` rather than ``<path>: policy signature
verification failed``. Both are recognised as the same verdict.

Causes are ranked with the fleet: the named policy's status, its envelope's key,
the keys and enforcement strings of the TVMs. Each cause carries the evidence
that moved it, a fix, and the fixing flow that applies.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Callable

from ..core.paths import DEFAULT_POLICY_ROOT, policy_name, policy_path_for_signature, signature_path
from ..core.status import Status
from ..core.tvm import CONFIG_ERROR_TEXT, ENV_ENFORCE, ENV_POLICY_PARAMETER, ENV_SIGNING_KEY, TvmConfig
from ..core.tvm import serving as tvms_serving
from .fleet import FleetEntry, FleetSnapshot
from . import remedies

RESIGN, PUSH, RESTORE, KEYSETUP, DOCTOR = "resign", "push", "restore", "keysetup", "doctor"

LIKELY, POSSIBLE, UNLIKELY = "likely", "possible", "unlikely"


@dataclass(frozen=True)
class Cause:
    cause: str
    score: float  # 0..1, higher is likelier for this fleet
    evidence: str = ""  # what in the fleet moved the score ("" when nothing did)
    fix: str = ""
    action: str | None = None

    @property
    def likelihood(self) -> str:
        return LIKELY if self.score >= 0.6 else POSSIBLE if self.score >= 0.25 else UNLIKELY

    def as_dict(self) -> dict:
        return {"cause": self.cause, "score": round(self.score, 2), "likelihood": self.likelihood,
                "evidence": self.evidence or None, "fix": self.fix or None, "action": self.action}


@dataclass
class Explanation:
    kind: str  # "verification-failed", "not-signed", ... or "unknown"
    title: str
    meaning: str
    causes: list[Cause] = field(default_factory=list)
    policy_path: str | None = None
    fixes: list[str] = field(default_factory=list)
    detail: str = ""  # what the embedded Go or AWS error says, in plain words
    code: str = ""  # the AWS error code inside the text, when there is one
    key: str | None = None  # a KMS key the text names
    tvm_effect: str = ""  # what the TVM does: "denies", "loads unverified", "does not start"
    fleet_note: str = ""  # how the fleet was used for ranking ("" when the named policy was found in it)
    root: str = DEFAULT_POLICY_ROOT

    @property
    def recognised(self) -> bool:
        return self.kind != "unknown"

    @property
    def policy_name(self) -> str | None:
        """The profile name to run the doctor on, when the text names a policy under the root."""
        if not self.policy_path:
            return None
        try:
            return policy_name(self.policy_path, self.root)
        except ValueError:
            return None

    @property
    def doctor_command(self) -> str | None:
        name = self.policy_name
        return remedies.doctor(name) if name else None

    def lines(self) -> list[str]:
        out = [f"{self.title}", "", f"Meaning: {self.meaning}"]
        if self.detail:
            out.append(f"Detail: {self.detail}")
        if self.tvm_effect:
            out.append(f"The TVM: {self.tvm_effect}")
        if self.policy_path:
            out.append(f"Policy: {self.policy_path}")
        if self.causes:
            out += ["", "Likely causes, for this fleet as it stands:"]
            if self.fleet_note:
                out.append(f"  ({self.fleet_note})")
            for i, c in enumerate(self.causes, 1):
                out.append(f"  {i}. [{c.likelihood}] {c.cause}")
                if c.evidence:
                    out.append(f"     evidence: {c.evidence}")
                if c.fix:
                    out.append(f"     fix: {c.fix}")
        if self.doctor_command:
            out += ["", f"Run the doctor on it: {self.doctor_command}"]
        return out

    def as_dict(self) -> dict:
        return {"kind": self.kind, "recognised": self.recognised, "title": self.title, "meaning": self.meaning,
                "detail": self.detail or None, "tvm": self.tvm_effect or None, "policy_path": self.policy_path,
                "policy_name": self.policy_name, "key": self.key, "fleet_note": self.fleet_note or None,
                "causes": [c.as_dict() for c in self.causes], "fixes": list(self.fixes),
                "doctor": self.doctor_command}


# -- the fleet as evidence ---------------------------------------------------------------------


class _Fleet:
    def __init__(self, snapshot: FleetSnapshot | None, path: str | None):
        self.snapshot = snapshot
        self.path = path
        self.entry: FleetEntry | None = None
        if snapshot is not None and path:
            self.entry = snapshot.entries.get(path)

    @property
    def loaded(self) -> bool:
        return self.snapshot is not None

    @property
    def status(self) -> Status | None:
        return self.entry.status if self.entry else None

    @property
    def envelope_key(self) -> str | None:
        a = self.entry.assessment if self.entry else None
        return a.envelope.key_id if a and a.envelope else None

    @property
    def reason(self) -> str:
        a = self.entry.assessment if self.entry else None
        return a.reason if a else ""

    def tvms(self) -> list[TvmConfig]:
        if self.snapshot is None:
            return []
        if self.path:
            serving = list(tvms_serving(self.path, self.snapshot.tvms))
            if serving:
                return serving
        return list(self.snapshot.tvms)

    def serving(self) -> list[TvmConfig]:
        if self.snapshot is None or not self.path:
            return []
        return list(tvms_serving(self.path, self.snapshot.tvms))

    def count(self, *statuses: Status) -> list[FleetEntry]:
        if self.snapshot is None:
            return []
        return [e for e in self.snapshot.entries.values() if e.status in statuses]

    def about(self) -> str:
        """'<name> is stale: <reason>' for evidence texts."""
        if self.entry is None:
            return ""
        return f"{self.entry.name} is {self.status}: {self.reason}" if self.status else ""

    def names(self, entries: list[FleetEntry], limit: int = 4) -> str:
        shown = ", ".join(e.name for e in entries[:limit])
        return shown + (f" and {len(entries) - limit} more" if len(entries) > limit else "")


# A candidate: (cause, prior, scorer(fleet) -> (score or None to keep the prior, evidence), fix, action)
Scorer = Callable[[_Fleet], tuple[float | None, str]]


def _status_is(*statuses: Status, hit: float = 0.95, miss: float = 0.1) -> Scorer:
    def score(f: _Fleet) -> tuple[float | None, str]:
        if not f.loaded or f.entry is None or f.status is None:
            return None, ""
        if f.status in statuses:
            return hit, f"fleet: {f.about()}"
        return miss, f"fleet: {f.entry.name} is {f.status}, not {'/'.join(map(str, statuses))}"
    return score


def _none(_: _Fleet) -> tuple[float | None, str]:
    return None, ""


def _rank(fleet: _Fleet, candidates: list[tuple[str, float, Scorer, str, str | None]]) -> list[Cause]:
    causes = []
    for order, (text, prior, scorer, fix, action) in enumerate(candidates):
        score, evidence = scorer(fleet)
        causes.append((-(prior if score is None else score), order,
                       Cause(text, prior if score is None else score, evidence, fix, action)))
    causes.sort(key=lambda t: (t[0], t[1]))
    return [c for _, _, c in causes]


# -- recognising the text ----------------------------------------------------------------------

_PATH = r"(?P<path>/[A-Za-z0-9_.\-/]+)"
_KEY = re.compile(r"(arn:aws[a-z\-]*:kms:[a-z0-9\-]+:\d{12}:(?:key|alias)/[A-Za-z0-9/_\-]+|alias/[A-Za-z0-9/_\-]+"
                  r"|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b)")


@dataclass(frozen=True)
class _Match:
    kind: str
    path: str | None
    rest: str


_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("config-error", re.compile(re.escape(CONFIG_ERROR_TEXT))),
    ("not-signed", re.compile(_PATH + r":\s*policy not signed \(signature enforcement enabled\)")),
    ("not-signed", re.compile(r"policy not signed \(signature enforcement enabled\)()")),
    ("unsigned-warning", re.compile(r"policy " + _PATH + r" has no signature, loading without verification")),
    ("unsigned-warning", re.compile(r"has no signature, loading without verification()")),
    ("signature-missing", re.compile(r"policy signature missing()")),
    ("load-signature", re.compile(r"failed to load signature for " + _PATH + r":\s*(?P<rest>.*)", re.S)),
    ("parse-signature", re.compile(r"failed to parse signature for " + _PATH + r":\s*(?P<rest>.*)", re.S)),
    ("verification-error", re.compile(r"signature verification error for " + _PATH + r":\s*(?P<rest>.*)", re.S)),
    ("verification-failed", re.compile(_PATH + r":\s*policy signature verification failed")),
    ("verification-failed", re.compile(r"policy signature verification failed()")),
    ("verification-failed", re.compile(r"Signature invalid: policy content does not match signature()")),
    ("policy-not-found", re.compile(_PATH + r":\s*policy not found")),
    ("empty-policy", re.compile(r"(?<![\w-])empty policy\b()")),
    ("missing-version", re.compile(r"missing version field()")),
    ("yaml", re.compile(r"\byaml: (?P<rest>.*)", re.S)),
    # bare AWS errors, as an operator may paste them from a console or another tool
    ("kms-error", re.compile(r"(?P<rest>.*\b(?:AccessDeniedException|AccessDenied|DisabledException|"
                             r"KMSInvalidStateException|NotFoundException|InvalidKeyUsageException|"
                             r"KMSInvalidSignatureException)\b.*)", re.S)),
]


def _recognise(text: str) -> _Match | None:
    for kind, pattern in _PATTERNS:
        m = pattern.search(text)
        if m:
            groups = m.groupdict()
            path = groups.get("path") or None
            if path:
                path = path.rstrip(".,;")
            return _Match(kind, path, (groups.get("rest") or "").strip())
    return None


def _named_path(text: str, root: str) -> str | None:
    """Any policy path the text names, or the policy of a signature path it names."""
    for m in re.finditer(_PATH, text):
        path = m.group("path").rstrip(".,;")
        if path.startswith(root + "/"):
            return path
        if path.startswith("/sentinel/signatures/"):
            target = policy_path_for_signature(path, root)
            if target:
                return target
    return None


def _aws_code(rest: str) -> str:
    for code in ("KMSInvalidSignatureException", "AccessDeniedException", "DisabledException",
                 "KMSInvalidStateException", "NotFoundException", "InvalidKeyUsageException",
                 "ValidationException", "ThrottlingException", "KMSInternalException",
                 "KeyUnavailableException", "DependencyTimeoutException", "UnrecognizedClientException",
                 "ExpiredTokenException", "ParameterNotFound", "AccessDenied"):
        if code in rest:
            return code
    if re.search(r"is not authorized to perform|not authorized|explicit deny", rest, re.I):
        return "AccessDeniedException"
    if re.search(r"rate exceeded|throttl", rest, re.I):
        return "ThrottlingException"
    if re.search(r"dial tcp|i/o timeout|no such host|connection (?:refused|reset)|context deadline exceeded",
                 rest, re.I):
        return "network"
    return ""


def _iam_action(text: str) -> str | None:
    m = re.search(r"\b(kms|ssm):([A-Za-z]+)", text)
    return f"{m.group(1)}:{m.group(2)}" if m else None


# -- the explanations ----------------------------------------------------------------------------


def _name(fleet: _Fleet) -> str:
    return fleet.entry.name if fleet.entry is not None else "NAME"


def _resign(fleet: _Fleet) -> str:
    keys = sorted({t.signing_key for t in fleet.serving() if t.signing_key})
    key = keys[0] if len(keys) == 1 else None
    return f"Sign the stored policy once reviewed: {remedies.resign(_name(fleet), key)} (the re-sign flow)."


def _verification_failed(fleet: _Fleet, m: _Match, wrapped: bool) -> tuple[str, str, list[Cause], str]:
    meaning = ("The TVM read the policy and its signature and asked KMS to verify them with its own key "
               f"({ENV_SIGNING_KEY}, never the envelope's key_id). KMS said the signature does not match the "
               "policy's exact bytes, so the TVM denies every request until the pair matches.")
    detail = ""
    if wrapped:
        detail = ("KMS answered KMSInvalidSignatureException. The Go TVM (policy/signer.go) checks for it with a "
                  "type assertion, which the AWS SDK v2's wrapped errors defeat, so on AWS an invalid signature is "
                  "logged as a 'signature verification error' instead of 'policy signature verification failed': "
                  "the verdict is the same (invalid), not a KMS outage.")

    def wrong_key(f: _Fleet) -> tuple[float | None, str]:
        base, ev = _status_is(Status.WRONG_KEY, miss=0.08)(f)
        if f.entry is not None and f.status is Status.WRONG_KEY:
            return base, ev
        keys = {t.signing_key for t in f.serving() if t.signing_key}
        env_key = f.envelope_key
        if env_key and keys and env_key not in keys and f.status is not Status.VALID:
            return 0.6, f"fleet: the envelope names {env_key}; the TVM uses {', '.join(sorted(keys))}"
        return base, ev

    def fixed_since(f: _Fleet) -> tuple[float | None, str]:
        if f.entry is None or f.status is None:
            return None, ""
        if f.status is Status.VALID:
            return 0.8, (f"fleet: {f.entry.name} verifies now ({f.reason}): it was fixed after the log line, or "
                         "the TVM uses another key than the one it is judged with here")
        return 0.02, ""

    def now_failing_otherwise(f: _Fleet) -> tuple[float | None, str]:
        # the text is about verification, but the policy now fails for another reason: say so, first
        if f.entry is None or f.status is None or f.status in (Status.VALID, Status.STALE, Status.WRONG_KEY,
                                                                Status.INVALID):
            return None, ""
        return 0.85, (f"fleet: {f.entry.name} is {f.status} now ({f.reason}): what the TVM reports for it "
                      f"today is that, not a signature mismatch")

    def tvm_key_differs(f: _Fleet) -> tuple[float | None, str]:
        serving = f.serving()
        keys = {t.signing_key for t in serving if t.signing_key}
        if len(keys) > 1:
            return 0.7, f"fleet: the TVMs serving it use different keys: {', '.join(sorted(keys))}"
        return None, ""

    candidates = [
        ("The policy was edited after it was signed (a push without --sign, a console edit, a re-formatted "
         "file): policy_hash no longer matches the bytes.", 0.45, _status_is(Status.STALE),
         f"Review the change in the history; re-sign it if it is wanted ({remedies.resign(_name(fleet))}), "
         f"or restore the signed version ({remedies.restore(_name(fleet))}).", RESIGN),
        ("It was signed with another key than the TVM's (a rotated key, another account or region, an alias "
         "pointed elsewhere).", 0.3, wrong_key,
         "Re-sign with the TVM's key, or point the TVM's SENTINEL_POLICY_SIGNING_KEY at the signing key after "
         "checking the fleet with the key rotation view.", RESIGN),
        ("The signature was made over other bytes or altered (copied from another policy, hand-edited): the hash "
         "matches but the cryptography does not. Treat it as tampering until explained.", 0.15,
         _status_is(Status.INVALID),
         f"Find out who wrote the signature (the history), review the policy, then re-sign it: "
         f"{remedies.resign(_name(fleet))}.", RESIGN),
        ("TVMs serving this policy verify with different keys, so one signature cannot satisfy them all.", 0.05,
         tvm_key_differs, "Point every TVM serving the policy at the same key.", None),
        ("It has been fixed since the log line (failed loads are not cached; a good load is cached for 30 s).",
         0.03, fixed_since, "Run the doctor to confirm; nothing to do if it passes.", DOCTOR),
        ("The policy changed since the log line and now fails for another reason (its current status): fix "
         "that first; the signature can only match once the policy itself is sound.", 0.0, now_failing_otherwise,
         f"Run the doctor on it ({remedies.doctor(_name(fleet))}): it names the check that fails now "
         "and its fix.", DOCTOR),
    ]
    return "The signature does not verify with the TVM's key", meaning, _rank(fleet, candidates), detail


def _not_signed(fleet: _Fleet, m: _Match, enforcing: bool) -> tuple[str, str, list[Cause], str]:
    sig = signature_path(m.path) if m.path else "the derived signature parameter"
    if enforcing:
        title = "Unsigned policy, and the TVM enforces signatures"
        meaning = (f"The TVM has a signing key and enforces signatures, and there is no parameter at {sig}. "
                   "It denies every request until the policy is signed.")
    else:
        title = "Unsigned policy loaded without verification (a warning)"
        meaning = (f"The TVM has a signing key but does not enforce signatures, and there is no parameter at "
                   f"{sig}: it serves the policy unverified and only logs this warning. Anyone who can write the "
                   "policy parameter can change what the TVM allows.")

    def custom_root(f: _Fleet) -> tuple[float | None, str]:
        if f.snapshot is not None and f.snapshot.root != DEFAULT_POLICY_ROOT:
            return 0.35, (f"fleet: the policy root is {f.snapshot.root}, so signatures live under "
                          f"/sentinel/signatures{f.snapshot.root}/…, not /sentinel/signatures/…")
        return None, ""

    def enforcement_off(f: _Fleet) -> tuple[float | None, str]:
        off = [t for t in f.serving() or f.tvms() if t.verifies and not t.enforcing]
        if off:
            raw = ", ".join(f"{t.source}: {ENV_ENFORCE}={t.enforce_raw!r}" for t in off)
            note = " (only the exact string 'true' turns it on)" if any(t.enforcement_note for t in off) else ""
            return 0.9, f"fleet: {raw}{note}"
        return (0.1, "fleet: the TVMs serving it enforce") if f.serving() else (None, "")

    candidates = [
        ("It was never signed: pushed without --sign, or created in the console or by a pipeline that does "
         "not sign.", 0.6, _status_is(Status.UNSIGNED, Status.TOO_LARGE, hit=0.9, miss=0.15),
         _resign(fleet), RESIGN),
        ("It is over 4,096 bytes, so it could not be signed in RAW mode (the Go CLI pushes it anyway, then "
         "fails to sign).", 0.1, _status_is(Status.TOO_LARGE, hit=0.95, miss=0.03),
         "Shorten it to 4,096 bytes or fewer, then push it signed.", PUSH),
        ("The signature was written to another path: with a custom policy root the TVM looks under "
         "/sentinel/signatures/<root without its leading slash>/<name>.", 0.1, custom_root,
         f"Write the signature at {sig} (sentinel-tui and the Go CLI derive it the same way).", RESIGN),
        ("The signature parameter was deleted.", 0.1, _none,
         "Check the CloudTrail DeleteParameter events, then re-sign the policy.", RESIGN),
    ]
    if not enforcing:
        candidates.insert(0, ("Enforcement is off: SENTINEL_ENFORCE_POLICY_SIGNING is set to something other "
                              "than exactly 'true' (e.g. '1', 'TRUE', 'false').", 0.5, enforcement_off,
                              f"Sign the policy, then set {ENV_ENFORCE}=true on the TVM.", RESIGN))
    return title, meaning, _rank(fleet, candidates), ""


def _load_signature(fleet: _Fleet, m: _Match) -> tuple[str, str, list[Cause], str]:
    sig = signature_path(m.path) if m.path else "the signature parameter"
    meaning = (f"The TVM could not read {sig} for a reason other than 'it does not exist', so it denies "
               "the request (a missing signature would have been 'policy not signed').")
    code = _aws_code(m.rest)
    action = _iam_action(m.rest)
    detail = f"the SSM error: {m.rest}" if m.rest else ""
    candidates = [
        ("The TVM's execution role may not read the signature: ssm:GetParameter on /sentinel/signatures/* is "
         "missing (it often has it only on the policy root).", 0.5,
         lambda f: ((0.9, f"the error is {code} on {action or 'ssm:GetParameter'}") if code.startswith("AccessDenied")
                    and (action or "ssm:GetParameter").startswith("ssm") else (None, "")),
         "Grant ssm:GetParameter on arn:aws:ssm:REGION:ACCOUNT:parameter/sentinel/signatures/* to the TVM's role.",
         KEYSETUP),
        ("The signature is a SecureString and the TVM's role may not decrypt it (kms:Decrypt on its key).", 0.15,
         lambda f: (0.85, "the error names kms:Decrypt") if "kms:Decrypt" in m.rest else (None, ""),
         "Store signatures as String (as the Go CLI and sentinel-tui write them), or grant kms:Decrypt.", RESIGN),
        ("SSM throttled the TVM, or the network path to SSM failed (VPC endpoint, DNS).", 0.15,
         lambda f: (0.85, f"the error is {code}") if code in ("ThrottlingException", "network") else (None, ""),
         "Retry; check the VPC endpoint for SSM and the function's timeout.", None),
    ]
    return "The TVM could not read the signature", meaning, _rank(fleet, candidates), detail


_GO_JSON_READINGS = [
    # Go >= 1.20 quotes the bare value; older releases quoted the JSON string, quotes included
    (re.compile(r'parsing time .*cannot parse "(?:|\\")" as "Z07:00"'),
     "signed_at has no time zone: Go's time.Time needs RFC 3339 with Z or +hh:mm (e.g. 2026-01-26T10:30:00Z)",
     "it was written by a tool other than the Go CLI or sentinel-tui (Python's datetime.isoformat() on a naive "
     "time writes no zone), or edited by hand"),
    (re.compile(r"parsing time .* as \"?2006-01-02T15:04:05Z07:00\"?"),
     "signed_at is not an RFC 3339 time with a zone",
     "it was written by a tool other than the Go CLI or sentinel-tui, or edited by hand"),
    (re.compile(r"Time\.UnmarshalJSON: input is not a JSON string"),
     "signed_at is not a JSON string (a number or an object)", "it was written by another tool"),
    (re.compile(r"illegal base64 data at input byte (?P<n>\d+)"),
     "the signature is not standard base64 with '=' padding (URL-safe '-' or '_', missing padding, or cut short)",
     "it was written by another tool (URL-safe base64 or unpadded), or truncated by a copy"),
    (re.compile(r"unexpected end of JSON input"),
     "the envelope is cut short: the JSON ends early", "the value was truncated by a copy or a script"),
    (re.compile(r"invalid character .* (?:looking for beginning of value|after top-level value)"),
     "the parameter does not hold a JSON envelope (perhaps the bare base64 signature, or YAML)",
     "the raw KMS signature was stored instead of the envelope, or another document was written there"),
    (re.compile(r"invalid character"), "the envelope is not valid JSON", "it was edited by hand"),
    (re.compile(r"json: cannot unmarshal (?P<what>\w+) into Go (?:struct field|value of type) (?P<field>[\w.\[\]]+)"),
     "a field of the envelope has the wrong JSON type", "it was written by another tool, or edited by hand"),
]


def _parse_signature(fleet: _Fleet, m: _Match) -> tuple[str, str, list[Cause], str]:
    meaning = ("The TVM could not read the signature envelope with Go's json.Unmarshal, so it denies every "
               "request: a malformed envelope is never skipped.")
    detail, why = "", "it was written by a tool other than the Go CLI or sentinel-tui, or edited by hand"
    for pattern, reading, cause in _GO_JSON_READINGS:
        if pattern.search(m.rest):
            detail, why = reading, cause
            break

    def malformed(f: _Fleet) -> tuple[float | None, str]:
        if f.entry is None or f.status is None:
            return None, ""
        if f.status is Status.MALFORMED:
            return 0.95, f"fleet: {f.about()}"
        return 0.3, (f"fleet: {f.entry.name} is {f.status} now: its envelope parses, so it was re-written after "
                     "the log line")

    candidates = [
        (f"The envelope is malformed: {why}.", 0.8, malformed, _resign(fleet) + " sentinel-tui writes envelopes "
         "exactly as Go writes them.", RESIGN),
        ("A writer without Go's formatting rules replaced a good envelope (a script, a console edit).", 0.2,
         _none, "Find the writer in the signature's history (LastModifiedUser), then re-sign.", RESIGN),
    ]
    return "The signature envelope does not parse", meaning, _rank(fleet, candidates), detail


def _kms_error(fleet: _Fleet, m: _Match, code: str, text: str) -> tuple[str, str, list[Cause], str]:
    key = _KEY.search(text)
    key_text = key.group(1) if key else None
    keys = sorted({t.signing_key for t in fleet.tvms() if t.signing_key})
    tvm_key = key_text or (keys[0] if len(keys) == 1 else "the TVM's key")
    using = [e for e in fleet.count(Status.VALID)]
    if code.startswith("AccessDenied") and (_iam_action(text) or "").startswith("ssm:"):
        action = _iam_action(text)
        what = "the policy" if not m.path or "/sentinel/signatures/" not in text else "the signature"
        meaning = (f"SSM refused {action} to the caller (for the TVM: its execution role): it cannot read "
                   f"{what}, so every request fails.")
        candidates = [
            (f"The TVM's role has no {action} on the policy root or on /sentinel/signatures/*.", 0.7, _none,
             f"Grant {action} on arn:aws:ssm:REGION:ACCOUNT:parameter{fleet.snapshot.root if fleet.snapshot else DEFAULT_POLICY_ROOT}/* "
             f"and on parameter/sentinel/signatures/* ({remedies.KEYS_SETUP_COMMAND} shows the verifier policy).", KEYSETUP),
            ("The parameter is a SecureString and the role may not use kms:Decrypt on its key.", 0.2,
             lambda f: (0.8, "the error names kms:Decrypt") if "kms:Decrypt" in text else (None, ""),
             "Grant kms:Decrypt on the parameter's key, or store it as String.", None),
        ]
        return f"{action} denied", meaning, _rank(fleet, candidates), ""
    if code.startswith("AccessDenied"):
        action = _iam_action(text) or "kms:Verify"
        explicit = "explicit deny" in text.lower()
        meaning = (f"KMS refused {action} to the caller (for the TVM: its execution role) on {tvm_key}. The "
                   "TVM cannot check any signature with that key and denies every request.")

        def others_fine(f: _Fleet) -> tuple[float | None, str]:
            if using:
                return 0.8, (f"fleet: {len(using)} policies verify with the same key from here "
                             f"({f.names(using)}): the key is fine, the TVM role's permissions are not")
            return None, ""

        candidates = [
            (f"The TVM's execution role has no IAM policy allowing {action} on the key.", 0.5, others_fine,
             f"Attach the verifier policy ({remedies.KEYS_SETUP_COMMAND} shows it): Allow {action}, kms:DescribeKey on "
             "the key ARN, to the TVM's role.", KEYSETUP),
            ("The key policy does not let IAM grant access (no 'Enable IAM User Permissions' statement) or does "
             "not name the TVM's role; a key in another account needs both.", 0.3, _none,
             "Add the role to the key policy, or the account root statement that delegates to IAM.", KEYSETUP),
            ("An explicit Deny (SCP, permissions boundary, key policy) blocks it.", 0.08,
             lambda f: (0.9, "the error says 'explicit deny'") if explicit else (None, ""),
             "Find the Deny named in the error and ask its owner; an Allow does not override it.", None),
        ]
        if action == "kms:Sign":
            meaning = (f"KMS refused kms:Sign on {tvm_key}: this principal cannot sign policies. (The Go CLI's "
                       "push writes the policy before it signs, so a refused Sign there leaves an unsigned policy "
                       "live.)")
            candidates[0] = ("The signer (CI role or operator) has no kms:Sign on the key.", 0.6, _none,
                             f"Attach the signer policy ({remedies.KEYS_SETUP_COMMAND} shows it): Allow kms:Sign, "
                             "kms:GetPublicKey, kms:DescribeKey on the key ARN.", KEYSETUP)
        return f"{action} denied", meaning, _rank(fleet, candidates), ""
    if code == "DisabledException":
        meaning = f"The KMS key {tvm_key} is disabled: KMS refuses every Sign and Verify, so the TVM denies every request."
        candidates = [
            ("The key was disabled on purpose, as a step of a key rotation, before every policy and TVM moved "
             "to the new key.", 0.5, _none,
             "Re-sign the policies with the new key and point the TVMs at it (key rotation view), or enable the "
             "old key again meanwhile: aws kms enable-key --key-id KEY.", KEYSETUP),
            ("The key was disabled by mistake.", 0.4, _none, "aws kms enable-key --key-id KEY", None),
        ]
        return "The signing key is disabled", meaning, _rank(fleet, candidates), ""
    if code == "KMSInvalidStateException":
        pending = "pending deletion" in text.lower() or "PendingDeletion" in text
        meaning = (f"The KMS key {tvm_key} is not in a usable state"
                   + (" (pending deletion)" if pending else "") + ": KMS refuses Verify, so the TVM denies every request.")
        candidates = [
            ("The key is scheduled for deletion (a clean-up or a rotation that went too far).", 0.7 if pending else 0.4,
             _none, "aws kms cancel-key-deletion --key-id KEY, then aws kms enable-key --key-id KEY; once deleted, "
             "a key cannot be recovered and every signature made with it is void.", None),
            ("The key is an imported-material key whose material expired, or is pending import.", 0.1, _none,
             "Re-import the key material, or move to a new key.", KEYSETUP),
        ]
        return "The signing key is in an unusable state", meaning, _rank(fleet, candidates), ""
    if code == "NotFoundException":
        meaning = (f"KMS has no key {tvm_key} where the TVM looked (aliases and keys belong to one account and "
                   "one region): the TVM cannot verify and denies every request.")

        def typo(f: _Fleet) -> tuple[float | None, str]:
            if key_text and keys and key_text not in keys:
                return 0.5, f"fleet: the TVMs use {', '.join(keys)}"
            return None, ""

        candidates = [
            (f"The TVM's {ENV_SIGNING_KEY} names an alias or key that does not exist (a typo, or a deleted alias).",
             0.45, typo, f"Set {ENV_SIGNING_KEY} to an existing key ARN (aws kms list-aliases), or create the key: "
             f"{remedies.KEYS_SETUP_COMMAND}.", KEYSETUP),
            ("The key lives in another region or account than the TVM (an alias resolves only in its own "
             "region).", 0.35, _none, f"Use the full key ARN in {ENV_SIGNING_KEY}, or create the key in the "
             "TVM's region.", KEYSETUP),
        ]
        return "The signing key was not found", meaning, _rank(fleet, candidates), ""
    if code == "InvalidKeyUsageException":
        meaning = (f"{tvm_key} is not a SIGN_VERIFY key (a symmetric or ENCRYPT_DECRYPT key): KMS cannot verify "
                   "with it.")
        candidates = [("The TVM is pointed at an encryption key, not the asymmetric signing key.", 0.8, _none,
                       f"Create an RSA_4096 SIGN_VERIFY key ({remedies.KEYS_SETUP_COMMAND}), sign with it, and point the "
                       "TVM at it.", KEYSETUP)]
        return "The key cannot verify signatures", meaning, candidates, ""
    if code == "ValidationException":
        meaning = "KMS rejected the Verify request: for a policy this is almost always a message over 4,096 bytes."
        candidates = _rank(fleet, [
            ("The policy is over 4,096 bytes: KMS verifies at most 4,096 bytes in RAW mode.", 0.7,
             _status_is(Status.TOO_LARGE), "Shorten it to 4,096 bytes or fewer, then push it signed.", PUSH)])
        return "KMS rejected the request", meaning, candidates, ""
    if code == "KMSInvalidSignatureException":
        return _verification_failed(fleet, m, wrapped=True)
    if code in ("ThrottlingException", "KMSInternalException", "KeyUnavailableException",
                "DependencyTimeoutException", "network"):
        meaning = "KMS could not answer (throttled, unavailable or unreachable): a transient failure, not a verdict."
        candidates = [("KMS throttling or an outage, or no network path to KMS (VPC endpoint, DNS).", 0.8, _none,
                       "Retry; check the function's VPC endpoint for KMS and the KMS request quota.", None)]
        return "KMS could not be reached", meaning, candidates, ""
    meaning = "KMS returned an error while the TVM verified the signature: the TVM denies the request."
    return "KMS error during verification", meaning, [
        Cause("See the KMS error in the text.", 0.3, "", "Run the doctor on the policy.", DOCTOR)], ""


def _not_found(fleet: _Fleet, m: _Match) -> tuple[str, str, list[Cause], str]:
    meaning = (f"The TVM's {ENV_POLICY_PARAMETER} names a parameter that does not exist in its account and "
               "region: every request fails.")

    def orphan(f: _Fleet) -> tuple[float | None, str]:
        if f.status is Status.ORPHAN:
            return 0.9, f"fleet: {f.about()}"
        if f.entry is not None and f.entry.policy is not None:
            return 0.1, f"fleet: {f.entry.name} exists now (version {f.entry.policy.version})"
        return None, ""

    def typo(f: _Fleet) -> tuple[float | None, str]:
        if f.snapshot is None or not m.path:
            return None, ""
        if f.entry is not None and f.entry.policy is not None:
            return 0.05, ""
        paths = [p for p, e in f.snapshot.entries.items() if e.policy is not None]
        close = difflib.get_close_matches(m.path, paths, n=3, cutoff=0.75)
        if close:
            return 0.85, f"fleet: similar policies exist: {', '.join(close)}"
        return None, ""

    candidates = [
        ("The policy was deleted (its signature is still there).", 0.35, orphan,
         "Push it again, or retire the TVM and delete the leftover signature.", PUSH),
        (f"{ENV_POLICY_PARAMETER} has a typo or the wrong root.", 0.35, typo,
         f"Correct {ENV_POLICY_PARAMETER} on the TVM.", None),
        ("The TVM runs in another account or region than the policy.", 0.2, _none,
         "Create the policy where the TVM runs, or deploy the TVM where the policy is.", PUSH),
    ]
    return "Policy not found", meaning, _rank(fleet, candidates), ""


def _config_error(fleet: _Fleet, m: _Match) -> tuple[str, str, list[Cause], str]:
    meaning = (f"The TVM's Lambda refuses to start: {ENV_ENFORCE}=true asks for enforcement, but "
               f"{ENV_SIGNING_KEY} is empty, so there is no key to verify with. Every invocation fails.")

    def broken(f: _Fleet) -> tuple[float | None, str]:
        bad = [t.source for t in f.tvms() if t.config_error]
        if bad:
            return 0.95, f"fleet: {', '.join(bad)} ha{'ve' if len(bad) > 1 else 's'} this configuration"
        return None, ""

    candidates = [
        (f"{ENV_SIGNING_KEY} was left out (or emptied) when {ENV_ENFORCE}=true was set.", 0.8, broken,
         f"Set {ENV_SIGNING_KEY} to the signing key's ARN on the function (aws lambda update-function-configuration "
         "replaces the whole environment: list every variable), or remove the enforce variable until the key "
         "exists.", KEYSETUP),
    ]
    return "TVM configuration error: enforcement without a key", meaning, _rank(fleet, candidates), ""


def _parse_policy(fleet: _Fleet, m: _Match, kind: str, text: str) -> tuple[str, str, list[Cause], str]:
    line = re.search(r"line (\d+)", text)
    where = f" at line {line.group(1)}" if line else ""
    if kind == "empty-policy":
        title, meaning = "Empty policy", "The policy parameter is empty or only whitespace: the TVM's parser refuses it."
        cause = "The policy was overwritten with an empty value (a failed script, a placeholder)."
    elif kind == "missing-version":
        title = "Policy without a version"
        meaning = "The policy parses as YAML, but `version` is missing or empty: the TVM's parser refuses it."
        cause = "The `version: \"1\"` line is missing, or the document is not a Sentinel policy."
    else:
        title = "The policy's YAML does not parse"
        meaning = (f"Go's yaml.v3 could not read the policy into Sentinel's types{where}: the TVM denies every "
                   "request until it is fixed.")
        cause = (f"A YAML syntax or type error{where}, such as `time:` written as a list, a scalar where a list "
                 "belongs, or a key repeated in one mapping.")

    def unparseable(f: _Fleet) -> tuple[float | None, str]:
        if f.status is Status.UNPARSEABLE:
            return 0.95, f"fleet: {f.about()}"
        if f.entry is not None and f.status is not None:
            return 0.3, f"fleet: {f.entry.name} is {f.status} now: it parses, so it was fixed after the log line"
        return None, ""

    candidates = [(cause, 0.8, unparseable,
                   f"Pull it, fix it ({remedies.validate()} names the line), and push it signed.", PUSH)]
    return title, meaning, _rank(fleet, candidates), ""


def _failing_at_that_line(text: str, snapshot: FleetSnapshot) -> str | None:
    """The one policy of the fleet that fails to parse as `text` says (the same `line N` in the TVM's
    error), for an error text that names no policy; None when none or several do."""
    line = re.search(r"line (\d+)", text)
    found = []
    for entry in snapshot.entries.values():
        a = entry.assessment
        if entry.status is not Status.UNPARSEABLE or a is None:
            continue
        said = f"{a.tvm.text} {a.reason}"
        if line is None or re.search(rf"line {line.group(1)}\b", said):
            found.append(entry.path)
    return found[0] if len(found) == 1 else None


def explain(text: str, snapshot: FleetSnapshot | None = None, *, root: str | None = None) -> Explanation:
    """What a TVM error text means and why it likely happened in this fleet (no AWS call)."""
    root = root or (snapshot.root if snapshot is not None else DEFAULT_POLICY_ROOT)
    raw = (text or "").strip()
    m = _recognise(raw)
    path = (m.path if m and m.path else None) or _named_path(raw, root)
    if m is not None and not path and snapshot is not None and m.kind in ("yaml", "empty-policy", "missing-version"):
        path = _failing_at_that_line(raw, snapshot)  # a nameless YAML error: the policy failing that way now
    if m is not None and not m.path and path:
        m = _Match(m.kind, path, m.rest)
    fleet = _Fleet(snapshot, path)
    key = _KEY.search(raw)
    if m is None:
        return Explanation(
            kind="unknown", title="Not a Sentinel TVM error this tool knows",
            meaning=("The text matches none of the TVM's error messages (policy not found, policy not signed, "
                     "failed to load/parse signature, signature verification error/failed, the enforcement "
                     "configuration error, YAML parse errors)."),
            policy_path=path, key=key.group(1) if key else None, root=root,
            causes=[Cause("Run the doctor on the policy it concerns: it makes every check the TVM makes.", 0.3,
                          "", remedies.doctor(), DOCTOR)] if path else [])
    effect = "denies the request"
    code = ""
    if m.kind == "verification-failed":
        title, meaning, causes, detail = _verification_failed(fleet, m, wrapped=False)
    elif m.kind == "not-signed" or m.kind == "signature-missing":
        title, meaning, causes, detail = _not_signed(fleet, m, enforcing=True)
    elif m.kind == "unsigned-warning":
        title, meaning, causes, detail = _not_signed(fleet, m, enforcing=False)
        effect = "issues credentials from the unverified policy (only a warning is logged)"
    elif m.kind == "load-signature":
        code = _aws_code(m.rest)
        title, meaning, causes, detail = _load_signature(fleet, m)
    elif m.kind == "parse-signature":
        title, meaning, causes, detail = _parse_signature(fleet, m)
    elif m.kind == "verification-error":
        code = _aws_code(m.rest) or "unknown"
        title, meaning, causes, detail = _kms_error(fleet, m, code, m.rest)
        if code == "KMSInvalidSignatureException":
            m = _Match("verification-failed", m.path, m.rest)
    elif m.kind == "kms-error":
        code = _aws_code(m.rest)
        title, meaning, causes, detail = _kms_error(fleet, m, code, raw)
        if code == "KMSInvalidSignatureException":
            m = _Match("verification-failed", m.path, m.rest)
    elif m.kind == "policy-not-found":
        title, meaning, causes, detail = _not_found(fleet, m)
    elif m.kind == "config-error":
        title, meaning, causes, detail = _config_error(fleet, m)
        effect = "does not start: every invocation fails"
    else:  # yaml, empty-policy, missing-version
        title, meaning, causes, detail = _parse_policy(fleet, m, m.kind, raw)
    note = ""
    if not fleet.loaded:
        note = "no fleet loaded: causes are ranked by how often they happen"
    elif path and fleet.entry is None:
        note = f"the fleet has no policy or signature at {path}: another account, region or policy root?"
    elif not path:
        note = "the text names no policy: causes are ranked with the fleet as a whole"
    fixes = list(dict.fromkeys(c.fix for c in causes if c.fix))
    kind = m.kind if m.kind != "kms-error" else "verification-error"
    return Explanation(kind=kind, title=title, meaning=meaning, causes=causes, policy_path=path, fixes=fixes,
                       detail=detail, key=key.group(1) if key else None, tvm_effect=effect, root=root,
                       fleet_note=note,
                       code=code if code != "unknown" else "")
