"""Settings refuse unsafe production starts and read ZHILI_ variables."""

from __future__ import annotations

import pytest

from zhili.core.settings import Settings


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(ValueError, match="ZHILI_SECRET_KEY"):
        Settings(environment="production")


def test_production_starts_with_a_private_secret() -> None:
    assert Settings(environment="production", secret_key="s3cret-value").environment == "production"


def test_settings_come_from_zhili_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHILI_DATABASE_URL", "sqlite:///tmp/x.sqlite")
    monkeypatch.setenv("ZHILI_MAX_BODY_BYTES", "1234")
    settings = Settings()
    assert settings.database_url == "sqlite:///tmp/x.sqlite"
    assert settings.max_body_bytes == 1234
    assert settings.sqlite_path() is not None
