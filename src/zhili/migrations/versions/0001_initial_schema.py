"""Initial schema: audit, idempotency, organisation (条块) and access

Revision ID: 0001
Revises:
Create Date: 2026-11-26 06:30:29.767595
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=60), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("entity_type", sa.String(length=60), nullable=False),
        sa.Column("entity_id", sa.String(length=80), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_records")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_records_hash")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_audit_records_prev_hash")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_records_seq")),
    )
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_records_action"), ["action"], unique=False)

    op.create_table(
        "department_kinds",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_zh", sa.String(length=60), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("unit_suffix_zh", sa.String(length=30), nullable=False),
        sa.Column("levels", sa.String(length=60), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_department_kinds")),
    )
    op.create_table(
        "divisions",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("parent_code", sa.String(length=20), nullable=True),
        sa.Column("geometry", sa.Text(), nullable=True),
        sa.Column("is_synthetic", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=True),
        sa.Column("min_lat", sa.Float(), nullable=True),
        sa.Column("max_lon", sa.Float(), nullable=True),
        sa.Column("max_lat", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["parent_code"], ["divisions.code"], name=op.f("fk_divisions_parent_code_divisions")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_divisions")),
    )
    with op.batch_alter_table("divisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_divisions_level"), ["level"], unique=False)
        batch_op.create_index(batch_op.f("ix_divisions_name"), ["name"], unique=False)
        batch_op.create_index("ix_divisions_parent_level", ["parent_code", "level"], unique=False)

    op.create_table(
        "geometry_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_geometry_revision")),
    )
    op.create_table(
        "idempotency_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_records")),
        sa.UniqueConstraint("owner", "key", name=op.f("uq_idempotency_records_owner")),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("phone", name=op.f("uq_people_phone")),
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_people_name"), ["name"], unique=False)

    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_accounts_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("username", name=op.f("uq_accounts_username")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_person_id"), ["person_id"], unique=False)

    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind_code", sa.String(length=40), nullable=False),
        sa.Column("division_code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["division_code"], ["divisions.code"], name=op.f("fk_departments_division_code_divisions")
        ),
        sa.ForeignKeyConstraint(
            ["kind_code"], ["department_kinds.code"], name=op.f("fk_departments_kind_code_department_kinds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("kind_code", "division_code", name=op.f("uq_departments_kind_code")),
    )
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_departments_division_code"), ["division_code"], unique=False)

    op.create_table(
        "enforcement_items",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind_code", sa.String(length=40), nullable=False),
        sa.Column("name_zh", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("legal_basis", sa.String(length=200), nullable=False),
        sa.Column("exercised_level", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["kind_code"], ["department_kinds.code"], name=op.f("fk_enforcement_items_kind_code_department_kinds")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_enforcement_items")),
    )
    with op.batch_alter_table("enforcement_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enforcement_items_kind_code"), ["kind_code"], unique=False)

    op.create_table(
        "zones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("leading_division_code", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["leading_division_code"], ["divisions.code"], name=op.f("fk_zones_leading_division_code_divisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zones")),
        sa.UniqueConstraint("name", name=op.f("uq_zones_name")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_api_tokens_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_api_tokens_token_digest")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_account_id"), ["account_id"], unique=False)

    op.create_table(
        "department_grids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_department_grids_department_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department_grids")),
        sa.UniqueConstraint("department_id", "name", name=op.f("uq_department_grids_department_id")),
    )
    with op.batch_alter_table("department_grids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_department_grids_department_id"), ["department_id"], unique=False)

    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_login_sessions_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_sessions")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_login_sessions_token_digest")),
    )
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_sessions_account_id"), ["account_id"], unique=False)

    op.create_table(
        "positions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("division_code", sa.String(length=20), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("supervisor_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_positions_department_id_departments")
        ),
        sa.ForeignKeyConstraint(
            ["division_code"], ["divisions.code"], name=op.f("fk_positions_division_code_divisions")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_positions_person_id_people")),
        sa.ForeignKeyConstraint(["supervisor_id"], ["positions.id"], name=op.f("fk_positions_supervisor_id_positions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positions")),
    )
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_positions_department_id"), ["department_id"], unique=False)
        batch_op.create_index("ix_positions_division_role", ["division_code", "role"], unique=False)
        batch_op.create_index(batch_op.f("ix_positions_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_positions_role"), ["role"], unique=False)
        batch_op.create_index(batch_op.f("ix_positions_supervisor_id"), ["supervisor_id"], unique=False)

    op.create_table(
        "zone_members",
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("division_code", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["division_code"], ["divisions.code"], name=op.f("fk_zone_members_division_code_divisions")
        ),
        sa.ForeignKeyConstraint(["zone_id"], ["zones.id"], name=op.f("fk_zone_members_zone_id_zones")),
        sa.PrimaryKeyConstraint("zone_id", "division_code", name=op.f("pk_zone_members")),
    )
    op.create_table(
        "department_grid_cells",
        sa.Column("department_grid_id", sa.Integer(), nullable=False),
        sa.Column("grid_code", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_grid_id"],
            ["department_grids.id"],
            name=op.f("fk_department_grid_cells_department_grid_id_department_grids"),
        ),
        sa.ForeignKeyConstraint(
            ["grid_code"], ["divisions.code"], name=op.f("fk_department_grid_cells_grid_code_divisions")
        ),
        sa.PrimaryKeyConstraint("department_grid_id", "grid_code", name=op.f("pk_department_grid_cells")),
    )
    op.create_table(
        "grid_contacts",
        sa.Column("grid_code", sa.String(length=20), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_grid_contacts_department_id_departments")
        ),
        sa.ForeignKeyConstraint(["grid_code"], ["divisions.code"], name=op.f("fk_grid_contacts_grid_code_divisions")),
        sa.ForeignKeyConstraint(["position_id"], ["positions.id"], name=op.f("fk_grid_contacts_position_id_positions")),
        sa.PrimaryKeyConstraint("grid_code", "department_id", name=op.f("pk_grid_contacts")),
    )
    with op.batch_alter_table("grid_contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grid_contacts_position_id"), ["position_id"], unique=False)

    op.create_table(
        "households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_code", sa.String(length=20), nullable=False),
        sa.Column("head_name", sa.String(length=60), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("member_position_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["grid_code"], ["divisions.code"], name=op.f("fk_households_grid_code_divisions")),
        sa.ForeignKeyConstraint(
            ["member_position_id"], ["positions.id"], name=op.f("fk_households_member_position_id_positions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
    )
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_households_grid_code"), ["grid_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_households_member_position_id"), ["member_position_id"], unique=False)

    # The genesis link of the audit chain and the first geometry revision.
    op.bulk_insert(
        sa.table(
            "audit_head", sa.column("id", sa.Integer), sa.column("seq", sa.BigInteger), sa.column("hash", sa.String)
        ),
        [{"id": 1, "seq": 0, "hash": "0" * 64}],
    )
    op.bulk_insert(
        sa.table("geometry_revision", sa.column("id", sa.Integer), sa.column("revision", sa.Integer)),
        [{"id": 1, "revision": 0}],
    )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_households_member_position_id"))
        batch_op.drop_index(batch_op.f("ix_households_grid_code"))

    op.drop_table("households")
    with op.batch_alter_table("grid_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grid_contacts_position_id"))

    op.drop_table("grid_contacts")
    op.drop_table("department_grid_cells")
    op.drop_table("zone_members")
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_positions_supervisor_id"))
        batch_op.drop_index(batch_op.f("ix_positions_role"))
        batch_op.drop_index(batch_op.f("ix_positions_person_id"))
        batch_op.drop_index("ix_positions_division_role")
        batch_op.drop_index(batch_op.f("ix_positions_department_id"))

    op.drop_table("positions")
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_sessions_account_id"))

    op.drop_table("login_sessions")
    with op.batch_alter_table("department_grids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_department_grids_department_id"))

    op.drop_table("department_grids")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_account_id"))

    op.drop_table("api_tokens")
    op.drop_table("zones")
    with op.batch_alter_table("enforcement_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enforcement_items_kind_code"))

    op.drop_table("enforcement_items")
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_departments_division_code"))

    op.drop_table("departments")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_person_id"))

    op.drop_table("accounts")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_name"))

    op.drop_table("people")
    op.drop_table("idempotency_records")
    op.drop_table("geometry_revision")
    with op.batch_alter_table("divisions", schema=None) as batch_op:
        batch_op.drop_index("ix_divisions_parent_level")
        batch_op.drop_index(batch_op.f("ix_divisions_name"))
        batch_op.drop_index(batch_op.f("ix_divisions_level"))

    op.drop_table("divisions")
    op.drop_table("department_kinds")
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_records_action"))

    op.drop_table("audit_records")
    op.drop_table("audit_head")
