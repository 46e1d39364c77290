"""Loading: ``parse_policy`` and ``check_policy``, the fast and slow paths.

The libyaml path (``_load_fast``) is tried first and answers only for a policy
that reads cleanly; anything else goes through ruamel (``_load_slow``). The
errors are wrapped the way upstream's ``ParsePolicy`` wraps them.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from .model import Finding, Policy, PolicyCheck, PolicyError, _Fatal
from .reader import _GO_SPACE, _decode_input, _go_reader
from .nodes import _Node
from .scanner import _translate_ruamel_error
from .compose import _compose
from .compose_libyaml import _compose_libyaml, _libyaml_parser
from .decode import _Decoder, _Struct, _T_POLICY, _build, _fill_lines
from .validate import _validation_error
from .lint import _side_lints, _upstream_lints


# ---------------------------------------------------------------------------
# Parse stage


def _go_trim_space_empty(data: bytes) -> bool:
    return not data.decode("utf-8", "surrogateescape").strip(_GO_SPACE)


class _Loaded:
    __slots__ = ("root", "policy", "error", "line")

    def __init__(self) -> None:
        self.root: _Node | None = None
        self.policy: Policy | None = None
        self.error: str | None = None
        self.line: int | None = None


_LINE_RE = re.compile(r"line (\d+)")


def _first_line(detail: str) -> int | None:
    m = _LINE_RE.search(detail)
    return int(m.group(1)) if m else None


def _as_bytes(data: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8", "surrogatepass")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"policy data must be bytes or str, not {type(data).__name__}")


@functools.lru_cache(maxsize=64)
def _load(data: bytes) -> _Loaded:
    fast = _load_fast(data)
    if fast is not None:
        return fast
    return _load_slow(data)


def _load_fast(data: bytes) -> _Loaded | None:
    """A policy that libyaml reads cleanly, or None: then only the slow path decides.

    Same pre-checks, same node tree, same decoder as the slow path; any error,
    exception or doubt gives None, so every error message comes from there.
    """
    parser_class = _libyaml_parser()
    if parser_class is None:
        return None
    try:
        if _go_trim_space_empty(data):
            return None
        text = _decode_input(data)
        root = _compose_libyaml(text, parser_class)
        decoder = _Decoder()
        _ok, value = decoder.unmarshal(root, _T_POLICY)
        if decoder.terrors or not isinstance(value, _Struct):
            return None
        policy = _build(_T_POLICY, value)
        if policy.version == "":
            return None
        loaded = _Loaded()
        loaded.root = root
        loaded.policy = _fill_lines(policy)
        return loaded
    except Exception:
        return None


def _load_slow(data: bytes) -> _Loaded:
    """ruamel's scanner and parser: the verified path, and the only one that reports errors."""
    loaded = _Loaded()
    try:
        _load_into(data, loaded)
    except _Fatal as exc:
        loaded.error = "yaml: " + exc.message
    except RecursionError:
        loaded.error = "yaml: yaml: document nesting is too deep to decode"
    except MemoryError:
        loaded.error = "yaml: yaml: document is too large to decode"
    if loaded.error is not None:
        loaded.policy = None
        loaded.line = _first_line(loaded.error)
    return loaded


def _load_into(data: bytes, loaded: _Loaded) -> None:
    if _go_trim_space_empty(data):
        loaded.error = "empty policy"
        return
    text, limit, problem = _go_reader(data)
    if problem is not None and not limit:
        raise _Fatal("yaml: " + problem)
    from ruamel.yaml.error import YAMLError

    try:
        root = _compose(text, data, limit, problem)
    except YAMLError as exc:
        raise _translate_ruamel_error(exc) from None
    loaded.root = root
    decoder = _Decoder()
    value: Any = None
    if root is not None:
        ok, value = decoder.unmarshal(root, _T_POLICY)
        if not isinstance(value, _Struct):
            value = None
    if decoder.terrors:
        errors = list(decoder.terrors)
        if decoder.nterrors > len(errors):
            errors.append(f"... and {decoder.nterrors - len(errors)} more")
        loaded.error = "yaml: yaml: unmarshal errors:\n  " + "\n  ".join(errors)
        return
    policy = _build(_T_POLICY, value)
    if root is None or value is None:
        policy = Policy(policy.version, policy.rules, line=1, field_lines=policy.field_lines)
    if policy.version == "":
        loaded.error = "missing version field"
        return
    loaded.policy = _fill_lines(policy)


def parse_policy(data: bytes | str) -> Policy:
    """What ``policy.ParsePolicy`` (and so the TVM) does; raises PolicyError(stage="parse").

    ``str`` input is taken as its UTF-8 encoding. A UTF-8 BOM is skipped and a
    UTF-16 BOM switches to UTF-16, as libyaml's reader does.
    """
    loaded = _safe_load(data)
    if loaded.error is not None:
        raise PolicyError("parse", loaded.error, loaded.line)
    assert loaded.policy is not None
    return loaded.policy


def _safe_load(data: bytes | str) -> _Loaded:
    raw = _as_bytes(data)
    try:
        return _load(raw)
    except Exception as exc:  # pragma: no cover - a bug here must not crash a caller
        loaded = _Loaded()
        loaded.error = f"yaml: yaml: internal error reading policy: {type(exc).__name__}: {exc}"
        return loaded


def lint_policy(data: bytes | str, policy: Policy) -> list[Finding]:
    """Warnings for a policy that parses: Go's three lints (``sentinel policy validate``
    prints them as ``lint: <code>: <message>``), then ours: unknown keys with a
    "did you mean", unknown modes, device blocks Go would call invalid, size."""
    raw = _as_bytes(data)
    loaded = _safe_load(raw)
    return _upstream_lints(policy) + _side_lints(raw, loaded, policy)


def check_policy(data: bytes | str) -> PolicyCheck:
    """Parse, validate, lint. Never raises for bad input.

    Go runs its lints only on a valid policy; so does this. Our own warnings
    (unknown keys...) are given whenever the YAML itself could be read.
    """
    raw = _as_bytes(data)
    loaded = _safe_load(raw)
    if loaded.error is not None:
        return PolicyCheck(None, PolicyError("parse", loaded.error, loaded.line), tuple(_side_lints(raw, loaded, None)))
    policy = loaded.policy
    assert policy is not None
    problem = _validation_error(policy)
    if problem is not None:
        return PolicyCheck(
            policy, PolicyError("validate", problem[0], problem[1]), tuple(_side_lints(raw, loaded, policy))
        )
    return PolicyCheck(policy, None, tuple(_upstream_lints(policy) + _side_lints(raw, loaded, policy)))
