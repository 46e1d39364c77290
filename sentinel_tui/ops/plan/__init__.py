"""Policies from a folder: `plan` what would change, then `apply` exactly that plan, or nothing.

A folder (a git checkout) holds policy files; a file's path relative to the folder,
without ``.yaml``/``.yml``, is the policy name, as for the local folder setting.

:func:`make_plan` validates every file (one invalid file fails the whole plan, and every
invalid file is named), lists every stored policy under the root once, and gives each
name an action: ``create``, ``update``, ``unchanged``, ``re-sign`` (an unchanged policy
whose stored pair is not valid today, only with ``resign_invalid``), ``delete`` (a stored
policy with no file, only with ``prune``) or ``not managed here``. Each item records the
stored policy and signature versions it was computed against, the SHA-256 of the file,
the byte diff, the TVMs serving it and their enforcement, the size against 4,096 and
what the change does (:func:`describe_change`, the one seam where the access diff of the
policy-semantics issue plugs in).

The plan file is JSON: ``content`` (everything above, plus account, region and root) and
``plan_sha256``, the SHA-256 of ``content`` in canonical form (sorted keys, no spaces,
UTF-8). The time, the caller, the folder's location and the files ignored sit outside
``content`` (in ``made``) on purpose: planning the same folder against the same stored versions gives the same hash
on any machine and by any role, which is what lets CI compare the plan it is about to
apply with the plan that was reviewed.

:func:`apply_plan` refuses, writing nothing, when the hash does not match the content,
the plan was made for another account, region or root, any stored version moved since
(or a policy appeared), the TVMs serving a change are not the plan's, or a planned file's
bytes differ from the plan's hash. Then each
item goes through the write path that exists: create/update through push
(:func:`~sentinel_tui.ops.push.execute_push`: sign first, lock, version check, write,
read back, verify, roll back), re-sign through bulk re-signing, delete under push's
lock and version check with the pair put back on failure. It stops at the first failure
unless ``keep_going``; every audit line carries the plan's hash.

The package, by stage: ``model`` (actions, outcomes, items, the plan file and its hash),
``change`` (what a change does), ``make`` (:func:`make_plan`), ``report`` (the plan as
text and as a review comment), ``apply`` (:func:`check_plan`, :func:`apply_plan`). Every
public name is importable from ``sentinel_tui.ops.plan``.
"""

from __future__ import annotations

from .apply import ApplyProgress, ApplyResult, ItemResult, apply_plan, check_plan
from .change import SUMMARY_CHANGES, Change, describe_change
from .make import FolderScan, make_plan, scan_folder
from .model import (
    APPLIED,
    APPLYING,
    CREATE,
    DELETE,
    MAX_POLICY_BYTES,
    NO_CHANGE,
    NOT_ATTEMPTED,
    NOT_MANAGED,
    NOT_ROLLED_BACK,
    NOTHING_WRITTEN,
    PLAN_FORMAT,
    RESIGN,
    ROLLED_BACK,
    SUFFIXES,
    TESTS_SUFFIX,
    UNCHANGED,
    UPDATE,
    Plan,
    PlanError,
    PlanItem,
    PlanRefused,
    canonical,
    content_hash,
    load_plan,
)
from .report import plan_lines, plan_markdown, result_lines

__all__ = [
    "APPLIED", "APPLYING", "CREATE", "DELETE", "MAX_POLICY_BYTES", "NO_CHANGE", "NOT_ATTEMPTED", "NOT_MANAGED",
    "NOT_ROLLED_BACK", "NOTHING_WRITTEN", "PLAN_FORMAT", "RESIGN", "ROLLED_BACK", "SUFFIXES", "TESTS_SUFFIX",
    "UNCHANGED", "UPDATE", "SUMMARY_CHANGES",
    "ApplyProgress", "ApplyResult", "Change", "FolderScan", "ItemResult", "Plan", "PlanError", "PlanItem",
    "PlanRefused",
    "apply_plan", "canonical", "check_plan", "content_hash", "describe_change", "load_plan", "make_plan",
    "plan_lines", "plan_markdown", "result_lines", "scan_folder",
]
