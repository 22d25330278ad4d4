"""Rendering pages: one Jinja environment over the templates of every domain, with i18n."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from starlette.responses import Response

from zhili.web import labels
from zhili.web.i18n import LANG_COOKIE, LANGUAGES, request_language, translate
from zhili.web.labels import LOCAL_ZONE, local_time

NAV = (
    ("/", "nav.home"),
    ("/cases", "nav.cases"),
    ("/supervision", "nav.supervision"),
    ("/campaigns", "nav.campaigns"),
    ("/tasks", "nav.tasks"),
    ("/org", "nav.org"),
    ("/map", "nav.map"),
    ("/matters", "nav.matters"),
)


class Renderer:
    """Renders a domain's template inside the base layout with the language and the user."""

    def __init__(self, packages: Sequence[str], default_language: str) -> None:
        loader = ChoiceLoader([PackageLoader(package, "templates") for package in packages])
        environment = Environment(loader=loader, autoescape=select_autoescape(), auto_reload=False)
        labels.install(environment)
        self.templates = Jinja2Templates(env=environment)
        self.default_language = default_language

    def language(self, request: Request) -> str:
        """The language this request is served in."""
        return request_language(request, self.default_language)

    def render(
        self, request: Request, template: str, context: dict[str, Any] | None = None, *, status_code: int = 200
    ) -> Response:
        """A full page; `actor` in the context shows the user menu."""
        language = self.language(request)
        values = {
            "lang": language,
            "t": lambda key: translate(key, language),
            "nav": NAV,
            "path": request.url.path,
            "csrf_token": getattr(request.state, "csrf_token", ""),
            **(context or {}),
        }
        response = self.templates.TemplateResponse(request, template, values, status_code=status_code)
        asked = request.query_params.get("lang")
        if asked in LANGUAGES:
            response.set_cookie(LANG_COOKIE, asked, max_age=365 * 86400, samesite="lax", httponly=True)
        return response


def renderer(request: Request) -> Renderer:
    """The app's renderer (set by `create_app`)."""
    found: Renderer = request.app.state.renderer
    return found


# LOCAL_ZONE and local_time live in `labels` with the other formatting rules; kept importable from here.
__all__ = ["LOCAL_ZONE", "NAV", "Renderer", "local_time", "renderer"]
