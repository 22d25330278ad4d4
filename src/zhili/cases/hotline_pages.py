"""The 12345 desk (来电受理, `/hotline`): a caller's earlier reports found by the phone they call from.

Most calls to a governance centre's hotline are about a report already made ("where is my case?").
The operator types the number the call comes from and sees that caller's reports among the cases
their centre dispatches, newest first, each with its status, lead unit and light; or, for a new
problem, opens the intake form with the channel (热线) and the caller's number filled in. The lookup
is the case queue's `caller` filter (`cases.queue`), so the API (`GET /api/v1/cases?caller=`) and the
queue's export find the same cases.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from zhili.cases import page_names, queries
from zhili.cases.queue import CaseFilter
from zhili.cases.schemas import PHONE, normalised_phone
from zhili.core.auth import PageActor
from zhili.core.errors import ForbiddenError
from zhili.core.http import ClockDep, DbSession
from zhili.org.roles import Role
from zhili.web.form_errors import FormErrors
from zhili.web.i18n import translate
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)

# Who answers the hotline: the governance centres and the township command rooms (they dispatch).
DESK_ROLES = frozenset({Role.CENTRE_STAFF, Role.TOWNSHIP_COMMAND})
CALLER_CASES = 30  # a caller's reports listed, newest first (the queue's `caller` filter lists all)


@router.get("/hotline")
def hotline_desk(
    request: Request,
    session: DbSession,
    actor: PageActor,
    clock: ClockDep,
    phone: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    """The phone form; with a number, that caller's reports, the name they last gave, a link to file a new one."""
    if not (actor.is_admin or actor.has_any_role(DESK_ROLES)):
        raise ForbiddenError(
            "only governance centres and township command rooms take hotline calls", message_key="forbidden.hotline"
        )
    caller, errors = normalised_phone(phone), FormErrors()
    language = renderer(request).language(request)
    if phone is not None and caller is None:
        errors.add("phone", translate("hotline.phone_missing", language))
    elif caller is not None and not re.fullmatch(PHONE, caller):
        errors.add("phone", translate("hotline.phone_invalid", language))
    found, (total, still_open, name) = None, (0, 0, None)
    if caller is not None and not errors:
        now = clock.now()
        found = queries.list_cases(session, actor, CaseFilter(caller=caller), now=now, cursor=None, limit=CALLER_CASES)
        total, still_open, name = queries.caller_summary(session, actor, caller, now=now)
    context = {
        "actor": actor,
        "phone": phone or "",
        "caller": caller if found is not None else None,
        "errors": errors,
        "cases": found.items if found is not None else [],
        "places": page_names.place_paths(session, [case.place_code for case in found.items]) if found else {},
        "more": found is not None and found.next_cursor is not None,
        "total": total,
        "open": still_open,
        "name": name,
        "new_case": "/cases/new?"
        + urlencode({"channel": "hotline", "reporter_phone": caller or "", "reporter_name": name or ""}),
        "queue": "/cases?" + urlencode({"caller": caller or ""}),
    }
    return renderer(request).render(request, "cases/hotline.html", context, status_code=422 if errors else 200)
