"""The pilot registration form: its fields read from text, each error keyed to its field."""

from __future__ import annotations

import re
from typing import Final

from zhili.analytics.pilots import PilotIn
from zhili.core.months import Month

FIELDS: Final = (
    "name", "matter", "area", "controls", "start", "reported_handling", "reported_volume", "reported_complaints",
)  # fmt: skip
SEPARATORS: Final = re.compile(r"[\s,，、;；]+")


def parse(form: dict[str, str]) -> tuple[PilotIn | None, dict[str, str]]:
    """The pilot the form describes, or None with the message key of each field that cannot be read.

    Reported effects are typed as percentages (−66.7 means two thirds less).
    """
    errors: dict[str, str] = {}
    try:
        start = Month.parse(form.get("start", ""))
    except ValueError:
        errors["start"] = "kpi.error.month"
        start = Month(0)
    changes: dict[str, float | None] = {}
    for name in ("reported_handling", "reported_volume", "reported_complaints"):
        text = form.get(name, "").replace("%", "").replace("％", "").strip()
        try:
            changes[name] = float(text) / 100 if text else None
        except ValueError:
            errors[name] = "pilot.error.change"
    if errors:
        return None, errors
    controls = tuple(c for c in SEPARATORS.split(form.get("controls", "")) if c)
    pilot = PilotIn(
        name=form.get("name", ""),
        matter=form.get("matter", ""),
        area=form.get("area", ""),
        controls=controls,
        start=start,
        **changes,
    )
    return pilot, {}
