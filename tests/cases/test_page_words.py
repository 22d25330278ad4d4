"""The timeline in words: one line per event, its details joined without doubled punctuation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases.page_names import ActorName, Names, PostHolder, place_paths
from zhili.cases.page_words import Words
from zhili.org.models import Division

NO_NAMES = Names(units={}, divisions={}, posts={}, actors={})
EVIDENCE = [{"kind": "photo", "ref": "photo:1"}, {"kind": "gps", "ref": "118.87120,28.93610"}]


def _line(lang: str, text: str) -> str:
    return Words(lang).event({"text": text, "evidence": EVIDENCE}, NO_NAMES, {})


def test_a_reply_ending_in_a_full_stop_gets_no_semicolon_after_it() -> None:
    text = "已联系车主将车辆驶离，并对其进行教育。"
    assert _line("zh", text) == f"说明：{text}证据：照片、定位"
    for end in "！？；":
        assert _line("zh", f"已处置{end}") == f"说明：已处置{end}证据：照片、定位"


def test_a_reply_without_end_punctuation_is_joined_by_a_semicolon() -> None:
    assert _line("zh", "车辆已拖离") == "说明：车辆已拖离；证据：照片、定位"


def test_english_details_are_joined_the_same_way() -> None:
    assert _line("en", "Towed away.") == "Text: Towed away. Evidence: Photo, GPS"
    assert _line("en", "Towed away") == "Text: Towed away; Evidence: Photo, GPS"
    assert _line("en", "已处置。") == "Text: 已处置。 Evidence: Photo, GPS"


def test_a_person_and_their_unit_are_bracketed_in_the_pages_language() -> None:
    who = ActorName("person", "廖梅", "蛟池街社区第1网格")
    assert Words("zh").actor(who) == "廖梅（蛟池街社区第1网格）"
    assert Words("en").actor(who) == "廖梅 (蛟池街社区第1网格)"  # no full-width brackets on an English page
    assert Words("en").actor(ActorName("person", "廖梅")) == "廖梅"


def test_a_rungs_deadline_reads_as_the_pages_times_do() -> None:
    details = {"due_at": "2026-12-07T20:12:00+00:00"}  # 04:12 the next morning in Quzhou
    assert Words("zh").event(details, NO_NAMES, {}).endswith("2026-12-08 04:12")
    assert Words("en").event(details, NO_NAMES, {}).endswith("8 Dec 2026 04:12")  # as the line's own time reads


def test_a_hidden_contact_is_named_as_one_of_its_units_contacts() -> None:
    names = Names(posts={7: PostHolder("柯城区公安交警大队", is_unit=True), 8: PostHolder("于文明")})
    assert Words("zh").event({"contact_position_id": 7}, names, {}) == "网格联系人：柯城区公安交警大队的一名联系人"
    assert Words("en").event({"contact_position_id": 7}, names, {}).endswith("a contact officer of 柯城区公安交警大队")
    assert Words("zh").event({"contact_position_id": 8}, names, {}) == "网格联系人：于文明"


def test_help_asked_of_two_units_at_one_stage_names_the_stage_once() -> None:
    details = {"stages": ["evidence_check", "evidence_check", "investigation"]}
    assert Words("zh").event(details, NO_NAMES, {}) == "协同环节：证据核实、案件调查"


def test_a_place_path_names_the_community_not_its_committee_and_says_each_name_once(session: Session) -> None:
    township = session.scalars(select(Division).where(Division.level == "township").order_by(Division.code)).first()
    assert township is not None
    village_code = f"{township.code}901"
    grid_code = f"{village_code}903"
    test = {"is_synthetic": True, "source": "test"}
    session.add(Division(code=village_code, name="丹桂社区居委会", level="village", parent_code=township.code, **test))
    session.add(Division(code=grid_code, name="丹桂社区第3网格", level="grid", parent_code=village_code, **test))
    session.flush()
    paths = place_paths(session, [grid_code, village_code, township.code, "3308"])
    assert paths[grid_code] == f"{township.name} 丹桂社区 第3网格"
    assert paths[village_code] == f"{township.name} 丹桂社区"
    assert paths[township.code] == township.name
    assert paths["3308"] == "衢州市"


def test_a_village_committee_keeps_its_village(session: Session) -> None:
    township = session.scalars(select(Division).where(Division.level == "township").order_by(Division.code)).first()
    assert township is not None
    village_code, test = f"{township.code}902", {"is_synthetic": True, "source": "test"}
    session.add(Division(code=village_code, name="亭川村委会", level="village", parent_code=township.code, **test))
    grid_code = f"{village_code}901"
    session.add(Division(code=grid_code, name="亭川村第3网格", level="grid", parent_code=village_code, **test))
    session.flush()
    assert place_paths(session, [grid_code])[grid_code] == f"{township.name} 亭川村 第3网格"
