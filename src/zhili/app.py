"""The composition root: `create_app(settings)` wires storage, services, routers and pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from zhili.access import api as access_api
from zhili.access import login_pages
from zhili.access import pages as access_pages
from zhili.access.actor_cache import ActorCache
from zhili.access.deps import actor_or_none, resolve_actor
from zhili.access.service import prepare_unknown_login_check
from zhili.alerts import api as alerts_api
from zhili.alerts import pages as alerts_pages
from zhili.analytics import pages as analytics_pages
from zhili.assessment import api as assessment_api
from zhili.assessment import model_pages as assessment_model_pages
from zhili.assessment import pages as assessment_pages
from zhili.audit_trail import pages as audit_trail_pages
from zhili.campaigns.board import api as board_api
from zhili.campaigns.board import pages as board_pages
from zhili.campaigns.dispatch import api as campaigns_api
from zhili.campaigns.dispatch import pages as campaign_pages
from zhili.campaigns.scores import api as scores_api
from zhili.campaigns.tasks import api as tasks_api
from zhili.campaigns.tasks import pages as task_pages
from zhili.cases import api as cases_api
from zhili.cases import hotline_pages, intake_pages, supervision_api
from zhili.cases import pages as cases_pages
from zhili.citizens import pages as citizen_pages
from zhili.citizens import report_pages
from zhili.clocks import api as clocks_api
from zhili.clocks import pages as clocks_pages
from zhili.command_centre import pages as command_centre_pages
from zhili.command_groups import api as command_groups_api
from zhili.command_groups import group_pages as command_group_pages
from zhili.command_groups import pages as command_groups_pages
from zhili.command_groups.visibility import groups_in_sight
from zhili.core.auth import LoginRequiredError
from zhili.core.checkpoint import checkpointing
from zhili.core.clock import Clock, SystemClock
from zhili.core.db import make_engine, make_session_factory, sqlite_wal
from zhili.core.group_commit import GroupCommitter
from zhili.core.health import not_ready, probe_answer, unreachable
from zhili.core.http import Services, write_threads
from zhili.core.limits import BodySizeLimitMiddleware, ControlCharacterGuardMiddleware, SecurityHeadersMiddleware
from zhili.core.request_context import RequestIdMiddleware, configure_logging
from zhili.core.routing import skip_unreachable_routers
from zhili.core.serving import trust_proxies
from zhili.core.settings import Settings
from zhili.early_warning import api as early_warning_api
from zhili.early_warning import detector_pages, feeds_pages
from zhili.early_warning import pages as early_warning_pages
from zhili.matters import api as matters_api
from zhili.matters import pages as matters_pages
from zhili.notify import api as notify_api
from zhili.notify import pages as notify_pages
from zhili.notify import webhook_pages
from zhili.notify.post_moves import tell_post_moved
from zhili.open311 import api as open311_api
from zhili.open311 import pages as open311_pages
from zhili.org import api as org_api
from zhili.org import grid_pages, moves, people_pages
from zhili.org import pages as org_pages
from zhili.org.geo import LocatorCache
from zhili.web.errors import install_error_handlers
from zhili.web.templating import Renderer, UploadLimits
from zhili.workbench import pages as workbench_pages
from zhili.workbench.menu import menu_for

TEMPLATE_PACKAGES = (
    "zhili.web",
    "zhili.access",
    "zhili.org",
    "zhili.matters",
    "zhili.cases",
    "zhili.notify",
    "zhili.campaigns",
    "zhili.workbench",
    "zhili.clocks",
    "zhili.early_warning",
    "zhili.analytics",
    "zhili.command_centre",
    "zhili.assessment",
    "zhili.command_groups",
    "zhili.audit_trail",
    "zhili.citizens",
    "zhili.open311",
    "zhili.alerts",
)


def create_app(settings: Settings, *, clock: Clock | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the application; nothing is read from the environment here."""
    configure_logging(json_output=settings.log_json)
    moves.subscribe(tell_post_moved)  # org announces a post's move; notify tells the people it concerns
    engine = engine or make_engine(settings.database_url, echo=settings.sql_echo, background_checkpoints=True)
    committer = GroupCommitter() if settings.group_commit and sqlite_wal(engine) is not None else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # SQLite's WAL is checkpointed by a thread of its own while the app serves, not by the
        # requests that commit (an engine made with background_checkpoints; no-op otherwise).
        # Starting and stopping block the loop, but only before the first request and after the last.
        prepare_unknown_login_check()
        with checkpointing(engine):
            yield
        if committer is not None:
            committer.stop()  # the writes queued so far are committed first

    app = FastAPI(
        title="Zhili 治理",
        version="0.1.0",
        description="Closed-loop, multi-agency grassroots governance (Quzhou model).",
        lifespan=lifespan,
    )
    app.state.services = Services(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        read_sessions=make_session_factory(engine, read_only=True),
        clock=clock or SystemClock(),
        write_threads=write_threads(engine),
        committer=committer,
    )
    app.state.renderer = Renderer(
        TEMPLATE_PACKAGES,
        settings.default_language,
        menu=menu_for,
        uploads=UploadLimits.within(settings.max_body_bytes),
    )
    app.state.locators = LocatorCache()
    app.state.actor_resolver = resolve_actor
    app.state.actor_cache = ActorCache(settings.actor_cache_seconds)
    app.state.group_sight = groups_in_sight  # the case page links the groups opened from it (cases sit below them)
    install_error_handlers(
        app,
        login_required=LoginRequiredError,
        own_formats={"/open311/": open311_api.error_response},
        who=actor_or_none,
    )
    # Added inside out: the last one added runs first, so even a 500 from RequestIdMiddleware
    # leaves with the security headers.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(ControlCharacterGuardMiddleware)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    trust_proxies(app, settings.trusted_proxies)
    # First of the app's routes: the router tries routes in order, and a static file should not be
    # matched against every API route and page before its own mount (most of its cost was that).
    static = resources.files("zhili.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    routers = (
        access_api.router,
        org_api.router,
        matters_api.router,
        cases_api.router,
        supervision_api.router,
        clocks_api.router,
        early_warning_api.router,
        scores_api.router,  # before campaigns_api: /scores is not a campaign id
        campaigns_api.router,
        campaign_pages.router,
        board_api.router,
        tasks_api.router,
        notify_api.inbox_router,
        notify_api.router,
        access_pages.router,
        login_pages.router,
        workbench_pages.router,
        people_pages.router,
        grid_pages.router,
        org_pages.router,
        matters_pages.router,
        intake_pages.router,  # before /cases/{case_id}: `new` is not an id
        cases_pages.router,
        hotline_pages.router,
        citizen_pages.router,
        report_pages.router,
        notify_pages.router,
        webhook_pages.router,
        audit_trail_pages.router,
        board_pages.router,
        task_pages.router,
        clocks_pages.router,
        early_warning_pages.router,
        detector_pages.router,
        feeds_pages.router,
        analytics_pages.router,
        command_centre_pages.pages,
        command_centre_pages.api,
        assessment_api.router,
        command_groups_pages.router,
        command_group_pages.router,
        command_groups_api.router,
        assessment_pages.router,
        assessment_model_pages.router,
        open311_api.router,
        open311_pages.router,
        alerts_api.router,
        alerts_pages.router,
    )
    for router in routers:
        app.include_router(router)
    skip_unreachable_routers(app)

    @app.get("/healthz", tags=["health"], response_model=None)
    def healthz() -> dict[str, str] | JSONResponse:
        """Liveness and database reachability; 503 when the database does not answer."""
        return probe_answer(unreachable(engine), "ok")

    @app.get("/readyz", tags=["health"], response_model=None)
    def readyz() -> dict[str, str] | JSONResponse:
        """Readiness: the database answers and is at this code's migration head; 503 otherwise."""
        return probe_answer(not_ready(engine), "ready")

    return app
