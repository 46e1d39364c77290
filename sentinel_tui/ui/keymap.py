"""Every key of the app, in one table: what each screen and widget binds, with the ids that the
settings file's ``[keys]`` table remaps them by (``"browser.push" = "ctrl+u"``).

Each screen and widget takes its ``BINDINGS`` from here, by its class name
(``BINDINGS = KEYS["BrowserScreen"]``), so this is the one place to read or change what a key
does anywhere in the app and to see which keys are taken; a binding without an id is one a
remap should not move (cursor keys, a dialog's y/n). `ui/routes.py` lists the ids
(:func:`~sentinel_tui.ui.routes.binding_ids`) and applies the remapping
(:func:`~sentinel_tui.ui.routes.apply_keymap`); `?` shows the keys in force on a screen.

A leaf module (it imports only Textual's public ``Binding``): every screen imports it, and
routes.py imports every screen.
"""

from __future__ import annotations

from textual.binding import Binding

__all__ = ["KEYS"]

def _picker(prefix: str) -> list[Binding]:
    """The keys that move the cursor of a contexts screen's list and pick its row."""
    return [
        Binding("down", "picker('cursor_down')", "Down", show=False, id=f"{prefix}.down"),
        Binding("up", "picker('cursor_up')", "Up", show=False, id=f"{prefix}.up"),
        Binding("home", "picker('first')", "First", show=False, id=f"{prefix}.first"),
        Binding("end", "picker('last')", "Last", show=False, id=f"{prefix}.last"),
        Binding("pagedown", "picker('page_down')", "Page down", show=False, id=f"{prefix}.page_down"),
        Binding("pageup", "picker('page_up')", "Page up", show=False, id=f"{prefix}.page_up"),
        Binding("space", "picker('select')", "Pick", id=f"{prefix}.pick", tooltip="Pick or unpick the row"),
    ]


KEYS: dict[str, list[Binding]] = {
    # The app's, on every screen unless the screen or the focused widget binds the key too (`:` has priority).
    "SentinelApp": [
        # priority: the prompt opens while the app reads the key, so the keys typed right after
        # it reach the prompt and not the widget that had focus (see `on_event`)
        Binding("colon", "command_line", "Command", id="app.command_line", priority=True,
                tooltip="Jump to a view, switch profile, region or root (:help lists the commands)"),
        Binding("question_mark", "help", "Keys", id="app.help", tooltip="The keys that work on this screen"),
        Binding("f1", "help", "Keys", show=False, id="app.help_f1",
                tooltip="The keys that work on this screen (also where ? is typed as text)"),
        Binding("q", "quit", "Quit", show=False, id="app.quit"),
    ],
    # The policy browser (home): filter, sort, the detail pane's tabs, and the guided flows.
    "BrowserScreen": [
        Binding("slash", "filter", "Filter", id="browser.filter", priority=True,  # see action_filter
                tooltip="Filter names and statuses (text or regex; a leading ! inverts)"),
        Binding("a", "attention", "Attention", id="browser.attention",
                tooltip="Show only the policies that need attention (anything not valid)"),
        Binding("s", "sort_next", "Sort", id="browser.sort", tooltip="Sort by the next column"),
        Binding("S", "sort_reverse", "Reverse sort", show=False, id="browser.sort_reverse"),
        Binding("enter", "open_detail", "Detail", show=False, id="browser.detail",
                tooltip="Open the detail pane of the selected policy"),
        Binding("r", "refresh", "Refresh", id="browser.refresh",
                tooltip="Re-read what changed (only parameters whose version moved)"),
        Binding("R", "reload", "Reload all", show=False, id="browser.reload", tooltip="Read the whole fleet again"),
        Binding("escape", "back", "Back", show=False, id="browser.back",
                tooltip="Close the filter, the detail pane, then clear the filter"),
        Binding("1", "tab('policy')", "Policy tab", show=False, id="browser.tab_policy"),
        Binding("2", "tab('signature')", "Signature tab", show=False, id="browser.tab_signature"),
        Binding("3", "tab('tvms')", "TVMs tab", show=False, id="browser.tab_tvms"),
        Binding("4", "tab('history')", "History tab", show=False, id="browser.tab_history"),
        Binding("5", "tab('whatif')", "What-if tab", show=False, id="browser.tab_whatif",
                tooltip="Decide a request against the selected policy, and see what the TVM does"),
        Binding("f", "maximize_detail", "Full detail", show=False, id="browser.maximize",
                tooltip="Show the detail pane on the whole screen (esc restores)"),
        Binding("D", "doctor", "Doctor", show=False, id="browser.doctor",
                tooltip="Run every check the TVM and KMS make on the selected policy, each with its fix"),
        Binding("d", "diff", "Diff", id="browser.diff",
                tooltip="What pushing the local file would change, byte for byte (picks a file when there is none)"),
        # the guided flows (ui/screens/flows); not in the footer yet, so its snapshots hold: ? lists them
        Binding("P", "flow('push')", "Push", show=False, id="browser.push",
                tooltip="Push the selected policy's local file: validate, diff, confirm, sign, write, verify"),
        Binding("v", "flow('verify')", "Verify", show=False, id="browser.verify",
                tooltip="Verify the selected pair through KMS (as the TVM) or offline"),
        Binding("i", "flow('sign')", "Sign file", show=False, id="browser.sign",
                tooltip="Sign a local policy file and save FILE.sig (0600)"),
        Binding("u", "flow('restore')", "Restore", show=False, id="browser.restore",
                tooltip="Make an earlier version whose signature still verifies current again"),
        Binding("space", "mark", "Mark", show=False, id="browser.mark",
                tooltip="Mark or unmark the row for bulk re-signing"),
        Binding("B", "flow('resign')", "Re-sign marked", show=False, id="browser.resign",
                tooltip="Re-sign the stored bytes of the marked rows (unsigned or stale, after review)"),
        Binding("K", "keysetup", "Key setup", show=False, id="browser.keysetup",
                tooltip="Find or create the signing key; the IAM, Terraform and Lambda settings filled in"),
        Binding("w", "watch", "Watch", show=False, id="browser.watch",
                tooltip="Poll every context for changes (metadata only); changed rows are marked ◆, a policy "
                        "that stops being valid is announced"),
    ],
    # The browser's table (with the focus): the cursor, and Home/End to the first/last row.
    "PolicyTable": [
        Binding("enter", "select_cursor", "Detail", show=False, id="table.open"),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("right", "scroll_right", "Scroll right", show=False),
        Binding("left", "scroll_left", "Scroll left", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        # Home/End go to the first/last row (issue 12: Home scrolled sideways); ← → scroll the columns
        Binding("home,ctrl+home", "first_row", "First row", show=False, id="table.first"),
        Binding("end,ctrl+end", "last_row", "Last row", show=False, id="table.last"),
    ],
    # The `:` line.
    "CommandScreen": [
        Binding("escape", "cancel", "Cancel", id="command.cancel"),
        Binding("tab", "complete", "Complete", id="command.complete"),
        # the field's own enter runs when it has focus; an enter typed in a burst can reach the
        # field before the screen has focused it, and then lands here
        Binding("enter", "submit", "Run", show=False, id="command.submit"),
    ],
    # `?`: the keys of the screen underneath.
    "HelpScreen": [
        Binding("escape,question_mark,q", "close", "Close", id="help.close"),
    ],
    # An error: what happened, what to do, details.
    "ErrorScreen": [
        Binding("escape", "dismiss_error", "Close", id="error.close"),
        Binding("enter", "dismiss_error", "Close", show=False, id="error.close_enter"),
        Binding("d", "toggle_details", "Details", id="error.details"),
    ],
    # Picking a local file.
    "FilePicker": [Binding("escape", "cancel", "Cancel")],
    # The diff view of a policy.
    "DiffScreen": [
        Binding("escape", "back", "Back", id="diff.back", tooltip="Close the diff"),
        Binding("P", "push", "Push", id="diff.push", tooltip="Push the local file (signed)"),
        Binding("o", "pick_file", "File", id="diff.pick_file", tooltip="Compare with another local file"),
        Binding("h", "pick_versions", "Versions", id="diff.versions", tooltip="Compare two stored versions"),
        Binding("s", "signed", "Signed", id="diff.signed",
                tooltip="The version the signature was made for against the stored policy now"),
        Binding("r", "reload", "Reload", show=False, id="diff.reload", tooltip="Read the stored policy and the file again"),
    ],
    # The diff itself (inside the diff view and the push flow's review).
    "DiffView": [
        Binding("n", "next_hunk", "Next", id="diff.next_hunk", tooltip="Scroll to the next change"),
        Binding("p", "previous_hunk", "Prev", id="diff.previous_hunk", tooltip="Scroll to the previous change"),
        Binding("plus,equals_sign", "more_context", "Context", key_display="+", id="diff.more_context",
                tooltip="Show more unchanged lines around each change"),
        Binding("minus", "less_context", "Less context", key_display="-", show=False, id="diff.less_context",
                tooltip="Show fewer unchanged lines around each change"),
        Binding("t", "toggle_layout", "Layout", id="diff.layout", tooltip="Side by side or unified"),
        Binding("m", "toggle_mode", "Bytes/Meaning", id="diff.mode",
                tooltip="Bytes: what the signature covers. Meaning: the policy as the TVM reads it. "
                        "Access: which requests change decision"),
    ],
    # Picking two stored versions to compare.
    "VersionPicker": [Binding("escape", "cancel", "Cancel")],
    # The doctor: every check the TVM and KMS make on a policy, each with its fix.
    "DoctorScreen": [
        Binding("escape", "close", "Back", id="doctor.back", tooltip="Close the doctor"),
        Binding("f", "fix", "Fix", id="doctor.fix", tooltip="Start the fixing flow of the selected check"),
        Binding("F", "fix_other", "Other fix", show=False, id="doctor.fix_other",
                tooltip="Start the other fixing flow of the selected check (e.g. restore instead of re-sign)"),
        Binding("r", "rerun", "Run again", id="doctor.rerun", tooltip="Run every check again"),
        Binding("c", "copy", "Copy", id="doctor.copy", tooltip="Copy the report as text"),
    ],
    # Explain a TVM log line or error text (typed into a box: its keys have priority).
    "ExplainScreen": [
        Binding("escape", "close", "Back", priority=True, id="explain.back", tooltip="Close"),
        Binding("ctrl+r", "doctor", "Run doctor", priority=True, id="explain.doctor",
                tooltip="Run the doctor on the policy the text names"),
        Binding("ctrl+l", "clear", "Clear", priority=True, id="explain.clear", tooltip="Clear the text"),
        # ? is text in the box: f1 shows the keys here
        Binding("f1", "app.help", "Keys", priority=True, id="explain.help", tooltip="The keys of this screen"),
    ],
    # Key setup: find or create the signing key.
    "KeySetupScreen": [
        Binding("escape", "close", "Back", id="keysetup.back"),
        Binding("n", "create", "Create key", id="keysetup.create", tooltip="Create the key and its alias"),
        Binding("y", "copy", "Copy", id="keysetup.copy", tooltip="Copy the document shown"),
        Binding("w", "save", "Save", id="keysetup.save", tooltip="Save the document shown to a file (0600)"),
        Binding("m", "make_default", "Default", id="keysetup.default", tooltip="Make it the default key"),
        Binding("u", "sign_unsigned", "Sign unsigned", id="keysetup.sign",
                tooltip="Sign the unsigned policies through the bulk re-sign flow"),
        Binding("a", "edit_alias", "Alias", id="keysetup.alias", tooltip="Check another alias"),
    ],
    # Key setup's yes/no question.
    "ConfirmScreen": [Binding("y", "yes", "Yes"), Binding("n,escape", "no", "No")],
    # Key setup's "save to which file".
    "SavePathScreen": [Binding("escape", "cancel", "Cancel")],
    # A folder planned against the store, then applied.
    "PlanScreen": [
        Binding("escape", "close", "Back", id="plan.back", tooltip="Close the plan (during an apply: stop between items)"),
        Binding("A", "apply", "Apply", id="plan.apply", tooltip="Apply exactly this plan, after a confirmation"),
        Binding("r", "replan", "Plan again", id="plan.replan", tooltip="Read the folder and the store again"),
    ],
    # Every guided flow (sign, verify, push, restore, re-sign).
    "FlowScreen": [
        Binding("escape", "cancel_flow", "Cancel / close", id="flow.cancel",
                tooltip="Before the first write: cancel, nothing changes. After the result: close."),
        Binding("q", "quit_flow", "Close", show=False, id="flow.quit",
                tooltip="Close the flow as esc does (the app's q quits only from the browser); asks while a "
                        "write runs"),
    ],
    # The flows that write (push, restore): on to the next step.
    "WriteFlow": [
        Binding("enter", "proceed", "Continue", id="flow.proceed", tooltip="Go to the next step"),
    ],
    # The sign flow.
    "SignFlow": [
        Binding("P", "push_signed", "Push it", id="sign.push",
                tooltip="After signing: the guided push of the signed file (it asks for the target name)"),
    ],
    # The verify flow.
    "VerifyFlow": [
        Binding("k", "toggle_via", "KMS / offline", id="verify.via",
                tooltip="Verify through KMS (what the TVM does) or offline with the cached public key"),
        Binding("o", "pick_file", "Local file", id="verify.file", tooltip="Verify a local file and its .sig"),
        Binding("t", "stored", "Stored pair", id="verify.stored", tooltip="Verify the stored pair again"),
    ],
    # The bulk re-sign flow.
    "BulkResignFlow": [Binding("enter", "proceed", "Continue", id="bulk.proceed")],
    # `:contexts`: which contexts are shown; pick one, several or all. The list takes no key itself (its
    # screen moves and toggles it, so the keys of a burst are handled in the order typed).
    "ContextPicker": [],
    "ContextsScreen": [
        Binding("escape", "cancel", "Close", id="contexts.close", tooltip="Close; nothing changes"),
        Binding("enter", "show", "Show picked", id="contexts.show",
                tooltip="Show the picked contexts: one as the whole app, several in one table"),
        Binding("a", "all", "All", id="contexts.all", tooltip="Pick every context (again: none)"),
        Binding("i", "import", "Import", id="contexts.import",
                tooltip="Offer the profiles of the AWS config file as contexts (asks before writing)"),
        *_picker("contexts"),
    ],
    # `:contexts import`: the AWS config file's profiles offered as contexts; written only after y.
    "ContextImportScreen": [
        Binding("escape", "cancel", "Cancel", id="contexts_import.cancel", tooltip="Close; nothing is written"),
        Binding("enter", "add", "Add picked", id="contexts_import.add",
                tooltip="Add the picked profiles as contexts (asks first, naming the settings file)"),
        Binding("y", "confirm", "Yes, write", show=False, id="contexts_import.confirm",
                tooltip="Write the picked contexts to the settings file (only after enter)"),
        Binding("n", "cancel", "No", show=False, id="contexts_import.no", tooltip="Write nothing"),
        *_picker("contexts_import"),
    ],
}
