"""Normalise: ``yaml.Marshal(policy)`` as yaml.v3 writes it.

``normalize_policy`` gives the bytes Go would write for a policy: yaml.v3's
emitter rules for quoting and styles, its marshaller's field order and
``omitempty``.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from .model import Policy, format_go_duration
from .nodes import _STR
from .resolve import _resolve_tag
from .decode import _GoType, _T_POLICY


# ---------------------------------------------------------------------------
# Normalise: yaml.Marshal(policy) as yaml.v3 writes it


def _is_base60_float(s: str) -> bool:
    if not s or not (s[0] in "+-" or "0" <= s[0] <= "9") or ":" not in s:
        return False
    return re.fullmatch(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?", s) is not None


_OLD_BOOL = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off", "OFF"}
_BREAKS = "\r\n\x85\u2028\u2029"


def _emitter_printable(ch: str) -> bool:
    o = ord(ch)
    return o == 0x0A or 0x20 <= o <= 0x7E or 0xA0 <= o <= 0xD7FF or (0xE000 <= o <= 0xFFFD and o != 0xFEFF)


class _Emitter:
    """The parts of libyaml's emitter (yaml.v3 flavour, indent 4, no wrapping) a policy needs."""

    BEST_INDENT = 4

    def __init__(self) -> None:
        self.out: list[str] = []
        self.column = 0
        self.whitespace = True
        self.indention = True

    # primitives
    def put(self, s: str) -> None:
        self.out.append(s)
        self.column += len(s)

    def put_break(self) -> None:
        self.out.append("\n")
        self.column = 0
        self.indention = True

    def write_indent(self, indent: int) -> None:
        indent = max(indent, 0)
        if not self.indention or self.column > indent or (self.column == indent and not self.whitespace):
            self.put_break()
        if self.column < indent:
            self.put(" " * (indent - self.column))
        self.whitespace = True

    def write_indicator(self, indicator: str, need_whitespace: bool, is_whitespace: bool, is_indention: bool) -> None:
        if need_whitespace and not self.whitespace:
            self.put(" ")
        self.put(indicator)
        self.whitespace = is_whitespace
        self.indention = self.indention and is_indention

    # scalars
    def scalar(self, value: str, *, tag: str, style: str, indent: int, simple_key: bool) -> None:
        """style: "plain" | "double" | "literal" (as encoder.stringv asks)."""
        a = _analyze(value)
        if simple_key and a["multiline"]:
            style = "double"
        if style == "plain":
            if not a["block_plain"]:
                style = "single"
            if not value and simple_key:
                style = "single"
        if style == "single" and not a["single"]:
            style = "double"
        if style == "literal" and (not a["block"] or simple_key):
            style = "double"
        if tag:
            self.write_indicator(tag, True, False, False)
        if style == "plain":
            if value and not self.whitespace:
                self.put(" ")
            self.put(value)
            if value:
                self.whitespace = False
            self.indention = False
        elif style == "single":
            self.write_indicator("'", True, False, False)
            self.put(value.replace("'", "''"))
            self.write_indicator("'", False, False, False)
            self.whitespace = False
            self.indention = False
        elif style == "double":
            self.write_indicator('"', True, False, False)
            self.put(_double_quoted_body(value))
            self.write_indicator('"', False, False, False)
            self.whitespace = False
            self.indention = False
        else:
            self.literal(value, indent)

    def literal(self, value: str, indent: int) -> None:
        self.write_indicator("|", True, False, False)
        if value and (value[0] == " " or value[0] in _BREAKS):
            self.write_indicator(str(self.BEST_INDENT), False, False, False)
        chomp = ""
        if not value or value[-1] not in _BREAKS:
            chomp = "-"
        elif len(value) == 1 or value[-2] in _BREAKS:
            chomp = "+"
        if chomp:
            self.write_indicator(chomp, False, False, False)
        self.whitespace = True
        breaks = True
        for ch in value:
            if ch in _BREAKS:
                if ch == "\n":
                    self.put_break()
                else:
                    self.out.append(ch)
                    self.column = 0
                    self.indention = True
                breaks = True
            else:
                if breaks:
                    self.write_indent(indent)
                self.put(ch)
                self.indention = False
                breaks = False


def _analyze(value: str) -> dict[str, bool]:
    """yaml_emitter_analyze_scalar."""
    if not value:
        return {"multiline": False, "block_plain": True, "single": True, "block": False}
    block_ind = flow_ind = line_breaks = special = tabs = False
    leading_space = leading_break = trailing_space = trailing_break = False
    break_space = space_break = False
    previous_space = previous_break = False
    if value.startswith(("---", "...")):
        block_ind = flow_ind = True
    preceded_by_ws = True
    n = len(value)
    for i, ch in enumerate(value):
        followed_by_ws = i + 1 >= n or value[i + 1] in " \t"
        if i == 0:
            if ch in "#,[]{}&*!|>'\"%@`":
                flow_ind = block_ind = True
            elif ch in "?:":
                flow_ind = True
                if followed_by_ws:
                    block_ind = True
            elif ch == "-" and followed_by_ws:
                flow_ind = block_ind = True
        else:
            if ch in ",?[]{}":
                flow_ind = True
            elif ch == ":":
                flow_ind = True
                if followed_by_ws:
                    block_ind = True
            elif ch == "#" and preceded_by_ws:
                flow_ind = block_ind = True
        if ch == "\t":
            tabs = True
        elif not _emitter_printable(ch):
            special = True
        if ch == " ":
            if i == 0:
                leading_space = True
            if i == n - 1:
                trailing_space = True
            if previous_break:
                break_space = True
            previous_space, previous_break = True, False
        elif ch in _BREAKS:
            line_breaks = True
            if i == 0:
                leading_break = True
            if i == n - 1:
                trailing_break = True
            if previous_space:
                space_break = True
            previous_space, previous_break = False, True
        else:
            previous_space = previous_break = False
        preceded_by_ws = ch in " \t\r\n\x85\u2028\u2029\x00"
    block_plain = single = block = True
    if leading_space or leading_break or trailing_space or trailing_break:
        block_plain = False
    if trailing_space:
        block = False
    if break_space:
        block_plain = single = False
    if space_break or tabs or special:
        block_plain = single = False
    if space_break or special:
        block = False
    if line_breaks:
        block_plain = False
    if block_ind:
        block_plain = False
    del flow_ind
    return {"multiline": line_breaks, "block_plain": block_plain, "single": single, "block": block}


_DQ_ESCAPES = {
    0x00: "0", 0x07: "a", 0x08: "b", 0x09: "t", 0x0A: "n", 0x0B: "v", 0x0C: "f", 0x0D: "r",
    0x1B: "e", 0x22: '"', 0x5C: "\\", 0x85: "N", 0xA0: "_", 0x2028: "L", 0x2029: "P",
}


def _double_quoted_body(value: str) -> str:
    starts_with_bom = value.startswith("\ufeff")
    out = []
    for ch in value:
        o = ord(ch)
        if not _emitter_printable(ch) or starts_with_bom or ch in _BREAKS or ch in '"\\':
            esc = _DQ_ESCAPES.get(o)
            if esc is not None:
                out.append("\\" + esc)
            elif o <= 0xFF:
                out.append(f"\\x{o:02X}")
            elif o <= 0xFFFF:
                out.append(f"\\u{o:04X}")
            else:
                out.append(f"\\U{o:08X}")
        else:
            out.append(ch)
    return "".join(out)


def _has_invalid_utf8(s: str) -> bool:
    return any(0xDC80 <= ord(ch) <= 0xDCFF or 0xD800 <= ord(ch) <= 0xDFFF for ch in s)


def _encode_base64_lines(raw: bytes) -> str:
    enc = base64.b64encode(raw).decode("ascii")
    if len(enc) < 70:
        return enc
    return "".join(enc[i : i + 70] + "\n" for i in range(0, len(enc), 70))


class _Marshal:
    """encoder.marshal for Sentinel's structs, driving _Emitter."""

    def __init__(self) -> None:
        self.e = _Emitter()

    @staticmethod
    def child_indent(parent: int, in_sequence_item: bool) -> int:
        if parent < 0:
            return 0
        if in_sequence_item:
            return parent + 2
        b = _Emitter.BEST_INDENT
        return b * ((parent + b) // b)

    def string(self, s: str, indent: int, in_sequence_item: bool) -> None:
        tag = ""
        if _has_invalid_utf8(s):
            tag = "!!binary"
            s = _encode_base64_lines(s.encode("utf-8", "surrogateescape"))
            can_plain = True
        else:
            can_plain = _resolve_tag(s) == _STR and not (_is_base60_float(s) or s in _OLD_BOOL)
        if "\n" in s:
            style = "literal"
        elif can_plain:
            style = "plain"
        else:
            style = "double"
        self.e.scalar(s, tag=tag, style=style, indent=self.child_indent(indent, in_sequence_item), simple_key=False)

    def key(self, name: str, indent: int) -> None:
        self.e.write_indent(indent)
        self.e.scalar(name, tag="", style="plain", indent=indent, simple_key=True)
        self.e.write_indicator(":", False, False, False)

    def struct(self, t: _GoType, obj: Any, indent_parent: int, in_sequence_item: bool) -> None:
        items = []
        for key, (attr, ftype) in t.fields.items():
            value = getattr(obj, attr)
            if _omitempty(t, attr) and _is_zero(ftype, value):
                continue
            items.append((key, ftype, value))
        if not items:
            self.e.write_indicator("{", True, True, False)
            self.e.write_indicator("}", False, False, False)
            return
        indent = self.child_indent(indent_parent, in_sequence_item)
        for key, ftype, value in items:
            self.key(key, indent)
            self.value(ftype, value, indent)

    def value(self, t: _GoType, value: Any, indent: int) -> None:
        kind = t.kind
        if kind == "ptr":
            if value is None:
                self.e.scalar("null", tag="", style="plain", indent=indent, simple_key=False)
                return
            assert t.elem is not None
            t, kind = t.elem, t.elem.kind
        if kind == "string":
            self.string(value, indent, False)
        elif kind == "bool":
            self.e.scalar("true" if value else "false", tag="", style="plain", indent=indent, simple_key=False)
        elif kind == "duration":
            self.string(format_go_duration(value), indent, False)
        elif kind == "struct":
            self.struct(t, value, indent, False)
        elif kind == "slice":
            self.sequence(t, value, indent)

    def sequence(self, t: _GoType, items: tuple[Any, ...], indent_parent: int) -> None:
        if not items:
            self.e.write_indicator("[", True, True, False)
            self.e.write_indicator("]", False, False, False)
            return
        indent = self.child_indent(indent_parent, False)
        assert t.elem is not None
        for item in items:
            self.e.write_indent(indent)
            self.e.write_indicator("-", True, False, True)
            if t.elem.kind == "struct":
                self.struct(t.elem, item, indent, True)
            else:
                self.string(item, indent, True)


_OMITEMPTY = {
    "policy.Rule": {"reason", "max_server_duration", "session_table"},
    "policy.Condition": {"profiles", "users", "time", "mode", "device"},
    "policy.TimeWindow": {"days", "hours", "timezone"},
    "policy.DeviceCondition": {
        "require_encryption", "require_mdm", "require_mdm_compliant", "require_firewall",
        "min_os_version", "allowed_os_types",
    },
}


def _omitempty(t: _GoType, attr: str) -> bool:
    return attr in _OMITEMPTY.get(t.name, ())


def _is_zero(t: _GoType, value: Any) -> bool:
    if t.kind == "ptr":
        return value is None
    if t.kind == "slice":
        return len(value) == 0
    if t.kind in ("string", "bool", "duration"):
        return not value
    return False


def normalize_policy(policy: Policy) -> str:
    """``yaml.Marshal(policy)`` as Go's ``sentinel policy diff``/``pull`` print it.

    Comments, key order, quoting and spacing are gone; what is left is what the
    TVM sees. Two policies with the same meaning normalise to the same text.
    """
    m = _Marshal()
    m.struct(_T_POLICY, policy, -1, False)
    m.e.write_indent(0)  # document end
    return "".join(m.e.out)
