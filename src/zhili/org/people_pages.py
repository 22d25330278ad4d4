"""People from the pages, for their managers: add a person with a first post, and change their contact details.

新增人员 on a division's page adds someone to a post of that place (a grid worker to a grid, a cadre to a
village); on a unit's page, to that unit. The roles offered are those of the place's level (a unit:
head or staff). The new person's page follows, with 登录账号 to give them a login
(`access.login_pages`). A refused form comes back with what was typed and each reason by its field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from zhili.core.auth import Actor, PageActor
from zhili.core.clock import Clock
from zhili.core.errors import ConflictError, InvalidInputError, NotFoundError
from zhili.core.http import ClockDep, DbSession
from zhili.core.params import IdPath
from zhili.org import destinations, links, queries, service
from zhili.org.division_code import DivisionLevel
from zhili.org.permissions import manages_any, manages_login, require_manager, require_writable
from zhili.org.roles import Role, role_name
from zhili.org.schemas import PersonCreate, PersonRead, PersonUpdate, PositionCreate
from zhili.web.form_errors import FormErrors, form_errors
from zhili.web.form_once import FormOnce, run_form
from zhili.web.i18n import translate
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)

# The posts of each level of place, the usual first (a unit's posts are DEPARTMENT_ROLES).
LEVEL_ROLES: dict[str, tuple[Role, ...]] = {
    DivisionLevel.PROVINCE: (Role.CENTRE_STAFF,),
    DivisionLevel.CITY: (Role.CENTRE_STAFF,),
    DivisionLevel.COUNTY: (Role.CENTRE_STAFF,),
    DivisionLevel.TOWNSHIP: (Role.TOWNSHIP_COMMAND, Role.TEAM_LEADER),
    DivisionLevel.VILLAGE: (Role.VILLAGE_CADRE, Role.TEAM_LEADER, Role.GRID_HEAD),
    DivisionLevel.GRID: (Role.GRID_WORKER, Role.GRID_HEAD, Role.PARTY_MEMBER),
    DivisionLevel.MICROGRID: (Role.PARTY_MEMBER,),
}
DEPARTMENT_ROLE_ORDER = (Role.DEPT_STAFF, Role.DEPT_HEAD)
INPUTS = {
    "name": "name",
    "phone": "phone",
    "email": "email",
    "position.role": "role",
    "position.title": "title",
    "role": "role",
    "title": "title",
}
TEXT_FIELDS = ("name", "phone", "email", "role", "title")
PHONE_SEPARATORS = re.compile(r"[\s\-()（）]")
"""What people type inside a phone number to read it (spaces, dashes, brackets), dropped before it is checked."""


def _place(session: Session, actor: Actor, request: Request) -> dict[str, Any]:
    """Where the new post is: `?department=<id>` (a unit) or `?division=<code>` (a place); what it offers."""
    require_manager(actor)
    department = request.query_params.get("department", "")
    if department.isdigit():
        unit = queries.get_department(session, actor, int(department))
        require_writable(actor, unit.division_code, unit.id, what=f"department {unit.id}")
        return {
            "department_id": unit.id,
            "division_code": None,
            "where": unit.name,
            "back": f"/org/departments/{unit.id}",
            "roles": DEPARTMENT_ROLE_ORDER,
        }
    code = request.query_params.get("division", "")
    if not code:
        raise NotFoundError("say where the person works: ?division=<code> or ?department=<id>")
    division = queries.get_division(session, actor, code)
    require_writable(actor, division.code, None, what=f"division {division.code}")
    roles = LEVEL_ROLES.get(division.level, ())
    if actor.is_admin:
        roles = (*roles, Role.ADMIN)
    return {
        "department_id": None,
        "division_code": division.code,
        "where": division.name,
        "back": f"/org/divisions/{division.code}",
        "roles": roles,
    }


@router.get("/org/people/new")
def new_person_page(request: Request, session: DbSession, actor: PageActor) -> Response:
    """The form that adds a person to a post of this place or unit; without one, the organisation to choose it in."""
    if not {"department", "division"} & set(request.query_params):
        require_manager(actor)
        return RedirectResponse("/org", status_code=303)  # each place's and unit's page has its 添加人员 button
    place = _place(session, actor, request)
    return _new_page(request, actor, place, typed={}, errors=FormErrors(), status_code=200)


@router.post("/org/people/new")
async def add_person(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Add the person (sent twice, added once); their page follows, where a login can be given."""
    form = await request.form()
    place = await run_in_threadpool(_place, session, actor, request)
    typed = _typed(form)
    if typed["role"] not in {role.value for role in place["roles"]}:  # the form offers the place's posts only
        errors = FormErrors()
        unchosen = "form.error.choose" if not typed["role"] else "form.error.choice"  # none chosen, or one not offered
        errors.add("role", translate(unchosen, renderer(request).language(request)))
        return _new_page(request, actor, place, typed=typed, errors=errors, status_code=422)
    once = FormOnce.of(form, str(request.url.path) + "?" + str(request.url.query))
    supervisor = await run_in_threadpool(
        queries.usual_supervisor,
        session,
        actor,
        role=typed["role"],
        division_code=place["division_code"],
        department_id=place["department_id"],
    )
    post = {
        "role": typed["role"],
        "division_code": place["division_code"],
        "department_id": place["department_id"],
        "supervisor_position_id": supervisor,
        **({"title": typed["title"]} if typed["title"] else {}),
    }
    existing = str(form.get("existing") or "")
    try:
        add = _adding(session, actor, clock, typed, post, existing=int(existing) if existing.isdigit() else None)
        person_id = await run_in_threadpool(
            run_form, once, session, owner=actor.audit_name, now=clock.now(), action=add
        )
    except (ValidationError, ConflictError, InvalidInputError) as refused:
        session.rollback()
        errors = _errors(request, refused)
        holder = await run_in_threadpool(_holder, session, actor, typed["phone"], refused)
        if holder is not None:  # say who has the number: the same person may be meant, to be given this post too
            language = renderer(request).language(request)
            errors.by_field["phone"] = [translate("org.phone_taken_by", language).format(name=holder.name)]
        return _new_page(request, actor, place, typed=typed, errors=errors, status_code=422, holder=holder)
    return RedirectResponse(f"/org/people/{person_id}?{'post_added' if existing else 'added'}=1", status_code=303)


def _adding(
    session: Session, actor: Actor, clock: Clock, typed: dict[str, str], post: dict[str, Any], *, existing: int | None
) -> Callable[[], int]:
    """The write the form asks for: a new person with this post, or this post for a registered person."""
    if existing is not None:
        position = PositionCreate.model_validate(post)
        return lambda: service.add_position(session, person_id=existing, data=position, actor=actor, clock=clock).id
    data = PersonCreate.model_validate({**_contact(typed), "position": post})
    return lambda: service.add_person(session, data=data, actor=actor, clock=clock).id


def _holder(session: Session, actor: Actor, phone: str, refused: Exception) -> PersonRead | None:
    """Who holds the phone a refused form gave, when that was the refusal and the actor sees them."""
    if not phone or not isinstance(refused, ConflictError):
        return None
    found = queries.list_people(
        session, actor, division_code=None, department_id=None, role=None, text=phone, cursor=None, limit=5
    )
    return next((person for person in found.items if person.phone == phone), None)


@router.get("/org/people/{person_id}")
def person(request: Request, person_id: IdPath, session: DbSession, actor: PageActor) -> Response:
    """A person and their posts with supervisors."""
    return person_page(request, session, actor, person_id, typed=None, errors=FormErrors(), status_code=200)


@router.post("/org/people/{person_id}")
async def change_contact(
    request: Request, person_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """Save the person's name, phone and e-mail (an emptied phone or e-mail is removed)."""
    form = await request.form()
    typed = _typed(form)
    try:
        data = PersonUpdate.model_validate(
            {"name": typed["name"], "phone": typed["phone"] or None, "email": typed["email"] or None}
        )
        await run_in_threadpool(
            service.update_person, session, person_id=person_id, data=data, actor=actor, clock=clock
        )
    except (ValidationError, ConflictError) as refused:
        session.rollback()
        errors = _errors(request, refused)
        return await run_in_threadpool(
            person_page, request, session, actor, person_id, typed=typed, errors=errors, status_code=422
        )
    return RedirectResponse(f"/org/people/{person_id}?saved=1", status_code=303)


@router.post("/org/people/{person_id}/posts/{position_id}/move")
async def move_post(
    request: Request, person_id: IdPath, position_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """Move one of the person's posts to the unit or place named (调动); refused by its field, as typed."""
    form = await request.form()
    text = str(form.get("to") or "").strip()[:200]
    once = FormOnce.of(form, str(request.url.path))  # a second tap on 调动 answers the first, not "already there"

    def move() -> None:
        require_manager(actor)  # who manages nobody is refused before any name is looked up
        post = next((p for p in queries.get_person(session, actor, person_id).positions if p.id == position_id), None)
        if post is None:
            raise NotFoundError(f"position {position_id} of person {person_id} not found")
        data = destinations.destination(session, actor, post, text)
        service.move_position(session, position_id=position_id, data=data, actor=actor, clock=clock)

    try:
        await run_in_threadpool(run_form, once, session, owner=actor.audit_name, now=clock.now(), action=move)
    except InvalidInputError as refused:
        session.rollback()
        # Every reason a move is refused (its role, its destination) is said by the one input of the form.
        errors = form_errors(
            refused, renderer(request).language(request), dict.fromkeys(("to", "role"), f"to-{position_id}")
        )
        moving = {f"to-{position_id}": text}
        return await run_in_threadpool(
            person_page,
            request,
            session,
            actor,
            person_id,
            typed=None,
            errors=FormErrors(),
            status_code=422,
            moving=moving,
            move_errors=errors,
        )
    return RedirectResponse(f"/org/people/{person_id}?moved=1", status_code=303)


def _typed(form: FormData) -> dict[str, str]:
    typed = {name: str(form.get(name) or "").strip()[:200] for name in TEXT_FIELDS}
    typed["phone"] = PHONE_SEPARATORS.sub("", typed["phone"])  # 0570-888 1234 is 05708881234
    return typed


def _contact(typed: dict[str, str]) -> dict[str, Any]:
    """The contact fields given (an empty phone or e-mail is none)."""
    return {"name": typed["name"], **{name: typed[name] for name in ("phone", "email") if typed[name]}}


def _errors(request: Request, refused: Exception) -> FormErrors:
    language = renderer(request).language(request)
    if isinstance(refused, ConflictError):  # the one conflict: a phone already registered
        found = FormErrors()
        found.add("phone", translate("org.phone_taken", language))
        return found
    found = form_errors(refused, language, INPUTS, choices={"role"})
    if isinstance(refused, ValidationError):  # a phone or e-mail of the wrong shape: say what shape is wanted
        wrong = {str(error["loc"][-1]) for error in refused.errors() if error["type"] == "string_pattern_mismatch"}
        for name in ("phone", "email"):
            if name in wrong:
                found.by_field[name] = [translate(f"org.error.{name}", language)]
    return found


def _new_page(
    request: Request,
    actor: Actor,
    place: dict[str, Any],
    *,
    typed: dict[str, str],
    errors: FormErrors,
    status_code: int,
    holder: PersonRead | None = None,
) -> Response:
    language = renderer(request).language(request)
    context = {
        "holder": holder,
        "role_name": role_name,
        "actor": actor,
        "place": place,
        "roles": [(role.value, role_name(role.value, language)) for role in place["roles"]],
        "typed": typed,
        "errors": errors,
        "is_unit": place["department_id"] is not None,
    }
    return renderer(request).render(request, "org/person_new.html", context, status_code=status_code)


def person_page(
    request: Request,
    session: Session,
    actor: Actor,
    person_id: int,
    *,
    typed: dict[str, str] | None,
    errors: FormErrors,
    status_code: int,
    moving: dict[str, str] | None = None,
    move_errors: FormErrors | None = None,
) -> Response:
    """A person's page: their posts; for their managers, the contact form, the posts' moves and their login."""
    person = queries.get_person(session, actor, person_id)
    manages = manages_any(actor, [(post.division_code, post.department_id) for post in person.positions])
    movable = [
        post
        for post in person.positions
        if post.role != Role.ADMIN.value and manages_any(actor, [(post.division_code, post.department_id)])
    ]
    manages_their_login = manages and manages_login(actor, queries.all_posts(session, person_id))
    context = {
        "actor": actor,
        "person": person,
        "households": links.households_by_post(session, actor, [post.id for post in person.positions]),
        "role_name": role_name,
        "manages": manages,
        "manages_login": manages_their_login,
        "typed": typed or ({**queries.contact_details(session, person_id)} if manages else {}),
        "errors": errors,
        "added": request.query_params.get("added") == "1",
        "saved": request.query_params.get("saved") == "1",
        "moved": request.query_params.get("moved") == "1",
        "post_added": request.query_params.get("post_added") == "1",
        "movable": movable,
        "moving": moving or {},
        "move_errors": move_errors or FormErrors(),
    }
    return renderer(request).render(request, "org/person.html", context, status_code=status_code)
