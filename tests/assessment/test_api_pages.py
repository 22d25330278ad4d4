"""The assessment over HTTP on the demo world: rankings, breakdowns in and out of scope, the close, the forms."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tests.conftest import Api
from zhili.assessment.models import AssessmentLine
from zhili.cases.models import Case
from zhili.org.models import Position

HUZHEN, FUSHAN, LONGYOU = "330825101", "330802006", "330825"
JUNE = "2026-06"


def test_a_township_sees_its_county_ranking_with_its_own_row(api: Api) -> None:
    api.login("huzhen")
    body = api.get(f"/api/v1/assessment/scores?month={JUNE}&level=township").json()
    assert body["county"] == LONGYOU
    assert not body["is_closed"]
    own = [row for row in body["rows"] if row["is_own"]]
    assert [row["subject_id"] for row in own] == [HUZHEN]
    assert [row["rank"] for row in body["rows"]] == sorted(row["rank"] for row in body["rows"])
    assert all(0 <= row["total"] <= row["full_marks"] for row in body["rows"])


def test_a_closed_month_reads_its_frozen_scores(api: Api) -> None:
    api.login("huzhen")
    body = api.get("/api/v1/assessment/scores?month=2026-05").json()  # the demo closed May
    assert body["is_closed"]
    assert body["rows"]


@pytest.mark.parametrize(
    ("login", "path", "status"),
    [
        ("huzhen", f"/api/v1/assessment/subjects/division/{HUZHEN}/lines?month={JUNE}", 200),
        ("huzhen", f"/api/v1/assessment/subjects/division/{FUSHAN}/lines?month={JUNE}", 404),
        ("huzhen", "/api/v1/assessment/subjects/division/330825102/lines?month=2026-06", 404),
        ("ly-centre", f"/api/v1/assessment/subjects/division/{HUZHEN}/lines?month={JUNE}", 200),
        ("huzhen", "/api/v1/assessment/scores?county=330802", 404),
        ("kc-traffic", f"/api/v1/assessment/subjects/division/{HUZHEN}/lines?month={JUNE}", 404),
    ],
)
def test_breakdowns_follow_the_data_scope(api: Api, login: str, path: str, status: int) -> None:
    api.login(login)
    assert api.get(path).status_code == status


def test_every_line_names_its_event(api: Api) -> None:
    api.login("ly-centre")
    body = api.get(f"/api/v1/assessment/subjects/division/{LONGYOU}/lines?month={JUNE}").json()
    assert body["lines"]
    for line in body["lines"]:
        assert line["ref"].split(":")[0] in {"event", "card", "task", "rating"}
    # Every event counted is a line, those that cost nothing too.
    assert len([line for line in body["lines"] if line["dimension"] != "penalty"]) == body["score"]["events"]
    assert any(line["points"] == 0 for line in body["lines"])
    # Every point lost is a line: the total is full marks plus the lines, unless an indicator hit 0 (capped).
    score, lost = body["score"], sum(line["points"] for line in body["lines"])
    assert max(score["full_marks"] + lost, 0) - 0.05 <= score["total"] <= score["full_marks"]


@pytest.mark.parametrize("query", ["month=2026-13", "month=June", "month=2030-01", "level=village", "county=33"])
def test_bad_input_is_a_problem_not_a_500(api: Api, query: str) -> None:
    api.login("huzhen")
    response = api.get(f"/api/v1/assessment/scores?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_the_centre_closes_a_month_once(api: Api) -> None:
    api.login("ly-centre")
    first = api.send("POST", "/api/v1/assessment/close", json={"county": LONGYOU, "month": JUNE})
    assert first.status_code == 200, first.text
    assert first.json()["is_new"]
    again = api.send("POST", "/api/v1/assessment/close", json={"county": LONGYOU, "month": JUNE}).json()
    assert not again["is_new"]
    assert again["scores"] == first.json()["scores"]
    running = api.send("POST", "/api/v1/assessment/close", json={"county": LONGYOU, "month": "2026-07"})
    assert running.status_code == 409


def test_a_township_may_not_close(api: Api) -> None:
    api.login("huzhen")
    response = api.send("POST", "/api/v1/assessment/close", json={"county": LONGYOU, "month": JUNE})
    assert response.status_code == 403


def test_the_ranking_page_in_chinese_and_english(api: Api) -> None:
    api.login("huzhen")
    page = api.get(f"/assessment?month={JUNE}")
    assert page.status_code == 200
    assert "本单位" in page.text
    assert "湖镇镇" in page.text
    assert 'class="card-head rank" data-label="排名"' in page.text  # a phone's card says what the number is
    english = api.get(f"/assessment?month={JUNE}&lang=en")
    assert "Timeliness" in english.text
    assert "township_command" not in english.text


def test_a_refused_rating_keeps_its_input_and_names_the_field(api: Api) -> None:
    api.login("huzhen")
    form = api.get(f"/assessment/ratings?month={JUNE}")
    assert form.status_code == 200
    subject = form.text.split('name="scores.', 1)[1].split('"', 1)[0]
    response = api.send(
        "POST",
        "/assessment/ratings",
        data={"month": JUNE, "rater": f"division:{HUZHEN}", f"scores.{subject}": "9", "csrf_token": api.csrf},
    )
    assert response.status_code == 422
    assert f'id="error-scores-{subject}"' in response.text
    assert 'value="9"' in response.text
    assert "超出允许范围" in response.text  # 9 is a number, but beyond the 1–5 scale
    assert "请填写数字" not in response.text
    saved = api.send(
        "POST",
        "/assessment/ratings",
        data={"month": JUNE, "rater": f"division:{HUZHEN}", f"scores.{subject}": "4", "csrf_token": api.csrf},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    subjects = form.text.count('name="scores.')
    said = api.get(saved.headers["location"]).text.split('id="ratings-saved"', 1)[1].split("</p>", 1)[0]
    assert "评分已保存：1 项" in said
    assert f"尚有 {subjects - 1} 项未评分" in said
    # a score cleared is said, not dropped in silence
    cleared = api.send(
        "POST",
        "/assessment/ratings",
        data={"month": JUNE, "rater": f"division:{HUZHEN}", f"scores.{subject}": "", "csrf_token": api.csrf},
        follow_redirects=False,
    )
    said = api.get(cleared.headers["location"]).text.split('id="ratings-saved"', 1)[1].split("</p>", 1)[0]
    assert "留空的 1 项原有评分已清除" in said


def test_ratings_api_refuses_by_field(api: Api) -> None:
    api.login("huzhen")
    response = api.send(
        "POST", "/api/v1/assessment/ratings", json={"month": JUNE, "rater": f"division:{HUZHEN}", "scores": {"1": 3}}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "scores.1"


def test_only_administrators_edit_the_model(api: Api) -> None:
    api.login("huzhen")
    assert api.get("/admin/assessment").status_code == 403
    api.login("admin")
    page = api.get("/admin/assessment")
    assert page.status_code == 200
    assert "适用于此前所有月份" in page.text  # the first version, not a made-up month
    assert "（适用于此前所有月份）" in page.text
    english = api.get("/admin/assessment?lang=en").text
    assert "（" not in english.split("<main", 1)[1]  # English brackets on the English page
    api.get("/admin/assessment?lang=zh")  # the language is kept: back to Chinese for the rest
    assert "2000-01" not in page.text
    refused = api.send(
        "POST",
        "/admin/assessment",
        data={"weight.unit_cross": "abc", "effective_from": "2026-08", "note": "", "csrf_token": api.csrf},
    )
    assert refused.status_code == 422
    assert 'id="error-weight-unit_cross"' in refused.text
    assert 'value="abc"' in refused.text
    for month, reason in (("2026/08", "月份应写作 YYYY-MM"), ("2026-13", "月份应写作 YYYY-MM")):
        wrong = api.send(
            "POST", "/admin/assessment", data={"effective_from": month, "note": "试", "csrf_token": api.csrf}
        )
        assert wrong.status_code == 422
        assert reason in wrong.text  # the reason, not "out of range", in Chinese as in English
    saved = api.send(
        "POST",
        "/admin/assessment",
        data={"weight.unit_cross": "25", "effective_from": "2026-08", "note": "互评加权", "csrf_token": api.csrf},
        follow_redirects=False,
    )
    assert saved.status_code == 303


def test_the_export_is_labelled(api: Api) -> None:
    api.login("huzhen")
    response = api.get(f"/api/v1/assessment/scores.csv?month={JUNE}")
    assert response.status_code == 200
    assert "排名" in response.content.decode("utf-8-sig").splitlines()[0]


def test_the_close_button_freezes_the_month_from_the_page(api: Api) -> None:
    api.login("ly-centre")
    page = api.get(f"/assessment?month={JUNE}&county={LONGYOU}").text
    assert 'id="close-form"' in page
    closed = api.send(
        "POST",
        "/assessment/close",
        data={"county": LONGYOU, "month": JUNE, "csrf_token": api.csrf},
        follow_redirects=False,
    )
    assert closed.status_code == 303
    after = api.get(closed.headers["location"]).text
    assert 'id="closed-note"' in after
    assert 'id="close-form"' not in after
    api.login("huzhen")
    assert 'id="close-form"' not in api.get("/assessment?month=2026-04").text


def test_a_month_not_yet_begun_is_refused_not_shown_at_full_marks(api: Api) -> None:
    api.login("kc-centre")  # the clock stands in July 2026
    for path in ("/assessment?month=2026-08", "/assessment/division/330802006?month=2026-08"):
        page = api.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 422
        assert "100.0" not in page.text
    assert api.get("/assessment?month=2026-07").status_code == 200  # the month under way is scored live


def test_a_units_head_opens_at_the_departments_with_their_units_place_on_top(api: Api) -> None:
    api.login("kc-traffic-head")
    page = api.get(f"/assessment?month={JUNE}", headers={"accept": "text/html"}).text
    assert '<option value="department" selected' in page  # not the townships, where the unit is not listed
    top = page.split('id="ranking"', 1)[0]
    assert "本单位 柯城区公安交警大队：第" in top
    summary = top.split('class="alert info own-summary"', 1)[1].split("</p>", 1)[0]
    assert "/assessment/unit/" in summary
    assert f"month={JUNE}" in summary
    api.login("huzhen")  # a township's command room still opens at the townships
    page = api.get(f"/assessment?month={JUNE}", headers={"accept": "text/html"}).text
    assert '<option value="township" selected' in page
    assert "本单位 湖镇镇" in page.split('id="ranking"', 1)[0]
    api.login("qz-centre")  # so does the city's centre, not the people (where it has no row of its own)
    page = api.get(f"/assessment?month={JUNE}", headers={"accept": "text/html"}).text
    assert '<option value="township" selected' in page


def test_a_person_is_not_shown_a_zero_where_the_model_does_not_score_people(api: Api) -> None:
    """People are scored on timeliness alone by default: quality, satisfaction and cross say 不计分, not 0.0."""
    api.login("kc-traffic-head")
    page = api.get(f"/assessment?month={JUNE}&level=person", headers={"accept": "text/html"}).text
    row = page.split('id="subject-person-', 1)[1].split("</tr>", 1)[0]
    assert row.count("not-scored") == 3
    assert 'class="num not-scored zero" data-label="质量" title="不计分">—</td>' in row
    person = row.split('"', 1)[0]
    breakdown = api.get(f"/assessment/person/{person}?month={JUNE}", headers={"accept": "text/html"})
    assert breakdown.status_code == 200
    summary = breakdown.text.split('id="score-summary"', 1)[1].split("</dl>", 1)[0]
    assert summary.count("不计分</small>") == 3
    events = int(summary.split("<dt>计分事件</dt><dd>", 1)[1].split("<", 1)[0])
    # Every event counted is listed, those that cost nothing too (folded under 未扣分的计分事件).
    lines = api.get(f"/api/v1/assessment/subjects/person/{person}/lines?month={JUNE}").json()["lines"]
    assert len([line for line in lines if line["dimension"] != "penalty"]) == events
    assert breakdown.text.split('id="lines"', 1)[1].count('<tr class="line">') == len(lines)
    if not lines:
        assert "本月没有计分事件。" in breakdown.text
    unit = api.get(f"/assessment?month={JUNE}", headers={"accept": "text/html"}).text
    assert "not-scored" not in unit.split('id="ranking"', 1)[1]  # a unit is scored on all four


def test_a_ranking_links_only_the_breakdowns_the_reader_may_open(api: Api) -> None:
    api.login("huzhen")
    page = api.get(f"/assessment?month={JUNE}").text
    table = page.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    assert "湖镇镇" in table
    assert "龙洲街道" in table  # a sister township is ranked, named without a link to a breakdown it may not read
    linked = set(re.findall(r'href="(/assessment/division/\d+[^"]*)"', table))
    assert linked
    assert all(HUZHEN in link for link in linked)
    for link in linked:
        assert api.get(link.replace("&amp;", "&")).status_code == 200
    api.login("ly-centre")
    county = api.get(f"/assessment?month={JUNE}").text.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    assert len(set(re.findall(r'href="/assessment/division/(\d+)', county))) > 1  # the centre opens every township's


def test_a_month_closed_with_only_its_costly_lines_says_how_many_are_not_listed(api: Api, session: Session) -> None:
    """Months closed by an earlier release kept only the lines that cost points: the breakdown says so."""

    def counted() -> int:
        lines = select(func.count()).where(
            AssessmentLine.month == "2026-05",
            AssessmentLine.subject_id == HUZHEN,
            AssessmentLine.dimension != "penalty",
        )
        return int(session.scalar(lines) or 0)

    kept = counted()
    session.execute(delete(AssessmentLine).where(AssessmentLine.month == "2026-05", AssessmentLine.points == 0))
    session.flush()
    costly = counted()
    assert costly < kept
    api.login("huzhen")
    page = api.get(f"/assessment/division/{HUZHEN}?month=2026-05").text
    said = page.split('id="unkept">', 1)[1].split("<", 1)[0]
    assert said == f"本月结账时只保存了扣分事件：另有 {kept - costly} 个未扣分的计分事件未逐条保存。"


def test_a_breakdown_says_which_lines_were_late(api: Api) -> None:
    """A line costing points on an on-time indicator reads 核查通过（逾期）, not as a deduction for passing."""
    api.login("ly-centre")
    page = api.get(f"/assessment/division/{HUZHEN}?month={JUNE}").text
    late = page.split('data-list="lines-timeliness"', 1)[1].split("</table>", 1)[0]
    # The dimension's heading names its sum as the events' points, not as a bare number beside the score.
    heading = page.split('data-list="lines-timeliness"', 1)[0].rsplit("<h2>", 1)[1]
    assert '<small class="lines-sum">事件分值合计：-' in heading
    rows = late.split('<tr class="line">')[1:]
    assert rows
    assert all('<span class="late">（逾期）</span>' in row for row in rows)
    kept = page.split('data-list="kept-timeliness"', 1)[1].split("</table>", 1)[0]
    assert "逾期" not in kept
    others = [page.split(f'data-list="lines-{d}"', 1) for d in ("quality", "satisfaction", "penalty")]
    assert any(len(found) == 2 for found in others)
    assert all("逾期" not in found[1].split("</table>", 1)[0] for found in others if len(found) == 2)


def test_field_staff_open_at_the_people_with_their_own_row_and_the_ranks_count(api: Api) -> None:
    """A grid worker ranks as a person: the page opens there and says 本人, out of all the county ranks."""
    api.login("kc-traffic")  # a person in the unit: ranked among the county's people, most out of sight
    body = api.get("/api/v1/assessment/scores?level=person").json()
    own = [row for row in body["rows"] if row["is_own"]]
    assert [row["subject_kind"] for row in own] == ["person"]  # the unit's id is not taken for the person's
    assert body["ranked"] >= len(body["rows"])
    page = api.get("/assessment?level=person").text
    summary = page.split('class="alert info own-summary"', 1)[1].split("</strong>", 1)[0]
    assert f"第 {own[0]['rank']} 名（共 {body['ranked']} 人）" in summary
    assert "本人 " in summary
    api.login("gridworker")
    page = api.get("/assessment").text
    assert '<option value="person" selected' in page
    assert 'href="/assessment/ratings"' not in page  # the cross-evaluation is not a grid worker's to fill in
    api.login("huzhen")
    assert 'id="rate-link"' in api.get("/assessment").text


def test_a_reader_who_may_see_none_of_the_ranked_people_is_told_so_not_that_nobody_ranks(api: Api) -> None:
    api.login("kc-enforcement")  # none of the county's ranked people are its own, and it may see no others
    body = api.get(f"/api/v1/assessment/scores?month={JUNE}&level=person").json()
    assert body["rows"] == []
    assert body["ranked"] > 0
    said_in = {
        "zh": f"共 {body['ranked']} 个考评对象参与排名",
        "en": f"Ranked at this level this month: {body['ranked']},",
    }
    for lang, said in said_in.items():
        page = api.get(f"/assessment?month={JUNE}&level=person&lang={lang}").text
        empty = page.split('<tr class="empty">', 1)[1].split("</tr>", 1)[0]
        assert said in empty, lang
        assert 'id="trend"' not in page  # no line to draw: no empty chart with a mean of nobody
        switch = page.split('class="lang-switch" href="', 1)[1].split('"', 1)[0]
        assert "level=person" in switch, switch  # the other language shows the same ranking
        assert f"month={JUNE}" in switch, switch
    api.login("admin")
    page = api.get(f"/assessment?month={JUNE}&level=person&q=不存在的人").text
    assert "不存在的人" in page.split('<tr class="empty">', 1)[1].split("</tr>", 1)[0]


def test_a_reader_over_several_counties_opens_where_their_newest_case_lies(api: Api, session: Session) -> None:
    """Administrators and the city's centre open on the county of the newest case they see, not the first code."""
    newest = session.scalar(select(Case.place_code).order_by(Case.id.desc()).limit(1))
    assert newest is not None
    api.login("admin")
    assert api.get(f"/api/v1/assessment/scores?month={JUNE}").json()["county"] == newest[:6]
    assert newest[:6] != "330102"  # not 杭州上城区, the province's first county, where nothing happened
    api.login("huzhen")
    assert api.get(f"/api/v1/assessment/scores?month={JUNE}").json()["county"] == LONGYOU  # one county: their own


def test_a_reader_over_the_province_chooses_among_the_counties_the_product_runs_in(api: Api) -> None:
    """Administrators see the province: the county list holds those with units, not all ninety."""
    api.login("admin")
    page = api.get(f"/assessment?month={JUNE}&county=330802").text
    offered = re.findall(r'<option value="(\d{6})"', page)
    assert {"330802", "330825"} <= set(offered)
    assert "330102" not in offered  # 杭州上城区: no unit there, nothing to rank
    assert 'id="no-record"' not in page  # 柯城区's June has events counted
    # asked for anyway, it is kept in the list and says that nothing was counted: a tie at full marks, not a result
    quiet = api.get(f"/assessment?month={JUNE}&county=330102").text
    assert '<option value="330102" selected>' in quiet
    assert 'id="no-record"' in quiet
    assert "还没有计分事件" in quiet
    rows = quiet.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    assert rows.count("<tr") == rows.count("当月无计分事件") > 0


def test_a_long_ranking_comes_in_pages_names_each_persons_post_and_finds_a_name(api: Api) -> None:
    """A county ranks hundreds of people: 50 to a page, each beside their post (two 王芳 differ), with a search."""
    api.login("kc-centre")
    body = api.get(f"/api/v1/assessment/scores?month={JUNE}&level=person").json()
    rows = body["rows"]
    assert len(rows) > 50
    page = api.get(f"/assessment?month={JUNE}&level=person").text
    table = page.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    assert table.count('id="subject-person-') == 50
    assert f'id="subject-person-{rows[0]["subject_id"]}"' in table
    assert table.count('class="muted post-of"') == 50  # each person beside their post: 网格员 · …
    pages = -(-len(rows) // 50)
    pager = page.split('id="ranking-pages"', 1)[1].split("</nav>", 1)[0]
    assert f"第 1 / {pages} 页，共 {len(rows)} 人" in pager
    last = api.get(f"/assessment?month={JUNE}&level=person&page={pages}").text
    assert f'id="subject-person-{rows[-1]["subject_id"]}"' in last
    assert 'rel="prev"' in last
    assert 'rel="next"' not in last
    beyond = api.get(f"/assessment?month={JUNE}&level=person&page={pages + 5}").text  # the last page, not nothing
    assert f'id="subject-person-{rows[-1]["subject_id"]}"' in beyond
    name = rows[70]["name"]
    found = api.get(f"/assessment?month={JUNE}&level=person&q={name}").text
    listed = found.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    assert f'id="subject-person-{rows[70]["subject_id"]}"' in listed
    assert listed.count('id="subject-person-') == sum(name in row["name"] for row in rows)
    assert f'<td class="card-head rank" data-label="排名">{rows[70]["rank"]}</td>' in listed  # the rank kept
    nobody = api.get(f"/assessment?month={JUNE}&level=person&q=不存在的人").text
    assert "没有名称含“不存在的人”的考评对象。" in nobody
    assert api.get(f"/assessment?month={JUNE}&level=person&page=0").status_code == 422
    assert api.get(f"/assessment?month={JUNE}&level=person&q={'长' * 31}").status_code == 422


def test_the_own_summary_links_to_the_page_the_own_row_is_on(api: Api) -> None:
    api.login("kc-traffic")
    body = api.get(f"/api/v1/assessment/scores?month={JUNE}&level=person").json()
    index = next(i for i, row in enumerate(body["rows"]) if row["is_own"])
    page = api.get(f"/assessment?month={JUNE}&level=person").text
    summary = page.split('class="alert info own-summary"', 1)[1].split("</p>", 1)[0]
    link = re.search(r'href="([^"]+#subject-person-\d+)"', summary)
    assert link is not None
    target = link.group(1).replace("&amp;", "&")
    assert f"page={index // 50 + 1}" in target
    path, _, anchor = target.partition("#")
    assert f'id="{anchor}"' in api.get(path).text


def test_a_persons_posts_beside_their_name_are_only_those_in_the_readers_scope(api: Api, session: Session) -> None:
    api.login("kc-centre")
    first = api.get(f"/api/v1/assessment/scores?month={JUNE}&level=person").json()["rows"][0]
    person = int(first["subject_id"])
    session.add(Position(person_id=person, role="grid_worker", division_code=HUZHEN))  # a post in 龙游县 too
    session.commit()
    page = api.get(f"/assessment?month={JUNE}&level=person").text
    row = page.split(f'id="subject-person-{person}"', 1)[1].split("</tr>", 1)[0]
    posts = row.split('class="muted post-of">', 1)[1].split("</small>", 1)[0]
    assert posts
    assert "湖镇镇" not in posts  # 柯城区's centre is not shown a post in 龙游县
    api.login("admin")
    everything = api.get(f"/assessment?month={JUNE}&level=person&county=330802").text
    assert "湖镇镇" in everything.split(f'id="subject-person-{person}"', 1)[1].split("</tr>", 1)[0]
