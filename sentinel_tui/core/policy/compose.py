"""Composer stage (slow path): the node tree from ruamel's events, as yaml.v3's parser builds it.

Only the first document counts; ``%YAML`` other than 1.1 is refused; anchors
and aliases are resolved here. Syntax errors come from ruamel's scanner in
libyaml's wording (the one place the text may differ from Go's; the verdict
does not).
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from .model import _Fatal
from .reader import _go_bom_limit, _limited_reader_class, _reader_class
from .nodes import (
    _ALIAS, _MAP, _MAP_TAG, _MAX_DEPTH, _MERGE, _Node, _SCALAR, _SEQ, _SEQ_TAG, _STR, _short_tag,
)
from .scanner import _parser_class, _scanner_class, _syntax
from .resolve import _resolve_tag


def _events(
    text: str, raw: bytes | None = None, limit: int | None = None, problem: str | None = None
) -> tuple[Any, Iterator[Any]]:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.Reader = _reader_class() if limit is None else _limited_reader_class()
    yaml.Scanner = _scanner_class()
    yaml.Parser = _parser_class()
    # libyaml: a top-level block scalar's content is indented at least 1.
    yaml.top_level_block_style_scalar_no_indent_error_1_1 = True
    yaml.reader.go_bom_limit = _go_bom_limit(text, raw)
    if limit is not None:
        yaml.reader.go_limit = limit
        yaml.reader.go_problem = problem or ""
    return yaml, iter(yaml.parse(text))


def _compose(
    text: str, raw: bytes | None = None, limit: int | None = None, problem: str | None = None
) -> _Node | None:
    """The first document's root node, or None for a stream without documents."""
    from ruamel.yaml import events as ev

    anchors: dict[str, _Node] = {}
    stack: list[_Node] = []
    pending_key: list[bool] = []
    root: _Node | None = None
    started = False
    _yaml, it = _events(text, raw, limit, problem)
    for event in it:
        cls = type(event)
        if cls is ev.StreamStartEvent:
            continue
        if cls is ev.DocumentStartEvent:
            version = getattr(event, "version", None)
            if version is not None and tuple(version) != (1, 1):
                directive = re.search(r"^%YAML", text, re.MULTILINE)
                line0 = text.count("\n", 0, directive.start()) if directive else event.start_mark.line
                raise _syntax("found incompatible YAML document", line0, scanner=False)
            started = True
            continue
        if cls is ev.DocumentEndEvent or cls is ev.StreamEndEvent:
            break
        if not started:  # pragma: no cover - ruamel always starts a document first
            continue
        line = event.start_mark.line + 1
        if cls is ev.AliasEvent:
            node = _Node(_ALIAS, "", event.anchor, line)
            target = anchors.get(event.anchor)
            if target is None:
                raise _Fatal(f"yaml: unknown anchor '{event.anchor}' referenced")
            node.alias = target
        elif cls is ev.ScalarEvent:
            style = event.style
            tag = event.tag
            value = event.value
            quoted = bool(style)
            if tag is not None and not isinstance(tag, str):
                tag = str(tag)
            if tag and tag != "!":
                ntag = _short_tag(tag)
            elif quoted:
                ntag = _STR
            elif value == "<<":
                ntag = _MERGE
            else:
                ntag = _resolve_tag(value)
            node = _Node(_SCALAR, ntag, value, line)
            node.quoted = quoted
        elif cls is ev.SequenceStartEvent or cls is ev.MappingStartEvent:
            kind = _SEQ if cls is ev.SequenceStartEvent else _MAP
            tag = event.tag
            if tag is not None and not isinstance(tag, str):
                tag = str(tag)
            if tag and tag != "!":
                ntag = _short_tag(tag)
            else:
                ntag = _SEQ_TAG if kind == _SEQ else _MAP_TAG
            node = _Node(kind, ntag, "", line)
            if len(stack) >= _MAX_DEPTH:
                raise _syntax(f"exceeded max depth of {_MAX_DEPTH}", event.start_mark.line, scanner=True)
        elif cls is ev.SequenceEndEvent or cls is ev.MappingEndEvent:
            stack.pop()
            continue
        else:  # pragma: no cover - comments etc. are not produced by the safe parser
            continue
        anchor = getattr(event, "anchor", None)
        if anchor is not None and node.kind != _ALIAS:
            node.anchor = anchor
            anchors[anchor] = node
        if stack:
            stack[-1].content.append(node)
        else:
            root = node
        if node.kind in (_SEQ, _MAP):
            stack.append(node)
    return root
