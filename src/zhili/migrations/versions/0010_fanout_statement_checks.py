"""Fan-out references checked once per statement on PostgreSQL, not once per row

A campaign to 100,000 people writes 100,000 tasks, inbox items and outbox messages in three
`INSERT … SELECT`s. PostgreSQL checks a foreign key with a trigger per row (a lookup and a row lock
on the parent for each of the seven references), which was half of the dispatch's time. On
PostgreSQL these seven foreign keys become one statement-level trigger per table that checks every
inserted row's references in one anti-join over the statement's transition table; an update that
changes a reference is checked per row (the application never changes one); and the parents
(people, positions, campaigns, notifications) refuse a DELETE that would orphan a row, or a change of
their id. A violation raises SQLSTATE 23503 (foreign_key_violation), as the foreign key did.

One guarantee is weaker: the checks take no lock on the parent rows, so a parent deleted by another
transaction at the same moment as a dispatch that references it could leave an orphan. Zhili never
deletes people, posts, campaigns or notifications (they are deactivated or closed); an operator who
deletes them by hand must not do it during a dispatch. SQLite keeps its foreign keys (the models
still declare them; `zhili.schema.include_object` tells autogenerate they live here).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# child table -> (column, parent table): the references checked per statement (ids are `id`).
CHECKED = {
    "campaign_tasks": (("campaign_id", "campaigns"), ("person_id", "people"), ("position_id", "positions")),
    "inbox_items": (("person_id", "people"), ("notification_id", "notifications")),
    "outbox": (("person_id", "people"), ("notification_id", "notifications")),
}


def _name(child: str, column: str, parent: str) -> str:
    return f"fk_{child}_{column}_{parent}"


def _violation(table: str, name: str, detail: str) -> str:
    message = f'insert or update on table "{table}" violates foreign key constraint "{name}"'
    return f"RAISE EXCEPTION '{message}' USING ERRCODE = 'foreign_key_violation', DETAIL = {detail}"


def _child_sql(child: str, references: tuple[tuple[str, str], ...]) -> list[str]:
    """The statement-level check of inserted rows and the row-level check of a changed reference."""
    inserted, changed = [], []
    for column, parent in references:
        name = _name(child, column, parent)
        # min(), not LIMIT 1: a LIMIT makes the planner probe the parent's index row by row.
        missing = f"SELECT min(a.{column}) FROM added a WHERE a.{column} IS NOT NULL AND NOT EXISTS "  # noqa: S608
        missing += f"(SELECT FROM {parent} p WHERE p.id = a.{column})"
        detail = f"format('Key ({column})=(%s) is not present in table \"{parent}\".', bad)"
        inserted.append(
            f"SELECT ({missing}) INTO bad; IF bad IS NOT NULL THEN {_violation(child, name, detail)}; END IF;"
        )
        row_detail = f"format('Key ({column})=(%s) is not present in table \"{parent}\".', NEW.{column})"
        changed.append(
            f"IF NEW.{column} IS NOT NULL AND NOT EXISTS (SELECT FROM {parent} p WHERE p.id = NEW.{column}) "
            f"THEN {_violation(child, name, row_detail)}; END IF;"
        )
    columns = [column for column, _ in references]
    differs = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
    return [
        (
            f"CREATE FUNCTION zhili_check_{child}_added() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"DECLARE bad bigint; BEGIN {' '.join(inserted)} RETURN NULL; END $$"
        ),
        (
            f"CREATE TRIGGER zhili_check_{child}_added AFTER INSERT ON {child} REFERENCING NEW TABLE AS added "
            f"FOR EACH STATEMENT EXECUTE FUNCTION zhili_check_{child}_added()"
        ),
        (
            f"CREATE FUNCTION zhili_check_{child}_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {' '.join(changed)} RETURN NULL; END $$"
        ),
        (
            f"CREATE TRIGGER zhili_check_{child}_changed AFTER UPDATE ON {child} FOR EACH ROW WHEN ({differs}) "
            f"EXECUTE FUNCTION zhili_check_{child}_changed()"
        ),
    ]


def _parents() -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for child, references in CHECKED.items():
        for column, parent in references:
            found.setdefault(parent, []).append((child, column))
    return found


def _parent_sql(parent: str, children: list[tuple[str, str]]) -> list[str]:
    """A DELETE that would orphan a row, or a changed id, is refused."""
    checks = []
    for child, column in children:
        name = _name(child, column, parent)
        message = f'update or delete on table "{parent}" violates foreign key constraint "{name}" on table "{child}"'
        detail = f"format('Key (id)=(%s) is still referenced from table \"{child}\".', bad)"
        found = f"SELECT min(r.id) FROM removed r WHERE EXISTS (SELECT FROM {child} c WHERE c.{column} = r.id)"  # noqa: S608
        checks.append(
            f"SELECT ({found}) INTO bad; IF bad IS NOT NULL THEN "
            f"RAISE EXCEPTION '{message}' USING ERRCODE = 'foreign_key_violation', DETAIL = {detail}; END IF;"
        )
    return [
        (
            f"CREATE FUNCTION zhili_guard_{parent}_removed() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"DECLARE bad bigint; BEGIN {' '.join(checks)} RETURN NULL; END $$"
        ),
        (
            f"CREATE TRIGGER zhili_guard_{parent}_removed AFTER DELETE ON {parent} REFERENCING OLD TABLE AS removed "
            f"FOR EACH STATEMENT EXECUTE FUNCTION zhili_guard_{parent}_removed()"
        ),
        (
            f"CREATE TRIGGER zhili_guard_{parent}_id BEFORE UPDATE OF id ON {parent} FOR EACH ROW "
            "WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION zhili_refuse_id_change()"
        ),
    ]


REFUSE_ID_CHANGE = (
    "CREATE FUNCTION zhili_refuse_id_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION 'the id of a row of % is referenced and never changes', TG_TABLE_NAME "
    "USING ERRCODE = 'foreign_key_violation'; END $$"
)


def upgrade() -> None:
    """Apply this revision (PostgreSQL only)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for child, references in CHECKED.items():
        for column, parent in references:
            op.drop_constraint(_name(child, column, parent), child, type_="foreignkey")
        for statement in _child_sql(child, references):
            op.execute(statement)
    op.execute(REFUSE_ID_CHANGE)
    for parent, children in _parents().items():
        for statement in _parent_sql(parent, children):
            op.execute(statement)


def downgrade() -> None:
    """Revert this revision: the per-row foreign keys come back."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for parent in _parents():
        op.execute(f"DROP TRIGGER zhili_guard_{parent}_id ON {parent}")
        op.execute(f"DROP TRIGGER zhili_guard_{parent}_removed ON {parent}")
        op.execute(f"DROP FUNCTION zhili_guard_{parent}_removed()")
    op.execute("DROP FUNCTION zhili_refuse_id_change()")
    for child, references in CHECKED.items():
        for kind in ("added", "changed"):
            op.execute(f"DROP TRIGGER zhili_check_{child}_{kind} ON {child}")
            op.execute(f"DROP FUNCTION zhili_check_{child}_{kind}()")
        for column, parent in references:
            op.create_foreign_key(_name(child, column, parent), child, parent, [column], ["id"])
