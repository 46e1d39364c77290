"""Counting AWS API calls with botocore's own event system, and reading peak memory."""

from __future__ import annotations

import resource
import threading
from collections import Counter


class CallCounter:
    """A `Clients` hook: counts API calls (`before-call`) and HTTP attempts (`before-send`, retries included)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[str] = []
        self.http_requests = 0

    def __call__(self, service, client) -> None:
        client.meta.events.register("before-call.*.*", self._call)
        client.meta.events.register("before-send.*.*", self._send)

    def _call(self, model, **kwargs) -> None:
        with self._lock:
            self.calls.append(f"{model.service_model.service_name}.{model.name}")

    def _send(self, **kwargs) -> None:
        with self._lock:
            self.http_requests += 1

    def mark(self) -> int:
        return len(self.calls)

    def since(self, mark: int) -> dict[str, int]:
        return dict(sorted(Counter(self.calls[mark:]).items()))


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM on Linux, else ru_maxrss), in MB."""
    kb = _status_kb("VmHWM")
    if kb is None:
        import sys

        raw = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        kb = raw // 1024 if sys.platform == "darwin" else raw  # bytes on macOS, KB elsewhere
    return round(kb / 1024, 1)


def rss_mb() -> float | None:
    kb = _status_kb("VmRSS")
    return None if kb is None else round(kb / 1024, 1)
