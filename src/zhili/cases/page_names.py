"""Names for what a case's record stores as ids: actors, units, posts and divisions, read in a few queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Integer, String, column, select, table
from sqlalchemy.orm import Session

from zhili.core.auth import Actor
from zhili.org import visibility as org_visibility
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.models import Department, Division, Person, Position
from zhili.org.places import place_word

# Accounts belong to `access`, which cases may not import; the two columns needed are named here.
_ACCOUNTS = table("accounts", column("id", Integer), column("person_id", Integer), column("username", String))
SYSTEM_NAMES = frozenset({"system", "demo", "cli", "geography", "worker"})


@dataclass(frozen=True, slots=True)
class ActorName:
    """Who did something: a person with their unit, or a kind the page labels (clock, system, citizen)."""

    kind: str  # person | clock | system | citizen | hotline | account | open311
    name: str = ""
    unit: str = ""


@dataclass(frozen=True, slots=True)
class PostHolder:
    """Who holds a post, as the reader may be told: the person's name, or only the post's unit."""

    name: str
    is_unit: bool = False  # the holder is outside the reader's scope: `name` is the unit's


@dataclass(slots=True)
class Names:
    """Names of the ids one case page mentions."""

    units: dict[int, str] = field(default_factory=dict)
    divisions: dict[str, str] = field(default_factory=dict)
    posts: dict[int, PostHolder] = field(default_factory=dict)
    actors: dict[str, ActorName] = field(default_factory=dict)


def _parsed(audit_name: str) -> tuple[str, int | None, str]:
    """(`account` | `person` | other, id, rest) of an audit name such as `account:8:gridworker`."""
    head, _, rest = audit_name.partition(":")
    number, _, tail = rest.partition(":")
    if head in {"account", "person"} and number.isdigit():
        return head, int(number), tail
    return head, None, rest


def _person_names(session: Session, person_ids: set[int]) -> dict[int, ActorName]:
    """Each person's name and the unit (or division) of their first post."""
    if not person_ids:
        return {}
    rows = session.execute(
        select(Person.id, Person.name, Department.name, Division.name)
        .outerjoin(Position, Position.person_id == Person.id)
        .outerjoin(Department, Department.id == Position.department_id)
        .outerjoin(Division, Division.code == Position.division_code)
        .where(Person.id.in_(sorted(person_ids)))
        .order_by(Person.id, Position.id)
    )
    found: dict[int, ActorName] = {}
    for pid, name, unit, division in rows:
        found.setdefault(pid, ActorName("person", name, unit or division or ""))
    return found


def actor_names(session: Session, audit_names: Iterable[str]) -> dict[str, ActorName]:
    """Audit names → who they are, never the raw `account:8:gridworker` or `system:clock`."""
    wanted = set(audit_names)
    accounts = {n: i for n in wanted if (p := _parsed(n))[0] == "account" and (i := p[1]) is not None}
    people = {n: i for n in wanted if (p := _parsed(n))[0] == "person" and (i := p[1]) is not None}
    account_people: dict[int, tuple[int | None, str]] = {}
    if accounts:
        rows = session.execute(
            select(_ACCOUNTS.c.id, _ACCOUNTS.c.person_id, _ACCOUNTS.c.username).where(
                _ACCOUNTS.c.id.in_(sorted(set(accounts.values())))
            )
        )
        account_people = {aid: (pid, username) for aid, pid, username in rows}
    persons = _person_names(
        session, set(people.values()) | {pid for pid, _u in account_people.values() if pid is not None}
    )
    result: dict[str, ActorName] = {}
    for name in wanted:
        head, number, rest = _parsed(name)
        if head == "account" and number is not None:
            pid, username = account_people.get(number, (None, rest))
            result[name] = persons.get(pid, ActorName("account", username)) if pid else ActorName("account", username)
        elif head == "person" and number is not None:
            result[name] = persons.get(number, ActorName("person", rest))
        else:
            result[name] = _other(head, rest)
    return result


def _other(head: str, rest: str) -> ActorName:
    if head == "system" and rest == "clock":
        return ActorName("clock")
    if head == "hotline":
        return ActorName("hotline", rest)
    if head == "citizen":
        return ActorName("citizen", rest)
    if head in {"web", "tracker"}:  # web:public, the public form; tracker:<number>, its reporter through the link
        return ActorName(head)
    if head == "open311":  # open311:<client id>:<client name>: an app reporting for citizens
        return ActorName("open311", rest.partition(":")[2])
    # a named part of the system: `system:routing`, `system:worker` by their labels; `early-warning`, `demo` …
    return ActorName("system", rest if head == "system" and rest else head)


def unit_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """Department names by id."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(select(Department.id, Department.name).where(Department.id.in_(wanted)))
    return dict(rows.all())


def division_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Division names by code."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = session.execute(select(Division.code, Division.name).where(Division.code.in_(wanted)))
    return dict(rows.all())


def place_paths(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Each place by name from its township down: 府山街道 县学街社区 第1网格 (a county or city place: its own name).

    A village is named as a place, not by its committee (丹桂社区居委会 → 丹桂社区), and a name that repeats
    its parent's (县学街社区第1网格 under 县学街社区) is shortened to its own part. One query.
    """
    lineages = {code: _township_down(code) for code in set(codes)}
    names = division_names(session, {c for lineage in lineages.values() for c in lineage})
    paths: dict[str, str] = {}
    for code, lineage in lineages.items():
        parts, parent = [], ""
        for name in (place_word(names[c]) for c in lineage if c in names):
            parts.append(name.removeprefix(parent) if parent and name != parent else name)
            parent = name
        paths[code] = " ".join(parts) or code
    return paths


def _township_down(code: str) -> list[str]:
    """The codes from the place's township down to the place (the place alone when coarser than a township)."""
    place = DivisionCode.parse(code)
    if place is None:
        return [code]
    return [c.value for c in place.lineage if c.has_level(DivisionLevel.TOWNSHIP)] or [code]


def post_holders(session: Session, ids: Iterable[int], actor: Actor) -> dict[int, PostHolder]:
    """The name of the person holding each post the actor may see; a post outside their scope by its unit.

    A grid worker is not shown a traffic officer's name (the officer is outside their scope), but is told which
    unit's contact was informed, never a blank, and never as if the unit were the contact.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(Position.id, Person.name)
        .join(Person, Person.id == Position.person_id)
        .where(Position.id.in_(wanted), org_visibility.positions(actor))
    )
    named = {post: PostHolder(name) for post, name in rows.all()}
    hidden = [post for post in wanted if post not in named]
    if hidden:
        units = session.execute(
            select(Position.id, Department.name)
            .join(Department, Department.id == Position.department_id)
            .where(Position.id.in_(hidden))
        )
        named |= {post: PostHolder(unit, is_unit=True) for post, unit in units.all()}
    return named
