"""Who an audit actor string names: `account:8:gridworker` → the person behind the login.

Pages show people by name, never by an actor string. The records keep the string (the audit chain
needs a stable value), so a page resolves the strings it shows with one query here. This module
reads the `accounts` and `people` tables by name because core imports no domain; it decides nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

ACCOUNT_PREFIX = "account:"

_NAMES = text(
    "SELECT accounts.id, COALESCE(people.name, accounts.username) FROM accounts "
    "LEFT JOIN people ON people.id = accounts.person_id WHERE accounts.id IN :ids"
).bindparams(bindparam("ids", expanding=True))


def account_id(key: str) -> int | None:
    """The account id inside `account:<id>:<username>`, or None for any other actor."""
    parts = key.split(":")
    if len(parts) == 3 and parts[0] == "account" and parts[1].isdigit():  # noqa: PLR2004 - the three parts
        return int(parts[1])
    return None


def actor_names(session: Session, keys: Iterable[str | None]) -> dict[str, str]:
    """The person's name (else the username) for each account actor string among `keys`."""
    wanted = {key: found for key in keys if key and (found := account_id(key)) is not None}
    if not wanted:
        return {}
    names = {int(row[0]): str(row[1]) for row in session.execute(_NAMES, {"ids": sorted(set(wanted.values()))})}
    return {key: names[found] for key, found in wanted.items() if found in names}


_WHO = text(
    "SELECT 'account', accounts.id, COALESCE(people.name, accounts.username) FROM accounts "
    "LEFT JOIN people ON people.id = accounts.person_id WHERE accounts.id IN :accounts "
    "UNION ALL SELECT 'person', people.id, people.name FROM people WHERE people.id IN :people"
).bindparams(bindparam("accounts", expanding=True), bindparam("people", expanding=True))


def who_named(session: Session, keys: Iterable[str]) -> dict[str, str]:
    """The name of each account (`account:8:gridworker`) and person (`person:6886:…`) actor among `keys`.

    One statement for both. A record the reader may see names its actors: a case's timeline (its API
    answer, which a command returns from the writer, so one statement, not the page's two with units).
    """
    wanted: dict[str, tuple[str, int]] = {}
    for key in keys:
        head, _, rest = key.partition(":")
        number = rest.partition(":")[0]
        if head in {"account", "person"} and number.isdigit():
            wanted[key] = (head, int(number))
    if not wanted:
        return {}
    accounts = sorted({n for kind, n in wanted.values() if kind == "account"})
    people = sorted({n for kind, n in wanted.values() if kind == "person"})
    names = {
        (str(kind), int(n)): str(name)
        for kind, n, name in session.execute(_WHO, {"accounts": accounts, "people": people})
    }
    return {key: names[found] for key, found in wanted.items() if found in names}


_NAMED = text(
    "SELECT accounts.id, accounts.username FROM accounts LEFT JOIN people ON people.id = accounts.person_id "
    "WHERE people.name LIKE :pattern ESCAPE '\\' OR accounts.username LIKE :pattern ESCAPE '\\' "
    "ORDER BY accounts.id LIMIT :limit"
)
MAX_NAMED = 200
"""A search by name that matches more logins than this is too broad to be a filter; the first ones are used."""


def actors_named(session: Session, name: str) -> list[str]:
    """The actor strings (`account:<id>:<username>`) of the logins whose person's name or username holds `name`."""
    escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = session.execute(_NAMED, {"pattern": f"%{escaped}%", "limit": MAX_NAMED})
    return [f"{ACCOUNT_PREFIX}{row[0]}:{row[1]}" for row in rows]
