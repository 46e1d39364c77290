"""The diff view on a minimal host app: both layouts, both modes, hunks, context, refusals, the screen.

Pilot tests run with asyncio.run (no pytest-asyncio needed); SVG snapshots with
pytest-textual-snapshot's snap_compare, on fixed data.
"""

from __future__ import annotations

import asyncio

import pytest

from sentinel_tui.ops.diffs import DiffRequest
from sentinel_tui.ui.screens.diff import DiffScreen
from sentinel_tui.ui.widgets.diff_view import DiffBody, DiffLabels, DiffView

from .flow_helpers import until as wait_for
from .diff_data import COSMETIC, HOSTILE, LOCAL, PATH, STORED, DiffHost, ScreenHost, local_request

SIZE = (120, 34)


def run(coro):
    return asyncio.run(coro)


def body_lines(app, count: int | None = None) -> list[str]:
    body = app.query_one(DiffBody)
    n = min(count or body.size.height, body.size.height)
    return [body.render_line(y).text for y in range(n)]


def all_row_texts(app) -> list[str]:
    """Every row of the body rendered at the current width (scrolling through them)."""
    body = app.query_one(DiffBody)
    width = body._view_width()
    return [body._render_row(row, 0, width).text for row in range(len(body.rows))]


# -- layouts --------------------------------------------------------------------------------


def test_split_layout_has_both_sides_line_numbers_and_labels():
    async def go():
        app = DiffHost(local_request())
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            view = app.query_one(DiffView)
            assert view.split and view.model is not None
            labels = app.query_one(DiffLabels).render().plain
            assert f"stored version 4 of {PATH}" in labels and "policies/production.yaml" in labels
            rows = all_row_texts(app)
            assert rows[0].lstrip("▶ ").startswith("@@ ")
            # a changed line pairs the stored text (left) with the local text (right), numbered on both sides
            pair = next(r for r in rows if "carol" in r)
            left, right = pair.split("│", 1)
            assert "[alice, bob]" in left and "11 -" in left
            assert "[alice, bob, carol]" in right and "11 +" in right
            # invisible changes are shown: trailing spaces, the tab, the missing final newline
            text = "\n".join(rows)
            assert "allow··" in text and "contractors:→never" in text and "⏎̸ no newlin" in text
            summary = view.summary_text().plain
            assert f"+{view.model.diff.added} −{view.model.diff.removed}" in summary
            assert "covers stored ✔" in summary and "local: new signature needed" in summary
            assert view.model.old_hash[:12] in summary and view.model.new_hash[:12] in summary

    run(go())


def test_unified_layout_and_toggle():
    async def go():
        app = DiffHost(local_request(), layout="unified")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            view = app.query_one(DiffView)
            assert not view.split
            labels = app.query_one(DiffLabels).render().plain
            assert labels.startswith("--- stored version 4") and "+++ policies/production.yaml" in labels
            rows = all_row_texts(app)
            minus = next(r for r in rows if "[alice, bob]" in r and "carol" not in r)
            plus = next(r for r in rows if "carol" in r)
            assert minus.split()[0] == "11" and " - " in minus[:12]
            assert plus.split()[0] == "11" and " + " in plus[:12]  # new-side number column
            await pilot.press("t")
            assert view.split
            assert any("│" in r for r in all_row_texts(app))
            await pilot.press("t")
            assert not view.split

    run(go())


# -- modes ----------------------------------------------------------------------------------


def test_meaning_mode_hides_cosmetic_changes_and_says_a_signature_is_needed():
    async def go():
        app = DiffHost(local_request(COSMETIC))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            view = app.query_one(DiffView)
            assert view.mode == "bytes" and not view.model.diff.identical
            assert "␍" in "\n".join(all_row_texts(app))
            assert "meaning does not" in view.summary_text().plain
            await pilot.press("m")
            assert view.mode == "meaning" and view.model.diff.identical
            rows = "\n".join(all_row_texts(app))
            assert "No differences in meaning" in rows and "needs a new signature" in rows
            assert "(normalised)" in app.query_one(DiffLabels).render().plain
            assert "new signature is needed although nothing changes in effect" in view.summary_text().plain
            await pilot.press("m")  # bytes → meaning → access → bytes
            assert view.mode == "access"
            await wait_for(pilot, lambda: view.model is not None and view.model.mode == "access")
            assert "Access is identical" in "\n".join(all_row_texts(app))
            await pilot.press("m")
            assert view.mode == "bytes" and not view.model.diff.identical

    run(go())


def test_access_mode_lists_the_requests_that_change_decision_with_a_witness():
    async def go():
        app = DiffHost(local_request())
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            view = app.query_one(DiffView)
            await pilot.press("m", "m")
            await wait_for(pilot, lambda: view.model is not None and view.model.mode == "access")
            rows = "\n".join(all_row_texts(app))
            assert "access change" in rows and "→" in rows and "e.g. user=" in rows
            assert view.model.access is not None and not view.model.access.identical
            assert "Access" in view.summary_text().plain

    run(go())


def test_meaning_mode_shows_real_changes():
    async def go():
        app = DiffHost(local_request())
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("m")
            view = app.query_one(DiffView)
            rows = "\n".join(all_row_texts(app))
            assert view.mode == "meaning"
            assert "carol" in rows and "20:00" in rows
            assert "contractors: never" not in rows  # comments are not part of the meaning
            assert "·" not in rows  # normalised text has no trailing spaces to show

    run(go())


def test_meaning_mode_on_unparseable_input_stays_in_bytes_and_says_why():
    async def go():
        app = DiffHost(local_request(b"version: [\n"))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("m")
            await pilot.pause()
            view = app.query_one(DiffView)
            assert view.mode == "bytes" and view.model is not None
            notes = [n.message for n in app._notifications]
            assert any("does not parse" in m for m in notes)

    run(go())


# -- navigation and context -------------------------------------------------------------------


def many_hunks() -> DiffRequest:
    lines = [f"      - user-{i:03}\n".encode() for i in range(300)]
    old = b'version: "1"\nrules:\n  - name: r\n    effect: allow\n    conditions:\n      users:\n' + b"".join(lines)
    changed = list(lines)
    for i in (20, 120, 220):
        changed[i] = changed[i].replace(b"user", b"USER")
    new = old[:old.index(b"      - user-000")] + b"".join(changed)
    return DiffRequest(old=old, new=new, old_label="stored version 1 of /p", new_label="p.yaml")


def test_n_and_p_move_between_hunks():
    async def go():
        app = DiffHost(many_hunks(), layout="unified")
        async with app.run_test(size=(120, 16)) as pilot:  # short: the hunks do not fit on one screen
            await pilot.pause()
            view = app.query_one(DiffView)
            body = app.query_one(DiffBody)
            assert len(view.model.diff.hunks) == 3 and body.current_hunk == 0
            await pilot.press("n")
            await pilot.pause()
            assert body.current_hunk == 1
            assert round(body.scroll_y) == body.hunk_rows[1]
            assert body.render_line(0).text.startswith("▶ @@")
            await pilot.press("n", "n")
            await pilot.pause()
            assert body.current_hunk == 2
            await pilot.press("p")
            await pilot.pause()
            assert body.current_hunk == 1 and round(body.scroll_y) == body.hunk_rows[1]
            assert "hunk 2/3" in view.summary_text().plain

    run(go())


def test_plus_and_minus_change_the_context():
    async def go():
        app = DiffHost(many_hunks(), layout="unified")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            view = app.query_one(DiffView)
            first = view.model.diff.hunks[0]
            assert view.context == 3 and len(first.lines) == 3 + 2 + 3
            await pilot.press("minus")
            assert view.context == 2 and len(view.model.diff.hunks[0].lines) == 2 + 2 + 2
            await pilot.press("plus", "plus", "plus")
            assert view.context == 5 and "context 5" in view.summary_text().plain
            for _ in range(12):
                await pilot.press("plus")
            assert view.context > 50 and len(view.model.diff.hunks) == 1  # enough context to merge them
            for _ in range(40):
                await pilot.press("minus")
            assert view.context == 0

    run(go())


# -- untrusted text and refusals --------------------------------------------------------------------


def test_markup_and_escape_sequences_in_a_policy_show_literally():
    async def go():
        app = DiffHost(local_request(HOSTILE))
        async with app.run_test(size=(200, 34)) as pilot:
            await pilot.pause()
            rows = "\n".join(all_row_texts(app))
            assert "[bold red]owned[/]" in rows
            assert "\\x1b[31mred\\x1b[0m" in rows and "\x1b" not in rows
            assert "\\u202e" in rows and "\u202e" not in rows

    run(go())


def test_binary_input_is_refused_with_a_clear_message():
    async def go():
        app = DiffHost(local_request(b"\x89PNG\r\n\x1a\n\x00\x00\x00"))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            view = app.query_one(DiffView)
            assert view.model is None and view.error is not None
            rows = "\n".join(all_row_texts(app))
            assert "Cannot diff" in rows and "NUL bytes" in rows and "UTF-8" in rows

    run(go())


def test_a_large_diff_renders_lazily_and_compares_meaning_in_a_worker_on_request(monkeypatch):
    import threading

    from sentinel_tui.ui.widgets import diff_view

    rules = [f"  - name: rule-{i}\n    effect: allow\n    conditions:\n      profiles: [p{i}]\n"
             for i in range(1000)]
    old = ('version: "1"\nrules:\n' + "".join(rules)).encode()
    new = old.replace(b"\n", b"\r\n")  # 4,002 changed lines, same meaning
    # Diffing and laying out 4,000 lines take a tenth of a second or more: never on the thread
    # that runs the app (it would stop answering keys meanwhile).
    built_on = []
    build = diff_view.build_diff

    def noting_build(*args, **kwargs):
        built_on.append(threading.current_thread())
        return build(*args, **kwargs)

    monkeypatch.setattr(diff_view, "build_diff", noting_build)

    async def go():
        app = DiffHost(DiffRequest(old=old, new=new, old_label="stored version 1 of /big", new_label="big.yaml"))
        async with app.run_test(size=SIZE) as pilot:
            view = app.query_one(DiffView)
            body = app.query_one(DiffBody)
            await wait_for(pilot, lambda: view.model is not None)
            assert built_on and threading.main_thread() not in built_on
            assert view.model.diff.added == 4002
            assert len(body.rows) == 4002 + 1
            assert not view.model.meaning_checked  # not parsed at open: too large to do it for free
            assert "press m" in view.summary_text().plain
            body.scroll_end(animate=False)
            await pilot.pause()
            assert "␍" in body.render_line(0).text
            await pilot.press("m")
            await wait_for(pilot, lambda: view.model.mode == "meaning")
            assert view.mode == "meaning" and view.model.diff.identical
            assert view.model.meaning_same_bytes_differ is True
            await pilot.press("m")  # access: 1,000 rules compared in a worker, then the verdict
            await wait_for(pilot, lambda: view.model is not None and view.model.mode == "access", timeout=60)
            assert view.model.access.identical
            await pilot.press("m")
            await wait_for(pilot, lambda: view.model.mode == "bytes")
            assert view.mode == "bytes" and view.model.meaning_same_bytes_differ is True  # kept
            assert threading.main_thread() not in built_on

    run(go())


# -- the screen ---------------------------------------------------------------------------------


def test_screen_push_key_on_history_diff_explains():
    async def go():
        request = DiffRequest(old=STORED, new=LOCAL, old_label="stored version 1 of /p",
                              new_label="stored version 2 of /p", kind="versions", name="p")
        app = ScreenHost(lambda: DiffScreen(request=request))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("P")
            await pilot.pause()
            assert isinstance(app.screen, DiffScreen)
            assert any("Push takes a local file" in n.message for n in app._notifications)

    run(go())


def test_screen_reads_the_stored_policy_and_the_file(ops, tmp_path):
    ops.store.put(PATH, STORED.decode())
    local = tmp_path / "production.yaml"
    local.write_bytes(LOCAL)

    async def go():
        app = ScreenHost(lambda: DiffScreen("production", local, ops=ops))
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            view = app.screen.query_one(DiffView)
            assert view.model is not None
            assert view.model.request.old_label == f"stored version 1 of {PATH}"
            assert view.model.signature_covers_old is None  # unsigned in this store
            assert "what pushing" in str(app.screen.query_one("#diff-title").render())
            await pilot.press("t")  # the view has the focus once loaded: its keys work
            assert not view.split

    run(go())


def test_screen_says_what_failed(ops, tmp_path):
    async def go():
        app = ScreenHost(lambda: DiffScreen("production", tmp_path / "missing.yaml", ops=ops))
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            screen = app.screen
            assert screen.has_class("-failed")
            problem = str(screen.query_one("#diff-problem").render())
            assert "no such file" in problem

    run(go())


def test_screen_compares_stored_with_signed_version(ops):
    from .diff_data import envelope_for

    ops.store.put(PATH, STORED.decode())
    ops.store.put(PATH, LOCAL.decode())
    ops.store.put("/sentinel/signatures/production", envelope_for(STORED))

    async def go():
        app = ScreenHost(lambda: DiffScreen("production", signed=True, ops=ops))
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            view = app.screen.query_one(DiffView)
            assert view.model.request.old_label == f"stored version 1 of {PATH} (signed)"
            assert view.model.request.new_label == f"stored version 2 of {PATH} (current)"
            assert "covers signed ✔" in view.summary_text().plain

    run(go())


# -- snapshots ----------------------------------------------------------------------------------


def test_snapshot_split_bytes(snap_compare):
    assert snap_compare(DiffHost(local_request()), terminal_size=SIZE)


def test_snapshot_unified_bytes(snap_compare):
    assert snap_compare(DiffHost(local_request(), layout="unified"), terminal_size=SIZE)


def test_snapshot_split_meaning(snap_compare):
    assert snap_compare(DiffHost(local_request()), press=["m"], terminal_size=SIZE)


def test_snapshot_unified_meaning_same_meaning(snap_compare):
    assert snap_compare(DiffHost(local_request(COSMETIC), layout="unified"), press=["m"], terminal_size=SIZE)


def test_screen_switches_to_two_versions_and_to_the_signed_version(ops, tmp_path):
    from sentinel_tui.ui.screens.version_picker import VersionPicker

    from .diff_data import envelope_for

    ops.store.put(PATH, STORED.decode())
    ops.store.put(PATH, LOCAL.decode())
    ops.store.put(PATH, COSMETIC.decode())
    ops.store.put("/sentinel/signatures/production", envelope_for(LOCAL))
    local = tmp_path / "production.yaml"
    local.write_bytes(LOCAL)

    async def settle(app, pilot):
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()

    async def go():
        app = ScreenHost(lambda: DiffScreen("production", local, ops=ops))
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            screen = app.screen
            await pilot.press("h")
            await settle(app, pilot)
            picker = app.screen
            assert isinstance(picker, VersionPicker)
            lines = [str(picker.query_one("OptionList").get_option_at_index(i).prompt) for i in range(3)]
            assert lines[0].startswith("v3") and "current" in lines[0]
            assert lines[1].startswith("v2") and "signature was made for this version" in lines[1]
            options = picker.query_one("OptionList")
            options.highlighted = 2
            await pilot.press("enter")  # old side: v1
            options.highlighted = 0
            await pilot.press("enter")  # new side: v3
            await settle(app, pilot)
            assert app.screen is screen
            view = screen.query_one(DiffView)
            assert view.model.request.old_label == f"stored version 1 of {PATH}"
            assert view.model.request.new_label == f"stored version 3 of {PATH}"
            assert "stored version 1 → 3" in str(screen.query_one("#diff-title").render())
            await pilot.press("s")
            await settle(app, pilot)
            assert view.model.request.kind == "signed"
            assert view.model.request.old_label == f"stored version 2 of {PATH} (signed)"
            assert view.model.request.new_label == f"stored version 3 of {PATH} (current)"

    run(go())


def test_yaml_is_lexed_lazily_and_per_line():
    from pygments.token import Token

    from sentinel_tui.ui.widgets.diff_view import _LazyTokens

    text = "".join(f"key{i}: value  # note\r\n" for i in range(2000))
    lazy = _LazyTokens(text)
    first = lazy.line(0)
    assert lazy._lexed_to < len(text) // 10  # only the start was lexed
    kinds = {ttype for _, _, ttype in first}
    assert any(t in Token.Name.Tag for t in kinds) and any(t in Token.Comment for t in kinds)
    spans = [(s, e) for s, e, _ in lazy.line(1999)]
    line = "key1999: value  # note"
    assert line[spans[0][0]:spans[0][1]] == "key1999" and all(e <= len(line) for _, e in spans)
    assert lazy.line(5000) == [] and lazy.line(-1) == []


def test_screen_push_key_starts_the_guided_push_when_the_app_has_one():
    started = []

    class WithPush(ScreenHost):
        def start_push(self, name, file):
            started.append((name, file))

    async def go():
        app = WithPush(lambda: DiffScreen(request=local_request()))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("P")
            await pilot.pause()
            assert started == [("production", "policies/production.yaml")]

    run(go())
