"""Guided flows: sign, verify, push, restore and bulk re-sign, each a sequence of steps on screen.

Each flow is a screen built on the operations (ops.sign, ops.verify, ops.push,
ops.restore, ops.bulk); AWS work runs in thread workers, `esc` cancels up to the
first write, and every write is audited by the operation itself.

`ui/routes.py` starts them (`routes.open_flow`, from a key or a `:` command).
"""

from __future__ import annotations

from .base import FlowScreen
from .bulk import BulkResignFlow
from .push import PushFlow
from .restore import RestoreFlow
from .sign import SignFlow
from .steps import StepList
from .verify import VerifyFlow

__all__ = ["FlowScreen", "StepList", "SignFlow", "VerifyFlow", "PushFlow", "RestoreFlow", "BulkResignFlow"]
