import base64
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from sentinel_tui.core.envelope import (
    ALGORITHM,
    Envelope,
    EnvelopeError,
    dump_envelope,
    format_signed_at,
    make_envelope,
    parse_envelope,
    policy_hash,
)

SIG = bytes(range(256)) * 2  # 512 bytes, like an RSA-4096 signature
SIG_B64 = base64.b64encode(SIG).decode()
POLICY = b'version: "1"\nrules:\n  - name: dev\n    effect: allow\n    conditions:\n      profiles: [dev]\n'
HASH = policy_hash(POLICY)

# What `sentinel policy push --sign` stores: json.Marshal(policy.SignatureEnvelope), and
# time.Now().UTC() keeps nanoseconds.
GO_COMPACT = (
    '{"signature":"' + SIG_B64 + '","metadata":{"key_id":"alias/sentinel-policy-signing",'
    '"algorithm":"RSASSA_PSS_SHA_256","signed_at":"2026-01-26T10:30:00.123456789Z",'
    '"policy_hash":"' + HASH + '"}}'
)
# What `sentinel policy sign -o FILE` writes: json.MarshalIndent(SignatureOutput, "", "  "),
# no trailing newline (os.WriteFile of the marshalled bytes).
GO_FILE = (
    '{\n'
    '  "signature": "' + SIG_B64 + '",\n'
    '  "metadata": {\n'
    '    "key_id": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",\n'
    '    "algorithm": "RSASSA_PSS_SHA_256",\n'
    '    "signed_at": "2026-01-26T10:30:00Z",\n'
    '    "policy_hash": "' + HASH + '"\n'
    '  }\n'
    '}'
)


def refused(data) -> EnvelopeError:
    with pytest.raises(EnvelopeError) as info:
        parse_envelope(data)
    err = info.value
    assert "the TVM denies such an envelope" in str(err)
    return err


def test_policy_hash_is_lowercase_hex_sha256():
    assert policy_hash(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert HASH == HASH.lower() and len(HASH) == 64


def test_go_compact_form_with_nanoseconds():
    env = parse_envelope(GO_COMPACT)
    assert env.signature == SIG
    assert env.key_id == "alias/sentinel-policy-signing"
    assert env.algorithm == ALGORITHM
    assert env.policy_hash == HASH
    assert env.signed_at_text == "2026-01-26T10:30:00.123456789Z"
    assert env.signed_at == datetime(2026, 1, 26, 10, 30, 0, 123456, tzinfo=timezone.utc)
    assert env.signed_at.utcoffset() == timedelta(0)


def test_go_file_form_and_bytes_input():
    env = parse_envelope(GO_FILE.encode())
    assert env.signature == SIG
    assert env.key_id.startswith("arn:aws:kms:")
    assert env.signed_at == datetime(2026, 1, 26, 10, 30, tzinfo=timezone.utc)
    assert parse_envelope(GO_FILE) == env
    # `policy sign` without -o prints it with a newline: whitespace after the value is fine
    assert parse_envelope(GO_FILE + "\n") == env


def test_dump_reproduces_go_bytes():
    env = parse_envelope(GO_FILE)
    assert dump_envelope(env, indent=True) == GO_FILE
    compact = parse_envelope(GO_COMPACT)
    # Python keeps microseconds, so the fraction is shorter; everything else is Go's bytes
    assert dump_envelope(compact, indent=False) == GO_COMPACT.replace(".123456789Z", ".123456Z")


def test_dump_escapes_strings_like_go():
    env = make_envelope(b"\x01", 'a<b>&c"d\\e\n\t\b\f\x01\u2028\u2029é😀\x7f', POLICY,
                        datetime(2026, 1, 26, tzinfo=timezone.utc))
    out = dump_envelope(env, indent=False)
    assert ('"key_id":"a\\u003cb\\u003e\\u0026c\\"d\\\\e\\n\\t\\b\\f\\u0001\\u2028\\u2029é😀\x7f"'
            in out)
    assert parse_envelope(out).key_id == env.key_id


def test_dump_lone_surrogate_as_replacement_like_go_invalid_utf8():
    env = Envelope(b"x", "a\ud800b", ALGORITHM, None, "", "")
    out = dump_envelope(env, indent=False)
    assert '"key_id":"a\\ufffdb"' in out
    assert parse_envelope(out).key_id == "a\ufffdb"


def test_dump_none_signed_at_is_go_zero_time():
    env = Envelope(b"sig", "k", ALGORITHM, None, "0001-01-01T00:00:00Z", HASH)
    out = dump_envelope(env, indent=False)
    assert '"signed_at":"0001-01-01T00:00:00Z"' in out
    assert parse_envelope(out) == env


@pytest.mark.parametrize("dt, text", [
    (datetime(2026, 1, 26, 10, 30, tzinfo=timezone.utc), "2026-01-26T10:30:00Z"),
    (datetime(2026, 1, 26, 10, 30, 0, 123000, tzinfo=timezone.utc), "2026-01-26T10:30:00.123Z"),
    (datetime(2026, 1, 26, 10, 30, 0, 1, tzinfo=timezone.utc), "2026-01-26T10:30:00.000001Z"),
    (datetime(2026, 1, 26, 11, 30, tzinfo=timezone(timedelta(hours=1))), "2026-01-26T10:30:00Z"),
    (datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))), "2025-12-31T19:00:00Z"),
])
def test_format_signed_at(dt, text):
    assert format_signed_at(dt) == text


def test_format_signed_at_refuses_naive():
    with pytest.raises(ValueError, match="timezone-aware"):
        format_signed_at(datetime(2026, 1, 26))


def test_make_envelope():
    at = datetime(2026, 1, 26, 11, 30, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    env = make_envelope(SIG, "alias/sentinel-policy-signing", POLICY, at)
    assert env.algorithm == ALGORITHM
    assert env.policy_hash == HASH
    assert env.signed_at == at and env.signed_at.utcoffset() == timedelta(0)
    assert env.signed_at_text == "2026-01-26T10:30:00.000005Z"
    assert parse_envelope(dump_envelope(env, indent=True)) == env
    assert parse_envelope(dump_envelope(env, indent=False)) == env


@pytest.mark.parametrize("args, fragment", [
    ((b"", "k", POLICY, datetime(2026, 1, 1, tzinfo=timezone.utc)), "non-empty bytes"),
    ((b"s", "", POLICY, datetime(2026, 1, 1, tzinfo=timezone.utc)), "key_id"),
    ((b"s", "k", POLICY, datetime(2026, 1, 1)), "timezone-aware"),
    ((b"s", "k", POLICY, datetime(1, 1, 1, tzinfo=timezone.utc)), "zero time"),
])
def test_make_envelope_refuses(args, fragment):
    with pytest.raises(ValueError, match=fragment):
        make_envelope(*args)


# --- Go's encoding/json rules ------------------------------------------------------------

def test_keys_match_case_insensitively_with_go_folding():
    env = parse_envelope('{"SIGNATURE":"AAAA","Metadata":{"KEY_ID":"k","Algorithm":"a",'
                         '"\u017figned_at":"2026-01-26T10:30:00Z","POLICY_HASH":"h"}}')
    assert env.signature == b"\0\0\0"
    assert (env.key_id, env.algorithm, env.policy_hash) == ("k", "a", "h")
    assert env.signed_at_text == "2026-01-26T10:30:00Z"
    # the Kelvin sign folds with k; an escaped key is unescaped before matching
    assert parse_envelope('{"metadata":{"\u212aey_id":"x"}}').key_id == "x"
    assert parse_envelope('{"metadata":{"\\u006bey_id":"y"}}').key_id == "y"
    # but dotless i does not fold with i (Go's simple folding), and "key-id" is another name
    assert parse_envelope('{"metadata":{"key_\u0131d":"x","key-id":"z"}}').key_id == ""


def test_unknown_keys_ignored_even_of_any_type():
    env = parse_envelope('{"extra":[1,{"a":null}],"signature":"AAAA","metadata":'
                         '{"note":{"deep":[true]},"key_id":"k"},"z":1e999999}')
    assert env.signature == b"\0\0\0" and env.key_id == "k"


def test_duplicate_keys_last_wins_and_metadata_merges():
    env = parse_envelope('{"signature":"AAAA","signature":"AQID","metadata":{"key_id":"a"},'
                         '"metadata":{"algorithm":"b","key_id":"c"}}')
    assert env.signature == b"\x01\x02\x03"
    assert (env.key_id, env.algorithm) == ("c", "b")


def test_null_leaves_values_but_resets_signature():
    env = parse_envelope('{"signature":"AQID","signature":null,"metadata":{"key_id":"a",'
                         '"key_id":null,"signed_at":"2026-01-26T10:30:00Z","signed_at":null},'
                         '"metadata":null}')
    assert env.signature == b""
    assert env.key_id == "a"
    assert env.signed_at_text == "2026-01-26T10:30:00Z"


def test_empty_object_and_top_level_null_give_empty_envelope():
    empty = Envelope(b"", "", "", None, "", "")
    assert parse_envelope("{}") == empty
    assert parse_envelope(" null ") == empty


def test_signature_as_array_of_bytes_like_go():
    assert parse_envelope('{"signature":[1,2,255]}').signature == b"\x01\x02\xff"
    assert parse_envelope('{"signature":[]}').signature == b""
    # Go decodes a repeated array into the same slice memory: null elements keep old bytes
    env = parse_envelope('{"signature":[1,2,3],"signature":[9],"signature":[null,null,null,null]}')
    assert env.signature == b"\x09\x02\x03\x00"


def test_signature_base64_go_tolerances():
    assert parse_envelope('{"signature":"AQID\\r\\nBAUG"}').signature == b"\x01\x02\x03\x04\x05\x06"
    assert parse_envelope('{"signature":"AQ==\\n"}').signature == b"\x01"
    assert parse_envelope('{"signature":"AB=="}').signature == b"\x00"  # trailing bits not checked
    assert parse_envelope('{"signature":""}').signature == b""


def test_invalid_utf8_inside_strings_becomes_replacement_per_byte():
    env = parse_envelope(b'{"metadata":{"key_id":"a\xe2\x82b\xffc"}}')
    assert env.key_id == "a\ufffd\ufffdb\ufffdc"
    assert parse_envelope('{"metadata":{"key_id":"\\ud800x\\udc00\\ud83d\\ude00"}}').key_id == (
        "\ufffdx\ufffd\U0001F600")


def test_nesting_limit_is_gos():
    ok = "[" * 10000 + "]" * 10000  # valid JSON, then a type error
    assert refused(ok).kind == "type"
    deep = refused("[" * 10001 + "]" * 10001)
    assert deep.kind == "syntax"
    assert deep.go_error == "invalid character '[' exceeded max depth"
    # the object counts as one level: 9,999 arrays inside it reach the limit exactly
    assert parse_envelope('{"x":' + "[" * 9999 + "]" * 9999 + "}").signature == b""
    assert refused('{"x":' + "[" * 10000 + "]" * 10000 + "}").kind == "syntax"


def test_huge_numbers():
    big = "9" * 100000
    assert parse_envelope('{"x":' + big + "}").key_id == ""
    err = refused('{"metadata":{"key_id":' + big + "}}")
    assert err.go_error == ("json: cannot unmarshal number into Go struct field "
                            "SignatureMetadata.metadata.key_id of type string")
    err = refused('{"signature":[' + big + "]}")
    assert "cannot unmarshal number 9999" in err.go_error and "of type uint8" in err.go_error


@pytest.mark.parametrize("data, kind, reason, go_error", [
    # not an object
    ("[1]", "type", "must be a JSON object, found an array",
     "json: cannot unmarshal array into Go value of type policy.SignatureEnvelope"),
    ('"x"', "type", "found a string",
     "json: cannot unmarshal string into Go value of type policy.SignatureEnvelope"),
    # signed_at
    ('{"metadata":{"signed_at":"2026-01-26T10:30:00"}}', "time",
     'signed_at "2026-01-26T10:30:00" has no time zone; Go\'s time.Time needs RFC 3339 with Z or +hh:mm',
     'parsing time "2026-01-26T10:30:00" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00"'),
    ('{"metadata":{"signed_at":"2026-01-26T10:30:00+0100"}}', "time", 'malformed time zone "+0100"',
     'parsing time "2026-01-26T10:30:00+0100" as "2006-01-02T15:04:05Z07:00": cannot parse "+0100" as "Z07:00"'),
    ('{"metadata":{"signed_at":"2026-01-26T10:30:00z"}}', "time", 'malformed time zone "z"',
     'parsing time "2026-01-26T10:30:00z" as "2006-01-02T15:04:05Z07:00": cannot parse "z" as "Z07:00"'),
    ('{"metadata":{"signed_at":"2026-01-26 10:30:00Z"}}', "time", "uppercase 'T'",
     'parsing time "2026-01-26 10:30:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 10:30:00Z" as "T"'),
    ('{"metadata":{"signed_at":"2026-01-26T10:30:00ZZ"}}', "time", 'extra text "Z"',
     'parsing time "2026-01-26T10:30:00ZZ": extra text: "Z"'),
    ('{"metadata":{"signed_at":"2026-02-29T10:30:00Z"}}', "time", "day out of range",
     'parsing time "2026-02-29T10:30:00Z": day out of range'),
    ('{"metadata":{"signed_at":"2026-13-01T10:30:00Z"}}', "time", "month out of range",
     'parsing time "2026-13-01T10:30:00Z": month out of range'),
    ('{"metadata":{"signed_at":"2026-01-26T24:00:00Z"}}', "time", "hour out of range",
     'parsing time "2026-01-26T24:00:00Z": hour out of range'),
    ('{"metadata":{"signed_at":"2026-01-26T10:30:60Z"}}', "time", "second out of range",
     'parsing time "2026-01-26T10:30:60Z": second out of range'),
    ('{"metadata":{"signed_at":"2026-01-26T10:30:00+25:00"}}', "time", "time zone offset hour out of range",
     'parsing time "2026-01-26T10:30:00+25:00": time zone offset hour out of range'),
    ('{"metadata":{"signed_at":"2026-01-26T10:30:00\\u005a"}}', "time", "contains a JSON escape",
     'parsing time "2026-01-26T10:30:00\\\\u005a" as "2006-01-02T15:04:05Z07:00": '
     'cannot parse "\\\\u005a" as "Z07:00"'),
    ('{"metadata":{"signed_at":""}}', "time", "expected a 4-digit year",
     'parsing time "" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "2006"'),
    ('{"metadata":{"signed_at":1769423400}}', "time", "must be a JSON string with an RFC 3339 time, found a number",
     "Time.UnmarshalJSON: input is not a JSON string"),
    ('{"metadata":{"signed_at":{"t":1}}}', "time", "found an object",
     "Time.UnmarshalJSON: input is not a JSON string"),
    # base64
    ('{"signature":"AQID-_8="}', "base64", "'-' at byte 4 belongs to the URL-safe alphabet",
     "illegal base64 data at input byte 4"),
    ('{"signature":"AQIDBA"}', "base64", "it ends after 6 base64 characters, not a multiple of 4",
     "illegal base64 data at input byte 4"),
    ('{"signature":"AQ=="}', None, None, None),  # control: valid
    ('{"signature":"AQ="}', "base64", "padding is missing", "illegal base64 data at input byte 3"),
    ('{"signature":"AQ==AQID"}', "base64", "data after the '=' padding",
     "illegal base64 data at input byte 4"),
    ('{"signature":"A==="}', "base64", "'=' padding in the wrong place", "illegal base64 data at input byte 1"),
    ('{"signature":"AQID BAUG"}', "base64", "' ' at byte 4 is not a base64 character",
     "illegal base64 data at input byte 4"),
    # wrong types
    ('{"signature":12}', "type", "signature must be a base64 string, found a number",
     "json: cannot unmarshal number into Go struct field SignatureEnvelope.signature of type []uint8"),
    ('{"signature":{"a":1}}', "type", "found an object",
     "json: cannot unmarshal object into Go struct field SignatureEnvelope.signature of type []uint8"),
    ('{"signature":[1,"2"]}', "type", "found a string",
     "json: cannot unmarshal string into Go struct field SignatureEnvelope.signature of type uint8"),
    ('{"signature":[256]}', "type", "found number 256",
     "json: cannot unmarshal number 256 into Go struct field SignatureEnvelope.signature of type uint8"),
    ('{"signature":[-1]}', "type", "found number -1",
     "json: cannot unmarshal number -1 into Go struct field SignatureEnvelope.signature of type uint8"),
    ('{"signature":[1.0]}', "type", "found number 1.0",
     "json: cannot unmarshal number 1.0 into Go struct field SignatureEnvelope.signature of type uint8"),
    ('{"metadata":"x"}', "type", "metadata must be an object, found a string",
     "json: cannot unmarshal string into Go struct field SignatureEnvelope.metadata of type policy.SignatureMetadata"),
    ('{"metadata":{"key_id":true}}', "type", "metadata.key_id must be a string, found a bool",
     "json: cannot unmarshal bool into Go struct field SignatureMetadata.metadata.key_id of type string"),
    ('{"metadata":{"policy_hash":["a"]}}', "type", "found an array",
     "json: cannot unmarshal array into Go struct field SignatureMetadata.metadata.policy_hash of type string"),
    # syntax
    ('{"signature":"AQID"', "syntax", "ends early (truncated?)", "unexpected end of JSON input"),
    ('{"signature":"AQ', "syntax", "ends early", "unexpected end of JSON input"),
    ("", "syntax", "ends early", "unexpected end of JSON input"),
    ("   ", "syntax", "ends early", "unexpected end of JSON input"),
    ('{"signature":tru', "syntax", "misspelled literal",
     "invalid character ' ' in literal true (expecting 'e')"),
    ('{"a":-', "syntax", "malformed number", "invalid character ' ' in numeric literal"),
    ("{} {}", "syntax", "trailing data after the JSON value, found '{' at line 1, column 4",
     "invalid character '{' after top-level value"),
    ('{"a":1}\n\nx', "syntax", "at line 3, column 1", "invalid character 'x' after top-level value"),
    ('{"a":NaN}', "syntax", "NaN and Infinity are not JSON",
     "invalid character 'N' looking for beginning of value"),
    ('{"a":Infinity}', "syntax", "NaN and Infinity are not JSON",
     "invalid character 'I' looking for beginning of value"),
    ('{"a":-Infinity}', "syntax", "-Infinity is not JSON", "invalid character 'I' in numeric literal"),
    ('{"a":01}', "syntax", "expected ',' or '}'", "invalid character '1' after object key:value pair"),
    ('{"a":1.}', "syntax", "no digit after '.'",
     "invalid character '}' after decimal point in numeric literal"),
    ('{"a":+1}', "syntax", "expected a JSON value", "invalid character '+' looking for beginning of value"),
    ("{'a':1}", "syntax", "expected a quoted key",
     "invalid character '\\'' looking for beginning of object key string"),
    ('{"a" 1}', "syntax", "expected ':'", "invalid character '1' after object key"),
    ('{"a":1,}', "syntax", "expected a quoted key",
     "invalid character '}' looking for beginning of object key string"),
    ("[1,]", "syntax", "expected a JSON value", "invalid character ']' looking for beginning of value"),
    ('{"a":"x\ty"}', "syntax", "control characters must be escaped",
     "invalid character '\\t' in string literal"),
    ('{"a":"\\x"}', "syntax", "invalid escape", "invalid character 'x' in string escape code"),
    ('{"a":"\\u12g4"}', "syntax", "invalid \\u escape",
     "invalid character 'g' in \\u hexadecimal character escape"),
    ('\ufeff{}', "syntax", "byte order mark", "invalid character 'ï' looking for beginning of value"),
    ("{\u00a0}", "syntax", "expected a quoted key",
     "invalid character 'Â' looking for beginning of object key string"),
    ("//c\n{}", "syntax", "expected a JSON value", "invalid character '/' looking for beginning of value"),
])
def test_refusals_with_precise_messages(data, kind, reason, go_error):
    if kind is None:
        parse_envelope(data)
        return
    err = refused(data)
    assert err.kind == kind
    assert reason in err.reason
    assert err.go_error == go_error


def test_syntax_error_reports_line_and_column():
    err = refused('{\n  "signature": "AQID",\n  "metadata": {\n    "key_id": "k",\n  }\n}')
    assert "at line 5, column 3" in err.reason
    assert err.offset == '{\n  "signature": "AQID",\n  "metadata": {\n    "key_id": "k",\n  }'.index("}", 40)


def test_first_type_error_wins_but_a_time_error_is_returned_at_once():
    err = refused('{"signature":1,"metadata":{"key_id":2}}')
    assert "SignatureEnvelope.signature" in err.go_error
    err = refused('{"signature":1,"metadata":{"signed_at":"2026"}}')
    assert err.kind == "time"
    # a syntax error anywhere is reported before any type error (Go checks syntax first)
    err = refused('{"signature":1,"metadata":{"signed_at":"2026"}} x')
    assert err.kind == "syntax"


@pytest.mark.parametrize("text, expected", [
    # Go's lenient fallback, time.Parse(time.RFC3339, ...)
    ("2026-01-26T9:30:00Z", datetime(2026, 1, 26, 9, 30, tzinfo=timezone.utc)),
    ("2026-01-26T10:30:00,5Z", datetime(2026, 1, 26, 10, 30, 0, 500000, tzinfo=timezone.utc)),
    ("2026-01-26T10:30:00.1234567891234Z", datetime(2026, 1, 26, 10, 30, 0, 123456, tzinfo=timezone.utc)),
    ("2026-01-26T10:30:00+24:00", datetime(2026, 1, 25, 10, 30, tzinfo=timezone.utc)),
    ("2026-01-26T10:30:00-00:60", datetime(2026, 1, 26, 11, 30, tzinfo=timezone.utc)),
    ("2026-01-26T12:30:00+02:00", datetime(2026, 1, 26, 10, 30, tzinfo=timezone.utc)),
    ("2024-02-29T00:00:00Z", datetime(2024, 2, 29, tzinfo=timezone.utc)),
])
def test_signed_at_accepted_like_go(text, expected):
    env = parse_envelope('{"metadata":{"signed_at":"%s"}}' % text)
    assert env.signed_at == expected
    assert env.signed_at.tzinfo is not None
    assert env.signed_at_text == text


def test_signed_at_keeps_written_offset():
    env = parse_envelope('{"metadata":{"signed_at":"2026-01-26T12:30:00+02:00"}}')
    assert env.signed_at.utcoffset() == timedelta(hours=2)


def test_signed_at_go_zero_time_and_out_of_python_range():
    env = parse_envelope('{"metadata":{"signed_at":"0001-01-01T00:00:00Z"}}')
    assert env.signed_at is None and env.signed_at_text == "0001-01-01T00:00:00Z"
    env = parse_envelope('{"metadata":{"signed_at":"0000-06-01T00:00:00Z"}}')  # Go accepts year 0
    assert env.signed_at is None and env.signed_at_text == "0000-06-01T00:00:00Z"
    env = parse_envelope('{"metadata":{"signed_at":"0000-12-31T23:30:00-01:00"}}')
    assert env.signed_at == datetime(1, 1, 1, 0, 30, tzinfo=timezone.utc)


def test_str_and_bytes_agree_and_other_types_refused():
    assert parse_envelope(GO_COMPACT) == parse_envelope(GO_COMPACT.encode())
    assert parse_envelope(bytearray(GO_COMPACT.encode())) == parse_envelope(GO_COMPACT)
    assert refused(None).kind == "input"
    assert refused(12).kind == "input"


# --- properties ---------------------------------------------------------------------------

aware = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=5, minutes=30)),
                               timezone(timedelta(hours=-8)), timezone(timedelta(seconds=-1))]),
)
text = st.text(max_size=40)


@st.composite
def envelopes(draw):
    signed_at = draw(st.none() | aware)
    if signed_at is None:
        signed_at_text = "0001-01-01T00:00:00Z"  # what dump writes for no time
    else:
        signed_at_text = format_signed_at(signed_at)
        if signed_at_text == "0001-01-01T00:00:00Z":
            signed_at = None
    return Envelope(draw(st.binary(max_size=600)), draw(text), draw(text), signed_at,
                    signed_at_text, draw(text))


@given(envelopes(), st.booleans())
def test_round_trip(env, indent):
    out = dump_envelope(env, indent=indent)
    back = parse_envelope(out)
    assert back == env
    if env.signed_at is not None:
        assert back.signed_at.microsecond == env.signed_at.microsecond
    assert dump_envelope(back, indent=indent) == out


@given(st.binary(max_size=300))
@settings(max_examples=300)
def test_never_raises_other_than_envelope_error_bytes(data):
    try:
        env = parse_envelope(data)
    except EnvelopeError as err:
        assert err.kind in ("syntax", "type", "base64", "time")
        return
    assert isinstance(env, Envelope)


@given(st.text(max_size=200))
def test_never_raises_other_than_envelope_error_text(data):
    try:
        parse_envelope(data)
    except EnvelopeError:
        pass


FIELD_KEYS = st.sampled_from(["signature", "metadata", "key_id", "algorithm", "signed_at",
                              "policy_hash", "SIGNATURE", "Signed_At", "x"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12) | st.sampled_from(["2026-01-26T10:30:00Z", "AQID", "AQ==", "2026-01-26"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(FIELD_KEYS | st.text(max_size=5),
                                                                      children, max_size=5),
    max_leaves=20,
)


@given(json_values)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_valid_json_is_never_a_syntax_error(value):
    data = json.dumps(value, ensure_ascii=False)
    try:
        parse_envelope(data)
    except EnvelopeError as err:
        assert err.kind != "syntax", (data, err)


@given(json_values.filter(lambda v: isinstance(v, dict)), st.data())
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_mutated_json_never_raises_other_errors_and_agrees_with_python_on_syntax(value, data):
    text = json.dumps(value)
    if text:
        pos = data.draw(st.integers(0, len(text)))
        mutation = data.draw(st.sampled_from(["delete", "insert", "cut"]))
        if mutation == "delete" and pos < len(text):
            text = text[:pos] + text[pos + 1:]
        elif mutation == "insert":
            text = text[:pos] + data.draw(st.sampled_from(list('{}[]",:\\ 0-eE.tfnNx\x01'))) + text[pos:]
        else:
            text = text[:pos]
    try:
        python_ok = True
        json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except (ValueError, RecursionError):
        python_ok = False
    try:
        parse_envelope(text)
        ours_ok = True
    except EnvelopeError as err:
        ours_ok = err.kind != "syntax"
    assert ours_ok == python_ok, text


@given(st.text(alphabet="0123456789-T:.,Z+z t", max_size=40) | st.from_regex(
    r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{1,2}:[0-9]{2}:[0-9]{2}([.,][0-9]{0,12})?(Z|[+-][0-9]{2}:[0-9]{2})?\Z"))
@settings(max_examples=500)
def test_signed_at_strings_never_raise_other_errors(value):
    try:
        env = parse_envelope('{"metadata":{"signed_at":"%s"}}' % value)
    except EnvelopeError as err:
        assert err.kind == "time"
        return
    assert env.signed_at_text == value
    assert env.signed_at is None or env.signed_at.utcoffset() is not None


def test_the_fast_base64_path_decodes_and_refuses_exactly_as_the_go_decoder():
    """Canonical base64 is decoded by binascii (C), everything else quantum by quantum as Go does:
    over random inputs near the edges (padding, CR/LF, foreign characters) both give the same
    bytes, or the same refusal at the same offset."""
    import random

    from sentinel_tui.core import envelope

    def answer(decode, src):
        try:
            return decode(src)
        except envelope._Base64Error as err:
            return ("refused", err.offset, err.problem)

    rng = random.Random(17)
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    odd = b"=\r\n-_ \x00\xff"
    for _ in range(20000):
        if rng.random() < 0.5:
            src = bytearray(base64.b64encode(bytes(rng.randrange(256) for _ in range(rng.randint(0, 10)))))
        else:
            src = bytearray(rng.choice(alphabet) for _ in range(rng.randint(0, 13)))
        for _ in range(rng.randint(0, 2)):
            if src and rng.random() < 0.5:
                src[rng.randrange(len(src))] = rng.choice(odd + alphabet)
            else:
                src += b"=" * rng.randint(1, 3)
        src = bytes(src)
        assert answer(envelope._go_b64decode, src) == answer(envelope._go_b64decode_slow, src), src
    signature = base64.b64encode(bytes(range(256)) * 2)
    assert envelope._go_b64decode(signature) == bytes(range(256)) * 2
