"""Fault injection at the botocore layer, around real clients.

AWS behaviours the emulator cannot produce (AccessDenied on one action,
throttling, a connection dropped between two writes, a disabled key) are shaped
here with botocore's own `before-call` event, so everything else about the call
stays real. Tests, benchmarks and the demo use it; the app's code paths never
know a fault was injected.
"""

from __future__ import annotations

import json
from typing import Any, Callable


class _Response:
    """Just enough of an HTTP response for botocore to raise the shaped error."""

    def __init__(self, status: int):
        self.status_code = status
        self.headers: dict = {}
        self.content = b""
        self.text = ""


def error_response(code: str, message: str, status: int = 400) -> tuple[_Response, dict]:
    return _Response(status), {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }


def api_params(request_dict: dict) -> dict:
    """The operation's parameters, read back from a JSON-protocol request body (SSM, KMS, Lambda)."""
    body = request_dict.get("body") or b"{}"
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    try:
        value = json.loads(body) if body.strip().startswith("{") else {}
    except ValueError:
        value = {}
    return value if isinstance(value, dict) else {}


# handler(api_params) -> None to let the call through, a (response, parsed) pair to
# answer instead, or raise a botocore exception (a dropped connection).
Handler = Callable[[dict], Any]


def on_call(service: str, operation: str, handler: Handler) -> Callable[[str, Any], None]:
    """A Clients hook that runs `handler` before every `service`.`operation` call."""

    def before_call(params, **kwargs):
        return handler(api_params(params))

    def install(name: str, client: Any) -> None:
        if name == service:
            client.meta.events.register(f"before-call.{service}.{operation}", before_call)

    return install


def deny(service: str, operation: str, message: str, *, when: Callable[[dict], bool] = lambda p: True,
         code: str = "AccessDeniedException"):
    return on_call(service, operation,
                   lambda p: error_response(code, message) if when(p) else None)
