"""Schema migrations, run programmatically: `upgrade(url)` brings a database to the newest revision."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("zhili").joinpath("migrations")))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, *, engine: Engine | None = None) -> None:
    """Apply every pending migration (inside one transaction per revision)."""
    config = alembic_config(database_url)
    if engine is None:
        command.upgrade(config, "head")
        return
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
