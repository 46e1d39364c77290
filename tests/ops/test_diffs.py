"""The diff model: hunks, character spans, invisible changes, hashes, signature facts, history look-ups."""

from __future__ import annotations

import pytest

from sentinel_tui.aws.errors import SentinelError
from sentinel_tui.aws.store import Parameter
from sentinel_tui.core.diff import visible, visible_marked
from sentinel_tui.core.envelope import dump_envelope, make_envelope, policy_hash
from sentinel_tui.ops.diffs import (
    DiffInputError, DiffRequest, build_diff, compare_meaning, find_signed_version, load_local, load_signed,
    load_versions, local_request, push_command, signed_request, versions_request, versions_with_hash,
    with_meaning,
)

from datetime import datetime, timezone

POLICY = (b'version: "1"\n'
          b"rules:\n"
          b"  - name: dev-access  # who may use dev\n"
          b"    effect: allow\n"
          b"    conditions:\n"
          b"      profiles: [dev]\n"
          b"      users: [alice, bob]\n")
PATH = "/sentinel/policies/dev"


def envelope_for(data: bytes) -> str:
    env = make_envelope(b"\x01" * 512, "alias/sentinel-policy-signing", data,
                        datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc))
    return dump_envelope(env, indent=False)


def request(old: bytes | None, new: bytes | None, **kw) -> DiffRequest:
    return DiffRequest(old=old, new=new, old_label=f"stored version 3 of {PATH}", new_label="dev.yaml", **kw)


# -- hunks and spans ---------------------------------------------------------------------


def test_one_changed_word_gives_one_hunk_with_character_spans():
    new = POLICY.replace(b"[dev]", b"[dev, qa]")
    model = build_diff(request(POLICY, new))
    assert (model.diff.added, model.diff.removed) == (1, 1)
    assert len(model.diff.hunks) == 1
    changed = [line for line in model.diff.hunks[0].lines if line.kind != "equal"]
    old_line, new_line = changed
    assert old_line.kind == "delete" and new_line.kind == "insert"
    # only ", qa" is marked on the new side; the old side has an empty insertion point
    marked = "".join(new_line.text[s.start:s.end] for s in new_line.spans)
    assert marked == ", qa"
    assert not model.bytes_identical and model.old_hash == policy_hash(POLICY)
    assert model.new_hash == policy_hash(new)


def test_context_controls_hunk_count_and_size():
    lines = [f"      - user{i}\n".encode() for i in range(40)]
    old = b'version: "1"\nrules:\n' + b"".join(lines)
    new_lines = list(lines)
    new_lines[5] = b"      - userX\n"
    new_lines[30] = b"      - userY\n"
    new = b'version: "1"\nrules:\n' + b"".join(new_lines)
    assert len(build_diff(request(old, new, context=3)).diff.hunks) == 2
    assert len(build_diff(request(old, new, context=20)).diff.hunks) == 1
    tight = build_diff(request(old, new, context=0)).diff
    assert all(line.kind != "equal" for hunk in tight.hunks for line in hunk.lines)


def test_identical_bytes():
    model = build_diff(request(POLICY, POLICY))
    assert model.bytes_identical and model.diff.identical
    assert model.meaning_same_bytes_differ is False
    assert "same bytes" in model.verdict()


# -- invisible changes ------------------------------------------------------------------------


@pytest.mark.parametrize("new, marker", [
    (POLICY.replace(b"effect: allow\n", b"effect: allow  \n"), "·"),
    (POLICY.replace(b"\n", b"\r\n"), "␍"),
    (b"\xef\xbb\xbf" + POLICY, "⟨BOM⟩"),
    (POLICY.replace(b"    effect", b"\teffect"), "→"),
    (POLICY.rstrip(b"\n"), "no newline"),
])
def test_invisible_changes_are_changes_and_are_shown(new, marker):
    model = build_diff(request(POLICY, new))
    assert not model.diff.identical, "an invisible change is still a change the signature sees"
    shown = [
        "".join(s for s, _ in visible(line.text, line.eol))
        for hunk in model.diff.hunks for line in hunk.lines if line.kind == "insert"
    ]
    assert any(marker in text for text in shown)
    # and the changed characters are flagged within the line
    inserts = [line for hunk in model.diff.hunks for line in hunk.lines if line.kind == "insert" and line.spans]
    assert inserts
    assert any(changed for line in inserts for _, _, changed in visible_marked(line))


def test_control_characters_are_escaped_not_passed_through():
    new = POLICY.replace(b"dev-access", b"dev\x1b[31m-access")
    model = build_diff(request(POLICY, new))
    line = next(line for hunk in model.diff.hunks for line in hunk.lines if line.kind == "insert")
    shown = "".join(s for s, _ in visible(line.text, line.eol))
    assert "\x1b" not in shown and "\\x1b" in shown


# -- meaning ----------------------------------------------------------------------------------


def test_same_meaning_different_bytes_says_a_new_signature_is_needed():
    new = POLICY.replace(b"  # who may use dev", b"").replace(b"\n", b"\r\n")
    model = build_diff(request(POLICY, new, envelope=envelope_for(POLICY)))
    assert not model.diff.identical  # bytes mode: the bytes differ
    assert model.meaning_same_bytes_differ is True
    assert model.signature_covers_old is True and model.signing_needed is True
    assert "meaning does not" in model.verdict() and "new signature" in model.verdict()

    meaning = build_diff(request(POLICY, new, mode="meaning", envelope=envelope_for(POLICY)))
    assert meaning.diff.identical
    assert meaning.meaning_same_bytes_differ is True
    assert meaning.signing_needed is True
    assert meaning.old_label.endswith("(normalised)")


def test_meaning_mode_shows_only_changes_in_effect():
    new = POLICY.replace(b"  # who may use dev", b"  # reworded").replace(b"[dev]", b"[dev, qa]")
    model = build_diff(request(POLICY, new, mode="meaning"))
    assert model.meaning_same_bytes_differ is False
    inserted = [line.text for hunk in model.diff.hunks for line in hunk.lines if line.kind == "insert"]
    assert any("qa" in text for text in inserted)
    assert not any("reworded" in text for text in inserted)  # comments are gone from the meaning


def test_meaning_mode_refuses_unparseable_yaml_with_a_clear_message():
    with pytest.raises(DiffInputError) as info:
        build_diff(request(POLICY, b"version: [\n", mode="meaning"))
    assert "does not parse" in info.value.what and info.value.fix
    # the bytes diff of the same input works, and says the meaning is not comparable
    model = build_diff(request(POLICY, b"version: [\n"))
    assert model.meaning_same_bytes_differ is None and "does not parse" in model.meaning_error


def test_meaning_can_be_added_later():
    new = POLICY.replace(b"\n", b"\r\n")
    quick = build_diff(request(POLICY, new), check_meaning=False)
    assert quick.meaning_checked is False and quick.meaning_same_bytes_differ is None
    full = with_meaning(quick)
    assert full.meaning_checked and full.meaning_same_bytes_differ is True
    assert compare_meaning(POLICY, new).same is True


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("data, words", [
    (b"version: \"1\"\x00\x01", "NUL"),
    ("version: ü".encode("latin-1"), "not UTF-8"),
    ("\ufeffversion: 1".encode("utf-16"), "NUL"),
])
def test_binary_and_non_utf8_input_is_refused(data, words):
    with pytest.raises(DiffInputError) as info:
        build_diff(request(POLICY, data))
    assert words in info.value.what and info.value.kind == "binary"
    assert "UTF-8" in info.value.fix
    assert isinstance(info.value, SentinelError)


# -- signature facts ----------------------------------------------------------------------------


def test_signature_facts():
    new = POLICY.replace(b"[dev]", b"[dev, qa]")
    signed_old = build_diff(request(POLICY, new, envelope=envelope_for(POLICY)))
    assert signed_old.signature_covers_old is True and signed_old.signing_needed is True

    stale = build_diff(request(POLICY, new, envelope=envelope_for(new)))
    assert stale.signature_covers_old is False
    assert stale.signature_covers_new is True and stale.signing_needed is False

    unsigned = build_diff(request(POLICY, new))
    assert unsigned.signature_covers_old is None and unsigned.signing_needed is True

    malformed = build_diff(request(POLICY, new, envelope='{"signature": "not base64!"'))
    assert malformed.signature_covers_old is None and malformed.envelope_error
    assert malformed.signing_needed is True

    created = build_diff(request(None, new))
    assert created.old_hash is None and created.diff.added == new.count(b"\n")


def test_summary_lines_name_both_hashes():
    model = build_diff(request(POLICY, POLICY + b"# more\n", envelope=envelope_for(POLICY)))
    text = "\n".join(model.summary())
    assert policy_hash(POLICY) in text and policy_hash(POLICY + b"# more\n") in text
    assert "covers the stored side" in text and "signing needed" in text


# -- history ----------------------------------------------------------------------------------


def history_of(*bodies: bytes) -> list[Parameter]:
    return [Parameter(name=PATH, value=b.decode(), version=i + 1) for i, b in enumerate(bodies)]


def test_find_the_version_a_signature_was_made_for():
    v1, v2, v3 = POLICY, POLICY.replace(b"bob", b"carol"), POLICY.replace(b"bob", b"dave")
    history = history_of(v1, v2, v3, v2)  # v2 restored as version 4
    assert find_signed_version(history, envelope_for(v2)).version == 4  # the newest with that hash
    assert [p.version for p in versions_with_hash(history, policy_hash(v2))] == [4, 2]
    assert find_signed_version(history, envelope_for(b"never stored")) is None
    assert find_signed_version(history, None) is None
    assert find_signed_version(history, "not json") is None


def test_signed_request_compares_signed_version_with_current():
    v1, v2 = POLICY, POLICY.replace(b"bob", b"carol")
    history = history_of(v1, v2)
    signature = Parameter(name="/sentinel/signatures/dev", value=envelope_for(v1), version=1)
    req = signed_request(PATH, history, signature, name="dev")
    assert req.old == v1 and req.new == v2 and req.kind == "signed"
    assert "version 1" in req.old_label and "(signed)" in req.old_label
    assert "version 2" in req.new_label and "(current)" in req.new_label
    model = build_diff(req)
    assert model.signature_covers_old is True and model.signing_needed is True

    with pytest.raises(SentinelError, match="No stored version"):
        signed_request(PATH, history, Parameter(name="s", value=envelope_for(b"other"), version=1))
    with pytest.raises(SentinelError, match="not signed"):
        signed_request(PATH, history, None)


def test_versions_request_and_labels():
    history = history_of(POLICY, POLICY + b"# two\n", POLICY + b"# three\n")
    req = versions_request(PATH, history, 1, 3, None, name="dev")
    assert req.old_label == f"stored version 1 of {PATH}" and req.new_label == f"stored version 3 of {PATH}"
    with pytest.raises(SentinelError, match="no stored version 9"):
        versions_request(PATH, history, 1, 9, None)


def test_local_request_labels_and_push_command(tmp_path, monkeypatch):
    stored = Parameter(name=PATH, value=POLICY.decode(), version=7)
    monkeypatch.chdir(tmp_path)
    req = local_request(PATH, stored, None, tmp_path / "policies" / "dev.yaml", POLICY, name="dev", key_id="alias/k")
    assert req.old_label == f"stored version 7 of {PATH}"
    assert req.new_label == "policies/dev.yaml"  # relative to the working directory, like git
    assert req.file == str(tmp_path / "policies" / "dev.yaml")  # what a push is given stays absolute
    absent = local_request(PATH, None, None, "dev.yaml", POLICY)
    assert absent.old is None and "not stored" in absent.old_label
    assert push_command("dev", "my policies/dev.yaml", "alias/k") == \
        "sentinel-tui policy push dev 'my policies/dev.yaml' --sign --key-id alias/k"


# -- loading through the emulator -------------------------------------------------------------------


def test_loaders_read_ssm(ops, tmp_path):
    store = ops.store
    store.put(PATH, POLICY.decode())
    v2 = POLICY.replace(b"bob", b"carol")
    store.put(PATH, v2.decode())
    store.put("/sentinel/signatures/dev", envelope_for(POLICY))
    local = tmp_path / "dev.yaml"
    local.write_bytes(v2 + b"# local edit\n")

    req = load_local(ops, "dev", local)
    model = build_diff(req)
    assert req.old == v2 and model.signature_covers_old is False and model.diff.added == 1
    assert req.key_id == ops.settings.default_key

    between = build_diff(load_versions(ops, "dev", 1, 2))
    assert between.signature_covers_old is True and between.diff.removed == 1

    signed = load_signed(ops, "dev")
    assert signed.old == POLICY and signed.new == v2


def test_load_local_refuses_a_binary_file(ops, tmp_path):
    ops.store.put(PATH, POLICY.decode())
    binary = tmp_path / "dev.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(SentinelError, match="NUL bytes"):
        load_local(ops, "dev", binary)


def test_same_meaning_never_says_a_new_signature_is_needed_when_the_stored_one_covers_the_new_side():
    """A restore to the signed version: bytes differ, meaning does not, and the stored signature
    covers the new side. The summary said both "covered by the stored signature" and "a new
    signature is needed" (issue 12)."""
    edited = POLICY.replace(b"  # who may use dev", b"").replace(b"\n", b"\r\n")
    model = build_diff(request(edited, POLICY, envelope=envelope_for(POLICY)))
    assert model.meaning_same_bytes_differ is True and model.signing_needed is False
    assert "a new signature is needed" not in model.verdict()
    assert "no new signature is needed" in model.meaning_note()
    assert "no new signature needed" in "\n".join(model.summary())
    # and where one is needed, it still says so
    needed = build_diff(request(POLICY, edited, envelope=envelope_for(POLICY)))
    assert "a new signature is needed" in needed.meaning_note()
    assert build_diff(request(POLICY, POLICY.replace(b"dev-access", b"dev-other"))).meaning_note() is None
