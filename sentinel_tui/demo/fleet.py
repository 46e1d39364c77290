"""The demo fleet: policies, keys and a TVM that between them show every status.

Everything is created through the real AWS APIs (boto3 against the endpoint),
exactly as an operator's account would hold it.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..core.envelope import dump_envelope, make_envelope, policy_hash
from ..core.paths import DEFAULT_POLICY_ROOT, policy_path, signature_path
from ..fileio import write_private

SIGNING_ALIAS = "alias/sentinel-policy-signing"
LEGACY_ALIAS = "alias/sentinel-legacy-signing"
TVM_FUNCTION = "sentinel-tvm-production"
FIXED_SIGNED_AT = datetime(2026, 11, 2, 9, 30, 0, 123456, tzinfo=timezone.utc)

PRODUCTION = """\
# Production: tracked server sessions in business hours, approval otherwise.
version: "1"
rules:
  - name: prod-oncall-approval
    effect: require_approval
    conditions:
      profiles: [production]
      users: [oncall-primary, oncall-secondary]
    reason: Production access outside the window needs an approver

  - name: prod-business-hours
    effect: require_server_session
    session_table: sentinel-sessions
    max_server_duration: 1h
    conditions:
      profiles: [production]
      time:
        days: [monday, tuesday, wednesday, thursday, friday]
        hours:
          start: "09:00"
          end: "18:00"
        timezone: Europe/Berlin
    reason: Tracked server sessions during business hours

  - name: prod-default-deny
    effect: deny
    conditions:
      profiles: [production]
    reason: Production is closed otherwise
"""

PRODUCTION_TESTS = """\
# What production must decide: sentinel-tui policy test production.yaml
# (the push flow runs these before signing).
tests:
  - name: on-call needs an approver, day or night
    request: {user: oncall-primary, profile: production, time: "2026-03-02 21:00 Europe/Berlin"}
    expect: {effect: require_approval, rule: prod-oncall-approval}
  - name: business hours are tracked server sessions
    request: {user: dana, profile: production, time: "2026-03-03 10:00 Europe/Berlin",
              session_table: sentinel-sessions}
    expect: {effect: allow, rule: prod-business-hours}
  - name: without a session table business hours are refused
    request: {user: dana, profile: production, time: "2026-03-03 10:00 Europe/Berlin"}
    expect: {effect: deny, rule: prod-business-hours, tvm: refuses}
  - name: closed in the evening
    request: {user: dana, profile: production, time: "2026-03-03 18:00 Europe/Berlin"}
    expect: {effect: deny, rule: prod-default-deny}
  - name: closed on Saturday
    request: {user: dana, profile: production, time: "2026-03-07 10:00 Europe/Berlin"}
    expect: deny
"""

DEV = """\
version: "1"
rules:
  - name: dev-any-mode
    effect: allow
    conditions:
      profiles: [dev, sandbox]
      mode: [cli, credential_process, server]
    reason: Development access
"""

PLATFORM = """\
# Platform team: managed, encrypted devices only.
version: "1"
rules:
  - name: platform-secure-device
    effect: allow
    conditions:
      profiles: [platform]
      device:
        require_mdm: true
        require_encryption: true
    reason: Platform access from an MDM-enrolled, encrypted device
"""

STAGING = """\
version: "1"
rules:
  - name: staging-needs-approval
    effect: require_approval
    conditions:
      profiles: [staging]
    reason: Staging changes are reviewed
"""

ANALYTICS_SIGNED = """\
version: "1"
rules:
  - name: analytics-readers
    effect: allow
    conditions:
      profiles: [analytics]
      users: [alice, bob]
"""

# Edited after signing: one user added. The signature still covers the old bytes.
ANALYTICS_CURRENT = ANALYTICS_SIGNED.replace("[alice, bob]", "[alice, bob, mallory]")

SANDBOX = """\
version: "1"
rules:
  - name: sandbox-open
    effect: allow
    conditions:
      profiles: [sandbox]
"""

SECURITY = """\
version: "1"
rules:
  - name: security-audit
    effect: allow
    conditions:
      profiles: [security-audit]
      users: [auditor]
    reason: Read-only audit access
"""

QA = """\
version: "1"
rules:
  - name: qa-weekdays
    effect: allow
    conditions:
      profiles: [qa]
      time:
        days: [monday, tuesday, wednesday, thursday, friday]
"""

# The "getting started" mistake: `time` as a list. The TVM's parser rejects it.
LEGACY = """\
version: "1"
rules:
  - name: prod-business-hours
    effect: allow
    conditions:
      profiles: [legacy]
      time:
        - days: [monday, friday]
"""

BILLING = """\
version: "1"
rules:
  - name: billing-finance
    effect: allow
    conditions:
      profiles: [billing]
      users: [finance-bot]
"""

READONLY = """\
version: "1"
rules:
  - name: readonly-everyone
    effect: allow
    conditions:
      profiles: [readonly]
    reason: Read-only profile for everyone
"""

ML = """\
version: "1"
rules:
  - name: ml-training
    effect: require_server
    max_server_duration: 4h
    conditions:
      profiles: [ml-training]
    reason: Long training jobs run in server mode
"""


def _too_large() -> str:
    head = '# Generated allow-list: every engineer by name. It grew past 4 KB.\nversion: "1"\nrules:\n'
    rules = []
    for i in range(60):
        rules.append(
            f"  - name: engineer-{i:03d}\n    effect: allow\n    conditions:\n"
            f"      profiles: [bulk]\n      users: [engineer-{i:03d}]\n"
        )
    return head + "".join(rules)


TOO_LARGE = _too_large()


@dataclass(frozen=True)
class DemoPolicy:
    name: str
    body: str
    sign: str | None = "primary"  # "primary", "legacy", None
    scenario: str = ""
    signed_body: str | None = None  # sign these bytes instead (stale / invalid)
    envelope_override: str | None = None  # a hand-written envelope (malformed)
    secure: bool = False


DEMO_POLICIES: tuple[DemoPolicy, ...] = (
    DemoPolicy("production", PRODUCTION, scenario="valid; served by the enforcing TVM"),
    DemoPolicy("dev", DEV, scenario="valid"),
    DemoPolicy("team/platform", PLATFORM, scenario="valid, nested name"),
    DemoPolicy("team/billing", BILLING, scenario="valid, nested name"),
    DemoPolicy("readonly", READONLY, scenario="valid"),
    DemoPolicy("ml/training", ML, scenario="valid"),
    DemoPolicy("staging", STAGING, sign=None, scenario="unsigned"),
    DemoPolicy("team/data/analytics", ANALYTICS_CURRENT, signed_body=ANALYTICS_SIGNED,
               scenario="stale: edited after signing"),
    DemoPolicy("sandbox", SANDBOX, scenario="invalid: signature of other bytes under this hash"),
    DemoPolicy("team/security", SECURITY, sign="legacy", scenario="wrong-key: signed with the legacy key"),
    DemoPolicy("qa", QA, scenario="malformed: signed_at without a zone"),
    DemoPolicy("legacy", LEGACY, scenario="unparseable: time as a list"),
    DemoPolicy("bulk", TOO_LARGE, sign=None, scenario="too-large"),
    DemoPolicy("team/finance", BILLING.replace("billing", "finance"), secure=True,
               scenario="unreadable: a SecureString this operator may not decrypt"),
)

ORPHAN_NAME = "retired"
UNREADABLE_NAME = "team/finance"

# What each scenario demonstrates: between them, every status (the tests hold the
# loader to this, and the README's table is illustrated by it).
EXPECTED_STATUS = {
    "production": "valid",
    "dev": "valid",
    "team/platform": "valid",
    "staging": "unsigned",
    "team/data/analytics": "stale",
    "sandbox": "invalid",
    "team/security": "wrong-key",
    "qa": "malformed",
    "legacy": "unparseable",
    "bulk": "too-large",
    UNREADABLE_NAME: "unreadable",
    ORPHAN_NAME: "orphan",
}


@dataclass
class DemoFleet:
    root: str
    primary_key_arn: str
    legacy_key_arn: str
    tvm_function: str
    local_dir: Path | None
    policies: dict[str, DemoPolicy] = field(default_factory=dict)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bootstrap", "#!/bin/sh\n# placeholder: the TVM's code is not part of the demo\n")
    return buffer.getvalue()


def seed(clients, *, root: str = DEFAULT_POLICY_ROOT, local_dir: Path | None = None,
         signed_at: datetime = FIXED_SIGNED_AT, key_spec: str = "RSA_4096",
         names: "set[str] | None" = None) -> DemoFleet:
    """Create the demo fleet through the AWS APIs of `clients` (a sentinel_tui.aws.session.Clients).

    `names` keeps only those demo policies (production is always there: a TVM serves
    it), and drops the orphan signature: the other accounts of `demo --accounts N`.

    The demo's keys are RSA_4096 as Sentinel recommends; tests may pass RSA_2048,
    which the emulator generates in a fraction of the time.
    """
    ssm = clients.client("ssm")
    kms = clients.client("kms")

    def make_key(alias: str, description: str) -> str:
        meta = kms.create_key(KeySpec=key_spec, KeyUsage="SIGN_VERIFY", Description=description,
                              Tags=[{"TagKey": "app", "TagValue": "sentinel"}])["KeyMetadata"]
        kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
        return meta["Arn"]

    primary = make_key(SIGNING_ALIAS, "Sentinel policy signing")
    legacy = make_key(LEGACY_ALIAS, "Sentinel policy signing (retired key)")
    aliases = {"primary": SIGNING_ALIAS, "legacy": LEGACY_ALIAS}

    def envelope_for(body: str, key_alias: str, signed: str) -> str:
        sig = kms.sign(KeyId=key_alias, Message=signed.encode(), MessageType="RAW",
                       SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
        env = make_envelope(sig, key_alias, signed.encode(), signed_at)
        return dump_envelope(env, indent=False)

    fleet = DemoFleet(root=root, primary_key_arn=primary, legacy_key_arn=legacy,
                      tvm_function=TVM_FUNCTION, local_dir=local_dir)
    full = names is None
    keep = None if full else set(names) | {"production"}
    for item in DEMO_POLICIES:
        if keep is not None and item.name not in keep:
            continue
        path = policy_path(item.name, root)
        ssm.put_parameter(Name=path, Value=item.body, Type="SecureString" if item.secure else "String",
                          Overwrite=True, **({} if item.secure else {"Tier": "Advanced" if len(item.body) > 4096 else "Standard"}))
        fleet.policies[item.name] = item
        if item.sign is None:
            continue
        key_alias = aliases[item.sign]
        if item.name == "sandbox":
            # A signature over other bytes, filed under this policy's hash: the hash
            # check passes, the cryptographic check does not.
            value = envelope_for(item.body, key_alias, item.body + "# tampered\n")
            env = json.loads(value)
            env["metadata"]["policy_hash"] = policy_hash(item.body.encode())
            value = json.dumps(env, separators=(",", ":"))
        elif item.name == "qa":
            value = envelope_for(item.body, key_alias, item.body)
            env = json.loads(value)
            env["metadata"]["signed_at"] = "2026-11-02T09:30:00"  # no zone: Go refuses it
            value = json.dumps(env, separators=(",", ":"))
        else:
            value = envelope_for(item.body, key_alias, item.signed_body or item.body)
        ssm.put_parameter(Name=signature_path(path), Value=value, Type="String", Overwrite=True)

    # A signature whose policy was deleted.
    if full:
        orphan_policy = policy_path(ORPHAN_NAME, root)
        ssm.put_parameter(Name=signature_path(orphan_policy), Type="String", Overwrite=True,
                          Value=envelope_for(DEV, SIGNING_ALIAS, DEV))

    # A second version of production, so history has something to show.
    prod = policy_path("production", root)
    ssm.put_parameter(Name=prod, Value=PRODUCTION, Type="String", Overwrite=True)

    lam = clients.client("lambda")
    iam = clients.client("iam")
    role = iam.create_role(
        RoleName="sentinel-tvm",
        AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                           "Action": "sts:AssumeRole"}],
        }),
    )["Role"]["Arn"]
    lam.create_function(
        FunctionName=TVM_FUNCTION, Runtime="provided.al2023", Role=role, Handler="bootstrap",
        Code={"ZipFile": _zip()},
        Environment={"Variables": {
            "SENTINEL_POLICY_PARAMETER": prod,
            "SENTINEL_POLICY_SIGNING_KEY": SIGNING_ALIAS,
            "SENTINEL_ENFORCE_POLICY_SIGNING": "true",
        }},
    )
    if keep is not None and "staging" not in keep:
        if local_dir is not None:
            write_local_folder(local_dir)
        return fleet
    lam.create_function(
        FunctionName="sentinel-tvm-staging", Runtime="provided.al2023", Role=role, Handler="bootstrap",
        Code={"ZipFile": _zip()},
        Environment={"Variables": {
            "SENTINEL_POLICY_PARAMETER": policy_path("staging", root),
            "SENTINEL_POLICY_SIGNING_KEY": SIGNING_ALIAS,
            "SENTINEL_ENFORCE_POLICY_SIGNING": "TRUE",  # silently NOT enforcing: a doctor finding
        }},
    )

    if local_dir is not None:
        write_local_folder(local_dir)
    return fleet


LOCAL_FILES = {
    # identical to the stored policy
    "production.yaml": PRODUCTION,
    # edited locally: a new user, and CRLF would be invisible in most diffs
    "dev.yaml": DEV.replace("reason: Development access", "reason: Development access (reviewed)"),
    # not in SSM yet
    "team/newteam.yaml": """\
version: "1"
rules:
  - name: newteam-dev
    effect: allow
    conditions:
      profiles: [newteam]
""",
    # what production must decide: `sentinel-tui policy test production.yaml`
    "production.tests.yaml": PRODUCTION_TESTS,
    # valid, with a trap the lints name: `efect` is an unknown key that Go ignores. Valid, so
    # that `sentinel-tui plan` on a copy of this folder can be applied as it is (issue 15).
    "staging.yaml": """\
version: "1"
rules:
  - name: staging-weekdays
    efect: deny
    effect: allow
    conditions:
      profiles: [staging]
      time:
        days: [monday]
""",
}


# `demo --empty`: the store holds nothing (no policy, no key, no TVM); the local folder
# holds one valid policy, the first one to sign and push once key setup made the key.
FIRST_POLICY_FILES = {
    "dev.yaml": DEV,
}


def seed_empty(local_dir: Path | None = None) -> None:
    """What `demo --empty` starts from: an account that has never used Sentinel.

    Nothing is created in the emulator. Only the local folder gets a first policy
    (`dev.yaml`), so the way in is key setup, then sign and push that file.
    """
    if local_dir is not None:
        write_local_folder(local_dir, FIRST_POLICY_FILES)


def write_local_folder(local_dir: Path, files: dict[str, str] | None = None) -> None:
    local_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for rel, body in (LOCAL_FILES if files is None else files).items():
        target = local_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        write_private(target, body.encode(), overwrite=True)


def demo_hooks(root: str = DEFAULT_POLICY_ROOT) -> list:
    """The one fault the emulator cannot produce: a SecureString this operator may not decrypt.

    moto has no per-parameter permissions, so the demo shapes AWS's answer (kms:Decrypt
    denied) with a botocore before-call hook on the real client, for that one parameter.
    """
    from ..aws.faults import deny

    denied_path = policy_path(UNREADABLE_NAME, root)
    message = (f"User: arn:aws:sts::123456789012:assumed-role/operator/demo is not authorized to perform: "
               f"kms:Decrypt on the key that encrypts {denied_path}")

    def targets(params: dict) -> bool:
        names = params.get("Names") or ([params["Name"]] if "Name" in params else [])
        return denied_path in names and bool(params.get("WithDecryption"))

    return [deny("ssm", op, message, when=targets)
            for op in ("GetParameters", "GetParameter", "GetParameterHistory")]
