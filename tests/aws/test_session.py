"""Clients: adaptive retries, an endpoint that is only a URL, hooks on every client."""

from __future__ import annotations

from sentinel_tui.aws.session import AwsTarget, Clients


def test_clients_use_adaptive_retries_and_the_endpoint(endpoint):
    clients = Clients(target=AwsTarget(endpoint_url=endpoint, region="eu-west-1"))
    ssm = clients.client("ssm")
    assert ssm.meta.config.retries["mode"] == "adaptive"
    assert ssm.meta.endpoint_url == endpoint and ssm.meta.region_name == "eu-west-1"
    assert clients.client("ssm") is ssm  # built once


def test_hooks_reach_clients_built_before_and_after(endpoint):
    seen = []
    clients = Clients(target=AwsTarget(endpoint_url=endpoint, region="us-east-1"))
    clients.client("kms")
    clients.add_hook(lambda service, client: seen.append(service))
    clients.client("ssm")
    assert seen == ["kms", "ssm"]


def test_identity_is_fetched_once(endpoint):
    calls = []
    clients = Clients(target=AwsTarget(endpoint_url=endpoint, region="us-east-1"))
    clients.add_hook(lambda s, c: c.meta.events.register("before-call.sts.GetCallerIdentity",
                                                         lambda **kw: calls.append(1)))
    first = clients.identity()
    assert first.account == "123456789012" and first.arn.startswith("arn:aws:")
    assert clients.identity() is first and len(calls) == 1


# -- checks before a context switch (issue 12, item 2) ------------------------------------------

import os  # noqa: E402

from sentinel_tui.aws.session import check_profile, check_region, known_regions  # noqa: E402

AWS_CONFIG = """\
[profile good]
aws_access_key_id = AKIDGOODPROFILE00000
aws_secret_access_key = goodsecretgoodsecretgoodsecretgoodsecret
region = eu-west-1

[profile production]
aws_access_key_id = AKIDPRODPROFILE00000
aws_secret_access_key = prodsecretprodsecretprodsecretprodsecret

[profile nokeys]
region = eu-west-1

[profile badrole]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = vanished

[profile sso]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = Admin
"""


def _write_config(tmp_path=None):
    path = os.environ["AWS_CONFIG_FILE"]
    with open(path, "w") as fh:
        fh.write(AWS_CONFIG)


def test_a_profile_that_does_not_exist_is_refused_with_the_profiles_there():
    _write_config()
    check = check_profile("nosuch")
    assert not check.ok
    assert "no AWS profile named 'nosuch'" in check.reason
    assert "good" in check.reason and "production" in check.reason
    assert "aws configure --profile nosuch" in check.fix


def test_a_misspelt_profile_gets_a_suggestion():
    _write_config()
    check = check_profile("prodution")
    assert not check.ok and check.suggestion == "production" and "'production'" in check.fix


def test_a_profile_with_keys_passes():
    _write_config()
    check = check_profile("good")
    assert check.ok and check.fix == "" and "'good'" in check.reason


def test_a_profile_without_credentials_is_refused():
    _write_config()
    check = check_profile("nokeys")  # the environment's keys do not count for a named profile
    assert not check.ok and "has no credentials" in check.reason


def test_a_profile_whose_source_profile_is_missing_is_refused():
    _write_config()
    check = check_profile("badrole")
    assert not check.ok and "cannot produce credentials" in check.reason and "vanished" in check.reason


def test_an_sso_profile_without_a_session_is_refused_before_any_switch():
    _write_config()
    check = check_profile("sso")
    assert not check.ok and "SSO" in check.reason and "aws sso login --profile sso" in check.fix


def test_default_from_the_environment_passes_and_says_so():
    check = check_profile(None)  # the conftest's AWS_ACCESS_KEY_ID
    assert check.ok and "env" in check.reason


def test_no_default_profile_when_credentials_come_from_the_environment():
    check = check_profile("default")
    assert not check.ok and "switch back to no profile" in check.fix


def test_no_credentials_anywhere(monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    check = check_profile(None)
    assert not check.ok and "No AWS credentials" in check.reason


def test_no_check_text_carries_a_secret():
    _write_config()
    for name in ("good", "production", "nokeys", "badrole", "sso", "nosuch", None):
        check = check_profile(name)
        for text in (check.reason, check.fix):
            assert "secret" not in text and "AKID" not in text


def test_real_regions_pass_in_every_partition():
    for region in ("us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1"):
        assert check_region(region).ok, region
    assert len(known_regions()) > 30


def test_an_invented_region_is_refused_without_a_silly_suggestion():
    check = check_region("mars-north-9")
    assert not check.ok and "'mars-north-9' is not an AWS region" in check.reason
    assert check.suggestion is None and "us-east-1" in check.fix


def test_a_misspelt_region_gets_the_real_one():
    assert check_region("eu-wset-1").suggestion == "eu-west-1"
    assert check_region("us-east1").suggestion == "us-east-1"
    upper = check_region("EU-WEST-1")
    assert not upper.ok and upper.suggestion == "eu-west-1"
    assert not check_region("").ok and not check_region("  ").ok


def test_ops_checks_the_same_way(ops):
    assert not ops.check_region("mars-north-9").ok and ops.check_region("eu-west-1").ok
    assert not ops.check_profile("nosuch").ok and ops.check_profile(None).ok
