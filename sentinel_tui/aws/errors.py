"""Turn botocore exceptions into domain errors an operator can act on.

Everything that talks to AWS funnels its exceptions through :func:`translate`,
which returns an :class:`AwsError` that says what happened (naming the IAM
action, the resource and the principal), what to do about it, and keeps the raw
AWS code and message in ``detail`` for a "show details" view.

Two guarantees hold for every :class:`SentinelError` (and so every AwsError):

* ``what``, ``fix`` and ``detail`` never carry credentials: access key ids,
  secret keys, session tokens and signing headers are replaced by
  ``[REDACTED]`` (see :func:`scrub`).
* they cannot drive a terminal: control characters from AWS messages (ESC,
  CR, BEL, C1 controls...) are shown escaped, as ``\\x1b`` (see :func:`inert`).

The base :class:`SentinelError` and :class:`ErrorKind` live in
:mod:`sentinel_tui.errors`, the text hygiene in :mod:`sentinel_tui.core.text`; both are
re-exported here. This module imports only botocore (and urllib3, which botocore ships
with): the TUI and the headless CLI both use it.
"""

from __future__ import annotations

import functools
import re
import socket
from datetime import datetime, timezone
from urllib.parse import urlsplit

import botocore.exceptions as bce

from ..core.text import inert, scrub
from ..errors import ErrorKind, SentinelError, clean_message

try:  # botocore always depends on urllib3, but do not make it a hard import
    from urllib3.exceptions import ProtocolError as _Urllib3ProtocolError
except Exception:  # pragma: no cover
    _Urllib3ProtocolError = ()  # type: ignore[assignment]

__all__ = [
    "SentinelError",
    "AwsError",
    "translate",
    "scrub",
    "inert",
    "iam_action",
    "KINDS",
    "ErrorKind",
]

#: Every ``kind`` an AwsError can carry.
KINDS = frozenset(
    {
        "access-denied", "not-found", "already-exists", "throttled", "key-disabled",
        "key-invalid-state", "key-usage", "invalid-signature", "validation", "too-large",
        "limit-exceeded", "parameter-version-conflict", "expired-credentials", "no-credentials",
        "invalid-credentials", "clock-skew", "endpoint-unreachable", "connection-dropped",
        "tls-error", "unknown-region", "service-unavailable", "unknown",
    }
)

_MAX_AWS_TEXT = 600  # characters of an AWS message quoted in `what`
_MAX_DETAIL = 4000

def _clean(text: str | None) -> str:
    return clean_message(text)


def _shorten(text: str, limit: int = _MAX_AWS_TEXT) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --------------------------------------------------------------------------
# Error classes
# --------------------------------------------------------------------------


class AwsError(SentinelError):
    """A failed AWS call, translated.

    Extra fields: ``service`` ("ssm", "kms", "lambda", "sts"), ``operation``
    ("Sign"), ``code`` (the AWS error code, or None for errors raised before an
    answer), ``resource`` (parameter name, key id, function name, or None),
    ``retryable`` (trying again unchanged may succeed), ``principal`` (the ARN
    that was refused, when known) and ``outcome_unknown`` (the request may have
    been carried out although an error came back: re-read before repeating a
    write).
    """

    def __init__(
        self,
        what: str,
        fix: str = "",
        *,
        kind: str = "unknown",
        detail: str = "",
        service: str = "",
        operation: str = "",
        code: str | None = None,
        resource: str | None = None,
        retryable: bool = False,
        principal: str | None = None,
        outcome_unknown: bool = False,
    ):
        super().__init__(what, fix, kind=kind, detail=detail)
        self.service = service
        self.operation = operation
        self.code = code
        self.resource = resource
        self.retryable = retryable
        self.principal = principal
        self.outcome_unknown = outcome_unknown

    @property
    def action(self) -> str:
        """The IAM action of the failed call, e.g. ``kms:Sign``."""
        return iam_action(self.service, self.operation)


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------

_SERVICE_NAMES = {
    "ssm": "SSM Parameter Store",
    "kms": "KMS",
    "lambda": "Lambda",
    "sts": "STS",
}

_WRITE_PREFIXES = (
    "Put",
    "Delete",
    "Create",
    "Update",
    "Tag",
    "Untag",
    "Label",
    "Unlabel",
    "Schedule",
    "Cancel",
    "Enable",
    "Disable",
    "Add",
    "Remove",
)


def iam_action(service: str, operation: str) -> str:
    """The IAM action an operation needs: ``("kms", "Sign")`` -> ``kms:Sign``.

    SSM's GetParameter, GetParameters, GetParametersByPath, PutParameter,
    DeleteParameter(s) and GetParameterHistory, KMS's Sign/Verify/GetPublicKey/
    DescribeKey/ListAliases/CreateKey/CreateAlias/TagResource, Lambda's
    ListFunctions/GetFunctionConfiguration and STS's GetCallerIdentity all have
    an IAM action of the same name.
    """
    service = (service or "").lower()
    return f"{service}:{operation}"


def _is_write(operation: str) -> bool:
    return operation.startswith(_WRITE_PREFIXES)


def _service_name(service: str) -> str:
    return _SERVICE_NAMES.get((service or "").lower(), service or "AWS")


def _on(resource: str | None) -> str:
    return f" on {resource}" if resource else ""


# --------------------------------------------------------------------------
# Regions
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _known_regions() -> frozenset[str]:
    try:
        from botocore.loaders import create_loader

        data = create_loader().load_data("endpoints")
        return frozenset(r for p in data.get("partitions", []) for r in p.get("regions", {}))
    except Exception:  # pragma: no cover - botocore data missing
        return frozenset()


_AWS_HOST = re.compile(
    r"^(?P<svc>[a-z0-9\-]+?)(?:-fips)?\.(?P<region>[a-z0-9\-]+)\."
    r"(?:amazonaws\.com(?:\.cn)?|amazonaws\.eu|c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov|api\.aws)$"
)


def _region_of(endpoint_url: str) -> str | None:
    host = (urlsplit(endpoint_url).hostname or "").lower()
    m = _AWS_HOST.match(host)
    return m.group("region") if m else None


def _is_local(endpoint_url: str) -> bool:
    host = (urlsplit(endpoint_url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


_DNS_FAILURE = re.compile(
    r"name or service not known|nodename nor servname|getaddrinfo failed|"
    r"no address associated|name resolution|failed to resolve|gaierror|Errno -[235]\b",
    re.I,
)


# --------------------------------------------------------------------------
# ClientError helpers
# --------------------------------------------------------------------------

_XML_CODE = re.compile(r"<Code>\s*([^<]+?)\s*</Code>", re.S)
_XML_MSG = re.compile(r"<Message>\s*(.*?)\s*</Message>", re.S)

_DENIED_MSG = re.compile(
    r"(?:User|Principal):\s*(?P<principal>\S+?)\s+is not authorized to perform:?\s*"
    r"(?P<action>[A-Za-z0-9\-]+:[A-Za-z0-9\*]+)"
    r"(?:\s+on resource:?\s*(?P<resource>[^\s\"']+?))?(?=\s|$|\"|')",
    re.S,
)

_SKEW_TIMES = re.compile(r"(\d{8}T\d{6}Z).*?\((\d{8}T\d{6}Z)\s*[-+]\s*\d+\s*min", re.S)

_ACCESS_DENIED = {
    "AccessDeniedException",
    "AccessDenied",
    "AccessDeniedFault",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
    "403",
}
_THROTTLED = {
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
    "BandwidthLimitExceeded",
    "TransactionInProgressException",
}
_EXPIRED = {
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "TokenRefreshRequired",
    "ExpiredTokenError",
}
_INVALID_CREDS = {
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidSignatureException",  # the request's SigV4 signature, not a KMS verdict
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "IncompleteSignatureException",
    "InvalidAccessKeyId",
    "AuthFailure",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
    "InvalidToken",
    "NotAuthorized",
}
_CLOCK_SKEW_CODES = {"RequestTimeTooSkewed", "RequestInTheFuture", "SignatureExpired"}
_SERVICE_ERRORS = {
    "InternalFailure",
    "InternalError",
    "InternalServerError",
    "InternalServerException",
    "InternalServiceError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "ServiceException",
    "KMSInternalException",
    "KeyUnavailableException",
    "DependencyTimeoutException",
    "CloudHsmClusterNotActiveException",
}
_NOT_FOUND = {
    "ParameterNotFound",
    "ParameterVersionNotFound",
    "NotFoundException",
    "ResourceNotFoundException",
    "NoSuchEntity",
}
_SSM_INVALID = {
    "HierarchyLevelLimitExceededException",
    "HierarchyTypeMismatchException",
    "ParameterPatternMismatchException",
    "InvalidAllowedPatternException",
    "UnsupportedParameterType",
    "InvalidFilterKey",
    "InvalidFilterOption",
    "InvalidFilterValue",
    "InvalidNextToken",
    "InvalidParameters",
    "InvalidArnException",
    "InvalidAliasNameException",
    "InvalidParameterValueException",
    "InvalidRequestContentException",
    "SerializationException",
    "InvalidParameterException",
    "InvalidInputException",
    "MalformedPolicyDocumentException",
    "TagException",
}
_CLOCK_WORDS = re.compile(
    r"signature expired|not yet current|request time|too skewed|clock|time stamp|timestamp|"
    r"date stamp|in the future|\d{8}T\d{6}Z",
    re.I,
)
_TOO_LARGE_WORDS = re.compile(
    r"length less than or equal to|maximum parameter value|too long|too large|exceeds the maximum|"
    r"maximum (?:size|length)|4096",
    re.I,
)


def _norm_code(code: object) -> str:
    code = str(code or "").strip()
    code = code.rsplit("#", 1)[-1]  # "com.amazon.coral.service#AccessDeniedException"
    return code.split(":", 1)[0].strip()


def _skew_minutes(message: str) -> int | None:
    m = _SKEW_TIMES.search(message)
    if not m:
        return None
    try:
        fmt = "%Y%m%dT%H%M%SZ"
        ours = datetime.strptime(m.group(1), fmt).replace(tzinfo=timezone.utc)
        theirs = datetime.strptime(m.group(2), fmt).replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    return round(abs((ours - theirs).total_seconds()) / 60)


def _profile_hint(profile: str | None) -> str:
    return profile if profile else "<profile>"


# --------------------------------------------------------------------------
# translate
# --------------------------------------------------------------------------


def translate(
    exc: BaseException,
    *,
    service: str,
    operation: str,
    resource: str | None = None,
    principal: str | None = None,
    profile: str | None = None,
    region: str | None = None,
) -> AwsError:
    """Turn an exception from a boto3 call into an :class:`AwsError`.

    ``service``/``operation`` name the call ("kms", "Sign"); ``resource`` is the
    parameter name, key id/alias or function name it was about; ``principal``
    the caller's ARN when known (else AWS's message is searched for it);
    ``profile`` and ``region`` only sharpen the advice. An AwsError passes
    through unchanged. Use as ``raise translate(e, ...) from e``.
    """
    if isinstance(exc, AwsError):
        return exc
    ctx = _Ctx(service=(service or "").lower(), operation=operation or "", resource=resource,
               principal=principal, profile=profile, region=region)
    try:
        if isinstance(exc, bce.ClientError):
            return _from_client_error(exc, ctx)
        return _from_other(exc, ctx)
    except Exception as bug:  # never let the translator itself hide the error
        return ctx.make(
            "unknown",
            f"{ctx.action} failed{_on(resource)}: {type(exc).__name__}: {_shorten(str(exc))}",
            "See the details; this error could not be classified.",
            detail=f"{type(exc).__name__}: {exc}\n(translator error: {type(bug).__name__}: {bug})",
        )


class _Ctx:
    def __init__(self, *, service, operation, resource, principal, profile, region):
        self.service = service
        self.operation = operation
        self.resource = resource
        self.principal = principal
        self.profile = profile
        self.region = region
        # "session"/"client" are set-up steps of the caller, not AWS operations.
        self.action = (
            iam_action(service, operation)
            if operation[:1].isupper()
            else f"setting up the {_service_name(service)} {operation or 'client'}"
        )
        self.write = _is_write(operation)

    @property
    def who(self) -> str:
        return self.principal or "the current credentials"

    def make(self, kind, what, fix="", *, detail="", code=None, retryable=False,
             outcome_unknown=False) -> AwsError:
        if what.startswith("setting up"):
            what = "S" + what[1:]
        return AwsError(
            what,
            fix,
            kind=kind,
            detail=detail[:_MAX_DETAIL],
            service=self.service,
            operation=self.operation,
            code=code,
            resource=self.resource,
            retryable=retryable,
            principal=self.principal,
            outcome_unknown=outcome_unknown,
        )


def _from_client_error(exc: bce.ClientError, ctx: _Ctx) -> AwsError:
    response = getattr(exc, "response", None) or {}
    err = response.get("Error") or {}
    meta = response.get("ResponseMetadata") or {}
    code = _norm_code(err.get("Code"))
    message = str(err.get("Message") or err.get("message") or "")
    status = meta.get("HTTPStatusCode")
    # A non-JSON error body on a JSON service (moto's IAM mode, proxies):
    # botocore gives code "403"/"400" and the raw XML as the message.
    if message.lstrip().startswith("<"):
        m_code, m_msg = _XML_CODE.search(message), _XML_MSG.search(message)
        if m_code:
            code = _norm_code(m_code.group(1))
        if m_msg:
            message = m_msg.group(1)
    if not code and status:
        code = str(status)

    retries = meta.get("RetryAttempts") or 0
    request_id = meta.get("RequestId")
    bits = [f"HTTP {status}"] if status else []
    if request_id:
        bits.append(f"request id {request_id}")
    if retries:
        bits.append(f"{retries} retries")
    detail = (
        f"{ctx.service} {ctx.operation}: {code or 'no error code'}"
        + (f" ({', '.join(bits)})" if bits else "")
        + (f": {message}" if message else "")
    )
    short = _shorten(message)
    lower = message.lower()
    svc = _service_name(ctx.service)
    res = ctx.resource
    after = f" after {retries} retries" if retries else ""

    def make(kind, what, fix="", *, retryable=False, outcome_unknown=False):
        err = ctx.make(kind, what, fix, detail=detail, code=code or None,
                       retryable=retryable, outcome_unknown=outcome_unknown)
        # AWS's own words, for predicting the text another caller (the TVM) logs.
        err.aws_message = message
        err.http_status = status
        return err

    # --- the KMS verdict comes first: it is not a failure -----------------
    if code == "KMSInvalidSignatureException":
        return make(
            "invalid-signature",
            f"The signature does not match the policy for KMS key {res or '(unnamed)'}: "
            "KMS answered that it is invalid.",
            "The policy or its signature changed after signing, or another key signed it: "
            "sign the exact policy bytes again with the key the TVM verifies with.",
        )

    # --- credentials and clocks -------------------------------------------
    if code in _CLOCK_SKEW_CODES or (
        code in ("InvalidSignatureException", "SignatureDoesNotMatch", "RequestExpired", "AuthFailure")
        and _CLOCK_WORDS.search(message)
        and "calculated does not match" not in lower
    ):
        minutes = _skew_minutes(message)
        off = f" is off by about {minutes} minutes" if minutes else " is too far off"
        return make(
            "clock-skew",
            f"AWS refused {ctx.action}{_on(res)} because this machine's clock{off} "
            "(requests must be signed within 5 minutes of AWS time).",
            "Sync the system clock with NTP (e.g. `sudo timedatectl set-ntp true`, or "
            "`sudo chronyc makestep`), then try again.",
        )

    if code in _EXPIRED:
        return make(
            "expired-credentials",
            f"The AWS credentials{_for(ctx.principal)} have expired, so {ctx.action}{_on(res)} was refused.",
            f"Refresh them (e.g. `aws sso login --profile {_profile_hint(ctx.profile)}`, or get new "
            "temporary credentials) and try again.",
        )

    if code in _INVALID_CREDS:
        return make(
            "invalid-credentials",
            f"AWS did not accept the credentials{_for(ctx.principal)} for {ctx.action} ({code}): "
            "the access key is unknown or deleted, or the secret key or session token is wrong.",
            f"Check which credentials are in use (`aws sts get-caller-identity --profile "
            f"{_profile_hint(ctx.profile)}`), then fix them with `aws configure` or pick another "
            "--aws-profile; a region your account has not enabled also gives this error.",
        )

    # --- access denied ------------------------------------------------------
    if code in _ACCESS_DENIED or (status == 403 and code in ("", "Forbidden", str(status))):
        return _access_denied(ctx, message, make)

    # --- throttling and service trouble ---------------------------------------
    if code in _THROTTLED or "rate exceeded" in lower:
        return make(
            "throttled",
            f"AWS is throttling {ctx.action} requests{after}{_on(res)} ({code or 'rate exceeded'}).",
            "Wait a few seconds and try again; if it keeps happening, make fewer calls at once "
            "(other tools in this account share the same request quota).",
            retryable=True,
        )

    if code in _SERVICE_ERRORS or (isinstance(status, int) and status >= 500):
        may = (
            f" The request may or may not have been carried out, so {res or 'the resource'} "
            "may or may not have changed."
            if ctx.write
            else ""
        )
        fix = (
            f"Re-read {res or 'the resource'} to see whether the change landed, then try again."
            if ctx.write
            else "Try again in a moment; if it persists, check the AWS Health Dashboard."
        )
        return make(
            "service-unavailable",
            f"{svc} failed to handle {ctx.action}{_on(res)}{after} ({code or status}: {short or 'no message'})."
            + may,
            fix,
            retryable=True,
            outcome_unknown=ctx.write,
        )

    # --- KMS key states -------------------------------------------------------
    if code == "DisabledException":
        return make(
            "key-disabled",
            f"The KMS key {res or '(unnamed)'} is disabled, so {ctx.action} was refused.",
            f"Enable it (`aws kms enable-key --key-id {res or '<key-id>'}`) if it was disabled by "
            "mistake, or use the current signing key.",
        )

    if code == "KMSInvalidStateException":
        if "pending deletion" in lower or "pendingdeletion" in lower:
            return make(
                "key-invalid-state",
                f"The KMS key {res or '(unnamed)'} is pending deletion, so {ctx.action} was refused.",
                f"If the key must stay, cancel the deletion (`aws kms cancel-key-deletion --key-id "
                f"{res or '<key-id>'}`, i.e. CancelKeyDeletion) and then enable it again with "
                "`aws kms enable-key`; otherwise use another key.",
            )
        return make(
            "key-invalid-state",
            f"The KMS key {res or '(unnamed)'} is not in a usable state for {ctx.action}: {short}",
            "Check its state with `aws kms describe-key`; it must be Enabled to sign or verify.",
        )

    if code in ("InvalidKeyUsageException", "UnsupportedOperationException") or (
        code == "ValidationException" and ctx.service == "kms" and "usage" in lower
    ):
        verb = {"Sign": "sign", "Verify": "verify"}.get(ctx.operation, f"be used for {ctx.operation}")
        return make(
            "key-usage",
            f"The KMS key {res or '(unnamed)'} cannot {verb}: its key usage is not SIGN_VERIFY "
            "(a symmetric or ENCRYPT_DECRYPT key).",
            "Use an asymmetric RSA_4096 (or RSA_2048) key created with key usage SIGN_VERIFY, "
            "such as alias/sentinel-policy-signing.",
        )

    # --- not found / already exists -----------------------------------------
    if code in _NOT_FOUND:
        return _not_found(ctx, code, short, make)

    if code in ("ParameterAlreadyExists", "AlreadyExistsException", "ResourceConflictException"):
        return make(
            "already-exists",
            f"{res or 'The resource'} already exists, so {ctx.action} did not create it ({code}).",
            "Overwrite it explicitly, or choose another name.",
        )

    # --- SSM quotas and concurrency ---------------------------------------------
    if code == "TooManyUpdates":
        return make(
            "parameter-version-conflict",
            f"Another update to {res or 'the parameter'} was in progress at the same moment, "
            "so SSM refused this one (TooManyUpdates).",
            f"Re-read {res or 'the parameter'} to see whose change landed, then try again.",
            retryable=True,
        )

    if code == "ParameterMaxVersionLimitExceeded":
        return make(
            "limit-exceeded",
            f"{res or 'The parameter'} already has 100 versions and its oldest one carries a label, "
            "so SSM cannot drop it to make room for a new version.",
            "Remove the label from the oldest version (`aws ssm unlabel-parameter-version`), "
            "or delete and re-create the parameter.",
        )

    if code == "ParameterLimitExceeded":
        return make(
            "limit-exceeded",
            f"The account has reached its quota of SSM parameters in this region, so "
            f"{res or 'the parameter'} cannot be created.",
            "Delete parameters that are no longer used, or raise the quota in Service Quotas.",
        )

    if code == "LimitExceededException":
        return make(
            "limit-exceeded",
            f"{svc} refused {ctx.action}{_on(res)} because an account quota is reached: {short}",
            "Free up some of that quota (or raise it in Service Quotas) and try again.",
        )

    # --- validation -------------------------------------------------------------
    if code in ("ValidationException", "ValidationError") or code in _SSM_INVALID:
        if _TOO_LARGE_WORDS.search(message):
            return _too_large(ctx, make)
        return make(
            "validation",
            f"AWS rejected the {ctx.operation} request{_on(res)} as invalid: {short or code}",
            "Check the name, key id or value the message points at.",
        )

    if code == "InvalidKeyId":
        return make(
            "key-invalid-state",
            f"SSM could not use the KMS key of {res or 'the parameter'} (InvalidKeyId): {short}",
            "Check that the parameter's KMS key exists, is enabled, and that you may use it.",
        )

    # --- anything else ----------------------------------------------------------
    return make(
        "unknown",
        f"{ctx.action} failed{_on(res)}: {code or 'unknown error'}: {short or 'no message'}",
        f"See the details; look up {code or 'the error'} in the {svc} documentation if it is unfamiliar.",
        retryable=False,
    )


def _for(principal: str | None) -> str:
    return f" of {principal}" if principal else ""


def _access_denied(ctx: _Ctx, message: str, make) -> AwsError:
    m = _DENIED_MSG.search(message)
    action = ctx.action
    if m:
        if not ctx.principal:
            ctx.principal = m.group("principal")
        # AWS names the action it really checked (kms:Decrypt behind an SSM read).
        action = m.group("action")
    if not ctx.resource and m and m.group("resource"):
        ctx.resource = m.group("resource").rstrip(".,;")
    res = ctx.resource
    what = f"{action} was denied for {ctx.who}{_on(res)}."
    lower = message.lower()
    explicit = None
    for needle, where in (
        ("service control policy", "a service control policy (SCP) of the organization"),
        ("resource control policy", "a resource control policy of the organization"),
        ("permissions boundary", "the permissions boundary of this principal"),
        ("session policy", "the session policy of these credentials"),
        ("vpc endpoint policy", "the VPC endpoint policy"),
        ("identity-based policy", "an IAM policy of this principal"),
        ("resource-based policy", "the resource's own policy (key policy)"),
    ):
        if "explicit deny" in lower and needle in lower:
            explicit = where
            break
    if explicit:
        fix = (
            f"An explicit Deny in {explicit} blocks {action}; adding an Allow will not help: "
            "ask whoever owns that policy, or use another principal."
        )
    elif action.startswith("kms:"):
        alt = {
            "kms:Sign": "sign with a key you may use",
            "kms:Verify": "verify with a key you may use",
        }.get(action, "use a key you may use")
        on_key = " on that key" if res else ""
        fix = (
            f"Grant {action}{on_key} to this principal (key policy or IAM policy), or {alt}."
        )
    else:
        on_res = f" on {res}" if res else ""
        fix = (
            f"Grant {action}{on_res} to this principal in an IAM policy, or choose a profile "
            "that has it (--aws-profile)."
        )
    return make("access-denied", what, fix)


def _not_found(ctx: _Ctx, code: str, short: str, make) -> AwsError:
    res = ctx.resource
    if ctx.service == "ssm" or code in ("ParameterNotFound", "ParameterVersionNotFound"):
        if code == "ParameterVersionNotFound":
            return make(
                "not-found",
                f"The requested version of SSM parameter {res or '(unnamed)'} does not exist.",
                "Pick a version that exists (`aws ssm get-parameter-history`).",
            )
        name = res or "requested"
        unsigned = (
            " (so that policy has no signature)"
            if res and res.startswith("/sentinel/signatures/")
            else ""
        )
        return make(
            "not-found",
            f"The SSM parameter {name} does not exist{unsigned}.",
            "Check the profile name, the policy root and the region, or push the policy first.",
        )
    if ctx.service == "kms":
        return make(
            "not-found",
            f"The KMS key {res or '(unnamed)'} was not found"
            + (f" in {ctx.region}" if ctx.region else "")
            + ".",
            "Check the key id or alias and the region (aliases belong to one account and one "
            "region); `aws kms list-aliases` shows what exists.",
        )
    if ctx.service == "lambda":
        return make(
            "not-found",
            f"The Lambda function {res or '(unnamed)'} was not found in this account and region.",
            "Check the function name and the region; `aws lambda list-functions` shows what exists.",
        )
    return make(
        "not-found",
        f"{res or 'The resource'} was not found ({code}): {short}",
        "Check the name and the region.",
    )


def _too_large(ctx: _Ctx, make) -> AwsError:
    if ctx.service == "kms":
        return make(
            "too-large",
            f"The policy is too large to sign with {ctx.resource or 'KMS'}: KMS accepts at most "
            "4,096 bytes in a RAW message.",
            "Shorten the policy to 4,096 bytes or less (a Standard-tier SSM parameter cannot hold "
            "more either), then sign it again.",
        )
    return make(
        "too-large",
        f"The value for SSM parameter {ctx.resource or '(unnamed)'} is too long: the Standard tier "
        "holds 4,096 characters (Advanced 8,192).",
        "Shorten the policy to 4,096 characters or less: Sentinel writes the Standard tier, and a "
        "larger policy could not be signed by KMS anyway.",
    )


# --------------------------------------------------------------------------
# Errors raised before AWS answered
# --------------------------------------------------------------------------

_NO_CREDS_FIX = (
    "Choose a profile that has credentials with --aws-profile NAME, or set them up with "
    "`aws configure` (SSO profiles: `aws sso login --profile NAME`)."
)


def _from_other(exc: BaseException, ctx: _Ctx) -> AwsError:
    kw = getattr(exc, "kwargs", None) or {}
    detail = f"{type(exc).__name__}: {exc}"
    if kw.get("error") is not None and str(kw["error"]) not in detail:
        detail += f" ({kw['error']})"
    res = ctx.resource
    svc = _service_name(ctx.service)

    def make(kind, what, fix="", *, retryable=False, outcome_unknown=False):
        return ctx.make(kind, what, fix, detail=detail, retryable=retryable,
                        outcome_unknown=outcome_unknown)

    # --- credentials -----------------------------------------------------------
    if isinstance(exc, bce.ProfileNotFound):
        profile = kw.get("profile") or ctx.profile or "?"
        return make(
            "no-credentials",
            f"The AWS profile '{profile}' does not exist in the AWS config files.",
            "Pick an existing profile with --aws-profile NAME (`aws configure list-profiles` lists "
            "them), or create it with `aws configure --profile NAME`.",
        )
    if isinstance(exc, (bce.UnauthorizedSSOTokenError, getattr(bce, "LoginRefreshRequired", ()))):
        return make(
            "expired-credentials",
            f"The SSO session has expired or is invalid, so {ctx.action} could not be called.",
            f"Refresh it with `aws sso login --profile {_profile_hint(ctx.profile)}` and try again.",
        )
    if isinstance(exc, bce.SSOTokenLoadError):
        return make(
            "no-credentials",
            f"No SSO session was found for this profile, so {ctx.action} could not be called.",
            f"Log in with `aws sso login --profile {_profile_hint(ctx.profile)}`, or choose another "
            "profile with --aws-profile (or set up keys with `aws configure`).",
        )
    if isinstance(exc, bce.PartialCredentialsError):
        return make(
            "no-credentials",
            f"The AWS credentials from {kw.get('provider', 'the environment')} are incomplete: "
            f"{kw.get('cred_var', 'a value')} is missing.",
            _NO_CREDS_FIX,
        )
    if isinstance(exc, (bce.TokenRetrievalError, bce.CredentialRetrievalError)):
        return make(
            "no-credentials",
            f"Could not get AWS credentials from {kw.get('provider', 'the credential provider')}: "
            f"{_shorten(str(kw.get('error_msg', exc)))}",
            _NO_CREDS_FIX,
        )
    if isinstance(exc, (bce.NoCredentialsError, bce.NoAuthTokenError, bce.RefreshWithMFAUnsupportedError)):
        return make(
            "no-credentials",
            f"No AWS credentials were found, so {ctx.action} could not be called.",
            _NO_CREDS_FIX,
        )

    # --- regions -----------------------------------------------------------------
    if isinstance(exc, bce.NoRegionError):
        return make(
            "unknown-region",
            f"No AWS region is set, so {svc} cannot be reached.",
            "Pass --region (e.g. --region eu-west-1), or set AWS_REGION or `region` in the profile.",
        )
    if isinstance(exc, (bce.UnknownRegionError, bce.InvalidRegionError, bce.UnknownEndpointError)):
        region = kw.get("region_name") or ctx.region or "?"
        return make(
            "unknown-region",
            f"'{region}' is not an AWS region {svc} is known in.",
            "Check the spelling of --region / AWS_REGION / the profile's region (e.g. us-east-1).",
        )

    # --- TLS --------------------------------------------------------------------
    if isinstance(exc, bce.SSLError):
        url = kw.get("endpoint_url", "the endpoint")
        return make(
            "tls-error",
            f"The TLS certificate of {url} could not be verified, so {ctx.action} was not sent.",
            "If a corporate proxy intercepts TLS, point AWS_CA_BUNDLE at its CA certificate; "
            "otherwise check the endpoint URL.",
        )

    # --- the connection was never made ---------------------------------------
    if isinstance(exc, (bce.EndpointConnectionError, bce.ConnectTimeoutError, bce.ProxyConnectionError)):
        url = kw.get("endpoint_url") or kw.get("proxy_url") or "the endpoint"
        reason = str(kw.get("error") or "")
        region = _region_of(url) if url != "the endpoint" else None
        if region and region not in _known_regions() and (
            _DNS_FAILURE.search(reason) or isinstance(kw.get("error"), socket.gaierror)
        ):
            return make(
                "unknown-region",
                f"Could not reach {svc} at {url}: '{region}' is not an AWS region botocore knows, "
                "and that host name does not resolve.",
                "Check the spelling of --region / AWS_REGION / the profile's region (e.g. us-east-1).",
            )
        if isinstance(exc, bce.ProxyConnectionError):
            how = "the proxy could not be reached"
            hint = "Check HTTPS_PROXY / the proxy settings, then try again."
        elif isinstance(exc, bce.ConnectTimeoutError):
            how = "the connection timed out"
            hint = "Check the network, VPN and proxy (HTTPS_PROXY), then try again."
        else:
            how = "the connection failed"
            hint = "Check the network, VPN and proxy (HTTPS_PROXY) and the region, then try again."
        if _is_local(url):
            hint = ("Nothing is listening there: start the local store (demo/emulator) or fix "
                    "--endpoint-url, then try again.")
        return make(
            "endpoint-unreachable",
            f"Could not connect to {svc} at {url} ({how}), so {ctx.action}{_on(res)} was not sent: "
            "this attempt did not reach AWS.",
            hint,
            retryable=True,
        )

    # --- the connection dropped after the request went out -------------------
    if isinstance(
        exc,
        (bce.ConnectionClosedError, bce.ReadTimeoutError, bce.ResponseStreamingError,
         bce.IncompleteReadError, bce.HTTPClientError, _Urllib3ProtocolError,
         ConnectionResetError, BrokenPipeError, socket.timeout, TimeoutError),
    ):
        url = kw.get("endpoint_url") or "the endpoint"
        how = "timed out waiting for AWS to answer" if isinstance(
            exc, (bce.ReadTimeoutError, socket.timeout, TimeoutError)
        ) else "dropped before AWS answered"
        if ctx.write:
            what = (
                f"During {ctx.action}, the connection to {svc} at {url} {how}: the request may or may "
                f"not have reached AWS, so {res or 'the resource'} may or may not have been written."
            )
            fix = f"Re-read {res or 'the resource'} to see whether the change landed before trying again."
        else:
            what = (
                f"During {ctx.action}{_on(res)}, the connection to {svc} at {url} {how}: "
                "the request may or may not have reached AWS."
            )
            fix = "Try again; if it keeps happening, check the network, VPN or proxy."
        return make("connection-dropped", what, fix, retryable=True, outcome_unknown=True)

    if isinstance(exc, bce.ConnectionError):  # other "failed to establish" errors
        return make(
            "endpoint-unreachable",
            f"Could not connect to {svc}, so {ctx.action}{_on(res)} was not sent.",
            "Check the network, VPN and proxy (HTTPS_PROXY), then try again.",
            retryable=True,
        )
    if isinstance(exc, (ConnectionRefusedError, ConnectionAbortedError, socket.gaierror)):
        return make(
            "endpoint-unreachable",
            f"Could not connect to {svc}, so {ctx.action}{_on(res)} was not sent.",
            "Check the network, VPN and proxy (HTTPS_PROXY), then try again.",
            retryable=True,
        )

    if isinstance(exc, ValueError) and "endpoint" in str(exc).lower():
        return make(
            "validation",
            f"The endpoint URL for {svc} is not valid: {_shorten(str(exc), 300)}",
            "Check --endpoint-url / AWS_ENDPOINT_URL: it must look like https://host[:port].",
        )

    # --- our own bad request -------------------------------------------------
    if isinstance(exc, (bce.ParamValidationError, bce.ValidationError, bce.MissingParametersError)):
        report = str(kw.get("report") or exc)
        first = next((ln.strip() for ln in report.splitlines() if ln.strip()), report)
        if first.lower().startswith("parameter validation failed"):
            lines = [ln.strip() for ln in report.splitlines() if ln.strip()]
            first = lines[1] if len(lines) > 1 else first
        return make(
            "validation",
            f"The {ctx.operation} request{_on(res)} was not sent: its parameters are invalid "
            f"({_shorten(first, 300)}).",
            "Check the value named above; if it came from sentinel_tui itself, please report it as a bug.",
        )

    return make(
        "unknown",
        f"{ctx.action} failed{_on(res)}: {type(exc).__name__}: {_shorten(str(exc)) or 'no message'}",
        "See the details; this error could not be classified.",
    )
