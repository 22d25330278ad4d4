"""One demo case in memory: who acts on it, its state, and the rows it leaves behind.

A `Life` applies commands through the pure lifecycle (`lifecycle.open_case` / `lifecycle.step`) at the
times it is given, and writes the timeline the services would write; `demo_script` decides which
commands come when. A command that would fall after "now" stops the case where it is.
"""

from __future__ import annotations

import hashlib
import random
import struct
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from typing import Any

from zhili.cases import lifecycle as lc
from zhili.cases import states
from zhili.cases.store import event_details
from zhili.clocks.calendar import LimitUnit, WorkCalendar, deadline, extend
from zhili.matters.definition import HandlerLevel, MatterDefinition, Phase

Row = dict[str, object]
MINUTE = timedelta(minutes=1)
OVERDUE = 0.09  # the share of phases that run past their limit
OFFICIAL = WorkCalendar()  # the demo counties keep the official calendar


def _placeholder_png(width: int = 4, height: int = 3) -> bytes:
    """A small grey PNG standing in for a photo of the site: the demo stores no real pictures."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x90\x90\x90" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PHOTO = _placeholder_png()
PHOTO_SHA256 = hashlib.sha256(PHOTO).hexdigest()


class LaterThanNow(Exception):  # noqa: N818 - a signal, not an error
    """The next step would happen after now: the case stays where it is."""


@dataclass(frozen=True, slots=True)
class Agent:
    """Someone acting on cases: the person (None for a citizen), the audit name and the role."""

    person_id: int | None
    audit_name: str
    role: str


ROUTING = Agent(None, states.ROUTING_ACTOR, "system")  # a new case's routing lines name the rules, not the reporter


@dataclass(frozen=True, slots=True)
class Unit:
    """A department unit that can lead, help or own a task."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Cast:
    """Who acts on one case, and in which party."""

    reporter: Agent
    reporter_party: states.Party
    dispatcher: Agent
    lead: Agent
    helpers: tuple[tuple[Unit, Agent], ...]  # units that can be asked for help, with a member each
    township: tuple[str, str]  # code and name, for meetings


@dataclass
class Ledger:
    """The rows every case adds to, with ids handed out in order."""

    events: list[Row] = field(default_factory=list)
    requests: list[Row] = field(default_factory=list)
    meetings: list[Row] = field(default_factory=list)
    attendees: list[Row] = field(default_factory=list)
    tasks: list[Row] = field(default_factory=list)
    photos: list[Row] = field(default_factory=list)
    ids: dict[str, count[int]] = field(default_factory=dict)

    def next_id(self, table: str) -> int:
        """The next id of a table (counters start where the database left off)."""
        return next(self.ids.setdefault(table, count(1)))


@dataclass
class Life:
    """One case on its way through the lifecycle."""

    case_id: int
    definition: MatterDefinition
    level: HandlerLevel
    cast: Cast
    lead_unit_id: int
    point: tuple[float, float]
    now: datetime
    rng: random.Random
    ledger: Ledger
    state: states.CaseState = field(init=False)
    at: datetime = field(init=False)
    reported_at: datetime = field(init=False)
    seq: int = 0
    closed_at: datetime | None = None
    due: datetime | None = None  # when the running phase is due, as the case row would say
    pace: float = 1.0  # every delay of the life × pace (the parking pilot handles its cases faster)

    def report(self, created_at: datetime, routed: Row, contact: Row | None) -> None:
        """Open the case as `report_case` does: the report, where it was routed, who was told."""
        command = states.Report(parties=frozenset({self.cast.reporter_party}))
        transition = lc.open_case(self.definition, command, created_at)
        self.state, self.at, self.reported_at = transition.state, created_at, created_at
        self._clock()
        who, parties = self.cast.reporter, command.parties
        self._event("report", who, parties, event_details(transition))
        self._event("routed", ROUTING, parties, dict(routed))
        if contact is not None:
            self._event("contact_informed", ROUTING, parties, dict(contact))

    def act(self, command: states.Command, at: datetime, who: Agent) -> None:
        """Apply a command at `at` (never before the last one), or stop if that is after now."""
        at = max(at, self.at + MINUTE)
        if at > self.now:
            raise LaterThanNow
        transition = lc.step(self.definition, self.state, command, at)
        extension = self.state.granted_extension_hours
        ended = (self.due, at) if transition.phase_ended and self.due else None
        self.state, self.at = transition.state, at
        if transition.phase_ended or transition.phase_started or self.state.granted_extension_hours != extension:
            self._clock()
        if transition.closes_case:
            self.closed_at = at
        elif self.state.status is states.CaseStatus.REOPENED:
            self.closed_at = None
        self._event(command.kind.value, who, command.parties, event_details(transition, ended=ended))

    def _clock(self) -> None:
        """Work out when the running phase is due, on the official calendar, as the services do."""
        started = self.state.phase_started_at
        self.due = self._due_at(started) if started is not None else None

    def _due_at(self, started: datetime) -> datetime | None:
        """When the running phase is due had it started at `started`: `phase_clock`'s due, without its lights."""
        phase = self.state.phase
        if phase is None:
            return None
        limit = self.definition.limit(self.level, phase)
        unit = LimitUnit(limit.unit)
        extension = self.state.granted_extension_hours if phase is Phase.HANDLE else 0
        return extend(OFFICIAL, deadline(OFFICIAL, started, limit.amount, unit), extension, unit)

    def side(self, kind: str, at: datetime, who: Agent, parties: frozenset[states.Party], details: Row) -> None:
        """A line of the timeline that is not a lifecycle command (help, meetings, tasks)."""
        self.at = at
        self._event(kind, who, parties, dict(details))

    def _event(self, kind: str, who: Agent, parties: frozenset[states.Party], details: dict[str, Any]) -> None:
        self.seq += 1
        self.ledger.events.append(
            {
                "id": self.ledger.next_id("case_events"),
                "case_id": self.case_id,
                "seq": self.seq,
                "kind": kind,
                "at": self.at,
                "actor": who.audit_name,
                "parties": ",".join(sorted(parties)),
                "status_after": self.state.status.value,
                "details": details,
            }
        )

    def hours(self, low: float, high: float) -> datetime:
        """A moment `low` to `high` hours (times the pace) after the last step."""
        return self.later(self.at, self.rng.uniform(low, high))

    def later(self, start: datetime, hours: float) -> datetime:
        """`hours` (times the pace) after `start`."""
        return start + timedelta(hours=hours * self.pace)

    def within(self, phase: Phase, scale: float = 1.0) -> datetime:
        """A moment in the running phase: mostly inside its limit (as the calendar counts it), sometimes past it."""
        started = self.state.phase_started_at or self.at
        if self.due is not None and self.state.phase is phase:
            span = (self._unhurried_due(started) - started) / timedelta(hours=1)
        else:
            limit = self.definition.limit(self.level, phase)
            span = limit.amount * (24 if limit.unit == "working_days" else 1)
            span += self.state.granted_extension_hours if phase is Phase.HANDLE else 0
        rng = self.rng
        share = rng.uniform(1.05, 2.5) if rng.random() < OVERDUE else min(rng.expovariate(3.5), 0.95)
        return self.later(started, span * share * scale)

    def _unhurried_due(self, started: datetime) -> datetime:
        """The running phase's due time, or at another pace the due of the phase as it would have run unhurried.

        A working-day limit's span depends on when the phase starts (a Friday evening start is due on
        Monday): a hurried phase takes its span from the moment it would have started at pace 1, so
        that every delay of its life is the unhurried one times the pace, in distribution.
        """
        if self.pace == 1 or self.due is None:
            return self.due or started
        unhurried = self.reported_at + (started - self.reported_at) / self.pace
        due = self._due_at(unhurried)
        return started + (due - unhurried) if due else self.due

    def photo(self, at: datetime) -> str:
        """The lead uploads a photo of the site (as `photos.attach_photo` does); returns its evidence ref."""
        photo_id = self.ledger.next_id("case_photos")
        self.ledger.photos.append(
            {
                "id": photo_id,
                "case_id": self.case_id,
                "content_type": "image/png",
                "size": len(PHOTO),
                "sha256": PHOTO_SHA256,
                "data": PHOTO,
                "uploaded_by": self.cast.lead.audit_name,
                "uploaded_at": at,
            }
        )
        self.side("photo_added", at, self.cast.lead, frozenset(), {"photo_id": photo_id, "sha256": PHOTO_SHA256})
        return f"photo:{photo_id}"

    def chance(self, share: float) -> bool:
        """True for about `share` of the cases."""
        return self.rng.random() < share
