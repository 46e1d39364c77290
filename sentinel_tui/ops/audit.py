"""The audit log: one JSON line per write (push, sign, restore, key setup), appended.

Lines never carry credentials: the caller is an ARN, values are hashes.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..core.text import scrub
from ..config import state_dir

_lock = threading.Lock()


def audit_path() -> Path:
    return state_dir() / "audit.jsonl"


@dataclass
class AuditLog:
    path: Path | None = None

    def __post_init__(self) -> None:
        self.path = self.path or audit_path()

    def record(self, *, action: str, parameter: str | None, outcome: str, caller: str | None = None,
               version_before: int | None = None, version_after: int | None = None,
               policy_hash: str | None = None, detail: str | None = None, **extra) -> dict:
        line = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "caller": caller,
            "action": action,
            "parameter": parameter,
            "version_before": version_before,
            "version_after": version_after,
            "policy_hash": policy_hash,
            "outcome": outcome,
        }
        if detail:
            line["detail"] = scrub(detail)
        line.update({k: v for k, v in extra.items() if v is not None})
        text = json.dumps(line, ensure_ascii=True, separators=(",", ":")) + "\n"
        assert self.path is not None
        with _lock:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                os.write(fd, text.encode("ascii"))
            finally:
                os.close(fd)
        return line

    def read(self) -> list[dict]:
        assert self.path is not None
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]
