"""How long the diff view takes to open on a 4,000-line policy (issue 4's limit: under a second).

    .venv/bin/python -m benchmarks.diff_open [--lines 4000] [--repeat 5]

Measured headless with Textual's ``App.run_test``: from pushing the :class:`DiffScreen`
(inputs in memory: the SSM read is not part of "opening") to the first frame that shows
the diff, i.e. after Textual has processed the screen's messages and painted. Three
cases: a few scattered edits, every line changed (CRLF endings: the largest diff a
4,000-line file can give), and a new policy (every line inserted). Pressing ``m`` for
the meaning diff (both sides parsed, in a worker thread) is timed apart.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time


def make_policy(lines: int) -> bytes:
    rules = max(1, (lines - 2) // 8)
    out = ['version: "1"\n', "rules:\n"]
    for i in range(rules):
        out += [
            f"  - name: rule-{i}  # rule {i}\n",
            f"    effect: {'deny' if i % 7 == 0 else 'allow'}\n",
            "    conditions:\n",
            f"      profiles: [team-{i % 13}, dev]\n",
            f"      users: [user{i}, ops]\n",
            "      time:\n",
            "        days: [monday, tuesday]\n",
            f'    reason: "rule {i}"\n',
        ]
    return "".join(out).encode()


def cases(lines: int) -> dict[str, tuple[bytes | None, bytes]]:
    base = make_policy(lines)
    edited = base.replace(b"[team-3, dev]", b"[team-3, dev, qa]").replace(b'"rule 400"', b'"rule 400 "')
    return {
        "scattered edits": (base, edited),
        "every line (CRLF)": (base, base.replace(b"\n", b"\r\n")),
        "new policy": (None, base),
    }


async def _open_once(old: bytes | None, new: bytes) -> dict:
    from textual.app import App

    from sentinel_tui.ops.diffs import DiffRequest
    from sentinel_tui.ui.screens.diff import DiffScreen
    from sentinel_tui.ui.widgets.diff_view import DiffBody, DiffView

    request = DiffRequest(old=old, new=new, old_label="stored version 1 of /sentinel/policies/big",
                          new_label="big.yaml", kind="local", name="big", file="big.yaml")
    app = App()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        t0 = time.perf_counter()
        screen = DiffScreen(request=request)
        await app.push_screen(screen)
        await pilot.pause()
        view = screen.query_one(DiffView)
        body = screen.query_one(DiffBody)
        opened = time.perf_counter() - t0
        assert view.model is not None and body.render_line(0).text.strip()
        rows = len(body.rows)
        t1 = time.perf_counter()
        await pilot.press("m")  # the meaning diff: both sides parsed in a worker
        await app.workers.wait_for_complete()
        await pilot.pause()
        meaning = time.perf_counter() - t1
        assert view.mode == "meaning" or old is None
        return {"open": opened, "meaning": meaning, "rows": rows,
                "same_meaning": view.model.meaning_same_bytes_differ}


def model_time(old: bytes | None, new: bytes) -> float:
    from sentinel_tui.ops.diffs import DiffRequest, build_diff

    t = time.perf_counter()
    build_diff(DiffRequest(old=old, new=new, old_label="a", new_label="b"), check_meaning=False)
    return time.perf_counter() - t


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    for name, (old, new) in cases(args.lines).items():
        runs = [asyncio.run(_open_once(old, new)) for _ in range(args.repeat)]
        opens = [r["open"] for r in runs]
        count = len(new.splitlines())
        print(f"{name:18}  {count:>5} lines  rows {runs[0]['rows']:>5}  "
              f"model {model_time(old, new) * 1000:6.1f} ms  "
              f"open median {statistics.median(opens) * 1000:6.1f} ms (max {max(opens) * 1000:6.1f})  "
              f"m (meaning diff) {statistics.median(r['meaning'] for r in runs) * 1000:6.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
