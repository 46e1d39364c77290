"""The policy table on a fleet of thousands: rows streamed in batches, sorted, filtered, the cursor kept.

The entries are the demo fleet's, copied under new names (so every status, verdict and
column shape appears), and streamed as the loader does: each page first as pending
entries, then again once their pair is known. No timing is asserted here (see
benchmarks/ for that): only that the rows are right, in order, and consistent with the
rows the table paints. Batches merged in quick succession reach the rows together, a
moment later: `visible()` applies those still waiting, so the checks go through it.
"""

from __future__ import annotations

import random
from dataclasses import replace

from sentinel_tui.core.paths import policy_path
from sentinel_tui.ui.app import SentinelApp
from sentinel_tui.ui.widgets.policy_table import COLUMNS, MARK, EntryFilter, PolicyTable

from .conftest import fixed_clock, run, settle

SIZE = 3000
WORDS = ("alpha", "beta", "gamma", "delta")


def fleet_copies(demo, root: str, count: int, seed: int = 7) -> list:
    rng = random.Random(seed)
    made = []
    for index in range(count):
        base = demo[index % len(demo)]
        name = f"fleet/{rng.choice(WORDS)}-{index:05d}"
        made.append(replace(base, name=name, path=policy_path(name, root)))
    rng.shuffle(made)
    return made


def display_keys(table: PolicyTable) -> list[str]:
    """The paths of the table's rows, read row by row through its own API, in display order."""
    return [table.path_at(index) for index in range(table.row_count)]


def expected_order(table: PolicyTable) -> list[str]:
    column = next(c for c in COLUMNS if c.key == table.sort_column)
    keep = EntryFilter(table.filter.text).matcher()
    wanted = [e for e in table.entries.values() if keep(e)]
    wanted.sort(key=lambda e: (column.sort_key(e), e.name), reverse=table.sort_reverse)
    return [e.path for e in wanted]


def check_painted(table: PolicyTable) -> None:
    """The lines the table paints (what a terminal shows) hold the rows due there."""
    top = int(table.scroll_y)
    rows = table.visible()[top:top + table.size.height - 1]
    lines = [table.render_line(y).text for y in range(1, table.size.height)]
    assert rows, "nothing on screen"
    for entry, line in zip(rows, lines):
        name = (MARK if entry.path in table.marked else "") + entry.name
        cells = [c.plain for c in table.cells(entry)]
        assert line.startswith(f" {name} ") and cells[1] in line, (line, name)


async def cursor_to(pilot, table: PolicyTable, row: int) -> None:
    """The cursor on `row`, scrolled into view."""
    table.move_cursor(row=row)
    await pilot.pause()
    top = int(table.scroll_y)
    assert top <= row < top + table.size.height - 1


def between(table: PolicyTable, row: int):
    """A new entry whose row goes right after `row` (a name of the same length, so the
    column widths stay as they are)."""
    entry = table.visible()[row]
    word, number = entry.name.rsplit("-", 1)
    names = {e.name for e in table.entries.values()}
    name = next(n for n in (f"{word}-{k:05d}" for k in range(int(number) + 1, 10 ** 5)) if n not in names)
    return replace(entry, name=name, path=entry.path.rsplit("/", 1)[0] + "/" + name.rsplit("/", 1)[1])


def check_rows(table: PolicyTable) -> None:
    """Rows, their order and cells, and the column widths, as a fresh table would have them."""
    order = expected_order(table)
    assert [e.path for e in table.visible()] == order
    assert display_keys(table) == order
    assert table.row_count == len(order)
    for path in order[:: max(1, len(order) // 50)]:  # a sample of the cells
        entry = table.entries[path]
        assert [c.plain for c in table.get_row(path)] == [c.plain for c in table.cells(entry)]
    everything = [table.cells(e) for e in table.entries.values()]
    for index, column in enumerate(table.ordered_columns):
        widest = max((cells[index].cell_len for cells in everything), default=0)
        assert column.content_width == max(column.label.cell_len, widest), column.key


def test_a_streamed_fleet_of_thousands_is_sorted_filtered_and_keeps_the_cursor(shared_ops):
    async def body():
        # a fixed clock: a run that crosses a minute would otherwise see "now" become "1m ago"
        app = SentinelApp(shared_ops, clock=fixed_clock(shared_ops))
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            table = app.query_one(PolicyTable)
            demo = [e for e in app.fleet.entries.values() if e.remote]
            made = fleet_copies(demo, shared_ops.settings.policy_root, SIZE)
            table.clear_entries()
            assert table.row_count == 0

            # Stream: a page of pending entries, and the previous page again with its pairs known.
            pages = [made[i:i + 10] for i in range(0, len(made), 10)]
            chosen = None
            for number, page in enumerate(pages):
                table.merge([replace(e, assessment=None) for e in page])
                if number:
                    table.merge(pages[number - 1])
                if number == 20:
                    # The cursor moved off the top row follows its policy from then on.
                    assert len(table.visible()) > 37  # (visible() applies batches still waiting)
                    table.move_cursor(row=37)
                    chosen = table.selected_entry.path
                if number % 25 == 0:
                    await pilot.pause()
                    assert table.visible() and table.selected_entry is not None
                    if chosen is not None:
                        assert table.selected_entry.path == chosen
            table.merge(pages[-1])
            await pilot.pause(2 * PolicyTable.STREAM_INTERVAL_FULL)  # the last batches reach the screen by themselves
            assert table.row_count == SIZE
            assert not any(e.pending for e in table.visible())
            assert table.selected_entry.path == chosen
            check_rows(table)

            check_painted(table)

            # Rows changed below the screen, whose rendering is cached (they were painted
            # once), are painted as they are now when scrolled to again; the rows on screen
            # keep theirs. Then rows change on screen too.
            await cursor_to(pilot, table, 2000)
            check_painted(table)
            await cursor_to(pilot, table, 0)
            below = table.visible()[1990:2040:3]
            table.merge([replace(e, assessment=None) for e in below])
            table.merge([between(table, 1995), between(table, 2010)])
            check_rows(table)
            await pilot.pause()
            check_painted(table)
            await cursor_to(pilot, table, 2000)
            check_painted(table)
            table.merge(below)
            table.merge(fleet_copies(demo, shared_ops.settings.policy_root, 40, seed=11))  # on screen
            await cursor_to(pilot, table, 0)
            check_rows(table)
            check_painted(table)
            table.replace_all([e for e in table.entries.values() if "-9" not in e.name])  # a few leave
            check_rows(table)
            await pilot.pause()
            check_painted(table)
            await cursor_to(pilot, table, 37)
            chosen = table.selected_entry.path

            # The end of a load hands the same entries over again: nothing moves.
            table.replace_all(list(table.entries.values()))
            assert table.selected_entry.path == chosen
            check_rows(table)

            # Filter: the matches in order; the cursor stays on its policy while it is shown.
            word = next(w for w in WORDS if w in table.entries[chosen].name)
            table.set_filter(word)
            check_rows(table)
            assert 0 < table.row_count < len(table.entries)
            assert all(word in e.name for e in table.visible())
            assert table.selected_entry.path == chosen
            table.set_filter(word + "-0")
            check_rows(table)
            table.set_filter("no-such-policy")
            assert table.row_count == 0 and table.selected_entry is None
            table.set_filter("!valid")
            check_rows(table)
            # A filter in use while pages stream: rows come and go as their status changes.
            table.set_filter("loading")
            assert table.row_count == 0
            again = made[::60]
            table.merge([replace(e, assessment=None) for e in again])
            check_rows(table)
            assert table.row_count == len(again)
            table.merge(again[::2])
            check_rows(table)
            table.merge(again[1::2])
            assert table.visible() == [] and table.row_count == 0
            table.set_filter("")
            check_rows(table)
            assert table.row_count == len(table.entries)
            await pilot.pause()

            # Sort by another column, reversed; then entries change while sorted so.
            table.sort_by("status", reverse=True)
            check_rows(table)
            table.move_cursor(row=100)
            chosen = table.selected_entry.path
            changed = [replace(table.entries[p], assessment=None) for p in list(table.entries)[::97]]
            table.merge(changed)  # back to pending: they move to their new place
            check_rows(table)
            assert table.selected_entry.path == chosen  # the cursor stays on the policy it was on
            # ...also when that policy itself changes and moves
            table.merge([replace(table.entries[chosen], assessment=None)])
            check_rows(table)
            assert table.selected_entry.path == chosen
            table.sort_by("name", reverse=False)
            check_rows(table)

            # Marks widen the name column and narrow it back.
            table.move_cursor(row=5)
            entry = table.toggle_mark()
            assert table.get_row(entry.path)[0].plain.startswith(MARK)
            check_rows(table)
            table.clear_marks()
            assert not table.get_row(entry.path)[0].plain.startswith(MARK)
            check_rows(table)

            # Entries dropped by a refresh leave; the table still paints from top to bottom.
            survivors = list(table.entries.values())[::2]
            table.replace_all(survivors)
            check_rows(table)
            table.action_last_row()
            await pilot.pause()
            assert table.cursor_row == table.row_count - 1
            assert table.selected_entry is table.visible()[-1]

    run(body())


def test_the_header_shows_the_sort_and_the_name_column_stays_when_scrolled_sideways(shared_ops):
    async def body():
        app = SentinelApp(shared_ops)
        async with app.run_test(size=(60, 20)) as pilot:  # narrower than the columns
            await settle(app, pilot)
            table = app.query_one(PolicyTable)
            assert table.render_line(0).text.startswith(" Name▲ ")
            first = table.visible()[0]
            assert table.render_line(1).text.startswith(f" {first.name} ")
            await pilot.press(*["right"] * 16)
            await pilot.pause()
            assert table.scroll_x >= 16
            header, row = table.render_line(0).text, table.render_line(1).text
            assert header.startswith(" Name▲ ") and "Status" not in header  # scrolled past Status...
            assert row.startswith(f" {first.name} ")  # ...the names stay
            await pilot.press("home")
            await pilot.pause()
            table.sort_by("name", reverse=True)
            await pilot.pause()
            assert table.render_line(0).text.startswith(" Name▼ ")
            assert table.visible()[0].name == max((e.name for e in table.entries.values()), key=str.lower)

    run(body())


def test_cells_that_read_the_same_are_shared_and_look_as_the_formatters_make_them(shared_ops):
    """Thousands of rows keep their names and share the rest (every `✔ valid`, every `3h ago`):
    each shared cell reads and is styled exactly as the formatters make it for that row."""
    from sentinel_tui.ui.format import signed_at_cell, size_text, status_text, verdict_text

    async def body():
        app = SentinelApp(shared_ops, clock=fixed_clock(shared_ops))
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            table = app.query_one(PolicyTable)
            demo = [e for e in app.fleet.entries.values() if e.remote]
            table.replace_all(fleet_copies(demo, shared_ops.settings.policy_root, SIZE))
            roles = app.theme_variables
            objects = {id(cell) for path in table.entries for cell in table.get_row(path)}
            assert len(objects) < SIZE + 100  # the names, and a few shared cells
            for entry in table.entries.values():
                cells = table.get_row(entry.path)
                a = entry.assessment
                readable = entry.policy is not None and entry.policy.value is not None
                made = {
                    "status": status_text(entry.status, roles, pending=entry.pending),
                    "tvm": verdict_text(a, roles),
                    "size": size_text(a.size if a and readable else None, roles),
                    "signed_at": signed_at_cell(a.envelope if a else None, table.size.width),
                }
                for key, want in made.items():
                    got = cells[[c.key for c in COLUMNS].index(key)]
                    if isinstance(want, str):
                        assert got.plain == want
                    else:
                        assert (got.plain, got.style, got.spans) == (want.plain, want.style, want.spans), key

    run(body())
