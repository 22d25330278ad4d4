"""The task queue: search, unclaimed and overdue filters, sort with cursors, CSV/XLSX export, within the task reach."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.campaigns.task_helpers import actor_of, dispatch_typhoon, task_of
from tests.conftest import Api

from zhili.campaigns import lifecycle
from zhili.campaigns.models import Campaign, CampaignTask
from zhili.campaigns.visibility import load_reach, supervised_tasks
from zhili.core.auth import Grant, Scope
from zhili.core.clock import FrozenClock
from zhili.demo.build import LOGIN_LABELS
from zhili.web.i18n import translate

HTML = {"accept": "text/html"}
NOTIFIED = translate("task_state.notified", "zh")


def _ids(api: Api, query: str) -> list[int]:
    response = api.get(f"/api/v1/tasks?{query}&limit=500")
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()["items"]]


def _csv(api: Api, path: str) -> list[list[str]]:
    response = api.get(path)
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _claim(api: Api, task: CampaignTask) -> None:
    assert api.send("POST", f"/api/v1/tasks/{task.id}/claim").status_code == 200


def test_unclaimed_and_overdue_filters(api: Api, session: Session, clock: FrozenClock) -> None:
    campaign = dispatch_typhoon(session, clock)
    task = task_of(session, campaign, "partymember")
    api.login("partymember")
    assert task.id in _ids(api, "unclaimed=true")
    assert task.id not in _ids(api, "overdue=true")
    _claim(api, task)
    assert task.id not in _ids(api, "unclaimed=true")
    assert task.id in _ids(api, "state=claimed")
    clock.advance(task.report_due_at - clock.now() + timedelta(minutes=1))
    api.login("partymember")
    assert task.id in _ids(api, "overdue=true")


def test_search_and_the_campaign_filter(api: Api, session: Session, clock: FrozenClock) -> None:
    campaign = dispatch_typhoon(session, clock)
    task = task_of(session, campaign, "partymember")
    api.login("gridhead")
    assert task.id in _ids(api, f"view=above&q={campaign.number}")
    assert task.id in _ids(api, f"view=above&campaign={campaign.id}")
    assert _ids(api, f"view=above&campaign={campaign.id + 100000}") == []
    assert _ids(api, "view=above&q=没有这样的任务") == []
    assert api.get("/api/v1/tasks?state=nonsense").status_code == 422


def test_sorts_and_cursor_pages_agree(api: Api, session: Session, clock: FrozenClock) -> None:
    dispatch_typhoon(session, clock)
    clock.advance(timedelta(minutes=5))
    dispatch_typhoon(session, clock)
    api.login("huzhen")
    for sort in ("newest", "oldest", "due"):
        whole = _ids(api, f"view=above&sort={sort}")
        paged, cursor = [], ""
        while True:
            page = api.get(f"/api/v1/tasks?view=above&sort={sort}&limit=4{cursor}").json()
            paged += [row["id"] for row in page["items"]]
            if not page["next_cursor"]:
                break
            cursor = f"&cursor={page['next_cursor']}"
        assert paged == whole, sort
        assert len(whole) > 4
    assert _ids(api, "view=above&sort=oldest") == list(reversed(_ids(api, "view=above&sort=newest")))


def test_export_lists_the_view_by_labels_and_matches_the_database(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    campaign = dispatch_typhoon(session, clock)
    api.login("huzhen")
    rows = _csv(api, f"/tasks/export.csv?view=above&campaign={campaign.id}")
    reach = load_reach(session, actor_of(session, "huzhen"))
    expected = session.scalar(
        select(func.count())
        .select_from(CampaignTask)
        .where(CampaignTask.campaign_id == campaign.id, supervised_tasks(reach))
    )
    assert len(rows) - 1 == expected > 0
    assert rows[0][:3] == ["任务编号", "任务名称", "责任人"]
    assert {row[5] for row in rows[1:]} == {NOTIFIED}
    assert all(row[0] == campaign.number for row in rows[1:])
    xlsx = api.get(f"/api/v1/tasks/export.xlsx?view=above&campaign={campaign.id}&lang=en")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Campaign number"
    assert len(values) == len(rows)


def test_nobody_sees_tasks_beyond_their_reach(api: Api, session: Session, clock: FrozenClock) -> None:
    campaign = dispatch_typhoon(session, clock)
    api.login("gridworker")  # 府山街道 in 柯城区: the campaign went to 湖镇镇
    assert _ids(api, f"view=above&campaign={campaign.id}") == []
    assert _ids(api, f"campaign={campaign.id}") == []
    assert len(_csv(api, f"/tasks/export.csv?view=above&campaign={campaign.id}")) == 1
    assert len(_csv(api, f"/tasks/export.csv?campaign={campaign.id}")) == 1
    api.login("partymember")  # a recipient sees only their own task, never another's
    own = task_of(session, campaign, "partymember")
    assert _ids(api, f"campaign={campaign.id}") == [own.id]
    assert _ids(api, f"view=above&campaign={campaign.id}") == []
    name = api.get(f"/api/v1/tasks/{own.id}").json()["person_name"]
    assert [row[2] for row in _csv(api, f"/tasks/export.csv?campaign={campaign.id}")[1:]] == [name]


def test_the_level_above_in_sql_is_the_task_rules_level_above_for_every_login(session: Session) -> None:
    """`view=above` (lists, tiles, exports) holds exactly the tasks `parties_of` gives the level above's actions.

    The demo's typhoon in 阳湖社区 has a team leader's task held in the village itself: the village committee may
    see it, but it answers to the township (湖镇镇), not to the village.
    """
    tasks = session.execute(
        select(CampaignTask.id, CampaignTask.person_id, CampaignTask.supervisor_position_id, CampaignTask.division_code)
    ).all()
    for username in LOGIN_LABELS:
        reach = load_reach(session, actor_of(session, username))
        in_sql = set(session.scalars(select(CampaignTask.id).where(supervised_tasks(reach))))
        by_rule = {
            task_id
            for task_id, person_id, supervisor, division in tasks
            if lifecycle.TaskParty.ABOVE
            in lifecycle.parties_of(
                reach, person_id=person_id, supervisor_position_id=supervisor, division_code=division
            )
        }
        assert in_sql == by_rule, username
    typhoon = session.scalars(select(Campaign).where(Campaign.source_key == "demo:typhoon:yanghu")).one()
    leader = task_of(session, typhoon, "teamleader")
    village, township = (load_reach(session, actor_of(session, name)) for name in ("village", "huzhen"))
    assert leader.id not in set(session.scalars(select(CampaignTask.id).where(supervised_tasks(village))))
    assert leader.id in set(session.scalars(select(CampaignTask.id).where(supervised_tasks(township))))


def test_a_city_answers_for_a_task_held_at_the_city_itself(session: Session) -> None:
    """The city is its own level above (`parent_code`): the SQL and the rule agree there too."""
    task = session.scalars(select(CampaignTask).order_by(CampaignTask.id).limit(1)).one()
    task.division_code, task.supervisor_position_id = "3308", None
    session.flush()
    for prefix, expected in (("3308", True), ("330825", False)):
        reach = lifecycle.Reach(None, frozenset(), Scope.of([Grant(prefix)]))
        in_sql = task.id in set(session.scalars(select(CampaignTask.id).where(supervised_tasks(reach))))
        by_rule = lifecycle.TaskParty.ABOVE in lifecycle.parties_of(
            reach, person_id=task.person_id, supervisor_position_id=None, division_code="3308"
        )
        assert (in_sql, by_rule) == (expected, expected), prefix


def test_the_page_has_the_filter_form_and_export_links(api: Api, session: Session, clock: FrozenClock) -> None:
    campaign = dispatch_typhoon(session, clock)
    api.login("partymember")
    page = api.get("/tasks?unclaimed=true&sort=due", headers=HTML)
    assert page.status_code == 200
    assert 'id="task-filters"' in page.text
    assert "/tasks/export." not in page.text  # a party member's own few tasks: no spreadsheets on the phone
    assert f'data-task="{task_of(session, campaign, "partymember").id}"' in page.text
    assert f'<option value="{campaign.id}"' in page.text  # the campaign filter offers it
    assert api.get("/tasks?q=&sort=&state=&campaign=", headers=HTML).status_code == 200
    api.login("gridhead")  # who oversees others exports the list as filtered
    above = api.get("/tasks?view=above&unclaimed=true&sort=due", headers=HTML).text
    assert 'href="/tasks/export.csv?view=above&amp;unclaimed=true&amp;sort=due"' in above
    api.login("gridworker")  # another county: the campaign is not even offered
    assert f'<option value="{campaign.id}"' not in api.get("/tasks?view=above", headers=HTML).text
