"""The intake page (上报问题, `/cases/new`): the form, the point picker's area, photos; a refused form kept by field."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhili.cases import forms, intake, location, queries, service
from zhili.cases.intake_form import IntakeForm, take_report
from zhili.cases.schemas import CaseCreate, CaseRead
from zhili.core import media
from zhili.core.auth import Actor, PageActor
from zhili.core.http import ClockDep, DbSession
from zhili.core.kept_photos import KeptPhoto
from zhili.core.local_time import to_local_input
from zhili.matters import queries as matters
from zhili.org import map_view
from zhili.org.geo import request_locators
from zhili.web.form_errors import FirstReason, FormErrors
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)

CHANNELS_OFFERED = ("hotline", "phone", "web")  # the channels the intake form offers, and a link may give


@router.get("/cases/new")
def intake_form(
    request: Request,
    session: DbSession,
    actor: PageActor,
    clock: ClockDep,
    matter: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{1,59}$")] = None,
    channel: Annotated[str | None, Query(pattern=f"^({'|'.join(CHANNELS_OFFERED)})?$")] = None,
    reporter_name: Annotated[str | None, Query(max_length=60)] = None,
    reporter_phone: Annotated[str | None, Query(max_length=30)] = None,
    again: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """The intake form; choosing a matter shows its attributes; the channel starts on the reporter's own.

    The channel and the caller may be given (the 12345 desk's 登记新来电工单 link): they fill the form,
    and choosing a matter keeps them. `again` (重新上报) fills it from a case the reader may see, one not
    taken say: its matter, description, point, address and attributes, to mend and send as a new report.
    """
    given = {"channel": channel, "reporter_name": reporter_name, "reporter_phone": reporter_phone}
    values: dict[str, object] = {"channel": intake.default_channel(actor)}
    if again is not None:
        earlier_matter, earlier_values = _again(session, actor, again, now=clock.now())
        matter = matter or earlier_matter
        values |= earlier_values
    values.update({name: value for name, value in given.items() if value})
    return _intake_page(request, session, actor, matter=matter, values=values, errors=FormErrors())


def _again(session: Session, actor: Actor, case_id: int, *, now: datetime) -> tuple[str | None, dict[str, object]]:
    """重新上报: the form's matter and values from a case the reader sees (404 otherwise).

    `again` is sent with the report only when it mends that case (the reporter's, not taken, not mended yet),
    with the channel and caller a desk took it from; else the form is a copy to start from.
    """
    earlier = queries.case_read(session, actor, case_id, now=now)
    current = {m.code for m in matters.list_current(session)}
    values = _values_of(earlier)
    if (mended := service.mendable(session, actor, case_id)) is not None:
        values["again"] = case_id
        if mended.channel in CHANNELS_OFFERED:
            values["channel"] = mended.channel
        caller = {"reporter_name": mended.reporter_name, "reporter_phone": mended.reporter_phone}
        values |= {name: value for name, value in caller.items() if value}
    return (earlier.matter_code if earlier.matter_code in current else None), values


def _values_of(case: CaseRead) -> dict[str, object]:
    """A case's report as the intake form's values (`attr.<code>`: text, or a list for several choices)."""
    values: dict[str, object] = {"description": case.description, "address": case.address or ""}
    if case.lon is not None and case.lat is not None:
        values |= {"lon": f"{case.lon:.6f}", "lat": f"{case.lat:.6f}"}
    else:  # reported by a place's name: the place it was found at, named so the form finds it again
        values["place"] = case.place_name
    for code, value in case.attributes.items():
        values[f"attr.{code}"] = [str(v) for v in value] if isinstance(value, list) else to_local_input(str(value))
    return values


def _intake_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    matter: str | None,
    values: dict[str, object] | None,
    errors: FormErrors,
    status_code: int = 200,
    kept_photos: list[KeptPhoto] | None = None,
) -> Response:
    definition = matters.current_definition(session, matter)[1] if matter else None
    context = {
        "actor": actor,
        "matters": matters.list_current(session),
        "definition": definition,
        "errors": errors,
        "values": values or {},
        "area": map_view.scope_bounds(session, actor),
        "max_photos": intake.MAX_INTAKE_PHOTOS,
        "kept_photos": kept_photos or [],
        # A refused form opens at its first reason by a field (focused: a phone scrolls down to it).
        "first_reason": FirstReason(taken=not errors.by_field),
    }
    return renderer(request).render(request, "cases/new.html", context, status_code=status_code)


@router.post("/cases/new")
async def submit_intake(request: Request, actor: PageActor, clock: ClockDep) -> Response:
    """Create the case (with its photos) from the form and show it; a wrong field shows the form again."""
    locators = request_locators(request)

    def report(session: Session, data: CaseCreate, ready: list[media.CheckedPhoto]) -> int:
        return intake.report_with_photos(
            session, data=data, taken=ready, actor=actor, clock=clock, locators=locators
        ).id

    def page(
        session: Session, matter: str | None, values: dict[str, object], errors: FormErrors, kept: list[KeptPhoto]
    ) -> Response:
        return _intake_page(
            request, session, actor, matter=matter, values=values, errors=errors, status_code=422, kept_photos=kept
        )

    taking = IntakeForm(
        path="/cases/new",
        owner=actor.audit_name,
        body=forms.case_from_form,
        schema=CaseCreate,
        report=report,
        done=lambda case_id: RedirectResponse(f"/cases/{case_id}", status_code=303),
        page=page,
        locate=lambda session, point, place: location.resolve(
            session, locators, point=point, place=place, homes=actor.scope.division_prefixes
        ),
    )
    return await take_report(request, taking, clock)
