"""The live board (作战图) of a campaign: counts per state for a division and each division a level down.

Everything the board counts comes from ONE grouped query over `campaign_tasks`: the rows of the
campaign under the chosen division and inside the caller's scope, grouped by the child division
(`substr(division_code, 1, n)`), role, state and time-to-claim bucket. A few hundred groups come
back at most; Python folds them into the totals, the child rows, the role rows and the buckets.
Who sees what is `visibility`'s: the campaigns `load_campaign` lets the caller see (its divisions
overlap their scope, or it gave them a task), and only the tasks in their places are counted
(`tasks_in_places`): a township's command room sees its own township, and opens no division outside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ColumnElement, and_, case, func, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from zhili.campaigns.board.schemas import (
    BoardRead,
    CampaignBrief,
    ChildTally,
    ClaimBucket,
    DivisionRef,
    RoleTally,
    Tally,
)
from zhili.campaigns.lifecycle import (
    CLAIMED_STATES,
    FINISHED_STATES,
    OWED_STATES,
    TASK_STATES,
    UNCLAIMED_STATES,
    UNREPORTED_STATES,
)
from zhili.campaigns.models import Campaign, CampaignTask
from zhili.campaigns.visibility import division_roots, load_campaign, opens_division, tasks_in_places
from zhili.core.auth import Actor
from zhili.core.errors import NotFoundError
from zhili.org.division_code import DivisionCode, common_ancestor
from zhili.org.models import Division

# Time-to-claim buckets in minutes: (from, to); None is open ended.
CLAIM_BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 15), (15, 30), (30, 60), (60, 120), (120, 240), (240, None))
NOT_CLAIMED = -1


class ElapsedUnder(FunctionElement[bool]):
    """`end - start` is under a number of seconds: julianday arithmetic on SQLite, an interval on PostgreSQL.

    Built as `ElapsedUnder(start, end, literal_column("900"))`, so the seconds are part of the cached statement.
    """

    type = Boolean()
    name = "elapsed_under"
    inherit_cache = True


@compiles(ElapsedUnder, "sqlite")
def _elapsed_sqlite(element: ElapsedUnder, compiler: SQLCompiler, **kw: Any) -> str:
    start, end, seconds = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0 < {seconds})"


@compiles(ElapsedUnder)
def _elapsed_default(element: ElapsedUnder, compiler: SQLCompiler, **kw: Any) -> str:
    # Comparing intervals avoids EXTRACT(EPOCH …), which is numeric (slow) on PostgreSQL 14 and later.
    start, end, seconds = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(({end} - {start}) < {seconds} * INTERVAL '1 second')"


def child_length(code: str) -> int | None:
    """The code length one level below `code` (None below a micro-grid, the finest level)."""
    below = DivisionCode(code).child_level
    return None if below is None else below.length


def under(column: Any, code: str) -> ColumnElement[bool]:
    """`column` lies in the subtree of `code`, as a range an index on the column can serve (codes are digits)."""
    return and_(column >= code, column < code + ":")


def top_division(actor: Actor, campaign: Campaign) -> str:
    """Where the actor's board starts: the campaign's owner division, or the deepest one holding their scope."""
    if opens_division(actor, campaign.owner_division):
        return campaign.owner_division
    roots = [code for prefix in division_roots(actor) if (code := DivisionCode.parse(prefix))]
    shared = common_ancestor(roots)
    return "" if shared is None else shared.value


def resolve_division(actor: Actor, campaign: Campaign, division: str | None) -> tuple[str, str]:
    """The division to show and the actor's top one; a division the actor may not open is a 404."""
    top = top_division(actor, campaign)
    chosen, top_code = DivisionCode.parse(division or top), DivisionCode.parse(top)
    inside = chosen is not None and (top_code is None or chosen.under(top_code))
    if chosen is None or not inside or (chosen != top_code and not opens_division(actor, chosen.value)):
        raise NotFoundError("division not found")
    return chosen.value, top


def _claim_bucket() -> ColumnElement[int]:
    """The bucket's index, by halving: at most three comparisons of the time to claim per row."""

    def within(seconds: int) -> ColumnElement[bool]:
        return ElapsedUnder(CampaignTask.notified_at, CampaignTask.claimed_at, literal_column(str(seconds)))

    limits = [upper * 60 for _lower, upper in CLAIM_BUCKETS if upper is not None]  # 900, 1800, 3600, 7200, 14400

    def split(first: int, last: int) -> ColumnElement[int]:
        # The bucket among first..last (last is open ended or bounded by limits[last]).
        if first == last:
            return literal_column(str(first))
        middle = (first + last) // 2
        return case((within(limits[middle]), split(first, middle)), else_=split(middle + 1, last))

    return case((CampaignTask.claimed_at.is_(None), literal_column(str(NOT_CLAIMED))), else_=split(0, len(limits)))


def count_statement(actor: Actor, *, campaign_id: int, division: str, now: datetime) -> Any:
    """The one grouped query: tasks per (child division, role, state, claim bucket), late and overdue sums."""
    code = DivisionCode(division)
    length = (code.child_level or code.level).length  # a micro-grid has no children: its own rows
    task = CampaignTask
    late = func.sum(case((task.claimed_at > task.claim_due_at, 1), else_=0))
    overdue = func.sum(case((and_(task.state.in_(UNCLAIMED_STATES), task.claim_due_at < now), 1), else_=0))
    # The child code's length is one of the level lengths: written inline, so that GROUP BY can name the
    # select's labels (PostgreSQL cannot tell two bound parameters apart as the same expression).
    child = func.substr(task.division_code, 1, literal_column(str(length)))
    return (
        select(
            child.label("child"), task.role, task.state, _claim_bucket().label("bucket"), func.count(), late, overdue
        )
        .where(task.campaign_id == campaign_id, under(task.division_code, division), tasks_in_places(actor.scope))
        .group_by(literal_column("child"), task.role, task.state, literal_column("bucket"))
    )


@dataclass(slots=True)
class _Counts:
    """Plain counters while folding (pydantic models are built once, at the end)."""

    states: dict[str, int] = field(default_factory=dict)
    late: int = 0
    overdue: int = 0

    def add(self, state: str, count: int, late: int, overdue: int) -> None:
        self.states[state] = self.states.get(state, 0) + count
        self.late += late if state in CLAIMED_STATES else 0
        self.overdue += overdue if state in UNCLAIMED_STATES else 0

    def figures(self) -> dict[str, Any]:
        """The fields of a `Tally`."""
        states = dict.fromkeys(TASK_STATES, 0) | self.states
        total = sum(states[s] for s in OWED_STATES)  # a task handed over (改派) is owed by its new task
        claimed, finished = (sum(states[s] for s in group) for group in (CLAIMED_STATES, FINISHED_STATES))
        return {
            "total": total,
            "states": states,
            "unclaimed": sum(states[s] for s in UNCLAIMED_STATES),
            "claimed": claimed,
            "unanswered": sum(states[s] for s in UNREPORTED_STATES),
            "finished": finished,
            "claimed_on_time": claimed - self.late,
            "claimed_late": self.late,
            "overdue": self.overdue,
            "claim_rate": claimed / total if total else 0.0,
            "finish_rate": finished / total if total else 0.0,
        }


@dataclass
class _Fold:
    totals: _Counts = field(default_factory=_Counts)
    children: dict[str, _Counts] = field(default_factory=dict)
    roles: dict[str, _Counts] = field(default_factory=dict)
    buckets: list[int] = field(default_factory=lambda: [0] * len(CLAIM_BUCKETS))


def _fold(rows: Sequence[tuple[Any, ...]]) -> _Fold:
    fold = _Fold()
    for child, role, state, bucket, count, late, overdue in rows:
        fold.totals.add(state, count, late, overdue)
        fold.children.setdefault(child, _Counts()).add(state, count, late, overdue)
        fold.roles.setdefault(role, _Counts()).add(state, count, late, overdue)
        if bucket != NOT_CLAIMED and state in CLAIMED_STATES:
            fold.buckets[bucket] += count
    return fold


def _children(fold: _Fold, division: str, names: dict[str, tuple[str, str]]) -> list[ChildTally]:
    children = [
        ChildTally(
            code=code,
            name=names.get(code, (code, ""))[0],
            level=names.get(code, (code, ""))[1],
            is_self=code == division,
            can_drill=code != division and child_length(code) is not None,
            **counts.figures(),
        )
        for code, counts in fold.children.items()
    ]
    return sorted(children, key=lambda child: (not child.is_self, child.code))


def _names(session: Session, codes: set[str]) -> dict[str, tuple[str, str]]:
    rows = session.execute(select(Division.code, Division.name, Division.level).where(Division.code.in_(codes)))
    return {code: (name, level) for code, name, level in rows}


def _path(top: str, division: str) -> list[str]:
    """The breadcrumb from the actor's top division down to the chosen one (which lies under it)."""
    top_code = DivisionCode.parse(top)
    return [code.value for code in DivisionCode(division).lineage if top_code is None or code.under(top_code)]


def board(session: Session, actor: Actor, campaign_id: int, *, division: str | None, now: datetime) -> BoardRead:
    """The board of a campaign at `division` (default: the actor's top division for it), as of `now`."""
    campaign = load_campaign(session, actor, campaign_id)
    chosen, top = resolve_division(actor, campaign, division)
    rows = [
        tuple(row) for row in session.execute(count_statement(actor, campaign_id=campaign.id, division=chosen, now=now))
    ]
    fold = _fold(rows)
    path = _path(top, chosen)
    names = _names(session, {*path, *fold.children})
    if chosen not in names:
        raise NotFoundError("division not found")
    return BoardRead(
        campaign=CampaignBrief.model_validate(campaign, from_attributes=True),
        division=_ref(chosen, names),
        path=[_ref(code, names) for code in path if code in names],
        totals=Tally(**fold.totals.figures()),
        children=_children(fold, chosen, names),
        roles=[RoleTally(role=role, **fold.roles[role].figures()) for role in sorted(fold.roles)],
        claim_times=_buckets(fold.buckets),
        as_of=now,
    )


def _ref(code: str, names: dict[str, tuple[str, str]]) -> DivisionRef:
    name, level = names[code]
    return DivisionRef(code=code, name=name, level=level)


def _buckets(counts: list[int]) -> list[ClaimBucket]:
    return [
        ClaimBucket(
            label=f"{lower}–{upper} min" if upper is not None else f"> {lower} min",
            from_minutes=lower,
            to_minutes=upper,
            count=count,
        )
        for (lower, upper), count in zip(CLAIM_BUCKETS, counts, strict=True)
    ]
