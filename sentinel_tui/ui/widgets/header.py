"""The context header: where you are, always. Account and caller, profile, region, endpoint,
policy root, the verification key and enforcement in force, and READ-ONLY.

Fields are packed into as many lines as the width needs (a field is never split
across lines; one longer than the whole width is shortened with `…`), so at 80
columns nothing is cut off, and at 200 it is one or two lines.

It reads everything from the app (`ops`, `identity`, `selected`), so any screen can
yield a `ContextHeader()`; it never calls AWS itself.
"""

from __future__ import annotations

from time import monotonic

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from ...errors import SentinelError
from ..format import clean, role_style
from ..shell import shell

SEPARATOR = "  "


def pack(fields: list[Text], width: int) -> list[Text]:
    """Greedy line packing of whole fields."""
    width = max(width, 10)
    lines: list[Text] = []
    current = Text()
    for field in fields:
        if field.cell_len > width:
            field = field.copy()
            field.truncate(width - 1)
            field.append("…")
        if current.cell_len and current.cell_len + len(SEPARATOR) + field.cell_len > width:
            lines.append(current)
            current = Text()
        if current.cell_len:
            current.append(SEPARATOR)
        current.append_text(field)
    if current.cell_len or not lines:
        lines.append(current)
    return lines


class ContextHeader(Widget):
    DEFAULT_CSS = """
    ContextHeader {
        height: auto;
        padding: 0 1;
        background: $panel;
        color: $foreground;
    }
    """

    WATCHED = ("ops", "identity", "identity_error", "resolved_region", "selected", "default_key_missing")

    def on_mount(self) -> None:
        for name in self.WATCHED:  # reactives of the app shell (ui/shell.py)
            self.watch(self.app, name, self._context_changed, init=False)
        shell(self).fleet_changed.subscribe(self, self._fleet_changed)

    _refreshed_at = float("-inf")

    def _fleet_changed(self, message) -> None:
        if not shell(self).fleet_contexts:
            return
        # each context's progress and counts: at once when a load starts or ends, at most twice a second
        # while pages stream in (a refresh re-lays the screen)
        now = monotonic()
        if not message.entries or now - self._refreshed_at >= 0.5:
            self._refreshed_at = now
            self.refresh(layout=True)

    def _context_changed(self, *_args) -> None:
        self.refresh(layout=True)

    def _field(self, label: str, value: str, *, style: Style | str = "bold") -> Text:
        text = Text()
        text.append(f"{label} ", style=Style(dim=True))
        text.append(clean(value), style=style)
        return text

    def fields(self) -> list[Text]:
        app = shell(self)
        ops = app.ops
        if ops is None:
            return [Text("sentinel-tui")]
        roles = app.theme_variables
        settings = ops.settings
        out: list[Text] = []
        if settings.read_only:
            out.append(Text(" READ-ONLY ", style=role_style(roles, "warning", bold=True) + Style(reverse=True)))
        contexts = app.fleet_contexts
        focused = next((c for c in contexts if c.ops is ops), None)
        if focused is not None or app.context_name:  # several contexts: the one of the row under the cursor
            name = focused.name if focused is not None else app.context_name or ""
            out.append(self._field("context", name, style=role_style(roles, "accent", bold=True)))
        identity = app.identity
        error = app.identity_error
        if identity is not None:
            out.append(self._field("account", identity.account))
            out.append(self._field("caller", identity.arn, style=""))
        elif error is not None:
            out.append(self._field("account", f"unknown ({error.kind})", style=role_style(roles, "error")))
        else:
            out.append(self._field("account", "…", style=""))
        out.append(self._field("profile", settings.aws_profile or "default"))
        region = settings.region or app.resolved_region or "?"
        out.append(self._field("region", region))
        if settings.endpoint_url:
            out.append(self._field("endpoint", settings.endpoint_url, style=role_style(roles, "accent")))
        out.append(self._field("root", settings.policy_root))
        selected = app.selected
        tvm = ops.fleet.verification_tvm(selected.tvms if selected is not None else ())
        key = tvm.signing_key or (settings.default_key if tvm.source == "settings" else None)
        if key and tvm.source == "settings" and app.default_key_missing:
            # never name a key that is not there as if it were in use
            out.append(self._field("key", f"none ({key} not found: :keysetup)", style=role_style(roles, "warning")))
        else:
            out.append(self._field("key", key or "none"))
        mode = tvm.describe_mode()
        mode_role = "success" if tvm.enforcing and tvm.verifies else "warning"
        if tvm.config_error:
            mode_role = "error"
        source = "settings" if tvm.source == "settings" else tvm.source
        mode_text = self._field("mode", mode, style=role_style(roles, mode_role, bold=True))
        mode_text.append(f" ({clean(source)})", style=Style(dim=True))
        out.append(mode_text)
        out.extend(self._context_summary(context, roles) for context in contexts)
        return out

    def _context_summary(self, context, roles) -> Text:
        """One context of several: its name, then valid / need attention, its progress or its error."""
        text = Text()
        text.append(f"{clean(context.name)} ", style=Style(bold=True, underline=context.ops is shell(self).ops))
        if context.loading:
            text.append(f"loading {context.loaded}…", style=role_style(roles, "accent"))
            return text
        error = context.error or context.watch_error
        if error is not None and not context.snapshot.entries:
            kind = error.kind.replace("-", " ") if isinstance(error, SentinelError) else "error"
            text.append(f"✘ {kind}", style=role_style(roles, "error", bold=True))
            return text
        valid, attention = context.counts()
        text.append(f"✔ {valid}", style=role_style(roles, "success"))
        text.append(" ")
        text.append(f"! {attention}", style=role_style(roles, "warning" if attention else "muted"))
        if error is not None:
            text.append(" ✘", style=role_style(roles, "error", bold=True))
        return text

    def _lines(self, width: int) -> list[Text]:
        return pack(self.fields(), width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Text:
        return Text("\n").join(self._lines(self.content_region.width or self.size.width))
