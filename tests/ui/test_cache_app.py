"""The app's warm start: the fleet from the cache at once, marked, then confirmed; `R` and
`--no-cache` bypass it. (The cache itself: tests/ops/test_cache.py.)"""

from __future__ import annotations

import threading

from sentinel_tui.aws.faults import on_call
from sentinel_tui.cli import build_parser
from sentinel_tui.ops.context import Ops
from sentinel_tui.ui.app import SentinelApp
from sentinel_tui.ui.widgets.policy_table import PolicyTable

from .conftest import run, settle
from .flow_helpers import until

VALUE_READS = ("ssm.GetParameter", "ssm.GetParameters", "ssm.GetParametersByPath")


class Calls:
    def __init__(self):
        self.calls: list[str] = []

    def __call__(self, service, client):
        client.meta.events.register("before-call.*.*", self._count)

    def _count(self, model, **kwargs):
        self.calls.append(f"{model.service_model.service_name}.{model.name}")

    def values_read(self) -> int:
        return sum(1 for c in self.calls if c in VALUE_READS)


def summary(app) -> str:
    return app.screen.query_one("#browser-summary").render().plain


def shown(app) -> dict[str, str]:
    table = app.query_one(PolicyTable)
    return {e.name: str(e.status) for e in table.visible()}


def test_second_launch_shows_the_cache_marked_then_confirms_it_and_R_reads_everything(ops, demo):
    async def body():
        first = SentinelApp(ops, use_cache=True)
        async with first.run_test(size=(140, 40)) as pilot:
            await settle(first, pilot)
            expected = shown(first)
            assert "from cache" not in summary(first)

        # The second launch's metadata listing waits until released: the cached table is on screen.
        release = threading.Event()
        calls = Calls()
        hold = on_call("ssm", "DescribeParameters", lambda params: release.wait(30) and None)
        again = Ops.from_settings(ops.settings, audit=ops.audit, hooks=[*ops.clients.hooks, calls, hold])
        second = SentinelApp(again, use_cache=True)
        async with second.run_test(size=(140, 40)) as pilot:
            await until(pilot, lambda: second.fleet.from_cache and shown(second))
            await pilot.pause()
            assert shown(second) == expected
            assert "from cache" in summary(second)
            assert calls.values_read() == 0
            release.set()
            await settle(second, pilot)
            assert not second.fleet.from_cache and "from cache" not in summary(second)
            assert shown(second) == expected
            assert calls.values_read() == 0  # nothing changed: no value read
            # Opening a cached row's detail reads its pair (and only it).
            table = second.query_one(PolicyTable)
            assert table.select_name("production") and table.selected_entry.needs_values
            await pilot.press("enter")
            await until(pilot, lambda: not table.selected_entry.needs_values)
            assert table.selected_entry.policy.value and "prod-default-deny" in table.selected_entry.policy.value
            assert 1 <= calls.values_read() <= 2
            before = calls.values_read()
            # R reads the whole fleet again, whatever the cache holds.
            await pilot.press("R")
            await settle(second, pilot)
            assert calls.values_read() > before and shown(second) == expected

    run(body())


def test_the_cached_table_is_on_screen_while_sts_has_not_answered(ops, demo):
    """STS GetCallerIdentity is held: the cache, found by the account last seen with this
    profile, is shown all the same; once STS answers it is confirmed."""
    async def body():
        first = SentinelApp(ops, use_cache=True)
        async with first.run_test(size=(140, 40)) as pilot:
            await settle(first, pilot)
            expected = shown(first)

        release = threading.Event()
        calls = Calls()
        hold = on_call("sts", "GetCallerIdentity", lambda params: release.wait(30) and None)
        again = Ops.from_settings(ops.settings, audit=ops.audit, hooks=[*ops.clients.hooks, calls, hold])
        second = SentinelApp(again, use_cache=True)
        async with second.run_test(size=(140, 40)) as pilot:
            await until(pilot, lambda: second.fleet.from_cache and shown(second) == expected)
            assert "from cache" in summary(second)
            # The metadata listing goes on beside STS, but nothing is confirmed before the account is.
            await until(pilot, lambda: "ssm.DescribeParameters" in calls.calls)
            await pilot.pause(0.3)
            assert second.fleet.from_cache and "from cache" in summary(second) and calls.values_read() == 0
            release.set()
            await settle(second, pilot)
            assert not second.fleet.from_cache and shown(second) == expected
            assert calls.values_read() == 0 and calls.calls.count("sts.GetCallerIdentity") == 1

    run(body())


def test_a_cache_kept_for_another_account_is_dropped_once_sts_answers(ops, demo):
    """The profile now reaches another account than the one its cache was kept for: the cached
    rows go as soon as STS says so, and the fleet is loaded afresh."""
    from sentinel_tui import cachefile
    from sentinel_tui.ops import cache

    async def body():
        first = SentinelApp(ops, use_cache=True)
        async with first.run_test(size=(140, 40)) as pilot:
            await settle(first, pilot)
            expected = shown(first)
        account = ops.clients.identity().account
        where = {"profile": "", "region": ops.clients.region, "endpoint": ops.settings.endpoint_url or ""}
        document = cachefile.read_cache(cache.cache_key(account, ops.settings, ops.clients.region))
        ghost = dict(document["entries"][0], name="ghost-of-another-account",
                     path=f"{ops.settings.policy_root}/ghost-of-another-account")
        document["entries"] = [ghost]
        other = "999999999999"
        cachefile.write_cache(cache.cache_key(other, ops.settings, ops.clients.region),
                              {k: v for k, v in document.items() if k not in ("format", "key")})
        cachefile.write_account(where, other)

        release = threading.Event()
        calls = Calls()
        hold = on_call("sts", "GetCallerIdentity", lambda params: release.wait(30) and None)
        again = Ops.from_settings(ops.settings, audit=ops.audit, hooks=[*ops.clients.hooks, calls, hold])
        second = SentinelApp(again, use_cache=True)
        async with second.run_test(size=(140, 40)) as pilot:
            await until(pilot, lambda: "ghost-of-another-account" in shown(second))
            release.set()
            await settle(second, pilot)
            assert shown(second) == expected and not second.fleet.from_cache
            assert calls.values_read() > 0  # loaded afresh, not confirmed
            assert cachefile.read_account(where) == account

    run(body())


def test_no_cache_reaches_the_app():
    assert build_parser().parse_args(["--no-cache"]).no_cache is True
    assert not hasattr(build_parser().parse_args([]), "no_cache")
