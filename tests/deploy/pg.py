"""PostgreSQL databases of the deployment tests, named after the test URL's database (CI: zhili_test_*)."""

from __future__ import annotations

from tests.conftest import postgres_url, scratch_postgres


def derived_database(suffix: str) -> str:
    """The URL of a new, empty database `<test database>_<suffix>` on the test server."""
    return scratch_postgres(f"{postgres_url().rsplit('/', 1)[1].split('?')[0]}_{suffix}")


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as libpq (psql, pg_dump) reads it: without the `+psycopg` driver."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)
