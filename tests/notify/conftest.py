"""Fixtures of the notification tests."""

from __future__ import annotations

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from zhili.notify.models import OutboxMessage


@pytest.fixture
def empty_outbox(session: Session) -> None:
    """The demo world's outbox emptied, inside the test's transaction, for tests that read all of it.

    The demo's live typhoon campaign (severity red) leaves an SMS pending for each of its recipients.
    """
    session.execute(delete(OutboxMessage))
    session.commit()
