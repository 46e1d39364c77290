import pytest
from hypothesis import given, strategies as st

from sentinel_tui.core.paths import (
    DEFAULT_POLICY_ROOT,
    SIGNATURE_PREFIX,
    check_parameter_name,
    normalize_root,
    policy_name,
    policy_path,
    policy_path_for_signature,
    policy_paths_for_signature,
    signature_path,
    signature_root,
)


def test_constants():
    assert DEFAULT_POLICY_ROOT == "/sentinel/policies"
    assert SIGNATURE_PREFIX == "/sentinel/signatures/"


@pytest.mark.parametrize("raw, expected", [
    ("/acme/policies/", "/acme/policies"),
    ("/acme/policies", "/acme/policies"),
    ("/acme/policies///", "/acme/policies"),
    ("/sentinel/policies", "/sentinel/policies"),
])
def test_normalize_root(raw, expected):
    assert normalize_root(raw) == expected


@pytest.mark.parametrize("raw, fragment", [
    ("acme/policies", "must start with '/'"),
    ("", "must start with '/'"),
    ("/", "names no path level"),
    ("/acme//policies", "empty level"),
    ("/acme policies", "contains ' '"),
    (None, "must be a string"),
])
def test_normalize_root_refuses(raw, fragment):
    with pytest.raises(ValueError, match=fragment):
        normalize_root(raw)


def test_policy_path_default_and_nested():
    assert policy_path("prod") == "/sentinel/policies/prod"
    assert policy_path("team/dev") == "/sentinel/policies/team/dev"
    assert policy_path("prod", "/acme/policies/") == "/acme/policies/prod"


def test_policy_path_accepts_full_path_under_root():
    assert policy_path("/sentinel/policies/team/dev") == "/sentinel/policies/team/dev"
    assert policy_path("/acme/policies/prod", "/acme/policies") == "/acme/policies/prod"


@pytest.mark.parametrize("name, root, fragment", [
    ("/other/prod", DEFAULT_POLICY_ROOT, "not one under the policy root"),
    ("/sentinel/policies", DEFAULT_POLICY_ROOT, "not one under the policy root"),
    ("/sentinel/policies/", DEFAULT_POLICY_ROOT, "not one under the policy root"),
    ("/sentinel/policiesX/a", DEFAULT_POLICY_ROOT, "not one under the policy root"),
    ("", DEFAULT_POLICY_ROOT, "empty"),
    ("team/", DEFAULT_POLICY_ROOT, "must not start or end"),
    ("team//dev", DEFAULT_POLICY_ROOT, "empty level"),
])
def test_policy_path_refuses(name, root, fragment):
    with pytest.raises(ValueError, match=fragment):
        policy_path(name, root)


def test_policy_name_inverse():
    assert policy_name("/sentinel/policies/team/dev") == "team/dev"
    assert policy_name("/acme/policies/prod", "/acme/policies/") == "prod"
    with pytest.raises(ValueError, match="not a policy parameter under"):
        policy_name("/acme/policies/prod")
    with pytest.raises(ValueError, match="not a policy parameter under"):
        policy_name("/sentinel/policies/")


@pytest.mark.parametrize("path, expected", [
    # the examples of Go's SignatureParameterName
    ("/sentinel/policies/production", "/sentinel/signatures/production"),
    ("/sentinel/policies/team/dev", "/sentinel/signatures/team/dev"),
    # custom root: the quirk the TVM relies on
    ("/acme/policies/prod", "/sentinel/signatures/acme/policies/prod"),
    # the prefix must be followed by '/', else the other branch applies
    ("/sentinel/policies", "/sentinel/signatures/sentinel/policies"),
    ("/sentinel/policiesX/a", "/sentinel/signatures/sentinel/policiesX/a"),
    # TrimPrefix removes only one '/' and nothing when there is none
    ("relative", "/sentinel/signatures/relative"),
])
def test_signature_path_matches_go(path, expected):
    assert signature_path(path) == expected


@pytest.mark.parametrize("root, expected", [
    ("/sentinel/policies", "/sentinel/signatures"),
    ("/sentinel/policies/", "/sentinel/signatures"),
    ("/sentinel/policies/team", "/sentinel/signatures/team"),
    ("/acme/policies", "/sentinel/signatures/acme/policies"),
])
def test_signature_root(root, expected):
    assert signature_root(root) == expected


@pytest.mark.parametrize("root", ["/sentinel/policies", "/acme/policies", "/sentinel/policies/team", "/a"])
@pytest.mark.parametrize("name", ["prod", "team/dev", "a.b-c_d/e"])
def test_signature_under_signature_root_and_inverse(root, name):
    p = policy_path(name, root)
    s = signature_path(p)
    assert s.startswith(signature_root(root) + "/")
    assert policy_path_for_signature(s, root) == p


def test_policy_path_for_signature_outside_root():
    assert policy_path_for_signature("/sentinel/signatures/prod", "/acme/policies") is None
    # not None: the default root's profile "acme/policies/prod" signs there too (Go's rule)
    assert policy_path_for_signature("/sentinel/signatures/acme/policies/prod", "/sentinel/policies") == (
        "/sentinel/policies/acme/policies/prod")
    assert policy_path_for_signature("/other/prod", "/sentinel/policies") is None
    assert policy_path_for_signature("/sentinel/signatures/", "/sentinel/policies") is None
    assert policy_path_for_signature("/sentinel/signatures/acme/policies", "/acme/policies") is None


def test_shared_signature_for_root_containing_default_prefix():
    # Go maps both /sentinel/policies/x and /x to /sentinel/signatures/x
    assert signature_path("/sentinel/policies/sentinel/x") == signature_path("/sentinel/x")
    both = policy_paths_for_signature("/sentinel/signatures/sentinel/x", "/sentinel")
    assert both == ("/sentinel/policies/sentinel/x", "/sentinel/x")
    assert policy_path_for_signature("/sentinel/signatures/sentinel/x", "/sentinel") == both[0]


name_part = st.text(alphabet="abcXYZ019_.-", min_size=1, max_size=8)


@given(st.lists(name_part, min_size=1, max_size=4), st.sampled_from(
    ["/sentinel/policies", "/acme/policies", "/sentinel/policies/t", "/x", "/sentinel"]))
def test_round_trips(parts, root):
    name = "/".join(parts)
    p = policy_path(name, root)
    assert policy_name(p, root) == name
    assert policy_path(p, root) == p
    assert p in policy_paths_for_signature(signature_path(p), root)


@pytest.mark.parametrize("name", [
    "/sentinel/policies/prod",
    "/sentinel/signatures/acme/policies/team.dev_1-x",
    "simple",
    "/" + "/".join(["l"] * 15),
    "/" + "a" * 1010,
])
def test_check_parameter_name_accepts(name):
    assert check_parameter_name(name) is None


@pytest.mark.parametrize("name, fragment", [
    ("", "empty"),
    ("/sentinel/policies/pr od", r"contains ' ' at position 22"),
    ("/sentinel/policies/prød", "contains 'ø'"),
    ("/sentinel/policies/a:b", "contains ':'"),
    ("team/dev", "must start with '/'"),
    ("/a//b", "empty level"),
    ("/a/b/", "must not end with '/'"),
    ("/aws/x", "reserves names prefixed"),
    ("/AWSome/x", "reserves names prefixed"),
    ("/Ssm/x", "reserves names prefixed"),
    ("ssmthing", "reserves names prefixed"),
    ("/" + "/".join(["l"] * 16), "16 levels; SSM allows at most 15"),
    ("/" + "a" * 1011, "1012 characters"),
])
def test_check_parameter_name_refuses(name, fragment):
    with pytest.raises(ValueError, match=fragment):
        check_parameter_name(name)


def test_check_parameter_name_counts_arn_prefix_with_region():
    name = "/" + "a" * 980
    check_parameter_name(name)
    with pytest.raises(ValueError, match="with its ARN prefix"):
        check_parameter_name(name, region="eu-west-1")


def test_custom_root_deep_signature_path_exceeds_levels():
    # 13-level root: the policy fits, its signature path (two levels more) does not
    root = "/" + "/".join(f"l{i}" for i in range(13))
    p = policy_path("prod", root)
    check_parameter_name(p)
    with pytest.raises(ValueError, match="levels"):
        check_parameter_name(signature_path(p))
