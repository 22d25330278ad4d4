"""PostgreSQL databases of the deployment tests, named after the test URL's database (CI: zhili_test_*)."""

from __future__ import annotations

from tests.conftest import postgres_url, recreate_database, scratch_postgres


def derived_database(suffix: str, *, migrated: bool = False) -> str:
    """The URL of a new database `<test database>_<suffix>` on the test server: empty, or at the newest migration."""
    return scratch_postgres(f"{postgres_url().rsplit('/', 1)[1].split('?')[0]}_{suffix}", migrated=migrated)


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as libpq (psql, pg_dump) reads it: without the `+psycopg` driver."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def copied_database(suffix: str, template_url: str) -> str:
    """The URL of `<test database>_<suffix>`, a copy of the database at `template_url` (which nobody may hold)."""
    base, template = template_url.rsplit("/", 1)
    return recreate_database(base, f"{postgres_url().rsplit('/', 1)[1].split('?')[0]}_{suffix}", template=template)
