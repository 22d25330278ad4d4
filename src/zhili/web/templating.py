"""Rendering pages: one Jinja environment over the templates of every domain, with i18n."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import BytecodeCache, ChoiceLoader, Environment, PackageLoader, select_autoescape
from jinja2.bccache import Bucket
from starlette.responses import Response

from zhili.core import media
from zhili.core.auth import Actor
from zhili.web import labels
from zhili.web.form_once import form_key
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

# Room in a request's body for a form's other fields and the multipart framing around its photos (at most).
FORM_ROOM = 256 * 1024


_MB, _KB = 1024 * 1024, 1024


def _size(n: int) -> str:
    """`5 MB`, `48 KB`: a limit as a person reads it."""
    return f"{n // _MB} MB" if n >= _MB else f"{n // _KB} KB"


@dataclass(frozen=True, slots=True)
class UploadLimits:
    """What one photo, and all the photos of one form together, may weigh: said on the page before sending.

    A body over the server's limit is refused before any page could answer beside the field, so every photo
    input carries these (`web/_photos.html`) and `zhili.js` says a photo too large by its input when chosen.
    """

    each: int = media.MAX_PHOTO_BYTES
    total: int = 10 * 1024 * 1024 - FORM_ROOM

    @classmethod
    def within(cls, max_body_bytes: int) -> UploadLimits:
        """Under a body limit: all the photos the body less room for the form, each as `core.media` allows within."""
        total = max_body_bytes - min(FORM_ROOM, max_body_bytes // 4)
        return cls(each=min(media.MAX_PHOTO_BYTES, total), total=total)

    @property
    def each_label(self) -> str:
        """One photo's limit in words."""
        return _size(self.each)

    @property
    def total_label(self) -> str:
        """All the photos' limit in words."""
        return _size(self.total)


def _default_menu(_actor: Actor) -> Sequence[MenuItem]:
    return NAV


def active_href(path: str, items: Sequence[MenuItem]) -> str | None:
    """The menu item the page belongs to: the longest link that is the path or a folder above it."""
    found = [i.href for i in items if path == i.href or (i.href != "/" and path.startswith(i.href + "/"))]
    return max(found, key=len, default=None)


class CompiledTemplates(BytecodeCache):
    """The compiled templates of this process, shared by its Jinja environments.

    A server builds one app and gains nothing; a process that builds many apps (the tests build one
    per world, per live server and for some tests of their own) compiles each template once instead of
    once per app: all of them cost 0.75 CPU-s. Jinja checks each entry against its template's source.
    """

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        """Fill the bucket with the template's code, if another environment compiled it."""
        found = self._compiled.get(bucket.key)
        if found is not None:
            bucket.bytecode_from_string(found)

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep a template's code as an environment compiled it."""
        self._compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED = CompiledTemplates()


class Renderer:
    """Renders a domain's template inside the base layout with the language and the user."""

    def __init__(
        self,
        packages: Sequence[str],
        default_language: str,
        *,
        menu: Menu = _default_menu,
        uploads: UploadLimits | None = None,
    ) -> None:
        loader = ChoiceLoader([PackageLoader(package, "templates") for package in packages])
        environment = Environment(
            loader=loader, autoescape=select_autoescape(), auto_reload=False, bytecode_cache=COMPILED
        )
        labels.install(environment)
        environment.globals["form_key"] = form_key  # a form that writes carries one (`web.form_once`)
        environment.globals["upload_limits"] = uploads or UploadLimits()  # every photo input says them
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
            "lang_href": _other_language_href(request, language),
            "csrf_token": getattr(request.state, "csrf_token", ""),
            **(context or {}),
        }
        response = self.templates.TemplateResponse(request, template, values, status_code=status_code)
        asked = request.query_params.get("lang")
        if asked in LANGUAGES:
            response.set_cookie(LANG_COOKIE, asked, max_age=365 * 86400, samesite="lax", httponly=True)
        return response


def _other_language_href(request: Request, language: str) -> str:
    """The same page in the other language: its query (a ranking's level and month, a queue's filters) kept."""
    kept = [(key, value) for key, value in request.query_params.multi_items() if key != "lang"]
    return "?" + urlencode([*kept, ("lang", "zh" if language == "en" else "en")])


def renderer(request: Request) -> Renderer:
    """The app's renderer (set by `create_app`)."""
    found: Renderer = request.app.state.renderer
    return found
