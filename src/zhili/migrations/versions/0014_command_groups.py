"""Command groups (掌上指挥): groups, members over time, timeline entries, instructions and copies, photos

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 17:15:00.689967
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "command_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("area_code", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("origin_kind", sa.String(length=10), nullable=False),
        sa.Column("origin_case_id", sa.Integer(), nullable=True),
        sa.Column("origin_campaign_id", sa.Integer(), nullable=True),
        sa.Column("opened_by", sa.String(length=120), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closure_summary", sa.Text(), nullable=True),
        sa.Column("closure_report", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["area_code"], ["divisions.code"], name=op.f("fk_command_groups_area_code_divisions")),
        sa.ForeignKeyConstraint(
            ["origin_campaign_id"], ["campaigns.id"], name=op.f("fk_command_groups_origin_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(["origin_case_id"], ["cases.id"], name=op.f("fk_command_groups_origin_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_command_groups")),
    )
    with op.batch_alter_table("command_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_command_groups_area_code"), ["area_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_command_groups_opened_at"), ["opened_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_command_groups_origin_campaign_id"), ["origin_campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_command_groups_origin_case_id"), ["origin_case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_command_groups_state"), ["state"], unique=False)

    op.create_table(
        "command_group_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("added_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["command_groups.id"], name=op.f("fk_command_group_members_group_id_command_groups")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_command_group_members_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_command_group_members")),
    )
    with op.batch_alter_table("command_group_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_command_group_members_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_command_group_members_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            "uq_command_group_members_current",
            ["group_id", "person_id"],
            unique=True,
            sqlite_where=sa.text("left_at IS NULL"),
            postgresql_where=sa.text("left_at IS NULL"),
        )
        batch_op.create_index(
            "uq_command_group_members_commander",
            ["group_id"],
            unique=True,
            sqlite_where=sa.text("role = 'commander' AND left_at IS NULL"),
            postgresql_where=sa.text("role = 'commander' AND left_at IS NULL"),
        )

    op.create_table(
        "command_group_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["command_groups.id"], name=op.f("fk_command_group_photos_group_id_command_groups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_command_group_photos")),
    )
    with op.batch_alter_table("command_group_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_command_group_photos_group_id"), ["group_id"], unique=False)

    op.create_table(
        "command_instructions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=120), nullable=False),
        sa.Column("issuer_person_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"], ["command_groups.id"], name=op.f("fk_command_instructions_group_id_command_groups")
        ),
        sa.ForeignKeyConstraint(
            ["issuer_person_id"], ["people.id"], name=op.f("fk_command_instructions_issuer_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["departments.id"], name=op.f("fk_command_instructions_unit_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_command_instructions")),
    )
    with op.batch_alter_table("command_instructions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_command_instructions_group_id"), ["group_id"], unique=False)

    op.create_table(
        "command_group_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("photo_id", sa.Integer(), nullable=True),
        sa.Column("subject_person_id", sa.Integer(), nullable=True),
        sa.Column("instruction_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"], ["command_groups.id"], name=op.f("fk_command_group_entries_group_id_command_groups")
        ),
        sa.ForeignKeyConstraint(
            ["instruction_id"],
            ["command_instructions.id"],
            name=op.f("fk_command_group_entries_instruction_id_command_instructions"),
        ),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_command_group_entries_person_id_people")),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["command_group_photos.id"],
            name=op.f("fk_command_group_entries_photo_id_command_group_photos"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_person_id"], ["people.id"], name=op.f("fk_command_group_entries_subject_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_command_group_entries")),
    )
    with op.batch_alter_table("command_group_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_command_group_entries_group_id"), ["group_id"], unique=False)

    op.create_table(
        "command_instruction_copies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instruction_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["instruction_id"],
            ["command_instructions.id"],
            name=op.f("fk_command_instruction_copies_instruction_id_command_instructions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_command_instruction_copies_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_command_instruction_copies")),
        sa.UniqueConstraint("instruction_id", "person_id", name=op.f("uq_command_instruction_copies_instruction_id")),
    )
    with op.batch_alter_table("command_instruction_copies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_command_instruction_copies_instruction_id"), ["instruction_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_command_instruction_copies_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("command_instruction_copies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_command_instruction_copies_person_id"))
        batch_op.drop_index(batch_op.f("ix_command_instruction_copies_instruction_id"))

    op.drop_table("command_instruction_copies")
    with op.batch_alter_table("command_group_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_command_group_entries_group_id"))

    op.drop_table("command_group_entries")
    with op.batch_alter_table("command_instructions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_command_instructions_group_id"))

    op.drop_table("command_instructions")
    with op.batch_alter_table("command_group_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_command_group_photos_group_id"))

    op.drop_table("command_group_photos")
    with op.batch_alter_table("command_group_members", schema=None) as batch_op:
        batch_op.drop_index("uq_command_group_members_commander")
        batch_op.drop_index(
            "uq_command_group_members_current",
            sqlite_where=sa.text("left_at IS NULL"),
            postgresql_where=sa.text("left_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_command_group_members_person_id"))
        batch_op.drop_index(batch_op.f("ix_command_group_members_group_id"))

    op.drop_table("command_group_members")
    with op.batch_alter_table("command_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_command_groups_state"))
        batch_op.drop_index(batch_op.f("ix_command_groups_origin_case_id"))
        batch_op.drop_index(batch_op.f("ix_command_groups_origin_campaign_id"))
        batch_op.drop_index(batch_op.f("ix_command_groups_opened_at"))
        batch_op.drop_index(batch_op.f("ix_command_groups_area_code"))

    op.drop_table("command_groups")
