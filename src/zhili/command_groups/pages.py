"""The command groups' pages: the list, the opening form, a group's page with its live timeline, the report.

Handlers are thin: read the form, call one service in the thread pool, and either go back to the group
(303) or show the page again with the input kept and each error beside its field (422; 409 as a note).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhili.command_groups import case_lines, forms, groups, queries, visibility
from zhili.command_groups.groups import AREA_LEVELS, OPENING_ROLES, GroupOpen
from zhili.command_groups.lifecycle import MemberRole, form_keys
from zhili.command_groups.members import NewMember
from zhili.command_groups.queries import PersonLabel
from zhili.command_groups.visibility import campaign_origin, case_origin
from zhili.core.auth import Actor, PageActor
from zhili.core.errors import ConflictError, InvalidInputError
from zhili.core.http import ClockDep, DbSession
from zhili.core.media import photo_response
from zhili.core.params import IdPath
from zhili.org import queries as org
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.roles import role_name
from zhili.org.schemas import DivisionRef, PersonRead
from zhili.web.form_once import FormOnce, run_form
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)
Search = Annotated[str, Query(max_length=40)]
OriginId = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
# Words another page fills in (an alert's headline, description and area): a group by hand, its form prefilled.
PrefillTitle = Annotated[str, Query(max_length=groups.TITLE_LENGTH)]
PrefillSummary = Annotated[str, Query(max_length=groups.BODY_LENGTH)]
PrefillArea = Annotated[str, Query(max_length=20)]


def _language(request: Request) -> str:
    return renderer(request).language(request)


@router.get("/groups")
def list_page(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """指挥组: the groups I am in or whose area I oversee, open ones first."""
    found = queries.list_groups(session, actor, now=clock.now())
    return renderer(request).render(
        request,
        "command_groups/list.html",
        {"actor": actor, "groups": found, "may_open": actor.has_any_role(OPENING_ROLES)},
    )


def _areas(session: Session, actor: Actor) -> list[DivisionRef]:
    """The areas the actor may open a group over: each root they manage and the divisions one level below."""
    areas: list[DivisionRef] = []
    for root in visibility.opening_roots(actor):
        top = org.child_divisions(session, None) if root == "" else [org.get_division(session, actor, root)]
        for area in top:
            areas.append(area)
            if area.level != DivisionLevel.VILLAGE.value:
                areas.extend(org.child_divisions(session, area.code))
    return [a for a in areas if a.level in AREA_LEVELS]


def _chosen(
    session: Session, recruiting: Actor, members: list[NewMember], language: str
) -> list[tuple[PersonLabel, MemberRole]]:
    """The people ticked, shown again by name and post: only those a `recruiter` may call in (ids are not trusted)."""
    seen = visibility.visible_people(session, recruiting, [m.person_id for m in members])
    found = []
    for member in members:
        if member.person_id in seen:
            person = org.get_person(session, recruiting, member.person_id)
            found.append((_label(person, language), member.role))
    return found


def _label(person: PersonRead, language: str) -> PersonLabel:
    """Name and first post, as the group's member list shows them: 阳湖社区第1网格 · 网格长."""
    post = person.positions[0] if person.positions else None
    where = (post.department_name or post.division_name) if post else ""
    words = (where, role_name(post.role, language)) if post else ()
    return PersonLabel(id=person.id, name=person.name, phone=None, post=" · ".join(w for w in words if w))


def _new_page(
    request: Request, session: Session, actor: Actor, *, form: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    case_id = forms.optional_id(str(form.get("case") or ""))
    found = case_lines.open_group_of(session, case_id) if case_id is not None else None
    return renderer(request).render(
        request,
        "command_groups/new.html",
        {
            "actor": actor,
            "form": form,
            "errors": errors,
            "areas": _areas(session, actor),
            "chosen": _chosen(
                session,
                visibility.recruiter(session, actor),
                form.get("members", []),
                renderer(request).language(request),
            ),
            "roles": list(MemberRole),
            # The case's open group, linked beside the refusal when the opener may see it.
            "open_group": found if found is not None and visibility.groups_in_sight(session, actor, [found]) else None,
        },
        status_code=status,
    )


@router.get("/groups/new")
def new_page(
    request: Request,
    session: DbSession,
    actor: PageActor,
    case: OriginId = None,
    campaign: OriginId = None,
    title: PrefillTitle = "",
    summary: PrefillSummary = "",
    area: PrefillArea = "",
) -> Response:
    """成立指挥组: title, summary, area and the people pulled in; from a case or a campaign, its words filled in.

    `title`, `summary` and `area` prefill the form by hand (the alert page's link); the opener may change them.
    """
    prefilled = {"title": title, "summary": summary, "area": area}
    form: dict[str, Any] = {key: value for key, value in prefilled.items() if value}
    if campaign is not None:
        found = campaign_origin(session, actor, campaign)
        form = {"campaign": str(found.id), "origin_number": found.number, "summary": found.message}
        form |= {"area": found.division_code, "title": f"{found.title}指挥组"}
    if case is not None:
        origin = case_origin(session, actor, case)
        township = DivisionCode(origin.place_code).at_most(DivisionLevel.TOWNSHIP).value
        form = {"case": str(origin.id), "origin_number": origin.number, "summary": origin.description, "area": township}
        form["title"] = f"{origin.number} 处置指挥组"
        if origin.duplicate_of_id is not None:  # said up front, as the service would refuse it
            return _new_page(request, session, actor, form=form, errors={"case": "group.error.case_merged"})
        if case_lines.open_group_of(session, origin.id) is not None:  # one open group per case: said up front too
            return _new_page(request, session, actor, form=form, errors={"case": "group.error.case_has_group"})
    return _new_page(request, session, actor, form=form, errors={})


PICKER_ROWS = 20  # people a search offers at once: a narrower search finds the rest


@router.get("/groups/people")
async def people_search(
    request: Request,
    session: DbSession,
    actor: PageActor,
    q: Search = "",
    group: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="the group adding members")] = None,
) -> Response:
    """The member pickers' people search, whom I may call in; those ticked stay ticked.

    By name, phone, unit, place or role, every word counting (`org.queries.find_people`): 湖镇 网格长.
    A group's own picker (`group`) leaves out its present members.
    """
    text = q.strip()
    ticked = forms.chosen_members(request.query_params)
    return await run_in_threadpool(_people_part, request, session, actor, text, ticked, group)


def _people_part(
    request: Request, session: Session, actor: Actor, text: str, ticked: list[NewMember], group_id: int | None
) -> Response:
    # Whom a group may call in: read once, for the search and for those ticked.
    recruiting = visibility.recruiter(session, actor)
    found = org.find_people(session, recruiting, text, limit=PICKER_ROWS + 1) if text else []
    language = renderer(request).language(request)
    chosen = _chosen(session, recruiting, ticked, language)
    members = queries.present_members(session, actor, group_id) if group_id is not None else set()
    kept = {label.id for label, _role in chosen} | members
    return renderer(request).render(
        request,
        "command_groups/_people.html",
        {
            "chosen": chosen,
            "people": [_label(p, language) for p in found[:PICKER_ROWS] if p.id not in kept],
            "more": len(found) > PICKER_ROWS,
            "roles": list(MemberRole),
            "q": text,
        },
    )


@router.post("/groups")
async def open_from_form(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Open a group from the form; refused, the form comes back with its input and each error by its field."""
    raw = await request.form()
    form: dict[str, Any] = {
        name: str(raw.get(name) or "").strip()
        for name in ("title", "summary", "area", "case", "campaign", "origin_number")
    }
    form["members"] = forms.chosen_members(raw)
    case_id, campaign_id = forms.optional_id(form["case"]), forms.optional_id(form["campaign"])
    data = GroupOpen(
        title=form["title"],
        summary=form["summary"],
        area=form["area"],
        case_id=case_id,
        campaign_id=campaign_id,
        members=form["members"],
    )
    once = FormOnce.of(raw, "/groups")  # the same form sent twice opens one group

    def open_once() -> int:
        def open_it() -> int:
            return groups.open_group(session, data=data, actor=actor, clock=clock)

        return int(run_form(once, session, owner=actor.audit_name, now=clock.now(), action=open_it))

    try:
        group_id = await run_in_threadpool(open_once)
    except (InvalidInputError, ConflictError) as refused:
        if isinstance(refused, ConflictError) and not form_keys(refused):
            raise
        session.rollback()
        return await run_in_threadpool(
            _new_page, request, session, actor, form=form, errors=form_keys(refused), status=refused.status
        )
    return RedirectResponse(f"/groups/{group_id}", status_code=303)


@router.get("/groups/{group_id}/photos/{photo_id}")
def group_photo(group_id: IdPath, photo_id: IdPath, session: DbSession, actor: PageActor) -> Response:
    """A photo of the timeline (members and the area's supervisors only)."""
    found = queries.photo(session, actor, group_id, photo_id)
    return photo_response(found.data, found.content_type)


@router.get("/groups/{group_id}/report")
def report_page(request: Request, group_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """总结报告: the closure report kept when the group closed (printable); before that, a note that it is open."""
    view = queries.group_view(session, actor, group_id, now=clock.now(), language=_language(request))
    names = org.division_names(session, [view.group.area_code])
    return renderer(request).render(
        request,
        "command_groups/report.html",
        {
            "actor": actor,
            "view": view,
            "report": view.group.closure_report,
            "area_name": names.get(view.group.area_code, ""),
        },
    )
