"""The doctor: every check the TVM and KMS make on one policy, in order, each with a fix.

The twelve checks (GitHub issue 6), each reporting pass, warn, fail or skip with
a one-line reason and a concrete fix:

 1. the policy exists and is readable;
 2. its size is at most 4,096 bytes (KMS's RAW limit);
 3. it parses as the TVM parses it (Go's yaml.v3), saying which stage and line fail;
 4. the signature parameter exists at the derived path (named);
 5. the envelope parses as Go's encoding/json parses it;
 6. ``policy_hash`` matches the stored bytes; if not, when and by whom it changed (history);
 7. the signature verifies with the TVM's key (KMS Verify, as the TVM calls it);
 8. the envelope's ``key_id`` resolves to the same key ARN as the TVM's key;
 9. the key's state, usage, spec and algorithm;
10. the caller may use kms:Verify and kms:Sign (a harmless probe, described in the reason);
11. the TVM's configuration (key set, enforcement string exactly ``true``, no enforcement
    without a key);
12. no older signed version has been put back (replay);
13. what it decides: semantic lints (``core.semantics``) judged with the serving TVM's
    session table and MDM (rules that never decide, effects it does not enforce ...).

A check that cannot run says why (``skip``). ``action`` names the fixing flow a
front end can start: ``resign``, ``push``, ``restore`` or ``keysetup``.

Exit codes for ``sentinel-tui policy doctor``: 0 when nothing fails, 1 when a
check fails, 2 when the doctor could not run (the pair could not be read, or the
signature could not be checked here).
"""

from __future__ import annotations

from dataclasses import replace, dataclass, field
from datetime import datetime, timezone
from typing import Callable

from ..errors import SentinelError
from . import remedies
from ..aws.keys import KeyInfo
from ..aws.store import Parameter
from ..core.envelope import ALGORITHM, Envelope, EnvelopeError, parse_envelope, policy_hash
from ..core.paths import check_parameter_name, policy_name, policy_path, signature_path
from ..core.policy import LINT_TOO_LARGE, MAX_POLICY_BYTES, check_policy
from ..core.status import Assessment, Status, assess
from ..core.tvm import CONFIG_ERROR_TEXT, ENV_ENFORCE, ENV_SIGNING_KEY, TvmConfig
from .context import Ops
from .fleet import FleetEntry

PASS, WARN, FAIL, SKIP = "pass", "warn", "fail", "skip"
STATES = (PASS, WARN, FAIL, SKIP)

# The fixing flows a front end can start from a check.
RESIGN, PUSH, RESTORE, KEYSETUP = "resign", "push", "restore", "keysetup"
ACTIONS = (RESIGN, PUSH, RESTORE, KEYSETUP)

TITLES = {
    1: "policy exists and is readable",
    2: "size within 4,096 bytes",
    3: "parses as the TVM parses it",
    4: "signature parameter exists",
    5: "envelope parses as Go parses it",
    6: "policy_hash matches the stored bytes",
    7: "signature verifies with the TVM's key",
    8: "envelope key_id is the TVM's key",
    9: "key state, usage, spec and algorithm",
    10: "caller may use kms:Verify and kms:Sign",
    11: "TVM configuration",
    12: "no older signed version replayed",
    13: "what it decides (semantic lints)",
}

# Signed by the permission probe of check 10. Nothing is stored; and since it is not a
# policy (the TVM's parser rejects it: no `version`), its signature can never authorise one.
PROBE_MESSAGE = b"sentinel-tui doctor: kms permission probe (not a policy)"

# The check that names the problem behind each status (the doctor's verdict, tested per status).
FAILING_CHECK = {
    Status.ORPHAN: 1,
    Status.UNREADABLE: 1,
    Status.TOO_LARGE: 2,
    Status.UNPARSEABLE: 3,
    Status.UNSIGNED: 4,
    Status.MALFORMED: 5,
    Status.STALE: 6,
    Status.INVALID: 7,
    Status.WRONG_KEY: 8,
}


@dataclass(frozen=True)
class DoctorCheck:
    number: int
    title: str
    state: str  # "pass" | "warn" | "fail" | "skip"
    reason: str
    fix: str = ""
    action: str | None = None
    also: tuple[str, ...] = ()  # further fixing flows that apply (e.g. restore beside resign)

    @property
    def actions(self) -> tuple[str, ...]:
        return ((self.action,) if self.action else ()) + self.also

    def as_dict(self) -> dict:
        return {"number": self.number, "title": self.title, "state": self.state, "reason": self.reason,
                "fix": self.fix or None, "action": self.action, "also": list(self.also)}


@dataclass
class DoctorReport:
    name: str
    path: str
    signature_path: str
    key: str | None = None
    key_source: str = ""
    tvms: tuple[TvmConfig, ...] = ()
    status: Status | None = None
    tvm_verdict: str | None = None
    tvm_log: str | None = None  # the line the TVM logs on AWS when it denies (core.status.TvmOutcome.log)
    checks: list[DoctorCheck] = field(default_factory=list)
    error: str | None = None  # why the doctor could not run at all
    incomplete: list[str] = field(default_factory=list)  # checks that could not be made here

    def check(self, number: int) -> DoctorCheck | None:
        return next((c for c in self.checks if c.number == number), None)

    @property
    def failed(self) -> list[DoctorCheck]:
        return [c for c in self.checks if c.state == FAIL]

    @property
    def warnings(self) -> list[DoctorCheck]:
        return [c for c in self.checks if c.state == WARN]

    @property
    def first_failure(self) -> DoctorCheck | None:
        failed = self.failed
        return failed[0] if failed else None

    @property
    def could_not_run(self) -> bool:
        return self.error is not None or bool(self.incomplete)

    @property
    def exit_code(self) -> int:
        if self.could_not_run:
            return 2
        return 1 if self.failed else 0

    def summary(self) -> str:
        if self.error is not None:
            return f"The doctor could not run: {self.error}"
        parts = []
        failed, warned = self.failed, self.warnings
        if failed:
            first = failed[0]
            parts.append(f"{len(failed)} check{'s' if len(failed) != 1 else ''} failed "
                         f"(first: {first.number} {first.title})")
        if warned:
            parts.append(f"{len(warned)} warning{'s' if len(warned) != 1 else ''}")
        if self.incomplete:
            parts.append("could not check here: " + "; ".join(self.incomplete))
        if not parts:
            return "All checks passed."
        return "; ".join(parts) + "."

    def lines(self) -> list[str]:
        out = [f"Doctor: {self.path} (policy {self.name})"]
        if self.signature_path:
            out.append(f"signature parameter: {self.signature_path}")
        if self.key or self.key_source:
            out.append(f"verification key: {self.key or '(none)'} ({self.key_source})")
        if self.status is not None:
            out.append(f"status: {self.status}; TVM: {self.tvm_verdict}")
            if self.tvm_log is not None:
                out.append(f"the TVM logs: {self.tvm_log.rstrip()}")
        out.append("")
        for c in self.checks:
            out.append(f"{c.number:>3}  {c.state.upper() if c.state == FAIL else c.state:4}  {c.title}: {c.reason}")
            if c.fix and c.state in (FAIL, WARN):
                out.append(f"           fix: {c.fix}")
            if c.actions and c.state in (FAIL, WARN):
                out.append(f"           flow: {', '.join(c.actions)}")
        out.append("")
        out.append(self.summary())
        return out

    def as_dict(self) -> dict:
        return {
            "name": self.name, "path": self.path, "signature_path": self.signature_path,
            "key": self.key, "key_source": self.key_source,
            "served_by": [t.source for t in self.tvms],
            "status": str(self.status) if self.status else None, "tvm": self.tvm_verdict,
            "tvm_log": self.tvm_log,
            "checks": [c.as_dict() for c in self.checks],
            "error": self.error, "incomplete": list(self.incomplete),
            "exit_code": self.exit_code, "summary": self.summary(),
        }


# -- helpers ---------------------------------------------------------------------------------


def _when(dt: datetime | None) -> str:
    if dt is None:
        return "at an unknown time"
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _who(param: Parameter) -> str:
    user = (param.last_modified_user or "").strip()
    if not user or user.upper() == "N/A":
        return "an unrecorded user"
    return user


def _changed(param: Parameter) -> str:
    return f"version {param.version}, written on {_when(param.last_modified)} by {_who(param)}"


def _kind(exc: BaseException) -> str:
    return getattr(exc, "kind", "") or ""


def _code(exc: BaseException) -> str:
    return getattr(exc, "code", None) or _kind(exc)


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")) if text else ""


def _sig_len(spec: str) -> int:
    try:
        return int(spec.split("_", 1)[1]) // 8
    except (IndexError, ValueError):
        return 512


def _resign_fix(key: str | None, name: str = "NAME", lead: str = "") -> str:
    """`lead` (a sentence without its full stop) comes first; then how to re-sign."""
    key = key or "the TVM's key"
    how = f"{remedies.resign(name, key)} (the re-sign flow)."
    if lead:
        return f"{lead}: {how}"
    return f"Re-sign the stored bytes with {key} once they are reviewed: {how}"


def _restore_fix(name: str, version: int) -> str:
    return f"{remedies.restore(name, version)} (the restore flow)"


class _Doctor:
    def __init__(self, ops: Ops, name: str, key_id: str | None):
        self.ops = ops
        self.unsignable = False  # set by check 3 when the stored policy does not validate
        self.requested_key = key_id
        root = ops.settings.policy_root
        self.path = policy_path(name, root)
        check_parameter_name(self.path)
        self.report = DoctorReport(name=policy_name(self.path, root), path=self.path,
                                   signature_path=signature_path(self.path))
        self.entry: FleetEntry | None = None
        self.assessment: Assessment | None = None
        self.tvm: TvmConfig | None = None
        self.key: str | None = None
        self.envelope: Envelope | None = None
        self.tvm_error: SentinelError | None = None
        self.history: list[Parameter] | None = None
        self.history_error: str | None = None
        self.key_info: dict[str, KeyInfo | SentinelError] = {}
        self.kms_verify_answered: bool | None = None  # check 7 reached KMS Verify and got an answer
        self.kms_verify_denied: SentinelError | None = None

    # -- framing ----------------------------------------------------------------------------

    def add(self, number: int, state: str, reason: str, fix: str = "", action: str | None = None,
            also: tuple[str, ...] = ()) -> None:
        assert state in STATES, state
        if self.unsignable and (action == RESIGN or RESIGN in also):
            # A re-sign signs the stored bytes as they are, and skips a policy that does not
            # validate: the fix that can work is to correct the YAML and push it signed.
            also = tuple(a for a in also if a != RESIGN)
            action = PUSH if action == RESIGN else action
            fix = (f"Fix the YAML first (check 3), then push it signed: {remedies.pull(self.report.name)}, "
                   f"edit FILE, {remedies.push(self.report.name, sign=False)}. "
                   "A re-sign would skip it: it signs the stored bytes, which do not validate.")
        self.report.checks.append(DoctorCheck(number, TITLES[number], state, reason, fix, action, also))

    def run_check(self, number: int, fn: Callable[[], None]) -> None:
        try:
            fn()
        except SentinelError as exc:
            self.add(number, SKIP, f"could not be checked here: {exc.what}", exc.fix)
            self.report.incomplete.append(f"check {number} ({exc.what})")

    def run(self) -> DoctorReport:
        try:
            tvms = self.ops.tvms.list()
        except SentinelError as exc:
            self.tvm_error = exc
            tvms = []
        self.entry = self.ops.fleet.entry(self.path, tvms=tvms)
        serving = self.entry.tvms
        self.report.tvms = serving
        tvm = self.ops.fleet.verification_tvm(serving)
        if serving and tvm.signing_key:
            self.key, self.report.key_source = tvm.signing_key, f"the key of TVM {tvm.source}"
            if self.requested_key and self.requested_key != tvm.signing_key:
                self.report.key_source += f"; --key-id {self.requested_key} is not used because a TVM serves it"
        elif self.requested_key:
            self.key, self.report.key_source = self.requested_key, "--key-id"
            if not serving:
                tvm = TvmConfig(source="--key-id", policy_parameter=self.path, signing_key=self.requested_key,
                                enforce_raw=None)
        else:
            self.key = self.ops.settings.default_key or None
            self.report.key_source = ("the settings' default_key; no TVM serving this policy was found"
                                      if not serving else f"TVM {tvm.source} sets no key; the settings' default_key")
        self.tvm = tvm
        self.report.key = self.key
        e = self.entry
        if e.remote:
            self.assessment = assess(
                e.path, policy=e.policy.data if e.policy is not None else None,
                signature=e.signature.value if e.signature is not None else None,
                tvm=tvm, verify=self.ops.fleet.verify, verification_key=self.key,
                policy_error=e.policy_error, signature_error=e.signature_error)
            self.report.status = self.assessment.status
            self.report.tvm_verdict = self.assessment.tvm.text
            self.report.tvm_log = self.assessment.tvm.log
            self.envelope = self.assessment.envelope

        for number, fn in ((1, self.check_exists), (2, self.check_size), (3, self.check_parse),
                           (4, self.check_signature_exists), (5, self.check_envelope), (6, self.check_hash),
                           (7, self.check_verifies), (8, self.check_key_id), (9, self.check_key),
                           (10, self.check_permissions), (11, self.check_tvm), (12, self.check_replay),
                           (13, self.check_semantics)):
            self.run_check(number, fn)
        self.report.checks.sort(key=lambda c: c.number)
        self._no_resign_before_the_yaml_is_fixed()
        return self.report

    def _no_resign_before_the_yaml_is_fixed(self) -> None:
        """A policy that does not validate (check 3) cannot be re-signed (sign and the re-sign flow
        refuse it): every re-sign offered becomes the fix that can work, fixing the YAML and pushing."""
        parse = self.report.check(3)
        if parse is None or parse.action != PUSH:
            return
        checks = self.report.checks
        for index, check in enumerate(checks):
            if check.number != 3 and RESIGN in check.actions:
                fix = ("Fix the YAML first (check 3): a policy that does not validate cannot be re-signed. "
                       "Then push the fixed file; it is signed on the way.")
                checks[index] = replace(check, fix=fix, action=PUSH,
                                        also=tuple(a for a in check.also if a not in (RESIGN, PUSH)))

    # -- shared reads ------------------------------------------------------------------------

    @property
    def policy(self) -> Parameter | None:
        return self.entry.policy if self.entry else None

    @property
    def signature(self) -> Parameter | None:
        return self.entry.signature if self.entry else None

    def policy_history(self) -> list[Parameter] | None:
        if self.history is None and self.history_error is None:
            try:
                self.history = self.ops.store.history(self.path)
            except SentinelError as exc:
                self.history_error = exc.what
        return self.history

    def describe(self, key: str) -> KeyInfo | SentinelError:
        if key not in self.key_info:
            try:
                self.key_info[key] = self.ops.keys.describe(key, fresh=True)
            except SentinelError as exc:
                self.key_info[key] = exc
        return self.key_info[key]

    def skip_no_policy(self, number: int) -> bool:
        if self.policy is None:
            why = "the policy could not be read (check 1)" if self.entry and self.entry.policy_error \
                else "there is no policy (check 1)"
            self.add(number, SKIP, f"not checked: {why}")
            return True
        return False

    # -- 1 -----------------------------------------------------------------------------------

    def check_exists(self) -> None:
        e = self.entry
        assert e is not None
        if e.policy_error:
            self.add(1, FAIL, f"{self.path} could not be read here: {e.policy_error}",
                     "Grant this operator ssm:GetParameter on the policy (and kms:Decrypt on the key of a "
                     "SecureString), or run the doctor with a profile that has them. The TVM reads with its own "
                     "role, so it may still read it.")
            self.report.incomplete.append("the policy could not be read")
            return
        if e.policy is None:
            if e.signature is not None:
                self.add(1, FAIL, f"{self.path} does not exist, but its signature {self.report.signature_path} "
                         f"does (an orphan): the TVM denies: {self.path}: policy not found",
                         f"Push the policy again if it is still meant to exist ({remedies.push(self.report.name)}); otherwise delete the leftover signature "
                         f"(aws ssm delete-parameter --name {self.report.signature_path}) and retire its TVM.",
                         PUSH)
            else:
                self.add(1, FAIL, f"{self.path} does not exist: a TVM serving it denies: {self.path}: policy not found",
                         f"Check the name and --policy-root ({self.ops.settings.policy_root}); `{remedies.STATUS_COMMAND}` "
                         f"lists the policies. To create it: {remedies.push(self.report.name)}.",
                         PUSH)
            return
        p = e.policy
        kind = "" if p.type == "String" else f", {p.type}"
        tier = f", {p.tier} tier" if p.tier and p.tier != "Standard" else ""
        self.add(1, PASS, f"{self.path} version {p.version}{kind}{tier}, last changed on "
                 f"{_when(p.last_modified)} by {_who(p)}")

    # -- 2 -----------------------------------------------------------------------------------

    def check_size(self) -> None:
        if self.skip_no_policy(2):
            return
        size = len(self.policy.data)
        if size > MAX_POLICY_BYTES:
            self.add(2, FAIL, f"{size:,} bytes, {size - MAX_POLICY_BYTES:,} over KMS's 4,096-byte RAW limit: it "
                     "cannot be signed, and the TVM's Verify fails (signature verification error)",
                     "Shorten the policy to 4,096 bytes or fewer (comments and indentation count) or split it "
                     f"across profiles, then push it signed: {remedies.push(self.report.name)}.",
                     PUSH)
        elif size > MAX_POLICY_BYTES * 0.9:
            self.add(2, WARN, f"{size:,} bytes of 4,096: little room is left before it can no longer be signed",
                     "Keep the next change small, or split the policy across profiles.")
        else:
            self.add(2, PASS, f"{size:,} bytes of 4,096")

    # -- 3 -----------------------------------------------------------------------------------

    def check_parse(self) -> None:
        if self.skip_no_policy(3):
            return
        check = self.assessment.check if self.assessment and self.assessment.check else check_policy(self.policy.data)
        err = check.error
        self.unsignable = err is not None  # sign and push refuse it: no re-sign can be the fix
        if err is not None and err.stage == "parse":
            where = f"line {err.line}" if err.line else "an unknown line"
            detail = " ".join(err.detail.split())
            self.add(3, FAIL, f"the parse stage (what the TVM runs) fails at {where}: {detail}; the TVM denies "
                     "every request with this error",
                     f"Fix {where} (pull it with: {remedies.pull(self.report.name)}; check with: "
                     f"{remedies.validate()}), then push it signed: {remedies.push(self.report.name)}.", PUSH)
            return
        if err is not None:
            where = f"line {err.line}" if err.line else "an unknown line"
            self.add(3, WARN, f"the TVM parses it, but the validate stage fails at {where}: "
                     f"{' '.join(err.detail.split())}; `sentinel policy sign` and `push` refuse it, so it cannot be "
                     "re-signed until this is fixed",
                     f"Fix {where}, validate ({remedies.validate()}), then push it signed.", PUSH)
            return
        warnings = [w for w in check.warnings if w.code != LINT_TOO_LARGE]  # check 2 says that
        if warnings:
            first = warnings[0]
            more = f" (and {len(warnings) - 1} more)" if len(warnings) > 1 else ""
            at = f"line {first.line}: " if first.line else ""
            self.add(3, WARN, f"parses and validates; lint: {at}{first.message}{more}",
                     f"Review the lint ({remedies.validate()} shows every finding); the TVM accepts "
                     "the policy as it is.")
            return
        self.add(3, PASS, "parses and validates as the Go tool does")

    # -- 13 ----------------------------------------------------------------------------------

    def check_semantics(self) -> None:
        from ..core.semantics import semantic_lints

        if self.skip_no_policy(13):
            return
        check = self.assessment.check if self.assessment and self.assessment.check else check_policy(self.policy.data)
        if check.policy is None:
            self.add(13, SKIP, "the policy does not parse: it decides nothing (every request is denied)")
            return
        serving = self.report.tvms[0] if self.report.tvms else None
        found = semantic_lints(check.policy, self.policy.data, tvm=serving)
        if not found:
            who = f"TVM {serving.source}" if serving else "a Lambda TVM"
            self.add(13, PASS, f"every rule can decide a request, and {who} enforces every effect as written")
            return
        first = found[0]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        at = f"line {first.line}: " if first.line else ""
        self.add(13, WARN, f"{at}{first.message} [{first.code}]{more}",
                 f"See every finding and try requests: {remedies.validate()}; "
                 f"{remedies.evaluate(remote=self.report.name)}.")

    # -- 4 -----------------------------------------------------------------------------------

    def check_signature_exists(self) -> None:
        e = self.entry
        sig_path = self.report.signature_path
        if e.signature_error:
            self.add(4, FAIL, f"{sig_path} could not be read here: {e.signature_error}",
                     "Grant this operator ssm:GetParameter on /sentinel/signatures/*; the TVM reads it with its own role.")
            self.report.incomplete.append("the signature could not be read")
            return
        if e.signature is None:
            tvm = self.tvm
            if tvm is not None and tvm.verifies and tvm.enforcing:
                effect = f"an enforcing TVM denies: {self.path}: policy not signed (signature enforcement enabled)"
            elif tvm is not None and tvm.verifies:
                effect = (f"TVM {tvm.source} does not enforce, so it loads the policy unverified (warning: policy "
                          f"{self.path} has no signature, loading without verification)")
            else:
                effect = "an enforcing TVM would deny it (policy not signed)"
            action = PUSH if self.policy is not None and len(self.policy.data) > MAX_POLICY_BYTES else RESIGN
            fix = (_resign_fix(self.key, self.report.name).replace("Re-sign", "Sign", 1) if action == RESIGN else
                   "Shorten it first (check 2), then push it signed.")
            if self.policy is None:
                self.add(4, SKIP, f"no signature at {sig_path} either")
                return
            self.add(4, FAIL, f"no parameter at {sig_path}: {effect}", fix, action)
            return
        s = e.signature
        self.add(4, PASS, f"{sig_path} version {s.version}, written on {_when(s.last_modified)} by {_who(s)}")

    # -- 5 -----------------------------------------------------------------------------------

    def check_envelope(self) -> None:
        if self.signature is None:
            self.add(5, SKIP, "not checked: there is no signature (check 4)")
            return
        try:
            env = parse_envelope(self.signature.value or "")
        except EnvelopeError as exc:
            go = exc.go_error or exc.reason
            self.add(5, FAIL, f"{exc.reason}; the TVM denies: failed to parse signature for {self.path}: {go}",
                     _resign_fix(self.key, self.report.name, "Re-sign it: sentinel-tui writes the envelope exactly "
                                 "as Go writes it"), RESIGN)
            return
        self.envelope = env
        notes = []
        if env.algorithm and env.algorithm != ALGORITHM:
            notes.append(f"algorithm is {env.algorithm!r}, not {ALGORITHM} (informational: the TVM always verifies "
                         f"with {ALGORITHM})")
        if not env.signed_at:
            notes.append("no signed_at: when it was signed is unknown (check 12 needs it)")
        if not env.signature:
            notes.append("the signature is empty")
        summary = (f"key_id {env.key_id or '(none)'}, signed_at {env.signed_at_text or '(none)'}, "
                   f"{len(env.signature)}-byte signature")
        if notes:
            self.add(5, WARN, f"parses ({summary}), but " + "; ".join(notes),
                     _resign_fix(self.key, self.report.name, "Re-sign it so the envelope carries complete metadata"), RESIGN)
        else:
            self.add(5, PASS, f"parses ({summary})")

    # -- 6 -----------------------------------------------------------------------------------

    def check_hash(self) -> None:
        if self.envelope is None:
            self.add(6, SKIP, "not checked: no envelope to compare (checks 4 and 5)")
            return
        if self.policy is None:
            self.add(6, SKIP, "not checked: there is no policy (check 1)")
            return
        env = self.envelope
        digest = policy_hash(self.policy.data)
        if not env.policy_hash:
            self.add(6, SKIP, "the envelope has no policy_hash (the TVM does not need one); check 7 decides")
            return
        if env.policy_hash.lower() == digest:
            self.add(6, PASS, f"sha256 {digest[:16]}… covers the stored bytes")
            return
        history = self.policy_history()
        if history is None:
            self.add(6, FAIL, f"the policy changed after signing: the envelope covers sha256 {env.policy_hash[:16]}…, "
                     f"the stored bytes are {digest[:16]}…; the stored one is {_changed(self.policy)} (history unavailable: "
                     f"{self.history_error})",
                     _resign_fix(self.key, self.report.name, "Review the change, then re-sign it if it is wanted"), RESIGN)
            return
        signed = [v for v in history if policy_hash(v.data) == env.policy_hash.lower()]
        if signed:
            base = signed[-1]
            after = [v for v in history if v.version > base.version]
            first = after[0] if after else self.policy
            reason = (f"the policy changed after signing: the signature covers version {base.version}; the "
                      f"change came in {_changed(first)}")
            if len(after) > 1:
                reason += f"; {len(after)} versions since, the latest {_changed(after[-1])}"
            self.add(6, FAIL, reason,
                     f"Review what changed since version {base.version} (the history view, or: "
                     f"{remedies.pull(self.report.name)} and a diff). If it is wanted, re-sign it with {self.key or 'the TVM key'}; "
                     f"if not, restore version {base.version}, which the signature covers: "
                     f"{_restore_fix(self.report.name, base.version)}.",
                     RESIGN, (RESTORE,))
            return
        capped = " (SSM keeps only the last 100 versions)" if len(history) >= 100 else ""
        self.add(6, FAIL, f"the policy changed after signing, or was signed as other bytes: no stored version{capped} "
                 f"has the signed sha256 {env.policy_hash[:16]}… (the stored bytes: {digest[:16]}…); the stored one is "
                 f"{_changed(self.policy)}",
                 _resign_fix(self.key, self.report.name, "Find out where the signed bytes came from and review the "
                             "stored policy; then re-sign it"), RESIGN)

    # -- 7 -----------------------------------------------------------------------------------

    def check_verifies(self) -> None:
        if self.envelope is None:
            self.add(7, SKIP, "not checked: no envelope to verify (checks 4 and 5)")
            return
        if self.policy is None:
            self.add(7, SKIP, "not checked: there is no policy (check 1)")
            return
        if not self.key:
            self.add(7, FAIL, "no verification key: no TVM serving this policy sets one, and the settings have no "
                     "default_key",
                     f"Pass --key-id, set default_key in the settings, or set up a signing key: {remedies.KEYS_SETUP_COMMAND}.",
                     KEYSETUP)
            return
        data = self.policy.data
        key = self.key
        if len(data) > MAX_POLICY_BYTES:
            self.add(7, FAIL, f"KMS refuses to verify a RAW message over 4,096 bytes: the TVM logs signature "
                     f"verification error for {self.path}: ... ValidationException",
                     "Shorten the policy (check 2), then push it signed.", PUSH)
            return
        stale = bool(self.envelope.policy_hash) and self.envelope.policy_hash.lower() != policy_hash(data)
        denied = f"the TVM denies: {self.path}: policy signature verification failed"
        try:
            valid = self.ops.keys.verify_kms(key, data, self.envelope.signature)
            self.kms_verify_answered = True
            how = "KMS Verify, as the TVM calls it"
        except SentinelError as exc:
            kind = _kind(exc)
            if kind == "access-denied":
                self.kms_verify_denied = exc
                local = self.assessment.with_tvm_key if self.assessment else None
                if local is None or local.key != key or local.valid is None:
                    try:
                        valid = self.ops.fleet.verify(key, data, self.envelope.signature)
                    except SentinelError as exc2:
                        self.add(7, SKIP, f"could not be checked here: kms:Verify is denied to you and the public "
                                 f"key could not be had either ({exc2.what})",
                                 "Run the doctor with a profile that may use kms:Verify or kms:GetPublicKey on "
                                 f"{key}; the TVM verifies with its own role.")
                        self.report.incomplete.append("check 7 (the signature could not be verified here)")
                        return
                else:
                    valid = bool(local.valid)
                how = "locally with the public key, because kms:Verify is denied to you (check 10)"
            elif kind in ("not-found", "key-disabled", "key-invalid-state", "key-usage"):
                self.add(7, FAIL, f"KMS refused: {exc.what} The TVM logs: signature verification error for "
                         f"{self.path}: operation error KMS: Verify, ... {_code(exc)}",
                         exc.fix or "See check 9.",
                         KEYSETUP if kind in ("not-found", "key-usage") else None)
                return
            else:
                raise
        if valid:
            self.add(7, PASS, f"verifies with {key} ({how})")
            return
        if stale:
            six = self.report.check(6)
            self.add(7, FAIL, f"does not verify with {key}, because the bytes changed after signing (check 6): "
                     f"{denied}", "See check 6: review the change, then re-sign it or restore the signed version.",
                     RESIGN, six.also if six else ())
            return
        wrong = self.assessment.with_envelope_key if self.assessment else None
        if wrong is not None and wrong.valid:
            self.add(7, FAIL, f"does not verify with {key}; it verifies with {wrong.key}, the envelope's key_id "
                     f"(check 8): {denied}", _resign_fix(key, self.report.name), RESIGN)
            return
        self.add(7, FAIL, f"the hash matches, but the signature does not verify with {key} (nor with the "
                 f"envelope's key_id): the signature was made over other bytes or has been altered; {denied}",
                 _resign_fix(key, self.report.name, "Treat it as tampering until explained: check who wrote the "
                             "signature (check 4) and review the stored policy; then re-sign it"), RESIGN)

    # -- 8 -----------------------------------------------------------------------------------

    def check_key_id(self) -> None:
        env = self.envelope
        if env is None:
            self.add(8, SKIP, "not checked: no envelope (checks 4 and 5)")
            return
        if not self.key:
            self.add(8, SKIP, "not checked: no verification key (check 7)")
            return
        verified = self.check_state(7) == PASS
        if not env.key_id:
            self.add(8, WARN if verified else FAIL, "the envelope names no key_id (informational for the TVM)",
                     _resign_fix(self.key, self.report.name), RESIGN)
            return
        tvm_info = self.describe(self.key)
        env_info = self.describe(env.key_id)
        if isinstance(tvm_info, SentinelError):
            self.add(8, SKIP, f"cannot resolve the TVM's key {self.key}: {tvm_info.what}", tvm_info.fix)
            return
        if isinstance(env_info, SentinelError):
            state = WARN if verified else FAIL
            self.add(8, state, f"the envelope's key_id {env.key_id} cannot be resolved ({env_info.what}); the TVM "
                     f"uses {self.key} → {tvm_info.arn}",
                     _resign_fix(self.key, self.report.name, "Re-sign with the TVM's key so key_id names it"), RESIGN)
            return
        if env_info.arn == tvm_info.arn:
            same = env.key_id if env.key_id == self.key else f"{env.key_id} and {self.key}"
            self.add(8, PASS, f"{same} both resolve to {tvm_info.arn}")
            return
        state = WARN if verified else FAIL
        wrong = self.assessment.with_envelope_key if self.assessment else None
        made = " and the signature verifies with that key" if wrong is not None and wrong.valid else ""
        self.add(8, state, f"signed with {env.key_id} → {env_info.arn}{made}; the TVM verifies with {self.key} → "
                 f"{tvm_info.arn}",
                 f"Re-sign with {self.key}; or, if {env.key_id} is the key meant to sign, point the TVM's "
                 f"{ENV_SIGNING_KEY} at it (check the whole fleet first: key rotation view).", RESIGN)

    def check_state(self, number: int) -> str | None:
        c = next((c for c in self.report.checks if c.number == number), None)
        return c.state if c else None

    # -- 9 -----------------------------------------------------------------------------------

    def check_key(self) -> None:
        if not self.key:
            self.add(9, FAIL, "no verification key is configured",
                     f"Set up a signing key: {remedies.KEYS_SETUP_COMMAND}.", KEYSETUP)
            return
        info = self.describe(self.key)
        if isinstance(info, SentinelError):
            if _kind(info) == "not-found":
                self.add(9, FAIL, f"{self.key} does not exist in this account and region: the TVM's Verify fails "
                         "with NotFoundException",
                         f"Create it ({remedies.KEYS_SETUP_COMMAND}), or point the TVM at the key that signs the policies.",
                         KEYSETUP)
                return
            raise info
        problems = info.problems()
        desc = f"{info.state}, {info.usage}, {info.spec}, {ALGORITHM} {'offered' if ALGORITHM in info.algorithms else 'not offered'}"
        if not problems:
            self.add(9, PASS, f"{self.key} → {info.arn}: {desc}")
            return
        fixes = []
        action = None
        if info.state == "Disabled":
            fixes.append(f"enable it: aws kms enable-key --key-id {info.arn}")
        elif info.state == "PendingDeletion":
            fixes.append(f"cancel the deletion and enable it: aws kms cancel-key-deletion --key-id {info.arn} && "
                         f"aws kms enable-key --key-id {info.arn}")
        elif info.state not in ("Enabled",):
            fixes.append(f"bring it back to Enabled (aws kms describe-key --key-id {info.arn})")
        if info.usage != "SIGN_VERIFY" or not info.spec.startswith("RSA_"):
            fixes.append("a key's usage and spec cannot be changed: create an RSA_4096 SIGN_VERIFY key "
                         f"({remedies.KEYS_SETUP_COMMAND}) and point the alias and the TVM at it")
            action = KEYSETUP
        self.add(9, FAIL, f"{self.key} → {info.arn}: " + "; ".join(problems) + ": the TVM's Verify fails",
                 _sentence("; ".join(fixes)), action)

    # -- 10 ----------------------------------------------------------------------------------

    def check_permissions(self) -> None:
        if not self.key:
            self.add(10, SKIP, "not checked: no key to probe (check 9)")
            return
        key = self.key
        info = self.describe(key)
        if isinstance(info, SentinelError) and _kind(info) == "not-found":
            self.add(10, SKIP, f"not checked: {key} does not exist (check 9)")
            return
        spec = info.spec if isinstance(info, KeyInfo) else "RSA_4096"
        caller = self.ops.caller() or "the current credentials"
        results: dict[str, tuple[str, str]] = {}  # action -> (allowed|denied|unknown, how)

        # kms:Sign: a fixed probe message, never stored, never a policy.
        signature = None
        if self.ops.settings.read_only:
            results["kms:Sign"] = ("not probed", "read-only mode (a probe Sign writes nothing, but "
                                              "shows in CloudTrail as a Sign with the policy key)")
        else:
            try:
                signature = self.ops.keys.sign(key, PROBE_MESSAGE)
                results["kms:Sign"] = ("allowed", "probe: Sign of a fixed probe message (not a policy), "
                                                  "nothing stored")
            except SentinelError as exc:
                results["kms:Sign"] = self._probe_result(exc, "Sign")

        # kms:Verify: check 7's own Verify when it reached KMS; otherwise a probe Verify.
        if self.kms_verify_answered:
            results["kms:Verify"] = ("allowed", "check 7's Verify was answered")
        elif self.kms_verify_denied is not None:
            results["kms:Verify"] = ("denied", f"check 7's Verify: {self.kms_verify_denied.what}")
        else:
            probe_sig = signature or b"\x00" * _sig_len(spec)
            try:
                self.ops.keys.verify_kms(key, PROBE_MESSAGE, probe_sig)
                how = ("probe: Verify of the probe signature" if signature else
                       "probe: Verify of a dummy signature, answered 'invalid' (which needs the permission)")
                results["kms:Verify"] = ("allowed", how)
            except SentinelError as exc:
                results["kms:Verify"] = self._probe_result(exc, "Verify")

        parts = [f"{action} {state} ({how})" for action, (state, how) in results.items()]
        denied = [a for a, (s, _) in results.items() if s == "denied"]
        unknown = [a for a, (s, _) in results.items() if s == "unknown"]
        reason = f"for {caller} on {key}: " + "; ".join(parts)
        if denied:
            arn = info.arn if isinstance(info, KeyInfo) else key
            stmt = ('{"Effect": "Allow", "Action": [' + ", ".join(f'"{a}"' for a in denied)
                    + f'], "Resource": "{arn}"}}')
            self.add(10, WARN, reason,
                     f"Grant {', '.join(denied)} to {caller} (key policy or IAM): {stmt}. The TVM's role needs only "
                     f"kms:Verify; signers need kms:Sign ({remedies.KEYS_SETUP_COMMAND} prints both policies).", KEYSETUP)
        elif unknown:
            self.add(10, WARN, reason, "See check 9: the key's state or usage stops KMS from answering.")
        else:
            self.add(10, PASS, reason)

    @staticmethod
    def _probe_result(exc: SentinelError, operation: str) -> tuple[str, str]:
        kind = _kind(exc)
        if kind == "access-denied":
            return "denied", exc.what
        if kind == "invalid-signature":
            return "allowed", f"probe: Verify of a dummy signature, answered {exc.code or 'invalid'}"
        if kind in ("key-disabled", "key-invalid-state", "key-usage"):
            return "unknown", f"KMS refused the probe {operation} for the key's state or usage (check 9): {_code(exc)}"
        return "unknown", f"the probe {operation} failed: {exc.what}"

    # -- 11 ----------------------------------------------------------------------------------

    def check_tvm(self) -> None:
        serving = self.report.tvms
        if not serving:
            if self.tvm_error is not None:
                self.add(11, WARN, f"could not list the Lambda functions ({self.tvm_error.what}): the TVM's "
                         f"configuration is unknown; judged with {self.key or 'no key'} and enforcement on",
                         self.tvm_error.fix or "Grant lambda:ListFunctions to see the TVMs' configuration.")
            else:
                self.add(11, SKIP, f"no Lambda function has SENTINEL_POLICY_PARAMETER={self.path}; judged with "
                         f"{self.key or 'no key'} ({self.report.key_source}) and enforcement on")
            return
        fails: list[str] = []
        warns: list[str] = []
        fixes: list[str] = []
        good: list[str] = []
        for tvm in serving:
            name = tvm.source
            update = (f"aws lambda update-function-configuration --function-name {name} --environment "
                      "'Variables={...}' (this replaces the whole environment: list every existing variable too)")
            if tvm.config_error:
                fails.append(f"{name} does not start: {CONFIG_ERROR_TEXT} ({ENV_ENFORCE}={tvm.enforce_raw!r}, "
                             f"{ENV_SIGNING_KEY} unset)")
                fixes.append(f"set {ENV_SIGNING_KEY}={self.key or 'alias/sentinel-policy-signing'} on {name}: {update}")
                continue
            if not tvm.signing_key:
                fails.append(f"{name} checks no signature: {ENV_SIGNING_KEY} is not set, so it trusts whatever "
                             "policy SSM holds")
                fixes.append(f"set {ENV_SIGNING_KEY}={self.key or 'alias/sentinel-policy-signing'} and "
                             f"{ENV_ENFORCE}=true on {name}: {update}")
                continue
            if tvm.enforcement_note:
                fails.append(f"{name}: {tvm.enforcement_note}: unsigned policies load unverified")
                fixes.append(f"set {ENV_ENFORCE}=true (exactly, lower case) on {name}: {update}")
                continue
            raw = tvm.enforce_raw or ""
            if raw and raw != "true":
                warns.append(f"{name}: {ENV_ENFORCE}={raw!r} turns enforcement off: an unsigned policy loads "
                             "with only a warning")
                fixes.append(f"set {ENV_ENFORCE}=true on {name} once every policy it serves is signed: {update}")
                continue
            good.append(f"{name}: key {tvm.signing_key}, {ENV_ENFORCE}="
                        + (f"{raw!r} (enforcing)" if raw else "unset (enforcing by default)"))
        keys = {t.signing_key for t in serving if t.signing_key}
        if len(keys) > 1:
            warns.append(f"the TVMs serving it use different keys ({', '.join(sorted(keys))}): one signature "
                         "cannot satisfy them all")
            fixes.append("point every TVM that serves this policy at the same key")
        if fails:
            self.add(11, FAIL, "; ".join(fails + warns), _sentence("; ".join(fixes)))
        elif warns:
            self.add(11, WARN, "; ".join(warns + good), _sentence("; ".join(fixes)))
        else:
            self.add(11, PASS, "; ".join(good))

    # -- 12 ----------------------------------------------------------------------------------

    def check_replay(self) -> None:
        if self.policy is None or self.envelope is None:
            self.add(12, SKIP, "not checked: needs both the policy and a parsed envelope")
            return
        env = self.envelope
        digest = policy_hash(self.policy.data)
        if env.policy_hash and env.policy_hash.lower() != digest:
            self.add(12, SKIP, "not checked: the signature does not cover the current bytes (check 6), so no "
                     "replayed pair is in place")
            return
        history = self.policy_history()
        if history is None:
            self.add(12, SKIP, f"not checked: the history could not be read ({self.history_error})",
                     "Grant ssm:GetParameterHistory on the policy.")
            return
        versions = [v for v in history if v.version <= self.policy.version] or [self.policy]
        current = versions[-1]
        replaced = None  # (an earlier version with these bytes, the version that replaced them)
        for earlier, nxt in zip(versions, versions[1:]):
            if policy_hash(earlier.data) == digest and policy_hash(nxt.data) != digest:
                replaced = (earlier, nxt)
        if replaced is None:
            same = [v.version for v in versions[:-1] if policy_hash(v.data) == digest]
            how = (f"version{'s' if len(same) > 1 else ''} {', '.join(map(str, same))} held the same bytes, "
                   "with no other content in between"
                   if same else f"version {current.version} holds bytes no earlier version held")
            self.add(12, PASS, how)
            return
        earlier, nxt = replaced
        if env.signed_at is None:
            self.add(12, WARN, f"version {current.version} brings back the bytes of version {earlier.version} (replaced "
                     f"by version {nxt.version} on {_when(nxt.last_modified)}), and the envelope has no signed_at to "
                     "tell whether it was re-signed since",
                     _resign_fix(self.key, self.report.name, "If the rollback was intended, re-sign it now"), RESIGN)
            return
        if nxt.last_modified is not None and env.signed_at < nxt.last_modified:
            sig_note = self._signature_replayed()
            previous = [v for v in versions if policy_hash(v.data) != digest][-1]
            audited = self._audited_restore(current.version)
            if audited is not None:
                self.add(12, WARN, f"version {current.version} brings back the bytes of version {earlier.version} "
                         f"with a signature from {env.signed_at_text}, older than version {nxt.version}'s change: "
                         f"this is the restore recorded in this machine's audit log ({audited}), but to anyone "
                         "reading SSM it is indistinguishable from a replayed older pair",
                         _resign_fix(self.key, self.report.name, "Re-sign it so the signature postdates the change"),
                         RESIGN)
                return
            self.add(12, FAIL, f"version {current.version} ({_when(current.last_modified)}, by {_who(current)}) brings "
                     f"back the bytes of version {earlier.version}, which version {nxt.version} replaced on "
                     f"{_when(nxt.last_modified)}; its signature dates from {env.signed_at_text}, before that "
                     f"change: an older signed pair was put back{sig_note}",
                     f"If this rollback was intended, re-sign it now so its signature postdates the change; if not, "
                     f"restore version {previous.version}, the last other content ({_restore_fix(self.report.name, previous.version)}), "
                     f"and find out who wrote version {current.version}.",
                     RESIGN, (RESTORE,))
            return
        self.add(12, PASS, f"version {current.version} brings back the bytes of version {earlier.version}, and was "
                 f"re-signed afterwards ({env.signed_at_text})")

    def _audited_restore(self, version: int) -> str | None:
        """The audit line of a restore by sentinel-tui that wrote this version, if this machine made it."""
        try:
            lines = self.ops.audit.read()
        except (OSError, ValueError):
            return None
        for line in reversed(lines):
            if (line.get("action") == "restore" and line.get("parameter") == self.path
                    and line.get("version_after") == version and line.get("outcome") == "ok"):
                return f"{line.get('time')}, by {line.get('caller') or 'an unknown caller'}, from version " \
                       f"{line.get('restored_from')}"
        return None

    def _signature_replayed(self) -> str:
        try:
            sigs = self.ops.store.history(self.report.signature_path)
        except SentinelError:
            return ""
        if len(sigs) < 2:
            return ""
        current = sigs[-1]
        for earlier, nxt in zip(sigs, sigs[1:]):
            if earlier.value == current.value and nxt.value != current.value and nxt is not current:
                return (f" (the signature parameter too holds its version {earlier.version} again, as version "
                        f"{current.version})")
        return ""


def run_doctor(ops: Ops, name: str, key_id: str | None = None) -> DoctorReport:
    """Run every check on one policy. Never raises for AWS or input errors: see report.error."""
    try:
        doctor = _Doctor(ops, name, key_id)
    except ValueError as exc:  # a name SSM could not hold
        return DoctorReport(name=name, path=name, signature_path="", error=f"{exc}.")
    try:
        return doctor.run()
    except SentinelError as exc:
        doctor.report.error = exc.what + (f" Fix: {exc.fix}" if exc.fix else "")
        return doctor.report
