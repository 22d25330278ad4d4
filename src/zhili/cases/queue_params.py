"""The case queue's query parameters, shared by `GET /api/v1/cases`, `/cases` and its export.

A page's filter form sends an empty value for "any", so every parameter accepts an empty string
and treats it as not given; anything else that does not fit is a 422 at the edge.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, cast

from fastapi import Query

from zhili.cases.queue import CaseFilter, Light, Sort, TodoFilter
from zhili.cases.schemas import normalised_phone
from zhili.cases.states import CaseStatus
from zhili.core.errors import InvalidInputError
from zhili.org.division_code import PATTERN_OR_EMPTY

_STATUSES = "|".join(s.value for s in CaseStatus)
_DATE = r"^(\d{4}-\d{2}-\d{2})?$"


# A day whose local midnight, or the next one, falls outside years 1–9999 in UTC cannot be compared.
_FIRST_DAY, _LAST_DAY = date(2, 1, 1), date(9998, 12, 31)


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInputError(f"{text} is not a date") from exc
    if not _FIRST_DAY <= day <= _LAST_DAY:
        raise InvalidInputError(f"{text} is not a date between {_FIRST_DAY} and {_LAST_DAY}")
    return day


def case_filter(  # noqa: PLR0917 - one argument per documented query parameter
    q: Annotated[
        str | None, Query(max_length=60, description="search the case number, attributes (plate …) and description")
    ] = None,
    status: Annotated[str | None, Query(pattern=rf"^({_STATUSES})?$", description="the case status")] = None,
    matter: Annotated[str | None, Query(pattern=r"^([a-z][a-z0-9_]{1,59})?$", description="the matter code")] = None,
    division: Annotated[str | None, Query(pattern=PATTERN_OR_EMPTY, description="place in this division")] = None,
    unit: Annotated[str | None, Query(pattern=r"^(\d{1,9})?$", description="the lead unit's id")] = None,
    light: Annotated[str | None, Query(pattern=r"^(green|yellow|red)?$", description="the light now")] = None,
    overdue: Annotated[bool, Query(description="open and past its phase's due time (red)")] = False,
    due_soon: Annotated[bool, Query(description="open and due soon (yellow)")] = False,
    due: Annotated[str | None, Query(pattern=r"^(soon|over)?$", description="soon = due_soon, over = overdue")] = None,
    todo: Annotated[
        str | None,
        Query(
            pattern=r"^(accept|sign|handle|help|extend|verify|rate|mine)?$",
            description="waiting for you: accept (待受理), sign (待签收), handle (待办理: start, reply or close), "
            "help (待回复协同), extend (待审批延期), verify (待核查), rate (待评价: closed, yours to rate or to call "
            "back for); mine: any of these (待我处理)",
        ),
    ] = None,
    caller: Annotated[
        str | None,
        Query(
            pattern=r"^[+\d\s-]{0,30}$",
            description="the reporter's phone (spaces and dashes ignored): the cases that caller reported, "
            "among those you dispatch (the 12345 desk)",
        ),
    ] = None,
    since: Annotated[str | None, Query(pattern=_DATE, description="reported on or after (local date)")] = None,
    until: Annotated[str | None, Query(pattern=_DATE, description="reported on or before (local date)")] = None,
    sort: Annotated[
        str | None, Query(pattern=r"^(newest|oldest|due)?$", description="newest (default), oldest, due soonest")
    ] = None,
) -> CaseFilter:
    """The filter the query parameters describe."""
    return CaseFilter(
        status=status or None,
        matter=matter or None,
        division=division or None,
        unit=int(unit) if unit else None,
        light=cast("Light", light) if light else None,
        overdue=overdue or due == "over",
        due_soon=due_soon or due == "soon",
        todo=cast("TodoFilter", todo) if todo else None,
        q=q.strip() if q and q.strip() else None,
        caller=normalised_phone(caller),
        since=_date(since),
        until=_date(until),
        sort=cast("Sort", sort) if sort else "newest",
    )
