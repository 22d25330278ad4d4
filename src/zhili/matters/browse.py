"""Everything a catalog page shows, gathered by one function per page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from zhili.matters import queries
from zhili.matters.definition import EscalationAction, HandlerLevel, Phase
from zhili.matters.schemas import MatterRead, MatterSummary, MatterVersionRead
from zhili.org import links
from zhili.org.schemas import DepartmentKindRead, EnforcementItemRead

PHASES = tuple(Phase)
HANDLER_LEVELS = tuple(HandlerLevel)
ACTIONS = tuple(EscalationAction)


@dataclass(frozen=True)
class CatalogPage:
    """The catalog: current matters and the names of the department kinds they name."""

    matters: list[MatterSummary]
    kinds: dict[str, DepartmentKindRead]


@dataclass(frozen=True)
class MatterPage:
    """One matter: the version on display, the whole history, and names for the codes it uses."""

    matter: MatterRead
    shown: MatterVersionRead
    kinds: dict[str, DepartmentKindRead]
    enforcement: EnforcementItemRead | None


def _kinds(session: Session) -> dict[str, DepartmentKindRead]:
    return {kind.code: kind for kind in links.department_kinds(session)}


def catalog_page(session: Session) -> CatalogPage:
    """The list of current matters."""
    return CatalogPage(matters=queries.list_current(session), kinds=_kinds(session))


def matter_page(session: Session, code: str, *, version: int | None) -> MatterPage:
    """A matter at its newest version, or at the version asked for."""
    matter = queries.get_matter(session, code)
    shown = matter.latest if version is None else queries.get_version(session, code, version)
    item_code = shown.definition.enforcement_item
    items = links.enforcement_items(session, kind=shown.definition.lead_kind) if item_code else []
    enforcement = next((item for item in items if item.code == item_code), None)
    return MatterPage(matter=matter, shown=shown, kinds=_kinds(session), enforcement=enforcement)
