"""Property-based fuzzing of the whole API from its OpenAPI document: no input may cause a 500."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.access.models import Account
from zhili.access.service import issue_token
from zhili.core.clock import FrozenClock
from zhili.core.settings import DEFAULT_SECRET


@pytest.fixture
def api_schema(app_client: Any) -> Any:
    """The API as its OpenAPI document describes it, called in-process inside the test transaction."""
    return schemathesis.openapi.from_asgi("/openapi.json", app_client.app)


@pytest.fixture
def admin_token(session: Session, clock: FrozenClock) -> str:
    account = session.scalars(select(Account).where(Account.username == "admin")).one()
    _token_id, token = issue_token(session, account=account, name="fuzz", days=1, secret=DEFAULT_SECRET, clock=clock)
    return token


def test_no_request_causes_a_server_error(api_schema: Any, admin_token: str) -> None:
    headers = {"Authorization": f"Bearer {admin_token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def call(case: Any) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} {case.query} -> {response.status_code}: {response.text[:300]}"
            )

        call()
