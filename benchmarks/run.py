"""Run every measurement for each N and write RESULTS.md (and the raw numbers as JSON).

Layout of a run: this process starts the emulator (moto's server, in threads)
and seeds it; every measurement runs in a fresh child process
(`benchmarks.worker`) that talks HTTP to it, so the time, call counts and peak
RSS of a measurement are that child's alone. Measurements never overlap.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import emulator, fleetgen

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = Path(__file__).resolve().parent / "RESULTS.md"
DEFAULT_SIZES = (100, 1000, 5000, 20000)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="fleet sizes N, comma-separated (default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help="N = 20, one sample each: checks that the benchmark works (the smoke test)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="samples of the status load for N <= 1,000 (one above; default %(default)s)")
    parser.add_argument("--naive-cap", type=int, default=1000,
                        help="above this N the naive loop runs on this many policies spread over the fleet "
                             "and is scaled to N (it is linear: 3 independent calls per policy); "
                             "0 = always the whole fleet (default %(default)s)")
    parser.add_argument("--aws-like", default="1000,5000",
                        help="the sizes also measured in AWS-like mode (latency and AWS's default quotas, "
                             "see benchmarks/awslike.py), comma-separated; '' for none (default: %(default)s)")
    parser.add_argument("--aws-naive-cap", type=int, default=100,
                        help="policies the naive loop runs on in AWS-like mode, scaled to N "
                             "(~0.13 s a policy there; default %(default)s)")
    parser.add_argument("--no-app", action="store_true", help="skip the headless app measurements")
    parser.add_argument("--stock-moto", action="store_true",
                        help="do not fix moto's O(N) listing pages (see benchmarks/emulator.py)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the Markdown report (default: %(default)s)")
    parser.add_argument("--json", type=Path, default=None, help="the raw results (default: OUT with .json)")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = "20"
        args.repeat = 1
        args.aws_like = "20"
        args.aws_naive_cap = 10
    try:
        args.sizes = [int(s) for s in str(args.sizes).split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes takes whole numbers, e.g. 100,1000,5000")
    if not args.sizes or min(args.sizes) < 1:
        parser.error("--sizes takes whole numbers of at least 1")
    try:
        args.aws_like = [int(s) for s in str(args.aws_like).split(",") if s.strip()]
    except ValueError:
        parser.error("--aws-like takes whole numbers, e.g. 1000,5000")
    if args.json is None:
        args.json = args.out.with_suffix(".json")
    return args


def machine() -> dict:
    info = {
        "platform": platform.platform(), "python": platform.python_version(),
        "cpus": os.cpu_count(), "cpu": platform.processor() or platform.machine(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    for package in ("moto", "boto3", "botocore", "textual", "cryptography", "ruamel.yaml"):
        try:
            info[package] = version(package)
        except PackageNotFoundError:
            info[package] = None
    try:
        info["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                        text=True, timeout=10).stdout.strip() or None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, timeout=10).stdout.splitlines()
        # earlier results are not code
        info["uncommitted_changes"] = any(not line[3:].startswith("benchmarks/RESULTS.") for line in dirty)
    except (OSError, subprocess.SubprocessError):
        info["commit"] = None
    return info


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


class LoadSampler:
    """The 1-minute load average every `every` seconds while the run goes on (other work on
    the machine shows here: the benchmark's own processes add about one)."""

    def __init__(self, every: float = 15.0) -> None:
        import threading

        self.every = every
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="load-sampler")

    def _run(self) -> None:
        while not self._stop.is_set():
            found = load_average()
            if found:
                self.samples.append(found[0])
            self._stop.wait(self.every)

    def start(self) -> "LoadSampler":
        self._thread.start()
        return self

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join(timeout=5)
        x = self.samples
        return {"samples": len(x), "every_seconds": self.every, "min": min(x, default=None),
                "max": max(x, default=None), "mean": round(sum(x) / len(x), 2) if x else None}


class Runner:
    def __init__(self, url: str, home: str):
        self.url = url
        self.home = home
        self.env = emulator.child_environment(url, home)
        self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        self.count = 0

    def child(self, mode: str, n: int, timeout: float = 900, **extra) -> dict:
        """One measurement in a fresh child process; its JSON result."""
        self.count += 1
        out = Path(self.home) / f"result-{self.count}.json"
        spec = dict(mode=mode, n=n, url=self.url, home=self.home, out=str(out), **extra)
        started = time.perf_counter()
        spec["spawned_at"] = time.time()
        done = subprocess.run([sys.executable, "-m", "benchmarks.worker", json.dumps(spec)], cwd=REPO,
                              env=self.env, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(f"the {mode} measurement at N={n} failed (exit {done.returncode}):\n"
                               f"{done.stderr[-4000:]}")
        result = json.loads(out.read_text())
        result["process_seconds"] = time.perf_counter() - started
        return result


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def measure_size(runner: Runner, emu, n: int, args, log) -> dict:
    emu.reset()
    emu.warm_up()
    log(f"N={n}: seeding")
    fleet = fleetgen.seed(emu.url, n)
    log(f"N={n}: seeded {n} policies in {fleet.seconds:.1f} s; status loads")
    result: dict = {"n": n, "seed": fleet.as_dict(), "load_average_before": load_average()}
    samples = max(1, args.repeat if n <= 1000 else 1)
    loads = [runner.child("load", n) for _ in range(samples - 1)]
    log(f"N={n}: naive loop")
    cap = args.naive_cap if args.naive_cap and n > args.naive_cap else None
    result["naive"] = runner.child("naive", n, cap=cap)
    log(f"N={n}: status load and refresh")
    with_refresh = runner.child("load", n, refresh=True)
    result["refresh"] = with_refresh.pop("refresh")
    loads.append(with_refresh)
    result["loads"] = loads
    seconds = [x["seconds"] for x in loads]
    result["load_seconds"] = median(seconds)
    result["load_seconds_samples"] = seconds
    result["ratio"] = result["naive"]["seconds"] / result["load_seconds"]
    result["formula"] = 2 * math.ceil(n / 10) + fleet.distinct_keys
    result["distinct_keys"] = fleet.distinct_keys
    if n in args.aws_like:
        log(f"N={n}: AWS-like mode: status load, call floors, naive loop")
        aws: dict = {"load": runner.child("load", n, aws_like=True),
                     "floor": runner.child("floor", n, aws_like=True),
                     "metadata_floor": runner.child("floor", n, aws_like=True, metadata=True)}
        cap = args.aws_naive_cap if args.aws_naive_cap and n > args.aws_naive_cap else None
        aws["naive"] = runner.child("naive", n, cap=cap, aws_like=True)
        aws["ratio"] = aws["naive"]["seconds"] / aws["load"]["seconds"]
        aws["of_floor"] = aws["load"]["seconds"] / aws["floor"]["seconds"]
        result["aws_like"] = aws
        if not args.no_app:
            from .app_bench import app_available

            if app_available():
                log(f"N={n}: AWS-like mode: the app, first launch (keeps the cache) and second launch (warm)")
                shutil.rmtree(Path(runner.home) / "cache", ignore_errors=True)
                try:
                    aws["app_cold"] = runner.child("app", n, timeout=3600, aws_like=True, cache="cold",
                                                   interaction=False)
                    aws["app_warm"] = runner.child("app", n, timeout=3600, aws_like=True, cache="warm",
                                                   interaction=False)
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    log(f"N={n}: the AWS-like app measurement failed")
                    aws["app_failed"] = str(exc)[-3000:]
    if not args.no_app:
        from .app_bench import app_available

        if app_available():
            log(f"N={n}: headless app")
            try:
                result["app"] = runner.child("app", n, timeout=3600,
                                             diff_lines=4000 if n == max(args.sizes) else 0)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:  # reported, and a failed check
                log(f"N={n}: the headless app measurement failed")
                result["app"] = {"failed": str(exc)[-3000:]}
        else:
            result["app"] = {"skipped": "sentinel_tui.ui.app is not in this tree yet"}
    result["load_average_after"] = load_average()
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    results: dict = {"machine": machine(), "sizes": {}, "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
                     "load_average_start": load_average(),
                     "settings": {"sizes": args.sizes, "repeat": args.repeat, "naive_cap": args.naive_cap,
                                  "aws_like": args.aws_like, "aws_naive_cap": args.aws_naive_cap,
                                  "aws_paging": not args.stock_moto, "quick": args.quick}}
    sampler = LoadSampler().start()
    log(f"starting the emulator ({'stock moto' if args.stock_moto else 'moto with AWS paging'})")
    emu = emulator.start(aws_paging=not args.stock_moto)
    try:
        results["warm_up_seconds"] = emu.warm_up()
        with tempfile.TemporaryDirectory(prefix="sentinel-bench-") as home:
            runner = Runner(emu.url, home)
            for n in args.sizes:
                results["sizes"][str(n)] = measure_size(runner, emu, n, args, log)
    finally:
        emu.stop()
    results["total_seconds"] = time.perf_counter() - started
    results["load_average_end"] = load_average()
    results["load_average_during"] = sampler.stop()

    from .closing import closing_note
    from .report import checks, evaluate, render

    results["targets"] = evaluate(results)
    results["checks"] = checks(results)
    results["closing_note"] = closing_note(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    args.out.write_text(render(results, json_name=args.json.name))
    log(f"wrote {args.out} and {args.json.name}")
    for target in results["targets"]:
        print(f"{target['verdict']:>12}  {target['target']}: {target['measured']}")
    failed = [c for c in results["checks"] if not c["ok"]]
    for c in failed:
        print(f"CHECK FAILED  N={c['n']}: {c['check']}: {c['detail']}")
    return 1 if failed else 0
