"""docs/ci/github-actions.yml, run: every `run:` step of it, in order, against the moto server.

The `uses:` steps are replaced by their effect (checkout: a fresh copy of the repository;
setup-python: nothing, python3 is here; configure-aws-credentials: credentials and region in
the environment; upload/download-artifact: a copy; github-script: the comment it would post).
A `uses:` step without an effect here fails the test, so the example cannot grow a step
this test does not run. `pip install` is the one command answered by a stand-in (the
package is already importable here); `sentinel-tui` runs this checkout's code.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from sentinel_tui.core.status import Status

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / "docs" / "ci" / "github-actions.yml"
GOOD = 'version: "1"\nrules:\n  - name: {n}\n    effect: allow\n    conditions:\n      profiles: [{n}]\n'
PROD_TESTS = """tests:
  - name: prod may
    request: {user: x, profile: prod, time: "2026-03-02T12:00:00Z", mode: cli}
    expect: allow
"""
VARS = {"SENTINEL_PLAN_ROLE_ARN": "arn:aws:iam::123456789012:role/sentinel-plan",
        "SENTINEL_APPLY_ROLE_ARN": "arn:aws:iam::123456789012:role/sentinel-apply"}


def load_workflow() -> dict:
    return YAML(typ="safe").load(WORKFLOW.read_text())


@dataclass
class JobRun:
    name: str
    ok: bool = True
    failed_step: str | None = None
    outputs: dict = field(default_factory=dict)
    steps: dict = field(default_factory=dict)  # id -> outputs
    ran: list = field(default_factory=list)  # step names run
    log: str = ""
    comments: list = field(default_factory=list)
    roles: list = field(default_factory=list)


class Runner:
    """Just enough of GitHub Actions to run this workflow's jobs: env, outputs, expressions, steps."""

    def __init__(self, tmp: Path, endpoint: str, repo: Path, event: str):
        self.tmp, self.endpoint, self.repo, self.event = tmp, endpoint, repo, event
        self.wf = load_workflow()
        self.artifacts: dict[str, Path] = {}
        self.jobs: dict[str, JobRun] = {}
        self.bin = tmp / "bin"
        self.bin.mkdir(parents=True)
        self.pip_log = tmp / "pip.log"
        self._shim("sentinel-tui", f'PYTHONPATH="{REPO}" exec "{sys.executable}" -m sentinel_tui "$@"')
        self._shim("pip", f'echo "$@" >> "{self.pip_log}"\n[ "$1" = install ] || exit 3')

    def _shim(self, name: str, body: str) -> None:
        path = self.bin / name
        path.write_text("#!/usr/bin/env bash\n" + body + "\n")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)

    # -- expressions: the forms the workflow uses ---------------------------------------

    def expr(self, text: str, ctx: dict) -> str:
        def one(m):
            return str(self.value(m.group(1).strip(), ctx))
        return re.sub(r"\$\{\{(.*?)\}\}", one, str(text))

    def value(self, e: str, ctx: dict):
        parts = e.split(".")
        if parts[0] == "vars":
            return VARS[parts[1]]
        if parts[0] == "env":
            return ctx["env"][parts[1]]
        if parts[0] == "steps":
            return ctx["steps"].get(parts[1], {}).get(parts[3], "")
        if parts[0] == "needs":
            return self.jobs[parts[1]].outputs.get(parts[3], "")
        if e == "github.event_name":
            return self.event
        raise AssertionError(f"expression this test does not know: {e}")

    def condition(self, cond: str | None, ctx: dict) -> bool:
        if not cond:
            return True
        for clause in cond.split("&&"):
            lhs, rhs = (s.strip() for s in clause.split("=="))
            if str(self.value(lhs, ctx)) != rhs.strip("'"):
                return False
        return True

    # -- a job ---------------------------------------------------------------------------

    def run_job(self, name: str) -> JobRun | None:
        job = self.wf["jobs"][name]
        for need in ([job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", [])):
            assert need in self.jobs and self.jobs[need].ok, f"{name} needs {need}"
        run = JobRun(name)
        env = {k: str(v) for k, v in (self.wf.get("env") or {}).items()}
        env.update({k: str(v) for k, v in (job.get("env") or {}).items()})
        ctx = {"env": env, "steps": run.steps}
        if not self.condition(job.get("if"), ctx):
            return None
        self.jobs[name] = run
        work = self.tmp / f"job-{name}"
        work.mkdir()
        base_env = dict(os.environ)
        for var in [v for v in base_env if v.startswith("AWS_")]:
            del base_env[var]  # no credentials until the credentials step
        base_env["PATH"] = f"{self.bin}:{base_env['PATH']}"
        for step in job["steps"]:
            label = step.get("name") or step.get("uses")
            if "uses" in step:
                self.effect(step, work, env, ctx, run)
                run.ran.append(label)
                continue
            script = step["run"]
            assert "${{" not in script, f"{label}: expressions belong in env:, never inside a script"
            step_env = dict(base_env)
            step_env.update(env)
            step_env.update({k: self.expr(v, ctx) for k, v in (step.get("env") or {}).items()})
            files = {k: self.tmp / f"{name}-{len(run.ran)}-{k}" for k in
                     ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STEP_SUMMARY")}
            for k, f in files.items():
                f.write_text("")
                step_env[k] = str(f)
            proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=work,
                                  env=step_env, capture_output=True, text=True, timeout=300)
            run.ran.append(label)
            run.log += f"--- {label} (exit {proc.returncode})\n{proc.stdout}{proc.stderr}"
            outs = dict(line.split("=", 1) for line in files["GITHUB_OUTPUT"].read_text().splitlines() if "=" in line)
            if step.get("id"):
                run.steps[step["id"]] = outs
            env.update(dict(line.split("=", 1) for line in files["GITHUB_ENV"].read_text().splitlines()
                            if "=" in line))
            if proc.returncode != 0:
                run.ok, run.failed_step = False, label
                break
        run.outputs = {k: self.expr(v, ctx) for k, v in (job.get("outputs") or {}).items()}
        return run

    def effect(self, step: dict, work: Path, env: dict, ctx: dict, run: JobRun) -> None:
        uses, with_ = step["uses"], {k: self.expr(v, ctx) for k, v in (step.get("with") or {}).items()}
        if uses.startswith("actions/checkout@"):
            shutil.copytree(self.repo, work, dirs_exist_ok=True)
        elif uses.startswith("actions/setup-python@"):
            pass
        elif uses.startswith("aws-actions/configure-aws-credentials@"):
            run.roles.append(with_["role-to-assume"])
            env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_SESSION_TOKEN="testing",
                       AWS_REGION=with_["aws-region"], AWS_DEFAULT_REGION=with_["aws-region"],
                       AWS_ENDPOINT_URL=self.endpoint)
        elif uses.startswith("actions/github-script@"):
            assert "plan.md" in with_["script"]
            run.comments.append((work / "plan.md").read_text())
        elif uses.startswith("actions/upload-artifact@"):
            target = self.tmp / "artifacts" / with_["name"]
            target.mkdir(parents=True)
            for rel in with_["path"].split():
                shutil.copy2(work / rel, target / Path(rel).name)
            self.artifacts[with_["name"]] = target
        elif uses.startswith("actions/download-artifact@"):
            shutil.copytree(self.artifacts[with_["name"]], work / with_["path"])
        else:
            raise AssertionError(f"no effect known for {uses}: add it to tests/test_ci_workflow.py")


@pytest.fixture
def fleet(ops, signing_key, tmp_path):
    """Two signed policies in the store, and a repository whose policies/ edits one and adds one."""
    from sentinel_tui.ops.push import execute_push, plan_push

    for n in ("dev", "prod"):
        f = tmp_path / f"{n}.yaml"
        f.write_text(GOOD.format(n=n))
        execute_push(ops, plan_push(ops, n, f, sign=True, key_id=signing_key))
    repo = tmp_path / "repo"
    (repo / "policies" / "team").mkdir(parents=True)
    (repo / "policies" / "dev.yaml").write_text(GOOD.format(n="dev") + "    reason: reviewed in PR 7\n")
    (repo / "policies" / "prod.yaml").write_text(GOOD.format(n="prod"))
    (repo / "policies" / "team" / "new.yaml").write_text(GOOD.format(n="new"))
    (repo / "policies" / "README.md").write_text("one file per policy\n")
    (repo / "policies" / "prod.tests.yaml").write_text(PROD_TESTS)
    return repo


def stored(ops) -> dict:
    snap = ops.fleet.load()
    return {e.name: (e.policy.version if e.policy else None, e.signature.version if e.signature else None, e.status)
            for e in snap.entries.values() if e.remote}


def test_every_uses_step_has_an_effect_and_no_script_holds_an_expression():
    wf = load_workflow()
    assert set(wf["jobs"]) == {"pr-plan", "plan", "apply"}
    assert wf["jobs"]["apply"]["environment"] == "sentinel-policies"
    assert wf["jobs"]["apply"]["permissions"]["id-token"] == "write"
    for job in wf["jobs"].values():
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step)


def test_pull_request_validates_and_posts_the_plan(ops, endpoint, fleet, tmp_path):
    before = stored(ops)
    runner = Runner(tmp_path / "ci", endpoint, fleet, "pull_request")
    run = runner.run_job("pr-plan")
    assert runner.run_job("plan") is None and "apply" not in runner.jobs
    assert run.ok, run.log
    assert run.roles == [VARS["SENTINEL_PLAN_ROLE_ARN"]]
    assert "install sentinel-tui==0.1.0" in runner.pip_log.read_text()
    (comment,) = run.comments
    digest = run.steps["plan"]["plan_sha256"]
    assert re.fullmatch(r"[0-9a-f]{64}", digest) and f"Plan hash: `{digest}`" in comment
    assert "| `dev` | update |" in comment and "| `team/new` | create |" in comment
    assert "`README.md: not a policy file" in comment
    assert stored(ops) == before  # a pull request writes nothing


def test_pull_request_with_an_invalid_file_fails_at_validation(ops, endpoint, fleet, tmp_path):
    (fleet / "policies" / "broken.yaml").write_text(GOOD.format(n="x").replace("allow", "permit"))
    runner = Runner(tmp_path / "ci", endpoint, fleet, "pull_request")
    run = runner.run_job("pr-plan")
    assert not run.ok and run.failed_step == "Validate every policy file (and run its tests)"
    assert "broken.yaml" in run.log and not run.comments


def test_pull_request_with_failing_tests_fails_at_validation(ops, endpoint, fleet, tmp_path):
    (fleet / "policies" / "prod.tests.yaml").write_text(PROD_TESTS.replace("expect: allow", "expect: deny"))
    runner = Runner(tmp_path / "ci", endpoint, fleet, "pull_request")
    run = runner.run_job("pr-plan")
    assert not run.ok and run.failed_step == "Validate every policy file (and run its tests)"
    assert "::error file=policies/prod.tests.yaml::the tests of policies/prod.yaml fail" in run.log


def test_merge_plans_then_after_approval_applies_the_same_plan(ops, endpoint, fleet, tmp_path):
    runner = Runner(tmp_path / "ci", endpoint, fleet, "push")
    assert runner.run_job("pr-plan") is None
    plan = runner.run_job("plan")
    assert plan.ok, plan.log
    assert plan.outputs["changes"] == "true" and re.fullmatch(r"[0-9a-f]{64}", plan.outputs["plan_sha256"])
    # ... the environment's reviewers approve here ...
    apply = runner.run_job("apply")
    assert apply.ok, apply.log
    assert apply.roles == [VARS["SENTINEL_APPLY_ROLE_ARN"]]
    assert "The plan equals the reviewed plan" in apply.log and "2 applied and verified of 2" in apply.log
    state = stored(ops)
    assert state["dev"][:2] == (2, 2) and state["team/new"][:2] == (1, 1) and state["prod"][:2] == (1, 1)
    assert all(s[2] is Status.VALID for s in state.values())
    # the next merge plans nothing, and the apply job does not run
    again = Runner(tmp_path / "ci2", endpoint, fleet, "push")
    assert again.run_job("plan").outputs["changes"] == "false"
    assert again.run_job("apply") is None


def test_a_change_during_the_approval_wait_stops_the_apply(ops, endpoint, fleet, tmp_path):
    runner = Runner(tmp_path / "ci", endpoint, fleet, "push")
    assert runner.run_job("plan").ok
    ops.store.put("/sentinel/policies/prod", GOOD.format(n="prod") + "# console edit\n")  # while waiting
    before = stored(ops)
    apply = runner.run_job("apply")
    assert not apply.ok and apply.failed_step == "Plan again and compare with the reviewed plan"
    assert "not the one that was reviewed" in apply.log and "Apply" not in apply.ran
    assert stored(ops) == before
