"""Assessment (四维考评): model versions, cross-evaluation ratings, closed months, frozen scores and lines

A model version applies from a month (`YYYY-MM`) on; a closed county month keeps its scores and
breakdown lines in `assessment_scores` and `assessment_lines`. Written on a branch whose head was 0011
(0012, analytics, was not yet on main); the lead re-chains it after 0012.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:48:30.977564
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "assessment_closes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=20), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_closes")),
        sa.UniqueConstraint("county_code", "month", name=op.f("uq_assessment_closes_county_code")),
    )
    op.create_table(
        "assessment_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=20), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("subject_kind", sa.String(length=12), nullable=False),
        sa.Column("subject_id", sa.String(length=20), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("indicator", sa.String(length=48), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("case_number", sa.String(length=24), nullable=True),
        sa.Column("event_kind", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_lines")),
    )
    with op.batch_alter_table("assessment_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_lines_county_code"), ["county_code"], unique=False)
        batch_op.create_index("ix_assessment_lines_subject", ["subject_kind", "subject_id", "month"], unique=False)

    op.create_table(
        "assessment_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.String(length=7), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_models")),
    )
    with op.batch_alter_table("assessment_models", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_models_effective_from"), ["effective_from"], unique=False)

    op.create_table(
        "assessment_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("county_code", sa.String(length=20), nullable=False),
        sa.Column("rater_kind", sa.String(length=12), nullable=False),
        sa.Column("rater_id", sa.String(length=20), nullable=False),
        sa.Column("subject_kind", sa.String(length=12), nullable=False),
        sa.Column("subject_id", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("rated_by", sa.String(length=120), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_ratings")),
        sa.UniqueConstraint(
            "month", "rater_kind", "rater_id", "subject_kind", "subject_id", name=op.f("uq_assessment_ratings_month")
        ),
    )
    with op.batch_alter_table("assessment_ratings", schema=None) as batch_op:
        batch_op.create_index("ix_assessment_ratings_county_month", ["county_code", "month"], unique=False)

    op.create_table(
        "assessment_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=20), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("subject_kind", sa.String(length=12), nullable=False),
        sa.Column("subject_id", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("timeliness", sa.Float(), nullable=False),
        sa.Column("quality", sa.Float(), nullable=False),
        sa.Column("satisfaction", sa.Float(), nullable=False),
        sa.Column("cross", sa.Float(), nullable=False),
        sa.Column("penalty", sa.Float(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("full_marks", sa.Float(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_scores")),
        sa.UniqueConstraint(
            "county_code", "month", "subject_kind", "subject_id", name=op.f("uq_assessment_scores_county_code")
        ),
    )
    with op.batch_alter_table("assessment_scores", schema=None) as batch_op:
        batch_op.create_index("ix_assessment_scores_subject", ["subject_kind", "subject_id", "month"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("assessment_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_scores_subject")

    op.drop_table("assessment_scores")
    with op.batch_alter_table("assessment_ratings", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_ratings_county_month")

    op.drop_table("assessment_ratings")
    with op.batch_alter_table("assessment_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_models_effective_from"))

    op.drop_table("assessment_models")
    with op.batch_alter_table("assessment_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_lines_subject")
        batch_op.drop_index(batch_op.f("ix_assessment_lines_county_code"))

    op.drop_table("assessment_lines")
    op.drop_table("assessment_closes")
