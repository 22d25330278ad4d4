"""A trigger rule form's areas, as an administrator types them: division names (龙游县, 柯城区府山街道) or codes.

The rule stores codes; the form reads names into codes and shows a rule's codes back as names that read
back to the same divisions. A name that names nothing, or several divisions, is refused by the field.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from zhili.core.auth import Actor
from zhili.core.errors import InvalidInputError
from zhili.org.division_code import DivisionCode
from zhili.org.places import MAX_TEXT, exact_places, listed
from zhili.org.queries import ancestors

SEPARATORS = re.compile(r"[\s,，、;；]+")
MAX_AREAS = 50


class AreaRefusedError(InvalidInputError):
    """An area of the form that is no known division, or names several; `key` and `params` word it on the page."""

    def __init__(self, word: str, *, key: str, matches: str = "") -> None:
        message = f"the area {word!r} names no division" if not matches else f"the area {word!r} is ambiguous"
        params = {"name": word, "matches": matches}
        super().__init__(message, errors=[{"field": "areas", "message": message, "key": key, "params": params}])


def area_codes(session: Session, actor: Actor, text: str) -> list[str]:
    """The codes of the divisions typed, in order: a code as it is, a name as the one division it names."""
    codes: list[str] = []
    for word in [w for w in SEPARATORS.split(text) if w][: MAX_AREAS + 1]:
        if word.isdigit():
            try:
                codes.append(DivisionCode(word).value)
            except ValueError:
                raise AreaRefusedError(word, key="alert.rule.error.areas") from None
            continue
        if len(word) > MAX_TEXT:
            raise AreaRefusedError(word[:MAX_TEXT], key="alert.rule.error.area_unknown")
        exact = exact_places(session, actor, word)
        if not exact:
            raise AreaRefusedError(word, key="alert.rule.error.area_unknown")
        if len(exact) > 1:
            raise AreaRefusedError(word, key="alert.rule.error.area_ambiguous", matches=listed(exact, from_depth=1))
        codes.append(exact[0].division.code)
    return codes


def area_text(session: Session, actor: Actor, codes: list[str]) -> str:
    """The areas as names to show in the form: the shortest name (own, then with its parents) naming only it."""
    return " ".join(_name_of(session, actor, code) for code in codes)


def _name_of(session: Session, actor: Actor, code: str) -> str:
    path = ancestors(session, code)
    for start in range(len(path) - 1, 0, -1):  # 湖镇镇, then 龙游县湖镇镇, then 衢州市龙游县湖镇镇
        name = "".join(p.name for p in path[start:])
        if len(name) > MAX_TEXT:
            break
        if [m.division.code for m in exact_places(session, actor, name)] == [code]:
            return name
    return code
