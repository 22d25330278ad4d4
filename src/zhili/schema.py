"""Every table of the application, imported in one place for migrations and tests."""

from __future__ import annotations

from typing import Any

from zhili.access import models as access_models
from zhili.alerts import models as alerts_models
from zhili.analytics import models as analytics_models
from zhili.assessment import models as assessment_models
from zhili.campaigns import models as campaigns_models
from zhili.cases import models as cases_models
from zhili.citizens import models as citizens_models
from zhili.clocks import models as clocks_models
from zhili.command_groups import models as command_groups_models
from zhili.core import audit, idempotency
from zhili.core.db import Base
from zhili.early_warning import models as early_warning_models
from zhili.matters import models as matters_models
from zhili.notify import models as notify_models
from zhili.open311 import models as open311_models
from zhili.org import models as org_models

MODEL_MODULES = (
    audit,
    idempotency,
    org_models,
    access_models,
    matters_models,
    cases_models,
    notify_models,
    clocks_models,
    campaigns_models,
    early_warning_models,
    analytics_models,
    assessment_models,
    command_groups_models,
    citizens_models,
    open311_models,
    alerts_models,
)
metadata = Base.metadata

# The fan-out's foreign keys that PostgreSQL checks once per statement, not per row (migration 0010):
# the models declare them and SQLite enforces them as declared; on PostgreSQL the schema has triggers
# in their place, so comparing the models with a PostgreSQL schema leaves them out.
STATEMENT_CHECKED_FOREIGN_KEYS = frozenset(
    {
        "fk_campaign_tasks_campaign_id_campaigns",
        "fk_campaign_tasks_person_id_people",
        "fk_campaign_tasks_position_id_positions",
        "fk_inbox_items_person_id_people",
        "fk_inbox_items_notification_id_notifications",
        "fk_outbox_person_id_people",
        "fk_outbox_notification_id_notifications",
    }
)


def include_on_postgresql(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's `include_object` on PostgreSQL: every object but the statement-checked foreign keys."""
    del obj, reflected, compare_to
    return not (type_ == "foreign_key_constraint" and name in STATEMENT_CHECKED_FOREIGN_KEYS)
