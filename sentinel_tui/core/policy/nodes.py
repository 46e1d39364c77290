"""The node tree, as yaml.v3's parser builds it: node kinds, short tags, ``_Node``.

Every composer builds these nodes and every later stage (decode, lint) reads them.
"""

from __future__ import annotations



# ---------------------------------------------------------------------------
# The node tree, as yaml.v3's parser builds it

_SEQ, _MAP, _SCALAR, _ALIAS = 2, 4, 8, 16

_STR, _NULL, _BOOL, _INT, _FLOAT = "!!str", "!!null", "!!bool", "!!int", "!!float"
_TIMESTAMP, _SEQ_TAG, _MAP_TAG, _BINARY, _MERGE = "!!timestamp", "!!seq", "!!map", "!!binary", "!!merge"
_LONG_PREFIX = "tag:yaml.org,2002:"


def _short_tag(tag: str) -> str:
    if tag.startswith(_LONG_PREFIX):
        return "!!" + tag[len(_LONG_PREFIX) :]
    return tag


class _Node:
    __slots__ = ("kind", "tag", "value", "quoted", "line", "content", "alias", "anchor")

    def __init__(self, kind: int, tag: str, value: str, line: int) -> None:
        self.kind = kind
        self.tag = tag
        self.value = value
        self.quoted = False  # single/double-quoted, literal or folded
        self.line = line
        self.content: list[_Node] = []
        self.alias: _Node | None = None
        self.anchor = ""

    def indicated_string(self) -> bool:
        # Node.indicatedString: after parsing, Tag is never "" or "!".
        return self.kind == _SCALAR and self.tag == _STR

    def short_tag(self) -> str:
        if self.kind == _ALIAS:
            return self.alias.short_tag() if self.alias is not None else ""
        if self.indicated_string():
            return _STR
        return self.tag

    def is_null(self) -> bool:
        return self.short_tag() == _NULL


_MAX_DEPTH = 10000
