"""The one module that wires the app: every screen it opens, every `:` command, the palette, the keymap.

`install(app)` registers every `:` command (each is a palette entry too, through
:class:`SentinelCommandProvider`); :func:`open_flow` is the one place the five guided flows
are started, from a key in the browser or from a `:` command; :func:`open_diff` and
:func:`open_doctor` open those views. Screens never import one another to open a view: they
call the app through its shell protocol (``shell(self).open_flow("push", entry=...)``), and
the app hands the call here.

Every key is declared once, with its id (``browser.push``, ``app.help``, ...), in the table
:data:`KEYS` (``ui/keymap.py``, a leaf module each screen takes its ``BINDINGS`` from, since this
one imports every screen); :func:`apply_keymap` lets the settings file's ``[keys]`` table remap
them by id (Textual's ``App.set_keymap``), and :func:`binding_ids` lists every id there is.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence, cast

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from ..errors import SentinelError
from ..ops.fleet import FleetEntry
from .commands import AppCommand, CommandRegistry, split_args
from .keymap import KEYS
from .screens.browser import BrowserScreen
from .screens.command import CommandScreen
from .screens.contexts import ContextImportScreen, ContextsScreen
from .screens.diff import DiffScreen
from .screens.doctor import DoctorScreen
from .screens.error import ErrorScreen
from .screens.explain import ExplainScreen
from .screens.file_picker import FilePicker
from .screens.flows import BulkResignFlow, PushFlow, RestoreFlow, SignFlow, VerifyFlow
from .screens.help import HelpScreen
from .screens.keysetup import KeySetupScreen
from .screens.plan import PlanScreen
from .screens.version_picker import VersionPicker
from .widgets.policy_table import COLUMNS, find_column

if TYPE_CHECKING:  # pragma: no cover
    from .app import SentinelApp

__all__ = [
    "install", "open_flow", "open_diff", "open_doctor", "SentinelCommandProvider", "apply_keymap", "binding_ids",
    "FLOWS", "SCREENS", "KEYS",
]

#: The guided flows, by the word a key or a `:` command names them with.
FLOWS = ("sign", "verify", "push", "restore", "resign")

#: Every screen the app opens (for the help and the tests: one list).
SCREENS = (BrowserScreen, CommandScreen, DiffScreen, DoctorScreen, ErrorScreen, ExplainScreen, FilePicker,
           HelpScreen, KeySetupScreen, VersionPicker, SignFlow, VerifyFlow, PushFlow, RestoreFlow,
           BulkResignFlow, PlanScreen, ContextsScreen, ContextImportScreen)


# -- opening views -------------------------------------------------------------------------------


def open_flow(app: "SentinelApp", which: str, *, entry: FleetEntry | None = None, marked: Sequence[str] = (),
              words: Sequence[str] | None = None) -> None:
    """Start a guided flow: from the browser (``entry`` under the cursor, ``marked`` rows) or from a
    `:` command (``words`` typed after it; the selected row stands in for a missing name)."""
    typed = words is not None
    words = list(words or ())
    if typed:
        entry = app.selected
    ops = app.ops_for(entry)  # with several contexts, the row's own: a write goes to that row's account
    selected = entry.name if entry is not None else None
    local = str(entry.local_path) if entry is not None and entry.local_path is not None else None
    if which == "sign":
        app.push_screen(SignFlow(ops, words[0] if words else (None if typed else local)))
    elif which == "verify":
        if typed and words and Path(words[0]).expanduser().is_file():
            app.push_screen(VerifyFlow(ops, file=words[0], signature=words[1] if len(words) > 1 else None))
        elif typed:
            app.push_screen(VerifyFlow(ops, words[0] if words else selected))
        elif entry is not None and entry.remote:
            app.push_screen(VerifyFlow(ops, selected))
        else:
            app.push_screen(VerifyFlow(ops, selected, file=local))
    elif which == "push":
        name = words[0] if words else selected
        file = words[1] if len(words) > 1 else None
        if typed and words and file is None:  # the policy's file in the local folder, when there is one
            named = app.entry(name)
            file = str(named.local_path) if named is not None and named.local_path is not None else None
        elif not words:
            file = local
        app.push_screen(PushFlow(ops, name, file) if file else PushFlow(ops, name))
    elif which == "restore":
        if typed:
            name = words[0] if words else selected
            if not name:
                raise SentinelError("Restore needs a policy: select its row, or type :restore NAME.", kind="usage")
        else:
            if entry is None or entry.policy is None:
                raise SentinelError("Restore needs a stored policy: select its row first.",
                                    "Only a policy stored in SSM has earlier versions.", kind="usage")
            name = selected
        app.push_screen(RestoreFlow(ops, name))
    elif which == "resign":
        names = words or list(marked) or ([selected] if selected else [])
        if not names:
            if typed:
                raise SentinelError("Re-sign needs policies: mark rows with space, or type :resign NAME...",
                                    kind="usage")
            raise SentinelError("Nothing to re-sign: mark rows with space (or select one).", kind="usage")
        app.push_screen(BulkResignFlow(ops, names))
    else:
        raise ValueError(f"no flow {which!r}")


def open_diff(app: "SentinelApp", name: str, file: str | None = None, *, key_id: str | None = None,
              signed: bool = False, versions: tuple[int, int] | None = None) -> None:
    """The diff view: against ``file``, between two stored ``versions``, or since the signature (``signed``)."""
    ops = app.ops  # pinned: with several contexts, the one in focus (the selected row's) when it opened
    if versions is not None:
        app.push_screen(DiffScreen(name, old_version=versions[0], new_version=versions[1], ops=ops))
    elif file:
        app.push_screen(DiffScreen(name, file, key_id=key_id, ops=ops))
    else:
        app.push_screen(DiffScreen(name, signed=True, ops=ops))


def open_doctor(app: "SentinelApp", name: str, ops: Any = None) -> None:
    app.push_screen(DoctorScreen(ops or app.ops, name))


# -- the `:` commands ------------------------------------------------------------------------------


def install(app: "SentinelApp") -> None:
    """Register every `:` command of the app (and so every palette entry), once."""
    add = app.commands.add

    def browser() -> BrowserScreen:
        app.go_home()
        screen = app.browser
        if screen is None:
            raise SentinelError("The policy browser is not open.", kind="usage")
        return screen

    def sort(arg: str) -> None:
        words = arg.split()
        column = find_column(words[0]) if words else None
        if column is None:
            raise SentinelError(f"No column {arg!r} to sort by.",
                                "Columns: " + ", ".join(c.words for c in COLUMNS), kind="usage")
        reverse = len(words) > 1 and words[1].lower() in ("desc", "reverse", "-", "down")
        browser().sort_by(column.key, reverse)

    def open_policy(arg: str) -> None:
        screen = browser()
        if not screen.table.select_name(arg.strip()):
            raise SentinelError(f"No policy named {arg.strip()!r} is shown.",
                                "Check the name, or clear the filter (esc) and try again.", kind="usage")
        screen.action_open_detail()

    def diff(arg: str) -> None:
        words = split_args(arg)
        name, file = words[0], (words[1] if len(words) > 1 else None)
        if file is None:
            entry = app.entry(name)
            if entry is not None and entry.local_path is not None:
                file = str(entry.local_path)
        # Without a local file: what changed since the stored signature was made.
        open_diff(app, name, file)

    def selected_remote() -> str | None:
        entry = app.selected
        return entry.name if entry is not None and entry.remote else None

    def doctor(arg: str) -> None:
        name = arg.strip() or selected_remote()
        if not name:
            raise SentinelError("The doctor needs a policy: select its row, or type :doctor NAME.", kind="usage")
        open_doctor(app, name)

    def flow(which: str, arg: str) -> None:
        open_flow(app, which, words=split_args(arg))

    def whatif(arg: str) -> None:
        """The What-if tab of a policy (default: the selected one)."""
        screen = browser()
        name = arg.strip()
        if name and not screen.table.select_name(name):
            raise SentinelError(f"No policy named {name!r} is shown.",
                                "Check the name, or clear the filter (esc) and try again.", kind="usage")
        if screen.table.selected_entry is None:
            raise SentinelError("What if needs a policy: select its row, or type :whatif NAME.", kind="usage")
        screen.action_tab("whatif")

    def plan(arg: str) -> None:
        folder = arg.strip() or app.ops.settings.local_dir
        if not folder:
            raise SentinelError("The plan needs a folder: type :plan DIR, or set local_dir in the settings.",
                                kind="usage")
        app.push_screen(PlanScreen(app.ops, str(Path(folder).expanduser())))

    def contexts_screen() -> None:
        def picked(result: tuple[list[str], list] | None) -> None:
            names, specs = result or ([], None)
            if specs is not None:
                app.context_specs = tuple(specs)  # those imported on the screen included
            if names:
                try:
                    app.open_contexts(names)
                except Exception as exc:  # said, never a traceback
                    app.show_error(exc)

        shown = [s.name for s in app.fleet_contexts] or ([app.context_name] if app.context_name else [])
        app.push_screen(ContextsScreen(app.context_specs, shown), picked)

    def contexts(arg: str) -> None:
        words = split_args(arg)
        if not words:
            contexts_screen()
        elif words == ["import"]:
            def imported(added: list | None) -> None:
                known = {c.name for c in app.context_specs}
                app.context_specs = (*app.context_specs, *(c for c in added or () if c.name not in known))

            app.push_screen(ContextImportScreen(), imported)
        else:
            raise SentinelError(f"Unknown :contexts {arg.strip()!r}.",
                                ":contexts lists the contexts; :contexts import offers the AWS config file's profiles.",
                                kind="usage")

    def context(arg: str) -> None:
        words = split_args(arg)
        known = {c.name for c in app.context_specs}
        if not words:
            contexts_screen()
        elif words[0] == "retry" and len(words) == 2:
            app.retry_context(words[1])
        elif words[0] == "retry" and len(words) == 1 and "retry" not in known:
            shown = [s for s in app.fleet_contexts if s.error is not None]
            if len(shown) != 1:
                raise SentinelError("Which context? Type :context retry NAME.", kind="usage")
            app.retry_context(shown[0].name)
        elif len(words) == 1:
            app.open_contexts(words)
        else:
            raise SentinelError(f"Unknown :context {arg.strip()!r}.",
                                ":context NAME shows one context, :context retry NAME loads one again, :contexts "
                                "lists them (and picks several).", kind="usage")

    add("policies", "The policy browser (home)", lambda arg: app.go_home(), aliases=("home", "browser"))
    add("context", "Show one context (its profile, region, root, endpoint); retry NAME loads a failed one again",
        context, arg="NAME|retry NAME", optional_arg=True, aliases=("ctx",))
    add("contexts", "The contexts: which are shown; pick one, several or all (import: from the AWS config file)",
        contexts, arg="[import]", optional_arg=True)
    add("watch", "Toggle the watch: poll for changes, mark changed rows, announce a policy no longer valid",
        lambda arg: app.toggle_watch())
    add("diff", "Byte diff of a policy against a local file (default: its file in the local folder)", diff,
        arg="NAME [FILE]")
    add("open", "Select a policy by name and open its detail pane", open_policy, arg="NAME", aliases=("detail",))
    add("profile", "Switch the AWS profile, once it is found to give credentials (- goes back)",
        app.switch_profile, arg="PROFILE")
    add("region", "Switch the AWS region (a real one; then reload)", app.switch_region, arg="REGION")
    add("root", "Switch the policy root (then reload)", lambda arg: app.switch_context(policy_root=arg),
        arg="PATH", aliases=("policy-root",))
    add("endpoint", "Switch the endpoint URL (an emulator or VPC endpoint); empty: AWS's own",
        lambda arg: app.switch_context(endpoint_url=arg.strip()), arg="URL", optional_arg=True)
    add("refresh", "Re-read what changed", lambda arg: app.reload(), aliases=("r",))
    add("reload", "Read the whole fleet again", lambda arg: app.reload(full=True))
    add("filter", "Filter names and statuses (regex or text; ! inverts; empty clears)",
        lambda arg: browser().set_filter(arg), arg="TEXT", optional_arg=True)
    add("attention", "Toggle: only the policies that need attention", lambda arg: browser().action_attention())
    add("sort", "Sort by a column (add desc to reverse): " + ", ".join(c.words for c in COLUMNS), sort,
        arg="COLUMN")
    add("help", "The keys of this screen and these commands", lambda arg: app.action_help(), aliases=("keys",))
    add("quit", "Leave sentinel-tui", lambda arg: app.exit(0), aliases=("q", "exit"))
    # diagnostics
    add("doctor", "Run every check the TVM and KMS make on a policy, each with its fix", doctor, arg="[NAME]",
        optional_arg=True, aliases=("check",))
    add("explain", "Explain a TVM log line or error text, ranking its causes for this fleet",
        lambda arg: app.push_screen(ExplainScreen(app.ops, arg)), arg="[TEXT]", optional_arg=True,
        aliases=("why",))
    add("keysetup", "Find or create the signing key; IAM, Terraform and Lambda settings filled in",
        lambda arg: app.push_screen(KeySetupScreen(app.ops, arg.strip() or None)), arg="[ALIAS]",
        optional_arg=True, aliases=("key-setup",))
    # the guided flows
    add("sign", "Sign a local policy file: validate, pick a key, sign, save FILE.sig (0600), verify",
        partial(flow, "sign"), arg="[FILE]", optional_arg=True)
    add("verify", "Verify a stored pair (NAME) or a local FILE and its .sig, through KMS or offline",
        partial(flow, "verify"), arg="[NAME|FILE]", optional_arg=True)
    add("push", "Push a local file safely: validate, diff, confirm, sign, write, verify", partial(flow, "push"),
        arg="[NAME FILE]", optional_arg=True)
    add("restore", "Make an earlier signed version of a policy current again", partial(flow, "restore"),
        arg="[NAME]", optional_arg=True, aliases=("rollback",))
    add("resign", "Re-sign the stored bytes of policies (after review)", partial(flow, "resign"),
        arg="[NAME...]", optional_arg=True, aliases=("bulk-resign",))
    # what a policy does (issue 14) and a folder planned against the store (issue 15)
    add("whatif", "Decide a request against a policy: the decision, why not, what the TVM does", whatif,
        arg="NAME", optional_arg=True, aliases=("what-if", "eval"))
    add("plan", "Plan a folder of policy files against the store, then apply it (A)", plan, arg="[DIR]",
        optional_arg=True)


# -- the palette -----------------------------------------------------------------------------------


class SentinelCommandProvider(Provider):
    """The command palette offers every registered command (ctrl+p)."""

    @property
    def _app(self) -> "SentinelApp":
        return cast("SentinelApp", self.app)  # the provider is only installed on SentinelApp

    @property
    def _registry(self) -> CommandRegistry:
        return self._app.commands

    def _target(self, command: AppCommand, arg: str = ""):
        app = self._app
        if command.arg and not arg and not command.optional_arg:
            # An argument is needed: open the `:` line with the command typed in.
            return partial(app.action_command_line, f"{command.name} ")
        return partial(app.execute_command, f"{command.name} {arg}".strip())

    async def discover(self) -> Hits:
        for command in self._registry:
            yield DiscoveryHit(Text(f":{command.usage}"), self._target(command), help=command.help)

    async def search(self, query: str) -> Hits:
        text = query.strip().lstrip(":")
        head, _, rest = text.partition(" ")
        registry = self._registry
        exact = registry.get(head) if head else None
        if exact is not None and rest.strip() and exact.arg:
            yield Hit(1.0, Text(f":{exact.name} {rest.strip()}"), self._target(exact, rest.strip()),
                      text=f":{exact.name} {rest.strip()}", help=exact.help)
        matcher = self.matcher(text)
        for command in registry:
            candidate = f":{command.usage}"
            score = max(matcher.match(candidate), matcher.match(f"{command.name} {command.help}") * 0.8)
            if score > 0:
                yield Hit(score, _highlight(matcher, candidate), self._target(command), text=candidate,
                          help=command.help)


def _highlight(matcher, candidate: str) -> Content:
    """The matcher's highlight of `candidate`, read as plain text (its own reads markup, so that
    `:push [NAME FILE]` lost its `[NAME FILE]`)."""
    score, offsets = matcher.fuzzy_search.match(matcher.query, candidate)
    content = Content(candidate)
    if score:
        for offset in offsets:
            if not candidate[offset].isspace():
                content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


# -- keys --------------------------------------------------------------------------------------------


def binding_ids() -> dict[str, str]:
    """Every binding id of the app, its screens and widgets (the :data:`KEYS` table), with the
    key it has by default."""
    return {binding.id: binding.key for bindings in KEYS.values() for binding in bindings if binding.id}


def apply_keymap(app: "SentinelApp", keys: Mapping[str, str]) -> None:
    """Remap keys by binding id, from the settings file's ``[keys]`` table (``"browser.push" = "ctrl+u"``).

    An id no binding has is refused with the list of ids, so a typo does not silently do nothing.
    """
    if not keys:
        return
    known = binding_ids()
    unknown = sorted(set(keys) - set(known))
    if unknown:
        raise SentinelError(
            f"The settings' [keys] table names no binding {', '.join(repr(k) for k in unknown)}.",
            "Use a binding id: " + ", ".join(sorted(known)) + ".", kind="validation")
    app.set_keymap(dict(keys))
