"""The Content-Security-Policy and caching headers, and templates that keep to the policy."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

from zhili.core.limits import CONTENT_SECURITY_POLICY

SRC = Path(str(resources.files("zhili")))
TEMPLATES = sorted(SRC.glob("*/templates/**/*.html"))
OWN_SCRIPTS = sorted((SRC / "web" / "static" / "js").glob("*.js"))
# What the policy refuses in markup: inline scripts, handler attributes, javascript: URLs, style blocks and attributes.
INLINE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE),
    "handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "<style> block": re.compile(r"<style\b", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "htmx eval": re.compile(r"\shx-on|\shx-vars|js:", re.IGNORECASE),
}


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


def test_the_policy_allows_scripts_and_styles_from_the_app_only() -> None:
    directives = _directives(CONTENT_SECURITY_POLICY)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "'unsafe-eval'" not in CONTENT_SECURITY_POLICY


def test_every_answer_carries_the_policy_and_only_static_assets_may_be_cached(api: Any) -> None:
    login = api.get("/login", headers={"accept": "text/html"})
    assert login.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    api.login("ly-centre")
    for path in ("/", "/cases", "/map", "/campaigns", "/inbox", "/api/v1/me", "/api/v1/cases", "/no-such-page"):
        answer = api.get(path, headers={"accept": "text/html"})
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert answer.headers.get_list("cache-control") == ["no-store"], path
    asset = api.get("/static/css/zhili.css")
    assert asset.status_code == 200
    assert asset.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "cache-control" not in asset.headers


def test_no_template_holds_inline_script_handlers_or_styles() -> None:
    assert len(TEMPLATES) > 30  # the scan found the templates
    found = [
        f"{path.relative_to(SRC)}:{text.count(chr(10), 0, match.start()) + 1}: {kind}: {match.group(0).strip()}"
        for path in TEMPLATES
        for text in [path.read_text(encoding="utf-8")]
        for kind, pattern in INLINE.items()
        for match in pattern.finditer(text)
    ]
    assert found == []


def test_our_scripts_write_no_style_attributes_into_markup() -> None:
    assert OWN_SCRIPTS
    found = [
        f"{path.name}:{number}"
        for path in OWN_SCRIPTS
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"style=|setAttribute\(\s*['\"]style|<style|\son[a-z]+=", line, re.IGNORECASE)
    ]
    assert found == []


def test_htmx_is_told_to_add_no_style_and_to_run_no_code(api: Any) -> None:
    page = api.get("/login", headers={"accept": "text/html"}).text
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles":false,""" in page
    assert '"allowEval":false' in page
