"""Alembic migrations of the Zhili schema."""
