"""Tables of the matter catalog: every loaded version of every matter, kept for the cases that use it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from zhili.core.db import Base, UtcDateTime

SOURCE_FILE = "file"
SOURCE_PAGE = "page"


class MatterVersion(Base):
    """One version of a matter's definition, loaded from its file or saved from its page.

    Rows are never changed after insert except `is_current`: a case stores the id of the version
    it started on, so a newer version never changes a running case. At most one version of a
    code is current (a partial unique index says so on both backends).
    """

    __tablename__ = "matter_versions"
    __table_args__ = (
        UniqueConstraint("code", "version"),
        Index(
            "ix_matter_versions_one_current",
            "code",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    definition: Mapped[str] = mapped_column(Text)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(120))
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where the version came from: its catalog file (a reload compares the file with the content hash
    # of the newest version from the file) or the matter's page (with who saved it and why).
    source: Mapped[str] = mapped_column(String(10), default=SOURCE_FILE, server_default=SOURCE_FILE)
    edited_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
