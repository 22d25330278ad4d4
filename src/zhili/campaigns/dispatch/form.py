"""The dispatch form (按需成单) → the API's `CampaignCreate`: divisions ticked or named, errors by field.

A person picks divisions from the tree or types their names (湖镇 finds 湖镇镇 through the place-name
matcher, limited to the divisions they manage); no code is ever asked for. A refusal is kept per field
as a message key with its values, so the page shows it in the page's language beside the field and
keeps what was entered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import ImmutableMultiDict, UploadFile

from zhili.campaigns.dispatch.schemas import CampaignCreate
from zhili.campaigns.lifecycle import DispatchMode
from zhili.campaigns.template import MAX_MESSAGE
from zhili.core.auth import Actor
from zhili.core.errors import DomainError, ForbiddenError, InvalidInputError, NotFoundError
from zhili.org.models import Division
from zhili.org.places import MAX_TEXT, resolve_place

NAME_SEPARATORS = re.compile(r"[\s,，、;；]+")
MAX_NAMES = 20

# A field error: the message key and the values its text names.
FieldError = tuple[str, dict[str, str]]


@dataclass
class DispatchForm:
    """What the form sent, as entered, and the refusals found so far per field."""

    template: str = ""
    codes: list[str] = field(default_factory=list)
    places: str = ""
    roles: list[str] = field(default_factory=list)
    mode: str = DispatchMode.ALL
    message: str = ""
    errors: dict[str, FieldError] = field(default_factory=dict)

    @classmethod
    def read(cls, form: ImmutableMultiDict[str, str | UploadFile]) -> DispatchForm:
        """The fields as entered (trimmed, bounded): a posted form, or the query that fills the form again."""
        return cls(
            template=str(form.get("template") or "")[:60],
            codes=sorted({c for c in form.getlist("division") if isinstance(c, str) and c.isdigit()})[:50],
            places=str(form.get("places") or "")[:400],
            roles=[r for r in form.getlist("role") if isinstance(r, str)][:10],
            mode=str(form.get("mode") or DispatchMode.ALL)[:10],
            message=str(form.get("message") or "")[:MAX_MESSAGE],
        )

    def query(self, codes: list[str]) -> str:
        """The form as a query string for `GET /campaigns`, which shows it filled again (返回修改 from the preview).

        `codes` are the divisions the preview reached: those ticked and those a typed name found, so the
        form comes back with each of them ticked.
        """
        pairs = [("template", self.template), *(("division", c) for c in codes), *(("role", r) for r in self.roles)]
        pairs += [("mode", self.mode), ("message", self.message)]
        return urlencode(pairs)

    def create(self) -> CampaignCreate:
        """The API's body for what was entered (call after `resolve` found no error)."""
        return CampaignCreate.model_validate(
            {
                "template": self.template,
                "divisions": self.codes,
                "roles": self.roles or None,
                "mode": self.mode,
                "message": self.message,
            }
        )

    def refuse(self, exc: DomainError) -> None:
        """Keep a service's refusal under the field it names (divisions unless it says otherwise)."""
        errors = exc.extra.get("errors") or [{}]
        first = errors[0]
        where = str(first.get("field") or ("template" if "template" in exc.detail else "divisions"))
        reason = str(first.get("reason") or _reason(exc))
        self.errors[where] = (f"campaigns.error.{reason}", {})


def _reason(exc: DomainError) -> str:
    if isinstance(exc, NotFoundError):
        return "unseen"
    if isinstance(exc, ForbiddenError):
        return "not_managed"
    if isinstance(exc, InvalidInputError):
        return "invalid"
    return "invalid"


def resolve(session: Session, actor: Actor, form: DispatchForm) -> None:
    """Check the simple fields and turn typed names into codes; refusals go to `form.errors`."""
    if form.mode not in set(DispatchMode):
        form.errors["mode"] = ("campaigns.error.invalid", {})
    if not form.template:
        form.errors["template"] = ("campaigns.error.template", {})
    names = [n for n in NAME_SEPARATORS.split(form.places) if n][:MAX_NAMES]
    for done, name in enumerate(names):
        found = _named(session, actor, name, chosen=form.codes)
        if isinstance(found, str):
            form.codes = sorted({*form.codes, found})
        else:
            form.errors["places"] = found
            # A name found is a ticked box now: the field keeps only what is left to mend, not both.
            form.places = "、".join(names[done:])
            break
    if not form.codes and "places" not in form.errors:
        form.errors["divisions"] = ("campaigns.error.no_division", {})


def suggestions(session: Session, actor: Actor, text: str) -> list[tuple[str, str]]:
    """(code, name with its parents) of the managed divisions the last typed name may mean, best first."""
    names = [n for n in NAME_SEPARATORS.split(text) if n]
    if not names or len(names[-1]) > MAX_TEXT:
        return []
    matches = [
        m for m in resolve_place(session, actor, names[-1]) if actor.block_write_scope.reaches_place(m.division.code)
    ]
    return [(m.division.code, " ".join(p.name for p in m.path[-3:])) for m in matches]


def _named(session: Session, actor: Actor, name: str, *, chosen: list[str]) -> str | FieldError:
    """The one division the name means among those the actor manages (a ticked one settles a tie), or why not."""
    if len(name) > MAX_TEXT:
        return ("campaigns.error.name_unknown", {"name": name[:MAX_TEXT]})
    matches = [m for m in resolve_place(session, actor, name) if actor.block_write_scope.reaches_place(m.division.code)]
    if not matches:
        return ("campaigns.error.name_unknown", {"name": name})
    best = [m for m in matches if m.score == matches[0].score]
    ticked = [m for m in best if m.division.code in chosen]
    if ticked:
        return ticked[0].division.code
    if len(best) > 1:
        listed = "、".join("".join(p.name for p in m.path[-2:]) for m in best[:5])
        return ("campaigns.error.name_ambiguous", {"name": name, "matches": listed})
    return best[0].division.code


def division_names(session: Session, codes: list[str]) -> list[tuple[str, str]]:
    """(code, name) of the chosen divisions, to keep them ticked on the form."""
    if not codes:
        return []
    return [(c, n) for c, n in session.execute(select(Division.code, Division.name).where(Division.code.in_(codes)))]


def children(session: Session, actor: Actor, code: str) -> list[tuple[str, str, str, bool]]:
    """(code, name, level, has children) under a division the actor manages, down to villages."""
    if not actor.block_write_scope.reaches_place(code):
        raise NotFoundError(f"division {code} not found")
    rows = session.execute(
        select(Division.code, Division.name, Division.level)
        .where(Division.parent_code == code, Division.level.in_(["county", "township", "village"]))
        .order_by(Division.code)
    ).all()
    return [(c, n, level, level != "village") for c, n, level in rows]


def roots(session: Session, actor: Actor) -> list[tuple[str, str, str, bool]]:
    """The divisions the actor manages (the top of the tree they may dispatch to)."""
    prefixes = sorted(p for p in actor.block_write_scope.division_prefixes if p)
    if actor.block_write_scope.is_everything:
        prefixes = sorted(session.scalars(select(Division.code).where(Division.level == "city")))
    rows = session.execute(
        select(Division.code, Division.name, Division.level).where(Division.code.in_(prefixes)).order_by(Division.code)
    ).all()
    return [(c, n, level, level not in {"village", "grid"}) for c, n, level in rows]
