"""The live board pages: the desk view and the big screen (`?screen=1`), both kept live by server-sent events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from zhili.campaigns.board.api import DivisionQuery
from zhili.campaigns.board.counts import CLAIM_BUCKETS
from zhili.campaigns.board.people import desk
from zhili.campaigns.board.reminders import may_remind, remind_unclaimed
from zhili.campaigns.lifecycle import TASK_STATES, CampaignStatus
from zhili.core.auth import PageActor
from zhili.core.http import ClockDep, DbSession
from zhili.core.params import IdPath
from zhili.org.roles import Role, role_name
from zhili.web.i18n import translate
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)
CARD_LABELS = (
    "total",
    "claimed",
    "claim_rate",
    "overdue",
    "col.role",
    "col.division",
    "col.supervisor",
    "col.supervisor_phone",
    "col.claim_due_at",
    "col.report_due_at",
    "col.reported_at",
)
ScreenQuery = Annotated[bool, Query(description="the big screen: dark, large numbers")]
RemindedQuery = Annotated[int | None, Query(ge=0, le=10_000_000, description="people just reminded (after 催领办)")]
LIST_LABELS = (
    *("unclaimed", "unanswered", "finished", "live", "offline", "yes", "no"),
    *("none", "withheld", "self", "more", "empty", "late", "role_held_by"),
)


@router.get("/campaigns/{campaign_id}/board")
def board_page(
    request: Request,
    campaign_id: IdPath,
    session: DbSession,
    actor: PageActor,
    clock: ClockDep,
    division: DivisionQuery = None,
    screen: ScreenQuery = False,
    reminded: RemindedQuery = None,
) -> Response:
    """The board of one campaign at one division; numbers, lists and the chart follow the stream."""
    found = desk(session, actor, campaign_id, division=division, now=clock.now())
    brief = found.board.campaign
    page = renderer(request)
    language = page.language(request)
    context = {
        "actor": actor,
        "desk": found,
        "board": found.board,
        "states": TASK_STATES,
        "role_names": {role.value: role_name(role.value, language) for role in Role},
        "config": _config(found.board.campaign.id, found.board.division.code, language),
        # 一键催领办: the level above, while the campaign runs; `reminded` says how many the last click reached
        "may_remind": brief.status == CampaignStatus.ACTIVE and may_remind(actor, found.board.division.code),
        "reminded": reminded,
    }
    template = "campaigns/board_screen.html" if screen else "campaigns/board.html"
    return page.render(request, template, context)


@router.post("/campaigns/{campaign_id}/board/remind")
async def remind_from_board(
    request: Request, campaign_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """一键催领办: remind the unclaimed people under the board's division, then back to the board saying how many."""
    form = await request.form()
    division = str(form.get("division") or "")[:20] or None
    done = await run_in_threadpool(
        remind_unclaimed, session, campaign_id=campaign_id, division=division, actor=actor, clock=clock
    )
    return RedirectResponse(
        f"/campaigns/{campaign_id}/board?division={done.division}&reminded={done.people}", status_code=303
    )


def _config(campaign_id: int, division: str, language: str) -> dict[str, object]:
    """What the page script needs: where to listen and read, and the words it writes."""
    base = f"/api/v1/campaigns/{campaign_id}"
    return {
        "lang": language,
        "stream": f"{base}/board/stream?division={division}",
        "people": f"{base}/people?division={division}",
        "page": f"/campaigns/{campaign_id}/board",
        "states": {state: translate(f"board.state.{state}", language) for state in TASK_STATES},
        # Jinja's tojson sorts keys: the columns' order travels as a list.
        "state_order": list(TASK_STATES),
        "roles": {role.value: role_name(role.value, language) for role in Role},
        "labels": {key: translate(f"board.{key}", language) for key in LIST_LABELS},
        # The phone cards' line labels, as the page's cells carry them (`data-label`).
        "columns": {key: translate(f"board.{key}", language) for key in CARD_LABELS},
        "buckets": [translate(f"board.bucket.{n}", language) for n in range(len(CLAIM_BUCKETS))],
    }
