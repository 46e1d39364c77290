"""What a plan says, for a terminal (:func:`plan_lines`) and for a pull request
(:func:`plan_markdown`); what an apply did (:func:`result_lines`)."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from .model import (APPLIED, CREATE, DELETE, NO_CHANGE, NOT_ATTEMPTED, NOT_MANAGED, RESIGN, UNCHANGED, UPDATE,
                    Plan)

if TYPE_CHECKING:
    from .apply import ApplyResult

def plan_lines(plan: Plan, *, diffs: bool = True) -> list[str]:
    c = plan.counts()
    lines = [f"Plan for account {plan.account}, region {plan.region}, root {plan.root}"
             + (f" (folder {plan.folder})" if plan.folder else "")]
    items = plan.items
    width = max([len(i.name) for i in items] + [4])
    for item in items:
        extra = ""
        if item.action in (CREATE, UPDATE):
            extra = f"+{item.added} −{item.removed}, {item.size:,} bytes"
        elif item.action == DELETE:
            extra = f"version {item.stored_version}"
        elif item.status and item.status != "valid":
            extra = f"stored pair {item.status}"
        lines.append(f"  {item.action:16} {item.name:{width}}  {extra:24}  {item.tvm_text()}")
        if item.change and item.applies:
            lines.append(f"  {'':16} {'':{width}}  {item.change_kind}: {item.change}")
        if item.tests and item.applies:
            lines.append(f"  {'':16} {'':{width}}  tests ({item.tests_file}): {item.tests}")
        for note in item.notes:
            lines.append(f"  {'':16} {'':{width}}  note: {note}")
    if c[NOT_MANAGED]:
        lines.append(f"  ({c[NOT_MANAGED]} stored polic{'y has' if c[NOT_MANAGED] == 1 else 'ies have'} no file in "
                     "the folder: not managed here; --prune would delete them)")
    for ignored in plan.made.get("ignored", []):
        lines.append(f"  ignored: {ignored}")
    for warning in plan.made.get("warnings", []):
        lines.append(f"  warning: {warning}")
    if diffs:
        for item in plan.changes:
            if item.diff:
                lines.append("")
                lines.append(item.diff.rstrip("\n"))
    lines.append("")
    lines.append(f"Plan: {c[CREATE]} to create, {c[UPDATE]} to update, {c[RESIGN]} to re-sign, {c[DELETE]} to "
                 f"delete; {c[UNCHANGED]} unchanged, {c[NOT_MANAGED]} not managed here.")
    lines.append(f"Plan hash: {plan.sha256}")
    return lines


def _md_cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|").replace("\n", " ")


def _fence(text: str, lang: str = "diff") -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{text.rstrip(chr(10))}\n{ticks}"


def plan_markdown(plan: Plan) -> str:
    """A pull-request comment: a summary, a table, and each change's diffs collapsed."""
    from ...core.text import inert

    c = plan.counts()
    out = [f"### sentinel-tui plan for `{_md_cell(plan.root)}` (account {_md_cell(plan.account)}, "
           f"{_md_cell(str(plan.region))})", ""]
    if plan.has_changes:
        out.append(f"**{c[CREATE]} to create, {c[UPDATE]} to update, {c[RESIGN]} to re-sign, {c[DELETE]} to "
                   f"delete**; {c[UNCHANGED]} unchanged, {c[NOT_MANAGED]} not managed here.")
    else:
        out.append(f"**No changes.** {c[UNCHANGED]} unchanged, {c[NOT_MANAGED]} not managed here.")
    out += ["", "| policy | action | size | TVMs | what it changes | stored versions (policy/signature) |",
            "|---|---|---|---|---|---|"]
    unmanaged = [i for i in plan.items if i.action == NOT_MANAGED]
    for item in plan.items:
        if item.action == NOT_MANAGED:
            continue
        tvm = ", ".join(f"{t['name']} ({'**enforcing**' if t['enforcing'] else _md_cell(t['mode'])})"
                        for t in item.tvms) or "–"
        size = f"{item.size:,} / 4,096" if item.size is not None else "–"
        what = item.change if item.applies else (f"stored pair {item.status}" if item.status not in (None, "valid")
                                                  else "")
        notes = "; ".join(item.notes + ((f"tests: {item.tests}",) if item.tests else ()))
        out.append(f"| `{_md_cell(item.name)}` | {item.action} | {size} | {tvm} | {_md_cell(what)}"
                   f"{'<br>' + _md_cell(notes) if notes else ''} | "
                   f"{item.stored_version if item.stored_version is not None else '–'}/"
                   f"{item.signature_version if item.signature_version is not None else '–'} |")
    for item in plan.changes:
        out += ["", f"<details><summary><code>{_md_cell(item.name)}</code>: {item.action}"
                + (f" (+{item.added} −{item.removed})" if item.action in (CREATE, UPDATE) else "")
                + "</summary>", ""]
        if item.diff:
            out += ["Bytes (what the signature covers):", "", _fence(inert(item.diff)), ""]
        if item.change_diff:
            out += [f"{item.change_kind.capitalize()}:", "", _fence(inert(item.change_diff)), ""]
        out.append("</details>")
    if unmanaged:
        out += ["", f"<details><summary>{len(unmanaged)} stored polic{'y' if len(unmanaged) == 1 else 'ies'} with "
                "no file here: not managed here" + (" (--prune would delete them)" if not
                                                    plan.content.get("options", {}).get("prune") else "")
                + "</summary>", ""]
        for item in unmanaged:
            state = f" (stored pair {item.status})" if item.status not in (None, "valid") else ""
            out.append(f"- `{_md_cell(item.name)}`{_md_cell(state)}")
        out += ["", "</details>"]
    ignored = plan.made.get("ignored", [])
    if ignored:
        out += ["", "Ignored: " + ", ".join(f"`{_md_cell(i)}`" for i in ignored)]
    out += ["", f"Plan hash: `{plan.sha256}`", ""]
    return "\n".join(out)


def result_lines(result: ApplyResult) -> list[str]:
    lines = []
    for item in result.items:
        if item.state == NO_CHANGE:
            continue
        lines.append(f"  {item.state:24} {item.action:8} {item.name}" + (f": {item.detail}" if item.detail else ""))
        if item.ssm_state and item.state not in (APPLIED, NOT_ATTEMPTED):
            lines.append(f"  {'':24} SSM now holds: {item.ssm_state}")
        if item.fix and item.state not in (APPLIED, NOT_ATTEMPTED):
            lines.append(f"  {'':24} fix: {item.fix}")
    lines.append(result.summary() + f". Plan {result.plan_sha256}.")
    return lines
