"""The group pages' forms read from text: members with roles, a place, a deadline; errors keyed to their fields."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.datastructures import FormData, QueryParams

from zhili.command_groups.lifecycle import MemberRole
from zhili.command_groups.members import NewMember
from zhili.core.local_time import from_local_input
from zhili.core.params import id_in


def chosen_members(raw: FormData | QueryParams) -> list[NewMember]:
    """The people ticked (`member`), each in the role chosen beside them (`role-<id>`, a member by default)."""
    members: list[NewMember] = []
    for value in raw.getlist("member"):
        person_id = id_in(str(value))
        if person_id is None:
            continue
        role = str(raw.get(f"role-{person_id}") or MemberRole.MEMBER.value)
        members.append(NewMember(person_id, MemberRole(role) if role in set(MemberRole) else MemberRole.MEMBER))
    return members


def ids(raw: FormData, name: str) -> list[int]:
    """The ids ticked under a name (anything that is not an id is left out)."""
    return [found for value in raw.getlist(name) if (found := id_in(str(value))) is not None]


@dataclass(frozen=True, slots=True)
class Place:
    """A point typed or filled in by the phone's position, or why it cannot be read."""

    point: tuple[float, float] | None
    error: str | None = None


def place(lon: str, lat: str) -> Place:
    """Longitude and latitude as typed (both or neither)."""
    if not lon.strip() and not lat.strip():
        return Place(None)
    try:
        point = (float(lon), float(lat))
    except ValueError:
        return Place(None, "group.error.place")
    if not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90):  # noqa: PLR2004 - the globe
        return Place(None, "group.error.place")
    return Place(point)


def deadline(text: str) -> datetime | None:
    """A `datetime-local` deadline read as Quzhou time, in UTC (None when it is not a date and time we can store)."""
    try:
        return datetime.fromisoformat(from_local_input(text.strip())).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def optional_id(text: str) -> int | None:
    """An id typed in a form field, or None when the field is blank or holds no id."""
    return id_in(text.strip())
