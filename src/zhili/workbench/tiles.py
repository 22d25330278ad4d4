"""The workbench's tiles: what waits for the actor, counted, each linking to the queue that lists exactly those rows.

Cases are counted by `cases.queries.todo_counts` and tasks by `campaigns.task_queries.waiting_counts`,
with the same conditions as the queue filters the links open. A tile shows when the actor's roles
make it their kind of work, or whenever its count is not zero. Members of open command groups also
see their groups and the instructions waiting for them (`command_groups.queries`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from zhili.assessment import queries as assessment_queries
from zhili.assessment import ratings as assessment_ratings
from zhili.assessment.period import Month
from zhili.campaigns.tasks import queries as task_queries
from zhili.cases import queries as cases
from zhili.command_groups import queries as command_groups
from zhili.core.auth import Actor
from zhili.org.roles import SUPERVISING_ROLES, Role

COMMAND = frozenset({Role.ADMIN, Role.CENTRE_STAFF, Role.TOWNSHIP_COMMAND})
FIELD = frozenset({Role.GRID_WORKER, Role.GRID_HEAD, Role.PARTY_MEMBER, Role.VILLAGE_CADRE, Role.TEAM_LEADER})


@dataclass(frozen=True)
class Tile:
    """One count on the workbench: its message key, the number, the queue it opens, and its colour."""

    name: str
    count: int
    href: str
    tone: str = ""


def _relevant(actor: Actor) -> dict[str, bool]:
    has_units = bool(actor.units)
    return {
        "accept": actor.has_any_role(COMMAND),
        "sign": has_units,
        "handle": has_units,
        "help": has_units,
        "extend": False,  # only when a lead asked for more time: then it is the dispatcher's turn
        "verify": actor.has_any_role(COMMAND | FIELD),
        "rate": actor.has_any_role(COMMAND | FIELD),
        "due_soon": True,
        "overdue": True,
        "unclaimed_mine": actor.person_id is not None and actor.has_any_role(FIELD),
        "unreported_mine": actor.person_id is not None and actor.has_any_role(FIELD),
        "unclaimed_above": actor.has_any_role(SUPERVISING_ROLES),
        "verify_tasks": actor.has_any_role(SUPERVISING_ROLES),
        "reassign_tasks": False,  # only when someone declined: then it is the level above's turn
    }


LINKS = {
    "accept": "/cases?todo=accept",
    "sign": "/cases?todo=sign",
    "handle": "/cases?todo=handle",
    "help": "/cases?todo=help",
    "extend": "/cases?todo=extend",  # 待审批延期: a lead asked for more time
    "verify": "/cases?todo=verify",
    "rate": "/cases?todo=rate",  # 待评价: a grid worker's own closed reports; a centre's call-backs (回访)
    "due_soon": "/cases?due=soon",
    "overdue": "/cases?due=over",
    "unclaimed_mine": "/tasks?unclaimed=true",
    "unreported_mine": "/tasks?state=claimed",  # claimed, no report yet, or one returned to me
    "unclaimed_above": "/tasks?view=above&unclaimed=true",
    "verify_tasks": "/tasks?view=above&state=reported&told=true",  # told to me: a centre may step in on the rest
    "reassign_tasks": "/tasks?view=above&state=declined&running=true&told=true",  # 拒领 in a running campaign: 改派
}
TONES = {"due_soon": "yellow", "overdue": "red", "reassign_tasks": "yellow", "extend": "yellow"}
TASK_TILES = ("unclaimed_mine", "unreported_mine", "unclaimed_above", "verify_tasks", "reassign_tasks")


def _order(actor: Actor) -> list[str]:
    """The loop's order; field staff with no desk work (a 联户党员, a 网格员) see their campaign tasks first."""
    if actor.has_any_role(COMMAND) or actor.units or not actor.has_any_role(FIELD):
        return list(LINKS)
    return [*TASK_TILES, *(name for name in LINKS if name not in TASK_TILES)]


def tiles(session: Session, actor: Actor, *, now: datetime) -> list[Tile]:
    """The actor's tiles in the loop's order (accept, sign, handle, help, extend, verify, rate, due, overdue, tasks).

    Field staff's own tasks come first: on a phone they are the first thing in sight.
    """
    counts: dict[str, int] = dict(cases.todo_counts(session, actor, now=now))
    tasks = task_queries.waiting_counts(session, actor)
    counts |= {
        "unclaimed_mine": tasks.unclaimed_mine,
        "unreported_mine": tasks.unreported_mine,
        "unclaimed_above": tasks.unclaimed_above,
        "verify_tasks": tasks.to_verify,
        "reassign_tasks": tasks.to_reassign,
    }
    relevant = _relevant(actor)
    return [
        Tile(name, counts[name], LINKS[name], TONES.get(name, "") if counts[name] else "zero")
        for name in _order(actor)
        if relevant[name] or counts[name]
    ]


# 四维考评 (issue 13): a township's or unit's standing this month, and last month's cross-evaluation to give.
STANDING_ROLES = frozenset({Role.TOWNSHIP_COMMAND, Role.DEPT_HEAD, Role.DEPT_STAFF})


@dataclass(frozen=True)
class AssessmentTile:
    """The reader's rank and total this month, its biggest losses, and how many ratings wait."""

    standing: assessment_queries.Standing | None
    ratings_waiting: int


def assessment_tile(session: Session, actor: Actor, *, now: datetime) -> AssessmentTile | None:
    """For township command rooms and unit staff: their standing (read through `assessment.queries`)."""
    if not actor.has_any_role(STANDING_ROLES):
        return None
    month = Month.of(now)
    standing = assessment_queries.standing(session, actor, month, now=now)
    if standing is not None and not standing.losses:  # nothing lost yet this month: what cost points last month
        standing = assessment_queries.standing(session, actor, month.previous(), now=now) or standing
    waiting = sum(assessment_ratings.open_forms(session, actor, now=now).values())
    return AssessmentTile(standing, waiting) if standing or waiting else None


# 掌上指挥: the open command groups the reader is in, and the instructions waiting for them.
@dataclass(frozen=True)
class GroupsTile:
    """The reader's open groups (most recently active first) and how many instructions wait for them."""

    groups: list[command_groups.GroupSummary]
    pending: int

    @property
    def pending_href(self) -> str:
        """Where the waiting instructions are answered: the group's page when there is one group, else the list."""
        return f"/groups/{self.groups[0].id}" if len(self.groups) == 1 else "/groups"


def groups_tile(session: Session, actor: Actor, *, now: datetime) -> GroupsTile | None:
    """For a member of an open command group: their groups and the instructions waiting for them."""
    mine = command_groups.my_open_groups(session, actor, now=now)
    if not mine:
        return None
    return GroupsTile(mine, command_groups.pending_copies(session, actor))
