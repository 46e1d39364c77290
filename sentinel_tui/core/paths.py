"""Where Sentinel keeps policies and their signatures in SSM Parameter Store.

Pure string mapping, no AWS calls. The rules are the Go tool's:

* a policy for profile ``P`` lives at ``{root}/{P}`` (``bootstrap.DefaultPolicyParameterName``:
  plain concatenation; ``P`` may itself contain ``/``);
* its signature lives at ``policy.SignatureParameterName(path)``: a path that starts with
  ``/sentinel/policies/`` has that prefix replaced by ``/sentinel/signatures/``, any other
  path becomes ``/sentinel/signatures/`` + the path without its first ``/``. So with a custom
  root ``/acme/policies`` the signature of ``prod`` is ``/sentinel/signatures/acme/policies/prod``.
  The TVM looks exactly there, so the quirk is kept.

A consequence of that rule worth knowing: for a root that contains ``/sentinel/policies``
(e.g. ``/sentinel``), two different policies can share one signature parameter
(``/sentinel/policies/x`` and ``/x`` both map to ``/sentinel/signatures/x``); see
:func:`policy_paths_for_signature`.
"""

from __future__ import annotations

import re

DEFAULT_POLICY_ROOT = "/sentinel/policies"
SIGNATURE_PREFIX = "/sentinel/signatures/"
# Go's policy.PolicyParameterPrefix: the prefix that SignatureParameterName swaps out.
_GO_POLICY_PREFIX = DEFAULT_POLICY_ROOT + "/"

MAX_NAME_CHARS = 1011
MAX_LEVELS = 15
_ALLOWED = re.compile(r"[A-Za-z0-9_.\-/]*\Z")
_BAD_CHAR = re.compile(r"[^A-Za-z0-9_.\-/]")


def _require_str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, not {type(value).__name__}")
    return value


def normalize_root(root: str) -> str:
    """The policy root without trailing slashes: ``"/acme/policies/"`` -> ``"/acme/policies"``.

    Raises ValueError when the root does not start with ``/``, names no level at all (``/``),
    has an empty level (``//``) or contains characters SSM refuses in a name.
    """
    root = _require_str(root, "policy root")
    if not root.startswith("/"):
        raise ValueError(
            f"policy root {root!r} must start with '/' (an SSM path such as {DEFAULT_POLICY_ROOT})"
        )
    stripped = root.rstrip("/")
    if not stripped:
        raise ValueError(
            f"policy root {root!r} names no path level; use a path such as {DEFAULT_POLICY_ROOT}"
        )
    if "//" in stripped:
        raise ValueError(f"policy root {root!r} has an empty level ('//'); SSM refuses such names")
    bad = _BAD_CHAR.search(stripped)
    if bad:
        raise ValueError(
            f"policy root {root!r} contains {bad.group()!r}; SSM names allow only a-z A-Z 0-9 _ . - /"
        )
    return stripped


def _check_name_shape(name: str) -> None:
    if not name:
        raise ValueError("policy name is empty")
    if name.startswith("/") or name.endswith("/"):
        raise ValueError(f"policy name {name!r} must not start or end with '/'")
    if "//" in name:
        raise ValueError(f"policy name {name!r} has an empty level ('//')")


def policy_path(name: str, root: str = DEFAULT_POLICY_ROOT) -> str:
    """The SSM parameter of profile ``name`` under ``root`` (``{root}/{name}``).

    ``name`` may contain ``/`` (``team/dev``). A name that already is a full path under
    ``root`` (``/sentinel/policies/team/dev``) is returned as is; any other name starting
    with ``/`` is refused, since it is not under ``root``.
    """
    name = _require_str(name, "policy name")
    root = normalize_root(root)
    if name.startswith("/"):
        if name.startswith(root + "/") and len(name) > len(root) + 1:
            _check_name_shape(name[len(root) + 1:])
            return name
        raise ValueError(f"{name!r} is a full path but not one under the policy root {root}")
    _check_name_shape(name)
    return f"{root}/{name}"


def policy_name(path: str, root: str = DEFAULT_POLICY_ROOT) -> str:
    """The profile name of the policy parameter ``path`` under ``root`` (inverse of policy_path)."""
    path = _require_str(path, "policy path")
    root = normalize_root(root)
    prefix = root + "/"
    if not path.startswith(prefix) or len(path) == len(prefix):
        raise ValueError(f"{path!r} is not a policy parameter under the policy root {root}")
    name = path[len(prefix):]
    _check_name_shape(name)
    return name


def signature_path(policy_path: str) -> str:
    """Go's ``policy.SignatureParameterName``: where the TVM reads the signature of a policy."""
    policy_path = _require_str(policy_path, "policy path")
    if policy_path.startswith(_GO_POLICY_PREFIX):
        return SIGNATURE_PREFIX + policy_path[len(_GO_POLICY_PREFIX):]
    # strings.TrimPrefix removes one leading "/" at most.
    return SIGNATURE_PREFIX + (policy_path[1:] if policy_path.startswith("/") else policy_path)


def signature_root(root: str) -> str:
    """The path (no trailing slash) under which the signatures of policies under ``root`` live.

    ``/sentinel/policies`` -> ``/sentinel/signatures``; ``/acme/policies`` ->
    ``/sentinel/signatures/acme/policies``. For a root that is an ancestor of
    ``/sentinel/policies`` (only ``/sentinel``) the mapping is not one prefix: policies under
    ``/sentinel/policies/`` sign into ``/sentinel/signatures/`` directly; listing
    ``/sentinel/signatures`` recursively and filtering with policy_path_for_signature covers both.
    """
    root = normalize_root(root)
    with_slash = root + "/"
    if with_slash.startswith(_GO_POLICY_PREFIX):
        return (SIGNATURE_PREFIX + with_slash[len(_GO_POLICY_PREFIX):]).rstrip("/")
    return SIGNATURE_PREFIX + root[1:]


def policy_paths_for_signature(sig_path: str, root: str) -> tuple[str, ...]:
    """Every policy parameter under ``root`` whose signature parameter is ``sig_path``.

    Usually zero or one; two only for roots that contain ``/sentinel/policies`` (``/sentinel``),
    where Go's rule makes ``/sentinel/policies/x`` and ``/x`` share a signature.
    """
    sig_path = _require_str(sig_path, "signature path")
    root = normalize_root(root)
    if not sig_path.startswith(SIGNATURE_PREFIX) or len(sig_path) == len(SIGNATURE_PREFIX):
        return ()
    rest = sig_path[len(SIGNATURE_PREFIX):]
    candidates = [_GO_POLICY_PREFIX + rest]  # the prefix-swap branch
    plain = "/" + rest
    if not plain.startswith(_GO_POLICY_PREFIX):  # else signature_path(plain) takes the other branch
        candidates.append(plain)
    found = []
    for cand in candidates:
        if cand.startswith(root + "/") and len(cand) > len(root) + 1:
            name = cand[len(root) + 1:]
            if name and not name.endswith("/") and "//" not in name and signature_path(cand) == sig_path:
                found.append(cand)
    return tuple(found)


def policy_path_for_signature(sig_path: str, root: str) -> str | None:
    """The policy under ``root`` that ``sig_path`` signs (inverse of signature_path), or None.

    When two policies share the signature (see policy_paths_for_signature), the one under
    ``/sentinel/policies/`` is returned.
    """
    found = policy_paths_for_signature(sig_path, root)
    return found[0] if found else None


def check_parameter_name(path: str, *, region: str | None = None) -> None:
    """Raise ValueError, with the reason, for a name SSM would refuse; return None otherwise.

    SSM's rules: only ``a-zA-Z0-9_.-`` and ``/``; a hierarchical name starts with ``/`` and has
    no empty level; at most 15 levels; not prefixed with ``aws`` or ``ssm`` in any case (also
    after the leading ``/``); at most 1,011 characters *including* the ARN before the name
    (``arn:aws:ssm:REGION:ACCOUNT:parameter/``). Without ``region`` only the name itself is
    counted; with it the ARN prefix is counted too.
    """
    path = _require_str(path, "parameter name")
    if not path:
        raise ValueError("parameter name is empty")
    if not _ALLOWED.match(path):
        bad = _BAD_CHAR.search(path)
        assert bad is not None
        raise ValueError(
            f"parameter name {path!r} contains {bad.group()!r} at position {bad.start() + 1}; "
            "SSM allows only a-z A-Z 0-9 _ . - and / in names"
        )
    if "/" in path:
        if not path.startswith("/"):
            raise ValueError(f"parameter name {path!r}: a name with '/' levels must start with '/'")
        if path.endswith("/"):
            raise ValueError(f"parameter name {path!r} must not end with '/'")
        if "//" in path:
            raise ValueError(f"parameter name {path!r} has an empty level ('//')")
    bare = path.lstrip("/")
    if bare[:3].lower() in ("aws", "ssm"):
        raise ValueError(
            f"parameter name {path!r} starts with {bare[:3]!r}; SSM reserves names prefixed "
            "with 'aws' or 'ssm' (case-insensitive)"
        )
    levels = len(bare.split("/"))
    if levels > MAX_LEVELS:
        raise ValueError(
            f"parameter name {path!r} has {levels} levels; SSM allows at most {MAX_LEVELS}"
        )
    limit = MAX_NAME_CHARS
    counted = len(path)
    if region:
        partition = "aws-cn" if region.startswith("cn-") else (
            "aws-us-gov" if region.startswith("us-gov-") else "aws")
        arn_prefix = f"arn:{partition}:ssm:{region}:123456789012:parameter/"
        counted = len(arn_prefix) + len(bare)
    if counted > limit:
        what = "with its ARN prefix " if region else ""
        raise ValueError(
            f"parameter name {path[:40]!r}... is {counted} characters {what}long; "
            f"SSM allows at most {limit}"
        )
