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
