"""core/golang.py: the Go helpers both readers share, one copy."""

from sentinel_tui.core import envelope, golang, policy
from sentinel_tui.core.golang import days_in, json_string, quote, quote_byte_rune, time_quote


def test_days_in_follows_the_gregorian_leap_rule():
    assert [days_in(2, y) for y in (2023, 2024, 1900, 2000)] == [28, 29, 28, 29]
    assert days_in(4, 2024) == 30 and days_in(12, 2024) == 31


def test_time_quote_is_the_same_for_text_and_bytes():
    for text in ('12:3\u00e9"\\', "a\x01b", "plain"):
        assert time_quote(text) == time_quote(text.encode("utf-8"))
    assert time_quote("9\u00e9") == '"9\\xc3\\xa9"'


def test_go_quoting_variants():
    assert quote("a\tb\x01\u200b") == '"a\\tb\\x01\\u200b"'
    assert quote_byte_rune(0x27) == "'\\''" and quote_byte_rune(0x0A) == "'\\n'"
    assert json_string('<a&"b">\u2028') == '"\\u003ca\\u0026\\"b\\"\\u003e\\u2028"'


def test_the_readers_use_the_one_copy():
    assert policy.go_quote is golang.quote
    assert not any(hasattr(envelope, name) for name in ("_days_in", "_time_quote", "_go_string"))
    assert not any(hasattr(policy, name) for name in ("_go_is_print",))
