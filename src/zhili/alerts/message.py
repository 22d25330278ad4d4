"""A CAP 1.2 alert as typed values: the enums of the standard and the alert, its infos and areas (pure).

Made by `alerts.cap.parse_alert`; stored as typed JSON (`core.typed_json`) beside the raw XML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    """`<status>`: only `Actual` may dispatch real work; the others run in drill mode (演练)."""

    ACTUAL = "Actual"
    EXERCISE = "Exercise"
    SYSTEM = "System"
    TEST = "Test"
    DRAFT = "Draft"


class MsgType(StrEnum):
    """`<msgType>`: a new alert, an update or cancellation of earlier ones, an acknowledgement, an error."""

    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"
    ACK = "Ack"
    ERROR = "Error"


class Scope(StrEnum):
    """`<scope>`: who the alert is meant for."""

    PUBLIC = "Public"
    RESTRICTED = "Restricted"
    PRIVATE = "Private"


class Category(StrEnum):
    """`<category>` of an info block."""

    GEO = "Geo"
    MET = "Met"
    SAFETY = "Safety"
    SECURITY = "Security"
    RESCUE = "Rescue"
    FIRE = "Fire"
    HEALTH = "Health"
    ENV = "Env"
    TRANSPORT = "Transport"
    INFRA = "Infra"
    CBRNE = "CBRNE"
    OTHER = "Other"


class ResponseType(StrEnum):
    """`<responseType>`: the action recommended; `AllClear` ends the alerts an update references."""

    SHELTER = "Shelter"
    EVACUATE = "Evacuate"
    PREPARE = "Prepare"
    EXECUTE = "Execute"
    AVOID = "Avoid"
    MONITOR = "Monitor"
    ASSESS = "Assess"
    ALL_CLEAR = "AllClear"
    NONE = "None"


class Urgency(StrEnum):
    """`<urgency>`, least urgent first after `Unknown` (see `RANKS`)."""

    UNKNOWN = "Unknown"
    PAST = "Past"
    FUTURE = "Future"
    EXPECTED = "Expected"
    IMMEDIATE = "Immediate"


class Severity(StrEnum):
    """`<severity>`; Chinese warnings grade by colour: 蓝 Minor, 黄 Moderate, 橙 Severe, 红 Extreme."""

    UNKNOWN = "Unknown"
    MINOR = "Minor"
    MODERATE = "Moderate"
    SEVERE = "Severe"
    EXTREME = "Extreme"


class Certainty(StrEnum):
    """`<certainty>`, least certain first after `Unknown`."""

    UNKNOWN = "Unknown"
    UNLIKELY = "Unlikely"
    POSSIBLE = "Possible"
    LIKELY = "Likely"
    OBSERVED = "Observed"


def rank(value: Urgency | Severity | Certainty) -> int:
    """The value's place in its scale: 0 for `Unknown`, larger for more urgent, severe or certain."""
    return list(type(value)).index(value)


@dataclass(frozen=True, slots=True)
class NamedValue:
    """A `valueName` + `value` pair (`geocode`, `eventCode`, `parameter`)."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Circle:
    """A circle: its centre (WGS-84) and radius in kilometres."""

    lat: float
    lon: float
    radius_km: float


@dataclass(frozen=True, slots=True)
class Area:
    """`<area>`: its description and the shapes and codes that say where it is."""

    description: str
    polygons: tuple[tuple[tuple[float, float], ...], ...] = ()  # each ring as (lat, lon) pairs, first = last
    circles: tuple[Circle, ...] = ()
    geocodes: tuple[NamedValue, ...] = ()


@dataclass(frozen=True, slots=True)
class Info:
    """`<info>`: one language's account of the event, with its areas."""

    language: str
    categories: tuple[Category, ...]
    event: str
    urgency: Urgency
    severity: Severity
    certainty: Certainty
    response_types: tuple[ResponseType, ...] = ()
    event_codes: tuple[NamedValue, ...] = ()
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""
    web: str = ""
    contact: str = ""
    parameters: tuple[NamedValue, ...] = ()
    areas: tuple[Area, ...] = ()


@dataclass(frozen=True, slots=True, order=True)
class Reference:
    """An earlier message named by `references`: `sender,identifier,sent`."""

    sender: str
    identifier: str
    sent: str


@dataclass(frozen=True, slots=True)
class Alert:
    """`<alert>`: the message, with its infos (one per language)."""

    identifier: str
    sender: str
    sent: datetime
    status: Status
    msg_type: MsgType
    scope: Scope
    source: str = ""
    restriction: str = ""
    addresses: str = ""
    codes: tuple[str, ...] = ()
    note: str = ""
    references: tuple[Reference, ...] = ()
    incidents: str = ""
    infos: tuple[Info, ...] = ()

    @property
    def is_drill(self) -> bool:
        """True unless the status is `Actual`: recorded and shown, but nothing real is sent."""
        return self.status is not Status.ACTUAL

    @property
    def is_all_clear(self) -> bool:
        """True when an info says `AllClear`: the alerts it references are over."""
        return any(ResponseType.ALL_CLEAR in info.response_types for info in self.infos)

    @property
    def ends_referenced(self) -> bool:
        """True when the message ends what it references: a `Cancel`, or an `Update` saying `AllClear`."""
        return self.msg_type is MsgType.CANCEL or (self.msg_type is MsgType.UPDATE and self.is_all_clear)

    def main_info(self) -> Info | None:
        """The info to show and match: the first in Chinese, else the first."""
        return next(
            (i for i in self.infos if i.language.lower().startswith("zh")), self.infos[0] if self.infos else None
        )

    @property
    def areas(self) -> tuple[Area, ...]:
        """Every area of every info (the languages repeat the same areas; resolving them twice is harmless)."""
        return tuple(area for info in self.infos for area in info.areas)
