"""Every page, as every demo login, in Chinese and in English: no raw codes, UTC times or the other language.

The crawl logs in as each demo login (README.md) with the TestClient over the shared SQLite demo
world, to which it adds (inside a transaction rolled back at the end) two campaigns with tasks in
every state (one forwarded by the county, one report verified and rated by the township), a DingTalk
robot, and a day of the escalation ladder's notifications. Every login reads a fixed list of
important pages (the administrator also a case in each status), then follows same-origin GET links
to HTML pages (not /api/, /static/, downloads or streams), at most `SAMPLES_PER_PATTERN` per URL
pattern (/cases/1 and /cases/2 are one) and `PAGES_PER_LOGIN` in all, which keeps the crawl near
30 s. Chinese discovers the pages, English reads the same ones. Each page's visible text is checked
by `tests/web/page_text.py`; a finding names the login, the language, the page and the offending
text (`ZHILI_CRAWL_REPORT=/tmp/crawl.txt` writes them all to a file).

A page being rebuilt may be listed in `KNOWN` with the reason (today none is): its findings are left
out of the main test, and a listed page that has become clean fails its own test until it is removed.
"""

from __future__ import annotations

import os
import re
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.buffered_client import BufferedTestClient
from tests.campaigns.board_helpers import apply_pattern
from tests.conftest import START, Api, World
from tests.web.page_text import Fragment, problems, read_page

from zhili.access.models import Account
from zhili.access.service import actor_for
from zhili.app import create_app
from zhili.campaigns.dispatch.cascade import forward_campaign
from zhili.campaigns.dispatch.schemas import CampaignCreate, ForwardCreate
from zhili.campaigns.dispatch.service import dispatch_campaign
from zhili.campaigns.models import CampaignTask
from zhili.campaigns.tasks.schemas import RateBody
from zhili.campaigns.tasks.service import rate_task, verify_task
from zhili.cases.models import Case
from zhili.clocks.firing import fire_due
from zhili.core.auth import Actor, system_actor
from zhili.core.clock import FrozenClock
from zhili.core.settings import Settings
from zhili.demo.build import LOGIN_LABELS
from zhili.notify.kinds import Severity, WebhookFormat
from zhili.notify.models import OutboxMessage
from zhili.notify.schemas import WebhookCreate
from zhili.notify.webhooks import create_webhook
from zhili.org.models import Department
from zhili.worker import TIMER_HANDLERS

LOGINS = tuple(LOGIN_LABELS)
LANGUAGES = ("zh", "en")
NOW = START + timedelta(days=1, hours=3)
SAMPLES_PER_PATTERN = 2
PAGES_PER_LOGIN = 24
SKIPPED_PREFIXES = ("/api/", "/static/", "/logout", "/healthz", "/readyz", "/openapi", "/docs", "/redoc")
SKIPPED_SUFFIXES = (".csv", ".xlsx", ".json", ".geojson", "/stream", "/export", ".png", ".jpg")
HUZHEN, LONGYOU, KECHENG, FUSHAN = "330825101", "330825", "330802", "330802006"

# Pattern → why its findings are known, not failures: other parts of issue 9 rebuild these templates.
KNOWN: dict[str, str] = {}
# (Pattern, kind of problem) → why only that kind is known there: the field task page is walked by its own
# pass (its 回单须提供: and 定位: labels are left to it); every other finding on it still fails.
KNOWN_PROBLEMS: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Finding:
    """One offending text on one page."""

    login: str
    language: str
    url: str
    where: str
    text: str
    problem: str

    def line(self) -> str:
        """The finding as one line of the failure message."""
        return f"{self.login} [{self.language}] {self.url} <{self.where}> {self.problem}: {self.text[:120]!r}"


@dataclass
class Crawl:
    """What the crawl saw: findings by URL pattern, pages read, time taken."""

    findings: dict[str, list[Finding]] = field(default_factory=lambda: defaultdict(list))
    visited: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    pages: int = 0
    seconds: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)


def pattern_of(url: str) -> str:
    """The URL with numbers and codes as placeholders and query values dropped: one pattern per kind of page."""
    parts = urlsplit(url)
    path = re.sub(r"/\d+(?=/|$)", "/{n}", parts.path)
    path = re.sub(r"^/matters/[^/]+", "/matters/{code}", path)
    keys = sorted({k for k, _ in parse_qsl(parts.query) if k not in {"cursor", "lang"}})
    return path + (f"?{'&'.join(keys)}" if keys else "")


def normalised(base: str, href: str) -> str | None:
    """A same-origin page to crawl, without fragment, cursor or language; None for anything else."""
    if href.startswith(("mailto:", "tel:", "javascript:", "#")):
        return None
    target = urlsplit(urljoin(base, href))
    if target.netloc not in {"", "testserver"}:
        return None
    path = target.path or "/"
    if path.startswith(SKIPPED_PREFIXES) or path.endswith(SKIPPED_SUFFIXES):
        return None
    query = [(k, v) for k, v in parse_qsl(target.query) if k not in {"lang", "format"}]
    return path + (f"?{urlencode(query)}" if query else "")


def check_page(html: str, language: str, username: str) -> tuple[list[tuple[Fragment, str]], list[str]]:
    """Every problem in the page's visible text, and the targets of its links."""
    allowed = frozenset({username, *username.split("-")})
    fragments, links = read_page(html)
    found = [
        (fragment, problem)
        for fragment in fragments
        for problem in problems(
            fragment.text, language, allowed_words=allowed, is_marked_chinese=fragment.is_marked_chinese
        )
    ]
    return found, links


def crawl_login(api: Api, username: str, start: list[str], crawl: Crawl) -> None:
    """Crawl as one login in both languages: Chinese discovers the pages, English reads the same ones.

    The start pages are all read; the links found on them are followed up to a few per pattern.
    """
    api.login(username)
    seen_patterns: dict[str, int] = defaultdict(int)
    queue, visited = list(start), crawl.visited[username]
    api.client.cookies.set("zhili_lang", "zh")
    while queue and len(visited) < len(start) + PAGES_PER_LOGIN:
        url = queue.pop(0)
        pattern = pattern_of(url)
        is_start = len(visited) < len(start)
        if url in visited or (not is_start and seen_patterns[pattern] >= SAMPLES_PER_PATTERN):
            continue
        seen_patterns[pattern] += 1
        visited.append(url)
        links = read(api, url, "zh", username, crawl, is_linked=not is_start)
        queue += [u for h in links or [] if (u := normalised(url, h)) and u not in visited]
    api.client.cookies.set("zhili_lang", "en")
    for n, url in enumerate(list(visited)):
        read(api, url, "en", username, crawl, is_linked=n >= len(start))


def read(api: Api, url: str, language: str, username: str, crawl: Crawl, *, is_linked: bool) -> list[str] | None:
    """Read one page and record what is wrong on it; its links, or None when it is not an HTML page.

    A start page outside the login's scope may answer 403 or 404; a page reached by a link may not.
    """
    response = api.get(url)
    crawl.pages += 1
    if "text/html" not in response.headers.get("content-type", ""):
        return None
    pattern = pattern_of(url)
    if response.status_code >= 400 and (is_linked or response.status_code >= 500):
        crawl.statuses[f"{username} {url}"] = response.status_code
        crawl.findings[pattern].append(
            Finding(username, language, url, "", str(response.status_code), "a link leads to an error page")
        )
    found, links = check_page(response.text, language, username)
    for fragment, problem in found:
        crawl.findings[pattern].append(Finding(username, language, url, fragment.where, fragment.text, problem))
    return links


def important_pages(session: Session, campaign_ids: list[int]) -> tuple[list[str], list[str]]:
    """Pages every crawl starts from (the home page, the menu, one of each kind); a case in each status."""
    cases = [
        f"/cases/{case_id}" for case_id in session.scalars(select(Case.id).group_by(Case.status).order_by(Case.status))
    ]
    task_ids = session.scalars(select(CampaignTask.id).where(CampaignTask.campaign_id.in_(campaign_ids)).limit(2))
    outbox = session.scalars(select(OutboxMessage.id).limit(1)).all()
    unit = session.scalars(select(Department.id).where(Department.division_code == KECHENG).limit(1)).all()
    person = session.scalars(select(Account.person_id).where(Account.username == "gridworker")).all()
    return [
        "/",
        "/cases",
        "/cases?due=over",
        "/cases/new",
        "/supervision",
        "/campaigns",
        "/campaigns/templates",
        *[f"/campaigns/{c}" for c in campaign_ids],
        *[f"/campaigns/{c}/board" for c in campaign_ids],
        *[f"/tasks/{t}" for t in task_ids],
        "/tasks",
        "/inbox",
        "/inbox/preferences",
        "/admin/deliveries",
        *[f"/admin/deliveries/{n}" for n in outbox],
        "/org",
        "/org/search?q=湖镇",
        f"/org/divisions/{HUZHEN}",
        f"/org/divisions/{FUSHAN}",
        *[f"/org/departments/{n}" for n in unit],
        *[f"/org/people/{n}" for n in person],
        "/map",
        "/matters",
        "/matters/illegal_parking",
    ], cases


def seed(sessions: sessionmaker[Session]) -> list[int]:
    """Two campaigns with tasks in every state, and the escalation ladder's notifications of a day."""
    actor, clock = system_actor("crawl"), FrozenClock(START)
    ids = []
    with sessions() as session:
        robot = WebhookCreate(
            name="县指挥中心钉钉群",
            url="https://oapi.dingtalk.com/robot/send?access_token=x",
            format=WebhookFormat.DINGTALK_MARKDOWN,
            topics="case.,campaign.task",
            min_severity=Severity.YELLOW,
        )
        create_webhook(session, actor=actor, data=robot, clock=clock)
        for division, mode in ((HUZHEN, "all"), (LONGYOU, "cascade")):
            data = CampaignCreate(template="typhoon", divisions=[division], mode=mode, message="请按要求落实")
            campaign = dispatch_campaign(session, data=data, actor=actor, clock=clock)
            apply_pattern(session, campaign.id, START)
            ids.append(campaign.id)
        session.commit()
        act_as_people(session, ids)
    while fire_due(sessions, clock=FrozenClock(NOW), handlers=TIMER_HANDLERS, batch_size=5000):
        pass
    return ids


def act_as_people(session: Session, campaign_ids: list[int]) -> None:
    """The county forwards the cascade with its instructions; the township verifies and rates a report."""
    clock = FrozenClock(START + timedelta(hours=2))
    county, township = (logged_in(session, name) for name in ("ly-centre", "huzhen"))
    forward = ForwardCreate(instructions="请各乡镇立即部署")
    forward_campaign(
        session, campaign_id=campaign_ids[1], division_code=LONGYOU, data=forward, actor=county, clock=clock
    )
    reported = select(CampaignTask.id).where(
        CampaignTask.campaign_id == campaign_ids[0], CampaignTask.state == "reported"
    )
    task_id = session.scalars(reported.limit(1)).one()
    verify_task(session, task_id=task_id, note="现场已核实", actor=township, clock=clock)
    rate_task(session, task_id=task_id, data=RateBody(rating="good"), actor=township, clock=clock)


def logged_in(session: Session, username: str) -> Actor:
    """The actor of a demo login."""
    return actor_for(session, session.scalars(select(Account).where(Account.username == username)).one())


@pytest.fixture(scope="module")
def crawl(sqlite_world: World) -> Iterator[Crawl]:
    """Crawl everything once for the module, inside a transaction rolled back afterwards."""
    with sqlite_world.engine.connect() as connection:
        outer = connection.begin()
        sessions = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        campaign_ids = seed(sessions)
        with sessions() as session:
            start, cases = important_pages(session, campaign_ids)
        settings = Settings(environment="test", database_url=sqlite_world.url)
        app = create_app(settings, clock=FrozenClock(NOW), engine=sqlite_world.engine)
        app.state.services.sessions = sessions
        app.state.services.read_sessions = sessions
        found = Crawl()
        began = time.perf_counter()
        with BufferedTestClient(app, raise_server_exceptions=False) as client:
            api = Api(client)
            for username in LOGINS:
                crawl_login(api, username, start + (cases if username == "admin" else []), found)
        found.seconds = time.perf_counter() - began
        yield found
        outer.rollback()


def unknown_findings(found: Crawl) -> list[Finding]:
    """Findings on pages not listed as known."""
    return [
        f
        for pattern, items in found.findings.items()
        if pattern not in KNOWN
        for f in items
        if not any(f.problem.startswith(kind) for (where, kind) in KNOWN_PROBLEMS if where == pattern)
    ]


def test_no_page_shows_raw_codes_utc_times_or_the_other_language(crawl: Crawl) -> None:
    lines = sorted({f.line() for f in unknown_findings(crawl)})
    report = os.environ.get("ZHILI_CRAWL_REPORT")
    if report:  # every finding, the known pages' too, for whoever fixes them
        every = sorted({f"{p} | {f.line()}" for p, items in crawl.findings.items() for f in items})
        patterns = sorted({pattern_of(u) for urls in crawl.visited.values() for u in urls})
        head = f"# {crawl.pages} pages in {crawl.seconds:.1f} s; patterns: {patterns}"
        Path(report).write_text("\n".join([head, *every]) + "\n", encoding="utf-8")
    assert not lines, f"{len(lines)} findings on {crawl.pages} pages:\n" + "\n".join(lines[:300])


def test_the_crawl_reads_every_kind_of_page(crawl: Crawl) -> None:
    patterns = {pattern_of(url) for urls in crawl.visited.values() for url in urls}
    expected = {"/cases/{n}", "/campaigns/{n}", "/campaigns/{n}/board", "/tasks/{n}", "/org/divisions/{n}", "/map"}
    assert expected <= patterns, expected - patterns
    assert "/org/people/{n}" in patterns or "/org/departments/{n}" in patterns
    assert crawl.pages >= len(LOGINS) * len(LANGUAGES) * 20
    # How long it took is a figure, not a check: the machines are shared and noisy.
    print(f"crawl: {crawl.pages} pages in {crawl.seconds:.1f} s")  # noqa: T201 - shown with -s or on failure


def test_no_page_stays_listed_as_known_once_it_is_clean(crawl: Crawl) -> None:
    clean = [pattern for pattern in KNOWN if not crawl.findings.get(pattern)]
    assert not clean, f"remove these from KNOWN: {clean}"
