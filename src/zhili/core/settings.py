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
    # Reverse proxies whose X-Forwarded-For names the client (comma-separated addresses or networks,
    # e.g. "10.0.0.5" or "10.0.0.0/24"); empty: the connecting address is the client, always.
    trusted_proxies: str = ""
    sql_echo: bool = False
    # How long a process reuses who a token or session belongs to (access.actor_cache); 0: never.
    actor_cache_seconds: float = Field(default=5.0, ge=0, le=60)
    # SQLite: the write requests queued behind each other share one COMMIT (core.group_commit).
    group_commit: bool = True
    # Notifications: links in e-mails and webhooks point here; e-mail goes out when smtp_host is set.
    public_url: str = "http://127.0.0.1:8000"
    smtp_host: str = ""
    smtp_port: int = Field(default=25, gt=0, lt=65536)
    smtp_from: str = "zhili@localhost"
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    notify_batch_size: int = Field(default=200, gt=0, le=10_000)
    notify_concurrency: int = Field(default=16, gt=0, le=256)
    notify_max_attempts: int = Field(default=10, gt=0)
    notify_retry_base_seconds: float = Field(default=30, gt=0)
    notify_retry_cap_seconds: float = Field(default=3600, gt=0)
    notify_lease_seconds: float = Field(default=300, gt=0)
    notify_timeout_seconds: float = Field(default=10, gt=0)
    notify_stream_seconds: float = Field(default=300, gt=0)
    notify_stream_poll_seconds: float = Field(default=1.5, gt=0)
    demo_clock: bool = False  # "now" = wall clock + the offset moved by `zhili clock advance` (demo only)
    timer_batch_size: int = Field(default=2_000, gt=0, le=50_000)
    # The division the public channels take reports for (Open311, the public form): its points and places only.
    jurisdiction: str = Field(default="3308", pattern=r"^\d{2,17}$")
    # Open311 (GeoReport v2, docs/reference/open311.md): the contact discovery names; the intake's token buckets,
    # per process: per API key and per client address, requests a minute on average and at once. The address's is
    # the looser: a city app's backend sends every citizen's report from one address, under its key's limit; it
    # stops floods (keys or none).
    open311_contact: str = "衢州市社会治理中心 12345"
    open311_public_channels: str = "open311"
    open311_key_per_minute: float = Field(default=60, gt=0)
    open311_key_burst: int = Field(default=30, gt=0)
    open311_address_per_minute: float = Field(default=120, gt=0)
    open311_address_burst: int = Field(default=60, gt=0)
    # The public report form (/report, no login; its place must lie in `jurisdiction` too): reports a
    # minute on average and at once, per client address and per process.
    public_report_per_minute: float = Field(default=10, gt=0)
    public_report_burst: int = Field(default=10, gt=0)
    # Every other page and read without a login (the tracking link, the form's map, Open311's reads): per address.
    public_read_per_minute: float = Field(default=240, gt=0)
    public_read_burst: int = Field(default=120, gt=0)
    # CAP alert feeds the worker polls (comma-separated http(s) URLs of Atom/RSS feeds or CAP documents).
    cap_feeds: str = ""
    cap_poll_seconds: float = Field(default=60, gt=0)
    cap_timeout_seconds: float = Field(default=10, gt=0, le=120)

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
