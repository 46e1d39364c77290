"""The key setup wizard, end to end on an empty emulator and on one with a symmetric key under the alias."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess

import pytest

from sentinel_tui.aws.faults import deny
from sentinel_tui.aws.keys import DEFAULT_ALIAS
from sentinel_tui.aws.errors import SentinelError
from sentinel_tui.cli import main
from sentinel_tui.config import load_settings
from sentinel_tui.core.status import Status
from sentinel_tui.ops.bulk import resign_many
from sentinel_tui.ops.context import ReadOnlyError
from sentinel_tui.ops.keysetup import (DOCUMENTS, SIGNER_FILE, TERRAFORM_FILE, TVM_ENV_FILE, VERIFIER_FILE,
                                       create_key, documents_for, iam_documents, inspect_alias, make_default,
                                       normalize_alias, save_document, unsigned_policies)

POLICY = 'version: "1"\nrules:\n  - name: a\n    effect: allow\n    conditions:\n      profiles: [{p}]\n'


def test_wizard_end_to_end_on_an_empty_emulator(ops, tmp_path):
    # 0. nothing there yet
    state = inspect_alias(ops)
    assert state.alias == DEFAULT_ALIAS and state.needs_key and not state.exists
    assert "does not exist" in state.lines()[0]
    for p in ("dev", "qa", "team/ops"):
        ops.store.put(f"/sentinel/policies/{p}", POLICY.format(p=p.replace("/", "-")))

    # 1. create the key and the alias
    info = create_key(ops)
    assert info.spec == "RSA_4096" and info.usage == "SIGN_VERIFY" and info.state == "Enabled"
    assert info.problems() == [] and "Sentinel policy signing" in info.description
    kms = ops.clients.client("kms")
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=info.key_id)["Tags"]}
    assert tags["Purpose"] == "sentinel-policy-signing"
    assert inspect_alias(ops).ok
    audit = ops.audit.read()[-1]
    assert audit["action"] == "key setup" and audit["outcome"] == "ok" and audit["key_arn"] == info.arn

    # 2. the documents, with the real ARNs and account
    docs = documents_for(ops, DEFAULT_ALIAS, info)
    assert set(docs) == set(DOCUMENTS)
    signer, verifier = json.loads(docs[SIGNER_FILE]), json.loads(docs[VERIFIER_FILE])
    assert signer["Statement"][0]["Resource"] == info.arn and "kms:Sign" in signer["Statement"][0]["Action"]
    assert verifier["Statement"][0]["Action"] == ["kms:Verify", "kms:DescribeKey"]
    assert "arn:aws:ssm:us-east-1:123456789012:parameter/sentinel/signatures/*" in verifier["Statement"][1]["Resource"]
    assert "kms:Sign" not in json.dumps(verifier)
    iam = ops.clients.client("iam")
    for name, text in (("signer", docs[SIGNER_FILE]), ("verifier", docs[VERIFIER_FILE])):
        iam.create_policy(PolicyName=f"sentinel-{name}", PolicyDocument=text)  # IAM accepts them
    tf = docs[TERRAFORM_FILE]
    assert f'id = "{info.key_id}"' in tf and f'id = "{DEFAULT_ALIAS}"' in tf
    assert 'key_usage                = "SIGN_VERIFY"' in tf and "${aws_kms_key.sentinel_policy_signing.arn}" in tf
    assert tf.count("{") == tf.count("}")
    if shutil.which("terraform"):  # offline: HCL syntax and canonical formatting
        fmt = subprocess.run(["terraform", "fmt", "-check", "-"], input=tf, capture_output=True, text=True)
        assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    env = docs[TVM_ENV_FILE]
    assert f"SENTINEL_POLICY_SIGNING_KEY={info.arn}\n" in env and "SENTINEL_ENFORCE_POLICY_SIGNING=true\n" in env

    # ... each can be saved (0600, never over a file without force)
    out = save_document(tmp_path / VERIFIER_FILE, docs[VERIFIER_FILE])
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and json.loads(out.read_text()) == verifier
    with pytest.raises(SentinelError):
        save_document(out, "x")
    save_document(out, "x", force=True)

    # 3. the default key in the settings
    path = make_default(ops, "alias/sentinel-policy-signing")
    assert load_settings().default_key == DEFAULT_ALIAS and "endpoint_url" not in path.read_text()

    # 4. sign the unsigned policies through the bulk flow
    names = unsigned_policies(ops.fleet.load())
    assert names == ["dev", "qa", "team/ops"]
    result = resign_many(ops, names, key_id=DEFAULT_ALIAS)
    snap = ops.fleet.load()
    assert {e.name: e.status for e in snap.entries.values()} == {n: Status.VALID for n in names}


def test_a_symmetric_key_under_the_alias_is_explained_and_never_replaced(ops, call_counter):
    kms = ops.clients.client("kms")
    meta = kms.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    kms.create_alias(AliasName=DEFAULT_ALIAS, TargetKeyId=meta["KeyId"])
    before = len(call_counter.calls)
    state = inspect_alias(ops)
    assert state.exists and not state.ok and state.key.arn == meta["Arn"]
    assert any("ENCRYPT_DECRYPT" in p for p in state.problems)
    text = "\n".join(state.lines())
    assert "cannot sign or verify" in text and "aws kms update-alias" in text
    with pytest.raises(SentinelError) as err:
        create_key(ops)
    assert err.value.kind == "already-exists"
    made = [c for c in call_counter.calls[before:] if c.startswith(("kms.Create", "kms.Update", "kms.Delete"))]
    assert made == []
    assert kms.describe_key(KeyId=DEFAULT_ALIAS)["KeyMetadata"]["KeyId"] == meta["KeyId"]


@pytest.mark.parametrize("case,words", [("disabled", "aws kms enable-key"),
                                        ("pending", "aws kms cancel-key-deletion")])
def test_an_unusable_signing_key_is_explained(ops, signing_key, case, words):
    kms = ops.clients.client("kms")
    key_id = kms.describe_key(KeyId=signing_key)["KeyMetadata"]["KeyId"]
    if case == "disabled":
        kms.disable_key(KeyId=key_id)
    else:
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    state = inspect_alias(ops)
    assert state.exists and not state.ok and words in "\n".join(state.lines())


def test_read_only_creates_nothing(ops, call_counter):
    ro = ops.switch(read_only=True)
    with pytest.raises(ReadOnlyError):
        create_key(ro)
    with pytest.raises(ReadOnlyError):
        make_default(ro, DEFAULT_ALIAS)
    assert not inspect_alias(ops).exists
    # documents can still be shown, with a placeholder for the key
    docs = iam_documents("123456789012", "eu-west-1", None, DEFAULT_ALIAS)
    assert "arn:aws:kms:eu-west-1:123456789012:key/KEY_ID" in docs[VERIFIER_FILE]
    assert "import {" not in docs[TERRAFORM_FILE]


def test_a_failed_alias_leaves_no_key_behind(ops):
    ops.clients.add_hook(deny("kms", "CreateAlias", "User: u is not authorized to perform: kms:CreateAlias"))
    with pytest.raises(SentinelError) as err:
        create_key(ops)
    assert "scheduled for deletion" in err.value.what
    kms = ops.clients.client("kms")
    ours = [k for k in kms.list_keys()["Keys"]
            if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"].get("KeyUsage") == "SIGN_VERIFY"]
    assert ours and all(kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
                        for k in ours)
    assert ops.audit.read()[-1]["outcome"] == "failed"


def test_alias_names():
    assert normalize_alias("team-signing") == "alias/team-signing"
    assert normalize_alias(None) == DEFAULT_ALIAS
    for bad in ("alias/aws/ssm", "alias/with space"):
        with pytest.raises(SentinelError):
            normalize_alias(bad)


def test_cli_keys_setup(ops, endpoint, capsys, tmp_path):
    args = ["keys", "setup", "--alias", "alias/ci-signing", "--endpoint-url", endpoint]
    assert main(args + ["--read-only"]) == 1
    captured = capsys.readouterr()
    assert "does not exist" in captured.out and "read-only" in captured.err.lower()
    assert main(args + ["--yes", "--save-dir", str(tmp_path / "docs"), "--make-default"]) == 0
    out = capsys.readouterr().out
    assert "Created alias/ci-signing" in out
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == sorted(DOCUMENTS)
    assert load_settings().default_key == "alias/ci-signing"
    assert main(args) == 0  # exists now: checked, nothing created
    assert "can sign and verify" in capsys.readouterr().out


def test_making_the_built_in_default_alias_the_default_writes_it(ops):
    """`m` on alias/sentinel-policy-signing wrote a 1-byte file (the default was left out as a default)."""
    import tomllib

    path = make_default(ops, DEFAULT_ALIAS)
    text = path.read_text()
    assert tomllib.loads(text) == {"default_key": DEFAULT_ALIAS} and len(text) > 1
    assert load_settings().default_key == DEFAULT_ALIAS
    before = path.stat().st_mtime_ns
    assert make_default(ops, DEFAULT_ALIAS) == path and path.stat().st_mtime_ns == before  # nothing to change
    # another alias, then back: each written, other settings kept
    path.write_text(text + 'policy_root = "/acme/policies"\n')
    make_default(ops, "alias/other")
    assert tomllib.loads(path.read_text()) == {"default_key": "alias/other", "policy_root": "/acme/policies"}
    make_default(ops, DEFAULT_ALIAS)
    assert tomllib.loads(path.read_text()) == {"default_key": DEFAULT_ALIAS, "policy_root": "/acme/policies"}


def _allowed(document: dict, action: str, resource: str) -> bool:
    """IAM's Allow match for one request: action and resource ARN against the statements' patterns
    (`*` matches any run of characters, `/` included, as in IAM)."""
    from fnmatch import fnmatchcase

    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if statement["Effect"] == "Allow" and any(fnmatchcase(action, a) for a in actions) \
                and any(fnmatchcase(resource, r) for r in resources):
            return True
    return False


def test_the_signer_policy_allows_every_ssm_call_a_status_load_and_a_push_make(ops, signing_key, tmp_path):
    """GetParametersByPath is authorized against the requested path (SSM user guide, 'How Parameter
    Store authorizes parameter retrieval'): parameter/sentinel/policies/* alone does not allow
    listing /sentinel/policies."""
    from sentinel_tui.ops.push import execute_push, plan_push

    info = ops.keys.describe(signing_key)
    signer = json.loads(documents_for(ops, DEFAULT_ALIAS, info)[SIGNER_FILE])
    seen: list[tuple[str, str]] = []
    arn = "arn:aws:ssm:us-east-1:123456789012:parameter"

    def record(params, model, **kwargs):
        action = f"ssm:{model.name}"
        if "Path" in params:
            seen.append((action, arn + params["Path"]))
        for name in params.get("Names") or ([params["Name"]] if "Name" in params else []):
            seen.append((action, arn + name))
        if model.name == "DescribeParameters":
            seen.append((action, "*"))

    ops.clients.add_hook(lambda service, client: client.meta.events.register("before-parameter-build.ssm.*", record)
                         if service == "ssm" else None)
    local = tmp_path / "team-a.yaml"
    local.write_text(POLICY.format(p="a"))
    execute_push(ops, plan_push(ops, "team/a", local, sign=True, key_id=None))
    ops.fleet.load()
    assert ("ssm:GetParametersByPath", arn + "/sentinel/policies") in seen
    denied = sorted({call for call in seen if not _allowed(signer, *call)})
    assert denied == []
