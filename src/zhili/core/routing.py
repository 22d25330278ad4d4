"""Route lookup without the long walk: an included router is tried only for paths its routes could match.

FastAPI tries each included router in turn and, inside it, each of its routes, with bookkeeping
in the request scope around every attempt: about 10 µs a route here, so a page near the end of
the list (a case page, the inbox) paid one to three milliseconds before its handler ran, and a
404 walked every route. A route's path pattern is anchored at its literal prefix (the path up to
its first `{`), so a router none of whose literal prefixes starts the request's path can match
it neither fully nor partly (a wrong method): skipping it changes no answer, only the time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.routing import Match, Route, WebSocketRoute
from starlette.types import Scope

Matcher = Callable[[Scope], tuple[Match, Scope]]
_PLAIN_ROUTES = (APIRoute, APIWebSocketRoute, Route, WebSocketRoute)


def skip_unreachable_routers(app: FastAPI) -> None:
    """Guard each router included in `app` by the literal prefixes of its routes (call after including them).

    The prefixes are read now: a route added to an included router later would not be reached
    (`create_app` adds none). A router holding anything but plain routes (a mount, a router of its
    own) is always tried.
    """
    for included in app.router.routes:
        router = getattr(included, "original_router", None)
        context = getattr(included, "include_context", None)
        if router is None or context is None:
            continue
        prefixes = literal_prefixes(router.routes, str(context.prefix))
        if prefixes is not None:
            # Shadows the class's `matches` on this instance only.
            vars(included)["matches"] = _guarded(included.matches, prefixes)


def literal_prefixes(routes: list[Any], prefix: str = "") -> tuple[str, ...] | None:
    """Each route's path up to its first parameter, or None if a route is not a plain path route."""
    found: set[str] = set()
    for route in routes:
        if not isinstance(route, _PLAIN_ROUTES):
            return None
        found.add(prefix + route.path.split("{", 1)[0])
    return tuple(sorted(found))


def _guarded(matches: Matcher, prefixes: tuple[str, ...]) -> Matcher:
    def guarded(scope: Scope) -> tuple[Match, Scope]:
        # Behind a root path the route path is not scope["path"]: leave that case to the router.
        if scope.get("root_path") or scope["path"].startswith(prefixes):
            return matches(scope)
        return Match.NONE, {}

    return guarded
