"""A page form sent twice acts once (`web.form_once`): a double tap or a retried POST writes nothing twice."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.cases.test_flow import PNG
from tests.cases.test_pages import HTML, _form
from tests.command_groups.helpers import fushan, open_fushan_group, person
from tests.conftest import Api

from zhili.cases.models import CasePhoto
from zhili.command_groups.models import CommandGroup, GroupEntry
from zhili.core.clock import FrozenClock


def _key(page: str) -> str:
    """The first form key a page gives."""
    return page.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]


def _photos(session: Session, case_id: int) -> int:
    return session.scalar(select(func.count()).select_from(CasePhoto).where(CasePhoto.case_id == case_id)) or 0


def test_a_case_page_form_sent_twice_acts_once(api: Api, session: Session) -> None:
    api.login("gridworker")
    case_url = api.client.post("/cases/new", data=_form(api, session), follow_redirects=False).headers["location"]
    case_id = int(case_url.rsplit("/", 1)[1])
    sent = {"csrf_token": api.csrf, "idempotency_key": _key(api.get(case_url, headers=HTML).text)}
    for _ in range(2):  # a double tap
        answer = api.client.post(
            f"{case_url}/photo", data=sent, files={"photo": ("p.png", PNG, "image/png")}, follow_redirects=False
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == f"{case_url}#summary"
    assert _photos(session, case_id) == 1
    another = {"csrf_token": api.csrf, "idempotency_key": _key(api.get(case_url, headers=HTML).text)}
    api.client.post(f"{case_url}/photo", data=another, files={"photo": ("p.png", PNG, "image/png")})
    assert _photos(session, case_id) == 2  # the page loaded again gives the next form a key of its own


def test_every_form_of_the_case_page_carries_its_own_key(api: Api, session: Session) -> None:
    api.login("gridworker")
    case_url = api.client.post("/cases/new", data=_form(api, session), follow_redirects=False).headers["location"]
    page = api.get(case_url, headers=HTML).text
    forms = page.count('method="post"')
    keys = page.split('name="idempotency_key" value="')[1:]
    assert forms >= 2
    assert len(keys) >= forms - 1  # every writing form but the logout button's
    assert len({key.split('"', 1)[0] for key in keys}) == len(keys)


def test_a_group_post_and_a_group_sent_twice_are_written_once(api: Api, session: Session, clock: FrozenClock) -> None:
    group_id = open_fushan_group(session, clock)
    api.login("kc-centre")
    key = _key(api.get(f"/groups/{group_id}").text)
    post = {"body": "抢险队已到达现场", "lon": "", "lat": "", "idempotency_key": key}
    for _ in range(2):
        answer = api.send("POST", f"/groups/{group_id}/posts", data=post, follow_redirects=False)
        assert answer.status_code == 303
    said = select(func.count()).where(GroupEntry.group_id == group_id, GroupEntry.body == "抢险队已到达现场")
    assert session.scalar(said) == 1
    opening = {
        "title": "府山街道塌方处置指挥组",
        "summary": "塌方",
        "area": fushan(session),
        "member": str(person(session, "gridworker")),
        "idempotency_key": _key(api.get("/groups/new").text),
    }
    first = api.send("POST", "/groups", data=opening, follow_redirects=False)
    again = api.send("POST", "/groups", data=opening, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert session.scalar(select(func.count()).where(CommandGroup.title == "府山街道塌方处置指挥组")) == 1
