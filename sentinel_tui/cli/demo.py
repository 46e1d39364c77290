"""`sentinel-tui demo`: the app (or `--serve`, the store alone) on an embedded emulator.

The emulator (moto's server on 127.0.0.1) is seeded through the AWS APIs by ``demo/``;
everything the demo writes lives in one temporary folder, removed on every exit.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..config import ConfigError, Settings
from ..ops import remedies
from .app import open_app
from .base import EXIT_OK, err, out, settings_from


def demo_settings(url: str, workspace: Path) -> Settings:
    return Settings(endpoint_url=url, region="us-east-1", local_dir=str(workspace / "policies"))


def start_demo(workspace: Path, *, empty: bool = False):
    """Start the emulator, seed it through the AWS APIs, and return (emulator, ops).

    `empty`: seed nothing in the store (no policy, no key, no TVM); the local folder gets
    one first policy to sign and push. The emulator is stopped if seeding fails or is
    interrupted.
    """
    from ..demo.fleet import demo_hooks, seed, seed_empty
    from ..demo.server import start_emulator, use_demo_credentials
    from ..ops.audit import AuditLog
    from ..ops.context import Ops

    os.environ["SENTINEL_TUI_CONFIG_DIR"] = str(workspace / "config")
    os.environ["SENTINEL_TUI_STATE_DIR"] = str(workspace / "state")
    use_demo_credentials()
    emulator = start_emulator()
    try:
        settings = demo_settings(emulator.url, workspace)
        ops = Ops.from_settings(settings, audit=AuditLog(workspace / "state" / "audit.jsonl"),
                                hooks=[] if empty else demo_hooks())
        if empty:
            seed_empty(Path(settings.local_dir))
        else:
            seed(ops.clients, root=settings.policy_root, local_dir=Path(settings.local_dir))
    except BaseException:
        emulator.stop()
        raise
    return emulator, ops


def start_demo_accounts(workspace: Path, n: int, *, key_spec: str = "RSA_4096"):
    """Start the emulator with N seeded accounts; the AWS config file and the contexts; (emulator, ops of account 1)."""
    from dataclasses import replace as dc_replace

    from ..config import ContextSpec, save_settings
    from ..demo.accounts import REGION, demo_accounts, seed_accounts, write_aws_config
    from ..demo.fleet import demo_hooks
    from ..demo.server import start_emulator, use_demo_credentials
    from ..ops.audit import AuditLog
    from ..ops.context import Ops

    accounts = demo_accounts(n)
    os.environ["SENTINEL_TUI_CONFIG_DIR"] = str(workspace / "config")
    os.environ["SENTINEL_TUI_STATE_DIR"] = str(workspace / "state")
    use_demo_credentials()
    emulator = start_emulator()
    try:
        aws_config = write_aws_config(workspace / "aws" / "config", emulator.url, accounts)
        os.environ["AWS_CONFIG_FILE"] = str(aws_config)
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(workspace / "aws" / "credentials")
        settings = demo_settings(emulator.url, workspace)
        seed_accounts(emulator.url, accounts, local_dir=Path(settings.local_dir), key_spec=key_spec)
        contexts = tuple(ContextSpec(a.context, profile=a.profile, region=REGION, endpoint_url=emulator.url)
                         for a in accounts)
        save_settings(dc_replace(settings, contexts=contexts))
    except BaseException:
        emulator.stop()
        raise
    ops = Ops.from_settings(settings, audit=AuditLog(workspace / "state" / "audit.jsonl"), hooks=demo_hooks())
    return emulator, ops, accounts


def cmd_demo_accounts(args, workspace: Path) -> int:
    err(f"Starting the demo store (moto on 127.0.0.1) with {args.accounts} accounts…")
    emulator, ops, accounts = start_demo_accounts(workspace, args.accounts)
    try:
        if args.serve:
            out(f"Demo store serving at {emulator.url}, {len(accounts)} accounts: "
                + ", ".join(f"{a.context} ({a.account})" for a in accounts))
            out("Point aws and sentinel-tui at it with:")
            out("  unset AWS_PROFILE AWS_SESSION_TOKEN")
            out(f"  export AWS_CONFIG_FILE={os.environ['AWS_CONFIG_FILE']}")
            out(f"  export AWS_SHARED_CREDENTIALS_FILE={os.environ['AWS_SHARED_CREDENTIALS_FILE']}")
            out(f"  export AWS_ENDPOINT_URL={emulator.url}")
            out("  export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_DEFAULT_REGION=us-east-1")
            out(f"  export SENTINEL_TUI_CONFIG_DIR={workspace / 'config'} SENTINEL_TUI_STATE_DIR={workspace / 'state'}")
            out(f"  export SENTINEL_TUI_LOCAL_DIR={ops.settings.local_dir}")
            out(f"  {remedies.status(json=True, all_contexts=True)}")
            out(f"The default credentials reach {accounts[0].context} ({accounts[0].account}); "
                f"`aws --profile demo-K` reaches account K.")
            out("Serving until interrupted (Ctrl-C); the demo's folder is removed then.")
            sys.stdout.flush()
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return EXIT_OK
        from ..config import load_settings
        from ..demo.fleet import demo_hooks
        from ..ops.multi import build_targets

        base = load_settings()  # the demo's: its endpoint, local folder and one context per account
        read_only = bool(getattr(args, "read_only", False))

        def make_targets(specs):  # account 1 keeps the demo's one denied read (team/finance)
            targets = build_targets(base, specs, audit=ops.audit,
                                    hooks=lambda name: demo_hooks() if name == accounts[0].context else [],
                                    flags=lambda s: s.with_(read_only=True) if read_only else s)
            for target in targets:  # the local folder holds account 1's files: the others have none
                if target.name != accounts[0].context:
                    target.ops = target.ops.switch(local_dir="")
            return targets

        targets = make_targets(base.contexts)  # every account at once
        return open_app(targets[0].ops, use_cache=False, targets=targets, make_targets=make_targets)
    finally:
        emulator.stop()


@contextmanager
def demo_workspace(prefix: str = "sentinel-tui-demo-") -> Iterator[Path]:
    """The demo's temporary folder (settings, audit log, local policies), removed on every exit.

    `q`, an error, Ctrl-C (KeyboardInterrupt) leave through `finally`; SIGTERM and SIGHUP
    (a closed terminal or tmux pane) remove the folder in their handler, then end the
    process as the signal would have. Only SIGKILL leaves it behind.
    """
    workspace = Path(tempfile.mkdtemp(prefix=prefix))

    def remove() -> None:
        shutil.rmtree(workspace, ignore_errors=True)

    def on_signal(signum, _frame) -> None:
        remove()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if sig is not None:
                previous[sig] = signal.signal(sig, on_signal)
    try:
        yield workspace
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        remove()


def _print_serve(emulator, ops, workspace: Path, empty: bool) -> None:
    out(f"{'Empty demo' if empty else 'Demo'} store serving at {emulator.url}")
    out(f"Local policy files: {ops.settings.local_dir}")
    out("Point aws and sentinel-tui at it with:")
    out(f"  export AWS_ENDPOINT_URL={emulator.url}")
    out("  export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_DEFAULT_REGION=us-east-1")
    out(f"  export SENTINEL_TUI_LOCAL_DIR={ops.settings.local_dir}")
    # the demo's settings and audit log stay in its folder, removed when it stops
    out(f"  export SENTINEL_TUI_CONFIG_DIR={workspace / 'config'} SENTINEL_TUI_STATE_DIR={workspace / 'state'}")
    if empty:
        out("The store is empty: no policy, no signing key, no TVM. The way in:")
        out(f"  {remedies.keys_setup(yes=True)}                  # create alias/sentinel-policy-signing")
        out(f"  {remedies.push('dev', str(Path(ops.settings.local_dir) / 'dev.yaml'), sign=False)}   "
            "# sign and push a first policy")
        out(f"  {remedies.STATUS_COMMAND}")
    else:
        out(f"  {remedies.STATUS_COMMAND}")
    out("Serving until interrupted (Ctrl-C); the demo's folder is removed then.")
    sys.stdout.flush()


def cmd_demo(args) -> int:
    empty = bool(getattr(args, "empty", False))
    with demo_workspace() as workspace:
        if getattr(args, "accounts", None) is not None:
            if empty:
                raise ConfigError("--accounts and --empty do not go together: the accounts are seeded")
            return cmd_demo_accounts(args, workspace)
        err(f"Starting the {'empty ' if empty else ''}demo store (moto on 127.0.0.1)…")
        emulator, ops = start_demo(workspace, empty=empty)
        try:
            if args.serve:
                _print_serve(emulator, ops, workspace, empty)
                try:
                    while True:
                        time.sleep(3600)
                except KeyboardInterrupt:
                    return EXIT_OK
            ops = ops.switch(**{k: v for k, v in vars(settings_from(args, ops.settings)).items()
                                if k == "read_only" and v})
            return open_app(ops, use_cache=False)  # a fresh store on a new port each time: a cache never serves
        finally:
            emulator.stop()
