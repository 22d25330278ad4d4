"""Rendering pages: one Jinja environment over the templates of every domain, with i18n."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from starlette.responses import Response

from zhili.core.auth import Actor
from zhili.web import labels
from zhili.web.i18n import LANG_COOKIE, LANGUAGES, request_language, translate


class MenuItem(NamedTuple):
    """One menu entry: its link, its message key, and whether the phone's bottom tab bar shows it."""

    href: str
    key: str
    is_tab: bool = False


# The menu when no role-aware one is installed (the shell alone, as in tests of the shell).
NAV = (
    MenuItem("/", "nav.home", is_tab=True),
    MenuItem("/cases", "nav.cases", is_tab=True),
    MenuItem("/cases/new", "nav.report", is_tab=True),
    MenuItem("/inbox", "notify.inbox", is_tab=True),
)
Menu = Callable[[Actor], Sequence[MenuItem]]


def _default_menu(_actor: Actor) -> Sequence[MenuItem]:
    return NAV


def active_href(path: str, items: Sequence[MenuItem]) -> str | None:
    """The menu item the page belongs to: the longest link that is the path or a folder above it."""
    found = [i.href for i in items if path == i.href or (i.href != "/" and path.startswith(i.href + "/"))]
    return max(found, key=len, default=None)


class Renderer:
    """Renders a domain's template inside the base layout with the language and the user."""

    def __init__(self, packages: Sequence[str], default_language: str, *, menu: Menu = _default_menu) -> None:
        loader = ChoiceLoader([PackageLoader(package, "templates") for package in packages])
        environment = Environment(loader=loader, autoescape=select_autoescape(), auto_reload=False)
        labels.install(environment)
        self.templates = Jinja2Templates(env=environment)
        self.default_language = default_language
        self.menu = menu

    def language(self, request: Request) -> str:
        """The language this request is served in."""
        return request_language(request, self.default_language)

    def render(
        self, request: Request, template: str, context: dict[str, Any] | None = None, *, status_code: int = 200
    ) -> Response:
        """A full page; `actor` in the context shows the menu that fits their roles."""
        language = self.language(request)
        actor = (context or {}).get("actor")
        nav = tuple(self.menu(actor)) if isinstance(actor, Actor) else ()
        values = {
            "lang": language,
            "t": lambda key: translate(key, language),
            "nav": nav,
            "nav_active": active_href(request.url.path, nav),
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
