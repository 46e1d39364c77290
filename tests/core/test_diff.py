import difflib
import unicodedata
from contextlib import contextmanager

import pytest
from hypothesis import given, settings, strategies as st

from sentinel_tui.core import diff as diff_module
from sentinel_tui.core.diff import (
    BinaryInputError,
    Diff,
    DiffLine,
    Span,
    decode_text,
    diff_texts,
    hunk_starts,
    side_by_side,
    split_lines,
    unified_text,
    visible,
    visible_marked,
)


def lines_of(diff: Diff):
    return [line for hunk in diff.hunks for line in hunk.lines]


def terminal_safe(text: str) -> bool:
    return all(ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp", "Cs")
               for ch in text)


# --- decode_text ---------------------------------------------------------------------------

def test_decode_text_keeps_bom():
    assert decode_text(b"\xef\xbb\xbfversion: 1\n", "local") == "\ufeffversion: 1\n"


def test_decode_text_refuses_invalid_utf8_with_position():
    with pytest.raises(BinaryInputError, match=r"^policy.yaml is not UTF-8 text \(byte 0xe9 at offset 6\)$"):
        decode_text(b"name: \xe9t\xe9\n", "policy.yaml")


def test_decode_text_refuses_nul_bytes():
    with pytest.raises(BinaryInputError, match=r"SSM value contains NUL bytes \(first at offset 3\)"):
        decode_text(b"abc\0def", "SSM value")
    with pytest.raises(BinaryInputError, match="UTF-16"):
        decode_text("version: 1\n".encode("utf-16"), "f")


def test_decode_text_refuses_encoded_surrogates():
    with pytest.raises(BinaryInputError, match="byte 0xed at offset 1"):
        decode_text(b"a\xed\xa0\x80", "f")


# --- lines -----------------------------------------------------------------------------------

def test_split_lines_keeps_endings():
    assert split_lines("a\r\nb\rc\nd") == [("a", "\r\n"), ("b", "\r"), ("c", "\n"), ("d", "")]
    assert split_lines("") == []
    assert split_lines("\n") == [("", "\n")]
    # form feed, NEL and U+2028 do not end a line (they would for str.splitlines)
    assert split_lines("a\x0cb\x85c\u2028d\n") == [("a\x0cb\x85c\u2028d", "\n")]


# --- diff_texts --------------------------------------------------------------------------------

def test_identical():
    d = diff_texts("a\nb\n", "a\nb\n")
    assert d.identical and d.hunks == () and (d.added, d.removed) == (0, 0)
    assert unified_text(d, "a", "b") == ""
    assert side_by_side(d) == []


def numbered(n):
    return "".join(f"line {i}\n" for i in range(1, n + 1))


def test_hunks_and_context():
    old = numbered(20)
    new = old.replace("line 5\n", "line five\n").replace("line 15\n", "line fifteen\n")
    d = diff_texts(old, new)
    assert (d.added, d.removed) == (2, 2)
    assert [h.header() for h in d.hunks] == ["@@ -2,7 +2,7 @@", "@@ -12,7 +12,7 @@"]
    first = d.hunks[0].lines
    assert [(line.kind, line.old_no, line.new_no) for line in first] == [
        ("equal", 2, 2), ("equal", 3, 3), ("equal", 4, 4), ("delete", 5, None), ("insert", None, 5),
        ("equal", 6, 6), ("equal", 7, 7), ("equal", 8, 8)]
    # with more context the two hunks merge
    merged = diff_texts(old, new, context=5)
    assert [h.header() for h in merged.hunks] == ["@@ -1,20 +1,20 @@"]
    assert [h.header() for h in diff_texts(old, new, context=0).hunks] == ["@@ -5 +5 @@", "@@ -15 +15 @@"]


def test_hunk_headers_for_pure_insert_and_delete():
    assert [h.header() for h in diff_texts("", "a\nb\n").hunks] == ["@@ -0,0 +1,2 @@"]
    assert [h.header() for h in diff_texts("a\nb\n", "").hunks] == ["@@ -1,2 +0,0 @@"]
    d = diff_texts("a\nb\nc\n", "a\nc\n", context=0)
    assert [h.header() for h in d.hunks] == ["@@ -2 +1,0 @@"]


def test_char_spans_on_paired_lines():
    d = diff_texts("    effect: allow\n", "    effect: deny\n")
    old, new = lines_of(d)
    assert old.spans == (Span(12, 17),) and old.text[12:17] == "allow"
    assert new.spans == (Span(12, 16),) and new.text[12:16] == "deny"


def test_unpaired_lines_have_no_spans():
    d = diff_texts("a\n", "a\nb\nc\n")
    assert [(line.kind, line.spans) for line in lines_of(d)] == [
        ("equal", ()), ("insert", ()), ("insert", ())]


def test_crlf_only_change_is_a_change_and_readable():
    d = diff_texts("rules:\r\n  - name: dev\r\n", "rules:\r\n  - name: dev\n")
    assert (d.added, d.removed) == (1, 1)
    old, new = [line for line in lines_of(d) if line.kind != "equal"]
    assert old.text == new.text == "  - name: dev"
    assert old.spans == (Span(13, 15),) and new.spans == (Span(13, 14),)
    text = unified_text(d, "ssm", "local")
    assert "-  - name: dev␍\n" in text and "+  - name: dev\n" in text
    assert "\r" not in text
    assert visible_marked(old)[-1] == ("␍", "cr", True)


def test_missing_final_newline():
    d = diff_texts("a\nb\n", "a\nb")
    old, new = [line for line in lines_of(d) if line.kind != "equal"]
    assert (old.eol, new.eol) == ("\n", "")
    assert new.spans == (Span(1, 1),)
    assert visible("b", "") == [("b", "text"), ("⏎̸ no newline at end", "no-eol")]
    assert visible_marked(new) == [("b", "text", False), ("⏎̸ no newline at end", "no-eol", True)]
    text = unified_text(d, "a", "b")
    assert text.endswith("-b\n+b⏎̸ no newline at end\n")


def test_context_line_without_final_newline_uses_classic_marker():
    d = diff_texts("x\nlast", "y\nlast")
    assert unified_text(d, "a", "b") == (
        "--- a\n+++ b\n@@ -1,2 +1,2 @@\n-x\n+y\n last\n\\ No newline at end of file\n")


def test_bom_only_change():
    d = diff_texts("\ufeffversion: 1\n", "version: 1\n")
    old, new = lines_of(d)
    assert old.spans == (Span(0, 1),) and new.spans == ()
    assert visible(old.text, old.eol) == [("⟨BOM⟩", "bom"), ("version: 1", "text")]
    assert "-⟨BOM⟩version: 1\n+version: 1\n" in unified_text(d, "a", "b")


def test_tabs_and_trailing_spaces_are_changes_and_visible():
    d = diff_texts("key: v\n\tx: 1\n", "key: v  \n  x: 1\n")
    assert (d.added, d.removed) == (2, 2)
    assert visible("key: v  ", "\n") == [("key: v", "text"), ("··", "space-trailing")]
    assert visible("\tx: 1", "\n") == [("→", "tab"), ("x: 1", "text")]
    assert visible("a \t ", "\n") == [("a", "text"), ("·", "space-trailing"), ("→", "tab"),
                                       ("·", "space-trailing")]
    text = unified_text(d, "a", "b")
    assert "+key: v··\n" in text and "-→x: 1\n" in text


def test_control_characters_are_escaped_everywhere():
    hostile = "a\x1b[2Jb\x07c\u202ed\x85e\u2028f\u200bg\u00a0h"
    assert visible(hostile, "\n") == [
        ("a", "text"), ("\\x1b", "control"), ("[2Jb", "text"), ("\\x07", "control"), ("c", "text"),
        ("\\u202e", "control"), ("d", "text"), ("\\x85", "control"), ("e", "text"),
        ("\\u2028", "control"), ("f", "text"), ("\\u200b", "control"), ("g", "text"),
        ("\\xa0", "control"), ("h", "text")]
    # changed and context lines alike, and the labels
    d = diff_texts(hostile + "\nold\n", hostile + "\nnew\x1b]0;x\x07\n")
    text = unified_text(d, "ssm\x1b[31m", "local")
    assert terminal_safe(text)
    assert " a\\x1b[2Jb\\x07c\\u202ed\\x85e\\u2028f\\u200bg\\xa0h\n" in text
    assert "+new\\x1b]0;x\\x07\n" in text
    assert "--- ssm\\x1b[31m\n" in text


def test_context_lines_keep_tabs_and_spaces():
    d = diff_texts("\tkeep  \nold\n", "\tkeep  \nnew\n")
    assert " \tkeep  \n" in unified_text(d, "a", "b")


def test_visible_cr_only_ending():
    assert visible("a", "\r") == [("a", "text"), ("␍ no LF", "cr")]
    assert visible("a", "\r\n") == [("a", "text"), ("␍", "cr")]
    assert visible("a", "\n") == [("a", "text")]


def test_side_by_side_pairs_deletes_with_inserts():
    d = diff_texts("keep\nold1\nold2\nkeep2\n", "keep\nnew1\nnew2\nnew3\nkeep2\n")
    rows = side_by_side(d)
    shown = [(o.text if o else None, n.text if n else None) for o, n in rows]
    assert shown == [("keep", "keep"), ("old1", "new1"), ("old2", "new2"), (None, "new3"),
                     ("keep2", "keep2")]
    assert rows[0][0] is rows[0][1] and rows[0][0].kind == "equal"
    # the pairs are the lines that carry spans against each other
    assert rows[1][0].spans and rows[1][1].spans and rows[3][1].spans == ()


def test_side_by_side_more_deletes_than_inserts():
    d = diff_texts("a\nb\nc\n", "x\n")
    assert [(o.text if o else None, n.text if n else None) for o, n in side_by_side(d)] == [
        ("a", "x"), ("b", None), ("c", None)]


def test_hunk_starts():
    old = numbered(30)
    new = old.replace("line 3\n", "x\ny\n").replace("line 25\n", "")
    d = diff_texts(old, new, context=1)
    assert len(d.hunks) == 2
    assert hunk_starts(d) == [0, len(d.hunks[0].lines)]
    rows = side_by_side(d)
    starts = hunk_starts(d, side_by_side=True)
    assert starts[0] == 0 and rows[starts[1]][0].old_no == 24


def test_matches_difflib_unified_diff_for_plain_text():
    old = "".join(f"{w}\n" for w in "the quick brown fox jumps over the lazy dog".split())
    new = "".join(f"{w}\n" for w in "the quick red fox leaps over the dog again".split())
    expected = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), "a", "b", n=2))
    assert unified_text(diff_texts(old, new, context=2), "a", "b") == expected


# --- properties -------------------------------------------------------------------------------

texts = st.lists(st.sampled_from(["a", "b", "c", " ", "\t", "\n", "\r", "\r\n", "\ufeff", "\x1b", "é", "a\n"]),
                 max_size=40).map("".join)
plain_lines = st.lists(st.sampled_from(["a", "b", "c", "d", "key: v", "  - x"]), max_size=25)


def sides(diff: Diff):
    old, new = [], []
    for line in lines_of(diff):
        if line.kind != "insert":
            old.append(line.text + line.eol)
        if line.kind != "delete":
            new.append(line.text + line.eol)
    return "".join(old), "".join(new)


def apply(old: str, diff: Diff) -> str:
    """Apply the hunks to the old text, checking context and deleted lines."""
    lines = [t + e for t, e in split_lines(old)]
    out = []
    pos = 0
    for hunk in diff.hunks:
        start = hunk.old_start - 1 if hunk.old_len else hunk.old_start
        out.extend(lines[pos:start])
        pos = start
        for line in hunk.lines:
            if line.kind != "insert":
                assert lines[pos] == line.text + line.eol
                pos += 1
            if line.kind != "delete":
                out.append(line.text + line.eol)
    out.extend(lines[pos:])
    return "".join(out)


def check_diff(old: str, new: str, context: int):
    d = diff_texts(old, new, context=context)
    assert d.identical == (old == new)
    assert apply(old, d) == new
    whole = diff_texts(old, new, context=10 ** 6)
    assert whole.identical or sides(whole) == (old, new)
    assert d.added == sum(1 for line in lines_of(d) if line.kind == "insert")
    assert d.removed == sum(1 for line in lines_of(d) if line.kind == "delete")
    for line in lines_of(d):
        assert "\r" not in line.text and "\n" not in line.text
        for span in line.spans:
            assert 0 <= span.start <= span.end <= len(line.text) + len(line.eol)
        if line.kind == "equal":
            assert line.spans == ()
    for old_line, new_line in side_by_side(d):
        assert old_line is not None or new_line is not None
        if old_line is not None and new_line is not None and old_line is not new_line:
            assert (old_line.kind, new_line.kind) == ("delete", "insert")
    assert terminal_safe(unified_text(d, "a", "b"))
    return d


@given(texts, texts, st.integers(0, 4))
@settings(max_examples=300)
def test_diff_reconstructs_both_sides(old, new, context):
    check_diff(old, new, context)


@given(plain_lines, plain_lines, st.integers(0, 3))
def test_unified_text_equals_difflib_for_plain_lines(a, b, context):
    old = "".join(f"{x}\n" for x in a)
    new = "".join(f"{x}\n" for x in b)
    expected = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), "a", "b",
                                            n=context))
    assert unified_text(diff_texts(old, new, context=context), "a", "b") == expected


@contextmanager
def large_input_paths(small: int, budget: int):
    saved = diff_module._SMALL, diff_module._MYERS_BUDGET
    diff_module._SMALL, diff_module._MYERS_BUDGET = small, budget
    try:
        yield
    finally:
        diff_module._SMALL, diff_module._MYERS_BUDGET = saved


@given(st.lists(st.sampled_from(["x", "y", "z", "u1", "u2", "u3", "u4"]), max_size=40),
       st.lists(st.sampled_from(["x", "y", "z", "u1", "u2", "u5", "u6"]), max_size=40),
       st.sampled_from([0, 4]), st.sampled_from([10, 3_000_000]))
@settings(max_examples=300)
def test_anchored_and_myers_paths_reconstruct(a, b, small, budget):
    old = "".join(f"{x}\n" for x in a)
    new = "".join(f"{x}\n" for x in b)
    with large_input_paths(small, budget):
        check_diff(old, new, 2)


@given(st.lists(st.sampled_from("xyz"), max_size=40), st.lists(st.sampled_from("xyzw"), max_size=40))
def test_myers_finds_a_longest_common_subsequence(a, b):
    blocks: list = []
    assert diff_module._myers_blocks(a, b, 0, len(a), 0, len(b), blocks)
    for i, j, size in blocks:
        assert a[i:i + size] == b[j:j + size]
    pairs = [(i + k, j + k) for i, j, size in blocks for k in range(size)]
    assert pairs == sorted(pairs) and len({i for i, _ in pairs}) == len({j for _, j in pairs}) == len(pairs)
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    assert len(pairs) >= sum(size for _, _, size in sm.get_matching_blocks())


def test_large_repetitive_inputs_use_anchors_and_stay_minimal():
    base = ["        - dev" if i % 4 else f"  - name: r{i}" for i in range(4000)]
    changed = list(base)
    for k in range(5, 4000, 100):
        changed[k] = changed[k] + "  # changed"
    d = diff_texts("\n".join(base) + "\n", "\n".join(changed) + "\n")
    assert (d.added, d.removed) == (40, 40)
    assert all(len([line for line in h.lines if line.kind != "equal"]) == 2 for h in d.hunks)
