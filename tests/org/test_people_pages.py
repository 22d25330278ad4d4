"""People from the pages: a manager adds a person to a post of their place or unit and changes their contact details.

The demo's 府山街道 command room (`fushan`) manages the township's grids; 柯城区's traffic police head
(`kc-traffic-head`) manages their unit's staff but no territorial post; a grid worker manages nobody.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.campaigns.task_helpers import post_of
from tests.conftest import Api

from zhili.org.models import GridContact, Person, Position

HTML = {"accept": "text/html"}
FUSHAN_GRID = "330802006001001"  # the demo grid worker's grid, in 府山街道
HUZHEN_GRID = "330825101003001"  # the demo grid head's grid, in 龙游县湖镇镇
TRAFFIC_UNIT = 2  # 柯城区公安分局交警大队 (the demo's traffic police)
GRIDWORKER = 1646  # 廖梅, the demo grid worker


def _key(page: str) -> str:
    return page.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]


def _people_named(session: Session, name: str) -> list[Person]:
    return list(session.scalars(select(Person).where(Person.name == name)))


def test_a_command_room_adds_a_grid_worker_to_its_grid_once(api: Api, session: Session) -> None:
    api.login("fushan")
    grid = api.get(f"/org/divisions/{FUSHAN_GRID}", headers=HTML).text
    assert f'href="/org/people/new?division={FUSHAN_GRID}"' in grid
    form_page = api.get(f"/org/people/new?division={FUSHAN_GRID}", headers=HTML)
    assert form_page.status_code == 200
    assert '<option value="grid_worker"' in form_page.text
    # Without a place the form leads to the organisation, where each place's page has its 添加人员 button.
    nowhere = api.get("/org/people/new", headers=HTML, follow_redirects=False)
    assert (nowhere.status_code, nowhere.headers["location"]) == (303, "/org")
    assert api.login("gridworker").get("/org/people/new", headers=HTML, follow_redirects=False).status_code == 403
    api.login("fushan")
    assert "网格员" in form_page.text
    assert "社会治理中心" not in form_page.text.split('name="role"', 1)[1].split("</select>", 1)[0]  # not a grid's post
    form = {
        "name": "王小燕",
        "role": "grid_worker",
        "phone": "13905700001",
        "email": "wxy@example.org",
        "title": "",
        "idempotency_key": _key(form_page.text),
    }
    first = api.send("POST", f"/org/people/new?division={FUSHAN_GRID}", data=form, follow_redirects=False)
    again = api.send("POST", f"/org/people/new?division={FUSHAN_GRID}", data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    (person,) = _people_named(session, "王小燕")
    assert first.headers["location"] == f"/org/people/{person.id}?added=1"
    post = session.scalars(select(Position).where(Position.person_id == person.id)).one()
    assert (post.role, post.division_code, post.department_id) == ("grid_worker", FUSHAN_GRID, None)
    page = api.get(first.headers["location"], headers=HTML).text
    assert "人员已添加" in page
    assert f'href="/org/people/{person.id}/login"' in page  # the way to their login, at once
    assert 'value="wxy@example.org"' in page  # the contact form, for their manager
    assert f'<td data-label="所在区划"><a href="/org/divisions/{FUSHAN_GRID}">' in page  # a place, not a 层级


def test_a_refused_person_keeps_the_input_and_names_each_field(api: Api, session: Session) -> None:
    api.login("fushan")
    url = f"/org/people/new?division={FUSHAN_GRID}"
    refused = api.send("POST", url, data={"name": "", "role": "grid_worker", "phone": "12ab", "email": "吴@"})
    assert refused.status_code == 422
    assert 'data-field="name"' in refused.text
    assert 'data-field="phone"' in refused.text
    assert 'value="12ab"' in refused.text
    assert 'data-field="phone">请填写电话号码：5–20 位数字' in refused.text  # what shape is wanted, not 格式不正确
    assert 'data-field="email">请填写有效的电子邮箱' in refused.text
    wrong_post = api.send("POST", url, data={"name": "赵六", "role": "centre_staff", "phone": "", "email": ""})
    assert wrong_post.status_code == 422
    assert 'data-field="role">请从列表中选择' in wrong_post.text  # a post this place does not offer
    assert 'value="赵六"' in wrong_post.text
    no_post = api.send("POST", url, data={"name": "赵六", "role": "", "phone": "", "email": ""})
    assert (no_post.status_code, 'data-field="role">请选择此项' in no_post.text) == (422, True)  # none chosen
    assert _people_named(session, "赵六") == []
    taken = api.send(
        "POST", url, data={"name": "赵六", "role": "grid_worker", "phone": "", "email": ""}, follow_redirects=False
    )
    assert taken.status_code == 303
    phone = session.scalars(select(Person.phone).where(Person.id == GRIDWORKER)).one()
    twice = api.send("POST", url, data={"name": "钱七", "role": "party_member", "phone": phone, "email": ""})
    assert twice.status_code == 422
    assert 'data-field="phone">该电话号码已登记给 ' in twice.text  # and to whom (they may be the same person)


def test_who_may_add_people_where(api: Api, session: Session) -> None:
    before = session.scalar(select(func.count()).select_from(Person))
    form = {"name": "不该有", "role": "grid_worker", "phone": "", "email": ""}
    api.login("gridworker")  # manages nobody: no link, and the form is refused
    assert "/org/people/new" not in api.get(f"/org/divisions/{FUSHAN_GRID}", headers=HTML).text
    assert api.get(f"/org/people/new?division={FUSHAN_GRID}", headers=HTML).status_code == 403
    assert api.send("POST", f"/org/people/new?division={FUSHAN_GRID}", data=form).status_code == 403
    api.login("fushan")  # another township's grid lies outside its scope
    assert api.get(f"/org/people/new?division={HUZHEN_GRID}", headers=HTML).status_code == 404
    assert api.send("POST", f"/org/people/new?division={HUZHEN_GRID}", data=form).status_code == 404
    api.login("kc-traffic-head")  # a unit's head manages the unit's staff, not the grids of its county
    assert api.get(f"/org/people/new?division={FUSHAN_GRID}", headers=HTML).status_code == 403
    unit = api.get(f"/org/departments/{TRAFFIC_UNIT}", headers=HTML).text
    assert f'href="/org/people/new?department={TRAFFIC_UNIT}"' in unit
    staff = api.send(
        "POST",
        f"/org/people/new?department={TRAFFIC_UNIT}",
        data={"name": "新交警", "role": "dept_staff", "phone": "", "email": ""},
        follow_redirects=False,
    )
    assert staff.status_code == 303
    assert session.scalar(select(func.count()).select_from(Person)) == before + 1


def test_a_manager_changes_contact_details_others_cannot(api: Api, session: Session) -> None:
    api.login("fushan")
    saved = api.send(
        "POST",
        f"/org/people/{GRIDWORKER}",
        data={"name": "廖梅", "phone": "13905709999", "email": ""},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert "联系方式已保存" in api.get(saved.headers["location"], headers=HTML).text
    assert session.scalars(select(Person.phone).where(Person.id == GRIDWORKER)).one() == "13905709999"
    spaced = api.send(
        "POST",
        f"/org/people/{GRIDWORKER}",
        data={"name": "廖梅", "phone": "0570-888 1234", "email": ""},
        follow_redirects=False,
    )
    assert spaced.status_code == 303  # a number as people write it
    assert session.scalars(select(Person.phone).where(Person.id == GRIDWORKER)).one() == "05708881234"
    refused = api.send("POST", f"/org/people/{GRIDWORKER}", data={"name": "", "phone": "x", "email": ""})
    assert refused.status_code == 422
    assert 'data-field="name"' in refused.text
    assert 'value="x"' in refused.text
    api.login("gridworker")  # sees their own page, manages nobody (not even themselves)
    page = api.get(f"/org/people/{GRIDWORKER}", headers=HTML)
    assert page.status_code == 200
    assert 'id="contact"' not in page.text
    assert "/login" not in page.text.split('id="positions"', 1)[0].split("<h1>", 1)[1]
    denied = api.send("POST", f"/org/people/{GRIDWORKER}", data={"name": "改名", "phone": "", "email": ""})
    assert denied.status_code == 403
    assert session.scalars(select(Person.name).where(Person.id == GRIDWORKER)).one() == "廖梅"


def test_a_new_person_reports_to_whom_their_peers_report(api: Api, session: Session) -> None:
    """A new grid worker gets the grid's usual supervisor (told of unclaimed tasks); a unit's staff its head."""
    api.login("fushan")
    form_page = api.get(f"/org/people/new?division={FUSHAN_GRID}", headers=HTML).text
    form = {"name": "钱新网", "role": "grid_worker", "idempotency_key": _key(form_page)}
    api.send("POST", f"/org/people/new?division={FUSHAN_GRID}", data=form, follow_redirects=False)
    (person,) = _people_named(session, "钱新网")
    post = session.scalars(select(Position).where(Position.person_id == person.id)).one()
    peer = session.get(Position, 1646)  # 廖梅's post, the grid's other worker
    assert peer is not None
    assert post.supervisor_id == peer.supervisor_id is not None
    page = api.get(f"/org/people/{person.id}", headers=HTML).text
    boss = session.get(Position, peer.supervisor_id)
    assert boss is not None
    assert session.get(Person, boss.person_id).name in page  # type: ignore[union-attr]

    api.login("kc-traffic-head")
    form_page = api.get(f"/org/people/new?department={TRAFFIC_UNIT}", headers=HTML).text
    form = {"name": "孙新警", "role": "dept_staff", "idempotency_key": _key(form_page)}
    api.send("POST", f"/org/people/new?department={TRAFFIC_UNIT}", data=form, follow_redirects=False)
    (staff,) = _people_named(session, "孙新警")
    post = session.scalars(select(Position).where(Position.person_id == staff.id)).one()
    head = session.get(Position, post.supervisor_id)
    assert head is not None
    assert (head.role, head.department_id) == ("dept_head", TRAFFIC_UNIT)


def test_the_add_person_form_reads_in_english(api: Api) -> None:
    api.login("fushan")
    page = api.get(f"/org/people/new?division={FUSHAN_GRID}&lang=en", headers=HTML).text
    form = page.split('id="add-person"', 1)[1].split("</form>", 1)[0]
    assert 'placeholder="Optional, e.g. Deputy director"' in form  # no Chinese example on an English page
    assert "Grid worker" in form


def test_a_manager_moves_a_post_by_naming_where_it_goes(api: Api, session: Session) -> None:
    """调动: a unit's head moves to another unit, a grid worker to another grid, by name; refusals by the field."""
    head_post, staff_post = 489, 490  # 柯城区公安交警大队's head, and one of the staff reporting to them
    head = session.get(Position, head_post)
    assert head is not None
    api.login("admin")
    page = api.get(f"/org/people/{head.person_id}", headers=HTML).text
    assert f'action="/org/people/{head.person_id}/posts/{head_post}/move"' in page
    url = f"/org/people/{head.person_id}/posts/{head_post}/move"
    several = api.send("POST", url, data={"to": "交警"})
    assert several.status_code == 422
    assert f'data-field="to-{head_post}">“交警”对应多个单位' in several.text
    assert 'value="交警"' in several.text
    moved = api.send("POST", url, data={"to": "柯城区住房和城乡建设局"}, follow_redirects=False)
    assert moved.status_code == 303
    assert "岗位已调动" in api.get(moved.headers["location"], headers=HTML).text
    session.expire_all()
    assert (head.department_id, head.division_code) == (123, "330802")
    staff = session.get(Position, staff_post)
    assert staff is not None
    assert staff.supervisor_id != head_post  # its staff no longer report to someone who left
    record = api.get("/admin/audit?action=org.position.moved", headers=HTML).text
    assert "调动岗位" in record
    assert "下属改派上级人数" in record  # what the move did, by its labels

    url = f"/org/people/{GRIDWORKER}/posts/{GRIDWORKER}/move"
    wrong_level = api.send("POST", url, data={"to": "府山街道"})
    assert wrong_level.status_code == 422
    assert f'data-field="to-{GRIDWORKER}">“府山街道”与该岗位所在区划不是同一级' in wrong_level.text
    assert api.send("POST", url, data={"to": "蛟池街社区第2网格"}, follow_redirects=False).status_code == 303
    session.expire_all()
    assert session.scalars(select(Position.division_code).where(Position.id == GRIDWORKER)).one() == "330802006001002"
    api.login("gridworker")
    assert api.send("POST", url, data={"to": "蛟池街社区第1网格"}).status_code == 403


def test_a_move_tells_the_person_and_their_supervisor_with_links_to_where_they_act(api: Api, session: Session) -> None:
    """调动 is a hand-off: the grid worker reads where her post went, her 社区两委 supervisor who moved her."""
    api.login("fushan")
    url = f"/org/people/{GRIDWORKER}/posts/{GRIDWORKER}/move"
    assert api.send("POST", url, data={"to": "蛟池街社区第2网格"}, follow_redirects=False).status_code == 303
    api.login("gridworker")
    mine = api.get("/api/v1/inbox", params={"limit": 1}).json()["items"][0]
    assert mine["title"] == "岗位调动：您的网格员岗位已调到蛟池街社区第2网格"
    assert mine["link"] == "/#my-posts"
    assert "由蛟池街社区第1网格调到蛟池街社区第2网格（" in mine["body"]
    english = api.get("/inbox?lang=en", headers=HTML).text
    assert "Post moved: your Grid worker post is now at" in english  # the place's name follows, marked untranslated
    assert " · Post moved</small>" in english  # the topic by its label, not org.post_moved
    assert " · 岗位调动</small>" in api.get("/inbox?lang=zh", headers=HTML).text
    api.login("community")  # the village committee the grid worker reports to, before the move and after
    theirs = api.get("/api/v1/inbox", params={"limit": 1}).json()["items"][0]
    assert theirs["title"].startswith("人员调动：")
    assert "由蛟池街社区第1网格调到蛟池街社区第2网格" in theirs["title"]
    assert theirs["link"] == f"/org/people/{GRIDWORKER}"
    assert api.get(theirs["link"], headers=HTML).status_code == 200, "the link lands where they can read it"


def test_a_phone_already_registered_offers_the_post_to_its_holder(api: Api, session: Session) -> None:
    """A grid worker who is also a party member: the form names who has the number and gives them the post."""
    worker = session.get(Person, GRIDWORKER)
    assert worker is not None
    assert worker.phone
    namesakes = len(_people_named(session, worker.name))
    api.login("fushan")
    url = f"/org/people/new?division={FUSHAN_GRID}"
    form = {
        "name": worker.name,
        "role": "party_member",
        "phone": worker.phone,
        "idempotency_key": _key(api.get(url).text),
    }
    refused = api.send("POST", url, data=form)
    assert refused.status_code == 422
    assert f'data-field="phone">该电话号码已登记给 {worker.name}' in refused.text
    assert f'name="existing" value="{GRIDWORKER}"' in refused.text
    given = api.send("POST", url, data={**form, "existing": str(GRIDWORKER)}, follow_redirects=False)
    assert given.status_code == 303
    assert given.headers["location"] == f"/org/people/{GRIDWORKER}?post_added=1"
    roles = set(session.scalars(select(Position.role).where(Position.person_id == GRIDWORKER)))
    assert roles == {"grid_worker", "party_member"}
    assert len(_people_named(session, worker.name)) == namesakes  # not registered twice


def test_a_unit_head_names_a_grids_contact_officer_from_the_grid_page(api: Api, session: Session) -> None:
    """两网融合 from the pages: the traffic police head picks one of their officers for a grid; others cannot."""
    officer = post_of(session, "kc-traffic", "dept_staff").id  # one of 柯城区公安交警大队's staff
    worker = post_of(session, "gridworker", "grid_worker").id
    api.login("kc-traffic-head")
    page = api.get(f"/org/divisions/{FUSHAN_GRID}", headers=HTML).text
    assert f'<option value="{officer}">' in page
    assert f'value="{worker}"' not in page.split('id="name-contact"', 1)[1]  # a grid worker is no unit's officer
    url = f"/org/divisions/{FUSHAN_GRID}/contacts"
    assert api.send("POST", url, data={"position_id": str(worker)}).status_code == 422  # not one offered
    named = api.send("POST", url, data={"position_id": str(officer)}, follow_redirects=False)
    assert named.status_code == 303
    assert "已指定网格联系人" in api.get(named.headers["location"], headers=HTML).text
    contact = session.scalars(
        select(GridContact.position_id).where(
            GridContact.grid_code == FUSHAN_GRID, GridContact.department_id == TRAFFIC_UNIT
        )
    ).one()
    assert contact == officer
    api.login("gridworker")
    assert api.send("POST", url, data={"position_id": str(officer)}).status_code == 403


def test_the_api_moves_a_post_only_within_what_the_mover_manages(api: Api, session: Session) -> None:
    """PATCH /api/v1/org/positions/{id}: 200 inside one's block; 403 for a grid worker; 404 for what is out of sight."""
    worker = post_of(session, "gridworker", "grid_worker").id
    gridhead = post_of(session, "gridhead", "grid_head").id  # 湖镇镇, outside 府山街道
    url = f"/api/v1/org/positions/{worker}"
    api.login("gridworker")
    assert api.send("PATCH", url, json={"division_code": "330802006001002"}).status_code == 403
    api.login("fushan")
    assert api.send("PATCH", url, json={"division_code": HUZHEN_GRID}).status_code == 404  # a place out of sight
    assert (
        api.send("PATCH", f"/api/v1/org/positions/{gridhead}", json={"division_code": FUSHAN_GRID}).status_code == 404
    )
    assert api.send("PATCH", "/api/v1/org/positions/99999999", json={"division_code": FUSHAN_GRID}).status_code == 404
    moved = api.send("PATCH", url, json={"division_code": "330802006001002"})
    assert moved.status_code == 200, moved.text
    assert session.scalars(select(Position.division_code).where(Position.id == worker)).one() == "330802006001002"


def test_a_move_sent_twice_is_made_once(api: Api, session: Session) -> None:
    """A second tap on 调动 (a slow phone) answers the first move, not 'the post is there already'."""
    worker = post_of(session, "gridworker", "grid_worker")
    api.login("fushan")
    page = api.get(f"/org/people/{worker.person_id}", headers=HTML).text
    key = page.split(f'id="move-{worker.id}"', 1)[1].split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    url = f"/org/people/{worker.person_id}/posts/{worker.id}/move"
    form = {"to": "蛟池街社区第2网格", "idempotency_key": key}
    first = api.send("POST", url, data=form, follow_redirects=False)
    again = api.send("POST", url, data=form, follow_redirects=False)
    assert (first.status_code, again.status_code) == (303, 303)
