"""Shared test helpers for notifications: demo people, a loopback webhook receiver, a notice as a reader sees it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhili.notify import inbox
from zhili.notify.models import InboxItem, Notification
from zhili.notify.schemas import InboxItemRead
from zhili.org.models import Person, Position


def people_of(session: Session, division_prefix: str, count: int) -> list[int]:
    """Some people holding posts under a division, in id order."""
    stmt = (
        select(Position.person_id)
        .where(Position.division_code.startswith(division_prefix))
        .distinct()
        .order_by(Position.person_id)
        .limit(count)
    )
    return list(session.scalars(stmt))


def as_read(session: Session, key: str, person_id: int, language: str) -> InboxItemRead:
    """The notice `key` as `person_id`'s inbox shows it in `language` (the read the page and the live stream make)."""
    item_id = session.scalar(
        select(InboxItem.id)
        .join(Notification, Notification.id == InboxItem.notification_id)
        .where(Notification.key == key, InboxItem.person_id == person_id)
    )
    assert item_id is not None, f"{key} is not in person {person_id}'s inbox"
    item = inbox.items_after(session, person_id, item_id - 1, language=language)[0]
    assert item.id == item_id
    return item


def in_both_languages(session: Session, key: str, person_id: int) -> tuple[InboxItemRead, InboxItemRead]:
    """The notice in Chinese and in English; the Chinese is checked to be what every other channel sends."""
    stored = session.scalars(select(Notification).where(Notification.key == key)).one()
    zh, en = (as_read(session, key, person_id, language) for language in ("zh", "en"))
    assert (zh.title, zh.body, zh.lang) == (stored.title, stored.body, "zh")
    assert en.lang == "en"
    assert (en.title, en.body) != (zh.title, zh.body)
    return zh, en


def give_email(session: Session, person_ids: list[int]) -> None:
    """Demo people have no e-mail address; give these one."""
    for person_id in person_ids:
        session.execute(update(Person).where(Person.id == person_id).values(email=f"p{person_id}@example.test"))


@dataclass
class Receiver:
    """What a loopback webhook receiver saw: every request, and the set of keys applied once."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    applied: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    status: int = 200
    delay: float = 0.0

    def take(self, path: str, headers: dict[str, str], body: bytes) -> int:
        """Record one request; apply it unless its key was applied before (the receiver's dedup)."""
        with self.lock:
            self.requests.append({"path": path, "headers": headers, "body": body})
            status, delay = self.status, self.delay
        if delay:
            time.sleep(delay)  # a slow receiver still applies the message after the sender gave up
        key = headers.get("x-zhili-message-key", "")
        with self.lock:
            if status < 300:
                self.applied[key] = self.applied.get(key, 0) + 1
        return status

    def keys(self) -> list[str]:
        """Every key received, repeats included."""
        with self.lock:
            return [r["headers"].get("x-zhili-message-key", "") for r in self.requests]

    def json_bodies(self) -> list[Any]:
        """Every body, parsed."""
        with self.lock:
            return [json.loads(r["body"]) for r in self.requests]


@contextmanager
def webhook_receiver(receiver: Receiver | None = None) -> Iterator[tuple[str, Receiver]]:
    """A threaded HTTP server on loopback that hands each POST to a Receiver; yields its URL."""
    found = receiver or Receiver()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms wait between them

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = found.take(self.path, headers, body)
            answer = b'{"errcode":0,"errmsg":"ok"}' if status < 300 else b"receiver failed"
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender timed out and left

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", found
    finally:
        server.shutdown()
        server.server_close()
