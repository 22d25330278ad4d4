"""A post's move (调动) told to the people it concerns: the person moved, and the supervisors before and after.

Subscribed to `org.moves` by the composition root (`zhili.app`). Each is told in the move's
transaction, with a link to where they act: the person to their home page (我的岗位), the new
supervisor to the person's page, the one before to the place the post left, where the households and
grids it released are given to someone else (one supervisor before and after is told once).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.core.clock import Clock
from zhili.notify.kinds import Severity
from zhili.notify.service import notify
from zhili.notify.wording import Name, Part, Words
from zhili.org.models import Person, Position
from zhili.org.moves import Place, PostMoved
from zhili.org.queries import department_names, division_names
from zhili.org.roles import role_name

TOPIC = "org.post_moved"


def tell_post_moved(session: Session, moved: PostMoved, clock: Clock) -> None:
    """Tell the moved person, the supervisor the post now reports to, and the one it reported to before."""
    divisions = division_names(session, [moved.before.division_code, moved.after.division_code])
    units = department_names(session, [p.department_id for p in (moved.before, moved.after) if p.department_id])
    place_from, place_to = (_place(p, divisions, units) for p in (moved.before, moved.after))
    name = session.scalar(select(Person.name).where(Person.id == moved.person_id)) or ""
    role = Name(role_name(moved.role, "zh"), role_name(moved.role, "en"))
    supervisors = dict(
        session.execute(
            select(Position.id, Position.person_id).where(
                Position.id.in_([p for p in (moved.supervisor_before, moved.supervisor_after) if p is not None])
            )
        ).all()
    )
    said = {"person": Name(name), "role": role, "from": place_from, "to": place_to, "by": Name.of_actor(moved.by)}
    key = f"post-moved:{moved.position_id}:{clock.now().isoformat()}"
    _tell(
        session, [moved.person_id], "notice.org.moved_you", said=said, link="/#my-posts", key=f"{key}:you", clock=clock
    )
    after = supervisors.get(moved.supervisor_after) if moved.supervisor_after else None
    before = supervisors.get(moved.supervisor_before) if moved.supervisor_before else None
    released: list[Part] = []
    if moved.households_released or moved.grid_contacts_released:
        counts = {"households": moved.households_released, "grids": moved.grid_contacts_released}
        released.append(Words("notice.org.moved_released", counts))
    left_from = f"/org/divisions/{moved.before.division_code}"  # where what it released is given to others
    if after is not None and after == before and after != moved.person_id:  # one supervisor, before and after
        link = left_from if released else f"/org/people/{moved.person_id}"
        _tell(
            session,
            [after],
            "notice.org.moved_within",
            said=said,
            link=link,
            key=f"{key}:within",
            clock=clock,
            more=released,
        )
        return
    if after is not None and after != moved.person_id:
        link = f"/org/people/{moved.person_id}"
        _tell(session, [after], "notice.org.moved_in", said=said, link=link, key=f"{key}:in", clock=clock)
    if before is not None and before != moved.person_id:
        _tell(
            session,
            [before],
            "notice.org.moved_out",
            said=said,
            link=left_from,
            key=f"{key}:out",
            clock=clock,
            more=released,
        )


def _tell(
    session: Session,
    people: list[int],
    title: str,
    *,
    said: dict[str, Name],
    link: str,
    key: str,
    clock: Clock,
    more: list[Part] | None = None,
) -> None:
    body: list[Part] = [Words("notice.org.moved_body", said), *(more or [])]
    notify(
        session,
        recipients=people,
        topic=TOPIC,
        severity=Severity.INFO,
        title=Words(title, said),
        body=body,
        key=key,
        clock=clock,
        link=link,
    )


def _place(place: Place, divisions: dict[str, str], units: dict[int, str]) -> Name:
    """A unit by its name, else the division's."""
    if place.department_id is not None and place.department_id in units:
        return Name(units[place.department_id])
    return Name(divisions.get(place.division_code, place.division_code))
