"""Sentinel policy documents, read exactly as the Go tool reads them.

Sentinel (Go) reads a policy with ``gopkg.in/yaml.v3`` into typed structs
(``policy/types.go``), the TVM stops there (parse stage), and ``sentinel policy
validate|sign|push`` also run ``Policy.Validate`` (validate stage) and, for
``validate``, ``LintPolicy``. An operator tool that disagrees with that reader
about what a document means is dangerous: it could call "valid" a policy the TVM
refuses (every request denied) or show a meaning Go does not see.

So this package does not use a YAML library's own idea of types. ruamel.yaml is
used only for YAML *syntax* (its event stream: scalars with their style and tag,
anchors, aliases, marks); the node tree is built here the way yaml.v3's parser
builds it, and decoded here with yaml.v3's decoder rules:

- only the first document counts; ``%YAML`` other than 1.1 is refused;
- YAML 1.2 plain-scalar resolution as yaml.v3 implements it (``resolve.go``);
  a string field takes the scalar's text as written (``1.0``, ``01``, ``09:00``,
  ``yes`` stay text); a bool field also takes y/yes/on/n/no/off (any case form
  yaml.v3 lists), even quoted;
- duplicate keys, type errors (collected, in document order, message for message)
  and fatal errors (bad tags, invalid ``!!binary``, unknown anchors, recursive
  aliases, excessive aliasing, merge keys ``<<``);
- ``time.Duration`` takes only a string in Go's ``time.ParseDuration`` grammar;
  an int, a float or a bad string is a type error.

The messages are Go's, wrapped the way ``ParsePolicy`` wraps them, e.g.
``yaml: yaml: unmarshal errors:\\n  line 6: cannot unmarshal !!str `dev` into []string``.
Syntax errors come from ruamel's scanner and are translated to libyaml's wording
and line convention; they are the one place where the text can differ from Go's
(the verdict does not).

Speed: when PyYAML with libyaml is installed, a policy is first read from
libyaml's own events (C, what yaml.v3 was ported from) into the same node tree;
that path only ever answers for a policy that reads cleanly, and falls back to
the ruamel path on any error or on the few constructs where libyaml and yaml.v3
are known to differ (``_load_fast``).

Everything here is pure: no I/O except the time-zone database lookup that Go's
``time.LoadLocation`` also does.

The package is split by stage, the way PyYAML splits reader, scanner, composer
and constructor; each module says what it guarantees:

- ``model``: the dataclasses (``Policy``, ``Rule``, ...), constants, ``Finding``,
  ``PolicyError``, Go durations;
- ``reader``: bytes to text with libyaml's/yaml.v3's rules (BOMs, encodings,
  512-byte chunks, control characters);
- ``nodes``: the node tree yaml.v3's parser builds;
- ``scanner``: ruamel's scanner and parser bent to libyaml, syntax-error wording;
- ``compose`` (ruamel events, the slow path) and ``compose_libyaml`` (libyaml
  events, the fast path): the node tree;
- ``resolve``: plain-scalar resolution, numbers, timestamps;
- ``decode``: yaml.v3's decoder into the Go types;
- ``load``: ``parse_policy``, ``check_policy``, the fast and slow paths;
- ``validate``: ``Policy.Validate`` and Go's time-zone lookup;
- ``lint``: upstream's lints and ours (unknown keys, suggestions);
- ``emit``: ``normalize_policy``, ``yaml.Marshal`` as yaml.v3 writes it.

This module re-exports the public names (``__all__``) and the private ones the
tests reach for. A test that monkeypatches a stage patches the module that looks
it up (``load``), not this one.
"""

from __future__ import annotations

from ..golang import quote as go_quote
from .model import (
    Condition, DeviceCondition, Finding, HourRange, KNOWN_OS_TYPES, LINT_ALLOW_BEFORE_DENY,
    LINT_INVALID_DEVICE, LINT_OVERLAPPING_TIME_WINDOWS, LINT_TIMEZONE_PATH, LINT_TOO_LARGE, LINT_UNKNOWN_KEY,
    LINT_UNKNOWN_MODE, LINT_UNREACHABLE_RULE, MAX_POLICY_BYTES, Policy, PolicyCheck, PolicyError, Rule,
    TimeWindow, VALID_EFFECTS, VALID_MODES, VALID_WEEKDAYS, format_go_duration, parse_go_duration,
)
from .nodes import _ALIAS, _NULL, _Node, _SCALAR, _STR
from .compose import _compose
from .compose_libyaml import _libyaml_parser
from .resolve import _resolve_tag
from .validate import go_load_location, timezone_by_accident, validate_policy
from .lint import _side_lints
from .load import _as_bytes, _load, _load_fast, _load_slow, check_policy, lint_policy, parse_policy
from .emit import normalize_policy

__all__ = [
    "MAX_POLICY_BYTES",
    "VALID_EFFECTS",
    "VALID_MODES",
    "VALID_WEEKDAYS",
    "KNOWN_OS_TYPES",
    "LINT_ALLOW_BEFORE_DENY",
    "LINT_UNREACHABLE_RULE",
    "LINT_OVERLAPPING_TIME_WINDOWS",
    "LINT_UNKNOWN_KEY",
    "LINT_UNKNOWN_MODE",
    "LINT_INVALID_DEVICE",
    "LINT_TOO_LARGE",
    "LINT_TIMEZONE_PATH",
    "Finding",
    "PolicyError",
    "Policy",
    "Rule",
    "Condition",
    "TimeWindow",
    "HourRange",
    "DeviceCondition",
    "PolicyCheck",
    "parse_policy",
    "validate_policy",
    "lint_policy",
    "check_policy",
    "normalize_policy",
    "parse_go_duration",
    "format_go_duration",
    "go_quote",
    "go_load_location",
    "timezone_by_accident",
]

# Private names the tests use (import them from here or from their module).
_PRIVATE = (
    _ALIAS, _NULL, _Node, _SCALAR, _STR, _as_bytes, _compose, _libyaml_parser, _load, _load_fast, _load_slow,
    _resolve_tag, _side_lints,
)
