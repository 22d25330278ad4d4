"""What the big screen shows at one moment, as one JSON document the page polls.

Gathered through each domain's query functions: the KPIs of this month and the last twelve
(`analytics`), the open cases on the map with their lights (`cases.points`), the live campaign
boards (`campaigns`), this month's wage-arrears warnings and their precision (`early_warning`),
the open command groups of the area (`command_groups`).
Every name is a label in the reader's language; every number is counted within the reader's scope.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from zhili.analytics.facts import month_of
from zhili.analytics.kpis import By, KpiFilter, Totals, add_up, totals
from zhili.analytics.projector import refreshed_at
from zhili.analytics.report import counted_unit_names, default_area
from zhili.campaigns.board.counts import board
from zhili.campaigns.dispatch.queries import list_campaigns
from zhili.cases.points import case_points
from zhili.command_groups import queries as groups
from zhili.command_groups.lifecycle import GroupState
from zhili.core.auth import Actor
from zhili.core.months import Month
from zhili.early_warning import queries as warnings
from zhili.early_warning import visibility as warning_visibility
from zhili.early_warning.lead_time import lead_time
from zhili.early_warning.precision import precision
from zhili.matters import queries as matters
from zhili.org import queries as org
from zhili.org.division_code import DivisionLevel

LIVE_CAMPAIGNS = 4
TOP_MATTERS = 8
TREND_MONTHS = 12


class Tile(BaseModel):
    """One figure on the screen."""

    key: str
    value: float | int | None
    unit: str = Field(description="count, rate (0-1) or hours")


class Bar(BaseModel):
    """One labelled figure of a chart or a ranking."""

    key: str
    label: str
    volume: int
    on_time_rate: float | None
    satisfaction_rate: float | None


class Board(BaseModel):
    """A live campaign: who has claimed and who has finished."""

    id: int
    title: str
    severity: str
    recipients: int
    claimed: int
    finished: int
    overdue: int
    claim_rate: float
    finish_rate: float


class GroupLine(BaseModel):
    """An open command group on the screen: its number, where, who and how its instructions stand."""

    id: int
    number: str
    title: str
    state: str = Field(description="active or stable")
    area_name: str
    members: int
    open_instructions: int = Field(description="addressees' copies not yet done")
    overdue_instructions: int = Field(description="of those, past their deadline")
    last_activity_at: datetime


class GroupPanel(BaseModel):
    """The area's open command groups (most recently active first) and how many are active and stable."""

    active: int
    stable: int
    groups: list[GroupLine]


class Point(BaseModel):
    """An open case on the map."""

    id: int
    number: str
    lon: float
    lat: float
    matter: str
    light: str | None


class Snapshot(BaseModel):
    """The big screen's data."""

    area: str | None
    area_label: str
    units: list[str] = Field(default_factory=list, description="a department's reader: the only units counted")
    month: str
    as_of: datetime
    refreshed_at: datetime | None
    tiles: list[Tile]
    lights: dict[str, int]
    trend: list[Bar]
    matters: list[Bar]
    areas: list[Bar]
    area_level: str
    points: list[Point]
    points_truncated: bool
    campaigns: list[Board]
    warnings: dict[str, int]
    warning_precision: float | None
    warning_lead_months: float | None  # median lead time of confirmed warnings (`early_warning.lead_time`)
    command_groups: GroupPanel


def snapshot(session: Session, actor: Actor, *, now: datetime, language: str) -> Snapshot:
    """The big screen of the actor's area (their top block; the city for the centre of the city)."""
    area = default_area(actor)
    month = month_of(now)
    year = KpiFilter(first=Month(month.index - TREND_MONTHS + 1), last=month, division=area)
    names = {m.code: (m.name_en if language == "en" else m.name_zh) for m in matters.list_current(session)}
    by_area = By.COUNTY if area is None or len(area) < DivisionLevel.COUNTY.length else By.TOWNSHIP
    area_rows = totals(session, actor, year, by_area)
    by_month = totals(session, actor, year, By.MONTH)
    area_names = org.division_names(session, [str(key) for key, _ in area_rows] + ([area] if area else []))
    located = case_points(session, actor, matter=None, bbox=None, include_closed=False, now=now)
    top = org.city(session) if area is None else None  # each poll: the city only where it is the title
    seen_firms = warning_visibility.visible_enterprises(session, actor)
    return Snapshot(
        area=area,
        area_label=area_names.get(area, area) if area else (top.name if top else ""),
        units=counted_unit_names(session, actor),
        month=str(month),
        as_of=now,
        refreshed_at=refreshed_at(session),
        tiles=_tiles(dict(by_month).get(month.index, Totals()), add_up(by_month)),
        lights=dict(Counter(p.light or "none" for p in located.points)),
        trend=[_bar(str(Month(key)), str(Month(key)), t) for key, t in by_month],
        matters=sorted(
            (_bar(str(key), names.get(str(key), str(key)), t) for key, t in totals(session, actor, year, By.MATTER)),
            key=lambda bar: -bar.volume,
        )[:TOP_MATTERS],
        areas=[_bar(str(key), area_names.get(str(key), str(key)), t) for key, t in area_rows],
        area_level=by_area.value,
        points=[
            Point(
                id=p.id,
                number=p.number,
                lon=p.lon,
                lat=p.lat,
                matter=p.matter_name_en if language == "en" else p.matter_name_zh,
                light=p.light,
            )
            for p in located.points
        ],
        points_truncated=located.truncated,
        campaigns=_boards(session, actor, now, language),
        warnings={str(grade): n for grade, n in warnings.grade_counts(session, actor, Month(month.index - 1)).items()},
        warning_precision=precision(session, seen_firms).share,
        warning_lead_months=lead_time(session, seen_firms).median_months,
        command_groups=_groups(session, actor, area or (top.code if top else ""), now),
    )


def _tiles(month: Totals, year: Totals) -> list[Tile]:
    return [
        Tile(key="month_volume", value=month.volume, unit="count"),
        Tile(key="open", value=year["open"], unit="count"),
        Tile(key="closure_rate", value=year.closure_rate, unit="rate"),
        Tile(key="on_time_rate", value=year.on_time_rate, unit="rate"),
        Tile(key="satisfaction_rate", value=year.satisfaction_rate, unit="rate"),
        Tile(key="median_hours", value=year.median_hours, unit="hours"),
    ]


def _bar(key: str, label: str, t: Totals) -> Bar:
    return Bar(
        key=key, label=label, volume=t.volume, on_time_rate=t.on_time_rate, satisfaction_rate=t.satisfaction_rate
    )


def _boards(session: Session, actor: Actor, now: datetime, language: str) -> list[Board]:
    """The newest live campaigns the actor sees, each with its board's totals."""
    live = [c for c in list_campaigns(session, actor, cursor=None, limit=20).items if c.status == "active"]
    found = []
    for campaign in live[:LIVE_CAMPAIGNS]:
        tally = board(session, actor, campaign.id, division=None, now=now).totals
        found.append(
            Board(
                id=campaign.id,
                title=(campaign.title_en or campaign.title) if language == "en" else campaign.title,
                severity=campaign.severity,
                recipients=tally.total,
                claimed=tally.claimed,
                finished=tally.finished,
                overdue=tally.overdue,
                claim_rate=tally.claim_rate,
                finish_rate=tally.finish_rate,
            )
        )
    return found


def _groups(session: Session, actor: Actor, area: str, now: datetime) -> GroupPanel:
    """The open command groups the actor sees in the area, with the counts of active and stable ones."""
    found = groups.open_groups_under(session, actor, area, now=now)
    lines = [
        GroupLine(
            id=g.id,
            number=g.number,
            title=g.title,
            state=g.state.value,
            area_name=g.area_name,
            members=g.members,
            open_instructions=g.open_instructions,
            overdue_instructions=g.overdue_instructions,
            last_activity_at=g.last_activity_at,
        )
        for g in found
    ]
    states = Counter(g.state for g in found)
    return GroupPanel(active=states[GroupState.ACTIVE], stable=states[GroupState.STABLE], groups=lines)
