"""Who sees what of campaigns: which campaigns, which tasks, which divisions of a board, which people.

The only campaigns module that reads an actor's (read) scope; every other module asks here. Built
on `core.auth.Scope` ([data-scope reference](../../../docs/reference/data-scope.md#campaigns)):

- **Campaigns** are visible when one of their scope divisions (rows of `campaign_scope_divisions`)
  lies in one of the actor's grants, or one of the grants lies in a scope division (a village sees
  the county's campaign, the county sees a village's), or the campaign gave the actor a task. One
  SQL condition, `visible_campaigns`, serves one campaign and the list alike.
- **Tasks** are seen by their recipient, the supervising post and the managing posts over their
  division (`visible_tasks`); the board and the scores count the tasks in the actor's places.
- **People** (names, phones) follow the organisation's rule for people: a person is visible when one
  of their posts is in scope as a unit, `Scope.where(Position.division_code, Position.department_id)`.
  A department's strip therefore counts every task in its county but names only its own staff.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, false, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from zhili.access.models import Account
from zhili.campaigns import lifecycle
from zhili.campaigns.lifecycle import Reach, TaskParty
from zhili.campaigns.models import Campaign, CampaignForward, CampaignScopeDivision, CampaignTask
from zhili.core.actor_names import account_id, actor_names
from zhili.core.auth import Actor, Grant, Scope
from zhili.core.errors import NotFoundError
from zhili.org.division_code import DivisionCode, DivisionLevel, codes_of
from zhili.org.models import Division, Position
from zhili.org.roles import Role
from zhili.org.routing import ancestor_codes, nearest_held, parent_code
from zhili.org.visibility import sees_person

# The posts that verify, return and rate the tasks in their blocks ("the level above"), besides the
# supervising post named on each task. Village committees are here: they verify their grids' reports.
TASK_MANAGING_ROLES = frozenset({Role.CENTRE_STAFF, Role.TOWNSHIP_COMMAND, Role.VILLAGE_CADRE})

_POSTS = select(Position.id, Position.role, Position.division_code).where(Position.person_id == bindparam("b_person"))


# Campaigns ------------------------------------------------------------------------------------------


def _overlapping(column: InstrumentedAttribute[str], prefixes: Sequence[str]) -> ColumnElement[bool]:
    """`column` lies in one of the prefixes, or one of the prefixes lies in `column`."""
    return or_(false(), *(code.related_in(column) for code in codes_of(prefixes)))


def visible_campaigns(actor: Actor) -> ColumnElement[bool]:
    """The campaigns the actor sees: a scope division overlapping their grants, or a task of theirs."""
    if actor.scope.is_everything:
        return true()
    scope_row = CampaignScopeDivision
    overlapping = exists().where(
        scope_row.campaign_id == Campaign.id, _overlapping(scope_row.division_code, actor.scope.division_prefixes)
    )
    if actor.person_id is None:
        return overlapping
    own_task = exists().where(CampaignTask.campaign_id == Campaign.id, CampaignTask.person_id == actor.person_id)
    return or_(overlapping, own_task)


def load_campaign(session: Session, actor: Actor, campaign_id: int) -> Campaign:
    """A campaign the actor may see (`visible_campaigns`); else 404, whether or not it exists."""
    campaign = session.scalars(select(Campaign).where(Campaign.id == campaign_id, visible_campaigns(actor))).first()
    if campaign is None:
        raise NotFoundError(f"campaign {campaign_id} not found")
    return campaign


def visible_forwards(actor: Actor) -> ColumnElement[bool]:
    """The cascade's steps the actor sees: their divisions above the actor's grants, and below them."""
    if actor.scope.is_everything:
        return true()
    return _overlapping(CampaignForward.division_code, actor.scope.division_prefixes)


def opens_division(actor: Actor, division_code: str) -> bool:
    """True when the actor may open this division's part of a campaign (board drill-down, forwarding)."""
    return actor.scope.reaches_place(division_code)


def own_villages(actor: Actor) -> frozenset[str]:
    """The villages of the actor's read grants: a village committee's own, whose cascade step is theirs to forward."""
    return frozenset(
        code for code in actor.scope.division_prefixes if DivisionCode.is_valid(code) and _is_village(code)
    )


def _is_village(code: str) -> bool:
    return DivisionCode(code).level is DivisionLevel.VILLAGE


def manages_territory(actor: Actor, division_code: str) -> bool:
    """True when a territorial managing post of the actor (a centre, a command room) holds this division.

    A department head's grant is a strip: it manages its department's people, not the block's campaigns.
    """
    return any(g.department_id is None and g.reaches_place(division_code) for g in actor.write_scope.grants)


def require_division(actor: Actor, division_code: str) -> None:
    """404 for a division the actor may not open (dispatching to it, forwarding from it)."""
    actor.scope.require_place(division_code, what="division")


def division_roots(actor: Actor) -> tuple[str, ...]:
    """The divisions at the top of the actor's grants ("" for everything): where their board may start."""
    return actor.scope.division_prefixes


# Tasks -----------------------------------------------------------------------------------------------


def load_reach(session: Session, actor: Actor) -> Reach:
    """The actor's posts and managing blocks, read in one query (administrators manage everything)."""
    if actor.person_id is None:
        return Reach(None, frozenset(), Scope.everything() if actor.is_admin else Scope())
    posts = session.execute(_POSTS, {"b_person": actor.person_id}).all()
    managing = (
        Scope.everything()
        if actor.is_admin
        else Scope.of(Grant(division) for _id, role, division in posts if role in TASK_MANAGING_ROLES)
    )
    divisions = frozenset(division for _id, role, division in posts if role in TASK_MANAGING_ROLES)
    return Reach(actor.person_id, frozenset(post_id for post_id, _role, _division in posts), managing, divisions)


def visible_tasks(reach: Reach) -> ColumnElement[bool]:
    """Tasks the actor may see: their own, those their posts supervise, those in their managing blocks.

    Another person's task is not found (404) for a plain recipient, even in their own grid.
    """
    conditions: list[ColumnElement[bool]] = [reach.managing.where(CampaignTask.division_code)]
    if reach.person_id is not None:
        conditions.append(CampaignTask.person_id == reach.person_id)
    if reach.position_ids:
        conditions.append(CampaignTask.supervisor_position_id.in_(sorted(reach.position_ids)))
    return or_(false(), *conditions)


def supervised_tasks(reach: Reach) -> ColumnElement[bool]:
    """Tasks the actor answers for as the level above (not their own): `lifecycle.parties_of` in SQL.

    The task's supervising post, or a managing post over the division above the task's: a village
    committee answers for its grids' tasks, not for the team leader's task held in the village itself
    (the township's), which it may still see (`visible_tasks`).
    """
    mine = CampaignTask.person_id == reach.person_id if reach.person_id is not None else false()
    above: list[ColumnElement[bool]] = [_below_managed(reach)]
    if reach.position_ids:
        above.append(CampaignTask.supervisor_position_id.in_(sorted(reach.position_ids)))
    return or_(*above) & ~mine


def _below_managed(reach: Reach) -> ColumnElement[bool]:
    """The division above the task's (`parent_code`) lies in a managed block: the task's lies strictly below one.

    The city is its own level above (`parent_code`), so a city's managing post answers for a task held at the city.
    """
    if reach.managing.is_everything:
        return true()
    column = CampaignTask.division_code
    below = (
        column.startswith(prefix, autoescape=True) & (column != prefix)
        if parent_code(prefix) != prefix
        else column.startswith(prefix, autoescape=True)
        for prefix in reach.managing.division_prefixes
    )
    return or_(false(), *below)


def told_first(reach: Reach) -> ColumnElement[bool]:
    """Tasks whose turn above is the actor's: those they are told of (`told_above`), not all they may step in on.

    The holder of the task's supervising post; and the managing posts of the nearest division above the task's
    that has any, for a decline (told to both) or a task with no supervisor. A centre may verify or hand on any
    task in its block, but the county's 待核验 is not every grid head's.
    """
    conditions: list[ColumnElement[bool]] = []
    if reach.position_ids:
        conditions.append(CampaignTask.supervisor_position_id.in_(sorted(reach.position_ids)))
    widely = or_(CampaignTask.supervisor_position_id.is_(None), CampaignTask.state == lifecycle.TaskState.DECLINED)
    conditions.append(and_(widely, _nearest_managing_is_mine(reach)))
    return or_(*conditions)


def _nearest_managing_is_mine(reach: Reach) -> ColumnElement[bool]:
    """The nearest division above the task's with a managing post is one the actor manages (`told_above`)."""
    if reach.managing.is_everything:
        return true()
    held = reach.managing_divisions
    if held is None:
        held = frozenset(grant.division_prefix for grant in reach.managing.grants)
    return nearest_held(CampaignTask.division_code, held, TASK_MANAGING_ROLES, including_own=False)


def _nearest_managing(division_code: str) -> Select[str]:
    """The nearest division above this one that has a managing post (`TASK_MANAGING_ROLES`)."""
    return (
        select(Position.division_code)
        .where(
            Position.role.in_(sorted(TASK_MANAGING_ROLES)),
            Position.division_code.in_(ancestor_codes(parent_code(division_code))),
        )
        .order_by(func.length(Position.division_code).desc())
        .limit(1)
    )


def managing_above(session: Session, division_code: str) -> str | None:
    """The name of the nearest division above with a managing post: whose committee or command room a decline tells."""
    code = session.scalar(_nearest_managing(division_code))
    return None if code is None else session.scalar(select(Division.name).where(Division.code == code))


def told_above(supervisor_position_id: int | None, division_code: str, *, managing: bool = False) -> Select[int]:
    """The people told of a task's report or decline: the holder of its supervising post.

    With `managing`, or for a post with no supervisor (an import may leave one out), also the managing posts
    of the nearest division above the task's that has any (`TASK_MANAGING_ROLES`: a village committee, a
    command room, a centre). They are the level above too (`lifecycle.parties_of`) and hand a task to anyone
    in their wider area, where a grid head has only the grid (a decline tells both: the first to act settles it).
    """
    supervising = Position.id == supervisor_position_id
    if supervisor_position_id is not None and not managing:
        return select(Position.person_id).where(supervising)
    managed = Position.role.in_(sorted(TASK_MANAGING_ROLES))
    above = and_(managed, Position.division_code == _nearest_managing(division_code).scalar_subquery())
    return (
        select(Position.person_id)
        .where(above if supervisor_position_id is None else or_(supervising, above))
        .distinct()
    )


def load_task(session: Session, actor: Actor, task_id: int) -> tuple[CampaignTask, Campaign, frozenset[TaskParty]]:
    """A task the actor may see, its campaign, and who the actor is for it; or 404."""
    reach = load_reach(session, actor)
    row = session.execute(
        select(CampaignTask, Campaign)
        .join(Campaign, Campaign.id == CampaignTask.campaign_id)
        .where(CampaignTask.id == task_id, visible_tasks(reach))
    ).first()
    if row is None:
        raise NotFoundError(f"task {task_id} not found")
    task, campaign = row
    parties = lifecycle.parties_of(
        reach,
        person_id=task.person_id,
        supervisor_position_id=task.supervisor_position_id,
        division_code=task.division_code,
    )
    return task, campaign, parties


def assignable_posts(actor: Actor, division_code: str) -> ColumnElement[bool]:
    """The posts a task of this division may be handed to (改派), inside the actor's units.

    The territorial posts (no department's) of the task's division and of the division above it, where
    the level above sits: a grid's task goes to someone in the grid, or to the village's cadres.
    """
    near = Position.division_code.in_(sorted({division_code, parent_code(division_code)}))
    territorial = near & Position.department_id.is_(None)
    if actor.scope.is_everything:
        return territorial
    return territorial & actor.scope.where(Position.division_code, Position.department_id)


def tasks_in_places(scope: Scope) -> ColumnElement[bool]:
    """The tasks the board and the scores count: those held in the scope's places (strips as places)."""
    return scope.where(CampaignTask.division_code)


# People ----------------------------------------------------------------------------------------------


def seen_actor_names(session: Session, actor: Actor, keys: Iterable[str | None]) -> dict[str, str | None]:
    """The names behind audit actor strings (who dispatched, who forwarded), for the people the actor may see.

    A login without a person (administrators) keeps its name; a person outside the actor's units
    maps to None (withheld), so the page says 无权查看; the system is not in the answer.
    """
    names: dict[str, str | None] = dict(actor_names(session, keys))
    if actor.scope.is_everything or not names:
        return names
    accounts = {key: account_id(key) for key in names}
    shown = select(Account.id).where(
        Account.id.in_({found for found in accounts.values() if found is not None}),
        or_(Account.person_id.is_(None), sees_person(actor.scope, Account.person_id)),
    )
    seen = set(session.scalars(shown))
    return {key: name if accounts[key] in seen else None for key, name in names.items()}
