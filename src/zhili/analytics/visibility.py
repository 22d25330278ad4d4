"""Which KPI cells a person counts: the only module that applies `core.auth.Scope` to analytics.

A cell is a township's cases of one matter and one unit in one month. Blocks reach the cells of their
townships (a county centre its county, a township its own); strips reach the cells of their unit
inside their area, so a department sees its own cases only. Village and grid blocks reach no cell:
a township is the finest area the KPIs count.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from zhili.analytics.models import kpi_cells
from zhili.core.auth import Actor
from zhili.org import visibility as org_visibility


def visible_cells(actor: Actor) -> ColumnElement[bool]:
    """The cells the actor may count."""
    township: Any = kpi_cells.c.township_code
    unit: Any = kpi_cells.c.unit_id
    return actor.scope.where(township, unit)


def own_units(actor: Actor) -> list[int]:
    """The units a reader of strips only counts (a department's staff: its own cases); none for a block's reader.

    The figures of such a reader are their units' cases in the area, not the area's, and the pages say so.
    """
    if actor.scope.is_everything or any(grant.department_id is None for grant in actor.scope.grants):
        return []
    return sorted({grant.department_id for grant in actor.scope.grants if grant.department_id is not None})


def may_count_area(actor: Actor, division_code: str) -> bool:
    """True when the actor's blocks reach the whole area (a pilot is registered and compared there).

    Strips do not: a department counts only its own cases, so it cannot compare an area's.
    """
    if actor.scope.is_everything:
        return True
    return any(grant.department_id is None and grant.reaches_place(division_code) for grant in actor.scope.grants)


def may_read_area(actor: Actor, division_code: str) -> bool:
    """Whether the area is a place in the actor's scope: what the KPI page offers, and `require_area` lets through."""
    return org_visibility.sees_place(actor, division_code)


def require_area(actor: Actor, division_code: str) -> None:
    """404 unless the area is a place in the actor's scope (a strip's too: it reads its own unit's cells there).

    An area beyond it would be titled with a place whose cases the actor does not count, so it is
    refused as the org pages refuse it, without confirming that it exists.
    """
    org_visibility.require_place(actor, division_code, what=f"area {division_code}")
