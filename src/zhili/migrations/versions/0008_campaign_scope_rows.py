"""Campaign scope in rows: campaign_scope_divisions and campaign_scope_roles, backfilled from campaigns.scope (dropped)

Who sees a campaign is decided in SQL over its scope divisions (campaigns.visibility), so the
JSON text column `campaigns.scope` becomes two tables. Each campaign's divisions and roles are
copied from the JSON before the column is dropped; a downgrade writes the JSON back.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 02:00:00.000000
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_DIVISIONS = sa.table("campaign_scope_divisions", sa.column("campaign_id", sa.Integer), sa.column("division_code"))
_ROLES = sa.table(
    "campaign_scope_roles", sa.column("campaign_id", sa.Integer), sa.column("role"), sa.column("ordinal", sa.Integer)
)
_CAMPAIGNS = sa.table("campaigns", sa.column("id", sa.Integer), sa.column("scope", sa.Text))


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "campaign_scope_divisions",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("division_code", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_scope_divisions_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "division_code", name=op.f("pk_campaign_scope_divisions")),
    )
    op.create_table(
        "campaign_scope_roles",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_scope_roles_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "role", name=op.f("pk_campaign_scope_roles")),
    )
    _backfill()
    # A plain ALTER TABLE … DROP COLUMN (SQLite 3.35+), not a batch copy: other tables reference campaigns.
    op.drop_column("campaigns", "scope")


def _backfill() -> None:
    connection = op.get_bind()
    divisions: list[dict[str, object]] = []
    roles: list[dict[str, object]] = []
    for campaign_id, text in connection.execute(sa.select(_CAMPAIGNS.c.id, _CAMPAIGNS.c.scope)):
        scope = json.loads(text or "{}")
        divisions += [
            {"campaign_id": campaign_id, "division_code": code} for code in dict.fromkeys(scope.get("divisions", []))
        ]
        roles += [
            {"campaign_id": campaign_id, "role": role, "ordinal": n}
            for n, role in enumerate(dict.fromkeys(scope.get("roles", [])))
        ]
    if divisions:
        connection.execute(sa.insert(_DIVISIONS), divisions)
    if roles:
        connection.execute(sa.insert(_ROLES), roles)


def downgrade() -> None:
    """Revert this revision: the scope back into the JSON column."""
    op.add_column("campaigns", sa.Column("scope", sa.Text(), nullable=False, server_default="{}"))
    connection = op.get_bind()
    scopes: dict[int, dict[str, list[str]]] = {}
    for campaign_id, code in connection.execute(sa.select(_DIVISIONS.c.campaign_id, _DIVISIONS.c.division_code)):
        scopes.setdefault(campaign_id, {"divisions": [], "roles": []})["divisions"].append(code)
    ordered = sa.select(_ROLES.c.campaign_id, _ROLES.c.role).order_by(_ROLES.c.campaign_id, _ROLES.c.ordinal)
    for campaign_id, role in connection.execute(ordered):
        scopes.setdefault(campaign_id, {"divisions": [], "roles": []})["roles"].append(role)
    for campaign_id, scope in scopes.items():
        scope["divisions"].sort()
        connection.execute(sa.update(_CAMPAIGNS).where(_CAMPAIGNS.c.id == campaign_id).values(scope=json.dumps(scope)))
    op.drop_table("campaign_scope_roles")
    op.drop_table("campaign_scope_divisions")
