"""Settings: built once from `ZHILI_` environment variables and passed in, never read at import."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-this-is-only-for-development"  # noqa: S105 - a marker, refused in production


class Settings(BaseSettings):
    """Everything the application reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="ZHILI_", frozen=True, extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///var/zhili.sqlite"
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    session_max_age_seconds: int = Field(default=12 * 3600, gt=0)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    default_language: Literal["zh", "en"] = "zh"
    log_json: bool = False
    sql_echo: bool = False

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key.get_secret_value() == DEFAULT_SECRET:
            message = "ZHILI_SECRET_KEY must be set to a private value in production"
            raise ValueError(message)
        return self

    def sqlite_path(self) -> Path | None:
        """The SQLite database file, or None for another backend or an in-memory database."""
        if not self.database_url.startswith("sqlite"):
            return None
        path = self.database_url.split(":///", 1)[1] if ":///" in self.database_url else ""
        return Path(path) if path and path != ":memory:" else None
