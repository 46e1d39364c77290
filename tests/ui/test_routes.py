"""ui/routes.py wires the app once: every : command registered there, keys remapped by binding id."""

from __future__ import annotations

import ast
from pathlib import Path

from sentinel_tui.ops.context import Ops
from sentinel_tui.ui import routes
from sentinel_tui.ui.app import SentinelApp
from sentinel_tui.ui.screens.error import ErrorScreen
from sentinel_tui.ui.screens.flows import PushFlow
from sentinel_tui.ui.screens.help import HelpScreen

from .conftest import run, settle

UI = Path(routes.__file__).parent


def test_every_command_is_registered_in_routes_alone(shared_ops):
    app = SentinelApp(shared_ops)
    for name in ("policies", "diff", "open", "profile", "region", "root", "endpoint", "refresh", "reload",
                 "filter", "attention", "sort", "help", "quit", "doctor", "explain", "keysetup",
                 *routes.FLOWS):
        assert name in app.commands, name
    # nothing but routes registers a command, and no screen imports another inside a function
    for path in UI.rglob("*.py"):
        if path.name in ("routes.py", "app.py"):
            continue
        text = path.read_text()
        assert "register_command(" not in text and "commands.add(" not in text, path
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom) and inner.level and "screens" in (inner.module or ""):
                        raise AssertionError(f"{path}: {node.name} imports {inner.module}")


def test_the_command_registry_imports_neither_textual_nor_the_app():
    tree = ast.parse((UI / "commands.py").read_text())
    imported = {getattr(n, "module", None) or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m.startswith(("textual", "rich")) or m.endswith("app") for m in imported), imported


def test_no_probes_of_the_app_in_ui():
    for path in UI.rglob("*.py"):
        text = path.read_text()
        for probe in ("getattr(self.app", "hasattr(self.app", "getattr(app,", "hasattr(app,"):
            assert probe not in text, (path, probe)


def test_no_getattr_nor_hasattr_anywhere_in_ui():
    """Not only the app: no attribute probe at all in ui/ (errors are told apart by their class,
    a screen's help title and early-keys field are declared on `shell.AppScreen`)."""
    found = []
    for path in sorted(UI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            # a call, or the function passed on or reached as builtins.getattr
            name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
            if name in ("getattr", "hasattr"):
                found.append(f"{path.relative_to(UI)}:{node.lineno}: {name}")
    assert not found, found


def test_the_error_details_name_the_aws_call_and_what_ssm_holds():
    from sentinel_tui.aws.errors import AwsError
    from sentinel_tui.errors import SentinelError
    from sentinel_tui.ops.push import PushError
    from sentinel_tui.ui.screens.error import describe

    detail = describe(AwsError("Refused.", kind="access-denied", service="kms", operation="Sign",
                               code="AccessDeniedException", resource="alias/k", outcome_unknown=True))[3]
    assert "service: kms" in detail and "operation: Sign" in detail and "AWS code: AccessDeniedException" in detail
    assert "resource: alias/k" in detail and "re-read before repeating a write" in detail
    assert describe(PushError("Stopped.", ssm_state="unchanged"))[3] == "SSM now holds: unchanged"
    assert describe(SentinelError("Nope.", kind="usage"))[3] == ""


def test_the_help_is_titled_with_the_screen_it_lists_the_keys_of(shared_ops):
    app = SentinelApp(shared_ops)

    async def body():
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen) and app.screen.title_text == "Keys: Browser"
            await pilot.press("escape", "P")
            await pilot.pause()
            assert isinstance(app.screen, PushFlow)
            await pilot.press("f1")  # ? is text in the flow's name field
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen) and app.screen.title_text == "Keys: Push"

    run(body())


def test_a_key_remapped_in_the_settings_opens_its_flow(shared_ops):
    settings = shared_ops.settings.with_(keys=(("browser.push", "ctrl+u"),))
    ops = Ops(settings=settings, clients=shared_ops.clients, audit=shared_ops.audit, clock=shared_ops.clock)
    app = SentinelApp(ops)

    async def body():
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            await pilot.press("ctrl+u")
            await pilot.pause()
            assert isinstance(app.screen, PushFlow)
            await pilot.press("escape")
            await pilot.pause()
            await pilot.press("P")  # the old key no longer does it
            await pilot.pause()
            assert not isinstance(app.screen, PushFlow)
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)

    run(body())


def test_an_unknown_binding_id_is_refused_with_the_ids_there_are(shared_ops):
    settings = shared_ops.settings.with_(keys=(("browser.pusj", "ctrl+u"),))
    ops = Ops(settings=settings, clients=shared_ops.clients, audit=shared_ops.audit, clock=shared_ops.clock)
    app = SentinelApp(ops)

    async def body():
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(app, pilot)
            assert isinstance(app.screen, ErrorScreen)
            assert "browser.pusj" in app.screen.error.what and "browser.push" in app.screen.error.fix

    run(body())


def test_binding_ids_cover_the_app_and_every_screen():
    ids = routes.binding_ids()
    assert ids["app.help"] == "question_mark" and ids["browser.push"] == "P"
    assert any(i.startswith("diff.") for i in ids) and any(i.startswith("doctor.") for i in ids)
    assert "diff.next_hunk" in ids and "table.open" in ids  # the reusable widgets' keys too
    assert "plan.apply" in ids  # the plan screen's keys are remappable too


def _owners_of_bindings() -> dict[str, tuple[Path, str]]:
    """Class name -> (module file, what its BINDINGS is set to), for every class in ui/ that binds keys."""
    owners: dict[str, tuple[Path, str]] = {}
    for path in sorted(UI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] \
                        if isinstance(stmt, ast.AnnAssign) else []
                    if any(isinstance(t, ast.Name) and t.id == "BINDINGS" for t in targets):
                        assert node.name not in owners, f"two classes named {node.name} bind keys"
                        owners[node.name] = (path, ast.unparse(stmt.value))
    return owners


def test_every_key_of_the_app_is_declared_once_in_the_keymap_table():
    from sentinel_tui.ui import keymap

    assert routes.KEYS is keymap.KEYS
    owners = _owners_of_bindings()
    # each class that binds keys takes its own entry of the table, and no Binding is made elsewhere
    for name, (path, value) in owners.items():
        assert value == f"KEYS['{name}']", f"{path.name}: {name}.BINDINGS = {value}, not KEYS[{name!r}]"
    assert set(owners) == set(keymap.KEYS), set(owners) ^ set(keymap.KEYS)
    for path in UI.rglob("*.py"):
        if path.name != "keymap.py":
            calls = [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Call)
                     and isinstance(n.func, ast.Name) and n.func.id == "Binding"]
            assert not calls, f"{path}: a Binding made outside ui/keymap.py"
    ids = [b.id for bindings in keymap.KEYS.values() for b in bindings if b.id]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_every_key_in_the_table_names_an_action_of_its_screen():
    import importlib

    for name, (path, _) in _owners_of_bindings().items():
        module = importlib.import_module(".".join(("sentinel_tui", "ui", *path.relative_to(UI).with_suffix("").parts)))
        owner = vars(module)[name]
        assert owner.BINDINGS is routes.KEYS[name]
        for binding in owner.BINDINGS:
            action = binding.action.split("(")[0]
            where, _, action = action.rpartition(".")
            target = SentinelApp if where == "app" else owner
            assert callable(getattr(target, f"action_{action}", None)), f"{name}: {binding.key} -> {binding.action}"
