"""From an API command body to the lifecycle's typed command, with the issuing parties attached."""

from __future__ import annotations

from collections.abc import Callable

from zhili.cases import lifecycle as lc
from zhili.cases.schemas import CommandBody
from zhili.core.errors import InvalidInputError
from zhili.matters.definition import EvidenceKind

Builder = Callable[[CommandBody, frozenset[lc.Party], int], lc.Command]


def _reason(body: CommandBody) -> str:
    # A missing reason reaches the lifecycle as blank, which refuses it with a clear 422.
    return body.reason or ""


BUILDERS: dict[str, Builder] = {
    "accept": lambda _b, p, _u: lc.Accept(parties=p),
    "reject": lambda b, p, _u: lc.Reject(parties=p, reason=_reason(b)),
    "dispatch": lambda b, p, u: lc.Dispatch(parties=p, lead_unit_id=b.lead_unit_id or u),
    "sign": lambda _b, p, _u: lc.Sign(parties=p),
    "return": lambda b, p, _u: lc.Return(parties=p, reason=_reason(b)),
    "start": lambda _b, p, _u: lc.Start(parties=p),
    "escalate": lambda b, p, _u: lc.Escalate(parties=p, reason=_reason(b)),
    "request_extension": lambda b, p, _u: lc.RequestExtension(parties=p, reason=_reason(b), hours=b.hours or 0),
    "approve_extension": lambda _b, p, _u: lc.ApproveExtension(parties=p),
    "refuse_extension": lambda b, p, _u: lc.RefuseExtension(parties=p, reason=_reason(b)),
    "suspend": lambda b, p, _u: lc.Suspend(parties=p, reason=_reason(b)),
    "resume": lambda _b, p, _u: lc.Resume(parties=p),
    "reply": lambda b, p, _u: lc.Reply(
        parties=p,
        text=b.text or "",
        evidence=tuple(lc.Evidence(kind=EvidenceKind(e.kind), ref=e.ref) for e in b.evidence),
    ),
    "verify": lambda _b, p, _u: lc.Verify(parties=p),
    "verify_failed": lambda b, p, _u: lc.VerifyFailed(parties=p, reason=_reason(b)),
    "close": lambda _b, p, _u: lc.Close(parties=p),
    "rate": lambda b, p, _u: _rate(b, p),
    "archive": lambda _b, p, _u: lc.Archive(parties=p),
}


def _rate(body: CommandBody, parties: frozenset[lc.Party]) -> lc.Command:
    if body.rating is None:
        raise InvalidInputError("rate needs a rating", errors=[{"field": "body.rating", "message": "is required"}])
    return lc.Rate(parties=parties, rating=lc.Rating(body.rating), comment=body.comment or "")


def build(body: CommandBody, parties: frozenset[lc.Party], *, routed_unit_id: int) -> lc.Command:
    """The typed command; dispatch defaults to the unit the case was routed to."""
    builder = BUILDERS.get(body.command)
    if builder is None:
        raise InvalidInputError(
            f"unknown command {body.command!r}; known: {', '.join(BUILDERS)}",
            errors=[{"field": "body.command", "message": "is not a lifecycle command"}],
        )
    return builder(body, parties, routed_unit_id)
