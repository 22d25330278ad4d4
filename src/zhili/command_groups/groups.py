"""Opening a command group and moving it through its states (active → stable → closed), one commit each.

Each reads as load → `lifecycle.require` → write (compare-and-set on the group's version) → timeline line
→ audit → notify. Closing compiles the closure report from the timeline and keeps it with the group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from zhili.command_groups import case_lines, report, timeline, visibility
from zhili.command_groups.lifecycle import (
    EntryKind,
    GroupAction,
    GroupState,
    MemberRole,
    OriginKind,
    next_state,
    refused,
    require,
)
from zhili.command_groups.members import NewMember, enrol
from zhili.command_groups.models import CommandGroup
from zhili.command_groups.store import add_entry, for_change, move, notify_members
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ForbiddenError, InvalidInputError
from zhili.notify.wording import Words
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.models import Division
from zhili.org.roles import Role

OPENING_ROLES = frozenset({Role.ADMIN, Role.CENTRE_STAFF, Role.TOWNSHIP_COMMAND, Role.VILLAGE_CADRE})
AREA_LEVELS = frozenset({DivisionLevel.CITY, DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP, DivisionLevel.VILLAGE})
TITLE_LENGTH = 120
BODY_LENGTH = timeline.BODY_LENGTH  # a group's summary and a state change's note are lines of its timeline


@dataclass(frozen=True, slots=True)
class GroupOpen:
    """What opening a group takes; the opener is its commander unless `members` names one."""

    title: str
    summary: str
    area: str
    case_id: int | None = None
    campaign_id: int | None = None
    members: Sequence[NewMember] = field(default_factory=tuple)


def check_open(data: GroupOpen, actor: Actor) -> dict[str, str]:
    """The fields that are wrong, each with its message key (empty when the group can be opened)."""
    errors: dict[str, str] = {}
    if not data.title.strip() or len(data.title) > TITLE_LENGTH:
        errors["title"] = "group.error.title"
    if len(data.summary) > BODY_LENGTH:
        errors["summary"] = "group.error.long_post"
    code = DivisionCode.parse(data.area)
    if code is None or code.level not in AREA_LEVELS:
        errors["area"] = "group.error.area"
    elif not visibility.may_open_in(actor, data.area):
        errors["area"] = "group.error.area_outside"
    commanders = [m for m in data.members if m.role == MemberRole.COMMANDER]
    if len(commanders) > 1:
        errors["members"] = "group.error.two_commanders"
    elif not commanders and actor.person_id is None:
        errors["members"] = "group.error.no_commander"
    return errors


def open_group(session: Session, *, data: GroupOpen, actor: Actor, clock: Clock) -> int:
    """成立指挥组: the group, its commander and members (each told, with a link), its first timeline line.

    From a case: refused (409) while another group of the case is open; the case's timeline gets its line.
    """
    if not actor.has_any_role(OPENING_ROLES):
        raise ForbiddenError(
            "only the centre, a township's command room or a village committee opens command groups",
            message_key="forbidden.group_open",
        )
    if data.case_id is not None and data.campaign_id is not None:
        raise refused("case", "group.error.one_origin", "a group is opened from a case or a campaign, not both")
    errors = check_open(data, actor)
    if errors:
        raise InvalidInputError(
            "the command group cannot be opened: " + ", ".join(sorted(errors)),
            errors=[
                {"field": name, "message": f"{name} is refused", "key": key} for name, key in sorted(errors.items())
            ],
        )
    if session.get(Division, data.area) is None:  # a well-formed code of no division (an administrator reaches any)
        raise refused("area", "group.error.area", f"no division {data.area}")
    origin = OriginKind.MANUAL
    if data.case_id is not None:
        if visibility.case_origin(session, actor, data.case_id).duplicate_of_id is not None:
            raise refused("case", "group.error.case_merged", "the case was merged into another: open the group there")
        case_lines.refuse_second(session, data.case_id)
        origin = OriginKind.CASE
    elif data.campaign_id is not None:
        visibility.campaign_origin(session, actor, data.campaign_id)
        origin = OriginKind.CAMPAIGN
    now = clock.now()
    group = CommandGroup(
        title=data.title.strip(),
        summary=data.summary.strip(),
        area_code=data.area,
        state=GroupState.ACTIVE.value,
        origin_kind=origin.value,
        origin_case_id=data.case_id,
        origin_campaign_id=data.campaign_id if origin == OriginKind.CAMPAIGN else None,
        opened_by=actor.audit_name,
        opened_at=now,
        state_changed_at=now,
        last_activity_at=now,
        version=1,
    )
    session.add(group)
    session.flush()
    add_entry(session, group.id, EntryKind.OPENED, actor=actor, at=now, body=group.summary or None)
    members = list(data.members)
    if not any(m.role == MemberRole.COMMANDER for m in members) and actor.person_id is not None:
        members = [
            NewMember(actor.person_id, MemberRole.COMMANDER),
            *(m for m in members if m.person_id != actor.person_id),
        ]
    enrol(session, group, members, actor=actor, clock=clock)
    case_lines.record_opened(session, group, {m.person_id for m in members}, actor=actor, clock=clock)
    audit.record_by(
        session,
        actor,
        "command_group.open",
        entity_type="command_group",
        entity_id=group.id,
        after={"title": group.title, "area": group.area_code, "origin": origin.value, "case_id": data.case_id},
        at=now,
    )
    commit(session)
    return group.id


def change_state(
    session: Session, *, group_id: int, action: GroupAction, note: str, actor: Actor, clock: Clock
) -> GroupState:
    """稳控 / 重新启动 / 关闭: the commander moves the group on; closing compiles and keeps the closure report."""
    loaded = for_change(session, actor, group_id)
    require(loaded.role, action, loaded.state)
    if action == GroupAction.CLOSE and not note.strip():
        raise refused("note", "group.error.summary", "closing a command group needs a summary")
    if len(note) > BODY_LENGTH:
        raise refused("note", "group.error.long_post", f"a note is at most {BODY_LENGTH:,} characters")
    now, after = clock.now(), next_state(action)
    add_entry(session, group_id, EntryKind.STATE_CHANGED, actor=actor, at=now, body=note.strip() or None, detail=after)
    values: dict[str, object] = {"state_changed_at": now, "last_activity_at": now}
    if after == GroupState.CLOSED:
        session.flush()
        values |= {
            "closed_at": now,
            "closure_summary": note.strip(),
            "closure_report": report.compile_report(session, loaded.group, closed_at=now),
        }
        case_lines.record_closed(session, loaded.group, note.strip(), actor=actor, clock=clock)
    version = move(session, loaded, after, values)
    audit.record_by(
        session,
        actor,
        f"command_group.{action.value}",
        entity_type="command_group",
        entity_id=group_id,
        before={"state": loaded.state.value},
        after={"state": after.value},
        at=now,
    )
    notify_members(
        session,
        loaded.group,
        recipients=None,
        event="state",
        title=Words(f"notice.group.state.{after.value}"),
        body=note.strip(),
        key=f"state:{version}",
        clock=clock,
        exclude=actor.person_id,
    )
    commit(session)
    return after
