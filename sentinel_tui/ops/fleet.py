"""Load and refresh the fleet: every policy under the root with its signature, status and verdict.

Cost, for N policies and M signatures: ceil(N/10) + ceil(M/10) GetParametersByPath
pages, one ListFunctions, and one GetPublicKey per distinct key; no KMS call per
policy (signatures are checked locally with the cached public key). A refresh
lists metadata only (DescribeParameters) and re-reads the values whose version
changed.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Callable, Iterable

from ..errors import SentinelError
from ..aws.keys import KeyService
from ..aws.session import Clients
from ..aws.store import Parameter, ParameterStore
from ..aws.tvm import TvmDiscovery
from ..config import Settings
from ..core.paths import policy_name, policy_path, policy_path_for_signature, signature_path, signature_root
from ..core.policy import PolicyCheck, check_policy
from ..core.status import Assessment, Status, assess
from ..core.tvm import TvmConfig
from ..core.tvm import serving as tvms_serving


class LocalState(str, Enum):
    SAME = "same"
    DIFFERS = "differs"
    LOCAL_ONLY = "local only"
    REMOTE_ONLY = "remote only"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class FleetEntry:
    name: str
    path: str
    policy: Parameter | None = None
    signature: Parameter | None = None
    assessment: Assessment | None = None
    tvms: tuple[TvmConfig, ...] = ()
    local: LocalState | None = None
    local_path: Path | None = None
    policy_error: str | None = None
    signature_error: str | None = None
    #: the context (a [contexts.NAME] of the settings) the entry was listed in, when the app shows several
    context: str | None = None

    @property
    def key(self) -> str:
        """What tells the entry apart from every other row: its path, prefixed by its context when it has one
        (several contexts hold the same paths)."""
        return self.path if self.context is None else f"{self.context}:{self.path}"

    @property
    def signature_path(self) -> str:
        return signature_path(self.path)

    @property
    def status(self) -> Status | None:
        return self.assessment.status if self.assessment else None

    @property
    def remote(self) -> bool:
        return self.policy is not None or self.signature is not None or bool(self.policy_error)

    @property
    def needs_values(self) -> bool:
        """Listed with its versions but not its values (a row from the cache): read before acting on it."""
        return ((self.policy is not None and self.policy.value is None and not self.policy_error)
                or (self.signature is not None and self.signature.value is None and not self.signature_error))

    def policy_check(self) -> PolicyCheck | None:
        """The TVM's parse check of the stored policy, with its model (None: not checked).

        The fleet keeps of each check only what the row and the status need (the error and
        the warnings): the models of thousands of policies would hold ~13 KB each. The model
        is parsed again here, for the one entry a view looks at."""
        check = self.assessment.check if self.assessment is not None else None
        if (check is not None and check.policy is None and check.stage != "parse" and self.policy is not None
                and self.policy.value is not None):
            return check_policy(self.policy.data)
        return check

    @property
    def pending(self) -> bool:
        """Listed, but its pair is not known yet (loading, or a load that stopped part-way)."""
        return self.assessment is None and self.remote


@dataclass
class FleetSnapshot:
    root: str
    entries: dict[str, FleetEntry] = field(default_factory=dict)
    tvms: list[TvmConfig] = field(default_factory=list)
    complete: bool = False
    error: SentinelError | None = None
    loaded_at: datetime | None = None
    from_cache: bool = False  # shown from the local cache (ops/cache.py), not confirmed yet
    # A fleet from the cache: the account it was kept for (checked against STS before it is
    # confirmed: ops/cache.same_account) and the public keys kept with it (used once it is).
    account: str | None = None
    public_keys: dict = field(default_factory=dict, repr=False, compare=False)

    def sorted_entries(self) -> list[FleetEntry]:
        return sorted(self.entries.values(), key=lambda e: e.name)

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for entry in self.entries.values():
            key = str(entry.status) if entry.status else ("pending" if entry.pending else "local only")
            found[key] = found.get(key, 0) + 1
        return found


Update = Callable[[list[FleetEntry]], None]


def local_file_for(local_dir: str | Path | None, name: str) -> Path | None:
    if not local_dir:
        return None
    return Path(local_dir) / f"{name}.yaml"


def _local_state(local_dir: str | None, name: str, policy: Parameter | None,
                 policy_hash: str | None = None) -> tuple[LocalState | None, Path | None]:
    """The local file against the stored policy (by its hash when the value was not read: a cached row)."""
    path = local_file_for(local_dir, name)
    if path is None:
        return None, None
    try:
        data = path.read_bytes() if path.is_file() else None
    except OSError:
        data = None
    if data is None:
        return (LocalState.REMOTE_ONLY if policy is not None else None), None
    if policy is None:
        return LocalState.LOCAL_ONLY, path
    if policy.value is None and policy_hash:
        return (LocalState.SAME if hashlib.sha256(data).hexdigest() == policy_hash else LocalState.DIFFERS), path
    return (LocalState.SAME if data == policy.data else LocalState.DIFFERS), path


def keep_values(new: FleetSnapshot, current: FleetSnapshot) -> None:
    """Rows of `new` without values (from the cache) take `current`'s row of the same versions that has them."""
    for path, entry in new.entries.items():
        if not entry.needs_values:
            continue
        known = current.entries.get(path)
        if (known is not None and not known.needs_values and _version(known.policy) == _version(entry.policy)
                and _version(known.signature) == _version(entry.signature)):
            new.entries[path] = known


def _version(param: Parameter | None) -> int | None:
    return param.version if param is not None else None


def with_local_state(snapshot: FleetSnapshot, local_dir: str | None) -> None:
    """Each row's local state from the files now (rows without values compare the policy's hash),
    and a row for each local file with no stored policy."""
    for path, entry in list(snapshot.entries.items()):
        local, local_path = _local_state(local_dir, entry.name, entry.policy,
                                         entry.assessment.policy_hash if entry.assessment else None)
        if (local, local_path) != (entry.local, entry.local_path):
            snapshot.entries[path] = replace(entry, local=local, local_path=local_path)
    for name in _local_names(local_dir):
        path = policy_path(name, snapshot.root)
        if path not in snapshot.entries:
            snapshot.entries[path] = FleetEntry(name=name, path=path, local=LocalState.LOCAL_ONLY,
                                                local_path=local_file_for(local_dir, name))


def _local_names(local_dir: str | None) -> list[str]:
    if not local_dir or not Path(local_dir).is_dir():
        return []
    base = Path(local_dir)
    # NAME.tests.yaml beside a policy holds its tests (policy test), not a policy
    return sorted(str(p.relative_to(base).with_suffix("")) for p in base.rglob("*.yaml")
                  if p.is_file() and not p.name.endswith(".tests.yaml"))


class _ParallelListing:
    """Both prefixes listed at once, one thread each, pages handed over in arrival order.

    The two listings are independent GetParametersByPath chains, so running them side
    by side halves the wall time of a load without adding a single call.
    """

    def __init__(self, store: ParameterStore, paths: dict[str, str]):
        self.store = store
        self.paths = paths
        self.cancelled = False
        self._queue: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._started = False

    def _produce(self, kind: str, path: str) -> None:
        try:
            for page in self.store.list_values(path, decrypt=False):
                if self._stop.is_set():
                    return
                self._queue.put((kind, page, None))
            self._queue.put((kind, None, None))
        except BaseException as exc:  # handed to the consumer, raised there
            self._queue.put((kind, None, exc))

    def start(self) -> None:
        """Start both listings (pages wait in the queue until `pages` takes them)."""
        if self._started:
            return
        self._started = True
        self.store.clients.client("ssm")  # build the client once, before two threads want it
        for kind, path in self.paths.items():
            threading.Thread(target=self._produce, args=(kind, path), daemon=True, name=f"sentinel-list-{kind}").start()

    def stop(self) -> None:
        self._stop.set()

    def pages(self, cancelled: Callable[[], bool]):
        """Yield (kind, page) and (kind, None) once a listing is complete; raise its error."""
        self.start()
        open_kinds = set(self.paths)
        failure: BaseException | None = None
        try:
            while open_kinds:
                if cancelled():
                    self.cancelled = True
                    return
                try:
                    kind, page, exc = self._queue.get(timeout=0.05)
                except queue.Empty:
                    continue
                if exc is not None:
                    # The other listing goes on: what it reads is shown (as pending rows) before the
                    # error is raised, whichever of the two threads happened to fail first.
                    open_kinds.discard(kind)
                    failure = failure or exc
                    continue
                if page is None:
                    open_kinds.discard(kind)  # complete: its partner's rows can be decided
                yield kind, page
            if failure is not None:
                raise failure
        finally:
            self._stop.set()


class _VersionListing:
    """The versions under both prefixes (DescribeParameters), listed side by side in two threads.

    Against AWS each call waits tens of milliseconds: one chain after the other would
    take twice as long, and would stay below the read quota that bounds a listing."""

    def __init__(self, store: ParameterStore, root: str):
        self._stop = threading.Event()
        self._found: dict[str, dict[str, int]] = {}
        self._errors: list[BaseException] = []
        self._threads = [threading.Thread(target=self._list, args=(store, kind, path), daemon=True,
                                          name=f"sentinel-versions-{kind}")
                         for kind, path in (("policy", root), ("signature", signature_root(root)))]
        store.clients.client("ssm")  # built once, before two threads want it
        for thread in self._threads:
            thread.start()

    def _list(self, store: ParameterStore, kind: str, path: str) -> None:
        found: dict[str, int] = {}
        try:
            for page in store.list_metadata(path):
                if self._stop.is_set():
                    return
                found.update({p.name: p.version for p in page})
        except BaseException as exc:  # raised by result()
            self._errors.append(exc)
            return
        self._found[kind] = found

    def cancel(self) -> None:
        self._stop.set()

    def result(self) -> tuple[dict[str, int], dict[str, int]]:
        """(policy path -> version, signature parameter -> version); raises a listing's error."""
        for thread in self._threads:
            thread.join()
        if self._errors:
            raise self._errors[0]
        return self._found["policy"], self._found["signature"]


def _without_model(assessment: Assessment | None) -> Assessment | None:
    """`assessment` keeping of its policy check the error and the warnings, not the parsed
    model (see `FleetEntry.policy_check`, which parses it again when a view wants it)."""
    check = assessment.check if assessment is not None else None
    if check is None or check.policy is None:
        return assessment
    return replace(assessment, check=PolicyCheck(None, check.error, check.warnings))


class _Beside:
    """`work()` in a thread of its own, started now; `result()` waits for its answer (False
    when it raised: what cannot be checked is not confirmed)."""

    def __init__(self, work: Callable[[], bool]) -> None:
        self._answer = False
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True, name="sentinel-beside")
        self._thread.start()

    def _run(self, work: Callable[[], bool]) -> None:
        try:
            self._answer = bool(work())
        except Exception:
            self._answer = False

    def result(self) -> bool:
        self._thread.join()
        return self._answer


class FleetService:
    """The one place both front ends go for policy state."""

    def __init__(self, clients: Clients, settings: Settings, *, keys: KeyService | None = None,
                 store: ParameterStore | None = None, tvm_discovery: TvmDiscovery | None = None):
        self.clients = clients
        self.settings = settings
        self.keys = keys or KeyService(clients)
        self.store = store or ParameterStore(clients)
        self.tvm_discovery = tvm_discovery or TvmDiscovery(clients)
        self._no_public_key: set[str] = set()
        self._lock = threading.Lock()

    # -- verification -------------------------------------------------------------

    def verify(self, key: str, message: bytes, signature: bytes) -> bool:
        """Local RSA-PSS with the cached public key; KMS Verify when the public key cannot be had."""
        if key not in self._no_public_key:
            try:
                return self.keys.verify_local(key, message, signature)
            except SentinelError as exc:
                if getattr(exc, "kind", "") != "access-denied":
                    raise
                with self._lock:
                    self._no_public_key.add(key)
        return self.keys.verify_kms(key, message, signature)

    def settings_tvm(self) -> TvmConfig:
        return TvmConfig(source="settings", policy_parameter=None,
                         signing_key=self.settings.default_key or None, enforce_raw=None)

    def tvm_list(self) -> list[TvmConfig]:
        """Every TVM of the account; none when lambda:ListFunctions is denied (callers then say no
        TVM was found). Any other failure raises."""
        try:
            return self.tvm_discovery.list()
        except SentinelError as exc:
            if exc.kind != "access-denied":
                raise
            return []

    def serving(self, path: str, tvms: Iterable[TvmConfig] | None = None) -> tuple[TvmConfig, ...]:
        """The TVMs that serve the policy ``path`` (a name or a full path): "which TVMs serve this".

        Among ``tvms`` when given (a snapshot's list), else listed now by :meth:`tvm_list`.
        """
        if not path.startswith("/"):
            path = policy_path(path, self.settings.policy_root)
        return tvms_serving(path, self.tvm_list() if tvms is None else tvms)

    def verification_tvm(self, serving: tuple[TvmConfig, ...]) -> TvmConfig:
        """The TVM whose key judges a policy: the first that serves it, else the settings."""
        for tvm in serving:
            if tvm.signing_key:
                return tvm
        return serving[0] if serving else self.settings_tvm()

    def assess_entry(self, entry: FleetEntry, tvm: TvmConfig | None = None) -> Assessment | None:
        if entry.policy is None and entry.signature is None and not entry.policy_error:
            return None
        tvm = tvm or self.verification_tvm(entry.tvms)
        return assess(
            entry.path,
            policy=entry.policy.data if entry.policy is not None else None,
            signature=entry.signature.value if entry.signature is not None else None,
            tvm=tvm, verify=self.verify,
            verification_key=tvm.signing_key or self.settings.default_key or None,
            policy_error=entry.policy_error, signature_error=entry.signature_error,
        )

    def _finish(self, entry: FleetEntry) -> FleetEntry:
        local, local_path = _local_state(self.settings.local_dir, entry.name, entry.policy)
        entry = replace(entry, local=local, local_path=local_path)
        return replace(entry, assessment=_without_model(self.assess_entry(entry)))

    # -- loading ------------------------------------------------------------------

    def _read_values(self, names: list[str]) -> tuple[dict[str, Parameter], dict[str, str]]:
        """Values (decrypted) in batches of ten; when a batch fails, each name alone, to find which."""
        if not names:
            return {}, {}
        errors: dict[str, str] = {}
        try:
            return self.store.get_many(names), errors
        except SentinelError:
            found: dict[str, Parameter] = {}
            for name in names:
                try:
                    one = self.store.get(name)
                except SentinelError as exc:
                    errors[name] = exc.what
                else:
                    if one is not None:
                        found[name] = one
            return found, errors

    def _decrypt_secure(self, page: list[Parameter]) -> tuple[list[Parameter], dict[str, str]]:
        """Values of SecureString parameters, read one batch with decryption; errors per name."""
        secure = [p.name for p in page if p.type == "SecureString"]
        if not secure:
            return page, {}
        found, errors = self._read_values(secure)
        # An unreadable value is dropped (value None), keeping the listing's version and date.
        return [replace(p, value=None) if p.name in errors else found.get(p.name, p) for p in page], errors

    def load(self, on_update: Update | None = None,
             cancelled: Callable[[], bool] = lambda: False) -> FleetSnapshot:
        """Read the fleet page by page, reporting entries as soon as their pair is known."""
        root = self.settings.policy_root
        snap = FleetSnapshot(root=root)
        emit = on_update or (lambda entries: None)
        # The listings start first: the TVM discovery (one ListFunctions) runs while their first
        # pages are on their way, instead of before them.
        listing = _ParallelListing(self.store, {"policy": root, "signature": signature_root(root)})
        try:
            listing.start()
            snap.tvms = self.tvm_discovery.list()
        except SentinelError as exc:
            if getattr(exc, "kind", "") not in ("access-denied",):
                listing.stop()
                snap.error = exc
                return snap
            snap.tvms = []  # without lambda:ListFunctions the settings stand in
        policies: dict[str, Parameter] = {}
        policy_errors: dict[str, str] = {}
        signatures: dict[str, Parameter] = {}
        done: set[str] = set()
        finished: set[str] = set()

        def entry_for(path: str) -> FleetEntry:
            return FleetEntry(
                name=policy_name(path, root), path=path, policy=policies.get(path),
                signature=signatures.get(path), policy_error=policy_errors.get(path),
                tvms=self.serving(path, snap.tvms),
            )

        try:
            for kind, page in listing.pages(cancelled):
                ready: list[str] = []
                pending: list[str] = []
                if page is None:
                    finished.add(kind)
                    if kind == "signature":  # every policy without a signature now is unsigned
                        ready.extend(p for p in policies if p not in done)
                    else:  # every signature without a policy now is an orphan
                        ready.extend(p for p in signatures if p not in done)
                elif kind == "policy":
                    page, errors = self._decrypt_secure(page)
                    policy_errors.update(errors)
                    for param in page:
                        policies[param.name] = param
                        known = param.name in signatures or "signature" in finished
                        (ready if known else pending).append(param.name)
                else:
                    page, _ = self._decrypt_secure(page)
                    for param in page:
                        target = policy_path_for_signature(param.name, root)
                        if target is None:
                            continue
                        signatures[target] = param
                        if target in policies or "policy" in finished:
                            ready.append(target)
                entries = []
                for path in dict.fromkeys(ready):
                    if path in done:
                        continue
                    done.add(path)
                    entries.append(self._finish(entry_for(path)))
                for path in pending:
                    if path not in done:
                        entries.append(entry_for(path))
                for entry in entries:
                    snap.entries[entry.path] = entry
                if entries:
                    emit(entries)
            if listing.cancelled:
                snap.error = SentinelError("Loading was cancelled.", "Press r to load again.", kind="cancelled")
        except SentinelError as exc:
            snap.error = exc
        else:
            if snap.error is None:
                snap.complete = True
                local_only = []
                for name in _local_names(self.settings.local_dir):
                    path = policy_path(name, root)
                    if path not in snap.entries:
                        entry = self._finish(FleetEntry(name=name, path=path))
                        snap.entries[path] = entry
                        local_only.append(entry)
                if local_only:
                    emit(local_only)
        snap.loaded_at = datetime.now(timezone.utc)
        return snap

    def confirm(self, cached: FleetSnapshot, on_update: Update | None = None,
                cancelled: Callable[[], bool] = lambda: False, *,
                same_account: Callable[[], bool] | None = None) -> FleetSnapshot | None:
        """Confirm a fleet shown from the cache (ops/cache.py): metadata listings, and values only for
        the rows whose versions moved. A change of the TVMs' configuration drops the cache: a full load.

        `same_account` (ops/cache.same_account: STS) runs beside the listings and the TVM
        discovery; when it says the cache was kept for another account, nothing is confirmed
        and None is returned (the caller drops the rows and loads afresh)."""
        listing = self._list_versions(cached.root)  # started now, beside the TVM discovery
        check = _Beside(same_account) if same_account is not None else None
        try:
            tvms = self.tvm_discovery.list()
        except SentinelError:
            tvms = None
        if check is not None and not check.result():
            listing.cancel()
            return None
        if tvms is None or sorted(map(repr, tvms)) != sorted(map(repr, cached.tvms)):
            listing.cancel()
            return self.load(on_update, cancelled)
        return self.refresh(cached, on_update, cancelled, tvms=tvms, listing=listing)

    def _list_versions(self, root: str) -> "_VersionListing":
        return _VersionListing(self.store, root)

    def refresh(self, snapshot: FleetSnapshot, on_update: Update | None = None,
                cancelled: Callable[[], bool] = lambda: False, *,
                tvms: list[TvmConfig] | None = None, listing: "_VersionListing | None" = None) -> FleetSnapshot:
        """Re-read only what changed: metadata listings, then values whose version moved."""
        if not snapshot.complete or snapshot.root != self.settings.policy_root:
            if listing is not None:
                listing.cancel()
            return self.load(on_update, cancelled)
        emit = on_update or (lambda entries: None)
        root = snapshot.root
        snap = FleetSnapshot(root=root, entries=dict(snapshot.entries), tvms=list(snapshot.tvms))
        listing = listing or self._list_versions(root)  # both prefixes side by side, beside the discovery
        if tvms is not None:
            snap.tvms = list(tvms)
        else:
            try:
                snap.tvms = self.tvm_discovery.list()
            except SentinelError:
                pass
        try:
            current_p, signed = listing.result()
            current_s: dict[str, int] = {}
            for name, version in signed.items():
                target = policy_path_for_signature(name, root)
                if target is not None:
                    current_s[target] = version
        except SentinelError as exc:
            snap.error = exc
            snap.complete = True
            snap.loaded_at = snapshot.loaded_at
            return snap
        changed_names: list[str] = []
        touched: set[str] = set()
        for path in set(current_p) | set(current_s) | {e.path for e in snapshot.entries.values() if e.remote}:
            old = snapshot.entries.get(path)
            old_pv = old.policy.version if old and old.policy else None
            old_sv = old.signature.version if old and old.signature else None
            if current_p.get(path) != old_pv:
                touched.add(path)
                if path in current_p:
                    changed_names.append(path)
            if current_s.get(path) != old_sv:
                touched.add(path)
                if path in current_s:
                    changed_names.append(signature_path(path))
        tvm_changed = [t for t in snap.tvms if t not in snapshot.tvms] or [t for t in snapshot.tvms if t not in snap.tvms]
        for t in tvm_changed:
            if t.policy_parameter:
                touched.add(t.policy_parameter)
        # A row re-assessed needs both values: those never read (a row from the cache) are read too.
        wanted = set(changed_names)
        for path in touched:
            old = snapshot.entries.get(path)
            if old is None:
                continue
            if path in current_p and old.policy is not None and old.policy.value is None and path not in wanted:
                changed_names.append(path)
            sig_name = signature_path(path)
            if (path in current_s and old.signature is not None and old.signature.value is None
                    and sig_name not in wanted):
                changed_names.append(sig_name)
        values, read_errors = self._read_values(changed_names)
        updates = []
        for path in touched:
            if cancelled():
                break
            old = snapshot.entries.get(path) or FleetEntry(name=policy_name(path, root), path=path)
            policy = values.get(path) if path in current_p else None
            if (path in current_p and policy is None and path not in read_errors and old.policy
                    and old.policy.version == current_p[path] and old.policy.value is not None):
                policy = old.policy
            sig_name = signature_path(path)
            signature = values.get(sig_name) if path in current_s else None
            if (path in current_s and signature is None and old.signature and old.signature.version == current_s[path]
                    and old.signature.value is not None):
                signature = old.signature
            unchanged_policy = policy is old.policy and old.policy is not None
            entry = FleetEntry(name=old.name, path=path, policy=policy, signature=signature,
                               policy_error=read_errors.get(path) or (old.policy_error if unchanged_policy else None),
                               signature_error=read_errors.get(sig_name),
                               tvms=self.serving(path, snap.tvms))
            if not entry.remote:
                snap.entries.pop(path, None)
                local, lp = _local_state(self.settings.local_dir, entry.name, None)
                if local == LocalState.LOCAL_ONLY:
                    snap.entries[path] = self._finish(entry)
                    updates.append(snap.entries[path])
                continue
            snap.entries[path] = self._finish(entry)
            updates.append(snap.entries[path])
        # local files change without any AWS call: recompute their state for everyone
        for path, entry in list(snap.entries.items()):
            if path in touched:
                continue
            local, lp = _local_state(self.settings.local_dir, entry.name, entry.policy,
                                     entry.assessment.policy_hash if entry.assessment else None)
            if local != entry.local:
                if local is None and not entry.remote:
                    snap.entries.pop(path)
                    continue
                snap.entries[path] = replace(entry, local=local, local_path=lp)
                updates.append(snap.entries[path])
        for name in _local_names(self.settings.local_dir):
            path = policy_path(name, root)
            if path not in snap.entries:
                snap.entries[path] = self._finish(FleetEntry(name=name, path=path))
                updates.append(snap.entries[path])
        if updates:
            emit(updates)
        snap.complete = True
        snap.loaded_at = datetime.now(timezone.utc)
        return snap

    def entry(self, name_or_path: str, tvms: list[TvmConfig] | None = None) -> FleetEntry:
        """Read one pair fresh (after a write, or for the doctor)."""
        root = self.settings.policy_root
        path = policy_path(name_or_path, root)
        if tvms is None:
            try:
                tvms = self.tvm_discovery.list()
            except SentinelError:
                tvms = []
        policy_error = signature_error = None
        policy = signature = None
        try:
            policy = self.store.get(path)
        except SentinelError as exc:
            policy_error = exc.what
        try:
            signature = self.store.get(signature_path(path))
        except SentinelError as exc:
            signature_error = exc.what
        entry = FleetEntry(name=policy_name(path, root), path=path, policy=policy, signature=signature,
                           policy_error=policy_error, signature_error=signature_error,
                           tvms=self.serving(path, tvms))
        return self._finish(entry)
