"""Ids read out of text (`photo:<id>` evidence, form fields, a stream's Last-Event-ID): `core.params.id_in`.

`str.isdigit` took "²" and "①" (which `int` refuses) and runs of digits past any id (which overflow the
driver): each was a 500. Found reading the code behind the fuzz's 5xx on times.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from tests.cases.test_flow import report_parking, underway

from zhili.cases.forms import meeting_from_form
from zhili.core.errors import InvalidInputError
from zhili.core.params import MAX_ID, id_in

BAD_IDS = ["²", "①", "٣", "0", "-1", "1.0", " 1", "", str(MAX_ID + 1), "9" * 30]


@pytest.mark.parametrize("text", BAD_IDS)
def test_text_that_names_no_id_is_none(text: str) -> None:
    assert id_in(text) is None


def test_ascii_digits_within_the_id_range_are_an_id() -> None:
    assert id_in("1") == 1
    assert id_in(str(MAX_ID)) == MAX_ID
    assert id_in("007") == 7


def test_a_meeting_decision_with_too_many_days_is_a_422_naming_the_field() -> None:
    now = datetime(2026, 7, 23, tzinfo=UTC)
    for days in ("99999999999", "91"):
        form = FormData([("title", "会商"), ("minutes", "纪要"), ("decision", "清理"), ("decision_days", days)])
        with pytest.raises(InvalidInputError) as refused:
            meeting_from_form(form, now)
        assert refused.value.extra["errors"][0]["field"] == "decision_days"
    form = FormData(
        [("title", "会商"), ("minutes", "纪要"), ("decision", "清理"), ("decision_owner", "5"), ("decision_days", "²")]
    )
    assert meeting_from_form(form, now).decisions[0].deadline_at.day == 26  # not a number: the default 3 days


def test_photo_evidence_that_names_no_id_is_a_422(api: Any, session: Session) -> None:
    case = report_parking(api, session)
    case = underway(api, case)
    for ref in ("photo:²", "photo:" + "9" * 30):
        body = {"command": "reply", "text": "done", "evidence": [{"kind": "photo", "ref": ref}]}
        response = api.send("POST", f"/api/v1/cases/{case['id']}/commands", json=body)
        assert response.status_code == 422, (ref, response.text)
