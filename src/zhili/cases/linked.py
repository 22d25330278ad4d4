"""Lines other domains add to a case they are linked to: a new early warning about the same employer.

Early warning opens a 欠薪处置 case through `service.report_case`; when the same firm is warned again
while that case is open, the new warning joins it as a timeline line, and its lead is told (the
`warning_joined` turn of `handoffs.TURNS`). The caller owns the transaction.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from zhili.cases import store
from zhili.cases.collaboration import FINISHED
from zhili.cases.service import add_event
from zhili.cases.states import CaseStatus
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit


class LinkedKind(StrEnum):
    """The kinds of line another domain may add."""

    WARNING_JOINED = "warning_joined"


def is_open(session: Session, case_id: int) -> bool:
    """Whether the case is still being handled (not closed, rated, archived or rejected)."""
    return CaseStatus(store.load_any(session, case_id).status) not in FINISHED


def add_linked_event(
    session: Session, *, case_id: int, kind: LinkedKind, details: dict[str, Any], actor: Actor, clock: Clock
) -> None:
    """Append the line to the case's timeline (telling whose turn it is) with its audit record."""
    now = clock.now()
    case = store.lock(session, store.load_any(session, case_id), now)
    text = json.dumps(details, ensure_ascii=False)
    add_event(session, case, kind=kind.value, actor=actor, parties=frozenset(), details=text, at=now)
    audit.record_by(session, actor, f"case.{kind.value}", entity_type="case", entity_id=case.id, after=details, at=now)
    commit(session)
