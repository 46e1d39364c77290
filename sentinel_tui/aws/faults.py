"""Fault injection at the botocore layer, around real clients.

AWS behaviours the emulator cannot produce (AccessDenied on one action,
throttling, a connection dropped between two writes, a disabled key) are shaped
here. Handlers run on botocore's `before-send` event, inside its retry loop: an
injected answer is a real HTTP response in AWS's wire format, parsed by
botocore's own parser and retried (or not) by its own retry policy, exactly as
the same answer from AWS would be. Tests, benchmarks and the demo use it; the
app's code paths never know a fault was injected.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from botocore.awsrequest import AWSResponse

# The wire protocol of each service sentinel_tui calls.
_XML_SERVICES = {"sts", "iam"}


class _Raw:
    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_: Any):
        yield self._body


class ErrorAnswer:
    """An AWS error as it arrives on the wire; rendered for the calling service's protocol."""

    def __init__(self, code: str, message: str, status: int = 400):
        self.code, self.message, self.status = code, message, status

    def response(self, service: str, url: str) -> AWSResponse:
        if service in _XML_SERVICES:
            body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{self.code}</Code>"
                    f"<Message>{_xml(self.message)}</Message></Error>"
                    f"<RequestId>fault-injected</RequestId></ErrorResponse>").encode()
            headers = {"Content-Type": "text/xml"}
        else:
            body = json.dumps({"__type": self.code, "message": self.message}).encode()
            headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": self.code,
                       "x-amzn-RequestId": "fault-injected"}
        return AWSResponse(url, self.status, headers, _Raw(body))


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def error_response(code: str, message: str, status: int = 400) -> ErrorAnswer:
    return ErrorAnswer(code, message, status)


def api_params(body: Any) -> dict:
    """The operation's parameters, read back from a JSON-protocol request body (SSM, KMS)."""
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str) or not body.strip().startswith("{"):
        return {}
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# handler(api_params) -> None to let the call through, an ErrorAnswer to answer
# instead, or raise a botocore HTTPClientError (e.g. ConnectionClosedError) to drop
# the connection, which botocore then treats as it treats a real one.
Handler = Callable[[dict], Any]


def on_call(service: str, operation: str, handler: Handler) -> Callable[[str, Any], None]:
    """A Clients hook that runs `handler` before every `service`.`operation` request is sent."""

    def before_send(request, **kwargs):
        answer = handler(api_params(request.body))
        if isinstance(answer, ErrorAnswer):
            return answer.response(service, request.url)
        return answer

    def install(name: str, client: Any) -> None:
        if name == service:
            client.meta.events.register(f"before-send.{service}.{operation}", before_send)

    return install


def deny(service: str, operation: str, message: str, *, when: Callable[[dict], bool] = lambda p: True,
         code: str = "AccessDeniedException"):
    """AccessDenied for `service`.`operation` (when `when(params)` holds)."""
    return on_call(service, operation, lambda p: error_response(code, message) if when(p) else None)
