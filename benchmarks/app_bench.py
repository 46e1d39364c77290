"""Headless app measurements: launch, filter latency, opening a large diff.

Runs in a child process (`python -m benchmarks.worker` with mode "app"): the app
`SentinelApp(ops)` under Textual's `App.run_test()` (headless driver, 120 x 40),
on the emulator the parent seeded.

- **Launch.** "First rows on screen" is the first time the policy table paints a
  data row (its `render_line` is called for a row below the header while it holds
  rows): that is what a terminal would show. "Complete table" is the first paint
  after the table holds all N rows and the load has finished. Both are counted from
  the moment the parent started the process (interpreter start and imports
  included: what an operator waits for) and from the moment the app was started.
- **Filter.** The filter is typed key by key into the browser's filter field
  (`/` then the keys), as an operator does. Each key is sent as the terminal
  driver sends it (a Key event, without the idle waits of Textual's Pilot, which
  alone cost ~60 ms a key); its latency runs from sending the key to the first
  paint of the table after the table re-applied the filter (`PolicyTable.apply`),
  so it includes filtering, re-sorting and repainting (when the table asked for no
  repaint, because nothing it shows changed, the key is done when apply returns).
  The next key is sent once the app is idle again. Garbage collections that ran
  during a key are noted with it (`gc_ms`). Then the keys are erased
  one by one (the table grows back), then a status filter is typed and cleared
  with `esc`.
- **Diff.** A `DiffScreen` over two 4,000-line versions of a policy file is
  pushed on top of the browser (inputs in memory: reading SSM is not part of
  opening); the time runs until its diff body first paints the diff (a large diff
  is built and laid out in a thread while the screen shows it loading: the time
  runs to the first paint after `DiffBody.show`). Two cases: 40 rules
  edited, spread over the file, and every line changed (CRLF endings), each opened
  twice (the first open of the process also pays one-time imports and caches).
- **Garbage collection.** Every full collection (generation 2) is noted with its
  pause, during the load and during the filter and diff measurements: with
  thousands of entries in memory a full collection stops the app for a while.
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import time

from .counting import peak_rss_mb

SIZE = (120, 40)
FILTER_TEXT = "team-042"
STATUS_FILTER = "wrong"


def app_available() -> bool:
    try:
        return importlib.util.find_spec("sentinel_tui.ui.app") is not None
    except (ImportError, ValueError):
        return False


def diff_inputs(lines: int) -> tuple[bytes, bytes]:
    """Two versions of a policy file of `lines` lines; the second edits 1 rule in 25."""
    rules = lines // 4
    head = 'version: "1"\nrules:\n'
    old = [f"  - name: rule-{i:04d}\n    effect: allow\n    conditions:\n      profiles: [p{i:04d}]\n"
           for i in range(rules)]
    new = list(old)
    for i in range(0, rules, 25):
        new[i] = f"  - name: rule-{i:04d}\n    effect: deny\n    conditions:\n      profiles: [p{i:04d}, q{i:04d}]\n"
    body_lines = lines - 2
    old_text = (head + "".join(old)).splitlines(keepends=True)[: body_lines + 2]
    new_text = (head + "".join(new)).splitlines(keepends=True)[: body_lines + 2]
    return "".join(old_text).encode(), "".join(new_text).encode()


class Paints:
    """When a widget class first paints a line that satisfies `test`, and its latest paint."""

    def __init__(self, cls, test) -> None:
        self.first: float | None = None
        self.first_any: float | None = None  # the first paint of any line (the header included)
        self.last: float | None = None
        self._watch_from: float | None = None
        self.first_watched: float | None = None
        self.marks: dict[str, list] = {}  # name -> [from, first paint from then on]
        original = cls.render_line
        paints = self

        def render_line(widget, y):
            strip = original(widget, y)
            now = time.perf_counter()
            paints.last = now
            if paints.first_any is None:
                paints.first_any = now
            for mark in paints.marks.values():
                if mark[1] is None and now >= mark[0]:
                    mark[1] = now
            if paints.first is None and test(widget, y):
                paints.first = now
            if paints._watch_from is not None and paints.first_watched is None and now >= paints._watch_from:
                paints.first_watched = now
            return strip

        cls.render_line = render_line

    @property
    def watch_from(self) -> float | None:
        return self._watch_from

    @watch_from.setter
    def watch_from(self, moment: float | None) -> None:
        """Record the first paint from `moment` on in `first_watched` (None: stop)."""
        self._watch_from = moment
        self.first_watched = None


def key_event(key: str):
    """The Key event a terminal driver sends for `key` (as Textual's Pilot builds it, without its idle waits)."""
    import unicodedata

    from textual import events
    from textual.app import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


def gc_stats(pauses: list[tuple[float, int, float]], *, since: float) -> dict:
    """Full (generation 2) collections after `since`: how many, the longest and the total pause."""
    full = [seconds for ended, generation, seconds in pauses if ended >= since and generation == 2]
    return {"full_collections": len(full), "longest_ms": round(1000 * max(full, default=0.0), 1),
            "total_ms": round(1000 * sum(full), 1)}


class LoopStalls:
    """How long the event loop stopped: a task that asks to wake every 5 ms notes how late it woke.

    A late wake-up is time the loop spent in something else without yielding (handling a
    key, painting, a garbage collection): what a user feels as a pause. On a machine
    shared with other work the operating system also takes the CPU away now and then,
    which makes wake-ups late without the app doing anything: so each stop is also
    measured in the loop thread's own CPU time (`time.thread_time`) over the same
    interval, the part of the stop that is the app's work (`cpu_*`).
    """

    STEP = 0.005
    NOTED = 0.05  # stops longer than this are kept with what was going on (`label`)

    def __init__(self) -> None:
        self.late: list[float] = []
        self.cpu: list[float] = []
        self.label = ""  # what the measurement is doing now (a key, opening a diff)
        self.stops: list[tuple[float, float, str]] = []  # (wall, loop thread's CPU, label) of long stops
        self._task = None

    async def _run(self) -> None:
        while True:
            asked, asked_cpu = time.perf_counter(), time.thread_time()
            label = self.label
            await asyncio.sleep(self.STEP)
            late = max(0.0, time.perf_counter() - asked - self.STEP)
            cpu = min(late, max(0.0, time.thread_time() - asked_cpu))
            self.late.append(late)
            self.cpu.append(cpu)
            if late > self.NOTED:
                self.stops.append((late, cpu, label if label == self.label else f"{label} / {self.label}"))

    def start(self) -> None:
        self.late.clear()
        self.cpu.clear()
        self.stops.clear()
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> dict:
        if self._task is not None:
            self._task.cancel()
        late, cpu = sorted(self.late), sorted(self.cpu)
        return {"samples": len(late), "longest_ms": round(1000 * late[-1], 1) if late else 0.0,
                "over_100ms": sum(1 for x in late if x > 0.1),
                "p99_ms": round(1000 * late[int(0.99 * (len(late) - 1))], 1) if late else 0.0,
                "cpu_longest_ms": round(1000 * cpu[-1], 1) if cpu else 0.0,
                "cpu_over_100ms": sum(1 for x in cpu if x > 0.1),
                "longest_stops": [{"ms": round(1000 * wall, 1), "cpu_ms": round(1000 * cpu, 1), "during": label}
                                  for wall, cpu, label in sorted(self.stops, reverse=True)[:8]]}


async def _until(predicate, timeout: float, step: float = 0.002) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if predicate():
            return True
        await asyncio.sleep(step)
    return predicate()


def run_app(spec: dict) -> dict:
    started_wall = time.time()
    started = time.perf_counter()
    spawned_at = spec.get("spawned_at") or started_wall
    spawn_offset = started_wall - spawned_at  # interpreter start and the imports before this line

    from .counting import CallCounter
    from .worker import aws_like_for, make_ops

    from sentinel_tui.ops.diffs import DiffRequest
    from sentinel_tui.ui.app import SentinelApp
    from sentinel_tui.ui.screens.browser import BrowserScreen
    from sentinel_tui.ui.screens.diff import DiffScreen
    from sentinel_tui.ui.widgets.diff_view import DiffBody, DiffView
    from sentinel_tui.ui.widgets.policy_table import COLUMNS, EntryFilter, PolicyTable

    n = spec["n"]
    table_paints = Paints(PolicyTable, lambda table, y: table.row_count > 0 and y >= 1)
    diff_paints = Paints(DiffBody, lambda body, y: True)
    # A large diff is built in a thread: the screen paints at once (loading), the diff when
    # DiffBody.show lays it out. The time to note is the first paint after that.
    show_diff = DiffBody.show

    def noted_show(body, *args, **kwargs):
        answer = show_diff(body, *args, **kwargs)
        diff_paints.marks["shown"] = [time.perf_counter(), None]
        return answer

    DiffBody.show = noted_show
    counter = CallCounter()
    shaping = aws_like_for(spec)
    ops = make_ops(spec["url"], spec["home"], counter=counter, aws_like=shaping)
    cache_mode = spec.get("cache")  # None: no cache; "cold": none yet, kept at the end; "warm": shown, confirmed
    imported = time.perf_counter()
    result: dict = {"imports_seconds": imported - started + spawn_offset, "size": list(SIZE)}
    state: dict = {"app": None, "complete_at": None, "applied_at": []}

    def complete(table) -> bool:
        app = state["app"]
        return (app is not None and table.row_count >= n and not app.fleet_loading and app.fleet.complete
                and not any(e.pending for e in table.entries.values()))

    # Every change of the table's rows goes through PolicyTable.apply: note when it ends, and from
    # then on the first paint (render_line) of the table.
    apply = PolicyTable.apply

    def timed_apply(table, *args, **kwargs):
        answer = apply(table, *args, **kwargs)
        now = time.perf_counter()
        app = state["app"]
        if ("cached" not in table_paints.marks and app is not None and app.fleet.from_cache
                and table.row_count >= n):
            table_paints.marks["cached"] = [now, None]  # the whole table, from the cache
        if state["complete_at"] is None:
            if complete(table):
                state["complete_at"] = now
                table_paints.watch_from = now
        else:
            state["applied_at"].append(now)
            table_paints.watch_from = now
        return answer

    PolicyTable.apply = timed_apply
    # A table that asked for no repaint (nothing it shows changed) is done when apply returns.
    refresh = PolicyTable.refresh

    def noted_refresh(table, *args, **kwargs):
        state["refreshes"] += 1
        return refresh(table, *args, **kwargs)

    state["refreshes"] = 0
    PolicyTable.refresh = noted_refresh

    # Python's garbage collector stops everything while it runs: note each collection.
    gc_pauses: list[tuple[float, int, float]] = []  # (when it ended, generation, seconds)
    gc_started = [0.0]

    def on_gc(phase: str, info: dict) -> None:
        now = time.perf_counter()
        if phase == "start":
            gc_started[0] = now
        else:
            gc_pauses.append((now, info.get("generation", -1), now - gc_started[0]))

    gc.callbacks.append(on_gc)

    async def measure() -> None:
        launched = time.perf_counter()
        app = state["app"] = SentinelApp(ops, use_cache=cache_mode is not None)
        stalls = LoopStalls()
        async with app.run_test(size=SIZE) as pilot:
            stalls.label = "the load"
            stalls.start()
            ok = await _until(lambda: state["complete_at"] is not None, timeout=900)
            painted = await _until(lambda: table_paints.first_watched is not None, timeout=10)
            result["loop_during_load"] = stalls.stop()
            table = app.query_one(PolicyTable)
            first, done = table_paints.first, table_paints.first_watched if painted else None
            if cache_mode == "warm":
                cached = table_paints.marks.get("cached")
                reads = {k: v for k, v in counter.since(0).items()
                         if k in ("ssm.GetParameter", "ssm.GetParameters", "ssm.GetParametersByPath")}
                result["warm"] = {
                    "first_paint_from_app_start_seconds": (table_paints.first_any - launched
                                                           if table_paints.first_any else None),
                    "cached_table_from_first_paint_seconds": (cached[1] - table_paints.first_any
                                                              if cached and cached[1] and table_paints.first_any
                                                              else None),
                    "cached_rows": n if cached else 0,
                    "confirmed_from_app_start_seconds": None if state["complete_at"] is None
                    else state["complete_at"] - launched,
                    "calls": counter.since(0), "value_reads": sum(reads.values()),
                }
            result.update({
                "loaded": ok and painted,
                "first_rows_seconds": None if first is None else first - started + spawn_offset,
                "first_rows_from_app_start_seconds": None if first is None else first - launched,
                "complete_seconds": None if done is None else done - started + spawn_offset,
                "complete_from_app_start_seconds": None if done is None else done - launched,
                "rows": table.row_count,
                "statuses": dict(sorted(app.fleet.counts().items())),
                "peak_rss_after_load_mb": peak_rss_mb(),
            })
            table_paints.watch_from = None
            await app.workers.wait_for_complete()
            await pilot.pause()

            result["gc_during_load"] = gc_stats(gc_pauses, since=launched)
            if shaping is not None:
                result["aws_like"] = shaping.summary()
            result["calls"] = counter.since(0)
            if spec.get("interaction") is False:
                return
            interaction_started = time.perf_counter()
            stalls.start()

            # -- the filter, typed -------------------------------------------------------
            entries = list(app.fleet.entries.values())
            field = app.screen.query_one("#filter-input")

            def expected(text: str) -> int:
                keep = EntryFilter(text).matcher()
                return sum(1 for e in entries if keep(e))

            queries = []
            problems = []
            applied_at = state["applied_at"]

            async def key(k: str, text_after: str) -> None:
                """Send one key as the terminal driver would; time until the table is repainted."""
                applied_at.clear()
                table_paints.watch_from = None
                state["refreshes"] = 0
                t0 = time.perf_counter()
                stalls.label = f"filter key {k!r} ({text_after!r})"
                app._driver.send_message(key_event(k))
                applied = await _until(lambda: bool(applied_at) and table.filter.text == text_after and (
                    field.value == text_after or k == "escape"), timeout=900, step=0.0005)
                if state["refreshes"]:  # the table asked to be repainted: wait for that paint
                    painted = await _until(lambda: table_paints.first_watched is not None, timeout=10,
                                           step=0.0005)
                    done = table_paints.first_watched if painted else time.perf_counter()
                else:  # nothing the table shows changed (e.g. an empty table stays empty)
                    painted = True
                    done = applied_at[-1] if applied_at else time.perf_counter()
                want = expected(text_after)
                got = table.row_count
                if not applied or not painted or got != want:
                    problems.append(f"{text_after!r}: {got} rows, expected {want}"
                                    + ("" if applied else ", not applied") + ("" if painted else ", not repainted"))
                collected = sum(seconds for ended, _, seconds in gc_pauses if t0 <= ended <= done)
                queries.append({"key": k, "query": text_after, "rows": got, "ms": 1000 * (done - t0),
                                "gc_ms": round(1000 * collected, 1)})
                await app.workers.wait_for_complete()
                await pilot.pause()  # the idle work this key left (column widths) ends before the next key

            await pilot.press("slash")
            await pilot.pause()
            typed = ""
            for ch in FILTER_TEXT:
                typed += ch
                await key(ch, typed)
            while typed:
                typed = typed[:-1]
                await key("backspace", typed)
            for ch in STATUS_FILTER:
                typed += ch
                await key(ch, typed)
            await key("escape", "")
            table_paints.watch_from = None
            stalls.label = ""

            # -- sorting, the attention filter, the detail pane: the loop's stops are noted --------
            browse = [("s", f"sort by {c.key}") for c in COLUMNS[1:]] + [("s", "sort by name"),
                                                                          ("S", "reverse sort")]
            browse += [("a", "attention only"), ("a", "attention off"), ("S", "sort by name again")]
            browse += [("enter", "open the detail pane")] + [("down", "next row, detail shown")] * 5
            browse += [(tab, f"detail tab {tab}") for tab in "23451"] + [("escape", "close the detail pane")]
            browse += [("end", "last row"), ("home", "first row"), ("pagedown", "page down")]
            for k, what in browse:
                stalls.label = what
                await pilot.press(k)
                await app.workers.wait_for_complete()
                await pilot.pause()
            stalls.label = ""
            result["browse_keys"] = [what for _, what in browse]
            samples = [q["ms"] for q in queries]
            ordered = sorted(samples)
            result["filter"] = {
                "rows": len(entries), "samples_ms": samples, "queries": queries,
                "median_ms": ordered[len(ordered) // 2], "max_ms": ordered[-1],
                "ok": not problems and isinstance(app.screen, BrowserScreen), "detail": "; ".join(problems),
            }

            # -- a 4,000-line diff ---------------------------------------------------------
            lines = spec.get("diff_lines") or 0
            if lines:
                old, new = diff_inputs(lines)
                cases = {"40 rules edited": (old, new), "every line changed (CRLF)": (old, old.replace(b"\n", b"\r\n"))}
                opened = []
                for label, (before, after) in cases.items():
                    times: list[float] = []
                    collected: list[float] = []
                    for _ in range(2):  # the first open of a case, then the same again
                        request = DiffRequest(old=before, new=after,
                                              old_label="stored version 1 of /sentinel/policies/big",
                                              new_label="big.yaml", kind="local", name="big", file="big.yaml")
                        diff_paints.first = None
                        diff_paints.marks.pop("shown", None)
                        screen = DiffScreen(request=request)
                        stalls.label = f"opening the diff ({label})"
                        t0 = time.perf_counter()
                        app.push_screen(screen)
                        painted = await _until(lambda: diff_paints.marks.get("shown", [0, None])[1] is not None,
                                               timeout=60)
                        done = diff_paints.marks["shown"][1] if painted else time.perf_counter()
                        times.append(1000 * (done - t0))
                        collected.append(1000 * sum(sec for ended, _, sec in gc_pauses if t0 <= ended <= done))
                        view = screen.query_one(DiffView) if painted else None
                        model = view.model if view is not None else None
                        stalls.label = f"the diff on screen ({label})"
                        await pilot.pause()
                        stalls.label = "closing the diff"
                        await pilot.press("escape")
                        await pilot.pause()
                        stalls.label = ""
                    opened.append({
                        "case": label, "lines": len(after.splitlines()), "open_ms": times[0], "again_ms": times[1],
                        "gc_ms": round(collected[0], 1), "again_gc_ms": round(collected[1], 1),
                        "ok": bool(painted and model is not None and model.diff.hunks),
                        "detail": (f"{len(model.diff.hunks)} hunks, +{model.diff.added} -{model.diff.removed}"
                                   if model is not None else "the diff did not open"),
                    })
                result["diff"] = {
                    "lines": opened[0]["lines"], "open_ms": max(o["open_ms"] for o in opened),
                    "cases": opened, "ok": all(o["ok"] for o in opened),
                    "detail": "; ".join(f"{o['case']}: {o['detail']}, {o['open_ms']:.0f} ms "
                                        f"(again {o['again_ms']:.0f} ms)" for o in opened),
                }
            result["gc_during_interaction"] = gc_stats(gc_pauses, since=interaction_started)
            result["loop_during_interaction"] = stalls.stop()

    asyncio.run(measure())
    gc.callbacks.remove(on_gc)
    PolicyTable.apply = apply
    PolicyTable.refresh = refresh
    DiffBody.show = show_diff
    result["peak_rss_mb"] = peak_rss_mb()
    return result
