"""How the app meets the network: the server's options, and whose `X-Forwarded-For` is believed.

The client address decides the login throttle, so a forwarded address is believed only from the
reverse proxies named in `ZHILI_TRUSTED_PROXIES` (empty: none, not even loopback). The server
itself never rewrites the client from headers; the application does, when configured.

The server runs on uvloop with the httptools parser (both pinned dependencies) and falls back to
asyncio's loop and h11 where they are not installed (a platform without wheels): same behaviour,
a slower request path.
"""

from __future__ import annotations

import gc
from importlib.util import find_spec

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware


def fast_loop_and_parser() -> tuple[str, str]:
    """The server's event loop and HTTP parser: uvloop and httptools when installed, else asyncio and h11."""
    loop = "uvloop" if find_spec("uvloop") is not None else "asyncio"
    http = "httptools" if find_spec("httptools") is not None else "h11"
    return loop, http


def server_config(app: ASGIApp, *, host: str, port: int) -> uvicorn.Config:
    """The uvicorn configuration `zhili serve` and `zhili demo` run with.

    No proxy headers of its own (see `trust_proxies`) and no access log: `RequestIdMiddleware`
    already logs one line per request, with its id.
    """
    loop, http = fast_loop_and_parser()
    return uvicorn.Config(
        app, host=host, port=port, log_level="warning", proxy_headers=False, access_log=False, loop=loop, http=http
    )


def serve(app: ASGIApp, *, host: str, port: int) -> None:
    """Run the app under uvicorn with `server_config` until stopped, its heap settled first."""
    settle_heap()
    uvicorn.Server(server_config(app, host=host, port=port)).run()


def settle_heap() -> None:
    """Collect once, then leave everything built so far out of every later collection (`gc.freeze`).

    For long-running processes (`zhili serve`, `zhili worker`), right before they start work. After
    the imports and the app's construction a process holds about 250,000 objects that live as long
    as it does, and each of the interpreter's full collections walked all of them: about 160 ms on
    this machine, a stall that every request in flight waited through (it was the open-loop
    benchmark's p99 at 100 reports/s: 142 ms in two runs of three). Frozen, they are never walked again;
    objects made afterwards are collected as before.
    """
    gc.collect()
    gc.freeze()


def trust_proxies(app: FastAPI, trusted_proxies: str) -> None:
    """Believe `X-Forwarded-For` from the named proxies (comma-separated addresses or networks) only.

    Call it after every other middleware is added: it must run first, before the request is logged.
    """
    hosts = [host.strip() for host in trusted_proxies.split(",") if host.strip()]
    if hosts:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=hosts)
