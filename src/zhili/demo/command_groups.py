"""The demo's command groups (掌上指挥), built through the command-group services at past instants.

Three groups, so every state shows: an active group in 府山街道 opened three hours before "now" for a
rainstorm (posts with places and a photo; one instruction done on time, one acknowledged but not
done, one overdue and never acknowledged); a stable group over 柯城区 tied to the live heat campaign;
and a typhoon group in 龙游县 from last month, closed with its closure report. Everyone who acts has a
demo login, so each login finds the group it belongs to. Deterministic: no randomness, fixed offsets.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Final

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.access.models import Account
from zhili.access.service import actor_for
from zhili.cases.commands import COMMAND_BODY
from zhili.cases.models import Case
from zhili.cases.queries import OPEN_STATUSES
from zhili.cases.schemas import CaseCreate, Point
from zhili.cases.service import report_case, run_command
from zhili.command_groups.groups import GroupOpen, change_state, open_group
from zhili.command_groups.instructions import answer_instruction, issue_instruction
from zhili.command_groups.lifecycle import GroupAction, InstructionState, MemberRole
from zhili.command_groups.members import NewMember
from zhili.command_groups.timeline import post_message
from zhili.core.auth import Actor
from zhili.core.clock import FrozenClock
from zhili.core.local_time import LOCAL_ZONE, to_local
from zhili.core.media import CheckedPhoto, check_photo
from zhili.core.months import Month
from zhili.org.division_code import DivisionCode
from zhili.org.geo import LocatorCache
from zhili.org.geometry import areal_from_geojson
from zhili.org.models import Department, Division, Position
from zhili.org.roles import Role

FUSHAN: Final = "330802006"
KECHENG: Final = "330802"
LONGYOU: Final = "330825"
LOGINS: Final = (
    "kc-centre",
    "fushan",
    "kc-traffic",
    "gridworker",
    "kc-traffic-head",
    "kc-housing",
    "kc-enforcement",
    "ly-centre",
    "huzhen",
    "village",
    "gridhead",
    "teamleader",
    "partymember",
)


@dataclass(frozen=True, slots=True)
class DemoGroups:
    """The ids of the demo's groups."""

    fushan: int
    heat: int
    typhoon: int


@dataclass(frozen=True, slots=True)
class Cast:
    """The demo logins' actors and the instant everything is placed before."""

    session: Session
    now: datetime
    actors: dict[str, Actor]
    locators: LocatorCache

    def at(self, ago: timedelta) -> FrozenClock:
        """A clock `ago` before now."""
        return FrozenClock(self.now - ago)

    def person(self, login: str) -> int:
        """A login's person id."""
        found = self.actors[login].person_id
        assert found is not None  # noqa: S101 - every demo login but admin has a person
        return found

    def post(self, group_id: int, login: str, ago: timedelta, body: str, **extra: object) -> None:
        """A member posts to the timeline at `ago` before now (a place or a photo in `extra`)."""
        point = extra.get("point")
        photo = extra.get("photo")
        post_message(
            self.session,
            group_id=group_id,
            body=body,
            point=point if isinstance(point, tuple) else None,
            photo=photo if isinstance(photo, CheckedPhoto) else None,
            actor=self.actors[login],
            clock=self.at(ago),
        )

    def answer(self, instruction_id: int, login: str, ago: timedelta, reply: str = "") -> None:
        """A login acknowledges (no reply) or finishes (a reply) its copy of an instruction."""
        to = InstructionState.DONE if reply else InstructionState.ACKNOWLEDGED
        actor, clock = self.actors[login], self.at(ago)
        answer_instruction(self.session, instruction_id=instruction_id, to=to, reply=reply, actor=actor, clock=clock)


def minutes(n: int) -> timedelta:
    """`n` minutes."""
    return timedelta(minutes=n)


def build_demo_groups(
    session: Session, *, now: datetime, campaign_id: int | None, locators: LocatorCache
) -> DemoGroups:
    """The three groups; each service call commits. Runs after the demo logins exist (`locators`: the build's)."""
    accounts = session.scalars(select(Account).where(Account.username.in_(LOGINS))).all()
    cast = Cast(session, now, {a.username: actor_for(session, a) for a in accounts}, locators)
    return DemoGroups(
        fushan=_fushan_group(cast),
        heat=_heat_group(cast, campaign_id),
        typhoon=_typhoon_group(cast),
    )


def _people(session: Session, role: Role, under: str, count: int, skip: set[int]) -> list[int]:
    """The first `count` people (by post id) holding `role` in a division's subtree, but those in `skip`."""
    stmt = (
        select(Position.person_id)
        .where(Position.role == role.value, DivisionCode(under).subtree(Position.division_code))
        .order_by(Position.id)
    )
    found = [p for p in dict.fromkeys(session.scalars(stmt)) if p not in skip]
    return found[:count]


def _unit_staff(session: Session, kind: str, division: str) -> int | None:
    """The first staff member of a unit of this kind serving a division."""
    stmt = (
        select(Position.person_id)
        .join(Department, Department.id == Position.department_id)
        .where(Department.kind_code == kind, Department.division_code == division, Position.role == Role.DEPT_STAFF)
        .order_by(Position.id)
        .limit(1)
    )
    return session.scalar(stmt)


def _inside(session: Session, code: str) -> tuple[float, float]:
    """A point inside a division (its polygon's representative point), as (lon, lat)."""
    geometry = session.scalars(select(Division.geometry).where(Division.code == code)).one()
    point = areal_from_geojson(geometry).representative_point()
    return (round(point.x, 6), round(point.y, 6))


def _communities(session: Session, township: str) -> list[str]:
    """A township's villages and communities, by code."""
    stmt = select(Division.code).where(Division.parent_code == township).order_by(Division.code)
    return list(session.scalars(stmt))


def _flood_case(cast: Cast) -> int:
    """An open road-hazard case in 府山街道 (flooding first) to open the group from.

    When the demo's cases hold none, the grid worker reports the flooded crossing first, twenty minutes
    before the centre opens the group from it: the case's timeline then shows the group (成立指挥组).
    """
    session = cast.session
    stmt = (
        select(Case.id)
        .where(
            Case.matter_code == "road_safety_hazard",
            Case.status.in_(OPEN_STATUSES),
            DivisionCode(FUSHAN).subtree(Case.place_code),
        )
        .order_by(Case.attributes.contains("flood_landslide").desc(), Case.id.desc())
        .limit(1)
    )
    found = session.scalar(stmt)
    if found is not None:
        return found
    lon, lat = _inside(session, _communities(session, FUSHAN)[0])
    data = CaseCreate(
        matter="road_safety_hazard",
        point=Point(lon=lon, lat=lat),
        description="中山路与北门街交叉口积水约30厘米，已有车辆熄火，请求交警和排水部门处置。",
        channel="phone",
        attributes={"hazard_type": "flood_landslide", "road_name": "中山路", "lanes_blocked": "partial"},
    )
    case = report_case(
        session, data=data, actor=cast.actors["gridworker"], clock=cast.at(minutes(200)), locators=cast.locators
    )
    # The centre accepts and dispatches it to the traffic police, who sign and start: it is being handled.
    steps = (
        ("kc-centre", "accept", 196),
        ("kc-centre", "dispatch", 195),
        ("kc-traffic", "sign", 188),
        ("kc-traffic", "start", 184),
    )
    for login, command, ago in steps:
        body = COMMAND_BODY.validate_python({"command": command, "version": case.version})
        case = run_command(session, case_id=case.id, body=body, actor=cast.actors[login], clock=cast.at(minutes(ago)))
    return case.id


def flood_photo() -> CheckedPhoto:
    """A small generated picture of a flooded street (grey road, water, a car), checked like any upload."""
    image = Image.new("RGB", (160, 120), (176, 190, 197))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 70, 160, 120), fill=(84, 130, 170))
    draw.rectangle((50, 52, 110, 78), fill=(200, 60, 50))
    for x in range(0, 160, 16):
        draw.line((x, 90, x + 10, 90), fill=(150, 190, 220), width=2)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return check_photo(out.getvalue())


@dataclass(frozen=True, slots=True)
class FushanPeople:
    """Who else is pulled into the 府山 group: community cadres and grid workers, and unit staff of 柯城区."""

    community: list[int]
    units: list[int]

    def members(self, cast: Cast) -> list[NewMember]:
        """The members named when the group opens (the opener becomes its commander)."""
        return [
            NewMember(cast.person("fushan"), MemberRole.DEPUTY),
            NewMember(cast.person("kc-traffic"), MemberRole.LIAISON),
            NewMember(cast.person("gridworker"), MemberRole.MEMBER),
            *(NewMember(p) for p in self.community + self.units),
        ]


def _fushan_people(cast: Cast) -> FushanPeople:
    session, me = cast.session, {cast.person(x) for x in ("kc-centre", "fushan", "kc-traffic", "gridworker")}
    community = _people(session, Role.VILLAGE_CADRE, FUSHAN, 2, me) + _people(session, Role.GRID_WORKER, FUSHAN, 2, me)
    units = [p for kind in ("water", "emergency") if (p := _unit_staff(session, kind, KECHENG)) is not None]
    community = list(dict.fromkeys(community))
    return FushanPeople(community, [p for p in dict.fromkeys(units) if p not in me and p not in community])


def _fushan_group(cast: Cast) -> int:
    """The active rainstorm group in 府山街道, opened three hours ago by 柯城区's centre."""
    people = _fushan_people(cast)
    data = GroupOpen(
        title="府山街道暴雨内涝应急处置指挥组",
        summary="受强降雨影响，府山街道中山路、北门街一带多处积水，地下车库进水，需交警、水利、应急和社区联动处置。",
        area=FUSHAN,
        case_id=_flood_case(cast),
        members=people.members(cast),
    )
    group = open_group(cast.session, data=data, actor=cast.actors["kc-centre"], clock=cast.at(minutes(180)))
    places = [_inside(cast.session, code) for code in _communities(cast.session, FUSHAN)[:4]]
    cast.post(group, "gridworker", minutes(172), "中山路与北门街交叉口积水约30厘米，已有车辆熄火。", point=places[0])
    cast.post(group, "fushan", minutes(168), "街道已启动防汛应急响应，社区干部全部到岗。")
    _fushan_instructions(cast, group, places, people)
    cast.post(group, "gridworker", minutes(95), "北门社区地下车库入口积水照片。", point=places[1], photo=flood_photo())
    cast.post(group, "kc-centre", minutes(80), "气象台预报未来3小时仍有强降雨，各点位注意人员安全。")
    cast.post(group, "fushan", minutes(55), "府山社区低洼处已转移老人6名，安置在社区活动中心。", point=places[2])
    cast.post(group, "kc-traffic", minutes(35), "中山路东段积水已降至10厘米，恢复单向通行。", point=places[3])
    cast.post(group, "gridworker", minutes(12), "坊门街排水口堵塞，已联系清理。")
    return group


def _fushan_instructions(cast: Cast, group: int, places: list[tuple[float, float]], people: FushanPeople) -> None:
    """Three instructions: done on time, acknowledged but not done, overdue and never acknowledged."""
    session, centre = cast.session, cast.actors["kc-centre"]
    traffic = issue_instruction(
        session,
        group_id=group,
        body="交警对中山路、北门街积水路段实施临时交通管制，设置绕行提示。",
        deadline_at=cast.now - minutes(110),
        person_ids=[cast.person("kc-traffic")],
        unit_id=None,
        actor=centre,
        clock=cast.at(minutes(165)),
    )
    cast.answer(traffic, "kc-traffic", minutes(160))
    cast.post(group, "kc-traffic", minutes(140), "已在路口布设警戒和绕行指示牌。", point=places[0])
    cast.answer(traffic, "kc-traffic", minutes(130), "两处路段已封闭，绕行提示设置完毕，安排2名警力值守。")
    sweep = issue_instruction(
        session,
        group_id=group,
        body="各社区逐户排查低洼地带独居老人和困难群众，需转移的立即转移，回报人数。",
        deadline_at=cast.now + minutes(60),
        person_ids=[cast.person("gridworker"), *people.community],
        unit_id=None,
        actor=centre,
        clock=cast.at(minutes(120)),
    )
    cast.answer(sweep, "gridworker", minutes(110))
    issue_instruction(  # overdue: nobody acknowledges it
        session,
        group_id=group,
        body="街道协调水利、应急调派移动泵车到北门社区地下车库排涝，到场后回报。",
        deadline_at=cast.now - minutes(20),
        person_ids=[cast.person("fushan"), *people.units],
        unit_id=None,
        actor=centre,
        clock=cast.at(minutes(100)),
    )


def _heat_group(cast: Cast, campaign_id: int | None) -> int:
    """The stable group over 柯城区 for the live heat campaign: opened, one instruction done, stabilised."""
    members = [
        NewMember(cast.person("kc-traffic-head"), MemberRole.DEPUTY),
        NewMember(cast.person("kc-housing"), MemberRole.LIAISON),
        NewMember(cast.person("kc-enforcement")),
        NewMember(cast.person("fushan")),
    ]
    data = GroupOpen(
        title="柯城区高温天气防范指挥组",
        summary="高温橙色预警期间，统筹户外作业、独居老人和用电安全排查。",
        area=KECHENG,
        campaign_id=campaign_id,
        members=members,
    )
    group = open_group(cast.session, data=data, actor=cast.actors["kc-centre"], clock=cast.at(minutes(110)))
    site_check = issue_instruction(
        cast.session,
        group_id=group,
        body="住建局排查在建工地高温时段（11时至15时）停工落实情况。",
        deadline_at=cast.now + minutes(10),
        person_ids=[cast.person("kc-housing")],
        unit_id=None,
        actor=cast.actors["kc-centre"],
        clock=cast.at(minutes(105)),
    )
    cast.answer(site_check, "kc-housing", minutes(95))
    cast.answer(site_check, "kc-housing", minutes(50), "已检查在建工地23处，均已落实高温时段停工。")
    cast.post(group, "fushan", minutes(45), "府山街道独居老人已全部电话回访，无异常。")
    change_state(
        cast.session,
        group_id=group,
        action=GroupAction.STABILISE,
        note="各项措施已落实，转入稳控，持续关注。",
        actor=cast.actors["kc-centre"],
        clock=cast.at(minutes(30)),
    )
    return group


def _typhoon_opened(now: datetime) -> datetime:
    """8:30 local on the 10th of last month."""
    month = Month(Month.containing(to_local(now).date()).index - 1)
    day = month.first_day + timedelta(days=9)
    return datetime.combine(day, time(8, 30), tzinfo=LOCAL_ZONE)


def _typhoon_group(cast: Cast) -> int:
    """The typhoon group in 龙游县 from last month, closed after two days with its report."""
    opened = cast.now - _typhoon_opened(cast.now)
    members = [
        NewMember(cast.person("huzhen"), MemberRole.DEPUTY),
        NewMember(cast.person("village"), MemberRole.LIAISON),
        *(NewMember(cast.person(x)) for x in ("gridhead", "teamleader", "partymember")),
    ]
    data = GroupOpen(
        title="龙游县防御台风应急指挥组",
        summary="台风将于今夜影响龙游县，湖镇镇沿江村落需提前转移危房人员、加固设施。",
        area=LONGYOU,
        members=members,
    )
    group = open_group(cast.session, data=data, actor=cast.actors["ly-centre"], clock=cast.at(opened))
    evacuate = issue_instruction(
        cast.session,
        group_id=group,
        body="湖镇镇于18时前完成危房和低洼地带人员转移，回报转移人数。",
        deadline_at=cast.now - opened + timedelta(hours=9, minutes=30),
        person_ids=[cast.person(x) for x in ("huzhen", "village", "gridhead")],
        unit_id=None,
        actor=cast.actors["ly-centre"],
        clock=cast.at(opened - minutes(20)),
    )
    replies = {"huzhen": "全镇转移112人。", "village": "本村转移危房户9户23人。", "gridhead": "网格内转移7人，已安置。"}
    for n, (login, reply) in enumerate(replies.items()):
        cast.answer(evacuate, login, opened - minutes(40 + 10 * n))
        cast.answer(evacuate, login, opened - timedelta(hours=5 + n), reply)
    hut = _inside(cast.session, _communities(cast.session, "330825101")[0])
    cast.post(group, "partymember", opened - timedelta(hours=3), "联系的12户已全部通知到位。", point=hut)
    cast.post(group, "teamleader", opened - timedelta(hours=20), "团队巡查沿江堤段，未发现险情。", point=hut)
    for action, note, ago in (
        (GroupAction.STABILISE, "台风已过境，转入稳控。", opened - timedelta(hours=30)),
        (GroupAction.CLOSE, "台风过境无人员伤亡，转移群众已全部返回，应急响应结束。", opened - timedelta(hours=48)),
    ):
        change_state(
            cast.session, group_id=group, action=action, note=note, actor=cast.actors["ly-centre"], clock=cast.at(ago)
        )
    return group
