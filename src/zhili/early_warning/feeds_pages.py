"""数据接入 (department feeds) from the pages: the batches with their provenance, their refused rows, an upload.

The list shows the latest batches; a batch's page its refused rows by line and column; the form takes
a CSV file of a feed.

Who may import feeds here is who may through the API (`/api/v1/feeds`): administrators; anyone else gets
403. The upload reads the file as the API reads a CSV body (`feeds.csv_text.decode`) and stores it
through the same service (`feeds.service.import_feed`), on the write path under the form's once-key, so a
form sent twice imports once (and a file imported again in `replace` mode replaces, never doubles). A file
refused as a whole (not CSV, wrong columns, no rows) or whose rows are all refused comes back with the form
as it was chosen and the problems by line and column in the page's language; a file with rows stored
opens its batch, with the rows refused in it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Final

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from zhili.core.actor_names import actor_names
from zhili.core.auth import Actor, PageActor
from zhili.core.errors import InvalidInputError, NotFoundError
from zhili.core.http import ClockDep, DbSession, rolled_back, run_in_read_session, run_in_write_session
from zhili.core.idempotency import fingerprint
from zhili.core.months import Month
from zhili.core.params import IdPath
from zhili.early_warning.feeds import store
from zhili.early_warning.feeds.csv_text import decode
from zhili.early_warning.feeds.rows import FeedRefusedError
from zhili.early_warning.feeds.schema import FEEDS, Feed, FeedKind, Mode
from zhili.early_warning.feeds.service import import_feed
from zhili.early_warning.models import FeedBatch
from zhili.web.form_once import FormOnce, run_form
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)

PATH: Final = "/feeds"
LISTED: Final = 30  # the latest batches the page lists (the kind filter reaches older ones of a feed)
SHOWN_PROBLEMS: Final = 200  # refused rows shown under a refused form (a batch keeps 500, the API answers all)
MAX_SOURCE: Final = 200  # as the API's `source`
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def said_in(text: str, language: str) -> str:
    """One half of a bilingual reason `中文 / English`: the split after the first Chinese words."""
    start = 0
    while (at := text.find(" / ", start)) >= 0:
        if _CJK.search(text[:at]):
            return text[:at] if language == "zh" else text[at + 3 :]
        start = at + 3
    return text


@dataclass(frozen=True, slots=True)
class Problem:
    """A refused row (or the file: `line` None) as the page says it: where, which column, why."""

    line: int | None
    column: str | None
    column_label: str
    reason: str


def _column_label(feed: Feed, name: str | None, language: str) -> str:
    found = next((column for column in feed.columns if column.name == name), None)
    return said_in(found.description, language) if found else ""


def problems_of(feed: Feed, rejections: Iterable[Mapping[str, Any]], language: str) -> list[Problem]:
    """Refused rows (`{"line", "column", "reason"}`, as a batch keeps them) worded for the page."""
    return [
        Problem(
            line=int(r["line"]),
            column=r.get("column"),
            column_label=_column_label(feed, r.get("column"), language),
            reason=said_in(str(r.get("reason") or ""), language),
        )
        for r in rejections
    ]


@dataclass(frozen=True, slots=True)
class BatchView:
    """A batch as the list and its page show it."""

    batch: FeedBatch
    months: str
    provider: str
    by: str


def _views(session: Session, batches: list[FeedBatch], language: str) -> list[BatchView]:
    names = actor_names(session, (b.received_by for b in batches))
    return [
        BatchView(
            batch=b,
            months=_months(b),
            provider=_provider(b.kind, language) or b.provider,
            by=names.get(b.received_by, ""),
        )
        for b in batches
    ]


def _months(batch: FeedBatch) -> str:
    if batch.first_month is None or batch.last_month is None:
        return ""
    first, last = Month(batch.first_month), Month(batch.last_month)
    return str(first) if first == last else f"{first} – {last}"


def _provider(kind: str, language: str) -> str:
    feed = FEEDS.get(FeedKind(kind)) if kind in set(FeedKind) else None
    if feed is None:
        return ""
    return feed.provider_en if language == "en" else feed.provider_zh


def _kind_of(value: str) -> FeedKind | None:
    return FeedKind(value) if value in set(FeedKind) else None


@router.get(PATH)
def feeds_page(request: Request, session: DbSession, actor: PageActor, kind: str = "") -> Response:
    """The latest batches (of one feed, or all) and the upload form."""
    actor.require_admin("import department feeds")
    return _page(request, session, actor, form={"kind": kind, "mode": Mode.REPLACE.value}, listed=_kind_of(kind))


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    form: Mapping[str, str],
    listed: FeedKind | None = None,
    problems: list[Problem] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    language = renderer(request).language(request)
    batches = store.batches(session, kind=listed, limit=LISTED)
    return renderer(request).render(
        request,
        "early_warning/feeds.html",
        {
            "actor": actor,
            "batches": _views(session, batches, language),
            "feeds": list(FEEDS.values()),
            "listed": listed.value if listed else "",
            "form": form,
            "problems": problems or [],
            "errors": errors or {},
            "said_in": said_in,
        },
        status_code=status_code,
    )


@router.get(PATH + "/{batch_id}")
def batch_page(request: Request, batch_id: IdPath, session: DbSession, actor: PageActor) -> Response:
    """One batch: its provenance and each refused row with its column and reason."""
    actor.require_admin("read the feeds' batches")
    batch = session.get(FeedBatch, batch_id)
    if batch is None or _kind_of(batch.kind) is None:
        raise NotFoundError("batch not found")
    language = renderer(request).language(request)
    feed = FEEDS[FeedKind(batch.kind)]
    return renderer(request).render(
        request,
        "early_warning/feed_batch.html",
        {
            "actor": actor,
            "view": _views(session, [batch], language)[0],
            "feed": feed,
            "problems": problems_of(feed, batch.rejections, language),
            "imported": request.query_params.get("imported") == "1",
        },
    )


@router.post(PATH)
async def upload(request: Request, actor: PageActor, clock: ClockDep) -> Response:
    """Import an uploaded CSV file of a feed: its batch, or the form as chosen with every problem by row."""
    actor.require_admin("import department feeds")
    raw = await request.form()
    form, errors, upload_file = _checked(raw)
    kind = _kind_of(form["kind"])
    if errors or kind is None or upload_file is None:
        return await _refused(request, actor, form, errors=errors)
    data = await upload_file.read()
    try:
        header, rows = await run_in_threadpool(lambda: _parse(data))
    except FeedRefusedError as exc:
        return await _refused(request, actor, form, errors={"file": "feeds.error.csv"}, file_text=str(exc))
    said = FormOnce.of(raw, PATH)
    digest = hashlib.sha256(data).hexdigest()
    once = FormOnce(f"{said.key}:{digest[:16]}", fingerprint("POST", PATH, [said.content, digest])) if said else None
    source = (form["source"] or form["file_name"])[:MAX_SOURCE]

    def act(session: Session) -> dict[str, Any]:
        mode = Mode(form["mode"])
        report = import_feed(
            session, actor=actor, clock=clock, kind=kind, header=header, rows=iter(rows), source=source, mode=mode
        )
        kept = report.rejected[:SHOWN_PROBLEMS]
        return {
            "batch_id": report.batch_id,
            "accepted": report.accepted,
            "rejected": [{"line": r.line, "column": r.column, "reason": r.reason} for r in kept],
        }

    def attempt(session: Session) -> dict[str, Any] | InvalidInputError:
        try:
            found: dict[str, Any] = run_form(
                once, session, owner=actor.audit_name, now=clock.now(), action=lambda: act(session)
            )
        except InvalidInputError as exc:
            return rolled_back(session, exc)
        return found

    outcome = await run_in_write_session(request, attempt)
    if isinstance(outcome, InvalidInputError):
        return await _refused(request, actor, form, errors={"file": "feeds.error.header"}, header=header)
    if outcome["accepted"] == 0:
        language = renderer(request).language(request)
        problems = problems_of(FEEDS[kind], outcome["rejected"], language)
        return await _refused(request, actor, form, errors={"file": "feeds.error.no_rows"}, problems=problems)
    return RedirectResponse(f"{PATH}/{outcome['batch_id']}?imported=1", status_code=303)


def _checked(raw: FormData) -> tuple[dict[str, str], dict[str, str], UploadFile | None]:
    """The form's words (kept to show again), the errors by field, and the file if one was chosen."""
    form = {name: str(raw.get(name) or "").strip() for name in ("kind", "mode", "source")}
    chosen = raw.get("file")
    upload_file = chosen if isinstance(chosen, UploadFile) and chosen.filename else None
    form["file_name"] = (
        PurePath(upload_file.filename.replace("\\", "/")).name if upload_file and upload_file.filename else ""
    )
    errors: dict[str, str] = {}
    if _kind_of(form["kind"]) is None:
        errors["kind"] = "feeds.error.kind"
    if form["mode"] not in set(Mode):
        errors["mode"] = "feeds.error.mode"
    if upload_file is None or not form["file_name"]:
        errors["file"] = "feeds.error.file"
    if len(form["source"]) > MAX_SOURCE:
        errors["source"] = "form.error.too_long"
    return form, errors, upload_file


def _parse(data: bytes) -> tuple[tuple[str, ...], list[tuple[int, Mapping[str, str | None]]]]:
    parsed = decode(data)
    rows = list(parsed.rows())
    if not rows:
        raise FeedRefusedError("文件没有数据行 / the file has no rows")
    return parsed.header, rows


async def _refused(
    request: Request,
    actor: Actor,
    form: dict[str, str],
    *,
    errors: dict[str, str],
    problems: list[Problem] | None = None,
    file_text: str = "",
    header: tuple[str, ...] = (),
) -> Response:
    """The form again as it was chosen (422), with the problems by field and by row."""
    language = renderer(request).language(request)
    kind = _kind_of(form.get("kind", ""))
    if file_text:
        form["file_problem"] = said_in(file_text, language)
    if header and kind is not None:
        feed = FEEDS[kind]
        names = [name.strip() for name in header]
        form["unknown"] = ", ".join(sorted(set(names) - set(feed.names)))
        form["missing"] = ", ".join(sorted(feed.required - set(names)))
        form["repeated"] = ", ".join(sorted({name for name in names if names.count(name) > 1}))

    def page(session: Session) -> Response:
        return _page(request, session, actor, form=form, problems=problems, errors=errors, status_code=422)

    return await run_in_read_session(request, page)
