"""Place names to divisions: "龙游县湖镇镇" → 330825101, with ancestors checked along the way."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.core.auth import Actor
from zhili.core.errors import InvalidInputError
from zhili.org import visibility
from zhili.org.models import Division
from zhili.org.queries import ancestors
from zhili.org.schemas import DivisionRef, PlaceMatch

SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会", "街道", "社区", "省", "市", "县", "区", "镇", "乡", "村")
MAX_TEXT = 60
MAX_MATCHES = 10
MAX_LISTED = 5  # the candidates a refusal names ("湖镇镇 names several places: ...")
EXACT = 1.0  # a match's score when every character of the text was explained


def short_forms(name: str) -> set[str]:
    """A name and its forms without the administrative suffix ("湖镇镇" → {"湖镇镇", "湖镇"})."""
    forms = {name}
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:  # noqa: PLR2004 - keep two characters
            forms.add(name[: -len(suffix)])
    if name.endswith("村委会"):
        forms.add(name[: -len("委会")])
    return forms


# A village's official name may be its committee's (丹桂社区居委会, 亭川村委会): the place is the community or
# the village (丹桂社区, 亭川村). Longest endings first: 村委会 keeps its 村, 居委会 is a 社区.
_COMMITTEES = (
    ("社区居民委员会", "社区"),
    ("村村民委员会", "村"),
    ("社区居委会", "社区"),
    ("村村委会", "村"),
    ("居民委员会", "社区"),
    ("村民委员会", "村"),
    ("居委会", "社区"),
    ("村委会", "村"),
    ("委员会", ""),
)


def place_word(name: str) -> str:
    """A division's name as a place is said: 亭川村委会 → 亭川村, 丹桂社区居委会 → 丹桂社区 (pages, notices)."""
    stem = next((name.removesuffix(suffix) + place for suffix, place in _COMMITTEES if name.endswith(suffix)), name)
    return stem or name


ADDABLE = ("镇", "乡", "街道", "县", "区", "市", "社区", "村委会", "村村民委员会", "社区居民委员会")


def _candidates(session: Session, text: str) -> list[tuple[Division, str]]:
    """Divisions whose name, or short form, ends the text; with the part of the text it explains."""
    tails = {text[i:] for i in range(len(text) - 1)}
    names = {tail: tail for tail in tails}
    # "湖镇" may name 湖镇镇, "戴家村" the village 戴家村委会: try the name with its suffix added.
    names |= {tail + suffix: tail for tail in tails for suffix in ADDABLE}
    names |= {tail[:-1] + "村委会": tail for tail in tails if tail.endswith("村")}
    names |= {tail[:-1] + "村村民委员会": tail for tail in tails if tail.endswith("村")}
    rows = session.scalars(select(Division).where(Division.name.in_(names)))
    return [(row, names[row.name]) for row in rows]


def _consumed(rest: str, path: list[DivisionRef]) -> str:
    """Strip ancestor names (full or short) off the end of `rest`, nearest ancestor first."""
    for ancestor in reversed(path):
        for form in sorted(short_forms(ancestor.name), key=len, reverse=True):
            if rest.endswith(form):
                rest = rest[: -len(form)]
                break
    return rest


def resolve_place(session: Session, actor: Actor, text: str) -> list[PlaceMatch]:
    """Divisions the text may name, best first; a score of 1.0 means every character was explained."""
    text = "".join(text.split())
    if not text or len(text) > MAX_TEXT:
        raise InvalidInputError(f"a place name must have 1 to {MAX_TEXT} characters")
    matches: list[PlaceMatch] = []
    for division, own in _candidates(session, text):
        if not visibility.sees_place(actor, division.code):
            continue
        path = ancestors(session, division.code)
        rest = _consumed(text[: -len(own)], path[:-1])
        score = round((len(text) - len(rest)) / len(text), 3)
        ref = DivisionRef(code=division.code, name=division.name, level=division.level)
        matches.append(PlaceMatch(division=ref, path=path, score=score))
    matches.sort(key=lambda m: (-m.score, len(m.division.code), m.division.code))
    return matches[:MAX_MATCHES]


def exact_places(session: Session, actor: Actor, text: str) -> list[PlaceMatch]:
    """The divisions the text names in full (every character explained), best first."""
    return [match for match in resolve_place(session, actor, text) if match.score == EXACT]


# The widths of a division code that name the areas around a person's own places: their county, then their city.
_HOME_WIDTHS = (6, 4)


def near_home(matches: list[PlaceMatch], homes: tuple[str, ...]) -> list[PlaceMatch]:
    """The one match in the reporter's own county (or else city), when the name is shared further afield.

    A 柯城区 operator typing 府山街道 means 柯城区's, not 绍兴's; two matches in the same county stay
    ambiguous, and so do all of them for someone with no home (an administrator, a citizen).
    """
    if len(matches) < 2:  # noqa: PLR2004 - only a shared name needs a preference
        return matches
    for width in _HOME_WIDTHS:
        areas = {home[:width] for home in homes if len(home) >= width}
        near = [match for match in matches if match.division.code[:width] in areas]
        if len(near) == 1:
            return near
        if near:
            return matches
    return matches


def listed(matches: list[PlaceMatch], *, from_depth: int) -> str:
    """The first few matches as a refusal lists them: each path's names from `from_depth` on (1: below the province).

    A match above that depth (a city, when counting from the county) is named by its own name.
    """
    return "、".join(
        "".join(part.name for part in match.path[from_depth:]) or match.division.name for match in matches[:MAX_LISTED]
    )
