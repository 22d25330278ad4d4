"""The case queue as a file: every case matching the filter (up to a cap), by its labels, in local time.

One statement reads the rows with the names they show (matter, place, unit); statuses and lights
are written by their zh/en labels, times as Quzhou reads them, every cell through `core.exports`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased
from starlette.responses import Response

from zhili.cases import queue
from zhili.cases.models import Case
from zhili.cases.queue import CaseFilter
from zhili.clocks.lights import light_at
from zhili.core import exports
from zhili.core.auth import Actor
from zhili.core.local_time import LOCAL_ZONE
from zhili.matters.models import MatterVersion
from zhili.org.models import Department, Division
from zhili.web.i18n import translate

Format = Literal["csv", "xlsx"]
EXPORT_CAP = 10_000
COLUMNS = (
    "cases.number",
    "cases.matter",
    "cases.status",
    "cases.light",
    "cases.place",
    "cases.address",
    "cases.lead",
    "cases.reported_at",
    "cases.export.phase_due",
    "cases.description",
)


def _rows(actor: Actor, where: CaseFilter, now: datetime) -> Select[Any]:
    lead, routed = aliased(Department), aliased(Department)
    columns: list[Any] = [
        Case.number,
        MatterVersion.name_zh,
        MatterVersion.name_en,
        Case.status,
        Case.phase_yellow_at,
        Case.phase_due_at,
        Division.name,
        Case.address,
        func.coalesce(lead.name, routed.name),
        Case.created_at,
        Case.description,
    ]
    stmt = (
        select(*columns)
        .join(MatterVersion, MatterVersion.id == Case.matter_version_id)
        .join(Division, Division.code == Case.place_code)
        .outerjoin(lead, lead.id == Case.lead_unit_id)
        .join(routed, routed.id == Case.routed_unit_id)
        .where(*queue.conditions(actor, where, now))
    )
    return queue.ordered(stmt, where.sort).limit(EXPORT_CAP)


def _local(value: datetime | None) -> datetime | None:
    return exports.naive_local(value, LOCAL_ZONE)


def export_rows(
    session: Session, actor: Actor, where: CaseFilter, *, now: datetime, language: str
) -> Iterator[list[exports.Cell]]:
    """The matching cases in the queue's order, as labelled cells; at most `EXPORT_CAP` rows."""
    for number, zh, en, status, yellow_at, due_at, place, address, unit, created_at, text in session.execute(
        _rows(actor, where, now)
    ):
        light = light_at(now, yellow_at, due_at).value if due_at else ""
        yield [
            number,
            en if language == "en" else zh,
            translate(f"status.{status}", language),
            translate(f"light.{light}", language) if light else "",
            place,
            address or "",
            unit,
            _local(created_at),
            _local(due_at),
            text,
        ]


def export_file(
    session: Session, actor: Actor, where: CaseFilter, *, now: datetime, language: str, file_format: Format
) -> bytes:
    """The filtered, scoped case queue as CSV or XLSX bytes."""
    headings = [translate(key, language) for key in COLUMNS]
    rows = export_rows(session, actor, where, now=now, language=language)
    if file_format == "csv":
        return exports.to_csv(headings, rows)
    return exports.to_xlsx(translate("cases.queue", language), headings, rows)


EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {exports.CSV_MEDIA_TYPE: {}, exports.XLSX_MEDIA_TYPE: {}}, "description": "the file"}
}


def download(data: bytes, file_format: Format) -> Response:
    """The file as a download named for the queue."""
    media = exports.CSV_MEDIA_TYPE if file_format == "csv" else exports.XLSX_MEDIA_TYPE
    disposition = f'attachment; filename="cases.{file_format}"'
    return Response(data, media_type=media, headers={"Content-Disposition": disposition})
