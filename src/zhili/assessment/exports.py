"""The ranking as CSV or XLSX: labels in the reader's language, every cell through `core.exports`."""

from __future__ import annotations

from typing import Literal

from fastapi.responses import Response

from zhili.assessment.queries import Ranking
from zhili.core import exports
from zhili.web.i18n import translate

Format = Literal["csv", "xlsx"]
COLUMNS = (
    "assessment.rank",
    "assessment.subject",
    "dimension.timeliness",
    "dimension.quality",
    "dimension.satisfaction",
    "dimension.cross",
    "assessment.penalty",
    "assessment.total",
    "assessment.full_marks",
    "assessment.events",
)


def ranking_file(ranking: Ranking, file_format: Format, language: str) -> Response:
    """The ranking as a download named for its county, month and level."""
    headings = [translate(key, language) for key in COLUMNS]
    rows: list[list[exports.Cell]] = [
        [
            row.rank or None,  # not ranked: nothing counted this month
            row.name,
            *(row.dimensions[key] for key in ("timeliness", "quality", "satisfaction", "cross")),
            row.penalty,
            row.total,
            row.full_marks,
            row.events,
        ]
        for row in ranking.rows
    ]
    if file_format == "csv":
        data, media = exports.to_csv(headings, rows), exports.CSV_MEDIA_TYPE
    else:
        sheet = translate("assessment.title", language)
        data, media = exports.to_xlsx(sheet, headings, rows), exports.XLSX_MEDIA_TYPE
    name = f"assessment-{ranking.county}-{ranking.month}-{ranking.level}.{file_format}"
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
