"""The outbox: set-based enqueueing for a campaign's recipients, and messages delivered per second.

Run as ``python benchmarks/bench_outbox.py [--people N] [--messages M]`` from the project root, on
SQLite and (with ZHILI_BENCH_POSTGRES_URL) on PostgreSQL. Each backend gets a fresh database.

1. **enqueue**: one ``notify.service.notify`` call, red (so SMS goes out too), to N people with an
   e-mail address and a phone: N inbox items and 2N outbox messages, three ``INSERT ... SELECT``
   statements. Floor: a bare ``executemany`` of the same rows (plain tuples) in one transaction.
   Target (spec §6, campaign fan-out): 11,000 recipients queued in ≤ 0.5 s, within 3× of the floor.
2. **deliver**: M webhook messages through the courier (claim a batch, POST each with a 16-thread
   pool, record every attempt, settle) to a receiver in another process on loopback (a threaded
   ``http.server`` that answers 200 and counts distinct message keys). Floor: the same M bodies
   POSTed with bare httpx by the same 16 threads to the same receiver, with no database at all.

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import multiprocessing
import os
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import structlog
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session

if importlib.util.find_spec("zhili") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _setup import migrated_database
from zhili.core.clock import FrozenClock
from zhili.core.db import make_session_factory
from zhili.notify.delivery import Courier
from zhili.notify.models import InboxItem, Notification, OutboxMessage, WebhookEndpoint
from zhili.notify.service import notify
from zhili.notify.webhook import WebhookChannel
from zhili.org.models import Person

NOW = datetime(2026, 7, 23, 7, 0, tzinfo=UTC)
THREADS = 16
BATCH = 200


def fresh_database(url: str | None, tmp: Path, people: int) -> Engine:
    """A migrated database with `people` people, each with an e-mail address and a phone."""
    engine = migrated_database(url, tmp, "outbox")
    rows = [{"name": f"人员{i}", "phone": f"1390{i:07d}", "email": f"p{i}@example.cn"} for i in range(people)]
    with Session(engine) as session:
        session.execute(insert(Person), rows)
        session.commit()
    return engine


def enqueue(engine: Engine, people: int) -> None:
    """Time one notify() to everyone against a bare executemany of the same rows."""
    clock = FrozenClock(NOW)
    with Session(engine) as session:
        started = time.perf_counter()
        queued = notify(
            session, recipients=select(Person.id), topic="campaign.typhoon", severity="red", title="台风防御",
            body="今晚走访联系户并回单。", key="bench:campaign", clock=clock,
        )  # fmt: skip
        session.commit()
        took = time.perf_counter() - started
    assert queued.inbox_items == people  # noqa: S101 - a benchmark that measured nothing would mislead
    floor_took = enqueue_floor(engine, queued.notification_id)
    rows = queued.inbox_items + queued.messages
    print(
        f"  enqueue: {people:,} recipients → {queued.inbox_items:,} inbox items + {queued.messages:,} messages "
        f"in {took * 1000:,.0f} ms ({rows / took:,.0f} rows/s); floor (bare executemany) {floor_took * 1000:,.0f} ms; "
        f"ratio {took / floor_took:.2f}× (target ≤ 500 ms for 11,000, ≤ 3×)"
    )


def enqueue_floor(engine: Engine, notification_id: int) -> float:
    """The same rows inserted with executemany of plain tuples (after removing the real ones)."""
    with Session(engine) as session:
        people = session.execute(select(Person.id, Person.email, Person.phone)).all()
        session.execute(delete(OutboxMessage))
        session.execute(delete(InboxItem))
        session.commit()
        inbox_rows = [{"person_id": p, "notification_id": notification_id} for p, _, _ in people]
        outbox_rows = [
            {
                "message_key": f"floor:{channel}:{p}",
                "notification_id": notification_id,
                "channel": channel,
                "person_id": p,
                "destination": email if channel == "email" else phone,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": NOW,
                "created_at": NOW,
            }
            for p, email, phone in people
            for channel in ("email", "sms")
        ]
        started = time.perf_counter()
        session.execute(insert(InboxItem), inbox_rows)
        session.execute(insert(OutboxMessage), outbox_rows)
        session.commit()
        took = time.perf_counter() - started
        session.execute(delete(OutboxMessage))
        session.commit()
    return took


class _Counter(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; without this each waits 40 ms
    keys: set[str] = set()  # noqa: RUF012 - one receiver per process
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        with self.lock:
            self.keys.add(self.headers.get("x-zhili-message-key", ""))
        self._answer(b'{"ok":true}')

    def do_GET(self) -> None:
        with self.lock:
            self._answer(json.dumps({"distinct_keys": len(self.keys)}).encode())
            self.keys.clear()

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _serve(port: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", port), _Counter)
    server.daemon_threads = True
    server.request_queue_size = 128
    server.serve_forever()


def start_receiver() -> tuple[str, multiprocessing.Process]:
    """The webhook receiver in its own process (so it does not share the GIL with the courier)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
    process.start()
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/")
            break
        except httpx.TransportError:
            time.sleep(0.05)
    return f"http://127.0.0.1:{port}", process


def queue_webhook_messages(engine: Engine, url: str, count: int) -> None:
    """`count` pending webhook messages for one endpoint (rows inserted directly: enqueue is timed above)."""
    with Session(engine) as session:
        endpoint = WebhookEndpoint(
            name=f"bench {url}", url=f"{url}/hook", format="generic", topics="", min_severity="info", is_enabled=True,
            created_at=NOW,
        )  # fmt: skip
        notice = Notification(key=f"bench:deliver:{url}", topic="bench.deliver", severity="info", title="送达测试",
                              body="b" * 200, created_at=NOW)  # fmt: skip
        session.add_all([endpoint, notice])
        session.flush()
        rows = [
            {
                "message_key": f"bench:deliver:{i}",
                "notification_id": notice.id,
                "channel": "webhook",
                "endpoint_id": endpoint.id,
                "destination": url,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": NOW,
                "created_at": NOW,
            }
            for i in range(count)
        ]
        session.execute(insert(OutboxMessage), rows)
        session.commit()


def deliver(engine: Engine, url: str, count: int) -> None:
    """Time the courier against bare httpx POSTs to the same receiver."""
    queue_webhook_messages(engine, url, count)
    httpx.get(f"{url}/")  # the receiver forgets what it saw before
    channel = WebhookChannel(public_url="http://127.0.0.1:8000", timeout_seconds=10, max_connections=THREADS)
    courier = Courier(
        make_session_factory(engine), clock=FrozenClock(NOW), channels={"webhook": channel}, batch_size=BATCH,
        concurrency=THREADS,
    )  # fmt: skip
    started = time.perf_counter()
    sent = 0
    while done := courier.deliver_batch():
        sent += done
    took = time.perf_counter() - started
    courier.close()
    received = httpx.get(f"{url}/").json()["distinct_keys"]
    floor_took = deliver_floor(url, count)
    rate, floor_rate = sent / took, count / floor_took
    print(
        f"  deliver: {sent:,} webhook messages in {took:.2f} s = {rate:,.0f} messages/s "
        f"(receiver saw {received:,} distinct keys); floor (bare httpx, {THREADS} threads, no database) "
        f"{floor_rate:,.0f}/s; ratio {floor_rate / rate:.2f}×"
    )


def deliver_floor(url: str, count: int) -> float:
    """The same POSTs with the same threads and connection pool, without claiming or recording."""
    body = json.dumps({"message_key": "x", "title": "送达测试", "body": "b" * 200}, ensure_ascii=False).encode()
    limits = httpx.Limits(max_connections=THREADS, max_keepalive_connections=THREADS)
    with httpx.Client(timeout=10, limits=limits) as client, ThreadPoolExecutor(THREADS) as pool:

        def post(i: int) -> int:
            headers = {"Content-Type": "application/json", "X-Zhili-Message-Key": f"floor:{i}"}
            return client.post(f"{url}/hook", content=body, headers=headers).status_code

        started = time.perf_counter()
        statuses = list(pool.map(post, range(count)))
        took = time.perf_counter() - started
    assert statuses.count(200) == count  # noqa: S101 - a floor that failed would flatter the courier
    return took


def main() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=11_000)
    parser.add_argument("--messages", type=int, default=5_000)
    args = parser.parse_args()
    url, receiver = start_receiver()
    backends: list[tuple[str, str | None]] = [("SQLite", None)]
    postgres = os.environ.get("ZHILI_BENCH_POSTGRES_URL")
    if postgres:
        backends.append(("PostgreSQL", postgres))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, backend_url in backends:
                print(f"{name}:")
                engine = fresh_database(backend_url, Path(tmp), args.people)
                enqueue(engine, args.people)
                deliver(engine, url, args.messages)
                engine.dispose()
    finally:
        receiver.terminate()
    if not postgres:
        print("PostgreSQL: skipped (set ZHILI_BENCH_POSTGRES_URL)")


if __name__ == "__main__":
    main()
