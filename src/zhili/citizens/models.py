"""The tracking link of a citizen's report: its token is shown once, only its digest is kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from zhili.core.db import Base, UtcDateTime


class CaseTracker(Base):
    """A link that shows one case to whoever holds it (the citizen who reported it) and lets them rate it.

    The token is a bearer secret like an API token: `digest` is its HMAC under the server secret
    (`core.credentials.digest_token`), so a copy of the database cannot open the links.
    """

    __tablename__ = "case_trackers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
