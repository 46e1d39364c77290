"""The emulator the benchmark runs against: moto's server in this (the parent) process.

The measured clients always run in child processes, so the emulator's CPU and
memory never count against them.

moto 5.2 pages two listings differently from AWS, and both differences would
make the benchmark measure moto instead of sentinel_tui:

* GetParametersByPath and DescribeParameters rebuild the whole filtered list of
  parameters for every page (a scan of every parameter in the account, with a
  tag lookup each), so listing N parameters ten at a time costs O(N^2) inside
  the emulator: about 50 ms a page at 2,000 parameters, 250 ms at 10,000. AWS
  serves a page in constant time. The naive loop (GetParameter by name, a dict
  look-up in moto) does not pay this, so stock moto penalises only the listing
  side of the comparison.
* DescribeParameters ignores MaxResults and always pages by 10; AWS honours
  MaxResults up to 50, which is what a refresh asks for.

`install_aws_paging()` fixes exactly these two things inside the emulator: the
filtered list is computed once per query and reused for its pages until any
parameter is written (put, delete, label, tag), and DescribeParameters honours
MaxResults (1..50, default 10 as in AWS). Responses are otherwise moto's own,
byte for byte: same order, same tokens (including the NextToken moto returns
after a page that is exactly full, which costs one empty last page per listing).
`python -m benchmarks --stock-moto` runs without it.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from dataclasses import dataclass

ACCOUNT = "123456789012"
REGION = "us-east-1"

_INSTALLED = False

# Backend methods after which a cached listing may be out of date.
_WRITES = (
    "put_parameter", "delete_parameter", "delete_parameters", "label_parameter_version",
    "unlabel_parameter_version", "add_tags_to_resource", "remove_tags_from_resource",
)


def install_aws_paging() -> None:
    """Make moto's SSM listings page in constant time and honour DescribeParameters' MaxResults."""
    global _INSTALLED
    if _INSTALLED:
        return
    from moto.core.responses import ActionResult
    from moto.ssm.exceptions import ValidationException
    from moto.ssm.models import SimpleSystemManagerBackend as Backend
    from moto.ssm.responses import SimpleSystemManagerResponse as Response

    def cache(backend) -> dict:
        found = backend.__dict__.get("_bench_listing_cache")
        if found is None:
            found = backend.__dict__["_bench_listing_cache"] = {}
        return found

    def invalidating(original):
        def method(self, *args, **kwargs):
            try:
                return original(self, *args, **kwargs)
            finally:
                cache(self).clear()
        method.__name__ = original.__name__
        method.__doc__ = original.__doc__
        return method

    for name in _WRITES:
        if hasattr(Backend, name):
            setattr(Backend, name, invalidating(getattr(Backend, name)))

    original_by_path = Backend.get_parameters_by_path
    original_describe = Backend.describe_parameters

    def get_parameters_by_path(self, path, recursive, filters=None, next_token=None, max_results=10):
        if int(max_results) > 10:
            return original_by_path(self, path, recursive, filters, next_token, max_results)  # moto's error
        self._validate_parameter_filters(filters, by_path=True)
        prefix = path.rstrip("/") + "/"
        key = ("by-path", prefix, bool(recursive), json.dumps(filters, sort_keys=True, default=str))
        listing = cache(self).get(key)
        if listing is None:
            # moto's own loop (models.py, get_parameters_by_path), run once per query
            listing = []
            for name in self._parameters.get_keys_beginning_with(prefix, recursive):
                parameter = self.get_parameter(name)
                if self._match_filters(parameter, filters):
                    listing.append(parameter)
            cache(self)[key] = listing
        return self._get_values_nexttoken(listing, max_results, next_token)

    def describe_parameters(self, filters, parameter_filters):
        key = ("describe", json.dumps([filters, parameter_filters], sort_keys=True, default=str))
        listing = cache(self).get(key)
        if listing is None:
            listing = original_describe(self, filters, parameter_filters)
            cache(self)[key] = listing
        return list(listing)

    def describe_parameters_response(self):
        # moto's handler (responses.py, describe_parameters) with AWS's MaxResults
        page_size = self._get_param("MaxResults") or 10
        if not 1 <= int(page_size) <= 50:
            raise ValidationException(
                f"1 validation error detected: Value '{page_size}' at 'maxResults' failed to satisfy "
                "constraint: Member must have value less than or equal to 50")
        page_size = int(page_size)
        token = self._get_param("NextToken")
        if hasattr(token, "strip"):
            token = token.strip()
        token = int(token or "0")
        result = self.ssm_backend.describe_parameters(self._get_param("Filters"),
                                                      self._get_param("ParameterFilters"))
        response: dict = {"Parameters": []}
        end = token + page_size
        for parameter in result[token:]:
            response["Parameters"].append(parameter.describe_response_object(False))
            if len(response["Parameters"]) == page_size:
                response["NextToken"] = str(end)
                break
        return ActionResult(response)

    Backend.get_parameters_by_path = get_parameters_by_path
    Backend.describe_parameters = describe_parameters
    Response.describe_parameters = describe_parameters_response
    _INSTALLED = True


@dataclass
class BenchEmulator:
    url: str
    server: object
    aws_paging: bool

    def reset(self) -> None:
        """moto's own reset: every backend is rebuilt empty (and so is the listing cache)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST", data=b"")
        urllib.request.urlopen(request, timeout=30).read()

    def warm_up(self) -> float:
        """moto loads each service lazily (the first SSM request takes seconds): pay it before measuring."""
        import boto3

        started = time.perf_counter()
        session = boto3.session.Session(region_name=REGION, aws_access_key_id="bench",
                                        aws_secret_access_key="bench")
        session.client("ssm", endpoint_url=self.url).describe_parameters(MaxResults=1)
        session.client("kms", endpoint_url=self.url).list_keys(Limit=1)
        session.client("lambda", endpoint_url=self.url).list_functions(MaxItems=1)
        session.client("sts", endpoint_url=self.url).get_caller_identity()
        return time.perf_counter() - started

    def stop(self) -> None:
        self.server.stop()  # type: ignore[attr-defined]


def start(*, aws_paging: bool = True) -> BenchEmulator:
    from sentinel_tui.demo.server import start_emulator

    if aws_paging:
        install_aws_paging()
    emu = start_emulator()
    return BenchEmulator(url=emu.url, server=emu.server, aws_paging=aws_paging)


def child_environment(url: str, home: str) -> dict[str, str]:
    """The environment of a measured child: the emulator, placeholder credentials, no user files."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SENTINEL_TUI_"))}
    env.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.path.join(home, "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=os.path.join(home, "no-aws-credentials"),
        SENTINEL_TUI_CONFIG_DIR=os.path.join(home, "config"),
        SENTINEL_TUI_STATE_DIR=os.path.join(home, "state"),
        SENTINEL_TUI_CACHE_DIR=os.path.join(home, "cache"),
        PYTHONHASHSEED="0",
    )
    return env
