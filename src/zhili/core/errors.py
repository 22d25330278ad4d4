"""Domain errors every layer raises; the web layer turns them into RFC 9457 problems."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class DomainError(Exception):
    """A request that cannot be carried out, with a reason a person can read."""

    status = 400
    title = "Bad request"
    type_slug = "bad-request"

    def __init__(self, detail: str, *, message_key: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        # What an error page says of it in the reader's language (a message key); `detail` is English.
        self.message_key = message_key
        self.extra = extra


class NotFoundError(DomainError):
    """The thing asked for does not exist, or lies outside the caller's scope."""

    status = 404
    title = "Not found"
    type_slug = "not-found"


class ForbiddenError(DomainError):
    """The caller may not do this."""

    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class NotAuthenticatedError(DomainError):
    """No valid login or token came with the request."""

    status = 401
    title = "Not authenticated"
    type_slug = "not-authenticated"


class ConflictError(DomainError):
    """The request clashes with the current state (a duplicate, a stale version)."""

    status = 409
    title = "Conflict"
    type_slug = "conflict"


class InvalidInputError(DomainError):
    """The input is well-formed but its content is wrong (bad code, bad geometry)."""

    status = 422
    title = "Invalid input"
    type_slug = "invalid-input"


class PayloadTooLargeError(DomainError):
    """A body over the size an endpoint takes (413)."""

    status = 413
    title = "Payload too large"
    type_slug = "payload-too-large"


class UnsupportedMediaTypeError(DomainError):
    """A body not declared as one of the media types an endpoint takes (415)."""

    status = 415
    title = "Unsupported media type"
    type_slug = "unsupported-media-type"


class TooManyRequestsError(DomainError):
    """The caller must slow down (too many attempts in a window)."""

    status = 429
    title = "Too many requests"
    type_slug = "too-many-requests"


class FieldRuleError(ValueError):
    """A schema's rule over several fields, broken: raised in a model validator, it names the field it concerns.

    pydantic reports a model validator's error at the model (no field); `web.form_errors` files this
    one under `field`, so a form shows it by that input. The API's answer is that of any `ValueError`.
    """

    def __init__(self, message: str, field: str = "") -> None:  # positional too: exceptions copy and pickle so
        super().__init__(message)
        self.field = field


def error_path(location: Sequence[object], context: Mapping[str, object] | None) -> str:
    """The dotted path of a pydantic error (its `loc`); a rule naming its field (`FieldRuleError`) ends there."""
    return ".".join([str(part) for part in location] + rule_field(context))


def rule_field(context: Mapping[str, object] | None) -> list[str]:
    """The field a broken rule names (`FieldRuleError`), as the last step of its error's path; [] for any other."""
    rule = (context or {}).get("error")
    return [rule.field] if isinstance(rule, FieldRuleError) and rule.field else []
