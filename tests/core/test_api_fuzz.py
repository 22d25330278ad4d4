"""Property-based fuzzing of every operation of /openapi.json, in-process: no request may cause a 5xx.

Each operation is called as an administrator and as a strip login (`kc-traffic`), with schema-valid
and schema-invalid inputs from schemathesis, steered where the schema is free-form (`fuzz_strategies`):
cursors, matter attributes, and path ids of rows that exist. Derandomized and bounded for CI; set
`ZHILI_FUZZ_EXAMPLES` for a longer run (`make fuzz` uses 200 per operation and login).

Derandomized, hypothesis draws the same cases for every login of an operation (one seed, one
strategy): they are drawn once, for the administrator, and sent again as the strip login, each
login in a savepoint of its own as before. Drawing is most of the fuzz's CPU. For the same reason
the second backend of a run would draw the very cases the first one drew (only the ids of its own
campaign and tasks differ): it sends those again, naming its own rows where the first named its own.
And so would the next run: the drawn cases are kept beside the test worlds (`world_cache.CACHE`),
keyed by what draws them (the OpenAPI document itself; the path values drawn among, ids by their
place in each list, as the second backend names its own; the matter catalog; the locked libraries
and the Python, hypothesis and schemathesis versions; this module, its strategies, the campaign it
seeds, the test world's constants and `ZHILI_FUZZ_EXAMPLES`), and a run whose key is kept sends
them without drawing. Derandomized, drawing again would give the same cases. A change to the code
that leaves the API's document as it was (most changes) keeps them: the cases are sent to the new
code as ever. The newest few files of other keys are kept (other worktrees' code), the rest deleted.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core import NOT_SET
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session
from tests import conftest, world_cache
from tests.campaigns import board_helpers
from tests.campaigns.board_helpers import seed_campaign
from tests.conftest import START
from tests.core import fuzz_strategies
from tests.core.fuzz_strategies import CATALOG, CURSORS, matter_and_attributes

from zhili.access.models import Account
from zhili.access.service import issue_token
from zhili.campaigns.models import CampaignTask
from zhili.cases.models import Case, CollaborationRequest
from zhili.core.clock import FrozenClock
from zhili.core.settings import DEFAULT_SECRET
from zhili.org.models import Department, Division, Person

EXAMPLES = int(os.environ.get("ZHILI_FUZZ_EXAMPLES", "10"))
LOGINS = ("admin", "kc-traffic")
HUZHEN = "330825101"  # 湖镇镇
# Server-sent event streams never end for a valid login; their own tests cover them.
STREAMS = {"/api/v1/inbox/stream", "/api/v1/campaigns/{campaign_id}/board/stream"}
# The cases drawn by operation (each as the fields of a schemathesis case), and the rows (`real`) they were
# drawn among: by the run's first backend, or read from the cache of an earlier run.
DRAWN: dict[str, tuple[list[dict[str, Any]], dict[str, list[Any]]]] = {}
CASE_FIELDS = (
    "method",
    "path_parameters",
    "headers",
    "cookies",
    "query",
    "body",
    "media_type",
    "multipart_content_types",
    "_meta",
)


@pytest.fixture
def api_schema(app_client: Any) -> Any:
    """The API as its OpenAPI document describes it, called in-process inside the test transaction."""
    return schemathesis.openapi.from_asgi("/openapi.json", app_client.app)


@pytest.fixture
def real(session: Session) -> dict[str, list[Any]]:
    """Values of path parameters that name existing rows, a campaign with tasks among them."""
    campaign = seed_campaign(session, owner=HUZHEN, now=START)

    def some(column: Any) -> list[Any]:
        return list(session.scalars(select(column).order_by(column).limit(20)))

    return {
        "case_id": some(Case.id),
        "request_id": some(CollaborationRequest.id),
        "person_id": some(Person.id),
        "department_id": some(Department.id),
        "campaign_id": [campaign],
        "task_id": list(session.scalars(select(CampaignTask.id).where(CampaignTask.campaign_id == campaign).limit(20))),
        "division": [HUZHEN, *some(Division.code)],
        "county": ["330802", "330825", "330881"],
        "matter": sorted(CATALOG),
        "template": ["typhoon"],
    }


def _token(session: Session, username: str, clock: FrozenClock) -> str:
    account = session.scalars(select(Account).where(Account.username == username)).one()
    return issue_token(session, account=account, name="fuzz", days=1, secret=DEFAULT_SECRET, clock=clock)[1]


def _path_choices(path: str, name: str, real: dict[str, list[Any]]) -> list[Any]:
    if name == "code":
        kind = "matter" if "/matters/" in path else "template" if "/templates/" in path else "division"
        return real[kind]
    return real.get(name, [])


def _steer(case: Any, data: st.DataObject, real: dict[str, list[Any]]) -> None:
    """Give the free-form parts values that reach past the first check: cursors, attributes, existing ids."""
    path = case.operation.path
    for name in list(case.path_parameters or {}):
        choices = _path_choices(path, name, real)
        if choices and data.draw(st.integers(0, 3)):
            case.path_parameters[name] = data.draw(st.sampled_from(choices))
    if any(p.name == "cursor" for p in case.operation.query):
        # Alone now and then: a generated filter is often refused before the cursor is read.
        others = (case.query or {}) if data.draw(st.booleans()) else {}
        case.query = {**others, "cursor": data.draw(CURSORS)}
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("raise_case"), dict):
        body = body["raise_case"]
    if isinstance(body, dict) and "attributes" in body:
        body["matter"], body["attributes"] = data.draw(matter_and_attributes())


def _strategies(operation: Any) -> tuple[Any, Any]:
    """The operation's schema-valid cases, and any case, valid or not: built once, drawn from by every login."""
    positive = operation.as_strategy(schemathesis.GenerationMode.POSITIVE)
    negative = operation.as_strategy(schemathesis.GenerationMode.NEGATIVE)
    return positive, st.one_of(positive, negative)


def _check(case: Any, headers: dict[str, str]) -> None:
    response = case.call(headers=headers)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} query={case.query} body={str(case.body)[:300]}"
        f" -> {response.status_code}: {response.text[:300]}"
    )


def _fuzz(strategies: tuple[Any, Any], headers: dict[str, str], real: dict[str, list[Any]], drawn: list[Any]) -> None:
    """Draw and send the operation's cases (hypothesis runs the examples); each case is kept in `drawn`."""
    positive, anything = strategies

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        report_multiple_bugs=False,
    )
    @given(data=st.data())
    def call(data: st.DataObject) -> None:
        # Half the examples: schema-valid, steered where the schema is free-form; half: anything, valid or not.
        if data.draw(st.booleans()):
            case = data.draw(positive)
            _steer(case, data, real)
        else:
            case = data.draw(anything)
        drawn.append(case)
        _check(case, headers)

    call()


def _drawn_before(operation: Any, real: dict[str, list[Any]]) -> list[Any] | None:
    """The cases drawn for the operation before (this run or a kept one), naming this backend's rows; else None."""
    found = DRAWN.get(f"{operation.method} {operation.path}")
    if found is None:
        return None
    cases, then = found
    return [
        operation.Case(
            **{
                **case,
                "path_parameters": {
                    name: _same_row(operation.path, name, value, then, real)
                    for name, value in (case["path_parameters"] or {}).items()
                },
            }
        )
        for case in cases
    ]


def _fields(case: Any) -> dict[str, Any]:
    """What `_drawn_before` needs to make the case again, for another backend or a later run.

    A part left unset is left out: schemathesis tells it by the identity of its `NOT_SET`, which a copy
    read back from the cache would not have.
    """
    return {name: value for name in CASE_FIELDS if (value := getattr(case, name)) is not NOT_SET}


def _kept_path(document: dict[str, Any], real: dict[str, list[Any]]) -> Path:
    """Where the cases drawn from this API document, among these rows, by this drawing code are kept."""
    digest = hashlib.sha256(f"fuzz|{EXAMPLES}|{LOGINS}|{sys.version_info[:2]}".encode())
    digest.update(f"{hypothesis.__version__}|{schemathesis.__version__}|{sorted(CATALOG.items())}".encode())
    digest.update(json.dumps(document, sort_keys=True, ensure_ascii=False).encode())
    # A drawn id is named by its place in its list (`_same_row`); codes and names are drawn as they are.
    drawn_among = {name: len(values) if name.endswith("_id") else values for name, values in real.items()}
    digest.update(json.dumps(drawn_among, sort_keys=True, ensure_ascii=False).encode())
    for builder in (__file__, fuzz_strategies.__file__, board_helpers.__file__, conftest.__file__):
        digest.update(Path(builder).read_bytes())
    # The locked libraries too: schemathesis's negative cases go through jsonschema_rs, for one.
    digest.update((world_cache.ROOT / "requirements.lock").read_bytes())
    return world_cache.CACHE / f"fuzz-{digest.hexdigest()[:16]}.pickle"


def _read_kept(path: Path) -> None:
    """Take the cases an earlier run of the same key drew, if kept (this run's own, once drawn, come first)."""
    if not DRAWN and path.exists():
        DRAWN.update(pickle.loads(path.read_bytes()))  # noqa: S301 - written by this module, in the machine's cache


def _keep(path: Path) -> None:
    """Keep what this run drew (written whole, then renamed: a reader never sees half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + f".{os.getpid()}.partial")
    partial.write_bytes(pickle.dumps(DRAWN))
    partial.replace(path)
    for old in world_cache.beyond_kept(path, "fuzz-*.pickle"):  # other worktrees' code: the newest few stay
        old.unlink(missing_ok=True)


def _same_row(path: str, name: str, value: Any, then: dict[str, list[Any]], now: dict[str, list[Any]]) -> Any:
    """The row of this backend at the place the drawn value held among the other backend's (else the value)."""
    before, choices = _path_choices(path, name, then), _path_choices(path, name, now)
    return choices[before.index(value)] if value in before and len(before) == len(choices) else value


def _replay(drawn: list[Any], headers: dict[str, str]) -> None:
    """Send the cases drawn for the first login again, as another login (the same cases it would draw)."""
    for case in drawn:
        _check(case, headers)


def test_no_operation_answers_a_server_error(
    api_schema: Any, connection: Connection, session: Session, clock: FrozenClock, real: dict[str, list[Any]]
) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    operations = [operation for operation in operations if operation.path not in STREAMS]
    assert len(operations) >= 80
    kept = _kept_path(api_schema.raw_schema, real)
    _read_kept(kept)
    failures: list[str] = []
    has_drawn = False
    for operation in operations:
        before = _drawn_before(operation, real)
        strategies, drawn = (_strategies(operation), []) if before is None else (None, before)
        has_drawn |= strategies is not None
        for login in LOGINS:
            # Each operation and login in a savepoint rolled back after it: what one run wrote does not
            # steer the next, and PostgreSQL frees the locks of its thousands of subtransactions (a
            # long run otherwise fills the lock table). A fresh token each time, since the fuzz may
            # revoke the one it holds (DELETE /api/v1/tokens/{id}).
            session.commit()  # the test session's own savepoint ends before this one begins
            savepoint = connection.begin_nested()
            try:
                headers = {"Authorization": f"Bearer {_token(session, login, clock)}"}
                if strategies is not None and login == LOGINS[0]:
                    _fuzz(strategies, headers, real, drawn)
                else:
                    _replay(drawn, headers)
            except AssertionError as failure:
                failures.append(f"[{login}] {failure}")
            finally:
                savepoint.rollback()
                session.expire_all()
        DRAWN.setdefault(f"{operation.method} {operation.path}", ([_fields(case) for case in drawn], real))
    if has_drawn and not failures:
        _keep(kept)
    assert not failures, "\n".join(failures)
