"""The early-warning API's bodies and answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from zhili.core.text import BlankOrText
from zhili.early_warning.feeds.rows import Rejection
from zhili.early_warning.feeds.schema import Feed, FeedKind, Mode
from zhili.early_warning.feeds.service import ImportReport
from zhili.early_warning.loop import Verdict
from zhili.early_warning.register import RegisterReport

MAX_ROWS = 200_000
Cell = str | int | float | None


class RowsBody(BaseModel):
    """Rows as JSON objects, one key per column (the CSV's header names)."""

    model_config = ConfigDict(extra="forbid")

    rows: list[dict[str, Cell]] = Field(min_length=1, max_length=MAX_ROWS)


class RejectionRead(BaseModel):
    """A refused row: its line (the header is line 1; JSON rows count from 2 likewise), column and reason."""

    line: int
    column: str | None
    reason: str

    @classmethod
    def of(cls, rejection: Rejection) -> RejectionRead:
        """From the checker's value."""
        return cls(line=rejection.line, column=rejection.column, reason=rejection.reason)


class FeedImportRead(BaseModel):
    """What an import stored and refused."""

    batch_id: int
    kind: FeedKind
    mode: Mode
    accepted: int
    months: list[str]
    rejected: list[RejectionRead]

    @classmethod
    def of(cls, report: ImportReport) -> FeedImportRead:
        """From the service's report."""
        return cls(
            batch_id=report.batch_id,
            kind=report.kind,
            mode=report.mode,
            accepted=report.accepted,
            months=[str(month) for month in report.months],
            rejected=[RejectionRead.of(r) for r in report.rejected],
        )


class RegisterImportRead(BaseModel):
    """What a register import added, updated and refused."""

    added: int
    updated: int
    rejected: list[RejectionRead]

    @classmethod
    def of(cls, report: RegisterReport) -> RegisterImportRead:
        """From the service's report."""
        return cls(added=report.added, updated=report.updated, rejected=[RejectionRead.of(r) for r in report.rejected])


class ColumnRead(BaseModel):
    """A column of a feed."""

    name: str
    type: str
    required: bool
    unit: str | None
    indicator: str | None
    choices: list[str]
    description: str


class FeedRead(BaseModel):
    """A feed's declared schema."""

    kind: FeedKind
    shape: str
    provider_zh: str
    provider_en: str
    columns: list[ColumnRead]

    @classmethod
    def of(cls, feed: Feed) -> FeedRead:
        """From the declaration."""
        return cls(
            kind=feed.kind,
            shape=feed.shape,
            provider_zh=feed.provider_zh,
            provider_en=feed.provider_en,
            columns=[
                ColumnRead(
                    name=c.name,
                    type=c.type,
                    required=c.required,
                    unit=c.unit,
                    indicator=c.indicator,
                    choices=list(c.choices),
                    description=c.description,
                )
                for c in feed.columns
            ],
        )


class VerdictIn(BaseModel):
    """What checking a warning found."""

    model_config = ConfigDict(extra="forbid")

    verdict: Verdict
    note: BlankOrText | None = Field(default=None, max_length=2000)


class BatchRead(BaseModel):
    """A delivered batch and its provenance; `rejections` holds the first 500 refused rows."""

    id: int
    kind: str
    mode: str
    source: str
    provider: str
    months: list[str]
    rows_accepted: int
    rows_rejected: int
    received_at: datetime
    received_by: str
    rejections: list[RejectionRead]
