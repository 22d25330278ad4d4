"""Reading the audit record for administrators: a filtered page of records, newest first, and the chain's check.

One query per page (the records, by `seq` descending, with a cursor), plus the lookups that label
it: the names behind the actors shown, and the logins a name filter matches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from zhili.audit_trail import display
from zhili.audit_trail.display import entity_from_number
from zhili.campaigns.models import Campaign, CampaignTask, CampaignTemplate
from zhili.cases.models import Case
from zhili.command_groups.models import CommandGroup, Instruction
from zhili.core import audit
from zhili.core.actor_names import ACCOUNT_PREFIX, actor_names, actors_named
from zhili.core.audit import AuditRecord
from zhili.core.auth import Actor
from zhili.core.local_time import LOCAL_ZONE
from zhili.core.pagination import Key, Page, decode_cursor, encode_cursor
from zhili.matters.models import MatterVersion
from zhili.org.models import Department, Division, Person, Position
from zhili.web.i18n import messages, translate

SYSTEM_PREFIX = "system:"
NAMED_ENTITIES = frozenset(
    {
        "account",
        "person",
        "matter",
        "division",
        "case",
        "campaign",
        "command_group",
        "campaign_task",
        "command_instruction",
    }
)
"""The kinds of record the page names by their name (a login by its person's, a matter by its title, a case
or a campaign by its number, a command group by its title)."""
ACTOR_LABEL_PREFIX = "actor."
_BY_ID: dict[str, Callable[[set[int]], Select[int, str]]] = {
    "department": lambda ids: select(Department.id, Department.name).where(Department.id.in_(ids)),
    "person": lambda ids: select(Person.id, Person.name).where(Person.id.in_(ids)),
    "position": lambda ids: (
        select(Position.id, Person.name).join(Person, Person.id == Position.person_id).where(Position.id.in_(ids))
    ),
    "case": lambda ids: select(Case.id, Case.number).where(Case.id.in_(ids)),
    "campaign": lambda ids: select(Campaign.id, Campaign.number).where(Campaign.id.in_(ids)),
    "command_group": lambda ids: select(CommandGroup.id, CommandGroup.title).where(CommandGroup.id.in_(ids)),
    "campaign_task": lambda ids: (
        select(CampaignTask.id, Campaign.number + " · " + Person.name)
        .join(Campaign, Campaign.id == CampaignTask.campaign_id)
        .join(Person, Person.id == CampaignTask.person_id)
        .where(CampaignTask.id.in_(ids))
    ),
    "command_instruction": lambda ids: select(
        Instruction.id, func.substr(Instruction.body, 1, INSTRUCTION_SHOWN)
    ).where(Instruction.id.in_(ids)),
}
"""The names of the records kept by id, a query for each kind: a post by its holder's name, a case or a
campaign by its number, a command group by its title, a campaign's task by its campaign's number and its
person, an instruction by its first words."""
INSTRUCTION_SHOWN = 24


@dataclass(frozen=True)
class AuditFilter:
    """What an administrator narrows the record to; every part is optional."""

    action: str | None = None
    actor: str | None = None  # a name as the page shows it: a person's, a login's, or the system's label
    entity_type: str | None = None
    entity_id: str | None = None  # an id, or a case or campaign number
    since: date | None = None  # local dates, both included
    until: date | None = None

    @property
    def is_set(self) -> bool:
        """True when any part narrows the record."""
        return any(value not in (None, "") for value in vars(self).values())


@dataclass(frozen=True)
class AuditLine:
    """One record as the page lists it: the stored fields, before and after read back from JSON."""

    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


@dataclass
class AuditPage:
    """A page of the record, and the names of the people who acted on it."""

    page: Page[AuditLine]
    actor_names: dict[str, str] = field(default_factory=dict)
    names: dict[tuple[str, str], str] = field(default_factory=dict)
    """The names behind the ids and codes the records hold (`display.Names`), their logins' included."""


def list_records(
    session: Session,
    actor: Actor,
    where: AuditFilter,
    *,
    cursor: str | None = None,
    limit: int = 50,
    language: str = "zh",
) -> AuditPage:
    """Audit records, newest first, narrowed by `where` (administrators only)."""
    actor.require_admin("read the audit record")
    stmt = select(AuditRecord).where(*_conditions(session, where))
    if cursor is not None:
        (before,) = decode_cursor(cursor, (Key.INT,))
        stmt = stmt.where(AuditRecord.seq < before)
    rows = list(session.scalars(stmt.order_by(AuditRecord.seq.desc()).limit(limit + 1)))
    lines = [_line(row) for row in rows[:limit]]
    next_cursor = encode_cursor([lines[-1].seq]) if len(rows) > limit else None
    page = Page[AuditLine](items=lines, next_cursor=next_cursor)
    actors = actor_names(session, {line.actor for line in lines})
    return AuditPage(page=page, actor_names=actors, names=_names(session, lines, language))


def _names(session: Session, lines: list[AuditLine], language: str) -> dict[tuple[str, str], str]:
    """The names of the divisions, units, people, posts, logins and matters the page's records name: a query each."""
    wanted = display.named_values([(line.before, line.after) for line in lines])
    wanted |= {(line.entity_type, line.entity_id) for line in lines if line.entity_type in NAMED_ENTITIES}
    months = {line.entity_id for line in lines if line.entity_type == "assessment_month" and ":" in line.entity_id}
    wanted |= {("division", month.split(":", 1)[0]) for month in months}
    raters = {
        line.entity_id for line in lines if line.entity_type == "assessment_rater" and _RATER.fullmatch(line.entity_id)
    }
    wanted |= {_rater_named(rater) for rater in raters}
    ids: dict[str, set[int]] = {}
    for kind, value in wanted:
        if kind not in _BY_CODE and value.isdigit():
            ids.setdefault(kind, set()).add(int(value))
    found: dict[tuple[str, str], str] = {}
    for kind, by_code in _BY_CODE.items():
        if codes := {value for named, value in wanted if named == kind}:
            found |= {(kind, code): text for code, text in session.execute(by_code(codes, language))}
    for kind, query in _BY_ID.items():
        if ids.get(kind):
            found |= {(kind, str(key)): text for key, text in session.execute(query(ids[kind]))}
    for month in months:  # a closed month: the place's name and the month (柯城区 2026-07)
        code, period = month.split(":", 1)
        found[("assessment_month", month)] = f"{found.get(('division', code), code)} {period}"
    for rater in raters:  # a rater's month: the township or unit and the month (湖镇镇 2026-11)
        named, period = _rater_named(rater), rater.rsplit(":", 1)[1]
        found[("assessment_rater", rater)] = f"{found.get(named, named[1])} {period}"
    if ids.get("account"):
        logins = actor_names(session, [f"{ACCOUNT_PREFIX}{key}:" for key in ids["account"]])
        found |= {("account", key.split(":")[1]): name for key, name in logins.items()}
    return found


def _matters(codes: set[str], language: str) -> Select[str, str]:
    name = MatterVersion.name_en if language == "en" else MatterVersion.name_zh
    return select(MatterVersion.code, name).where(MatterVersion.code.in_(codes), MatterVersion.is_current)


def _templates(codes: set[str], language: str) -> Select[str, str]:
    title = CampaignTemplate.name_en if language == "en" else CampaignTemplate.name_zh
    return select(CampaignTemplate.code, title).where(CampaignTemplate.code.in_(codes))


_BY_CODE: dict[str, Callable[[set[str], str], Select[str, str]]] = {
    "division": lambda codes, _language: select(Division.code, Division.name).where(Division.code.in_(codes)),
    "matter": _matters,
    "template": _templates,
}
"""The names of the records kept by code, in the page's language where they have two."""


_RATER = re.compile(r"(division|unit):(\d+):\d{4}-\d{2}")
"""A rater's month as the audit keeps it: `division:330825101:2026-11`, `unit:12:2026-11`."""


def _rater_named(rater: str) -> tuple[str, str]:
    """What names a rater (`division:330825101:…` → the division, `unit:12:…` → the department)."""
    kind, key, _month = rater.split(":", 2)
    return ("division" if kind == "division" else "department", key)


def verify_chain(session: Session, actor: Actor) -> audit.VerifyReport:
    """Walk the whole chain, as `zhili audit verify` does (administrators only); a read, recorded nowhere."""
    actor.require_admin("verify the audit record")
    return audit.verify(session)


def _conditions(session: Session, where: AuditFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.action:
        conditions.append(AuditRecord.action == where.action)
    if where.actor:
        conditions.append(_actor_condition(session, where.actor.strip()))
    entity = entity_from_number(where.entity_id) if where.entity_id else None
    entity_type, entity_id = entity or (where.entity_type, where.entity_id and where.entity_id.strip())
    if entity_type:
        conditions.append(AuditRecord.entity_type == entity_type)
    if entity_id:
        conditions.append(AuditRecord.entity_id == entity_id)
    if where.since is not None:
        conditions.append(AuditRecord.at >= _local_midnight(where.since))
    if where.until is not None:
        conditions.append(AuditRecord.at < _local_midnight(where.until + timedelta(days=1)))
    return conditions


def _actor_condition(session: Session, name: str) -> ColumnElement[bool]:
    """Records by the logins whose name holds `name`, by a person so named, or by a system actor so labelled."""
    keys = actors_named(session, name)
    systems = [
        key.removeprefix(ACTOR_LABEL_PREFIX)
        for key in messages()
        if key.startswith(ACTOR_LABEL_PREFIX)
        and any(name.casefold() in translate(key, language).casefold() for language in ("zh", "en"))
    ]
    keys += [*systems, *(f"{SYSTEM_PREFIX}{system}" for system in systems)]
    # A person's actor name carries their name (`person:<id>:<name>`); the text is matched literally.
    named_person = and_(AuditRecord.actor.startswith("person:"), AuditRecord.actor.contains(name, autoescape=True))
    return or_(AuditRecord.actor.in_(keys), named_person) if keys else or_(named_person, false())


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=LOCAL_ZONE)


def _line(row: AuditRecord) -> AuditLine:
    return AuditLine(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        role=row.role,
        action=row.action,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        before=_mapping(row.before),
        after=_mapping(row.after),
        request_id=row.request_id,
    )


def _mapping(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    value = json.loads(raw)
    return value if isinstance(value, dict) else {"value": value}
