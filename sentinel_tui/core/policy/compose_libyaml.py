"""Composer stage (fast path): the same node tree from libyaml's own events.

Used when PyYAML with libyaml (C, what yaml.v3 was ported from) is installed.
It only ever answers for a document that reads cleanly: on any error, or on a
construct where libyaml and yaml.v3 are known to differ, it raises ``_Doubt``
and the caller falls back to the ruamel path.
"""

from __future__ import annotations

import re
from typing import Any

from .nodes import _ALIAS, _LONG_PREFIX, _MAP, _MAP_TAG, _MERGE, _Node, _SCALAR, _SEQ, _SEQ_TAG, _STR
from .resolve import _resolve_tag


# ---------------------------------------------------------------------------
# Fast path: the same node tree from libyaml's C parser (PyYAML's binding)
#
# yaml.v3 is a Go port of libyaml, so for an ordinary policy libyaml's events
# are yaml.v3's events, about thirty times faster than ruamel's pure-Python
# scanner. But the two have drifted apart in corners, and an error message
# should always come from the verified path above. So the fast path only
# returns a policy that reads cleanly (no syntax error, no type error, a
# version); on any error, exception or doubt, _load reruns the ruamel path from
# scratch. Doubts (where libyaml and yaml.v3 are known to, or might, differ):
#
# - ``\/`` anywhere: libyaml reads it as "/" in a double-quoted scalar, yaml.v3
#   calls it an unknown escape;
# - U+FEFF, NEL, LS, PS anywhere (BOMs inside the text, the other line breaks);
# - a ``?`` in a plain scalar inside ``[]``/``{}``: it ends the scalar in yaml.v3
#   and not in libyaml (``[a?b]``);
# - a single-pair mapping written without braces in a flow sequence (``[a: b]``,
#   ``[? a]``): newer libyaml accepts ``[ ? ]``, yaml.v3 does not;
# - a tag other than ``!`` or a standard ``!!`` tag, or one not followed by a
#   space or line break (libyaml and yaml.v3 end tag URIs differently);
# - ``%YAML``/``%TAG`` directives, and a second document in the stream (yaml.v3
#   scans a little past the first document; libyaml's marks for later
#   documents are not needed);
# - an empty key (``? : x``): ruamel and libyaml put it on different lines, and
#   the unknown-key lint names that line;
# - nesting deeper than _FAST_MAX_DEPTH.
#
# The tree is the slow path's node for node, with one difference nothing reads:
# the line of an empty value (``key:``), where libyaml puts yaml.v3's mark (at
# the ':' in a block mapping) and ruamel the next token's. A null is never a
# list item, a struct or (see above) a key, so no policy, lint or validation
# line can come from it; only error messages could, and those are the slow path's.

_FAST_REFUSE = re.compile("[\ufeff\x85\u2028\u2029]|\\\\/")
_FAST_TAG_NAMES = ("str", "int", "float", "bool", "null", "binary", "map", "seq", "merge", "timestamp")
_FAST_TAGS = {_LONG_PREFIX + name: "!!" + name for name in _FAST_TAG_NAMES} | {"!": "!"}
_FAST_TAG_TEXT = re.compile(
    r"(?:&[0-9A-Za-z_-]+[ \t]+)?(!!(?:" + "|".join(_FAST_TAG_NAMES) + r")|!)(?=[ \t\r\n]|\Z)"
)
_FAST_MAX_DEPTH = 200


class _Doubt(Exception):
    """The fast path is not sure it reads the document as yaml.v3 does."""


def _libyaml_parser() -> Any:
    """PyYAML's ``CParser`` (libyaml's C parser), or None without PyYAML or libyaml."""
    try:
        import yaml
    except Exception:
        return None
    if not getattr(yaml, "__with_libyaml__", False):
        return None
    try:
        from yaml._yaml import CParser
    except Exception:
        return None
    return CParser


def _fast_tag(tag: str, text: str, index: int) -> str:
    """A node's tag as _compose gives it, if it is written the way yaml.v3 reads it too."""
    short = _FAST_TAGS.get(tag)
    if short is None:
        raise _Doubt(f"tag {tag!r}")
    m = _FAST_TAG_TEXT.match(text, index)
    if m is None or m.group(1) != short:
        raise _Doubt(f"tag {tag!r} written differently")
    return short


def _compose_libyaml(text: str, parser_class: Any) -> _Node:
    """What _compose(text) returns, from libyaml's events; _Doubt when not sure.

    Raises _Doubt for a stream without a document (Go's verdict on it is an
    error, which the slow path gives), and lets libyaml's errors through.
    """
    from yaml.events import (
        AliasEvent,
        DocumentEndEvent,
        DocumentStartEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
        StreamEndEvent,
        StreamStartEvent,
    )

    if _FAST_REFUSE.search(text):
        raise _Doubt("character or escape where libyaml and yaml.v3 differ")
    get = parser_class(text).get_event
    if type(get()) is not StreamStartEvent:  # pragma: no cover - libyaml always starts so
        raise _Doubt("no stream start")
    event = get()
    if type(event) is not DocumentStartEvent:
        raise _Doubt("no document")
    if event.version is not None or event.tags is not None:
        raise _Doubt("directives")
    anchors: dict[str, _Node] = {}
    stack: list[_Node] = []
    flow: list[bool] = []  # per open collection: written in flow style
    root: _Node | None = None
    resolve = _resolve_tag
    while True:
        event = get()
        cls = type(event)
        if cls is ScalarEvent:
            value = event.value
            tag = event.tag
            style = event.style
            if not style and flow and flow[-1] and "?" in value:
                raise _Doubt("'?' in a plain scalar in flow context")
            if tag is not None:
                ntag = _fast_tag(tag, text, event.start_mark.index)
                if ntag == "!":
                    tag = None
            if tag is None:
                if style:
                    ntag = _STR
                elif value == "<<":
                    ntag = _MERGE
                else:
                    ntag = resolve(value)
                    if not value and stack and stack[-1].kind == _MAP and not len(stack[-1].content) % 2:
                        # an empty key ("? : x"): its line is ours to lint, and
                        # ruamel and libyaml place it differently
                        raise _Doubt("empty key")
            node = _Node(_SCALAR, ntag, value, event.start_mark.line + 1)
            node.quoted = bool(style)
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            stack.pop()
            flow.pop()
            continue
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            mark = event.start_mark
            if cls is MappingStartEvent:
                kind, ntag = _MAP, _MAP_TAG
                if event.flow_style and flow and flow[-1] and stack[-1].kind == _SEQ and text[mark.index : mark.index + 1] != "{":
                    raise _Doubt("single-pair mapping in a flow sequence")
            else:
                kind, ntag = _SEQ, _SEQ_TAG
            tag = event.tag
            if tag is not None:
                short = _fast_tag(tag, text, mark.index)
                if short != "!":
                    ntag = short
            if len(stack) >= _FAST_MAX_DEPTH:
                raise _Doubt("deep nesting")
            node = _Node(kind, ntag, "", mark.line + 1)
        elif cls is AliasEvent:
            target = anchors.get(event.anchor)
            if target is None:
                raise _Doubt("unknown anchor")  # an error: the slow path words it
            node = _Node(_ALIAS, "", event.anchor, event.start_mark.line + 1)
            node.alias = target
            if stack:
                stack[-1].content.append(node)
            else:
                root = node
            continue
        elif cls is DocumentEndEvent:
            break
        else:  # pragma: no cover - nothing else comes inside a document
            raise _Doubt(f"unexpected {cls.__name__}")
        anchor = event.anchor
        if anchor is not None:
            node.anchor = anchor
            anchors[anchor] = node
        if stack:
            stack[-1].content.append(node)
        else:
            root = node
        if node.kind != _SCALAR:
            stack.append(node)
            flow.append(bool(event.flow_style))
    if type(get()) is not StreamEndEvent:
        raise _Doubt("more than one document")
    if root is None:  # pragma: no cover - a document always has a node
        raise _Doubt("empty document")
    return root
