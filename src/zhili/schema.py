"""Every table of the application, imported in one place for migrations and tests."""

from __future__ import annotations

from zhili.access import models as access_models
from zhili.campaigns import models as campaigns_models
from zhili.cases import models as cases_models
from zhili.clocks import models as clocks_models
from zhili.core import audit, idempotency
from zhili.core.db import Base
from zhili.matters import models as matters_models
from zhili.notify import models as notify_models
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
)
metadata = Base.metadata
