"""Read a stored policy (and its signature) and save it locally: `policy pull`.

The bytes are the stored bytes, unchanged, so a pulled pair still verifies; files are written
atomically with mode 0600 (:mod:`sentinel_tui.fileio`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..aws.store import Parameter
from ..core.paths import policy_path, signature_path
from ..errors import SentinelError
from ..fileio import write_private
from .context import Ops
from .remedies import STATUS_COMMAND


@dataclass(frozen=True)
class Pulled:
    path: str
    policy: Parameter
    signature: Parameter | None  # None when not asked for, or when the policy is unsigned
    signature_path: str


def pull(ops: Ops, name: str, *, with_signature: bool = False) -> Pulled:
    """The stored policy ``name`` (a name or a full path), and its signature when asked for."""
    path = policy_path(name, ops.settings.policy_root)
    param = ops.store.get(path)
    if param is None:
        raise SentinelError(f"{path}: no such policy.",
                            f"Check the name and --policy-root; `{STATUS_COMMAND}` lists them.", kind="not-found")
    sig_path = signature_path(path)
    sig = ops.store.get(sig_path) if with_signature else None
    return Pulled(path, param, sig, sig_path)


def save(pulled: Pulled, output: str | Path, *, force: bool = False) -> tuple[Path, Path | None]:
    """Write the policy to ``output`` and its signature (if any) to ``output.sig``, both 0600."""
    written = write_private(output, pulled.policy.data, overwrite=force)
    sig_written = None
    if pulled.signature is not None:
        sig_written = write_private(f"{output}.sig", (pulled.signature.value or "").encode("utf-8"),
                                    overwrite=force)
    return written, sig_written
