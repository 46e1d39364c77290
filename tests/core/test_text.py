"""The one sanitizer for what is shown on screen: nothing hidden reads differently from what it is."""

import subprocess
import sys

import pytest

from sentinel_tui.core import diff as core_diff
from sentinel_tui.core.text import escape_char, hidden, inert, scrub
from sentinel_tui.errors import ErrorKind, SentinelError
from sentinel_tui.ui.format import clean

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
        "\u200e", "\u200f"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\ufeff"]


@pytest.mark.parametrize("ch", BIDI + ZERO_WIDTH)
def test_bidi_and_zero_width_characters_are_shown_escaped_everywhere(ch):
    name = f"/sentinel/policies/prod{ch}admin"
    shown = f"/sentinel/policies/prod\\u{ord(ch):04x}admin"
    assert inert(name) == shown
    assert clean(name) == shown  # the UI's tables, detail pane, headers
    assert SentinelError(f"{name} was not found.").what == f"{shown} was not found."  # every error
    # the diff view: the same escape, on a changed line and on a context line
    segments = core_diff.visible(name, "\n")
    assert "".join(text for text, _ in segments) == shown or ch == "\ufeff"
    assert ch not in core_diff.unified_text(core_diff.diff_texts(name + "\n", "x\n"), "a", "b")


def test_a_right_to_left_override_cannot_reverse_a_value():
    # "admin" followed by RLO + "txt.exe" would render as "adminexe.txt" in a bidi terminal
    assert inert("admin\u202etxt.exe") == "admin\\u202etxt.exe"


def test_controls_are_escaped_and_newlines_kept():
    assert inert("a\x1b[2Jb\r\x07\x9b") == "a\\x1b[2Jb\\x0d\\x07\\x9b"
    assert inert("one\ntwo\tthree") == "one\ntwo\\x09three"
    assert inert("one\ntwo", keep="") == "one\\x0atwo"


def test_odd_spaces_and_separators_are_shown_but_text_is_not_touched():
    assert inert("a\u00a0b\u2028c\u00add") == "a\\xa0b\\u2028c\\xadd"
    kept = "Ünïcödé → ✓ 日本語 \\x1b quotes \"' and [markup] emoji 🙂"
    assert inert(kept) == kept
    assert inert("") == ""


def test_hidden_rule_and_escape_forms():
    assert not hidden(" ") and not hidden("a") and not hidden("é")
    assert hidden("\x00") and hidden("\u202e") and hidden("\u200b") and hidden("\u3000")
    assert escape_char("\x1b") == "\\x1b"
    assert escape_char("\u202e") == "\\u202e"
    assert escape_char("\U000e0001") == "\\U000e0001"
    assert inert("tag\U000e0041") == "tag\\U000e0041"  # tag characters are Cf too


def test_scrub_lives_with_the_sanitizer():
    assert scrub("key AKIAIOSFODNN7EXAMPLE") == "key [REDACTED]"


def test_error_kinds_are_an_enum_that_still_compares_to_strings():
    err = SentinelError("Sign needs a file.", kind="usage")
    assert err.kind is ErrorKind.USAGE and err.kind == "usage"
    assert SentinelError("x", kind="something-new").kind == "something-new"


def test_the_base_error_does_not_import_botocore():
    code = ("import sys, sentinel_tui.errors, sentinel_tui.core.text, sentinel_tui.fileio; "
            "bad=[m for m in sys.modules if m.split('.')[0] in ('botocore','boto3','textual','rich')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
