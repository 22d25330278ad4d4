"""The measured precision of warnings: of those checked, how many were right (arrears, or a real risk resolved)."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from zhili.early_warning.models import EarlyWarning, Enterprise

HITS = ("confirmed_arrears", "risk_resolved")


class Precision(BaseModel):
    """Checked warnings, the right ones among them, and their share (None before any check)."""

    judged: int
    hits: int
    confirmed: int
    share: float | None


def precision(session: Session, seen: ColumnElement[bool]) -> Precision:
    """The precision of the checked warnings of the firms `seen` selects."""
    judged, hits, confirmed = session.execute(
        select(
            func.count(EarlyWarning.verdict),
            func.count(case((EarlyWarning.verdict.in_(HITS), 1))),
            func.count(case((EarlyWarning.verdict == "confirmed_arrears", 1))),
        )
        .join(Enterprise, Enterprise.id == EarlyWarning.enterprise_id)
        .where(seen)
    ).one()
    return Precision(judged=judged, hits=hits, confirmed=confirmed, share=hits / judged if judged else None)
