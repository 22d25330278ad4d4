"""Demo responses: make a chosen share of a campaign's recipients read, claim and report, spread over time.

For demonstrations only. It moves the task rows through the task store's set-based `move_many`
(no notifications, points, timers or per-task audit, which the task service would write), so that
the board fills as it would on the day; the run as a whole is recorded by ONE audit record,
`campaign.simulated`.

Who moves is decided per task by hashing (seed, task id): the same seed picks the same people on
SQLite and PostgreSQL, and a share of 0.7 reported is always inside the 0.9 that claimed. Each
picked task gets a claim instant within `over` of its notification, a read instant before it and
a report instant after it. `apply_until` writes what has happened up to an instant, as one
`executemany` UPDATE, only over tasks still in the state it expects (a real claim is never undone),
and the photos of the reports whose role asks for one, as one `executemany` INSERT.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import cast

from PIL import Image, ImageDraw
from shapely import contains_xy
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.campaigns.lifecycle import UNCLAIMED_STATES, TaskState, role_task
from zhili.campaigns.models import CampaignTask
from zhili.campaigns.tasks import photos, store
from zhili.campaigns.template import EvidenceKind
from zhili.campaigns.visibility import load_campaign
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.errors import InvalidInputError
from zhili.core.media import CheckedPhoto, check_photo
from zhili.org.geometry import areal_from_geojson
from zhili.org.models import Division

RANK = {TaskState.NOTIFIED: 0, TaskState.READ: 1, TaskState.CLAIMED: 2, TaskState.REPORTED: 3}
REPORT_TEXT = "（演示）已按要求完成。"


@dataclass(frozen=True)
class Shares:
    """How many respond: `claim` and `report` are shares of all recipients (report ≤ claim), over `over`."""

    claim: float
    report: float
    over: timedelta
    seed: int = 20210723

    def __post_init__(self) -> None:
        """Refuse shares outside 0..1, more reports than claims, or no time to spread them over."""
        if not (0 <= self.report <= self.claim <= 1) or self.over <= timedelta(0):
            message = "shares must satisfy 0 ≤ report ≤ claim ≤ 1, over a positive duration"
            raise InvalidInputError(message)


@dataclass(frozen=True)
class Evidence:
    """What a picked task's report carries besides its text: a point in its division, every checklist item done.

    `photo`: the role's task asks for a photo, so the report carries the demo's patrol photo.
    """

    lon: float | None
    lat: float | None
    checklist: dict[str, bool] | None
    photo: bool = False


@dataclass
class Script:
    """Each picked task's instants (read, claim, report or None), its report's evidence and the state it is in now."""

    moves: dict[int, tuple[datetime, datetime | None, datetime | None]]
    states: dict[int, TaskState]
    evidence: dict[int, Evidence] = field(default_factory=dict)
    applied: dict[str, int] = field(default_factory=lambda: {"read": 0, "claimed": 0, "reported": 0})


def _fraction(seed: int, task_id: int, salt: str) -> float:
    digest = hashlib.blake2b(f"{seed}:{salt}:{task_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def plan_task(
    task_id: int, notified_at: datetime, shares: Shares
) -> tuple[datetime, datetime | None, datetime | None] | None:
    """A task's read, claim and report instants, or None when this task stays silent (pure)."""
    pick = _fraction(shares.seed, task_id, "pick")
    if pick >= shares.claim + (1 - shares.claim) / 2:
        return None
    if pick >= shares.claim:  # read, never claimed
        return notified_at + shares.over * _fraction(shares.seed, task_id, "read"), None, None
    claimed_at = notified_at + shares.over * _fraction(shares.seed, task_id, "claim")
    read_at = notified_at + (claimed_at - notified_at) * _fraction(shares.seed, task_id, "read")
    if pick >= shares.report:
        return read_at, claimed_at, None
    end = notified_at + shares.over
    return read_at, claimed_at, claimed_at + (end - claimed_at) * _fraction(shares.seed, task_id, "report")


def start_simulation(
    session: Session,
    *,
    campaign_id: int,
    shares: Shares,
    actor: Actor,
    clock: Clock,
    leave: frozenset[int] = frozenset(),
) -> Script:
    """Plan the responses of a campaign's tasks still open to them, and write the run's audit record.

    The tasks of the people in `leave` (the demo's logins) are left to them, to claim and report by hand.
    """
    campaign = load_campaign(session, actor, campaign_id)
    rows = session.execute(
        select(
            CampaignTask.id, CampaignTask.state, CampaignTask.notified_at, CampaignTask.role, CampaignTask.division_code
        ).where(
            CampaignTask.campaign_id == campaign.id,
            CampaignTask.state.in_((*UNCLAIMED_STATES, TaskState.CLAIMED)),
            CampaignTask.person_id.not_in(sorted(leave)),
        )
    )
    script = Script({}, {})
    picked = [(row, move) for row in rows if (move := plan_task(row.id, row.notified_at, shares)) is not None]
    areas = _areas(session, {row.division_code for row, _move in picked})
    for row, move in picked:
        script.moves[row.id], script.states[row.id] = move, TaskState(row.state)
        wanted = role_task(campaign.template, row.role)
        area = areas.get(row.division_code)
        lon, lat = _point_in(area, shares.seed, row.id) if area is not None else (None, None)
        checklist = dict.fromkeys(wanted.checklist, True) or None
        script.evidence[row.id] = Evidence(lon, lat, checklist, photo=EvidenceKind.PHOTO in wanted.evidence)
    after: dict[str, object] = {
        "claim": shares.claim,
        "report": shares.report,
        "over_seconds": shares.over.total_seconds(),
    }
    after |= {"seed": shares.seed, "tasks_moving": len(script.moves), "note": "demo simulation, written directly"}
    audit.record_by(
        session, actor, "campaign.simulated", entity_type="campaign", entity_id=campaign.id, at=clock.now(), after=after
    )
    return script


def _target(move: tuple[datetime, datetime | None, datetime | None], until: datetime) -> TaskState | None:
    read_at, claimed_at, reported_at = move
    if reported_at is not None and reported_at <= until:
        return TaskState.REPORTED
    if claimed_at is not None and claimed_at <= until:
        return TaskState.CLAIMED
    return TaskState.READ if read_at <= until else None


def apply_until(session: Session, script: Script, until: datetime) -> int:
    """Move every planned task to where it is at `until` (one executemany UPDATE); how many moved."""
    batch: list[dict[str, object]] = []
    for task_id, move in script.moves.items():
        target, current = _target(move, until), script.states[task_id]
        if target is None or RANK[target] <= RANK[current]:
            continue
        read_at, claimed_at, reported_at = move
        batch.append(
            {
                "b_id": task_id,
                "b_from": current,
                "b_to": target,
                "b_read_at": read_at,
                "b_claimed_at": claimed_at if RANK[target] >= RANK[TaskState.CLAIMED] else None,
                "b_reported_at": reported_at if target == TaskState.REPORTED else None,
                "b_report_text": REPORT_TEXT if target == TaskState.REPORTED else None,
                **_reported_evidence(script.evidence.get(task_id), reported=target == TaskState.REPORTED),
            }
        )
    if batch:
        store.move_many(session, batch)
        if photographed := _photographed(script, batch):
            photos.insert_played_back(session, patrol_photo(), photographed)
    for row in batch:
        script.states[cast("int", row["b_id"])] = cast("TaskState", row["b_to"])
        script.applied[cast("str", row["b_to"])] += 1
    return len(batch)


def _photographed(script: Script, batch: list[dict[str, object]]) -> list[photos.PlayedBack]:
    """The reports of this batch whose role asks for a photo."""
    found = []
    for row in batch:
        task_id, evidence = cast("int", row["b_id"]), script.evidence.get(cast("int", row["b_id"]))
        if row["b_to"] == TaskState.REPORTED and evidence is not None and evidence.photo:
            reported_at, claimed_at = cast("datetime", row["b_reported_at"]), cast("datetime", row["b_claimed_at"])
            found.append(photos.PlayedBack(task_id, reported_at, claimed_at))
    return found


@cache
def patrol_photo() -> CheckedPhoto:
    """A small generated picture of a patrol's find (sky, a street, a house and a tree), checked like any upload."""
    image = Image.new("RGB", (160, 120), (186, 214, 236))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 84, 160, 120), fill=(128, 128, 128))
    draw.rectangle((18, 40, 78, 84), fill=(222, 206, 176))
    draw.polygon([(12, 42), (48, 18), (84, 42)], fill=(150, 70, 60))
    draw.rectangle((112, 52, 118, 84), fill=(110, 80, 50))
    draw.ellipse((96, 22, 134, 60), fill=(70, 140, 80))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return check_photo(out.getvalue())


def _reported_evidence(evidence: Evidence | None, *, reported: bool) -> dict[str, object]:
    """The report's point and checklist as `move_many` binds them (None until the task is reported)."""
    if evidence is None or not reported:
        return {"b_report_lon": None, "b_report_lat": None, "b_report_checklist": None}
    return {"b_report_lon": evidence.lon, "b_report_lat": evidence.lat, "b_report_checklist": evidence.checklist}


def _areas(session: Session, codes: set[str]) -> dict[str, BaseGeometry]:
    """The polygon of each division that has one, read in one statement."""
    rows = session.execute(
        select(Division.code, Division.geometry).where(Division.code.in_(sorted(codes)), Division.geometry.is_not(None))
    )
    return {code: areal_from_geojson(geometry) for code, geometry in rows}


def _point_in(area: BaseGeometry, seed: int, task_id: int, tries: int = 20) -> tuple[float, float]:
    """A point inside the area, its own for each task (hashed like the picks); the area's inner point at worst."""
    west, south, east, north = area.bounds
    for attempt in range(tries):
        lon = west + (east - west) * _fraction(seed, task_id, f"lon{attempt}")
        lat = south + (north - south) * _fraction(seed, task_id, f"lat{attempt}")
        if contains_xy(area, lon, lat):
            return lon, lat
    inner = area.representative_point()
    return inner.x, inner.y


def step_instants(script: Script, steps: int) -> list[datetime]:
    """`steps` instants, evenly from the first planned response to the last (the last one takes all)."""
    instants = [when for move in script.moves.values() for when in move if when is not None]
    if not instants or steps < 1:
        return []
    first, last = min(instants), max(instants)
    return [first + (last - first) * (n / steps) for n in range(1, steps + 1)]
