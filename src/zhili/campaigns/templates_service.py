"""Task templates kept in the database: seeded from the packaged files, edited by administrators."""

from __future__ import annotations

import tomllib
from importlib import resources

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.campaigns.models import CampaignTemplate
from zhili.campaigns.template import TaskTemplate
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ForbiddenError, InvalidInputError, NotFoundError
from zhili.matters import queries as matter_queries


def packaged_templates() -> list[TaskTemplate]:
    """The templates shipped in `campaigns/data/*.toml`, validated."""
    folder = resources.files("zhili.campaigns").joinpath("data")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)
    return [parse_template(f.read_text(encoding="utf-8"), file_name=f.name) for f in files]


def parse_template(text: str, *, file_name: str) -> TaskTemplate:
    """One template file as a `TaskTemplate`; 422 naming the file and each field otherwise."""
    try:
        template = TaskTemplate.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"{file_name}: not valid TOML: {exc}") from exc
    except ValidationError as exc:
        raise _invalid(file_name, exc) from exc
    if f"{template.code}.toml" != file_name:
        raise InvalidInputError(f"{file_name}: code {template.code!r} does not match the file name")
    return template


def _invalid(source: str, exc: ValidationError) -> InvalidInputError:
    errors = [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()]
    return InvalidInputError(f"{source}: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)


def seed_templates(session: Session, *, actor: Actor, clock: Clock) -> int:
    """Add the packaged templates that are not in the database yet (edited ones are kept); the number added."""
    known = set(session.scalars(select(CampaignTemplate.code)))
    added = [template for template in packaged_templates() if template.code not in known]
    for template in added:
        _store(session, template, actor=actor, clock=clock)
    commit(session)
    return len(added)


def save_template(session: Session, *, template: TaskTemplate, actor: Actor, clock: Clock) -> TaskTemplate:
    """Create or replace a template (administrators); running campaigns keep the copy they were sent with."""
    if not actor.is_admin:
        raise ForbiddenError("only administrators may edit task templates", message_key="forbidden.admin_only")
    known = matter_queries.current_codes(session) if template.matters else set()
    unknown = [code for code in template.matters if code not in known]
    if unknown:
        message = f"not in the matter catalog: {', '.join(unknown)}"
        raise InvalidInputError(f"matters: {message}", errors=[{"field": "body.matters", "message": message}])
    _store(session, template, actor=actor, clock=clock)
    commit(session)
    return template


def _store(session: Session, template: TaskTemplate, *, actor: Actor, clock: Clock) -> None:
    row = session.get(CampaignTemplate, template.code)
    before = {"definition": row.definition.model_dump_json()} if row else None
    if row is None:
        row = CampaignTemplate(code=template.code, definition=template, updated_at=clock.now())
        session.add(row)
    row.name_zh, row.name_en, row.definition = template.name_zh, template.name_en, template
    row.updated_at, row.updated_by = clock.now(), actor.audit_name
    audit.record_by(
        session,
        actor,
        "campaign_template.saved",
        entity_type="campaign_template",
        entity_id=template.code,
        at=clock.now(),
        before=before,
        after={"definition": template.model_dump_json()},
    )


def get_template(session: Session, code: str) -> TaskTemplate:
    """A stored template, or 404."""
    row = session.get(CampaignTemplate, code)
    if row is None:
        raise NotFoundError(f"task template {code!r} not found")
    return row.definition


def list_templates_named(session: Session) -> tuple[list[TaskTemplate], dict[str, tuple[str, str]]]:
    """Every stored template, and the names (Chinese, English) of the matters they name, by code."""
    templates = list_templates(session)
    names = matter_queries.current_names(session) if any(t.matters for t in templates) else {}
    return templates, names


def list_templates(session: Session) -> list[TaskTemplate]:
    """Every stored template, by code."""
    rows = session.scalars(select(CampaignTemplate.definition).order_by(CampaignTemplate.code))
    return list(rows)
