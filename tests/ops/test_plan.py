"""plan/apply: every bad input and fault of issue 15, each ending with SSM's state checked pair by pair."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from botocore.exceptions import ConnectionClosedError

from sentinel_tui.aws.faults import error_response as aws_error, on_call
from sentinel_tui.core.envelope import policy_hash
from sentinel_tui.core.status import Status
from sentinel_tui.ops.context import ReadOnlyError
from sentinel_tui.ops.plan import (
    APPLIED, CREATE, DELETE, NOT_ATTEMPTED, NOT_MANAGED, NOTHING_WRITTEN, RESIGN, ROLLED_BACK, UNCHANGED, UPDATE,
    PlanError, PlanRefused, apply_plan, content_hash, load_plan, make_plan, plan_markdown,
)
from sentinel_tui.ops.push import execute_push, plan_push

ROOT = "/sentinel/policies"


def body(name: str, extra: str = "") -> bytes:
    return (f'version: "1"\nrules:\n  - name: {name}-rule\n    effect: allow\n    conditions:\n'
            f'      profiles: [{name}]\n{extra}').encode()


def inject(ops, service, operation, handler):
    ops.clients.add_hook(on_call(service, operation, handler))


class Folder(type(Path())):
    """The policy folder of a repository checkout, with a helper that writes a file into it."""

    def write(self, rel: str, data: bytes) -> Path:
        target = self / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target


@pytest.fixture
def folder(tmp_path):
    d = Folder(tmp_path / "repo" / "policies")
    d.mkdir(parents=True)
    return d


@pytest.fixture
def stored(ops, signing_key, tmp_path):
    """Push valid pairs through push's own path."""
    def push(name: str, data: bytes) -> None:
        f = tmp_path / "seed.yaml"
        f.write_bytes(data)
        execute_push(ops, plan_push(ops, name, f, sign=True, key_id=signing_key))
    return push


def pairs(ops) -> dict[str, tuple]:
    """name -> (policy version, signature version, status, policy bytes) for every stored pair."""
    snap = ops.fleet.load()
    assert snap.complete
    return {e.name: (e.policy.version if e.policy else None, e.signature.version if e.signature else None,
                     e.status, e.policy.data if e.policy else None)
            for e in snap.entries.values() if e.remote}


def all_valid(state: dict) -> bool:
    return all(s[2] is Status.VALID for s in state.values())


# -- making a plan ------------------------------------------------------------------------

def test_plan_actions_diffs_and_hash(ops, stored, folder):
    stored("same", body("same"))
    stored("changed", body("changed"))
    stored("gone", body("gone"))
    folder.write("same.yaml", body("same"))
    folder.write("changed.yaml", body("changed", "    reason: reviewed\n"))
    folder.write("team/new.yml", body("new"))
    plan = make_plan(ops, folder)
    actions = {i.name: i.action for i in plan.items}
    assert actions == {"same": UNCHANGED, "changed": UPDATE, "team/new": CREATE, "gone": NOT_MANAGED}
    changed = next(i for i in plan.items if i.name == "changed")
    assert changed.stored_version == 1 and changed.signature_version == 1
    assert changed.file_sha256 == policy_hash(body("changed", "    reason: reviewed\n"))
    assert "+    reason: reviewed" in changed.diff and changed.added == 1
    assert changed.change_kind in ("meaning", "access") and changed.change
    assert changed.key_id == "alias/sentinel-policy-signing" and changed.size == len(body("changed")) + 21
    assert plan.has_changes
    assert plan.sha256 == content_hash(plan.content)
    # the hash covers what is done and against what; not when or by whom: planning again gives the same
    again = make_plan(ops, str(folder) + "/")
    assert again.sha256 == plan.sha256 and again.made["folder"] != plan.made["folder"]
    md = plan_markdown(plan)
    assert "| `changed` | update |" in md and "<details>" in md and plan.sha256 in md
    assert "| `gone` |" not in md and "1 stored policy with no file here" in md and "- `gone`" in md


def test_prune_plans_a_delete(ops, stored, folder):
    stored("keep", body("keep"))
    stored("gone", body("gone"))
    folder.write("keep.yaml", body("keep"))
    plan = make_plan(ops, folder, prune=True)
    assert {i.name: i.action for i in plan.items} == {"keep": UNCHANGED, "gone": DELETE}
    result = apply_plan(ops, plan, folder=folder)
    assert result.ok
    state = pairs(ops)
    assert set(state) == {"keep"} and all_valid(state)


def test_empty_folder_plans_nothing_and_refuses_to_prune_everything(ops, stored, folder):
    stored("a", body("a"))
    plan = make_plan(ops, folder)
    assert not plan.has_changes and [i.action for i in plan.items] == [NOT_MANAGED]
    assert "holds no policy files" in plan.made["warnings"][0]
    with pytest.raises(PlanError) as err:
        make_plan(ops, folder, prune=True)
    assert "delete every policy" in err.value.what
    assert set(pairs(ops)) == {"a"}


def test_non_policy_files_are_ignored_and_listed(ops, signing_key, folder):
    folder.write("a.yaml", body("a"))
    folder.write("README.md", b"# policies\n")
    folder.write("a.yaml.sig", b"{}")
    folder.write(".gitkeep", b"")
    folder.write(".github/x.yaml", body("x"))
    plan = make_plan(ops, folder)
    assert [i.name for i in plan.items] == ["a"]
    ignored = plan.made["ignored"]
    assert any(i.startswith("README.md:") for i in ignored) and any(i.startswith("a.yaml.sig:") for i in ignored)
    assert any(i.startswith(".gitkeep:") for i in ignored) and any(i.startswith(".github/") for i in ignored)
    # what is ignored does not change what apply does, so not the hash either (a plan.json written here)
    folder.write("plan.json", plan.dumps().encode())
    assert make_plan(ops, folder).sha256 == plan.sha256


def test_every_invalid_file_is_named_and_nothing_is_planned(ops, signing_key, folder, tmp_path):
    folder.write("good.yaml", body("good"))
    folder.write("bad-weekday.yaml", body("x", "      time:\n        days: [Monday]\n"))
    folder.write("bad-yaml.yaml", b"version: \"1\"\nrules: [\n")
    folder.write("big.yaml", body("big") + b"#" + b"x" * 4200 + b"\n")
    folder.write("a.yaml", body("a"))
    folder.write("a.yml", body("a"))
    outside = tmp_path / "outside.yaml"
    outside.write_bytes(body("outside"))
    os.symlink(outside, folder / "linked.yaml")
    os.symlink(tmp_path, folder / "linked-dir")
    with pytest.raises(PlanError) as err:
        make_plan(ops, folder)
    problems = "\n".join(err.value.problems)
    for named in ("bad-weekday.yaml", "bad-yaml.yaml", "big.yaml", "a.yaml and a.yml", "linked.yaml", "linked-dir"):
        assert named in problems, named
    assert "good.yaml" not in problems and len(err.value.problems) == 6
    assert "symbolic link" in problems and "4,096" in problems


# -- applying -----------------------------------------------------------------------------

def test_apply_applies_exactly_the_plan_and_audits_its_hash(ops, stored, folder):
    stored("dev", body("dev"))
    folder.write("dev.yaml", body("dev", "    reason: new\n"))
    folder.write("qa.yaml", body("qa"))
    plan = make_plan(ops, folder)
    result = apply_plan(ops, plan, folder=folder)
    assert result.ok and {i.name: i.state for i in result.items} == {"dev": APPLIED, "qa": APPLIED}
    state = pairs(ops)
    assert all_valid(state) and state["dev"][3] == body("dev", "    reason: new\n") and state["dev"][0] == 2
    lines = [line for line in ops.audit.read() if line.get("plan_sha256")]
    assert {(line["action"], line["parameter"]) for line in lines if line["parameter"]} == {
        ("push", f"{ROOT}/dev"), ("push", f"{ROOT}/qa")}
    assert all(line["plan_sha256"] == plan.sha256 for line in lines)
    assert make_plan(ops, folder).has_changes is False


def test_a_stored_policy_changed_between_plan_and_apply_refuses_everything(ops, stored, folder):
    stored("a", body("a"))
    stored("b", body("b"))
    folder.write("a.yaml", body("a", "    reason: x\n"))
    folder.write("b.yaml", body("b", "    reason: y\n"))
    plan = make_plan(ops, folder)
    ops.store.put(f"{ROOT}/b", body("b", "    reason: someone else\n").decode())
    before = pairs(ops)
    with pytest.raises(PlanRefused) as err:
        apply_plan(ops, plan, folder=folder)
    assert "nothing was written" in err.value.what
    assert any(p.startswith("b: stored policy version 1 -> 2") for p in err.value.problems)
    assert pairs(ops) == before  # not even `a`, whose pair did not move


def test_a_policy_stored_since_the_plan_refuses(ops, stored, folder):
    folder.write("a.yaml", body("a"))
    plan = make_plan(ops, folder)
    stored("intruder", body("intruder"))
    with pytest.raises(PlanRefused) as err:
        apply_plan(ops, plan, folder=folder)
    assert any("intruder: stored since the plan" in p for p in err.value.problems)
    assert set(pairs(ops)) == {"intruder"}


def test_a_planned_file_edited_after_the_plan_refuses(ops, stored, folder):
    folder.write("a.yaml", body("a"))
    plan = make_plan(ops, folder)
    folder.write("a.yaml", body("a", "    reason: sneaked in\n"))
    with pytest.raises(PlanRefused) as err:
        apply_plan(ops, plan, folder=folder)
    assert "a.yaml: its bytes changed since the plan" in err.value.problems[0]
    assert pairs(ops) == {}


def test_a_plan_file_edited_by_hand_is_refused(ops, stored, folder, tmp_path):
    stored("a", body("a"))
    folder.write("a.yaml", body("a", "    reason: reviewed\n"))
    plan = make_plan(ops, folder)
    path = tmp_path / "plan.json"
    path.write_text(plan.dumps())
    assert load_plan(path).sha256 == plan.sha256
    raw = json.loads(path.read_text())
    raw["content"]["items"][0]["key_id"] = "alias/attacker"
    path.write_text(json.dumps(raw))
    with pytest.raises(PlanRefused) as err:
        load_plan(path)
    assert err.value.kind == "tampered" and "changed after it was made" in err.value.what
    assert pairs(ops)["a"][3] == body("a")


def test_a_plan_for_another_account_or_root_is_refused_naming_both(ops, stored, folder, tmp_path):
    folder.write("a.yaml", body("a"))
    plan = make_plan(ops, folder)
    raw = json.loads(plan.dumps())
    raw["content"]["account"] = "999999999999"
    raw["plan_sha256"] = content_hash(raw["content"])  # a genuine plan made elsewhere
    other = tmp_path / "other.json"
    other.write_text(json.dumps(raw))
    with pytest.raises(PlanRefused) as err:
        apply_plan(ops, load_plan(other), folder=folder)
    assert "999999999999" in err.value.what and "123456789012" in err.value.what
    with pytest.raises(PlanRefused) as err:
        apply_plan(ops.switch(policy_root="/acme/policies"), plan, folder=folder)
    assert "/acme/policies" in err.value.what and ROOT in err.value.what
    assert pairs(ops) == {}


def test_sign_denied_on_the_third_of_five_stops_there(ops, stored, folder):
    for n in range(1, 6):
        folder.write(f"p{n}.yaml", body(f"p{n}"))
    plan = make_plan(ops, folder)
    calls = []

    def on_sign(params):
        calls.append(1)
        if len(calls) == 3:
            return aws_error("AccessDeniedException", "not authorized to perform: kms:Sign")
    inject(ops, "kms", "Sign", on_sign)
    result = apply_plan(ops, plan, folder=folder)
    states = {i.name: i.state for i in result.items}
    assert states == {"p1": APPLIED, "p2": APPLIED, "p3": NOTHING_WRITTEN, "p4": NOT_ATTEMPTED, "p5": NOT_ATTEMPTED}
    assert "kms:Sign" in next(i for i in result.items if i.name == "p3").detail
    assert result.failed and "2 applied and verified" in result.summary()
    state = pairs(ops)
    assert set(state) == {"p1", "p2"} and all_valid(state)  # p3..p5 untouched (still absent)


def test_keep_going_applies_the_rest(ops, stored, folder):
    for n in range(1, 6):
        folder.write(f"p{n}.yaml", body(f"p{n}"))
    plan = make_plan(ops, folder)
    calls = []

    def on_sign(params):
        calls.append(1)
        if len(calls) == 3:
            return aws_error("AccessDeniedException", "not authorized to perform: kms:Sign")
    inject(ops, "kms", "Sign", on_sign)
    result = apply_plan(ops, plan, folder=folder, keep_going=True)
    assert [i.state for i in result.items].count(APPLIED) == 4 and result.failed
    state = pairs(ops)
    assert set(state) == {"p1", "p2", "p4", "p5"} and all_valid(state)


@pytest.mark.parametrize("fault", ["throttled", "reset"])
def test_a_failed_signature_write_rolls_that_item_back(ops, stored, folder, fault):
    stored("a", body("a"))
    stored("b", body("b"))
    folder.write("a.yaml", body("a", "    reason: 1\n"))
    folder.write("b.yaml", body("b", "    reason: 2\n"))
    plan = make_plan(ops, folder)
    sig_a = "/sentinel/signatures/a"

    def on_put(params):
        if params.get("Name") == sig_a:
            if fault == "throttled":
                return aws_error("ThrottlingException", "Rate exceeded")
            raise ConnectionClosedError(endpoint_url=ops.settings.endpoint_url)
    inject(ops, "ssm", "PutParameter", on_put)
    result = apply_plan(ops, plan, folder=folder)
    states = {i.name: i.state for i in result.items}
    assert states == {"a": ROLLED_BACK, "b": NOT_ATTEMPTED}
    a = next(i for i in result.items if i.name == "a")
    assert "restored" in a.ssm_state
    last = [line for line in ops.audit.read() if line["parameter"] == f"{ROOT}/a"][-1]
    assert last["outcome"] == "failed, restored" and last["plan_sha256"] == plan.sha256
    state = pairs(ops)
    assert all_valid(state) and state["a"][3] == body("a") and state["b"][3] == body("b")


def test_a_throttled_put_that_succeeds_on_retry_applies(ops, stored, folder):
    folder.write("a.yaml", body("a"))
    plan = make_plan(ops, folder)
    throttled = []

    def on_put(params):
        if params.get("Name") == f"{ROOT}/a" and len(throttled) < 2:
            throttled.append(1)
            return aws_error("ThrottlingException", "Rate exceeded")
    inject(ops, "ssm", "PutParameter", on_put)
    result = apply_plan(ops, plan, folder=folder)
    assert result.ok and len(throttled) == 2
    assert all_valid(pairs(ops))


def test_resign_invalid_re_signs_unchanged_bytes(ops, stored, folder, signing_key):
    stored("a", body("a"))
    ops.store.put(f"{ROOT}/a", body("a", "    reason: edited in the console\n").decode())  # now stale
    folder.write("a.yaml", body("a", "    reason: edited in the console\n"))
    plain = make_plan(ops, folder)
    item = plain.items[0]
    assert item.action == UNCHANGED and item.status == "stale" and "--resign-invalid" in " ".join(item.notes)
    assert not plain.has_changes
    plan = make_plan(ops, folder, resign_invalid=True)
    assert plan.items[0].action == RESIGN and plan.sha256 != plain.sha256
    result = apply_plan(ops, plan, folder=folder)
    assert result.ok
    state = pairs(ops)
    assert state["a"][0] == 2 and state["a"][1] == 2 and all_valid(state)  # no policy write
    line = [x for x in ops.audit.read() if x["action"] == "resign"][-1]
    assert line["plan_sha256"] == plan.sha256


def test_a_failed_delete_puts_the_pair_back(ops, stored, folder):
    stored("gone", body("gone"))
    folder.write("keep.yaml", body("keep"))
    plan = make_plan(ops, folder, prune=True)
    inject(ops, "ssm", "DeleteParameter", lambda p: aws_error(
        "AccessDeniedException", "not authorized to perform: ssm:DeleteParameter")
        if p.get("Name") == "/sentinel/signatures/gone" else None)
    result = apply_plan(ops, plan, folder=folder, keep_going=True)
    states = {i.name: i.state for i in result.items}
    assert states == {"keep": APPLIED, "gone": ROLLED_BACK}
    state = pairs(ops)
    assert set(state) == {"keep", "gone"} and all_valid(state) and state["gone"][3] == body("gone")


def test_read_only_refuses_in_the_operations_layer(ops, stored, folder):
    folder.write("a.yaml", body("a"))
    plan = make_plan(ops, folder)
    with pytest.raises(ReadOnlyError):
        apply_plan(ops.switch(read_only=True), plan, folder=folder)
    assert pairs(ops) == {}


def test_independent_check_on_the_demo_folder(ops, demo, tmp_path):
    """The check of issue 15 on a copy of the demo's folder, as it is: it plans and applies."""
    folder = tmp_path / "copy"
    shutil.copytree(ops.settings.local_dir, folder)
    plan = make_plan(ops, folder)  # production.tests.yaml is tests, not a policy
    assert {i.name for i in plan.changes} == {"dev", "staging", "team/newteam"}
    ops.store.put(f"{ROOT}/dev", "version: \"1\"\nrules: []\n")
    before = pairs(ops)
    with pytest.raises(PlanRefused):
        apply_plan(ops, plan, folder=folder)
    assert pairs(ops) == before
    plan = make_plan(ops, folder)
    result = apply_plan(ops, plan, folder=folder)
    assert result.ok
    state = pairs(ops)
    assert all(state[i.name][2] is Status.VALID for i in plan.changes)
    assert not make_plan(ops, folder).has_changes


# -- what a change does: the seam ---------------------------------------------------------

def test_the_meaning_diff_stands_in_when_the_access_diff_is_missing_or_fails(monkeypatch):
    from sentinel_tui.ops.plan import change as plan_mod

    def broken(old, new, now=None):
        raise RuntimeError("a bug in the access diff")
    for stand_in in (None, broken):
        monkeypatch.setattr(plan_mod, "_access_diff", lambda: stand_in)
        change = plan_mod.describe_change(body("a"), body("a", "    reason: x\n"))
        assert change.kind == "meaning" and "+1 −0 lines of meaning" in change.summary
        assert plan_mod.describe_change(body("a"), body("a") + b"\n").summary.startswith("none: only the bytes")
        assert plan_mod.describe_change(None, body("b")).summary == "new policy: 1 rule (b-rule)"
        assert "denies every request" in plan_mod.describe_change(body("a"), None).summary


def test_with_the_access_diff_the_plan_says_which_requests_change():
    pytest.importorskip("sentinel_tui.core.evaluate")
    access = pytest.importorskip("sentinel_tui.core.access")
    assert hasattr(access, "access_diff")
    from sentinel_tui.ops.plan import describe_change

    change = describe_change(body("a"), body("a").replace(b"[a]", b"[a, qa]"))
    assert change.kind == "access" and change.summary.startswith("1 access change:") and "qa" in change.summary
    same = describe_change(body("a"), body("a") + b"# comment\n")
    assert same.kind == "access" and same.summary.startswith("identical: no request changes decision")
    # the same inputs give the same text: the plan's hash does not depend on when it was made
    assert describe_change(body("a"), body("b")) == describe_change(body("a"), body("b"))


def test_a_securestring_policy_never_goes_into_the_plan_file(ops, stored, folder):
    secret = body("fin", "    reason: codename bluebird\n")
    ops.clients.client("ssm").put_parameter(Name=f"{ROOT}/fin", Value=secret.decode(), Type="SecureString")
    ops.clients.client("ssm").put_parameter(Name=f"{ROOT}/old", Value=secret.decode(), Type="SecureString")
    folder.write("fin.yaml", body("fin"))
    plan = make_plan(ops, folder, prune=True)
    assert {i.name: i.action for i in plan.items} == {"fin": UPDATE, "old": DELETE}
    text = plan.dumps() + plan_markdown(plan)
    assert "bluebird" not in text and "SecureString" in text
    result = apply_plan(ops, plan, folder=folder)
    assert result.ok and pairs(ops)["fin"][2] is Status.VALID and "old" not in pairs(ops)


def test_a_signing_key_that_does_not_exist_fails_the_plan(ops, folder):
    folder.write("a.yaml", body("a"))
    with pytest.raises(PlanError) as err:
        make_plan(ops, folder)  # no alias/sentinel-policy-signing in this account
    assert "alias/sentinel-policy-signing does not exist" in err.value.problems[0]


def test_describe_key_denied_leaves_the_key_to_apply_and_the_hash_alone(ops, signing_key, folder):
    folder.write("a.yaml", body("a"))
    allowed = make_plan(ops, folder)
    denied = ops.switch()
    denied.clients.add_hook(on_call("kms", "DescribeKey", lambda p: aws_error(
        "AccessDeniedException", "not authorized to perform: kms:DescribeKey")))
    plan = make_plan(denied, folder)
    assert "could not be checked" in plan.made["warnings"][0]
    assert plan.sha256 == allowed.sha256


def make_tvm(ops, name: str, parameter: str, key: str | None, enforce: str | None = None) -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("bootstrap", "")
    role = ops.clients.client("iam").create_role(RoleName=f"role-{name}", AssumeRolePolicyDocument="{}")["Role"]
    env = {"SENTINEL_POLICY_PARAMETER": parameter}
    if key:
        env["SENTINEL_POLICY_SIGNING_KEY"] = key
    if enforce is not None:
        env["SENTINEL_ENFORCE_POLICY_SIGNING"] = enforce
    ops.clients.client("lambda").create_function(
        FunctionName=name, Runtime="provided.al2", Role=role["Arn"], Handler="bootstrap",
        Code={"ZipFile": buf.getvalue()}, Environment={"Variables": env})


def test_a_tvm_that_changed_since_the_plan_refuses(ops, stored, folder, signing_key):
    stored("a", body("a"))
    make_tvm(ops, "tvm-a", f"{ROOT}/a", signing_key, enforce="false")
    folder.write("a.yaml", body("a", "    reason: x\n"))
    plan = make_plan(ops, folder)
    item = plan.items[0]
    assert item.tvms[0]["name"] == "tvm-a" and not item.enforcing and "verifying, not enforcing" in item.tvm_text()
    ops.clients.client("lambda").update_function_configuration(FunctionName="tvm-a", Environment={"Variables": {
        "SENTINEL_POLICY_PARAMETER": f"{ROOT}/a", "SENTINEL_POLICY_SIGNING_KEY": signing_key}})
    with pytest.raises(PlanRefused) as err:
        apply_plan(ops, plan, folder=folder)
    assert "a: the TVMs serving it changed since the plan" in err.value.problems[0]
    assert "enforcing" in err.value.problems[0]
    assert pairs(ops)["a"][3] == body("a")


def test_a_plan_costs_listings_not_a_call_per_policy(ops, signing_key, folder, call_counter):
    """N stored policies: ceil(N/10) pages per prefix, one ListFunctions, one DescribeKey, and no
    per-policy GetParameter or KMS call (signatures are checked with the cached public key)."""
    ssm = ops.clients.client("ssm")
    for n in range(25):
        ssm.put_parameter(Name=f"{ROOT}/p{n:02}", Value=body(f"p{n}").decode(), Type="String")
        folder.write(f"p{n:02}.yaml", body(f"p{n}", "    reason: new\n" if n % 2 else ""))
    call_counter.calls.clear()
    plan = make_plan(ops, folder)
    assert plan.counts()[UPDATE] == 12 and plan.counts()[UNCHANGED] == 13
    assert call_counter.count("ssm.GetParametersByPath") <= 2 * 3 + 2
    assert call_counter.count("ssm.GetParameter") - call_counter.count("ssm.GetParametersByPath") == 0
    assert call_counter.count("lambda.ListFunctions") == 1 and call_counter.count("kms.DescribeKey") == 1
    assert call_counter.count("kms.Sign") == 0 and call_counter.count("kms.Verify") == 0


TESTS_PASS = b"""tests:
  - name: a may
    request: {user: x, profile: a, time: "2026-03-02T12:00:00Z", mode: cli}
    expect: allow
"""


def test_a_policys_tests_run_in_the_plan_and_bind_the_apply(ops, stored, folder):
    folder.write("a.yaml", body("a"))
    folder.write("a.tests.yaml", TESTS_PASS)
    folder.write("gone.tests.yaml", TESTS_PASS)
    plan = make_plan(ops, folder)
    (item,) = plan.items
    assert item.action == CREATE and item.tests_file == "a.tests.yaml" and item.tests == "1 passed"
    assert any(i.startswith("gone.tests.yaml: tests of 'gone'") for i in plan.made["ignored"])
    # tests that fail the new bytes fail the plan (apply would stop at them, before signing)
    folder.write("a.tests.yaml", TESTS_PASS.replace(b"expect: allow", b"expect: deny"))
    with pytest.raises(PlanError) as err:
        make_plan(ops, folder)
    assert err.value.problems[0].startswith("a.tests.yaml: 0 passed, 1 failed")
    # tests changed after the plan: refused, nothing written
    with pytest.raises(PlanRefused) as err:
        apply_plan(ops, plan, folder=folder)
    assert "a.tests.yaml: the policy's tests changed since the plan" in err.value.problems
    assert pairs(ops) == {}
    folder.write("a.tests.yaml", TESTS_PASS)
    assert apply_plan(ops, plan, folder=folder).ok and all_valid(pairs(ops))
