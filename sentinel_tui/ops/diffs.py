"""What a push would change: the diff model behind the diff view, and where its inputs come from.

:func:`build_diff` is pure. Given the stored bytes (with the stored signature envelope,
when there is one) and the new bytes, it returns a :class:`DiffModel`: the line diff of
:mod:`sentinel_tui.core.diff`, the SHA-256 of each side, whether the stored signature's
``policy_hash`` covers the stored side, whether the new side would need a new signature,
and whether the two sides mean the same although their bytes differ.

Two modes. ``bytes`` (the default) diffs the exact texts, which is what the signature
covers: trailing spaces, tabs, CRLF, a BOM and the final newline all count. ``meaning``
diffs the texts Go's ``yaml.Marshal`` would print for each side (what the TVM sees), as
``sentinel policy diff`` does; there a byte change without a change in meaning shows as
no change, and the model says that a new signature is needed all the same.

Binary and non-UTF-8 input is refused with a :class:`DiffInputError`, never shown.

The ``load_*`` functions read the inputs through :class:`~sentinel_tui.ops.context.Ops`
(blocking boto3 calls: run them in a worker thread) and return a :class:`DiffRequest`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..errors import SentinelError
from ..aws.store import Parameter
from ..core.diff import BinaryInputError, Diff, decode_text, diff_texts
from ..core.envelope import Envelope, EnvelopeError, parse_envelope, policy_hash
from ..core.paths import policy_path, signature_path
from ..core.policy import PolicyError, check_policy, normalize_policy, parse_policy
from ..fileio import read_policy_file
from . import remedies

__all__ = [
    "MODES", "DiffInputError", "DiffRequest", "DiffModel", "Meaning", "build_diff", "compare_meaning",
    "with_meaning", "stored_label", "versions_with_hash", "find_signed_version", "local_request",
    "versions_request", "signed_request", "load_local", "load_versions", "load_signed", "load_history",
    "push_command", "display_path", "MEANING_SYNC_LIMIT",
]

MODES = ("bytes", "meaning", "access")

#: Above this many bytes (both sides together) parsing for the meaning check takes
#: a noticeable time (about 0.4 s per 4,000-line side): a UI should run it in a worker.
MEANING_SYNC_LIMIT = 64 * 1024


class DiffInputError(SentinelError):
    """Input the diff refuses: binary or non-UTF-8 bytes, or (in meaning mode) YAML that does not parse."""


# --------------------------------------------------------------------------------------
# the request and the model


@dataclass(frozen=True)
class DiffRequest:
    """Everything a diff is made from. ``None`` for a side means it does not exist (yet)."""

    old: bytes | None
    new: bytes | None
    old_label: str
    new_label: str
    #: the stored signature parameter's value, as read (not parsed yet); None when unsigned
    envelope: str | bytes | None = None
    mode: str = "bytes"
    context: int = 3
    #: "local" (stored vs a file), "versions" (two stored versions), "signed" (signed vs current)
    kind: str = "local"
    #: the policy's profile name and SSM path, when known
    name: str | None = None
    path: str | None = None
    #: the file behind the new side, when it is a local file (a push candidate)
    file: str | None = None
    #: the key a push would sign with (the TVM's key, else the settings' default)
    key_id: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")
        if self.context < 0:
            raise ValueError("context must be >= 0")

    def with_(self, **changes) -> "DiffRequest":
        return replace(self, **changes)


@dataclass(frozen=True)
class Meaning:
    """Both sides normalised as Go's yaml.Marshal prints them; ``error`` when a side does not parse."""

    old_text: str | None
    new_text: str | None
    error: str | None = None

    @property
    def same(self) -> bool | None:
        if self.error is not None:
            return None
        return self.old_text == self.new_text


@dataclass(frozen=True)
class DiffModel:
    request: DiffRequest
    diff: Diff
    #: SHA-256 (lowercase hex) of each side's exact bytes; None for a side that does not exist
    old_hash: str | None
    new_hash: str | None
    #: the stored envelope's policy_hash ("" when it has none); None when unsigned or malformed
    envelope_hash: str | None
    #: why the stored envelope could not be read, when it could not
    envelope_error: str | None
    #: the stored signature's policy_hash equals the old side's hash; None when there is no
    #: usable envelope (unsigned, malformed, or without a policy_hash)
    signature_covers_old: bool | None
    signature_covers_new: bool | None
    #: pushing the new side would need a new signature (the stored one does not cover it)
    signing_needed: bool
    bytes_identical: bool
    #: the bytes differ but the meaning does not; None when not known (not checked yet, or a
    #: side does not parse)
    meaning_same_bytes_differ: bool | None
    #: why the meaning could not be compared, when it could not
    meaning_error: str | None = None
    meaning_checked: bool = False
    #: the texts that were diffed: the decoded bytes, or in meaning mode the normalised texts
    old_text: str = ""
    new_text: str = ""
    #: in access mode: the exact access diff (core.access.AccessDiff)
    access: Any = None

    @property
    def mode(self) -> str:
        return self.request.mode

    @property
    def context(self) -> int:
        return self.request.context

    @property
    def old_label(self) -> str:
        return self.request.old_label + (" (normalised)" if self.mode == "meaning" else "")

    @property
    def new_label(self) -> str:
        return self.request.new_label + (" (normalised)" if self.mode == "meaning" else "")

    def meaning_note(self) -> str | None:
        """The sentence for bytes that differ while the meaning does not; None otherwise.

        Whether a new signature is needed follows `signing_needed`: restoring the version the
        stored signature was made for differs in bytes from the current one, yet the stored
        signature covers it, so no new signature is needed (the summary must not say both).
        """
        if self.bytes_identical:
            return None
        same = self.meaning_same_bytes_differ or (
            self.mode == "meaning" and self.diff.identical and self.meaning_error is None)
        if not same:
            return None
        if self.signing_needed:
            return ("The bytes differ but the meaning does not: a new signature is needed "
                    "although nothing changes in effect.")
        return ("The bytes differ but the meaning does not, and the stored signature already covers "
                "the new side: no new signature is needed.")

    def verdict(self) -> str:
        """One plain sentence: what a push of the new side would change."""
        if self.bytes_identical:
            return "No change: both sides hold the same bytes."
        note = self.meaning_note()
        if note:
            return note
        if self.mode == "access" and self.access is not None:
            n = len(self.access.changes)
            return ("Access is identical: no request changes decision." if not n else
                    f"{n} access change{'s' if n != 1 else ''}: requests that change decision.")
        return f"+{self.diff.added} −{self.diff.removed} lines ({self.mode})."

    def summary(self) -> list[str]:
        """The summary as plain lines, for logs and the headless front end."""
        lines = [self.verdict()]
        lines.append(f"{self.request.old_label}: sha256 {self.old_hash or '-'}")
        lines.append(f"{self.request.new_label}: sha256 {self.new_hash or '-'}")
        lines.append("stored signature " + covers_text(self.signature_covers_old, self.envelope_error))
        lines.append("new side: " + ("signing needed" if self.signing_needed else
                                     "no new signature needed" if self.new_hash else "absent"))
        return lines


def covers_text(covers: bool | None, envelope_error: str | None = None) -> str:
    if envelope_error:
        return "unreadable (" + envelope_error + ")"
    if covers is None:
        return "absent: unsigned"
    return "covers the stored side" if covers else "does not cover the stored side (stale)"


# --------------------------------------------------------------------------------------
# building


def _decode(data: bytes | None, label: str) -> str:
    if data is None:
        return ""
    try:
        return decode_text(data, label)
    except BinaryInputError as exc:
        raise DiffInputError(
            f"Cannot diff: {exc}.",
            "Policies are UTF-8 YAML text; check that this is the policy file you meant "
            "(a UTF-16 file must be saved as UTF-8).",
            kind="binary") from None


def _envelope(raw: str | bytes | Envelope | None) -> tuple[Envelope | None, str | None]:
    if raw is None:
        return None, None
    if isinstance(raw, Envelope):
        return raw, None
    try:
        return parse_envelope(raw), None
    except EnvelopeError as exc:
        return None, f"the envelope does not parse: {exc.reason}"


def _normalised(data: bytes | None, label: str) -> tuple[str | None, str | None]:
    if data is None:
        return "", None
    try:
        return normalize_policy(parse_policy(data)), None
    except PolicyError as exc:
        return None, f"{label} does not parse, so it has no meaning to compare: {exc}"


def compare_meaning(old: bytes | None, new: bytes | None, old_label: str = "the stored side",
                    new_label: str = "the new side") -> Meaning:
    """Both sides as the TVM reads them (parse stage), printed as Go's yaml.Marshal does."""
    old_text, old_error = _normalised(old, old_label)
    new_text, new_error = _normalised(new, new_label)
    return Meaning(old_text, new_text, old_error or new_error)


def build_diff(request: DiffRequest, *, check_meaning: bool = True, meaning: Meaning | None = None,
               access: Any = None) -> DiffModel:
    """The diff of ``request`` in its mode, with hashes and signature facts.

    Raises :class:`DiffInputError` for binary or non-UTF-8 input, and in meaning mode when
    a side does not parse. With ``check_meaning=False`` a bytes diff skips parsing (the
    slow part for large inputs); :func:`with_meaning` adds it later.
    """
    old_text = _decode(request.old, request.old_label)
    new_text = _decode(request.new, request.new_label)
    old_hash = policy_hash(request.old) if request.old is not None else None
    new_hash = policy_hash(request.new) if request.new is not None else None
    env, env_error = _envelope(request.envelope)
    env_hash = env.policy_hash if env is not None else None
    covers_old = (env_hash == old_hash) if env_hash and old_hash else None
    covers_new = (env_hash == new_hash) if env_hash and new_hash else None
    if env_hash is not None and not env_hash:
        env_error = env_error or "the envelope has no policy_hash"
    bytes_identical = request.old == request.new

    if request.mode == "meaning" or (check_meaning and not bytes_identical):
        if meaning is None:
            meaning = compare_meaning(request.old, request.new, request.old_label, request.new_label)
    if request.mode == "meaning":
        assert meaning is not None
        if meaning.error is not None:
            raise DiffInputError(meaning.error, "Press m for the bytes diff, which shows the text as it is.",
                                 kind="unparseable")
        old_text, new_text = meaning.old_text or "", meaning.new_text or ""
        diff = diff_texts(old_text, new_text, context=request.context)
    elif request.mode == "access":
        # the access diff (ops.access.compare_access: slow for large policies, give it when known)
        if access is None:
            from .access import compare_access

            try:
                access = compare_access(request.old, request.new, request.old_label, request.new_label)
            except SentinelError as exc:
                access = exc
        if isinstance(access, SentinelError):
            raise DiffInputError(access.what, "Press m for the bytes diff, which shows the text as it is.",
                                 kind="unparseable")
        old_text = new_text = ""
        diff = diff_texts("", "", context=request.context)
    else:
        diff = diff_texts(old_text, new_text, context=request.context)

    same_meaning: bool | None = None
    meaning_error = None
    checked = False
    if bytes_identical:
        same_meaning, checked = False, True
    elif meaning is not None:
        checked = True
        meaning_error = meaning.error
        same_meaning = None if meaning.same is None else bool(meaning.same)
    return DiffModel(
        request=request, diff=diff, old_hash=old_hash, new_hash=new_hash,
        envelope_hash=env_hash, envelope_error=env_error,
        signature_covers_old=covers_old, signature_covers_new=covers_new,
        signing_needed=request.new is not None and not covers_new,
        bytes_identical=bytes_identical, meaning_same_bytes_differ=same_meaning,
        meaning_error=meaning_error, meaning_checked=checked, old_text=old_text, new_text=new_text,
        access=access if request.mode == "access" else None,
    )


def with_meaning(model: DiffModel, meaning: Meaning | None = None) -> DiffModel:
    """``model`` with the meaning comparison filled in (computed here when not given)."""
    if model.meaning_checked:
        return model
    req = model.request
    meaning = meaning or compare_meaning(req.old, req.new, req.old_label, req.new_label)
    return replace(model, meaning_checked=True, meaning_error=meaning.error,
                   meaning_same_bytes_differ=None if meaning.same is None else bool(meaning.same))


# --------------------------------------------------------------------------------------
# history


def stored_label(path: str, version: int | None) -> str:
    if version is None:
        return f"{path} (not stored)"
    return f"stored version {version} of {path}"


def _envelope_hash(envelope: Envelope | str | bytes | None) -> str | None:
    env, _ = _envelope(envelope)
    return env.policy_hash if env is not None and env.policy_hash else None


def versions_with_hash(history: Iterable[Parameter], digest: str) -> list[Parameter]:
    """The stored versions whose exact bytes hash to ``digest``, newest first."""
    digest = (digest or "").lower()
    found = [p for p in history if p.value is not None and policy_hash(p.data) == digest]
    return sorted(found, key=lambda p: p.version, reverse=True)


def find_signed_version(history: Iterable[Parameter], envelope: Envelope | str | bytes | None) -> Parameter | None:
    """The newest stored version the envelope was made for (by its policy_hash), or None."""
    digest = _envelope_hash(envelope)
    if not digest:
        return None
    found = versions_with_hash(history, digest)
    return found[0] if found else None


def display_path(file: str | Path) -> str:
    """A file's path as a label: relative to the working directory when inside it, else ``~/...``
    under the home directory, else as given."""
    p = Path(file)
    try:
        absolute = p.resolve() if not p.is_absolute() else p
        try:
            return str(absolute.relative_to(Path.cwd().resolve()))
        except ValueError:
            pass
        try:
            return "~/" + str(absolute.relative_to(Path.home().resolve()))
        except (ValueError, RuntimeError):
            pass
    except OSError:
        pass
    return str(file)


def local_request(path: str, stored: Parameter | None, signature: Parameter | None, file: str | Path,
                  data: bytes, *, name: str | None = None, key_id: str | None = None,
                  mode: str = "bytes", context: int = 3) -> DiffRequest:
    """The stored policy (old side) against a local file (new side)."""
    return DiffRequest(
        old=stored.data if stored is not None and stored.value is not None else None,
        new=bytes(data),
        old_label=stored_label(path, stored.version if stored is not None else None),
        new_label=display_path(file),
        envelope=signature.value if signature is not None else None,
        mode=mode, context=context, kind="local", name=name, path=path, file=str(file), key_id=key_id,
    )


def _by_version(history: Sequence[Parameter], version: int, path: str) -> Parameter:
    for p in history:
        if p.version == version:
            return p
    have = ", ".join(str(p.version) for p in history) or "none"
    raise SentinelError(f"{path} has no stored version {version} (stored versions: {have}).",
                        "SSM keeps the last 100 versions of a parameter; pick one of those listed.",
                        kind="not-found")


def versions_request(path: str, history: Sequence[Parameter], old_version: int, new_version: int,
                     signature: Parameter | None, *, name: str | None = None,
                     mode: str = "bytes", context: int = 3) -> DiffRequest:
    """Two stored versions of one policy, judged against the current stored signature."""
    old = _by_version(history, old_version, path)
    new = _by_version(history, new_version, path)
    return DiffRequest(
        old=old.data, new=new.data,
        old_label=stored_label(path, old.version), new_label=stored_label(path, new.version),
        envelope=signature.value if signature is not None else None,
        mode=mode, context=context, kind="versions", name=name, path=path,
    )


def signed_request(path: str, history: Sequence[Parameter], signature: Parameter | None, *,
                   name: str | None = None, mode: str = "bytes", context: int = 3) -> DiffRequest:
    """The version the current signature was made for (old side) against the current stored version.

    Raises SentinelError when the policy is unsigned, the envelope does not say which bytes it
    covers, or no stored version has that hash.
    """
    if not history:
        raise SentinelError(f"{path} does not exist: there is no stored policy to compare.",
                            "Check the name and the policy root.", kind="not-found")
    if signature is None or signature.value is None:
        raise SentinelError(f"{path} is not signed: there is no signed version to compare with.",
                            f"Sign the policy ({remedies.push(key='K')}).",
                            kind="unsigned")
    env, env_error = _envelope(signature.value)
    if env is None:
        raise SentinelError(f"The signature of {path} cannot be read: {env_error}.",
                            "Re-sign the policy; the TVM denies every request with this envelope.",
                            kind="malformed")
    if not env.policy_hash:
        raise SentinelError(f"The signature of {path} has no policy_hash: it does not say which bytes it covers.",
                            "Re-sign the policy with sentinel-tui or the Go CLI, which record the hash.",
                            kind="malformed")
    current = max(history, key=lambda p: p.version)
    signed = find_signed_version(history, env)
    if signed is None:
        raise SentinelError(
            f"No stored version of {path} has the hash the signature was made for "
            f"({env.policy_hash[:16]}…): the signed bytes were never stored here, or are older than "
            "the 100 versions SSM keeps.",
            "Compare the stored policy with the file that was signed instead (d on the row, then pick it).",
            kind="not-found")
    return DiffRequest(
        old=signed.data, new=current.data,
        old_label=stored_label(path, signed.version) + " (signed)",
        new_label=stored_label(path, current.version) + " (current)",
        envelope=signature.value, mode=mode, context=context, kind="signed", name=name, path=path,
    )


# --------------------------------------------------------------------------------------
# loading through the operations (blocking: run these in a worker thread)


def load_local(ops, name: str, file: str | Path, *, key_id: str | None = None,
               mode: str = "bytes", context: int = 3) -> DiffRequest:
    from ..fileio import read_policy_file

    path = policy_path(name, ops.settings.policy_root)
    data = read_policy_file(file)
    stored = ops.store.get(path)
    signature = ops.store.get(signature_path(path))
    return local_request(path, stored, signature, file, data, name=name,
                         key_id=key_id or ops.settings.default_key, mode=mode, context=context)


def load_history(ops, name: str) -> list[Parameter]:
    """Every stored version of the policy, oldest first."""
    return ops.store.history(policy_path(name, ops.settings.policy_root))


def load_versions(ops, name: str, old_version: int, new_version: int, *,
                  mode: str = "bytes", context: int = 3) -> DiffRequest:
    path = policy_path(name, ops.settings.policy_root)
    history = ops.store.history(path)
    signature = ops.store.get(signature_path(path))
    return versions_request(path, history, old_version, new_version, signature, name=name,
                            mode=mode, context=context)


def load_signed(ops, name: str, *, mode: str = "bytes", context: int = 3) -> DiffRequest:
    path = policy_path(name, ops.settings.policy_root)
    history = ops.store.history(path)
    signature = ops.store.get(signature_path(path))
    return signed_request(path, history, signature, name=name, mode=mode, context=context)


def push_command(name: str, file: str | Path, key_id: str | None) -> str:
    """The headless command that pushes ``file`` as ``name``, signed, shell-quoted."""
    return remedies.push_quoted(name, file, key_id)


@dataclass(frozen=True)
class FileComparison:
    """A stored policy against a local file, as `policy diff` shows it."""

    path: str
    label: str  # "PATH (version N)" or "PATH (absent)"
    stored: Parameter | None
    remote: bytes  # b"" when absent
    local: bytes
    diff: Diff
    normalized: bool

    @property
    def same_meaning_other_bytes(self) -> bool:
        """The meaning is the same but the bytes differ: pushing needs a new signature."""
        return self.normalized and self.diff.identical and self.remote != self.local


def compare_file(ops, name: str, file: str | Path, *, normalized: bool = False, context: int = 3) -> FileComparison:
    """The stored policy ``name`` against ``file``: the bytes, or (``normalized``) the meaning."""
    local = read_policy_file(file)
    path = policy_path(name, ops.settings.policy_root)
    stored = ops.store.get(path)
    remote = stored.data if stored is not None else b""
    label = f"{path} (version {stored.version})" if stored is not None else f"{path} (absent)"
    if normalized:
        sides = []
        for data, side in ((remote, label), (local, str(file))):
            if not data:
                sides.append("")
                continue
            check = check_policy(data)
            if check.policy is None:
                raise SentinelError(f"{side} does not parse, so it has no meaning to compare: {check.error}",
                                    "Use the byte diff (without --normalized) to see the text.", kind="validation")
            sides.append(normalize_policy(check.policy))
        diff = diff_texts(sides[0], sides[1], context=context)
    else:
        diff = diff_texts(decode_text(remote, label), decode_text(local, str(file)), context=context)
    return FileComparison(path, label, stored, remote, local, diff, normalized)
