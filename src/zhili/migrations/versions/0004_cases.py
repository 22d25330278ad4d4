"""Cases: the case engine (cases, events, collaboration, meetings, tasks, photos)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 07:31:48.988233
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("matter_code", sa.String(length=60), nullable=False),
        sa.Column("matter_version_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("place_code", sa.String(length=20), nullable=False),
        sa.Column("grid_code", sa.String(length=20), nullable=True),
        sa.Column("handling_division", sa.String(length=20), nullable=False),
        sa.Column("dispatcher_division", sa.String(length=20), nullable=False),
        sa.Column("lead_unit_id", sa.Integer(), nullable=True),
        sa.Column("routed_unit_id", sa.Integer(), nullable=False),
        sa.Column("handler_level", sa.String(length=12), nullable=False),
        sa.Column("contact_position_id", sa.Integer(), nullable=True),
        sa.Column("originator_person_id", sa.Integer(), nullable=True),
        sa.Column("originator_account_id", sa.Integer(), nullable=True),
        sa.Column("reporter_name", sa.String(length=60), nullable=True),
        sa.Column("reporter_phone", sa.String(length=20), nullable=True),
        sa.Column("rework_count", sa.Integer(), nullable=False),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("level_up", sa.Integer(), nullable=False),
        sa.Column("pending_extension_hours", sa.Integer(), nullable=True),
        sa.Column("granted_extension_hours", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("evidence_verified", sa.Boolean(), nullable=False),
        sa.Column("rating", sa.String(length=24), nullable=True),
        sa.Column("reject_reason", sa.String(length=500), nullable=True),
        sa.Column("last_reason", sa.String(length=500), nullable=True),
        sa.Column("suspended_from", sa.String(length=20), nullable=True),
        sa.Column("phase", sa.String(length=12), nullable=True),
        sa.Column("phase_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("phase_limit_amount", sa.Integer(), nullable=True),
        sa.Column("phase_limit_unit", sa.String(length=16), nullable=True),
        sa.Column("phase_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_position_id"], ["positions.id"], name=op.f("fk_cases_contact_position_id_positions")
        ),
        sa.ForeignKeyConstraint(["duplicate_of_id"], ["cases.id"], name=op.f("fk_cases_duplicate_of_id_cases")),
        sa.ForeignKeyConstraint(["lead_unit_id"], ["departments.id"], name=op.f("fk_cases_lead_unit_id_departments")),
        sa.ForeignKeyConstraint(
            ["matter_version_id"], ["matter_versions.id"], name=op.f("fk_cases_matter_version_id_matter_versions")
        ),
        sa.ForeignKeyConstraint(
            ["originator_account_id"], ["accounts.id"], name=op.f("fk_cases_originator_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["originator_person_id"], ["people.id"], name=op.f("fk_cases_originator_person_id_people")
        ),
        sa.ForeignKeyConstraint(["place_code"], ["divisions.code"], name=op.f("fk_cases_place_code_divisions")),
        sa.ForeignKeyConstraint(
            ["routed_unit_id"], ["departments.id"], name=op.f("fk_cases_routed_unit_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("number", name=op.f("uq_cases_number")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_dispatcher_division"), ["dispatcher_division"], unique=False)
        batch_op.create_index("ix_cases_lead_status", ["lead_unit_id", "status"], unique=False)
        batch_op.create_index("ix_cases_matter_created", ["matter_code", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_phase_due_at"), ["phase_due_at"], unique=False)
        batch_op.create_index("ix_cases_place_status", ["place_code", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_status"), ["status"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("parties", sa.String(length=120), nullable=False),
        sa.Column("status_after", sa.String(length=20), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
        sa.UniqueConstraint("case_id", "seq", name=op.f("uq_case_events_case_id")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_events_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=120), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_photos_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_photos")),
    )
    with op.batch_alter_table("case_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_photos_case_id"), ["case_id"], unique=False)

    op.create_table(
        "collaboration_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("request_text", sa.Text(), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reply_text", sa.Text(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_collaboration_requests_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["departments.id"], name=op.f("fk_collaboration_requests_unit_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collaboration_requests")),
        sa.UniqueConstraint("case_id", "unit_id", name=op.f("uq_collaboration_requests_case_id")),
    )
    with op.batch_alter_table("collaboration_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collaboration_requests_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_collaboration_requests_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=120), nullable=True),
        sa.Column("minutes", sa.Text(), nullable=False),
        sa.Column("convened_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_meetings_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meetings_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_tasks_case_id_cases")),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_case_tasks_meeting_id_meetings")),
        sa.ForeignKeyConstraint(
            ["owner_unit_id"], ["departments.id"], name=op.f("fk_case_tasks_owner_unit_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_tasks")),
    )
    with op.batch_alter_table("case_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_tasks_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_tasks_owner_unit_id"), ["owner_unit_id"], unique=False)

    op.create_table(
        "meeting_attendees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("division_code", sa.String(length=20), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["division_code"], ["divisions.code"], name=op.f("fk_meeting_attendees_division_code_divisions")
        ),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_attendees_meeting_id_meetings")),
        sa.ForeignKeyConstraint(["unit_id"], ["departments.id"], name=op.f("fk_meeting_attendees_unit_id_departments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_attendees")),
    )
    with op.batch_alter_table("meeting_attendees", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_attendees_meeting_id"), ["meeting_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("meeting_attendees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_attendees_meeting_id"))

    op.drop_table("meeting_attendees")
    with op.batch_alter_table("case_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_tasks_owner_unit_id"))
        batch_op.drop_index(batch_op.f("ix_case_tasks_case_id"))

    op.drop_table("case_tasks")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meetings_case_id"))

    op.drop_table("meetings")
    with op.batch_alter_table("collaboration_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collaboration_requests_unit_id"))
        batch_op.drop_index(batch_op.f("ix_collaboration_requests_case_id"))

    op.drop_table("collaboration_requests")
    with op.batch_alter_table("case_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_photos_case_id"))

    op.drop_table("case_photos")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_events_case_id"))

    op.drop_table("case_events")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_status"))
        batch_op.drop_index("ix_cases_place_status")
        batch_op.drop_index(batch_op.f("ix_cases_phase_due_at"))
        batch_op.drop_index("ix_cases_matter_created")
        batch_op.drop_index("ix_cases_lead_status")
        batch_op.drop_index(batch_op.f("ix_cases_dispatcher_division"))

    op.drop_table("cases")
