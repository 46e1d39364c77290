"""First-time key setup: find or create the signing key, and write what the rest of AWS needs.

1. `inspect_alias` says whether the alias (``alias/sentinel-policy-signing`` or a chosen
   one) exists and, if it does, what is wrong with its key (usage, spec, state), in
   plain words with the fix.
2. `create_key` creates an RSA_4096 SIGN_VERIFY key with a description and tags, and
   the alias (refused in read-only mode; audited). If the alias cannot be made, the
   new key is scheduled for deletion so nothing is left half-made.
3. `iam_documents` fills in the real ARNs, account and region: the signer and
   verifier IAM policies, the Terraform for the key, alias and policies (with import
   blocks that adopt the key just created), and the TVM's environment lines.
4. `save_document` writes one of them to a file (0600, atomic); `make_default` makes
   the alias the default key in the settings file.
5. `unsigned_policies` lists what the bulk re-sign flow should sign next.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import SentinelError
from ..aws.keys import DEFAULT_ALIAS, KeyInfo
from ..config import ENV_NAMES, config_file, load_settings, save_settings
from ..core.envelope import ALGORITHM
from ..core.paths import signature_root
from ..core.policy import MAX_POLICY_BYTES
from ..core.status import Status
from ..core.tvm import ENV_ENFORCE, ENV_POLICY_PARAMETER, ENV_SIGNING_KEY
from ..fileio import write_private
from . import remedies
from .context import Ops
from .fleet import FleetSnapshot
from .push import LOCK_PREFIX

KEY_SPEC = "RSA_4096"
KEY_DESCRIPTION = "Sentinel policy signing key (RSASSA_PSS_SHA_256), created by sentinel-tui"
KEY_TAGS = {"Purpose": "sentinel-policy-signing", "CreatedBy": "sentinel-tui"}
DELETION_WINDOW_DAYS = 7  # KMS's minimum: for a key made here whose alias could not be created

SIGNER_FILE = "sentinel-signer-policy.json"
VERIFIER_FILE = "sentinel-verifier-policy.json"
TERRAFORM_FILE = "sentinel-policy-signing.tf"
TVM_ENV_FILE = "sentinel-tvm.env"
DOCUMENTS = (SIGNER_FILE, VERIFIER_FILE, TERRAFORM_FILE, TVM_ENV_FILE)
DOCUMENT_TITLES = {
    SIGNER_FILE: "Signer IAM policy (CI pipelines, policy authors)",
    VERIFIER_FILE: "Verifier IAM policy (the TVM's execution role)",
    TERRAFORM_FILE: "Terraform: key, alias and both policies",
    TVM_ENV_FILE: "Lambda environment of each TVM",
}

_ALIAS = re.compile(r"alias/[A-Za-z0-9/_-]{1,250}\Z")


def normalize_alias(alias: str | None) -> str:
    """``sentinel-policy-signing`` -> ``alias/sentinel-policy-signing``; refuses names KMS refuses."""
    alias = (alias or DEFAULT_ALIAS).strip()
    if not alias.startswith("alias/"):
        alias = "alias/" + alias
    if not _ALIAS.match(alias):
        raise SentinelError(f"{alias!r} is not a KMS alias name.",
                            "Use alias/ followed by letters, digits, '/', '_' or '-'.", kind="validation")
    if alias.startswith("alias/aws/"):
        raise SentinelError(f"{alias} is reserved for AWS managed keys.", "Choose another alias.",
                            kind="validation")
    return alias


@dataclass(frozen=True)
class KeySetupState:
    alias: str
    exists: bool
    key: KeyInfo | None = None
    problems: tuple[str, ...] = ()  # KeyInfo.problems(): short
    explanations: tuple[str, ...] = ()  # one per problem: what it means and what to do
    error: SentinelError | None = None  # DescribeKey failed for a reason other than "no such alias"

    @property
    def ok(self) -> bool:
        return self.exists and not self.problems and self.error is None

    @property
    def needs_key(self) -> bool:
        return not self.exists and self.error is None

    def lines(self) -> list[str]:
        if self.error is not None:
            return [f"{self.alias}: could not be inspected: {self.error.what}"] + (
                [f"fix: {self.error.fix}"] if self.error.fix else [])
        if not self.exists:
            return [f"{self.alias} does not exist in this account and region: there is no signing key yet."]
        k = self.key
        assert k is not None
        out = [f"{self.alias} → {k.arn}",
               f"  state {k.state}, usage {k.usage}, spec {k.spec}, "
               f"{ALGORITHM} {'offered' if ALGORITHM in k.algorithms else 'NOT offered'}"]
        if self.ok:
            out.append("  It can sign and verify Sentinel policies.")
        for text in self.explanations:
            out.append(f"  problem: {text}")
        return out


def _explain(info: KeyInfo, alias: str) -> tuple[str, ...]:
    found = []
    if info.usage != "SIGN_VERIFY":
        found.append(
            f"{alias} points at a {info.spec} {info.usage} key, which KMS cannot sign or verify with "
            "(InvalidKeyUsageException). A key's usage and spec are fixed when it is created: create an "
            f"{KEY_SPEC} SIGN_VERIFY key under another alias, or, once nothing else uses {alias}, move the alias "
            f"to the new key (aws kms update-alias --alias-name {alias} --target-key-id NEW_KEY_ID).")
    elif not info.spec.startswith("RSA_"):
        found.append(
            f"{alias} is a {info.spec} signing key: Sentinel signs with {ALGORITHM}, which needs an RSA key "
            f"(RSA_2048, RSA_3072 or {KEY_SPEC}). Create an {KEY_SPEC} SIGN_VERIFY key.")
    elif ALGORITHM not in info.algorithms:
        found.append(f"the key does not offer {ALGORITHM}; create an {KEY_SPEC} SIGN_VERIFY key.")
    if info.state == "Disabled":
        found.append(f"the key is disabled: KMS refuses Sign and Verify (DisabledException), so every enforcing "
                     f"TVM using it denies. Enable it: aws kms enable-key --key-id {info.arn}")
    elif info.state == "PendingDeletion":
        when = f" on {info.deletion_date:%Y-%m-%d}" if info.deletion_date else ""
        found.append(f"the key is scheduled for deletion{when}: KMS refuses it (KMSInvalidStateException), and "
                     "once deleted every signature made with it is void. Cancel: aws kms cancel-key-deletion "
                     f"--key-id {info.arn} && aws kms enable-key --key-id {info.arn}")
    elif info.state != "Enabled":
        found.append(f"the key is {info.state}, not Enabled: KMS refuses it until it is Enabled.")
    return tuple(found)


def inspect_alias(ops: Ops, alias: str | None = None) -> KeySetupState:
    """Whether `alias` exists, and what is wrong with its key (no writes)."""
    alias = normalize_alias(alias)
    try:
        info = ops.keys.describe(alias, fresh=True)
    except SentinelError as exc:
        if getattr(exc, "kind", "") == "not-found":
            return KeySetupState(alias=alias, exists=False)
        return KeySetupState(alias=alias, exists=False, error=exc)
    return KeySetupState(alias=alias, exists=True, key=info, problems=tuple(info.problems()),
                         explanations=_explain(info, alias))


def create_key(ops: Ops, alias: str | None = None, *, spec: str = KEY_SPEC,
               description: str = KEY_DESCRIPTION, tags: dict[str, str] | None = None) -> KeyInfo:
    """CreateKey (asymmetric, SIGN_VERIFY) with a description and tags, then CreateAlias. Audited."""
    alias = normalize_alias(alias)
    ops.guard_write(f"creating the KMS key {alias}")
    state = inspect_alias(ops, alias)
    if state.error is not None:
        raise state.error
    if state.exists:
        raise SentinelError(f"{alias} already exists ({state.key.arn if state.key else '?'}); nothing was created.",
                            "Use it (check it with the key setup), or choose another alias.", kind="already-exists")
    caller = ops.caller()
    all_tags = {**KEY_TAGS, **(tags or {})}
    try:
        meta = ops.keys.create_key(spec=spec, description=description, tags=all_tags, resource=alias)
    except SentinelError as err:
        ops.audit.record(action="key setup", parameter=alias, outcome="failed", caller=caller, detail=err.what)
        raise
    try:
        ops.keys.create_alias(alias, meta["KeyId"])
    except SentinelError as err:
        cleanup = _schedule_deletion(ops, meta["KeyId"])
        ops.audit.record(action="key setup", parameter=alias, outcome="failed", caller=caller,
                         detail=f"{err.what} {cleanup}", key_arn=meta["Arn"])
        raise SentinelError(f"The key {meta['Arn']} was created, but the alias {alias} was not: {err.what} {cleanup}",
                            err.fix, kind=err.kind) from None
    ops.audit.record(action="key setup", parameter=alias, outcome="ok", caller=caller, key_arn=meta["Arn"],
                     spec=spec)
    return ops.keys.describe(alias, fresh=True)


def _schedule_deletion(ops: Ops, key_id: str) -> str:
    try:
        ops.keys.schedule_deletion(key_id, DELETION_WINDOW_DAYS)
    except SentinelError as err:
        return f"The unused key could not be scheduled for deletion ({err.what}): delete it by hand."
    return f"The unused key was scheduled for deletion in {DELETION_WINDOW_DAYS} days (cancel it to keep it)."


# -- documents ---------------------------------------------------------------------------------


def _ssm_arn(partition: str, region: str, account: str, path: str) -> str:
    return f"arn:{partition}:ssm:{region}:{account}:parameter{path}"


def iam_documents(account: str, region: str, key_arn: str | None, alias: str,
                  policy_root: str = "/sentinel/policies", *, partition: str = "aws",
                  profile: str = "PROFILE") -> dict[str, str]:
    """The signer and verifier IAM policies, the Terraform and the TVM's environment, filled in.

    Keys of the result are the default file names (DOCUMENTS). Without `key_arn` (read-only
    mode, nothing created yet) the key ARN is a placeholder with the real account and region.
    """
    alias = normalize_alias(alias)
    key = key_arn or f"arn:{partition}:kms:{region}:{account}:key/KEY_ID"
    sig_root = signature_root(policy_root)
    policies = _ssm_arn(partition, region, account, policy_root + "/*")
    signatures = _ssm_arn(partition, region, account, sig_root + "/*")
    locks = _ssm_arn(partition, region, account, LOCK_PREFIX + policy_root + "/*")
    # GetParametersByPath is authorized against the path in the request, not the parameters it
    # returns (SSM user guide, "How Parameter Store authorizes parameter retrieval"): listing the
    # root needs the ARN of the root itself, which ".../*" does not match.
    listed_roots = [_ssm_arn(partition, region, account, policy_root),
                    _ssm_arn(partition, region, account, sig_root)]

    def signer(key_ref: str) -> dict:
        return {"Version": "2012-10-17", "Statement": [
            {"Sid": "SentinelPolicySigning", "Effect": "Allow",
             "Action": ["kms:Sign", "kms:Verify", "kms:GetPublicKey", "kms:DescribeKey"], "Resource": key_ref},
            {"Sid": "SentinelPolicyStore", "Effect": "Allow",
             "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
                        "ssm:GetParameterHistory", "ssm:PutParameter"],
             "Resource": [policies, signatures]},
            {"Sid": "SentinelPolicyListing", "Effect": "Allow",
             "Action": ["ssm:GetParametersByPath"], "Resource": listed_roots},
            {"Sid": "SentinelPushLock", "Effect": "Allow",
             "Action": ["ssm:GetParameter", "ssm:PutParameter", "ssm:DeleteParameter"], "Resource": locks},
            {"Sid": "SentinelDiscovery", "Effect": "Allow",
             "Action": ["ssm:DescribeParameters", "kms:ListAliases", "lambda:ListFunctions"], "Resource": "*"},
        ]}

    def verifier(key_ref: str) -> dict:
        return {"Version": "2012-10-17", "Statement": [
            {"Sid": "SentinelPolicyVerification", "Effect": "Allow",
             "Action": ["kms:Verify", "kms:DescribeKey"], "Resource": key_ref},
            {"Sid": "SentinelPolicyRead", "Effect": "Allow", "Action": ["ssm:GetParameter"],
             "Resource": [policies, signatures]},
        ]}

    tf_key = "${aws_kms_key.sentinel_policy_signing.arn}"
    key_id = key.rsplit("/", 1)[-1] if key_arn else None
    imports = ""
    if key_id:
        imports = (f'# The key and alias exist already ({remedies.KEYS_SETUP_COMMAND} made or found them): these\n'
                   f'# import blocks (Terraform >= 1.5) adopt them instead of creating new ones.\n'
                   f'import {{\n  to = aws_kms_key.sentinel_policy_signing\n  id = "{key_id}"\n}}\n\n'
                   f'import {{\n  to = aws_kms_alias.sentinel_policy_signing\n  id = "{alias}"\n}}\n\n')
    terraform = (
        f"# Sentinel policy signing, account {account}, region {region}.\n"
        f"# Key: {key}\n\n"
        + imports
        + 'resource "aws_kms_key" "sentinel_policy_signing" {\n'
        f'  description              = "{KEY_DESCRIPTION}"\n'
        '  key_usage                = "SIGN_VERIFY"\n'
        f'  customer_master_key_spec = "{KEY_SPEC}"\n'
        "  deletion_window_in_days  = 30\n"
        "  # Asymmetric keys have no automatic rotation: rotate by creating a new key,\n"
        "  # re-signing every policy with it, then pointing the TVMs at it.\n"
        "  tags = {\n"
        + "".join(f'    {k:{max(map(len, KEY_TAGS))}} = "{v}"\n' for k, v in KEY_TAGS.items())
        + "  }\n}\n\n"
        'resource "aws_kms_alias" "sentinel_policy_signing" {\n'
        f'  name          = "{alias}"\n'
        "  target_key_id = aws_kms_key.sentinel_policy_signing.key_id\n}\n\n"
        'resource "aws_iam_policy" "sentinel_policy_signer" {\n'
        '  name        = "SentinelPolicySigner"\n'
        '  description = "Sign and push Sentinel policies (CI, policy authors)"\n'
        "  policy      = <<-EOT\n"
        + _indent(json.dumps(signer(tf_key), indent=2), 4)
        + "\n  EOT\n}\n\n"
        'resource "aws_iam_policy" "sentinel_policy_verifier" {\n'
        '  name        = "SentinelPolicyVerifier"\n'
        '  description = "Verify Sentinel policy signatures (the TVM execution role)"\n'
        "  policy      = <<-EOT\n"
        + _indent(json.dumps(verifier(tf_key), indent=2), 4)
        + "\n  EOT\n}\n\n"
        "# Attach the verifier policy to each TVM's execution role, e.g.:\n"
        '# resource "aws_iam_role_policy_attachment" "tvm_verifies" {\n'
        "#   role       = aws_iam_role.sentinel_tvm.name\n"
        "#   policy_arn = aws_iam_policy.sentinel_policy_verifier.arn\n"
        "# }\n"
    )
    env = (
        "# Environment of each Sentinel TVM (Lambda). Set all three; only the exact string\n"
        f"# 'true' turns enforcement on ('1' or 'TRUE' silently turn it off), and {ENV_ENFORCE}=true\n"
        f"# without {ENV_SIGNING_KEY} stops the TVM from starting.\n"
        "# Note: aws lambda update-function-configuration --environment replaces the whole\n"
        "# environment: include every variable the function already has.\n"
        f"{ENV_POLICY_PARAMETER}={policy_root}/{profile}\n"
        f"{ENV_SIGNING_KEY}={key}\n"
        f"{ENV_ENFORCE}=true\n"
        f"# The alias works too ({ENV_SIGNING_KEY}={alias}), but the key ARN pins the key: an alias\n"
        "# moved to another key would make every TVM deny until the policies are re-signed.\n"
    )
    return {
        SIGNER_FILE: json.dumps(signer(key), indent=2) + "\n",
        VERIFIER_FILE: json.dumps(verifier(key), indent=2) + "\n",
        TERRAFORM_FILE: terraform,
        TVM_ENV_FILE: env,
    }


def _indent(text: str, n: int) -> str:
    pad = " " * n
    return "\n".join(pad + line for line in text.splitlines())


def key_home(ops: Ops) -> tuple[str, str | None]:
    """(account, region) a key created now would live in (one GetCallerIdentity, cached)."""
    return ops.clients.identity().account, ops.clients.region


def documents_for(ops: Ops, alias: str, key: KeyInfo | None) -> dict[str, str]:
    """`iam_documents` with the caller's account, the region and the policy root of `ops`."""
    identity = ops.clients.identity()
    region = ops.clients.region or "us-east-1"
    partition = identity.arn.split(":")[1] if identity.arn.startswith("arn:") else "aws"
    return iam_documents(identity.account, region, key.arn if key else None, alias, ops.settings.policy_root,
                         partition=partition)


def save_document(path: str | Path, text: str, force: bool = False) -> Path:
    """Write one document, mode 0600, atomically; an existing file only with `force`."""
    return write_private(path, text.encode("utf-8"), overwrite=force)


def make_default(ops: Ops, alias: str) -> Path:
    """Make `alias` the default key in the settings file (not in the environment or flags).

    Returns the settings file. The running session keeps its settings: use
    ``ops.switch(default_key=alias)`` for it to take effect now.
    """
    alias = normalize_alias(alias)
    ops.guard_write(f"making {alias} the default key in the settings")
    path = config_file()
    if _file_default_key(path) == alias:
        return path  # already written there: nothing to change
    base = load_settings(env={})  # the file alone: never persist flags or environment
    # explicit: the built-in default alias is written too (an empty file said nothing)
    path = save_settings(base.with_(default_key=alias), path, explicit=("default_key",))
    ops.audit.record(action="set default key", parameter=str(path), outcome="ok", caller=None, key_id=alias)
    return path


def _file_default_key(path: Path) -> str | None:
    """default_key as the settings file itself spells it (None when the file does not set it)."""
    import tomllib

    try:
        value = tomllib.loads(path.read_text(encoding="utf-8")).get("default_key")
    except (OSError, ValueError):
        return None
    return value if isinstance(value, str) else None


def default_key_overridden() -> str | None:
    """The environment variable that overrides the file's default_key, if set."""
    import os

    var = ENV_NAMES["default_key"]
    return var if os.environ.get(var) else None


def unsigned_policies(snapshot: FleetSnapshot) -> list[str]:
    """Names the bulk re-sign flow should sign after setup: unsigned, readable, signable."""
    names = []
    for entry in snapshot.sorted_entries():
        if entry.status is Status.UNSIGNED and entry.policy is not None and len(entry.policy.data) <= MAX_POLICY_BYTES:
            names.append(entry.name)
    return names
