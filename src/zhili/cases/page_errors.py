"""A refused case-page form: its input kept and each reason by its field, in the page's language."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import ValidationError
from starlette.datastructures import FormData

from zhili.cases.collaboration import NOT_OFFERED
from zhili.cases.forms import NO_UNIT_TICKED
from zhili.cases.open_items import OpenItemsError
from zhili.cases.states import CommandRefused, RefusalKind
from zhili.core.errors import ConflictError, DomainError, ForbiddenError
from zhili.core.kept_photos import KeptPhoto, is_photo_input
from zhili.core.media import PHOTO_REFUSALS
from zhili.web.i18n import translate

# Field names as services and schemas report them → the form field they belong to.
_UNIT_HOURS = re.compile(r"deadline_hours_\d{1,9}")
_FIELD_ALIASES = {"body": "", "requests": "", "evidence": "evidence_photo", "command": ""}
_FIELDS = frozenset(
    {
        "reason",
        "text",
        "hours",
        "rating",
        "outcome",
        "comment",
        "note",
        "unit_id",
        "deadline_hours",
        "title",
        "minutes",
        "decision",
        "decision_2",
        "decision_3",
        "decision_days",
        "decision_days_2",
        "decision_days_3",
        "action",
        "photo",
        "lead_unit_id",
        "cancel_reason",
        "evidence_photo",
        "evidence_gps",
        "evidence_text",
        "evidence_document",
    }
)

# The fields chosen from a list (selects): one left unchosen is told 请选择, as the browser says, not 请填写.
_CHOICES = frozenset({"rating", "outcome", "unit_id", "lead_unit_id", "action", "stage"})
# What an unchosen select is refused as: nothing sent (required), or its blank option read as an id (number).
_UNCHOSEN = frozenset({"required", "number"})


@dataclass(slots=True)
class FailedForm:
    """The form that was refused (by its id on the page), what was typed, the reasons by field, the photos kept."""

    form: str = ""
    values: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    kept_photos: list[KeptPhoto] = field(default_factory=list)  # taken with the form, not stored: sent again

    def value(self, name: str, default: str = "") -> str:
        """What was typed in the field."""
        found = self.values.get(name)
        return found[0] if found else default

    def has(self, name: str, value: object) -> bool:
        """Whether a checkbox or option with this value was chosen."""
        return str(value) in self.values.get(name, [])

    def error(self, name: str) -> str:
        """The reason this field was refused, or ''."""
        return self.errors.get(name, "")

    @property
    def reasons(self) -> list[str]:
        """Every reason, the form's and its fields': for a page that no longer shows the form."""
        return [*self.general, *(m for m in self.errors.values() if m not in self.general)]


BLANK = FailedForm()


def _field(location: str) -> str:
    """The form field a reported location names (`body.reason` → reason, `requests.0.text` → text)."""
    if _UNIT_HOURS.fullmatch(location):  # one ticked unit's own hours (`forms.help_from_form`)
        return location
    parts = [p for p in location.replace("-", "_").split(".") if p and not p.isdigit()]
    for part in reversed(parts):
        name = _FIELD_ALIASES.get(part, part)
        if name in _FIELDS:
            return name
    return ""


def _message(kind: str, lang: str) -> str:
    return translate(f"casepage.error.{kind}", lang)


def failed_form(form_id: str, form: FormData, exc: Exception, lang: str) -> FailedForm:
    """The refused form with its reasons in `lang`; a reason without a field is shown above the buttons."""
    values = {
        k: [v for v in form.getlist(k) if isinstance(v, str)]
        for k in form
        if k != "csrf_token" and not is_photo_input(k)
    }
    failed = FailedForm(form=form_id, values=values)
    if isinstance(exc, ValidationError):
        for error in exc.errors():
            bound = next((v for k, v in (error.get("ctx") or {}).items() if k in {"le", "ge"}), None)
            kind = _validation_kind(error["type"], str(error["msg"]))
            _add(failed, _field(".".join(map(str, error["loc"]))), kind, lang, bound)
        return failed
    if isinstance(exc, CommandRefused):
        _refused(failed, exc, lang)
        return failed
    if isinstance(exc, DomainError):
        for error in exc.extra.get("errors") or []:
            if kind := error.get("missing_evidence"):  # a reply's evidence named with its other reasons
                named = translate(f"casepage.evidence.{kind}", lang)
                failed.errors[f"evidence_{kind}"] = _message("missing_evidence", lang).replace("{kinds}", named)
                continue
            message = str(error.get("message", ""))
            kind = _validation_kind(str(error["type"]), message) if "type" in error else _kind_of(exc, message)
            # A reply's evidence is one list in the body, but the form asks for the GPS fix in its own input.
            name = "evidence_gps" if kind == "gps" else _field(str(error.get("field", "")))
            _add(failed, name, kind, lang, error.get("bound"))
        if not failed.errors and not failed.general:
            said = translate(exc.message_key, lang) if exc.message_key else _message(_kind_of(exc, exc.detail), lang)
            failed.general.append(said)
    return failed


def _add(failed: FailedForm, name: str, kind: str, lang: str, bound: object = None) -> None:
    if kind in _BOUNDED.values() and bound is None:
        kind = "number"  # a limit not known: say only that the number is not valid
    if name in _CHOICES and kind in _UNCHOSEN:
        kind = "choice"
    message = _message(kind, lang).replace("{n}", str(bound))
    if name and name not in failed.errors:
        failed.errors[name] = message
    elif not name and message not in failed.general:
        failed.general.append(message)


# A number over or under its field's limit: the refusal says the limit.
_BOUNDED = {"less_than_equal": "at_most", "greater_than_equal": "at_least"}


def _validation_kind(error_type: str, message: str = "") -> str:
    if error_type == "value_error" and "say what is still wrong" in message:
        return "why_dissatisfied"  # a dissatisfied rating's comment: what to write, not only that something is due
    # A schema's rule that asks for a field is that field's "required".
    if error_type in {"missing", "string_too_short", "too_short"} or (
        error_type == "value_error" and "is required" in message
    ):
        return "required"
    if error_type in _BOUNDED:
        return _BOUNDED[error_type]
    if error_type in {"int_parsing", "float_parsing", "int_from_float"}:
        return "number"
    if error_type in {"literal_error", "enum"}:
        return "choice"
    return "invalid"


def _kind_of(exc: DomainError, message: str) -> str:  # noqa: PLR0911 - one answer per kind of refusal
    """The reason of a service's refusal, by its kind."""
    if isinstance(exc, OpenItemsError):
        return "open_items"
    if isinstance(exc, PHOTO_REFUSALS):
        return exc.form_kind
    if NOT_OFFERED in {message, exc.detail}:
        return "unit_not_offered"
    if message == NO_UNIT_TICKED:
        return "no_unit"
    if "photo" in message and "unknown" in message:
        return "photo_unknown"
    if "longitude" in message:
        return "gps"
    if isinstance(exc, ConflictError):
        return "stale" if "current_version" in exc.extra or "another command" in exc.detail else "conflict"
    if isinstance(exc, ForbiddenError):
        return "forbidden"
    return {413: "photo_size", 415: "photo_type"}.get(exc.status, "required" if "required" in message else "invalid")


def _refused(failed: FailedForm, exc: CommandRefused, lang: str) -> None:
    if exc.kind is RefusalKind.STATE:
        failed.general.append(_message("not_now", lang))
    elif exc.kind is RefusalKind.PARTY:
        failed.general.append(_message("forbidden", lang))
    elif exc.missing_evidence:  # each kind by its input: the photo, the GPS, the text, the document
        for kind in exc.missing_evidence:
            named = translate(f"casepage.evidence.{kind}", lang)
            failed.errors[f"evidence_{kind}"] = _message("missing_evidence", lang).replace("{kinds}", named)
    elif "reason" in exc.reason:
        failed.errors["reason"] = _message("required", lang)
    elif "extension is" in exc.reason:
        failed.errors["hours"] = _message("number", lang)
    elif "text" in exc.reason:
        failed.errors["text"] = _message("required", lang)
    else:
        failed.general.append(_message("invalid", lang))
