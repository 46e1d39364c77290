"""`demo --accounts N`: N emulated AWS accounts in one moto server, one profile and context each.

moto keeps every resource per account and picks the account of a request from its
access key: the placeholder keys are its default account (123456789012), and the
temporary keys STS AssumeRole hands out for a role ARN of another account belong to
that account. So account 1 is reached with the placeholder keys, and account k with
a profile that assumes `arn:aws:iam::<k>:role/sentinel-operator` (botocore does the
AssumeRole itself, against the emulator's STS), exactly as operators reach their
member accounts.

Each account gets its own keys, TVMs and a different mix of statuses; account 1 has
the full demo fleet (every status).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..fileio import write_private
from .fleet import seed

FIRST_ACCOUNT = "123456789012"  # moto's default account: the placeholder keys land here
ROLE_NAME = "sentinel-operator"
REGION = "us-east-1"
MAX_ACCOUNTS = 20

# The policies (besides production, always valid) each further account holds, in turn.
MIXES: tuple[frozenset[str], ...] = (
    frozenset({"dev", "team/platform", "staging", "team/data/analytics"}),       # unsigned, stale
    frozenset({"readonly", "ml/training", "sandbox", "team/security"}),           # invalid, wrong-key
    frozenset({"dev", "qa", "legacy", "bulk"}),                                   # malformed, unparseable, too-large
    frozenset({"team/billing", "team/platform", "readonly"}),                     # all valid
)


def account_id(k: int) -> str:
    """Account k (1-based): 123456789012, then 222222222222, 333333333333, ... 101010101010, ..."""
    if k == 1:
        return FIRST_ACCOUNT
    return (str(k) * 12)[:12] if k < 10 else (f"{k:02d}" * 6)


@dataclass(frozen=True)
class DemoAccount:
    index: int
    account: str
    profile: str
    context: str

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role/{ROLE_NAME}"


def demo_accounts(n: int) -> list[DemoAccount]:
    if not 1 <= n <= MAX_ACCOUNTS:
        raise ValueError(f"--accounts must be between 1 and {MAX_ACCOUNTS}, not {n}")
    return [DemoAccount(k, account_id(k), f"demo-{k}", f"demo-{k}") for k in range(1, n + 1)]


def write_aws_config(path: Path, url: str, accounts: list[DemoAccount]) -> Path:
    """One profile per account (placeholder keys, never real ones), each pointing at the emulator."""
    lines = ["# Written by `sentinel-tui demo --accounts N`: the emulator's accounts. Placeholder keys only.",
             "[default]", "aws_access_key_id = demo", "aws_secret_access_key = demo",
             f"region = {REGION}", f"endpoint_url = {url}", ""]
    for acct in accounts:
        lines.append(f"[profile {acct.profile}]")
        if acct.account == FIRST_ACCOUNT:
            lines += ["aws_access_key_id = demo", "aws_secret_access_key = demo"]
        else:
            lines += [f"role_arn = {acct.role_arn}", "source_profile = default",
                      "role_session_name = sentinel-demo"]
        lines += [f"region = {REGION}", f"endpoint_url = {url}", ""]
    write_private(path, "\n".join(lines).encode(), overwrite=True, make_dirs=True)
    return path


def contexts_toml(url: str, accounts: list[DemoAccount]) -> str:
    out = []
    for acct in accounts:
        out += [f'[contexts."{acct.context}"]', f'profile = "{acct.profile}"', f'region = "{REGION}"',
                f'endpoint_url = "{url}"', ""]
    return "\n".join(out)


def seed_accounts(url: str, accounts: list[DemoAccount], *, local_dir: Path | None = None,
                  key_spec: str = "RSA_4096", hooks: list | None = None) -> None:
    """Seed every account through the AWS APIs; the first with the full demo fleet."""
    import boto3

    from ..aws.session import AwsTarget, Clients

    base = boto3.session.Session(aws_access_key_id="demo", aws_secret_access_key="demo", region_name=REGION)
    sts = base.client("sts", endpoint_url=url)
    for acct in accounts:
        if acct.account == FIRST_ACCOUNT:
            session = base
        else:
            creds = sts.assume_role(RoleArn=acct.role_arn, RoleSessionName="sentinel-demo-seed")["Credentials"]
            session = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"],
                                            aws_secret_access_key=creds["SecretAccessKey"],
                                            aws_session_token=creds["SessionToken"], region_name=REGION)
        clients = Clients(target=AwsTarget(region=REGION, endpoint_url=url), session=session,
                          hooks=list(hooks or []))
        names = None if acct.index == 1 else MIXES[(acct.index - 2) % len(MIXES)]
        seed(clients, local_dir=local_dir if acct.index == 1 else None, key_spec=key_spec, names=names)
