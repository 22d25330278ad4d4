"""How the app meets the network: the server's options, and whose `X-Forwarded-For` is believed.

The client address decides the login throttle, so a forwarded address is believed only from the
reverse proxies named in `ZHILI_TRUSTED_PROXIES` (empty: none, not even loopback). The server
itself never rewrites the client from headers; the application does, when configured.
"""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware


def server_config(app: ASGIApp, *, host: str, port: int) -> uvicorn.Config:
    """The uvicorn configuration `zhili serve` and `zhili demo` run with: no proxy headers of its own."""
    return uvicorn.Config(app, host=host, port=port, log_level="warning", proxy_headers=False)


def trust_proxies(app: FastAPI, trusted_proxies: str) -> None:
    """Believe `X-Forwarded-For` from the named proxies (comma-separated addresses or networks) only.

    Call it after every other middleware is added: it must run first, before the request is logged.
    """
    hosts = [host.strip() for host in trusted_proxies.split(",") if host.strip()]
    if hosts:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=hosts)
